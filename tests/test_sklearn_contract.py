"""The public contract of ``gaussmix.GaussianMixture`` checked against scikit-learn's.

Wherever possible the expected value is what ``sklearn.mixture.GaussianMixture`` does
with the same arguments, not a hand-written constant.
"""

from __future__ import annotations

import pickle
import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.mixture import GaussianMixture as SkGM
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from gaussmix import GaussianMixture as GM

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
INIT_PARAMS = ["kmeans", "k-means++", "random", "random_from_data"]
FITTED_ATTRIBUTES = ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]
RTOL = 1e-8

# Re-seeding an empty component (gaussmix's own rule) must never happen where gaussmix is
# compared with scikit-learn: any EmptyComponentWarning here fails the test.
pytestmark = pytest.mark.filterwarnings("error::gaussmix.exceptions.EmptyComponentWarning")


# --------------------------------------------------------------------------- data
def _blobs(seed=0, n_per=100, spread=1.0, shift=(3.0, -2.0, 5.0)):
    """Three well separated, anisotropic clusters in 3-D, rows shuffled."""
    rng = np.random.RandomState(seed)
    centers = np.array([[0.0, 0.0, 0.0], [6.0, 6.0, 0.0], [0.0, 7.0, 7.0]])
    scales = np.array([1.0, 0.7, 1.3]) * spread
    X = np.vstack([c + rng.normal(scale=scales, size=(n_per, 3)) for c in centers]) + np.asarray(shift)
    return X[rng.permutation(X.shape[0])]


@pytest.fixture(scope="module")
def X():
    return _blobs()


@pytest.fixture(scope="module")
def X_overlap():
    """Overlapping clusters: EM needs many iterations and inits end in different optima."""
    return _blobs(seed=1, spread=2.5)


def _quiet_fit(est, X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, **kw)


def _fit_records_convergence_warning(est, X):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est.fit(X)
    return any(issubclass(w.category, ConvergenceWarning) for w in record)


def _assert_close(actual, desired, rtol=RTOL, what="", atol=None):
    """Relative comparison with an absolute floor scaled to the array (entries near 0)."""
    actual = np.asarray(actual, dtype=np.float64)
    desired = np.asarray(desired, dtype=np.float64)
    assert actual.shape == desired.shape, what
    if atol is None:
        scale = np.max(np.abs(desired)) if desired.size else 1.0
        atol = rtol * scale * 1e-3 + 1e-300
    assert_allclose(actual, desired, rtol=rtol, atol=atol, err_msg=what)


def _assert_same_fit(gm, sk, X, rtol=RTOL):
    for name in FITTED_ATTRIBUTES:
        _assert_close(getattr(gm, name), getattr(sk, name), rtol, name)
    assert_allclose(gm.lower_bound_, sk.lower_bound_, rtol=rtol)
    assert gm.n_iter_ == sk.n_iter_
    assert gm.converged_ == sk.converged_
    assert_allclose(gm.predict_proba(X), sk.predict_proba(X), rtol=rtol, atol=1e-12)
    _assert_close(gm.score_samples(X), sk.score_samples(X), rtol, "score_samples")
    assert_array_equal(gm.predict(X), sk.predict(X))


def _assert_valid_fit(gm, X):
    k, d = gm.n_components, X.shape[1]
    assert gm.weights_.shape == (k,)
    assert_allclose(gm.weights_.sum(), 1.0, rtol=1e-12)
    assert np.all(gm.weights_ > 0)
    assert gm.means_.shape == (k, d)
    assert np.all(np.isfinite(gm.means_))
    assert np.isfinite(gm.lower_bound_)
    proba = gm.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-10)
    assert np.all(np.isfinite(gm.score_samples(X)))


# -------------------------------------------------------------------- constructor
def test_get_params_same_names_and_defaults_as_sklearn():
    ours = GM().get_params()
    theirs = SkGM().get_params()
    # gaussmix's own parameters
    assert [ours.pop(extra) for extra in ("chunk_size", "n_jobs", "device")] == [None, None, None]
    assert ours.pop("nan_policy") == "raise"  # NaN is an error, as in scikit-learn
    assert (ours.pop("online_decay"), ours.pop("online_offset")) == (0.6, 2.0)  # partial_fit's schedule
    assert ours == theirs


def test_get_params_reflects_constructor_arguments():
    kw = dict(n_components=4, covariance_type="diag", tol=1e-4, reg_covar=1e-5, max_iter=7, n_init=2,
              init_params="random", random_state=3, warm_start=True, verbose=1, verbose_interval=5)
    ours = GM(**kw, chunk_size=17, n_jobs=2, device="cpu", online_decay=0.7, online_offset=1.0,
              nan_policy="omit").get_params()
    extras = ("chunk_size", "n_jobs", "device", "online_decay", "online_offset", "nan_policy")
    assert [ours.pop(extra) for extra in extras] == [17, 2, "cpu", 0.7, 1.0, "omit"]
    assert ours == SkGM(**kw).get_params()


def test_clone_copies_params_and_not_fitted_state(X):
    gm = GM(n_components=3, covariance_type="diag", random_state=0, chunk_size=50).fit(X)
    cloned = clone(gm)
    assert type(cloned) is GM
    assert cloned.get_params() == gm.get_params()
    assert not hasattr(cloned, "means_")
    with pytest.raises(NotFittedError):
        cloned.predict(X)
    assert_array_equal(cloned.fit(X).means_, gm.means_)


def test_set_params(X):
    gm = GM(random_state=0)
    assert gm.set_params(n_components=3, covariance_type="spherical") is gm
    assert gm.get_params()["n_components"] == 3
    assert gm.get_params()["covariance_type"] == "spherical"
    sk = SkGM(random_state=0).set_params(n_components=3, covariance_type="spherical")
    _assert_same_fit(gm.fit(X), sk.fit(X), X)
    with pytest.raises(ValueError, match="not_a_param"):
        gm.set_params(not_a_param=1)
    with pytest.raises(ValueError, match="not_a_param"):
        sk.set_params(not_a_param=1)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_pickle_round_trip(X, covariance_type):
    gm = GM(n_components=3, covariance_type=covariance_type, random_state=0).fit(X)
    restored = pickle.loads(pickle.dumps(gm))
    assert restored.get_params() == gm.get_params()
    X_new = _blobs(seed=5)
    assert_array_equal(restored.predict(X_new), gm.predict(X_new))
    assert_array_equal(restored.predict_proba(X_new), gm.predict_proba(X_new))
    assert_array_equal(restored.score_samples(X_new), gm.score_samples(X_new))
    for name in FITTED_ATTRIBUTES:
        assert_array_equal(getattr(restored, name), getattr(gm, name))
    assert_array_equal(restored.sample(20)[0], gm.sample(20)[0])


# ------------------------------------------------------------ meta-estimators
def test_pipeline_with_standard_scaler(X):
    ours = make_pipeline(StandardScaler(), GM(n_components=3, random_state=0)).fit(X)
    theirs = make_pipeline(StandardScaler(), SkGM(n_components=3, random_state=0)).fit(X)
    assert isinstance(ours, Pipeline)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert_allclose(ours.score(X), theirs.score(X), rtol=RTOL)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=RTOL, atol=1e-12)
    assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=RTOL)


def test_grid_search_uses_score(X):
    grid = {"gm__n_components": [1, 2, 3, 4], "gm__covariance_type": ["full", "spherical"]}
    ours = GridSearchCV(Pipeline([("scale", StandardScaler()), ("gm", GM(random_state=0))]), grid, cv=3).fit(X)
    theirs = GridSearchCV(Pipeline([("scale", StandardScaler()), ("gm", SkGM(random_state=0))]), grid, cv=3).fit(X)
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_params_["gm__n_components"] >= 3
    assert_allclose(ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"], rtol=1e-8)
    assert_allclose(ours.best_score_, theirs.best_score_, rtol=1e-8)
    assert isinstance(ours.best_estimator_.named_steps["gm"], GM)


# ----------------------------------------------------------------- fit_predict
@pytest.mark.parametrize("max_iter, tol", [(1, 1e-3), (2, 1e-3), (5, 1e-10), (100, 1e-3), (300, 1e-10)])
@pytest.mark.parametrize("covariance_type", ["full", "spherical"])
def test_fit_predict_equals_fit_then_predict(X_overlap, max_iter, tol, covariance_type):
    kw = dict(n_components=4, covariance_type=covariance_type, init_params="random", max_iter=max_iter, tol=tol,
              random_state=0)
    expect_warning = max_iter == 1
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        labels = GM(**kw).fit_predict(X_overlap)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in record)
    if expect_warning:
        assert warned
    assert_array_equal(labels, _quiet_fit(GM(**kw), X_overlap).predict(X_overlap))
    assert_array_equal(labels, _quiet_fit(SkGM(**kw), X_overlap).predict(X_overlap))
    assert labels.shape == (X_overlap.shape[0],)


# --------------------------------------------------------- ConvergenceWarning
@pytest.mark.parametrize("max_iter", [1, 2, 3, 5, 8, 13, 200])
@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_convergence_warning_exactly_when_sklearn_warns(X_overlap, max_iter, covariance_type):
    kw = dict(n_components=3, covariance_type=covariance_type, init_params="random", max_iter=max_iter, tol=1e-3,
              random_state=0)
    gm, sk = GM(**kw), SkGM(**kw)
    assert _fit_records_convergence_warning(gm, X_overlap) == _fit_records_convergence_warning(sk, X_overlap)
    assert gm.converged_ == sk.converged_
    assert gm.n_iter_ == sk.n_iter_
    if max_iter == 1:
        assert not gm.converged_
    if max_iter == 200:
        assert gm.converged_


def test_convergence_warning_message_same_as_sklearn(X_overlap):
    kw = dict(n_components=3, init_params="random", max_iter=1, random_state=0)
    with pytest.warns(ConvergenceWarning) as ours:
        GM(**kw).fit(X_overlap)
    with pytest.warns(ConvergenceWarning) as theirs:
        SkGM(**kw).fit(X_overlap)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


@pytest.mark.parametrize("init_params", INIT_PARAMS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_max_iter_zero_returns_initial_parameters(X, covariance_type, init_params):
    kw = dict(n_components=3, covariance_type=covariance_type, init_params=init_params, max_iter=0, random_state=1)
    gm, sk = GM(**kw), SkGM(**kw)
    assert not _fit_records_convergence_warning(gm, X)
    assert not _fit_records_convergence_warning(sk, X)
    assert gm.n_iter_ == 0 and sk.n_iter_ == 0
    assert not gm.converged_
    assert gm.converged_ == sk.converged_
    assert gm.lower_bound_ == sk.lower_bound_ == -np.inf
    assert_allclose(gm.weights_.sum(), 1.0, rtol=1e-12)
    _assert_close(gm.means_, sk.means_, RTOL, "means_")
    # scikit-learn leaves the one-row rules' weights at (1 + 10 eps) / n each.
    _assert_close(gm.weights_, sk.weights_ / sk.weights_.sum(), RTOL, "weights_")
    if init_params in ("k-means++", "random_from_data"):
        # One row per component: the covariances are reg_covar (1e-6), and rounding of
        # squares of the data (~1e2) leaves errors of ~1e-13 in either library.
        scale = np.max(X**2)
        _assert_close(gm.covariances_, sk.covariances_, RTOL, "covariances_", atol=1e-14 * scale)
        _assert_close(gm.precisions_, sk.precisions_, 1e-6, "precisions_", atol=1e-6 * np.max(sk.precisions_))
    else:
        _assert_close(gm.covariances_, sk.covariances_, RTOL, "covariances_")
        _assert_close(gm.precisions_cholesky_, sk.precisions_cholesky_, RTOL, "precisions_cholesky_")
    assert_array_equal(gm.predict(X), sk.predict(X))


def test_max_iter_zero_kmeans_means_are_kmeans_centers(X):
    """With max_iter=0 and 'kmeans' the means are the centres of KMeans' clusters."""
    from sklearn.cluster import KMeans

    gm = GM(n_components=3, max_iter=0, random_state=4).fit(X)
    labels = KMeans(n_clusters=3, n_init=1, random_state=np.random.RandomState(4)).fit(X).labels_
    centers = np.array([X[labels == j].mean(axis=0) for j in range(3)])
    _assert_close(gm.means_, centers, 1e-10, "means_")
    assert_allclose(gm.weights_, np.bincount(labels) / X.shape[0], rtol=1e-10)


# ------------------------------------------------------------------- warm_start
def test_warm_start_continues_from_previous_fit(X_overlap):
    kw = dict(n_components=3, warm_start=True, tol=1e-4, max_iter=300, init_params="random", random_state=0)
    gm, sk = GM(**kw).fit(X_overlap), SkGM(**kw).fit(X_overlap)
    first_iters, first_bound = gm.n_iter_, gm.lower_bound_
    assert first_iters > 3
    gm.fit(X_overlap)
    sk.fit(X_overlap)
    assert gm.n_iter_ <= 2
    assert gm.n_iter_ == sk.n_iter_
    assert gm.lower_bound_ >= first_bound - 1e-12
    assert_allclose(gm.lower_bound_, sk.lower_bound_, rtol=RTOL)
    _assert_close(gm.means_, sk.means_, RTOL, "means_")


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_warm_start_max_iter_one_sequence_matches_sklearn(X_overlap, covariance_type):
    kw = dict(n_components=3, covariance_type=covariance_type, warm_start=True, max_iter=1, init_params="random",
              random_state=0)
    gm, sk = GM(**kw), SkGM(**kw)
    bounds = []
    for step in range(8):
        _quiet_fit(gm, X_overlap)
        _quiet_fit(sk, X_overlap)
        assert gm.n_iter_ == 1
        _assert_close(gm.means_, sk.means_, RTOL, f"means_ after warm fit {step}")
        _assert_close(gm.covariances_, sk.covariances_, RTOL, f"covariances_ after warm fit {step}")
        assert_allclose(gm.lower_bound_, sk.lower_bound_, rtol=RTOL)
        bounds.append(gm.lower_bound_)
    # EM never decreases the likelihood, and the means really moved.
    assert np.all(np.diff(bounds) >= -1e-10)
    assert bounds[-1] > bounds[0]


def test_warm_start_with_max_iter_one_differs_from_cold_restarts(X_overlap):
    """Without warm_start each max_iter=1 fit restarts: the means stay the same."""
    kw = dict(n_components=3, max_iter=1, init_params="random", random_state=0)
    cold = _quiet_fit(GM(**kw), X_overlap).means_.copy()
    assert_array_equal(_quiet_fit(GM(**kw), X_overlap).means_, cold)
    warm = GM(**kw, warm_start=True)
    _quiet_fit(warm, X_overlap)
    _quiet_fit(warm, X_overlap)
    assert not np.allclose(warm.means_, cold)


def test_warm_start_ignores_n_init_after_first_fit(X_overlap, capsys):
    kw = dict(n_components=3, warm_start=True, n_init=4, init_params="random", verbose=1, random_state=0,
              tol=1e-4)
    gm, sk = GM(**kw), SkGM(**kw)
    gm.fit(X_overlap)
    first = capsys.readouterr().out
    assert [line for line in first.splitlines() if line.startswith("Initialization ") and line[-1].isdigit()] == [
        f"Initialization {i}" for i in range(4)
    ]
    gm.fit(X_overlap)
    second = capsys.readouterr().out
    assert re.findall(r"^Initialization \d+$", second, flags=re.M) == ["Initialization 0"]
    sk.fit(X_overlap)
    sk.fit(X_overlap)
    capsys.readouterr()
    _assert_close(gm.means_, sk.means_, RTOL, "means_")
    assert gm.n_iter_ == sk.n_iter_


# ----------------------------------------------------------------------- n_init
@pytest.mark.parametrize("init_params", ["random", "k-means++"])
def test_n_init_keeps_best_lower_bound(X_overlap, init_params):
    kw = dict(n_components=5, init_params=init_params, tol=1e-6, max_iter=500)
    best = GM(**kw, n_init=5, random_state=0).fit(X_overlap)
    single = GM(**kw, n_init=1, random_state=0).fit(X_overlap)
    assert best.lower_bound_ >= single.lower_bound_
    # Five single fits drawing from one shared generator see the same five starts.
    shared = np.random.RandomState(0)
    singles = [GM(**kw, random_state=shared).fit(X_overlap).lower_bound_ for _ in range(5)]
    assert_allclose(singles[0], single.lower_bound_, rtol=1e-12)
    assert all(best.lower_bound_ >= b for b in singles)
    assert_allclose(best.lower_bound_, max(singles), rtol=1e-12)
    assert len(set(np.round(singles, 8))) > 1, "the starts should reach different optima"
    # And the same choice as scikit-learn.
    sk = SkGM(**kw, n_init=5, random_state=0).fit(X_overlap)
    assert_allclose(best.lower_bound_, sk.lower_bound_, rtol=1e-8)
    order_ours, order_theirs = np.argsort(best.means_[:, 0]), np.argsort(sk.means_[:, 0])
    _assert_close(best.means_[order_ours], sk.means_[order_theirs], 1e-8, "sorted means_")


def test_n_init_well_separated_matches_sklearn(X):
    kw = dict(n_components=3, n_init=5, init_params="random_from_data", tol=1e-10, max_iter=300, random_state=2)
    gm, sk = GM(**kw).fit(X), SkGM(**kw).fit(X)
    assert_allclose(gm.lower_bound_, sk.lower_bound_, rtol=1e-8)
    order_ours, order_theirs = np.argsort(gm.means_[:, 0]), np.argsort(sk.means_[:, 0])
    _assert_close(gm.means_[order_ours], sk.means_[order_theirs], 1e-8, "sorted means_")


# --------------------------------------------------- same numbers as sklearn
@pytest.mark.parametrize("init_params", INIT_PARAMS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_same_fit_as_sklearn(X, covariance_type, init_params):
    kw = dict(n_components=3, covariance_type=covariance_type, init_params=init_params, n_init=1, tol=1e-10,
              max_iter=300, random_state=0)
    gm, sk = GM(**kw).fit(X), SkGM(**kw).fit(X)
    _assert_valid_fit(gm, X)
    _assert_same_fit(gm, sk, X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_same_fit_as_sklearn_overlapping_data(X_overlap, covariance_type):
    """Many iterations on overlapping data: rounding differences must not accumulate."""
    kw = dict(n_components=3, covariance_type=covariance_type, init_params="random", tol=1e-10, max_iter=300,
              random_state=3)
    gm, sk = _quiet_fit(GM(**kw), X_overlap), _quiet_fit(SkGM(**kw), X_overlap)
    _assert_same_fit(gm, sk, X_overlap)


def _user_init(covariance_type, X):
    rng = np.random.RandomState(0)
    weights = np.array([0.2, 0.5, 0.3])
    means = X[rng.choice(X.shape[0], 3, replace=False)] + 0.1
    a = rng.normal(size=(3, 3, 3))
    full = np.einsum("kij,klj->kil", a, a) + 0.5 * np.eye(3)
    precisions = {
        "full": full,
        "tied": full[0],
        "diag": np.array([[1.0, 2.0, 0.5], [0.3, 1.0, 1.0], [2.0, 2.0, 2.0]]),
        "spherical": np.array([0.5, 1.0, 2.0]),
    }[covariance_type]
    return weights, means, precisions


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_user_given_initial_parameters(X, covariance_type):
    weights, means, precisions = _user_init(covariance_type, X)
    kw = dict(n_components=3, covariance_type=covariance_type, weights_init=weights, means_init=means,
              precisions_init=precisions, tol=1e-10, max_iter=300, random_state=0)
    gm, sk = GM(**kw).fit(X), SkGM(**kw).fit(X)
    _assert_same_fit(gm, sk, X)
    # The user's arrays are not modified.
    assert_array_equal(weights, [0.2, 0.5, 0.3])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_user_given_initial_parameters_one_iteration(X, covariance_type):
    """After one EM step from the user's start the numbers are scikit-learn's."""
    weights, means, precisions = _user_init(covariance_type, X)
    kw = dict(n_components=3, covariance_type=covariance_type, weights_init=weights, means_init=means,
              precisions_init=precisions, max_iter=1, random_state=0)
    gm, sk = _quiet_fit(GM(**kw), X), _quiet_fit(SkGM(**kw), X)
    for name in FITTED_ATTRIBUTES:
        _assert_close(getattr(gm, name), getattr(sk, name), RTOL, name)
    assert_allclose(gm.lower_bound_, sk.lower_bound_, rtol=RTOL)


@pytest.mark.parametrize("given", ["weights_init", "means_init", "precisions_init"])
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag"])
def test_partially_user_given_initial_parameters(X, covariance_type, given):
    weights, means, precisions = _user_init(covariance_type, X)
    value = {"weights_init": weights, "means_init": means, "precisions_init": precisions}[given]
    kw = dict(n_components=3, covariance_type=covariance_type, tol=1e-10, max_iter=300, random_state=0,
              **{given: value})
    gm, sk = GM(**kw).fit(X), SkGM(**kw).fit(X)
    _assert_same_fit(gm, sk, X)


# ----------------------------------------------------------------------- sample
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_draws_same_arrays_as_sklearn(X, covariance_type):
    gm = GM(n_components=3, covariance_type=covariance_type, random_state=7).fit(X)
    sk = SkGM(n_components=3, covariance_type=covariance_type, random_state=7, max_iter=1)
    _quiet_fit(sk, X)
    for name in FITTED_ATTRIBUTES:
        setattr(sk, name, np.array(getattr(gm, name), copy=True))
    for n in (1, 5, 200):
        X_ours, y_ours = gm.sample(n)
        X_theirs, y_theirs = sk.sample(n)
        assert X_ours.shape == (n, X.shape[1])
        assert y_ours.shape == (n,)
        assert y_ours.dtype.kind == "i"
        assert X_ours.dtype == np.float64
        assert_array_equal(X_ours, X_theirs)
        assert_array_equal(y_ours, y_theirs)
    # labels come grouped by component and roughly follow the weights
    X_big, y_big = gm.sample(3000)
    assert np.all(np.diff(y_big) >= 0)
    assert_allclose(np.bincount(y_big, minlength=3) / 3000, gm.weights_, atol=0.05)
    for j in range(3):
        assert_allclose(X_big[y_big == j].mean(axis=0), gm.means_[j], atol=0.3)


@pytest.mark.parametrize("n", [0, -1])
def test_sample_requires_at_least_one(X, n):
    gm = GM(n_components=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="n_samples"):
        gm.sample(n)
    with pytest.raises(ValueError):
        SkGM(n_components=2, random_state=0).fit(X).sample(n)


@pytest.mark.parametrize("n, expected", [(2.0, 2), (True, 1), (np.int64(3), 3)])
def test_sample_accepts_integral_counts_like_sklearn(X, n, expected):
    gm = GM(n_components=2, random_state=0).fit(X)
    sk = _quiet_fit(SkGM(n_components=2, random_state=0), X)
    assert gm.sample(n)[0].shape == sk.sample(n)[0].shape == (expected, X.shape[1])
    with pytest.raises(ValueError, match="n_samples"):
        gm.sample(2.5)


def test_sample_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        GM().sample(3)


# ------------------------------------------------------------------- bic / aic
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("n_components", [1, 3])
def test_bic_aic_and_n_parameters_match_sklearn(X, covariance_type, n_components):
    kw = dict(n_components=n_components, covariance_type=covariance_type, random_state=0, tol=1e-10)
    gm, sk = GM(**kw).fit(X), SkGM(**kw).fit(X)
    assert gm._n_parameters() == sk._n_parameters()
    assert isinstance(gm._n_parameters(), int)
    assert_allclose(gm.bic(X), sk.bic(X), rtol=1e-10)
    assert_allclose(gm.aic(X), sk.aic(X), rtol=1e-10)
    X_new = _blobs(seed=9, n_per=30)
    assert_allclose(gm.bic(X_new), sk.bic(X_new), rtol=1e-10)
    assert_allclose(gm.aic(X_new), sk.aic(X_new), rtol=1e-10)
    assert_allclose(gm.score(X_new), sk.score(X_new), rtol=1e-10)
    assert isinstance(gm.score(X_new), float)


@pytest.mark.parametrize("covariance_type, expected", [("full", 29), ("tied", 17), ("diag", 20), ("spherical", 14)])
def test_n_parameters_values(X, covariance_type, expected):
    # 3 components in 3-D: covariances + 9 means + 2 free weights
    gm = GM(n_components=3, covariance_type=covariance_type, random_state=0).fit(X)
    assert gm._n_parameters() == expected


# ----------------------------------------------------------------------- verbose
def _normalise_timings(text):
    return re.sub(r"time lapse \d+\.\d+s", "time lapse <t>s", text)


@pytest.mark.parametrize("verbose", [1, 2])
@pytest.mark.parametrize("max_iter", [0, 3, 300])
def test_verbose_output_same_as_sklearn(X_overlap, capsys, verbose, max_iter):
    kw = dict(n_components=3, init_params="random", n_init=2, tol=1e-4, max_iter=max_iter, verbose=verbose,
              verbose_interval=2, random_state=0)
    capsys.readouterr()
    _quiet_fit(GM(**kw), X_overlap)
    ours = capsys.readouterr().out
    _quiet_fit(SkGM(**kw), X_overlap)
    theirs = capsys.readouterr().out
    assert "Initialization 0" in ours and "Initialization 1" in ours
    if max_iter:
        assert "  Iteration 2" in ours
        assert ("Initialization converged." in ours) == (max_iter == 300)
        assert ("Initialization did not converge." in ours) == (max_iter == 3)
    if verbose == 1:
        assert ours == theirs
    else:
        assert _normalise_timings(ours) == _normalise_timings(theirs)
        if max_iter:
            assert "ll change" in ours and "lower bound" in ours


def test_verbose_interval_ten_prints_iteration_10(X_overlap, capsys):
    kw = dict(n_components=3, init_params="random", tol=1e-10, max_iter=25, verbose=1, random_state=0)
    _quiet_fit(GM(**kw), X_overlap)
    ours = capsys.readouterr().out
    _quiet_fit(SkGM(**kw), X_overlap)
    assert ours == capsys.readouterr().out
    assert ours.splitlines() == ["Initialization 0", "  Iteration 10", "  Iteration 20",
                                 "Initialization did not converge."]


def test_verbose_zero_prints_nothing(X, capsys):
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GM(n_components=3, n_init=2, max_iter=2, random_state=0).fit(X)
        gm.fit_predict(X)
    gm.predict(X)
    gm.predict_proba(X)
    gm.score(X)
    gm.score_samples(X)
    gm.bic(X)
    gm.aic(X)
    gm.sample(10)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


# ------------------------------------------------------------------------ errors
def _both_raise(kw, X, match):
    with pytest.raises(ValueError, match=match):
        GM(**kw).fit(X)
    with pytest.raises(ValueError):
        SkGM(**{k: v for k, v in kw.items() if k != "chunk_size"}).fit(X)


@pytest.mark.parametrize(
    "name, value",
    [
        ("n_components", 0),
        ("n_components", 1.5),
        ("covariance_type", "bad"),
        ("tol", -1),
        ("reg_covar", -1),
        ("max_iter", -1),
        ("n_init", 0),
        ("init_params", "x"),
        ("verbose_interval", 0),
        ("warm_start", "yes"),
        ("random_state", "x"),
        ("random_state", -1),
    ],
)
def test_bad_parameter_value_names_parameter(X, name, value):
    _both_raise({name: value}, X, match=name)


@pytest.mark.parametrize(
    "name, value",
    [
        ("n_components", np.int64(2)),
        ("n_components", 2.0),
        ("max_iter", np.int32(5)),
        ("max_iter", 5.0),
        ("n_init", np.uint8(2)),
        ("tol", np.float32(1e-3)),
        ("tol", 0),
        ("tol", np.nan),
        ("tol", "1"),
        ("reg_covar", 0),
        ("reg_covar", np.nan),
        ("warm_start", np.bool_(True)),
        ("warm_start", 1),
        ("verbose", np.int64(0)),
        ("verbose", -1),
        ("verbose", 1.0),
        ("random_state", np.random.RandomState(0)),
        ("random_state", np.int64(3)),
        ("random_state", 2**32 - 1),
        ("random_state", 2**32),
        ("random_state", 1.0),
        ("random_state", np.random.default_rng(0)),
        ("init_params", None),
        ("covariance_type", None),
        ("tol", np.inf),
        ("reg_covar", np.inf),
        ("max_iter", True),
        ("n_init", True),
        ("verbose_interval", True),
        ("tol", True),
    ],
)
def test_parameter_accepted_exactly_when_sklearn_accepts(X, capsys, name, value):
    def accepted(cls):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cls(**{"n_components": 2, "max_iter": 5, name: value}).fit(X[:60])
        except (ValueError, TypeError) as exc:
            if cls is GM:
                assert name in str(exc)
            return False
        return True

    assert accepted(GM) == accepted(SkGM)


def test_bad_chunk_size_names_parameter(X):
    with pytest.raises(ValueError, match="chunk_size"):
        GM(chunk_size=0).fit(X)


def test_bad_parameter_leaves_previous_fit_intact(X):
    gm = GM(n_components=3, random_state=0).fit(X)
    means = gm.means_.copy()
    gm.set_params(n_components=0)
    with pytest.raises(ValueError):
        gm.fit(X)
    assert_array_equal(gm.means_, means)


@pytest.mark.parametrize(
    "weights",
    [
        [0.5, 0.5],  # wrong shape
        [[0.2, 0.3, 0.5]],  # wrong shape
        [0.2, 0.2, 0.2],  # does not sum to one
        [1.5, -0.5, 0.0],  # outside [0, 1], sums to one
    ],
)
def test_bad_weights_init(X, weights):
    _both_raise(dict(n_components=3, weights_init=weights), X, match="weights")


def test_means_init_wrong_shape_names_both_shapes(X):
    with pytest.raises(ValueError, match="means") as info:
        GM(n_components=3, means_init=np.zeros((2, 3))).fit(X)
    assert "(3, 3)" in str(info.value) and "(2, 3)" in str(info.value)
    with pytest.raises(ValueError, match=re.escape("(3, 3)")):
        SkGM(n_components=3, means_init=np.zeros((2, 3))).fit(X)
    with pytest.raises(ValueError) as info:
        GM(n_components=3, means_init=np.zeros((3, 2))).fit(X)
    assert "(3, 3)" in str(info.value) and "(3, 2)" in str(info.value)


def _bad_precisions():
    eye = np.eye(3)
    nonsym = eye.copy()
    nonsym[0, 2] = 0.5
    indefinite = np.diag([1.0, 1.0, -1.0])
    cases = [
        ("full", "shape", np.stack([eye, eye])),
        ("full", "shape", eye),
        ("full", "symmetric", np.stack([eye, nonsym, eye])),
        ("full", "positive", np.stack([eye, eye, indefinite])),
        ("tied", "shape", np.stack([eye, eye, eye])),
        ("tied", "shape", np.eye(2)),
        ("tied", "symmetric", nonsym),
        ("tied", "positive", indefinite),
        ("diag", "shape", np.ones((3, 2))),
        ("diag", "shape", np.ones(3)),
        ("diag", "positive", np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])),
        ("diag", "positive", np.array([[1.0, 1.0, 1.0], [1.0, -2.0, 1.0], [1.0, 1.0, 1.0]])),
        ("spherical", "shape", np.ones(2)),
        ("spherical", "shape", np.ones((3, 3))),
        ("spherical", "positive", np.array([1.0, -1.0, 1.0])),
        ("spherical", "positive", np.array([1.0, 0.0, 1.0])),
    ]
    return [pytest.param(ct, kind, p, id=f"{ct}-{kind}-{i}") for i, (ct, kind, p) in enumerate(cases)]


@pytest.mark.parametrize("covariance_type, problem, precisions", _bad_precisions())
def test_bad_precisions_init(X, covariance_type, problem, precisions):
    kw = dict(n_components=3, covariance_type=covariance_type, precisions_init=precisions)
    with pytest.raises(ValueError, match="precision") as info:
        GM(**kw).fit(X)
    message = str(info.value)
    if problem == "shape":
        assert str(precisions.shape) in message
    else:
        assert problem in message
    with pytest.raises(ValueError):  # scikit-learn's message may come from check_array
        SkGM(**kw).fit(X)


def test_fewer_samples_than_components_names_both_numbers(X):
    with pytest.raises(ValueError, match="n_components") as info:
        GM(n_components=5).fit(X[:4])
    assert re.search(r"\b5\b", str(info.value)) and re.search(r"\b4\b", str(info.value))
    with pytest.raises(ValueError, match="n_samples"):
        SkGM(n_components=5).fit(X[:4])


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda X: X[:1], id="one-sample"),
        pytest.param(lambda X: np.where(np.arange(X.size).reshape(X.shape) == 4, np.nan, X), id="nan"),
        pytest.param(lambda X: np.where(np.arange(X.size).reshape(X.shape) == 4, np.inf, X), id="inf"),
        pytest.param(lambda X: X[:, 0], id="1-D"),
        pytest.param(lambda X: X[:0], id="empty"),
        pytest.param(lambda X: np.array([["a", "b", "c"]] * 5), id="strings"),
    ],
)
def test_bad_input_to_fit(X, bad):
    Xbad = bad(X)
    with pytest.raises(ValueError):
        GM(n_components=1).fit(Xbad)
    with pytest.raises(ValueError):
        SkGM(n_components=1).fit(Xbad)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples", "score"])
def test_wrong_number_of_features_names_both_counts(X, method):
    gm = GM(n_components=2, random_state=0).fit(X)
    with pytest.raises(ValueError) as info:
        getattr(gm, method)(X[:, :2])
    message = str(info.value)
    assert "2 features" in message and "3 features" in message
    sk = SkGM(n_components=2, random_state=0).fit(X)
    with pytest.raises(ValueError):
        getattr(sk, method)(X[:, :2])


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples", "score", "bic", "aic"])
def test_predict_before_fit_raises_not_fitted(X, method):
    with pytest.raises(NotFittedError):
        getattr(GM(), method)(X)
    with pytest.raises(NotFittedError):
        getattr(SkGM(), method)(X)


def test_sparse_input_raises_type_error_like_sklearn(X):
    sparse = pytest.importorskip("scipy.sparse")
    X_sparse = sparse.csr_matrix(X)
    with pytest.raises(TypeError, match="[Ss]parse"):
        GM(n_components=2).fit(X_sparse)
    with pytest.raises(TypeError):
        SkGM(n_components=2).fit(X_sparse)
    gm = GM(n_components=2, random_state=0).fit(X)
    with pytest.raises(TypeError, match="[Ss]parse"):
        gm.predict(X_sparse)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_collapsed_data_without_reg_covar_raises_like_sklearn(X, covariance_type):
    X_collapsed = np.repeat(X[:2], 50, axis=0)
    kw = dict(n_components=3, covariance_type=covariance_type, reg_covar=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="ill-defined empirical covariance"):
            GM(**kw).fit(X_collapsed)
        with pytest.raises(ValueError, match="ill-defined empirical covariance"):
            SkGM(**kw).fit(X_collapsed)


def test_fit_ignores_y(X):
    y = np.arange(X.shape[0]) % 3
    kw = dict(n_components=3, random_state=0)
    with_y, without_y = GM(**kw).fit(X, y), GM(**kw).fit(X)
    for name in FITTED_ATTRIBUTES:
        assert_array_equal(getattr(with_y, name), getattr(without_y, name))
    assert_array_equal(GM(**kw).fit_predict(X, y), without_y.predict(X))
    assert with_y.score(X, y) == without_y.score(X)


def test_fitted_attributes_like_sklearn(X):
    gm, sk = GM(n_components=3, random_state=0).fit(X), SkGM(n_components=3, random_state=0).fit(X)
    public = {a for a in vars(sk) if a.endswith("_") and not a.startswith("_")}
    assert public <= set(vars(gm))
    assert gm.n_features_in_ == sk.n_features_in_ == 3
    assert len(gm.lower_bounds_) == len(sk.lower_bounds_) == gm.n_iter_
    assert_allclose(gm.lower_bounds_, sk.lower_bounds_, rtol=RTOL)
    assert gm.lower_bounds_[-1] == gm.lower_bound_
    assert gm.__sklearn_tags__().estimator_type == sk.__sklearn_tags__().estimator_type
    assert repr(GM(n_components=3)) == repr(SkGM(n_components=3))


def test_predict_nan_after_fit_raises(X):
    gm = GM(n_components=2, random_state=0).fit(X)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError):
        gm.predict(X_nan)


# ---------------------------------------------------------------- sample_weight
@pytest.mark.parametrize(
    "make_weights",
    [
        pytest.param(lambda n: np.ones(n - 1), id="too-short"),
        pytest.param(lambda n: np.ones(n + 1), id="too-long"),
        pytest.param(lambda n: np.ones((n, 1)), id="2-D"),
        pytest.param(lambda n: np.r_[-1.0, np.ones(n - 1)], id="negative"),
        pytest.param(lambda n: np.r_[np.nan, np.ones(n - 1)], id="nan"),
        pytest.param(lambda n: np.r_[np.inf, np.ones(n - 1)], id="inf"),
        pytest.param(lambda n: np.zeros(n), id="all-zero"),
    ],
)
def test_bad_sample_weight_names_sample_weight(X, make_weights):
    with pytest.raises(ValueError, match="sample_weight"):
        GM(n_components=2, random_state=0).fit(X, sample_weight=make_weights(X.shape[0]))


def test_unit_sample_weight_equals_unweighted(X):
    kw = dict(n_components=3, random_state=0, tol=1e-10)
    weighted = GM(**kw).fit(X, sample_weight=np.ones(X.shape[0]))
    sk = SkGM(**kw).fit(X)
    for name in FITTED_ATTRIBUTES:
        _assert_close(getattr(weighted, name), getattr(sk, name), 1e-8, name)


# ------------------------------------------------------------------ feature names
def test_feature_names_in_from_dataframe(X):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    gm = GM(n_components=3, random_state=0).fit(df)
    sk = SkGM(n_components=3, random_state=0).fit(df)
    assert_array_equal(gm.feature_names_in_, ["a", "b", "c"])
    assert_array_equal(gm.feature_names_in_, sk.feature_names_in_)
    assert gm.n_features_in_ == sk.n_features_in_ == 3
    assert_array_equal(gm.predict(df), sk.predict(df))
    # fitted on a plain array: no feature names
    assert not hasattr(GM(n_components=2, random_state=0).fit(X), "feature_names_in_")
    assert not hasattr(SkGM(n_components=2, random_state=0).fit(X), "feature_names_in_")


def _outcome(call):
    """('raise', type, message) or ('ok', warning categories and messages)."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - the type is what we compare
            return ("raise", type(exc), str(exc))
    return ("ok", sorted((w.category.__name__, str(w.message)) for w in record))


@pytest.mark.parametrize(
    "make_input",
    [
        pytest.param(lambda pd, X: pd.DataFrame(X, columns=["x", "y", "z"]), id="other-names"),
        pytest.param(lambda pd, X: pd.DataFrame(X, columns=["c", "b", "a"]), id="reordered"),
        pytest.param(lambda pd, X: X, id="ndarray"),
        pytest.param(lambda pd, X: pd.DataFrame(X, columns=["a", "b", "c"]), id="same-names"),
    ],
)
@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples"])
def test_prediction_input_feature_names_like_sklearn(X, make_input, method):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    gm = GM(n_components=3, random_state=0).fit(df)
    sk = SkGM(n_components=3, random_state=0).fit(df)
    X_in = make_input(pd, X)
    ours, theirs = _outcome(lambda: getattr(gm, method)(X_in)), _outcome(lambda: getattr(sk, method)(X_in))
    assert ours[:2] == theirs[:2]
    if ours[0] == "raise":
        assert issubclass(ours[1], ValueError)
        assert "feature names" in ours[2]


def test_dataframe_fit_then_array_predict_warns(X):
    pd = pytest.importorskip("pandas")
    gm = GM(n_components=3, random_state=0).fit(pd.DataFrame(X, columns=["a", "b", "c"]))
    with pytest.warns(UserWarning, match="feature names"):
        gm.predict(X)


# ------------------------------------------------------------------------- dtype
def test_float32_input_gives_float32_outputs(X):
    X32 = X.astype(np.float32)
    gm = GM(n_components=3, random_state=0).fit(X32)
    assert gm.predict_proba(X32).dtype == np.float32
    assert gm.score_samples(X32).dtype == np.float32
    assert gm.predict(X32).dtype.kind == "i"
    assert isinstance(gm.score(X32), float)
    # same clustering and close numbers to the float64 fit
    gm64 = GM(n_components=3, random_state=0).fit(X)
    assert_array_equal(gm.predict(X32), gm64.predict(X))
    assert_allclose(gm.means_, gm64.means_, rtol=1e-4, atol=1e-4)
    assert_allclose(gm.score_samples(X32), gm64.score_samples(X), rtol=1e-4, atol=1e-4)
    assert_allclose(gm.predict_proba(X32), gm64.predict_proba(X), atol=1e-4)
    # float64 input to a float32-fitted model gives float64 outputs
    assert gm.score_samples(X).dtype == np.float64


@pytest.mark.parametrize("int_dtype", [np.int64, np.int32])
def test_integer_input_is_converted_to_float64(X, int_dtype):
    X_int = np.round(X * 10).astype(int_dtype)
    kw = dict(n_components=3, random_state=0, tol=1e-10)
    gm, sk = GM(**kw).fit(X_int), SkGM(**kw).fit(X_int)
    assert gm.means_.dtype == np.float64
    assert gm.predict_proba(X_int).dtype == np.float64
    assert gm.score_samples(X_int).dtype == np.float64
    # scikit-learn's own predict_proba on integer rows is less accurate (~1e-8 absolute)
    # than on the same rows as float64, so the fits are compared on float64 rows.
    X_float = X_int.astype(np.float64)
    _assert_same_fit(gm, sk, X_float)
    assert_array_equal(gm.predict_proba(X_int), gm.predict_proba(X_float))
    assert_array_equal(gm.score_samples(X_int), gm.score_samples(X_float))
    refit = GM(**kw).fit(X_float)
    for name in FITTED_ATTRIBUTES:
        assert_array_equal(getattr(gm, name), getattr(refit, name))


def test_list_input_is_accepted(X):
    data = X[:50].tolist()
    gm, sk = GM(n_components=2, random_state=0).fit(data), SkGM(n_components=2, random_state=0).fit(data)
    _assert_same_fit(gm, sk, np.asarray(data))
