"""Missing values: seconds per EM iteration with 10 % of the entries missing, against the complete fit.

Rows: W2's data (1,000,000 x 16, k = 16, full, ``workloads.make_data``) and the rotated, stretched
clusters of R2 (300,000 x 16, k = 16, full, ``workloads.make_rotated``, identity start), in float64 and
float32, every covariance type for W2 at ``--types``.  The complete fit (``nan_policy="raise"``) and the
fit with each entry missing with probability 10 %, independently (MCAR; ``nan_policy="marginalize"``)
start from the same parameters (``workloads.start_parameters``), ``tol=0``; one iteration is
``(t(max_iter = 1 + b) - t(max_iter = 1)) / b``, the two runs interleaved, the median of ``--reps``.
``rows with holes`` and ``patterns`` describe the missing data (81 % of the rows and thousands of
distinct patterns at d = 16).  scikit-learn has no missing-value fit: the reference is gaussmix's own
complete fit.  Run from the repository root:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.missing
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.missing --quick   # n / 20
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
from .workloads import REG_COVAR, Workload, start_parameters, workload_data  # noqa: E402

FRACTION = 0.10


def with_holes(X: np.ndarray, fraction: float = FRACTION, seed: int = 0) -> np.ndarray:
    """``X`` with each entry NaN with probability ``fraction`` (independently)."""
    out = X.copy()
    out[np.random.default_rng(seed).random(X.shape) < fraction] = np.nan
    return out


def _estimator(w: Workload, start: dict, max_iter: int, nan_policy: str):
    from gaussmix import GaussianMixture

    return GaussianMixture(n_components=w.k, covariance_type=w.covariance_type, reg_covar=REG_COVAR, tol=0.0,
                           max_iter=max_iter, nan_policy=nan_policy, **start)


def per_iteration(X, Xm, w: Workload, reps: int, extra: int) -> dict:
    start = start_parameters(X, w)
    runs = {"complete": (X, "raise"), "missing": (Xm, "marginalize")}
    for data, policy in runs.values():  # warm-up
        timed_fit(_estimator(w, start, 1, policy), data)
    samples = {name: [] for name in runs}
    for _ in range(reps):
        for name, (data, policy) in runs.items():
            short = timed_fit(_estimator(w, start, 1, policy), data)
            samples[name].append((timed_fit(_estimator(w, start, 1 + extra, policy), data) - short) / extra)
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="n / 20, 2 repetitions")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--iters", type=int, default=2, help="timed iterations per fit (b)")
    parser.add_argument("--types", default="full,tied,diag,spherical", help="W2's covariance types")
    parser.add_argument("--scale", type=int, default=None, help="divide every n by this (--quick: 20)")
    args = parser.parse_args(argv)
    scale = args.scale or (20 if args.quick else 1)
    reps = 2 if args.quick else args.reps
    workloads = [Workload("W2", 1_000_000 // scale, 16, 16, t) for t in args.types.split(",")]
    workloads += [Workload("R2", 300_000 // scale, 16, 16, "full", data="rotated", start="identity")]
    workloads += [Workload(w.name, w.n, w.d, w.k, w.covariance_type, "float32", w.data, w.start)
                  for w in workloads if w.covariance_type == "full"]
    rows = []
    for w in workloads:
        X = workload_data(w)
        Xm = with_holes(X)
        holes = np.isnan(Xm).any(axis=1)
        patterns = len(np.unique(np.packbits(np.isnan(Xm[holes]), axis=1), axis=0))
        result = per_iteration(X, Xm, w, reps, args.iters)
        rows.append((w, result, float(holes.mean()), patterns))
        print(f"{w.name} {w.covariance_type} {w.dtype}: complete {result['complete']:.4f} s/iter, "
              f"10% missing {result['missing']:.4f} s/iter", file=sys.stderr)
    info = machine_info(sys.argv)
    print(f"Machine: {info['cpu']}, {info['cores']} cores; {info['date']}; median of {reps}, {args.iters} timed "
          f"iterations; command: python -m benchmarks.missing {' '.join(sys.argv[1:])}")
    print()
    print("| workload | dtype | rows with holes | patterns | complete s/iter | 10 % missing s/iter | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for w, r, share, patterns in rows:
        print(f"| {w.name} n={w.n:,} d={w.d} k={w.k} {w.covariance_type} ({w.data}) | {w.dtype} | {share:.0%} | "
              f"{patterns:,} | {r['complete']:.4f} | {r['missing']:.4f} | {r['missing'] / r['complete']:.1f}x |")


if __name__ == "__main__":
    main()
