"""Rule 16 (search.md): per-member bounds on the counts, at the exact support and in the tree.

It acts where N is large against the support: the screen of Lemma 6 would otherwise walk every
count vector of a support, C(N - 1, |U| - 1) of them. Checked here against enumeration on
hundreds of instances with many platforms (four families, both utilities, tie-heavy, near-tie,
tiny-mass and leader-dominated draws), at the screen itself (every equilibrium survives it), and
on a real table with a hand-proven answer."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from milp_market import game, load_instance, make_instance, search
from milp_market._search_kernels import check_support
from milp_market.enumeration import enumerate_profiles
from milp_market.generators import FAMILIES, generate
from milp_market.search import SupportSearch

from .conftest import draw_valid

ROOT = Path(__file__).resolve().parents[1]
UTILITIES = ("score_share", "mass_share")
WITHOUT = search.RULES & ~search.RULE_MEMBER_COUNTS

# N large against M: the regime Rule 16 is for; every shape enumerates in well under a second.
SHAPES = [(3, 4, 9), (4, 3, 8), (5, 4, 10), (4, 6, 12), (6, 3, 7), (3, 2, 15)]
GENERATED = [(f, u, shape, seed) for f in FAMILIES for u in UTILITIES for shape in SHAPES for seed in range(4)]


def _leader(rng):
    """One model best (or tied best) everywhere, the rest random: only the leader's support can
    hold an equilibrium unless it ties, the case of the LMArena markets at large N."""
    M, K, N = int(rng.integers(3, 7)), int(rng.integers(1, 5)), int(rng.integers(6, 14))
    grid = rng.random() < 0.5
    S = rng.choice([0.0, 0.5, 0.8], size=(M, K)) if grid else np.round(rng.random((M, K)) * 0.9, 3)
    S[0] = 1.0 if grid else np.maximum(S.max(axis=0), 0.95)
    if rng.random() < 0.4:  # a second model ties the leader on some types
        cols = rng.random(K) < 0.5
        S[1, cols] = S[0, cols]
    masses = rng.dirichlet(np.ones(K))
    return make_instance(S, masses, N, utility=UTILITIES[int(rng.integers(2))])


def _ties_many(rng):
    """Scores on {0, 0.5, 1}: tie classes at the top of most types, N up to 12."""
    M, K, N = int(rng.integers(3, 6)), int(rng.integers(2, 6)), int(rng.integers(6, 13))
    S = rng.choice([0.0, 0.5, 1.0], size=(M, K))
    masses = rng.choice([1.0, 2.0, 1e-9], p=[0.6, 0.3, 0.1], size=K)
    if masses.max() < 1.0:
        masses[0] = 1.0
    return make_instance(S, masses, N, utility=UTILITIES[int(rng.integers(2))])


def _near_ties_many(rng):
    M, K, N = int(rng.integers(3, 6)), int(rng.integers(2, 5)), int(rng.integers(6, 12))
    S = rng.choice([0.0, 0.5, 1.0], size=(M, K)) + rng.choice([0.0, 0.4e-9, 0.9e-9, 2e-9], size=(M, K))
    masses = rng.dirichlet(np.ones(K))
    return make_instance(S, masses, N, utility=UTILITIES[int(rng.integers(2))])


DRAWS = {"leader": _leader, "ties_many": _ties_many, "near_ties_many": _near_ties_many}


_draw = draw_valid


def _agree(inst, where):
    enum = enumerate_profiles(inst)
    assert enum.complete
    results = {}
    for rules in (search.RULES, WITHOUT, search.RULE_MEMBER_COUNTS):
        res = SupportSearch(inst, rules=rules).run()
        assert res.complete, where
        assert set(res.equilibria) == set(enum.equilibria), (
            f"rules {rules}: search {sorted(res.equilibria)} != enumeration {sorted(enum.equilibria)}: {where}"
        )
        results[rules] = res
    # the rule only removes count vectors from the screen (never adds any)
    assert results[search.RULES].profiles_checked <= results[WITHOUT].profiles_checked or (
        results[search.RULES].nodes != results[WITHOUT].nodes
    ), where
    return results


@pytest.mark.slow
@pytest.mark.parametrize("family,utility,shape,seed", GENERATED)
def test_member_counts_match_enumeration_with_many_platforms(family, utility, shape, seed):
    inst = generate(family, *shape, seed, utility=utility)
    _agree(inst, f"generate({family!r}, {shape}, {seed}, utility={utility!r})")


@pytest.mark.slow
@pytest.mark.parametrize("draw", list(DRAWS))
def test_member_counts_match_enumeration_on_adversarial_draws(draw):
    for seed in range(60):
        inst = _draw(np.random.default_rng([list(DRAWS).index(draw), 7000 + seed]), DRAWS[draw])
        _agree(inst, f"{draw} seed {7000 + seed}: scores={inst.scores.tolist()} masses={inst.masses.tolist()} N={inst.platforms}")


def _screen(inst, support, opts):
    """check_support on the exact support ``support`` (all other models excluded), as dfs_binary
    calls it at the support's include node (no inherited bound)."""
    s = SupportSearch(inst, rules=opts)
    M = inst.n_models
    inc = np.zeros(M, dtype=np.int64)
    inc[: len(support)] = support
    top = s.lev[list(support)].max(axis=0).astype(s.lev.dtype)
    in_support = np.zeros(M, dtype=np.bool_)
    in_support[list(support)] = True
    out = np.zeros((100_000, M), dtype=np.int64)
    budget = np.array([10**12], dtype=np.int64)
    n_out, screened = check_support(
        len(support), inc, top, s.lev, s.w, s.N, game.EQ_TOL, s.fp, out, 0, in_support, opts, -np.inf, budget
    )
    assert n_out >= 0
    return {tuple(int(x) for x in row) for row in out[:n_out]}, screened


@pytest.mark.slow
def test_every_equilibrium_survives_the_screen_with_member_counts():
    """Direct: for every equilibrium n, the screen of its support keeps n with Rule 16 on, and
    keeps a subset of what it keeps without the rule (at no more count vectors screened)."""
    seen = 0
    for k, build in enumerate(list(DRAWS.values()) * 2):
        for seed in range(25):
            inst = _draw(np.random.default_rng([k, 8000 + seed]), build)
            for n in enumerate_profiles(inst).equilibria:
                support = [j for j, c in enumerate(n) if c > 0]
                kept, screened = _screen(inst, support, search.RULES)
                kept0, screened0 = _screen(inst, support, WITHOUT)
                assert tuple(n) in kept, f"{n} screened out: {inst.scores.tolist()} {inst.masses.tolist()} N={inst.platforms}"
                assert kept <= kept0 and screened <= screened0
                seen += 1
    assert seen >= 100  # the draws hold enough equilibria for the check to mean something


def test_leader_market_at_large_n_is_settled_in_a_handful_of_count_vectors():
    """Known answer: chatgpt-4o-latest-20240808 is strictly best on all three topics of
    arena_explorer_topics, so every other model is top nowhere and a platform on it earns 0 and
    gains by joining the leader: the unique equilibrium is everyone on the leader, at every N.
    Without Rule 16 the screen walked every count vector of every support (hundreds of millions
    at N = 30); with it, the per-member floors leave none but the leader's."""
    base = load_instance(ROOT / "instances" / "arena_explorer_topics.json")
    leader = int(np.argmax(base.scores.min(axis=1)))
    assert (base.levels[leader] > np.delete(base.levels, leader, axis=0)).all()
    for N in (10, 30, 100):
        inst = dataclasses.replace(base, platforms=N)
        res = SupportSearch(inst).run(time_limit=60)
        expected = tuple(N if j == leader else 0 for j in range(base.n_models))
        assert res.complete and res.equilibria == (expected,)
        assert res.profiles_checked <= 10, res.profiles_checked


def test_rule_16_is_in_the_default_rules():
    assert search.RULES & search.RULE_MEMBER_COUNTS
