"""Workloads: sizes, deterministic synthetic data, shared initial parameters, nominal flop counts."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

import numpy as np

from gaussmix.covariance import get_covariance

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
    #: "blobs" (:func:`make_data`) or "rotated" (:func:`make_rotated`)
    data: str = "blobs"
    #: "kmeans" (a short k-means, :func:`initial_parameters`) or "identity" (k data rows, unit covariances)
    start: str = "kmeans"

    @property
    def seed(self) -> int:
        # The data depend on the shape and kind only, so W2 and W2f32 see the same numbers.
        kind = "" if self.data == "blobs" else f"-{self.data}"
        return zlib.crc32(f"{self.n}-{self.d}-{self.k}{kind}".encode())

    @property
    def other_dtype(self) -> str:
        return "float32" if self.dtype == "float64" else "float64"

    def with_dtype(self, dtype: str) -> "Workload":
        return replace(self, dtype=dtype)

    def scaled(self, divisor: int) -> "Workload":
        """The same workload with ``n // divisor`` rows (at least ``20 k`` and 100)."""
        n = max(self.n // max(1, divisor), 20 * self.k, 100)
        return replace(self, n=n)


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
        # Rotated, stretched clusters (many thin components far from the mixture's mean) from
        # an identity start: the data on which float32 used to be slower than float64.
        *[Workload(f"R{size}{suffix}", n, d, k, ct, "float64", "rotated", "identity")
          for size, (n, d, k) in (("1", (1_000_000, 16, 16)), ("2", (300_000, 16, 16)), ("3", (200_000, 64, 32)))
          for suffix, ct in (("", "full"), ("t", "tied"), ("d", "diag"), ("s", "spherical"))],
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


def make_rotated(w: Workload) -> np.ndarray:
    """Rotated, stretched Gaussian blobs: the float32 stress case.

    Each component's mean is drawn from ``N(0, 4^2)`` per feature and its rows are
    ``mean + z @ A`` with ``z`` standard normal and ``A ~ N(0, 1) / sqrt(d)``: random
    orientations, condition numbers of 1e2..1e8, many components far narrower than their
    distance from the mixture's mean. Equal weights. Returns a C-contiguous array of ``w.dtype``.

    >>> X = make_rotated(Workload("t", 60, 3, 2, "full", data="rotated"))
    >>> X.shape, X.dtype.name
    ((60, 3), 'float64')
    """
    rng = np.random.default_rng(w.seed)
    means = rng.normal(0.0, 4.0, (w.k, w.d))
    factors = rng.normal(0.0, 1.0, (w.k, w.d, w.d)) / np.sqrt(w.d)
    labels = rng.integers(0, w.k, w.n)
    X = rng.standard_normal((w.n, w.d))
    for j in range(w.k):
        rows = labels == j
        X[rows] = means[j] + X[rows] @ factors[j]
    return np.ascontiguousarray(X.astype(w.dtype, copy=False))


def workload_data(w: Workload) -> np.ndarray:
    """The data of ``w`` (:func:`make_data` or :func:`make_rotated`)."""
    return make_rotated(w) if w.data == "rotated" else make_data(w)


def identity_start(X: np.ndarray, w: Workload) -> dict[str, np.ndarray]:
    """``k`` distinct data rows as means, unit covariances, equal weights (in ``w.dtype``).

    >>> s = identity_start(np.arange(20.0).reshape(10, 2), Workload("t", 10, 2, 3, "diag"))
    >>> s["means_init"].shape, s["precisions_init"].tolist()
    ((3, 2), [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    """
    rng = np.random.default_rng(w.seed + 2)
    rows = np.sort(rng.choice(X.shape[0], size=w.k, replace=False))
    dtype = np.dtype(w.dtype)
    precisions = get_covariance(w.covariance_type).identity(w.k, w.d)
    return {"weights_init": np.full(w.k, 1.0 / w.k, dtype=dtype),
            "means_init": np.asarray(X[rows], dtype=np.float64).astype(dtype),
            "precisions_init": np.ascontiguousarray(precisions.astype(dtype))}


def start_parameters(X: np.ndarray, w: Workload) -> dict[str, np.ndarray]:
    """The shared start of ``w`` (:func:`initial_parameters` or :func:`identity_start`)."""
    return identity_start(X, w) if w.start == "identity" else initial_parameters(X, w)


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
