"""Equilibria under score uncertainty: exact robustness certificates (formulations/robust.md).

An *uncertain instance* gives every score an interval ``[lower[j, t], upper[j, t]]`` around its
nominal value. A profile (count vector) is *robust* when it is a pure equilibrium for every score
matrix of the box (hardmax choice, ties exact: see below). :func:`certify` decides it exactly:

- for a fixed deviation (a platform on j switching to k) the gain is a sum over user types of
  terms that each depend on one column of scores only, and the box is a product over types, so
  the worst case over the box is the sum of per-type worst cases (formulations/robust.md,
  Lemma 1);
- the worst case of one type is a sweep over the top score ``v`` of the opponents: the structure
  (who is tied at the top, whether j and k are above, tied or below) is constant between finitely
  many breakpoints, and inside a piece the term is linear in ``v`` (Lemmas 2-3);
- the profile is robust iff no deviation's worst case exceeds ``game.EQ_TOL``; otherwise a witness
  matrix inside the box is built from the worst case and re-checked by :func:`game.is_equilibrium`
  on an :class:`Instance` made from it.

Ties. Scores of one type are compared exactly: a matrix of the box counts when any two scores of a
type are equal (a tie) or more than ``TIE_TOL`` apart, which is where the evaluator's tie classes
are sets of equal scores (formulations/robust.md, "Ties"). Hence nominal scores closer than
``TIE_TOL`` must be equal (:func:`make_uncertain` says so otherwise).

:func:`robust_fraction` finds, by bisection, the largest factor f in [0, 1] such that the profile
stays robust when every interval is shrunk around its nominal score to f times its width on each
side. Logit choice is not supported (an :class:`InstanceError`).

Two more questions about the same box: :func:`possible_equilibrium` / :func:`possible_market_equilibrium`
decide whether SOME matrix of the box makes a profile (any profile) an equilibrium, by a disjunctive
MILP over per-type top structures (formulations/robust.md, "Possible equilibria"); and
:func:`sample_outcomes` draws matrices inside the box (seeded, uniform or truncated normal) and
solves each exactly, locally or on Dask ("Outcome distribution").

Examples
--------
>>> import numpy as np
>>> from milp_market.instance import make_instance
>>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"])
>>> unc = make_uncertain(nominal, lower=[[0.8, 0.0], [0.0, 0.8]], upper=[[1.0, 0.2], [0.2, 1.0]])
>>> res = certify(unc, (1, 1))          # each platform keeps its own type on the whole box
>>> res.robust, res.robust_fraction
(True, 1.0)
>>> wide = make_uncertain(nominal, lower=[[0.2, 0.0], [0.0, 0.2]], upper=[[1.0, 0.9], [0.9, 1.0]])
>>> res = certify(wide, (1, 1))
>>> res.robust, res.witness.platform_model, res.witness.deviation_to, round(res.witness.gain, 4)
(False, 0, 1, 0.475)
>>> res.robust_fraction_bracket[0] <= 0.4 < res.robust_fraction_bracket[1]
True
"""

from __future__ import annotations

import copy
import itertools
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import game
from .game import EQ_TOL
from .instance import (
    TIE_TOL,
    Instance,
    InstanceError,
    _score_row,
    instance_from_dict,
    make_instance,
    read_json,
    score_scale_error,
)
from .results import MarketPossibleStatus, NominalStatus, PossibleStatus, Status

#: Bisection stops when the bracket of the robust fraction is at most this wide (14 halvings).
FRACTION_PRECISION = 1e-4

_D = TIE_TOL  # "strictly above / below" means more than TIE_TOL apart (formulations/robust.md, "Ties")
_STATUSES = ("above", "tied", "below")


# ----------------------------------------------------------------------------- uncertain instances


@dataclass(frozen=True)
class UncertainInstance:
    """A market game whose scores are only known to lie in intervals.

    Attributes
    ----------
    nominal : Instance
        The game at the nominal scores (hardmax or logit; only hardmax can be analyzed).
    lower, upper : (M, K) arrays
        ``lower <= nominal.scores <= upper``, all finite and >= 0; a zero-width interval pins a score.
    source : str
        Where the data came from (file name), for error messages.

    Build one with :func:`make_uncertain` (it validates) or :func:`load_uncertain_instance`.

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> unc = make_uncertain(nominal, lower=[[0.8, 0.0], [0.0, 0.8]], upper=[[1.0, 0.2], [0.2, 1.0]])
    >>> lo, hi = unc.box(0.5)                  # half the width on each side of the nominal scores
    >>> lo.tolist(), hi.tolist()
    ([[0.9, 0.0], [0.0, 0.9]], [[1.0, 0.1], [0.1, 1.0]])
    >>> unc.with_scores([[0.9, 0.1], [0.1, 0.9]]).scores.tolist()
    [[0.9, 0.1], [0.1, 0.9]]
    >>> unc.to_json_dict()["models"][0]
    {'name': 'A', 'scores': [1.0, 0.0], 'lower': [0.8, 0.0], 'upper': [1.0, 0.2]}
    """

    nominal: Instance
    lower: np.ndarray
    upper: np.ndarray
    source: str = "<arrays>"

    def __post_init__(self) -> None:
        self.lower.setflags(write=False)
        self.upper.setflags(write=False)

    def box(self, fraction: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """The intervals shrunk around the nominal scores to ``fraction`` of their width on each side.

        ``fraction`` 1 gives the intervals themselves, 0 the nominal scores; in between,
        ``nominal - f (nominal - lower)`` and ``nominal + f (upper - nominal)``, clipped into the
        full intervals (so boxes grow with f).
        """
        S = self.nominal.scores
        if fraction >= 1.0:
            return np.array(self.lower), np.array(self.upper)
        if fraction <= 0.0:
            return np.array(S), np.array(S)
        lo = np.clip(S - fraction * (S - self.lower), self.lower, S)
        hi = np.clip(S + fraction * (self.upper - S), S, self.upper)
        return lo, hi

    def with_scores(self, scores, name: str | None = None) -> Instance:
        """The nominal game with another score matrix, validated like any instance."""
        n = self.nominal
        return make_instance(
            scores,
            n.masses,
            n.platforms,
            name=name or n.name,
            model_names=n.model_names,
            type_names=n.type_names,
            utility=n.utility,
            choice=n.choice,
            beta=n.beta,
            description=n.description,
            source=self.source,
        )

    def to_json_dict(self) -> dict:
        """The instance JSON with ``lower`` and ``upper`` beside each model's ``scores``."""
        d = self.nominal.to_json_dict()
        for j, mdl in enumerate(d["models"]):
            if np.any(self.lower[j] != self.nominal.scores[j]):
                mdl["lower"] = [float(x) for x in self.lower[j]]
            if np.any(self.upper[j] != self.nominal.scores[j]):
                mdl["upper"] = [float(x) for x in self.upper[j]]
        return d


def make_uncertain(nominal: Instance, lower=None, upper=None, source: str = "<arrays>") -> UncertainInstance:
    """Validate bounds around ``nominal`` and build an :class:`UncertainInstance`.

    ``lower`` / ``upper`` default to the nominal scores (zero width). Bounds must be finite,
    >= 0, and ``lower <= nominal <= upper``. Nominal scores of one user type must be equal or more
    than ``TIE_TOL`` apart (ties are exact in the uncertain game; formulations/robust.md, "Ties").

    Raises
    ------
    InstanceError
        One line naming the source, the model, the user type and the fix.

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[0.5, 0.2]], [1, 1], 1, model_names=["A"], type_names=["a", "b"])
    >>> make_uncertain(nominal, upper=[[0.7, 0.2]]).upper.tolist()
    [[0.7, 0.2]]
    >>> make_uncertain(nominal, lower=[[0.6, 0.2]])
    Traceback (most recent call last):
    ...
    milp_market.instance.InstanceError: <arrays>: models[0] ('A').lower['a'] = 0.6 is above the nominal score 0.5; need lower <= scores <= upper
    """
    S = nominal.scores
    bounds = {}
    for key, given in (("lower", lower), ("upper", upper)):
        if given is None:
            bounds[key] = np.array(S)
            continue
        try:
            B = np.array(given, dtype=float)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InstanceError(f"{source}: {key} bounds must be finite numbers ({exc})") from None
        if B.shape != S.shape:
            raise InstanceError(f"{source}: {key} bounds have shape {B.shape}; need one per model and user type {S.shape}")
        bounds[key] = B
    for key in ("lower", "upper"):
        B = bounds[key]
        for j, t in np.argwhere(~np.isfinite(B) | (B < 0)):
            what = _where(nominal, source, j, key, t)
            raise InstanceError(f"{what} = {_num(B[j, t])} must be a finite number >= 0")
    if (why := score_scale_error(bounds["upper"], nominal.platforms)) is not None:
        # every matrix of the box is solved by the same evaluator (review: a witness matrix near
        # 1e300 was refused later, as an internal error)
        raise InstanceError(f"{source}: upper bounds: {why}")
    for j, t in np.argwhere(bounds["lower"] > S):
        raise InstanceError(
            f"{_where(nominal, source, j, 'lower', t)} = {_num(bounds['lower'][j, t])} is above the nominal score "
            f"{_num(S[j, t])}; need lower <= scores <= upper"
        )
    for j, t in np.argwhere(bounds["upper"] < S):
        raise InstanceError(
            f"{_where(nominal, source, j, 'upper', t)} = {_num(bounds['upper'][j, t])} is below the nominal score "
            f"{_num(S[j, t])}; need lower <= scores <= upper"
        )
    for t in range(S.shape[1]):
        col = np.unique(S[:, t])
        gaps = np.diff(col)
        if np.any(gaps <= _D):
            i = int(np.argmax(gaps <= _D))
            raise InstanceError(
                f"{source}: user type {nominal.type_names[t]!r}: nominal scores {_num(col[i])} and {_num(col[i + 1])} are "
                f"closer than {_D} but not equal; ties are exact under uncertainty (formulations/robust.md): make them "
                f"equal or round them"
            )
    for t in range(S.shape[1]):
        # The sweep decides "more than 1e-9 apart" as hi - 1e-9 > v (and lo + 1e-9 < b - 1e-9 between
        # two breakpoints), the evaluator as hi - v > 1e-9; rounded, the two can differ when two
        # values of a type are 1e-9 or 2e-9 apart to within rounding. An audit built a false
        # "robust" and a false "impossible" that way (an upper bound 0.250000001 beside a score of
        # 0.25). Such values are refused; any other spacing, 0.5e-9 included, is decided exactly.
        vals = np.unique(np.concatenate([bounds["lower"][:, t], S[:, t], bounds["upper"][:, t]]))
        gaps = np.diff(vals)
        fuzz = 8 * np.spacing(np.maximum(1.0, np.abs(vals[1:])))
        bad = np.flatnonzero((np.abs(gaps - _D) <= fuzz) | (np.abs(gaps - 2 * _D) <= fuzz))
        if bad.size:
            a, b = vals[bad[0]], vals[bad[0] + 1]
            raise InstanceError(
                f"{source}: user type {nominal.type_names[t]!r}: the bounds and scores {_num(a)} and {_num(b)} are "
                f"{_D:g} or {2 * _D:g} apart to within rounding, where the tie rule's float comparisons can disagree "
                f"(formulations/robust.md, \"Ties\"): make them equal or move one by 1e-10 or more"
            )
    return UncertainInstance(nominal=nominal, lower=bounds["lower"], upper=bounds["upper"], source=source)


def _num(x) -> str:
    return repr(float(x))


def _where(nominal: Instance, source: str, j, key: str, t) -> str:
    return f"{source}: models[{int(j)}] ({nominal.model_names[int(j)]!r}).{key}[{nominal.type_names[int(t)]!r}]"


def uncertain_from_dict(data: Any, source: str = "<dict>") -> UncertainInstance:
    """Parse an instance dict whose models may carry ``lower`` and ``upper`` beside ``scores``.

    Each bound has the form of ``scores`` (a list in ``user_types`` order or an object keyed by
    user-type name); a model without them has a zero-width interval. The nominal instance is
    parsed by :func:`instance.instance_from_dict` (with the bounds removed).

    Parameters
    ----------
    data : dict
        Instance JSON (README, "Instance format") with optional ``lower`` / ``upper`` per model.
    source : str
        Names the input in error messages.

    Returns
    -------
    UncertainInstance
        Validated by :func:`make_uncertain`.

    Examples
    --------
    >>> data = {
    ...     "user_types": [{"name": "a", "mass": 1}, {"name": "b", "mass": 1}],
    ...     "models": [
    ...         {"name": "A", "scores": [1.0, 0.0], "lower": [0.8, 0.0]},
    ...         {"name": "B", "scores": {"a": 0.0, "b": 1.0}, "upper": {"a": 0.2, "b": 1.0}},
    ...     ],
    ...     "platforms": 2,
    ... }
    >>> unc = uncertain_from_dict(data)
    >>> unc.lower.tolist(), unc.upper.tolist()
    ([[0.8, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.2, 1.0]])
    """
    if not isinstance(data, dict):
        raise InstanceError(f"{source}: the top level must be a JSON object")
    stripped = copy.copy(data)
    models = data.get("models")
    if isinstance(models, list):
        stripped["models"] = [
            {k: v for k, v in m.items() if k not in ("lower", "upper")} if isinstance(m, dict) else m for m in models
        ]
    nominal = instance_from_dict(stripped, source=source)
    lower, upper = np.array(nominal.scores), np.array(nominal.scores)
    for j, mdl in enumerate(models):
        for key, B in (("lower", lower), ("upper", upper)):
            if key in mdl:
                B[j] = _score_row(mdl[key], nominal.type_names, f"{source}: models[{j}] ({mdl['name']!r}).{key}", noun="bound")
    return make_uncertain(nominal, lower, upper, source=source)


def load_uncertain_instance(path) -> UncertainInstance:
    """Read an instance JSON file whose models may carry ``lower`` / ``upper`` (README, "robust").

    Parameters
    ----------
    path : str or pathlib.Path
        The file; parsed by :func:`uncertain_from_dict`.

    Returns
    -------
    UncertainInstance

    Examples
    --------
    >>> unc = load_uncertain_instance("instances/uncertain/lmarena_categories_uncertain.json")
    >>> unc.nominal.n_models, unc.nominal.n_types, unc.nominal.platforms
    (15, 7, 4)
    >>> bool(np.all(unc.lower <= unc.nominal.scores) and np.all(unc.nominal.scores <= unc.upper))
    True
    """
    return uncertain_from_dict(read_json(path), source=str(path))


def winprob(ratings, reference):
    """The rating-to-score transform of the LMArena instances (scripts/build_instances.py):
    the win probability against a reference rating, ``1 / (1 + 10 ** ((reference - rating) / 400))``.

    Increasing in the rating, so a rating interval ``R +/- h`` maps to the score interval
    ``[winprob(R - h), winprob(R + h)]``, which contains ``winprob(R)``.

    Examples
    --------
    >>> float(winprob(1400.0, 1400.0)), round(float(winprob(1500.0, 1400.0)), 4)
    (0.5, 0.6401)
    """
    return 1.0 / (1.0 + 10.0 ** ((np.asarray(reference, dtype=float) - np.asarray(ratings, dtype=float)) / 400.0))


def score_intervals_from_ratings(ratings, halfwidths, reference, decimals: int = 6):
    """(lower, nominal, upper) scores from ratings and 95% half-widths through :func:`winprob`.

    Every array is rounded to ``decimals`` (as the shipped instances are); rounding is monotone,
    so ``lower <= nominal <= upper`` holds after it.

    Examples
    --------
    >>> lo, nom, up = score_intervals_from_ratings([[1450.0]], [[10.0]], [1400.0])
    >>> lo.tolist(), nom.tolist(), up.tolist()
    ([[0.557312]], [[0.571463]], [[0.585499]])
    """
    R = np.asarray(ratings, dtype=float)
    H = np.asarray(halfwidths, dtype=float)
    if np.any(~np.isfinite(H)) or np.any(H < 0):
        raise InstanceError("half-widths must be finite numbers >= 0")
    ref = np.asarray(reference, dtype=float)
    return tuple(np.round(winprob(x, ref), decimals) for x in (R - H, R, R + H))


# ----------------------------------------------------------------------------- per-type worst case


@dataclass(frozen=True)
class _Case:
    """The worst case of one user type for one deviation (formulations/robust.md, Lemma 3).

    ``value`` is the supremum of the type's gain term, reached with the opponents' top score at
    ``top`` (``side`` 0) or on the open piece next to ``top`` on ``side`` (-1 below, +1 above),
    where the term is linear in the top score with slope ``slope``; ``gap`` is the piece's length.
    ``attained`` is False when the supremum is only a limit: the piece's slope is not 0, or the
    deviator's current model must be strictly more than TIE_TOL above the top and its cheapest
    such score is that limit (formulations/robust.md, "Suprema that are limits").
    """

    value: float
    attained: bool
    top: float
    side: int
    k_status: str
    j_status: str
    tied: tuple[int, ...]
    gap: float
    slope: float = 0.0

    @property
    def n_ties(self) -> int:
        return (self.k_status == "tied") + (self.j_status == "tied") + len(self.tied)


def _w(pi: float, score_share: bool, x: float) -> float:
    return pi * x if score_share else pi


def _type_worst_case(lo, hi, opp, U, j: int, k: int, pi: float, score_share: bool) -> _Case:
    """Supremum over one user type's column in the box of the deviation gain term
    ``pi_t [share_k w_k - share_j w_j]`` (formulations/robust.md, Lemma 3: the sweep over the top)."""
    if not U:  # a single platform: it serves every type alone, whatever the scores
        return _Case(_w(pi, score_share, hi[k]) - _w(pi, score_share, lo[j]), True, math.nan, 0, "alone", "alone", (), math.inf)
    R = set(U) | {j, k}
    pts = set()
    for p in R:
        pts.update((lo[p], hi[p], lo[p] + _D, hi[p] - _D))
    pts.add(lo[j] - _D)  # where the cheapest "j above" value max(lo_j, v + D) bends
    pts = sorted(pts)
    best: _Case | None = None
    for i, b in enumerate(pts):
        for side in (0, -1, 1):
            gap = (pts[i + 1] - b if i + 1 < len(pts) else math.inf) if side > 0 else (b - pts[i - 1] if i > 0 else math.inf)
            case = _best_at(b, side, gap, lo, hi, opp, U, j, k, pi, score_share)
            if case is not None and (best is None or _prefer(case, best)):
                best = case
    assert best is not None, "the nominal column is always feasible"
    return best


def _prefer(a: _Case, b: _Case) -> bool:
    """Larger value first; then fewer ties (strict witnesses are preferred); then attained."""
    if a.value != b.value:
        return a.value > b.value
    if a.n_ties != b.n_ties:
        return a.n_ties < b.n_ties
    return a.attained and not b.attained


def _best_at(b, side, gap, lo, hi, opp, U, j, k, pi, score_share) -> _Case | None:
    """The best structure when the opponents' top score is v = b (side 0) or v -> b from ``side``.

    Predicates at v (formulations/robust.md, Lemma 2): p can be tied at v iff lo_p <= v <= hi_p;
    strictly below iff lo_p < v - D; strictly above iff hi_p > v + D. At a one-sided limit a
    predicate holds iff it holds on the open piece beside b.
    """

    def tie(p):
        return (lo[p] < b or (lo[p] == b and side >= 0)) and (b < hi[p] or (b == hi[p] and side <= 0))

    def below(p):
        x = lo[p] + _D
        return x < b or (x == b and side > 0)

    def above(p):
        x = hi[p] - _D
        return x > b or (x == b and side < 0)

    forced, optional = [], []
    for q in U:
        if q == j or q == k:
            continue
        tq, bq = tie(q), below(q)
        if tq and not bq:
            forced.append(q)
        elif tq:
            optional.append(q)
        elif not bq:
            return None  # q can be neither at the top nor below it: no column has this top
    F = sum(opp[q] for q in forced)
    O = sum(opp[q] for q in optional)
    cheapest = min(optional, key=lambda q: (opp[q], q)) if optional else None

    def options(x, in_use):
        out = []
        if not in_use and above(x):
            out.append("above")
        if tie(x):
            out.append("tied")
        if below(x):
            out.append("below")
        return out

    k_in, j_in = opp[k] > 0, opp[j] > 0
    wv = _w(pi, score_share, b)
    best = None
    for ks in options(k, k_in):
        for js in options(j, j_in):
            extra = (opp[k] if k_in and ks == "tied" else 0) + (opp[j] if j_in and js == "tied" else 0)
            base = F + extra
            if base == 0 and cheapest is None:
                continue  # nobody of the opponents would be at the top
            tied_lo = tuple(forced) if base > 0 else (cheapest,)
            c_lo = base if base > 0 else opp[cheapest]
            c_hi = base + O
            if ks == "tied" and js != "tied":
                c, tied = c_lo, tied_lo
            elif js == "tied" and ks != "tied":
                c, tied = c_hi, tuple(forced) + tuple(optional)
            else:  # c does not matter (both tied: the two terms cancel exactly)
                c, tied = c_lo, tied_lo
            tied = tied + ((k,) if k_in and ks == "tied" else ()) + ((j,) if j_in and js == "tied" else ())
            slope = 0.0
            if ks == "above":
                tk = _w(pi, score_share, hi[k])
            elif ks == "tied":
                tk = wv / (c + 1)
                slope += pi / (c + 1) if score_share else 0.0
            else:
                tk = 0.0
            j_limit = False
            if js == "above":
                s_j = max(lo[j], b + _D)
                tj = _w(pi, score_share, s_j)
                if score_share and not lo[j] > b + _D:
                    j_limit = True  # j's score must be strictly more than D above the top
                    slope -= pi
            elif js == "tied":
                tj = wv / (c + 1)
                slope -= pi / (c + 1) if score_share else 0.0
            else:
                tj = 0.0
            if ks == "tied" and js == "tied":
                value, slope = 0.0, 0.0
            else:
                value = tk - tj
            attained = not j_limit and (side == 0 or slope == 0.0)
            case = _Case(value, attained, b, side, ks, js, tuple(sorted(tied)), gap, slope)
            if best is None or _prefer(case, best):
                best = case
    return best


# ----------------------------------------------------------------------------- deviations


@dataclass(frozen=True)
class _Deviation:
    j: int
    k: int
    gain: float  # supremum over the box of the deviation gain
    attained: bool
    cases: tuple[_Case, ...]


def _opponents(counts, j) -> np.ndarray:
    o = np.array(counts, dtype=int)
    o[j] -= 1
    return o


def worst_case_gain(unc: UncertainInstance, counts, j: int, k: int, fraction: float = 1.0) -> tuple[float, bool]:
    """Supremum over the box (shrunk to ``fraction``) of the gain of a platform on model j that
    switches to model k, and whether it is attained (formulations/robust.md, Lemma 1).

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2)
    >>> unc = make_uncertain(nominal, upper=[[1.0, 0.5], [0.5, 1.0]])
    >>> worst_case_gain(unc, (1, 1), 0, 1)    # joining B: at most 0.25 (0.5 + 1); staying: 0.5
    (-0.125, True)
    """
    _require_hardmax(unc)
    lo, hi = unc.box(fraction)
    d = _deviation(unc.nominal, lo, hi, np.asarray(counts, dtype=int), j, k)
    return d.gain, d.attained


def _deviation(inst: Instance, lo, hi, counts, j, k) -> _Deviation:
    opp = _opponents(counts, j).tolist()
    U = [q for q in range(inst.n_models) if opp[q] > 0]
    score_share = inst.utility == "score_share"
    cases = tuple(
        _type_worst_case(lo[:, t].tolist(), hi[:, t].tolist(), opp, U, j, k, float(inst.masses[t]), score_share)
        for t in range(inst.n_types)
    )
    return _Deviation(j, k, math.fsum(c.value for c in cases), all(c.attained for c in cases), cases)


def _scan(inst: Instance, lo, hi, counts, first=None, stop=True) -> _Deviation | None:
    """The deviation with the largest worst-case gain (or, with ``stop``, the first one whose
    worst case exceeds EQ_TOL; ``first`` is tried first). None when the profile uses no model."""
    counts = np.asarray(counts, dtype=int)
    pairs = [(int(j), k) for j in np.flatnonzero(counts > 0) for k in range(inst.n_models) if k != j]
    if first is not None and first in pairs:
        pairs.remove(first)
        pairs.insert(0, first)
    worst = None
    for j, k in pairs:
        d = _deviation(inst, lo, hi, counts, j, k)
        if worst is None or d.gain > worst.gain:
            worst = d
        if stop and d.gain > EQ_TOL:
            return d
    return worst


def is_robust(unc: UncertainInstance, counts, fraction: float = 1.0) -> bool:
    """True when ``counts`` is an equilibrium for every score matrix of the box shrunk to ``fraction``
    (formulations/robust.md, Lemmas 1-3).

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2)
    >>> unc = make_uncertain(nominal, lower=[[0.2, 0.0], [0.0, 0.2]], upper=[[1.0, 0.9], [0.9, 1.0]])
    >>> is_robust(unc, (1, 1)), is_robust(unc, (1, 1), 0.1)
    (False, True)
    """
    _require_hardmax(unc)
    counts = _check_counts(unc.nominal, counts)
    lo, hi = unc.box(fraction)
    d = _scan(unc.nominal, lo, hi, counts)
    return d is None or d.gain <= EQ_TOL


def _require_hardmax(unc: UncertainInstance) -> None:
    if unc.nominal.choice != "hardmax":
        raise InstanceError(
            f"{unc.source}: robustness is implemented for hardmax choice only; this instance uses logit (softmax) choice"
        )


def _check_counts(inst: Instance, counts) -> np.ndarray:
    n = np.asarray(counts)
    if n.shape != (inst.n_models,) or np.any(n < 0) or int(n.sum()) != inst.platforms:
        raise ValueError(f"a profile must count {inst.platforms} platforms over {inst.n_models} models")
    return n.astype(int)


# ----------------------------------------------------------------------------- witnesses


@dataclass(frozen=True)
class Witness:
    """A score matrix inside the box under which a platform on ``platform_model`` gains ``gain``
    (> EQ_TOL) by switching to ``deviation_to``, as computed by the exact evaluator.

    Attributes
    ----------
    scores : (M, K) array
        The matrix, inside the box.
    platform_model, deviation_to : int
        Model indices of the deviation.
    gain : float
        The deviation's gain under ``scores``.

    Examples
    --------
    >>> from milp_market import game
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> wide = make_uncertain(nominal, lower=[[0.2, 0.0], [0.0, 0.2]], upper=[[1.0, 0.9], [0.9, 1.0]])
    >>> w = certify(wide, (1, 1)).witness
    >>> w.scores.round(4).tolist(), w.platform_model, w.deviation_to, round(w.gain, 4)
    ([[0.55, 0.0], [0.9, 1.0]], 0, 1, 0.475)
    >>> game.is_equilibrium(wide.with_scores(w.scores), (1, 1))   # the exact evaluator agrees
    False
    >>> sorted(w.to_dict(nominal))
    ['deviation_to', 'gain', 'platform_model', 'scores']
    """

    scores: np.ndarray
    platform_model: int
    deviation_to: int
    gain: float

    def to_dict(self, inst: Instance) -> dict:
        return {
            "scores": {inst.model_names[i]: [float(x) for x in row] for i, row in enumerate(self.scores)},
            "platform_model": inst.model_names[self.platform_model],
            "deviation_to": inst.model_names[self.deviation_to],
            "gain": float(self.gain),
        }


def _valid_column(values) -> bool:
    """instance.py's rule: no chain of near-ties (gaps <= TIE_TOL) wider than TIE_TOL."""
    col = np.sort(np.asarray(values, dtype=float))
    start = 0
    for i in range(1, len(col)):
        if col[i] - col[i - 1] > _D:
            start = i
        elif col[i] - col[start] > _D:
            return False
    return True


def _place(fixed: dict, flexible: list, lo, hi, nominal) -> dict | None:
    """Values for the ``flexible`` models (each a (model, low, high) range) beside the ``fixed``
    ones, keeping the column valid; prefer exact equality or gaps > 2 TIE_TOL (exact ties)."""
    vals = dict(fixed)
    for p, a, z in flexible:
        cands = [min(max(nominal[p], a), z), a, z, (a + z) / 2] + [x for x in vals.values() if a <= x <= z]
        placed = vals.values()
        pick = next((c for c in cands if all(c == x or abs(c - x) > 2 * _D for x in placed)), None)
        if pick is None:
            pick = next((c for c in cands if _valid_column([*placed, c])), None)
        if pick is None:
            return None
        vals[p] = pick
    return vals


def _column_witness(case: _Case, lo, hi, nominal, U, j, k, budget, pi_weighted: bool) -> dict | None:
    """A column of the box realizing ``case`` (within ``budget`` of its supremum when it is a limit)."""
    M = len(lo)
    if case.k_status == "alone":
        fixed = {k: hi[k], j: lo[j]}
        return _place(fixed, [(p, lo[p], hi[p]) for p in range(M) if p not in fixed], lo, hi, nominal)
    eta = 0.0 if case.side == 0 else (case.gap / 2 if case.slope == 0.0 else min(case.gap / 3, budget))
    v = case.top + case.side * eta
    fixed = {q: v for q in case.tied}
    flexible = []
    roles = {k: case.k_status, j: case.j_status}
    for x, st in roles.items():
        if st == "tied":
            fixed[x] = v
        elif st == "above":
            if x == k:
                fixed[x] = hi[x]
            else:
                room = hi[x] - v - _D  # > 0: j can be strictly above
                fixed[x] = lo[x] if lo[x] > v + _D else v + _D + (min(room / 3, budget) if pi_weighted else room / 2)
    for q in list(U) + [x for x, st in roles.items() if st == "below"]:
        if q not in fixed and all(q != f for f, _, _ in flexible):
            top = min(hi[q], v - _D)
            flexible.append((q, lo[q], lo[q] + (top - lo[q]) / 2 if top > lo[q] else lo[q]))
    taken = set(fixed) | {f for f, _, _ in flexible}
    flexible += [(p, lo[p], hi[p]) for p in range(M) if p not in taken]
    return _place(fixed, flexible, lo, hi, nominal)


def _witness(unc: UncertainInstance, lo, hi, counts, dev: _Deviation) -> Witness:
    """Build a witness matrix from the worst case of ``dev`` and re-check it with the evaluator.

    Raises RuntimeError if the evaluator does not confirm a gain > EQ_TOL (never observed; it
    would mean the float evaluator disagrees with the exact model at the 1e-9 scale).
    """
    inst = unc.nominal
    o = _opponents(counts, dev.j)
    U = [q for q in range(inst.n_models) if o[q] > 0]
    slack = dev.gain - EQ_TOL
    for budget in (min(slack / 4, 1e-7), slack / 4, slack / 2):
        S = np.empty(inst.scores.shape)
        ok = True
        for t, case in enumerate(dev.cases):
            col = _column_witness(
                case, lo[:, t], hi[:, t], inst.scores[:, t], U, dev.j, dev.k, budget, inst.utility == "score_share"
            )
            if col is None:
                ok = False
                break
            S[:, t] = [col[p] for p in range(inst.n_models)]
        if not ok or np.any(S < lo) or np.any(S > hi):
            continue
        try:
            w_inst = unc.with_scores(S, name=f"{inst.name}-witness")
        except InstanceError:
            continue
        pay = game.payoffs_against(w_inst, o)
        gain = float(pay[dev.k] - pay[dev.j])
        if gain > EQ_TOL and not game.is_equilibrium(w_inst, counts):
            return Witness(S, dev.j, dev.k, gain)
    raise RuntimeError(
        f"no witness confirmed by the exact evaluator for {inst.model_names[dev.j]} -> {inst.model_names[dev.k]} "
        f"(worst case {dev.gain:.3g}): the float evaluator disagrees with the exact model near TIE_TOL"
    )


# ----------------------------------------------------------------------------- certificates


@dataclass(frozen=True)
class RobustResult:
    """The robustness certificate of one profile.

    Attributes
    ----------
    counts : platforms per model.
    robust : True when the profile is an equilibrium for every score matrix of the box.
    worst_gain : the largest worst-case deviation gain over the box (<= EQ_TOL when robust), and
        ``worst_deviation`` = (from model, to model) attaining it.
    witness : None when robust; else a :class:`Witness` re-checked by the exact evaluator.
    nominal_equilibrium : whether the profile is an equilibrium at the nominal scores.
    robust_fraction : the largest f in [0, 1] (to ``FRACTION_PRECISION``) such that the profile
        is robust for the intervals shrunk to f; None when it is not even a nominal equilibrium.
    robust_fraction_bracket : (f robust, f not robust) around the threshold (equal ends at 1).
    breaks_first : the deviation (from model, to model) that is profitable for some matrix of the
        box shrunk to the bracket's upper end (the first to break the profile); None when robust.

    Made by :func:`certify`; ``to_dict(inst)`` is the ``robust --json`` entry of one profile.

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> wide = make_uncertain(nominal, lower=[[0.2, 0.0], [0.0, 0.2]], upper=[[1.0, 0.9], [0.9, 1.0]])
    >>> res = certify(wide, (1, 1))
    >>> res.robust, res.nominal_equilibrium, res.worst_deviation, res.breaks_first
    (False, True, (0, 1), (0, 1))
    >>> res.proof(nominal)
    'witness inside the box: a platform on A gains 0.475 by switching to B (exact evaluator); worst case over the box 0.475'
    >>> d = res.to_dict(nominal)
    >>> d["counts"], d["robust"], round(d["robust_fraction"], 3)
    ({'A': 1, 'B': 1}, False, 0.4)
    """

    counts: tuple[int, ...]
    robust: bool
    worst_gain: float
    worst_deviation: tuple[int, int] | None
    witness: Witness | None
    nominal_equilibrium: bool
    robust_fraction: float | None
    robust_fraction_bracket: tuple[float, float] | None
    breaks_first: tuple[int, int] | None = None
    seconds: float = 0.0
    label: str = ""

    def proof(self, inst: Instance) -> str:
        if self.robust:
            if self.worst_deviation is None:
                return "no deviation exists"
            j, k = self.worst_deviation
            return (
                f"exact worst case over the box, every deviation: the largest gain is {self.worst_gain:.6g} <= {EQ_TOL:g} "
                f"({inst.model_names[j]} -> {inst.model_names[k]}); per-type sweep, formulations/robust.md"
            )
        w = self.witness
        return (
            f"witness inside the box: a platform on {inst.model_names[w.platform_model]} gains {w.gain:.6g} by switching "
            f"to {inst.model_names[w.deviation_to]} (exact evaluator); worst case over the box {self.worst_gain:.6g}"
        )

    def to_dict(self, inst: Instance) -> dict:
        return {
            "counts": inst.counts_dict(self.counts),
            "label": self.label,
            "robust": self.robust,
            "robust_fraction": self.robust_fraction,
            "robust_fraction_bracket": list(self.robust_fraction_bracket) if self.robust_fraction_bracket else None,
            "nominal_equilibrium": self.nominal_equilibrium,
            "worst_case_gain": self.worst_gain,
            "worst_deviation": None
            if self.worst_deviation is None
            else {"platform_model": inst.model_names[self.worst_deviation[0]], "deviation_to": inst.model_names[self.worst_deviation[1]]},
            "breaks_first": None
            if self.breaks_first is None
            else {"platform_model": inst.model_names[self.breaks_first[0]], "deviation_to": inst.model_names[self.breaks_first[1]]},
            "witness": None if self.witness is None else self.witness.to_dict(inst),
            "proof": self.proof(inst),
            "seconds": round(self.seconds, 4),
        }


def robust_fraction(unc: UncertainInstance, counts, precision: float = FRACTION_PRECISION) -> tuple[float | None, tuple[float, float] | None]:
    """The largest shrink factor f in [0, 1] for which ``counts`` stays robust, by bisection
    (formulations/robust.md, "The robust fraction").

    Robustness is monotone in f (a smaller box is a subset), so bisection is exact up to the
    bracket width ``precision``. Returns (f, (f, f_not_robust)); (1.0, (1.0, 1.0)) when robust at
    f = 1; (None, None) when the profile is not an equilibrium even at the nominal scores (f = 0).

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2)
    >>> unc = make_uncertain(nominal, lower=[[0.2, 0.0], [0.0, 0.2]], upper=[[1.0, 0.9], [0.9, 1.0]])
    >>> f, (a, b) = robust_fraction(unc, (1, 1))
    >>> a <= 0.4 < b, b - a <= 1e-4
    (True, True)

    At shrink f, A's platform earns at least 0.5 (1 - 0.8 f) serving type a alone, and joining
    B (half of both types, B's scores up to 0.9 f and 1) earns at most 0.25 (0.9 f + 1): the worst
    case gain 0.625 f - 0.25 is <= 0 exactly for f <= 0.4.
    """
    _require_hardmax(unc)
    f, bracket, _ = _bisect(unc, _check_counts(unc.nominal, counts), precision)
    return f, bracket


def _bisect(unc: UncertainInstance, counts, precision):
    """(f, bracket, the deviation that breaks the profile at the bracket's upper end)."""
    inst = unc.nominal
    hint = None
    breaks = {}

    def robust(f):
        nonlocal hint
        lo, hi = unc.box(f)
        d = _scan(inst, lo, hi, counts, first=hint)
        if d is not None and d.gain > EQ_TOL:
            hint = breaks[f] = (d.j, d.k)
            return False
        return True

    if robust(1.0):
        return 1.0, (1.0, 1.0), None
    if not robust(0.0):
        return None, None, breaks[0.0]
    a, b = 0.0, 1.0
    while b - a > precision:
        mid = (a + b) / 2
        if robust(mid):
            a = mid
        else:
            b = mid
    return a, (a, b), breaks[b]


def certify(unc: UncertainInstance, counts, precision: float = FRACTION_PRECISION, label: str = "") -> RobustResult:
    """Decide exactly whether ``counts`` is an equilibrium for every score matrix of the box; a
    witness when not; and the robust fraction (see :func:`robust_fraction`). formulations/robust.md,
    Lemmas 1-3 and "Witnesses".

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 1.0], [0.1, 0.1]], [0.5, 0.5], 3, model_names=["A", "B"])
    >>> unc = make_uncertain(nominal, lower=[[0.8, 0.8], [0.1, 0.1]], upper=[[1.0, 1.0], [0.3, 0.3]])
    >>> res = certify(unc, (3, 0))       # A dominates B on the whole box
    >>> res.robust, res.witness, res.robust_fraction
    (True, None, 1.0)
    """
    t0 = time.perf_counter()
    _require_hardmax(unc)
    counts = _check_counts(unc.nominal, counts)
    inst = unc.nominal
    lo, hi = unc.box(1.0)
    d = _scan(inst, lo, hi, counts, stop=False)
    robust = d is None or d.gain <= EQ_TOL
    witness = None if robust else _witness(unc, lo, hi, counts, d)
    nominal_eq = game.is_equilibrium(inst, counts)
    f, bracket, first = _bisect(unc, counts, precision) if not robust else (1.0, (1.0, 1.0), None)
    return RobustResult(
        counts=tuple(int(c) for c in counts),
        robust=robust,
        worst_gain=-math.inf if d is None else d.gain,
        worst_deviation=None if d is None else (d.j, d.k),
        witness=witness,
        nominal_equilibrium=nominal_eq,
        robust_fraction=f,
        robust_fraction_bracket=bracket,
        breaks_first=first,
        seconds=time.perf_counter() - t0,
        label=label,
    )


@dataclass(frozen=True)
class RobustReport:
    """Certificates for a list of profiles (default: the nominal best and worst equilibria).

    Attributes
    ----------
    instance : str
        The instance's name.
    nominal_status : NominalStatus
        The nominal game's status, or ``given`` when the profiles were given.
    profiles : tuple of RobustResult
        One certificate per profile.
    seconds : float
        Wall time.

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> unc = make_uncertain(nominal, lower=[[0.8, 0.0], [0.0, 0.8]], upper=[[1.0, 0.2], [0.2, 1.0]])
    >>> rep = robust_profiles(unc, [(1, 1), (2, 0)])
    >>> [(p.counts, p.robust) for p in rep.profiles], str(rep.nominal_status)
    ([((1, 1), True), ((2, 0), False)], 'given')
    >>> d = rep.to_dict(nominal)
    >>> d["tolerance"], d["fraction_precision"], len(d["profiles"])
    (1e-09, 0.0001, 2)
    """

    instance: str
    nominal_status: NominalStatus
    profiles: tuple[RobustResult, ...]
    seconds: float

    def to_dict(self, inst: Instance) -> dict:
        return {
            "instance": self.instance,
            "nominal_status": self.nominal_status,
            "tolerance": EQ_TOL,
            "fraction_precision": FRACTION_PRECISION,
            "profiles": [p.to_dict(inst) for p in self.profiles],
            "seconds": round(self.seconds, 4),
        }


def robust_profiles(unc: UncertainInstance, profiles=None, precision: float = FRACTION_PRECISION) -> RobustReport:
    """Certify each of ``profiles`` (count vectors), or by default the nominal best and worst
    equilibria found by ``orchestrate.solve_market(nominal, "auto")`` (none when it proves there is none).

    Parameters
    ----------
    unc : UncertainInstance
        A hardmax market with score intervals.
    profiles : iterable of count vectors, optional
        The profiles to certify; None for the nominal best and worst equilibria (one entry when
        they coincide).
    precision : float
        Bracket width of each robust fraction (:func:`robust_fraction`).

    Returns
    -------
    RobustReport

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> unc = make_uncertain(nominal, lower=[[0.8, 0.0], [0.0, 0.8]], upper=[[1.0, 0.2], [0.2, 1.0]])
    >>> rep = robust_profiles(unc)
    >>> str(rep.nominal_status), [(p.counts, p.label, p.robust) for p in rep.profiles]
    ('equilibrium', [((1, 1), 'best and worst equilibrium', True)])
    >>> unc = load_uncertain_instance("instances/uncertain/lmarena_categories_uncertain.json")
    >>> rep = robust_profiles(unc)          # no nominal equilibrium: nothing to certify
    >>> str(rep.nominal_status), rep.profiles
    ('no_equilibrium', ())
    """
    t0 = time.perf_counter()
    _require_hardmax(unc)
    inst = unc.nominal
    if profiles is None:
        from .orchestrate import solve_market

        res = solve_market(inst, "auto")
        status = NominalStatus(res.status.value)
        todo = []
        for key, ext in (("best", res.best), ("worst", res.worst)):
            if ext is not None and ext.profile is not None:
                c = tuple(ext.profile.counts)
                if todo and todo[-1][0] == c:
                    todo[-1] = (c, "best and worst equilibrium")
                else:
                    todo.append((c, f"{key} equilibrium"))
    else:
        status = NominalStatus.GIVEN
        todo = [(tuple(int(x) for x in c), "given") for c in profiles]
    out = tuple(certify(unc, c, precision, label) for c, label in todo)
    return RobustReport(inst.name, status, out, time.perf_counter() - t0)


# ----------------------------------------------------------------------------- outcome distribution

#: ``--distribution`` choices (formulations/robust.md, "Outcome distribution").
DISTRIBUTIONS = ("uniform", "normal")
#: The half-width of an interval is this many standard deviations under ``normal`` (a 95% interval).
Z95 = 1.96
#: Without a scheduler, samples run on an embedded local Dask cluster from this many draws on.
DASK_MIN_SAMPLES = 200
#: A column with two unequal scores closer than TIE_TOL is redrawn at most this many times.
MAX_REDRAWS = 1000
QUANTILES = (0.05, 0.5, 0.95)

DISTRIBUTION_STATEMENT = {
    "uniform": "uniform in the box: every score independently uniform on [lower, upper]",
    "normal": (
        "normal around the nominal score with the half-width as 1.96 sigma, truncated to the box: every score "
        "independently nominal + z * (upper - nominal) / 1.96 for z >= 0 and nominal + z * (nominal - lower) / 1.96 "
        "for z < 0, z standard normal conditioned on |z| <= 1.96 (a two-piece normal when the interval is not "
        "symmetric; its median is the nominal score)"
    ),
}
TIE_RULE = (
    "a user type's column with two unequal scores closer than 1e-9 (a near-tie the evaluator would reject or merge) "
    "is redrawn from the same stream, so every draw has exact ties only (formulations/robust.md, 'Ties')"
)


def _omega_column(col) -> bool:
    """Every two scores of the column are equal or more than TIE_TOL apart (the set Omega)."""
    return bool(np.all(np.diff(np.unique(col)) > _D))


def _draw_column(rng, lo, hi, nominal, distribution: str) -> np.ndarray:
    if distribution == "uniform":
        x = lo + (hi - lo) * rng.random(len(lo))
    else:
        z = rng.standard_normal(len(lo))
        bad = np.abs(z) > Z95
        while bad.any():  # rejection: z conditioned on |z| <= 1.96 (accepts 95% of the time)
            z[bad] = rng.standard_normal(int(bad.sum()))
            bad = np.abs(z) > Z95
        x = nominal + np.where(z >= 0, z * (hi - nominal), z * (nominal - lo)) / Z95
    return np.minimum(np.maximum(x, lo), hi)


def draw_scores(unc: UncertainInstance, seed: int, index: int, distribution: str = "uniform") -> tuple[np.ndarray, int]:
    """Draw ``index`` of the sample with ``seed``: a score matrix inside the box, and the number of
    columns redrawn because of a near-tie.

    Each draw has its own stream ``numpy.random.default_rng([seed, index])``, so a draw does not
    depend on the others, on their order or on where it runs (local loop or Dask worker). A
    zero-width interval always gives its nominal score.

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[0.5, 0.2], [0.4, 0.3]], [1, 1], 2)
    >>> unc = make_uncertain(nominal, lower=[[0.4, 0.2], [0.3, 0.3]], upper=[[0.6, 0.2], [0.5, 0.3]])
    >>> S, redraws = draw_scores(unc, 7, 0)
    >>> bool(np.all((unc.lower <= S) & (S <= unc.upper))), S[:, 1].tolist(), redraws
    (True, [0.2, 0.3], 0)
    >>> bool(np.array_equal(S, draw_scores(unc, 7, 0)[0]))
    True
    """
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}")
    rng = np.random.default_rng([int(seed), int(index)])
    lo, hi, S0 = unc.lower, unc.upper, unc.nominal.scores
    out = np.empty(S0.shape)
    redraws = 0
    for t in range(S0.shape[1]):
        for _ in range(MAX_REDRAWS):
            col = _draw_column(rng, lo[:, t], hi[:, t], S0[:, t], distribution)
            if _omega_column(col):
                break
            redraws += 1
        else:
            raise InstanceError(
                f"{unc.source}: user type {unc.nominal.type_names[t]!r}: {MAX_REDRAWS} draws in a row had unequal scores "
                f"closer than {_D}; some intervals are narrower than {_D} beside other scores: widen or pin them"
            )
        out[:, t] = col
    return out, redraws


def _finite(x):
    return None if x is None or not math.isfinite(x) else float(x)


def solve_draw(unc: UncertainInstance, seed: int, index: int, distribution: str = "uniform", time_limit: float | None = None) -> dict:
    """Draw ``index`` (:func:`draw_scores`) solved exactly by ``orchestrate.solve_market(..., "auto")``.

    Returns a small dict (what a Dask worker sends back): ``index``, ``status``, ``redraws``,
    ``best`` and ``worst`` (count tuples or None), their ``welfare``, ``hhi`` and ``structure``,
    ``poa``, ``pos``, ``method``, ``seconds``.

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> wide = make_uncertain(nominal, lower=[[0.2, 0.0], [0.0, 0.2]], upper=[[1.0, 0.9], [0.9, 1.0]])
    >>> row = solve_draw(wide, seed=0, index=0)
    >>> row["index"], row["status"], row["best"], row["best_structure"], round(row["poa"], 4)
    (0, 'equilibrium', (2, 0), 'homogenized', 1.2362)
    """
    from .orchestrate import solve_market

    S, redraws = draw_scores(unc, seed, index, distribution)
    inst = unc.with_scores(S, name=f"{unc.nominal.name}-draw{index}")
    res = solve_market(inst, "auto", time_limit)
    eq = res.status is Status.EQUILIBRIUM
    row = {"index": int(index), "status": res.status.value, "redraws": redraws, "method": res.method, "seconds": res.seconds}
    for key in ("best", "worst"):
        ext = getattr(res, key)
        p = ext.profile if (ext is not None and eq) else None
        row[key] = None if p is None else tuple(int(c) for c in p.counts)
        row[f"{key}_welfare"] = None if p is None else float(p.welfare)
        row[f"{key}_hhi"] = None if p is None else float(p.hhi)
        row[f"{key}_structure"] = None if p is None else p.structure
    row["poa"] = _finite(res.price_of_anarchy) if eq else None
    row["pos"] = _finite(res.price_of_stability) if eq else None
    return row


@dataclass(frozen=True)
class SampleReport:
    """The outcome distribution of R exact solves on score matrices drawn inside the box.

    ``rows`` holds one :func:`solve_draw` dict per draw, in draw order; everything else is
    computed from them (so the same seed gives the same report, wherever the draws ran).

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> wide = make_uncertain(nominal, lower=[[0.2, 0.0], [0.0, 0.2]], upper=[[1.0, 0.9], [0.9, 1.0]])
    >>> rep = sample_outcomes(wide, 4, seed=3)
    >>> rep.samples, rep.backend, rep.count("equilibrium"), [r["index"] for r in rep.rows]
    (4, 'local loop', 4, [0, 1, 2, 3])
    >>> rep.frequencies("best")
    [((2, 0), 2), ((0, 2), 1), ((1, 1), 1)]
    >>> {k: round(v, 4) for k, v in rep.quantiles("poa").items()}
    {'q05': 1.0, 'q50': 1.0024, 'q95': 1.0345}
    """

    instance: str
    samples: int
    seed: int
    distribution: str
    rows: tuple[dict, ...]
    backend: str
    seconds: float

    def count(self, status: Status | str) -> int:
        """Draws whose solve ended with ``status`` (a :class:`Status` or its value)."""
        return sum(r["status"] == Status(status).value for r in self.rows)

    def frequencies(self, key: str) -> list[tuple[Any, int]]:
        """(value, draws) of ``key`` over the draws with an equilibrium, most frequent first
        (ties: in order of first appearance)."""
        seen: dict = {}
        for r in self.rows:
            if r["status"] == Status.EQUILIBRIUM.value:
                seen[r[key]] = seen.get(r[key], 0) + 1
        return sorted(seen.items(), key=lambda kv: -kv[1])

    def quantiles(self, key: str) -> dict | None:
        vals = [r[key] for r in self.rows if r["status"] == Status.EQUILIBRIUM.value and r[key] is not None]
        if not vals:
            return None
        q = np.quantile(np.array(vals, dtype=float), QUANTILES)  # numpy's default (linear) rule
        return {f"q{int(round(100 * p)):02d}": float(x) for p, x in zip(QUANTILES, q)}

    def to_dict(self, inst: Instance) -> dict:
        n_eq = self.count(Status.EQUILIBRIUM)

        def profiles(key):
            return [
                {"counts": inst.counts_dict(c), "draws": n, "frequency": n / self.samples} for c, n in self.frequencies(key)
            ]

        def structures(key):
            return {s: n for s, n in self.frequencies(f"{key}_structure")}

        return {
            "instance": self.instance,
            "samples": self.samples,
            "seed": self.seed,
            "distribution": self.distribution,
            "distribution_statement": DISTRIBUTION_STATEMENT[self.distribution],
            "near_ties": TIE_RULE,
            "redrawn_columns": sum(r["redraws"] for r in self.rows),
            "equilibrium": n_eq,
            "no_equilibrium": self.count(Status.NO_EQUILIBRIUM),
            "unknown": self.count(Status.UNKNOWN),
            "share_with_equilibrium": n_eq / self.samples if self.samples else None,
            "best_profiles": profiles("best"),
            "worst_profiles": profiles("worst"),
            "structure_best": structures("best"),
            "structure_worst": structures("worst"),
            "quantiles": {
                "price_of_anarchy": self.quantiles("poa"),
                "price_of_stability": self.quantiles("pos"),
                "hhi_best": self.quantiles("best_hhi"),
                "hhi_worst": self.quantiles("worst_hhi"),
            },
            "quantile_rule": "numpy.quantile (linear interpolation) over the draws with an equilibrium",
            "backend": self.backend,
            "seconds": round(self.seconds, 4),
        }


def sample_outcomes(
    unc: UncertainInstance,
    samples: int,
    seed: int = 0,
    distribution: str = "uniform",
    scheduler: str | None = None,
    workers: int = 2,
    time_limit: float | None = None,
    progress: bool = False,
    use_dask: bool | None = None,
) -> SampleReport:
    """Draw ``samples`` score matrices inside the box and solve each exactly (hardmax;
    formulations/robust.md, "Outcome distribution").

    Runs on Dask when ``scheduler`` is given, or on an embedded local cluster of ``workers``
    processes (``sweep.py``'s, Ctrl-C safe) when ``samples >= DASK_MIN_SAMPLES`` or ``use_dask``;
    otherwise in a local loop. The answer does not depend on where the draws ran.

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> unc = make_uncertain(nominal)                      # zero width: one outcome
    >>> rep = sample_outcomes(unc, 5, seed=1)
    >>> out = rep.to_dict(nominal)
    >>> out["share_with_equilibrium"], out["best_profiles"]
    (1.0, [{'counts': {'A': 1, 'B': 1}, 'draws': 5, 'frequency': 1.0}])
    """
    _require_hardmax(unc)
    if distribution not in DISTRIBUTIONS:
        raise InstanceError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}")
    if samples < 1:
        raise InstanceError("the number of samples must be a positive integer")
    t0 = time.perf_counter()
    dask = scheduler is not None or (use_dask if use_dask is not None else samples >= DASK_MIN_SAMPLES)
    bar = None
    if progress:
        from .progress import progress_bar

        bar = progress_bar(samples, f"robust {unc.nominal.name}", "draw")
    try:
        if dask:
            rows, backend = _sample_dask(unc, samples, seed, distribution, time_limit, scheduler, workers, bar)
        else:
            rows, backend = [], "local loop"
            for i in range(samples):
                rows.append(solve_draw(unc, seed, i, distribution, time_limit))
                if bar:
                    bar.update(1)
    finally:
        if bar:
            bar.close()
    rows.sort(key=lambda r: r["index"])
    return SampleReport(unc.nominal.name, samples, int(seed), distribution, tuple(rows), backend, time.perf_counter() - t0)


def _sample_dask(unc, samples, seed, distribution, time_limit, scheduler, workers, bar):
    from dask.distributed import Client, as_completed

    from .sweep import _LocalCluster

    cluster = client = None
    interrupted = False
    rows = []
    try:
        if scheduler:
            client = Client(scheduler)
            backend = f"dask scheduler {scheduler}"
        else:
            cluster = _LocalCluster(workers)
            client = Client(cluster.address())
            backend = f"dask local cluster, {workers} worker process(es)"
        [data] = client.scatter([unc], broadcast=True)
        futures = [client.submit(solve_draw, data, seed, i, distribution, time_limit, pure=False) for i in range(samples)]
        for fut in as_completed(futures):
            rows.append(fut.result())
            if bar:
                bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close(interrupted)
    return rows, backend


# ----------------------------------------------------------------------------- possible equilibria
#
# formulations/robust.md, "Possible equilibria": does SOME score matrix of the box make a profile an
# equilibrium? Per type only the used models' top level (and, when one platform is alone on top,
# the level below it) and the unused models' lower bounds matter (Lemmas 4-5); each type picks one
# option (who is on top, which cell of the unused lower bounds the top score is in), and the
# deviation rows are linear in the top scores given the options: a disjunctive MILP, solved in the
# convex-hull form, every answer re-checked (witness) or reproduced by a second HiGHS configuration
# (none).

#: Loosening of the deviation rows in the relaxation (a "none" must survive it) and tightening in
#: the restriction (a witness must have room for the solver's feasibility tolerance 1e-7).
POSSIBLE_SLACK = 1e-6
#: In the restriction, strict relations ("below the top", "inside an open cell") keep this gap.
POSSIBLE_MARGIN = 1e-6


@dataclass(frozen=True)
class _Option:
    """One type's structure: ``top`` (used models at the top score v), ``second`` (when the top is
    one platform alone: the used models at the level v2 below it), the cells of v and v2 as
    (lo, hi, lo_open, hi_open), and ``coef[(j, k)] = (alpha, beta, gamma)``: the type's term of the
    gain of j -> k is alpha + beta v + gamma v2."""

    top: tuple[int, ...]
    second: tuple[int, ...]
    v: tuple[float, float, bool, bool]
    v2: tuple[float, float, bool, bool] | None
    coef: dict


def _cells(a: float, b: float, a_open: bool, L: list[float]) -> list[tuple[float, float, bool, bool]]:
    """The cells of [a, b] (open at a when ``a_open``) cut by the points L: each point of L inside,
    and the open pieces between (closed at a range end that is no point of L)."""
    if a > b or (a_open and a == b):
        return []
    inside = [x for x in L if (a < x or (a == x and not a_open)) and x <= b]
    out = [(x, x, False, False) for x in inside]
    Q = sorted({a, b, *inside})
    if len(Q) == 1 and Q[0] not in L and not a_open:
        out.append((a, a, False, False))
    for p, q in zip(Q, Q[1:]):
        out.append((p, q, p in L or (p == a and a_open), q in L))
    return out


def _options(inst: Instance, lo, hi, counts, t: int) -> list[_Option]:
    """Every structure of type t for profile ``counts`` with its linear gain terms (Lemma 5)."""
    M = inst.n_models
    n = counts
    P = [q for q in range(M) if n[q] > 0]
    unused = [k for k in range(M) if n[k] == 0]
    L = sorted({lo[k, t] for k in unused})
    pi = float(inst.masses[t])
    ss = inst.utility == "score_share"
    pairs = [(j, k) for j in P for k in range(M) if k != j]

    def share_term(var, c):  # w(V) / (c + 1) as (alpha, beta, gamma)
        if not ss:
            return (pi / (c + 1), 0.0, 0.0)
        return (0.0, pi / (c + 1), 0.0) if var == "v" else (0.0, 0.0, pi / (c + 1))

    def unused_term(k, cell, var, c):
        x_lo, x_hi = cell[0], cell[1]
        lk = lo[k, t]
        if x_lo == x_hi:  # a point cell
            if lk > x_lo:
                return (pi * lk if ss else pi, 0.0, 0.0)
            return share_term(var, c) if lk == x_lo else (0.0, 0.0, 0.0)
        return (pi * lk if ss else pi, 0.0, 0.0) if lk >= x_hi else (0.0, 0.0, 0.0)

    def coefs(top, second, vcell, v2cell):
        C = sum(n[q] for q in top)
        sole = bool(second)
        out = {}
        for j, k in pairs:
            in_top = j in top
            stay = (0.0, 0.0, 0.0)
            if in_top:
                stay = (pi / C, 0.0, 0.0) if not ss else (0.0, pi / C, 0.0)
            if sole and j == top[0]:
                var, S_top, c, cell = "v2", second, sum(n[q] for q in second), v2cell
            else:
                var, S_top, c, cell = "v", top, C - (1 if in_top else 0), vcell
            if n[k] > 0:
                dev = share_term(var, c) if k in S_top else (0.0, 0.0, 0.0)
            else:
                dev = unused_term(k, cell, var, c)
            out[(j, k)] = tuple(d - s for d, s in zip(dev, stay))
        return out

    opts = []
    for r in range(1, len(P) + 1):
        for top in itertools.combinations(P, r):
            a = max(lo[q, t] for q in top)
            b = min(hi[q, t] for q in top)
            rest = [q for q in P if q not in top]
            sole = len(top) == 1 and n[top[0]] == 1 and rest
            if not sole:
                # every other used model strictly below: v > l_q
                floor = max((lo[q, t] for q in rest), default=-math.inf)
                a_open = floor >= a
                for cell in _cells(max(a, floor), b, a_open, L):
                    opts.append(_Option(top, (), cell, None, coefs(top, (), cell, None)))
                continue
            for r2 in range(1, len(rest) + 1):
                for second in itertools.combinations(rest, r2):
                    a2 = max(lo[q, t] for q in second)
                    b2 = min(hi[q, t] for q in second)
                    below = [q for q in rest if q not in second]
                    floor2 = max((lo[q, t] for q in below), default=-math.inf)
                    v2cells = _cells(max(a2, floor2), b2, floor2 >= a2, L)
                    vcells = _cells(a, b, False, L)
                    for vc in vcells:
                        for v2c in v2cells:
                            if v2c[0] >= vc[1]:  # need v2 < v
                                continue
                            opts.append(_Option(top, second, vc, v2c, coefs(top, second, vc, v2c)))
    return opts


def build_possible_equilibrium(inst: Instance, options: list[list[_Option]], counts, restrict: bool, rhs: float | None = None):
    """The disjunctive MILP of formulations/robust.md, "Possible equilibria" (convex-hull form).

    ``restrict`` False: the closure of every option and rows loosened by POSSIBLE_SLACK (a
    relaxation: infeasible proves that no matrix of the box makes ``counts`` an equilibrium);
    True: strict relations kept by POSSIBLE_MARGIN and rows tightened by POSSIBLE_SLACK (or
    bounded by ``rhs``): every solution is an equilibrium candidate, re-checked exactly.

    Parameters
    ----------
    inst : Instance
        The nominal game (hardmax).
    options : list of lists of _Option
        Per user type, its top structures in the box (``robust._options``).
    counts : numpy.ndarray of int
        The profile.
    restrict : bool
        False for the relaxation, True for the restriction (see above).
    rhs : float, optional
        The right-hand side of the no-gain rows, overriding the default of ``restrict``.

    Returns
    -------
    pyomo.environ.ConcreteModel
        Binaries ``z[t, o]``, continuous ``v``, ``v2``; rows ``one``, ``cell``, ``no_gain``.

    Examples
    --------
    B's scores reach at most 0.9 against A's 1.0, so a platform on B always gains by joining A:
    the relaxation for one platform on each model is infeasible (:func:`possible_equilibrium`
    asks it of two HiGHS configurations).

    >>> from milp_market.formulations.highs import PersistentHighs
    >>> from milp_market.instance import make_instance
    >>> from milp_market.robust import _options
    >>> nominal = make_instance([[1.0, 1.0], [0.5, 0.5]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> unc = make_uncertain(nominal, upper=[[1.0, 1.0], [0.9, 0.9]])
    >>> n = np.array([1, 1])
    >>> options = [_options(nominal, unc.lower, unc.upper, n, t) for t in range(nominal.n_types)]
    >>> m = build_possible_equilibrium(nominal, options, n, restrict=False)
    >>> len(m.z), len(m.no_gain), PersistentHighs().solve(m).status.value
    (2, 2, 'infeasible')
    """
    import pyomo.environ as pyo

    m = pyo.ConcreteModel(name="possible_equilibrium")
    idx = [(t, o) for t in range(len(options)) for o in range(len(options[t]))]
    m.z = pyo.Var(idx, domain=pyo.Binary, doc="z[t, o] = 1: type t has structure (option) o")
    m.v = pyo.Var(idx, domain=pyo.Reals, doc="v[t, o]: the top score of type t, times z[t, o]")
    m.v2 = pyo.Var(idx, domain=pyo.Reals, doc="v2[t, o]: the level below a lone top platform, times z[t, o]")
    mu = POSSIBLE_MARGIN if restrict else 0.0
    m.one = pyo.Constraint(range(len(options)), rule=lambda m, t: sum(m.z[t, o] for o in range(len(options[t]))) == 1)
    m.cell = pyo.ConstraintList(doc="v and v2 in their option's cell (open ends keep mu)")
    for t, o in idx:
        op = options[t][o]
        for var, cell in ((m.v, op.v), (m.v2, op.v2)):
            if cell is None:
                m.cell.add(var[t, o] == 0)
                continue
            c_lo, c_hi, lo_open, hi_open = cell
            a = c_lo + (mu if lo_open else 0.0)
            b = c_hi - (mu if hi_open else 0.0)
            if c_lo == c_hi:
                a = b = c_lo
            m.cell.add(var[t, o] >= a * m.z[t, o])
            m.cell.add(var[t, o] <= b * m.z[t, o])
        if op.v2 is not None:
            m.cell.add(m.v2[t, o] <= m.v[t, o] - mu * m.z[t, o])
    P = [j for j in range(inst.n_models) if counts[j] > 0]
    pairs = [(j, k) for j in P for k in range(inst.n_models) if k != j]
    if rhs is None:
        rhs = EQ_TOL + POSSIBLE_SLACK if not restrict else -POSSIBLE_SLACK
    m.no_gain = pyo.Constraint(
        pairs,
        rule=lambda m, j, k: sum(
            options[t][o].coef[(j, k)][0] * m.z[t, o] + options[t][o].coef[(j, k)][1] * m.v[t, o]
            + options[t][o].coef[(j, k)][2] * m.v2[t, o]
            for t, o in idx
        )
        <= rhs,
        doc="no platform on j gains by switching to k: the sum over types of the options' terms",
    )
    m.obj = pyo.Objective(expr=0.0)
    return m


def _decode_possible(unc: UncertainInstance, options, counts, m, inward: float = 0.0) -> np.ndarray:
    """The score matrix of a solution: unused models at their lower bounds, the top at v, the level
    below a lone top at v2, every other used model at its lower bound. ``inward`` > 0 moves a value
    at an open end of its cell (a point of the closure only) that far into the cell (at most to
    the cell's middle), and v2 below v; candidates are re-checked anyway."""
    S = np.array(unc.lower, dtype=float)

    def value(x, cell):
        lo_, hi_, lo_open, hi_open = cell
        if lo_ == hi_:
            return lo_
        x = min(max(x, lo_), hi_)
        eta = min(inward, (hi_ - lo_) / 2)
        if lo_open:
            x = max(x, lo_ + eta)
        if hi_open:
            x = min(x, hi_ - eta)
        return x

    for t in range(len(options)):
        o = max(range(len(options[t])), key=lambda o: m.z[t, o].value or 0.0)
        op = options[t][o]
        z = m.z[t, o].value or 1.0
        v = value(m.v[t, o].value / z, op.v)
        for q in op.top:
            S[q, t] = v
        if op.v2 is not None:
            v2 = value(m.v2[t, o].value / z, op.v2)
            if inward and v2 >= v - inward and op.v2[0] < v:
                v2 = max(op.v2[0], min(v2, (op.v2[0] + v) / 2 if op.v2[2] else v - inward))
            for q in op.second:
                S[q, t] = v2
    return np.minimum(np.maximum(S, unc.lower), unc.upper)


#: How far ``_decodings`` moves a value at an open end of its cell into the cell. The steps just
#: above TIE_TOL matter where the regret's infimum is approached only at the open end: a deviation
#: gaining slope * eta there is absorbed by EQ_TOL only for eta of a few 1e-9 (found by audit: a
#: 0.25-grid box answered "unknown" with every step from 1e-7 up; formulations/robust.md,
#: "Possible equilibria").
DECODE_STEPS = (0.0, 1.5e-9, 2e-9, 4e-9, 1e-7, 1e-5, math.inf)


def _decodings(unc, options, counts, m) -> list[np.ndarray]:
    return [_decode_possible(unc, options, counts, m, eta) for eta in DECODE_STEPS]


@dataclass(frozen=True)
class PossibleResult:
    """Whether some score matrix of the box makes ``counts`` an equilibrium.

    ``status`` (:class:`~milp_market.results.PossibleStatus`): ``possible`` (``witness`` is such a
    matrix, re-checked by game.is_equilibrium), ``impossible`` (the relaxation is infeasible under two
    HiGHS configurations), or ``unknown`` (the relaxation is feasible but no candidate survived the
    re-check).

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> wide = make_uncertain(nominal, lower=[[0.2, 0.0], [0.0, 0.2]], upper=[[1.0, 0.9], [0.9, 1.0]])
    >>> r = possible_equilibrium(wide, (2, 0))
    >>> r.counts, str(r.status)
    ((2, 0), 'possible')
    >>> from milp_market import game
    >>> game.is_equilibrium(wide.with_scores(r.witness), (2, 0))   # a matrix of the box
    True
    >>> d = r.to_dict(nominal)
    >>> d["counts"], sorted(d["witness"]), d["milp"]
    ({'A': 2}, ['A', 'B'], {'options': 4, 'binaries': 4, 'deviation_rows': 1})
    """

    counts: tuple[int, ...]
    status: PossibleStatus
    witness: np.ndarray | None
    options: int
    binaries: int
    rows: int
    seconds: float

    def to_dict(self, inst: Instance) -> dict:
        return {
            "counts": inst.counts_dict(self.counts),
            "status": self.status,
            "witness": None
            if self.witness is None
            else {inst.model_names[i]: [float(x) for x in row] for i, row in enumerate(self.witness)},
            "milp": {"options": self.options, "binaries": self.binaries, "deviation_rows": self.rows},
            "seconds": round(self.seconds, 4),
        }


def possible_equilibrium(unc: UncertainInstance, counts, fraction: float = 1.0, time_limit: float | None = None) -> PossibleResult:
    """Decide whether some score matrix of the box (shrunk to ``fraction``) makes ``counts`` a pure
    equilibrium (hardmax; formulations/robust.md, "Possible equilibria").

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 1.0], [0.5, 0.5]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> unc = make_uncertain(nominal, upper=[[1.0, 1.0], [0.9, 0.9]])
    >>> possible_equilibrium(unc, (1, 1)).status     # B never reaches A: joining A pays 0.5 > 0.45
    <PossibleStatus.IMPOSSIBLE: 'impossible'>
    >>> wide = make_uncertain(nominal, upper=[[1.0, 1.0], [1.0, 1.0]])
    >>> r = possible_equilibrium(wide, (1, 1))     # B can tie A... and then B's platform is indifferent
    >>> str(r.status), r.witness[1].tolist()
    ('possible', [1.0, 1.0])
    """
    from .formulations.highs import CONFIRM, PersistentHighs
    from .results import SolveStatus

    t0 = time.perf_counter()
    _require_hardmax(unc)
    inst = unc.nominal
    n = _check_counts(inst, counts)
    lo, hi = unc.box(fraction)
    if fraction < 1.0:  # decode and re-check inside the shrunk box
        unc = UncertainInstance(nominal=inst, lower=lo, upper=hi, source=unc.source)
    if inst.platforms == 1:  # alone: the best own scores against the worst rival scores (Lemma 4)
        j = int(np.flatnonzero(n)[0])
        S = np.array(lo)
        S[j] = hi[j]
        try:
            unc.with_scores(S)
        except InstanceError:  # a near-tie among the bounds: the extreme matrix is no valid instance
            return _possible_answer(unc, n, [], 0, 0, 0, t0, proven_none=False)
        return _possible_answer(unc, n, [S], 0, 0, 0, t0, proven_none=True)
    if _best_case_excludes(inst, lo, hi, n):
        return _possible_answer(unc, n, [], 0, 0, 0, t0, proven_none=True)
    options = [_options(inst, lo, hi, n, t) for t in range(inst.n_types)]
    sizes = (sum(len(o) for o in options), sum(len(o) for o in options), int((n > 0).sum()) * (inst.n_models - 1))
    candidates = []
    relax = build_possible_equilibrium(inst, options, n, restrict=False)
    out = PersistentHighs().solve(relax, time_limit)
    if out.status == SolveStatus.INFEASIBLE:  # a "none" must be reproduced (formulations/highs.py)
        second = build_possible_equilibrium(inst, options, n, restrict=False)
        again = PersistentHighs(CONFIRM, name="confirm").solve(second, time_limit)
        if again.status == SolveStatus.INFEASIBLE:
            return _possible_answer(unc, n, [], *sizes, t0, proven_none=True)
        if again.has_solution:
            candidates += _decodings(unc, options, n, second)
    elif out.has_solution:
        candidates += _decodings(unc, options, n, relax)
    found = _first_equilibrium(unc, n, candidates)
    for rhs in (-POSSIBLE_SLACK, 0.0):
        if found is not None:
            break
        strict = build_possible_equilibrium(inst, options, n, restrict=True, rhs=rhs)
        res = PersistentHighs().solve(strict, time_limit)
        if res.has_solution:
            found = _first_equilibrium(unc, n, _decodings(unc, options, n, strict))
    return _possible_answer(unc, n, [] if found is None else [found], *sizes, t0, proven_none=False)


def _best_case_excludes(inst: Instance, lo, hi, counts) -> bool:
    """A quick exact sufficient condition for "impossible" (formulations/robust.md, Lemma 6): some
    deviation j -> k gains more than EQ_TOL even at its best case over the box, the sum over types
    of per-type infima, each minus the per-type worst case of the reverse term (Lemma 3's sweep)."""
    score_share = inst.utility == "score_share"
    for j in np.flatnonzero(counts > 0):
        opp = _opponents(counts, int(j)).tolist()
        U = [q for q in range(inst.n_models) if opp[q] > 0]
        if not U:
            continue
        for k in range(inst.n_models):
            if k == j:
                continue
            best = -math.fsum(
                _type_worst_case(lo[:, t].tolist(), hi[:, t].tolist(), opp, U, k, int(j), float(inst.masses[t]), score_share).value
                for t in range(inst.n_types)
            )
            if best > EQ_TOL:
                return True
    return False


def _first_equilibrium(unc: UncertainInstance, counts, candidates) -> np.ndarray | None:
    for S in candidates:
        if np.any(S < unc.lower) or np.any(S > unc.upper):
            continue
        try:
            w = unc.with_scores(S, name=f"{unc.nominal.name}-possible")
        except InstanceError:
            continue
        if game.is_equilibrium(w, counts):
            return S
    return None


def _possible_answer(unc, n, candidates, options, binaries, rows, t0, proven_none) -> PossibleResult:
    found = _first_equilibrium(unc, n, candidates) if candidates else None
    if found is not None:
        status = PossibleStatus.POSSIBLE
    elif proven_none:
        status = PossibleStatus.IMPOSSIBLE
    else:
        status = PossibleStatus.UNKNOWN
    return PossibleResult(tuple(int(c) for c in n), status, found, options, binaries, rows, time.perf_counter() - t0)


@dataclass(frozen=True)
class MarketPossibleResult:
    """Is "no pure equilibrium" robust over the box? ``status`` (:class:`~milp_market.results.MarketPossibleStatus`):
    ``fragile`` (``witness`` is a
    matrix of the box under which ``equilibrium`` is a pure equilibrium, re-checked), ``robust``
    (no profile is a possible equilibrium: every one proven impossible), ``unknown`` (some profile
    undecided, or the profile limit reached).

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> r = possible_market_equilibrium(make_uncertain(nominal))
    >>> str(r.status), r.equilibrium, r.profiles_checked, r.profiles_total, r.undecided
    ('fragile', (1, 1), 1, 3, 0)
    >>> r.to_dict(nominal)["witness"]
    {'A': [1.0, 0.0], 'B': [0.0, 1.0]}
    """

    status: MarketPossibleStatus
    equilibrium: tuple[int, ...] | None
    witness: np.ndarray | None
    profiles_checked: int
    profiles_total: int
    undecided: int
    largest_milp: tuple[int, int]  # (binaries, deviation rows)
    seconds: float

    def to_dict(self, inst: Instance) -> dict:
        return {
            "status": self.status,
            "equilibrium": None if self.equilibrium is None else inst.counts_dict(self.equilibrium),
            "witness": None
            if self.witness is None
            else {inst.model_names[i]: [float(x) for x in row] for i, row in enumerate(self.witness)},
            "profiles_checked": self.profiles_checked,
            "profiles_total": self.profiles_total,
            "undecided": self.undecided,
            "largest_milp": {"binaries": self.largest_milp[0], "deviation_rows": self.largest_milp[1]},
            "seconds": round(self.seconds, 4),
        }


def possible_market_equilibrium(
    unc: UncertainInstance, fraction: float = 1.0, max_profiles: int | None = None, time_limit: float | None = None
) -> MarketPossibleResult:
    """Does some matrix of the box (shrunk to ``fraction``) admit a pure equilibrium? Asks
    :func:`possible_equilibrium` of every count vector (C(M+N-1, N) of them), the profiles with the
    smallest nominal regret first, and stops at the first witness (formulations/robust.md,
    "Possible equilibria").

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2)
    >>> possible_market_equilibrium(make_uncertain(nominal)).status
    <MarketPossibleStatus.FRAGILE: 'fragile'>
    """
    t0 = time.perf_counter()
    _require_hardmax(unc)
    inst = unc.nominal
    M, N = inst.n_models, inst.platforms
    profs = [np.bincount(c, minlength=M) for c in itertools.combinations_with_replacement(range(M), N)]
    profs.sort(key=lambda n: game.max_regret(inst, n))
    total = len(profs)
    undecided = checked = 0
    largest = (0, 0)
    for n in profs:
        if max_profiles is not None and checked >= max_profiles:
            break
        r = possible_equilibrium(unc, n, fraction, time_limit)
        checked += 1
        largest = max(largest, (r.binaries, r.rows))
        if r.status is PossibleStatus.POSSIBLE:
            return MarketPossibleResult(MarketPossibleStatus.FRAGILE, r.counts, r.witness, checked, total, undecided, largest, time.perf_counter() - t0)
        undecided += r.status is PossibleStatus.UNKNOWN
    status = MarketPossibleStatus.ROBUST if (checked == total and undecided == 0) else MarketPossibleStatus.UNKNOWN
    return MarketPossibleResult(status, None, None, checked, total, undecided, largest, time.perf_counter() - t0)
