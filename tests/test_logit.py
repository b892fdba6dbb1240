"""Logit (softmax) choice by MILP (formulations/logit.md) against brute force and against Gambit.

Every instance is solved both ways: existence, welfare-best and -worst equilibrium, social
optimum, PoA and PoS (solve_market), the minimum-regret epsilon (min_regret) and the full set of
pure equilibria (all_equilibria_milp) must equal complete enumeration's. Betas 0.5 to 50; the
``ties`` family puts equal scores (equal logit weights) on many models.
"""

import numpy as np
import pytest

from milp_market import game
from milp_market.enumeration import count_vectors, enumerate_profiles
from milp_market.formulations import logit as lgf
from milp_market.generators import generate
from milp_market.orchestrate import all_equilibria_milp, solve_market
from milp_market.regret import min_regret, min_regret_enumerate

BETAS = (0.5, 2.0, 10.0, 50.0)
CASES = [(f, beta, s) for f in ("uniform", "specialist", "ties", "dominant") for beta in BETAS for s in range(13)]  # 208

#: Certified optima are optimal to within solve.CUTOFF_DELTA (1e-6) times the instance's scale.
WELFARE_TOL = 2e-6


def _size(seed):
    rng = np.random.default_rng(seed + 7)
    return int(rng.integers(2, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 4))


def _instance(family, beta, seed):
    M, K, N = _size(seed)
    utility = ("score_share", "mass_share")[seed % 2]
    return generate(family, M, K, N, seed, utility=utility, choice="softmax", beta=beta)


@pytest.mark.slow
@pytest.mark.parametrize("family,beta,seed", CASES)
def test_logit_milp_matches_enumeration(family, beta, seed):
    inst = _instance(family, beta, seed)
    enum = solve_market(inst, "enumerate")
    milp = solve_market(inst, "milp")
    assert milp.status == enum.status and milp.verified
    assert milp.social_optimum_proven
    assert abs(milp.social_optimum.welfare - enum.social_optimum.welfare) <= WELFARE_TOL
    if enum.best is not None:
        assert milp.best.proven and milp.worst.proven
        assert abs(milp.best.profile.welfare - enum.best.profile.welfare) <= WELFARE_TOL
        assert abs(milp.worst.profile.welfare - enum.worst.profile.welfare) <= WELFARE_TOL
        assert milp.price_of_anarchy == pytest.approx(enum.price_of_anarchy, abs=1e-5)

    mr = min_regret(inst, method="milp")  # the logit MILP's loop; the search: test_min_regret.py
    assert mr.status == "optimal"
    assert mr.epsilon == pytest.approx(game.max_regret(inst, mr.counts), abs=1e-12)
    assert abs(mr.epsilon - min_regret_enumerate(inst).epsilon) <= WELFARE_TOL
    assert (mr.epsilon <= game.EQ_TOL) == (enum.best is not None)

    every = all_equilibria_milp(inst)
    assert every.status == "complete"
    assert set(every.equilibria) == set(enumerate_profiles(inst).equilibria)


@pytest.mark.slow
@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("seed", range(6))
def test_logit_rows_are_valid_at_equilibria_and_exact_elsewhere(beta, seed):
    """Solver-independent: with every deviation row and the tangents at every profile's own R,
    each equilibrium's intended point satisfies every row, and each non-equilibrium whose largest
    gain exceeds the rows' slack violates one."""
    inst = generate(("uniform", "ties")[seed % 2], 3, 2, 3, seed, utility="score_share", choice="softmax", beta=beta)
    f = lgf.LogitEquilibriumMILP(inst)
    d = f.data
    profiles = [tuple(int(c) for c in n) for batch in count_vectors(3, 3) for n in batch]
    for j in range(3):
        for k in range(3):
            if j != k:
                f.add_deviation_row(j, k)
                for n in profiles:
                    if n[j] > 0:
                        for t in range(d.K):
                            f.add_tangent(j, k, t, lgf.others_weight(d, n, j, k, t))
    for n in profiles:
        f.intended_point(n)
        violated = f.row_violations(tol=1e-9)
        if game.is_equilibrium(inst, n):
            assert violated == []
        elif game.max_regret(inst, n) > 2 * d.eps * d.scale:
            assert violated, n


def test_cli_approximate_on_the_shipped_logit_instance(capsys):
    """instances/cifar10_paper_logit.json (probability-profile qualities, issue 13 item 5): under
    logit choice (beta 20) the hardmax equilibrium airauto x1 + catdog1.5 x2 is a pure
    equilibrium, so the minimum regret is 0 at that profile."""
    import json

    from milp_market.cli import main

    from .conftest import INSTANCES

    assert main(["solve", str(INSTANCES / "cifar10_paper_logit.json"), "--method", "milp", "--approximate", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "equilibrium"
    assert out["best"]["counts"] == {"airauto": 1, "catdog1.5": 2}
    mr = out["min_regret"]
    assert mr["counts"] == {"airauto": 1, "catdog1.5": 2}
    assert mr["epsilon"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("beta", [0.0, 200.0, 1e4])
@pytest.mark.parametrize("seed", range(4))
def test_logit_milp_is_exact_at_extreme_beta(beta, seed):
    """beta 0 (every platform gets 1/N) and weight ratios far beyond float range (exp(beta dS)
    with beta dS up to 1e4): the numerical safeguards of formulations/logit.md keep the answers
    equal to enumeration's."""
    inst = generate(("uniform", "ties")[seed % 2], 4, 3, 3, seed, choice="softmax", beta=beta)
    enum = solve_market(inst, "enumerate")
    milp = solve_market(inst, "milp")
    assert milp.status == enum.status
    assert abs(milp.social_optimum.welfare - enum.social_optimum.welfare) <= WELFARE_TOL
    if enum.best is not None:
        assert abs(milp.best.profile.welfare - enum.best.profile.welfare) <= WELFARE_TOL
        assert abs(milp.worst.profile.welfare - enum.worst.profile.welfare) <= WELFARE_TOL
    assert abs(min_regret(inst, method="milp").epsilon - min_regret_enumerate(inst).epsilon) <= WELFARE_TOL


# Reproducers from the review of the logit MILP (each failed before its fix).


def test_near_tie_social_optimum_is_never_below_an_equilibrium():
    from milp_market import make_instance

    inst = make_instance([[27.5000002], [27.5000001], [27.5]], [1], 2, choice="softmax", beta=1e4)
    res = solve_market(inst, "milp")  # raised "an equilibrium has more welfare than the social optimum"
    enum = solve_market(inst, "enumerate")
    assert res.social_optimum.welfare >= res.best.profile.welfare
    assert abs(res.social_optimum.welfare - enum.social_optimum.welfare) <= WELFARE_TOL * 27.5


def test_min_regret_survives_a_wrong_infeasible_from_one_configuration():
    from milp_market import make_instance

    inst = make_instance([[1], [1], [1.000001]], [1], 3, choice="softmax", beta=0.5)
    mr = min_regret(inst, method="milp")  # was "unknown" with no profile: PRIMARY called the model infeasible
    assert mr.status == "optimal" and mr.epsilon <= WELFARE_TOL


@pytest.mark.parametrize("choice", ["hardmax", "softmax"])
def test_mass_share_welfare_is_certified_in_its_own_unit(choice):
    from milp_market import make_instance

    # Under mass_share the utilities' unit is the largest mass; welfare differences of 5e-10 were
    # below the certification cutoff in that unit and the worst equilibrium came out wrong.
    inst = make_instance([[1e-9], [5e-10]], [1], 2, choice=choice, beta=1.0, utility="mass_share")
    res = solve_market(inst, "milp")
    assert res.worst.profile.counts == (0, 2) and res.social_optimum.counts == (2, 0)
    assert res.price_of_anarchy == pytest.approx(2.0)


def test_all_equilibria_are_listed_by_exact_welfare():
    from milp_market import make_instance

    inst = make_instance([[1, 1], [1.0000002, 1.0000001], [1.0000001, 1.0000002]], [0.5061, 0.4939], 2, choice="softmax", beta=0.5)
    eqs = all_equilibria_milp(inst).equilibria
    w = [game.welfare(inst, n) for n in eqs]
    assert w == sorted(w, reverse=True) and set(eqs) == set(enumerate_profiles(inst).equilibria)
