"""`milp-market sweep`: a Dask sweep records failing points without stopping, writes a tidy table
and plots, and a re-run skips the points already solved."""

import pandas as pd
import pytest

from milp_market.cli import main

from .conftest import INSTANCES


@pytest.mark.slow
def test_sweep_records_failures_and_resumes(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    out = tmp_path / "out"
    spec.write_text(
        f'name = "t"\nbase = "{INSTANCES / "cifar10_paper.json"}"\nout = "{out}"\ntime_limit = 30\n'
        "[axes]\npool = [2, 3]\nplatforms = [0, 2]\n"  # platforms = 0 is an injected failing point
    )
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 4
    failed = table[table["platforms"] == 0]
    assert set(failed["status"]) == {"error"} and failed["error"].str.contains("platforms must be").all()
    assert set(table[table["platforms"] == 2]["status"]) <= {"equilibrium", "no_equilibrium"}
    assert (out / "by_pool.png").exists() and (out / "by_platforms.png").exists()
    # Re-running solves nothing new: the table keeps one row per point.
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
    assert len(pd.read_csv(out / "results.csv")) == 4


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
