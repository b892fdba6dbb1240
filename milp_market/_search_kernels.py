"""Compiled inner loops of the support search (formulations/search.md; Python side: search.py).

Everything here is a necessary condition or a screen: these kernels only *discard* supports and
count vectors, with the margins of search.md "Tolerances". Whatever survives is decided in
Python by the exact evaluator, game.is_equilibrium.

Notation (search.md): ``lev[j, t]`` tie class of model j for type t (integers, exact
comparisons); ``w[j, t]`` what a platform on j earns per unit share of type t. A node of the
search is a partition of the models into included I (``inc_models[:d]``), excluded X and
undecided R; ``slots = N - d`` models may still be added. The bound functions read the partition
from an arrangement ``order`` of the models: I first (``included`` marks them), then X, then R
from position ``i`` on (``_arrange`` builds it).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _cont(levk, wk, top, N):
    """Lemma 2: lower bound on an entrant's share-weighted payoff from one type."""
    if levk > top:
        return wk
    if levk == top:
        return wk / N
    return 0.0


@njit(cache=True)
def _top_sum(x, n, k):
    """Sum of the k largest of x[:n]."""
    if k <= 0 or n == 0:
        return 0.0
    if k >= n:
        s = 0.0
        for a in range(n):
            s += x[a]
        return s
    y = np.sort(x[:n])
    s = 0.0
    for a in range(n - k, n):
        s += y[a]
    return s


@njit(cache=True)
def _loss_bound(k, top, lev, w, order, r_from, skip_pos, slots, N, buf):
    """sum of the `slots` largest losses that one added model of order[r_from:] (not skip_pos)
    inflicts on entrant k's bound (Lemma 2b, union bound)."""
    M = order.shape[0]
    K = lev.shape[1]
    n = 0
    for q in range(r_from, M):
        if q == skip_pos:
            continue
        r = order[q]
        loss = 0.0
        for t in range(K):
            before = _cont(lev[k, t], w[k, t], top[t], N)
            if before == 0.0:
                continue
            nt = top[t] if top[t] >= lev[r, t] else lev[r, t]
            loss += before - _cont(lev[k, t], w[k, t], nt, N)
        buf[n] = loss
        n += 1
    return _top_sum(buf, n, slots)


@njit(cache=True)
def _join_bound(d, i, inc_models, top, lev, w, order, N, slots, buf):
    """Lemma 2d: the second largest, over included k, of B_k(U) / N, where B_k(U) (the weight
    of the types on which k is in the top class) is bounded below over completions by B_k(I)
    minus the `slots` largest weights an added model r can take from k by being strictly above."""
    M, K = lev.shape
    best1 = -np.inf
    best2 = -np.inf
    for a in range(d):
        k = inc_models[a]
        B = 0.0
        for t in range(K):
            if lev[k, t] == top[t]:
                B += w[k, t]
        if slots > 0 and B > 0.0:
            n = 0
            for q in range(i, M):
                r = order[q]
                loss = 0.0
                for t in range(K):
                    if lev[k, t] == top[t] and lev[r, t] > lev[k, t]:
                        loss += w[k, t]
                buf[n] = loss
                n += 1
            B -= _top_sum(buf, n, slots)
        v = B / N
        if v > best1:
            best2 = best1
            best1 = v
        elif v > best2:
            best2 = v
    return best2


@njit(cache=True)
def fails(d, i, included, top, maxw, inc_models, lev, w, order, N, eqtol, fp, ncand, buf, buf2):
    """True when no support I + S (S within order[i:], |S| <= N - d) can carry an equilibrium
    in which the d included models are used and the models at positions < i are not
    (search.md Lemmas 2-4)."""
    M = order.shape[0]
    K = lev.shape[1]
    slots = N - d
    # ---- Lemma 2 on the excluded models X (positions < i, not included): the `ncand` with the
    # largest payoff against I, each minus what the undecided models can take from it.
    nx = 0
    for q in range(i):
        if not included[q]:
            k = order[q]
            s = 0.0
            for t in range(K):
                s += _cont(lev[k, t], w[k, t], top[t], N)
            buf[nx] = s
            buf2[nx] = q
            nx += 1
    lam = -np.inf
    if nx > 0:
        idx = np.argsort(-buf[:nx])
        lim = ncand if ncand < nx else nx
        tmp = np.empty(M)
        for a in range(lim):
            q = int(buf2[idx[a]])
            k = order[q]
            tot = buf[idx[a]]
            if tot <= lam:
                break
            e = tot - _loss_bound(k, top, lev, w, order, i, -1, slots, N, tmp) if slots > 0 else tot
            if e > lam:
                lam = e
    # ---- Lemma 2c on the undecided models: at most `slots` of them join, so one of any
    # slots + 1 of them stays out and can enter.
    nr = M - i
    if nr > slots:
        for q in range(i, M):
            k = order[q]
            s = 0.0
            for t in range(K):
                s += _cont(lev[k, t], w[k, t], top[t], N)
            buf[q - i] = s
        idx = np.argsort(-buf[:nr])
        need = slots + 1
        lim = need + 3 if need + 3 < nr else nr
        lbs = np.empty(lim)
        tmp = np.empty(M)
        for a in range(lim):
            q = i + int(idx[a])
            k = order[q]
            lbs[a] = buf[idx[a]] - (_loss_bound(k, top, lev, w, order, i, q, slots, N, tmp) if slots > 0 else 0.0)
        lbs = np.sort(lbs)
        e = lbs[lim - need]
        if e > lam:
            lam = e
    # ---- Lemma 2d: a platform may also join another model of U; one on top of type t stays on
    # top after any single platform leaves, sharing t with at most N - 1 others.
    if d >= 2:
        e = _join_bound(d, i, inc_models, top, lev, w, order, N, slots, buf)
        if e > lam:
            lam = e
    lam -= eqtol
    if lam <= fp:
        return False
    lam_eff = lam - fp
    # ---- Lemma 3: N lambda <= sum of utilities <= V(U) <= V(I) + `slots` largest gains.
    v = 0.0
    for t in range(K):
        v += maxw[t]
    n = 0
    for q in range(i, M):
        r = order[q]
        g = 0.0
        for t in range(K):
            if w[r, t] > maxw[t]:
                g += w[r, t] - maxw[t]
        buf[n] = g
        n += 1
    if N * lam_eff > v + _top_sum(buf, n, slots) + fp:
        return True
    # ---- Lemma 4: u_j <= sum_{t: j on top} w_jt / (n_j + m_t - 1), with m_t the included models
    # in the top class of t (each holds a platform; added models only raise m_t or take t).
    # So that bound at n_j = 1 is >= lambda for every included j, and the platforms fit.
    m_t = np.zeros(K)
    for a in range(d):
        j = inc_models[a]
        for t in range(K):
            if lev[j, t] == top[t]:
                m_t[t] += 1.0
    room = 0
    for a in range(d):
        j = inc_models[a]
        cap = _cap(j, lev, w, top, m_t, lam_eff, N, False)
        if cap < 1:
            return True
        room += cap
    if room >= N:
        return False
    if slots > 0:
        n = 0
        for q in range(i, M):
            buf[n] = _cap(order[q], lev, w, top, m_t, lam_eff, N, True)
            n += 1
        room += int(_top_sum(buf, n, slots))
    return room < N


@njit(cache=True)
def _cap(j, lev, w, top, m_t, lam_eff, N, joining):
    """The most platforms model j can hold while each earns >= lam_eff (Lemma 4), 0 when even
    one cannot. With n platforms on j, a type where j is in the top class is shared by at least
    n + (m_t - 1) platforms (the other included top models hold one each); a model ``joining``
    the support shares a type it ties with n + m_t, and keeps a type it wins strictly for its n."""
    K = lev.shape[1]
    n = 0
    while n < N:
        u = 0.0
        for t in range(K):
            if joining:
                if lev[j, t] > top[t]:
                    u += w[j, t] / (n + 1.0)
                elif lev[j, t] == top[t]:
                    u += w[j, t] / (n + 1.0 + m_t[t])
            elif lev[j, t] == top[t]:
                u += w[j, t] / (n + m_t[t])
        if u * (1.0 + 1e-9) < lam_eff:
            break
        n += 1
    return n


@njit(cache=True)
def check_support(d, inc_models, top, lev, w, N, eqtol, fp, out, n_out, in_support):
    """Screen every count vector on exactly U = inc_models[:d] (search.md, Lemma 6): caps from
    Lemma 4, then u_min >= max entry payoff - EQ_TOL. Survivors are written to out[n_out:].
    Returns (new n_out, count vectors screened); n_out == -1 signals that out is full."""
    M, K = lev.shape
    s = d
    tied = np.zeros((s, K), dtype=np.bool_)
    for a in range(s):
        j = inc_models[a]
        for t in range(K):
            tied[a, t] = lev[j, t] == top[t]
    # entry bound of this exact support (Lemma 2 with R empty)
    lam = -np.inf
    for k in range(M):
        if in_support[k]:
            continue
        e = 0.0
        for t in range(K):
            e += _cont(lev[k, t], w[k, t], top[t], N)
        if e > lam:
            lam = e
    if s >= 2:
        e = _join_bound(s, M, inc_models, top, lev, w, np.arange(M), N, 0, np.empty(1))
        if e > lam:
            lam = e
    lam -= eqtol
    m_t = np.zeros(K)
    for a in range(s):
        for t in range(K):
            if tied[a, t]:
                m_t[t] += 1.0
    caps = np.empty(s, dtype=np.int64)
    total = 0
    for a in range(s):
        c = N - s + 1
        if lam > fp:
            cb = _cap(inc_models[a], lev, w, top, m_t, lam - fp, N, False)
            if cb < c:
                c = cb
        if c < 1:
            return n_out, 0
        caps[a] = c
        total += c
    if total < N:
        return n_out, 0
    # Models outside U: an entrant that ties no top class earns a constant (its strict wins);
    # only the others depend on the counts.
    const_max = -np.inf
    nout = 0
    strict = np.zeros(M)
    outm = np.empty(M, dtype=np.int64)
    for k in range(M):
        if in_support[k]:
            continue
        st = 0.0
        has_tie = False
        for t in range(K):
            if lev[k, t] > top[t]:
                st += w[k, t]
            elif lev[k, t] == top[t] and w[k, t] > 0.0:
                has_tie = True
        if has_tie:
            outm[nout] = k
            strict[nout] = st
            nout += 1
        elif st > const_max:
            const_max = st
    cur = np.ones(s, dtype=np.int64)
    c_t = np.zeros(K)
    screened = 0
    while True:
        free = 0
        for a in range(s - 1):
            free += cur[a]
        last = N - free
        if 1 <= last <= caps[s - 1]:
            cur[s - 1] = last
            screened += 1
            for t in range(K):
                c_t[t] = 0.0
            for a in range(s):
                for t in range(K):
                    if tied[a, t]:
                        c_t[t] += cur[a]
            umin = np.inf
            for a in range(s):
                j = inc_models[a]
                u = 0.0
                for t in range(K):
                    if tied[a, t]:
                        u += w[j, t] / c_t[t]
                if u < umin:
                    umin = u
            emax = const_max
            for b in range(nout):
                k = outm[b]
                e = strict[b]
                for t in range(K):
                    if lev[k, t] == top[t]:
                        e += w[k, t] / (c_t[t] + 1.0)
                if e > emax:
                    emax = e
            ok = umin >= emax - eqtol - fp
            # a platform on model a joining model b (b on top of t keeps it: share 1/(c' + 1))
            for a in range(s):
                if not ok:
                    break
                j = inc_models[a]
                ua = 0.0
                for t in range(K):
                    if tied[a, t]:
                        ua += w[j, t] / c_t[t]
                for b2 in range(s):
                    if b2 == a:
                        continue
                    k = inc_models[b2]
                    e = 0.0
                    for t in range(K):
                        if tied[b2, t]:
                            e += w[k, t] / (c_t[t] - (1.0 if tied[a, t] else 0.0) + 1.0)
                    if ua < e - eqtol - fp:
                        ok = False
                        break
            if ok:
                if n_out >= out.shape[0]:
                    return -1, screened
                for k in range(M):
                    out[n_out, k] = 0
                for a in range(s):
                    out[n_out, inc_models[a]] = cur[a]
                n_out += 1
        # next vector of the first s - 1 entries (odometer), keeping their sum <= N - 1
        a = s - 2
        while a >= 0:
            cur[a] += 1
            free = 0
            for q in range(s - 1):
                free += cur[q]
            if cur[a] <= caps[a] and free <= N - 1:
                break
            cur[a] = 1
            a -= 1
        if a < 0:
            return n_out, screened


@njit(cache=True)
def _arrange(status, perm, incmask):
    """perm = [included..., excluded..., undecided...] (the layout `fails` reads: X at positions
    d..i-1, R at positions >= i); returns i."""
    M = status.shape[0]
    n = 0
    for k in range(M):
        if status[k] == 1:
            perm[n] = k
            incmask[n] = True
            n += 1
    for k in range(M):
        if status[k] == 2:
            perm[n] = k
            incmask[n] = False
            n += 1
    i = n
    for k in range(M):
        if status[k] == 0:
            perm[n] = k
            incmask[n] = False
            n += 1
    return i


@njit(cache=True)
def dfs_binary(state, frame_k, frame_phase, tops, maxws, inc_models, status, in_support, lev, w, N, eqtol, fp, ncand, budget, out):
    """The support search with binary branching (search.md, "Search order"): at each node the
    undecided model that would earn most by entering against the included ones is branched on,
    first included, then excluded. Runs at most ``budget`` nodes from the saved stack and returns
    (finished, nodes, pruned, supports, screened, n_out, full): ``n_out`` survivors are in
    ``out``; ``full`` means a support's survivors did not fit, so that node was undone and will
    be redone from scratch after the caller has drained (or grown) ``out``.

    ``state`` = [frame depth (-1 before the start), included count d].
    """
    M, K = lev.shape
    buf = np.empty(M + 1)
    buf2 = np.empty(M + 1)
    perm = np.empty(M, dtype=np.int64)
    incmask = np.zeros(M, dtype=np.bool_)
    nodes = pruned = supports = screened = 0
    n_out = 0
    if state[0] < 0:
        state[0] = 0
        state[1] = 0
        frame_phase[0] = 0
        for t in range(K):
            tops[0, t] = -1
            maxws[0, t] = 0.0
    while True:
        f = state[0]
        if f < 0:
            return True, nodes, pruned, supports, screened, n_out, False
        if nodes >= budget:
            return False, nodes, pruned, supports, screened, n_out, False
        d = state[1]
        ph = frame_phase[f]
        if ph == 0:
            # choose the branching model: the most threatening undecided entrant
            k = -1
            if d < N:
                best = -1.0
                for j in range(M):
                    if status[j] != 0:
                        continue
                    e = 0.0
                    for t in range(K):
                        e += _cont(lev[j, t], w[j, t], tops[d, t], N)
                    if e > best:
                        best = e
                        k = j
            if k < 0:
                state[0] = f - 1
                continue
            frame_k[f] = k
            frame_phase[f] = 1
            # include k
            status[k] = 1
            inc_models[d] = k
            for t in range(K):
                tops[d + 1, t] = tops[d, t] if tops[d, t] >= lev[k, t] else lev[k, t]
                maxws[d + 1, t] = maxws[d, t] if maxws[d, t] >= w[k, t] else w[k, t]
            i = _arrange(status, perm, incmask)
            if fails(d + 1, i, incmask, tops[d + 1], maxws[d + 1], inc_models, lev, w, perm, N, eqtol, fp, ncand, buf, buf2):
                pruned += 1
                continue  # phase 1 undoes the include
            in_support[k] = True
            nodes += 1
            supports += 1
            n_new, sc = check_support(d + 1, inc_models, tops[d + 1], lev, w, N, eqtol, fp, out, n_out, in_support)
            screened += sc
            if n_new < 0:
                # out is full: undo and revisit this frame from phase 0 after the drain
                in_support[k] = False
                status[k] = 0
                frame_phase[f] = 0
                return False, nodes, pruned, supports, screened, n_out, True
            n_out = n_new
            state[1] = d + 1
            state[0] = f + 1
            frame_phase[f + 1] = 0
        elif ph == 1:
            k = frame_k[f]
            if in_support[k]:
                # returning from the include child (in_support[k] is set only when it was pushed)
                d -= 1
                state[1] = d
            in_support[k] = False
            status[k] = 2
            frame_phase[f] = 2
            i = _arrange(status, perm, incmask)
            if fails(d, i, incmask, tops[d], maxws[d], inc_models, lev, w, perm, N, eqtol, fp, ncand, buf, buf2):
                pruned += 1
                continue
            nodes += 1
            state[0] = f + 1
            frame_phase[f + 1] = 0
        else:
            status[frame_k[f]] = 0
            state[0] = f - 1
