"""Build the uncertain LMArena instances (scores with 95% intervals) in instances/uncertain/.

Run from the repository root:

    .venv/bin/python scripts/build_uncertain_instances.py

Deterministic. For each shipped LMArena instance below it reads the same models and categories,
the ratings (../shared/data/lmarena_text_categories_20251211.csv) and their published 95%
half-widths (lmarena_text_categories_20251211_ci95_halfwidth.csv, same rows and columns), and
maps rating - half-width, rating and rating + half-width through the SAME rating-to-score transform
as scripts/build_instances.py (win probability against R_ref = the column median rating over all
229 models of the file, rounded to 6 decimals; milp_market.robust.winprob). The transform is
increasing, so the three give lower <= nominal <= upper. It checks that the nominal scores it
recomputes equal the shipped instance's scores exactly, then writes the instance with "lower" and
"upper" beside each model's "scores" (README, "robust"):

    instances/uncertain/lmarena_categories_uncertain.json           from lmarena_categories.json (15 x 7, N = 4)
    instances/uncertain/lmarena_categories_weighted_uncertain.json  from lmarena_categories_weighted.json (15 x 4, N = 4)
    instances/uncertain/lmarena_full_uncertain.json                 from lmarena_full.json (229 x 17, N = 4)

They live in a subfolder because their nominal games are the shipped instances themselves (the tests
that solve every instances/*.json would otherwise solve each LMArena game twice). Files are
written one model per line.

Every file is re-loaded with milp_market.robust.load_uncertain_instance (full validation).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from milp_market.robust import load_uncertain_instance, score_intervals_from_ratings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
BASE = ROOT / "instances"
OUT = BASE / "uncertain"
RATINGS = "lmarena_text_categories_20251211.csv"
HALFWIDTHS = "lmarena_text_categories_20251211_ci95_halfwidth.csv"
SOURCES = ("lmarena_categories", "lmarena_categories_weighted", "lmarena_full")


def build(base: str, ratings: pd.DataFrame, halfwidths: pd.DataFrame) -> Path:
    data = json.loads((BASE / f"{base}.json").read_text())
    models = [m["name"] for m in data["models"]]
    cols = [t["name"] for t in data["user_types"]]
    ref = ratings.median(axis=0)  # over all 229 models, as scripts/build_instances.py
    lo, nom, up = score_intervals_from_ratings(
        ratings.loc[models, cols].to_numpy(), halfwidths.loc[models, cols].to_numpy(), ref[cols].to_numpy()
    )
    shipped = np.array([m["scores"] for m in data["models"]], dtype=float)
    assert np.array_equal(nom, shipped), f"{base}: recomputed nominal scores differ from the shipped instance"
    for m, lrow, urow in zip(data["models"], lo, up):
        m["lower"] = [float(x) for x in lrow]
        m["upper"] = [float(x) for x in urow]
    data["name"] = f"{base}_uncertain"
    hw = halfwidths.loc[models, cols].to_numpy()
    data["description"] = (
        f"{base}.json with score intervals from the published 95% confidence half-widths of the ratings "
        f"({HALFWIDTHS}, same rows and columns as the ratings; half-widths of these cells {hw.min():g} to "
        f"{hw.max():g} rating points): lower/upper = the instance's rating-to-score transform (win probability "
        "against the column median rating R_ref over all 229 models, 1/(1+10^((R_ref-R)/400)), rounded to 6 "
        "decimals) applied to rating -/+ half-width; scores = the nominal scores of the shipped instance "
        f"(recomputed and checked equal). Built by scripts/build_uncertain_instances.py. Nominal instance: "
        + data["description"]
    )
    path = OUT / f"{base}_uncertain.json"
    path.write_text(dumps(data))
    unc = load_uncertain_instance(path)
    assert np.array_equal(unc.nominal.scores, shipped) and np.array_equal(unc.lower, lo) and np.array_equal(unc.upper, up)
    return path


def dumps(data: dict) -> str:
    """The instance JSON with one line per model and per user type (diff-friendly, compact)."""
    parts = []
    for key, value in data.items():
        if key in ("models", "user_types"):
            rows = ",\n".join("    " + json.dumps(x) for x in value)
            parts.append(f"  {json.dumps(key)}: [\n{rows}\n  ]")
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main() -> None:
    ratings = pd.read_csv(DATA / RATINGS, index_col="model")
    halfwidths = pd.read_csv(DATA / HALFWIDTHS, index_col="model")
    OUT.mkdir(exist_ok=True)
    assert list(ratings.index) == list(halfwidths.index) and list(ratings.columns) == list(halfwidths.columns)
    assert ratings.index.is_unique and not halfwidths.isna().any().any() and (halfwidths.to_numpy() >= 0).all()
    for base in SOURCES:
        print(f"wrote {build(base, ratings, halfwidths).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
