"""Sources that are read again on every pass: any re-iterable stream of row chunks.

A streamed source never holds more than one chunk of rows.  It serves the same protocol
as :class:`gaussmix.data.ArrayData` (``dtype``, ``n_samples``, ``n_features``,
``chunks()``, ``reduce(fn)``, ``map_rows(fn, out)``), so the one EM loop runs on it
unchanged, reading the source once per iteration.

Every chunk is checked as it is read (2-D, the same width as the first, numeric, finite,
weights finite and non-negative); errors name the chunk and the row.  The number of
rows may be unknown until a first pass has been made (CSV files, generators):
``n_samples`` then makes that pass when asked.

Rows holding NaN, infinity or a missing value (in a feature or in the weight) are
*invalid*, except that a missing feature value (NaN, an empty CSV cell, a Parquet null) is
served as NaN when the source's ``nan_policy`` is 'omit' or 'marginalize' (the estimators
set it on a copy of the source from their own ``nan_policy``; the E-step then omits or
marginalizes those rows).  ``on_invalid="raise"`` (the default) refuses them with an
:class:`~gaussmix.exceptions.InvalidRowsError` that counts them and names the first;
``on_invalid="drop"`` skips them on every pass, so the source serves only the valid
rows (``n_samples`` counts those; ``n_invalid`` says how many were skipped).

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

from .._files import check_new, move_into_place, new_temp, open_npy
from .._validation import cast_in_range
from ..exceptions import InvalidRowsError
from .array import ArrayData, ChunkedRows

T = TypeVar("T")

#: what a source does with rows holding NaN, infinity or a missing value
ON_INVALID = ("raise", "drop")

#: rows in the reservoir sample that initialization runs on
INIT_SAMPLE_ROWS = 100_000

#: rows per chunk when neither the source nor the estimator says otherwise
DEFAULT_CHUNK_ROWS = 8192


class StreamedSource(ChunkedRows):
    """Base class of re-readable sources; subclasses implement :meth:`_read`.

    ``_read()`` yields, for one pass in row order, ``X_chunk`` arrays or ``(X_chunk,
    w_chunk)`` pairs; this class checks, converts and splits them, and skips or refuses
    invalid rows (``on_invalid``, see the module docstring).

    Attributes
    ----------
    on_invalid : {'raise', 'drop'}
        What a pass does with rows holding NaN, infinity or a missing value.
    n_invalid : int or None
        Rows skipped by the last complete pass (``on_invalid="drop"``); 0 when
        refusing; None before a complete pass.
    progress : callable(rows_read, pass_index) or None
        Called on the reading thread at the start of every pass (``rows_read=0``) and
        after each chunk is read, with the rows of the file read so far in this pass
        (valid or not) and the 0-based index of the pass: a hook for progress bars.

    Examples
    --------
    :func:`gaussmix.from_chunks` and :func:`gaussmix.from_file` return streamed sources:

    >>> import numpy as np
    >>> from gaussmix import from_chunks
    >>> source = from_chunks(lambda: iter([np.zeros((2, 3)), np.ones((4, 3))]))
    >>> isinstance(source, StreamedSource), source.n_samples, source.n_features
    (True, 6, 3)
    """

    #: a short description used in error messages
    name: str = "source"
    dtype: np.dtype
    n_features: int
    chunk_rows: int | None = None
    n_jobs: int | None = None
    on_invalid: str = "raise"
    nan_policy: str = "raise"
    n_invalid: int | None = None
    progress: Callable[[int, int], None] | None = None
    _n_samples: int | None = None
    _rows_hint: int | None = None
    _passes: int = 0

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
        """Yield checked ``(start, stop, X_chunk, w_chunk_or_None)`` in row order.

        ``start`` and ``stop`` count the rows served (the valid ones, when invalid rows
        are dropped); errors name rows by their position in the whole source.
        """
        rows = self.chunk_rows or self._rows_hint or DEFAULT_CHUNK_ROWS
        pass_index, self._passes = self._passes, self._passes + 1
        progress = self.progress
        if progress is not None:
            progress(0, pass_index)
        start = 0  # rows served
        read = 0  # rows read, valid or not
        dropped = 0
        self._check_unchanged()
        items = iter(self._read())
        for index, item in enumerate(items):
            X, w = item if isinstance(item, tuple) else (item, None)
            X, w = check_chunk(X, w, self.n_features, self.dtype, index, read, self.name, check_finite=False)
            first, read = read, read + X.shape[0]
            if progress is not None:
                progress(read, pass_index)
            invalid = invalid_rows(X, w, nan_ok=self.nan_policy != "raise")
            kept = None
            if invalid is not None:
                if self.on_invalid != "drop":
                    raise self._invalid_rows_error(invalid, items, index, first)
                kept = np.flatnonzero(~invalid)
                X = X[kept]
                w = None if w is None else w[kept]
                dropped += invalid.shape[0] - kept.shape[0]
            if w is not None and np.any(w < 0):
                position = int(np.flatnonzero(w < 0)[0])
                row = first + (position if kept is None else int(kept[position]))
                raise ValueError(
                    f"The sample weights of chunk {index} (rows from {first}) of the {self.name} are negative at "
                    f"row {row}.")
            # Split big chunks so that the E-step's temporaries stay bounded.
            for lo in range(0, X.shape[0], rows):
                hi = min(lo + rows, X.shape[0])
                yield start + lo, start + hi, X[lo:hi], None if w is None else w[lo:hi]
            start += X.shape[0]
        self._check_unchanged()
        if start == 0:
            if dropped:
                raise InvalidRowsError(
                    f"The {self.name} has no valid rows: all {dropped} hold NaN, infinity or a missing value.",
                    n_invalid=dropped, first_row=0)
            raise ValueError(f"The {self.name} is empty: it yielded no rows.")
        if self._n_samples is not None and self._n_samples != start:
            raise ValueError(
                f"The {self.name} yielded {start} rows on this pass but {self._n_samples} before; "
                "a source must give the same rows on every pass."
            )
        self._n_samples = start
        self.n_invalid = dropped

    def _check_unchanged(self) -> None:
        """Raise if the data behind the source changed since it was opened (a hook; files
        implement it), so that no pass and no fit mixes two versions of the data."""

    def _invalid_rows_error(self, invalid: np.ndarray, items: Iterator, index: int, read: int) -> InvalidRowsError:
        """The error refusing invalid rows: reads the rest of the pass to count them all."""
        first = read + int(np.flatnonzero(invalid)[0])
        count = int(invalid.sum())
        for item in items:
            X, w = item if isinstance(item, tuple) else (item, None)
            X = np.asarray(X)
            if X.ndim == 2 and X.dtype.kind in "biuf" and X.shape[1] == self.n_features:
                more = invalid_rows(X, None if w is None else np.asarray(w), nan_ok=self.nan_policy != "raise")
                count += 0 if more is None else int(more.sum())
        rows = "1 row" if count == 1 else f"{count} rows"
        return InvalidRowsError(
            f"chunk {index} (rows from {read}) of the {self.name} contains NaN, infinity or a missing value at "
            f"row {first} ({rows} of the {self.name} in all; on_invalid='drop' skips them, and an estimator's "
            "nan_policy='marginalize' fits rows with missing values).",
            n_invalid=count, first_row=first)

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


def check_chunk(X, w, n_features: int, dtype, index: int, start: int, name: str, check_finite: bool = True,
                nan_ok: bool = False):
    """One chunk as ``(X, w)`` in ``dtype``; clear errors naming the chunk and row.

    ``check_finite=False`` leaves NaN and infinity (and negative weights, which may sit
    on rows about to be dropped) to the caller; ``nan_ok`` lets NaN features through
    (missing values, for an E-step that omits or marginalizes them).
    """
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
    X = cast_in_range(X, dtype, where)
    if check_finite:
        _check_finite(X, where, start, nan_ok)
    if w is not None:
        w = np.asarray(w)
        if w.dtype.kind not in "biuf":
            raise TypeError(f"The sample weights of {where} have non-numeric dtype {w.dtype}.")
        if w.shape != (X.shape[0],):
            raise ValueError(f"The sample weights of {where} have shape {w.shape}, expected ({X.shape[0]},).")
        w = cast_in_range(w, dtype, f"the sample weights of {where}")
        if check_finite:
            _check_finite(w[:, None], f"the sample weights of {where}", start)
            if np.any(w < 0):
                row = start + int(np.flatnonzero(w < 0)[0])
                raise ValueError(f"The sample weights of {where} are negative at row {row}.")
    return X, w


def invalid_rows(X: np.ndarray, w: np.ndarray | None, nan_ok: bool = False) -> np.ndarray | None:
    """Mask of the rows holding NaN or infinity in ``X`` or in their weight; None if there are none.

    ``nan_ok``: NaN in ``X`` (a missing value) does not make a row invalid; infinity does.

    Examples
    --------
    >>> invalid_rows(np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, np.inf]]), None).tolist()
    [False, True, True]
    >>> invalid_rows(np.ones((2, 2)), np.array([1.0, 2.0])) is None
    True
    """
    if X.dtype.kind not in "fc":  # integers and booleans are always finite
        invalid = None
    else:
        finite = (~np.isinf(X) if nan_ok else np.isfinite(X)).all(axis=1)
        invalid = None if finite.all() else ~finite
    if w is not None and w.dtype.kind in "fc":
        finite_w = np.isfinite(w)
        if not finite_w.all():
            invalid = ~finite_w if invalid is None else invalid | ~finite_w
    return invalid


def _check_finite(X: np.ndarray, where: str, start: int, nan_ok: bool = False) -> None:
    finite = (~np.isinf(X) if nan_ok else np.isfinite(X)).all(axis=1)
    if not finite.all():
        row = start + int(np.flatnonzero(~finite)[0])
        raise ValueError(f"{where} contains NaN, infinity or a missing value at row {row} (an estimator's "
                         "nan_policy='marginalize' fits rows with missing values).")


def check_on_invalid(on_invalid) -> str:
    """``on_invalid`` checked: 'raise' or 'drop'.

    Examples
    --------
    >>> check_on_invalid("drop")
    'drop'
    """
    if on_invalid not in ON_INVALID:
        raise ValueError(f"on_invalid must be 'raise' or 'drop', got {on_invalid!r}.")
    return on_invalid


class ChunksSource(StreamedSource):
    """Rows from a callable returning a fresh iterator of chunks; see :func:`from_chunks`."""

    name = "chunk source"

    def __init__(self, make_iter: Callable[[], Iterable], chunk_rows: int | None = None, on_invalid: str = "raise"):
        self.on_invalid = check_on_invalid(on_invalid)
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


def from_chunks(make_iter: Callable[[], Iterable], *, chunk_rows: int | None = None,
                on_invalid: str = "raise") -> ChunksSource:
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
    on_invalid : {'raise', 'drop'}, default='raise'
        Rows holding NaN, infinity or a missing value: refused with an
        :class:`~gaussmix.exceptions.InvalidRowsError` that counts them, or skipped on
        every pass (see :func:`gaussmix.from_file`).

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
    return ChunksSource(make_iter, chunk_rows, on_invalid)


def fill_output(out, shape: tuple[int, ...], dtype, fill, overwrite: bool = False) -> np.ndarray:
    """``fill(target)`` on where per-row results go: a new array, or a new ``.npy`` file.

    With ``out=None`` the target is a new array in memory.  With a path the target is a
    memory-mapped temporary ``.npy`` file next to it, its disk space reserved up front
    (so a full disk is an ``OSError`` before any row is written, not a crash inside a
    memory map); only when ``fill`` returns is it renamed to ``out``.  If anything fails
    (a read error, an interrupt, a full disk) the temporary file is removed and ``out``
    is left as it was.  An existing ``out`` is refused unless ``overwrite=True``.

    Parameters
    ----------
    out : None or str or path-like ending in ``.npy``
    shape : tuple of int
    dtype : dtype of the results
    fill : callable(target) -> None
        Writes every row of ``target``.
    overwrite : bool, default=False

    Returns
    -------
    ndarray
        The filled array; for a path, the finished file memory-mapped (``r+``).

    Examples
    --------
    >>> import os, tempfile
    >>> fill_output(None, (2, 3), np.float64, lambda t: t.fill(1.0)).sum()
    np.float64(6.0)
    >>> path = os.path.join(tempfile.mkdtemp(), "ones.npy")
    >>> fill_output(path, (2,), np.int64, lambda t: t.fill(1)).tolist(), sorted(os.listdir(os.path.dirname(path)))
    ([1, 1], ['ones.npy'])
    """
    if out is None:
        target = np.empty(shape, dtype=dtype)
        fill(target)
        return target
    if not isinstance(out, (str, PathLike)):
        raise TypeError(f"out must be None or a path to a .npy file, got {type(out).__name__}.")
    if Path(out).suffix != ".npy":
        raise ValueError(f"out must be a path ending in .npy, got {str(out)!r}.")
    path = check_new(out, overwrite)
    tmp = new_temp(path)
    try:
        target = open_npy(tmp, dtype, shape)
        fill(target)
        target.flush()
        del target
        move_into_place(tmp, path, overwrite)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return np.load(path, mmap_mode="r+")

