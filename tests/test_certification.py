"""The certified loop does not trust a single solver configuration: a configuration that wrongly
claims "infeasible" or returns a worse optimum is overruled by the other one."""

import math

from milp_market.enumeration import enumerate_profiles
from milp_market.formulations import equilibrium as eqf
from milp_market.formulations.highs import CONFIRM, SolveOutcome
from milp_market.formulations.highs import PersistentHighs
from milp_market.generators import generate
from milp_market.results import SolveStatus
from milp_market.solve import certified_loop


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
    m = eqf.build_equilibrium_model(inst, "max")
    out = certified_loop(inst, m, (ClaimsInfeasible(), PersistentHighs(CONFIRM, name="confirm")))
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
    m = eqf.build_equilibrium_model(inst, "max")
    out = certified_loop(inst, m, (ReturnsWorstFirst(inst, worst), PersistentHighs(CONFIRM, name="confirm")))
    assert out.status is SolveStatus.OPTIMAL
    assert abs(out.bound - max(eqs.welfare)) < 1e-9
