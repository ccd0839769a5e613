"""Where rows come from: each source serves chunks and reduces statistics over them.

* :class:`ArrayData`: an in-memory array;
* :func:`from_file`: ``.npy``, Parquet or CSV files read chunk by chunk on every pass;
* :func:`from_chunks`: any callable returning a fresh iterator of chunks;
* :class:`DaskData`: a Dask array or DataFrame, reduced where its blocks live.
"""

from .array import ArrayData, auto_chunk_rows, chunk_rows_for, row_width
from .dask_source import DaskData, is_dask_collection
from .files import from_file
from .stream import INIT_SAMPLE_ROWS, StreamedSource, from_chunks, fill_output

__all__ = [
    "INIT_SAMPLE_ROWS",
    "ArrayData",
    "DaskData",
    "StreamedSource",
    "as_source",
    "auto_chunk_rows",
    "chunk_rows_for",
    "row_width",
    "from_chunks",
    "from_file",
    "is_dask_collection",
    "fill_output",
]


def as_source(X, sample_weight=None):
    """``X`` as a streamed or Dask source, or ``None`` when it is array-like.

    Examples
    --------
    >>> import numpy as np
    >>> as_source(np.zeros((2, 2))) is None
    True
    """
    if isinstance(X, StreamedSource):
        if sample_weight is not None:
            raise TypeError(
                "sample_weight cannot be passed with a file or chunk source: give the source a "
                "weights_column (from_file) or yield (X, w) pairs (from_chunks)."
            )
        return X
    if is_dask_collection(X):
        return DaskData(X, sample_weight)
    return None
