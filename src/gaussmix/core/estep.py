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

Chunks may be NumPy arrays or tensors of another array library (PyTorch, on any
device): the kernel is written once against the chunk's array namespace (see
:mod:`gaussmix._xp`).  The parameters stay NumPy float64 on the host; the coefficient
matrix is copied to a chunk's device and dtype once per :class:`EStep` (so once per EM
iteration), and the statistics come back to the host as float64.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from .. import _xp
from .params import MixtureParams
from .stats import SufficientStats, design

# Responsibilities below these are set to zero: far below the dtype's rounding, and
# products with subnormal numbers run ~100x slower in BLAS.
_NEGLIGIBLE = {np.dtype(np.float64): 1e-250, np.dtype(np.float32): 1e-30}

_buffers = threading.local()


def _design_buffer(p: int, n_rows: int, dtype: np.dtype) -> np.ndarray:
    """A per-thread scratch array for NumPy chunk designs (reused across chunks and iterations).

    Tensors get a fresh array per chunk instead: a device's caching allocator makes that
    cheap, and a buffer kept alive here would hold device memory after the fit.
    """
    buf = getattr(_buffers, "design", None)
    if buf is None or buf.dtype != dtype or buf.shape[0] != p or buf.shape[1] < n_rows:
        buf = np.empty((p, n_rows), dtype=dtype)
        _buffers.design = buf
    return buf[:, :n_rows]


class EStep:
    """Responsibilities, log-densities and statistics of chunks under fixed parameters.

    Parameters
    ----------
    params : MixtureParams
    dtype : numpy dtype of the rows (float32 or float64; for tensors, the NumPy equivalent)
    shift : ndarray of shape (n_features,), optional
        Centre for the arithmetic and for the statistics; default ``params.default_shift()``.

    Examples
    --------
    >>> import numpy as np
    >>> p = MixtureParams.from_covariances("spherical", np.array([0.5, 0.5]),
    ...                                    np.array([[0.0], [3.0]]), np.array([1.0, 1.0]))
    >>> EStep(p, np.float64).responsibilities(np.array([[0.0], [3.0]])).round(3)
    array([[0.989, 0.011],
           [0.011, 0.989]])
    """

    def __init__(self, params: MixtureParams, dtype=np.float64, shift: np.ndarray | None = None):
        self.params = params
        self.dtype = np.dtype(dtype)
        cov = params.covariance
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
        with np.errstate(divide="ignore"):  # a zero weight is allowed: its component gets nothing
            log_weights = np.log(params.weights)
        constant = (
            -0.5 * d * math.log(2 * math.pi)
            + cov.log_det_cholesky(chol, k, d)
            - 0.5 * np.sum(linear * means_c, axis=1)
            + np.maximum(log_weights, -1e30)  # finite, so no inf enters the matrix product
        )
        self._coef = np.ascontiguousarray(np.hstack([-0.5 * quadratic, linear, constant[:, None]]), dtype=self.dtype)
        factor = cov.row_quadratic_factor(chol)
        self._row_factor_t = None if factor is None else np.ascontiguousarray(factor.T, dtype=self.dtype)
        self._zero_weight = log_weights == -np.inf
        self._cov = cov
        self._n_quadratic = cov.n_quadratic(d)
        self._negligible = _NEGLIGIBLE[self.dtype]
        self._log_negligible = math.log(self._negligible)
        self._on_device: dict = {}

    def _constants(self, X):
        """``(coef, row_factor_t, shift)`` in the library and on the device of ``X``.

        Copied once per device and then reused by every chunk (a race between threads
        only copies twice).
        """
        if isinstance(X, np.ndarray):
            return self._coef, self._row_factor_t, self.shift_in_dtype
        key = (type(X), str(X.device))
        found = self._on_device.get(key)
        if found is None:
            row_factor = None if self._row_factor_t is None else _xp.asarray_like(self._row_factor_t, X, self.dtype)
            found = (_xp.asarray_like(self._coef, X, self.dtype), row_factor,
                     _xp.asarray_like(self.shift_in_dtype, X, self.dtype))
            self._on_device[key] = found
        return found

    # ------------------------------------------------------------ by feature
    def _design(self, X):
        if not _xp.is_torch(X):
            X = np.asarray(X)
            p = self._coef.shape[1]
            return design(self._cov, X, self.shift_in_dtype, out=_design_buffer(p, X.shape[0], self.dtype))
        if _xp.numpy_dtype(X) != self.dtype:
            raise TypeError(f"This E-step was prepared for {self.dtype} rows, got a tensor of {X.dtype}.")
        return design(self._cov, X, self._constants(X)[2])

    def _log_prob_t(self, design_t):
        """``log p(x | k) + log weight_k`` of a design, shape ``(n_components, n_rows)``."""
        coef, row_factor_t, _ = self._constants(design_t)
        log_prob = coef @ design_t
        if row_factor_t is not None:  # a quadratic form shared by all components (tied)
            d = row_factor_t.shape[0]
            q = self._n_quadratic
            whitened = row_factor_t @ design_t[q : q + d]
            _xp.square_inplace(whitened)
            log_prob -= 0.5 * whitened.sum(axis=0)
        return log_prob

    def _normalise_t(self, log_prob: np.ndarray) -> np.ndarray:
        """Turn log-probs ``(k, n_rows)`` into responsibilities in place; return log p(x).

        A log-sum-exp over the components whose exponentials stay in the same buffer.
        """
        xp = _xp.namespace(log_prob)
        row_max = xp.max(log_prob, axis=0)
        log_prob -= row_max
        # Flushing costs a compare and a masked write over the whole array; on the CPU a
        # cheaper min tells when it is needed (rarely: only log-probs ~700 below a row's
        # best underflow to subnormals).  On a device the flush is cheap and a min would sync.
        flush = not isinstance(log_prob, np.ndarray) or log_prob.min() < self._log_negligible
        _xp.exp_inplace(log_prob)
        if flush:
            _xp.zero_below(log_prob, self._negligible)
        total = xp.sum(log_prob, axis=0)
        log_prob *= 1.0 / total
        return row_max + xp.log(total)

    # ------------------------------------------------------------- by row
    def weighted_log_prob(self, X: np.ndarray) -> np.ndarray:
        """``log p(x | k) + log weight_k``, shape ``(n_rows, n_components)``."""
        log_prob_t = self._log_prob_t(self._design(X))
        if self._zero_weight.any():
            zero = _xp.asarray_like(self._zero_weight[:, None], log_prob_t, np.bool_)
            log_prob_t = _xp.namespace(log_prob_t).where(zero, -math.inf, log_prob_t)
        return log_prob_t.T.copy() if isinstance(log_prob_t, np.ndarray) else log_prob_t.T.contiguous()

    def log_prob_and_resp(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-row log density ``(n_rows,)`` and responsibilities ``(n_rows, n_components)``.

        The responsibilities are a transposed view of a ``(n_components, n_rows)`` array.
        """
        resp_t = self._log_prob_t(self._design(X))
        log_norm = self._normalise_t(resp_t)
        return log_norm, resp_t.T

    def responsibilities(self, X: np.ndarray) -> np.ndarray:
        """Posterior probability of each component for each row."""
        return self.log_prob_and_resp(X)[1]

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Log density of the mixture at each row."""
        log_prob = self._log_prob_t(self._design(X))
        xp = _xp.namespace(log_prob)
        row_max = xp.max(log_prob, axis=0)
        log_prob -= row_max
        _xp.exp_inplace(log_prob)
        return row_max + xp.log(xp.sum(log_prob, axis=0))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable component of each row."""
        log_prob = self._log_prob_t(self._design(X))
        return _xp.namespace(log_prob).argmax(log_prob, axis=0)

    def stats(self, X: np.ndarray, weights: np.ndarray | None = None) -> SufficientStats:
        """E-step and reduction: this chunk's :class:`SufficientStats` under the parameters."""
        design_t = self._design(X)
        wresp_t = self._log_prob_t(design_t)
        log_norm = self._normalise_t(wresp_t)
        if weights is None:
            loglik = _xp.sum_float64(log_norm)
        else:
            loglik = _xp.dot_float64(weights, log_norm)
            wresp_t *= _xp.astype(weights, self.dtype)
        return SufficientStats.from_design(self._cov, design_t, wresp_t, weights, self.shift, loglik)
