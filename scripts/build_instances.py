"""Build the instance JSON files in instances/ from the data in ../shared/data.

Run from the repository root:

    .venv/bin/python scripts/build_instances.py [--out DIR]

(--out DIR writes into DIR instead of instances/, e.g. to diff a rebuild against the shipped files.)

Deterministic (no randomness at build time). Writes:

    instances/cifar10_paper.json              seed paper's CIFAR-10 game, ILLUSTRATIVE per-class qualities
    instances/cifar10_paper_logit.json        the same under logit choice, beta 20
    instances/cifar10_paper_qualities.csv     the illustrative per-class qualities used above
    instances/arena_explorer_topics.json      LMArena Arena Explorer topics, topic-share masses
    instances/arena_explorer_topics_no_leader.json   same without the model that is best on all topics
    instances/wildbench_tasks.json            WildBench v2 WB-score by task, uniform masses
    instances/lmarena_categories.json         LMArena text categories (7), uniform masses
    instances/lmarena_categories_weighted.json  LMArena text categories (4) with LMArena 2025 shares
    instances/lmarena_full.json               LMArena text table, all 229 models x 17 columns, uniform
    instances/lmarena_full_weighted.json      all 229 models x the 4 columns with LMArena 2025 shares
    instances/homogenized.json, differentiated.json, no_equilibrium.json, ties.json
                                              hand-made known-answer instances

Instance format:
    {"name", "description", "user_types": [{"name", "mass"}], "models": [{"name", "scores"}],
     "platforms": N, "choice": {"rule": "hardmax"}, "utility": "score_share"}

Instances are built and validated by milp_market.instance.make_instance (the loader's checks),
written by save_instance and re-loaded with load_instance; the expected pure-Nash-equilibrium sets
of the hand-made instances are re-checked by complete enumeration (see `pure_nash_equilibria`); no
equilibrium is computed for the two full LMArena files (229 models: too slow to enumerate).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd

from milp_market.enumeration import enumerate_profiles
from milp_market.instance import Instance, load_instance, make_instance, save_instance

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "instances"  # main(["--out", DIR]) writes elsewhere, e.g. to diff a rebuild

SCORE_DECIMALS = 6  # real-data scores are rounded to this many decimals in the JSON


# ----------------------------------------------------------------------------------------------
# generic helpers
# ----------------------------------------------------------------------------------------------
def shipped_instance(scores, masses, platforms: int, **kwargs) -> Instance:
    """make_instance (all of the loader's validation), keeping the masses these files were first
    written with, masses / sum(masses): make_instance scales by the largest mass first, which moves
    the last bit of some masses (cifar10_paper, arena_explorer_topics, ...), and the shipped files
    stay byte-identical. Both normalizations agree to within 1e-15."""
    inst = make_instance(scores, masses, platforms, **kwargs)
    file_masses = np.asarray(masses, dtype=float) / np.sum(masses)
    assert abs(file_masses - inst.masses).max() <= 1e-15, inst.name
    return dataclasses.replace(inst, masses=file_masses)


def write_json(inst: Instance, filename: str) -> Path:
    """save_instance, then re-load the file (full validation) and check it is the same game."""
    assert inst.description, f"{inst.name}: every shipped instance says where it comes from"
    path = OUT / filename
    save_instance(inst, path)
    on_disk = load_instance(path)
    assert on_disk.model_names == inst.model_names and on_disk.type_names == inst.type_names
    assert np.array_equal(on_disk.scores, inst.scores)
    assert abs(on_disk.masses - inst.masses).max() <= 1e-15
    return path


def winprob_vs_median(ratings: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Per column: P(win vs a reference of rating R_ref) = 1/(1+10^((R_ref-R)/400)),
    R_ref = median of that column over ALL models in the file (not only the selected ones)."""
    ref = ratings.median(axis=0)
    return 1.0 / (1.0 + 10.0 ** ((ref - ratings) / 400.0)), ref


def rank_spread(ratings: pd.DataFrame) -> pd.Series:
    """Standard deviation, across columns, of each model's rank within `ratings` (1 = best)."""
    return ratings.rank(ascending=False, axis=0).std(axis=1)


def pick_by_spread(ratings: pd.DataFrame, k: int, exclude=()) -> list[str]:
    """The k models of `ratings` with the largest rank spread (ties: higher mean rating first)."""
    df = pd.DataFrame({"spread": rank_spread(ratings), "mean": ratings.mean(axis=1)})
    df = df.drop(index=[m for m in exclude if m in df.index])
    df = df.sort_values(["spread", "mean"], ascending=[False, False], kind="mergesort")
    return list(df.index[:k])


def usage_shares(source_prefix: str, mapping: dict[str, str]) -> tuple[list[float], float]:
    """share_pct of usage_shares.csv rows whose source starts with `source_prefix`, for the
    categories mapping.values(), in mapping order. Returns (shares, their sum)."""
    u = pd.read_csv(DATA / "usage_shares.csv")
    u = u[u["source"].str.startswith(source_prefix)]
    shares = []
    for col, cat in mapping.items():
        rows = u[u["category"] == cat]
        assert len(rows) == 1, (source_prefix, cat, len(rows))
        shares.append(float(rows["share_pct"].iloc[0]))
    return shares, float(sum(shares))


def fmt_list(xs) -> str:
    return ", ".join(str(x) for x in xs)


def pure_nash_equilibria(inst: Instance) -> list[tuple[int, ...]]:
    """All count vectors (platforms per model, models in file order) that are pure NE, by the
    package's complete enumeration (milp_market.game is the single source of the semantics)."""
    return sorted(enumerate_profiles(inst).equilibria)


# ----------------------------------------------------------------------------------------------
# 1. CIFAR-10 game shaped like the seed paper's experiment (ILLUSTRATIVE qualities)
# ----------------------------------------------------------------------------------------------
# ILLUSTRATIVE per-class qualities -- NOT measured. The seed paper computed its score matrix by
# sampling the checkpoints and scoring the samples with a CIFAR-10 classifier (its
# RealData/build_S_from_models.py: a group's score = its class weights dotted with the model's
# expected classifier probabilities), and did not publish it. So each model's quality vector here
# is a probability profile over the ten classes (non-negative, sums to 1), generated by the stated,
# seeded rule milp_market.synthetic.cifar_profile: the base DDPM samples every class equally;
# fine-tuning moves a share s of the mass onto the checkpoint's fine-tuning classes (a specialist
# gains there and loses elsewhere): s = 0.6 for airauto, birdcat, catdog, shiptruck, s = 0.8 for
# catdog1.5 (read as 1.5x the fine-tuning of catdog), half = generalist (uniform); then per-class
# log-normal classifier noise, sigma 0.25, from numpy default_rng(CIFAR_PROFILE_SEED), model by
# model in pool order, and renormalization. reports/paper-findings.md redoes the findings on this
# table and on a seeded family of 50 such draws (random s, scripts/paper_findings.py).
CIFAR_PROFILE_SEED = 0


def cifar_quality_table(classes: list[str], pool: list[str]) -> pd.DataFrame:
    from milp_market.synthetic import CIFAR_CLASSES, cifar_profiles

    assert tuple(classes) == CIFAR_CLASSES, classes
    q = pd.DataFrame(cifar_profiles(pool, CIFAR_PROFILE_SEED), index=pool, columns=classes)
    q = q.round(6)  # 6 decimals (as in the CSV); the rounding residual goes to each row's largest
    for m in pool:  # class, so every row of the CSV sums to 1 at 6 decimals
        c = q.loc[m].idxmax()
        q.loc[m, c] = round(q.loc[m, c] + 1.0 - q.loc[m].sum(), 6)
    q.index.name = "model"
    return q


def build_cifar() -> list[Path]:
    cfg = json.loads((DATA / "paper_cifar10_user_groups.json").read_text())
    classes = cfg["classes"]
    pool = []
    for line in (DATA / "paper_cifar10_model_pool.txt").read_text().split():
        stem = Path(line.strip()).name  # ddpm_lora_<name>.pt
        assert stem.startswith("ddpm_lora_") and stem.endswith(".pt"), stem
        pool.append(stem[len("ddpm_lora_"):-len(".pt")])
    assert pool == ["airauto", "birdcat", "catdog", "catdog1.5", "half", "shiptruck"], pool

    q = cifar_quality_table(classes, pool)
    groups = cfg["groups"]
    W = np.zeros((len(groups), len(classes)))
    for g, grp in enumerate(groups):
        for c, w in grp["weights"].items():
            W[g, classes.index(c)] = w
        assert abs(W[g].sum() - 1.0) < 1e-12, grp["name"]
    scores = q.values @ W.T  # score[model, group] = sum_c weight[group, c] * quality[model, c]
    masses = [g["mass"] for g in groups]

    desc = (
        "Shaped like the seed paper's CIFAR-10 experiment (osu-srml/Generative_Competition, "
        "RealData/configs @ 6f04375): the six user groups with their published class-preference "
        "weights and masses, and the six published class-specialist DDPM checkpoints. "
        "score[model, group] = sum_c weight[group, c] * quality[model, c]. The per-class qualities "
        "are ILLUSTRATIVE, not measured (the paper's score matrix is unpublished): each model's "
        "quality vector is a probability profile over the ten classes (its expected classifier "
        "probabilities, as in the seed's build_S_from_models.py), by the seeded rule "
        "milp_market.synthetic.cifar_profile: fine-tuning moves a share s of the uniform sampling "
        "mass onto the checkpoint's classes (s = 0.6; catdog1.5: 0.8; half: generalist, uniform), "
        f"then log-normal classifier noise (sigma 0.25, seed {CIFAR_PROFILE_SEED}). Table in "
        f"cifar10_paper_qualities.csv. Masses as published (sum {sum(masses):g}). 3 platforms."
    )
    inst = shipped_instance(
        np.round(scores, 10), masses, 3, name="cifar10_paper", description=desc,
        type_names=[g["name"] for g in groups], model_names=pool,
    )
    q_path = OUT / "cifar10_paper_qualities.csv"
    q.to_csv(q_path, float_format="%.6f")
    logit_desc = (
        "cifar10_paper.json (same groups, masses and illustrative scores, 3 platforms) under LOGIT "
        "user choice with beta 20 (the seed paper's softmax extension). Hardmax choice has a "
        "unique equilibrium here (airauto x1, catdog1.5 x2); with beta 20 the same profile is the "
        "unique pure equilibrium, with beta 5 the unique one is all three platforms on catdog1.5."
    )
    logit = shipped_instance(
        inst.scores, masses, 3, name="cifar10_paper_logit", description=logit_desc,
        type_names=inst.type_names, model_names=pool, choice="softmax", beta=20.0,
    )
    return [write_json(inst, "cifar10_paper.json"), q_path, write_json(logit, "cifar10_paper_logit.json")]


# ----------------------------------------------------------------------------------------------
# 3a. LMArena Arena Explorer topics (scores and masses from the same taxonomy)
# ----------------------------------------------------------------------------------------------
ARENA_POOL = 25  # candidate pool: the 25 models with the highest mean rating over the 3 topics
ARENA_K = 12


def build_arena() -> list[Path]:
    ratings = pd.read_csv(DATA / "arena_explorer_topics_202501.csv", index_col="model")
    cols = ["tech_programming", "puzzles", "creative_writing"]
    ratings = ratings[cols]
    P, ref = winprob_vs_median(ratings)

    mapping = {
        "tech_programming": "Tech Programming",
        "puzzles": "Puzzles (renamed Puzzles & Math)",
        "creative_writing": "Creative Writing",
    }
    shares, total = usage_shares("LMArena Arena Explorer topic clustering", mapping)

    mean = ratings.mean(axis=1).sort_values(ascending=False, kind="mergesort")
    leader = mean.index[0]
    assert all(ratings[c].idxmax() == leader for c in cols), "expected one model best on all topics"
    pool = ratings.loc[mean.index[:ARENA_POOL]]
    others = pick_by_spread(pool, ARENA_K - 1, exclude=[leader])
    selected = [m for m in mean.index if m == leader or m in others]  # ordered by mean rating

    common = (
        "Source: lmarena/arena-catalog @ b1e3d0c topic_clustering/data/v2/"
        "llm_performance_by_category.csv (Bradley-Terry ratings by topic, ~Jan 2025). "
        "Score = win probability against a reference rating, 1/(1+10^((R_ref-R)/400)), with R_ref "
        "= the column median over all 55 models in the file ("
        + ", ".join(f"{c} {ref[c]:.2f}" for c in cols)
        + "). Masses: LMArena Arena Explorer topic shares (usage_shares.csv, primary file "
        "recent_english_broad_percentage.csv, 48,890 English prompts): Tech Programming "
        f"{shares[0]}%, Puzzles (& Math) {shares[1]}%, Creative Writing {shares[2]}%, which cover "
        f"{total:.3f}% of prompts, renormalized over these three topics. "
    )
    desc = common + (
        f"Models: {leader} (best on all three topics) plus the {ARENA_K - 1} models with the "
        f"largest spread (std) of their per-topic ranks within the {ARENA_POOL} models of highest "
        "mean rating. Because one model is best on every topic, the hardmax game is homogenized: "
        "its unique pure equilibrium is all platforms on that model. 3 platforms."
    )
    desc_nl = common + (
        f"Same {ARENA_K - 1} models as arena_explorer_topics.json WITHOUT {leader} (which is best on "
        "all three topics), to give a game with no dominant model. 3 platforms."
    )
    t_names = cols
    inst = shipped_instance(
        np.round(P.loc[selected, cols].values, SCORE_DECIMALS), shares, 3,
        name="arena_explorer_topics", description=desc, type_names=t_names, model_names=selected,
    )
    sel_nl = [m for m in selected if m != leader]
    inst_nl = shipped_instance(
        np.round(P.loc[sel_nl, cols].values, SCORE_DECIMALS), shares, 3,
        name="arena_explorer_topics_no_leader", description=desc_nl, type_names=t_names,
        model_names=sel_nl,
    )
    return [
        write_json(inst, "arena_explorer_topics.json"),
        write_json(inst_nl, "arena_explorer_topics_no_leader.json"),
    ]


# ----------------------------------------------------------------------------------------------
# 3b. WildBench v2 WB-score by task
# ----------------------------------------------------------------------------------------------
WB_TOP = 5     # the 5 models with the highest mean WB-score ...
WB_POOL = 40   # ... plus the 10 with the largest rank spread among the 40 best by mean
WB_K = 15


def build_wildbench() -> list[Path]:
    wb = pd.read_csv(DATA / "wildbench_v2_wbscore_by_task.csv", index_col="model")
    cols = list(wb.columns)
    assert len(cols) == 5 and wb.values.min() > -20
    scores = (wb + 20.0) / 100.0
    mean = wb.mean(axis=1).sort_values(ascending=False, kind="mergesort")
    top = list(mean.index[:WB_TOP])
    spread = pick_by_spread(wb.loc[mean.index[:WB_POOL]], WB_K - WB_TOP, exclude=top)
    selected = [m for m in mean.index if m in top or m in spread]
    assert len(selected) == WB_K

    desc = (
        "Source: allenai/WildBench @ d6b8dca (Apache-2.0) leaderboard/data_dir/"
        "all_stat_wildbench.-1.json, WB-Score by task category (hard queries from real users; "
        "range -18.6 to 61.0). Score = (WB-score + 20) / 100 (shift so every score is positive, "
        "then rescale). Masses: uniform (0.2 each), because usage_shares.csv has no one-to-one "
        "match for these five task groups (e.g. NBER 'Technical Help' covers both coding and "
        "math/data analysis; no category corresponds to planning & reasoning). Models: the "
        f"{WB_TOP} with the highest mean WB-score plus the {WB_K - WB_TOP} with the largest spread "
        f"(std) of per-task ranks among the {WB_POOL} best by mean. 4 platforms."
    )
    inst = shipped_instance(
        np.round(scores.loc[selected, cols].values, SCORE_DECIMALS), np.full(len(cols), 1.0), 4,
        name="wildbench_tasks", description=desc, type_names=cols, model_names=selected,
    )
    return [write_json(inst, "wildbench_tasks.json")]


# ----------------------------------------------------------------------------------------------
# 3c. LMArena text leaderboard categories (2025-12-11)
# ----------------------------------------------------------------------------------------------
LM_COLS = ["coding", "math", "creative_writing", "if", "multiturn", "long_user", "expert"]
LM_POOL = 60   # candidate pool: top 60 by the 'full' (overall) rating
LM_K = 15
# the 4 columns that match the LMArena 2025 category shares of usage_shares.csv
LM_WEIGHTED = {
    "hard_6": "Hard Prompt",
    "if": "Instruction Following",
    "creative_writing": "Creative Writing",
    "math": "Math",
}


def build_lmarena() -> list[Path]:
    lm = pd.read_csv(DATA / "lmarena_text_categories_20251211.csv", index_col="model")
    P, ref = winprob_vs_median(lm)
    full = lm["full"].sort_values(ascending=False, kind="mergesort")
    pool = lm.loc[full.index[:LM_POOL], LM_COLS]
    chosen = pick_by_spread(pool, LM_K)
    selected = [m for m in full.index if m in chosen]  # ordered by overall rating

    src = (
        "Source: lmarena/arena-catalog @ c9558b6 (file from ea8297b, 12/11/2025 data) "
        "data/leaderboard-text.json, Bradley-Terry ratings by category. Score = win probability "
        "against a reference rating, 1/(1+10^((R_ref-R)/400)), with R_ref = the column median over "
        "all 229 models in the file ("
    )
    sel_txt = (
        f"Models: the {LM_K} models with the largest spread (std) of their per-category ranks over "
        f"the 7 categories {fmt_list(LM_COLS)}, among the top {LM_POOL} by overall rating (columns "
        "rank models almost identically, so a spread-based subset gives a richer game; the "
        "overall leaders are NOT included). Rating differences are often within the 95% intervals "
        "(see lmarena_text_categories_20251211_ci95_halfwidth.csv). "
    )
    desc = (
        src + ", ".join(f"{c} {ref[c]:.2f}" for c in LM_COLS) + "). Categories: "
        + fmt_list(LM_COLS) + ". Masses: uniform (1/7 each): only creative_writing, math and if "
        "have published shares in usage_shares.csv (multi-label LMArena 2025 shares), so the 7 "
        "are weighted equally (see lmarena_categories_weighted.json for share-weighted masses). "
        + sel_txt + "4 platforms."
    )
    inst = shipped_instance(
        np.round(P.loc[selected, LM_COLS].values, SCORE_DECIMALS), np.full(len(LM_COLS), 1.0), 4,
        name="lmarena_categories", description=desc, type_names=LM_COLS, model_names=selected,
    )

    wcols = list(LM_WEIGHTED)
    shares, total = usage_shares("LMArena blog A Deep Dive", LM_WEIGHTED)
    desc_w = (
        src + ", ".join(f"{c} {ref[c]:.2f}" for c in wcols) + "). Categories: hard_6 (Hard Prompts), "
        "if, creative_writing, math, i.e. the four columns with published LMArena 2025 category "
        "shares in usage_shares.csv (blog 'A Deep Dive into Recent Arena Data', text battles "
        "Apr 17-Jul 25 2025): "
        + ", ".join(f"{v} {s}%" for v, s in zip(LM_WEIGHTED.values(), shares))
        + f". Those shares are multi-label (a battle can count in several categories; these four sum "
        f"to {total:.2f}%); masses = the shares renormalized over the four, i.e. treated as "
        "exclusive. Same models as lmarena_categories.json (selected by rank spread over "
        "its 7 categories). " + sel_txt.split(". ", 1)[1] + "4 platforms."
    )
    inst_w = shipped_instance(
        np.round(P.loc[selected, wcols].values, SCORE_DECIMALS), shares, 4,
        name="lmarena_categories_weighted", description=desc_w, type_names=wcols,
        model_names=selected,
    )
    return [
        write_json(inst, "lmarena_categories.json"),
        write_json(inst_w, "lmarena_categories_weighted.json"),
    ]


# ----------------------------------------------------------------------------------------------
# 3d. LMArena text leaderboard, FULL table (all 229 models x 17 columns, 2025-12-11)
# ----------------------------------------------------------------------------------------------
# No equilibrium is computed or re-checked here: the known-answer re-check by complete
# enumeration (`pure_nash_equilibria`) is run only for the small hand-made instances and would be
# far too slow at 229 models (C(229 + 4 - 1, 4) ~ 1.2e8 count vectors, each evaluated with all
# its deviations). Answers for these two files are in reports/benchmarks.md.
LM_FULL_PLATFORMS = 4


def unique_names(names) -> tuple[list[str], list[str]]:
    """Names made unique by suffixing ' #2', ' #3', ... to repeats, in file order. Returns the
    new names and the names that were repeated (empty when all were already unique)."""
    seen: dict[str, int] = {}
    out, repeated = [], []
    for n in map(str, names):
        seen[n] = seen.get(n, 0) + 1
        if seen[n] == 1:
            out.append(n)
        else:
            out.append(f"{n} #{seen[n]}")
            if n not in repeated:
                repeated.append(n)
    assert len(set(out)) == len(out), "a suffixed name collides with a name in the file"
    return out, repeated


def exact_rating_ties(ratings: pd.DataFrame) -> list[str]:
    """'column: m1 = m2 (R)' for each group of models with exactly the same rating in a column."""
    out = []
    for c in ratings.columns:
        col = ratings[c]
        dup = col[col.duplicated(keep=False)]
        for v, grp in dup.groupby(dup, sort=False):
            out.append(f"{c}: {' = '.join(grp.index)} ({v:g})")
    return out


def build_lmarena_full() -> list[Path]:
    lm = pd.read_csv(DATA / "lmarena_text_categories_20251211.csv")
    names, repeated = unique_names(lm["model"])
    lm = lm.drop(columns="model").set_axis(pd.Index(names, name="model"), axis=0)
    assert lm.shape == (229, 17) and not lm.isna().any().any(), lm.shape
    cols = list(lm.columns)
    # R_ref = column median over all 229 models: the same transform as lmarena_categories.json.
    # Exact rating ties stay exact score ties; distinct rounded scores differ by >= 1e-6, so the
    # tie classes are unambiguous for milp_market.instance (TIE_TOL 1e-9).
    P, ref = winprob_vs_median(lm)

    src = (
        "Source: lmarena/arena-catalog @ c9558b6 (file from ea8297b, 12/11/2025 data) "
        "data/leaderboard-text.json, Bradley-Terry ratings by category. Score = win probability "
        "against a reference rating, 1/(1+10^((R_ref-R)/400)), with R_ref = the column median over "
        "all 229 models in the file (the same transform as lmarena_categories.json), rounded to "
        f"{SCORE_DECIMALS} decimals ("
    )

    def models_txt(used_cols: list[str]) -> str:
        ties = exact_rating_ties(lm[used_cols])
        return (
            f"Models: ALL {len(names)} models of the file, in file order (descending overall "
            "rating), no selection"
            + (f"; names repeated in the file, disambiguated with ' #2', ' #3', ...: "
               f"{fmt_list(repeated)}. " if repeated else " (all names in the file are distinct). ")
            + "Columns rank models almost identically (mean Spearman 0.98) and rating differences "
            "are often within the 95% intervals (see lmarena_text_categories_20251211_ci95_"
            "halfwidth.csv). "
            + (f"Exact rating ties (hence exactly tied scores, split equally under hardmax): "
               f"{'; '.join(ties)}. " if ties else "No exact rating ties in these columns. ")
            + f"{LM_FULL_PLATFORMS} platforms."
        )

    desc = (
        src + ", ".join(f"{c} {ref[c]:.2f}" for c in cols) + f"). Categories: all {len(cols)} "
        f"columns of the file: {fmt_list(cols)}. Masses: uniform (1/{len(cols)} each); "
        "usage_shares.csv has published shares only for hard_6, if, creative_writing and math "
        "(see lmarena_full_weighted.json). " + models_txt(cols)
    )
    inst = shipped_instance(
        np.round(P.loc[names, cols].values, SCORE_DECIMALS), np.full(len(cols), 1.0),
        LM_FULL_PLATFORMS,
        name="lmarena_full", description=desc, type_names=cols, model_names=names,
    )

    # Weighted variant: the LM_WEIGHTED mapping of lmarena_categories_weighted.json, not extended:
    # the LMArena 2025 blog shares cover only these four columns, and the other sources in
    # usage_shares.csv (NBER ChatGPT use, Arena Explorer topics of Jan 2025, Anthropic) are other
    # taxonomies and populations, with no category matching another column of this table.
    wcols = list(LM_WEIGHTED)
    shares, total = usage_shares("LMArena blog A Deep Dive", LM_WEIGHTED)
    desc_w = (
        src + ", ".join(f"{c} {ref[c]:.2f}" for c in wcols) + "). Categories: hard_6 (Hard Prompts), "
        "if, creative_writing, math, i.e. the four columns of the file with published LMArena 2025 "
        "category shares in usage_shares.csv (LMArena blog 'A Deep Dive into Recent Arena Data', "
        "text battles Apr 17-Jul 25 2025): "
        + ", ".join(f"{v} {s}%" for v, s in zip(LM_WEIGHTED.values(), shares))
        + f". Masses: those shares; they are multi-label (a battle can count in several categories; "
        f"these four sum to {total:.2f}%), so they are renormalized to sum 1 over the four, i.e. "
        "treated as exclusive user types. No other column has a matching published share. "
        + models_txt(wcols)
    )
    inst_w = shipped_instance(
        np.round(P.loc[names, wcols].values, SCORE_DECIMALS), shares, LM_FULL_PLATFORMS,
        name="lmarena_full_weighted", description=desc_w, type_names=wcols, model_names=names,
    )
    return [
        write_json(inst, "lmarena_full.json"),
        write_json(inst_w, "lmarena_full_weighted.json"),
    ]


# ----------------------------------------------------------------------------------------------
# 4. hand-made known-answer instances
# ----------------------------------------------------------------------------------------------
def build_known_answers() -> list[Path]:
    paths = []

    # -- homogenized ------------------------------------------------------------------------
    desc = (
        "Hand-made. N=3 platforms, 2 user types (mass 0.5 each), model A scores [1, 1], model B "
        "scores [0.1, 0.1]. Expected: exactly one pure Nash equilibrium, all three platforms on A "
        "(count vector [3, 0]); each earns 1/3. Why: whenever at least one platform offers A, A "
        "serves every user, so a platform on B earns 0; hence (3A) is an equilibrium (deviating to "
        "B: 1/3 -> 0), while (2A,1B) and (1A,2B) are not (a B platform earns 0 and gets 1/3 resp. "
        "1/2 by switching to A), and (3B) is not (each earns 0.1/3; switching to A earns 1)."
    )
    inst = shipped_instance([[1.0, 1.0], [0.1, 0.1]], [0.5, 0.5], 3, name="homogenized",
                            description=desc, type_names=["t1", "t2"], model_names=["A", "B"])
    assert pure_nash_equilibria(inst) == [(3, 0)]
    paths.append(write_json(inst, "homogenized.json"))

    # -- differentiated ---------------------------------------------------------------------
    desc = (
        "Hand-made. N=2 platforms, 2 user types (mass 0.5 each), model A scores [1, 0], model B "
        "scores [0, 1]. Expected: exactly one pure Nash equilibrium, one platform on A and one on B "
        "(count vector [1, 1]); each earns 0.5. Why: in (A,B) each serves its own type alone "
        "(0.5); switching to the other model gives a half share of one type (0.25). In (A,A) each "
        "earns 0.5*1/2 = 0.25 (type t2 scores 0 everywhere, so it is worth nothing), and switching "
        "to B earns 0.5; (B,B) is symmetric."
    )
    inst = shipped_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, name="differentiated",
                            description=desc, type_names=["t1", "t2"], model_names=["A", "B"])
    assert pure_nash_equilibria(inst) == [(1, 1)]
    paths.append(write_json(inst, "differentiated.json"))

    # -- no pure equilibrium ----------------------------------------------------------------
    # Found by a seeded random search (numpy default_rng(7); M=3, K=3, N=2; scores and masses on a
    # 0.01 grid; no ties inside a column), chosen as the instance with the largest margin
    # min over profiles of the best unilateral deviation gain (0.1956), then re-verified here.
    S = [[0.84, 0.86, 0.14], [0.31, 0.66, 0.83], [0.86, 0.34, 0.68]]
    desc = (
        "Hand-made (found by seeded random search, scores/masses on a 0.01 grid, verified by brute "
        "force). N=2 platforms, 3 user types with masses [0.32, 0.31, 0.37]; A = [0.84, 0.86, "
        "0.14], B = [0.31, 0.66, 0.83], C = [0.86, 0.34, 0.68]. Expected: NO pure Nash "
        "equilibrium. Why (rock-paper-scissors): head to head, A beats B (A wins t1, t2: "
        "0.5354 vs 0.3071), B beats C (B wins t2, t3: 0.5117 vs 0.2752), C beats A (C wins t1, t3: "
        "0.5268 vs 0.2666). In any mixed pair the loser switches to the model that beats the "
        "winner (AB: B->C, BC: C->A, CA: A->B); in a symmetric pair each earns half of that "
        "model's total (AA 0.2936, BB 0.3055, CC 0.3161) and switching to the model that beats it "
        "earns more (0.5268, 0.5354, 0.5117). Smallest best-deviation gain over all 6 profiles: "
        "0.1956."
    )
    inst = shipped_instance(S, [0.32, 0.31, 0.37], 2, name="no_equilibrium", description=desc,
                            type_names=["t1", "t2", "t3"], model_names=["A", "B", "C"])
    assert pure_nash_equilibria(inst) == []
    paths.append(write_json(inst, "no_equilibrium.json"))

    # -- ties -------------------------------------------------------------------------------
    desc = (
        "Hand-made tie-heavy instance. N=3 platforms, 4 user types of mass 0.25, scores in "
        "{0, 0.5, 1}: A = [1, 1, 0, 0], B = [0, 0, 1, 1], C = [1, 0, 1, 0], D = [0.5, 0.5, 0.5, "
        "0.5]. Expected: exactly three pure Nash equilibria (count vectors over [A,B,C,D]): "
        "AAB = [2,1,0,0], ABB = [1,2,0,0], ABC = [1,1,1,0], each held only with EXACT "
        "indifferences (best deviation gain exactly 0). Why: AAB: each A earns 0.25 (shares t1, "
        "t2), B earns 0.5; an A switching to B (-> B shares t3, t4: 0.25) or to C (ties A on t1 "
        "and B on t3: 0.125+0.125) gains nothing; to D earns 0 (every type already has a score-1 "
        "model); B -> A 1/6, B -> C 1/3, B -> D 0.25, all < 0.5. ABB is the mirror image (swap A<->B "
        "and t1<->t3, t2<->t4; C and D map to themselves). ABC: A earns 0.375 (t1 tied with C, t2 "
        "alone), B 0.375, C 0.25 (half of t1 and of t3); C -> A or C -> B earns 0.25 (no gain), "
        "C -> D 0; A -> B or A -> C earns 0.2083, A -> D 0.125 (B symmetric). No other profile: "
        "ABD (D earns 0, D -> C earns 0.25); every profile without B has a platform that gains "
        "by switching to B (AAA, AAC, AAD, ACC, ACD, ADD, CCC, CCD, CDD, DDD: checked one by "
        "one), and by the mirror symmetry every profile without A has one that gains by "
        "switching to A. Tie handling (equal split among all platforms at the top score) and the "
        "1e-9 deviation threshold both matter here."
    )
    ties_scores = [[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5]]
    inst = shipped_instance(ties_scores, [0.25] * 4, 3, name="ties", description=desc,
                            type_names=["t1", "t2", "t3", "t4"], model_names=["A", "B", "C", "D"])
    assert set(pure_nash_equilibria(inst)) == {(2, 1, 0, 0), (1, 2, 0, 0), (1, 1, 1, 0)}
    paths.append(write_json(inst, "ties.json"))
    return paths


def main(argv=None) -> None:
    global OUT
    ap = argparse.ArgumentParser(description="Build instances/ from ../shared/data.")
    ap.add_argument("--out", type=Path, default=OUT, help="folder to write to (default: instances/)")
    OUT = ap.parse_args(argv).out.resolve()
    OUT.mkdir(exist_ok=True)
    written = []
    written += build_cifar()
    written += build_arena()
    written += build_wildbench()
    written += build_lmarena()
    written += build_lmarena_full()
    written += build_known_answers()
    for p in written:
        print(f"wrote {p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}")


if __name__ == "__main__":
    main()
