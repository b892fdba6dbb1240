"""Strategic entry under hardmax choice: the single-level MILP of formulations/entry.md.

The provider picks the new model's score profile s; the N platforms then re-equilibrate over the
M incumbents plus the entrant. :class:`EntryMILP` builds the model and owns the state of its
loops: :meth:`~EntryMILP.add_witness_rows`, :meth:`~EntryMILP.add_pessimistic_block` and
:meth:`~EntryMILP.add_no_good` add the rows of the row-generation and cutting-plane loops (run by
``entry.EntryProblem`` under milp_market/certify.py); :meth:`~EntryMILP.decode` reads a solution.
Component names
follow the symbols on the page: ``z[t,p]`` (position of s_t among the incumbent levels of type t),
``sz[t,p]`` (= s_t z[t,p]), ``s[t]``, ``lam[b]`` (mixture weights), ``a[q]`` (the post-entry
profile q is the equilibrium that witnesses eligibility), ``Phi`` (the provider's objective).

Everything about a post-entry profile is a function of the positions only, except the entrant's
own utility weight pi_t s_t (``score_share``), which is linear in ``sz``. The share tables are
computed by game.shares on one representative instance per position, so the game's exact
semantics (ties within TIE_TOL, equal splits) come from game.py and nothing is re-derived here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from .. import game
from ..entrant import FeasibleSet
from ..enumeration import count_vectors
from ..instance import Instance
from .base import CUTOFF_DELTA

#: Position margin (score units): a new score "strictly between" two incumbent levels, or below or
#: above all of them, keeps at least this distance from every level; "equal" means one score that
#: ties the class (:func:`equal_ranges`).
DELTA = 1e-6
#: Slack (scaled units) of the witness rows during the search; the polish step sets it to 0.
SLACK = 1e-6
#: A post-entry profile is counted as broken (pessimistic selection) only when some deviation gains
#: at least this much (scaled units); profiles in the sliver below stay in the min (conservative).
GAMMA = 1e-6


@dataclass(frozen=True)
class EntryData:
    """Index sets and scaled coefficient tables shared by the rows of the model (entry.md).

    Built by :func:`prepare`; the field comments give each table's shape and meaning (R is the
    largest number of positions of a user type).

    Examples
    --------
    Two incumbents, two user types, two platforms: two levels per type give 5 positions, and the
    post-entry pool of 3 models has 6 count vectors.

    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> d = prepare(inst, ent.feasible, "adoption")
    >>> d.M, d.K, d.N, d.n_pos, [lv.tolist() for lv in d.levels]
    (2, 2, 2, (5, 5), [[0.3, 0.8], [0.2, 0.7]])
    >>> d.profiles.tolist()
    [[2, 0, 0], [1, 1, 0], [1, 0, 1], [0, 2, 0], [0, 1, 1], [0, 0, 2]]
    >>> d.index[(0, 0, 2)], d.obj_scale, d.obj_const.tolist()   # adoption: entrant platforms / N
    (5, 2.0, [0.0, 0.0, 0.5, 0.0, 0.5, 1.0])
    """

    M: int  # incumbents; the entrant is model M of the post-entry pool
    K: int
    N: int
    levels: tuple  # levels[t] = sorted distinct incumbent score levels (class maxima)
    n_pos: tuple  # n_pos[t] = 2 L_t + 1 positions
    interval: dict  # (t, p) -> (lo, hi): s_t's range in position p (intersected with the bounds)
    profiles: np.ndarray  # (P, M+1) post-entry count vectors
    index: dict  # count tuple -> profile index
    pay_z: np.ndarray  # (P, M+1, K, R): payoff of one platform on i in profile q, coefficient of z[t,p]
    pay_sz: np.ndarray  # (P, M+1, K, R): same, coefficient of sz[t,p] (entrant under score_share)
    obj_z: np.ndarray  # (P, K, R): provider objective / obj_scale, coefficient of z
    obj_sz: np.ndarray  # (P, K, R): coefficient of sz
    obj_const: np.ndarray  # (P,): constant part (adoption)
    avail: np.ndarray  # (K, R) bool: position p exists for t and meets the bounds
    scale: float  # utilities divided by this
    obj_scale: float  # the objective divided by this (Phi <= 1)
    eps_const: float  # EQ_TOL in scaled units


def position_meaning(p: int) -> tuple[str, int]:
    """('equal', l) for odd p = 2l+1; ('gap', l) for even p = 2l: strictly below level l
    (l = L means above the top level).

    Examples
    --------
    With L = 2 incumbent levels a type has 2 L + 1 = 5 positions:

    >>> [position_meaning(p) for p in range(5)]
    [('gap', 0), ('equal', 0), ('gap', 1), ('equal', 1), ('gap', 2)]
    """
    return ("equal", (p - 1) // 2) if p % 2 else ("gap", p // 2)


def equal_ranges(inst: Instance) -> tuple[np.ndarray, ...]:
    """Per user type, an (L, 3) array: the range [lo, hi] of scores that tie each incumbent class
    exactly, and the class's smallest score (formulations/entry.md, "Positions: what binaries
    decide"); the "equal" position takes one point of the range within the bounds
    (``_aim_low``).

    Class l spans [vmin, vmax] (at most TIE_TOL wide); the range adds up to TIE_TOL / 2 on each
    side, so every member stays within TIE_TOL of the entrant's score and the class stays at most
    TIE_TOL wide, but keeps 2 TIE_TOL from the neighbouring classes, so nothing else ties. Any
    score in it is tied with class l and only with it, so it compares exactly like the class's
    largest score (the position's representative). The widening admits a score equal to any member
    (not only the largest), and one a rounding away from it (an upper bound of 0.6 beside a stored
    0.6000000000000001); found by audit.

    Examples
    --------
    >>> from milp_market import make_instance
    >>> inst = make_instance([[0.6, 0.5], [0.6000000004, 0.9]], [0.5, 0.5], 2)
    >>> [[[round(float(x), 12) for x in row] for row in r] for r in equal_ranges(inst)]
    [[[0.5999999999, 0.6000000005, 0.6]], [[0.4999999995, 0.5000000005, 0.5], [0.8999999995, 0.9000000005, 0.9]]]
    """
    lv = game.tie_levels(inst)
    half = game.TIE_TOL / 2
    out = []
    for t in range(inst.n_types):
        vmin = np.array([inst.scores[list(mem), t].min() for mem in lv.members[t]])
        vmax = np.asarray(lv.value[t], dtype=float)
        lo = vmax - half
        hi = vmin + half
        lo[1:] = np.maximum(lo[1:], vmax[:-1] + 2 * game.TIE_TOL)
        hi[:-1] = np.minimum(hi[:-1], vmin[1:] - 2 * game.TIE_TOL)
        out.append(np.stack([np.minimum(lo, vmin), np.maximum(hi, vmax), vmin], axis=1))
    return tuple(out)


def _aim_low(fs: FeasibleSet, t: int) -> bool:
    """Whether an "equal" point of type t aims at the class's smallest score (else its largest):
    when the budgets weigh s_t only with signs >= 0 (some > 0), so that a budget a member meets is
    met by the point (a review found 1.0 lost to a budget only the smaller of two near-tied
    members fit)."""
    w = [float(wts[t]) for wts, _ in fs.budgets]
    return bool(w) and min(w) >= 0 and max(w) > 0


def _interval(levels_t, p, lo_b, hi_b, ranges_t=None, aim_low=False):
    kind, l = position_meaning(p)
    if kind == "equal":
        # one score: the member aimed at, or where the bounds exclude it the nearest score that
        # still ties the class (a point, as a range of width 1e-9 made HiGHS's polish step
        # declare exact ties infeasible: formulations/entry.md, "Positions")
        v = levels_t[l]
        lo, hi = (v, v) if ranges_t is None else (float(ranges_t[l, 0]), float(ranges_t[l, 1]))
        lo, hi = max(lo, lo_b), min(hi, hi_b)
        if lo > hi:
            return v, v - 1.0  # empty
        aim = float(ranges_t[l, 2]) if ranges_t is not None and aim_low else v
        x = min(max(aim, lo), hi)
        return x, x
    lo = lo_b if l == 0 else max(lo_b, levels_t[l - 1] + DELTA)
    hi = hi_b if l == len(levels_t) else min(hi_b, levels_t[l] - DELTA)
    return lo, hi


def position_intervals(levels, fs: FeasibleSet, ranges=None) -> dict:
    """(t, p) -> (lo, hi) for every position whose interval meets the bounds.

    Parameters
    ----------
    levels : sequence of arrays
        ``levels[t]``: the sorted incumbent score levels of user type t.
    fs : FeasibleSet
        Its ``lower`` / ``upper`` bounds clip the intervals.
    ranges : sequence of (L, 3) arrays, optional
        :func:`equal_ranges`: the scores that tie each class and its smallest score (default:
        the level alone).

    Returns
    -------
    dict
        An "equal" position is one score that ties the class (the member ``_aim_low``
        picks where the bounds allow); a gap keeps ``DELTA`` from the levels beside it.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> iv = position_intervals([np.array([0.3, 0.8]), np.array([0.2, 0.7])], ent.feasible)
    >>> [(t, p, round(float(lo), 6), round(float(hi), 6)) for (t, p), (lo, hi) in iv.items() if t == 0]
    [(0, 0, 0.0, 0.299999), (0, 1, 0.3, 0.3), (0, 2, 0.300001, 0.799999), (0, 3, 0.8, 0.8), (0, 4, 0.800001, 1.0)]
    """
    out = {}
    for t, lv in enumerate(levels):
        low = _aim_low(fs, t)
        for p in range(2 * len(lv) + 1):
            lo, hi = _interval(lv, p, float(fs.lower[t]), float(fs.upper[t]), None if ranges is None else ranges[t], low)
            if lo <= hi:
                out[t, p] = (lo, hi)
    return out


def types_without_position(inst: Instance, fs: FeasibleSet) -> list[int]:
    """User types whose bounds leave no score equal to a level or DELTA away from every level.

    ``entry.solve_entry`` reports such an instance infeasible without a solve.

    Examples
    --------
    >>> from dataclasses import replace
    >>> import numpy as np
    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> types_without_position(inst, ent.feasible)
    []
    >>> narrow = replace(ent.feasible, lower=np.array([0.8000001, 0.0]), upper=np.array([0.8000002, 1.0]))
    >>> types_without_position(inst, narrow)      # type a: only scores within DELTA of 0.8
    [0]
    """
    lv = game.tie_levels(inst)
    iv = position_intervals([np.asarray(v, dtype=float) for v in lv.value], fs, equal_ranges(inst))
    return [t for t in range(inst.n_types) if not any((t, p) in iv for p in range(2 * lv.count(t) + 1))]


def _representative(levels_t, p):
    kind, l = position_meaning(p)
    if kind == "equal":
        return levels_t[l]
    if l == 0:
        return levels_t[0] - 1.0
    if l == len(levels_t):
        return levels_t[-1] + 1.0
    return 0.5 * (levels_t[l - 1] + levels_t[l])


def prepare(inst: Instance, fs: FeasibleSet, objective: str) -> EntryData:
    """Positions, post-entry profiles and the payoff tables of formulations/entry.md.

    Parameters
    ----------
    inst : Instance
        The incumbent market (hardmax).
    fs : FeasibleSet
        The provider's feasible set (its bounds select the available positions).
    objective : str
        ``"adoption"``, ``"mass"`` or ``"score_share"``.

    Returns
    -------
    EntryData

    Examples
    --------
    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> d = prepare(inst, ent.feasible, "adoption")
    >>> len(d.profiles), d.pay_z.shape, bool(d.avail.all()), d.scale
    (6, (6, 3, 2, 5), True, 0.6)
    """
    M, K, N = inst.n_models, inst.n_types, inst.platforms
    lv = game.tie_levels(inst)
    levels = tuple(np.asarray(lv.value[t], dtype=float) for t in range(K))
    n_pos = tuple(2 * len(levels[t]) + 1 for t in range(K))
    R = max(n_pos)
    avail = np.zeros((K, R), dtype=bool)
    rep = np.zeros((R, K))
    interval = position_intervals(levels, fs, equal_ranges(inst))
    for t in range(K):
        for p in range(R):
            rep[p, t] = _representative(levels[t], min(p, n_pos[t] - 1))
            avail[t, p] = (t, p) in interval
    profiles = np.concatenate(list(count_vectors(M + 1, N)), axis=0)
    index = {tuple(int(x) for x in row): i for i, row in enumerate(profiles)}
    P = len(profiles)
    # shares of one platform on model i of type t in profile q, entrant in position p: exact
    # semantics from game.shares on a representative (unvalidated) instance per position.
    SH = np.zeros((R, P, M + 1, K))
    for p in range(R):
        rinst = Instance(
            name="representative",
            model_names=tuple(f"m{j}" for j in range(M + 1)),
            type_names=inst.type_names,
            scores=np.vstack([inst.scores, rep[p]]),
            masses=inst.masses.copy(),
            platforms=N,
            utility=inst.utility,
        )
        for q in range(P):
            SH[p, q] = game.shares(rinst, profiles[q])
    SH = SH.transpose(1, 2, 3, 0)  # (P, M+1, K, R)
    pi = inst.masses
    w_inc = game.utility_weights(inst)  # (M, K)
    top = np.array([max(levels[t][-1], fs.upper[t]) for t in range(K)])
    scale = float(max(w_inc.max(), (pi * top).max() if inst.utility == "score_share" else pi.max()))
    scale = scale if scale > 0 else 1.0
    pay_z = np.zeros_like(SH)
    pay_sz = np.zeros_like(SH)
    pay_z[:, :M] = SH[:, :M] * (w_inc / scale)[None, :, :, None]
    if inst.utility == "score_share":
        pay_sz[:, M] = SH[:, M] * (pi / scale)[None, :, None]
    else:
        pay_z[:, M] = SH[:, M] * (pi / scale)[None, :, None]
    nE = profiles[:, M].astype(float)
    obj_z = np.zeros((P, K, R))
    obj_sz = np.zeros((P, K, R))
    obj_const = np.zeros(P)
    if objective == "adoption":
        obj_scale = float(N)
        obj_const = nE / obj_scale
    elif objective == "mass":
        obj_scale = 1.0
        obj_z = nE[:, None, None] * SH[:, M] * pi[None, :, None]
    else:
        obj_scale = float((pi * fs.upper).sum()) or 1.0
        obj_sz = nE[:, None, None] * SH[:, M] * pi[None, :, None] / obj_scale
    mask = avail[None, None]
    return EntryData(
        M=M, K=K, N=N, levels=levels, n_pos=n_pos, interval=interval, profiles=profiles, index=index,
        pay_z=pay_z * mask, pay_sz=pay_sz * mask, obj_z=obj_z * avail[None], obj_sz=obj_sz * avail[None],
        obj_const=obj_const, avail=avail, scale=scale, obj_scale=obj_scale, eps_const=game.EQ_TOL / scale,
    )


# ----------------------------------------------------------------------------- deviations


def gain_coefficients(d: EntryData, q: int, j: int, k: int):
    """Coefficients (cz, csz) of the gain of a platform switching j -> k in profile q (scaled).

    Returns
    -------
    tuple of numpy.ndarray
        ``cz``, ``csz``, each (K, R): the gain is ``sum cz[t, p] z[t, p] + csz[t, p] sz[t, p]``.

    Examples
    --------
    In profile (1, 1, 0) a platform on A moving to B: nothing depends on the entrant (unused):

    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> d = prepare(inst, ent.feasible, "adoption")
    >>> cz, csz = gain_coefficients(d, d.index[(1, 1, 0)], 0, 1)
    >>> cz[:, 0].round(4).tolist(), bool((csz == 0).all())
    ([-0.65, 0.2333], True)
    """
    n = d.profiles[q].copy()
    n[j] -= 1
    n[k] += 1
    q2 = d.index[tuple(int(x) for x in n)]
    return d.pay_z[q2, k] - d.pay_z[q, j], d.pay_sz[q2, k] - d.pay_sz[q, j]


def gain_range(d: EntryData, cz, csz) -> tuple[float, float]:
    """Proven bounds on the gain over every position and every s_t in its interval.

    Returns
    -------
    tuple of float
        (lowest, highest) gain, scaled units (utilities / ``d.scale``).

    Examples
    --------
    A platform on A moving to the entrant in profile (1, 1, 0) may lose or gain, depending on s:

    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> d = prepare(inst, ent.feasible, "adoption")
    >>> lo, hi = gain_range(d, *gain_coefficients(d, d.index[(1, 1, 0)], 0, 2))
    >>> round(lo, 4), round(hi, 4)
    (-0.8, 0.8667)
    """
    lo_s = np.zeros_like(cz)
    hi_s = np.zeros_like(cz)
    for (t, p), (lo, hi) in d.interval.items():
        lo_s[t, p], hi_s[t, p] = lo, hi
    val_hi = np.where(d.avail, cz + np.maximum(csz * lo_s, csz * hi_s), -np.inf).max(axis=1)
    val_lo = np.where(d.avail, cz + np.minimum(csz * lo_s, csz * hi_s), np.inf).min(axis=1)
    return float(val_lo.sum()), float(val_hi.sum())


def is_constant(d: EntryData, cz, csz) -> bool:
    """True when the gain is the same for every position and every s (independent of the entrant).

    Examples
    --------
    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> d = prepare(inst, ent.feasible, "adoption")
    >>> q = d.index[(1, 1, 0)]
    >>> is_constant(d, *gain_coefficients(d, q, 0, 1)), is_constant(d, *gain_coefficients(d, q, 0, 2))
    (True, False)
    """
    if np.any(np.abs(csz[d.avail]) > 0):
        return False
    for t in range(d.K):
        col = cz[t, d.avail[t]]
        if col.size and np.ptp(col) > 1e-15:
            return False
    return True


@dataclass(frozen=True)
class ProfileDeviations:
    """The deviations of one post-entry profile that depend on the entrant's scores, and whether a
    deviation that does not depend on them is already profitable (then the profile is never an
    equilibrium).

    Attributes
    ----------
    variable : tuple
        ``(j, k, cz, csz, lo, hi)`` per deviation j -> k whose gain depends on the entrant and
        can be positive (``hi > 0``); ``lo, hi`` from :func:`gain_range`.
    dead : bool
        Some deviation is profitable whatever the entrant does (``variable`` is then empty).

    Examples
    --------
    Both platforms on B is never an equilibrium (one gains by moving to A); in (2, 0, 0) only a
    move to the entrant can pay:

    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> d = prepare(inst, ent.feasible, "adoption")
    >>> profile_deviations(d, d.index[(0, 2, 0)])
    ProfileDeviations(variable=(), dead=True)
    >>> [(j, k, round(lo, 4), round(hi, 4)) for j, k, _, _, lo, hi in profile_deviations(d, 0).variable]
    [(0, 2, -0.4667, 1.2)]
    """

    variable: tuple  # ((j, k, cz, csz, lo, hi), ...)
    dead: bool


def profile_deviations(d: EntryData, q: int) -> ProfileDeviations:
    """The deviations of post-entry profile q that need witness rows, or ``dead``.

    A deviation whose gain does not depend on the entrant either kills the profile (gain above
    ``EQ_TOL``) or is dropped; so is one that is never profitable (:func:`gain_range` at most 0).

    Examples
    --------
    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> d = prepare(inst, ent.feasible, "adoption")
    >>> pd_ = profile_deviations(d, d.index[(1, 1, 0)])
    >>> pd_.dead, [(j, k) for j, k, *_ in pd_.variable]
    (False, [(0, 2), (1, 2)])
    """
    n = d.profiles[q]
    var = []
    for j in np.flatnonzero(n > 0):
        for k in range(d.M + 1):
            if k == j:
                continue
            cz, csz = gain_coefficients(d, q, int(j), k)
            if is_constant(d, cz, csz):
                t_val = sum(cz[t, d.avail[t]][0] for t in range(d.K) if d.avail[t].any())
                if t_val > d.eps_const:
                    return ProfileDeviations((), True)
                continue
            lo, hi = gain_range(d, cz, csz)
            if lo > d.eps_const:
                return ProfileDeviations((), True)
            if hi <= 0:
                continue  # never profitable: no row needed
            var.append((int(j), k, cz, csz, lo, hi))
    return ProfileDeviations(tuple(var), False)


# ----------------------------------------------------------------------------- model


def _lin(m, cz, csz, const=0.0):
    """sum_{t,p} cz z[t,p] + csz sz[t,p] + const over the available positions."""
    terms = [const]
    for (t, p) in m.TP:
        if cz[t, p]:
            terms.append(float(cz[t, p]) * m.z[t, p])
        if csz[t, p]:
            terms.append(float(csz[t, p]) * m.sz[t, p])
    return sum(terms)


def add_feasible_set(m, fs: FeasibleSet) -> None:
    """Rows of the provider's feasible set on ``m.s`` (bounds are on the variable): budgets and,
    with a mixture, s = sum_b lam_b base_b with lam in the simplex.

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        Has ``m.s`` indexed by user type; gains ``budget`` and, with a mixture, ``B``, ``lam``,
        ``lam_sum`` and ``mix``.
    fs : FeasibleSet

    Examples
    --------
    >>> import pyomo.environ as pyo
    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> m = pyo.ConcreteModel()
    >>> m.s = pyo.Var(range(2), bounds=(0, 1))
    >>> add_feasible_set(m, ent.feasible)
    >>> len(m.budget), str(m.budget[0].expr), hasattr(m, "lam")
    (1, 's[0] + s[1]  <=  1.2', False)
    """
    K = len(fs.lower)
    m.budget = pyo.Constraint(
        range(len(fs.budgets)),
        rule=lambda m, i: sum(float(fs.budgets[i][0][t]) * m.s[t] for t in range(K)) <= float(fs.budgets[i][1]),
    )
    if fs.mixture is not None:
        B = fs.mixture.shape[0]
        m.B = pyo.RangeSet(0, B - 1, doc="mixture base profiles")
        m.lam = pyo.Var(m.B, bounds=(0, 1), doc="lam[b] = weight of base profile b in the training mixture")
        m.lam_sum = pyo.Constraint(expr=sum(m.lam[b] for b in m.B) == 1)
        m.mix = pyo.Constraint(
            range(K), rule=lambda m, t: m.s[t] == sum(float(fs.mixture[b, t]) * m.lam[b] for b in m.B)
        )


@dataclass(frozen=True)
class Decoded:
    """A solution of :class:`EntryMILP` read back by :meth:`EntryMILP.decode`.

    Examples
    --------
    >>> from milp_market.formulations.highs import PersistentHighs
    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> f = EntryMILP(inst, ent.feasible, ent.objective, ent.selection)
    >>> _ = PersistentHighs().solve(f.model)
    >>> dec = f.decode()
    >>> dec.phi, f.data.profiles[dec.witness].tolist(), position_meaning(dec.positions[0]), dec.lam
    (2.0, [0, 0, 2], ('gap', 2), None)
    """

    positions: tuple  # p*_t
    witness: int  # profile index
    s: np.ndarray
    lam: np.ndarray | None
    phi: float  # provider objective (unscaled) claimed by the model


class EntryMILP:
    """The model of formulations/entry.md and the rows its loop adds (witness rows, pessimistic
    blocks, no-goods), with that loop state kept here.

    Maximizes Phi = (the provider's objective at the witness equilibrium) / obj_scale; under
    pessimistic selection the blocks added by :meth:`add_pessimistic_block` bound Phi by every
    other post-entry equilibrium too. The loop (solve, polish, evaluate exactly, add blocks) is
    ``entry.EntryProblem``; the agreement of two configurations is milp_market/certify.py.

    Parameters
    ----------
    inst : Instance
        The incumbent market (hardmax).
    fs : FeasibleSet
    objective : str
        ``"adoption"``, ``"mass"`` or ``"score_share"``.
    selection : str
        ``"optimistic"`` or ``"pessimistic"``.

    Examples
    --------
    Five of the six post-entry profiles survive screening; the optimum (both platforms adopt, s_a
    above A's 0.8) is 2, and nothing beats it:

    >>> from milp_market.formulations.highs import PersistentHighs
    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> f = EntryMILP(inst, ent.feasible, ent.objective, ent.selection)
    >>> len(f.model.Q), sorted(f.witnessed), f.objective_unit
    (5, [0, 1, 2, 4, 5], 2.0)
    >>> PersistentHighs().solve(f.model).status.value, f.decode().phi
    ('optimal', 2.0)
    >>> f.set_cutoff(2.0)
    >>> PersistentHighs().solve(f.model).status.value
    'infeasible'
    """

    page = "formulations/entry.md"
    maximize = True

    def __init__(self, inst: Instance, fs: FeasibleSet, objective: str, selection: str):
        self.inst = inst
        self.selection = selection
        self.data = prepare(inst, fs, objective)
        self.witnessed: set[int] = set()  # profiles whose witness rows are in
        self.blocked: set[int] = set()  # profiles whose pessimistic block is in
        self.no_goods = 0
        self.deviations: dict = {}
        self.objq: dict = {}
        self.model = self._build(inst, fs, selection)

    @property
    def objective_unit(self) -> float:
        return self.data.obj_scale

    def set_cutoff(self, value: float | None) -> None:
        """Only answers with objective above ``value`` (exact units) by CUTOFF_DELTA (scaled)."""
        self.model.Phi_floor.set_value(0.0 if value is None else value / self.data.obj_scale + CUTOFF_DELTA)

    def _build(self, inst: Instance, fs: FeasibleSet, selection: str) -> pyo.ConcreteModel:
        d = self.data
        K = d.K
        m = pyo.ConcreteModel(name=f"entry[{inst.name}]")
        self.model = m
        m.T = pyo.RangeSet(0, K - 1, doc="user types")
        m.TP = pyo.Set(initialize=sorted(d.interval), dimen=2, ordered=True, doc="(type, position) pairs allowed by the bounds")
        m.z = pyo.Var(m.TP, domain=pyo.Binary, doc="z[t,p] = 1 iff s_t sits in position p among type t's incumbent levels")
        m.sz = pyo.Var(m.TP, bounds=lambda m, t, p: (0, max(0.0, d.interval[t, p][1])), doc="sz[t,p] = s_t z[t,p]")
        m.s = pyo.Var(m.T, bounds=lambda m, t: (float(fs.lower[t]), float(fs.upper[t])), doc="s[t] = the new model's score for type t")
        m.one_position = pyo.Constraint(m.T, rule=lambda m, t: sum(m.z[tt, p] for (tt, p) in m.TP if tt == t) == 1)
        m.sz_lo = pyo.Constraint(m.TP, rule=lambda m, t, p: m.sz[t, p] >= d.interval[t, p][0] * m.z[t, p])
        m.sz_hi = pyo.Constraint(m.TP, rule=lambda m, t, p: m.sz[t, p] <= d.interval[t, p][1] * m.z[t, p])
        m.s_def = pyo.Constraint(m.T, rule=lambda m, t: m.s[t] == sum(m.sz[tt, p] for (tt, p) in m.TP if tt == t))
        add_feasible_set(m, fs)

        alive, devs = [], {}
        for q in range(len(d.profiles)):
            pd_ = profile_deviations(d, q)
            if not pd_.dead:
                alive.append(q)
                devs[q] = pd_.variable
        self.deviations = devs
        m.Q = pyo.Set(initialize=alive, ordered=True, doc="post-entry profiles with no entrant-independent profitable deviation")
        m.a = pyo.Var(m.Q, domain=pyo.Binary, doc="a[q] = 1 iff profile q is the post-entry equilibrium witnessing eligibility")
        m.one_witness = pyo.Constraint(
            rule=lambda m: sum(m.a[q] for q in m.Q) == 1 if alive else pyo.Constraint.Infeasible
        )  # with Q empty the caller reports "no eligible profile" without a solve (entry.md, Screening)
        m.Phi = pyo.Var(bounds=(0, 1), doc="Phi = provider objective / obj_scale")
        self.objq = objq = {q: _lin(m, d.obj_z[q], d.obj_sz[q], float(d.obj_const[q])) for q in alive}
        m.phi_witness = pyo.Constraint(m.Q, rule=lambda m, q: m.Phi <= objq[q] + (1 - m.a[q]))
        m.Phi_floor = pyo.Param(mutable=True, initialize=0.0, doc="certification cutoff: only answers better than the incumbent")
        m.cutoff_floor = pyo.Constraint(expr=m.Phi >= m.Phi_floor)
        m.eps = pyo.Param(mutable=True, initialize=SLACK, doc="slack of the witness rows (0 when polishing)")
        m.witness_rows = pyo.ConstraintList(doc="no profitable deviation in the witness profile")
        m.c = pyo.VarList(domain=pyo.Binary, doc="c = 1: the profile is claimed broken (not an equilibrium)")
        m.dv = pyo.VarList(domain=pyo.Binary, doc="d = 1: this deviation gains at least GAMMA")
        m.pess_rows = pyo.ConstraintList(doc="pessimistic blocks: Phi <= objective of every unbroken profile")
        m.no_good = pyo.ConstraintList(doc="cuts off one (positions, witness) pattern")
        m.obj = pyo.Objective(expr=m.Phi, sense=pyo.maximize)
        for q in alive:
            self.add_witness_rows(q)
        if selection == "pessimistic":
            for q in alive:
                if not devs[q]:  # an equilibrium whatever the entrant does
                    self.add_pessimistic_block(q)
        return m


    def add_witness_rows(self, q: int) -> bool:
        """No profitable deviation (j -> k) in profile q when a[q] = 1, for every deviation that depends
        on the entrant; returns False when the rows were already present."""
        if q in self.witnessed:
            return False
        m = self.model
        self.witnessed.add(q)
        for (j, k, cz, csz, lo, hi) in self.deviations[q]:
            m.witness_rows.add(_lin(m, cz, csz) <= m.eps + hi * (1 - m.a[q]))
        return True


    def add_pessimistic_block(self, q: int) -> bool:
        """Phi <= objective of profile q unless some deviation of q gains at least GAMMA."""
        if q in self.blocked or q not in self.deviations:
            return False
        m = self.model
        self.blocked.add(q)
        var = self.deviations[q]
        if not var:
            m.pess_rows.add(m.Phi <= self.objq[q])
            return True
        c = m.c.add()
        ds = []
        for (j, k, cz, csz, lo, hi) in var:
            if hi < GAMMA:
                continue
            dv = m.dv.add()
            ds.append(dv)
            m.pess_rows.add(_lin(m, cz, csz) >= GAMMA - (GAMMA - lo) * (1 - dv))
        m.pess_rows.add(sum(ds) >= c)
        m.pess_rows.add(m.Phi <= self.objq[q] + c)
        m.pess_rows.add(m.a[q] <= 1 - c)
        return True


    def add_no_good(self, positions, q: int) -> None:
        """Exclude exactly this (positions, witness) pattern."""
        m = self.model
        m.no_good.add(sum(m.z[t, p] for t, p in enumerate(positions)) + m.a[q] <= self.data.K)
        self.no_goods += 1


    def decode(self) -> Decoded:
        """Positions, witness, scores (an 'equal' position gives its one score exactly), mixture
        weights and the claimed objective."""
        m, d = self.model, self.data
        positions = []
        s = np.zeros(d.K)
        for t in range(d.K):
            p = max((pp for (tt, pp) in m.TP if tt == t), key=lambda pp: pyo.value(m.z[t, pp]))
            positions.append(p)
            lo, hi = d.interval[t, p]
            s[t] = lo if lo == hi else min(hi, max(lo, pyo.value(m.s[t])))
        q = max(m.Q, key=lambda q: pyo.value(m.a[q]))
        return Decoded(tuple(positions), int(q), s, self.mixture_weights(), float(pyo.value(m.Phi)) * d.obj_scale)

    def mixture_weights(self) -> np.ndarray | None:
        """The solved mixture weights (:func:`mixture_weights`)."""
        return mixture_weights(self.model)

    def binaries(self):
        """The variables fixed by the polish step (positions and witness)."""
        m = self.model
        return [m.z[i] for i in m.TP] + [m.a[q] for q in m.Q]


def mixture_weights(m) -> np.ndarray | None:
    """The solved mixture weights of a model with the feasible set's rows (:func:`add_feasible_set`),
    clipped at 0 and normalized to sum 1 (None without a mixture).

    Examples
    --------
    >>> import pyomo.environ as pyo
    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_cifar10_mixture.json")
    >>> m = pyo.ConcreteModel()
    >>> m.s = pyo.Var(range(inst.n_types), bounds=(0, 1))
    >>> add_feasible_set(m, ent.feasible)
    >>> for b, v in zip(m.B, [0.25, 0.75, 0.0, 0.0, 0.0]):
    ...     m.lam[b].set_value(v)
    >>> mixture_weights(m).tolist()
    [0.25, 0.75, 0.0, 0.0, 0.0]
    """
    if not hasattr(m, "lam"):
        return None
    lam = np.array([max(0.0, pyo.value(m.lam[b])) for b in m.B])
    return lam / lam.sum()
