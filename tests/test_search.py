"""The support search (search.py) finds exactly enumeration's equilibria, on hundreds of random
and adversarial hardmax instances, on tie-heavy grids (hypothesis) and on hand-made games; its
limits stop it cleanly; it refuses softmax."""

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milp_market import game, load_instance, make_instance, search
from milp_market.enumeration import enumerate_profiles
from milp_market.generators import FAMILIES, generate
from milp_market.instance import TIE_TOL
from milp_market.search import SupportSearch, support_search

from .conftest import draw_valid

UTILITIES = ("score_share", "mass_share")


def _describe(inst):
    return (
        f"scores={inst.scores.tolist()!r} masses={inst.masses.tolist()!r} "
        f"N={inst.platforms} utility={inst.utility}"
    )


def _assert_search_matches_enumeration(inst, label, rules=search.RULES):
    """Search (with the pruning ``rules``) and enumeration agree on the equilibrium set and the
    social welfare; the search's own output is sorted by exact welfare, duplicate-free, verified
    and complete."""
    res = SupportSearch(inst, rules=rules).run()
    enum = enumerate_profiles(inst)
    assert enum.complete
    where = f"[{label}] {_describe(inst)}"
    assert res.complete, f"search incomplete without limits: {where}"
    assert len(set(res.equilibria)) == len(res.equilibria), f"duplicate equilibria {res.equilibria}: {where}"
    assert set(res.equilibria) == set(enum.equilibria), (
        f"search {sorted(res.equilibria)} != enumeration {sorted(enum.equilibria)}: {where}"
    )
    exact = [game.welfare(inst, n) for n in res.equilibria]
    assert list(res.welfare) == exact, f"welfare is not the exact welfare of each equilibrium: {where}"
    assert all(a >= b for a, b in zip(exact, exact[1:])), f"not sorted by decreasing welfare {exact}: {where}"
    for n in res.equilibria:
        assert game.is_equilibrium(inst, n), f"{n} fails game.is_equilibrium: {where}"
    # Social optimum: optimal to within TIE_TOL * sum(masses) = 1e-9 (Lemma 5).
    assert res.social_complete, f"social optimum incomplete without limits: {where}"
    assert res.social_optimum is not None, f"no social optimum: {where}"
    assert abs(res.social_welfare - enum.social_welfare) <= 1e-9, (
        f"social welfare {res.social_welfare!r} (at {res.social_optimum}) != enumeration "
        f"{enum.social_welfare!r} (at {enum.social_optimum}): {where}"
    )
    assert game.welfare(inst, res.social_optimum) == res.social_welfare, where
    assert sum(res.social_optimum) == inst.platforms and min(res.social_optimum) >= 0, where
    return res, enum


# ----------------------------------------------------------------------------- 1. generated

SHAPES = [(5, 4, 3), (6, 5, 2), (4, 3, 4), (7, 6, 1), (8, 3, 5), (6, 6, 6), (9, 4, 3), (4, 2, 1), (3, 5, 1)]
SEEDS = range(8)
GENERATED = [
    (family, utility, shape, seed) for family in FAMILIES for utility in UTILITIES for shape in SHAPES for seed in SEEDS
]  # 4 * 2 * 9 * 8 = 576 instances


@pytest.mark.slow
@pytest.mark.parametrize("family,utility,shape,seed", GENERATED)
def test_search_matches_enumeration_on_generated_instances(family, utility, shape, seed):
    M, K, N = shape
    inst = generate(family, M, K, N, seed, utility=utility)
    _assert_search_matches_enumeration(inst, f"generate({family!r}, {M}, {K}, {N}, {seed}, utility={utility!r})")


# Each pruning rule of search.md (Rules 7-14, 16) and the branching rule (15) alone, the ones that need another with it, none and
# all: a rule that pruned an equilibrium would show up here even if the others masked it.
RULE_SETS = {
    "none": 0,
    "tie_share": search.RULE_TIE_SHARE,
    "fixed_point": search.RULE_FIXED_POINT,
    "coverage": search.RULE_COVERAGE,
    "exclude_adds": search.RULE_EXCLUDE_ADDS,
    "inherit": search.RULE_INHERIT,
    "inherit+fixed_point": search.RULE_INHERIT | search.RULE_FIXED_POINT,
    "compatible+fixed_point": search.RULE_COMPATIBLE | search.RULE_FIXED_POINT,
    "staged": search.RULE_STAGED,
    "all_undecided": search.RULE_ALL_UNDECIDED,
    "tie_jensen": search.RULE_TIE_JENSEN,
    "tie_jensen+tie_share": search.RULE_TIE_JENSEN | search.RULE_TIE_SHARE,
    "cover_branch": search.RULE_COVER_BRANCH,
    "member_counts": search.RULE_MEMBER_COUNTS,
    "default_without_cover_branch": search.RULES & ~search.RULE_COVER_BRANCH,
    "default": search.RULES,
    "default+all_undecided": search.RULES | search.RULE_ALL_UNDECIDED,
    "default+tie_jensen": search.RULES | search.RULE_TIE_JENSEN,
    "all": search.RULES | search.RULE_ALL_UNDECIDED | search.RULE_TIE_JENSEN,
}
RULE_SHAPES = [(8, 6, 3), (10, 5, 4), (7, 4, 5), (9, 8, 2)]


def _rule_instances():
    out = []
    for family in FAMILIES:
        for shape in RULE_SHAPES:
            for seed in range(2):
                utility = UTILITIES[seed]
                out.append((f"generate({family!r}, {shape}, {seed + 100}, {utility})", generate(family, *shape, seed + 100, utility=utility)))
    return out  # 4 * 4 * 2 = 32


@pytest.mark.slow
@pytest.mark.parametrize("name", list(RULE_SETS))
def test_each_pruning_rule_alone_matches_enumeration(name):
    rules = RULE_SETS[name]
    for label, inst in _rule_instances():
        _assert_search_matches_enumeration(inst, f"rules {name}: {label}", rules=rules)
    for a, family in enumerate(ADVERSARIAL):
        for seed in range(6):
            inst = _draw(np.random.default_rng([a, 1000 + seed]), ADVERSARIAL[family])
            _assert_search_matches_enumeration(inst, f"rules {name}: adversarial {family} {1000 + seed}", rules=rules)


# Rule 14 (tie shares by Cauchy-Schwarz) acts on tie-heavy games: ties-family instances large
# enough for it to fire and small enough to enumerate, under both utilities, N = 1 included, and
# random tie-heavy / near-tie / tiny-mass grids (the adversarial builders above).
JENSEN_SHAPES = [(10, 8, 4), (12, 10, 3), (8, 12, 5), (9, 6, 1), (7, 10, 6)]
JENSEN_CASES = [(shape, seed, utility) for shape in JENSEN_SHAPES for seed in range(3) for utility in UTILITIES]


@pytest.mark.slow
@pytest.mark.parametrize("rules", [search.RULE_TIE_JENSEN, search.RULES | search.RULE_TIE_JENSEN], ids=["alone", "with_all"])
@pytest.mark.parametrize("shape,seed,utility", JENSEN_CASES)
def test_tie_jensen_rule_matches_enumeration_on_tie_heavy_instances(shape, seed, utility, rules):
    inst = generate("ties", *shape, 200 + seed, utility=utility)
    _assert_search_matches_enumeration(inst, f"rules {rules}: generate('ties', {shape}, {200 + seed}, {utility})", rules=rules)


@pytest.mark.slow
@pytest.mark.parametrize("family", ["near_ties", "near_ties_in_class", "tiny_mass", "clones", "many_platforms"])
def test_tie_jensen_rule_matches_enumeration_on_adversarial_instances(family):
    rules = search.RULES | search.RULE_TIE_JENSEN
    for seed in range(40):
        inst = _draw(np.random.default_rng([list(ADVERSARIAL).index(family), 2000 + seed]), ADVERSARIAL[family])
        _assert_search_matches_enumeration(inst, f"rules {rules}: adversarial {family} {2000 + seed}", rules=rules)


def test_tie_jensen_rule_prunes_on_the_ties_family():
    # Deterministic node counts: Rule 14 must cut the tree of tie-heavy games, or the
    # cross-checks above test nothing (measured: 23,960 -> 17,480 nodes on ties (30,40,6) s0).
    base = jen = 0
    for seed in range(2):
        inst = generate("ties", 20, 30, 5, seed)
        b = SupportSearch(inst, rules=search.RULES & ~search.RULE_TIE_JENSEN).run(social_optimum=False)
        j = SupportSearch(inst, rules=search.RULES | search.RULE_TIE_JENSEN).run(social_optimum=False)
        assert set(b.equilibria) == set(j.equilibria) and b.complete and j.complete
        base += b.nodes
        jen += j.nodes
    assert jen < base


def test_the_rules_visit_fewer_nodes_than_lemmas_2_to_4_alone():
    # Deterministic node counts, not time: the rules must have an effect, or the test above
    # checks nothing. Per instance the tree shape may differ; the total must shrink.
    none = every = 0
    for _, inst in _rule_instances():
        none += SupportSearch(inst, rules=0).run(social_optimum=False).nodes
        every += SupportSearch(inst, rules=search.RULES).run(social_optimum=False).nodes
    assert every < none


# ----------------------------------------------------------------------------- 2. adversarial
# Each builder draws from np.random.default_rng([family index, seed]) and redraws (never skips)
# when instance validation rejects the draw.


_draw = draw_valid


def _near_ties(rng):
    # A grid instance, then offsets of 0.5e-9 .. 2.5e-9 on ~2/3 of the entries: members of a
    # class stay tied (offsets differing by <= 1e-9) or split into classes 1e-9 .. 2.5e-9 apart.
    # Chains of near-ties wider than 1e-9 are rejected by validation: redraw.
    M, K, N = int(rng.integers(2, 8)), int(rng.integers(1, 5)), int(rng.integers(1, 6))
    S = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], size=(M, K))
    off = rng.uniform(0.5e-9, 2.5e-9, size=(M, K)) * (rng.random((M, K)) < 0.65)
    masses = rng.choice([1.0, 2.0, 3.0], size=K)
    return make_instance(S + off, masses, N, utility=UTILITIES[int(rng.integers(2))])


def _near_ties_in_class(rng):
    # Offsets strictly within a tie class (< 1e-9 apart), so every score differs from its grid
    # value; score_share utilities then differ by < 1e-9 between tied models (near EQ_TOL).
    M, K, N = int(rng.integers(2, 8)), int(rng.integers(1, 5)), int(rng.integers(1, 6))
    S = rng.choice([0.0, 0.5, 1.0], size=(M, K))
    off = rng.choice([0.0, 0.3e-9, 0.6e-9, 0.9e-9, 0.99e-9], size=(M, K))
    off += rng.choice([0.0, 2e-9], size=(M, K)) * (rng.random((M, K)) < 0.2)  # a few splits
    masses = rng.dirichlet(np.ones(K))
    return make_instance(S + off, masses, N, utility=UTILITIES[int(rng.integers(2))])


def _tiny_mass(rng):
    # One (sometimes two) user types of mass 1e-9 relative to the others: what a platform earns
    # from them is of the order of EQ_TOL.
    M, K, N = int(rng.integers(2, 8)), int(rng.integers(2, 5)), int(rng.integers(1, 5))
    S = np.round(rng.random((M, K)), 2) if rng.random() < 0.5 else rng.choice([0.0, 0.5, 1.0], size=(M, K))
    masses = rng.dirichlet(np.ones(K))
    tiny = rng.choice(K, size=1 + int(rng.random() < 0.3 and K > 2), replace=False)
    masses[tiny] = rng.choice([1e-9, 0.5e-9, 2e-9]) * masses.sum()
    return make_instance(S, masses, N, utility=UTILITIES[int(rng.integers(2))])


def _clones(rng):
    # Scores in {0, 0.5, 1} and many exact clones (identical model rows).
    M0, K, N = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
    base = rng.choice([0.0, 0.5, 1.0], size=(M0, K))
    rows = base[rng.integers(M0, size=int(rng.integers(M0 + 1, 9)))]
    rows[: M0] = base  # every distinct row appears at least once
    rows = rows[rng.permutation(len(rows))]
    masses = rng.choice([1.0, 1.0, 2.0], size=K)
    return make_instance(rows, masses, N, utility=UTILITIES[int(rng.integers(2))])


def _zeros(rng):
    # A user type no model serves (all-zero column) and models with all-zero rows (never all).
    M, K, N = int(rng.integers(2, 8)), int(rng.integers(2, 5)), int(rng.integers(1, 5))
    S = rng.choice([0.0, 0.25, 0.5, 1.0], size=(M, K))
    S[:, int(rng.integers(K))] = 0.0
    zero_rows = rng.choice(M, size=int(rng.integers(1, M)), replace=False)
    S[zero_rows] = 0.0
    masses = rng.dirichlet(np.ones(K))
    return make_instance(S, masses, N, utility=UTILITIES[int(rng.integers(2))])


def _many_platforms(rng):
    # Large N relative to M.
    M, K = int(rng.integers(2, 4)), int(rng.integers(1, 5))
    N = int(rng.integers(5, 10))
    S = rng.choice([0.0, 0.3, 0.5, 0.8, 1.0], size=(M, K)) if rng.random() < 0.5 else np.round(rng.random((M, K)), 3)
    masses = rng.dirichlet(np.ones(K))
    return make_instance(S, masses, N, utility=UTILITIES[int(rng.integers(2))])


ADVERSARIAL = {
    "near_ties": _near_ties,
    "near_ties_in_class": _near_ties_in_class,
    "tiny_mass": _tiny_mass,
    "clones": _clones,
    "zeros": _zeros,
    "many_platforms": _many_platforms,
}
ADVERSARIAL_SEEDS = range(100)  # 6 * 100 = 600 instances


@pytest.mark.slow
@pytest.mark.parametrize("family", list(ADVERSARIAL))
@pytest.mark.parametrize("seed", ADVERSARIAL_SEEDS)
def test_search_matches_enumeration_on_adversarial_instances(family, seed):
    rng = np.random.default_rng([list(ADVERSARIAL).index(family), seed])
    inst = _draw(rng, ADVERSARIAL[family])
    _assert_search_matches_enumeration(inst, f"adversarial {family} seed {seed}")


def test_adversarial_builders_exercise_what_they_claim():
    """The families are not vacuous: near-ties really split and tie classes at 1e-9 scale,
    masses really are tiny, clones really repeat, large N really is large."""
    insts = {f: [_draw(np.random.default_rng([i, s]), b) for s in ADVERSARIAL_SEEDS] for i, (f, b) in enumerate(ADVERSARIAL.items())}

    def gaps(inst):
        g = np.abs(inst.scores[:, None, :] - inst.scores[None, :, :])
        return g[(g > 0) & (g < 1e-8)]

    near = np.concatenate([gaps(i) for i in insts["near_ties"]])
    assert (near <= TIE_TOL).sum() > 50 and (near > TIE_TOL).sum() > 50
    assert min(i.masses.min() for i in insts["tiny_mass"]) < 3e-9
    assert sum(len(np.unique(i.scores, axis=0)) < i.n_models for i in insts["clones"]) >= 50
    assert all((~i.scores.any(axis=1)).any() and (~i.scores.any(axis=0)).any() for i in insts["zeros"])
    assert all(i.platforms > i.n_models for i in insts["many_platforms"])


# ----------------------------------------------------------------------------- known disagreements


@pytest.mark.parametrize(
    "low,high",
    [
        # b - a = 1.000000082740371e-09 > TIE_TOL: separate classes. Before every module compared
        # Instance.levels, game.shares and payoffs_against tied them (b - TIE_TOL == a), and the
        # search and enumeration disagreed.
        pytest.param(1.0, 1.0 + 1e-9, id="levels-split-game-ties"),
        pytest.param(0.25, 0.25 + 1e-9, id="levels-split-game-ties-0.25"),
        # b - a = 1.0000000000000003e-09: game.shares split them while payoffs_against tied an
        # entrant on b, so is_equilibrium once accepted (2, 0) although the deviation to b earns
        # 1.0 under mass_share.
        pytest.param(2e-9, 2e-9 + 1e-9, id="shares-split-payoffs-tie"),
    ],
)
@pytest.mark.parametrize("utility", UTILITIES)
def test_search_matches_enumeration_at_the_float_tie_boundary(low, high, utility):
    inst = make_instance([[low], [high]], [1.0], 2, utility=utility)
    _assert_search_matches_enumeration(inst, "float tie boundary")
    # the two scores are separate classes: all platforms on the higher one is the only equilibrium
    assert support_search(inst).equilibria == ((0, 2),)


def test_social_optimum_of_an_all_zero_game():
    inst = make_instance([[0.0, 0.0], [0.0, 0.0]], [0.5, 0.5], 2)
    _assert_search_matches_enumeration(inst, "all-zero scores")


# ----------------------------------------------------------------------------- 3. hypothesis

grid = st.sampled_from([0.0, 0.25, 0.5, 1.0])


@settings(max_examples=300, deadline=None)
@given(
    scores=st.integers(1, 6).flatmap(
        lambda M: st.integers(1, 4).flatmap(lambda K: st.lists(st.lists(grid, min_size=K, max_size=K), min_size=M, max_size=M))
    ),
    N=st.integers(1, 4),
    utility=st.sampled_from(UTILITIES),
    data=st.data(),
)
def test_search_matches_enumeration_on_tie_heavy_grids(scores, N, utility, data):
    K = len(scores[0])
    masses = data.draw(st.lists(st.sampled_from([1.0, 2.0, 3.0, 1e-9]), min_size=K, max_size=K).filter(lambda m: max(m) >= 1.0))
    if not np.any(scores):
        scores[0][0] = 1.0  # the all-zero game has its own test above
    inst = make_instance(scores, masses, N, utility=utility)
    _assert_search_matches_enumeration(inst, "hypothesis")


# ----------------------------------------------------------------------------- 4. known answers


def test_complementary_models_split_the_platforms():
    inst = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2)
    res = support_search(inst)
    assert res.equilibria == ((1, 1),) and res.complete
    assert res.welfare == (pytest.approx(1.0),)
    assert res.social_welfare == pytest.approx(1.0)


@pytest.mark.parametrize("utility", UTILITIES)
def test_dominant_model_takes_every_platform(utility):
    inst = make_instance([[0.2, 0.1, 0.3], [1.0, 0.9, 0.8], [0.5, 0.6, 0.7]], [0.2, 0.3, 0.5], 4, utility=utility)
    res = support_search(inst)
    assert res.equilibria == ((0, 4, 0),) and res.complete


def test_shipped_dominant_and_complementary_instances(instances_dir):
    assert support_search(load_instance(instances_dir / "homogenized.json")).equilibria == ((3, 0),)
    assert support_search(load_instance(instances_dir / "differentiated.json")).equilibria == ((1, 1),)


def test_rock_paper_scissors_has_no_equilibrium(instances_dir):
    inst = load_instance(instances_dir / "no_equilibrium.json")
    res = support_search(inst)
    assert res.equilibria == () and res.complete
    assert res.social_optimum is not None and res.social_complete


def test_tie_heavy_instance_has_exactly_three_equilibria(instances_dir):
    inst = load_instance(instances_dir / "ties.json")
    res = support_search(inst)
    assert res.complete
    # AAB, ABB, ABC over [A, B, C, D] (instances/README.md).
    assert set(res.equilibria) == {(2, 1, 0, 0), (1, 2, 0, 0), (1, 1, 1, 0)}
    assert len(res.equilibria) == 3
    assert list(res.welfare) == sorted(res.welfare, reverse=True)


# ----------------------------------------------------------------------------- 5. limits


def test_max_equilibria_stops_early_with_verified_equilibria():
    # 15 clones of each of two complementary models, N = 3: 3600 equilibria, 3600 supports, so
    # the search needs more than one slice (NODES_PER_SLICE) and the limit is hit mid-search.
    inst = make_instance(np.tile([[1.0, 0.5], [0.5, 1.0]], (15, 1)), [1.0, 1.0], 3)
    res = support_search(inst, max_equilibria=1)
    assert not res.complete
    assert len(res.equilibria) >= 1
    assert len(set(res.equilibria)) == len(res.equilibria)
    assert all(game.is_equilibrium(inst, n) for n in res.equilibria)
    assert list(res.welfare) == sorted(res.welfare, reverse=True)


def test_max_equilibria_on_a_search_that_ends_in_one_slice_reports_everything():
    # A limit checked only between slices: a search that finishes within its first slice is
    # complete and lists all 10 equilibria (as enumeration does when it has checked everything).
    inst = make_instance([[1.0], [1.0], [1.0]], [1.0], 3)
    full = support_search(inst)
    res = support_search(inst, max_equilibria=1)
    assert len(full.equilibria) == 10 and full.complete
    assert len(res.equilibria) >= 1 and all(game.is_equilibrium(inst, n) for n in res.equilibria)
    assert res.complete == (set(res.equilibria) == set(full.equilibria))


def test_max_equilibria_on_the_tie_heavy_instance(instances_dir):
    inst = load_instance(instances_dir / "ties.json")
    res = support_search(inst, max_equilibria=1)
    assert len(res.equilibria) >= 1
    assert all(game.is_equilibrium(inst, n) for n in res.equilibria)
    assert set(res.equilibria) <= {(2, 1, 0, 0), (1, 2, 0, 0), (1, 1, 1, 0)}
    if len(res.equilibria) < 3:
        assert not res.complete


def test_tiny_time_limit_returns_quickly_and_only_verified_equilibria():
    inst = generate("ties", 30, 40, 6, 0)
    support_search(make_instance([[1.0]], [1.0], 1))  # compile the kernels outside the timing
    t0 = time.perf_counter()
    res = support_search(inst, time_limit=1e-9)
    assert time.perf_counter() - t0 < 10.0
    assert res.complete in (True, False)
    for n in res.equilibria:
        assert game.is_equilibrium(inst, n)
    if not res.complete:
        assert res.seconds < 10.0
    if not res.social_complete and res.social_optimum is not None:
        assert game.welfare(inst, res.social_optimum) == res.social_welfare


# ----------------------------------------------------------------------------- 6. softmax


def test_softmax_instance_is_refused():
    inst = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, choice="softmax", beta=5.0)
    with pytest.raises(ValueError, match="hardmax"):
        support_search(inst)


def test_docstring_examples_run():
    import doctest

    import milp_market.search as mod

    res = doctest.testmod(mod)
    assert res.attempted >= 3 and res.failed == 0


# ----------------------------------------------------------------------------- review regressions


def test_enumeration_keeps_a_profile_whose_regret_is_eq_tol_to_the_last_bit():
    # Found by review: (2, 0) has regret exactly 1e-9 (an equilibrium for is_equilibrium), and the
    # enumeration screen without a rounding slack dropped it; the search listed it.
    inst = make_instance([[3.5, 0.0], [7.0, 0.0]], [1.904761904761905e-10, 0.9999999998095238], 2)
    assert game.is_equilibrium(inst, (2, 0))
    assert (2, 0) in enumerate_profiles(inst).equilibria
    _assert_search_matches_enumeration(inst, "regret at EQ_TOL")


def test_social_optimum_exact_at_large_scores():
    # Found by review: a pruning margin proportional to the scores cut the 5e-7 better support at
    # scores of 1e6 (now refused as too large for the 1e-9 tolerance: score_scale_error); the same
    # margin, 1e-12 of the scale, against a 5e-8 gain at 1e5
    inst = make_instance([[1e5, 1e5], [1e5 + 5e-8, 0.0], [0.0, 1e5 + 5e-8]], [0.5, 0.5], 2)
    res = support_search(inst)
    assert res.social_optimum == (0, 1, 1) and res.social_welfare == game.welfare(inst, (0, 1, 1))


# ----------------------------------------------------------------------------- parallel search


@pytest.mark.parametrize("family", ["uniform", "ties", "specialist", "dominant"])
def test_shared_tree_is_the_same_tree(family, monkeypatch):
    """Workers that hand subtrees to each other (search.md, "Parallel search") explore exactly
    the serial tree: the same nodes, cuts, supports and equilibria, on trees large enough that
    subtrees are handed over (counted), with sharing forced from the first slice."""
    monkeypatch.setattr(search, "SERIAL_SECONDS", 0.0)
    handed = [0]
    steal = search._Worker.steal

    def counting(self):
        task = steal(self)
        handed[0] += task is not None
        return task

    monkeypatch.setattr(search._Worker, "steal", counting)
    for seed, (M, K, N) in enumerate([(12, 10, 4), (15, 20, 5), (20, 30, 5), (25, 30, 6), (8, 6, 3)]):
        for utility in UTILITIES:
            inst = generate(family, M, K, N, seed, utility=utility)
            one = SupportSearch(inst).run(threads=1, social_optimum=False)
            many = SupportSearch(inst).run(threads=3, social_optimum=False)
            assert many.complete and one.complete
            assert many.equilibria == one.equilibria, inst.name
            assert (many.nodes, many.pruned, many.supports_checked, many.profiles_checked) == (
                one.nodes, one.pruned, one.supports_checked, one.profiles_checked
            ), inst.name
    if family != "specialist":  # specialist trees are a handful of nodes
        assert handed[0] > 0, "no subtree was handed over: the test did not test sharing"


def test_shared_tree_limits(monkeypatch):
    """With workers, a time limit still stops the search incomplete, and ``max_equilibria`` too
    unless the whole tree was explored."""
    monkeypatch.setattr(search, "SERIAL_SECONDS", 0.0)
    inst = generate("uniform", 30, 40, 6, 0)
    support_search(make_instance([[1.0]], [1.0], 1))  # compile outside the timing
    res = SupportSearch(inst).run(time_limit=0.02, threads=2, social_optimum=False)
    assert not res.complete
    inst = generate("ties", 10, 10, 4, 2)  # two equilibria, 73 nodes
    full = SupportSearch(inst).run(threads=2, social_optimum=False)
    assert full.complete and len(full.equilibria) == 2
    one = SupportSearch(inst).run(threads=2, max_equilibria=1, social_optimum=False)
    assert len(one.equilibria) >= 1 and set(one.equilibria) <= set(full.equilibria)
    assert one.complete == (set(one.equilibria) == set(full.equilibria) and one.nodes == full.nodes)


def test_default_threads_follows_the_environment(monkeypatch):
    """MILP_MARKET_THREADS first, then OMP_NUM_THREADS (set to 1 in Dask's workers), else the
    cores; capped at MAX_THREADS; nonsense is ignored."""
    monkeypatch.delenv("MILP_MARKET_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert search.default_threads() == 1
    monkeypatch.setenv("MILP_MARKET_THREADS", "3")
    assert search.default_threads() == 3
    monkeypatch.setenv("MILP_MARKET_THREADS", "999")
    assert search.default_threads() == search.MAX_THREADS
    monkeypatch.setenv("MILP_MARKET_THREADS", "many")
    assert search.default_threads() == 1  # falls through to OMP_NUM_THREADS
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert 1 <= search.default_threads() <= search.MAX_THREADS


@pytest.mark.parametrize("threads", [1, 2])
def test_survivor_buffer_grows(threads, monkeypatch):
    """Three identical models and 30 platforms: every one of the C(32, 2) = 496 count vectors is
    an equilibrium, far more than a 16-row survivor buffer holds; the buffer doubles and the
    overflowing support is redone, so all 496 are found, as enumeration finds them."""
    monkeypatch.setattr(search, "OUT_BYTES", 1)
    monkeypatch.setattr(search, "SERIAL_SECONDS", 0.0)
    inst = make_instance(np.ones((3, 2)), np.array([0.5, 0.5]), 30)
    res = SupportSearch(inst).run(threads=threads)
    assert res.complete and len(res.equilibria) == 496
    assert set(res.equilibria) == set(enumerate_profiles(inst).equilibria)
