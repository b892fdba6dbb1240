"""`milp-market sweep`: a Dask sweep records failing points without stopping, writes a tidy table
and plots, and a re-run skips the points already solved."""

import csv
import io
import json

import pandas as pd
import pytest

from milp_market.cli import main
from milp_market.sweep import COLUMNS

from .conftest import INSTANCES


@pytest.mark.slow
def test_sweep_resumes_and_solves_failed_points_again(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    out = tmp_path / "out"
    spec.write_text(
        f'name = "t"\nbase = "{INSTANCES / "cifar10_paper.json"}"\nout = "{out}"\ntime_limit = 30\n'
        "[axes]\npool = [2, 3]\nplatforms = [1, 2]\n"
    )
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 4 and set(table["status"]) <= {"equilibrium", "no_equilibrium"}
    assert table["social_optimum_proven"].eq(True).all()
    assert (out / "by_pool.png").exists() and (out / "by_platforms.png").exists()
    assert json.loads((out / "sweep-spec.json").read_text())["time_limit"] == 30
    # Re-running solves nothing new: the table keeps one row per point.
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
    assert len(pd.read_csv(out / "results.csv")) == 4
    # A point whose row is an error (say, a solver failure) is solved again by the next run; it
    # used to be skipped for ever (audit).
    lines = (out / "results.csv").read_text().splitlines(keepends=True)
    fields = next(csv.reader([lines[1]]))
    fields[COLUMNS.index("status")] = "error"
    fields[COLUMNS.index("error")] = "RuntimeError: injected"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    (out / "results.csv").write_text(lines[0] + buf.getvalue() + "".join(lines[2:]))
    capsys.readouterr()
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
    assert "1 point(s) failed before; solving them again" in capsys.readouterr().err
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 4 and "error" not in set(table["status"])


def test_sweep_refuses_a_changed_spec_in_the_same_folder(tmp_path, capsys):
    """An audit re-ran a sweep with another base into the same out and got the old rows back as
    the new game's answers ('equilibrium' for a game with none)."""
    out = tmp_path / "out"
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"base": str(INSTANCES / "ties.json"), "out": str(out), "axes": {"platforms": [2]}}))
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
    before = (out / "results.csv").read_bytes()
    spec.write_text(json.dumps({"base": str(INSTANCES / "no_equilibrium.json"), "out": str(out), "axes": {"platforms": [2]}}))
    capsys.readouterr()
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds rows solved with another base_sha256" in err[0]
    assert (out / "results.csv").read_bytes() == before
    # a smaller grid in the same folder: the summary counts this grid's points only
    spec.write_text(json.dumps({"base": str(INSTANCES / "ties.json"), "out": str(out), "axes": {"platforms": [2, 3]}}))
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
    spec.write_text(json.dumps({"base": str(INSTANCES / "ties.json"), "out": str(out), "axes": {"platforms": [3]}}))
    capsys.readouterr()
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith("1 points:")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"methd": "milp"}, "unknown key 'methd'"),
        ({"method": "simplex"}, "method 'simplex'"),
        ({"out": 5}, "out must be a folder name"),
        ({"axes": {"platforms": [0]}}, "axes.platforms: 0 is not a positive integer"),
        ({"axes": {"platforms": [2.5]}}, "axes.platforms: 2.5 is not a positive integer"),
        ({"axes": {"platforms": [True]}}, "axes.platforms: True is not a positive integer"),
        ({"axes": {"pool": [2.7]}}, "axes.pool: 2.7 is not a positive integer"),
        ({"axes": {"beta": [-1]}}, "axes.beta: -1 is not a finite number >= 0"),
        ({"axes": {"platforms": [2, 2]}}, "lists a value twice"),
        ({"axes": {"pool": [9]}}, "point pool=9: pool=9: the base pool has 4 models"),
        ({"base": "no/such/file.json"}, "point platforms=2:"),
        ({"base": None, "generator": {"family": "nope", "M": 3, "K": 2, "N": 2}}, "point platforms=2: unknown family"),
        ({"base": None, "generator": {"family": "ties", "M": 3, "K": 2}, "axes": {"pool": [2]}}, "point pool=2: missing key 'N'"),
        ({"base": None, "generator": {"family": "ties", "M": 3, "K": 2, "N": 2, "sed": 1}}, "generator: unknown key 'sed'"),
        ({"axes": [2, 3]}, "axes must be a table"),
        ({"axes": {"seed": [0, 1]}}, "a 'base' spec has no seed"),
        ({"axes": {"beta": [10**400]}}, "is not a finite number >= 0"),
    ],
)
def test_sweep_spec_values_are_checked_before_solving(change, message, tmp_path, capsys):
    """Each was an exit 0 with an error row per point, or an internal error (audit)."""
    out = tmp_path / "out"
    d = {"base": str(INSTANCES / "ties.json"), "out": str(out), "axes": {"platforms": [2]}}
    d.update(change)
    if d.get("base") is None:
        d.pop("base")
        d["axes"] = {"platforms": [2]} if "axes" not in change else d["axes"]
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(d))
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not out.exists()


def test_sweep_refuses_rows_of_an_unrecorded_spec(tmp_path, capsys):
    """Rows with no sweep-spec.json (an earlier version's folder, or the record moved away) may be
    another game's: refused, one line (a review found them reused as the new game's answers)."""
    out = tmp_path / "out"
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"base": str(INSTANCES / "ties.json"), "out": str(out), "axes": {"platforms": [2]}}))
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
    (out / "sweep-spec.json").unlink()
    before = (out / "results.csv").read_bytes()
    capsys.readouterr()
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no record of the spec" in err[0]
    assert (out / "results.csv").read_bytes() == before


def test_sweep_without_axes_is_one_point(tmp_path, capsys):
    """Its label is empty; read back as NaN it was dropped from the summary ('0 points') and
    solved again on every run (review)."""
    out = tmp_path / "out"
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"base": str(INSTANCES / "ties.json"), "out": str(out)}))
    for _ in range(2):
        assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
        assert capsys.readouterr().out.startswith("1 points: equilibrium 1")
    assert len(pd.read_csv(out / "results.csv")) == 1


def test_sweep_spec_errors_are_bad_input(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text('out = "x"\n[axes]\npool = [2]\n')
    assert main(["sweep", str(spec)]) == 2
    assert "exactly one of 'base'" in capsys.readouterr().err
    # a time limit that is not positive, finite seconds: one line at load, not an error per point
    for bad in ("0", "-5", "nan", '"60"'):
        spec.write_text(f'base = "instances/cifar10_paper.json"\nout = "{tmp_path / "o"}"\ntime_limit = {bad}\n[axes]\nplatforms = [2]\n')
        assert main(["sweep", str(spec)]) == 2
        err = capsys.readouterr().err
        assert "time_limit must be None or a positive, finite number of seconds" in err and len(err.strip().splitlines()) == 1
        assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("workers", ["0", "-2"])
def test_sweep_refuses_workers_below_one(workers, tmp_path, capsys):
    # --workers 0 started no worker and waited forever (audit): one line, exit 2, nothing written
    spec = tmp_path / "spec.toml"
    out = tmp_path / "out"
    spec.write_text(f'name = "t"\nbase = "{INSTANCES / "ties.json"}"\nout = "{out}"\n[axes]\nplatforms = [2]\n')
    assert main(["sweep", str(spec), "--workers", workers, "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--workers" in err[0]
    assert not out.exists()


def test_a_stopped_point_says_what_it_proved(monkeypatch):
    """A stopped point used to write an incumbent social optimum as if proven and drop the
    equilibrium it had found and re-checked (audit)."""
    import dataclasses

    from milp_market import game, orchestrate
    from milp_market.results import Status
    from milp_market.sweep import solve_point

    real = orchestrate.solve_market

    def stopped(inst, method="auto", time_limit=None, **kw):
        res = real(inst, "enumerate")
        return dataclasses.replace(res, status=Status.UNKNOWN, social_optimum_proven=False)

    monkeypatch.setattr(orchestrate, "solve_market", stopped)
    spec = {"base": str(INSTANCES / "ties.json"), "out": "unused"}
    row = solve_point(spec, {"point": "platforms=3", "platforms": 3})
    assert row["status"] == "unknown" and row["social_optimum_proven"] is False
    assert row["welfare_best"] is None and row["counts_best"] is None  # not claimed best
    found = json.loads(row["equilibrium_found"])
    from milp_market.instance import load_instance

    inst = load_instance(INSTANCES / "ties.json")
    counts = [found.get(m, 0) for m in inst.model_names]
    assert inst.platforms == 3 and sum(counts) == 3 and game.is_equilibrium(inst, counts)


def test_generator_spec_takes_n_from_the_platforms_axis(tmp_path, capsys):
    out = tmp_path / "out"
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"generator": {"family": "ties", "M": 4, "K": 3}, "out": str(out), "axes": {"platforms": [2, 3]}}))
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith("2 points:")
