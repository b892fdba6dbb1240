"""The entrant as data: the instance's ``"entrant"`` section, parsed and validated once.

Holds :class:`Entrant` (the new model's name, feasible set, objective and selection),
:class:`FeasibleSet` (bounds, budget rows, optional mixture), the vocabularies ``OBJECTIVES`` and
``SELECTIONS``, :func:`parse_entrant` (one-line :class:`~milp_market.instance.InstanceError` for
every bad field), :func:`check_feasible` (exact membership of a profile) and
:func:`load_entry_instance`. It implements the input side of formulations/entry.md ("The
question": the feasible set F, the objectives and the selections); the README's "Strategic entry"
section documents the JSON.

The loader (:func:`milp_market.instance.instance_from_dict`) calls :func:`parse_entrant` when an
instance has an ``"entrant"`` section, so a loaded instance carries its typed entrant as
``Instance.entrant`` and a bad section fails at load time. The section is accepted under either
choice rule (a softmax instance with an entrant section still loads and solves); ``entry`` itself
is hardmax only and refuses softmax in ``entry.solve_entry``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .instance import Instance, InstanceError, _number, _score_row, load_instance, score_scale_error

OBJECTIVES = ("adoption", "mass", "score_share")
SELECTIONS = ("optimistic", "pessimistic")
#: Feasibility tolerance of the exact re-check of a profile against the feasible set.
FEAS_TOL = 1e-9


@dataclass(frozen=True)
class FeasibleSet:
    """The provider's feasible score profiles: bounds, budget rows, optional mixture (convex hull).

    A profile s (one score per user type) is feasible when ``lower <= s <= upper``,
    ``weights @ s <= limit`` for every budget row, and, with a mixture, s is a convex combination
    of its rows (:func:`check_feasible`).

    Examples
    --------
    >>> from milp_market import load_instance
    >>> fs = load_instance("instances/entry_two_types.json").entrant.feasible
    >>> fs.lower.tolist(), fs.upper.tolist(), [(w.tolist(), limit) for w, limit in fs.budgets], fs.mixture
    ([0.0, 0.0], [1.0, 1.0], [([1.0, 1.0], 1.2)], None)
    """

    lower: np.ndarray  # (K,)
    upper: np.ndarray  # (K,)
    budgets: tuple  # ((weights (K,), limit), ...)
    mixture: np.ndarray | None  # (B, K) base profiles, or None


@dataclass(frozen=True)
class Entrant:
    """The validated ``"entrant"`` section: the new model's name, feasible set, objective, selection.

    Attributes
    ----------
    name : str
        The new model's name (not an incumbent's).
    feasible : FeasibleSet
    objective : str
        One of ``OBJECTIVES``: platforms adopting the new model (``adoption``), the user mass they
        serve (``mass``) or their score-weighted share (``score_share``).
    selection : str
        One of ``SELECTIONS``: which post-entry equilibrium counts (best or worst for the provider).

    Made by :func:`parse_entrant`; a loaded instance carries it as ``Instance.entrant``.

    Examples
    --------
    >>> from milp_market import load_instance
    >>> ent = load_instance("instances/entry_two_types.json").entrant
    >>> ent.name, ent.objective, ent.selection
    ('New', 'adoption', 'pessimistic')
    """

    name: str
    feasible: FeasibleSet
    objective: str
    selection: str


def parse_entrant(inst: Instance, where: str | None = None) -> Entrant:
    """Validate ``inst.extra["entrant"]`` (README, "Strategic entry").

    Parameters
    ----------
    inst : Instance
        The incumbent market; its ``extra["entrant"]`` holds the raw section.
    where : str, optional
        The source named in error messages (the file path); defaults to the instance's name.

    Returns
    -------
    Entrant
        Budget rows are scaled to a largest weight of 1 (the same constraint).

    Raises
    ------
    InstanceError
        One line naming the field, for a missing or malformed section. The choice rule is not
        checked here: ``entry`` refuses softmax in ``entry.solve_entry``.

    Examples
    --------
    >>> from milp_market.instance import load_instance
    >>> ent = parse_entrant(load_instance("instances/entry_two_types.json"))
    >>> ent.name, ent.objective, ent.selection, ent.feasible.upper.tolist()
    ('New', 'adoption', 'pessimistic', [1.0, 1.0])
    """
    where = where or inst.name
    raw = inst.extra.get("entrant")
    if raw is None:
        raise InstanceError(f"{where}: no \"entrant\" section; add one (README, \"Strategic entry\")")
    if not isinstance(raw, dict):
        raise InstanceError(f"{where}: entrant must be an object with \"name\" and \"feasible\"")
    unknown = sorted(set(raw) - {"name", "feasible", "objective", "selection", "description"})
    if unknown:
        raise InstanceError(f"{where}: entrant: unknown key {unknown[0]!r}; known: name, feasible, objective, selection")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise InstanceError(f"{where}: entrant.name must be a non-empty string")
    if name in inst.model_names:
        raise InstanceError(f"{where}: entrant.name {name!r} is already an incumbent model; pick a new name")
    objective = raw.get("objective", "adoption")
    if objective not in OBJECTIVES:
        raise InstanceError(f"{where}: entrant.objective must be one of {', '.join(OBJECTIVES)} (got {objective!r})")
    selection = raw.get("selection", "optimistic")
    if selection not in SELECTIONS:
        raise InstanceError(f"{where}: entrant.selection must be one of {', '.join(SELECTIONS)} (got {selection!r})")
    feas = raw.get("feasible", {})
    if not isinstance(feas, dict):
        raise InstanceError(f"{where}: entrant.feasible must be an object (lower, upper, budgets, mixture)")
    unknown = sorted(set(feas) - {"lower", "upper", "budgets", "mixture"})
    if unknown:
        raise InstanceError(f"{where}: entrant.feasible: unknown key {unknown[0]!r}; known: lower, upper, budgets, mixture")
    K, tn = inst.n_types, inst.type_names
    lower = np.zeros(K)
    upper = np.full(K, max(1.0, float(inst.scores.max())))
    if "lower" in feas:
        lower = _vector(feas["lower"], tn, f"{where}: entrant.feasible.lower")
    if "upper" in feas:
        upper = _vector(feas["upper"], tn, f"{where}: entrant.feasible.upper")
    if np.any(lower < 0):
        raise InstanceError(f"{where}: entrant.feasible.lower must be >= 0 (scores are non-negative)")
    if (why := score_scale_error(np.vstack([inst.scores, upper[None, :]]), inst.platforms)) is not None:
        raise InstanceError(f"{where}: entrant.feasible.upper: {why}")
    bad = np.flatnonzero(lower > upper)
    if bad.size:
        t = int(bad[0])
        raise InstanceError(f"{where}: entrant.feasible: lower {lower[t]} > upper {upper[t]} for user type {tn[t]!r}")
    budgets = []
    raw_b = feas.get("budgets", [])
    if not isinstance(raw_b, list):
        raise InstanceError(f"{where}: entrant.feasible.budgets must be a list of {{\"weights\", \"limit\"}}")
    for i, b in enumerate(raw_b):
        what = f"{where}: entrant.feasible.budgets[{i}]"
        if not isinstance(b, dict) or set(b) != {"weights", "limit"}:
            raise InstanceError(f"{what} must be an object with exactly \"weights\" and \"limit\"")
        wts = _vector(b["weights"], tn, f"{what}.weights", allow_negative=True)
        limit = _number(b["limit"], f"{what}.limit")
        if not math.isfinite(limit):
            raise InstanceError(f"{what}.limit must be finite")
        # The same row scaled to a largest weight of 1: an equivalent constraint, and one the
        # MILP can hold to its tolerances (weights of 5.8e16 made HiGHS's answer fail the
        # exact re-check).
        scale = float(np.abs(wts).max())
        if scale > 0:
            wts, limit = wts / scale, limit / scale
        budgets.append((wts, limit))
    mixture = None
    if "mixture" in feas:
        raw_m = feas["mixture"]
        if not isinstance(raw_m, list) or not raw_m:
            raise InstanceError(f"{where}: entrant.feasible.mixture must be a non-empty list of score profiles")
        mixture = np.array([_vector(r, tn, f"{where}: entrant.feasible.mixture[{i}]") for i, r in enumerate(raw_m)])
    return Entrant(name, FeasibleSet(lower, upper, tuple(budgets), mixture), objective, selection)


def _vector(value, type_names, what, allow_negative=False) -> np.ndarray:
    v = np.array(_score_row(value, type_names, what), dtype=float)
    if not np.all(np.isfinite(v)):
        raise InstanceError(f"{what}: values must be finite numbers")
    if not allow_negative and np.any(v < 0):
        raise InstanceError(f"{what}: values must be >= 0")
    return v


def load_entry_instance(path) -> tuple[Instance, Entrant]:
    """An instance file with an ``"entrant"`` section, as ``(instance, instance.entrant)``.

    Raises
    ------
    InstanceError
        One line: the file is not a valid instance, its entrant section is malformed (both raised
        by the loader), or it has no entrant section.

    Examples
    --------
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> inst.model_names, ent.name, ent is inst.entrant
    (('A', 'B'), 'New', True)
    >>> load_entry_instance("instances/homogenized.json")
    Traceback (most recent call last):
    ...
    milp_market.instance.InstanceError: instances/homogenized.json: no "entrant" section; add one (README, "Strategic entry")
    """
    inst = load_instance(path)
    if inst.entrant is None:
        raise InstanceError(f"{path}: no \"entrant\" section; add one (README, \"Strategic entry\")")
    return inst, inst.entrant


def check_feasible(entrant: Entrant, s, lam=None, tol: float = FEAS_TOL) -> bool:
    """Is s in the feasible set (to ``tol``)? With a mixture, ``lam`` must certify it.

    Parameters
    ----------
    entrant : Entrant
    s : array_like, (K,)
        The new model's scores, in user-type order.
    lam : array_like, optional
        Mixture weights (non-negative, summing to 1) with ``lam @ mixture == s``; required when
        the feasible set has a mixture.
    tol : float
        Absolute tolerance of every comparison.

    Returns
    -------
    bool

    Examples
    --------
    The budget of ``instances/entry_two_types.json`` is s_a + s_b <= 1.2:

    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> check_feasible(ent, [0.9, 0.3]), check_feasible(ent, [0.9, 0.4]), check_feasible(ent, [1.1, 0.0])
    (True, False, False)
    """
    fs = entrant.feasible
    s = np.asarray(s, dtype=float)
    if np.any(s < fs.lower - tol) or np.any(s > fs.upper + tol):
        return False
    if any(float(w @ s) > limit + tol for w, limit in fs.budgets):
        return False
    if fs.mixture is not None:
        if lam is None:
            return False
        lam = np.asarray(lam, dtype=float)
        if np.any(lam < -tol) or abs(lam.sum() - 1) > tol or np.abs(lam @ fs.mixture - s).max() > tol:
            return False
    return True
