"""The game's exact semantics in numpy: the single source of truth.

Enumeration, best-response dynamics, the verification of every MILP answer and the tests all
call these functions. A *profile* is a count vector ``counts`` of length M: ``counts[j]`` platforms
use model j (platforms are identical, so who is on which model does not matter).

Hardmax choice: users of type t go to the platforms whose model has the highest score for t among
the models in use; scores in the same tie class (``Instance.levels``: sorted scores less than
``TIE_TOL`` apart chain into one class, and validation keeps classes unambiguous) are tied and the
users of t split equally over all tied platforms. Every comparison is between those integer
classes, so this module, the enumeration screen, the MILP and the support search agree exactly.
Softmax (logit) choice: a platform on model j receives the share
``exp(beta S[j,t]) / sum_i exp(beta S[f_i,t])`` of type t.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .instance import TIE_TOL, Instance

#: A platform gaining more than this by switching model is a profitable deviation.
EQ_TOL = 1e-9


def fp_slack(w: np.ndarray, platforms: int) -> float:
    """The floating-point allowance of the screens and pruning bounds (formulations/search.md,
    "Tolerances"): two sums of at most K + N + 3 non-negative terms, each at most the largest row
    sum of ``w``, that are equal in exact arithmetic differ by at most 2 (K + N + 3) 2^-53 times
    that scale; this is twice that, and never below 1e-12 of the scale (the margin used since
    stop 9, which it equals up to K + N = 2,248).

    Examples
    --------
    >>> w = np.full((3, 4), 0.25)
    >>> fp_slack(w, 2) == 1e-12 * 2.0, fp_slack(np.full((3, 20_000), 1 / 20_000), 2) > 1e-12 * 2.0
    (True, True)
    """
    scale = 1.0 + float(w.sum(axis=1).max())
    return max(1e-12, 4.0 * (w.shape[1] + platforms + 3) * 2.0**-53) * scale


def utility_weights(inst: Instance) -> np.ndarray:
    """(M, K): what one unit of share of type t is worth to a platform on model j.

    Parameters
    ----------
    inst : Instance
        The market.

    Returns
    -------
    numpy.ndarray
        ``pi_t * S[j, t]`` under ``score_share`` (the seed paper's utility), ``pi_t`` under
        ``mass_share``.

    Examples
    --------
    Two models, A (best for user type 1) and B (best for type 2), equal masses:

    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.9, 0.2], [0.4, 0.8]]), np.array([0.5, 0.5]), 2,
    ...                      model_names=["A", "B"])
    >>> from milp_market.game import utility_weights
    >>> utility_weights(inst).tolist()
    [[0.45, 0.1], [0.2, 0.4]]
    """
    if inst.utility == "score_share":
        return inst.masses[None, :] * inst.scores
    return np.broadcast_to(inst.masses[None, :], inst.scores.shape).copy()


def _logit_partition(inst: Instance, counts) -> tuple[np.ndarray, np.ndarray]:
    """(ref, Z), both (K,): ref_t = the largest score of t among the models in ``counts``
    (-inf if none) and Z_t = sum_i n_i exp(beta (S[i,t] - ref_t)), in [1, N] (0 if none).

    Exponents are formed from score *differences* times beta, never as beta S minus a log
    partition: at beta 1e13 the latter loses every digit (1e13 has an ulp of 2e-3), which once
    made welfare exceed the best score and, at 1e16, gave a 2x2 game welfare 1.0 for 0.5.
    Differences of doubles are exact to one rounding, so every share below is exact to a few
    ulps for every beta >= 0 (beta times a gap beyond ~745 underflows to 0: the hardmax limit).
    """
    n = np.asarray(counts, dtype=float)
    used = n > 0
    if not used.any():
        return np.full(inst.n_types, -np.inf), np.zeros(inst.n_types)
    S = inst.scores
    ref = S[used].max(axis=0)
    Z = (n[used, None] * _expgap(inst.beta, S[used] - ref[None, :])).sum(axis=0)
    return ref, Z


def _expgap(beta: float, gap: np.ndarray) -> np.ndarray:
    """exp(beta * gap) for gap <= 0, with 0 * beta = 0 (no inf * 0) and no overflow warnings."""
    with np.errstate(over="ignore", invalid="ignore"):
        x = np.where(gap == 0.0, 0.0, beta * gap)
    return np.exp(x)


def shares(inst: Instance, counts) -> np.ndarray:
    """(M, K): share of user type t received by ONE platform on model j (0 where j is unused).

    Parameters
    ----------
    inst : Instance
        The market (hardmax or softmax choice).
    counts : array_like of int, shape (M,)
        The profile: ``counts[j]`` platforms use model j.

    Returns
    -------
    numpy.ndarray
        Shares of one platform per model and user type; under hardmax tied platforms split a
        type equally.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.9, 0.2], [0.4, 0.8]]), np.array([0.5, 0.5]), 2,
    ...                      model_names=["A", "B"])
    >>> from milp_market.game import shares
    >>> shares(inst, [1, 1]).tolist()  # one platform on each model: each wins its own type
    [[1.0, 0.0], [0.0, 1.0]]
    >>> shares(inst, [2, 0]).tolist()  # both on A: each gets half of every type
    [[0.5, 0.5], [0.0, 0.0]]
    """
    n = np.asarray(counts, dtype=float)
    used = n > 0
    if inst.choice == "softmax":
        ref, Z = _logit_partition(inst, n)
        out = np.zeros(inst.scores.shape)
        out[used] = _expgap(inst.beta, inst.scores[used] - ref[None, :]) / Z[None, :]
        return out
    L = inst.levels  # tie classes: integer comparisons only (Instance.levels)
    top = np.where(used[:, None], L, -1).max(axis=0)
    tied = used[:, None] & (L == top[None, :])
    cnt = (n[:, None] * tied).sum(axis=0)
    return np.where(tied, 1.0 / np.maximum(cnt, 1.0)[None, :], 0.0)


def logit_entry_shares(beta: float, scores: np.ndarray, ref: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Share of an entrant with ``scores`` (..., K) against platforms whose partition is (ref, Z)
    (from :func:`_logit_partition`; Z = 0: no opponents, share 1).

    share = e / (e + Z) with e = exp(beta (s - ref)) = sigma(beta (s - ref) - log Z), the
    logistic function of a difference of moderate numbers (log Z <= log N), evaluated as
    exp(-logaddexp(0, -x)): exact to a few ulps and overflow-free for every beta.

    Parameters
    ----------
    beta : float
        Logit rationality.
    scores : numpy.ndarray, shape (..., K)
        The entrant's scores per user type.
    ref, Z : numpy.ndarray, shape (K,)
        The opponents' partition: top score per type and ``sum_i n_i exp(beta (S[i,t] - ref_t))``.

    Returns
    -------
    numpy.ndarray
        The entrant's share of each user type, shape of ``scores``.

    Examples
    --------
    An entrant with scores (0.4, 0.8) against one platform on a model with scores (0.9, 0.2),
    beta 2:

    >>> import numpy as np
    >>> from milp_market.game import logit_entry_shares
    >>> ref, Z = np.array([0.9, 0.2]), np.array([1.0, 1.0])
    >>> logit_entry_shares(2.0, np.array([0.4, 0.8]), ref, Z).round(4).tolist()
    [0.2689, 0.7685]
    >>> logit_entry_shares(2.0, np.array([0.4, 0.8]), ref, np.zeros(2)).tolist()  # no opponents
    [1.0, 1.0]
    """
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        gap = scores - ref
        a = np.where(gap == 0.0, 0.0, beta * gap)
        x = np.where(Z > 0, a - np.log(np.where(Z > 0, Z, 1.0)), np.inf)  # no opponents: share 1
        return np.exp(-np.logaddexp(0.0, -x))


def platform_utilities(inst: Instance, counts) -> np.ndarray:
    """(M,): utility of one platform on model j (0 for unused models).

    Parameters
    ----------
    inst : Instance
        The market.
    counts : array_like of int, shape (M,)
        The profile (platforms per model).

    Returns
    -------
    numpy.ndarray
        ``sum_t utility_weights[j, t] * shares[j, t]`` per model.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.9, 0.2], [0.4, 0.8]]), np.array([0.5, 0.5]), 2,
    ...                      model_names=["A", "B"])
    >>> from milp_market.game import platform_utilities
    >>> platform_utilities(inst, [1, 1]).round(4).tolist()
    [0.45, 0.4]
    >>> platform_utilities(inst, [2, 0]).round(4).tolist()
    [0.275, 0.0]
    """
    return (utility_weights(inst) * shares(inst, counts)).sum(axis=1)


def welfare(inst: Instance, counts) -> float:
    """User welfare: sum_t pi_t sum_i p_i(t) S[f_i, t] (the expected score users receive).

    Parameters
    ----------
    inst : Instance
        The market.
    counts : array_like of int, shape (M,)
        The profile (platforms per model).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.9, 0.2], [0.4, 0.8]]), np.array([0.5, 0.5]), 2,
    ...                      model_names=["A", "B"])
    >>> from milp_market.game import welfare
    >>> round(welfare(inst, [1, 1]), 4), round(welfare(inst, [2, 0]), 4)
    (0.85, 0.55)
    """
    n = np.asarray(counts, dtype=float)
    p = shares(inst, counts)
    return float((inst.masses[None, :] * n[:, None] * p * inst.scores).sum())


def payoffs_against(inst: Instance, opponents) -> np.ndarray:
    """(M,): utility of a platform choosing model k when the others play ``opponents``.

    ``opponents`` counts the other platforms (it sums to N - 1). This is the deviation payoff:
    a platform on j in profile n earns ``payoffs_against(n - e_j)[j]`` and could earn
    ``payoffs_against(n - e_j)[k]`` by switching to k.

    Parameters
    ----------
    inst : Instance
        The market.
    opponents : array_like of int, shape (M,)
        Counts of the other N - 1 platforms.

    Returns
    -------
    numpy.ndarray
        The deviator's utility for each model it could choose.

    Examples
    --------
    Against one platform on A, a platform earns 0.275 on A (sharing both types) and 0.4 on B:

    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.9, 0.2], [0.4, 0.8]]), np.array([0.5, 0.5]), 2,
    ...                      model_names=["A", "B"])
    >>> from milp_market.game import payoffs_against
    >>> payoffs_against(inst, [1, 0]).round(4).tolist()
    [0.275, 0.4]
    """
    o = np.asarray(opponents, dtype=float)
    w = utility_weights(inst)
    if inst.choice == "softmax":
        ref, Z = _logit_partition(inst, o)  # the deviator joins the others
        return (w * logit_entry_shares(inst.beta, inst.scores, ref[None, :], Z[None, :])).sum(axis=1)
    L = inst.levels
    used = o > 0
    if not used.any():
        return w.sum(axis=1)
    top = np.where(used[:, None], L, -1).max(axis=0)
    cnt = (o[:, None] * (used[:, None] & (L == top[None, :]))).sum(axis=0)
    share = np.where(L > top, 1.0, np.where(L == top, 1.0 / (cnt + 1.0), 0.0))
    return (w * share).sum(axis=1)


def deviation_gains(inst: Instance, counts) -> np.ndarray:
    """(M,): for each model j in use, the largest gain a platform on j gets by switching (>= 0).

    Entries for unused models are 0.

    Parameters
    ----------
    inst : Instance
        The market.
    counts : array_like of int, shape (M,)
        The profile (platforms per model).

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    With both platforms on A, one of them gains 0.125 by moving to B:

    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.9, 0.2], [0.4, 0.8]]), np.array([0.5, 0.5]), 2,
    ...                      model_names=["A", "B"])
    >>> from milp_market.game import deviation_gains
    >>> deviation_gains(inst, [2, 0]).round(4).tolist()
    [0.125, 0.0]
    """
    n = np.asarray(counts, dtype=int)
    gains = np.zeros(inst.n_models)
    for j in np.flatnonzero(n > 0):
        o = n.copy()
        o[j] -= 1
        pay = payoffs_against(inst, o)
        gains[j] = max(0.0, float(pay.max() - pay[j]))
    return gains


def best_deviation(inst: Instance, counts) -> tuple[int, int, float] | None:
    """The most profitable unilateral deviation (from model j, to model k, gain), or None.

    Parameters
    ----------
    inst : Instance
        The market.
    counts : array_like of int, shape (M,)
        The profile (platforms per model).

    Returns
    -------
    tuple of (int, int, float) or None
        Model indices ``(j, k)`` and the gain, or None when no platform gains more than
        ``EQ_TOL`` (the profile is an equilibrium).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.9, 0.2], [0.4, 0.8]]), np.array([0.5, 0.5]), 2,
    ...                      model_names=["A", "B"])
    >>> from milp_market.game import best_deviation
    >>> best_deviation(inst, [2, 0])  # a platform on A (0) moves to B (1)
    (0, 1, 0.125)
    >>> best_deviation(inst, [1, 1]) is None
    True
    """
    n = np.asarray(counts, dtype=int)
    best = None
    for j in np.flatnonzero(n > 0):
        o = n.copy()
        o[j] -= 1
        pay = payoffs_against(inst, o)
        k = int(pay.argmax())
        gain = float(pay[k] - pay[j])
        if gain > EQ_TOL and (best is None or gain > best[2]):
            best = (int(j), k, gain)
    return best


def max_regret(inst: Instance, counts) -> float:
    """The largest gain any platform could get by deviating (0 at a pure equilibrium).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.9, 0.2], [0.4, 0.8]]), np.array([0.5, 0.5]), 2,
    ...                      model_names=["A", "B"])
    >>> from milp_market.game import max_regret
    >>> max_regret(inst, [2, 0]), max_regret(inst, [1, 1])
    (0.125, 0.0)
    """
    return float(deviation_gains(inst, counts).max())


def is_equilibrium(inst: Instance, counts, tol: float = EQ_TOL) -> bool:
    """True when no platform gains more than ``tol`` by switching model unilaterally.

    Parameters
    ----------
    inst : Instance
        The market.
    counts : array_like of int, shape (M,)
        The profile; must count ``inst.platforms`` platforms over the M models.
    tol : float, optional
        The deviation threshold (default ``EQ_TOL`` = 1e-9).

    Returns
    -------
    bool

    Raises
    ------
    ValueError
        If ``counts`` is not a profile of this market.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.9, 0.2], [0.4, 0.8]]), np.array([0.5, 0.5]), 2,
    ...                      model_names=["A", "B"])
    >>> from milp_market.game import is_equilibrium
    >>> is_equilibrium(inst, [1, 1]), is_equilibrium(inst, [2, 0])
    (True, False)
    """
    n = np.asarray(counts)
    if n.shape != (inst.n_models,) or np.any(n < 0) or int(n.sum()) != inst.platforms:
        raise ValueError(f"a profile must count {inst.platforms} platforms over {inst.n_models} models")
    return max_regret(inst, counts) <= tol


# ----------------------------------------------------------------------------- diversity


def market_shares(inst: Instance, counts) -> np.ndarray:
    """(M,): market share (user mass) of ONE platform on model j.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.9, 0.2], [0.4, 0.8]]), np.array([0.5, 0.5]), 2,
    ...                      model_names=["A", "B"])
    >>> from milp_market.game import market_shares
    >>> market_shares(inst, [1, 1]).tolist(), market_shares(inst, [2, 0]).tolist()
    ([0.5, 0.5], [0.5, 0.0])
    """
    return (inst.masses[None, :] * shares(inst, counts)).sum(axis=1)


def hhi(inst: Instance, counts) -> float:
    """Herfindahl-Hirschman index of the platforms' market shares: sum over platforms of share^2.

    Parameters
    ----------
    inst : Instance
        The market.
    counts : array_like of int, shape (M,)
        The profile (platforms per model).

    Returns
    -------
    float
        In (0, 1]; 1/N when the N platforms split the users equally.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.9, 0.2], [0.4, 0.8]]), np.array([0.5, 0.5]), 2,
    ...                      model_names=["A", "B"])
    >>> from milp_market.game import hhi
    >>> hhi(inst, [1, 1]), hhi(inst, [2, 0])
    (0.5, 0.5)
    """
    n = np.asarray(counts, dtype=float)
    s = market_shares(inst, counts)
    return float((n * s**2).sum())


def shannon(inst: Instance, counts) -> float:
    """Shannon entropy (natural log) of the platforms' market shares.

    Parameters
    ----------
    inst : Instance
        The market.
    counts : array_like of int, shape (M,)
        The profile (platforms per model).

    Returns
    -------
    float
        ``-sum over platforms of s log s``; log N when the N platforms split the users equally.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.9, 0.2], [0.4, 0.8]]), np.array([0.5, 0.5]), 2,
    ...                      model_names=["A", "B"])
    >>> from milp_market.game import shannon
    >>> round(shannon(inst, [1, 1]), 4)  # log 2
    0.6931
    """
    n = np.asarray(counts, dtype=float)
    s = market_shares(inst, counts)
    pos = s > 0
    # + 0.0: one platform with the whole market gives -0.0, printed "-0.0000"
    return float(-(n[pos] * s[pos] * np.log(s[pos])).sum()) + 0.0


def structure(counts) -> str:
    """``homogenized`` (one model in use), ``differentiated`` (all platforms on distinct models),
    ``partial`` otherwise; a market with one platform is ``single_platform``.

    Parameters
    ----------
    counts : array_like of int, shape (M,)
        The profile (platforms per model).

    Returns
    -------
    str

    Examples
    --------
    >>> from milp_market.game import structure
    >>> structure([1, 1, 1]), structure([3, 0, 0]), structure([2, 1, 0]), structure([0, 1, 0])
    ('differentiated', 'homogenized', 'partial', 'single_platform')
    """
    n = np.asarray(counts)
    N = int(n.sum())
    used = int((n > 0).sum())
    if N == 1:
        return "single_platform"
    if used == 1:
        return "homogenized"
    if used == N:
        return "differentiated"
    return "partial"


@dataclass(frozen=True)
class ProfileSummary:
    """A profile with its exact welfare and diversity numbers.

    Built by :func:`summarize`. ``counts`` is the count vector, ``utilities`` the utility of one
    platform on each model (0 for unused models).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.9, 0.2], [0.4, 0.8]]), np.array([0.5, 0.5]), 2,
    ...                      model_names=["A", "B"])
    >>> from milp_market.game import summarize
    >>> s = summarize(inst, [1, 1])
    >>> s.counts, round(s.welfare, 4), s.structure, s.model_counts
    ((1, 1), 0.85, 'differentiated', {'A': 1, 'B': 1})
    """

    counts: tuple[int, ...]
    welfare: float
    hhi: float
    shannon: float
    structure: str
    utilities: tuple[float, ...]
    #: the pool's model names (for :attr:`model_counts`); not part of equality
    model_names: tuple[str, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def model_counts(self) -> dict:
        """{model name: platforms} for the models in use, pool order (indices without names)."""
        names = self.model_names
        return {(names[j] if names else j): c for j, c in enumerate(self.counts) if c > 0}

    def to_dict(self, inst: Instance) -> dict:
        return {
            "counts": inst.counts_dict(self.counts),
            "welfare": self.welfare,
            "hhi": self.hhi,
            "shannon": self.shannon,
            "structure": self.structure,
            "platform_utilities": {
                inst.model_names[j]: self.utilities[j] for j, c in enumerate(self.counts) if c > 0
            },
        }


def anarchy_floor(inst: Instance, reference_welfare: float) -> float | None:
    """A proven lower bound on the welfare of every pure equilibrium (formulations/welfare_bounds.md,
    Lemma W1): under hardmax choice and ``score_share`` utility the game is a valid utility game,
    so every equilibrium has at least half the welfare of any profile, up to the tolerances:
    (W(o) - N EQ_TOL - (N + 1) sum(pi) TIE_TOL) / 2 for a profile o of welfare
    ``reference_welfare``. None under ``mass_share`` or logit choice, where no such bound holds.

    Parameters
    ----------
    inst : Instance
        The market.
    reference_welfare : float
        The welfare W(o) of some profile o (the best one known gives the strongest bound).

    Returns
    -------
    float or None

    Examples
    --------
    All three platforms on A is an equilibrium (a move to B earns 0.2 < 0.8 / 3) with welfare 0.8 of
    the optimum 1.0 (A and B); no equilibrium of this game can have less than half of 1.0:

    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.8, 0.2]), 3,
    ...                      model_names=["A", "B"])
    >>> is_equilibrium(inst, [3, 0]), round(welfare(inst, [3, 0]), 6), round(welfare(inst, [2, 1]), 6)
    (True, 0.8, 1.0)
    >>> round(anarchy_floor(inst, welfare(inst, [2, 1])), 6)
    0.5
    """
    if inst.choice != "hardmax" or inst.utility != "score_share":
        return None
    N = inst.platforms
    slack = N * EQ_TOL + (N + 1) * float(inst.masses.sum()) * TIE_TOL
    return max(0.0, (float(reference_welfare) - slack) / 2.0)


def summarize(inst: Instance, counts) -> ProfileSummary:
    """Evaluate a profile exactly: welfare, HHI, Shannon entropy, structure and utilities.

    Parameters
    ----------
    inst : Instance
        The market.
    counts : array_like of int, shape (M,)
        The profile (platforms per model).

    Returns
    -------
    ProfileSummary

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.9, 0.2], [0.4, 0.8]]), np.array([0.5, 0.5]), 2,
    ...                      model_names=["A", "B"])
    >>> from milp_market.game import summarize
    >>> s = summarize(inst, [2, 0])
    >>> s.model_counts, round(s.welfare, 4), s.hhi, s.structure, s.utilities
    ({'A': 2}, 0.55, 0.5, 'homogenized', (0.275, 0.0))
    """
    n = tuple(int(c) for c in counts)
    return ProfileSummary(
        counts=n,
        welfare=welfare(inst, n),
        hhi=hhi(inst, n),
        shannon=shannon(inst, n),
        structure=structure(n),
        utilities=tuple(float(u) for u in platform_utilities(inst, n)),
        model_names=tuple(inst.model_names),
    )


def n_profiles(M: int, N: int) -> int:
    """Number of count vectors of N identical platforms over M models: C(M+N-1, N).

    Examples
    --------
    >>> from milp_market.game import n_profiles
    >>> n_profiles(2, 2), n_profiles(4, 3)  # {AA, AB, BB}; 20 profiles of 3 platforms, 4 models
    (3, 20)
    """
    return math.comb(M + N - 1, N)


# ----------------------------------------------------------------------------- tie levels


@dataclass(frozen=True)
class Levels:
    """Per user type, the tie classes of the scores, ordered from lowest (0) to highest.

    ``level[j, t]`` is the class of model j for type t; ``value[t][l]`` the largest score in class
    l; ``members[t][l]`` the models in it. Validation guarantees classes are separated by more than
    ``TIE_TOL`` and each spans at most ``TIE_TOL`` (see instance._check_unambiguous_ties).

    Examples
    --------
    In ``instances/ties.json`` (models A, B, C, D; scores in {0, 0.5, 1}), user type t1 has three
    classes: B at 0, D at 0.5, and A and C tied at 1:

    >>> from milp_market import load_instance
    >>> from milp_market.game import tie_levels
    >>> lv = tie_levels(load_instance("instances/ties.json"))
    >>> lv.count(0), lv.value[0].tolist(), lv.members[0]
    (3, [0.0, 0.5, 1.0], ((1,), (3,), (0, 2)))
    >>> lv.level[:, 0].tolist()  # class of A, B, C, D for t1
    [2, 0, 2, 1]
    """

    level: np.ndarray
    value: tuple[np.ndarray, ...]
    members: tuple[tuple[tuple[int, ...], ...], ...]

    def count(self, t: int) -> int:
        return len(self.value[t])


def tie_levels(inst: Instance) -> Levels:
    """The tie classes of every user type's scores (:class:`Levels`), from ``inst.levels``.

    Parameters
    ----------
    inst : Instance
        The market.

    Returns
    -------
    Levels

    Examples
    --------
    >>> from milp_market import load_instance
    >>> from milp_market.game import tie_levels
    >>> lv = tie_levels(load_instance("instances/ties.json"))
    >>> [lv.count(t) for t in range(4)]  # every type has classes {0, 0.5, 1}
    [3, 3, 3, 3]
    """
    S = inst.scores
    M, K = S.shape
    level = np.array(inst.levels)
    values, members = [], []
    for t in range(K):
        order = np.argsort(S[:, t], kind="stable")
        col = S[order, t]
        lv = level[order, t]
        L = int(lv.max()) + 1
        values.append(np.array([col[lv == l].max() for l in range(L)]))
        members.append(tuple(tuple(int(j) for j in sorted(order[lv == l])) for l in range(L)))
    return Levels(level=level, value=tuple(values), members=tuple(members))
