"""Logit shares and payoffs are exact for every beta >= 0 (issue #12, item 2): compared with a
60-digit decimal reference at beta up to 1e300, where computing beta * S and subtracting a log
partition function once lost every digit; masses are normalized without overflow."""

from decimal import Decimal, localcontext

import numpy as np
import pytest

from milp_market import game, make_instance
from milp_market.enumeration import enumerate_profiles

BETAS = [0.0, 1e-3, 1.0, 50.0, 1e4, 1e13, 1e16, 1e300]


def _ref_shares(S, counts, beta):
    """Decimal reference: share of one platform on j of type t."""
    with localcontext() as ctx:
        ctx.prec = 60
        ctx.Emin = -10**9
        M, K = S.shape
        b = Decimal(beta)
        out = np.zeros((M, K))
        for t in range(K):
            used = [i for i in range(M) if counts[i] > 0]
            ref = max(Decimal(S[i, t]) for i in used)
            e = {i: (b * (Decimal(S[i, t]) - ref)).exp() for i in used}
            Z = sum(counts[i] * e[i] for i in used)
            for i in used:
                out[i, t] = float(e[i] / Z)
        return out


def _ref_payoffs(S, w, opponents, beta):
    with localcontext() as ctx:
        ctx.prec = 60
        ctx.Emin = -10**9
        M, K = S.shape
        b = Decimal(beta)
        out = np.zeros(M)
        for k in range(M):
            tot = Decimal(0)
            for t in range(K):
                used = [i for i in range(M) if opponents[i] > 0] + [k]
                ref = max(Decimal(S[i, t]) for i in used)
                Z = sum(opponents[i] * (b * (Decimal(S[i, t]) - ref)).exp() for i in range(M) if opponents[i] > 0)
                ek = (b * (Decimal(S[k, t]) - ref)).exp()
                tot += Decimal(w[k, t]) * ek / (ek + Z)
            out[k] = float(tot)
        return out


def _instances(rng):
    for _ in range(6):
        M, K = int(rng.integers(2, 5)), int(rng.integers(1, 4))
        S = np.round(rng.random((M, K)), 2)
        if rng.random() < 0.5:  # near-ties: gaps of a few ulps to 1e-9
            S[1] = S[0] + rng.choice([0.0, 1e-15, 1e-12, 1e-9], size=K)
        yield S, rng.dirichlet(np.ones(K))


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("utility", ["score_share", "mass_share"])
def test_shares_and_payoffs_match_a_decimal_reference(beta, utility):
    rng = np.random.default_rng([int(np.log10(beta + 1e-300) + 400), len(utility)])
    for S, pi in _instances(rng):
        M = S.shape[0]
        inst = make_instance(S, pi, 3, utility=utility, choice="softmax", beta=beta)
        w = game.utility_weights(inst)
        for counts in [(3,) + (0,) * (M - 1), (1, 1, 1) + (0,) * (M - 3) if M >= 3 else (2, 1) + (0,) * (M - 2), (0,) * (M - 1) + (3,)]:
            p = game.shares(inst, counts)
            assert np.allclose(p, _ref_shares(S, counts, beta), rtol=1e-12, atol=1e-300)
            n = np.asarray(counts, dtype=float)
            assert np.allclose((n[:, None] * p).sum(axis=0), 1.0, rtol=1e-14)
            W = game.welfare(inst, counts)
            used = n > 0
            assert W <= (inst.masses * S[used].max(axis=0)).sum() * (1 + 1e-14)
            assert W >= (inst.masses * S[used].min(axis=0)).sum() * (1 - 1e-14)
        for opp in [(2,) + (0,) * (M - 1), (0, 2) + (0,) * (M - 2), (0,) * M]:
            assert np.allclose(game.payoffs_against(inst, opp), _ref_payoffs(S, w, opp, beta), rtol=1e-12, atol=1e-300)


def test_a_two_by_two_game_at_beta_1e16_has_the_true_welfare():
    # Two models, one type, scores 1e-16 apart in a sum that once rounded away: the shares must
    # still sum to one and the welfare stay between the two scores.
    inst = make_instance(np.array([[0.5], [0.5 + 2**-53]]), np.array([1.0]), 2, choice="softmax", beta=1e16)
    for n in [(2, 0), (1, 1), (0, 2)]:
        assert 0.5 <= game.welfare(inst, n) <= 0.5 + 2**-52
    res = enumerate_profiles(inst)
    assert all(0.5 <= w <= 0.5 + 2**-52 for w in [res.social_welfare])


@pytest.mark.parametrize("beta", [1e13, 1e16, 1e300])
def test_huge_beta_enumeration_gives_the_hardmax_answer_on_separated_scores(beta):
    # Scores far apart in beta units: logit choice is hardmax (no exact ties), so the
    # equilibria of both rules coincide.
    S = np.array([[0.9, 0.2, 0.4], [0.3, 0.8, 0.1], [0.5, 0.6, 0.7]])
    pi = np.array([0.5, 0.3, 0.2])
    soft = make_instance(S, pi, 3, choice="softmax", beta=beta)
    hard = make_instance(S, pi, 3)
    assert set(enumerate_profiles(soft).equilibria) == set(enumerate_profiles(hard).equilibria)
    assert enumerate_profiles(soft).social_welfare == pytest.approx(enumerate_profiles(hard).social_welfare, rel=1e-14)


@pytest.mark.parametrize("scale", [1e308, 1e-300, 1.0])
def test_masses_are_normalized_without_overflow(scale):
    inst = make_instance(np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([scale, scale / 2]), 2)
    assert np.allclose(inst.masses, [2 / 3, 1 / 3])
    assert game.welfare(inst, (1, 1)) == pytest.approx(1.0)
