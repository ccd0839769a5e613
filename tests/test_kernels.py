"""Every kernel path against scikit-learn and against itself.

The E-step and statistics are matrix products with a per-chunk design
(:func:`gaussmix.core.stats.design`); these tests pin that path to scikit-learn's
numbers for every covariance type, dtype, chunking and thread count, and prove that
the thread count never changes a bit of the result.
"""

import warnings

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture as SKGaussianMixture

from gaussmix import GaussianMixture
import gaussmix.core.estep as estep_module
from gaussmix.core import EStep, MixtureParams
from gaussmix.core.stats import SufficientStats, design
from gaussmix.covariance import get_covariance
from gaussmix.data import ArrayData, auto_chunk_rows

from conftest import COVARIANCE_TYPES, random_params

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # re-seeding never happens where gaussmix is compared with scikit-learn
    pytest.mark.filterwarnings("error::gaussmix.exceptions.EmptyComponentWarning"),
]

ATTRIBUTES = ("weights_", "means_", "covariances_", "precisions_cholesky_")


def _data(n=1500, d=4, k=3, seed=0, offset=0.0):
    rng = np.random.RandomState(seed)
    centers = rng.normal(scale=4.0, size=(k, d)) + offset
    labels = rng.randint(k, size=n)
    scales = rng.uniform(0.5, 1.5, size=(k, d))
    return centers[labels] + rng.normal(size=(n, d)) * scales[labels]


def _start(X, k, covariance_type):
    """Initial parameters both libraries start from (kept away from the optimum)."""
    sk = SKGaussianMixture(k, covariance_type=covariance_type, max_iter=1, init_params="random_from_data",
                           random_state=3).fit(X)
    return dict(weights_init=sk.weights_, means_init=sk.means_, precisions_init=sk.precisions_)


def _assert_same_fit(ours, ref, rtol):
    for name in ATTRIBUTES:
        a, b = getattr(ours, name), getattr(ref, name)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max(), err_msg=name)
    np.testing.assert_allclose(ours.lower_bound_, ref.lower_bound_, rtol=rtol)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("chunk_size, n_jobs", [(None, 1), (None, 2), (97, 2), (1, 1)])
def test_float64_every_path_matches_sklearn(covariance_type, chunk_size, n_jobs):
    X = _data(n=600 if chunk_size == 1 else 1500, offset=50.0)
    start = _start(X, 3, covariance_type)
    kw = dict(covariance_type=covariance_type, tol=0, max_iter=8, **start)
    ref = SKGaussianMixture(3, **kw).fit(X)
    ours = GaussianMixture(3, chunk_size=chunk_size, n_jobs=n_jobs, **kw).fit(X)
    _assert_same_fit(ours, ref, rtol=1e-9)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-10)
    np.testing.assert_allclose(ours.score_samples(X), ref.score_samples(X), rtol=1e-11)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("chunk_size, n_jobs", [(None, 1), (113, 2)])
def test_float32_every_path_matches_sklearn_float32(covariance_type, chunk_size, n_jobs):
    """Float32 stays float32 and lands where scikit-learn's float32 fit and our float64 fit land."""
    X = _data(n=3000, offset=100.0)
    start = _start(X, 3, covariance_type)
    kw = dict(covariance_type=covariance_type, tol=0, max_iter=8, **start)
    X32 = X.astype(np.float32)
    ref64 = GaussianMixture(3, **kw).fit(X)
    ref32 = SKGaussianMixture(3, **kw).fit(X32)
    ours = GaussianMixture(3, chunk_size=chunk_size, n_jobs=n_jobs, **kw).fit(X32)
    _assert_same_fit(ours, ref64, rtol=2e-5)
    # scikit-learn's tied covariance is a difference of raw moments: in float32 at an
    # offset of 100 it is itself ~2e-4 off its float64 value, while ours stays ~1e-7.
    _assert_same_fit(ours, ref32, rtol=1e-3 if covariance_type == "tied" else 2e-5)
    assert ours.predict_proba(X32).dtype == np.float32
    assert ours.score_samples(X32).dtype == np.float32
    np.testing.assert_allclose(ours.score_samples(X32), ref64.score_samples(X), rtol=1e-5)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_thread_count_never_changes_a_bit(covariance_type, dtype):
    X = _data(n=5000, d=5, k=4, seed=1).astype(dtype)
    w = np.random.RandomState(2).uniform(0.1, 3.0, size=X.shape[0])
    fits = [
        GaussianMixture(4, covariance_type=covariance_type, chunk_size=300, n_jobs=n_jobs, random_state=0,
                        max_iter=20).fit(X, sample_weight=w)
        for n_jobs in (1, 2, 3)
    ]
    for other in fits[1:]:
        for name in ATTRIBUTES + ("lower_bound_", "n_iter_"):
            np.testing.assert_array_equal(getattr(other, name), getattr(fits[0], name), err_msg=name)
    probas = [GaussianMixture(**{**fits[0].get_params(), "n_jobs": j}).fit(X).predict_proba(X) for j in (1, 2)]
    np.testing.assert_array_equal(probas[0], probas[1])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_chunking_changes_only_rounding(covariance_type):
    X = _data(n=4000, d=5, k=4, seed=4)
    start = _start(X, 4, covariance_type)
    fits = [GaussianMixture(4, covariance_type=covariance_type, tol=0, max_iter=10, chunk_size=c, **start).fit(X)
            for c in (None, 1, 7, 4000)]
    for other in fits[1:]:
        _assert_same_fit(other, fits[0], rtol=1e-11)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_design_holds_the_features_every_log_density_is_linear_in(covariance_type):
    cov = get_covariance(covariance_type)
    X = np.random.RandomState(0).normal(size=(6, 3))
    shift = np.array([0.5, -1.0, 2.0])
    d_t = design(cov, X, shift)
    q = cov.n_quadratic(3)
    assert d_t.shape == (q + 3 + 1, 6)
    np.testing.assert_array_equal(d_t[q : q + 3], (X - shift).T)
    np.testing.assert_array_equal(d_t[-1], 1.0)
    Xc = X - shift
    expected_q = {
        "full": np.stack([Xc[:, i] * Xc[:, j] for i in range(3) for j in range(i, 3)]),
        "tied": np.zeros((0, 6)),
        "diag": (Xc**2).T,
        "spherical": (Xc**2).sum(axis=1)[None],
    }[covariance_type]
    np.testing.assert_allclose(d_t[:q], expected_q, rtol=1e-15)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_statistics_are_weighted_sums_about_the_shift(covariance_type):
    """from_design against the definitions, written out with explicit loops."""
    cov = get_covariance(covariance_type)
    rng = np.random.RandomState(5)
    X = rng.normal(size=(40, 3))
    resp = rng.dirichlet(np.ones(2), size=40)
    w = rng.uniform(0.5, 2.0, size=40)
    shift = np.array([1.0, 0.0, -1.0])
    stats = SufficientStats.from_responsibilities(cov, X, resp, w, shift)
    Xc = X - shift
    wr = resp * w[:, None]
    np.testing.assert_allclose(stats.nk, wr.sum(axis=0), rtol=1e-13)
    np.testing.assert_allclose(stats.s1, wr.T @ Xc, rtol=1e-13)
    outer = np.einsum("ni,nj->nij", Xc, Xc)
    expected = {
        "full": np.einsum("nk,nij->kij", wr, outer),
        "tied": np.einsum("n,nij->ij", w, outer),
        "diag": wr.T @ Xc**2,
        "spherical": wr.T @ (Xc**2).sum(axis=1),
    }[covariance_type]
    np.testing.assert_allclose(stats.s2, expected, rtol=1e-12)
    assert stats.n == pytest.approx(w.sum())


def test_zero_weight_component_gets_exactly_nothing():
    params = random_params("full", 3, 2, seed=0)
    params = type(params).from_precisions_cholesky("full", np.array([0.5, 0.0, 0.5]), params.means,
                                                   params.precisions_cholesky)
    X = np.random.RandomState(0).normal(size=(50, 2))
    estep = EStep(params, np.float64)
    resp = estep.responsibilities(X)
    assert np.all(resp[:, 1] == 0.0)
    assert np.all(np.isneginf(estep.weighted_log_prob(X)[:, 1]))
    assert estep.stats(X).nk[1] == 0.0


def test_automatic_chunks_fit_the_cache_budget():
    assert auto_chunk_rows(153 + 16) * (153 + 16) * 8 <= 6 << 20
    assert auto_chunk_rows(1336) == 1024  # wide designs keep enough rows for efficient products
    assert auto_chunk_rows(10**6) * 10**6 * 8 <= 32 << 20  # ... within a memory cap
    assert auto_chunk_rows(10**7) >= 1
    data = ArrayData(np.zeros((10, 2)), row_width=5)
    assert data.chunk_rows >= 10


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2"])
def test_bad_n_jobs_is_named(n_jobs):
    with pytest.raises(ValueError, match="n_jobs"):
        GaussianMixture(2, n_jobs=n_jobs).fit(_data(n=50))


@pytest.mark.parametrize("n_jobs", [None, -1, 1, 4])
def test_good_n_jobs_values(n_jobs):
    X = _data(n=200)
    assert GaussianMixture(2, n_jobs=n_jobs, random_state=0).fit(X).converged_


def test_kmeans_seeding_on_a_subset_for_large_n(monkeypatch):
    """Above KMEANS_MAX_ROWS, k-means runs on a random subset: reproducible and as good."""
    import gaussmix.core.init as init

    X = _data(n=3000, d=3, k=3, seed=7)
    full = GaussianMixture(3, random_state=0, max_iter=0).fit(X)
    monkeypatch.setattr(init, "KMEANS_MAX_ROWS", 300)
    a = GaussianMixture(3, random_state=0, max_iter=0).fit(X)
    b = GaussianMixture(3, random_state=0, max_iter=0).fit(X)
    np.testing.assert_array_equal(a.means_, b.means_)
    # the subset's centres find the same three clusters as k-means on every row
    order = lambda m: m[np.lexsort(m.T[::-1])]
    np.testing.assert_allclose(order(a.means_), order(full.means_), atol=0.2)
    kw = dict(random_state=0, tol=1e-9, max_iter=1000)
    fitted = GaussianMixture(3, **kw).fit(X)
    monkeypatch.setattr(init, "KMEANS_MAX_ROWS", 100_000)
    assert fitted.lower_bound_ == pytest.approx(GaussianMixture(3, **kw).fit(X).lower_bound_, rel=1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_negligible_responsibilities_are_raised_to_the_floor_not_subnormals(dtype):
    """Rows ~700 (float64) or ~70 (float32) nats from a component would underflow to
    subnormals: they get the negligible floor instead, and every other value is untouched."""
    from gaussmix.core import MixtureParams
    from gaussmix.core.estep import _NEGLIGIBLE

    params = MixtureParams.from_covariances("spherical", np.array([0.5, 0.5]), np.array([[0.0], [1.0]]),
                                            np.array([1.0, 1.0]))
    gap = 720.0 if dtype == np.float64 else 75.0  # log-prob differences that underflow to subnormals
    x_far = (2 * gap + 1.0) / 2.0  # log p(x|1) - log p(x|0) = x - 1/2 for these two components
    X = np.array([[0.3], [-x_far + 1.0], [0.7]], dtype=dtype)
    resp = EStep(params, dtype).responsibilities(X)
    assert np.all(resp >= np.finfo(dtype).tiny)  # no subnormal survives
    floor = _NEGLIGIBLE[np.dtype(dtype)]
    assert resp[1, 1] == pytest.approx(floor, rel=1e-5) and resp[1, 0] == 1.0
    assert floor < resp[0, 1] < 1 and floor < resp[2, 0] < 1  # ordinary rows are not raised
    np.testing.assert_allclose(resp[[0, 2]], GaussianMixture(2, covariance_type="spherical", weights_init=[.5, .5],
                               means_init=[[0.0], [1.0]], precisions_init=[1.0, 1.0], max_iter=0)
                               .fit(np.array([[0.0], [1.0], [2.0]])).predict_proba(X[[0, 2]].astype(float)),
                               rtol=1e-5)


def test_a_component_of_weight_zero_gets_exactly_nothing():
    from gaussmix.core import MixtureParams

    params = MixtureParams.from_covariances("spherical", np.array([1.0, 0.0]), np.array([[0.0], [1.0]]),
                                            np.array([1.0, 1.0]))
    resp = EStep(params, np.float64).responsibilities(np.array([[0.0], [1.0], [50.0]]))
    assert np.all(resp[:, 1] == 0.0) and np.all(resp[:, 0] == 1.0)


def test_blas_limit_survives_overlapping_threads(monkeypatch):
    """Threads holding the one-thread BLAS limit with overlapping lifetimes (as Dask worker
    threads do) share one limit, released when the last leaves, not when the first does
    (which would leave BLAS at one thread for good)."""
    import threading

    import gaussmix._parallel as parallel

    events = []

    class FakeLimit:
        def restore_original_limits(self):
            events.append("restore")

    class FakeController:
        def limit(self, limits, user_api):
            events.append(("limit", limits, user_api))
            return FakeLimit()

    monkeypatch.setattr(parallel, "_controller", FakeController())
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def first():
        with parallel.single_threaded_blas():
            a_in.set()
            b_in.wait()
        events.append("first left")
        a_out.set()

    def second():
        a_in.wait()
        with parallel.single_threaded_blas():
            b_in.set()
            a_out.wait()
        events.append("second left")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert events == [("limit", 1, "blas"), "first left", "restore", "second left"]
    with parallel.single_threaded_blas():  # and it can be taken again afterwards
        pass
    assert events[-2:] == [("limit", 1, "blas"), "restore"]


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_dense_covariances_of_every_type(covariance_type):
    from conftest import dense_covariances

    params = random_params(covariance_type, 3, 4, seed=2)
    dense = params.covariance.dense(params.covariances, 3, 4)
    np.testing.assert_array_equal(dense, dense_covariances(params))
    assert dense.shape == (3, 4, 4) and dense.flags.writeable


# ------------------------------------------------- components centred on their own means
def _rotated(n, d, k, seed=0, offset=0.0):
    """Rotated, stretched clusters (the issue-13 data): means ~ N(0, 4^2), rows mean + z @ A, A ~ N(0, 1/d)."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0.0, 4.0, (k, d)) + offset
    factors = rng.normal(0.0, 1.0, (k, d, d)) / np.sqrt(d)
    labels = rng.integers(0, k, n)
    X = rng.standard_normal((n, d))
    for j in range(k):
        X[labels == j] = means[j] + X[labels == j] @ factors[j]
    return X


def _identity_start(X, k, covariance_type, seed=1):
    d = X.shape[1]
    rows = np.random.default_rng(seed).choice(len(X), k, replace=False)
    precisions = get_covariance(covariance_type).identity(k, d)
    return dict(weights_init=np.full(k, 1.0 / k), means_init=X[rows], precisions_init=precisions)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_float32_rotated_stretched_clusters_match_float64(covariance_type, offset, band_path):
    """float32 covariances within 1e-3 of the float64 fit of the same (rounded) numbers from the same start.

    On these data the shared quadratic features lose most digits in float32 (condition numbers
    1e2..1e6, clusters tens of their widths from the mixture's mean): before components were
    centred on their own means, float32 full covariances drifted 2e-3 and more from float64's."""
    X32 = _rotated(8000, 8, 6, offset=offset).astype(np.float32)
    X64 = X32.astype(np.float64)
    kw = dict(covariance_type=covariance_type, tol=0, max_iter=20, **_identity_start(X64, 6, covariance_type))
    ref = GaussianMixture(6, **kw).fit(X64)
    ours = GaussianMixture(6, **kw).fit(X32)
    relative = np.abs(ours.covariances_ - ref.covariances_).max() / np.abs(ref.covariances_).max()
    assert relative < 1e-3, relative
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=0, atol=1e-3 * np.abs(X64 - X64.mean(0)).max())
    np.testing.assert_allclose(ours.lower_bounds_, ref.lower_bounds_, rtol=1e-4, atol=1e-4)
    dense = get_covariance(covariance_type).dense(ours.covariances_, 6, 8)
    assert np.linalg.eigvalsh(dense).min() > 0  # no negative variances
    # the float32 kernel against the float64 one, under the same (fitted) parameters
    np.testing.assert_allclose(ours.score_samples(X32), ours.score_samples(X64), rtol=0, atol=5e-3)
    np.testing.assert_allclose(ours.predict_proba(X32), ours.predict_proba(X64), rtol=0, atol=1e-3)


@pytest.fixture(params=["compiled", "arrays"])
def band_path(request, monkeypatch):
    """Run a test with the own-centred band compiled (numba) and with NumPy's array calls."""
    from gaussmix.core import compiled

    if request.param == "compiled":
        if compiled.kernels() is None:
            pytest.skip("numba is not installed")
    else:
        monkeypatch.setattr(compiled, "enabled", False)
    return request.param


def _force_own(monkeypatch, which):
    import gaussmix.core.estep as estep_module

    monkeypatch.setattr(estep_module, "cancelling_components", lambda params, shift, dtype: which(params.n_components))


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
@pytest.mark.parametrize("which", [lambda k: (1,), lambda k: (0, 2), lambda k: tuple(range(k))],
                         ids=["one", "two", "all"])
def test_own_centred_components_agree_with_the_shared_products_in_float64(monkeypatch, covariance_type, which,
                                                                          band_path):
    """Where float64 resolves both, centring a component on its own mean changes nothing but rounding:
    log-densities, responsibilities, predictions and the M-step from the statistics (weighted too)."""
    from gaussmix.core import mstep

    X = _data(n=700, d=4, k=3)
    w = np.random.RandomState(1).uniform(0.5, 2.0, len(X))
    params = random_params(covariance_type, 3, 4, seed=4)
    plain = EStep(params, np.float64)
    _force_own(monkeypatch, which)
    own = EStep(params, np.float64)
    assert own.own == which(3) and plain.own == ()
    np.testing.assert_allclose(own.weighted_log_prob(X), plain.weighted_log_prob(X), rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(own.responsibilities(X), plain.responsibilities(X), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(own.predict(X), plain.predict(X))
    np.testing.assert_allclose(own.score_samples(X), plain.score_samples(X), rtol=1e-12)
    for weights in (None, w):
        a = ArrayData(X, weights, chunk_rows=128).reduce(own.stats)
        b = ArrayData(X, weights, chunk_rows=128).reduce(plain.stats)
        assert a.shift.shape == ((3, 4) if own.own else (4,))
        np.testing.assert_allclose(a.loglik, b.loglik, rtol=1e-12)
        pa, pb = (mstep(s, covariance_type, 1e-6, 1e-15) for s in (a, b))
        for name in ("weights", "means", "covariances"):
            np.testing.assert_allclose(getattr(pa, name), getattr(pb, name), rtol=1e-9, err_msg=name)
        # an explicit shift (partial_fit's running statistics) puts every component's statistics about it
        shift = X.mean(axis=0)
        c = ArrayData(X, weights, chunk_rows=128).reduce(EStep(params, np.float64, shift=shift).stats)
        assert c.shift.shape == (4,)
        pc = mstep(c, covariance_type, 1e-6, 1e-15)
        np.testing.assert_allclose(pc.covariances, pb.covariances, rtol=1e-9)


def test_em_reads_the_data_once_per_iteration_with_own_centred_components(monkeypatch):
    """The loop has no second pass: components centred on their own means are the kernel's business."""
    _force_own(monkeypatch, lambda k: (1, 3))
    X = _rotated(3000, 6, 5)
    data = ArrayData(X)
    calls = []
    original = data.reduce
    data.reduce = lambda fn: calls.append(1) or original(fn)
    from gaussmix.core import MixtureParams, run_em

    start = _identity_start(X.astype(np.float64), 5, "full")
    params = MixtureParams.from_covariances("full", start["weights_init"], start["means_init"],
                                            np.repeat(np.eye(6)[None], 5, axis=0))
    result = run_em(data, params, tol=0, max_iter=12, reg_covar=1e-6)
    assert len(calls) == result.n_iter == 12
    assert EStep(result.params, np.float64).own == (1, 3)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_own_centred_components_on_a_tensor_match_numpy(monkeypatch, covariance_type, band_path):
    """The own-centred path is written once against the chunk's array library: a float32 PyTorch
    tensor gives the NumPy array's log-densities and statistics."""
    torch = pytest.importorskip("torch")
    X = _rotated(2000, 5, 4).astype(np.float32)
    params = random_params(covariance_type, 4, 5, seed=2)
    _force_own(monkeypatch, lambda k: (1,))
    estep = EStep(params, np.float32)
    assert estep.own == (1,)
    np.testing.assert_allclose(estep.score_samples(torch.from_numpy(X)).numpy(), estep.score_samples(X), rtol=1e-5)
    np.testing.assert_array_equal(estep.predict(torch.from_numpy(X)).numpy(), estep.predict(X))
    a, b = estep.stats(torch.from_numpy(X)), estep.stats(X)
    np.testing.assert_array_equal(a.shift, b.shift)
    for name in ("nk", "s1", "s2"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-4, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_band_equals_the_array_band(monkeypatch, dtype):
    """numba's band kernels against NumPy's array calls, on fitted rotated clusters 1e3 from zero (in
    float32 most components are centred on their own means; in float64 three are made so): the same
    log-densities, responsibilities and statistics (weighted, about an explicit shift too) to rounding,
    for C-ordered, Fortran-ordered and read-only chunks."""
    from gaussmix.core import compiled, mstep

    if compiled.kernels() is None:
        pytest.skip("numba is not installed")
    X64 = _rotated(6000, 16, 6, seed=5, offset=1e3).astype(np.float32).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = GaussianMixture(6, tol=0, max_iter=8, **_identity_start(X64, 6, "full")).fit(X64)._params(16)
    if dtype == np.float64:
        _force_own(monkeypatch, lambda k: (0, 2, 5))
    estep = EStep(params, dtype)
    assert len(estep.own) >= 3

    def both(fn):
        """``fn()`` with the compiled band, then with the array calls."""
        results = []
        for enabled in (True, False):
            monkeypatch.setattr(compiled, "enabled", enabled)
            results.append(fn())
        return results

    X = X64.astype(dtype)
    bands = both(lambda: type(estep._log_prob_t(X)[2]))
    assert bands == [estep_module._CompiledBand, estep_module._Band]
    # measured: float32 log-densities 1.7e-7 apart, responsibilities 3e-12, M-step results 2e-8
    rtol, atol = (1e-6, 1e-10) if dtype == np.float32 else (1e-11, 1e-12)
    np.testing.assert_allclose(*both(lambda: estep.weighted_log_prob(X)), rtol=rtol)
    np.testing.assert_allclose(*both(lambda: estep.responsibilities(X)), rtol=0, atol=atol)
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(X)).astype(dtype)
    readonly = X.copy()
    readonly.flags.writeable = False
    for chunk in (X, np.asfortranarray(X), readonly):
        for weights in (None, w):
            a, b = both(lambda: ArrayData(chunk, weights, chunk_rows=1000).reduce(estep.stats))
            np.testing.assert_array_equal(a.shift, b.shift)
            np.testing.assert_allclose(a.loglik, b.loglik, rtol=rtol)
            pa, pb = (mstep(s, "full", 1e-6, 1e-15) for s in (a, b))
            for name in ("weights", "means", "covariances"):
                np.testing.assert_allclose(getattr(pa, name), getattr(pb, name), rtol=rtol, err_msg=name)
    about = EStep(params, dtype, shift=X64.mean(axis=0))
    a, b = both(lambda: ArrayData(X, w, chunk_rows=1000).reduce(about.stats))
    for name in ("nk", "s1", "s2"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=rtol,
                                   atol=rtol * np.abs(getattr(b, name)).max(), err_msg=name)


def test_compiled_band_of_a_chunk_where_no_own_component_counts(monkeypatch, band_path):
    """A chunk far from the only own-centred component: no band, and that component's statistics are zero."""
    p = MixtureParams.from_covariances("full", np.array([0.5, 0.5]), np.array([[0.0, 0.0], [50.0, 50.0]]),
                                       np.repeat(np.eye(2)[None], 2, axis=0))
    _force_own(monkeypatch, lambda k: (1,))
    estep = EStep(p, np.float32)
    X = np.random.default_rng(0).normal(size=(300, 2)).astype(np.float32)
    assert estep._log_prob_t(X)[2] is None
    stats = estep.stats(X)
    assert stats.nk[1] == 0 and not stats.s1[1].any() and not stats.s2[1].any()
    np.testing.assert_allclose(stats.nk[0], 300, rtol=1e-6)


def test_float32_lower_bound_does_not_alternate_far_from_zero(band_path):
    """Thin rotated components 1e4 from zero, float32: the bound follows float64's, iteration by iteration.

    (It alternated between two values 0.01 apart while the own-centred components' statistics,
    taken about their means, were labelled with the means rounded to float32: each new mean was
    then off by the rounding of the old one.)"""
    rng = np.random.default_rng(3)
    k, d, per = 4, 5, 400
    means = rng.normal(0, 6, (k, d)) + 1e4
    factors = rng.normal(size=(k, d, d)) / np.sqrt(d) * np.logspace(0, -2, d)[:, None]
    X = np.vstack([means[j] + rng.standard_normal((per, d)) @ factors[j] for j in range(k)]).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f32 = GaussianMixture(k, random_state=0, tol=0, max_iter=30).fit(X)
        f64 = GaussianMixture(k, random_state=0, tol=0, max_iter=30).fit(X.astype(np.float64))
    np.testing.assert_allclose(f32.lower_bounds_[-4:], f64.lower_bounds_[-4:], rtol=0, atol=1e-4)


def test_float32_statistics_keep_narrowing_components_accurate():
    """Rotated thin clusters from a broad start (benchmarks' R3 kind, smaller): the first M-steps
    narrow the components a hundredfold, and their covariances come from second moments about a
    shared shift. Summed in float32 over whole chunks those were 5.7e-3 off float64 after 4
    iterations on the R3 data; each block of rows added in float64 keeps them at 3e-5 (about 6 s)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.workloads import Workload, identity_start, make_rotated

    w = Workload("R3", 200_000, 64, 32, "full", "float64", data="rotated", start="identity")
    X64 = make_rotated(w).astype(np.float32).astype(np.float64)
    start = {key: value.astype(np.float64) for key, value in identity_start(X64, w).items()}
    fits = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dtype in (np.float64, np.float32):
            fits[dtype] = GaussianMixture(32, tol=0, max_iter=4, **start).fit(X64.astype(dtype))
    a, b = fits[np.float32].covariances_, fits[np.float64].covariances_
    assert np.linalg.norm(a - b) / np.linalg.norm(b) < 1e-3


def test_float32_rows_far_outside_a_collapsed_component_get_no_responsibility_and_no_warning():
    """A component of variance 1e-36 (collapsed with reg_covar=0) in float32: rows far from it overflow
    its log-density to -inf, the right limit, silently (hypothesis found the warning)."""
    p = MixtureParams.from_covariances("diag", np.array([0.4, 0.3, 0.3]), np.array([[2.64], [1.35], [0.83]]),
                                       np.array([[1e-36], [0.5], [0.5]]))
    X = np.array([[2.6410503], [1.3502456], [0.8273808], [30.0]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estep = EStep(p, np.float32)
        resp = estep.responsibilities(X)
        stats = estep.stats(X)
    assert np.all(np.isfinite(resp)) and np.all(resp[:, 0] < 1e-29)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-6)
    assert np.isfinite(stats.loglik) and np.all(np.isfinite(stats.s2))


# ------------------------------------------------- products shaped for BLAS's kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_rows", [100, 512, 9306])
@pytest.mark.parametrize("n_features", [18, 153])
def test_blocked_e_step_product_equals_the_plain_product(dtype, n_rows, n_features):
    """The E-step product in 256-row blocks (a view of a wider per-thread buffer, with a tail) is the
    plain product up to rounding."""
    from gaussmix.core.estep import _product

    rng = np.random.default_rng(0)
    buffer = rng.standard_normal((n_features, n_rows + 37)).astype(dtype)
    design_t = buffer[:, :n_rows]
    coef = rng.standard_normal((17, n_features)).astype(dtype)
    out = _product(coef, design_t)
    assert out.shape == (17, n_rows) and out.dtype == dtype and out.flags.c_contiguous
    expected = coef.astype(np.float64) @ design_t.astype(np.float64)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=0, atol=tol * np.abs(expected).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [5, 8, 9, 15, 17])
def test_statistics_padded_to_whole_tiles_equal_the_unpadded(monkeypatch, dtype, k):
    """Zero responsibility rows appended up to a multiple of PRODUCT_TILE change no statistic."""
    import gaussmix.core.stats as stats_module

    rng = np.random.default_rng(1)
    X = rng.standard_normal((3000, 4)).astype(dtype)
    resp = rng.dirichlet(np.ones(k), size=3000)
    cov = get_covariance("full")
    padded = SufficientStats.from_responsibilities(cov, X, resp, None, np.zeros(4))
    monkeypatch.setattr(stats_module, "PRODUCT_TILE", 10**9)
    plain = SufficientStats.from_responsibilities(cov, X, resp, None, np.zeros(4))
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for name in ("nk", "s1", "s2"):
        assert getattr(padded, name).shape == getattr(plain, name).shape
        np.testing.assert_allclose(getattr(padded, name), getattr(plain, name), rtol=rtol, atol=rtol, err_msg=name)
