"""`solve --method search`, `--confirm` (the MILP as a second certificate) and `auto`'s choice,
through the library and the command line."""

import dataclasses
import json

import numpy as np
import pytest

from milp_market import game
from milp_market.cli import main
from milp_market.generators import generate
from milp_market.instance import load_instance
from milp_market.orchestrate import (
    VerificationError,
    choose_method,
    confirm_by_milp,
    solve_enumerate,
    solve_market,
    solve_search,
)
from milp_market.results import Status
from milp_market.search import SearchResult, SupportSearch, support_search


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("name", ["homogenized", "differentiated", "no_equilibrium", "ties", "cifar10_paper", "lmarena_categories"])
def test_search_answer_equals_enumeration_on_shipped_instances(name, instances_dir):
    inst = load_instance(instances_dir / f"{name}.json")
    a, b = solve_search(inst), solve_enumerate(inst)
    assert a.status is b.status
    assert a.proof.startswith("exhaustive support search")
    if a.status is Status.EQUILIBRIUM:
        assert a.best.profile.welfare == b.best.profile.welfare and a.worst.profile.welfare == b.worst.profile.welfare
        assert a.best.proven and a.worst.proven
    assert abs(a.social_optimum.welfare - b.social_optimum.welfare) <= 1e-9


@pytest.mark.parametrize("name", ["no_equilibrium", "ties", "cifar10_paper"])
def test_confirm_by_milp_agrees_and_says_so(name, instances_dir, capsys):
    code, out, err = _run(capsys, "solve", str(instances_dir / f"{name}.json"), "--method", "search", "--confirm", "120", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["method"] == "search+milp"
    assert d["stats"]["milp_confirmation"] == "agrees"
    assert "confirmed independently by the MILP" in d["proof"]


def test_confirm_catches_a_search_that_missed_an_equilibrium(instances_dir):
    # Fault injection: a "complete" search result that lists none of the instance's equilibria.
    inst = load_instance(instances_dir / "cifar10_paper.json")
    true = support_search(inst)
    assert true.equilibria
    forged = dataclasses.replace(true, equilibria=(), welfare=())
    with pytest.raises(VerificationError, match="did not list"):
        confirm_by_milp(inst, forged, time_limit=120)


def test_confirm_catches_a_search_that_missed_the_best_equilibrium(instances_dir):
    inst = load_instance(instances_dir / "ties.json")
    true = support_search(inst)
    assert len(true.equilibria) == 3
    forged = dataclasses.replace(true, equilibria=true.equilibria[1:], welfare=true.welfare[1:])
    if true.welfare[0] > true.welfare[1] + 1e-6:
        with pytest.raises(VerificationError):
            confirm_by_milp(inst, forged, time_limit=120)
    else:  # equal welfare: the MILP cannot tell, and agreement is the right answer
        assert confirm_by_milp(inst, forged, time_limit=120) == "agrees"


def test_confirm_catches_a_wrong_social_optimum(instances_dir):
    inst = load_instance(instances_dir / "cifar10_paper.json")
    true = support_search(inst)
    worse = (3, 0, 0, 0, 0, 0)
    assert game.welfare(inst, worse) < true.social_welfare - 1e-3
    forged = dataclasses.replace(true, social_optimum=worse, social_welfare=game.welfare(inst, worse))
    with pytest.raises(VerificationError, match="social optimum"):
        confirm_by_milp(inst, forged, time_limit=120)


def test_search_on_a_logit_instance_runs_the_logit_search_and_agrees_with_enumeration(instances_dir, capsys):
    path = str(instances_dir / "cifar10_paper_logit.json")
    code, out, _ = _run(capsys, "solve", path, "--method", "search", "--json")
    search = json.loads(out)
    code2, out2, _ = _run(capsys, "solve", path, "--method", "enumerate", "--json")
    enum = json.loads(out2)
    assert code == code2 == 0 and search["method"] == "search"
    assert "logit_search.md" in search["proof"]
    for key in ("status", "best", "worst"):
        assert search.get(key, {}).get("counts") == enum.get(key, {}).get("counts") if key != "status" else search[key] == enum[key]
    assert search["social_optimum"]["counts"] == enum["social_optimum"]["counts"]
    assert search["price_of_anarchy"] == pytest.approx(enum["price_of_anarchy"], rel=1e-12)


@pytest.mark.parametrize("value", ["0", "-3"])
def test_confirm_must_be_positive(value, instances_dir, capsys):
    code, out, err = _run(capsys, "solve", str(instances_dir / "ties.json"), "--confirm", value)
    assert code == 2 and out == "" and err.count("\n") == 1


def test_auto_runs_the_search_on_the_full_lmarena_table(instances_dir):
    inst = load_instance(instances_dir / "lmarena_full.json")
    assert choose_method(inst) == "search"
    res = solve_market(inst, "auto")
    assert res.method == "auto:search" and res.status is Status.EQUILIBRIUM
    assert inst.counts_dict(res.best.profile.counts) == {"gemini-3-pro": 3, "claude-opus-4-5-20251101": 1}
    assert res.best.profile.counts == res.worst.profile.counts  # the equilibrium is unique


def test_auto_enumerates_tiny_games_and_searches_large_logit_ones(instances_dir):
    assert choose_method(load_instance(instances_dir / "ties.json")) == "enumerate"
    big_logit = generate("uniform", 60, 40, 6, 0, choice="softmax", beta=5)
    assert choose_method(big_logit) == "search"  # the logit count-vector search


def test_search_time_limit_gives_unknown_with_verified_incumbents():
    inst = generate("uniform", 60, 100, 8, 0)
    res = solve_search(inst, time_limit=0.5)
    assert res.status is Status.UNKNOWN
    assert res.proof.endswith(": the support search stopped at the limit")
    # under logit the search is the count-vector search, and the reason names it
    logit = solve_search(generate("uniform", 30, 40, 6, 0, choice="softmax", beta=5), time_limit=0.05)
    assert logit.status is Status.UNKNOWN
    assert logit.proof.endswith(": the count-vector search stopped at the limit")
    for r in (res, logit):
        # "none" unless an incumbent equilibrium proves existence, and then it says so
        assert r.proof.startswith("existence only: an equilibrium") == bool(r.equilibrium_exists)
        assert r.proof.startswith("none: ") != bool(r.equilibrium_exists)
    for ext in (res.best, res.worst):
        if ext is not None and ext.profile is not None:
            assert game.is_equilibrium(inst, ext.profile.counts) and not ext.proven


def test_unknown_with_an_incumbent_equilibrium_says_existence_is_proven(instances_dir):
    # A result stopped at a limit after finding an equilibrium (ties (50,100,8): the first one
    # after about 8,700 nodes, 3.4 s, the tree not done in 60 s) proves existence, not the optima.
    with_eq = solve_search(load_instance(instances_dir / "ties.json"))
    without = solve_search(load_instance(instances_dir / "no_equilibrium.json"))
    assert with_eq.status is Status.EQUILIBRIUM and without.status is Status.NO_EQUILIBRIUM
    # stopped: the extremes are incumbents (not proven), as a search at its limit reports them
    stopped = [
        dataclasses.replace(
            r, status=Status.UNKNOWN, stats={**r.stats, "unknown_reason": "the support search stopped at the limit"},
            best=r.best and dataclasses.replace(r.best, proven=False), worst=r.worst and dataclasses.replace(r.worst, proven=False),
        )
        for r in (with_eq, without)
    ]
    assert [r.equilibrium_exists for r in stopped] == [True, None]
    assert [r.proof for r in stopped] == [
        "existence only: an equilibrium, re-checked by the exact evaluator; optima unproven: "
        "the support search stopped at the limit",
        "none: the support search stopped at the limit",
    ]


def test_social_optimum_stopped_at_the_limit_is_the_greedy_support_with_a_proven_bound():
    # Found in stop 13: when the equilibrium search used the whole limit, the social optimum was
    # the best single model (welfare 0.59 on uniform (100,200,10), against 0.95 for the greedy
    # support), printed without "not proven". Now: the greedy support, and a bound.
    from milp_market.search import _coverage, _greedy_support, max_coverage

    for fam, M, K, N in (("uniform", 40, 60, 6), ("specialist", 30, 40, 5), ("ties", 30, 40, 6)):
        inst = generate(fam, M, K, N, 0)
        ww = inst.masses[None, :] * inst.scores
        full = max_coverage(inst)
        assert full[2] and full[3] >= full[1]
        # the optimal V bounds the welfare from above, and the profile attains it within TIE_TOL
        assert full[3] - full[1] <= 1e-9 * inst.masses.sum() + 1e-12
        stopped = max_coverage(inst, time_limit=0.0)
        assert not stopped[2]
        greedy = _greedy_support(ww, np.arange(M), N)
        assert stopped[1] >= _coverage(ww, greedy) - 1e-9 >= ww.sum(axis=1).max() - 1e-9
        assert stopped[1] <= full[1] + 1e-12 and stopped[3] >= full[1] - 1e-12
        assert sum(stopped[0]) == N and game.welfare(inst, stopped[0]) == stopped[1]


def test_unknown_search_reports_the_social_optimum_as_not_proven_with_its_bound(capsys, tmp_path):
    from milp_market.instance import save_instance

    inst = generate("uniform", 100, 200, 10, 0)
    res = solve_search(inst, time_limit=0.5)
    assert res.status is Status.UNKNOWN and not res.social_optimum_proven
    assert res.social_optimum_bound >= res.social_optimum.welfare > 0.9
    d = res.to_dict()
    assert d["social_optimum"]["proven_optimal"] is False and d["social_optimum"]["bound"] == res.social_optimum_bound
    assert "(not proven; bound " in repr(res)
    path = tmp_path / "u.json"
    save_instance(inst, path)
    assert main(["solve", str(path), "--time-limit", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "[not proven; bound " in out.split("social optimum", 1)[1].split("price of anarchy")[0]
    # a proven social optimum carries its own welfare as the bound
    small = generate("specialist", 6, 5, 3, 0)
    done = solve_search(small)
    assert done.social_optimum_proven and done.social_optimum_bound == done.social_optimum.welfare
    assert done.to_dict()["social_optimum"]["bound"] == done.social_optimum.welfare


def _spy_on_the_order(monkeypatch, results=None):
    """Record the calls of max_coverage (with their limits) and the start of the equilibrium
    search (its pool), in order; ``results`` replaces max_coverage's answers one call at a time."""
    from milp_market import search

    calls, real_cov, real_pool = [], search.max_coverage, search._Pool
    answers = list(results) if results is not None else None

    def cov(inst, time_limit=None):
        calls.append(("social", time_limit))
        return answers.pop(0) if answers is not None else real_cov(inst, time_limit)

    def pool(*a, **k):
        calls.append(("equilibria", None))
        return real_pool(*a, **k)

    monkeypatch.setattr(search, "max_coverage", cov)
    monkeypatch.setattr(search, "_Pool", pool)
    return calls


def test_with_a_limit_the_social_optimum_runs_first_within_its_share(monkeypatch):
    # search.md Lemma 5(d): an equilibrium search that reaches its limit used to leave the social
    # optimum no time at all (ties (50,100,8): greedy 0.994, bound 1, optimum 1 in 0.75 s).
    from milp_market.search import SOCIAL_FIRST_SHARE

    inst = generate("ties", 12, 10, 3, 0)
    free = SupportSearch(inst).run()
    calls = _spy_on_the_order(monkeypatch)
    res = SupportSearch(inst).run(time_limit=50.0)
    assert calls == [("social", SOCIAL_FIRST_SHARE * 50.0), ("equilibria", None)]
    assert res.complete and res.social_complete
    assert (res.social_optimum, res.social_welfare, res.social_bound) == (free.social_optimum, free.social_welfare, free.social_bound)
    assert res.equilibria == free.equilibria
    # without a limit the order does not matter: it stays after the equilibrium search
    calls.clear()
    SupportSearch(inst).run()
    assert calls == [("equilibria", None), ("social", None)]


def test_two_stopped_social_optimum_runs_keep_the_better_incumbent_and_the_smaller_bound(monkeypatch):
    inst = generate("ties", 12, 10, 3, 0)
    first, second = (3, 0) + (0,) * 10, (0, 3) + (0,) * 10
    calls = _spy_on_the_order(monkeypatch, [(first, 0.5, False, 0.9), (second, 0.4, False, 0.95)])
    res = SupportSearch(inst).run(time_limit=50.0)
    assert [c[0] for c in calls] == ["social", "equilibria", "social"]
    assert (res.social_optimum, res.social_welfare, res.social_complete, res.social_bound) == (first, 0.5, False, 0.9)
    calls = _spy_on_the_order(monkeypatch, [(first, 0.5, False, 0.97), (second, 0.6, False, 0.95)])
    res = SupportSearch(inst).run(time_limit=50.0)
    assert (res.social_optimum, res.social_welfare, res.social_bound) == (second, 0.6, 0.95)
    # a first run that finishes is the answer; no second run
    calls = _spy_on_the_order(monkeypatch, [(first, 0.5, True, 0.5)])
    res = SupportSearch(inst).run(time_limit=50.0)
    assert [c[0] for c in calls] == ["social", "equilibria"] and res.social_complete


def test_incomplete_search_bounds_the_best_equilibrium_by_the_social_optimum_bound(monkeypatch, instances_dir):
    # An equilibrium found before the limit, with the social optimum unproven: the best
    # equilibrium's bound is the social optimum's proven bound (no equilibrium beats any profile),
    # not infinity.
    from milp_market import search
    from milp_market.orchestrate import welfare_tolerance

    inst = load_instance(instances_dir / "cifar10_paper.json")
    true = support_search(inst)
    forged = dataclasses.replace(true, complete=False, social_complete=False, social_bound=true.social_welfare + 0.01)
    monkeypatch.setattr(search, "support_search", lambda *a, **k: forged)
    res = solve_search(inst, time_limit=5)
    assert res.status is Status.UNKNOWN and not res.best.proven
    assert res.best.bound == pytest.approx(true.social_welfare + 0.01 + welfare_tolerance(inst), abs=1e-15)
    assert res.social_optimum_bound == true.social_welfare + 0.01


def test_search_result_is_a_frozen_value():
    inst = generate("specialist", 6, 5, 3, 0)
    res = support_search(inst)
    assert isinstance(res, SearchResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.complete = False


def test_confirm_skips_an_unfinished_social_optimum(instances_dir):
    # Found by review: a search whose max-coverage part stopped at the limit has a sub-optimal,
    # unproven social optimum; the MILP beating it is not a contradiction.
    inst = load_instance(instances_dir / "cifar10_paper.json")
    true = support_search(inst)
    worse = (3, 0, 0, 0, 0, 0)
    forged = dataclasses.replace(true, social_optimum=worse, social_welfare=game.welfare(inst, worse), social_complete=False)
    assert confirm_by_milp(inst, forged, time_limit=120) == "agrees"


def test_enumerate_method_search_lists_every_equilibrium(instances_dir, capsys):
    code, out, err = _run(capsys, "enumerate", str(instances_dir / "ties.json"), "--method", "search", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["status"] == "complete" and d["count"] == 3 and d["method"] == "search"
    code, out, err = _run(capsys, "enumerate", str(instances_dir / "ties.json"), "--method", "search", "--max", "2", "--json")
    d = json.loads(out)
    assert d["status"] == "cap_reached" and d["count"] == 2


def test_enumerate_method_search_on_logit_lists_what_enumeration_lists(instances_dir, capsys):
    path = str(instances_dir / "cifar10_paper_logit.json")
    _, out, _ = _run(capsys, "enumerate", path, "--method", "search", "--json")
    _, out2, _ = _run(capsys, "enumerate", path, "--method", "enumerate", "--json")
    a, b = json.loads(out), json.loads(out2)
    assert a["status"] == b["status"] == "complete"
    assert [e["counts"] for e in a["equilibria"]] == [e["counts"] for e in b["equilibria"]]


@pytest.mark.parametrize("choice", ["hardmax", "softmax"])
def test_the_time_of_the_first_equilibrium_is_recorded(instances_dir, choice):
    # When existence was proven: the moment the first equilibrium passed the exact evaluator
    # (what an unknown answer at a limit can still say). None, and no stats key, without one.
    def load(name):
        inst = load_instance(instances_dir / name)
        return dataclasses.replace(inst, choice=choice, beta=5.0) if choice == "softmax" else inst

    with_eq = solve_search(load("homogenized.json"))
    assert with_eq.equilibrium_exists
    first = with_eq.stats["first_equilibrium_seconds"]
    assert 0.0 <= first <= with_eq.stats["search_seconds"] + 1e-3
    if choice == "hardmax":
        without = solve_search(load("no_equilibrium.json"))
        assert without.status is Status.NO_EQUILIBRIUM and "first_equilibrium_seconds" not in without.stats
        res = SupportSearch(load("no_equilibrium.json")).run(threads=1)
        assert res.first_equilibrium_seconds is None
