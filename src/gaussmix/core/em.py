"""The only EM loop: read the data once per iteration, reduce to statistics, M-step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .estep import EStep
from .mstep import mstep, nk_floor
from .params import MixtureParams


@dataclass
class EMResult:
    """Outcome of one EM run.

    ``lower_bound`` is the weighted mean log-likelihood of the parameters *before* the
    last M-step (as scikit-learn reports it); ``lower_bounds`` has one entry per iteration.
    """

    params: MixtureParams
    lower_bound: float
    n_iter: int
    converged: bool
    lower_bounds: list[float] = field(default_factory=list)


def run_em(
    data,
    params: MixtureParams,
    *,
    tol: float,
    max_iter: int,
    reg_covar: float,
    lower_bound: float = -np.inf,
    on_iteration: Callable[[int, float], None] | None = None,
) -> EMResult:
    """Iterate E- and M-steps from ``params`` until the lower bound changes by less than ``tol``.

    Parameters
    ----------
    data : a data source with ``dtype`` and ``reduce(fn)`` (e.g. :class:`gaussmix.data.ArrayData`)
    params : MixtureParams
        Starting point.
    tol : float
        Convergence threshold on the absolute change of the lower bound.
    max_iter : int
        At most this many iterations (each reads the data once).
    reg_covar : float
        Added to the diagonal of every covariance.
    lower_bound : float
        The bound of the starting point, if known (``warm_start``); ``-inf`` otherwise.
    on_iteration : callable(n_iter, change), optional
        Called after every iteration (verbose output).

    Returns
    -------
    EMResult
    """
    floor = nk_floor(data.dtype)
    bounds: list[float] = []
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        previous = lower_bound
        stats = data.reduce(EStep(params, data.dtype).stats)
        lower_bound = stats.mean_loglik
        params = mstep(stats, params.covariance_type, reg_covar, floor)
        bounds.append(lower_bound)
        change = lower_bound - previous
        if on_iteration is not None:
            on_iteration(n_iter, change)
        if abs(change) < tol:
            converged = True
            break
    return EMResult(params, lower_bound, n_iter, converged, bounds)
