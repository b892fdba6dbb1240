"""``milp-market bench`` with typed parameters: a tiny run through ``run_benchmarks(BenchConfig)``,
the command line's mapping of its options onto the config, the config's checks, and bench's
Gambit baseline against the tests' oracle."""

import pytest

from milp_market import bench
from milp_market.bench import BenchConfig, parse_milp_time_limit, parse_sizes, run_benchmarks
from milp_market.generators import generate
from milp_market.instance import InstanceError

from .conftest import run_cli


def test_tiny_run_with_typed_config(tmp_path):
    out = tmp_path / "bench.md"
    cfg = BenchConfig(
        out=out, sizes=[(3, 2, 2)], families=["uniform"], seeds=1, real=False,
        enum_cap=5, search_time_limit=5, confirm_time_limit=5, milp_time_limit=10,
    )
    lines = []
    rows = run_benchmarks(cfg, log=lines.append)
    assert [(r.family, r.M, r.K, r.N, r.seed) for r in rows] == [("uniform", 3, 2, 2, 0)]
    (r,) = rows
    assert r.search_status == r.milp_status == r.enum_status != "unknown"
    assert (r.agree_enum, r.agree_milp, r.confirm) == ("yes", "yes", "agrees")
    assert r.gambit_agree in ("yes", "pygambit not installed")
    text = out.read_text()
    assert "Regenerate with: `milp-market bench --sizes 3x2x2 --families uniform --seeds 1" in text
    assert "MILP uniform 10, real 10;" in text and "Zero disagreements: **met**" in text
    assert "| uniform | 3,2,2 | 0 |" in text
    assert lines[-1] == f"wrote {out}" and not (tmp_path / "bench.md.tmp").exists()


def test_out_none_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = BenchConfig(out=None, sizes=[(2, 1, 2)], families=["ties@mass"], seeds=1, real=False,
                      enum_cap=5, search_time_limit=5, confirm_time_limit=0, milp_time_limit=5)
    rows = run_benchmarks(cfg, log=lambda line: None)
    assert len(rows) == 1 and rows[0].confirm == "-" and not list(tmp_path.iterdir())


def test_cli_builds_the_config(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(bench, "run_benchmarks", lambda config: seen.append(config))
    out = str(tmp_path / "b.md")
    argv = ["bench", "--out", out, "--sizes", "small",
            "--families", "uniform, ties@mass,uniform@logit5",
            "--logit-sizes", "4x3x2", "--milp-sizes", "10x20x3", "--seeds", "3", "--enum-cap", "7",
            "--search-time-limit", "8", "--confirm-time-limit", "0",
            "--milp-time-limit", "uniform=1,ties@mass=2,uniform@logit5=3,real=4", "--no-real"]
    assert run_cli(argv)[0] == 0
    (cfg,) = seen
    assert cfg == BenchConfig(
        out=out, sizes=((10, 20, 3), (20, 40, 5)),
        families=("uniform", "ties@mass", "uniform@logit5"),
        logit_sizes=((4, 3, 2),), milp_sizes=((10, 20, 3),), seeds=3, enum_cap=7.0,
        search_time_limit=8.0, confirm_time_limit=0.0,
        milp_time_limit={"uniform": 1, "ties@mass": 2, "uniform@logit5": 3, "real": 4}, real=False,
    )
    seen.clear()
    assert run_cli(["bench"])[0] == 0
    assert seen == [BenchConfig()]  # the options' defaults are the config's defaults


@pytest.mark.parametrize("argv,message", [
    (["--sizes", "10x20"], "--sizes: '10x20' is not MxKxN"),
    (["--families", "uniform,nope"], "--families: unknown family 'nope'"),
    (["--milp-time-limit", "uniform=abc"], "--milp-time-limit: 'uniform=abc' is not seconds"),
    (["--milp-time-limit", "uniform=1"], "--milp-time-limit: no limit for family 'ties'"),
])
def test_cli_bad_options_are_one_line_exit_2(argv, message):
    code, out, err = run_cli(["bench", "--no-real", *argv])
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


@pytest.mark.parametrize("kwargs,message", [
    ({"seeds": 0}, "BenchConfig.seeds"),
    ({"enum_cap": float("inf")}, "BenchConfig.enum_cap"),
    ({"confirm_time_limit": -1}, "BenchConfig.confirm_time_limit"),
    ({"sizes": [(3, 2)]}, "BenchConfig.sizes"),
    ({"families": []}, "BenchConfig.families"),
    ({"milp_time_limit": {"uniform": 1, "ties": 1, "specialist": 1}}, "no limit for family 'real'"),
])
def test_config_checks_its_values(kwargs, message):
    with pytest.raises(InstanceError, match=message):
        BenchConfig(**kwargs)


def test_parsers_and_command():
    assert parse_sizes("all")[-1] == (200, 400, 12) and parse_sizes("3X2x1") == ((3, 2, 1),)
    assert parse_milp_time_limit("ties=60, real=30") == {"ties": 60.0, "real": 30.0}
    cfg = BenchConfig(families="ties", milp_time_limit={"ties": 5, "real": 6}, out="x.md")
    assert cfg.families == ("ties",) and cfg.milp_limits == {"ties": 5.0, "real": 6.0}
    assert cfg.cli_command() == (
        "milp-market bench --families ties --milp-time-limit ties=5,real=6 --out x.md"
    )
    assert BenchConfig().cli_command() == "milp-market bench"
    same = BenchConfig(families=("ties",), milp_time_limit={"ties": 5, "real": 6}, out="x.md")
    assert same == cfg and hash(same) == hash(cfg)


def test_bench_gambit_baseline_agrees_with_the_tests_oracle():
    pytest.importorskip("pygambit", reason="pygambit not installed: pip install -e '.[gambit]'")
    from .gambit_oracle import gambit_pure_equilibria

    variants = [("ties", {}), ("uniform", {"utility": "mass_share"}),
                ("specialist", {"choice": "softmax", "beta": 5.0})]
    for family, kw in variants:
        inst = generate(family, 3, 2, 3, 1, **kw)
        assert bench._gambit_pure_equilibria(inst) == gambit_pure_equilibria(inst)


def test_tiny_min_regret_run(tmp_path):
    from milp_market.bench_regret import RegretRow

    out = tmp_path / "mr.md"
    cfg = BenchConfig(
        out=out, sizes=[(4, 3, 2)], families=["ties", "uniform@logit5"], seeds=1, real=False, min_regret=True,
        enum_cap=5, search_time_limit=10, confirm_time_limit=10, milp_time_limit=20,
    )
    lines = []
    rows = run_benchmarks(cfg, log=lines.append)
    assert [type(r) for r in rows] == [RegretRow, RegretRow]
    for r in rows:
        assert r.search_status == r.enum_status == "optimal"
        assert r.search_eps == pytest.approx(r.enum_eps, abs=1e-8) and r.agree in ("yes", "n/a")
    text = out.read_text()
    assert text.startswith("# Benchmarks: minimum regret by search, MILP and enumeration")
    assert "Regenerate with: `milp-market bench --min-regret --sizes 4x3x2 --families ties,uniform@logit5 --seeds 1" in text
    assert "Disagreements (two methods' proven ranges disjoint): 0;" in text
    assert "| ties | 4,3,2 | 0 | optimal |" in text


def test_min_regret_never_overwrites_the_equilibrium_report():
    assert BenchConfig(min_regret=True).out == "reports/min-regret-benchmarks.md"
    assert BenchConfig(min_regret=True, out="x.md").out == "x.md"
    assert BenchConfig().out == "reports/benchmarks.md"


def test_cli_min_regret_default_out(monkeypatch):
    seen = []
    monkeypatch.setattr(bench, "run_benchmarks", lambda config: seen.append(config))
    assert run_cli(["bench", "--min-regret", "--sizes", "small", "--no-real"])[0] == 0
    assert run_cli(["bench", "--sizes", "small", "--no-real"])[0] == 0
    assert [(c.min_regret, c.out) for c in seen] == [
        (True, "reports/min-regret-benchmarks.md"), (False, "reports/benchmarks.md")
    ]
    assert seen[0].cli_command() == "milp-market bench --min-regret --sizes 10x20x3,20x40x5 --no-real"


def test_regret_agreement_catches_disjoint_ranges():
    from milp_market.bench_regret import agreement

    # a method whose profile has regret below another's proven lower bound contradicts it
    assert agreement([("optimal", 0.2, 0.2), ("unknown", 0.0, 0.1)]) == "NO"
    assert agreement([("unknown", 0.15, 0.3), ("optimal", 0.1, 0.1)]) == "NO"
    assert agreement([("optimal", 0.1, 0.1), ("optimal", 0.1, 0.1 + 5e-10)]) == "yes"
    assert agreement([("optimal", 0.1, 0.1), ("unknown", 0.0, 0.4)]) == "n/a"


def _row(family, seed, status, seconds, first_eq=None, weight=None, first_by=None):
    return bench.Row(
        family, 50, 100, 8, seed, status, seconds, 10, "-", None, "-", None, "capped", 99.0, True,
        "n/a", "-", "search", None, None, "", first_eq, weight, first_by,
    )


def test_unknown_rows_say_when_existence_was_proven():
    # an unknown search that found (and verified) an equilibrium proves existence, not the optima:
    # the targets, the summary and the row say so, with the time of the first equilibrium
    rows = [
        _row("ties", 0, "unknown", 60.1, first_eq=3.4),
        _row("ties", 1, "unknown", 60.2),
        _row("uniform", 0, "no_equilibrium", 5.0),
    ]
    (line,) = [x for x in bench.targets(rows, peak_mib=1.0) if "(50, 100, 8)" in x]
    assert "**not met** (1 of 3 certified; of the 2 unknown, existence proven on 1: ties seed 0 (first equilibrium at 3.4 s)" in line
    assert bench._status_text(rows[0]) == "unknown (an equilibrium at 3.4 s)"
    assert bench._status_text(rows[1]) == "unknown" and bench._status_text(rows[2]) == "no_equilibrium"
    text = bench.render(rows, bench.BenchConfig(out=None, sizes=[(50, 100, 8)], families=["ties", "uniform"], seeds=2, real=False), 1.0, 60.0)
    assert "| ties | 50,100,8 | 0 | unknown (an equilibrium at 3.4 s) | 60.1 |" in text
    assert "unknown 2 (1 of them with an equilibrium found)" in text


def test_unknown_rows_say_how_much_of_the_tree_was_closed():
    rows = [_row("ties", 0, "unknown", 60.1, first_eq=3.4, weight=0.934), _row("ties", 1, "unknown", 60.2, weight=0.25)]
    assert bench._status_text(rows[0]) == "unknown (tree weight 0.934; an equilibrium at 3.4 s)"
    assert bench._status_text(rows[1]) == "unknown (tree weight 0.25)"
    assert bench._status_text(_row("ties", 2, "equilibrium", 1.0, weight=None)) == "equilibrium"
    (line,) = [x for x in bench.targets(rows, peak_mib=1.0) if "(50, 100, 8)" in x]
    assert "tree weight closed at the limit: ties seed 0 0.934, ties seed 1 0.25" in line


def test_unknown_rows_say_when_best_response_dynamics_gave_the_equilibrium():
    row = _row("ties", 0, "unknown", 60.1, first_eq=0.55, weight=0.5, first_by="dynamics")
    assert bench._status_text(row) == "unknown (tree weight 0.5; an equilibrium at 0.55 s, from best-response dynamics)"
    assert bench._status_text(_row("ties", 0, "unknown", 60.1, first_eq=3.4, first_by="tree")) == "unknown (an equilibrium at 3.4 s)"


def _bench_row(**kw):
    from milp_market.bench import Row

    base = dict(family="uniform", M=10, K=20, N=3, seed=0, search_status="equilibrium", search_s=0.5, search_nodes=9,
                confirm="-", confirm_s=None, milp_status="-", milp_s=None, enum_status="equilibrium", enum_s=0.4,
                enum_extrapolated=False, agree_enum="yes", agree_milp="-", auto_method="search", auto_s=0.45,
                gambit_s=None, gambit_agree="", auto_status="equilibrium")
    base.update(kw)
    return Row(**base)


def test_targets_do_not_count_an_auto_run_that_stopped():
    """Audit (stop 22): auto was timed against a stopped search, compared with an extrapolated
    enumeration, and counted as 0.0001x the fastest although it never finished."""
    from milp_market.bench import targets

    ok = [line for line in targets([_bench_row()], 100.0) if "`auto`" in line]
    assert ok and "**met**" in ok[0]
    stopped = [line for line in targets([_bench_row(auto_status="unknown", auto_s=10.1)], 100.0) if "`auto`" in line]
    assert stopped and "**not met**" in stopped[0] and "auto stopped at its limit on 1" in stopped[0]
    # nothing finished (search stopped, enumeration extrapolated): no yardstick, not counted
    none = targets([_bench_row(search_status="unknown", enum_extrapolated=True, enum_status="capped", agree_enum="n/a")], 100.0)
    assert not any("`auto`" in line for line in none)


def test_targets_claim_no_agreement_without_a_comparison_and_keep_logit_out_of_hardmax_rows():
    from milp_market.bench import targets

    lines = targets([_bench_row(agree_enum="n/a")], 100.0)
    assert any("Zero disagreements: **not measured**" in line for line in lines)
    logit = _bench_row(family="uniform@logit5", M=50, K=100, N=8, search_status="unknown", search_s=60.0)
    assert not any("Hardmax families certified at (50, 100, 8)" in line for line in targets([logit], 100.0))
