"""The logit count-vector search (formulations/logit_search.md) against enumeration: the same
equilibrium set, in both directions, on hundreds of random small instances of several families,
both utilities, beta from 0 to 1e13, N = 1 and N > M; known answers; the time limit."""

import time

import numpy as np
import pytest

from milp_market import game, make_instance
from milp_market.enumeration import enumerate_profiles
from milp_market.generators import generate
from milp_market.logit_search import (
    RULE_DEVIATION,
    RULE_SUM,
    RULE_VIABLE,
    RULES,
    LogitSearch,
    logit_search,
    logit_social_optimum,
)
from milp_market.orchestrate import solve

BETAS = [0.1, 0.5, 1.0, 3.0, 10.0, 50.0, 200.0, 1e3]
UTILITIES = ["score_share", "mass_share"]


def _agree(inst, rules=RULES, full_r=None):
    """Search and enumeration find the same equilibria; each passes the exact evaluator; welfare
    is exact and sorted."""
    ref = enumerate_profiles(inst)
    search = LogitSearch(inst, rules=rules)
    if full_r is not None:
        search.full_r = full_r
    res = search.run()
    assert ref.complete and res.complete
    assert set(res.equilibria) == set(ref.equilibria), inst.name
    assert len(res.equilibria) == len(set(res.equilibria))
    for n, w in zip(res.equilibria, res.welfare):
        assert game.is_equilibrium(inst, n)
        assert w == game.welfare(inst, n)
    assert list(res.welfare) == sorted(res.welfare, reverse=True)
    assert res.social_optimum is None and not res.social_complete
    return res


def _custom(rng, kind, M, K, N, utility, beta):
    if kind == "tie_heavy":  # three score values, exact ties everywhere
        S = rng.choice([0.0, 0.5, 1.0], size=(M, K))
        pi = np.ones(K)
    elif kind == "near_ties":  # copies of a model shifted by a few ulps up to 1e-9
        S = np.round(rng.random((M, K)), 3)
        for j in range(1, M, 2):
            S[j] = S[j - 1] + rng.choice([0.0, 1e-15, 1e-12, 1e-9], size=K)
        pi = rng.dirichlet(np.ones(K))
    elif kind == "tiny_masses":  # some types carry 1e-9 of the mass
        S = rng.random((M, K))
        pi = rng.dirichlet(np.ones(K))
        pi[rng.random(K) < 0.5] = 1e-9
    elif kind == "copies":  # identical models (every profile among them ties)
        base = rng.random((max(1, M // 2), K))
        S = base[rng.integers(len(base), size=M)]
        pi = rng.dirichlet(np.ones(K))
    elif kind == "wide":  # scores far apart: weights underflow at moderate beta
        S = rng.random((M, K)) * 100.0
        pi = rng.dirichlet(np.ones(K))
    else:
        raise ValueError(kind)
    return make_instance(S, pi, N, name=f"{kind}-M{M}-K{K}-N{N}", utility=utility, choice="softmax", beta=beta)


def _random_cases(seed, count):
    rng = np.random.default_rng(seed)
    kinds = ["uniform", "ties", "specialist", "dominant", "tie_heavy", "near_ties", "tiny_masses", "copies", "wide"]
    for i in range(count):
        kind = kinds[i % len(kinds)]
        M = int(rng.integers(1, 7))
        K = int(rng.integers(1, 5))
        N = int(rng.integers(1, 6))  # N > M often
        utility = UTILITIES[int(rng.integers(2))]
        beta = float(BETAS[int(rng.integers(len(BETAS)))])
        if kind in ("uniform", "ties", "specialist", "dominant"):
            yield generate(kind, M, K, N, seed=int(rng.integers(1000)), utility=utility, choice="softmax", beta=beta)
        else:
            yield _custom(rng, kind, M, K, N, utility, beta)


@pytest.mark.parametrize("chunk", range(4))
def test_random_instances_agree_with_enumeration(chunk):
    """400 instances in all (100 per chunk), every family and utility."""
    for inst in _random_cases(1000 + chunk, 100):
        _agree(inst)


@pytest.mark.parametrize("family", ["uniform", "ties", "specialist"])
@pytest.mark.parametrize("utility", UTILITIES)
@pytest.mark.parametrize("beta", [0.1, 1.0, 10.0, 50.0, 1e3])
def test_generated_mid_size(family, utility, beta):
    """Larger pools where the bounds actually prune (M = 8, K = 6, N = 4: 330 count vectors)."""
    for seed in range(2):
        res = _agree(generate(family, 8, 6, 4, seed, utility=utility, choice="softmax", beta=beta))
        assert res.supports_checked <= game.n_profiles(8, 4)


@pytest.mark.parametrize("beta", [0.0, 1e-3, 1e4, 1e13])
def test_extreme_beta(beta):
    """beta = 0 (uniform shares) to 1e13 (weights far below the float range): same answers."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        M, K, N = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
        S = np.round(rng.random((M, K)), 2)
        for utility in UTILITIES:
            _agree(make_instance(S, rng.dirichlet(np.ones(K)), N, utility=utility, choice="softmax", beta=beta))


def test_known_answers():
    # two specialists, sharp choice: one platform on each
    inst = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, choice="softmax", beta=20.0)
    assert logit_search(inst).equilibria == ((1, 1),)
    # beta = 0 and mass_share: every platform earns 1/N whatever it does: every profile
    inst = make_instance([[0.3, 0.9], [0.8, 0.1], [0.5, 0.5]], [0.2, 0.8], 3, utility="mass_share", choice="softmax", beta=0.0)
    res = logit_search(inst)
    assert len(res.equilibria) == game.n_profiles(3, 3) and res.complete
    # one platform: it takes the model with the largest solo payoff sum_t w[j,t]
    S = np.array([[0.2, 0.9], [0.7, 0.6], [0.1, 0.1]])
    inst = make_instance(S, [0.5, 0.5], 1, choice="softmax", beta=5.0)
    assert logit_search(inst).equilibria == ((0, 1, 0),)
    # a dominant model: everybody on it
    inst = make_instance([[1.0, 0.9], [0.5, 0.5]], [0.5, 0.5], 3, choice="softmax", beta=10.0)
    assert logit_search(inst).equilibria == ((3, 0),)


def test_no_equilibrium_is_proven():
    """Instances where enumeration finds none: the search finds none and is complete."""
    found = 0
    for seed in range(40):
        inst = generate("ties", 6, 4, 3, seed, choice="softmax", beta=50.0)
        ref = enumerate_profiles(inst)
        if ref.equilibria:
            continue
        res = logit_search(inst)
        assert res.complete and res.equilibria == ()
        found += 1
    assert found >= 1


def test_hardmax_is_refused():
    inst = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2)
    with pytest.raises(ValueError):
        LogitSearch(inst)


def test_time_limit():
    """A tiny limit returns quickly, incomplete, and whatever it returns is an equilibrium."""
    inst = generate("uniform", 40, 40, 7, 0, choice="softmax", beta=10.0)
    t0 = time.perf_counter()
    res = LogitSearch(inst).run(time_limit=0.05)
    assert time.perf_counter() - t0 < 30.0  # generous: tests never fail on timing
    assert not res.complete
    for n in res.equilibria:
        assert game.is_equilibrium(inst, n)
    # an absolute deadline already past
    res = LogitSearch(inst).run(deadline=time.perf_counter() - 1.0)
    assert not res.complete


@pytest.mark.parametrize("rules", [0, RULE_DEVIATION, RULE_VIABLE, RULE_SUM])
@pytest.mark.parametrize("full_r", [1, 99])
def test_each_rule_alone(rules, full_r):
    """Each pruning rule alone (and Lemma 2's entry form alone, rules = 0), with full scans at
    every node (full_r = 1) or killers only (99), agrees with enumeration."""
    for inst in _random_cases(500 + rules, 40):
        _agree(inst, rules=rules, full_r=full_r)
    for seed in range(2):
        _agree(generate("uniform", 8, 6, 4, seed, utility="mass_share", choice="softmax", beta=1.0), rules, full_r)


def test_untabulated_weights_agree(monkeypatch):
    """Weights computed on the fly (large pools) give the same answers as the table."""
    import milp_market.logit_search as ls

    monkeypatch.setattr(ls, "TABLE_MAX", 0)
    for inst in _random_cases(77, 30):
        _agree(inst)


def test_small_buffers_and_slices(monkeypatch):
    """A survivor buffer of 2 rows and slices of 4 nodes: the resumable search loses nothing
    (beta = 0 under mass_share makes every count vector an equilibrium)."""
    import milp_market.logit_search as ls

    monkeypatch.setattr(ls, "OUT_ROWS", 2)
    monkeypatch.setattr(ls, "NODES_PER_SLICE", 4)
    inst = make_instance(np.random.default_rng(3).random((4, 3)), [1, 2, 3], 4, utility="mass_share", choice="softmax", beta=0.0)
    res = _agree(inst)
    assert len(res.equilibria) == game.n_profiles(4, 4)
    for inst in _random_cases(99, 30):
        _agree(inst)


@pytest.mark.parametrize("utility", UTILITIES)
def test_many_platforms(utility):
    """N well above M (deep trees, counts up to N on one model)."""
    for seed in range(3):
        for beta in (0.5, 5.0, 100.0):
            _agree(generate("uniform", 3, 3, 12, seed, utility=utility, choice="softmax", beta=beta))
            _agree(generate("ties", 4, 2, 9, seed, utility=utility, choice="softmax", beta=beta))


# ----------------------------------------------------------------------------- social optimum


SOCIAL_CASES = [
    (fam, seed, beta, util)
    for fam in ("uniform", "ties", "specialist")
    for seed in range(6)
    for beta in (0.5, 5.0, 50.0, 1e4)
    for util in ("score_share", "mass_share")
]


@pytest.mark.parametrize("family,seed,beta,utility", SOCIAL_CASES)
def test_social_optimum_branch_and_bound_matches_enumeration(family, seed, beta, utility):
    from milp_market.logit_search import logit_social_optimum

    M, K, N = 3 + seed % 4, 2 + seed % 3, 1 + seed % 4
    inst = generate(family, M, K, N, seed, choice="softmax", beta=beta, utility=utility)
    counts, w, complete = logit_social_optimum(inst)
    ref = enumerate_profiles(inst)
    assert complete
    assert w == pytest.approx(game.welfare(inst, counts), abs=0)
    assert w >= ref.social_welfare - 1e-12 * max(1.0, ref.social_welfare)


def test_social_optimum_respects_its_time_limit_and_keeps_a_verified_incumbent():
    import time

    from milp_market.logit_search import logit_social_optimum

    inst = generate("uniform", 80, 40, 9, 0, choice="softmax", beta=5.0)
    t0 = time.perf_counter()
    counts, w, complete = logit_social_optimum(inst, time_limit=0.5)
    assert time.perf_counter() - t0 < 30
    assert sum(counts) == 9 and w == pytest.approx(game.welfare(inst, counts), abs=0)


def test_logit_social_optimum_subnormal_weights():
    """Found by audit (stop 22): at beta 1000 the used models' weights relative to an unused
    type-leader were subnormal (about 1e-310), num/den kept a few bits, and the social optimum's
    welfare came out 0.683 against an exact 0.633 (a VerificationError from ``solve``;
    formulations/logit_search.md, Lemma 7)."""
    inst = make_instance(np.array([[0.262, 1.003], [1.004, 0.027]]), np.array([0.37, 0.37]), 1,
                         utility="mass_share", choice="softmax", beta=1000.0)
    counts, w, complete = logit_social_optimum(inst)
    best = max(((1, 0), (0, 1)), key=lambda n: game.welfare(inst, n))
    assert complete and counts == best and w == pytest.approx(game.welfare(inst, best), abs=1e-12)
    res = solve(inst, method="search")
    assert res.social_optimum.welfare == pytest.approx(game.welfare(inst, best), abs=1e-12)
