"""Spherical covariances: one variance per component, shared by all features."""

from __future__ import annotations

import numpy as np

from .. import _xp
from ._common import scatter_about_means
from ._linalg import SPLIT_SHARE
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

    def n_quadratic(self, n_features):
        return 1

    def quadratic_features(self, XcT, out):
        # Squared norms: a (1, d) x (d, n) product would do the same in one call, but
        # the column sums of the squares keep the rounding of a plain sum.
        _xp.sum_rows_into(XcT * XcT, out[0])

    def quadratic_coefficients(self, precisions_cholesky, n_components, n_features):
        return (precisions_cholesky**2)[:, None]

    def precision_dot(self, means_c, precisions_cholesky):
        return means_c * (precisions_cholesky**2)[:, None]

    def second_moment(self, quadratic_moments, XcT, weights):
        return quadratic_moments[:, 0]

    def whiten_rows(self, centred, precisions_cholesky):
        return centred * precisions_cholesky[:, None, None]

    def whitened_moments(self, Y, weighted):
        return _xp.namespace(Y).sum(weighted * Y, axis=(1, 2))

    # unwhitening: the diagonal case's (one factor per component)

    def unwhiten(self, s1_y, s2_y, unwhitening):
        return s1_y * unwhitening[:, None], s2_y * unwhitening**2

    def moments_from_dense(self, s2_dense):
        return np.trace(s2_dense, axis1=1, axis2=2)

    def moments_about(self, nk, s1, s2, offset):
        return s1 + nk[:, None] * offset, s2 + 2.0 * np.sum(s1 * offset, axis=1) + nk * np.sum(offset**2, axis=1)

    def split(self, covariances, k, j, reg_covar, n_features):
        # A spherical covariance has no principal axis (nor do its statistics say which
        # direction the rows spread along): the halves move apart along the diagonal
        # (1, ..., 1) / sqrt(d), which separates them in every feature, and share the
        # variance so that the pair keeps the component's total variance.
        covariances = np.array(covariances)
        excess = max(covariances[k] - reg_covar, 0.0)
        offset = np.full(n_features, np.sqrt(SPLIT_SHARE * excess / n_features))
        covariances[k] -= SPLIT_SHARE * excess / n_features
        covariances[j] = covariances[k]
        return offset, covariances

    def dense(self, covariances, n_components, n_features):
        return np.asarray(covariances)[:, None, None] * np.eye(n_features)

    def wishart_posterior(self, nk, sk, diff, shrink, covariance_prior, degrees_of_freedom_prior):
        dof = degrees_of_freedom_prior + nk
        scale = covariance_prior + nk * (sk + shrink * np.mean(diff**2, axis=1))
        return scale / dof, dof

    def quadratic_total(self, nk, s1, s2, offsets, precisions_cholesky):
        scatter = s2 - 2.0 * np.sum(s1 * offsets, axis=1) + nk * np.sum(offsets**2, axis=1)
        return float(np.sum(precisions_cholesky**2 * scatter))

    def covariances_from_moments(self, nk, nk_reg, s1, s2, m, reg_covar, start=None):
        n_features = s1.shape[1]
        scatter = scatter_about_means(s2, np.sum(m * s1, axis=1), nk * np.sum(m * m, axis=1))
        return scatter / (n_features * nk_reg) + reg_covar
