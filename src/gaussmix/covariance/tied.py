"""Tied covariance: one ``d x d`` matrix shared by every component."""

from __future__ import annotations

import numpy as np

from . import _linalg
from ._common import check_shape, to_float_array
from .base import CovarianceType


class TiedCovariance(CovarianceType):
    """``covariances_`` of shape ``(n_features, n_features)``."""

    name = "tied"

    def shape(self, n_components, n_features):
        return (n_features, n_features)

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
        _linalg.check_symmetric_positive_definite(precisions[None], "precisions_init")
        return precisions

    def prepare(self, means_c, precisions_cholesky, dtype):
        offsets = means_c @ precisions_cholesky  # (k, d): the means in whitened coordinates
        return (
            np.ascontiguousarray(precisions_cholesky, dtype=dtype),
            np.ascontiguousarray(offsets.T, dtype=dtype),
            np.sum(offsets * offsets, axis=1).astype(dtype),
        )

    def squared_mahalanobis(self, Xc, prepared):
        chol, offsets_t, offsets_sq = prepared
        y = Xc @ chol
        # |y - b_k|^2 = |y|^2 - 2 y.b_k + |b_k|^2: one product for all components.
        maha = y @ offsets_t
        maha *= -2.0
        maha += np.einsum("ij,ij->i", y, y)[:, None]
        maha += offsets_sq
        return np.maximum(maha, 0.0, out=maha)

    def second_moment(self, Xc, wresp, weights):
        # The responsibilities of a row sum to one, so the total scatter needs only the
        # row weights: one product instead of one per component.  (For the one-row
        # seeding rules, whose responsibilities do not sum to one, this is the total
        # scatter of all rows: scikit-learn's broad initial tied covariance.)
        weighted = Xc if weights is None else Xc * weights[:, None]
        return (weighted.T @ Xc).astype(np.float64)

    def covariances_from_moments(self, nk, nk_reg, s1, s2, m, reg_covar):
        # Within-component scatter = total scatter about the shift minus the scatter of
        # the component means about it (weighted by nk), all in float64.
        cross = s1.T @ m
        scatter = s2 - cross - cross.T + (m.T * nk) @ m
        covariance = _linalg.symmetrize(scatter / nk_reg.sum())
        return _linalg.add_to_diagonal(covariance, reg_covar)

    def sample(self, rng, means, covariances, counts):
        return np.vstack([rng.multivariate_normal(mean, covariances, int(count)) for mean, count in zip(means, counts)])
