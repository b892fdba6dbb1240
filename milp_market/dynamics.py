"""Best-response dynamics, as in the seed paper: platforms revise in turn.

Platform i (cyclically 0, 1, ..., N-1) switches to a best response against the others; it stays
when its current model is already a best response (within ``EQ_TOL``), otherwise it takes the
best response of lowest pool index. The state (assignment, next mover) is finite, so the process
either reaches a round in which nobody moves (a pure equilibrium) or revisits a state (a cycle,
which is returned). Unlike the MILPs, dynamics can neither prove that no equilibrium exists nor
find the worst one (reports/dynamics-vs-certified.md measures what they miss).

With ``record=True`` the run keeps its trajectory, one :class:`Revision` per revision (the seed
paper's ``history.csv``, code osu-srml/Generative_Competition, ``RealData/core/choice.py``), and
:func:`write_history` writes it as CSV.
"""

from __future__ import annotations

import csv
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import game
from .instance import Instance
from .results import DynamicsStatus


@dataclass(frozen=True)
class Revision:
    """One revision of the dynamics: what the market looks like after platform ``platform`` moved
    (or stayed).

    Attributes
    ----------
    step : revision number, 1, 2, ...; 0 is the start (before any revision).
    round : ``(step - 1) // N + 1`` (every platform revises once per round); 0 at the start.
    platform : the platform that revised (``(step - 1) % N``); -1 at the start.
    old, new : its model (pool index) before and after; -1 at the start.
    gain : its utility gain by switching (0.0 when it stayed).
    assignment : every platform's model after the revision.
    utilities : every platform's utility after the revision.
    welfare, hhi, shannon : of the profile after the revision (:mod:`milp_market.game`).

    Examples
    --------
    Two platforms start on A in a market where A serves user type 1 and B type 2; platform 0
    moves to B in the first revision:

    >>> from milp_market.instance import make_instance
    >>> inst = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> r = best_response_dynamics(inst, start=[0, 0], record=True).history[1]
    >>> r.step, r.round, r.platform, r.old, r.new, r.gain, r.switched
    (1, 1, 0, 0, 1, 0.25, True)
    >>> r.assignment, r.utilities, r.welfare
    ((1, 0), (0.5, 0.5), 1.0)
    """

    step: int
    round: int
    platform: int
    old: int
    new: int
    gain: float
    assignment: tuple[int, ...]
    utilities: tuple[float, ...]
    welfare: float
    hhi: float
    shannon: float

    @property
    def switched(self) -> bool:
        return self.platform >= 0 and self.old != self.new


@dataclass(frozen=True)
class DynamicsResult:
    """The outcome of :func:`best_response_dynamics`.

    Attributes
    ----------
    status : ``"converged"`` (a round without a switch: a pure equilibrium), ``"cycle"`` (a state
        (assignment, next mover) came back: the dynamics never converge from this start) or
        ``"max_steps"`` (stopped at the revision cap, undecided).
    start, final : each platform's model (pool index) at the start and at the end.
    steps : revisions in which a platform switched.
    cycle : count vectors before each revision along the cycle (empty unless ``"cycle"``).
    history : the trajectory, start first (empty unless the run was asked to ``record``).

    Examples
    --------
    ``instances/no_equilibrium.json`` (3 models, 2 platforms) has no pure equilibrium, so the
    dynamics cycle:

    >>> from milp_market import load_instance
    >>> inst = load_instance("instances/no_equilibrium.json")
    >>> res = best_response_dynamics(inst, seed=0)
    >>> res.status.value, res.start, res.steps
    ('cycle', (2, 1), 6)
    >>> res.cycle[:3]  # count vectors over (A, B, C) along the cycle
    ((0, 1, 1), (1, 1, 0), (1, 0, 1))
    >>> res.counts(inst)
    (0, 1, 1)
    """

    status: DynamicsStatus
    start: tuple[int, ...]
    final: tuple[int, ...]
    steps: int
    cycle: tuple[tuple[int, ...], ...]
    history: tuple[Revision, ...] = ()

    def counts(self, inst: Instance) -> tuple[int, ...]:
        """The final count vector {model index: platforms} as a tuple of length M."""
        return _counts(self.final, inst.n_models)


def best_response_dynamics(
    inst: Instance, start=None, *, seed: int = 0, max_steps: int = 100_000, record: bool = False
) -> DynamicsResult:
    """Run best-response dynamics from ``start`` (model index per platform; random if None).

    Parameters
    ----------
    inst : the market game (hardmax or logit choice).
    start : sequence of N model indices, or None for a start drawn uniformly with ``seed``.
    seed : seed of the random start (``numpy.random.default_rng``).
    max_steps : the most revisions (switches and stays) before stopping with ``"max_steps"``.
    record : keep the trajectory in ``history`` (one :class:`Revision` per revision, after a
        row for the start); costs an evaluation of the profile after each switch.

    Returns
    -------
    DynamicsResult

    Raises
    ------
    ValueError
        When ``start`` does not give one model index in ``range(M)`` per platform.

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> inst = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> res = best_response_dynamics(inst, start=[0, 0], record=True)
    >>> res.status, res.final, res.steps
    (<DynamicsStatus.CONVERGED: 'converged'>, (1, 0), 1)
    >>> [(r.step, r.platform, r.old, r.new, r.welfare) for r in res.history]
    [(0, -1, -1, -1, 0.5), (1, 0, 0, 1, 1.0), (2, 1, 0, 0, 1.0), (3, 0, 1, 1, 1.0)]
    """
    M, N = inst.n_models, inst.platforms
    rng = np.random.default_rng(seed)
    f = list(rng.integers(0, M, size=N)) if start is None else list(start)
    if len(f) != N or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or not 0 <= x < M for x in f):
        raise ValueError(f"start must give one model index in range({M}) per platform ({N})")
    f = [int(x) for x in f]
    start_t = tuple(f)
    seen: dict[tuple, int] = {}
    states: list[tuple[int, ...]] = []
    rows: list[Revision] = []
    metrics = _metrics(inst, f) if record else None
    if record:
        rows.append(Revision(0, 0, -1, -1, -1, 0.0, tuple(f), *metrics))
    quiet = 0  # consecutive revisions without a switch
    steps = 0
    i = 0
    status = DynamicsStatus.MAX_STEPS
    for r in range(1, max_steps + 1):
        state = (tuple(f), i)
        if state in seen:
            loop = states[seen[state]:]
            return DynamicsResult(DynamicsStatus.CYCLE, start_t, tuple(f), steps, tuple(_counts(a, M) for a in loop), tuple(rows))
        seen[state] = len(states)
        states.append(tuple(f))
        others = np.bincount(f, minlength=M)
        others[f[i]] -= 1
        pay = game.payoffs_against(inst, others)
        old, gain = f[i], 0.0
        if pay.max() - pay[f[i]] > game.EQ_TOL:
            f[i] = int(np.flatnonzero(pay >= pay.max() - game.EQ_TOL)[0])
            gain = float(pay[f[i]] - pay[old])
            steps += 1
            quiet = 0
            if record:
                metrics = _metrics(inst, f)
        else:
            quiet += 1
        if record:
            rows.append(Revision(r, (r - 1) // N + 1, i, old, f[i], gain, tuple(f), *metrics))
        if quiet >= N:
            status = DynamicsStatus.CONVERGED
            break
        i = (i + 1) % N
    return DynamicsResult(status, start_t, tuple(f), steps, (), tuple(rows))


def _metrics(inst: Instance, assign) -> tuple[tuple[float, ...], float, float, float]:
    """(each platform's utility, welfare, HHI, Shannon) of an assignment."""
    n = _counts(assign, inst.n_models)
    u = game.platform_utilities(inst, n)
    return tuple(float(u[j]) for j in assign), game.welfare(inst, n), game.hhi(inst, n), game.shannon(inst, n)


def _counts(assign, M):
    return tuple(int(c) for c in np.bincount(np.asarray(assign, dtype=np.int64), minlength=M))


def history_columns(N: int) -> list[str]:
    """The header of :func:`write_history`'s CSV for N platforms.

    Examples
    --------
    >>> history_columns(2)  # doctest: +NORMALIZE_WHITESPACE
    ['step', 'round', 'platform', 'old_model', 'new_model', 'switched', 'gain', 'model_0', 'model_1',
     'utility_0', 'utility_1', 'welfare', 'hhi', 'shannon']
    """
    return [
        "step", "round", "platform", "old_model", "new_model", "switched", "gain",
        *(f"model_{p}" for p in range(N)), *(f"utility_{p}" for p in range(N)),
        "welfare", "hhi", "shannon",
    ]


def write_history(inst: Instance, result: DynamicsResult, path) -> int:
    """Write ``result.history`` as CSV to ``path``, atomically; return the number of revisions.

    One row per revision, after a row for the start (step 0, platform -1, empty old and new
    model): the revision's ``step``, ``round``, ``platform``, ``old_model`` and ``new_model``
    (names), ``switched`` (0/1), the mover's ``gain``, every platform's model (``model_p``) and
    utility (``utility_p``) after it, and the profile's ``welfare``, ``hhi`` and ``shannon``.
    The file is written next to ``path`` under a temporary name and moved into place by
    ``os.replace``, so ``path`` is never left half-written.

    Raises
    ------
    ValueError
        When the run was not recorded (``record=False``).
    OSError
        When the file cannot be written (the temporary file is removed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from milp_market.instance import make_instance
    >>> inst = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"])
    >>> res = best_response_dynamics(inst, start=[0, 0], record=True)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     n = write_history(inst, res, pathlib.Path(d) / "history.csv")
    ...     lines = (pathlib.Path(d) / "history.csv").read_text().splitlines()
    >>> n, lines[0].split(",")[:7]
    (3, ['step', 'round', 'platform', 'old_model', 'new_model', 'switched', 'gain'])
    >>> lines[2]  # step 1: platform 0 switches from A to B and gains 0.25
    '1,1,0,A,B,1,0.25,B,A,0.5,0.5,1.0,0.5,0.6931471805599453'
    """
    if not result.history:
        raise ValueError("no trajectory to write: run best_response_dynamics(..., record=True)")
    path = Path(path)
    names = inst.model_names
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"  # a fresh name beside path
    try:
        with open(tmp, "x", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(history_columns(inst.platforms))
            for r in result.history:
                w.writerow([
                    r.step, r.round, r.platform,
                    names[r.old] if r.old >= 0 else "", names[r.new] if r.new >= 0 else "",
                    int(r.switched), repr(r.gain),
                    *(names[j] for j in r.assignment), *(repr(u) for u in r.utilities),
                    repr(r.welfare), repr(r.hhi), repr(r.shannon),
                ])
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return len(result.history) - 1
