"""Count-vector search for logit (softmax) choice: every pure equilibrium, by depth-first search
over count vectors with proven pruning bounds. The page is formulations/logit_search.md; the
lemma numbers in the comments are its numbers.

Under logit choice every model in use takes a positive share of every type, so the set of models
in use fixes nothing (unlike hardmax, formulations/search.md); what carries the search is
monotonicity: a platform's payoff on any model, staying or deviating, only falls when platforms
are added anywhere (Lemma 2). The search places platforms model by model (Lemma 1: every count
vector once), bounds every used model's utility from above and every deviation payoff from below
over the whole subtree, prunes when the first is below the second (Lemmas 2-5), and screens each
complete count vector with a compiled deviation check (Lemma 6) before the exact evaluator
:func:`game.is_equilibrium`, which alone decides. A complete run that finds nothing is a proof
by exhaustion, like enumeration's.
"""

from __future__ import annotations

import math
import time

import numpy as np

from . import game
from .instance import Instance
from .search import SearchResult

#: Nodes per compiled slice at most (slices start at 64 and double while one takes under 0.05 s).
NODES_PER_SLICE = 200_000

#: Rows of the survivor buffer (a slice returns when it is full; Python drains it).
OUT_ROWS = 4096

#: Interior nodes with at least this many platforms left scan every model for Lemma 2's bounds;
#: nearer the leaves only the last killers are tried (the page, "Search order and cost").
FULL_SCAN_R = 3

#: Largest M * M * K for which the relative weights exp(-beta |S_at - S_bt|) are tabulated
#: (8 bytes each); beyond it they are computed on the fly.
TABLE_MAX = 5_000_000


#: Pruning rules beyond Lemma 2's entry form, as bits (formulations/logit_search.md); each is
#: valid alone, and tests/test_logit_search.py checks each alone against enumeration.
RULE_DEVIATION = 1  #: Lemma 2, deviation form: the poorest used model's platform leaves
RULE_VIABLE = 2  #: Lemma 3: undecided models that cannot earn the entry bound, and caps
RULE_SUM = 4  #: Lemma 4: N times the smallest utility is at most the sum of utilities
#: The rules the search runs with.
RULES = RULE_DEVIATION | RULE_VIABLE | RULE_SUM


def _order(inst: Instance) -> np.ndarray:
    """The search order: models by decreasing mass-weighted score sum_t pi_t S[j,t] (the solo
    payoff under ``score_share``; ties by index).

    Any order is exact (Lemma 1); this one places the strong models first, so that deep nodes
    have weak undecided models. A heuristic with mixed results (the page, "Measured")."""
    strength = (inst.masses[None, :] * inst.scores).sum(axis=1)
    return np.lexsort((np.arange(inst.n_models), -strength)).astype(np.int64)


class LogitSearch:
    """The count-vector search on one logit instance (formulations/logit_search.md).

    Parameters
    ----------
    inst : Instance
        A game with ``choice == "softmax"`` (any beta >= 0, either utility).
    rules : int
        Which rules beyond Lemma 2's entry form run (bits ``RULE_*``; default all). Every subset
        is exact; fewer rules only prune less.

    Attributes
    ----------
    dev_checked : int
        After :meth:`run`: complete count vectors that passed the entry screens and reached the
        compiled deviation check (Lemma 6, step 4); a diagnostic.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market.instance import make_instance
    >>> inst = make_instance(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.5, 0.5]), 2,
    ...                      choice="softmax", beta=20.0)
    >>> res = LogitSearch(inst).run()
    >>> res.equilibria, res.complete
    (((1, 1),), True)
    >>> round(res.welfare[0], 6)
    1.0
    """

    def __init__(self, inst: Instance, rules: int = RULES, epsilon: float = game.EQ_TOL):
        if inst.choice != "softmax":
            raise ValueError("the logit search is for softmax choice (hardmax: search.SupportSearch)")
        if not (epsilon >= game.EQ_TOL and math.isfinite(epsilon)):
            raise ValueError(f"epsilon must be a finite number >= EQ_TOL ({game.EQ_TOL}), got {epsilon!r}")
        self.inst = inst
        self.rules = int(rules)
        # The deviation tolerance (page, "Approximate equilibria"): EQ_TOL lists the pure
        # equilibria, a larger epsilon the epsilon-equilibria; every rule reads EQ_TOL as epsilon.
        self.epsilon = float(epsilon)
        self.full_r = FULL_SCAN_R
        self.dev_checked = 0
        self.M, self.K, self.N = inst.n_models, inst.n_types, inst.platforms
        w = game.utility_weights(inst)
        self.perm = _order(inst)
        self.S = np.ascontiguousarray(inst.scores[self.perm], dtype=np.float64)
        self.w = np.ascontiguousarray(w[self.perm], dtype=np.float64)
        self.beta = float(inst.beta)
        # Tolerances (page, "Tolerances"): every computed share is within c (N + K) ulps of the
        # exact one, and so is game.py's; fp covers four such errors with room to spare.
        scale = 1.0 + float(self.w.sum(axis=1).max())
        self.fp = max(1e-12, 4e-15 * (self.N + self.K)) * scale
        self.slack = self.epsilon + self.fp
        # Lemma 2 (deviation form): the computed partition sum Dd (at most N terms, each update
        # rounded a few times) minus one weight is within this of the exact difference
        self.delta = 1e-14 * self.N * self.N

    def _table(self):
        M, K = self.M, self.K
        if M * M * K > TABLE_MAX:
            return np.zeros((1, 1, 1)), False
        St = self.S.T  # (K, M)
        gap = np.abs(St[:, :, None] - St[:, None, :])  # (K, M, M), exact differences
        with np.errstate(over="ignore", invalid="ignore"):
            G = np.where(gap == 0.0, 1.0, np.exp(-self.beta * gap))
        return np.ascontiguousarray(G), True

    def run(self, time_limit: float | None = None, deadline: float | None = None, max_equilibria: int | None = None) -> SearchResult:
        """Every pure equilibrium, or what was found before the limit (``complete=False``).

        Parameters
        ----------
        time_limit : float, optional
            Seconds from the call.
        deadline : float, optional
            An absolute ``time.perf_counter()`` time; the earlier of the two applies.
        max_equilibria : int, optional
            Stop after the slice in which this many were found (``complete=False`` unless the
            tree was done).

        Returns
        -------
        SearchResult
            ``equilibria`` sorted by decreasing exact welfare (each passed
            :func:`game.is_equilibrium`); ``nodes`` the tree nodes created, ``pruned`` the nodes
            cut by Lemmas 2-5 plus the leaves rejected by the compiled screens (Lemma 6),
            ``supports_checked`` the complete count vectors reached (leaves),
            ``profiles_checked`` those handed to the exact evaluator. No social optimum
            (``social_optimum=None``, ``social_welfare=nan``, ``social_complete=False``).
        """
        t0 = time.perf_counter()
        if time_limit is not None:
            lim = t0 + time_limit
            deadline = lim if deadline is None else min(deadline, lim)
        from . import _logit_kernels as ker  # compiled on first use, cached

        M, K, N = self.M, self.K, self.N
        G, use = self._table()
        state = np.array([0, 0], dtype=np.int64)  # depth, rows in out
        pl_i = np.zeros(N + 2, dtype=np.int64)
        pl_c = np.zeros(N + 2, dtype=np.int64)
        placed = np.zeros(N + 2, dtype=np.int64)
        n = np.zeros(M, dtype=np.int64)
        Dst = np.zeros((N + 2, K))
        Rst = np.zeros((N + 2, K), dtype=np.int64)
        Vm = np.zeros((N + 2, M), dtype=np.bool_)
        Vm[0] = True
        capm = np.zeros((N + 2, M), dtype=np.int64)
        capm[0] = N
        ci = np.full(N + 2, -1, dtype=np.int64)
        cc = np.zeros(N + 2, dtype=np.int64)
        out = np.zeros((OUT_ROWS, M), dtype=np.int64)
        killer = np.zeros(5, dtype=np.int64)  # last pruning models (node, leaf) and a count
        stats = np.zeros(4, dtype=np.int64)
        eqs: list[tuple[int, ...]] = []
        checked = 0
        complete = True
        first = None  # seconds to the first verified equilibrium
        budget = min(64, NODES_PER_SLICE)
        while True:
            ts = time.perf_counter()
            finished = ker.search(
                state, pl_i, pl_c, placed, n, Dst, Rst, Vm, capm, ci, cc, self.S, self.w, G,
                self.beta, use, N, self.slack, self.fp, self.delta, self.rules, self.full_r,
                budget, out, killer, stats,
            )
            if time.perf_counter() - ts < 0.05:
                budget = min(2 * budget, NODES_PER_SLICE)
            rows = int(state[1])
            stopped = False
            for i_row in range(rows):
                if deadline is not None and i_row % 64 == 63 and time.perf_counter() > deadline:
                    stopped = True  # survivors left unchecked: incomplete
                    break
                counts = np.empty(M, dtype=np.int64)
                counts[self.perm] = out[i_row]
                checked += 1
                if game.is_equilibrium(self.inst, counts, tol=self.epsilon):
                    eqs.append(tuple(int(x) for x in counts))
                    if first is None:
                        first = time.perf_counter() - t0
            state[1] = 0
            if stopped:
                complete = False
                break
            if finished:
                break
            if max_equilibria is not None and len(eqs) >= max_equilibria:
                complete = False  # stopped on request, with the tree not done
                break
            if deadline is not None and time.perf_counter() > deadline:
                complete = False
                break
        self.dev_checked = int(killer[4])
        wel = [game.welfare(self.inst, c) for c in eqs]
        idx = sorted(range(len(eqs)), key=lambda i: (-wel[i], eqs[i]))
        return SearchResult(
            equilibria=tuple(eqs[i] for i in idx),
            welfare=tuple(wel[i] for i in idx),
            complete=complete,
            social_optimum=None,
            social_welfare=math.nan,
            social_complete=False,
            nodes=int(stats[0]),
            pruned=int(stats[1] + stats[3]),
            supports_checked=int(stats[2]),
            profiles_checked=checked,
            seconds=time.perf_counter() - t0,
            first_equilibrium_seconds=first,
        )


def logit_search(inst: Instance, time_limit: float | None = None) -> SearchResult:
    """Every pure equilibrium of a logit instance by count-vector search
    (formulations/logit_search.md).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market.instance import make_instance
    >>> inst = make_instance(np.array([[1.0, 0.9], [0.5, 0.5]]), np.array([0.5, 0.5]), 3,
    ...                      choice="softmax", beta=10.0)
    >>> res = logit_search(inst)
    >>> res.equilibria, res.complete
    (((3, 0),), True)
    """
    return LogitSearch(inst).run(time_limit=time_limit)


#: Nodes per compiled call of the social-optimum branch and bound (the deadline is checked between).
SOCIAL_SLICE = 200_000


def logit_social_optimum(inst: Instance, time_limit: float | None = None, deadline: float | None = None):
    """The social optimum under logit choice by branch and bound over count vectors
    (formulations/logit_search.md, Lemma 7).

    Each type's welfare is the average of the used models' scores weighted by n_j exp(beta S_jt),
    so platforms of models not yet placed can raise it to at most the best score among them; a
    subtree whose bound cannot beat the incumbent is cut. The answer's welfare is recomputed by
    ``game.welfare`` (a mismatch beyond 1e-9 is a VerificationError).

    Returns
    -------
    tuple
        ``(counts, welfare, complete)``; ``complete`` is True when the tree was exhausted, so the
        profile is optimal to within 1e-12 times the welfare scale.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market.instance import make_instance
    >>> inst = make_instance(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.5, 0.5]), 2,
    ...                      choice="softmax", beta=10.0)
    >>> counts, w, complete = logit_social_optimum(inst)
    >>> counts, round(w, 6), complete
    ((1, 1), 0.999955, True)
    """
    from . import _logit_kernels as lk
    from .certify import VerificationError

    if inst.choice != "softmax":
        raise ValueError("logit_social_optimum is for logit (softmax) choice")
    t0 = time.perf_counter()
    if deadline is None and time_limit is not None:
        deadline = t0 + time_limit
    S = np.ascontiguousarray(inst.scores, dtype=float)
    M, K = S.shape
    N = inst.platforms
    pi = np.ascontiguousarray(inst.masses, dtype=float)
    beta = float(inst.beta)
    with np.errstate(under="ignore"):
        X = np.exp(np.minimum(0.0, beta * (S - S.max(axis=0, keepdims=True))))
    order = _order(inst)
    sufmax = np.full((M + 1, K), -np.inf)
    for d in range(M - 1, -1, -1):
        sufmax[d] = np.maximum(sufmax[d + 1], S[order[d]])
    # incumbent: all platforms on the strongest model (any placement is feasible)
    start = np.zeros(M, dtype=np.int64)
    start[order[0]] = N
    best = np.array([game.welfare(inst, start)])
    bestn = start.copy()
    scale = float((pi[None, :] * S).max(axis=0).sum())
    tol = -1e-12 * max(1.0, scale)  # negative: a bound within rounding of the incumbent is explored
    st = np.zeros(3, dtype=np.int64)
    cnt = np.zeros(M, dtype=np.int64)
    rem = np.zeros(M + 1, dtype=np.int64)
    num = np.zeros((M + 1, K))
    den = np.zeros((M + 1, K))
    umax = np.zeros((M + 1, K))
    while True:
        lk.social_dfs(S, X, pi, beta, N, order, sufmax, st, cnt, rem, num, den, umax, best, bestn, tol, SOCIAL_SLICE)
        if st[1] == 1 or (deadline is not None and time.perf_counter() >= deadline):
            break
    counts = tuple(int(c) for c in bestn)
    exact = game.welfare(inst, counts)
    if abs(exact - best[0]) > 1e-9 * max(1.0, abs(exact)):
        raise VerificationError(f"logit social optimum: search welfare {best[0]} != exact {exact} for {counts}")
    return counts, exact, bool(st[1] == 1)
