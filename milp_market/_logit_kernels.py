"""Compiled inner loops of the logit count-vector search (formulations/logit_search.md; Python
side: logit_search.py). Lemma numbers below are the page's.

Everything here only *discards* count vectors, with the margins of the page's "Tolerances";
whatever survives is decided in Python by the exact evaluator, game.is_equilibrium.

Models are relabelled by the caller (the search order); a node is a sequence of placements
(model ``pl_i[a]``, count ``pl_c[a]``), a = 1..d, with increasing models. Weights are never formed
as exp(beta S): every weight is taken relative to a model whose score is at least as large,
``_x(t, a, b) = exp(-beta |S[a,t] - S[b,t]|)``, from the table ``G[t, a, b]`` (``use`` = True)
or computed on the fly, so no exp() overflows and every partition sum is at least 1.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def _x(G, S, beta, use, t, a, b):
    """exp(-beta |S[a,t] - S[b,t]|): b's weight relative to a when S[a,t] >= S[b,t]."""
    if use:
        return G[t, a, b]
    d = abs(S[a, t] - S[b, t])
    if d == 0.0:
        return 1.0
    return math.exp(-beta * d)


@njit(cache=True)
def _share(G, S, beta, use, t, k, refm, D):
    """Share of one platform entering on k against opponents whose weight on type t is D
    relative to model refm (their largest score); D = 0: no opponents, share 1."""
    if D <= 0.0:
        return 1.0
    if S[k, t] > S[refm, t]:
        return 1.0 / (1.0 + D * _x(G, S, beta, use, t, k, refm))
    x = _x(G, S, beta, use, t, refm, k)
    return x / (x + D)


@njit(cache=True)
def _share_lb(G, S, beta, use, t, k, ref, Dd, imax, r):
    """Lemma 2: a lower bound on k's share as an entrant when the opponents' weight is at most
    Dd (relative to ref) + r times imax's weight; all terms are rescaled to the largest score
    among ref, k, imax, so the denominator is >= 1."""
    c = ref
    if S[k, t] > S[c, t]:
        c = k
    if S[imax, t] > S[c, t]:
        c = imax
    yk = _x(G, S, beta, use, t, c, k)
    ym = _x(G, S, beta, use, t, c, imax)
    Dc = Dd if c == ref else Dd * _x(G, S, beta, use, t, c, ref)
    return yk / (yk + Dc + r * ym)


@njit(cache=True)
def _share_ub(G, S, beta, use, t, j, ref, Dd, imin, r):
    """Lemma 2: an upper bound on the share of one platform on decided model j (S[j,t] <= S[ref,t])
    when the r undecided platforms each weigh at least as much as imin."""
    xj = _x(G, S, beta, use, t, ref, j)
    g = _x(G, S, beta, use, t, ref, imin)
    if S[imin, t] <= S[ref, t]:
        return xj / (Dd + r * g)
    return xj * g / (Dd * g + r)  # imin above ref: its weight is 1/g


@njit(cache=True)
def _share_new(G, S, beta, use, t, v, c, ref, Dd, imin, r):
    """Lemma 3: an upper bound on the share of one of c platforms put on undecided model v, the
    other r - c undecided platforms weighing at least as much as imin (S[imin,t] <= S[v,t])."""
    top = ref
    if S[v, t] > S[ref, t]:
        top = v
    yv = _x(G, S, beta, use, t, top, v)
    ym = _x(G, S, beta, use, t, top, imin)
    Dc = Dd if top == ref else Dd * _x(G, S, beta, use, t, top, ref)
    return yv / (Dc + c * yv + (r - c) * ym)


@njit(cache=True)
def _node(d, pl_i, Dd, R, Vpar, Vout, cap, S, w, G, beta, use, N, r, slack, fp, killer, imin, imax, Dj, delta, opts, full_r):
    """Bounds at an interior node (r >= 1 platforms left): True = the subtree holds no equilibrium.

    Fills Vout (the undecided models that can still be used, Lemma 3) and cap (how many platforms
    each can take). Lemma 2 (used model below an entrant), Lemma 4 (sum of utilities), Lemma 3
    (viability and caps), Lemma 5 (room for the r platforms)."""
    M, K = S.shape
    last = pl_i[d]
    nv = 0
    for m in range(M):
        Vout[m] = False
        cap[m] = 0
    for m in range(last + 1, M):
        if Vpar[m]:
            Vout[m] = True
            nv += 1
    if nv == 0:
        return True  # Lemma 5: r >= 1 platforms and no model to put them on
    L = -np.inf
    for rnd in range(8):
        # per type: the lowest- and highest-scoring undecided model that can still be used
        for t in range(K):
            a = -1
            b = -1
            for m in range(last + 1, M):
                if Vout[m]:
                    if a < 0 or S[m, t] < S[a, t]:
                        a = m
                    if b < 0 or S[m, t] > S[b, t]:
                        b = m
            imin[t] = a
            imax[t] = b
        # Lemma 2: the smallest upper bound on a used model's utility
        ub = np.inf
        jstar = -1
        for q in range(1, d + 1):
            j = pl_i[q]
            s = 0.0
            for t in range(K):
                if w[j, t] != 0.0:
                    s += w[j, t] * _share_ub(G, S, beta, use, t, j, R[t], Dd[t], imin[t], r)
            if s < ub:
                ub = s
                jstar = j
        thr = ub + slack
        if rnd == 0:
            # Lemma 2: the largest lower bound on an entrant's payoff (the last killer first;
            # with fewer than full_r platforms left, the last killer only: any entrant's bound
            # is a valid L, and the leaves below are cheaper than a full scan)
            scan = M if r >= full_r else 1
            k0 = killer[0]
            for a in range(scan):
                k = (k0 + a) % M
                e = 0.0
                for t in range(K):
                    if w[k, t] != 0.0:
                        e += w[k, t] * _share_lb(G, S, beta, use, t, k, R[t], Dd[t], imax[t], r)
                if e > L:
                    L = e
                    if L > thr:
                        killer[0] = k
                        return True
            # Lemma 2, deviation form: the platform on jstar leaves, so the opponents weigh at
            # most Dd - x_jstar (rounded up by delta) + r imax
            if opts & 1:
                for t in range(K):
                    Dj[t] = max(Dd[t] - _x(G, S, beta, use, t, R[t], jstar), 0.0) + delta
                k0 = killer[1]
                for a in range(scan):
                    k = (k0 + a) % M
                    if k == jstar:
                        continue
                    e = 0.0
                    for t in range(K):
                        if w[k, t] != 0.0:
                            e += w[k, t] * _share_lb(G, S, beta, use, t, k, R[t], Dj[t], imax[t], r)
                        if e > thr:  # partial sums of non-negative terms: already a bound
                            killer[1] = k
                            return True
        elif L > thr:
            return True
        # Lemma 4: N lambda <= sum of utilities <= sum_t max_{possible j} w[j,t]
        tot = np.inf if (opts & 4) == 0 else 0.0
        for t in range(K if opts & 4 else 0):
            mx = 0.0
            for q in range(1, d + 1):
                j = pl_i[q]
                if w[j, t] > mx:
                    mx = w[j, t]
            for m in range(last + 1, M):
                if Vout[m] and w[m, t] > mx:
                    mx = w[m, t]
            tot += mx
        if N * (L - slack) > tot * (1.0 + 1e-12) + fp:
            return True
        # Lemma 3: an undecided model used with c platforms earns at most ub_v(c), so it takes at
        # most cap_v platforms; Lemma 5: the caps must hold the r platforms
        lim = L - slack
        changed = False
        capsum = 0
        for v in range(last + 1, M):
            if not Vout[v]:
                continue
            c = 0 if opts & 2 else r
            while c < r:
                s = 0.0
                for t in range(K):
                    if w[v, t] != 0.0:
                        s += w[v, t] * _share_new(G, S, beta, use, t, v, c + 1, R[t], Dd[t], imin[t], r)
                if s < lim:
                    break
                c += 1
            cap[v] = c
            if c == 0:
                Vout[v] = False
                nv -= 1
                changed = True
            capsum += c
        if nv == 0 or capsum < r:
            return True
        if not changed:
            break
    return False


@njit(cache=True)
def _leaf(d, pl_i, pl_c, Dd, R, n, S, w, G, beta, use, N, slack, killer, Do, Ro, uq, uq0, delta):
    """A complete count vector (Lemma 6, steps 1-4, cheapest first): True = it survives every
    screen and goes to the exact evaluator. ``killer`` holds the last entrant and deviation target
    that rejected a leaf, and counts the leaves reaching step 4."""
    M, K = S.shape
    # utilities of the used models
    umin = np.inf
    for q in range(1, d + 1):
        j = pl_i[q]
        s = 0.0
        for t in range(K):
            if w[j, t] != 0.0:
                s += w[j, t] * _x(G, S, beta, use, t, R[t], j) / Dd[t]
        uq0[q] = s
        if s < umin:
            umin = s
    thr = umin + slack
    # quick tests on the last killers: the entrant, then each used model's platform leaving for
    # the last deviation target, its opponents' weight bounded above by D - x_j + delta
    k = killer[0]
    e = 0.0
    for t in range(K):
        if w[k, t] != 0.0:
            e += w[k, t] * _share(G, S, beta, use, t, k, R[t], Dd[t])
    if e > thr:
        return False
    k = killer[1]
    for q in range(1, d + 1):
        j = pl_i[q]
        if j == k:
            continue
        e = 0.0
        lim = uq0[q] + slack
        for t in range(K):
            if w[k, t] != 0.0:
                Dm = max(Dd[t] - _x(G, S, beta, use, t, R[t], j), 0.0) + delta
                e += w[k, t] * _share(G, S, beta, use, t, k, R[t], Dm)
                if e > lim:
                    return False
    # entry screen: a deviator faces fewer opponents than an entrant against all N
    k0 = killer[0]
    kbest = k0
    ebest = -np.inf
    for a in range(M):
        k = (k0 + a) % M
        e = 0.0
        for t in range(K):
            if w[k, t] != 0.0:
                e += w[k, t] * _share(G, S, beta, use, t, k, R[t], Dd[t])
        if e > thr:
            killer[0] = k
            return False
        if e > ebest:
            ebest = e
            kbest = k
    killer[2] += 1  # leaves that reach the deviation check (a statistic)
    # every deviation j -> k against the opponents n - e_j, their partition recomputed (no
    # subtraction, which would cancel digits); the poorest used model first
    for sweep in range(2):
        for q in range(1, d + 1):
            uq[q] = uq0[q]
        for z_ in range(d):
            qb = -1
            for q in range(1, d + 1):
                if uq[q] < np.inf and (qb < 0 or uq[q] < uq[qb]):
                    qb = q
            uq[qb] = np.inf
            j = pl_i[qb]
            if sweep == 0 and kbest == j:
                continue
            n[j] -= 1
            for t in range(K):
                rf = -1
                for p in range(1, d + 1):
                    i = pl_i[p]
                    if n[i] > 0 and (rf < 0 or S[i, t] > S[rf, t]):
                        rf = i
                z = 0.0
                if rf >= 0:
                    for p in range(1, d + 1):
                        i = pl_i[p]
                        if n[i] > 0:
                            z += n[i] * _x(G, S, beta, use, t, rf, i)
                else:
                    rf = 0
                Ro[t] = rf
                Do[t] = z
            n[j] += 1
            stay = 0.0
            for t in range(K):
                if w[j, t] != 0.0:
                    stay += w[j, t] * _share(G, S, beta, use, t, j, Ro[t], Do[t])
            lim = stay + slack
            k0 = kbest if sweep == 0 else killer[1]
            for a in range(1 if sweep == 0 else M):
                k = (k0 + a) % M
                if k == j:
                    continue
                e = 0.0
                for t in range(K):
                    if w[k, t] != 0.0:
                        e += w[k, t] * _share(G, S, beta, use, t, k, Ro[t], Do[t])
                if e > lim:
                    killer[1] = k
                    return False
    return True


@njit(cache=True)
def search(state, pl_i, pl_c, placed, n, Dst, Rst, Vm, capm, ci, cc, S, w, G, beta, use, N, slack, fp, delta, opts, full_r, budget, out, killer, stats):
    """Depth-first search over count vectors (Lemma 1), resumable: runs at most ``budget`` nodes
    (or until ``out`` is full) and returns True when the whole tree has been explored.

    ``state[0]`` is the current depth; ``stats`` accumulates nodes, pruned nodes, leaves reached,
    leaves screened out; ``state[1]`` the rows written to ``out``."""
    M, K = S.shape
    imin = np.empty(K, dtype=np.int64)
    imax = np.empty(K, dtype=np.int64)
    Do = np.empty(K)
    Ro = np.empty(K, dtype=np.int64)
    uq = np.empty(N + 2)
    uq0 = np.empty(N + 2)
    d = state[0]
    used_budget = 0
    while True:
        if d < 0:
            state[0] = d
            return True
        if used_budget >= budget or state[1] >= out.shape[0]:
            state[0] = d
            return False
        rem = N - placed[d]
        # next child of the node at depth d: (model ci[d], count cc[d])
        m = ci[d]
        if m >= 0 and cc[d] < capm[d, m] and cc[d] < rem:
            cc[d] += 1
        else:
            m = m + 1
            while m < M and not Vm[d, m]:
                m += 1
            if m >= M:
                if d > 0:
                    n[pl_i[d]] = 0
                d -= 1
                continue
            ci[d] = m
            cc[d] = 1
        c = cc[d]
        e = d + 1
        pl_i[e] = m
        pl_c[e] = c
        placed[e] = placed[d] + c
        n[m] = c
        for t in range(K):
            if d == 0:
                Rst[e, t] = m
                Dst[e, t] = c
            else:
                ref = Rst[d, t]
                if S[m, t] > S[ref, t]:
                    Dst[e, t] = Dst[d, t] * _x(G, S, beta, use, t, m, ref) + c
                    Rst[e, t] = m
                else:
                    Dst[e, t] = Dst[d, t] + c * _x(G, S, beta, use, t, ref, m)
                    Rst[e, t] = ref
        used_budget += 1
        stats[0] += 1
        r = N - placed[e]
        if r == 0:
            stats[2] += 1
            if _leaf(e, pl_i, pl_c, Dst[e], Rst[e], n, S, w, G, beta, use, N, slack, killer[2:], Do, Ro, uq, uq0, delta):
                out[state[1], :] = n
                state[1] += 1
            else:
                stats[3] += 1
            n[m] = 0
            continue
        if _node(e, pl_i, Dst[e], Rst[e], Vm[d], Vm[e], capm[e], S, w, G, beta, use, N, r, slack, fp, killer, imin, imax, Do, delta, opts, full_r):
            stats[1] += 1
            n[m] = 0
            continue
        d = e
        ci[d] = -1
        cc[d] = 0


# ----------------------------------------------------------------------------- social optimum
#
# formulations/logit_search.md, Lemma 7: a depth-first branch and bound over count
# vectors (models in ``order``, counts from the largest down), welfare kept per type as a weighted
# sum num/den with weights X[j,t] = exp(beta (S[j,t] - max_i S[i,t])) <= 1. A node's bound: each
# type's welfare is a weighted average of the scores of the models in use, so adding platforms of
# undecided models can raise it to at most the best undecided score (``sufmax``).
#
# A partial sum ``den`` below DEN_NORMAL may hold subnormal weights, whose few significant bits
# make num/den wrong (an audit found 0.683 for 0.633 at beta 1000, N = 1): such a type's average
# is recomputed on the best used score at a leaf and bounded by that score at a node.
DEN_NORMAL = 1e-280


@njit(cache=True)
def social_dfs(S, X, pi, beta, N, order, sufmax, st, cnt, rem, num, den, umax, best, bestn, tol, budget):
    """Run at most ``budget`` nodes; ``st[0]`` depth, ``st[1]`` = 1 when the tree is exhausted,
    ``st[2]`` = 1 once started. ``best[0]`` / ``bestn`` the incumbent (welfare, counts in pool
    order). A subtree is cut when its bound is at most the incumbent + ``tol``. Returns the nodes
    visited."""
    M, K = S.shape
    visited = 0
    if st[2] == 0:
        st[2] = 1
        st[0] = 0
        rem[0] = N
        cnt[0] = N
        for t in range(K):
            num[0, t] = 0.0
            den[0, t] = 0.0
            umax[0, t] = -math.inf
    d = st[0]
    while visited < budget and st[1] == 0:
        visited += 1
        j = order[d]
        c = cnt[d]
        R = rem[d] - c
        for t in range(K):
            num[d + 1, t] = num[d, t] + c * X[j, t] * S[j, t]
            den[d + 1, t] = den[d, t] + c * X[j, t]
            umax[d + 1, t] = umax[d, t]
            if c > 0 and S[j, t] > umax[d + 1, t]:
                umax[d + 1, t] = S[j, t]
        descend = False
        if R == 0:
            # a leaf: every remaining model has 0 platforms
            W = 0.0
            for t in range(K):
                if den[d + 1, t] > DEN_NORMAL:
                    W += pi[t] * num[d + 1, t] / den[d + 1, t]
                else:
                    # the used weights underflowed (or are subnormal): renormalize on the best
                    # used score
                    top = umax[d + 1, t]
                    nn = 0.0
                    dd = 0.0
                    for i in range(d + 1):
                        if cnt[i] > 0:
                            x = math.exp(-beta * (top - S[order[i], t]))
                            nn += cnt[i] * x * S[order[i], t]
                            dd += cnt[i] * x
                    W += pi[t] * nn / dd
            if W > best[0]:
                best[0] = W
                for i in range(M):
                    bestn[i] = 0
                for i in range(d + 1):
                    bestn[order[i]] = cnt[i]
        else:
            ub = 0.0
            for t in range(K):
                a = sufmax[d + 1, t]
                if den[d + 1, t] > DEN_NORMAL:
                    v = num[d + 1, t] / den[d + 1, t]
                    if v > a:
                        a = v
                elif umax[d + 1, t] > a:
                    a = umax[d + 1, t]
                ub += pi[t] * a
            descend = ub > best[0] + tol
        if descend:
            d += 1
            rem[d] = R
            cnt[d] = R
            continue
        # backtrack: the next smaller count at this depth; the last model takes what is left
        while True:
            if d < M - 1 and cnt[d] > 0:
                cnt[d] -= 1
                break
            d -= 1
            if d < 0:
                st[1] = 1
                d = 0
                break
    st[0] = d
    return visited
