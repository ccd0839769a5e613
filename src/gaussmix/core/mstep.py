"""The M-step: new parameters from summed statistics.

:func:`mstep` is the plain maximum-likelihood step.  :func:`mstep_reseeding` is the
step EM takes at every iteration: the same, except that a component that lost all its
mass is re-seeded (see :func:`reseed_empty`) instead of being left as a point of zero
weight.  Both work from the statistics alone, so they cost no pass over the data and
behave the same for every source (arrays, files, Dask, tensors, ``select``'s shared
passes, ``partial_fit``).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..covariance import get_covariance
from ..exceptions import CovarianceError, EmptyComponentWarning
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
    ValueError
        When the statistics are not finite: the data's values (or weights) are so
        large that their squares overflow.

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix.covariance import get_covariance
    >>> X, resp = np.array([[0.0], [2.0]]), np.ones((2, 1))
    >>> stats = SufficientStats.from_responsibilities(get_covariance("diag"), X, resp, None, np.zeros(1))
    >>> p = mstep(stats, "diag", reg_covar=0.0, floor=0.0)
    >>> p.means.tolist(), p.covariances.tolist()
    ([[1.0]], [[1.0]])
    """
    weights, means, covariances = _parts(stats, covariance_type, reg_covar, floor, weights_total)
    return _factorised(covariance_type, weights, means, covariances)


def mstep_reseeding(
    stats: SufficientStats,
    covariance_type: str,
    reg_covar: float,
    floor: float,
    where: str,
    previous: np.ndarray | None = None,
) -> tuple[MixtureParams, tuple[int, ...]]:
    """The M-step of an EM iteration: :func:`mstep`, with empty components re-seeded.

    A component whose mass ``nk`` fell to a few floors (see :func:`empty_components`)
    is re-seeded by :func:`reseed_empty` before the covariances are
    factorised, and an :class:`~gaussmix.exceptions.EmptyComponentWarning` names the
    components and ``where``.  When no component is empty (every ordinary fit) the
    result is :func:`mstep`'s, bit for bit.

    Parameters
    ----------
    stats, covariance_type, reg_covar, floor : as in :func:`mstep`.
    where : str
        Where the step runs, for the warning (e.g. ``"EM iteration 3"``).
    previous : ndarray, optional
        The covariances before the step (see
        :meth:`gaussmix.covariance.CovarianceType.covariances_from_moments`'s ``start``).

    Returns
    -------
    params : MixtureParams
    reseeded : tuple of int
        The components that were re-seeded (empty when none).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from gaussmix.covariance import get_covariance
    >>> X = np.array([[-1.0], [1.0]])
    >>> resp = np.array([[1.0, 0.0], [1.0, 0.0]])  # component 1 owns nothing
    >>> stats = SufficientStats.from_responsibilities(get_covariance("diag"), X, resp, None, np.zeros(1))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     params, reseeded = mstep_reseeding(stats, "diag", 0.0, nk_floor(np.float64), "EM iteration 1")
    >>> reseeded, params.weights.tolist(), params.means.round(3).ravel().tolist()
    ((1,), [0.5, 0.5], [-0.798, 0.798])
    >>> str(caught[0].message).startswith("EM iteration 1: component 1 lost all its mass")
    True
    """
    weights, means, covariances = _parts(stats, covariance_type, reg_covar, floor, start=previous)
    empty = empty_components(stats.nk, floor)
    if empty:
        weights, means, covariances, donors = reseed_empty(
            covariance_type, weights, means, covariances, empty, reg_covar)
        warnings.warn(_empty_message(where, empty, donors), EmptyComponentWarning, stacklevel=3)
    return _factorised(covariance_type, weights, means, covariances), empty


#: a component whose mass is below this many floors is empty (see :func:`empty_components`)
EMPTY_FLOORS = 10.0


def empty_components(nk: np.ndarray, floor: float) -> tuple[int, ...]:
    """Components whose mass is below ``EMPTY_FLOORS * floor * min(1, max(nk))``.

    A component that owned nothing keeps a weight of about ``floor / n`` from the
    M-step's floor, which gives it a mass of about one floor at the next E-step (more
    or less, by rounding): ten floors recognise it whatever the rounding, and are still
    a negligible mass (2e-14 rows in float64, 1e-5 rows in float32).  With row weights
    of order one the heaviest component holds at least ``n / k >= 1``, so the threshold
    is fixed; with tiny sample weights it scales down with them.

    Examples
    --------
    >>> empty_components(np.array([5.0, 0.0, 3.0, 1e-20, 1e-9]), nk_floor(np.float64))
    (1, 3)
    """
    threshold = EMPTY_FLOORS * floor * min(1.0, float(np.max(nk)))
    return tuple(int(k) for k in np.flatnonzero(nk < threshold))


def reseed_empty(
    covariance_type: str,
    weights: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    empty: tuple[int, ...],
    reg_covar: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, ...]]:
    """Give each empty component one half of the then heaviest component.

    For each empty component ``j`` in turn, the heaviest component ``k`` (lowest index
    among equals) is cut in two along its principal axis
    (:meth:`gaussmix.covariance.CovarianceType.split`): the halves take means
    ``mu_k -/+ offset``, the split covariance and half of the weights of ``k`` and ``j``
    each.  The pair has the mean and covariance of the component it came from, so the
    mixture's overall moments do not jump; EM then moves the halves apart where the
    data allow.  Deterministic: no random numbers, no data.

    Parameters
    ----------
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
    covariances : ndarray, shaped by the covariance type (not yet factorised)
    empty : tuple of int, the components to re-seed
    reg_covar : float, the regularization already in ``covariances``

    Returns
    -------
    weights, means, covariances : new arrays
    donors : tuple of int, the component split for each empty one

    Examples
    --------
    >>> w, m, c, donors = reseed_empty("spherical", np.array([1.0, 0.0]), np.array([[0.0, 0.0], [9.0, 9.0]]),
    ...                                np.array([2.0, 1e-6]), (1,), 0.0)
    >>> donors, w.tolist(), m.round(3).tolist(), c.round(3).tolist()
    ((0,), [0.5, 0.5], [[-0.798, -0.798], [0.798, 0.798]], [1.363, 1.363])
    """
    cov = get_covariance(covariance_type)
    weights, means = np.array(weights, dtype=np.float64), np.array(means, dtype=np.float64)
    n_features = means.shape[1]
    alive = np.ones(weights.shape[0], dtype=bool)
    alive[list(empty)] = False
    donors = []
    for j in empty:
        k = int(np.argmax(np.where(alive, weights, -np.inf)))
        offset, covariances = cov.split(covariances, k, j, reg_covar, n_features)
        centre = means[k].copy()
        means[k], means[j] = centre - offset, centre + offset
        weights[k] = weights[j] = 0.5 * (weights[k] + weights[j])
        alive[j] = True
        donors.append(k)
    return weights, means, covariances, tuple(donors)


def _empty_message(where: str, empty: tuple[int, ...], donors: tuple[int, ...]) -> str:
    names = ", ".join(str(j) for j in empty)
    what = f"component {names} lost all its mass" if len(empty) == 1 else f"components {names} lost all their mass"
    splits = "; ".join(f"component {j} from component {k}" for j, k in zip(empty, donors))
    return (
        f"{where}: {what} (no row has a responsibility above the floor) and "
        f"{'was' if len(empty) == 1 else 'were'} re-seeded by splitting the heaviest component along its "
        f"principal axis ({splits}). The data may support fewer components (e.g. fewer distinct "
        "points than n_components); consider a smaller n_components."
    )


def _factorised(covariance_type, weights, means, covariances) -> MixtureParams:
    """The M-step's parameters, factorised; a failure names the form as well as the component."""
    try:
        return MixtureParams.from_covariances(covariance_type, weights, means, covariances)
    except CovarianceError as exc:
        raise CovarianceError(f"{exc} (covariance_type={covariance_type!r})") from None


def _parts(stats, covariance_type, reg_covar, floor, weights_total=None, start=None):
    """Weights, means and (unfactorised) covariances from statistics."""
    if not (np.isfinite(stats.loglik) and np.all(np.isfinite(stats.nk)) and np.all(np.isfinite(stats.s1))
            and np.all(np.isfinite(stats.s2))):
        raise ValueError(
            "The EM statistics overflowed (they are not finite): the data's values, or their products "
            "with the sample weights, are too large for the arithmetic. Rescale the data (e.g. with "
            "sklearn.preprocessing.StandardScaler, or divide by a constant) and keep sample weights moderate."
        )
    nk_reg, m, weights, means = weights_and_means(stats, floor, weights_total)
    covariances = get_covariance(covariance_type).covariances_from_moments(
        stats.nk, nk_reg, stats.s1, stats.s2, m, reg_covar, start
    )
    return weights, means, covariances


def weights_and_means(
    stats: SufficientStats, floor: float, weights_total: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The M-step's floored masses ``nk + floor``, means minus the shift, weights and means."""
    nk_reg = stats.nk + floor
    m = stats.s1 / nk_reg[:, None]
    total = nk_reg.sum() if weights_total is None else weights_total
    return nk_reg, m, nk_reg / total, stats.shift + m
