"""Instances: the data of a market game, parsed and validated once at the boundary.

An :class:`Instance` is immutable and holds numpy arrays; every later module trusts it.
Errors raise :class:`InstanceError` with a one-line message naming the source, the field
and what to fix (the CLI prints it and exits with status 2).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

#: Two scores for the same user type are tied when they differ by at most this much.
TIE_TOL = 1e-9

CHOICE_RULES = ("hardmax", "softmax")
UTILITIES = ("score_share", "mass_share")


class InstanceError(ValueError):
    """An instance file or table is malformed; the message says where and how to fix it."""


@dataclass(frozen=True)
class Instance:
    """A market game: M models, K user types with masses, N identical platforms.

    Attributes
    ----------
    scores : (M, K) array, ``scores[j, t]`` = quality of model j for user type t (>= 0).
    masses : (K,) array of positive user-type masses, normalized to sum 1.
    platforms : N, the number of platforms (each picks one model).
    utility : ``"score_share"`` (U_i = sum_t pi_t p_i(t) S[f_i, t]) or ``"mass_share"``.
    choice : ``"hardmax"`` (ties within ``TIE_TOL`` split equally) or ``"softmax"``.
    beta : rationality of softmax choice (unused under hardmax).
    """

    name: str
    model_names: tuple[str, ...]
    type_names: tuple[str, ...]
    scores: np.ndarray
    masses: np.ndarray
    platforms: int
    utility: str = "score_share"
    choice: str = "hardmax"
    beta: float = 1.0
    description: str = ""
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.scores.setflags(write=False)
        self.masses.setflags(write=False)

    @cached_property
    def levels(self) -> np.ndarray:
        """(M, K) int: the tie class of model j for user type t, 0 = lowest.

        Scores of one type are sorted; a gap larger than ``TIE_TOL`` between consecutive scores
        starts a new class (the rule validation checks, so classes are unambiguous). Every "tied",
        "above" and "below" of the game's semantics is a comparison of these integers, so all
        modules agree even for gaps of TIE_TOL to within rounding.
        """
        S = self.scores
        lev = np.zeros(S.shape, dtype=np.int64)
        for t in range(S.shape[1]):
            order = np.argsort(S[:, t], kind="stable")
            lev[order, t] = np.concatenate([[0], np.cumsum(np.diff(S[order, t]) > TIE_TOL)])
        lev.setflags(write=False)
        return lev

    @property
    def n_models(self) -> int:
        return self.scores.shape[0]

    @property
    def n_types(self) -> int:
        return self.scores.shape[1]

    def counts_dict(self, counts) -> dict[str, int]:
        """Count vector -> {model name: platforms}, models in use only, pool order."""
        return {self.model_names[j]: int(c) for j, c in enumerate(counts) if c > 0}

    def to_json_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "user_types": [{"name": t, "mass": float(m)} for t, m in zip(self.type_names, self.masses)],
            "models": [{"name": j, "scores": [float(s) for s in row]} for j, row in zip(self.model_names, self.scores)],
            "platforms": self.platforms,
            "choice": {"rule": self.choice, **({"beta": self.beta} if self.choice == "softmax" else {})},
            "utility": self.utility,
            **self.extra,
        }


def _normalized(pi: np.ndarray) -> np.ndarray:
    """pi / sum(pi) without overflow: scaled by the largest mass first (masses of 1e308 summed
    to infinity and every welfare printed as 0)."""
    pi = pi / pi.max()
    return pi / pi.sum()


def make_instance(
    scores,
    masses,
    platforms: int,
    *,
    name: str = "instance",
    model_names=None,
    type_names=None,
    utility: str = "score_share",
    choice: str = "hardmax",
    beta: float = 1.0,
    description: str = "",
    source: str = "<arrays>",
    extra: dict | None = None,
) -> Instance:
    """Validate arrays and build an :class:`Instance` (masses are normalized to sum 1)."""
    where = source
    try:
        S = np.array(scores, dtype=float)
        pi = np.array(masses, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InstanceError(f"{where}: scores and masses must be numbers ({exc})") from None
    if S.ndim != 2 or S.shape[0] == 0:
        raise InstanceError(f"{where}: models: the pool is empty; give at least one model")
    M, K = S.shape
    if K == 0 or pi.shape != (K,):
        raise InstanceError(f"{where}: user_types: need one mass per user type ({K} score columns, {pi.size} masses)")
    if not np.all(np.isfinite(S)):
        raise InstanceError(f"{where}: models: scores must be finite numbers (found NaN or infinity)")
    if np.any(S < 0):
        j, t = map(int, np.argwhere(S < 0)[0])
        raise InstanceError(f"{where}: models[{j}].scores[{t}] = {S[j, t]} is negative; scores must be >= 0")
    if not np.all(np.isfinite(pi)) or np.any(pi <= 0):
        raise InstanceError(f"{where}: user_types: every mass must be a positive finite number")
    if isinstance(platforms, bool) or not isinstance(platforms, (int, np.integer)) or platforms < 1:
        raise InstanceError(f"{where}: platforms must be an integer >= 1 (got {platforms!r})")
    model_names = tuple(model_names) if model_names is not None else tuple(f"m{j}" for j in range(M))
    type_names = tuple(type_names) if type_names is not None else tuple(f"t{t}" for t in range(K))
    _check_names(model_names, M, "models", where)
    _check_names(type_names, K, "user_types", where)
    if utility not in UTILITIES:
        raise InstanceError(f"{where}: utility must be one of {', '.join(UTILITIES)} (got {utility!r})")
    if choice not in CHOICE_RULES:
        raise InstanceError(f"{where}: choice.rule must be one of {', '.join(CHOICE_RULES)} (got {choice!r})")
    if choice == "softmax" and (not math.isfinite(beta) or beta < 0):
        raise InstanceError(f"{where}: choice.beta must be a finite number >= 0 (got {beta!r})")
    if choice == "hardmax":
        _check_unambiguous_ties(S, type_names, where)
    return Instance(
        name=str(name),
        model_names=model_names,
        type_names=type_names,
        scores=S,
        masses=_normalized(pi),
        platforms=int(platforms),
        utility=utility,
        choice=choice,
        beta=float(beta),
        description=description,
        extra=dict(extra or {}),
    )


def _check_names(names, n, field_name, where):
    if len(names) != n:
        raise InstanceError(f"{where}: {field_name}: {len(names)} names for {n} entries")
    for nm in names:
        if not isinstance(nm, str) or not nm:
            raise InstanceError(f"{where}: {field_name}: every entry needs a non-empty string name (got {nm!r})")
    seen = set()
    for nm in names:
        if nm in seen:
            raise InstanceError(f"{where}: {field_name}: duplicate name {nm!r}; names must be unique")
        seen.add(nm)


def _check_unambiguous_ties(S: np.ndarray, type_names, where) -> None:
    # Tie tolerance is not transitive: a chain a ~ b ~ c with |a - c| > TIE_TOL would make
    # "tied" depend on which models are in use. Such inputs are rejected so that every user
    # type's scores fall into well-separated tie classes (the "levels" of game.py).
    for t in range(S.shape[1]):
        col = np.sort(S[:, t])
        gaps = np.diff(col)
        start = 0
        for i, g in enumerate(gaps, start=1):
            if g > TIE_TOL:
                start = i
            elif col[i] - col[start] > TIE_TOL:
                raise InstanceError(
                    f"{where}: user type {type_names[t]!r}: scores {col[start]!r} .. {col[i]!r} form a chain of "
                    f"near-ties wider than {TIE_TOL}; round these scores so that ties are unambiguous"
                )


# ----------------------------------------------------------------------------- files


def load_instance(path) -> Instance:
    """Read an instance JSON file (see README, "Instance format")."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise InstanceError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstanceError(f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    return instance_from_dict(data, source=str(path))


def instance_from_dict(data: Any, source: str = "<dict>") -> Instance:
    where = source
    if not isinstance(data, dict):
        raise InstanceError(f"{where}: the top level must be a JSON object")
    for key in ("user_types", "models", "platforms"):
        if key not in data:
            raise InstanceError(f"{where}: missing key {key!r}")
    types = data["user_types"]
    if not isinstance(types, list) or not types:
        raise InstanceError(f"{where}: user_types must be a non-empty list of {{\"name\", \"mass\"}}")
    type_names, masses = [], []
    for i, ut in enumerate(types):
        if not isinstance(ut, dict) or "name" not in ut or "mass" not in ut:
            raise InstanceError(f"{where}: user_types[{i}] must be an object with \"name\" and \"mass\"")
        type_names.append(ut["name"])
        masses.append(_number(ut["mass"], f"{where}: user_types[{i}].mass"))
    _check_names(type_names, len(type_names), "user_types", where)
    models = data["models"]
    if not isinstance(models, list) or not models:
        raise InstanceError(f"{where}: models: the pool is empty; give at least one model")
    model_names, rows = [], []
    for j, mdl in enumerate(models):
        if not isinstance(mdl, dict) or "name" not in mdl or "scores" not in mdl:
            raise InstanceError(f"{where}: models[{j}] must be an object with \"name\" and \"scores\"")
        model_names.append(mdl["name"])
        rows.append(_score_row(mdl["scores"], type_names, f"{where}: models[{j}] ({mdl['name']!r}).scores"))
    choice = data.get("choice", {"rule": "hardmax"})
    if isinstance(choice, str):
        choice = {"rule": choice}
    if not isinstance(choice, dict) or "rule" not in choice:
        raise InstanceError(f"{where}: choice must be an object like {{\"rule\": \"hardmax\"}}")
    beta = choice.get("beta", 1.0)
    if choice["rule"] == "softmax":
        if "beta" not in choice:
            raise InstanceError(f"{where}: choice.beta is required for the softmax rule")
        beta = _number(beta, f"{where}: choice.beta")
    platforms = data["platforms"]
    extra = {k: data[k] for k in ("entrant",) if k in data}
    return make_instance(
        rows,
        masses,
        platforms,
        name=data.get("name", Path(source).stem),
        model_names=model_names,
        type_names=type_names,
        utility=data.get("utility", "score_share"),
        choice=choice["rule"],
        beta=float(beta),
        description=data.get("description", ""),
        source=where,
        extra=extra,
    )


def _number(value, what) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InstanceError(f"{what} must be a number (got {value!r})")
    return float(value)


def _score_row(scores, type_names, what) -> list[float]:
    K = len(type_names)
    if isinstance(scores, list):
        if len(scores) != K:
            raise InstanceError(f"{what}: {len(scores)} scores for {K} user types; give one per user type, in order")
        return [_number(s, f"{what}[{t}]") for t, s in enumerate(scores)]
    if isinstance(scores, dict):
        unknown = [k for k in scores if k not in type_names]
        if unknown:
            raise InstanceError(f"{what}: unknown user type {unknown[0]!r}; known: {', '.join(type_names)}")
        missing = [t for t in type_names if t not in scores]
        if missing:
            raise InstanceError(f"{what}: no score for user type {missing[0]!r}")
        return [_number(scores[t], f"{what}[{t!r}]") for t in type_names]
    raise InstanceError(f"{what} must be a list (user_types order) or an object keyed by user-type name")


def save_instance(instance: Instance, path) -> None:
    Path(path).write_text(json.dumps(instance.to_json_dict(), indent=2) + "\n")


def load_csv_instance(scores_csv, masses_csv=None, *, mass_column=None, platforms: int = 2, name=None) -> Instance:
    """Import a score table: rows are models (first column = model name), columns are user types.

    Masses come from ``masses_csv`` (columns ``user_type,mass``), or from a row of the score table
    named ``mass_column`` (e.g. ``"mass"``), or are uniform.
    """
    import pandas as pd

    where = str(scores_csv)
    try:
        table = pd.read_csv(scores_csv, index_col=0)
    except Exception as exc:  # pandas raises many types for unreadable files
        raise InstanceError(f"{where}: cannot read CSV ({exc})") from None
    if mass_column is not None:
        if mass_column not in table.index:
            raise InstanceError(f"{where}: no row named {mass_column!r} holding the masses")
        masses = table.loc[mass_column].to_numpy(dtype=float)
        table = table.drop(index=mass_column)
    elif masses_csv is not None:
        try:
            mt = pd.read_csv(masses_csv)
        except Exception as exc:
            raise InstanceError(f"{masses_csv}: cannot read CSV ({exc})") from None
        if list(mt.columns[:2]) != ["user_type", "mass"]:
            raise InstanceError(f"{masses_csv}: expected columns user_type,mass")
        lookup = dict(zip(mt["user_type"].astype(str), mt["mass"]))
        missing = [c for c in table.columns if c not in lookup]
        if missing:
            raise InstanceError(f"{masses_csv}: no mass for user type {missing[0]!r}")
        masses = np.array([lookup[c] for c in table.columns], dtype=float)
    else:
        masses = np.ones(table.shape[1])
    try:
        S = table.to_numpy(dtype=float)
    except ValueError:
        raise InstanceError(f"{where}: every score cell must be a number") from None
    return make_instance(
        S,
        masses,
        platforms,
        name=name or Path(where).stem,
        model_names=[str(i) for i in table.index],
        type_names=[str(c) for c in table.columns],
        source=where,
    )
