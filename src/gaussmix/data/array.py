"""In-memory arrays, visited in row chunks so that no temporary grows with n."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import numpy as np

from .._parallel import ordered_map, ordered_reduce

T = TypeVar("T")

#: bytes of per-chunk temporaries aimed for: a chunk's design and log-probabilities.
#: Measured on a 2-core Zen 4 (1 MB L2, 32 MB L3): 4-8 MB balances the matrix products'
#: efficiency against the per-chunk overhead (docs/benchmarks.md).
DEFAULT_CHUNK_BYTES = 6 << 20
#: rows below which the products get inefficient (wide designs, e.g. full with d=50) ...
MIN_CHUNK_ROWS = 1024
#: ... unless that would exceed this many bytes (very wide designs)
MAX_CHUNK_BYTES = 32 << 20
MAX_CHUNK_ROWS = 16384


def auto_chunk_rows(row_width: int, itemsize: int = 8, budget: int = DEFAULT_CHUNK_BYTES) -> int:
    """Rows per chunk so that ``rows x row_width`` temporaries stay near ``budget`` bytes.

    ``row_width`` is the number of values a row occupies in the chunk's temporaries
    (its design plus its log-probabilities, see :func:`gaussmix.core.stats.design`).
    Wide rows still get :data:`MIN_CHUNK_ROWS` rows while that stays under
    :data:`MAX_CHUNK_BYTES`.

    Examples
    --------
    >>> auto_chunk_rows(153 + 16)
    4653
    >>> auto_chunk_rows(1326 + 10), auto_chunk_rows(20_000)
    (1024, 209)
    """
    row_bytes = max(1, row_width * itemsize)
    rows = budget // row_bytes
    if rows < MIN_CHUNK_ROWS:
        rows = min(MIN_CHUNK_ROWS, MAX_CHUNK_BYTES // row_bytes)
    return int(min(MAX_CHUNK_ROWS, max(1, rows)))


def row_width(covariance_type: str, n_components: int, n_features: int) -> int:
    """Values a row occupies in a chunk's temporaries: its design plus its log-probabilities.

    Examples
    --------
    >>> row_width("full", 16, 16)  # 136 quadratic features + 16 + 1, and 16 log-probabilities
    169
    """
    from ..covariance import get_covariance

    return get_covariance(covariance_type).n_quadratic(n_features) + n_features + 1 + n_components


def chunk_rows_for(covariance_type: str, n_components: int, n_features: int, itemsize: int = 8) -> int:
    """Automatic rows per chunk for a model (see :func:`row_width`).

    Examples
    --------
    >>> chunk_rows_for("full", 16, 16)
    4653
    """
    return auto_chunk_rows(row_width(covariance_type, n_components, n_features), itemsize)


class ChunkedRows:
    """What every source does with its :meth:`chunks`: reductions and row maps on threads.

    Chunks are produced on the calling thread (read, for files) and processed on
    ``n_jobs`` threads, a few chunks ahead at most; results are consumed in row order.
    """

    n_jobs: int | None = None
    #: what the E-step does with rows holding NaN ('raise': the source holds none; see
    #: :class:`gaussmix.core.EStep`).  Set by the estimators, which check in-memory rows first.
    nan_policy: str = "raise"

    def chunks(self) -> Iterator[tuple[int, int, np.ndarray, np.ndarray | None]]:  # pragma: no cover
        raise NotImplementedError

    def reduce(self, fn: Callable[[np.ndarray, np.ndarray | None], T]) -> T:
        """``fn(X_chunk, w_chunk)`` summed over chunks with ``+``, in row order.

        The sum's order, and so its rounding, does not depend on ``n_jobs``.
        """
        return ordered_reduce(lambda chunk: fn(chunk[2], chunk[3]), self.chunks(), self.n_jobs)

    def map_rows(self, fn: Callable[[np.ndarray], np.ndarray], out: np.ndarray) -> np.ndarray:
        """Fill ``out[start:stop] = fn(X[start:stop])`` chunk by chunk and return ``out``."""

        def fill(chunk):
            start, stop, X, _ = chunk
            out[start:stop] = fn(X)

        for _ in ordered_map(fill, self.chunks(), self.n_jobs):
            pass
        return out


class ArrayData(ChunkedRows):
    """Rows of an in-memory array with optional sample weights, served in chunks.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    sample_weight : ndarray of shape (n_samples,) or None
    chunk_rows : int, optional
        Rows per chunk; default from :func:`auto_chunk_rows` and ``row_width``.
    row_width : int
        Values per row in a chunk's temporaries, to size chunks automatically.
    n_jobs : int or None
        Threads that process chunks (None: every available CPU).  Results do not depend
        on it: chunk boundaries do not, and chunk results are added in row order.
    nan_policy : {'raise', 'omit', 'marginalize'}
        What the E-step does with rows holding NaN (see :class:`gaussmix.core.EStep`).

    Examples
    --------
    >>> import numpy as np
    >>> data = ArrayData(np.arange(10.0).reshape(5, 2), chunk_rows=2)
    >>> [stop - start for start, stop, _, _ in data.chunks()]
    [2, 2, 1]
    >>> float(data.reduce(lambda X, w: X.sum()))
    45.0
    """

    def __init__(self, X: np.ndarray, sample_weight: np.ndarray | None = None, chunk_rows: int | None = None,
                 row_width: int = 1, n_jobs: int | None = None, nan_policy: str = "raise"):
        self.X = X
        self.nan_policy = nan_policy
        self.sample_weight = sample_weight
        self.n_samples, self.n_features = X.shape
        self.dtype = X.dtype
        if chunk_rows is None:
            chunk_rows = auto_chunk_rows(row_width, X.dtype.itemsize)
        self.chunk_rows = int(max(1, chunk_rows))
        self.n_jobs = n_jobs

    def chunks(self) -> Iterator[tuple[int, int, np.ndarray, np.ndarray | None]]:
        """Yield ``(start, stop, X[start:stop], weights[start:stop] or None)`` in order."""
        for start in range(0, self.n_samples, self.chunk_rows):
            stop = min(start + self.chunk_rows, self.n_samples)
            w = None if self.sample_weight is None else self.sample_weight[start:stop]
            yield start, stop, self.X[start:stop], w
