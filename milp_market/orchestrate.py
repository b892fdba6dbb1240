"""Solve orchestration: the full answer for one instance, verified, by one of three methods: the
exact searches (formulations/search.md under hardmax, formulations/logit_search.md under logit;
the default beyond small games), the MILP (formulations/equilibrium.md, logit.md, certified by
certify.py) or enumeration (formulations/enumeration.md); ``choose_method`` picks for ``auto``.

The MILP path runs the row-generation loop of formulations/equilibrium.md: solve the relaxation,
verify its optimum with the exact evaluator, add the rows of every profitable deviation found (or a
no-good cut when those rows are already in), re-solve. Because the model is a relaxation of the
equilibrium set, an infeasible model proves that no equilibrium exists, and a verified optimum is a
certified welfare-best (or -worst) equilibrium. A time limit yields ``unknown`` with the best
verified incumbent and the solver's bound; it never becomes ``no_equilibrium``.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import time
from dataclasses import dataclass, field
from typing import Callable

from . import game
from .certify import (
    CUTOFF_DELTA,
    RowGeneration,
    VerificationError,
    certified_search,
    solver_pair,
    time_left,
)
from .deadline import DeadlineReached, hard_deadline
from .enumeration import enumerate_profiles
from .formulations import equilibrium as eqf
from .formulations.equilibrium import HardmaxEquilibriumMILP
from .formulations.logit import LogitEquilibriumMILP, LogitSocialOptimumMILP
from .formulations.social_optimum import SocialOptimumMILP
from .instance import Instance
from .results import Extreme, ListStatus, MarketResult, SolveStatus, Status, _known_bound

METHODS = ("search", "milp", "enumerate", "auto")

#: Under hardmax choice ``auto`` enumerates outright only below this much work (about 0.1 s), and
#: runs the support search above it: the search was the fastest method on every hardmax benchmark
#: instance beyond that (reports/benchmarks.md); its compiled kernels cost about 0.6 s to load
#: once per process.
AUTO_SEARCH_WORK = 2e6


def equilibrium_milp(inst: Instance, sense: str = "max", regret: bool = False):
    """The equilibrium formulation for the instance's choice rule: formulations/equilibrium.md
    (hardmax) or formulations/logit.md (softmax).

    Parameters
    ----------
    inst : Instance
        The market.
    sense : {"max", "min"}
        Maximize welfare (best equilibrium) or minimize it (worst).
    regret : bool
        Loosen every no-deviation row by a variable epsilon and minimize it (min-regret).

    Returns
    -------
    HardmaxEquilibriumMILP or LogitEquilibriumMILP

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> type(equilibrium_milp(inst)).__name__
    'HardmaxEquilibriumMILP'
    >>> logit = make_instance(inst.scores, inst.masses, 2, choice="softmax", beta=5.0)
    >>> type(equilibrium_milp(logit, "min")).__name__
    'LogitEquilibriumMILP'
    """
    cls = LogitEquilibriumMILP if inst.choice == "softmax" else HardmaxEquilibriumMILP
    return cls(inst, sense, regret)


def social_optimum_milp(inst: Instance):
    """The social-optimum MILP: formulations/social_optimum.md (hardmax) or formulations/logit.md.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> f = social_optimum_milp(inst)
    >>> type(f).__name__
    'SocialOptimumMILP'
    """
    return LogitSocialOptimumMILP(inst) if inst.choice == "softmax" else SocialOptimumMILP(inst)


def welfare_tolerance(inst: Instance) -> float:
    """How far a certified welfare optimum may be from the true optimum: CUTOFF_DELTA in W's
    unit (equilibrium.welfare_unit), twice for the solver's own tolerance, and the game's 1e-9
    (formulations/welfare_bounds.md, "Objects": tol).

    Examples
    --------
    Scores up to 1.0 and masses (0.6, 0.4) give a welfare unit of 0.6:

    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> welfare_tolerance(inst)  # 2 * 1e-6 * 0.6 + 1e-9
    1.201e-06
    """
    return 2 * CUTOFF_DELTA * eqf.welfare_unit(inst) + game.EQ_TOL


def _certified_social_optimum(inst, f, deadline, log, solvers=None):
    """The social optimum by the certification engine (certify.certified_search: strictly better
    placements are asked for until two configurations agree there is none). Under hardmax, a
    search that ends without that agreement (a solver failure, or the limit) is settled by an
    independent exact method, the max-coverage search (search.md, Lemma 5)."""
    out = certified_search(RowGeneration(inst, f, accept=lambda n: True), solvers, deadline, log, "social optimum")
    if out.status is SolveStatus.OPTIMAL:
        return improve_placement(inst, out.candidate, deadline), True
    if inst.choice == "softmax":
        return out.candidate, False
    if log:
        log(f"social optimum: the MILP ended {out.status.value}; resolving by the exact max-coverage search (search.md, Lemma 5)")
    return _resolve_social_optimum(inst, out, deadline, log)


def improve_placement(inst: Instance, counts, deadline=None) -> tuple[int, ...]:
    """Move single platforms while that raises the exact welfare (game.welfare), a polishing
    step for a certified social optimum. The certificate (nothing better than the MILP's answer by
    the cutoff tolerance) is unchanged; this only recovers the sub-tolerance welfare a solver
    tolerance can leave (a type of mass 6e-9 was worth 3.5e-9 of welfare in a test).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.5, 0.5]), 2)
    >>> improve_placement(inst, (2, 0))
    (1, 1)
    """
    n = [int(c) for c in counts]
    w = game.welfare(inst, n)
    improved = True
    while improved and (deadline is None or time.perf_counter() < deadline):
        improved = False
        for j in [j for j in range(inst.n_models) if n[j] > 0]:
            for k in range(inst.n_models):
                if k == j or n[j] == 0:
                    continue
                n[j] -= 1
                n[k] += 1
                w2 = game.welfare(inst, n)
                if w2 > w:
                    w, improved = w2, True
                else:
                    n[j] += 1
                    n[k] -= 1
    return tuple(n)


def _resolve_social_optimum(inst, out, deadline, log):
    """Settle a hardmax social optimum the two HiGHS configurations did not certify, by an
    independent exact method: the max-coverage branch and bound of search.md (Lemma 5), optimal
    to within TIE_TOL <= welfare_tolerance. The MILP's verified incumbent (if any) is kept when
    it is at least as good. Proven when the search completes within the deadline, or when its
    proven upper bound already meets the better profile within ``welfare_tolerance`` (as in
    :func:`solve_search`)."""
    from .search import max_coverage

    mc_counts, mc_w, complete, mc_bound = max_coverage(inst, time_limit=time_left(deadline))
    if log:
        claim = "none" if out.candidate is None else repr(out.value)
        log(f"social optimum: max-coverage {'proves' if complete else 'stopped at the limit with'} {mc_w!r} (MILP incumbent: {claim})")
    counts, w = (out.candidate, out.value) if out.candidate is not None and out.value >= mc_w else (mc_counts, mc_w)
    return counts, complete or mc_bound <= w + welfare_tolerance(inst)


def _summaries(inst, counts):
    return game.summarize(inst, counts) if counts is not None else None


def solve_milp(inst: Instance, time_limit: float | None = None, log: Callable[[str], None] | None = None,
               threads: int | None = None) -> MarketResult:
    """The full answer by the MILPs (formulations/equilibrium.md or logit.md, social_optimum.md),
    every claim reproduced by two HiGHS configurations (certify.certified_search). Model builds
    count against ``time_limit`` (:mod:`milp_market.deadline`): past it, the answer is
    ``unknown`` with what was proven by then. ``threads``: HiGHS threads (None: HiGHS chooses;
    :func:`race` gives its MILP process 1, one core each for HiGHS and the enumeration).

    Parameters
    ----------
    inst : Instance
        The market (hardmax or logit choice).
    time_limit : float, optional
        Wall-clock seconds for all the MILPs, model builds included.
    log : callable, optional
        Receives one line of text per event.
    threads : int, optional
        HiGHS threads.

    Returns
    -------
    MarketResult
        ``method`` is ``"milp"``.

    Examples
    --------
    Two platforms, a generalist model and a specialist: one platform on each is the best
    equilibrium (welfare 0.92), both on the specialist the worst (0.64):

    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> res = solve_milp(inst)
    >>> res.status.value, res.best.counts, res.worst.counts, res.price_of_anarchy
    ('equilibrium', {'generalist': 1, 'specialist': 1}, {'specialist': 2}, 1.4375)
    >>> res.proof
    'MILP optimum over a relaxation of the equilibrium set, verified to be an equilibrium'
    """
    t_start = time.perf_counter()
    deadline = None if time_limit is None else t_start + time_limit
    known: dict = {}
    try:
        with hard_deadline(deadline):
            return _solve_milp(inst, deadline, log, t_start, known, threads)
    except DeadlineReached:
        if log:
            log("MILP: the time limit was reached in Python work (model build or translation)")
        best = known.get("best")
        stats = {"unknown_reason": "the limit was reached while building or solving the MILPs"}
        return _finish(inst, Status.UNKNOWN, best, known.get("worst"), known.get("so_counts"), known.get("so_proven", False),
                       "milp", t_start, stats, [])


def _solve_milp(inst, deadline, log, t_start, known, threads=None) -> MarketResult:
    solvers = solver_pair(threads=threads)
    t0 = time.perf_counter()
    so_f = social_optimum_milp(inst)
    so_build = time.perf_counter() - t0
    so_counts, so_proven = _certified_social_optimum(inst, so_f, deadline, log, solver_pair(threads=threads))
    known.update(so_counts=so_counts, so_proven=so_proven)

    t0 = time.perf_counter()
    f = equilibrium_milp(inst, "max")
    m = f.model
    build_s = time.perf_counter() - t0 + so_build
    problem = RowGeneration(inst, f)
    best = certified_search(problem, solvers, deadline, log, "best")
    stats = {
        "variables": m.nvariables(),
        "constraints": m.nconstraints(),
        "build_seconds": round(build_s, 4),
    }
    if best.status is SolveStatus.INFEASIBLE:
        return _finish(inst, Status.NO_EQUILIBRIUM, None, None, so_counts, so_proven, "milp", t_start, stats, [best])
    if best.status is not SolveStatus.OPTIMAL:
        ext = Extreme(_summaries(inst, best.counts), _known_bound(best.bound, "best"), False)
        stats["unknown_reason"] = _unknown_reason("the best equilibrium", best.status)
        return _finish(inst, Status.UNKNOWN, ext, None, so_counts, so_proven, "milp", t_start, stats, [best])
    known["best"] = Extreme(_summaries(inst, best.counts), best.bound, True)
    f.set_sense("min")
    worst = certified_search(problem, solvers, deadline, log, "worst")
    stats["variables"] = m.nvariables()
    stats["constraints"] = m.nconstraints()
    best_ext = Extreme(_summaries(inst, best.counts), best.bound, True)
    if worst.status is SolveStatus.INFEASIBLE:
        raise VerificationError("worst-equilibrium MILP infeasible after the best one found an equilibrium")
    if worst.status is not SolveStatus.OPTIMAL:
        worst_ext = Extreme(_summaries(inst, worst.counts or best.counts), _known_bound(worst.bound, "worst"), False)
        stats["unknown_reason"] = _unknown_reason("the worst equilibrium", worst.status)
        return _finish(inst, Status.UNKNOWN, best_ext, worst_ext, so_counts, so_proven, "milp", t_start, stats, [best, worst])
    worst_ext = Extreme(_summaries(inst, worst.counts), worst.bound, True)
    status = Status.EQUILIBRIUM if so_proven else Status.UNKNOWN
    if not so_proven:
        stats["unknown_reason"] = "the social optimum was not proven before the limit"
    return _finish(inst, status, best_ext, worst_ext, so_counts, so_proven, "milp", t_start, stats, [best, worst])


def _unknown_reason(what: str, status: SolveStatus) -> str:
    if status is SolveStatus.TIME_LIMIT:
        return f"{what} was not proven before the limit"
    return f"the solver failed ({status.value}) on {what}"


def _bound_extremes(inst, best: Extreme, worst: Extreme | None, so, so_proven: bool, so_bound) -> tuple[Extreme, Extreme | None]:
    """What is still proven about the extreme equilibria when a limit stopped the method after
    it found some (formulations/welfare_bounds.md): no equilibrium beats the social optimum
    (Lemma W2: the best is proven when it reaches a proven optimum), and under hardmax with
    ``score_share`` none has less than half of any profile's welfare (Lemma W1, `game.anarchy_floor`),
    which bounds the worst from below and proves it when it meets the bound. The status stays
    unknown: the list of equilibria is not complete."""
    tol = welfare_tolerance(inst)
    # a proven upper bound on every welfare (the certified optimum is optimal within tol)
    hi = so.welfare + tol if so_proven else (math.inf if so_bound is None else so_bound + tol)
    if not best.proven:
        if so_proven and best.profile.welfare >= so.welfare - tol:
            best = Extreme(best.profile, best.profile.welfare, True)
        else:
            best = Extreme(best.profile, min(_known_bound(best.bound, "best"), hi), False)
    floor = game.anarchy_floor(inst, max(so.welfare, best.profile.welfare))
    if worst is not None and not worst.proven and floor is not None:
        if worst.profile.welfare <= floor + tol:
            worst = Extreme(worst.profile, worst.profile.welfare, True)
        else:
            worst = Extreme(worst.profile, max(_known_bound(worst.bound, "worst"), floor), False)
    return best, worst


def _finish(inst, status, best, worst, so_counts, so_proven, method, t_start, stats, loops, so_bound=None) -> MarketResult:
    verified = True
    for ext in (best, worst):
        if ext is not None and ext.profile is not None:
            if not game.is_equilibrium(inst, ext.profile.counts):
                raise VerificationError(f"returned profile {ext.profile.counts} is not an equilibrium")
    so = _summaries(inst, so_counts)
    if so is not None and best is not None and best.profile is not None and best.profile.welfare > so.welfare:
        # Certified optima are optimal to within CUTOFF_DELTA in W's unit; a better profile found
        # by the equilibrium search becomes the social optimum. Beyond the tolerance it is a bug.
        if so_proven and best.profile.welfare > so.welfare + welfare_tolerance(inst):
            raise VerificationError("an equilibrium has more welfare than the social optimum")
        so = best.profile
    if status is Status.UNKNOWN and best is not None and best.profile is not None and so is not None:
        if worst is None or worst.profile is None:
            # the MILP stopped before its worst-equilibrium run: the worst equilibrium known is
            # the best one, bounded below by 0 (and by Lemma W1 where it holds)
            worst = Extreme(best.profile, 0.0, False)
        best, worst = _bound_extremes(inst, best, worst, so, so_proven, so_bound)
    if loops:
        runs = [r for c in loops for r in c.runs]
        stats = dict(stats)
        stats["iterations"] = sum(lp.iterations for lp in runs)
        stats["deviation_rows"] = sum(lp.rows for lp in runs)
        stats["no_goods"] = sum(lp.no_goods for lp in runs)
        stats["solve_seconds"] = round(sum(lp.solve_seconds for lp in runs), 4)
        stats["solver_runs"] = len(runs)
    return MarketResult(
        status=status,
        best=best,
        worst=worst,
        social_optimum=so,
        social_optimum_proven=so_proven,
        social_optimum_bound=(so.welfare if so_proven and so is not None else so_bound),
        method=method,
        seconds=time.perf_counter() - t_start,
        verified=verified,
        stats=stats,
        instance=inst,
    )


def solve_enumerate(inst: Instance, time_limit: float | None = None, progress=None) -> MarketResult:
    """The full answer by complete enumeration of the count vectors (:func:`enumerate_profiles`).

    A complete enumeration proves the status and both extremes; stopped at ``time_limit`` it
    answers ``unknown`` with what it found.

    Parameters
    ----------
    inst : Instance
        The market (hardmax or logit choice).
    time_limit : float, optional
        Wall-clock seconds.
    progress : callable, optional
        Called as ``progress(checked, total)`` after each batch of profiles.

    Returns
    -------
    MarketResult
        ``method`` is ``"enumerate"``; ``stats`` has ``profiles_checked``, ``profiles_total`` and
        ``equilibria``.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> res = solve_enumerate(inst)
    >>> res.best.counts, res.worst.counts, res.worst.profile.structure, res.stats
    ({'generalist': 1, 'specialist': 1}, {'specialist': 2}, 'homogenized', {'profiles_checked': 3, 'profiles_total': 3, 'equilibria': 2})
    """
    t_start = time.perf_counter()
    res = enumerate_profiles(inst, max_seconds=time_limit, progress=progress)
    stats = {"profiles_checked": res.profiles_checked, "profiles_total": res.profiles_total}
    so_proven = res.complete
    if res.equilibria:
        ib = max(range(len(res.welfare)), key=lambda i: (res.welfare[i], -i))
        iw = min(range(len(res.welfare)), key=lambda i: (res.welfare[i], i))
        best = Extreme(game.summarize(inst, res.equilibria[ib]), res.welfare[ib], res.complete)
        worst = Extreme(game.summarize(inst, res.equilibria[iw]), res.welfare[iw], res.complete)
        status = Status.EQUILIBRIUM if res.complete else Status.UNKNOWN
        stats["equilibria"] = len(res.equilibria)
        if not res.complete:
            stats["unknown_reason"] = "the enumeration stopped at the limit"
        return _finish(inst, status, best, worst, res.social_optimum, so_proven, "enumerate", t_start, stats, [])
    status = Status.NO_EQUILIBRIUM if res.complete else Status.UNKNOWN
    stats["equilibria"] = 0
    if not res.complete:
        stats["unknown_reason"] = "the enumeration stopped at the limit"
    return _finish(inst, status, None, None, res.social_optimum, so_proven, "enumerate", t_start, stats, [])


def _note_cold_kernels(module: str, log) -> None:
    """Say so (``-v``) when this process has not yet loaded the compiled loops of ``module``: the
    first run after installing compiles them, about half a minute with no other progress line."""
    if log is None:
        return
    import importlib

    kernels = importlib.import_module(f".{module}", __package__)
    if not any(getattr(f, "signatures", None) for f in vars(kernels).values() if hasattr(f, "py_func")):
        log("search: loading the compiled loops (the first run after installing compiles them: about half a minute)")


def solve_search(
    inst: Instance, time_limit: float | None = None, log=None, progress=None, confirm: float | None = None, reference: float | None = None
) -> MarketResult:
    """The full answer by exhaustive search: the support search under hardmax choice
    (formulations/search.md), the count-vector search and its social-optimum branch and bound
    under logit choice (formulations/logit_search.md).

    A complete search is a proof by exhaustion over supports: its status and optima stand on
    their own. With ``confirm`` (seconds), the MILP is then asked, independently, the questions
    whose answer the search claims to be "no" (a strictly better / worse equilibrium than the
    search's best / worst, or any equilibrium when the search found none), see
    :func:`confirm_by_milp`; ``stats["milp_confirmation"]`` says how that went. With
    ``reference`` (seconds, hardmax), the plain second implementation of the support search lists
    every equilibrium again (:func:`confirm_by_reference`); ``stats["reference_confirmation"]``.

    Parameters
    ----------
    inst : Instance
        The market (hardmax or logit choice).
    time_limit : float, optional
        Wall-clock seconds for the search.
    log, progress : callable, optional
        A line logger; a callback receiving the number of supports visited.
    confirm : float, optional
        Seconds for the MILP confirmation; ``method`` becomes ``"search+milp"`` when it agrees.
    reference : float, optional
        Seconds for the reference search's confirmation (hardmax; `reference_search`).

    Returns
    -------
    MarketResult

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> res = solve_search(inst, confirm=30)
    >>> res.method, res.stats["milp_confirmation"], res.best.welfare, res.worst.welfare
    ('search+milp', 'agrees', 0.92, 0.64)
    """
    t_start = time.perf_counter()
    _note_cold_kernels("_logit_kernels" if inst.choice == "softmax" else "_search_kernels", log)
    if inst.choice == "softmax":
        from .logit_search import logit_search, logit_social_optimum

        res = logit_search(inst, time_limit=time_limit)
        deadline = None if time_limit is None else t_start + time_limit
        so_counts, so_w, so_done = logit_social_optimum(inst, deadline=deadline)
        res = dataclasses.replace(res, social_optimum=so_counts, social_welfare=so_w, social_complete=so_done)
    else:
        from .search import support_search

        if progress is None and log is not None:
            progress = lambda nodes, weight: log(  # noqa: E731
                f"search: {nodes:,} supports visited, tree weight {weight:.3g} closed"
            )
        res = support_search(inst, time_limit=time_limit, progress=progress)
    stats = {
        "search_nodes": res.nodes,
        "search_pruned": res.pruned,
        "supports_checked": res.supports_checked,
        "profiles_screened": res.profiles_checked,
        "equilibria": len(res.equilibria),
        "search_seconds": round(res.seconds, 4),
    }
    if res.tree_weight is not None:
        # how far the support search got: 1 when complete (search.md, "Progress: the tree weight")
        stats["tree_weight"] = res.tree_weight
    if res.witnesses:
        # equilibria listed from best-response dynamics before the tree found them (search.md,
        # "Existence witnesses")
        stats["witnesses"] = len(res.witnesses)
    if res.first_equilibrium_by is not None:
        stats["first_equilibrium_by"] = res.first_equilibrium_by
    if res.first_equilibrium_seconds is not None:
        # when existence was proven (useful when the search then stops at a limit)
        stats["first_equilibrium_seconds"] = round(res.first_equilibrium_seconds, 4)
    # the two searches' names (their nodes: supports under hardmax, count vectors under logit)
    name, visited = ("count-vector search", "nodes") if inst.choice == "softmax" else ("support search", "supports")
    if log:
        log(f"search: {res.nodes} {visited} visited, {res.pruned} subtrees pruned, {len(res.equilibria)} equilibria, {res.seconds:.3f}s")
    if not res.social_complete and res.social_optimum is not None and res.social_bound <= res.social_welfare + welfare_tolerance(inst):
        # a stopped branch and bound whose proven upper bound already meets the profile it found:
        # that profile is optimal within tol, the claim of a certified MILP optimum (audit: "not
        # proven; bound 0.7631" beside welfare 0.7631). Marked complete for everything below:
        # confirm_by_milp then asks the MILP about it too (review).
        res = dataclasses.replace(res, social_complete=True)
    so, so_proven = res.social_optimum, res.social_complete
    if res.equilibria:
        # Bounds on the extreme equilibria's welfare: exact when complete; otherwise none here,
        # and _finish applies what is still proven (formulations/welfare_bounds.md: the social
        # optimum's bound above, W1's floor below)
        hi = res.welfare[0] if res.complete else math.inf
        best = Extreme(game.summarize(inst, res.equilibria[0]), hi, res.complete)
        worst = Extreme(game.summarize(inst, res.equilibria[-1]), res.welfare[-1] if res.complete else 0.0, res.complete)
        status = Status.EQUILIBRIUM if (res.complete and so_proven) else Status.UNKNOWN
    else:
        best = worst = None
        status = Status.NO_EQUILIBRIUM if res.complete else Status.UNKNOWN
    if status is Status.UNKNOWN:
        stats["unknown_reason"] = (
            f"the {name} stopped at the limit" if not res.complete
            else "the social optimum was not proven before the limit"
        )
    method = "search"
    if confirm is not None and res.complete:
        t0 = time.perf_counter()
        verdict = confirm_by_milp(inst, res, time_limit=confirm, log=log)
        stats["milp_confirmation"] = verdict
        stats["milp_confirmation_seconds"] = round(time.perf_counter() - t0, 4)
        if verdict == "agrees":
            method = "search+milp"
    if reference is not None and res.complete and inst.choice == "hardmax":
        t0 = time.perf_counter()
        stats["reference_confirmation"] = confirm_by_reference(inst, res, time_limit=reference)
        stats["reference_confirmation_seconds"] = round(time.perf_counter() - t0, 4)
    so_bound = None if math.isinf(res.social_bound) else res.social_bound
    return _finish(inst, status, best, worst, so, so_proven, method, t_start, stats, [], so_bound=so_bound)


def confirm_by_reference(inst: Instance, res, time_limit: float | None = None) -> str:
    """The reference search (`reference_search`: the support search's lemmas written again,
    plainly, in numpy) as a second certificate of a complete support search (formulations/search.md,
    "Reference search").

    Returns ``"agrees"`` when it lists exactly the equilibria the search listed (all of them:
    the two lists are compared, not only their extremes; none when the search found none), or
    ``"time_limit"``. Two complete lists that differ raise VerificationError: one of the two
    implementations is wrong (every profile in either list passed `game.is_equilibrium`); so does
    an equilibrium the stopped reference search found and the search did not list.

    Examples
    --------
    >>> from milp_market import load_instance
    >>> from milp_market.search import support_search
    >>> inst = load_instance("instances/ties.json")
    >>> confirm_by_reference(inst, support_search(inst))
    'agrees'
    """
    from .reference_search import reference_search

    ref = reference_search(inst, time_limit=time_limit)
    only_ref = sorted(set(ref.equilibria) - set(res.equilibria))
    if not ref.complete:
        if only_ref:
            # a verified equilibrium the complete search did not list: no need to finish
            raise VerificationError(f"the reference search found {only_ref[:3]}, which the complete support search did not list")
        return "time_limit"
    only_search = sorted(set(res.equilibria) - set(ref.equilibria))
    if only_ref or only_search:
        raise VerificationError(
            f"the reference search and the support search disagree: only the reference lists {only_ref[:3]}, "
            f"only the search lists {only_search[:3]}"
        )
    return "agrees"


def confirm_by_milp(inst: Instance, res, time_limit: float | None = None, log=None) -> str:
    """The MILP as a second, independent certificate of a complete support search
    (formulations/search.md, "Independent confirmation by the MILP").

    Returns ``"agrees"`` when the MILP proves, within ``time_limit``, the search's extreme
    claims: no equilibrium with welfare above the search's best by CUTOFF_DELTA in W's unit (an
    equilibrium it finds at the cutoff must be one the search listed), none below its worst,
    none at all when the search found none, and (when the search's social optimum is complete) a
    social optimum of the same welfare within welfare_tolerance. It does not re-derive the full
    list of equilibria. Otherwise the HiGHS status that stopped it (``"time_limit"``, ...), or
    ``"disagrees"`` when the MILP's certified social-optimum welfare falls short of the search's
    by more than welfare_tolerance.
    One HiGHS configuration is used: the claim is already proven by the search, and an answer of
    HiGHS that contradicts it is re-checked exactly (a verified equilibrium the search missed
    raises VerificationError; it is a bug).

    Parameters
    ----------
    inst : Instance
        A hardmax market.
    res : search.SearchResult
        A complete support search of ``inst``.
    time_limit : float, optional
        Seconds for the MILP.
    log : callable, optional

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> from milp_market.search import support_search
    >>> confirm_by_milp(inst, support_search(inst))
    'agrees'
    """
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    solver = solver_pair()[0]
    f = equilibrium_milp(inst, "max")
    problem = RowGeneration(inst, f)

    def ask(label):
        """One row-generation run under the current cutoff: None when the MILP agrees (nothing
        beyond the cutoff, or only equilibria the search listed, met within HiGHS's tolerances)."""
        r = problem.run(solver, deadline, log, label)
        if r.status is SolveStatus.OPTIMAL and r.candidate not in res.equilibria:
            # A verified equilibrium beyond the cutoff that the complete search did not list:
            # one of the two methods is wrong.
            raise VerificationError(f"the MILP found the equilibrium {r.candidate}, which the complete support search did not list")
        return None if r.status in (SolveStatus.OPTIMAL, SolveStatus.INFEASIBLE) else r.status.value

    if res.equilibria:
        f.set_cutoff(res.welfare[0])  # only equilibria better than the search's best
    stopped = ask("confirm best")
    if stopped:
        return stopped
    if res.equilibria:
        f.set_sense("min")
        f.set_cutoff(res.welfare[-1])  # only equilibria worse than the search's worst
        stopped = ask("confirm worst")
        if stopped:
            return stopped
    if res.social_optimum is not None and res.social_complete:
        so = social_optimum_milp(inst)
        left = time_left(deadline)
        if left is not None and left <= 0:
            return SolveStatus.TIME_LIMIT.value
        out = solver.solve(so.model, time_limit=left)
        if out.status is not SolveStatus.OPTIMAL:
            return out.status.value
        exact = game.welfare(inst, so.decode())
        if exact > res.social_welfare + welfare_tolerance(inst):
            raise VerificationError(f"the MILP's social optimum {exact} beats the search's {res.social_welfare}")
        if out.objective * so.objective_unit < res.social_welfare - welfare_tolerance(inst):
            return "disagrees"
    return "agrees"


def enumeration_work(inst: Instance) -> float:
    """Profiles x M x K: the enumeration's cost in numpy element operations (about 2e7 per second
    on the benchmark machine, reports/benchmarks.md).

    Examples
    --------
    ``instances/ties.json``: 20 count vectors of 3 platforms over 4 models, 4 user types:

    >>> from milp_market import load_instance
    >>> enumeration_work(load_instance("instances/ties.json"))  # 20 * 4 * 4
    320
    """
    return game.n_profiles(inst.n_models, inst.platforms) * inst.n_models * inst.n_types


def _run_in_child(conn, method, inst, time_limit):
    try:
        # one core each for HiGHS and the enumeration
        res = solve_milp(inst, time_limit, threads=1) if method == "milp" else solve_enumerate(inst, time_limit)
        conn.send(("ok", res))
    except BaseException as exc:  # reported to the parent, which re-raises
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


#: Seconds past the time limit after which :func:`race` stops waiting for a child.
RACE_GRACE = 30.0


def race(inst: Instance, time_limit: float | None = None) -> MarketResult:
    """Run the MILP path and the enumeration in two processes; the first *complete* answer wins.

    An ``unknown`` from one side waits for the other side. Both use the same time limit. When
    both stop at the limit, the answer merges what each proved (:func:`_merge_unknown`).

    Parameters
    ----------
    inst : Instance
        The market.
    time_limit : float, optional
        Wall-clock seconds, for each process.

    Returns
    -------
    MarketResult
        The winner's answer (its ``method`` says which), or a merged ``unknown`` one with
        ``method`` ``"milp|enumerate"``.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])

    Not run as a doctest: forking a process that already runs solver or compiled-kernel
    threads (as the test session does) can deadlock the child.

    >>> res = race(inst)  # doctest: +SKIP
    >>> res.status.value, res.best.counts, res.worst.counts  # doctest: +SKIP
    ('equilibrium', {'generalist': 1, 'specialist': 1}, {'specialist': 2})
    """
    import multiprocessing as mp
    from multiprocessing.connection import wait

    ctx = mp.get_context("fork")
    pending = {}
    for method in ("milp", "enumerate"):
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_run_in_child, args=(child, method, inst, time_limit), daemon=True)
        proc.start()
        child.close()
        pending[parent] = (method, proc)
    partial = {}
    # A child that never answers (a fork can deadlock when the parent holds native solver
    # threads; seen once in a long test session, not reproduced) must not hang the caller: past
    # the limit plus a grace period the race ends with what the other side proved.
    t_start = time.perf_counter()
    give_up = None if time_limit is None else t_start + time_limit + RACE_GRACE
    try:
        while pending:
            ready = wait(list(pending), timeout=None if give_up is None else max(0.0, give_up - time.perf_counter()))
            if not ready:
                break
            for conn in ready:
                method, proc = pending.pop(conn)
                try:
                    kind, payload = conn.recv()
                except EOFError:
                    kind, payload = "error", f"{method} process ended without an answer"
                proc.join(timeout=1)
                if kind == "error":
                    raise RuntimeError(f"{method}: {payload}")
                if payload.status is not Status.UNKNOWN:
                    return payload
                partial[method] = payload
        if not partial:
            stats = {"unknown_reason": f"neither process answered within the limit plus {RACE_GRACE:g} s"}
            return _finish(inst, Status.UNKNOWN, None, None, None, False, "milp|enumerate", t_start, stats, [])
        return _merge_unknown(inst, partial)
    finally:
        for _, proc in pending.values():
            proc.terminate()
            proc.join(timeout=5)


def _merge_unknown(inst: Instance, partial: dict) -> MarketResult:
    """One ``unknown`` answer from two that stopped at the limit: the better verified incumbent
    for the best and the worse for the worst equilibrium, the tighter proven bound of each (the
    enumeration proves none), a proven social optimum over an unproven one, and each child's
    own statistics under its name (``stats["race"]``)."""
    if len(partial) == 1:
        return next(iter(partial.values()))
    a, b = partial["milp"], partial["enumerate"]

    def pick(key, better):
        exts = [getattr(r, key) for r in (a, b) if getattr(r, key) is not None and getattr(r, key).profile is not None]
        if not exts:
            return getattr(a, key)
        prof = better(exts, key=lambda e: e.profile.welfare).profile
        # only the MILP's bound is a proof (its relaxation); the enumeration's is its incumbent
        m = getattr(a, key)
        bound = _known_bound(None if m is None else m.bound, key)
        bound = max(bound, prof.welfare) if key == "best" else min(bound, prof.welfare)
        return Extreme(prof, bound, False)

    if a.social_optimum_proven or b.social_optimum_proven:
        src = a if a.social_optimum_proven else b
        so, so_proven = src.social_optimum, True
    else:
        cands = [r.social_optimum for r in (a, b) if r.social_optimum is not None]
        so, so_proven = (max(cands, key=lambda p: p.welfare) if cands else None), False
    # each child's bound is proven on its own, so the smaller holds
    so_bounds = [r.social_optimum_bound for r in (a, b) if r.social_optimum_bound is not None]
    if so is None:
        so_bound = None
    elif so_proven:
        so_bound = so.welfare
    else:
        so_bound = min(so_bounds, default=None)
    stats = {
        "race": {name: {"status": r.status.value, "seconds": round(r.seconds, 4), **r.stats} for name, r in partial.items()},
        "unknown_reason": "both the MILP and the enumeration stopped at the limit",
    }
    best, worst = pick("best", max), pick("worst", min)
    if best is not None and best.profile is not None and so is not None:
        best, worst = _bound_extremes(inst, best, worst, so, so_proven, so_bound)
    return MarketResult(
        status=Status.UNKNOWN,
        best=best,
        worst=worst,
        social_optimum=so,
        social_optimum_proven=so_proven,
        social_optimum_bound=so_bound,
        method="milp|enumerate",
        seconds=max(a.seconds, b.seconds),
        verified=a.verified and b.verified,
        stats=stats,
        instance=inst,
    )


def choose_method(inst: Instance) -> str:
    """``enumerate`` for games it finishes in well under a second; otherwise ``search``: the
    support search under hardmax choice, the count-vector search under logit choice
    (reports/benchmarks.md: the fastest method on every family above that size). The
    MILP/enumeration :func:`race` is no longer chosen: the logit search beat both at every
    benchmark size.

    Examples
    --------
    >>> from milp_market import load_instance
    >>> choose_method(load_instance("instances/ties.json"))  # 20 profiles: enumerate
    'enumerate'
    >>> choose_method(load_instance("instances/lmarena_full.json"))  # 229 models, 4 platforms
    'search'
    """
    return "enumerate" if enumeration_work(inst) <= AUTO_SEARCH_WORK else "search"


def check_seconds(value, name: str = "time_limit") -> None:
    """Raise ValueError unless ``value`` is None or a positive, finite number of seconds, as the
    CLI requires of ``--time-limit`` (a NaN limit compared False with the clock and never
    stopped; found by a new-user trial).

    Examples
    --------
    >>> check_seconds(None), check_seconds(2.5)
    (None, None)
    >>> check_seconds(float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: time_limit must be None or a positive, finite number of seconds (got nan)
    """
    if value is None:
        return
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be None or a positive, finite number of seconds (got {value!r})")


def solve_market(
    inst: Instance,
    method: str = "auto",
    time_limit: float | None = None,
    log=None,
    progress=None,
    confirm: float | None = None,
    reference: float | None = None,
) -> MarketResult:
    """The full answer: existence, best and worst equilibrium, social optimum, PoA and PoS.

    ``method``: ``search`` (hardmax; formulations/search.md), ``milp``, ``enumerate``, or
    ``auto`` (:func:`choose_method`). ``confirm`` (seconds) adds the MILP as a second
    certificate of a search answer (:func:`confirm_by_milp`), ``reference`` (seconds) the
    reference search (:func:`confirm_by_reference`).

    Parameters
    ----------
    inst : Instance
        The market.
    method : {"auto", "search", "milp", "enumerate"}
        With ``auto``, the result's ``method`` is ``"auto:<what ran>"``.
    time_limit : float, optional
        Wall-clock seconds; at the limit the status is ``unknown``.
    log : callable, optional
        Receives one line of text per event (search and MILP).
    progress : callable, optional
        Progress callback of the enumeration (``progress(checked, total)``).
    confirm : float, optional
        Seconds for the MILP confirmation of a search answer.
    reference : float, optional
        Seconds for the reference search's confirmation of a hardmax search answer.

    Returns
    -------
    MarketResult

    Raises
    ------
    ValueError
        For an unknown ``method``, ``search`` under logit choice, or a ``time_limit`` or
        ``confirm`` that is not a positive, finite number of seconds.

    Examples
    --------
    A generalist and a specialist model, two platforms: homogenizing on the specialist is an
    equilibrium that loses 30% of the welfare of the differentiated one (price of anarchy
    0.92 / 0.64):

    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> res = solve_market(inst)
    >>> res.method, res.best.counts, res.worst.counts
    ('auto:enumerate', {'generalist': 1, 'specialist': 1}, {'specialist': 2})
    >>> res.price_of_anarchy, res.price_of_stability
    (1.4375, 1.0)
    >>> solve_market(inst, method="milp").worst.welfare
    0.64
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    check_seconds(time_limit)
    check_seconds(confirm, "confirm")
    check_seconds(reference, "reference")
    t_start = time.perf_counter()
    chosen = choose_method(inst) if method == "auto" else method
    if chosen == "search":
        res = solve_search(inst, time_limit, log, progress=None, confirm=confirm, reference=reference)
    elif chosen == "milp":
        res = solve_milp(inst, time_limit, log)
    else:
        res = solve_enumerate(inst, time_limit, progress)
    # seconds = this call's wall time, whatever ran (a race's children, a confirmation, ...)
    changes = {"seconds": time.perf_counter() - t_start}
    if method == "auto":
        changes["method"] = f"auto:{res.method}"
    return dataclasses.replace(res, **changes)


def solve(instance: Instance, method: str = "auto", time_limit: float | None = None) -> MarketResult:
    """Solve a market exactly: does a pure equilibrium exist, which are the welfare-best and
    -worst equilibria, the social optimum, the price of anarchy and of stability.

    The notebook entry point (``mm.solve``); :func:`solve_market` takes the CLI's extra knobs
    (a log, progress, a MILP confirmation).

    Parameters
    ----------
    instance : Instance
        The market (``mm.load_instance``, ``mm.Instance.from_dataframe`` or ``mm.make_instance``).
    method : {"auto", "search", "milp", "enumerate"}
        ``auto`` picks from the instance's shape (:func:`choose_method`).
    time_limit : float, optional
        Wall-clock seconds. At the limit the status is ``Status.UNKNOWN`` with the incumbents
        (verified equilibria) and proven bounds; never a guess.

    Returns
    -------
    MarketResult
        ``status`` (``Status``), ``best`` / ``worst`` (``Extreme``: ``counts`` as {model:
        platforms}, ``welfare``, ``proven``), ``social_optimum``, ``price_of_anarchy``,
        ``price_of_stability``, ``proof``; ``to_dict()`` is the CLI's ``--json`` object.

    Examples
    --------
    >>> import pandas as pd
    >>> import milp_market as mm
    >>> scores = pd.DataFrame({"code": [0.9, 0.6], "chat": [0.5, 0.8]}, index=["big", "small"])
    >>> res = mm.solve(mm.Instance.from_dataframe(scores, platforms=3))
    >>> res.status is mm.Status.EQUILIBRIUM, res.best.counts, res.price_of_anarchy
    (True, {'big': 2, 'small': 1}, 1.0)
    """
    return solve_market(instance, method=method, time_limit=time_limit)


@dataclass(frozen=True)
class AllEquilibria:
    """Every pure equilibrium found, best welfare first. ``status``: ``"complete"`` (the list
    is proven complete), ``"cap_reached"`` (the ``max_equilibria`` best of a longer list) or
    ``"time_limit"`` (the ones found before the limit).

    Attributes
    ----------
    status : ListStatus
    equilibria : tuple of tuple of int
        Count vectors, in order of decreasing welfare.
    seconds : float
    method : str
        ``"search"``, ``"enumerate"`` or ``"milp"``.
    stats : dict
    instance : Instance or None
        Set by :func:`enumerate_equilibria` (model names for :meth:`to_frame`).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> eqs = enumerate_equilibria(inst)
    >>> eqs.status.value, eqs.equilibria
    ('complete', ((1, 1), (0, 2)))
    >>> eqs.to_frame()[["generalist", "specialist", "welfare", "structure"]]
       generalist  specialist  welfare       structure
    0           1           1     0.92  differentiated
    1           0           2     0.64     homogenized
    """

    status: ListStatus
    equilibria: tuple[tuple[int, ...], ...]  # in order of decreasing welfare
    seconds: float
    method: str = "milp"
    stats: dict = field(default_factory=dict, repr=False)
    instance: Instance | None = field(default=None, repr=False, compare=False)

    def to_frame(self):
        """One row per equilibrium: a column per model in use (platforms), welfare, HHI,
        Shannon, structure. Needs the instance (set by :func:`enumerate_equilibria`)."""
        import pandas as pd

        if self.instance is None:
            raise ValueError("to_frame needs the instance; use enumerate_equilibria")
        rows = []
        for n in self.equilibria:
            p = game.summarize(self.instance, n)
            rows.append({**self.instance.counts_dict(n), "welfare": p.welfare, "hhi": p.hhi, "shannon": p.shannon, "structure": p.structure})
        cols = [m for m in self.instance.model_names if any(m in r for r in rows)]
        df = pd.DataFrame(rows, columns=cols + ["welfare", "hhi", "shannon", "structure"])
        return df.fillna({m: 0 for m in cols}).astype({m: int for m in cols})


def enumerate_equilibria(
    inst: Instance, method: str = "auto", max_equilibria: int | None = None, time_limit: float | None = None, progress=None,
) -> AllEquilibria:
    """Every pure equilibrium, best welfare first, by ``method``: ``search`` (hardmax,
    formulations/search.md), ``enumerate`` (count vectors), ``milp`` (certified rounds with
    no-good cuts), or ``auto`` (the search under hardmax, enumeration under logit).

    At most ``max_equilibria`` are listed: the search and the enumeration check the cap between
    slices and batches, so they may find more; the best ``max_equilibria`` are then kept and the
    status says ``cap_reached`` (with ``stats["equilibria_total"]``, the number of equilibria,
    when the search or enumeration was complete all the same).

    Examples
    --------
    >>> import milp_market as mm
    >>> inst = mm.load_instance("instances/ties.json")
    >>> res = mm.enumerate_equilibria(inst)
    >>> res.status, len(res.equilibria)
    (<ListStatus.COMPLETE: 'complete'>, 3)
    >>> mm.enumerate_equilibria(inst, max_equilibria=1).status is mm.ListStatus.CAP_REACHED
    True
    """
    check_seconds(time_limit)
    if max_equilibria is not None and (isinstance(max_equilibria, bool) or not isinstance(max_equilibria, numbers.Integral) or max_equilibria < 1):
        raise ValueError(f"max_equilibria must be None or a positive integer (got {max_equilibria!r})")
    if method == "auto":
        method = "search" if inst.choice == "hardmax" else choose_method(inst)
    if method == "milp":
        res = all_equilibria_milp(inst, cap=max_equilibria, time_limit=time_limit)
        return dataclasses.replace(res, method="milp", instance=inst)
    if method == "search" and inst.choice == "softmax":
        from .logit_search import logit_search

        r = logit_search(inst, time_limit=time_limit)
        found, complete, seconds, stats = list(r.equilibria), r.complete, r.seconds, {"search_nodes": r.nodes}
    elif method == "search":
        from .search import support_search

        r = support_search(inst, time_limit=time_limit, max_equilibria=max_equilibria, social_optimum=False)
        found, complete, seconds, stats = list(r.equilibria), r.complete, r.seconds, {"supports_visited": r.nodes}
    elif method == "enumerate":
        r = enumerate_profiles(inst, max_seconds=time_limit, max_equilibria=max_equilibria, progress=progress)
        found, complete, seconds = list(r.equilibria), r.complete, r.seconds
        stats = {"profiles_checked": r.profiles_checked, "profiles_total": r.profiles_total}
    else:
        raise ValueError(f"method must be one of auto, search, enumerate, milp (got {method!r})")
    found.sort(key=lambda n: (-game.welfare(inst, n), n))
    capped = max_equilibria is not None and (len(found) > max_equilibria or (len(found) == max_equilibria and not complete))
    status = ListStatus.CAP_REACHED if capped else (ListStatus.COMPLETE if complete else ListStatus.TIME_LIMIT)
    if capped and complete:
        # the search or enumeration finished before it saw the cap: it knows how many there are
        stats = {**stats, "equilibria_total": len(found)}
    return AllEquilibria(status, tuple(found[:max_equilibria] if capped else found), seconds, method, stats, inst)


def all_equilibria_milp(inst: Instance, cap: int | None = None, time_limit: float | None = None, log=None) -> AllEquilibria:
    """Every pure equilibrium, by repeated certified best-equilibrium solves with no-good cuts
    (formulations/equilibrium.md, "Row generation and certification").

    Each round finds the welfare-best equilibrium not yet listed (certified as in
    certify.certified_search) and cuts it off; an infeasible round proves the list complete.

    Parameters
    ----------
    inst : Instance
        The market.
    cap : int, optional
        Stop after this many equilibria (status ``cap_reached``).
    time_limit : float, optional
        Wall-clock seconds (status ``time_limit`` when reached).
    log : callable, optional

    Returns
    -------
    AllEquilibria
        Without ``instance`` (use :func:`enumerate_equilibria` with ``method="milp"`` for one).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> all_equilibria_milp(inst).equilibria
    ((1, 1), (0, 2))
    >>> res = all_equilibria_milp(inst, cap=1)
    >>> res.status.value, res.equilibria
    ('cap_reached', ((1, 1),))
    """
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + time_limit
    found: list[tuple[int, ...]] = []

    def done(status):
        # Each round's optimum is certified to within the cutoff tolerance only, so near-ties
        # may come out of order: sort by exact welfare.
        ordered = sorted(found, key=lambda n: -game.welfare(inst, n))
        return AllEquilibria(status, tuple(ordered), time.perf_counter() - t0)

    try:
        with hard_deadline(deadline):  # the model build counts (milp_market.deadline)
            return _all_equilibria_rounds(inst, cap, deadline, log, found, done)
    except DeadlineReached:
        return done(ListStatus.TIME_LIMIT)


def _all_equilibria_rounds(inst, cap, deadline, log, found, done) -> AllEquilibria:
    f = equilibrium_milp(inst, "max")
    problem = RowGeneration(inst, f)
    while True:
        if cap is not None and len(found) >= cap:
            return done(ListStatus.CAP_REACHED)
        out = certified_search(problem, deadline=deadline, log=log, label=f"equilibrium {len(found) + 1}")
        if out.status is SolveStatus.INFEASIBLE:
            return done(ListStatus.COMPLETE)
        if out.status is not SolveStatus.OPTIMAL:
            return done(ListStatus.TIME_LIMIT)
        if not game.is_equilibrium(inst, out.counts):
            raise VerificationError(f"listed profile {out.counts} is not an equilibrium")
        found.append(out.counts)
        f.add_no_good(out.counts)
