"""Reproduce the seed paper's headline findings, with certified solver answers, on a
paper-shaped CIFAR-10 market (issue 6, item 3).

The seed paper (osu-srml/Generative_Competition) reports that, as the pool of models grows, the
market among N = 3 platforms can flip between homogenization (all platforms on one model),
differentiation (platforms on distinct models) and having no pure equilibrium at all; and that more
platforms raise diversity but never reach the social optimum. Its score matrix is unpublished, so
this script uses the paper's six user groups (class weights and masses, ../shared/data) and its
class-specialist checkpoints, with per-class qualities SEARCHED for (not measured) so that one
pool-expansion sequence shows the pattern

    M = 2  homogenized      (every equilibrium puts all platforms on one model; here unique)
    M = 3  differentiated   (every equilibrium puts the platforms on 3 distinct models)
    M = 4  no pure equilibrium
    M = 5  homogenized again (unique equilibrium)

and then answers every question twice, by the certified MILP (solve_market(inst, "milp")) and by
complete enumeration (solve_market(inst, "enumerate")), asserting that they agree.

Run from the repository root:

    .venv/bin/python scripts/paper_findings.py             # instance + report, about a minute
    .venv/bin/python scripts/paper_findings.py --search    # also re-run the seeded search that
                                                           # found QUALITIES (tens of minutes) and
                                                           # check it finds the stored table

Writes instances/cifar10_paper_findings.json, reports/paper-findings.md and
reports/paper-findings/platform_sweep.png.

How the qualities were found (``search``): each model is a class specialist with one "high"
quality on its fine-tuning classes and one "base" quality on the other classes (the generalist
``half``: one quality on every class), all on a 0.05 grid. Random starts (seeded numpy Generator)
are completed stage by stage (the M-th model is resampled until the first M models show the
pattern), then improved by first-improvement local search (one quality moved to another grid
value) on a lexicographic objective: (number of platform-sweep conditions met, robustness margin).
Hard constraints: the pattern above (exact semantics: enumeration.enumerate_profiles and
game.structure), high > base, catdog1.5 stronger on cat/dog than catdog when both are in the pool,
every quality >= 0.10, and no two pool models with equal scores for any user group (no exact ties, which would make the
answer hinge on the tie rule). The robustness margin is the smallest |largest deviation gain| over
all count vectors of the four prefix games: every equilibrium is strict by at least that much and
every non-equilibrium has a profitable deviation gaining at least that much. The platform-sweep
conditions (final pool, N = 1..6): an equilibrium exists for every N; the number of distinct models
in use in equilibrium never falls as N grows; it reaches >= 2 and >= 3 by N = 6; and the best
equilibrium stays strictly below the social optimum for every N >= 2.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from milp_market import game, make_instance  # noqa: E402
from milp_market.dynamics import best_response_dynamics  # noqa: E402
from milp_market.enumeration import count_vectors, enumerate_profiles  # noqa: E402
from milp_market.instance import load_instance, save_instance  # noqa: E402
from milp_market.regret import min_regret, min_regret_enumerate  # noqa: E402
from milp_market.results import Status  # noqa: E402
from milp_market.solve import all_equilibria_milp, solve_market  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
INSTANCE_PATH = ROOT / "instances" / "cifar10_paper_findings.json"
REPORT_PATH = ROOT / "reports" / "paper-findings.md"
FIG_DIR = ROOT / "reports" / "paper-findings"
N_PAPER = 3
SWEEP_N = range(1, 7)
TOL = 1e-9

# The paper's checkpoints (ddpm_lora_<name>.pt) and the CIFAR-10 classes each was fine-tuned on
# (as in scripts/build_instances.py; ``half`` is read as a generalist).
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
SPECIAL = {
    "airauto": ("airplane", "automobile"),
    "birdcat": ("bird", "cat"),
    "catdog": ("cat", "dog"),
    "catdog1.5": ("cat", "dog"),
    "half": tuple(CLASSES),
    "shiptruck": ("ship", "truck"),
}
NAMES = list(SPECIAL)
GRID = [round(0.05 * i, 2) for i in range(21)]
MIN_QUALITY = 0.10  # no checkpoint is useless on a class: every quality is at least this

# SEARCHED per-class qualities, in pool-expansion order: (model, quality on its fine-tuning
# classes, quality on every other class). Found by `search(seed=SEARCH_SEED, starts=SEARCH_STARTS)`
# (run `--search` to re-derive it); illustrative, NOT measured.
SEARCH_SEED = 0
SEARCH_STARTS = 200
# Found in 200 starts (17,654 random pools drawn; 6 local optima met all 5 sweep conditions; this
# one has the largest margin, 0.00925).
QUALITIES = [
    ("birdcat", 0.85, 0.35),
    ("airauto", 0.55, 0.30),
    ("catdog", 0.70, 0.10),
    ("shiptruck", 0.70, 0.35),
    ("catdog1.5", 0.75, 0.40),
]


WANT = ("homogenized", "differentiated", None, "homogenized")  # M = 2, 3, 4, 5 (None: no equilibrium)


# ----------------------------------------------------------------------------- the game


def load_groups():
    cfg = json.loads((DATA / "paper_cifar10_user_groups.json").read_text())
    assert cfg["classes"] == CLASSES, cfg["classes"]
    groups = cfg["groups"]
    W = np.zeros((len(groups), len(CLASSES)))
    for g, grp in enumerate(groups):
        for c, w in grp["weights"].items():
            W[g, CLASSES.index(c)] = w
        assert abs(W[g].sum() - 1.0) < 1e-12, grp["name"]
    return [g["name"] for g in groups], np.array([g["mass"] for g in groups]), W, groups


TYPE_NAMES, MASSES, WEIGHTS, GROUPS = load_groups()


def quality_row(name, hi, base):
    return np.array([hi if c in SPECIAL[name] else base for c in CLASSES])


def score_matrix(names, params):
    """score[model, group] = sum_c weight[group, c] * quality[model, c] (rounded to 1e-10)."""
    Q = np.array([quality_row(n, *p) for n, p in zip(names, params)])
    return np.round(Q @ WEIGHTS.T, 10)


def build(names, params, M, N, name="cifar10_paper_findings", description=""):
    return make_instance(
        score_matrix(names[:M], params[:M]), MASSES, N, name=name, model_names=names[:M],
        type_names=TYPE_NAMES, description=description,
    )


def signed_regret(inst, n):
    """max over platforms of (best other model's payoff - own payoff): > EQ_TOL off equilibrium,
    <= 0 at a (strict when < 0) equilibrium."""
    best = -math.inf
    for j in np.flatnonzero(n > 0):
        o = n.copy()
        o[j] -= 1
        pay = game.payoffs_against(inst, o)
        best = max(best, float(np.delete(pay, j).max() - pay[j]))
    return best


def robustness_margin(inst):
    return min(abs(signed_regret(inst, n)) for C in count_vectors(inst.n_models, inst.platforms) for n in C)


# ----------------------------------------------------------------------------- the search


def plausible(names, params):
    d = dict(zip(names, params))
    for n, (hi, base) in d.items():
        if (n == "half") != (hi == base) or hi < base or base < MIN_QUALITY:
            return False
    if "catdog" in d and "catdog1.5" in d and not d["catdog1.5"][0] > d["catdog"][0]:
        return False
    S = score_matrix(names, params)
    for a, b in itertools.combinations(range(len(names)), 2):
        if np.min(np.abs(S[a] - S[b])) < 1e-6:  # an exact tie for some user group
            return False
    return True


_cache: dict = {}


def shows_wanted(eqs, want) -> bool:
    """Does this equilibrium list show the wanted step (None = no pure equilibrium)?"""
    if want is None:
        return not eqs
    if want == "homogenized":
        return len(eqs) == 1 and game.structure(eqs[0]) == "homogenized"
    return bool(eqs) and all(game.structure(e) == "differentiated" for e in eqs)


def pattern_ok(names, params, upto=5):
    """True when the prefixes M = 2..upto show the wanted pattern (exact enumeration)."""
    for M in range(2, upto + 1):
        key = ("p", tuple(names[:M]), tuple(params[:M]))
        if key not in _cache:
            eqs = enumerate_profiles(build(names, params, M, N_PAPER)).equilibria
            _cache[key] = shows_wanted(eqs, WANT[M - 2])
        if not _cache[key]:
            return False
    return True


def sweep_conditions(names, params):
    distinct, pos, exists = [], [], True
    for N in SWEEP_N:
        r = enumerate_profiles(build(names, params, 5, N))
        if not r.equilibria:
            exists = False
            continue
        distinct.append(min(int(np.count_nonzero(e)) for e in r.equilibria))
        if N >= 2:
            pos.append(r.social_welfare / max(r.welfare))
    conds = [
        exists,
        all(a <= b for a, b in zip(distinct, distinct[1:])),
        exists and distinct[-1] >= 2,
        exists and distinct[-1] >= 3,
        exists and all(p > 1 + 1e-6 for p in pos),
    ]
    return sum(conds)


def objective(names, params):
    key = ("o", tuple(names), tuple(params))
    if key not in _cache:
        margin = min(robustness_margin(build(names, params, M, N_PAPER)) for M in range(2, 6))
        _cache[key] = (sweep_conditions(names, params), margin)
    return _cache[key]


def random_params(rng, name):
    if name == "half":
        v = GRID[rng.integers(6, 20)]
        return (v, v)
    hi = GRID[rng.integers(10, 21)]
    return (hi, GRID[rng.integers(2, GRID.index(hi))])


def neighbors(names, params):
    out = []
    for i, n in enumerate(names):
        hi, base = params[i]
        for v in GRID:
            if n == "half":
                if v != hi:
                    out.append(params[:i] + [(v, v)] + params[i + 1:])
                continue
            if v > base and v != hi:
                out.append(params[:i] + [(v, base)] + params[i + 1:])
            if v < hi and v != base:
                out.append(params[:i] + [(hi, v)] + params[i + 1:])
    return out


def random_start(rng):
    """A random pool that shows the pattern, completed stage by stage; None if a stage fails."""
    names = [NAMES[i] for i in rng.permutation(len(NAMES))[:5]]
    params = [random_params(rng, n) for n in names]
    if not (plausible(names[:2], params[:2]) and pattern_ok(names, params, 2)):
        return None
    for M in range(3, 6):
        for _ in range(400 if M < 5 else 2000):
            if plausible(names[:M], params[:M]) and pattern_ok(names, params, M):
                break
            if M == 5 or rng.random() < 0.3:
                unused = [n for n in NAMES if n not in names[:M - 1]]
                names[M - 1] = unused[rng.integers(len(unused))]
                tail = [n for n in NAMES if n not in names[:M]]
                names[M:] = tail[: 5 - M]
            params[M - 1] = random_params(rng, names[M - 1])
        else:
            return None
    return names, params


def climb(names, params, rng):
    cur = objective(names, params)
    while True:
        nbs = neighbors(names, params)
        order = rng.permutation(len(nbs))
        for i in order:
            pp = nbs[i]
            if not plausible(names, pp) or not pattern_ok(names, pp):
                continue
            o = objective(names, pp)
            if o[0] > cur[0] or (o[0] == cur[0] and o[1] > cur[1] + 1e-12):
                params, cur = pp, o
                break
        else:
            return params, cur


def search(seed=SEARCH_SEED, starts=SEARCH_STARTS, log=print):
    """Deterministic: the best (objective) of the first `starts` local optima from seed `seed`."""
    rng = np.random.default_rng(seed)
    best, tries, done = None, 0, 0
    while done < starts:
        tries += 1
        s = random_start(rng)
        if s is None:
            continue
        done += 1
        names, params = s
        params, obj = climb(names, params, rng)
        log(f"start {done} (after {tries} random pools): objective {obj[0]}/5, margin {obj[1]:.5f}  "
            + ", ".join(f"{n} {h:.2f}/{b:.2f}" for n, (h, b) in zip(names, params)))
        if best is None or obj > best[0]:
            best = (obj, names, params)
    return best, tries


# ----------------------------------------------------------------------------- certified solving


def agree(inst, a, b):
    """The MILP answer `a` and the enumeration answer `b` agree; return (a, b)."""
    assert a.status == b.status, (inst.name, a.status, b.status)
    assert a.status is not Status.UNKNOWN, inst.name
    assert a.social_optimum_proven and b.social_optimum_proven
    assert abs(a.social_optimum.welfare - b.social_optimum.welfare) <= TOL, inst.name
    if a.status is Status.EQUILIBRIUM:
        assert a.best.proven and a.worst.proven and b.best.proven and b.worst.proven
        assert abs(a.best.profile.welfare - b.best.profile.welfare) <= TOL
        assert abs(a.worst.profile.welfare - b.worst.profile.welfare) <= TOL
    return a, b


def solve_both(inst):
    a, b = agree(inst, solve_market(inst, "milp"), solve_market(inst, "enumerate"))
    listed = all_equilibria_milp(inst)
    en = enumerate_profiles(inst)
    assert listed.status == "complete" and en.complete
    assert sorted(listed.equilibria) == sorted(en.equilibria), (inst.name, listed.equilibria, en.equilibria)
    return a, b, sorted(en.equilibria, key=lambda e: -game.welfare(inst, e))


def count_cycle(cycle):
    """One period of a best-response cycle in count vectors (revisions without a switch dropped)."""
    seq = [c for i, c in enumerate(cycle) if i == 0 or c != cycle[i - 1]]
    if len(seq) > 1 and seq[-1] == seq[0]:
        seq.pop()
    for p in range(1, len(seq) + 1):
        if len(seq) % p == 0 and seq == seq[:p] * (len(seq) // p):
            return seq[:p]
    return seq


def fmt_counts(inst, counts):
    if counts is None:
        return "-"
    return ", ".join(f"{m} x{c}" for m, c in inst.counts_dict(counts).items())


def f4(x):
    return "-" if x is None else ("inf" if math.isinf(x) else f"{x + 0.0:.4f}".replace("-0.0000", "0.0000"))


def illustrative_orders():
    """How many expansion orders of 5 of the 6 checkpoints, with the ILLUSTRATIVE qualities of
    instances/cifar10_paper.json, show the pattern (exact enumeration)."""
    ill = load_instance(ROOT / "instances" / "cifar10_paper.json")
    hits, total = [], 0
    for order in itertools.permutations(range(ill.n_models), 5):
        total += 1
        ok = True
        for M in range(2, 6):
            sub = make_instance(ill.scores[list(order[:M])], ill.masses, N_PAPER,
                                model_names=[ill.model_names[j] for j in order[:M]], type_names=ill.type_names)
            ok = shows_wanted(enumerate_profiles(sub).equilibria, WANT[M - 2])
            if not ok:
                break
        if ok:
            hits.append([ill.model_names[j] for j in order])
    return hits, total


# ----------------------------------------------------------------------------- main


def description(names, params):
    table = "; ".join(
        f"{n} {h:.2f} on every class" if n == "half" else f"{n} {h:.2f} on {'/'.join(SPECIAL[n])}, {b:.2f} elsewhere"
        for n, (h, b) in zip(names, params)
    )
    return (
        "Paper-shaped CIFAR-10 market for reproducing the seed paper's headline findings "
        "(osu-srml/Generative_Competition, RealData/configs @ 6f04375): the six published user groups "
        "(class-preference weights, masses) and five of the published class-specialist DDPM checkpoints, "
        "listed in pool-expansion order. score[model, group] = sum_c weight[group, c] * quality[model, c]. "
        "The per-class qualities are SEARCHED (a seeded random + local search on a 0.05 grid, "
        "scripts/paper_findings.py), NOT measured, chosen so that with N = 3 platforms the prefixes of the "
        "pool show the paper's pattern: M=2 homogenized (unique equilibrium), M=3 differentiated, M=4 no pure "
        f"equilibrium, M=5 homogenized again. Qualities: {table}. Report: reports/paper-findings.md. 3 platforms."
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--search", action="store_true", help="re-run the seeded search that found QUALITIES")
    ap.add_argument("--seed", type=int, default=SEARCH_SEED)
    ap.add_argument("--starts", type=int, default=SEARCH_STARTS)
    args = ap.parse_args(argv)

    if args.search or QUALITIES is None:
        (obj, names, params), tries = search(args.seed, args.starts)
        print(f"best: objective {obj}, " + repr(list(zip(names, params))))
        if QUALITIES is not None:
            same = [(n, tuple(p)) for n, p in zip(names, params)] == [(n, (h, b)) for n, h, b in QUALITIES]
            print("matches the stored QUALITIES" if same else "DIFFERS from the stored QUALITIES")
        if QUALITIES is None:
            return 0
    names = [n for n, _, _ in QUALITIES]
    params = [(h, b) for _, h, b in QUALITIES]
    assert plausible(names, params) and pattern_ok(names, params)
    conds, margin = objective(names, params)

    inst = build(names, params, 5, N_PAPER, description=description(names, params))
    save_instance(inst, INSTANCE_PATH)
    inst = load_instance(INSTANCE_PATH)
    assert list(inst.model_names) == names and np.allclose(inst.scores, score_matrix(names, params), atol=0)

    # ---- pool expansion, N = 3
    steps = []
    for M in range(2, 6):
        sub = make_instance(inst.scores[:M], inst.masses, N_PAPER, name=f"{inst.name}[pool={M}]",
                            model_names=inst.model_names[:M], type_names=inst.type_names)
        a, b, eqs = solve_both(sub)
        step = {"M": M, "inst": sub, "milp": a, "enum": b, "eqs": eqs, "margin": robustness_margin(sub)}
        want = WANT[M - 2]
        if want is None:
            assert a.status is Status.NO_EQUILIBRIUM
            mr, mre = min_regret(sub), min_regret_enumerate(sub)
            assert mr.status == "optimal" and abs(mr.epsilon - mre.epsilon) <= TOL, (mr, mre)
            step["min_regret"] = mr
            step["deviation"] = game.best_deviation(sub, mr.counts)
            assert abs(step["deviation"][2] - mr.epsilon) <= 1e-12
            step["dynamics"] = best_response_dynamics(sub, seed=0)
            assert step["dynamics"].status == "cycle"
        else:
            assert a.status is Status.EQUILIBRIUM
            if want == "homogenized":
                assert len(eqs) == 1 and game.structure(eqs[0]) == "homogenized"
                # why: each platform's third of the shared model vs the best model an entrant could take
                n = np.array(eqs[0])
                j = int(np.flatnonzero(n)[0])
                o = n.copy()
                o[j] -= 1
                pay = game.payoffs_against(sub, o)
                k = int(np.argmax(np.delete(pay, j)))
                k = k + (k >= j)
                step["why"] = (sub.model_names[j], float(pay[j]), sub.model_names[k], float(pay[k]))
            else:
                assert all(game.structure(e) == "differentiated" for e in eqs)
        steps.append(step)

    # ---- platform sweep on the final pool
    sweep = []
    for N in SWEEP_N:
        sub = make_instance(inst.scores, inst.masses, N, name=f"{inst.name}[platforms={N}]",
                            model_names=inst.model_names, type_names=inst.type_names)
        a, b, eqs = solve_both(sub)
        sweep.append({"N": N, "inst": sub, "milp": a, "enum": b, "eqs": eqs})

    hits, total = illustrative_orders()
    figure = plot_sweep(sweep)
    write_report(names, params, conds, margin, steps, sweep, hits, total, figure)
    print(f"wrote {INSTANCE_PATH.relative_to(ROOT)}, {REPORT_PATH.relative_to(ROOT)}, {figure.relative_to(ROOT)}")
    return 0


def plot_sweep(sweep):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    FIG_DIR.mkdir(parents=True, exist_ok=True)
    Ns = [r["N"] for r in sweep]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    ax1.plot(Ns, [r["milp"].social_optimum.welfare for r in sweep], "k--", marker="s", label="social optimum")
    ax1.plot(Ns, [r["milp"].best.profile.welfare for r in sweep], marker="o", label="best equilibrium")
    ax1.plot(Ns, [r["milp"].worst.profile.welfare for r in sweep], marker="x", linestyle=":", label="worst equilibrium")
    ax1.set_xlabel("platforms N")
    ax1.set_ylabel("user welfare")
    ax1.legend(fontsize=8)
    ax2.plot(Ns, [int(np.count_nonzero(r["milp"].best.profile.counts)) for r in sweep], marker="o", label="models in use (best eq.)")
    ax2.plot(Ns, [int(np.count_nonzero(r["milp"].social_optimum.counts)) for r in sweep], "k--", marker="s", label="models in use (optimum)")
    ax2.yaxis.get_major_locator().set_params(integer=True)
    ax2.set_xlabel("platforms N")
    ax2.set_ylabel("distinct models")
    ax2.legend(fontsize=8)
    fig.suptitle("Final pool (5 models), certified MILP answers", fontsize=10)
    fig.tight_layout()
    path = FIG_DIR / "platform_sweep.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(names, params, conds, margin, steps, sweep, hits, total, figure):
    inst = steps[-1]["inst"]
    L = []
    L.append("# Paper findings on a paper-shaped CIFAR-10 market (certified)\n")
    L.append("Regenerate with: `.venv/bin/python scripts/paper_findings.py` (re-derive the searched qualities "
             f"with `--search`: seed {SEARCH_SEED}, {SEARCH_STARTS} local-search starts).\n")
    L.append("Instance: `instances/cifar10_paper_findings.json` (models in pool-expansion order, N = 3). "
             "Sweep spec for the lead: `instances/sweeps/paper_platforms.toml`.\n")
    L.append("**The per-class qualities below are searched, not measured.** The seed paper's score matrix "
             "is unpublished; the user groups (class weights, masses) are the paper's, the models are five of "
             "its six class-specialist checkpoints, and their qualities were chosen by a seeded search so that "
             "the pool-expansion pattern appears. The numbers show that the pattern occurs, with certified "
             "answers and margins, in a game of the paper's shape; they are not evidence about the real "
             "checkpoints.\n")

    L.append("## The market\n")
    L.append("Per-class qualities (0.05 grid), in the order the models join the pool:\n")
    L.append("| # | model | fine-tuning classes | quality there | quality elsewhere |")
    L.append("|---|---|---|---|---|")
    for i, (n, (h, b)) in enumerate(zip(names, params), 1):
        cls = "all (generalist)" if n == "half" else ", ".join(SPECIAL[n])
        L.append(f"| {i} | {n} | {cls} | {h:.2f} | {b:.2f} |")
    L.append("")
    L.append("Scores `score[model, group] = sum_c weight[group, c] * quality[model, c]` (hardmax choice, "
             "`score_share` utility):\n")
    L.append("| model | " + " | ".join(inst.type_names) + " |")
    L.append("|---|" + "---|" * inst.n_types)
    L.append("| *mass* | " + " | ".join(f"{m:.2f}" for m in inst.masses) + " |")
    for j, n in enumerate(inst.model_names):
        L.append(f"| {n} | " + " | ".join(f"{s:.4f}" for s in inst.scores[j]) + " |")
    L.append("")
    L.append("Group weights: " + "; ".join(
        f"{g['name']} " + ", ".join(f"{c} {w:g}" for c, w in g["weights"].items()) for g in GROUPS) + ".\n")

    L.append("## Pool expansion, N = 3 platforms\n")
    L.append("Each prefix of the pool solved by the certified MILP (`solve_market(inst, \"milp\")`) and by "
             "complete enumeration (`solve_market(inst, \"enumerate\")`); the script asserts that status, "
             "best/worst equilibrium welfare and social optimum agree, and that the certified MILP list of all "
             "equilibria (`all_equilibria_milp`) equals the enumerated one.\n")
    L.append("| M | models added | status | equilibria | best equilibrium | worst equilibrium | welfare best / worst "
             "| structure | HHI | Shannon | social optimum | welfare opt. | PoA | PoS |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in steps:
        r, sub = s["milp"], s["inst"]
        added = ", ".join(sub.model_names) if s["M"] == 2 else sub.model_names[-1]
        so = fmt_counts(sub, r.social_optimum.counts)
        if r.status is Status.EQUILIBRIUM:
            b, w = r.best.profile, r.worst.profile
            L.append(f"| {s['M']} | {added} | equilibrium | {len(s['eqs'])} | {fmt_counts(sub, b.counts)} | "
                     f"{fmt_counts(sub, w.counts)} | {b.welfare:.4f} / {w.welfare:.4f} | {b.structure} | "
                     f"{b.hhi:.4f} | {b.shannon:.4f} | {so} | {r.social_optimum.welfare:.4f} | "
                     f"{f4(r.price_of_anarchy)} | {f4(r.price_of_stability)} |")
        else:
            L.append(f"| {s['M']} | {added} | **no equilibrium** | 0 | - | - | - | - | - | - | {so} | "
                     f"{r.social_optimum.welfare:.4f} | n/a | n/a |")
    L.append("")
    for s in steps:
        r = s["milp"]
        L.append(f"- M = {s['M']}: proof ({r.method}): {r.proof}; enumeration: {s['enum'].proof} "
                 f"({s['enum'].stats['profiles_total']} count vectors). Robustness margin "
                 f"(smallest |largest deviation gain| over all count vectors) {s['margin']:.4f}.")
        if "min_regret" in s:
            mr, dev = s["min_regret"], s["deviation"]
            sub = s["inst"]
            L.append(f"  - Closest the market comes (`regret.min_regret`, MILP, {mr.status}; enumeration agrees): "
                     f"{fmt_counts(sub, mr.counts)}, where the best deviation still gains epsilon = {mr.epsilon:.4f} "
                     f"({100 * mr.relative_epsilon:.1f}% of the mean platform utility; a platform on "
                     f"{sub.model_names[dev[0]]} switches to {sub.model_names[dev[1]]}). Every one of the "
                     f"{s['enum'].stats['profiles_total']} count vectors has a deviation gaining at least this much.")
            period = count_cycle(s["dynamics"].cycle)
            cyc = " -> ".join("(" + fmt_counts(sub, c) + ")" for c in period)
            L.append(f"  - Best-response dynamics (the paper's method; `dynamics.best_response_dynamics`, seed 0, "
                     f"platforms revising in turn) never settles; in count vectors it cycles {cyc} -> "
                     f"({fmt_counts(sub, period[0])}) -> ...")
        if "why" in s:
            j, uj, k, uk = s["why"]
            L.append(f"  - Why homogenized: each platform on {j} earns {uj:.4f}; a platform switching to the best "
                     f"alternative, {k}, would earn {uk:.4f}.")
    L.append("")

    L.append("## Platform sweep on the final pool (M = 5)\n")
    L.append("Same checks (MILP vs enumeration, and the full equilibrium lists) for N = 1..6. "
             "\"Models\" = distinct models in use; HHI and Shannon are over platforms' user shares, so they "
             "move mechanically with N; the number of distinct models is the diversity measure.\n")
    L.append("| N | status | equilibria | best equilibrium | worst equilibrium | models (best/worst) | structure (best) "
             "| welfare best / worst | HHI best | Shannon best | social optimum | welfare opt. | models opt. | PoA | PoS |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in sweep:
        r, sub = s["milp"], s["inst"]
        so = r.social_optimum
        if r.status is Status.EQUILIBRIUM:
            b, w = r.best.profile, r.worst.profile
            L.append(f"| {s['N']} | equilibrium | {len(s['eqs'])} | {fmt_counts(sub, b.counts)} | {fmt_counts(sub, w.counts)} | "
                     f"{np.count_nonzero(b.counts)} / {np.count_nonzero(w.counts)} | {b.structure} | "
                     f"{b.welfare:.4f} / {w.welfare:.4f} | {b.hhi:.4f} | {f4(b.shannon)} | {fmt_counts(sub, so.counts)} | "
                     f"{so.welfare:.4f} | {np.count_nonzero(so.counts)} | {f4(r.price_of_anarchy)} | {f4(r.price_of_stability)} |")
        else:
            L.append(f"| {s['N']} | no equilibrium | 0 | - | - | - | - | - | - | - | {fmt_counts(sub, so.counts)} | "
                     f"{so.welfare:.4f} | {np.count_nonzero(so.counts)} | n/a | n/a |")
    L.append("")
    L.append(f"![Welfare and diversity against the number of platforms]({figure.relative_to(REPORT_PATH.parent)})\n")

    L.append("## What this shows\n")
    L.append(discussion(names, steps, sweep, conds, margin, hits, total))
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text("\n".join(L) + "\n")


def discussion(names, steps, sweep, conds, margin, hits, total):
    st = {s["M"]: s for s in steps}
    h2 = st[2]["milp"].best.profile
    d3 = st[3]["milp"].best.profile
    h5 = st[5]["milp"].best.profile
    mr = st[4]["min_regret"]
    i2, i3, i5 = st[2]["inst"], st[3]["inst"], st[5]["inst"]
    dist = [int(np.count_nonzero(s["milp"].best.profile.counts)) for s in sweep if s["milp"].best is not None]
    pos = [s["milp"].price_of_stability for s in sweep]
    # under score_share the platforms' utilities sum to user welfare, so the mean platform utility is welfare / N
    mean_u = [game.welfare(s["inst"], n) / N_PAPER for s in steps for C in count_vectors(s["inst"].n_models, N_PAPER) for n in C]
    pos2 = [(s["N"], s["milp"].price_of_stability) for s in sweep if s["N"] >= 2]
    hi_n, hi_p = max(pos2, key=lambda t: t[1])
    lo_n, lo_p = min(pos2, key=lambda t: t[1])
    assert all(np.count_nonzero(s["milp"].best.profile.counts) < np.count_nonzero(s["milp"].social_optimum.counts)
               for s in sweep if s["N"] >= 2), "the text below says so"
    P = []
    P.append(
        f"- **The pattern holds exactly, with certified answers.** With {names[0]} and {names[1]} all three platforms "
        f"crowd onto {fmt_counts(i2, h2.counts).split(' x')[0]} (the only equilibrium). Adding {names[2]} splits the "
        f"market ({fmt_counts(i3, d3.counts)}, the only equilibrium, which is also the social optimum). Adding "
        f"{names[3]} destroys every pure equilibrium (proven by an infeasible MILP relaxation confirmed by a second "
        f"solver configuration, and by enumeration): some platform always gains at least {mr.epsilon:.4f} by switching. "
        f"Adding {names[4]} homogenizes the market again ({fmt_counts(i5, h5.counts)}, unique), at welfare "
        f"{h5.welfare:.4f} against an optimum of {st[5]['milp'].social_optimum.welfare:.4f} "
        f"(PoA = PoS = {f4(st[5]['milp'].price_of_anarchy)}). A bigger pool does not mean a more diverse market: "
        f"the five-model pool ends where the two-model pool started, with every platform on one model.")
    P.append(
        f"- **Margins.** In the four prefix games every equilibrium is strict and every non-equilibrium count vector "
        f"has a deviation gaining at least {margin:.4f} (the mean platform utility, welfare / 3, ranges from "
        f"{min(mean_u):.4f} to {max(mean_u):.4f} over those count vectors), and no two models tie on any user group, so the pattern does not rest on the tie rule "
        f"or on the 1e-9 tolerance; perturbing the utilities by less than half the margin changes nothing.")
    mono = all(a <= b for a, b in zip(dist, dist[1:]))
    P.append(
        f"- **More platforms, more diversity, never the optimum.** On the final pool the number of distinct models "
        f"in equilibrium goes {' -> '.join(map(str, dist))} for N = 1..{len(sweep)}"
        f"{' (never falling)' if mono else ''}; the price of stability is "
        + ", ".join(f"{f4(p)}" for p in pos)
        + f". For N = 1 the lone platform picks the welfare-best single model (PoA 1 by construction); for every "
        f"N >= 2 even the best equilibrium stays below the social optimum, as the paper says. The gap is not "
        f"monotone: largest at N = {hi_n} (PoS {hi_p:.4f}, where the market is still homogenized while the optimum "
        f"uses three models), smallest at N = {lo_n} (PoS {lo_p:.4f}). For every N >= 2 the equilibrium also uses fewer "
        f"distinct models than the social optimum (see the figure). (These sweep properties were part of the search objective, "
        f"{conds}/5 conditions met, so they are a designed illustration rather than an independent finding.)")
    P.append(
        f"- **Why searched qualities.** With the illustrative qualities of `instances/cifar10_paper.json` "
        f"(specialists 0.90/0.35 etc.), {len(hits)} of the {total} expansion orders of 5 of its 6 models show "
        f"this pattern (exact enumeration)"
        + (f": {', '.join(' > '.join(h) for h in hits[:3])}" if hits else "")
        + ". The paper's finding is therefore a property of particular score matrices, not of the game's shape "
        "alone; here the search found one such matrix with the paper's user groups and checkpoints. "
        "The qualities are on a 0.05 grid and plausible in form (each checkpoint better on its fine-tuning "
        "classes), but they are not measurements of the checkpoints; reproducing the paper's actual "
        "numbers would need its unpublished score matrix.")
    P.append(
        "- **What the solver adds.** Best-response dynamics (the paper's method) can neither prove that the M = 4 "
        "market has no pure equilibrium nor certify that the homogenized equilibria are the only ones; here every "
        "status is proven (MILP with two agreeing solver configurations, cross-checked by enumeration of all count "
        "vectors) and every equilibrium list is complete.")
    return "\n".join(P) + "\n"


if __name__ == "__main__":
    sys.exit(main())
