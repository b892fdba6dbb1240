"""Hand-made instances whose answers are worked out on paper: they pin the semantics."""

import numpy as np
import pytest

from milp_market import game, make_instance
from milp_market.enumeration import enumerate_profiles
from milp_market.orchestrate import solve_market


def test_differentiated_market_two_specialists_split_the_users():
    inst = make_instance([[1, 0], [0, 1]], [0.5, 0.5], 2)
    res = enumerate_profiles(inst)
    assert res.equilibria == ((1, 1),)
    assert game.welfare(inst, (1, 1)) == pytest.approx(1.0)
    assert game.structure((1, 1)) == "differentiated"


def test_homogenized_market_dominant_model_takes_every_platform():
    # A platform on A earns 1/3; moving to B wins nothing because A still serves everyone.
    inst = make_instance([[1, 1], [0.1, 0.1]], [0.5, 0.5], 3)
    assert enumerate_profiles(inst).equilibria == ((3, 0),)
    assert game.platform_utilities(inst, (3, 0))[0] == pytest.approx(1 / 3)
    assert game.structure((3, 0)) == "homogenized"


def test_tie_between_models_splits_users_over_all_tied_platforms():
    # Type 0: A and B tie at 0.8; A has 2 platforms, B 1, so each platform gets 1/3 of type 0.
    inst = make_instance([[0.8, 0.0], [0.8 + 5e-10, 0.2], [0.1, 0.1]], [0.6, 0.4], 3)
    sh = game.shares(inst, (2, 1, 0))
    assert sh[0, 0] == pytest.approx(1 / 3) and sh[1, 0] == pytest.approx(1 / 3)
    assert sh[1, 1] == pytest.approx(1.0)  # B alone is best for type 1
    u = game.platform_utilities(inst, (2, 1, 0))
    assert u[0] == pytest.approx(0.6 * 0.8 / 3)
    assert u[1] == pytest.approx(0.6 * (0.8 + 5e-10) / 3 + 0.4 * 0.2)


def test_mass_share_utility_counts_users_not_scores():
    inst = make_instance([[0.9, 0.0], [0.0, 0.3]], [0.5, 0.5], 2, utility="mass_share")
    u = game.platform_utilities(inst, (1, 1))
    assert u == pytest.approx([0.5, 0.5])


def test_deviation_payoff_equals_utility_in_the_deviated_profile():
    rng = np.random.default_rng(1)
    for _ in range(50):
        S = rng.choice([0.0, 0.5, 1.0], size=(4, 3))
        inst = make_instance(S, rng.random(3) + 0.1, 3)
        n = np.bincount(rng.integers(0, 4, 3), minlength=4)
        for j in np.flatnonzero(n):
            o = n.copy()
            o[j] -= 1
            pay = game.payoffs_against(inst, o)
            for k in range(4):
                dev = o.copy()
                dev[k] += 1
                assert pay[k] == pytest.approx(game.platform_utilities(inst, dev)[k], abs=1e-12)


def test_no_equilibrium_three_types_cycle():
    # Rock-paper-scissors flavour found by search and verified by enumeration; see instances/no_equilibrium.json.
    from pathlib import Path

    from milp_market.instance import load_instance

    inst = load_instance(Path(__file__).resolve().parents[1] / "instances" / "no_equilibrium.json")
    assert enumerate_profiles(inst).equilibria == ()
    assert solve_market(inst, "milp").status.value == "no_equilibrium"


def test_welfare_is_mass_weighted_best_score_under_hardmax():
    S = np.array([[0.3, 0.9, 0.1], [0.7, 0.2, 0.4]])
    pi = np.array([0.2, 0.5, 0.3])
    inst = make_instance(S, pi, 3)
    assert game.welfare(inst, (2, 1)) == pytest.approx(float((pi * S.max(axis=0)).sum()))
    assert game.welfare(inst, (3, 0)) == pytest.approx(float((pi * S[0]).sum()))


def test_diversity_of_a_differentiated_market():
    inst = make_instance([[1, 0], [0, 1]], [0.25, 0.75], 2)
    assert game.hhi(inst, (1, 1)) == pytest.approx(0.25**2 + 0.75**2)
    assert game.shannon(inst, (1, 1)) == pytest.approx(-(0.25 * np.log(0.25) + 0.75 * np.log(0.75)))


def test_price_of_anarchy_from_worst_equilibrium():
    # Two equilibria; PoA and PoS follow their welfare (checked against enumeration below).
    inst = make_instance([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.6, 0.6, 0.6]], [0.4, 0.4, 0.2], 2)
    r = solve_market(inst, "milp")
    e = enumerate_profiles(inst)
    assert r.status.value == ("equilibrium" if e.equilibria else "no_equilibrium")
    if e.equilibria:
        assert r.price_of_anarchy == pytest.approx(e.social_welfare / min(e.welfare))
        assert r.price_of_stability == pytest.approx(e.social_welfare / max(e.welfare))


@pytest.mark.parametrize("method", ["search", "enumerate", "milp"])
def test_all_zero_scores_give_prices_of_one(method):
    """Every profile has welfare 0 and is optimal: the prices of anarchy and stability are 1
    (0 / 0 read as "no loss"; README, JSON output), by every method."""
    inst = make_instance(np.zeros((2, 2)), np.array([0.5, 0.5]), 2)
    res = solve_market(inst, method)
    assert res.status.value == "equilibrium"
    assert res.price_of_anarchy == 1.0 and res.price_of_stability == 1.0
