"""Additive sufficient statistics: the one currency of every EM pass.

For rows ``x`` with weights ``w`` and responsibilities ``r`` against a shift ``c``::

    n    = sum w                       (scalar)
    nk   = sum w r                      (k,)
    s1   = sum w r (x - c)              (k, d)
    s2   = second moments about c       (shape set by the covariance type)
    loglik = sum w log p(x)             (scalar)

Statistics of disjoint chunks computed against the same shift add with ``+``; a loop,
a tree reduction and a multi-device sum are the same algorithm.  Everything is float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..covariance import CovarianceType


@dataclass(frozen=True, eq=False)
class SufficientStats:
    """Summed statistics of some rows (see module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix.covariance import get_covariance
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> resp = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> shift = np.zeros(1)
    >>> a = SufficientStats.from_responsibilities(get_covariance("diag"), X[:2], resp[:2], None, shift)
    >>> b = SufficientStats.from_responsibilities(get_covariance("diag"), X[2:], resp[2:], None, shift)
    >>> (a + b).s1.ravel().tolist()
    [1.0, 5.0]
    """

    shift: np.ndarray
    n: float
    nk: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    loglik: float = 0.0

    @classmethod
    def zeros(cls, covariance: CovarianceType, n_components: int, n_features: int, shift) -> "SufficientStats":
        """The neutral element for ``+``."""
        return cls(
            np.asarray(shift, dtype=np.float64),
            0.0,
            np.zeros(n_components),
            np.zeros((n_components, n_features)),
            np.zeros(covariance.moment_shape(n_components, n_features)),
            0.0,
        )

    @classmethod
    def from_responsibilities(
        cls,
        covariance: CovarianceType,
        X: np.ndarray,
        resp: np.ndarray,
        weights: np.ndarray | None,
        shift: np.ndarray,
        loglik: float = 0.0,
        *,
        centred: bool = False,
    ) -> "SufficientStats":
        """Statistics of rows ``X`` given their responsibilities.

        Parameters
        ----------
        covariance : the covariance type, which decides ``s2``.
        X : ndarray of shape (n_rows, n_features); already minus ``shift`` when ``centred``.
        resp : ndarray of shape (n_rows, n_components), in ``X.dtype``.
        weights : ndarray of shape (n_rows,) or None (all ones).
        shift : ndarray of shape (n_features,), representable in ``X.dtype``.
        loglik : the rows' summed weighted log-likelihood, when known.
        """
        shift = np.asarray(shift, dtype=np.float64)
        Xc = X if centred else X - shift.astype(X.dtype)
        wresp = resp if weights is None else resp * weights[:, None]
        n = float(X.shape[0]) if weights is None else float(np.sum(weights, dtype=np.float64))
        return cls(
            shift,
            n,
            np.sum(wresp, axis=0, dtype=np.float64),
            (wresp.T @ Xc).astype(np.float64),
            covariance.second_moment(Xc, wresp, weights),
            float(loglik),
        )

    def __add__(self, other: "SufficientStats") -> "SufficientStats":
        if not isinstance(other, SufficientStats):
            return NotImplemented
        if not np.array_equal(self.shift, other.shift):
            raise ValueError("Statistics computed against different shifts cannot be added.")
        if self.s2.shape != other.s2.shape or self.s1.shape != other.s1.shape:
            raise ValueError(
                f"Statistics of different shapes cannot be added: {self.s2.shape} and {other.s2.shape}."
            )
        return SufficientStats(
            self.shift,
            self.n + other.n,
            self.nk + other.nk,
            self.s1 + other.s1,
            self.s2 + other.s2,
            self.loglik + other.loglik,
        )

    @property
    def mean_loglik(self) -> float:
        """Weighted mean log-likelihood of the rows: EM's lower bound."""
        return self.loglik / self.n
