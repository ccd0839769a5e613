"""BayesianGaussianMixture: scikit-learn's numbers, and every data path GaussianMixture has.

(scikit-learn's own tests of the class run in tests/test_sklearn_suite.py, its estimator checks in
tests/test_estimator_checks.py, model files and the CLI in tests/test_bayesian_files_cli.py.)"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
from sklearn.mixture import BayesianGaussianMixture as SkBayesianGaussianMixture

from gaussmix import BayesianGaussianMixture, from_chunks, from_file
from gaussmix.datasets import make_handson_blobs, make_textbook_blobs
from gaussmix.exceptions import InvalidParameterError

TYPES = ("full", "tied", "diag", "spherical")
PRIORS = ("dirichlet_process", "dirichlet_distribution")
ATTRIBUTES = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_", "mean_precision_",
              "degrees_of_freedom_", "mean_prior_", "covariance_prior_")


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def X():
    return make_textbook_blobs(600, random_state=1)[0]


def _assert_same(ours, theirs, rtol=1e-8):
    for name in ATTRIBUTES:
        np.testing.assert_allclose(np.asarray(getattr(ours, name), dtype=float),
                                   np.asarray(getattr(theirs, name), dtype=float), rtol=rtol, atol=1e-12,
                                   err_msg=name)
    wc_ours, wc_theirs = ours.weight_concentration_, theirs.weight_concentration_
    if isinstance(wc_theirs, tuple):
        for a, b in zip(wc_ours, wc_theirs):
            np.testing.assert_allclose(a, b, rtol=rtol)
    else:
        np.testing.assert_allclose(wc_ours, wc_theirs, rtol=rtol)
    assert ours.n_iter_ == theirs.n_iter_ and ours.converged_ == theirs.converged_
    assert ours.lower_bound_ == pytest.approx(float(np.squeeze(theirs.lower_bound_)), rel=rtol)
    np.testing.assert_allclose(ours.lower_bounds_, np.ravel(theirs.lower_bounds_), rtol=rtol)


# ------------------------------------------------------------------ scikit-learn's numbers
@pytest.mark.parametrize("covariance_type", TYPES)
@pytest.mark.parametrize("prior_type", PRIORS)
@pytest.mark.parametrize("init_params", ["kmeans", "random_from_data"])
def test_the_same_fit_as_scikit_learn(X, covariance_type, prior_type, init_params):
    kw = dict(n_components=5, covariance_type=covariance_type, weight_concentration_prior_type=prior_type,
              init_params=init_params, random_state=0, max_iter=300, n_init=2)
    ours, theirs = _quiet(BayesianGaussianMixture(**kw).fit, X), _quiet(SkBayesianGaussianMixture(**kw).fit, X)
    _assert_same(ours, theirs)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=1e-10)
    assert ours.score(X) == pytest.approx(theirs.score(X), rel=1e-10)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    for a, b in zip(ours.sample(50), theirs.sample(50)):
        np.testing.assert_allclose(a, b, rtol=1e-8)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_every_prior_given_by_the_user_as_scikit_learn_takes_it(X, covariance_type):
    d = X.shape[1]
    covariance_prior = {"full": np.array([[2.0, 0.3], [0.3, 1.0]]), "tied": np.array([[1.5, -0.2], [-0.2, 0.7]]),
                        "diag": np.array([0.5, 2.0]), "spherical": 0.8}[covariance_type]
    kw = dict(n_components=4, covariance_type=covariance_type, weight_concentration_prior=0.05,
              mean_precision_prior=0.3, mean_prior=np.array([1.0, -1.0]), degrees_of_freedom_prior=d + 1.5,
              covariance_prior=covariance_prior, random_state=3, max_iter=200)
    _assert_same(_quiet(BayesianGaussianMixture(**kw).fit, X), _quiet(SkBayesianGaussianMixture(**kw).fit, X))


def test_warm_start_continues_as_scikit_learn(X):
    kw = dict(n_components=4, warm_start=True, max_iter=3, random_state=0)
    ours, theirs = BayesianGaussianMixture(**kw), SkBayesianGaussianMixture(**kw)
    for _ in range(3):
        _quiet(ours.fit, X), _quiet(theirs.fit, X)
        _assert_same(ours, theirs)


def test_the_textbook_example_keeps_three_components():
    """Géron's example: ten components allowed, the data have three (weights 0.4, 0.4, 0.2)."""
    X, _ = make_handson_blobs()
    bgm = _quiet(BayesianGaussianMixture(n_components=10, n_init=10, random_state=42).fit, X)
    np.testing.assert_allclose(np.sort(bgm.weights_)[::-1][:3], [0.4, 0.4, 0.21], atol=0.015)
    assert bgm.n_effective_components_ == 3


def test_the_bound_never_decreases(X):
    for covariance_type in TYPES:
        bgm = _quiet(BayesianGaussianMixture(6, covariance_type=covariance_type, tol=0, max_iter=60,
                                             random_state=0).fit, X)
        bounds = np.array(bgm.lower_bounds_)
        assert np.all(np.diff(bounds) >= -1e-9 * np.abs(bounds[1:])), covariance_type


def test_bad_parameters_are_named(X):
    with pytest.raises(InvalidParameterError, match="weight_concentration_prior_type"):
        BayesianGaussianMixture(weight_concentration_prior_type="beta").fit(X)
    with pytest.raises(InvalidParameterError, match="mean_precision_prior"):
        BayesianGaussianMixture(mean_precision_prior=-1.0).fit(X)
    with pytest.raises(InvalidParameterError, match="covariance_type.*variational"):
        BayesianGaussianMixture(covariance_type="VEV").fit(X)
    with pytest.raises(ValueError, match="degrees_of_freedom_prior' should be greater than 1"):
        BayesianGaussianMixture(degrees_of_freedom_prior=0.5).fit(X)
    with pytest.raises(ValueError, match="covariance_prior"):
        BayesianGaussianMixture(covariance_type="diag", covariance_prior=[1.0, -1.0]).fit(X)
    with pytest.raises(ValueError, match="mean_prior"):
        BayesianGaussianMixture(mean_prior=[0.0, 1.0, 2.0]).fit(X)


# ------------------------------------------------------------------ every data path
def _continued(start, X, sample_weight=None, **params):
    """A copy of a fitted model continued on ``X`` (warm_start): every path from one start."""
    model = copy.deepcopy(start).set_params(warm_start=True, **params)
    return _quiet(model.fit, X, sample_weight=sample_weight)


@pytest.fixture(scope="module")
def started(X):
    return {t: _quiet(BayesianGaussianMixture(5, covariance_type=t, max_iter=2, random_state=0).fit, X)
            for t in TYPES}


@pytest.mark.parametrize("covariance_type", TYPES)
def test_integer_sample_weights_equal_repeated_rows(X, started, covariance_type):
    w = np.random.RandomState(0).randint(0, 4, len(X))
    start = started[covariance_type]
    weighted = _continued(start, X, w, max_iter=40, tol=0)
    repeated = _continued(start, np.repeat(X, w, axis=0), max_iter=40, tol=0)
    for name in ATTRIBUTES:
        np.testing.assert_allclose(getattr(weighted, name), getattr(repeated, name), rtol=1e-8, err_msg=name)
    assert weighted.lower_bound_ == pytest.approx(repeated.lower_bound_, rel=1e-9)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_float32_far_from_zero_matches_float64(X, covariance_type):
    far = (X * [1.0, 0.05]) @ np.array([[0.8, 0.6], [-0.6, 0.8]]) + 1e4  # thin, rotated, far from zero
    far = far.astype(np.float32).astype(np.float64)
    start = _quiet(BayesianGaussianMixture(4, covariance_type=covariance_type, max_iter=2, random_state=0).fit, far)
    f64 = _continued(start, far, max_iter=30, tol=0)
    f32 = _continued(start, far.astype(np.float32), max_iter=30, tol=0)
    np.testing.assert_allclose(f32.means_, f64.means_, rtol=1e-7)
    np.testing.assert_allclose(f32.covariances_, f64.covariances_, rtol=1e-3,
                               atol=1e-3 * np.abs(f64.covariances_).max())
    np.testing.assert_allclose(f32.weights_, f64.weights_, atol=1e-4)
    # the bound sums float32 log-densities of 600 rows (1.2e-5 relative apart in 'full' here)
    assert f32.lower_bound_ == pytest.approx(f64.lower_bound_, rel=1e-4)


def test_threads_give_the_same_bits(X):
    a = _quiet(BayesianGaussianMixture(5, random_state=0, n_jobs=1, chunk_size=64).fit, X)
    b = _quiet(BayesianGaussianMixture(5, random_state=0, n_jobs=2, chunk_size=64).fit, X)
    for name in ATTRIBUTES:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_files_and_chunk_sources_fit_what_the_array_fits(X, tmp_path):
    pd = pytest.importorskip("pandas")
    path = tmp_path / "x.csv"
    pd.DataFrame(X, columns=["a", "b"]).to_csv(path, index=False, float_format="%.17g")
    kw = dict(n_components=5, covariance_type="full", random_state=0, init_params="random_from_data")
    in_memory = _quiet(BayesianGaussianMixture(**kw).fit, X)
    streamed = _quiet(BayesianGaussianMixture(chunk_size=70, **kw).fit, from_file(path))
    chunks = _quiet(BayesianGaussianMixture(**kw).fit, from_chunks(lambda: iter(np.array_split(X, 7))))
    for other in (streamed, chunks):
        for name in ATTRIBUTES:
            np.testing.assert_allclose(getattr(other, name), getattr(in_memory, name), rtol=1e-9, err_msg=name)
        assert other.n_iter_ == in_memory.n_iter_
    np.testing.assert_allclose(streamed.predict_proba(from_file(path)), in_memory.predict_proba(X), rtol=1e-9,
                               atol=1e-12)


def test_dask_arrays_fit_what_the_array_fits(X, tmp_path):
    da = pytest.importorskip("dask.array")
    import dask

    kw = dict(n_components=4, covariance_type="diag", random_state=0, init_params="random_from_data")
    with dask.config.set({"temporary-directory": str(tmp_path)}, scheduler="synchronous"):
        theirs = _quiet(BayesianGaussianMixture(**kw).fit, da.from_array(X, chunks=(150, 2)))
        labels = theirs.predict(da.from_array(X, chunks=(150, 2))).compute()
    ours = _quiet(BayesianGaussianMixture(**kw).fit, X)
    for name in ATTRIBUTES:
        np.testing.assert_allclose(getattr(theirs, name), getattr(ours, name), rtol=1e-9, err_msg=name)
    np.testing.assert_array_equal(labels, ours.predict(X))


def test_torch_tensors_fit_what_arrays_fit(X):
    torch = pytest.importorskip("torch")
    kw = dict(n_components=4, covariance_type="tied", random_state=0)
    ours = _quiet(BayesianGaussianMixture(**kw).fit, X)
    tensor = _quiet(BayesianGaussianMixture(**kw).fit, torch.from_numpy(X))
    np.testing.assert_allclose(tensor.covariances_.numpy(), ours.covariances_, rtol=1e-9)
    np.testing.assert_allclose(tensor.score_samples(torch.from_numpy(X)).numpy(), ours.score_samples(X),
                               rtol=1e-9)
