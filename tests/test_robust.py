"""Robustness certificates under score uncertainty (milp_market/robust.py, formulations/robust.md).

Three layers: the per-type worst case against brute force over candidate columns (with an
independent implementation of exact-tie shares, itself checked against the evaluator); every
"robust" answer against dense sampling of the box (all vertices, grid points with ties) through
the exact evaluator, and every witness re-checked; hand-made known answers (thresholds, ties at
a box corner, suprema that are limits, zero-width boxes), the shrink factor, the CLI and bad input.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from milp_market import game
from milp_market.cli import main
from milp_market.enumeration import enumerate_profiles
from milp_market.generators import generate
from milp_market.instance import TIE_TOL, InstanceError, load_instance, make_instance
from milp_market.results import MarketPossibleStatus, NominalStatus, PossibleStatus
from milp_market.robust import (
    FRACTION_PRECISION,
    UncertainInstance,
    _deviation,
    _opponents,
    _witness,
    certify,
    is_robust,
    load_uncertain_instance,
    make_uncertain,
    possible_equilibrium,
    possible_market_equilibrium,
    robust_fraction,
    robust_profiles,
    score_intervals_from_ratings,
    uncertain_from_dict,
    worst_case_gain,
)

ROOT = Path(__file__).resolve().parents[1]
GRID = np.round(np.arange(0, 16) / 10, 10)  # scores and bounds of the random boxes: a 0.1 grid
EPS = 1e-7  # brute-force candidates also sit EPS inside every grid point (one-sided limits)


# ----------------------------------------------------------------------------- helpers


def _grid_box(rng, M, K, N, utility="score_share") -> UncertainInstance:
    """Random uncertain instance on the 0.1 grid: many exact ties, many zero-width entries."""
    S = rng.choice(GRID[1:11], size=(M, K))
    lo = np.round(np.maximum(S - rng.choice([0, 0, 0.1, 0.2, 0.3], size=(M, K)), 0), 10)
    hi = np.round(S + rng.choice([0, 0, 0.1, 0.2, 0.3], size=(M, K)), 10)
    inst = make_instance(S, rng.choice([1, 2, 3], size=K), N, utility=utility)
    return make_uncertain(inst, lo, hi)


def _profiles(M, N):
    for combo in itertools.combinations_with_replacement(range(M), N):
        yield np.bincount(combo, minlength=M)


def _column_gain(cols, opp, j, k, pi, score_share):
    """Independent reference: the type-t gain term of j -> k for many columns at once (rows of
    ``cols``, (C, M)), with exact ties: top = max over the opponents' models, share 1 above, 1/(c+1)
    at the top (c = opponents at the top), 0 below."""
    w = (lambda x: pi * x) if score_share else (lambda x: pi * np.ones_like(x))
    U = [q for q in range(cols.shape[1]) if opp[q] > 0]
    if not U:
        return w(cols[:, k]) - w(cols[:, j])
    top = cols[:, U].max(axis=1)
    c = sum(opp[q] * (cols[:, q] == top) for q in U)

    def pay(x):
        s = cols[:, x]
        share = np.where(s > top, 1.0, np.where(s == top, 1.0 / (c + 1), 0.0))
        return w(s) * share

    return pay(k) - pay(j)


def _separated(cols):
    """Rows whose values are pairwise equal or more than TIE_TOL apart (the certificate's matrices)."""
    s = np.sort(cols, axis=1)
    d = np.diff(s, axis=1)
    return np.all((d == 0) | (d > TIE_TOL), axis=1)


def _candidates(a, z):
    pts = [x for x in GRID if a <= x <= z]
    out = set(pts)
    for x in pts:
        out.update(y for y in (x - EPS, x + EPS) if a <= y <= z)
    return sorted(out)


def _brute_type(lo, hi, opp, j, k, pi, score_share):
    """max of the type's gain term over all candidate columns of the relevant models."""
    M = len(lo)
    R = sorted({q for q in range(M) if opp[q] > 0} | {j, k})
    grids = np.meshgrid(*[_candidates(lo[p], hi[p]) for p in R], indexing="ij")
    cols = np.zeros((grids[0].size, M))
    for p, g in zip(R, grids):
        cols[:, p] = g.ravel()
    cols = cols[_separated(cols[:, R])]
    return float(_column_gain(cols, opp, j, k, pi, score_share).max())


def _verify_witness(unc: UncertainInstance, counts, res):
    """The witness lies in the box, is a valid instance, and the evaluator confirms the gain."""
    w = res.witness
    assert w is not None
    assert np.all(unc.lower <= w.scores) and np.all(w.scores <= unc.upper)
    inst = unc.with_scores(w.scores)
    assert not game.is_equilibrium(inst, counts)
    pay = game.payoffs_against(inst, _opponents(counts, w.platform_model))
    assert pay[w.deviation_to] - pay[w.platform_model] == pytest.approx(w.gain, abs=1e-15)
    assert w.gain > game.EQ_TOL
    assert w.gain <= res.worst_gain + 1e-12  # no witness beats the supremum


def _box_samples(unc: UncertainInstance, rng, n_random=150, max_vertices=256):
    """Score matrices of the box: every vertex (when few), random grid points (ties with the other
    models' scores and bounds included, all on the grid), and the nominal matrix."""
    lo, hi = unc.lower, unc.upper
    free = np.argwhere(hi > lo)
    out = [unc.nominal.scores]
    if 2 ** len(free) <= max_vertices:
        for bits in itertools.product((0, 1), repeat=len(free)):
            S = np.array(unc.nominal.scores)
            for (j, t), b in zip(free, bits):
                S[j, t] = hi[j, t] if b else lo[j, t]
            out.append(S)
    for _ in range(n_random):
        S = np.array(unc.nominal.scores)
        for j, t in free:
            S[j, t] = rng.choice([x for x in GRID if lo[j, t] <= x <= hi[j, t]])
        out.append(S)
    return out


# ----------------------------------------------------------------------------- the reference


def test_reference_column_gain_agrees_with_the_evaluator():
    rng = np.random.default_rng(0)
    for _ in range(300):
        M, N = int(rng.integers(2, 5)), int(rng.integers(1, 5))
        col = rng.choice(GRID[:6], size=M)
        counts = np.bincount(rng.integers(0, M, size=N), minlength=M)
        utility = str(rng.choice(["score_share", "mass_share"]))
        inst = make_instance(col[:, None], [1.0], N, utility=utility)
        for j in np.flatnonzero(counts):
            o = _opponents(counts, j)
            pay = game.payoffs_against(inst, o)
            for k in range(M):
                ref = _column_gain(col[None, :], o, j, k, 1.0, utility == "score_share")[0]
                assert ref == pytest.approx(pay[k] - pay[j], abs=1e-15)


# ----------------------------------------------------------------------------- exactness


@pytest.mark.parametrize("seed", range(6))
def test_worst_case_per_type_equals_brute_force_over_the_column(seed):
    """Per user type and deviation, the sweep's supremum is an upper bound of every candidate
    column (grid points, their one-sided neighbours, all ties) and is reached by one of them
    (within EPS times the slope when it is a limit): 50 random boxes per seed, 300 in all."""
    rng = np.random.default_rng(100 + seed)
    checked = 0
    for _ in range(50):
        M, K, N = int(rng.integers(2, 5)), int(rng.integers(1, 3)), int(rng.integers(1, 5))
        utility = str(rng.choice(["score_share", "mass_share"]))
        unc = _grid_box(rng, M, K, N, utility)
        counts = np.bincount(rng.integers(0, M, size=N), minlength=M)
        for j in np.flatnonzero(counts):
            opp = _opponents(counts, j)
            if len(set(np.flatnonzero(opp)) | {j}) > 3:  # keep the brute force small: |R| <= 4
                continue
            for k in range(M):
                if k == j:
                    continue
                d = _deviation(unc.nominal, unc.lower, unc.upper, counts, int(j), k)
                for t, case in enumerate(d.cases):
                    pi = float(unc.nominal.masses[t])
                    brute = _brute_type(unc.lower[:, t], unc.upper[:, t], opp, int(j), k, pi, utility == "score_share")
                    assert brute <= case.value + 1e-12, (seed, j, k, t, case)
                    assert brute >= case.value - 2 * EPS, (seed, j, k, t, case)
                    if case.attained:
                        assert brute >= case.value - EPS * pi * 2
                    checked += 1
    assert checked > 200


@pytest.mark.parametrize("seed", range(8))
def test_robust_answers_survive_dense_sampling_and_every_witness_verifies(seed):
    """Nominal equilibria of 25 random boxes per seed (200 in all): a "robust" profile is an
    equilibrium, by the exact evaluator, on every vertex of the box, on random grid points (with
    exact ties) and at the nominal scores; a "not robust" one has a witness that the evaluator
    confirms, inside the box, with a gain no larger than the certified worst case."""
    rng = np.random.default_rng(200 + seed)
    seen = {True: 0, False: 0}
    for _ in range(25):
        M, K, N = int(rng.integers(2, 4)), int(rng.integers(1, 3)), int(rng.integers(1, 4))
        unc = _grid_box(rng, M, K, N, str(rng.choice(["score_share", "mass_share"])))
        for counts in enumerate_profiles(unc.nominal).equilibria:
            counts = np.array(counts)
            res = certify(unc, counts)
            seen[res.robust] += 1
            assert res.nominal_equilibrium
            if res.robust:
                assert res.witness is None and res.worst_gain <= game.EQ_TOL and res.robust_fraction == 1.0
                for S in _box_samples(unc, rng):
                    assert game.is_equilibrium(unc.with_scores(S), counts), (seed, counts, S)
            else:
                _verify_witness(unc, counts, res)
    assert seen[True] > 0 and seen[False] > 0, seen


@pytest.mark.parametrize("family", ["uniform", "ties", "specialist", "dominant"])
@pytest.mark.parametrize("utility", ["score_share", "mass_share"])
def test_zero_width_box_is_exactly_the_nominal_equilibrium_check(family, utility):
    """With no uncertainty, "robust" is "is an equilibrium", for every profile, and the worst case
    is the evaluator's own largest gain."""
    for seed in range(3):
        inst = generate(family, 4, 3, 3, seed, utility=utility)
        unc = make_uncertain(inst)
        for counts in _profiles(4, 3):
            assert is_robust(unc, counts) == game.is_equilibrium(inst, counts)
            gains = [
                worst_case_gain(unc, counts, int(j), k)[0] for j in np.flatnonzero(counts) for k in range(4) if k != j
            ]
            assert max(gains) == pytest.approx(
                max(
                    float(game.payoffs_against(inst, _opponents(counts, j))[k] - game.payoffs_against(inst, _opponents(counts, j))[j])
                    for j in np.flatnonzero(counts)
                    for k in range(4)
                    if k != j
                ),
                abs=1e-12,
            )


@pytest.mark.parametrize("name", ["ties", "homogenized", "differentiated", "no_equilibrium", "cifar10_paper"])
def test_zero_width_box_on_shipped_instances(name):
    inst = load_instance(ROOT / "instances" / f"{name}.json")
    unc = make_uncertain(inst)
    for counts in _profiles(inst.n_models, inst.platforms):
        assert is_robust(unc, counts) == game.is_equilibrium(inst, counts)


# ----------------------------------------------------------------------------- known answers


def _specialists(lower, upper, **kw):
    nominal = make_instance([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], 2, model_names=["A", "B"], **kw)
    return make_uncertain(nominal, lower, upper)


def test_two_specialists_stay_differentiated_exactly_up_to_shrink_0_4():
    """A's platform earns at least 0.5 (1 - 0.8 f) alone on type a; joining B earns at most
    0.25 (0.9 f + 1): worst-case gain 0.625 f - 0.25, <= 0 iff f <= 0.4."""
    unc = _specialists([[0.2, 0.0], [0.0, 0.2]], [[1.0, 0.9], [0.9, 1.0]])
    assert is_robust(unc, (1, 1), 0.4) and not is_robust(unc, (1, 1), 0.4 + 1e-6)
    for f in (0.1, 0.3, 0.5, 1.0):
        gain, attained = worst_case_gain(unc, (1, 1), 0, 1, f)
        if f <= 1 / 1.7:  # A stays above B on type a: the bound above
            assert gain == pytest.approx(0.625 * f - 0.25, abs=1e-12) and attained
    res = certify(unc, (1, 1))
    assert not res.robust and res.robust_fraction_bracket[0] <= 0.4 < res.robust_fraction_bracket[1]
    assert res.robust_fraction_bracket[1] - res.robust_fraction_bracket[0] <= FRACTION_PRECISION
    _verify_witness(unc, np.array([1, 1]), res)
    assert res.witness.gain == pytest.approx(0.25 * (0.9 + 1))  # B above A on a: A's platform gets 0


def test_dominant_model_homogenization_is_robust():
    nominal = make_instance([[1.0, 1.0], [0.1, 0.1]], [0.5, 0.5], 3, model_names=["A", "B"])
    unc = make_uncertain(nominal, [[0.8, 0.8], [0.0, 0.0]], [[1.0, 1.0], [0.5, 0.79]])
    res = certify(unc, (3, 0))
    assert res.robust and res.witness is None and res.robust_fraction == 1.0
    assert not certify(unc, (2, 1)).robust  # never an equilibrium: B's platform earns 0


def test_tie_reachable_only_at_the_box_corner():
    """B's score for A's users reaches A's score 1 only at the corner f = 1: robust for every
    f < 1, not at f = 1, where the witness holds an exact tie (B = A = 1 on type a) that the
    evaluator splits: A's platform gains 0.25 by joining B."""
    unc = _specialists(None, [[1.0, 1.0], [1.0, 1.0]])
    for f in (0.5, 0.9, 0.999999):
        assert is_robust(unc, (1, 1), f)
    res = certify(unc, (1, 1))
    assert not res.robust and res.worst_gain == pytest.approx(0.25)
    assert res.robust_fraction_bracket == (1.0 - 2.0**-14, 1.0)
    _verify_witness(unc, np.array([1, 1]), res)
    assert res.witness.scores[0, 0] == res.witness.scores[1, 0] == 1.0  # the exact tie


def test_supremum_that_is_a_limit_gets_a_strict_witness():
    """A (one platform) can never tie B (pinned at 0.5): its interval starts 0.5e-9 above it, so
    its Omega-values are strictly more than TIE_TOL above 0.5 and its score can approach but
    not reach 0.5 + TIE_TOL: the supremum 0.95 - 0.5 - 1e-9 of A -> C is not attained, and the
    witness puts A a little above 0.5 + TIE_TOL."""
    nominal = make_instance([[0.9], [0.5], [0.95]], [1.0], 2, model_names=["A", "B", "C"])
    unc = make_uncertain(nominal, [[0.5 + 0.5e-9], [0.5], [0.95]], [[0.9], [0.5], [0.95]])
    gain, attained = worst_case_gain(unc, (1, 1, 0), 0, 2)
    assert gain == pytest.approx(0.45 - 1e-9, abs=1e-15) and not attained
    counts = np.array([1, 1, 0])
    w = _witness(unc, unc.lower, unc.upper, counts, _deviation(unc.nominal, unc.lower, unc.upper, counts, 0, 2))
    assert (w.platform_model, w.deviation_to) == (0, 2)
    a = w.scores[0, 0]
    assert 0.5 + TIE_TOL < a < 0.5 + TIE_TOL + 1e-6
    assert 0.45 - 1e-9 - 1e-6 < w.gain < 0.45 - 1e-9
    inst = unc.with_scores(w.scores)
    pay = game.payoffs_against(inst, _opponents(counts, 0))
    assert pay[2] - pay[0] == w.gain and not game.is_equilibrium(inst, counts)


def test_single_platform_worst_case_is_best_rival_minus_worst_own():
    nominal = make_instance([[0.6, 0.6], [0.5, 0.5]], [0.5, 0.5], 1, model_names=["A", "B"])
    unc = make_uncertain(nominal, [[0.55, 0.5], [0.5, 0.5]], [[0.6, 0.6], [0.58, 0.5]])
    gain, attained = worst_case_gain(unc, (1, 0), 0, 1)
    assert gain == pytest.approx(0.5 * (0.58 - 0.55) + 0.5 * (0.5 - 0.5)) and attained
    res = certify(unc, (1, 0))
    assert not res.robust
    _verify_witness(unc, np.array([1, 0]), res)


def test_mass_share_monopoly_indifference_is_robust():
    """Under mass_share, N platforms on the model that is first on every type earn 1/N each and a
    deviator gains at most 0 (it would tie or lose): robust whenever A stays first everywhere."""
    nominal = make_instance([[0.9, 0.8], [0.5, 0.6]], [0.3, 0.7], 2, utility="mass_share")
    unc = make_uncertain(nominal, [[0.7, 0.7], [0.4, 0.5]], [[1.0, 0.9], [0.7, 0.7]])
    res = certify(unc, (2, 0))
    assert res.robust and res.worst_gain == 0.0


# ----------------------------------------------------------------------------- the shrink factor


@pytest.mark.parametrize("seed", range(3))
def test_robust_fraction_is_monotone_and_correct_at_its_bracket(seed):
    rng = np.random.default_rng(300 + seed)
    done = 0
    while done < 8:
        unc = _grid_box(rng, 3, 2, int(rng.integers(2, 4)))
        for counts in enumerate_profiles(unc.nominal).equilibria:
            f, bracket = robust_fraction(unc, counts)
            if f == 1.0:
                assert is_robust(unc, counts) and bracket == (1.0, 1.0)
                continue
            a, b = bracket
            assert f == a and 0 <= a < b <= 1 and b - a <= FRACTION_PRECISION
            assert is_robust(unc, counts, a) and not is_robust(unc, counts, b)
            verdicts = [is_robust(unc, counts, x) for x in np.linspace(0, 1, 21)]
            assert verdicts == sorted(verdicts, reverse=True)  # True ... True False ... False
            res = certify(unc, counts)
            assert not res.robust and res.robust_fraction == f
            done += 1


def test_robust_fraction_is_none_off_equilibrium():
    unc = _specialists([[0.8, 0.0], [0.0, 0.8]], [[1.0, 0.2], [0.2, 1.0]])
    assert robust_fraction(unc, (2, 0)) == (None, None)
    res = certify(unc, (2, 0))
    assert not res.robust and res.robust_fraction is None and not res.nominal_equilibrium


# ----------------------------------------------------------------------------- loading


def _doc(models, **extra):
    d = {
        "name": "u",
        "user_types": [{"name": "a", "mass": 0.5}, {"name": "b", "mass": 0.5}],
        "models": models,
        "platforms": 2,
    }
    d.update(extra)
    return d


def test_bounds_as_list_or_object_and_missing_bounds_are_zero_width():
    unc = uncertain_from_dict(
        _doc(
            [
                {"name": "A", "scores": [1, 0], "lower": [0.8, 0], "upper": {"b": 0.2, "a": 1}},
                {"name": "B", "scores": [0, 1], "upper": [0.1, 1]},
            ]
        )
    )
    assert unc.lower.tolist() == [[0.8, 0.0], [0.0, 1.0]]
    assert unc.upper.tolist() == [[1.0, 0.2], [0.1, 1.0]]
    again = uncertain_from_dict(json.loads(json.dumps(unc.to_json_dict())))
    assert np.array_equal(again.lower, unc.lower) and np.array_equal(again.upper, unc.upper)
    assert load_instance  # the plain loader ignores the bounds: the file is a valid instance too


def test_shipped_uncertain_instances_load_and_match_their_nominal_instances():
    for base in ("lmarena_categories", "lmarena_categories_weighted", "lmarena_full"):
        unc = load_uncertain_instance(ROOT / "instances" / "uncertain" / f"{base}_uncertain.json")
        plain = load_instance(ROOT / "instances" / f"{base}.json")
        assert np.array_equal(unc.nominal.scores, plain.scores) and unc.nominal.platforms == plain.platforms
        assert np.all(unc.lower < unc.upper)
        plain_again = load_instance(ROOT / "instances" / "uncertain" / f"{base}_uncertain.json")
        assert np.array_equal(plain_again.scores, plain.scores)


def test_score_intervals_follow_the_instances_rating_transform():
    lo, nom, up = score_intervals_from_ratings([[1300.0, 1250.0]], [[5.0, 40.0]], [1280.0, 1280.0])
    assert np.all(lo < nom) and np.all(nom < up)
    assert nom[0, 0] == round(1 / (1 + 10 ** ((1280 - 1300) / 400)), 6)
    assert up[0, 1] == round(1 / (1 + 10 ** ((1280 - 1290) / 400)), 6)


@pytest.mark.skipif(not (ROOT.parent / "shared" / "data").is_dir(), reason="../shared/data not present")
def test_uncertain_instance_rebuilds_from_the_half_width_csv(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bui", ROOT / "scripts" / "build_uncertain_instances.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    import pandas as pd

    ratings = pd.read_csv(mod.DATA / mod.RATINGS, index_col="model")
    halfwidths = pd.read_csv(mod.DATA / mod.HALFWIDTHS, index_col="model")
    shipped = (ROOT / "instances" / "uncertain" / "lmarena_categories_weighted_uncertain.json").read_text()
    monkeypatch.setattr(mod, "OUT", tmp_path)
    path = mod.build("lmarena_categories_weighted", ratings, halfwidths)
    assert path.read_text() == shipped


# ----------------------------------------------------------------------------- the command line

GOOD = _doc(
    [
        {"name": "A", "scores": [1, 0], "lower": [0.2, 0], "upper": [1, 0.9]},
        {"name": "B", "scores": [0, 1], "lower": [0, 0.2], "upper": [0.9, 1]},
    ]
)


def _strict_loads(text):
    def no_constants(name):
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=no_constants)


def test_cli_json_is_one_strict_object_with_a_checkable_witness(tmp_path, capsys):
    path = tmp_path / "u.json"
    path.write_text(json.dumps(GOOD))
    assert main(["robust", str(path), "--json"]) == 0
    out = _strict_loads(capsys.readouterr().out)
    assert set(out) >= {"profiles", "nominal_status", "tolerance"}
    (p,) = out["profiles"]
    assert p["counts"] == {"A": 1, "B": 1} and p["robust"] is False
    assert p["robust_fraction"] == pytest.approx(0.4, abs=FRACTION_PRECISION)
    w = p["witness"]
    assert set(w) == {"scores", "platform_model", "deviation_to", "gain"}
    S = np.array([w["scores"]["A"], w["scores"]["B"]])
    inst = make_instance(S, [0.5, 0.5], 2, model_names=["A", "B"], type_names=["a", "b"])
    assert not game.is_equilibrium(inst, (1, 1)) and w["gain"] > game.EQ_TOL


def test_cli_profile_option_and_text_output(tmp_path, capsys):
    path = tmp_path / "u.json"
    path.write_text(json.dumps(GOOD))
    assert main(["robust", str(path), "--profile", "A,A", "--profile", "A, B", "--json"]) == 0
    out = _strict_loads(capsys.readouterr().out)
    assert [p["counts"] for p in out["profiles"]] == [{"A": 2}, {"A": 1, "B": 1}]
    assert out["profiles"][0]["robust_fraction"] is None  # (A, A) is no equilibrium at all
    assert main(["robust", str(path)]) == 0
    text = capsys.readouterr().out
    assert "robust: no" in text and "robust fraction: 0.4" in text


def test_cli_robust_profile_prints_proof(tmp_path, capsys):
    doc = _doc(
        [
            {"name": "A", "scores": [1, 0], "lower": [0.8, 0], "upper": [1, 0.2]},
            {"name": "B", "scores": [0, 1], "lower": [0, 0.8], "upper": [0.2, 1]},
        ]
    )
    path = tmp_path / "u.json"
    path.write_text(json.dumps(doc))
    assert main(["robust", str(path), "--json"]) == 0
    (p,) = _strict_loads(capsys.readouterr().out)["profiles"]
    assert p["robust"] is True and p["witness"] is None and p["robust_fraction"] == 1.0
    assert p["worst_case_gain"] <= game.EQ_TOL


BAD = {
    "lower_above_nominal": (_doc([{"name": "A", "scores": [1, 0], "lower": [1.1, 0]}, {"name": "B", "scores": [0, 1]}]), "is above the nominal score"),
    "upper_below_nominal": (_doc([{"name": "A", "scores": [1, 0], "upper": [0.9, 0]}, {"name": "B", "scores": [0, 1]}]), "is below the nominal score"),
    "negative_lower": (_doc([{"name": "A", "scores": [1, 0], "lower": [0.5, -0.1]}, {"name": "B", "scores": [0, 1]}]), ">= 0"),
    "nan_upper": ('{"user_types": [{"name": "a", "mass": 1}], "models": [{"name": "A", "scores": [1], "upper": [NaN]}], "platforms": 1}', "finite"),
    "huge_upper": (_doc([{"name": "A", "scores": [1, 0], "upper": [1e300, 0]}, {"name": "B", "scores": [0, 1]}]), "upper bounds: scores up to 1e+300 are too large"),
    "infinite_upper": (_doc([{"name": "A", "scores": [1, 0], "upper": [1e400, 0]}, {"name": "B", "scores": [0, 1]}]), "finite"),
    "unknown_type": (_doc([{"name": "A", "scores": [1, 0], "upper": {"a": 1, "zz": 0}}, {"name": "B", "scores": [0, 1]}]), "unknown user type 'zz'"),
    "missing_type": (_doc([{"name": "A", "scores": [1, 0], "upper": {"a": 1}}, {"name": "B", "scores": [0, 1]}]), "no bound for user type 'b'"),
    "wrong_length": (_doc([{"name": "A", "scores": [1, 0], "lower": [1]}, {"name": "B", "scores": [0, 1]}]), "1 bounds for 2 user types"),
    "string_bound": (_doc([{"name": "A", "scores": [1, 0], "lower": ["x", 0]}, {"name": "B", "scores": [0, 1]}]), "must be a number"),
    "bad_form": (_doc([{"name": "A", "scores": [1, 0], "lower": 0.5}, {"name": "B", "scores": [0, 1]}]), "must be a list"),
    # audit: an upper bound 1e-9 (to an ulp) above another score gave a false "robust"
    "bound_at_the_tie_boundary": (_doc([{"name": "A", "scores": [0.25, 0]}, {"name": "B", "scores": [0, 1], "upper": [0.250000001, 1]}]), "apart to within rounding"),
    "near_tie": (_doc([{"name": "A", "scores": [0.5, 0]}, {"name": "B", "scores": [0.5 + 5e-10, 1]}]), "closer than 1e-09 but not equal"),
    "logit": (_doc([{"name": "A", "scores": [1, 0]}, {"name": "B", "scores": [0, 1]}], choice={"rule": "softmax", "beta": 5}), "hardmax choice only"),
    "bad_nominal": (_doc([{"name": "A", "scores": [1, -1]}, {"name": "B", "scores": [0, 1]}]), "negative"),
    "malformed": ("{not json", "malformed JSON"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_uncertain_instance_gives_one_line_error_and_exit_2(case, tmp_path, capsys):
    content, needle = BAD[case]
    path = tmp_path / "bad.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    assert main(["robust", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and needle in err, err


@pytest.mark.parametrize(
    "profile, needle",
    [("A,C", "unknown model 'C'"), ("A", "one model per platform (2)"), ("A,A,B", "one model per platform (2)")],
)
def test_bad_profile_option_exit_2(profile, needle, tmp_path, capsys):
    path = tmp_path / "u.json"
    path.write_text(json.dumps(GOOD))
    assert main(["robust", str(path), "--profile", profile]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and needle in err


def test_missing_file_exit_2(tmp_path, capsys):
    assert main(["robust", str(tmp_path / "nope.json")]) == 2
    assert "cannot read file" in capsys.readouterr().err


def test_library_refuses_logit_and_bad_profiles():
    nominal = make_instance([[1.0], [0.5]], [1.0], 2, choice="softmax", beta=2.0)
    with pytest.raises(InstanceError, match="hardmax"):
        certify(make_uncertain(nominal), (1, 1))
    unc = _specialists(None, None)
    with pytest.raises(ValueError, match="must count 2 platforms"):
        certify(unc, (1, 0))


def test_real_lmarena_equilibrium_is_fragile_with_a_verified_witness():
    """The report's headline: the unique nominal equilibrium of the share-weighted LMArena market
    (all four platforms on gpt-5.1) is not robust to the published 95% intervals."""
    unc = load_uncertain_instance(ROOT / "instances" / "uncertain" / "lmarena_categories_weighted_uncertain.json")
    rep = robust_profiles(unc)
    assert rep.nominal_status == "equilibrium"
    (res,) = rep.profiles
    assert unc.nominal.counts_dict(res.counts) == {"gpt-5.1": 4}
    assert not res.robust and 0 < res.robust_fraction < 0.1
    _verify_witness(unc, np.array(res.counts), res)
    assert is_robust(unc, res.counts, res.robust_fraction_bracket[0])
    assert not is_robust(unc, res.counts, res.robust_fraction_bracket[1])


# ----------------------------------------------------------------------------- possible equilibria


def _grid_in_box(unc: UncertainInstance, rng, n_random=250):
    """Every vertex (when few) and random points of a 0.05 grid inside the box (many exact ties)."""
    out = _box_samples(unc, rng, n_random=0)
    lo, hi = unc.lower, unc.upper
    for _ in range(n_random):
        steps = np.floor((hi - lo) / 0.05 + 1e-9).astype(int)
        out.append(np.round(lo + 0.05 * rng.integers(0, steps + 1), 10))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_possible_equilibria_agree_with_dense_grid_sampling(seed):
    rng = np.random.default_rng(100 + seed)
    answers = {"possible": 0, "impossible": 0, "unknown": 0}
    for _ in range(30):
        M, K, N = int(rng.integers(2, 4)), int(rng.integers(1, 3)), int(rng.integers(1, 4))
        unc = _grid_box(rng, M, K, N, utility=str(rng.choice(["score_share", "mass_share"])))
        insts = []
        for S in _grid_in_box(unc, rng):
            try:
                insts.append(unc.with_scores(S))
            except InstanceError:
                pass
        for n in _profiles(M, N):
            r = possible_equilibrium(unc, n)
            answers[r.status] += 1
            on_grid = any(game.is_equilibrium(i, n) for i in insts)
            if r.status == "possible":
                W = r.witness
                assert np.all(unc.lower <= W) and np.all(W <= unc.upper)
                assert game.is_equilibrium(unc.with_scores(W), n)
            elif r.status == "impossible":
                assert not on_grid, (n, unc)
            if game.is_equilibrium(unc.nominal, n):
                assert r.status == "possible"  # the nominal matrix is in the box
    assert answers["possible"] > 20 and answers["impossible"] > 20
    assert answers["unknown"] <= 0.02 * sum(answers.values())


def test_possible_open_end_just_above_tie():
    """Found by audit (stop 21): equilibria exist only within about 4e-9 of an open end (model C
    just above 1 on type 1; a deviation gains 0.25 * the distance), which the decoder's steps of
    1e-7 and more overshot, so the answer was "unknown" (formulations/robust.md, "Possible equilibria")."""
    nominal = make_instance([[1, 1], [0.25, 1], [0.5, 1], [0.25, 0.75]], [1, 1], 2, model_names=list("ABCD"))
    lo = [[0.75, 1], [0.25, 0.75], [0.5, 1], [0.25, 0.5]]
    hi = [[1.5, 1], [0.5, 1.25], [0.5, 1.5], [0.75, 1]]
    unc = make_uncertain(nominal, lo, hi)
    r = possible_equilibrium(unc, (0, 0, 1, 1))
    assert r.status == "possible"
    W = r.witness
    assert np.all(unc.lower <= W) and np.all(W <= unc.upper)
    assert game.is_equilibrium(unc.with_scores(W), (0, 0, 1, 1))
    assert 1.0 < W[2, 1] < 1.0 + 4e-9  # strictly above the tie, inside EQ_TOL's reach


@pytest.mark.parametrize("family", ["uniform", "specialist", "ties", "dominant"])
def test_zero_width_possible_equilibrium_is_the_nominal_check(family):
    inst = generate(family, 4, 3, 3, 5)
    unc = make_uncertain(inst)
    for n in _profiles(4, 3):
        r = possible_equilibrium(unc, n)
        assert r.status == ("possible" if game.is_equilibrium(inst, n) else "impossible")
    market = possible_market_equilibrium(unc)
    exists = any(game.is_equilibrium(inst, n) for n in _profiles(4, 3))
    assert market.status == ("fragile" if exists else "robust")
    if exists:
        assert game.is_equilibrium(unc.with_scores(market.witness), market.equilibrium)


def test_no_equilibrium_is_robust_in_a_small_box_and_fragile_in_a_wide_one():
    inst = generate("uniform", 3, 3, 2, 43)  # no pure equilibrium (complete enumeration)
    assert not any(game.is_equilibrium(inst, n) for n in _profiles(3, 2))
    S = inst.scores
    small = make_uncertain(inst, np.maximum(S - 1e-3, 0), S + 1e-3)
    res = possible_market_equilibrium(small)
    assert res.status == "robust" and res.profiles_checked == res.profiles_total == 6
    rng = np.random.default_rng(0)
    for i in range(300):  # confirmed by sampling the small box
        W = small.lower + (small.upper - small.lower) * rng.random(S.shape)
        assert not any(game.is_equilibrium(small.with_scores(W), n) for n in _profiles(3, 2))
    wide = make_uncertain(inst, np.zeros_like(S), np.maximum(S, 1.0))
    fragile = possible_market_equilibrium(wide)  # e.g. all scores equal
    assert fragile.status == "fragile"
    assert game.is_equilibrium(wide.with_scores(fragile.witness), fragile.equilibrium)
    # monotone in the shrink factor: fragile at f implies fragile at every larger f
    assert possible_market_equilibrium(wide, fraction=0.0).status == "robust"
    for f in (0.5, 0.9):  # a witness at a shrink factor lies inside the shrunk box
        r = possible_market_equilibrium(wide, fraction=f)
        if r.status == "fragile":
            lo, hi = wide.box(f)
            assert np.all(lo <= r.witness) and np.all(r.witness <= hi)
            assert game.is_equilibrium(wide.with_scores(r.witness), r.equilibrium)


def test_cli_possible_json_is_strict_with_checkable_witnesses(tmp_path, capsys):
    path = tmp_path / "u.json"
    path.write_text(json.dumps(GOOD))
    assert main(["robust", str(path), "--possible", "--profile", "A,B", "--profile", "A,A", "--json"]) == 0
    out = _strict_loads(capsys.readouterr().out)
    by = {tuple(sorted(p["counts"].items())): p for p in out["profiles"]}
    p = by[(("A", 1), ("B", 1))]
    assert p["status"] == "possible"
    inst = make_instance([p["witness"]["A"], p["witness"]["B"]], [0.5, 0.5], 2, model_names=["A", "B"])
    assert game.is_equilibrium(inst, (1, 1))
    assert main(["robust", str(path), "--possible", "--json"]) == 0
    assert _strict_loads(capsys.readouterr().out)["market"]["status"] == "fragile"
    assert main(["robust", str(path), "--possible", "--samples", "3"]) == 2


def test_statuses_are_enums_that_print_serialize_and_hash_as_their_values():
    nominal = make_instance([[1.0, 1.0], [0.5, 0.5]], [0.5, 0.5], 2, model_names=["A", "B"])
    narrow = make_uncertain(nominal, upper=[[1.0, 1.0], [0.9, 0.9]])
    wide = make_uncertain(nominal, upper=[[1.0, 1.0], [1.0, 1.0]])
    impossible, possible = possible_equilibrium(narrow, (1, 1)), possible_equilibrium(wide, (1, 1))
    assert impossible.status is PossibleStatus.IMPOSSIBLE and possible.status is PossibleStatus.POSSIBLE
    market = possible_market_equilibrium(wide)
    assert market.status is MarketPossibleStatus.FRAGILE
    assert possible_market_equilibrium(make_uncertain(generate("uniform", 3, 3, 2, 43))).status is MarketPossibleStatus.ROBUST
    assert robust_profiles(narrow).nominal_status is NominalStatus.EQUILIBRIUM
    assert robust_profiles(narrow, [(2, 0)]).nominal_status is NominalStatus.GIVEN
    for status, value in ((impossible.status, "impossible"), (market.status, "fragile"), (NominalStatus.GIVEN, "given")):
        assert status == value and str(status) == value and f"{status}" == value and f"{status:>12}" == f"{value:>12}"
        assert {value: 1}[status] == 1 and hash(status) == hash(value)
    d = impossible.to_dict(nominal)
    assert json.dumps(d) == json.dumps({**d, "status": "impossible"})  # the JSON is the value's
    assert json.loads(json.dumps(market.to_dict(nominal)))["status"] == "fragile"
    assert json.loads(json.dumps(robust_profiles(narrow).to_dict(nominal)))["nominal_status"] == "equilibrium"
    # every status the code can return is a member (a misspelt value would not construct)
    assert {s.value for s in PossibleStatus} == {"possible", "impossible", "unknown"}
    assert {s.value for s in MarketPossibleStatus} == {"fragile", "robust", "unknown"}
    assert {s.value for s in NominalStatus} == {"equilibrium", "no_equilibrium", "unknown", "given"}
