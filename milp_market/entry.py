"""Strategic entry: the entry solve of formulations/entry.md (hardmax choice only).

Holds :func:`solve_entry` (the provider's best new-model score profile, anticipating
re-equilibration), :class:`EntryProblem` (the loop of formulations/entry.md, "The loop": the
witness MILP ``formulations.entry.EntryMILP``, polish, exact evaluation, cutting planes for
pessimistic selection; certified by ``certify.certified_search`` over two solver
configurations), :class:`EntryStatus`, :class:`EntryResult` and :func:`evaluation_dict` (its JSON
form). The entrant section is parsed in ``milp_market.entrant`` (at load time), profiles are
evaluated exactly in ``milp_market.entry_evaluation``, and the ``--compare`` baselines are
``milp_market.entry_baselines``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from enum import Enum
from typing import Callable

import pyomo.environ as pyo

from . import game
from .certify import Run, VerificationError, certified_search, solver_pair, time_left
from .deadline import DeadlineReached, hard_deadline
from .entrant import Entrant, check_feasible
from .entry_evaluation import Evaluation, evaluate, post_entry_instance, require_hardmax
from .formulations import entry as ef
from .instance import Instance, InstanceError
from .results import SolveStatus

#: The polish step re-solves with the positions and witness fixed and these tolerances.
POLISH_OPTIONS = {"mip_feasibility_tolerance": 1e-9, "primal_feasibility_tolerance": 1e-9}


class EntryStatus(str, Enum):
    """The outcome of :func:`solve_entry`; compare by identity.

    ``OPTIMAL``: the provider's optimum, certified by two solver configurations (under pessimistic
    selection up to the margin of formulations/entry.md, "Constraints": item 7, Margin, which ``reason`` states); ``INFEASIBLE``:
    no allowed profile leaves an eligible post-entry market (or the feasible set is empty);
    ``UNKNOWN``: a time limit or a solver failure (an incumbent and a bound at most).

    Examples
    --------
    >>> EntryStatus("optimal") is EntryStatus.OPTIMAL, [s.value for s in EntryStatus]
    (True, ['optimal', 'infeasible', 'unknown'])
    """

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class EntryResult:
    """The answer of :func:`solve_entry`.

    Attributes
    ----------
    status : EntryStatus
    evaluation : Evaluation or None
        The provider's profile and its post-entry equilibria, re-checked exactly
        (:class:`~milp_market.entry_evaluation.Evaluation`); the incumbent when ``UNKNOWN``.
    bound : float
        A proven bound on the provider's objective (nan when none). At ``OPTIMAL`` under the mass
        and score_share objectives it is the answer plus the certification tolerance (1e-6 of the
        objective's scale); under adoption, an integer, the answer itself.
    reason : str
        One line: why this status.
    seconds : float
        Wall time.
    stats : dict
        Model size and loop counters (post-entry profiles, solver runs, cuts, ...).

    Examples
    --------
    >>> from milp_market import load_instance
    >>> inst = load_instance("instances/entry_two_types.json")
    >>> res = solve_entry(inst, inst.entrant)
    >>> res.status is EntryStatus.OPTIMAL, res.bound, res.reason.split(";")[0]
    (True, 2.0, 'certified optimal (pessimistic selection), two solver configurations agree')
    >>> res.reason.split(";")[1]  # pessimistic selection: what the certificate leaves out
    ' up to the margin: a profile that breaks a worse post-entry equilibrium only by a deviation gaining less than 1e-06 x the utility scale may do better (formulations/entry.md, "Constraints": item 7, Margin)'
    >>> d = res.to_dict(inst, inst.entrant)
    >>> d["status"], d["objective"], d["adopters"], d["equilibrium"], d["verified"]
    ('optimal', 2.0, 2, {'counts': {'New': 2}}, True)
    """

    status: EntryStatus
    evaluation: Evaluation | None  # the answer (incumbent when unknown), re-checked exactly
    bound: float  # proven bound on the provider's objective (nan when none)
    reason: str
    seconds: float
    stats: dict

    def to_dict(self, inst: Instance, entrant: Entrant) -> dict:
        out = {
            "instance": inst.name,
            "entrant": entrant.name,
            "objective_kind": entrant.objective,
            "selection": entrant.selection,
            "status": self.status.value,
            "reason": self.reason,
        }
        out.update(evaluation_dict(inst, entrant, self.evaluation))
        out["bound"] = None if not math.isfinite(self.bound) else self.bound
        out["verified"] = self.evaluation is not None
        out["seconds"] = round(self.seconds, 4)
        out["stats"] = self.stats
        return out


def evaluation_dict(inst: Instance, entrant: Entrant, ev: Evaluation | None) -> dict:
    """The JSON form of an :class:`~milp_market.entry_evaluation.Evaluation` (``entry --json``).

    Parameters
    ----------
    inst : Instance
        The market before entry.
    entrant : Entrant
        Names the new model (the last model of the post-entry market).
    ev : Evaluation or None
        An evaluated profile; None gives the keys with null values.

    Returns
    -------
    dict
        ``profile``, ``objective``, ``adopters``, ``equilibrium`` (the selected post-entry
        equilibrium as {model name: platforms}), ``post_entry_equilibria`` and, for a mixture,
        ``mixture_weights``.

    Examples
    --------
    >>> from milp_market import load_instance
    >>> from milp_market.entry_evaluation import evaluate
    >>> inst = load_instance("instances/entry_two_types.json")
    >>> ev = evaluate(inst, inst.entrant, (0.81, 0.39))   # takes type a from A, within budget
    >>> evaluation_dict(inst, inst.entrant, ev)
    {'profile': [0.81, 0.39], 'objective': 2.0, 'adopters': 2, 'equilibrium': {'counts': {'New': 2}}, 'post_entry_equilibria': 1}
    >>> evaluation_dict(inst, inst.entrant, None)
    {'profile': None, 'objective': None, 'adopters': None, 'equilibrium': None}
    """
    if ev is None:
        return {"profile": None, "objective": None, "adopters": None, "equilibrium": None}
    names = inst.model_names + (entrant.name,)
    out = {
        "profile": list(ev.profile),
        "objective": ev.objective,
        "adopters": ev.adopters,
        "equilibrium": None,
        "post_entry_equilibria": len(ev.equilibria),
    }
    if ev.mixture_weights is not None:
        out["mixture_weights"] = list(ev.mixture_weights)
    if ev.selected is not None:
        out["equilibrium"] = {"counts": {names[j]: int(c) for j, c in enumerate(ev.selected) if c > 0}}
    return out


class _PolishFailed(Exception):
    """A polish solve ended neither optimal, infeasible nor at the time limit."""

    def __init__(self, status):
        super().__init__(f"polish solve ended {status.value}")
        self.status = status


class EntryProblem:
    """Entry as a :class:`certify.Certifiable` problem: each run is the loop of entry.md, "The
    loop" (solve, polish, evaluate exactly, and under pessimistic selection add the blocks of worse
    post-entry equilibria until accepted). Its value is the exact objective of the evaluated
    profile; the cutoff is the row Phi >= Phi_floor.

    ``pairs`` are (solver, polisher) per configuration: a run by a configuration polishes with its
    own twin first and then with the others.

    Examples
    --------
    One run by the primary configuration (:func:`solve_entry` builds the same and hands it to
    ``certify.certified_search``):

    >>> from milp_market import load_instance
    >>> from milp_market.certify import solver_pair
    >>> inst = load_instance("instances/entry_two_types.json")
    >>> e = inst.entrant
    >>> f = ef.EntryMILP(inst, e.feasible, e.objective, e.selection)
    >>> pairs = list(zip(solver_pair(), solver_pair(POLISH_OPTIONS, "-polish")))
    >>> run = EntryProblem(inst, e, f, pairs).run(pairs[0][0])
    >>> run.status.value, run.value, run.candidate.selected, run.solver
    ('optimal', 2.0, (0, 0, 2), 'primary')
    """

    maximize = True

    def __init__(self, inst, entrant, f: ef.EntryMILP, pairs):
        self.inst, self.entrant, self.f, self.pairs = inst, entrant, f, list(pairs)
        self.best: Evaluation | None = None  # best verified answer of any run (survives a deadline)

    def set_cutoff(self, value: float | None) -> None:
        self.f.set_cutoff(value)

    def _polish(self, order, deadline):
        """Fix positions and witness, set the witness slack to 0, re-solve with tight tolerances
        under every configuration until one succeeds; where every configuration says infeasible,
        try again with the slack at half the evaluator's tolerance (EQ_TOL), first with the tight
        tolerances, then with the search's own. Returns the polished decode (re-checked by the
        exact evaluator by the caller), or None when every try says infeasible.

        The later tries are for near-tie classes: their members' scores differ by up to 1e-9, so a
        move within a class can gain a few 1e-10, which the evaluator's tolerance accepts and slack
        0 does not; and HiGHS with mip_feasibility_tolerance 1e-9 called such a fixed pattern
        infeasible at any slack (a review found an answer of 1.0 lost this way; formulations/
        entry.md, "Positions: what binaries decide")."""
        f, m = self.f, self.f.model
        for x in f.binaries():
            x.fix(round(pyo.value(x)))
        half = 0.5 * self.f.data.eps_const
        tries = [(0.0, [p for _, p in order]), (half, [p for _, p in order]), (half, [s for s, _ in order])]
        try:
            for k, (eps, solvers) in enumerate(tries):
                m.eps.set_value(eps)
                infeasible = 0
                for polisher in solvers:
                    out = polisher.solve(m, time_limit=time_left(deadline))
                    if out.has_solution and out.status is SolveStatus.OPTIMAL:
                        dec = f.decode()
                        if k == 0 or check_feasible(self.entrant, dec.s, dec.lam):
                            return dec
                        # a retry's point may miss a budget or mixture row by the looser
                        # tolerance: a rejection like "infeasible", never an answer (review:
                        # it raised a VerificationError on an instance the first try solved)
                        infeasible += 1
                    elif out.status is SolveStatus.INFEASIBLE:
                        infeasible += 1
                    elif out.status is not SolveStatus.TIME_LIMIT:
                        # a solver failure is not a time limit: said as such (review)
                        raise _PolishFailed(out.status)
                if infeasible < len(solvers):
                    raise TimeoutError("polish step did not finish")
            return None
        finally:
            m.eps.set_value(ef.SLACK)
            for x in f.binaries():
                x.unfix()

    def run(self, solver, deadline=None, log=None, label="") -> Run:
        inst, entrant, f = self.inst, self.entrant, self.f
        m, d = f.model, f.data
        i_first = next(i for i, (s, _) in enumerate(self.pairs) if s is solver)
        order = [self.pairs[i_first]] + [p for k, p in enumerate(self.pairs) if k != i_first]
        it = 0
        tol = 1e-6 * d.obj_scale

        def stop(status, ev=None, bound=math.nan):
            if ev is not None and (self.best is None or ev.objective > self.best.objective):
                self.best = ev
            value = ev.objective if ev is not None else math.nan
            return Run(status, ev, value, bound, it, solver=solver.name)

        while True:
            left = time_left(deadline)
            if left is not None and left <= 0:
                return stop(SolveStatus.TIME_LIMIT)
            out = solver.solve(m, time_limit=left)
            it += 1
            bound = out.bound * d.obj_scale if math.isfinite(out.bound) else math.nan
            if out.status is SolveStatus.INFEASIBLE:
                return stop(SolveStatus.INFEASIBLE)
            if out.status is not SolveStatus.OPTIMAL:
                return stop(out.status, _unpolished(inst, entrant, f) if out.has_solution else None, bound)
            dec = f.decode()
            q = dec.witness
            try:
                pol = self._polish(order, deadline)
            except TimeoutError:
                return stop(SolveStatus.TIME_LIMIT, None, bound)
            except _PolishFailed as failed:
                return stop(failed.status, None, bound)
            witness = tuple(int(x) for x in d.profiles[q])
            if pol is None:
                f.add_no_good(dec.positions, q)
                if log:
                    log(f"  {label} iteration {it}: witness {witness} impossible without slack; no-good cut")
                continue
            ev = evaluate(inst, entrant, pol.s, pol.lam)
            if witness not in ev.equilibria:
                f.add_no_good(pol.positions, q)
                if log:
                    log(f"  {label} iteration {it}: witness {witness} fails the exact check; no-good cut")
                continue
            if not ev.feasible:
                raise VerificationError(f"MILP profile {ev.profile} is not in the feasible set")
            if entrant.selection == "pessimistic" and ev.objective < pol.phi - tol:
                worse = [n for n, v in zip(ev.equilibria, ev.values) if v < pol.phi - tol]
                added = sum(f.add_pessimistic_block(d.index[n]) for n in worse)
                if log:
                    log(f"  {label} iteration {it}: worst equilibrium {ev.selected} gives {ev.objective:.6g} < {pol.phi:.6g}; +{added} blocks")
                if added:
                    continue
                raise VerificationError(
                    f"pessimistic bound {pol.phi} exceeds the exact worst-equilibrium value {ev.objective} although "
                    "every such equilibrium already bounds the objective"
                )
            return stop(SolveStatus.OPTIMAL, ev, bound)


def _unpolished(inst, entrant, f: ef.EntryMILP) -> Evaluation | None:
    """A time-limited solve's incumbent, evaluated exactly as it stands (None unless eligible)."""
    dec = f.decode()
    try:
        ev = evaluate(inst, entrant, dec.s, dec.lam)
    except InstanceError:  # a score within the tie tolerance of a level: not a clean candidate
        return None
    return ev if ev.eligible else None


def _feasible_set_empty(inst, entrant) -> bool:
    """Both solver configurations agree that no profile satisfies the feasible set's rows."""
    from .entry_baselines import FeasibleLP  # lazy: entry_baselines imports this module

    lp = FeasibleLP(inst, entrant)
    return all(solver.solve(lp.m).status is SolveStatus.INFEASIBLE for solver in solver_pair())


def solve_entry(inst: Instance, entrant: Entrant, time_limit: float | None = None,
                log: Callable[[str], None] | None = None) -> EntryResult:
    """The provider's optimal profile under the stated objective and selection (formulations/entry.md).

    Certified by milp_market/certify.py (:func:`certify.certified_search` over
    :class:`EntryProblem`): each run is restricted by the cutoff row to answers better than the
    best verified one by CUTOFF_DELTA; the answer stands when two consecutive runs by different
    configurations agree that nothing better exists.

    Parameters
    ----------
    inst : Instance
        The market before entry (hardmax choice; else :class:`InstanceError`).
    entrant : Entrant
        The provider: feasible set, objective (``adoption`` or ``utility``) and selection
        (``pessimistic`` or ``optimistic``); usually ``inst.entrant``.
    time_limit : float, optional
        Seconds, the model build included; at the limit the result is ``UNKNOWN``.
    log : callable, optional
        Receives one line per loop event.

    Returns
    -------
    EntryResult

    Raises
    ------
    VerificationError
        When an answer fails the exact re-check.

    Examples
    --------
    The hand-checkable example of ``instances/entry_two_types.json``: a new model that takes user
    type a from A (s_a > 0.8) and keeps 0.6 s_a + 0.4 s_b > 0.56 within the budget
    s_a + s_b <= 1.2 makes both platforms adopt it at the worst post-entry equilibrium.

    >>> from milp_market import load_instance
    >>> inst = load_instance("instances/entry_two_types.json")
    >>> res = solve_entry(inst, inst.entrant)
    >>> res.status.value, res.evaluation.objective, res.evaluation.selected
    ('optimal', 2.0, (0, 0, 2))
    >>> s_a, s_b = res.evaluation.profile
    >>> s_a > 0.8, s_a + s_b <= 1.2, 0.6 * s_a + 0.4 * s_b > 0.56
    (True, True, True)
    """
    t_start = time.perf_counter()
    deadline = None if time_limit is None else t_start + time_limit
    require_hardmax(inst)  # entry is hardmax only; a softmax instance still loads (with its entrant)
    no_position = ef.types_without_position(inst, entrant.feasible)
    if no_position:  # a fact of the data: no solver claim involved
        reason = (f"every allowed score for user type {inst.type_names[no_position[0]]!r} lies within the "
                  f"{ef.DELTA:g} position margin of an incumbent level without equaling it")
        return EntryResult(EntryStatus.INFEASIBLE, None, math.nan, reason, time.perf_counter() - t_start, {})
    t0 = time.perf_counter()
    try:
        # the build (one binary per post-entry profile) counts against the limit (milp_market.deadline)
        with hard_deadline(deadline):
            f = ef.EntryMILP(inst, entrant.feasible, entrant.objective, entrant.selection)
    except DeadlineReached:
        return EntryResult(EntryStatus.UNKNOWN, None, math.nan, "time limit reached while building the model",
                           time.perf_counter() - t_start, {"build_seconds": round(time.perf_counter() - t0, 4)})
    m = f.model
    stats = {"post_entry_profiles": len(f.data.profiles), "eligible_candidates": len(m.Q), "build_seconds": round(time.perf_counter() - t0, 4)}
    # each configuration of the certifying pair with its polishing twin (certify.solver_pair)
    pairs = list(zip(solver_pair(), solver_pair(POLISH_OPTIONS, "-polish")))
    problem = EntryProblem(inst, entrant, f, pairs)
    inc: Evaluation | None = None
    bound = math.nan
    out = None
    if not m.Q:  # screening: every post-entry profile has a deviation that pays whatever s is
        status = EntryStatus.INFEASIBLE
    else:
        out = certified_search(problem, [s for s, _ in pairs], deadline, log, "entry")
        inc, bound = out.candidate, out.bound
        status = {SolveStatus.OPTIMAL: EntryStatus.OPTIMAL, SolveStatus.INFEASIBLE: EntryStatus.INFEASIBLE}.get(
            out.status, EntryStatus.UNKNOWN)
        if status is EntryStatus.OPTIMAL and entrant.objective != "adoption" and inc is not None:
            # the certificate is "nothing better by CUTOFF_DELTA (scaled)": the proven bound is the
            # answer plus that (an audit found profiles 7e-9 to 3.6e-7 above a mass answer). Adoption
            # counts platforms, an integer: nothing lies strictly between the answer and answer + 1.
            certified = inc.objective + ef.CUTOFF_DELTA * f.data.obj_scale
            bound = certified if math.isnan(bound) else max(bound, certified)
    stats.update(
        solver_runs=len(out.runs) if out else 0, iterations=sum(r.iterations for r in out.runs) if out else 0,
        witness_profiles=len(f.witnessed), pessimistic_blocks=len(f.blocked), no_goods=f.no_goods,
        variables=m.nvariables(), constraints=m.nconstraints(),
    )
    reason = ""
    if status is EntryStatus.INFEASIBLE:
        if _feasible_set_empty(inst, entrant):
            reason = "the feasible set is empty"
        else:
            # both causes stay possible here (a mixture or budget can confine every profile to the
            # margin, which the bound-only check above does not see): name both (audit)
            reason = ("no feasible profile is eligible: every profile the feasible set allows either lies within "
                      f"the {ef.DELTA:g} position margin of an incumbent's score or leaves a market with no pure equilibrium")
    elif status is EntryStatus.OPTIMAL:
        reason = f"certified optimal ({entrant.selection} selection), two solver configurations agree"
        if entrant.selection == "pessimistic":
            # formulations/entry.md, "Constraints": item 7, Margin: the blocks break an equilibrium only by a deviation
            # gaining at least GAMMA x scale, so a profile whose worse equilibria are broken only by
            # smaller gains (above 1e-9) can do better; an audit built one (1 adopter against 0)
            reason += (
                f"; up to the margin: a profile that breaks a worse post-entry equilibrium only by a deviation gaining "
                f"less than {ef.GAMMA:g} x the utility scale may do better (formulations/entry.md, \"Constraints\": item 7, Margin)"
            )
    else:
        # say what there is: a stopped run may not have an incumbent, or a bound, yet (audit)
        has = ["incumbent"] * (inc is not None) + ["bound"] * (not math.isnan(bound))
        found = " and ".join(has) or "no incumbent or bound yet"
        if out is None or out.status is SolveStatus.TIME_LIMIT:
            reason = f"time limit reached: {found}"
        else:
            reason = f"the solver failed ({out.status.value}): {found}, nothing proven"
    if inc is not None:
        _verify(inst, entrant, inc)
    return EntryResult(status, inc, bound, reason, time.perf_counter() - t_start, stats)


def _verify(inst, entrant, ev: Evaluation) -> None:
    """Re-check an answer from scratch with plain numpy: feasible, and its post-entry equilibria give
    the stated objective under the stated selection."""
    again = evaluate(inst, entrant, ev.profile, ev.mixture_weights)
    if not again.feasible:
        raise VerificationError(f"profile {ev.profile} is not in the feasible set")
    if again.selected is None or again.objective is None or abs(again.objective - ev.objective) > 1e-9:
        raise VerificationError(f"profile {ev.profile}: stated objective {ev.objective} != exact {again.objective}")
    post = post_entry_instance(inst, entrant, ev.profile)
    if not game.is_equilibrium(post, again.selected):
        raise VerificationError(f"selected post-entry profile {again.selected} is not an equilibrium")
