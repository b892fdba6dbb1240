"""Instances: the data of a market game, parsed and validated once at the boundary.

An :class:`Instance` is immutable and holds numpy arrays; every later module trusts it.
Errors raise :class:`InstanceError` with a one-line message naming the source, the field
and what to fix (the CLI prints it and exits with status 2).
"""

from __future__ import annotations

import difflib
import json
import math
import reprlib
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .entrant import Entrant

#: Two scores for the same user type are tied when they differ by at most this much.
TIE_TOL = 1e-9

#: The largest number of platforms N an instance may have. Not a property of the game: a limit of this
#: tool, checked when an instance is built, before any model. The search, the enumeration and the MILP
#: build tables and bounds that grow with N, and the time limit is checked only between their steps:
#: the 6-model CIFAR-10 market takes 10-15 s at N = 1,000 and does not return within a minute at
#: N = 10,000 even with a 20 s time limit. Every shipped instance has N <= 4, the benchmarks N <= 20.
MAX_PLATFORMS = 1000

CHOICE_RULES = ("hardmax", "softmax")
UTILITIES = ("score_share", "mass_share")


class InstanceError(ValueError):
    """An instance file or table is malformed; the message says where and how to fix it.

    A subclass of :class:`ValueError`; the message is one line: source, field, what to fix.

    Examples
    --------
    >>> try:
    ...     load_instance("no/such/file.json")
    ... except InstanceError as exc:
    ...     print(exc)
    no/such/file.json: cannot read file (No such file or directory)
    """


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxdict = 2, 40, 40, 4, 4


def _show(value) -> str:
    """A short one-line repr of a bad value for an error message (plain numbers, no numpy types)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return repr(value)  # reprlib would round
    return _REPR.repr(value)


def platforms_error(value) -> str | None:
    """Why ``value`` is not a valid number of platforms N (None when it is).

    Parameters
    ----------
    value : object
        A candidate N: valid when an integer (not a bool) from 1 to :data:`MAX_PLATFORMS`.

    Returns
    -------
    str or None
        A one-line reason, or None for a valid N.

    Examples
    --------
    >>> platforms_error(3) is None
    True
    >>> platforms_error(0)
    'platforms must be an integer >= 1 and <= 1,000 (got 0)'
    >>> platforms_error(True)
    'platforms must be an integer >= 1 and <= 1,000 (got True)'
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        return f"platforms must be an integer >= 1 and <= {MAX_PLATFORMS:,} (got {_show(value)})"
    if value > MAX_PLATFORMS:
        return (
            f"platforms must be an integer >= 1 and <= {MAX_PLATFORMS:,} (got {_show(value)}); {MAX_PLATFORMS:,} is this "
            f"tool's limit (instance.MAX_PLATFORMS; README, \"Instance format\"): solve time grows with N"
        )
    return None


@dataclass(frozen=True, eq=False)
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
    entrant : the typed ``"entrant"`` section (:class:`milp_market.entrant.Entrant`), parsed and
        validated by the loader (:func:`instance_from_dict`); None when there is none. Not part
        of equality or hashing (like ``extra``, which keeps the raw section for saving).

    Build one with :func:`make_instance`, :meth:`Instance.from_dataframe`, :func:`load_instance`
    or :func:`load_csv_instance` (they validate); the arrays are read-only.

    Examples
    --------
    >>> inst = make_instance([[0.9, 0.2], [0.4, 0.8]], [1, 1], 2, model_names=["A", "B"])
    >>> inst.n_models, inst.n_types, inst.platforms, inst.masses.tolist()
    (2, 2, 2, [0.5, 0.5])
    >>> inst.counts_dict([2, 0])
    {'A': 2}
    >>> inst.scores.flags.writeable
    False
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
    entrant: Entrant | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.scores.setflags(write=False)
        self.masses.setflags(write=False)

    def _key(self) -> tuple:
        return (
            self.name, self.model_names, self.type_names, self.scores.shape, self.scores.tobytes(),
            self.masses.tobytes(), self.platforms, self.utility, self.choice, self.beta, self.description,
        )

    def __eq__(self, other) -> bool:
        """Same game and data, compared exactly (``extra``, e.g. an entrant section, aside).

        Examples
        --------
        >>> a = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2)
        >>> a == make_instance([[1.0, 0.0], [0.0, 1.0]], [1, 1], 2), a == make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 3)
        (True, False)
        >>> len({a, make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2)})
        1
        """
        if not isinstance(other, Instance):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @classmethod
    def from_dataframe(
        cls, scores, masses=None, platforms: int = 2, choice="hardmax", utility: str = "score_share", name=None,
        description: str = "",
    ) -> "Instance":
        """An instance from a pandas DataFrame: models as the index, user types as columns.

        Parameters
        ----------
        scores : pandas.DataFrame
            ``scores.loc[model, user_type]`` >= 0; index and columns are the names.
        masses : pandas.Series, dict, sequence or None
            Keyed like the columns (a Series or dict) or in column order (a sequence); None
            for uniform masses. Normalized to sum 1.
        platforms : int
            N, the number of platforms.
        choice : ``"hardmax"``, ``"softmax"`` or ``{"rule": "softmax", "beta": b}``.
        utility : ``"score_share"`` or ``"mass_share"``.
        name : str, optional
            Defaults to the DataFrame's ``name`` attribute, else ``"dataframe"``.

        The same validation and one-line :class:`InstanceError` messages as the JSON loader.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"code": [0.9, 0.4], "chat": [0.5, 0.8]}, index=["a", "b"])
        >>> inst = Instance.from_dataframe(df, masses={"code": 3, "chat": 1}, platforms=2)
        >>> inst.model_names, inst.type_names, inst.masses.tolist()
        (('a', 'b'), ('code', 'chat'), [0.75, 0.25])
        >>> Instance.from_dataframe(df, choice={"rule": "softmax", "beta": 5}).beta
        5.0
        """
        import pandas as pd

        where = f"DataFrame {name!r}" if name else "DataFrame"
        if not isinstance(scores, pd.DataFrame):
            raise InstanceError(f"{where}: scores must be a pandas DataFrame (models as the index, user types as columns)")
        models = [str(x) for x in scores.index]
        types = [str(x) for x in scores.columns]
        try:
            S = scores.to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise InstanceError(f"{where}: every score must be a number ({exc})") from None
        if masses is None:
            pi = np.ones(len(types))
        elif isinstance(masses, (pd.Series, dict)):
            m = dict(masses.items()) if isinstance(masses, pd.Series) else dict(masses)
            m = {str(k): v for k, v in m.items()}
            missing = [t for t in types if t not in m]
            extra = [k for k in m if k not in types]
            if missing or extra:
                raise InstanceError(
                    f"{where}: masses must be keyed like the columns"
                    + (f"; no mass for {missing[0]!r}" if missing else f"; unknown user type {extra[0]!r}")
                )
            pi = [_number(_py(m[t]), f"{where}: mass of {t!r}") for t in types]
        else:
            pi = [_number(_py(v), f"{where}: masses[{i}]") for i, v in enumerate(masses)]
        rule, beta = choice, 1.0
        if isinstance(choice, dict):
            rule = choice.get("rule")
            if "beta" in choice:
                beta = _number(_py(choice["beta"]), f"{where}: choice.beta")
        if not isinstance(rule, str):
            raise InstanceError(f"{where}: choice must be 'hardmax', 'softmax' or {{'rule': ..., 'beta': ...}}")
        label = name if name is not None else (getattr(scores, "name", None) or "dataframe")
        return make_instance(
            S, pi, platforms, model_names=models, type_names=types, name=str(label), utility=utility,
            choice=rule, beta=beta, description=description, source=where,
        )

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
    """Validate arrays and build an :class:`Instance` (masses are normalized to sum 1).

    Examples
    --------
    >>> inst = make_instance([[1.0, 0.0], [0.0, 1.0]], [1, 3], 2, model_names=["a", "b"])
    >>> inst.masses.tolist(), inst.model_names
    ([0.25, 0.75], ('a', 'b'))
    """
    where = source
    try:
        S = np.array(scores, dtype=float)
        pi = np.array(masses, dtype=float)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InstanceError(f"{where}: scores and masses must be finite numbers ({exc})") from None
    if S.ndim != 2 or S.shape[0] == 0:
        raise InstanceError(f"{where}: models: the pool is empty; give at least one model")
    M, K = S.shape
    if K == 0 or pi.shape != (K,):
        raise InstanceError(f"{where}: user_types: need one mass per user type ({K} score columns, {pi.size} masses)")
    if not np.all(np.isfinite(S)):
        raise InstanceError(f"{where}: models: scores must be finite numbers (found NaN or infinity)")
    if np.any(S < 0):
        j, t = map(int, np.argwhere(S < 0)[0])
        raise InstanceError(f"{where}: models[{j}].scores[{t}] = {_show(S[j, t])} is negative; scores must be >= 0")
    if not np.all(np.isfinite(pi)) or np.any(pi <= 0):
        raise InstanceError(f"{where}: user_types: every mass must be a positive finite number")
    if (why := platforms_error(platforms)) is not None:
        raise InstanceError(f"{where}: {why}")
    if (why := score_scale_error(S, int(platforms))) is not None:
        raise InstanceError(f"{where}: {why}")
    model_names = tuple(model_names) if model_names is not None else tuple(f"m{j}" for j in range(M))
    type_names = tuple(type_names) if type_names is not None else tuple(f"t{t}" for t in range(K))
    _check_names(model_names, M, "models", where)
    _check_names(type_names, K, "user_types", where)
    if utility not in UTILITIES:
        raise InstanceError(f"{where}: utility must be one of {', '.join(UTILITIES)} (got {_show(utility)})")
    if choice not in CHOICE_RULES:
        raise InstanceError(f"{where}: choice.rule must be one of {', '.join(CHOICE_RULES)} (got {_show(choice)})")
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.number)) or not math.isfinite(beta) or beta < 0:
        raise InstanceError(f"{where}: choice.beta must be a finite number >= 0 (got {_show(beta)})")
    if choice == "hardmax":
        _check_unambiguous_ties(S, type_names, where)
    with np.errstate(over="ignore"):
        if not np.isfinite(pi.sum()):  # huge masses: scale first so that the sum does not overflow
            pi = pi / pi.max()
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


def score_scale_error(S: np.ndarray, platforms: int) -> str | None:
    """Why scores this large cannot be solved exactly, or None.

    The game's tolerances are absolute: a move must gain more than 1e-9 (``game.EQ_TOL``, in units
    of score x mass, masses summing to 1) and scores closer than ``TIE_TOL`` = 1e-9 tie. The exact
    evaluator adds up at most K + N + 3 such terms, each rounded by up to 2^-53 of the largest
    score, and a gain is the difference of two such sums; once twice that reaches 1e-9, a
    profitable move can vanish in the rounding (scores of 1e308 made a 0.25 gain disappear). Dividing every score by one constant changes no answer beyond
    those tolerances.

    Examples
    --------
    >>> score_scale_error(np.array([[1500.0, 1300.0]]), 10) is None  # Elo-like ratings are fine
    True
    >>> print(score_scale_error(np.array([[1e308, 0.0]]), 2))
    scores up to 1e+308 are too large for the absolute tolerance of 1e-9 (rounding in sums of 7 terms would reach it); divide every score by a constant, e.g. by 1e+308 (under softmax choice, multiply beta by the same constant)
    """
    K = S.shape[1]
    top = float(S.max()) if S.size else 0.0
    terms = K + platforms + 3
    # a gain is the difference of two such sums: twice the rounding of one
    if 2.0 * top * terms * 2.0**-53 < TIE_TOL:
        return None
    return (
        f"scores up to {top:.3g} are too large for the absolute tolerance of 1e-9 (rounding in sums of {terms} "
        f"terms would reach it); divide every score by a constant, e.g. by {top:.3g} (under softmax choice, "
        f"multiply beta by the same constant)"
    )


def _check_names(names, n, field_name, where):
    if len(names) != n:
        raise InstanceError(f"{where}: {field_name}: {len(names)} names for {n} entries")
    for nm in names:
        if not isinstance(nm, str) or not nm:
            raise InstanceError(f"{where}: {field_name}: every entry needs a non-empty string name (got {_show(nm)})")
    seen = set()
    for nm in names:
        if nm in seen:
            raise InstanceError(f"{where}: {field_name}: duplicate name {_show(nm)}; names must be unique")
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
                    f"{where}: user type {type_names[t]!r}: scores {_show(col[start])} .. {_show(col[i])} form a chain of "
                    f"near-ties wider than {TIE_TOL}; round these scores so that ties are unambiguous"
                )


# ----------------------------------------------------------------------------- files


def load_instance(path) -> Instance:
    """Read an instance JSON file (see README, "Instance format").

    Examples
    --------
    >>> inst = load_instance("instances/homogenized.json")
    >>> inst.n_models, inst.platforms, inst.choice
    (2, 3, 'hardmax')
    """
    path = Path(path)
    return instance_from_dict(read_json(path), source=str(path))


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs):
    """json's object hook: a key given twice is an error (json keeps the last one silently, which
    would leave, e.g., a first "platforms" unused without a word)."""
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(f"the key {_show(key)} is given twice in one object; keep one")
        seen[key] = value
    return seen


def read_json(path, expected: str = "an instance needs only a few levels") -> Any:
    """A JSON file's data, with one-line errors (unreadable, not UTF-8, malformed, nested too
    deeply; ``expected`` completes the last message). The one reader of every JSON input.

    Parameters
    ----------
    path : str or pathlib.Path
        The file (UTF-8, a byte-order mark allowed).
    expected : str
        Completes the message when the JSON is nested too deeply.

    Returns
    -------
    object
        The parsed JSON value.

    Raises
    ------
    InstanceError
        The file is unreadable, not UTF-8 or not JSON.

    Examples
    --------
    >>> data = read_json("instances/homogenized.json")
    >>> data["name"], data["platforms"], [m["name"] for m in data["models"]]
    ('homogenized', 3, ['A', 'B'])
    """
    try:
        return json.loads(_read_text(path), object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise InstanceError(f"{path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InstanceError(f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InstanceError(f"{path}: JSON nested too deeply; {expected}") from None


#: The keys of instance JSON (README, "Instance format"). Any other key is an error: a misspelled
#: "utilty" or "choise" would otherwise be ignored and the default game solved in its place.
#: ``synthetic`` is what `milp-market synthetic` records (user positions, spec); ``lower`` and
#: ``upper`` are the score intervals read by `robust` (milp_market/robust.py).
KNOWN_KEYS = ("name", "description", "user_types", "models", "platforms", "choice", "utility", "entrant", "synthetic")
MODEL_KEYS = ("name", "scores", "lower", "upper")
USER_TYPE_KEYS = ("name", "mass")
CHOICE_KEYS = ("rule", "beta")


def _check_keys(obj: dict, known, what: str) -> None:
    """One line naming the first unknown key of ``obj`` (and the known key it resembles)."""
    for key in obj:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InstanceError(f"{what}: unknown key {_show(key)}{hint}; known keys: {', '.join(known)}")


def instance_from_dict(data: Any, source: str = "<dict>") -> Instance:
    """Validate parsed instance JSON (a dict) and build an :class:`Instance`.

    Parameters
    ----------
    data : dict
        The instance format of the README ("Instance format"): ``user_types``, ``models`` (scores
        as a list in user-type order or an object keyed by user-type name), ``platforms``, and
        optionally ``name``, ``description``, ``choice``, ``utility``, ``entrant``.
    source : str
        Names the input in error messages; its stem is the default name.

    Returns
    -------
    Instance
        Masses normalized to sum 1; an ``entrant`` section parsed into ``Instance.entrant``.

    Raises
    ------
    InstanceError
        A one-line message naming the source and the field.

    Examples
    --------
    >>> data = {
    ...     "user_types": [{"name": "a", "mass": 1}, {"name": "b", "mass": 3}],
    ...     "models": [{"name": "X", "scores": [0.9, 0.2]},
    ...                {"name": "Y", "scores": {"a": 0.4, "b": 0.8}}],
    ...     "platforms": 2,
    ... }
    >>> inst = instance_from_dict(data, source="example.json")
    >>> inst.name, inst.masses.tolist(), inst.scores.tolist()
    ('example', [0.25, 0.75], [[0.9, 0.2], [0.4, 0.8]])
    >>> instance_from_dict({**data, "platforms": 0})
    Traceback (most recent call last):
    ...
    milp_market.instance.InstanceError: <dict>: platforms must be an integer >= 1 and <= 1,000 (got 0)
    >>> instance_from_dict({**data, "utilty": "mass_share"})  # a typo is an error, not a default
    Traceback (most recent call last):
    ...
    milp_market.instance.InstanceError: <dict>: unknown key 'utilty' (did you mean 'utility'?); known keys: name, description, user_types, models, platforms, choice, utility, entrant, synthetic
    """
    where = source
    if not isinstance(data, dict):
        raise InstanceError(f"{where}: the top level must be a JSON object")
    _check_keys(data, KNOWN_KEYS, where)
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
        _check_keys(ut, USER_TYPE_KEYS, f"{where}: user_types[{i}]")
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
        _check_keys(mdl, MODEL_KEYS, f"{where}: models[{j}]")
        model_names.append(mdl["name"])
        rows.append(_score_row(mdl["scores"], type_names, f"{where}: models[{j}] ({_show(mdl['name'])}).scores"))
    choice = data.get("choice", {"rule": "hardmax"})
    if isinstance(choice, str):
        choice = {"rule": choice}
    if not isinstance(choice, dict) or "rule" not in choice:
        raise InstanceError(f"{where}: choice must be an object like {{\"rule\": \"hardmax\"}}")
    _check_keys(choice, CHOICE_KEYS, f"{where}: choice")
    if choice["rule"] == "softmax" and "beta" not in choice:
        raise InstanceError(f"{where}: choice.beta is required for the softmax rule")
    beta = _number(choice.get("beta", 1.0), f"{where}: choice.beta")
    if choice["rule"] != "softmax" and "beta" in choice:
        # as a misspelled key would, a beta under hardmax choice would be silently ignored
        raise InstanceError(f"{where}: choice.beta is only for the softmax rule (hardmax choice has no beta)")
    platforms = data["platforms"]
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str) or not name:
        raise InstanceError(f"{where}: name must be a non-empty string (got {_show(name)})")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InstanceError(f"{where}: description must be a string of free text (got {_show(description)})")
    extra = {k: data[k] for k in ("entrant",) if k in data}
    inst = make_instance(
        rows,
        masses,
        platforms,
        name=name,
        model_names=model_names,
        type_names=type_names,
        utility=data.get("utility", "score_share"),
        choice=choice["rule"],
        beta=float(beta),
        description=description,
        source=where,
        extra=extra,
    )
    if data.get("entrant") is None:
        return inst
    # The entrant section is parsed here, once, so that a bad one is a one-line error at load time
    # and the instance carries it typed (lazy import: milp_market.entrant imports this module).
    from .entrant import parse_entrant

    return replace(inst, entrant=parse_entrant(inst, where))


def _py(value):
    """A numpy scalar as the Python number it holds (pandas hands out numpy scalars)."""
    return value.item() if isinstance(value, np.generic) else value


def _number(value, what) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InstanceError(f"{what} must be a number (got {_show(value)})")
    try:
        return float(value)
    except OverflowError:  # an integer literal beyond the float range
        raise InstanceError(f"{what} must be a finite number (got an integer of {len(str(value))} digits)") from None


def _score_row(scores, type_names, what, noun: str = "score") -> list[float]:
    """One number per user type, from a list in user_types order or an object keyed by name
    (scores; and, with ``noun="bound"``, robust's lower/upper bounds)."""
    K = len(type_names)
    if isinstance(scores, list):
        if len(scores) != K:
            raise InstanceError(f"{what}: {len(scores)} {noun}s for {K} user types; give one per user type, in order")
        return [_number(s, f"{what}[{t}]") for t, s in enumerate(scores)]
    if isinstance(scores, dict):
        unknown = [k for k in scores if k not in type_names]
        if unknown:
            raise InstanceError(f"{what}: unknown user type {_show(unknown[0])}; known: {', '.join(type_names)}")
        missing = [t for t in type_names if t not in scores]
        if missing:
            raise InstanceError(f"{what}: no {noun} for user type {missing[0]!r}")
        return [_number(scores[t], f"{what}[{t!r}]") for t in type_names]
    raise InstanceError(f"{what} must be a list (user_types order) or an object keyed by user-type name")


def save_instance(instance: Instance, path) -> None:
    """Write ``instance`` as instance JSON (:meth:`Instance.to_json_dict`, indented) to ``path``.

    :func:`load_instance` reads it back as an equal instance (an entrant section is kept).

    Examples
    --------
    >>> import os, tempfile
    >>> inst = make_instance([[0.9, 0.2], [0.4, 0.8]], [0.6, 0.4], 2, name="pair")
    >>> path = os.path.join(tempfile.mkdtemp(), "pair.json")
    >>> save_instance(inst, path)
    >>> load_instance(path) == inst
    True
    """
    Path(path).write_text(json.dumps(instance.to_json_dict(), indent=2) + "\n")


def load_csv_instance(scores_csv, masses_csv=None, *, mass_column=None, platforms: int = 2, name=None) -> Instance:
    """Import a score table: rows are models (first column = model name), columns are user types.

    Masses come from ``masses_csv`` (columns ``user_type,mass``), or from a row of the score table
    named ``mass_column`` (e.g. ``"mass"``), or are uniform. Column names must be unique and every
    cell a number; errors name the file, the line and the column.

    Parameters
    ----------
    scores_csv : str, pathlib.Path or pandas.DataFrame
        The score table; a DataFrame goes to :meth:`Instance.from_dataframe` (``masses_csv``
        is then its ``masses``).
    masses_csv : str or pathlib.Path, optional
        A CSV with columns ``user_type,mass``.
    mass_column : str, optional
        The name of a row of the score table that holds the masses.
    platforms : int
        N, the number of platforms.
    name : str, optional
        Defaults to the file's stem.

    Returns
    -------
    Instance
        Hardmax choice, ``score_share`` utility.

    Examples
    --------
    >>> inst = load_csv_instance("instances/cifar10_paper_qualities.csv", platforms=3)
    >>> inst.name, inst.n_models, inst.n_types, inst.model_names[:2]
    ('cifar10_paper_qualities', 6, 10, ('airauto', 'birdcat'))
    >>> import pandas as pd
    >>> df = pd.DataFrame({"code": [0.9, 0.4], "chat": [0.5, 0.8]}, index=["a", "b"])
    >>> load_csv_instance(df, {"code": 1, "chat": 3}).masses.tolist()
    [0.25, 0.75]
    """
    if type(scores_csv).__name__ == "DataFrame":  # a notebook's table: Instance.from_dataframe
        return Instance.from_dataframe(scores_csv, masses_csv, platforms=platforms, name=name)
    where = str(scores_csv)
    if masses_csv is not None and mass_column is not None:
        raise InstanceError(f"{where}: masses come from a masses CSV or from a row of the table, not both; give one")
    rows = _csv_rows(scores_csv)
    if not rows:
        raise InstanceError(f"{where}: the file is empty; expected a header row (model, user types...)")
    (_, header), body = rows[0], rows[1:]
    type_names = header[1:]
    for k, col in enumerate(type_names, start=2):
        if not col.strip():
            raise InstanceError(f"{where}: column {k} of the header has no user-type name")
        if type_names.index(col) + 2 != k:
            raise InstanceError(f"{where}: column name {col!r} appears twice (columns {type_names.index(col) + 2} and {k}); user types must be unique")
    masses = None
    if mass_column is not None:
        found = [(line, r) for line, r in body if r[0] == mass_column]
        if not found:
            raise InstanceError(f"{where}: no row named {mass_column!r} holding the masses")
        if len(found) > 1:
            raise InstanceError(f"{where}: {len(found)} rows named {mass_column!r}; keep one row of masses")
        (line, mrow), = found
        _check_width(where, line, mrow, header)
        masses = [_cell(c, f"{where} line {line}, column {t!r} (mass row)") for t, c in zip(type_names, mrow[1:])]
        body = [(ln, r) for ln, r in body if r[0] != mass_column]
    elif masses_csv is not None:
        masses = _csv_masses(masses_csv, type_names)
    model_names, S = [], []
    for line, r in body:
        _check_width(where, line, r, header)
        if not r[0].strip():
            raise InstanceError(f"{where} line {line}: the first cell (model name) is empty")
        model_names.append(r[0])
        S.append([_cell(c, f"{where} line {line}, column {t!r} (model {r[0]!r})") for t, c in zip(type_names, r[1:])])
    origin = (
        f"masses from {Path(str(masses_csv)).name}" if masses_csv is not None
        else f"masses from its row {mass_column!r}" if mass_column is not None else "uniform masses"
    )
    return make_instance(
        np.array(S, dtype=float).reshape(len(S), len(type_names)),
        np.ones(len(type_names)) if masses is None else masses,
        platforms,
        name=name or Path(where).stem,
        model_names=model_names,
        type_names=type_names,
        # provenance, kept in the instance file (audit: import-csv named no source)
        description=f"Imported by milp-market import-csv from {Path(where).name}, {origin}.",
        source=where,
    )


def _read_text(path) -> str:
    """A file's text, decoded as UTF-8 (a byte-order mark is allowed); one-line errors."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InstanceError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InstanceError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save the file as UTF-8") from None


def _csv_rows(path) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank row of a CSV file."""
    import csv
    import io

    reader = csv.reader(io.StringIO(_read_text(path), newline=""))
    rows = []
    try:
        for r in reader:
            if any(c.strip() for c in r):
                rows.append((reader.line_num, r))
    except csv.Error as exc:
        raise InstanceError(f"{path} line {reader.line_num}: malformed CSV ({exc})") from None
    return rows


def read_csv_table(path) -> tuple[list[str], list[str], np.ndarray]:
    r"""(row names, column names, values) of a numeric CSV table: first column = row name, header
    = column names; one-line errors naming the file, line and column (as the score importer).

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    ...     _ = f.write("model,a,b\nx,1,2\ny,3,4\n")
    >>> read_csv_table(f.name)[:2], read_csv_table(f.name)[2].tolist()
    ((['x', 'y'], ['a', 'b']), [[1.0, 2.0], [3.0, 4.0]])
    >>> os.unlink(f.name)
    """
    where = str(path)
    rows = _csv_rows(path)
    if not rows:
        raise InstanceError(f"{where}: the file is empty; expected a header row (name, columns...)")
    (_, header), body = rows[0], rows[1:]
    cols = header[1:]
    for k, col in enumerate(cols, start=2):
        if not col.strip():
            raise InstanceError(f"{where}: column {k} of the header has no name")
        if cols.index(col) + 2 != k:
            raise InstanceError(f"{where}: column name {col!r} appears twice (columns {cols.index(col) + 2} and {k})")
    names, values = [], []
    for line, r in body:
        _check_width(where, line, r, header)
        if not r[0].strip():
            raise InstanceError(f"{where} line {line}: the first cell (row name) is empty")
        if r[0] in names:
            raise InstanceError(f"{where} line {line}: row {r[0]!r} appears twice")
        names.append(r[0])
        values.append([_cell(c, f"{where} line {line}, column {t!r} (row {r[0]!r})") for t, c in zip(cols, r[1:])])
    return names, cols, np.array(values, dtype=float).reshape(len(names), len(cols))


def _check_width(where, line, row, header) -> None:
    if len(row) != len(header):
        raise InstanceError(f"{where} line {line}: {len(row)} cells, the header has {len(header)}; give one cell per column")


def _cell(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InstanceError(f"{what}: {_show(text)} is not a number; every cell must be a number") from None


def _csv_masses(path, type_names) -> list[float]:
    """Masses from a CSV with columns ``user_type,mass``, in ``type_names`` order."""
    rows = _csv_rows(path)
    if not rows or [c.strip() for c in rows[0][1][:2]] != ["user_type", "mass"]:
        raise InstanceError(f"{path}: expected columns user_type,mass")
    lookup = {}
    for line, r in rows[1:]:
        if len(r) < 2:
            raise InstanceError(f"{path} line {line}: expected user_type,mass")
        if r[0] in lookup:
            raise InstanceError(f"{path} line {line}: user type {r[0]!r} appears twice; give one mass per user type")
        lookup[r[0]] = _cell(r[1], f"{path} line {line}, mass of user type {r[0]!r}")
        if not (math.isfinite(lookup[r[0]]) and lookup[r[0]] > 0):
            # said here, against this file: make_instance would name the score table (audit)
            raise InstanceError(f"{path} line {line}: the mass of user type {r[0]!r} must be a positive finite number")
    missing = [t for t in type_names if t not in lookup]
    if missing:
        raise InstanceError(f"{path}: no mass for user type {missing[0]!r}")
    extra = [t for t in lookup if t not in type_names]
    if extra:  # a misspelt user type would otherwise be dropped in silence (audit)
        raise InstanceError(f"{path}: user type {extra[0]!r} is not a column of the score table")
    return [lookup[t] for t in type_names]
