"""``milp-market report``: a Markdown report with figures per instance, from verified answers only.

With ``--samples R`` (:func:`write_sample_reports`; also ``robust --samples R --report DIR``) the
report is the outcome distribution of an uncertain instance instead: R score matrices drawn inside
its intervals (``robust.sample_outcomes``), each solved exactly; the share of draws with a pure
equilibrium, each best and worst equilibrium's frequency, structure frequencies, quantiles of PoA,
PoS and HHI, and figures. It holds no timings, so the same command gives the same file.

Every number comes from a :class:`~milp_market.results.MarketResult` whose equilibria the exact
evaluator re-checked (``solve``); ratios and welfare are printed with 4 decimals. Each report names
the command that regenerates it. Figures (matplotlib, PNG): which model serves which user group at
the best equilibrium, the worst equilibrium and the social optimum, and platform utilities.

File safety: the output folder must be new, empty, or one this command made before (it keeps a
manifest, ``.milp-market-report.json``, of the files it wrote); any other folder is refused, so a
file of the user's is never overwritten. File names come from instance names reduced to
``[A-Za-z0-9._-]`` (no leading dot, at most 100 characters), never leave the folder, and get a
suffix ``-2``, ``-3``, ... when they would collide with another report, the index ``README.md``
or a file the command did not write. Every file is written to a temporary file and renamed.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import sys
from pathlib import Path

import numpy as np

from . import __version__, game
from .instance import Instance, InstanceError, load_instance
from .results import Status
from .sweep import replace_file


def _f(x, nd=4):
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return x
    if math.isinf(x):
        return "inf"
    return f"{x:.{nd}f}"


def _counts_text(inst, counts):
    return ", ".join(f"{inst.model_names[j]} x{c}" for j, c in enumerate(counts) if c > 0)


def _service_matrix(inst: Instance, counts) -> np.ndarray:
    """(K, M): fraction of user type t served by platforms on model j."""
    n = np.asarray(counts, dtype=float)
    return (n[:, None] * game.shares(inst, counts)).T


def _figures(inst: Instance, res, out_dir: Path, stem: str) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    if res.best is not None and res.best.profile is not None:
        panels.append(("best equilibrium", res.best.profile.counts))
    if res.worst is not None and res.worst.profile is not None:
        panels.append(("worst equilibrium", res.worst.profile.counts))
    if res.social_optimum is not None:
        panels.append(("social optimum", res.social_optimum.counts))
    files = []
    if panels:
        used = sorted({j for _, c in panels for j in range(inst.n_models) if c[j] > 0})
        fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels) + 1.5, 0.45 * inst.n_types + 2.0), squeeze=False)
        for i, (ax, (title, counts)) in enumerate(zip(axes[0], panels)):
            mat = _service_matrix(inst, counts)[:, used]
            im = ax.imshow(mat, vmin=0, vmax=1, cmap="Blues", aspect="auto")
            ax.set_xticks(range(len(used)), [f"{inst.model_names[j]}\n(x{counts[j]})" for j in used], rotation=45, ha="right", fontsize=7)
            ax.set_yticks(range(inst.n_types), inst.type_names if i == 0 else [], fontsize=7)
            ax.set_title(title, fontsize=9)
        fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="share of the user group served")
        name = f"{stem}_service.png"
        _save_png(fig, out_dir / name)
        files.append(("Which model serves which user group", name))
    eq_panels = [(t, c) for t, c in panels if t != "social optimum"]
    if eq_panels:
        fig, ax = plt.subplots(figsize=(6, 3))
        width = 0.8 / len(eq_panels)
        used = sorted({j for _, c in eq_panels for j in range(inst.n_models) if c[j] > 0})
        for i, (title, counts) in enumerate(eq_panels):
            u = game.platform_utilities(inst, counts)
            ax.bar(np.arange(len(used)) + i * width, [u[j] if counts[j] else 0 for j in used], width, label=title)
        ax.set_xticks(np.arange(len(used)) + width * (len(eq_panels) - 1) / 2, [inst.model_names[j] for j in used], rotation=30, ha="right", fontsize=7)
        ax.set_ylabel("utility of one platform")
        ax.legend(fontsize=7)
        name = f"{stem}_utilities.png"
        _save_png(fig, out_dir / name)
        files.append(("Platform utilities (per platform on each model in use)", name))
    return files


def _run_from(out_dir: Path) -> str:
    """Where a generated command runs from, said relative to the report's folder (its paths are
    relative to the folder it was run in; audit: from anywhere else it failed)."""
    return f"; run it from `{os.path.relpath(Path.cwd().resolve(), Path(out_dir).resolve())}` relative to this folder"


def render_report(inst: Instance, res, mr, figures, command: str, where: str = "") -> str:
    """The Markdown of one instance's report (``milp-market report``); no timings.

    Parameters
    ----------
    inst : Instance
        The market.
    res : MarketResult
        Its verified answer (``orchestrate.solve_market``).
    mr : min-regret result or None
        ``regret.min_regret``'s answer, reported when there is no pure equilibrium.
    figures : list of (caption, file name)
        Embedded at the end.
    command : str
        The command that regenerates the report, named in it.

    Returns
    -------
    str

    Examples
    --------
    >>> from milp_market.orchestrate import solve_market
    >>> inst = load_instance("instances/homogenized.json")
    >>> text = render_report(inst, solve_market(inst), None, [], "milp-market report x")
    >>> print(text[text.index("## Answer"):])
    ## Answer
    <BLANKLINE>
    - Status: **equilibrium** (proof: complete enumeration of all count vectors).
    - Best equilibrium: A x3; welfare 1.0000, HHI 0.3333, Shannon 1.0986, structure homogenized.
    - Worst equilibrium: A x3; welfare 1.0000, HHI 0.3333, Shannon 1.0986, structure homogenized.
    - Social optimum: A x3; welfare 1.0000.
    - Price of anarchy 1.0000; price of stability 1.0000.
    <BLANKLINE>
    Method auto:enumerate; every equilibrium above was re-checked by the exact evaluator.
    <BLANKLINE>
    """
    L = [f"# {inst.name}", ""]
    if inst.description:
        L += [inst.description, ""]
    L += [
        f"Regenerate with: `{command}` (milp_market {__version__}{where}).",
        "",
        "## The game",
        "",
        f"{inst.n_models} models, {inst.n_types} user groups, {inst.platforms} platforms; choice: {inst.choice}"
        + (f" (beta {inst.beta})" if inst.choice == "softmax" else "")
        + f"; utility: {inst.utility}.",
        "",
        "| model | " + " | ".join(inst.type_names) + " |",
        "|---|" + "---|" * inst.n_types,
        "| *mass* | " + " | ".join(_f(m) for m in inst.masses) + " |",
    ]
    for j, name in enumerate(inst.model_names):
        L.append(f"| {name} | " + " | ".join(_f(s) for s in inst.scores[j]) + " |")
    L += ["", "## Answer", "", f"- Status: **{res.status.value}** (proof: {res.proof})."]
    if res.best is not None and res.best.profile is not None:
        for label, ext in (("Best equilibrium", res.best), ("Worst equilibrium", res.worst)):
            if ext is None or ext.profile is None:
                continue
            p = ext.profile
            tag = "" if ext.proven else f" (not proven optimal; bound {_f(ext.bound)})"
            L.append(
                f"- {label}: {_counts_text(inst, p.counts)}; welfare {_f(p.welfare)}, HHI {_f(p.hhi)}, "
                f"Shannon {_f(p.shannon)}, structure {p.structure}{tag}."
            )
    if res.social_optimum is not None:
        so = res.social_optimum
        tag = ""
        if not res.social_optimum_proven:
            tag = " (not proven optimal" + ("" if res.social_optimum_bound is None else f"; bound {_f(res.social_optimum_bound)}") + ")"
        L.append(f"- Social optimum: {_counts_text(inst, so.counts)}; welfare {_f(so.welfare)}{tag}.")
    L.append(f"- Price of anarchy {_f(res.price_of_anarchy)}; price of stability {_f(res.price_of_stability)}.")
    if mr is not None:
        L.append(
            f"- No pure equilibrium: the minimum-regret profile is {_counts_text(inst, mr.counts)} with epsilon "
            f"{_f(mr.epsilon, 6)} ({_f(mr.relative_epsilon)} of the mean platform utility; {mr.status})."
        )
    L += ["", f"Method {res.method}; every equilibrium above was re-checked by the exact evaluator.", ""]
    for caption, name in figures:
        L += [f"### {caption}", "", f"![{caption}]({name})", ""]
    return "\n".join(L)


MANIFEST = ".milp-market-report.json"
INDEX = "README.md"
MAX_STEM = 100
_FIGURES = ("_service.png", "_utilities.png")
#: Figures of an outcome-distribution report (``--samples``), by stem suffix.
_SAMPLE_FIGURES = ("_profiles.png", "_structure.png", "_metrics.png")


def _save_png(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    replace_file(path, buf.getvalue())


def safe_stem(name: str) -> str:
    """A file-name stem from an instance name: only ``[A-Za-z0-9._-]``, no leading dot or dash.

    Examples
    --------
    >>> safe_stem("../escaped"), safe_stem("a b/c"), safe_stem("..."), len(safe_stem("x" * 300))
    ('_escaped', 'a_b_c', 'instance', 100)
    """
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".-")[:MAX_STEM]
    return stem or "instance"


def _stem_files(stem: str, kind: str = "solve") -> list[str]:
    """The files a report of ``kind`` (``solve``, or ``samples:<distribution>``) with this stem may write."""
    return [f"{stem}.md"] + [stem + s for s in (_FIGURES if kind == "solve" else _SAMPLE_FIGURES)]


def _kind(entry: dict) -> str:
    return entry.get("kind", "solve")  # manifests written before sampling reports have no kind


def _read_manifest(out_dir: Path, option: str = "--out") -> dict:
    """The manifest of a folder this command made, ``{"reports": []}`` for a new or empty folder.

    Raises InstanceError for a file, for a new folder whose parent does not exist (a typo in the
    path would otherwise create a tree anywhere, as no other ``--out`` does), or for a non-empty
    folder without a (valid) manifest. ``option`` names the folder's option in the message.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise InstanceError(f"{option} {out_dir}: is a file, not a folder; give a new or empty folder")
    if not out_dir.is_dir():
        parent = out_dir.absolute().parent
        if not parent.is_dir():
            raise InstanceError(f"{option} {out_dir}: folder {parent} does not exist; create it first")
        return {"reports": []}
    path = out_dir / MANIFEST
    if not path.is_file():
        if all(f.name.startswith(".milp-market-") and f.name.endswith(".tmp") for f in out_dir.iterdir()):
            return {"reports": []}  # empty, or only the temporary files of an interrupted first run
        old = out_dir / INDEX
        hint = ""
        if old.is_file() and old.read_text(errors="replace").startswith("# Reports in "):
            hint = " (made by an older version? delete the folder and run again)"
        raise InstanceError(
            f"{option} {out_dir}: the folder is not empty and was not made by milp-market report (no {MANIFEST}){hint}; "
            "give a new or empty folder, so that no file in it is overwritten"
        )
    try:
        manifest = json.loads(path.read_text())
        for e in manifest["reports"]:
            names = [e["stem"], *e["files"]] if isinstance(e["files"], list) else [None]
            if not all(isinstance(e[k], str) for k in ("instance", "source")) or any(
                not isinstance(f, str) or safe_stem(f) != f for f in names
            ):
                raise ValueError(f"bad entry {e!r}")  # never write outside the folder on a manifest's word
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InstanceError(f"{path}: unreadable report manifest ({exc}); delete the folder and run again") from None
    return manifest


def _assign_stems(instances, sources, manifest, out_dir: Path, kind: str = "solve") -> list[dict]:
    """One manifest entry per instance: the entry of an earlier run of the same file, name and kind
    of report (if no file of its names appeared that the manifest does not list), or a fresh stem
    whose files collide with nothing in the folder, the manifest or this run."""
    taken = {p.name.lower() for p in out_dir.iterdir()} if out_dir.is_dir() else set()
    taken |= {INDEX.lower(), MANIFEST.lower()}
    for e in manifest["reports"]:
        taken |= {f.lower() for f in e["files"] + _stem_files(e["stem"], _kind(e))}
    used, entries = set(), []
    for inst, src in zip(instances, sources):
        entry = next((e for e in manifest["reports"] if e["source"] == src and e["instance"] == inst.name and id(e) not in used
                      and _kind(e) == kind
                      and all(f in e["files"] or not (out_dir / f).exists() for f in _stem_files(e["stem"], kind))), None)
        if entry is None:
            name = inst.name if kind == "solve" else f"{inst.name}-samples-{kind.partition(':')[2]}"
            base, k = safe_stem(name), 1
            stem = base
            while any(f.lower() in taken for f in _stem_files(stem, kind)):
                k += 1
                stem = f"{base}-{k}"
            taken |= {f.lower() for f in _stem_files(stem, kind)}
            entry = {"stem": stem, "instance": inst.name, "source": src, "files": [], "status": None, "command": None}
            if kind != "solve":
                entry["kind"] = kind
            manifest["reports"].append(entry)
        used.add(id(entry))
        entries.append(entry)
    return entries


def _write_manifest(out_dir: Path, manifest: dict) -> None:
    manifest["written_by"] = f"milp-market report (milp_market {__version__})"
    replace_file(out_dir / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode())


def write_reports(paths, out_dir, time_limit=None, command=None) -> list[Path]:
    """Solve each instance and write ``out_dir/<stem>.md`` plus figures; update the index ``out_dir/README.md``.

    ``out_dir`` must be new, empty, or made by this function (see the module docstring); the index
    lists the reports in the manifest only. Raises InstanceError, before anything is written, for
    bad instances or an unsuitable ``out_dir``.

    Parameters
    ----------
    paths : list of str or pathlib.Path
        Instance files.
    out_dir : str or pathlib.Path
        The report folder.
    time_limit : float, optional
        Seconds per solve.
    command : str, optional
        The regenerating command named in each report (default: built from the arguments).

    Returns
    -------
    list of pathlib.Path
        The Markdown files written, one per instance.

    Examples
    --------
    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "reports")
    >>> [p.name for p in write_reports(["instances/homogenized.json"], out)]
    ['homogenized.md']
    >>> sorted(os.listdir(out))
    ['.milp-market-report.json', 'README.md', 'homogenized.md', 'homogenized_service.png', 'homogenized_utilities.png']
    """
    from .orchestrate import solve_market
    from .regret import min_regret

    out_dir = Path(out_dir)
    instances = [load_instance(p) for p in paths]  # all inputs validated before anything is written
    manifest = _read_manifest(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InstanceError(f"--out {out_dir}: cannot create the folder ({exc.strerror or exc})") from None
    # the limit is part of the answer (a stopped run says unknown): the command keeps it
    limit = "" if time_limit is None else f" --time-limit {time_limit!r}"
    where = "" if command else _run_from(out_dir)
    command = command or "milp-market report " + " ".join(str(p) for p in paths) + f" --out {out_dir}" + limit
    # Sources relative to the folder, so that a committed folder is regenerated in any checkout.
    sources = [os.path.relpath(Path(p).resolve(), out_dir.resolve()) for p in paths]
    entries = _assign_stems(instances, sources, manifest, out_dir)
    _write_manifest(out_dir, manifest)  # claim the names before writing the files
    written = []
    for inst, entry in zip(instances, entries):
        print(f"report: solving {inst.name} ...", file=sys.stderr, flush=True)
        res = solve_market(inst, "auto", time_limit)
        mr = min_regret(inst, time_limit=time_limit) if res.status.value == "no_equilibrium" else None
        stem = entry["stem"]
        figures = _figures(inst, res, out_dir, stem)
        text = render_report(inst, res, mr, figures, command, where)
        replace_file(out_dir / f"{stem}.md", text.encode())
        written.append(out_dir / f"{stem}.md")
        status = next((ln for ln in text.splitlines() if ln.startswith("- Status:")), "- Status: ?")
        files = [f"{stem}.md"] + [name for _, name in figures]
        entry.update(status=status[2:], command=command, files=sorted(set(entry["files"]) | set(files)))
        _write_manifest(out_dir, manifest)
    _write_index(out_dir, manifest)
    return written


def _write_index(out_dir: Path, manifest: dict) -> None:
    reports = [e for e in manifest["reports"] if e.get("status") and (out_dir / f"{e['stem']}.md").is_file()]
    reports.sort(key=lambda e: e["stem"])
    commands = {e.get("command") for e in reports}
    how = f"Regenerate with: `{commands.pop()}`" if len(commands) == 1 else "Each report names the command that regenerates it."
    rows = [f"- [{e['stem']}]({e['stem']}.md) {e['status']}" for e in reports]
    text = "\n".join([f"# Reports in {out_dir}", "", how, "", *rows, ""])
    replace_file(out_dir / INDEX, text.encode())


# ----------------------------------------------------------------------------- outcome distributions

#: At most this many equilibrium profiles are listed in a sampling report (the rest are summed up),
#: and at most this many are drawn in its figure.
MAX_PROFILE_ROWS = 30
MAX_PROFILE_BARS = 12
#: The score table of a sampling report is printed for pools up to this many models.
MAX_SCORE_ROWS = 30
_STRUCTURES = ("homogenized", "differentiated", "partial")


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%" if total else "n/a"


def _profile_rows(inst: Instance, out: dict) -> list[tuple[str, int, int]]:
    """(profile text, draws as best equilibrium, draws as worst), every profile drawn, most
    frequent as best first (then as worst; ties in order of first appearance)."""
    rows: dict = {}
    for col, key in ((0, "best_profiles"), (1, "worst_profiles")):
        for p in out[key]:
            counts = tuple(p["counts"].get(m, 0) for m in inst.model_names)
            rows.setdefault(counts, [0, 0])[col] = p["draws"]
    ranked = sorted(rows.items(), key=lambda kv: (-kv[1][0], -kv[1][1]))
    return [(_counts_text(inst, c), b, w) for c, (b, w) in ranked]


def _structure_rows(out: dict, platforms: int) -> list[tuple[str, int, int]]:
    names = list(_STRUCTURES) + (["single_platform"] if platforms == 1 else [])
    names += [s for s in {**out["structure_best"], **out["structure_worst"]} if s not in names]
    rows = [(s, out["structure_best"].get(s, 0), out["structure_worst"].get(s, 0)) for s in names]
    rows.append(("no pure equilibrium (proven)", out["no_equilibrium"], out["no_equilibrium"]))
    if out["unknown"]:
        rows.append(("unknown (time limit)", out["unknown"], out["unknown"]))
    return rows


_METRICS = (
    ("price_of_anarchy", "poa", "price of anarchy", "optimum / worst equilibrium"),
    ("price_of_stability", "pos", "price of stability", "optimum / best equilibrium"),
    ("hhi_best", "best_hhi", "HHI, best equilibrium", "platforms' model concentration"),
    ("hhi_worst", "worst_hhi", "HHI, worst equilibrium", "platforms' model concentration"),
)


def _sample_figures(inst: Instance, rep, out: dict, out_dir: Path, stem: str) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    R = out["samples"]
    files = []
    profiles = _profile_rows(inst, out)
    if profiles:
        shown = profiles[:MAX_PROFILE_BARS]
        fig, ax = plt.subplots(figsize=(8, 0.38 * len(shown) + 1.4))
        y = np.arange(len(shown))
        ax.barh(y - 0.2, [100 * b / R for _, b, _ in shown], 0.4, label="as best equilibrium")
        ax.barh(y + 0.2, [100 * w / R for _, _, w in shown], 0.4, label="as worst equilibrium")
        ax.set_yticks(y, [text if len(text) <= 70 else text[:67] + "..." for text, _, _ in shown], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(f"share of the {R} draws (%)")
        more = f"; {len(profiles) - len(shown)} more in the table" if len(profiles) > len(shown) else ""
        ax.set_title(f"Equilibrium profiles drawn ({out['equilibrium']} of {R} draws have one{more})", fontsize=9)
        ax.legend(fontsize=7)
        name = f"{stem}_profiles.png"
        _save_png(fig, out_dir / name)
        files.append(("Equilibrium profiles: share of draws", name))
    rows = _structure_rows(out, inst.platforms)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    x = np.arange(len(rows))
    ax.bar(x - 0.2, [100 * b / R for _, b, _ in rows], 0.4, label="best equilibrium")
    ax.bar(x + 0.2, [100 * w / R for _, _, w in rows], 0.4, label="worst equilibrium")
    ax.set_xticks(x, [s.replace(" (", "\n(") for s, _, _ in rows], fontsize=7)
    ax.set_ylabel(f"share of the {R} draws (%)")
    ax.set_title("Market structure of the equilibria drawn", fontsize=9)
    ax.legend(fontsize=7)
    name = f"{stem}_structure.png"
    _save_png(fig, out_dir / name)
    files.append(("Market structure: share of draws", name))
    panels = []
    for key, field, title, _ in _METRICS[:3]:
        vals = [r[field] for r in rep.rows if r["status"] == Status.EQUILIBRIUM.value and r[field] is not None]
        if vals:
            panels.append((key, title, np.array(vals, dtype=float)))
    if panels:
        fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.0), squeeze=False)
        for ax, (key, title, vals) in zip(axes[0], panels):
            ax.hist(vals, bins=min(30, max(5, len(np.unique(vals)))), color="tab:blue", alpha=0.75)
            q = out["quantiles"][key]
            for qk, style in (("q05", ":"), ("q50", "-"), ("q95", ":")):
                ax.axvline(q[qk], color="black", linestyle=style, linewidth=1)
            ax.set_title(f"{title}\n5% {q['q05']:.4g}, median {q['q50']:.4g}, 95% {q['q95']:.4g}", fontsize=8)
            ax.set_xlabel(title, fontsize=7)
            ax.tick_params(labelsize=7)
        axes[0][0].set_ylabel("draws with an equilibrium", fontsize=7)
        name = f"{stem}_metrics.png"
        _save_png(fig, out_dir / name)
        files.append(("Price of anarchy, price of stability and HHI over the draws with an equilibrium", name))
    return files


def render_sample_report(unc, rep, out: dict, figures, command: str, time_limit: float | None = None, where: str = "") -> str:
    """The Markdown of an outcome-distribution report (``report --samples``): no timings, so the
    same seed gives the same text wherever the draws ran.

    Parameters
    ----------
    unc : UncertainInstance
        The market with its score intervals.
    rep : SampleReport
        The draws (``robust.sample_outcomes``).
    out : dict
        ``rep.to_dict(unc.nominal)``.
    figures : list of (caption, file name)
        Embedded at the end.
    command : str
        The regenerating command named in the report.
    time_limit : float, optional
        The per-draw limit, stated when given.

    Returns
    -------
    str

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> from milp_market.robust import make_uncertain, sample_outcomes
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"], name="pair")
    >>> wide = make_uncertain(nominal, lower=[[0.2, 0.0], [0.0, 0.2]], upper=[[1.0, 0.9], [0.9, 1.0]])
    >>> rep = sample_outcomes(wide, 4, seed=3)
    >>> text = render_sample_report(wide, rep, rep.to_dict(nominal), [], "milp-market report ...")
    >>> for line in text.splitlines():
    ...     if line.startswith(("# ", "- **", "| A x")):
    ...         print(line)
    # pair: outcomes under score uncertainty
    - **Pure equilibrium in 4 of 4 draws (100.0%)**; proven none in 0 (0.0%).
    | A x2 | 2 (50.0%) | 2 (50.0%) |
    | A x1, B x1 | 1 (25.0%) | 1 (25.0%) |
    """
    from .robust import DISTRIBUTION_STATEMENT, TIE_RULE

    inst = unc.nominal
    R = out["samples"]
    L = [f"# {inst.name}: outcomes under score uncertainty", ""]
    if inst.description:
        L += [inst.description, ""]
    wide = unc.upper > unc.lower
    widths = (unc.upper - unc.lower)[wide]
    L += [
        f"Regenerate with: `{command}` (milp_market {__version__}{where}). Draw i uses its own random stream "
        f"`numpy.random.default_rng([{out['seed']}, i])`, so the same command gives the same file, wherever the draws run.",
        "",
        "## The game and the box",
        "",
        f"{inst.n_models} models, {inst.n_types} user groups, {inst.platforms} platforms; choice: {inst.choice}; "
        f"utility: {inst.utility}. {int(wide.sum())} of {wide.size} scores are uncertain"
        + (f" (interval widths {_f(widths.min())} to {_f(widths.max())}, median {_f(float(np.median(widths)))})." if wide.any() else ".")
        + " Scores are shown as nominal [lower, upper]." * (inst.n_models <= MAX_SCORE_ROWS),
        "",
    ]
    if inst.n_models <= MAX_SCORE_ROWS:
        L += [
            "| model | " + " | ".join(inst.type_names) + " |",
            "|---|" + "---|" * inst.n_types,
            "| *mass* | " + " | ".join(_f(m) for m in inst.masses) + " |",
        ]
        for j, name in enumerate(inst.model_names):
            cells = [
                _f(inst.scores[j, t]) + (f" [{_f(unc.lower[j, t])}, {_f(unc.upper[j, t])}]" if wide[j, t] else "")
                for t in range(inst.n_types)
            ]
            L.append(f"| {name} | " + " | ".join(cells) + " |")
        L.append("")
    else:
        L += [f"(The score table of {inst.n_models} models is in the instance file.)", ""]
    L += [
        "## Sampling",
        "",
        f"- {R} draws, seed {out['seed']}, distribution `{out['distribution']}`: {DISTRIBUTION_STATEMENT[out['distribution']]}.",
        f"- Near-ties: {TIE_RULE}; {out['redrawn_columns']} column(s) redrawn.",
        "- Each draw is solved exactly (`solve_market(..., \"auto\")`); every equilibrium counted was re-checked by the "
        "exact evaluator, and \"no pure equilibrium\" is a proof"
        + (f"; time limit {time_limit:g} s per draw (a draw that reaches it is `unknown`)." if time_limit else "."),
        "",
        "## Outcomes",
        "",
        f"- **Pure equilibrium in {out['equilibrium']} of {R} draws ({_pct(out['equilibrium'], R)})**; proven none in "
        f"{out['no_equilibrium']} ({_pct(out['no_equilibrium'], R)})"
        + (f"; unknown (time limit) in {out['unknown']} ({_pct(out['unknown'], R)})." if out["unknown"] else "."),
        f"- Distinct best equilibria: {len(out['best_profiles'])}; distinct worst equilibria: {len(out['worst_profiles'])}.",
    ]
    infinite = sum(r["status"] == Status.EQUILIBRIUM.value and r["poa"] is None for r in rep.rows)
    if infinite:
        L.append(f"- The price of anarchy is infinite (worst equilibrium welfare 0) in {infinite} draw(s); its quantiles exclude them.")
    profiles = _profile_rows(inst, out)
    if profiles:
        L += [
            "",
            "### Equilibrium profiles",
            "",
            "The best and the worst equilibrium of each draw (the same profile when the draw has one equilibrium "
            "welfare level); shares of all draws.",
            "",
            "| profile | as best equilibrium | as worst equilibrium |",
            "|---|---|---|",
        ]
        for text, b, w in profiles[:MAX_PROFILE_ROWS]:
            L.append(f"| {text} | {b} ({_pct(b, R)}) | {w} ({_pct(w, R)}) |")
        if len(profiles) > MAX_PROFILE_ROWS:
            rest = profiles[MAX_PROFILE_ROWS:]
            b, w = sum(x[1] for x in rest), sum(x[2] for x in rest)
            L.append(f"| {len(rest)} others | {b} ({_pct(b, R)}) | {w} ({_pct(w, R)}) |")
    L += [
        "",
        "### Market structure",
        "",
        "| structure | best equilibrium | worst equilibrium |",
        "|---|---|---|",
    ]
    for name, b, w in _structure_rows(out, inst.platforms):
        L.append(f"| {name} | {b} ({_pct(b, R)}) | {w} ({_pct(w, R)}) |")
    L += [
        "",
        "### Price of anarchy, price of stability, concentration",
        "",
        f"Quantiles over the {out['equilibrium']} draws with an equilibrium (numpy.quantile, linear interpolation).",
        "",
        "| quantity | 5% | median | 95% |",
        "|---|---|---|---|",
    ]
    for key, _, title, what in _METRICS:
        q = out["quantiles"][key]
        cells = ["n/a"] * 3 if q is None else [_f(q[k]) for k in ("q05", "q50", "q95")]
        L.append(f"| {title} ({what}) | " + " | ".join(cells) + " |")
    L.append("")
    for caption, name in figures:
        L += [f"### {caption}", "", f"![{caption}]({name})", ""]
    return "\n".join(L)


def check_out_dir(out_dir, option: str = "--out") -> None:
    """Raise InstanceError (one line, naming ``option``) unless ``out_dir`` may receive reports:
    new (in an existing folder), empty, or made by ``report`` (its manifest readable). Nothing is
    written.

    Examples
    --------
    >>> import os, tempfile
    >>> check_out_dir(os.path.join(tempfile.mkdtemp(), "new"))      # new: accepted
    >>> check_out_dir("instances")
    Traceback (most recent call last):
    ...
    milp_market.instance.InstanceError: --out instances: the folder is not empty and was not made by milp-market report (no .milp-market-report.json); give a new or empty folder, so that no file in it is overwritten
    """
    _read_manifest(Path(out_dir), option)


def write_sample_reports(
    paths,
    out_dir,
    samples: int,
    seed: int = 0,
    distribution: str = "uniform",
    *,
    scheduler: str | None = None,
    workers: int = 2,
    time_limit: float | None = None,
    progress: bool = False,
    command: str | None = None,
    results=None,
) -> list[Path]:
    """For each uncertain instance (``lower``/``upper`` beside ``scores``; hardmax), draw ``samples``
    score matrices inside its intervals, solve each exactly (``robust.sample_outcomes``, locally or
    on Dask) and write ``out_dir/<stem>.md`` with figures, ``<stem>`` = the instance name plus
    ``-samples-<distribution>``; update the index ``out_dir/README.md``.

    ``results`` (one ``SampleReport`` per path, e.g. from ``robust --samples``) skips the sampling;
    they must have been drawn with these ``samples``, ``seed`` and ``distribution``. File safety as
    for :func:`write_reports` (the same manifest: both kinds of report can share a folder). Raises
    InstanceError, before anything is written, for bad instances, options or an unsuitable folder.

    Returns
    -------
    list of pathlib.Path
        The Markdown files written, one per instance.

    Examples
    --------
    >>> import json, os, tempfile
    >>> from milp_market.instance import make_instance
    >>> from milp_market.robust import make_uncertain
    >>> nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"], name="pair")
    >>> wide = make_uncertain(nominal, lower=[[0.2, 0.0], [0.0, 0.2]], upper=[[1.0, 0.9], [0.9, 1.0]])
    >>> tmp = tempfile.mkdtemp()
    >>> path = os.path.join(tmp, "pair.json")
    >>> with open(path, "w") as f:
    ...     json.dump(wide.to_json_dict(), f)
    >>> out = os.path.join(tmp, "reports")
    >>> [p.name for p in write_sample_reports([path], out, samples=4, seed=3)]
    ['pair-samples-uniform.md']
    >>> sorted(f for f in os.listdir(out) if f.endswith(".png"))
    ['pair-samples-uniform_metrics.png', 'pair-samples-uniform_profiles.png', 'pair-samples-uniform_structure.png']
    """
    from .robust import DISTRIBUTIONS, _require_hardmax, load_uncertain_instance, sample_outcomes

    if distribution not in DISTRIBUTIONS:
        raise InstanceError(f"--distribution must be one of {', '.join(DISTRIBUTIONS)} (got {distribution!r})")
    if not (isinstance(samples, int) and samples >= 1):
        raise InstanceError(f"--samples must be a positive integer (got {samples!r})")
    if not (isinstance(seed, int) and seed >= 0):
        raise InstanceError(f"--seed must be an integer >= 0 (got {seed!r})")
    out_dir = Path(out_dir)
    uncs = [load_uncertain_instance(p) for p in paths]  # all inputs validated before anything is written
    for unc in uncs:
        _require_hardmax(unc)
    if results is not None:
        if len(results) != len(uncs) or any(
            (r.samples, r.seed, r.distribution) != (samples, seed, distribution) for r in results
        ):
            raise ValueError("results must be one SampleReport per path, drawn with these samples, seed and distribution")
    manifest = _read_manifest(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InstanceError(f"--out {out_dir}: cannot create the folder ({exc.strerror or exc})") from None
    where = "" if command is not None else _run_from(out_dir)
    if command is None:
        limit = f" --time-limit {time_limit:g}" if time_limit is not None else ""
        command = (
            "milp-market report " + " ".join(str(p) for p in paths)
            + f" --samples {samples} --seed {seed} --distribution {distribution}{limit} --out {out_dir}"
        )
    sources = [os.path.relpath(Path(p).resolve(), out_dir.resolve()) for p in paths]
    entries = _assign_stems([u.nominal for u in uncs], sources, manifest, out_dir, kind=f"samples:{distribution}")
    _write_manifest(out_dir, manifest)  # claim the names before writing the files
    written = []
    for i, (unc, entry) in enumerate(zip(uncs, entries)):
        if results is not None:
            rep = results[i]
        else:
            print(f"report: sampling {unc.nominal.name} ({samples} draws, seed {seed}, {distribution}) ...", file=sys.stderr, flush=True)
            rep = sample_outcomes(
                unc, samples, seed=seed, distribution=distribution, scheduler=scheduler, workers=workers,
                time_limit=time_limit, progress=progress,
            )
        out = rep.to_dict(unc.nominal)
        stem = entry["stem"]
        figures = _sample_figures(unc.nominal, rep, out, out_dir, stem)
        text = render_sample_report(unc, rep, out, figures, command, time_limit, where)
        replace_file(out_dir / f"{stem}.md", text.encode())
        written.append(out_dir / f"{stem}.md")
        status = (
            f"Outcome distribution: pure equilibrium in {out['equilibrium']} of {samples} draws "
            f"({_pct(out['equilibrium'], samples)}; {distribution}, seed {seed})"
        )
        files = [f"{stem}.md"] + [name for _, name in figures]
        entry.update(status=status, command=command, files=sorted(set(entry["files"]) | set(files)))
        _write_manifest(out_dir, manifest)
    _write_index(out_dir, manifest)
    return written
