"""Full covariances: one unrestricted ``d x d`` matrix per component."""

from __future__ import annotations

import numpy as np

from . import _linalg
from ._common import check_shape, to_float_array
from .base import CovarianceType


class FullCovariance(CovarianceType):
    """``covariances_`` of shape ``(n_components, n_features, n_features)``."""

    name = "full"

    def shape(self, n_components, n_features):
        return (n_components, n_features, n_features)

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
        _linalg.check_symmetric_positive_definite(precisions, "precisions_init")
        return precisions

    def prepare(self, means_c, precisions_cholesky, dtype):
        k, d, _ = precisions_cholesky.shape
        # All components in one product: columns k*d + j hold U_k[:, j].
        stacked = np.ascontiguousarray(precisions_cholesky.transpose(1, 0, 2).reshape(d, k * d), dtype=dtype)
        offsets = np.einsum("ki,kij->kj", means_c, precisions_cholesky).reshape(k * d).astype(dtype)
        return stacked, offsets, k, d

    def squared_mahalanobis(self, Xc, prepared):
        stacked, offsets, k, d = prepared
        y = Xc @ stacked
        y -= offsets
        np.square(y, out=y)
        return y.reshape(Xc.shape[0], k, d).sum(axis=2)

    def second_moment(self, Xc, wresp, weights):
        k = wresp.shape[1]
        d = Xc.shape[1]
        out = np.empty((k, d, d), dtype=np.float64)
        for j in range(k):
            out[j] = (Xc * wresp[:, j : j + 1]).T @ Xc
        return out

    def covariances_from_moments(self, nk, nk_reg, s1, s2, m, reg_covar):
        # Scatter about the new means: s2 - s1 m^T - m s1^T + nk m m^T, exact for any shift.
        cross = s1[:, :, None] * m[:, None, :]
        scatter = s2 - cross - np.swapaxes(cross, 1, 2) + nk[:, None, None] * (m[:, :, None] * m[:, None, :])
        covariances = _linalg.symmetrize(scatter / nk_reg[:, None, None])
        return _linalg.add_to_diagonal(covariances, reg_covar)

    def sample(self, rng, means, covariances, counts):
        return np.vstack(
            [rng.multivariate_normal(mean, cov, int(count)) for mean, cov, count in zip(means, covariances, counts)]
        )
