"""The ``milp-market`` command: a thin shell over the library.

Exit codes: 0 whenever an answer was printed (``no_equilibrium`` and ``unknown`` are answers),
2 for bad input, 1 for an internal failure. ``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from . import game
from .instance import InstanceError, load_instance


def _fmt_counts(counts: dict) -> str:
    return ", ".join(f"{k} x{v}" for k, v in counts.items())


def _num(x, nd=4):
    if x is None:
        return "n/a"
    if isinstance(x, str) or math.isinf(x):
        return str(x)
    return f"{x:.{nd}f}"


def _header(inst) -> str:
    return (
        f"instance: {inst.name}  ({inst.n_models} models, {inst.n_types} user types, "
        f"{inst.platforms} platforms, {inst.choice}, {inst.utility})"
    )


def _progress_printer(enabled: bool):
    if not enabled:
        return None

    def show(done, total):
        print(f"\r  enumerated {done:,}/{total:,} profiles", end="", file=sys.stderr, flush=True)
        if done >= total:
            print(file=sys.stderr)

    return show


def _require_hardmax(inst, path) -> None:
    if inst.choice != "hardmax":
        raise InstanceError(f"{path}: --method search is for hardmax choice; this instance uses logit choice (use milp or enumerate)")


def cmd_solve(args) -> int:
    from .solve import solve_market

    inst = load_instance(args.instance)
    if args.method == "search":
        _require_hardmax(inst, args.instance)
    if args.confirm is not None and not args.confirm > 0:
        raise InstanceError("--confirm must be a positive number of seconds")
    log = (lambda msg: print(msg, file=sys.stderr)) if args.verbose else None
    res = solve_market(inst, args.method, args.time_limit, log=log, progress=_progress_printer(args.verbose), confirm=args.confirm)
    out = res.to_dict(inst)
    if args.approximate:
        from .regret import min_regret

        # A verified equilibrium has regret 0 (up to 1e-9): no search needed, and the answer is
        # exactly 0 rather than the search's tolerance.
        known = res.best.profile.counts if res.best is not None and res.best.profile is not None else None
        # one deadline for the whole command: the min-regret search gets what the solve left
        left = None if args.time_limit is None else max(0.0, args.time_limit - res.seconds)
        mr = min_regret(inst, time_limit=left, known_equilibrium=known)
        out["min_regret"] = mr.to_dict(inst)
    if args.json:
        print(json.dumps(out))
        return 0
    print(_header(inst))
    checked = "; equilibria re-checked by the exact evaluator" if ("best" in out or "best_incumbent" in out) else ""
    print(f"status: {out['status']}  (proof: {out['proof']}{checked})")
    for key, label in (("best", "best equilibrium"), ("worst", "worst equilibrium")):
        for k in (key, key + "_incumbent"):
            if k in out:
                p = out[k]
                tag = "" if p["proven_optimal"] else f"  [not proven; bound {_num(p['bound'])}]"
                print(
                    f"{label:18s} {_fmt_counts(p['counts'])}\n{'':18s} welfare {_num(p['welfare'])}  HHI {_num(p['hhi'])}  "
                    f"Shannon {_num(p['shannon'])}  {p['structure']}{tag}"
                )
    if "social_optimum" in out:
        so = out["social_optimum"]
        print(f"{'social optimum':18s} {_fmt_counts(so['counts'])}\n{'':18s} welfare {_num(so['welfare'])}")
    print(f"price of anarchy {_num(out['price_of_anarchy'])}   price of stability {_num(out['price_of_stability'])}")
    if "min_regret" in out and out["min_regret"]["counts"] is None:
        print(f"min-regret profile: none found before the limit ({out['min_regret']['status']})")
    elif "min_regret" in out:
        mr = out["min_regret"]
        print(
            f"min-regret profile {_fmt_counts(mr['counts'])}: epsilon {_num(mr['epsilon'], 6)} "
            f"({_num(mr['relative_epsilon'], 4)} of the mean platform utility)"
        )
    st = out["stats"]
    if "milp_confirmation" in st:
        print(
            f"certificates: support search {st['search_seconds']:.3f} s; MILP confirmation: "
            f"{st['milp_confirmation']} ({st['milp_confirmation_seconds']:.3f} s)"
        )
    print(f"method {out['method']}   {out['seconds']:.3f} s")
    return 0


def cmd_enumerate(args) -> int:
    inst = load_instance(args.instance)
    if args.method == "milp":
        from .solve import all_equilibria_milp

        res = all_equilibria_milp(inst, cap=args.max, time_limit=args.time_limit)
        eq_counts, status, seconds, extra = res.equilibria, res.status, res.seconds, {}
    elif args.method == "search":
        from .search import support_search

        _require_hardmax(inst, args.instance)
        res = support_search(inst, time_limit=args.time_limit, max_equilibria=args.max, social_optimum=False)
        found = res.equilibria
        capped = args.max is not None and (len(found) > args.max or (len(found) == args.max and not res.complete))
        status = "cap_reached" if capped else ("complete" if res.complete else "time_limit")
        # The search stops between slices, so it may have found more than --max: list the best.
        eq_counts, seconds = (found[: args.max] if capped else found), res.seconds
        extra = {"supports_visited": res.nodes}
    else:
        from .enumeration import enumerate_profiles

        res = enumerate_profiles(inst, max_seconds=args.time_limit, max_equilibria=args.max, progress=_progress_printer(args.verbose))
        status = "complete" if res.complete else ("cap_reached" if args.max and len(res.equilibria) >= args.max else "time_limit")
        eq_counts, seconds = res.equilibria, res.seconds
        extra = {"profiles_checked": res.profiles_checked, "profiles_total": res.profiles_total}
    eqs = [game.summarize(inst, c).to_dict(inst) for c in eq_counts]
    out = {"instance": inst.name, "status": status, "equilibria": eqs, "count": len(eqs), **extra, "method": args.method, "seconds": round(seconds, 4)}
    if args.json:
        print(json.dumps(out))
        return 0
    print(_header(inst))
    where = f"; {extra['profiles_checked']:,} of {extra['profiles_total']:,} profiles checked" if "profiles_checked" in extra else ""
    print(f"{len(eqs)} pure equilibria ({status}{where})")
    if status == "cap_reached":
        print(f"stopped at the cap of {args.max} equilibria: there may be more")
    elif status == "time_limit":
        print("stopped at the time limit: there may be more")
    for e in eqs:
        print(f"  {_fmt_counts(e['counts'])}: welfare {_num(e['welfare'])}  {e['structure']}")
    return 0


def cmd_dynamics(args) -> int:
    from .dynamics import best_response_dynamics

    inst = load_instance(args.instance)
    start = None
    if args.start:
        names = [s.strip() for s in args.start.split(",")]
        unknown = [s for s in names if s not in inst.model_names]
        if unknown:
            raise InstanceError(f"--start: unknown model {unknown[0]!r}; known: {', '.join(inst.model_names)}")
        if len(names) != inst.platforms:
            raise InstanceError(f"--start: give one model per platform ({inst.platforms}), comma-separated")
        start = [inst.model_names.index(s) for s in names]
    res = best_response_dynamics(inst, start, seed=args.seed, max_steps=args.max_steps)
    out = {
        "instance": inst.name,
        "status": res.status,
        "start": [inst.model_names[j] for j in res.start],
        "final": [inst.model_names[j] for j in res.final],
        "steps": res.steps,
        "cycle": [inst.counts_dict(c) for c in res.cycle],
    }
    if res.status == "converged":
        out["equilibrium"] = game.summarize(inst, res.counts(inst)).to_dict(inst)
    if args.json:
        print(json.dumps(out))
        return 0
    print(_header(inst))
    print(f"start: {', '.join(out['start'])}")
    if res.status == "converged":
        print(f"converged after {res.steps} switches to {_fmt_counts(out['equilibrium']['counts'])}")
    elif res.status == "cycle":
        print(f"cycle of {len(res.cycle)} revisions found after {res.steps} switches:")
        for c in out["cycle"]:
            print(f"  {_fmt_counts(c)}")
    else:
        print(f"no convergence within {args.max_steps} revisions")
    return 0


def cmd_bench(args) -> int:
    from .bench import run_benchmarks

    run_benchmarks(args)
    return 0


def cmd_import_csv(args) -> int:
    import os

    from .instance import load_csv_instance, save_instance

    inst = load_csv_instance(args.scores, args.masses, mass_column=args.mass_row, platforms=args.platforms, name=args.name)
    tmp = args.out + ".tmp"
    save_instance(inst, tmp)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: {inst.n_models} models, {inst.n_types} user types, {inst.platforms} platforms")
    return 0


def cmd_sweep(args) -> int:
    from .sweep import run_sweep

    table = run_sweep(args.spec, scheduler=args.scheduler, workers=args.workers, progress=not args.no_progress)
    counts = table["status"].value_counts().to_dict()
    print(f"{len(table)} points: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


def cmd_report(args) -> int:
    from .report import write_reports

    for path in write_reports(args.instances, args.out, args.time_limit):
        print(path)
    return 0


def cmd_entry(args) -> int:
    from .entry import baselines, comparison, comparison_table, load_entry_instance, solve_entry

    inst, entrant = load_entry_instance(args.instance)
    res = solve_entry(inst, entrant, args.time_limit)
    out = res.to_dict(inst, entrant)
    rows = comparison(inst, entrant, res, baselines(inst, entrant)) if args.compare else None
    if rows is not None:
        out["comparison"] = rows
    if args.json:
        print(json.dumps(out))
        return 0
    print(_header(inst))
    print(f"entrant: {entrant.name}  (objective {entrant.objective}, {entrant.selection} selection)")
    print(f"status: {out['status']}  ({out['reason']})")
    if out["profile"] is not None:
        print("profile      " + ", ".join(f"{t} {x:.6f}" for t, x in zip(inst.type_names, out["profile"])))
        print(f"equilibrium  {_fmt_counts(out['equilibrium']['counts'])}  ({out['post_entry_equilibria']} post-entry equilibria)")
        print(f"objective {_num(out['objective'])}   adopters {out['adopters']}   bound {_num(out['bound'])}")
    print(f"{out['seconds']:.3f} s")
    if rows is not None:
        print()
        print(comparison_table(inst, rows))
    return 0


def cmd_analyze(args) -> int:
    from .analyze import analyze, format_analysis

    inst = load_instance(args.instance)
    check = None
    if args.set:
        names = [x.strip() for x in args.set.split(",")]
        unknown = [x for x in names if x not in inst.model_names]
        if unknown:
            raise InstanceError(f"--set: unknown model {unknown[0]!r}; known: {', '.join(inst.model_names)}")
        if len(set(names)) != len(names) or len(names) != inst.platforms:
            raise InstanceError(f"--set: give {inst.platforms} distinct models (one per platform), comma-separated")
        check = [inst.model_names.index(x) for x in names]
    res = analyze(inst, check)
    if args.json:
        print(json.dumps(res.to_dict(inst)))
        return 0
    print(_header(inst))
    print(format_analysis(inst, res))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="milp-market", description="Exact market games among generative-model platforms.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("solve", help="existence, best/worst equilibrium, social optimum, PoA/PoS")
    s.add_argument("instance")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--time-limit", type=_seconds, default=None, metavar="S", help="seconds; reaching it gives 'unknown'")
    s.add_argument(
        "--method",
        choices=["auto", "search", "milp", "enumerate"],
        default="auto",
        help="search: support search (hardmax; formulations/search.md); auto picks by the instance's shape",
    )
    s.add_argument(
        "--confirm",
        type=float,
        default=None,
        metavar="S",
        help="also confirm a search answer by the MILP, independently, within S seconds (a second certificate)",
    )
    s.add_argument("--approximate", action="store_true", help="also compute the minimum-regret profile")
    s.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    s.set_defaults(func=cmd_solve)

    e = sub.add_parser("enumerate", help="all pure equilibria by enumeration")
    e.add_argument("instance")
    e.add_argument("--json", action="store_true")
    e.add_argument("--time-limit", type=float, default=None, metavar="S")
    e.add_argument("--max", type=int, default=None, help="stop after this many equilibria")
    e.add_argument("--method", choices=["enumerate", "search", "milp"], default="enumerate", help="search: support search (hardmax)")
    e.add_argument("-v", "--verbose", action="store_true")
    e.set_defaults(func=cmd_enumerate)

    d = sub.add_parser("dynamics", help="best-response dynamics (platforms revise in turn)")
    d.add_argument("instance")
    d.add_argument("--json", action="store_true")
    d.add_argument("--start", help="comma-separated model names, one per platform (default: random)")
    d.add_argument("--seed", type=_nonnegative_int, default=0)
    d.add_argument("--max-steps", type=_positive_int, default=100_000)
    d.set_defaults(func=cmd_dynamics)

    n = sub.add_parser("entry", help="strategic entry: the new model's optimal score profile (hardmax)")
    n.add_argument("instance", help="instance JSON with an \"entrant\" section")
    n.add_argument("--json", action="store_true", help="print one JSON object")
    n.add_argument("--compare", action="store_true", help="also run the baselines (proxy, clone, random search)")
    n.add_argument("--time-limit", type=_seconds, default=None, metavar="S", help="seconds; reaching it gives 'unknown'")
    n.set_defaults(func=cmd_entry)

    a = sub.add_parser("analyze", help="the paper's T and Delta, and the closed-form conditions (formulations/conditions.md)")
    a.add_argument("instance")
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.add_argument("--set", default=None, metavar="A,B,C", help="N distinct models: is one platform on each an equilibrium? (default: the N T-leaders)")
    a.set_defaults(func=cmd_analyze)

    c = sub.add_parser("import-csv", help="turn a CSV score table into an instance file")
    c.add_argument("scores", help="CSV: rows = models (first column = name), columns = user types")
    masses = c.add_mutually_exclusive_group()
    masses.add_argument("--masses", help="CSV with columns user_type,mass (default: uniform)")
    masses.add_argument("--mass-row", help="name of a row of the score table that holds the masses")
    c.add_argument("--platforms", type=_platforms, required=True)
    c.add_argument("--name", default=None)
    c.add_argument("--out", type=_out_file, required=True, help="instance JSON to write")
    c.set_defaults(func=cmd_import_csv)

    w = sub.add_parser("sweep", help="solve a grid of instances on Dask; tidy CSV and plots")
    w.add_argument("spec", help="TOML or JSON sweep spec (see milp_market/sweep.py)")
    w.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler")
    w.add_argument("--workers", type=int, default=2, help="local cluster processes (one solver thread each)")
    w.add_argument("--no-progress", action="store_true")
    w.set_defaults(func=cmd_sweep)

    r = sub.add_parser("report", help="Markdown report with figures per instance")
    r.add_argument("instances", nargs="+", metavar="INSTANCE")
    r.add_argument("--out", required=True, help="output directory, e.g. reports/real-data/")
    r.add_argument("--time-limit", type=float, default=None, metavar="S")
    r.set_defaults(func=cmd_report)

    b = sub.add_parser("bench", help="search vs MILP vs enumeration benchmark; writes reports/benchmarks.md")
    b.add_argument("--out", default="reports/benchmarks.md")
    b.add_argument("--sizes", default="all", help="'all', 'small' or a list like 10x20x3,20x40x5")
    b.add_argument("--families", default="uniform,ties,specialist", help="comma list; FAMILY@mass for the mass_share utility, FAMILY@logitB for logit choice with beta B")
    b.add_argument("--logit-sizes", default=None, help="sizes for FAMILY@logitB families (default: --sizes)")
    b.add_argument("--milp-sizes", default=None, help="run the full MILP only at these sizes (default: every size)")
    b.add_argument("--seeds", type=int, default=2)
    b.add_argument("--enum-cap", type=float, default=30.0, help="seconds before enumeration is stopped and extrapolated")
    b.add_argument("--search-time-limit", type=float, default=300.0, metavar="S")
    b.add_argument("--confirm-time-limit", type=float, default=60.0, metavar="S", help="MILP confirmation of the search (0: skip)")
    b.add_argument(
        "--milp-time-limit", default="120", help="seconds, or per family (and 'real'): specialist=300,uniform=120,ties=120,real=120"
    )
    b.add_argument("--no-real", action="store_true", help="skip the real leaderboard instances")
    b.set_defaults(func=cmd_bench)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "time_limit", None) is not None and not args.time_limit > 0:
        print("error: --time-limit must be positive", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except InstanceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`: not an error of ours
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal failure: one line, non-zero exit, nothing half-printed
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
