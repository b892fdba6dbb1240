"""Best-response dynamics with its trajectory (issue #13, item 6): the recorded history agrees with
the exact evaluator revision by revision, recording does not change the run, and
``dynamics --history FILE.csv`` writes one row per revision, atomically."""

import csv
import itertools
import json
import re

import numpy as np
import pytest

from milp_market import dynamics, game
from milp_market.dynamics import best_response_dynamics, history_columns, write_history
from milp_market.generators import generate
from milp_market.instance import make_instance

from .conftest import INSTANCES, run_cli

run = run_cli


def _instances():
    for family in ("uniform", "ties", "specialist"):
        for seed in range(4):
            yield generate(family, 5, 3, 3, seed)
    yield generate("uniform", 4, 3, 2, 0, choice="softmax", beta=8.0)
    yield generate("ties", 4, 3, 3, 1, utility="mass_share")


INSTS = list(_instances())


@pytest.mark.parametrize("k", range(len(INSTS)))
def test_recording_does_not_change_the_run(k):
    inst = INSTS[k]
    for seed in range(5):
        a = best_response_dynamics(inst, seed=seed)
        b = best_response_dynamics(inst, seed=seed, record=True)
        assert (a.status, a.start, a.final, a.steps, a.cycle) == (b.status, b.start, b.final, b.steps, b.cycle)
        assert a.history == () and len(b.history) >= 2


@pytest.mark.parametrize("k", range(len(INSTS)))
def test_every_history_row_matches_the_exact_evaluator(k):
    inst = INSTS[k]
    N = inst.platforms
    for seed in range(5):
        res = best_response_dynamics(inst, seed=seed, record=True)
        h = res.history
        assert h[0].step == 0 and h[0].platform == -1 and h[0].assignment == res.start
        assert h[-1].assignment == res.final
        assert sum(r.switched for r in h) == res.steps
        for prev, r in itertools.pairwise(h):
            assert r.step == prev.step + 1 and r.platform == (r.step - 1) % N and r.round == (r.step - 1) // N + 1
            assert r.old == prev.assignment[r.platform] and r.new == r.assignment[r.platform]
            assert [a for p, a in enumerate(r.assignment) if p != r.platform] == [a for p, a in enumerate(prev.assignment) if p != r.platform]
            n = np.bincount(r.assignment, minlength=inst.n_models)
            s = game.summarize(inst, n)
            assert r.welfare == pytest.approx(s.welfare, abs=1e-12)
            assert r.hhi == pytest.approx(s.hhi, abs=1e-12) and r.shannon == pytest.approx(s.shannon, abs=1e-12)
            assert r.utilities == pytest.approx([s.utilities[j] for j in r.assignment], abs=1e-12)
            # the mover's gain is its utility after minus before, and positive exactly when it switched
            assert r.gain == pytest.approx(r.utilities[r.platform] - prev.utilities[r.platform], abs=1e-12)
            assert (r.gain > game.EQ_TOL) == r.switched
        if res.status == "converged":
            assert not any(r.switched for r in h[-N:]) and game.is_equilibrium(inst, res.counts(inst))
        elif res.status == "cycle":
            # the rows of the cycle start from the profiles the result lists as the cycle
            before = [np.bincount(r.assignment, minlength=inst.n_models) for r in h[-len(res.cycle) - 1 : -1]]
            assert [tuple(int(x) for x in c) for c in before] == list(res.cycle)


def test_history_stops_at_max_steps():
    inst = make_instance([[0.9, 0.1, 0.5], [0.2, 0.8, 0.1], [0.5, 0.3, 0.9]], [1, 1, 1], 2)  # no pure equilibrium
    res = best_response_dynamics(inst, start=[0, 1], max_steps=3, record=True)
    assert res.status == "max_steps" and [r.step for r in res.history] == [0, 1, 2, 3]


def test_no_equilibrium_instance_cycles_and_the_history_shows_the_cycle():
    from milp_market.instance import load_instance

    inst = load_instance(INSTANCES / "no_equilibrium.json")
    res = best_response_dynamics(inst, start=[0, 1], record=True)
    assert res.status == "cycle"
    tail = res.history[-len(res.cycle):]
    # a cycle: the state after the last revision (assignment, next mover) was seen before
    nxt = (res.history[-1].platform + 1) % inst.platforms
    seen = [(r.assignment, (r.platform + 1) % inst.platforms) for r in res.history[: -len(res.cycle)]]
    assert (res.history[-1].assignment, nxt) in seen and any(r.switched for r in tail)


def test_bad_start_is_a_value_error():
    inst = INSTS[0]
    with pytest.raises(ValueError, match="one model index"):
        best_response_dynamics(inst, start=[0, 1])
    with pytest.raises(ValueError, match="one model index"):
        best_response_dynamics(inst, start=[0, 1, 99])


def test_write_history_needs_a_recorded_run(tmp_path):
    inst = INSTS[0]
    with pytest.raises(ValueError, match="record=True"):
        write_history(inst, best_response_dynamics(inst), tmp_path / "h.csv")
    assert list(tmp_path.iterdir()) == []


def test_cli_history_csv_has_one_row_per_revision(tmp_path):
    path = tmp_path / "history.csv"
    code, out, err = run(["dynamics", str(INSTANCES / "cifar10_paper.json"), "--seed", "3", "--json", "--history", str(path)])
    assert code == 0 and err == ""
    res = json.loads(out)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == history_columns(3)
    assert res["history"] == {"file": str(path), "revisions": len(rows) - 1}
    assert rows[0]["step"] == "0" and rows[0]["platform"] == "-1" and rows[0]["old_model"] == ""
    assert [rows[0][f"model_{p}"] for p in range(3)] == res["start"]
    assert [rows[-1][f"model_{p}"] for p in range(3)] == res["final"]
    assert sum(int(r["switched"]) for r in rows) == res["steps"]
    assert float(rows[-1]["welfare"]) == pytest.approx(res["equilibrium"]["welfare"], abs=1e-12)
    assert float(rows[-1]["hhi"]) == pytest.approx(res["equilibrium"]["hhi"], abs=1e-12)
    assert float(rows[-1]["shannon"]) == pytest.approx(res["equilibrium"]["shannon"], abs=1e-12)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_cli_history_text_output_says_where(tmp_path):
    path = tmp_path / "h.csv"
    code, out, err = run(["dynamics", str(INSTANCES / "no_equilibrium.json"), "--start", "A,B", "--history", str(path)])
    assert code == 0 and err == ""
    assert out.splitlines()[-1] == f"history: 7 revisions written to {path}"
    assert len(path.read_text().splitlines()) == 1 + 1 + 7


def test_cli_history_replaces_an_existing_file_whole(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("mine\n" * 1000)
    assert run(["dynamics", str(INSTANCES / "ties.json"), "--history", str(path)])[0] == 0
    assert path.read_text().startswith("step,round,") and "mine" not in path.read_text()


def test_cli_history_write_failure_is_one_line_and_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "h.csv"
    path.write_text("mine\n")

    def fail(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(dynamics.os, "replace", fail)
    code, out, err = run(["dynamics", str(INSTANCES / "ties.json"), "--json", "--history", str(path)])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: --history") and "cannot write (Permission denied)" in err
    assert path.read_text() == "mine\n" and list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("where,needle", [("{tmp}", "is a folder"), ("{tmp}/no/h.csv", "does not exist")])
def test_cli_bad_history_path_is_one_line_and_exit_2(tmp_path, where, needle):
    code, out, err = run(["dynamics", str(INSTANCES / "ties.json"), "--history", where.format(tmp=tmp_path)])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--history" in err and needle in err


def test_cycle_text_lists_each_market_state_once_per_visit(instances_dir, capsys):
    """A revision in which the platform stays repeats the count vector; the text lists the states
    the market passes through (found by a new-user trial: identical consecutive lines)."""
    from milp_market.cli import main

    assert main(["dynamics", str(instances_dir / "lmarena_categories.json"), "--seed", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    head = next(i for i, x in enumerate(lines) if x.startswith("cycle of"))
    states = [x for x in lines[head + 1 :] if x.startswith("  ")]
    m = re.search(r"\((\d+) market states(?:, (\d+) times around (\d+) count vectors)?\)", lines[head])
    total, period = int(m[1]), int(m[3] or m[1])
    assert len(states) == period and total % period == 0  # one round listed, the laps counted
    assert all(a != b for a, b in zip(states, states[1:])) and (period == 1 or states[0] != states[-1])


def test_cycle_text_lists_a_repeated_round_of_count_vectors_once(instances_dir, capsys):
    """Two platforms that swap models go twice around the same count vectors in one cycle of their
    revisions: the text says so and lists the round once (audit: three lines printed twice)."""
    from milp_market.cli import main

    assert main(["dynamics", str(instances_dir / "no_equilibrium.json")]) == 0
    lines = capsys.readouterr().out.splitlines()
    head = next(x for x in lines if x.startswith("cycle of"))
    states = [x for x in lines if x.startswith("  ")]
    assert "(6 market states, 2 times around 3 count vectors)" in head and "6 switches" in head
    assert len(states) == 3 == len(set(states))
