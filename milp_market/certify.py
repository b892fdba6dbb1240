"""What every certified MILP answer shares, defined once: the error raised when an answer fails
the exact re-check, the cutoff by which a confirming run must beat an incumbent, the pair of
HiGHS configurations whose agreement certifies a claim, and the time left before a deadline.

The agreement rule (formulations/README.md, "Solver safeguards"): a claim that ends a loop
("infeasible", or "nothing better than the incumbent by CUTOFF_DELTA") stands only when both
configurations of :func:`solver_pair` reproduce it, because HiGHS has returned false
"infeasible" and wrong optima in ways that depend on its configuration. The loops that apply it:
``orchestrate.certified_loop`` (equilibria, social optimum under logit, all equilibria),
``regret.min_regret`` (each configuration must close the gap) and ``entry.solve_entry``
(configurations take turns, each with a polishing twin).
"""

from __future__ import annotations

import time

from .formulations.highs import CONFIRM, PRIMARY, PersistentHighs

#: Objective units (scaled so the largest coefficient is 1) by which a confirming run must beat
#: the incumbent: certified optima are optimal to within this (times the instance's scale).
CUTOFF_DELTA = 1e-6


class VerificationError(RuntimeError):
    """An answer failed the exact re-check: an error, never an output."""


def solver_pair(extra: dict | None = None, suffix: str = "") -> tuple[PersistentHighs, PersistentHighs]:
    """The two HiGHS configurations (PRIMARY, CONFIRM) whose agreement certifies a claim, each
    with ``extra`` options added (e.g. entry's polishing tolerances) and ``suffix`` in its name.

    Examples
    --------
    >>> [s.name for s in solver_pair()]
    ['primary', 'confirm']
    """
    extra = extra or {}
    return (
        PersistentHighs({**PRIMARY, **extra}, name="primary" + suffix),
        PersistentHighs({**CONFIRM, **extra}, name="confirm" + suffix),
    )


def time_left(deadline: float | None) -> float | None:
    """Seconds until ``deadline`` (a ``time.perf_counter()`` value; None: no deadline)."""
    return None if deadline is None else deadline - time.perf_counter()
