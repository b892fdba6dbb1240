"""Result values: small frozen dataclasses with a status. The CLI and the reports only format them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from .game import ProfileSummary, anarchy_floor
from .instance import Instance


class Status(str, Enum):
    """What was proven about pure equilibria.

    ``EQUILIBRIUM``: at least one exists (best and worst are certified optima);
    ``NO_EQUILIBRIUM``: proven that none exists; ``UNKNOWN``: a limit came before a proof.
    Compare by identity; the value is the CLI's ``status`` string.

    Examples
    --------
    >>> import milp_market as mm
    >>> res = mm.solve(mm.load_instance("instances/no_equilibrium.json"), method="enumerate")
    >>> res.status is mm.Status.NO_EQUILIBRIUM, res.status.value
    (True, 'no_equilibrium')
    >>> mm.Status("equilibrium") is mm.Status.EQUILIBRIUM
    True
    """

    EQUILIBRIUM = "equilibrium"  # at least one exists; best/worst are certified optima
    NO_EQUILIBRIUM = "no_equilibrium"  # proven: infeasible relaxation or complete enumeration
    UNKNOWN = "unknown"  # a limit was reached before a proof; see incumbent and bound


class _Named(str, Enum):
    """A status that prints as its value (in f-strings and JSON alike) and compares by identity
    or with its value."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __hash__(self) -> int:  # as its value, so that it and its value are one dict key
        return hash(self.value)


class RegretStatus(_Named):
    """How a minimum-regret search ended (``regret.min_regret``).

    Examples
    --------
    >>> from milp_market.results import RegretStatus
    >>> s = RegretStatus("optimal")
    >>> s is RegretStatus.OPTIMAL, f"{s}", s == "optimal"
    (True, 'optimal', True)
    """

    OPTIMAL = "optimal"  # the profile's regret is the smallest (both configurations closed the gap)
    UNKNOWN = "unknown"  # a limit: the incumbent's regret is an upper bound, ``bound`` a lower one


class ListStatus(_Named):
    """How a listing of every equilibrium ended (``orchestrate.enumerate_equilibria``).

    Examples
    --------
    >>> import milp_market as mm
    >>> eqs = mm.enumerate_equilibria(mm.load_instance("instances/ties.json"), max_equilibria=2)
    >>> eqs.status is mm.ListStatus.CAP_REACHED, str(eqs.status)
    (True, 'cap_reached')
    """

    COMPLETE = "complete"  # proven: there are no others
    CAP_REACHED = "cap_reached"  # the best ``max_equilibria`` of a longer list
    TIME_LIMIT = "time_limit"  # the ones found before the limit; there may be more


class DynamicsStatus(_Named):
    """How best-response dynamics ended (``dynamics.best_response_dynamics``).

    Examples
    --------
    >>> import milp_market as mm
    >>> res = mm.best_response_dynamics(mm.load_instance("instances/no_equilibrium.json"))
    >>> res.status is mm.DynamicsStatus.CYCLE, f"{res.status}"
    (True, 'cycle')
    """

    CONVERGED = "converged"  # a round without a switch: a pure equilibrium
    CYCLE = "cycle"  # a state came back: no convergence from this start
    MAX_STEPS = "max_steps"  # stopped at the revision cap, undecided


class PossibleStatus(_Named):
    """Whether some score matrix of an uncertainty box makes a profile a pure equilibrium
    (``robust.possible_equilibrium``; formulations/robust.md, "Possible equilibria").

    Examples
    --------
    >>> from milp_market.results import PossibleStatus
    >>> PossibleStatus("impossible") is PossibleStatus.IMPOSSIBLE, str(PossibleStatus.POSSIBLE)
    (True, 'possible')
    """

    POSSIBLE = "possible"  # a witness matrix of the box, re-checked by the exact evaluator
    IMPOSSIBLE = "impossible"  # proven: the relaxation is infeasible under two HiGHS configurations
    UNKNOWN = "unknown"  # the relaxation is feasible but no candidate survived the re-check


class MarketPossibleStatus(_Named):
    """Whether "no pure equilibrium" is robust over an uncertainty box
    (``robust.possible_market_equilibrium``).

    Examples
    --------
    >>> from milp_market.results import MarketPossibleStatus
    >>> MarketPossibleStatus("robust") is MarketPossibleStatus.ROBUST, f"{MarketPossibleStatus.FRAGILE}"
    (True, 'fragile')
    """

    FRAGILE = "fragile"  # some matrix of the box has a pure equilibrium (witness, re-checked)
    ROBUST = "robust"  # proven: no matrix of the box makes any profile an equilibrium
    UNKNOWN = "unknown"  # some profile undecided, or the profile limit reached


class NominalStatus(_Named):
    """What ``robust.robust_profiles`` certified: the nominal game's equilibria (its solve status,
    the values of :class:`Status`) or profiles given by the caller.

    Examples
    --------
    >>> from milp_market.results import NominalStatus, Status
    >>> NominalStatus(Status.EQUILIBRIUM.value) is NominalStatus.EQUILIBRIUM, str(NominalStatus.GIVEN)
    (True, 'given')
    """

    EQUILIBRIUM = "equilibrium"
    NO_EQUILIBRIUM = "no_equilibrium"
    UNKNOWN = "unknown"
    GIVEN = "given"  # the caller's profiles; the nominal game was not solved


class SolveStatus(str, Enum):
    """How one MILP solve ended (the solver's answer, mapped through one table in highs.py).

    Examples
    --------
    >>> from milp_market.results import SolveStatus
    >>> SolveStatus("time_limit") is SolveStatus.TIME_LIMIT, SolveStatus.OPTIMAL.value
    (True, 'optimal')
    """

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    TIME_LIMIT = "time_limit"
    ERROR = "error"


@dataclass(frozen=True)
class Extreme:
    """The welfare-best or welfare-worst equilibrium, or what is known when unproven.

    Attributes
    ----------
    profile : ProfileSummary or None
        The verified equilibrium (the incumbent when not proven).
    bound : float
        A proven bound on the welfare of the extreme equilibrium (upper for the best, lower for
        the worst).
    proven : bool
        True when ``profile`` is a certified optimum.

    Examples
    --------
    In ``instances/ties.json`` every equilibrium has welfare 1; the best one found first is AAB:

    >>> import milp_market as mm
    >>> best = mm.solve(mm.load_instance("instances/ties.json"), method="enumerate").best
    >>> best.counts, best.welfare, best.bound, best.proven
    ({'A': 2, 'B': 1}, 1.0, 1.0, True)
    >>> best.profile.structure, best.profile.utilities
    ('partial', (0.25, 0.5, 0.0, 0.0))
    """

    profile: ProfileSummary | None  # verified equilibrium (incumbent when not proven)
    bound: float  # proven bound on the welfare of the extreme equilibrium
    proven: bool  # True when profile is a certified optimum

    @property
    def counts(self) -> dict | None:
        """The profile as {model name: platforms} (models in use), None when there is none.

        Examples
        --------
        >>> import numpy as np
        >>> import milp_market as mm
        >>> inst = mm.make_instance(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.5, 0.5]), 2, model_names=["a", "b"])
        >>> res = mm.solve(inst)
        >>> res.best.counts, res.best.welfare
        ({'a': 1, 'b': 1}, 1.0)
        """
        return None if self.profile is None else self.profile.model_counts

    @property
    def welfare(self) -> float | None:
        """The profile's exact welfare (None when there is none)."""
        return None if self.profile is None else self.profile.welfare


@dataclass(frozen=True)
class MarketResult:
    """The full answer for one instance.

    Attributes
    ----------
    status : Status
        What was proven about pure equilibria.
    best, worst : Extreme or None
        The welfare-best and welfare-worst equilibria (or incumbents and bounds when unknown).
    social_optimum : ProfileSummary or None
        The welfare-maximizing profile (equilibrium or not); ``social_optimum_proven`` says
        whether it is certified.
    social_optimum_bound : float or None
        A proven upper bound on the optimal welfare: the certified optimum's welfare when
        proven; when not, the bound the method proved before its limit (None if it proved none).
    method : str
        How it was solved (``"enumerate"``, ``"search"``, ``"milp"``, ``"auto:..."``,
        ``"...search+milp"``).
    seconds : float
    verified : bool
        Whether every reported equilibrium was re-checked by the exact evaluator.
    stats : dict
        Method-specific counters (the CLI's ``stats``).
    instance : Instance or None
        The instance answered (names for ``to_dict`` and ``repr``).

    Examples
    --------
    >>> import milp_market as mm
    >>> res = mm.solve(mm.load_instance("instances/ties.json"), method="enumerate")
    >>> res.status is mm.Status.EQUILIBRIUM, res.best.counts, res.social_optimum.counts
    (True, {'A': 2, 'B': 1}, (2, 1, 0, 0))
    >>> res.price_of_anarchy, res.price_of_stability, res.equilibrium_exists
    (1.0, 1.0, True)
    >>> res.proof
    'complete enumeration of all count vectors'
    >>> res.to_dict()["best"]["counts"]
    {'A': 2, 'B': 1}

    Without an equilibrium there is no price of anarchy:

    >>> res = mm.solve(mm.load_instance("instances/no_equilibrium.json"), method="enumerate")
    >>> res.status.value, res.price_of_anarchy, res.equilibrium_exists, res.best
    ('no_equilibrium', None, False, None)
    """

    status: Status
    best: Extreme | None
    worst: Extreme | None
    social_optimum: ProfileSummary | None
    social_optimum_proven: bool
    method: str
    seconds: float
    verified: bool
    stats: dict = field(repr=False)
    #: the instance answered (for names in ``to_dict`` and ``repr``); not part of equality
    instance: Instance | None = field(default=None, repr=False, compare=False)
    #: proven upper bound on the optimal welfare (see Attributes)
    social_optimum_bound: float | None = None

    def __repr__(self) -> str:
        """One line a notebook can read: status, proof method, extremes with welfare, PoA/PoS.

        Examples
        --------
        >>> import numpy as np
        >>> from milp_market import make_instance, solve_market
        >>> inst = make_instance(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.5, 0.5]), 2, model_names=["a", "b"])
        >>> solve_market(inst, method="enumerate")  # doctest: +ELLIPSIS
        MarketResult(status='equilibrium', method='enumerate', best={a: 1, b: 1} W=1, worst={a: 1, b: 1} W=1, social_optimum={a: 1, b: 1} W=1 (proven), PoA=1, PoS=1, seconds=...)
        """
        names = self.instance.model_names if self.instance is not None else None

        def prof(p):
            if p is None:
                return "None"
            used = [(names[j] if names else str(j), c) for j, c in enumerate(p.counts) if c > 0]
            return "{" + ", ".join(f"{n}: {c}" for n, c in used) + "}" + f" W={p.welfare:.6g}"

        parts = [f"status={self.status.value!r}", f"method={self.method!r}"]
        for key in ("best", "worst"):
            ext = getattr(self, key)
            if ext is not None and ext.profile is not None:
                parts.append(f"{key}={prof(ext.profile)}" + ("" if ext.proven else f" (incumbent; bound {ext.bound:.6g})"))
        if self.social_optimum is not None:
            if self.social_optimum_proven:
                tag = " (proven)"
            elif self.social_optimum_bound is not None:
                tag = f" (not proven; bound {self.social_optimum_bound:.6g})"
            else:
                tag = " (not proven)"
            parts.append(f"social_optimum={prof(self.social_optimum)}{tag}")
        for key, v, b in (
            ("PoA", self.price_of_anarchy, self.price_of_anarchy_bounds),
            ("PoS", self.price_of_stability, self.price_of_stability_bounds),
        ):
            if v is not None:
                parts.append(f"{key}={v:.6g}")
            elif b is not None:
                parts.append(f"{key} in [{b[0]:.6g}, {b[1]:.6g}]")
        parts.append(f"seconds={self.seconds:.3g}")
        return "MarketResult(" + ", ".join(parts) + ")"

    @property
    def price_of_anarchy(self) -> float | None:
        """Social-optimum welfare over worst-equilibrium welfare (None without an equilibrium)."""
        if self.status is not Status.EQUILIBRIUM or self.social_optimum is None:
            return None
        return _ratio(self.social_optimum.welfare, self.worst.profile.welfare)

    @property
    def price_of_stability(self) -> float | None:
        """Social-optimum welfare over best-equilibrium welfare (None without an equilibrium)."""
        if self.status is not Status.EQUILIBRIUM or self.social_optimum is None:
            return None
        return _ratio(self.social_optimum.welfare, self.best.profile.welfare)

    @property
    def price_of_anarchy_bounds(self) -> tuple[float, float] | None:
        """A proven interval for the price of anarchy (formulations/welfare_bounds.md, W3): the
        point (PoA, PoA) when proven; when a limit stopped the method after it found an
        equilibrium, (optimum found / worst found, optimum's bound / worst's bound), the upper end
        inf when nothing bounds the worst from below. None without a known equilibrium.

        Examples
        --------
        >>> import milp_market as mm
        >>> mm.solve(mm.load_instance("instances/ties.json"), method="enumerate").price_of_anarchy_bounds
        (1.0, 1.0)
        """
        return self._price_bounds("worst")

    @property
    def price_of_stability_bounds(self) -> tuple[float, float] | None:
        """A proven interval for the price of stability, like :attr:`price_of_anarchy_bounds`:
        (optimum found / best's bound, optimum's bound / best found) when not proven."""
        return self._price_bounds("best")

    def _price_bounds(self, key: str) -> tuple[float, float] | None:
        if self.status is Status.EQUILIBRIUM:
            v = self.price_of_anarchy if key == "worst" else self.price_of_stability
            return None if v is None else (v, v)
        ext = getattr(self, key)
        if self.status is not Status.UNKNOWN or ext is None or ext.profile is None or self.social_optimum is None:
            return None
        opt_lo = self.social_optimum.welfare
        opt_hi = opt_lo if self.social_optimum_proven else (
            math.inf if self.social_optimum_bound is None else max(opt_lo, self.social_optimum_bound)
        )
        bound = _known_bound(ext.bound, key)
        if key == "worst":
            # W(worst) lies in [worst's lower bound, worst found]
            w_lo, w_hi = (ext.profile.welfare, ext.profile.welfare) if ext.proven else (bound, ext.profile.welfare)
        else:
            # W(best) lies in [best found, best's upper bound]
            w_lo, w_hi = (ext.profile.welfare, ext.profile.welfare) if ext.proven else (ext.profile.welfare, bound)
        # no equilibrium beats the optimum: a ratio is at least 1
        lo, hi = max(1.0, _ratio(opt_lo, w_hi)), max(1.0, _ratio(opt_hi, w_lo))
        if key == "worst" and self.instance is not None:
            # Lemma W1 with o = an optimal profile: W(worst) >= (OPT - c) / 2, so PoA <=
            # 2 OPT / (OPT - c), which decreases in OPT >= opt_lo (formulations/welfare_bounds.md, W3)
            floor = anarchy_floor(self.instance, opt_lo)
            if floor is not None and floor > 0:
                hi = max(lo, min(hi, opt_lo / floor))
        return lo, hi

    @property
    def proof(self) -> str:
        """How the status was established."""
        if self.status is Status.UNKNOWN:
            reason = str(self.stats.get("unknown_reason", "a limit was reached"))
            if self.equilibrium_exists:
                # existence is proven by the incumbent itself (every profile shown passed
                # game.is_equilibrium); only the optima are open, unless a bound of
                # formulations/welfare_bounds.md met one of them
                proven = [k for k in ("best", "worst") if getattr(self, k) is not None and getattr(self, k).proven]
                if proven:
                    which = (
                        f"the {proven[0]} equilibrium, whose welfare meets its proven bound" if len(proven) == 1
                        else "the best and the worst equilibria, whose welfare meets their proven bounds"
                    )
                    return f"existence, and {which} (formulations/welfare_bounds.md); the list of equilibria is incomplete: {reason}"
                return f"existence only: an equilibrium, re-checked by the exact evaluator; optima unproven: {reason}"
            return "none: " + reason
        if self.method.endswith("enumerate"):
            return "complete enumeration of all count vectors"
        logit = self.instance is not None and self.instance.choice == "softmax"
        search = (
            "exhaustive count-vector search with proven pruning bounds (formulations/logit_search.md)"
            if logit else "exhaustive support search with proven pruning bounds (formulations/search.md)"
        )
        if self.stats.get("reference_confirmation") == "agrees":
            # formulations/search.md, "Reference search": the whole list, found again
            search += "; every equilibrium (or none) listed again by the reference search, a second implementation"
        if self.method.endswith("search+milp"):
            return search + "; existence, best and worst welfare and the social optimum confirmed independently by the MILP"
        if self.method.endswith("search"):
            return search
        if self.status is Status.NO_EQUILIBRIUM:
            return "MILP relaxation of the equilibrium set is infeasible"
        return "MILP optimum over a relaxation of the equilibrium set, verified to be an equilibrium"

    @property
    def equilibrium_exists(self) -> bool | None:
        """True/False when proven (a verified equilibrium, or a proof of none), None otherwise."""
        if self.status is Status.NO_EQUILIBRIUM:
            return False
        if self.best is not None and self.best.profile is not None:
            return True
        return None

    def to_dict(self, inst: Instance | None = None) -> dict:
        """The answer as a strict-JSON-ready dict (the CLI's ``--json``); ``inst`` defaults to
        the instance the result was computed for."""
        inst = inst if inst is not None else self.instance
        if inst is None:
            raise ValueError("to_dict needs the instance (this result was built without one)")
        out = {"instance": inst.name, "status": self.status.value, "equilibrium_exists": self.equilibrium_exists}
        for key in ("best", "worst"):
            ext = getattr(self, key)
            if ext is not None and ext.profile is not None:
                d = ext.profile.to_dict(inst)
                d["proven_optimal"] = ext.proven
                d["bound"] = _json_num(ext.bound)
                if self.status is Status.EQUILIBRIUM:
                    out[key] = d
                else:
                    out[key + "_incumbent"] = d
            elif ext is not None and self.status is Status.UNKNOWN:
                out[key + "_bound"] = _json_num(ext.bound)
        if self.social_optimum is not None:
            out["social_optimum"] = {
                "counts": inst.counts_dict(self.social_optimum.counts),
                "welfare": self.social_optimum.welfare,
                "proven_optimal": self.social_optimum_proven,
                "bound": _json_num(self.social_optimum_bound),
            }
        out["price_of_anarchy"] = _json_num(self.price_of_anarchy)
        out["price_of_stability"] = _json_num(self.price_of_stability)
        for key in ("price_of_anarchy", "price_of_stability"):
            b = getattr(self, key + "_bounds")
            out[key + "_bounds"] = None if b is None else [_json_num(b[0]), _json_num(b[1])]
        out["verified"] = self.verified
        out["proof"] = self.proof
        out["method"] = self.method
        out["seconds"] = round(self.seconds, 4)
        out["stats"] = self.stats
        return out


def _known_bound(bound, key: str) -> float:
    """A proven bound on the ``key`` ("best" or "worst") equilibrium's welfare, or the trivial one
    when there is none (None or NaN: a MILP stopped before HiGHS had a dual bound): no upper bound on
    the best, 0 under the worst (scores and masses are non-negative). NaN must not reach max / min,
    which would keep it and drop every valid bound beside it."""
    if bound is None or math.isnan(bound):
        return math.inf if key == "best" else 0.0
    return bound


def _ratio(a: float, b: float) -> float:
    if b <= 0:
        return math.inf if a > 0 else 1.0
    return a / b


def _json_num(x):
    """Strict JSON has no Infinity or NaN: infinity is written "inf" (or "-inf"), NaN null."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x
