"""Proven bounds at a limit (formulations/welfare_bounds.md): Lemma W1's floor under every
equilibrium (hardmax, score_share) against enumeration, its tight family and the games where it
does not hold; Lemma W2 and the PoA / PoS intervals through `solve`, the JSON and the CLI."""

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milp_market import game, make_instance
from milp_market.cli import main
from milp_market.enumeration import enumerate_profiles
from milp_market.generators import FAMILIES, generate
from milp_market.instance import save_instance
from milp_market.orchestrate import (
    _bound_extremes,
    solve_enumerate,
    solve_search,
    welfare_tolerance,
)
from milp_market.results import Extreme, Status
from milp_market.search import support_search


def _floor_holds(inst):
    enum = enumerate_profiles(inst)
    floor = game.anarchy_floor(inst, enum.social_welfare)
    assert floor is not None and floor <= enum.social_welfare / 2
    for n in enum.equilibria:
        assert game.welfare(inst, n) >= floor, (inst.name, n, game.welfare(inst, n), enum.social_welfare)
    return enum


# ----------------------------------------------------------------------------- Lemma W1

SHAPES = [(5, 4, 3), (6, 5, 2), (4, 3, 4), (7, 6, 1), (8, 3, 5), (6, 6, 6), (3, 5, 1), (5, 8, 4)]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("shape", SHAPES)
def test_every_equilibrium_has_half_the_optimum_on_generated_games(family, shape):
    # 4 families x 8 shapes x 8 seeds = 256 games, N = 1 included
    for seed in range(8):
        _floor_holds(generate(family, *shape, seed))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(2, 5).flatmap(lambda M: st.integers(1, 5).flatmap(lambda K: st.tuples(
        st.just(M), st.just(K),
        st.lists(st.sampled_from([0.0, 0.2, 0.5, 1.0]), min_size=M * K, max_size=M * K),
        st.lists(st.sampled_from([1e-6, 0.1, 1.0]), min_size=K, max_size=K),
        st.integers(1, 5),
    )))
)
def test_every_equilibrium_has_half_the_optimum_on_tie_heavy_grids(case):
    # exact ties everywhere, zero scores, and masses a million times apart
    M, K, scores, masses, N = case
    _floor_holds(make_instance(np.array(scores).reshape(M, K), np.array(masses), N))


@pytest.mark.parametrize("N", [2, 3, 4])
def test_the_bound_is_tight_as_n_grows(N):
    # welfare_bounds.md: type A only X serves; types B_i (mass 1/N - e) only Y_i serves. All on X
    # is an equilibrium of welfare 1, the optimum is 1 + (N - 1)(1/N - e): PoA -> 2 - 1/N.
    e = 0.01
    S = np.zeros((N, N))
    S[0, 0] = 1.0
    for i in range(1, N):
        S[i, i] = 1.0
    masses = np.array([1.0] + [1.0 / N - e] * (N - 1))
    inst = make_instance(S, masses, N)
    res = solve_enumerate(inst)
    all_on_x = (N,) + (0,) * (N - 1)
    assert res.status is Status.EQUILIBRIUM and res.worst.profile.counts == all_on_x
    expected = 1 + (N - 1) * (1 / N - e)
    assert res.price_of_anarchy == pytest.approx(expected, rel=1e-12)
    assert res.worst.welfare >= game.anarchy_floor(inst, res.social_optimum.welfare)


def test_no_floor_under_mass_share_or_logit():
    # N = 1 under mass_share: the platform serves everyone whatever it picks, so the model scoring
    # 0.1 is an equilibrium next to the one scoring 1: PoA 10, far beyond 2
    inst = make_instance(np.array([[1.0], [0.1]]), np.array([1.0]), 1, utility="mass_share")
    res = solve_enumerate(inst)
    assert res.status is Status.EQUILIBRIUM and res.price_of_anarchy == pytest.approx(10.0)
    assert game.anarchy_floor(inst, 1.0) is None
    logit = make_instance(np.array([[1.0], [0.1]]), np.array([1.0]), 1, choice="softmax", beta=1.0)
    assert game.anarchy_floor(logit, 1.0) is None
    # score_share, the same scores: the one platform picks the better model, the only equilibrium
    ss = solve_enumerate(make_instance(np.array([[1.0], [0.1]]), np.array([1.0]), 1))
    assert ss.price_of_anarchy == 1.0


# ----------------------------------------------------------------------------- Lemma W2, W3


def _stopped(monkeypatch, inst, **changes):
    """`solve_search` on ``inst`` with the complete search's answer presented as stopped at a
    limit (and ``changes`` applied): what `solve` reports from what a stopped search knows."""
    from milp_market import search

    true = support_search(inst)
    forged = dataclasses.replace(true, complete=False, **changes)
    monkeypatch.setattr(search, "support_search", lambda *a, **k: forged)
    return true, solve_search(inst, time_limit=5)


def test_a_stopped_search_proves_the_best_that_reaches_the_optimum_and_bounds_the_worst(monkeypatch):
    inst = generate("ties", 6, 5, 3, 12)  # equilibria of welfare 0.96, 0.84, 0.8; optimum 0.96
    done = solve_search(inst)
    true, res = _stopped(monkeypatch, inst)
    assert res.status is Status.UNKNOWN and res.price_of_anarchy is None
    assert res.best.proven and res.best.welfare == pytest.approx(true.social_welfare) == 0.96
    floor = game.anarchy_floor(inst, true.social_welfare)
    assert not res.worst.proven and res.worst.bound == floor == pytest.approx(0.48)
    poa, pos = res.price_of_anarchy_bounds, res.price_of_stability_bounds
    assert poa == (pytest.approx(0.96 / 0.8), pytest.approx(0.96 / floor))
    assert pos == (pytest.approx(1.0), pytest.approx(1.0))
    assert poa[0] <= done.price_of_anarchy <= poa[1] and pos[0] <= done.price_of_stability <= pos[1]
    assert res.proof == (
        "existence, and the best equilibrium, whose welfare meets its proven bound (formulations/welfare_bounds.md); "
        "the list of equilibria is incomplete: the support search stopped at the limit"
    )
    d = res.to_dict()
    assert d["best_incumbent"]["proven_optimal"] is True and d["worst_incumbent"]["bound"] == floor
    assert d["price_of_anarchy_bounds"] == list(poa) and d["price_of_anarchy"] is None
    assert "PoA in [1.2, 2" in repr(res)
    # complete: the intervals are the points
    assert done.price_of_anarchy_bounds == (done.price_of_anarchy,) * 2
    assert done.to_dict()["price_of_stability_bounds"] == [done.price_of_stability] * 2


def test_without_a_proven_optimum_the_best_is_bounded_not_proven(monkeypatch):
    inst = generate("ties", 6, 5, 3, 12)
    true, res = _stopped(monkeypatch, inst, social_complete=False, social_bound=1.0)
    tol = welfare_tolerance(inst)
    assert not res.best.proven and res.best.bound == pytest.approx(1.0 + tol, abs=1e-15)
    assert res.price_of_stability_bounds == (1.0, pytest.approx(1.0 / 0.96))
    assert res.proof.startswith("existence only")
    # the floor comes from the better known profile (the optimum found, 0.96)
    assert res.worst.bound == game.anarchy_floor(inst, res.social_optimum.welfare) == pytest.approx(0.48)


def test_mass_share_keeps_the_worst_unbounded(monkeypatch):
    inst = generate("ties", 6, 5, 3, 12, utility="mass_share")
    true, res = _stopped(monkeypatch, inst)
    if len(true.equilibria) == 0:
        pytest.skip("no equilibrium")
    assert res.worst.bound == 0.0 and res.price_of_anarchy_bounds[1] == float("inf")
    d = res.to_dict()
    assert d["price_of_anarchy_bounds"][1] == "inf"
    json.dumps(d, allow_nan=False)


def test_the_worst_is_proven_when_it_meets_the_floor():
    inst = make_instance(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.5, 0.5]), 2)
    s = game.summarize
    best = Extreme(s(inst, (1, 1)), 1.0, True)
    low = Extreme(s(inst, (2, 0)), 0.0, False)  # welfare 0.5: exactly half of the optimum
    b, w = _bound_extremes(inst, best, low, s(inst, (1, 1)), True, None)
    assert b is best and w.proven and w.bound == 0.5
    # a worst above the floor keeps the larger of the two bounds
    b, w = _bound_extremes(inst, best, Extreme(s(inst, (1, 1)), 0.7, False), s(inst, (1, 1)), True, None)
    assert not w.proven and w.bound == 0.7


def test_a_real_stopped_search_reports_intervals_that_hold():
    # whatever the limit stops, the intervals contain the complete answer (never a timing test)
    inst = generate("ties", 30, 40, 6, 0)
    done = solve_search(inst)
    assert done.status is Status.EQUILIBRIUM
    for limit in (0.05, 0.3):
        res = solve_search(inst, time_limit=limit)
        for got, truth in ((res.price_of_anarchy_bounds, done.price_of_anarchy), (res.price_of_stability_bounds, done.price_of_stability)):
            if got is not None:
                assert got[0] <= truth * (1 + 1e-9) and truth <= got[1] * (1 + 1e-9), (limit, got, truth)
        if res.worst is not None:
            assert res.worst.bound <= done.worst.welfare + 1e-12 and res.best.bound >= done.best.welfare - 1e-12


def test_the_cli_prints_the_intervals(monkeypatch, capsys, tmp_path):
    inst = generate("ties", 6, 5, 3, 12)
    _stopped(monkeypatch, inst)
    path = tmp_path / "t.json"
    save_instance(inst, path)
    assert main(["solve", str(path), "--method", "search", "--time-limit", "5"]) == 0
    out = capsys.readouterr().out
    assert "price of anarchy in [1.2000, 2.0000]   price of stability in [1.0000, 1.0000]" in out
    assert main(["solve", str(path), "--method", "search", "--time-limit", "5", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["status"] == "unknown" and d["price_of_stability_bounds"] == [pytest.approx(1.0)] * 2


def test_a_milp_stopped_without_a_dual_bound_keeps_the_floor(monkeypatch):
    # A worst-equilibrium MILP stopped before HiGHS had a dual bound reports NaN; max(NaN, floor)
    # kept the NaN and the PoA interval became [1.0014, 1.0] on lmarena_full at a 2 s limit (audit).
    import math

    from milp_market import orchestrate
    from milp_market.certify import Certified
    from milp_market.formulations.highs import SolveStatus

    inst = generate("ties", 6, 5, 3, 12)  # equilibria of welfare 0.96, 0.84, 0.8; optimum 0.96
    done = solve_search(inst)
    real = orchestrate.certified_search
    calls = []

    def stop_the_worst(problem, solvers=None, deadline=None, log=None, label=""):
        calls.append(label)
        if label == "worst":
            return Certified(SolveStatus.TIME_LIMIT, None, math.nan, math.nan, (), 0)
        return real(problem, solvers, deadline, log, label)

    monkeypatch.setattr(orchestrate, "certified_search", stop_the_worst)
    res = orchestrate.solve_milp(inst, time_limit=60)
    assert "worst" in calls and res.status is Status.UNKNOWN
    floor = game.anarchy_floor(inst, res.social_optimum.welfare)
    assert res.worst.bound == floor and not math.isnan(res.worst.bound)
    lo, hi = res.price_of_anarchy_bounds
    assert lo <= done.price_of_anarchy * (1 + 1e-9) and done.price_of_anarchy <= hi * (1 + 1e-9) and lo <= hi
    json.dumps(res.to_dict(), allow_nan=False)
    # and the interval itself never trusts a NaN bound, whoever built the result
    nan_worst = dataclasses.replace(res, worst=Extreme(res.worst.profile, math.nan, False))
    hi2 = nan_worst.price_of_anarchy_bounds[1]
    assert hi2 >= done.price_of_anarchy and hi2 == pytest.approx(2.0, rel=1e-6)  # W1's cap, not the NaN


def test_nan_bounds_are_no_bounds():
    import math

    inst = make_instance(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.5, 0.5]), 2)
    s = game.summarize
    b, w = _bound_extremes(inst, Extreme(s(inst, (1, 1)), math.nan, False), Extreme(s(inst, (1, 1)), math.nan, False), s(inst, (1, 1)), True, None)
    assert b.proven and w.bound == game.anarchy_floor(inst, 1.0) == pytest.approx(0.5)  # the floor, not NaN
    b, w = _bound_extremes(inst, Extreme(s(inst, (2, 0)), math.nan, False), None, s(inst, (1, 1)), False, 1.0)
    assert b.bound == pytest.approx(1.0 + welfare_tolerance(inst))


def test_the_poa_upper_end_is_capped_by_lemma_w1(monkeypatch):
    # A loose bound on the optimum gave upper ends above 2 (audit: [1.0631, 2.0615]); W1 with an
    # optimal profile caps the PoA at 2 OPT / (OPT - c) <= W(o) / floor(W(o)).
    inst = generate("ties", 6, 5, 3, 12)
    done = solve_search(inst)
    true, res = _stopped(monkeypatch, inst, social_complete=False, social_bound=1.5)
    lo, hi = res.price_of_anarchy_bounds
    cap = res.social_optimum.welfare / game.anarchy_floor(inst, res.social_optimum.welfare)
    assert hi == pytest.approx(cap) and cap < 2.0 + 1e-6 and lo <= done.price_of_anarchy <= hi


def test_a_stopped_search_whose_bound_meets_its_optimum_proves_it(monkeypatch):
    # "not proven; bound 0.7631" beside welfare 0.7631 (audit): a proven upper bound that meets the
    # profile found proves it optimal within the welfare tolerance
    inst = generate("ties", 6, 5, 3, 12)
    true, res = _stopped(monkeypatch, inst, social_complete=False, social_bound=0.96)
    assert res.social_optimum_proven and res.social_optimum.welfare == pytest.approx(0.96)
    true, res = _stopped(monkeypatch, inst, social_complete=False, social_bound=0.97)
    assert not res.social_optimum_proven


def test_a_bound_proven_optimum_is_also_put_to_the_milp(monkeypatch):
    # review: the optimum proven by a stopped branch and bound's bound was skipped by
    # confirm_by_milp (it read social_complete) while the proof said the MILP confirmed it
    from milp_market import orchestrate, search

    inst = generate("ties", 6, 5, 3, 12)
    true = support_search(inst)
    forged = dataclasses.replace(true, social_complete=False, social_bound=true.social_welfare)
    monkeypatch.setattr(search, "support_search", lambda *a, **k: forged)
    asked = []
    real = orchestrate.confirm_by_milp

    def spy(inst_, res, time_limit=None, log=None):
        asked.append(res.social_complete)
        return real(inst_, res, time_limit=time_limit, log=log)

    monkeypatch.setattr(orchestrate, "confirm_by_milp", spy)
    res = solve_search(inst, confirm=60)
    assert asked == [True] and res.status is Status.EQUILIBRIUM and res.social_optimum_proven
    assert res.stats["milp_confirmation"] == "agrees" and "social optimum confirmed independently" in res.proof


def test_the_milp_path_settles_the_optimum_by_the_same_rule(monkeypatch):
    # review: a stopped max-coverage search whose bound meets its profile proved the optimum under
    # --method search but not under --method milp
    import math
    from types import SimpleNamespace

    from milp_market import orchestrate, search

    inst = generate("ties", 6, 5, 3, 12)
    counts, w, _, _ = search.max_coverage(inst)
    none = SimpleNamespace(candidate=None, value=math.nan)
    monkeypatch.setattr(search, "max_coverage", lambda *a, **k: (counts, w, False, w))
    assert orchestrate._resolve_social_optimum(inst, none, None, None) == (counts, True)
    monkeypatch.setattr(search, "max_coverage", lambda *a, **k: (counts, w, False, w + 0.01))
    assert orchestrate._resolve_social_optimum(inst, none, None, None) == (counts, False)
