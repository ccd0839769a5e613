"""Files larger than memory: ``.npy`` (memory-mapped), Parquet and CSV (streamed by pyarrow).

Each source reads its file chunk by chunk on every pass and never holds the whole file:
``.npy`` through :func:`numpy.load` with ``mmap_mode="r"``, Parquet by record batches of
each file's row groups (:meth:`pyarrow.parquet.ParquetFile.iter_batches`), CSV with the
streaming reader :func:`pyarrow.csv.open_csv`.  Parquet and CSV need pyarrow
(``pip install gaussmix[io]``), imported only when such a file is opened.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
import os
from os import PathLike
from pathlib import Path

import numpy as np

from .._files import read_npy_header
from .stream import StreamedSource, check_on_invalid

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2")


def _pyarrow():
    try:
        import pyarrow  # noqa: F401
        import pyarrow.csv  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            'Reading Parquet or CSV files needs pyarrow: pip install "gaussmix[io]"'
        ) from exc
    return pyarrow


def from_file(path: str | PathLike, *, columns: Sequence[str | int] | None = None, chunk_rows: int | None = None,
              weights_column: str | int | None = None, on_invalid: str = "raise",
              dtype=None) -> StreamedSource:
    """A data source reading a file chunk by chunk on every pass.

    Parameters
    ----------
    path : str or path-like
        A ``.npy`` file holding a 2-D numeric array (memory-mapped), a Parquet file
        (``.parquet``/``.pq``) or a folder of them (read in sorted path order), or a CSV
        file (``.csv``, optionally ``.gz``/``.bz2``) with a header row.
    columns : sequence of str or int, optional
        The feature columns: names (Parquet, CSV) or positions (any format).  Default:
        every column except ``weights_column``.
    chunk_rows : int, optional
        Rows per chunk; the default follows the estimator's ``chunk_size`` (or its
        automatic size, about 16 MB of temporaries).
    weights_column : str or int, optional
        A column holding each row's sample weight.
    on_invalid : {'raise', 'drop'}, default='raise'
        Rows holding NaN, infinity or a missing value (in a feature or the weight):
        ``'raise'`` refuses them with an :class:`~gaussmix.exceptions.InvalidRowsError`
        (a ``ValueError``) giving how many there are and the first one, when a pass
        reaches them; ``'drop'`` skips them on every pass, so the source serves only the
        valid rows: ``n_samples`` counts those (it is known after a first pass) and
        ``n_invalid`` gives how many were skipped.  Outputs such as ``predict(source,
        out=...)`` then have one row per valid row.
    dtype : {None, 'float32', 'float64'}, default=None
        The dtype of the rows served; default float32 when every feature column is
        float32, float64 otherwise.

    Returns
    -------
    StreamedSource
        Accepted by ``GaussianMixture.fit``, ``fit_predict``, ``predict``,
        ``predict_proba``, ``score_samples``, ``score``, ``bic`` and ``aic``.

    Raises
    ------
    FileNotFoundError, ValueError, TypeError, ImportError
        Missing file, unknown extension, missing column, non-numeric column, pyarrow
        missing for Parquet/CSV.  Bad values (NaN, infinity, ragged rows, negative
        weights) are reported with their row when a pass reaches them.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from gaussmix import GaussianMixture, from_file
    >>> X = np.random.RandomState(0).normal(size=(200, 3))
    >>> path = os.path.join(tempfile.mkdtemp(), "rows.npy")
    >>> np.save(path, X)
    >>> source = from_file(path, columns=[0, 1])
    >>> source.n_samples, source.n_features
    (200, 2)
    >>> gm = GaussianMixture(2, random_state=0).fit(source)
    >>> bool(np.allclose(gm.means_, GaussianMixture(2, random_state=0).fit(X[:, :2]).means_))
    True

    Invalid rows are refused by default, or skipped:

    >>> X[[3, 7], 0] = np.nan
    >>> np.save(path, X)
    >>> GaussianMixture(2).fit(from_file(path))  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    gaussmix.exceptions.InvalidRowsError: chunk 0 (rows from 0) of the file ... at row 3 (2 rows ... in all; ...)
    >>> source = from_file(path, on_invalid="drop")
    >>> source.n_samples, source.n_invalid
    (198, 2)
    """
    if not isinstance(path, (str, PathLike)):
        raise TypeError(f"path must be a str or path-like, got {type(path).__name__}.")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No such file or folder: {str(path)!r}.")
    if chunk_rows is not None and (not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1):
        raise ValueError(f"chunk_rows must be a positive int or None, got {chunk_rows!r}.")
    check_on_invalid(on_invalid)
    if dtype is not None:
        try:
            valid = np.dtype(dtype) in (np.float32, np.float64)
        except TypeError:
            valid = False
        if not valid:
            raise ValueError(f"dtype must be None, 'float32' or 'float64', got {dtype!r}.")
        dtype = np.dtype(dtype)
    name = path.name.lower()
    if path.is_dir() or name.endswith(PARQUET_SUFFIXES):
        source = ParquetSource(path, columns, chunk_rows, weights_column)
    elif name.endswith(".npy"):
        source = NpySource(path, columns, chunk_rows, weights_column)
    elif name.endswith(CSV_SUFFIXES):
        source = CsvSource(path, columns, chunk_rows, weights_column)
    else:
        raise ValueError(
            f"Cannot tell the format of {str(path)!r}: expected a .npy, .parquet/.pq or .csv file, or a folder of "
            "Parquet files."
        )
    source.pin()
    if dtype is not None:
        source.dtype = dtype
    if on_invalid == "drop":
        source.on_invalid = "drop"
        source._n_samples = None  # the valid rows are counted by the first pass
    return source


def _select(names: list[str], columns, weights_column, path: Path) -> tuple[list[int], int | None]:
    """Positions of the feature columns and of the weights column among ``names``."""

    def position(column) -> int:
        if isinstance(column, (int, np.integer)) and not isinstance(column, bool):
            if not -len(names) <= column < len(names):
                raise ValueError(f"Column {column} is out of range: {str(path)!r} has {len(names)} columns.")
            return int(column) % len(names)
        if isinstance(column, str):
            if column not in names:
                raise ValueError(f"Column {column!r} not found in {str(path)!r}; its columns are {names}.")
            return names.index(column)
        raise TypeError(f"Columns are named by str or int, got {column!r}.")

    weights = None if weights_column is None else position(weights_column)
    if columns is None:
        features = [i for i in range(len(names)) if i != weights]
    else:
        if isinstance(columns, (str, int, np.integer)):
            raise TypeError(f"columns must be a sequence of names or positions, got {columns!r}.")
        features = [position(c) for c in columns]
    if not features:
        raise ValueError(f"No feature columns selected in {str(path)!r}.")
    if weights is not None and weights in features:
        raise ValueError(f"The weights column {names[weights]!r} is also a feature column.")
    return features, weights


class _FileSource(StreamedSource):
    """A source reading files: it pins their identity when opened and refuses to read
    them once they have changed (replaced, rewritten, truncated or grown), so that a fit
    never mixes rows of two versions of a file."""

    files: list[Path]

    def pin(self) -> None:
        """Record the files' identity (device, inode, size, modification time) now."""
        self._pinned = [self._identity(file) for file in self.files]

    @staticmethod
    def _identity(file: Path):
        try:
            st = os.stat(file)
        except FileNotFoundError:
            return None
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def _check_unchanged(self) -> None:
        pinned = getattr(self, "_pinned", None)
        if pinned is None:
            return
        for file, before in zip(self.files, pinned):
            now = self._identity(file)
            who = f"The {self.name}" if len(self.files) == 1 else f"{str(file)!r} in the {self.name}"
            if now is None:
                raise FileNotFoundError(f"{who} no longer exists.")
            if now != before:
                raise ValueError(
                    f"{who} changed on disk since it was opened (replaced, rewritten, truncated or grown): "
                    "reading on would mix two versions of the data. Open it again with gaussmix.from_file "
                    "to use the new contents."
                )


class NpySource(_FileSource):
    """Rows of a 2-D ``.npy`` array, read chunk by chunk; see :func:`from_file`.

    Each pass opens the file and reads its chunks with ordinary reads that check their
    length, so a file truncated while a fit runs gives a clear error (a memory map would
    kill the process with SIGBUS when it touched the missing pages).  Fortran-ordered
    arrays are memory-mapped instead, with the file's size checked before every chunk.
    """

    def __init__(self, path: Path, columns=None, chunk_rows=None, weights_column=None):
        self.name = f"file {str(path)!r}"
        with open(path, "rb") as fh:
            try:
                shape, fortran_order, dtype = read_npy_header(fh)
            except ValueError as exc:
                raise ValueError(f"Cannot read {str(path)!r} as a .npy array: {exc}") from None
            self._offset = fh.tell()
        if dtype.hasobject:
            raise TypeError(f"{str(path)!r} holds Python objects (dtype {dtype}); need numbers.")
        if len(shape) != 2:
            raise ValueError(f"{str(path)!r} holds a {len(shape)}-D array of shape {shape}; need 2-D.")
        if dtype.kind not in "biuf":
            raise TypeError(f"{str(path)!r} holds non-numeric dtype {dtype}.")
        if shape[0] == 0:
            raise ValueError(f"The {self.name} is empty: it has no rows.")
        self._expected_size = self._offset + shape[0] * shape[1] * dtype.itemsize
        self._check_size(path)
        names = [str(i) for i in range(shape[1])]
        self._features, self._weights = _select(names, columns, weights_column, path)
        self._all = self._features == list(range(shape[1]))
        self._shape, self._file_dtype, self._fortran = shape, dtype, fortran_order
        self.path = path
        self.files = [path]
        self.chunk_rows = chunk_rows
        self.n_features = len(self._features)
        self.dtype = np.dtype(np.float32 if dtype == np.float32 else np.float64)
        self._n_samples = shape[0]

    def _check_size(self, path) -> None:
        size = os.stat(path).st_size
        if size < self._expected_size:
            raise ValueError(
                f"The {self.name} is truncated: its header promises {self._expected_size} bytes, "
                f"the file has {size}. Was it changed while being read?"
            )

    def _read(self) -> Iterator:
        rows = self.chunk_rows or self._rows_hint or 8192
        n, d = self._shape
        if self._fortran:
            array = np.load(self.path, mmap_mode="r", allow_pickle=False)
            for start in range(0, n, rows):
                self._check_size(self.path)
                yield self._split(np.asarray(array[start:start + rows]))
            return
        with open(self.path, "rb") as fh:
            fh.seek(self._offset)
            for start in range(0, n, rows):
                block = np.empty((min(rows, n - start), d), dtype=self._file_dtype)
                got = fh.readinto(memoryview(block).cast("B"))
                if got != block.nbytes:
                    raise ValueError(
                        f"The {self.name} is truncated: it ended at row {start + got // (d * block.itemsize)} "
                        f"of the {n} its header promises. Was it changed while being read?"
                    )
                if not block.dtype.isnative:
                    block = block.astype(block.dtype.newbyteorder("="))
                yield self._split(block)

    def _split(self, block: np.ndarray):
        X = block if self._all else block[:, self._features]
        return (X, None) if self._weights is None else (X, block[:, self._weights])


class _ArrowSource(_FileSource):
    """Shared column selection and conversion for pyarrow-backed sources."""

    def _setup(self, path: Path, schema, columns, weights_column) -> None:
        pa = _pyarrow()
        try:
            names = list(schema.names)
        except UnicodeDecodeError as exc:
            raise ValueError(f"The column names of {str(path)!r} are not UTF-8 text ({exc}).") from None
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"{str(path)!r} names these columns more than once: {repeated}; names must be unique.")
        self._features, self._weights = _select(names, columns, weights_column, path)
        numeric = (pa.types.is_integer, pa.types.is_floating)
        for i in self._features + ([] if self._weights is None else [self._weights]):
            field = schema.field(i)
            if not any(test(field.type) for test in numeric):
                raise TypeError(f"Column {field.name!r} of {str(path)!r} is not numeric (type {field.type}).")
        self.feature_names = [names[i] for i in self._features]
        self.weights_name = None if self._weights is None else names[self._weights]
        self.n_features = len(self._features)
        float32 = all(pa.types.is_float32(schema.field(i).type) or pa.types.is_float16(schema.field(i).type)
                      for i in self._features)
        self.dtype = np.dtype(np.float32 if float32 else np.float64)

    def _to_numpy(self, batch):
        X = np.empty((batch.num_rows, self.n_features), dtype=self.dtype)
        for j, name in enumerate(self.feature_names):
            X[:, j] = batch.column(name).to_numpy(zero_copy_only=False)
        if self.weights_name is None:
            return X, None
        return X, batch.column(self.weights_name).to_numpy(zero_copy_only=False)


class ParquetSource(_ArrowSource):
    """Rows of a Parquet file or of a folder of Parquet files; see :func:`from_file`."""

    def __init__(self, path: Path, columns=None, chunk_rows=None, weights_column=None):
        _pyarrow()
        self.name = f"Parquet {'folder' if path.is_dir() else 'file'} {str(path)!r}"
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(PARQUET_SUFFIXES)) \
            if path.is_dir() else [path]
        if not files:
            raise ValueError(f"The folder {str(path)!r} holds no .parquet files.")
        schema = None
        total = 0
        for file in files:
            meta = _parquet_file(file)
            if schema is None:
                schema = meta.schema_arrow
            elif not meta.schema_arrow.equals(schema):
                raise ValueError(f"{str(file)!r} has a different schema from {str(files[0])!r}.")
            total += meta.metadata.num_rows
        self._setup(path, schema, columns, weights_column)
        self.files = files
        self.path = path
        self.chunk_rows = chunk_rows
        if total == 0:
            raise ValueError(f"The {self.name} is empty: it has no rows.")
        self._n_samples = total

    def _read(self) -> Iterator:
        rows = self.chunk_rows or self._rows_hint or 8192
        wanted = self.feature_names + ([] if self.weights_name is None else [self.weights_name])
        for file in self.files:
            with _parquet_file(file) as reader:
                batches = reader.iter_batches(batch_size=rows, columns=wanted, use_threads=False)
                while True:
                    try:
                        batch = next(batches)
                    except StopIteration:
                        break
                    except (_pyarrow().ArrowException, OSError) as exc:
                        raise ValueError(f"Cannot read the Parquet file {str(file)!r}: {exc}") from None
                    yield self._to_numpy(batch)


def _parquet_file(file: Path):
    """``pyarrow.parquet.ParquetFile``, with the file named when it is not valid Parquet."""
    pa = _pyarrow()
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(file)
    except FileNotFoundError:
        raise
    except (pa.ArrowException, OSError) as exc:  # e.g. metadata that cannot be deserialised or is unsupported
        raise ValueError(f"Cannot read the Parquet file {str(file)!r}: {exc}") from None


class CsvSource(_ArrowSource):
    """Rows of a CSV file with a header row, streamed; see :func:`from_file`.

    The number of rows is known after the first pass.
    """

    def __init__(self, path: Path, columns=None, chunk_rows=None, weights_column=None):
        pa = _pyarrow()
        self.name = f"CSV file {str(path)!r}"
        self.path = path
        self.files = [path]
        self.chunk_rows = chunk_rows
        with self._open() as reader:
            schema = reader.schema
        self._setup(path, schema, columns, weights_column)
        wanted = self.feature_names + ([] if self.weights_name is None else [self.weights_name])
        self._convert = pa.csv.ConvertOptions(include_columns=wanted,
                                              column_types={name: pa.float64() for name in wanted})

    def _open(self, convert=None):
        pa = _pyarrow()
        try:
            return pa.csv.open_csv(pa.input_stream(str(self.path), compression="detect"),
                                   convert_options=convert)
        except pa.ArrowException as exc:
            raise ValueError(f"Cannot read the {self.name}: {exc}") from None

    def _read(self) -> Iterator:
        pa = _pyarrow()
        with self._open(self._convert) as reader:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                except pa.ArrowException as exc:
                    raise ValueError(f"Cannot read the {self.name}: {exc}") from None
                yield self._to_numpy(batch)
