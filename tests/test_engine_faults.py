"""The agreement rule (formulations/README.md, milp_market/certify.py) tested once for every
caller of the certification engine, with fault-injected HiGHS configurations:

* ``false_infeasible``: PRIMARY answers "infeasible" to every solve (a false proof);
* ``wrong_optimum``: PRIMARY stops at its first incumbent and calls it optimal (relative gap 1);
* ``timeout``: CONFIRM never finishes (time limit, no solution).

A false claim of one configuration must never become the answer: with the first two faults every
caller returns what the fault-free run (or enumeration) returns; with a configuration that never
finishes, nothing is proven (unknown with a verified incumbent), except where an independent exact
method settles the question (the hardmax social optimum: max-coverage).
"""

import math

import pytest

import milp_market.certify as certify
from milp_market.entrant import load_entry_instance
from milp_market.entry import EntryStatus, solve_entry
from milp_market.enumeration import enumerate_profiles
from milp_market.formulations.highs import PersistentHighs, SolveOutcome
from milp_market.generators import generate
from milp_market.instance import load_instance
from milp_market.orchestrate import (
    all_equilibria_milp,
    solve_enumerate,
    solve_milp,
    welfare_tolerance,
)
from milp_market.regret import min_regret, min_regret_enumerate
from milp_market.results import ListStatus, RegretStatus, SolveStatus, Status

FAULTS = ("false_infeasible", "wrong_optimum", "timeout")


def _faulty(kind):
    class Faulty:
        def __init__(self, options=None, threads=None, name="primary"):
            self.name = name
            opts = dict(options or {})
            if kind == "wrong_optimum" and name == "primary":
                opts["mip_rel_gap"] = 1.0  # any incumbent within 100% is "optimal"
            self.real = PersistentHighs(opts, threads, name)

        def solve(self, model, time_limit=None):
            if kind == "false_infeasible" and self.name == "primary":
                return SolveOutcome(SolveStatus.INFEASIBLE, False, math.nan, math.nan, 0.0)
            if kind == "timeout" and self.name == "confirm":
                return SolveOutcome(SolveStatus.TIME_LIMIT, False, math.nan, math.nan, 0.0)
            return self.real.solve(model, time_limit)

    return Faulty


@pytest.fixture(params=FAULTS)
def fault(request, monkeypatch):
    monkeypatch.setattr(certify, "PersistentHighs", _faulty(request.param))
    return request.param


def _games():
    yield generate("ties", 5, 4, 3, 7)  # two equilibria of different welfare
    yield load_instance("instances/no_equilibrium.json")
    yield generate("uniform", 3, 3, 3, 1, choice="softmax", beta=5.0)


@pytest.mark.parametrize("game_index", range(3))
def test_equilibria_and_social_optimum(fault, game_index):
    inst = list(_games())[game_index]
    truth = solve_enumerate(inst)
    res = solve_milp(inst)
    tol = welfare_tolerance(inst)
    if fault == "timeout":
        assert res.status is Status.UNKNOWN  # never a proof, whatever the truth
        if res.best is not None and res.best.profile is not None:  # a verified incumbent survives
            assert res.best.profile.counts in enumerate_profiles(inst).equilibria
            # with the bounds of formulations/welfare_bounds.md, which must contain the truth
            assert res.worst.bound <= truth.worst.welfare + tol
            for got, v in ((res.price_of_anarchy_bounds, truth.price_of_anarchy), (res.price_of_stability_bounds, truth.price_of_stability)):
                assert got[0] <= v * (1 + 1e-9) and v <= got[1] * (1 + 1e-9), (got, v)
        return
    assert res.status is truth.status
    if truth.status is Status.EQUILIBRIUM:
        assert res.best.welfare == pytest.approx(truth.best.welfare, abs=tol)
        assert res.worst.welfare == pytest.approx(truth.worst.welfare, abs=tol)
    assert res.social_optimum_proven
    assert res.social_optimum.welfare == pytest.approx(truth.social_optimum.welfare, abs=tol)


def test_social_optimum_without_agreement_is_settled_exactly_under_hardmax(fault):
    inst = generate("uniform", 6, 5, 3, 4)
    res, truth = solve_milp(inst), solve_enumerate(inst)
    assert res.social_optimum_proven  # by agreement, or by max-coverage when CONFIRM never finishes
    assert res.social_optimum.welfare == pytest.approx(truth.social_optimum.welfare, abs=welfare_tolerance(inst))


def test_min_regret(fault):
    inst = load_instance("instances/no_equilibrium.json")
    truth = min_regret_enumerate(inst)
    res = min_regret(inst, method="milp")  # the faults are HiGHS's; the search has its own tests
    if fault == "timeout":
        assert res.status is RegretStatus.UNKNOWN
        assert res.counts is not None and res.epsilon >= truth.epsilon - 1e-12  # verified incumbent
        return
    assert res.status is RegretStatus.OPTIMAL
    assert res.epsilon == pytest.approx(truth.epsilon, abs=1e-5)
    assert res.bound <= truth.epsilon + 1e-12


def test_all_equilibria(fault):
    inst = generate("ties", 5, 4, 3, 7)
    truth = set(enumerate_profiles(inst).equilibria)
    res = all_equilibria_milp(inst)
    if fault == "timeout":
        assert res.status is ListStatus.TIME_LIMIT and set(res.equilibria) <= truth
        return
    assert res.status is ListStatus.COMPLETE and set(res.equilibria) == truth


@pytest.fixture(scope="module")
def entry_truth():
    inst, entrant = load_entry_instance("instances/entry_two_types.json")
    return solve_entry(inst, entrant)


def test_entry(fault, entry_truth):
    inst, entrant = load_entry_instance("instances/entry_two_types.json")
    res = solve_entry(inst, entrant)
    if fault == "timeout":
        assert res.status is EntryStatus.UNKNOWN
        return
    assert entry_truth.status is EntryStatus.OPTIMAL
    assert res.status is EntryStatus.OPTIMAL
    assert res.evaluation.objective == pytest.approx(entry_truth.evaluation.objective, abs=1e-6)
