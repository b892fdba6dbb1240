"""Social-optimum MILP: the largest user welfare over all placements of N platforms.

Implements formulations/social_optimum.md in :class:`SocialOptimumMILP`. Under hardmax choice
welfare depends only on the set of models in use (users get the best score among them), so the MILP
chooses at most N models; counts are then completed by :meth:`SocialOptimumMILP.decode`. It has no
rows to generate: every solution is a placement, so the certification engine accepts each one.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..instance import Instance
from .base import CountVectorMILP
from .equilibrium import build_top_level_block, prepare


class SocialOptimumMILP(CountVectorMILP):
    """formulations/social_optimum.md: maximize W over sets of at most N models in use.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> f = SocialOptimumMILP(make_instance(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.5, 0.5]), 3))
    >>> f.maximize, f.model.nvariables()
    (True, 6)
    """

    page = "formulations/social_optimum.md"

    def __init__(self, inst: Instance):
        super().__init__()
        self.inst = inst
        self.data = d = prepare(inst)
        self.welfare_cap = float(sum(v.max() for v in d.welfare_value))
        m = self.model = pyo.ConcreteModel(name=f"social_optimum[{inst.name}]")
        build_top_level_block(m, d, with_counts=False)
        self._add_cutoff_components()
        m.obj = pyo.Objective(expr=m.W, sense=pyo.maximize)

    def decode(self) -> tuple[int, ...]:
        """Models in use get one platform each; the remaining platforms join the first of them
        (any completion has the same welfare)."""
        m, d = self.model, self.data
        used = [j for j in range(d.M) if pyo.value(m.xv[j]) > 0.5]
        counts = [0] * d.M
        for j in used:
            counts[j] = 1
        counts[used[0]] += d.N - len(used)
        return tuple(counts)

    def add_rows_for(self, counts, threshold: float) -> int:
        return 0  # every placement is feasible: nothing to cut

    def add_no_good(self, counts) -> None:
        raise NotImplementedError("the social-optimum MILP accepts every placement")
