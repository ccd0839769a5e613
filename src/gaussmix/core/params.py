"""The parameters of a fitted mixture, as one immutable value."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..covariance import CovarianceType, get_covariance


def n_free_parameters(covariance_type: str, n_components: int, n_features: int) -> int:
    """Free parameters of a mixture: covariances + means + (weights - 1), as scikit-learn counts them.

    Examples
    --------
    >>> n_free_parameters("full", 3, 2)
    17
    """
    k, d = n_components, n_features
    return int(get_covariance(covariance_type).n_parameters(k, d) + k * d + k - 1)


def information_criteria(log_likelihood: float, n: float, n_parameters: int) -> tuple[float, float]:
    """``(BIC, AIC)`` of a model: ``-2 log L + p log n`` and ``-2 log L + 2 p``.

    ``log_likelihood`` is the (weighted) total over the rows and ``n`` the number of rows
    or the sum of the sample weights.

    Examples
    --------
    >>> information_criteria(-100.0, 50, 5)
    (219.56011502714074, 210.0)
    """
    return -2.0 * log_likelihood + n_parameters * math.log(n), -2.0 * log_likelihood + 2 * n_parameters


@dataclass(frozen=True, eq=False)
class MixtureParams:
    """Weights, means and covariances of a Gaussian mixture (float64).

    Parameters
    ----------
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
    covariances : ndarray
        ``(k, d, d)`` full, ``(d, d)`` tied, ``(k, d)`` diag, ``(k,)`` spherical.
    precisions_cholesky : ndarray, same shape as ``covariances``
        Upper Cholesky factors of the precisions (scikit-learn's convention).
    log_weights : ndarray of shape (n_components,), optional
        What the E-step adds to each component's log-density, when not ``log(weights)``:
        a variational E-step's expected log-weight plus its expectation terms (see
        :mod:`gaussmix.core.variational`).  ``weights`` stay the mixture's weights.

    Examples
    --------
    >>> import numpy as np
    >>> p = MixtureParams.from_covariances("spherical", np.array([0.5, 0.5]),
    ...                                    np.array([[0.0], [3.0]]), np.array([1.0, 4.0]))
    >>> p.precisions_cholesky
    array([1. , 0.5])
    """

    covariance_type: str
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray
    log_weights: np.ndarray | None = None

    @property
    def covariance(self) -> CovarianceType:
        """The covariance type object from the registry."""
        return get_covariance(self.covariance_type)

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    @property
    def n_features(self) -> int:
        return self.means.shape[1]

    @classmethod
    def from_covariances(cls, covariance_type, weights, means, covariances) -> "MixtureParams":
        """Build the value, factorising the covariances (raises ``CovarianceError``)."""
        covariances = np.asarray(covariances, dtype=np.float64)
        chol = get_covariance(covariance_type).precisions_cholesky(covariances)
        return cls._build(covariance_type, weights, means, covariances, chol)

    @classmethod
    def from_precisions_cholesky(cls, covariance_type, weights, means, precisions_cholesky) -> "MixtureParams":
        """Build the value from Cholesky factors of precisions; covariances are derived."""
        chol = np.asarray(precisions_cholesky, dtype=np.float64)
        covariances = get_covariance(covariance_type).covariances_from_cholesky(chol)
        return cls._build(covariance_type, weights, means, covariances, chol)

    @classmethod
    def _build(cls, covariance_type, weights, means, covariances, chol) -> "MixtureParams":
        return cls(covariance_type, np.asarray(weights, dtype=np.float64), np.asarray(means, dtype=np.float64),
                   covariances, chol)

    @property
    def precisions(self) -> np.ndarray:
        """Inverse covariances, same shape as ``covariances``."""
        return self.covariance.precisions(self.precisions_cholesky)

    def n_parameters(self) -> int:
        """Free parameters: covariances + means + (weights - 1), as scikit-learn counts them."""
        return n_free_parameters(self.covariance_type, *self.means.shape)

    def default_shift(self) -> np.ndarray:
        """The mixture's mean, ``weights @ means / sum(weights)``: the centring of the next E-step."""
        return (self.weights @ self.means) / np.sum(self.weights)

    def normalised(self) -> "MixtureParams":
        """The same parameters with weights scaled to sum to one."""
        return MixtureParams(self.covariance_type, self.weights / np.sum(self.weights), self.means,
                             self.covariances, self.precisions_cholesky, self.log_weights)

    def e_step_log_weights(self) -> np.ndarray:
        """What the E-step adds to each component's log-density: ``log_weights``, else ``log(weights)``."""
        if self.log_weights is not None:
            return np.asarray(self.log_weights, dtype=np.float64)
        with np.errstate(divide="ignore"):  # a zero weight is allowed: its component gets nothing
            return np.log(self.weights)
