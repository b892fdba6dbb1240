"""Exact evaluation of an entrant's score profile (formulations/entry.md, "The question").

Holds :func:`post_entry_instance` (the (M+1)-model market after entry), :func:`entrant_value`
(the provider's objective at a post-entry profile), :class:`Evaluation` and :func:`evaluate` (all
post-entry pure equilibria by complete enumeration, the provider's objective under the stated
selection), and :func:`snap_to_levels` (baselines' scores onto incumbent tie classes). This is the
exact re-check that every answer of the entry MILP (``entry.solve_entry``) and every baseline
(``entry_baselines``) goes through; plain numpy, no solver. Hardmax choice only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import game
from .entrant import Entrant, check_feasible
from .enumeration import enumerate_profiles
from .instance import TIE_TOL, Instance, InstanceError, make_instance


def require_hardmax(inst: Instance) -> None:
    """``entry`` is defined for hardmax choice only: a one-line error otherwise.

    Raises
    ------
    InstanceError
        ``inst`` has softmax (logit) choice.

    Examples
    --------
    >>> require_hardmax(make_instance([[1.0]], [1], 1))      # hardmax: nothing happens
    >>> require_hardmax(make_instance([[1.0]], [1], 1, name="soft", choice="softmax", beta=2))
    Traceback (most recent call last):
    ...
    milp_market.instance.InstanceError: soft: `entry` under softmax choice is not supported (hardmax only)
    """
    if inst.choice != "hardmax":
        raise InstanceError(f"{inst.name}: `entry` under {inst.choice} choice is not supported (hardmax only)")


def post_entry_instance(inst: Instance, entrant: Entrant, s) -> Instance:
    """The (M+1)-model market after entry: the new model is the last one, under its own name.

    Parameters
    ----------
    inst : Instance
        The incumbent market (hardmax).
    entrant : Entrant
        Names the new model.
    s : array_like, (K,)
        The new model's scores.

    Returns
    -------
    Instance
        Named ``"<instance>+<entrant>"``; masses, platforms and utility of ``inst``.

    Examples
    --------
    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> post = post_entry_instance(inst, ent, [0.9, 0.3])
    >>> post.name, post.model_names, post.scores.tolist()
    ('entry_two_types+New', ('A', 'B', 'New'), [[0.8, 0.2], [0.3, 0.7], [0.9, 0.3]])
    """
    require_hardmax(inst)  # the post-entry market is built under hardmax choice
    return make_instance(
        np.vstack([inst.scores, np.asarray(s, dtype=float)[None, :]]),
        inst.masses,
        inst.platforms,
        name=f"{inst.name}+{entrant.name}",
        model_names=inst.model_names + (entrant.name,),
        type_names=inst.type_names,
        utility=inst.utility,
        source=f"{inst.name} after entry of {entrant.name}",
    )


def entrant_value(post: Instance, counts, objective: str) -> float:
    """The provider's objective at a post-entry profile: platforms on the new model (adoption), the
    user mass they serve (mass), or the score-weighted share they serve (score_share; the sum of
    their utilities under the score_share utility).

    Parameters
    ----------
    post : Instance
        The post-entry market (:func:`post_entry_instance`; the new model is the last).
    counts : array_like of int, (M+1,)
        A post-entry profile.
    objective : str
        ``"adoption"``, ``"mass"`` or ``"score_share"``.

    Returns
    -------
    float

    Examples
    --------
    With scores (0.9, 0.3) the new model beats A on type a and B on type b; one platform on it
    against one on A serves every user:

    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> post = post_entry_instance(inst, ent, [0.9, 0.3])
    >>> [round(entrant_value(post, [1, 0, 1], o), 4) for o in ("adoption", "mass", "score_share")]
    [1.0, 1.0, 0.66]
    """
    E = post.n_models - 1
    nE = int(counts[E])
    if objective == "adoption":
        return float(nE)
    sh = game.shares(post, counts)[E]
    if objective == "mass":
        return float(nE * (post.masses * sh).sum())
    return float(nE * (post.masses * post.scores[E] * sh).sum())


@dataclass(frozen=True)
class Evaluation:
    """A profile's exact post-entry outcome: every pure equilibrium and the selected one.

    Attributes
    ----------
    profile : tuple of float
        The new model's scores.
    mixture_weights : tuple of float or None
    feasible : bool
        Whether the profile is in the feasible set (:func:`~milp_market.entrant.check_feasible`).
    equilibria : tuple of tuples
        Every post-entry pure equilibrium (count vectors, the new model last).
    values : tuple of float
        The provider's objective at each.
    selected : tuple or None
        The equilibrium the selection picks (None: no pure equilibrium).
    objective : float or None
        The provider's objective at ``selected``.

    ``eligible`` is feasible with an equilibrium; ``adopters`` the platforms on the new model at
    ``selected``.

    Examples
    --------
    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> ev = evaluate(inst, ent, [0.9, 0.3])
    >>> ev.profile, ev.selected, ev.values, ev.eligible, ev.adopters
    ((0.9, 0.3), (0, 0, 2), (2.0,), True, 2)
    """

    profile: tuple
    mixture_weights: tuple | None
    feasible: bool
    equilibria: tuple  # post-entry count vectors (entrant last)
    values: tuple  # provider objective at each
    selected: tuple | None  # the equilibrium chosen by the selection (None: no equilibrium)
    objective: float | None

    @property
    def eligible(self) -> bool:
        return self.feasible and self.selected is not None

    @property
    def adopters(self) -> int | None:
        return None if self.selected is None else int(self.selected[-1])


def evaluate(inst: Instance, entrant: Entrant, s, lam=None) -> Evaluation:
    """Exact: feasibility, all post-entry pure equilibria (complete enumeration), the selection.

    Parameters
    ----------
    inst : Instance
        The incumbent market (hardmax choice).
    entrant : Entrant
        The new model's section (``inst.entrant`` for a loaded instance).
    s : array-like, (K,)
        The new model's scores, in ``inst.type_names`` order.
    lam : array-like, optional
        Mixture weights certifying ``s`` when the feasible set has a mixture.

    Returns
    -------
    Evaluation
        ``objective`` is the provider's objective at the equilibrium picked by the entrant's
        selection (best for the provider under ``optimistic``, worst under ``pessimistic``), None
        when the post-entry market has no pure equilibrium.

    Examples
    --------
    The hand-made example (``instances/entry_two_types.json``): beating A on type a with enough
    total score draws both platforms to the new model; cloning A leaves them on A.

    >>> from milp_market.entrant import load_entry_instance
    >>> inst, ent = load_entry_instance("instances/entry_two_types.json")
    >>> ev = evaluate(inst, ent, [0.9, 0.3])
    >>> ev.feasible, ev.equilibria, ev.objective, ev.adopters
    (True, ((0, 0, 2),), 2.0, 2)
    >>> evaluate(inst, ent, inst.scores[0]).objective
    0.0
    """
    s = np.asarray(s, dtype=float)
    post = post_entry_instance(inst, entrant, s)
    res = enumerate_profiles(post)
    values = [entrant_value(post, n, entrant.objective) for n in res.equilibria]
    selected = objective = None
    if values:
        pick = max if entrant.selection == "optimistic" else min
        i = pick(range(len(values)), key=lambda i: (values[i], -i) if pick is max else (values[i], i))
        selected, objective = res.equilibria[i], values[i]
    return Evaluation(
        profile=tuple(float(x) for x in s),
        mixture_weights=None if lam is None else tuple(float(x) for x in lam),
        feasible=check_feasible(entrant, s, lam),
        equilibria=tuple(res.equilibria),
        values=tuple(values),
        selected=selected,
        objective=objective,
    )


def snap_to_levels(inst: Instance, s) -> np.ndarray:
    """Scores within TIE_TOL of an incumbent's score become that incumbent's tie-class value, so
    no chain of near-ties is created (baselines only; the MILP's answers are exact by design).

    Parameters
    ----------
    inst : Instance
        The incumbent market.
    s : array_like, (K,)
        Candidate scores of the new model.

    Returns
    -------
    numpy.ndarray
        A copy of ``s`` with near-tied scores snapped.

    Examples
    --------
    >>> from milp_market import load_instance
    >>> inst = load_instance("instances/entry_two_types.json")     # A scores 0.8 on type a
    >>> snap_to_levels(inst, [0.8 + 5e-10, 0.5]).tolist()
    [0.8, 0.5]
    """
    lv = game.tie_levels(inst)
    s = np.array(s, dtype=float)
    for t in range(inst.n_types):
        near = np.flatnonzero(np.abs(inst.scores[:, t] - s[t]) <= TIE_TOL)
        if near.size:
            s[t] = lv.value[t][lv.level[near[0], t]]
    return s
