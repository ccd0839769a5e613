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
"""

from __future__ import annotations

import math
import threading

import numpy as np

from .params import MixtureParams
from .stats import SufficientStats, design

# Responsibilities below these are set to zero: far below the dtype's rounding, and
# products with subnormal numbers run ~100x slower in BLAS.
_NEGLIGIBLE = {np.dtype(np.float64): 1e-250, np.dtype(np.float32): 1e-30}

_buffers = threading.local()


def _design_buffer(p: int, n_rows: int, dtype: np.dtype) -> np.ndarray:
    """A per-thread scratch array for chunk designs (reused across chunks and iterations)."""
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
    dtype : numpy dtype of the rows (float32 or float64)
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

    # ------------------------------------------------------------ by feature
    def _design(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X)
        p = self._coef.shape[1]
        return design(self._cov, X, self.shift_in_dtype, out=_design_buffer(p, X.shape[0], self.dtype))

    def _log_prob_t(self, design_t: np.ndarray) -> np.ndarray:
        """``log p(x | k) + log weight_k`` of a design, shape ``(n_components, n_rows)``."""
        log_prob = self._coef @ design_t
        if self._row_factor_t is not None:  # a quadratic form shared by all components (tied)
            d = self._row_factor_t.shape[0]
            q = self._n_quadratic
            whitened = self._row_factor_t @ design_t[q : q + d]
            np.square(whitened, out=whitened)
            log_prob -= 0.5 * whitened.sum(axis=0)
        return log_prob

    def _normalise_t(self, log_prob: np.ndarray) -> np.ndarray:
        """Turn log-probs ``(k, n_rows)`` into responsibilities in place; return log p(x).

        A log-sum-exp over the components whose exponentials stay in the same buffer.
        """
        row_max = log_prob.max(axis=0)
        log_prob -= row_max
        np.exp(log_prob, out=log_prob)
        np.putmask(log_prob, log_prob < self._negligible, 0.0)
        total = log_prob.sum(axis=0)
        log_prob *= 1.0 / total
        return row_max + np.log(total)

    # ------------------------------------------------------------- by row
    def weighted_log_prob(self, X: np.ndarray) -> np.ndarray:
        """``log p(x | k) + log weight_k``, shape ``(n_rows, n_components)``."""
        out = self._log_prob_t(self._design(X)).T.copy()
        out[:, self._zero_weight] = -np.inf
        return out

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
        row_max = log_prob.max(axis=0)
        log_prob -= row_max
        np.exp(log_prob, out=log_prob)
        return row_max + np.log(log_prob.sum(axis=0))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable component of each row."""
        return np.argmax(self._log_prob_t(self._design(X)), axis=0)

    def stats(self, X: np.ndarray, weights: np.ndarray | None = None) -> SufficientStats:
        """E-step and reduction: this chunk's :class:`SufficientStats` under the parameters."""
        design_t = self._design(X)
        wresp_t = self._log_prob_t(design_t)
        log_norm = self._normalise_t(wresp_t)
        if weights is None:
            loglik = float(np.sum(log_norm, dtype=np.float64))
        else:
            loglik = float(np.dot(weights.astype(np.float64), log_norm.astype(np.float64)))
            wresp_t *= weights.astype(self.dtype, copy=False)
        return SufficientStats.from_design(self._cov, design_t, wresp_t, weights, self.shift, loglik)
