"""Social-optimum MILP: the largest user welfare over all placements of N platforms.

Implements formulations/social_optimum.md. Under hardmax choice welfare depends only on the set of
models in use (users get the best score among them), so the MILP chooses at most N models; counts
are then completed by :func:`decode_counts`.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..instance import Instance
from .equilibrium import build_top_level_block, prepare


def build_social_optimum_model(inst: Instance) -> pyo.ConcreteModel:
    d = prepare(inst)
    m = pyo.ConcreteModel(name=f"social_optimum[{inst.name}]")
    m.data = d
    build_top_level_block(m, d, with_counts=False)
    m.obj = pyo.Objective(expr=m.W, sense=pyo.maximize)
    return m


def decode_counts(m) -> tuple[int, ...]:
    """Models in use get one platform each; the remaining platforms join the first of them
    (any completion has the same welfare)."""
    d = m.data
    used = [j for j in range(d.M) if pyo.value(m.xv[j]) > 0.5]
    counts = [0] * d.M
    for j in used:
        counts[j] = 1
    counts[used[0]] += d.N - len(used)
    return tuple(counts)
