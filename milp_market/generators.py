"""Seeded random instance families, for tests, benchmarks and sweeps.

- ``uniform``: i.i.d. uniform scores, Dirichlet(1) masses. Equilibria are rare; proving absence is
  the hard case.
- ``specialist``: low rank. User types are Dirichlet mixtures over ``categories`` skill categories;
  each model has a base quality plus boosts on 1-3 categories; scores = preference-weighted quality.
- ``ties``: scores on a grid of five values, equal masses (tie-heavy).
- ``dominant``: uniform scores, one user type holding most of the mass.
"""

from __future__ import annotations

import numpy as np

from .instance import Instance, make_instance

FAMILIES = ("uniform", "specialist", "ties", "dominant")


def generate(
    family: str, M: int, K: int, N: int, seed: int, utility: str = "score_share", choice: str = "hardmax", beta: float = 1.0
) -> Instance:
    """A seeded instance of ``family``; ``choice``/``beta`` set the user choice rule (the scores
    do not depend on them, so a family's hardmax and logit instances share their scores).

    Examples
    --------
    >>> inst = generate("uniform", 5, 4, 3, seed=0)
    >>> inst.name, inst.scores.shape, inst.platforms
    ('uniform-M5-K4-N3-s0', (5, 4), 3)
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose from {', '.join(FAMILIES)}")
    rng = np.random.default_rng([FAMILIES.index(family), M, K, N, seed])
    if family == "uniform":
        S = rng.random((M, K))
        pi = rng.dirichlet(np.ones(K))
    elif family == "specialist":
        categories = min(10, max(2, K))
        pref = rng.dirichlet(np.full(categories, 0.3), size=K)  # (K, categories)
        base = rng.uniform(0.2, 0.6, size=M)
        quality = np.repeat(base[:, None], categories, axis=1)
        for j in range(M):
            boosted = rng.choice(categories, size=rng.integers(1, min(3, categories) + 1), replace=False)
            quality[j, boosted] += rng.uniform(0.2, 0.5, size=boosted.size)
        S = quality @ pref.T
        pi = rng.dirichlet(np.ones(K))
    elif family == "ties":
        S = rng.choice(np.linspace(0.2, 1.0, 5), size=(M, K))
        pi = np.ones(K)
    elif family == "dominant":
        S = rng.random((M, K))
        pi = rng.dirichlet(np.ones(K)) * 0.3
        pi[rng.integers(K)] += 0.7
    return make_instance(
        np.round(S, 6) if family != "ties" else S,
        pi,
        N,
        name=f"{family}-M{M}-K{K}-N{N}-s{seed}" + (f"-logit{beta:g}" if choice == "softmax" else ""),
        model_names=[f"model{j}" for j in range(M)],
        type_names=[f"type{t}" for t in range(K)],
        utility=utility,
        choice=choice,
        beta=beta,
        description=f"generated: family {family}, seed {seed}" + (f", logit choice beta {beta:g}" if choice == "softmax" else ""),
    )
