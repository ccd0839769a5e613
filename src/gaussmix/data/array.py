"""In-memory arrays, visited in row chunks so that no temporary grows with n."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import numpy as np

T = TypeVar("T")

#: elements of per-chunk temporaries (rows x components x features) aimed for
DEFAULT_CHUNK_BUDGET = 1 << 21


def auto_chunk_rows(n_components: int, n_features: int, budget: int = DEFAULT_CHUNK_BUDGET) -> int:
    """Rows per chunk so that a chunk's ``rows x k x (d + 2)`` temporaries stay near ``budget``."""
    return int(max(256, budget // max(1, n_components * (n_features + 2))))


class ArrayData:
    """Rows of an in-memory array with optional sample weights, served in chunks.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    sample_weight : ndarray of shape (n_samples,) or None
    chunk_rows : int, optional
        Rows per chunk; default from :func:`auto_chunk_rows`.
    n_components : int
        Used only to size chunks automatically.

    Examples
    --------
    >>> import numpy as np
    >>> data = ArrayData(np.arange(10.0).reshape(5, 2), chunk_rows=2)
    >>> [stop - start for start, stop, _, _ in data.chunks()]
    [2, 2, 1]
    """

    def __init__(self, X: np.ndarray, sample_weight: np.ndarray | None = None, chunk_rows: int | None = None,
                 n_components: int = 1):
        self.X = X
        self.sample_weight = sample_weight
        self.n_samples, self.n_features = X.shape
        self.dtype = X.dtype
        if chunk_rows is None:
            chunk_rows = auto_chunk_rows(n_components, self.n_features)
        self.chunk_rows = int(max(1, chunk_rows))

    def chunks(self) -> Iterator[tuple[int, int, np.ndarray, np.ndarray | None]]:
        """Yield ``(start, stop, X[start:stop], weights[start:stop] or None)`` in order."""
        for start in range(0, self.n_samples, self.chunk_rows):
            stop = min(start + self.chunk_rows, self.n_samples)
            w = None if self.sample_weight is None else self.sample_weight[start:stop]
            yield start, stop, self.X[start:stop], w

    def reduce(self, fn: Callable[[np.ndarray, np.ndarray | None], T]) -> T:
        """``fn(X_chunk, w_chunk)`` summed over chunks with ``+``, in row order."""
        total = None
        for _, _, Xc, wc in self.chunks():
            part = fn(Xc, wc)
            total = part if total is None else total + part
        return total

    def map_rows(self, fn: Callable[[np.ndarray], np.ndarray], out: np.ndarray) -> np.ndarray:
        """Fill ``out[start:stop] = fn(X[start:stop])`` chunk by chunk and return ``out``."""
        for start, stop, Xc, _ in self.chunks():
            out[start:stop] = fn(Xc)
        return out
