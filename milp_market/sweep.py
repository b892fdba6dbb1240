"""``milp-market sweep SPEC``: solve a grid of instances on Dask and write a tidy table and plots.

A SPEC (TOML or JSON) names a base instance file or a generator, and the axes:

```toml
name = "cifar-pool"
base = "instances/cifar10_paper.json"     # or: [generator] family = "specialist", M = 10, K = 20, N = 3
out = "reports/sweeps/cifar-pool"         # results.csv and plots go here
time_limit = 60                           # seconds per point
method = "auto"                           # milp | enumerate | auto
[axes]
pool = [2, 3, 4, 5]                       # first m models of the base pool, in pool order
platforms = [1, 2, 3]
beta = [0.5, 5]                           # switches to softmax choice with this beta
seed = [0, 1]                             # generator seeds (generator specs only)
```

Points run on a local Dask cluster (processes, one solver thread each) unless ``--scheduler`` gives
an existing one. Each finished point is appended to ``results.csv`` at once, so a re-run skips the
points already there. A point that fails (bad input, solver error) or times out is recorded with
its status and message and does not stop the sweep.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

from .instance import InstanceError

AXES = ("pool", "platforms", "beta", "seed")
COLUMNS = [
    "point", "pool", "platforms", "beta", "seed", "status", "welfare_best", "welfare_worst", "social_welfare",
    "price_of_anarchy", "price_of_stability", "hhi_best", "hhi_worst", "structure_best", "structure_worst",
    "counts_best", "method", "seconds", "error",
]


def load_spec(path) -> dict:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise InstanceError(f"{path}: cannot read sweep spec ({exc.strerror or exc})") from None
    try:
        if path.suffix == ".toml":
            import tomllib

            spec = tomllib.loads(text)
        else:
            spec = json.loads(text)
    except Exception as exc:  # tomllib and json raise different types
        raise InstanceError(f"{path}: malformed sweep spec ({exc})") from None
    if ("base" in spec) == ("generator" in spec):
        raise InstanceError(f"{path}: give exactly one of 'base' (an instance file) or 'generator'")
    axes = spec.get("axes", {})
    unknown = [a for a in axes if a not in AXES]
    if unknown:
        raise InstanceError(f"{path}: unknown axis {unknown[0]!r}; axes are {', '.join(AXES)}")
    for a, values in axes.items():
        if not isinstance(values, list) or not values:
            raise InstanceError(f"{path}: axes.{a} must be a non-empty list")
    if "out" not in spec:
        raise InstanceError(f"{path}: missing key 'out' (the output directory)")
    if "base" in spec:
        base = Path(spec["base"])
        spec["base"] = str(base if base.is_absolute() else (Path.cwd() / base))
    return spec


def points(spec: dict) -> list[dict]:
    axes = spec.get("axes", {})
    names = [a for a in AXES if a in axes]
    out = []
    for values in itertools.product(*(axes[a] for a in names)):
        p = dict(zip(names, values))
        p["point"] = "|".join(f"{k}={p[k]}" for k in names)
        out.append(p)
    return out


def build_point_instance(spec: dict, p: dict):
    from .generators import generate
    from .instance import load_instance, make_instance

    if "generator" in spec:
        g = spec["generator"]
        inst = generate(g["family"], int(g["M"]), int(g["K"]), int(p.get("platforms", g["N"])), int(p.get("seed", g.get("seed", 0))))
    else:
        inst = load_instance(spec["base"])
    m = int(p.get("pool", inst.n_models))
    if not 1 <= m <= inst.n_models:
        raise InstanceError(f"pool={m}: the base pool has {inst.n_models} models")
    return make_instance(
        inst.scores[:m],
        inst.masses,
        p.get("platforms", inst.platforms),
        name=f"{inst.name}[{p['point']}]",
        model_names=inst.model_names[:m],
        type_names=inst.type_names,
        utility=inst.utility,
        choice="softmax" if "beta" in p else inst.choice,
        beta=float(p.get("beta", inst.beta)),
        source=f"point {p['point']}",
    )


def solve_point(spec: dict, p: dict) -> dict:
    """Solve one point; never raises (a failure becomes a row with status 'error')."""
    from .solve import solve_market

    row = {c: None for c in COLUMNS}
    row.update({k: p.get(k) for k in ("point", *AXES)})
    t0 = time.perf_counter()
    try:
        inst = build_point_instance(spec, p)
        res = solve_market(inst, spec.get("method", "auto"), spec.get("time_limit"))
        row["status"] = res.status.value
        row["method"] = res.method
        if res.social_optimum is not None:
            row["social_welfare"] = res.social_optimum.welfare
        if res.best is not None and res.best.profile is not None and res.status.value == "equilibrium":
            b, w = res.best.profile, res.worst.profile
            row.update(
                welfare_best=b.welfare, welfare_worst=w.welfare, hhi_best=b.hhi, hhi_worst=w.hhi,
                structure_best=b.structure, structure_worst=w.structure,
                counts_best=json.dumps(inst.counts_dict(b.counts)),
                price_of_anarchy=res.price_of_anarchy, price_of_stability=res.price_of_stability,
            )
    except Exception as exc:  # recorded, never fatal to the sweep
        row["status"] = "error"
        row["error"] = f"{type(exc).__name__}: {exc}"
    row["seconds"] = round(time.perf_counter() - t0, 4)
    return row


def run_sweep(spec_path, scheduler: str | None = None, workers: int = 2, progress: bool = True):
    """Run (or resume) a sweep; returns the results as a pandas DataFrame."""
    import pandas as pd

    spec = load_spec(spec_path)
    out = Path(spec["out"])
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "results.csv"
    done = set(pd.read_csv(csv)["point"].astype(str)) if csv.exists() else set()
    todo = [p for p in points(spec) if p["point"] not in done]
    if todo:
        from dask.distributed import Client, LocalCluster, as_completed

        cluster = None
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
        try:
            futures = [client.submit(solve_point, spec, p, pure=False) for p in todo]
            bar = None
            if progress:
                from tqdm import tqdm

                bar = tqdm(total=len(futures), desc=f"sweep {spec.get('name', out.name)}", unit="point")
            for fut in as_completed(futures):
                row = fut.result()
                frame = pd.DataFrame([row], columns=COLUMNS)
                frame.to_csv(csv, mode="a", header=not csv.exists(), index=False)
                if bar:
                    bar.update(1)
            if bar:
                bar.close()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    table = pd.read_csv(csv)
    _plots(table, spec, out)
    return table


def _plots(table, spec, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = table[table["status"].isin(["equilibrium", "no_equilibrium"])]
    for axis in [a for a in AXES if a in spec.get("axes", {}) and len(spec["axes"][a]) > 1]:
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
        g = ok.groupby(axis)
        axes[0].plot(g["social_welfare"].mean(), "o-", label="social optimum")
        axes[0].plot(g["welfare_best"].mean(), "s-", label="best equilibrium")
        axes[0].plot(g["welfare_worst"].mean(), "v-", label="worst equilibrium")
        axes[0].set_ylabel("welfare (mean over other axes)")
        axes[0].legend(fontsize=7)
        axes[1].plot(g["price_of_anarchy"].mean(), "o-", label="PoA")
        axes[1].plot(g["price_of_stability"].mean(), "s-", label="PoS")
        axes[1].legend(fontsize=7)
        axes[2].plot(g.apply(lambda d: (d["status"] == "equilibrium").mean(), include_groups=False), "o-", label="share with an equilibrium")
        axes[2].plot(g["hhi_best"].mean(), "s-", label="HHI (best eq.)")
        axes[2].legend(fontsize=7)
        for ax in axes:
            ax.set_xlabel(axis)
        fig.tight_layout()
        fig.savefig(out / f"by_{axis}.png", dpi=100)
        plt.close(fig)
