"""The rows of the equilibrium MILP are valid: at every equilibrium (found by enumeration) the
point that the page's definitions give satisfies every row, including every generated deviation
row. This checks the formulation independently of any solver."""

import pytest

from milp_market.enumeration import enumerate_profiles
from milp_market.formulations import equilibrium as eqf
from milp_market.generators import generate

CASES = [(f, u, s) for f in ("uniform", "ties", "specialist") for u in ("score_share", "mass_share") for s in range(8)]


@pytest.mark.parametrize("family,utility,seed", CASES)
def test_every_equilibrium_satisfies_every_row(family, utility, seed):
    inst = generate(family, 4, 3, 3, seed, utility=utility)
    res = enumerate_profiles(inst)
    f = eqf.HardmaxEquilibriumMILP(inst)
    for j in range(inst.n_models):
        for k in range(inst.n_models):
            f.add_deviation_rows(j, k)
    for eq in res.equilibria:
        f.intended_point(eq)
        assert f.row_violations(tol=1e-9) == []


@pytest.mark.parametrize("seed", range(10))
def test_all_rows_cut_off_non_equilibria_without_tie_partners(seed):
    # Exactness: with every pair row present and no ties between models, a profile that is not
    # an equilibrium violates some row at its intended point.
    inst = generate("uniform", 4, 3, 3, seed)
    from milp_market import game
    from milp_market.enumeration import count_vectors

    f = eqf.HardmaxEquilibriumMILP(inst)
    for j in range(4):
        for k in range(4):
            f.add_deviation_rows(j, k)
    for batch in count_vectors(4, 3):
        for n in batch:
            f.intended_point(n)
            assert (f.row_violations(tol=1e-7) == []) == game.is_equilibrium(inst, n)
