"""``MixtureOutlierDetector``: the rows of lowest density under a fitted mixture, as scikit-learn's outlier detectors."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.utils.validation import check_is_fitted

from . import _xp
from ._validation import _fail

__all__ = ["MixtureOutlierDetector", "density_threshold"]


def density_threshold(log_density, contamination: float, sample_weight=None) -> float:
    """The ``contamination`` quantile of log-densities: rows strictly below it are the outliers.

    Unweighted, this is ``np.percentile(log_density, 100 * contamination)`` (the textbook's
    threshold); with ``sample_weight``, the weighted quantile (inverted CDF: integer weights
    act like repeated rows).

    Examples
    --------
    >>> density_threshold(np.arange(100.0), 0.04)
    3.96
    """
    log_density = np.asarray(log_density, dtype=np.float64)
    if sample_weight is None:
        return float(np.percentile(log_density, 100.0 * contamination))
    w = np.asarray(sample_weight, dtype=np.float64)
    order = np.argsort(log_density, kind="stable")
    cumulative = np.cumsum(w[order])
    index = int(np.searchsorted(cumulative, contamination * cumulative[-1], side="left"))
    return float(log_density[order][min(index, len(order) - 1)])


class MixtureOutlierDetector(OutlierMixin, BaseEstimator):
    """Anomaly detection with a Gaussian mixture: rows in its lowest-density regions are outliers.

    Fits ``estimator`` (any gaussmix mixture; default ``GaussianMixture()``) and sets
    ``offset_`` to the ``contamination`` quantile of the training rows' log-densities, so
    that a ``contamination`` share of them falls below it: with ``contamination=0.04`` the
    outliers are exactly the textbook's rows whose density is below the 4th percentile
    (``densities = gm.score_samples(X); threshold = np.percentile(densities, 4)``).
    scikit-learn's outlier-detector API: ``predict`` gives +1 for inliers and -1 for
    outliers, ``decision_function`` is ``score_samples - offset_`` (negative for outliers).

    Parameters
    ----------
    estimator : estimator, default=None
        An unfitted gaussmix mixture (``GaussianMixture``, ``BayesianGaussianMixture``,
        ``GaussianMixtureIC``); cloned before fitting.  ``None``: ``GaussianMixture()``.
    contamination : float in (0, 0.5], default=0.04
        The share of the training rows taken as outliers.

    Attributes
    ----------
    estimator_ : the fitted mixture
    offset_ : float
        The log-density threshold.
    n_features_in_ : int
    feature_names_in_ : ndarray, when ``X`` had string column names

    Notes
    -----
    With an estimator whose ``nan_policy`` is 'marginalize', a row with missing values is
    scored by the density of its observed coordinates. A density over fewer coordinates is
    on another scale (usually higher), so such rows are compared with complete ones only
    roughly. Rows that took no part in the fit do not set ``offset_``. Those are the omitted
    rows under 'omit', whose score is NaN and which ``predict`` calls inliers, and rows with
    nothing observed.

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix import GaussianMixture, MixtureOutlierDetector
    >>> from gaussmix.datasets import make_textbook_blobs
    >>> X, _ = make_textbook_blobs(1000, random_state=0)
    >>> detector = MixtureOutlierDetector(GaussianMixture(3, n_init=3, random_state=0), contamination=0.04)
    >>> labels = detector.fit_predict(X)
    >>> int((labels == -1).sum())
    40
    """

    def __init__(self, estimator=None, contamination: float = 0.04):
        self.estimator = estimator
        self.contamination = contamination

    def fit(self, X, y=None, sample_weight=None) -> "MixtureOutlierDetector":
        """Fit the mixture on ``X`` and set the threshold from its rows' log-densities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a data source
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the mixture's ``fit``; the quantile is weighted too.

        Returns
        -------
        self
        """
        c = self.contamination
        if not isinstance(c, numbers.Real) or isinstance(c, (bool, np.bool_)) or not 0.0 < c <= 0.5:
            _fail(type(self).__name__, "contamination", "a float in the range (0.0, 0.5]", c)
        if self.estimator is None:
            from .estimator import GaussianMixture

            estimator = GaussianMixture()
        else:
            estimator = clone(self.estimator)
        estimator.fit(X, sample_weight=sample_weight)
        log_density = _host(estimator.score_samples(X))
        weights = None if sample_weight is None else np.broadcast_to(
            np.asarray(_host(sample_weight), dtype=np.float64), log_density.shape)
        # Rows that took no part in the fit (nan_policy 'omit': NaN; 'marginalize': nothing observed)
        # do not set the threshold.
        counted = ~np.isnan(log_density)
        if getattr(estimator, "nan_policy", "raise") == "marginalize" and getattr(X, "ndim", 2) == 2 \
                and not hasattr(X, "chunks"):
            counted &= ~np.isnan(np.asarray(_host(X), dtype=np.float64)).all(axis=1)
        if not counted.all():
            log_density = log_density[counted]
            weights = None if weights is None else weights[counted]
        self.estimator_ = estimator
        self.offset_ = density_threshold(log_density, c, weights)
        self.n_features_in_ = estimator.n_features_in_
        names = getattr(estimator, "feature_names_in_", None)
        if names is not None:
            self.feature_names_in_ = names
        else:
            vars(self).pop("feature_names_in_", None)
        return self

    def score_samples(self, X):
        """Log-density of each row under the fitted mixture (higher is more normal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a data source

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.estimator_.score_samples(X)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a data source

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """+1 for inliers, -1 for outliers (density strictly below the threshold).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a data source

        Returns
        -------
        ndarray of shape (n_samples,), int
        """
        decision = _host(self.decision_function(X))
        return np.where(decision < 0.0, -1, 1)

    def fit_predict(self, X, y=None, sample_weight=None):
        """``fit(X).predict(X)``: -1 for the training rows below the threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a data source
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        ndarray of shape (n_samples,), int
        """
        return self.fit(X, sample_weight=sample_weight).predict(X)


def _host(values) -> np.ndarray:
    """Per-row results as a NumPy array (Dask results computed, tensors copied to the host)."""
    if hasattr(values, "compute") and not isinstance(values, np.ndarray):
        values = values.compute()
    return _xp.to_numpy(values) if _xp.is_torch(values) else np.asarray(values)
