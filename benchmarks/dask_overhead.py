"""Dask-distributed EM: per-iteration overhead over the in-memory fit.

    python benchmarks/dask_overhead.py            # W2: n=1M, d=16, k=16 full, 5 iterations
    python benchmarks/dask_overhead.py --quick    # n=50k, 2 iterations (under a minute)

A ``distributed.LocalCluster`` with 2 worker processes (1 thread each) on 127.0.0.1
holds the rows, persisted in ``--blocks`` row blocks (scattered once, before timing).
Both fits start from the same fixed parameters and run exactly ``--iters`` iterations
(``tol=0``).  Reported: seconds per iteration in memory (this process, all BLAS
threads) and on the cluster, their difference (the overhead: scheduling, shipping the
E-step's parameters to the blocks and the statistics back, the client's M-step), and the
difference of the lower bounds (same answer).  See docs/scaling.md for the paper
estimate of bytes moved per iteration.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings

import numpy as np


def make_rows(n: int, d: int, k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.RandomState(seed)
    centres = rng.normal(scale=6.0, size=(k, d))
    z = rng.randint(k, size=n)
    return centres[z] + rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=(k, d))[z]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--blocks", type=int, default=8)
    args = parser.parse_args()
    if args.quick:
        args.n, args.iters = 50_000, 2

    import dask
    import dask.array as da
    import distributed

    from gaussmix import GaussianMixture

    X = make_rows(args.n, args.d, args.k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = GaussianMixture(args.k, max_iter=3, random_state=0).fit(X[:50_000])
    kw = dict(covariance_type="full", tol=0.0, max_iter=args.iters, weights_init=start.weights_,
              means_init=start.means_, precisions_init=start.precisions_)

    def timed(data):
        gm = GaussianMixture(args.k, **kw)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm.fit(data)
        return (time.perf_counter() - t) / args.iters, gm.lower_bound_

    memory_s, memory_bound = timed(X)
    with dask.config.set({"temporary-directory": tempfile.mkdtemp()}), distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    ) as cluster, distributed.Client(cluster) as client:
        Xd = client.persist(da.from_array(X, chunks=(-(-args.n // args.blocks), args.d)))
        distributed.wait(Xd)
        timed(Xd.blocks[:1])  # warm the workers (imports)
        dask_s, dask_bound = timed(Xd)

    print(f"n={args.n:,} d={args.d} k={args.k} full, {args.iters} iterations, {args.blocks} blocks, "
          "2 worker processes x 1 thread")
    print(f"in-memory      {memory_s:8.3f} s/iter")
    print(f"dask cluster   {dask_s:8.3f} s/iter")
    print(f"overhead       {dask_s - memory_s:+8.3f} s/iter  (ratio {dask_s / memory_s:.2f})")
    print(f"lower bounds differ by {abs(dask_bound - memory_bound):.2e}")


if __name__ == "__main__":
    main()
