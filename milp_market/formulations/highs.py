"""Solving a Pyomo model with HiGHS, and mapping its answer through one status table.

HiGHS facts this module handles: its default relative MIP gap is 1e-4, so certified best and worst
answers set it to 0; Pyomo raises on an infeasible model unless told not to; HiGHS has no lazy
callbacks, so row generation (equilibrium.py) re-solves the same persistent model after adding rows.
The two configurations that must agree (PRIMARY, CONFIRM) are formulations/README.md, "Solver
safeguards".
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from ..results import SolveStatus

log = logging.getLogger(__name__)

_TERMINATION = {
    TerminationCondition.convergenceCriteriaSatisfied: SolveStatus.OPTIMAL,
    TerminationCondition.provenInfeasible: SolveStatus.INFEASIBLE,
    # locallyInfeasible is documented by Pyomo as NOT a proof of infeasibility: it must never
    # end a loop as "no equilibrium". Unmapped conditions become ERROR (unknown) below.
    TerminationCondition.locallyInfeasible: SolveStatus.ERROR,
    TerminationCondition.maxTimeLimit: SolveStatus.TIME_LIMIT,
    TerminationCondition.iterationLimit: SolveStatus.TIME_LIMIT,
    TerminationCondition.interrupted: SolveStatus.TIME_LIMIT,
}

#: Options for certified answers: no optimality gap; small coefficients are kept (the builders scale
#: coefficients so the largest is 1, but masses times scores can still be tiny).
CERTIFY_OPTIONS = {
    "mip_rel_gap": 0.0,
    "mip_abs_gap": 1e-10,
    "small_matrix_value": 1e-12,
    "mip_feasibility_tolerance": 1e-7,
    "output_flag": False,
}

#: HiGHS returned "infeasible" for feasible equilibrium models (points verified row by row) and
#: wrong optima, in ways that depend on its configuration: presolve (probing, aggregator, parallel
#: rows) in one case, the cut pool with presolve off in another (formulations/README.md, "Solver
#: safeguards"). No exact check can catch a wrong "infeasible", so every claim that ends a
#: row-generation loop must be reproduced by a second configuration (certify.certified_search).
#: PRIMARY is the fast one (presolve without the probing rule that 1.16 gets wrong); CONFIRM runs
#: presolve without the aggregator, parallel-rows, probing and enumeration rules (bits 12, 13, 15,
#: 16), with another random seed.
PRIMARY = {"presolve_rule_off": 1 << 15}
CONFIRM = {"presolve_rule_off": (1 << 12) | (1 << 13) | (1 << 15) | (1 << 16), "random_seed": 1}


@dataclass(frozen=True)
class SolveOutcome:
    """One HiGHS solve: mapped status, whether a solution was loaded, the incumbent objective
    (nan when none), the best proven bound and the solver's wall time (scaled model units).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> from milp_market.formulations.social_optimum import SocialOptimumMILP
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> f = SocialOptimumMILP(inst)
    >>> out = PersistentHighs().solve(f.model)
    >>> out.status.value, out.has_solution, round(out.objective * f.objective_unit, 6)
    ('optimal', True, 0.92)
    >>> out.bound == out.objective
    True
    """

    status: SolveStatus
    has_solution: bool
    objective: float  # incumbent objective (nan when none)
    bound: float  # best proven bound on the objective
    seconds: float


class PersistentHighs:
    """One HiGHS instance attached to one Pyomo model; re-solves pick up added rows.

    Parameters
    ----------
    options : dict, optional
        HiGHS options on top of ``CERTIFY_OPTIONS`` (default ``PRIMARY``; ``CONFIRM`` for the
        second configuration).
    threads : int, optional
        HiGHS threads (None: HiGHS chooses).
    name : str
        A label for logs and ``certify.Run.solver``.

    Examples
    --------
    The social optimum of a generalist/specialist market, under the confirming configuration:

    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> from milp_market.formulations.social_optimum import SocialOptimumMILP
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> f = SocialOptimumMILP(inst)
    >>> solver = PersistentHighs(CONFIRM, threads=1, name="confirm")
    >>> out = solver.solve(f.model, time_limit=10)
    >>> solver.name, out.status.value, f.decode()
    ('confirm', 'optimal', (1, 1))
    """

    def __init__(self, options: dict | None = None, threads: int | None = None, name: str = "primary"):
        self.solver = Highs()
        self.options = dict(PRIMARY if options is None else options)
        self.threads = threads
        self.name = name

    def solve(self, model, time_limit: float | None = None) -> SolveOutcome:
        opts = {**CERTIFY_OPTIONS, **self.options}
        res = self.solver.solve(
            model,
            load_solutions=False,
            raise_exception_on_nonoptimal_result=False,
            time_limit=None if time_limit is None else max(0.01, float(time_limit)),
            threads=self.threads,  # None lets HiGHS choose
            solver_options=opts,
        )
        status = _TERMINATION.get(res.termination_condition)
        if status is None:
            log.warning("HiGHS ended with %s; reported as unknown", res.termination_condition)
            status = SolveStatus.ERROR
        has = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
        if has:
            res.solution_loader.load_vars()
        obj = res.incumbent_objective if (has and res.incumbent_objective is not None) else math.nan
        bound = res.objective_bound if res.objective_bound is not None else math.nan
        secs = float(res.timing_info.wall_time) if getattr(res.timing_info, "wall_time", None) else math.nan
        return SolveOutcome(status, has, obj, bound, secs)
