"""Figures, rendered with Agg and checked by what was drawn."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402
from scipy.stats import multivariate_normal  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from gaussmix import GaussianMixture, GaussianMixtureIC, select  # noqa: E402
from gaussmix.core import EStep  # noqa: E402
from gaussmix.datasets import load_faithful, make_textbook_blobs  # noqa: E402
from gaussmix.plotting import (  # noqa: E402
    dense_covariances,
    marginal,
    plot_anomalies,
    plot_covariance_types,
    plot_criterion,
    plot_mixture,
    plot_pairs,
)

from conftest import COVARIANCE_TYPES, make_blobs3, random_params  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    with threadpool_limits(1):
        yield
    plt.close("all")


@pytest.fixture(scope="module")
def blobs_model():
    X, _ = make_textbook_blobs(400, random_state=0)
    return X, GaussianMixture(3, random_state=0).fit(X)


def by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def is_dashed(contour_set):
    return all(style[1] is not None for style in contour_set.get_linestyle())


def test_plot_mixture_draws_every_element(blobs_model):
    X, gm = blobs_model
    fig, ax = plt.subplots()
    assert plot_mixture(gm, X, ax=ax) is ax
    density = by_gid(ax, "gaussmix-density")
    assert len(density) == 1 and isinstance(density[0], ContourSet) and not is_dashed(density[0])
    boundaries = by_gid(ax, "gaussmix-boundary")
    assert 2 <= len(boundaries) <= 3 and all(isinstance(b, ContourSet) and is_dashed(b) for b in boundaries)
    ellipses = by_gid(ax, "gaussmix-ellipse")
    assert len(ellipses) == 9 and all(isinstance(e, Ellipse) for e in ellipses)
    (means,) = by_gid(ax, "gaussmix-means")
    np.testing.assert_allclose(means.get_offsets(), gm.means_)
    (points,) = by_gid(ax, "gaussmix-points")
    assert len(points.get_offsets()) == len(X)
    colours = {tuple(c) for c in points.get_facecolors()}
    assert len(colours) == 3  # coloured by component
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 < X[:, 0].min() and x1 > X[:, 0].max() and y0 < X[:, 1].min() and y1 > X[:, 1].max()
    fig.canvas.draw()  # renders without error


def test_ellipse_axes_are_the_covariance_eigenvalues(blobs_model):
    X, gm = blobs_model
    ax = plot_mixture(gm, None, ellipses=(2,), contours=False, boundaries=False)
    ellipses = by_gid(ax, "gaussmix-ellipse")
    assert len(ellipses) == 3
    for e, cov in zip(ellipses, gm.covariances_):
        values = np.linalg.eigvalsh(cov)
        np.testing.assert_allclose(sorted([e.width, e.height]), 4 * np.sqrt(values), rtol=1e-10)
        # the long axis points along the leading eigenvector
        angle = np.deg2rad(e.angle)
        direction = np.array([np.cos(angle), np.sin(angle)])
        assert direction @ cov @ direction == pytest.approx(values[-1], rel=1e-8)


def test_boundary_lies_where_two_components_are_equally_probable():
    X = np.r_[np.random.RandomState(0).normal(size=(100, 2)), np.random.RandomState(1).normal(size=(100, 2)) + [6, 0]]
    gm = GaussianMixture(2, covariance_type="tied", random_state=0).fit(X)
    ax = plot_mixture(gm, X, contours=False, ellipses=None)
    (boundary,) = by_gid(ax, "gaussmix-boundary")
    vertices = np.vstack([p.vertices for p in boundary.get_paths() if len(p.vertices)])
    resp = EStep(marginal(gm, (0, 1)), np.float64).responsibilities(vertices)
    np.testing.assert_allclose(resp[:, 0], 0.5, atol=0.02)


def test_options_turn_elements_off_and_styles_pass_through(blobs_model):
    X, gm = blobs_model
    ax = plot_mixture(gm, X, contours=False, boundaries=False, ellipses=None, means=False, color_by_component=False,
                      marker="s", s=3)
    assert [a.get_gid() for a in ax.get_children() if a.get_gid()] == ["gaussmix-points"]
    (points,) = by_gid(ax, "gaussmix-points")
    assert len({tuple(c) for c in points.get_facecolors()}) == 1
    np.testing.assert_allclose(points.get_sizes(), [3])


def test_current_axes_is_the_default(blobs_model):
    X, gm = blobs_model
    fig, ax = plt.subplots()
    assert plot_mixture(gm, X) is ax
    assert plot_anomalies(gm, X) is ax


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_marginal_is_exact_for_every_covariance_type(covariance_type):
    params = random_params(covariance_type, 3, 4, seed=2)
    pair = marginal(params, [3, 1])
    rows = np.random.RandomState(0).normal(size=(20, 2))
    expected = sum(
        w * multivariate_normal(m[[3, 1]], c[np.ix_([3, 1], [3, 1])]).pdf(rows)
        for w, m, c in zip(params.weights, params.means, dense_covariances(params))
    )
    np.testing.assert_allclose(np.exp(EStep(pair, np.float64).score_samples(rows)), expected, rtol=1e-10)
    with pytest.raises(ValueError, match="features"):
        marginal(params, [0, 4])


def test_higher_dimensions_use_the_marginal_of_the_chosen_pair():
    X = make_blobs3()
    gm = GaussianMixture(3, random_state=0).fit(X)
    ax = plot_mixture(gm, X, features=(2, 0))
    (means,) = by_gid(ax, "gaussmix-means")
    np.testing.assert_allclose(means.get_offsets(), gm.means_[:, [2, 0]])
    assert ax.get_xlabel() == "feature 2"


def test_covariance_types_side_by_side():
    X, _ = make_textbook_blobs(300, random_state=0)
    axes = plot_covariance_types(X, 3, random_state=0, grid_size=60)
    assert len(axes) == 4
    for ax, covariance_type in zip(axes, COVARIANCE_TYPES):
        assert ax.get_title().startswith(covariance_type)
        gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
        (means,) = by_gid(ax, "gaussmix-means")
        np.testing.assert_allclose(means.get_offsets(), gm.means_, rtol=1e-8)
        assert len(by_gid(ax, "gaussmix-ellipse")) == 9


def test_criterion_curves_and_best_marked():
    X, _ = load_faithful()
    result = select(X, n_components=4, n_init=3, tol=1e-5, random_state=0)
    ax = plot_criterion(result)
    lines = [line for line in ax.get_lines() if line.get_gid() != "gaussmix-best"]
    assert sorted(line.get_label() for line in lines) == sorted(COVARIANCE_TYPES)
    for line in lines:
        np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4])
        np.testing.assert_allclose(line.get_ydata(), [result[(k, line.get_label())].bic for k in (1, 2, 3, 4)])
    (best,) = by_gid(ax, "gaussmix-best")
    assert (best.get_xdata()[0], best.get_ydata()[0]) == (result.best.n_components, result.best.bic)
    ax_icl = plot_criterion(result, "icl", ax=plt.figure().gca())
    assert ax_icl.get_ylabel().startswith("ICL")
    est = GaussianMixtureIC(n_components=2, covariance_type="full", random_state=0).fit(X)
    assert len(plot_criterion(est, ax=plt.figure().gca()).get_lines()) == 2


def test_anomalies_are_the_lowest_density_rows(blobs_model):
    X, gm = blobs_model
    ax = plot_anomalies(gm, X, percentile=5)
    (low,) = by_gid(ax, "gaussmix-anomalies")
    expected = X[gm.score_samples(X) < np.percentile(gm.score_samples(X), 5)]
    np.testing.assert_allclose(np.asarray(low.get_offsets()), expected)
    (rest,) = by_gid(ax, "gaussmix-points")
    assert len(rest.get_offsets()) + len(expected) == len(X)
    assert len(by_gid(ax, "gaussmix-density")) == 1
    with pytest.raises(ValueError, match="percentile"):
        plot_anomalies(gm, X, percentile=120)


def test_pair_grid_uses_marginals():
    X = make_blobs3()
    gm = GaussianMixture(3, covariance_type="diag", random_state=0).fit(X)
    axes = plot_pairs(gm, X, grid_size=40)
    assert axes.shape == (3, 3)
    for i in range(3):
        (curve,) = by_gid(axes[i, i], "gaussmix-density")
        xs = curve.get_xdata()
        expected = sum(w * np.exp(-0.5 * (xs - m[i]) ** 2 / c[i]) / np.sqrt(2 * np.pi * c[i])
                       for w, m, c in zip(gm.weights_, gm.means_, gm.covariances_))
        np.testing.assert_allclose(curve.get_ydata(), expected, rtol=1e-10)
        for j in range(3):
            if i != j:
                (means,) = by_gid(axes[i, j], "gaussmix-means")
                np.testing.assert_allclose(means.get_offsets(), gm.means_[:, [j, i]])
    with pytest.raises(ValueError, match="features"):
        plot_pairs(gm, X, max_features=2)


def test_unfitted_model_and_bad_input_are_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        plot_mixture(GaussianMixture(2), np.zeros((3, 2)))
    gm = GaussianMixture(2, random_state=0).fit(make_blobs3())
    with pytest.raises(ValueError, match="shape"):
        plot_mixture(gm, np.zeros((5, 2)))
    with pytest.raises(ValueError, match="pair"):
        plot_mixture(gm, features=(0, 1, 2))


def test_missing_matplotlib_names_the_extra(monkeypatch):
    import builtins

    from gaussmix import plotting

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"gaussmix\[plot\]"):
        plotting.plot_criterion(None)
