"""Every shipped instance: the MILP gives the answer of an exhaustive method (enumeration, or the
support search where enumeration would take hours), and the CLI's JSON has the documented keys."""

import json

import pytest

from milp_market.cli import main
from milp_market.instance import load_instance
from milp_market.orchestrate import enumeration_work, solve_market
from milp_market.results import Status

from .conftest import INSTANCES

FILES = sorted(p.name for p in INSTANCES.glob("*.json"))


#: Shipped instances the MILP does not finish on within minutes (reports/benchmarks.md): there it
#: runs with this limit and must not contradict the exhaustive method.
MILP_LIMIT = {"livebench_tasks.json": 60.0}


@pytest.mark.slow
@pytest.mark.parametrize("name", FILES)
def test_shipped_instance_milp_agrees_with_an_exhaustive_method(name):
    inst = load_instance(INSTANCES / name)
    # The full LMArena and LiveBench tables have ~1e8 count vectors or more: there the support
    # search is the baseline.
    exhaustive = "enumerate" if enumeration_work(inst) <= 1e8 else "search"
    a, b = solve_market(inst, "milp", time_limit=MILP_LIMIT.get(name)), solve_market(inst, exhaustive)
    assert b.status is not Status.UNKNOWN
    if name in MILP_LIMIT and a.status is Status.UNKNOWN:
        # what the MILP proved before its limit must agree with the exhaustive answer
        found = a.best.profile.counts if a.best is not None and a.best.profile is not None else None
        assert found is None or b.status is Status.EQUILIBRIUM
        if a.social_optimum_proven:
            assert a.social_optimum.welfare == pytest.approx(b.social_optimum.welfare, abs=1e-9)
        return
    assert a.status == b.status
    assert a.social_optimum.welfare == pytest.approx(b.social_optimum.welfare, abs=1e-9)
    if a.best is not None:
        assert a.best.profile.welfare == pytest.approx(b.best.profile.welfare, abs=1e-9)
        assert a.worst.profile.welfare == pytest.approx(b.worst.profile.welfare, abs=1e-9)


EXPECTED = {
    "homogenized.json": ("equilibrium", {"A": 3}),
    "differentiated.json": ("equilibrium", {"A": 1, "B": 1}),
    "no_equilibrium.json": ("no_equilibrium", None),
    "cifar10_paper.json": ("equilibrium", {"airauto": 1, "catdog1.5": 2}),
    # probability-profile qualities (issue 13 item 5): beta 20 keeps the hardmax equilibrium
    "cifar10_paper_logit.json": ("equilibrium", {"airauto": 1, "catdog1.5": 2}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_json_known_answers(name, capsys):
    assert main(["solve", str(INSTANCES / name), "--json", "--method", "milp"]) == 0
    out = json.loads(capsys.readouterr().out)
    status, counts = EXPECTED[name]
    assert out["status"] == status
    for key in ("status", "social_optimum", "price_of_anarchy", "price_of_stability", "verified", "method", "seconds"):
        assert key in out
    if counts is not None:
        assert out["best"]["counts"] == counts
        assert set(out["best"]) >= {"counts", "welfare", "hhi", "shannon", "structure"}
        assert out["verified"] is True
    else:
        assert "best" not in out and out["price_of_anarchy"] is None


def test_enumerate_and_dynamics_commands(capsys):
    assert main(["enumerate", str(INSTANCES / "ties.json"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "complete" and out["count"] == 3
    assert main(["dynamics", str(INSTANCES / "no_equilibrium.json"), "--json", "--start", "A,B"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "cycle" and len(out["cycle"]) >= 2
