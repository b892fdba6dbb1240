"""Property: whatever the instance file and the options, the CLI answers (exit 0) or refuses with one
line (exit 2); never a traceback or an internal error, and ``--json`` output is strict JSON.

Hypothesis mutates valid instances (drops, replaces and retypes fields; huge, negative, NaN and
infinite numbers; wrong nesting; broken bytes) and the options, and runs the CLI in-process.
"""

import io
import json
import math
from contextlib import redirect_stderr, redirect_stdout

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from milp_market.cli import main

HARDMAX = {
    "name": "fuzz",
    "description": "three models, two types",
    "user_types": [{"name": "a", "mass": 0.5}, {"name": "b", "mass": 0.5}],
    "models": [{"name": "A", "scores": [1.0, 0.0]}, {"name": "B", "scores": {"a": 0.0, "b": 1.0}}, {"name": "C", "scores": [0.6, 0.6]}],
    "platforms": 2,
    "choice": {"rule": "hardmax"},
    "utility": "score_share",
}
LOGIT = {**HARDMAX, "choice": {"rule": "softmax", "beta": 5.0}, "utility": "mass_share"}

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Numbers that break naive code, kept away from slow-but-valid sizes (a platform count of 500 is
# valid input that takes long; 10**9 is refused at once).
numbers = st.one_of(
    st.integers(-3, 6),
    st.floats(0, 2),
    st.sampled_from([1001, 10**9, 10**30, 10**400, -(10**30)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.5, 1e-9, 5e-324, 1e308, -1e308, 1e30, float("nan"), float("inf"), -float("inf")]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=8), st.sampled_from(["hardmax", "softmax", "mass_share", "a", "A", ""]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)), max_leaves=6)


def _paths(doc, prefix=()):
    """Every (path) to a value in a JSON document, the root included."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


def _set(doc, path, value):
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return doc


def _get(doc, path):
    for key in path:
        doc = doc[key]
    return doc


@st.composite
def instance_texts(draw):
    """A valid instance with up to three mutations, as the bytes of a file."""
    doc = json.loads(json.dumps(draw(st.sampled_from([HARDMAX, LOGIT]))))
    for _ in range(draw(st.integers(0, 3))):
        paths = list(_paths(doc))
        op = draw(st.sampled_from(["number"] * 4 + ["drop", "replace", "wrap", "stringify", "unwrap"]))
        if op == "number":  # keep the shape, change a number: the mutants that reach the solvers
            paths = [p for p in paths if isinstance(_get(doc, p), (int, float)) and not isinstance(_get(doc, p), bool)] or paths
        path = draw(st.sampled_from(paths))
        if op == "number":
            doc = _set(doc, path, draw(numbers))
        elif op == "drop" and path:
            del _get(doc, path[:-1])[path[-1]]
        elif op == "replace":
            doc = _set(doc, path, draw(values))
        elif op == "wrap":
            doc = _set(doc, path, [_get(doc, path)])
        elif op == "stringify":
            doc = _set(doc, path, json.dumps(_get(doc, path)))
        elif op == "unwrap":
            old = _get(doc, path)
            if isinstance(old, (list, dict)) and old:
                doc = _set(doc, path, next(iter(old.values() if isinstance(old, dict) else old)))
    data = json.dumps(doc).encode()  # NaN and Infinity tokens included, as Python writes them
    damage = draw(st.sampled_from(["none"] * 12 + ["truncate", "bad_byte", "nest"]))
    if damage == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif damage == "bad_byte":
        i = draw(st.integers(0, len(data)))
        data = data[:i] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\xef\xbb\xbf"])) + data[i:]
    elif damage == "nest":
        depth = draw(st.sampled_from([50, 5_000, 200_000]))
        data = b'{"models": ' + b"[" * depth + b"]" * depth + b"}"
    return data


bad_seconds = st.sampled_from(["0", "-1", "nan", "inf", "1e400", "abc", ""])
seconds = st.sampled_from(["0.5", "1", "1e-9"])
bad_counts = st.sampled_from(["0", "-5", "1.5", "x", ""])
counts = st.sampled_from(["1", "2", "3", str(10**30)])


def _option(draw, good, bad):
    """Mostly a good value (so that the instance is what is tested), sometimes a bad one."""
    return draw(bad) if draw(st.integers(0, 4)) == 4 else draw(good)


@st.composite
def command_lines(draw):
    """A command and its options (mostly valid, some not); INSTANCE stands for the file."""
    cmd = draw(st.sampled_from(["solve", "solve", "enumerate", "dynamics"]))
    argv = [cmd, "INSTANCE", "--json"]
    if cmd == "solve":
        argv += ["--time-limit", _option(draw, seconds, bad_seconds)]
        argv += ["--method", draw(st.sampled_from(["auto", "search", "milp", "enumerate"]))]
        if draw(st.booleans()):
            argv += ["--confirm", _option(draw, st.sampled_from(["1"]), bad_seconds)]
    elif cmd == "enumerate":
        argv += ["--time-limit", _option(draw, seconds, bad_seconds), "--method", draw(st.sampled_from(["enumerate", "search", "milp"]))]
        if draw(st.booleans()):
            argv += ["--max", _option(draw, counts, bad_counts)]
    else:
        argv += ["--max-steps", _option(draw, st.sampled_from(["50"]) | counts, bad_counts)]
        argv += ["--seed", _option(draw, st.sampled_from(["0", "7"]) | counts, bad_counts)]
        if draw(st.booleans()):
            argv += ["--start", draw(st.sampled_from(["A,B", "A,A", "A", "Z,A", "A,B,C", ",", ""]))]
    return argv


def _strict_json(text):
    def refuse(token):
        raise AssertionError(f"--json printed the non-standard token {token}")

    return json.loads(text, parse_constant=refuse)


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # pragma: no cover - main returns codes; a raise is a failure below
            code = ("SystemExit", exc.code)
    return code, out.getvalue(), err.getvalue()


def check(argv, code, out, err):
    context = f"argv={argv!r}\ncode={code!r}\nstdout={out[:500]!r}\nstderr={err[:500]!r}"
    assert code in (0, 2), context
    assert "Traceback" not in err and "internal error" not in err, context
    if code == 2:
        assert out == "", context
        assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1, context
    else:
        assert out.endswith("\n") and out.count("\n") == 1, context  # one JSON object, one line
        assert isinstance(_strict_json(out), dict), context


@SETTINGS
@given(data=instance_texts(), argv=command_lines())
def test_mutated_instance_and_options_answer_or_refuse_in_one_line(data, argv, tmp_path):
    path = tmp_path / "fuzz.json"
    path.write_bytes(data)
    argv = [str(path) if a == "INSTANCE" else a for a in argv]
    check(argv, *run(argv))


@SETTINGS
@given(data=instance_texts())
def test_mutated_instance_solves_or_refuses_under_a_small_time_limit(data, tmp_path):
    path = tmp_path / "fuzz.json"
    path.write_bytes(data)
    argv = ["solve", str(path), "--json", "--time-limit", "1"]
    code, out, err = run(argv)
    check(argv, code, out, err)
    if code == 0:
        res = _strict_json(out)
        assert res["status"] in ("equilibrium", "no_equilibrium", "unknown")
        for key in ("price_of_anarchy", "price_of_stability"):
            assert res[key] is None or res[key] == "inf" or (isinstance(res[key], float) and math.isfinite(res[key]))


def test_fuzz_helpers_mutate_a_copy():
    before = json.dumps(HARDMAX)
    doc = json.loads(before)
    _set(doc, ("models", 0, "scores", 0), "x")
    assert json.dumps(HARDMAX) == before and _get(doc, ("models", 0, "scores", 0)) == "x"
