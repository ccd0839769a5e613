"""Child process of the memory measurement: one fit, peak RSS above the data (JSON on stdout).

Reads a spec from stdin (written by :func:`benchmarks.measure.peak_memory`), generates the
workload's data, builds the estimator, then reads ``VmRSS`` (the baseline: interpreter,
libraries and data), resets the high-water mark with ``echo 5 > /proc/self/clear_refs``
(checked: ``VmHWM`` must drop to ``VmRSS``; otherwise a thread polls ``VmRSS`` every
millisecond instead), fits, and reports ``VmHWM - baseline``.
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import warnings

import numpy as np

from . import measure
from .workloads import Workload, workload_data

_KB = 1024.0


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _rss_kb_fast() -> int:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    import resource

    return pages * resource.getpagesize() // 1024


def _reset_hwm() -> bool:
    """Reset ``VmHWM`` to the current RSS; True when the reset is seen to work."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return _status_kb("VmHWM") <= _status_kb("VmRSS") + 1024


class _Poller(threading.Thread):
    """Fallback: polls RSS every millisecond and keeps the maximum."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = _rss_kb_fast()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.001):
            self.peak = max(self.peak, _rss_kb_fast())


def main() -> None:
    spec = json.loads(sys.stdin.read())
    w = Workload(**spec["workload"])
    inits = {key: np.asarray(v["data"], dtype=v["dtype"]) for key, v in spec["inits"].items()}
    X = workload_data(w)
    est = measure.estimator(spec["lib"], w, spec["max_iter"], inits)
    gc.collect()
    baseline = _status_kb("VmRSS")
    poller = None
    method = "VmHWM after clear_refs"
    if not _reset_hwm():
        method = "RSS polled every 1 ms"
        poller = _Poller()
        poller.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X)
    if poller is None:
        peak = _status_kb("VmHWM")
    else:
        poller.stop.set()
        poller.join()
        peak = max(poller.peak, _rss_kb_fast())
    print(json.dumps({
        "baseline_mb": baseline / _KB,
        "peak_mb": peak / _KB,
        "above_mb": (peak - baseline) / _KB,
        "data_mb": X.nbytes / _KB / _KB,
        "method": method,
        "n_iter": int(est.n_iter_),
    }))


if __name__ == "__main__":
    main()
