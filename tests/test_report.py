"""`milp-market report`: a Markdown report per instance with figures and the regenerating command."""

from milp_market.cli import main

from .conftest import INSTANCES


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
