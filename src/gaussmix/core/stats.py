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

from .. import _xp
from .._parallel import scratch
from ..covariance import CovarianceType


#: float32 chunks sum their statistics product over blocks of this many rows, each block's
#: product added in float64.  The statistics are sums of quadratic features about a shared shift,
#: from which the M-step subtracts nearly equal terms for a component much narrower than its
#: distance from the shift; a float32 product accumulated over a whole chunk left those
#: covariances up to 6e-3 off the float64 fit (200k x 64, k=32 rotated clusters after 4
#: iterations from a broad start), blocks of 512 rows 3e-5 (W2 in float32: a pass within noise of before).
FLOAT32_BLOCK_ROWS = 512

#: The statistics product's responsibility rows are padded with zero rows to a multiple of this
#: many when there are more: BLAS kernels work in tiles of columns, and an edge tile costs about
#: a whole one (OpenBLAS on a 2-core EPYC, 153 x 9306 design, one thread: 15 components took
#: 0.81 ms in float32 and 0.74 ms in float64, 16 took 0.39 and 0.41 ms; docs/benchmarks.md).
PRODUCT_TILE = 8


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
    ) -> "SufficientStats":
        """Statistics of rows ``X`` given their responsibilities.

        Parameters
        ----------
        covariance : the covariance type, which decides ``s2``.
        X : ndarray or tensor of shape (n_rows, n_features)
        resp : ndarray of shape (n_rows, n_components), NumPy or ``X``'s library.
        weights : ndarray of shape (n_rows,) or None (all ones), in ``X``'s library.
        shift : ndarray of shape (n_features,), representable in ``X.dtype``.
        loglik : the rows' summed weighted log-likelihood, when known.
        """
        shift = np.asarray(shift, dtype=np.float64)
        dtype = _xp.numpy_dtype(X)
        design_t = design(covariance, X, _xp.asarray_like(shift.astype(dtype), X))
        if isinstance(X, np.ndarray):
            resp_t = np.ascontiguousarray(resp.T, dtype=dtype)
        else:
            resp_t = _xp.asarray_like(_xp.to_numpy(resp).T, X).contiguous()
        if weights is not None:
            resp_t *= _xp.astype(weights, dtype)
        return cls.from_design(covariance, design_t, resp_t, weights, shift, loglik)

    @classmethod
    def from_design(
        cls,
        covariance: CovarianceType,
        design_t: np.ndarray,
        wresp_t: np.ndarray,
        weights: np.ndarray | None,
        shift: np.ndarray,
        loglik: float = 0.0,
    ) -> "SufficientStats":
        """Statistics from a chunk's design (see :func:`design`) and weighted responsibilities.

        Parameters
        ----------
        design_t : ndarray or tensor of shape (p, n_rows)
        wresp_t : ndarray of shape (n_components, n_rows), ``w_i * r_ik``, in the design's
            library, device and dtype.
        weights : ndarray of shape (n_rows,) or None, in the design's library.

        The statistics come back to the host as NumPy float64, whatever the design's library.
        """
        n_features = shift.shape[0]
        q = covariance.n_quadratic(n_features)
        # Every statistic in one product (design-major: BLAS runs this shape fastest), in
        # the data's dtype within the chunk and float64 across chunks.  For float32 the
        # statistics are about a central shift, which keeps their rounding near the
        # rounding of the data themselves (see docs/design.md).
        n_rows = design_t.shape[1]
        m = wresp_t.shape[0]
        wresp_t = _tiled(wresp_t)
        if isinstance(design_t, np.ndarray) and design_t.dtype == np.float32 and n_rows > FLOAT32_BLOCK_ROWS:
            moments = _blocked_product(design_t, wresp_t)[:m]
        else:
            moments = _xp.to_host_float64((design_t @ wresp_t.T).T[:m])
        n = float(n_rows) if weights is None else _xp.sum_float64(weights)
        centred_t = design_t[q : q + n_features]
        return cls(
            shift,
            n,
            moments[:, -1].copy(),
            moments[:, q : q + n_features].copy(),
            covariance.second_moment(moments[:, :q], centred_t, weights),
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


def _tiled(wresp_t):
    """``wresp_t`` (NumPy, more than :data:`PRODUCT_TILE` rows) with zero rows appended up to a multiple
    of :data:`PRODUCT_TILE`; otherwise unchanged.  The padding's statistics are zero, and are dropped.

    Examples
    --------
    >>> _tiled(np.ones((9, 2))).shape, _tiled(np.ones((16, 2))).shape, _tiled(np.ones((5, 2))).shape
    ((16, 2), (16, 2), (5, 2))
    """
    m, n_rows = wresp_t.shape
    if not isinstance(wresp_t, np.ndarray) or m <= PRODUCT_TILE or m % PRODUCT_TILE == 0:
        return wresp_t
    padded = scratch("tiled", (-(-m // PRODUCT_TILE) * PRODUCT_TILE, n_rows), wresp_t.dtype)
    padded[:m] = wresp_t
    padded[m:] = 0
    return padded


def _blocked_product(design_t: np.ndarray, wresp_t: np.ndarray) -> np.ndarray:
    """``(design_t @ wresp_t.T).T`` in float64 from float32 blocks of :data:`FLOAT32_BLOCK_ROWS` rows.

    One batched product of all the blocks (a single call, which releases the GIL for the whole
    product: a loop of small products held it between them, and two chunk threads then ran
    no faster than one), each block's result summed in float64.
    """
    blocks, whole = column_blocks(design_t, FLOAT32_BLOCK_ROWS)  # (b, p, rows)
    weights = column_blocks(wresp_t, FLOAT32_BLOCK_ROWS)[0].transpose(0, 2, 1)  # (b, rows, k)
    moments = np.matmul(blocks, weights).sum(axis=0, dtype=np.float64)  # (p, k)
    if whole < design_t.shape[1]:
        moments += design_t[:, whole:] @ wresp_t[:, whole:].T
    return moments.T


def column_blocks(a: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """The whole blocks of ``size`` columns of ``a`` (shape ``(rows, n)``) as a view of shape
    ``(n // size, rows, size)``, and the number of columns they cover (the rest is the tail).

    Examples
    --------
    >>> blocks, whole = column_blocks(np.arange(10).reshape(2, 5), 2)
    >>> blocks.shape, whole, blocks[1].tolist()
    ((2, 2, 2), 4, [[2, 3], [7, 8]])
    """
    rows, n = a.shape
    n_blocks = n // size
    whole = n_blocks * size
    return a[:, :whole].reshape(rows, n_blocks, size).transpose(1, 0, 2), whole


def design(covariance: CovarianceType, X, shift, out=None):
    """The rows' features ``[q(x - c); x - c; 1]``, stored by feature: shape ``(p, n_rows)``.

    ``p = q + n_features + 1`` with ``q = covariance.n_quadratic(n_features)``.  Every
    component's log-density is linear in these features, and every statistic is their
    sum weighted by the responsibilities, so an E-step and its statistics are two matrix
    products with this one array (written once, in ``X.dtype``; ``out`` reuses a buffer).

    ``X`` may be a NumPy array or a tensor of another array library (PyTorch); ``shift``
    and ``out`` are then in the same library, on the same device, and so is the result.

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix.covariance import get_covariance
    >>> design(get_covariance("diag"), np.array([[1.0, 2.0], [3.0, 5.0]]), np.zeros(2))
    array([[ 1.,  9.],
           [ 4., 25.],
           [ 1.,  3.],
           [ 2.,  5.],
           [ 1.,  1.]])
    """
    n_rows, n_features = X.shape
    q = covariance.n_quadratic(n_features)
    if out is None:
        shape = (q + n_features + 1, n_rows)
        if isinstance(X, np.ndarray):
            out = np.empty(shape, dtype=X.dtype)
        else:
            out = _xp.namespace(X).empty(shape, dtype=X.dtype, device=X.device)
    centred_t = out[q : q + n_features]
    _xp.subtract_into(X.T, shift[:, None], centred_t)
    covariance.quadratic_features(centred_t, out[:q])
    out[-1] = 1
    return out
