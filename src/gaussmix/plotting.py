"""Figures of fitted mixtures (matplotlib, installed with ``pip install gaussmix[plot]``).

Every function takes ``ax=None`` (the current Axes) or ``axes=None`` (a new figure),
returns what it drew on, and passes styling keywords through to matplotlib.  A plot of
two features of a model with more uses the exact marginal mixture of those features
(:func:`marginal`): the marginal of a Gaussian keeps the sub-vector of the mean and the
sub-matrix of the covariance, and the weights are unchanged.

Artists carry a ``gid`` so that they can be found again: ``gaussmix-points``,
``gaussmix-means``, ``gaussmix-density``, ``gaussmix-boundary``, ``gaussmix-ellipse``,
``gaussmix-anomalies``, ``gaussmix-best``.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from gaussmix import GaussianMixture
>>> from gaussmix.datasets import make_textbook_blobs
>>> from gaussmix.plotting import plot_mixture
>>> X, _ = make_textbook_blobs(300, random_state=0)
>>> ax = plot_mixture(GaussianMixture(3, random_state=0).fit(X), X)
>>> sorted({a.get_gid() for a in ax.get_children() if a.get_gid()})  # doctest: +NORMALIZE_WHITESPACE
['gaussmix-boundary', 'gaussmix-density', 'gaussmix-ellipse', 'gaussmix-means', 'gaussmix-points']
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence

import numpy as np

from .core import EStep, MixtureParams
from .core.missing import conditional_params, marginal_params

__all__ = ["marginal", "plot_anomalies", "plot_covariance_types", "plot_criterion", "plot_mixture", "plot_pairs",
           "plot_regression", "plot_weight_concentration", "regression_curve"]

#: a Bayesian mixture's component lighter than this is drawn without ellipses or mean (it was emptied);
#: the threshold of ``BayesianGaussianMixture.n_effective_components_``
EFFECTIVE_WEIGHT = 0.01


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "gaussmix.plotting needs matplotlib: pip install 'gaussmix[plot]' (or pip install matplotlib)"
        ) from None
    return plt


# ------------------------------------------------------------------ parameters
def _params_of(model) -> MixtureParams:
    """The parameters of a fitted GaussianMixture, BayesianGaussianMixture (or GaussianMixtureIC),
    or a MixtureParams.

    A gaussmix model gives its own (a Bayesian mixture's carry the log-weights of its
    variational E-step, so the colours are its ``predict``).
    """
    if isinstance(model, MixtureParams):
        return model
    from sklearn.utils.validation import check_is_fitted

    from .estimator import _BaseMixture

    model = getattr(model, "best_estimator_", model)
    check_is_fitted(model)
    if isinstance(model, _BaseMixture):
        return model._params(model.means_.shape[1])
    from ._xp import to_numpy  # a model fitted on tensors keeps them: bring them to the host

    return MixtureParams(model.covariance_type, to_numpy(model.weights_), to_numpy(model.means_),
                         to_numpy(model.covariances_), to_numpy(model.precisions_cholesky_))


def _is_bayesian(model) -> bool:
    return hasattr(getattr(model, "best_estimator_", model), "weight_concentration_")


def dense_covariances(model) -> np.ndarray:
    """Covariance matrices of every component, shape ``(n_components, n_features, n_features)``.

    Examples
    --------
    >>> import numpy as np
    >>> p = MixtureParams.from_covariances("diag", np.array([0.5, 0.5]), np.zeros((2, 2)),
    ...                                    np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> dense_covariances(p)[1]
    array([[3., 0.],
           [0., 4.]])
    """
    params = _params_of(model)
    k, d = params.means.shape
    return params.covariance.dense(params.covariances, k, d)


def marginal(model, features: Sequence[int]) -> MixtureParams:
    """The exact marginal mixture of some features, as a 'full' :class:`~gaussmix.core.MixtureParams`.

    Parameters
    ----------
    model : fitted GaussianMixture, GaussianMixtureIC or MixtureParams
    features : sequence of int
        Column indices to keep, in order.

    Returns
    -------
    MixtureParams
        Same weights; means ``means[:, features]``; covariances the sub-matrices. A
        Bayesian mixture's variational log-weights are kept when ``features`` are all its
        features (the marginal is then the model, its features reordered).

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix import GaussianMixture
    >>> X = np.random.RandomState(0).normal(size=(200, 3)) * [1.0, 2.0, 3.0]
    >>> m = marginal(GaussianMixture(1).fit(X), [2, 0])
    >>> m.means.shape, np.round(np.sqrt(np.diag(m.covariances[0]))).tolist()
    ((1, 2), [3.0, 1.0])
    """
    params = _params_of(model)
    idx = np.asarray(features, dtype=np.intp)
    d = params.n_features
    if idx.ndim != 1 or idx.size == 0 or np.any(idx < 0) or np.any(idx >= d) or len(set(idx.tolist())) != idx.size:
        raise ValueError(f"features must be distinct column indices in [0, {d}), got {list(features)!r}.")
    result = marginal_params(params, idx, "full")
    if params.log_weights is not None and sorted(idx.tolist()) == list(range(d)):
        result = dataclasses.replace(result, log_weights=params.log_weights)
    return result


def regression_curve(model, x, *, feature: int = 0, target: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian mixture regression of one feature on another: the conditional mean and standard deviation.

    Under the mixture of ``(feature, target)`` (the other features integrated out), the
    target given ``feature = x`` is a mixture of Gaussians (see
    :meth:`gaussmix.GaussianMixture.conditional`); its mean is what
    :meth:`~gaussmix.GaussianMixture.impute` fills in for rows ``[x, NaN]``.

    Parameters
    ----------
    model : fitted GaussianMixture, BayesianGaussianMixture, GaussianMixtureIC or MixtureParams
    x : array-like of shape (n_points,)
    feature, target : int
        Column indices of the regressor and the response.

    Returns
    -------
    mean, std : ndarray of shape (n_points,)

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix import GaussianMixture
    >>> rng = np.random.RandomState(0)
    >>> x = rng.normal(size=400)
    >>> gm = GaussianMixture(1).fit(np.c_[x, 3 * x + 0.5 * rng.normal(size=400)])
    >>> mean, std = regression_curve(gm, [0.0, 1.0])
    >>> round(float(mean[1] - mean[0]), 1), std.round(1).tolist()  # slope 3, noise 0.5
    (3.0, [0.5, 0.5])
    """
    pair = marginal_params(_params_of(model), np.array([feature, target]))
    means, stds = [], []
    for value in np.asarray(x, dtype=np.float64).ravel():
        given = conditional_params(pair, np.array([0]), np.array([value]))
        mu = given.means[:, 0]
        var = given.covariance.dense(given.covariances, given.n_components, 1)[:, 0, 0]
        mean = float(given.weights @ mu)
        means.append(mean)
        stds.append(math.sqrt(max(float(given.weights @ (var + mu**2)) - mean**2, 0.0)))
    return np.array(means), np.array(stds)


def plot_regression(model, X=None, *, feature: int = 0, target: int = 1, grid=None, band: float = 2.0, ax=None,
                    **line_kws):
    """Gaussian mixture regression: the conditional mean of ``target`` given ``feature``, with a band.

    Parameters
    ----------
    model : fitted mixture (see :func:`regression_curve`)
    X : array-like of shape (n_samples, n_features), optional
        Drawn as points.
    feature, target : int
    grid : array-like, optional
        Where to evaluate the curve; default 200 points over the data (or the means' range).
    band : float, default=2.0
        Half-width of the band, in conditional standard deviations (0: no band).
    ax : matplotlib Axes, optional
    **line_kws : passed to ``ax.plot`` for the curve.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix import GaussianMixture
    >>> x = np.random.RandomState(0).uniform(-3, 3, 300)
    >>> X = np.c_[x, np.sin(x)]
    >>> ax = plot_regression(GaussianMixture(6, random_state=0).fit(X), X)
    >>> len(ax.lines), len(ax.collections)
    (1, 2)
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
    params = _params_of(model)
    if grid is None:
        values = params.means[:, feature] if X is None else np.asarray(X, dtype=np.float64)[:, feature]
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        pad = 0.02 * (high - low or 1.0)
        grid = np.linspace(low - pad, high + pad, 200)
    grid = np.asarray(grid, dtype=np.float64)
    mean, std = regression_curve(params, grid, feature=feature, target=target)
    if X is not None:
        X = np.asarray(X, dtype=np.float64)
        ax.scatter(X[:, feature], X[:, target], s=4, alpha=0.3, color="0.5", label="data")
    if band > 0:
        ax.fill_between(grid, mean - band * std, mean + band * std, alpha=0.25,
                        label=f"mean ± {band:g} sd of the conditional mixture")
    ax.plot(grid, mean, **({"color": "C3", "label": "E[target | feature]"} | line_kws))
    names = _feature_names(model, [feature, target])
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    return ax


def _feature_names(model, features) -> list[str]:
    names = getattr(getattr(model, "best_estimator_", model), "feature_names_in_", None)
    return [str(names[i]) if names is not None else f"feature {i}" for i in features]


def _limits(params2: MixtureParams, X2: np.ndarray | None, pad: float = 0.08) -> tuple[np.ndarray, np.ndarray]:
    """x/y ranges covering the data (or the components' 3-sd boxes when no data)."""
    if X2 is not None and len(X2):
        lo, hi = X2.min(axis=0), X2.max(axis=0)
    else:
        sd = np.sqrt(np.einsum("kii->ki", params2.covariances))
        lo, hi = (params2.means - 3 * sd).min(axis=0), (params2.means + 3 * sd).max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return lo - pad * span, hi + pad * span


def _colours(n: int, cmap="tab10"):
    plt = _pyplot()
    colormap = plt.get_cmap(cmap)
    return [colormap(i % colormap.N) for i in range(n)]


# ------------------------------------------------------------------ plot_mixture
def plot_mixture(
    model,
    X=None,
    ax=None,
    *,
    features: Sequence[int] = (0, 1),
    color_by_component: bool = True,
    contours: bool = True,
    boundaries: bool = True,
    ellipses: Sequence[float] | None = (1, 2, 3),
    means: bool = True,
    min_weight: float | None = None,
    grid_size: int = 200,
    cmap="tab10",
    contour_kws: dict | None = None,
    boundary_kws: dict | None = None,
    ellipse_kws: dict | None = None,
    mean_kws: dict | None = None,
    **scatter_kws,
):
    """The fitted mixture over the data: the textbook's "trained GMM" figure.

    Draws the rows (coloured by their most probable component), the means, contour
    lines of the mixture's log-density, the decision boundaries (dashed: where the two
    most probable components are equally probable) and covariance ellipses.

    Parameters
    ----------
    model : fitted GaussianMixture, BayesianGaussianMixture, GaussianMixtureIC or MixtureParams
    X : array-like of shape (n_samples, n_features), optional
        Rows to draw; the axis limits cover them.
    ax : matplotlib Axes, optional
        Default: the current Axes.
    features : pair of int, default=(0, 1)
        The two features to draw; with more features the marginal mixture of this
        pair is drawn (colours still come from the full model).
    color_by_component : bool, default=True
    contours : bool, default=True
        Log-density contour lines.
    boundaries : bool, default=True
        Dashed decision boundaries between components.
    ellipses : sequence of float or None, default=(1, 2, 3)
        Ellipses at these numbers of standard deviations (Mahalanobis radius).
    means : bool, default=True
        Mark the means.
    min_weight : float, optional
        Components lighter than this get no ellipses and no mean marker (they still take
        part in the density, colours and boundaries). Default: 0.01 for a
        :class:`~gaussmix.BayesianGaussianMixture` (the components it emptied keep tiny
        weights and sit at the prior), else 0 (every component drawn).
    grid_size : int, default=200
        Grid points per axis for contours and boundaries.
    cmap : colormap name, default='tab10'
        Colours of the components.
    contour_kws, boundary_kws, ellipse_kws, mean_kws : dict, optional
        Passed to ``ax.contour`` (density), ``ax.contour`` (boundaries),
        ``matplotlib.patches.Ellipse`` and ``ax.scatter`` (means).
    **scatter_kws
        Passed to ``ax.scatter`` for the rows.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from gaussmix import GaussianMixture
    >>> X = np.random.RandomState(0).normal(size=(200, 3))
    >>> ax = plot_mixture(GaussianMixture(2, random_state=0).fit(X), X, features=(0, 2), s=4)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('feature 0', 'feature 2')
    """
    plt = _pyplot()
    from matplotlib.patches import Ellipse

    ax = plt.gca() if ax is None else ax
    params = _params_of(model)
    features = tuple(int(f) for f in features)
    if len(features) != 2:
        raise ValueError(f"features must be a pair of column indices, got {features!r}.")
    params2 = marginal(params, features)
    k = params.n_components
    colours = _colours(k, cmap)
    if min_weight is None:
        min_weight = EFFECTIVE_WEIGHT if _is_bayesian(model) else 0.0
    shown = [c for c in range(k) if params.weights[c] >= min_weight]
    X_full = None if X is None else np.asarray(X, dtype=np.float64)
    if X_full is not None and (X_full.ndim != 2 or X_full.shape[1] != params.n_features):
        raise ValueError(f"X must have shape (n_samples, {params.n_features}), got {X_full.shape}.")
    X2 = None if X_full is None else X_full[:, features]
    lo, hi = _limits(params2, X2)

    xs, ys = np.linspace(lo[0], hi[0], grid_size), np.linspace(lo[1], hi[1], grid_size)
    xx, yy = np.meshgrid(xs, ys)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    estep2 = EStep(params2, np.float64)
    wlp = estep2.weighted_log_prob(grid)

    if X2 is not None:
        kws = {"s": 10, "alpha": 0.7, "linewidths": 0}
        if color_by_component:
            labels = EStep(params, np.float64).predict(X_full)
            kws["c"] = [colours[label] for label in labels]
        else:
            kws["c"] = "0.4"
        kws.update(scatter_kws)
        ax.scatter(X2[:, 0], X2[:, 1], **kws).set_gid("gaussmix-points")

    if contours:
        log_density = estep2.score_samples(grid).reshape(xx.shape)
        top = float(log_density.max())
        if X2 is not None:  # lines through the data: the densities of given fractions of the rows
            levels = np.quantile(estep2.score_samples(X2), [0.02, 0.1, 0.25, 0.5, 0.75, 0.9])
        else:
            levels = top - np.array([9.0, 6.0, 4.0, 2.5, 1.5, 0.5])
        levels = np.unique(levels[levels < top])
        # solid: matplotlib dashes negative levels of one-colour contours, and log-densities are negative
        kws = {"colors": "0.3", "linewidths": 0.8, "alpha": 0.8, "linestyles": "solid"}
        kws.update(contour_kws or {})
        if levels.size:
            ax.contour(xx, yy, log_density, levels=levels, **kws).set_gid("gaussmix-density")

    if boundaries and k > 1:
        order = np.argsort(wlp, axis=1)
        first, second = order[:, -1], order[:, -2]
        kws = {"colors": "k", "linewidths": 1.2, "linestyles": "dashed"}
        kws.update(boundary_kws or {})
        for i, j in itertools.combinations(range(k), 2):
            where = ((first == i) & (second == j)) | ((first == j) & (second == i))
            if not where.any():
                continue
            difference = np.ma.masked_array(wlp[:, i] - wlp[:, j], mask=~where).reshape(xx.shape)
            if difference.min() < 0 < difference.max():
                ax.contour(xx, yy, difference, levels=[0.0], **kws).set_gid("gaussmix-boundary")

    if ellipses:
        for c in shown:
            values, vectors = np.linalg.eigh(params2.covariances[c])
            angle = math.degrees(math.atan2(vectors[1, -1], vectors[0, -1]))
            for n_sd in ellipses:
                kws = {"facecolor": "none", "edgecolor": colours[c], "linewidth": 1.5, "alpha": 0.9}
                kws.update(ellipse_kws or {})
                width, height = 2 * n_sd * np.sqrt(np.maximum(values[::-1], 0))
                patch = Ellipse(tuple(params2.means[c]), width, height, angle=angle, **kws)
                patch.set_gid("gaussmix-ellipse")
                ax.add_patch(patch)

    if means and shown:
        kws = {"marker": "X", "s": 120, "c": [colours[c] for c in shown], "edgecolors": "k", "linewidths": 1.2,
               "zorder": 5}
        kws.update(mean_kws or {})
        ax.scatter(params2.means[shown, 0], params2.means[shown, 1], **kws).set_gid("gaussmix-means")

    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    xlabel, ylabel = _feature_names(model, features)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


# --------------------------------------------------------- plot_covariance_types
def plot_covariance_types(
    X,
    n_components: int,
    axes=None,
    *,
    covariance_types: Sequence[str] = ("full", "tied", "diag", "spherical"),
    random_state=None,
    n_init: int = 1,
    features: Sequence[int] = (0, 1),
    **plot_kws,
):
    """The same data fitted under each covariance type, side by side.

    The fits run together (:func:`gaussmix.select`, one pass over the data per EM
    iteration); each panel is :func:`plot_mixture` of one fit, titled with its type
    and BIC.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_components : int
    axes : sequence of matplotlib Axes, optional
        One per covariance type; default: a new figure with one row of panels (rows of
        at most 7 for more than 5 types).
    covariance_types : str or sequence of str, default=('full', 'tied', 'diag', 'spherical')
        Any names ``GaussianMixture`` takes; ``'mclust'`` draws mclust's fourteen forms.
    random_state, n_init : as for :class:`gaussmix.GaussianMixture`.
    features : pair of int, default=(0, 1)
    **plot_kws
        Passed to :func:`plot_mixture`.

    Returns
    -------
    axes : ndarray of matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from gaussmix.datasets import make_textbook_blobs
    >>> X, _ = make_textbook_blobs(300, random_state=0)
    >>> axes = plot_covariance_types(X, 3, random_state=0)
    >>> [ax.get_title().split()[0] for ax in axes]
    ['full', 'tied', 'diag', 'spherical']
    """
    plt = _pyplot()
    from .estimator import GaussianMixture
    from .selection import select

    from .covariance import expand_covariance_types

    X = np.asarray(X, dtype=np.float64)
    covariance_types = expand_covariance_types(covariance_types)
    if axes is None:
        n = len(covariance_types)
        ncols = n if n <= 5 else min(7, math.ceil(n / 2))
        nrows = math.ceil(n / ncols)
        _, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols, 4 * nrows), sharex=True, sharey=True,
                               squeeze=False)
        for ax in axes.ravel()[n:]:
            ax.remove()
        axes = axes.ravel()[:n]
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.size != len(covariance_types):
        raise ValueError(f"axes has {axes.size} Axes for {len(covariance_types)} covariance types.")
    # GaussianMixture's own defaults (select's differ), so each panel is the fit a user gets
    defaults = {name: GaussianMixture().get_params()[name] for name in ("init_params", "tol", "max_iter")}
    result = select(X, [n_components], covariance_types, n_init=n_init, random_state=random_state, **defaults)
    for ax, covariance_type in zip(axes, covariance_types):
        candidate = result[(n_components, covariance_type)]
        plot_mixture(result.model(n_components, covariance_type), X, ax=ax, features=features, **plot_kws)
        ax.set_title(f"{covariance_type}  (BIC {candidate.bic:.0f})")
    return axes


# ------------------------------------------------------ plot_weight_concentration
def plot_weight_concentration(
    X,
    n_components: int = 10,
    priors: Sequence[float] = (0.01, 10000),
    axes=None,
    *,
    weight_concentration_prior_type: str = "dirichlet_process",
    max_iter: int = 1000,
    n_init: int = 1,
    random_state=None,
    features: Sequence[int] = (0, 1),
    **plot_kws,
):
    """Bayesian mixtures fitted with a low and a high ``weight_concentration_prior``, side by side.

    The figure of the Bayesian mixtures section of Géron's *Hands-On Machine Learning*:
    with a low concentration the components the data do not need are emptied; with a
    high one the weight spreads over many of them, the more so the fewer the rows. Each
    panel is :func:`plot_mixture` of a :class:`~gaussmix.BayesianGaussianMixture` fitted
    to ``X``, titled with its prior and its number of effective components (weight >= 1%;
    the lighter ones are drawn without ellipse or mean).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_components : int, default=10
        The most components each mixture may use.
    priors : sequence of float, default=(0.01, 10000)
        One ``weight_concentration_prior`` per panel.
    axes : sequence of matplotlib Axes, optional
        One per prior; default: a new figure with one row of panels.
    weight_concentration_prior_type : {'dirichlet_process', 'dirichlet_distribution'}, default='dirichlet_process'
    max_iter : int, default=1000
    n_init : int, default=1
    random_state : int, RandomState instance or None, default=None
        As for :class:`~gaussmix.BayesianGaussianMixture`; the same for every panel.
    features : pair of int, default=(0, 1)
    **plot_kws
        Passed to :func:`plot_mixture` (default here: ``ellipses=(2,)``).

    Returns
    -------
    axes : ndarray of matplotlib Axes
        The fitted mixtures are at ``ax.gaussmix_model`` of each.

    Examples
    --------
    The book's figure: its first 73 rows, few enough for the prior to show.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from gaussmix.datasets import make_handson_blobs
    >>> X, _ = make_handson_blobs()
    >>> axes = plot_weight_concentration(X[:73], random_state=42)
    >>> [ax.get_title().splitlines()[1] for ax in axes]
    ['3 effective components', '10 effective components']
    """
    plt = _pyplot()
    from .bayesian import BayesianGaussianMixture

    X = np.asarray(X, dtype=np.float64)
    priors = [float(p) for p in np.atleast_1d(np.asarray(priors, dtype=np.float64))]
    if axes is None:
        n = len(priors)
        _, axes = plt.subplots(1, n, figsize=(5 * n, 4.5), sharex=True, sharey=True, squeeze=False)
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.size != len(priors):
        raise ValueError(f"axes has {axes.size} Axes for {len(priors)} priors.")
    for ax, prior in zip(axes, priors):
        model = BayesianGaussianMixture(
            n_components=n_components, weight_concentration_prior_type=weight_concentration_prior_type,
            weight_concentration_prior=prior, max_iter=max_iter, n_init=n_init, random_state=random_state,
        ).fit(X)
        plot_mixture(model, X, ax=ax, features=features, **{"ellipses": (2,), **plot_kws})
        n_effective = model.n_effective_components_
        ax.set_title(f"weight_concentration_prior = {prior:g}\n{n_effective} effective component"
                     + "s" * (n_effective != 1))
        ax.gaussmix_model = model
    return axes


# ---------------------------------------------------------------- plot_criterion
def plot_criterion(selection, criterion: str | None = None, ax=None, **line_kws):
    """A criterion of every candidate against n_components, one line per covariance type.

    Parameters
    ----------
    selection : SelectionResult or fitted GaussianMixtureIC
    criterion : {'bic', 'aic', 'icl'}, optional
        Default: the one the selection ranked by.
    ax : matplotlib Axes, optional
    **line_kws
        Passed to ``ax.plot``.

    Returns
    -------
    ax : matplotlib Axes
        The best candidate by ``criterion`` is marked with a star.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from gaussmix import select
    >>> from gaussmix.datasets import load_faithful
    >>> X, _ = load_faithful()
    >>> ax = plot_criterion(select(X, n_components=4, random_state=0), "aic")
    >>> [line.get_label() for line in ax.get_lines() if line.get_gid() != "gaussmix-best"]
    ['full', 'tied', 'diag', 'spherical']
    >>> ax.get_ylabel()
    'AIC (lower is better)'
    """
    plt = _pyplot()
    from .selection import _check_criterion

    selection = getattr(selection, "selection_", selection)
    criterion = _check_criterion(criterion or selection.criterion, "plot_criterion")
    ax = plt.gca() if ax is None else ax
    types = list(dict.fromkeys(c.covariance_type for c in selection.candidates))
    for covariance_type in types:
        rows = sorted((c for c in selection.candidates if c.covariance_type == covariance_type),
                      key=lambda c: c.n_components)
        values = [c.criterion(criterion) for c in rows]
        kws = {"marker": "o", "markersize": 4, "label": covariance_type}
        kws.update(line_kws)
        ax.plot([c.n_components for c in rows], [v if np.isfinite(v) else np.nan for v in values], **kws)
    best = selection[selection.rank(criterion)[0]]
    marker = ax.plot([best.n_components], [best.criterion(criterion)], linestyle="none", marker="*", markersize=16,
                     color="gold", markeredgecolor="k", zorder=5)[0]
    marker.set_gid("gaussmix-best")
    ax.annotate(f"best: {best.n_components}, {best.covariance_type}", (best.n_components, best.criterion(criterion)),
                textcoords="offset points", xytext=(8, 8))
    ax.set_xlabel("n_components")
    ax.set_ylabel(f"{criterion.upper()} (lower is better)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(title="covariance_type")
    return ax


# ---------------------------------------------------------------- plot_anomalies
def plot_anomalies(
    model,
    X,
    percentile: float = 2.0,
    ax=None,
    *,
    features: Sequence[int] = (0, 1),
    contours: bool = True,
    anomaly_kws: dict | None = None,
    **scatter_kws,
):
    """Rows of low density highlighted: those below the ``percentile``-th percentile of
    the model's log-density over ``X`` (the rule of :class:`gaussmix.MixtureOutlierDetector`),
    or, for a fitted detector, its outliers (below its ``offset_``).

    Parameters
    ----------
    model : fitted GaussianMixture, GaussianMixtureIC, MixtureParams or MixtureOutlierDetector
    X : array-like of shape (n_samples, n_features)
    percentile : float in [0, 100], default=2.0
        Ignored for a detector (its ``contamination`` set its threshold when fitted).
    ax : matplotlib Axes, optional
    features : pair of int, default=(0, 1)
    contours : bool, default=True
        Draw the log-density contour at the threshold (of the marginal when d > 2).
    anomaly_kws : dict, optional
        Passed to ``ax.scatter`` for the highlighted rows.
    **scatter_kws
        Passed to ``ax.scatter`` for the other rows.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from gaussmix import GaussianMixture
    >>> X = np.random.RandomState(0).normal(size=(500, 2))
    >>> ax = plot_anomalies(GaussianMixture(1).fit(X), X, percentile=2)
    >>> [len(c.get_offsets()) for c in ax.collections if c.get_gid() == "gaussmix-anomalies"]
    [10]
    """
    plt = _pyplot()
    if not 0 <= percentile <= 100:
        raise ValueError(f"percentile must be in [0, 100], got {percentile!r}.")
    from sklearn.utils.validation import check_is_fitted

    from .outliers import MixtureOutlierDetector, density_threshold

    ax = plt.gca() if ax is None else ax
    detector = model if isinstance(model, MixtureOutlierDetector) else None
    if detector is not None:
        check_is_fitted(detector)
        model, percentile = detector.estimator_, 100.0 * detector.contamination
    params = _params_of(model)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != params.n_features:
        raise ValueError(f"X must have shape (n_samples, {params.n_features}), got {X.shape}.")
    features = tuple(int(f) for f in features)
    log_density = EStep(params, np.float64).score_samples(X)
    threshold = detector.offset_ if detector is not None else density_threshold(log_density, percentile / 100.0)
    low = log_density < threshold
    X2 = X[:, features]
    kws = {"s": 8, "c": "0.55", "linewidths": 0}
    kws.update(scatter_kws)
    ax.scatter(X2[~low, 0], X2[~low, 1], **kws).set_gid("gaussmix-points")
    kws = {"s": 40, "facecolors": "none", "edgecolors": "crimson", "linewidths": 1.5,
           "label": f"lowest {percentile:g}% density"}
    kws.update(anomaly_kws or {})
    ax.scatter(X2[low, 0], X2[low, 1], **kws).set_gid("gaussmix-anomalies")
    params2 = marginal(params, features)
    lo, hi = _limits(params2, X2)
    if contours:
        xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
        estep2 = EStep(params2, np.float64)
        field = estep2.score_samples(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
        level = np.percentile(estep2.score_samples(X2), percentile)
        if field.min() < level < field.max():
            ax.contour(xx, yy, field, levels=[level], colors="crimson", linewidths=1.0,
                       linestyles="dotted").set_gid("gaussmix-density")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    xlabel, ylabel = _feature_names(model, features)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="best")
    return ax


# -------------------------------------------------------------------- plot_pairs
def plot_pairs(model, X=None, axes=None, *, features: Sequence[int] | None = None, max_features: int = 8,
               **plot_kws):
    """A pair grid: every pair of features with its marginal mixture, and each feature's
    1-D marginal density (over a histogram of ``X``) on the diagonal.

    Parameters
    ----------
    model : fitted GaussianMixture, GaussianMixtureIC or MixtureParams
    X : array-like of shape (n_samples, n_features), optional
    axes : 2-D array of matplotlib Axes, optional
        ``(m, m)`` for ``m`` features; default: a new figure.
    features : sequence of int, optional
        Features to show; default all.
    max_features : int, default=8
        Refuse larger grids unless ``features`` is given.
    **plot_kws
        Passed to :func:`plot_mixture` for the off-diagonal panels (default there:
        ``boundaries=False``, ``ellipses=(2,)``).

    Returns
    -------
    axes : ndarray of shape (m, m) of matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from gaussmix import GaussianMixture
    >>> X = np.random.RandomState(0).normal(size=(150, 3))
    >>> plot_pairs(GaussianMixture(2, random_state=0).fit(X), X, grid_size=40).shape
    (3, 3)
    """
    plt = _pyplot()
    params = _params_of(model)
    d = params.n_features
    if features is None:
        if d > max_features:
            raise ValueError(f"The model has {d} features; choose at most {max_features} with features=[...] "
                             "or raise max_features.")
        features = list(range(d))
    features = [int(f) for f in features]
    m = len(features)
    if axes is None:
        _, axes = plt.subplots(m, m, figsize=(2.6 * m, 2.6 * m), squeeze=False)
    axes = np.asarray(axes, dtype=object)
    if axes.shape != (m, m):
        raise ValueError(f"axes must have shape ({m}, {m}), got {axes.shape}.")
    X = None if X is None else np.asarray(X, dtype=np.float64)
    kws = {"boundaries": False, "ellipses": (2,), "s": 4}
    kws.update(plot_kws)
    names = _feature_names(model, features)
    for row, fi in enumerate(features):
        for col, fj in enumerate(features):
            ax = axes[row, col]
            if row == col:
                one = marginal(params, [fi])
                lo, hi = _limits(one, None if X is None else X[:, [fi]])
                xs = np.linspace(lo[0], hi[0], 300)
                if X is not None:
                    ax.hist(X[:, fi], bins=30, density=True, color="0.85")
                density = np.exp(EStep(one, np.float64).score_samples(xs[:, None]))
                ax.plot(xs, density, color="k", linewidth=1.2, gid="gaussmix-density")
                ax.set_xlim(lo[0], hi[0])
                ax.set_xlabel(names[row])
            else:
                plot_mixture(model, X, ax=ax, features=(fj, fi), **kws)
            if col > 0:
                ax.set_ylabel("")
            if row < m - 1:
                ax.set_xlabel("")
    return axes
