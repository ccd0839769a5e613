"""Measurements: per-iteration time, agreement, peak memory (in subprocesses), GEMM peak, whole fit."""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np

from .workloads import REG_COVAR, Workload

LIBRARIES = ("sklearn", "gaussmix")


def estimator(lib: str, w: Workload, max_iter: int, inits: dict | None, **kwargs):
    """A fresh ``GaussianMixture`` of ``lib`` for ``w``: fixed iterations from ``inits`` when given."""
    if lib == "sklearn":
        from sklearn.mixture import GaussianMixture
    elif lib == "gaussmix":
        from gaussmix import GaussianMixture
    else:
        raise ValueError(f"unknown library {lib!r}; expected one of {LIBRARIES}")
    params = dict(n_components=w.k, covariance_type=w.covariance_type, reg_covar=REG_COVAR, max_iter=max_iter)
    if inits is not None:
        params.update(tol=0.0, **inits)
    params.update(kwargs)
    return GaussianMixture(**params)


def timed_fit(est, X: np.ndarray) -> float:
    """Seconds taken by ``est.fit(X)`` (warnings about non-convergence silenced)."""
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        est.fit(X)
        return time.perf_counter() - start


def per_iteration(X: np.ndarray, w: Workload, inits: dict, reps: int, base: int, extra: int,
                  min_time: float = 0.0, max_extra: int = 50,
                  log: Callable[[str], None] = lambda s: None, alt: tuple | None = None) -> dict:
    """Median seconds per EM iteration of each library, and the final fits.

    Each repetition fits ``base`` and ``base + b`` iterations from the same ``inits`` with
    ``tol=0``; one iteration costs ``(t(base + b) - t(base)) / b``, which cancels validation,
    set-up and the final E-step that ``fit`` runs after the loop. Runs are interleaved:
    sklearn short, gaussmix short, sklearn long, gaussmix long, then the next repetition.
    ``alt = (X_alt, inits_alt)`` adds gaussmix on the same data and start in the other dtype
    (key ``"gaussmix_alt"``), interleaved with the others.
    ``s_per_iter_min`` is the best-of alternative ``(min t(base + b) - min t(base)) / b``.
    A warm-up short fit of each library (not counted) sizes ``b``: at least ``extra``, and
    enough that the faster library's difference lasts ``min_time`` seconds (at most ``max_extra``),
    so that small workloads are not lost in timer and set-up noise.
    """
    runners = {lib: (lib, X, inits) for lib in LIBRARIES}
    if alt is not None:
        runners["gaussmix_alt"] = ("gaussmix", *alt)
    warm = {key: timed_fit(estimator(lib, w, base, ini), data) for key, (lib, data, ini) in runners.items()}
    # over-estimates an iteration (includes set-up); sized by the row's own dtype, so that the
    # other dtype's run does not lengthen scikit-learn's
    fastest = min(warm[lib] for lib in LIBRARIES) / (base + 1)
    b = extra if fastest <= 0 else int(min(max_extra, max(extra, np.ceil(min_time / fastest))))
    samples: dict[str, list[float]] = {key: [] for key in runners}
    raw: dict[str, dict[str, list[float]]] = {key: {"short": [], "long": []} for key in runners}
    fits: dict[str, object] = {}
    for rep in range(reps):
        short = {key: timed_fit(estimator(lib, w, base, ini), data) for key, (lib, data, ini) in runners.items()}
        for key, (lib, data, ini) in runners.items():
            est = estimator(lib, w, base + b, ini)
            t_long = timed_fit(est, data)
            samples[key].append((t_long - short[key]) / b)
            raw[key]["short"].append(short[key])
            raw[key]["long"].append(t_long)
            fits[key] = est
        log(f"  {w.name} rep {rep + 1}/{reps} ({b} timed iterations): "
            + ", ".join(f"{key} {samples[key][-1]:.4g} s/iter" for key in runners))
    return {
        "s_per_iter": {key: statistics.median(samples[key]) for key in runners},
        # best-of estimate, robust to stalls on a shared machine: (min t(a + b) - min t(a)) / b
        "s_per_iter_min": {key: (min(raw[key]["long"]) - min(raw[key]["short"])) / b for key in runners},
        "samples": samples,
        "fit_seconds": raw,
        "timed_iters": b,
        "fits": fits,
    }


def _rel(a, b) -> float:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    return float(np.max(np.abs(a - b)) / scale) if scale > 0 else float(np.max(np.abs(a - b)))


def agreement(gm, sk) -> dict[str, float]:
    """Normwise relative differences ``max|gm - sk| / max|sk|`` of weights, means, covariances."""
    out = {name: _rel(getattr(gm, name + "_"), getattr(sk, name + "_")) for name in ("weights", "means", "covariances")}
    out["max"] = max(out.values())
    return out


def gemm_peak(size: int, dtype: str, repeats: int = 3) -> float:
    """Best GFLOP/s of ``A @ B`` on ``size x size`` matrices (all BLAS threads), after a warm-up."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((size, size)).astype(dtype)
    B = rng.standard_normal((size, size)).astype(dtype)
    C = np.empty_like(A)
    np.matmul(A, B, out=C)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(A, B, out=C)
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best / 1e9


def whole_fit(X: np.ndarray, w: Workload, reps: int, random_state: int = 0,
              log: Callable[[str], None] = lambda s: None) -> dict:
    """End-to-end ``fit`` with the defaults (``init_params='kmeans'``, ``tol=1e-3``, ``n_init=1``).

    Same ``random_state`` for both libraries; median seconds over ``reps`` interleaved runs.
    """
    times: dict[str, list[float]] = {lib: [] for lib in LIBRARIES}
    fits = {}
    for rep in range(reps):
        for lib in LIBRARIES:
            est = estimator(lib, w, 100, None, random_state=random_state)
            times[lib].append(timed_fit(est, X))
            fits[lib] = est
        log(f"  {w.name} whole fit rep {rep + 1}/{reps}: "
            + ", ".join(f"{lib} {times[lib][-1]:.4g} s ({fits[lib].n_iter_} iter)" for lib in LIBRARIES))
    return {
        "seconds": {lib: statistics.median(times[lib]) for lib in LIBRARIES},
        "samples": times,
        "n_iter": {lib: int(fits[lib].n_iter_) for lib in LIBRARIES},
        "converged": {lib: bool(fits[lib].converged_) for lib in LIBRARIES},
        "lower_bound": {lib: float(fits[lib].lower_bound_) for lib in LIBRARIES},
        "agreement": agreement(fits["gaussmix"], fits["sklearn"]),
    }


def peak_memory(w: Workload, lib: str, inits: dict, max_iter: int, timeout: float | None = None) -> subprocess.Popen:
    """Start a subprocess that fits ``lib`` on ``w`` and reports its peak RSS above the data.

    Returns the running process; :func:`collect_memory` reads its answer. The child is
    ``python -m benchmarks._memory`` with the same environment, given a JSON spec on stdin.
    """
    spec = {
        "workload": w.__dict__,
        "lib": lib,
        "max_iter": max_iter,
        "inits": {key: {"data": value.tolist(), "dtype": value.dtype.name} for key, value in inits.items()},
    }
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._memory"],
        cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    proc.stdin.write(json.dumps(spec))
    proc.stdin.close()
    return proc


def collect_memory(proc: subprocess.Popen) -> dict:
    """The JSON answer of a :func:`peak_memory` child (raises with its stderr if it failed)."""
    out = proc.stdout.read()
    err = proc.stderr.read()
    if proc.wait() != 0:
        raise RuntimeError(f"memory subprocess failed (exit {proc.returncode}):\n{err}")
    return json.loads(out.strip().splitlines()[-1])


def memory_rows(jobs: list[tuple[str, str, Workload, dict]], max_iter: int, parallel: int,
                log: Callable[[str], None] = lambda s: None) -> dict[tuple[str, str], dict]:
    """Run the memory children for ``(key, lib, workload, inits)`` jobs, ``parallel`` at a time."""
    results: dict[tuple[str, str], dict] = {}
    pending = list(jobs)
    while pending:
        batch, pending = pending[: max(1, parallel)], pending[max(1, parallel):]
        procs = [(key, lib, peak_memory(w, lib, inits, max_iter)) for key, lib, w, inits in batch]
        for key, lib, proc in procs:
            results[key, lib] = res = collect_memory(proc)
            log(f"  {key} {lib}: {res['above_mb']:.1f} MB above {res['data_mb']:.1f} MB of data ({res['method']})")
    return results
