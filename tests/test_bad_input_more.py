"""More bad input (issue #12, item 3): each gives one line on stderr, exit status 2, nothing on
stdout, never "internal error" or a traceback; and ``--json`` output is strict JSON."""

import json
from pathlib import Path

import pytest

from milp_market.instance import MAX_PLATFORMS, InstanceError, load_csv_instance, load_instance

from .conftest import run_cli

INSTANCES = Path(__file__).resolve().parent.parent / "instances"

GOOD = {
    "name": "g",
    "user_types": [{"name": "a", "mass": 0.5}, {"name": "b", "mass": 0.5}],
    "models": [{"name": "A", "scores": [1, 0]}, {"name": "B", "scores": [0, 1]}],
    "platforms": 2,
    "choice": {"rule": "hardmax"},
    "utility": "score_share",
}


run = run_cli


def assert_bad_input(argv, needle):
    code, out, err = run(argv)
    assert code == 2, (code, err)
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n") and err.startswith("error: "), err
    assert "internal error" not in err and "Traceback" not in err
    assert needle in err, err
    return err


def _with(**changes):
    d = json.loads(json.dumps(GOOD))
    d.update(changes)
    return d


def _write(tmp_path, content, name="bad.json"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    else:
        path.write_text(json.dumps(content))
    return path


# ----------------------------------------------------------------------------- instance JSON

JSON_CASES = {
    "beta_not_a_number_softmax": (_with(choice={"rule": "softmax", "beta": "x"}), "choice.beta must be a number (got 'x')"),
    "duplicate_key": (json.dumps(GOOD)[:-1] + ', "platforms": 3}', "the key 'platforms' is given twice"),
    "beta_under_hardmax": (_with(choice={"rule": "hardmax", "beta": 3}), "choice.beta is only for the softmax rule"),
    "beta_not_a_number_hardmax": (_with(choice={"rule": "hardmax", "beta": "x"}), "choice.beta must be a number (got 'x')"),
    "beta_negative": (_with(choice={"rule": "softmax", "beta": -1}), "choice.beta must be a finite number >= 0"),
    "invalid_utf8": (b'{"name": "\xff\xfe", "platforms": 2}', "not UTF-8 text (byte 0xff at offset 10)"),
    "deeply_nested": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "platforms_1e30_float": (_with(platforms=1e30), "platforms must be an integer >= 1 and <= 1,000"),
    "platforms_10_to_30_int": (_with(platforms=10**30), "MAX_PLATFORMS"),
    "platforms_1e9": (_with(platforms=10**9), "<= 1,000 (got 1000000000); 1,000 is this tool's limit"),
    "platforms_just_above_limit": (_with(platforms=MAX_PLATFORMS + 1), "MAX_PLATFORMS"),
    "platforms_string": (_with(platforms="2"), "platforms must be an integer >= 1"),
    "platforms_true": (_with(platforms=True), "platforms must be an integer >= 1"),
    "description_list": (_with(description=["free", "text"]), "description must be a string"),
    "name_list": (_with(name=["g"]), "name must be a non-empty string"),
    "name_empty": (_with(name=""), "name must be a non-empty string"),
    "score_integer_beyond_float": (
        _with(models=[{"name": "A", "scores": [10**400, 0]}, {"name": "B", "scores": [0, 1]}]),
        "must be a finite number (got an integer of 401 digits)",
    ),
    "mass_integer_beyond_float": (_with(user_types=[{"name": "a", "mass": 10**400}, {"name": "b", "mass": 1}]), "finite number"),
    "top_level_list": ([GOOD], "top level must be a JSON object"),
    "model_name_huge_list": (
        _with(models=[{"name": list(range(10_000)), "scores": [1, 0]}, {"name": "B", "scores": [0, 1]}]),
        "non-empty string name",
    ),
}


@pytest.mark.parametrize("case", sorted(JSON_CASES))
@pytest.mark.parametrize("command", [["solve", "--json"], ["solve", "--json", "--method", "milp"], ["enumerate", "--json"], ["dynamics", "--json"]])
def test_bad_instance_json_gives_one_line_and_exit_2_before_any_model(case, command, tmp_path):
    content, needle = JSON_CASES[case]
    path = _write(tmp_path, content)
    err = assert_bad_input([command[0], str(path), *command[1:]], needle)
    assert len(err) < 400  # a bad value is shown abbreviated, not in full


def test_tie_chain_message_prints_plain_numbers(tmp_path):
    chain = _with(models=[{"name": "A", "scores": [0.5, 0]}, {"name": "B", "scores": [0.5 + 8e-10, 0]}, {"name": "C", "scores": [0.5 + 1.6e-9, 1]}])
    err = assert_bad_input(["solve", str(_write(tmp_path, chain)), "--json"], "scores 0.5 .. 0.5000000016 form a chain")
    assert "np." not in err and "float64" not in err


def test_negative_score_message_prints_plain_numbers(tmp_path):
    bad = _with(models=[{"name": "A", "scores": [-0.25, 0]}, {"name": "B", "scores": [0, 1]}])
    err = assert_bad_input(["solve", str(_write(tmp_path, bad))], "= -0.25 is negative")
    assert "np." not in err


def test_platform_limit_covers_every_shipped_instance_and_benchmark_size():
    from milp_market.bench import REAL, SIZES

    shipped = [load_instance(p).platforms for p in INSTANCES.glob("*.json")]
    bench = [N for sizes in SIZES.values() for (_, _, N) in sizes] + [N for _, Ns in REAL for N in Ns]
    assert shipped and max(shipped + bench) <= MAX_PLATFORMS


def test_platforms_at_the_limit_load(tmp_path):
    assert load_instance(_write(tmp_path, _with(platforms=MAX_PLATFORMS))).platforms == MAX_PLATFORMS


def test_huge_masses_normalize_without_overflow(tmp_path):
    path = _write(tmp_path, _with(user_types=[{"name": "a", "mass": 1e308}, {"name": "b", "mass": 1e308}]))
    assert list(load_instance(path).masses) == [0.5, 0.5]
    code, out, err = run(["solve", str(path), "--json"])
    assert code == 0 and err == "" and json.loads(out)["best"]["welfare"] == 1.0


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    path = _write(tmp_path, b"\xef\xbb\xbf" + json.dumps(GOOD).encode())
    assert load_instance(path).platforms == 2


# ----------------------------------------------------------------------------- CSV import


@pytest.fixture
def csvs(tmp_path):
    (tmp_path / "s.csv").write_text("model,a,b\nA,1,0\nB,0,1\n")
    (tmp_path / "m.csv").write_text("user_type,mass\na,3\nb,1\n")
    return tmp_path


CSV_CASES = {
    # name: (files to write, extra arguments, needle)
    "masses_csv_non_numeric": ({"m.csv": "user_type,mass\na,x\nb,1\n"}, ["--masses", "m.csv"], "m.csv line 2, mass of user type 'a': 'x' is not a number"),
    "masses_csv_negative": ({"m.csv": "user_type,mass\na,-1\nb,1\n"}, ["--masses", "m.csv"], "m.csv line 2: the mass of user type 'a' must be a positive"),
    "masses_csv_duplicate_type": ({"m.csv": "user_type,mass\na,1\na,2\nb,1\n"}, ["--masses", "m.csv"], "user type 'a' appears twice"),
    "masses_csv_wrong_header": ({"m.csv": "type,weight\na,1\nb,1\n"}, ["--masses", "m.csv"], "expected columns user_type,mass"),
    "masses_csv_missing_type": ({"m.csv": "user_type,mass\na,1\n"}, ["--masses", "m.csv"], "no mass for user type 'b'"),
    # a misspelt user type was dropped in silence (audit)
    "masses_csv_unknown_type": ({"m.csv": "user_type,mass\na,1\nb,1\nc_typo,2\n"}, ["--masses", "m.csv"], "user type 'c_typo' is not a column"),
    "mass_row_non_numeric": ({"s.csv": "model,a,b\nA,1,0\nB,0,1\nmass,1,x\n"}, ["--mass-row", "mass"], "line 4, column 'b' (mass row): 'x' is not a number"),
    "mass_row_twice": ({"s.csv": "model,a,b\nA,1,0\nmass,1,1\nmass,1,2\n"}, ["--mass-row", "mass"], "2 rows named 'mass'"),
    "mass_row_missing": ({}, ["--mass-row", "mass"], "no row named 'mass'"),
    "masses_and_mass_row": ({}, ["--masses", "m.csv", "--mass-row", "mass"], "not allowed with argument --masses"),
    "duplicate_column": ({"s.csv": "model,a,a\nA,1,0\nB,0,1\n"}, [], "column name 'a' appears twice (columns 2 and 3)"),
    "unnamed_column": ({"s.csv": "model,a,\nA,1,0\nB,0,1\n"}, [], "column 3 of the header has no user-type name"),
    "score_non_numeric": ({"s.csv": "model,a,b\nA,1,x\nB,0,1\n"}, [], "line 2, column 'b' (model 'A'): 'x' is not a number"),
    "score_empty_cell": ({"s.csv": "model,a,b\nA,1,\nB,0,1\n"}, [], "'' is not a number"),
    "row_too_long": ({"s.csv": "model,a,b\nA,1,0,7\nB,0,1\n"}, [], "line 2: 4 cells, the header has 3"),
    "empty_model_name": ({"s.csv": "model,a,b\n,1,0\nB,0,1\n"}, [], "model name) is empty"),
    "duplicate_model": ({"s.csv": "model,a,b\nA,1,0\nA,0,1\n"}, [], "duplicate name 'A'"),
    "only_header": ({"s.csv": "model,a,b\n"}, [], "pool is empty"),
    "empty_file": ({"s.csv": ""}, [], "the file is empty"),
    "invalid_utf8": ({"s.csv": b"model,a,b\nA\xff,1,0\n"}, [], "not UTF-8 text (byte 0xff"),
    "nul_byte": ({"s.csv": "model,a,b\nA,1\x00,0\n"}, [], "'1\\x00' is not a number"),
    "field_beyond_csv_limit": ({"s.csv": "model,a,b\nA," + "1" * 200_000 + ",0\n"}, [], "line 2: malformed CSV (field larger than field limit"),
    "nan_score": ({"s.csv": "model,a,b\nA,nan,0\nB,0,1\n"}, [], "finite"),
    "platforms_zero": ({}, ["--platforms", "0"], "platforms must be an integer >= 1"),
    "platforms_above_limit": ({}, ["--platforms", str(MAX_PLATFORMS + 1)], "MAX_PLATFORMS"),
    "platforms_huge": ({}, ["--platforms", "1" + "0" * 30], "<= 1,000"),
    "platforms_not_integer": ({}, ["--platforms", "2.5"], "'2.5' is not an integer"),
    "out_missing_folder": ({}, ["--out", "nowhere/i.json"], "folder nowhere does not exist"),
    "out_is_a_folder": ({}, ["--out", "."], ". is a folder"),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_bad_csv_import_gives_one_line_and_exit_2_and_writes_nothing(case, csvs, monkeypatch):
    files, extra, needle = CSV_CASES[case]
    for name, text in files.items():
        (csvs / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    monkeypatch.chdir(csvs)
    args = ["import-csv", "s.csv"]
    if "--platforms" not in extra:
        args += ["--platforms", "2"]
    if "--out" not in extra:
        args += ["--out", "i.json"]
    assert_bad_input(args + extra, needle)
    assert not (csvs / "i.json").exists() and not list(csvs.glob("*.tmp"))


def test_csv_library_refuses_two_sources_of_masses(csvs):
    (csvs / "s2.csv").write_text("model,a,b\nA,1,0\nB,0,1\nmass,1,1\n")
    with pytest.raises(InstanceError, match="not both"):
        load_csv_instance(csvs / "s2.csv", csvs / "m.csv", mass_column="mass", platforms=2)


def test_csv_with_quotes_and_blank_lines_still_imports(csvs):
    (csvs / "q.csv").write_text('model,"a, b",c\n\n"A, v2",1,0\nB,0,1\n\n')
    inst = load_csv_instance(csvs / "q.csv", platforms=2)
    assert inst.model_names == ("A, v2", "B") and inst.type_names == ("a, b", "c")


def test_shipped_csv_imports_as_before():
    inst = load_csv_instance(INSTANCES / "cifar10_paper_qualities.csv", platforms=3)
    assert inst.n_models == 6 and inst.n_types == 10 and inst.type_names[0] == "airplane"


def test_out_write_failure_is_bad_input(csvs, monkeypatch):
    from milp_market import instance

    def fail(inst, path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(instance, "save_instance", fail)
    assert_bad_input(["import-csv", str(csvs / "s.csv"), "--platforms", "2", "--out", str(csvs / "i.json")], "cannot write (Permission denied)")


# ----------------------------------------------------------------------------- options

OPTION_CASES = {
    "enumerate_max_0": (["enumerate", "{good}", "--max", "0"], "--max: must be a positive integer (got 0)"),
    "enumerate_max_negative": (["enumerate", "{good}", "--max", "-1", "--method", "search"], "--max: must be a positive integer (got -1)"),
    "enumerate_max_not_integer": (["enumerate", "{good}", "--max", "two"], "'two' is not an integer"),
    "dynamics_max_steps_negative": (["dynamics", "{good}", "--max-steps", "-5"], "--max-steps: must be a positive integer (got -5)"),
    "dynamics_max_steps_zero": (["dynamics", "{good}", "--max-steps", "0"], "--max-steps: must be a positive integer"),
    "dynamics_seed_negative": (["dynamics", "{good}", "--seed", "-1"], "--seed: must be an integer >= 0"),
    "solve_time_limit_nan": (["solve", "{good}", "--time-limit", "nan"], "--time-limit: must be a positive, finite number"),
    "solve_time_limit_inf": (["solve", "{good}", "--time-limit", "inf", "--json"], "--time-limit: must be a positive, finite number"),
    "solve_time_limit_negative": (["solve", "{good}", "--time-limit", "-1"], "--time-limit: must be a positive, finite number"),
    "solve_time_limit_zero": (["solve", "{good}", "--time-limit", "0"], "--time-limit: must be a positive, finite number"),
    "solve_time_limit_text": (["solve", "{good}", "--time-limit", "soon"], "'soon' is not a number of seconds"),
    "solve_confirm_inf": (["solve", "{good}", "--confirm", "inf"], "--confirm: must be a positive, finite number"),
    "solve_confirm_zero": (["solve", "{good}", "--confirm", "0"], "--confirm: must be a positive, finite number"),
    "solve_bad_method": (["solve", "{good}", "--method", "guess"], "invalid choice: 'guess'"),
    "solve_unknown_option": (["solve", "{good}", "--fast"], "unrecognized arguments: --fast"),
    "solve_no_instance": (["solve"], "the following arguments are required: instance"),
    "no_command": ([], "required: command"),
    "enumerate_time_limit_inf": (["enumerate", "{good}", "--time-limit", "inf"], "--time-limit: must be a positive, finite number"),
    "entry_time_limit_nan": (["entry", "{entry}", "--time-limit", "nan"], "--time-limit: must be a positive, finite number"),
    "report_time_limit_inf": (["report", "{good}", "--out", "{tmp}/rep", "--time-limit", "inf"], "--time-limit must be a positive, finite number"),
    "bench_seeds_zero": (["bench", "--seeds", "0"], "--seeds: must be a positive integer"),
    "bench_out_missing_folder": (["bench", "--out", "{tmp}/no/b.md"], "does not exist"),
    "bench_out_folder": (["bench", "--out", "{tmp}"], "is a folder"),
    "bench_enum_cap_negative": (["bench", "--enum-cap", "-3"], "--enum-cap: must be a positive, finite number"),
    "bench_confirm_negative": (["bench", "--confirm-time-limit", "-1"], "--confirm-time-limit: must be a finite number"),
}


@pytest.mark.parametrize("case", sorted(OPTION_CASES))
def test_bad_option_gives_one_line_and_exit_2(case, tmp_path):
    good = _write(tmp_path, GOOD, "good.json")
    argv, needle = OPTION_CASES[case]
    fill = {"good": str(good), "entry": str(INSTANCES / "entry_two_types.json"), "tmp": str(tmp_path)}
    assert_bad_input([a.format(**fill) for a in argv], needle)
    assert not (tmp_path / "rep").exists()


@pytest.mark.parametrize("method", ["enumerate", "search", "milp"])
def test_enumerate_accepts_a_cap_of_one(method, tmp_path):
    path = _write(tmp_path, _with(models=[{"name": "A", "scores": [1, 1]}, {"name": "B", "scores": [1, 1]}]), "two.json")
    code, out, err = run(["enumerate", str(path), "--max", "1", "--json", "--method", method])
    assert code == 0 and err == ""
    assert json.loads(out)["count"] >= 1


def test_help_exits_0(capsys):
    assert run(["--help"])[0] == 0


# ----------------------------------------------------------------------------- strict JSON


def _strict_loads(text):
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def test_solve_json_at_a_tiny_time_limit_is_strict_json(tmp_path):
    code, out, err = run(["solve", str(_write(tmp_path, GOOD)), "--json", "--method", "milp", "--time-limit", "1e-9"])
    assert code == 0 and out.count("\n") == 1
    res = _strict_loads(out)
    assert res["status"] in ("unknown", "equilibrium")


def test_strict_json_maps_nan_to_null_and_infinity_to_a_string():
    from milp_market.cli import _strict

    assert _strict({"a": [float("nan"), float("inf"), -float("inf"), 1.5], "b": (1, "x")}) == {"a": [None, "inf", "-inf", 1.5], "b": [1, "x"]}


def test_csv_import_names_its_sources(csvs):
    """The instance file says where it came from (audit: import-csv wrote an empty description)."""
    assert load_csv_instance(csvs / "s.csv", csvs / "m.csv", platforms=2).description == (
        "Imported by milp-market import-csv from s.csv, masses from m.csv."
    )
    assert "uniform masses" in load_csv_instance(csvs / "s.csv", platforms=2).description
