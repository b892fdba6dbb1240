"""Cross-check against Gambit (pygambit): the full N-player normal form of small instances, Gambit's
pure-equilibrium enumeration, and the solver's equilibrium set (a Gambit profile maps to a count
vector; the oracle is tests/gambit_oracle.py). pygambit is the `gambit` extra (CI installs it);
without it these tests are skipped and say so."""

import numpy as np
import pytest

from milp_market import game
from milp_market.enumeration import enumerate_profiles
from milp_market.generators import generate
from milp_market.orchestrate import all_equilibria_milp, solve_market

from .gambit_oracle import gambit_pure_equilibria

pytest.importorskip("pygambit", reason="pygambit not installed: pip install -e '.[gambit]'")

CASES = [(f, s) for f in ("uniform", "ties", "specialist") for s in range(12)]  # 36 instances


@pytest.mark.slow
@pytest.mark.parametrize("family,seed", CASES)
def test_equilibrium_set_matches_gambit(family, seed):
    rng = np.random.default_rng(seed + 100)
    M, K, N = int(rng.integers(2, 5)), int(rng.integers(1, 5)), int(rng.integers(2, 4))
    inst = generate(family, M, K, N, seed)
    ours = set(enumerate_profiles(inst).equilibria)
    assert gambit_pure_equilibria(inst) == ours
    res = solve_market(inst, "milp")
    assert (res.status.value == "equilibrium") == bool(ours)
    if ours:
        assert res.best.profile.counts in ours and res.worst.profile.counts in ours


LOGIT_CASES = [(f, beta, s) for f in ("uniform", "ties", "specialist") for beta in (0.5, 5.0, 50.0) for s in range(4)]  # 36


@pytest.mark.slow
@pytest.mark.parametrize("family,beta,seed", LOGIT_CASES)
def test_logit_equilibrium_set_matches_gambit(family, beta, seed):
    rng = np.random.default_rng(seed + 200)
    M, K, N = int(rng.integers(2, 5)), int(rng.integers(1, 5)), int(rng.integers(2, 4))
    inst = generate(family, M, K, N, seed, choice="softmax", beta=beta)
    ours = set(all_equilibria_milp(inst).equilibria)
    assert ours == set(enumerate_profiles(inst).equilibria)
    theirs = gambit_pure_equilibria(inst)
    # Gambit counts any positive gain (payoffs rounded to 1e-10) as profitable; ours tolerate gains
    # up to game.EQ_TOL = 1e-9. Large beta makes such tiny gains common, so the sets may differ,
    # but only by profiles whose largest gain lies in that band.
    assert theirs <= ours
    for n in ours - theirs:
        assert 0 < game.max_regret(inst, n) <= game.EQ_TOL
