"""Logit (softmax) choice in the exact evaluator, enumeration and dynamics: known answers."""

import math

import numpy as np
import pytest

from milp_market import game, make_instance
from milp_market.cli import main
from milp_market.dynamics import best_response_dynamics
from milp_market.orchestrate import solve_market


def test_softmax_shares_follow_the_logit_formula():
    S = np.array([[1.0, 0.0], [0.5, 1.0]])
    inst = make_instance(S, [0.5, 0.5], 3, choice="softmax", beta=2.0)
    n = (2, 1)
    sh = game.shares(inst, n)
    z0 = 2 * math.exp(2.0) + math.exp(1.0)
    assert sh[0, 0] == pytest.approx(math.exp(2.0) / z0)
    assert sh[1, 0] == pytest.approx(math.exp(1.0) / z0)
    assert (n[0] * sh[0] + n[1] * sh[1]) == pytest.approx([1.0, 1.0])


def test_softmax_with_huge_beta_does_not_overflow_and_approaches_hardmax():
    S = np.array([[0.9, 0.1], [0.2, 0.8]])
    soft = make_instance(S, [0.6, 0.4], 2, choice="softmax", beta=1e4)
    hard = make_instance(S, [0.6, 0.4], 2)
    for n in [(2, 0), (1, 1), (0, 2)]:
        assert np.all(np.isfinite(game.platform_utilities(soft, n)))
        assert game.platform_utilities(soft, n) == pytest.approx(game.platform_utilities(hard, n), abs=1e-9)


def test_softmax_deviation_payoff_equals_utility_after_the_switch():
    rng = np.random.default_rng(3)
    inst = make_instance(rng.random((4, 3)), rng.random(3) + 0.1, 3, choice="softmax", beta=5.0)
    n = np.array([1, 2, 0, 0])
    o = n.copy()
    o[1] -= 1
    pay = game.payoffs_against(inst, o)
    for k in range(4):
        dev = o.copy()
        dev[k] += 1
        assert pay[k] == pytest.approx(game.platform_utilities(inst, dev)[k])


def test_softmax_dynamics_and_enumeration_agree_on_convergence():
    inst = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, choice="softmax", beta=10.0)
    res = best_response_dynamics(inst, start=[0, 0])
    assert res.status == "converged" and res.counts(inst) == (1, 1)
    assert solve_market(inst, "auto").best.profile.counts == (1, 1)


def test_milp_method_on_softmax_solves_from_the_cli(tmp_path, capsys):
    import json

    inst = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, choice="softmax", beta=10.0)
    path = tmp_path / "soft.json"
    path.write_text(json.dumps(inst.to_json_dict()))
    assert main(["solve", str(path), "--method", "milp", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "equilibrium"
    assert out["best"]["counts"] == {"m0": 1, "m1": 1} and out["best"]["proven_optimal"]


@pytest.mark.slow
@pytest.mark.parametrize("beta", [0.5, 5.0, 50.0, 1e4])
@pytest.mark.parametrize("family", ["uniform", "specialist", "ties", "dominant"])
@pytest.mark.parametrize("utility", ["score_share", "mass_share"])
def test_logit_enumeration_screen_never_drops_an_equilibrium(beta, family, utility):
    """The vectorized logit screen only discards: its equilibria and social optimum equal a
    brute force that checks every count vector with game.is_equilibrium and game.welfare."""
    from milp_market import game
    from milp_market.enumeration import count_vectors, enumerate_profiles
    from milp_market.generators import generate

    for seed in range(4):
        for M, K, N in ((5, 4, 3), (4, 3, 4), (3, 3, 1)):
            inst = generate(family, M, K, N, seed, utility=utility, choice="softmax", beta=beta)
            res = enumerate_profiles(inst)
            profiles = [tuple(int(x) for x in c) for C in count_vectors(M, N) for c in C]
            truth = {c for c in profiles if game.is_equilibrium(inst, c)}
            assert set(res.equilibria) == truth, (family, utility, beta, seed, M, K, N)
            assert abs(res.social_welfare - max(game.welfare(inst, c) for c in profiles)) <= 1e-9
