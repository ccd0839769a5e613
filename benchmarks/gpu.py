"""GaussianMixture on a CUDA GPU: agreement with the NumPy float64 fit, then seconds per EM iteration.

Compares, in one run on one machine, float32 data:

* gaussmix on the GPU (a CUDA tensor),
* torchgmm on the same GPU (if installed),
* scikit-learn on the machine's CPUs,

for the workloads of issue 5 (W2: 1M x 16, k=16 full; W3: 1M x 64, k=32 diag;
W6: 4M x 32, k=32 full).  Every fit starts from the same given parameters (no
initialization is timed) with ``tol=0``; the time of one iteration is the difference
between a fit of ``m2`` and of ``m1`` iterations divided by ``m2 - m1``, so set-up and
the final E-step cancel out.  Ratios are other / gaussmix.

Usage::

    python benchmarks/gpu.py                      # needs CUDA; prints the table
    python benchmarks/gpu.py --workloads W2 --sklearn-rows 200000
    python benchmarks/gpu.py --cpu-smoke          # tiny sizes on CPU torch: checks the script runs

Without CUDA (and without ``--cpu-smoke``) it says so and exits 0.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings

import numpy as np

WORKLOADS = {  # name: (n_samples, n_features, n_components, covariance_type)
    "W2": (1_000_000, 16, 16, "full"),
    "W3": (1_000_000, 64, 32, "diag"),
    "W6": (4_000_000, 32, 32, "full"),
}
SMOKE_WORKLOADS = {"W2": (3_000, 16, 4, "full"), "W3": (3_000, 8, 4, "diag"), "W6": (4_000, 6, 3, "full")}
TARGETS = {"W2": 3e-3, "W3": 5e-3, "W6": 40e-3}  # seconds per iteration on an H100/H200 (issue 5)


def make_data(n, d, k, seed=0):
    """Well separated blobs, float32, plus a fixed starting point (float64)."""
    rng = np.random.RandomState(seed)
    centers = rng.normal(scale=4.0, size=(k, d))
    labels = rng.randint(k, size=n)
    X = (centers[labels] + rng.normal(size=(n, d))).astype(np.float32)
    return X


def start_params(X, k, covariance_type, seed=0):
    """Weights, means and precisions to start every fit from: k data rows, unit-ish covariances."""
    rng = np.random.RandomState(seed)
    n, d = X.shape
    means = X[rng.choice(n, k, replace=False)].astype(np.float64)
    scale = 1.0 / float(np.var(X[: min(n, 100_000)], axis=0).mean())
    precisions = {
        "full": np.stack([np.eye(d) * scale] * k),
        "tied": np.eye(d) * scale,
        "diag": np.full((k, d), scale),
        "spherical": np.full(k, scale),
    }[covariance_type]
    return np.full(k, 1.0 / k), means, precisions


def quiet(fn):
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fn()


def per_iteration(fit, m1, m2, sync=lambda: None, repeats=3):
    """Seconds per EM iteration: (time of m2 iterations - time of m1) / (m2 - m1).

    After a warm-up fit; each time is the best of ``repeats``.
    """
    if repeats > 1:
        fit(m1)
        sync()
    times = {}
    for m in (m1, m2):
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            fit(m)
            sync()
            best = min(best, time.perf_counter() - start)
        times[m] = best
    return max(times[m2] - times[m1], 0.0) / (m2 - m1)


def gaussmix_fit(X, k, covariance_type, start, max_iter, **kwargs):
    from gaussmix import GaussianMixture

    weights, means, precisions = start
    gm = GaussianMixture(k, covariance_type=covariance_type, weights_init=weights, means_init=means,
                         precisions_init=precisions, max_iter=max_iter, tol=0.0, **kwargs)
    return quiet(lambda: gm.fit(X))


def sklearn_fit(X, k, covariance_type, start, max_iter):
    from sklearn.mixture import GaussianMixture

    weights, means, precisions = start
    gm = GaussianMixture(k, covariance_type=covariance_type, weights_init=weights, means_init=means,
                         precisions_init=precisions, max_iter=max_iter, tol=0.0)
    return quiet(lambda: gm.fit(X))


def torchgmm_fit(X, k, covariance_type, start, max_iter, device):
    """torchgmm from the same means (its API: PyCave's; no way to pass the covariances)."""
    import torch
    from torchgmm.bayes import GaussianMixture

    accelerator = "gpu" if device.type == "cuda" else "cpu"
    gm = GaussianMixture(
        num_components=k, covariance_type=covariance_type, init_means=torch.as_tensor(start[1], dtype=X.dtype),
        convergence_tolerance=0.0, covariance_regularization=1e-6,
        trainer_params=dict(max_epochs=max_iter, accelerator=accelerator, devices=1, enable_progress_bar=False,
                            enable_model_summary=False, logger=False),
    )
    return quiet(lambda: gm.fit(X))


def agreement(X, k, covariance_type, start, device, n_check, max_iter=5):
    """Largest differences from the NumPy float64 fit (same start, same iterations) on the first rows."""
    import torch

    X64 = X[:n_check].astype(np.float64)
    ref = gaussmix_fit(X64, k, covariance_type, start, max_iter)
    scale = float(np.abs(X64).max())
    out = {}
    for name, data in (("float64", torch.from_numpy(X64).to(device)),
                       ("float32", torch.from_numpy(X[:n_check]).to(device))):
        gm = gaussmix_fit(data, k, covariance_type, start, max_iter)
        means = gm.means_.cpu().numpy()
        out[name] = (float(np.abs(means - ref.means_).max()) / scale, abs(gm.lower_bound_ - ref.lower_bound_))
    return out


def fmt(seconds):
    if seconds is None:
        return "-"
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu-smoke", action="store_true", help="tiny sizes on CPU torch (checks the script)")
    parser.add_argument("--workloads", default="W2,W3,W6", help="comma-separated among W2,W3,W6")
    parser.add_argument("--iterations", type=int, default=10, help="m2 - m1 for gaussmix and torchgmm")
    parser.add_argument("--sklearn-iterations", type=int, default=1, help="m2 - m1 for scikit-learn")
    parser.add_argument("--sklearn-rows", type=int, default=None,
                        help="time scikit-learn on the first rows only and scale linearly to n (marked '~')")
    parser.add_argument("--no-sklearn", action="store_true")
    parser.add_argument("--no-torchgmm", action="store_true")
    parser.add_argument("--check-rows", type=int, default=200_000, help="rows for the agreement check")
    args = parser.parse_args(argv)

    try:
        import torch
    except ImportError:
        print("PyTorch is not installed (pip install gaussmix[torch]): nothing to measure.")
        return 0
    if args.cpu_smoke:
        device, workloads, args.iterations = torch.device("cpu"), SMOKE_WORKLOADS, 1
    elif torch.cuda.is_available():
        device, workloads = torch.device("cuda"), WORKLOADS
    else:
        print("CUDA is not available: nothing to measure (use --cpu-smoke to check the script on CPU torch).")
        return 0
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    names = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = sorted(set(names) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose among {sorted(WORKLOADS)}")

    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "none (CPU torch smoke mode)"
    cpu_name = platform.processor() or platform.machine()
    print(f"GPU: {gpu}; torch {torch.__version__}; CPUs: {os.cpu_count()} ({cpu_name})")
    print(f"TF32 matmul allowed: {torch.backends.cuda.matmul.allow_tf32}; python {platform.python_version()}")

    rows = []
    for name in names:
        n, d, k, cov = workloads[name]
        X = make_data(n, d, k)
        start = start_params(X, k, cov)
        agree = agreement(X, k, cov, start, device, min(n, args.check_rows))
        print(f"{name} agreement with NumPy float64 (5 iterations, {min(n, args.check_rows)} rows): "
              + "; ".join(f"{dt}: max|d means|/max|X| = {m:.1e}, |d lower bound| = {b:.1e}"
                          for dt, (m, b) in agree.items()))
        X_dev = torch.from_numpy(X).to(device)
        m1 = 2
        repeats = 1 if args.cpu_smoke else 3
        ours = per_iteration(lambda m: gaussmix_fit(X_dev, k, cov, start, m), m1, m1 + args.iterations, sync,
                             repeats)

        theirs = None
        if not args.no_torchgmm:
            try:
                theirs = per_iteration(lambda m: torchgmm_fit(X_dev, k, cov, start, m, device), m1,
                                       m1 + args.iterations, sync, repeats)
            except ImportError:
                pass
            except Exception as exc:  # report, do not hide, a failure of the other library
                print(f"{name}: torchgmm failed: {type(exc).__name__}: {exc}")

        cpu, approx = None, ""
        if not args.no_sklearn:
            n_sk = n if args.sklearn_rows is None else min(n, args.sklearn_rows)
            X_sk = X[:n_sk]
            cpu = per_iteration(lambda m: sklearn_fit(X_sk, k, cov, start, m), 1, 1 + args.sklearn_iterations,
                                repeats=1)
            if n_sk < n:
                cpu, approx = cpu * n / n_sk, "~"
        rows.append((name, n, d, k, cov, ours, theirs, cpu, approx))

    header = ("workload", "n x d, k, cov", "gaussmix", "torchgmm", "sklearn CPU", "torchgmm/gm", "sklearn/gm",
              "target")
    table = [header]
    for name, n, d, k, cov, ours, theirs, cpu, approx in rows:
        ratio = (lambda other: "-" if other is None or ours <= 0 else f"{other / ours:.1f}x")
        table.append((name, f"{n:,} x {d}, {k} {cov}", fmt(ours), fmt(theirs), approx + fmt(cpu),
                      ratio(theirs), approx + ratio(cpu), fmt(TARGETS[name]) if not args.cpu_smoke else "-"))
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    print("\nseconds per EM iteration, float32 data (lower is better)")
    for i, row in enumerate(table):
        print(" | ".join(str(cell).ljust(w) for cell, w in zip(row, widths)))
        if i == 0:
            print("-+-".join("-" * w for w in widths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
