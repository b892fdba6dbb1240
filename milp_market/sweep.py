"""``milp-market sweep SPEC``: solve a grid of instances on Dask and write a tidy table and plots.

A SPEC (TOML or JSON) names a base instance file or a generator, and the axes:

```toml
name = "cifar-pool"
base = "instances/cifar10_paper.json"     # or: [generator] family = "specialist", M = 10, K = 20, N = 3
out = "reports/sweeps/cifar-pool"         # results.csv and plots go here
time_limit = 60                           # seconds per point
method = "auto"                           # auto | search | milp | enumerate
[axes]
pool = [2, 3, 4, 5]                       # first m models of the base pool, in pool order
platforms = [1, 2, 3]
beta = [0.5, 5]                           # switches to softmax choice with this beta
seed = [0, 1]                             # generator seeds (generator specs only)
# With a generator, each platforms value draws its own market: generate() seeds with N too.
```

Every key and axis value is checked, and every point's instance built, before anything is solved:
a bad one is one line naming it. Points run on a local Dask cluster (processes, one solver thread
each) unless ``--scheduler`` gives an existing one. Each finished point is appended to
``results.csv`` at once, so a re-run skips the points already there, except failed ones (status
``error``), which it solves again. ``sweep-spec.json`` in ``out`` records what the rows were solved
from (the SHA-256 of the base file, or the generator; method; time limit); a re-run whose spec differs in
these, or into a folder whose rows have no such record, is refused, so that one table never mixes
two sweeps. The returned table (and the plots and
the command's summary) holds the points of the current grid only, in grid order. A point that
fails (a solver error) or times out is recorded with its status and message and does not stop the
sweep. A stopped point records ``social_optimum_proven`` (false: ``social_welfare`` is the
incumbent's) and, when it proved existence, ``equilibrium_found`` (a re-checked equilibrium, not
claimed best or worst).

Crash safety: each row is one physical line (newlines inside fields become spaces), appended by a
single ``write()`` of the complete line and fsynced, so a crash loses at most the row being
written. On resume a torn row (a last line without its newline, or any line that does not parse
into the right number of fields) is dropped, with one line on stderr, and its point is solved
again; an empty ``results.csv`` counts as no rows. The local cluster runs in a helper process of
its own session, so a Ctrl-C reaches only the sweep, which ends the cluster (the CLI then prints one
line and exits 130).
"""

from __future__ import annotations

import csv as _csv
import io
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .instance import InstanceError

AXES = ("pool", "platforms", "beta", "seed")
COLUMNS = [
    "point", "pool", "platforms", "beta", "seed", "status", "welfare_best", "welfare_worst", "social_welfare",
    "price_of_anarchy", "price_of_stability", "hhi_best", "hhi_worst", "structure_best", "structure_worst",
    "counts_best", "method", "seconds", "error", "social_optimum_proven", "equilibrium_found",
]
#: Top-level keys of a spec (anything else is a misspelling: one line, exit 2).
SPEC_KEYS = ("name", "base", "generator", "out", "time_limit", "method", "axes")
METHODS = ("auto", "search", "milp", "enumerate")
GENERATOR_KEYS = ("family", "M", "K", "N", "seed")
#: The file in ``out`` that records what the rows of ``results.csv`` were solved from.
FINGERPRINT = "sweep-spec.json"


def load_spec(path) -> dict:
    """Read and check a sweep spec (TOML when the file ends in ``.toml``, else JSON).

    ``base`` is made absolute (relative to the current folder).

    Raises
    ------
    InstanceError
        One line naming the file and the problem (unreadable, malformed, both or neither of
        ``base`` and ``generator``, an unknown or empty axis, no ``out``).

    Examples
    --------
    A sweep over the ``instances/ties.json`` market restricted to its first 3 models (A, B, C)
    with 2 and 3 platforms:

    >>> import json, pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "spec.json").write_text(json.dumps({"name": "toy", "base": "instances/ties.json",
    ...     "out": str(d / "out"), "axes": {"pool": [3], "platforms": [2, 3]}}))
    >>> spec = load_spec(d / "spec.json")
    >>> spec["axes"], pathlib.Path(spec["base"]).is_absolute()
    ({'pool': [3], 'platforms': [2, 3]}, True)
    >>> import shutil; shutil.rmtree(d)
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise InstanceError(f"{path}: cannot read sweep spec ({exc.strerror or exc})") from None
    try:
        if path.suffix == ".toml":
            import tomllib

            spec = tomllib.loads(text)
        else:
            spec = json.loads(text)
    except Exception as exc:  # tomllib and json raise different types
        raise InstanceError(f"{path}: malformed sweep spec ({exc})") from None
    if not isinstance(spec, dict):
        raise InstanceError(f"{path}: a sweep spec is an object of keys ({', '.join(SPEC_KEYS)})")
    unknown_keys = [k for k in spec if k not in SPEC_KEYS]
    if unknown_keys:
        raise InstanceError(f"{path}: unknown key {unknown_keys[0]!r}; keys are {', '.join(SPEC_KEYS)}")
    if ("base" in spec) == ("generator" in spec):
        raise InstanceError(f"{path}: give exactly one of 'base' (an instance file) or 'generator'")
    axes = spec.get("axes", {})
    if not isinstance(axes, dict):
        raise InstanceError(f"{path}: axes must be a table of axis = [values] ({', '.join(AXES)})")
    if "seed" in axes and "generator" not in spec:
        raise InstanceError(f"{path}: axes.seed draws generator instances; a 'base' spec has no seed")
    unknown = [a for a in axes if a not in AXES]
    if unknown:
        raise InstanceError(f"{path}: unknown axis {unknown[0]!r}; axes are {', '.join(AXES)}")
    for a, values in axes.items():
        if not isinstance(values, list) or not values:
            raise InstanceError(f"{path}: axes.{a} must be a non-empty list")
        for v in values:
            integral = a != "beta"
            ok = (isinstance(v, int) if integral else isinstance(v, (int, float))) and not isinstance(v, bool)
            if ok and not integral:
                try:
                    ok = 0 <= float(v) < float("inf")
                except OverflowError:  # an integer too large for a float
                    ok = False
            if not ok or (integral and v < (0 if a == "seed" else 1)):
                want = "a non-negative integer" if a == "seed" else "a positive integer" if integral else "a finite number >= 0"
                raise InstanceError(f"{path}: axes.{a}: {v!r} is not {want}")
        if len(set(values)) < len(values):
            raise InstanceError(f"{path}: axes.{a} lists a value twice (each point is solved once)")
    if "out" not in spec:
        raise InstanceError(f"{path}: missing key 'out' (the output directory)")
    if not isinstance(spec["out"], str) or not spec["out"]:
        raise InstanceError(f"{path}: out must be a folder name (a string)")
    if spec.get("method", "auto") not in METHODS:
        raise InstanceError(f"{path}: method {spec['method']!r}; choose from {', '.join(METHODS)}")
    from .orchestrate import check_seconds  # lazy: the spec is read before any solver is needed

    try:
        check_seconds(spec.get("time_limit"))
    except ValueError as exc:  # one line at load, not one failed row per point
        raise InstanceError(f"{path}: {exc}") from None
    if "base" in spec:
        if not isinstance(spec["base"], str):
            raise InstanceError(f"{path}: base must be an instance file name (a string)")
        base = Path(spec["base"])
        spec["base"] = str(base if base.is_absolute() else (Path.cwd() / base))
    elif not isinstance(spec["generator"], dict):
        raise InstanceError(f"{path}: generator must be a table of family, M, K, N (and seed)")
    else:
        extra = [k for k in spec["generator"] if k not in GENERATOR_KEYS]
        if extra:
            raise InstanceError(f"{path}: generator: unknown key {extra[0]!r}; keys are {', '.join(GENERATOR_KEYS)}")
    # every point's instance is built once here, so that a bad value (a pool larger than the
    # base's, a generator without N, a bad family, too many platforms) is one line now rather
    # than one error row per point (audit)
    for p in points(spec):
        try:
            build_point_instance(spec, p)
        except InstanceError as exc:
            raise InstanceError(f"{path}: point {p['point']}: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            what = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            raise InstanceError(f"{path}: point {p['point']}: {what}") from None
    return spec


def spec_fingerprint(spec: dict) -> dict:
    """What the rows of a sweep depend on besides their point: the base file (the SHA-256 of its
    bytes) or the generator, the method and the time limit. Stored in ``out`` as
    ``sweep-spec.json``; a re-run with another fingerprint is refused, as its rows would mix two
    sweeps (an audit re-ran with another base into the same folder and got the old rows back).

    Examples
    --------
    >>> spec_fingerprint({"generator": {"family": "ties", "M": 4, "K": 3, "N": 2}, "out": "x"})
    {'generator': {'family': 'ties', 'M': 4, 'K': 3, 'N': 2}, 'method': 'auto', 'time_limit': None}
    """
    import hashlib

    fp = {}
    if "base" in spec:  # its content, not its path: the folder may be a clone elsewhere
        fp["base_sha256"] = hashlib.sha256(Path(spec["base"]).read_bytes()).hexdigest()
    else:
        fp["generator"] = spec["generator"]
    fp["method"] = spec.get("method", "auto")
    fp["time_limit"] = spec.get("time_limit")
    return fp


def points(spec: dict) -> list[dict]:
    """The grid of a spec: one dict per combination of axis values, with its ``point`` label.

    Examples
    --------
    >>> points({"axes": {"platforms": [2, 3], "pool": [3]}})  # doctest: +NORMALIZE_WHITESPACE
    [{'pool': 3, 'platforms': 2, 'point': 'pool=3|platforms=2'},
     {'pool': 3, 'platforms': 3, 'point': 'pool=3|platforms=3'}]
    """
    axes = spec.get("axes", {})
    names = [a for a in AXES if a in axes]
    out = []
    for values in itertools.product(*(axes[a] for a in names)):
        p = dict(zip(names, values))
        p["point"] = "|".join(f"{k}={p[k]}" for k in names)
        out.append(p)
    return out


def build_point_instance(spec: dict, p: dict):
    """The instance of one grid point: the base instance (or the generator's) with the first
    ``pool`` models, ``platforms`` platforms, and softmax choice when the point has a ``beta``.

    Raises
    ------
    InstanceError
        When ``pool`` exceeds the base pool.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "spec.json").write_text(json.dumps({"name": "toy", "base": "instances/ties.json",
    ...     "out": str(d / "out"), "axes": {"pool": [3], "platforms": [2, 3]}}))
    >>> spec = load_spec(d / "spec.json")
    >>> inst = build_point_instance(spec, points(spec)[1])
    >>> inst.name, inst.model_names, inst.platforms, inst.choice
    ('ties[pool=3|platforms=3]', ('A', 'B', 'C'), 3, 'hardmax')
    >>> import shutil; shutil.rmtree(d)
    """
    from .generators import generate
    from .instance import load_instance, make_instance

    if "generator" in spec:
        g = spec["generator"]
        N = p["platforms"] if "platforms" in p else g["N"]  # N may come from the platforms axis alone
        inst = generate(g["family"], int(g["M"]), int(g["K"]), int(N), int(p.get("seed", g.get("seed", 0))))
    else:
        inst = load_instance(spec["base"])
    m = int(p.get("pool", inst.n_models))
    if not 1 <= m <= inst.n_models:
        raise InstanceError(f"pool={m}: the base pool has {inst.n_models} models")
    return make_instance(
        inst.scores[:m],
        inst.masses,
        p.get("platforms", inst.platforms),
        name=f"{inst.name}[{p['point']}]",
        model_names=inst.model_names[:m],
        type_names=inst.type_names,
        utility=inst.utility,
        choice="softmax" if "beta" in p else inst.choice,
        beta=float(p.get("beta", inst.beta)),
        source=f"point {p['point']}",
    )


def solve_point(spec: dict, p: dict) -> dict:
    """Solve one point; never raises (a failure becomes a row with status 'error').

    Returns
    -------
    dict
        One row of ``results.csv`` (keys ``COLUMNS``).

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "spec.json").write_text(json.dumps({"name": "toy", "base": "instances/ties.json",
    ...     "out": str(d / "out"), "axes": {"pool": [3], "platforms": [2, 3]}}))
    >>> spec = load_spec(d / "spec.json")
    >>> row = solve_point(spec, points(spec)[1])
    >>> row["status"], row["welfare_best"], row["counts_best"], row["structure_best"]
    ('equilibrium', 1.0, '{"A": 2, "B": 1}', 'partial')
    >>> bad = solve_point(spec, {"point": "pool=9", "pool": 9})
    >>> bad["status"], bad["error"]
    ('error', 'InstanceError: pool=9: the base pool has 4 models')
    >>> import shutil; shutil.rmtree(d)
    """
    from .orchestrate import solve_market
    from .results import Status

    row = {c: None for c in COLUMNS}
    row.update({k: p.get(k) for k in ("point", *AXES)})
    t0 = time.perf_counter()
    try:
        inst = build_point_instance(spec, p)
        res = solve_market(inst, spec.get("method", "auto"), spec.get("time_limit"))
        row["status"] = res.status.value
        row["method"] = res.method
        if res.social_optimum is not None:
            # an incumbent when not proven (its bound is not in the table): the column says which
            row["social_welfare"] = res.social_optimum.welfare
            row["social_optimum_proven"] = bool(res.social_optimum_proven)
        if res.best is not None and res.best.profile is not None and res.status is Status.UNKNOWN:
            # existence proven (the profile passed game.is_equilibrium) but the run stopped: the
            # equilibrium is recorded, not as the best one
            row["equilibrium_found"] = json.dumps(inst.counts_dict(res.best.profile.counts))
        if res.best is not None and res.best.profile is not None and res.status is Status.EQUILIBRIUM:
            b, w = res.best.profile, res.worst.profile
            row.update(
                welfare_best=b.welfare, welfare_worst=w.welfare, hhi_best=b.hhi, hhi_worst=w.hhi,
                structure_best=b.structure, structure_worst=w.structure,
                counts_best=json.dumps(inst.counts_dict(b.counts)),
                price_of_anarchy=res.price_of_anarchy, price_of_stability=res.price_of_stability,
            )
    except Exception as exc:  # recorded, never fatal to the sweep
        row["status"] = "error"
        row["error"] = f"{type(exc).__name__}: {exc}"
    row["seconds"] = round(time.perf_counter() - t0, 4)
    return row


def _one_line(value):
    """A CSV field that cannot break the one-row-one-line rule (see the module docstring)."""
    if isinstance(value, str):
        return " ".join(value.splitlines())
    return value


def _row_line(row: dict) -> bytes:
    """One complete CSV line (ending in a newline) for a row, in ``COLUMNS`` order."""
    import pandas as pd

    frame = pd.DataFrame([{c: _one_line(row.get(c)) for c in COLUMNS}], columns=COLUMNS)
    return frame.to_csv(header=False, index=False, lineterminator="\n").encode()


def _header_line() -> bytes:
    buf = io.StringIO()
    _csv.writer(buf, lineterminator="\n").writerow(COLUMNS)
    return buf.getvalue().encode()


def replace_file(path: Path, data: bytes) -> None:
    """Write ``path`` via a temporary file in the same folder and ``os.replace``: all or nothing.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     replace_file(pathlib.Path(d) / "table.csv", b"point,status\\n")
    ...     sorted(p.name for p in pathlib.Path(d).iterdir())
    ['table.csv']
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".milp-market-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            # mkstemp makes the file 0600; a report or table is an ordinary file (0666 - umask)
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(f.fileno(), 0o666 & ~umask)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _append_line(path: Path, line: bytes) -> None:
    """Append one complete line by a single ``write()``, then fsync: a crash tears at most this line."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        n = os.write(fd, line)
        while n < len(line):  # a short write (disk full, signal): finish the line
            n += os.write(fd, line[n:])
        os.fsync(fd)
    finally:
        os.close(fd)


def prepare_results(path: Path, grid: set | None = None) -> None:
    """Make ``results.csv`` a header plus whole rows before a (re)run.

    A missing or empty file gets the header. A torn row (a last line without its newline, or a line
    that does not parse into ``len(COLUMNS)`` fields, e.g. a torn line that an older version
    appended the next row to) is dropped, saying so in one line on stderr; so is a row whose status
    is ``error`` and whose point is in ``grid`` (every point when None), so that it is solved
    again. The file is rewritten via a temporary file. A first line that is not this version's
    header is bad input.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     csv = pathlib.Path(d) / "results.csv"
    ...     prepare_results(csv)
    ...     csv.read_text().split(",")[:3]
    ['point', 'pool', 'platforms']
    """
    data = path.read_bytes() if path.exists() else b""
    if not data.strip():
        replace_file(path, _header_line())
        return
    problems = []
    cut = data.rfind(b"\n") + 1
    if cut < len(data):
        n_lines = data.count(b"\n") + 1
        problems.append(f"line {n_lines} (no newline: torn by an interrupted write)")
        data = data[:cut]
    lines = data.decode("utf-8", errors="replace").splitlines(keepends=True)
    if not lines:  # only a torn header
        lines = [_header_line().decode()]
    if lines[0] != _header_line().decode():
        raise InstanceError(
            f"{path}: the first line is not the header of a sweep results table "
            f"({', '.join(COLUMNS[:3])}, ...); move the file away or fix it"
        )
    kept = [lines[0]]
    errors = 0
    status_at = COLUMNS.index("status")
    for i, line in enumerate(lines[1:], start=2):
        try:
            fields = next(_csv.reader([line]))
            ok = len(fields) == len(COLUMNS)
        except (_csv.Error, StopIteration):
            ok = False
        if ok and fields[status_at] == "error" and (grid is None or fields[0] in grid):
            errors += 1  # a failed point of this grid is solved again (audit: it never was)
        elif ok:
            kept.append(line)
        else:
            problems.append(f"line {i} (wrong number of fields)")
    if problems:
        print(
            f"sweep: {path}: dropped {len(problems)} torn row(s): {'; '.join(problems)}; those points will be solved again",
            file=sys.stderr,
            flush=True,
        )
    if errors:
        print(f"sweep: {path}: {errors} point(s) failed before; solving them again", file=sys.stderr, flush=True)
    if problems or errors:
        replace_file(path, "".join(kept).encode())


def _serve_local_cluster(workers: int) -> None:
    """The helper process of a local sweep: run a LocalCluster until stdin closes.

    Writes the scheduler address on the stdout it was given, then points its own stdout at its
    stderr, so that worker output can never fill a pipe nobody reads.
    """
    from dask.distributed import LocalCluster

    report = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    report.write(cluster.scheduler_address + "\n")
    report.close()
    sys.stdin.read()  # until the sweep closes the pipe, or dies
    cluster.close()


class _LocalCluster:
    """A local Dask cluster in a helper process with a session of its own.

    A terminal's Ctrl-C goes to every process of the foreground group; the helper and its workers
    are outside it, so only the sweep sees the interrupt, and then ends them with SIGTERM (the
    multiprocessing resource tracker ignores it and cleans up). Their log goes to a temporary file,
    relayed to stderr when the cluster process failed and dropped otherwise.
    """

    def __init__(self, workers: int):
        self.log = tempfile.TemporaryFile()
        code = f"from milp_market.sweep import _serve_local_cluster; _serve_local_cluster({int(workers)})"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            start_new_session=True,
        )

    def address(self) -> str:
        line = self.proc.stdout.readline().decode().strip()
        self.proc.stdout.close()
        if not line:
            self.proc.wait()
            self.log.seek(0)
            last = (self.log.read().decode(errors="replace").strip().splitlines() or ["no message"])[-1]
            raise RuntimeError(f"the local Dask cluster did not start ({last})")
        return line

    def close(self, interrupted: bool) -> None:
        if interrupted:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        else:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10 if interrupted else 60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        if not interrupted and self.proc.returncode != 0:
            # The cluster's log only when it failed: a clean shutdown can still log distributed's
            # benign races (a heartbeat on a closed stream) as tracebacks, which are not the user's
            # concern; a task's own error reaches the caller as its exception.
            self.log.seek(0)
            text = self.log.read().decode(errors="replace")
            if text.strip():
                sys.stderr.write(text)
        self.log.close()


def run_sweep(spec_path, scheduler: str | None = None, workers: int = 2, progress: bool = True):
    """Run (or resume) a sweep; returns the results as a pandas DataFrame.

    Parameters
    ----------
    spec_path : path-like
        The sweep spec (see the module docstring).
    scheduler : str, optional
        Address of an existing Dask scheduler; None starts a local cluster.
    workers : int
        Processes of the local cluster.
    progress : bool
        Show a progress bar.

    Returns
    -------
    pandas.DataFrame
        ``results.csv``: one row per point (``COLUMNS``); plots ``by_<axis>.png`` are written
        beside it for every axis with more than one value.

    Examples
    --------
    A sweep whose points are all in ``results.csv`` already is only read back (no cluster is
    started):

    >>> import json, pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "spec.json").write_text(json.dumps({"name": "toy", "base": "instances/ties.json",
    ...     "out": str(d / "out"), "axes": {"pool": [3], "platforms": [2, 3]}}))
    >>> spec = load_spec(d / "spec.json")
    >>> import pandas as pd
    >>> out = pathlib.Path(spec["out"]); out.mkdir()
    >>> prepare_results(out / "results.csv")
    >>> _ = (out / "sweep-spec.json").write_text(json.dumps(spec_fingerprint(spec)))  # rows of this spec
    >>> rows = [solve_point(spec, p) for p in points(spec)]
    >>> pd.DataFrame(rows, columns=COLUMNS).to_csv(out / "results.csv", mode="a", header=False, index=False)
    >>> table = run_sweep(d / "spec.json", progress=False)
    >>> table["point"].tolist(), table["counts_best"].tolist()
    (['pool=3|platforms=2', 'pool=3|platforms=3'], ['{"A": 1, "B": 1}', '{"A": 2, "B": 1}'])
    >>> sorted(p.name for p in out.iterdir())
    ['by_platforms.png', 'results.csv', 'sweep-spec.json']
    >>> import shutil; shutil.rmtree(d)
    """
    import pandas as pd

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        # no worker would ever take a point: refuse rather than wait forever (audit)
        raise InstanceError(f"workers must be an integer >= 1 (got {workers!r})")
    spec = load_spec(spec_path)
    out = Path(spec["out"])
    if out.exists() and not out.is_dir():
        raise InstanceError(f"{spec_path}: out = {str(out)!r} is a file; give a folder for results.csv and the plots")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InstanceError(f"{spec_path}: cannot create out = {str(out)!r} ({exc.strerror or exc})") from None
    csv = out / "results.csv"
    if csv.is_dir():
        raise InstanceError(f"{csv}: is a folder; the sweep writes its results table there")
    _check_fingerprint(out, spec, spec_path)
    grid = points(spec)
    prepare_results(csv, {p["point"] for p in grid})
    # recorded once the table is accepted (the same record again when it matched)
    replace_file(out / FINGERPRINT, (json.dumps(spec_fingerprint(spec), indent=1, sort_keys=True) + "\n").encode())
    # a spec without axes has one point, labelled "" (read back as NaN without the fillna)
    done = set(pd.read_csv(csv, usecols=["point"], dtype=str)["point"].fillna(""))
    todo = [p for p in grid if p["point"] not in done]
    if todo:
        from dask.distributed import Client, as_completed

        cluster = client = bar = None
        interrupted = False
        try:
            if scheduler:
                try:
                    client = Client(scheduler, timeout=30)
                except (OSError, TimeoutError, ValueError) as exc:  # a bad or unreachable address
                    raise InstanceError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
            else:
                cluster = _LocalCluster(workers)
                client = Client(cluster.address())
            futures = [client.submit(solve_point, spec, p, pure=False) for p in todo]
            if progress:
                from .progress import progress_bar

                bar = progress_bar(len(futures), f"sweep {spec.get('name', out.name)}", "point")
            for fut in as_completed(futures):
                _append_line(csv, _row_line(fut.result()))
                if bar:
                    bar.update(1)
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            if bar:
                bar.close()
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close(interrupted)
    table = pd.read_csv(csv, dtype={"point": str})
    table["point"] = table["point"].fillna("")
    # the rows of this grid, in grid order (results.csv keeps rows of points dropped from the
    # axes since; they are not this sweep's, and neither the summary nor the plots count them)
    order = {p["point"]: i for i, p in enumerate(grid)}
    table = table[table["point"].isin(order)]
    table = table.iloc[table["point"].map(order).argsort(kind="stable")].reset_index(drop=True)
    _plots(table, spec, out)
    return table


def _check_fingerprint(out: Path, spec: dict, spec_path) -> None:
    """Refuse to resume rows solved from another base, generator, method or time limit, or rows
    with no record at all (``run_sweep`` records the fingerprint once the table is accepted)."""
    fp = spec_fingerprint(spec)
    path = out / FINGERPRINT
    csv = out / "results.csv"
    rows = csv.is_file() and csv.read_bytes().count(b"\n") > 1
    if path.exists() and rows:  # without rows there is nothing to mix: the new spec is recorded
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise InstanceError(f"{path}: unreadable ({exc}); move it away with results.csv to start over") from None
        if old != fp:
            changed = [k for k in sorted(set(old) | set(fp)) if old.get(k) != fp.get(k)]
            raise InstanceError(
                f"{spec_path}: out = {str(out)!r} holds rows solved with another {', '.join(changed)}; "
                f"give another out, or move its results.csv and {FINGERPRINT} away to start over"
            )
    elif rows:  # rows of an unknown spec (an earlier version, a moved file)
        raise InstanceError(
            f"{spec_path}: {csv} holds rows with no record of the spec they were solved with "
            f"({FINGERPRINT}); give another out, or move results.csv away to start over"
        )


def _plots(table, spec, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = table[table["status"].isin(["equilibrium", "no_equilibrium"])]
    for axis in [a for a in AXES if a in spec.get("axes", {}) and len(spec["axes"][a]) > 1]:
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
        g = ok.groupby(axis)
        axes[0].plot(g["social_welfare"].mean(), "o-", label="social optimum")
        axes[0].plot(g["welfare_best"].mean(), "s-", label="best equilibrium")
        axes[0].plot(g["welfare_worst"].mean(), "v-", label="worst equilibrium")
        axes[0].set_ylabel("welfare (mean over other axes)")
        axes[0].legend(fontsize=7)
        axes[1].plot(g["price_of_anarchy"].mean(), "o-", label="PoA")
        axes[1].plot(g["price_of_stability"].mean(), "s-", label="PoS")
        axes[1].legend(fontsize=7)
        axes[2].plot(g.apply(lambda d: (d["status"] == "equilibrium").mean(), include_groups=False), "o-", label="share with an equilibrium")
        axes[2].plot(g["hhi_best"].mean(), "s-", label="HHI (best eq.)")
        axes[2].legend(fontsize=7)
        for ax in axes:
            ax.set_xlabel(axis)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        plt.close(fig)
        replace_file(out / f"by_{axis}.png", buf.getvalue())
