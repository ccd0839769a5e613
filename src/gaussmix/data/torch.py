"""Rows processed by PyTorch on a device: a tensor, or a NumPy array streamed there in chunks.

Imported only when a tensor or ``device=`` is used; PyTorch is an optional extra
(``pip install gaussmix[torch]``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from .. import _xp
from .array import DEFAULT_CHUNK_BYTES, ChunkedRows, auto_chunk_rows

#: fewest rows per chunk on a device with little free memory
MIN_DEVICE_CHUNK_ROWS = 256


#: share of a GPU's free memory that one chunk's temporaries may take
DEVICE_MEMORY_SHARE = 0.25
#: share of a GPU's free memory a NumPy array may take to be copied there once for the
#: whole fit; larger arrays are streamed chunk by chunk at every pass
RESIDENT_MEMORY_SHARE = 0.25


def import_torch():
    """PyTorch, or an ImportError that names the extra to install."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is installed where tests run
        raise ImportError(
            "PyTorch is needed for tensor input and the 'device' option: pip install gaussmix[torch]"
        ) from exc
    return torch


def as_device(device):
    """``device`` (a string such as ``"cuda"`` or a ``torch.device``) as a ``torch.device``.

    Raises ``ValueError`` for a device PyTorch does not know, and for a CUDA device on a
    machine without one (instead of a ``RuntimeError`` deep inside the first copy).
    """
    torch = import_torch()
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a device PyTorch knows: {exc}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} was requested, but PyTorch finds no CUDA device.")
    return device


def _free_bytes(device) -> int | None:
    torch = import_torch()
    if device.type != "cuda":
        return None
    free, _ = torch.cuda.mem_get_info(device)
    return int(free)


class TorchData(ChunkedRows):
    """Rows for the E-step on a PyTorch device, with the interface of :class:`ArrayData`.

    Parameters
    ----------
    X : tensor or ndarray of shape (n_samples, n_features), float32 or float64
        A tensor is used where it is (on ``device``, chunks are views); a NumPy array
        is copied to ``device`` once when it fits in a quarter of the device's free
        memory, otherwise each chunk is sent there at every pass (for data larger than
        the device's memory).  On the CPU a NumPy array is shared, not copied.
    sample_weight : ndarray of shape (n_samples,) or None
        Host weights in the NumPy dtype of ``X``; they travel with the rows.
    chunk_rows : int, optional
        Rows per chunk.  Default: as :class:`ArrayData` on the CPU; on a GPU, as many as
        keep a chunk's temporaries within a quarter of its free memory.
    row_width : int
        Values per row in a chunk's temporaries.
    device : torch.device, optional
        Where the arithmetic runs; default ``X.device`` (the CPU for NumPy input).

    Notes
    -----
    Chunks run one after another: PyTorch parallelises each operation itself (CPU
    threads or the GPU), so the ``n_jobs`` threads of :class:`ArrayData` are not used.
    ``dtype`` is the NumPy equivalent of the rows' dtype.

    Examples
    --------
    >>> import numpy as np, torch
    >>> data = TorchData(torch.arange(10.0, dtype=torch.float64).reshape(5, 2), chunk_rows=2)
    >>> data.dtype, [stop - start for start, stop, _, _ in data.chunks()]
    (dtype('float64'), [2, 2, 1])
    >>> float(data.reduce(lambda X, w: X.sum()))
    45.0
    """

    def __init__(self, X, sample_weight: np.ndarray | None = None, chunk_rows: int | None = None,
                 row_width: int = 1, device=None, nan_policy: str = "raise"):
        torch = import_torch()
        self.nan_policy = nan_policy
        self.dtype = _xp.numpy_dtype(X)
        self.n_samples, self.n_features = X.shape
        if device is None:
            device = X.device if _xp.is_torch(X) else torch.device("cpu")
        self.device = as_device(device)
        free = _free_bytes(self.device)
        if chunk_rows is None:
            if free is None:
                chunk_rows = auto_chunk_rows(row_width, self.dtype.itemsize, DEFAULT_CHUNK_BYTES)
            else:
                per_row = max(1, row_width * self.dtype.itemsize)
                chunk_rows = max(MIN_DEVICE_CHUNK_ROWS, int(DEVICE_MEMORY_SHARE * free) // per_row)
        self.chunk_rows = int(max(1, min(chunk_rows, max(1, self.n_samples))))
        nbytes = self.n_samples * self.n_features * self.dtype.itemsize
        if isinstance(X, np.ndarray):
            self.X = X
            # Copied once if it fits; on the CPU from_numpy shares the memory.
            resident = free is None or nbytes <= RESIDENT_MEMORY_SHARE * free
            self._X_device = torch.from_numpy(np.ascontiguousarray(X)).to(self.device) if resident else None
        else:
            self.X = X
            self._X_device = X if X.device == self.device else None
        self.sample_weight = sample_weight
        self._w_device = None
        if sample_weight is not None:
            self._w_device = torch.from_numpy(np.ascontiguousarray(sample_weight, dtype=self.dtype)).to(self.device)
        self.n_jobs = 1  # chunks in order on one thread: the device parallelises each operation

    def _bounds(self) -> Iterator[tuple[int, int]]:
        for start in range(0, self.n_samples, self.chunk_rows):
            yield start, min(start + self.chunk_rows, self.n_samples)

    def _rows(self, start: int, stop: int):
        if self._X_device is not None:
            return self._X_device[start:stop]
        chunk = self.X[start:stop]
        if isinstance(chunk, np.ndarray):
            chunk = import_torch().from_numpy(np.ascontiguousarray(chunk))
        return chunk.to(self.device, non_blocking=False)

    def _chunk(self, start: int, stop: int):
        w = None if self._w_device is None else self._w_device[start:stop]
        return self._rows(start, stop), w

    def chunks(self) -> Iterator[tuple]:
        """Yield ``(start, stop, X_chunk, w_chunk or None)`` in order, as tensors on the device."""
        for start, stop in self._bounds():
            yield (start, stop, *self._chunk(start, stop))

    def map_rows(self, fn: Callable, out):
        """Fill ``out[start:stop] = fn(X[start:stop])`` chunk by chunk and return ``out``.

        ``out`` is a NumPy array (results come back to the host) or a tensor on any device.
        """
        for start, stop in self._bounds():
            result = fn(self._rows(start, stop))
            if isinstance(out, np.ndarray):
                out[start:stop] = _xp.to_numpy(result)
            else:
                out[start:stop] = result.to(out.device)
        return out

    def host_rows(self) -> np.ndarray:
        """All rows as a NumPy array (for seeding rules that run on the host; a copy for GPU data)."""
        return _xp.to_numpy(self.X)
