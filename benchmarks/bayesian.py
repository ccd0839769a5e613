"""BayesianGaussianMixture against scikit-learn's: seconds per variational EM iteration, side by side.

Rows: W2's data (1,000,000 x 16, k = 16, full) and 400,000 x 16, k = 8, full (``workloads.make_data``),
and B400kR, the same size on rotated, stretched clusters 1e4 from zero (``workloads.make_rotated``),
float64 and float32 (scikit-learn given the same float32 array).  Both libraries start from the same
point: ``init_params="random_from_data"`` with the same ``random_state`` (gaussmix draws the rows
scikit-learn draws), ``tol=0``; one iteration is ``(t(max_iter = 1 + b) - t(max_iter = 1)) / b``,
runs interleaved (scikit-learn short, gaussmix short, scikit-learn long, gaussmix long), the median
of ``--reps``.  ``agree`` is the largest relative difference of the fitted weights and covariances
after the long fits (float64 only: the same numbers are expected).  Run from the repository root:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.bayesian
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.bayesian --quick   # n / 20
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from .measure import timed_fit  # noqa: E402
from .report import machine_info  # noqa: E402
from .workloads import Workload, workload_data  # noqa: E402

#: B400kR: rotated, stretched clusters (``workloads.make_rotated``) moved this far from zero
ROTATED_OFFSET = 1e4


def _estimator(lib: str, w: Workload, max_iter: int):
    if lib == "sklearn":
        from sklearn.mixture import BayesianGaussianMixture
    else:
        from gaussmix import BayesianGaussianMixture
    return BayesianGaussianMixture(n_components=w.k, covariance_type=w.covariance_type, max_iter=max_iter, tol=0.0,
                                   init_params="random_from_data", random_state=0)


def per_iteration(X, w: Workload, reps: int, extra: int) -> dict:
    libs = ("sklearn", "gaussmix")
    for lib in libs:  # warm-up
        timed_fit(_estimator(lib, w, 1), X)
    samples = {lib: [] for lib in libs}
    fits = {}
    for _ in range(reps):
        short = {lib: timed_fit(_estimator(lib, w, 1), X) for lib in libs}
        for lib in libs:
            est = _estimator(lib, w, 1 + extra)
            samples[lib].append((timed_fit(est, X) - short[lib]) / extra)
            fits[lib] = est
    agree = max(float(np.max(np.abs(np.asarray(fits["gaussmix"].__dict__[n]) - np.asarray(fits["sklearn"].__dict__[n]))
                             / np.max(np.abs(fits["sklearn"].__dict__[n])))) for n in ("weights_", "covariances_"))
    return {lib: statistics.median(samples[lib]) for lib in libs} | {"agree": agree}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="n / 20, 2 repetitions")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--iters", type=int, default=3, help="timed iterations per fit (b)")
    parser.add_argument("--only", default=None, help="comma-separated rows, e.g. B400k or W2")
    parser.add_argument("--scale", type=int, default=None, help="divide every n by this (--quick: 20)")
    args = parser.parse_args(argv)
    scale = args.scale or (20 if args.quick else 1)
    reps = 2 if args.quick else args.reps
    rows = []
    for name, n, d, k, data in (("W2", 1_000_000, 16, 16, "blobs"), ("B400k", 400_000, 16, 8, "blobs"),
                                ("B400kR", 400_000, 16, 8, "rotated")):
        if args.only and name not in args.only.split(","):
            continue
        for dtype in ("float64", "float32"):
            w = Workload(name, n // scale, d, k, "full", dtype, data=data)
            X = workload_data(w.with_dtype("float64"))
            if data == "rotated":
                X += ROTATED_OFFSET
            X = X.astype(dtype, copy=False)
            result = per_iteration(X, w, reps, args.iters)
            rows.append((w, result))
            print(f"{name} {dtype}: sklearn {result['sklearn']:.3f} s/iter, gaussmix {result['gaussmix']:.4f} s/iter",
                  file=sys.stderr)
    info = machine_info(sys.argv)
    print(f"Machine: {info['cpu']}, {info['cores']} cores; {info['date']}; median of {reps}, {args.iters} timed "
          f"iterations; command: python -m benchmarks.bayesian {' '.join(sys.argv[1:])}")
    print()
    print("| workload | dtype | scikit-learn s/iter | gaussmix s/iter | ratio | agree (float64) |")
    print("|---|---|---:|---:|---:|---:|")
    for w, r in rows:
        agree = f"{r['agree']:.1e}" if w.dtype == "float64" else "-"
        what = "" if w.data == "blobs" else f", rotated, +{ROTATED_OFFSET:g}"
        print(f"| {w.name} n={w.n:,} d={w.d} k={w.k} full{what} | {w.dtype} | {r['sklearn']:.3f} | {r['gaussmix']:.4f} | "
              f"{r['sklearn'] / r['gaussmix']:.1f}x | {agree} |")


if __name__ == "__main__":
    main()
