"""Solve orchestration: the full answer for one instance, by MILP or by enumeration, verified.

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
import time
from dataclasses import dataclass, field
from typing import Callable

import pyomo.environ as pyo

from . import game
from .certify import CUTOFF_DELTA, VerificationError, solver_pair, time_left
from .deadline import DeadlineReached, hard_deadline
from .enumeration import enumerate_profiles
from .formulations import equilibrium as eqf
from .formulations import logit as lgf
from .formulations import social_optimum as sof
from .formulations.highs import CONFIRM, PRIMARY, PersistentHighs
from .instance import Instance
from .results import Extreme, ListStatus, MarketResult, SolveStatus, Status

METHODS = ("search", "milp", "enumerate", "auto")

#: ``auto`` enumerates outright when (profiles x M x K) is below this (about 2.5 s of hardmax
#: enumeration on the benchmark machine: racing costs a second of process start-up and halves the
#: cores, which the 2e7 of the first benchmark run paid for with auto/faster ratios up to 2.4);
#: above it, it races both methods.
AUTO_ENUMERATION_WORK = 5e7

#: Under hardmax choice ``auto`` enumerates outright only below this much work (about 0.1 s), and
#: runs the support search above it: the search was the fastest method on every hardmax benchmark
#: instance beyond that (reports/benchmarks.md); its compiled kernels cost about 0.6 s to load
#: once per process.
AUTO_SEARCH_WORK = 2e6


@dataclass(frozen=True)
class LoopOutcome:
    status: SolveStatus
    counts: tuple[int, ...] | None  # verified equilibrium (optimal when status is OPTIMAL)
    bound: float  # bound on the objective (welfare, unscaled)
    iterations: int
    rows: int
    no_goods: int
    solve_seconds: float


def formulation(inst: Instance):
    """The equilibrium formulation module for the instance's choice rule: formulations/equilibrium.md
    (hardmax) or formulations/logit.md (softmax). Both expose ``add_rows_for_deviations``,
    ``add_no_good`` and ``decode_counts`` over the same one-hot count variables b."""
    return lgf if inst.choice == "softmax" else eqf


def build_equilibrium(inst: Instance, sense: str = "max", regret: bool = False):
    if inst.choice == "softmax":
        return lgf.build_logit_model(inst, sense, regret)
    return eqf.build_equilibrium_model(inst, sense, regret)


def row_generation(inst: Instance, m, solver: PersistentHighs, deadline=None, log=None, label="", accept=None) -> LoopOutcome:
    """Solve, verify, cut, re-solve until the optimum is a verified equilibrium (or proof of none).

    ``accept`` replaces the equilibrium check (the logit social optimum accepts every profile).
    """
    d = m.data
    accept = accept or (lambda n: game.is_equilibrium(inst, n))
    fm = formulation(inst)
    it = rows = goods = 0
    solve_s = 0.0
    while True:
        left = time_left(deadline)
        if left is not None and left <= 0:
            return LoopOutcome(SolveStatus.TIME_LIMIT, None, math.nan, it, rows, goods, solve_s)
        t0 = time.perf_counter()
        out = solver.solve(m, time_limit=left)
        solve_s += time.perf_counter() - t0
        it += 1
        bound = out.bound * d.welfare_scale if math.isfinite(out.bound) else math.nan
        if out.status is SolveStatus.INFEASIBLE:
            return LoopOutcome(SolveStatus.INFEASIBLE, None, math.nan, it, rows, goods, solve_s)
        if not out.has_solution:
            return LoopOutcome(out.status, None, bound, it, rows, goods, solve_s)
        n = fm.decode_counts(m)
        if sum(n) != inst.platforms:
            raise VerificationError(f"decoded profile {n} does not place {inst.platforms} platforms")
        if accept(n):
            if out.status is SolveStatus.OPTIMAL:
                exact = game.welfare(inst, n)
                if abs(exact - out.objective * d.welfare_scale) > 1e-6 * max(1.0, abs(exact)):
                    raise VerificationError(
                        f"MILP welfare {out.objective * d.welfare_scale} != exact welfare {exact} for {n}"
                    )
                return LoopOutcome(SolveStatus.OPTIMAL, n, exact, it, rows, goods, solve_s)
            return LoopOutcome(out.status, n, bound, it, rows, goods, solve_s)
        if out.status is not SolveStatus.OPTIMAL:
            return LoopOutcome(out.status, None, bound, it, rows, goods, solve_s)
        added = fm.add_rows_for_deviations(m, inst, n, game.EQ_TOL)
        if not added:
            fm.add_no_good(m, n)
            goods += 1
        rows += added
        if log:
            log(f"{label} iteration {it}: candidate {n} not an equilibrium; +{added} deviation rows, {goods} no-goods")




def welfare_tolerance(inst: Instance) -> float:
    """How far a certified welfare optimum may be from the true optimum: CUTOFF_DELTA in W's
    unit (equilibrium.welfare_unit), twice for the solver's own tolerance, and the game's 1e-9."""
    return 2 * CUTOFF_DELTA * eqf.welfare_unit(inst) + game.EQ_TOL


@dataclass(frozen=True)
class CertifiedOutcome:
    status: SolveStatus
    counts: tuple[int, ...] | None
    bound: float
    loops: tuple[LoopOutcome, ...]
    agreeing_configurations: int


def certified_loop(inst: Instance, m, solvers, deadline=None, log=None, label="", accept=None) -> CertifiedOutcome:
    """Row generation whose final claim two solver configurations must reproduce.

    Solvers take turns. Each run is a full row-generation loop restricted, by the cutoff rows, to
    equilibria strictly better than the best verified one so far (``CUTOFF_DELTA``). A run that
    finds one makes it the new incumbent; a run that proves there is none counts as agreement.
    The answer stands when two consecutive runs, by different configurations, agree: the
    incumbent is optimal (or, with no incumbent, no equilibrium exists). Every run strictly
    improves the incumbent or agrees, so this ends.
    """
    d = m.data
    maximize = m.obj.sense == pyo.maximize
    inc, inc_w = None, None
    agree = 0
    loops = []
    i = 0
    m.W_floor.set_value(-1.0)
    m.W_ceiling.set_value(m.welfare_cap + 1.0)
    while True:
        solver = solvers[i % len(solvers)]
        lp = row_generation(inst, m, solver, deadline, log, f"{label}[{solver.name}]", accept)
        loops.append(lp)
        if log:
            log(f"{label}[{solver.name}]: {lp.status.value} after {lp.iterations} solves, {lp.solve_seconds:.2f}s")
        i += 1
        if lp.status is SolveStatus.INFEASIBLE:
            agree += 1
        elif lp.status is SolveStatus.OPTIMAL and inc is not None and not _better(inst, lp.counts, inc, maximize, 1e-12):
            # The cutoff row was met only within HiGHS's tolerances (Y is continuous and integrality
            # is checked to 1e-6): nothing strictly better exists, which is agreement.
            agree += 1
        elif lp.status is SolveStatus.OPTIMAL:
            if inc is not None and log:
                log(f"{label}: {solver.name} found a better equilibrium than the previous claim")
            inc, inc_w = lp.counts, lp.bound
            agree = 1
            if maximize:
                m.W_floor.set_value(inc_w / d.welfare_scale + CUTOFF_DELTA)
            else:
                m.W_ceiling.set_value(inc_w / d.welfare_scale - CUTOFF_DELTA)
        else:
            bound = lp.bound
            best = lp.counts if (lp.counts is not None and (inc is None or _better(inst, lp.counts, inc, maximize))) else inc
            return CertifiedOutcome(lp.status, best, bound, tuple(loops), agree)
        if agree >= 2:
            break
    m.W_floor.set_value(-1.0)
    m.W_ceiling.set_value(m.welfare_cap + 1.0)
    if inc is None:
        return CertifiedOutcome(SolveStatus.INFEASIBLE, None, math.nan, tuple(loops), agree)
    return CertifiedOutcome(SolveStatus.OPTIMAL, inc, inc_w, tuple(loops), agree)


def build_social_optimum(inst: Instance):
    """The social-optimum MILP: formulations/social_optimum.md (hardmax) or formulations/logit.md."""
    if inst.choice == "softmax":
        return lgf.build_logit_model(inst, objective="social"), lgf.decode_counts
    return sof.build_social_optimum_model(inst), sof.decode_counts


def _certified_social_optimum(inst, so_model, decode, deadline, log):
    """Solve the social-optimum MILP under both configurations; proven only when they agree.

    Under logit choice distinct profiles can have welfare within solver tolerances of each other,
    so the certification is certified_loop's: strictly better profiles are searched for until
    both configurations agree that none exists. Under hardmax, configurations that disagree by
    more than welfare_tolerance are settled exactly by the max-coverage search.
    """
    if inst.choice == "softmax":
        solvers = solver_pair()
        out = certified_loop(inst, so_model, solvers, deadline, log, "social optimum", accept=lambda n: True)
        return out.counts, out.status is SolveStatus.OPTIMAL
    found = []
    for opts, name in ((PRIMARY, "primary"), (CONFIRM, "confirm")):
        out = PersistentHighs(opts, name=name).solve(so_model, time_limit=time_left(deadline))
        if not out.has_solution:
            continue
        counts = decode(so_model)
        exact = game.welfare(inst, counts)
        if out.status is SolveStatus.OPTIMAL and abs(exact - out.objective * so_model.data.welfare_scale) > 1e-6 * max(1.0, exact):
            raise VerificationError(f"social optimum: MILP welfare {out.objective * so_model.data.welfare_scale} != exact {exact}")
        found.append((out.status is SolveStatus.OPTIMAL, exact, counts))
    # Both configurations' optima are certified only to welfare_tolerance; two answers that close
    # agree (a 1e-9 absolute test called near-tied games "not proven", issue #12).
    proven = len(found) == 2 and all(ok for ok, _, _ in found) and abs(found[0][1] - found[1][1]) <= welfare_tolerance(inst)
    counts = max(found, key=lambda f: f[1])[2] if found else None
    if proven:
        return counts, True
    if log:
        why = (f"solver configurations disagree ({found[0][1]} vs {found[1][1]})" if len(found) == 2
               else "a configuration returned no optimum")
        log(f"social optimum: {why}; resolving by the exact max-coverage search (search.md, Lemma 5)")
    return _resolve_social_optimum(inst, found, deadline, log)


def _resolve_social_optimum(inst, found, deadline, log):
    """Settle a hardmax social optimum the two HiGHS configurations did not agree on, by an
    independent exact method: the max-coverage branch and bound of search.md (Lemma 5), optimal
    to within TIE_TOL <= welfare_tolerance. A configuration that claimed optimality for a welfare
    below it by more than the tolerance is a solver error and is reported as such; the answer is
    the better of both. Proven only when the search completes within the deadline."""
    from .search import max_coverage

    mc_counts, mc_w, complete = max_coverage(inst, time_limit=time_left(deadline))
    best = max(found, key=lambda f: f[1]) if found else None
    if best is not None and best[1] > mc_w + welfare_tolerance(inst) and complete:
        raise VerificationError(f"social optimum: MILP profile {best[2]} has welfare {best[1]} above the exact max-coverage optimum {mc_w}")
    if log:
        claims = ", ".join(f"{w!r}{' (claimed optimal)' if ok else ''}" for ok, w, _ in found) or "none"
        log(f"social optimum: max-coverage {'proves' if complete else 'stopped at the limit with'} {mc_w!r} (MILP configurations: {claims})")
    if best is not None and best[1] >= mc_w:
        return best[2], complete
    return mc_counts, complete


def _better(inst, a, b, maximize, margin=0.0):
    wa, wb = game.welfare(inst, a), game.welfare(inst, b)
    return wa > wb + margin if maximize else wa < wb - margin


def _summaries(inst, counts):
    return game.summarize(inst, counts) if counts is not None else None


def solve_milp(inst: Instance, time_limit: float | None = None, log: Callable[[str], None] | None = None) -> MarketResult:
    """The full answer by the MILPs (formulations/equilibrium.md or logit.md, social_optimum.md),
    every claim reproduced by two HiGHS configurations (:func:`certified_loop`). Model builds
    count against ``time_limit`` (:mod:`milp_market.deadline`): past it, the answer is
    ``unknown`` with what was proven by then."""
    t_start = time.perf_counter()
    deadline = None if time_limit is None else t_start + time_limit
    known: dict = {}
    try:
        with hard_deadline(deadline):
            return _solve_milp(inst, deadline, log, t_start, known)
    except DeadlineReached:
        if log:
            log("MILP: the time limit was reached in Python work (model build or translation)")
        best = known.get("best")
        stats = {"unknown_reason": "the limit was reached while building or solving the MILPs"}
        return _finish(inst, Status.UNKNOWN, best, known.get("worst"), known.get("so_counts"), known.get("so_proven", False),
                       "milp", t_start, stats, [])


def _solve_milp(inst, deadline, log, t_start, known) -> MarketResult:
    t0 = time.perf_counter()
    so_model, so_decode = build_social_optimum(inst)
    so_build = time.perf_counter() - t0
    so_counts, so_proven = _certified_social_optimum(inst, so_model, so_decode, deadline, log)
    known.update(so_counts=so_counts, so_proven=so_proven)

    t0 = time.perf_counter()
    m = build_equilibrium(inst, "max")
    build_s = time.perf_counter() - t0 + so_build
    solvers = solver_pair()
    best = certified_loop(inst, m, solvers, deadline, log, "best")
    stats = {
        "variables": m.nvariables(),
        "constraints": m.nconstraints(),
        "build_seconds": round(build_s, 4),
    }
    if best.status is SolveStatus.INFEASIBLE:
        return _finish(inst, Status.NO_EQUILIBRIUM, None, None, so_counts, so_proven, "milp", t_start, stats, [best])
    if best.status is not SolveStatus.OPTIMAL:
        ext = Extreme(_summaries(inst, best.counts), best.bound, False)
        stats["unknown_reason"] = _unknown_reason("the best equilibrium", best.status)
        return _finish(inst, Status.UNKNOWN, ext, None, so_counts, so_proven, "milp", t_start, stats, [best])
    known["best"] = Extreme(_summaries(inst, best.counts), best.bound, True)
    m.obj.sense = pyo.minimize
    worst = certified_loop(inst, m, solvers, deadline, log, "worst")
    stats["variables"] = m.nvariables()
    stats["constraints"] = m.nconstraints()
    best_ext = Extreme(_summaries(inst, best.counts), best.bound, True)
    if worst.status is SolveStatus.INFEASIBLE:
        raise VerificationError("worst-equilibrium MILP infeasible after the best one found an equilibrium")
    if worst.status is not SolveStatus.OPTIMAL:
        worst_ext = Extreme(_summaries(inst, worst.counts or best.counts), worst.bound, False)
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


def _finish(inst, status, best, worst, so_counts, so_proven, method, t_start, stats, loops) -> MarketResult:
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
    if loops:
        runs = [lp for c in loops for lp in c.loops]
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
        method=method,
        seconds=time.perf_counter() - t_start,
        verified=verified,
        stats=stats,
        instance=inst,
    )


def solve_enumerate(inst: Instance, time_limit: float | None = None, progress=None) -> MarketResult:
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


def solve_search(inst: Instance, time_limit: float | None = None, log=None, progress=None, confirm: float | None = None) -> MarketResult:
    """The full answer by the support search (formulations/search.md), hardmax only.

    A complete search is a proof by exhaustion over supports: its status and optima stand on
    their own. With ``confirm`` (seconds), the MILP is then asked, independently, the questions
    whose answer the search claims to be "no" (a strictly better / worse equilibrium than the
    search's best / worst, or any equilibrium when the search found none), see
    :func:`confirm_by_milp`; ``stats["milp_confirmation"]`` says how that went.
    """
    from .search import support_search

    t_start = time.perf_counter()
    if progress is None and log is not None:
        progress = lambda nodes: log(f"search: {nodes:,} supports visited")  # noqa: E731
    res = support_search(inst, time_limit=time_limit, progress=progress)
    stats = {
        "search_nodes": res.nodes,
        "search_pruned": res.pruned,
        "supports_checked": res.supports_checked,
        "profiles_screened": res.profiles_checked,
        "equilibria": len(res.equilibria),
        "search_seconds": round(res.seconds, 4),
    }
    if log:
        log(f"search: {res.nodes} supports visited, {res.pruned} subtrees pruned, {len(res.equilibria)} equilibria, {res.seconds:.3f}s")
    so, so_proven = res.social_optimum, res.social_complete
    if res.equilibria:
        # Bounds on the extreme equilibria's welfare: exact when complete; otherwise the social
        # optimum (no equilibrium beats it) above, and 0 below.
        hi = res.welfare[0] if res.complete else (res.social_welfare + welfare_tolerance(inst) if so_proven else math.inf)
        best = Extreme(game.summarize(inst, res.equilibria[0]), hi, res.complete)
        worst = Extreme(game.summarize(inst, res.equilibria[-1]), res.welfare[-1] if res.complete else 0.0, res.complete)
        status = Status.EQUILIBRIUM if (res.complete and so_proven) else Status.UNKNOWN
    else:
        best = worst = None
        status = Status.NO_EQUILIBRIUM if res.complete else Status.UNKNOWN
    if status is Status.UNKNOWN:
        stats["unknown_reason"] = (
            "the support search stopped at the limit" if not res.complete
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
    return _finish(inst, status, best, worst, so, so_proven, method, t_start, stats, [])


def confirm_by_milp(inst: Instance, res, time_limit: float | None = None, log=None) -> str:
    """The MILP as a second, independent certificate of a complete support search.

    Returns ``"agrees"`` when the MILP proves, within ``time_limit``, the search's extreme
    claims: no equilibrium with welfare above the search's best by CUTOFF_DELTA in W's unit (an
    equilibrium it finds at the cutoff must be one the search listed), none below its worst,
    none at all when the search found none, and (when the search's social optimum is complete) a
    social optimum of the same welfare within welfare_tolerance. It does not re-derive the full
    list of equilibria. Otherwise the HiGHS status that stopped it (``"time_limit"``, ...).
    One HiGHS configuration is used: the claim is already proven by the search, and an answer of
    HiGHS that contradicts it is re-checked exactly (a verified equilibrium the search missed
    raises VerificationError; it is a bug).
    """
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    solver = PersistentHighs(PRIMARY, name="primary")
    m = build_equilibrium(inst, "max")  # built with no cutoff (W_floor, W_ceiling inactive)
    d = m.data

    def ask(label):
        """Row generation under the current cutoffs: None when the MILP agrees (nothing beyond
        the cutoff, or only equilibria the search listed, met within HiGHS's tolerances)."""
        lp = row_generation(inst, m, solver, deadline, log, label)
        if lp.status is SolveStatus.OPTIMAL and lp.counts not in res.equilibria:
            # A verified equilibrium beyond the cutoff that the complete search did not list:
            # one of the two methods is wrong.
            raise VerificationError(f"the MILP found the equilibrium {lp.counts}, which the complete support search did not list")
        return None if lp.status in (SolveStatus.OPTIMAL, SolveStatus.INFEASIBLE) else lp.status.value

    if res.equilibria:
        m.W_floor.set_value(res.welfare[0] / d.welfare_scale + CUTOFF_DELTA)
    stopped = ask("confirm best")
    if stopped:
        return stopped
    if res.equilibria:
        m.W_floor.set_value(-1.0)
        m.W_ceiling.set_value(res.welfare[-1] / d.welfare_scale - CUTOFF_DELTA)
        m.obj.sense = pyo.minimize
        stopped = ask("confirm worst")
        if stopped:
            return stopped
    if res.social_optimum is not None and res.social_complete:
        so_model, decode = build_social_optimum(inst)
        left = time_left(deadline)
        if left is not None and left <= 0:
            return SolveStatus.TIME_LIMIT.value
        out = solver.solve(so_model, time_limit=left)
        if out.status is not SolveStatus.OPTIMAL:
            return out.status.value
        exact = game.welfare(inst, decode(so_model))
        if exact > res.social_welfare + welfare_tolerance(inst):
            raise VerificationError(f"the MILP's social optimum {exact} beats the search's {res.social_welfare}")
        if out.objective * so_model.data.welfare_scale < res.social_welfare - welfare_tolerance(inst):
            return "disagrees"
    return "agrees"


def enumeration_work(inst: Instance) -> float:
    """Profiles x M x K: the enumeration's cost in numpy element operations (about 2e7 per second
    on the benchmark machine, reports/benchmarks.md)."""
    return game.n_profiles(inst.n_models, inst.platforms) * inst.n_models * inst.n_types


def _run_in_child(conn, method, inst, time_limit):
    from .formulations import highs

    highs.DEFAULT_THREADS = 1  # one core each for HiGHS and the enumeration (this is a forked child)
    try:
        res = solve_milp(inst, time_limit) if method == "milp" else solve_enumerate(inst, time_limit)
        conn.send(("ok", res))
    except BaseException as exc:  # reported to the parent, which re-raises
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def race(inst: Instance, time_limit: float | None = None) -> MarketResult:
    """Run the MILP path and the enumeration in two processes; the first *complete* answer wins.

    An ``unknown`` from one side waits for the other side. Both use the same time limit. When
    both stop at the limit, the answer merges what each proved (:func:`_merge_unknown`).
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
    try:
        while pending:
            for conn in wait(list(pending)):
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
        bound = m.bound if m is not None and not math.isnan(m.bound) else (math.inf if key == "best" else 0.0)
        bound = max(bound, prof.welfare) if key == "best" else min(bound, prof.welfare)
        return Extreme(prof, bound, False)

    if a.social_optimum_proven or b.social_optimum_proven:
        src = a if a.social_optimum_proven else b
        so, so_proven = src.social_optimum, True
    else:
        cands = [r.social_optimum for r in (a, b) if r.social_optimum is not None]
        so, so_proven = (max(cands, key=lambda p: p.welfare) if cands else None), False
    stats = {
        "race": {name: {"status": r.status.value, "seconds": round(r.seconds, 4), **r.stats} for name, r in partial.items()},
        "unknown_reason": "both the MILP and the enumeration stopped at the limit",
    }
    return MarketResult(
        status=Status.UNKNOWN,
        best=pick("best", max),
        worst=pick("worst", min),
        social_optimum=so,
        social_optimum_proven=so_proven,
        method="milp|enumerate",
        seconds=max(a.seconds, b.seconds),
        verified=a.verified and b.verified,
        stats=stats,
        instance=inst,
    )


def choose_method(inst: Instance) -> str:
    """``enumerate`` for games it finishes in well under a second; otherwise ``search`` under
    hardmax choice (reports/benchmarks.md: the fastest method on every hardmax family), and
    the MILP/enumeration ``race`` under logit choice."""
    if inst.choice == "hardmax":
        return "enumerate" if enumeration_work(inst) <= AUTO_SEARCH_WORK else "search"
    return "enumerate" if enumeration_work(inst) <= AUTO_ENUMERATION_WORK else "race"


def solve_market(
    inst: Instance, method: str = "auto", time_limit: float | None = None, log=None, progress=None, confirm: float | None = None
) -> MarketResult:
    """The full answer: existence, best and worst equilibrium, social optimum, PoA and PoS.

    ``method``: ``search`` (hardmax; formulations/search.md), ``milp``, ``enumerate``, or
    ``auto`` (:func:`choose_method`). ``confirm`` (seconds) adds the MILP as a second
    certificate of a search answer (:func:`confirm_by_milp`).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    t_start = time.perf_counter()
    chosen = choose_method(inst) if method == "auto" else method
    if chosen == "search":  # SupportSearch refuses logit choice with a ValueError
        res = solve_search(inst, time_limit, log, progress=None, confirm=confirm)
    elif chosen == "milp":
        res = solve_milp(inst, time_limit, log)
    elif chosen == "race":
        res = race(inst, time_limit)
    else:
        res = solve_enumerate(inst, time_limit, progress)
    # seconds = this call's wall time, whatever ran (a race's children, a confirmation, ...)
    changes = {"seconds": time.perf_counter() - t_start}
    if method == "auto":
        changes["method"] = f"auto:{chosen}:{res.method}" if chosen == "race" else f"auto:{res.method}"
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
    ``"time_limit"`` (the ones found before the limit)."""

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
    status says ``cap_reached``.

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
    if method == "auto":
        method = "search" if inst.choice == "hardmax" else "enumerate"
    if method == "milp":
        res = all_equilibria_milp(inst, cap=max_equilibria, time_limit=time_limit)
        return dataclasses.replace(res, method="milp", instance=inst)
    if method == "search":
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
    return AllEquilibria(status, tuple(found[:max_equilibria] if capped else found), seconds, method, stats, inst)


def all_equilibria_milp(inst: Instance, cap: int | None = None, time_limit: float | None = None, log=None) -> AllEquilibria:
    """Every pure equilibrium, by repeated certified best-equilibrium solves with no-good cuts.

    Each round finds the welfare-best equilibrium not yet listed (certified as in
    ``certified_loop``) and cuts it off; an infeasible round proves the list complete.
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
    m = build_equilibrium(inst, "max")
    solvers = solver_pair()
    while True:
        if cap is not None and len(found) >= cap:
            return done(ListStatus.CAP_REACHED)
        out = certified_loop(inst, m, solvers, deadline, log, f"equilibrium {len(found) + 1}")
        if out.status is SolveStatus.INFEASIBLE:
            return done(ListStatus.COMPLETE)
        if out.status is not SolveStatus.OPTIMAL:
            return done(ListStatus.TIME_LIMIT)
        if not game.is_equilibrium(inst, out.counts):
            raise VerificationError(f"listed profile {out.counts} is not an equilibrium")
        found.append(out.counts)
        formulation(inst).add_no_good(m, out.counts)
