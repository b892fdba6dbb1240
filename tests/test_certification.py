"""The certified loop does not trust a single solver configuration: a configuration that wrongly
claims "infeasible" or returns a worse optimum is overruled by the other one."""

import math

import numpy as np
import pytest

import milp_market.certify as certify
from milp_market import make_instance
from milp_market.certify import RowGeneration, certified_search
from milp_market.enumeration import enumerate_profiles
from milp_market.formulations import equilibrium as eqf
from milp_market.formulations.highs import CONFIRM, PersistentHighs, SolveOutcome
from milp_market.generators import generate
from milp_market.orchestrate import solve_market
from milp_market.results import SolveStatus


class ClaimsInfeasible:
    """A solver with a bug: it always answers 'infeasible'."""

    name = "liar"

    def solve(self, model, time_limit=None):
        return SolveOutcome(SolveStatus.INFEASIBLE, False, math.nan, math.nan, 0.0)


def _instance_with_equilibria():
    inst = generate("ties", 5, 4, 3, 7)  # two equilibria, welfare 0.75 and 0.95
    eqs = enumerate_profiles(inst)
    assert sorted(round(w, 9) for w in eqs.welfare) == [0.75, 0.95]
    return inst, eqs


def test_a_false_infeasible_claim_is_overruled():
    inst, eqs = _instance_with_equilibria()
    f = eqf.HardmaxEquilibriumMILP(inst, "max")
    out = certified_search(RowGeneration(inst, f), (ClaimsInfeasible(), PersistentHighs(CONFIRM, name="confirm")))
    assert out.status is SolveStatus.OPTIMAL
    assert abs(out.bound - max(eqs.welfare)) < 1e-9


class ReturnsWorstFirst:
    """A solver with a bug: its first answer is a suboptimal equilibrium claimed optimal."""

    name = "wrong-optimum"

    def __init__(self, inst, worst):
        self.inst, self.worst, self.used = inst, worst, False
        self.real = PersistentHighs(CONFIRM, name="inner")

    def solve(self, model, time_limit=None):
        if self.used:
            return self.real.solve(model, time_limit)
        self.used = True
        for j in range(self.inst.n_models):
            for c in range(self.inst.platforms + 1):
                model.b[j, c].fix(int(c == self.worst[j]))
        out = self.real.solve(model, time_limit)
        for j in range(self.inst.n_models):
            for c in range(self.inst.platforms + 1):
                model.b[j, c].unfix()
        return out


def test_a_wrong_optimum_is_overruled():
    inst, eqs = _instance_with_equilibria()
    worst = eqs.equilibria[min(range(len(eqs.welfare)), key=lambda i: eqs.welfare[i])]
    f = eqf.HardmaxEquilibriumMILP(inst, "max")
    out = certified_search(RowGeneration(inst, f), (ReturnsWorstFirst(inst, worst), PersistentHighs(CONFIRM, name="confirm")))
    assert out.status is SolveStatus.OPTIMAL
    assert abs(out.bound - max(eqs.welfare)) < 1e-9


# ---------------------------------------------------------------- social optimum (issue #12)




def test_a_near_tie_tiny_mass_game_is_certified_like_enumeration():
    # Found by a brute-force checker: a type of mass 6e-9 made the two HiGHS configurations'
    # social optima differ by ~1e-9 and the answer was `unknown` with "a limit was reached"
    # after 0.1 s, while enumeration proved an equilibrium.
    S = np.array([[0.44, 0.42], [0.71, 0.31], [0.51, 0.26], [0.39, 0.53]])
    inst = make_instance(S, np.array([6e-09, 0.5488746554896139]), 3, utility="mass_share")
    milp, enum = solve_market(inst, method="milp"), solve_market(inst, method="enumerate")
    assert milp.status is enum.status
    assert milp.social_optimum_proven
    assert milp.social_optimum.welfare == pytest.approx(enum.social_optimum.welfare, abs=1e-9)
    assert milp.price_of_anarchy == pytest.approx(enum.price_of_anarchy, rel=1e-8)


class _SuboptimalSocialOptimum:
    """Fault injection: the 'primary' configuration claims a one-model placement (model
    ``worst``) optimal."""

    worst = 0

    def __init__(self, opts, threads=None, name=""):
        self.name = name
        self.real = PersistentHighs(opts, threads, name=name)

    def solve(self, model, time_limit=None):
        if self.name != "primary" or "social_optimum" not in model.name:
            return self.real.solve(model, time_limit)
        for j in model.xv:
            model.xv[j].fix(int(j == self.worst))
        try:
            return self.real.solve(model, time_limit)
        finally:
            for j in model.xv:
                model.xv[j].unfix()


class _NoSocialOptimum(_SuboptimalSocialOptimum):
    """Fault injection: the 'confirm' configuration fails on the social optimum."""

    def solve(self, model, time_limit=None):
        if self.name == "confirm" and "social_optimum" in model.name:
            return SolveOutcome(SolveStatus.ERROR, False, math.nan, math.nan, 0.0)
        return self.real.solve(model, time_limit)


@pytest.mark.parametrize("fault,settled_by", [
    (_SuboptimalSocialOptimum, "found a strictly better answer"),  # the other configuration overrules it
    (_NoSocialOptimum, "max-coverage"),  # no agreement possible: the exact max-coverage search
])
def test_a_wrong_or_failing_social_optimum_configuration_is_settled_exactly(monkeypatch, fault, settled_by):
    inst = generate("uniform", 6, 5, 3, 4)
    enum = solve_market(inst, method="enumerate")
    monkeypatch.setattr(fault, "worst", int(np.argmin((inst.masses[None, :] * inst.scores).sum(axis=1))))
    monkeypatch.setattr(certify, "PersistentHighs", fault)
    logs = []
    res = solve_market(inst, method="milp", log=logs.append)
    assert any(settled_by in line for line in logs), logs
    assert res.status is enum.status
    assert res.social_optimum_proven
    assert res.social_optimum.welfare == pytest.approx(enum.social_optimum.welfare, abs=1e-9)


def test_a_race_that_ends_at_the_limit_merges_what_each_side_proved():
    import json

    from milp_market import game
    from milp_market.orchestrate import _merge_unknown
    from milp_market.results import Extreme, MarketResult, Status

    inst, eqs = _instance_with_equilibria()
    lo, hi = (eqs.equilibria[i] for i in sorted(range(2), key=lambda i: eqs.welfare[i]))
    so = game.summarize(inst, eqs.social_optimum)

    def result(best, worst, best_bound, so_proven, method):
        return MarketResult(
            Status.UNKNOWN, Extreme(game.summarize(inst, best), best_bound, False),
            Extreme(game.summarize(inst, worst), math.nan, False), so, so_proven, method, 1.0, True, {"x": method},
        )

    milp = result(lo, lo, 0.99, True, "milp")  # proved a bound and the social optimum
    enum = result(hi, lo, game.welfare(inst, hi), False, "enumerate")  # found the better equilibrium
    out = _merge_unknown(inst, {"milp": milp, "enumerate": enum})
    assert out.status is Status.UNKNOWN
    # enumeration's incumbent; it reaches the MILP's proven social optimum, so it is the best
    # equilibrium (formulations/welfare_bounds.md, W2), and the worst is bounded by half of it (W1)
    assert out.best.profile.counts == hi and so.welfare == game.welfare(inst, hi)
    assert out.best.proven and out.best.bound == so.welfare
    assert out.worst.profile.counts == lo and out.worst.bound == game.anarchy_floor(inst, so.welfare)
    # without a proven optimum the best keeps the MILP's bound
    unproven = _merge_unknown(inst, {"milp": result(lo, lo, 0.99, False, "milp"), "enumerate": enum})
    assert unproven.best.profile.counts == hi and unproven.best.bound == 0.99 and not unproven.best.proven
    assert out.social_optimum_proven
    assert set(out.stats["race"]) == {"milp", "enumerate"}
    assert "both" in out.proof
    json.loads(json.dumps(out.to_dict(inst)), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))


def test_only_a_proven_infeasible_is_infeasible():
    # Pyomo documents locallyInfeasible as no proof; only provenInfeasible may end a loop with
    # "no equilibrium". Every unmapped condition is an error (unknown), never a proof.
    from pyomo.contrib.solver.common.results import TerminationCondition

    from milp_market.formulations.highs import _TERMINATION

    proofs = [tc for tc, st in _TERMINATION.items() if st is SolveStatus.INFEASIBLE]
    assert proofs == [TerminationCondition.provenInfeasible]
    assert _TERMINATION[TerminationCondition.locallyInfeasible] is SolveStatus.ERROR


def test_a_race_whose_children_never_answer_ends_unknown_after_the_grace(monkeypatch):
    # A forked child can deadlock (native solver threads in the parent): the race must not hang.
    import time

    import milp_market.orchestrate as orch
    from milp_market.results import Status

    def stuck(conn, method, inst, time_limit):
        time.sleep(120)

    monkeypatch.setattr(orch, "_run_in_child", stuck)
    monkeypatch.setattr(orch, "RACE_GRACE", 1.0)
    inst, _ = _instance_with_equilibria()
    t0 = time.perf_counter()
    res = orch.race(inst, time_limit=1.0)
    assert res.status is Status.UNKNOWN and "neither process answered" in res.stats["unknown_reason"]
    assert time.perf_counter() - t0 < 60
