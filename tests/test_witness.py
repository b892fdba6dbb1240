"""Existence witnesses (witness.py; formulations/search.md, "Existence witnesses"): what
best-response dynamics reach is an equilibrium that enumeration lists; a search that looks for
witnesses explores the same tree and lists exactly enumeration's equilibria; a stopped search
reports the witnesses as proven equilibria; a complete search that missed one is an error."""

import threading
import time

import numpy as np
import pytest

from milp_market import game, load_instance, make_instance, search
from milp_market.certify import VerificationError
from milp_market.dynamics import best_response_dynamics
from milp_market.enumeration import enumerate_profiles
from milp_market.generators import FAMILIES, generate
from milp_market.orchestrate import solve_search
from milp_market.results import Status
from milp_market.search import SupportSearch
from milp_market.witness import _converge, check_witnesses, find_witnesses

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


def test_witnesses_respect_the_clock_and_refuse_logit(instances_dir):
    inst = load_instance(instances_dir / "ties.json")
    assert find_witnesses(inst)  # it has witnesses ...
    assert find_witnesses(inst, until=0.0) == ()  # ... but no run goes past `until`
    assert find_witnesses(inst, stop=lambda: True) == ()
    logit = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, choice="softmax", beta=2.0)
    with pytest.raises(ValueError, match="hardmax"):
        find_witnesses(logit)


@pytest.mark.parametrize("family", FAMILIES)
def test_runs_are_the_revisions_of_best_response_dynamics(family):
    """`_converge` is `dynamics.best_response_dynamics` without its history: from the same
    starts it converges to the same profiles, and fails to converge exactly when they do."""
    for seed in range(6):
        inst = generate(family, 9, 8, 4, seed, utility=UTILITIES[seed % 2])
        for s in range(6):
            start = np.random.default_rng(s).integers(0, inst.n_models, size=inst.platforms)
            ref = best_response_dynamics(inst, start=list(start), max_steps=40 * inst.platforms)
            got = _converge(inst, start, 40 * inst.platforms, None, None)
            if ref.status.value == "converged":
                assert got == tuple(int(x) for x in np.bincount(ref.final, minlength=inst.n_models)), inst.name
            else:
                assert got is None, inst.name


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
    res = SupportSearch(inst).run(time_limit=5.0)
    assert not res.complete
    assert res.witnesses and set(res.witnesses) <= set(res.equilibria)
    assert res.first_equilibrium_by == "dynamics" and res.first_equilibrium_seconds is not None
    assert all(game.is_equilibrium(inst, n) for n in res.equilibria)
    market = solve_search(inst, time_limit=5.0)
    assert market.status is Status.UNKNOWN
    assert market.stats["witnesses"] >= 1 and market.stats["first_equilibrium_by"] == "dynamics"
    assert market.best is not None and market.worst is not None
    # witnesses count towards max_equilibria, one at a time: the search stops at the first
    one = SupportSearch(inst).run(time_limit=30.0, max_equilibria=1, social_optimum=False)
    assert len(one.equilibria) == 1 and not one.complete and one.seconds < 30.0


def test_a_complete_search_must_have_found_every_witness(monkeypatch):
    """The wiring of check_witnesses: a 'witness' the tree does not find (here a profile that is
    no equilibrium, fed past the exact check) makes a complete search raise; a stopped one
    proves nothing about it."""
    monkeypatch.setattr(search, "WITNESS_AFTER", -1.0)
    inst = generate("ties", 10, 10, 4, 2)  # two equilibria, 73 nodes
    fake = (4,) + (0,) * (inst.n_models - 1)
    assert not game.is_equilibrium(inst, fake)

    def feed(inst_, tol, until, stop, on_found):
        on_found(fake)
        return (fake,)

    monkeypatch.setattr(search, "find_witnesses", feed)
    with pytest.raises(VerificationError, match="missed 1 equilibrium"):
        SupportSearch(inst).run(threads=1, social_optimum=False)


def test_the_deadline_holds_while_the_dynamics_run(monkeypatch):
    """Dynamics given the whole limit use it: the worker then stops at once, incomplete."""
    monkeypatch.setattr(search, "WITNESS_AFTER", 0.0)
    monkeypatch.setattr(search, "WITNESS_SECONDS", 100.0)
    inst = generate("ties", 40, 60, 7, 0)

    def slow(inst_, tol, until, stop, on_found):
        time.sleep(max(0.0, until - time.perf_counter()) + 0.01)  # the dynamics use all they get
        return ()

    monkeypatch.setattr(search, "find_witnesses", slow)
    SupportSearch(inst).run(time_limit=0.2, social_optimum=False)  # compile outside the timing
    t0 = time.perf_counter()
    res = SupportSearch(inst).run(time_limit=1.0, social_optimum=False)
    assert not res.complete and time.perf_counter() - t0 < 6.0


def test_the_dynamics_run_while_other_workers_search(monkeypatch):
    """Witnesses looked for once helpers run: the other worker goes on, and the tree is the same."""
    monkeypatch.setattr(search, "WITNESS_AFTER", 0.05)
    monkeypatch.setattr(search, "SERIAL_SECONDS", 0.0)
    inst = generate("ties", 30, 40, 6, 0)
    plain = SupportSearch(inst).run(social_optimum=False, threads=2, witnesses=False)
    seen = []
    real = search.find_witnesses

    def watched(inst_, tol, until, stop, on_found):
        seen.append(threading.active_count())
        time.sleep(0.1)
        return real(inst_, tol=tol, until=until, stop=stop, on_found=on_found)

    monkeypatch.setattr(search, "find_witnesses", watched)
    res = SupportSearch(inst).run(social_optimum=False, threads=2)
    assert res.complete and res.equilibria == plain.equilibria and res.nodes == plain.nodes
    if seen:  # the tree may find its equilibrium within 0.05 s on a fast machine
        assert seen[0] >= 2


def _profiles(M, N):
    if M == 1:
        yield (N,)
        return
    for k in range(N + 1):
        for rest in _profiles(M - 1, N - k):
            yield (k,) + rest


@pytest.mark.parametrize("family", FAMILIES)
def test_witnesses_with_epsilon_are_epsilon_equilibria(family, monkeypatch):
    """SupportSearch(epsilon=...) with witnesses looked for at once lists exactly the profiles of
    regret at most epsilon (brute force over every count vector)."""
    monkeypatch.setattr(search, "WITNESS_AFTER", -1.0)
    for seed in range(4):
        inst = generate(family, 6, 5, 3, seed, utility=UTILITIES[seed % 2])
        for eps in (1e-9, 0.02, 0.1):
            res = SupportSearch(inst, epsilon=eps).run(threads=1, social_optimum=False)
            brute = {n for n in _profiles(inst.n_models, inst.platforms) if game.is_equilibrium(inst, n, tol=eps)}
            assert res.complete and set(res.equilibria) == brute, (inst.name, eps)
