"""Out-of-core EM: a .npy file source versus the same rows in memory, and Parquet throughput.

Full run (the issue's benchmark; needs ~4 GB of disk, ~12 GB of RAM for the in-memory
reference and the page cache)::

    python benchmarks/outofcore.py                # n=32M, d=16, k=16 full, 5 iterations
    python benchmarks/outofcore.py --quick        # n=200k, 2 iterations, < 1 minute

What it does:

1. writes a float64 ``.npy`` of ``n x d`` rows from a 16-blob mixture, chunk by chunk
   (never holding it), into ``--dir`` (default: a temporary folder, removed after);
2. fixes initial parameters (a short fit on the first 50,000 rows) so every fit starts
   from the same point and runs exactly ``--iters`` iterations (``tol=0``);
3. reads the file once so that it sits in the page cache, then fits in a fresh
   subprocess per case, each sampling its own ``RssAnon`` (private memory) every 20 ms
   from ``/proc/self/status`` and reporting the peak, plus ``VmHWM`` (peak resident
   memory including the file's cached pages, which the kernel can drop):

   * ``npy-source``: ``GaussianMixture(...).fit(gaussmix.from_file(path))``;
   * ``in-memory``: ``np.load(path)`` then ``fit(X)``.  If the array does not fit
     comfortably (less than 2.5x its size available), the first ``--memory-rows`` rows
     are used instead, and seconds per iteration are scaled by ``n / rows`` (EM's cost
     is linear in rows); the report says so;
   * ``parquet-source``: the first ``--parquet-rows`` rows written as Parquet (row
     groups of 131,072 rows), fitted from the file; rows/s per iteration.

Prints one table; the ratio ``npy-source / in-memory`` seconds per iteration is the
number the issue asks for (target <= 1.3, RssAnon <= 300 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np


def peak_rss_anon_sampler():
    """Start a thread sampling RssAnon; return a function giving the peak in MB."""
    peak = [0]

    def read():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
        return 0

    def loop():
        while True:
            peak[0] = max(peak[0], read())
            time.sleep(0.02)

    threading.Thread(target=loop, daemon=True).start()

    def result():
        peak[0] = max(peak[0], read())
        return peak[0] / 1024

    return result


def vm_hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker(mode: str, path: str, params_path: str, iters: int, rows: int) -> None:
    """One fit in this (fresh) process; prints a JSON line."""
    peak = peak_rss_anon_sampler()
    import gaussmix
    from gaussmix import GaussianMixture

    p = np.load(params_path)
    gm = GaussianMixture(int(p["k"]), covariance_type="full", tol=0.0, max_iter=iters,
                         weights_init=p["weights"], means_init=p["means"], precisions_init=p["precisions"])
    if mode == "in-memory":
        X = np.load(path, mmap_mode="r")[:rows] if rows else np.load(path)
        X = np.ascontiguousarray(X)
        data, n = X, X.shape[0]
    else:
        data = gaussmix.from_file(path)
        n = data.n_samples
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm.fit(data)
    seconds = (time.perf_counter() - start) / iters
    print(json.dumps({"mode": mode, "rows": n, "s_per_iter": seconds, "rss_anon_peak_mb": peak(),
                      "vm_hwm_mb": vm_hwm_mb(), "lower_bound": gm.lower_bound_}))


def write_npy(path: Path, n: int, d: int, k: int, seed: int = 0) -> None:
    rng = np.random.RandomState(seed)
    centres = rng.normal(scale=6.0, size=(k, d))
    scales = rng.uniform(0.5, 2.0, size=(k, d))
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, d))
    step = 1 << 20
    for start in range(0, n, step):
        stop = min(n, start + step)
        z = rng.randint(k, size=stop - start)
        out[start:stop] = centres[z] + rng.normal(size=(stop - start, d)) * scales[z]
    out.flush()
    del out


def run_worker(args, mode: str, path: Path, params: Path, rows: int = 0) -> dict:
    cmd = [sys.executable, __file__, "--worker", mode, str(path), str(params), str(args.iters), str(rows)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def mem_available_mb() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="n=200k, 2 iterations (under a minute)")
    parser.add_argument("--n", type=int, default=32_000_000)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the files (default: a temp dir)")
    parser.add_argument("--memory-rows", type=int, default=8_000_000)
    parser.add_argument("--parquet-rows", type=int, default=4_000_000)
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        mode, path, params, iters, rows = args.worker
        return worker(mode, path, params, int(iters), int(rows))
    if args.quick:
        args.n, args.iters, args.parquet_rows, args.memory_rows = 200_000, 2, 100_000, 200_000

    folder = Path(tempfile.mkdtemp(dir=args.dir))
    try:
        path = folder / "rows.npy"
        t = time.perf_counter()
        write_npy(path, args.n, args.d, args.k)
        print(f"wrote {path} ({path.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t:.1f}s", flush=True)

        from gaussmix import GaussianMixture

        sample = np.load(path, mmap_mode="r")[:50_000]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = GaussianMixture(args.k, covariance_type="full", max_iter=3, random_state=0).fit(sample)
        params = folder / "params.npz"
        np.savez(params, k=args.k, weights=start.weights_, means=start.means_, precisions=start.precisions_)

        with open(path, "rb") as f:  # read it all once: into the page cache
            while f.read(1 << 24):
                pass

        file_size_mb = path.stat().st_size / 2**20
        rows = 0 if mem_available_mb() > 2.5 * file_size_mb else min(args.memory_rows, args.n)
        results = [run_worker(args, "npy-source", path, params), run_worker(args, "in-memory", path, params, rows)]
        memory = results[1]
        scaled = memory["s_per_iter"] * args.n / memory["rows"]

        pq_path = folder / "rows.parquet"
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq

            m = min(args.parquet_rows, args.n)
            X = np.load(path, mmap_mode="r")
            with pq.ParquetWriter(pq_path, pa.schema([(f"x{j}", pa.float64()) for j in range(args.d)])) as w:
                for s in range(0, m, 131_072):
                    block = np.asarray(X[s:min(m, s + 131_072)])
                    w.write_table(pa.table({f"x{j}": block[:, j] for j in range(args.d)}), row_group_size=131_072)
            results.append(run_worker(args, "parquet-source", pq_path, params))
        except ImportError:
            print("pyarrow missing: Parquet skipped")

        print(f"\nn={args.n:,} d={args.d} k={args.k} full, {args.iters} iterations, float64, file in page cache")
        print(f"{'case':<16}{'rows':>14}{'s/iter':>10}{'rows/s':>14}{'RssAnon peak MB':>17}{'VmHWM MB':>10}")
        for r in results:
            print(f"{r['mode']:<16}{r['rows']:>14,}{r['s_per_iter']:>10.3f}{r['rows'] / r['s_per_iter']:>14,.0f}"
                  f"{r['rss_anon_peak_mb']:>17.0f}{r['vm_hwm_mb']:>10.0f}")
        note = "" if memory["rows"] == args.n else f" (in-memory on {memory['rows']:,} rows, scaled to n)"
        print(f"\nnpy-source / in-memory seconds per iteration: {results[0]['s_per_iter'] / scaled:.2f}{note}")
        if memory["rows"] == args.n:
            print(f"lower bounds agree: {abs(results[0]['lower_bound'] - memory['lower_bound']):.2e} apart")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
