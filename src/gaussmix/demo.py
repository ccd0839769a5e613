"""``python -m gaussmix``: the textbook workflow on built-in data, printed."""

from __future__ import annotations

import argparse
import time

import numpy as np

from . import GaussianMixture, __version__
from .datasets import load_faithful, make_textbook_blobs


def _matrix(a: np.ndarray, indent: str = "    ") -> str:
    return "\n".join(indent + line for line in np.array2string(np.asarray(a), precision=3, suppress_small=True).splitlines())


def run(seed: int = 42) -> dict:
    """Fit the demo models, print what a user looks at, and return the fitted models."""
    with np.printoptions(precision=3, suppress=True):  # not the caller's global options
        return _run(seed)


def _run(seed: int) -> dict:
    print(f"gaussmix {__version__}: Gaussian mixtures by exact EM\n")

    X, y = make_textbook_blobs(1500, random_state=seed)
    print(f"1. Three elongated, rotated, overlapping blobs: X.shape = {X.shape}")
    t0 = time.perf_counter()
    gm = GaussianMixture(n_components=3, n_init=10, random_state=seed).fit(X)
    print(f"   fit GaussianMixture(n_components=3, n_init=10) in {time.perf_counter() - t0:.2f} s: "
          f"converged={gm.converged_}, n_iter={gm.n_iter_}, lower bound={gm.lower_bound_:.4f}")
    print(f"   weights_ = {gm.weights_}")
    print("   means_ =\n" + _matrix(gm.means_, "     "))
    print("   covariances_ =\n" + _matrix(gm.covariances_, "     "))
    points = np.array([[0.0, 0.0], [3.5, 2.0], [1.5, 1.5]])
    print(f"   predict({points.tolist()}) = {gm.predict(points).tolist()}")
    print("   predict_proba (soft clustering) =\n" + _matrix(gm.predict_proba(points), "     "))
    print(f"   score_samples (log density)     = {gm.score_samples(points)}")
    Xs, ys = gm.sample(5)
    print("   sample(5) (a generative model)  =\n" + _matrix(np.column_stack([Xs, ys]), "     "))
    print(f"   BIC = {gm.bic(X):.1f}, AIC = {gm.aic(X):.1f}")

    print("\n2. The same data under each covariance_type (BIC, lower is better):")
    fitted = {}
    for covariance_type in ("full", "tied", "diag", "spherical"):
        model = GaussianMixture(3, covariance_type=covariance_type, n_init=5, random_state=seed).fit(X)
        fitted[covariance_type] = model
        print(f"   {covariance_type:<9s} BIC = {model.bic(X):9.1f}")

    F, names = load_faithful()
    print(f"\n3. Old Faithful eruptions {F.shape}, columns {names}:")
    best = None
    for k in range(1, 5):
        model = GaussianMixture(k, n_init=5, random_state=seed).fit(F)
        bic = model.bic(F)
        print(f"   n_components={k}: BIC = {bic:8.1f}")
        if best is None or bic < best[0]:
            best = (bic, model)
    model = best[1]
    print(f"   BIC picks n_components={model.n_components}; weights {model.weights_}, means\n" + _matrix(model.means_, "     "))
    return {"blobs": gm, "covariance_types": fitted, "faithful": model}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gaussmix", description=__doc__)
    parser.add_argument("--seed", type=int, default=42, help="random_state of the demo fits (default 42)")
    args = parser.parse_args(argv)
    try:
        run(args.seed)
    except BrokenPipeError:  # e.g. `python -m gaussmix | head`: stop quietly
        import os
        import sys

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
