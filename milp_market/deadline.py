"""One wall-clock deadline for a whole command, including the Python work HiGHS cannot see.

HiGHS honours its own ``time_limit``, and the enumeration and the support search check the clock
between slices. What none of them can interrupt is Python work between solves: building a
Pyomo model, and Pyomo's translation of it into HiGHS on the first solve (12 s for a logit model
at 30 models x 30 types x 6 platforms, measured in issue #12, where a 5 s limit took 42 s).
:func:`hard_deadline` arms a SIGALRM timer at ``deadline + SLACK`` that raises
:class:`DeadlineReached` in whatever Python code is running; the MILP paths catch it and answer
``unknown`` with what they had proven. The stated slack of a ``--time-limit`` is therefore SLACK
plus the time of one uninterruptible C call (a HiGHS solve ends at its own limit; a numpy
operation is short).

Only the main thread of a process can take signals: elsewhere (Dask worker threads) and on
platforms without ``setitimer`` the guard does nothing and the limits are the solvers' own.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from contextlib import contextmanager

#: Seconds past the deadline at which Python work is interrupted (the solvers stop at the
#: deadline itself; this covers the work after their last check).
SLACK = 0.5


class DeadlineReached(BaseException):
    """Raised inside the guarded block when the deadline plus SLACK has passed. A
    BaseException, like KeyboardInterrupt, so that library code's ``except Exception`` (Pyomo
    logs "Rule failed" there) lets it through.

    Examples
    --------
    >>> issubclass(DeadlineReached, Exception), issubclass(DeadlineReached, BaseException)
    (False, True)
    """


@contextmanager
def hard_deadline(deadline: float | None, slack: float = SLACK):
    """Interrupt the block with :class:`DeadlineReached` at ``deadline + slack``
    (``time.perf_counter()`` seconds); ``None`` means no deadline.

    Examples
    --------
    >>> import time
    >>> try:
    ...     with hard_deadline(time.perf_counter() + 0.05, slack=0.0):
    ...         while True:
    ...             pass
    ... except DeadlineReached:
    ...     print("stopped")
    stopped
    """
    usable = (
        deadline is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0.0  # never override an outer guard
    )
    if not usable:
        yield
        return

    def _raise(signum, frame):
        # Never inside a garbage-collector callback, a __del__ or an unraisable-exception hook:
        # Python swallows an exception raised there (and pytest's hook then fails the test);
        # the timer fires again in 50 ms, by when that code has returned.
        if not _unsafe(frame):
            raise DeadlineReached()

    previous = signal.signal(signal.SIGALRM, _raise)
    # handler filters see the records of every pyomo.* logger (a logger's own filters do not)
    handlers = list(logging.getLogger("pyomo").handlers) + list(logging.getLogger().handlers)
    for h in handlers:
        h.addFilter(_quiet_deadline)
    # Repeating every 50 ms: an exception raised inside a garbage-collector callback or a
    # __del__ is swallowed by Python ("Exception ignored in ..."), so one shot could be lost.
    signal.setitimer(signal.ITIMER_REAL, max(deadline + slack - time.perf_counter(), 1e-3), 0.05)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)
        for h in handlers:
            h.removeFilter(_quiet_deadline)


_UNSAFE_NAMES = frozenset({"__del__", "unraisablehook", "_unraisablehook", "gc_callback", "collect_unraisable"})

#: Packages whose code is never interrupted: numba's compiler calls back into Python from
#: llvmlite through ctypes, where a raised exception is swallowed ("Exception ignored on calling
#: ctypes callback function") and can leave the compilation failing with an internal error. The
#: compilation of a kernel runs once per installation (the cache is kept); the timer fires again
#: when it has returned. Found in stop 13: `solve --method milp --time-limit 1e-9` exited 1 once
#: in a fresh CI install, with the alarm landing in llvmlite's object-cache callback.
_UNSAFE_PACKAGES = ("numba", "llvmlite")


def _unsafe(frame) -> bool:
    """Whether the interrupted code runs inside a gc callback, a finalizer, an
    unraisable-exception hook, or numba's / llvmlite's compiler (anywhere up its stack)."""
    codes = {getattr(cb, "__code__", None) for cb in gc.callbacks}
    while frame is not None:
        code = frame.f_code
        if code in codes or code.co_name in _UNSAFE_NAMES or "unraisable" in code.co_filename:
            return True
        parts = code.co_filename.replace("\\", "/").split("/")
        if any(p in parts for p in _UNSAFE_PACKAGES):
            return True
        frame = frame.f_back
    return False


def _quiet_deadline(record: logging.LogRecord) -> bool:
    """Drop Pyomo's "Constructing component ... failed: DeadlineReached" record: Pyomo logs an
    exception in a component's construction before re-raising it, and writes its log to
    stdout, which would break ``--json``. The interruption is reported by the caller."""
    return "DeadlineReached" not in record.getMessage()
