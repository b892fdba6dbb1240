"""The reference search (milp_market/reference_search.py; formulations/search.md, "Reference
search"): a second, plain implementation of the support search's lemmas, used to confirm the
support search's complete answers. It must list exactly the equilibria that enumeration lists
on hundreds of random instances (four families, both utilities, ties, near-ties, tiny masses,
N = 1, N large against M), agree with the support search on the real tables, and its
confirmation must catch a wrong list."""

import dataclasses
import json

import numpy as np
import pytest

from milp_market import make_instance
from milp_market.certify import VerificationError
from milp_market.enumeration import enumerate_profiles
from milp_market.generators import FAMILIES, generate
from milp_market.instance import load_instance
from milp_market.orchestrate import confirm_by_reference
from milp_market.reference_search import reference_search
from milp_market.search import support_search

from .conftest import INSTANCES, draw_valid, run_cli

UTILITIES = ("score_share", "mass_share")
HARDMAX_FAMILIES = list(FAMILIES)


def _agree_with_enumeration(inst, where):
    ref = reference_search(inst)
    assert ref.complete and ref.status == "complete", where
    assert set(ref.equilibria) == set(enumerate_profiles(inst).equilibria), where
    assert len(set(ref.equilibria)) == len(ref.equilibria), where  # each listed once


@pytest.mark.parametrize("family", HARDMAX_FAMILIES)
@pytest.mark.parametrize("utility", UTILITIES)
def test_reference_lists_exactly_the_enumerated_equilibria(family, utility):
    for seed in range(30):
        rng = np.random.default_rng(seed + 500)
        M, K, N = int(rng.integers(1, 8)), int(rng.integers(1, 6)), int(rng.integers(1, 7))
        _agree_with_enumeration(generate(family, M, K, N, seed, utility=utility), (family, utility, seed))


@pytest.mark.parametrize("utility", UTILITIES)
def test_reference_with_many_platforms_per_model(utility):
    # N large against M: supports with many count vectors, Lemma 4's caps at work
    for seed, (M, K, N) in enumerate([(3, 4, 9), (4, 3, 8), (5, 4, 10), (3, 2, 15), (2, 3, 12)] * 3):
        for family in ("uniform", "ties"):
            _agree_with_enumeration(generate(family, M, K, N, seed, utility=utility), (family, M, K, N, seed))


def _grid(rng):
    """{0, 0.5, 1} scores (ties at the top of most types), some masses of 1e-9, near-ties."""
    M, K, N = int(rng.integers(2, 7)), int(rng.integers(1, 5)), int(rng.integers(1, 9))
    S = rng.choice([0.0, 0.5, 1.0], size=(M, K))
    if rng.random() < 0.5:
        S = S + rng.choice([0.0, 0.4e-9, 0.9e-9, 2e-9], size=(M, K))
    masses = rng.choice([1.0, 2.0, 1e-9], p=[0.6, 0.3, 0.1], size=K)
    if masses.max() < 1.0:
        masses[0] = 1.0
    return make_instance(S, masses, N, utility=UTILITIES[int(rng.integers(2))])


def test_reference_on_tie_heavy_and_tiny_mass_draws():
    rng = np.random.default_rng(20)
    for i in range(200):
        _agree_with_enumeration(draw_valid(rng, _grid), i)


@pytest.mark.parametrize(
    "name,platforms",
    [("lmarena_categories", 4), ("lmarena_categories", 10), ("wildbench_tasks", 6), ("arena_explorer_topics", 5),
     ("arena_explorer_topics_no_leader", 3), ("cifar10_paper", 4), ("ties", 3), ("livebench_tasks", 4)],
)
def test_reference_agrees_with_the_support_search_on_real_tables(name, platforms):
    inst = dataclasses.replace(load_instance(INSTANCES / f"{name}.json"), platforms=platforms)
    res = support_search(inst)
    assert res.complete
    assert confirm_by_reference(inst, res) == "agrees"


@dataclasses.dataclass
class _Claim:
    equilibria: tuple


def test_confirmation_catches_a_missing_and_a_forged_equilibrium():
    inst = load_instance(INSTANCES / "ties.json")
    true = support_search(inst).equilibria
    assert len(true) == 3
    with pytest.raises(VerificationError, match="disagree"):
        confirm_by_reference(inst, _Claim(true[1:]))  # one equilibrium missing
    with pytest.raises(VerificationError, match="disagree"):
        confirm_by_reference(load_instance(INSTANCES / "no_equilibrium.json"), _Claim(((0, 0, 2),)))


def test_reference_stops_at_its_limit_and_says_so():
    inst = dataclasses.replace(load_instance(INSTANCES / "livebench_tasks.json"), platforms=10)
    ref = reference_search(inst, time_limit=1e-9)
    assert not ref.complete and ref.status == "time_limit"
    assert confirm_by_reference(inst, _Claim(()), time_limit=1e-9) == "time_limit"


def test_reference_refuses_logit_choice():
    inst = generate("uniform", 3, 2, 2, 0, choice="softmax", beta=5.0)
    with pytest.raises(ValueError, match="hardmax"):
        reference_search(inst)


def test_cli_prints_the_reference_certificate():
    code, out, err = run_cli(["solve", str(INSTANCES / "lmarena_categories.json"), "--method", "search", "--confirm-reference", "60"])
    assert code == 0, err
    assert "reference search: agrees" in out
    code, out, err = run_cli(["solve", str(INSTANCES / "lmarena_categories.json"), "--confirm-reference", "0"])
    assert code == 2 and "--confirm-reference" in err and out == ""


def test_a_stopped_reference_run_that_found_an_unlisted_equilibrium_is_an_error(monkeypatch):
    import milp_market.reference_search as rs

    inst = load_instance(INSTANCES / "ties.json")
    true = support_search(inst).equilibria
    stopped = rs.ReferenceResult(equilibria=(true[0],), complete=False, nodes=1, seconds=0.0)
    monkeypatch.setattr(rs, "reference_search", lambda inst, time_limit=None: stopped)
    assert confirm_by_reference(inst, _Claim(true)) == "time_limit"  # nothing against the list
    with pytest.raises(VerificationError, match="did not list"):
        confirm_by_reference(inst, _Claim(true[1:]))


def test_cli_says_why_a_requested_confirmation_did_not_run(tmp_path):
    from milp_market.instance import save_instance

    code, out, _ = run_cli(["solve", str(INSTANCES / "ties.json"), "--method", "enumerate", "--confirm-reference", "10", "--confirm", "10"])
    assert code == 0
    assert "--confirm-reference not run: the answer came from enumerate, not the search" in out
    assert "--confirm not run: the answer came from enumerate, not the search" in out
    code, out, _ = run_cli(["solve", str(INSTANCES / "ties.json"), "--method", "enumerate", "--confirm", "10", "--json"])
    assert json.loads(out)["confirmations_not_run"] == {"--confirm": "the answer came from enumerate, not the search"}
    path = tmp_path / "logit.json"
    save_instance(generate("uniform", 3, 2, 2, 0, choice="softmax", beta=5.0), path)
    code, out, _ = run_cli(["solve", str(path), "--method", "search", "--confirm-reference", "10"])
    assert code == 0 and "--confirm-reference not run: the reference search is for hardmax choice" in out
    code, out, _ = run_cli(["solve", str(INSTANCES / "livebench_tasks.json"), "--method", "search", "--time-limit", "0.001", "--confirm-reference", "10"])
    assert code == 0 and "--confirm-reference not run: the search did not finish" in out
