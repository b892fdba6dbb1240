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
