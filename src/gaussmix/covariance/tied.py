"""Tied covariance: one ``d x d`` matrix shared by every component."""

from __future__ import annotations

import numpy as np

from .. import _xp
from . import _linalg
from ._common import check_shape, to_float_array
from .base import CovarianceType
from .full import FullCovariance


class TiedCovariance(CovarianceType):
    """``covariances_`` of shape ``(n_features, n_features)``."""

    name = "tied"

    def shape(self, n_components, n_features):
        return (n_features, n_features)

    def identity(self, n_components, n_features):
        return np.broadcast_to(np.eye(n_features), self.shape(n_components, n_features)).copy()

    def n_parameters(self, n_components, n_features):
        return n_features * (n_features + 1) // 2

    def precisions_cholesky(self, covariances):
        return _linalg.precisions_cholesky_from_covariances(covariances[None], names=["the tied covariance"])[0]

    def precisions_cholesky_from_precisions(self, precisions):
        return _linalg.precisions_cholesky_from_precisions(precisions[None])[0]

    def precisions(self, precisions_cholesky):
        return precisions_cholesky @ precisions_cholesky.T

    def covariances_from_cholesky(self, precisions_cholesky):
        return _linalg.covariances_from_precisions_cholesky(precisions_cholesky[None])[0]

    def log_det_cholesky(self, precisions_cholesky, n_components, n_features):
        return np.full(n_components, np.sum(np.log(np.diag(precisions_cholesky))))

    def check_precisions(self, precisions, n_components, n_features):
        precisions = to_float_array(precisions, "precisions_init")
        check_shape(precisions, self.shape(n_components, n_features), "precisions_init", self.name)
        _linalg.check_symmetric_positive_definite(precisions[None], "precisions_init", self.name)
        return precisions

    def n_quadratic(self, n_features):
        return 0

    def quadratic_features(self, XcT, out):
        pass

    def quadratic_coefficients(self, precisions_cholesky, n_components, n_features):
        return np.zeros((n_components, 0))

    def precision_dot(self, means_c, precisions_cholesky):
        return means_c @ self.precisions(precisions_cholesky)

    def row_quadratic_factor(self, precisions_cholesky):
        # x' P x is the same for every component: computed once per row, not per component.
        return precisions_cholesky

    def second_moment(self, quadratic_moments, XcT, weights):
        # The responsibilities of a row sum to one, so the total scatter needs only the
        # row weights: one product instead of one per component.  (For the one-row
        # seeding rules, whose responsibilities do not sum to one, this is the total
        # scatter of all rows: scikit-learn's broad initial tied covariance.)
        # A d x d product, cheap next to the E-step: float64 keeps float32 data accurate.
        # (Computed where the rows live, e.g. on the GPU, and brought back to the host.)
        XcT = _xp.astype(XcT, np.float64)
        weighted = XcT if weights is None else XcT * _xp.astype(weights, np.float64)
        return _xp.to_host_float64(weighted @ XcT.T)

    # Never used (a quadratic form shared by all components is never centred on one, see
    # EStep), but one component of a tied mixture is a full Gaussian: the full type's code.
    whiten_rows = FullCovariance.whiten_rows
    whitened_moments = FullCovariance.whitened_moments
    unwhitening = FullCovariance.unwhitening
    unwhiten = FullCovariance.unwhiten
    moments_about = FullCovariance.moments_about

    def wishart_posterior(self, nk, sk, diff, shrink, covariance_prior, degrees_of_freedom_prior):
        # One precision for all: the components' masses pooled and shared out equally.
        k = nk.shape[0]
        dof = degrees_of_freedom_prior + nk.sum() / k
        scale = covariance_prior + sk * (nk.sum() / k) + ((nk * shrink) * diff.T) @ diff / k
        return scale / dof, float(dof)

    def quadratic_total(self, nk, s1, s2, offsets, precisions_cholesky):
        cross = s1.T @ offsets
        scatter = s2 - cross - cross.T + (offsets.T * nk) @ offsets
        return float(np.sum(self.precisions(precisions_cholesky) * scatter))

    def covariances_from_moments(self, nk, nk_reg, s1, s2, m, reg_covar, start=None):
        # Within-component scatter = total scatter about the shift minus the scatter of
        # the component means about it (weighted by nk), all in float64.
        cross = s1.T @ m
        scatter = s2 - cross - cross.T + (m.T * nk) @ m
        # See FullCovariance: rounding must not leave the shared scatter indefinite.
        _linalg.clip_diagonal_at_zero(scatter)
        covariance = _linalg.symmetrize(scatter / nk_reg.sum())
        return _linalg.repair_rounding(_linalg.add_to_diagonal(covariance, reg_covar)[None], reg_covar)[0]

    def split(self, covariances, k, j, reg_covar, n_features):
        # The shared covariance cannot narrow for one component: only the means move apart.
        offset, _ = _linalg.split_along(covariances, reg_covar)
        return offset, np.array(covariances)

    def moments_from_dense(self, s2_dense):
        return s2_dense.sum(axis=0)  # the total scatter: every component's share

    def dense(self, covariances, n_components, n_features):
        return np.repeat(np.asarray(covariances)[None], n_components, axis=0)

    def sample(self, rng, means, covariances, counts):
        # Positive definite (factorised when fitted): NumPy's 1e-8 reconstruction check would warn
        # about an ill-conditioned one. The draws are the same.
        return np.vstack([rng.multivariate_normal(mean, covariances, int(count), check_valid="ignore")
                          for mean, count in zip(means, counts)])
