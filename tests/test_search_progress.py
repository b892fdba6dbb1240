"""The support search's tree weight (formulations/search.md, "Progress: the tree weight"): every
subtree closed adds 2^-depth, so a finished tree sums to exactly 1 on one thread or several, and a
stopped one reports a weight below 1 that only grew while it ran."""

import json

import pytest

from milp_market import make_instance, search
from milp_market.cli import main
from milp_market.generators import generate
from milp_market.instance import save_instance
from milp_market.search import SupportSearch, support_search

UTILITIES = ("score_share", "mass_share")


def _pools(monkeypatch):
    """Record every `_Pool` a search makes, to read its raw weight sum."""
    made = []
    init = search._Pool.__init__

    def recording(self, *a, **kw):
        init(self, *a, **kw)
        made.append(self)

    monkeypatch.setattr(search._Pool, "__init__", recording)
    return made


@pytest.mark.parametrize("family", ["uniform", "ties", "specialist", "dominant"])
@pytest.mark.parametrize("threads", [1, 3])
def test_a_finished_tree_weighs_exactly_one(family, threads, monkeypatch):
    """Closed subtrees partition the tree: their weights, 2^-depth each, sum to 1 (exactly: at
    these depths the sum of dyadic weights is exact in float64), also when subtrees are handed
    over between workers from the first slice (each keeps its depth below the donor's frame)."""
    monkeypatch.setattr(search, "SERIAL_SECONDS", 0.0)
    pools = _pools(monkeypatch)
    for seed, (M, K, N) in enumerate([(1, 1, 1), (3, 2, 1), (8, 6, 3), (12, 10, 4), (15, 20, 5), (20, 30, 5)]):
        for utility in UTILITIES:
            inst = generate(family, M, K, N, seed, utility=utility)
            res = SupportSearch(inst).run(threads=threads, social_optimum=False)
            assert res.complete and res.tree_weight == 1.0
            assert pools[-1].weight == 1.0, (inst.name, pools[-1].weight)


def test_a_stopped_search_reports_the_weight_it_closed(monkeypatch):
    """max_equilibria stops the search after its first equilibrium: what it reports is the sum
    of the weights closed, below 1 while the tree is unfinished; progress saw it only grow."""
    pools = _pools(monkeypatch)
    seen, stopped = [], []
    for shape, seed in [((10, 10, 4), 2), ((10, 10, 4), 3), ((8, 4, 3), 6), ((8, 4, 3), 9), ((12, 6, 4), 3), ((12, 6, 4), 8)]:
        inst = generate("ties", *shape, seed)
        full = SupportSearch(inst).run(threads=1, social_optimum=False)
        if len(full.equilibria) < 2:
            continue
        seen.append(inst.name)
        trace = []
        one = SupportSearch(inst).run(threads=1, max_equilibria=1, social_optimum=False, progress=lambda n, w: trace.append((n, w)))
        assert one.tree_weight == min(pools[-1].weight, 1.0)
        if one.complete:
            assert one.tree_weight == 1.0
        else:
            assert 0.0 <= one.tree_weight < 1.0
            stopped.append(inst.name)
        assert all(0.0 <= w <= one.tree_weight for _, w in trace)
        assert [w for _, w in trace] == sorted(w for _, w in trace)
    assert seen and stopped, "no search was stopped early: the test tested nothing"


def test_a_time_limited_search_is_complete_or_below_one():
    """Whatever the limit stops (timing), the weight says which: 1 with a complete tree, else
    in [0, 1)."""
    support_search(make_instance([[1.0]], [1.0], 1))  # compile outside the limit
    inst = generate("ties", 30, 40, 6, 0)
    for limit in (0.05, 0.5):
        res = SupportSearch(inst).run(time_limit=limit, threads=2, social_optimum=False)
        assert (res.tree_weight == 1.0) if res.complete else (0.0 <= res.tree_weight < 1.0)


def test_the_logit_search_does_not_claim_a_weight():
    inst = generate("uniform", 6, 4, 2, 0, choice="softmax", beta=5.0)
    from milp_market.logit_search import logit_search

    assert logit_search(inst).tree_weight is None


def test_cli_reports_the_weight(tmp_path, capsys):
    """`--json` stats carry it (1 for a complete search); the text says it when the search was
    stopped (which a 0.2 s limit on ties (40,60,7) does on this machine; the assertion follows
    the status either way)."""
    small, big = tmp_path / "small.json", tmp_path / "big.json"
    save_instance(generate("uniform", 12, 10, 4, 0), small)
    save_instance(generate("ties", 40, 60, 7, 0), big)
    assert main(["solve", str(small), "--method", "search", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stats"]["tree_weight"] == 1.0
    assert main(["solve", str(big), "--method", "search", "--json", "--time-limit", "0.2"]) == 0
    out = json.loads(capsys.readouterr().out)
    w = out["stats"]["tree_weight"]
    assert (w < 1.0) if out["status"] == "unknown" else (w == 1.0)
    assert main(["solve", str(big), "--method", "search", "--time-limit", "0.2"]) == 0
    text = capsys.readouterr().out
    stopped = "status: unknown" in text
    assert ("search stopped with tree weight" in text) == stopped


def test_verbose_says_when_the_compiled_loops_load():
    """A new process has not loaded the compiled loops, and `-v` says so before the first
    progress line (the first run after installing compiles them for about half a minute, with
    nothing else on stderr meanwhile); once loaded, nothing is said."""
    import subprocess
    import sys

    code = (
        "from milp_market.orchestrate import solve_search; from milp_market.generators import generate; "
        "solve_search(generate('uniform', 6, 4, 2, 0), log=print); print('SECOND'); "
        "solve_search(generate('uniform', 6, 4, 2, 1), log=print)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True).stdout
    first, second = out.split("SECOND")
    assert first.startswith("search: loading the compiled loops")
    assert "loading the compiled loops" not in second
