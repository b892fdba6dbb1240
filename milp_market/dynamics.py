"""Best-response dynamics, as in the seed paper: platforms revise in turn.

Platform i (cyclically 0, 1, ..., N-1) switches to a best response against the others; it stays
when its current model is already a best response (within ``EQ_TOL``), otherwise it takes the
best response of lowest pool index. The state (assignment, next mover) is finite, so the process
either reaches a round in which nobody moves (a pure equilibrium) or revisits a state (a cycle,
which is returned). Unlike the MILPs, dynamics can neither prove that no equilibrium exists nor
find the worst one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import game
from .instance import Instance


@dataclass(frozen=True)
class DynamicsResult:
    status: str  # "converged" or "cycle" or "max_steps"
    start: tuple[int, ...]  # model of each platform at the start
    final: tuple[int, ...]  # model of each platform at the end
    steps: int  # revisions in which a platform switched
    cycle: tuple[tuple[int, ...], ...]  # count vectors along the cycle (empty unless status == "cycle")

    def counts(self, inst: Instance) -> tuple[int, ...]:
        return tuple(int(c) for c in np.bincount(self.final, minlength=inst.n_models))


def best_response_dynamics(inst: Instance, start=None, *, seed: int = 0, max_steps: int = 100_000) -> DynamicsResult:
    """Run best-response dynamics from ``start`` (model index per platform; random if None)."""
    M, N = inst.n_models, inst.platforms
    rng = np.random.default_rng(seed)
    f = list(rng.integers(0, M, size=N)) if start is None else list(start)
    f = [int(x) for x in f]
    start_t = tuple(f)
    seen: dict[tuple, int] = {}
    history: list[tuple[int, ...]] = []
    quiet = 0  # consecutive revisions without a switch
    steps = 0
    i = 0
    for _ in range(max_steps):
        state = (tuple(f), i)
        if state in seen:
            loop = history[seen[state]:]
            return DynamicsResult("cycle", start_t, tuple(f), steps, tuple(_counts(a, M) for a in loop))
        seen[state] = len(history)
        history.append(tuple(f))
        others = np.bincount(f, minlength=M)
        others[f[i]] -= 1
        pay = game.payoffs_against(inst, others)
        if pay.max() - pay[f[i]] > game.EQ_TOL:
            f[i] = int(np.flatnonzero(pay >= pay.max() - game.EQ_TOL)[0])
            steps += 1
            quiet = 0
        else:
            quiet += 1
            if quiet >= N:
                return DynamicsResult("converged", start_t, tuple(f), steps, ())
        i = (i + 1) % N
    return DynamicsResult("max_steps", start_t, tuple(f), steps, ())


def _counts(assign, M):
    return tuple(int(c) for c in np.bincount(assign, minlength=M))
