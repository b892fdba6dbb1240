"""Existence witnesses (witness.py; formulations/search.md, "Existence witnesses"): what
best-response dynamics reach is an equilibrium that enumeration lists; a search that looks for
witnesses explores the same tree and lists exactly enumeration's equilibria; a stopped search
reports the witnesses as proven equilibria; a complete search that missed one is an error."""

import pytest

from milp_market import game, load_instance, make_instance, search
from milp_market.certify import VerificationError
from milp_market.enumeration import enumerate_profiles
from milp_market.generators import FAMILIES, generate
from milp_market.orchestrate import solve_search
from milp_market.results import Status
from milp_market.search import SupportSearch
from milp_market.witness import check_witnesses, find_witnesses

UTILITIES = ("score_share", "mass_share")
SHAPES = [(5, 4, 3), (6, 5, 2), (4, 3, 4), (7, 6, 1), (8, 6, 5)]
GENERATED = [(f, u, shape, seed) for f in FAMILIES for u in UTILITIES for shape in SHAPES for seed in range(3)]  # 120


@pytest.mark.parametrize("family,utility,shape,seed", GENERATED)
def test_witnesses_are_equilibria_that_enumeration_lists(family, utility, shape, seed):
    inst = generate(family, *shape, seed, utility=utility)
    found = find_witnesses(inst)
    assert len(set(found)) == len(found)
    assert set(found) <= set(enumerate_profiles(inst).equilibria), inst.name
    assert all(sum(n) == inst.platforms for n in found)


def test_witnesses_on_the_tie_heavy_instance(instances_dir):
    inst = load_instance(instances_dir / "ties.json")
    found = find_witnesses(inst)
    assert found and set(found) <= {(2, 1, 0, 0), (1, 2, 0, 0), (1, 1, 1, 0)}


def test_no_witness_where_there_is_no_equilibrium(instances_dir):
    inst = load_instance(instances_dir / "no_equilibrium.json")
    assert find_witnesses(inst) == ()


def test_witnesses_respect_the_clock_and_refuse_logit():
    inst = generate("ties", 20, 30, 5, 0)
    assert find_witnesses(inst, until=0.0) == ()  # no run starts after `until`
    logit = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, choice="softmax", beta=2.0)
    with pytest.raises(ValueError, match="hardmax"):
        find_witnesses(logit)


def test_a_witness_the_complete_search_missed_is_an_error():
    check_witnesses(((1, 1),), {(1, 1), (2, 0)})
    check_witnesses((), set())
    with pytest.raises(VerificationError, match="missed 2 equilibria"):
        check_witnesses(((1, 1), (2, 0)), {(0, 2)})


@pytest.mark.parametrize("family", FAMILIES)
def test_search_looking_for_witnesses_explores_the_same_tree(family, monkeypatch):
    """Witnesses looked for at the first slice boundary (WITNESS_AFTER < 0): the same nodes and
    exactly enumeration's equilibria, with each witness among them; on one thread and two."""
    monkeypatch.setattr(search, "WITNESS_AFTER", -1.0)
    monkeypatch.setattr(search, "SERIAL_SECONDS", 0.0)
    looked = 0
    for seed, (M, K, N) in enumerate([(8, 6, 3), (10, 8, 4), (12, 10, 4), (9, 12, 5), (14, 16, 5)]):
        for utility in UTILITIES:
            inst = generate(family, M, K, N, seed, utility=utility)
            plain = SupportSearch(inst).run(social_optimum=False, threads=1, witnesses=False)
            assert plain.witnesses == ()
            enum = set(enumerate_profiles(inst).equilibria)
            for threads in (1, 2):
                res = SupportSearch(inst).run(social_optimum=False, threads=threads)
                assert res.complete and set(res.equilibria) == enum, inst.name
                assert len(set(res.equilibria)) == len(res.equilibria)
                assert set(res.witnesses) <= enum
                assert (res.nodes, res.pruned, res.supports_checked) == (plain.nodes, plain.pruned, plain.supports_checked)
                looked += bool(res.witnesses)
    if family != "uniform":  # uniform games rarely have an equilibrium for dynamics to reach
        assert looked > 0, "no witness was found: the test did not test them"


def test_a_stopped_search_proves_existence_by_its_witnesses(monkeypatch):
    """ties (100,200,10) seed 1: the tree finds no equilibrium in 60 s (reports/benchmarks.md);
    the witnesses give two, so the answer is unknown with proven equilibria and bounds."""
    monkeypatch.setattr(search, "WITNESS_AFTER", 0.0)
    inst = generate("ties", 100, 200, 10, 1)
    res = SupportSearch(inst).run(time_limit=2.0)
    assert not res.complete
    assert res.witnesses and set(res.witnesses) <= set(res.equilibria)
    assert all(game.is_equilibrium(inst, n) for n in res.equilibria)
    assert res.first_equilibrium_seconds is not None and res.first_equilibrium_seconds < 2.5
    market = solve_search(inst, time_limit=2.0)
    assert market.status is Status.UNKNOWN
    assert market.stats["witnesses"] >= 1 and market.best is not None and market.worst is not None
    one = SupportSearch(inst).run(time_limit=30.0, max_equilibria=1, social_optimum=False)
    assert len(one.equilibria) >= 1 and not one.complete and one.seconds < 30.0
