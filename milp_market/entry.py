"""Strategic entry: the provider's best new-model score profile, anticipating re-equilibration.

The instance's ``"entrant"`` section (README, "Strategic entry") is parsed and validated here
(:func:`parse_entrant`), the exact evaluation of a profile lives here (:func:`evaluate`: the
(M+1)-model instance, all its pure equilibria by enumeration, the provider's objective under the
stated selection), and so does the orchestration of the MILP of formulations/entry.md
(:func:`solve_entry`: the witness MILP, cutting planes for pessimistic selection, polish, exact
verification, two solver configurations) and the baselines of
:func:`baselines` (the paper's smooth proxy by Frank-Wolfe, the cloned best incumbent, random
search). Hardmax choice only.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from enum import Enum
from typing import Callable

import numpy as np
import pyomo.environ as pyo

from . import game
from .certify import Run, VerificationError, certified_search, solver_pair, time_left
from .deadline import DeadlineReached, hard_deadline
from .enumeration import enumerate_profiles
from .formulations import entry as ef
from .formulations.highs import PRIMARY, PersistentHighs
from .instance import (
    TIE_TOL,
    Instance,
    InstanceError,
    _number,
    _score_row,
    load_instance,
    make_instance,
)
from .results import SolveStatus

OBJECTIVES = ef.OBJECTIVES
SELECTIONS = ef.SELECTIONS
#: Feasibility tolerance of the exact re-check of a profile against the feasible set.
FEAS_TOL = 1e-9
#: The polish step re-solves with the positions and witness fixed and these tolerances.
POLISH_OPTIONS = {"mip_feasibility_tolerance": 1e-9, "primal_feasibility_tolerance": 1e-9}


class EntryStatus(str, Enum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Entrant:
    """The validated ``"entrant"`` section: the new model's name, feasible set, objective, selection."""

    name: str
    feasible: ef.FeasibleSet
    objective: str
    selection: str


# ----------------------------------------------------------------------------- parsing


def parse_entrant(inst: Instance, where: str | None = None) -> Entrant:
    """Validate ``inst.extra["entrant"]``; every error is a one-line InstanceError naming the field."""
    where = where or inst.name
    if inst.choice != "hardmax":
        raise InstanceError(f"{where}: `entry` under {inst.choice} choice is not supported (hardmax only)")
    raw = inst.extra.get("entrant")
    if raw is None:
        raise InstanceError(f"{where}: no \"entrant\" section; add one (README, \"Strategic entry\")")
    if not isinstance(raw, dict):
        raise InstanceError(f"{where}: entrant must be an object with \"name\" and \"feasible\"")
    unknown = sorted(set(raw) - {"name", "feasible", "objective", "selection", "description"})
    if unknown:
        raise InstanceError(f"{where}: entrant: unknown key {unknown[0]!r}; known: name, feasible, objective, selection")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise InstanceError(f"{where}: entrant.name must be a non-empty string")
    if name in inst.model_names:
        raise InstanceError(f"{where}: entrant.name {name!r} is already an incumbent model; pick a new name")
    objective = raw.get("objective", "adoption")
    if objective not in OBJECTIVES:
        raise InstanceError(f"{where}: entrant.objective must be one of {', '.join(OBJECTIVES)} (got {objective!r})")
    selection = raw.get("selection", "optimistic")
    if selection not in SELECTIONS:
        raise InstanceError(f"{where}: entrant.selection must be one of {', '.join(SELECTIONS)} (got {selection!r})")
    feas = raw.get("feasible", {})
    if not isinstance(feas, dict):
        raise InstanceError(f"{where}: entrant.feasible must be an object (lower, upper, budgets, mixture)")
    unknown = sorted(set(feas) - {"lower", "upper", "budgets", "mixture"})
    if unknown:
        raise InstanceError(f"{where}: entrant.feasible: unknown key {unknown[0]!r}; known: lower, upper, budgets, mixture")
    K, tn = inst.n_types, inst.type_names
    lower = np.zeros(K)
    upper = np.full(K, max(1.0, float(inst.scores.max())))
    if "lower" in feas:
        lower = _vector(feas["lower"], tn, f"{where}: entrant.feasible.lower")
    if "upper" in feas:
        upper = _vector(feas["upper"], tn, f"{where}: entrant.feasible.upper")
    if np.any(lower < 0):
        raise InstanceError(f"{where}: entrant.feasible.lower must be >= 0 (scores are non-negative)")
    bad = np.flatnonzero(lower > upper)
    if bad.size:
        t = int(bad[0])
        raise InstanceError(f"{where}: entrant.feasible: lower {lower[t]} > upper {upper[t]} for user type {tn[t]!r}")
    budgets = []
    raw_b = feas.get("budgets", [])
    if not isinstance(raw_b, list):
        raise InstanceError(f"{where}: entrant.feasible.budgets must be a list of {{\"weights\", \"limit\"}}")
    for i, b in enumerate(raw_b):
        what = f"{where}: entrant.feasible.budgets[{i}]"
        if not isinstance(b, dict) or set(b) != {"weights", "limit"}:
            raise InstanceError(f"{what} must be an object with exactly \"weights\" and \"limit\"")
        wts = _vector(b["weights"], tn, f"{what}.weights", allow_negative=True)
        limit = _number(b["limit"], f"{what}.limit")
        if not math.isfinite(limit):
            raise InstanceError(f"{what}.limit must be finite")
        # The same row scaled to a largest weight of 1: an equivalent constraint, and one the
        # MILP can hold to its tolerances (weights of 5.8e16 made HiGHS's answer fail the
        # exact re-check).
        scale = float(np.abs(wts).max())
        if scale > 0:
            wts, limit = wts / scale, limit / scale
        budgets.append((wts, limit))
    mixture = None
    if "mixture" in feas:
        raw_m = feas["mixture"]
        if not isinstance(raw_m, list) or not raw_m:
            raise InstanceError(f"{where}: entrant.feasible.mixture must be a non-empty list of score profiles")
        mixture = np.array([_vector(r, tn, f"{where}: entrant.feasible.mixture[{i}]") for i, r in enumerate(raw_m)])
    return Entrant(name, ef.FeasibleSet(lower, upper, tuple(budgets), mixture), objective, selection)


def _vector(value, type_names, what, allow_negative=False) -> np.ndarray:
    v = np.array(_score_row(value, type_names, what), dtype=float)
    if not np.all(np.isfinite(v)):
        raise InstanceError(f"{what}: values must be finite numbers")
    if not allow_negative and np.any(v < 0):
        raise InstanceError(f"{what}: values must be >= 0")
    return v


def load_entry_instance(path) -> tuple[Instance, Entrant]:
    inst = load_instance(path)
    return inst, parse_entrant(inst, str(path))


# ----------------------------------------------------------------------------- exact evaluation


def post_entry_instance(inst: Instance, entrant: Entrant, s) -> Instance:
    """The (M+1)-model market after entry: the new model is the last one, under its own name."""
    return make_instance(
        np.vstack([inst.scores, np.asarray(s, dtype=float)[None, :]]),
        inst.masses,
        inst.platforms,
        name=f"{inst.name}+{entrant.name}",
        model_names=inst.model_names + (entrant.name,),
        type_names=inst.type_names,
        utility=inst.utility,
        source=f"{inst.name} after entry of {entrant.name}",
    )


def entrant_value(post: Instance, counts, objective: str) -> float:
    """The provider's objective at a post-entry profile: platforms on the new model (adoption), the
    user mass they serve (mass), or the score-weighted share they serve (score_share; the sum of
    their utilities under the score_share utility)."""
    E = post.n_models - 1
    nE = int(counts[E])
    if objective == "adoption":
        return float(nE)
    sh = game.shares(post, counts)[E]
    if objective == "mass":
        return float(nE * (post.masses * sh).sum())
    return float(nE * (post.masses * post.scores[E] * sh).sum())


def check_feasible(entrant: Entrant, s, lam=None, tol: float = FEAS_TOL) -> bool:
    """Is s in the feasible set (to ``tol``)? With a mixture, ``lam`` must certify it."""
    fs = entrant.feasible
    s = np.asarray(s, dtype=float)
    if np.any(s < fs.lower - tol) or np.any(s > fs.upper + tol):
        return False
    if any(float(w @ s) > limit + tol for w, limit in fs.budgets):
        return False
    if fs.mixture is not None:
        if lam is None:
            return False
        lam = np.asarray(lam, dtype=float)
        if np.any(lam < -tol) or abs(lam.sum() - 1) > tol or np.abs(lam @ fs.mixture - s).max() > tol:
            return False
    return True


@dataclass(frozen=True)
class Evaluation:
    """A profile's exact post-entry outcome: every pure equilibrium and the selected one."""

    profile: tuple
    mixture_weights: tuple | None
    feasible: bool
    equilibria: tuple  # post-entry count vectors (entrant last)
    values: tuple  # provider objective at each
    selected: tuple | None  # the equilibrium chosen by the selection (None: no equilibrium)
    objective: float | None

    @property
    def eligible(self) -> bool:
        return self.feasible and self.selected is not None

    @property
    def adopters(self) -> int | None:
        return None if self.selected is None else int(self.selected[-1])


def evaluate(inst: Instance, entrant: Entrant, s, lam=None) -> Evaluation:
    """Exact: feasibility, all post-entry pure equilibria (complete enumeration), the selection."""
    s = np.asarray(s, dtype=float)
    post = post_entry_instance(inst, entrant, s)
    res = enumerate_profiles(post)
    values = [entrant_value(post, n, entrant.objective) for n in res.equilibria]
    selected = objective = None
    if values:
        pick = max if entrant.selection == "optimistic" else min
        i = pick(range(len(values)), key=lambda i: (values[i], -i) if pick is max else (values[i], i))
        selected, objective = res.equilibria[i], values[i]
    return Evaluation(
        profile=tuple(float(x) for x in s),
        mixture_weights=None if lam is None else tuple(float(x) for x in lam),
        feasible=check_feasible(entrant, s, lam),
        equilibria=tuple(res.equilibria),
        values=tuple(values),
        selected=selected,
        objective=objective,
    )


def snap_to_levels(inst: Instance, s) -> np.ndarray:
    """Scores within TIE_TOL of an incumbent's score become that incumbent's tie-class value, so
    no chain of near-ties is created (baselines only; the MILP's answers are exact by design)."""
    lv = game.tie_levels(inst)
    s = np.array(s, dtype=float)
    for t in range(inst.n_types):
        near = np.flatnonzero(np.abs(inst.scores[:, t] - s[t]) <= TIE_TOL)
        if near.size:
            s[t] = lv.value[t][lv.level[near[0], t]]
    return s


# ----------------------------------------------------------------------------- the MILP loop


@dataclass(frozen=True)
class EntryResult:
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


class EntryProblem:
    """Entry as a :class:`certify.Certifiable` problem: each run is the loop of entry.md, "The
    loop" (solve, polish, evaluate exactly, and under pessimistic selection add the blocks of worse
    post-entry equilibria until accepted). Its value is the exact objective of the evaluated
    profile; the cutoff is the row Phi >= Phi_floor.

    ``pairs`` are (solver, polisher) per configuration: a run by a configuration polishes with its
    own twin first and then with the others.
    """

    maximize = True

    def __init__(self, inst, entrant, f: ef.EntryMILP, pairs):
        self.inst, self.entrant, self.f, self.pairs = inst, entrant, f, list(pairs)
        self.best: Evaluation | None = None  # best verified answer of any run (survives a deadline)

    def set_cutoff(self, value: float | None) -> None:
        self.f.set_cutoff(value)

    def _polish(self, order, deadline):
        """Fix positions and witness, set the witness slack to 0, re-solve with tight tolerances
        under every configuration until one succeeds. Returns the polished decode, or None when
        every configuration proves the pattern infeasible."""
        f, m = self.f, self.f.model
        for x in f.binaries():
            x.fix(round(pyo.value(x)))
        m.eps.set_value(0.0)
        try:
            infeasible = 0
            for _, polisher in order:
                out = polisher.solve(m, time_limit=time_left(deadline))
                if out.has_solution and out.status is SolveStatus.OPTIMAL:
                    return f.decode()
                if out.status is SolveStatus.INFEASIBLE:
                    infeasible += 1
            if infeasible == len(order):
                return None
            raise TimeoutError("polish step did not finish")
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
    lp = FeasibleLP(inst, entrant)
    return all(solver.solve(lp.m).status is SolveStatus.INFEASIBLE for solver in solver_pair())


def solve_entry(inst: Instance, entrant: Entrant, time_limit: float | None = None,
                log: Callable[[str], None] | None = None) -> EntryResult:
    """The provider's optimal profile under the stated objective and selection (formulations/entry.md).

    Certified by milp_market/certify.py (:func:`certify.certified_search` over
    :class:`EntryProblem`): each run is restricted by the cutoff row to answers better than the
    best verified one by CUTOFF_DELTA; the answer stands when two consecutive runs by different
    configurations agree that nothing better exists.

    Raises
    ------
    VerificationError
        When an answer fails the exact re-check.
    """
    t_start = time.perf_counter()
    deadline = None if time_limit is None else t_start + time_limit
    if inst.choice != "hardmax":
        raise InstanceError(f"{inst.name}: `entry` under {inst.choice} choice is not supported (hardmax only)")
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
            reason = ("no feasible profile is eligible: after every entry allowed by the feasible set (and the "
                      f"{ef.DELTA:g} position margin) the market has no pure equilibrium")
    elif status is EntryStatus.OPTIMAL:
        reason = f"certified optimal ({entrant.selection} selection), two solver configurations agree"
    elif out is None or out.status is SolveStatus.TIME_LIMIT:
        reason = "time limit reached: incumbent and bound"
    else:
        reason = f"the solver failed ({out.status.value}): incumbent and bound, nothing proven"
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


# ----------------------------------------------------------------------------- baselines


class FeasibleLP:
    """An LP over the feasible set (Pyomo + HiGHS) for the baselines: linear objectives (Frank-Wolfe
    oracle, random vertices) and L1 projection (cloning an incumbent)."""

    def __init__(self, inst: Instance, entrant: Entrant):
        fs = entrant.feasible
        K = inst.n_types
        m = pyo.ConcreteModel(name="feasible_set")
        m.T = pyo.RangeSet(0, K - 1)
        m.s = pyo.Var(m.T, bounds=lambda m, t: (float(fs.lower[t]), float(fs.upper[t])))
        ef.add_feasible_set(m, fs)
        m.c = pyo.Param(m.T, mutable=True, initialize=0.0)
        m.target = pyo.Param(m.T, mutable=True, initialize=0.0)
        m.dp = pyo.Var(m.T, domain=pyo.NonNegativeReals)
        m.dm = pyo.Var(m.T, domain=pyo.NonNegativeReals)
        m.dist = pyo.Constraint(m.T, rule=lambda m, t: m.s[t] - m.target[t] == m.dp[t] - m.dm[t])
        m.linear = pyo.Objective(expr=sum(m.c[t] * m.s[t] for t in m.T), sense=pyo.maximize)
        m.l1 = pyo.Objective(expr=sum(m.dp[t] + m.dm[t] for t in m.T), sense=pyo.minimize)
        m.l1.deactivate()
        self.m, self.K, self.solver = m, K, PersistentHighs(PRIMARY, name="baseline-lp")

    def _solve(self, active, inactive, param, values):
        inactive.deactivate()
        active.activate()
        for t in range(self.K):
            param[t] = float(values[t])
        out = self.solver.solve(self.m)
        if out.status is not SolveStatus.OPTIMAL:
            return None
        return np.array([pyo.value(self.m.s[t]) for t in self.m.T]), ef.mixture_weights(self.m)

    def maximize(self, c):
        """A vertex of the feasible set maximizing c . s, as (s, mixture weights or None)."""
        return self._solve(self.m.linear, self.m.l1, self.m.c, c)

    def project(self, target):
        """The point of the feasible set closest to ``target`` in L1 norm."""
        return self._solve(self.m.l1, self.m.linear, self.m.target, target)


def _mix(entrant, s, lam):
    """With a mixture, recompute s from the normalized weights (exact membership)."""
    if lam is None or entrant.feasible.mixture is None:
        return s, lam
    return lam @ entrant.feasible.mixture, lam


def proxy_value(inst: Instance, s, beta: float) -> float:
    """The seed paper's smooth proxy F(s) = sum_t pi_t sigmoid(beta (s_t - Sbar_t)) s_t."""
    sbar = inst.scores.max(axis=0)
    sig = 1.0 / (1.0 + np.exp(-beta * (np.asarray(s) - sbar)))
    return float((inst.masses * sig * s).sum())


def frank_wolfe_proxy(inst, entrant, lp: FeasibleLP, beta: float, iterations: int = 60):
    """Maximize the proxy over the feasible set by Frank-Wolfe (LP oracle); the best iterate."""
    pi, sbar = inst.masses, inst.scores.max(axis=0)
    start = lp.maximize(pi)
    if start is None:
        return None
    s, lam = start
    best = (proxy_value(inst, s, beta), s, lam)
    for k in range(iterations):
        sig = 1.0 / (1.0 + np.exp(-beta * (s - sbar)))
        grad = pi * (sig + beta * sig * (1 - sig) * s)
        v, lam_v = lp.maximize(grad)
        g = 2.0 / (k + 2.0)
        s = (1 - g) * s + g * v
        lam = None if lam is None else (1 - g) * lam + g * lam_v
        f = proxy_value(inst, s, beta)
        if f > best[0]:
            best = (f, s, lam)
    return best[1], best[2]


@dataclass(frozen=True)
class Baseline:
    method: str
    evaluation: Evaluation | None  # None when the method found no feasible profile


PROXY_BETAS = (10.0, 30.0, 100.0)


def baselines(inst: Instance, entrant: Entrant, seed: int = 0, samples: int = 200) -> list[Baseline]:
    """The paper's proxy for several beta, the cloned best-average incumbent, seeded random search;
    each re-equilibrated exactly with the entrant's selection."""
    lp = FeasibleLP(inst, entrant)
    out = []

    def ev(s, lam):
        s, lam = _mix(entrant, np.asarray(s, dtype=float), lam)
        return evaluate(inst, entrant, snap_to_levels(inst, s), lam)

    for beta in PROXY_BETAS:
        r = frank_wolfe_proxy(inst, entrant, lp, beta)
        out.append(Baseline(f"proxy beta={beta:g}", None if r is None else ev(*r)))
    best_avg = int(np.argmax(inst.scores @ inst.masses))
    r = lp.project(inst.scores[best_avg])
    out.append(Baseline(f"clone {inst.model_names[best_avg]}", None if r is None else ev(*r)))
    rng = np.random.default_rng(seed)
    vertices = []
    for _ in range(min(30, samples)):
        r = lp.maximize(rng.normal(size=inst.n_types))
        if r is None:
            break
        vertices.append(r)
    best = None
    if vertices:
        S = np.array([v[0] for v in vertices])
        L = None if vertices[0][1] is None else np.array([v[1] for v in vertices])
        cands = [(v[0], v[1]) for v in vertices]
        for _ in range(samples - len(cands)):
            wgt = rng.dirichlet(np.ones(len(vertices)))
            cands.append((wgt @ S, None if L is None else wgt @ L))
        for s, lam in cands:
            e = ev(s, lam)
            if e.eligible and (best is None or e.objective > best.objective + 1e-12):
                best = e
        if best is None:
            best = ev(*cands[0])
    out.append(Baseline(f"random search ({samples}, seed {seed})", best))
    return out


def comparison(inst: Instance, entrant: Entrant, result: EntryResult, others: list[Baseline]) -> list[dict]:
    """Rows of the --compare table: the bilevel answer first, then each baseline with the gain of
    the bilevel answer over it (objective difference; n/a when either has no eligible profile)."""
    rows = [{"method": "bilevel MILP", **evaluation_dict(inst, entrant, result.evaluation), "gain": 0.0 if result.evaluation else None}]
    best = None if result.evaluation is None else result.evaluation.objective
    for b in others:
        ev = b.evaluation if (b.evaluation is not None and b.evaluation.eligible) else None
        row = {"method": b.method, **evaluation_dict(inst, entrant, ev)}
        if b.evaluation is not None and ev is None:
            row["note"] = "not eligible: " + ("infeasible" if not b.evaluation.feasible else "no post-entry equilibrium")
        row["gain"] = None if (best is None or ev is None) else best - ev.objective
        rows.append(row)
    return rows


def comparison_table(inst: Instance, rows: list[dict]) -> str:
    """The --compare table in Markdown."""
    lines = [
        "| method | profile (" + ", ".join(inst.type_names) + ") | adopters | objective | gain of bilevel | post-entry equilibrium |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        prof = "n/a" if r["profile"] is None else "(" + ", ".join(f"{x:.6f}" for x in r["profile"]) + ")"
        obj = "n/a" if r["objective"] is None else f"{r['objective']:.4f}"
        gain = "n/a" if r["gain"] is None else f"{r['gain']:+.4f}"
        eq = r.get("note") or ("none" if r["equilibrium"] is None else ", ".join(f"{k} x{v}" for k, v in r["equilibrium"]["counts"].items()))
        lines.append(f"| {r['method']} | {prof} | {'n/a' if r['adopters'] is None else r['adopters']} | {obj} | {gain} | {eq} |")
    return "\n".join(lines)
