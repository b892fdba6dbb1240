"""The seed paper's two settings as instance front ends (issue 13, items 3 and 5).

**Synthetic setting** (``milp-market synthetic SPEC --out X.json``). User types are points theta in
the plane, drawn from (or placed on a grid under) a 2-D Gaussian mixture; a model is a bias plus
Gaussian radial bumps, scored at theta as in the seed's ``Synthetic/models.py``::

    score(theta) = clip(bias + sum_r a_r exp(-||theta - c_r||^2 / (2 s_r^2)), 0, 1)

A spec (JSON, or TOML when the file ends in ``.toml``)::

    {
      "name": "gmm3", "description": "optional", "seed": 42,
      "mixture": [{"weight": 0.5, "mean": [0, 0], "cov": [[1, 0], [0, 1]]}, ...],
      "users": {"placement": "sample", "count": 12},
          # or {"placement": "grid", "shape": [9, 9], "bounds": [[-3, 6], [-3, 6]], "min_mass": 0.001}
      "models": [{"name": "A", "bias": 0.1, "bumps": [{"center": [0, 0], "amplitude": 0.8, "width": 0.7}]}],
      "platforms": 3, "choice": {"rule": "hardmax"}, "utility": "score_share"
    }

``sample`` follows the seed's ``sample_user_types_from_gmm``: component q gets round(w_q K) of the K
types (largest remainders fix the total), drawn with ``numpy.random.default_rng(seed)``
(``multivariate_normal``, Cholesky), each of mass w_q / n_q. ``grid`` places one type at each point
of an nx x ny grid over ``bounds`` (default: every component's mean +- 3 standard deviations) with
mass proportional to the mixture density there; points whose normalized mass is below
``min_mass`` (default 0) are dropped and the rest renormalized to sum 1. Scores are rounded to 10
decimals. Every bad field gets one line naming the spec file, the field and the fix
(:class:`~milp_market.instance.InstanceError`).

**CIFAR-10 setting.** The seed's ``RealData/build_S_from_models.py`` scores a model for a user group
as the group's class weights dotted with the model's expected classifier probabilities over the ten
classes, so each model's per-class quality vector is a probability profile. :func:`cifar_profile`
states the illustrative rule used for ``instances/cifar10_paper.json`` (scripts/build_instances.py)
and for the seeded family of reports/paper-findings.md.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np

from .instance import MAX_PLATFORMS, Instance, InstanceError, _show, make_instance

MAX_TYPES = 2000
SCORE_DECIMALS = 10
SPEC_KEYS = ("name", "description", "seed", "mixture", "users", "models", "platforms", "choice", "utility")


# ---------------------------------------------------------------------------------------------- scores


def bump_scores(bias: float, bumps, thetas) -> np.ndarray:
    """``clip(bias + sum_r a_r exp(-||theta - c_r||^2 / (2 s_r^2)), 0, 1)`` at each row of ``thetas``.

    ``bumps``: sequence of (center (2,), amplitude, width).

    Examples
    --------
    >>> bump_scores(0.2, [((0.0, 0.0), 0.5, 1.0)], [[0.0, 0.0], [1.0, 1.0]]).round(6).tolist()
    [0.7, 0.38394]
    """
    th = np.asarray(thetas, dtype=float).reshape(-1, 2)
    val = np.full(th.shape[0], float(bias))
    for c, a, s in bumps:
        d2 = np.sum((th - np.asarray(c, dtype=float)) ** 2, axis=1)
        val = val + float(a) * np.exp(-d2 / (2.0 * float(s) ** 2))
    return np.clip(val, 0.0, 1.0)


def mixture_density(mixture, thetas) -> np.ndarray:
    """Density of the Gaussian mixture (weights normalized) at each row of ``thetas``.

    Examples
    --------
    >>> mix = [{"weight": 0.6, "mean": [0.0, 0.0], "cov": [[1.0, 0.0], [0.0, 1.0]]},
    ...        {"weight": 0.4, "mean": [4.0, 0.0], "cov": [[1.0, 0.0], [0.0, 1.0]]}]
    >>> mixture_density(mix, [[0, 0], [4, 0], [2, 0]]).round(4).tolist()
    [0.0955, 0.0637, 0.0215]
    """
    th = np.asarray(thetas, dtype=float).reshape(-1, 2)
    w = np.array([c["weight"] for c in mixture], dtype=float)
    w = w / w.sum()
    out = np.zeros(th.shape[0])
    for wq, c in zip(w, mixture):
        mu, cov = np.asarray(c["mean"], dtype=float), np.asarray(c["cov"], dtype=float)
        inv, det = np.linalg.inv(cov), np.linalg.det(cov)
        d = th - mu
        q = np.einsum("ni,ij,nj->n", d, inv, d)
        out += wq * np.exp(-0.5 * q) / (2.0 * math.pi * math.sqrt(det))
    return out


# ---------------------------------------------------------------------------------------------- spec validation


def _err(where: str, msg: str) -> InstanceError:
    return InstanceError(f"{where}: {msg}")


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _point(where, field, value) -> list[float]:
    if not isinstance(value, list) or len(value) != 2 or not all(_finite(v) for v in value):
        raise _err(where, f"{field} must be a list of 2 finite numbers [x, y] (got {_show(value)})")
    return [float(v) for v in value]


def _mixture(where, mix) -> list[dict]:
    if not isinstance(mix, list) or not mix:
        raise _err(where, "mixture must be a non-empty list of {\"weight\", \"mean\", \"cov\"} components")
    out = []
    for q, c in enumerate(mix):
        f = f"mixture[{q}]"
        if not isinstance(c, dict):
            raise _err(where, f"{f} must be an object with \"weight\", \"mean\" and \"cov\"")
        bad = [k for k in c if k not in ("weight", "mean", "cov")]
        if bad:
            raise _err(where, f"{f}: unknown field {bad[0]!r}; fields are weight, mean, cov")
        for k in ("weight", "mean", "cov"):
            if k not in c:
                raise _err(where, f"{f}: missing field {k!r}")
        if not _finite(c["weight"]) or c["weight"] <= 0:
            raise _err(where, f"{f}.weight must be a positive finite number (got {_show(c['weight'])})")
        mean = _point(where, f"{f}.mean", c["mean"])
        cov = c["cov"]
        if not (isinstance(cov, list) and len(cov) == 2 and all(isinstance(r, list) and len(r) == 2 for r in cov)
                and all(_finite(v) for r in cov for v in r)):
            raise _err(where, f"{f}.cov must be a 2x2 list of finite numbers [[a, b], [b, c]] (got {_show(cov)})")
        C = np.array(cov, dtype=float)
        if abs(C[0, 1] - C[1, 0]) > 1e-12 * max(1.0, abs(C).max()):
            raise _err(where, f"{f}.cov must be symmetric (cov[0][1] = {_show(cov[0][1])}, cov[1][0] = {_show(cov[1][0])})")
        if C[0, 0] <= 0 or np.linalg.det(C) <= 1e-12 * C[0, 0] * C[1, 1]:
            raise _err(where, f"{f}.cov must be positive definite (a > 0 and a*c - b^2 > 0)")
        out.append({"weight": float(c["weight"]), "mean": mean, "cov": C.tolist()})
    return out


def _models(where, models) -> list[dict]:
    if not isinstance(models, list) or not models:
        raise _err(where, "models must be a non-empty list of {\"name\", \"bias\", \"bumps\"}")
    out, names = [], set()
    for j, m in enumerate(models):
        f = f"models[{j}]"
        if not isinstance(m, dict):
            raise _err(where, f"{f} must be an object with \"name\", \"bias\" and \"bumps\"")
        bad = [k for k in m if k not in ("name", "bias", "bumps")]
        if bad:
            raise _err(where, f"{f}: unknown field {bad[0]!r}; fields are name, bias, bumps")
        name = m.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _err(where, f"{f}.name must be a non-empty string (got {_show(name)})")
        if name in names:
            raise _err(where, f"{f}.name {name!r} is used twice; model names must be unique")
        names.add(name)
        bias = m.get("bias", 0.0)
        if not _finite(bias):
            raise _err(where, f"{f}.bias must be a finite number (got {_show(bias)})")
        bumps = m.get("bumps", [])
        if not isinstance(bumps, list):
            raise _err(where, f"{f}.bumps must be a list of {{\"center\", \"amplitude\", \"width\"}}")
        bb = []
        for r, b in enumerate(bumps):
            g = f"{f}.bumps[{r}]"
            if not isinstance(b, dict):
                raise _err(where, f"{g} must be an object with \"center\", \"amplitude\" and \"width\"")
            bad = [k for k in b if k not in ("center", "amplitude", "width")]
            if bad:
                raise _err(where, f"{g}: unknown field {bad[0]!r}; fields are center, amplitude, width")
            for k in ("center", "amplitude", "width"):
                if k not in b:
                    raise _err(where, f"{g}: missing field {k!r}")
            c = _point(where, f"{g}.center", b["center"])
            if not _finite(b["amplitude"]):
                raise _err(where, f"{g}.amplitude must be a finite number (got {_show(b['amplitude'])})")
            if not _finite(b["width"]) or b["width"] <= 0:
                raise _err(where, f"{g}.width must be a positive finite number (got {_show(b['width'])})")
            bb.append({"center": c, "amplitude": float(b["amplitude"]), "width": float(b["width"])})
        out.append({"name": name, "bias": float(bias), "bumps": bb})
    return out


def _users(where, users, mixture) -> dict:
    if not isinstance(users, dict):
        raise _err(where, "users must be an object: {\"placement\": \"sample\", \"count\": K} or "
                          "{\"placement\": \"grid\", \"shape\": [nx, ny]}")
    pl = users.get("placement")
    if pl == "sample":
        bad = [k for k in users if k not in ("placement", "count")]
        if bad:
            raise _err(where, f"users: unknown field {bad[0]!r} for sample placement; fields are placement, count")
        K = users.get("count")
        if not _int(K) or not 1 <= K <= MAX_TYPES:
            raise _err(where, f"users.count must be an integer from 1 to {MAX_TYPES} (got {_show(K)})")
        if K < len(mixture):
            raise _err(where, f"users.count ({K}) must be at least the number of mixture components ({len(mixture)})")
        return {"placement": "sample", "count": K}
    if pl == "grid":
        bad = [k for k in users if k not in ("placement", "shape", "bounds", "min_mass")]
        if bad:
            raise _err(where, f"users: unknown field {bad[0]!r} for grid placement; fields are placement, shape, bounds, min_mass")
        shape = users.get("shape")
        if not (isinstance(shape, list) and len(shape) == 2 and all(_int(v) and v >= 1 for v in shape)):
            raise _err(where, f"users.shape must be [nx, ny], two integers >= 1 (got {_show(shape)})")
        if shape[0] * shape[1] > MAX_TYPES:
            raise _err(where, f"users.shape gives {shape[0] * shape[1]} grid points; at most {MAX_TYPES}")
        if "bounds" in users:
            b = users["bounds"]
            if not (isinstance(b, list) and len(b) == 2):
                raise _err(where, f"users.bounds must be [[xmin, xmax], [ymin, ymax]] (got {_show(b)})")
            bounds = [_point(where, f"users.bounds[{i}]", b[i]) for i in range(2)]
            for i, (lo, hi) in enumerate(bounds):
                if not lo < hi:
                    raise _err(where, f"users.bounds[{i}] must have min < max (got {_show(b[i])})")
        else:
            lo = np.min([np.array(c["mean"]) - 3 * np.sqrt(np.diag(c["cov"])) for c in mixture], axis=0)
            hi = np.max([np.array(c["mean"]) + 3 * np.sqrt(np.diag(c["cov"])) for c in mixture], axis=0)
            bounds = [[float(lo[0]), float(hi[0])], [float(lo[1]), float(hi[1])]]
        mm = users.get("min_mass", 0.0)
        if not _finite(mm) or not 0 <= mm < 1:
            raise _err(where, f"users.min_mass must be a number in [0, 1) (got {_show(mm)})")
        return {"placement": "grid", "shape": list(shape), "bounds": bounds, "min_mass": float(mm)}
    raise _err(where, f"users.placement must be \"sample\" or \"grid\" (got {_show(pl)})")


def validate_spec(data, where: str = "<spec>") -> dict:
    """Check every field of a synthetic spec; return it normalized (floats, defaults filled in).

    Raises
    ------
    InstanceError
        One line naming ``where``, the field and the fix.

    Examples
    --------
    Two user groups in the plane (60% around the origin, 40% around (4, 0)), a model serving
    each, two platforms:

    >>> spec = validate_spec({
    ...     "name": "two-groups", "seed": 0, "platforms": 2,
    ...     "mixture": [{"weight": 0.6, "mean": [0, 0], "cov": [[1, 0], [0, 1]]},
    ...                 {"weight": 0.4, "mean": [4, 0], "cov": [[1, 0], [0, 1]]}],
    ...     "users": {"placement": "sample", "count": 5},
    ...     "models": [{"name": "west", "bias": 0.1, "bumps": [{"center": [0, 0], "amplitude": 0.8, "width": 1.5}]},
    ...                {"name": "east", "bias": 0.1, "bumps": [{"center": [4, 0], "amplitude": 0.8, "width": 1.5}]}]})
    >>> spec["choice"], spec["utility"], spec["models"][0]["bumps"][0]["center"]
    ({'rule': 'hardmax'}, 'score_share', [0.0, 0.0])
    >>> validate_spec(dict(spec, platforms=0), "x.json")
    Traceback (most recent call last):
    ...
    milp_market.instance.InstanceError: x.json: platforms must be an integer >= 1 and <= 1,000 (got 0)
    """
    if not isinstance(data, dict):
        raise _err(where, "the top level must be an object")
    bad = [k for k in data if k not in SPEC_KEYS]
    if bad:
        raise _err(where, f"unknown field {bad[0]!r}; fields are {', '.join(SPEC_KEYS)}")
    for k in ("mixture", "users", "models", "platforms"):
        if k not in data:
            raise _err(where, f"missing field {k!r}")
    name = data.get("name", Path(where).stem if where != "<spec>" else "synthetic")
    if not isinstance(name, str) or not name:
        raise _err(where, f"name must be a non-empty string (got {_show(name)})")
    desc = data.get("description", "")
    if not isinstance(desc, str):
        raise _err(where, f"description must be a string (got {_show(desc)})")
    seed = data.get("seed", 0)
    if not _int(seed) or seed < 0:
        raise _err(where, f"seed must be an integer >= 0 (got {_show(seed)})")
    mixture = _mixture(where, data["mixture"])
    users = _users(where, data["users"], mixture)
    models = _models(where, data["models"])
    N = data["platforms"]
    if not _int(N) or not 1 <= N <= MAX_PLATFORMS:
        raise _err(where, f"platforms must be an integer >= 1 and <= {MAX_PLATFORMS:,} (got {_show(N)})")
    choice = data.get("choice", {"rule": "hardmax"})
    if isinstance(choice, str):
        choice = {"rule": choice}
    if not isinstance(choice, dict) or choice.get("rule") not in ("hardmax", "softmax"):
        raise _err(where, f"choice must be {{\"rule\": \"hardmax\"}} or {{\"rule\": \"softmax\", \"beta\": B}} (got {_show(choice)})")
    bad = [k for k in choice if k not in ("rule", "beta")]
    if bad:
        raise _err(where, f"choice: unknown field {bad[0]!r}; fields are rule, beta")
    if choice["rule"] == "softmax":
        b = choice.get("beta")
        if not _finite(b) or b < 0:
            raise _err(where, f"choice.beta must be a finite number >= 0 for the softmax rule (got {_show(b)})")
        choice = {"rule": "softmax", "beta": float(b)}
    elif "beta" in choice:
        raise _err(where, "choice.beta is only for the softmax rule; remove it or set rule to \"softmax\"")
    utility = data.get("utility", "score_share")
    if utility not in ("score_share", "mass_share"):
        raise _err(where, f"utility must be score_share or mass_share (got {_show(utility)})")
    return {"name": name, "description": desc, "seed": seed, "mixture": mixture, "users": users,
            "models": models, "platforms": N, "choice": choice, "utility": utility}


def load_spec(path) -> dict:
    """Read and validate a spec file (``.toml`` as TOML, anything else as JSON).

    Examples
    --------
    >>> spec = load_spec("instances/synthetic/gmm3_grid.spec.toml")
    >>> spec["name"], spec["users"]["placement"], len(spec["models"]), spec["platforms"]
    ('gmm3_grid', 'grid', 6, 3)
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceError(f"{path}: cannot read synthetic spec ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        if path.suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # tomllib and json raise different types
        raise InstanceError(f"{path}: malformed synthetic spec ({str(exc).splitlines()[0]})") from None
    return validate_spec(data, str(path))


# ---------------------------------------------------------------------------------------------- user types


def _fix_counts(raw: np.ndarray, total: int) -> np.ndarray:
    """Floor of ``raw``, then +1 to the largest fractional parts until the counts sum to ``total``."""
    counts = np.floor(raw).astype(int)
    order = np.argsort(-(raw - np.floor(raw)), kind="stable")
    for j in order[: total - counts.sum()]:
        counts[j] += 1
    return counts


def user_types(spec: dict) -> tuple[np.ndarray, np.ndarray]:
    """(positions (K, 2), masses (K,) summing to 1) of the user types of a validated spec.

    Examples
    --------
    Five user types sampled from the mixture: round(0.6 * 5) = 3 from the western group, 2 from
    the eastern one, each of mass 0.2:

    >>> spec = validate_spec({
    ...     "name": "two-groups", "seed": 0, "platforms": 2,
    ...     "mixture": [{"weight": 0.6, "mean": [0, 0], "cov": [[1, 0], [0, 1]]},
    ...                 {"weight": 0.4, "mean": [4, 0], "cov": [[1, 0], [0, 1]]}],
    ...     "users": {"placement": "sample", "count": 5},
    ...     "models": [{"name": "west", "bias": 0.1, "bumps": [{"center": [0, 0], "amplitude": 0.8, "width": 1.5}]},
    ...                {"name": "east", "bias": 0.1, "bumps": [{"center": [4, 0], "amplitude": 0.8, "width": 1.5}]}]})
    >>> pos, mass = user_types(spec)
    >>> pos.shape, mass.round(12).tolist(), int((pos[:, 0] > 2).sum())
    ((5, 2), [0.2, 0.2, 0.2, 0.2, 0.2], 2)
    """
    mix, users = spec["mixture"], spec["users"]
    w = np.array([c["weight"] for c in mix])
    w = w / w.sum()
    if users["placement"] == "sample":
        K = users["count"]
        n = np.maximum(_fix_counts(w * K, K), 1)
        rng = np.random.default_rng(spec["seed"])
        th, pi = [], []
        for q, c in enumerate(mix):
            th.append(rng.multivariate_normal(c["mean"], c["cov"], size=int(n[q]), method="cholesky"))
            pi.append(np.full(int(n[q]), w[q] / n[q]))
        pos, mass = np.vstack(th), np.concatenate(pi)
    else:
        (x0, x1), (y0, y1) = users["bounds"]
        nx, ny = users["shape"]
        xs = np.linspace(x0, x1, nx) if nx > 1 else np.array([(x0 + x1) / 2])
        ys = np.linspace(y0, y1, ny) if ny > 1 else np.array([(y0 + y1) / 2])
        X, Y = np.meshgrid(xs, ys, indexing="xy")
        pos = np.column_stack([X.ravel(), Y.ravel()])
        mass = mixture_density(mix, pos)
        if mass.sum() <= 0:
            raise InstanceError(f"{spec['name']}: users.bounds: the mixture density is 0 at every grid point; widen the bounds")
        mass = mass / mass.sum()
        keep = (mass >= users["min_mass"]) & (mass > 0)
        if not keep.any():
            raise InstanceError(f"{spec['name']}: users.min_mass {users['min_mass']} drops every grid point; lower it")
        pos, mass = pos[keep], mass[keep]
    return pos, mass / mass.sum()


def score_matrix(spec: dict, positions) -> np.ndarray:
    """(M, K) scores of the spec's models at the given positions, rounded to 10 decimals.

    Examples
    --------
    >>> spec = validate_spec({
    ...     "name": "two-groups", "seed": 0, "platforms": 2,
    ...     "mixture": [{"weight": 0.6, "mean": [0, 0], "cov": [[1, 0], [0, 1]]},
    ...                 {"weight": 0.4, "mean": [4, 0], "cov": [[1, 0], [0, 1]]}],
    ...     "users": {"placement": "sample", "count": 5},
    ...     "models": [{"name": "west", "bias": 0.1, "bumps": [{"center": [0, 0], "amplitude": 0.8, "width": 1.5}]},
    ...                {"name": "east", "bias": 0.1, "bumps": [{"center": [4, 0], "amplitude": 0.8, "width": 1.5}]}]})
    >>> score_matrix(spec, [[0, 0], [4, 0]]).round(4).tolist()  # west, east at two points
    [[0.9, 0.1229], [0.1229, 0.9]]
    """
    rows = [bump_scores(m["bias"], [(b["center"], b["amplitude"], b["width"]) for b in m["bumps"]], positions)
            for m in spec["models"]]
    return np.round(np.array(rows), SCORE_DECIMALS)


def build_instance(spec: dict, models=None, platforms: int | None = None, where: str | None = None) -> Instance:
    """The instance of a validated spec (optionally a subset of its models, in the given order, and
    another N). The JSON carries a ``synthetic`` section (positions, the spec) for the maps.

    Examples
    --------
    With three of the five user types in the west, both platforms crowd onto the western model
    (a homogenized equilibrium), although one platform per group would serve users better:

    >>> spec = validate_spec({
    ...     "name": "two-groups", "seed": 0, "platforms": 2,
    ...     "mixture": [{"weight": 0.6, "mean": [0, 0], "cov": [[1, 0], [0, 1]]},
    ...                 {"weight": 0.4, "mean": [4, 0], "cov": [[1, 0], [0, 1]]}],
    ...     "users": {"placement": "sample", "count": 5},
    ...     "models": [{"name": "west", "bias": 0.1, "bumps": [{"center": [0, 0], "amplitude": 0.8, "width": 1.5}]},
    ...                {"name": "east", "bias": 0.1, "bumps": [{"center": [4, 0], "amplitude": 0.8, "width": 1.5}]}]})
    >>> import milp_market as mm
    >>> inst = build_instance(spec)
    >>> inst.model_names, inst.type_names, inst.platforms
    (('west', 'east'), ('u0', 'u1', 'u2', 'u3', 'u4'), 2)
    >>> res = mm.solve(inst)
    >>> res.best.counts, res.social_optimum.counts, round(res.price_of_anarchy, 4)
    ({'west': 2}, (1, 1), 1.321)
    >>> build_instance(spec, models=[1], platforms=1).model_names
    ('east',)
    """
    pos, mass = user_types(spec)
    idx = list(range(len(spec["models"]))) if models is None else list(models)
    sub = dict(spec, models=[spec["models"][j] for j in idx])
    S = score_matrix(sub, pos)
    width = len(str(len(mass) - 1))
    tnames = [f"u{t:0{width}d}" for t in range(len(mass))]
    N = spec["platforms"] if platforms is None else platforms
    desc = spec["description"] or (
        f"Synthetic market (milp_market.synthetic): {len(mass)} user types "
        f"({spec['users']['placement']}) from a {len(spec['mixture'])}-component 2-D Gaussian mixture, "
        f"{len(idx)} bias-plus-bumps models, {N} platforms."
    )
    try:
        return make_instance(
            S, mass, N, name=spec["name"], model_names=[m["name"] for m in sub["models"]], type_names=tnames,
            utility=spec["utility"], choice=spec["choice"]["rule"], beta=spec["choice"].get("beta", 1.0),
            description=desc, source=where or spec["name"],
            extra={"synthetic": {"positions": np.round(pos, 10).tolist(), "spec": sub}},
        )
    except InstanceError as exc:
        raise InstanceError(f"{exc} (synthetic spec: change a model's bias or bumps)") from None


# ---------------------------------------------------------------------------------------------- maps


def _serving_index(spec: dict, counts, X, Y) -> np.ndarray:
    """At each point of the mesh, the index (into spec models) of the in-use model with the highest
    score (first in pool order on exact ties); -1 where every in-use model scores 0."""
    used = [j for j, c in enumerate(counts) if c > 0]
    pts = np.column_stack([X.ravel(), Y.ravel()])
    S = score_matrix(dict(spec, models=[spec["models"][j] for j in used]), pts)
    best = np.asarray(used)[np.argmax(S, axis=0)]
    best[S.max(axis=0) <= 0] = -1
    return best.reshape(X.shape)


def map_figure(spec: dict, inst: Instance, panels, path, title: str | None = None) -> None:
    """Write one PNG (atomically) with a 2-D map per answer.

    ``panels``: list of (label, counts or None). Each map colours the plane by the in-use model that
    serves it (highest score; under logit choice the most-chosen one), draws the user density as
    contours and the user types as dots sized by mass.

    Examples
    --------
    >>> spec = validate_spec({
    ...     "name": "two-groups", "seed": 0, "platforms": 2,
    ...     "mixture": [{"weight": 0.6, "mean": [0, 0], "cov": [[1, 0], [0, 1]]},
    ...                 {"weight": 0.4, "mean": [4, 0], "cov": [[1, 0], [0, 1]]}],
    ...     "users": {"placement": "sample", "count": 5},
    ...     "models": [{"name": "west", "bias": 0.1, "bumps": [{"center": [0, 0], "amplitude": 0.8, "width": 1.5}]},
    ...                {"name": "east", "bias": 0.1, "bumps": [{"center": [4, 0], "amplitude": 0.8, "width": 1.5}]}]})
    >>> import pathlib, tempfile
    >>> inst = build_instance(spec)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     map_figure(spec, inst, [("both west", (2, 0)), ("one each", (1, 1))], pathlib.Path(d) / "map.png")
    ...     (pathlib.Path(d) / "map.png").read_bytes()[1:4]
    b'PNG'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from .sweep import replace_file

    pos = np.asarray(inst.extra["synthetic"]["positions"]) if "synthetic" in inst.extra else user_types(spec)[0]
    pad = 1.0
    x0, x1 = pos[:, 0].min() - pad, pos[:, 0].max() + pad
    y0, y1 = pos[:, 1].min() - pad, pos[:, 1].max() + pad
    for c in spec["mixture"]:
        sd = np.sqrt(np.diag(c["cov"]))
        x0, x1 = min(x0, c["mean"][0] - 2.5 * sd[0]), max(x1, c["mean"][0] + 2.5 * sd[0])
        y0, y1 = min(y0, c["mean"][1] - 2.5 * sd[1]), max(y1, c["mean"][1] + 2.5 * sd[1])
    X, Y = np.meshgrid(np.linspace(x0, x1, 240), np.linspace(y0, y1, 240))
    D = mixture_density(spec["mixture"], np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    M = len(spec["models"])
    colors = plt.get_cmap("tab10" if M <= 10 else "tab20")(np.arange(M) % (10 if M <= 10 else 20))
    cmap = ListedColormap(np.vstack([[0.92, 0.92, 0.92, 1.0], colors]))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.4), squeeze=False)
    for ax, (label, counts) in zip(axes[0], panels):
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        if counts is None:
            ax.text(0.5, 0.5, "no pure equilibrium", ha="center", va="center", transform=ax.transAxes)
            ax.set_title(label, fontsize=10)
            ax.contour(X, Y, D, levels=6, colors="k", linewidths=0.6, alpha=0.6)
            ax.scatter(pos[:, 0], pos[:, 1], s=12 + 600 * inst.masses, c="white", edgecolors="k", linewidths=0.6, zorder=3)
            continue
        idx = _serving_index(spec, counts, X, Y)
        ax.pcolormesh(X, Y, idx + 1, cmap=cmap, vmin=-0.5, vmax=M + 0.5, shading="auto")
        ax.contour(X, Y, D, levels=6, colors="k", linewidths=0.6, alpha=0.6)
        ax.scatter(pos[:, 0], pos[:, 1], s=12 + 600 * inst.masses, c="white", edgecolors="k", linewidths=0.6, zorder=3)
        used = [(j, c) for j, c in enumerate(counts) if c > 0]
        handles = [Patch(color=colors[j], label=f"{spec['models'][j]['name']} x{c}") for j, c in used]
        ax.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.85)
        ax.set_title(label, fontsize=10)
    if title:
        fig.suptitle(title, fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    replace_file(Path(path), buf.getvalue())


def answer_panels(inst: Instance, res) -> list[tuple[str, tuple | None]]:
    """(label, counts) for the best and worst equilibrium and the social optimum of a result.

    Examples
    --------
    >>> spec = validate_spec({
    ...     "name": "two-groups", "seed": 0, "platforms": 2,
    ...     "mixture": [{"weight": 0.6, "mean": [0, 0], "cov": [[1, 0], [0, 1]]},
    ...                 {"weight": 0.4, "mean": [4, 0], "cov": [[1, 0], [0, 1]]}],
    ...     "users": {"placement": "sample", "count": 5},
    ...     "models": [{"name": "west", "bias": 0.1, "bumps": [{"center": [0, 0], "amplitude": 0.8, "width": 1.5}]},
    ...                {"name": "east", "bias": 0.1, "bumps": [{"center": [4, 0], "amplitude": 0.8, "width": 1.5}]}]})
    >>> import milp_market as mm
    >>> inst = build_instance(spec)
    >>> answer_panels(inst, mm.solve(inst))  # doctest: +NORMALIZE_WHITESPACE
    [('best equilibrium, welfare 0.5606', (2, 0)), ('worst equilibrium, welfare 0.5606', (2, 0)),
     ('social optimum, welfare 0.7406', (1, 1))]
    """
    def w(p):
        return f"welfare {p.welfare:.4f}"

    panels = []
    for label, summ in (("best equilibrium", res.best), ("worst equilibrium", res.worst)):
        if summ is None:
            panels.append((label, None))
        else:
            panels.append((f"{label}, {w(summ.profile)}", tuple(summ.profile.counts)))
    so = res.social_optimum
    panels.append((f"social optimum, {w(so)}", tuple(so.counts)))
    return panels


# ---------------------------------------------------------------------------------------------- CIFAR-10 profiles

CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
# The classes each published checkpoint (ddpm_lora_<name>.pt) was fine-tuned on; ``half`` is read
# as a generalist (no fine-tuning classes), as in the earlier builds.
CIFAR_FINE_TUNED = {
    "airauto": ("airplane", "automobile"),
    "birdcat": ("bird", "cat"),
    "catdog": ("cat", "dog"),
    "catdog1.5": ("cat", "dog"),
    "half": (),
    "shiptruck": ("ship", "truck"),
}
# Nominal specialization strength s (share of the sampling mass moved onto the fine-tuning classes).
CIFAR_STRENGTH = {"airauto": 0.6, "birdcat": 0.6, "catdog": 0.6, "catdog1.5": 0.8, "half": 0.0, "shiptruck": 0.6}
CIFAR_NOISE = 0.25  # sigma of the per-class log-normal classifier noise


def cifar_strengths(rng: np.random.Generator | None) -> dict[str, float]:
    """The nominal strengths (``rng`` None) or a random draw: every specialist s ~ U(0.4, 0.8),
    catdog1.5 = catdog's s + U(0.05, 0.15) (the longer fine-tuning), half 0.

    Examples
    --------
    >>> cifar_strengths(None)["catdog1.5"], cifar_strengths(None)["half"]
    (0.8, 0.0)
    >>> s = cifar_strengths(np.random.default_rng(0))
    >>> 0.05 <= s["catdog1.5"] - s["catdog"] <= 0.15, all(0.4 <= s[m] <= 0.8 for m in ("airauto", "catdog"))
    (True, True)
    """
    if rng is None:
        return dict(CIFAR_STRENGTH)
    s = {m: float(rng.uniform(0.4, 0.8)) for m in ("airauto", "birdcat", "catdog", "shiptruck")}
    s["catdog1.5"] = s["catdog"] + float(rng.uniform(0.05, 0.15))
    s["half"] = 0.0
    return s


def cifar_profile(model: str, strength: float, rng: np.random.Generator, noise: float = CIFAR_NOISE) -> np.ndarray:
    """A model's expected classifier probabilities over the ten CIFAR-10 classes (sums to 1).

    Rule: the base DDPM samples every class equally (1/10); fine-tuning moves a share ``strength``
    of the mass onto the model's fine-tuning classes (equally), taking it from every class alike,
    so a specialist gains on its classes and loses elsewhere; then each class is multiplied by
    exp(noise z), z ~ N(0, 1) from ``rng`` (10 draws, class order), and the profile renormalized.

    Examples
    --------
    >>> p = cifar_profile("catdog", 0.6, np.random.default_rng(0), noise=0.0)
    >>> p.round(2).tolist(), round(float(p.sum()), 12)
    ([0.04, 0.04, 0.04, 0.34, 0.04, 0.34, 0.04, 0.04, 0.04, 0.04], 1.0)
    """
    fine = CIFAR_FINE_TUNED[model]
    p = np.full(len(CIFAR_CLASSES), (1.0 - strength) / len(CIFAR_CLASSES))
    for c in fine:
        p[CIFAR_CLASSES.index(c)] += strength / len(fine)
    if not fine:
        p = np.full(len(CIFAR_CLASSES), 1.0 / len(CIFAR_CLASSES))
    p = p * np.exp(noise * rng.standard_normal(len(CIFAR_CLASSES)))
    return p / p.sum()


def cifar_profiles(pool, seed: int, random_strength: bool = False) -> np.ndarray:
    """(M, 10) profiles for the models of ``pool`` (in order) from ``numpy.random.default_rng(seed)``:
    first the strengths (when ``random_strength``; otherwise the nominal ones), then the noise,
    model by model.

    Examples
    --------
    The generalist ``half`` samples every class near 1/10; ``catdog`` puts about a third of its
    mass on each of cat (index 3) and dog (index 5):

    >>> P = cifar_profiles(["half", "catdog"], seed=0)
    >>> P.shape, P.sum(axis=1).round(12).tolist(), P[1].argsort()[-2:].tolist()
    ((2, 10), [1.0, 1.0], [5, 3])
    """
    rng = np.random.default_rng(seed)
    s = cifar_strengths(rng if random_strength else None)
    return np.array([cifar_profile(m, s[m], rng) for m in pool])
