"""File safety of `report` and `sweep` (issue #12, item 5): report never overwrites a file it did not
write and never writes outside its folder; a sweep's results.csv survives a torn last row, an empty
file and Ctrl-C."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from milp_market.cli import main
from milp_market.report import safe_stem
from milp_market.sweep import COLUMNS, load_spec, points, solve_point, spec_fingerprint

from .conftest import INSTANCES


def _renamed(tmp_path, name, file_name):
    """A copy of the small ties instance named `name`."""
    data = json.loads((INSTANCES / "ties.json").read_text())
    data["name"] = name
    path = tmp_path / file_name
    path.write_text(json.dumps(data))
    return path


def _tree(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


# ---------------------------------------------------------------- report


def test_report_refuses_a_non_empty_folder_it_did_not_make_and_touches_nothing(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "README.md").write_text("my notes\n")
    (out / "other.md").write_text("# other\n")
    assert main(["report", str(INSTANCES / "ties.json"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --out") and "not empty" in err[0]
    assert (out / "README.md").read_text() == "my notes\n"
    assert _tree(out) == ["README.md", "other.md"]


def test_report_reruns_in_its_own_folder_and_its_index_lists_only_its_reports(tmp_path, capsys):
    out = tmp_path / "rep"
    args = ["report", str(INSTANCES / "ties.json"), "--out", str(out)]
    assert main(args) == 0
    (out / "notes.md").write_text("# mine\n")  # the user adds a file to the report folder
    assert main(args) == 0
    assert (out / "notes.md").read_text() == "# mine\n"
    index = (out / "README.md").read_text()
    assert "[ties](ties.md)" in index and "notes" not in index and "Status: ?" not in index
    assert not (out / "ties-2.md").exists()  # the re-run replaced its own report


def test_report_gives_two_instances_with_one_name_distinct_files(tmp_path, capsys):
    a, b = _renamed(tmp_path, "dup", "a.json"), _renamed(tmp_path, "dup", "b.json")
    out = tmp_path / "rep"
    assert main(["report", str(a), str(b), "--out", str(out)]) == 0
    assert (out / "dup.md").exists() and (out / "dup-2.md").exists()
    assert (out / "dup_service.png").exists() and (out / "dup-2_service.png").exists()
    index = (out / "README.md").read_text()
    assert "[dup](dup.md)" in index and "[dup-2](dup-2.md)" in index


def test_report_of_an_instance_named_README_does_not_collide_with_the_index(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", str(_renamed(tmp_path, "README", "r.json")), "--out", str(out)]) == 0
    assert "Status: **equilibrium**" in (out / "README-2.md").read_text()
    assert "[README-2](README-2.md)" in (out / "README.md").read_text()


def test_report_file_names_from_instance_names_never_leave_the_folder(tmp_path, capsys):
    work = tmp_path / "work"
    work.mkdir()
    src = _renamed(tmp_path, "../escaped", "e.json")
    before = set(_tree(tmp_path))
    assert main(["report", str(src), "--out", str(work / "rep")]) == 0
    assert all(p.startswith("work/rep") for p in set(_tree(tmp_path)) - before)
    assert {"_escaped.md", "_escaped_service.png", "README.md"} <= set(os.listdir(work / "rep"))
    for name in ["../escaped", "a/b\\c", ".hidden", "..", "", "x" * 300, "naïve name"]:
        stem = safe_stem(name)
        assert stem and len(stem) <= 100 and not stem.startswith(".") and all(c.isascii() and (c.isalnum() or c in "._-") for c in stem)


def test_report_does_not_trust_a_manifest_pointing_outside_the_folder(tmp_path, capsys):
    out = tmp_path / "rep"
    out.mkdir()
    manifest = {"reports": [{"stem": "../ties", "instance": "ties", "source": "x", "files": ["../ties.md"], "status": None}]}
    (out / ".milp-market-report.json").write_text(json.dumps(manifest))
    assert main(["report", str(INSTANCES / "ties.json"), "--out", str(out)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert _tree(tmp_path) == ["rep", "rep/.milp-market-report.json"]


def test_report_out_naming_a_file_is_bad_input(tmp_path, capsys):
    target = tmp_path / "taken.json"
    target.write_text("keep")
    assert main(["report", str(INSTANCES / "ties.json"), "--out", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is a file" in err[0]
    assert target.read_text() == "keep"


# ---------------------------------------------------------------- sweep


def _spec(tmp_path, axes="pool = [2, 3]\nplatforms = [1, 2]\n", base=INSTANCES / "cifar10_paper.json", extra=""):
    spec = tmp_path / "spec.toml"
    out = tmp_path / "out"
    spec.write_text(f'name = "t"\nbase = "{base}"\nout = "{out}"\ntime_limit = 30\n{extra}[axes]\n{axes}')
    return spec, out


def _old_style_lines(spec_path):
    """The results of every point as CSV lines, written as the old code wrote them (pandas)."""
    spec = load_spec(spec_path)
    rows = [solve_point(spec, p) for p in points(spec)]
    return pd.DataFrame(rows, columns=COLUMNS).to_csv(index=False, lineterminator="\n").splitlines(keepends=True)


@pytest.mark.slow
def test_sweep_writes_whole_lines_and_drops_torn_rows_on_resume(tmp_path, capsys, monkeypatch):
    spec, out = _spec(tmp_path)
    lines = _old_style_lines(spec)  # header + 4 rows
    out.mkdir()
    (out / "sweep-spec.json").write_text(json.dumps(spec_fingerprint(load_spec(spec))))  # rows of this spec
    csv_path = out / "results.csv"
    # Row 2 torn with row 3 appended to it (what older versions did), row 4 torn by a crash.
    csv_path.write_text(lines[0] + lines[1] + lines[2][:30] + lines[3] + lines[4][:40])

    writes, real_write, real_fsync = [], os.write, os.fsync

    def same_file(fd):
        try:
            st, cur = os.fstat(fd), os.stat(csv_path)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == (cur.st_dev, cur.st_ino)

    def write(fd, data):
        if same_file(fd):
            writes.append(("write", bytes(data)))
        return real_write(fd, data)

    def fsync(fd):
        if same_file(fd):
            writes.append(("fsync", None))
        return real_fsync(fd)

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "fsync", fsync)
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
    monkeypatch.undo()
    err = [ln for ln in capsys.readouterr().err.splitlines() if "dropped" in ln]
    assert len(err) == 1 and "2 torn row(s)" in err[0]
    # Each of the 3 re-solved rows: one write of one complete line, then fsync.
    appends = [d for k, d in writes if k == "write" and not d.startswith(b"point,")]
    assert len(appends) == 3
    for data in appends:
        assert data.endswith(b"\n") and data.count(b"\n") == 1
        assert len(next(csv.reader([data.decode()]))) == len(COLUMNS)
    assert [k for k, _ in writes[-6:]] == ["write", "fsync"] * 3
    text = csv_path.read_text()
    assert text.endswith("\n") and all(len(r) == len(COLUMNS) for r in csv.reader(text.splitlines()))
    table = pd.read_csv(csv_path)
    assert sorted(table["point"]) == sorted(p["point"] for p in points(load_spec(spec)))
    assert table["welfare_best"].notna().all()
    # A later resume has nothing to repair or solve.
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
    assert "dropped" not in capsys.readouterr().err and len(pd.read_csv(csv_path)) == 4


def test_sweep_resumes_from_an_empty_results_file(tmp_path, capsys):
    spec, out = _spec(tmp_path, axes="pool = [2]\nplatforms = [1, 2]\n")
    out.mkdir()
    (out / "results.csv").write_text("")
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
    table = pd.read_csv(out / "results.csv")
    assert list(table.columns) == COLUMNS and len(table) == 2


@pytest.mark.slow
def test_sweep_interrupted_by_ctrl_c_prints_one_line_and_exits_130(tmp_path):
    import psutil

    # A point that runs for minutes (complete enumeration of 229 models), so that Ctrl-C lands mid-solve.
    spec, out = _spec(tmp_path, axes="platforms = [4]\n", base=INSTANCES / "lmarena_full.json", extra='method = "enumerate"\n')
    code = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        f"from milp_market.cli import main; sys.exit(main(['sweep', {str(spec)!r}, '--workers', '1', '--no-progress']))"
    )
    # A session of its own: the SIGINT below goes to its whole process group, as a terminal's Ctrl-C does.
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        time.sleep(8)
        children = psutil.Process(proc.pid).children(recursive=True)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130
    assert err.decode().strip().splitlines() == ["interrupted"]
    _, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, f"left running: {[p.cmdline() for p in alive]}"


def test_sweep_results_file_of_another_shape_is_bad_input(tmp_path, capsys):
    content = "a,b\n1,2\n"
    spec, out = _spec(tmp_path)
    out.mkdir()
    (out / "results.csv").write_text(content)
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert (out / "results.csv").read_text() == content
