"""Spherical covariances: one variance per component, shared by all features."""

from __future__ import annotations

import numpy as np

from .diag import DiagCovariance


class SphericalCovariance(DiagCovariance):
    """``covariances_`` of shape ``(n_components,)``.

    Factorisation, validation and sampling are the diagonal case with one variance
    broadcast over the features, so they are inherited.
    """

    name = "spherical"

    def shape(self, n_components, n_features):
        return (n_components,)

    def n_parameters(self, n_components, n_features):
        return n_components

    def log_det_cholesky(self, precisions_cholesky, n_components, n_features):
        return n_features * np.log(precisions_cholesky)

    def prepare(self, means_c, precisions_cholesky, dtype):
        prec = precisions_cholesky**2
        return (
            prec.astype(dtype),
            np.ascontiguousarray((means_c * prec[:, None]).T, dtype=dtype),
            (np.sum(means_c**2, axis=1) * prec).astype(dtype),
        )

    def squared_mahalanobis(self, Xc, prepared):
        prec, scaled_means_t, offsets_sq = prepared
        maha = np.einsum("ij,ij->i", Xc, Xc)[:, None] * prec
        maha -= 2.0 * (Xc @ scaled_means_t)
        maha += offsets_sq
        return np.maximum(maha, 0.0, out=maha)

    def second_moment(self, Xc, wresp, weights):
        return (wresp.T @ np.einsum("ij,ij->i", Xc, Xc)).astype(np.float64)

    def covariances_from_moments(self, nk, nk_reg, s1, s2, m, reg_covar):
        n_features = s1.shape[1]
        scatter = s2 - 2.0 * np.sum(m * s1, axis=1) + nk * np.sum(m * m, axis=1)
        return np.maximum(scatter, 0.0) / (n_features * nk_reg) + reg_covar
