"""``milp-market report``: a Markdown report with figures per instance, from verified answers only.

Every number comes from a :class:`~milp_market.results.MarketResult` whose equilibria the exact
evaluator re-checked (``solve``); ratios and welfare are printed with 4 decimals. Each report names
the command that regenerates it. Figures (matplotlib, PNG): which model serves which user group at
the best equilibrium, the worst equilibrium and the social optimum, and platform utilities.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np

from . import __version__, game
from .instance import Instance, load_instance
from .regret import min_regret
from .solve import solve_market


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
        fig.savefig(out_dir / name, dpi=110, bbox_inches="tight")
        plt.close(fig)
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
        fig.savefig(out_dir / name, dpi=110, bbox_inches="tight")
        plt.close(fig)
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


def write_reports(paths, out_dir, time_limit=None, command=None) -> list[Path]:
    """Solve each instance and write ``out_dir/<name>.md`` plus figures; update ``out_dir/README.md``."""
    out_dir = Path(out_dir)
    instances = [load_instance(p) for p in paths]  # all inputs validated before anything is written
    out_dir.mkdir(parents=True, exist_ok=True)
    command = command or "milp-market report " + " ".join(str(p) for p in paths) + f" --out {out_dir}"
    written = []
    for inst in instances:
        print(f"report: solving {inst.name} ...", file=sys.stderr, flush=True)
        res = solve_market(inst, "auto", time_limit)
        mr = min_regret(inst, time_limit=time_limit) if res.status.value == "no_equilibrium" else None
        stem = inst.name
        figures = _figures(inst, res, out_dir, stem)
        text = render_report(inst, res, mr, figures, command)
        tmp = out_dir / f".{stem}.md.tmp"
        tmp.write_text(text)
        os.replace(tmp, out_dir / f"{stem}.md")
        written.append(out_dir / f"{stem}.md")
    _write_index(out_dir, command)
    return written


def _write_index(out_dir: Path, command: str) -> None:
    rows = []
    for md in sorted(out_dir.glob("*.md")):
        if md.name == "README.md":
            continue
        first = md.read_text().splitlines()
        status = next((ln for ln in first if ln.startswith("- Status:")), "- Status: ?")
        rows.append(f"- [{md.stem}]({md.name}) {status[2:]}")
    text = "\n".join([f"# Reports in {out_dir}", "", f"Regenerate with: `{command}`", "", *rows, ""])
    (out_dir / "README.md").write_text(text)
