"""Sources that are read again on every pass: any re-iterable stream of row chunks.

A streamed source never holds more than one chunk of rows.  It serves the same protocol
as :class:`gaussmix.data.ArrayData` (``dtype``, ``n_samples``, ``n_features``,
``chunks()``, ``reduce(fn)``, ``map_rows(fn, out)``), so the one EM loop runs on it
unchanged, reading the source once per iteration.

Every chunk is checked as it is read (2-D, the same width as the first, numeric, finite,
weights finite and non-negative); errors name the chunk and the row.  The number of
rows may be unknown until a first pass has been made (CSV files, generators):
``n_samples`` then makes that pass when asked.

Initialization never loads the data: :meth:`StreamedSource.init_sample` draws a
reservoir sample of at most :data:`INIT_SAMPLE_ROWS` rows (reproducible with the
estimator's ``random_state``) and the usual rules run on it.  A source with at most
that many rows is sampled whole, in row order, without drawing a random number, so
``fit`` on it gives the same numbers as ``fit`` on the same rows in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from os import PathLike
from pathlib import Path
from typing import TypeVar

import numpy as np

from .array import ArrayData, ChunkedRows

T = TypeVar("T")

#: rows in the reservoir sample that initialization runs on
INIT_SAMPLE_ROWS = 100_000

#: rows per chunk when neither the source nor the estimator says otherwise
DEFAULT_CHUNK_ROWS = 8192


class StreamedSource(ChunkedRows):
    """Base class of re-readable sources; subclasses implement :meth:`_read`.

    ``_read()`` yields, for one pass in row order, ``X_chunk`` arrays or ``(X_chunk,
    w_chunk)`` pairs; this class checks, converts and splits them.
    """

    #: a short description used in error messages
    name: str = "source"
    dtype: np.dtype
    n_features: int
    chunk_rows: int | None = None
    n_jobs: int | None = None
    _n_samples: int | None = None
    _rows_hint: int | None = None

    def _read(self) -> Iterator:
        raise NotImplementedError

    # ----------------------------------------------------------------- protocol
    @property
    def n_samples(self) -> int:
        """Number of rows (makes one counting pass the first time, if unknown)."""
        if self._n_samples is None:
            for _ in self.chunks():
                pass
        return self._n_samples

    def set_chunk_hint(self, rows: int, n_jobs: int | None = None) -> None:
        """Rows per chunk to aim for when the source was given no ``chunk_rows``, and the
        threads that process chunks (reading stays on the calling thread)."""
        self._rows_hint = int(max(1, rows))
        self.n_jobs = n_jobs

    def chunks(self) -> Iterator[tuple[int, int, np.ndarray, np.ndarray | None]]:
        """Yield checked ``(start, stop, X_chunk, w_chunk_or_None)`` in row order."""
        rows = self.chunk_rows or self._rows_hint or DEFAULT_CHUNK_ROWS
        start = 0
        for index, item in enumerate(self._read()):
            X, w = item if isinstance(item, tuple) else (item, None)
            X, w = check_chunk(X, w, self.n_features, self.dtype, index, start, self.name)
            # Split big chunks so that the E-step's temporaries stay bounded.
            for lo in range(0, X.shape[0], rows):
                hi = min(lo + rows, X.shape[0])
                yield start + lo, start + hi, X[lo:hi], None if w is None else w[lo:hi]
            start += X.shape[0]
        if start == 0:
            raise ValueError(f"The {self.name} is empty: it yielded no rows.")
        if self._n_samples is not None and self._n_samples != start:
            raise ValueError(
                f"The {self.name} yielded {start} rows on this pass but {self._n_samples} before; "
                "a source must give the same rows on every pass."
            )
        self._n_samples = start

    # ----------------------------------------------------------- initialization
    def init_sample(self, rng: np.random.RandomState, size: int = INIT_SAMPLE_ROWS) -> ArrayData:
        """A uniform reservoir sample of at most ``size`` rows (one pass), as in-memory data.

        Algorithm R: row ``i`` (0-based) beyond the first ``size`` replaces a uniformly
        drawn slot ``j`` in ``[0, i]`` when ``j < size``.  Random numbers are drawn only
        for those rows, so a source with at most ``size`` rows comes back whole, in order,
        and ``rng`` is left untouched.  Rows keep their weights.
        """
        # Grown as rows arrive, so a small source never costs ``size`` rows of memory.
        X = np.empty((min(size, self._n_samples or 1024), self.n_features), dtype=self.dtype)
        w = None
        filled = 0
        for start, stop, Xc, wc in self.chunks():
            take = max(0, min(stop, size) - start)  # rows that fill free slots
            if start + take > X.shape[0]:
                grown = np.empty((min(size, max(2 * X.shape[0], start + take)), self.n_features), dtype=self.dtype)
                grown[:filled] = X[:filled]
                X = grown
                if w is not None:
                    w = np.concatenate([w[:filled], np.ones(X.shape[0] - filled, dtype=self.dtype)])
            if wc is not None and w is None:
                w = np.ones(X.shape[0], dtype=self.dtype)
            X[start:start + take] = Xc[:take]
            if wc is not None:
                w[start:start + take] = wc[:take]
            filled = max(filled, start + take)
            if take < stop - start:
                position = np.arange(start + take, stop)
                slots = np.floor(rng.random_sample(position.shape[0]) * (position + 1)).astype(np.int64)
                hit = np.flatnonzero(slots < size)
                # Later rows win a slot drawn twice, as in the sequential algorithm.
                _, last = np.unique(slots[hit][::-1], return_index=True)
                keep = hit[hit.shape[0] - 1 - last]
                X[slots[keep]] = Xc[take + keep]
                if wc is not None:
                    w[slots[keep]] = wc[take + keep]
        X, w = X[:filled], None if w is None else w[:filled]
        return ArrayData(X, w, self.chunk_rows or self._rows_hint, n_jobs=self.n_jobs)


def check_chunk(X, w, n_features: int, dtype, index: int, start: int, name: str):
    """One chunk as ``(X, w)`` in ``dtype``; clear errors naming the chunk and row."""
    X = np.asarray(X)
    where = f"chunk {index} (rows from {start}) of the {name}"
    if X.ndim != 2:
        raise ValueError(f"{where} is {X.ndim}-D with shape {X.shape}; chunks must be 2-D (rows, features).")
    if X.shape[1] != n_features:
        raise ValueError(
            f"{where} has {X.shape[1]} columns but the source has {n_features}: chunks are ragged."
        )
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{where} has non-numeric dtype {X.dtype}.")
    X = X.astype(dtype, copy=False)
    _check_finite(X, where, start)
    if w is not None:
        w = np.asarray(w)
        if w.dtype.kind not in "biuf":
            raise TypeError(f"The sample weights of {where} have non-numeric dtype {w.dtype}.")
        if w.shape != (X.shape[0],):
            raise ValueError(f"The sample weights of {where} have shape {w.shape}, expected ({X.shape[0]},).")
        w = w.astype(dtype, copy=False)
        _check_finite(w[:, None], f"the sample weights of {where}", start)
        if np.any(w < 0):
            row = start + int(np.flatnonzero(w < 0)[0])
            raise ValueError(f"The sample weights of {where} are negative at row {row}.")
    return X, w


def _check_finite(X: np.ndarray, where: str, start: int) -> None:
    finite = np.isfinite(X).all(axis=1)
    if not finite.all():
        row = start + int(np.flatnonzero(~finite)[0])
        raise ValueError(f"{where} contains NaN, infinity or a missing value at row {row}.")


class ChunksSource(StreamedSource):
    """Rows from a callable returning a fresh iterator of chunks; see :func:`from_chunks`."""

    name = "chunk source"

    def __init__(self, make_iter: Callable[[], Iterable], chunk_rows: int | None = None):
        if not callable(make_iter):
            raise TypeError(
                f"from_chunks needs a callable returning a fresh iterator of chunks, got {type(make_iter).__name__}; "
                "wrap a list as `lambda: iter(chunks)`."
            )
        self._make_iter = make_iter
        self.chunk_rows = chunk_rows
        first = next(iter(self._read()), None)
        if first is None:
            raise ValueError(f"The {self.name} is empty: it yielded no chunks.")
        X = np.asarray(first[0] if isinstance(first, tuple) else first)
        if X.ndim != 2:
            raise ValueError(f"chunk 0 of the {self.name} is {X.ndim}-D with shape {X.shape}; chunks must be 2-D.")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"chunk 0 of the {self.name} has non-numeric dtype {X.dtype}.")
        self.n_features = X.shape[1]
        self.dtype = np.dtype(np.float32 if X.dtype == np.float32 else np.float64)

    def _read(self) -> Iterator:
        iterator = self._make_iter()
        if isinstance(iterator, np.ndarray) or not isinstance(iterator, Iterable):
            raise TypeError(
                f"from_chunks: the callable must return an iterator of chunks, got {type(iterator).__name__}."
            )
        return iter(iterator)


def from_chunks(make_iter: Callable[[], Iterable], *, chunk_rows: int | None = None) -> ChunksSource:
    """A data source from any callable returning a fresh iterator of row chunks.

    ``make_iter()`` is called once per pass over the data (once per EM iteration, once
    at construction to learn the width and dtype) and must give the same rows in the
    same order every time.  Each item is a 2-D array ``X_chunk`` of shape
    ``(rows, n_features)``, or a pair ``(X_chunk, w_chunk)`` with ``w_chunk`` of shape
    ``(rows,)`` holding sample weights (use pairs for every chunk or for none).  The
    dtype is float32 when the first chunk is float32, float64 otherwise.

    Parameters
    ----------
    make_iter : callable () -> iterable of ndarray or of (ndarray, ndarray)
    chunk_rows : int, optional
        Chunks with more rows are split into pieces of this size; the default follows
        the estimator's ``chunk_size`` (or its automatic size).

    Returns
    -------
    ChunksSource
        Accepted by ``GaussianMixture.fit``, ``predict``, ``predict_proba``,
        ``score_samples``, ``score``, ``bic`` and ``aic``.

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix import GaussianMixture, from_chunks
    >>> X = np.random.RandomState(0).normal(size=(300, 2))
    >>> source = from_chunks(lambda: (X[i:i + 100] for i in range(0, 300, 100)))
    >>> source.n_samples, source.n_features
    (300, 2)
    >>> gm = GaussianMixture(2, random_state=0).fit(source)
    >>> bool(np.allclose(gm.means_, GaussianMixture(2, random_state=0).fit(X).means_))
    True
    """
    return ChunksSource(make_iter, chunk_rows)


def open_output(out, shape: tuple[int, ...], dtype, overwrite: bool = False) -> np.ndarray:
    """Where per-row results go: a new array (``out=None``) or a new ``.npy`` file.

    A path is opened with :func:`numpy.lib.format.open_memmap` and filled chunk by
    chunk; an existing file is refused unless ``overwrite=True``.

    Examples
    --------
    >>> open_output(None, (2, 3), np.float64).shape
    (2, 3)
    """
    if out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(out, (str, PathLike)):
        raise TypeError(f"out must be None or a path to a .npy file, got {type(out).__name__}.")
    path = Path(out)
    if path.suffix != ".npy":
        raise ValueError(f"out must be a path ending in .npy, got {str(path)!r}.")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{str(path)!r} exists; pass overwrite=True to replace it.")
    return np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
