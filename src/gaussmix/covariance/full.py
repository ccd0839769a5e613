"""Full covariances: one unrestricted ``d x d`` matrix per component."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.linalg import solve_triangular

from .. import _xp
from . import _linalg
from ._common import check_shape, to_float_array
from .base import CovarianceType


@lru_cache(maxsize=None)
def _upper(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the upper triangle, in the quadratic features' order (read-only,
    cached: every chunk's statistics unpack with them, and building them holds the GIL)."""
    rows, cols = np.triu_indices(d)
    rows.flags.writeable = cols.flags.writeable = False
    return rows, cols


class FullCovariance(CovarianceType):
    """``covariances_`` of shape ``(n_components, n_features, n_features)``."""

    name = "full"

    def shape(self, n_components, n_features):
        return (n_components, n_features, n_features)

    def identity(self, n_components, n_features):
        return np.broadcast_to(np.eye(n_features), self.shape(n_components, n_features)).copy()

    def n_parameters(self, n_components, n_features):
        return n_components * n_features * (n_features + 1) // 2

    def precisions_cholesky(self, covariances):
        return _linalg.precisions_cholesky_from_covariances(covariances)

    def precisions_cholesky_from_precisions(self, precisions):
        return _linalg.precisions_cholesky_from_precisions(precisions)

    def precisions(self, precisions_cholesky):
        return precisions_cholesky @ np.swapaxes(precisions_cholesky, -1, -2)

    def covariances_from_cholesky(self, precisions_cholesky):
        return _linalg.covariances_from_precisions_cholesky(precisions_cholesky)

    def log_det_cholesky(self, precisions_cholesky, n_components, n_features):
        diag = np.diagonal(precisions_cholesky, axis1=-2, axis2=-1)
        return np.sum(np.log(diag), axis=1)

    def check_precisions(self, precisions, n_components, n_features):
        precisions = to_float_array(precisions, "precisions_init")
        check_shape(precisions, self.shape(n_components, n_features), "precisions_init", self.name)
        _linalg.check_symmetric_positive_definite(precisions, "precisions_init", self.name)
        return precisions

    def n_quadratic(self, n_features):
        return n_features * (n_features + 1) // 2

    def quadratic_features(self, XcT, out):
        # Products x_i x_j for i <= j, row by row of the upper triangle: q = d(d+1)/2.
        d = XcT.shape[0]
        offset = 0
        for i in range(d):
            _xp.multiply_into(XcT[i], XcT[i:], out[offset : offset + d - i])
            offset += d - i

    def quadratic_coefficients(self, precisions_cholesky, n_components, n_features):
        rows, cols = _upper(n_features)
        precisions = self.precisions(precisions_cholesky)
        return precisions[:, rows, cols] * np.where(rows == cols, 1.0, 2.0)

    def precision_dot(self, means_c, precisions_cholesky):
        return np.einsum("kij,kj->ki", self.precisions(precisions_cholesky), means_c)

    def second_moment(self, quadratic_moments, XcT, weights):
        k = quadratic_moments.shape[0]
        d = XcT.shape[0]
        rows, cols = _upper(d)
        out = np.empty((k, d, d), dtype=np.float64)
        out[:, rows, cols] = quadratic_moments
        out[:, cols, rows] = quadratic_moments
        return out

    def whiten_rows(self, centred, precisions_cholesky):
        return centred @ precisions_cholesky  # y' = (x - c)' U

    def whitened_moments(self, Y, weighted):
        return weighted.mT @ Y

    def unwhitening(self, precisions_cholesky):
        # y = U'(x - c), so x - c = V y with V = inv(U)'
        eye = np.eye(precisions_cholesky.shape[-1])
        out = np.empty_like(precisions_cholesky)
        for k, u in enumerate(precisions_cholesky):
            out[k] = solve_triangular(u, eye, lower=False, check_finite=False).T
        return out

    def unwhiten(self, s1_y, s2_y, unwhitening):
        s1 = np.einsum("kab,kb->ka", unwhitening, s1_y)
        return s1, _linalg.symmetrize(unwhitening @ s2_y @ np.swapaxes(unwhitening, 1, 2))

    def moments_from_dense(self, s2_dense):
        return s2_dense

    def moments_about(self, nk, s1, s2, offset):
        cross = s1[:, :, None] * offset[:, None, :]
        outer = offset[:, :, None] * offset[:, None, :]
        return s1 + nk[:, None] * offset, s2 + cross + np.swapaxes(cross, 1, 2) + nk[:, None, None] * outer

    def wishart_posterior(self, nk, sk, diff, shrink, covariance_prior, degrees_of_freedom_prior):
        dof = degrees_of_freedom_prior + nk
        outer = diff[:, :, None] * diff[:, None, :]
        scale = covariance_prior + nk[:, None, None] * sk + (nk * shrink)[:, None, None] * outer
        return scale / dof[:, None, None], dof

    def quadratic_total(self, nk, s1, s2, offsets, precisions_cholesky):
        cross = s1[:, :, None] * offsets[:, None, :]
        scatter = s2 - cross - np.swapaxes(cross, 1, 2) + nk[:, None, None] * (offsets[:, :, None] * offsets[:, None, :])
        return float(np.sum(self.precisions(precisions_cholesky) * scatter))

    def covariances_from_moments(self, nk, nk_reg, s1, s2, m, reg_covar, start=None):
        # Scatter about the new means: s2 - s1 m^T - m s1^T + nk m m^T, exact for any shift.
        cross = s1[:, :, None] * m[:, None, :]
        scatter = s2 - cross - np.swapaxes(cross, 1, 2) + nk[:, None, None] * (m[:, :, None] * m[:, None, :])
        # Rounding (float32 chunks, a component collapsed far from the shift) can leave a
        # scatter slightly indefinite: variances are clipped at zero, and a matrix that
        # still has no Cholesky factor is repaired, before reg_covar counts.
        _linalg.clip_diagonal_at_zero(scatter)
        covariances = _linalg.symmetrize(scatter / nk_reg[:, None, None])
        return _linalg.repair_rounding(_linalg.add_to_diagonal(covariances, reg_covar), reg_covar)

    def split(self, covariances, k, j, reg_covar, n_features):
        offset, half = _linalg.split_along(covariances[k], reg_covar)
        covariances = np.array(covariances)
        covariances[k] = covariances[j] = half
        return offset, covariances

    def dense(self, covariances, n_components, n_features):
        return np.array(covariances)

    def sample(self, rng, means, covariances, counts):
        # The covariances were factorised when fitted, so they are positive definite; NumPy's own
        # check (a reconstruction to 1e-8) would warn about ill-conditioned ones. The draws are the same.
        return np.vstack(
            [rng.multivariate_normal(mean, cov, int(count), check_valid="ignore")
             for mean, cov, count in zip(means, covariances, counts)]
        )
