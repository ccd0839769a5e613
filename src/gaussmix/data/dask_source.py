"""Dask arrays and DataFrames: statistics reduced where the blocks live, tree-summed.

Each row block's :class:`~gaussmix.core.SufficientStats` is computed in a task next to
the block; the statistics (a few kilobytes each) are summed in a tree of fan-in
:data:`FAN_IN` and only their total reaches the client, which runs the M-step.  The
rows are never gathered.  ``compute`` uses Dask's default scheduler, which is the
active ``distributed.Client`` when there is one.  Needs ``pip install gaussmix[dask]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

from .array import ArrayData
from .stream import DEFAULT_CHUNK_ROWS, INIT_SAMPLE_ROWS, _check_finite, check_chunk

T = TypeVar("T")

#: statistics summed per task in the reduction tree
FAN_IN = 8


def _dask():
    try:
        import dask
        import dask.array
    except ImportError as exc:
        raise ImportError("Fitting Dask collections needs dask: pip install 'gaussmix[dask]'") from exc
    return dask


def is_dask_collection(X) -> bool:
    """Whether ``X`` is a Dask collection (without importing dask).

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> is_dask_collection(np.zeros(3)), is_dask_collection(da.zeros(3))
    (False, True)
    """
    module = type(X).__module__ or ""
    if not module.split(".")[0].startswith("dask"):
        return False
    return hasattr(X, "__dask_graph__")


def _block_call(fn, X, w, index, start, n_features, dtype, rows, nan_ok=False):
    X, w = check_chunk(X, w, n_features, dtype, index, start, "Dask collection", nan_ok=nan_ok)
    # A block can be far bigger than a chunk: visit it in chunks, on the worker's thread.
    return ArrayData(X, w, rows, n_jobs=1).reduce(fn)


def _block_map(block, fn, tail, out_dtype, rows, nan_ok=False, block_info=None):
    start = 0 if block_info is None else int(block_info[0]["array-location"][0][0])
    _check_finite(block, "a block of the Dask collection", start, nan_ok)
    out = np.empty((block.shape[0], *tail), dtype=out_dtype)
    return ArrayData(block, None, rows, n_jobs=1).map_rows(fn, out)


def _sum(*parts):
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _identity(value):
    return value


class DaskData:
    """A 2-D Dask array (or Dask DataFrame of numeric columns) as a data source.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features) or dask.dataframe.DataFrame
        Chunked along rows; column chunks are merged into one.
    sample_weight : dask.array.Array or ndarray of shape (n_samples,), optional

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> data = DaskData(da.from_array(np.arange(12.0).reshape(6, 2), chunks=(4, 1)))
    >>> data.n_samples, data.n_features, data.X.chunks
    (6, 2, ((4, 2), (2,)))
    >>> float(data.reduce(lambda X, w: X.sum()))
    66.0
    """

    name = "Dask collection"
    _rows = DEFAULT_CHUNK_ROWS
    #: what the E-step does with rows holding NaN (set by the estimators; 'raise': blocks must be finite)
    nan_policy = "raise"

    def __init__(self, X, sample_weight=None):
        _dask()
        import dask.array as da

        if not isinstance(X, da.Array):
            X = self._from_dataframe(X)
        if X.ndim != 2:
            raise ValueError(f"Expected a 2-D Dask array, got {X.ndim}-D with shape {X.shape}.")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"The Dask array has non-numeric dtype {X.dtype}.")
        if any(np.isnan(c) for c in X.chunks[0]):
            X = X.compute_chunk_sizes()
        self.dtype = np.dtype(np.float32 if X.dtype == np.float32 else np.float64)
        X = X.astype(self.dtype).rechunk({1: -1})
        self.n_samples, self.n_features = X.shape
        if self.n_samples == 0:
            raise ValueError("The Dask collection is empty: it has no rows.")
        if sample_weight is not None:
            sample_weight = da.asarray(sample_weight)
            if sample_weight.shape != (self.n_samples,):
                raise ValueError(f"sample_weight.shape == {sample_weight.shape}, expected ({self.n_samples},).")
            sample_weight = sample_weight.rechunk((X.chunks[0],))
        self.X = X
        self.sample_weight = sample_weight

    @staticmethod
    def _from_dataframe(df):
        if not hasattr(df, "dtypes") or not hasattr(df, "to_dask_array"):
            raise TypeError(f"Expected a Dask array or DataFrame, got {type(df).__name__}.")
        bad = [str(name) for name, dtype in df.dtypes.items() if getattr(dtype, "kind", "O") not in "biuf"]
        if bad:
            raise TypeError(f"Dask DataFrame columns {bad} are not numeric.")
        return df.to_dask_array(lengths=True)

    def _tasks(self, fn):
        import dask

        blocks = self.X.to_delayed().ravel()
        weights = [None] * len(blocks) if self.sample_weight is None else self.sample_weight.to_delayed().ravel()
        starts = np.concatenate([[0], np.cumsum(self.X.chunks[0])[:-1]])
        # The function (an E-step with its parameters) is one task that every block reads.
        fn_task = dask.delayed(_identity, pure=True)(fn)
        return [
            dask.delayed(_block_call, pure=True)(fn_task, b, w, i, int(s), self.n_features, self.dtype, self._rows,
                                                 self.nan_policy != "raise")
            for i, (b, w, s) in enumerate(zip(blocks, weights, starts))
        ]

    def reduce(self, fn: Callable[[np.ndarray, np.ndarray | None], T]) -> T:
        """``fn(block, w_block)`` on every row block where it lives, summed by a tree of ``+``."""
        import dask

        parts = self._tasks(fn)
        while len(parts) > 1:
            parts = [dask.delayed(_sum, pure=True)(*parts[i:i + FAN_IN]) for i in range(0, len(parts), FAN_IN)]
        return parts[0].compute()

    def map_blocks(self, fn: Callable[[np.ndarray], np.ndarray], tail: tuple[int, ...], dtype):
        """A lazy Dask array of ``fn`` applied to each row block (shape ``(n_samples, *tail)``)."""
        kw = dict(fn=fn, tail=tail, out_dtype=dtype, rows=self._rows, nan_ok=self.nan_policy != "raise")
        if tail:
            return self.X.map_blocks(_block_map, dtype=dtype, chunks=(self.X.chunks[0], tail), **kw)
        return self.X.map_blocks(_block_map, dtype=dtype, drop_axis=1, **kw)

    def set_chunk_hint(self, rows: int, n_jobs: int | None = None) -> None:
        """Rows per chunk inside a block (each block runs on one worker thread)."""
        self._rows = int(max(1, rows))

    def init_sample(self, rng: np.random.RandomState, size: int = INIT_SAMPLE_ROWS) -> ArrayData:
        """At most ``size`` rows for initialization, as in-memory data.

        All rows, in order and without random draws, when there are at most ``size``
        (the fit then equals the in-memory one); otherwise the distinct rows among
        ``size`` uniform draws of a row index, in row order.
        """
        if self.n_samples <= size:
            X = self.X.compute()
            w = None if self.sample_weight is None else self.sample_weight.compute()
        else:
            index = np.unique(rng.randint(0, self.n_samples, size=size))
            X = self.X[index].compute()
            w = None if self.sample_weight is None else self.sample_weight[index].compute()
        X, w = check_chunk(X, w, self.n_features, self.dtype, 0, 0, "initialization sample of the Dask collection",
                           nan_ok=self.nan_policy != "raise")
        return ArrayData(X, w)
