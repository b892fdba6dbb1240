"""The ``milp-market`` command: a thin shell over the library.

Exit codes: 0 whenever an answer was printed (``no_equilibrium`` and ``unknown`` are answers),
2 for bad input, 1 for an internal failure. ``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from . import game
from .instance import InstanceError, load_instance, platforms_error
from .results import DynamicsStatus, ListStatus, RegretStatus


class _Parser(argparse.ArgumentParser):
    """argparse with this CLI's convention for bad input: one line on stderr, exit status 2."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def _positive_int(text: str) -> int:
    if (v := _integer(text)) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer (got {v})")
    return v


def _nonnegative_int(text: str) -> int:
    if (v := _integer(text)) < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0 (got {v})")
    return v


def _platforms(text: str) -> int:
    if (why := platforms_error(_integer(text))) is not None:
        raise argparse.ArgumentTypeError(why)
    return int(text)


def _seconds(text: str, allow_zero: bool = False) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        need = "a finite number of seconds >= 0" if allow_zero else "a positive, finite number of seconds"
        raise argparse.ArgumentTypeError(f"must be {need} (got {text})")
    return v


def _seconds_or_zero(text: str) -> float:
    return _seconds(text, allow_zero=True)


def _out_file(text: str) -> str:
    """An output file path: not a folder, in a folder that exists (checked before any work)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file name inside it")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"folder {path.parent} does not exist; create it first")
    return text


def _strict(x):
    """JSON-safe: a NaN (an unknown number) becomes null, an infinity the string "inf" or "-inf"."""
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {k: _strict(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_strict(v) for v in x]
    return x


def _print_json(out: dict) -> None:
    """``--json``: exactly one strict JSON object (no NaN or Infinity tokens) on stdout."""
    print(json.dumps(_strict(out), allow_nan=False))


def _n(count: int, one: str, many: str) -> str:
    """'1 switch', '3 switches'."""
    return f"{count} {one if count == 1 else many}"


def _fmt_counts(counts: dict) -> str:
    return ", ".join(f"{k} x{v}" for k, v in counts.items())


def _num(x, nd=4):
    if x is None:
        return "n/a"
    if isinstance(x, str) or math.isinf(x):
        return str(x)
    return f"{x:.{nd}f}"


def _count(n: int, noun: str) -> str:
    """``1 platform``, ``2 platforms`` (nouns that take an s)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _header(inst) -> str:
    return (
        f"instance: {inst.name}  ({_count(inst.n_models, 'model')}, {_count(inst.n_types, 'user type')}, "
        f"{_count(inst.platforms, 'platform')}, {inst.choice}, {inst.utility})"
    )


def _progress_printer(enabled: bool):
    if not enabled:
        return None

    def show(done, total):
        print(f"\r  enumerated {done:,}/{total:,} profiles", end="", file=sys.stderr, flush=True)
        if done >= total:
            print(file=sys.stderr)

    return show


#: The share of ``--time-limit`` that ``solve --approximate`` gives the solve itself.
APPROXIMATE_SHARE = 0.75


def _cmd_solve(args) -> int:
    from .orchestrate import solve_market

    inst = load_instance(args.instance)
    if args.confirm is not None and not args.confirm > 0:
        raise InstanceError("--confirm must be a positive number of seconds")
    log = (lambda msg: print(msg, file=sys.stderr)) if args.verbose else None
    # With --approximate the solve gets at most APPROXIMATE_SHARE of the limit, so that a solve
    # that runs to the limit still leaves the minimum-regret search time (an audit saw it get
    # 1e-6 s and answer [0, greedy incumbent]); a solve that ends sooner leaves it the rest.
    solve_limit = args.time_limit
    if args.approximate and args.time_limit is not None:
        solve_limit = APPROXIMATE_SHARE * args.time_limit
    res = solve_market(
        inst, args.method, solve_limit, log=log, progress=_progress_printer(args.verbose), confirm=args.confirm, reference=args.confirm_reference
    )
    out = res.to_dict(inst)
    if args.approximate:
        from .regret import min_regret

        # A verified equilibrium has regret 0 (up to 1e-9): no search needed, and the answer is
        # exactly 0 rather than the search's tolerance.
        known = res.best.profile.counts if res.best is not None and res.best.profile is not None else None
        # one deadline for the whole command: the min-regret search gets what the solve left
        # (at least a microsecond: a spent limit still gives the search's "unknown" answer)
        left = None if args.time_limit is None else max(1e-6, args.time_limit - res.seconds)
        mr = min_regret(inst, time_limit=left, known_equilibrium=known)
        out["min_regret"] = mr.to_dict(inst)
        if args.confirm is not None and mr.method == "search" and mr.status is RegretStatus.OPTIMAL:
            from .regret import confirm_min_regret_by_milp

            # the second certificate (formulations/min_regret.md, "By search"): the MILP asked
            # for a profile of smaller regret; where it cannot finish, the search's proof stands
            out["min_regret"]["milp_confirmation"] = confirm_min_regret_by_milp(inst, mr, time_limit=args.confirm, log=log)
    # a second certificate asked for but not run: say why rather than print nothing (found by
    # review), in the text and in --json (audit)
    not_run = {}
    for asked, key, label in ((args.confirm, "milp_confirmation", "--confirm"), (args.confirm_reference, "reference_confirmation", "--confirm-reference")):
        if asked is not None and key not in out["stats"]:
            if not res.method.split(":")[-1].startswith("search"):
                not_run[label] = f"the answer came from {res.method.split(':')[-1]}, not the search"
            elif key == "reference_confirmation" and inst.choice == "softmax":
                not_run[label] = "the reference search is for hardmax choice"
            else:
                not_run[label] = "the search did not finish"
    if not_run:
        out["confirmations_not_run"] = not_run
    if args.json:
        _print_json(out)
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
        tag = "" if so["proven_optimal"] else ("  [not proven]" if so["bound"] is None else f"  [not proven; bound {_num(so['bound'])}]")
        print(f"{'social optimum':18s} {_fmt_counts(so['counts'])}\n{'':18s} welfare {_num(so['welfare'])}{tag}")
    prices = []
    for key, label in (("price_of_anarchy", "price of anarchy"), ("price_of_stability", "price of stability")):
        b = out[key + "_bounds"]
        if out[key] is None and b is not None:
            # unproven: the interval of formulations/welfare_bounds.md (W3)
            prices.append(f"{label} in [{_num(b[0])}, {_num(b[1])}]")
        else:
            prices.append(f"{label} {_num(out[key])}")
    print("   ".join(prices))
    if "min_regret" in out and out["min_regret"]["counts"] is None:
        print(f"min-regret profile: none found before the limit ({out['min_regret']['status']})")
    elif "min_regret" in out:
        mr = out["min_regret"]
        tag = f"; by {mr['method']}" if mr["status"] == "optimal" else f"; not proven minimal: bound {_num(mr['bound'], 6)}"
        if "milp_confirmation" in mr:
            tag += f"; MILP confirmation: {mr['milp_confirmation']}"
        print(
            f"min-regret profile {_fmt_counts(mr['counts'])}: epsilon {_num(mr['epsilon'], 6)} "
            f"({_num(mr['relative_epsilon'], 4)} of the mean platform utility{tag})"
        )
    st = out["stats"]
    seconds = [
        f"{label}: {st[key]} ({st[key + '_seconds']:.3f} s)"
        for key, label in (("milp_confirmation", "MILP confirmation"), ("reference_confirmation", "reference search"))
        if key in st
    ]
    if seconds:
        print(f"certificates: {'count-vector' if inst.choice == 'softmax' else 'support'} search {st['search_seconds']:.3f} s; " + "; ".join(seconds))
    for label, why in not_run.items():
        print(f"{label} not run: {why}")
    if out["status"] == "unknown" and st.get("tree_weight") is not None:
        # how far the stopped support search got (formulations/search.md, "Progress")
        print(f"search stopped with tree weight {st['tree_weight']:.3g} closed ({st['search_nodes']:,} supports visited)")
    print(f"method {out['method']}   {out['seconds']:.3f} s")
    return 0


def _cmd_enumerate(args) -> int:
    from .orchestrate import enumerate_equilibria

    inst = load_instance(args.instance)
    res = enumerate_equilibria(inst, args.method, args.max, args.time_limit, progress=_progress_printer(args.verbose))
    eq_counts, status, seconds, extra = res.equilibria, res.status, res.seconds, res.stats
    eqs = [game.summarize(inst, c).to_dict(inst) for c in eq_counts]
    out = {"instance": inst.name, "status": status, "equilibria": eqs, "count": len(eqs), **extra, "method": args.method, "seconds": round(seconds, 4)}
    if args.json:
        _print_json(out)
        return 0
    print(_header(inst))
    where = f"; {extra['profiles_checked']:,} of {extra['profiles_total']:,} profiles checked" if "profiles_checked" in extra else ""
    if "equilibria_total" in extra:
        # complete before the cap was checked: the count is known, only the list is cut
        print(f"{_n(extra['equilibria_total'], 'pure equilibrium', 'pure equilibria')} (complete{where}); the best {len(eqs)} by welfare listed (--max)")
    else:
        print(f"{_n(len(eqs), 'pure equilibrium', 'pure equilibria')} ({status}{where})")
    if status is ListStatus.CAP_REACHED and "equilibria_total" not in extra:
        print(f"stopped at the cap of {args.max} equilibria: there may be more")
    elif status is ListStatus.TIME_LIMIT:
        print("stopped at the time limit: there may be more")
    for e in eqs:
        print(f"  {_fmt_counts(e['counts'])}: welfare {_num(e['welfare'])}  {e['structure']}")
    return 0


def _cmd_dynamics(args) -> int:
    from .dynamics import best_response_dynamics, write_history

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
    res = best_response_dynamics(inst, start, seed=args.seed, max_steps=args.max_steps, record=args.history is not None)
    out = {
        "instance": inst.name,
        "status": res.status,
        "start": [inst.model_names[j] for j in res.start],
        "final": [inst.model_names[j] for j in res.final],
        "steps": res.steps,
        "cycle": [inst.counts_dict(c) for c in res.cycle],
    }
    if res.status is DynamicsStatus.CONVERGED:
        out["equilibrium"] = game.summarize(inst, res.counts(inst)).to_dict(inst)
    if args.history is not None:
        try:
            out["history"] = {"file": args.history, "revisions": write_history(inst, res, args.history)}
        except OSError as exc:
            raise InstanceError(f"--history {args.history}: cannot write ({exc.strerror or exc})") from None
    if args.json:
        _print_json(out)
        return 0
    print(_header(inst))
    print(f"start: {', '.join(out['start'])}")
    if res.status is DynamicsStatus.CONVERGED:
        print(f"converged after {_n(res.steps, 'switch', 'switches')} to {_fmt_counts(out['equilibrium']['counts'])}")
    elif res.status is DynamicsStatus.CYCLE:
        # a revision in which the platform stays leaves the market as it was: list the states the
        # market passes through, once each time it enters them (--json keeps every revision)
        states = [c for i, c in enumerate(res.cycle) if i == 0 or c != res.cycle[i - 1]]
        if len(states) > 1 and states[-1] == states[0]:
            states.pop()
        # the platforms may come back to the same count vectors on other models before their own
        # revisions repeat: list the count vectors' own period once (no_equilibrium.json: 6
        # revisions go twice around 3 count vectors)
        period = next(p for p in range(1, len(states) + 1) if len(states) % p == 0 and all(s == states[i % p] for i, s in enumerate(states)))
        laps = "" if period == len(states) else f", {len(states) // period} times around {_n(period, 'count vector', 'count vectors')}"
        print(
            f"cycle of {_n(len(res.cycle), 'revision', 'revisions')} ({_n(len(states), 'market state', 'market states')}{laps}) "
            f"found after {_n(res.steps, 'switch', 'switches')} in all; the market passes through:"
        )
        for c in states[:period]:
            print(f"  {_fmt_counts(inst.counts_dict(c))}")
    else:
        print(f"no convergence within {_n(args.max_steps, 'revision', 'revisions')}")
    if "history" in out:
        print(f"history: {out['history']['revisions']} revisions written to {args.history}")
    return 0


def _cmd_bench(args) -> int:
    from .bench import BenchConfig, default_out, parse_milp_time_limit, parse_sizes, run_benchmarks

    config = BenchConfig(
        out=args.out if args.out is not None else default_out(args.min_regret),
        min_regret=args.min_regret,
        sizes=parse_sizes(args.sizes),
        families=tuple(f.strip() for f in args.families.split(",") if f.strip()),
        logit_sizes=parse_sizes(args.logit_sizes) if args.logit_sizes else None,
        milp_sizes=parse_sizes(args.milp_sizes) if args.milp_sizes else None,
        seeds=args.seeds,
        enum_cap=args.enum_cap,
        search_time_limit=args.search_time_limit,
        confirm_time_limit=args.confirm_time_limit,
        milp_time_limit=parse_milp_time_limit(str(args.milp_time_limit)),
        real=not args.no_real,
        # The report's "Regenerate with" line: the options as typed.
        command="milp-market bench" + "".join(" " + a for a in sys.argv[2:]) if sys.argv[1:2] == ["bench"] else None,
    )
    run_benchmarks(config)
    return 0


def _write_out(out: str, write) -> None:
    """``write(tmp)`` to a fresh temporary file beside ``out``, then move it into place: --out is
    never half-written, and a failure is one line (exit 2) with the temporary file removed."""
    import os
    import secrets

    dest = Path(out)
    tmp = dest.parent / f".{dest.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        write(tmp)
        os.replace(tmp, dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InstanceError(f"--out {out}: cannot write ({exc.strerror or exc})") from None


def _cmd_import_csv(args) -> int:
    from .instance import load_csv_instance, save_instance

    inst = load_csv_instance(args.scores, args.masses, mass_column=args.mass_row, platforms=args.platforms, name=args.name)
    inst, doc, payload = _ratings_and_intervals(inst, args)
    if payload is None:
        _write_out(args.out, lambda tmp: save_instance(inst, tmp))
    else:
        _write_out(args.out, lambda tmp: Path(tmp).write_text(json.dumps(payload, indent=2) + "\n"))
    print(f"wrote {args.out}: {_count(inst.n_models, 'model')}, {_count(inst.n_types, 'user type')}, {_count(inst.platforms, 'platform')}")
    for line in doc:
        print(line)
    return 0


def _ratings_and_intervals(inst, args):
    """import-csv's --ratings (cells are arena ratings, turned into scores) and --half-widths
    (a table of the same rows and columns, turned into score intervals for `robust`).
    Returns (nominal instance, lines stating the transforms, JSON payload or None)."""
    import dataclasses

    import numpy as np

    from .instance import make_instance, read_csv_table

    doc, H = [], None
    if args.half_widths is not None:
        rows, cols, H = read_csv_table(args.half_widths)
        if rows != list(inst.model_names) or cols != list(inst.type_names):
            raise InstanceError(
                f"--half-widths {args.half_widths}: rows and columns must be those of {args.scores} in the same order"
            )
    if not args.ratings:
        if H is None:
            return inst, doc, None
        from .robust import make_uncertain

        S = inst.scores
        unc = make_uncertain(inst, np.maximum(S - H, 0.0), S + H, source=str(args.half_widths))
        doc.append("intervals: [max(0, score - half-width), score + half-width], half-widths in score units")
        return inst, doc, unc.to_json_dict()
    from .robust import make_uncertain, score_intervals_from_ratings, winprob

    R = inst.scores
    ref = np.median(R, axis=0)  # over every row of the file, as the shipped LMArena instances
    S = np.round(winprob(R, ref), 6)
    nominal = make_instance(
        S, inst.masses, inst.platforms, name=inst.name, model_names=inst.model_names, type_names=inst.type_names,
        utility=inst.utility, description=inst.description, source=str(args.scores),
    )
    nominal = dataclasses.replace(nominal, description=(inst.description + " " if inst.description else "") + (
        "Scores = win probability against the column median rating R_ref over all rows of the file, "
        "1/(1+10^((R_ref-R)/400)), rounded to 6 decimals (milp-market import-csv --ratings)."))
    doc.append("scores: win probability against the column median rating, 1/(1+10^((R_ref-R)/400)), 6 decimals")
    if H is None:
        return nominal, doc, nominal.to_json_dict()
    lo, _, up = score_intervals_from_ratings(R, H, ref)
    unc = make_uncertain(nominal, lo, up, source=str(args.half_widths))
    doc.append("intervals: the same transform of rating - half-width and rating + half-width")
    return nominal, doc, unc.to_json_dict()


def _cmd_import_seed(args) -> int:
    from . import instance
    from .seed_import import load_seed_dir

    inst = load_seed_dir(args.folder, args.platforms, utility=args.utility, name=args.name)
    _write_out(args.out, lambda tmp: instance.save_instance(inst, tmp))
    print(
        f"wrote {args.out}: {_count(inst.n_models, 'model')} x {_count(inst.n_types, 'user group')} (S.npy transposed), "
        f"{_count(inst.platforms, 'platform')}, {inst.utility}"
    )
    return 0


def _cmd_synthetic(args) -> int:
    from . import instance, synthetic

    spec = synthetic.load_spec(args.spec)
    inst = synthetic.build_instance(spec, where=args.spec)
    _write_out(args.out, lambda tmp: instance.save_instance(inst, tmp))
    print(
        f"wrote {args.out}: {_count(inst.n_models, 'model')} x {_count(inst.n_types, 'user type')} ({spec['users']['placement']}), "
        f"{_count(inst.platforms, 'platform')}, {inst.choice}, {inst.utility}"
    )
    if args.map:
        from .orchestrate import solve_market

        res = solve_market(inst, time_limit=args.time_limit)
        try:
            synthetic.map_figure(spec, inst, synthetic.answer_panels(inst, res), args.map,
                                 title=f"{inst.name}: {res.status.value} (N = {inst.platforms}, {res.method})")
        except OSError as exc:
            raise InstanceError(f"--map {args.map}: cannot write ({exc.strerror or exc})") from None
        print(f"wrote {args.map}: best and worst equilibrium and social optimum ({res.status.value})")
    return 0


def _cmd_sweep(args) -> int:
    from .sweep import run_sweep

    if args.scheduler and args.workers is not None:
        raise InstanceError("--workers sets the size of the local cluster; with --scheduler the cluster's own workers run the points")
    workers = 2 if args.workers is None else args.workers
    table = run_sweep(args.spec, scheduler=args.scheduler, workers=workers, progress=not args.no_progress)
    counts = table["status"].value_counts().to_dict()
    print(f"{len(table)} points: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


def _cmd_report(args) -> int:
    from .report import write_reports, write_sample_reports

    if args.samples is None:
        if args.seed is not None or args.distribution is not None or args.scheduler is not None or args.workers is not None:
            raise InstanceError("--seed, --distribution, --scheduler and --workers need --samples R")
        paths = write_reports(args.instances, args.out, args.time_limit)
    else:
        paths = write_sample_reports(
            args.instances,
            args.out,
            args.samples,
            seed=0 if args.seed is None else args.seed,
            distribution=args.distribution or "uniform",
            scheduler=args.scheduler,
            workers=2 if args.workers is None else args.workers,
            time_limit=args.time_limit,
            progress=not args.no_progress,
        )
    for path in paths:
        print(path)
    return 0


def _cmd_entry(args) -> int:
    from .entrant import load_entry_instance
    from .entry import solve_entry
    from .entry_baselines import baselines, comparison

    inst, entrant = load_entry_instance(args.instance)
    res = solve_entry(inst, entrant, args.time_limit)
    out = res.to_dict(inst, entrant)
    rows = comparison(inst, entrant, res, baselines(inst, entrant)) if args.compare else None
    if rows is not None:
        out["comparison"] = rows
    if args.json:
        _print_json(out)
        return 0
    print(_header(inst))
    print(f"entrant: {entrant.name}  (objective {entrant.objective}, {entrant.selection} selection)")
    print(f"status: {out['status']}  ({out['reason']})")
    if out["profile"] is not None:
        print("profile      " + ", ".join(f"{t} {x:.6f}" for t, x in zip(inst.type_names, out["profile"])))
        print(f"equilibrium  {_fmt_counts(out['equilibrium']['counts'])}  ({_n(out['post_entry_equilibria'], 'post-entry equilibrium', 'post-entry equilibria')})")
        print(f"objective {_num(out['objective'])}   adopters {out['adopters']}   bound {_num(out['bound'])}")
    print(f"{out['seconds']:.3f} s")
    if rows is not None:
        print()
        print(comparison_table(inst, rows))
    return 0


def comparison_table(inst, rows: list[dict]) -> str:
    """The ``entry --compare`` table in Markdown (rows from ``entry_baselines.comparison``)."""
    lines = [
        "| method | profile (" + ", ".join(inst.type_names) + ") | adopters | objective | gain of bilevel | post-entry equilibrium |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        prof = "n/a" if r["profile"] is None else "(" + ", ".join(f"{x:.6f}" for x in r["profile"]) + ")"
        obj = "n/a" if r["objective"] is None else f"{r['objective']:.4f}"
        gain = "n/a" if r["gain"] is None else f"{r['gain']:+.4f}"
        eq = r.get("note") or ("none" if r["equilibrium"] is None else ", ".join(f"{k} x{v}" for k, v in r["equilibrium"]["counts"].items()))
        lines.append(f"| {r['method']} | {prof} | {'n/a' if r['adopters'] is None else r['adopters']} | {obj} | {gain} | {eq} |")
    return "\n".join(lines)


def _cmd_analyze(args) -> int:
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


def _cmd_robust(args) -> int:
    from .robust import load_uncertain_instance, robust_profiles

    unc = load_uncertain_instance(args.instance)
    inst = unc.nominal
    if inst.choice != "hardmax":
        raise InstanceError(f"{args.instance}: robust supports hardmax choice only; this instance uses logit (softmax) choice")
    if args.samples is not None:
        if args.profile or args.possible:
            raise InstanceError("--samples excludes --profile and --possible: it solves every draw for its best and worst equilibria")
        return _robust_samples(args, unc)
    if args.seed is not None or args.distribution is not None or args.scheduler is not None or args.report is not None:
        raise InstanceError("--seed, --distribution, --scheduler and --report need --samples R")
    if args.possible:
        return _robust_possible(args, unc)
    profiles = _robust_profiles_arg(args, inst)
    rep = robust_profiles(unc, profiles)
    out = rep.to_dict(inst)
    if args.json:
        _print_json(out)
        return 0
    print(_header(inst))
    wide = int((unc.upper > unc.lower).sum())
    print(f"box: {wide} of {unc.lower.size} scores uncertain; nominal status {rep.nominal_status}")
    if not out["profiles"]:
        print("no profile to certify (the nominal game has no pure equilibrium; give one with --profile)")
    for p in out["profiles"]:
        print(f"profile {_fmt_counts(p['counts'])}  ({p['label']})")
        print(f"  robust: {'yes' if p['robust'] else 'no'}  ({p['proof']})")
        if p["robust_fraction"] is None:
            print("  not an equilibrium at the nominal scores: robust fraction n/a")
        elif p["robust"]:
            print("  robust fraction: 1 (the whole box)")
        else:
            a, b = p["robust_fraction_bracket"]
            first = p["breaks_first"]
            print(
                f"  robust fraction: {a:.4f} of the intervals (robust at {a:.5f}, not at {b:.5f}, where a platform on "
                f"{first['platform_model']} can gain by switching to {first['deviation_to']})"
            )
    print(f"{out['seconds']:.3f} s")
    return 0


def _robust_profiles_arg(args, inst) -> list | None:
    if not args.profile:
        return None
    profiles = []
    for text in args.profile:
        names = [x.strip() for x in text.split(",")]
        unknown = [x for x in names if x not in inst.model_names]
        if unknown:
            raise InstanceError(f"--profile: unknown model {unknown[0]!r}; known: {', '.join(inst.model_names)}")
        if len(names) != inst.platforms:
            raise InstanceError(f"--profile: give one model per platform ({inst.platforms}), comma-separated")
        counts = [0] * inst.n_models
        for x in names:
            counts[inst.model_names.index(x)] += 1
        profiles.append(counts)
    return profiles


def _robust_possible(args, unc) -> int:
    from .robust import possible_equilibrium, possible_market_equilibrium

    inst = unc.nominal
    profiles = _robust_profiles_arg(args, inst)
    if profiles:
        res = [possible_equilibrium(unc, c, time_limit=args.time_limit) for c in profiles]
        out = {"instance": inst.name, "question": "possible equilibrium", "profiles": [r.to_dict(inst) for r in res]}
    else:
        r = possible_market_equilibrium(unc, time_limit=args.time_limit)
        out = {"instance": inst.name, "question": "does some matrix of the box admit a pure equilibrium", "market": r.to_dict(inst)}
    if args.json:
        _print_json(out)
        return 0
    print(_header(inst))
    for p in out.get("profiles", []):
        verdict = {
            "possible": "yes: an equilibrium for the witness matrix below (re-checked by the exact evaluator)",
            "impossible": "no: an equilibrium for no matrix of the box (proof: formulations/robust.md, Possible equilibria)",
            "unknown": "undecided (no candidate survived the exact re-check)",
        }[p["status"]]
        print(f"profile {_fmt_counts(p['counts'])}: {verdict}")
        if p["witness"]:
            for name, row in p["witness"].items():
                print(f"  {name}: {', '.join(f'{x:.6g}' for x in row)}")
    if "market" in out:
        m = out["market"]
        if m["status"] == "fragile":
            print(f"some matrix of the box has a pure equilibrium: {_fmt_counts(m['equilibrium'])} (witness with --json)")
        elif m["status"] == "robust":
            print(f"no matrix of the box has a pure equilibrium: all {m['profiles_total']} profiles proven impossible")
        else:
            print(f"undecided: {m['undecided']} of {m['profiles_checked']} profiles undecided")
    return 0


def _robust_samples(args, unc) -> int:
    from .report import check_out_dir, write_sample_reports
    from .robust import sample_outcomes

    inst = unc.nominal
    seed = 0 if args.seed is None else args.seed
    distribution = args.distribution or "uniform"
    if args.report is not None:
        check_out_dir(args.report, "--report")  # refuse an unsuitable folder before any draw is solved
    rep = sample_outcomes(
        unc,
        args.samples,
        seed=seed,
        distribution=distribution,
        scheduler=args.scheduler,
        workers=args.workers,
        time_limit=args.time_limit,
        progress=not args.no_progress,
    )
    out = rep.to_dict(inst)
    if args.report is not None:
        limit = f" --time-limit {args.time_limit:g}" if args.time_limit is not None else ""
        command = (
            f"milp-market robust {args.instance} --samples {args.samples} --seed {seed} --distribution {distribution}"
            f"{limit} --report {args.report}"
        )
        [path] = write_sample_reports(
            [args.instance], args.report, args.samples, seed, distribution, time_limit=args.time_limit, command=command,
            results=[rep],
        )
        out["report"] = str(path)
    if args.json:
        _print_json(out)
        return 0
    print(_header(inst))
    print(f"{out['samples']} draws, seed {out['seed']}, {out['distribution_statement']}")
    print(f"near-ties: {out['near_ties']} ({out['redrawn_columns']} column(s) redrawn)")
    line = f"pure equilibrium in {out['equilibrium']} of {out['samples']} draws ({100 * out['share_with_equilibrium']:.1f}%)"
    line += f"; proven none in {out['no_equilibrium']}"
    if out["unknown"]:
        line += f"; unknown (time limit) in {out['unknown']}"
    print(line)
    for key, title in (("best_profiles", "best equilibrium"), ("worst_profiles", "worst equilibrium")):
        print(f"{title} (profile: share of draws):")
        for p in out[key][:10]:
            print(f"  {_fmt_counts(p['counts'])}: {100 * p['frequency']:.1f}%")
        if len(out[key]) > 10:
            print(f"  ... {len(out[key]) - 10} more (--json lists all)")
    for key in ("structure_best", "structure_worst"):
        print(f"{key.replace('_', ' of the ')} equilibrium: " + ", ".join(f"{k} {v}" for k, v in out[key].items()))
    for key, q in out["quantiles"].items():
        if q is not None:
            print(f"{key}: 5% {q['q05']:.4g}, median {q['q50']:.4g}, 95% {q['q95']:.4g}")
    print(f"{out['backend']}; {out['seconds']:.2f} s")
    if "report" in out:
        print(f"report: {out['report']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``milp-market`` argument parser: one subcommand per question (README, "Commands").

    Examples
    --------
    >>> args = build_parser().parse_args(["solve", "instances/ties.json", "--json"])
    >>> args.command, args.instance, args.json
    ('solve', 'instances/ties.json', True)
    """
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
        help="search: support search (hardmax; formulations/search.md) or count-vector search (logit; formulations/logit_search.md); auto picks by the instance's shape",
    )
    s.add_argument(
        "--confirm",
        type=_seconds,
        default=None,
        metavar="S",
        help="also confirm a search answer by the MILP, independently, within S seconds (a second certificate); with --approximate, also the minimum regret the search proved",
    )
    s.add_argument(
        "--confirm-reference",
        type=_seconds,
        default=None,
        metavar="S",
        help="also list every equilibrium of a (hardmax) search answer again by the reference search, a plain second implementation of its lemmas (formulations/search.md), within S seconds, and compare the lists",
    )
    s.add_argument("--approximate", action="store_true", help="also compute the minimum-regret profile")
    s.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    s.set_defaults(func=_cmd_solve)

    e = sub.add_parser("enumerate", help="every pure equilibrium (by enumeration, or --method search | milp)")
    e.add_argument("instance")
    e.add_argument("--json", action="store_true")
    e.add_argument("--time-limit", type=_seconds, default=None, metavar="S")
    e.add_argument("--max", type=_positive_int, default=None, help="stop after this many equilibria (a positive integer)")
    e.add_argument("--method", choices=["enumerate", "search", "milp"], default="enumerate", help="search: support search (hardmax) or count-vector search (logit)")
    e.add_argument("-v", "--verbose", action="store_true")
    e.set_defaults(func=_cmd_enumerate)

    d = sub.add_parser("dynamics", help="best-response dynamics (platforms revise in turn)")
    d.add_argument("instance")
    d.add_argument("--json", action="store_true")
    d.add_argument("--start", help="comma-separated model names, one per platform (default: random)")
    d.add_argument("--seed", type=_nonnegative_int, default=0)
    d.add_argument("--max-steps", type=_positive_int, default=100_000, help="the most revisions (a platform's turn, whether it switches or stays); the JSON's steps counts switches")
    d.add_argument(
        "--history",
        type=_out_file,
        default=None,
        metavar="FILE.csv",
        help="write the trajectory, one row per revision (the seed paper's history.csv), atomically",
    )
    d.set_defaults(func=_cmd_dynamics)

    n = sub.add_parser("entry", help="strategic entry: the new model's optimal score profile (hardmax)")
    n.add_argument("instance", help="instance JSON with an \"entrant\" section")
    n.add_argument("--json", action="store_true", help="print one JSON object")
    n.add_argument("--compare", action="store_true", help="also run the baselines (proxy, clone, random search)")
    n.add_argument("--time-limit", type=_seconds, default=None, metavar="S", help="seconds; reaching it gives 'unknown'")
    n.set_defaults(func=_cmd_entry)

    a = sub.add_parser("analyze", help="the paper's T and Delta, and the closed-form conditions (formulations/conditions.md)")
    a.add_argument("instance")
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.add_argument("--set", default=None, metavar="A,B,C", help="N distinct models: is one platform on each an equilibrium? (default: the N T-leaders)")
    a.set_defaults(func=_cmd_analyze)

    u = sub.add_parser("robust", help="is a profile an equilibrium for every score in the intervals? (hardmax; formulations/robust.md)")
    u.add_argument("instance", help="instance JSON whose models may carry \"lower\" and \"upper\" beside \"scores\"")
    u.add_argument("--json", action="store_true", help="print one JSON object")
    u.add_argument(
        "--profile", action="append", default=None, metavar="A,B,C",
        help="one model per platform, comma-separated (repeatable; default: the nominal best and worst equilibria)",
    )
    u.add_argument(
        "--samples", type=_positive_int, default=None, metavar="R",
        help="instead: draw R score matrices inside the intervals and solve each exactly (outcome distribution)",
    )
    u.add_argument("--seed", type=_nonnegative_int, default=None, help="with --samples: the seed of the draws (default 0)")
    u.add_argument(
        "--distribution", choices=["uniform", "normal"], default=None,
        help="with --samples: uniform in the box (default), or normal with the half-width as 1.96 sigma, truncated to the box",
    )
    u.add_argument("--scheduler", default=None, metavar="ADDRESS", help="with --samples: an existing Dask scheduler")
    u.add_argument(
        "--workers", type=_positive_int, default=2,
        help="with --samples: local Dask worker processes (a local cluster is used from 200 draws on)",
    )
    u.add_argument("--time-limit", type=_seconds, default=None, metavar="S", help="with --samples: seconds per draw")
    u.add_argument("--no-progress", action="store_true", help="with --samples: no progress bar on stderr")
    u.add_argument(
        "--report", default=None, metavar="DIR",
        help="with --samples: also write the Markdown report with figures to DIR (as `report --samples`; same folder rules)",
    )
    u.add_argument(
        "--possible", action="store_true",
        help="instead: does SOME matrix of the box make each --profile an equilibrium (without --profile: any profile)?",
    )
    u.set_defaults(func=_cmd_robust)

    c = sub.add_parser("import-csv", help="turn a CSV score table into an instance file")
    c.add_argument("scores", help="CSV: rows = models (first column = name), columns = user types")
    masses = c.add_mutually_exclusive_group()
    masses.add_argument("--masses", help="CSV with columns user_type,mass (default: uniform)")
    masses.add_argument("--mass-row", help="name of a row of the score table that holds the masses")
    c.add_argument("--platforms", type=_platforms, required=True)
    c.add_argument("--name", default=None)
    c.add_argument("--out", type=_out_file, required=True, help="instance JSON to write")
    c.add_argument("--ratings", action="store_true",
                   help="cells are arena (Elo) ratings: score = win probability against the column median rating")
    c.add_argument("--half-widths", default=None, metavar="HW.csv",
                   help="confidence half-widths, same rows and columns: writes score intervals (lower/upper) for `robust`")
    c.set_defaults(func=_cmd_import_csv)

    g = sub.add_parser(
        "import-seed",
        help="turn the seed paper's S.npy, pi.npy, model_names.json, user_names.json into an instance file",
        description="Read the folder the seed paper's RealData/build_S_from_models.py writes (S.npy: user groups x models, "
        "transposed here; pi.npy; model_names.json; user_names.json) and write a hardmax instance JSON.",
    )
    g.add_argument("folder", metavar="DIR", help="the seed's output folder (build_S_from_models.py --outdir)")
    g.add_argument("--platforms", type=_platforms, required=True, help="N, the number of platforms (the seed's --players)")
    g.add_argument("--utility", choices=["score_share", "mass_share"], default="score_share", help="platform utility (default: the seed's score_share)")
    g.add_argument("--name", default=None, help="instance name (default: the folder's name)")
    g.add_argument("--out", type=_out_file, required=True, help="instance JSON to write (atomically)")
    g.set_defaults(func=_cmd_import_seed)

    y = sub.add_parser(
        "synthetic",
        help="the seed paper's synthetic setting: a 2-D Gaussian-mixture spec -> an instance file (and maps)",
        description="Turn a spec (JSON, or TOML for .toml: mixture components, user types sampled with a seed or on a "
        "grid, models as bias plus Gaussian bumps, platforms, choice, utility; milp_market/synthetic.py) into a "
        "validated instance JSON. --map also solves it and draws which model serves each region of the plane at the "
        "best and worst equilibrium and the social optimum.",
    )
    y.add_argument("spec", metavar="SPEC", help="synthetic spec (.json or .toml)")
    y.add_argument("--out", type=_out_file, required=True, help="instance JSON to write (atomically)")
    y.add_argument("--map", type=_out_file, default=None, metavar="FILE.png", help="also solve and write the 2-D maps here")
    y.add_argument("--time-limit", type=_seconds, default=None, help="seconds for the solve behind --map")
    y.set_defaults(func=_cmd_synthetic)

    w = sub.add_parser("sweep", help="solve a grid of instances on Dask; tidy CSV and plots")
    w.add_argument("spec", help="TOML or JSON sweep spec (see milp_market/sweep.py)")
    w.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler")
    w.add_argument("--workers", type=_positive_int, default=None, help="local cluster processes (one solver thread each; default 2)")
    w.add_argument("--no-progress", action="store_true")
    w.set_defaults(func=_cmd_sweep)

    r = sub.add_parser(
        "report",
        help="Markdown report with figures per instance",
        description="Solve each instance and write DIR/<name>.md with figures, and the index DIR/README.md. DIR must be new, "
        "empty, or made by an earlier `report` (it keeps a manifest, .milp-market-report.json, of the files it wrote); any "
        "other folder is refused, so no file of yours is overwritten. File names come from instance names reduced to "
        "[A-Za-z0-9._-], with -2, -3, ... added on a collision; the index lists only the reports in the manifest.",
    )
    r.add_argument("instances", nargs="+", metavar="INSTANCE")
    r.add_argument("--out", required=True, metavar="DIR", help="output folder: new, empty, or made by milp-market report")
    r.add_argument("--time-limit", type=float, default=None, metavar="S", help="seconds per instance (per draw with --samples)")
    r.add_argument(
        "--samples", type=_positive_int, default=None, metavar="R",
        help="instead: the outcome distribution of each uncertain instance over R score matrices drawn inside its "
        "intervals (as `robust --samples`), with figures; DIR/<name>-samples-<distribution>.md",
    )
    r.add_argument("--seed", type=_nonnegative_int, default=None, help="with --samples: the seed of the draws (default 0)")
    r.add_argument(
        "--distribution", choices=["uniform", "normal"], default=None,
        help="with --samples: uniform in the box (default), or normal with the half-width as 1.96 sigma, truncated to the box",
    )
    r.add_argument("--scheduler", default=None, metavar="ADDRESS", help="with --samples: an existing Dask scheduler")
    r.add_argument(
        "--workers", type=_positive_int, default=None,
        help="with --samples: local Dask worker processes (a local cluster is used from 200 draws on; default 2)",
    )
    r.add_argument("--no-progress", action="store_true", help="with --samples: no progress bar on stderr")
    r.set_defaults(func=_cmd_report)

    b = sub.add_parser("bench", help="search vs MILP vs enumeration benchmark; writes reports/benchmarks.md")
    b.add_argument("--out", type=_out_file, default=None, help="default: reports/benchmarks.md (with --min-regret: reports/min-regret-benchmarks.md)")
    b.add_argument(
        "--min-regret", action="store_true",
        help="time the minimum-regret methods (search, MILP confirmation, MILP, enumeration) instead of the equilibrium ones",
    )
    b.add_argument("--sizes", default="all", help="'all', 'small' or a list like 10x20x3,20x40x5")
    b.add_argument("--families", default="uniform,ties,specialist", help="comma list; FAMILY@mass for the mass_share utility, FAMILY@logitB for logit choice with beta B")
    b.add_argument("--logit-sizes", default=None, help="sizes for FAMILY@logitB families (default: --sizes)")
    b.add_argument("--milp-sizes", default=None, help="run the full MILP only at these sizes (default: every size)")
    b.add_argument("--seeds", type=_positive_int, default=2)
    b.add_argument("--enum-cap", type=_seconds, default=30.0, help="seconds before enumeration is stopped and extrapolated")
    b.add_argument("--search-time-limit", type=_seconds, default=300.0, metavar="S")
    b.add_argument("--confirm-time-limit", type=_seconds_or_zero, default=60.0, metavar="S", help="MILP confirmation of the search (0: skip)")
    b.add_argument(
        "--milp-time-limit", default="120", help="seconds, or per family (and 'real'): specialist=300,uniform=120,ties=120,real=120"
    )
    b.add_argument("--no-real", action="store_true", help="skip the real leaderboard instances")
    b.set_defaults(func=_cmd_bench)
    return p


def main(argv=None) -> int:
    """Run the command line; returns the exit code (0, 2 for bad input, 130 on Ctrl-C).

    Examples
    --------
    >>> main(["solve", "instances/differentiated.json", "--method", "enumerate", "--json"])  # doctest: +ELLIPSIS
    {...
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # bad arguments (one line on stderr, see _Parser) or --help
        return exc.code if isinstance(exc.code, int) else 2
    t = getattr(args, "time_limit", None)  # subcommands whose --time-limit is a plain float
    if t is not None and not (math.isfinite(t) and t > 0):
        print(f"error: --time-limit must be a positive, finite number of seconds (got {t})", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except InstanceError as exc:
        print("error: " + " ".join(str(exc).splitlines()), file=sys.stderr)
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
