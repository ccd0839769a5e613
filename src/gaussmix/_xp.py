"""The few array operations whose fast spelling differs between NumPy and PyTorch.

The per-chunk kernel (:func:`gaussmix.core.stats.design`, :class:`gaussmix.core.EStep`,
the covariance types' quadratic features and second moments) is written once against
an array namespace ``xp``: ``numpy`` itself for NumPy arrays (its fastest spelling,
unchanged), and ``array_api_compat``'s namespace for anything else (PyTorch tensors on
any device).  The operations that write into an existing buffer (``out=``, in-place
exponentials, zeroing by mask) have no array-API spelling and live here.

Nothing here imports PyTorch: a tensor can only be met once its library is loaded.

Examples
--------
>>> import numpy as np
>>> namespace(np.zeros(2)) is np
True
>>> to_host_float64(np.arange(3, dtype=np.float32)).dtype
dtype('float64')
"""

from __future__ import annotations

import sys

import numpy as np

__all__ = [
    "asarray_like",
    "astype",
    "dot_float64",
    "exp_inplace",
    "is_torch",
    "multiply_into",
    "namespace",
    "numpy_dtype",
    "square_inplace",
    "subtract_into",
    "sum_float64",
    "sum_rows_into",
    "put_flat",
    "take_flat",
    "take_rows",
    "to_host_float64",
    "to_numpy",
    "torch_dtype",
    "zero_below",
]


def is_torch(x) -> bool:
    """Whether ``x`` is a PyTorch tensor (without importing PyTorch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def namespace(*arrays):
    """The array namespace of ``arrays``: ``numpy`` for NumPy arrays, else array-api-compat's."""
    if len(arrays) == 1 and isinstance(arrays[0], np.ndarray):  # the CPU hot path
        return np
    if all(isinstance(a, np.ndarray) or a is None for a in arrays):
        return np
    try:
        import array_api_compat
    except ImportError:
        raise ImportError(
            "Computing on non-NumPy arrays needs array-api-compat: pip install 'gaussmix[torch]'."
        ) from None
    return array_api_compat.array_namespace(*(a for a in arrays if a is not None))


def _torch():
    import torch

    return torch


def torch_dtype(dtype):
    """The PyTorch dtype of a NumPy ``dtype`` (float64, float32, int64, bool)."""
    torch = _torch()
    return {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32,
            np.dtype(np.int64): torch.int64, np.dtype(np.bool_): torch.bool}[np.dtype(dtype)]


def numpy_dtype(x) -> np.dtype:
    """The NumPy dtype matching ``x.dtype`` (``x`` a NumPy array or a tensor)."""
    if isinstance(x, np.ndarray):
        return x.dtype
    return np.dtype(str(x.dtype).replace("torch.", ""))


def astype(x, dtype):
    """``x`` in the NumPy ``dtype`` (its torch equivalent for tensors), without a copy if it already is."""
    if isinstance(x, np.ndarray):
        return x.astype(dtype, copy=False)
    return x.to(torch_dtype(dtype))


def asarray_like(a, like, dtype=None):
    """``a`` (NumPy or same library) in the library and on the device of ``like``.

    ``dtype`` (a NumPy dtype) defaults to ``like``'s dtype.
    """
    if isinstance(like, np.ndarray):
        return np.asarray(a, dtype=like.dtype if dtype is None else dtype)
    torch = _torch()
    target = like.dtype if dtype is None else torch_dtype(dtype)
    if isinstance(a, np.ndarray):
        a = torch.from_numpy(np.ascontiguousarray(a))
    return a.to(device=like.device, dtype=target)


def to_numpy(x) -> np.ndarray:
    """``x`` as a NumPy array on the host (no copy for NumPy arrays and CPU tensors)."""
    if isinstance(x, np.ndarray) or not is_torch(x):
        return np.asarray(x)
    return x.detach().cpu().numpy()


def to_host_float64(x) -> np.ndarray:
    """``x`` as a float64 NumPy array, converted on its device before the transfer."""
    if isinstance(x, (np.ndarray, np.generic, float, int)):
        return np.asarray(x, dtype=np.float64)
    return to_numpy(x.to(_torch().float64))


def subtract_into(a, b, out) -> None:
    """``out[...] = a - b``."""
    if isinstance(out, np.ndarray):
        np.subtract(a, b, out=out)
    else:
        _torch().sub(a, b, out=out)


def multiply_into(a, b, out) -> None:
    """``out[...] = a * b``."""
    if isinstance(out, np.ndarray):
        np.multiply(a, b, out=out)
    else:
        _torch().mul(a, b, out=out)


def sum_rows_into(a, out) -> None:
    """``out[...] = a.sum(axis=0)``."""
    if isinstance(out, np.ndarray):
        np.sum(a, axis=0, out=out)
    else:
        _torch().sum(a, dim=0, out=out)


def exp_inplace(a) -> None:
    """``a[...] = exp(a)``."""
    if isinstance(a, np.ndarray):
        np.exp(a, out=a)
    else:
        a.exp_()


def square_inplace(a) -> None:
    """``a[...] = a ** 2``."""
    if isinstance(a, np.ndarray):
        np.square(a, out=a)
    else:
        a.square_()


def clamp_below(a, floor: float) -> None:
    """Raise the entries of ``a`` below ``floor`` to ``floor``, in place."""
    if isinstance(a, np.ndarray):
        np.maximum(a, floor, out=a)
    else:
        a.clamp_(min=floor)


def sum_float64(x) -> float:
    """``sum(x)`` accumulated in float64, as a Python float."""
    if isinstance(x, np.ndarray):
        return float(np.sum(x, dtype=np.float64))
    return float(x.sum(dtype=_torch().float64))


def take_rows(X, index):
    """``X[index]`` for an integer array ``index`` of any shape: rows of a 2-D array, gathered."""
    if isinstance(X, np.ndarray):
        return np.take(X, index, axis=0)
    return X[index]


def take_flat(a, index):
    """``a.ravel()[index]`` (C order) for an integer array ``index``; ``a`` is contiguous."""
    if isinstance(a, np.ndarray):
        return np.take(a, index)
    return a.reshape(-1)[index]


def put_flat(a, index, values) -> None:
    """``a.ravel()[index] = values`` in place (C order); ``a`` is contiguous.

    Flat indices into a 2-D array run about twice as fast as a pair of index arrays (NumPy).
    """
    if isinstance(a, np.ndarray):
        np.put(a, index, values)
    else:
        a.view(-1)[index] = values


def dot_float64(a, b) -> float:
    """``a @ b`` for two vectors, in float64, as a Python float."""
    if isinstance(a, np.ndarray):
        return float(np.dot(a.astype(np.float64), b.astype(np.float64)))
    torch = _torch()
    return float(torch.dot(a.to(torch.float64), b.to(torch.float64)))
