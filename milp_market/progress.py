"""Progress of long runs (sweeps, robustness samples) on stderr.

On a terminal, a tqdm bar. Anywhere else (a CI log, a file, a pipe) a bar redraws itself with
carriage returns, which a log keeps as one unreadable line; there, a plain line is printed at
every tenth of the work and at the end instead.

Examples
--------
>>> import io
>>> out = io.StringIO()
>>> bar = progress_bar(20, "sweep demo", "point", stream=out)
>>> for _ in range(20):
...     bar.update(1)
>>> bar.close()
>>> print(out.getvalue().splitlines()[0].split(",")[0])
sweep demo: 2/20 points (10%)
>>> out.getvalue().count("\\r")
0
"""

from __future__ import annotations

import sys
import time


class _LineProgress:
    """tqdm's ``update`` / ``close`` as plain lines: one per tenth of ``total``, and the last."""

    def __init__(self, total: int, desc: str, unit: str, stream):
        self.total, self.desc, self.unit, self.stream = int(total), desc, unit, stream
        self.done = 0
        self.shown = 0  # tenths already printed
        self.t0 = time.perf_counter()

    def _line(self):
        pct = 100 * self.done // self.total if self.total else 100
        units = self.unit if self.total == 1 else self.unit + "s"
        secs = time.perf_counter() - self.t0
        print(f"{self.desc}: {self.done}/{self.total} {units} ({pct}%), {secs:.1f} s", file=self.stream, flush=True)

    def update(self, n: int = 1):
        self.done += n
        tenth = 10 * self.done // self.total if self.total else 10
        if tenth > self.shown and self.done < self.total:
            self.shown = tenth
            self._line()

    def close(self):
        self._line()  # the end, or where an interrupted run stopped


def progress_bar(total: int, desc: str, unit: str, stream=None):
    """A progress display with ``update(n)`` and ``close()``: tqdm on a terminal, lines elsewhere."""
    stream = sys.stderr if stream is None else stream
    if getattr(stream, "isatty", lambda: False)():
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit=unit, file=stream)
    return _LineProgress(total, desc, unit, stream)
