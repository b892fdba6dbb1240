"""Support search: every pure equilibrium of a hardmax game, by depth-first search over the set
of models in use, with proven pruning bounds. The page is formulations/search.md; the lemma
numbers in the comments below are its numbers.

A *support* U is the set of models with at least one platform. Under hardmax choice a support
fixes, for every user type, the top tie class; the counts only decide how each class's users are
split. The search branches on one model at a time, included or excluded (Lemma 1: every support
is reached exactly once), prunes a whole subtree when a necessary condition of equilibrium fails
for every support in it (Lemmas 2-4), and on each support it reaches checks the count vectors:
a compiled necessary screen first (Lemma 6), then the exact evaluator
:func:`game.is_equilibrium`, which alone decides.
"No equilibrium" from a complete search is a proof by exhaustion, like enumeration's.

The social optimum is a separate branch and bound over supports for the max-coverage welfare
(Lemma 5). A search that has found no equilibrium after half a second also asks best-response
dynamics for one (witness.py, "Existence witnesses"): what they reach is re-checked exactly and
listed at once, and a complete search must have found it itself.
"""

from __future__ import annotations

import collections
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import game
from .instance import Instance
from .witness import WITNESS_AFTER, WITNESS_SECONDS, check_witnesses, find_witnesses

#: How many excluded models the entry bound (Lemma 2b) looks at per node: the ones with the
#: largest payoff against the included models. Any subset gives a valid bound. Measured on
#: uniform (30,40,6) and ties (20,40,5): 1 candidate visits up to 1.7x the nodes of 8, and 64
#: visit no fewer than 8.
ENTRY_CANDIDATES = 8

#: The most nodes per call of the compiled search between deadline and progress checks (slices
#: start at 1 node and double while a slice takes under 0.05 s).
NODES_PER_SLICE = 2000

#: At most this many workers share one search (search.md, "Parallel search").
MAX_THREADS = 8

#: Bytes of a worker's first survivor buffer (16 to 1,024 count vectors; it doubles as needed).
OUT_BYTES = 1 << 23

#: A search that is not done after this long (one thread) is shared among the workers.
SERIAL_SECONDS = 0.05

#: With a time limit, the social optimum (Lemma 5) runs first, for at most this share of the
#: limit: an equilibrium search stopped at the limit then still reports a proven optimum (and the
#: best equilibrium a proven bound). Measured: 0.03-0.75 s at (50,100,8) and (100,200,10) on ties,
#: 0.55 s on uniform (50,100,8); uniform (100,200,10) is not done in 30 s (search.md, Lemma 5(d)).
SOCIAL_FIRST_SHARE = 0.1

#: Count vectors one slice may screen when there is a deadline (about 0.1-0.5 s of work); a
#: support that needs more is redone with twice the budget (Search order, search.md).
VECTORS_PER_SLICE = 200_000

#: Survivors a slice still verifies once ``max_equilibria`` is reached (so that a small complete
#: list cut by the cap still says how many there are); the rest are left unchecked, which makes
#: the run incomplete. Without it, an epsilon-search on LiveBench at N = 30 verified 42,751
#: survivors of one support for ``max_equilibria=1`` (min-regret's decision step: 39 s, past its
#: limit).
CAP_EXTRA = 256

#: Pruning rules beyond Lemmas 2-4, and the branching rule 15, as bits (search.md, "Rules 7-16";
#: `_search_kernels.fails` and `dfs_binary` read them). Each is valid alone; tests/test_search.py
#: checks each alone against enumeration.
RULE_TIE_SHARE = 1  #: Rule 7: a tie is shared only with the platforms not held below the top
RULE_FIXED_POINT = 2  #: Rule 8: drop from R the models that cannot earn lambda_lb, repeat
RULE_COVERAGE = 4  #: Rule 9: coverage bounds on the losses and gains of added models
RULE_EXCLUDE_ADDS = 8  #: Rule 10: an exclude node must still add a model
RULE_INHERIT = 16  #: Rule 11: lambda_lb and the dropped models pass to the whole subtree
RULE_ALL_UNDECIDED = 32  #: Lemma 2c over all of R, not its slots + 4 strongest (off: costs more)
RULE_COMPATIBLE = 64  #: Rule 12: r stays in R only if the included models survive its entry
RULE_STAGED = 128  #: Rule 13: stop bounding lambda once the node is pruned anyway
RULE_TIE_JENSEN = 256  #: Rule 14: an entrant's tie shares bounded jointly (Cauchy-Schwarz)
RULE_COVER_BRANCH = 512  #: Rule 15: branch on the model that covers the strongest excluded entrants
RULE_MEMBER_COUNTS = 1024  #: Rule 16: per-member count ranges at an exact support, own floors in Lemma 4
#: The rules the search runs with (0 = Lemmas 2-4 only, as in stop 9).
RULES = (
    RULE_TIE_SHARE | RULE_FIXED_POINT | RULE_COVERAGE | RULE_EXCLUDE_ADDS | RULE_INHERIT
    | RULE_COMPATIBLE | RULE_STAGED | RULE_TIE_JENSEN | RULE_COVER_BRANCH | RULE_MEMBER_COUNTS
)


@dataclass(frozen=True)
class SearchResult:
    """What the support search learned. ``complete`` is False when it stopped at a limit.

    ``equilibria`` are sorted by decreasing exact welfare; every one passed
    :func:`game.is_equilibrium`. ``social_optimum`` is optimal to within ``TIE_TOL`` absolute
    welfare (plus the rounding of sums of K terms) when ``social_complete`` (Lemma 5).
    ``nodes``, ``supports_checked`` and ``profiles_checked`` count work done: a support whose
    survivors overflowed the buffer is counted again when it is redone.
    """

    equilibria: tuple[tuple[int, ...], ...]
    welfare: tuple[float, ...]
    complete: bool
    social_optimum: tuple[int, ...] | None
    social_welfare: float
    social_complete: bool
    nodes: int
    pruned: int
    supports_checked: int
    profiles_checked: int
    seconds: float
    #: a proven upper bound on the social optimum's welfare (the optimal V of Lemma 5 when
    #: complete; inf when unknown, e.g. the logit search's result)
    social_bound: float = math.inf
    #: seconds from the start until the first equilibrium passed the exact evaluator (None when
    #: none was found): from then on existence is proven, even if the search stops at a limit
    first_equilibrium_seconds: float | None = None
    #: the share of the search tree closed, each subtree weighted by 2^-depth (search.md,
    #: "Progress: the tree weight"): 1.0 when ``complete``; how far a stopped search got; None
    #: when not measured (the logit search)
    tree_weight: float | None = None
    #: the equilibria that best-response dynamics reached, the exact evaluator confirmed and the
    #: search listed before its tree found them (search.md, "Existence witnesses"); a complete
    #: search's tree found every one of them too (checked)
    witnesses: tuple[tuple[int, ...], ...] = ()
    #: what found the first equilibrium: "tree" (the support search), "dynamics" (a witness), or
    #: None when there is none
    first_equilibrium_by: str | None = None


class SupportSearch:
    """The support search on one hardmax instance (formulations/search.md).

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> import numpy as np
    >>> inst = make_instance(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.5, 0.5]), 2)
    >>> res = SupportSearch(inst).run()
    >>> res.equilibria, res.complete
    (((1, 1),), True)
    """

    def __init__(self, inst: Instance, rules: int = RULES, epsilon: float = game.EQ_TOL):
        if inst.choice != "hardmax":
            raise ValueError("the support search is for hardmax choice (softmax: use the MILP or enumeration)")
        self.inst = inst
        self.rules = int(rules)
        # The deviation tolerance: a profile is kept when no platform gains more than epsilon.
        # EQ_TOL gives the pure equilibria; a larger epsilon the epsilon-equilibria, with every
        # rule unchanged (search.md, "Approximate equilibria": each lemma reads EQ_TOL as epsilon).
        if not (epsilon >= game.EQ_TOL and math.isfinite(epsilon)):
            raise ValueError(f"epsilon must be a finite number >= EQ_TOL ({game.EQ_TOL}), got {epsilon!r}")
        self.epsilon = float(epsilon)
        self.M, self.K, self.N = inst.n_models, inst.n_types, inst.platforms
        # Tie classes as integers: every comparison of scores below is an exact integer
        # comparison, consistent with game.shares (classes are TIE_TOL-separated, validated).
        self.lev = np.asarray(inst.levels)
        self.w = game.utility_weights(inst)  # what one unit of share of t is worth on model j
        # Floating-point allowance for comparing two sums of at most K + N + 3 non-negative terms
        # that are equal in exact arithmetic (Lemma margins, search.md "Tolerances").
        self.fp = game.fp_slack(self.w, self.N)

    def run(
        self,
        time_limit: float | None = None,
        max_equilibria: int | None = None,
        social_optimum: bool = True,
        progress: Callable[[int, float], None] | None = None,
        threads: int | None = None,
        witnesses: bool = True,
    ) -> SearchResult:
        """All pure equilibria (and the social optimum), or what was found before a limit.

        The compiled depth-first search (``_search_kernels.dfs_binary``) runs in slices of at most
        ``NODES_PER_SLICE`` nodes so that the deadline and progress are honoured; the count
        vectors it lets through are decided here by :func:`game.is_equilibrium`. With
        ``threads`` > 1 (default: the cores this process may use, at most ``MAX_THREADS``) the
        tree is shared among workers by handing over subtrees (search.md, "Parallel search"):
        the same tree, the same nodes and the same answer, in less wall time. ``progress`` is
        called after each slice with the nodes visited and the tree weight closed so far.
        With ``witnesses``, a search that has found no equilibrium after ``WITNESS_AFTER``
        seconds runs best-response dynamics once (`witness.find_witnesses`, at most
        ``WITNESS_SECONDS``); what they reach and the exact evaluator confirms is listed at once,
        and a complete search must have found it too (search.md, "Existence witnesses").
        """
        t0 = time.perf_counter()
        deadline = None if time_limit is None else t0 + time_limit
        # loading the compiled kernels' cache (0.3-0.6 s, seconds on a loaded machine) counts
        from . import _search_kernels  # noqa: F401

        if threads is None:
            threads = default_threads()
        threads = max(1, int(threads))
        so_first = None
        if social_optimum and time_limit is not None:
            # Lemma 5(d): the social optimum first, within a share of the limit
            so_first = max_coverage(self.inst, SOCIAL_FIRST_SHARE * time_limit)
        pool = _Pool(deadline, max_equilibria, progress)
        if witnesses:
            # counted from the tree's start (after the social optimum's share of a limit)
            pool.witness_at = time.perf_counter() + WITNESS_AFTER
            pool.witness_search = lambda until, stop, on_found: find_witnesses(
                self.inst, tol=self.epsilon, until=until, stop=stop, on_found=on_found
            )
        main = _Worker(self, pool)
        main.start(None)
        # Small trees finish within the first slices: no thread is started for them.
        if main.work(until=t0 + SERIAL_SECONDS if threads > 1 else None):
            pool.finish(main)
        else:
            pool.queue.append(main)
            helpers = [threading.Thread(target=pool.loop, daemon=True) for _ in range(threads - 1)]
            for th in helpers:
                th.start()
            pool.loop()
            try:
                for th in helpers:
                    th.join()
            except BaseException:  # e.g. Ctrl-C while waiting: stop the helpers too
                with pool.cond:
                    pool.stop = True
                    pool.cond.notify_all()
                raise
        if pool.error is not None:
            raise pool.error
        if pool.queue:
            pool.complete = False  # stopped with subtrees never explored
        eqs, totals, complete = pool.eqs, pool.totals, pool.complete
        if complete:
            # two methods: every witness must be among the equilibria the tree found itself
            check_witnesses(pool.reached, pool.tree_found)
        first = None if pool.first_eq is None else pool.first_eq - t0
        so, so_w, so_complete, so_bound = None, math.nan, False, math.inf
        if so_first is not None and so_first[2]:
            so, so_w, so_complete, so_bound = so_first
        elif social_optimum:
            left = None if deadline is None else max(0.0, deadline - time.perf_counter())
            so, so_w, so_complete, so_bound = max_coverage(self.inst, left)
            if so_first is not None and not so_complete:
                # two stopped runs of the same branch and bound: the better incumbent, and the
                # smaller of two proven bounds
                if so_first[1] > so_w:
                    so, so_w = so_first[0], so_first[1]
                so_bound = min(so_bound, so_first[3])
        wel = [game.welfare(self.inst, n) for n in eqs]
        order_idx = sorted(range(len(eqs)), key=lambda i: (-wel[i], eqs[i]))
        return SearchResult(
            equilibria=tuple(eqs[i] for i in order_idx),
            welfare=tuple(wel[i] for i in order_idx),
            complete=complete,
            social_optimum=so,
            social_welfare=so_w,
            social_complete=so_complete,
            social_bound=so_bound,
            nodes=totals["nodes"],
            pruned=totals["pruned"],
            supports_checked=totals["supports"],
            profiles_checked=totals["profiles"],
            seconds=time.perf_counter() - t0,
            first_equilibrium_seconds=first,
            # a complete tree is closed by definition; a stopped one reports what it closed (the
            # float sum of dyadic weights can sit a rounding above 1 only when nearly done)
            tree_weight=1.0 if complete else min(pool.weight, 1.0),
            witnesses=pool.witnesses,
            first_equilibrium_by=pool.first_by,
        )


def default_threads() -> int:
    """How many workers a support search uses by default.

    ``MILP_MARKET_THREADS`` if set; else ``OMP_NUM_THREADS`` if set (Dask's worker processes set
    it to 1, so a sweep's workers do not oversubscribe the cores); else the cores this process
    may run on. At most ``MAX_THREADS``, at least 1.

    Examples
    --------
    >>> 1 <= default_threads() <= MAX_THREADS
    True
    """
    for var in ("MILP_MARKET_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) >= 1:
            return min(int(value), MAX_THREADS)
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(n, MAX_THREADS))


class _Pool:
    """What the workers of one search share (search.md, "Parallel search"): the queue of
    subtrees not yet started (each held by a paused `_Worker`), the equilibria found, the counters
    and the stop flag. Every field is read and written under ``cond``'s lock, except ``deadline``
    and ``witness_search`` (set before any thread starts) and two reads that are only hints
    re-checked under the lock or harmless when stale: ``witness_at`` before
    `look_for_witnesses`, and ``stop`` by the running dynamics."""

    def __init__(self, deadline, max_equilibria, progress):
        self.deadline = deadline
        self.max_equilibria = max_equilibria
        self.progress = progress
        self.cond = threading.Condition()
        self.queue: collections.deque[_Worker] = collections.deque()
        self.idle = 0  # workers waiting for a subtree
        self.active = 0  # workers exploring one
        self.eqs: list[tuple[int, ...]] = []
        self.first_eq: float | None = None  # perf_counter() when the first equilibrium was verified
        self.totals = {"nodes": 0, "pruned": 0, "supports": 0, "profiles": 0}
        self.weight = 0.0  # tree weight closed by all workers (search.md, "Progress")
        self.complete = True
        self.stop = False
        self.error: BaseException | None = None
        # existence witnesses (search.md, "Existence witnesses"): when to look for them (None:
        # not, or already done) and how; every witness the dynamics reached (for the final
        # check), those listed from them (before the tree found them), what the tree found
        # itself, everything listed, and which method listed the first equilibrium
        self.witness_at: float | None = None
        self.witness_search: Callable | None = None
        self.reached: list[tuple[int, ...]] = []
        self.witnesses: tuple[tuple[int, ...], ...] = ()
        self.tree_found: set[tuple[int, ...]] = set()
        self.listed: set[tuple[int, ...]] = set()
        self.first_by: str | None = None

    def add(self, found, by: str) -> list[tuple[int, ...]]:
        """List the equilibria of ``found`` not listed yet, found ``by`` "tree" or "dynamics";
        return them (caller holds the lock)."""
        new = [c for c in found if c not in self.listed]
        self.listed.update(new)
        self.eqs.extend(new)
        if new and self.first_eq is None:
            self.first_eq = time.perf_counter()
            self.first_by = by
        if self.max_equilibria is not None and len(self.eqs) >= self.max_equilibria:
            # every worker stops at its next slice and is incomplete unless its subtree was done
            # by then; subtrees left in the queue make the run incomplete (run)
            self.stop = True
        return new

    def look_for_witnesses(self) -> None:
        """Run the witness search once, if the tree has found no equilibrium yet; a worker calls
        it between slices (the other workers' compiled slices go on meanwhile). Each witness is
        listed as soon as it is confirmed; the dynamics stop at the deadline, after
        ``WITNESS_SECONDS``, or when the pool stops (e.g. ``max_equilibria`` reached)."""
        with self.cond:
            if self.witness_at is None or time.perf_counter() < self.witness_at:
                return
            self.witness_at = None
            if self.eqs or self.stop:
                return
        until = time.perf_counter() + WITNESS_SECONDS
        if self.deadline is not None:
            until = min(until, self.deadline)

        def on_found(counts):
            with self.cond:
                self.reached.append(counts)
                self.witnesses += tuple(self.add([counts], "dynamics"))

        self.witness_search(until, lambda: self.stop, on_found)

    def finish(self, worker: _Worker) -> None:
        if worker.incomplete:
            self.complete = False

    def loop(self) -> None:
        """Take subtrees from the queue and explore them until none is left anywhere."""
        try:
            while True:
                with self.cond:
                    self.idle += 1
                    while not self.queue and self.active > 0 and not self.stop:
                        self.cond.wait(0.1)
                    self.idle -= 1
                    if self.stop or not self.queue:
                        self.cond.notify_all()
                        return
                    worker = self.queue.popleft()
                    self.active += 1
                try:
                    worker.work(None)
                finally:
                    with self.cond:
                        self.active -= 1
                        self.finish(worker)
                        self.cond.notify_all()
        except BaseException as exc:  # surfaced by run() in the calling thread
            with self.cond:
                self.error = exc
                self.stop = True
                self.complete = False
                self.cond.notify_all()

    def hungry(self) -> bool:
        with self.cond:
            return self.idle > 0 and not self.queue and not self.stop


class _Worker:
    """One depth-first search state (the arrays `dfs_binary` resumes from), exploring either the
    whole tree or a subtree handed over by another worker."""

    def __init__(self, search: SupportSearch, pool: _Pool):
        s = search
        M, K, N = s.M, s.K, s.N
        self.s, self.pool = s, pool
        self.lev = np.ascontiguousarray(s.lev, dtype=np.int64)
        self.w = np.ascontiguousarray(s.w, dtype=np.float64)
        self.tops = np.zeros((N + 2, K), dtype=np.int64)
        self.maxws = np.zeros((N + 2, K))
        self.inc_models = np.zeros(N + 1, dtype=np.int64)
        self.in_support = np.zeros(M, dtype=np.bool_)
        # survivors of one slice; doubled when one support's do not fit (a worker is made for
        # every subtree handed over, so start small at large M)
        self.out = np.zeros((max(16, min(1024, OUT_BYTES // (8 * M))), M), dtype=np.int64)
        self.frame_k = np.zeros(M + 2, dtype=np.int64)
        self.frame_phase = np.zeros(M + 2, dtype=np.int64)
        self.status = np.zeros(M, dtype=np.int64)  # 0 undecided, 1 included, 2 excluded
        self.state = np.array([-1, 0], dtype=np.int64)
        self.fx = np.zeros(M, dtype=np.int64)
        self.fxbeg = np.zeros(M + 2, dtype=np.int64)
        self.nfx = np.zeros(M + 2, dtype=np.int64)
        self.lamf = np.full(M + 2, -np.inf)
        # nodes per slice: from 1 (a node costs O(M K) and more: 0.2 s at M = 20,000), doubled
        # while slices take under 0.05 s, so the limit is honoured on any pool size
        self.budget = 1
        # count vectors one slice may screen: a support of s models has up to C(N-1, s-1) of
        # them (1.6e8 at N = 1,000, s = 4), and the compiled screen cannot look at the clock.
        # With a deadline a slice gets VECTORS_PER_SLICE, doubled each time a support needs
        # more (that support is redone: at most twice its work), so the limit is honoured at
        # any N; without one the budget is unbounded.
        self.vec_slice = VECTORS_PER_SLICE if pool.deadline is not None else np.iinfo(np.int64).max // 2
        self.vec_budget = np.zeros(1, dtype=np.int64)
        self.incomplete = False
        # the tree weight this worker has closed, and the weight of its frame 0 (search.md,
        # "Progress: the tree weight")
        self.closed = np.zeros(1)
        self.scale = 1.0

    def start(self, task) -> None:
        """Start on the whole tree (``task`` None) or on the exclude child of a frame handed over
        by `steal`: (status, included models, branched model k, inherited lambda bound, the
        frame's tree weight)."""
        if task is None:
            self.state[:] = (-1, 0)
            self.base_status = np.zeros(self.s.M, dtype=np.int64)
            self.base_inc: list[int] = []
            return
        status, inc, k, lam, self.scale = task
        d = len(inc)
        # what `steal` rebuilds a frame from: the handed-over node itself, before k is excluded
        self.base_status, self.base_inc = status.copy(), [int(x) for x in inc]
        self.status[:] = status
        self.in_support[:] = status == 1
        self.inc_models[:d] = inc
        if d:
            self.tops[d] = self.lev[inc].max(axis=0)
            self.maxws[d] = self.w[inc].max(axis=0)
        else:
            self.tops[0] = -1
            self.maxws[0] = 0.0
        # frame 0 is the handed-over frame, in phase 1 (its include child explored elsewhere):
        # the kernel excludes k, bounds that node and goes on below it
        self.frame_k[0] = k
        self.frame_phase[0] = 1
        self.fxbeg[0] = 0
        self.nfx[0] = 0
        self.lamf[0] = lam
        self.state[:] = (0, d)

    def steal(self):
        """Hand over the exclude child of the shallowest frame whose include child is being
        explored (the largest pending subtree), or None. The frame is marked phase 3 so that
        this worker skips it; the child is rebuilt from the path above the frame."""
        top = int(self.state[0])
        ph = self.frame_phase[:top]
        cands = np.flatnonzero(ph == 1)
        if len(cands) == 0:
            return None
        g = int(cands[0])
        status = self.base_status.copy()
        inc = list(self.base_inc)
        for h in range(g):
            k = int(self.frame_k[h])
            if self.frame_phase[h] in (1, 3):
                status[k] = 1
                inc.append(k)
            else:
                status[k] = 2
        # models dropped for a subtree (Rules 8/11) by the frames above g, and g's own
        for h in range(1, g + 1):
            b = self.fxbeg[h]
            status[self.fx[b : b + self.nfx[h]]] = 2
        self.frame_phase[g] = 3
        # frame g lies g levels below this worker's frame 0
        scale = math.ldexp(self.scale, -g)
        return status, np.array(inc, dtype=np.int64), int(self.frame_k[g]), float(self.lamf[g]), scale

    def work(self, until: float | None) -> bool:
        """Explore slice after slice until this tree is done (True), the pool stops, or ``until``
        (False: paused, resumable). Survivors are decided by the exact evaluator here."""
        from . import _search_kernels as ker

        s, pool = self.s, self.pool
        deadline = pool.deadline
        while True:
            t_slice = time.perf_counter()
            self.vec_budget[0] = self.vec_slice
            closed0 = self.closed[0]
            finished, nodes, pruned, supports, screened, n_out, full, starved = ker.dfs_binary(
                self.state, self.frame_k, self.frame_phase, self.tops, self.maxws, self.inc_models, self.status,
                self.in_support, self.lev, self.w, s.N, s.epsilon, s.fp, ENTRY_CANDIDATES, self.budget, self.out,
                s.rules, self.fx, self.fxbeg, self.nfx, self.lamf, self.vec_budget, self.closed, self.scale,
            )
            dt = time.perf_counter() - t_slice
            if starved:
                self.vec_slice *= 2
            if deadline is not None and screened > 10_000:
                # never grant more vectors than the time left can screen at the measured rate
                left = deadline - time.perf_counter()
                self.vec_slice = int(min(self.vec_slice, max(VECTORS_PER_SLICE, screened / max(dt, 1e-6) * left / 2)))
            if dt < 0.05:
                self.budget = min(2 * self.budget, NODES_PER_SLICE)
            found = []
            unchecked = False
            cap = pool.max_equilibria
            if cap is not None:
                with pool.cond:
                    known = len(pool.eqs)  # others may add more meanwhile: the cap is a stop rule
            past_cap = 0
            for i_row, row in enumerate(self.out[:n_out]):
                if deadline is not None and i_row % 256 == 255 and time.perf_counter() > deadline:
                    unchecked = True  # survivors left unchecked: the search is incomplete
                    break
                if cap is not None and known + len(found) >= cap:
                    if past_cap >= CAP_EXTRA:
                        unchecked = True  # the cap is reached; the rest are not verified
                        break
                    past_cap += 1
                if game.is_equilibrium(s.inst, row, tol=s.epsilon):
                    found.append(tuple(int(x) for x in row))
            if full and n_out == 0:
                self.out = np.zeros((2 * self.out.shape[0], s.M), dtype=np.int64)  # one support's survivors
            with pool.cond:
                for key, v in zip(("nodes", "pruned", "supports", "profiles"), (nodes, pruned, supports, screened)):
                    pool.totals[key] += int(v)
                pool.weight += float(self.closed[0] - closed0)
                pool.tree_found.update(found)
                pool.add(found, "tree")
                if unchecked or (deadline is not None and time.perf_counter() > deadline and not finished):
                    pool.stop = True
                    self.incomplete = True
                if pool.stop:
                    self.incomplete = self.incomplete or not finished
                    return True
                if pool.progress is not None and not finished:
                    pool.progress(pool.totals["nodes"], pool.weight)
            if finished:
                return True
            if until is not None and time.perf_counter() > until:
                return False
            if pool.hungry():
                task = self.steal()
                if task is not None:
                    helper = _Worker(s, pool)
                    helper.start(task)
                    with pool.cond:
                        pool.queue.append(helper)
                        pool.cond.notify()
            if pool.witness_at is not None:
                # existence witnesses, once (search.md); after them, the deadline and the stop
                # flag (max_equilibria may have been reached) before another slice
                pool.look_for_witnesses()
                with pool.cond:
                    if deadline is not None and time.perf_counter() > deadline:
                        pool.stop = True
                    if pool.stop:
                        self.incomplete = True
                        return True


def support_search(inst: Instance, time_limit: float | None = None, max_equilibria: int | None = None, **kw) -> SearchResult:
    """Every pure equilibrium of a hardmax instance by support search (formulations/search.md).

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> import numpy as np
    >>> inst = make_instance(np.array([[1.0, 0.9], [0.5, 0.5]]), np.array([0.5, 0.5]), 3)
    >>> support_search(inst).equilibria
    ((3, 0),)
    """
    return SupportSearch(inst).run(time_limit=time_limit, max_equilibria=max_equilibria, **kw)


# ----------------------------------------------------------------------------- social optimum


def max_coverage(inst: Instance, time_limit: float | None = None) -> tuple[tuple[int, ...] | None, float, bool, float]:
    """The social optimum under hardmax by branch and bound over supports (search.md, Lemma 5).

    Welfare of a count vector n is within TIE_TOL * sum(masses) of V(U) = sum_t max_{j in U}
    pi_t S[j,t] for its support U, so maximizing V over supports of at most N models gives a
    profile optimal to within that. Returns (counts, exact welfare, complete, bound): ``bound``
    is a proven upper bound on the optimal welfare (up to the rounding of sums of K terms): the
    optimal V when complete, Lemma 5(c)'s bound when stopped at the limit; then the profile is
    the better of the branch and bound's incumbent and the greedy support.

    Examples
    --------
    >>> from milp_market.instance import make_instance
    >>> inst = make_instance([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6]], [0.5, 0.5], 2)
    >>> max_coverage(inst)
    ((1, 1, 0), 1.0, True, 1.0)
    """
    t0 = time.perf_counter()
    ww = inst.masses[None, :] * inst.scores
    M, N = ww.shape[0], inst.platforms
    # Lemma 5(a): a model whose welfare weights another model matches or beats on every type
    # (the earlier one, on exact equality) is never needed.
    # A dominator matches or beats j everywhere, so its row sum is >= j's (rounding is
    # monotone): in the order (decreasing sum, then index) it comes first, and an exact copy
    # with a smaller index too. Checking each model against the ones before it, vectorized, is
    # O(M^2 K / 2); the reduction is optional, so past a quarter of the limit the rest are kept.
    order = np.lexsort((np.arange(M), -ww.sum(axis=1)))
    keep = []
    for pos, j in enumerate(order):
        if time_limit is not None and pos % 64 == 0 and time.perf_counter() - t0 > time_limit / 4:
            keep.extend(int(x) for x in order[pos:])
            break
        if pos == 0 or not np.any(np.all(ww[order[:pos]] >= ww[j][None, :], axis=1)):
            keep.append(int(j))
    cand = np.array(keep, dtype=np.int64)  # already in decreasing solo welfare
    # Incumbent: the best single model (every welfare may be 0, when no model gains anything).
    from . import _search_kernels as ker

    D = min(N, len(cand))
    best_v = np.array([float(ww[cand[0]].sum())])
    best_U = np.full(D, -1, dtype=np.int64)
    best_U[0] = cand[0]
    # Lemma 5(b), compiled (`_search_kernels.coverage_dfs`): depth first, children in decreasing
    # marginal gain (so the first dive is the greedy support), in slices of nodes so that the
    # limit is honoured. A frame's candidate list is a subset of its parent's remaining ones,
    # so len(cand) * (D + 1) entries hold every list of one path.
    wwc = np.ascontiguousarray(ww, dtype=np.float64)
    state = np.array([-1, 0], dtype=np.int64)
    beg, cnt, pos = (np.zeros(D + 1, dtype=np.int64) for _ in range(3))
    covers = np.zeros((D + 1, ww.shape[1]))
    vals = np.zeros(D + 1)
    chosen = np.zeros(D + 1, dtype=np.int64)
    lst = np.zeros(len(cand) * (D + 1), dtype=np.int64)
    gl = np.zeros(len(cand) * (D + 1))
    budget, complete = 1, True
    while True:
        t_slice = time.perf_counter()
        if ker.coverage_dfs(wwc, cand, N, state, beg, cnt, pos, covers, vals, chosen, lst, gl, best_v, best_U, budget):
            break
        if time.perf_counter() - t_slice < 0.05:
            budget = min(2 * budget, 1 << 20)
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            complete = False
            break
    U = sorted(int(j) for j in best_U if j >= 0)
    bound = math.inf
    if not complete:
        # Lemma 5(c): a limit can stop the branch and bound before its first dive (the greedy
        # support) is done, e.g. when the equilibrium search used the time; the greedy support
        # costs O(N M K) and is kept when it is better. The bound holds for every support.
        greedy = _greedy_support(ww, cand, D)
        if _coverage(ww, greedy) > _coverage(ww, U):
            U = sorted(greedy)
        bound = _coverage_upper_bound(ww, N)
    n = support_profile(M, N, U)
    w = game.welfare(inst, n)
    # complete: V's optimum bounds every welfare (W(n) <= V(U), Lemma 5); stopped: Lemma 5(c)
    return n, w, complete, max(w, float(best_v[0]) if complete else bound)


def support_profile(M: int, N: int, U) -> tuple[int, ...]:
    """The profile of Lemma 5 on support U: one platform per model of U, the rest on its first.

    Examples
    --------
    >>> support_profile(4, 5, [1, 3])
    (0, 4, 0, 1)
    """
    counts = np.zeros(M, dtype=np.int64)
    counts[list(U)] = 1
    counts[U[0]] += N - len(U)
    return tuple(int(x) for x in counts)


def _coverage(ww: np.ndarray, U) -> float:
    """V(U) = sum_t max_{j in U} ww[j,t] (0 for an empty U)."""
    return float(ww[list(U)].max(axis=0).sum()) if len(U) else 0.0


def _greedy_support(ww: np.ndarray, cand: np.ndarray, D: int) -> list[int]:
    """The greedy support of Lemma 5(c): add the candidate with the largest marginal gain of V,
    at most D times, while some gain is positive."""
    cover = np.zeros(ww.shape[1])
    U: list[int] = []
    for _ in range(D):
        gains = np.clip(ww[cand] - cover[None, :], 0.0, None).sum(axis=1)
        a = int(np.argmax(gains))
        if gains[a] <= 0.0 and U:
            break
        U.append(int(cand[a]))
        cover = np.maximum(cover, ww[cand[a]])
    return U


def _coverage_upper_bound(ww: np.ndarray, N: int) -> float:
    """Lemma 5(c): an upper bound on the welfare of every profile with N platforms: the smaller
    of sum_t max_j ww[j,t] (every model in use) and the N largest single-model values
    sum_t ww[j,t] (V is subadditive)."""
    return min(float(ww.max(axis=0).sum()), _top_sum(ww.sum(axis=1), N))


# ----------------------------------------------------------------------------- helpers


def _top_sum(x: np.ndarray, k: int) -> float:
    """Sum of the k largest entries of x (all of them when k >= len(x))."""
    if k <= 0 or len(x) == 0:
        return 0.0
    if k >= len(x):
        return float(x.sum())
    return float(np.partition(x, len(x) - k)[len(x) - k :].sum())
