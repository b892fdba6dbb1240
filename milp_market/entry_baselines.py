"""Baselines for strategic entry (formulations/entry.md, "Baselines"), for ``entry --compare``.

Holds :class:`FeasibleLP` (an LP over the entrant's feasible set: linear objectives and L1
projection), :func:`proxy_value` and :func:`frank_wolfe_proxy` (the seed paper's smooth proxy,
maximized by Frank-Wolfe), :class:`Baseline` and :func:`baselines` (proxy for several beta, the
cloned best-average incumbent, seeded random search; each re-equilibrated exactly by
``entry_evaluation.evaluate``), and :func:`comparison` (the rows of the ``--compare`` table; the
Markdown rendering is ``cli.comparison_table``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from .entrant import Entrant
from .entry import EntryResult, evaluation_dict
from .entry_evaluation import Evaluation, evaluate, snap_to_levels
from .formulations import entry as ef
from .formulations.highs import PRIMARY, PersistentHighs
from .instance import Instance
from .results import SolveStatus


class FeasibleLP:
    """An LP over the feasible set (Pyomo + HiGHS) for the baselines: linear objectives (Frank-Wolfe
    oracle, random vertices) and L1 projection (cloning an incumbent). ``entry.solve_entry`` also
    uses it to tell an empty feasible set from a market without eligible profiles.

    Parameters
    ----------
    inst : Instance
        The incumbent market (gives K, the number of user types).
    entrant : Entrant
        Its feasible set becomes the LP's rows.

    Examples
    --------
    The feasible set of ``instances/entry_two_types.json``: scores in [0, 1], s_a + s_b <= 1.2.

    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> lp = FeasibleLP(inst, ent)
    >>> s, lam = lp.maximize([2.0, 1.0])
    >>> s.round(6).tolist(), lam
    ([1.0, 0.2], None)
    >>> lp.project([1.5, 0.0])[0].round(6).tolist()
    [1.0, 0.0]
    """

    def __init__(self, inst: Instance, entrant: Entrant):
        fs = entrant.feasible
        K = inst.n_types
        m = pyo.ConcreteModel(name="feasible_set")
        m.T = pyo.RangeSet(0, K - 1)
        m.s = pyo.Var(m.T, bounds=lambda m, t: (float(fs.lower[t]), float(fs.upper[t])))
        ef.add_feasible_set(m, fs)
        m.c = pyo.Param(m.T, mutable=True, initialize=0.0)
        m.target = pyo.Param(m.T, mutable=True, initialize=0.0)
        m.dp = pyo.Var(m.T, domain=pyo.NonNegativeReals)
        m.dm = pyo.Var(m.T, domain=pyo.NonNegativeReals)
        m.dist = pyo.Constraint(m.T, rule=lambda m, t: m.s[t] - m.target[t] == m.dp[t] - m.dm[t])
        m.linear = pyo.Objective(expr=sum(m.c[t] * m.s[t] for t in m.T), sense=pyo.maximize)
        m.l1 = pyo.Objective(expr=sum(m.dp[t] + m.dm[t] for t in m.T), sense=pyo.minimize)
        m.l1.deactivate()
        self.m, self.K, self.solver = m, K, PersistentHighs(PRIMARY, name="baseline-lp")

    def _solve(self, active, inactive, param, values):
        inactive.deactivate()
        active.activate()
        for t in range(self.K):
            param[t] = float(values[t])
        out = self.solver.solve(self.m)
        if out.status is not SolveStatus.OPTIMAL:
            return None
        return np.array([pyo.value(self.m.s[t]) for t in self.m.T]), ef.mixture_weights(self.m)

    def maximize(self, c):
        """A vertex of the feasible set maximizing c . s, as (s, mixture weights or None)."""
        return self._solve(self.m.linear, self.m.l1, self.m.c, c)

    def project(self, target):
        """The point of the feasible set closest to ``target`` in L1 norm."""
        return self._solve(self.m.l1, self.m.linear, self.m.target, target)


def _mix(entrant, s, lam):
    """With a mixture, recompute s from the normalized weights (exact membership)."""
    if lam is None or entrant.feasible.mixture is None:
        return s, lam
    return lam @ entrant.feasible.mixture, lam


def proxy_value(inst: Instance, s, beta: float) -> float:
    """The seed paper's smooth proxy F(s) = sum_t pi_t sigmoid(beta (s_t - Sbar_t)) s_t.

    ``Sbar_t`` is the best incumbent score for user type t.

    Parameters
    ----------
    inst : Instance
        The incumbent market.
    s : array_like, (K,)
        The new model's scores.
    beta : float
        Steepness of the sigmoid.

    Returns
    -------
    float

    Examples
    --------
    At s = Sbar every sigmoid is 1/2, so F = sum_t pi_t Sbar_t / 2:

    >>> from milp_market import load_instance
    >>> inst = load_instance("instances/entry_two_types.json")
    >>> round(proxy_value(inst, [0.8, 0.7], beta=10.0), 6)
    0.38
    """
    sbar = inst.scores.max(axis=0)
    sig = 1.0 / (1.0 + np.exp(-beta * (np.asarray(s) - sbar)))
    return float((inst.masses * sig * s).sum())


def frank_wolfe_proxy(inst, entrant, lp: FeasibleLP, beta: float, iterations: int = 60):
    """Maximize the proxy over the feasible set by Frank-Wolfe (LP oracle); the best iterate.

    Parameters
    ----------
    inst : Instance
    entrant : Entrant
    lp : FeasibleLP
        The LP oracle over ``entrant``'s feasible set.
    beta : float
        The proxy's steepness (:func:`proxy_value`).
    iterations : int
        Frank-Wolfe steps after the start vertex (the one maximizing sum_t pi_t s_t).

    Returns
    -------
    tuple or None
        ``(s, mixture weights or None)`` of the best iterate; None when the feasible set is empty.

    Examples
    --------
    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> s, lam = frank_wolfe_proxy(inst, ent, FeasibleLP(inst, ent), beta=30.0)
    >>> s.round(6).tolist(), lam
    ([1.0, 0.2], None)
    """
    pi, sbar = inst.masses, inst.scores.max(axis=0)
    start = lp.maximize(pi)
    if start is None:
        return None
    s, lam = start
    best = (proxy_value(inst, s, beta), s, lam)
    for k in range(iterations):
        sig = 1.0 / (1.0 + np.exp(-beta * (s - sbar)))
        grad = pi * (sig + beta * sig * (1 - sig) * s)
        v, lam_v = lp.maximize(grad)
        g = 2.0 / (k + 2.0)
        s = (1 - g) * s + g * v
        lam = None if lam is None else (1 - g) * lam + g * lam_v
        f = proxy_value(inst, s, beta)
        if f > best[0]:
            best = (f, s, lam)
    return best[1], best[2]


@dataclass(frozen=True)
class Baseline:
    """One baseline's answer: the method's label and its exact evaluation.

    Attributes
    ----------
    method : str
        E.g. ``"proxy beta=30"``, ``"clone A"``, ``"random search (200, seed 0)"``.
    evaluation : Evaluation or None
        The profile re-equilibrated exactly (``entry_evaluation.evaluate``); None when the
        method found no feasible profile.

    Examples
    --------
    >>> from milp_market.entrant import load_entry_instance
    >>> from milp_market.entry_evaluation import evaluate
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> b = Baseline("clone A", evaluate(inst, ent, inst.scores[0]))
    >>> b.method, b.evaluation.objective, b.evaluation.selected
    ('clone A', 0.0, (2, 0, 0))
    """

    method: str
    evaluation: Evaluation | None  # None when the method found no feasible profile


PROXY_BETAS = (10.0, 30.0, 100.0)


def baselines(inst: Instance, entrant: Entrant, seed: int = 0, samples: int = 200) -> list[Baseline]:
    """The paper's proxy for several beta, the cloned best-average incumbent, seeded random search;
    each re-equilibrated exactly with the entrant's selection.

    Parameters
    ----------
    inst : Instance
        The incumbent market (hardmax).
    entrant : Entrant
    seed : int
        Seed of the random search.
    samples : int
        Profiles tried by the random search (up to 30 random vertices, then random convex
        combinations of them).

    Returns
    -------
    list of Baseline
        One per ``PROXY_BETAS``, the clone (the L1-closest feasible profile to the incumbent with
        the best mass-weighted average score), and the random search's best eligible profile (its
        first candidate when none is eligible).

    Examples
    --------
    Cloning A leaves both platforms on A under pessimistic selection (0 adopters); the others
    find the profiles that draw both platforms:

    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> [(b.method, b.evaluation.objective) for b in baselines(inst, ent, samples=20)]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('proxy beta=10', 2.0), ('proxy beta=30', 2.0), ('proxy beta=100', 2.0), ('clone A', 0.0),
     ('random search (20, seed 0)', 2.0)]
    """
    lp = FeasibleLP(inst, entrant)
    out = []

    def ev(s, lam):
        s, lam = _mix(entrant, np.asarray(s, dtype=float), lam)
        return evaluate(inst, entrant, snap_to_levels(inst, s), lam)

    for beta in PROXY_BETAS:
        r = frank_wolfe_proxy(inst, entrant, lp, beta)
        out.append(Baseline(f"proxy beta={beta:g}", None if r is None else ev(*r)))
    best_avg = int(np.argmax(inst.scores @ inst.masses))
    r = lp.project(inst.scores[best_avg])
    out.append(Baseline(f"clone {inst.model_names[best_avg]}", None if r is None else ev(*r)))
    rng = np.random.default_rng(seed)
    vertices = []
    for _ in range(min(30, samples)):
        r = lp.maximize(rng.normal(size=inst.n_types))
        if r is None:
            break
        vertices.append(r)
    best = None
    if vertices:
        S = np.array([v[0] for v in vertices])
        L = None if vertices[0][1] is None else np.array([v[1] for v in vertices])
        cands = [(v[0], v[1]) for v in vertices]
        for _ in range(samples - len(cands)):
            wgt = rng.dirichlet(np.ones(len(vertices)))
            cands.append((wgt @ S, None if L is None else wgt @ L))
        for s, lam in cands:
            e = ev(s, lam)
            if e.eligible and (best is None or e.objective > best.objective + 1e-12):
                best = e
        if best is None:
            best = ev(*cands[0])
    out.append(Baseline(f"random search ({samples}, seed {seed})", best))
    return out


def comparison(inst: Instance, entrant: Entrant, result: EntryResult, others: list[Baseline]) -> list[dict]:
    """Rows of the --compare table: the bilevel answer first, then each baseline with the gain of
    the bilevel answer over it (objective difference; n/a when either has no eligible profile).

    Parameters
    ----------
    inst : Instance
    entrant : Entrant
    result : EntryResult
        The answer of ``entry.solve_entry``.
    others : list of Baseline
        From :func:`baselines`.

    Returns
    -------
    list of dict
        ``method``, the keys of ``entry.evaluation_dict``, ``gain`` (None for n/a) and, for a
        baseline profile that is not eligible, ``note``.

    Examples
    --------
    >>> from milp_market.entrant import load_entry_instance
    >>> from milp_market.entry import solve_entry
    >>> from milp_market.entry_evaluation import evaluate
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> clone = Baseline("clone A", evaluate(inst, ent, inst.scores[0]))
    >>> rows = comparison(inst, ent, solve_entry(inst, ent), [clone])
    >>> [(r["method"], r["objective"], r["gain"]) for r in rows]
    [('bilevel MILP', 2.0, 0.0), ('clone A', 0.0, 2.0)]
    """
    rows = [{"method": "bilevel MILP", **evaluation_dict(inst, entrant, result.evaluation), "gain": 0.0 if result.evaluation else None}]
    best = None if result.evaluation is None else result.evaluation.objective
    for b in others:
        ev = b.evaluation if (b.evaluation is not None and b.evaluation.eligible) else None
        row = {"method": b.method, **evaluation_dict(inst, entrant, ev)}
        if b.evaluation is not None and ev is None:
            row["note"] = "not eligible: " + ("infeasible" if not b.evaluation.feasible else "no post-entry equilibrium")
        row["gain"] = None if (best is None or ev is None) else best - ev.objective
        rows.append(row)
    return rows
