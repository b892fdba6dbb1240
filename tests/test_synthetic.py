"""The seed paper's two settings as front ends (issue 13, items 3 and 5): ``milp-market synthetic``
(2-D Gaussian mixture, bias-plus-bumps models) and the probability-profile CIFAR-10 qualities.

Checked here: the score formula on hand-computed points; sampling reproducible from the seed and
following the seed's per-component counts; grid masses proportional to the density and summing to
1; every bad spec field one line on stderr, exit 2, no file; the shipped specs build exactly the
shipped instance files; the map is written; CIFAR profiles non-negative and summing to 1, and the
shipped CIFAR files exactly what scripts/build_instances.py writes."""

import copy
import importlib.util
import json
import math

import numpy as np
import pytest

from milp_market import synthetic
from milp_market.instance import InstanceError, load_instance

from .conftest import INSTANCES, ROOT, run_cli

SPEC = {
    "name": "toy",
    "seed": 7,
    "mixture": [
        {"weight": 3, "mean": [0, 0], "cov": [[1, 0.2], [0.2, 0.5]]},
        {"weight": 1, "mean": [3, 1], "cov": [[0.3, 0], [0, 0.3]]},
    ],
    "users": {"placement": "sample", "count": 8},
    "models": [
        {"name": "A", "bias": 0.3, "bumps": [{"center": [0, 0], "amplitude": 0.5, "width": 1.0}]},
        {"name": "B", "bias": 0.1, "bumps": [{"center": [3, 1], "amplitude": 0.9, "width": 0.5}]},
        {"name": "C", "bias": 0.6},
    ],
    "platforms": 2,
    "choice": {"rule": "hardmax"},
    "utility": "score_share",
}


def write(tmp_path, spec, name="spec.json"):
    p = tmp_path / name
    p.write_text(json.dumps(spec))
    return p


# ------------------------------------------------------------------------------ the score formula


def test_bump_score_matches_hand_computed_points():
    # bias 0.2, one bump a = 0.5, s = 1 at the origin: at (0,0) 0.7; at (1,1) 0.2 + 0.5 e^-1
    got = synthetic.bump_scores(0.2, [((0, 0), 0.5, 1.0)], [[0, 0], [1, 1], [2, 0]])
    assert got == pytest.approx([0.7, 0.2 + 0.5 * math.exp(-1.0), 0.2 + 0.5 * math.exp(-2.0)], abs=1e-15)
    # two bumps add; width 2 divides the squared distance by 8
    got = synthetic.bump_scores(0.0, [((0, 0), 0.3, 2.0), ((4, 0), 0.4, 1.0)], [[2, 0]])
    assert got[0] == pytest.approx(0.3 * math.exp(-4 / 8) + 0.4 * math.exp(-4 / 2), abs=1e-15)


def test_bump_score_is_clipped_to_the_unit_interval():
    assert synthetic.bump_scores(0.8, [((0, 0), 0.9, 1.0)], [[0, 0]]).tolist() == [1.0]
    assert synthetic.bump_scores(0.1, [((0, 0), -0.9, 1.0)], [[0, 0]]).tolist() == [0.0]
    assert synthetic.bump_scores(-0.5, [], [[0, 0]]).tolist() == [0.0]


def test_instance_scores_are_the_formula_at_the_user_positions():
    spec = synthetic.validate_spec(copy.deepcopy(SPEC))
    inst = synthetic.build_instance(spec)
    pos = np.array(inst.extra["synthetic"]["positions"])
    for j, m in enumerate(spec["models"]):
        want = synthetic.bump_scores(m["bias"], [(b["center"], b["amplitude"], b["width"]) for b in m["bumps"]], pos)
        assert inst.scores[j] == pytest.approx(want, abs=1e-9)


# ------------------------------------------------------------------------------ user types


def test_sampling_is_reproducible_from_the_seed_and_changes_with_it():
    spec = synthetic.validate_spec(copy.deepcopy(SPEC))
    a, b = synthetic.user_types(spec), synthetic.user_types(spec)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    other = synthetic.user_types(dict(spec, seed=8))
    assert not np.array_equal(a[0], other[0])


def test_sampling_follows_the_seeds_per_component_counts_and_masses():
    """Weights 3:1, K = 8: 6 and 2 types, masses 0.75/6 and 0.25/2 (the seed's sample_user_types_from_gmm)."""
    spec = synthetic.validate_spec(copy.deepcopy(SPEC))
    pos, mass = synthetic.user_types(spec)
    assert pos.shape == (8, 2)
    assert mass == pytest.approx([0.125] * 6 + [0.125] * 2)
    rng = np.random.default_rng(7)
    first = rng.multivariate_normal([0, 0], [[1, 0.2], [0.2, 0.5]], size=6, method="cholesky")
    assert np.array_equal(pos[:6], first)


def test_grid_masses_sum_to_one_and_follow_the_density():
    spec = copy.deepcopy(SPEC)
    spec["users"] = {"placement": "grid", "shape": [7, 5], "bounds": [[-2, 4], [-2, 3]]}
    spec = synthetic.validate_spec(spec)
    pos, mass = synthetic.user_types(spec)
    assert pos.shape == (35, 2) and mass.sum() == pytest.approx(1.0, abs=1e-12)
    dens = synthetic.mixture_density(spec["mixture"], pos)
    assert mass == pytest.approx(dens / dens.sum(), rel=1e-12)
    spec["users"]["min_mass"] = 0.02
    pos2, mass2 = synthetic.user_types(spec)
    assert 0 < len(mass2) < 35 and mass2.sum() == pytest.approx(1.0, abs=1e-12)


def test_mixture_density_integrates_to_one():
    spec = synthetic.validate_spec(copy.deepcopy(SPEC))
    xs = np.linspace(-8, 10, 361)
    X, Y = np.meshgrid(xs, xs)
    d = synthetic.mixture_density(spec["mixture"], np.column_stack([X.ravel(), Y.ravel()]))
    assert d.sum() * (xs[1] - xs[0]) ** 2 == pytest.approx(1.0, abs=1e-6)


# ------------------------------------------------------------------------------ the command


def test_cli_writes_a_valid_instance_and_the_map(tmp_path):
    spec = write(tmp_path, SPEC)
    out, png = tmp_path / "x.json", tmp_path / "x.png"
    code, stdout, err = run_cli(["synthetic", str(spec), "--out", str(out), "--map", str(png)])
    assert code == 0, err
    inst = load_instance(out)
    assert inst.n_models == 3 and inst.n_types == 8 and inst.platforms == 2
    assert png.stat().st_size > 5000 and "wrote" in stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.json", "x.json", "x.png"]  # no temporary file left


def test_cli_reads_toml_specs(tmp_path):
    toml = (
        'name = "t"\nplatforms = 2\n[users]\nplacement = "grid"\nshape = [3, 3]\n'
        '[[mixture]]\nweight = 1\nmean = [0, 0]\ncov = [[1, 0], [0, 1]]\n'
        '[[models]]\nname = "A"\nbias = 0.5\n[[models]]\nname = "B"\nbias = 0.1\n'
        '[[models.bumps]]\ncenter = [0, 0]\namplitude = 0.8\nwidth = 1\n'
    )
    p = tmp_path / "s.toml"
    p.write_text(toml)
    code, _, err = run_cli(["synthetic", str(p), "--out", str(tmp_path / "t.json")])
    assert code == 0, err
    assert load_instance(tmp_path / "t.json").n_types == 9


def _bad(**changes):
    spec = copy.deepcopy(SPEC)
    for path, value in changes.items():
        keys = path.split("__")
        d = spec
        for k in keys[:-1]:
            d = d[int(k)] if isinstance(d, list) else d[k]
        last = keys[-1]
        if value is KeyError:
            del d[last]
        elif isinstance(d, list):
            d[int(last)] = value
        else:
            d[last] = value
    return spec


BAD = [
    (_bad(mixture=[]), "mixture"),
    (_bad(mixture__0__weight=0), "mixture[0].weight"),
    (_bad(mixture__0__weight="a"), "mixture[0].weight"),
    (_bad(mixture__0__mean=[0]), "mixture[0].mean"),
    (_bad(mixture__0__mean=[0, float("nan")]), "mixture[0].mean"),
    (_bad(mixture__1__cov=[[1, 0.5], [0, 1]]), "mixture[1].cov must be symmetric"),
    (_bad(mixture__1__cov=[[1, 2], [2, 1]]), "mixture[1].cov must be positive definite"),
    (_bad(mixture__1__cov=[[1, 0]]), "mixture[1].cov"),
    (_bad(mixture__0__cov=KeyError), "mixture[0]: missing field 'cov'"),
    (_bad(mixture__0__colour=1), "unknown field 'colour'"),
    (_bad(users__placement="random"), "users.placement"),
    (_bad(users__count=0), "users.count"),
    (_bad(users__count=1), "users.count (1) must be at least"),
    (_bad(users__count=2.5), "users.count"),
    (_bad(users={"placement": "grid", "shape": [0, 3]}), "users.shape"),
    (_bad(users={"placement": "grid", "shape": [3, 3], "bounds": [[1, 0], [0, 1]]}), "users.bounds[0]"),
    (_bad(users={"placement": "grid", "shape": [3, 3], "min_mass": 1.5}), "users.min_mass"),
    (_bad(users={"placement": "grid", "shape": [3, 3], "count": 4}), "unknown field 'count'"),
    (_bad(models=[]), "models"),
    (_bad(models__1__name="A"), "models[1].name 'A' is used twice"),
    (_bad(models__0__name=""), "models[0].name"),
    (_bad(models__0__bias=float("inf")), "models[0].bias"),
    (_bad(models__0__bumps__0__width=0), "models[0].bumps[0].width"),
    (_bad(models__0__bumps__0__amplitude=None), "models[0].bumps[0].amplitude"),
    (_bad(models__0__bumps__0__center=[1, 2, 3]), "models[0].bumps[0].center"),
    (_bad(models__0__bumps__0__radius=1), "unknown field 'radius'"),
    (_bad(models__0__bumps="x"), "models[0].bumps"),
    (_bad(platforms=0), "platforms"),
    (_bad(platforms=True), "platforms"),
    (_bad(choice={"rule": "softmax"}), "choice.beta"),
    (_bad(choice={"rule": "hardmax", "beta": 2}), "choice.beta is only for the softmax rule"),
    (_bad(choice={"rule": "argmax"}), "choice"),
    (_bad(utility="profit"), "utility"),
    (_bad(seed=-1), "seed"),
    (_bad(name=3), "name"),
    (_bad(extra_field=1), "unknown field 'extra_field'"),
    (_bad(mixture=KeyError), "missing field 'mixture'"),
]


@pytest.mark.parametrize("spec,needle", BAD, ids=[n for _, n in BAD])
def test_bad_spec_field_is_one_line_exit_2_and_no_file(tmp_path, spec, needle):
    p = tmp_path / "spec.json"
    p.write_text(json.dumps(spec, allow_nan=True))
    out = tmp_path / "x.json"
    code, stdout, err = run_cli(["synthetic", str(p), "--out", str(out)])
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and needle in err and str(p) in err, err
    assert not out.exists()


@pytest.mark.parametrize("text,needle", [("{not json", "malformed synthetic spec"), ("[1, 2]", "top level")])
def test_malformed_spec_file_is_one_line(tmp_path, text, needle):
    p = tmp_path / "s.json"
    p.write_text(text)
    code, _, err = run_cli(["synthetic", str(p), "--out", str(tmp_path / "x.json")])
    assert code == 2 and err.count("\n") == 1 and needle in err


def test_missing_spec_and_bad_out_folder_are_one_line(tmp_path):
    code, _, err = run_cli(["synthetic", str(tmp_path / "nope.json"), "--out", str(tmp_path / "x.json")])
    assert code == 2 and err.count("\n") == 1 and "cannot read" in err
    spec = write(tmp_path, SPEC)
    code, _, err = run_cli(["synthetic", str(spec), "--out", str(tmp_path / "no" / "x.json")])
    assert code == 2 and err.count("\n") == 1


def test_validation_errors_are_instance_errors():
    with pytest.raises(InstanceError, match="users.count"):
        synthetic.validate_spec(_bad(users__count=-3))


# ------------------------------------------------------------------------------ shipped specs


@pytest.mark.parametrize("stem,spec_file", [("gmm3_sampled", "gmm3_sampled.spec.json"), ("gmm3_grid", "gmm3_grid.spec.toml")])
def test_shipped_synthetic_instances_are_what_their_specs_build(tmp_path, stem, spec_file):
    out = tmp_path / f"{stem}.json"
    code, _, err = run_cli(["synthetic", str(INSTANCES / "synthetic" / spec_file), "--out", str(out)])
    assert code == 0, err
    built = json.loads(out.read_text())
    shipped = json.loads((INSTANCES / "synthetic" / f"{stem}.json").read_text())
    _assert_same_json(built, shipped, stem)


def _assert_same_json(a, b, where):
    """Equal structure, strings and integers; floats equal to within rounding (1e-12 relative):
    numpy releases may change the summation order of a normalization by one ulp (numpy 2.4.6
    built a mass of gmm3_grid as ...908043 where the shipped file, built earlier, has ...908047)."""
    assert type(a) is type(b), f"{where}: {a!r} != {b!r}"
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f"{where}: keys {sorted(a)} != {sorted(b)}"
        for key in a:
            _assert_same_json(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), f"{where}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same_json(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15), f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


# ------------------------------------------------------------------------------ CIFAR-10 profiles


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("random_strength", [False, True])
def test_cifar_profiles_are_probability_profiles(seed, random_strength):
    pool = list(synthetic.CIFAR_FINE_TUNED)
    Q = synthetic.cifar_profiles(pool, seed, random_strength=random_strength)
    assert Q.shape == (6, 10) and (Q >= 0).all()
    assert Q.sum(axis=1) == pytest.approx(np.ones(6), abs=1e-12)


def test_cifar_specialists_gain_on_their_classes_without_noise():
    rng = np.random.default_rng(0)
    for m, fine in synthetic.CIFAR_FINE_TUNED.items():
        p = synthetic.cifar_profile(m, synthetic.CIFAR_STRENGTH[m], rng, noise=0.0)
        on = [synthetic.CIFAR_CLASSES.index(c) for c in fine]
        off = [i for i in range(10) if i not in on]
        if fine:
            assert (p[on] > 0.1).all() and (p[off] < 0.1).all()
        else:
            assert p == pytest.approx(np.full(10, 0.1))


def test_shipped_cifar_qualities_are_probability_profiles():
    rows = (INSTANCES / "cifar10_paper_qualities.csv").read_text().splitlines()
    assert rows[0].split(",")[1:] == list(synthetic.CIFAR_CLASSES)
    Q = np.array([[float(x) for x in r.split(",")[1:]] for r in rows[1:]])
    assert Q.shape == (6, 10) and (Q >= 0).all()
    assert Q.sum(axis=1) == pytest.approx(np.ones(6), abs=1e-9)


def test_shipped_cifar_files_are_what_the_builder_writes(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("build_instances", ROOT / "scripts" / "build_instances.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "OUT", tmp_path)
    written = mod.build_cifar()
    assert sorted(p.name for p in written) == ["cifar10_paper.json", "cifar10_paper_logit.json", "cifar10_paper_qualities.csv"]
    for p in written:
        assert p.read_text() == (INSTANCES / p.name).read_text(), p.name
    inst = load_instance(INSTANCES / "cifar10_paper.json")
    Q = np.loadtxt(INSTANCES / "cifar10_paper_qualities.csv", delimiter=",", skiprows=1, usecols=range(1, 11))
    W = np.zeros((6, 10))
    groups = json.loads((ROOT.parent / "shared" / "data" / "paper_cifar10_user_groups.json").read_text())["groups"]
    for g, grp in enumerate(groups):
        for c, w in grp["weights"].items():
            W[g, synthetic.CIFAR_CLASSES.index(c)] = w
    assert inst.scores == pytest.approx(Q @ W.T, abs=1e-9)  # score = class weights . profile
