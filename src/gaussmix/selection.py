"""Model selection: BIC, AIC and ICL over a grid of n_components x covariance types.

Every candidate of the grid (and every initialization of every candidate) advances
together: each EM iteration makes one pass over the data that serves all candidates
still running (:func:`gaussmix.core.run_em_many`), and one more pass scores them all
under their final parameters.  For data on disk or on a cluster the grid therefore
costs about as many reads of the data as its slowest candidate alone.

Criteria, lower is better (scikit-learn's convention; R's mclust reports ``-BIC``)::

    BIC = -2 log L + p log n
    AIC = -2 log L + 2 p
    ICL = BIC + 2 H,   H = -sum_i w_i sum_k r_ik log r_ik   (entropy of the responsibilities)

with ``log L`` the weighted log-likelihood of the data under the fitted parameters,
``p`` the number of free parameters (as :meth:`GaussianMixture.bic` counts them) and
``n`` the number of rows (the sum of the sample weights when given).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import xlogy
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from . import _xp
from ._validation import check_estimator_params, check_rows, check_sample_weight
from .core import (EStep, MixtureParams, information_criteria, initial_params, n_free_parameters, reduce_many,
                   run_em_many)
from .covariance import ALIASES, COVARIANCE_NAMES, canonical_name, expand_covariance_types
from .covariance._linalg import smallest_eigenvalues
from .data import ArrayData, chunk_rows_for
from .core.missing import counted_rows
from .estimator import GaussianMixture, _with_nan_policy, seeding_rows
from .exceptions import ConvergenceWarning, InvalidParameterError

__all__ = ["CRITERIA", "Candidate", "GaussianMixtureIC", "SelectionResult", "select"]

#: the criteria a selection can rank by
CRITERIA = ("bic", "aic", "icl")

#: GaussianMixture parameters that :func:`select` passes on to every candidate
_FIT_PARAMS = ("tol", "reg_covar", "max_iter", "init_params", "chunk_size", "n_jobs", "nan_policy")


@dataclass(frozen=True)
class Candidate:
    """One fitted model of the grid: a row of the selection table.

    Attributes
    ----------
    n_components : int
        The model's number of components.
    covariance_type : str
        The model's covariance type.
    log_likelihood : float
        Weighted log-likelihood of the data (a sum over rows, as R's mclust reports it)
        under the final parameters; ``nan`` if the fit failed.
    n_parameters : int
        Free parameters.
    bic, aic, icl : float
        The criteria (lower is better); ``inf`` if the fit failed.
    converged : bool
    n_iter : int
        EM iterations of the kept initialization.
    lower_bound : float
        Its last lower bound (mean log-likelihood before the last M-step).
    error : str or None
        Why the fit failed (e.g. a covariance that is not positive definite), else None.

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix import select
    >>> X = np.r_[np.random.RandomState(0).normal(size=(100, 2)), np.random.RandomState(1).normal(6, 1, (100, 2))]
    >>> c = select(X, n_components=[2], covariance_types=["diag"], random_state=0).best
    >>> c.n_components, c.covariance_type, c.converged, c.error
    (2, 'diag', True, None)
    """

    n_components: int
    covariance_type: str
    log_likelihood: float
    n_parameters: int
    bic: float
    aic: float
    icl: float
    converged: bool
    n_iter: int
    lower_bound: float
    error: str | None = None
    params: MixtureParams | None = field(default=None, repr=False, compare=False)
    lower_bounds: tuple = field(default=(), repr=False, compare=False)

    @property
    def key(self) -> tuple[int, str]:
        """``(n_components, covariance_type)``."""
        return self.n_components, self.covariance_type

    def criterion(self, name: str) -> float:
        """The value of criterion ``name`` ('bic', 'aic' or 'icl')."""
        return getattr(self, _check_criterion(name, "criterion"))


_TABLE_COLUMNS = ("n_components", "covariance_type", "log_likelihood", "n_parameters", "bic", "aic", "icl",
                  "converged", "n_iter", "lower_bound", "error")


class SelectionResult:
    """What :func:`select` returns: every candidate, the ranking and the best model.

    Attributes
    ----------
    criterion : str
        The criterion the ranking uses.
    candidates : tuple of Candidate
        Every candidate, in grid order (covariance types outer, n_components inner).
    ranking : tuple of (n_components, covariance_type)
        The candidates from best to worst by ``criterion`` (ties: fewer parameters first).
    best : Candidate
        The first of the ranking.
    best_model : GaussianMixture
        The best candidate as a fitted :class:`gaussmix.GaussianMixture`.
    n_passes : int
        Passes made over the data by the EM iterations and the final scoring (the
        initializations read the data too, once per candidate and initialization).

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix import select
    >>> X = np.r_[np.random.RandomState(0).normal(size=(100, 2)), np.random.RandomState(1).normal(6, 1, (100, 2))]
    >>> result = select(X, n_components=3, covariance_types=["full", "spherical"], random_state=0)
    >>> len(result), result.ranking[0], result.best_model.n_components
    (6, (2, 'spherical'), 2)
    """

    def __init__(self, candidates, criterion, estimator_kwargs, n_features, feature_names, n_passes):
        self.candidates = tuple(candidates)
        self.criterion = criterion
        self.n_passes = n_passes
        self._estimator_kwargs = estimator_kwargs
        self._n_features = n_features
        self._feature_names = feature_names
        self.ranking = tuple(c.key for c in self._ranked(criterion))
        self.best = self[self.ranking[0]]
        self.best_model = self.model(*self.ranking[0])

    def _ranked(self, criterion: str) -> list[Candidate]:
        order = sorted(range(len(self.candidates)),
                       key=lambda i: (self.candidates[i].criterion(criterion), self.candidates[i].n_parameters, i))
        return [self.candidates[i] for i in order]

    def rank(self, criterion: str | None = None) -> tuple[tuple[int, str], ...]:
        """Candidates from best to worst by ``criterion`` (default: the result's)."""
        return tuple(c.key for c in self._ranked(criterion or self.criterion))

    def __getitem__(self, key: tuple[int, str]) -> Candidate:
        for c in self.candidates:
            if c.key == tuple(key):
                return c
        raise KeyError(f"No candidate with (n_components, covariance_type) = {tuple(key)!r}.")

    def __len__(self) -> int:
        return len(self.candidates)

    def __iter__(self):
        return iter(self.candidates)

    def model(self, n_components: int, covariance_type: str) -> GaussianMixture:
        """Any candidate as a fitted :class:`gaussmix.GaussianMixture`.

        Parameters
        ----------
        n_components : int
        covariance_type : str

        Returns
        -------
        GaussianMixture
            Fitted: the same attributes as ``GaussianMixture(...).fit(X)`` sets.
        """
        c = self[(n_components, covariance_type)]
        if c.params is None:
            raise ValueError(f"The candidate {c.key} could not be fitted: {c.error}")
        gm = GaussianMixture(n_components=c.n_components, covariance_type=c.covariance_type,
                             **self._estimator_kwargs)
        gm._set_params(c.params)
        gm.converged_ = c.converged
        gm.n_iter_ = c.n_iter
        gm.lower_bound_ = c.lower_bound
        gm.lower_bounds_ = list(c.lower_bounds)
        gm.n_features_in_ = self._n_features
        if self._feature_names is not None:
            gm.feature_names_in_ = self._feature_names
        return gm

    def table(self) -> dict[str, list]:
        """The candidates as columns: ``{column name: list of values}`` (grid order)."""
        return {name: [getattr(c, name) for c in self.candidates] for name in _TABLE_COLUMNS}

    def to_frame(self):
        """The table as a :class:`pandas.DataFrame`, best candidate first.

        Returns
        -------
        pandas.DataFrame
            One row per candidate, sorted by the criterion, with a ``rank`` column
            (1 = best).

        Raises
        ------
        ImportError
            When pandas is not installed.
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is in the test extra
            raise ImportError("SelectionResult.to_frame() needs pandas: pip install pandas") from None
        ranked = self._ranked(self.criterion)
        frame = pd.DataFrame({name: [getattr(c, name) for c in ranked] for name in _TABLE_COLUMNS})
        frame.insert(0, "rank", np.arange(1, len(ranked) + 1))
        return frame

    def __repr__(self) -> str:
        b = self.best
        return (f"SelectionResult({len(self.candidates)} candidates, criterion={self.criterion!r}, "
                f"best=(n_components={b.n_components}, covariance_type={b.covariance_type!r}), "
                f"{self.criterion}={b.criterion(self.criterion):.6g})")


# ---------------------------------------------------------------------------- checks
def _check_criterion(criterion, owner: str) -> str:
    if not isinstance(criterion, str) or criterion.lower() not in CRITERIA:
        raise InvalidParameterError(
            f"The 'criterion' parameter of {owner} must be a str among {set(CRITERIA)}. Got {criterion!r} instead.")
    return criterion.lower()


def _check_grid(n_components, covariance_types, owner: str) -> tuple[list[int], list[str]]:
    if isinstance(n_components, numbers.Integral) and not isinstance(n_components, (bool, np.bool_)):
        if n_components < 1:
            raise InvalidParameterError(
                f"The 'n_components' parameter of {owner} must be an int >= 1 (meaning 1..n) or a sequence of "
                f"ints >= 1. Got {n_components!r} instead.")
        ks = list(range(1, int(n_components) + 1))
    else:
        if isinstance(n_components, (str, bytes)) or not isinstance(n_components, Iterable):
            raise InvalidParameterError(
                f"The 'n_components' parameter of {owner} must be an int (meaning 1..n) or a sequence of ints. "
                f"Got {n_components!r} instead.")
        ks = list(n_components)
        bad = [k for k in ks if not isinstance(k, numbers.Integral) or isinstance(k, (bool, np.bool_)) or k < 1]
        if bad or not ks:
            raise InvalidParameterError(
                f"The 'n_components' parameter of {owner} must hold ints >= 1, and at least one. "
                f"Got {n_components!r} instead.")
        ks = [int(k) for k in ks]
        if len(set(ks)) != len(ks):
            raise InvalidParameterError(f"The 'n_components' parameter of {owner} has repeated values: {ks}.")
    names = ("a str or a sequence of distinct str among " + "{" + ", ".join(map(repr, COVARIANCE_NAMES))
             + "} (or 'sklearn' for the first four, 'mclust' for the fourteen mclust names)")
    if not isinstance(covariance_types, (str, Iterable)):
        raise InvalidParameterError(
            f"The 'covariance_type' parameter of {owner} must be {names}. Got {covariance_types!r} instead.")
    types = expand_covariance_types(covariance_types)
    bad = [t for t in types if not isinstance(t, str) or t not in COVARIANCE_NAMES]
    if bad or not types or len(set(types)) != len(types):
        raise InvalidParameterError(
            f"The 'covariance_type' parameter of {owner} must be {names}. Got {covariance_types!r} instead.")
    forms = [canonical_name(t) for t in types]
    twice = sorted({t for t, f in zip(types, forms) if forms.count(f) > 1})
    if twice:
        raise InvalidParameterError(
            f"The 'covariance_type' parameter of {owner} names one form twice: {twice} are the same model "
            f"({', '.join(f'{a} = {b}' for a, b in ALIASES.items())}). Got {covariance_types!r}.")
    return ks, types


def _is_data_source(X) -> bool:
    return all(hasattr(X, name) for name in ("reduce", "chunks", "n_samples", "n_features", "dtype"))


def _candidate_rng(random_state):
    """The generator for one candidate's initializations.

    An int seeds each candidate afresh (so every candidate equals
    ``GaussianMixture(..., random_state=seed).fit(X)``); a ``RandomState`` instance or
    None (numpy's global generator) is shared and consumed in grid order.
    """
    if isinstance(random_state, numbers.Integral):
        return np.random.RandomState(random_state)
    return check_random_state(random_state)


# ------------------------------------------------------------------------ the scores
@dataclass(frozen=True)
class _Score:
    """Additive per-chunk score of fixed parameters: log-likelihood, entropy, weight."""

    loglik: float
    entropy: float
    n: float

    def __add__(self, other: "_Score") -> "_Score":
        return _Score(self.loglik + other.loglik, self.entropy + other.entropy, self.n + other.n)


def _scorer(params: MixtureParams, data):
    estep = EStep.for_data(params, data)

    def score(X, w):
        log_norm, resp = estep.log_prob_and_resp(X)
        row_entropy = -np.sum(xlogy(resp, resp), axis=1, dtype=np.float64)
        counted = counted_rows(estep.nan_policy, X, _xp.to_numpy(log_norm))
        if counted is not None:  # rows omitted, or with nothing observed: not counted
            log_norm, row_entropy = np.where(counted, _xp.to_numpy(log_norm), 0.0), np.where(counted, row_entropy, 0)
            w = counted.astype(np.float64) if w is None else np.where(counted, _xp.to_numpy(w), 0.0)
        if w is None:
            return _Score(float(np.sum(log_norm, dtype=np.float64)), float(np.sum(row_entropy)), float(len(X)))
        w64 = w.astype(np.float64)
        return _Score(float(w64 @ log_norm.astype(np.float64)), float(w64 @ row_entropy), float(np.sum(w64)))

    return score


def _collapsed_component(params: MixtureParams, reg_covar: float) -> int | None:
    """A component whose covariance is ``reg_covar`` in some direction (to 0.1 % of it), or None.

    Such a component sits on rows that share a value along that direction (tied or rounded
    data); its likelihood is set by ``reg_covar`` alone, and its BIC says nothing of the data.
    """
    if not reg_covar > 0:
        return None
    k, d = params.means.shape
    smallest = smallest_eigenvalues(params.covariance.dense(params.covariances, k, d))
    bad = np.flatnonzero(smallest - reg_covar < 1e-3 * reg_covar)
    return int(bad[0]) if bad.size else None


# --------------------------------------------------------------------------- select
def select(
    X,
    n_components=range(1, 10),
    covariance_types=("full", "tied", "diag", "spherical"),
    *,
    criterion: str = "bic",
    n_init: int = 3,
    random_state=None,
    sample_weight=None,
    **fit_params,
) -> SelectionResult:
    """Fit every ``(n_components, covariance_type)`` of a grid and rank them by a criterion.

    All candidates and all their initializations advance together, one pass over the
    data per EM iteration (see the module docstring).  Each candidate is exactly the
    model ``GaussianMixture(n_components=k, covariance_type=t, n_init=n_init,
    random_state=random_state, **fit_params).fit(X)`` would fit when ``random_state``
    is an int and ``fit_params`` spell out select's defaults (below).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or a gaussmix data source
        The rows; a data source (an object with ``reduce``, ``chunks``, ``n_samples``,
        ``n_features`` and ``dtype``, e.g. :class:`gaussmix.data.ArrayData`) carries its
        own sample weights.
    n_components : int or sequence of int, default=range(1, 10)
        Candidate numbers of components; an int ``n`` means ``1, ..., n``.
    covariance_types : str or sequence of str, default=('full', 'tied', 'diag', 'spherical')
        Any names ``GaussianMixture`` takes, and the groups ``'sklearn'`` (these four) and
        ``'mclust'`` (R mclust's fourteen forms, EII ... VVV, as its ``Mclust`` compares them).
        Aliases of one form (e.g. 'full' and 'VVV') may not both appear.
    criterion : {'bic', 'aic', 'icl'}, default='bic'
        What ranks the candidates (all three are computed).
    n_init : int, default=3
        Initializations per candidate; the one with the highest lower bound is kept.  With
        the default ``init_params="hierarchical"``: mclust's hierarchical start, the same on
        the variables as they are, and k-means (see :func:`gaussmix.core.init.hierarchical_start`).
    random_state : int, RandomState instance or None, default=None
        An int seeds every candidate's initialization afresh; an instance (or None,
        numpy's global generator) is consumed by the candidates in grid order.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights (arrays only).
    **fit_params
        ``tol``, ``reg_covar``, ``max_iter``, ``init_params``, ``chunk_size``, ``n_jobs``,
        ``nan_policy``: as for :class:`gaussmix.GaussianMixture`, shared by every candidate (with
        'marginalize' the criteria use the observed-data likelihood and count the rows with
        something observed); the defaults differ for
        selection: ``init_params="hierarchical"``, ``max_iter=300`` and
        ``tol=min(1e-3, 1e-3 / n_samples)`` (the BIC, ``2 n`` times the mean log-likelihood,
        then moves by at most ~0.002 in the last iteration).

    Returns
    -------
    SelectionResult
        ``.best_model`` (a fitted GaussianMixture), ``.candidates`` (the table),
        ``.ranking``, ``.to_frame()``.

    Raises
    ------
    ValueError
        Bad parameters, or more components than rows with positive weight.

    Notes
    -----
    A candidate whose fit fails (a covariance that is not positive definite even after
    ``reg_covar``) is kept in the table with its error and infinite criteria; a
    ``UserWarning`` names it.  A ``ConvergenceWarning`` is raised when the chosen model
    did not converge.

    Examples
    --------
    >>> from gaussmix import select
    >>> from gaussmix.datasets import load_faithful
    >>> X, _ = load_faithful()
    >>> result = select(X, n_components=4, covariance_types=("full", "tied"), n_init=5, tol=1e-5,
    ...                 random_state=0)
    >>> result.best.n_components, result.best.covariance_type
    (3, 'tied')
    >>> len(result.candidates), result.ranking[:2]
    (8, ((3, 'tied'), (4, 'tied')))
    >>> round(result.best.bic, 1)  # R's mclust: BIC(EEE,3) = -2314.3 (its sign is flipped)
    2314.3
    >>> result.best_model.predict(X[:3]).shape
    (3,)
    """
    owner = "select"
    criterion = _check_criterion(criterion, owner)
    unknown = sorted(set(fit_params) - set(_FIT_PARAMS))
    if unknown:
        raise TypeError(
            f"select() got unexpected keyword argument(s) {unknown}; it accepts {list(_FIT_PARAMS)} "
            "(weights_init, means_init and precisions_init depend on n_components and are not supported).")
    ks, types = _check_grid(n_components, covariance_types, owner)
    estimator_kwargs = dict(fit_params, n_init=n_init, random_state=random_state)
    for t in types:  # every other parameter is checked as GaussianMixture checks it
        check_estimator_params(GaussianMixture(n_components=max(ks), covariance_type=t, **estimator_kwargs))

    feature_names = None
    nan_policy = fit_params.get("nan_policy", "raise")
    init_data = None
    if _is_data_source(X):
        if sample_weight is not None:
            raise ValueError("sample_weight must be None when X is a data source: the source carries its weights.")
        data = _with_nan_policy(X, nan_policy)
        n_support = data.n_samples
    else:
        template = GaussianMixture(nan_policy=nan_policy)
        X = check_rows(template, X, reset=True, ensure_min_samples=2, allow_nan=nan_policy != "raise")
        feature_names = getattr(template, "feature_names_in_", None)
        weights = check_sample_weight(sample_weight, X)
        # Chunks sized for the widest candidate's design.
        rows = fit_params.get("chunk_size") or min(
            chunk_rows_for(t, max(ks), X.shape[1], X.dtype.itemsize) for t in types)
        data = ArrayData(X, weights, rows, n_jobs=fit_params.get("n_jobs"), nan_policy=nan_policy)
        init_data = seeding_rows(data, nan_policy)
        if nan_policy == "omit":  # the complete rows alone, exactly as a fit on them
            data = init_data
        n_support = init_data.n_samples if init_data.sample_weight is None else int(
            np.count_nonzero(init_data.sample_weight))
    if max(ks) > n_support:
        what = "n_samples" if sample_weight is None else "the number of samples with positive weight"
        raise ValueError(f"Expected n_samples >= n_components but got n_components = {max(ks)}, {what} = {n_support}")

    # Defaults made for model selection (the best model, fully converged; unlike
    # GaussianMixture's, which are scikit-learn's): mclust's hierarchical start plus restarts,
    # and a tolerance on the mean log-likelihood that keeps the BIC (2 n times it) stable to
    # ~0.002 per iteration.
    tol = fit_params.get("tol", min(1e-3, 1e-3 / max(n_support, 1)))
    reg_covar = fit_params.get("reg_covar", 1e-6)
    max_iter = fit_params.get("max_iter", 300)
    init_params = fit_params.get("init_params", "hierarchical")

    init_data, after_sample = (data if init_data is None else init_data), None
    if hasattr(data, "init_sample"):
        # A file, chunk or Dask source initializes on a bounded in-memory sample, as
        # GaussianMixture.fit does.  It is drawn once; with an int random_state every
        # candidate's generator continues from where that draw left it, as in its own fit.
        if hasattr(data, "set_chunk_hint"):
            data.set_chunk_hint(fit_params.get("chunk_size") or min(
                chunk_rows_for(t, max(ks), data.n_features, np.dtype(data.dtype).itemsize) for t in types),
                fit_params.get("n_jobs"))
        sampler = _candidate_rng(random_state)
        init_data = seeding_rows(data.init_sample(sampler), nan_policy)
        if isinstance(random_state, numbers.Integral):
            after_sample = sampler.get_state()

    grid = [(k, t) for t in types for k in ks]
    starts, owners = [], []
    for gi, (k, t) in enumerate(grid):
        rng = _candidate_rng(random_state)
        if after_sample is not None:
            rng.set_state(after_sample)
        for index in range(n_init):
            try:
                start = initial_params(init_data, n_components=k, covariance_type=t, init_params=init_params,
                                       reg_covar=reg_covar, rng=rng, start=index)
            except (ValueError, np.linalg.LinAlgError) as exc:  # e.g. CovarianceError: recorded, ranks last
                start = exc
            starts.append(start)
            owners.append(gi)

    valid = [i for i, start in enumerate(starts) if isinstance(start, MixtureParams)]
    results: list = [None] * len(starts)
    n_passes = 0
    if max_iter > 0 and valid:
        ran = run_em_many(data, [starts[i] for i in valid], tol=tol, max_iter=max_iter, reg_covar=reg_covar,
                          record_errors=True)
        for i, result in zip(valid, ran):
            results[i] = result
        n_passes = max(r.n_iter + (r.error is not None) for r in ran)

    # Keep the best initialization of each candidate, as GaussianMixture.fit does.
    kept: list[tuple] = [None] * len(grid)
    for start, result, gi in zip(starts, results, owners):
        if not isinstance(start, MixtureParams):
            outcome = (None, -np.inf, 0, False, (), start)
        elif result is None:
            outcome = (start.normalised(), -np.inf, 0, False, (), None)
        else:
            outcome = (result.params, result.lower_bound, result.n_iter, result.converged,
                       tuple(result.lower_bounds), result.error)
        current = kept[gi]
        if current is None or (current[5] is not None and outcome[5] is None) or (
                outcome[5] is None and (outcome[1] > current[1] or current[1] == -np.inf)):
            kept[gi] = outcome

    fitted = [i for i, o in enumerate(kept) if o[5] is None]
    scores = reduce_many(data, [_scorer(kept[i][0], data) for i in fitted]) if fitted else []
    n_passes += bool(fitted)
    score_of = dict(zip(fitted, scores))

    candidates = []
    for gi, ((k, t), (params, bound, n_iter, converged, bounds, error)) in enumerate(zip(grid, kept)):
        n_par = n_free_parameters(t, k, data.n_features)
        if error is not None:
            candidates.append(Candidate(k, t, math.nan, n_par, math.inf, math.inf, math.inf, False, n_iter,
                                        bound, f"{type(error).__name__}: {error}"))
            continue
        s = score_of[gi]
        collapsed = _collapsed_component(params, reg_covar)
        if collapsed is not None:  # an unbounded likelihood, not a model: ranks last, as mclust leaves it out
            candidates.append(Candidate(
                k, t, s.loglik, n_par, math.inf, math.inf, math.inf, bool(converged), n_iter, bound,
                f"collapsed: component {collapsed} has no spread beyond reg_covar in some direction (its rows "
                "share a value there), so its likelihood grows without bound as reg_covar shrinks", params, bounds))
            continue
        bic, aic = information_criteria(s.loglik, s.n, n_par)
        candidates.append(Candidate(k, t, s.loglik, n_par, bic, aic,
                                    bic + 2.0 * s.entropy, bool(converged), n_iter, bound, None, params, bounds))

    failed = [c for c in candidates if c.error is not None]
    if len(failed) == len(candidates):  # none fitted, or every fit collapsed
        raise ValueError("No candidate could be fitted: " + "; ".join(f"{c.key}: {c.error}" for c in candidates))
    if failed:
        warnings.warn(f"{len(failed)} candidate(s) could not be fitted or collapsed, and rank last: "
                      + "; ".join(f"{c.key}: {c.error}" for c in failed), UserWarning, stacklevel=2)
    n_features = data.n_features
    result = SelectionResult(candidates, criterion, estimator_kwargs, n_features, feature_names, n_passes)
    if not result.best.converged and max_iter > 0:
        warnings.warn(
            f"The selected model {result.best.key} did not converge in max_iter={max_iter} iterations; "
            "increase max_iter or tol, or check for degenerate data.", ConvergenceWarning, stacklevel=2)
    return result


# ------------------------------------------------------------------ estimator form
class GaussianMixtureIC(DensityMixin, BaseEstimator):
    """A Gaussian mixture that chooses its number of components and covariance type.

    ``fit`` runs :func:`select` over the grid and then behaves as the chosen
    :class:`gaussmix.GaussianMixture` (``predict``, ``predict_proba``,
    ``score_samples``, ``score``, ``sample``, ``bic``, ``aic`` and the fitted
    attributes), so model selection fits in a :class:`~sklearn.pipeline.Pipeline`.

    Parameters
    ----------
    n_components : int or tuple of int, default=9
        Candidate numbers of components; an int ``n`` means ``1, ..., n``.
    covariance_type : str or tuple of str, default=('full', 'tied', 'diag', 'spherical')
        Candidate covariance types: any names ``GaussianMixture`` takes, and the groups
        ``'sklearn'`` (the four above) and ``'mclust'`` (mclust's fourteen forms, EII ... VVV).
    criterion : {'bic', 'aic', 'icl'}, default='bic'
    tol, reg_covar, max_iter, n_init, init_params, random_state, chunk_size, n_jobs, nan_policy
        As for :class:`gaussmix.GaussianMixture`, shared by every candidate.

    Attributes
    ----------
    best_estimator_ : GaussianMixture
        The chosen model, fitted.
    best_n_components_ : int
    best_covariance_type_ : str
    selection_ : SelectionResult
        Every candidate's criteria (``selection_.to_frame()`` for a table).
    weights_, means_, covariances_, precisions_, precisions_cholesky_, converged_, \
n_iter_, lower_bound_, lower_bounds_ :
        Those of ``best_estimator_``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        When ``X`` had string column names.

    Examples
    --------
    >>> from gaussmix import GaussianMixtureIC
    >>> from gaussmix.datasets import load_faithful
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, _ = load_faithful()
    >>> pipe = make_pipeline(StandardScaler(), GaussianMixtureIC(n_components=4, n_init=5, tol=1e-5, random_state=0))
    >>> pipe = pipe.fit(X)
    >>> gm = pipe[-1]
    >>> gm.best_n_components_, gm.best_covariance_type_
    (3, 'tied')
    >>> pipe.predict(X[:2]).shape
    (2,)
    """

    def __init__(
        self,
        n_components=9,
        *,
        covariance_type=("full", "tied", "diag", "spherical"),
        criterion: str = "bic",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        random_state=None,
        chunk_size: int | None = None,
        n_jobs: int | None = None,
        nan_policy: str = "raise",
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.criterion = criterion
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        self.nan_policy = nan_policy

    def fit(self, X, y=None, sample_weight=None) -> "GaussianMixtureIC":
        """Fit every candidate and keep the best by ``criterion``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : GaussianMixtureIC

        Examples
        --------
        >>> import numpy as np
        >>> from gaussmix import GaussianMixtureIC
        >>> X = np.r_[np.zeros((50, 1)), np.full((50, 1), 8.0)] + np.random.RandomState(0).normal(size=(100, 1))
        >>> GaussianMixtureIC(n_components=4, covariance_type="full", random_state=0).fit(X).best_n_components_
        2
        """
        X = check_rows(self, X, reset=True, ensure_min_samples=2, allow_nan=self.nan_policy != "raise")
        owner = type(self).__name__
        _check_criterion(self.criterion, owner)
        _check_grid(self.n_components, self.covariance_type, owner)
        result = select(
            X, self.n_components, self.covariance_type, criterion=self.criterion, n_init=self.n_init,
            random_state=self.random_state, sample_weight=sample_weight, tol=self.tol, reg_covar=self.reg_covar,
            max_iter=self.max_iter, init_params=self.init_params, chunk_size=self.chunk_size,
            n_jobs=self.n_jobs, nan_policy=self.nan_policy,
        )
        best = result.best_model
        self.selection_ = result
        self.best_estimator_ = best
        self.best_n_components_ = result.best.n_components
        self.best_covariance_type_ = result.best.covariance_type
        for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_", "converged_",
                     "n_iter_", "lower_bound_", "lower_bounds_"):
            setattr(self, name, getattr(best, name))
        if hasattr(self, "feature_names_in_"):
            best.feature_names_in_ = self.feature_names_in_
        else:
            vars(best).pop("feature_names_in_", None)
        return self

    def fit_predict(self, X, y=None, sample_weight=None) -> np.ndarray:
        """Fit, then the most probable component of each row (``fit(X).predict(X)``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return self.fit(X, sample_weight=sample_weight).predict(X)

    def _best(self, X) -> GaussianMixture:
        """The chosen model, after checking ``X`` against this estimator (its name in the messages)."""
        check_is_fitted(self)
        check_rows(self, X, reset=False, allow_nan=self.nan_policy != "raise")
        return self.best_estimator_

    def predict(self, X) -> np.ndarray:
        """Most probable component of each row, under the chosen model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return self._best(X).predict(X)

    def predict_proba(self, X) -> np.ndarray:
        """Responsibilities under the chosen model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        resp : ndarray of shape (n_samples, ``best_n_components_``)
        """
        return self._best(X).predict_proba(X)

    def score_samples(self, X) -> np.ndarray:
        """Log density of the chosen model at each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
        """
        return self._best(X).score_samples(X)

    def score(self, X, y=None, sample_weight=None) -> float:
        """Weighted mean log-likelihood of the rows under the chosen model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        log_likelihood : float
        """
        return self._best(X).score(X, sample_weight=sample_weight)

    def bic(self, X, sample_weight=None) -> float:
        """BIC of the chosen model on ``X`` (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        bic : float
        """
        return self._best(X).bic(X, sample_weight=sample_weight)

    def aic(self, X, sample_weight=None) -> float:
        """AIC of the chosen model on ``X`` (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        aic : float
        """
        return self._best(X).aic(X, sample_weight=sample_weight)

    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Draw rows from the chosen model.

        Parameters
        ----------
        n_samples : int, default=1

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.best_estimator_.sample(n_samples)
