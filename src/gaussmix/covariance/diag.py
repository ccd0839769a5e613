"""Diagonal covariances: one variance per feature and component."""

from __future__ import annotations

import numpy as np

from .. import _xp
from ._linalg import SPLIT_SHARE
from ._common import check_positive, check_shape, scatter_about_means, to_float_array, variances_precisions_cholesky
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
        check_positive(precisions, "precisions_init", self.name)
        return precisions

    def n_quadratic(self, n_features):
        return n_features

    def quadratic_features(self, XcT, out):
        _xp.multiply_into(XcT, XcT, out)

    def quadratic_coefficients(self, precisions_cholesky, n_components, n_features):
        return precisions_cholesky**2

    def precision_dot(self, means_c, precisions_cholesky):
        return means_c * precisions_cholesky**2

    def second_moment(self, quadratic_moments, XcT, weights):
        return quadratic_moments

    def whiten_rows(self, centred, precisions_cholesky):
        return centred * precisions_cholesky[:, None, :]

    def whitened_moments(self, Y, weighted):
        return _xp.namespace(Y).sum(weighted * Y, axis=1)

    def unwhitening(self, precisions_cholesky):
        return 1.0 / precisions_cholesky

    def unwhiten(self, s1_y, s2_y, unwhitening):
        return s1_y * unwhitening, s2_y * unwhitening**2

    def moments_from_dense(self, s2_dense):
        return np.diagonal(s2_dense, axis1=1, axis2=2).copy()

    def moments_about(self, nk, s1, s2, offset):
        return s1 + nk[:, None] * offset, s2 + 2.0 * s1 * offset + nk[:, None] * offset**2

    def wishart_posterior(self, nk, sk, diff, shrink, covariance_prior, degrees_of_freedom_prior):
        dof = degrees_of_freedom_prior + nk
        scale = covariance_prior + nk[:, None] * (sk + shrink[:, None] * diff**2)
        return scale / dof[:, None], dof

    def quadratic_total(self, nk, s1, s2, offsets, precisions_cholesky):
        scatter = s2 - 2.0 * s1 * offsets + nk[:, None] * offsets**2
        return float(np.sum(precisions_cholesky**2 * scatter))

    def covariances_from_moments(self, nk, nk_reg, s1, s2, m, reg_covar, start=None):
        # Scatter about the new means, per feature; never below its rounding, so it is never
        # negative (and zero only when it is exactly zero).
        scatter = scatter_about_means(s2, m * s1, nk[:, None] * m * m)
        return scatter / nk_reg[:, None] + reg_covar

    def split(self, covariances, k, j, reg_covar, n_features):
        # The principal axis of a diagonal covariance is the feature of largest variance.
        covariances = np.array(covariances)
        axis = int(np.argmax(covariances[k]))
        excess = max(covariances[k, axis] - reg_covar, 0.0)
        offset = np.zeros(n_features)
        offset[axis] = np.sqrt(SPLIT_SHARE * excess)
        covariances[k, axis] -= SPLIT_SHARE * excess
        covariances[j] = covariances[k]
        return offset, covariances

    def dense(self, covariances, n_components, n_features):
        return np.asarray(covariances)[:, :, None] * np.eye(n_features)

    def sample(self, rng, means, covariances, counts):
        n_features = means.shape[1]
        return np.vstack(
            [
                mean + rng.standard_normal(size=(int(count), n_features)) * np.sqrt(cov)
                for mean, cov, count in zip(means, covariances, counts)
            ]
        )
