"""The EM core against independent references (scipy densities, closed forms) and
its properties (chunking, additivity, monotone bound, weights, shifts)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from gaussmix.core import EStep, MixtureParams, SufficientStats, mstep, nk_floor, run_em
from gaussmix.covariance import COVARIANCE_TYPES, get_covariance
from gaussmix.data import ArrayData

from conftest import COVARIANCE_TYPES as TYPES
from conftest import dense_covariances, make_blobs3, random_params


def scipy_log_density(params, X):
    covs = dense_covariances(params)
    comps = np.column_stack(
        [np.log(w) + multivariate_normal(mean=m, cov=c).logpdf(X) for w, m, c in zip(params.weights, params.means, covs)]
    )
    return logsumexp(comps, axis=1), comps


@pytest.mark.parametrize("covariance_type", TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_density_and_responsibilities_match_scipy(covariance_type, dtype):
    params = random_params(covariance_type, 4, 3, seed=1)
    X = np.random.RandomState(2).normal(scale=3.0, size=(500, 3)).astype(dtype)
    expected, comps = scipy_log_density(params, X.astype(np.float64))
    estep = EStep(params, dtype)
    log_norm, resp = estep.log_prob_and_resp(X)
    rtol = 1e-12 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(log_norm, expected, rtol=rtol)
    np.testing.assert_allclose(estep.score_samples(X), expected, rtol=rtol)
    np.testing.assert_allclose(resp, np.exp(comps - expected[:, None]), atol=1e-10 if dtype == np.float64 else 1e-4)
    assert resp.dtype == dtype and log_norm.dtype == dtype
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-6 if dtype == np.float32 else 1e-13)
    np.testing.assert_array_equal(estep.predict(X), np.argmax(comps, axis=1))


@pytest.mark.parametrize("covariance_type", TYPES)
def test_fitted_model_densities_match_scipy(covariance_type, blobs3):
    from gaussmix import GaussianMixture

    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(blobs3)
    params = MixtureParams(covariance_type, gm.weights_, gm.means_, gm.covariances_, gm.precisions_cholesky_)
    expected, _ = scipy_log_density(params, blobs3)
    np.testing.assert_allclose(gm.score_samples(blobs3), expected, rtol=1e-12)
    np.testing.assert_allclose(gm.score(blobs3), expected.mean(), rtol=1e-12)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_factorisations_round_trip(covariance_type):
    cov_type = get_covariance(covariance_type)
    params = random_params(covariance_type, 3, 4, seed=5)
    prec = cov_type.precisions(params.precisions_cholesky)
    dense_prec = dense_covariances(MixtureParams(covariance_type, params.weights, params.means, prec, None))
    for c, p in zip(dense_covariances(params), dense_prec):
        np.testing.assert_allclose(c @ p, np.eye(4), atol=1e-10)
    np.testing.assert_allclose(cov_type.precisions_cholesky_from_precisions(prec), params.precisions_cholesky,
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cov_type.covariances_from_cholesky(params.precisions_cholesky), params.covariances,
                               rtol=1e-10)
    log_det = cov_type.log_det_cholesky(params.precisions_cholesky, 3, 4)
    expected = [-0.5 * np.linalg.slogdet(c)[1] for c in dense_covariances(params)]
    np.testing.assert_allclose(log_det, expected, rtol=1e-12)
    assert params.precisions_cholesky.shape == cov_type.shape(3, 4)


def test_n_parameters_closed_form():
    k, d = 3, 4
    mean_and_weights = k * d + k - 1
    expected = {"full": k * d * (d + 1) // 2, "tied": d * (d + 1) // 2, "diag": k * d, "spherical": k}
    for name, cov in expected.items():
        assert random_params(name, k, d).n_parameters() == cov + mean_and_weights


@pytest.mark.parametrize("covariance_type", TYPES)
def test_mstep_closed_form_hard_assignments(covariance_type):
    """With one-hot responsibilities the M-step gives per-cluster sample moments."""
    rng = np.random.RandomState(3)
    X = rng.normal(size=(60, 3)) * [1.0, 2.0, 0.5] + 100.0
    labels = np.repeat([0, 1, 2], 20)
    resp = np.eye(3)[labels]
    cov = get_covariance(covariance_type)
    stats = SufficientStats.from_responsibilities(cov, X, resp, None, X.mean(axis=0))
    p = mstep(stats, covariance_type, 0.0, 0.0)
    groups = [X[labels == j] for j in range(3)]
    np.testing.assert_allclose(p.means, [g.mean(axis=0) for g in groups], rtol=1e-13)
    np.testing.assert_allclose(p.weights, [1 / 3] * 3, rtol=1e-13)
    full = np.stack([np.cov(g.T, bias=True) for g in groups])
    expected = {
        "full": full,
        "tied": full.mean(axis=0),
        "diag": np.stack([np.diag(c) for c in full]),
        "spherical": np.array([np.trace(c) / 3 for c in full]),
    }[covariance_type]
    np.testing.assert_allclose(p.covariances, expected, rtol=1e-10)


# --------------------------------------------------------------------- statistics
@settings(max_examples=40, deadline=None)
@given(
    covariance_type=st.sampled_from(TYPES),
    n=st.integers(1, 80),
    chunk=st.integers(1, 90),
    weighted=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_chunked_statistics_equal_whole_batch(covariance_type, n, chunk, weighted, seed):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3)) * 2 + 5
    w = rng.randint(0, 4, size=n).astype(float) if weighted else None
    params = random_params(covariance_type, 3, 3, seed=seed % 1000)
    estep = EStep(params, np.float64)
    whole = estep.stats(X, w)
    chunked = ArrayData(X, w, chunk_rows=chunk).reduce(estep.stats)
    one_at_a_time = SufficientStats.zeros(get_covariance(covariance_type), 3, 3, estep.shift)
    for i in range(n):
        one_at_a_time = one_at_a_time + estep.stats(X[i : i + 1], None if w is None else w[i : i + 1])
    for other in (chunked, one_at_a_time):
        np.testing.assert_allclose(other.nk, whole.nk, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(other.s1, whole.s1, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(other.s2, whole.s2, rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(other.loglik, whole.loglik, rtol=1e-10)
        assert other.n == pytest.approx(whole.n)


def test_statistics_refuse_mismatched_shift():
    cov = get_covariance("diag")
    a = SufficientStats.zeros(cov, 2, 2, np.zeros(2))
    b = SufficientStats.zeros(cov, 2, 2, np.ones(2))
    with pytest.raises(ValueError, match="different shifts"):
        a + b


@pytest.mark.parametrize("covariance_type", TYPES)
def test_statistics_do_not_depend_on_the_shift(covariance_type):
    """Different shifts give different raw sums but the same M-step."""
    X = make_blobs3()
    params = random_params(covariance_type, 3, 3, seed=4)
    a = mstep(EStep(params, np.float64, shift=np.zeros(3)).stats(X), covariance_type, 1e-6, 0.0)
    b = mstep(EStep(params, np.float64, shift=np.array([50.0, -20.0, 7.0])).stats(X), covariance_type, 1e-6, 0.0)
    np.testing.assert_allclose(a.means, b.means, rtol=1e-11)
    np.testing.assert_allclose(a.covariances, b.covariances, rtol=1e-9)
    np.testing.assert_allclose(a.weights, b.weights, rtol=1e-12)


# --------------------------------------------------------------------- EM properties
@pytest.mark.parametrize("covariance_type", TYPES)
@pytest.mark.parametrize("init_params", ["kmeans", "random"])
def test_lower_bound_never_decreases(covariance_type, init_params):
    """EM's monotonicity theorem (exact M-step: reg_covar=0; a positive reg_covar
    perturbs the M-step and may lower the bound by ~reg_covar, in scikit-learn too)."""
    from gaussmix import GaussianMixture

    X = make_blobs3(seed=7)
    gm = GaussianMixture(4, covariance_type=covariance_type, init_params=init_params, tol=0, max_iter=60,
                         random_state=3, reg_covar=0.0)
    with pytest.warns(Warning):
        gm.fit(X)
    bounds = np.array(gm.lower_bounds_)
    assert len(bounds) == 60
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))


@pytest.mark.parametrize("covariance_type", TYPES)
def test_chunk_size_does_not_change_the_fit(covariance_type, blobs3):
    from gaussmix import GaussianMixture

    kw = dict(n_components=3, covariance_type=covariance_type, random_state=0, tol=1e-8, max_iter=200)
    a = GaussianMixture(**kw).fit(blobs3)
    b = GaussianMixture(**kw, chunk_size=7).fit(blobs3)
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_allclose(b.means_, a.means_, rtol=1e-10)
    np.testing.assert_allclose(b.covariances_, a.covariances_, rtol=1e-9)
    np.testing.assert_allclose(b.lower_bound_, a.lower_bound_, rtol=1e-12)
    np.testing.assert_allclose(b.predict_proba(blobs3), a.predict_proba(blobs3), atol=1e-10)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("covariance_type", TYPES)
def test_integer_weights_equal_repeated_rows(covariance_type, blobs3):
    from gaussmix import GaussianMixture

    rng = np.random.RandomState(1)
    w = rng.randint(0, 4, size=blobs3.shape[0])
    start = random_params(covariance_type, 3, 3, seed=2)
    kw = dict(n_components=3, covariance_type=covariance_type, tol=1e-10, max_iter=300,
              weights_init=start.weights, means_init=start.means, precisions_init=start.precisions)
    weighted = GaussianMixture(**kw).fit(blobs3, sample_weight=w)
    repeated = GaussianMixture(**kw).fit(np.repeat(blobs3, w, axis=0))
    assert weighted.n_iter_ == repeated.n_iter_
    np.testing.assert_allclose(weighted.means_, repeated.means_, rtol=1e-9)
    np.testing.assert_allclose(weighted.covariances_, repeated.covariances_, rtol=1e-8)
    np.testing.assert_allclose(weighted.weights_, repeated.weights_, rtol=1e-9)
    np.testing.assert_allclose(weighted.lower_bound_, repeated.lower_bound_, rtol=1e-10)
    assert weighted.bic(blobs3, sample_weight=w) == pytest.approx(repeated.bic(np.repeat(blobs3, w, axis=0)))
    assert weighted.score(blobs3, sample_weight=w) == pytest.approx(repeated.score(np.repeat(blobs3, w, axis=0)))


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random_from_data", "random"])
def test_weights_apply_to_initialisation(init_params):
    """Rows of zero weight are never picked as seeds and do not move the initial means."""
    from gaussmix import GaussianMixture

    X = make_blobs3()
    outliers = np.full((40, 3), 1e3) + np.random.RandomState(0).normal(size=(40, 3))
    Xw = np.vstack([X, outliers])
    w = np.r_[np.ones(len(X)), np.zeros(len(outliers))]
    gm = GaussianMixture(3, init_params=init_params, max_iter=0, random_state=0).fit(Xw, sample_weight=w)
    assert np.all(np.abs(gm.means_) < 50), gm.means_
    if init_params in ("k-means++", "random_from_data"):
        # each initial mean is one of the positively weighted rows
        assert all(np.any(np.all(np.isclose(X, m, rtol=1e-12), axis=1)) for m in gm.means_)


def test_kmeans_initialisation_uses_weighted_kmeans():
    from sklearn.cluster import KMeans

    from gaussmix import GaussianMixture

    X = make_blobs3()
    w = np.random.RandomState(4).uniform(0.1, 3.0, size=len(X))
    gm = GaussianMixture(3, max_iter=0, random_state=12).fit(X, sample_weight=w)
    labels = KMeans(3, n_init=1, random_state=np.random.RandomState(12)).fit(X, sample_weight=w).labels_
    expected = np.stack([np.average(X[labels == j], axis=0, weights=w[labels == j]) for j in range(3)])
    np.testing.assert_allclose(gm.means_, expected, rtol=1e-10)
    counts = np.array([w[labels == j].sum() for j in range(3)])
    np.testing.assert_allclose(gm.weights_, counts / counts.sum(), rtol=1e-10)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("covariance_type", TYPES)
def test_shifting_the_data_shifts_the_means(covariance_type, blobs3):
    from gaussmix import GaussianMixture

    offset = np.array([1e3, -250.0, 42.0])
    start = random_params(covariance_type, 3, 3, seed=9)
    kw = dict(n_components=3, covariance_type=covariance_type, tol=1e-10, max_iter=200,
              weights_init=start.weights, precisions_init=start.precisions)
    a = GaussianMixture(means_init=start.means, **kw).fit(blobs3)
    b = GaussianMixture(means_init=start.means + offset, **kw).fit(blobs3 + offset)
    np.testing.assert_allclose(b.means_ - offset, a.means_, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(b.covariances_, a.covariances_, rtol=1e-7)
    np.testing.assert_allclose(b.weights_, a.weights_, rtol=1e-8)
    np.testing.assert_allclose(b.predict_proba(blobs3 + offset), a.predict_proba(blobs3), atol=1e-8)


# --------------------------------------------------------------------- float32
def raw_moment_variance_float32(x):
    """The uncentred formula scikit-learn's diag/tied M-step uses, in float32."""
    x = x.astype(np.float32)
    n = np.float32(x.shape[0])
    return (x * x).sum(axis=0, dtype=np.float32) / n - (x.sum(axis=0, dtype=np.float32) / n) ** 2


@pytest.mark.parametrize("covariance_type", TYPES)
def test_float32_far_from_zero_stays_accurate(covariance_type):
    rng = np.random.RandomState(0)
    base = np.vstack([rng.normal(size=(2000, 2)) * [0.05, 0.02], rng.normal(size=(2000, 2)) * 0.03 + [0.4, 0.3]])
    X64 = base + 1e4
    X32 = X64.astype(np.float32)
    # The raw-moment formula is hopeless here: its variance is off by orders of
    # magnitude (often negative) for the one-cluster case.
    truth = X32.astype(np.float64).var(axis=0)
    raw = raw_moment_variance_float32(X32[:2000])
    assert np.max(np.abs(raw - X32[:2000].astype(np.float64).var(axis=0)) / truth) > 1.0

    from gaussmix import GaussianMixture

    kw = dict(n_components=2, covariance_type=covariance_type, tol=1e-7, max_iter=300,
              means_init=[[1e4, 1e4], [1e4 + 0.4, 1e4 + 0.3]], random_state=0)
    f32 = GaussianMixture(**kw).fit(X32)
    f64 = GaussianMixture(**kw).fit(X32.astype(np.float64))
    cov32 = np.asarray(f32.covariances_)
    assert np.all(np.isfinite(cov32))
    variances = {"full": lambda c: np.diagonal(c, axis1=-2, axis2=-1), "tied": np.diag}.get(covariance_type, lambda c: c)
    assert np.all(variances(cov32) > 0)
    np.testing.assert_allclose(f32.covariances_, f64.covariances_, rtol=2e-3, atol=1e-6 * np.abs(f64.covariances_).max())
    np.testing.assert_allclose(f32.means_, f64.means_, rtol=1e-7)
    np.testing.assert_allclose(f32.lower_bound_, f64.lower_bound_, rtol=1e-4)
    assert f32.predict_proba(X32).dtype == np.float32
    # With the same parameters, the float32 E-step agrees with float64 to float32 rounding.
    params = MixtureParams(covariance_type, f64.weights_, f64.means_, f64.covariances_, f64.precisions_cholesky_)
    np.testing.assert_allclose(EStep(params, np.float32).score_samples(X32),
                               EStep(params, np.float64).score_samples(X32.astype(np.float64)), atol=1e-4)


def test_float32_data_is_not_upcast_in_the_estep(monkeypatch):
    """The heavy arithmetic runs in float32: the E-step sees float32 chunks only."""
    seen = []
    cov = get_covariance("full")
    original = type(cov).quadratic_features

    def spy(self, XcT, out):
        seen.append((XcT.dtype, out.dtype))
        return original(self, XcT, out)

    monkeypatch.setattr(type(cov), "quadratic_features", spy)
    from gaussmix import GaussianMixture

    GaussianMixture(2, random_state=0).fit(make_blobs3(dtype=np.float32))
    assert seen and set(seen) == {(np.dtype(np.float32), np.dtype(np.float32))}


# --------------------------------------------------------------------- memory
def test_fit_memory_is_bounded_by_chunks():
    """Peak traced allocation during fit stays far below n*k*d (and even n*k) floats."""
    import tracemalloc

    from gaussmix import GaussianMixture

    rng = np.random.RandomState(0)
    n, d, k = 40_000, 8, 8
    X = rng.normal(size=(n, d))
    start = random_params("full", k, d, seed=1)
    gm = GaussianMixture(k, tol=0, max_iter=3, chunk_size=1000, weights_init=start.weights,
                         means_init=start.means, precisions_init=start.precisions)
    tracemalloc.start()
    with pytest.warns(Warning):
        gm.fit(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # labels of fit_predict (n int64) + chunk temporaries (1000 x k x d) + small stuff
    assert peak < n * 8 + 3_000_000, peak
    assert peak < n * k * 8  # not even one n x k float64 array


def test_nk_floor_matches_dtype():
    assert nk_floor(np.float64) == 10 * np.finfo(np.float64).eps
    assert nk_floor(np.float32) == pytest.approx(10 * np.finfo(np.float32).eps)


def test_run_em_reports_each_iteration():
    X = make_blobs3()
    params = random_params("diag", 3, 3, seed=3)
    seen = []
    result = run_em(ArrayData(X), params, tol=1e-6, max_iter=50, reg_covar=1e-6,
                    on_iteration=lambda i, change: seen.append((i, change)))
    assert [i for i, _ in seen] == list(range(1, result.n_iter + 1))
    assert result.converged and len(result.lower_bounds) == result.n_iter
    assert seen[0][1] == np.inf


def test_registry_is_the_only_switch():
    from gaussmix.covariance import MCLUST_NAMES

    assert set(COVARIANCE_TYPES) == set(TYPES) | set(MCLUST_NAMES) - {"VVV", "EEE", "VVI", "VII"}
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        get_covariance("banana")
    import pickle

    assert pickle.loads(pickle.dumps(get_covariance("tied"))) is get_covariance("tied")


def test_failed_fit_leaves_previous_fit_whole():
    """An error or interrupt after validation restores n_features_in_ and keeps the parameters."""
    import pandas as pd

    from gaussmix import GaussianMixture

    X = make_blobs3()
    gm = GaussianMixture(3, random_state=0).fit(pd.DataFrame(X, columns=["a", "b", "c"]))
    before = {k: np.copy(v) for k, v in vars(gm).items() if k.endswith("_") and isinstance(v, np.ndarray)}
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        gm.fit(np.zeros((2, 5)) + np.arange(2)[:, None])  # other width, too few rows
    assert gm.n_features_in_ == 3 and list(gm.feature_names_in_) == ["a", "b", "c"]
    for k, v in before.items():
        np.testing.assert_array_equal(getattr(gm, k), v)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    import gaussmix.estimator as estimator_module

    original = estimator_module.run_em
    estimator_module.run_em = interrupt
    try:
        with pytest.raises(KeyboardInterrupt):
            gm.fit(np.random.RandomState(0).normal(size=(50, 4)))
    finally:
        estimator_module.run_em = original
    assert gm.n_features_in_ == 3
    np.testing.assert_array_equal(gm.means_, before["means_"])
    assert gm.predict(pd.DataFrame(X, columns=["a", "b", "c"])).shape == (len(X),)


def test_warm_start_refuses_changed_shape():
    from gaussmix import GaussianMixture

    X = make_blobs3()
    gm = GaussianMixture(3, warm_start=True, random_state=0).fit(X)
    with pytest.raises(ValueError, match="warm_start"):
        gm.set_params(n_components=2).fit(X)
    with pytest.raises(ValueError, match="features"):
        gm.set_params(n_components=3).fit(X[:, :2])
    with pytest.raises(ValueError, match="covariance_type"):
        gm.set_params(covariance_type="diag").fit(X)
    assert gm.means_.shape == (3, 3)
