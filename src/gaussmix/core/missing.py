"""Rows with missing values (NaN): exact E-step terms under a mixture, for data missing at random.

For a row with observed coordinates ``o`` and missing ones ``m``, component ``k``'s
marginal over ``o`` is Gaussian, and so is the conditional of ``x_m`` given ``x_o``.  EM for
data missing at random (Ghahramani & Jordan 1994; Little & Rubin 2002) is exact with them:
the E-step evaluates the marginal densities of the observed values, and the M-step sums
the expected statistics ``E[x | x_o, k]`` and ``E[x x' | x_o, k]`` in place of ``x`` and
``x x'``.  Everything here is in the precision ``P = S^-1`` and its missing block ``P_mm``
(small when few values are missing), with ``z`` the row minus the mean, zero where missing:

* conditional mean ``xhat_m = mu_m + delta``, ``delta = -P_mm^-1 (P z)_m``;
* conditional covariance ``P_mm^-1``;
* Mahalanobis term of the marginal ``(x_o - mu_o)' S_oo^-1 (x_o - mu_o) = z' P z + (P z)_m' delta``;
* ``log det S_oo = log det S + log det P_mm``.

Rows are grouped by their number ``j`` of missing values; within a group every row's
``P_mm`` is factorised by a Cholesky decomposition vectorised over rows and components
(``j`` steps of whole-array operations), so the cost grows with the rows, not with the
number of distinct patterns: each row costs one ``d x d`` product per component for the
E-step and one for the statistics (the per-component form), plus ``O(j^3)`` per component.  A row with nothing observed carries no information
about the parameters: it is left out of the statistics (it is not counted in ``n``), its
responsibilities are the weights and its log-density 0 (the empty marginal).

Everything is computed in float64 on the host, whatever the chunk's dtype and device:
these rows are a fraction of a chunk, and float64 keeps data far from zero exact.

The Mahalanobis term subtracts two terms, so it loses the digits of the precision's
conditioning in ``o`` (about ``eps * |P| |S_oo|``): nothing for ordinary data, and no
worse than the complete rows' shared quadratic expansion.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

from .. import _xp
from ..covariance import get_covariance
from .params import MixtureParams

_LOG_2PI = math.log(2.0 * math.pi)

_FULL = get_covariance("full")
_DIAG = get_covariance("diag")

#: what an estimator does with rows holding NaN (see ``GaussianMixture``'s ``nan_policy``)
NAN_POLICIES = ("raise", "omit", "marginalize")


class IncompleteKernel:
    """What a :class:`MixtureParams` says about rows with missing values (see the module docstring).

    Prepared once per parameter value; :meth:`evaluate` then serves any number of chunks.

    Examples
    --------
    >>> import numpy as np
    >>> p = MixtureParams.from_covariances("full", np.array([1.0]), np.zeros((1, 2)),
    ...                                    np.array([[[1.0, 0.5], [0.5, 1.0]]]))
    >>> rows = IncompleteKernel(p).evaluate(np.array([[1.0, np.nan]]))
    >>> rows.completed()[0, 0].tolist()  # E[x_2 | x_1 = 1] = 0.5
    [1.0, 0.5]
    """

    def __init__(self, params: MixtureParams):
        cov = params.covariance
        k, d = params.means.shape
        self.params = params
        self.means = np.asarray(params.means, dtype=np.float64)
        self.precisions = np.ascontiguousarray(cov.dense(params.precisions, k, d), dtype=np.float64)
        self.log_det_covariances = -2.0 * cov.log_det_cholesky(params.precisions_cholesky, k, d)
        self.log_weights = params.e_step_log_weights()
        self.n_components, self.n_features = k, d
        # Axis-aligned covariances (diag, spherical and mclust's diagonal forms): the missing values
        # are independent of the observed ones given the component, so the E-step and the statistics
        # are sums over the observed coordinates: a few (n, d) x (d, k) products (see _diagonal_terms).
        reduced = reduced_covariance_type(params.covariance_type)
        self.diagonal = reduced in ("diag", "spherical")
        #: one precision shared by every component (tied): each row's P_mm is factorised once
        self.shared = reduced == "tied"
        if self.diagonal:
            self.variances = np.diagonal(cov.dense(params.covariances, k, d), axis1=1, axis2=2).copy()
            self.centre = params.default_shift()  # rows are taken about it (float64 far from zero)

    def evaluate(self, X: np.ndarray) -> "IncompleteRows":
        """The rows ``X`` (float64, NaN where missing) under the parameters."""
        return IncompleteRows(self, np.asarray(X, dtype=np.float64))


class IncompleteRows:
    """Rows with missing values evaluated under an :class:`IncompleteKernel`.

    Attributes
    ----------
    log_prob : ndarray of shape (n_rows, n_components)
        ``log weight_k + log N(x_o | mu_k[o], S_k[o, o])`` (the log weight alone for a
        row with nothing observed).
    observed : ndarray of bool, shape (n_rows,)
        Rows with at least one observed value: the ones that count in the statistics.
    """

    def __init__(self, kernel: IncompleteKernel, X: np.ndarray):
        k, d = kernel.n_components, kernel.n_features
        n = X.shape[0]
        self.kernel = kernel
        self.X = X
        missing = np.isnan(X)
        counts = missing.sum(axis=1)
        self.observed = counts < d
        self.log_prob = np.empty((n, k))
        self.log_prob[~self.observed] = kernel.log_weights
        self._missing, self._counts = missing, counts
        if kernel.diagonal:
            self._terms = self._diagonal_terms()
            self._diagonal_log_prob()
            self._groups_built = None  # needed only for conditional covariances and draws
        else:
            self._groups_built = self._build_groups(write_log_prob=True)

    @property
    def _groups(self) -> list:
        """The rows by number of missing values (:class:`_Group`)."""
        if self._groups_built is None:
            self._groups_built = self._build_groups(write_log_prob=False)
        return self._groups_built

    def _build_groups(self, write_log_prob: bool) -> list:
        target = self if write_log_prob else None
        groups = []
        for j in np.unique(self._counts[self.observed]):
            rows = np.flatnonzero(self._counts == j)
            groups.append(_Group(self.kernel, self.X[rows], self._missing[rows], rows, int(j), target))
        return groups

    def _diagonal_log_prob(self) -> None:
        """Axis-aligned covariances: ``log weight_k + sum over observed f of log N(x_f | mu_kf, var_kf)``."""
        kernel = self.kernel
        observed, centred, squared = self._terms
        precisions = 1.0 / kernel.variances  # (k, d)
        offsets = kernel.means - kernel.centre
        # sum_f o_f p_f (x_f - m_f)^2 = (x^2) p' - 2 x (p m)' + o (p m^2)', x centred and zero where missing
        quad = squared @ precisions.T - 2.0 * centred @ (precisions * offsets).T + observed @ (precisions * offsets**2).T
        log_det = observed @ np.log(kernel.variances).T
        log_prob = kernel.log_weights - 0.5 * (observed.sum(axis=1)[:, None] * _LOG_2PI + log_det + quad)
        self.log_prob[self.observed] = log_prob[self.observed]

    def _diagonal_terms(self):
        """``(observed, centred, squared)``, (n, d) float64: the observed mask, the rows about the
        kernel's centre with zeros where missing, and their squares."""
        observed = (~self._missing).astype(np.float64)
        centred = np.where(self._missing, 0.0, self.X - self.kernel.centre)
        return observed, centred, centred * centred

    def responsibilities(self) -> tuple[np.ndarray, np.ndarray]:
        """``(log_density (n_rows,), responsibilities (n_rows, n_components))``."""
        top = np.max(self.log_prob, axis=1)  # finite: some weight is positive
        resp = np.exp(self.log_prob - top[:, None])  # a zero weight: exp(-inf) = 0
        total = np.sum(resp, axis=1)
        resp /= total[:, None]
        log_norm = top + np.log(total)
        log_norm[~self.observed] = 0.0
        return log_norm, resp

    def imputed(self, resp: np.ndarray) -> np.ndarray:
        """The rows with each missing value replaced by ``E[x_m | x_o] = sum_k r_k E[x_m | x_o, k]``.

        A row with nothing observed gets the mixture's mean.
        """
        return np.where(np.isnan(self.X), np.einsum("nk,knd->nd", resp, self.completed()), self.X)

    def draw(self, resp: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
        """The rows with their missing values drawn from the conditional mixture given the observed ones.

        Per row: a component from the responsibilities, then ``x_m`` from that component's
        conditional Gaussian (its full Gaussian for a row with nothing observed).
        """
        kernel = self.kernel
        n = self.X.shape[0]
        u = rng.random_sample(n)
        chosen = np.minimum((np.cumsum(resp, axis=1) < u[:, None]).sum(axis=1), kernel.n_components - 1)
        out = np.where(np.isnan(self.X), self.completed()[chosen, np.arange(n)], self.X)
        for group in self._groups:
            # Cov = M'M for the chosen component: M' eps has it
            factor = group.inverse_factor[chosen[group.rows], np.arange(group.rows.size)]  # (n_j, j, j)
            noise = np.einsum("...ba,...b->...a", factor, rng.standard_normal(factor.shape[:2]))
            block = out[group.rows]
            np.put_along_axis(block, group.miss, np.take_along_axis(block, group.miss, 1) + noise, 1)
            out[group.rows] = block
        unobserved = np.flatnonzero(~self.observed)
        if unobserved.size:
            p = kernel.params
            dense = p.covariance.dense(p.covariances, kernel.n_components, kernel.n_features)[chosen[unobserved]]
            noise = np.matmul(np.linalg.cholesky(dense), rng.standard_normal((unobserved.size, kernel.n_features))
                              [..., None])[..., 0]
            out[unobserved] += noise
        return out

    def completed(self) -> np.ndarray:
        """Each component's completed rows ``E[x | x_o, k]``, shape ``(n_components, n_rows, n_features)``."""
        kernel = self.kernel
        out = np.broadcast_to(kernel.means[:, None, :], (kernel.n_components, *self.X.shape)).copy()
        for group in self._groups:
            out[:, group.rows] += group.deviations
        return out

    def moments(self, resp: np.ndarray, weights: np.ndarray | None, centres: np.ndarray):
        """Expected statistics of the rows with something observed: ``(n, nk, s1, s2)``.

        ``s1`` (k, d) and ``s2`` (k, d, d, dense) are about ``centres`` (k, d); ``resp`` the
        responsibilities, ``weights`` the rows' weights or None.
        """
        k, d = self.kernel.n_components, self.kernel.n_features
        w = np.ones(self.X.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
        w = np.where(self.observed, w, 0.0)
        wr = resp * w[:, None]  # (n, k)
        nk = wr.sum(axis=0)
        if self.kernel.diagonal:
            return float(w.sum()), nk, *self._diagonal_moments(wr, nk, centres)
        # about each component's mean first (the completed rows' deviations), then moved to the
        # centres in float64 (exact algebra; the means are near the centres)
        s1 = np.zeros((k, d))
        s2 = np.zeros((k, d, d))
        if self._groups:
            rows = np.concatenate([group.rows for group in self._groups])
            deviations = np.concatenate([group.deviations for group in self._groups], axis=1)  # (k, n, d)
            wr_rows = wr[rows]
            root = np.sqrt(wr_rows)
            for c in range(k):  # one symmetric BLAS product per component (B'B: syrk)
                s1[c] = wr_rows[:, c] @ deviations[c]
                scaled = deviations[c] * root[:, c, None]
                s2[c] = scaled.T @ scaled
            for group in self._groups:
                group.add_conditional_covariance(s2, wr[group.rows])
        return float(w.sum()), nk, *_FULL.moments_about(nk, s1, s2, self.kernel.means - centres)

    def _diagonal_moments(self, wr: np.ndarray, nk: np.ndarray, centres: np.ndarray):
        """Axis-aligned covariances: ``(s1, s2)`` about ``centres``; ``s2`` holds only the diagonal (all
        that these types' moments use) of the (k, d, d) moments.  A missing ``x_f`` counts as ``mu_kf``
        with variance ``var_kf``."""
        kernel = self.kernel
        observed, centred, squared = self._terms
        offsets = kernel.means - kernel.centre
        absent = wr.T @ (1.0 - observed)  # (k, d): mass of the missing values
        s1 = wr.T @ centred + absent * offsets
        s2 = wr.T @ squared + absent * (offsets**2 + kernel.variances)
        s1, s2 = _DIAG.moments_about(nk, s1, s2, kernel.centre - centres)
        dense = np.zeros((*s2.shape, s2.shape[1]))
        index = np.arange(s2.shape[1])
        dense[:, index, index] = s2
        return s1, dense


class _Group:
    """The rows of a chunk missing ``j`` values (0 < j < d).

    Each row's ``P_mm`` (per component) is factorised by a Cholesky decomposition vectorised
    over the rows and components (``j`` steps of whole-array operations: no per-row or
    per-pattern call), so the cost grows with the rows, not with the number of patterns.
    """

    def __init__(self, kernel: IncompleteKernel, X, missing, rows, j: int, out: IncompleteRows | None):
        k, d = kernel.n_components, kernel.n_features
        n = X.shape[0]
        miss = np.nonzero(missing)[1].reshape(n, j)  # each row's missing columns, increasing
        cells = (np.arange(n) * d)[:, None] + miss  # their positions in a row-major (n, d) array
        P = kernel.precisions
        z = X[None] - kernel.means[:, None, :]  # (k, n, d), then zero where missing
        z.reshape(k, n * d)[:, cells] = 0.0
        Pz = np.matmul(z, P)  # P symmetric: rows of (P z)'
        quad = np.einsum("knd,knd->kn", z, Pz)
        g = Pz.reshape(k, n * d)[:, cells]  # (P z)_m, (k, n, j)
        # P_mm of every row, (k, n, j, j); P_mm = L L' and M = L^-1, so P_mm^-1 = M'M, and delta = -M'(M g)
        if kernel.shared:  # tied: one factorisation per row, the same for every component
            M = np.broadcast_to(_lower_inverse(_cholesky(P[0][miss[:, :, None], miss[:, None, :]])), (k, n, j, j))
        else:
            M = _lower_inverse(_cholesky(P[:, miss[:, :, None], miss[:, None, :]]))
        self.inverse_factor = M
        Mg = np.sum(M * g[..., None, :], axis=-1)
        delta = -np.sum(M * Mg[..., :, None], axis=-2)
        quad -= np.sum(Mg * Mg, axis=-1)  # + g'delta
        # log det S_oo = log det S + log det P_mm = log det S - 2 sum log diag M
        log_det = kernel.log_det_covariances[:, None] - 2.0 * np.sum(
            np.log(np.diagonal(self.inverse_factor, axis1=-2, axis2=-1)), axis=-1)
        if out is not None:
            out.log_prob[rows] = (kernel.log_weights[:, None] - 0.5 * ((d - j) * _LOG_2PI + log_det + quad)).T
        z.reshape(k, n * d)[:, cells] = delta
        self.deviations = z  # E[x | x_o, k] - mu_k, (k, n, d)
        self.rows = rows
        self.miss = miss
        self.n_features = d

    def conditional_covariances(self, components=None, rows=None) -> np.ndarray:
        """``Cov(x_m | x_o, k) = P_mm^-1`` of every component and row, ``(k, n, j, j)`` (or of the
        given component of each given row, ``(n, j, j)``)."""
        M = self.inverse_factor if components is None else self.inverse_factor[components, rows]
        return np.matmul(np.swapaxes(M, -1, -2), M)

    def add_conditional_covariance(self, s2: np.ndarray, wr: np.ndarray) -> None:
        """``s2[k] += sum_i wr_ik Cov(x | x_o, k)``: each row's conditional covariance ``M'M`` in its missing
        block; ``wr`` (n, k) the group's rows' weighted responsibilities."""
        k, d = s2.shape[0], self.n_features
        M = self.inverse_factor
        values = np.matmul(np.swapaxes(M, -1, -2), M * wr.T[:, :, None, None])  # (k, n, j, j)
        cell = self.miss[:, :, None] * d + self.miss[:, None, :]  # (n, j, j): flat index in a (d, d) matrix
        index = cell[None] + (np.arange(k) * d * d)[:, None, None, None]
        s2 += np.bincount(index.ravel(), weights=values.ravel(), minlength=k * d * d).reshape(k, d, d)


def _cholesky(A: np.ndarray) -> np.ndarray:
    """Lower Cholesky factors of stacked small SPD matrices ``(..., j, j)``, vectorised over the stack."""
    j = A.shape[-1]
    L = np.zeros_like(A)
    for i in range(j):
        head = L[..., i, :i]
        L[..., i, i] = np.sqrt(A[..., i, i] - np.einsum("...c,...c->...", head, head))
        if i + 1 < j:
            below = A[..., i + 1:, i] - np.einsum("...rc,...c->...r", L[..., i + 1:, :i], head)
            L[..., i + 1:, i] = below / L[..., i, i, None]
    return L


def _lower_inverse(L: np.ndarray) -> np.ndarray:
    """Inverses of stacked lower triangular matrices ``(..., j, j)`` (also lower triangular)."""
    j = L.shape[-1]
    M = np.zeros_like(L)
    for r in range(j):
        M[..., r, r] = 1.0 / L[..., r, r]
        if r:
            M[..., r, :r] = -np.einsum("...c,...cb->...b", L[..., r, :r], M[..., :r, :r]) * M[..., r, r, None]
    return M


def missing_counts(X) -> np.ndarray:
    """``[rows with a missing value, rows with nothing observed]`` of a chunk (NumPy or tensor).

    Examples
    --------
    >>> missing_counts(np.array([[1.0, np.nan], [np.nan, np.nan], [1.0, 2.0]])).tolist()
    [2, 1]
    """
    if isinstance(X, np.ndarray):
        missing = np.isnan(X)
        return np.array([np.count_nonzero(missing.any(axis=1)), np.count_nonzero(missing.all(axis=1))])
    missing = X.isnan()
    return np.array([int(missing.any(dim=1).sum()), int(missing.all(dim=1).sum())])


def rows_for_init(X: np.ndarray, weights: np.ndarray | None, nan_policy: str):
    """The rows the seeding rules (k-means, ...) run on, which take no NaN: ``(X, weights)``.

    'omit': the complete rows.  'marginalize': the rows with something observed, each
    missing value filled with its feature's (weighted) mean over the rows observing it; the
    first M-step of EM proper then replaces these by conditional expectations.  A feature
    observed in no row is refused: nothing can be learnt about it.

    Examples
    --------
    >>> rows_for_init(np.array([[1.0, np.nan], [3.0, 4.0], [np.nan, np.nan]]), None, "marginalize")[0].tolist()
    [[1.0, 4.0], [3.0, 4.0]]
    """
    missing = np.isnan(X)
    if not missing.any():
        return X, weights
    if nan_policy == "omit":
        keep = ~missing.any(axis=1)
        if not keep.any():
            raise ValueError("nan_policy='omit' leaves no row to fit: every row holds a missing value (NaN). "
                             "nan_policy='marginalize' fits them.")
        return X[keep], None if weights is None else weights[keep]
    keep = ~missing.all(axis=1)
    X, missing = X[keep], missing[keep]
    w = np.ones(X.shape[0]) if weights is None else np.asarray(weights[keep], dtype=np.float64)
    observed_weight = w @ ~missing
    never = np.flatnonzero(observed_weight == 0)
    if never.size:
        raise ValueError(f"Feature {int(never[0])} has no observed value (in a row of positive weight): nothing "
                         "can be learnt about it. Drop that column.")
    means = (w @ np.where(missing, 0.0, X)) / observed_weight
    filled = np.where(missing, means.astype(X.dtype), X)
    return filled, None if weights is None else weights[keep]


def reduced_covariance_type(covariance_type: str) -> str:
    """The scikit-learn type holding a marginal or conditional of a ``covariance_type`` mixture exactly.

    A spherical form stays spherical, an axis-aligned one diagonal, a tied one tied; any other
    form is 'full' (a sub-block of mclust's constrained forms need not keep the constraint,
    e.g. equal volumes).

    Examples
    --------
    >>> [reduced_covariance_type(t) for t in ("EII", "VEI", "EEE", "VEV", "full")]
    ['spherical', 'diag', 'tied', 'full', 'full']
    """
    from ..covariance import canonical_name, get_covariance
    from ..covariance.diag import DiagCovariance
    from ..covariance.mclust import _DiagonalForm

    name = canonical_name(covariance_type)
    if name in ("spherical", "EII"):
        return "spherical"
    if name == "tied":
        return "tied"
    cov = get_covariance(name)
    if isinstance(cov, (DiagCovariance, _DiagonalForm)):
        return "diag"
    return "full"


def _from_dense(covariance_type: str, dense: np.ndarray) -> np.ndarray:
    """Covariances of a reduced type (see :func:`reduced_covariance_type`) from dense matrices (k, d, d)."""
    if covariance_type == "full":
        return 0.5 * (dense + np.swapaxes(dense, 1, 2))
    if covariance_type == "tied":
        return 0.5 * (dense[0] + dense[0].T)
    diagonal = np.diagonal(dense, axis1=1, axis2=2).copy()
    return diagonal if covariance_type == "diag" else diagonal[:, 0]


def marginal_params(params: MixtureParams, features: np.ndarray, covariance_type: str | None = None) -> MixtureParams:
    """The mixture of the ``features`` (column indices) alone: each component's sub-mean and sub-covariance.

    ``covariance_type``: the result's, by default :func:`reduced_covariance_type`'s ('full'
    always holds it).

    Examples
    --------
    >>> p = MixtureParams.from_covariances("diag", np.array([1.0]), np.array([[0.0, 5.0]]), np.array([[1.0, 4.0]]))
    >>> m = marginal_params(p, np.array([1]))
    >>> m.means.tolist(), m.covariances.tolist()
    ([[5.0]], [[4.0]])
    """
    k, d = params.means.shape
    target = covariance_type or reduced_covariance_type(params.covariance_type)
    dense = params.covariance.dense(params.covariances, k, d)[:, features[:, None], features[None, :]]
    return MixtureParams.from_covariances(target, params.weights, params.means[:, features],
                                          _from_dense(target, dense))


def conditional_params(params: MixtureParams, features: np.ndarray, values: np.ndarray) -> MixtureParams:
    """The mixture of the other features given ``x[features] = values``.

    Its weights are proportional to ``weight_k N(values | mu_k[f], S_k[f, f])``, its means
    the components' conditional means and its covariances their Schur complements: the
    quantities of a row observed at ``features`` (see :class:`IncompleteRows`).

    Examples
    --------
    >>> p = MixtureParams.from_covariances("full", np.array([1.0]), np.zeros((1, 2)),
    ...                                    np.array([[[1.0, 0.5], [0.5, 1.0]]]))
    >>> c = conditional_params(p, np.array([0]), np.array([1.0]))
    >>> c.means.round(12).tolist(), c.covariances.round(12).tolist()
    ([[0.5]], [[[0.75]]])
    """
    k, d = params.means.shape
    others = np.setdiff1d(np.arange(d), features)
    row = np.full((1, d), np.nan)
    row[0, features] = values
    rows = IncompleteKernel(params).evaluate(row)
    (group,) = rows._groups
    log_prob = rows.log_prob[0]
    weights = np.exp(log_prob - logsumexp(log_prob))
    target = reduced_covariance_type(params.covariance_type)
    means = rows.completed()[:, 0, others]
    return MixtureParams.from_covariances(target, weights, means,
                                          _from_dense(target, group.conditional_covariances()[:, 0]))


def counted_rows(nan_policy: str, X, log_density: np.ndarray) -> np.ndarray | None:
    """The rows of a chunk that count in a log-likelihood and its ``n``; None when all do.

    Under 'omit' a row with a missing value does not (its log-density is NaN); under
    'marginalize' a row with nothing observed does not (its log-density is 0, but it says
    nothing about the model).  ``log_density`` is NumPy, ``X`` NumPy or a tensor.

    Examples
    --------
    >>> X = np.array([[1.0, np.nan], [np.nan, np.nan], [1.0, 2.0]])
    >>> counted_rows("marginalize", X, np.array([-1.0, 0.0, -2.0])).tolist()
    [True, False, True]
    """
    if nan_policy == "raise":
        return None
    counted = ~np.isnan(log_density)
    if nan_policy == "marginalize":
        nothing = _xp.to_numpy(X.isnan().all(dim=1)) if _xp.is_torch(X) else np.isnan(X).all(axis=1)
        counted &= ~nothing
    return counted


def counted_terms(nan_policy: str, X, log_density: np.ndarray, weights):
    """``(log_density, weights)`` of a chunk with the rows that take no part in a fit (see
    :func:`counted_rows`) given log-density 0 and weight 0; unchanged when every row counts.

    Examples
    --------
    >>> X = np.array([[1.0, np.nan], [np.nan, np.nan]])
    >>> [a.tolist() for a in counted_terms("marginalize", X, np.array([-1.0, 0.0]), None)]
    [[-1.0, 0.0], [1.0, 0.0]]
    """
    counted = counted_rows(nan_policy, X, log_density)
    if counted is None:
        return log_density, weights
    weights = counted.astype(np.float64) if weights is None else np.where(
        counted, _xp.to_numpy(weights).astype(np.float64), 0.0)
    return np.where(counted, log_density, 0.0), weights
