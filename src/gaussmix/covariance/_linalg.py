"""Small dense linear algebra shared by the matrix-valued covariance types.

Every function works on a stack of matrices ``(n, d, d)``; tied covariances use a stack
of one.  Cholesky factors of precisions are upper triangular (scikit-learn's convention).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

from ..exceptions import CovarianceError
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


def add_to_diagonal(matrices: np.ndarray, value: float) -> np.ndarray:
    """Add ``value`` to the diagonal of every matrix of a stack, in place."""
    d = matrices.shape[-1]
    idx = np.arange(d)
    matrices[..., idx, idx] += value
    return matrices


def check_symmetric_positive_definite(matrices: np.ndarray, what: str) -> None:
    """Raise ``ValueError`` naming ``what`` and the component unless each matrix is SPD."""
    for k, matrix in enumerate(matrices):
        if not np.allclose(matrix, matrix.T, rtol=1e-5, atol=1e-8):
            raise ValueError(f"'{what}' must be symmetric, but matrix {k} is not.")
        if not np.all(np.linalg.eigvalsh(matrix) > 0.0):
            raise ValueError(f"'{what}' must be positive definite, but matrix {k} is not.")
