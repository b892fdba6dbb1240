"""Import the seed paper's measured score files as an instance.

The seed paper's code (osu-srml/Generative_Competition, ``RealData/build_S_from_models.py``)
writes four files into its output folder:

- ``S.npy``: ``np.save`` of a float array of shape (K, M): **user groups x models** (this tool's
  instances are models x user types, so it is transposed on import);
- ``pi.npy``: ``np.save`` of the K user-group masses (normalized here, like every instance's);
- ``model_names.json``: a JSON list of M model names;
- ``user_names.json``: a JSON list of K user-group names.

The arrays are read with ``allow_pickle=False`` (a pickled object array is refused, never
executed) and must hold real numbers (integer or floating dtype). Every check the instance loader
makes (:func:`milp_market.instance.make_instance`: finite, non-negative scores, positive masses,
unique non-empty names, unambiguous ties) applies too; each error is one line naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .instance import Instance, InstanceError, make_instance, read_json

#: The files the seed's build script writes, and what each holds.
SEED_FILES = {
    "S.npy": "scores, user groups x models",
    "pi.npy": "user-group masses",
    "model_names.json": "model names",
    "user_names.json": "user-group names",
}


def load_seed_dir(
    folder, platforms: int, *, utility: str = "score_share", name: str | None = None
) -> Instance:
    """Read the seed paper's ``S.npy``, ``pi.npy``, ``model_names.json`` and ``user_names.json``.

    Parameters
    ----------
    folder : the folder the seed's ``RealData/build_S_from_models.py`` wrote (``--outdir``).
    platforms : N, the number of platforms (the seed's ``--players``).
    utility : ``"score_share"`` (the seed's payoff) or ``"mass_share"``.
    name : the instance's name (default: the folder's name).

    Returns
    -------
    Instance
        Hardmax choice; ``scores`` is ``S.npy`` transposed (models x user types), ``masses`` is
        ``pi.npy`` normalized to sum 1, and the names come from the two JSON files.

    Raises
    ------
    InstanceError
        One line naming the file and the fix: a missing file, a file that is not a ``.npy`` array
        or a JSON list of strings, a pickled or non-numeric array, a wrong shape, a count of names
        that does not match the array, NaN, infinity, a negative score, a non-positive mass, and
        every other check of :func:`milp_market.instance.make_instance`.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> import numpy as np
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     d = pathlib.Path(tmp)
    ...     np.save(d / "S.npy", np.array([[0.9, 0.2, 0.5], [0.1, 0.8, 0.5]]))  # 2 groups x 3 models
    ...     np.save(d / "pi.npy", np.array([3.0, 1.0]))
    ...     _ = (d / "model_names.json").write_text(json.dumps(["A", "B", "C"]))
    ...     _ = (d / "user_names.json").write_text(json.dumps(["cats", "cars"]))
    ...     inst = load_seed_dir(d, platforms=2, name="seed")
    >>> inst.model_names, inst.type_names, inst.masses.tolist()
    (('A', 'B', 'C'), ('cats', 'cars'), [0.75, 0.25])
    >>> inst.scores.tolist()  # models x user groups
    [[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InstanceError(
            f"{folder}: not a folder; give the folder holding {', '.join(SEED_FILES)} (the seed's build_S_from_models.py --outdir)"
        )
    missing = [f for f in SEED_FILES if not (folder / f).is_file()]
    if missing:
        raise InstanceError(
            f"{folder / missing[0]}: missing ({SEED_FILES[missing[0]]}); the folder must hold {', '.join(SEED_FILES)} "
            f"as the seed's RealData/build_S_from_models.py writes them"
        )
    S = _load_array(folder / "S.npy", 2, "(user groups, models)")
    pi = _load_array(folder / "pi.npy", 1, "(user groups,)")
    models = _load_names(folder / "model_names.json")
    users = _load_names(folder / "user_names.json")
    K, M = len(users), len(models)
    where = folder / "S.npy"
    if S.shape != (K, M):
        hint = "; it looks transposed: the seed writes S as user groups x models" if S.shape == (M, K) else ""
        raise InstanceError(
            f"{where}: shape {S.shape} does not match the names: user_names.json has {K} groups and model_names.json "
            f"{M} models, so S must be ({K}, {M}) (user groups x models){hint}"
        )
    if pi.shape != (K,):
        raise InstanceError(f"{folder / 'pi.npy'}: {pi.shape[0]} masses for {K} user groups (user_names.json); give one mass per group")
    bad = np.argwhere(~np.isfinite(S))
    if bad.size:
        k, j = map(int, bad[0])
        raise InstanceError(f"{where}: S[{k}, {j}] (group {users[k]!r}, model {models[j]!r}) = {S[k, j]}; scores must be finite numbers")
    bad = np.argwhere(S < 0)
    if bad.size:
        k, j = map(int, bad[0])
        raise InstanceError(f"{where}: S[{k}, {j}] (group {users[k]!r}, model {models[j]!r}) = {S[k, j]} is negative; scores must be >= 0")
    bad = np.flatnonzero(~np.isfinite(pi) | (pi <= 0))
    if bad.size:
        k = int(bad[0])
        raise InstanceError(f"{folder / 'pi.npy'}: pi[{k}] (group {users[k]!r}) = {pi[k]}; every mass must be a positive finite number")
    return make_instance(
        S.T.copy(),
        pi,
        platforms,
        name=folder.resolve().name if name is None else name,
        model_names=models,
        type_names=users,
        utility=utility,
        description=f"imported from the seed paper's build_S_from_models.py output ({folder.name}/S.npy transposed to models x user groups)",
        source=str(folder),
    )


def _load_array(path: Path, ndim: int, shape: str) -> np.ndarray:
    """A real-valued ``.npy`` array of ``ndim`` dimensions, as float64; one-line errors."""
    try:
        a = np.load(path, allow_pickle=False)
    except ValueError as exc:  # object arrays, non-.npy files (numpy would try to unpickle them), truncated data
        if "Object arrays" in str(exc):
            raise InstanceError(f"{path}: holds Python objects (a pickled object array, not loaded); save a numeric array with np.save") from None
        if "pickle" in str(exc):
            raise InstanceError(f"{path}: not a .npy file (no .npy header; pickled data is refused); save a numeric array with np.save") from None
        raise InstanceError(f"{path}: not a readable .npy array ({' '.join(str(exc).split())})") from None
    except OSError as exc:
        raise InstanceError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    except Exception as exc:  # noqa: BLE001 (a truncated or corrupt file: numpy raises EOFError, zipfile errors, ...)
        raise InstanceError(f"{path}: not a readable .npy array ({type(exc).__name__}: {' '.join(str(exc).split())})") from None
    if not isinstance(a, np.ndarray):  # np.load returns an NpzFile for a .npz archive
        if hasattr(a, "close"):
            a.close()
        raise InstanceError(f"{path}: is a .npz archive, not a .npy array; save one array with np.save")
    if a.dtype.kind not in "iuf":
        raise InstanceError(
            f"{path}: dtype {a.dtype} is not numeric; expected real numbers (float or integer), as np.save writes them"
        )
    if a.ndim != ndim:
        raise InstanceError(f"{path}: {a.ndim}-dimensional array of shape {a.shape}, expected {ndim} dimension{'s' if ndim > 1 else ''} {shape}")
    if a.size == 0:
        raise InstanceError(f"{path}: the array is empty (shape {a.shape}); expected at least one model and one user group")
    return a.astype(np.float64)


def _load_names(path: Path) -> tuple[str, ...]:
    """A JSON list of non-empty, unique strings; one-line errors."""
    names = read_json(path, "expected a list of names")
    if not isinstance(names, list) or not names:
        raise InstanceError(f"{path}: expected a non-empty JSON list of names (strings)")
    for i, nm in enumerate(names):
        if not isinstance(nm, str) or not nm:
            raise InstanceError(f"{path}: entry {i} is {json.dumps(nm)[:40]}; every name must be a non-empty string")
    seen: dict[str, int] = {}
    for i, nm in enumerate(names):
        if nm in seen:
            raise InstanceError(f"{path}: name {nm!r} appears twice (entries {seen[nm]} and {i}); names must be unique")
        seen[nm] = i
    return tuple(names)
