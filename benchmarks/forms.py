"""mclust's fourteen covariance forms: the cost of one EM iteration, side by side with 'full'.

Every form runs on W2's data (1,000,000 x 16, k = 16, ``workloads.make_data``) from the same start
(W2's shared k-means start, ``workloads.initial_parameters``, its covariances reduced to the form by one
M-step of that form), ``tol=0``; one iteration is ``(t(max_iter = 1 + b) - t(max_iter = 1)) / b``,
the median of ``--reps`` interleaved repetitions, as in the main suite (benchmarks/README.md).  The
column ``M-step`` is the median time of the form's M-step alone (from the statistics of the start),
``vs full`` the iteration's time over 'full''s in the same run.  Run from the repository root:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.forms            # W2 size
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.forms --quick    # n / 20
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from gaussmix import GaussianMixture  # noqa: E402
from gaussmix.core import EStep, SufficientStats, mstep  # noqa: E402
from gaussmix.core.mstep import mstep_reseeding, nk_floor  # noqa: E402
from gaussmix.covariance import MCLUST_NAMES, get_covariance  # noqa: E402
from gaussmix.data import ArrayData  # noqa: E402

from .measure import timed_fit  # noqa: E402
from .report import machine_info  # noqa: E402
from .workloads import Workload, initial_parameters, make_data  # noqa: E402


def form_start(X: np.ndarray, w: Workload, form: str):
    """W2's shared start reduced to ``form``: one M-step of the form from the start's responsibilities."""
    inits = initial_parameters(X, w)
    full = GaussianMixture(w.k, covariance_type="full", max_iter=0, **inits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full.fit(X[:100_000])
    rows = X[:100_000]
    stats = SufficientStats.from_responsibilities(get_covariance(form), rows, full.predict_proba(rows), None,
                                                  rows.mean(axis=0))
    reduced = mstep(stats, form, 1e-6, nk_floor(X.dtype))
    return reduced, {"weights_init": reduced.weights, "means_init": reduced.means,
                     "precisions_init": reduced.precisions}


def time_iteration(X, w, form, params, start, reps, extra) -> tuple[float, float]:
    """Median seconds per EM iteration and of the M-step alone."""
    def fit(max_iter):
        return timed_fit(GaussianMixture(w.k, covariance_type=form, tol=0.0, max_iter=max_iter, **start), X)

    fit(1)  # warm-up
    short, long = [], []
    for _ in range(reps):
        short.append(fit(1))
        long.append(fit(1 + extra))
    per_iter = (np.median(long) - np.median(short)) / extra
    data = ArrayData(X[:200_000])
    stats = data.reduce(EStep(params, data.dtype).stats)
    times = []
    for _ in range(max(reps, 5)):
        t0 = time.perf_counter()
        mstep_reseeding(stats, form, 1e-6, nk_floor(X.dtype), "benchmark", previous=params.covariances)
        times.append(time.perf_counter() - t0)
    return float(per_iter), float(np.median(times))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="n / 20, 2 repetitions")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--iters", type=int, default=3, help="timed iterations per fit (b)")
    parser.add_argument("--forms", default=",".join(MCLUST_NAMES))
    parser.add_argument("--n", type=int, default=None, help="rows (default 1,000,000; --quick 50,000)")
    args = parser.parse_args(argv)
    n = args.n or (50_000 if args.quick else 1_000_000)
    reps = 2 if args.quick else args.reps
    w = Workload("W2", n, 16, 16, "full")
    X = make_data(w)
    forms = args.forms.split(",")
    if "VVV" not in forms:
        forms.append("VVV")
    rows = {}
    for form in forms:
        params, start = form_start(X, w, form)
        rows[form] = time_iteration(X, w, form, params, start, reps, args.iters)
        print(f"{form}: {rows[form][0]:.4f} s/iter, M-step {rows[form][1] * 1e3:.2f} ms", file=sys.stderr)
    full = rows["VVV"][0]
    info = machine_info(sys.argv)
    print(f"Machine: {info['cpu']}, {info['cores']} cores; {info['date']}; n = {n:,}, d = 16, k = 16, float64, "
          f"median of {reps}; command: python -m benchmarks.forms {' '.join(sys.argv[1:])}")
    print()
    print("| form | s/iter | vs full | M-step ms |")
    print("|---|---:|---:|---:|")
    for form in forms:
        per_iter, m = rows[form]
        print(f"| {form} | {per_iter:.4f} | {per_iter / full:.2f} | {m * 1e3:.2f} |")


if __name__ == "__main__":
    main()
