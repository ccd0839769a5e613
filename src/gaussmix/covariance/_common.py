"""Validation and factorisation helpers shared by the covariance types."""

from __future__ import annotations

import numpy as np

from ..exceptions import CovarianceError
from .base import ill_defined_message


def to_float_array(value, what: str) -> np.ndarray:
    """``value`` as a finite float array, or a ``ValueError`` naming ``what``."""
    try:
        array = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"'{what}' could not be converted to a numeric array: {exc}") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"'{what}' must be numeric, got an array of dtype {array.dtype}.")
    array = array.astype(np.float64 if array.dtype != np.float32 else np.float32)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"'{what}' contains NaN or infinity.")
    return array


def check_shape(array: np.ndarray, expected: tuple[int, ...], what: str, covariance_type: str | None = None) -> None:
    """``ValueError`` naming ``what`` and both shapes unless ``array.shape == expected``."""
    if array.shape != tuple(expected):
        for_type = f" for covariance_type={covariance_type!r}" if covariance_type else ""
        raise ValueError(
            f"'{what}' must have shape {tuple(expected)}{for_type}, but got an array of shape {array.shape}."
        )


def check_positive(array: np.ndarray, what: str) -> None:
    """``ValueError`` unless every entry is strictly positive."""
    if np.any(array <= 0.0):
        raise ValueError(f"'{what}' must be strictly positive, but its minimum is {array.min()!r}.")


def variances_precisions_cholesky(variances: np.ndarray) -> np.ndarray:
    """``1 / sqrt(variances)``, or a :class:`CovarianceError` naming the first bad component."""
    positive = variances > 0.0  # False for NaN too
    if variances.ndim > 1:
        positive = positive.all(axis=tuple(range(1, variances.ndim)))
    bad = np.flatnonzero(~positive)
    if bad.size:
        raise CovarianceError(ill_defined_message(f"component {bad[0]}", variances.dtype))
    return 1.0 / np.sqrt(variances)
