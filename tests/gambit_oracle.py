"""The Gambit oracle of the tests: Gambit's pure-equilibrium enumeration (``enumpure``) on the full
N-player normal form of a small instance, as a set of count vectors.

Payoffs come from ``milp_market.game.platform_utilities``, the exact evaluator whose semantics
every solver is held to; what Gambit contributes is an independent enumeration of the pure
equilibria of that table. pygambit (test extras) is imported on first use, so that collecting this
module never needs it. ``milp-market bench`` times its own copy of this baseline
(``milp_market.bench._gambit_pure_equilibria``; the package does not import from tests/), and
tests/test_bench.py checks that the two agree.
"""

from __future__ import annotations

import itertools

import numpy as np

from milp_market import game


def gambit_pure_equilibria(inst) -> set[tuple[int, ...]]:
    """Pure equilibria of ``inst`` by Gambit's enumpure, as count vectors (platforms per model).

    The normal form has M^N profiles: keep M and N small. Payoffs are rounded to 1e-10, so that
    float noise in exact ties (1/3 computed two ways) is not a profitable deviation.
    """
    import pygambit as gbt

    M, N = inst.n_models, inst.platforms
    payoff = np.zeros((N,) + (M,) * N)
    for prof in itertools.product(range(M), repeat=N):
        util = game.platform_utilities(inst, np.bincount(prof, minlength=M))
        for i in range(N):
            payoff[(i,) + prof] = round(float(util[prof[i]]), 10)
    g = gbt.Game.from_arrays(*payoff)
    eqs = set()
    for eq in gbt.nash.enumpure_solve(g).equilibria:
        picks = [int(np.argmax([float(eq[s]) for s in player.strategies])) for player in g.players]
        eqs.add(tuple(int(c) for c in np.bincount(picks, minlength=M)))
    return eqs
