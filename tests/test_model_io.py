"""Model files: round trips, atomic writes, and every kind of bad file refused by name."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.mixture import GaussianMixture as SkGaussianMixture

import gaussmix
from gaussmix import GaussianMixture, ModelFileError
from gaussmix.model_io import FORMAT_VERSION, read_header

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


@pytest.fixture(scope="module")
def X():
    rng = np.random.RandomState(0)
    return np.r_[rng.normal(0, 1, (150, 3)), rng.normal(4, 0.5, (150, 3))]


@pytest.fixture(scope="module")
def fitted(X):
    return {ct: GaussianMixture(2, covariance_type=ct, random_state=0).fit(X) for ct in COVARIANCE_TYPES}


@pytest.fixture
def model_file(tmp_path, fitted):
    return gaussmix.save(fitted["full"], tmp_path / "model.gmm")


def _parts(path):
    """(header dict, {member: bytes}) of a model file."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    return json.loads(members["header.json"]), members


def _npy(array, **kwargs) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


def _write(path, header, members, header_text=None):
    members = dict(members)
    members["header.json"] = (header_text if header_text is not None else json.dumps(header)).encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


# ----------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_round_trip_predicts_exactly(tmp_path, X, fitted, covariance_type):
    gm = fitted[covariance_type]
    loaded = gaussmix.load(gaussmix.save(gm, tmp_path / "m.gmm"))
    assert type(loaded) is GaussianMixture
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(gm, name), err_msg=name)
    for method in ("predict", "predict_proba", "score_samples"):
        np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(gm, method)(X), err_msg=method)
    assert loaded.score(X) == gm.score(X) and loaded.bic(X) == gm.bic(X) and loaded.aic(X) == gm.aic(X)
    assert loaded.get_params() == gm.get_params()
    assert (loaded.converged_, loaded.n_iter_, loaded.lower_bound_) == (gm.converged_, gm.n_iter_, gm.lower_bound_)
    assert loaded.lower_bounds_ == gm.lower_bounds_
    assert loaded.n_features_in_ == 3 and not hasattr(loaded, "feature_names_in_")
    np.testing.assert_array_equal(loaded.sample(20)[0], gm.sample(20)[0])


def test_header_fields(model_file, fitted):
    header = read_header(model_file)
    gm = fitted["full"]
    assert header["format"] == "gaussmix-model" and header["format_version"] == FORMAT_VERSION
    assert header["gaussmix_version"] == gaussmix.__version__
    assert (header["covariance_type"], header["n_components"], header["n_features"]) == ("full", 2, 3)
    assert header["dtype"] == "float64" and header["feature_names"] is None
    assert (header["converged"], header["n_iter"], header["lower_bound"]) == (gm.converged_, gm.n_iter_, gm.lower_bound_)
    assert header["params"]["random_state"] == 0 and header["params"]["tol"] == gm.tol


def test_feature_names_survive(tmp_path, X):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    gm = GaussianMixture(2, random_state=0).fit(frame)
    loaded = GaussianMixture.load(gm.save(tmp_path / "m.gmm"))
    assert list(loaded.feature_names_in_) == ["a", "b", "c"]
    np.testing.assert_array_equal(loaded.predict(frame), gm.predict(frame))
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(frame.rename(columns={"a": "z"}))


def test_loaded_model_refits_and_warm_starts(tmp_path, X, fitted):
    loaded = gaussmix.load(gaussmix.save(fitted["diag"], tmp_path / "m.gmm"))
    refit = GaussianMixture(**loaded.get_params()).fit(X)
    np.testing.assert_array_equal(refit.means_, fitted["diag"].means_)
    loaded.set_params(warm_start=True, max_iter=5).fit(X)  # continues from the loaded parameters
    assert np.isfinite(loaded.lower_bound_)


def test_scikit_learn_model_saves_and_loads_as_gaussmix(tmp_path, X):
    sk = SkGaussianMixture(2, covariance_type="tied", random_state=0).fit(X)
    loaded = gaussmix.load(gaussmix.save(sk, tmp_path / "sk.gmm"))
    np.testing.assert_allclose(loaded.score_samples(X), sk.score_samples(X), rtol=1e-12)
    np.testing.assert_array_equal(loaded.predict(X), sk.predict(X))


def test_torch_fitted_model_saves_numpy(tmp_path, X):
    torch = pytest.importorskip("torch")
    pytest.importorskip("array_api_compat")
    gm = GaussianMixture(2, random_state=0).fit(torch.as_tensor(X))
    loaded = gaussmix.load(gaussmix.save(gm, tmp_path / "t.gmm"))
    assert isinstance(loaded.means_, np.ndarray)
    np.testing.assert_array_equal(loaded.means_, gm.means_.numpy())


def test_random_state_instance_is_dropped(tmp_path, X):
    gm = GaussianMixture(2, random_state=np.random.RandomState(3)).fit(X)
    assert gaussmix.load(gaussmix.save(gm, tmp_path / "m.gmm")).random_state is None


# ----------------------------------------------------------------------------- safe writes
def test_unfitted_model_is_refused(tmp_path):
    with pytest.raises(NotFittedError):
        gaussmix.save(GaussianMixture(2), tmp_path / "m.gmm")
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_not_overwritten(tmp_path, fitted):
    path = tmp_path / "mine.gmm"
    path.write_bytes(b"the user's file")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        gaussmix.save(fitted["full"], path)
    assert path.read_bytes() == b"the user's file"
    gaussmix.save(fitted["tied"], path, overwrite=True)
    assert gaussmix.load(path).covariance_type == "tied"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.gmm"]  # no temporary left


def test_folder_is_refused(tmp_path, fitted):
    with pytest.raises(IsADirectoryError):
        gaussmix.save(fitted["full"], tmp_path)
    with pytest.raises(ModelFileError, match="folder"):
        gaussmix.load(tmp_path)


def test_failed_write_leaves_nothing(tmp_path, fitted, monkeypatch):
    path = tmp_path / "m.gmm"
    path.write_bytes(b"previous")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", disk_full)
    with pytest.raises(OSError, match="No space"):
        gaussmix.save(fitted["full"], path, overwrite=True)
    assert path.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.gmm"]


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gaussmix.load("/nonexistent/model.gmm")


# ----------------------------------------------------------------------------- bad files
def _mutate(src, dst, header=None, members=None, drop=(), header_text=None):
    h, m = _parts(src)
    h.update(header or {})
    m.update(members or {})
    for name in drop:
        m.pop(name)
    return _write(dst, h, m, header_text)


BAD_FILES = {
    "newer version": (dict(header={"format_version": FORMAT_VERSION + 1}), "newer than the version"),
    "version not int": (dict(header={"format_version": "1"}), "format_version"),
    "wrong format": (dict(header={"format": "other"}), "format is 'other'"),
    "missing field": (dict(header_text='{"format": "gaussmix-model", "format_version": 1}'), "lacks the field"),
    "not json": (dict(header_text="{not json"), "not valid JSON"),
    "json list": (dict(header_text="[1, 2]"), "JSON object"),
    "NaN in json": (dict(header_text=None, header={"lower_bound": float("nan")}), "not valid JSON"),
    "unknown field": (dict(header={"extra": 1}), "unknown fields"),
    "wrong field type": (dict(header={"n_components": "2"}), "'n_components' has the wrong type"),
    "bool as int": (dict(header={"n_iter": True}), "'n_iter' has the wrong type"),
    "unknown covariance": (dict(header={"covariance_type": "banded"}), "unknown covariance_type"),
    "dtype": (dict(header={"dtype": "float32"}), "stored as float64"),
    "too many components": (dict(header={"n_components": 10**9}), "out of range"),
    "shape mismatch": (dict(header={"n_components": 3}), "needs"),
    "feature names": (dict(header={"feature_names": ["a"]}), "feature_names must be 3 strings"),
    "unknown param": (dict(header={"params": {"evil": 1}}), "unknown constructor parameter"),
    "param type": (dict(header={"params": {"tol": "x"}}), "'tol' has the wrong type"),
    "missing member": (dict(drop=["means.npy"]), "missing \\['means.npy'\\]"),
    "extra member": (dict(members={"payload.py": b"import os"}), "unexpected \\['payload.py'\\]"),
    "pickle": (dict(members={"weights.npy": _npy(np.array([0.5, 0.5], dtype=object), allow_pickle=True)}),
               "Python objects"),
    "float32 array": (dict(members={"weights.npy": _npy(np.array([0.5, 0.5], dtype=np.float32))}), "dtype float32"),
    "int array": (dict(members={"weights.npy": _npy(np.array([1, 0]))}), "dtype int64"),
    "wrong array shape": (dict(members={"means.npy": _npy(np.zeros((3, 2)))}), "means has shape \\(3, 2\\)"),
    "NaN weights": (dict(members={"weights.npy": _npy(np.array([np.nan, 1.0]))}), "non-finite"),
    "inf means": (dict(members={"means.npy": _npy(np.full((2, 3), np.inf))}), "means holds 6 non-finite"),
    "negative weight": (dict(members={"weights.npy": _npy(np.array([-0.5, 1.5]))}), "non-negative"),
    "weights sum": (dict(members={"weights.npy": _npy(np.array([0.5, 0.6]))}), "sum to"),
    "not symmetric": (dict(members={"covariances.npy": _npy(np.array([[[1, 0.5, 0], [0, 1, 0], [0, 0, 1]]] * 2,
                                                                     dtype=float))}), "covariance 0 is not symmetric"),
    "not definite": (dict(members={"covariances.npy": _npy(np.array([np.diag([1.0, -1.0, 1.0])] * 2))}),
                     "not positive definite"),
    "not an npy": (dict(members={"means.npy": b"\x93NUMPY garbage"}), "not a valid .npy"),
    "zip bomb": (dict(members={"means.npy": _npy(np.zeros(10_000_000))}), "zip bomb"),
    "too many bounds": (dict(members={"lower_bounds.npy": _npy(np.zeros(60))}), "at most n_iter"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_refused_by_name(tmp_path, model_file, case):
    kwargs, message = BAD_FILES[case]
    if case == "NaN in json":
        h, m = _parts(model_file)
        h["lower_bound"] = float("nan")
        kwargs = dict(header_text=json.dumps(h))  # Python writes the non-standard NaN literal
    bad = _mutate(model_file, tmp_path / "bad.gmm", **kwargs)
    with pytest.raises(ModelFileError, match=message):
        gaussmix.load(bad)


def test_spherical_negative_variance_is_refused(tmp_path, fitted):
    good = gaussmix.save(fitted["spherical"], tmp_path / "s.gmm")
    bad = _mutate(good, tmp_path / "bad.gmm", members={"covariances.npy": _npy(np.array([1.0, -2.0]))})
    with pytest.raises(ModelFileError, match="variances must be positive"):
        gaussmix.load(bad)


def test_duplicate_member_is_refused(tmp_path, model_file):
    h, m = _parts(model_file)
    bad = _write(tmp_path / "dup.gmm", h, m)
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(bad, "a") as zf:
        zf.writestr("means.npy", _npy(np.zeros((2, 3))))
    with pytest.raises(ModelFileError, match="duplicated \\['means.npy'\\]"):
        gaussmix.load(bad)


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.99])
def test_truncated_file_is_refused(tmp_path, model_file, cut):
    data = model_file.read_bytes()
    bad = tmp_path / "cut.gmm"
    bad.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(ModelFileError):
        gaussmix.load(bad)


def test_not_a_zip_is_refused(tmp_path):
    bad = tmp_path / "model.gmm"
    bad.write_bytes(b"import os; os.system('echo hacked')")
    with pytest.raises(ModelFileError, match="not a zip archive"):
        gaussmix.load(bad)


def test_flipped_bytes_are_refused_or_harmless(tmp_path, model_file, X, fitted):
    """Any single corrupted byte gives ModelFileError, or a valid model (bytes that do not matter)."""
    data = bytearray(model_file.read_bytes())
    rng = np.random.RandomState(0)
    for position in rng.choice(len(data), size=200, replace=False):
        corrupt = bytearray(data)
        corrupt[position] ^= 0xFF
        path = tmp_path / f"flip{position}.gmm"
        path.write_bytes(bytes(corrupt))
        try:
            model = gaussmix.load(path)
        except ModelFileError:
            continue
        assert np.isfinite(model.score_samples(X)).all()


def test_saved_file_has_the_permissions_of_a_new_file(tmp_path, fitted):
    reference = tmp_path / "plain"
    reference.write_bytes(b"")
    path = gaussmix.save(fitted["full"], tmp_path / "m.gmm")
    assert (path.stat().st_mode & 0o777) == (reference.stat().st_mode & 0o777)


def test_params_without_covariance_type_take_the_header_s(tmp_path, fitted, X):
    good = gaussmix.save(fitted["tied"], tmp_path / "t.gmm")
    h, _ = _parts(good)
    params = {k: v for k, v in h["params"].items() if k != "covariance_type"}
    loaded = gaussmix.load(_mutate(good, tmp_path / "p.gmm", header={"params": params}))
    assert loaded.covariance_type == "tied"
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted["tied"].predict_proba(X))
