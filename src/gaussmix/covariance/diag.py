"""Diagonal covariances: one variance per feature and component."""

from __future__ import annotations

import numpy as np

from ._common import check_positive, check_shape, to_float_array, variances_precisions_cholesky
from .base import CovarianceType


class DiagCovariance(CovarianceType):
    """``covariances_`` of shape ``(n_components, n_features)``."""

    name = "diag"

    def shape(self, n_components, n_features):
        return (n_components, n_features)

    def n_parameters(self, n_components, n_features):
        return n_components * n_features

    def precisions_cholesky(self, covariances):
        return variances_precisions_cholesky(covariances)

    def precisions_cholesky_from_precisions(self, precisions):
        return np.sqrt(precisions)

    def precisions(self, precisions_cholesky):
        return precisions_cholesky**2

    def covariances_from_cholesky(self, precisions_cholesky):
        return 1.0 / precisions_cholesky**2

    def log_det_cholesky(self, precisions_cholesky, n_components, n_features):
        return np.sum(np.log(precisions_cholesky), axis=1)

    def check_precisions(self, precisions, n_components, n_features):
        precisions = to_float_array(precisions, "precisions_init")
        check_shape(precisions, self.shape(n_components, n_features), "precisions_init", self.name)
        check_positive(precisions, "precisions_init")
        return precisions

    def prepare(self, means_c, precisions_cholesky, dtype):
        prec = precisions_cholesky**2
        return (
            np.ascontiguousarray(prec.T, dtype=dtype),
            np.ascontiguousarray((means_c * prec).T, dtype=dtype),
            np.sum(means_c**2 * prec, axis=1).astype(dtype),
        )

    def squared_mahalanobis(self, Xc, prepared):
        prec_t, scaled_means_t, offsets_sq = prepared
        maha = (Xc * Xc) @ prec_t
        maha -= 2.0 * (Xc @ scaled_means_t)
        maha += offsets_sq
        return np.maximum(maha, 0.0, out=maha)

    def second_moment(self, Xc, wresp, weights):
        return (wresp.T @ (Xc * Xc)).astype(np.float64)

    def covariances_from_moments(self, nk, nk_reg, s1, s2, m, reg_covar):
        # Scatter about the new means, per feature; clipped at zero so rounding can never
        # produce a negative variance.
        scatter = s2 - 2.0 * m * s1 + nk[:, None] * m * m
        return np.maximum(scatter, 0.0) / nk_reg[:, None] + reg_covar

    def sample(self, rng, means, covariances, counts):
        n_features = means.shape[1]
        return np.vstack(
            [
                mean + rng.standard_normal(size=(int(count), n_features)) * np.sqrt(cov)
                for mean, cov, count in zip(means, covariances, counts)
            ]
        )
