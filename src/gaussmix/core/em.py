"""The only EM loop: read the data once per iteration, reduce to statistics, M-step.

:func:`run_em_many` advances any number of candidate models together: every iteration
makes *one* pass over the data (one ``data.reduce``) in which each chunk is handed to
the E-step of every candidate still running, and their statistics are summed side by
side in a :class:`StatsBundle`.  A candidate leaves the pass as soon as it converges.
:func:`run_em` is the same loop with one candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import _xp
from .._parallel import single_threaded_blas
from .estep import EStep
from .mstep import mstep, mstep_reseeding, nk_floor
from .params import MixtureParams
from .stats import SufficientStats

#: a component's covariance is recomputed about its own mean when the estimated relative
#: rounding error of its variances (see :func:`cancelling_components`) exceeds this
CANCELLATION_LIMIT = 1e-2


@dataclass
class EMResult:
    """Outcome of one EM run.

    ``lower_bound`` is the weighted mean log-likelihood of the parameters *before* the
    last M-step (as scikit-learn reports it); ``lower_bounds`` has one entry per iteration.
    ``error`` is the exception that stopped the run when :func:`run_em_many` was asked to
    record errors instead of raising them (``params`` are then the last valid ones).
    """

    params: MixtureParams
    lower_bound: float
    n_iter: int
    converged: bool
    lower_bounds: list[float] = field(default_factory=list)
    error: Exception | None = None


@dataclass(frozen=True)
class StatsBundle:
    """Several additive results side by side; ``+`` adds them part by part.

    One ``data.reduce`` over a function returning a bundle sums the statistics of every
    candidate in a single pass over the data.

    Examples
    --------
    >>> (StatsBundle((1, 10.0)) + StatsBundle((2, 20.0))).parts
    (3, 30.0)
    """

    parts: tuple

    def __add__(self, other: "StatsBundle") -> "StatsBundle":
        if not isinstance(other, StatsBundle):
            return NotImplemented
        if len(self.parts) != len(other.parts):
            raise ValueError(f"Bundles of {len(self.parts)} and {len(other.parts)} parts cannot be added.")
        return StatsBundle(tuple(a + b for a, b in zip(self.parts, other.parts)))


def reduce_many(data, fns: Sequence[Callable]) -> list:
    """``[data.reduce(fn) for fn in fns]`` in a single pass over ``data``.

    Each chunk is read once and given to every function; their results are summed
    side by side (see :class:`StatsBundle`).

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix.data import ArrayData
    >>> data = ArrayData(np.arange(6.0).reshape(3, 2), chunk_rows=2)
    >>> reduce_many(data, [lambda X, w: X.sum(), lambda X, w: len(X)])
    [np.float64(15.0), 3]
    """
    fns = list(fns)
    if len(fns) == 1:
        return [data.reduce(fns[0])]
    if not fns:
        return []
    return list(data.reduce(lambda X, w: StatsBundle(tuple(fn(X, w) for fn in fns))).parts)


@dataclass
class _Run:
    """The mutable state of one candidate inside :func:`run_em_many`."""

    params: MixtureParams
    lower_bound: float
    bounds: list[float] = field(default_factory=list)
    n_iter: int = 0
    converged: bool = False
    error: Exception | None = None

    def result(self) -> EMResult:
        return EMResult(self.params, self.lower_bound, self.n_iter, self.converged, self.bounds, self.error)


def run_em_many(
    data,
    starts: Sequence[MixtureParams],
    *,
    tol: float,
    max_iter: int,
    reg_covar: float,
    lower_bounds: Sequence[float] | None = None,
    on_iteration: Callable[[int, int, float], None] | None = None,
    record_errors: bool = False,
) -> list[EMResult]:
    """Run EM from every start at once, one pass over the data per iteration.

    Every M-step is :func:`gaussmix.core.mstep_reseeding`: a component that lost all its
    mass is re-seeded (with an ``EmptyComponentWarning``), and a run does not stop at an
    iteration that re-seeded one.

    Each candidate follows exactly the iterations :func:`run_em` would give it alone
    (the same E-step on the same chunks, the same M-step, the same stopping rule); the
    candidates only share the reading of the data.  Candidates may differ in number of
    components and covariance type.

    Parameters
    ----------
    data : a data source with ``dtype`` and ``reduce(fn)`` (e.g. :class:`gaussmix.data.ArrayData`)
    starts : sequence of MixtureParams
        One starting point per candidate.
    tol, max_iter, reg_covar : as in :func:`run_em`, shared by all candidates.
    lower_bounds : sequence of float, optional
        The bound of each starting point, if known; ``-inf`` otherwise.
    on_iteration : callable(candidate_index, n_iter, change), optional
        Called after every iteration of every candidate, in candidate order.
    record_errors : bool, default=False
        If True, a candidate whose M-step fails (e.g. ``CovarianceError``) stops with
        the exception in ``EMResult.error`` and the others go on; if False the
        exception propagates.

    Returns
    -------
    list of EMResult, in the order of ``starts``

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix.data import ArrayData
    >>> from gaussmix.core import MixtureParams
    >>> X = np.r_[np.random.RandomState(0).normal(size=(50, 1)), np.random.RandomState(1).normal(5, 1, (50, 1))]
    >>> starts = [MixtureParams.from_covariances("spherical", np.ones(k) / k, np.linspace(0, 5, k)[:, None],
    ...                                          np.ones(k)) for k in (1, 2)]
    >>> [r.converged for r in run_em_many(ArrayData(X), starts, tol=1e-6, max_iter=200, reg_covar=1e-6)]
    [True, True]
    """
    floor = nk_floor(data.dtype)
    if lower_bounds is None:
        lower_bounds = [-np.inf] * len(starts)
    runs = [_Run(params, float(bound)) for params, bound in zip(starts, lower_bounds, strict=True)]
    active = list(range(len(runs)))
    # The M-step's small factorisations, like the chunks' products, run fastest on one
    # BLAS thread; BLAS threads contending with the chunk threads are many times slower.
    with single_threaded_blas():
        for n_iter in range(1, max_iter + 1):
            if not active:
                break
            esteps = [EStep(runs[i].params, data.dtype) for i in active]
            # A component too narrow for its distance from the shared shift has its
            # log-densities and statistics computed about its own mean in this pass
            # (never in ordinary fits: see cancelling_components).
            near = {i: cancelling_components(runs[i].params, estep.shift, data.dtype)
                    for i, estep in zip(active, esteps)}
            fns = [_centred_pass(estep, near[i], [(j, runs[i].params.means[j]) for j in near[i]], data.dtype)
                   if near[i] else estep.stats for i, estep in zip(active, esteps)]
            all_stats, own = [], {}
            for i, result in zip(active, reduce_many(data, fns)):
                if near[i]:
                    all_stats.append(result.parts[0])
                    own[i] = result.parts[1:]
                else:
                    all_stats.append(result)
            stepped = {}
            for i, stats in zip(active, all_stats):
                run = runs[i]
                where = f"EM iteration {n_iter}"
                if len(runs) > 1:
                    where += f" of the model with {run.params.n_components} {run.params.covariance_type!r} components"
                try:
                    params, reseeded = mstep_reseeding(stats, run.params.covariance_type, reg_covar, floor, where)
                    if i in own:
                        kept = [(j, part) for j, part in zip(near[i], own[i]) if j not in reseeded]
                        params = _recentred_mstep(params, [j for j, _ in kept], [part for _, part in kept],
                                                  reg_covar, floor)
                except Exception as exc:
                    if not record_errors:
                        raise
                    run.error = exc
                    continue
                stepped[i] = (params, reseeded)
            # Components whose covariance lost too much to the cancellation about the
            # shared shift get it again from one more pass, about their own new means
            # (never in ordinary fits: see cancelling_components).
            redo = {}
            for i, estep in zip(active, esteps):
                if i in stepped:
                    params, reseeded = stepped[i]
                    far = [j for j in cancelling_components(params, estep.shift, data.dtype)
                           if j not in reseeded and j not in near[i]]
                    if far:
                        redo[i] = (estep, far)
            if redo:
                fns = []
                for i, (estep, far) in redo.items():
                    if near[i]:  # the same responsibilities as this iteration's pass
                        own_means = [(j, stepped[i][0].means[j]) for j in far]
                        fns.append(_centred_pass(estep, near[i], own_means, data.dtype, main=False))
                    else:
                        fns.append(_recentred_stats(estep, far, stepped[i][0], data.dtype))
                for i, bundle in zip(redo, reduce_many(data, fns)):
                    try:
                        stepped[i] = (_recentred_mstep(stepped[i][0], redo[i][1], bundle.parts, reg_covar, floor),
                                      stepped[i][1])
                    except Exception as exc:
                        if not record_errors:
                            raise
                        runs[i].error = exc
                        del stepped[i]
            for i, stats in zip(active, all_stats):
                if i not in stepped:
                    continue
                run = runs[i]
                previous = run.lower_bound
                params, reseeded = stepped[i]
                run.params = params
                run.lower_bound = stats.mean_loglik
                run.n_iter = n_iter
                run.bounds.append(run.lower_bound)
                change = run.lower_bound - previous
                if on_iteration is not None:
                    on_iteration(i, n_iter, change)
                # A re-seeded component has not been through an E-step yet: never stop there.
                if abs(change) < tol and not reseeded:
                    run.converged = True
            active = [i for i in active if not runs[i].converged and runs[i].error is None]
    return [run.result() for run in runs]


def cancelling_components(params: MixtureParams, shift: np.ndarray, dtype) -> tuple[int, ...]:
    """Components whose new covariance the shared shift made inaccurate.

    Statistics are summed about one shift ``c`` and the M-step subtracts
    ``(m_k - c)(m_k - c)^T`` from the second moment about ``c``; rounding leaves an
    error of about ``eps * (|m_k - c|^2 + tr(cov_k))`` in the covariance.  A component is
    returned when that error, relative to its smallest variance (estimated by the largest
    diagonal entry of its precision), exceeds :data:`CANCELLATION_LIMIT`: a component
    collapsed far from the mixture's mean: more than about 7e6 of its standard deviations
    away in float64, about 300 in float32 (never in an ordinary fit).  ``'tied'``
    returns nothing: its one covariance is shared by all components (the
    cancellation stays, see docs/design.md).

    Examples
    --------
    >>> near = MixtureParams.from_covariances("diag", np.array([0.5, 0.5]), np.array([[0.0], [3.0]]),
    ...                                       np.array([[1.0], [1.0]]))
    >>> cancelling_components(near, np.zeros(1), np.float64)
    ()
    >>> far = MixtureParams.from_covariances("diag", np.array([0.5, 0.5]), np.array([[0.0], [4e4]]),
    ...                                      np.array([[1.0], [1e-6]]))
    >>> cancelling_components(far, np.zeros(1), np.float64)
    (1,)
    """
    if params.covariance_type == "tied":
        return ()
    k, d = params.means.shape
    eps = float(np.finfo(np.dtype(dtype)).eps)
    variances = _diagonal(params.covariances, d)
    # diag(U U^T) = the squared row norms of U (full); pc^2 for diag and spherical
    chol = params.precisions_cholesky
    precisions = np.sum(chol**2, axis=2) if chol.ndim == 3 else _diagonal(chol**2, d)
    scale = np.sum((params.means - shift) ** 2, axis=1) + np.sum(variances, axis=1)
    largest = np.max(precisions, axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        error = eps * scale * largest
    return tuple(int(j) for j in np.flatnonzero(~(error <= CANCELLATION_LIMIT)))


def _diagonal(matrices: np.ndarray, n_features: int) -> np.ndarray:
    """The diagonals, shape (n_components, n_features), of per-component full, diagonal or spherical matrices."""
    if matrices.ndim == 3:
        return np.diagonal(matrices, axis1=1, axis2=2)
    if matrices.ndim == 2:
        return matrices
    return np.repeat(matrices[:, None], n_features, axis=1)


def _recentred_stats(estep: EStep, far: list[int], params: MixtureParams, dtype) -> Callable:
    """A chunk's statistics of each component in ``far`` about its own new mean.

    The responsibilities are ``estep``'s (the pass's own), so only the centring changes.
    """
    cov = estep.params.covariance
    # A shift must be exactly representable in the data's dtype (see EStep).
    shifts = [params.means[j].astype(dtype).astype(np.float64) for j in far]

    def fn(X, w):
        resp = estep.responsibilities(X)
        return StatsBundle(tuple(SufficientStats.from_responsibilities(cov, X, resp[:, [j]], w, shift)
                                 for j, shift in zip(far, shifts)))

    return fn


def _centred_pass(estep: EStep, near, own_means, dtype, main: bool = True) -> Callable:
    """A chunk's statistics when components ``near`` are too narrow for the E-step's shift.

    The log-densities of each component in ``near`` come from an :class:`EStep` of the
    same parameters centred on that component's mean (the others from ``estep``); the
    rows' log-likelihood and responsibilities follow by a log-sum-exp.  Returns a
    :class:`StatsBundle` of the statistics of all components about ``estep``'s shift
    (unless ``main`` is False) and, for each ``(j, mean)`` in ``own_means``, those of
    component ``j`` about ``mean``.
    """
    params, cov = estep.params, estep.params.covariance
    centred = [EStep(params, dtype, shift=params.means[j].astype(dtype).astype(np.float64)) for j in near]
    shifts = [(j, np.asarray(mean).astype(dtype).astype(np.float64)) for j, mean in own_means]

    def fn(X, w):
        log_prob_t = np.array(_xp.to_numpy(estep.weighted_log_prob(X)).T, dtype=np.float64)
        for j, step in zip(near, centred):
            log_prob_t[j] = _xp.to_numpy(step.weighted_log_prob(X))[:, j]
        log_norm = estep._normalise_t(log_prob_t)  # the E-step's own log-sum-exp, in place
        resp = log_prob_t.T
        parts = []
        if main:
            loglik = _xp.sum_float64(log_norm) if w is None else _xp.dot_float64(_xp.to_numpy(w), log_norm)
            parts.append(SufficientStats.from_responsibilities(cov, X, resp, w, estep.shift, loglik))
        parts.extend(SufficientStats.from_responsibilities(cov, X, resp[:, [j]], w, shift) for j, shift in shifts)
        return StatsBundle(tuple(parts))

    return fn


def _recentred_mstep(params: MixtureParams, far: list[int], parts, reg_covar: float, floor: float) -> MixtureParams:
    """``params`` with the means and covariances of ``far`` from their own-mean statistics ``parts``.

    The weights stay those of the shared pass (the masses are the same sums).
    """
    means, covariances = np.array(params.means), np.array(params.covariances)
    for j, stats in zip(far, parts):
        own = mstep(stats, params.covariance_type, reg_covar, floor)
        means[j], covariances[j] = own.means[0], own.covariances[0]
    return MixtureParams.from_covariances(params.covariance_type, params.weights, means, covariances)


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
    callback = None if on_iteration is None else (lambda _, n_iter, change: on_iteration(n_iter, change))
    (result,) = run_em_many(data, [params], tol=tol, max_iter=max_iter, reg_covar=reg_covar,
                            lower_bounds=[lower_bound], on_iteration=callback)
    return result
