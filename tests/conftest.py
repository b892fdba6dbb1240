import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from milp_market.cli import main

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"


@pytest.fixture
def instances_dir():
    return INSTANCES


def run_cli(argv):
    """The CLI in-process: (exit code, stdout, stderr); an argparse SystemExit counts as its code."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def draw_valid(rng, build):
    """``build(rng)`` until it gives a valid instance (random draws may fail validation, e.g. a
    chain of near-ties wider than the tie tolerance)."""
    from milp_market import InstanceError

    for _ in range(1000):
        try:
            return build(rng)
        except InstanceError:
            continue
    raise AssertionError("no valid draw in 1000 tries")
