"""MILP answers agree with complete enumeration on hundreds of random small instances."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milp_market import make_instance
from milp_market.generators import generate
from milp_market.orchestrate import solve_market

CASES = [
    (family, utility, seed)
    for family in ("uniform", "specialist", "ties", "dominant")
    for utility in ("score_share", "mass_share")
    for seed in range(45)
]  # 360 instances


def _answer(res):
    out = {"status": res.status.value, "so": round(res.social_optimum.welfare, 7)}
    if res.best is not None:
        out["best"] = round(res.best.profile.welfare, 7)
        out["worst"] = round(res.worst.profile.welfare, 7)
        out["poa"] = round(res.price_of_anarchy, 6)
        out["pos"] = round(res.price_of_stability, 6)
    return out


def _size(seed):
    rng = np.random.default_rng(seed)
    return int(rng.integers(2, 7)), int(rng.integers(1, 6)), int(rng.integers(1, 5))


@pytest.mark.slow
@pytest.mark.parametrize("family,utility,seed", CASES)
def test_milp_matches_enumeration(family, utility, seed):
    M, K, N = _size(seed)
    inst = generate(family, M, K, N, seed, utility=utility)
    milp = solve_market(inst, "milp")
    enum = solve_market(inst, "enumerate")
    assert _answer(milp) == _answer(enum)
    assert milp.verified
    if milp.best is not None:
        assert milp.best.proven and milp.worst.proven


grid = st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])


@settings(max_examples=60, deadline=None)
@given(
    scores=st.integers(2, 5).flatmap(
        lambda M: st.integers(1, 4).flatmap(lambda K: st.lists(st.lists(grid, min_size=K, max_size=K), min_size=M, max_size=M))
    ),
    N=st.integers(1, 4),
    data=st.data(),
)
@pytest.mark.slow
def test_milp_matches_enumeration_on_tie_heavy_grids(scores, N, data):
    K = len(scores[0])
    masses = data.draw(st.lists(st.sampled_from([1.0, 2.0, 3.0]), min_size=K, max_size=K))
    inst = make_instance(scores, masses, N)
    assert _answer(solve_market(inst, "milp")) == _answer(solve_market(inst, "enumerate"))
