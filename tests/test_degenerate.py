"""Degenerate data by design (issue 8, item 2).

Duplicate points, constant features, fewer distinct points than components, collinear
features and a component collapsing onto one point: for every covariance type, in float64
and float32, a fit ends with finite, valid parameters (weights summing to one, positive
definite covariances) or raises a ``CovarianceError`` that says what to do.  A component
that loses all its mass is re-seeded from the M-step's statistics, for every source, with
an ``EmptyComponentWarning`` naming it and the iteration.  Float32 never yields a negative
variance.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from gaussmix import EmptyComponentWarning, GaussianMixture, from_chunks, select
from gaussmix.core import (
    EStep,
    MixtureParams,
    SufficientStats,
    empty_components,
    mstep,
    mstep_reseeding,
    nk_floor,
    reseed_empty,
    run_em,
)
from gaussmix.covariance import get_covariance
from gaussmix.data import ArrayData
from gaussmix.exceptions import CovarianceError

from conftest import COVARIANCE_TYPES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
DEGENERATE = {
    "duplicate-points": np.repeat(RNG.normal(size=(10, 3)), 20, axis=0),
    "one-distinct-point": np.full((50, 3), 7.0),
    "fewer-distinct-points-than-components": np.repeat([[0.0, 0.0], [1.0, 3.0]], 30, axis=0),
    "constant-feature": np.c_[RNG.normal(size=(200, 2)), np.full(200, 5.0)],
    "collinear-features": (lambda z: np.c_[z, 2.0 * z + 1.0, -z])(RNG.normal(size=(200, 1))),
    # one far outlier: a component collapses onto it during EM (its scatter is all rounding)
    "component-collapses-on-a-point": np.r_[RNG.normal(size=(200, 2)), [[1e3, 1e3]]],
    "offset-tight-cluster": RNG.normal(size=(300, 3)) * 0.01 + 1e4,
}


def assert_valid(gm, n_features):
    """Finite parameters, weights summing to one, positive definite covariances."""
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        assert np.all(np.isfinite(getattr(gm, name))), name
    assert gm.weights_.sum() == pytest.approx(1.0, abs=1e-12) and np.all(gm.weights_ >= 0)
    dense = get_covariance(gm.covariance_type).dense(gm.covariances_, gm.means_.shape[0], n_features)
    assert np.all(np.linalg.eigvalsh(dense) > 0)
    variances = np.diagonal(dense, axis1=1, axis2=2)
    assert np.all(variances >= gm.reg_covar * (1 - 1e-9))  # never below the regularization


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("name", list(DEGENERATE))
def test_degenerate_data_fits_with_valid_parameters(name, covariance_type, dtype):
    X = DEGENERATE[name].astype(dtype)
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyComponentWarning)  # expected where points are fewer than components
        labels = gm.fit_predict(X)
    assert_valid(gm, X.shape[1])
    assert np.all(np.isfinite(gm.score_samples(X)))
    proba = gm.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(labels, gm.predict(X))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_where_nothing_helps_the_error_says_what_to_do(covariance_type):
    """No regularization and no spread: no covariance exists, and the message says what to try."""
    X = DEGENERATE["one-distinct-point"]
    with pytest.raises(CovarianceError) as info:
        GaussianMixture(2, covariance_type=covariance_type, reg_covar=0.0, random_state=0).fit(X)
    message = str(info.value)
    for advice in ("increase reg_covar", "decrease the number of components", "another covariance_type"):
        assert advice in message


def test_collinear_full_without_regularization_names_the_component():
    X = DEGENERATE["collinear-features"]
    with pytest.raises(CovarianceError, match=r"component \d has an ill-defined empirical covariance"):
        GaussianMixture(2, reg_covar=0.0, random_state=0).fit(X)
    assert_valid(GaussianMixture(2, covariance_type="diag", reg_covar=0.0, random_state=0).fit(X), 3)


# --------------------------------------------------------------------------- re-seeding
TWO_BLOBS = np.r_[RNG.normal(size=(100, 2)), RNG.normal(size=(100, 2)) + 6.0]
FAR = dict(means_init=[[0.0, 0.0], [6.0, 6.0], [1e3, 1e3]], weights_init=[0.4, 0.4, 0.2])
EMPTY_MESSAGE = re.escape("EM iteration 1: component 2 lost all its mass")


def reseeded_fit(X, covariance_type="full", **kwargs):
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0, **FAR, **kwargs)
    with pytest.warns(EmptyComponentWarning, match=EMPTY_MESSAGE) as record:
        gm.fit(X)
    return gm, record


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_a_component_that_loses_all_its_mass_is_reseeded(covariance_type):
    """The far component owns no row after the first E-step: it is re-seeded by splitting the
    heaviest one, and ends up owning data (it is not left as a point of weight ~0)."""
    gm, record = reseeded_fit(TWO_BLOBS, covariance_type)
    assert len(record) == 1
    message = str(record[0].message)
    assert "component 2 from component" in message and "smaller n_components" in message
    assert_valid(gm, 2)
    assert gm.converged_ and gm.weights_.min() > 0.1
    assert np.all(np.abs(gm.means_) < 10.0)  # nothing left at the far point
    again, _ = reseeded_fit(TWO_BLOBS, covariance_type)  # deterministic: no random numbers involved
    np.testing.assert_array_equal(again.means_, gm.means_)


def test_without_reseeding_the_component_would_stay_empty():
    """The reference behaviour (scikit-learn's): the same start leaves component 2 empty."""
    from sklearn.mixture import GaussianMixture as SkGM

    sk = SkGM(3, random_state=0, **FAR).fit(TWO_BLOBS)
    assert sk.weights_[2] < 1e-10


def test_an_iteration_that_reseeds_never_stops_em():
    start = GaussianMixture(3, max_iter=0, **FAR).fit(TWO_BLOBS)
    params = MixtureParams.from_covariances("full", start.weights_, start.means_, start.covariances_)
    with pytest.warns(EmptyComponentWarning):
        result = run_em(ArrayData(TWO_BLOBS), params, tol=1e10, max_iter=50, reg_covar=1e-6)
    assert result.converged and result.n_iter == 2  # a tolerance this large would stop at 1


@pytest.fixture(scope="module")
def array_fit():
    return reseeded_fit(TWO_BLOBS)[0]


def _same_fit(gm, ref):
    """The same fit up to rounding: other chunkings add in another order, and the split
    direction (an eigenvector of a nearly round blob) amplifies that a little."""
    for name in ("weights_", "means_", "covariances_"):
        value = getattr(gm, name)
        value = value.numpy() if hasattr(value, "numpy") else value
        np.testing.assert_allclose(value, getattr(ref, name), rtol=1e-7, atol=1e-9, err_msg=name)
    assert gm.n_iter_ == ref.n_iter_


def test_reseeding_works_for_chunk_sources(array_fit):
    source = from_chunks(lambda: (TWO_BLOBS[i:i + 30] for i in range(0, 200, 30)))
    _same_fit(reseeded_fit(source)[0], array_fit)


def test_reseeding_works_for_small_chunks_and_threads(array_fit):
    _same_fit(reseeded_fit(TWO_BLOBS, chunk_size=7, n_jobs=2)[0], array_fit)


def test_reseeding_works_for_dask(array_fit):
    da = pytest.importorskip("dask.array")
    _same_fit(reseeded_fit(da.from_array(TWO_BLOBS, chunks=64))[0], array_fit)


def test_reseeding_works_for_tensors(array_fit):
    torch = pytest.importorskip("torch")
    _same_fit(reseeded_fit(torch.from_numpy(TWO_BLOBS))[0], array_fit)


def test_reseeding_works_in_partial_fit():
    gm = GaussianMixture(3, random_state=0, **FAR)
    with pytest.warns(EmptyComponentWarning, match=re.escape("partial_fit batch 1: component 2 lost all its mass")):
        gm.partial_fit(TWO_BLOBS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EmptyComponentWarning)  # re-seeded once, then it holds data
        for _ in range(5):
            gm.partial_fit(TWO_BLOBS)
    assert_valid(gm, 2)
    assert gm.weights_.min() > 0.05


def test_reseeding_works_in_selections_shared_passes():
    X = DEGENERATE["fewer-distinct-points-than-components"]
    with pytest.warns(EmptyComponentWarning, match=re.escape("of the model with 3 'diag' components")):
        result = select(X, [1, 3], ["diag"], random_state=0, n_init=1, init_params="kmeans", tol=1e-3, max_iter=100)
    with pytest.warns(EmptyComponentWarning, match=EMPTY_MESSAGE):
        alone = GaussianMixture(3, covariance_type="diag", random_state=0).fit(X)
    np.testing.assert_allclose(result[3, "diag"].params.means, alone.means_, rtol=1e-12)
    # fewer distinct points than components: a component sits on one of them, and select says so
    assert result[3, "diag"].error.startswith("collapsed: component")


# ------------------------------------------------------------------- the M-step's rules
def _stats(covariance, X, resp, shift):
    return SufficientStats.from_responsibilities(covariance, X, resp, None, shift)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_split_keeps_the_components_moments(covariance_type):
    """The two halves together have the split component's mean and covariance (spherical: total variance)."""
    rng = np.random.RandomState(1)
    X = rng.normal(size=(500, 3)) @ np.array([[3.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.5, 0.5]])
    resp = np.c_[np.ones(500), np.zeros(500)]
    cov = get_covariance(covariance_type)
    stats = _stats(cov, X, resp, X.mean(axis=0))
    floor = nk_floor(np.float64)
    plain = mstep(stats, covariance_type, 1e-6, floor)
    with pytest.warns(EmptyComponentWarning, match="component 1 from component 0"):
        params, reseeded = mstep_reseeding(stats, covariance_type, 1e-6, floor, "EM iteration 4")
    assert reseeded == (1,)
    np.testing.assert_allclose(params.weights, [0.5, 0.5])
    np.testing.assert_allclose(params.means.mean(axis=0), plain.means[0], atol=1e-12)
    dense = cov.dense(params.covariances, 2, 3)
    spread = np.outer(params.means[1] - params.means[0], params.means[1] - params.means[0]) / 4
    mixture_cov = dense.mean(axis=0) + spread
    original = cov.dense(plain.covariances, 2, 3)[0]
    if covariance_type == "spherical":
        assert np.trace(mixture_cov) == pytest.approx(np.trace(original), rel=1e-12)
    elif covariance_type == "tied":  # the shared covariance cannot narrow: only the means move
        np.testing.assert_array_equal(params.covariances, plain.covariances)
    else:
        np.testing.assert_allclose(mixture_cov, original, rtol=1e-12, atol=1e-12)
    if covariance_type in ("full", "tied"):  # along the principal axis
        axis = np.linalg.eigh(original)[1][:, -1]
        offset = params.means[1] - params.means[0]
        assert abs(offset @ axis) == pytest.approx(np.linalg.norm(offset), rel=1e-10)
    assert np.all(np.linalg.eigvalsh(dense) >= 1e-6 * (1 - 1e-9))


def test_plain_mstep_and_reseeding_mstep_agree_when_nothing_is_empty():
    X = TWO_BLOBS
    params = MixtureParams.from_covariances("full", [0.5, 0.5], [[0.0, 0.0], [6.0, 6.0]], np.stack([np.eye(2)] * 2))
    stats = EStep(params).stats(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EmptyComponentWarning)
        reseeding, reseeded = mstep_reseeding(stats, "full", 1e-6, nk_floor(np.float64), "EM iteration 1")
    plain = mstep(stats, "full", 1e-6, nk_floor(np.float64))
    assert reseeded == ()
    for name in ("weights", "means", "covariances", "precisions_cholesky"):
        np.testing.assert_array_equal(getattr(reseeding, name), getattr(plain, name))


def test_empty_means_below_a_few_floors_and_scales_with_tiny_weights():
    floor = nk_floor(np.float64)
    assert empty_components(np.array([10.0, 0.0, floor, 100 * floor]), floor) == (1, 2)
    # weights of 1e-20 per row: the masses are all tiny, none is empty
    assert empty_components(np.array([3e-19, 2e-19, 0.0]), floor) == (2,)


def test_several_empty_components_split_the_heaviest_in_turn():
    weights = np.array([0.6, 0.0, 0.4, 0.0])
    means = np.array([[0.0], [50.0], [10.0], [60.0]])
    covariances = np.array([[4.0], [1e-6], [1.0], [1e-6]])
    new_weights, new_means, new_cov, donors = reseed_empty("diag", weights, means, covariances, (1, 3), 0.0)
    assert donors == (0, 2)  # 0 is the heaviest (0.6), then 2 (0.4 > 0.3)
    np.testing.assert_allclose(new_weights, [0.3, 0.3, 0.2, 0.2])
    np.testing.assert_allclose(new_means.ravel(), [-np.sqrt(8 / np.pi), np.sqrt(8 / np.pi),
                                                   10 - np.sqrt(2 / np.pi), 10 + np.sqrt(2 / np.pi)])
    np.testing.assert_allclose(new_cov.ravel(), [4 * (1 - 2 / np.pi)] * 2 + [1 - 2 / np.pi] * 2)


# ------------------------------------------------------------- float32 and rounding
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_rounding_never_makes_a_variance_negative(covariance_type):
    """Statistics whose scatter came out slightly negative (as float32 sums of a component
    collapsed far from the shift do) give variances of at least reg_covar, never less."""
    cov = get_covariance(covariance_type)
    a, n = np.array([1e3, -2e3]), 5.0
    X = np.repeat(a[None], 5, axis=0)
    exact = _stats(cov, X, np.c_[np.ones(5), np.zeros(5)], np.zeros(2))
    # Rounding in the first moments: relative 1e-7, as float32 sums make it.
    s1 = exact.s1 * (1 + np.array([[3e-7, -2e-7], [0.0, 0.0]]))
    nk = np.array([n, 100.0])
    s1[1] = [10.0, 10.0]
    s2 = exact.s2.copy()
    if covariance_type in ("full", "diag"):
        s2[1] = 100.0 * (np.eye(2) if covariance_type == "full" else np.ones(2)) + (
            np.outer(s1[1], s1[1]) / 100.0 if covariance_type == "full" else s1[1] ** 2 / 100.0)
    elif covariance_type == "spherical":
        s2[1] = 200.0 + s1[1] @ s1[1] / 100.0
    else:
        s2 = s2 + 100.0 * np.eye(2) + np.outer(s1[1], s1[1]) / 100.0
    stats = SufficientStats(np.zeros(2), float(nk.sum()), nk, s1, s2, -1.0)
    reg = 1e-6
    params = mstep(stats, covariance_type, reg, nk_floor(np.float32))
    dense = cov.dense(params.covariances, 2, 2)
    assert np.all(np.isfinite(dense))
    assert np.all(np.diagonal(dense, axis1=1, axis2=2) >= reg * (1 - 1e-6))
    assert np.all(np.linalg.eigvalsh(dense) > 0)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_float32_offset_data_keeps_positive_variances(covariance_type):
    """Tight clusters far from zero, and a point far from them, in float32."""
    X = np.r_[DEGENERATE["offset-tight-cluster"], DEGENERATE["offset-tight-cluster"][:50] + 0.5,
              [[1e4 + 30.0] * 3]].astype(np.float32)
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    assert_valid(gm, 3)
