"""A second, plain implementation of the support search, to confirm its answers independently.

formulations/search.md, "Reference search". The support search
(`search.py`, `_search_kernels.py`) is 2,000 lines of compiled code with sixteen rules, tuned for
speed; a bug in it could turn into a wrong "no equilibrium". The MILP confirms its answers where
HiGHS can, but not on the task-level leaderboards (LiveBench, N = 4..10: the MILP stops at its
limit). This module is the other witness: the same proven lemmas (1, 2a-2b, 2d, 3, 4 and 6 of
search.md, and none of Rules 7-16), written again in vectorized numpy, sharing no code with the
search beyond the exact evaluator (`game.is_equilibrium`, which decides every profile it lists)
and the instance's tie classes. It lists *every* pure equilibrium, so it is compared with the
search's complete list, not only with its extremes.

It is slower (about a millisecond per node against microseconds) and visits more nodes, which is
the price of being short enough to check by reading.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

from . import game
from .instance import Instance

#: Entries of the largest temporary array of Lemma 2b (entrants x undecided x types): 16 MB.
CHUNK = 2_000_000


@dataclass(frozen=True)
class ReferenceResult:
    """What :func:`reference_search` proved.

    ``equilibria`` are every pure equilibrium (each passed `game.is_equilibrium`) when
    ``complete``; otherwise those found before the limit. ``nodes`` counts the search's nodes.
    """

    equilibria: tuple[tuple[int, ...], ...]
    complete: bool
    nodes: int
    seconds: float

    @property
    def status(self) -> str:
        """``"complete"`` (the list is every equilibrium) or ``"time_limit"``."""
        return "complete" if self.complete else "time_limit"


def _largest_sum(x: np.ndarray, k: int) -> np.ndarray:
    """Row-wise sum of the k largest entries of x (k >= 0; all of them when a row is shorter)."""
    if k <= 0 or x.shape[-1] == 0:
        return np.zeros(x.shape[:-1])
    if k >= x.shape[-1]:
        return x.sum(axis=-1)
    return np.partition(x, x.shape[-1] - k, axis=-1)[..., x.shape[-1] - k :].sum(axis=-1)


def _entry(levk: np.ndarray, wk: np.ndarray, top: np.ndarray, N: int) -> np.ndarray:
    """Lemma 2a per type: what an entrant earns at least against opponents whose top class is
    ``top``: all of t when above it, t shared with at most N - 1 opponents when tied, else 0."""
    return np.where(levk > top, wk, np.where(levk == top, wk / N, 0.0))


def _member_cap(on: np.ndarray, wj: np.ndarray, m: np.ndarray, n_max: int, floor: float) -> int:
    """Lemma 4 for a model j in use: with n platforms on j, a type where j is in the top class
    (``on``) is shared by at least n + m_t - 1 platforms (the other m_t - 1 top members hold one
    each), so j's utility is at most sum_on w / (n + m_t - 1); the most platforms (at most
    ``n_max``) for which that bound reaches ``floor`` (it decreases in n)."""
    n = np.arange(1, n_max + 1, dtype=float)[:, None]
    u = (np.where(on, wj, 0.0)[None, :] / (n + np.maximum(m, 1.0)[None, :] - 1.0)).sum(axis=1)
    return int(np.count_nonzero(u * (1.0 + 1e-9) >= floor))


class _Reference:
    def __init__(self, inst: Instance, deadline: float | None):
        self.inst = inst
        self.lev = np.asarray(inst.levels, dtype=np.int64)
        self.w = game.utility_weights(inst)
        self.M, self.K, self.N = inst.n_models, inst.n_types, inst.platforms
        self.fp = game.fp_slack(self.w, self.N)  # search.md, "Tolerances"
        self.deadline = deadline
        self.found: list[tuple[int, ...]] = []
        self.nodes = 0
        self.stopped = False

    # -- bounds at a node: included I, excluded X, undecided R (search.md, Lemmas 2-4) ----------

    def lam_lower(self, inc, exc, und, top):
        """Lemma 2b (each excluded entrant, less the `slots` largest single losses over R) and 2d
        (the second largest join payoff over I, less the `slots` largest takes): a lower bound on
        lambda for every equilibrium of the subtree, before EQ_TOL."""
        lev, w, N = self.lev, self.w, self.N
        slots = N - len(inc)
        lam = -np.inf
        if exc:
            gx = _entry(lev[exc], w[exc], top, N)  # (|X|, K)
            bound = gx.sum(axis=1)
            if und and slots > 0:
                newtop = np.maximum(top[None, :], lev[und])  # (|R|, K): the top with r added
                # entrants in chunks of at most CHUNK / (|R| K) (memory); each loss is a sum of
                # per-type drops >= 0, as in the proof
                step = max(1, CHUNK // (len(und) * self.K))
                for a in range(0, len(exc), step):
                    xs = exc[a : a + step]
                    after = _entry(lev[xs][:, None, :], w[xs][:, None, :], newtop[None, :, :], N)
                    loss = (gx[a : a + step, None, :] - after).sum(axis=2)  # (chunk, |R|)
                    bound[a : a + step] -= _largest_sum(loss, slots)
            lam = max(lam, float(bound.max()))
        if len(inc) >= 2:
            ontop = lev[inc] == top  # (|I|, K)
            b = np.where(ontop, w[inc], 0.0).sum(axis=1) / N
            if und and slots > 0:
                above = lev[und][None, :, :] > top[None, None, :]  # (1, |R|, K)
                takes = np.where(ontop[:, None, :] & above, w[inc][:, None, :], 0.0).sum(axis=2) / N
                b = b - _largest_sum(takes, slots)
            lam = max(lam, float(np.sort(b)[-2]))
        return lam

    def fails(self, inc, exc, und, top):
        """Lemmas 3 and 4: True when no support I + S (S within R, |S| <= slots) can carry an
        equilibrium."""
        lev, w, N, fp = self.lev, self.w, self.N, self.fp
        slots = N - len(inc)
        lam = self.lam_lower(inc, exc, und, top) - game.EQ_TOL
        if lam <= fp:
            return False
        # Lemma 3: N lambda <= V(U) <= V(I) + the `slots` largest gains
        maxw = w[inc].max(axis=0) if inc else np.zeros(self.K)
        gains = np.maximum(w[und] - maxw[None, :], 0.0).sum(axis=1) if und else np.zeros(0)
        if N * (lam - fp) > maxw.sum() + _largest_sum(gains, slots) + fp:
            return True
        # Lemma 4: caps at lambda, room for N platforms
        floor = lam - fp
        m = (lev[inc] == top).sum(axis=0).astype(float) if inc else np.zeros(self.K)
        n = np.arange(1, N + 1, dtype=float)[:, None]  # candidate counts
        room = 0
        for j in inc:
            cap = _member_cap(lev[j] == top, w[j], m, N, floor)
            if cap == 0:
                return True
            room += cap
        caps = []
        for r in und:
            strict = np.where(lev[r] > top, w[r], 0.0)
            tie = np.where(lev[r] == top, w[r], 0.0)
            u = (strict[None, :] / n + tie[None, :] / (n + m[None, :])).sum(axis=1)
            caps.append(int(np.count_nonzero(u * (1.0 + 1e-9) >= floor)))
        return room + int(_largest_sum(np.array(caps, dtype=float), slots)) < N

    # -- the exact support (Lemma 6) -----------------------------------------------------------

    def check_support(self, inc, top):
        """List the equilibria on exactly U = inc: a screen by lambda's bounds at U (the
        outsiders' entry payoffs and 2d from below, each member's one-platform utility from
        above), then every count vector within Lemma 4's caps, decided by the exact evaluator."""
        lev, w, N, fp = self.lev, self.w, self.N, self.fp
        s = len(inc)
        if s > N:
            return
        out = np.ones(self.M, dtype=bool)
        out[inc] = False
        lam = -np.inf
        if out.any():
            lam = float(_entry(lev[out], w[out], top, N).sum(axis=1).max())
        on = lev[inc] == top  # (s, K)
        if s >= 2:
            lam = max(lam, float(np.sort(np.where(on, w[inc], 0.0).sum(axis=1) / N)[-2]))
        lam -= game.EQ_TOL
        m = on.sum(axis=0).astype(float)
        caps = []
        for a, j in enumerate(inc):
            cap = _member_cap(on[a], w[j], m, N - s + 1, lam - fp) if lam > fp else N - s + 1
            if cap == 0:
                return
            caps.append(cap)
        # every composition of N into s positive parts within the caps (there can be many: the
        # clock is read every 256 of them)
        for i, cuts in enumerate(itertools.combinations(range(1, N), s - 1)):
            if i % 256 == 255 and self.late():
                return
            parts = np.diff((0, *cuts, N))
            if np.any(parts > caps):
                continue
            counts = np.zeros(self.M, dtype=np.int64)
            counts[inc] = parts
            if game.is_equilibrium(self.inst, counts):
                self.found.append(tuple(int(x) for x in counts))

    # -- the tree (Lemma 1) --------------------------------------------------------------------

    def late(self) -> bool:
        """Past the deadline: the run stops, incomplete."""
        if self.deadline is not None and time.perf_counter() > self.deadline:
            self.stopped = True
        return self.stopped

    def run(self):
        # iterative depth-first search; a frame is (included, excluded, undecided, bounded
        # already: an include child is bounded before its support is decided)
        stack = [([], [], list(range(self.M)), True)]
        while stack:
            if self.late():
                return
            inc, exc, und, bounded = stack.pop()
            self.nodes += 1
            top = self.lev[inc].max(axis=0) if inc else np.full(self.K, -1, dtype=np.int64)
            if inc and not bounded and self.fails(inc, exc, und, top):
                continue
            if len(inc) >= self.N or not und:
                continue
            # branch on the undecided model that would earn most by entering against I
            # (Lemma 1 holds for any choice)
            pay = _entry(self.lev[und], self.w[und], top, self.N).sum(axis=1)
            k = und[int(np.argmax(pay))]
            rest = [r for r in und if r != k]
            stack.append((inc, exc + [k], rest, False))  # explored second
            new = inc + [k]
            newtop = np.maximum(top, self.lev[k])
            # the support I + k is decided here, once (Lemma 1: its include node is unique)
            if not self.fails(new, exc, rest, newtop):
                self.check_support(new, newtop)
                stack.append((new, exc, rest, True))


def reference_search(inst: Instance, time_limit: float | None = None) -> ReferenceResult:
    """Every pure equilibrium of a hardmax market, by the plain second implementation of the
    support search (formulations/search.md, "Reference search").

    Parameters
    ----------
    inst : Instance
        A hardmax market (either utility).
    time_limit : float, optional
        Seconds; at the limit the result is not complete.

    Returns
    -------
    ReferenceResult

    Examples
    --------
    >>> from milp_market import load_instance
    >>> res = reference_search(load_instance("instances/ties.json"))
    >>> res.status, len(res.equilibria)
    ('complete', 3)
    >>> reference_search(load_instance("instances/no_equilibrium.json")).equilibria
    ()
    """
    if inst.choice != "hardmax":
        raise ValueError("the reference search is for hardmax choice")
    t0 = time.perf_counter()
    ref = _Reference(inst, None if time_limit is None else t0 + time_limit)
    ref.run()
    eqs = tuple(sorted(set(ref.found)))
    return ReferenceResult(eqs, not ref.stopped, ref.nodes, time.perf_counter() - t0)
