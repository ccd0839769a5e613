"""mclust's constrained covariance forms: ``Sigma_k = lambda_k D_k A_k D_k'``.

Banfield & Raftery (1993) and Celeux & Govaert (1995) write each component's covariance
as a *volume* ``lambda_k`` (a scalar: ``det(Sigma_k)^(1/d)``), a *shape* ``A_k`` (a
diagonal matrix of decreasing entries with determinant 1) and an *orientation* ``D_k``
(an orthogonal matrix, its columns the principal axes).  Each of the three is either
``E`` (equal for all components), ``V`` (variable) or, for the orientation (and the
shape), ``I`` (the identity: axis-aligned, resp. spherical).  The R package mclust names
the fourteen resulting forms by the three letters, volume first.  Four are gaussmix's
scikit-learn types (``full`` = VVV, ``tied`` = EEE, ``diag`` = VVI, ``spherical`` =
VII); this module adds the other ten:

======  ==========================  ============================  =============
form    Sigma_k                     covariance parameters         M-step
======  ==========================  ============================  =============
EII     ``lambda I``                1                             closed form
EEI     ``lambda A``                d                             closed form
VEI     ``lambda_k A``              k + d - 1                     iterative
EVI     ``lambda A_k``              1 + k (d - 1)                 closed form
VEE     ``lambda_k D A D'``         k + d - 1 + d (d - 1) / 2     iterative
EVE     ``lambda D A_k D'``         1 + k (d - 1) + d (d - 1)/2   iterative
VVE     ``lambda_k D A_k D'``       k d + d (d - 1) / 2           iterative
EEV     ``lambda D_k A D_k'``       d + k d (d - 1) / 2           closed form
VEV     ``lambda_k D_k A D_k'``     k + d - 1 + k d (d - 1) / 2   iterative
EVV     ``lambda D_k A_k D_k'``     1 - k + k d (d + 1) / 2       closed form
======  ==========================  ============================  =============

(the counts are mclust's ``nVarParams``).  Every form stores ``covariances_`` as ``(k, d, d)``
matrices, mclust's ``sigma`` with the component first.  The diagonal forms (``?·I``) keep
the diagonal type's E-step (``d`` quadratic features per row, per-feature second
moments) and embed their variances in diagonal matrices; the others are full matrices
with the full type's E-step.

The M-step
----------
From the summed statistics each form first computes, exactly as the full (or diagonal)
type does, the regularized covariance ``S_k`` of each component (its scatter ``W_k``
divided by the component's mass ``w_k``, plus ``reg_covar`` on the diagonal), and then
the constrained maximum-likelihood covariances, the minimiser within the form of::

    F(Sigma) = sum_k w_k [log det Sigma_k + tr(Sigma_k^-1 S_k)]

which is the M-step of mclust (Celeux & Govaert 1995) for the scatters ``w_k S_k``: the
regularization acts as a ridge on each scatter, and the structure of the form holds
exactly.  (For the four scikit-learn types this is their own M-step.)  Five forms have
closed forms.  The others iterate, every step decreasing ``F``:

* VEI and VEV: the problem ``sum_k w_k [d log lambda_k + sum_j s_kj / (lambda_k a_j)]``
  (``prod_j a_j = 1``) on the diagonals of the ``S_k`` (VEI) or on their eigenvalues in
  decreasing order, the orientations being each ``S_k``'s eigenvectors (VEV).  With
  ``lambda_k`` profiled out it is convex in ``log a``: Newton's method with a backtracking
  line search, from the mass-weighted geometric mean of the normalised ``s_k``; a handful
  of steps.
* VEE: given the volumes the best ``C`` is proportional to ``M = sum_k w_k S_k / lambda_k``
  (Celeux & Govaert alternate the two), and the objective profiled over ``C`` is
  ``d sum_k w_k log lambda_k + d det(M)^(1/d)``, convex in ``log lambda``: Newton's method on
  the ``k`` log-volumes from those of the pooled (EEE) shape; at most a few steps where the
  alternation takes up to a hundred.
* EVE and VVE: a common orientation ``D``.  Given ``D`` the rest is closed form (the EVI,
  resp. VVI, solution on the diagonals of ``D' S_k D``), so the objective is a function of
  ``D`` alone, which is not convex.  It is minimised by a trust-region Newton method over
  rotations ``D expm(X)`` with the exact Hessian (applied in ``d^3`` operations), truncated
  conjugate gradients preconditioned by the Hessian's diagonal, and, should the trust
  region collapse, a sweep of plane rotations each the exact minimiser in its plane (a
  cyclic Jacobi method).  The start is the best of a few candidate orientations: those of
  the pooled normalised ``S_k``, of the heaviest components' ``S_k`` and of ``start``.
  Browne & McNicholas (2014) and mclust improve ``D`` by majorization-minimization steps
  instead, whose length shrinks with the condition number of the scatters: they stop
  (at mclust's relative tolerance ``sqrt(eps)``) measurably short of the optimum on
  ill-conditioned inputs.

An iteration stops when ``F`` decreased by less than ``tol`` (relative to the objective
less ``sum_k w_k log det S_k``, which is at least ``sum_k w_k d``; default ``1e-13``) in a
Newton step, or the Newton model predicts less (that last step is then taken: all the
iterations converge quadratically at the end, so the covariances are converged to
rounding, not only ``F``, and do not depend on how the statistics were summed), or after
``max_iter`` steps.  Every step decreases ``F`` (but for rounding), so an iteration stopped
early still gives a generalized EM step.  EVE and VVE (and VEE) may have
several local optima: passing the previous iteration's covariances as ``start`` to
:meth:`~_Form.constrained_mle` (or ``covariances_from_moments``) makes each M-step at least
as good as its start, so that EM's lower bound cannot decrease by a change of optimum.

Examples
--------
>>> import numpy as np
>>> from gaussmix.covariance import get_covariance
>>> S = np.array([[[2.0, 0.0], [0.0, 1.0]], [[8.0, 0.0], [0.0, 4.0]]])
>>> get_covariance("VEE").constrained_mle(S, np.array([1.0, 1.0])).covariances.round(6).tolist()
[[[2.0, 0.0], [0.0, 1.0]], [[8.0, 0.0], [0.0, 4.0]]]
>>> get_covariance("EII").n_parameters(3, 4), get_covariance("VEV").n_parameters(3, 4)
(1, 24)
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from scipy.linalg import solve_triangular

from ._common import check_positive, check_shape, to_float_array
from ._linalg import symmetrize
from .base import CovarianceType
from .diag import DiagCovariance
from .full import FullCovariance

__all__ = [
    "EEI", "EEV", "EII", "EVE", "EVI", "EVV", "MCLUST_FORMS", "CovarianceDecomposition", "MStepSolution", "VEE",
    "VEI", "VEV", "VVE", "eigen_decomposition", "mstep_objective",
]

_DIAG = DiagCovariance()  # the diagonal kernel the diagonal forms delegate to (not registered)


# ----------------------------------------------------------------------------- public helpers
class CovarianceDecomposition(NamedTuple):
    """Covariances as mclust decomposes them: ``Sigma_k = volume_k D_k diag(shape_k) D_k'``.

    Attributes
    ----------
    volume : ndarray of shape (n_components,)
        ``det(Sigma_k) ** (1 / n_features)``.
    shape : ndarray of shape (n_components, n_features)
        Decreasing, with product one.
    orientation : ndarray of shape (n_components, n_features, n_features)
        The eigenvectors ``D_k`` as columns, in the order of ``shape``.
    """

    volume: np.ndarray
    shape: np.ndarray
    orientation: np.ndarray


def eigen_decomposition(covariances: np.ndarray) -> CovarianceDecomposition:
    """Volume, shape and orientation of each covariance, in mclust's sense.

    ``Sigma_k = volume_k * orientation_k @ diag(shape_k) @ orientation_k.T``.

    Parameters
    ----------
    covariances : ndarray of shape (n_components, n_features, n_features)
        Symmetric positive definite matrices.

    Returns
    -------
    CovarianceDecomposition
        A named tuple of three arrays:
    volume : ndarray of shape (n_components,)
        ``det(Sigma_k) ** (1 / n_features)``.
    shape : ndarray of shape (n_components, n_features)
        The eigenvalues in decreasing order divided by the volume (their product is 1).
    orientation : ndarray of shape (n_components, n_features, n_features)
        The eigenvectors as columns, in the order of ``shape``; each column's entry of
        largest magnitude is positive.

    Examples
    --------
    >>> import numpy as np
    >>> volume, shape, orientation = eigen_decomposition(np.array([[[1.0, 0.0], [0.0, 4.0]]]))
    >>> volume.tolist(), shape.tolist(), orientation.tolist()
    ([2.0], [[2.0, 0.5]], [[[0.0, 1.0], [1.0, 0.0]]])
    """
    covariances = np.asarray(covariances, dtype=np.float64)
    values, vectors = np.linalg.eigh(covariances)
    values, vectors = values[:, ::-1], vectors[:, :, ::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        volume = np.exp(np.mean(np.log(values), axis=1))
        shape = values / volume[:, None]
    # sign of each column: its entry of largest magnitude positive (first such entry on ties)
    largest = np.take_along_axis(vectors, np.argmax(np.abs(vectors), axis=1)[:, None, :], axis=1)
    vectors = vectors * np.where(largest < 0.0, -1.0, 1.0)
    return CovarianceDecomposition(volume, shape, np.ascontiguousarray(vectors))


def mstep_objective(covariances: np.ndarray, scatter_covariances: np.ndarray, weights: np.ndarray) -> float:
    """``sum_k w_k [log det Sigma_k + tr(Sigma_k^-1 S_k)]``: what the M-step minimises.

    Parameters
    ----------
    covariances : ndarray of shape (n_components, n_features, n_features)
        The ``Sigma_k``.
    scatter_covariances : ndarray of shape (n_components, n_features, n_features)
        The unconstrained (regularized) covariances ``S_k``.
    weights : ndarray of shape (n_components,)
        The masses ``w_k``.

    Examples
    --------
    >>> import numpy as np
    >>> round(mstep_objective(np.eye(2)[None] * 2.0, np.eye(2)[None], np.ones(1)), 6)  # 2 log 2 + 1
    2.386294
    """
    covariances = np.asarray(covariances, dtype=np.float64)
    lower = np.linalg.cholesky(covariances)
    log_det = 2.0 * np.sum(np.log(np.diagonal(lower, axis1=1, axis2=2)), axis=1)
    trace = np.trace(np.linalg.solve(covariances, np.asarray(scatter_covariances, dtype=np.float64)),
                     axis1=1, axis2=2)
    return float(np.dot(weights, log_det + trace))


class MStepSolution(NamedTuple):
    """A constrained M-step: the covariances and how the inner iteration went.

    ``n_iter`` counts the steps taken (``len(objective_path) - 1``); ``converged`` is False
    only when an iterative form stopped at its ``max_iter``.

    ``objective_path`` holds the relative objective (``F`` minus ``sum_k w_k log det S_k``,
    with the diagonal of ``S_k`` for the diagonal forms; at least ``sum_k w_k * d``) at the
    start and after every step: a closed form has one entry.
    """

    covariances: np.ndarray
    n_iter: int
    converged: bool
    objective_path: np.ndarray


# ------------------------------------------------------------------- kernels on variances
# Each works on positive "variances" V (k, d) (the diagonals of S_k, their eigenvalues, or the
# diagonals of D' S_k D) and the masses w (k,), and returns the constrained variances (k, d).
def _geometric_mean(values: np.ndarray) -> np.ndarray:
    return np.exp(np.mean(np.log(values), axis=-1))


def _equal_volume_equal_shape(V: np.ndarray, w: np.ndarray) -> np.ndarray:
    """EEI (and EEV on spectra): the mass-weighted mean of the variances."""
    return np.broadcast_to(w @ V / np.sum(w), V.shape).copy()


def _equal_volume_variable_shape(V: np.ndarray, w: np.ndarray) -> np.ndarray:
    """EVI: shapes ``V_k / g_k`` (``g_k`` the geometric mean of ``V_k``), one volume ``sum w g / sum w``."""
    g = _geometric_mean(V)
    return (w @ g / np.sum(w)) * (V / g[:, None])


def _relative_objective(V: np.ndarray, Lam: np.ndarray, w: np.ndarray) -> float:
    """``sum_k w_k sum_j [log(Lam_kj / V_kj) + V_kj / Lam_kj]`` (at least ``sum w * d``)."""
    ratio = V / Lam
    return float(w @ np.sum(ratio - np.log(ratio), axis=1))


def _convex_newton(evaluate, x: np.ndarray, tol: float, max_iter: int):
    """Newton's method with backtracking (Armijo) line search for a smooth convex function.

    ``evaluate(x, derivatives)`` returns the value, and with ``derivatives`` also the
    gradient and a positive definite Hessian (a constrained problem passes the gradient and
    Hessian of its subspace, e.g. plus ``11'`` for ``sum x = 0``).  Stops after a step that
    decreased the value by at most ``tol`` times it, or when the Newton decrement says the
    full step gains at most that much: that step is then taken unconditionally (its value
    is the model's to third order, while rounding may hide a decrease that small), so that
    the result is converged in the parameters (quadratically), not only in the value.

    Returns ``(x, objective_path, converged)``.
    """
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    value, gradient, hessian = evaluate(x, True)
    path = [value]
    for _ in range(max_iter):
        try:
            step = -cho_solve(cho_factor(hessian, check_finite=False), gradient, check_finite=False)
        except (LinAlgError, ValueError):
            step = -gradient / np.maximum(np.abs(np.diagonal(hessian)), np.finfo(float).tiny)
        decrement = -float(gradient @ step)
        if 0.5 * decrement <= tol * abs(value):
            x = x + step
            value = evaluate(x, False)
            path.append(value)
            return x, path, True
        t = 1.0
        while True:
            candidate = x + t * step
            candidate_value = evaluate(candidate, False)
            if candidate_value <= value - 1e-4 * t * decrement or t < 1e-10:
                break
            t *= 0.5
        if not candidate_value < value:  # no decrease left at all (rounding)
            return x, path, True
        decrease = value - candidate_value
        x = candidate
        value, gradient, hessian = evaluate(x, True)
        path.append(value)
        if decrease <= tol * abs(value):
            return x, path, True
    return x, path, False


def _variable_volume_equal_shape(V: np.ndarray, w: np.ndarray, tol: float, max_iter: int):
    """VEI (and VEV on spectra): ``Lam_kj = lambda_k a_j`` with ``prod a = 1``.

    With ``lambda_k = mean_j V_kj / a_j`` profiled out, the objective in ``v = log a`` is
    ``d sum_k w_k log sum_j V_kj exp(-v_j)`` (plus a constant) on ``sum v = 0``: convex.
    Newton's method (:func:`_convex_newton`) from the mass-weighted mean of the normalised
    ``log V_k``.

    Returns ``(Lam, n_iter, converged, objective_path)``.
    """
    d = V.shape[1]
    n = np.sum(w)
    logV = np.log(V)
    v = (w @ (logV - np.mean(logV, axis=1, keepdims=True))) / n
    v -= np.mean(v)
    ones = np.ones((d, d))

    def profile(v):
        scaled = V * np.exp(-v)  # (k, d)
        lam = np.mean(scaled, axis=1)
        return lam[:, None] * np.exp(v), scaled / (d * lam[:, None])  # Lam, and p_kj (rows sum to 1)

    def evaluate(v, derivatives):
        Lam, p = profile(v)
        value = _relative_objective(V, Lam, w)
        if not derivatives:
            return value
        # of f(v) = d sum_k w_k log sum_j V_kj e^-v_j on sum v = 0: the gradient plus the
        # constraint's multiplier n, and the Hessian (zero along 1) plus 11', which leaves the
        # Newton steps in the subspace unchanged and makes the matrix positive definite
        wp = w[:, None] * p
        gradient = n - d * np.sum(wp, axis=0)
        hessian = d * (np.diag(np.sum(wp, axis=0)) - p.T @ wp) + ones
        return value, gradient, hessian

    if d == 1:
        return profile(v)[0], 0, True, np.array([evaluate(v, False)])
    v, path, converged = _convex_newton(evaluate, v, tol, max_iter)
    return profile(v - np.mean(v))[0], len(path) - 1, converged, np.array(path)


@lru_cache(maxsize=None)
def _round_robin(d: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Disjoint pairs ``(I, J)`` (``I < J``) of ``range(d)`` covering every pair once in ``d - 1`` rounds."""
    m = d + d % 2  # an odd d gets a dummy player, whose pairs are dropped
    players = list(range(m))
    rounds = []
    for _ in range(m - 1):
        pairs = [(min(a, b), max(a, b)) for a, b in ((players[i], players[m - 1 - i]) for i in range(m // 2))
                 if a < d and b < d]
        rounds.append((np.array([a for a, _ in pairs], dtype=np.intp), np.array([b for _, b in pairs], dtype=np.intp)))
        players = [players[0], players[-1], *players[1:-1]]
    return tuple(rounds)


@lru_cache(maxsize=None)
def _planes(d: int) -> tuple[np.ndarray, np.ndarray]:
    """The coordinate planes ``(e, f)``, ``e < f``, of ``d`` dimensions: ``(first, second)`` indices."""
    return np.triu_indices(d, 1)


class _Orientation:
    """The profiled objective of a common orientation ``D`` (EVE, VVE) and its derivatives.

    With ``r_kj = (D' S_k D)_jj`` and ``phi_k = sum_j log r_kj``, the diagonal parameters
    profiled out give the relative objective (``F - sum_k w_k log det S_k``)

    * VVE (``Lam_k = r_k``): ``sum_k w_k (phi_k + d)``,
    * EVE (``Lam_k = lambda r_k / g_k``, ``g_k = exp(phi_k / d)``, ``lambda = sum w g / n``):
      ``n d log(sum_k w_k g_k / n) + n d``,

    less ``sum_k w_k log det S_k``.  Derivatives are those of ``X -> F(D expm(X))`` at
    ``X = 0`` for skew ``X``, in the coordinates ``x_ef = X[e, f]``, ``e < f``: with
    ``e^-X R e^X = R + [R, X] + [[R, X], X] / 2 + ...`` they are sums over components of
    terms in ``R_k`` and ``1 / r_k`` (see :meth:`derivatives`).
    """

    def __init__(self, S: np.ndarray, w: np.ndarray, equal_volume: bool):
        self.S, self.w, self.equal_volume = S, w, equal_volume
        self.n = float(np.sum(w))
        self.d = S.shape[-1]
        self.offset = float(w @ np.linalg.slogdet(S)[1])

    def at(self, D: np.ndarray):
        """``(R, r, phi, value)`` at the orientation ``D``."""
        R = symmetrize(D.T @ self.S @ D)
        r = np.diagonal(R, axis1=1, axis2=2)
        phi = np.sum(np.log(r), axis=1)
        return R, r, phi, self.value(phi)

    def value(self, phi: np.ndarray) -> float:
        n, d, w = self.n, self.d, self.w
        if not self.equal_volume:
            return float(w @ phi) + n * d - self.offset
        top = np.max(phi) / d
        return n * d * (top + np.log(w @ np.exp(phi / d - top) / n)) + n * d - self.offset

    def diagonal_parameters(self, r: np.ndarray, phi: np.ndarray) -> np.ndarray:
        """``Lam`` (k, d): the covariances' variances along the columns of ``D``."""
        if not self.equal_volume:
            return np.array(r)
        log_g = phi / self.d
        top = np.max(log_g)
        log_lam = top + np.log(self.w @ np.exp(log_g - top) / self.n)
        return r * np.exp(log_lam - log_g)[:, None]

    def derivatives(self, R: np.ndarray, r: np.ndarray, phi: np.ndarray):
        """Gradient ``(p,)``, Hessian-vector product and Hessian diagonal ``(p,)`` in the plane coordinates.

        For ``sum_k c_k phi_k`` the Hessian entry of the planes ``(s, y)`` and ``(s, z)`` is
        ``sign * K[s, y, z]`` (``sign`` +1 when ``s`` comes first in both planes or second in
        both) and of a plane ``(e, f)`` with itself ``K[e, f, f] + K[f, e, e]``, where
        ``K = 2 P - 4 Q - A`` with ``A[y, z] = sum_k c_k (1 / r_y + 1 / r_z) R_yz``,
        ``P[s, y, z] = sum_k c_k R_yz / r_s`` and ``Q[s, y, z] = sum_k c_k R_sy R_sz / r_s^2``;
        planes that share no index do not interact.  So a product with the Hessian costs
        ``d^3``: with ``X`` the skew matrix of the vector, ``T[s, y] = sum_z K[s, y, z] X[s, z]``
        and the product is ``T[e, f] - T[f, e]``.  EVE adds the curvature of its log-sum-exp.
        """
        d, w, n = self.d, self.w, self.n
        first, second = _planes(d)
        inv = 1.0 / r  # (k, d)
        grads = 2.0 * R[:, first, second] * (inv[:, second] - inv[:, first])  # (k, p): of each phi_k
        if self.equal_volume:
            log_g = phi / d
            pi = w * np.exp(log_g - np.max(log_g))
            pi /= np.sum(pi)
            c = n * pi
        else:
            c = w
        gradient = c @ grads
        k = R.shape[0]
        ci = c[:, None] * inv
        A = np.einsum("ky,kyz->yz", ci, R)
        A = A + A.T
        P = (ci.T @ R.reshape(k, d * d)).reshape(d, d, d)
        Rs = np.swapaxes(R, 0, 1)  # (d, k, d): Rs[s] = R[:, s, :]
        Q = np.swapaxes(Rs * (c[:, None] * inv**2).T[:, :, None], 1, 2) @ Rs
        K = 2.0 * P - 4.0 * Q - A[None, :, :]
        diagonal = K[first, second, second] + K[second, first, first]
        if self.equal_volume:
            mean = pi @ grads
            diagonal = diagonal + (n / d) * (pi @ grads**2 - mean**2)

        def hessian_product(v: np.ndarray) -> np.ndarray:
            T = np.matmul(K, _skew(v, d)[:, :, None])[:, :, 0]
            out = T[first, second] - T[second, first]
            if self.equal_volume:  # n d log sum_k w_k exp(phi_k / d): the log-sum-exp's curvature
                out += (n / d) * ((grads.T @ (pi * (grads @ v))) - mean * (mean @ v))
            return out

        return gradient, hessian_product, diagonal


def _skew(x: np.ndarray, d: int) -> np.ndarray:
    first, second = _planes(d)
    X = np.zeros((d, d))
    X[first, second] = x
    X[second, first] = -x
    return X


def _jacobi_sweep(problem: _Orientation, D: np.ndarray) -> np.ndarray:
    """One sweep of plane rotations of ``D`` (a new array), every plane once.

    Each rotation is the exact minimiser, in its plane, of ``sum_k w_k sum_j r_kj / Lam_kj``
    with the diagonal parameters ``Lam`` fixed; the planes of a round are disjoint, so they
    are solved at once, and ``Lam`` is updated after every round.  ``F`` never increases.
    """
    D = np.array(D)
    R, r, phi, _ = problem.at(D)
    w = problem.w
    for I, J in _round_robin(problem.d):
        Lam = problem.diagonal_parameters(r, np.sum(np.log(r), axis=1))
        M = w[:, None] / Lam
        dm = M[:, I] - M[:, J]
        P = 0.5 * np.einsum("kp,kp->p", dm, R[:, I, I] - R[:, J, J])
        Q = np.einsum("kp,kp->p", dm, R[:, I, J])
        # in its plane: const + P cos 2 theta + Q sin 2 theta, least at 2 theta = atan2(-Q, -P)
        theta = np.where(np.hypot(P, Q) > 0.0, 0.5 * np.arctan2(-Q, -P), 0.0)
        c, s = np.cos(theta), np.sin(theta)
        rows_i, rows_j = R[:, I, :], R[:, J, :]
        R[:, I, :] = c[:, None] * rows_i + s[:, None] * rows_j
        R[:, J, :] = c[:, None] * rows_j - s[:, None] * rows_i
        cols_i, cols_j = R[:, :, I], R[:, :, J]
        R[:, :, I] = cols_i * c + cols_j * s
        R[:, :, J] = cols_j * c - cols_i * s
        cols_i, cols_j = D[:, I], D[:, J]
        D[:, I] = cols_i * c + cols_j * s
        D[:, J] = cols_j * c - cols_i * s
        r = np.diagonal(R, axis1=1, axis2=2)
    return D


def _truncated_cg(gradient, hessian_product, precondition, radius, max_steps):
    """Steihaug-Toint truncated conjugate gradients for ``min g's + s'Hs/2`` with ``|s|_M <= radius``.

    ``M = diag(precondition)`` (positive).  Stops at the boundary (or along negative
    curvature), or when the preconditioned residual fell below ``min(0.1, sqrt(|g|_M^-1))``
    times its start.  Returns ``(step, on_boundary)``.
    """
    step = np.zeros_like(gradient)
    residual = gradient.copy()
    z = residual / precondition
    direction = -z
    rz = float(residual @ z)
    if not rz > 0.0:
        return step, False
    target = rz * min(0.01, np.sqrt(rz))  # squared: a superlinear forcing term

    def to_boundary(step, direction):
        a = float(direction @ (precondition * direction))
        b = float(step @ (precondition * direction))
        c = float(step @ (precondition * step)) - radius**2
        tau = (-b + np.sqrt(max(b * b - a * c, 0.0))) / a
        return step + tau * direction

    for _ in range(max_steps):
        Hd = hessian_product(direction)
        curvature = float(direction @ Hd)
        if curvature <= 0.0:
            return to_boundary(step, direction), True
        alpha = rz / curvature
        candidate = step + alpha * direction
        if float(candidate @ (precondition * candidate)) >= radius**2:
            return to_boundary(step, direction), True
        step = candidate
        residual = residual + alpha * Hd
        z = residual / precondition
        rz_new = float(residual @ z)
        if rz_new <= target:
            break
        direction = -z + (rz_new / rz) * direction
        rz = rz_new
    return step, False


#: the common orientation starts from the best of the pooled covariance's axes and those of
#: the heaviest components (at most this many)
N_START_COMPONENTS = 8
#: sweeps of plane rotations before the Newton steps
N_FIRST_SWEEPS = 1


def _starting_orientation(problem: "_Orientation", start: np.ndarray | None = None) -> np.ndarray:
    """The candidate orientation of least objective: the axes of the mass-weighted pooled
    trace-normalised ``S_k`` (near-degenerate when the components' shapes differ), of one of
    the heaviest ``S_k`` (exact when the components do share their axes), or of ``start``
    (covariances with a common orientation: those of its heaviest component)."""
    S, w = problem.S, problem.w
    pooled = np.einsum("k,kij->ij", w / np.trace(S, axis1=1, axis2=2), S)
    heaviest = np.argsort(-w, kind="stable")[:N_START_COMPONENTS]
    matrices = [pooled[None], S[heaviest]]
    if start is not None:
        matrices.append(start[heaviest[:1]])
    candidates = np.linalg.eigh(symmetrize(np.concatenate(matrices)))[1][:, :, ::-1]
    # diag(D' S_k D) for every candidate D and component k
    r = np.sum((S[None] @ candidates[:, None]) * candidates[:, None], axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = [problem.value(np.sum(np.log(rc), axis=1)) for rc in r]
    best = int(np.nanargmin(values)) if np.any(np.isfinite(values)) else 0
    return np.ascontiguousarray(candidates[best])


def _common_orientation(S: np.ndarray, w: np.ndarray, equal_volume: bool, tol: float, max_iter: int,
                        start: np.ndarray | None = None):
    """EVE (``equal_volume``) and VVE: ``Sigma_k = D diag(Lam_k) D'`` with a common orthogonal ``D``.

    A trust-region Newton method on the profiled objective over rotations
    ``D -> D expm(X)``: the exact Hessian (as products, ``d^3`` each, see
    :meth:`_Orientation.derivatives`), truncated conjugate gradients preconditioned by its
    diagonal (the planes' own curvatures, which makes the steps invariant to the scale of
    each direction), a step taken only when it decreases the objective.  When the region
    has shrunk to nothing (rounding near the optimum), one sweep of exact plane rotations
    (:func:`_jacobi_sweep`) is tried.  Starts from :func:`_starting_orientation`.

    Returns ``(D, Lam, n_iter, converged, objective_path)``.
    """
    from scipy.linalg import expm

    d = S.shape[-1]
    problem = _Orientation(S, w, equal_volume)
    D = _starting_orientation(problem, start)
    R, r, phi, value = problem.at(D)
    path = [value]
    converged = d == 1
    n_iter = 0
    for _ in range(N_FIRST_SWEEPS if d > 2 else 0):
        n_iter += 1
        D = _jacobi_sweep(problem, D)
        R, r, phi, value_t = problem.at(D)
        path.append(value_t)
        converged = value - value_t <= tol * abs(value_t)
        value = value_t
        if converged:
            break
    p = d * (d - 1) // 2
    radius = None
    while not converged and n_iter < max_iter:
        n_iter += 1
        gradient, hessian_product, diagonal = problem.derivatives(R, r, phi)
        if not (np.all(np.isfinite(gradient)) and np.all(np.isfinite(diagonal))):
            break
        floor = 1e-8 * max(float(np.max(np.abs(diagonal))), np.finfo(float).tiny)
        precondition = np.maximum(np.abs(diagonal), floor)
        if radius is None:  # every plane may turn by up to about a quarter turn
            radius = np.sqrt(float(np.sum(precondition)))
        accepted = newton = False
        while radius > 1e-12 * np.sqrt(float(np.sum(precondition))):
            step, on_boundary = _truncated_cg(gradient, hessian_product, precondition, radius, 2 * p + 10)
            predicted = -(float(gradient @ step) + 0.5 * float(step @ hessian_product(step)))
            newton = not on_boundary
            D_t = D @ expm(_skew(step, d))
            R_t, r_t, phi_t, value_t = problem.at(D_t)
            if newton and predicted <= tol * abs(value):
                # the Newton step gains less than tol: taken whatever rounding says of its value
                # (the model's to third order), so that D converges quadratically, not only F
                converged = accepted = bool(np.isfinite(value_t))
                break
            actual = value - value_t
            ratio = actual / predicted if predicted > 0.0 else -np.inf
            if ratio < 0.25:
                radius *= 0.25
            elif ratio > 0.75 and on_boundary:
                radius *= 2.0
            if actual > 0.0 and ratio > 0.05:
                accepted = True
                break
        if converged and not accepted:
            break
        if not accepted:
            radius = None
            D_t = _jacobi_sweep(problem, D)
            R_t, r_t, phi_t, value_t = problem.at(D_t)
            if not value_t < value:  # nothing gained by rounding-level steps either
                converged = True
                break
        decrease = value - value_t
        D, R, r, phi, value = D_t, R_t, r_t, phi_t, value_t
        path.append(value)
        converged = converged or (newton and accepted and decrease <= tol * abs(value))
    # rotations and exponentials keep D orthogonal to rounding; its polar factor makes it exactly so
    u, _, vt = np.linalg.svd(D)
    D = u @ vt
    R, r, phi, _ = problem.at(D)
    return D, problem.diagonal_parameters(r, phi), n_iter, converged, np.array(path)


def _from_axes(axes: np.ndarray, Lam: np.ndarray) -> np.ndarray:
    """``axes_k diag(Lam_k) axes_k'`` for one ``(d, d)`` or a stack ``(k, d, d)`` of orthogonal matrices."""
    return symmetrize((axes * Lam[:, None, :]) @ np.swapaxes(axes, -1, -2))


def _keep_finite(covariances: np.ndarray, S: np.ndarray) -> np.ndarray:
    """Components whose constrained covariance is not finite (a singular ``S_k`` without
    ``reg_covar``) get their unconstrained one, so that the factorisation names them."""
    bad = ~np.all(np.isfinite(covariances), axis=tuple(range(1, covariances.ndim)))
    if bad.any():
        covariances = np.array(covariances)
        covariances[bad] = S[bad]
    return covariances


def _spectra(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (decreasing) and eigenvectors (columns, same order) of a stack of symmetric matrices."""
    values, vectors = np.linalg.eigh(S)
    return values[:, ::-1], vectors[:, :, ::-1]


# ------------------------------------------------------------------------------ the forms
class _Form:
    """What every constrained form adds to its storage type: the counts and the M-step.

    Attributes
    ----------
    tol : float
        An iterative M-step stops when a step decreased the objective (less ``sum_k w_k
        log det S_k``, at least ``sum_k w_k d``) by less than this fraction of it.
    max_iter : int
        At most this many steps (Newton steps, fixed-point steps or trust-region steps).
    """

    name: str = ""
    tol: float = 1e-13
    max_iter: int = 1000

    def _count(self, k: int, d: int) -> int:
        raise NotImplementedError

    def n_parameters(self, n_components: int, n_features: int) -> int:
        """Free parameters of the covariances: mclust's ``nVarParams(name, n_features, n_components)``."""
        return int(self._count(int(n_components), int(n_features)))

    def constrained_mle(self, scatter_covariances: np.ndarray, weights: np.ndarray,
                        start: np.ndarray | None = None) -> MStepSolution:
        """The constrained M-step from unconstrained covariances ``S_k`` and masses ``w_k``.

        Parameters
        ----------
        scatter_covariances : ndarray of shape (n_components, n_features, n_features)
            Symmetric positive definite ``S_k`` (the diagonal forms also take their
            diagonals, shape (n_components, n_features)).
        weights : ndarray of shape (n_components,)
            Positive masses.
        start : ndarray of shape (n_components, n_features, n_features), optional
            Covariances of this form (e.g. the previous EM iteration's) that the iterative
            forms whose objective is not convex (VEE, EVE, VVE) also consider as a start:
            the result is then never worse than ``start``, which makes EM's M-step a
            generalized EM step for them too.  The other forms find their optimum anyway.

        Returns
        -------
        MStepSolution
            ``covariances`` of shape (n_components, n_features, n_features) minimise
            :func:`mstep_objective` over the form.
        """
        raise NotImplementedError


class _FullForm(_Form, FullCovariance):
    """A constrained form stored and evaluated as full matrices."""

    # The unconstrained Normal-Wishart posterior is not this form's: no variational mixtures here.
    wishart_posterior = CovarianceType.wishart_posterior

    def covariances_from_moments(self, nk, nk_reg, s1, s2, m, reg_covar, start=None):
        """The full type's regularized covariances ``S_k``, then :meth:`constrained_mle` (``w_k = nk_reg``)."""
        S = FullCovariance.covariances_from_moments(self, nk, nk_reg, s1, s2, m, reg_covar)
        return self.constrained_mle(S, nk_reg, start).covariances

    def constrained_mle(self, scatter_covariances, weights, start=None):
        S = np.asarray(scatter_covariances, dtype=np.float64)
        w = np.asarray(weights, dtype=np.float64)
        start = None if start is None else np.asarray(start, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            try:
                covariances, n_iter, converged, path = self._solve(S, w, start)
            except np.linalg.LinAlgError:  # singular S_k (no reg_covar): the factorisation names them
                covariances, converged, path = np.full_like(S, np.nan), False, np.array([np.nan])
        return MStepSolution(_keep_finite(covariances, S), len(path) - 1, converged, path)

    def _solve(self, S: np.ndarray, w: np.ndarray, start: np.ndarray | None):
        raise NotImplementedError


class _DiagonalForm(_Form, CovarianceType):
    """A constrained axis-aligned form: ``(k, d, d)`` diagonal matrices, the diagonal type's E-step.

    Every method is the diagonal type's on the diagonals; what the interface returns shaped
    like the covariances is embedded in diagonal matrices again.
    """

    @staticmethod
    def _diagonals(matrices: np.ndarray) -> np.ndarray:
        return np.diagonal(matrices, axis1=-2, axis2=-1)

    @staticmethod
    def _embed(diagonals: np.ndarray) -> np.ndarray:
        diagonals = np.asarray(diagonals)
        out = np.zeros((*diagonals.shape, diagonals.shape[-1]), dtype=diagonals.dtype)
        idx = np.arange(diagonals.shape[-1])
        out[..., idx, idx] = diagonals
        return out

    def _check_diagonal(self, matrices: np.ndarray, what: str) -> None:
        off = np.array(matrices, copy=True)
        idx = np.arange(off.shape[-1])
        off[..., idx, idx] = 0.0
        if np.any(off != 0.0):
            raise ValueError(f"'{what}' must hold diagonal matrices for covariance_type={self.name!r} (an "
                             f"axis-aligned form), but some off-diagonal entries are nonzero.")

    def shape(self, n_components, n_features):
        return (n_components, n_features, n_features)

    def moment_shape(self, n_components, n_features):
        return (n_components, n_features)

    def moments_from_dense(self, s2_dense):
        return _DIAG.moments_from_dense(s2_dense)

    def identity(self, n_components, n_features):
        return np.broadcast_to(np.eye(n_features), self.shape(n_components, n_features)).copy()

    def precisions_cholesky(self, covariances):
        covariances = np.asarray(covariances)
        self._check_diagonal(covariances, "covariances")
        return self._embed(_DIAG.precisions_cholesky(self._diagonals(covariances)))

    def precisions_cholesky_from_precisions(self, precisions):
        return self._embed(_DIAG.precisions_cholesky_from_precisions(self._diagonals(precisions)))

    def precisions(self, precisions_cholesky):
        return self._embed(_DIAG.precisions(self._diagonals(precisions_cholesky)))

    def covariances_from_cholesky(self, precisions_cholesky):
        return self._embed(_DIAG.covariances_from_cholesky(self._diagonals(precisions_cholesky)))

    def log_det_cholesky(self, precisions_cholesky, n_components, n_features):
        return _DIAG.log_det_cholesky(self._diagonals(precisions_cholesky), n_components, n_features)

    def check_precisions(self, precisions, n_components, n_features):
        precisions = to_float_array(precisions, "precisions_init")
        check_shape(precisions, self.shape(n_components, n_features), "precisions_init", self.name)
        self._check_diagonal(precisions, "precisions_init")
        check_positive(self._diagonals(precisions), "precisions_init", self.name)
        return precisions

    def n_quadratic(self, n_features):
        return _DIAG.n_quadratic(n_features)

    def quadratic_features(self, XcT, out):
        _DIAG.quadratic_features(XcT, out)

    def quadratic_coefficients(self, precisions_cholesky, n_components, n_features):
        return _DIAG.quadratic_coefficients(self._diagonals(precisions_cholesky), n_components, n_features)

    def precision_dot(self, means_c, precisions_cholesky):
        return _DIAG.precision_dot(means_c, self._diagonals(precisions_cholesky))

    def second_moment(self, quadratic_moments, XcT, weights):
        return _DIAG.second_moment(quadratic_moments, XcT, weights)

    def whiten_rows(self, centred, precisions_cholesky):
        # the factors come in the rows' library (NumPy or PyTorch): both take diagonal(a, offset, dim1, dim2)
        from .. import _xp

        diagonals = _xp.namespace(precisions_cholesky).diagonal(precisions_cholesky, 0, -2, -1)
        return _DIAG.whiten_rows(centred, diagonals)

    def whitened_moments(self, Y, weighted):
        return _DIAG.whitened_moments(Y, weighted)

    def unwhitening(self, precisions_cholesky):
        return _DIAG.unwhitening(self._diagonals(precisions_cholesky))

    def unwhiten(self, s1_y, s2_y, unwhitening):
        return _DIAG.unwhiten(s1_y, s2_y, unwhitening)

    def moments_about(self, nk, s1, s2, offset):
        return _DIAG.moments_about(nk, s1, s2, offset)

    def quadratic_total(self, nk, s1, s2, offsets, precisions_cholesky):
        return _DIAG.quadratic_total(nk, s1, s2, offsets, self._diagonals(precisions_cholesky))

    def covariances_from_moments(self, nk, nk_reg, s1, s2, m, reg_covar, start=None):
        """The diagonal type's regularized variances, then :meth:`constrained_mle` (``w_k = nk_reg``)."""
        variances = _DIAG.covariances_from_moments(nk, nk_reg, s1, s2, m, reg_covar)
        return self.constrained_mle(variances, nk_reg, start).covariances

    def constrained_mle(self, scatter_covariances, weights, start=None):
        V = np.asarray(scatter_covariances, dtype=np.float64)
        if V.ndim == 3:
            V = self._diagonals(V)
        w = np.asarray(weights, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            Lam, n_iter, converged, path = self._solve(V, w)
        bad = ~np.all(np.isfinite(Lam), axis=1)
        if bad.any():  # a zero variance without reg_covar: the factorisation names the component
            Lam = np.array(Lam)
            Lam[bad] = V[bad]
        return MStepSolution(self._embed(Lam), len(path) - 1, converged, path)

    def _solve(self, V: np.ndarray, w: np.ndarray):
        raise NotImplementedError

    def split(self, covariances, k, j, reg_covar, n_features):
        offset, diagonals = _DIAG.split(self._diagonals(covariances), k, j, reg_covar, n_features)
        return offset, self._embed(diagonals)

    def dense(self, covariances, n_components, n_features):
        return np.array(covariances)

    def sample(self, rng, means, covariances, counts):
        return _DIAG.sample(rng, means, self._diagonals(covariances), counts)


def _closed(V, w, Lam):
    return Lam, 0, True, np.array([_relative_objective(V, Lam, w)])


class EII(_DiagonalForm):
    """Spherical covariances of one volume: ``Sigma_k = lambda I`` (mclust's EII).

    Volume equal, shape and orientation the identity.  One covariance parameter.
    Closed-form M-step: ``lambda = sum_k w_k tr(S_k) / (d sum_k w_k)``.  Stored as
    ``(k, d, d)`` diagonal matrices, evaluated with the diagonal type's E-step.

    Examples
    --------
    >>> import numpy as np
    >>> EII().constrained_mle(np.array([[1.0, 3.0], [5.0, 7.0]]), np.array([1.0, 1.0])).covariances[1].tolist()
    [[4.0, 0.0], [0.0, 4.0]]
    """

    name = "EII"

    def _count(self, k, d):
        return 1

    def _solve(self, V, w):
        lam = (w @ V).sum() / (V.shape[1] * np.sum(w))
        return _closed(V, w, np.full(V.shape, lam))


class EEI(_DiagonalForm):
    """One diagonal covariance for all components: ``Sigma_k = lambda A`` (mclust's EEI).

    Volume and shape equal (``A`` diagonal, ``det A = 1``), axis-aligned.  ``d`` covariance
    parameters.  Closed-form M-step: the mass-weighted mean of the diagonals of the ``S_k``.

    Examples
    --------
    >>> import numpy as np
    >>> EEI().constrained_mle(np.array([[1.0, 3.0], [5.0, 7.0]]), np.array([1.0, 3.0])).covariances[0].tolist()
    [[4.0, 0.0], [0.0, 6.0]]
    """

    name = "EEI"

    def _count(self, k, d):
        return d

    def _solve(self, V, w):
        return _closed(V, w, _equal_volume_equal_shape(V, w))


class VEI(_DiagonalForm):
    """Diagonal covariances of one shape and variable volumes: ``Sigma_k = lambda_k A`` (mclust's VEI).

    Volume variable, shape equal (``A`` diagonal, ``det A = 1``), axis-aligned.
    ``k + d - 1`` covariance parameters.  Iterative M-step: Newton's method on the
    (convex) shape problem with the volumes ``lambda_k = mean_j s_kj / a_j`` profiled out
    (see the module docstring), until the relative decrease is below :attr:`tol`; a handful
    of steps.

    Examples
    --------
    >>> import numpy as np
    >>> V = np.array([[1.0, 4.0], [2.0, 8.0]])  # proportional already
    >>> VEI().constrained_mle(V, np.array([1.0, 1.0])).covariances.round(12).tolist()
    [[[1.0, 0.0], [0.0, 4.0]], [[2.0, 0.0], [0.0, 8.0]]]
    """

    name = "VEI"

    def _count(self, k, d):
        return k + d - 1

    def _solve(self, V, w):
        return _variable_volume_equal_shape(V, w, self.tol, self.max_iter)


class EVI(_DiagonalForm):
    """Diagonal covariances of one volume and variable shapes: ``Sigma_k = lambda A_k`` (mclust's EVI).

    Volume equal, shape variable (``A_k`` diagonal, ``det A_k = 1``), axis-aligned.
    ``1 + k (d - 1)`` covariance parameters.  Closed-form M-step: ``A_k = diag(S_k) /
    det(diag S_k)^(1/d)`` and ``lambda = sum_k w_k det(diag S_k)^(1/d) / sum_k w_k``.

    Examples
    --------
    >>> import numpy as np
    >>> EVI().constrained_mle(np.array([[1.0, 4.0], [9.0, 1.0]]), np.array([1.0, 1.0])).covariances.round(6).tolist()
    [[[1.25, 0.0], [0.0, 5.0]], [[7.5, 0.0], [0.0, 0.833333]]]
    """

    name = "EVI"

    def _count(self, k, d):
        return 1 + k * (d - 1)

    def _solve(self, V, w):
        return _closed(V, w, _equal_volume_variable_shape(V, w))


class VEE(_FullForm):
    """Covariances proportional to one matrix: ``Sigma_k = lambda_k D A D' = lambda_k C`` (mclust's VEE).

    Volume variable, shape and orientation equal.  ``k + d - 1 + d (d - 1) / 2`` covariance
    parameters.  Iterative M-step: Newton's method on the log-volumes, ``C`` being the
    normalised ``sum_k w_k S_k / lambda_k`` (see the module docstring), from the volumes of
    the pooled (EEE) shape (or of ``start``'s, if better), until the relative decrease is
    below :attr:`tol`.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([[[2.0, 1.0], [1.0, 2.0]], [[2.0, -1.0], [-1.0, 2.0]]])
    >>> Sigma = VEE().constrained_mle(S, np.array([1.0, 1.0])).covariances
    >>> bool(np.allclose(Sigma[0], Sigma[1])), Sigma[0].round(6).tolist()
    (True, [[2.0, 0.0], [0.0, 2.0]])
    """

    name = "VEE"

    def _count(self, k, d):
        return k + (d - 1) + d * (d - 1) // 2

    def _solve(self, S, w, start):
        k, d, _ = S.shape
        offset = float(w @ np.linalg.slogdet(S)[1])  # the relative objective is F less this

        def evaluate(u, derivatives):
            # lambda_k = exp(u_k); given them the best C is M / det(M)^(1/d), M = sum_k w_k S_k / lambda_k,
            # and the objective is f(u) = d sum_k w_k u_k + d G(u), G = det(M)^(1/d): convex in u
            B = (w * np.exp(-u))[:, None, None] * S
            L = np.linalg.cholesky(symmetrize(np.sum(B, axis=0)))
            G = float(np.exp(2.0 * np.mean(np.log(np.diagonal(L)))))
            value = d * float(w @ u) + d * G - offset
            if not derivatives:
                return value
            L_inv = solve_triangular(L, np.eye(d), lower=True, check_finite=False)
            whitened = L_inv @ B @ L_inv.T  # M^-1/2 B_k M^-T/2
            t = np.trace(whitened, axis1=1, axis2=2)  # tr(M^-1 B_k), summing to d
            T = np.einsum("jab,kab->jk", whitened, whitened)  # tr(M^-1 B_j M^-1 B_k)
            gradient = d * w - G * t
            hessian = G * (np.diag(t) - T + np.outer(t, t) / d)
            return value, gradient, hessian

        def volumes_for(C):  # the best lambda_k for the shape C: tr(C^-1 S_k) / d, in C's eigenbasis
            values, axes = np.linalg.eigh(symmetrize(C))
            r = np.sum((S @ axes) * axes, axis=1)  # (k, d): diag(axes' S_k axes)
            return np.log(np.mean(r / (values / _geometric_mean(values)), axis=1))

        with np.errstate(all="ignore"):
            u = volumes_for(np.einsum("k,kij->ij", w, S))  # from the pooled (EEE) shape
            if start is not None:  # or from start's shape, if that is better
                u_start = volumes_for(start[np.argmax(w)])
                if evaluate(u_start, False) < evaluate(u, False):
                    u = u_start
        u, path, converged = _convex_newton(evaluate, u, self.tol, self.max_iter)
        M = symmetrize(np.einsum("k,kij->ij", w * np.exp(-u), S))
        shape = M / np.exp(np.linalg.slogdet(M)[1] / d)
        return np.exp(u)[:, None, None] * shape, len(path) - 1, converged, np.array(path)


class _CommonOrientation(_FullForm):
    """EVE and VVE: a common orientation (see :func:`_common_orientation`)."""

    _equal_volume = True

    def _solve(self, S, w, start):
        D, Lam, n_iter, converged, path = _common_orientation(S, w, self._equal_volume, self.tol, self.max_iter,
                                                              start)
        return _from_axes(D, Lam), n_iter, converged, path


class EVE(_CommonOrientation):
    """Covariances of one volume and one orientation: ``Sigma_k = lambda D A_k D'`` (mclust's EVE).

    Volume equal, shape variable, orientation equal.  ``1 + k (d - 1) + d (d - 1) / 2``
    covariance parameters.  Iterative M-step: the objective as a function of ``D`` alone
    (``lambda`` and ``A_k`` in closed form given ``D``), minimised by a trust-region Newton
    method over rotations (see the module docstring) until the relative decrease is below
    :attr:`tol`, at most :attr:`max_iter` steps.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([np.diag([4.0, 1.0]), np.diag([1.0, 16.0])])  # common axes already
    >>> EVE().constrained_mle(S, np.array([1.0, 1.0])).covariances.round(12).tolist()
    [[[6.0, 0.0], [0.0, 1.5]], [[0.75, 0.0], [0.0, 12.0]]]
    """

    name = "EVE"
    max_iter = 200

    def _count(self, k, d):
        return 1 + k * (d - 1) + d * (d - 1) // 2


class VVE(_CommonOrientation):
    """Covariances with common principal axes: ``Sigma_k = lambda_k D A_k D'`` (mclust's VVE).

    Volume and shape variable, orientation equal (Flury's common principal components).
    ``k d + d (d - 1) / 2`` covariance parameters.  Iterative M-step: the objective as a
    function of ``D`` alone (``lambda_k A_k = diag(D' S_k D)`` given ``D``), minimised by a
    trust-region Newton method over rotations (see the module docstring) until the relative
    decrease is below :attr:`tol`, at most :attr:`max_iter` steps.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([np.diag([4.0, 1.0]), np.diag([1.0, 16.0])])  # common axes already
    >>> VVE().constrained_mle(S, np.array([1.0, 1.0])).covariances.round(12).tolist()
    [[[4.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 16.0]]]
    """

    name = "VVE"
    max_iter = 200
    _equal_volume = False

    def _count(self, k, d):
        return k + k * (d - 1) + d * (d - 1) // 2


class EEV(_FullForm):
    """Covariances of one volume and one shape, each its own axes: ``Sigma_k = lambda D_k A D_k'`` (mclust's EEV).

    Volume and shape equal, orientation variable.  ``d + k d (d - 1) / 2`` covariance
    parameters.  Closed-form M-step: ``D_k`` the eigenvectors of ``S_k`` (eigenvalues
    decreasing) and ``lambda A`` the mass-weighted mean of the decreasing eigenvalues.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([np.diag([4.0, 1.0]), np.diag([1.0, 2.0])])
    >>> EEV().constrained_mle(S, np.array([1.0, 1.0])).covariances.tolist()
    [[[3.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 3.0]]]
    """

    name = "EEV"

    def _count(self, k, d):
        return 1 + (d - 1) + k * d * (d - 1) // 2

    def _solve(self, S, w, start):
        values, vectors = _spectra(S)
        Lam = _equal_volume_equal_shape(values, w)
        return _from_axes(vectors, Lam), 0, True, np.array([_relative_objective(values, Lam, w)])


class VEV(_FullForm):
    """Covariances of one shape, each its own volume and axes: ``Sigma_k = lambda_k D_k A D_k'`` (mclust's VEV).

    Volume variable, shape equal, orientation variable.  ``k + d - 1 + k d (d - 1) / 2``
    covariance parameters.  ``D_k`` are the eigenvectors of ``S_k`` (eigenvalues
    decreasing); the volumes and the shape solve VEI's problem on the decreasing
    eigenvalues: an iterative M-step (Newton's method, until the relative decrease is
    below :attr:`tol`; a handful of steps).

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([np.diag([4.0, 1.0]), np.diag([2.0, 8.0])])  # one shape already
    >>> VEV().constrained_mle(S, np.array([1.0, 1.0])).covariances.round(12).tolist()
    [[[4.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [0.0, 8.0]]]
    """

    name = "VEV"

    def _count(self, k, d):
        return k + (d - 1) + k * d * (d - 1) // 2

    def _solve(self, S, w, start):
        values, vectors = _spectra(S)
        Lam, n_iter, converged, path = _variable_volume_equal_shape(values, w, self.tol, self.max_iter)
        return _from_axes(vectors, Lam), n_iter, converged, path


class EVV(_FullForm):
    """Covariances of one volume: ``Sigma_k = lambda D_k A_k D_k' = lambda C_k``, ``det C_k = 1`` (mclust's EVV).

    Volume equal, shape and orientation variable.  ``1 - k + k d (d + 1) / 2`` covariance
    parameters.  Closed-form M-step: ``C_k = S_k / det(S_k)^(1/d)`` and ``lambda = sum_k
    w_k det(S_k)^(1/d) / sum_k w_k``.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([np.diag([4.0, 1.0]), np.diag([16.0, 1.0])])  # determinants 4 and 16
    >>> EVV().constrained_mle(S, np.array([1.0, 1.0])).covariances.round(12).tolist()
    [[[6.0, 0.0], [0.0, 1.5]], [[12.0, 0.0], [0.0, 0.75]]]
    """

    name = "EVV"

    def _count(self, k, d):
        return 1 - k + k * d * (d + 1) // 2

    def _solve(self, S, w, start):
        d = S.shape[-1]
        log_det = np.linalg.slogdet(S)[1]
        g = np.exp(log_det / d)
        lam = w @ g / np.sum(w)
        # relative objective: d sum_k w_k [log(lam / g_k) + g_k / lam]
        path = np.array([d * float(w @ (np.log(lam / g) + g / lam))])
        return S * (lam / g)[:, None, None], 0, True, path


#: one instance of each form, registered by name in :mod:`gaussmix.covariance`
MCLUST_FORMS: tuple[CovarianceType, ...] = (EII(), EEI(), VEI(), EVI(), VEE(), EVE(), VVE(), EEV(), VEV(), EVV())
