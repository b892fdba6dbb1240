"""The protocol every MILP of formulations/ follows, and the base class of the count-vector MILPs.

A formulation is an object that builds its Pyomo model once (``model``) and owns the state of
its row-generation loop (which deviation rows, tangents or witness blocks are in): nothing is
stored as attributes on the Pyomo model. The certification engine (milp_market/certify.py) drives
any formulation through this protocol; the pages in formulations/ name the classes:

=====================================  ==============================  ============================
class                                  page                            answers
=====================================  ==============================  ============================
``equilibrium.HardmaxEquilibriumMILP``  formulations/equilibrium.md     best/worst equilibrium
``logit.LogitEquilibriumMILP``          formulations/logit.md           same, logit choice
``social_optimum.SocialOptimumMILP``    formulations/social_optimum.md  social optimum (hardmax)
``logit.LogitSocialOptimumMILP``        formulations/logit.md           social optimum (logit)
(``regret=True`` on the first two)      formulations/min_regret.md      minimum regret
``entry.EntryMILP``                     formulations/entry.md           optimal entrant profile
=====================================  ==============================  ============================
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pyomo.environ as pyo

#: Objective units (scaled so the largest coefficient is 1) by which a run after an incumbent
#: must beat it (the cutoff rows): certified optima are optimal to within this times the unit.
CUTOFF_DELTA = 1e-6


@runtime_checkable
class Formulation(Protocol):
    """What the certification engine needs from a MILP (milp_market/certify.py).

    ``page`` names the formulations/ page stating the model; ``model`` is the Pyomo model, built
    once; ``objective_unit`` converts the model's scaled objective to the exact quantity;
    ``decode`` reads the candidate (a count vector) from the current solution;
    ``add_rows_for`` adds the rows that cut a candidate off (their number);
    ``add_no_good`` excludes exactly one candidate; ``set_cutoff`` asks for strictly better.

    Examples
    --------
    Every count-vector MILP of formulations/ satisfies the protocol (checked structurally;
    ``entry.EntryMILP``, driven by ``entry.EntryProblem``, shares only ``page``, ``model``,
    ``decode``, ``set_cutoff`` and ``objective_unit``):

    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> from milp_market.formulations.equilibrium import HardmaxEquilibriumMILP
    >>> f = HardmaxEquilibriumMILP(inst, "max", False)
    >>> isinstance(f, Formulation), f.page, f.maximize, f.objective_unit
    (True, 'formulations/equilibrium.md', True, 0.6)
    """

    page: str  # the formulations/ page that states the model
    model: pyo.ConcreteModel

    @property
    def maximize(self) -> bool: ...

    @property
    def objective_unit(self) -> float: ...  # model objective x unit = the exact quantity

    def decode(self): ...  # the candidate in the current solution

    def add_rows_for(self, candidate, threshold: float) -> int: ...  # rows that cut it off

    def add_no_good(self, candidate) -> None: ...  # exclude exactly this candidate

    def set_cutoff(self, value: float | None) -> None: ...  # only strictly better than value


class CountVectorMILP:
    """Shared by the MILPs over the one-hot count variables b[j, c] (c platforms on model j):
    decoding, the no-good cut, the welfare cutoff rows W >= W_floor / W <= W_ceiling, and the
    checks the tests use (a profile's intended point, violated rows).

    Examples
    --------
    The welfare-best equilibrium of a generalist/specialist market is one platform on each
    (welfare 0.92); after a no-good cut on it, the next is both on the specialist, and with the
    sense set to ``"min"`` and both cut off, no equilibrium is left:

    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> from milp_market.formulations.equilibrium import HardmaxEquilibriumMILP
    >>> from milp_market.formulations.highs import PersistentHighs
    >>> f = HardmaxEquilibriumMILP(inst, "max", False)
    >>> out = PersistentHighs().solve(f.model)
    >>> f.decode(), round(out.objective * f.objective_unit, 6)
    ((1, 1), 0.92)
    >>> f.add_no_good((1, 1))
    >>> _ = PersistentHighs().solve(f.model)
    >>> f.decode(), f.no_goods
    ((0, 2), 1)
    >>> f.set_sense("min")
    >>> f.add_no_good((0, 2))
    >>> PersistentHighs().solve(f.model).status.value
    'infeasible'
    """

    page = ""
    model: pyo.ConcreteModel
    welfare_cap: float  # a proven upper bound on W (scaled)
    regret = False  # True: the min-regret variant (objective epsilon, formulations/min_regret.md)

    def __init__(self):
        self.no_goods = 0

    @property
    def maximize(self) -> bool:
        return self.model.obj.sense == pyo.maximize

    def set_sense(self, sense: str) -> None:
        """``"max"`` (welfare-best) or ``"min"`` (welfare-worst)."""
        self.model.obj.sense = pyo.maximize if sense == "max" else pyo.minimize

    @property
    def objective_unit(self) -> float:
        """Welfare's unit; the utilities' unit for the min-regret variant (its objective is epsilon)."""
        return self.data.scale if self.regret else self.data.welfare_scale

    def decode(self) -> tuple[int, ...]:
        m, M, N = self.model, self.data.M, self.data.N
        return tuple(int(max(range(N + 1), key=lambda c: pyo.value(m.b[j, c]))) for j in range(M))

    def add_no_good(self, counts) -> None:
        """Exclude exactly this count vector."""
        m = self.model
        m.no_good.add(sum(m.b[j, int(c)] for j, c in enumerate(counts)) <= self.data.M - 1)
        self.no_goods += 1

    def _add_cutoff_components(self) -> None:
        m = self.model
        m.W_floor = pyo.Param(mutable=True, initialize=-1.0, doc="certification cutoff: only equilibria better than the incumbent")
        m.W_ceiling = pyo.Param(mutable=True, initialize=self.welfare_cap + 1.0)
        m.cutoff_floor = pyo.Constraint(expr=m.W >= m.W_floor)
        m.cutoff_ceiling = pyo.Constraint(expr=m.W <= m.W_ceiling)

    def _set_objective(self, sense: str) -> None:
        """Welfare, maximized (``"max"``) or minimized; the min-regret variant minimizes epsilon
        under the cutoff row epsilon <= eps_ceiling."""
        m = self.model
        if self.regret:
            m.obj = pyo.Objective(expr=m.epsilon, sense=pyo.minimize)
            m.eps_ceiling = pyo.Param(mutable=True, initialize=float(m.epsilon.ub))
            m.cutoff_epsilon = pyo.Constraint(expr=m.epsilon <= m.eps_ceiling)
        else:
            m.obj = pyo.Objective(expr=m.W, sense=pyo.maximize if sense == "max" else pyo.minimize)

    def set_cutoff(self, value: float | None) -> None:
        """Only profiles with welfare better than ``value`` (exact units) by CUTOFF_DELTA in W's
        unit; for the min-regret variant, epsilon below ``value`` (an exact regret) by CUTOFF_DELTA
        in the utilities' unit. None removes the cutoff."""
        m = self.model
        if self.regret:
            m.eps_ceiling.set_value(m.epsilon.ub if value is None else value / self.objective_unit - CUTOFF_DELTA)
            return
        m.W_floor.set_value(-1.0)
        m.W_ceiling.set_value(self.welfare_cap + 1.0)
        if value is None:
            return
        if self.maximize:
            m.W_floor.set_value(value / self.objective_unit + CUTOFF_DELTA)
        else:
            m.W_ceiling.set_value(value / self.objective_unit - CUTOFF_DELTA)

    def row_violations(self, tol: float = 1e-9) -> list[tuple[str, float]]:
        """Rows violated by more than ``tol`` at the current variable values."""
        return row_violations(self.model, tol)


def row_violations(m, tol: float = 1e-9) -> list[tuple[str, float]]:
    """Rows of ``m`` violated by more than ``tol`` at the current variable values.

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        A model whose variables have values (after a solve, or set by hand).
    tol : float, optional

    Returns
    -------
    list of (str, float)
        Constraint names and their violations.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> from milp_market.formulations.social_optimum import SocialOptimumMILP
    >>> from milp_market.formulations.highs import PersistentHighs
    >>> f = SocialOptimumMILP(inst)
    >>> _ = PersistentHighs().solve(f.model)
    >>> row_violations(f.model)  # the solver's point satisfies every row
    []
    """
    bad = []
    for con in m.component_data_objects(pyo.Constraint, active=True):
        body = pyo.value(con.body)
        lo = None if con.lower is None else pyo.value(con.lower)
        up = None if con.upper is None else pyo.value(con.upper)
        viol = max(0.0 if lo is None else lo - body, 0.0 if up is None else body - up)
        if viol > tol:
            bad.append((con.name, viol))
    return bad
