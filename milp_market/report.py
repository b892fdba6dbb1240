"""``milp-market report``: a Markdown report with figures per instance, from verified answers only.

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
from .orchestrate import solve_market
from .regret import min_regret
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


def render_report(inst: Instance, res, mr, figures, command: str) -> str:
    L = [f"# {inst.name}", ""]
    if inst.description:
        L += [inst.description, ""]
    L += [
        f"Regenerate with: `{command}` (milp_market {__version__}).",
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
        L.append(f"- Social optimum: {_counts_text(inst, so.counts)}; welfare {_f(so.welfare)}.")
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


def _stem_files(stem: str) -> list[str]:
    return [f"{stem}.md"] + [stem + s for s in _FIGURES]


def _read_manifest(out_dir: Path) -> dict:
    """The manifest of a folder this command made, ``{"reports": []}`` for a new or empty folder.

    Raises InstanceError for a file, or for a non-empty folder without a (valid) manifest.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise InstanceError(f"--out {out_dir}: is a file, not a folder; give a new or empty folder")
    if not out_dir.is_dir():
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
            f"--out {out_dir}: the folder is not empty and was not made by milp-market report (no {MANIFEST}){hint}; "
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


def _assign_stems(instances, sources, manifest, out_dir: Path) -> list[dict]:
    """One manifest entry per instance: the entry of an earlier run of the same file and name (if
    no file of its names appeared that the manifest does not list), or a fresh stem whose files
    collide with nothing in the folder, the manifest or this run."""
    taken = {p.name.lower() for p in out_dir.iterdir()} if out_dir.is_dir() else set()
    taken |= {INDEX.lower(), MANIFEST.lower()}
    for e in manifest["reports"]:
        taken |= {f.lower() for f in e["files"] + _stem_files(e["stem"])}
    used, entries = set(), []
    for inst, src in zip(instances, sources):
        entry = next((e for e in manifest["reports"] if e["source"] == src and e["instance"] == inst.name and id(e) not in used
                      and all(f in e["files"] or not (out_dir / f).exists() for f in _stem_files(e["stem"]))), None)
        if entry is None:
            base, k = safe_stem(inst.name), 1
            stem = base
            while any(f.lower() in taken for f in _stem_files(stem)):
                k += 1
                stem = f"{base}-{k}"
            taken |= {f.lower() for f in _stem_files(stem)}
            entry = {"stem": stem, "instance": inst.name, "source": src, "files": [], "status": None, "command": None}
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
    """
    out_dir = Path(out_dir)
    instances = [load_instance(p) for p in paths]  # all inputs validated before anything is written
    manifest = _read_manifest(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InstanceError(f"--out {out_dir}: cannot create the folder ({exc.strerror or exc})") from None
    command = command or "milp-market report " + " ".join(str(p) for p in paths) + f" --out {out_dir}"
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
        text = render_report(inst, res, mr, figures, command)
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
