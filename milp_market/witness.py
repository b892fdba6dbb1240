"""Existence witnesses for the support search: pure equilibria found by best-response dynamics
and re-checked by the exact evaluator (formulations/search.md, "Existence witnesses").

Best-response dynamics proves nothing about absence, but a run that converges ends in a profile
where no platform gains more than ``EQ_TOL`` by moving: a pure equilibrium, which
:func:`game.is_equilibrium` re-checks before it is used. On tie-heavy games the exhaustive search
can take minutes to reach its first equilibrium while dynamics converge in milliseconds
(ties (100,200,10): no equilibrium in 60 s of search; 16 starts reach one or two in 0.05-0.12 s),
so the search runs a few starts once it has worked ``WITNESS_AFTER`` seconds without finding one
(`search.SupportSearch.run`). A witness proves existence and gives the welfare-best and -worst
equilibria an incumbent; the search's own proof (and "no equilibrium") is unchanged, and a
complete search must list every witness (`check_witnesses`): two independent methods.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from . import game
from .certify import VerificationError
from .instance import Instance

#: The search starts looking for witnesses once it has run this long without an equilibrium;
#: searches that end sooner never pay for them.
WITNESS_AFTER = 0.5

#: At most this many runs of the dynamics: the greedy max-coverage support first, then random
#: starts (seeds 0, 1, ..., as `dynamics.best_response_dynamics` draws them).
WITNESS_STARTS = 16

#: Each run stops after this many rounds of revisions (each platform revises once per round).
#: Measured on ties, specialist and uniform at (50,100,8) and (100,200,10), 16 starts each: every
#: run that converged within 30 rounds had converged within 10.
WITNESS_ROUNDS = 10

#: The witness phase stops after this many seconds (and at the search's deadline); runs look at the
#: clock every 64 revisions.
WITNESS_SECONDS = 0.25


def _greedy_start(inst: Instance) -> list[int]:
    """One platform on each model of the greedy max-coverage support, the rest on its first."""
    from .search import _greedy_support

    # the welfare weights of Lemma 5, as `search.max_coverage` uses them
    U = _greedy_support(inst.masses[None, :] * inst.scores, np.arange(inst.n_models), inst.platforms)
    return (U + [U[0]] * inst.platforms)[: inst.platforms]


def _converge(inst: Instance, start, max_steps: int, until: float | None, stop) -> tuple[int, ...] | None:
    """The revisions of `dynamics.best_response_dynamics` from ``start`` (platform i = 0, 1, ...
    in turn moves to the lowest-index model within EQ_TOL of its best payoff, or stays when its
    own is), without its history: the counts when N revisions in a row moved nobody, None after
    ``max_steps`` revisions, at ``until`` or when ``stop()`` says so (both looked at every 64
    revisions, so a run never holds the search past its clock)."""
    N = inst.platforms
    f = [int(x) for x in start]
    counts = np.bincount(f, minlength=inst.n_models)
    quiet = 0
    for step in range(max_steps):
        if step % 64 == 0 and ((until is not None and time.perf_counter() > until) or (stop is not None and stop())):
            return None
        i = step % N
        counts[f[i]] -= 1  # the others
        pay = game.payoffs_against(inst, counts)
        best = pay.max()
        if best - pay[f[i]] > game.EQ_TOL:
            f[i] = int(np.flatnonzero(pay >= best - game.EQ_TOL)[0])
            quiet = 0
        else:
            quiet += 1
        counts[f[i]] += 1
        if quiet >= N:
            return tuple(int(x) for x in counts)
    return None


def find_witnesses(
    inst: Instance,
    tol: float = game.EQ_TOL,
    until: float | None = None,
    starts: int = WITNESS_STARTS,
    stop: Callable[[], bool] | None = None,
    on_found: Callable[[tuple[int, ...]], None] | None = None,
) -> tuple[tuple[int, ...], ...]:
    """Pure equilibria (count vectors) reached by best-response dynamics from ``starts`` starts,
    each re-checked by :func:`game.is_equilibrium` with ``tol``; distinct, in the order found
    (formulations/search.md, "Existence witnesses").

    The starts: the greedy max-coverage support (one platform per model, the rest on its first),
    then the random starts of `dynamics.best_response_dynamics` with seeds 0, 1, ...; each run
    stops after ``WITNESS_ROUNDS`` rounds of N revisions. Nothing runs past ``until`` (a
    ``time.perf_counter()`` value) or once ``stop()`` is true; ``on_found`` is called with each
    witness as soon as it is confirmed. An empty answer says nothing: dynamics may cycle in games
    that have equilibria.

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> inst = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2)
    >>> find_witnesses(inst)
    ((1, 1),)
    """
    if inst.choice != "hardmax":
        raise ValueError("witnesses are looked for under hardmax choice")
    M, N = inst.n_models, inst.platforms
    found: list[tuple[int, ...]] = []
    for s in range(starts):
        # the random start is drawn as best_response_dynamics(inst, seed=s - 1) draws it
        start = _greedy_start(inst) if s == 0 else np.random.default_rng(s - 1).integers(0, M, size=N)
        counts = _converge(inst, start, WITNESS_ROUNDS * N, until, stop)
        # the exact re-check decides, as for every equilibrium the search prints
        if counts is not None and counts not in found and game.is_equilibrium(inst, counts, tol=tol):
            found.append(counts)
            if on_found is not None:
                on_found(counts)
        if (until is not None and time.perf_counter() > until) or (stop is not None and stop()):
            break
    return tuple(found)


def check_witnesses(witnesses, listed) -> None:
    """Raise :class:`VerificationError` unless a complete search ``listed`` every witness
    (formulations/search.md, "Existence witnesses").

    Every witness passed the exact evaluator, and a complete search lists every equilibrium; a
    witness it missed means the search (or its screen) is wrong, so no answer is given.

    Examples
    --------
    >>> check_witnesses({(1, 1)}, {(1, 1), (2, 0)})
    >>> check_witnesses({(1, 1)}, set())
    Traceback (most recent call last):
    ...
    milp_market.certify.VerificationError: the complete support search missed 1 equilibrium that best-response dynamics reached and the exact evaluator confirmed: (1, 1)
    """
    missed = sorted(set(witnesses) - set(listed))
    if missed:
        raise VerificationError(
            f"the complete support search missed {len(missed)} equilibri{'um' if len(missed) == 1 else 'a'} that best-response "
            f"dynamics reached and the exact evaluator confirmed: {', '.join(str(m) for m in missed[:3])}"
        )
