"""EM with missing values: gaussmix against an independent, slow-but-obvious reference.

The first part of this file is the *oracle*: a plain implementation of EM for Gaussian
mixtures whose data have values missing at random (Ghahramani & Jordan 1994; Little &
Rubin, "Statistical Analysis with Missing Data", ch. 8 and 11).  It loops over rows and
components in Python and evaluates every density with ``scipy.stats.multivariate_normal``
on the observed coordinates of the row; it shares no code with gaussmix.  Its first test
checks it against scikit-learn's ``GaussianMixture`` on complete data, for the four
covariance types.

The second part tests ``gaussmix.GaussianMixture(nan_policy=...)`` against the oracle:
fitting (``"marginalize"``, ``"omit"``, ``"raise"``), sample weights, data far from zero,
``score_samples``/``predict_proba``/``predict``/``score``/``impute`` on incomplete rows,
and the ``marginal``/``conditional`` mixtures.
"""

import numpy as np
import pytest
from scipy import linalg
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


# =======================================================================================
# The independent reference (oracle).  Covariances are dense (k, d, d) matrices for
# every covariance type; the type only decides how the M-step constrains them.
# =======================================================================================


def ref_dense_from_precisions(covariance_type, precisions, n_components, n_features):
    """Dense (k, d, d) covariances from precisions shaped as scikit-learn shapes them."""
    P = np.asarray(precisions, dtype=np.float64)
    k, d = n_components, n_features
    if covariance_type == "full":
        return np.stack([np.linalg.inv(P[j]) for j in range(k)])
    if covariance_type == "tied":
        return np.stack([np.linalg.inv(P)] * k)
    if covariance_type == "diag":
        return np.stack([np.diag(1.0 / P[j]) for j in range(k)])
    if covariance_type == "spherical":
        return np.stack([np.eye(d) / P[j] for j in range(k)])
    raise ValueError(covariance_type)


def ref_sklearn_shape(covariance_type, dense):
    """Dense (k, d, d) covariances in scikit-learn's shape for ``covariance_type``."""
    if covariance_type == "full":
        return dense.copy()
    if covariance_type == "tied":
        return dense[0].copy()
    if covariance_type == "diag":
        return np.stack([np.diag(c) for c in dense])
    if covariance_type == "spherical":
        return np.array([c[0, 0] for c in dense])
    raise ValueError(covariance_type)


def ref_observed_density_and_completion(x, mean, cov):
    """One row ``x`` (NaN = missing) and one Gaussian component.

    Returns ``(log N(x_o | mean_o, cov_oo), xhat, C)``: ``xhat`` is ``x`` with the missing
    entries replaced by their conditional mean given the observed ones, ``C`` is the
    (d, d) matrix that is zero except ``C[m, m]``, the conditional covariance of the
    missing entries.  ``x`` must have at least one observed entry.
    """
    d = x.shape[0]
    o = np.flatnonzero(~np.isnan(x))
    m = np.flatnonzero(np.isnan(x))
    S_oo = cov[np.ix_(o, o)]
    log_density = multivariate_normal.logpdf(x[o], mean=mean[o], cov=S_oo)
    xhat = x.copy()
    C = np.zeros((d, d))
    if m.size:
        S_mo = cov[np.ix_(m, o)]
        gain = linalg.solve(S_oo, S_mo.T, assume_a="pos").T  # S_mo S_oo^{-1}
        xhat[m] = mean[m] + gain @ (x[o] - mean[o])
        C[np.ix_(m, m)] = cov[np.ix_(m, m)] - gain @ S_mo.T
    return float(log_density), xhat, C


def ref_e_step(X, weights, means, covs):
    """For every row with something observed: ``(i, r_i, l_i, xhat_i (k, d), C_i (k, d, d))``.

    ``r_i`` are the responsibilities, ``l_i`` the row's observed-data log-likelihood.
    Rows with nothing observed are left out.
    """
    k, d = means.shape
    rows = []
    for i in range(X.shape[0]):
        x = X[i]
        if np.isnan(x).all():
            continue
        log_p = np.empty(k)
        xhat = np.empty((k, d))
        C = np.empty((k, d, d))
        for j in range(k):
            log_density, xhat[j], C[j] = ref_observed_density_and_completion(x, means[j], covs[j])
            log_p[j] = np.log(weights[j]) + log_density
        l_i = logsumexp(log_p)
        rows.append((i, np.exp(log_p - l_i), l_i, xhat, C))
    return rows


def ref_m_step(rows, sample_weight, covariance_type, reg_covar, n_components, n_features):
    """M-step from ``ref_e_step``'s rows; returns (weights, means, dense covariances)."""
    k, d = n_components, n_features
    N = np.zeros(k)
    n = 0.0
    sum_x = np.zeros((k, d))
    for i, r, _, xhat, _ in rows:
        v = sample_weight[i]
        n += v
        for j in range(k):
            N[j] += v * r[j]
            sum_x[j] += v * r[j] * xhat[j]
    weights = N / n
    means = sum_x / N[:, None]
    scatter = np.zeros((k, d, d))  # unnormalised, without reg_covar
    for i, r, _, xhat, C in rows:
        v = sample_weight[i]
        for j in range(k):
            diff = xhat[j] - means[j]
            scatter[j] += v * r[j] * (np.outer(diff, diff) + C[j])
    full = scatter / N[:, None, None]  # S_k^full without reg_covar
    eye = np.eye(d)
    if covariance_type == "full":
        covs = full + reg_covar * eye
    elif covariance_type == "tied":
        shared = sum(N[j] * full[j] for j in range(k)) / n + reg_covar * eye
        covs = np.stack([shared] * k)
    elif covariance_type == "diag":
        covs = np.stack([np.diag(np.diag(full[j])) + reg_covar * eye for j in range(k)])
    elif covariance_type == "spherical":
        covs = np.stack([(np.mean(np.diag(full[j])) + reg_covar) * eye for j in range(k)])
    else:
        raise ValueError(covariance_type)
    return weights, means, covs


def reference_em(X, covariance_type, weights_init, means_init, precisions_init, n_iter,
                 reg_covar=1e-6, sample_weight=None):
    """Run exactly ``n_iter`` EM iterations on ``X`` (NaN = missing at random).

    Returns a dict with ``weights``, ``means``, ``covariances`` (scikit-learn's shape),
    ``dense`` (k, d, d) and ``lower_bounds`` (one per iteration: the weighted mean
    observed-data log-likelihood of the rows with something observed, under the
    parameters *before* that iteration's M-step).
    """
    X = np.asarray(X, dtype=np.float64)
    n_samples, d = X.shape
    sample_weight = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    weights = np.asarray(weights_init, dtype=np.float64).copy()
    means = np.asarray(means_init, dtype=np.float64).copy()
    k = weights.shape[0]
    covs = ref_dense_from_precisions(covariance_type, precisions_init, k, d)
    bounds = []
    for _ in range(n_iter):
        rows = ref_e_step(X, weights, means, covs)
        v = np.array([sample_weight[i] for i, *_ in rows])
        l = np.array([l_i for _, _, l_i, _, _ in rows])
        bounds.append(float(np.sum(v * l) / np.sum(v)))
        weights, means, covs = ref_m_step(rows, sample_weight, covariance_type, reg_covar, k, d)
    return dict(
        weights=weights,
        means=means,
        covariances=ref_sklearn_shape(covariance_type, covs),
        dense=covs,
        lower_bounds=bounds,
    )


def ref_row_log_components(x, weights, means, covs):
    """``log w_k + log N(x_o | mu_k[o], S_k[o, o])`` for one row with something observed."""
    return np.array([
        np.log(weights[j]) + ref_observed_density_and_completion(x, means[j], covs[j])[0]
        for j in range(len(weights))
    ])


def ref_score_samples(X, weights, means, covs):
    """Log density of each row's observed coordinates; 0.0 for a row with nothing observed."""
    out = np.zeros(X.shape[0])
    for i, x in enumerate(X):
        if not np.isnan(x).all():
            out[i] = logsumexp(ref_row_log_components(x, weights, means, covs))
    return out


def ref_predict_proba(X, weights, means, covs):
    """Responsibilities given the observed coordinates; ``weights`` for an empty row."""
    out = np.empty((X.shape[0], len(weights)))
    for i, x in enumerate(X):
        if np.isnan(x).all():
            out[i] = weights
        else:
            log_p = ref_row_log_components(x, weights, means, covs)
            out[i] = np.exp(log_p - logsumexp(log_p))
    return out


def ref_impute(X, weights, means, covs):
    """Each NaN replaced by ``sum_k r_ik xhat_ik``; an empty row by ``sum_k w_k mu_k``."""
    out = np.array(X, dtype=np.float64, copy=True)
    resp = ref_predict_proba(X, weights, means, covs)
    for i, x in enumerate(X):
        m = np.isnan(x)
        if not m.any():
            continue
        if m.all():
            out[i] = weights @ means
            continue
        completed = np.zeros_like(x)
        for j in range(len(weights)):
            completed += resp[i, j] * ref_observed_density_and_completion(x, means[j], covs[j])[1]
        out[i, m] = completed[m]
    return out


def ref_mixture_logpdf(Y, weights, means, covs):
    """Log density of complete rows ``Y`` under the mixture (dense covariances)."""
    comps = np.column_stack([
        np.log(w) + multivariate_normal.logpdf(Y, mean=mu, cov=S) for w, mu, S in zip(weights, means, covs)
    ])
    return logsumexp(comps, axis=1)


def ref_conditional(weights, means, covs, features, values):
    """The mixture of the other columns (increasing order) given ``X[:, features] = values``.

    Returns (weights, means, dense covariances, other column indices).
    """
    d = means.shape[1]
    f = np.asarray(features)
    values = np.asarray(values, dtype=np.float64)
    m = np.array([c for c in range(d) if c not in set(f.tolist())])
    log_w, new_means, new_covs = [], [], []
    for w, mu, S in zip(weights, means, covs):
        S_ff = S[np.ix_(f, f)]
        S_mf = S[np.ix_(m, f)]
        log_w.append(np.log(w) + multivariate_normal.logpdf(values, mean=mu[f], cov=S_ff))
        gain = linalg.solve(S_ff, S_mf.T, assume_a="pos").T  # S_mf S_ff^{-1}
        new_means.append(mu[m] + gain @ (values - mu[f]))
        new_covs.append(S[np.ix_(m, m)] - gain @ S_mf.T)
    log_w = np.array(log_w)
    return np.exp(log_w - logsumexp(log_w)), np.array(new_means), np.array(new_covs), m


# =======================================================================================
# Data, starts and helpers for the tests
# =======================================================================================

pytestmark = pytest.mark.filterwarnings("ignore::gaussmix.exceptions.ConvergenceWarning")

N_COMPONENTS = 3
N_FEATURES = 4
CENTERS = np.array([[0.0, 0.0, 0.0, 0.0], [5.0, -2.0, 1.5, 3.0], [-4.0, 3.5, -2.0, 1.0]])


def make_complete(n_per=(100, 80, 60), seed=0):
    """A mixture of three rotated, stretched Gaussians in 4-D."""
    rng = np.random.RandomState(seed)
    blocks = []
    for center, n in zip(CENTERS, n_per):
        rotation, _ = np.linalg.qr(rng.normal(size=(N_FEATURES, N_FEATURES)))
        scales = rng.uniform(0.3, 2.5, size=N_FEATURES)
        blocks.append((rng.normal(size=(n, N_FEATURES)) * scales) @ rotation.T + center)
    X = np.vstack(blocks)
    return X[rng.permutation(X.shape[0])]


def make_incomplete(seed=0, n_per=(100, 80, 60), missing=0.15):
    """``make_complete`` with ~15 % of entries missing (MCAR), rows 0-3 with one observed
    value each, row 4 with nothing observed (the only such row)."""
    X = make_complete(n_per, seed)
    rng = np.random.RandomState(seed + 1000)
    mask = rng.uniform(size=X.shape) < missing
    for i in range(4):
        mask[i] = True
        mask[i, i % N_FEATURES] = False
    mask[4] = True
    for i in range(5, X.shape[0]):
        if mask[i].all():
            mask[i, rng.randint(N_FEATURES)] = False
    X = X.copy()
    X[mask] = np.nan
    return X


def make_start(covariance_type, seed=0, shift=0.0):
    """An explicit start: (weights_init, means_init, precisions_init)."""
    rng = np.random.RandomState(seed + 7)
    k, d = N_COMPONENTS, N_FEATURES
    weights = np.array([0.3, 0.3, 0.4])
    means = CENTERS + rng.normal(scale=0.8, size=(k, d)) + shift

    def spd():
        a = rng.normal(size=(d, d))
        return a @ a.T / d + 1.5 * np.eye(d)

    def inv_sym(c):
        p = np.linalg.inv(c)
        return (p + p.T) / 2

    if covariance_type == "full":
        precisions = np.stack([inv_sym(spd()) for _ in range(k)])
    elif covariance_type == "tied":
        precisions = inv_sym(spd())
    elif covariance_type == "diag":
        precisions = 1.0 / rng.uniform(0.8, 3.0, size=(k, d))
    else:
        precisions = 1.0 / rng.uniform(0.8, 3.0, size=k)
    return weights, means, precisions


def gaussmix_model(covariance_type, start, n_iter, reg_covar=1e-6, **kwargs):
    from gaussmix import GaussianMixture

    weights, means, precisions = start
    return GaussianMixture(
        N_COMPONENTS,
        covariance_type=covariance_type,
        weights_init=weights,
        means_init=means,
        precisions_init=precisions,
        tol=0.0,
        max_iter=n_iter,
        reg_covar=reg_covar,
        **kwargs,
    )


def dense_of(est):
    """Dense (k, d, d) covariances of a fitted estimator, by its own covariance_type."""
    k, d = np.asarray(est.means_).shape
    cov = np.asarray(est.covariances_, dtype=np.float64)
    kind = est.covariance_type
    if kind in ("full", "VVV") or cov.ndim == 3:
        return cov
    if kind in ("tied", "EEE"):
        return np.stack([cov] * k)
    if kind in ("diag", "VVI"):
        return np.stack([np.diag(c) for c in cov])
    if kind in ("spherical", "VII"):
        return np.stack([np.eye(d) * c for c in cov])
    raise AssertionError(f"unexpected covariance_type {kind!r} with covariances_ of shape {cov.shape}")


def assert_fit_equal(gm, ref, n_iter, rtol=1e-8, bound_rtol=1e-9, mean_shift=0.0):
    scale = np.max(np.abs(ref["covariances"]))
    np.testing.assert_allclose(gm.weights_, ref["weights"], rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(np.asarray(gm.means_) - mean_shift, ref["means"] - mean_shift, rtol=rtol,
                               atol=rtol * 1e-2 * np.max(np.abs(ref["means"] - mean_shift)))
    assert np.shape(gm.covariances_) == ref["covariances"].shape
    np.testing.assert_allclose(gm.covariances_, ref["covariances"], rtol=rtol, atol=rtol * 1e-2 * scale)
    assert gm.n_iter_ == n_iter
    assert len(gm.lower_bounds_) == n_iter
    np.testing.assert_allclose(gm.lower_bounds_, ref["lower_bounds"], rtol=bound_rtol)
    np.testing.assert_allclose(gm.lower_bound_, ref["lower_bounds"][-1], rtol=bound_rtol)


def assert_non_decreasing(bounds, slack=1e-12):
    bounds = np.asarray(bounds, dtype=np.float64)
    steps = np.diff(bounds)
    assert np.all(steps >= -slack * np.abs(bounds[1:])), steps


# =======================================================================================
# 1. The reference itself: equal to scikit-learn on complete data
# =======================================================================================


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_reference_equals_sklearn_without_missing_values(covariance_type):
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    X = make_complete(n_per=(80, 70, 50), seed=3)
    start = make_start(covariance_type, seed=3)
    n_iter, reg_covar = 10, 1e-4
    sk = SkGaussianMixture(
        N_COMPONENTS, covariance_type=covariance_type, weights_init=start[0], means_init=start[1],
        precisions_init=start[2], tol=0.0, max_iter=n_iter, reg_covar=reg_covar, random_state=0,
    ).fit(X)
    ref = reference_em(X, covariance_type, *start, n_iter=n_iter, reg_covar=reg_covar)
    assert sk.n_iter_ == n_iter
    np.testing.assert_allclose(ref["weights"], sk.weights_, rtol=1e-8)
    np.testing.assert_allclose(ref["means"], sk.means_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ref["covariances"], sk.covariances_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ref["lower_bounds"][-1], sk.lower_bound_, rtol=1e-10)
    np.testing.assert_allclose(ref["lower_bounds"], sk.lower_bounds_, rtol=1e-10)
    assert_non_decreasing(ref["lower_bounds"])
    # and the completion helpers are the identity on complete rows
    np.testing.assert_allclose(ref_score_samples(X[:20], ref["weights"], ref["means"], ref["dense"]),
                               ref_mixture_logpdf(X[:20], ref["weights"], ref["means"], ref["dense"]), rtol=1e-12)
    np.testing.assert_array_equal(ref_impute(X[:20], ref["weights"], ref["means"], ref["dense"]), X[:20])


def test_reference_completion_matches_quadrature():
    """The oracle's completion of one missing entry (conditional mean and variance) and its
    observed-coordinate density, checked against the joint density by quadrature."""
    rng = np.random.RandomState(11)
    a = rng.normal(size=(3, 3))
    cov = a @ a.T + np.eye(3)
    mean = np.array([1.0, -2.0, 0.5])
    x = np.array([0.3, np.nan, 2.0])
    log_density, xhat, C = ref_observed_density_and_completion(x, mean, cov)
    # brute force: E[x1 | x0, x2] by quadrature on the joint density
    grid = np.linspace(-40, 40, 400001)
    pts = np.column_stack([np.full_like(grid, 0.3), grid, np.full_like(grid, 2.0)])
    dens = np.exp(multivariate_normal.logpdf(pts, mean=mean, cov=cov))
    step = grid[1] - grid[0]
    marginal = dens.sum() * step
    cond_mean = (grid * dens).sum() * step / marginal
    cond_var = ((grid - cond_mean) ** 2 * dens).sum() * step / marginal
    np.testing.assert_allclose(np.log(marginal), log_density, rtol=1e-8)
    np.testing.assert_allclose(xhat[[0, 2]], [0.3, 2.0])
    np.testing.assert_allclose(xhat[1], cond_mean, rtol=1e-8)
    np.testing.assert_allclose(C[1, 1], cond_var, rtol=1e-7)
    assert np.count_nonzero(C) == 1


# =======================================================================================
# 2-4. Fitting with nan_policy="marginalize"
# =======================================================================================

_REF_CACHE = {}


def cached_reference(covariance_type, weighted, n_iter=8, reg_covar=1e-6):
    key = (covariance_type, weighted, n_iter, reg_covar)
    if key not in _REF_CACHE:
        X = make_incomplete(seed=0)
        sw = np.random.RandomState(5).uniform(0.2, 3.0, size=X.shape[0]) if weighted else None
        start = make_start(covariance_type, seed=0)
        ref = reference_em(X, covariance_type, *start, n_iter=n_iter, reg_covar=reg_covar, sample_weight=sw)
        _REF_CACHE[key] = (X, sw, start, ref)
    return _REF_CACHE[key]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_reference_bound_is_non_decreasing_with_missing_values(covariance_type, weighted):
    X, _, _, ref = cached_reference(covariance_type, weighted)
    assert np.isnan(X).mean() > 0.1
    assert np.isnan(X).all(axis=1).sum() == 1
    assert_non_decreasing(ref["lower_bounds"])
    np.testing.assert_allclose(ref["weights"].sum(), 1.0, rtol=1e-14)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_marginalize_fit_equals_reference(covariance_type, weighted):
    n_iter = 8
    X, sw, start, ref = cached_reference(covariance_type, weighted, n_iter=n_iter)
    X_before = X.copy()
    gm = gaussmix_model(covariance_type, start, n_iter, nan_policy="marginalize")
    assert gm.fit(X, sample_weight=sw) is gm
    np.testing.assert_array_equal(X, X_before)  # input untouched
    assert gm.n_features_in_ == N_FEATURES
    assert_fit_equal(gm, ref, n_iter)
    assert_non_decreasing(gm.lower_bounds_)


@pytest.mark.parametrize("covariance_type", ["full", "spherical"])
def test_marginalize_fit_bound_non_decreasing_long_run(covariance_type):
    """Without reg_covar every EM step is exact, so the observed-data bound cannot fall."""
    X = make_incomplete(seed=4, n_per=(60, 50, 40), missing=0.25)
    start = make_start(covariance_type, seed=4)
    n_iter = 15
    ref = reference_em(X, covariance_type, *start, n_iter=n_iter, reg_covar=0.0)
    assert_non_decreasing(ref["lower_bounds"])
    gm = gaussmix_model(covariance_type, start, n_iter, reg_covar=0.0, nan_policy="marginalize").fit(X)
    assert_non_decreasing(gm.lower_bounds_)
    assert_fit_equal(gm, ref, n_iter)


def test_marginalize_without_missing_values_equals_plain_fit():
    X = make_complete(seed=2)
    start = make_start("full", seed=2)
    plain = gaussmix_model("full", start, 6).fit(X)
    marg = gaussmix_model("full", start, 6, nan_policy="marginalize").fit(X)
    for name in ("weights_", "means_", "covariances_", "lower_bounds_"):
        np.testing.assert_allclose(getattr(marg, name), getattr(plain, name), rtol=1e-10, atol=1e-12, err_msg=name)


def test_marginalize_far_from_zero_equals_reference():
    shift = 1e4
    n_iter = 8
    X = make_incomplete(seed=6, n_per=(70, 60, 50)) + shift
    start = make_start("full", seed=6, shift=shift)
    ref = reference_em(X, "full", *start, n_iter=n_iter, reg_covar=1e-6)
    gm = gaussmix_model("full", start, n_iter, nan_policy="marginalize").fit(X)
    # means compared after removing the shift: their meaningful digits, at rtol 1e-7
    assert_fit_equal(gm, ref, n_iter, rtol=1e-7, bound_rtol=1e-8, mean_shift=shift)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_marginalize_integer_weights_equal_repeated_rows(covariance_type):
    X = make_incomplete(seed=8, n_per=(60, 50, 40))
    counts = np.random.RandomState(9).randint(0, 4, size=X.shape[0])
    counts[4] = 2  # the empty row, weighted or repeated, still carries nothing
    start = make_start(covariance_type, seed=8)
    n_iter = 8
    weighted = gaussmix_model(covariance_type, start, n_iter, nan_policy="marginalize").fit(
        X, sample_weight=counts.astype(np.float64))
    repeated = gaussmix_model(covariance_type, start, n_iter, nan_policy="marginalize").fit(
        np.repeat(X, counts, axis=0))
    np.testing.assert_allclose(weighted.weights_, repeated.weights_, rtol=1e-9)
    np.testing.assert_allclose(weighted.means_, repeated.means_, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(weighted.covariances_, repeated.covariances_, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(weighted.lower_bounds_, repeated.lower_bounds_, rtol=1e-10)


# =======================================================================================
# 5. Inference on held-out incomplete rows
# =======================================================================================


def held_out_rows():
    X = make_incomplete(seed=21, n_per=(15, 15, 10), missing=0.3)
    X[5] = make_complete(seed=22)[0]  # one complete row
    return X


@pytest.fixture(scope="module", params=COVARIANCE_TYPES)
def fitted_marginalized(request):
    covariance_type = request.param
    X = make_incomplete(seed=0)
    gm = gaussmix_model(covariance_type, make_start(covariance_type, seed=0), 10, nan_policy="marginalize").fit(X)
    return gm


def test_score_samples_on_incomplete_rows(fitted_marginalized):
    gm = fitted_marginalized
    X = held_out_rows()
    expected = ref_score_samples(X, gm.weights_, gm.means_, dense_of(gm))
    got = gm.score_samples(X)
    assert got.shape == (X.shape[0],)
    assert got[4] == 0.0  # nothing observed
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_predict_proba_and_predict_on_incomplete_rows(fitted_marginalized):
    gm = fitted_marginalized
    X = held_out_rows()
    expected = ref_predict_proba(X, gm.weights_, gm.means_, dense_of(gm))
    proba = gm.predict_proba(X)
    assert proba.shape == (X.shape[0], N_COMPONENTS)
    np.testing.assert_allclose(proba, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(proba[4], gm.weights_, rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # predict is the argmax (rows whose top two responsibilities nearly tie are skipped)
    top2 = np.sort(expected, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 1e-8
    np.testing.assert_array_equal(gm.predict(X)[clear], np.argmax(expected, axis=1)[clear])


def test_score_on_incomplete_rows(fitted_marginalized):
    gm = fitted_marginalized
    X = held_out_rows()
    per_row = ref_score_samples(X, gm.weights_, gm.means_, dense_of(gm))
    has_data = ~np.isnan(X).all(axis=1)
    np.testing.assert_allclose(gm.score(X), per_row[has_data].mean(), rtol=1e-10)
    sw = np.random.RandomState(3).uniform(0.1, 2.0, size=X.shape[0])
    np.testing.assert_allclose(gm.score(X, sample_weight=sw),
                               np.sum(sw[has_data] * per_row[has_data]) / np.sum(sw[has_data]), rtol=1e-10)


def test_impute(fitted_marginalized):
    gm = fitted_marginalized
    X = held_out_rows()
    X_before = X.copy()
    expected = ref_impute(X, gm.weights_, gm.means_, dense_of(gm))
    out = gm.impute(X)
    np.testing.assert_array_equal(X, X_before)  # a copy: the input keeps its NaN
    assert out.shape == X.shape
    assert not np.isnan(out).any()
    observed = ~np.isnan(X)
    np.testing.assert_array_equal(out[observed], X[observed])  # exactly untouched
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(out[4], np.asarray(gm.weights_) @ np.asarray(gm.means_), rtol=1e-12)
    np.testing.assert_array_equal(out[5], X[5])  # a complete row comes back as it was


# =======================================================================================
# 6. nan_policy="omit" and "raise"
# =======================================================================================


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_omit_equals_fit_on_complete_rows(covariance_type, weighted):
    X = make_incomplete(seed=12, missing=0.08)
    sw = np.random.RandomState(13).uniform(0.2, 3.0, size=X.shape[0]) if weighted else None
    keep = ~np.isnan(X).any(axis=1)
    start = make_start(covariance_type, seed=12)
    omit = gaussmix_model(covariance_type, start, 6, nan_policy="omit").fit(X, sample_weight=sw)
    complete = gaussmix_model(covariance_type, start, 6).fit(X[keep], sample_weight=None if sw is None else sw[keep])
    for name in ("weights_", "means_", "covariances_", "lower_bounds_", "n_iter_"):
        np.testing.assert_array_equal(getattr(omit, name), getattr(complete, name), err_msg=name)
    assert omit.lower_bound_ == complete.lower_bound_


@pytest.mark.parametrize("kwargs", [{}, {"nan_policy": "raise"}], ids=["default", "raise"])
def test_raise_names_marginalize(kwargs):
    from gaussmix import GaussianMixture

    X = make_incomplete(seed=0)
    with pytest.raises(ValueError, match=r"nan_policy=[\"']marginalize[\"']"):
        GaussianMixture(N_COMPONENTS, **kwargs).fit(X)


# =======================================================================================
# 7. marginal and conditional mixtures
# =======================================================================================


@pytest.fixture(scope="module", params=COVARIANCE_TYPES)
def fitted_complete(request):
    covariance_type = request.param
    X = make_complete(seed=30)
    gm = gaussmix_model(covariance_type, make_start(covariance_type, seed=30), 10, nan_policy="marginalize").fit(X)
    return gm, X


@pytest.mark.parametrize("features", [[0, 2], [1], [0, 1, 3]])
def test_marginal(fitted_complete, features):
    gm, X = fitted_complete
    dense = dense_of(gm)
    marg = gm.marginal(features)
    f = np.asarray(features)
    np.testing.assert_allclose(marg.weights_, gm.weights_, rtol=1e-12)
    np.testing.assert_allclose(marg.means_, np.asarray(gm.means_)[:, f], rtol=1e-12)
    np.testing.assert_allclose(dense_of(marg), dense[:, f][:, :, f], rtol=1e-10, atol=1e-13)
    Y = X[:40, f]
    expected = ref_mixture_logpdf(Y, gm.weights_, np.asarray(gm.means_)[:, f], dense[:, f][:, :, f])
    np.testing.assert_allclose(marg.score_samples(Y), expected, rtol=1e-10)
    # the same as the full model on rows whose other columns are missing
    X_nan = np.full((40, X.shape[1]), np.nan)
    X_nan[:, f] = Y
    np.testing.assert_allclose(gm.score_samples(X_nan), expected, rtol=1e-10)


def test_marginal_keeps_the_order_of_features(fitted_complete):
    """``marginal([3, 1])`` models ``X[:, [3, 1]]`` (columns in the order given)."""
    gm, X = fitted_complete
    dense = dense_of(gm)
    f = np.array([3, 1])
    marg = gm.marginal(list(f))
    expected = ref_mixture_logpdf(X[:40, f], gm.weights_, np.asarray(gm.means_)[:, f], dense[:, f][:, :, f])
    np.testing.assert_allclose(marg.score_samples(X[:40, f]), expected, rtol=1e-10)
    np.testing.assert_allclose(marg.means_, np.asarray(gm.means_)[:, f], rtol=1e-12)


@pytest.mark.parametrize("features", [[1], [0, 2], [0, 1, 3]])
def test_conditional(fitted_complete, features):
    gm, X = fitted_complete
    dense = dense_of(gm)
    row = X[7]
    values = row[features]
    w, mu, S, others = ref_conditional(gm.weights_, np.asarray(gm.means_), dense, features, values)
    cond = gm.conditional(features, values)
    np.testing.assert_allclose(cond.weights_, w, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(cond.means_, mu, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(dense_of(cond), S, rtol=1e-9, atol=1e-11)
    Y = X[:40][:, others]
    np.testing.assert_allclose(cond.score_samples(Y), ref_mixture_logpdf(Y, w, mu, S), rtol=1e-9)
    # chain rule: log p(x) = log p(x_f) + log p(x_other | x_f)
    joint = gm.score_samples(row[None])[0]
    marginal = gm.marginal(features).score_samples(values[None])[0]
    np.testing.assert_allclose(cond.score_samples(row[others][None])[0], joint - marginal, rtol=1e-9)


def test_conditional_does_not_depend_on_the_order_of_features(fitted_complete):
    gm, X = fitted_complete
    row = X[11]
    a = gm.conditional([0, 2], row[[0, 2]])
    b = gm.conditional([2, 0], row[[2, 0]])
    np.testing.assert_allclose(b.weights_, a.weights_, rtol=1e-12)
    np.testing.assert_allclose(b.means_, a.means_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dense_of(b), dense_of(a), rtol=1e-10, atol=1e-12)
