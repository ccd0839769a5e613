"""The own-centred band of float32 full covariances: compiled kernels against NumPy's array calls.

One E-step pass (``EStep.stats`` over every chunk, as one EM iteration makes it) on a rotated
workload, under the parameters of a float64 fit after a few iterations from the identity start
(most full components are then centred on their own means in float32).  Four passes alternate
in one process, ``reps`` times: float64; float32 with the compiled band; float32 with the NumPy
band; float32 with no component centred on its own mean (not accurate: the band's cost is its
difference from the others).  Reported as medians and as ratios to float64, and the compiled
kernels' own time per pass (one thread, timers around each call).

Run from the repository root::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.band --only R2,R1 --reps 9
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import warnings
from types import SimpleNamespace

import numpy as np

from .workloads import WORKLOADS, identity_start, workload_data


def _fitted_params(w, X, iterations: int):
    from gaussmix import GaussianMixture

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GaussianMixture(w.k, covariance_type=w.covariance_type, max_iter=iterations, tol=0, reg_covar=1e-6,
                             **identity_start(X, w)).fit(X)
    return gm._params(X.shape[1])


def _pass(data, estep, enabled: bool) -> float:
    from gaussmix.core import compiled

    compiled.enabled = enabled
    gc.collect()
    start = time.perf_counter()
    data.reduce(estep.stats)
    return time.perf_counter() - start


def measure(name: str, reps: int, n_jobs: int | None, iterations: int = 6) -> dict:
    """Median seconds per pass of each variant, and the compiled kernels' seconds per pass (one thread)."""
    from gaussmix._parallel import single_threaded_blas
    from gaussmix.core import compiled, estep
    from gaussmix.data.array import ArrayData, row_width

    if compiled.kernels() is None:
        raise SystemExit("numba is not installed: pip install 'gaussmix[fast]'")
    w = WORKLOADS[name]
    X = workload_data(w)
    params = _fitted_params(w, X, iterations)
    width = row_width(w.covariance_type, w.k, w.d)
    X32 = X.astype(np.float32)
    f64 = ArrayData(X, row_width=width, n_jobs=n_jobs)
    f32 = ArrayData(X32, row_width=width, n_jobs=n_jobs)
    plain = estep.EStep(params, np.float32)
    limit = estep.CANCELLATION_LIMIT
    estep.CANCELLATION_LIMIT = float("inf")
    try:
        unguarded = estep.EStep(params, np.float32)
    finally:
        estep.CANCELLATION_LIMIT = limit
    runs = {"float64": (f64, estep.EStep(params, np.float64), True), "compiled": (f32, plain, True),
            "numpy": (f32, plain, False), "no band": (f32, unguarded, True)}
    times: dict[str, list[float]] = {key: [] for key in runs}
    try:
        with single_threaded_blas():
            for data, es, enabled in runs.values():  # warm-up (and compilation)
                _pass(data, es, enabled)
            for _ in range(reps):
                for key, (data, es, enabled) in runs.items():
                    times[key].append(_pass(data, es, enabled))
            kernels = _kernel_seconds(X32, params, width)
    finally:
        compiled.enabled = True
    med = {key: statistics.median(v) for key, v in times.items()}
    paired = statistics.median(a / b for a, b in zip(times["compiled"], times["numpy"]))
    return {"workload": name, "own": len(plain.own), "k": w.k, "median_s": med, "compiled_over_numpy": paired,
            "kernel_s": kernels}


def _kernel_seconds(X32, params, width, reps: int = 3) -> dict:
    """Seconds per pass in each compiled kernel (one thread)."""
    from gaussmix.core import compiled, estep
    from gaussmix.data.array import ArrayData

    real = compiled.kernels()
    spent: dict[str, float] = {}

    def timed(key, fn):
        def call(*args):
            start = time.perf_counter()
            out = fn(*args)
            spent[key] = spent.get(key, 0.0) + time.perf_counter() - start
            return out
        return call

    data = ArrayData(X32, row_width=width, n_jobs=1)
    es = estep.EStep(params, np.float32)
    compiled._compiled = SimpleNamespace(**{key: timed(key, fn) for key, fn in vars(real).items()})
    try:
        start = time.perf_counter()
        for _ in range(reps):
            data.reduce(es.stats)
        total = (time.perf_counter() - start) / reps
    finally:
        compiled._compiled = real
    return {"pass": total, **{key: value / reps for key, value in spent.items()}}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="R2,R1", help="comma-separated full-covariance workloads (default R2,R1)")
    parser.add_argument("--reps", type=int, default=9, help="alternations of the four passes (default 9)")
    parser.add_argument("--n-jobs", type=int, default=None, help="chunk threads (default: every CPU)")
    args = parser.parse_args(argv)
    results = []
    for name in args.only.split(","):
        r = measure(name, args.reps, args.n_jobs)
        results.append(r)
        med, f64 = r["median_s"], r["median_s"]["float64"]
        k = r["kernel_s"]
        print(f"{name}: {r['own']} of {r['k']} components own-centred in float32; per pass: "
              + ", ".join(f"{key} {value * 1e3:.1f} ms ({value / f64:.2f} of float64)" for key, value in med.items())
              + f"; compiled / numpy paired {r['compiled_over_numpy']:.3f}")
        print("  kernels, one thread, per pass of {:.1f} ms: ".format(k["pass"] * 1e3)
              + ", ".join(f"{key} {value * 1e3:.1f} ms" for key, value in k.items() if key != "pass"))
    return results


if __name__ == "__main__":
    main()
