"""The E-step on one chunk of rows.

One :class:`EStep` is prepared per parameter value (and dtype); it then serves any
number of chunks.  Heavy arithmetic runs in the data's dtype on rows centred on a shift
(the mixture's mean by default), so float32 data far from zero keep their precision;
everything summed across rows is accumulated in float64.
"""

from __future__ import annotations

import math

import numpy as np

from .params import MixtureParams
from .stats import SufficientStats


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
        means_c = params.means - self.shift
        self._prepared = cov.prepare(means_c, params.precisions_cholesky, self.dtype)
        with np.errstate(divide="ignore"):  # a zero weight is allowed: its column is -inf
            log_weights = np.log(params.weights)
        constant = -0.5 * d * math.log(2 * math.pi) + cov.log_det_cholesky(params.precisions_cholesky, k, d)
        self._constant = (constant + log_weights).astype(self.dtype)
        self._cov = cov
        self._tiny = np.finfo(self.dtype).tiny

    def centre(self, X: np.ndarray) -> np.ndarray:
        """``X`` minus the shift, in the data's dtype (a new array)."""
        return np.subtract(X, self.shift_in_dtype, dtype=self.dtype)

    def weighted_log_prob(self, X: np.ndarray, *, centred: bool = False) -> np.ndarray:
        """``log p(x | k) + log weight_k``, shape ``(n_rows, n_components)``."""
        Xc = X if centred else self.centre(X)
        out = self._cov.squared_mahalanobis(Xc, self._prepared)
        out *= -0.5
        out += self._constant
        return out

    def _exp_shifted(self, wlp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``exp(wlp - row max)`` in place; return the row maxima and the row sums.

        ``log p(x) = row max + log(row sum)``: a log-sum-exp that leaves the unnormalised
        responsibilities in the same buffer.
        """
        row_max = wlp.max(axis=1)
        wlp -= row_max[:, None]
        with np.errstate(under="ignore"):
            np.exp(wlp, out=wlp)
        # Values below the smallest normal number are subnormal, and products with
        # subnormals run ~100x slower in BLAS; they are zero to working precision.
        np.putmask(wlp, wlp < self._tiny, 0.0)
        return row_max, wlp.sum(axis=1)

    def _normalise(self, wlp: np.ndarray) -> np.ndarray:
        """Turn weighted log-probs into responsibilities in place; return log p(x)."""
        row_max, total = self._exp_shifted(wlp)
        wlp /= total[:, None]
        return row_max + np.log(total)

    def log_prob_and_resp(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-row log density ``(n_rows,)`` and responsibilities ``(n_rows, n_components)``."""
        resp = self.weighted_log_prob(X)
        log_norm = self._normalise(resp)
        return log_norm, resp

    def responsibilities(self, X: np.ndarray) -> np.ndarray:
        """Posterior probability of each component for each row."""
        return self.log_prob_and_resp(X)[1]

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Log density of the mixture at each row."""
        row_max, total = self._exp_shifted(self.weighted_log_prob(X))
        return row_max + np.log(total)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable component of each row."""
        return np.argmax(self.weighted_log_prob(X), axis=1)

    def stats(self, X: np.ndarray, weights: np.ndarray | None = None) -> SufficientStats:
        """E-step and reduction: this chunk's :class:`SufficientStats` under the parameters."""
        Xc = self.centre(X)
        resp = self.weighted_log_prob(Xc, centred=True)
        log_norm = self._normalise(resp)
        if weights is None:
            loglik = float(np.sum(log_norm, dtype=np.float64))
        else:
            loglik = float(np.dot(weights.astype(np.float64), log_norm.astype(np.float64)))
        return SufficientStats.from_responsibilities(
            self._cov, Xc, resp, weights, self.shift, loglik, centred=True
        )
