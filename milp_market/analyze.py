"""The seed paper's quantities and the closed-form conditions built on them (formulations/conditions.md).

Implements formulations/conditions.md: the global average T and the localized attraction Delta of
Wei, Shi and Zhang, "Market Games for Generative Models" (ICLR 2026), and the exact conditions
proved on that page: homogenization at a model (Theorem A, and the interval of platform counts for
which it holds), a fully differentiated set of models (Theorem B), the two-platform game
(Theorem C) and sufficient conditions for existence (Propositions D1-D4). Every condition is a
small pure function over the instance; ``milp-market analyze`` only formats :func:`analyze`.

"Equality" in Delta, "above" and "below" are comparisons of the integer tie classes
``Instance.levels``, exactly as in :mod:`milp_market.game`, so a closed form and the evaluator can
never disagree about a tie. Every equilibrium test uses the evaluator's tolerance ``game.EQ_TOL``.

Two weightings appear. The paper's T and Delta weight scores by masses (``pi_t S[j,t]``); the
conditions need the *utility* weights ``w = game.utility_weights`` (``pi_t S[j,t]`` under
``score_share``, so the two coincide; ``pi_t`` under ``mass_share``). ``utility_weighted=True``
selects the latter.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import Enum
from typing import Sequence

import numpy as np

from . import game
from .instance import Instance

#: Differentiated sets are listed exhaustively only when C(M, N) is at most this.
MAX_DIFFERENTIATED_SETS = 20_000


def _weights(inst: Instance, utility_weighted: bool) -> np.ndarray:
    return game.utility_weights(inst) if utility_weighted else inst.masses[None, :] * inst.scores


def global_average(inst: Instance, utility_weighted: bool = False) -> np.ndarray:
    """(M,): the global average T_j = sum_t pi_t S[j,t] (or sum_t w[j,t] when ``utility_weighted``).

    Parameters
    ----------
    inst : Instance
    utility_weighted : bool
        Use the utility weights ``game.utility_weights`` instead of ``pi_t S[j,t]`` (identical
        under ``score_share``; all ones under ``mass_share``).

    Returns
    -------
    numpy.ndarray
        One value per model, pool order.

    Examples
    --------
    >>> from milp_market import make_instance
    >>> inst = make_instance([[1.0, 0.0], [0.4, 0.8]], [0.5, 0.5], 2)
    >>> global_average(inst).round(3).tolist()
    [0.5, 0.6]
    """
    return _weights(inst, utility_weighted).sum(axis=1)


def localized_attraction(inst: Instance, utility_weighted: bool = False) -> np.ndarray:
    """(M, M): Delta[i, j] = sum_t pi_t Z_ij(t), the localized attraction of model i against j.

    Z_ij(t) = S[i,t] where i is in a higher tie class than j on t, -S[i,t] where lower, 0 where
    they share a tie class (``Instance.levels``); the diagonal is 0. With ``utility_weighted``,
    ``w[i,t]`` replaces ``pi_t S[i,t]``.

    Parameters
    ----------
    inst : Instance
    utility_weighted : bool
        As in :func:`global_average`.

    Returns
    -------
    numpy.ndarray
        ``Delta[i, j]``; not antisymmetric in general.

    Examples
    --------
    >>> from milp_market import make_instance
    >>> inst = make_instance([[1.0, 0.0], [0.4, 0.8]], [0.5, 0.5], 2)
    >>> localized_attraction(inst).round(3).tolist()
    [[0.0, 0.5], [0.2, 0.0]]
    """
    w = _weights(inst, utility_weighted)
    L = inst.levels
    sign = np.sign(L[:, None, :] - L[None, :, :])  # (M, M, K): +1 where i is above j
    return (sign * w[:, None, :]).sum(axis=2)


def duel_payoffs(inst: Instance) -> np.ndarray:
    """(M, M): D[i, j] = payoff of one platform on model i against one platform on model j.

    Hardmax (Lemma 1 of formulations/conditions.md): D[i, j] = (T^w_i + Delta^w_ij) / 2 with the
    utility-weighted T and Delta, so D[i, i] = T^w_i / 2. Logit: D[i, j] = sum_t w[i,t]
    sigmoid(beta (S[i,t] - S[j,t])).

    Examples
    --------
    >>> from milp_market import make_instance
    >>> inst = make_instance([[1.0, 0.0], [0.4, 0.8]], [0.5, 0.5], 2)
    >>> duel_payoffs(inst).round(3).tolist()
    [[0.25, 0.5], [0.4, 0.3]]
    """
    w = game.utility_weights(inst)
    if inst.choice == "hardmax":
        return (global_average(inst, True)[:, None] + localized_attraction(inst, True)) / 2.0
    x = inst.beta * (inst.scores[:, None, :] - inst.scores[None, :, :])  # (M, M, K)
    return (w[:, None, :] * np.exp(-np.logaddexp(0.0, -x))).sum(axis=2)


# ----------------------------------------------------------------------------- Theorem A


def homogenization_payoffs(inst: Instance, i: int, platforms: int | None = None) -> tuple[float, np.ndarray]:
    """What a platform earns when all N platforms use model i, and what it would earn by switching.

    Returns ``(own, dev)``: own = W_i / N with W_i = sum_t w[i,t]; ``dev[k]`` = the payoff of
    switching to k against N - 1 platforms on i. Hardmax (Theorem A): dev[k] = W_k if N = 1, else
    G_ik + E_ik / N with G_ik = sum of w[k,t] over the types where k is above i and E_ik over the
    types where k ties i. Logit: dev[k] = sum_t w[k,t] / (1 + (N - 1) exp(beta (S[i,t] - S[k,t]))).

    Parameters
    ----------
    inst : Instance
    i : int
        The model every platform uses.
    platforms : int, optional
        N (default: the instance's).

    Examples
    --------
    >>> from milp_market import make_instance
    >>> inst = make_instance([[1.0, 0.0], [0.4, 0.8]], [0.5, 0.5], 3)
    >>> own, dev = homogenization_payoffs(inst, 0)
    >>> round(own, 4), dev.round(4).tolist()
    (0.1667, [0.1667, 0.4])
    """
    N = inst.platforms if platforms is None else int(platforms)
    w = game.utility_weights(inst)
    W = w.sum(axis=1)
    if N == 1:
        return float(W[i]), W.copy()
    if inst.choice == "hardmax":
        G, E = _above_tied(inst, i)
        return float(W[i] / N), G + E / N
    x = inst.beta * (inst.scores[i][None, :] - inst.scores) + math.log(N - 1)
    return float(W[i] / N), (w * np.exp(-np.logaddexp(0.0, x))).sum(axis=1)


def _above_tied(inst: Instance, i: int) -> tuple[np.ndarray, np.ndarray]:
    """(G, E): G[k] = sum_{t: k above i} w[k,t], E[k] = sum_{t: k ties i} w[k,t] (hardmax)."""
    w = game.utility_weights(inst)
    L = inst.levels
    return (w * (L > L[i][None, :])).sum(axis=1), (w * (L == L[i][None, :])).sum(axis=1)


def is_homogenization_equilibrium(inst: Instance, i: int, platforms: int | None = None) -> bool:
    """True when all N platforms on model i is an equilibrium (Theorem A; both choice rules).

    Examples
    --------
    >>> from milp_market import make_instance
    >>> inst = make_instance([[1.0, 0.0], [0.4, 0.8]], [0.5, 0.5], 2)
    >>> is_homogenization_equilibrium(inst, 0), is_homogenization_equilibrium(inst, 1)
    (False, False)
    """
    own, dev = homogenization_payoffs(inst, i, platforms)
    others = np.delete(dev, i)
    return bool(others.size == 0 or own >= others.max() - game.EQ_TOL)


@dataclass(frozen=True)
class HomogenizationRange:
    """The platform counts N for which all N platforms on one model is an equilibrium (Theorem A).

    ``single_platform``: N = 1 is in the set. For N >= 2 the set is the interval ``low..high``
    (``high`` None: unbounded), or empty when ``low`` is None. ``N in r`` tests membership.

    Examples
    --------
    Both platforms on the specialist is an equilibrium at N = 2 only; all platforms on the
    generalist only at N = 1 (a monopoly):

    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> r = homogenization_platforms(inst, 1)
    >>> r.single_platform, r.low, r.high, r.describe(), 2 in r, 3 in r
    (False, 2, 2, 'N = 2', True, False)
    >>> homogenization_platforms(inst, 0).describe()
    'N = 1'
    """

    model: int
    single_platform: bool
    low: int | None
    high: int | None

    def __contains__(self, N: int) -> bool:
        if N == 1:
            return self.single_platform
        return self.low is not None and self.low <= N and (self.high is None or N <= self.high)

    def describe(self) -> str:
        """E.g. ``N = 1..3``, ``N = 2..inf``, ``N = 1``, ``N = 1, 3..5``, ``never``."""
        parts = []
        lo, hi = self.low, self.high
        if self.single_platform and lo == 2:
            lo = 1
        elif self.single_platform:
            parts.append("1")
        if lo is not None:
            parts.append(f"{lo}..{'inf' if hi is None else hi}" if hi != lo else f"{lo}")
        return ("N = " + ", ".join(parts)) if parts else "never"

    def to_dict(self) -> dict:
        return {"single_platform": self.single_platform, "from": self.low, "to": self.high, "set": self.describe()}


def homogenization_platforms(inst: Instance, i: int) -> HomogenizationRange:
    """Every N for which all N platforms on model i is a hardmax equilibrium (Theorem A).

    N = 1 holds iff W_i >= max_k W_k - EQ_TOL. For N >= 2 the condition for each rival k,
    a_k / N >= c_k with a_k = W_i - E_ik and c_k = G_ik - EQ_TOL, holds on a down-set of N when
    c_k > 0 (N <= a_k / c_k), on an up-set when c_k < 0 (all N if a_k >= 0), so the set is an
    interval: low = max(2, ceil(a_k / c_k) over c_k < 0 < -a_k), high = min floor(a_k / c_k) over
    c_k > 0. The bounds are then checked against the direct inequality and moved by one where the
    division rounded across an integer.

    Parameters
    ----------
    inst : Instance
        A hardmax instance (its own N is ignored).
    i : int
        The model.

    Returns
    -------
    HomogenizationRange

    Raises
    ------
    ValueError
        Under logit choice (formulations/conditions.md, Theorem A': decided per N, no range).

    Examples
    --------
    >>> from milp_market import make_instance
    >>> inst = make_instance([[1.0, 0.1], [0.0, 0.9]], [0.8, 0.2], 2)
    >>> homogenization_platforms(inst, 0).describe()   # N <= 2 T_0 / (T_1 + Delta_10) = 4.56
    'N = 1..4'
    >>> homogenization_platforms(inst, 1).describe()
    'never'
    """
    if inst.choice != "hardmax":
        raise ValueError("homogenization_platforms is a hardmax result; use is_homogenization_equilibrium per N")
    w = game.utility_weights(inst)
    W = w.sum(axis=1)
    G, E = _above_tied(inst, i)
    others = np.arange(inst.n_models) != i
    single = bool(W[i] >= W[others].max(initial=-np.inf) - game.EQ_TOL)
    a, c = W[i] - E[others], G[others] - game.EQ_TOL

    def ok(N: int) -> bool:
        return bool(not others.any() or W[i] / N >= (G[others] + E[others] / N).max() - game.EQ_TOL)

    lo, hi = 2, None
    for ak, ck in zip(a, c):
        if ck > 0:
            h = math.floor(ak / ck)
            hi = h if hi is None else min(hi, h)
        elif ck == 0 and ak < 0:
            return HomogenizationRange(i, single, None, None)
        elif ck < 0 and ak < 0:
            lo = max(lo, math.ceil(ak / ck))
    for _ in range(3):  # a division that rounded across an integer: at most one step each way
        if hi is not None and hi + 1 >= lo and ok(hi + 1):
            hi += 1
        if hi is not None and hi >= lo and not ok(hi):
            hi -= 1
        if lo > 2 and ok(lo - 1):
            lo -= 1
        if (hi is None or lo <= hi) and not ok(lo):
            lo += 1
    if hi is not None and hi < lo:
        return HomogenizationRange(i, single, None, None)
    return HomogenizationRange(i, single, lo, hi)


# ----------------------------------------------------------------------------- Theorem B


def payoffs_against_set(inst: Instance, opponents: Sequence[int]) -> np.ndarray:
    """(M,): payoff P_k(V) of a platform on k against one platform on each model of V (distinct).

    Hardmax: type t goes wholly to k if k is above top_t(V), 1 / (m_t(V) + 1) of it if k is in the
    top class (m_t(V) = the models of V in it), else nothing. Logit: w[k,t] e^{beta S[k,t]} /
    (e^{beta S[k,t]} + sum_{v in V} e^{beta S[v,t]}). V empty: W_k.

    Examples
    --------
    >>> from milp_market import make_instance
    >>> inst = make_instance([[1.0, 0.0], [0.4, 0.8], [0.4, 0.8]], [0.5, 0.5], 2)
    >>> payoffs_against_set(inst, [1]).round(3).tolist()   # model 2 ties model 1: shared 2 ways
    [0.5, 0.3, 0.3]
    """
    V = np.asarray(list(opponents), dtype=int)
    w = game.utility_weights(inst)
    if V.size == 0:
        return w.sum(axis=1)
    if inst.choice == "hardmax":
        L = inst.levels
        h = L[V].max(axis=0)
        m = (L[V] == h[None, :]).sum(axis=0)
        share = np.where(L > h[None, :], 1.0, np.where(L == h[None, :], 1.0 / (m[None, :] + 1.0), 0.0))
        return (w * share).sum(axis=1)
    z = inst.beta * inst.scores
    c = z[V].max(axis=0)
    logZ = c + np.log(np.exp(z[V] - c[None, :]).sum(axis=0))
    return (w * np.exp(-np.logaddexp(0.0, logZ[None, :] - z))).sum(axis=1)


def is_differentiated_equilibrium(inst: Instance, models: Sequence[int]) -> bool:
    """True when one platform on each of the N distinct ``models`` is an equilibrium (Theorem B).

    The condition: every j in U is a best response, to within EQ_TOL, against U minus j:
    P_j(U - j) >= max_k P_k(U - j) - EQ_TOL (:func:`payoffs_against_set`).

    Raises
    ------
    ValueError
        If ``models`` are not N distinct models of the pool.

    Examples
    --------
    >>> from milp_market import make_instance
    >>> inst = make_instance([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6]], [0.5, 0.5], 2)
    >>> is_differentiated_equilibrium(inst, [0, 1]), is_differentiated_equilibrium(inst, [0, 2])
    (True, False)
    """
    U = [int(j) for j in models]
    if len(set(U)) != len(U) or len(U) != inst.platforms or not all(0 <= j < inst.n_models for j in U):
        raise ValueError(f"a differentiated profile needs {inst.platforms} distinct models of the pool")
    for j in U:
        pay = payoffs_against_set(inst, [v for v in U if v != j])
        if pay[j] < pay.max() - game.EQ_TOL:
            return False
    return True


def differentiated_equilibria(inst: Instance, max_sets: int = MAX_DIFFERENTIATED_SETS) -> list[tuple[int, ...]] | None:
    """Every set of N distinct models that is a differentiated equilibrium, or None past ``max_sets``.

    Examples
    --------
    >>> from milp_market import make_instance
    >>> inst = make_instance([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6]], [0.5, 0.5], 2)
    >>> differentiated_equilibria(inst)
    [(0, 1)]
    """
    M, N = inst.n_models, inst.platforms
    if N > M:
        return []
    if math.comb(M, N) > max_sets:
        return None
    return [U for U in itertools.combinations(range(M), N) if is_differentiated_equilibrium(inst, U)]


# ----------------------------------------------------------------------------- Theorem C, D


def two_platform_equilibria(inst: Instance) -> list[tuple[int, int]]:
    """All equilibria of the game with N = 2 platforms, as model pairs (i <= j) (Theorem C).

    (i, j) is an equilibrium iff D[i, j] >= max_k D[k, j] - EQ_TOL and D[j, i] >= max_k D[k, i] -
    EQ_TOL for the duel matrix D (:func:`duel_payoffs`), whatever the instance's own N.

    Examples
    --------
    >>> from milp_market import make_instance
    >>> inst = make_instance([[1.0, 0.0], [0.4, 0.8]], [0.5, 0.5], 2)
    >>> two_platform_equilibria(inst)
    [(0, 1)]
    """
    D = duel_payoffs(inst)
    best = D >= D.max(axis=0, keepdims=True) - game.EQ_TOL  # best[k, j]: k is a best response to j
    return [(i, j) for i in range(inst.n_models) for j in range(i, inst.n_models) if best[i, j] and best[j, i]]


def weakly_dominant_models(inst: Instance) -> tuple[int, ...]:
    """Models in the top tie class of every user type (hardmax; Proposition D2).

    Examples
    --------
    >>> from milp_market import make_instance
    >>> weakly_dominant_models(make_instance([[1.0, 0.5], [1.0, 0.2]], [0.5, 0.5], 2))
    (0,)
    """
    L = inst.levels
    return tuple(int(d) for d in np.flatnonzero((L == L.max(axis=0)[None, :]).all(axis=1)))


def strictly_dominant_model(inst: Instance) -> int | None:
    """The model alone in the top tie class of every user type, if any (Proposition D3).

    Examples
    --------
    >>> from milp_market import make_instance
    >>> strictly_dominant_model(make_instance([[1.0, 0.5], [0.9, 0.2]], [0.5, 0.5], 2))
    0
    """
    L = inst.levels
    top = L == L.max(axis=0)[None, :]
    alone = top.sum(axis=0) == 1
    cand = np.flatnonzero(top.all(axis=1))
    return int(cand[0]) if cand.size == 1 and alone.all() else None


def two_model_equilibrium(inst: Instance) -> tuple[int, ...]:
    """An equilibrium of a game with M <= 2 models, built as in the proof of Proposition D4.

    With models a, b: n* = the largest n in 1..N at which a platform on a does not gain by moving
    to b (0 if none); then no platform on b gains by moving to a either. Either choice rule.

    Raises
    ------
    ValueError
        If the pool has more than two models.

    Examples
    --------
    >>> from milp_market import make_instance
    >>> two_model_equilibrium(make_instance([[1.0, 0.0], [0.0, 1.0]], [0.7, 0.3], 3))
    (2, 1)
    """
    M, N = inst.n_models, inst.platforms
    if M > 2:
        raise ValueError("two_model_equilibrium needs a pool of at most two models")
    if M == 1:
        return (N,)
    for n in range(N, 0, -1):
        pay = game.payoffs_against(inst, (n - 1, N - n))  # a platform on a, against the others
        if pay[0] >= pay[1] - game.EQ_TOL:
            return (n, N - n)
    return (0, N)


class Existence(str, Enum):
    """What the closed-form conditions alone establish about pure equilibria.

    Examples
    --------
    >>> from milp_market import load_instance
    >>> existence_verdict(load_instance("instances/no_equilibrium.json")).status is Existence.NONE
    True
    """

    EXISTS = "exists"
    NONE = "none"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ExistenceVerdict:
    """The verdict of :func:`existence_verdict`: a status, the condition that decided it, and a
    count vector proving existence (``witness``; None unless ``EXISTS``).

    Examples
    --------
    ``instances/ties.json`` (3 platforms over A, B, C, D): one platform on each of A, B, C is a
    differentiated equilibrium:

    >>> from milp_market import load_instance
    >>> inst = load_instance("instances/ties.json")
    >>> v = existence_verdict(inst)
    >>> v.status.value, v.reason, v.witness
    ('exists', 'a differentiated equilibrium (Theorem B)', (1, 1, 1, 0))
    >>> v.to_dict(inst)["witness"]
    {'A': 1, 'B': 1, 'C': 1}
    """

    status: Existence
    reason: str
    witness: tuple[int, ...] | None = None  # a count vector proving existence

    def to_dict(self, inst: Instance) -> dict:
        return {
            "status": self.status.value,
            "reason": self.reason,
            "witness": inst.counts_dict(self.witness) if self.witness is not None else None,
        }


def existence_verdict(inst: Instance, differentiated: list[tuple[int, ...]] | None = None) -> ExistenceVerdict:
    """Existence or absence of a pure equilibrium from the closed-form conditions only.

    In order: N = 1 (Proposition D1: the W-leader), N = 2 (Theorem C: exact both ways), a weakly
    dominant model (D2, hardmax), a model whose homogenization holds at the instance's N
    (Theorem A), M <= 2 (Proposition D4, with the witness of its proof), a differentiated
    equilibrium (Theorem B; ``differentiated`` as from :func:`differentiated_equilibria`, computed
    if None). Otherwise ``unknown``: only the exact solvers decide.

    Examples
    --------
    >>> from milp_market import make_instance
    >>> existence_verdict(make_instance([[1, 0, 0.5], [0, 1, 0.5]], [1, 1, 1], 2)).status.value
    'exists'
    """
    M, N = inst.n_models, inst.platforms

    def prof(models) -> tuple[int, ...]:
        n = [0] * M
        for j in models:
            n[j] += 1
        return tuple(n)

    if N == 1:
        W = game.utility_weights(inst).sum(axis=1)
        return ExistenceVerdict(Existence.EXISTS, "N = 1: the model with the largest T^w (Proposition D1)", prof([int(W.argmax())]))
    if N == 2:
        pairs = two_platform_equilibria(inst)
        if not pairs:
            return ExistenceVerdict(Existence.NONE, "N = 2 and no mutual best response in the duel matrix (Theorem C)")
        return ExistenceVerdict(Existence.EXISTS, "N = 2: a mutual best response in the duel matrix (Theorem C)", prof(pairs[0]))
    if inst.choice == "hardmax":
        dom = weakly_dominant_models(inst)
        if dom:
            return ExistenceVerdict(Existence.EXISTS, "a model tops every user type (Proposition D2)", prof([dom[0]] * N))
    for i in range(M):
        if is_homogenization_equilibrium(inst, i):
            return ExistenceVerdict(Existence.EXISTS, "homogenization at a model holds (Theorem A)", prof([i] * N))
    if M <= 2:
        return ExistenceVerdict(
            Existence.EXISTS, "M <= 2: every symmetric two-strategy game has a pure equilibrium (Proposition D4)", two_model_equilibrium(inst)
        )
    if differentiated is None:
        differentiated = differentiated_equilibria(inst)
    if differentiated:
        return ExistenceVerdict(Existence.EXISTS, "a differentiated equilibrium (Theorem B)", prof(differentiated[0]))
    return ExistenceVerdict(Existence.UNKNOWN, "no closed-form condition decides; use `milp-market solve`")


# ----------------------------------------------------------------------------- the whole analysis


@dataclass(frozen=True)
class Analysis:
    """The paper's quantities and every closed-form condition evaluated on one instance.

    Built by :func:`analyze`. ``T`` is the global average per model, ``Delta[i, j]`` the
    localized attraction of model i against model j (``T_w``, ``Delta_w``: the same with the
    utility weights); the other fields are the conditions of formulations/conditions.md.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> a = analyze(inst)
    >>> a.T.round(4).tolist(), a.Delta.round(4).tolist()
    ([0.8, 0.64], [[0.0, -0.16], [0.56, 0.0]])
    >>> a.homogenization, a.two_platform, a.existence.witness
    ((False, True), [(0, 1), (1, 1)], (1, 1))
    """

    T: np.ndarray
    Delta: np.ndarray
    T_w: np.ndarray
    Delta_w: np.ndarray
    homogenization: tuple[bool, ...]  # at the instance's N, per model
    homogenization_sets: tuple[HomogenizationRange, ...] | None  # hardmax only
    checked_set: tuple[int, ...] | None  # the differentiated set evaluated (default: the N T-leaders)
    checked_set_equilibrium: bool | None
    differentiated: list[tuple[int, ...]] | None  # None: too many sets to list
    two_platform: list[tuple[int, int]] | None  # N = 2 only
    weakly_dominant: tuple[int, ...]
    strictly_dominant: int | None
    existence: ExistenceVerdict

    def to_dict(self, inst: Instance) -> dict:
        names = inst.model_names
        M = inst.n_models

        def table(D):
            return {names[i]: {names[j]: float(D[i, j]) for j in range(M) if j != i} for i in range(M)}

        out = {
            "instance": inst.name,
            "choice": inst.choice,
            "utility": inst.utility,
            "platforms": inst.platforms,
            "global_average": {names[j]: float(self.T[j]) for j in range(M)},
            "localized_attraction": table(self.Delta),
            "ties": "Delta counts a type as equal when the two models share a tie class (Instance.levels), as game.py does",
        }
        if inst.utility != "score_share":
            out["utility_weighted"] = {
                "note": "the conditions use the utility weights w (pi_t under mass_share)",
                "global_average": {names[j]: float(self.T_w[j]) for j in range(M)},
                "localized_attraction": table(self.Delta_w),
            }
        hom = {}
        for j in range(M):
            own, dev = homogenization_payoffs(inst, j)
            dev = dev.copy()
            dev[j] = -np.inf
            k = int(dev.argmax()) if M > 1 else None
            entry = {
                "equilibrium": self.homogenization[j],
                "payoff": own,
                "best_deviation": None if k is None else {"model": names[k], "payoff": float(dev[k])},
            }
            if self.homogenization_sets is not None:
                entry["platforms"] = self.homogenization_sets[j].to_dict()
            hom[names[j]] = entry
        cond = {
            "rule": "hardmax" if inst.choice == "hardmax" else "logit (homogenization and differentiation at this N; intervals in N, dominance are hardmax results)",
            "homogenization": hom,
            "differentiated": {
                "checked_set": [names[j] for j in self.checked_set] if self.checked_set is not None else None,
                "checked_set_is_equilibrium": self.checked_set_equilibrium,
                "equilibria": None if self.differentiated is None else [[names[j] for j in U] for U in self.differentiated],
                "listed": self.differentiated is not None,
            },
            "two_platform_equilibria": None if self.two_platform is None else [[names[i], names[j]] for i, j in self.two_platform],
            "weakly_dominant": [names[d] for d in self.weakly_dominant],
            "strictly_dominant": names[self.strictly_dominant] if self.strictly_dominant is not None else None,
            "existence": self.existence.to_dict(inst),
        }
        out["conditions"] = cond
        out["reference"] = "formulations/conditions.md"
        return out


def analyze(inst: Instance, check_set: Sequence[int] | None = None) -> Analysis:
    """T, Delta and every closed-form condition of formulations/conditions.md on ``inst``.

    Parameters
    ----------
    inst : Instance
    check_set : sequence of int, optional
        N distinct models whose differentiated profile Theorem B evaluates (default: the N models
        with the largest T, when N <= M).

    Examples
    --------
    >>> from milp_market import make_instance
    >>> a = analyze(make_instance([[1.0, 1.0], [0.1, 0.1]], [0.5, 0.5], 3))
    >>> a.homogenization, a.homogenization_sets[0].describe(), a.existence.status.value
    ((True, False), 'N = 1..inf', 'exists')
    """
    M, N = inst.n_models, inst.platforms
    hard = inst.choice == "hardmax"
    T = global_average(inst)
    if check_set is None and N <= M:
        check_set = tuple(int(j) for j in sorted(np.argsort(-T, kind="stable")[:N]))
    checked = is_differentiated_equilibrium(inst, check_set) if check_set is not None else None
    diff = differentiated_equilibria(inst)
    return Analysis(
        T=T,
        Delta=localized_attraction(inst),
        T_w=global_average(inst, True),
        Delta_w=localized_attraction(inst, True),
        homogenization=tuple(is_homogenization_equilibrium(inst, j) for j in range(M)),
        homogenization_sets=tuple(homogenization_platforms(inst, j) for j in range(M)) if hard else None,
        checked_set=tuple(check_set) if check_set is not None else None,
        checked_set_equilibrium=checked,
        differentiated=diff,
        two_platform=two_platform_equilibria(inst) if N == 2 else None,
        weakly_dominant=weakly_dominant_models(inst) if hard else (),
        strictly_dominant=strictly_dominant_model(inst) if hard else None,
        existence=existence_verdict(inst, diff),
    )


# ----------------------------------------------------------------------------- text output

#: Above this many models the text output abbreviates the Delta matrix and homogenization table.
TEXT_FULL_TABLE_MODELS = 20


def format_analysis(inst: Instance, a: Analysis) -> str:
    """The human-readable tables of ``milp-market analyze`` (``--json`` prints ``a.to_dict``).

    Parameters
    ----------
    inst : Instance
        The market.
    a : Analysis
        ``analyze(inst)``.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> text = format_analysis(inst, analyze(inst))
    >>> print(text.splitlines()[-1])
      existence: exists (N = 2: a mutual best response in the duel matrix (Theorem C); e.g. generalist x1, specialist x1)
    """
    names = inst.model_names
    M, N = inst.n_models, inst.platforms
    full = M <= TEXT_FULL_TABLE_MODELS
    lines = [
        "global average T_j = sum_t pi_t S[j,t]; localized attraction Delta[i,j] = sum_t pi_t Z_ij(t)"
        " (row i against column j; equal = same tie class)"
    ]
    width = max(5, max(len(n) for n in names))
    if full:
        lines.append(f"  {'#':>3} {'model':{width}s} {'T':>8s}  " + " ".join(f"{'#' + str(j + 1):>8s}" for j in range(M)))
        for i in range(M):
            cells = " ".join(f"{'.':>8s}" if j == i else f"{a.Delta[i, j]:8.4f}" for j in range(M))
            lines.append(f"  {i + 1:>3} {names[i]:{width}s} {a.T[i]:8.4f}  {cells}")
    else:
        lines.append(
            f"  ({M} models: every Delta is in --json; here the {TEXT_FULL_TABLE_MODELS} largest T, each with its"
            " smallest and largest Delta against the other models)"
        )
        lines.append(f"  {'model':{width}s} {'T':>8s} {'min Delta':>10s} {'max Delta':>10s} {'Delta > 0':>10s}")
        for i in np.argsort(-a.T, kind="stable")[:TEXT_FULL_TABLE_MODELS]:
            d = np.delete(a.Delta[i], i)
            lines.append(f"  {names[i]:{width}s} {a.T[i]:8.4f} {d.min():10.4f} {d.max():10.4f} {int((d > 0).sum()):>6d}/{M - 1}")
    if inst.utility != "score_share":
        lines.append("  (mass_share: the conditions use the utility weights, T^w = 1 and Delta^w = mass won - mass lost)")
    rule = "hardmax" if inst.choice == "hardmax" else f"logit beta {inst.beta:g}: at this N only; intervals in N and dominance are hardmax results"
    lines.append(f"conditions ({rule}; formulations/conditions.md):")
    lines.append(f"  homogenization (all {N} platforms on one model):")
    head = f"    {'model':{width}s} {'payoff':>8s}  {'best deviation':{width + 11}s} {'eq at N=' + str(N):>9s}"
    lines.append(head + ("  holds for" if a.homogenization_sets is not None else ""))
    rows = range(M) if full else [j for j in np.argsort(-a.T, kind="stable")[:10]] + [
        j for j in np.argsort(-a.T, kind="stable")[10:] if a.homogenization[j] or (a.homogenization_sets and a.homogenization_sets[j].low is not None)
    ]
    for j in rows:
        own, dev = homogenization_payoffs(inst, j)
        dev = dev.copy()
        dev[j] = -np.inf
        k = int(dev.argmax())
        best = f"{names[k]} ({dev[k]:.4f})" if M > 1 else "-"
        row = f"    {names[j]:{width}s} {own:8.4f}  {best:{width + 11}s} {'yes' if a.homogenization[j] else 'no':>9s}"
        if a.homogenization_sets is not None:
            row += f"  {a.homogenization_sets[j].describe()}"
        lines.append(row)
    if not full:
        lines.append("    (the 10 models with the largest T, and every other model that homogenizes for some N)")
    if a.checked_set is not None:
        lines.append(
            f"  differentiated {{{', '.join(names[j] for j in a.checked_set)}}}: "
            f"{'an equilibrium' if a.checked_set_equilibrium else 'not an equilibrium'}"
        )
    if a.differentiated is None:
        lines.append(f"  differentiated equilibria: not listed ({math.comb(M, N):,} sets of {N} models)")
    else:
        found = "; ".join("{" + ", ".join(names[j] for j in U) + "}" for U in a.differentiated) or "none"
        lines.append(f"  differentiated equilibria: {found}")
    if a.two_platform is not None:
        found = "; ".join(f"{names[i]} + {names[j]}" for i, j in a.two_platform) or "none"
        lines.append(f"  two platforms, mutual best responses of (T^w + Delta^w)/2: {found}")
    if inst.choice == "hardmax":
        dom = ", ".join(names[d] for d in a.weakly_dominant) or "none"
        strict = f" (strictly: {names[a.strictly_dominant]})" if a.strictly_dominant is not None else ""
        lines.append(f"  model topping every user type: {dom}{strict}")
    ex = a.existence
    wit = f"; e.g. {', '.join(f'{k} x{v}' for k, v in inst.counts_dict(ex.witness).items())}" if ex.witness is not None else ""
    lines.append(f"  existence: {ex.status.value} ({ex.reason}{wit})")
    return "\n".join(lines)
