"""The closed-form conditions of formulations/conditions.md against the exact evaluator.

Every theorem on that page is checked here on hundreds of small random instances (every generator
family, both utilities, tie-heavy grids with exact and near ties, and logit choice where the
result covers it) against ``game.is_equilibrium`` or complete enumeration, plus known answers
worked out on paper and the ``analyze`` command.
"""

import dataclasses
import itertools
import json

import numpy as np
import pytest

from milp_market import analyze as A
from milp_market import game, make_instance
from milp_market.cli import main
from milp_market.enumeration import enumerate_profiles
from milp_market.generators import FAMILIES, generate

UTILITIES = ("score_share", "mass_share")


def _family_instances(choice="hardmax", seeds=12, seed0=0):
    out = []
    for fam in FAMILIES:
        for ut in UTILITIES:
            for s in range(seed0, seed0 + seeds):
                rng = np.random.default_rng([FAMILIES.index(fam), UTILITIES.index(ut), s])
                M, K, N = int(rng.integers(1, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
                beta = float(rng.choice([0.5, 5.0, 30.0]))
                out.append(generate(fam, M, K, N, s, utility=ut, choice=choice, beta=beta))
    return out


def _tie_grid_instances(n=120):
    """Scores on {0, 0.5, 1}, integer masses; every other instance shifts some scores by 5e-10
    (near ties, one tie class with different scores)."""
    out = []
    for s in range(n):
        rng = np.random.default_rng([99, s])
        M, K, N = int(rng.integers(1, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 6))
        S = rng.choice([0.0, 0.5, 1.0], size=(M, K)) + (s % 2) * rng.choice([0.0, 5e-10], size=(M, K))
        out.append(make_instance(S, rng.choice([1, 2, 3], size=K), N, utility=UTILITIES[s % 3 == 0], name=f"grid{s}"))
    return out


HARDMAX = _family_instances() + _tie_grid_instances()
LOGIT = _family_instances("softmax", seeds=5, seed0=100)


def _ids(insts):
    return [i.name for i in insts]


def _homogenized(inst, i, N=None):
    n = np.zeros(inst.n_models, dtype=int)
    n[i] = inst.platforms if N is None else N
    return n


def _with_platforms(inst, N):
    return dataclasses.replace(inst, platforms=N)


# ----------------------------------------------------------------------------- definitions


def test_T_and_Delta_follow_the_paper_definitions_with_tie_classes_as_equality():
    for inst in HARDMAX[::3]:
        S, pi, L = inst.scores, inst.masses, inst.levels
        T, D = A.global_average(inst), A.localized_attraction(inst)
        for i in range(inst.n_models):
            assert T[i] == pytest.approx(sum(pi[t] * S[i, t] for t in range(inst.n_types)), abs=1e-12)
            for j in range(inst.n_models):
                z = [S[i, t] if L[i, t] > L[j, t] else (-S[i, t] if L[i, t] < L[j, t] else 0.0) for t in range(inst.n_types)]
                assert D[i, j] == pytest.approx(float(np.dot(pi, z)), abs=1e-12)


def test_near_tie_counts_as_equal_in_Delta():
    inst = make_instance([[0.5, 1.0], [0.5 + 5e-10, 0.0]], [0.5, 0.5], 2)
    assert A.localized_attraction(inst)[1, 0] == pytest.approx(-0.0)  # type 0 tied, type 1 below with score 0
    assert A.localized_attraction(inst)[0, 1] == pytest.approx(0.5)


def test_utility_weighted_quantities_under_mass_share_are_mass_won_minus_mass_lost():
    inst = make_instance([[1.0, 0.0, 0.3], [0.5, 0.5, 0.3]], [0.2, 0.3, 0.5], 2, utility="mass_share")
    assert A.global_average(inst, utility_weighted=True) == pytest.approx([1.0, 1.0])
    assert A.localized_attraction(inst, utility_weighted=True)[0, 1] == pytest.approx(0.2 - 0.3)


@pytest.mark.parametrize("insts", [HARDMAX, LOGIT], ids=["hardmax", "logit"])
def test_duel_payoff_is_half_of_T_plus_Delta_lemma_1(insts):
    for inst in insts:
        D = A.duel_payoffs(inst)
        for j in range(inst.n_models):
            o = np.zeros(inst.n_models, dtype=int)
            o[j] = 1
            assert D[:, j] == pytest.approx(game.payoffs_against(inst, o), abs=1e-12)
        if inst.choice == "hardmax":
            Tw, Dw = A.global_average(inst, True), A.localized_attraction(inst, True)
            assert D == pytest.approx((Tw[:, None] + Dw) / 2, abs=1e-12)


# ----------------------------------------------------------------------------- Theorem A


@pytest.mark.parametrize("insts", [HARDMAX, LOGIT], ids=["hardmax", "logit"])
def test_homogenization_condition_matches_the_evaluator_theorem_A(insts):
    checked = 0
    for inst in insts:
        for N in (1, 2, 3, inst.platforms + 2):
            ii = _with_platforms(inst, N)
            for i in range(inst.n_models):
                assert A.is_homogenization_equilibrium(ii, i) == game.is_equilibrium(ii, _homogenized(ii, i)), (inst.name, N, i)
                checked += 1
    assert checked > 400


def test_homogenization_platform_set_is_the_interval_the_evaluator_finds_corollary_A1():
    for inst in HARDMAX:
        for i in range(inst.n_models):
            r = A.homogenization_platforms(inst, i)
            truth = [game.is_equilibrium(_with_platforms(inst, N), _homogenized(inst, i, N)) for N in range(1, 13)]
            assert [N in r for N in range(1, 13)] == truth, (inst.name, i, r)


def test_homogenization_threshold_known_answer():
    # T_0 = 0.82, model 1 beats model 0 only on type 1: G = 0.2 * 0.9 = 0.18, no ties, so
    # N <= 0.82 / 0.18 = 4.56 (= 2 T_0 / (T_1 + Delta_10)).
    inst = make_instance([[1.0, 0.1], [0.0, 0.9]], [0.8, 0.2], 2)
    r = A.homogenization_platforms(inst, 0)
    assert (r.single_platform, r.low, r.high) == (True, 2, 4)
    T, D = A.global_average(inst), A.localized_attraction(inst)
    assert int(2 * T[0] / (T[1] + D[1, 0])) == 4


def test_a_model_that_is_not_the_T_leader_can_homogenize_and_the_leader_need_not():
    # i = model 0 has the smaller T (0.6 < 0.74) but all 2 or 3 platforms on it is an
    # equilibrium (3: by exact indifference, 0.6 / 3 = 0.4 * 0.5).
    inst = make_instance([[1.0, 0.0], [0.9, 0.5]], [0.6, 0.4], 2)
    assert A.global_average(inst).argmax() == 1
    assert A.homogenization_platforms(inst, 0).describe() == "N = 2..3"
    assert A.homogenization_platforms(inst, 1).describe() == "N = 1"


def test_lower_end_above_two_only_through_the_tie_tolerance():
    # Type 0 ties (model 1 higher by 9e-10), model 1 above on type 1 with weight 8e-10 < EQ_TOL:
    # the gain 8e-10 + 9e-10 (1 - 1/N) drops below 1e-9 from N = 5 on.
    inst = make_instance([[0.5, 0.0], [0.5 + 9e-10, 1e-3]], [1 - 8e-7, 8e-7], 2)
    r = A.homogenization_platforms(inst, 0)
    assert (r.single_platform, r.low, r.high) == (False, 5, None)
    for N in range(1, 9):
        assert game.is_equilibrium(_with_platforms(inst, N), _homogenized(inst, 0, N)) == (N >= 5)


def test_homogenization_platforms_refuses_logit():
    with pytest.raises(ValueError, match="hardmax"):
        A.homogenization_platforms(LOGIT[0], 0)


def test_delta_only_condition_is_necessary_for_homogenization_corollary_A2():
    for inst in HARDMAX:
        Tw, Dw = A.global_average(inst, True), A.localized_attraction(inst, True)
        for i in range(inst.n_models):
            if game.is_equilibrium(inst, _homogenized(inst, i)):
                assert Tw[i] >= inst.platforms * (Dw[:, i].max() - game.EQ_TOL) - 1e-12


# ----------------------------------------------------------------------------- Theorem B


@pytest.mark.parametrize("insts", [HARDMAX, LOGIT], ids=["hardmax", "logit"])
def test_differentiated_condition_matches_the_evaluator_theorem_B(insts):
    checked = 0
    for inst in insts:
        for N in range(1, inst.n_models + 1):
            ii = _with_platforms(inst, N)
            for U in itertools.combinations(range(inst.n_models), N):
                n = np.zeros(inst.n_models, dtype=int)
                n[list(U)] = 1
                assert A.is_differentiated_equilibrium(ii, U) == game.is_equilibrium(ii, n), (inst.name, U)
                checked += 1
    assert checked > 300


def test_differentiated_equilibria_are_exactly_the_enumerated_ones_with_distinct_models():
    for inst in HARDMAX[::2] + LOGIT:
        res = enumerate_profiles(inst)
        want = sorted(tuple(int(j) for j in np.flatnonzero(c)) for c in res.equilibria if max(c) == 1)
        assert sorted(A.differentiated_equilibria(inst)) == want, inst.name


def test_differentiated_rejects_a_set_of_the_wrong_size_or_with_repeats():
    inst = make_instance([[1, 0], [0, 1], [0.5, 0.5]], [0.5, 0.5], 2)
    for bad in ([0], [0, 0], [0, 1, 2], [0, 3]):
        with pytest.raises(ValueError, match="distinct"):
            A.is_differentiated_equilibrium(inst, bad)


# ----------------------------------------------------------------------------- Theorem C, D


@pytest.mark.parametrize("insts", [HARDMAX, LOGIT], ids=["hardmax", "logit"])
def test_two_platform_equilibria_are_exactly_the_enumerated_ones_theorem_C(insts):
    for inst in insts:
        ii = _with_platforms(inst, 2)
        want = sorted(tuple(j for j in range(ii.n_models) for _ in range(c[j])) for c in enumerate_profiles(ii).equilibria)
        assert sorted(A.two_platform_equilibria(ii)) == want, inst.name


@pytest.mark.parametrize("insts", [HARDMAX, LOGIT], ids=["hardmax", "logit"])
def test_single_platform_equilibria_are_the_leaders_of_T_w_proposition_D1(insts):
    for inst in insts:
        ii = _with_platforms(inst, 1)
        W = A.global_average(ii, utility_weighted=True)
        want = {j for j in range(ii.n_models) if W[j] >= W.max() - game.EQ_TOL}
        got = {int(np.flatnonzero(c)[0]) for c in enumerate_profiles(ii).equilibria}
        assert got == want and got
        if ii.utility == "mass_share":
            assert got == set(range(ii.n_models))


def _dominated_instances():
    """Random tie grids in which one model is raised to the top class of every type."""
    out = []
    for s in range(150):
        rng = np.random.default_rng([7, s])
        M, K = int(rng.integers(1, 6)), int(rng.integers(1, 5))
        S = rng.choice([0.2, 0.5, 0.8], size=(M, K))
        d = int(rng.integers(M))
        if s % 2:  # strictly dominant
            S[d] = S.max(axis=0) + 0.1
        else:  # weakly: joins the top class (sometimes a near tie)
            S[d] = S.max(axis=0) + (s % 4 == 0) * 4e-10
        out.append(make_instance(S, rng.choice([1, 2, 5], size=K), 1, utility=UTILITIES[s % 3 == 0], name=f"dom{s}"))
    return out


def test_weakly_dominant_model_homogenizes_for_every_N_proposition_D2():
    seen = 0
    for inst in _dominated_instances() + HARDMAX:
        for d in A.weakly_dominant_models(inst):
            assert A.homogenization_platforms(inst, d).describe() == "N = 1..inf"
            for N in range(1, 7):
                assert game.is_equilibrium(_with_platforms(inst, N), _homogenized(inst, d, N))
            seen += 1
    assert seen > 100


def test_strictly_dominant_model_is_the_unique_equilibrium_proposition_D3():
    seen = 0
    for inst in _dominated_instances() + HARDMAX:
        d = A.strictly_dominant_model(inst)
        if d is None:
            continue
        for N in range(1, 6):
            if N == 1 and inst.utility == "mass_share":
                continue
            ii = _with_platforms(inst, N)
            assert enumerate_profiles(ii).equilibria == (tuple(_homogenized(ii, d)),)
            seen += 1
    assert seen > 100


@pytest.mark.parametrize("insts", [HARDMAX, LOGIT], ids=["hardmax", "logit"])
def test_two_models_always_have_an_equilibrium_proposition_D4(insts):
    seen = 0
    for inst in insts:
        for pair in itertools.combinations(range(inst.n_models), 2):
            sub = make_instance(
                inst.scores[list(pair)], inst.masses, 1, utility=inst.utility, choice=inst.choice, beta=inst.beta
            )
            for N in range(1, 8):
                ii = _with_platforms(sub, N)
                assert enumerate_profiles(ii).equilibria
                assert game.is_equilibrium(ii, A.two_model_equilibrium(ii))  # the proof's construction
                seen += 1
    assert seen > 100


@pytest.mark.parametrize("insts", [HARDMAX, LOGIT], ids=["hardmax", "logit"])
def test_existence_verdict_never_contradicts_enumeration(insts):
    decided = 0
    for inst in insts:
        v = A.existence_verdict(inst)
        eqs = enumerate_profiles(inst).equilibria
        if v.status is A.Existence.EXISTS:
            assert eqs, inst.name
            assert v.witness is None or game.is_equilibrium(inst, v.witness)
        elif v.status is A.Existence.NONE:
            assert not eqs, inst.name
        decided += v.status is not A.Existence.UNKNOWN
    assert decided > len(insts) // 2


# ----------------------------------------------------------------------------- the command


def _write(tmp_path, d):
    p = tmp_path / "i.json"
    p.write_text(json.dumps(d))
    return str(p)


GAME = {
    "name": "g",
    "user_types": [{"name": "a", "mass": 0.5}, {"name": "b", "mass": 0.5}],
    "models": [{"name": "A", "scores": [1.0, 0.0]}, {"name": "B", "scores": [0.4, 0.8]}, {"name": "C", "scores": [0.2, 0.2]}],
    "platforms": 2,
    "choice": {"rule": "hardmax"},
    "utility": "score_share",
}


def _strict_json(text):
    def no_constants(x):
        raise ValueError(f"non-strict JSON constant {x}")

    return json.loads(text, parse_constant=no_constants)


def test_analyze_json_is_one_strict_object_with_T_Delta_and_conditions(tmp_path, capsys):
    assert main(["analyze", _write(tmp_path, GAME), "--json"]) == 0
    out = _strict_json(capsys.readouterr().out)
    assert out["global_average"] == pytest.approx({"A": 0.5, "B": 0.6, "C": 0.2})
    assert out["localized_attraction"]["A"] == pytest.approx({"B": 0.5, "C": 0.5})
    assert out["localized_attraction"]["B"] == pytest.approx({"A": 0.2, "C": 0.6})
    assert "A" not in out["localized_attraction"]["A"]
    cond = out["conditions"]
    assert cond["two_platform_equilibria"] == [["A", "B"]]
    assert cond["homogenization"]["A"]["equilibrium"] is False
    assert cond["homogenization"]["B"]["platforms"]["set"] == "N = 1"
    assert cond["existence"]["status"] == "exists"


def test_analyze_text_prints_the_tables(tmp_path, capsys):
    assert main(["analyze", _write(tmp_path, GAME), "--set", "A,B"]) == 0
    out = capsys.readouterr().out
    assert "localized attraction" in out and "homogenization" in out
    assert "differentiated {A, B}: an equilibrium" in out


def test_analyze_logit_instance_says_the_conditions_are_for_this_N(tmp_path, capsys):
    assert main(["analyze", _write(tmp_path, {**GAME, "choice": {"rule": "softmax", "beta": 5}}), "--json"]) == 0
    out = _strict_json(capsys.readouterr().out)
    assert out["conditions"]["rule"].startswith("logit")
    assert "platforms" not in out["conditions"]["homogenization"]["A"]


def test_analyze_mass_share_adds_the_utility_weighted_quantities(tmp_path, capsys):
    assert main(["analyze", _write(tmp_path, {**GAME, "utility": "mass_share"}), "--json"]) == 0
    out = _strict_json(capsys.readouterr().out)
    assert out["utility_weighted"]["global_average"] == pytest.approx({"A": 1.0, "B": 1.0, "C": 1.0})


@pytest.mark.parametrize(
    "args, message",
    [(["--set", "A,Z"], "unknown model 'Z'"), (["--set", "A,A"], "2 distinct models"), (["--set", "A"], "2 distinct models")],
)
def test_analyze_bad_set_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    assert main(["analyze", _write(tmp_path, GAME), *args]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and message in cap.err and cap.err.count("\n") == 1


def test_analyze_bad_instance_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["analyze", _write(tmp_path, {**GAME, "platforms": 0}), "--json"]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and "platforms" in cap.err and cap.err.count("\n") == 1
