"""Row chunks on threads, with results that do not depend on the number of threads.

Each chunk's work is a handful of matrix products too small for BLAS's own threads to
pay off (two BLAS threads contending on small products can be several times *slower*
than one), so chunks run on a thread pool while BLAS is held to one thread.  Results
are consumed in chunk order, so a reduction adds them in the same order whatever the
thread count: the answer is bit-identical for ``n_jobs=1`` and ``n_jobs=8``.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_controller = None

_scratch = threading.local()


def scratch(name: str, shape: tuple[int, ...], dtype) -> "np.ndarray":
    """A per-thread NumPy work array of ``shape`` (uninitialised), reused across chunks and iterations.

    Chunk kernels write large temporaries (a chunk's design, padded responsibilities) once per
    chunk; reusing one buffer per thread and ``name`` spares fresh pages for each.  The buffer
    grows when a larger one is asked for.

    Examples
    --------
    >>> a = scratch("example", (2, 3), "float64")
    >>> a.shape, scratch("example", (3, 2), "float64").base is a.base
    ((2, 3), True)
    """
    import numpy as np

    size = 1
    for n in shape:
        size *= int(n)
    buf = getattr(_scratch, name, None)
    if buf is None or buf.dtype != np.dtype(dtype) or buf.size < size:
        buf = np.empty(size, dtype=dtype)
        setattr(_scratch, name, buf)
    return buf[:size].reshape(shape)


def available_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def effective_n_jobs(n_jobs: int | None) -> int:
    """``None`` -> every available CPU; a negative value counts back from it (-1 = all)."""
    cpus = available_cpus()
    if n_jobs is None:
        return cpus
    if n_jobs < 0:
        return max(1, cpus + 1 + n_jobs)
    return max(1, int(n_jobs))


_limit_lock = threading.Lock()
_limit_depth = 0
_limit_context = None


@contextmanager
def single_threaded_blas():
    """Hold BLAS to one thread inside the block (process-wide, restored after).

    Reference-counted: threads that enter concurrently (Dask worker threads, fits
    started from several threads) share one limit, and the BLAS thread count is
    restored when the last of them leaves, not when the first does.
    """
    global _controller, _limit_depth, _limit_context
    from threadpoolctl import ThreadpoolController

    with _limit_lock:
        if _limit_depth == 0:
            if _controller is None:
                _controller = ThreadpoolController()
            _limit_context = _controller.limit(limits=1, user_api="blas")
        _limit_depth += 1
    try:
        yield
    finally:
        with _limit_lock:
            _limit_depth -= 1
            if _limit_depth == 0:
                _limit_context.restore_original_limits()
                _limit_context = None


def ordered_map(fn: Callable[[T], R], items: Iterable[T], n_jobs: int | None) -> Iterator[R]:
    """``fn(item)`` for each item, yielded in the items' order.

    At most ``2 * threads`` items are in flight, so a lazy ``items`` (chunks read from a
    file) is never read far ahead.  Exceptions propagate in order.
    """
    n_threads = effective_n_jobs(n_jobs)
    with single_threaded_blas():
        if n_threads == 1:
            for item in items:
                yield fn(item)
            return
        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            pending: deque = deque()
            try:
                for item in items:
                    pending.append(pool.submit(fn, item))
                    if len(pending) >= 2 * n_threads:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:
                    future.cancel()


def ordered_reduce(fn: Callable[[T], R], items: Iterable[T], n_jobs: int | None) -> R | None:
    """``fn(item)`` summed with ``+`` in the items' order (None when there are none)."""
    total = None
    for part in ordered_map(fn, items, n_jobs):
        total = part if total is None else total + part
    return total
