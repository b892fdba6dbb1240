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
def _g(levk, wk, top0, nt, den_t, dnew):
    """Lemma 2 (refined tie share): lower bound on an entrant's payoff from one type when the
    support's top class is ``nt`` (``top0`` the included models' top). A tie with the top of the
    included models shares with at most den_t - 1 opponents; a tie created by an added model
    (nt > top0) with at most dnew - 1."""
    if levk > nt:
        return wk
    if levk == nt:
        if nt == top0:
            return wk / den_t
        return wk / dnew
    return 0.0


@njit(cache=True)
def _loss_bound(k, top, lev, w, order, r_from, r_to, skip_pos, slots, den, dnew, opts, buf, drop):
    """An upper bound on what at most `slots` added models of order[r_from:r_to] (not
    skip_pos) can take from entrant k's bound (Lemma 2b): the union bound (sum of the `slots`
    largest single losses), and with opts & 4 also sum_t max_r drop_t(r)."""
    K = lev.shape[1]
    n = 0
    cov = (opts & 4) != 0
    # the types on which k earns something against I (the only ones an added model can cut)
    live = np.empty(K, dtype=np.int64)
    bef = np.empty(K)
    nl = 0
    for t in range(K):
        b = _g(lev[k, t], w[k, t], top[t], top[t], den[t], dnew)
        if b != 0.0:
            live[nl] = t
            bef[nl] = b
            nl += 1
    if cov:
        for a in range(nl):
            drop[a] = 0.0
    for q in range(r_from, r_to):
        if q == skip_pos:
            continue
        r = order[q]
        loss = 0.0
        for a in range(nl):
            t = live[a]
            lr = lev[r, t]
            if lr < top[t]:
                continue
            nt = top[t] if top[t] >= lr else lr
            dl = bef[a] - _g(lev[k, t], w[k, t], top[t], nt, den[t], dnew)
            loss += dl
            if cov and dl > drop[a]:
                drop[a] = dl
        buf[n] = loss
        n += 1
    u = _top_sum(buf, n, slots)
    if cov:
        c = 0.0
        for a in range(nl):
            c += drop[a]
        if c < u:
            u = c
    return u


@njit(cache=True)
def _join_bound(d, i, r_to, inc_models, top, lev, w, order, N, slots, buf, den, known):
    """Lemma 2d: the second largest, over included k, of sum_{t: k on top} w[k,t] / den[t]
    (den[t] = N without the tie refinement), bounded below over completions by subtracting
    the `slots` largest weights an added model r of order[i:r_to] can take from k by being
    strictly above (`_join_values`). A k whose sum is at most ``known`` (a lower bound on lambda
    already held) cannot make the second largest exceed it: its losses are not computed (-inf
    instead), which leaves max(known, result) unchanged."""
    jv = np.empty(d)
    _join_values(d, i, r_to, inc_models, top, lev, w, order, slots, buf, den, known, jv)
    return _top_two(jv, d)[1]


@njit(cache=True, inline="always")  # called per node: as a call, LiveBench N = 30 took 1.5x longer
def _top_two(x, n):
    """(largest, second largest, index of the largest) of x[:n]; -inf where there is none."""
    best1 = -np.inf
    best2 = -np.inf
    arg1 = -1
    for a in range(n):
        v = x[a]
        if v > best1:
            best2 = best1
            best1 = v
            arg1 = a
        elif v > best2:
            best2 = v
    return best1, best2, arg1


@njit(cache=True)
def _join_values(d, i, r_to, inc_models, top, lev, w, order, slots, buf, den, known, out):
    """Rule 16 in the tree: for each included k, out[a] = 2d's lower bound on what joining k pays
    over every completion (sum_{t: k on top} w[k,t] / den[t], less the `slots` largest takes of
    the undecided models order[i:r_to] that can go strictly above k); -inf, without computing
    the takes, when even the sum is at most ``known`` (it cannot raise a floor above it)."""
    K = lev.shape[1]
    for a in range(d):
        k = inc_models[a]
        B = 0.0
        for t in range(K):
            if lev[k, t] == top[t]:
                B += w[k, t] / den[t]
        if B <= known:
            out[a] = -np.inf
            continue
        if slots > 0 and B > 0.0:
            n = 0
            for q in range(i, r_to):
                r = order[q]
                loss = 0.0
                for t in range(K):
                    if lev[k, t] == top[t] and lev[r, t] > lev[k, t]:
                        loss += w[k, t] / den[t]
                buf[n] = loss
                n += 1
            B -= _top_sum(buf, n, slots)
        out[a] = B


@njit(cache=True)
def _jensen_bound(k, top, lev, w, order, r_from, r_to, skip_pos, slots, d, inc_models, dnew, buf, beat):
    """Rule 14 (search.md): a lower bound on entrant k's payoff over every completion by at most
    `slots` models of order[r_from:r_to] (not skip_pos), with the tie share bounded by
    Cauchy-Schwarz: sum_t w_t / (c_t + 1) >= W^2 / (W + sum_t w_t c_t), and
    sum_t w_t c_t <= D = sum_{j in I} A_j + slots * max_{j in I + R'} A_j (A_j: the weight of
    k's tie types on which j is in the top class). The types an added model raises cost
    f'(W) w_t each (f(x) = x^2 / (x + D) is convex), the strict types as in Lemma 2b.
    Returns -inf as soon as the bound cannot exceed ``beat`` (a ceiling with D's max over I only)."""
    K = lev.shape[1]
    live = np.empty(K, dtype=np.int64)
    istie = np.empty(K, dtype=np.bool_)
    nl = 0
    strict = 0.0
    W = 0.0
    for t in range(K):
        if w[k, t] == 0.0:
            continue
        if lev[k, t] > top[t]:
            strict += w[k, t]
            live[nl] = t
            istie[nl] = False
            nl += 1
        elif lev[k, t] == top[t]:
            W += w[k, t]
            live[nl] = t
            istie[nl] = True
            nl += 1
    if W <= 0.0:
        return -np.inf
    asum = 0.0
    amax = 0.0
    for a in range(d):
        j = inc_models[a]
        A = 0.0
        for b in range(nl):
            t = live[b]
            if istie[b] and lev[j, t] == top[t]:
                A += w[k, t]
        asum += A
        if A > amax:
            amax = A
    # ceiling: D >= asum + slots * (max over I), and the losses are >= 0
    dlo = asum + slots * amax
    if strict + W * W / (W + dlo) <= beat:
        return -np.inf
    nr = r_to - r_from
    xs = np.empty(nr if nr > 0 else 1)
    n = 0
    for q in range(r_from, r_to):
        if q == skip_pos:
            continue
        r = order[q]
        A = 0.0
        x = 0.0
        sl = 0.0
        for b in range(nl):
            t = live[b]
            lr = lev[r, t]
            if istie[b]:
                if lr == top[t]:
                    A += w[k, t]
                elif lr > top[t]:
                    x += w[k, t]
            else:
                lk = lev[k, t]
                if lr > lk:
                    sl += w[k, t]
                elif lr == lk:
                    sl += w[k, t] - w[k, t] / dnew
        if A > amax:
            amax = A
        buf[n] = sl
        xs[n] = x
        n += 1
    D = asum + slots * amax
    f = W * W / (W + D)
    z = D / (W + D)
    slope = 1.0 - z * z
    for a in range(n):
        buf[a] += slope * xs[a]
    return strict + f - _top_sum(buf, n, slots)


@njit(cache=True)
def _lam_lb(d, i, r_to, included, top, inc_models, lev, w, order, N, ncand, buf, buf2, den, dnew, opts, drop, stop, known):
    """The raw lower bound on lambda of Lemma 2 (before EQ_TOL) at the node whose excluded models
    are order[d:i] and undecided order[i:r_to]; models at positions >= r_to are treated as
    excluded too. With opts & 256 an excluded entrant's bound (2b) is also taken from Rule 14
    (``_jensen_bound``), which stops early when it cannot beat the known one.

    ``known`` is a lower bound on lambda the caller has already (the previous round of Rule 8's
    fixed point, or the inherited one): the result is max(known, the bounds), and a bound whose
    ceiling (an entrant's payoff against I before any loss, or for 2c the (slots + 1)-th largest
    such payoff) cannot exceed it is not computed. The maximum, hence the tree, is the same."""
    M = order.shape[0]
    K = lev.shape[1]
    slots = N - d
    jen = (opts & 256) != 0
    nx = 0
    for q in range(M):
        if (q < i and not included[q]) or q >= r_to:
            k = order[q]
            s = 0.0
            for t in range(K):
                s += _g(lev[k, t], w[k, t], top[t], top[t], den[t], dnew)
            buf[nx] = s
            buf2[nx] = q
            nx += 1
    lam = known
    tmp = np.empty(M)
    if nx > 0:
        idx = np.argsort(-buf[:nx])
        lim = ncand if ncand < nx else nx
        for a in range(lim):
            q = int(buf2[idx[a]])
            k = order[q]
            tot = buf[idx[a]]
            if tot <= lam:
                break
            e = tot - _loss_bound(k, top, lev, w, order, i, r_to, -1, slots, den, dnew, opts, tmp, drop) if slots > 0 else tot
            if jen:
                # only when its ceiling can beat what is known
                known = e if e > lam else lam
                ej = _jensen_bound(k, top, lev, w, order, i, r_to, -1, slots, d, inc_models, dnew, tmp, known)
                if ej > e:
                    e = ej
            if e > lam:
                lam = e
                if lam > stop:
                    return lam
    nr = r_to - i
    if nr > slots:
        for q in range(i, r_to):
            k = order[q]
            s = 0.0
            for t in range(K):
                s += _g(lev[k, t], w[k, t], top[t], top[t], den[t], dnew)
            buf[q - i] = s
        idx = np.argsort(-buf[:nr])
        need = slots + 1
        lim = need + 3 if need + 3 < nr else nr
        if opts & 32:
            lim = nr
        if buf[idx[need - 1]] <= lam:
            # the (slots + 1)-th largest of the bounds below is at most the (slots + 1)-th
            # largest of these payoffs (each bound subtracts a loss >= 0): it cannot win
            lim = 0
        lbs = np.empty(lim)
        for a in range(lim):
            q = i + int(idx[a])
            k = order[q]
            lbs[a] = buf[idx[a]] - (_loss_bound(k, top, lev, w, order, i, r_to, q, slots, den, dnew, opts, tmp, drop) if slots > 0 else 0.0)
        if lim > 0:
            lbs = np.sort(lbs)
            e = lbs[lim - need]
            if e > lam:
                lam = e
                if lam > stop:
                    return lam
    if d >= 2:
        e = _join_bound(d, i, r_to, inc_models, top, lev, w, order, N, slots, buf, den, lam)
        if e > lam:
            lam = e
    return lam


@njit(cache=True)
def _gains(order, i, r_to, w, maxw, buf):
    """buf[:n] = V's marginal gains sum_t (w[r,t] - maxw[t])+ of r = order[i:r_to] (Lemma 3);
    returns n."""
    K = w.shape[1]
    n = 0
    for q in range(i, r_to):
        r = order[q]
        g = 0.0
        for t in range(K):
            if w[r, t] > maxw[t]:
                g += w[r, t] - maxw[t]
        buf[n] = g
        n += 1
    return n


@njit(cache=True)
def _coverage_gain(order, i, r_to, w, maxw):
    """Rule 9(b) / Lemma 5(b): sum_t max over r = order[i:r_to] of (w[r,t] - maxw[t])+, what
    the best of those models adds on each type, summed (an upper bound on what any set of them
    adds to V)."""
    K = w.shape[1]
    c = 0.0
    for t in range(K):
        best = 0.0
        for q in range(i, r_to):
            g = w[order[q], t] - maxw[t]
            if g > best:
                best = g
        c += best
    return c


@njit(cache=True)
def fails(d, i, included, top, maxw, inc_models, lev, w, order, N, eqtol, fp, ncand, buf, buf2, opts, excl_node, lam_in):
    """(fails, r_to, lam): fails is True when no support I + S (S within order[i:], |S| <= N - d)
    can carry an equilibrium in which the d included models are used and the models at
    positions < i are not (search.md Lemmas 2-4); ``order[i:r_to]`` are then the undecided
    models that can still join, lam a lower bound on lambda (before EQ_TOL) for the subtree.
    ``order`` may be permuted in place (within R). ``lam_in``: a lower bound known already.

    opts: 1 tie share refined by the included models below the top class; 2 fixed point that
    drops from R the models that cannot earn lambda_lb; 4 coverage bound on losses and gains;
    8 at an exclude node (excl_node) at least one model must still be added; 16 (read by
    `dfs_binary`) the bound and the dropped models pass to the subtree; 32 Lemma 2c on all
    of R; 64 compatibility filter of R; 128 staged evaluation (stop computing lambda_lb once
    it exceeds an upper bound); 256 tie shares of an excluded entrant bounded jointly (Rule 14);
    512 (read by `dfs_binary`) cover branching (Rule 15); 1024 each included model's own floor
    in Lemma 4's caps, also at nodes whose lambda_lb is below fp (Rule 16, `_room_fails`)."""
    M = order.shape[0]
    K = lev.shape[1]
    slots = N - d
    den = np.empty(K)
    dnew = float(N)
    for t in range(K):
        den[t] = float(N)
    if opts & 1:
        for t in range(K):
            o = 0
            for a in range(d):
                if lev[inc_models[a], t] < top[t]:
                    o += 1
            den[t] = float(N + 1 - (o if o > 1 else 1))
        dnew = float(N + 1 - (d if d > 1 else 1))
    m_t = np.zeros(K)
    for a in range(d):
        j = inc_models[a]
        for t in range(K):
            if lev[j, t] == top[t]:
                m_t[t] += 1.0
    v = 0.0
    for t in range(K):
        v += maxw[t]
    staged = (opts & 128) != 0
    ubcap = np.inf
    if staged:
        for a in range(d):
            j = inc_models[a]
            u = 0.0
            for t in range(K):
                if lev[j, t] == top[t]:
                    u += w[j, t] / m_t[t]
            if u < ubcap:
                ubcap = u
    drop = np.empty(K)
    r_to = M
    lam = lam_in
    while True:
        stop = np.inf
        if staged:
            n = _gains(order, i, r_to, w, maxw, buf)
            s3 = (v + _top_sum(buf, n, slots) + fp) / N
            sc = ubcap * (1.0 + 1e-9)
            stop = (s3 if s3 < sc else sc) + eqtol + fp
            stop = stop * (1.0 + 1e-12)
        if lam <= stop:
            l2 = _lam_lb(d, i, r_to, included, top, inc_models, lev, w, order, N, ncand, buf, buf2, den, dnew, opts, drop, stop, lam)
            if l2 > lam:
                lam = l2
        lam_raw = lam
        if lam - eqtol <= fp:
            if (opts & 8) and excl_node and r_to == i:
                return True, 0, lam_raw
            if (opts & 1024) and d >= 2:
                return _room_fails(d, i, r_to, inc_models, top, m_t, lev, w, order, N, slots, buf, den, lam - eqtol - fp, eqtol, fp, opts), r_to, lam_raw
            return False, r_to, lam_raw
        lam_eff = lam - eqtol - fp
        if lam > stop or not (opts & 2) or slots == 0:
            break
        # drop the undecided models that cannot earn lam_eff even with one platform
        q = i
        changed = False
        nkeep = r_to - i
        gsorted = np.empty(1)
        if opts & 64:
            _gains(order, i, r_to, w, maxw, buf)
            gsorted = -np.sort(-buf[:nkeep])
        while q < r_to:
            r = order[q]
            u = 0.0
            for t in range(K):
                if lev[r, t] > top[t]:
                    u += w[r, t]
                elif lev[r, t] == top[t]:
                    u += w[r, t] / (1.0 + m_t[t])
            ok = u * (1.0 + 1e-9) >= lam_eff
            if ok and (opts & 64):
                ok = _compatible(r, d, inc_models, top, m_t, lev, w, maxw, lam_eff, N, slots, v, gsorted, fp)
            if not ok:
                r_to -= 1
                tmpk = order[q]
                order[q] = order[r_to]
                order[r_to] = tmpk
                changed = True
            else:
                q += 1
        if not changed:
            break
    if (opts & 8) and excl_node and r_to == i:
        return True, 0, lam_raw
    # ---- Lemma 3: N lambda <= sum of utilities <= V(U) <= V(I) + `slots` largest gains.
    n = _gains(order, i, r_to, w, maxw, buf)
    gsum = _top_sum(buf, n, slots)
    if (opts & 4) and slots > 1:
        c = _coverage_gain(order, i, r_to, w, maxw)
        if c < gsum:
            gsum = c
    if N * lam_eff > v + gsum + fp:
        return True, 0, lam_raw
    # ---- Lemma 4 (with Rule 16: each included model's own floor, the best join of the others)
    return _room_fails(d, i, r_to, inc_models, top, m_t, lev, w, order, N, slots, buf, den, lam_eff, eqtol, fp, opts), r_to, lam_raw


@njit(cache=True)
def _room_fails(d, i, r_to, inc_models, top, m_t, lev, w, order, N, slots, buf, den, lam_eff, eqtol, fp, opts):
    """Lemma 4: True when some included model cannot hold one platform at its floor, or the caps
    leave no room for N platforms. The floor is lam_eff, and with Rule 16 (opts & 1024) for each
    included model also the best lower bound of 2d on joining another included model."""
    best1 = -np.inf
    best2 = -np.inf
    arg1 = -1
    if (opts & 1024) and d >= 2:
        jv = np.empty(d)
        _join_values(d, i, r_to, inc_models, top, lev, w, order, slots, buf, den, lam_eff + eqtol + fp, jv)
        best1, best2, arg1 = _top_two(jv, d)
    room = 0
    for a in range(d):
        j = inc_models[a]
        lam_a = lam_eff
        other = (best2 if a == arg1 else best1) - eqtol - fp
        if other > lam_a:
            lam_a = other
        if lam_a <= 0.0:
            room += N  # what _cap returns: every utility is >= 0 >= lam_a
            continue
        cap = _cap(j, lev, w, top, m_t, lam_a, N, False)
        if cap < 1:
            return True
        room += cap
    if room >= N:
        return False
    if lam_eff <= 0.0:
        return False  # every model of R could hold N platforms
    if slots > 0:
        n = 0
        for q in range(i, r_to):
            buf[n] = _cap(order[q], lev, w, top, m_t, lam_eff, N, True)
            n += 1
        room += int(_top_sum(buf, n, slots))
    return room < N


@njit(cache=True)
def _compatible(r, d, inc_models, top, m_t, lev, w, maxw, lam_eff, N, slots, v0, gsorted, fp):
    """Whether undecided r can be in the support given lambda >= lam_eff: with r added, every
    included j must still earn lam_eff with one platform (types r beats are lost, types r ties
    are shared by one more model), and Lemma 3 must hold at I + r (V(I) + gain_r + the
    slots - 1 largest other gains)."""
    K = lev.shape[1]
    g = 0.0
    for t in range(K):
        if w[r, t] > maxw[t]:
            g += w[r, t] - maxw[t]
    # slots - 1 largest gains among the others: drop r's own value once from the top `slots`
    nk = gsorted.shape[0]
    s_top = 0.0
    lim = slots if slots < nk else nk
    for a in range(lim):
        s_top += gsorted[a]
    # r is among the top `slots` iff g >= gsorted[lim - 1]; then others' top slots-1 = s_top - g
    if lim > 0 and g >= gsorted[lim - 1]:
        other = s_top - g
    else:
        other = s_top - (gsorted[lim - 1] if lim > 0 and lim == slots else 0.0)
    if N * lam_eff > v0 + g + other + fp:
        return False
    for a in range(d):
        j = inc_models[a]
        u = 0.0
        for t in range(K):
            if lev[j, t] == top[t]:
                lr = lev[r, t]
                if lr > top[t]:
                    continue
                u += w[j, t] / (m_t[t] + (1.0 if lr == top[t] else 0.0))
        if u * (1.0 + 1e-9) < lam_eff:
            return False
    return True


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


@njit(cache=True, inline="always")  # in the screen's inner loop, where a call made it 1.5x slower
def _poorest(s, inc_models, tied, w, c):
    """min over the members a of sum_{t: a on top} w[a,t] / c[t]: the smallest utility when c[t]
    platforms share the top class of t (or an upper bound on it, when c[t] bounds them below)."""
    K = tied.shape[1]
    umin = np.inf
    for a in range(s):
        j = inc_models[a]
        u = 0.0
        for t in range(K):
            if tied[a, t]:
                u += w[j, t] / c[t]
        if u < umin:
            umin = u
    return umin


@njit(cache=True)
def _count_bounds(s, inc_models, tied, w, N, lam, eqtol, fp, lo, hi):
    """Rule 16 (search.md): tighten the count range [lo[a], hi[a]] of every member of the exact
    support in place, to a fixed point; False when no count vector is left. Every step removes
    only counts that no equilibrium can have:
    - a member a keeps n_a only if UB_a(n_a) >= max(lam, max_{b != a} LB_b(hi_b) - EQ_TOL), where
      UB_a(n) = sum_{t: a on top} w[a,t] / (n + the other top members' lo) bounds u_a from above and
      LB_b(n) = sum_{t: b on top} w[b,t] / (min(n + the other top members' hi, N - the lo of the
      members below t) + 1) bounds from below what a platform earns by joining b;
    - a member b keeps n_b only if LB_b(n_b) <= min(Vtop / N, min_a UB_a(lo_a)) + EQ_TOL (lambda is
      at least LB_b(n_b) - EQ_TOL: the poorest platform may join b, or is on b; and lambda is at
      most every member's utility and the average Vtop / N);
    - the counts sum to N."""
    K = tied.shape[1]
    vtop = 0.0
    for t in range(K):
        mx = 0.0
        for a in range(s):
            if tied[a, t] and w[inc_models[a], t] > mx:
                mx = w[inc_models[a], t]
        vtop += mx
    ceil_v = vtop / N
    tot_lo = np.zeros(K)
    tot_hi = np.zeros(K)
    out_lo = np.zeros(K)
    changed = True
    while changed:
        changed = False
        sum_lo = 0
        sum_hi = 0
        for a in range(s):
            sum_lo += lo[a]
            sum_hi += hi[a]
        if sum_lo > N or sum_hi < N:
            return False
        for a in range(s):
            nh = N - (sum_lo - lo[a])
            if nh < hi[a]:
                sum_hi -= hi[a] - nh
                hi[a] = nh
                changed = True
            nl = N - (sum_hi - hi[a])
            if nl > lo[a]:
                sum_lo += nl - lo[a]
                lo[a] = nl
                changed = True
            if lo[a] > hi[a]:
                return False
        for t in range(K):
            tot_lo[t] = 0.0
            tot_hi[t] = 0.0
            out_lo[t] = 0.0
            for a in range(s):
                if tied[a, t]:
                    tot_lo[t] += lo[a]
                    tot_hi[t] += hi[a]
                else:
                    out_lo[t] += lo[a]
        # ceilings: what joining b pays at least, against what a can earn at most
        best1 = -np.inf
        best2 = -np.inf
        arg1 = -1
        for b in range(s):
            j = inc_models[b]
            v = 0.0
            for t in range(K):
                if tied[b, t]:
                    c = tot_hi[t]
                    if N - out_lo[t] < c:
                        c = N - out_lo[t]
                    v += w[j, t] / (c + 1.0)
            if v > best1:
                best2 = best1
                best1 = v
                arg1 = b
            elif v > best2:
                best2 = v
        for a in range(s):
            j = inc_models[a]
            thr = (best2 if a == arg1 else best1) - eqtol
            if lam > thr:
                thr = lam
            thr -= fp
            if thr <= 0.0:
                continue
            while hi[a] >= lo[a]:
                u = 0.0
                for t in range(K):
                    if tied[a, t]:
                        u += w[j, t] / (hi[a] + tot_lo[t] - lo[a])
                if u * (1.0 + 1e-9) >= thr:
                    break
                hi[a] -= 1
                changed = True
            if hi[a] < lo[a]:
                return False
            for t in range(K):
                if tied[a, t]:
                    tot_hi[t] = 0.0
            for t in range(K):
                if tied[a, t]:
                    for b in range(s):
                        if tied[b, t]:
                            tot_hi[t] += hi[b]
        # floors: lambda caps what joining b may pay
        cap = _poorest(s, inc_models, tied, w, tot_lo)
        if ceil_v < cap:
            cap = ceil_v
        cap = (cap + eqtol + fp) * (1.0 + 1e-9)
        for b in range(s):
            j = inc_models[b]
            while lo[b] <= hi[b]:
                v = 0.0
                for t in range(K):
                    if tied[b, t]:
                        c = lo[b] + tot_hi[t] - hi[b]
                        if N - out_lo[t] < c:
                            c = N - out_lo[t]
                        v += w[j, t] / (c + 1.0)
                if v <= cap:
                    break
                lo[b] += 1
                changed = True
            if lo[b] > hi[b]:
                return False
    return True


@njit(cache=True)
def check_support(d, inc_models, top, lev, w, N, eqtol, fp, out, n_out, in_support, opts, lam_in, vec_budget):
    """Screen every count vector on exactly U = inc_models[:d] (search.md, Lemma 6): caps from
    Lemma 4, narrowed with opts & 1024 by Rule 16's per-member ranges (`_count_bounds`), then
    u_min >= max entry payoff - EQ_TOL. Survivors are written to out[n_out:].
    Returns (new n_out, count vectors screened); n_out == -1 signals that out is full, -2 that
    ``vec_budget[0]`` (count vectors this slice may still screen) ran out."""
    M, K = lev.shape
    s = d
    tied = np.zeros((s, K), dtype=np.bool_)
    for a in range(s):
        j = inc_models[a]
        for t in range(K):
            tied[a, t] = lev[j, t] == top[t]
    # entry bound of this exact support (Lemma 2 with R empty)
    den = np.empty(K)
    for t in range(K):
        den[t] = float(N)
        if opts & 1:
            o = 0
            for a in range(s):
                if not tied[a, t]:
                    o += 1
            den[t] = float(N + 1 - (o if o > 1 else 1))
    lam = -np.inf
    for k in range(M):
        if in_support[k]:
            continue
        e = 0.0
        for t in range(K):
            e += _g(lev[k, t], w[k, t], top[t], top[t], den[t], den[t])
        if e > lam:
            lam = e
    if s >= 2:
        e = _join_bound(s, M, M, inc_models, top, lev, w, np.arange(M), N, 0, np.empty(1), den, -np.inf)
        if e > lam:
            lam = e
    if lam < lam_in:
        lam = lam_in
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
    lo = np.ones(s, dtype=np.int64)
    if opts & 1024:
        if not _count_bounds(s, inc_models, tied, w, N, lam, eqtol, fp, lo, caps):
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
    cur = lo.copy()
    c_t = np.zeros(K)
    screened = 0
    while True:
        free = 0
        for a in range(s - 1):
            free += cur[a]
        last = N - free
        if lo[s - 1] <= last <= caps[s - 1]:
            cur[s - 1] = last
            screened += 1
            # count vectors grow like N^(|U|-1): past the slice's budget, give up this support
            # (the caller redoes it with a larger budget, or stops at the deadline)
            vec_budget[0] -= 1
            if vec_budget[0] < 0:
                return -2, screened
            for t in range(K):
                c_t[t] = 0.0
            for a in range(s):
                for t in range(K):
                    if tied[a, t]:
                        c_t[t] += cur[a]
            umin = _poorest(s, inc_models, tied, w, c_t)
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
        # next vector of the first s - 1 entries (odometer), keeping their sum <= N - lo[s - 1]
        a = s - 2
        while a >= 0:
            cur[a] += 1
            free = 0
            for q in range(s - 1):
                free += cur[q]
            if cur[a] <= caps[a] and free <= N - lo[s - 1]:
                break
            cur[a] = lo[a]
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
def _push_fixed(f, lam_c, r_to, inherit, perm, status, fx, fxbeg, nfx, lamf):
    """Open frame f + 1 (a child of frame f's node): it inherits the node's lower bound lam_c
    on lambda and, with inheritance on, excludes for its subtree the undecided models that
    `fails` dropped (perm[r_to:]; Rules 8, 11 and 12 of search.md)."""
    M = perm.shape[0]
    lamf[f + 1] = lam_c
    fxbeg[f + 1] = fxbeg[f] + nfx[f]
    nfx[f + 1] = 0
    if inherit:
        for q in range(r_to, M):
            status[perm[q]] = 2
            fx[fxbeg[f + 1] + nfx[f + 1]] = perm[q]
            nfx[f + 1] += 1


@njit(cache=True)
def _cover_branch(status, lev, w, top, N, ncand):
    """Rule 15 (search.md, "Rules 7-16": cover branching): the undecided model that takes the most from the
    strongest excluded entrants. The ``ncand`` excluded models with the largest payoff e_k
    against the included models (``top``) are the threats; an undecided r scores
    sum_k e_k^2 * drop(k, r), drop(k, r) = what r, added, takes from e_k. Returns -1 when no
    model is excluded or no undecided one takes anything (the caller keeps its own choice)."""
    M, K = lev.shape
    thr_k = np.full(ncand, -1, dtype=np.int64)
    thr_e = np.full(ncand, -1.0)
    for j in range(M):
        if status[j] != 2:
            continue
        e = 0.0
        for t in range(K):
            e += _cont(lev[j, t], w[j, t], top[t], N)
        if e > thr_e[ncand - 1]:
            # insertion into the list of the ncand largest, kept sorted
            a = ncand - 1
            while a > 0 and thr_e[a - 1] < e:
                thr_e[a] = thr_e[a - 1]
                thr_k[a] = thr_k[a - 1]
                a -= 1
            thr_e[a] = e
            thr_k[a] = j
    if thr_k[0] < 0 or thr_e[0] <= 0.0:
        return -1
    # Only the types on which a threat earns something (its level at least the top) can lose
    # anything: list them once per threat, so that scoring R costs O(|R| x live types), not
    # O(|R| K). The sums run over the same types in the same order: the same scores.
    live = np.empty((ncand, K), dtype=np.int64)
    nlive = np.zeros(ncand, dtype=np.int64)
    for b in range(ncand):
        k = thr_k[b]
        if k < 0:
            break
        for t in range(K):
            if lev[k, t] >= top[t]:
                live[b, nlive[b]] = t
                nlive[b] += 1
    best = 0.0
    kr = -1
    for r in range(M):
        if status[r] != 0:
            continue
        score = 0.0
        for b in range(ncand):
            k = thr_k[b]
            if k < 0:
                break
            drop = 0.0
            for a in range(nlive[b]):
                t = live[b, a]
                lr = lev[r, t]
                # r changes k's payoff on t only where it raises the top to at least k's level
                if lr > top[t] and lr >= lev[k, t]:
                    drop += _cont(lev[k, t], w[k, t], top[t], N) - _cont(lev[k, t], w[k, t], lr, N)
            score += thr_e[b] * thr_e[b] * drop
        if score > best:
            best = score
            kr = r
    return kr


@njit(cache=True, nogil=True)
def dfs_binary(state, frame_k, frame_phase, tops, maxws, inc_models, status, in_support, lev, w, N, eqtol, fp, ncand, budget, out, opts, fx, fxbeg, nfx, lamf, vec_budget, closed, scale):
    """The support search with binary branching (search.md, "Search order"): at each node the
    undecided model that would earn most by entering against the included ones is branched on,
    first included, then excluded. Runs at most ``budget`` nodes from the saved stack and returns
    (finished, nodes, pruned, supports, screened, n_out, full, starved): ``n_out`` survivors are
    in ``out``; ``full`` means a support's survivors did not fit, ``starved`` that its count
    vectors exceeded ``vec_budget``: either way that node was undone and will be redone from
    scratch after the caller has drained (or grown) ``out`` or granted a larger budget.

    ``state`` = [frame depth (-1 before the start), included count d]. A frame's phase is 0
    (not branched yet), 1 (include child first), 2 (exclude child), or 3 (include child, its
    exclude sibling handed to another worker); a subtree handed over starts as frame 0 in phase 1
    on arrays that the caller set up (search.py, `_Worker.start`).
    With opts & 16 a node passes its lower bound on lambda (lamf[frame]) to its children and
    excludes for its whole subtree the undecided models that cannot earn it: frame f's are
    fx[fxbeg[f]:fxbeg[f] + nfx[f]], one flat stack (a model is fixed at most once along a path,
    so M entries suffice).

    ``closed[0]`` accumulates the tree weight of the subtrees closed (search.md, "Progress: the
    tree weight"): a node at frame f weighs ``scale`` 2^-f (``scale`` = 2^-depth of frame 0 in
    the whole tree); a pruned child or a leaf adds its weight, so a finished tree sums to 1.
    """
    M, K = lev.shape
    inherit = (opts & 16) != 0
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
        nfx[0] = 0
        fxbeg[0] = 0
        lamf[0] = -np.inf
        for t in range(K):
            tops[0, t] = -1
            maxws[0, t] = 0.0
    while True:
        f = state[0]
        if f < 0:
            return True, nodes, pruned, supports, screened, n_out, False, False
        if nodes >= budget:
            return False, nodes, pruned, supports, screened, n_out, False, False
        d = state[1]
        ph = frame_phase[f]
        lam_in = lamf[f] if inherit else -np.inf
        if ph == 0:
            # choose the branching model: the most threatening undecided entrant (Lemma 1), or with
            # Rule 15 the one that covers the strongest excluded entrants (search.md)
            k = -1
            if d < N and (opts & 512):
                k = _cover_branch(status, lev, w, tops[d], N, ncand)
            if d < N and k < 0:
                # (with Rule 15, only when it found no undecided model that takes anything)
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
                closed[0] += scale * 0.5**f  # a leaf: nothing to branch on
                for a in range(nfx[f]):
                    status[fx[fxbeg[f] + a]] = 0
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
            bad, r_to, lam_c = fails(d + 1, i, incmask, tops[d + 1], maxws[d + 1], inc_models, lev, w, perm, N, eqtol, fp, ncand, buf, buf2, opts, False, lam_in)
            if bad:
                pruned += 1
                closed[0] += scale * 0.5 ** (f + 1)
                continue  # phase 1 undoes the include
            in_support[k] = True
            nodes += 1
            supports += 1
            n_new, sc = check_support(d + 1, inc_models, tops[d + 1], lev, w, N, eqtol, fp, out, n_out, in_support, opts, lam_c if inherit else -np.inf, vec_budget)
            screened += sc
            if n_new < 0:
                # out is full (-1) or the vector budget ran out (-2): undo and revisit this frame
                # from phase 0 after the caller has drained out / granted a larger budget
                in_support[k] = False
                status[k] = 0
                frame_phase[f] = 0
                return False, nodes, pruned, supports, screened, n_out, n_new == -1, n_new == -2
            n_out = n_new
            state[1] = d + 1
            state[0] = f + 1
            frame_phase[f + 1] = 0
            _push_fixed(f, lam_c, r_to, inherit, perm, status, fx, fxbeg, nfx, lamf)
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
            bad, r_to, lam_c = fails(d, i, incmask, tops[d], maxws[d], inc_models, lev, w, perm, N, eqtol, fp, ncand, buf, buf2, opts, True, lam_in)
            if bad:
                pruned += 1
                closed[0] += scale * 0.5 ** (f + 1)
                continue
            nodes += 1
            state[0] = f + 1
            frame_phase[f + 1] = 0
            _push_fixed(f, lam_c, r_to, inherit, perm, status, fx, fxbeg, nfx, lamf)
        else:
            # phase 2: both children done; phase 3: the include child is done and the exclude
            # child was handed to another worker (search.py, `_Worker.steal`)
            k = frame_k[f]
            if ph == 3 and in_support[k]:
                d -= 1
                state[1] = d
            in_support[k] = False
            status[k] = 0
            for a in range(nfx[f]):
                status[fx[fxbeg[f] + a]] = 0
            state[0] = f - 1


# ----------------------------------------------------------------------------- social optimum


@njit(cache=True)
def _coverage_children(ww, cover, src, n_src, dst, gdst, slots):
    """Lemma 5(b): the candidates of ``src[:n_src]`` with a positive marginal gain over ``cover``,
    written to ``dst`` in decreasing gain (ties: the order of ``src``), gains in ``gdst``.
    Returns (count, the Lemma 5(b) bound on what ``slots`` of them can add: the smaller of the
    ``slots`` largest gains and the per-type coverage bound sum_t max_r (ww[r,t] - cover[t])+)."""
    _gains(src, 0, n_src, ww, cover, gdst)
    n = 0
    for a in range(n_src):
        if gdst[a] > 0.0:  # n <= a: compacting in place
            dst[n] = src[a]
            gdst[n] = gdst[a]
            n += 1
    if n == 0:
        return 0, 0.0
    idx = np.argsort(-gdst[:n], kind="mergesort")
    tmp_r = dst[:n].copy()
    tmp_g = gdst[:n].copy()
    topk = 0.0
    for a in range(n):
        dst[a] = tmp_r[idx[a]]
        gdst[a] = tmp_g[idx[a]]
        if a < slots:
            topk += gdst[a]
    if slots < n:
        cov = _coverage_gain(dst, 0, n, ww, cover)
        if cov < topk:
            topk = cov
    return n, topk


@njit(cache=True)
def coverage_dfs(ww, cand, N, state, beg, cnt, pos, covers, vals, chosen, lst, gl, best_v, best_U, budget):
    """The social optimum's branch and bound (search.md, Lemma 5; Python side:
    ``search.max_coverage``), resumable: runs at most ``budget`` nodes from the saved stack.

    A frame f holds a support of f models (``chosen[:f]``), its coverage ``covers[f]`` (per type
    the largest welfare weight in use) and value ``vals[f]``, and its candidate list
    ``lst[beg[f]:beg[f] + cnt[f]]`` (later candidates only, positive gain, decreasing gain;
    gains in ``gl``); ``pos[f]`` is the next child. A child is cut when the frame's value plus
    the ``slots`` largest gains from that position on cannot beat the incumbent (then so are all
    later siblings, whose gains are smaller), or when its own Lemma 5(b) bound cannot.
    ``state`` = [frame depth (-1: not started), nodes]. Returns True when the search is finished.
    """
    K = ww.shape[1]
    D = min(N, cand.shape[0])
    if state[0] < 0:
        state[0] = 0
        beg[0] = 0
        pos[0] = 0
        for t in range(K):
            covers[0, t] = 0.0
        vals[0] = 0.0
        cnt[0], _ = _coverage_children(ww, covers[0], cand, cand.shape[0], lst, gl, N)
    nodes = 0
    while True:
        f = state[0]
        if f < 0:
            return True
        if nodes >= budget:
            return False
        slots = N - f
        p = pos[f]
        if slots <= 0 or p >= cnt[f]:
            state[0] = f - 1
            continue
        b = beg[f]
        bound = vals[f]
        for a in range(p, min(p + slots, cnt[f])):
            bound += gl[b + a]
        if bound <= best_v[0]:
            state[0] = f - 1  # this child and every later sibling (smaller gains) is cut
            continue
        pos[f] = p + 1
        j = lst[b + p]
        nodes += 1
        state[1] += 1
        chosen[f] = j
        v = 0.0
        for t in range(K):
            c = covers[f, t]
            if ww[j, t] > c:
                c = ww[j, t]
            covers[f + 1, t] = c
            v += c
        vals[f + 1] = v
        if v > best_v[0]:
            best_v[0] = v
            best_U[:] = -1
            for a in range(f + 1):
                best_U[a] = chosen[a]
        if f + 1 >= D:
            continue
        nb = b + cnt[f]
        n_child, add = _coverage_children(ww, covers[f + 1], lst[b + p + 1 : b + cnt[f]], cnt[f] - p - 1, lst[nb:], gl[nb:], N - f - 1)
        if n_child == 0 or v + add <= best_v[0]:
            continue
        beg[f + 1] = nb
        cnt[f + 1] = n_child
        pos[f + 1] = 0
        state[0] = f + 1
