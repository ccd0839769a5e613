"""The M-step: new parameters from summed statistics."""

from __future__ import annotations

import numpy as np

from ..covariance import get_covariance
from .params import MixtureParams
from .stats import SufficientStats


def nk_floor(dtype) -> float:
    """The tiny mass added to each component's count so empty components stay finite.

    Ten machine epsilons of the data's dtype, as scikit-learn adds.
    """
    return 10.0 * float(np.finfo(np.dtype(dtype)).eps)


def mstep(
    stats: SufficientStats,
    covariance_type: str,
    reg_covar: float,
    floor: float,
    weights_total: float | None = None,
) -> MixtureParams:
    """Maximum-likelihood parameters from statistics.

    Parameters
    ----------
    stats : SufficientStats
        Summed over all rows.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    reg_covar : float
        Added to the diagonal of every covariance.
    floor : float
        Added to each component's mass before dividing (see :func:`nk_floor`).
    weights_total : float, optional
        Divide the masses by this instead of their sum. The initialization passes the
        total row weight, as scikit-learn does (so its first lower bound matches).

    Returns
    -------
    MixtureParams

    Raises
    ------
    CovarianceError
        When a covariance is not positive definite even after ``reg_covar``.
    """
    nk_reg, m, weights, means = weights_and_means(stats, floor, weights_total)
    covariances = get_covariance(covariance_type).covariances_from_moments(
        stats.nk, nk_reg, stats.s1, stats.s2, m, reg_covar
    )
    return MixtureParams.from_covariances(covariance_type, weights, means, covariances)


def weights_and_means(
    stats: SufficientStats, floor: float, weights_total: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The M-step's floored masses ``nk + floor``, means minus the shift, weights and means."""
    nk_reg = stats.nk + floor
    m = stats.s1 / nk_reg[:, None]
    total = nk_reg.sum() if weights_total is None else weights_total
    return nk_reg, m, nk_reg / total, stats.shift + m
