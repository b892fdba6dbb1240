"""Progress of long runs: a tqdm bar on a terminal, plain lines in logs (no carriage returns)."""

import io

from milp_market.progress import progress_bar


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_a_log_gets_one_line_per_tenth_and_no_carriage_returns():
    out = io.StringIO()
    bar = progress_bar(1000, "robust demo", "draw", stream=out)
    for _ in range(1000):
        bar.update(1)
    bar.close()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert len(lines) == 10  # 10%, ..., 90%, and the end
    assert lines[0].startswith("robust demo: 100/1000 draws (10%), ")
    assert lines[-1].startswith("robust demo: 1000/1000 draws (100%), ")


def test_an_interrupted_run_says_where_it_stopped():
    out = io.StringIO()
    bar = progress_bar(7, "sweep s", "point", stream=out)
    bar.update(3)
    bar.close()
    assert out.getvalue().splitlines()[-1].startswith("sweep s: 3/7 points (42%), ")


def test_a_terminal_gets_a_tqdm_bar():
    from tqdm import tqdm

    bar = progress_bar(5, "sweep s", "point", stream=_Tty())
    try:
        assert isinstance(bar, tqdm)
    finally:
        bar.close()
