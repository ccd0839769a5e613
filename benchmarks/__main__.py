"""``python -m benchmarks``: gaussmix against scikit-learn, per EM iteration, memory, GFLOP/s, whole fit.

Run from the repository root; ``python -m benchmarks --help`` lists the options and
``benchmarks/README.md`` explains the method. Progress goes to stderr, the tables to stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys

from . import measure, report
from .workloads import WHOLE_FIT, WHOLE_FIT_BASE, WORKLOADS, nominal_flops, start_parameters, workload_data

QUICK_DIVISOR = 20


def parse_args(argv: list[str]) -> argparse.Namespace:
    names = [*WORKLOADS, WHOLE_FIT]
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time gaussmix and scikit-learn side by side (run from the repository root). "
        "Workloads: " + ", ".join(f"{w.name} (n={w.n:,} d={w.d} k={w.k} {w.covariance_type} {w.dtype})"
                                  for w in WORKLOADS.values())
        + f", {WHOLE_FIT} (whole default fit on {WHOLE_FIT_BASE}'s data).",
    )
    p.add_argument("--quick", action="store_true",
                   help=f"n / {QUICK_DIVISOR}, 2 repetitions, b >= 1 timed iteration, 2048 GEMM probe (about a minute when quiet)")
    p.add_argument("--only", type=lambda s: [x.strip() for x in s.split(",") if x.strip()], default=None,
                   help=f"comma-separated subset of {','.join(names)}")
    p.add_argument("--reps", type=int, default=None, help="repetitions per workload (default 3, quick 2)")
    p.add_argument("--iters", type=int, default=None,
                   help="least timed EM iterations b: s/iter = (t(a+b) - t(a)) / b (default 3, quick 1)")
    p.add_argument("--min-time", type=float, default=None,
                   help="raise b for small workloads until gaussmix's timed part lasts this many seconds "
                   "(default 1.0, quick 0.1; b <= 50)")
    p.add_argument("--stat", choices=("median", "min"), default="median",
                   help="per-iteration statistic in the table: median of the repetitions' differences "
                   "(default) or best-of (min t(a+b) - min t(a)) / b, steadier on a shared machine; "
                   "the JSON has both")
    p.add_argument("--base-iters", type=int, default=1, help="iterations a of the short fit (default 1)")
    p.add_argument("--scale", type=int, default=None, help="divide every n by this (overrides --quick's 20)")
    p.add_argument("--fit-reps", type=int, default=1, help=f"repetitions of the {WHOLE_FIT} row (default 1)")
    p.add_argument("--mem-iters", type=int, default=2, help="EM iterations of each memory subprocess (default 2)")
    p.add_argument("--mem-jobs", type=int, default=None,
                   help="memory subprocesses run at once (default 1, quick 2); they are not timed")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    p.add_argument("--gemm-size", type=int, default=None, help="side of the GEMM peak probe (default 4096, quick 2048)")
    p.add_argument("--json", metavar="PATH", help="also write every measurement to this JSON file")
    p.add_argument("--markdown", action="store_true",
                   help="also print the tables as Markdown with the machine description (for docs/benchmarks.md)")
    args = p.parse_args(argv)
    if args.only is not None:
        unknown = [x for x in args.only if x not in names]
        if unknown or not args.only:
            p.error(f"--only: unknown workload(s) {unknown}; choose from {','.join(names)}")
    for name in ("reps", "iters", "scale", "fit_reps", "mem_iters", "mem_jobs", "gemm_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    if args.base_iters < 1:
        p.error(f"--base-iters must be >= 1, got {args.base_iters}")
    args.reps = args.reps or (2 if args.quick else 3)
    args.iters = args.iters or (1 if args.quick else 3)
    args.scale = args.scale or (QUICK_DIVISOR if args.quick else 1)
    args.mem_jobs = args.mem_jobs or (2 if args.quick else 1)
    args.min_time = (0.1 if args.quick else 1.0) if args.min_time is None else args.min_time
    args.gemm_size = args.gemm_size or (2048 if args.quick else 4096)
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ratio(a, b):
    """``a / b``, or None when either is missing or not positive (a noisy difference can be < 0)."""
    return a / b if a is not None and b is not None and a > 0 and b > 0 else None


def main(argv: list[str] | None = None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    selected = args.only or [*WORKLOADS, WHOLE_FIT]
    info = report.machine_info(argv)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            log(f"note: {var}={os.environ[var]} is set; the documented command unsets it "
                "(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks)")
    log(f"gaussmix from {info['gaussmix_path']}")
    if info["loadavg"] is not None and info["loadavg"] > 0.5 * (info["usable_cores"] or 1):
        log(f"warning: 1-minute load average {info['loadavg']:.2f} on {info['usable_cores']} cores: "
            "other processes share the CPUs, timings will be noisy (negative differences show as '-')")

    peaks = {"size": args.gemm_size}
    for dtype in ("float64", "float32"):
        peaks[dtype] = measure.gemm_peak(args.gemm_size, dtype)
    log(f"GEMM peak: dgemm {peaks['float64']:.1f} GFLOP/s, sgemm {peaks['float32']:.1f} GFLOP/s")

    rows, fit_rows, inits_of = [], [], {}
    for name in selected:
        if name == WHOLE_FIT:
            continue
        w = WORKLOADS[name].scaled(args.scale)
        log(f"{name}: n={w.n:,} d={w.d} k={w.k} {w.covariance_type} {w.dtype}")
        X = workload_data(w)
        inits_of[name] = (w, inits := start_parameters(X, w))
        # gaussmix also runs in the other dtype, on the same numbers and start
        w_alt = w.with_dtype(w.other_dtype)
        alt = (X.astype(w_alt.dtype), {key: value.astype(w_alt.dtype) for key, value in inits.items()})
        res = measure.per_iteration(X, w, inits, args.reps, args.base_iters, args.iters, args.min_time, log=log,
                                    alt=alt)
        agree = measure.agreement(res["fits"]["gaussmix"], res["fits"]["sklearn"])
        # float32 against float64 from the same start, both gaussmix: accuracy and time
        f32, f64 = ("gaussmix", "gaussmix_alt") if w.dtype == "float32" else ("gaussmix_alt", "gaussmix")
        flops, peak = nominal_flops(w), peaks[w.dtype]
        row = {"workload": name, "n": w.n, "d": w.d, "k": w.k, "covariance_type": w.covariance_type, "dtype": w.dtype,
               "nominal_gflop_per_iter": flops / 1e9, "agreement": agree["max"], "agreement_detail": agree,
               "samples_s_per_iter": res["samples"], "fit_seconds": res["fit_seconds"],
               "timed_iters": res["timed_iters"]}
        for lib in measure.LIBRARIES:
            s = res["s_per_iter" if args.stat == "median" else "s_per_iter_min"][lib]
            row[f"{lib}_s_per_iter_median"] = res["s_per_iter"][lib]
            row[f"{lib}_s_per_iter_min"] = res["s_per_iter_min"][lib]
            row[f"{lib}_s_per_iter"] = s if s > 0 else None
            row[f"{lib}_gflops"] = flops / s / 1e9 if s > 0 else None
            row[f"{lib}_pct_peak"] = 100 * row[f"{lib}_gflops"] / peak if s > 0 else None
            if s <= 0:
                log(f"  {name} {lib}: {args.stat} difference {s:.3g} s is not positive (noise); shown as '-'")
        row["ratio"] = _ratio(row["sklearn_s_per_iter"], row["gaussmix_s_per_iter"])
        stat = "s_per_iter" if args.stat == "median" else "s_per_iter_min"
        row["gaussmix_f32_s_per_iter"], row["gaussmix_f64_s_per_iter"] = res[stat][f32], res[stat][f64]
        row["f32_over_f64"] = _ratio(res[stat][f32], res[stat][f64])
        row["f32_accuracy"] = measure.agreement(res["fits"][f32], res["fits"][f64])["covariances"]
        rows.append(row)
        del X, res
        gc.collect()

    if WHOLE_FIT in selected:
        w = WORKLOADS[WHOLE_FIT_BASE].scaled(args.scale)
        log(f"{WHOLE_FIT}: whole fit on n={w.n:,} d={w.d} k={w.k} {w.covariance_type}")
        X = workload_data(w)
        res = measure.whole_fit(X, w, args.fit_reps, log=log)
        fit_rows.append({
            "workload": WHOLE_FIT, "n": w.n, "d": w.d, "k": w.k, "covariance_type": w.covariance_type,
            "sklearn_s": res["seconds"]["sklearn"], "gaussmix_s": res["seconds"]["gaussmix"],
            "sklearn_n_iter": res["n_iter"]["sklearn"], "gaussmix_n_iter": res["n_iter"]["gaussmix"],
            "ratio": _ratio(res["seconds"]["sklearn"], res["seconds"]["gaussmix"]),
            "agreement": res["agreement"]["max"], "detail": {k: v for k, v in res.items() if k != "seconds"},
        })
        del X
        gc.collect()

    if not args.no_memory and rows:
        log(f"peak memory: {2 * len(rows)} subprocesses, {args.mem_jobs} at a time, {args.mem_iters} iterations each")
        jobs = [(row["workload"], lib, *inits_of[row["workload"]]) for row in rows for lib in measure.LIBRARIES]
        mem = measure.memory_rows(jobs, args.mem_iters, args.mem_jobs, log)
        for row in rows:
            for lib in measure.LIBRARIES:
                m = mem[row["workload"], lib]
                row[f"{lib}_mb_above_data"] = m["above_mb"]
                row[f"{lib}_memory"] = m
            row["memory_ratio"] = _ratio(row["gaussmix_mb_above_data"], row["sklearn_mb_above_data"])

    formula = ("median over repetitions of (t(a + b) - t(a)) / b" if args.stat == "median"
               else "(min t(a + b) - min t(a)) / b over repetitions")
    settings = (f"n / {args.scale}, {args.reps} interleaved repetitions, s/iter = {formula} with a = {args.base_iters}, "
                f"b >= {args.iters} (column 'b'), tol=0, same initial parameters; "
                f"memory: each fit in its own process, {args.mem_iters} iterations")
    print("\n".join(report.machine_lines(info, peaks)))
    print(f"- Settings: {settings}")
    if rows:
        print(f"\nPer EM iteration ({args.stat}; ratio = sklearn / gaussmix; mem = gaussmix / sklearn):")
        print(report.plain_table(rows))
    if fit_rows:
        print("\nWhole fit (init_params='kmeans', tol=1e-3, n_init=1, random_state=0):")
        print(report.plain_table(fit_rows, report.FIT_COLUMNS))
    if args.markdown:
        print("\n" + report.markdown_report(info, peaks, rows, fit_rows, settings))
    result = {"machine": info, "gemm_peak_gflops": peaks, "settings": settings, "rows": rows, "whole_fit": fit_rows}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
        log(f"wrote {args.json}")
    return result


if __name__ == "__main__":
    main()
