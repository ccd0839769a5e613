"""Workloads: sizes, deterministic synthetic data, shared initial parameters, nominal flop counts."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

#: reg_covar used by every fit (both libraries' default)
REG_COVAR = 1e-6


@dataclass(frozen=True)
class Workload:
    """One benchmark row: ``n`` rows of ``d`` features, ``k`` components of ``covariance_type``."""

    name: str
    n: int
    d: int
    k: int
    covariance_type: str
    dtype: str = "float64"

    @property
    def seed(self) -> int:
        # The data depend on the shape only, so W2 and W2f32 see the same numbers.
        return zlib.crc32(f"{self.n}-{self.d}-{self.k}".encode())

    def scaled(self, divisor: int) -> "Workload":
        """The same workload with ``n // divisor`` rows (at least ``20 k`` and 100)."""
        n = max(self.n // max(1, divisor), 20 * self.k, 100)
        return Workload(self.name, n, self.d, self.k, self.covariance_type, self.dtype)


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in [
        Workload("W1", 100_000, 2, 3, "full"),
        Workload("W2", 1_000_000, 16, 16, "full"),
        Workload("W3", 1_000_000, 64, 32, "diag"),
        Workload("W4", 200_000, 50, 10, "full"),
        Workload("W5", 2_000_000, 8, 8, "spherical"),
        Workload("W6", 200_000, 16, 16, "tied"),
        Workload("W2f32", 1_000_000, 16, 16, "full", "float32"),
        Workload("W3f32", 1_000_000, 64, 32, "diag", "float32"),
    ]
}

#: the whole-fit row (default init, tol=1e-3) runs on this workload's data
WHOLE_FIT = "W2fit"
WHOLE_FIT_BASE = "W2"


def make_data(w: Workload) -> np.ndarray:
    """Deterministic draw from a mixture of ``w.k`` Gaussians with random full covariances.

    Means ~ 3 + 2 N(0, I) (separated-ish blobs off the origin), covariances ``A Aᵀ / d + I / 2``
    with ``A`` standard normal, weights ~ Dirichlet(5). Returns a C-contiguous array of ``w.dtype``.

    >>> X = make_data(Workload("t", 50, 2, 3, "full"))
    >>> X.shape, X.dtype.name, bool(np.array_equal(X, make_data(Workload("u", 50, 2, 3, "diag"))))
    ((50, 2), 'float64', True)
    """
    rng = np.random.default_rng(w.seed)
    means = 3.0 + 2.0 * rng.standard_normal((w.k, w.d))
    factors = np.linalg.cholesky(
        np.einsum("kij,klj->kil", a := rng.standard_normal((w.k, w.d, w.d)), a) / w.d + 0.5 * np.eye(w.d)
    )
    weights = rng.dirichlet(np.full(w.k, 5.0))
    labels = rng.choice(w.k, size=w.n, p=weights)
    X = rng.standard_normal((w.n, w.d))
    for j in range(w.k):
        rows = labels == j
        X[rows] = X[rows] @ factors[j].T + means[j]
    if w.dtype != "float64":
        X = X.astype(w.dtype)
    return np.ascontiguousarray(X)


def initial_parameters(X: np.ndarray, w: Workload, n_sub: int = 10_000) -> dict[str, np.ndarray]:
    """``weights_init``, ``means_init``, ``precisions_init`` shared by both libraries.

    A short k-means (scikit-learn, 10 iterations, one start) on a subsample of ``n_sub`` rows,
    then the hard-assignment weights, means and covariances (+ ``REG_COVAR``) of the subsample,
    reduced to ``w.covariance_type``. Computed in float64 and cast to ``w.dtype``, so that both
    libraries receive identical values (float32 values keep scikit-learn in float32).
    """
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(w.seed + 1)
    n = X.shape[0]
    rows = np.sort(rng.choice(n, size=min(n, n_sub), replace=False))
    S = np.asarray(X[rows], dtype=np.float64)
    labels = KMeans(w.k, n_init=1, max_iter=10, random_state=0).fit(S).labels_
    nk = np.bincount(labels, minlength=w.k).astype(np.float64)
    if np.any(nk < 2):
        raise RuntimeError(f"{w.name}: k-means left a component with < 2 rows; change n_sub")
    weights = nk / nk.sum()
    means = np.stack([S[labels == j].mean(axis=0) for j in range(w.k)])
    covs = np.stack([np.cov(S[labels == j], rowvar=False, bias=True).reshape(w.d, w.d) for j in range(w.k)])
    eye = np.eye(w.d)
    if w.covariance_type == "full":
        precisions = np.linalg.inv(covs + REG_COVAR * eye)
        precisions = (precisions + np.swapaxes(precisions, 1, 2)) / 2
    elif w.covariance_type == "tied":
        tied = np.einsum("k,kij->ij", weights, covs) + REG_COVAR * eye
        precisions = np.linalg.inv(tied)
        precisions = (precisions + precisions.T) / 2
    elif w.covariance_type == "diag":
        precisions = 1.0 / (np.diagonal(covs, axis1=1, axis2=2) + REG_COVAR)
    elif w.covariance_type == "spherical":
        precisions = 1.0 / (np.diagonal(covs, axis1=1, axis2=2).mean(axis=1) + REG_COVAR)
    else:
        raise ValueError(f"unknown covariance_type {w.covariance_type!r}")
    dtype = np.dtype(w.dtype)
    weights = weights.astype(dtype)
    weights /= weights.sum(dtype=np.float64)  # sums to one in the working dtype
    return {
        "weights_init": weights.astype(dtype),
        "means_init": means.astype(dtype),
        "precisions_init": np.ascontiguousarray(precisions.astype(dtype)),
    }


def nominal_flops(w: Workload) -> float:
    """Nominal floating-point operations of one EM iteration (E-step + M-step).

    Counts the matrix-product work of the leanest formulation (multiply-add = 2 flops), the same
    number for both libraries, so GFLOP/s is a rate in common units:

    - full:      E 2nkd² (whitening ``X Uₖ``) + 2nkd (centring, squares); M 2nkd² (scatter) + 2nkd (means)
                 -> ``4nkd² + 4nkd``
    - tied:      E 2nd² (``X U`` once) + 2nkd (against the whitened means); M 2nd² + 2nkd
                 -> ``4nd² + 4nkd``
    - diag:      E 2nkd (``X² P``) + 2nkd (``X (μP)``); M 2nkd (``Rᵀ X``) + 2nkd (``Rᵀ X²``) -> ``8nkd``
    - spherical: E 2nkd (``X μᵀ``) + M 2nkd (``Rᵀ X``) + 4nk (norms against responsibilities)
                 -> ``4nkd + 4nk``

    The log-sum-exp and exponentials (O(nk) transcendental work) are not counted.

    >>> nominal_flops(Workload("t", 10, 2, 3, "full"))
    720.0
    """
    n, d, k = float(w.n), float(w.d), float(w.k)
    return {
        "full": 4 * n * k * d * d + 4 * n * k * d,
        "tied": 4 * n * d * d + 4 * n * k * d,
        "diag": 8 * n * k * d,
        "spherical": 4 * n * k * d + 4 * n * k,
    }[w.covariance_type]
