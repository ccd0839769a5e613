"""Make the gallery: ``python docs/gallery.py`` writes docs/images/*.png (small, dpi 80).

Every figure is one call of :mod:`gaussmix.plotting`; docs/gallery.md shows them.
``python docs/gallery.py bayesian_concentration.png`` writes only the figures named.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from gaussmix import GaussianMixture, select  # noqa: E402
from gaussmix.datasets import load_faithful, make_handson_blobs, make_textbook_blobs  # noqa: E402
from gaussmix.plotting import (  # noqa: E402
    plot_anomalies,
    plot_covariance_types,
    plot_criterion,
    plot_mixture,
    plot_pairs,
    plot_regression,
    plot_weight_concentration,
)

DPI = 80


def figures():
    """(file name, function drawing a figure) pairs."""
    X, _ = make_textbook_blobs(1500, random_state=42)
    faithful, names = load_faithful()

    def trained():
        fig, ax = plt.subplots(figsize=(6, 5))
        plot_mixture(GaussianMixture(3, n_init=5, random_state=42).fit(X), X, ax=ax)
        ax.set_title("A trained Gaussian mixture (k=3, full)")
        return fig

    def covariance_types():
        axes = plot_covariance_types(X, 3, random_state=42, n_init=3)
        axes[0].figure.suptitle("The same data under each covariance type")
        axes[0].figure.tight_layout()
        return axes[0].figure

    def mclust_forms():
        few, _ = make_textbook_blobs(400, random_state=42)  # 14 panels: fewer points keep the file small
        axes = plot_covariance_types(few, 3, covariance_types="mclust", random_state=42, n_init=3, s=4)
        axes[0].figure.suptitle("R mclust's fourteen covariance forms (volume, shape, orientation: "
                                "Equal, Variable or I)")
        axes[0].figure.tight_layout()
        return axes[0].figure

    def criterion():
        result = select(faithful, n_components=6, n_init=5, tol=1e-5, reg_covar=1e-3, random_state=0)
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
        plot_criterion(result, ax=left)
        left.set_title("Old Faithful: BIC of 24 models")
        plot_mixture(result.best_model, faithful, ax=right)
        right.set_xlabel(names[0])
        right.set_ylabel(names[1])
        right.set_title(f"BIC's choice: {result.best.n_components} components, {result.best.covariance_type}")
        fig.tight_layout()
        return fig

    def anomalies():
        fig, ax = plt.subplots(figsize=(6, 5))
        plot_anomalies(GaussianMixture(3, n_init=5, random_state=42).fit(X), X, percentile=2, ax=ax)
        ax.set_title("Lowest 2% density: anomaly candidates")
        return fig

    def pairs():
        rng = np.random.RandomState(0)
        Y = np.vstack([rng.multivariate_normal(m, c, 300) for m, c in (
            ([0, 0, 0], [[1, 0.8, 0], [0.8, 1, 0.3], [0, 0.3, 1]]),
            ([4, 1, -2], [[0.5, 0, 0], [0, 2, -0.6], [0, -0.6, 0.5]]),
            ([-1, 4, 2], [[1, -0.5, 0.2], [-0.5, 1, 0], [0.2, 0, 0.4]]))])
        axes = plot_pairs(GaussianMixture(3, random_state=0).fit(Y), Y)
        axes[0, 0].figure.suptitle("Pair grid of a 3-D mixture (exact marginals)")
        axes[0, 0].figure.tight_layout()
        return axes[0, 0].figure

    def bayesian_concentration():
        handson, _ = make_handson_blobs()  # the book's data; its first 73 rows, as the book's figure
        axes = plot_weight_concentration(handson[:73], n_components=10, priors=(0.01, 10000), max_iter=500,
                                         random_state=42)
        axes[0].figure.suptitle("BayesianGaussianMixture(n_components=10) on 73 rows: a low and a high "
                                "weight_concentration_prior")
        axes[0].figure.tight_layout()
        return axes[0].figure

    def regression():
        rng = np.random.RandomState(0)
        x = rng.uniform(-3, 3, 600)
        y = np.sin(1.5 * x) + 0.2 * x + (0.05 + 0.1 * np.abs(x)) * rng.normal(size=x.size)
        XY = np.c_[x, y]
        fig, ax = plt.subplots(figsize=(7, 4.5))
        plot_regression(GaussianMixture(8, n_init=3, random_state=0).fit(XY), XY, ax=ax)
        ax.set_title("Gaussian mixture regression: impute([x, NaN]) and the conditional spread (k=8)")
        ax.legend(loc="upper left", fontsize=8)
        return fig

    return [("trained_gmm.png", trained), ("covariance_types.png", covariance_types),
            ("mclust_forms.png", mclust_forms),
            ("faithful_bic.png", criterion), ("anomalies.png", anomalies), ("pairs.png", pairs),
            ("bayesian_concentration.png", bayesian_concentration), ("regression.png", regression)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these figures (default: all)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "images")
    args = parser.parse_args(argv)
    known = [name for name, _ in figures()]
    unknown = sorted(set(args.names) - set(known))
    if unknown:
        parser.error(f"unknown figure(s) {unknown}; choose among {known}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name, draw in figures():
        if args.names and name not in args.names:
            continue
        fig = draw()
        save_small(fig, args.out / name)
        plt.close(fig)
        print(args.out / name)


def save_small(fig, path: Path) -> None:
    """``fig`` as a PNG of at most 256 colours (a third of the size or less; the figures use few)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=DPI, format="png")
    buffer.seek(0)
    Image.open(buffer).convert("RGB").quantize(colors=256).save(path, optimize=True)


if __name__ == "__main__":
    main()
