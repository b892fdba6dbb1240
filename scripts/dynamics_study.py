"""What best-response dynamics (the seed paper's method) misses, measured against certified answers
(issue 13, item 6).

For every instance this script certifies the complete set of pure equilibria with the support
search (``search.support_search``; a complete run lists every equilibrium, so the best and worst
equilibrium welfare are exact and "none" is a proof), then runs ``dynamics.best_response_dynamics``
from R seeded random starts (start r: each platform's model drawn with ``numpy.random.default_rng(r)``)
and classifies each run:

- converged to the **best** equilibrium (welfare within 1e-9 of the certified best), to the
  **worst** (within 1e-9 of the certified worst, and the worst is strictly below the best), or to
  one **between** them;
- **cycles although an equilibrium exists** (a state (assignment, next mover) came back, or the
  revision cap ``--max-steps`` was hit);
- **cannot converge**: no pure equilibrium exists (proven by the complete search).

Run from the repository root (about five minutes on one core):

    .venv/bin/python scripts/dynamics_study.py            # writes reports/dynamics-vs-certified.md

Instances: (1) every family of ``milp_market.generators`` x both utilities x the sizes in
``--sizes`` x ``--seeds`` seeds; (2) every hardmax instance in instances/*.json except the
strategic-entry examples (each certified within ``--time-limit`` seconds or skipped and listed);
(3) the smallest examples, found by an exhaustive scan of tiny generated instances (2-4 models,
1-3 types, 2-3 platforms, seeds 0..``--example-seeds``-1) in which BR is run from *every* start
assignment, and whose equilibria are certified twice (support search and complete enumeration).
"""

from __future__ import annotations

import argparse
import glob
import itertools
import math
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from milp_market import __version__, game, load_instance  # noqa: E402
from milp_market.dynamics import best_response_dynamics  # noqa: E402
from milp_market.enumeration import enumerate_profiles  # noqa: E402
from milp_market.generators import FAMILIES, generate  # noqa: E402
from milp_market.search import support_search  # noqa: E402

UTILITIES = ("score_share", "mass_share")
#: Two welfares closer than this are the same (the evaluator's EQ_TOL).
TOL = 1e-9
#: Default sizes (M models, K user types, N platforms): small to medium, each certified in < 1 s.
SIZES = "3x3x2,5x3x3,6x4x3,10x5x4,15x6x4,20x8x5,30x10x5"
#: The seed paper's run_br_from_S.py stops after this many rounds (its --rounds default) and
#: reports the last profile, whether or not it is an equilibrium.
SEED_ROUNDS = 8
#: Kinds of the shipped instances (instances/README.md says where each comes from).
KIND = {
    "arena_explorer_topics": "real",
    "arena_explorer_topics_no_leader": "real",
    "wildbench_tasks": "real",
    "lmarena_categories": "real",
    "lmarena_categories_weighted": "real",
    "lmarena_full": "real",
    "lmarena_full_weighted": "real",
    "cifar10_paper": "paper-shaped (illustrative qualities)",
    "cifar10_paper_findings": "paper-shaped (illustrative qualities)",
}


def kind(stem: str) -> str:
    """Where a shipped instance comes from (instances/README.md)."""
    if stem in KIND:
        return KIND[stem]
    base = stem.removesuffix("_uncertain")
    if base != stem and base in KIND:
        return KIND[base] + "; file with score intervals, run at its point scores"
    return "hand-made"


OUTCOMES = ("best", "worst", "between", "cycle", "max_steps", "no_eq")


# ----------------------------------------------------------------------------- one instance


@dataclass
class Run:
    """One BR run from a random start, classified against the certified equilibria."""

    start: tuple
    status: str
    steps: int
    welfare: float  # of the final profile (converged) or the mean along the cycle
    outcome: str  # one of OUTCOMES
    seed_rounds_eq: bool  # after SEED_ROUNDS rounds from the same start, is the profile an equilibrium?
    cycle: tuple = ()


@dataclass
class Case:
    """One instance: its certified equilibria and the BR runs on it."""

    label: str
    group: str
    size: tuple  # (M, K, N)
    inst: object
    equilibria: tuple
    welfare: tuple
    seconds: float
    runs: list = field(default_factory=list)
    seed_start: str = ""  # outcome from the seed paper's start: every platform on the pool's first model

    @property
    def has_eq(self) -> bool:
        return bool(self.equilibria)

    @property
    def best(self) -> float:
        return max(self.welfare)

    @property
    def worst(self) -> float:
        return min(self.welfare)

    @property
    def spread(self) -> bool:
        """Equilibria of different welfare exist (best and worst differ)."""
        return self.has_eq and self.best - self.worst > TOL


def certify(inst, time_limit=None):
    """(equilibria, welfare, complete, seconds) by the support search."""
    res = support_search(inst, time_limit=time_limit, social_optimum=False)
    return res.equilibria, res.welfare, res.complete, res.seconds


def classify(case: Case, res) -> str:
    if res.status != "converged":
        return "no_eq" if not case.has_eq else res.status
    n = res.counts(case.inst)
    assert n in case.equilibria, f"{case.label}: BR converged to {n}, not a certified equilibrium"
    w = game.welfare(case.inst, n)
    if abs(w - case.best) <= TOL:
        return "best"
    if abs(w - case.worst) <= TOL:
        return "worst"
    return "between"


def run_br(case: Case, starts: int, max_steps: int) -> None:
    inst, N = case.inst, case.inst.platforms
    for r in range(starts):
        res = best_response_dynamics(inst, seed=r, max_steps=max_steps)
        outcome = classify(case, res)
        if res.status == "converged":
            w = game.welfare(inst, res.counts(inst))
        elif res.cycle:
            w = float(np.mean([game.welfare(inst, c) for c in res.cycle]))
        else:
            w = game.welfare(inst, res.counts(inst))
        short = best_response_dynamics(inst, res.start, max_steps=SEED_ROUNDS * N)
        case.runs.append(Run(res.start, res.status, res.steps, w, outcome, game.is_equilibrium(inst, short.counts(inst)), res.cycle))
    case.seed_start = classify(case, best_response_dynamics(inst, [0] * N, max_steps=max_steps))


# ----------------------------------------------------------------------------- the instances


def generated_cases(sizes, seeds, starts, max_steps, log) -> list[Case]:
    cases = []
    for family in FAMILIES:
        for utility in UTILITIES:
            t0 = time.perf_counter()
            for (M, K, N) in sizes:
                for seed in range(seeds):
                    inst = generate(family, M, K, N, seed, utility=utility)
                    eqs, ws, complete, secs = certify(inst)
                    assert complete
                    case = Case(inst.name + ("" if utility == "score_share" else "@mass"), f"{family}/{utility}", (M, K, N), inst, eqs, ws, secs)
                    run_br(case, starts, max_steps)
                    cases.append(case)
            log(f"  {family}/{utility}: {len(sizes) * seeds} instances in {time.perf_counter() - t0:.1f} s")
    return cases


def shipped_cases(starts, max_steps, time_limit, log):
    cases, skipped = [], []
    for path in sorted(glob.glob(str(ROOT / "instances" / "*.json"))):
        stem = Path(path).stem
        inst = load_instance(path)
        if inst.choice != "hardmax" or stem.startswith("entry_"):
            continue
        eqs, ws, complete, secs = certify(inst, time_limit)
        if not complete:
            skipped.append((stem, secs))
            log(f"  {stem}: not certified within {time_limit:g} s, skipped")
            continue
        case = Case(stem, kind(stem), (inst.n_models, inst.n_types, inst.platforms), inst, eqs, ws, secs)
        t0 = time.perf_counter()
        run_br(case, starts, max_steps)
        log(f"  {stem} ({case.group}): {len(eqs)} equilibria ({secs:.2f} s), BR {time.perf_counter() - t0:.1f} s")
        cases.append(case)
    return cases, skipped


# ----------------------------------------------------------------------------- smallest examples


def tiny_instances(example_seeds):
    """Tiny generated instances, smallest first: by count vectors C(M+N-1, N), then M, K, N."""
    grid = [(M, K, N) for M in (2, 3, 4) for K in (1, 2, 3) for N in (2, 3)]
    grid.sort(key=lambda s: (game.n_profiles(s[0], s[2]), s[0], s[1], s[2]))
    for (M, K, N) in grid:
        for seed in range(example_seeds):
            for family in FAMILIES:
                for utility in UTILITIES:
                    inst = generate(family, M, K, N, seed, utility=utility)
                    inst.extra["_call"] = f"generate({family!r}, {M}, {K}, {N}, {seed}, utility={utility!r})"
                    yield inst


def all_starts(inst):
    return itertools.product(range(inst.n_models), repeat=inst.platforms)


def smallest_examples(example_seeds, max_steps, log):
    """The first tiny instance (in tiny_instances order) where BR cycles from some start although an
    equilibrium exists, and the first where BR converges from some start that is not an equilibrium
    but never, from any such start, to the best equilibrium (a worse one exists)."""
    found = {}
    for inst in tiny_instances(example_seeds):
        if len(found) == 2:
            break
        s = support_search(inst, social_optimum=False)
        if not s.equilibria:
            continue
        runs = [(start, best_response_dynamics(inst, start, max_steps=max_steps)) for start in all_starts(inst)]
        e = enumerate_profiles(inst)
        assert s.complete and e.complete and set(s.equilibria) == set(e.equilibria), inst.name
        if "cycle" not in found and any(r.status != "converged" for _, r in runs):
            runs = [(start, best_response_dynamics(inst, start, max_steps=max_steps, record=True)) for start in all_starts(inst)]
            found["cycle"] = (inst, s, runs)
            log(f"  smallest cycle with an equilibrium: {inst.name}")
        best = s.equilibria[0]  # sorted by decreasing welfare
        eqs = set(s.equilibria)
        moving = [r for start, r in runs if game_counts(start, inst.n_models) not in eqs]  # starts not already at rest
        if (
            "miss" not in found
            and s.welfare[0] - s.welfare[-1] > TOL
            and any(r.status == "converged" for r in moving)
            and not any(r.status == "converged" and r.counts(inst) == best for r in moving)
        ):
            found["miss"] = (inst, s, runs)
            log(f"  smallest instance whose best equilibrium BR reaches only from itself: {inst.name}")
    return found


def game_counts(assign, M):
    return tuple(int(c) for c in np.bincount(np.asarray(assign, dtype=np.int64), minlength=M))


# ----------------------------------------------------------------------------- aggregation


def pct(a, b):
    return "n/a" if b == 0 else f"{100.0 * a / b:.1f}%"


def frac(a, b):
    return f"{a:,}/{b:,} ({pct(a, b)})" if b else "0/0"


def summary(cases) -> dict:
    runs = [(c, r) for c in cases for r in c.runs]
    eq_runs = [(c, r) for c, r in runs if c.has_eq]
    spread_runs = [(c, r) for c, r in runs if c.spread]
    conv = [(c, r) for c, r in runs if r.status == "converged"]
    count = lambda rs, o: sum(r.outcome == o for _, r in rs)  # noqa: E731
    gap_best = [c.best - r.welfare for c, r in conv]
    rel_best = [(c.best - r.welfare) / c.best if c.best > 0 else 0.0 for c, r in conv]
    gap_worst = [r.welfare - c.worst for c, r in conv]
    rel_worst = [(r.welfare - c.worst) / c.worst if c.worst > 0 else 0.0 for c, r in conv]
    eq_cases = [c for c in cases if c.has_eq]
    spread_cases = [c for c in cases if c.spread]
    rel_spread = [(c.best - r.welfare) / c.best for c, r in conv if c.spread and c.best > 0]
    return {
        "rel_best_spread_mean": float(np.mean(rel_spread)) if rel_spread else float("nan"),
        "all_cycle_cases": [c for c in eq_cases if all(r.status != "converged" for r in c.runs)],
        "instances": len(cases),
        "with_eq": len(eq_cases),
        "with_spread": len(spread_cases),
        "runs": len(runs),
        "eq_runs": len(eq_runs),
        "spread_runs": len(spread_runs),
        "converged": len(conv),
        "best": count(runs, "best"),
        "worst": count(runs, "worst"),
        "between": count(runs, "between"),
        "cycle": count(runs, "cycle") + count(runs, "max_steps"),
        "max_steps": count(runs, "max_steps"),
        "no_eq": count(runs, "no_eq"),
        "spread_best": count(spread_runs, "best"),
        "spread_worst": count(spread_runs, "worst"),
        "spread_between": count(spread_runs, "between"),
        "spread_cycle": count(spread_runs, "cycle") + count(spread_runs, "max_steps"),
        "gap_best_mean": float(np.mean(gap_best)) if conv else float("nan"),
        "gap_best_max": float(np.max(gap_best)) if conv else float("nan"),
        "rel_best_mean": float(np.mean(rel_best)) if conv else float("nan"),
        "rel_best_max": float(np.max(rel_best)) if conv else float("nan"),
        "gap_worst_mean": float(np.mean(gap_worst)) if conv else float("nan"),
        "gap_worst_max": float(np.max(gap_worst)) if conv else float("nan"),
        "rel_worst_mean": float(np.mean(rel_worst)) if conv else float("nan"),
        "rel_worst_max": float(np.max(rel_worst)) if conv else float("nan"),
        "never_best": sum(not any(r.outcome == "best" for r in c.runs) for c in spread_cases),
        "never_worst": sum(not any(r.outcome == "worst" for r in c.runs) for c in spread_cases),
        "some_cycle": sum(any(r.status != "converged" for r in c.runs) for c in eq_cases),
        "all_cycle": sum(all(r.status != "converged" for r in c.runs) for c in eq_cases),
        "seed_rounds_eq": sum(r.seed_rounds_eq for _, r in eq_runs),
        "seed_start_best": sum(c.seed_start == "best" for c in spread_cases),
        "seed_start_cycle": sum(c.seed_start in ("cycle", "max_steps") for c in eq_cases),
    }


def g(x, nd=4):
    return "n/a" if isinstance(x, float) and math.isnan(x) else f"{x:.{nd}f}"


# ----------------------------------------------------------------------------- the report


def render(args, gen, ship, skipped, examples) -> str:
    L = []
    w = L.append
    cmd = ".venv/bin/python scripts/dynamics_study.py" + "".join(
        f" --{k.replace('_', '-')} {v}" for k, v in (
            ("starts", args.starts), ("seeds", args.seeds), ("sizes", args.sizes), ("max_steps", args.max_steps),
            ("time_limit", f"{args.time_limit:g}"), ("example_seeds", args.example_seeds),
        )
    )
    w("# What best-response dynamics misses: BR against certified equilibria")
    w("")
    w(f"Regenerate with: `{cmd}` (from the repository root; took @MINUTES@ minutes).")
    w("")
    w(f"milp_market {__version__}, Python {platform.python_version()}, numpy {np.__version__}. BR is "
      "`dynamics.best_response_dynamics` (platforms revise in turn, 0, 1, ..., N-1; a platform stays when its model is a "
      "best response within 1e-9, else takes the best response of lowest pool index; it stops after a round without a "
      "switch, or when a state (assignment, next mover) comes back: a cycle, or at the revision cap). Equilibria are "
      "certified by the complete support search (formulations/search.md), which lists every pure equilibrium; "
      f"R = {args.starts} random starts per instance (start r: each platform's model drawn uniformly with seed r). "
      "Trajectories of single runs: `milp-market dynamics INSTANCE --seed r --history FILE.csv`.")
    w("")
    sg, ss = summary(gen), summary(ship)
    w("## Headline")
    w("")
    w(f"- **Generated games** ({sg['instances']:,} instances, {sg['runs']:,} runs; {sg['with_eq']:,} instances have a pure "
      f"equilibrium, {sg['with_spread']:,} have equilibria of different welfare): BR converged in {frac(sg['converged'], sg['runs'])} "
      f"of the runs. Of the {sg['eq_runs']:,} runs on games with an equilibrium it converged in "
      f"{pct(sg['eq_runs'] - sg['cycle'], sg['eq_runs'])} and **cycled although an equilibrium exists in "
      f"{frac(sg['cycle'], sg['eq_runs'])}** ({frac(sg['some_cycle'], sg['with_eq'])} of those instances have at least one "
      f"cycling start, {sg['all_cycle']} cycle from every start). The other {frac(sg['no_eq'], sg['runs'])} runs could not "
      f"converge: their game has no pure equilibrium (proven), which BR cannot tell from a cycle.")
    w(f"- **Which equilibrium** (the {sg['spread_runs']:,} runs on the {sg['with_spread']} games whose equilibria differ in "
      f"welfare): best {frac(sg['spread_best'], sg['spread_runs'])}, worst {frac(sg['spread_worst'], sg['spread_runs'])}, "
      f"between {frac(sg['spread_between'], sg['spread_runs'])}, cycle {frac(sg['spread_cycle'], sg['spread_runs'])}. "
      f"From {args.starts} starts, BR **never found the best equilibrium on {frac(sg['never_best'], sg['with_spread'])}** of "
      f"these games and never found the worst on {frac(sg['never_worst'], sg['with_spread'])}"
      + (": R runs of BR certify neither end of the equilibrium set." if sg["never_best"] and sg["never_worst"] else "."))
    w(f"- **Welfare gap** of converged runs to the certified best equilibrium: mean {g(sg['rel_best_mean'] * 100, 2)}%, max "
      f"{g(sg['rel_best_max'] * 100, 1)}% (absolute mean {g(sg['gap_best_mean'])}, max {g(sg['gap_best_max'])}); above the "
      f"certified worst: mean {g(sg['rel_worst_mean'] * 100, 2)}%, max {g(sg['rel_worst_max'] * 100, 1)}%. Most games have "
      f"a single equilibrium welfare, so these means are small; over the converged runs on the {sg['with_spread']} games "
      f"whose equilibria differ, the mean gap to the best is {g(sg['rel_best_spread_mean'] * 100, 2)}%.")
    w(f"- **The seed's stopping rule** (its `run_br_from_S.py` reports the profile after `--rounds 8` rounds): on games "
      f"with an equilibrium, that profile is an equilibrium in {frac(sg['seed_rounds_eq'], sg['eq_runs'])} of the runs "
      "(generated), from the same starts. From the seed's own start (every platform on the pool's first model) BR "
      f"reaches the best equilibrium on {frac(sg['seed_start_best'], sg['with_spread'])} of the games whose equilibria "
      f"differ in welfare, and cycles on {frac(sg['seed_start_cycle'], sg['with_eq'])} of the games with an equilibrium.")
    real = [c for c in ship if c.group.startswith("real")]
    sr = summary(real)
    w(f"- **Real-data games** ({sr['instances']} hardmax instances from leaderboards, {sr['with_eq']} with a pure equilibrium, "
      f"{sr['with_spread']} with equilibria of different welfare; {sr['runs']} runs): converged {frac(sr['converged'], sr['runs'])}, "
      f"always to the best equilibrium when one exists ({frac(sr['best'], sr['eq_runs'])} of the runs on games with one"
      + ("; each of these games has exactly one equilibrium" if all(len(c.equilibria) == 1 for c in real if c.has_eq) else "")
      + "); "
      f"cycled although an equilibrium exists {frac(sr['cycle'], sr['eq_runs'])}; the other {frac(sr['no_eq'], sr['runs'])} "
      "cycle because no pure equilibrium exists, which only the certified search can say."
      if sr["best"] == sr["eq_runs"] else
      f"- **Real-data games** ({sr['instances']} hardmax instances from leaderboards, {sr['runs']} runs): converged "
      f"{frac(sr['converged'], sr['runs'])}; best {frac(sr['best'], sr['eq_runs'])} of the runs on games with an equilibrium; "
      f"cycled although an equilibrium exists {frac(sr['cycle'], sr['eq_runs'])}; no equilibrium {frac(sr['no_eq'], sr['runs'])}.")
    w(f"- **All shipped games** ({ss['instances']} hardmax instances, {ss['runs']} runs): converged "
      f"{frac(ss['converged'], ss['runs'])}; cycled although an equilibrium exists {frac(ss['cycle'], ss['eq_runs'])}; "
      f"could not converge (no equilibrium) {frac(ss['no_eq'], ss['runs'])}; best {frac(ss['best'], ss['runs'])}, "
      f"worst-only {frac(ss['worst'], ss['runs'])}, between {frac(ss['between'], ss['runs'])}"
      + (f"; not certified within {args.time_limit:g} s and skipped: {', '.join(s for s, _ in skipped)}" if skipped else
         "; every one certified within the time limit (none skipped)") + ".")
    if "cycle" in examples:
        inst = examples["cycle"][0]
        w(f"- **Smallest cycle although an equilibrium exists:** {inst.n_models} models, {inst.n_types} user types, "
          f"{inst.platforms} platforms (below).")
    w("")
    w("Outcome of a run: **best** = converged to an equilibrium whose welfare is within 1e-9 of the certified best; "
      "**worst** = within 1e-9 of the certified worst, which is strictly below the best; **between** = neither; "
      "**cycle** = did not converge although a pure equilibrium exists (a state came back, or the cap of "
      f"{args.max_steps:,} revisions was hit: {sg['max_steps'] + ss['max_steps']} runs); **no eq** = did not converge, and "
      "the complete search proves no pure equilibrium exists. Gaps are over converged runs: to best = (best - W) / best, "
      "above worst = (W - worst) / worst, W the welfare BR converged to.")
    w("")

    def table(rows, key_name):
        w(f"| {key_name} | instances | with eq | eq differ | runs | converged | best | worst | between | cycle (eq exists) "
          "| no eq | gap to best mean / max | above worst mean / max | never best | seed start: best | 8 rounds = eq |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for key, cs in rows:
            s = summary(cs)
            w(f"| {key} | {s['instances']} | {s['with_eq']} | {s['with_spread']} | {s['runs']} | {pct(s['converged'], s['runs'])} "
              f"| {pct(s['best'], s['runs'])} | {pct(s['worst'], s['runs'])} | {pct(s['between'], s['runs'])} "
              f"| {pct(s['cycle'], s['eq_runs'])} | {pct(s['no_eq'], s['runs'])} "
              f"| {g(s['rel_best_mean'] * 100, 2)}% / {g(s['rel_best_max'] * 100, 1)}% "
              f"| {g(s['rel_worst_mean'] * 100, 2)}% / {g(s['rel_worst_max'] * 100, 1)}% "
              f"| {s['never_best']}/{s['with_spread']} | {s['seed_start_best']}/{s['with_spread']} "
              f"| {pct(s['seed_rounds_eq'], s['eq_runs'])} |")
        w("")

    w("## Generated games")
    w("")
    w(f"Families of `milp_market.generators` (uniform, specialist, ties, dominant) x utilities (score_share, mass_share) x "
      f"sizes {args.sizes} (M models x K types x N platforms) x seeds 0..{args.seeds - 1}; hardmax choice. Columns: "
      "best/worst/between/no eq as a share of all runs, cycle as a share of the runs on games with an equilibrium; "
      f"\"never best\" counts games whose equilibria differ in welfare and where none of the {args.starts} starts reached "
      f"the best; \"seed start: best\": the same games, BR started with every platform on the pool's first model (the seed's start) reaches the best; \"8 rounds = eq\": the profile after the seed's {SEED_ROUNDS} rounds is an equilibrium (runs on games "
      "with one).")
    w("")
    w("By family and utility:")
    w("")
    by = {}
    for c in gen:
        by.setdefault(c.group, []).append(c)
    table([(k, by[k]) for k in by] + [("**all**", gen)], "family / utility")
    w("By size (all families and utilities):")
    w("")
    bys = {}
    for c in gen:
        bys.setdefault(c.size, []).append(c)
    table([(f"{M}x{K}x{N}", bys[(M, K, N)]) for (M, K, N) in sorted(bys, key=lambda s: (s[2], s[0]))], "M x K x N")
    if sg_all := summary(gen)["all_cycle_cases"]:
        w(f"Games where BR cycles from all {args.starts} starts although an equilibrium exists: "
          + ", ".join(f"`{c.label}` ({len(c.equilibria)} equilibri{'um' if len(c.equilibria) == 1 else 'a'})" for c in sg_all) + ".")
        w("")
    # the largest gap seen
    conv = [(c, r) for c in gen for r in c.runs if r.status == "converged" and c.best > 0]
    if conv:
        c, r = max(conv, key=lambda cr: (cr[0].best - cr[1].welfare) / cr[0].best)
        w(f"Largest gap to the best equilibrium among generated runs: `{c.label}` ({c.group}), start "
          f"{_assign(c.inst, r.start)}: BR converged to welfare {g(r.welfare)}, the certified best equilibrium has "
          f"{g(c.best)} ({_counts(c.inst, c.equilibria[0])}), {100 * (c.best - r.welfare) / c.best:.1f}% more; "
          f"{len(c.equilibria)} equilibria in all.")
        w("")

    w("## Shipped games")
    w("")
    w(f"Every hardmax instance in instances/ except the strategic-entry examples, certified by the support search "
      f"(limit {args.time_limit:g} s each)" + (f"; skipped: {', '.join(f'{s} ({t:.0f} s)' for s, t in skipped)}" if skipped else
                                             "; none needed more than the limit") + ".")
    w("")
    w("| instance | kind | M x K x N | equilibria | best W | worst W | search s | converged | best | worst | between "
      "| cycle (eq exists) | no eq | BR welfare range | 8 rounds = eq |")
    w("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for c in ship:
        s = summary([c])
        M, K, N = c.size
        conv_w = [r.welfare for r in c.runs if r.status == "converged"]
        rng = f"{g(min(conv_w))} .. {g(max(conv_w))}" if conv_w else "-"
        w(f"| {c.label} | {c.group} | {M}x{K}x{N} | {len(c.equilibria)} | {g(c.best) if c.has_eq else '-'} "
          f"| {g(c.worst) if c.has_eq else '-'} | {c.seconds:.2f} | {s['converged']}/{s['runs']} | {s['best']} | {s['worst']} "
          f"| {s['between']} | {s['cycle']} | {s['no_eq']} | {rng} | {s['seed_rounds_eq']}/{s['eq_runs']} |")
    w("")
    for c in ship:
        if c.has_eq and any(r.status != "converged" for r in c.runs):
            r = next(r for r in c.runs if r.status != "converged")
            w(f"- `{c.label}`: from start {_assign(c.inst, r.start)} BR {'cycles' if r.status == 'cycle' else 'hits the cap'} "
              f"although {len(c.equilibria)} equilibri{'um exists' if len(c.equilibria) == 1 else 'a exist'} "
              f"(best {_counts(c.inst, c.equilibria[0])}).")
        if not c.has_eq:
            w(f"- `{c.label}`: no pure equilibrium (complete search); every BR run ends in a cycle"
              f"{' (mean welfare along the cycles ' + g(np.mean([r.welfare for r in c.runs])) + ')' if c.runs else ''}: "
              "BR alone cannot tell this game from one whose equilibrium it failed to find.")
    w("")

    w("## Smallest examples")
    w("")
    w(f"Found by scanning tiny generated instances smallest first (count vectors C(M+N-1, N), then M, K, N; seeds "
      f"0..{args.example_seeds - 1}, every family and utility), running BR from **every** start assignment (M^N of them) and "
      "certifying the equilibria twice (support search and complete enumeration, which agree).")
    w("")
    if "cycle" in examples:
        _example_cycle(w, *examples["cycle"])
    else:
        w("No instance in the scan has a cycling start although an equilibrium exists.")
        w("")
    if "miss" in examples:
        _example_miss(w, *examples["miss"])
    return "\n".join(L) + "\n"


def _assign(inst, a):
    return "(" + ", ".join(inst.model_names[j] for j in a) + ")"


def _counts(inst, n):
    return "{" + ", ".join(f"{k} x{v}" for k, v in inst.counts_dict(n).items()) + "}"


def _instance_table(w, inst):
    w(f"`{inst.name}` ({inst.description}); {inst.platforms} platforms, hardmax, {inst.utility}. Scores (rows: models, "
      "columns: user types) and masses:")
    w("")
    w("| | " + " | ".join(inst.type_names) + " |")
    w("|---|" + "---:|" * inst.n_types)
    for j, nm in enumerate(inst.model_names):
        w(f"| {nm} | " + " | ".join(f"{x:g}" for x in inst.scores[j]) + " |")
    w("| *mass* | " + " | ".join(f"{x:.4f}" for x in inst.masses) + " |")
    w("")


def _example_cycle(w, inst, s, runs):
    w("### BR cycles although an equilibrium exists")
    w("")
    _instance_table(w, inst)
    eqs = ", ".join(f"{_counts(inst, e)} (welfare {g(x)})" for e, x in zip(s.equilibria, s.welfare))
    w(f"Pure equilibria (certified): {eqs}.")
    w("")
    cyc = [(start, r) for start, r in runs if r.status != "converged"]
    start, r = cyc[0]
    conv = len(runs) - len(cyc)
    w(f"BR converges from {conv} of the {len(runs)} start assignments and cycles from {len(cyc)}: "
      + ", ".join(_assign(inst, st) for st, _ in cyc) + f". From {_assign(inst, start)}:")
    w("")
    w("| step | platform | move | profile after | utilities after | welfare |")
    w("|---:|---:|---|---|---|---:|")
    h = r.history
    k = len(r.cycle)
    for row in h[1:]:
        mark = " (cycle)" if row.step > len(h) - 1 - k else ""
        move = f"{inst.model_names[row.old]} -> {inst.model_names[row.new]}" if row.switched else f"stays on {inst.model_names[row.old]}"
        w(f"| {row.step}{mark} | {row.platform} | {move} | {_assign(inst, row.assignment)} | "
          + ", ".join(f"{u:.4f}" for u in row.utilities) + f" | {row.welfare:.4f} |")
    w("")
    w(f"After step {h[-1].step} the state (assignment {_assign(inst, h[-1].assignment)}, next mover "
      f"{(h[-1].platform + 1) % inst.platforms}) is the one before step {h[-1].step - k + 1}: the last {k} revisions repeat "
      f"forever, and no profile on the cycle is an equilibrium. Reproduce: `best_response_dynamics(inst, {list(start)}, "
      f"record=True)` with `inst = milp_market.generators.{inst.extra['_call']}`; or save the instance and run "
      f"`milp-market dynamics INSTANCE --start {','.join(inst.model_names[j] for j in start)} --history h.csv`.")
    w("")


def _example_miss(w, inst, s, runs):
    w("### BR reaches the best equilibrium only by starting on it")
    w("")
    _instance_table(w, inst)
    w(f"(`inst = milp_market.generators.{inst.extra['_call']}`.)")
    w("")
    eqs = ", ".join(f"{_counts(inst, e)} (welfare {g(x)})" for e, x in zip(s.equilibria, s.welfare))
    w(f"Pure equilibria (certified): {eqs}.")
    w("")
    reached = {}
    for start, r in runs:
        key = r.counts(inst) if r.status == "converged" else r.status
        reached.setdefault(key, []).append(start)
    parts = []
    for key, starts in reached.items():
        what = f"{_counts(inst, key)} (welfare {g(game.welfare(inst, key))})" if isinstance(key, tuple) else key
        parts.append(f"{what} from {len(starts)} start{'s' if len(starts) > 1 else ''}")
    best = s.equilibria[0]
    w(f"BR from all {len(runs)} start assignments: " + "; ".join(parts) + f". The best equilibrium, {_counts(inst, best)}, "
      f"is reached only from the {len(reached.get(best, []))} assignments that already are it: every other start "
      + (f"(including the seed's, all platforms on {inst.model_names[0]}) " if game_counts([0] * inst.platforms, inst.n_models) != best else "")
      + f"ends elsewhere; the worst equilibrium has {100 * (s.welfare[0] - s.welfare[-1]) / s.welfare[0]:.1f}% less welfare "
      "than the best.")
    w("")


# ----------------------------------------------------------------------------- main


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--starts", type=int, default=20, help="R, random BR starts per instance (seeds 0..R-1)")
    p.add_argument("--seeds", type=int, default=40, help="generator seeds per family, utility and size")
    p.add_argument("--sizes", default=SIZES, help="comma list of MxKxN")
    p.add_argument("--max-steps", type=int, default=20_000, help="revision cap of one BR run")
    p.add_argument("--time-limit", type=float, default=30.0, help="seconds to certify a shipped instance before it is skipped")
    p.add_argument("--example-seeds", type=int, default=40, help="seeds per tiny size scanned for the smallest examples")
    p.add_argument("--out", default=str(ROOT / "reports" / "dynamics-vs-certified.md"))
    args = p.parse_args(argv)
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes.split(",")]
    t0 = time.perf_counter()

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    log("generated instances ...")
    gen = generated_cases(sizes, args.seeds, args.starts, args.max_steps, log)
    log("shipped instances ...")
    ship, skipped = shipped_cases(args.starts, args.max_steps, args.time_limit, log)
    log("smallest examples ...")
    examples = smallest_examples(args.example_seeds, args.max_steps, log)
    text = render(args, gen, ship, skipped, examples).replace("@MINUTES@", f"{(time.perf_counter() - t0) / 60:.1f}")
    tmp = Path(args.out + ".tmp")
    tmp.write_text(text)
    tmp.replace(args.out)
    log(f"wrote {args.out} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
