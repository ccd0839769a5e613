"""Small dense linear algebra shared by the matrix-valued covariance types.

Every function works on a stack of matrices ``(n, d, d)``; tied covariances use a stack
of one.  Cholesky factors of precisions are upper triangular (scikit-learn's convention).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

from ..exceptions import CovarianceError
from ._common import sklearn_name
from .base import ill_defined_message


def precisions_cholesky_from_covariances(covariances: np.ndarray, names=None) -> np.ndarray:
    """``U`` with ``inv(cov) = U @ U.T`` for each matrix of a stack ``(n, d, d)``.

    With ``cov = L @ L.T`` (lower ``L``), ``U = inv(L).T``.  ``names[k]`` names matrix
    ``k`` in the error raised when it is not positive definite (default
    ``"component k"``).
    """
    n, d, _ = covariances.shape
    out = np.empty_like(covariances)
    eye = np.eye(d, dtype=covariances.dtype)
    for k in range(n):
        try:
            lower = np.linalg.cholesky(covariances[k])
        except np.linalg.LinAlgError:
            name = f"component {k}" if names is None else names[k]
            raise CovarianceError(ill_defined_message(name, covariances.dtype)) from None
        out[k] = solve_triangular(lower, eye, lower=True, check_finite=False).T
    return out


def precisions_cholesky_from_precisions(precisions: np.ndarray) -> np.ndarray:
    """Upper ``U`` with ``P = U @ U.T`` for a stack of precision matrices.

    Reversing rows and columns turns the upper-lower factorisation into an ordinary
    Cholesky factorisation: ``J P J = L L^T`` gives ``U = J L J``.
    """
    flipped = precisions[:, ::-1, ::-1]
    try:
        lower = np.linalg.cholesky(flipped)
    except np.linalg.LinAlgError:
        raise CovarianceError(
            "The precision matrices are not positive definite and have no Cholesky factor."
        ) from None
    return np.ascontiguousarray(lower[:, ::-1, ::-1])


def covariances_from_precisions_cholesky(precisions_cholesky: np.ndarray) -> np.ndarray:
    """``inv(U @ U.T) = inv(U).T @ inv(U)`` for a stack of upper factors."""
    n, d, _ = precisions_cholesky.shape
    eye = np.eye(d, dtype=precisions_cholesky.dtype)
    out = np.empty_like(precisions_cholesky)
    for k in range(n):
        u_inv = solve_triangular(precisions_cholesky[k], eye, lower=False, check_finite=False)
        out[k] = u_inv.T @ u_inv
    return symmetrize(out)


def symmetrize(matrices: np.ndarray) -> np.ndarray:
    """Average each matrix of a stack with its transpose (rounding leaves them lopsided)."""
    return 0.5 * (matrices + np.swapaxes(matrices, -1, -2))


def clip_diagonal_at_zero(matrices: np.ndarray) -> np.ndarray:
    """Raise negative diagonal entries of every matrix of a stack to zero, in place.

    A scatter's diagonal holds sums of squares, never negative in exact arithmetic;
    rounding (float32 chunks, or a component collapsed far from the shift, whose scatter
    is the difference of two nearly equal numbers) can leave it slightly below zero.
    Adding a non-negative diagonal never makes a matrix less positive definite.
    """
    d = matrices.shape[-1]
    idx = np.arange(d)
    matrices[..., idx, idx] = np.maximum(matrices[..., idx, idx], 0.0)
    return matrices


def add_to_diagonal(matrices: np.ndarray, value: float) -> np.ndarray:
    """Add ``value`` to the diagonal of every matrix of a stack, in place."""
    d = matrices.shape[-1]
    idx = np.arange(d)
    matrices[..., idx, idx] += value
    return matrices


def smallest_eigenvalues(matrices: np.ndarray) -> np.ndarray:
    """The smallest eigenvalue of each symmetric matrix of a stack ``(k, d, d)`` (of the diagonal when diagonal)."""
    off = matrices.copy()
    idx = np.arange(matrices.shape[-1])
    off[:, idx, idx] = 0.0
    if not off.any():
        return np.min(np.diagonal(matrices, axis1=1, axis2=2), axis=1)
    return np.linalg.eigvalsh(matrices)[:, 0]


def check_symmetric_positive_definite(matrices: np.ndarray, what: str, covariance_type: str | None = None) -> None:
    """Raise ``ValueError`` naming ``what`` and the component unless each matrix is SPD."""
    theirs = f" (scikit-learn: '{sklearn_name(what, covariance_type)}' should be symmetric, positive-definite)"
    for k, matrix in enumerate(matrices):
        if not np.allclose(matrix, matrix.T, rtol=1e-5, atol=1e-8):
            raise ValueError(f"'{what}' must be symmetric, but matrix {k} is not.{theirs}")
        if not np.all(np.linalg.eigvalsh(matrix) > 0.0):
            raise ValueError(f"'{what}' must be positive definite, but matrix {k} is not.{theirs}")


#: share of the variance along the principal axis that a split moves into the offset of
#: the two halves' means: a Gaussian cut at its mean has halves whose means lie
#: sqrt(2/pi) standard deviations away, each with (1 - 2/pi) of the variance along the cut.
SPLIT_SHARE = 2.0 / np.pi


def principal_axis(matrix: np.ndarray) -> tuple[float, np.ndarray]:
    """The largest eigenvalue of a symmetric matrix and its unit eigenvector.

    The vector's sign is fixed (its largest entry in absolute value is positive), so
    the result does not depend on the LAPACK build.
    """
    values, vectors = np.linalg.eigh(matrix)
    vector = vectors[:, -1]
    if vector[np.argmax(np.abs(vector))] < 0:
        vector = -vector
    return float(values[-1]), vector


def split_along(covariance: np.ndarray, reg_covar: float) -> tuple[np.ndarray, np.ndarray]:
    """Offset ``sqrt(2/pi e) v`` and covariance ``C - 2/pi e v v'`` of a moment-matching split.

    ``v`` is the principal axis of ``covariance`` and ``e`` its variance along ``v`` in
    excess of ``reg_covar`` (so the halves keep at least ``reg_covar`` along ``v``).
    """
    value, vector = principal_axis(covariance)
    excess = max(value - reg_covar, 0.0)
    offset = np.sqrt(SPLIT_SHARE * excess) * vector
    return offset, symmetrize(covariance - SPLIT_SHARE * excess * np.outer(vector, vector))


def repair_rounding(covariances: np.ndarray, reg_covar: float) -> np.ndarray:
    """Covariances ``S + reg I`` whose scatter ``S`` rounding left indefinite, made whole.

    A scatter matrix is positive semi-definite in exact arithmetic; summed in float32
    chunks (or for a component collapsed far from the shift) rounding can leave it
    slightly indefinite, so that ``S + reg I`` has no Cholesky factor.  Only those
    matrices (found by a Cholesky attempt, so well-behaved fits are untouched, bit for
    bit) get their scatter's negative eigenvalues set to zero before ``reg_covar`` is
    added again: the nearest positive semi-definite scatter.  Without regularization
    (``reg_covar=0``) that would still be singular: nothing is changed, and the
    factorisation reports the component.
    """
    if not reg_covar > 0.0:
        return covariances
    try:
        np.linalg.cholesky(covariances)
        return covariances
    except np.linalg.LinAlgError:
        pass
    d = covariances.shape[-1]
    eye = np.eye(d)
    for k in range(covariances.shape[0]):
        if not np.all(np.isfinite(covariances[k])):
            continue  # reported by the factorisation
        try:
            np.linalg.cholesky(covariances[k])
        except np.linalg.LinAlgError:
            values, vectors = np.linalg.eigh(covariances[k] - reg_covar * eye)
            scatter = (vectors * np.maximum(values, 0.0)) @ vectors.T
            covariances[k] = symmetrize(scatter) + reg_covar * eye
    return covariances
