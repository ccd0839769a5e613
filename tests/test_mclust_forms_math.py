"""The mathematics of mclust's constrained covariance forms (gaussmix.covariance.mclust).

Every form ``Sigma_k = lambda_k D_k A_k D_k'`` is checked against an independent
parametrisation written here from the three letters (volume, shape, orientation):
its dimension is the parameter count, the M-step's result lies in it (the structure
holds), no point of it found by perturbation or by a generic optimiser
(``scipy.optimize.minimize``) is better, and the counts equal R mclust's ``nVarParams``
(``tests/data/mclust/nvarparams.csv``, written by ``nvarparams.R``).  EM runs through the
core with each form, in float64 and in float32 far from zero.
"""

from __future__ import annotations

import csv
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.linalg import expm
from scipy.optimize import minimize
from scipy.stats import multivariate_normal

from gaussmix.core import EStep, MixtureParams, run_em
from gaussmix.covariance import get_covariance
from gaussmix.covariance.full import FullCovariance
from gaussmix.covariance.mclust import MCLUST_FORMS, eigen_decomposition, mstep_objective
from gaussmix.data import ArrayData

NEW_FORMS = ("EII", "EEI", "VEI", "EVI", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV")
ITERATIVE = ("VEI", "VEE", "EVE", "VVE", "VEV")
#: the scikit-learn types under their mclust names
ALIASES = {"VVV": "full", "EEE": "tied", "VVI": "diag", "VII": "spherical"}
CSV = Path(__file__).parent / "data" / "mclust" / "nvarparams.csv"


def covariance_of(form: str):
    return get_covariance(ALIASES.get(form, form))


# ------------------------------------------------------------------------ inputs
def random_scatters(rng, k, d, cond=1e6, common_axes=False, noise=0.0):
    """``S_k``: rotated, thin (condition numbers up to ``cond``), of various scales."""
    base_axes = np.linalg.qr(rng.normal(size=(d, d)))[0]
    out = []
    for _ in range(k):
        axes = base_axes if common_axes else np.linalg.qr(rng.normal(size=(d, d)))[0]
        values = np.exp(rng.uniform(0.0, np.log(cond), size=d) + rng.normal(scale=2.0))
        S = (axes * values) @ axes.T
        if noise:
            E = rng.normal(scale=noise, size=(d, d))
            S = S + np.trace(S) / d * (E @ E.T)
        out.append(0.5 * (S + S.T))
    return np.array(out)


def random_weights(rng, k):
    return np.exp(rng.uniform(-2.0, 3.0, size=k))


def scale_of(S, w):
    """The size of the objective's variations: ``sum_k w_k d`` plus its value's magnitude at ``S``."""
    return float(np.sum(w) * S.shape[-1] + abs(mstep_objective(S, S, w)))


# --------------------------------------------------- the forms, parametrised from their letters
def _skew(values, d):
    X = np.zeros((d, d))
    X[np.triu_indices(d, 1)] = values
    return X - X.T


class Parametrisation:
    """``theta -> Sigma`` (k, d, d) for one form, around a base point of the form.

    ``log lambda_k = base + u`` (one ``u`` when the volume is E), ``log A_k = base + v`` with
    ``v`` of sum zero (d - 1 free values, shared when the shape is E, none when I), and
    ``D_k = base_k expm(X)`` with ``X`` skew (d (d - 1) / 2 values, shared when the orientation
    is E, none when I).  The dimension of ``theta`` is the form's free parameter count.
    """

    def __init__(self, form, k, d, base=None):
        self.form, self.k, self.d = form, k, d
        volume, shape, orientation = form
        self.n_volume = 1 if volume == "E" else k
        self.n_shape = 0 if shape == "I" else (d - 1) * (1 if shape == "E" else k)
        n_planes = d * (d - 1) // 2
        self.n_orientation = 0 if orientation == "I" else n_planes * (1 if orientation == "E" else k)
        if base is None:
            base = (np.zeros(k), np.zeros((k, d)), np.broadcast_to(np.eye(d), (k, d, d)))
        self.log_volume, self.log_shape, self.axes = base

    @property
    def size(self):
        return self.n_volume + self.n_shape + self.n_orientation

    def __call__(self, theta):
        k, d = self.k, self.d
        theta = np.asarray(theta, dtype=float)
        u = theta[: self.n_volume]
        v = theta[self.n_volume : self.n_volume + self.n_shape]
        x = theta[self.n_volume + self.n_shape :]
        log_volume = self.log_volume + (u[0] if self.n_volume == 1 else u)
        log_shape = np.array(self.log_shape, dtype=float)
        if self.n_shape:
            v = v.reshape(-1, d - 1)
            log_shape = log_shape + np.hstack([v, -v.sum(axis=1, keepdims=True)])
        axes = np.array(self.axes, dtype=float)
        if self.n_orientation:
            x = x.reshape(-1, d * (d - 1) // 2)
            rotations = np.array([expm(_skew(row, d)) for row in x])
            axes = axes @ rotations
        values = np.exp(log_volume[:, None] + log_shape)
        return (axes * values[:, None, :]) @ np.swapaxes(axes, 1, 2)


def decompose(form, covariances):
    """The base point of :class:`Parametrisation` that gives ``covariances`` (a point of the form)."""
    k, d, _ = covariances.shape
    log_volume = np.linalg.slogdet(covariances)[1] / d
    orientation = form[2]
    if orientation == "I":
        axes = np.broadcast_to(np.eye(d), (k, d, d))
    elif orientation == "E":  # the axes of one component serve all
        axes = np.broadcast_to(np.linalg.eigh(covariances[0])[1][:, ::-1], (k, d, d))
    else:
        axes = np.linalg.eigh(covariances)[1][:, :, ::-1]
    diagonals = np.einsum("kab,kbc,kac->kc", covariances, axes, axes)
    return log_volume, np.log(diagonals) - log_volume[:, None], axes


def whitened_gap(A, B):
    """``max_k |L_k^-1 (A_k - B_k) L_k^-T|`` with ``B_k = L_k L_k'``: a scale-free distance."""
    L = np.linalg.cholesky(B)
    M = np.linalg.solve(L, np.swapaxes(np.linalg.solve(L, A - B), 1, 2))
    return float(np.max(np.abs(M)))


# ------------------------------------------------------------------------ counts
def test_parameter_counts_match_mclust():
    with open(CSV, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 14 * 5 * 6
    for row in rows:
        d, G, expected = int(row["d"]), int(row["G"]), int(row["n_parameters"])
        assert covariance_of(row["model"]).n_parameters(G, d) == expected, row


@pytest.mark.parametrize("form", [*NEW_FORMS, *ALIASES])
def test_parametrisation_has_as_many_parameters_as_the_count(form):
    for k in range(1, 5):
        for d in range(1, 6):
            assert Parametrisation(form, k, d).size == covariance_of(form).n_parameters(k, d)


# ------------------------------------------------------------------ the M-step's optimum
CASES = [(k, d, seed) for k in (1, 2, 4) for d in (1, 2, 3, 5) for seed in range(2)]


def _case(k, d, seed):
    rng = np.random.RandomState(1000 * k + 10 * d + seed)
    return random_scatters(rng, k, d, cond=10.0 ** rng.uniform(0, 6)), random_weights(rng, k), rng


def _check_structure(form, Sigma):
    k, d, _ = Sigma.shape
    volume, shape, orientation = form
    log_volume, log_shape, axes = decompose(form, Sigma)
    around = Parametrisation(form, k, d, (log_volume, log_shape, axes))
    rebuilt = around(np.zeros(around.size))
    # the form's own axes and diagonal rebuild it (so a common orientation is common)
    assert whitened_gap(rebuilt, Sigma) < 1e-8
    if orientation == "I":
        assert np.all(Sigma[:, ~np.eye(d, dtype=bool)] == 0.0)
    if volume == "E":
        np.testing.assert_allclose(log_volume, log_volume[0], atol=1e-10 * max(1.0, abs(log_volume[0])))
    if shape == "I":
        np.testing.assert_allclose(log_shape, 0.0, atol=1e-10)
    elif shape == "E":
        np.testing.assert_allclose(log_shape, np.broadcast_to(log_shape[:1], log_shape.shape), atol=1e-8)
    np.testing.assert_allclose(np.sum(log_shape, axis=1), 0.0, atol=1e-8)  # det A_k = 1


@pytest.mark.parametrize("form", NEW_FORMS)
def test_result_has_the_structure_of_the_form(form):
    cov = get_covariance(form)
    for k, d, seed in CASES:
        S, w, _ = _case(k, d, seed)
        solution = cov.constrained_mle(S, w)
        Sigma = solution.covariances
        assert Sigma.shape == (k, d, d) and np.all(np.isfinite(Sigma))
        np.testing.assert_array_equal(Sigma, np.swapaxes(Sigma, 1, 2))
        _check_structure(form, Sigma)


def test_structure_by_name():
    """The structure in words, on one rotated, ill-conditioned case."""
    rng = np.random.RandomState(7)
    S, w = random_scatters(rng, 3, 4, cond=1e6), random_weights(rng, 3)
    solve = {form: get_covariance(form).constrained_mle(S, w).covariances for form in NEW_FORMS}
    volume, shape, axes = {}, {}, {}
    for form, Sigma in solve.items():
        volume[form], shape[form], axes[form] = eigen_decomposition(Sigma)
    for form in ("EII", "EEI", "EVI", "EVE", "EEV", "EVV"):  # equal determinants
        np.testing.assert_allclose(volume[form], volume[form][0], rtol=1e-10)
    for form in ("EEV", "VEV"):  # equal (normalised) spectra, each its own axes
        np.testing.assert_allclose(shape[form], np.broadcast_to(shape[form][:1], (3, 4)), rtol=1e-8)
    np.testing.assert_allclose(eigen_decomposition(solve["EEV"])[0], volume["EEV"][0], rtol=1e-10)
    Sigma = solve["VEE"]  # all proportional to one matrix
    np.testing.assert_allclose(Sigma / volume["VEE"][:, None, None], np.broadcast_to(Sigma[:1] / volume["VEE"][0],
                               Sigma.shape), rtol=1e-8, atol=1e-12 * np.abs(Sigma[0]).max() / volume["VEE"][0])
    for form in ("EVE", "VVE"):  # one set of axes diagonalises every component
        D = axes[form][0]
        rotated = np.swapaxes(D, 0, 1)[None] @ solve[form] @ D
        off = rotated[:, ~np.eye(4, dtype=bool)]
        scale = np.sqrt(np.einsum("ki,kj->kij", np.diagonal(rotated, axis1=1, axis2=2),
                                  np.diagonal(rotated, axis1=1, axis2=2)))[:, ~np.eye(4, dtype=bool)]
        assert np.max(np.abs(off) / scale) < 1e-7
    for form in ("EII", "EEI", "VEI", "EVI"):
        assert np.all(solve[form][:, ~np.eye(4, dtype=bool)] == 0.0)
    np.testing.assert_allclose(solve["EII"], solve["EII"][0, 0, 0] * np.eye(4)[None].repeat(3, 0), rtol=1e-12)
    np.testing.assert_array_equal(solve["EEI"], np.broadcast_to(solve["EEI"][:1], (3, 4, 4)))


@pytest.mark.parametrize("form", NEW_FORMS)
def test_no_perturbation_within_the_form_is_better(form):
    cov = get_covariance(form)
    for k, d, seed in CASES:
        S, w, rng = _case(k, d, seed)
        Sigma = cov.constrained_mle(S, w).covariances
        best = mstep_objective(Sigma, S, w)
        around = Parametrisation(form, k, d, decompose(form, Sigma))
        slack = 1e-11 * scale_of(S, w)
        assert abs(mstep_objective(around(np.zeros(around.size)), S, w) - best) <= slack
        for size in (1e-4, 1e-2, 0.3, 2.0):
            for _ in range(3):
                theta = rng.normal(scale=size, size=around.size)
                assert mstep_objective(around(theta), S, w) >= best - slack, (k, d, seed, size)


@pytest.mark.parametrize("form", NEW_FORMS)
def test_stationary(form):
    """The central-difference gradient of the objective within the form vanishes at the result."""
    cov = get_covariance(form)
    for k, d, seed in CASES:
        S, w, _ = _case(k, d, seed)
        Sigma = cov.constrained_mle(S, w).covariances
        around = Parametrisation(form, k, d, decompose(form, Sigma))
        h = 1e-5
        gradient = [(mstep_objective(around(h * e), S, w) - mstep_objective(around(-h * e), S, w)) / (2 * h)
                    for e in np.eye(around.size)]
        assert np.max(np.abs(gradient), initial=0.0) <= 1e-6 * scale_of(S, w), (k, d, seed)


def _scipy_best(form, S, w, starts):
    k, d, _ = S.shape
    best = np.inf
    for base, theta0 in starts:
        param = Parametrisation(form, k, d, base)
        def objective(theta):
            try:
                return mstep_objective(param(theta), S, w)
            except np.linalg.LinAlgError:  # a wild trial point: over- or underflow
                return np.inf

        with warnings.catch_warnings():  # a wild trial point of the line search may overflow
            warnings.simplefilter("ignore", RuntimeWarning)
            result = minimize(objective, theta0, method="BFGS",
                              options={"gtol": 1e-10 * scale_of(S, w), "maxiter": 5000})
        if np.isfinite(result.fun):
            best = min(best, result.fun)
    return best


@pytest.mark.parametrize("form", NEW_FORMS)
@pytest.mark.parametrize("k, d", [(3, 2), (2, 3), (3, 3)])
def test_no_better_than_a_generic_optimiser(form, k, d):
    """scipy's BFGS over the form's parametrisation, from several starts, finds nothing better.

    EVE and VVE are not convex in the orientation: their scatters share axes up to noise here,
    so that the best local optimum is the one to find.
    """
    rng = np.random.RandomState(10 * k + d)
    common = form in ("EVE", "VVE")
    S = random_scatters(rng, k, d, cond=1e4, common_axes=common, noise=0.1 if common else 0.0)
    w = random_weights(rng, k)
    ours = get_covariance(form).constrained_mle(S, w).covariances
    size = Parametrisation(form, k, d).size
    log_scale = np.mean(np.linalg.slogdet(S)[1]) / d
    plain = (np.full(k, log_scale), np.zeros((k, d)), np.broadcast_to(np.eye(d), (k, d, d)))
    starts = [(decompose(form, ours), np.zeros(size)), (plain, np.zeros(size)),
              (plain, rng.normal(scale=0.5, size=size))]
    best = _scipy_best(form, S, w, starts)
    assert mstep_objective(ours, S, w) <= best + 1e-8 * scale_of(S, w)


def test_closed_forms():
    rng = np.random.RandomState(3)
    S, w = random_scatters(rng, 3, 4, cond=1e3), random_weights(rng, 3)
    n, d = np.sum(w), 4
    diag = np.diagonal(S, axis1=1, axis2=2)
    solve = {form: get_covariance(form).constrained_mle(S, w).covariances for form in NEW_FORMS}
    np.testing.assert_allclose(solve["EII"][0], np.sum(w @ diag) / (n * d) * np.eye(d), rtol=1e-13)
    np.testing.assert_allclose(np.diagonal(solve["EEI"], axis1=1, axis2=2), np.broadcast_to(w @ diag / n, (3, d)),
                               rtol=1e-13)
    g = np.exp(np.mean(np.log(diag), axis=1))
    np.testing.assert_allclose(np.diagonal(solve["EVI"], axis1=1, axis2=2), (w @ g / n) * diag / g[:, None],
                               rtol=1e-13)
    g = np.exp(np.linalg.slogdet(S)[1] / d)
    np.testing.assert_allclose(solve["EVV"], (w @ g / n) * S / g[:, None, None], rtol=1e-12)
    values = np.linalg.eigvalsh(S)[:, ::-1]
    np.testing.assert_allclose(np.linalg.eigvalsh(solve["EEV"])[:, ::-1], np.broadcast_to(w @ values / n, (3, d)),
                               rtol=1e-10)


def test_one_feature_degenerates_to_equal_or_variable_variances():
    rng = np.random.RandomState(0)
    S, w = np.exp(rng.normal(size=(4, 1, 1)) * 3), random_weights(rng, 4)
    pooled = np.sum(w * S[:, 0, 0]) / np.sum(w)
    for form in NEW_FORMS:
        solution = get_covariance(form).constrained_mle(S, w)
        expected = S if form[0] == "V" else np.full_like(S, pooled)
        np.testing.assert_allclose(solution.covariances, expected, rtol=1e-13, err_msg=form)
        assert solution.converged


# ------------------------------------------------------------------- inner iterations
@pytest.mark.parametrize("form", ITERATIVE)
def test_inner_iterations_never_increase_the_objective_and_converge(form):
    cov = get_covariance(form)
    rng = np.random.RandomState(5)
    n_iter = []
    for trial in range(12):
        k, d = rng.randint(2, 7), rng.randint(2, 8)
        S = random_scatters(rng, k, d, cond=10.0 ** rng.uniform(0, 6), common_axes=trial % 2 == 0,
                            noise=0.05 * (trial % 3))
        w = random_weights(rng, k)
        solution = cov.constrained_mle(S, w)
        path = solution.objective_path
        assert len(path) == solution.n_iter + 1
        assert np.all(np.diff(path) <= 1e-12 * np.abs(path[1:])), np.diff(path)
        assert np.all(path >= np.sum(w) * d * (1 - 1e-12))  # the relative objective is at least sum w d
        assert solution.converged
        n_iter.append(solution.n_iter)
        # the path is the objective less sum_k w_k log det S_k (of the diagonal, for the diagonal forms)
        seen = S if form[2] != "I" else np.diagonal(S, axis1=1, axis2=2)[:, :, None] * np.eye(d)
        value = mstep_objective(solution.covariances, S, w) - w @ np.linalg.slogdet(seen)[1]
        assert abs(value - path[-1]) <= 1e-9 * scale_of(S, w)
    assert max(n_iter) > 1  # the inputs made the iterations work


@pytest.mark.parametrize("form", ("VEE", "EVE", "VVE"))
def test_a_start_is_never_beaten_by_the_result(form):
    """From ``start`` (e.g. the previous EM iteration's covariances) the M-step never ends worse."""
    cov = get_covariance(form)
    rng = np.random.RandomState(11)
    for _ in range(8):
        k, d = rng.randint(2, 6), rng.randint(2, 6)
        S, w = random_scatters(rng, k, d, cond=1e4), random_weights(rng, k)
        param = Parametrisation(form, k, d, (np.full(k, np.mean(np.linalg.slogdet(S)[1]) / d), np.zeros((k, d)),
                                             np.broadcast_to(np.eye(d), (k, d, d))))
        start = param(rng.normal(size=param.size))
        result = cov.constrained_mle(S, w, start=start).covariances
        assert mstep_objective(result, S, w) <= mstep_objective(start, S, w) + 1e-12 * scale_of(S, w)


def test_reg_covar_is_a_ridge_on_each_scatter():
    """``covariances_from_moments`` is the constrained optimum for the full type's regularized covariances."""
    rng = np.random.RandomState(2)
    k, d = 3, 3
    X = rng.normal(size=(60, d)) * [3.0, 1.0, 0.2]
    resp = rng.dirichlet(np.ones(k), size=60)
    nk = resp.sum(0)
    s1 = resp.T @ X
    s2 = np.einsum("nk,ni,nj->kij", resp, X, X)
    nk_reg = nk + 1e-10
    m = s1 / nk_reg[:, None]
    S = FullCovariance().covariances_from_moments(nk, nk_reg, s1, s2, m, 0.5)
    for form in NEW_FORMS:
        cov = get_covariance(form)
        moments = s2 if cov.moment_shape(k, d) == (k, d, d) else np.diagonal(s2, axis1=1, axis2=2).copy()
        Sigma = cov.covariances_from_moments(nk, nk_reg, s1, moments, m, 0.5)
        np.testing.assert_allclose(Sigma, cov.constrained_mle(S, nk_reg).covariances, rtol=1e-10, atol=1e-14)
        _check_structure(form, Sigma)


# ------------------------------------------------------------------ eigen_decomposition
def test_eigen_decomposition():
    rng = np.random.RandomState(4)
    Sigma = random_scatters(rng, 3, 4, cond=1e3)
    volume, shape, orientation = eigen_decomposition(Sigma)
    np.testing.assert_allclose(volume, np.exp(np.linalg.slogdet(Sigma)[1] / 4), rtol=1e-12)
    np.testing.assert_allclose(np.prod(shape, axis=1), 1.0, rtol=1e-12)
    assert np.all(np.diff(shape, axis=1) <= 0)
    np.testing.assert_allclose(np.swapaxes(orientation, 1, 2) @ orientation, np.broadcast_to(np.eye(4), (3, 4, 4)),
                               atol=1e-12)
    rebuilt = volume[:, None, None] * (orientation * shape[:, None, :]) @ np.swapaxes(orientation, 1, 2)
    np.testing.assert_allclose(rebuilt, Sigma, rtol=1e-10, atol=1e-12 * np.abs(Sigma).max())
    largest = np.take_along_axis(orientation, np.argmax(np.abs(orientation), axis=1)[:, None, :], axis=1)
    assert np.all(largest > 0)
    volume, shape, orientation = eigen_decomposition(np.array([[[4.0, 0.0], [0.0, 1.0]]]))
    assert volume.tolist() == [2.0] and shape.tolist() == [[2.0, 0.5]]
    assert orientation.tolist() == [[[1.0, 0.0], [0.0, 1.0]]]


# ------------------------------------------------------------------ the interface
def test_registered_and_pickled_by_name():
    assert tuple(form.name for form in MCLUST_FORMS) == NEW_FORMS
    for form in NEW_FORMS:
        cov = get_covariance(form)
        assert cov.name == form and form in repr(cov)
        assert pickle.loads(pickle.dumps(cov)) is cov
        assert cov.shape(3, 2) == (3, 2, 2)
        assert cov.moment_shape(3, 2) == ((3, 2) if form[2] == "I" else (3, 2, 2))
        assert cov.n_quadratic(4) == (4 if form[2] == "I" else 10)


@pytest.mark.parametrize("form", ("EII", "EEI", "VEI", "EVI"))
def test_diagonal_forms_store_diagonal_matrices(form):
    cov = get_covariance(form)
    rng = np.random.RandomState(0)
    variances = rng.uniform(0.5, 2.0, size=(2, 3))
    covariances = variances[:, :, None] * np.eye(3)
    chol = cov.precisions_cholesky(covariances)
    np.testing.assert_allclose(chol, (1 / np.sqrt(variances))[:, :, None] * np.eye(3))
    np.testing.assert_allclose(cov.covariances_from_cholesky(chol), covariances)
    np.testing.assert_allclose(cov.precisions(chol), np.linalg.inv(covariances))
    np.testing.assert_allclose(cov.log_det_cholesky(chol, 2, 3), -0.5 * np.linalg.slogdet(covariances)[1])
    np.testing.assert_allclose(cov.precisions_cholesky_from_precisions(np.linalg.inv(covariances)), chol)
    np.testing.assert_array_equal(cov.dense(covariances, 2, 3), covariances)
    np.testing.assert_array_equal(cov.identity(2, 3), np.broadcast_to(np.eye(3), (2, 3, 3)))
    offset, halves = cov.split(covariances, 0, 1, 1e-6, 3)
    assert halves.shape == (2, 3, 3) and np.all(halves[:, ~np.eye(3, dtype=bool)] == 0) and offset.shape == (3,)
    assert cov.sample(rng, np.zeros((2, 3)), covariances, np.array([4, 5])).shape == (9, 3)
    good = np.linalg.inv(covariances)
    np.testing.assert_array_equal(cov.check_precisions(good, 2, 3), good)
    bad = good.copy()
    bad[0, 0, 1] = bad[0, 1, 0] = 0.1
    with pytest.raises(ValueError, match=form):
        cov.check_precisions(bad, 2, 3)
    with pytest.raises(ValueError, match="shape"):
        cov.check_precisions(good[0], 2, 3)
    with pytest.raises(ValueError, match="positive"):
        cov.check_precisions(-good, 2, 3)
    with pytest.raises(ValueError, match=form):
        cov.precisions_cholesky(np.linalg.inv(bad))


@pytest.mark.parametrize("form", NEW_FORMS)
def test_log_densities_are_gaussian(form):
    rng = np.random.RandomState(1)
    k, d = 3, 3
    S, w = random_scatters(rng, k, d, cond=1e2), random_weights(rng, k)
    covariances = get_covariance(form).constrained_mle(S, w).covariances
    means = rng.normal(scale=3.0, size=(k, d))
    weights = w / w.sum()
    params = MixtureParams.from_covariances(form, weights, means, covariances)
    X = rng.normal(scale=3.0, size=(50, d))
    expected = np.column_stack([np.log(weights[j]) + multivariate_normal(means[j], covariances[j]).logpdf(X)
                                for j in range(k)])
    np.testing.assert_allclose(EStep(params, np.float64).weighted_log_prob(X), expected, rtol=1e-10)


# ------------------------------------------------------------------ EM through the core
def _blobs(rng, offset=0.0, scale=1.0, spread=1.0):
    axes = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    centres = np.array([[0.0, 0.0, 0.0], [6.0, 2.0, -3.0], [-4.0, 5.0, 3.0]]) * spread
    parts = []
    for j, (n, sd) in enumerate([(140, [1.5, 0.6, 0.2]), (110, [1.0, 0.8, 0.3]), (90, [0.7, 0.7, 0.5])]):
        rotation = axes if j != 2 else np.linalg.qr(rng.normal(size=(3, 3)))[0]
        parts.append(centres[j] + (rng.normal(size=(n, 3)) * sd) @ rotation.T * scale)
    return np.vstack(parts) + offset


def _start(form, X, offset):
    k, d = 3, X.shape[1]
    means = np.array([[0.5, 0.5, 0.0], [5.0, 2.5, -2.0], [-3.0, 4.0, 2.5]]) * (np.ptp(X[:, 0]) / 12.0) + offset
    covariances = get_covariance(form).identity(k, d) * np.var(X, axis=0).mean()
    return MixtureParams.from_covariances(form, np.ones(k) / k, means, covariances)


@pytest.mark.parametrize("form", NEW_FORMS)
def test_em_lower_bound_never_decreases(form):
    X = _blobs(np.random.RandomState(0))
    result = run_em(ArrayData(X), _start(form, X, 0.0), tol=0.0, max_iter=40, reg_covar=1e-6)
    bounds = np.array(result.lower_bounds)
    assert len(bounds) == 40 and np.all(np.isfinite(bounds))
    assert np.all(np.diff(bounds) >= -1e-12 * np.abs(bounds[1:])), np.diff(bounds)
    assert bounds[-1] > bounds[0]
    _check_structure(form, result.params.covariances)


@pytest.mark.parametrize("form", NEW_FORMS)
def test_em_in_float32_far_from_zero(form):
    """Narrow clusters 1e4 from zero: float32 centres them on their own means and keeps float64's fit."""
    rng = np.random.RandomState(1)
    X = _blobs(rng, scale=0.1, spread=8.0)
    start = _start(form, X, 1e4)
    start = MixtureParams.from_covariances(form, start.weights, start.means, get_covariance(form).identity(3, 3) * 0.01)
    fits = {dtype: run_em(ArrayData((X + 1e4).astype(dtype)), start, tol=0.0, max_iter=25, reg_covar=1e-10).params
            for dtype in (np.float64, np.float32)}
    a, b = fits[np.float64], fits[np.float32]
    assert EStep(b, np.float32).own  # the fitted components are centred on their own means
    assert np.all(np.isfinite(b.covariances)) and np.all(np.isfinite(b.means))
    _check_structure(form, b.covariances)
    # float32 rounds the rows by 1e-3 (1e4 times its epsilon): the means move by less, and the
    # covariances (of widths 2e-2 to 0.15) by about as much as the full type's do (2e-3 whitened)
    np.testing.assert_allclose(b.weights, a.weights, atol=1e-4)
    np.testing.assert_allclose(b.means, a.means, atol=1e-3)
    assert np.linalg.norm(b.covariances - a.covariances) <= 3e-3 * np.linalg.norm(a.covariances)
    assert whitened_gap(b.covariances, a.covariances) < 1e-2
