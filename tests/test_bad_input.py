"""Bad input: a clear one-line error on stderr, exit status 2, nothing on stdout."""

import json

import pytest

from milp_market.cli import main

GOOD = {
    "name": "g",
    "user_types": [{"name": "a", "mass": 0.5}, {"name": "b", "mass": 0.5}],
    "models": [{"name": "A", "scores": [1, 0]}, {"name": "B", "scores": [0, 1]}],
    "platforms": 2,
    "choice": {"rule": "hardmax"},
    "utility": "score_share",
}


def _with(**changes):
    d = json.loads(json.dumps(GOOD))
    d.update(changes)
    return d


CASES = {
    "malformed_json": ("{not json", "malformed JSON"),
    "missing_models": ({k: v for k, v in GOOD.items() if k != "models"}, "missing key 'models'"),
    "missing_platforms": ({k: v for k, v in GOOD.items() if k != "platforms"}, "missing key 'platforms'"),
    "unknown_type_name": (
        _with(models=[{"name": "A", "scores": {"a": 1, "zz": 0}}, {"name": "B", "scores": [0, 1]}]),
        "unknown user type 'zz'",
    ),
    "nan_score": (_with(models=[{"name": "A", "scores": [float("nan"), 0]}, {"name": "B", "scores": [0, 1]}]), "finite"),
    "inf_score": (_with(models=[{"name": "A", "scores": [1e400, 0]}, {"name": "B", "scores": [0, 1]}]), "finite"),
    # tolerances are absolute: at 1e308 a 0.25 gain vanished in rounding and a non-equilibrium was
    # printed as the unique one (audit)
    "huge_score": (_with(models=[{"name": "A", "scores": [1e308, 0]}, {"name": "B", "scores": [1e308, 1]}]), "too large for the absolute tolerance"),
    "negative_score": (_with(models=[{"name": "A", "scores": [-1, 0]}, {"name": "B", "scores": [0, 1]}]), "negative"),
    "zero_mass": (_with(user_types=[{"name": "a", "mass": 0}, {"name": "b", "mass": 0.5}]), "positive"),
    "negative_mass": (_with(user_types=[{"name": "a", "mass": -1}, {"name": "b", "mass": 0.5}]), "positive"),
    "no_platforms": (_with(platforms=0), "platforms must be an integer >= 1"),
    "fractional_platforms": (_with(platforms=1.5), "platforms must be an integer >= 1"),
    "empty_pool": (_with(models=[]), "pool is empty"),
    "wrong_length": (_with(models=[{"name": "A", "scores": [1]}, {"name": "B", "scores": [0, 1]}]), "1 scores for 2 user types"),
    "duplicate_model": (_with(models=[{"name": "A", "scores": [1, 0]}, {"name": "A", "scores": [0, 1]}]), "duplicate name 'A'"),
    "duplicate_type": (_with(user_types=[{"name": "a", "mass": 1}, {"name": "a", "mass": 1}]), "duplicate name 'a'"),
    "string_score": (_with(models=[{"name": "A", "scores": ["x", 0]}, {"name": "B", "scores": [0, 1]}]), "must be a number"),
    "bad_rule": (_with(choice={"rule": "argmax"}), "choice.rule"),
    "bad_utility": (_with(utility="profit"), "utility must be one of"),
    # misspelled keys must not fall back to defaults (a "utilty" solved as score_share)
    "misspelled_utility": ({**GOOD, "utilty": "mass_share"}, "unknown key 'utilty' (did you mean 'utility'?)"),
    "misspelled_choice": ({**GOOD, "choise": {"rule": "softmax", "beta": 1}}, "unknown key 'choise' (did you mean 'choice'?)"),
    "unknown_choice_key": (_with(choice={"rule": "softmax", "beta": 1, "temperature": 2}), "choice: unknown key 'temperature'"),
    "unknown_model_key": (_with(models=[{"name": "A", "scores": [1, 0], "upperr": [1, 1]}, {"name": "B", "scores": [0, 1]}]), "models[0]: unknown key 'upperr' (did you mean 'upper'?)"),
    "unknown_type_key": (_with(user_types=[{"name": "a", "mass": 1, "weight": 2}, {"name": "b", "mass": 1}]), "user_types[0]: unknown key 'weight'"),
    "ambiguous_tie_chain": (
        _with(models=[{"name": "A", "scores": [0.5, 0]}, {"name": "B", "scores": [0.5 + 8e-10, 0]}, {"name": "C", "scores": [0.5 + 1.6e-9, 1]}]),
        "chain of near-ties",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_instance_gives_one_line_error_and_exit_2(case, tmp_path, capsys):
    content, needle = CASES[case]
    path = tmp_path / "bad.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    assert main(["solve", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert needle in err


def test_missing_file_is_bad_input(tmp_path, capsys):
    assert main(["solve", str(tmp_path / "nope.json")]) == 2
    assert "cannot read file" in capsys.readouterr().err


def test_unknown_start_model_in_dynamics(tmp_path, capsys):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(GOOD))
    assert main(["dynamics", str(path), "--start", "A,Z"]) == 2
    assert "unknown model 'Z'" in capsys.readouterr().err


def test_csv_import_with_mass_file(tmp_path):
    from milp_market.instance import load_csv_instance

    (tmp_path / "s.csv").write_text("model,a,b\nA,1,0\nB,0,1\n")
    (tmp_path / "m.csv").write_text("user_type,mass\na,3\nb,1\n")
    inst = load_csv_instance(tmp_path / "s.csv", tmp_path / "m.csv", platforms=2)
    assert inst.model_names == ("A", "B") and inst.type_names == ("a", "b")
    assert list(inst.masses) == [0.75, 0.25]


def test_csv_import_with_mass_row(tmp_path):
    from milp_market.instance import load_csv_instance

    (tmp_path / "s.csv").write_text("model,a,b\nA,1,0\nB,0,1\nmass,1,1\n")
    inst = load_csv_instance(tmp_path / "s.csv", mass_column="mass", platforms=2)
    assert inst.n_models == 2 and list(inst.masses) == [0.5, 0.5]


def test_import_csv_command_round_trips(tmp_path, capsys):
    from milp_market.instance import load_instance

    (tmp_path / "s.csv").write_text("model,a,b\nA,1,0\nB,0,1\n")
    out = tmp_path / "i.json"
    assert main(["import-csv", str(tmp_path / "s.csv"), "--platforms", "2", "--out", str(out)]) == 0
    inst = load_instance(out)
    assert inst.model_names == ("A", "B") and inst.platforms == 2


def test_import_csv_rejects_non_numeric_scores(tmp_path, capsys):
    (tmp_path / "s.csv").write_text("model,a,b\nA,1,x\nB,0,1\n")
    assert main(["import-csv", str(tmp_path / "s.csv"), "--platforms", "2", "--out", str(tmp_path / "i.json")]) == 2
    assert "number" in capsys.readouterr().err
    assert not (tmp_path / "i.json").exists()
