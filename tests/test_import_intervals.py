"""import-csv --ratings / --half-widths (issue #14, item 1): arena ratings become scores by the
shipped instances' transform, confidence half-widths become score intervals for `robust`."""

import json

import numpy as np
import pytest

from milp_market.robust import load_uncertain_instance

from .conftest import INSTANCES, ROOT, run_cli

SHARED = ROOT.parent / "shared" / "data"


def _write(path, rows):
    path.write_text("\n".join(",".join(str(c) for c in r) for r in rows) + "\n")
    return path


@pytest.mark.skipif(not (SHARED / "lmarena_text_categories_20251211.csv").exists(), reason="../shared/data not beside the repository")
def test_lmarena_ratings_and_half_widths_rebuild_the_shipped_uncertain_table(tmp_path):
    out = tmp_path / "lm.json"
    code, stdout, err = run_cli([
        "import-csv", str(SHARED / "lmarena_text_categories_20251211.csv"), "--platforms", "4", "--ratings",
        "--half-widths", str(SHARED / "lmarena_text_categories_20251211_ci95_halfwidth.csv"), "--out", str(out),
        "--name", "lmarena_full",
    ])
    assert code == 0, err
    assert "win probability against the column median rating" in stdout  # the transform is stated
    a, b = load_uncertain_instance(out), load_uncertain_instance(INSTANCES / "uncertain" / "lmarena_full_uncertain.json")
    assert a.nominal.model_names == b.nominal.model_names and a.nominal.type_names == b.nominal.type_names
    for x, y in ((a.nominal.scores, b.nominal.scores), (a.lower, b.lower), (a.upper, b.upper)):
        assert np.array_equal(x, y)


def test_half_widths_in_score_units(tmp_path):
    scores = _write(tmp_path / "s.csv", [["model", "a", "b"], ["x", 0.9, 0.1], ["y", 0.5, 0.6]])
    hw = _write(tmp_path / "h.csv", [["model", "a", "b"], ["x", 0.05, 0.2], ["y", 0.0, 0.1]])
    out = tmp_path / "u.json"
    code, stdout, err = run_cli(["import-csv", str(scores), "--platforms", "2", "--half-widths", str(hw), "--out", str(out)])
    assert code == 0, err
    u = load_uncertain_instance(out)
    assert np.allclose(u.lower, [[0.85, 0.0], [0.5, 0.5]], rtol=0, atol=1e-15)
    assert np.allclose(u.upper, [[0.95, 0.3], [0.5, 0.7]], rtol=0, atol=1e-15)
    assert json.loads(out.read_text())["models"][1]["scores"] == [0.5, 0.6]


@pytest.mark.parametrize(
    "hw_rows, words",
    [
        ([["model", "a", "b"], ["y", 0.1, 0.1], ["x", 0.1, 0.1]], "same order"),
        ([["model", "a"], ["x", 0.1], ["y", 0.1]], "same order"),
        ([["model", "a", "b"], ["x", "?", 0.1], ["y", 0.1, 0.1]], "not a number"),
        ([["model", "a", "b"], ["x", -0.1, 0.1], ["y", 0.1, 0.1]], "lower"),
    ],
)
def test_bad_half_widths_are_one_line_errors(tmp_path, hw_rows, words):
    scores = _write(tmp_path / "s.csv", [["model", "a", "b"], ["x", 0.9, 0.1], ["y", 0.5, 0.6]])
    hw = _write(tmp_path / "h.csv", hw_rows)
    out = tmp_path / "u.json"
    code, stdout, err = run_cli(["import-csv", str(scores), "--platforms", "2", "--half-widths", str(hw), "--out", str(out)])
    assert code == 2 and stdout == "" and len(err.strip().splitlines()) == 1 and words in err, err
    assert not out.exists()


def test_ratings_become_win_probabilities_against_the_column_median(tmp_path):
    ratings = _write(tmp_path / "r.csv", [["model", "a"], ["x", 1500], ["y", 1400], ["z", 1300]])
    out = tmp_path / "r.json"
    code, _, err = run_cli(["import-csv", str(ratings), "--platforms", "2", "--ratings", "--out", str(out)])
    assert code == 0, err
    scores = [m["scores"][0] for m in json.loads(out.read_text())["models"]]
    assert scores == [round(1 / (1 + 10 ** (-100 / 400)), 6), 0.5, round(1 / (1 + 10 ** (100 / 400)), 6)]
