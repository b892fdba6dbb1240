"""Minimum-regret profiles: the MILP's epsilon equals the enumeration's on random instances, is 0
exactly when a pure equilibrium exists, and the CLI reports it."""

import json

import numpy as np
import pytest

from milp_market.cli import main
from milp_market.enumeration import enumerate_profiles
from milp_market.generators import generate
from milp_market.regret import min_regret, min_regret_enumerate

from .conftest import INSTANCES

CASES = [(f, u, s) for f in ("uniform", "ties", "specialist", "dominant") for u in ("score_share", "mass_share") for s in range(25)]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["search", "milp"])
@pytest.mark.parametrize("family,utility,seed", CASES)
def test_min_regret_matches_enumeration(family, utility, seed, method):
    rng = np.random.default_rng(seed + 7)
    M, K, N = int(rng.integers(2, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 4))
    inst = generate(family, M, K, N, seed, utility=utility)
    a, b = min_regret(inst, method=method), min_regret_enumerate(inst)
    assert a.status == "optimal" and a.method == method
    assert a.epsilon == pytest.approx(b.epsilon, abs=1e-8)
    assert (b.epsilon <= 1e-9) == bool(enumerate_profiles(inst).equilibria)
    # the bound is proven: no profile has a smaller regret
    assert a.bound <= b.epsilon + 1e-12 and a.bound <= a.epsilon + 1e-12


@pytest.mark.slow
@pytest.mark.parametrize("family", ["uniform", "ties", "specialist", "dominant"])
@pytest.mark.parametrize("utility", ["score_share", "mass_share"])
def test_min_regret_search_on_larger_markets_matches_enumeration(family, utility):
    # larger pools than above (up to 9 models, 4 platforms), where the search takes several steps
    for seed in range(6):
        rng = np.random.default_rng(seed + 100)
        M, K, N = int(rng.integers(5, 10)), int(rng.integers(2, 7)), int(rng.integers(2, 5))
        inst = generate(family, M, K, N, seed, utility=utility)
        a, b = min_regret(inst, method="search"), min_regret_enumerate(inst)
        assert a.status == "optimal"
        assert a.epsilon == pytest.approx(b.epsilon, abs=1e-8), inst.name
        assert a.bound <= b.epsilon + 1e-12, inst.name


def test_epsilon_search_lists_exactly_the_epsilon_equilibria():
    """With EQ_TOL read as epsilon (search.md, "Approximate equilibria"), the support search lists
    every profile of regret <= epsilon and nothing else: checked against every count vector."""
    from milp_market import game
    from milp_market.enumeration import count_vectors
    from milp_market.search import SupportSearch

    for fam, util in (("uniform", "score_share"), ("ties", "mass_share"), ("specialist", "score_share")):
        for seed in range(4):
            inst = generate(fam, 7, 4, 3, seed, utility=util)
            regrets = {tuple(int(c) for c in n): game.max_regret(inst, n) for batch in count_vectors(7, 3) for n in batch}
            for q in (0.1, 0.3, 0.6):
                eps = max(1e-9, float(np.quantile(list(regrets.values()), q)))
                found = set(SupportSearch(inst, epsilon=eps).run(social_optimum=False).equilibria)
                assert found == {n for n, r in regrets.items() if r <= eps}, (inst.name, eps)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_epsilon_must_be_at_least_eq_tol(bad):
    from milp_market.logit_search import LogitSearch
    from milp_market.search import SupportSearch

    with pytest.raises(ValueError, match="epsilon"):
        SupportSearch(generate("uniform", 3, 2, 2, 0), epsilon=bad)
    with pytest.raises(ValueError, match="epsilon"):
        LogitSearch(generate("uniform", 3, 2, 2, 0, choice="softmax", beta=5.0), epsilon=bad)


def test_logit_search_stops_at_max_equilibria():
    from milp_market.logit_search import LogitSearch

    inst = generate("uniform", 8, 4, 3, 0, choice="softmax", beta=1.0)
    every = LogitSearch(inst, epsilon=0.5).run()
    assert every.complete and len(every.equilibria) > 1
    first = LogitSearch(inst, epsilon=0.5).run(max_equilibria=1)
    assert first.equilibria and set(first.equilibria) <= set(every.equilibria)


def test_min_regret_search_stops_at_the_limit_with_a_verified_incumbent_and_a_proven_bound():
    from milp_market import game
    from milp_market.regret import min_regret_search
    from milp_market.results import RegretStatus

    inst = generate("uniform", 100, 200, 10, 0)
    res = min_regret_search(inst, time_limit=0.5)
    assert res.status is RegretStatus.UNKNOWN and res.method == "search"
    assert res.counts is not None and res.epsilon == game.max_regret(inst, res.counts)
    assert 0.0 <= res.bound <= res.epsilon


@pytest.mark.slow
@pytest.mark.parametrize("family", ["uniform", "ties", "specialist", "dominant"])
@pytest.mark.parametrize("utility", ["score_share", "mass_share"])
def test_min_regret_search_under_logit_matches_enumeration(family, utility):
    """Under logit choice the count-vector search (formulations/logit_search.md) with EQ_TOL read
    as epsilon lists exactly the epsilon-equilibria, and the minimum-regret search built on it
    agrees with enumeration; betas from smooth to nearly hardmax."""
    from milp_market import game
    from milp_market.enumeration import count_vectors
    from milp_market.logit_search import LogitSearch

    for seed in range(10):
        rng = np.random.default_rng(seed + 55)
        M, K, N = int(rng.integers(2, 7)), int(rng.integers(1, 5)), int(rng.integers(1, 4))
        beta = float(rng.choice([0.5, 2.0, 5.0, 20.0, 200.0]))
        inst = generate(family, M, K, N, seed, utility=utility, choice="softmax", beta=beta)
        a, b = min_regret(inst), min_regret_enumerate(inst)
        assert a.method == "search" and a.status == "optimal"
        assert a.epsilon == pytest.approx(b.epsilon, abs=1e-8), inst.name
        assert a.bound <= b.epsilon + 1e-12, inst.name
        regrets = {tuple(int(c) for c in n): game.max_regret(inst, n) for batch in count_vectors(M, N) for n in batch}
        for q in (0.2, 0.6):
            eps = max(1e-9, float(np.quantile(list(regrets.values()), q)))
            found = set(LogitSearch(inst, epsilon=eps).run().equilibria)
            assert found == {n for n, r in regrets.items() if r <= eps}, (inst.name, eps)


def test_min_regret_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="unknown min-regret method"):
        min_regret(generate("uniform", 3, 2, 2, 0), method="fast")


def test_cli_approximate_on_no_equilibrium_instance(capsys):
    assert main(["solve", str(INSTANCES / "no_equilibrium.json"), "--json", "--approximate"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "no_equilibrium"
    assert out["min_regret"]["epsilon"] == pytest.approx(0.1956, abs=1e-9)
    assert out["min_regret"]["counts"] == {"C": 2}


def test_to_dict_holds_plain_json_values():
    """The dict is what --json prints: the status is its plain string, not the enum member."""
    from milp_market import load_instance

    inst = load_instance(INSTANCES / "no_equilibrium.json")
    d = min_regret(inst).to_dict(inst)
    assert type(d["status"]) is str and d["status"] == "optimal"
    assert json.loads(json.dumps(d)) == d


def test_milp_confirms_the_minimum_regret_the_search_proved():
    from milp_market import load_instance
    from milp_market.regret import confirm_min_regret_by_milp, min_regret_search

    for name in ("no_equilibrium.json", "lmarena_categories.json", "arena_explorer_topics_no_leader.json"):
        inst = load_instance(INSTANCES / name)
        assert confirm_min_regret_by_milp(inst, min_regret_search(inst), time_limit=60) == "agrees", name


def test_milp_confirmation_catches_a_wrong_minimum():
    """A 'proven' minimum that is not one (a worse profile claimed optimal) is caught: the MILP
    finds a profile of smaller exact regret and the two methods disagree loudly."""
    import dataclasses

    from milp_market import game, load_instance
    from milp_market.certify import VerificationError
    from milp_market.enumeration import count_vectors
    from milp_market.regret import confirm_min_regret_by_milp, min_regret_search
    from milp_market.results import RegretStatus

    inst = load_instance(INSTANCES / "no_equilibrium.json")
    true = min_regret_search(inst)
    profiles = (n for batch in count_vectors(inst.n_models, inst.platforms) for n in batch)
    worse = next(n for n in profiles if game.max_regret(inst, n) > true.epsilon + 0.01)
    forged = dataclasses.replace(true, counts=tuple(int(c) for c in worse), epsilon=game.max_regret(inst, worse))
    with pytest.raises(VerificationError, match="below the proven minimum"):
        confirm_min_regret_by_milp(inst, forged, time_limit=60)
    with pytest.raises(ValueError, match="proven minimum"):
        confirm_min_regret_by_milp(inst, dataclasses.replace(true, status=RegretStatus.UNKNOWN))


def test_cli_confirms_the_minimum_regret(capsys):
    assert main(["solve", str(INSTANCES / "no_equilibrium.json"), "--json", "--approximate", "--confirm", "60"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["min_regret"]["method"] == "search" and out["min_regret"]["milp_confirmation"] == "agrees"
    assert main(["solve", str(INSTANCES / "no_equilibrium.json"), "--approximate", "--confirm", "60"]) == 0
    assert "by search; MILP confirmation: agrees" in capsys.readouterr().out


def test_logit_certificates_line_names_the_count_vector_search(tmp_path, capsys):
    from milp_market.instance import save_instance

    path = tmp_path / "lg.json"
    save_instance(generate("uniform", 6, 5, 3, 4, choice="softmax", beta=50.0), path)
    assert main(["solve", str(path), "--method", "search", "--confirm", "60"]) == 0
    out = capsys.readouterr().out
    assert "certificates: count-vector search " in out and "support search" not in out


def _brute_min_regret(inst):
    """Every count vector's exact regret, no screen: the first of the smallest."""
    from milp_market import game
    from milp_market.enumeration import count_vectors

    best, best_r = None, np.inf
    for batch in count_vectors(inst.n_models, inst.platforms):
        for n in batch:
            r = game.max_regret(inst, n)
            if r < best_r - 1e-12:
                best, best_r = tuple(int(c) for c in n), r
    return best, best_r


@pytest.mark.parametrize("choice", ["hardmax", "softmax"])
@pytest.mark.parametrize("family", ["uniform", "ties", "specialist", "dominant"])
def test_screened_enumeration_equals_brute_force(family, choice):
    # the screen (largest entry payoff minus smallest utility <= regret) only skips profiles that
    # cannot beat the best so far: the same profile, the same regret, the same tie-break
    for seed in range(15):
        rng = np.random.default_rng(seed + 500)
        M, K, N = int(rng.integers(2, 8)), int(rng.integers(1, 6)), int(rng.integers(1, 5))
        inst = generate(family, M, K, N, seed, utility=("score_share", "mass_share")[seed % 2], choice=choice, beta=5.0)
        res = min_regret_enumerate(inst)
        assert (res.counts, res.epsilon) == _brute_min_regret(inst), inst.name
        assert res.status == "optimal" and res.bound == res.epsilon


def test_capped_enumeration_is_unknown_with_its_incumbent():
    from milp_market import game

    inst = generate("uniform", 30, 40, 6, 0)  # 1.6e6 count vectors in batches of 1,666
    res = min_regret_enumerate(inst, max_seconds=0.0)
    assert res.status == "unknown" and res.bound == 0.0
    assert res.epsilon == game.max_regret(inst, res.counts)


def test_a_capped_search_verifies_a_bounded_number_of_survivors():
    # At a huge epsilon every profile is an epsilon-equilibrium, so the supports' survivors number
    # in the thousands. Asked for one, the search verifies at most CAP_EXTRA more once it has it
    # (before, min-regret's decision step verified 42,751 on LiveBench at N = 30 and overran its
    # limit by 39 s), and says the list is not complete.
    from milp_market import game
    from milp_market.search import CAP_EXTRA, SupportSearch

    inst = generate("uniform", 3, 2, 60, 0)
    every = SupportSearch(inst, epsilon=10.0).run(social_optimum=False, witnesses=False, threads=1)
    assert every.complete and len(every.equilibria) == game.n_profiles(3, 60)
    one = SupportSearch(inst, epsilon=10.0).run(max_equilibria=1, social_optimum=False, witnesses=False, threads=1)
    assert 1 <= len(one.equilibria) <= 1 + CAP_EXTRA and not one.complete
    assert set(one.equilibria) <= set(every.equilibria)


def test_min_regret_search_bound_and_incumbent_bracket_the_enumerated_minimum_at_any_limit():
    # the probes and the top-down steps only ever record proven facts: whatever the limit cuts,
    # [bound, epsilon] contains the true minimum (enumeration), and an optimal answer is it
    from milp_market.regret import min_regret_search

    for seed in range(4):
        inst = generate("uniform", 9, 8, 4, seed)
        truth = min_regret_enumerate(inst).epsilon
        for limit in (0.001, 0.05, None):
            res = min_regret_search(inst, time_limit=limit)
            assert res.bound <= truth + 1e-12 and truth <= res.epsilon + 1e-12, (seed, limit)
            if res.status == "optimal":
                assert res.epsilon == pytest.approx(truth, abs=1e-8)
