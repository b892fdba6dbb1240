"""Minimum-regret profiles: the MILP's epsilon equals the enumeration's on random instances, is 0
exactly when a pure equilibrium exists, and the CLI reports it."""

import json

import numpy as np
import pytest

from milp_market.cli import main
from milp_market.enumeration import enumerate_profiles
from milp_market.generators import generate
from milp_market.regret import min_regret, min_regret_enumerate

from .conftest import INSTANCES

CASES = [(f, u, s) for f in ("uniform", "ties", "specialist", "dominant") for u in ("score_share", "mass_share") for s in range(25)]


@pytest.mark.slow
@pytest.mark.parametrize("family,utility,seed", CASES)
def test_min_regret_matches_enumeration(family, utility, seed):
    rng = np.random.default_rng(seed + 7)
    M, K, N = int(rng.integers(2, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 4))
    inst = generate(family, M, K, N, seed, utility=utility)
    a, b = min_regret(inst), min_regret_enumerate(inst)
    assert a.status == "optimal"
    assert a.epsilon == pytest.approx(b.epsilon, abs=1e-8)
    assert (b.epsilon <= 1e-9) == bool(enumerate_profiles(inst).equilibria)
    assert a.bound <= a.epsilon + 1e-12


def test_cli_approximate_on_no_equilibrium_instance(capsys):
    assert main(["solve", str(INSTANCES / "no_equilibrium.json"), "--json", "--approximate"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "no_equilibrium"
    assert out["min_regret"]["epsilon"] == pytest.approx(0.1956, abs=1e-9)
    assert out["min_regret"]["counts"] == {"C": 2}


def test_to_dict_holds_plain_json_values():
    """The dict is what --json prints: the status is its plain string, not the enum member."""
    from milp_market import load_instance

    inst = load_instance(INSTANCES / "no_equilibrium.json")
    d = min_regret(inst).to_dict(inst)
    assert type(d["status"]) is str and d["status"] == "optimal"
    assert json.loads(json.dumps(d)) == d
