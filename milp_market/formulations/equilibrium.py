"""Pure-equilibrium MILP under hardmax choice (existence, welfare-best, welfare-worst).

Implements formulations/equilibrium.md in :class:`HardmaxEquilibriumMILP`; component names follow
the symbols on that page. The class builds the relaxation once and owns its row-generation state
(the (j, k) pairs whose rows are in); the loop that drives it (solve, verify exactly, add rows or a
no-good, re-solve; two configurations must agree) is milp_market/certify.py. The model is a
*relaxation* of the equilibrium set until every profitable deviation of its optimum has been cut
off, which is why every candidate is verified exactly before it is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from .. import game
from ..instance import Instance
from .base import CountVectorMILP

#: Slack (in scaled units, largest coefficient 1) on every no-profitable-deviation row. Equilibria
#: often sit exactly on these rows (a deviation that gains exactly 0); a slack far below HiGHS's
#: feasibility tolerance (1e-7) let presolve cut such equilibria off in tests. A larger slack only
#: loosens the relaxation: candidates are verified exactly, and a false one is cut by a no-good.
MILP_SLACK = 1e-6


@dataclass(frozen=True)
class EquilibriumData:
    """Precomputed index sets and scaled coefficients shared by the rows of the model.

    Built by :func:`prepare`.

    Examples
    --------
    Generalist (0.8, 0.8) and specialist (1.0, 0.1) over two user types: the specialist is in
    the top class of type 0, the generalist of type 1; no ties:

    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> d = prepare(inst)
    >>> d.M, d.K, d.N, d.level.tolist(), d.members, d.tie
    (2, 2, 2, [[0, 1], [1, 0]], (((0,), (1,)), ((1,), (0,))), frozenset())
    >>> d.scale, d.welfare_scale, d.w.round(4).tolist()
    (0.6, 0.6, [[0.8, 0.5333], [1.0, 0.0667]])
    """

    M: int
    K: int
    N: int
    level: np.ndarray  # (M, K) tie class of model j for type t
    n_levels: tuple[int, ...]  # classes per type
    members: tuple  # members[t][l] = models in class l of type t
    tie: frozenset  # (t, l) classes holding two or more models
    w: np.ndarray  # (M, K) utility weights divided by `scale`
    welfare_value: tuple  # welfare_value[t][l] = pi_t * (score of class l) / welfare_scale
    scale: float
    welfare_scale: float  # W's unit: scale under score_share (utilities sum to welfare), else max pi_t S_jt
    eps: float  # the equilibrium tolerance in scaled units


def utility_scale(inst: Instance) -> float:
    """The unit of utilities in the models: the largest of w_jt and pi_t S_jt, so the largest
    coefficient is 1 (one scale for both keeps "sum of utilities = welfare" exact under
    score_share). 1 for an all-zero game.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> utility_scale(inst)  # the largest pi_t S_jt: 0.6 * 1.0
    0.6
    """
    scale = float(max(game.utility_weights(inst).max(), (inst.masses[None, :] * inst.scores).max()))
    return scale if scale > 0 else 1.0


def welfare_unit(inst: Instance) -> float:
    """The unit of W in the models. Under score_share utilities sum to welfare, so W shares the
    utilities' scale (the row N v <= W needs it). Under mass_share W has its own unit, the largest
    pi_t S_jt: with the utilities' unit (the largest mass) welfare differences among tiny scores
    would fall below the certification tolerance (CUTOFF_DELTA is in W's unit).

    Examples
    --------
    With scores at most 0.5, mass_share utilities keep the largest mass (0.6) as unit while W
    gets the largest pi_t S_jt:

    >>> from milp_market import make_instance
    >>> inst = make_instance([[0.4, 0.4], [0.5, 0.05]], [0.6, 0.4], 2, utility="mass_share")
    >>> utility_scale(inst), welfare_unit(inst)
    (0.6, 0.3)
    """
    if inst.utility == "score_share":
        return utility_scale(inst)
    top = float((inst.masses[None, :] * inst.scores).max())
    return top if top > 0 else 1.0


def prepare(inst: Instance) -> EquilibriumData:
    """The index sets and scaled coefficients of ``inst`` (:class:`EquilibriumData`).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> d = prepare(inst)
    >>> d.n_levels, [v.round(4).tolist() for v in d.welfare_value], d.eps
    ((2, 2), [[0.8, 1.0], [0.0667, 0.5333]], 1e-06)
    """
    lv = game.tie_levels(inst)
    w = game.utility_weights(inst)
    scale = utility_scale(inst)
    welfare_scale = welfare_unit(inst)
    tie = frozenset((t, l) for t in range(inst.n_types) for l in range(lv.count(t)) if len(lv.members[t][l]) > 1)
    return EquilibriumData(
        M=inst.n_models,
        K=inst.n_types,
        N=inst.platforms,
        level=lv.level,
        n_levels=tuple(lv.count(t) for t in range(inst.n_types)),
        members=lv.members,
        tie=tie,
        w=w / scale,
        welfare_value=tuple(inst.masses[t] * lv.value[t] / welfare_scale for t in range(inst.n_types)),
        scale=scale,
        welfare_scale=welfare_scale,
        eps=max(game.EQ_TOL / scale, MILP_SLACK),
    )


def build_top_level_block(m, d: EquilibriumData, *, with_counts: bool) -> None:
    """Sets, the use indicators and the top-class variables shared with the social-optimum MILP.

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model to add the components to.
    d : EquilibriumData
    with_counts : bool
        Add the one-hot count variables ``b[j, c]`` (the equilibrium MILPs); without them the
        block has use indicators ``xv[j]`` for at most N models (the social optimum).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"])
    >>> import pyomo.environ as pyo
    >>> m = pyo.ConcreteModel()
    >>> build_top_level_block(m, prepare(inst), with_counts=True)
    >>> hasattr(m, "b"), hasattr(m, "xv"), m.nvariables()
    (True, False, 10)
    """
    M, K, N = d.M, d.K, d.N
    m.J = pyo.RangeSet(0, M - 1, doc="models")
    m.T = pyo.RangeSet(0, K - 1, doc="user types")
    m.TL = pyo.Set(initialize=[(t, l) for t in range(K) for l in range(d.n_levels[t])], dimen=2, doc="(type, tie class)")
    if with_counts:
        m.C = pyo.RangeSet(0, N, doc="platform counts")
        m.b = pyo.Var(m.J, m.C, domain=pyo.Binary, doc="b[j,c] = 1 iff exactly c platforms use model j")
        m.one_count = pyo.Constraint(m.J, rule=lambda m, j: sum(m.b[j, c] for c in m.C) == 1)
        m.all_platforms = pyo.Constraint(expr=sum(c * m.b[j, c] for j in m.J for c in m.C) == N)
        m.x = pyo.Expression(m.J, rule=lambda m, j: 1 - m.b[j, 0], doc="x[j] = 1 iff model j is in use")
    else:
        m.xv = pyo.Var(m.J, domain=pyo.Binary, doc="x[j] = 1 iff model j is in use")
        m.x = pyo.Expression(m.J, rule=lambda m, j: m.xv[j])
        m.at_most_N = pyo.Constraint(expr=sum(m.xv[j] for j in m.J) <= N)
        m.at_least_1 = pyo.Constraint(expr=sum(m.xv[j] for j in m.J) >= 1)
    m.Y = pyo.Var(m.TL, bounds=(0, 1), doc="Y[t,l] = 1 iff the best model in use for type t is in class l or above")
    for t in range(K):
        m.Y[t, 0].fix(1)
    m.Y_nested = pyo.Constraint(
        [(t, l) for (t, l) in m.TL if l >= 1], rule=lambda m, t, l: m.Y[t, l] <= m.Y[t, l - 1]
    )
    m.Y_reach = pyo.Constraint(m.J, m.T, rule=lambda m, j, t: m.Y[t, int(d.level[j, t])] >= m.x[j])
    m.y = pyo.Expression(
        m.TL,
        rule=lambda m, t, l: m.Y[t, l] - (m.Y[t, l + 1] if l + 1 < d.n_levels[t] else 0),
        doc="y[t,l] = 1 iff class l is the top class in use for type t",
    )
    m.y_occupied = pyo.Constraint(m.TL, rule=lambda m, t, l: m.y[t, l] <= sum(m.x[j] for j in d.members[t][l]))
    m.W = pyo.Expression(
        expr=sum(d.welfare_value[t][l] * m.y[t, l] for (t, l) in m.TL), doc="user welfare / welfare_scale"
    )


class HardmaxEquilibriumMILP(CountVectorMILP):
    """The relaxation of formulations/equilibrium.md, and the rows its loop adds.

    ``sense`` is ``"max"`` (welfare-best equilibrium) or ``"min"`` (welfare-worst). With
    ``regret=True`` every no-profitable-deviation row gets the variable slack ``epsilon`` and the
    objective is to minimize it (formulations/min_regret.md).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> f = HardmaxEquilibriumMILP(make_instance(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.5, 0.5]), 2))
    >>> f.add_rows_for((2, 0), threshold=1e-9), sorted(f.pairs)
    (1, [(0, 1)])
    """

    page = "formulations/equilibrium.md"

    def __init__(self, inst: Instance, sense: str = "max", regret: bool = False):
        super().__init__()
        self.inst = inst
        self.regret = regret
        self.data = d = prepare(inst)
        self.welfare_cap = float(sum(v.max() for v in d.welfare_value))  # a proven upper bound on W
        self.pairs: set[tuple[int, int]] = set()  # (j, k) deviations whose rows were generated
        self.vacancy_lower = pyo.ComponentMap()  # e -> the expression it must exceed (intended_point)
        self.model = self._build(sense, regret)

    def _build(self, sense: str, regret: bool) -> pyo.ConcreteModel:
        inst, d = self.inst, self.data
        M, K, N = d.M, d.K, d.N
        m = pyo.ConcreteModel(name=f"equilibrium[{inst.name}]")
        build_top_level_block(m, d, with_counts=True)
        C1 = list(range(1, N + 1))

        single = [(j, t) for j in range(M) for t in range(K) if (t, int(d.level[j, t])) not in d.tie]
        A_bar = np.zeros(M)
        for j, t in single:
            A_bar[j] += d.w[j, t]
        m.A = pyo.Var(m.J, C1, domain=pyo.NonNegativeReals, doc="A[j,c] = utility mass model j wins alone, if c platforms use j")
        m.A_split = pyo.Constraint(
            m.J,
            rule=lambda m, j: sum(m.A[j, c] for c in C1)
            == sum(d.w[j, t] * m.y[t, int(d.level[j, t])] for (jj, t) in single if jj == j),
        )
        m.A_count = pyo.Constraint(m.J, C1, rule=lambda m, j, c: m.A[j, c] <= A_bar[j] * m.b[j, c])

        tie = sorted(d.tie)
        m.TIE = pyo.Set(initialize=tie, dimen=2, doc="tie classes with two or more models")
        m.q = pyo.Var(m.TIE, m.C, domain=pyo.Binary, doc="q[t,l,c] = 1 iff c platforms use models of class l")
        m.q_one = pyo.Constraint(m.TIE, rule=lambda m, t, l: sum(m.q[t, l, c] for c in m.C) == 1)
        m.q_count = pyo.Constraint(
            m.TIE,
            rule=lambda m, t, l: sum(c * m.q[t, l, c] for c in m.C)
            == sum(c * m.b[j, c] for j in d.members[t][l] for c in m.C),
        )
        H = {(t, l): sum(m.q[t, l, c] / c for c in C1) for (t, l) in tie}
        H1 = {(t, l): sum(m.q[t, l, c] / (c + 1) for c in m.C) for (t, l) in tie}
        m.sigma = pyo.Var(m.TIE, bounds=(0, 1), doc="sigma[t,l] = y[t,l] / (platforms in class l)")
        m.rho = pyo.Var(m.TIE, bounds=(0, 1), doc="rho[t,l] = y[t,l] / (platforms in class l + 1)")
        m.sigma_le_y = pyo.Constraint(m.TIE, rule=lambda m, t, l: m.sigma[t, l] <= m.y[t, l])
        m.sigma_le_H = pyo.Constraint(m.TIE, rule=lambda m, t, l: m.sigma[t, l] <= H[t, l])
        m.sigma_ge = pyo.Constraint(m.TIE, rule=lambda m, t, l: m.sigma[t, l] >= H[t, l] - (1 - m.y[t, l]))
        m.rho_le_y = pyo.Constraint(m.TIE, rule=lambda m, t, l: m.rho[t, l] <= m.y[t, l])
        m.rho_le_H = pyo.Constraint(m.TIE, rule=lambda m, t, l: m.rho[t, l] <= H1[t, l])
        m.rho_ge = pyo.Constraint(m.TIE, rule=lambda m, t, l: m.rho[t, l] >= H1[t, l] - (1 - m.y[t, l]))

        tie_types = {j: [t for t in range(K) if (t, int(d.level[j, t])) in d.tie] for j in range(M)}
        m.u = pyo.Expression(
            m.J,
            rule=lambda m, j: sum(m.A[j, c] / c for c in C1)
            + sum(d.w[j, t] * m.sigma[t, int(d.level[j, t])] for t in tie_types[j]),
            doc="u[j] = utility of one platform on model j (meaningful when x[j] = 1)",
        )
        m.L = pyo.Expression(
            m.J,
            rule=lambda m, k: sum(d.w[k, t] * (1 - m.Y[t, int(d.level[k, t])]) for t in range(K) if d.level[k, t] > 0)
            + sum(m.A[k, c] / (c + 1) for c in C1)
            + sum(d.w[k, t] * m.rho[t, int(d.level[k, t])] for t in tie_types[k]),
            doc="L[k] = entry payoff: what one more platform on model k would earn",
        )
        U_bar = d.w.sum(axis=1)
        # Proven bound on the smallest utility: utilities sum to welfare (score_share) or to the user
        # mass (mass_share), so N v <= that total.
        total = self.welfare_cap if inst.utility == "score_share" else 1.0 / d.scale
        v_bar = total / N + d.eps
        m.v = pyo.Var(bounds=(0, v_bar), doc="v = smallest utility of a platform")
        m.epsilon = pyo.Var(bounds=(0, float(U_bar.max())), doc="epsilon = largest deviation gain allowed")
        if not regret:
            m.epsilon.fix(0)
        m.v_le_u = pyo.Constraint(m.J, rule=lambda m, j: m.v <= m.u[j] + v_bar * (1 - m.x[j]))
        m.no_entry_gain = pyo.Constraint(m.J, rule=lambda m, k: m.v >= m.L[k] - d.eps - m.epsilon)
        if inst.utility == "score_share":
            m.sum_utilities = pyo.Constraint(expr=N * m.v <= m.W + d.eps)
        else:
            m.sum_utilities = pyo.Constraint(expr=N * m.v <= 1.0 / d.scale + d.eps)

        m.e = pyo.VarList(bounds=(0, 1), doc="e: share model k wins at type t after a lone platform leaves model j")
        m.deviation_rows = pyo.ConstraintList(doc="no profitable deviation from model j to model k")
        m.no_good = pyo.ConstraintList(doc="cuts off one verified non-equilibrium profile")
        self.model = m
        self._add_cutoff_components()
        self._set_objective(sense)
        return m

    def add_deviation_rows(self, j: int, k: int) -> bool:
        """Add the exact no-profitable-deviation row for platforms on j switching to k.

        Returns False when the row was already present (then only a no-good cut can help).
        """
        if (j, k) in self.pairs or j == k:
            return False
        m, d = self.model, self.data
        self.pairs.add((j, k))
        lj, lk = d.level[j], d.level[k]
        theta_k = sum(m.b[k, c] / (c + 1) for c in m.C)  # 1 / (n_k + 1)
        tie_fix = 0
        vacancy = 0
        for t in range(d.K):
            if d.w[k, t] <= 0:
                continue
            if lj[t] == lk[t]:
                # j and k tie at type t: the deviator's platform count there does not change.
                tie_fix += d.w[k, t] * (m.sigma[t, int(lk[t])] - m.rho[t, int(lk[t])])
            elif lk[t] < lj[t]:
                # If the platform was alone on j and j was the only model serving t, leaving frees t.
                e = m.e.add()
                blocking = [i for i in range(d.M) if i not in (j, k) and lk[t] <= d.level[i, t] <= lj[t]]
                lower = theta_k + m.y[t, int(lj[t])] + m.b[j, 1] - 2 - sum(m.x[i] for i in blocking)
                m.deviation_rows.add(e >= lower)
                self.vacancy_lower[e] = lower
                vacancy += d.w[k, t] * e
        big = float(d.w[k].sum())
        m.deviation_rows.add(m.u[j] >= m.L[k] + tie_fix + vacancy - d.eps - m.epsilon - big * (1 - m.x[j]))
        return True

    def add_rows_for(self, counts, threshold: float) -> int:
        """Add the rows of every deviation of ``counts`` gaining more than ``threshold`` (exactly,
        by game.payoffs_against); returns how many were new."""
        added = 0
        n = list(counts)
        for j in [j for j in range(self.data.M) if n[j] > 0]:
            others = n.copy()
            others[j] -= 1
            pay = game.payoffs_against(self.inst, others)
            for k in np.flatnonzero(pay - pay[j] > threshold):
                added += self.add_deviation_rows(j, int(k))
        return added

    def intended_point(self, counts) -> None:
        """Set every variable to the value its definition on the page gives for profile ``counts``.

        Used by the tests to prove row validity: at an equilibrium this point must satisfy every row.
        """
        m, d = self.model, self.data
        n = np.asarray(counts)
        used = n > 0
        top = np.array([d.level[used, t].max() for t in range(d.K)])
        for j in range(d.M):
            for c in range(d.N + 1):
                m.b[j, c].set_value(float(n[j] == c))
        for (t, l) in m.TL:
            if l > 0:
                m.Y[t, l].set_value(float(top[t] >= l))
        for j in range(d.M):
            won = sum(d.w[j, t] for t in range(d.K) if (t, int(d.level[j, t])) not in d.tie and d.level[j, t] == top[t] and used[j])
            for c in range(1, d.N + 1):
                m.A[j, c].set_value(won if n[j] == c else 0.0)
        for (t, l) in m.TIE:
            cnt = int(sum(n[j] for j in d.members[t][l]))
            for c in range(d.N + 1):
                m.q[t, l, c].set_value(float(c == cnt))
            y = float(top[t] == l)
            m.sigma[t, l].set_value(y / cnt if cnt else 0.0)
            m.rho[t, l].set_value(y / (cnt + 1))
        m.v.set_value(min(pyo.value(m.u[j]) for j in range(d.M) if used[j]))
        for e, lower in self.vacancy_lower.items():
            e.set_value(max(0.0, pyo.value(lower)))
