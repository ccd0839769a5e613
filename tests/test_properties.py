"""Property-based tests of the public estimator on random data, shapes and weights."""

import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gaussmix import GaussianMixture
from gaussmix.exceptions import ConvergenceWarning, CovarianceError, EmptyComponentWarning

from conftest import COVARIANCE_TYPES as TYPES
from conftest import random_params


@st.composite
def problems(draw):
    n_features = draw(st.integers(1, 4))
    n_components = draw(st.integers(1, 4))
    n_samples = draw(st.integers(max(2, n_components), 60))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.RandomState(seed)
    centres = rng.normal(scale=draw(st.floats(0.5, 20.0)), size=(n_components, n_features))
    X = centres[rng.randint(n_components, size=n_samples)] + rng.normal(size=(n_samples, n_features))
    X = X * draw(st.sampled_from([1e-3, 1.0, 1e3])) + draw(st.sampled_from([0.0, 1e4]))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    return X.astype(dtype), n_components, seed


# derandomize: CI draws the same examples every run (a random draw can hit the open shared-centre
# limit of tied covariances, docs/reliability.md, and make CI flaky); test_hypothesis.py explores.
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@SETTINGS
@given(problem=problems(), covariance_type=st.sampled_from(TYPES),
       init_params=st.sampled_from(["kmeans", "k-means++", "random", "random_from_data"]),
       chunk_size=st.one_of(st.none(), st.integers(1, 70)), weighted=st.booleans())
def test_fit_gives_a_valid_mixture(problem, covariance_type, init_params, chunk_size, weighted):
    X, k, seed = problem
    w = np.random.RandomState(seed).uniform(0.5, 3.0, size=X.shape[0]) if weighted else None
    gm = GaussianMixture(k, covariance_type=covariance_type, init_params=init_params, chunk_size=chunk_size,
                         random_state=seed, max_iter=30, reg_covar=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            labels = gm.fit_predict(X, sample_weight=w)
        except CovarianceError as exc:  # the documented failure: a clear message
            assert "reg_covar" in str(exc)
            return
    assert np.isclose(gm.weights_.sum(), 1.0) and np.all(gm.weights_ >= 0)
    assert np.all(np.isfinite(gm.means_)) and np.all(np.isfinite(gm.covariances_))
    resp = gm.predict_proba(X)
    assert resp.dtype == X.dtype
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(labels, gm.predict(X))
    assert np.all(np.isfinite(gm.score_samples(X)))
    if covariance_type == "full":
        assert all(np.all(np.linalg.eigvalsh(c) > 0) for c in gm.covariances_)
    elif covariance_type == "tied":
        assert np.all(np.linalg.eigvalsh(gm.covariances_) > 0)
    else:
        assert np.all(gm.covariances_ > 0)


@SETTINGS
@given(problem=problems(), covariance_type=st.sampled_from(TYPES))
def test_lower_bound_is_monotone(problem, covariance_type):
    """EM never lowers the likelihood (up to rounding and the reg_covar perturbation)."""
    X, k, seed = problem
    assume(X.dtype == np.float64)
    gm = GaussianMixture(k, covariance_type=covariance_type, random_state=seed, tol=0, max_iter=25,
                         reg_covar=1e-9)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("always", EmptyComponentWarning)
        try:
            gm.fit(X)
        except CovarianceError:
            return
    bounds = np.array(gm.lower_bounds_)
    # Re-seeding an empty component at M-step n is not an EM step: the bound may drop once,
    # from iteration n to n + 1 (diff index n - 1).  Every EM step must still raise it.
    reseeded = [int(re.match(r"EM iteration (\d+):", str(w.message)).group(1))
                for w in caught if issubclass(w.category, EmptyComponentWarning)]
    steps = np.diff(bounds)
    steps[[n - 1 for n in reseeded if n - 1 < steps.shape[0]]] = 0.0
    # Adding reg to the diagonal moves the bound by about d * reg / (smallest variance).
    cov = np.asarray(gm.covariances_)
    if covariance_type == "full":
        smallest = min(np.linalg.eigvalsh(c).min() for c in cov)
    elif covariance_type == "tied":
        smallest = np.linalg.eigvalsh(cov).min()
    else:
        smallest = cov.min()
    slack = 1e-11 * (np.abs(bounds).max() + 1.0) + 10 * X.shape[1] * 1e-9 / smallest
    assert np.all(steps >= -slack), (steps.min(), slack)


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), covariance_type=st.sampled_from(TYPES),
       repeats=st.lists(st.integers(0, 3), min_size=30, max_size=30))
def test_integer_weights_are_repeated_rows(seed, covariance_type, repeats):
    repeats = np.array(repeats)
    assume(np.count_nonzero(repeats) >= 6)
    rng = np.random.RandomState(seed)
    X = np.vstack([rng.normal(size=(15, 2)), rng.normal(size=(15, 2)) + 6])
    start = random_params(covariance_type, 2, 2, seed=seed % 997)
    kw = dict(n_components=2, covariance_type=covariance_type, tol=0, max_iter=10, weights_init=start.weights,
              means_init=start.means, precisions_init=start.precisions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # a random start may leave a component empty; re-seeding is deterministic, so both fits re-seed alike
        warnings.simplefilter("ignore", EmptyComponentWarning)
        a = GaussianMixture(**kw).fit(X, sample_weight=repeats)
        b = GaussianMixture(**kw).fit(np.repeat(X, repeats, axis=0))
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(a.lower_bounds_, b.lower_bounds_, rtol=1e-9)


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), covariance_type=st.sampled_from(TYPES),
       offset=st.lists(st.floats(-1e4, 1e4), min_size=2, max_size=2))
def test_shifting_the_data_shifts_the_fit(seed, covariance_type, offset):
    offset = np.array(offset)
    rng = np.random.RandomState(seed)
    X = np.vstack([rng.normal(size=(40, 2)), rng.normal(size=(40, 2)) * 0.5 + 4])
    start = random_params(covariance_type, 2, 2, seed=seed % 991)
    kw = dict(n_components=2, covariance_type=covariance_type, tol=0, max_iter=10, weights_init=start.weights,
              precisions_init=start.precisions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = GaussianMixture(means_init=start.means, **kw).fit(X)
        b = GaussianMixture(means_init=start.means + offset, **kw).fit(X + offset)
    np.testing.assert_allclose(b.means_ - offset, a.means_, atol=1e-9 * (1 + np.abs(offset).max()))
    np.testing.assert_allclose(b.covariances_, a.covariances_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(b.lower_bounds_, a.lower_bounds_, rtol=1e-8)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_responsibilities_sum_to_one_far_from_the_means(covariance_type):
    """Rows thousands of standard deviations away still get a proper distribution."""
    params = random_params(covariance_type, 3, 2, seed=0)
    gm = GaussianMixture(3, covariance_type=covariance_type, weights_init=params.weights, means_init=params.means,
                         precisions_init=params.precisions, max_iter=0).fit(np.random.RandomState(0).normal(size=(20, 2)))
    far = np.array([[1e4, -1e4], [-3e3, 0.0], [0.0, 5e3]])
    resp = gm.predict_proba(far)
    assert np.all(np.isfinite(resp))
    np.testing.assert_allclose(resp.sum(axis=1), 1.0)
    assert np.all(np.isfinite(gm.score_samples(far)))
