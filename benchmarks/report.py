"""Machine description and the result tables (plain text and Markdown)."""

from __future__ import annotations

import datetime
import os
import platform
import sys

#: environment variables that change BLAS/OpenMP behaviour; reported, never set
THREAD_ENV_PREFIXES = ("OPENBLAS_", "OMP_", "MKL_", "GOTO", "BLIS_", "VECLIB_", "NUMBA_")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(argv: list[str]) -> dict:
    """CPU, cores, BLAS (threadpoolctl), library versions, thread env vars, date and command."""
    import numpy
    import scipy
    import sklearn

    import gaussmix

    try:
        from threadpoolctl import threadpool_info

        pools = [
            {key: pool.get(key) for key in ("user_api", "internal_api", "version", "num_threads", "architecture", "threading_layer")}
            for pool in threadpool_info()
        ]
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        pools = []
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        affinity = os.cpu_count()
    try:
        loadavg = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - not Unix
        loadavg = None
    try:  # gaussmix's optional compiled kernels (gaussmix.core.compiled) run when numba is installed
        import numba

        numba_version = numba.__version__
    except ImportError:
        numba_version = "not installed"
    return {
        "loadavg": loadavg,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python -m benchmarks " + " ".join(argv),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": affinity,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "versions": {
            "gaussmix": gaussmix.__version__,
            "scikit-learn": sklearn.__version__,
            "numpy": numpy.__version__,
            "scipy": scipy.__version__,
            "numba": numba_version,
        },
        "gaussmix_path": os.path.dirname(gaussmix.__file__),
        "threadpools": pools,
        "thread_env": {k: v for k, v in sorted(os.environ.items()) if k.startswith(THREAD_ENV_PREFIXES)},
    }


def _fmt(value, spec: str) -> str:
    if value is None:
        return "-"
    return format(value, spec)


COLUMNS = [
    # (header, key, format)
    ("workload", "workload", "s"),
    ("n", "n", ",d"),
    ("d", "d", "d"),
    ("k", "k", "d"),
    ("type", "covariance_type", "s"),
    ("dtype", "dtype", "s"),
    ("b", "timed_iters", "d"),
    ("sklearn s/iter", "sklearn_s_per_iter", ".4g"),
    ("gaussmix s/iter", "gaussmix_s_per_iter", ".4g"),
    ("ratio sk/gm", "ratio", ".2f"),
    ("gm f64 s/iter", "gaussmix_f64_s_per_iter", ".4g"),
    ("gm f32 s/iter", "gaussmix_f32_s_per_iter", ".4g"),
    ("gm f32/f64", "f32_over_f64", ".2f"),
    ("f32 cov rel", "f32_accuracy", ".1e"),
    ("sk GFLOP/s", "sklearn_gflops", ".2f"),
    ("gm GFLOP/s", "gaussmix_gflops", ".2f"),
    ("sk %peak", "sklearn_pct_peak", ".1f"),
    ("gm %peak", "gaussmix_pct_peak", ".1f"),
    ("sk MB>data", "sklearn_mb_above_data", ".1f"),
    ("gm MB>data", "gaussmix_mb_above_data", ".1f"),
    ("mem gm/sk", "memory_ratio", ".3f"),
    ("agreement", "agreement", ".1e"),
]

FIT_COLUMNS = [
    ("workload", "workload", "s"),
    ("n", "n", ",d"),
    ("sklearn s", "sklearn_s", ".4g"),
    ("sk n_iter", "sklearn_n_iter", "d"),
    ("gaussmix s", "gaussmix_s", ".4g"),
    ("gm n_iter", "gaussmix_n_iter", "d"),
    ("ratio sk/gm", "ratio", ".2f"),
    ("agreement", "agreement", ".1e"),
]


def _cells(rows: list[dict], columns) -> tuple[list[str], list[list[str]]]:
    headers = [c[0] for c in columns]
    body = [[_fmt(row.get(key), spec) for _, key, spec in columns] for row in rows]
    return headers, body


def plain_table(rows: list[dict], columns=COLUMNS) -> str:
    headers, body = _cells(rows, columns)
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(wd) for h, wd in zip(headers, widths))]
    lines.append("  ".join("-" * wd for wd in widths))
    lines += ["  ".join(c.rjust(wd) for c, wd in zip(r, widths)) for r in body]
    return "\n".join(lines)


def markdown_table(rows: list[dict], columns=COLUMNS) -> str:
    headers, body = _cells(rows, columns)
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---:" for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def machine_lines(info: dict, peaks: dict) -> list[str]:
    blas = "; ".join(
        f"{p.get('internal_api')} {p.get('version')} ({p.get('user_api')}, {p.get('num_threads')} threads"
        + (f", {p['architecture']}" if p.get("architecture") else "") + ")"
        for p in info["threadpools"]
    ) or "unknown"
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    env = ", ".join(f"{k}={v}" for k, v in info["thread_env"].items()) or "none set"
    return [
        f"- Date: {info['date']}",
        f"- Command: `{info['command']}`",
        f"- CPU: {info['cpu']}, {info['cores']} logical cores ({info['usable_cores']} usable), {info['platform']}; "
        f"1-minute load average at start {_fmt(info['loadavg'], '.2f')}",
        f"- BLAS / OpenMP (threadpoolctl): {blas}",
        f"- Python {info['python']}; {versions}",
        f"- Thread-related environment variables: {env}",
        f"- Measured GEMM peak: dgemm {peaks['float64']:.1f} GFLOP/s, sgemm {peaks['float32']:.1f} GFLOP/s "
        f"({peaks['size']}x{peaks['size']} square products, best of 3)",
    ]


def markdown_report(info: dict, peaks: dict, rows: list[dict], fit_rows: list[dict], settings: str) -> str:
    parts = ["### Machine", "", *machine_lines(info, peaks), f"- Settings: {settings}", ""]
    if rows:
        parts += ["### Per EM iteration (fixed iterations, same start)", "", markdown_table(rows), ""]
    if fit_rows:
        parts += ["### Whole fit (init_params='kmeans', tol=1e-3, n_init=1, random_state=0)", "",
                  markdown_table(fit_rows, FIT_COLUMNS), ""]
    return "\n".join(parts)
