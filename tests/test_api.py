"""The notebook API (issue #11, item 5): instances from DataFrames, equality and hashing,
results that know their names, one-line reprs, to_dict() equal to the CLI's --json."""

import json

import numpy as np
import pandas as pd
import pytest

import milp_market as mm
from milp_market.cli import main
from milp_market.instance import load_csv_instance, save_instance


@pytest.fixture
def df():
    return pd.DataFrame({"code": [0.9, 0.4, 0.6], "chat": [0.5, 0.8, 0.6]}, index=["a", "b", "c"])


def test_from_dataframe_matches_make_instance(df):
    inst = mm.Instance.from_dataframe(df, masses=pd.Series({"chat": 1, "code": 3}), platforms=2, name="t")
    ref = mm.make_instance(df.to_numpy(), [3, 1], 2, model_names=["a", "b", "c"], type_names=["code", "chat"], name="t")
    assert inst == ref and hash(inst) == hash(ref)
    assert load_csv_instance(df, platforms=2, name="t") == mm.Instance.from_dataframe(df, platforms=2, name="t")
    soft = mm.Instance.from_dataframe(df, choice={"rule": "softmax", "beta": np.float64(5)}, utility="mass_share")
    assert (soft.choice, soft.beta, soft.utility) == ("softmax", 5.0, "mass_share")


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"masses": {"code": 1}}, "no mass for 'chat'"),
        ({"masses": {"code": 1, "chat": 1, "x": 1}}, "unknown user type 'x'"),
        ({"masses": [1, "x"]}, "must be a number"),
        ({"platforms": 0}, "platforms must be an integer"),
        ({"choice": {"rule": "softmax", "beta": "x"}}, "beta must be a number"),
        ({"choice": 3}, "choice must be"),
    ],
)
def test_from_dataframe_bad_input_is_one_line_instance_error(df, kwargs, words):
    with pytest.raises(mm.InstanceError) as err:
        mm.Instance.from_dataframe(df, **kwargs)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_from_dataframe_rejects_non_numbers_and_non_frames(df):
    with pytest.raises(mm.InstanceError, match="every score must be a number"):
        mm.Instance.from_dataframe(df.assign(code=["x", 1, 2]))
    with pytest.raises(mm.InstanceError, match="DataFrame"):
        mm.Instance.from_dataframe(df.to_numpy())


def test_instances_compare_and_hash_without_raising(df):
    a = mm.Instance.from_dataframe(df, platforms=2)
    b = mm.Instance.from_dataframe(df, platforms=3)
    assert a != b and a == mm.Instance.from_dataframe(df, platforms=2)
    assert len({a, b, mm.Instance.from_dataframe(df, platforms=2)}) == 2
    assert a != "not an instance"


def test_results_know_their_names_and_print_one_line(df):
    inst = mm.Instance.from_dataframe(df, platforms=2, name="t")
    res = mm.solve_market(inst)
    assert res.status is mm.Status.EQUILIBRIUM
    line = repr(res)
    assert "\n" not in line and len(line) < 300 and "status='equilibrium'" in line
    assert res.to_dict() == res.to_dict(inst)


def test_to_dict_is_the_cli_json(df, tmp_path, capsys):
    inst = mm.Instance.from_dataframe(df, platforms=2, name="t")
    path = tmp_path / "t.json"
    save_instance(inst, path)
    assert main(["solve", str(path), "--method", "enumerate", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    api = json.loads(json.dumps(mm.solve_market(mm.load_instance(path), method="enumerate").to_dict()))
    for d in (cli, api):
        d.pop("seconds")
        d["stats"].pop("enumeration_seconds", None)
    assert cli == api


def test_top_level_exports_resolve():
    for name in mm.__all__:
        assert getattr(mm, name) is not None
    with pytest.raises(AttributeError):
        mm.no_such_thing  # noqa: B018
    assert set(mm.__all__) <= set(dir(mm))  # the lazy ones too, for tab completion (audit)


@pytest.mark.parametrize("method", ["auto", "search", "enumerate", "milp"])
def test_enumerate_equilibria_and_its_table(method, instances_dir):
    inst = mm.load_instance(instances_dir / "ties.json")
    res = mm.enumerate_equilibria(inst, method=method)
    assert res.status == "complete" and len(res.equilibria) == 3
    df = res.to_frame()
    assert list(df["welfare"]) == sorted(df["welfare"], reverse=True)
    assert (df[[m for m in inst.model_names if m in df.columns]].sum(axis=1) == inst.platforms).all()


def test_pinned_notebook_api_solve_and_named_counts(instances_dir):
    import milp_market.orchestrate  # noqa: F401  importing the orchestration must not shadow mm.solve

    assert callable(mm.solve) and mm.solve.__module__ == "milp_market.orchestrate"
    inst = mm.load_instance(instances_dir / "differentiated.json")
    res = mm.solve(inst, method="enumerate")
    assert res.status is mm.Status.EQUILIBRIUM
    assert res.best.counts == {"A": 1, "B": 1} and res.worst.counts == {"A": 1, "B": 1}
    assert res.best.welfare == res.best.profile.welfare
    assert res.to_dict()["best"]["counts"] == res.best.counts
    assert len(repr(res)) < 200


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1, 0, "5", True])
def test_api_rejects_a_time_limit_that_is_not_positive_finite_seconds(bad):
    """As the CLI's --time-limit does (a NaN limit never stopped: found by a new-user trial)."""
    import milp_market as mm
    from milp_market.regret import min_regret

    inst = mm.make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2)
    for call in (
        lambda: mm.solve(inst, time_limit=bad),
        lambda: mm.solve_market(inst, time_limit=bad),
        lambda: mm.solve_market(inst, confirm=bad),
        lambda: mm.enumerate_equilibria(inst, time_limit=bad),
        lambda: min_regret(inst, time_limit=bad),
    ):
        with pytest.raises(ValueError, match="positive, finite number of seconds"):
            call()
    with pytest.raises(ValueError, match="max_equilibria"):
        mm.enumerate_equilibria(inst, max_equilibria=0)
