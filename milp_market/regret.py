"""Approximate equilibria: the minimum-regret profile (the smallest epsilon for which an
epsilon-equilibrium exists), by MILP row generation or by enumeration.

Implements the loop of formulations/min_regret.md. The MILP minimizes epsilon over the relaxation
of formulations/equilibrium.md (hardmax) or formulations/logit.md (logit choice) in which every
no-profitable-deviation row is loosened by epsilon.
Its optimum epsilon* is a lower bound on the true minimum regret (the rows are valid); the exact
regret r(n*) of its profile n* is an upper bound. The loop adds the rows of every deviation of n*
gaining more than epsilon* (or, when none is new, keeps n* as incumbent and cuts it off with a
no-good) until the best verified regret meets the bound.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from . import game
from .certify import solver_pair
from .deadline import DeadlineReached, hard_deadline
from .enumeration import count_vectors
from .instance import Instance
from .orchestrate import build_equilibrium, formulation
from .results import RegretStatus, SolveStatus, _json_num


@dataclass(frozen=True)
class MinRegretResult:
    status: RegretStatus
    counts: tuple[int, ...] | None
    epsilon: float  # exact max regret of `counts` (verified by game.max_regret)
    bound: float  # proven lower bound on the minimum regret
    mean_utility: float  # mean platform utility at `counts`
    method: str
    seconds: float

    @property
    def relative_epsilon(self) -> float:
        return self.epsilon / self.mean_utility if self.mean_utility > 0 else math.inf

    def to_dict(self, inst: Instance) -> dict:
        return {
            "status": self.status,
            # strict JSON: no incumbent gives epsilon inf, written "inf" (results._json_num)
            "epsilon": _json_num(self.epsilon),
            "relative_epsilon": _json_num(self.relative_epsilon),
            "bound": _json_num(self.bound),
            "counts": inst.counts_dict(self.counts) if self.counts is not None else None,
            "method": self.method,
            "seconds": round(self.seconds, 4),
        }


def _mean_utility(inst, counts):
    n = np.asarray(counts)
    return float((n * game.platform_utilities(inst, n)).sum() / inst.platforms)


def min_regret_enumerate(inst: Instance) -> MinRegretResult:
    t0 = time.perf_counter()
    best, best_r = None, math.inf
    for batch in count_vectors(inst.n_models, inst.platforms):
        for n in batch:
            r = game.max_regret(inst, n)
            if r < best_r - 1e-12:
                best, best_r = tuple(int(c) for c in n), r
    return MinRegretResult(RegretStatus.OPTIMAL, best, best_r, best_r, _mean_utility(inst, best), "enumerate", time.perf_counter() - t0)


def min_regret(inst: Instance, time_limit: float | None = None, method: str = "milp", known_equilibrium=None) -> MinRegretResult:
    """The profile minimizing the largest deviation gain (0 when a pure equilibrium exists).

    ``known_equilibrium``: a profile already known to be an equilibrium (re-checked here); it is
    then the answer, with its exact regret. Without one, the MILP's answer is optimal to within
    ``tol`` below, so a game with an equilibrium may get a profile of regret up to ``tol``.

    Examples
    --------
    >>> from milp_market import load_instance
    >>> res = min_regret(load_instance("instances/no_equilibrium.json"))
    >>> res.status, res.counts, round(res.epsilon, 4)
    (<RegretStatus.OPTIMAL: 'optimal'>, (0, 0, 2), 0.1956)
    """
    t0 = time.perf_counter()
    if known_equilibrium is not None and game.is_equilibrium(inst, known_equilibrium):
        n = tuple(int(c) for c in known_equilibrium)
        r = game.max_regret(inst, n)
        return MinRegretResult(RegretStatus.OPTIMAL, n, r, 0.0, _mean_utility(inst, n), "equilibrium", time.perf_counter() - t0)
    if method == "enumerate":
        return min_regret_enumerate(inst)
    deadline = None if time_limit is None else t0 + time_limit
    state = {"inc": None, "inc_r": math.inf, "closed": {}}
    try:
        with hard_deadline(deadline):  # model build and translation count (milp_market.deadline)
            _min_regret_loop(inst, deadline, state)
    except DeadlineReached:
        pass  # unknown, with the incumbent found so far
    inc, inc_r, closed = state["inc"], state["inc_r"], state["closed"]
    bound = min(closed.values()) if closed else 0.0
    status = RegretStatus.OPTIMAL if inc is not None and len(closed) == 2 else RegretStatus.UNKNOWN
    return MinRegretResult(
        status, inc, inc_r, bound, _mean_utility(inst, inc) if inc is not None else math.nan, "milp", time.perf_counter() - t0
    )


def _min_regret_loop(inst: Instance, deadline, state: dict) -> None:
    """min_regret's certified loop; what it proves is kept in ``state`` (inc, inc_r, closed)
    as it goes, so that a deadline interrupting it loses nothing already found."""
    m = build_equilibrium(inst, regret=True)
    fm = formulation(inst)
    d = m.data
    tol = max(game.EQ_TOL, 2e-6 * d.scale)  # the rows' slack makes epsilon* up to this optimistic
    inc, inc_r = None, math.inf
    closed = state["closed"]  # configuration -> the lower bound with which it closed the gap
    # Both solver configurations must close the gap on their own (see orchestrate.certified_loop). A
    # configuration that calls the model infeasible before any incumbent exists is wrong (every
    # profile fits the rows with epsilon = its own regret): HiGHS has done so under PRIMARY, so
    # the other configuration takes its turn and the failed one gets a second one after it.
    primary, confirm = solver_pair()
    for solver in (primary, confirm, primary, confirm):
        if len(closed) == 2:
            break
        if solver.name in closed:
            continue
        bound = 0.0
        gap_closed = stopped = False
        while True:
            left = None if deadline is None else deadline - time.perf_counter()
            if left is not None and left <= 0:
                stopped = True
                break
            out = solver.solve(m, time_limit=left)
            if out.status is SolveStatus.INFEASIBLE:
                gap_closed = inc is not None  # every profile but the incumbent was cut off
                bound = inc_r
                break
            if out.status is not SolveStatus.OPTIMAL:
                stopped = True
                break
            eps_star = max(0.0, out.objective * d.scale)
            bound = max(bound, min(eps_star, inc_r))
            n = fm.decode_counts(m)
            r = game.max_regret(inst, n)
            if r < inc_r:
                inc, inc_r = n, r
                state.update(inc=inc, inc_r=inc_r)
            if inc_r <= bound + tol:
                gap_closed = True
                break
            if not fm.add_rows_for_deviations(m, inst, n, eps_star + game.EQ_TOL):
                fm.add_no_good(m, n)
        if gap_closed:
            closed[solver.name] = bound
        elif stopped:
            break
