"""Small data sets shipped with gaussmix."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np

__all__ = ["load_faithful", "make_handson_blobs", "make_textbook_blobs"]


def load_faithful() -> tuple[np.ndarray, list[str]]:
    """The Old Faithful geyser eruptions (272 x 2), the classic two-cluster example.

    Columns: ``eruptions`` (duration, minutes) and ``waiting`` (minutes to the next
    eruption), as distributed with R's ``datasets`` package (public domain).

    Returns
    -------
    X : ndarray of shape (272, 2)
    feature_names : list of str

    Examples
    --------
    >>> X, names = load_faithful()
    >>> X.shape, names
    ((272, 2), ['eruptions', 'waiting'])
    """
    text = resources.files(__name__).joinpath("faithful.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    return np.array(rows[1:], dtype=np.float64), rows[0]


def make_textbook_blobs(n_samples: int = 1500, random_state: int | None = 42) -> tuple[np.ndarray, np.ndarray]:
    """Three elongated, rotated, overlapping Gaussian blobs in 2-D (the textbook example).

    Parameters
    ----------
    n_samples : int
        Total rows, split 50/30/20 % between the blobs.
    random_state : int or None

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), the generating blob

    Examples
    --------
    >>> X, y = make_textbook_blobs(100, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((100, 2), [0, 1, 2])
    """
    rng = np.random.RandomState(random_state)
    sizes = [n_samples // 2, (3 * n_samples) // 10]
    sizes.append(n_samples - sum(sizes))
    centres = np.array([[0.0, 0.0], [3.5, 2.0], [-1.5, 3.5]])
    scales = np.array([[2.0, 0.5], [1.2, 0.4], [0.9, 0.3]])
    angles = np.deg2rad([30.0, -45.0, 80.0])
    parts = []
    for size, centre, scale, angle in zip(sizes, centres, scales, angles):
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        parts.append((rng.normal(size=(size, 2)) * scale) @ rot.T + centre)
    return np.vstack(parts), np.repeat(np.arange(3), sizes)


def make_handson_blobs(random_state: int | None = 42) -> tuple[np.ndarray, np.ndarray]:
    """The 1250 rows of the Gaussian-mixture chapter of Géron's *Hands-On Machine Learning*.

    Two blobs of 500 rows stretched by one linear map and a third of 250 rows moved away
    (drawn with :func:`sklearn.datasets.make_blobs`), so the true weights are 0.4, 0.4, 0.2:
    the book's example for :class:`gaussmix.BayesianGaussianMixture` emptying the components
    it does not need.

    Returns
    -------
    X : ndarray of shape (1250, 2)
    y : ndarray of shape (1250,), the generating blob

    Examples
    --------
    >>> X, y = make_handson_blobs()
    >>> X.shape, np.bincount(y).tolist()
    ((1250, 2), [500, 500, 250])
    """
    from sklearn.datasets import make_blobs

    X1, y1 = make_blobs(n_samples=1000, centers=((4, -4), (0, 0)), random_state=random_state)
    X1 = X1 @ np.array([[0.374, 0.95], [0.732, 0.598]])
    X2, _ = make_blobs(n_samples=250, centers=1, random_state=random_state)
    X2 = X2 + [6, -8]
    return np.r_[X1, X2], np.r_[y1, np.full(250, 2)]
