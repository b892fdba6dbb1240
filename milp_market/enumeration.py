"""Enumeration baseline: every count vector, every unilateral deviation (formulations/enumeration.md).

Platforms are identical, so a profile is a multiset: C(M+N-1, N) count vectors, not M^N
assignments. Profiles are processed in vectorized batches. Each batch is first screened with a
necessary condition that costs O(M K) per profile: every platform must earn at least the
*entry payoff* of each model k (what an extra platform on k would earn against the whole
profile), because removing the deviator's own platform can only raise what it gets on k. The few
survivors are then checked exactly, deviation by deviation, by :func:`game.is_equilibrium`; the
screen never decides "equilibrium" on its own. The same screen, with logit shares computed from
log-partition functions, serves logit choice (``_batch_screen_logit``).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from . import game
from .instance import Instance


def count_vectors(M: int, N: int, batch: int = 50_000) -> Iterator[np.ndarray]:
    """Yield (P, M) int arrays holding every count vector of N platforms over M models, in
    lexicographic order of the sorted model multisets.

    Parameters
    ----------
    M : int
        Models in the pool.
    N : int
        Platforms.
    batch : int, optional
        The most count vectors per yielded array.

    Yields
    ------
    numpy.ndarray, shape (P, M)
        ``row[j]`` platforms on model j; every row sums to N.

    Examples
    --------
    Two platforms over three models: C(4, 2) = 6 profiles, AA first:

    >>> from milp_market.enumeration import count_vectors
    >>> [C.tolist() for C in count_vectors(3, 2)]
    [[[2, 0, 0], [1, 1, 0], [1, 0, 1], [0, 2, 0], [0, 1, 1], [0, 0, 2]]]
    >>> [len(C) for C in count_vectors(3, 2, batch=4)]
    [4, 2]
    """
    it = itertools.combinations_with_replacement(range(M), N)
    while True:
        chunk = list(itertools.islice(it, batch))
        if not chunk:
            return
        idx = np.asarray(chunk, dtype=np.int64).reshape(len(chunk), N)
        P = len(chunk)
        flat = (idx + M * np.arange(P)[:, None]).ravel()
        yield np.bincount(flat, minlength=P * M).reshape(P, M)


@dataclass(frozen=True)
class EnumerationResult:
    """Everything the enumeration learned. ``complete`` is False when it stopped at a cap.

    ``equilibria`` are count vectors in enumeration order with their ``welfare``;
    ``social_optimum`` is the welfare-maximizing profile among those checked.

    Examples
    --------
    ``instances/ties.json`` (models A, B, C, D; 3 platforms) has exactly three equilibria, AAB,
    ABB and ABC, all of welfare 1:

    >>> from milp_market import load_instance
    >>> from milp_market.enumeration import enumerate_profiles
    >>> res = enumerate_profiles(load_instance("instances/ties.json"))
    >>> res.equilibria, res.welfare
    (((2, 1, 0, 0), (1, 2, 0, 0), (1, 1, 1, 0)), (1.0, 1.0, 1.0))
    >>> res.social_welfare, res.profiles_checked, res.profiles_total, res.complete
    (1.0, 20, 20, True)
    """

    equilibria: tuple[tuple[int, ...], ...]
    welfare: tuple[float, ...]
    social_optimum: tuple[int, ...]
    social_welfare: float
    profiles_checked: int
    profiles_total: int
    complete: bool
    seconds: float


def _batch_screen(inst: Instance, C: np.ndarray):
    """For a (P, M) batch of hardmax profiles: welfare, the necessary-condition mask and the
    screen's gap (the largest entry payoff minus the smallest utility in use, a lower bound on
    each profile's max regret up to rounding: see :func:`batch_screen`)."""
    S = inst.scores
    L = inst.levels  # tie classes (Instance.levels): the same integer comparisons as game.py
    w = game.utility_weights(inst)
    used = C > 0
    top = np.where(used[:, :, None], L[None], -1).max(axis=1)  # (P, K) top class
    tied = used[:, :, None] & (L[None] == top[:, None, :])
    cnt = (C[:, :, None] * tied).sum(axis=1)  # (P, K) platforms at the top
    share = np.where(tied, 1.0 / cnt[:, None, :], 0.0)
    util = (w[None] * share).sum(axis=2)  # (P, M)
    welfare = (inst.masses[None, None, :] * C[:, :, None] * share * S[None]).sum(axis=(1, 2))
    entry_share = np.where(L[None] > top[:, None, :], 1.0, np.where(L[None] == top[:, None, :], 1.0 / (cnt[:, None, :] + 1.0), 0.0))
    entry = (w[None] * entry_share).sum(axis=2)  # (P, M)
    min_util = np.where(used, util, np.inf).min(axis=1)
    gap = entry.max(axis=1) - min_util
    # The screen only discards: 1e-12 of the largest utility absorbs the rounding of the two sums,
    # so a profile whose regret is EQ_TOL to the last bit (an equilibrium for is_equilibrium) stays.
    candidate = gap <= _screen_slack(w)
    return welfare, candidate, gap


def _screen_slack(w: np.ndarray, tol: float = game.EQ_TOL) -> float:
    # sums of K terms each (utilities and entry payoffs against the whole profile)
    return tol + game.fp_slack(w, 0)


def batch_size(inst: Instance) -> int:
    """Count vectors per screened batch: keeps the (P, M, K) temporaries near 2e6 elements."""
    return max(1, min(50_000, 2_000_000 // max(1, inst.n_models * inst.n_types)))


def batch_screen(inst: Instance, C: np.ndarray):
    """(welfare, candidate, gap) for a (P, M) batch of profiles, under the instance's choice rule.

    ``gap`` is the largest entry payoff (what one more platform on a model would earn against the
    whole profile) minus the smallest utility of a platform in use. The platform with the smallest
    utility, on j, earns at least that entry payoff by moving to k (its own departure can only
    raise what k gets; for k = j the entry payoff is at most its utility), so every profile's max
    regret is at least ``gap`` minus the rounding of the two sums (``_screen_slack(w, 0)``).
    ``candidate``: gap <= EQ_TOL plus that rounding (the equilibrium screen)."""
    if inst.choice == "hardmax":
        return _batch_screen(inst, C)
    return _batch_screen_logit(inst, C)


def _batch_screen_logit(inst: Instance, C: np.ndarray):
    """For a (P, M) batch of logit profiles: welfare and the necessary-condition mask.

    The entry screen of the hardmax case holds under logit choice too: a platform on j that
    switches to k faces the partition function Z(n - e_j) = Z(n) - exp(beta S_j) <= Z(n), so it
    earns at least k's entry payoff against all of n, sum_t w_kt sigma(beta S_kt - log Z_t(n)).
    Exponents are beta times score differences from the largest score in use (as in
    game._logit_partition), so no exp() overflows and no digits are lost for any beta.
    """
    S = inst.scores
    w = game.utility_weights(inst)
    used = C > 0
    ref = np.where(used[:, :, None], S[None], -np.inf).max(axis=1)  # (P, K)
    E = game._expgap(inst.beta, np.minimum(S[None] - ref[:, None, :], 0.0))  # (P, M, K), <= 1
    Z = (C[:, :, None] * E).sum(axis=1)  # (P, K), in [1, N]
    share = np.where(used[:, :, None], E / Z[:, None, :], 0.0)  # (P, M, K)
    util = (w[None] * share).sum(axis=2)
    welfare = (inst.masses[None, None, :] * C[:, :, None] * share * S[None]).sum(axis=(1, 2))
    entry = (w[None] * game.logit_entry_shares(inst.beta, S[None], ref[:, None, :], Z[:, None, :])).sum(axis=2)  # (P, M)
    min_util = np.where(used, util, np.inf).min(axis=1)
    gap = entry.max(axis=1) - min_util
    candidate = gap <= _screen_slack(w)
    return welfare, candidate, gap


def enumerate_profiles(
    inst: Instance,
    *,
    max_seconds: float | None = None,
    max_equilibria: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EnumerationResult:
    """Enumerate all count vectors; return every pure equilibrium and the social optimum.

    Stops early (``complete=False``) when ``max_seconds`` elapse or ``max_equilibria`` are found.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[1.0, 0.9], [0.5, 0.5]]), np.array([0.5, 0.5]), 3)
    >>> res = enumerate_profiles(inst)
    >>> res.equilibria, res.complete, res.social_optimum
    (((3, 0),), True, (3, 0))
    """
    t0 = time.perf_counter()
    M, N = inst.n_models, inst.platforms
    total = game.n_profiles(M, N)
    batch = batch_size(inst)
    eqs, eq_w = [], []
    best_w, best_c = -np.inf, None
    checked = 0
    complete = True
    for C in count_vectors(M, N, batch):
        W, cand, _ = batch_screen(inst, C)
        i = int(np.argmax(W))
        if W[i] > best_w + 1e-12:
            best_w, best_c = float(W[i]), tuple(int(x) for x in C[i])
        for p in np.flatnonzero(cand):
            if game.is_equilibrium(inst, C[p]):
                eqs.append(tuple(int(x) for x in C[p]))
                eq_w.append(float(W[p]))
        checked += len(C)
        if progress:
            progress(checked, total)
        if max_equilibria is not None and len(eqs) >= max_equilibria:
            complete = checked == total
            break
        if max_seconds is not None and time.perf_counter() - t0 > max_seconds and checked < total:
            complete = False
            break
    return EnumerationResult(
        equilibria=tuple(eqs),
        welfare=tuple(eq_w),
        social_optimum=best_c,
        social_welfare=float(best_w),
        profiles_checked=checked,
        profiles_total=total,
        complete=complete,
        seconds=time.perf_counter() - t0,
    )
