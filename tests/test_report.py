"""`milp-market report`: a Markdown report per instance with figures and the regenerating command;
with `--samples` (and `robust --samples --report`) the outcome distribution of an uncertain instance."""

import json
import os
import re
from pathlib import Path

import pytest

from milp_market.cli import main
from milp_market.robust import load_uncertain_instance, sample_outcomes

from .conftest import INSTANCES, run_cli


def test_report_writes_markdown_figures_and_index(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", str(INSTANCES / "cifar10_paper.json"), str(INSTANCES / "no_equilibrium.json"), "--out", str(out)]) == 0
    md = (out / "cifar10_paper.md").read_text()
    assert "Regenerate with: `milp-market report" in md
    assert "Status: **equilibrium**" in md and "Price of anarchy 1.0475" in md  # cifar10_paper, probability-profile qualities
    assert (out / "cifar10_paper_service.png").stat().st_size > 1000
    assert "minimum-regret profile is C x2" in (out / "no_equilibrium.md").read_text()
    index = (out / "README.md").read_text()
    assert "cifar10_paper" in index and "no_equilibrium" in index


def test_report_bad_input_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    out = tmp_path / "rep"
    assert main(["report", str(INSTANCES / "ties.json"), str(bad), "--out", str(out)]) == 2
    assert not out.exists()


# ----------------------------------------------------------------------------- report --samples (outcome distributions)

SAMPLE_MD = "dominance-samples-uniform.md"
SAMPLE_PNG = ("_profiles.png", "_structure.png", "_metrics.png")


def _dominance(tmp_path):
    """A dominates B nominally; the intervals overlap, so the draws have different outcomes."""
    path = tmp_path / "dominance.json"
    path.write_text(json.dumps({
        "name": "dominance",
        "user_types": [{"name": "a", "mass": 1}, {"name": "b", "mass": 1}],
        "models": [
            {"name": "A", "scores": [0.6, 0.6], "lower": [0.3, 0.3], "upper": [0.7, 0.7]},
            {"name": "B", "scores": [0.4, 0.4], "lower": [0.1, 0.1], "upper": [0.9, 0.9]},
        ],
        "platforms": 2,
    }))
    return path


def _pct(n, R):
    return f"{n} ({100 * n / R:.1f}%)"


def test_sample_report_states_the_distribution_of_the_draws(tmp_path):
    path = _dominance(tmp_path)
    out = tmp_path / "rep"
    code, stdout, err = run_cli(["report", str(path), "--samples", "40", "--seed", "2", "--out", str(out), "--no-progress"])
    assert code == 0, err
    assert stdout.strip() == str(out / SAMPLE_MD)
    md = (out / SAMPLE_MD).read_text()
    # every number against the library's own statistics of the same seed
    unc = load_uncertain_instance(path)
    stats = sample_outcomes(unc, 40, seed=2).to_dict(unc.nominal)
    assert 0 < stats["equilibrium"] < 40 or len(stats["best_profiles"]) >= 2  # the box changes the outcome
    assert f"`milp-market report {path} --samples 40 --seed 2 --distribution uniform --out {out}`" in md
    assert f"**Pure equilibrium in {stats['equilibrium']} of 40 draws" in md
    assert f"proven none in {_pct(stats['no_equilibrium'], 40)}" in md
    worst = {tuple(sorted(p["counts"].items())): p["draws"] for p in stats["worst_profiles"]}
    for p in stats["best_profiles"]:
        text = ", ".join(f"{m} x{c}" for m, c in p["counts"].items())
        w = worst.get(tuple(sorted(p["counts"].items())), 0)
        assert f"| {text} | {_pct(p['draws'], 40)} | {_pct(w, 40)} |" in md
    for s in ("homogenized", "differentiated", "partial"):
        b, w = stats["structure_best"].get(s, 0), stats["structure_worst"].get(s, 0)
        assert f"| {s} | {_pct(b, 40)} | {_pct(w, 40)} |" in md
    for key, title in (("price_of_anarchy", "price of anarchy"), ("price_of_stability", "price of stability"),
                       ("hhi_best", "HHI, best equilibrium"), ("hhi_worst", "HHI, worst equilibrium")):
        q = stats["quantiles"][key]
        row = next(ln for ln in md.splitlines() if ln.startswith(f"| {title} ("))
        assert row.endswith(f"| {q['q05']:.4f} | {q['q50']:.4f} | {q['q95']:.4f} |")
    assert "[0.3000, 0.7000]" in md  # the box is shown
    for suffix in SAMPLE_PNG:
        png = out / f"dominance-samples-uniform{suffix}"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
        assert f"]({png.name})" in md
    manifest = json.loads((out / ".milp-market-report.json").read_text())
    [entry] = manifest["reports"]
    assert entry["kind"] == "samples:uniform" and sorted(entry["files"]) == sorted(p.name for p in out.iterdir() if p.name[0] != "." and p.name != "README.md")
    assert f"[dominance-samples-uniform]({SAMPLE_MD}) Outcome distribution: pure equilibrium in {stats['equilibrium']} of 40" in (out / "README.md").read_text()


def test_sample_report_is_reproducible_from_its_seed(tmp_path):
    path = _dominance(tmp_path)

    def run(folder, seed, dist="uniform"):
        out = tmp_path / folder
        args = ["report", str(path), "--samples", "25", "--seed", str(seed), "--distribution", dist, "--out", str(out), "--no-progress"]
        assert run_cli(args)[0] == 0
        stem = f"dominance-samples-{dist}"
        md = (out / f"{stem}.md").read_text().replace(str(out), "DIR")
        return md, [(out / f"{stem}{s}").read_bytes() for s in SAMPLE_PNG if (out / f"{stem}{s}").exists()]

    first, again, other = run("a", 5), run("b", 5), run("c", 6)
    assert first == again  # Markdown and figures, byte for byte
    assert first[0] != other[0]
    normal = run("d", 5, "normal")[0]
    assert "1.96 sigma" in normal and "1.96 sigma" not in first[0]


def test_sample_and_solve_reports_share_a_folder_and_reruns_replace_only_their_files(tmp_path):
    path = _dominance(tmp_path)
    out = tmp_path / "rep"
    samples = ["report", str(path), "--samples", "10", "--out", str(out), "--no-progress"]
    assert run_cli(samples)[0] == 0
    assert run_cli(["report", str(path), "--out", str(out)])[0] == 0  # the nominal game's report beside it
    assert run_cli([*samples[:4], "--distribution", "normal", *samples[4:]])[0] == 0
    (out / "notes.md").write_text("mine\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert run_cli([*samples[:4], "--seed", "1", *samples[4:]])[0] == 0  # another seed: the same report, rewritten
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(after) == set(before) and after["notes.md"] == b"mine\n"
    assert after["dominance.md"] == before["dominance.md"] and after["dominance-samples-normal.md"] == before["dominance-samples-normal.md"]
    assert after[SAMPLE_MD] != before[SAMPLE_MD] and "--seed 1 " in after[SAMPLE_MD].decode()
    index = after["README.md"].decode()
    assert all(f"({n})" in index for n in ("dominance.md", SAMPLE_MD, "dominance-samples-normal.md"))
    assert "notes" not in index


def test_sample_report_without_equilibria_has_no_empty_figures(tmp_path):
    out = tmp_path / "rep"
    assert run_cli(["report", str(INSTANCES / "no_equilibrium.json"), "--samples", "3", "--out", str(out), "--no-progress"])[0] == 0
    md = (out / "no_equilibrium-samples-uniform.md").read_text()
    assert "**Pure equilibrium in 0 of 3 draws (0.0%)**; proven none in 3 (100.0%)" in md
    assert "| price of anarchy (optimum / worst equilibrium) | n/a | n/a | n/a |" in md
    assert sorted(p.name for p in out.glob("*.png")) == ["no_equilibrium-samples-uniform_structure.png"]


def test_robust_samples_report_option_writes_the_same_report_and_keeps_json_strict(tmp_path):
    path = _dominance(tmp_path)
    code, stdout, err = run_cli(["robust", str(path), "--samples", "15", "--seed", "3", "--json", "--no-progress",
                                 "--report", str(tmp_path / "r1")])
    assert code == 0, err
    out = json.loads(stdout, parse_constant=lambda c: pytest.fail(f"non-strict JSON token {c}"))
    assert out["report"] == str(tmp_path / "r1" / SAMPLE_MD) and out["samples"] == 15
    assert run_cli(["report", str(path), "--samples", "15", "--seed", "3", "--out", str(tmp_path / "r2"), "--no-progress"])[0] == 0

    def body(folder):  # all but the regenerating command
        text = (tmp_path / folder / SAMPLE_MD).read_text()
        return re.sub(r"Regenerate with: `[^`]*` \([^)]*\)", "", text), text

    (a, a_full), (b, _) = body("r1"), body("r2")
    assert a == b
    assert f"`milp-market robust {path} --samples 15 --seed 3 --distribution uniform --report {tmp_path / 'r1'}`" in a_full
    code, stdout, _ = run_cli(["robust", str(path), "--samples", "4", "--no-progress", "--report", str(tmp_path / "r3")])
    assert code == 0 and f"report: {tmp_path / 'r3' / SAMPLE_MD}" in stdout


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["report", "{inst}", "--seed", "3", "--out", "{out}"], "need --samples"),
        (["report", "{inst}", "--distribution", "normal", "--out", "{out}"], "need --samples"),
        (["report", "{inst}", "--samples", "0", "--out", "{out}"], "--samples"),
        (["report", "{inst}", "--samples", "3", "--seed", "-2", "--out", "{out}"], "--seed"),
        (["report", "{inst}", "--samples", "3", "--distribution", "cauchy", "--out", "{out}"], "--distribution"),
        (["report", str(INSTANCES / "cifar10_paper_logit.json"), "--samples", "3", "--out", "{out}"], "hardmax"),
        (["report", "{inst}", "{bad}", "--samples", "3", "--out", "{out}"], "bad.json"),
        (["report", "{inst}", "--samples", "3", "--out", "{foreign}"], "not empty"),
        (["robust", "{inst}", "--report", "{out}"], "need --samples"),
        (["robust", "{inst}", "--samples", "3", "--report", "{foreign}"], "--report"),
        # a folder whose parent does not exist is refused, not created with its parents
        (["report", "{inst}", "--out", "{deep}"], "does not exist; create it first"),
        (["report", "{inst}", "--samples", "3", "--out", "{deep}"], "does not exist; create it first"),
        (["robust", "{inst}", "--samples", "3", "--report", "{deep}"], "--report"),
    ],
)
def test_sample_report_bad_input_is_one_line_exit_2_and_writes_nothing(argv, needle, tmp_path):
    inst = _dominance(tmp_path)
    (tmp_path / "bad.json").write_text("{")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep")
    deep = tmp_path / "rep" / "no" / "such"
    subs = {"{inst}": str(inst), "{out}": str(tmp_path / "rep"), "{bad}": str(tmp_path / "bad.json"), "{foreign}": str(foreign), "{deep}": str(deep)}
    code, stdout, err = run_cli([subs.get(a, a) for a in argv])
    assert code == 2 and stdout == ""
    assert needle in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "rep").exists()
    assert [p.name for p in foreign.iterdir()] == ["mine.txt"]


def test_a_limited_report_names_its_limit(tmp_path, capsys):
    # the "Regenerate with" line dropped --time-limit, and the command then gave another answer (audit)
    out = tmp_path / "rep"
    assert main(["report", str(INSTANCES / "ties.json"), "--out", str(out), "--time-limit", "30"]) == 0
    md = (out / "ties.md").read_text()
    assert re.search(r"Regenerate with: `milp-market report \S*ties.json --out \S*rep --time-limit 30(\.0)?`", md), md
    # its paths are relative to the folder it ran in, which the line names relative to the report
    # folder (audit: from anywhere else the command failed)
    rel = os.path.relpath(Path.cwd().resolve(), (tmp_path / "rep").resolve())
    assert f"run it from `{rel}` relative to this folder" in md, md
