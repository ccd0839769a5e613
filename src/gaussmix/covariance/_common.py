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


def sklearn_name(what: str, covariance_type: str | None = None) -> str:
    """The name scikit-learn's messages give a parameter (``'weights'``, ``'full precision'``).

    gaussmix's messages name the parameter as the user passed it and then quote
    scikit-learn's wording, so code that matches scikit-learn's messages keeps working.
    """
    return {"weights_init": "weights", "means_init": "means",
            "precisions_init": f"{covariance_type} precision"}.get(what, what)


def check_shape(array: np.ndarray, expected: tuple[int, ...], what: str, covariance_type: str | None = None) -> None:
    """``ValueError`` naming ``what`` and both shapes unless ``array.shape == expected``."""
    if array.shape != tuple(expected):
        for_type = f" for covariance_type={covariance_type!r}" if covariance_type else ""
        raise ValueError(
            f"'{what}' must have shape {tuple(expected)}{for_type}, but got an array of shape {array.shape}. "
            f"(scikit-learn: The parameter '{sklearn_name(what, covariance_type)}' should have the shape of "
            f"{tuple(expected)}, but got {array.shape})"
        )


def check_positive(array: np.ndarray, what: str, covariance_type: str | None = None) -> None:
    """``ValueError`` unless every entry is strictly positive."""
    if np.any(array <= 0.0):
        raise ValueError(f"'{what}' must be strictly positive, but its minimum is {array.min()!r}. "
                         f"(scikit-learn: '{sklearn_name(what, covariance_type)}' should be positive)")


def scatter_about_means(s2: np.ndarray, cross: np.ndarray, square: np.ndarray) -> np.ndarray:
    """``s2 - 2 cross + square`` (a scatter about the new means), never below its rounding.

    The three terms nearly cancel when a component is much narrower than its distance
    from the statistics' shift; what is left is then known only to within a few units of
    rounding of the largest term, so the result is raised to that (positive) level rather
    than left at a rounding-sized value that may be zero or negative.  A scatter that is
    exactly zero (every row of the component on the shift) stays zero.

    Examples
    --------
    >>> scatter_about_means(np.zeros(1), np.zeros(1), np.zeros(1)).tolist()
    [0.0]
    >>> float(scatter_about_means(np.array([0.3]), np.array([0.3]), np.array([0.3]))[0]) > 0
    True
    """
    scatter = s2 - 2.0 * cross + square
    rounding = 4.0 * np.finfo(np.float64).eps * (np.abs(s2) + 2.0 * np.abs(cross) + np.abs(square))
    return np.maximum(scatter, rounding)


def variances_precisions_cholesky(variances: np.ndarray) -> np.ndarray:
    """``1 / sqrt(variances)``, or a :class:`CovarianceError` naming the first bad component."""
    positive = variances > 0.0  # False for NaN too
    if variances.ndim > 1:
        positive = positive.all(axis=tuple(range(1, variances.ndim)))
    bad = np.flatnonzero(~positive)
    if bad.size:
        raise CovarianceError(ill_defined_message(f"component {bad[0]}", variances.dtype))
    return 1.0 / np.sqrt(variances)
