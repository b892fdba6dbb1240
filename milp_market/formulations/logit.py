"""Pure-equilibrium MILP under logit (softmax) choice: existence, welfare-best and -worst
equilibrium, minimum regret, and (without deviation rows) the social optimum.

Implements formulations/logit.md; component names follow the symbols on that page. The payoff
side (shares p, utilities u, welfare W) is exact for every integral count vector. The deviation
side is an outer approximation: the deviator's share after switching, 1 / (1 + R), is convex in
the others' normalized weight R, which is affine in the counts, so tangent rows underestimate it
everywhere and are exact where they touch. :meth:`LogitEquilibriumMILP.add_rows_for` adds the
tangents at a candidate's own R, which cuts the candidate off whenever a deviation gains more than
the slack. The classes own their loop state (deviation pairs and tangent points already in); the
loop is milp_market/certify.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from .. import game
from ..instance import Instance
from .base import CountVectorMILP
from .equilibrium import MILP_SLACK, utility_scale, welfare_unit

#: Ratios exp(beta (S_it - S_jt)) below this are set to 0 in the share rows (formulations/logit.md,
#: "Numerical safeguards"): it changes any share by less than N times this, far inside the slack.
RATIO_FLOOR = 1e-12

#: exp() arguments are clipped here; a ratio this large is handled as "big" (its row term is
#: replaced by an indicator), so its exact value never enters the model.
EXP_CAP = 700.0

#: Initial tangent points of the entry rows, as multiples of N (formulations/logit.md, row 8).
INITIAL_ENTRY_POINTS = (0.0, 1.0)


def ratio(beta: float, a: float, b: float) -> float:
    """exp(beta (a - b)) without overflow.

    Examples
    --------
    >>> round(ratio(5.0, 1.0, 0.8), 6)  # e
    2.718282
    >>> ratio(1e6, 1.0, 0.0) < float("inf")  # capped
    True
    """
    return math.exp(min(beta * (a - b), EXP_CAP))


@dataclass
class LogitData:
    """Index sets and scaled coefficients.

    Built by :func:`prepare`.

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"], choice="softmax", beta=5.0)
    >>> d = prepare(inst)
    >>> d.M, d.K, d.N, d.beta, d.scale, d.welfare_scale, round(d.welfare_cap, 4)
    (2, 2, 2, 5.0, 0.6, 0.6, 1.5333)
    """

    M: int
    K: int
    N: int
    beta: float
    S: np.ndarray  # (M, K) scores
    w: np.ndarray  # (M, K) utility weights / scale
    welfare_coef: np.ndarray  # (M, K) pi_t S_jt / welfare_scale
    scale: float
    welfare_scale: float  # W's unit (equilibrium.welfare_unit)
    eps: float
    welfare_cap: float  # a proven upper bound on W (scaled)


def prepare(inst: Instance) -> LogitData:
    """The scaled coefficients of a logit instance (:class:`LogitData`).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"], choice="softmax", beta=5.0)
    >>> prepare(inst).w.round(4).tolist()  # utility weights / scale
    [[0.8, 0.5333], [1.0, 0.0667]]
    """
    w = game.utility_weights(inst)
    wel = inst.masses[None, :] * inst.scores
    scale = utility_scale(inst)
    wscale = welfare_unit(inst)
    return LogitData(
        M=inst.n_models,
        K=inst.n_types,
        N=inst.platforms,
        beta=float(inst.beta),
        S=np.asarray(inst.scores, dtype=float),
        w=w / scale,
        welfare_coef=wel / wscale,
        scale=scale,
        welfare_scale=wscale,
        eps=max(game.EQ_TOL / scale, MILP_SLACK),
        welfare_cap=float(wel.max(axis=0).sum() / wscale),
    )


def others_weight(d: LogitData, counts, j: int | None, k: int, t: int) -> float:
    """R = sum_i o_i exp(beta (S_it - S_kt)), o = counts - e_j (o = counts for an entrant,
    j = None): the other platforms' weight at t, relative to the weight of model k.

    Parameters
    ----------
    d : LogitData
    counts : sequence of int
        The profile.
    j : int or None
        The deviator's current model (None: an entrant).
    k : int
        The model it moves to.
    t : int
        The user type.

    Examples
    --------
    In the profile (generalist, specialist), the generalist's platform weighs the specialist
    at type 0 by exp(5 (1.0 - 0.8)) = e; an entrant on the generalist also meets the other
    generalist platform (weight 1):

    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[0.8, 0.8], [1.0, 0.1]]), np.array([0.6, 0.4]), 2,
    ...                      model_names=["generalist", "specialist"], choice="softmax", beta=5.0)
    >>> d = prepare(inst)
    >>> round(others_weight(d, (1, 1), 0, 0, 0), 6), round(others_weight(d, (1, 1), None, 0, 0), 6)
    (2.718282, 3.718282)
    """
    o = np.asarray(counts, dtype=float).copy()
    if j is not None:
        o[j] -= 1
    return float(sum(o[i] * ratio(d.beta, d.S[i, t], d.S[k, t]) for i in range(d.M) if o[i] > 0))


def _others_on(m, i: int, j: int | None):
    """o_i as a linear expression in b: platforms on i other than the deviator (on j; None for
    an entrant, who leaves no model)."""
    if i != j:
        return sum(c * m.b[i, c] for c in m.C)
    return sum((c - 1) * m.b[i, c] for c in m.C if c >= 1)


def _some_other_on(m, i: int, j: int | None):
    """1 iff at least one platform other than the deviator is on i (as a linear expression)."""
    return 1 - m.b[i, 0] - (m.b[i, 1] if i == j else 0)


class LogitEquilibriumMILP(CountVectorMILP):
    """The relaxation of formulations/logit.md, and the rows and tangents its loop adds.

    ``sense``: maximize (``"max"``) or minimize welfare over the relaxation; with ``regret=True``
    minimize the slack epsilon instead (formulations/min_regret.md).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.5, 0.5]), 2, choice="softmax", beta=5.0)
    >>> f = LogitEquilibriumMILP(inst)
    >>> f.add_rows_for((2, 0), threshold=1e-9) > 0, sorted(f.dev)
    (True, [(0, 1)])
    """

    page = "formulations/logit.md"
    objective = "equilibrium"

    def __init__(self, inst: Instance, sense: str = "max", regret: bool = False):
        super().__init__()
        if inst.choice != "softmax":
            raise ValueError("the logit MILP is for softmax choice")
        self.inst = inst
        self.regret = regret
        self.data = prepare(inst)
        self.welfare_cap = self.data.welfare_cap
        self.dev: set[tuple[int, int]] = set()  # (j, k) deviations with generated rows
        self.tangents: dict = {}  # (j, k, t) -> the rounded tangent points already in
        self.has_entry_rows = self.objective != "social"
        self.model = self._build(inst, sense, regret, self.objective)

    def _build(self, inst: Instance, sense: str, regret: bool, objective: str) -> pyo.ConcreteModel:
        d = self.data
        M, K, N = d.M, d.K, d.N
        m = pyo.ConcreteModel(name=f"logit_{'social_optimum' if objective == 'social' else 'equilibrium'}[{inst.name}]")
        self.model = m
        m.J = pyo.RangeSet(0, M - 1, doc="models")
        m.T = pyo.RangeSet(0, K - 1, doc="user types")
        m.C = pyo.RangeSet(0, N, doc="platform counts")
        C1 = list(range(1, N + 1))
        m.b = pyo.Var(m.J, m.C, domain=pyo.Binary, doc="b[j,c] = 1 iff exactly c platforms use model j")
        m.one_count = pyo.Constraint(m.J, rule=lambda m, j: sum(m.b[j, c] for c in m.C) == 1)
        m.all_platforms = pyo.Constraint(expr=sum(c * m.b[j, c] for j in m.J for c in m.C) == N)
        m.x = pyo.Expression(m.J, rule=lambda m, j: 1 - m.b[j, 0], doc="x[j] = 1 iff model j is in use")

        m.p = pyo.Var(m.J, m.T, bounds=(0, 1), doc="p[j,t] = share of type t won by ONE platform on model j")
        m.p_used = pyo.Constraint(m.J, m.T, rule=lambda m, j, t: m.p[j, t] <= m.x[j])
        # Used models' shares are proportional to exp(beta S): for each pair, orient so the ratio <= 1.
        pairs = []
        for t in range(K):
            for j in range(M):
                for k in range(j + 1, M):
                    hi, lo = (j, k) if d.S[j, t] >= d.S[k, t] else (k, j)
                    r = ratio(d.beta, d.S[lo, t], d.S[hi, t])
                    pairs.append((lo, hi, t, r if r >= RATIO_FLOOR else 0.0))
        m.RATIO = pyo.Set(initialize=[(lo, hi, t) for lo, hi, t, _ in pairs], dimen=3)
        rho = {(lo, hi, t): r for lo, hi, t, r in pairs}
        # A ratio set to 0 below RATIO_FLOOR keeps its true bound p_lo <= RATIO_FLOOR * p_hi as
        # p_lo <= RATIO_FLOOR, so the rows stay satisfiable in exact arithmetic.
        floor = {key: (RATIO_FLOOR if r == 0.0 else 0.0) for key, r in rho.items()}
        m.ratio_up = pyo.Constraint(
            m.RATIO, rule=lambda m, lo, hi, t: m.p[lo, t] - rho[lo, hi, t] * m.p[hi, t] <= 1 - m.x[hi] + floor[lo, hi, t]
        )
        m.ratio_down = pyo.Constraint(
            m.RATIO, rule=lambda m, lo, hi, t: m.p[lo, t] - rho[lo, hi, t] * m.p[hi, t] >= -rho[lo, hi, t] * (1 - m.x[lo])
        )
        # P[j,c,t] = p[j,t] b[j,c] (McCormick, exact because b is binary; p <= 1/c when c platforms share).
        m.P = pyo.Var(m.J, C1, m.T, bounds=(0, 1), doc="P[j,c,t] = p[j,t] if exactly c platforms use j, else 0")
        # Share bounds when c platforms use j: the other N - c on the weakest / strongest model for t.
        pmax = {(j, c, t): 1.0 / (c + (N - c) * ratio(d.beta, d.S[:, t].min(), d.S[j, t])) for j in range(M) for c in C1 for t in range(K)}
        pmin = {(j, c, t): 1.0 / (c + (N - c) * ratio(d.beta, d.S[:, t].max(), d.S[j, t])) for j in range(M) for c in C1 for t in range(K)}
        m.P_le_b = pyo.Constraint(m.J, C1, m.T, rule=lambda m, j, c, t: m.P[j, c, t] <= pmax[j, c, t] * m.b[j, c])
        m.P_ge_b = pyo.Constraint(
            m.J, C1, m.T, rule=lambda m, j, c, t: m.P[j, c, t] >= (pmin[j, c, t] if pmin[j, c, t] >= RATIO_FLOOR else 0.0) * m.b[j, c]
        )
        m.P_le_p = pyo.Constraint(m.J, C1, m.T, rule=lambda m, j, c, t: m.P[j, c, t] <= m.p[j, t])
        m.P_ge = pyo.Constraint(m.J, C1, m.T, rule=lambda m, j, c, t: m.P[j, c, t] >= m.p[j, t] - (1 - m.b[j, c]))
        m.P_split = pyo.Constraint(m.J, m.T, rule=lambda m, j, t: sum(m.P[j, c, t] for c in C1) == m.p[j, t])
        m.shares_sum = pyo.Constraint(m.T, rule=lambda m, t: sum(c * m.P[j, c, t] for j in m.J for c in C1) == 1)

        m.u = pyo.Expression(m.J, rule=lambda m, j: sum(d.w[j, t] * m.p[j, t] for t in m.T), doc="utility of one platform on j")
        m.W = pyo.Expression(
            expr=sum(d.welfare_coef[j, t] * c * m.P[j, c, t] for j in m.J for c in C1 for t in m.T), doc="user welfare / welfare_scale"
        )
        m.epsilon = pyo.Var(bounds=(0, float(d.w.sum(axis=1).max())), doc="epsilon = largest deviation gain allowed")
        if not regret:
            m.epsilon.fix(0)

        m.entry_tangent_rows = pyo.ConstraintList(doc="qe[k,t] >= tangent of 1/(1+R) at some R")
        if objective != "social":
            # Aggregated rows (valid, not exact): an entrant's payoff against all N platforms is at
            # most any deviator's, so the smallest utility v must beat every model's entry payoff.
            total = d.welfare_cap if inst.utility == "score_share" else 1.0 / d.scale
            v_bar = total / N + d.eps
            m.v = pyo.Var(bounds=(0, v_bar), doc="v = smallest utility of a platform in use")
            m.v_le_u = pyo.Constraint(m.J, rule=lambda m, j: m.v <= m.u[j] + v_bar * (1 - m.x[j]))
            # Utilities sum to welfare (score_share) or to the total mass 1 (mass_share).
            m.sum_utilities = pyo.Constraint(expr=N * m.v <= (m.W if inst.utility == "score_share" else 1.0 / d.scale) + d.eps)
            m.qe = pyo.Var(m.J, m.T, bounds=(0, 1), doc="qe[k,t] <= share of t an extra platform on k would get")
            m.no_entry_gain = pyo.Constraint(
                m.J, rule=lambda m, k: m.v >= sum(d.w[k, t] * m.qe[k, t] for t in m.T) - d.eps - m.epsilon
            )
            for k in range(M):
                for t in range(K):
                    if d.w[k, t] > 0:
                        for R0 in [f * N for f in INITIAL_ENTRY_POINTS]:
                            self.add_entry_tangent(k, t, R0)

        m.q = pyo.Var(m.J, m.J, m.T, bounds=(0, 1), dense=False, doc="q[j,k,t] <= share of t a platform leaving j for k gets")
        m.tangent_rows = pyo.ConstraintList(doc="q[j,k,t] >= tangent of 1/(1+R) at a candidate's R")
        m.deviation_rows = pyo.ConstraintList(doc="no profitable deviation from model j to model k")
        m.no_good = pyo.ConstraintList(doc="cuts off one verified non-equilibrium profile")
        self._add_cutoff_components()
        self._set_objective("max" if objective == "social" else sense)
        return m

    def _tangent_rhs(self, j: int | None, k: int, t: int, R0: float):
        """a - s R: the tangent of 1/(1+R) at R0, R the others' weight relative to k's.

        Terms of models so good for t that one other platform on them already makes the tangent
        non-positive are replaced by an indicator (formulations/logit.md, "Numerical safeguards"), so
        every coefficient is at most 1.
        """
        m, d = self.model, self.data
        inv = 1.0 / (1.0 + R0)  # never overflows: R0 <= N exp(EXP_CAP)
        s = inv * inv
        a = inv * (2.0 - inv)  # = (1 + 2 R0) / (1 + R0)^2, the tangent's value at R = 0
        small, big = [], []
        for i in range(d.M):
            r = ratio(d.beta, d.S[i, t], d.S[k, t])
            (big if s * r >= a else small).append((i, s * r))
        return (
            a
            - sum(coef * _others_on(m, i, j) for i, coef in small if coef >= RATIO_FLOOR)
            - a * sum(_some_other_on(m, i, j) for i, _ in big)
        )


    def _add_tangent_row(self, rows, share, j: int | None, k: int, t: int, R0: float) -> bool:
        """share >= the tangent at R0 (valid for every profile, exact at R0), once per point."""
        seen = self.tangents.setdefault((j, k, t), set())
        key = round(R0, 12)
        if key in seen:
            return False
        seen.add(key)
        rows.add(share >= self._tangent_rhs(j, k, t, R0))
        return True


    def add_tangent(self, j: int, k: int, t: int, R0: float) -> bool:
        """q[j,k,t] >= the tangent at R0. Returns False when this tangent is already in the model."""
        m = self.model
        return self._add_tangent_row(m.tangent_rows, m.q[j, k, t], j, k, t, R0)


    def add_entry_tangent(self, k: int, t: int, R0: float) -> bool:
        """qe[k,t] >= the tangent at R0 of an entrant's share on k (others: all N platforms)."""
        m = self.model
        return self._add_tangent_row(m.entry_tangent_rows, m.qe[k, t], None, k, t, R0)


    def add_deviation_row(self, j: int, k: int) -> bool:
        """u[j] >= what a platform leaving j for k earns (through q). False when already in."""
        if (j, k) in self.dev:
            return False
        m, d = self.model, self.data
        self.dev.add((j, k))
        types = [t for t in range(d.K) if d.w[k, t] > 0]
        big = float(d.w[k].sum())
        m.deviation_rows.add(
            m.u[j] >= sum(d.w[k, t] * m.q[j, k, t] for t in types) - d.eps - m.epsilon - big * (1 - m.x[j])
        )
        return True


    def add_rows_for(self, counts, threshold: float) -> int:
        """For every deviation of ``counts`` gaining more than ``threshold`` (exactly, by
        game.payoffs_against): its deviation row and the tangents at this profile's own R, and the
        entry tangents at this profile. Returns how many deviation and tangent rows were new (the
        entry tangents are not counted: they cannot cut the candidate off on their own)."""
        inst, d = self.inst, self.data
        added = 0
        n = list(counts)
        for j in [j for j in range(d.M) if n[j] > 0]:
            others = n.copy()
            others[j] -= 1
            pay = game.payoffs_against(inst, others)
            for k in np.flatnonzero(pay - pay[j] > threshold):
                k = int(k)
                added += self.add_deviation_row(j, k)
                for t in range(d.K):
                    if d.w[k, t] > 0:
                        added += self.add_tangent(j, k, t, others_weight(d, n, j, k, t))
                        if self.has_entry_rows:
                            self.add_entry_tangent(k, t, others_weight(d, n, None, k, t))
        return added


    def intended_point(self, counts) -> None:
        """Set every variable to the value its definition on the page gives for profile ``counts``
        (q at its exact value). Used by the tests: at an equilibrium every row must hold."""
        m, d, inst = self.model, self.data, self.inst
        n = np.asarray(counts)
        sh = game.shares(inst, n)
        for j in range(d.M):
            for c in range(d.N + 1):
                m.b[j, c].set_value(float(n[j] == c))
            for t in range(d.K):
                m.p[j, t].set_value(float(sh[j, t]))
                for c in range(1, d.N + 1):
                    m.P[j, c, t].set_value(float(sh[j, t]) if n[j] == c else 0.0)
        if self.has_entry_rows:
            for k in range(d.M):
                for t in range(d.K):
                    m.qe[k, t].set_value(1.0 / (1.0 + others_weight(d, n, None, k, t)))
            m.v.set_value(min(pyo.value(m.u[j]) for j in range(d.M) if n[j] > 0))
        for (j, k, t) in m.q:
            if n[j] > 0:
                m.q[j, k, t].set_value(1.0 / (1.0 + others_weight(d, n, j, k, t)))
            else:
                m.q[j, k, t].set_value(1.0)


class LogitSocialOptimumMILP(LogitEquilibriumMILP):
    """The social-optimum MILP under logit (formulations/logit.md): the same exact payoff block,
    no deviation rows, maximize welfare. Every solution is a placement (nothing to cut).

    Examples
    --------
    >>> import numpy as np
    >>> from milp_market import make_instance
    >>> inst = make_instance(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.5, 0.5]), 2, choice="softmax", beta=5.0)
    >>> LogitSocialOptimumMILP(inst).maximize
    True
    """

    objective = "social"

    def __init__(self, inst: Instance):
        super().__init__(inst, "max", regret=False)

    def add_rows_for(self, counts, threshold: float) -> int:
        return 0
