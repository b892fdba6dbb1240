"""Approximate equilibria: the minimum-regret profile (the smallest epsilon for which an
epsilon-equilibrium exists), by the exact searches with a tolerance epsilon, by MILP row
generation, or by enumeration.

The search method (:func:`min_regret_search`, formulations/min_regret.md "By search") asks the
support search of formulations/search.md (hardmax) or the count-vector search of
formulations/logit_search.md (logit), with EQ_TOL read as epsilon, for a profile better than the
best verified one, until a complete search proves that none is.

Implements the loop of formulations/min_regret.md. The MILP minimizes epsilon over the relaxation
of formulations/equilibrium.md (hardmax) or formulations/logit.md (logit choice) in which every
no-profitable-deviation row is loosened by epsilon.
Its optimum epsilon* is a lower bound on the true minimum regret (the rows are valid); the exact
regret r(n*) of its profile n* is an upper bound. Each run adds the rows of every deviation of n*
gaining more than epsilon* (or, when none is new, keeps n* as incumbent and cuts it off with a
no-good) until the best verified regret meets the bound; two configurations must agree that
nothing is strictly better (milp_market/certify.py, :class:`MinRegretProblem`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from . import game
from .certify import (
    CUTOFF_DELTA,
    Certified,
    Run,
    VerificationError,
    certified_search,
    solver_pair,
    time_left,
)
from .deadline import DeadlineReached, hard_deadline
from .enumeration import count_vectors
from .instance import Instance, make_instance
from .orchestrate import check_seconds, equilibrium_milp
from .results import RegretStatus, SolveStatus, _json_num


@dataclass(frozen=True)
class MinRegretResult:
    """The minimum-regret profile: the closest a market comes to a pure equilibrium.

    Attributes
    ----------
    status : RegretStatus
        ``OPTIMAL`` when ``epsilon`` is proven minimal (to within the method's tolerance: the
        search's max(EQ_TOL, 1e-9 x the largest platform utility), the MILP's 2e-6 of its unit),
        ``UNKNOWN`` after a limit or a solver failure.
    counts : tuple of int or None
        The profile found (count vector over the models), None when none was found.
    epsilon : float
        Its exact max regret (``game.max_regret``): the largest gain any platform gets by
        deviating; 0 at a pure equilibrium, inf without a profile.
    bound : float
        A proven lower bound on the minimum regret over all profiles.
    mean_utility : float
        The mean platform utility at ``counts``; ``relative_epsilon`` is ``epsilon`` divided
        by it.
    method : str
        ``"search"``, ``"milp"``, ``"enumerate"`` or ``"equilibrium"`` (a known equilibrium was
        given).
    seconds : float

    Examples
    --------
    ``instances/no_equilibrium.json`` (models A, B, C; 2 platforms) has no pure equilibrium;
    at its best profile, both platforms on C, one of them still gains 0.1956 by switching:

    >>> from milp_market import load_instance
    >>> res = min_regret_enumerate(load_instance("instances/no_equilibrium.json"))
    >>> res.counts, round(res.epsilon, 4), round(res.bound, 4), round(res.relative_epsilon, 4)
    ((0, 0, 2), 0.1956, 0.1956, 0.6188)
    """

    status: RegretStatus
    counts: tuple[int, ...] | None
    epsilon: float  # exact max regret of `counts` (verified by game.max_regret)
    bound: float  # proven lower bound on the minimum regret
    mean_utility: float  # mean platform utility at `counts`
    method: str
    seconds: float

    @property
    def relative_epsilon(self) -> float:
        if self.mean_utility > 0:
            return self.epsilon / self.mean_utility
        # every platform earns 0: no gain is 0 relative to it (an all-zero game, where every profile
        # is an equilibrium, gave inf for 0/0: found by a new-user trial), any gain is infinite
        return 0.0 if self.epsilon <= 0 else math.inf

    def to_dict(self, inst: Instance) -> dict:
        return {
            "status": self.status.value,
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


def min_regret_enumerate(inst: Instance, max_seconds: float | None = None) -> MinRegretResult:
    """The minimum-regret profile by enumerating every count vector (formulations/min_regret.md,
    "By search": its enumeration baseline).

    Each batch of count vectors is screened first (:func:`enumeration.batch_screen`): the largest
    entry payoff minus the smallest utility in use is a lower bound on a profile's max regret, so
    a profile whose bound exceeds the best regret found (by more than the rounding of the sums)
    cannot be better and is skipped; every other profile's regret is computed exactly by
    :func:`game.max_regret`.

    Parameters
    ----------
    inst : Instance
        The market (C(M+N-1, N) profiles: small markets only).
    max_seconds : float, optional
        Stop after this many seconds: the result is then ``UNKNOWN``, with the best profile of
        those enumerated and bound 0 (an incomplete enumeration proves no lower bound).

    Returns
    -------
    MinRegretResult
        ``OPTIMAL`` with ``bound == epsilon`` when complete; among profiles of equal regret, the
        first in enumeration order.

    Examples
    --------
    >>> from milp_market import load_instance
    >>> res = min_regret_enumerate(load_instance("instances/ties.json"))
    >>> res.counts, res.epsilon, res.method  # AAB, an exact equilibrium of the ties market
    ((2, 1, 0, 0), 0.0, 'enumerate')
    """
    res, _, _ = _enumerate_regret(inst, max_seconds)
    return res


def _enumerate_regret(inst: Instance, max_seconds: float | None = None) -> tuple[MinRegretResult, int, int]:
    """:func:`min_regret_enumerate`, with the count vectors checked and their total."""
    from .enumeration import _screen_slack, batch_screen, batch_size

    t0 = time.perf_counter()
    M, N = inst.n_models, inst.platforms
    total = game.n_profiles(M, N)
    # the screen's gap is a lower bound on the regret to within this (its two sums' rounding)
    slack = _screen_slack(game.utility_weights(inst), 0.0)
    batch = batch_size(inst)
    best, best_r = None, math.inf
    checked, complete = 0, True
    for C in count_vectors(M, N, batch):
        _, _, gap = batch_screen(inst, C)
        for p in np.flatnonzero(gap <= best_r + slack):
            if gap[p] > best_r + slack:  # best_r fell within this batch
                continue
            r = game.max_regret(inst, C[p])
            if r < best_r - 1e-12:
                best, best_r = tuple(int(c) for c in C[p]), r
        checked += len(C)
        if max_seconds is not None and time.perf_counter() - t0 > max_seconds and checked < total:
            complete = False
            break
    status, bound = (RegretStatus.OPTIMAL, best_r) if complete else (RegretStatus.UNKNOWN, 0.0)
    res = MinRegretResult(status, best, best_r, bound, _mean_utility(inst, best), "enumerate", time.perf_counter() - t0)
    return res, checked, total


#: Relative precision of :func:`min_regret_search`: it stops when the best verified regret is
#: within this fraction of the largest platform utility (and at least EQ_TOL) of the proven lower
#: bound. The MILP's own tolerance is 2e-6 of its unit (formulations/min_regret.md).
SEARCH_REL_TOL = 1e-9

#: Probes of :func:`min_regret_search` (formulations/min_regret.md, "By search"): while the proven
#: range [bound, regret] is wider than ``PROBE_GAP`` times the regret, a search in its middle gets
#: at most ``PROBE_SECONDS`` and at most ``PROBE_SHARE`` of the time left; after
#: ``PROBE_TIMEOUTS`` probes stopped by that budget, the descent is top-down only.
PROBE_GAP = 0.1
PROBE_SECONDS = 2.0
PROBE_SHARE = 0.1
PROBE_TIMEOUTS = 2


def _search_tol(inst: Instance) -> float:
    """The precision of :func:`min_regret_search`: ``SEARCH_REL_TOL`` times the largest platform
    utility (no deviation gains more), at least EQ_TOL."""
    return max(game.EQ_TOL, SEARCH_REL_TOL * float(game.utility_weights(inst).sum(axis=1).max()))


def min_regret_search(inst: Instance, time_limit: float | None = None) -> MinRegretResult:
    """The minimum-regret profile by the exact searches (formulations/min_regret.md, "By search").

    Each step asks the support search (hardmax, formulations/search.md) or the count-vector
    search (logit, formulations/logit_search.md), with EQ_TOL read as epsilon, for one
    epsilon-equilibrium. A profile found becomes the incumbent, with its exact
    ``game.max_regret``; a complete search that finds none proves that every profile's regret
    exceeds epsilon, which becomes the bound. While the proven range is wide, *probes* with small
    budgets try its middle (``PROBE_GAP``, ``PROBE_SECONDS``); then epsilon = the best regret found
    minus ``tol`` (``tol`` = ``SEARCH_REL_TOL`` times the largest platform utility, at least
    EQ_TOL), and when that search finds none the incumbent is ``OPTIMAL`` to within ``tol``. At the
    limit: ``UNKNOWN`` with the incumbent and the bound proven so far. The first incumbent is the
    greedy max-coverage support (search.md, Lemma 5(c)).

    Parameters
    ----------
    inst : Instance
        The market (hardmax or logit choice).
    time_limit : float, optional
        Seconds for all the searches.

    Returns
    -------
    MinRegretResult
        ``method`` is ``"search"``; ``bound`` is the proven lower bound.

    Examples
    --------
    >>> from milp_market import load_instance
    >>> res = min_regret_search(load_instance("instances/no_equilibrium.json"))
    >>> res.status.value, res.counts, round(res.epsilon, 4), res.epsilon - res.bound < 1e-6
    ('optimal', (0, 0, 2), 0.1956, True)
    """
    from .logit_search import LogitSearch
    from .search import SupportSearch, _greedy_support, support_profile

    def search(eps, left):
        """One epsilon-equilibrium, or a proof that there is none (complete and empty)."""
        if inst.choice == "hardmax":
            # no existence witnesses (search.md): the decision step asks for epsilon-equilibria,
            # and its timings in reports/min-regret-benchmarks.md were measured without them
            return SupportSearch(inst, epsilon=eps).run(time_limit=left, max_equilibria=1, social_optimum=False, witnesses=False)
        return LogitSearch(inst, epsilon=eps).run(time_limit=left, max_equilibria=1)

    def smallest_regret(found, best, best_r):
        """Every profile a search returns passed game.is_equilibrium(tol=eps); its regret is
        computed again here, exactly, and only a smaller one replaces the incumbent."""
        for n in found:
            r = game.max_regret(inst, n)
            if r < best_r:
                best, best_r = n, r
        return best, best_r

    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + time_limit
    # Load the compiled kernels (0.3-0.6 s; in a fresh installation their compilation, tens of
    # seconds) on a one-model market before the first probe, whose small budget is for its
    # search (found by review). The time counts towards the limit, as it did in the first step.
    tiny = make_instance(np.ones((1, 1)), np.ones(1), 1, choice=inst.choice, beta=inst.beta)
    if inst.choice == "hardmax":
        SupportSearch(tiny).run(social_optimum=False, witnesses=False, threads=1)
    else:
        LogitSearch(tiny).run()
    tol = _search_tol(inst)
    ww = inst.masses[None, :] * inst.scores
    U = _greedy_support(ww, np.arange(inst.n_models), min(inst.platforms, inst.n_models))
    best = support_profile(inst.n_models, inst.platforms, U)
    best_r = game.max_regret(inst, best)
    lo = 0.0
    status = RegretStatus.OPTIMAL
    timeouts = 0
    hard = 0.0  # the largest epsilon whose probe stopped at its budget (undecided)
    while best_r - lo > tol:
        left = time_left(deadline)
        if left is not None and left <= 0:
            status = RegretStatus.UNKNOWN
            break
        top_down = max(game.EQ_TOL, best_r - tol)
        floor = max(lo, hard)
        if timeouts < PROBE_TIMEOUTS and best_r - floor > PROBE_GAP * best_r:
            # A probe in the middle of the range still open. A search stops at its first
            # epsilon-equilibrium, whose regret is usually just below epsilon, so top-down steps
            # alone can crawl (LiveBench at N = 20: 0.0373, 0.0356, 0.0340, 0.0338 in 58 s, with
            # the minimum below 0.006); a probe that finds one halves the regret at once, and one
            # that proves there is none raises the bound. Both are exact; only the budget is small,
            # and a probe stopped by it (near the minimum, where proofs cost most) moves the next
            # one up, towards profiles that are easier to find.
            eps = max(game.EQ_TOL, best_r / 2 if floor <= 0 else (floor + best_r) / 2)
            if eps < top_down:
                budget = PROBE_SECONDS if left is None else min(PROBE_SECONDS, PROBE_SHARE * left)
                res = search(eps, budget)
                if res.equilibria:
                    best, best_r = smallest_regret(res.equilibria, best, best_r)
                elif res.complete:
                    lo = eps  # proof by exhaustion: every profile's regret exceeds eps
                else:
                    timeouts += 1
                    hard = max(hard, eps)
                continue
        # Ask for a profile better than the incumbent by tol. Searches that find one stop at the
        # first and are cheap; a search that finds none is a complete proof, and those cost the
        # most just below the minimum. This order needs one such proof; bisection needed
        # log2(gap / tol) of them (uniform (50,100,8) seed 0: 190 s by bisection, 15 searches).
        eps = top_down
        res = search(eps, left)
        if res.equilibria:
            best, best_r = smallest_regret(res.equilibria, best, best_r)
        elif res.complete:
            # proof by exhaustion: no profile has regret <= eps = best_r - tol (or EQ_TOL, above
            # it), so the incumbent is within tol of the minimum; stop here rather than compare
            # best_r - lo with tol again, which rounding can leave a hair above tol
            lo = eps
            break
        else:
            status = RegretStatus.UNKNOWN
            break
    return MinRegretResult(status, best, best_r, lo, _mean_utility(inst, best), "search", time.perf_counter() - t0)


def confirm_min_regret_by_milp(inst: Instance, mr: MinRegretResult, time_limit: float | None = None, log=None) -> str:
    """The MILP as a second, independent certificate of a minimum regret the search proved.

    The search's claim is that no profile has a regret below ``mr.epsilon`` by more than its
    tolerance. The MILP of formulations/min_regret.md is asked, with one HiGHS configuration, for a profile
    of regret below ``mr.epsilon`` by CUTOFF_DELTA in its unit (a larger margin than the
    search's). ``"agrees"``: the MILP proves there is none, or its profile's exact regret is at
    least ``mr.epsilon`` minus the search's tolerance (one let in by HiGHS's own tolerances).
    Otherwise the HiGHS status that stopped it (``"time_limit"``, ...). A profile of smaller
    exact regret raises ``VerificationError``: one of the two methods is wrong.

    Examples
    --------
    >>> from milp_market import load_instance
    >>> inst = load_instance("instances/no_equilibrium.json")
    >>> confirm_min_regret_by_milp(inst, min_regret_search(inst))
    'agrees'
    """
    if mr.counts is None or mr.status is not RegretStatus.OPTIMAL:
        raise ValueError("only a proven minimum regret can be confirmed")
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    tol = _search_tol(inst)
    try:
        with hard_deadline(deadline):
            problem = MinRegretProblem(inst, equilibrium_milp(inst, regret=True))
            problem.set_cutoff(mr.epsilon)
            r = problem.run(solver_pair()[0], deadline, log, "confirm min regret")
    except DeadlineReached:
        return SolveStatus.TIME_LIMIT.value
    if r.candidate is not None and r.value < mr.epsilon - tol:
        raise VerificationError(f"the MILP found the profile {r.candidate} of regret {r.value!r}, below the proven minimum {mr.epsilon!r}")
    if r.status in (SolveStatus.OPTIMAL, SolveStatus.INFEASIBLE):
        return "agrees"
    return r.status.value


def min_regret(inst: Instance, time_limit: float | None = None, method: str = "auto", known_equilibrium=None) -> MinRegretResult:
    """The profile minimizing the largest deviation gain (0 when a pure equilibrium exists).

    ``known_equilibrium``: a profile already known to be an equilibrium (re-checked here); it is
    then the answer, with its exact regret. Without one, the answer is optimal to within the
    method's tolerance, so a game with an equilibrium may get a profile of regret up to it.

    Parameters
    ----------
    inst : Instance
        The market (hardmax or logit choice).
    time_limit : float, optional
        Seconds for the whole method (the searches, or the MILP with its model build); on
        expiry the result is ``UNKNOWN`` with the best profile found so far.
    method : {"auto", "search", "milp", "enumerate"}
        ``"search"`` (what ``"auto"``, the default, runs): :func:`min_regret_search`;
        ``"milp"``: certified MILP row generation (formulations/min_regret.md);
        ``"enumerate"``: :func:`min_regret_enumerate`. Measured
        on the LiveBench task table (126 models, N = 4): the search proves the minimum (0.004375)
        in 0.08 s; the MILP stops at 120 s with an incumbent of 0.077 and no lower bound.
    known_equilibrium : array_like of int, optional
        A profile believed to be an equilibrium; when it is one, it is returned at once.

    Returns
    -------
    MinRegretResult

    Examples
    --------
    A known equilibrium of ``instances/ties.json`` is re-checked and returned without a MILP:

    >>> from milp_market import load_instance
    >>> min_regret(load_instance("instances/ties.json"), known_equilibrium=(2, 1, 0, 0)).method
    'equilibrium'

    Without an equilibrium, the support search (hardmax; ``"auto"``) and the MILP find the
    least unstable profile:

    >>> from milp_market import load_instance
    >>> inst = load_instance("instances/no_equilibrium.json")
    >>> res = min_regret(inst)
    >>> res.status, res.counts, round(res.epsilon, 4), res.method
    (<RegretStatus.OPTIMAL: 'optimal'>, (0, 0, 2), 0.1956, 'search')
    >>> round(min_regret(inst, method="milp").epsilon, 4)
    0.1956
    """
    check_seconds(time_limit)
    t0 = time.perf_counter()
    if known_equilibrium is not None and game.is_equilibrium(inst, known_equilibrium):
        n = tuple(int(c) for c in known_equilibrium)
        r = game.max_regret(inst, n)
        return MinRegretResult(RegretStatus.OPTIMAL, n, r, 0.0, _mean_utility(inst, n), "equilibrium", time.perf_counter() - t0)
    if method not in ("auto", "search", "milp", "enumerate"):
        raise ValueError(f"unknown min-regret method {method!r}; choose from auto, search, milp, enumerate")
    if method == "auto":
        method = "search"
    if method == "enumerate":
        return min_regret_enumerate(inst)
    if method == "search":
        return min_regret_search(inst, time_limit=time_limit)
    deadline = None if time_limit is None else t0 + time_limit
    problem = None
    out = None
    try:
        with hard_deadline(deadline):  # model build and translation count (milp_market.deadline)
            problem = MinRegretProblem(inst, equilibrium_milp(inst, regret=True))
            out = certified_search(problem, deadline=deadline, label="min regret")
    except DeadlineReached:
        pass  # unknown, with the incumbent found so far (kept by the problem)
    inc = problem.best if problem is not None else None
    inc_r = problem.best_regret if problem is not None else math.inf
    if out is not None and out.status is SolveStatus.OPTIMAL:
        status, bound = RegretStatus.OPTIMAL, problem.proven_bound(out)
    else:  # a limit or a solver failure (two configurations calling it infeasible is one)
        status, bound = RegretStatus.UNKNOWN, problem.first_bound() if problem is not None else 0.0
    return MinRegretResult(
        status, inc, inc_r, bound, _mean_utility(inst, inc) if inc is not None else math.nan, "milp", time.perf_counter() - t0
    )


class MinRegretProblem:
    """Minimum regret as a :class:`certify.Certifiable` problem (formulations/min_regret.md).

    Each run closes the gap between the relaxation's optimum epsilon* (scaled back: a lower bound
    on the regret of every profile the cutoff allows, because the relaxation has a subset of the
    rows) and the best exact regret ``game.max_regret`` it has seen: it adds the rows of every
    deviation of the decoded profile gaining more than epsilon*, or a no-good when none is new,
    until they meet within ``tol``. The cutoff asks for a regret below the incumbent's by
    CUTOFF_DELTA in the utilities' unit; the certification engine then needs a second
    configuration to agree that nothing is strictly better.

    Parameters
    ----------
    inst : Instance
        The market.
    formulation
        The epsilon-relaxed equilibrium MILP, ``orchestrate.equilibrium_milp(inst, regret=True)``.

    Examples
    --------
    >>> from milp_market import load_instance
    >>> from milp_market.certify import certified_search
    >>> from milp_market.orchestrate import equilibrium_milp
    >>> inst = load_instance("instances/no_equilibrium.json")
    >>> problem = MinRegretProblem(inst, equilibrium_milp(inst, regret=True))
    >>> out = certified_search(problem)
    >>> out.status.value, out.candidate, round(out.value, 4), out.agreeing
    ('optimal', (0, 0, 2), 0.1956, 2)
    >>> round(problem.proven_bound(out), 4)
    0.1956
    """

    maximize = False

    def __init__(self, inst: Instance, formulation):
        self.inst = inst
        self.f = formulation
        self.scale = formulation.objective_unit
        # the rows' slack makes epsilon* up to this optimistic
        self.tol = max(game.EQ_TOL, 2e-6 * self.scale)
        self.best, self.best_regret = None, math.inf  # across runs (survives a hard deadline)
        self.runs: list[Run] = []

    def set_cutoff(self, value: float | None) -> None:
        self.f.set_cutoff(value)

    def run(self, solver, deadline=None, log=None, label="") -> Run:
        inst, f = self.inst, self.f
        best, best_r = None, math.inf
        bound = 0.0
        it = rows = goods = 0
        solve_s = 0.0

        def stop(status):
            r = Run(status, best, best_r, bound, it, rows, goods, solve_s, solver.name)
            self.runs.append(r)
            return r

        while True:
            left = time_left(deadline)
            if left is not None and left <= 0:
                return stop(SolveStatus.TIME_LIMIT)
            t0 = time.perf_counter()
            out = solver.solve(f.model, time_limit=left)
            solve_s += time.perf_counter() - t0
            it += 1
            if out.status is SolveStatus.INFEASIBLE:
                # every profile the cutoff allows was cut off by a no-good, each with its exact
                # regret known: this run's best is its optimum (none: nothing is allowed)
                return stop(SolveStatus.OPTIMAL if best is not None else SolveStatus.INFEASIBLE)
            if out.status is not SolveStatus.OPTIMAL:
                return stop(out.status)
            eps_star = max(0.0, out.objective * self.scale)  # the candidate's relaxed regret
            # the lower bound is the solver's dual bound, not its incumbent's objective: they
            # coincide at a zero gap, and a configuration that stops early must not overstate it
            if math.isfinite(out.bound):
                bound = max(bound, min(eps_star, out.bound * self.scale))
            n = f.decode()
            r = game.max_regret(inst, n)
            if r < best_r:
                best, best_r = n, r
                if r < self.best_regret:
                    self.best, self.best_regret = n, r
            if best_r <= bound + self.tol:
                return stop(SolveStatus.OPTIMAL)
            added = f.add_rows_for(n, eps_star + game.EQ_TOL)
            rows += added
            if not added:
                f.add_no_good(n)
                goods += 1

    def first_bound(self) -> float:
        """A lower bound on the minimum regret from the first run, which had no cutoff, when it
        closed its gap; 0 otherwise."""
        first = self.runs[0] if self.runs else None
        return min(first.bound, first.value) if first is not None and first.status is SolveStatus.OPTIMAL else 0.0

    def proven_bound(self, out: Certified) -> float:
        """The lower bound the certified search proves: profiles the final cutoff excluded have
        regret above the incumbent's minus CUTOFF_DELTA (scaled); the others at least the last
        run's epsilon*."""
        last = out.runs[-1]
        excluded = out.value - CUTOFF_DELTA * self.scale
        allowed = last.bound if last.status is SolveStatus.OPTIMAL and math.isfinite(last.bound) else math.inf
        return max(0.0, self.first_bound(), min(excluded, allowed, out.value))
