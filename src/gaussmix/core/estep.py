"""The E-step on one chunk of rows.

One :class:`EStep` is prepared per parameter value (and dtype); it then serves any
number of chunks, from any number of threads.  Every component's log-density is
linear in the chunk's *design* (:func:`gaussmix.core.stats.design`: quadratic features
of the centred rows, the rows, and 1), so the E-step is one matrix product, a
log-sum-exp over components, and one more product for all the statistics.

Chunks are handled *by feature* (design ``(p, n_rows)``, log-probabilities
``(n_components, n_rows)``): the log-sum-exp then runs over a few long contiguous rows
instead of many short ones.  Arithmetic runs in the data's dtype on rows centred on a
shift (the mixture's mean by default), so float32 data far from zero keep their
precision; everything summed across rows is accumulated in float64.

A component much narrower than its distance from the shift (see
:func:`cancelling_components`) would lose its digits to that expansion: the quadratic
features of rows far from the shift cancel to give its small Mahalanobis distances.
Such a component is *centred on its own mean* inside the same pass: on the rows where it
can count (a rounding bound of the shared products' approximation tells which: about
``n / k`` rows on clustered data), its log-densities come from its own rows minus its
mean, whitened by its precision factor (``|U_k'(x - m_k)|^2``), and its statistics are
summed from those whitened rows and mapped back in float64.  Every other component stays
in the shared products.  Ordinary float64 fits have no such component and are unchanged
bit for bit; float32 fits of narrow, rotated clusters have several.  For full covariances on
NumPy chunks the band runs as compiled kernels when numba is installed
(:mod:`gaussmix.core.compiled`: the same test and arithmetic in three GIL-free calls instead of
some sixty array calls); otherwise, and for tensors, as array calls.

Chunks may be NumPy arrays or tensors of another array library (PyTorch, on any
device): the kernel is written once against the chunk's array namespace (see
:mod:`gaussmix._xp`).  The parameters stay NumPy float64 on the host; the coefficient
matrix is copied to a chunk's device and dtype once per :class:`EStep` (so once per EM
iteration), and the statistics come back to the host as float64.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from .. import _xp
from .._parallel import scratch
from . import compiled
from ..covariance._linalg import smallest_eigenvalues
from ..covariance.base import ill_defined_message
from ..exceptions import CovarianceError
from .params import MixtureParams
from .missing import NAN_POLICIES, IncompleteKernel
from .stats import SufficientStats, column_blocks, design

#: a component is centred on its own mean when the estimated relative rounding error of
#: its variances about the shared shift (see :func:`cancelling_components`) exceeds this
CANCELLATION_LIMIT = 1e-2

# Responsibilities below these are raised to them: far below the dtype's rounding (no sum
# over rows notices them), and products with subnormal numbers run ~100x slower in BLAS.
_NEGLIGIBLE = {np.dtype(np.float64): 1e-250, np.dtype(np.float32): 1e-30}

#: The E-step product's coefficient rows are padded to a multiple of this many (float32, 153 x 9306
#: design, one thread on a 2-core EPYC: 15 rows took 0.41 ms, 16 rows 0.30 ms; 17 rows 0.38, 20 rows 0.36).
_PRODUCT_ROWS = 4

#: Rows of a chunk per block of the E-step product (see :func:`_product`).
_PRODUCT_BLOCK = 256

class EStep:
    """Responsibilities, log-densities and statistics of chunks under fixed parameters.

    Parameters
    ----------
    params : MixtureParams
    dtype : numpy dtype of the rows (float32 or float64; for tensors, the NumPy equivalent)
    shift : ndarray of shape (n_features,), optional
        Centre of the shared products and of all statistics.  By default the shared
        products are centred on ``params.default_shift()`` and the statistics of a
        component centred on its own mean (see the module docstring) about that mean,
        so :attr:`stats_shift` is then per component.  Given (``partial_fit`` keeps its
        running statistics about one fixed shift), every statistic is about ``shift``.
    nan_policy : {'raise', 'omit', 'marginalize'}, default='raise'
        What rows with missing values (NaN) are.  'raise': there are none (the estimators
        check chunks first; nothing is looked for).  'omit': they are left out of the
        statistics, and their per-row results are NaN (labels -1).  'marginalize': they are
        evaluated exactly, by the marginal and conditional Gaussians of
        :mod:`gaussmix.core.missing` (EM for data missing at random).  Either way the
        complete rows of a chunk stay in the shared products.

    Attributes
    ----------
    shift : ndarray of shape (n_features,)
        Centre of the shared products, representable in ``dtype``.
    own : tuple of int
        The components centred on their own means (empty in ordinary float64 fits).
    stats_shift : ndarray of shape (n_features,) or (n_components, n_features)
        The shift of the statistics that :meth:`stats` returns.

    Examples
    --------
    >>> import numpy as np
    >>> p = MixtureParams.from_covariances("spherical", np.array([0.5, 0.5]),
    ...                                    np.array([[0.0], [3.0]]), np.array([1.0, 1.0]))
    >>> EStep(p, np.float64).responsibilities(np.array([[0.0], [3.0]])).round(3)
    array([[0.989, 0.011],
           [0.011, 0.989]])
    """

    def __init__(self, params: MixtureParams, dtype=np.float64, shift: np.ndarray | None = None,
                 nan_policy: str = "raise"):
        self.params = params
        if nan_policy not in NAN_POLICIES:
            raise ValueError(f"nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}.")
        self.nan_policy = nan_policy
        self._incomplete_kernel = None
        self.dtype = np.dtype(dtype)
        cov = params.covariance
        explicit = shift is not None
        shift = params.default_shift() if shift is None else np.asarray(shift, dtype=np.float64)
        # The shift must be exactly representable in the data's dtype, since the rows
        # are centred in that dtype and the statistics record it in float64.
        self.shift_in_dtype = shift.astype(self.dtype)
        self.shift = self.shift_in_dtype.astype(np.float64)
        k, d = params.means.shape
        chol = params.precisions_cholesky
        means_c = params.means - self.shift
        # log N(x | m, P) = const + (P m)'x - 0.5 sum_f c_f q_f(x) - 0.5 m'P m  (x, m centred)
        quadratic = cov.quadratic_coefficients(chol, k, d)
        linear = cov.precision_dot(means_c, chol)
        log_weights = params.e_step_log_weights()
        # finite, so no inf enters a matrix product
        log_norms = -0.5 * d * math.log(2 * math.pi) + cov.log_det_cholesky(chol, k, d) + np.maximum(log_weights, -1e30)
        constant = log_norms - 0.5 * np.sum(linear * means_c, axis=1)
        coef = np.hstack([-0.5 * quadratic, linear, constant[:, None]])
        factor = cov.row_quadratic_factor(chol)
        self._row_factor_t = None if factor is None else np.ascontiguousarray(factor.T, dtype=self.dtype)
        # A quadratic form shared by every component (tied) cannot be taken about one
        # component's mean: such types always use the shared products.
        self.own = () if factor is not None else cancelling_components(params, self.shift, self.dtype)
        own = list(self.own)
        shared = [j for j in range(k) if j not in self.own]
        # Inside a chunk the components are ordered shared first, own-centred last, so that
        # each part writes its rows of the log-probabilities in place; the methods give
        # results in the parameters' order (the identity when no component is centred on its own).
        self._n_shared = len(shared)
        self._order = np.array(shared + own, dtype=np.intp)
        self._inverse = np.argsort(self._order)
        coef = coef[self._order]
        _check_representable(coef, self.dtype, self._order)
        # Rounding bound of the shared products' log-density of each component at a row x:
        # (p + 4) eps (0.5 |P|_F |x - c|^2 + |P (m - c)| |x - c| + |constant|), the sum of the
        # absolute values of the product's terms times the dot product's error factor.  |x - c|^2
        # comes from the product as one more row (the identity's coefficients: a sum of squares,
        # so it keeps its relative precision).
        self._bounds = None
        if own:
            precisions = cov.dense(params.precisions, k, d)
            terms = np.stack([0.5 * _norms(precisions.reshape(k, -1)), _norms(linear), np.abs(constant)], axis=1)
            factor_of_error = (coef.shape[1] + 4) * float(np.finfo(self.dtype).eps)
            bound = (factor_of_error * terms)[self._order]
            self._bounds = np.ascontiguousarray(bound, dtype=self.dtype)
            radius2 = cov.quadratic_coefficients(cov.identity(1, d), 1, d)
            coef = np.vstack([coef, np.hstack([radius2, np.zeros((1, d + 1))])])
        # Zero rows up to a multiple of _PRODUCT_ROWS: BLAS's edge tiles cost about a whole tile
        # (their products are never read).
        coef = np.vstack([coef, np.zeros((-coef.shape[0] % _PRODUCT_ROWS, coef.shape[1]))])
        self._coef = np.ascontiguousarray(coef, dtype=self.dtype)
        # Own-centred components: centres (representable in the dtype), whitening factors, constants.
        centres = params.means[own].astype(self.dtype)
        self._own_centres = centres
        self._own_factors = np.ascontiguousarray(chol[own], dtype=self.dtype)
        self._own_constants = log_norms[own].astype(self.dtype)
        self._own_unwhitening = cov.unwhitening(chol[own]) if own else None
        # The centres are the means rounded to the dtype: the whitened rows are taken about the
        # centre (exactly representable) and moved to the mean by the whitened difference.
        residuals = (cov.whiten_rows((params.means[own] - centres.astype(np.float64))[:, None, :], chol[own])[:, 0, :]
                     if own else np.zeros((0, d)))
        self._own_residuals = np.ascontiguousarray(residuals, dtype=self.dtype)
        self._own_exact = not np.any(self._own_residuals)
        self._neg_half = np.full(d, -0.5, dtype=self.dtype)
        # The whitened rows, moved by the residuals, are about the means themselves (float64), so
        # the own components' statistics are about their means (not the rounded centres; labelling
        # them with the centres put each new mean off by the rounding of the old one, and EM
        # alternated between two states half an ulp apart).  Explicit shift: they move from the
        # means to it, in float64.
        own_means = params.means[own] if own else np.zeros((0, d))
        self._own_offsets = own_means - self.shift
        if explicit or not own:
            self.stats_shift = self.shift
        else:
            self.stats_shift = np.repeat(self.shift[None], k, axis=0)
            self.stats_shift[own] = own_means
        self._zero_weight = log_weights == -np.inf
        self._zero_rows = tuple(int(j) for j in np.flatnonzero(self._zero_weight[self._order]))
        self._cov = cov
        self._n_components = k
        self._n_quadratic = cov.n_quadratic(d)
        self._log_negligible = math.log(_NEGLIGIBLE[self.dtype])
        # the band test's margin below the row's best lower estimate, in the dtype
        self._level = self.dtype.type(self._log_negligible - 1.0)
        # Full covariances' bands on NumPy chunks run compiled when numba is installed (see
        # :mod:`gaussmix.core.compiled`; looked up per chunk, so that a pickled E-step uses what its
        # worker has); otherwise, and for tensors, with array calls.
        self._compiled_band_ok = bool(own) and cov.name == "full"
        self._on_device: dict = {}

    @classmethod
    def for_data(cls, params: MixtureParams, data, shift: np.ndarray | None = None) -> "EStep":
        """The E-step of ``params`` for the chunks of a data source (its dtype; missing values
        when the source lets them through, see its ``nan_policy``)."""
        return cls(params, data.dtype, shift=shift, nan_policy=getattr(data, "nan_policy", "raise"))

    def _constants(self, X):
        """``(coef, row_factor_t, shift, own_centres, own_factors, own_constants, own_residuals, bounds,
        neg_half)`` in the library and on the device of ``X`` (``neg_half``: ``-0.5`` per feature).

        Copied once per device and then reused by every chunk (a race between threads
        only copies twice).
        """
        if isinstance(X, np.ndarray):
            return (self._coef, self._row_factor_t, self.shift_in_dtype, self._own_centres, self._own_factors,
                    self._own_constants, self._own_residuals, self._bounds, self._neg_half)
        key = (type(X), str(X.device))
        found = self._on_device.get(key)
        if found is None:
            found = tuple(None if a is None else _xp.asarray_like(a, X, self.dtype)
                          for a in (self._coef, self._row_factor_t, self.shift_in_dtype, self._own_centres,
                                    self._own_factors, self._own_constants, self._own_residuals, self._bounds,
                                    self._neg_half))
            self._on_device[key] = found
        return found

    def _rows(self, X):
        """``X`` as rows of this E-step's library (a tensor of the prepared dtype, or a NumPy array)."""
        if not _xp.is_torch(X):
            return np.asarray(X)
        if _xp.numpy_dtype(X) != self.dtype:
            raise TypeError(f"This E-step was prepared for {self.dtype} rows, got a tensor of {X.dtype}.")
        return X

    def _design(self, X):
        if isinstance(X, np.ndarray):
            p = self._coef.shape[1]
            # a per-thread buffer; tensors get a fresh array per chunk instead (a device's caching
            # allocator makes that cheap, and a buffer kept here would hold device memory after the fit)
            return design(self._cov, X, self.shift_in_dtype, out=scratch("design", (p, X.shape[0]), self.dtype))
        return design(self._cov, X, self._constants(X)[2])

    def _log_prob_t(self, X):
        """``log p(x | k) + log weight_k`` of a chunk and what its statistics reuse.

        Returns ``(log_prob, design_t, band)``: the log-probabilities, shape
        ``(n_components, n_rows)`` in the chunk's component order (shared first), the shared
        design, and the own-centred components' rows that count (a :class:`_Band` or, compiled, a
        :class:`_CompiledBand`; None when there are none).
        """
        X = self._rows(X)
        coef, row_factor_t, _, centres, factors, constants, residuals, bounds, neg_half = self._constants(X)
        design_t = self._design(X)
        with self._overflow_allowed():
            products = _product(coef, design_t)
        k = self._n_components
        log_prob = products[:k]
        if not self.own:
            if row_factor_t is not None:  # a quadratic form shared by all components (tied)
                d = row_factor_t.shape[0]
                q = self._n_quadratic
                whitened = _product(row_factor_t, design_t[q : q + d])
                _xp.square_inplace(whitened)
                log_prob -= 0.5 * whitened.sum(axis=0)
            return log_prob, design_t, None
        # Components centred on their own means: the shared products gave every row an
        # approximation of their log-density, and a bound of its rounding; the rows where the
        # component could still count (its approximation plus the bound within reach of the
        # row's best lower estimate) get
        # the exact value, from their own rows minus the centre, whitened by the factor
        # (subtracted first, from the rows themselves: folding the centre into the product
        # would bring back the cancellation), squared and summed.  Elsewhere its
        # responsibility is below the negligible level whatever the rounding, so the
        # approximation stands.  All own-centred components are done at once, their rows
        # stacked and padded to the longest (the band), so the cost does not grow with calls.
        radius2 = products[k]
        if self._compiled_band_ok and isinstance(X, np.ndarray):
            kernels = compiled.kernels()
            if kernels is not None:
                return log_prob, design_t, self._compiled_band(kernels, X, log_prob, radius2)
        xp = _xp.namespace(X)
        error = bounds @ xp.stack([radius2, xp.sqrt(xp.abs(radius2)), xp.ones_like(radius2)])
        floor = xp.max(log_prob - error, axis=0) + self._level
        m = self._n_shared
        upper = error[m:]  # the own components' upper estimates, in place
        upper += log_prob[m:]
        band = _Band.of(upper >= floor, xp)
        if band is None:
            return log_prob, design_t, None
        centred = _xp.take_rows(X, band.rows)  # (n_own, width, d)
        centred -= centres[:, None, :]
        whitened = self._cov.whiten_rows(centred, factors)
        if not self._own_exact:
            whitened -= residuals[:, None, :]
        band.whitened = whitened
        squares = band.spare = centred  # no longer needed: its buffer takes the squares (and later more)
        with self._overflow_allowed():
            _xp.multiply_into(whitened, whitened, squares)
            log_density = squares @ neg_half
        log_density += constants[:, None]
        band.scatter(log_prob[m:], log_density)
        return log_prob, design_t, band

    def _compiled_band(self, kernels, X, log_prob, radius2) -> "_CompiledBand | None":
        """The band of the own-centred components found, whitened and written into ``log_prob`` by the
        compiled kernels (the same test and arithmetic as the array calls of :meth:`_log_prob_t`)."""
        n_rows, d = X.shape
        m, n_own = self._n_shared, len(self.own)
        rows = scratch("band_rows", (n_own * n_rows,), np.int64)
        starts = np.empty(n_own + 1, dtype=np.int64)
        count = kernels.band_entries(log_prob, radius2, self._bounds, m, self._level, rows, starts)
        if count == 0:
            return None
        whitened = scratch("band_whitened", (count, d), self.dtype)
        kernels.whiten_band(X, rows, starts, self._own_centres, self._own_factors, self._own_residuals,
                            self._own_constants, m, log_prob, scratch("band_centred", (count, d), self.dtype), whitened)
        return _CompiledBand(kernels, rows[:count], starts, whitened)

    def _overflow_allowed(self):
        """float32 log-densities of rows far outside a very narrow component (a precision near
        float32's range, e.g. a collapsed component with ``reg_covar=0``) overflow to ``-inf``: the
        right limit (the row's responsibility is 0), not a warning.  A ``nan`` from opposite
        overflows reaches the M-step, whose covariance check names the component."""
        if self.dtype == np.float32:
            return np.errstate(over="ignore", invalid="ignore")
        return contextlib.nullcontext()

    def _normalise_t(self, log_prob: np.ndarray) -> np.ndarray:
        """Turn log-probs ``(k, n_rows)`` into responsibilities in place; return log p(x).

        A log-sum-exp over the components whose exponentials stay in the same buffer.
        """
        xp = _xp.namespace(log_prob)
        row_max = xp.max(log_prob, axis=0)
        log_prob -= row_max
        # Raised to the negligible level before the exponential, so that none underflows to
        # a subnormal (one vectorised max; a compare and masked write after it cost ~4x more).
        _xp.clamp_below(log_prob, self._log_negligible)
        _xp.exp_inplace(log_prob)
        if self._zero_rows:  # a component of weight zero gets nothing, exactly
            log_prob[list(self._zero_rows)] = 0.0
        total = xp.sum(log_prob, axis=0)
        log_prob *= 1.0 / total
        return row_max + xp.log(total)

    # ------------------------------------------------------------- by row
    def weighted_log_prob(self, X: np.ndarray) -> np.ndarray:
        """``log p(x | k) + log weight_k``, shape ``(n_rows, n_components)``.

        For a row with missing values, ``p`` is the density of its observed coordinates.
        """
        return self._by_row(X, self._weighted_log_prob, lambda rows: rows.log_prob, (self._n_components,),
                            np.float64, math.nan)

    def _weighted_log_prob(self, X):
        log_prob_t = self._in_order(self._log_prob_t(X)[0])
        if self._zero_weight.any():
            zero = _xp.asarray_like(self._zero_weight[:, None], log_prob_t, np.bool_)
            log_prob_t = _xp.namespace(log_prob_t).where(zero, -math.inf, log_prob_t)
        return log_prob_t.T.copy() if isinstance(log_prob_t, np.ndarray) else log_prob_t.T.contiguous()

    def log_prob_and_resp(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-row log density ``(n_rows,)`` and responsibilities ``(n_rows, n_components)``.

        The responsibilities are a transposed view of a ``(n_components, n_rows)`` array
        (when no row of the chunk has a missing value).
        """
        split = self._split(X)
        if split is None:
            return self._log_prob_and_resp(X)
        return self._merge(X, split, self._log_prob_and_resp, lambda rows: rows.responsibilities(),
                           ((), (self._n_components,)), self.dtype, math.nan)

    def _log_prob_and_resp(self, X):
        resp_t = self._log_prob_t(X)[0]
        log_norm = self._normalise_t(resp_t)
        return log_norm, self._in_order(resp_t).T

    def responsibilities(self, X: np.ndarray) -> np.ndarray:
        """Posterior probability of each component for each row."""
        return self.log_prob_and_resp(X)[1]

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Log density of the mixture at each row (of its observed coordinates, when some are missing)."""
        return self._by_row(X, self._score_samples, lambda rows: rows.responsibilities()[0], (), self.dtype,
                            math.nan)

    def _score_samples(self, X):
        log_prob = self._log_prob_t(X)[0]
        xp = _xp.namespace(log_prob)
        row_max = xp.max(log_prob, axis=0)
        log_prob -= row_max
        _xp.exp_inplace(log_prob)
        return row_max + xp.log(xp.sum(log_prob, axis=0))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable component of each row."""
        return self._by_row(X, self._predict, lambda rows: np.argmax(rows.log_prob, axis=1), (), np.int64, -1)

    def _predict(self, X):
        log_prob = self._log_prob_t(X)[0]
        best = _xp.namespace(log_prob).argmax(log_prob, axis=0)
        return best if not self.own else _xp.asarray_like(self._order, best)[best]

    # ------------------------------------------------------- missing values
    def _split(self, X):
        """None when no row of the chunk has a missing value; else ``(complete, incomplete, rows)``:
        the rows' positions (NumPy) and the incomplete ones evaluated (an
        :class:`~gaussmix.core.missing.IncompleteRows`; None when they are omitted)."""
        if self.nan_policy == "raise":
            return None
        X = self._rows(X)
        if isinstance(X, np.ndarray):
            nan_rows = np.isnan(X).any(axis=1)
            if not nan_rows.any():
                return None
        else:
            nan_rows_t = X.isnan().any(dim=1)
            if not bool(nan_rows_t.any()):
                return None
            nan_rows = _xp.to_numpy(nan_rows_t)
        incomplete = np.flatnonzero(nan_rows)
        complete = np.flatnonzero(~nan_rows)
        if self.nan_policy == "omit":
            return complete, incomplete, None
        if self._incomplete_kernel is None:  # a race between threads only builds it twice
            self._incomplete_kernel = IncompleteKernel(self.params)
        rows = self._incomplete_kernel.evaluate(_xp.to_host_float64(_xp.take_rows(X, self._index(incomplete, X))))
        return complete, incomplete, rows

    @staticmethod
    def _index(positions: np.ndarray, X):
        return positions if isinstance(X, np.ndarray) else _xp.asarray_like(positions, X, np.int64)

    def _by_row(self, X, complete_fn, incomplete_fn, tail, dtype, omitted):
        """A per-row result: ``complete_fn`` on the complete rows, ``incomplete_fn`` on the others
        (``omitted`` when they are omitted)."""
        split = self._split(X)
        if split is None:
            return complete_fn(X)
        (out,) = self._merge(X, split, lambda Xc: (complete_fn(Xc),), lambda rows: (incomplete_fn(rows),),
                             (tail,), dtype, omitted)
        return out

    def _merge(self, X, split, complete_fn, incomplete_fn, tails, dtype, omitted):
        """Per-row results (a tuple, one array of shape ``(n_rows, *tail)`` per entry of ``tails``) from
        ``complete_fn`` on the complete rows and ``incomplete_fn`` on the others, each computed once."""
        X = self._rows(X)
        complete, incomplete, rows = split
        outs = tuple(np.empty((X.shape[0], *tail), dtype=dtype) for tail in tails)
        if complete.size:
            for out, part in zip(outs, complete_fn(_xp.take_rows(X, self._index(complete, X)))):
                out[complete] = _xp.to_numpy(part)
        parts = (omitted,) * len(outs) if rows is None else incomplete_fn(rows)
        for out, part in zip(outs, parts):
            out[incomplete] = part
        return outs if isinstance(X, np.ndarray) else tuple(_xp.asarray_like(out, X, dtype) for out in outs)

    def _incomplete_stats(self, rows, weights) -> SufficientStats:
        """The expected statistics of rows with missing values, about :attr:`stats_shift`."""
        log_norm, resp = rows.responsibilities()
        w = None if weights is None else _xp.to_host_float64(weights)
        centres = np.broadcast_to(self.stats_shift, self.params.means.shape)
        n, nk, s1, s2 = rows.moments(resp, w, centres)
        loglik = float(np.sum(log_norm) if w is None else w @ log_norm)
        return SufficientStats(self.stats_shift, n, nk, s1, self._cov.moments_from_dense(s2), loglik)

    def _in_order(self, per_component_t):
        """Rows of a ``(n_components, n_rows)`` chunk result in the parameters' component order."""
        if not self.own:
            return per_component_t
        return per_component_t[_xp.asarray_like(self._inverse, per_component_t, np.intp)]

    def stats(self, X: np.ndarray, weights: np.ndarray | None = None) -> SufficientStats:
        """E-step and reduction: this chunk's :class:`SufficientStats` under the parameters.

        Rows with missing values (``nan_policy='marginalize'``) contribute their expected statistics;
        a row with nothing observed contributes nothing (see :mod:`gaussmix.core.missing`).
        """
        split = self._split(X)
        if split is not None:
            X = self._rows(X)
            complete, incomplete, rows = split
            k, d = self.params.means.shape
            total = SufficientStats.zeros(self._cov, k, d, self.stats_shift) if rows is None else \
                self._incomplete_stats(rows, None if weights is None else
                                       _xp.take_rows(weights, self._index(incomplete, X)))
            if complete.size:
                index = self._index(complete, X)
                total = self._stats(_xp.take_rows(X, index), None if weights is None else
                                    _xp.take_rows(weights, index)) + total
            return total
        return self._stats(X, weights)

    def _stats(self, X, weights) -> SufficientStats:
        X = self._rows(X)
        wresp_t, design_t, band = self._log_prob_t(X)
        log_norm = self._normalise_t(wresp_t)
        if weights is None:
            loglik = _xp.sum_float64(log_norm)
        else:
            loglik = _xp.dot_float64(weights, log_norm)
            wresp_t *= _xp.astype(weights, self.dtype)
        if not self.own:
            return SufficientStats.from_design(self._cov, design_t, wresp_t, weights, self.shift, loglik)
        return self._stats_with_own(X, weights, wresp_t, design_t, band, loglik)

    def _stats_with_own(self, X, weights, wresp_t, design_t, band, loglik) -> SufficientStats:
        """Statistics when some components are centred on their own means.

        The shared components' come from the design product as usual.  Each own-centred
        component's are summed from its whitened rows ``y = U'(x - c)`` of the E-step's band
        (well scaled in every direction, so the products keep their relative precision even
        in float32; outside the band its responsibilities are negligible) and mapped back to
        ``x - c`` in float64.
        """
        cov = self._cov
        m, n_rows, d, n_own = self._n_shared, X.shape[0], X.shape[1], len(self.own)
        nk, s1, s2 = [], [], []
        if m:
            shared = SufficientStats.from_design(cov, design_t, wresp_t[:m], weights, self.shift)
            nk.append(shared.nk), s1.append(shared.s1), s2.append(shared.s2)
        if band is None:
            mass, first = np.zeros(n_own), np.zeros((n_own, d))
            second = np.zeros((n_own, *cov.moment_shape(1, d)[1:]))
        else:
            mass, first, second = band.moments(wresp_t, m, cov)
            first, second = cov.unwhiten(first, second, self._own_unwhitening)
            if self.stats_shift.ndim == 1:  # explicit shift: from the means to it, in float64
                first, second = cov.moments_about(mass, first, second, self._own_offsets)
        nk.append(mass), s1.append(first), s2.append(second)
        order = self._inverse
        n = float(n_rows) if weights is None else _xp.sum_float64(weights)
        return SufficientStats(self.stats_shift, n, np.concatenate(nk)[order], np.concatenate(s1)[order],
                               np.concatenate(s2)[order], float(loglik))


def _product(coef, design_t):
    """``coef @ design_t``; for NumPy, one batched product over blocks of :data:`_PRODUCT_BLOCK` rows.

    The blocks run OpenBLAS's small-matrix kernels, which skip packing the whole design into
    buffers first: a 17 x 153 by 153 x 9306 product took 0.26 ms instead of 0.36 in float32 and
    0.57 instead of 0.78 in float64 (one thread, 2-core EPYC); diagonal designs (33 features)
    gain as much, and float32 tied and spherical ones (16-18) 25-40 %.  Float64 products over
    fewer than 32 features were 10 % slower in blocks, and stay whole.
    """
    if (not isinstance(design_t, np.ndarray) or design_t.shape[1] < 2 * _PRODUCT_BLOCK
            or (design_t.dtype == np.float64 and design_t.shape[0] < 32)):
        return coef @ design_t
    rows, n_rows = coef.shape[0], design_t.shape[1]
    out = np.empty((rows, n_rows), dtype=np.result_type(coef, design_t))
    blocks, whole = column_blocks(design_t, _PRODUCT_BLOCK)
    np.matmul(coef, blocks, out=column_blocks(out, _PRODUCT_BLOCK)[0])
    if whole < n_rows:
        out[:, whole:] = coef @ design_t[:, whole:]
    return out


def _norms(rows: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row, scaled by its largest entry first: the terms of a precision near
    float64's range (a collapsed component, ``reg_covar=0``) must not overflow in their squares."""
    with np.errstate(over="ignore"):  # an inf entry: an inf norm, the honest bound
        scale = np.maximum(np.max(np.abs(rows), axis=1), np.finfo(np.float64).tiny)
        return scale * np.sqrt(np.sum((rows / scale[:, None]) ** 2, axis=1))


def _check_representable(coef: np.ndarray, dtype: np.dtype, order: np.ndarray) -> None:
    """A ``CovarianceError`` naming the first component whose E-step coefficients exceed ``dtype``'s range.

    A precision beyond float32's range (a component collapsed far below what the data's
    resolution can hold, e.g. with ``reg_covar=0``) cannot be evaluated in float32.
    """
    if dtype != np.float32:
        return
    with np.errstate(invalid="ignore"):
        too_big = ~(np.max(np.abs(coef), axis=1) <= np.finfo(np.float32).max)
    if too_big.any():
        component = int(order[int(np.argmax(too_big))])
        raise CovarianceError(ill_defined_message(f"component {component} (its precision exceeds float32's range)",
                                                  dtype))


class _Band:
    """The rows of a chunk where each own-centred component counts, stacked and padded.

    ``rows`` (n_own, width) indexes the chunk's rows (padding repeats row 0, with zero weight
    in the statistics).  The real entries are listed twice, as flat indices: ``flat`` into
    the chunk's ``(n_own, n_rows)`` per-component rows (component * n_rows + row) and
    ``packed`` into the band's ``(n_own, width)`` (component * width + position).
    """

    def __init__(self, rows, flat, packed, width):
        self.rows, self.flat, self.packed, self.width = rows, flat, packed, width
        #: the whitened rows (n_own, width, d), and a work buffer of the same shape
        self.whitened = self.spare = None

    @classmethod
    def of(cls, reach, xp) -> "_Band | None":
        n_own, n_rows = reach.shape
        flat = xp.nonzero(xp.reshape(reach, (-1,)))[0]  # ordered by component, then row
        if flat.shape[0] == 0:
            return None
        kw = {} if isinstance(flat, np.ndarray) else {"device": flat.device}
        bounds = xp.searchsorted(flat, xp.asarray(np.arange(n_own + 1) * n_rows, dtype=flat.dtype, **kw))
        starts = bounds[:-1]
        width = int(xp.max(bounds[1:] - starts))
        component = flat // n_rows
        # position in the band = index in ``flat`` - the component's start
        offsets = xp.asarray(np.arange(n_own) * width, dtype=flat.dtype, **kw) - starts
        packed = xp.arange(flat.shape[0], dtype=flat.dtype, **kw) + xp.take(offsets, component)
        rows = xp.zeros((n_own * width,), dtype=flat.dtype, **kw)
        _xp.put_flat(rows, packed, flat - component * n_rows)
        return cls(xp.reshape(rows, (n_own, width)), flat, packed, width)

    def scatter(self, per_row, on_band) -> None:
        """Write the band's values ``on_band`` (n_own, width) into ``per_row`` (n_own, n_rows, contiguous)."""
        _xp.put_flat(per_row, self.flat, _xp.take_flat(on_band, self.packed))

    def gather(self, per_row, xp):
        """``per_row`` (n_own, n_rows, contiguous) on the band: (n_own, width), zero on the padding."""
        kw = {} if isinstance(per_row, np.ndarray) else {"device": per_row.device}
        out = xp.zeros((per_row.shape[0], self.width), dtype=per_row.dtype, **kw)
        _xp.put_flat(out, self.packed, _xp.take_flat(per_row, self.flat))
        return out

    def moments(self, wresp_t, n_shared: int, cov):
        """Whitened ``(mass, first, second)`` of the band's rows weighted by the own rows of ``wresp_t``
        (k, n_rows): host float64, ``second`` in :meth:`CovarianceType.whitened_moments`'s layout."""
        xp = _xp.namespace(wresp_t)
        wresp = self.gather(wresp_t[n_shared:], xp)  # (n_own, width), zero on the padding
        mass = _xp.to_host_float64(xp.sum(wresp, axis=1))
        first = _xp.to_host_float64((wresp[:, None, :] @ self.whitened)[:, 0, :])
        weighted = self.spare  # the band's buffer of the squares, free again
        _xp.multiply_into(self.whitened, wresp[:, :, None], weighted)
        return mass, first, _xp.to_host_float64(cov.whitened_moments(self.whitened, weighted))


class _CompiledBand:
    """The band of :class:`_Band` as the compiled kernels keep it (NumPy chunks, full covariances):
    the ``rows`` of each component (``rows[starts[o]:starts[o + 1]]``) and their ``whitened`` rows
    ``(n_entries, d)``."""

    def __init__(self, kernels, rows, starts, whitened):
        self.kernels, self.rows, self.starts, self.whitened = kernels, rows, starts, whitened

    def moments(self, wresp_t, n_shared: int, cov):
        """As :meth:`_Band.moments` (full covariances: ``second`` of shape (n_own, d, d))."""
        n_own, d = self.starts.shape[0] - 1, self.whitened.shape[1]
        mass, first, second = np.zeros(n_own), np.zeros((n_own, d)), np.zeros((n_own, d, d))
        weighted = scratch("band_weighted", self.whitened.shape, self.whitened.dtype)
        self.kernels.band_moments(self.whitened, self.rows, self.starts, n_shared, wresp_t, weighted, mass,
                                  first, second)
        return mass, first, second


def cancelling_components(params: MixtureParams, shift: np.ndarray, dtype) -> tuple[int, ...]:
    """Components too narrow for their distance from the shared shift: centred on their own means.

    The shared products evaluate every log-density from quadratic features of rows
    centred on one shift ``c``, and sum second moments about ``c`` from which the M-step
    subtracts ``(m_k - c)(m_k - c)^T``; rounding leaves an error of about
    ``eps * (|m_k - c|^2 + tr(cov_k))`` in that covariance (and in the whitened terms of the
    log-density).  A component is returned when that error, relative to its smallest
    variance (the smallest eigenvalue of its covariance: along a thin, oblique axis that is
    up to ``n_features`` times smaller than the smallest diagonal entry, and measured on
    rotated, stretched clusters, estimating it by the diagonal left float32 covariances 2e-3
    off the float64 fit after 20 iterations), exceeds :data:`CANCELLATION_LIMIT`: in float64 a
    component collapsed more than about 7e6 of its standard deviations from ``c`` (never in
    an ordinary fit); in float32 about 300, which narrow, elongated clusters a few of their
    widths apart often are (on the benchmarks' rotated data, 11 of 16 components after six
    iterations).  Each qualifying component is evaluated on its band of rows only; the others
    stay in the shared design.

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
    k, d = params.means.shape
    eps = float(np.finfo(np.dtype(dtype)).eps)
    covariances = params.covariance.dense(params.covariances, k, d)
    scale = np.sum((params.means - shift) ** 2, axis=1) + np.trace(covariances, axis1=1, axis2=2)
    with np.errstate(divide="ignore"):
        largest = 1.0 / smallest_eigenvalues(covariances)
    with np.errstate(over="ignore", invalid="ignore"):
        error = eps * scale * largest
    return tuple(int(j) for j in np.flatnonzero(~(error <= CANCELLATION_LIMIT)))
