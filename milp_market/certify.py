"""The certification engine, written once: every MILP answer of milp_market goes through
:func:`certified_search`.

The agreement rule (stated once, in formulations/README.md, "The agreement rule"): HiGHS has
returned false "infeasible" and wrong optima in ways that depend on its configuration, so a claim
that ends a search -- "there is none" or "nothing strictly better than the incumbent" -- stands
only when two consecutive runs by *different* configurations of :func:`solver_pair` make it.

* Runs take turns between the configurations. Each run answers the problem restricted by its
  cutoff rows to answers strictly better than the incumbent (by ``CUTOFF_DELTA`` in the model's
  unit; :meth:`Certifiable.set_cutoff`).
* A run's answer is *verified* by the exact evaluator inside the run (an equilibrium check, an
  exact welfare, an exact regret, an exact post-entry evaluation), so the incumbent is always an
  exactly evaluated answer.
* A run that returns an answer strictly better than the incumbent makes it the new incumbent and
  restarts the count of agreeing runs at 1 (its own claim). A run that proves the restricted
  problem infeasible, or returns an answer not strictly better (the cutoff was met only within the
  solver's tolerances), agrees. Two agreeing runs in a row end the search: the incumbent is
  optimal to within the cutoff tolerance, or, with no incumbent, there is none.
* Any other run outcome (a limit, a solver error) ends the search as that status: the incumbent
  survives (it was verified) with the run's bound; it never becomes a proof.

Every run either strictly improves the incumbent or agrees, so the search ends. The callers:
equilibrium best/worst and the social optimum (``orchestrate``), all equilibria
(``orchestrate.all_equilibria_milp``), minimum regret (``regret``) and entry (``entry``); each
supplies a :class:`Certifiable` problem (usually :class:`RowGeneration` over a formulation
object of milp_market/formulations, which states its model on its page).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence

from . import game
from .formulations.base import CUTOFF_DELTA, Formulation
from .formulations.highs import CONFIRM, PRIMARY, PersistentHighs
from .results import SolveStatus

__all__ = [
    "CUTOFF_DELTA", "VerificationError", "solver_pair", "time_left", "Run", "Certified",
    "Certifiable", "RowGeneration", "certified_search",
]

#: A run's answer must beat the incumbent by more than this (exact units) to count as "better";
#: anything closer met the cutoff row only within the solver's tolerances.
STRICT_MARGIN = 1e-12


class VerificationError(RuntimeError):
    """An answer failed the exact re-check: an error, never an output.

    Raised when a solver's claim contradicts the exact evaluator (a listed profile that is not
    an equilibrium, a MILP welfare that differs from the exact one, ...): it signals a bug or a
    solver fault, and no answer is printed.

    Examples
    --------
    >>> import milp_market as mm
    >>> issubclass(mm.VerificationError, RuntimeError)
    True
    """


def solver_pair(extra: dict | None = None, suffix: str = "", threads: int | None = None) -> tuple[PersistentHighs, PersistentHighs]:
    """The two HiGHS configurations (PRIMARY, CONFIRM) whose agreement certifies a claim, each
    with ``extra`` options added (e.g. entry's polishing tolerances), ``suffix`` in its name and
    ``threads`` HiGHS threads (None: HiGHS chooses).

    Examples
    --------
    >>> [s.name for s in solver_pair()]
    ['primary', 'confirm']
    """
    extra = extra or {}
    return (
        PersistentHighs({**PRIMARY, **extra}, threads, name="primary" + suffix),
        PersistentHighs({**CONFIRM, **extra}, threads, name="confirm" + suffix),
    )


def time_left(deadline: float | None) -> float | None:
    """Seconds until ``deadline`` (a ``time.perf_counter()`` value; None: no deadline).

    Examples
    --------
    >>> import time
    >>> time_left(None) is None, 59 < time_left(time.perf_counter() + 60) <= 60
    (True, True)
    """
    return None if deadline is None else deadline - time.perf_counter()


@dataclass(frozen=True)
class Run:
    """One run of a certified search, by one solver configuration.

    ``status`` OPTIMAL: ``candidate`` is the run's verified optimum with exact ``value``;
    INFEASIBLE: the (cutoff-restricted) problem has no answer; anything else: the run stopped
    (``candidate`` may hold a verified incumbent, ``bound`` the solver's bound, exact units).

    ``iterations`` counts solves, ``rows`` the deviation rows and ``no_goods`` the no-good cuts
    the run added; ``solver`` names the configuration.

    Examples
    --------
    In ``instances/no_equilibrium.json`` (3 models, 2 platforms), the primary configuration adds
    the deviation rows of three candidate profiles before the relaxation becomes infeasible:

    >>> from milp_market import load_instance
    >>> from milp_market.orchestrate import equilibrium_milp
    >>> inst = load_instance("instances/no_equilibrium.json")
    >>> r = RowGeneration(inst, equilibrium_milp(inst)).run(solver_pair()[0])
    >>> r.status.value, r.candidate, r.iterations, r.rows, r.no_goods, r.solver
    ('infeasible', None, 3, 3, 0, 'primary')
    """

    status: SolveStatus
    candidate: Any = None
    value: float = math.nan
    bound: float = math.nan
    iterations: int = 0
    rows: int = 0
    no_goods: int = 0
    solve_seconds: float = 0.0
    solver: str = ""


@dataclass(frozen=True)
class Certified:
    """What a certified search proved. ``status`` OPTIMAL: ``candidate`` is certified optimal;
    INFEASIBLE: proven that there is none; otherwise the run outcome that stopped the search,
    with the best verified ``candidate`` (or None) and a valid ``bound`` (NaN when the solver had
    none yet: callers read it through ``results._known_bound``).

    Examples
    --------
    No pure equilibrium in ``instances/no_equilibrium.json``, proven by two configurations:

    >>> from milp_market import load_instance
    >>> from milp_market.orchestrate import equilibrium_milp
    >>> inst = load_instance("instances/no_equilibrium.json")
    >>> out = certified_search(RowGeneration(inst, equilibrium_milp(inst)))
    >>> out.status.value, out.counts, out.agreeing, [r.solver for r in out.runs]
    ('infeasible', None, 2, ['primary', 'confirm'])
    """

    status: SolveStatus
    candidate: Any
    value: float
    bound: float
    runs: tuple[Run, ...]
    agreeing: int  # runs in a row that agreed with the final claim

    @property
    def counts(self):  # the count-vector callers' name for the candidate
        return self.candidate


class Certifiable(Protocol):
    """A problem :func:`certified_search` can certify.

    ``maximize`` gives the direction; ``set_cutoff(value)`` restricts later runs to answers
    strictly better than ``value`` (None: no restriction); ``run`` performs one run with one
    solver configuration and returns a :class:`Run` whose answer is exactly evaluated.

    Examples
    --------
    A toy problem, the best of three values: the first run claims 0.9, the second (another
    configuration, restricted to better than 0.9) finds nothing, and the two agree:

    >>> from types import SimpleNamespace
    >>> from milp_market.results import SolveStatus
    >>> class BestOf:
    ...     maximize = True
    ...     cut = None
    ...     def set_cutoff(self, value):
    ...         self.cut = value
    ...     def run(self, solver, deadline, log, label):
    ...         better = [x for x in (0.3, 0.9, 0.5) if self.cut is None or x > self.cut]
    ...         if not better:
    ...             return Run(SolveStatus.INFEASIBLE, solver=solver.name)
    ...         return Run(SolveStatus.OPTIMAL, max(better), max(better), solver=solver.name)
    >>> out = certified_search(BestOf(), [SimpleNamespace(name="a"), SimpleNamespace(name="b")])
    >>> out.status.value, out.candidate, [(r.solver, r.status.value) for r in out.runs]
    ('optimal', 0.9, [('a', 'optimal'), ('b', 'infeasible')])
    """

    @property
    def maximize(self) -> bool: ...

    def set_cutoff(self, value: float | None) -> None: ...  # strictly better than value; None: off

    def run(self, solver, deadline: float | None, log: Callable[[str], None] | None, label: str) -> Run: ...


def _better(a: float, b: float, maximize: bool, margin: float = 0.0) -> bool:
    return a > b + margin if maximize else a < b - margin


def certified_search(problem: Certifiable, solvers: Sequence | None = None, deadline: float | None = None,
                     log: Callable[[str], None] | None = None, label: str = "") -> Certified:
    """Run ``problem`` until two consecutive runs by different configurations agree (the rule in
    the module docstring and formulations/README.md).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> from milp_market.formulations.equilibrium import HardmaxEquilibriumMILP
    >>> inst = make_instance(np.array([[1.0, 0.9], [0.5, 0.5]]), np.array([0.5, 0.5]), 2)
    >>> out = certified_search(RowGeneration(inst, HardmaxEquilibriumMILP(inst, "max")))
    >>> out.status.value, out.candidate, [r.solver for r in out.runs]
    ('optimal', (2, 0), ['primary', 'confirm'])
    """
    solvers = tuple(solvers) if solvers is not None else solver_pair()
    maximize = problem.maximize
    inc, inc_v = None, math.nan
    agree = 0
    runs: list[Run] = []
    problem.set_cutoff(None)
    try:
        for i in range(10**9):
            solver = solvers[i % len(solvers)]
            r = problem.run(solver, deadline, log, f"{label}[{solver.name}]")
            runs.append(r)
            if log:
                log(f"{label}[{solver.name}]: {r.status.value} after {r.iterations} solves, {r.solve_seconds:.2f}s")
            if r.status is SolveStatus.INFEASIBLE:
                agree += 1
            elif r.status is SolveStatus.OPTIMAL and inc is not None and not _better(r.value, inc_v, maximize, STRICT_MARGIN):
                agree += 1
            elif r.status is SolveStatus.OPTIMAL:
                if inc is not None and log:
                    log(f"{label}: {solver.name} found a strictly better answer than the previous claim")
                inc, inc_v = r.candidate, r.value
                agree = 1
                problem.set_cutoff(inc_v)
            else:
                if r.candidate is not None and (inc is None or _better(r.value, inc_v, maximize)):
                    inc, inc_v = r.candidate, r.value
                bound = r.bound
                if inc is not None and math.isfinite(bound):
                    # the run was restricted to answers better than the incumbent
                    bound = max(bound, inc_v) if maximize else min(bound, inc_v)
                return Certified(r.status, inc, inc_v, bound, tuple(runs), agree)
            if agree >= 2:
                break
    finally:
        problem.set_cutoff(None)
    if inc is None:
        return Certified(SolveStatus.INFEASIBLE, None, math.nan, math.nan, tuple(runs), agree)
    return Certified(SolveStatus.OPTIMAL, inc, inc_v, inc_v, tuple(runs), agree)


class RowGeneration:
    """A :class:`Certifiable` problem over a count-vector formulation: each run solves, verifies
    the optimum with the exact evaluator, adds the rows of its profitable deviations (or a no-good
    when those rows are already in) and re-solves, until the optimum is verified
    (formulations/equilibrium.md, "Row generation and certification").

    ``accept`` replaces the equilibrium check (the social-optimum MILPs accept every placement).
    The value of a verified profile is its exact welfare (``game.welfare``), checked against the
    MILP's objective.

    Parameters
    ----------
    inst : Instance
        The market.
    formulation : Formulation
        A count-vector MILP (e.g. ``orchestrate.equilibrium_milp(inst)``).
    accept : callable, optional
        ``accept(counts) -> bool``; default: ``game.is_equilibrium``.

    Examples
    --------
    The welfare-worst equilibrium of a generalist/specialist market: both platforms on the
    specialist, welfare 0.64:

    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> from milp_market.orchestrate import equilibrium_milp
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> out = certified_search(RowGeneration(inst, equilibrium_milp(inst, "min")))
    >>> out.status.value, out.candidate, out.value
    ('optimal', (0, 2), 0.64)
    """

    def __init__(self, inst, formulation: Formulation, accept: Callable | None = None):
        self.inst = inst
        self.formulation = formulation
        self.accept = accept or (lambda n: game.is_equilibrium(inst, n))

    @property
    def maximize(self) -> bool:
        return self.formulation.maximize

    def set_cutoff(self, value: float | None) -> None:
        self.formulation.set_cutoff(value)

    def run(self, solver, deadline=None, log=None, label="") -> Run:
        inst, f = self.inst, self.formulation
        unit = f.objective_unit
        it = rows = goods = 0
        solve_s = 0.0

        def stop(status, counts=None, value=math.nan, bound=math.nan):
            return Run(status, counts, value, bound, it, rows, goods, solve_s, solver.name)

        while True:
            left = time_left(deadline)
            if left is not None and left <= 0:
                return stop(SolveStatus.TIME_LIMIT)
            t0 = time.perf_counter()
            out = solver.solve(f.model, time_limit=left)
            solve_s += time.perf_counter() - t0
            it += 1
            bound = out.bound * unit if math.isfinite(out.bound) else math.nan
            if out.status is SolveStatus.INFEASIBLE:
                return stop(SolveStatus.INFEASIBLE)
            if not out.has_solution:
                return stop(out.status, bound=bound)
            n = f.decode()
            if sum(n) != inst.platforms:
                raise VerificationError(f"decoded profile {n} does not place {inst.platforms} platforms")
            if self.accept(n):
                exact = game.welfare(inst, n)
                if out.status is SolveStatus.OPTIMAL:
                    if abs(exact - out.objective * unit) > 1e-6 * max(1.0, abs(exact)):
                        raise VerificationError(f"MILP welfare {out.objective * unit} != exact welfare {exact} for {n}")
                    return stop(SolveStatus.OPTIMAL, n, exact, exact)
                return stop(out.status, n, exact, bound)
            if out.status is not SolveStatus.OPTIMAL:
                return stop(out.status, bound=bound)
            added = f.add_rows_for(n, game.EQ_TOL)
            if not added:
                f.add_no_good(n)
                goods += 1
            rows += added
            if log:
                log(f"{label} iteration {it}: candidate {n} not an equilibrium; +{added} deviation rows, {goods} no-goods")
