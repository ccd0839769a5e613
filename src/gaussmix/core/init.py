"""Initial parameters: responsibilities from a seeding rule, then one M-step.

For unweighted in-memory float64 data every rule consumes the random generator
exactly as scikit-learn's ``GaussianMixture`` does, so the same ``random_state`` gives
the same starting point (and the same fit):

* ``"kmeans"``: hard labels of ``KMeans(n_clusters=k, n_init=1, random_state=rng)``;
  above :data:`KMEANS_MAX_ROWS` rows, k-means runs on that many rows drawn without
  replacement (``rng.choice``, then sorted) and every row takes the label of its
  nearest centre, so initialization stays a small part of a fit on millions of rows
  (scikit-learn runs k-means on all rows; results then differ from its, not below);
* ``"k-means++"``: one-hot at the rows chosen by :func:`sklearn.cluster.kmeans_plusplus`;
* ``"random"``: uniform draws ``rng.uniform(size=(n, k))`` normalised per row (drawn
  chunk by chunk in row order, which yields the same stream);
* ``"random_from_data"``: one-hot at ``rng.choice(n, size=k, replace=False)`` rows;
* ``"hierarchical"``: model-based agglomerative hierarchical clustering in the way of R
  mclust (:mod:`gaussmix.core.hierarchical`) cut at ``k`` groups, on every row with
  positive weight up to :data:`~gaussmix.core.hierarchical.HC_MAX_ROWS` of them (a subset
  drawn with a fixed seed above that); the M-step uses the rows that took part.  It does
  not use ``rng``: the same rows give the same start.  With ``n_init > 1`` the later starts
  differ on purpose (see :func:`hierarchical_start`).

Sample weights enter every rule: KMeans and k-means++ take them, random rows are drawn
with probability proportional to weight, and the M-step weights every row.

Two details follow scikit-learn so that the numbers agree, not only the fit:

* the initial weights are the components' masses divided by the total row weight, so
  for the one-row rules (``"k-means++"``, ``"random_from_data"``) they are ``1/n`` each
  and do not sum to one until the first M-step; responsibilities do not depend on
  this, only the first lower bound does (``GaussianMixture`` normalises them when
  ``max_iter=0`` returns the initial parameters);
* a tied covariance takes the total scatter of all rows (see
  :class:`gaussmix.covariance.tied.TiedCovariance`), which for the one-row rules gives
  a broad starting covariance rather than ``reg_covar * I``.  That scatter depends on
  the centre it is taken about: scikit-learn takes it about the origin, and so does
  gaussmix for float64 data and the one-row rules.  Float32 data (and every other rule,
  for which the centre does not matter) are centred on the weighted data mean, which
  keeps float32 accurate.

For rows on a PyTorch device (:class:`gaussmix.data.torch.TorchData`) the seeding rule
runs on the host, on the same rows (a view for CPU tensors, a copy for GPU tensors), so
it decides exactly what it decides for NumPy input; the statistics pass that follows
runs on the device.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus

from .. import _xp
from ..covariance import get_covariance
from .hierarchical import HC_MAX_ROWS, hierarchical_partition
from .mstep import mstep, nk_floor, weights_and_means
from .params import MixtureParams
from .stats import SufficientStats

INIT_METHODS = ("kmeans", "k-means++", "random", "random_from_data", "hierarchical")

#: above this many rows, "kmeans" seeding clusters a random subset of this size
KMEANS_MAX_ROWS = 100_000


def _labels_to_resp(labels: np.ndarray, n_components: int, dtype) -> np.ndarray:
    resp = np.zeros((labels.shape[0], n_components), dtype=dtype)
    resp[np.arange(labels.shape[0]), labels] = 1
    return resp


def hierarchical_start(data, X: np.ndarray, n_components: int, rng: np.random.RandomState, start: int = 0):
    """What ``"hierarchical"`` decides for the ``start``-th of ``n_init`` starts.

    Start 0 is the hierarchy on all rows with positive weight (at most
    :data:`~gaussmix.core.hierarchical.HC_MAX_ROWS`: above that, a subset drawn with seed 0
    and probability proportional to the weights).  The restarts are made to differ: start 1
    builds the hierarchy with the ellipsoidal (determinant) criterion for groups larger than
    the dimension, later odd starts on another subset (two thirds of those rows, seed
    ``start``), and even starts run the ``"kmeans"`` rule with ``rng``.  Subsets use fixed
    seeds, so a given input always gives the same starts and :func:`gaussmix.select`'s
    candidates share trees.

    Returns ``('subset', (rows, labels))`` or, for a k-means restart, ``('labels', labels)``.
    """
    if start > 0 and start % 2 == 0:
        return _seed_rows(data, X, n_components, "kmeans", rng)
    w = data.sample_weight
    support = np.arange(data.n_samples) if w is None else np.flatnonzero(w > 0)
    size = min(support.size, HC_MAX_ROWS)
    if start > 1:
        size = max(n_components, -(-2 * size // 3))
    rows = support
    if size < support.size:
        p = None if w is None else w[support] / np.sum(w[support], dtype=np.float64)
        rows = np.sort(np.random.RandomState(start).choice(support, size=size, replace=False, p=p))
    return "subset", hierarchical_partition(X, n_components, w, rows, ellipsoidal=start == 1)


def _seed_rows(data, X: np.ndarray, n_components: int, init_params: str, rng: np.random.RandomState,
               start: int = 0):
    """What the rule decides: ('labels', labels), ('rows', indices), ('subset', (rows, labels))
    or ('random', None).

    ``X`` is ``data``'s rows as a NumPy array; ``start`` counts the starts of ``n_init``.
    """
    w = data.sample_weight
    if init_params == "hierarchical":
        return hierarchical_start(data, X, n_components, rng, start)
    if init_params == "kmeans":
        if data.n_samples <= KMEANS_MAX_ROWS:
            labels = KMeans(n_clusters=n_components, n_init=1, random_state=rng).fit(X, sample_weight=w).labels_
            return "labels", labels
        subset = np.sort(rng.choice(data.n_samples, size=KMEANS_MAX_ROWS, replace=False))
        km = KMeans(n_clusters=n_components, n_init=1, random_state=rng)
        km.fit(X[subset], sample_weight=None if w is None else w[subset])
        return "labels", km.predict(X)
    if init_params == "k-means++":
        _, indices = kmeans_plusplus(X, n_components, random_state=rng, sample_weight=w)
        return "rows", indices
    if init_params == "random_from_data":
        if w is None:
            indices = rng.choice(data.n_samples, size=n_components, replace=False)
        else:
            p = w.astype(np.float64) / np.sum(w, dtype=np.float64)
            if np.count_nonzero(p) < n_components:
                raise ValueError(
                    f"init_params='random_from_data' needs at least n_components={n_components} rows "
                    f"with positive sample_weight, got {np.count_nonzero(p)}."
                )
            indices = rng.choice(data.n_samples, size=n_components, replace=False, p=p)
        return "rows", indices
    if init_params == "random":
        return "random", None
    raise ValueError(f"init_params must be one of {INIT_METHODS}, got {init_params!r}.")


def initial_stats(data, n_components: int, covariance_type: str, init_params: str,
                  rng: np.random.RandomState, start: int = 0) -> SufficientStats:
    """Statistics of the data under the rule's responsibilities (one pass, in row order;
    for ``"hierarchical"``, of the rows that took part)."""
    cov = get_covariance(covariance_type)
    X_host = _xp.to_numpy(data.X)
    kind, seed = _seed_rows(data, X_host, n_components, init_params, rng, start)
    if kind == "rows" and data.dtype == np.float64:
        shift = np.zeros(data.n_features)  # scikit-learn's centre (see the module docstring)
    else:
        # Any representable shift is exact; a central one keeps float32 accurate.
        shift = np.average(X_host, axis=0, weights=data.sample_weight).astype(data.dtype).astype(np.float64)
    if kind == "subset":
        rows, labels = seed
        w = data.sample_weight
        return SufficientStats.from_responsibilities(
            cov, np.ascontiguousarray(X_host[rows]), _labels_to_resp(labels, n_components, data.dtype),
            None if w is None else np.ascontiguousarray(w[rows]), shift)
    total = SufficientStats.zeros(cov, n_components, data.n_features, shift)
    for first, stop, Xc, wc in data.chunks():
        if kind == "labels":
            resp = _labels_to_resp(seed[first:stop], n_components, data.dtype)
        elif kind == "rows":
            inside = (seed >= first) & (seed < stop)
            resp = np.zeros((stop - first, n_components), dtype=data.dtype)
            resp[seed[inside] - first, np.flatnonzero(inside)] = 1
        else:
            resp = rng.uniform(size=(stop - first, n_components)).astype(data.dtype)
            resp /= resp.sum(axis=1)[:, None]
        total = total + SufficientStats.from_responsibilities(cov, Xc, resp, wc, shift)
    return total


def initial_params(
    data,
    *,
    n_components: int,
    covariance_type: str,
    init_params: str,
    reg_covar: float,
    rng: np.random.RandomState,
    weights_init: np.ndarray | None = None,
    means_init: np.ndarray | None = None,
    precisions_init: np.ndarray | None = None,
    start: int = 0,
) -> MixtureParams:
    """Starting parameters for EM (see the module docstring); ``start`` counts the starts of ``n_init``.

    User-given ``weights_init``, ``means_init`` and ``precisions_init`` (already
    validated) replace the estimated ones; when all three are given the data are not
    read and ``rng`` is not used.
    """
    if weights_init is None or means_init is None or precisions_init is None:
        stats = initial_stats(data, n_components, covariance_type, init_params, rng, start)
        floor = nk_floor(data.dtype)
        if precisions_init is None:
            estimated = mstep(stats, covariance_type, reg_covar, floor, weights_total=stats.n)
            weights, means = estimated.weights, estimated.means
        else:  # only weights/means are needed: no covariances to factorise and discard
            _, _, weights, means = weights_and_means(stats, floor, weights_total=stats.n)
    if weights_init is not None:
        weights = np.asarray(weights_init, dtype=np.float64)
    if means_init is not None:
        means = np.asarray(means_init, dtype=np.float64)
    if precisions_init is None:
        return MixtureParams(covariance_type, weights, means, estimated.covariances, estimated.precisions_cholesky)
    cov = get_covariance(covariance_type)
    prec_chol = cov.precisions_cholesky_from_precisions(np.asarray(precisions_init, dtype=np.float64))
    return MixtureParams.from_precisions_cholesky(covariance_type, weights, means, prec_chol)
