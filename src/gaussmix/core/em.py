"""The only EM loop: read the data once per iteration, reduce to statistics, update.

:func:`run_em_many` advances any number of candidate models together: every iteration
makes *one* pass over the data (one ``data.reduce``) in which each chunk is handed to
the E-step of every candidate still running, and their statistics are summed side by
side in a :class:`StatsBundle`.  A candidate leaves the pass as soon as it converges.
:func:`run_em` is the same loop with one candidate.

What an iteration does with the statistics is the *update*: :class:`MaximumLikelihood`
(the M-step, EM proper) or :class:`gaussmix.core.variational.VariationalUpdate` (a
variational Bayesian mixture).  An update says which parameters the E-step evaluates,
how statistics become the next state, and what the bound is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._parallel import single_threaded_blas
from .estep import EStep
from .mstep import mstep_reseeding, nk_floor
from .params import MixtureParams
from .stats import SufficientStats


class MaximumLikelihood:
    """EM's update: the M-step (:func:`gaussmix.core.mstep_reseeding`); the bound is the mean
    log-likelihood of the parameters before it.  The state is a :class:`MixtureParams`."""

    #: a component that lost all its mass is re-seeded (and the run does not stop there)
    reseeds = True

    def e_step_params(self, state: MixtureParams) -> MixtureParams:
        return state

    def update(self, stats: SufficientStats, state: MixtureParams, reg_covar: float, floor: float, where: str):
        return mstep_reseeding(stats, state.covariance_type, reg_covar, floor, where, previous=state.covariances)

    def bound(self, stats: SufficientStats, state: MixtureParams, new: MixtureParams) -> float:
        return stats.mean_loglik


MAXIMUM_LIKELIHOOD = MaximumLikelihood()


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
    update=MAXIMUM_LIKELIHOOD,
) -> list[EMResult]:
    """Run EM from every start at once, one pass over the data per iteration.

    With maximum likelihood every M-step is :func:`gaussmix.core.mstep_reseeding`: a
    component that lost all its mass is re-seeded (with an ``EmptyComponentWarning``), and a
    run does not stop at an iteration that re-seeded one.

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
    update : default=:data:`MAXIMUM_LIKELIHOOD`
        What an iteration does with the statistics (see the module docstring); the
        starts are states of this update (``MixtureParams`` for maximum likelihood).

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
            # E-step: one pass over the data reduces every running candidate to statistics.
            esteps = [EStep.for_data(update.e_step_params(runs[i].params), data) for i in active]
            all_stats = reduce_many(data, [estep.stats for estep in esteps])
            for i, estep, stats in zip(active, esteps, all_stats):
                run = runs[i]
                where = f"EM iteration {n_iter}"
                if len(runs) > 1:
                    p = estep.params
                    where += f" of the model with {p.n_components} {p.covariance_type!r} components"
                try:
                    state, reseeded = update.update(stats, run.params, reg_covar, floor, where)
                    bound = update.bound(stats, run.params, state)
                except Exception as exc:
                    if not record_errors:
                        raise
                    run.error = exc
                    continue
                # Convergence: the change of the bound
                previous = run.lower_bound
                run.params = state
                run.lower_bound = bound
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


def run_em(
    data,
    params: MixtureParams,
    *,
    tol: float,
    max_iter: int,
    reg_covar: float,
    lower_bound: float = -np.inf,
    on_iteration: Callable[[int, float], None] | None = None,
    update=MAXIMUM_LIKELIHOOD,
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
    update : the iteration's update (see :func:`run_em_many`).

    Returns
    -------
    EMResult
    """
    callback = None if on_iteration is None else (lambda _, n_iter, change: on_iteration(n_iter, change))
    (result,) = run_em_many(data, [params], tol=tol, max_iter=max_iter, reg_covar=reg_covar,
                            lower_bounds=[lower_bound], on_iteration=callback, update=update)
    return result
