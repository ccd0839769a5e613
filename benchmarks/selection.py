"""The 24-model grid (k = 1..6 x four covariance types) timed in one run.

* ``gaussmix.select`` with GaussianMixture's settings (k-means start, ``n_init=1``,
  ``tol=1e-3``, ``max_iter``): every candidate in shared passes over the data;
* ``gaussmix.select`` with its own defaults (hierarchical start, ``n_init=3``,
  ``tol=1e-3 / n``, ``max_iter=1000``): what model selection costs fully converged;
* a loop of separate ``gaussmix.GaussianMixture`` fits;
* a loop of ``sklearn.mixture.GaussianMixture`` fits;

with the same seeds and (but for select's defaults) the same settings.  Prints one table (seconds, passes over the data,
best BIC) and the ratios.  ``--quick`` (n = 20,000) runs in well under a minute; the
full size (n = 1,000,000, d = 8) is for a quiet machine:

    python benchmarks/selection.py            # n=1e6, d=8
    python benchmarks/selection.py --quick
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from gaussmix import GaussianMixture, select

TYPES = ("full", "tied", "diag", "spherical")


def make_data(n_samples: int, n_features: int, seed: int = 0) -> np.ndarray:
    """Four elongated Gaussian clusters in ``n_features`` dimensions."""
    rng = np.random.RandomState(seed)
    parts = []
    for c, size in enumerate(np.full(4, n_samples // 4) + (np.arange(4) < n_samples % 4)):
        mix = rng.normal(size=(n_features, n_features)) / np.sqrt(n_features)
        parts.append(rng.normal(size=(size, n_features)) @ mix + rng.normal(scale=4.0, size=n_features))
    return np.vstack(parts)


def run(n_samples: int, n_features: int, max_k: int, max_iter: int, seed: int) -> list[dict]:
    X = make_data(n_samples, n_features, seed)
    grid = [(k, t) for t in TYPES for k in range(1, max_k + 1)]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        start = time.perf_counter()
        result = select(X, n_components=max_k, covariance_types=TYPES, max_iter=max_iter, random_state=seed,
                        init_params="kmeans", n_init=1, tol=1e-3)
        rows.append({"method": "gaussmix.select (shared passes)", "seconds": time.perf_counter() - start,
                     "passes": result.n_passes, "best": result.best.key, "best_bic": result.best.bic})
        start = time.perf_counter()
        result = select(X, n_components=max_k, covariance_types=TYPES, random_state=seed)
        rows.append({"method": "gaussmix.select, its defaults", "seconds": time.perf_counter() - start,
                     "passes": result.n_passes, "best": result.best.key, "best_bic": result.best.bic})

        for name, cls in (("loop of gaussmix fits", GaussianMixture), ("loop of scikit-learn fits", SkGaussianMixture)):
            start = time.perf_counter()
            best, passes = None, 0
            for k, t in grid:
                gm = cls(n_components=k, covariance_type=t, max_iter=max_iter, random_state=seed).fit(X)
                bic = gm.bic(X)  # one more pass each, as select's final scoring
                passes += gm.n_iter_ + 1
                if best is None or bic < best[1]:
                    best = ((k, t), bic)
            rows.append({"method": name, "seconds": time.perf_counter() - start, "passes": passes,
                         "best": best[0], "best_bic": best[1]})
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="n=20,000 (under a minute)")
    parser.add_argument("--n-samples", type=int, default=None)
    parser.add_argument("--n-features", type=int, default=8)
    parser.add_argument("--max-k", type=int, default=6)
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    n = args.n_samples or (20_000 if args.quick else 1_000_000)
    rows = run(n, args.n_features, args.max_k, args.max_iter, args.seed)
    print(f"grid: k=1..{args.max_k} x {len(TYPES)} covariance types on n={n:,}, d={args.n_features}, "
          f"max_iter={args.max_iter}, random_state={args.seed}")
    print(f"{'method':34s} {'seconds':>9s} {'passes':>7s}  best model        best BIC")
    for row in rows:
        print(f"{row['method']:34s} {row['seconds']:9.2f} {row['passes']:7d}  {str(row['best']):16s} "
              f"{row['best_bic']:.6g}")
    shared = rows[0]["seconds"]
    print(f"ratios: gaussmix loop / select = {rows[2]['seconds'] / shared:.2f}x, "
          f"scikit-learn loop / select = {rows[3]['seconds'] / shared:.2f}x, "
          f"scikit-learn loop / gaussmix loop = {rows[3]['seconds'] / rows[2]['seconds']:.2f}x, "
          f"select's defaults / select with GaussianMixture's settings = {rows[1]['seconds'] / shared:.2f}x")


if __name__ == "__main__":
    main()
