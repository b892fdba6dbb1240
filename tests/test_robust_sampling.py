"""Outcome distributions under score uncertainty (milp_market/robust.py, ``robust --samples``).

Reproducibility from the seed (library, CLI, a local Dask cluster against the local loop, and a
separate-process ``dask scheduler`` + ``dask worker`` reached through ``--scheduler``);
every draw inside the box with exact ties only; the statistics against hand-made boxes whose
outcome is known (zero width: one outcome with frequency 1; a box where a dominant model may or
may not stay on top); strict JSON; bad input exit 2.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from milp_market import game
from milp_market.cli import main
from milp_market.instance import TIE_TOL, make_instance
from milp_market.robust import (
    draw_scores,
    load_uncertain_instance,
    make_uncertain,
    sample_outcomes,
    solve_draw,
)

ROOT = Path(__file__).resolve().parents[1]
WEIGHTED = ROOT / "instances" / "uncertain" / "lmarena_categories_weighted_uncertain.json"


def _specialists(width=0.0, N=2):
    nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], N, model_names=["A", "B"], type_names=["a", "b"])
    lo = np.maximum(nominal.scores - width, 0.0)
    return make_uncertain(nominal, lo, nominal.scores + width)


@pytest.mark.parametrize("distribution", ["uniform", "normal"])
def test_draws_are_inside_the_box_reproducible_and_have_exact_ties_only(distribution):
    unc = load_uncertain_instance(WEIGHTED)
    seen = set()
    for i in range(30):
        S, _ = draw_scores(unc, 11, i, distribution)
        assert np.all(unc.lower <= S) and np.all(S <= unc.upper)
        assert np.array_equal(S, draw_scores(unc, 11, i, distribution)[0])
        for t in range(S.shape[1]):
            assert np.all(np.diff(np.unique(S[:, t])) > TIE_TOL)
        pinned = unc.lower == unc.upper
        assert np.array_equal(S[pinned], unc.lower[pinned])
        seen.add(S.tobytes())
    assert len(seen) == 30
    assert not np.array_equal(draw_scores(unc, 11, 0, distribution)[0], draw_scores(unc, 12, 0, distribution)[0])


def test_normal_draws_concentrate_around_the_nominal_scores():
    nominal = make_instance([[0.5]], [1], 1)
    unc = make_uncertain(nominal, [[0.3]], [[0.9]])  # asymmetric: sigma 0.2/1.96 below, 0.4/1.96 above
    x = np.array([draw_scores(unc, 0, i, "normal")[0][0, 0] for i in range(4000)])
    u = np.array([draw_scores(unc, 0, i, "uniform")[0][0, 0] for i in range(4000)])
    assert abs(np.median(x) - 0.5) < 0.01  # the nominal score is the median
    assert abs(np.mean(x > 0.5) - 0.5) < 0.03
    assert abs(np.mean(u) - 0.6) < 0.01 and abs(np.mean(u < 0.5) - 1 / 3) < 0.03
    assert 0.3 <= x.min() and x.max() <= 0.9


def test_near_ties_are_redrawn_not_passed_to_validation(monkeypatch):
    # a pinned score at 0.5 and a box [0.5 - 3e-9, 0.5 + 3e-9]: a third of the draws land within
    # 1e-9 of 0.5 (bounds exactly 1e-9 or 2e-9 from a score are refused: make_uncertain)
    nominal = make_instance([[0.5], [0.5]], [1], 2)
    unc = make_uncertain(nominal, [[0.5], [0.5 - 3e-9]], [[0.5], [0.5 + 3e-9]])
    total = 0
    for i in range(50):
        S, redraws = draw_scores(unc, 0, i)
        total += redraws
        assert S[1, 0] == 0.5 or abs(S[1, 0] - 0.5) > TIE_TOL
        make_instance(S, [1], 2)  # validation accepts every draw
    assert total > 0


@pytest.mark.parametrize("distribution", ["uniform", "normal"])
def test_zero_width_box_gives_one_outcome_with_frequency_one(distribution):
    unc = _specialists(0.0)
    rep = sample_outcomes(unc, 7, seed=5, distribution=distribution)
    out = rep.to_dict(unc.nominal)
    assert out["equilibrium"] == 7 and out["no_equilibrium"] == 0 and out["unknown"] == 0
    assert out["share_with_equilibrium"] == 1.0
    assert out["best_profiles"] == [{"counts": {"A": 1, "B": 1}, "draws": 7, "frequency": 1.0}]
    assert out["worst_profiles"] == out["best_profiles"]
    assert out["structure_best"] == {"differentiated": 7}
    for key in ("price_of_anarchy", "price_of_stability"):
        assert out["quantiles"][key] == {"q05": 1.0, "q50": 1.0, "q95": 1.0}
    assert out["quantiles"]["hhi_best"] == {"q05": 0.5, "q50": 0.5, "q95": 0.5}


def test_statistics_match_a_direct_count_over_the_draws():
    # A dominates B nominally; B's interval overlaps A's on both types, so draws differ
    nominal = make_instance([[0.6, 0.6], [0.4, 0.4]], [0.5, 0.5], 2, model_names=["A", "B"])
    unc = make_uncertain(nominal, [[0.3, 0.3], [0.1, 0.1]], [[0.7, 0.7], [0.9, 0.9]])
    R = 60
    rep = sample_outcomes(unc, R, seed=2)
    out = rep.to_dict(nominal)
    direct = {}
    n_eq = 0
    for i in range(R):
        S, _ = draw_scores(unc, 2, i)
        inst = unc.with_scores(S)
        eqs = [p for p in ([2, 0], [1, 1], [0, 2]) if game.is_equilibrium(inst, p)]
        if eqs:
            n_eq += 1
            best = max(eqs, key=lambda p: game.welfare(inst, p))  # no welfare ties in continuous draws
            direct[tuple(best)] = direct.get(tuple(best), 0) + 1
    assert out["equilibrium"] == n_eq
    assert out["equilibrium"] + out["no_equilibrium"] + out["unknown"] == R
    assert sum(p["draws"] for p in out["best_profiles"]) == n_eq
    assert len(out["best_profiles"]) >= 2  # the box changes the outcome
    assert {tuple(p["counts"].get(m, 0) for m in "AB"): p["draws"] for p in out["best_profiles"]} == direct
    poa = sorted(r["poa"] for r in rep.rows if r["status"] == "equilibrium")
    assert out["quantiles"]["price_of_anarchy"]["q50"] == pytest.approx(float(np.quantile(poa, 0.5)))
    assert sum(out["structure_best"].values()) == n_eq


@pytest.mark.slow
def test_same_seed_same_answers_and_dask_agrees_with_the_local_loop():
    unc = load_uncertain_instance(WEIGHTED)

    def strip(rep):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in rep.rows]

    a = sample_outcomes(unc, 6, seed=9)
    b = sample_outcomes(unc, 6, seed=9)
    c = sample_outcomes(unc, 6, seed=9, use_dask=True, workers=1)
    assert strip(a) == strip(b) == strip(c)
    assert a.backend == "local loop" and c.backend.startswith("dask local cluster")
    assert strip(sample_outcomes(unc, 6, seed=10)) != strip(a)
    assert solve_draw(unc, 9, 3)["best"] == a.rows[3]["best"]


def test_cli_samples_json_is_one_strict_object_and_reproducible(capsys):
    args = ["robust", str(WEIGHTED), "--samples", "8", "--seed", "4", "--json", "--no-progress"]
    assert main(args) == 0
    first = capsys.readouterr().out
    out = json.loads(first, parse_constant=lambda c: pytest.fail(f"non-strict JSON token {c}"))
    assert out["samples"] == 8 and out["seed"] == 4 and out["distribution"] == "uniform"
    assert "uniform" in out["distribution_statement"] and "redrawn" in out["near_ties"]
    assert out["equilibrium"] + out["no_equilibrium"] + out["unknown"] == 8
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["best_profiles"] == out["best_profiles"]
    assert main(["robust", str(WEIGHTED), "--samples", "3", "--distribution", "normal", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "1.96 sigma" in text and "pure equilibrium in" in text


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--samples", "0"], "--samples"),
        (["--samples", "x"], "--samples"),
        (["--samples", "3", "--distribution", "cauchy"], "--distribution"),
        (["--samples", "3", "--seed", "-1"], "--seed"),
        (["--seed", "3"], "need --samples"),
        (["--samples", "3", "--profile", "gpt-5.1,gpt-5.1,gpt-5.1,gpt-5.1"], "excludes"),
    ],
)
def test_bad_sampling_options_exit_2(extra, needle, capsys):
    assert main(["robust", str(WEIGHTED), *extra]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- a real, separate Dask cluster

CLUSTER_START_SECONDS = 120  # generous: the machine may be loaded; only the start-up is timed out
CLI_SECONDS = 600


def _spawn(args, log: Path) -> subprocess.Popen:
    """A child in its own session (process group), so that stopping it stops what it started."""
    with open(log, "wb") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", *args], stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=log.parent,
        )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)  # the group this test created (start_new_session), by its id
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(log: Path) -> str:
    text = log.read_text(errors="replace") if log.is_file() else ""
    return " | ".join(text.strip().splitlines()[-3:])


@pytest.fixture
def dask_scheduler_address(tmp_path):
    """``dask scheduler`` and ``dask worker`` (one process, one thread) as separate processes on
    127.0.0.1; yields the scheduler's tcp:// address; both are stopped afterwards. Skips, naming
    the reason, only when they cannot start here."""
    pytest.importorskip("distributed")
    from dask.distributed import Client

    sched_file = tmp_path / "scheduler.json"
    procs = []
    try:
        procs.append(_spawn(
            ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(sched_file), "--idle-timeout", "900s"],
            tmp_path / "scheduler.log",
        ))
        deadline = time.monotonic() + CLUSTER_START_SECONDS
        address = None
        while address is None:
            if procs[0].poll() is not None:
                pytest.skip(f"dask scheduler exited at start-up ({procs[0].returncode}): {_tail(tmp_path / 'scheduler.log')}")
            if time.monotonic() > deadline:
                pytest.skip(f"dask scheduler did not start within {CLUSTER_START_SECONDS} s: {_tail(tmp_path / 'scheduler.log')}")
            try:
                address = json.loads(sched_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.2)
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(_spawn(
            ["distributed.cli.dask_worker", address, "--nworkers", "1", "--nthreads", "1", "--no-nanny",
             "--no-dashboard", "--death-timeout", "120", "--local-directory", str(tmp_path / "worker-space")],
            tmp_path / "worker.log",
        ))
        with Client(address, timeout=CLUSTER_START_SECONDS) as client:
            try:
                client.wait_for_workers(1, timeout=CLUSTER_START_SECONDS)
            except TimeoutError:
                pytest.skip(f"dask worker did not connect within {CLUSTER_START_SECONDS} s: {_tail(tmp_path / 'worker.log')}")
            pids = client.run(os.getpid)
        assert len(pids) == 1 and os.getpid() not in pids.values()  # the draws cannot run in this process
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)


def _cli(*args: str) -> str:
    """The real command line in a fresh process (a hang is a failure after CLI_SECONDS, not a stuck run)."""
    done = subprocess.run(
        [sys.executable, "-m", "milp_market.cli", *args], capture_output=True, text=True, timeout=CLI_SECONDS, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_scheduler_address_of_a_separate_process_cluster_gives_the_in_process_answer(dask_scheduler_address, tmp_path):
    common = ["robust", str(WEIGHTED), "--samples", "12", "--seed", "7", "--json", "--no-progress"]
    remote = json.loads(_cli(*common, "--scheduler", dask_scheduler_address),
                        parse_constant=lambda c: pytest.fail(f"non-strict JSON token {c}"))
    local = json.loads(_cli(*common))
    assert remote["backend"] == f"dask scheduler {dask_scheduler_address}"
    assert local["backend"] == "local loop"
    for out in (remote, local):
        del out["backend"], out["seconds"]
    assert remote == local
    assert remote["equilibrium"] + remote["no_equilibrium"] + remote["unknown"] == 12
    # the Markdown report does not depend on where the draws ran either (it holds no timings)
    args = ["report", str(WEIGHTED), "--samples", "12", "--seed", "7", "--no-progress"]
    _cli(*args, "--scheduler", dask_scheduler_address, "--out", str(tmp_path / "remote"))
    _cli(*args, "--out", str(tmp_path / "local"))
    name = "lmarena_categories_weighted_uncertain-samples-uniform.md"
    a = (tmp_path / "remote" / name).read_text().replace(str(tmp_path / "remote"), "DIR")
    b = (tmp_path / "local" / name).read_text().replace(str(tmp_path / "local"), "DIR")
    assert a == b and "Pure equilibrium in" in a
