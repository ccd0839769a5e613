"""Model-based agglomerative hierarchical clustering: the ``"hierarchical"`` start.

In the way of R mclust's ``hc`` (Banfield & Raftery 1993; Fraley 1998, "Algorithms for
model-based Gaussian hierarchical clustering", SIAM J. Sci. Comput. 20): every row starts as
its own group, and the two groups whose merge lowers the classification likelihood the least
(each group with its own covariance) are merged, until one group is left.  Cutting that tree at ``k`` groups and taking one M-step of the chosen
covariance type on the partition starts EM; unlike k-means it sees elongated and
differently sized clusters, which is why mclust's starts often reach higher likelihoods.

The criterion of a group ``G`` of ``n_G`` rows (its weight, with sample weights) and
scatter ``W_G`` (about its mean) is ``n_G log((tr W_G + rho) / n_G)`` with
``rho = alpha tr(W) / (n p)`` (``alpha = 1``; ``W`` the scatter of all rows).  For groups of
at most ``p`` rows, whose scatter is singular, this is the form R mclust's ``hcvvv`` uses
(its merge costs, which it reports, are reproduced exactly: tests/test_hierarchical.py).
For larger groups mclust switches to an ellipsoidal form that it does not document; the
ellipsoidal form of Banfield & Raftery, ``n_G log det(W_G / n_G)`` (here over ``p``, plus
``n_G log p``, with ``rho / p`` on the diagonal, so that it equals the trace form for a
spherical group), is available as ``ellipsoidal=True`` and is the second start of
``n_init``.  The trace form is the default because it reaches higher likelihoods: from
one start, at least R mclust's own log-likelihood on 93 of 96 reference models (four data
sets x four covariance types x k = 1..6) against 80 for the ellipsoidal form and 89 for
scikit-learn's k-means with ``n_init=10`` (docs/hierarchical.md).  Merging ``i`` and ``j``
costs ``f(i + j) - f(i) - f(j)`` with ``W_{i+j} = W_i + W_j + n_i n_j / (n_i + n_j) d d'``
(``d`` the difference of the means).

The rows are first transformed as mclust does by default (``hcUse = "SVD"``): centred,
scaled to unit variance, and rotated onto their principal axes, each coordinate divided by
the square root of its singular value, which keeps the criterion from depending on the units.

Cost, stated and bounded: at most :data:`HC_MAX_ROWS` rows take part (a subset drawn
without replacement, with probability proportional to the weights, above that; mclust's
``subset`` default is the same size); memory is ``8 m^2`` bytes for ``m`` rows (the table of
merge costs: 32 MB at 2000), plus ``8 m p^2`` for the groups' scatter with the determinant
form (``p`` columns), and time
``O(m^2 p^2)`` arithmetic in ``m`` vectorised steps (0.4-2.2 s for 2000 rows of 2-64
features on one core).  A tree is kept (:data:`_CACHE`) for the
exact rows it was built on, so the starts of :func:`gaussmix.select` over many ``k`` and
covariance types share it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
from scipy.linalg import solve_triangular

#: at most this many rows enter the hierarchy (a random subset above it)
HC_MAX_ROWS = 2000
#: ``rho = ALPHA tr(W) / (n p)``: the regularisation of small groups (mclust's default alpha)
ALPHA = 1.0
#: trees kept for reuse, keyed by the rows they were built on
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 16
_CACHE_LOCK = threading.Lock()


def svd_transform(X: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Rows centred, scaled to unit variance, on their principal axes scaled by ``sqrt(s)``.

    Returns an array of shape ``(n_rows, r)`` with ``r`` the rank of the scaled rows.

    Examples
    --------
    >>> Z = svd_transform(np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 4.1], [3.0, 6.0]]))
    >>> Z.shape
    (4, 2)
    """
    X = np.asarray(X, dtype=np.float64)
    w = np.ones(X.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    mean = np.average(X, axis=0, weights=w)
    Xc = X - mean
    sd = np.sqrt(np.average(Xc**2, axis=0, weights=w))
    Xc /= np.where(sd > 0, sd, 1.0)
    U, s, _ = np.linalg.svd(Xc * np.sqrt(w)[:, None], full_matrices=False)
    keep = s > s[0] * 1e-10 if s.size and s[0] > 0 else np.zeros(s.shape, dtype=bool)
    if not keep.any():
        return np.zeros((X.shape[0], 1))
    return U[:, keep] / np.sqrt(w)[:, None] * np.sqrt(s[keep])


def merge_tree(Z: np.ndarray, weights: np.ndarray | None = None, alpha: float = ALPHA,
               ellipsoidal: bool = False) -> np.ndarray:
    """The merges of model-based (VVV) agglomerative clustering of the rows of ``Z``.

    Returns an int array of shape ``(n_rows - 1, 2)``: at step ``s`` the groups named by rows
    ``merges[s, 0] < merges[s, 1]`` (each group is named by its first row) were merged.
    Deterministic: ties go to the lowest indices.  See the module docstring for the criterion;
    ``ellipsoidal`` gives groups of more than ``p`` rows the determinant form.

    Examples
    --------
    >>> merge_tree(np.array([[0.0], [0.1], [5.0], [5.2]])).tolist()
    [[0, 1], [2, 3], [0, 2]]
    """
    Z = np.asarray(Z, dtype=np.float64)
    m, p = Z.shape
    if m < 2:
        return np.zeros((0, 2), dtype=np.intp)
    n = np.ones(m) if weights is None else np.asarray(weights, dtype=np.float64).copy()
    total = n.sum()
    centre = n @ Z / total
    rho = alpha * float(np.sum(n[:, None] * (Z - centre) ** 2)) / (total * p)
    if not rho > 0:
        rho = 1.0  # all rows equal: any order of merging is as good
    means = Z.copy()
    members = np.ones(m, dtype=np.intp)
    trace = np.zeros(m)  # tr W of each group (zero for a singleton)
    # W itself only for the determinant form (8 m p^2 bytes); the trace form needs tr W alone
    scatter = np.zeros((m, p, p)) if ellipsoidal else None
    f = n * np.log(rho / n)  # a singleton's term
    # merge costs of all pairs of singletons (tr W = c |d|^2, c = n_i n_j / (n_i + n_j))
    sq = np.sum(Z**2, axis=1)
    dist2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (Z @ Z.T), 0.0)
    nij = n[:, None] + n[None, :]
    c = n[:, None] * n[None, :] / nij
    # (for p = 1 the determinant form of a pair is this same expression)
    cost = nij * np.log((c * dist2 + rho) / nij) - f[:, None] - f[None, :]
    np.fill_diagonal(cost, np.inf)
    row_best = np.argmin(cost, axis=1)
    row_min = cost[np.arange(m), row_best]
    active = np.ones(m, dtype=bool)
    merges = np.empty((m - 1, 2), dtype=np.intp)
    ridge = (rho / p) * np.eye(p)
    log_p = np.log(p)
    limit = p if ellipsoidal else m  # groups of at most this many rows take the trace form
    for step in range(m - 1):
        i = int(np.argmin(row_min))
        j = int(row_best[i])
        a, b = min(i, j), max(i, j)
        merges[step] = a, b
        na, nb = n[a], n[b]
        delta = means[b] - means[a]
        c_ab = na * nb / (na + nb)
        trace[a] += trace[b] + c_ab * float(delta @ delta)
        n[a] = na + nb
        means[a] = (na * means[a] + nb * means[b]) / n[a]
        members[a] += members[b]
        if ellipsoidal:
            scatter[a] += scatter[b] + c_ab * np.outer(delta, delta)
            A = scatter[a] + ridge
            L = np.linalg.cholesky(A)
            log_det_a = 2.0 * np.sum(np.log(np.diagonal(L)))
        f[a] = (n[a] * np.log((trace[a] + rho) / n[a]) if members[a] <= limit
                else n[a] * (log_p + (log_det_a - p * np.log(n[a])) / p))
        active[b] = False
        cost[b, :] = np.inf
        cost[:, b] = np.inf
        row_min[b] = np.inf
        others = np.flatnonzero(active)
        others = others[others != a]
        if others.size == 0:
            break
        # the cost of merging a with every other group
        diff = means[others] - means[a]
        n_new = n[a] + n[others]
        c = n[a] * n[others] / n_new
        dist2 = np.sum(diff * diff, axis=1)
        merged = np.empty(others.size)
        small = members[others] + members[a] <= limit
        merged[small] = n_new[small] * np.log((trace[a] + trace[others[small]] + c[small] * dist2[small] + rho)
                                              / n_new[small])
        large = ~small  # only with the determinant form
        if large.any():
            log_det = np.empty(others.size)
            single = large & (members[others] == 1)
            if single.any():  # det(A + c d d') = det(A) (1 + c |L^-1 d|^2)
                y = solve_triangular(L, diff[single].T, lower=True)
                log_det[single] = log_det_a + np.log1p(c[single] * np.sum(y * y, axis=0))
            multi = large & ~single
            if multi.any():
                stack = scatter[others[multi]] + A
                stack += c[multi, None, None] * (diff[multi, :, None] * diff[multi, None, :])
                log_det[multi] = np.linalg.slogdet(stack)[1]
            merged[large] = n_new[large] * (log_p + (log_det[large] - p * np.log(n_new[large])) / p)
        row = merged - f[a] - f[others]
        cost[a, others] = row
        cost[others, a] = row
        k = int(np.argmin(row))
        row_min[a], row_best[a] = row[k], others[k]
        # rows whose best partner was a or b look again; the others compare with a's new cost
        stale = others[(row_best[others] == a) | (row_best[others] == b)]
        for r in stale:
            row_best[r] = int(np.argmin(cost[r]))
            row_min[r] = cost[r, row_best[r]]
        better = others[row < row_min[others]]
        row_min[better] = row[np.searchsorted(others, better)]
        row_best[better] = a
        tied = others[(row == row_min[others]) & (row_best[others] > a)]
        row_best[tied] = a  # equal costs: the lowest index wins, as a fresh argmin would choose
    return merges


def cut_tree(merges: np.ndarray, n_rows: int, n_groups: int) -> np.ndarray:
    """Labels ``0 .. n_groups - 1`` of the rows after all but the last ``n_groups - 1`` merges.

    Groups are numbered in the order of their first row.

    Examples
    --------
    >>> cut_tree(np.array([[0, 1], [2, 3], [0, 2]]), 4, 2).tolist()
    [0, 0, 1, 1]
    """
    if not 1 <= n_groups <= n_rows:
        raise ValueError(f"cannot cut {n_rows} rows into {n_groups} groups")
    parent = np.arange(n_rows)
    for a, b in merges[: n_rows - n_groups]:
        parent[b] = a
    # every group is named by its first row, which is its own parent: follow the chains
    root = parent.copy()
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    _, labels = np.unique(root, return_inverse=True)
    return labels.astype(np.intp)


def hierarchical_partition(X: np.ndarray, n_components: int, weights: np.ndarray | None = None,
                           rows: np.ndarray | None = None, ellipsoidal: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The rows that took part and their labels at ``n_components`` groups.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_components : int
    weights : ndarray of shape (n_samples,) or None
    rows : ndarray of int or None
        The rows to cluster (every row with positive weight when None; at most
        :data:`HC_MAX_ROWS` should be given).
    ellipsoidal : bool, default=False
        Groups of more than ``n_features`` rows take the determinant form (see the module docstring).

    Returns
    -------
    rows : ndarray of shape (m,)
    labels : ndarray of shape (m,), values in ``0 .. n_components - 1``

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.1, 0.2], [5.0, 5.0], [5.2, 4.9], [0.2, 0.1]])
    >>> hierarchical_partition(X, 2)[1].tolist()
    [0, 0, 1, 1, 0]
    """
    if rows is None:
        rows = np.arange(X.shape[0]) if weights is None else np.flatnonzero(weights > 0)
    sub = np.ascontiguousarray(X[rows], dtype=np.float64)
    w = None if weights is None else np.ascontiguousarray(weights[rows], dtype=np.float64)
    if sub.shape[0] < n_components:
        raise ValueError(f"init_params='hierarchical' needs at least n_components={n_components} rows "
                         f"with positive weight, got {sub.shape[0]}.")
    key = hashlib.sha1(sub.tobytes() + (b"" if w is None else w.tobytes())
                       + repr((sub.shape, ellipsoidal)).encode()).digest()
    with _CACHE_LOCK:
        merges = _CACHE.get(key)
        if merges is not None:
            _CACHE.move_to_end(key)
    if merges is None:
        merges = merge_tree(svd_transform(sub, w), w, ellipsoidal=ellipsoidal)
        with _CACHE_LOCK:
            _CACHE[key] = merges
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return rows, cut_tree(merges, sub.shape[0], n_components)
