"""``milp-market import-seed`` (issue #13, item 4): the seed paper's S.npy (user groups x models),
pi.npy, model_names.json and user_names.json, written here exactly as its
RealData/build_S_from_models.py writes them (np.save, json.dump), become an instance with the
scores transposed, the masses normalized and the names kept; every bad file gives one line on
stderr and exit status 2, and no output file."""

import json
import pickle

import numpy as np
import pytest

from milp_market import instance
from milp_market.instance import InstanceError, load_instance
from milp_market.search import support_search
from milp_market.seed_import import load_seed_dir

from .conftest import run_cli

# 3 user groups x 4 models, as the seed stores it (S[k, j] = score of model j for group k)
S = np.array([[0.61, 0.20, 0.35, 0.10], [0.15, 0.72, 0.30, 0.05], [0.40, 0.33, 0.58, 0.90]])
PI = np.array([2.0, 1.0, 1.0])
MODELS = ["ddpm_airauto", "ddpm_catdog", "ddpm_birdcat", "ddpm_shiptruck"]
USERS = ["Vehicles", "Pets", "Nature"]


def write_seed(folder, S=S, pi=PI, models=MODELS, users=USERS):
    """The four files, as build_S_from_models.py writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "S.npy", S)
    np.save(folder / "pi.npy", pi)
    with open(folder / "model_names.json", "w") as fh:
        json.dump(models, fh)
    with open(folder / "user_names.json", "w") as fh:
        json.dump(users, fh)
    return folder


run = run_cli


# ----------------------------------------------------------------------------- good input


def test_import_transposes_scores_normalizes_masses_and_keeps_names(tmp_path):
    d = write_seed(tmp_path / "S_build")
    out = tmp_path / "seed.json"
    code, stdout, err = run(["import-seed", str(d), "--platforms", "3", "--out", str(out)])
    assert code == 0 and err == ""
    assert stdout.strip() == f"wrote {out}: 4 models x 3 user groups (S.npy transposed), 3 platforms, score_share"
    inst = load_instance(out)
    assert inst.model_names == tuple(MODELS) and inst.type_names == tuple(USERS)
    assert inst.scores.shape == (4, 3)
    for j in range(4):
        for k in range(3):
            assert inst.scores[j, k] == S[k, j]  # model j's score for group k
    assert inst.masses.tolist() == [0.5, 0.25, 0.25]
    assert inst.platforms == 3 and inst.choice == "hardmax" and inst.utility == "score_share"
    assert inst.name == "S_build"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["S_build", "seed.json"]  # no temporary file left


def test_import_square_matrix_is_transposed_not_copied(tmp_path):
    Sq = np.array([[0.9, 0.1], [0.3, 0.7]])  # groups x models; asymmetric so a missing transpose shows
    d = write_seed(tmp_path / "sq", S=Sq, pi=np.array([0.5, 0.5]), models=["m1", "m2"], users=["g1", "g2"])
    inst = load_seed_dir(d, 2)
    assert inst.scores.tolist() == [[0.9, 0.3], [0.1, 0.7]]


def test_import_options_name_utility_and_integer_or_float32_arrays(tmp_path):
    d = write_seed(tmp_path / "d", S=(S * 100).astype(np.int64), pi=PI.astype(np.float32))
    out = tmp_path / "x.json"
    assert run(["import-seed", str(d), "--platforms", "2", "--out", str(out), "--name", "cifar", "--utility", "mass_share"])[0] == 0
    inst = load_instance(out)
    assert inst.name == "cifar" and inst.utility == "mass_share" and inst.platforms == 2
    assert inst.scores[1, 1] == 72.0 and inst.masses.tolist() == [0.5, 0.25, 0.25]


def test_imported_instance_agrees_with_the_same_arrays_built_directly(tmp_path):
    d = write_seed(tmp_path / "d")
    a = load_seed_dir(d, 2)
    b = instance.make_instance(S.T, PI, 2, model_names=MODELS, type_names=USERS)
    assert np.array_equal(a.scores, b.scores) and np.array_equal(a.masses, b.masses)
    assert support_search(a).equilibria == support_search(b).equilibria


def test_import_overwrites_an_existing_file_atomically(tmp_path):
    d = write_seed(tmp_path / "d")
    out = tmp_path / "x.json"
    out.write_text("old")
    assert run(["import-seed", str(d), "--platforms", "2", "--out", str(out)])[0] == 0
    assert load_instance(out).n_models == 4


# ----------------------------------------------------------------------------- bad input


class _Sentinel:
    """Unpickling this would create a file: proof that a pickled array is never loaded."""

    path = None

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def _pickled_object_array(folder):
    s = _Sentinel()
    _Sentinel.path = folder / "PWNED"
    np.save(folder / "S.npy", np.array([[s, 1.0]], dtype=object), allow_pickle=True)


def _remove(name):
    return lambda d: (d / name).unlink()


def _npy(name, value):
    return lambda d: np.save(d / name, value)


def _raw(name, data):
    return lambda d: (d / name).write_bytes(data)


def _names(name, value):
    return lambda d: (d / name).write_text(json.dumps(value))


def _npz(d):
    with open(d / "S.npy", "wb") as fh:  # np.savez would add .npz to a path
        np.savez(fh, S=S)


def _truncated(d):
    b = (d / "S.npy").read_bytes()
    (d / "S.npy").write_bytes(b[:-8])


BAD = {
    "missing_S": (_remove("S.npy"), "S.npy: missing"),
    "missing_pi": (_remove("pi.npy"), "pi.npy: missing"),
    "missing_model_names": (_remove("model_names.json"), "model_names.json: missing"),
    "missing_user_names": (_remove("user_names.json"), "user_names.json: missing"),
    "S_transposed": (_npy("S.npy", S.T), "looks transposed"),
    "S_one_dimensional": (_npy("S.npy", S.ravel()), "1-dimensional array"),
    "S_three_dimensional": (_npy("S.npy", S[None]), "3-dimensional array"),
    "S_empty": (_npy("S.npy", np.zeros((0, 4))), "the array is empty (shape (0, 4))"),
    "too_many_model_names": (_names("model_names.json", MODELS + ["extra"]), "model_names.json 5 models, so S must be (3, 5)"),
    "too_few_user_names": (_names("user_names.json", USERS[:2]), "user_names.json has 2 groups and model_names.json 4 models, so S must be (2, 4)"),
    "pi_wrong_length": (_npy("pi.npy", np.array([1.0, 1.0])), "2 masses for 3 user groups"),
    "pi_two_dimensional": (_npy("pi.npy", PI[None]), "2-dimensional array"),
    "S_nan": (_npy("S.npy", np.where(S == S[1, 2], np.nan, S)), "S[1, 2] (group 'Pets', model 'ddpm_birdcat') = nan"),
    "S_inf": (_npy("S.npy", np.where(S == S[0, 0], np.inf, S)), "must be finite"),
    "S_negative": (_npy("S.npy", np.where(S == S[2, 3], -0.5, S)), "is negative"),
    "pi_nan": (_npy("pi.npy", np.array([1.0, np.nan, 1.0])), "pi[1] (group 'Pets') = nan"),
    "pi_zero": (_npy("pi.npy", np.array([1.0, 0.0, 1.0])), "positive finite"),
    "pi_negative": (_npy("pi.npy", np.array([1.0, 1.0, -1.0])), "positive finite"),
    "S_strings": (_npy("S.npy", S.astype(str)), "is not numeric"),
    "S_bool": (_npy("S.npy", S > 0.5), "dtype bool is not numeric"),
    "S_complex": (_npy("S.npy", S + 1j), "dtype complex128 is not numeric"),
    "S_structured": (_npy("S.npy", np.zeros((3, 4), dtype=[("a", "f8")])), "is not numeric"),
    "S_pickled_object_array": (_pickled_object_array, "pickled object array, not loaded"),
    "pi_object_array": (lambda d: np.save(d / "pi.npy", np.array([1.0, None, 2.0], dtype=object), allow_pickle=True), "pickled object array"),
    "S_plain_pickle": (_raw("S.npy", pickle.dumps([[1.0, 2.0]])), "not a .npy file"),
    "S_text": (_raw("S.npy", b"0.1,0.2\n0.3,0.4\n"), "not a .npy file"),
    "S_empty_file": (_raw("S.npy", b""), "not a readable .npy array"),
    "S_truncated": (_truncated, "not a readable .npy array"),
    "S_npz": (_npz, ".npz archive"),
    "model_names_not_list": (_names("model_names.json", {"a": 1}), "expected a non-empty JSON list"),
    "model_names_empty": (_names("model_names.json", []), "expected a non-empty JSON list"),
    "model_names_number": (_names("model_names.json", ["a", 2, "c", "d"]), "entry 1 is 2; every name must be a non-empty string"),
    "user_names_empty_string": (_names("user_names.json", ["a", "", "c"]), "entry 1 is \"\""),
    "model_names_duplicate": (_names("model_names.json", ["a", "b", "a", "d"]), "name 'a' appears twice (entries 0 and 2)"),
    "user_names_malformed": (_raw("user_names.json", b'["a", "b"'), "malformed JSON"),
    "user_names_not_utf8": (_raw("user_names.json", b'["\xff", "b", "c"]'), "not UTF-8"),
    "ambiguous_tie_chain": (_npy("S.npy", np.array([[0.5, 0.5 + 8e-10, 0.5 + 1.6e-9, 0.1]] * 3)), "chain of near-ties"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_seed_folder_gives_one_line_and_exit_2(case, tmp_path):
    d = write_seed(tmp_path / "d")
    spoil, needle = BAD[case]
    spoil(d)
    out = tmp_path / "x.json"
    code, stdout, err = run(["import-seed", str(d), "--platforms", "2", "--out", str(out)])
    assert code == 2, err
    assert stdout == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and needle in err, err
    assert "Traceback" not in err and "internal error" not in err
    assert not out.exists() and not (d / "PWNED").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]
    with pytest.raises(InstanceError):  # the library raises the same error
        load_seed_dir(d, 2)


OPTION_CASES = {
    "folder_missing": (["import-seed", "{tmp}/nope", "--platforms", "2", "--out", "{tmp}/x.json"], "not a folder"),
    "folder_is_a_file": (["import-seed", "{tmp}/d/S.npy", "--platforms", "2", "--out", "{tmp}/x.json"], "not a folder"),
    "out_is_a_folder": (["import-seed", "{tmp}/d", "--platforms", "2", "--out", "{tmp}"], "is a folder"),
    "out_folder_missing": (["import-seed", "{tmp}/d", "--platforms", "2", "--out", "{tmp}/no/x.json"], "does not exist"),
    "platforms_zero": (["import-seed", "{tmp}/d", "--platforms", "0", "--out", "{tmp}/x.json"], "platforms must be an integer >= 1"),
    "platforms_missing": (["import-seed", "{tmp}/d", "--out", "{tmp}/x.json"], "required: --platforms"),
    "bad_utility": (["import-seed", "{tmp}/d", "--platforms", "2", "--utility", "profit", "--out", "{tmp}/x.json"], "invalid choice: 'profit'"),
}


@pytest.mark.parametrize("case", sorted(OPTION_CASES))
def test_bad_import_seed_option_gives_one_line_and_exit_2(case, tmp_path):
    write_seed(tmp_path / "d")
    argv, needle = OPTION_CASES[case]
    code, stdout, err = run([a.format(tmp=tmp_path) for a in argv])
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and needle in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_write_failure_is_one_line_and_leaves_no_file(tmp_path, monkeypatch):
    d = write_seed(tmp_path / "d")

    def fail(inst, path):
        with open(path, "w") as fh:  # a partial write, then the failure
            fh.write("{")
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(instance, "save_instance", fail)
    out = tmp_path / "x.json"
    code, stdout, err = run(["import-seed", str(d), "--platforms", "2", "--out", str(out)])
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and "--out" in err and "cannot write (Permission denied)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]
