"""Every pure equilibrium, by MILP with no-good cuts: the same set as enumeration, in order of
decreasing welfare, and a cap that says so."""

import numpy as np
import pytest

from milp_market import game
from milp_market.enumeration import enumerate_profiles
from milp_market.generators import generate
from milp_market.orchestrate import all_equilibria_milp

CASES = [(f, s) for f in ("uniform", "ties", "specialist", "dominant") for s in range(15)]


@pytest.mark.slow
@pytest.mark.parametrize("family,seed", CASES)
def test_all_equilibria_match_enumeration(family, seed):
    rng = np.random.default_rng(seed + 31)
    M, K, N = int(rng.integers(2, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 4))
    inst = generate(family, M, K, N, seed)
    res = all_equilibria_milp(inst)
    assert res.status == "complete"
    assert set(res.equilibria) == set(enumerate_profiles(inst).equilibria)
    assert len(res.equilibria) == len(set(res.equilibria))
    w = [game.welfare(inst, c) for c in res.equilibria]
    assert all(a >= b - 1e-9 for a, b in zip(w, w[1:]))


def test_cap_is_reported():
    inst = generate("ties", 5, 4, 3, 7)
    assert len(enumerate_profiles(inst).equilibria) >= 2
    res = all_equilibria_milp(inst, cap=1)
    assert res.status == "cap_reached" and len(res.equilibria) == 1


@pytest.mark.parametrize("method", ["enumerate", "search", "milp"])
def test_enumerate_max_lists_at_most_max_and_says_the_cap_was_reached(method, instances_dir, capsys):
    # ties.json has three equilibria; the enumeration checks --max only between batches, so it
    # used to list all three as "complete" under --max 1.
    import json

    from milp_market.cli import main

    assert main(["enumerate", str(instances_dir / "ties.json"), "--method", method, "--max", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["count"] == 1 and out["status"] == "cap_reached"


def test_a_complete_list_cut_by_max_says_how_many_there_are(instances_dir, capsys):
    # ties.json has three equilibria and the enumeration checks all its profiles in one batch:
    # it knows there are three, so it must not say "there may be more" (found by a new-user trial)
    import json

    from milp_market.cli import main

    path = str(instances_dir / "ties.json")
    assert main(["enumerate", path, "--max", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["count"], out["equilibria_total"]) == ("cap_reached", 1, 3)
    assert main(["enumerate", path, "--max", "1"]) == 0
    text = capsys.readouterr().out
    assert "3 pure equilibria (complete; " in text and "the best 1 by welfare listed" in text
    assert "there may be more" not in text
