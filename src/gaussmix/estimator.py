"""``GaussianMixture``: a drop-in for scikit-learn's estimator on the additive-statistics core."""

from __future__ import annotations

import copy
import numbers
import warnings
from functools import partial
from time import time

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from . import _xp
from ._validation import (
    check_estimator_params,
    check_means_init,
    check_rows,
    check_sample_weight,
    check_values,
    check_weights_init,
)
from .core import (MAXIMUM_LIKELIHOOD, EStep, MixtureParams, information_criteria, initial_params, mstep_reseeding,
                   nk_floor, run_em)
from .core.missing import (IncompleteKernel, conditional_params, counted_terms, marginal_params, missing_counts,
                           rows_for_init)
from .core.online import blend, step_size
from .covariance import get_covariance
from .covariance.mclust import eigen_decomposition
from .data import ArrayData, DaskData, as_source, chunk_rows_for, fill_output, row_width
from .exceptions import ConvergenceWarning

__all__ = ["GaussianMixture"]

#: :meth:`GaussianMixture.impute` evaluates incomplete rows in blocks of about this many
#: ``rows x components x features`` values (float64 temporaries of ~30 MB)
IMPUTE_BLOCK_VALUES = 4_000_000


def _loglik_and_weight(estep: EStep, X: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """``[sum w log p(x), sum w]`` of a chunk (a module-level function, so Dask can ship it).

    Rows that take no part in a fit (omitted, or with nothing observed) are not counted.
    """
    log_density = _xp.to_numpy(estep.score_samples(X)).astype(np.float64)
    log_density, w = counted_terms(estep.nan_policy, X, log_density, w)
    if w is None:
        return np.array([log_density.sum(), float(X.shape[0])])
    w = _xp.to_numpy(w).astype(np.float64)
    return np.array([w @ log_density, w.sum()])


def seeding_rows(data: ArrayData, nan_policy: str) -> ArrayData:
    """In-memory rows the seeding rules can take (they take no NaN): ``data`` itself under 'raise',
    else :func:`gaussmix.core.missing.rows_for_init`'s rows, in chunks of the same size."""
    if nan_policy == "raise":
        return data
    return ArrayData(*rows_for_init(_xp.to_numpy(data.X), data.sample_weight, nan_policy), data.chunk_rows,
                     n_jobs=data.n_jobs)


def _with_nan_policy(data, nan_policy: str):
    """A file, chunk or Dask source that serves NaN rows to the E-step under ``nan_policy`` (a
    shallow copy, when it is not 'raise': the caller's source keeps its own setting)."""
    if nan_policy == "raise" or getattr(data, "nan_policy", "raise") == nan_policy:
        return data
    data = copy.copy(data)
    data.nan_policy = nan_policy
    return data

class _BaseMixture(DensityMixin, BaseEstimator):
    """What GaussianMixture and BayesianGaussianMixture share: the fit over any data source,
    the restarts, predictions, sampling, model files.  Subclasses decide the update (see
    :mod:`gaussmix.core.em`) through the hooks below."""

    def fit(self, X, y=None, sample_weight=None) -> "GaussianMixture":
        """Estimate the parameters with EM.

        Runs ``n_init`` initializations and keeps the one with the highest lower bound.
        Each runs at most ``max_iter`` iterations, stopping when the lower bound changes
        by less than ``tol``; otherwise a ``ConvergenceWarning`` is raised.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a data source
            Training rows; also a file or chunk source (:func:`gaussmix.from_file`,
            :func:`gaussmix.from_chunks`, read once per iteration) or a Dask array or
            DataFrame (reduced where its blocks live).
        y : Ignored
            Present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row; integer weights act like repeated rows.
            A file source takes its weights from ``weights_column`` instead.

        Returns
        -------
        self : GaussianMixture
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from gaussmix import GaussianMixture
        >>> X = np.random.RandomState(0).normal(size=(100, 2))
        >>> GaussianMixture(2, random_state=0).fit(X).converged_
        True
        """
        self._fit_restoring(X, sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None) -> np.ndarray:
        """Fit the model and return the most probable component of each row of ``X``.

        Equivalent to ``fit(X).predict(X)``: a final E-step is run with the kept parameters.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a data source (see :meth:`fit`)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            A lazy Dask array for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from gaussmix import GaussianMixture
        >>> X = np.r_[np.zeros((5, 1)), np.ones((5, 1)) * 10] + np.arange(10)[:, None] * 0.01
        >>> labels = GaussianMixture(2, random_state=0).fit_predict(X)
        >>> len(set(labels[:5])), len(set(labels[5:])), bool(labels[0] != labels[-1])
        (1, 1, True)
        """
        # If the fit fails (or is interrupted) every attribute is restored: a previous fit stays whole.
        data, params = self._fit_restoring(X, sample_weight)
        return self._apply_data(data, EStep.for_data(params, data).predict, (), np.int64, like=X)

    def _fit_restoring(self, X, sample_weight):
        """``_fit``, leaving the estimator exactly as it was if it fails or is interrupted."""
        return self._restoring(self._fit, X, sample_weight)

    def _restoring(self, method, *args):
        """``method(*args)``; on any exception (``KeyboardInterrupt`` included) every
        attribute is put back as it was before the call, so a previous fit stays whole.

        Attributes are replaced, never modified in place, so a shallow copy suffices.
        """
        saved = dict(vars(self))
        try:
            return method(*args)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise

    def _fit(self, X, sample_weight) -> tuple[object, MixtureParams]:
        """Fit and set the attributes; return the data source and the parameters its E-step evaluates."""
        self._check_params()
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        rng = check_random_state(self.random_state)
        nan_policy = self._nan_policy()
        data = as_source(X, sample_weight)
        if data is None:
            X = self._validate_X(X, reset=True, ensure_min_samples=2)
            weights = check_sample_weight(sample_weight, X)
            data = predict_data = self._array_data(X, weights)
            if nan_policy != "raise":
                # The seeding rules take no NaN (see rows_for_init); 'omit' fits the complete rows alone,
                # exactly as a fit on them, and predicts every row.
                init_X, init_w = rows_for_init(_xp.to_numpy(X), weights, nan_policy)
                init_data = self._array_data(_xp.asarray_like(init_X, X), init_w)
                if nan_policy == "omit":
                    data = init_data
            else:
                init_data = data
            rows = init_data.X
            n_support = rows.shape[0] if init_data.sample_weight is None else int(
                np.count_nonzero(init_data.sample_weight))
            weights = init_data.sample_weight
        else:
            data = predict_data = _with_nan_policy(data, nan_policy)
            self._prepare_source(data, reset=True)
            # Initialization runs on a bounded sample (the whole source when it is small).
            init_data = data.init_sample(rng) if do_init and not self._start_given() else data
            if isinstance(init_data, ArrayData):  # values too large to square: the rows seen so far say so
                check_values(init_data.X, type(self).__name__, "X", n_samples=data.n_samples,
                             allow_nan=nan_policy != "raise")
                init_data = seeding_rows(init_data, nan_policy)
            weights = init_data.sample_weight if isinstance(init_data, ArrayData) else None
            n_support = data.n_samples if weights is None else int(np.count_nonzero(weights))
        n_features = data.n_features
        if n_support < self.n_components:
            what = "n_samples" if weights is None else "the number of samples with positive weight"
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = {self.n_components}, "
                f"{what} = {n_support}"
            )
        update, initial = self._prepare(data, n_features)
        n_init = self.n_init if do_init else 1

        best = None
        max_lower_bound = -np.inf
        for init in range(n_init):
            self._verbose_init_begin(init)
            if do_init:
                state = initial(init_data, rng, init)
                start_bound = -np.inf
            else:
                state = self._fitted_state(n_features)
                if update.e_step_params(state).n_components != self.n_components:
                    raise ValueError(
                        f"warm_start continues the previous fit, which has {self.means_.shape[0]} components, "
                        f"but n_components={self.n_components}; set warm_start=False to start afresh."
                    )
                start_bound = self.lower_bound_
            if self.max_iter == 0:
                best = (self._unfitted(state), 0, False, [])
                continue
            result = run_em(
                data,
                state,
                tol=self.tol,
                max_iter=self.max_iter,
                reg_covar=self.reg_covar,
                lower_bound=start_bound,
                on_iteration=self._verbose_iteration,
                update=update,
            )
            self._verbose_init_end(result.lower_bound, result.converged)
            if result.lower_bound > max_lower_bound or max_lower_bound == -np.inf:
                max_lower_bound = result.lower_bound
                best = (result.params, result.n_iter, result.converged, result.lower_bounds)

        state, n_iter, converged, bounds = best
        if not converged and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init parameters, "
                "or increase max_iter, tol, or check for degenerate data.",
                ConvergenceWarning,
            )
        # Attributes change only now, all together: an error above leaves a previous fit intact.
        self._set_state(state, like=X)
        self.converged_ = converged
        self.n_iter_ = n_iter
        self.lower_bound_ = max_lower_bound
        self.lower_bounds_ = bounds
        self.n_incomplete_, self.n_omitted_ = self._missing_counts(predict_data, nan_policy)
        vars(self).pop("_online_state", None)
        return predict_data, update.e_step_params(state)

    def _nan_policy(self) -> str:
        return getattr(self, "nan_policy", "raise")

    @staticmethod
    def _missing_counts(data, nan_policy: str) -> tuple[int, int]:
        """Rows with a missing value, and rows that took no part in the fit (a pass, unless 'raise')."""
        if nan_policy == "raise":
            return 0, 0
        incomplete, unobserved = (int(c) for c in data.reduce(lambda X, w: missing_counts(X)))
        return incomplete, incomplete if nan_policy == "omit" else unobserved

    def _prepare_source(self, data, reset: bool) -> None:
        """Record (``reset``) or check the width of a file, chunk or Dask source."""
        if reset:
            vars(self).pop("feature_names_in_", None)
            self.n_features_in_ = data.n_features
        elif data.n_features != self.n_features_in_:
            raise ValueError(
                f"X has {data.n_features} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        if hasattr(data, "set_chunk_hint"):
            data.set_chunk_hint(self._chunk_rows(data.n_features, data.dtype), self.n_jobs)

    def _n_components_now(self) -> int:
        """Components of the fitted model, else of the parameters."""
        return self.means_.shape[0] if hasattr(self, "means_") else self.n_components

    def _chunk_rows(self, n_features: int, dtype) -> int:
        """``chunk_size``, or rows sized for this model's design (see ``data/array.py``)."""
        if self.chunk_size is not None:
            return self.chunk_size
        return chunk_rows_for(self.covariance_type, self._n_components_now(), n_features, np.dtype(dtype).itemsize)

    def _array_data(self, X, sample_weight):
        """``X`` in memory as a chunked source.

        NumPy input without ``device`` runs on ``n_jobs`` CPU threads (:class:`ArrayData`);
        tensors and ``device=`` go through PyTorch (:class:`gaussmix.data.torch.TorchData`).
        """
        if self.device is None and not _xp.is_torch(X):
            return ArrayData(X, sample_weight, self._chunk_rows(X.shape[1], X.dtype), n_jobs=self.n_jobs,
                             nan_policy=self._nan_policy())
        from .data.torch import TorchData

        width = row_width(self.covariance_type, self._n_components_now(), X.shape[1])
        return TorchData(X, sample_weight, self.chunk_size, width, self.device, nan_policy=self._nan_policy())

    def _validate_X(self, X, reset: bool, ensure_min_samples: int = 1):
        """``X`` checked and left in its library: a float NumPy array or a float tensor."""
        return check_rows(self, X, reset=reset, ensure_min_samples=ensure_min_samples,
                          allow_nan=self._nan_policy() != "raise")

    def _data(self, X, sample_weight=None):
        """Fitted parameters and ``X`` (with its weights) as a data source, for predictions."""
        check_is_fitted(self)
        data = as_source(X, sample_weight)
        if data is None:
            X = self._validate_X(X, reset=False)
            data = self._array_data(X, check_sample_weight(sample_weight, X))
        else:
            data = _with_nan_policy(data, self._nan_policy())
            self._prepare_source(data, reset=False)
        return self._params(data.n_features), data

    @staticmethod
    def _apply_data(data, fn, tail: tuple[int, ...], dtype, out=None, overwrite: bool = False, like=None):
        """``fn`` on every chunk: a lazy Dask array, rows filled into ``out``, or a new
        array in the library (and on the device) of ``like``, the caller's input."""
        if isinstance(data, DaskData):
            if out is not None:
                raise ValueError("out= is not supported for Dask input: the result is a lazy Dask array.")
            return data.map_blocks(fn, tail, dtype)
        shape = (data.n_samples, *tail)
        if _xp.is_torch(like):
            if out is not None:
                raise ValueError("out= writes a .npy file and is for NumPy input or data sources, not tensors.")
            return data.map_rows(fn, _empty_like_input(like, shape, dtype))
        return fill_output(out, shape, dtype, lambda target: data.map_rows(fn, target), overwrite)

    # --------------------------------------------------------------- prediction
    def predict(self, X, *, out=None, overwrite: bool = False) -> np.ndarray:
        """Most probable component of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a data source (see :meth:`fit`)
        out : str or path-like ending in .npy, default=None
            Write the result to this new ``.npy`` file chunk by chunk and return it
            memory-mapped, instead of a new array.
        overwrite : bool, default=False
            Replace ``out`` if it exists (otherwise that is an error).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            A lazy Dask array for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from gaussmix import GaussianMixture
        >>> gm = GaussianMixture(2, means_init=[[0.0], [10.0]]).fit([[0.0], [0.5], [10.0], [10.5]])
        >>> gm.predict([[1.0], [9.0]]).tolist()
        [0, 1]
        """
        params, data = self._data(X)
        return self._apply_data(data, EStep.for_data(params, data).predict, (), np.int64, out, overwrite, like=X)

    def predict_proba(self, X, *, out=None, overwrite: bool = False) -> np.ndarray:
        """Posterior probability of each component for each row (soft clustering).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a data source (see :meth:`fit`)
        out : str or path-like ending in .npy, default=None
            As in :meth:`predict`.
        overwrite : bool, default=False

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
            Rows sum to one; dtype of ``X`` (float32 or float64). A lazy Dask array
            for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from gaussmix import GaussianMixture
        >>> gm = GaussianMixture(2, means_init=[[0.0], [10.0]]).fit([[0.0], [0.5], [10.0], [10.5]])
        >>> gm.predict_proba([[0.2]]).round(3).tolist()
        [[1.0, 0.0]]
        """
        params, data = self._data(X)
        return self._apply_data(data, EStep.for_data(params, data).responsibilities, (params.n_components,),
                                data.dtype, out, overwrite, like=X)

    def score_samples(self, X, *, out=None, overwrite: bool = False) -> np.ndarray:
        """Log of the mixture's probability density at each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a data source (see :meth:`fit`)
        out : str or path-like ending in .npy, default=None
            As in :meth:`predict`.
        overwrite : bool, default=False

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            A lazy Dask array for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from gaussmix import GaussianMixture
        >>> gm = GaussianMixture(1).fit([[-1.0], [1.0]])
        >>> float(np.round(gm.score_samples([[0.0]])[0], 4))  # N(0, 1) at 0
        -0.9189
        """
        params, data = self._data(X)
        return self._apply_data(data, EStep.for_data(params, data).score_samples, (), data.dtype, out, overwrite,
                                like=X)

    def score(self, X, y=None, sample_weight=None) -> float:
        """Weighted mean log-likelihood of the rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        log_likelihood : float

        Examples
        --------
        >>> from gaussmix import GaussianMixture
        >>> gm = GaussianMixture(1).fit([[-1.0], [1.0]])
        >>> round(gm.score([[-1.0], [1.0]]), 4)
        -1.4189
        """
        return self._log_likelihood(X, sample_weight)[0]

    def _log_likelihood(self, X, sample_weight) -> tuple[float, float]:
        """Weighted mean log-likelihood of the rows and their total weight ``n``."""
        # One pass over any source, nothing of size n kept.
        params, data = self._data(X, sample_weight)
        total, n = data.reduce(partial(_loglik_and_weight, EStep.for_data(params, data)))
        return float(total / n), float(n)

    # ---------------------------------------------------- incomplete rows
    def impute(self, X, *, sample: bool = False, random_state=None) -> np.ndarray:
        """``X`` with every NaN replaced under the fitted mixture; observed values untouched.

        By default each missing value becomes its conditional expectation given the row's
        observed values, ``E[x_m | x_o] = sum_k P(k | x_o) E[x_m | x_o, k]`` (the posterior-
        weighted conditional means of the components).  With ``sample=True`` it is drawn from
        that conditional mixture instead (a component from ``P(k | x_o)``, then ``x_m`` from its
        conditional Gaussian): call it several times for multiple imputation.  Gaussian
        mixture regression is ``impute`` on rows whose targets are NaN.  A row with nothing
        observed gets the mixture's mean (or a draw from the mixture).  Works whatever
        ``nan_policy`` the model was fitted with.

        Parameters
        ----------
        X : array-like or tensor of shape (n_samples, n_features)
            Rows with NaN where values are missing (infinity is an error).
        sample : bool, default=False
            Draw the missing values instead of taking their expectation.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws (``sample=True``).

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features)
            A new array of ``X``'s dtype (a tensor on ``X``'s device for tensors).

        Examples
        --------
        >>> import numpy as np
        >>> from gaussmix import GaussianMixture
        >>> rng = np.random.RandomState(0)
        >>> x = rng.normal(size=500)
        >>> gm = GaussianMixture(1).fit(np.c_[x, 2 * x + 0.1 * rng.normal(size=500)])
        >>> gm.impute([[1.0, np.nan]]).round(1).tolist()  # y = 2 x
        [[1.0, 2.0]]
        """
        check_is_fitted(self)
        if as_source(X) is not None:
            raise TypeError("impute takes in-memory rows (an array, DataFrame or tensor); read a file or Dask "
                            "collection in chunks and impute each.")
        rows = check_rows(self, X, reset=False, allow_nan=True)
        host = _xp.to_numpy(rows)
        out = host.copy()
        incomplete = np.flatnonzero(np.isnan(host).any(axis=1))
        if incomplete.size:
            kernel = IncompleteKernel(self._params(host.shape[1]))
            rng = check_random_state(random_state)
            step = max(1, IMPUTE_BLOCK_VALUES // max(1, kernel.n_components * kernel.n_features))
            for start in range(0, incomplete.size, step):
                index = incomplete[start:start + step]
                evaluated = kernel.evaluate(host[index])
                resp = evaluated.responsibilities()[1]
                out[index] = evaluated.draw(resp, rng) if sample else evaluated.imputed(resp)
        return _xp.asarray_like(out, rows) if _xp.is_torch(rows) else out

    def marginal(self, features) -> "GaussianMixture":
        """The fitted mixture of some features alone (the others integrated out).

        Each component keeps its weight and takes the sub-vector of its mean and the
        sub-matrix of its covariance.  Its ``score_samples`` on ``X[:, features]`` equals
        this model's on rows whose other features are NaN.

        Parameters
        ----------
        features : sequence of int or str
            Column indices, or names when the model was fitted with ``feature_names_in_``.

        Returns
        -------
        GaussianMixture
            Fitted, over ``len(features)`` features (in the order given).  Its
            ``covariance_type`` holds the marginal exactly: 'spherical' for spherical forms,
            'diag' for axis-aligned ones, 'tied' for tied, else 'full'.

        Examples
        --------
        >>> import numpy as np
        >>> from gaussmix import GaussianMixture
        >>> gm = GaussianMixture(2, random_state=0).fit(np.random.RandomState(0).normal(size=(200, 3)))
        >>> gm.marginal([0, 2]).means_.shape
        (2, 2)
        """
        params = self._params(self.n_features_in_)
        index = self._feature_index(features, "marginal")
        return self._derived(marginal_params(params, index), index)

    def conditional(self, features, values) -> "GaussianMixture":
        """The mixture of the other features given ``X[:, features] = values``.

        Component ``k``'s weight becomes proportional to ``weight_k N(values | mu_k[f],
        S_k[f, f])``; its mean and covariance are the conditional ones,
        ``mu_k[o] + S_k[o, f] S_k[f, f]^-1 (values - mu_k[f])`` and
        ``S_k[o, o] - S_k[o, f] S_k[f, f]^-1 S_k[f, o]``.

        Parameters
        ----------
        features : sequence of int or str
            The features whose values are given (indices, or names).
        values : array-like of shape (len(features),)

        Returns
        -------
        GaussianMixture
            Fitted, over the other features in increasing column order; its
            ``covariance_type`` as for :meth:`marginal`.

        Examples
        --------
        >>> import numpy as np
        >>> from gaussmix import GaussianMixture
        >>> rng = np.random.RandomState(0)
        >>> x = rng.normal(size=500)
        >>> gm = GaussianMixture(1).fit(np.c_[x, 2 * x + 0.1 * rng.normal(size=500)])
        >>> given = gm.conditional([0], [1.0])
        >>> given.means_.round(1).tolist(), bool(given.covariances_[0, 0, 0] < 0.02)
        ([[2.0]], True)
        """
        params = self._params(self.n_features_in_)
        index = self._feature_index(features, "conditional")
        if index.size == self.n_features_in_:
            raise ValueError(f"conditional: every one of the {index.size} features is given; nothing is left to "
                             "model.")
        values = np.asarray(values, dtype=np.float64) if not _xp.is_torch(values) else _xp.to_host_float64(values)
        if values.shape != (index.size,):
            raise ValueError(f"conditional: values has shape {values.shape}, but {index.size} feature(s) are given; "
                             f"expected shape ({index.size},).")
        if not np.all(np.isfinite(values)):
            raise ValueError("conditional: values must be finite (a NaN feature is not given: leave it out).")
        order = np.argsort(index)
        others = np.setdiff1d(np.arange(self.n_features_in_), index)
        return self._derived(conditional_params(params, index[order], values[order]), others)

    def _feature_index(self, features, what: str) -> np.ndarray:
        """``features`` as distinct column indices (names resolved), with clear errors."""
        check_is_fitted(self)
        d = self.n_features_in_
        items = list(np.atleast_1d(np.asarray(features, dtype=object)).ravel()) if not isinstance(features, str) \
            else [features]
        if not items:
            raise ValueError(f"{what}: features is empty; give at least one feature.")
        names = list(getattr(self, "feature_names_in_", []))
        index = []
        for item in items:
            if isinstance(item, str):
                if item not in names:
                    known = f"the model's features are {names}" if names else "the model was fitted without names"
                    raise ValueError(f"{what}: unknown feature {item!r}; {known}.")
                index.append(names.index(item))
            elif isinstance(item, numbers.Integral) and not isinstance(item, (bool, np.bool_)):
                if not 0 <= int(item) < d:
                    raise ValueError(f"{what}: feature index {int(item)} is out of range for {d} features.")
                index.append(int(item))
            else:
                raise ValueError(f"{what}: features must be column indices or names, got {item!r}.")
        if len(set(index)) != len(index):
            raise ValueError(f"{what}: features {items} name a feature twice.")
        return np.asarray(index, dtype=np.intp)

    def _derived(self, params: MixtureParams, features: np.ndarray) -> "GaussianMixture":
        """A fitted GaussianMixture holding ``params`` over the given features of this model."""
        model = GaussianMixture(params.n_components, covariance_type=params.covariance_type, tol=self.tol,
                                reg_covar=self.reg_covar, random_state=self.random_state,
                                nan_policy=self._nan_policy())
        model._set_params(params, like=self.means_)
        model.n_features_in_ = int(features.size)
        if hasattr(self, "feature_names_in_"):
            model.feature_names_in_ = np.asarray(self.feature_names_in_)[features]
        model.converged_, model.n_iter_ = True, 0
        model.lower_bound_, model.lower_bounds_ = float("nan"), []
        model.n_incomplete_ = model.n_omitted_ = 0
        return model

    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Draw rows from the fitted mixture (a generative model).

        Draws the same numbers as scikit-learn for the same ``random_state`` and
        parameters.

        Parameters
        ----------
        n_samples : int, default=1

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Rows, grouped by component.
        y : ndarray of shape (n_samples,)
            The component that generated each row.

        Examples
        --------
        >>> from gaussmix import GaussianMixture
        >>> gm = GaussianMixture(2, random_state=0).fit([[0.0], [0.1], [5.0], [5.1]])
        >>> X, y = gm.sample(5)
        >>> X.shape, y.shape
        ((5, 1), (5,))
        """
        check_is_fitted(self)
        integral = isinstance(n_samples, numbers.Integral) or (
            isinstance(n_samples, numbers.Real) and float(n_samples).is_integer()
        )
        if not integral or n_samples < 1:
            raise ValueError(f"Invalid value for 'n_samples': {n_samples!r}. The sampling requires at least one sample.")
        n_samples = int(n_samples)
        params = self._params(self.means_.shape[1])
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, params.weights)
        X = params.covariance.sample(rng, params.means, params.covariances, counts)
        y = np.repeat(np.arange(params.n_components, dtype=np.int64), counts)
        if _xp.is_torch(self.means_):  # a model fitted on tensors samples tensors, on their device
            return _xp.asarray_like(X, self.means_, np.float64), _xp.asarray_like(y, self.means_, np.int64)
        return X, y

    # ------------------------------------------------------------------ model files
    def save(self, path, *, overwrite: bool = False):
        """Write the fitted model to ``path``; see :func:`gaussmix.save`.

        Parameters
        ----------
        path : str or path-like
            Destination (conventionally ``.gmm``): a zip of ``.npy`` arrays and a JSON header.
        overwrite : bool, default=False
            Replace an existing file instead of raising ``FileExistsError``.

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from gaussmix import GaussianMixture
        >>> gm = GaussianMixture(2, random_state=0).fit(np.random.RandomState(0).normal(size=(50, 2)))
        >>> path = gm.save(os.path.join(tempfile.mkdtemp(), "m.gmm"))
        >>> GaussianMixture.load(path).n_components
        2
        """
        from .model_io import save

        return save(self, path, overwrite=overwrite)

    @classmethod
    def load(cls, path) -> "GaussianMixture":
        """Read a model written by :meth:`save`; see :func:`gaussmix.load`.

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        GaussianMixture
            Fitted; predicts exactly like the saved model.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from gaussmix import GaussianMixture
        >>> gm = GaussianMixture(2, random_state=0).fit(np.random.RandomState(0).normal(size=(50, 2)))
        >>> GaussianMixture.load(gm.save(os.path.join(tempfile.mkdtemp(), "m.gmm"))).weights_.shape
        (2,)
        """
        from .model_io import load

        model = load(path, estimator_class=cls)  # a file of another estimator is refused
        if not isinstance(model, cls):  # pragma: no cover - subclasses get their own type back
            new = cls.__new__(cls)
            new.__dict__.update(model.__dict__)
            model = new
        return model

    @property
    def covariance_decomposition_(self):
        """``(volume, shape, orientation)`` of each component's covariance (see the class docstring).

        Examples
        --------
        >>> import numpy as np
        >>> from gaussmix import GaussianMixture
        >>> X = np.random.RandomState(0).normal(size=(200, 2)) * [3.0, 1.0]
        >>> gm = GaussianMixture(1, covariance_type="EEV").fit(X)
        >>> volume, shape, orientation = gm.covariance_decomposition_
        >>> shape.round(1).tolist()
        [[3.1, 0.3]]
        """
        check_is_fitted(self, "covariances_")
        params = self._params(self.means_.shape[1])
        dense = params.covariance.dense(params.covariances, params.n_components, params.n_features)
        return eigen_decomposition(dense)

    # ------------------------------------------------------------------ helpers
    def _set_params(self, params: MixtureParams, like=None) -> None:
        """Set the fitted attributes; float64 tensors on ``like``'s device when it is a tensor."""
        def convert(a):
            return _xp.asarray_like(a, like, np.float64) if _xp.is_torch(like) else a

        self.weights_ = convert(params.weights)
        self.means_ = convert(params.means)
        self.covariances_ = convert(params.covariances)
        self.precisions_cholesky_ = convert(params.precisions_cholesky)
        self.precisions_ = convert(params.precisions)

    def _params(self, n_features: int) -> MixtureParams:
        """The fitted attributes as one checked value."""
        if self.means_.shape[1] != n_features:
            raise ValueError(
                f"X has {n_features} features, but the fitted means have {self.means_.shape[1]}; "
                "warm_start needs the same features."
            )
        cov = get_covariance(self.covariance_type)
        k = self.means_.shape[0]
        expected = cov.shape(k, n_features)
        # Tensors (a fit on PyTorch input) come back to the host: the parameters are tiny.
        chol = _xp.to_numpy(self.precisions_cholesky_)
        if np.shape(chol) != expected:
            raise ValueError(
                f"The fitted precisions_cholesky_ has shape {np.shape(chol)}, but "
                f"covariance_type={self.covariance_type!r} with {k} components needs {expected}. "
                "Was covariance_type changed after fitting?"
            )
        return MixtureParams(self.covariance_type, _xp.to_numpy(self.weights_), _xp.to_numpy(self.means_),
                             _xp.to_numpy(self.covariances_), chol)

    # ----------------------------------------------------------- verbose output
    def _verbose_init_begin(self, n_init: int) -> None:
        if self.verbose >= 1:
            print(f"Initialization {n_init}")
            self._init_prev_time = self._iter_prev_time = time()

    def _verbose_iteration(self, n_iter: int, change: float) -> None:
        if self.verbose >= 1 and n_iter % self.verbose_interval == 0:
            if self.verbose == 1:
                print(f"  Iteration {n_iter}")
            else:
                now = time()
                print(f"  Iteration {n_iter}\t time lapse {now - self._iter_prev_time:.5f}s\t ll change {change:.5f}")
                self._iter_prev_time = now

    def _verbose_init_end(self, lower_bound: float, converged: bool) -> None:
        status = "converged" if converged else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {status}.")
        elif self.verbose >= 2:
            print(f"Initialization {status}. time lapse {time() - self._init_prev_time:.5f}s\t "
                  f"lower bound {lower_bound:.5f}.")



    # ------------------------------------------------------- what subclasses decide
    def _check_params(self) -> None:
        """Validate the constructor parameters (before any data is read)."""
        check_estimator_params(self)

    def _start_given(self) -> bool:
        """Whether the user gave the whole starting point (then no initialization sample is drawn)."""
        return False

    def _prepare(self, data, n_features: int):
        """``(update, initial)`` for a fit on ``data``: the iteration's update (see
        :mod:`gaussmix.core.em`) and ``initial(init_data, rng, start)``, the ``start``-th
        starting state."""
        raise NotImplementedError

    def _fitted_state(self, n_features: int):
        """The fitted attributes as a state of the update (``warm_start`` continues from it)."""
        raise NotImplementedError

    def _unfitted(self, state):
        """The state ``max_iter=0`` leaves as the fitted model."""
        return state

    def _set_state(self, state, like=None) -> None:
        """Set the fitted attributes from a state of the update."""
        raise NotImplementedError


class GaussianMixture(_BaseMixture):
    """Gaussian mixture model fitted by exact Expectation-Maximization.

    A drop-in replacement for :class:`sklearn.mixture.GaussianMixture`: the same
    parameters, methods and fitted attributes, and the same numbers (for unweighted
    float64 input the same ``random_state`` gives the same initialization and fit).
    Each EM iteration reads the data once, in row chunks, reducing every chunk to
    additive sufficient statistics; no ``n x k x d`` temporary is ever made.

    Beyond scikit-learn: ``fit(X, sample_weight=...)`` fits weighted samples (integer
    weights equal repeated rows), and float32 data are processed in float32 while the
    statistics are accumulated in float64 around a shift, so variances do not go
    negative for data far from zero.  PyTorch tensors (CPU or GPU) are accepted
    everywhere and processed where they live; ``device=`` runs NumPy input on a
    PyTorch device (see ``docs/gpu.md``).

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : str, default='full'
        scikit-learn's four forms: 'full': each component has its own covariance matrix;
        'tied': all share one; 'diag': each has a diagonal covariance; 'spherical': each
        has one variance.  Or any of R mclust's fourteen forms of the decomposition
        ``Sigma_k = lambda_k D_k A_k D_k'`` (volume, shape, orientation; each Equal or
        Variable across components, or I for axis-aligned): 'EII', 'VII', 'EEI', 'VEI',
        'EVI', 'VVI', 'EEE', 'VEE', 'EVE', 'VVE', 'EEV', 'VEV', 'EVV', 'VVV' (see
        ``docs/covariance-forms.md``).  'VVV', 'EEE', 'VVI' and 'VII' are the same models as
        'full', 'tied', 'diag' and 'spherical', with the same attribute shapes.
    tol : float, default=1e-3
        EM stops when the lower bound (mean log-likelihood) changes by less than this.
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance, keeping them positive definite.
    max_iter : int, default=100
        Maximum number of EM iterations per initialization.
    n_init : int, default=1
        Number of initializations; the one with the highest lower bound is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data', 'hierarchical'}, default='kmeans'
        How the initial responsibilities are chosen (see :mod:`gaussmix.core.init`).
        ``'hierarchical'`` is R mclust's start: model-based agglomerative hierarchical
        clustering cut at ``n_components`` groups (deterministic; at most 2000 rows take
        part); with ``n_init > 1`` the later starts alternate other subsets and k-means.
    weights_init : array-like of shape (n_components,), default=None
        Initial weights; estimated by ``init_params`` when None.
    means_init : array-like of shape (n_components, n_features), default=None
        Initial means; estimated by ``init_params`` when None.
    precisions_init : array-like, default=None
        Initial precisions (inverse covariances), shaped like ``covariances_``.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization and :meth:`sample`.
    warm_start : bool, default=False
        If True, each ``fit`` starts from the previous solution (``n_init`` is ignored
        after the first fit).
    verbose : int, default=0
        1 prints the initializations and iterations; 2 adds timings and bound changes.
    verbose_interval : int, default=10
        Iterations between verbose messages.
    chunk_size : int, default=None
        Rows per chunk of the E-step; None picks a size that keeps each chunk's
        temporaries near 6 MB (in the CPU's caches). Results do not depend on it beyond
        rounding.
    n_jobs : int, default=None
        Threads that process row chunks; None uses every CPU available to the process,
        negative values count back from it (-1: all). BLAS is held to one thread during
        EM. Results are bit-identical for any value: chunk boundaries do not depend on it
        and chunk statistics are added in row order.
        Not used for PyTorch computation, which parallelises each operation itself.
    online_decay : float in (0.5, 1], default=0.6
        :meth:`partial_fit` only: the step size for the ``t``-th batch after the first is
        ``(t + online_offset) ** -online_decay`` (see :mod:`gaussmix.core.online`).
    online_offset : float >= 0, default=2.0
        :meth:`partial_fit` only: delays the decay of the step size.
    device : str or torch.device, default=None
        Where the E-step runs. None: where the input lives (NumPy on the CPU threads
        above, a tensor on its own device). A PyTorch device (``"cuda"``, ``"cuda:1"``,
        ``"cpu"``) runs the E-step there with PyTorch: NumPy input is copied to the
        device once if it fits in a quarter of its free memory, and otherwise streamed
        there chunk by chunk at every pass; tensors on another device are streamed the
        same way.  Results (fitted attributes, outputs) follow the *input's* library and
        device either way.  Needs ``pip install gaussmix[torch]``.
    nan_policy : {'raise', 'omit', 'marginalize'}, default='raise'
        What NaN in ``X`` means (see ``docs/missing-values.md``).  'raise': an error, as in
        scikit-learn.  'omit': rows holding a NaN are skipped by the fit (the fit equals one on
        the complete rows; ``n_omitted_`` counts them), and per-row outputs for them are NaN
        (label -1).  'marginalize': NaN is a value missing at random, and EM is exact for it:
        each row's E-step uses the density of its observed coordinates, and the M-step the
        expected statistics given them (every covariance type, with ``sample_weight``);
        ``lower_bound_`` is the mean observed-data log-likelihood, and never decreases.
        Every method then takes incomplete rows (``score_samples`` is the log-density of the
        observed coordinates), and :meth:`impute` fills them in.  Rows with nothing observed
        take no part in the fit; their log-density is 0 and their responsibilities are the
        weights.  The seeding rules (k-means, ...) run on the rows with something observed,
        each NaN filled with its feature's mean.  Infinity stays an error.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixing weights, summing to one.
    means_ : ndarray of shape (n_components, n_features)
        Component means.
    covariances_ : ndarray
        Covariances: ``(n_components, n_features, n_features)`` for 'full',
        ``(n_features, n_features)`` for 'tied', ``(n_components, n_features)`` for
        'diag', ``(n_components,)`` for 'spherical' (and the same for their mclust
        names); ``(n_components, n_features, n_features)`` for mclust's ten other forms.
    precisions_ : ndarray
        Inverses of ``covariances_``, same shape.
    precisions_cholesky_ : ndarray
        Upper Cholesky factors ``U`` of the precisions (``precision = U @ U.T``); square
        roots for 'diag' and 'spherical'.
    converged_ : bool
        Whether the best initialization converged.
    n_iter_ : int
        EM iterations of the best initialization (after :meth:`partial_fit`: batches seen).
    lower_bound_ : float
        Weighted mean log-likelihood of the training data under the parameters before
        the last M-step of the best initialization (after :meth:`partial_fit`: of the
        last batch, under the parameters before that batch's update).
    lower_bounds_ : list of float
        The lower bound at each iteration of the best initialization.
    covariance_decomposition_ : CovarianceDecomposition
        Each component's covariance as mclust decomposes it, ``Sigma_k = volume_k *
        D_k diag(shape_k) D_k'``: ``volume`` (n_components,) = ``det(Sigma_k) ** (1/d)``,
        ``shape`` (n_components, n_features), decreasing, with product one, and
        ``orientation`` (n_components, n_features, n_features), the eigenvectors ``D_k`` as
        columns.  Computed from ``covariances_`` for every covariance type.
    n_incomplete_ : int
        Rows of the training data holding a NaN (0 under ``nan_policy='raise'``).
    n_omitted_ : int
        Rows of the training data that took no part in the fit: those holding a NaN under
        'omit', those with nothing observed under 'marginalize'.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Feature names, when ``X`` had string column names.

    Notes
    -----
    Fitted parameters are float64 whatever the input's dtype (the M-step runs in float64);
    :meth:`predict_proba` and :meth:`score_samples` return the input's dtype.

    Following scikit-learn's array-API convention, a fit on a PyTorch tensor leaves
    ``weights_``, ``means_``, ``covariances_``, ``precisions_`` and
    ``precisions_cholesky_`` as float64 tensors on the tensor's device, and
    :meth:`sample` returns tensors there.  Every method returns results in the library
    and on the device of the ``X`` it is given (a model fitted on NumPy predicts tensors
    on their device, and the other way round); ``score``, ``bic`` and ``aic`` return
    Python floats.  The parameters themselves are kept on the host in float64 during the
    fit; only the data's passes run on the device.

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix import GaussianMixture
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> gm.means_[np.argsort(gm.means_[:, 0])]
    array([[ 1.,  2.],
           [10.,  2.]])
    >>> gm.predict([[0, 0], [12, 3]]).tolist() == [gm.predict([[1, 2]])[0], gm.predict([[10, 2]])[0]]
    True
    """
    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
        chunk_size: int | None = None,
        n_jobs: int | None = None,
        online_decay: float = 0.6,
        online_offset: float = 2.0,
        device=None,
        nan_policy: str = "raise",
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        self.online_decay = online_decay
        self.online_offset = online_offset
        self.device = device
        self.nan_policy = nan_policy

    # ------------------------------------------------------------------ fitting
    def partial_fit(self, X, y=None, sample_weight=None) -> "GaussianMixture":
        """Update the model with one batch of rows: a step of online EM.

        Stepwise online EM (Cappé & Moulines, 2009; see :mod:`gaussmix.core.online`):
        the batch's statistics under the current parameters are blended into running
        statistics with step ``eta_t = (t + online_offset) ** -online_decay`` (``t``
        batches seen before this one), and the parameters are the M-step of the running
        statistics.  The first call starts from the fitted parameters when the model was
        fitted by :meth:`fit`, otherwise from ``init_params`` on the first batch (which
        needs at least ``n_components`` rows), and takes ``eta_0 = 1``.  After each call,
        ``n_iter_`` is the number of batches seen, ``lower_bound_`` the batch's weighted
        mean log-likelihood under the parameters before the update (appended to
        ``lower_bounds_``) and ``converged_`` is False (online EM has no stopping rule).
        :meth:`fit` discards the running statistics.  Keep the batches' dtype the same.

        Parameters
        ----------
        X : array-like of shape (n_batch, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_batch,), default=None

        Returns
        -------
        self : GaussianMixture

        Examples
        --------
        >>> import numpy as np
        >>> from gaussmix import GaussianMixture
        >>> rng = np.random.RandomState(0)
        >>> gm = GaussianMixture(2, random_state=0)
        >>> for _ in range(50):
        ...     gm = gm.partial_fit(np.r_[rng.normal(0, 1, (50, 1)), rng.normal(8, 1, (50, 1))])
        >>> np.sort(gm.means_.ravel()).round(0).tolist(), gm.n_iter_
        ([0.0, 8.0], 50)
        """
        return self._restoring(self._partial_fit, X, sample_weight)

    def _partial_fit(self, X, sample_weight) -> "GaussianMixture":
        check_estimator_params(self)
        fitted = hasattr(self, "means_")
        X = self._validate_X(X, reset=not fitted)
        weights = check_sample_weight(sample_weight, X)
        data = self._array_data(X, weights)
        running, t = getattr(self, "_online_state", (None, 0))
        if fitted:
            params = self._params(X.shape[1])
        else:
            init_X, init_w = rows_for_init(_xp.to_numpy(X), weights, self._nan_policy())
            n_support = init_X.shape[0] if init_w is None else int(np.count_nonzero(init_w))
            if n_support < self.n_components:
                raise ValueError(
                    f"The first batch of partial_fit initializes the model and needs at least "
                    f"n_components = {self.n_components} rows (with positive weight, and something observed), "
                    f"got {n_support}."
                )
            params = self._initial_params(self._array_data(_xp.asarray_like(init_X, X), init_w),
                                          check_random_state(self.random_state), self._user_init(X.shape[1]))
        # One shift for the whole stream, so running and batch statistics add exactly.
        shift = params.default_shift() if running is None else running.shift
        batch = data.reduce(EStep.for_data(params, data, shift=shift).stats)
        running = blend(running, batch, step_size(t, self.online_decay, self.online_offset))
        params, _ = mstep_reseeding(running, self.covariance_type, self.reg_covar, nk_floor(data.dtype),
                                    f"partial_fit batch {t + 1}", previous=params.covariances)
        self._set_params(params, like=X)
        self._online_state = (running, t + 1)
        self.n_iter_ = t + 1
        self.converged_ = False
        self.lower_bound_ = batch.mean_loglik
        self.lower_bounds_ = [*getattr(self, "lower_bounds_", []), batch.mean_loglik] if t else [batch.mean_loglik]
        return self

    def _user_init(self, n_features: int) -> dict:
        """``weights_init``, ``means_init`` and ``precisions_init``, validated (None stays None)."""
        cov = get_covariance(self.covariance_type)
        k = self.n_components
        return dict(
            weights_init=None if self.weights_init is None else check_weights_init(self.weights_init, k),
            means_init=None if self.means_init is None else check_means_init(self.means_init, k, n_features),
            precisions_init=None if self.precisions_init is None else cov.check_precisions(
                self.precisions_init, k, n_features),
        )

    def _initial_params(self, data, rng, user_init: dict, start: int = 0) -> MixtureParams:
        """Starting parameters by ``init_params`` on ``data`` (the ``start``-th of ``n_init``),
        replaced where the user gave them."""
        return initial_params(data, n_components=self.n_components, covariance_type=self.covariance_type,
                              init_params=self.init_params, reg_covar=self.reg_covar, rng=rng, start=start,
                              **user_init)

    # ------------------------------------------------------------ data sources
    def _n_parameters(self) -> int:
        """Free parameters of the model (covariances + means + weights - 1)."""
        return self._params(self.means_.shape[1]).n_parameters()

    def bic(self, X, sample_weight=None) -> float:
        """Bayesian information criterion of the model on ``X`` (lower is better).

        ``-2 * log-likelihood + n_parameters * log(n)``, with ``n`` the number of rows
        (or the sum of ``sample_weight``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        bic : float

        Examples
        --------
        >>> import numpy as np
        >>> from gaussmix import GaussianMixture
        >>> X = np.random.RandomState(0).normal(size=(200, 1))
        >>> GaussianMixture(1).fit(X).bic(X) < GaussianMixture(3, random_state=0).fit(X).bic(X)
        True
        """
        mean_loglik, n = self._log_likelihood(X, sample_weight)
        return information_criteria(mean_loglik * n, n, self._n_parameters())[0]

    def aic(self, X, sample_weight=None) -> float:
        """Akaike information criterion of the model on ``X`` (lower is better).

        ``-2 * log-likelihood + 2 * n_parameters``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        aic : float

        Examples
        --------
        >>> import numpy as np
        >>> from gaussmix import GaussianMixture
        >>> X = np.random.RandomState(0).normal(size=(200, 1))
        >>> gm = GaussianMixture(1).fit(X)
        >>> bool(np.isclose(gm.aic(X), -2 * gm.score(X) * 200 + 2 * 2))
        True
        """
        mean_loglik, n = self._log_likelihood(X, sample_weight)
        return information_criteria(mean_loglik * n, n, self._n_parameters())[1]

    # ------------------------------------------------------------ the EM update
    def _start_given(self) -> bool:
        return not any(p is None for p in (self.weights_init, self.means_init, self.precisions_init))

    def _prepare(self, data, n_features: int):
        user_init = self._user_init(n_features)
        return MAXIMUM_LIKELIHOOD, lambda init_data, rng, start: self._initial_params(init_data, rng, user_init,
                                                                                      start=start)

    def _fitted_state(self, n_features: int) -> MixtureParams:
        return self._params(n_features)

    def _unfitted(self, state: MixtureParams) -> MixtureParams:
        return state.normalised()

    def _set_state(self, state: MixtureParams, like=None) -> None:
        self._set_params(state, like=like)


def _empty_like_input(X, shape: tuple[int, ...], dtype):
    """An output array for rows ``X``: NumPy for NumPy input, a tensor on ``X``'s device for tensors."""
    if _xp.is_torch(X):
        import torch

        return torch.empty(shape, dtype=_xp.torch_dtype(dtype), device=X.device)
    return np.empty(shape, dtype=dtype)
