"""Fault injection: what a fit, a save or a prediction does when the world breaks under it.

    python benchmarks/faults.py                 # every case (about two minutes on 2 cores)
    python benchmarks/faults.py --quick         # smaller data, the Dask cluster once (under a minute)
    python benchmarks/faults.py --only b,c      # a subset of the groups below
    python benchmarks/faults.py --json out.json

Groups (``docs/reliability.md``, section "Faults", has the results):

a. **Dask worker lost mid-fit** (``LocalCluster``, 2 worker processes on 127.0.0.1): a worker
   killed (SIGKILL) or retired while an EM iteration's tasks run.  Expected: the fit completes
   through Dask's retries with the undisturbed fit's model, bit for bit; or (retries disabled)
   a clear error and the estimator unchanged.
b. **A source file deleted, truncated or replaced mid-fit** (``.npy``, CSV, Parquet), between
   two passes or in the middle of one.  Expected: a clear error (``ValueError`` or ``OSError``
   naming the file) and the estimator unchanged, or a completed fit on the rows it had.
c. **KeyboardInterrupt** between iterations, inside an E-step on a chunk thread, while a stream
   is read, in ``partial_fit``, ``fit_predict``, ``save`` and ``predict(out=...)``, and a real
   SIGINT to a fitting process.  Expected: the estimator keeps its previous fitted state; no
   file is left half-written; BLAS thread limits are restored.
d. **Disk full** while saving a model and while writing predictions with ``out=``: for real in a
   subprocess with ``RLIMIT_FSIZE`` (``SIGXFSZ`` ignored, so writes fail with ``EFBIG``), on a
   128 KiB tmpfs in a private mount namespace (``unshare --user --map-root-user --mount``; no root
   needed where unprivileged user namespaces are allowed; skipped otherwise), and with ``ENOSPC``
   raised by a patched write.  Expected: an ``OSError``, and no partial file left behind (an
   existing file replaced with ``overwrite=True`` stays intact).

Prints a Markdown table, one row per case: what happened, the estimator afterwards, files
left behind, and a verdict (``ok``, or ``FAULT`` where the expectation is not met).  The
fast cases also run in CI (``tests/test_faults.py``).
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: measure the gaussmix next to this file
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import gaussmix  # noqa: E402
from gaussmix import GaussianMixture  # noqa: E402


# ------------------------------------------------------------------ outcomes
@dataclass
class Outcome:
    """One case: what happened and whether that is acceptable."""

    group: str
    case: str
    result: str
    estimator: str = "-"
    leftovers: str = "-"
    ok: bool = False

    def row(self) -> str:
        verdict = "ok" if self.ok else "**FAULT**"
        cells = [self.group, self.case, self.result, self.estimator, self.leftovers, verdict]
        return "| " + " | ".join(c.replace("|", "/").replace("\n", " ") for c in cells) + " |"


def describe(exc: BaseException) -> str:
    text = str(exc).replace(str(Path(tempfile.gettempdir())), "$TMP")
    return f"{type(exc).__name__}: {text[:160]}"


def snapshot(est) -> dict[str, bytes]:
    """Every fitted attribute (and the online state) of an estimator, as bytes."""
    out = {}
    for name, value in vars(est).items():
        if name.endswith("_") and not name.startswith("_") or name == "_online_state":
            if isinstance(value, np.ndarray):
                out[name] = value.dtype.str.encode() + str(value.shape).encode() + value.tobytes()
            else:
                out[name] = repr(value).encode()
    return out


def previous_fit(X, **params) -> GaussianMixture:
    """A fitted estimator whose state a failed fit must keep."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return type_hooked()(**(dict(n_components=2, random_state=1, max_iter=5) | params)).fit(X)


def state_after(est, before: dict) -> str:
    return "unchanged" if snapshot(est) == before else "CHANGED"


def blas_threads() -> list:
    from threadpoolctl import threadpool_info

    return sorted((i["internal_api"], i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas")


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def rows(n: int, d: int = 3, seed: int = 0) -> np.ndarray:
    """Two separated blobs."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    X[: n // 2] += 5.0
    return X


# -------------------------------------------------------------- injection
_HOOKED = {}


def type_hooked():
    """``GaussianMixture`` with a hook called after every EM iteration (fault injection only)."""
    if "cls" not in _HOOKED:
        class Hooked(GaussianMixture):
            hook: Callable[[int], None] | None = None

            def _verbose_iteration(self, n_iter, change):
                if Hooked.hook is not None:
                    Hooked.hook(n_iter)
                super()._verbose_iteration(n_iter, change)

        Hooked.__name__ = "GaussianMixture"
        _HOOKED["cls"] = Hooked
    return _HOOKED["cls"]


@contextmanager
def after_iteration(n: int, action: Callable[[], None]):
    """Run ``action`` once, right after EM iteration ``n`` (on the fitting thread)."""
    cls = type_hooked()
    done = []

    def hook(n_iter):
        if n_iter == n and not done:
            done.append(1)
            action()

    cls.hook = hook
    try:
        yield
    finally:
        cls.hook = None


@contextmanager
def failing_estep(call: int, exc: BaseException, method: str = "stats"):
    """Make the ``call``-th E-step call (on any thread) raise ``exc``."""
    from gaussmix import estimator
    from gaussmix.core import em

    counter = {"n": 0}
    lock = threading.Lock()
    original = em.EStep

    class Failing(original):
        pass

    def wrap(name):
        real = getattr(original, name)

        def fn(self, *args, **kw):
            with lock:
                counter["n"] += 1
                hit = counter["n"] == call
            if hit:
                raise exc
            return real(self, *args, **kw)
        return fn

    setattr(Failing, method, wrap(method))
    em.EStep, estimator.EStep = Failing, Failing
    try:
        yield counter
    finally:
        em.EStep, estimator.EStep = original, original


@contextmanager
def damage_on_pass(source, pass_number: int, action: Callable[[], None], mid_pass: bool):
    """Run ``action`` on the source's ``pass_number``-th read: before it starts, or after its first chunk."""
    real = source._read
    count = {"passes": 0}

    def read():
        count["passes"] += 1
        hit = count["passes"] == pass_number
        if hit and not mid_pass:
            action()
        for i, item in enumerate(real()):
            yield item
            if hit and mid_pass and i == 0:
                action()

    source._read = read
    try:
        yield count
    finally:
        source._read = real


# ----------------------------------------------------- (a) Dask worker lost
def dask_cases(quick: bool) -> list[Outcome]:
    """A worker killed or retired during an iteration; retries allowed, then disabled."""
    try:
        import dask  # noqa: F401
        import dask.array  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        return [Outcome("a", "Dask worker lost", "skipped: dask/distributed not installed", ok=True)]
    cases = [("worker killed (SIGKILL) during iteration 3, retries allowed", "kill", 3, False),
             ("worker killed during iteration 3, blocks persisted on the workers", "kill", 3, True),
             ("worker retired during iteration 3", "retire", 3, False),
             ("worker killed during iteration 3, allowed-failures=0", "kill", 0, False)]
    if quick:
        cases = [cases[0], cases[3]]
    return [dask_case(case, how, allowed, persist, quick) for case, how, allowed, persist in cases]


def dask_case(case: str, how: str, allowed_failures: int, persist: bool, quick: bool) -> Outcome:
    """One fresh cluster: an undisturbed fit, then the same fit with a worker lost in iteration 3."""
    import dask
    import dask.array as da
    import distributed

    tmp = tempfile.mkdtemp(prefix="gaussmix-faults-dask-")
    n = 100_000 if quick else 400_000
    X = da.from_array(rows(n, 4), chunks=(n // 8, 4))
    params = dict(n_components=2, random_state=0, tol=0.0, max_iter=5)
    config = {"temporary-directory": tmp, "distributed.scheduler.allowed-failures": allowed_failures}
    try:
        with dask.config.set(config):
            cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                               dashboard_address="127.0.0.1:0", silence_logs=50)
            client = distributed.Client(cluster)
            try:
                if persist:  # the rows live on the workers: a lost worker's blocks are recomputed from the graph
                    X = X.persist()
                    distributed.wait(X)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    reference = snapshot(GaussianMixture(**params).fit(X))

                def lose_a_worker():
                    if how == "kill":
                        pid = sorted(client.run(os.getpid).items())[0][1]
                        os.kill(pid, signal.SIGKILL)
                    else:
                        client.retire_workers([sorted(client.scheduler_info()["workers"])[0]], close_workers=True)

                est = previous_fit(rows(500, 4, seed=9))
                before = snapshot(est)
                # Called after iteration 2 on the fitting thread: act 50 ms into iteration 3's tasks.
                with after_iteration(2, lambda: threading.Timer(0.05, lose_a_worker).start()), \
                        warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        est.set_params(**params).fit(X)
                    except Exception as exc:
                        state = state_after(est, before)
                        return Outcome("a", case, describe(exc), state, ok=state == "unchanged")
                same = snapshot(est) == reference
                return Outcome("a", case, "completed; model " + ("bit-identical to the undisturbed fit" if same
                                                                 else "DIFFERS from the undisturbed fit"),
                               "the new fit", ok=same)
            finally:
                client.close()
                cluster.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------- (b) source file faults
def write_file(path: Path, X: np.ndarray) -> None:
    fmt = path.suffix
    if fmt == ".npy":
        np.save(path, X)
    elif fmt == ".csv":
        with open(path, "w") as fh:
            fh.write(",".join(f"x{j}" for j in range(X.shape[1])) + "\n")
            np.savetxt(fh, X, delimiter=",", fmt="%.17g")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({f"x{j}": X[:, j] for j in range(X.shape[1])}), path,
                       row_group_size=max(1, len(X) // 8))


FILE_ACTIONS = ("deleted", "truncated to half", "truncated mid-row", "replaced by other rows")


def file_action(path: Path, action: str, X: np.ndarray) -> Callable[[], None]:
    def truncate(fraction):
        size = path.stat().st_size
        with open(path, "r+b") as fh:
            fh.truncate(int(size * fraction))

    if action == "deleted":
        return lambda: path.unlink()
    if action == "truncated to half":
        return lambda: truncate(0.5)
    if action == "truncated mid-row":
        return lambda: truncate(0.5003)

    def replace():
        other = path.with_name("other" + path.suffix)
        write_file(other, X[::-1] * 2.0)  # the same number of rows, other values
        os.replace(other, path)
    return replace


def file_case(fmt: str, action: str, mid_pass: bool, n: int, folder: Path) -> Outcome:
    """Fit a file source and damage the file on the third pass; report what happened."""
    case = f"{fmt}: {action} {'mid-pass' if mid_pass else 'between passes'}"
    if fmt == "npy" and action.startswith("truncated"):
        return child_outcome("b", case, ["npy-truncate", str(int(mid_pass)), str(n)])
    X = rows(n)
    path = folder / f"rows.{fmt}"
    write_file(path, X)
    params = dict(n_components=2, random_state=0, tol=0.0, max_iter=4, chunk_size=max(1, n // 10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        undisturbed = snapshot(GaussianMixture(**params).fit(gaussmix.from_file(path)))
    est = previous_fit(X[:300] + 1.0)
    before = snapshot(est)
    source = gaussmix.from_file(path)
    try:
        with damage_on_pass(source, 3, file_action(path, action, X), mid_pass), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.set_params(**params).fit(source)
    except Exception as exc:
        state = state_after(est, before)
        named = str(path) in str(exc)
        clear = isinstance(exc, (ValueError, OSError))
        result = describe(exc) + ("" if named else " (message does not name the file)")
        return Outcome("b", case, result, state, ok=clear and named and state == "unchanged")
    finally:
        for p in folder.iterdir():
            p.unlink()
    if snapshot(est) == undisturbed:  # e.g. a memory map still holding the old file's pages
        return Outcome("b", case, "completed on the rows the file had when the fit began (the undisturbed fit, "
                       "bit for bit)", "the new fit", ok=True)
    return Outcome("b", case, "completed silently on a mix of the old and the new rows", "the new fit", ok=False)


def npy_truncate_child(mid_pass: bool, n: int) -> dict:
    """In a child process: a .npy source truncated on the third pass (a memory map: SIGBUS?)."""
    folder = Path(tempfile.mkdtemp(prefix="gaussmix-faults-"))
    try:
        X = rows(n)
        path = folder / "rows.npy"
        write_file(path, X)
        est = previous_fit(X[:300] + 1.0)
        before = snapshot(est)
        source = gaussmix.from_file(path, chunk_rows=max(1, n // 10))
        try:
            with damage_on_pass(source, 3, file_action(path, "truncated to half", X), mid_pass), \
                    warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.set_params(n_components=2, random_state=0, tol=0.0, max_iter=4).fit(source)
        except Exception as exc:
            state = state_after(est, before)
            return dict(result=describe(exc), estimator=state,
                        ok=isinstance(exc, (ValueError, OSError)) and state == "unchanged")
        return dict(result="completed on rows past the end of the file", estimator="the new fit", ok=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def file_cases(quick: bool) -> list[Outcome]:
    try:
        import pyarrow  # noqa: F401
        formats = ("npy", "csv", "parquet")
    except ImportError:
        formats = ("npy",)
    n = 20_000 if quick else 200_000  # CSV larger than pyarrow's read-ahead, so mid-pass damage shows
    folder = Path(tempfile.mkdtemp(prefix="gaussmix-faults-"))
    try:
        return [file_case(fmt, action, mid, n, folder) for fmt in formats for action in FILE_ACTIONS
                for mid in (False, True)
                if not (action == "truncated mid-row" and fmt != "csv")]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------ (c) interrupts
def interrupt_fit(where: str, n_jobs: int = 2, n: int = 4000) -> Outcome:
    """KeyboardInterrupt during ``fit``; the estimator must keep its previous fitted state."""
    X = rows(n)
    est = previous_fit(X[:300] + 1.0, n_jobs=n_jobs)
    before, threads = snapshot(est), blas_threads()
    params = dict(n_components=3, random_state=0, tol=0.0, max_iter=8, chunk_size=256, n_jobs=n_jobs)
    est.set_params(**params)

    def raise_interrupt():
        raise KeyboardInterrupt

    if where == "between iterations":
        context, data = after_iteration(3, raise_interrupt), X
    elif where == "in an E-step on a chunk thread":
        context, data = failing_estep(20, KeyboardInterrupt()), X
    elif where == "while a stream is read":
        def chunks(state={"passes": 0}):
            state["passes"] += 1
            for i in range(0, n, 500):
                if state["passes"] == 4 and i == 1500:
                    raise KeyboardInterrupt
                yield X[i:i + 500]
        context, data = _nothing(), gaussmix.from_chunks(chunks)
    else:
        raise ValueError(where)
    try:
        with context, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(data)
        return Outcome("c", f"fit, n_jobs={n_jobs}: {where}", "not interrupted (injection missed)", ok=False)
    except KeyboardInterrupt:
        state, after = state_after(est, before), blas_threads()
        restored = "BLAS threads restored" if after == threads else f"BLAS threads {threads} -> {after}"
        return Outcome("c", f"fit, n_jobs={n_jobs}: {where}", f"KeyboardInterrupt propagated; {restored}", state,
                       ok=state == "unchanged" and after == threads)


@contextmanager
def _nothing():
    yield


def interrupt_partial_fit() -> Outcome:
    X = rows(2000)
    est = GaussianMixture(2, random_state=0, n_jobs=2, chunk_size=128)
    est.partial_fit(X[:1000])
    before = snapshot(est)
    try:
        with failing_estep(3, KeyboardInterrupt()):
            est.partial_fit(X[1000:])
        return Outcome("c", "partial_fit: in an E-step", "not interrupted", ok=False)
    except KeyboardInterrupt:
        state = state_after(est, before)
        return Outcome("c", "partial_fit: in an E-step", "KeyboardInterrupt propagated", state,
                       ok=state == "unchanged")


def interrupt_fit_predict() -> Outcome:
    """Interrupted in the final E-step that computes the labels, after the fit completed."""
    X = rows(3000)
    est = previous_fit(X[:300] + 1.0)
    est.set_params(n_components=2, random_state=0, chunk_size=256, n_jobs=2)
    reference = GaussianMixture(**est.get_params()).fit(X)
    try:
        # ... the labels' E-step runs after every EM pass: find its calls by counting
        with failing_estep(1, KeyboardInterrupt(), method="predict"):
            est.fit_predict(X)
        return Outcome("c", "fit_predict: in the final labelling pass", "not interrupted", ok=False)
    except KeyboardInterrupt:
        complete = snapshot(est) == snapshot(reference)
        return Outcome("c", "fit_predict: in the final labelling pass", "KeyboardInterrupt propagated",
                       "the complete new fit (labels not returned)" if complete else "HALF-UPDATED", ok=complete)


def interrupt_save() -> Outcome:
    import zipfile

    folder = Path(tempfile.mkdtemp(prefix="gaussmix-faults-"))
    est = previous_fit(rows(500))
    real = zipfile.ZipFile.writestr
    calls = {"n": 0}

    def writestr(self, *args, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, *args, **kw)

    zipfile.ZipFile.writestr = writestr
    try:
        gaussmix.save(est, folder / "model.gmm")
        return Outcome("c", "save: mid-write", "not interrupted", ok=False)
    except KeyboardInterrupt:
        left = files_in(folder)
        return Outcome("c", "save: mid-write", "KeyboardInterrupt propagated", leftovers=", ".join(left) or "none",
                       ok=not left)
    finally:
        zipfile.ZipFile.writestr = real
        shutil.rmtree(folder, ignore_errors=True)


def failing_prediction(exc: BaseException, method: str = "predict_proba") -> Outcome:
    """``predict_proba(X, out=...)`` failing part-way (an interrupt, or a write error)."""
    folder = Path(tempfile.mkdtemp(prefix="gaussmix-faults-"))
    X = rows(5000)
    est = GaussianMixture(2, random_state=0, chunk_size=500, n_jobs=2).fit(X)
    name = type(exc).__name__ if not isinstance(exc, OSError) else f"OSError({errno.errorcode[exc.errno]})"
    case = f"{method}(out=...): {name} after 3 of 10 chunks"
    try:
        with failing_estep(4, exc, method="responsibilities" if method == "predict_proba" else method):
            getattr(est, method)(X, out=folder / "out.npy")
        return Outcome("c" if isinstance(exc, KeyboardInterrupt) else "d", case, "not interrupted", ok=False)
    except BaseException as caught:
        if caught is not exc:
            raise
        left = files_in(folder)
        detail = ", ".join(left) or "none"
        if left:
            loaded = np.load(folder / left[0])
            detail += f" ({loaded.shape} rows readable, {int(np.all(loaded == 0, axis=-1).sum())} all-zero)"
        return Outcome("c" if isinstance(exc, KeyboardInterrupt) else "d", case, f"{type(exc).__name__} propagated",
                       leftovers=detail, ok=not left)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sigint_child() -> dict:
    """In a child: a long fit on 2 threads that the parent interrupts with a real SIGINT."""
    X = rows(400_000, 8)
    est = previous_fit(X[:1000] + 1.0, n_jobs=2)
    before, threads = snapshot(est), blas_threads()
    est.set_params(n_components=4, covariance_type="full", random_state=0, tol=0.0, max_iter=10_000, n_jobs=2)
    with after_iteration(1, lambda: print("ITERATING", flush=True)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(X)
            return dict(result="finished before the signal", ok=False)
        except KeyboardInterrupt:
            state = state_after(est, before)
            ok_threads = blas_threads() == threads
            return dict(result="KeyboardInterrupt propagated; BLAS threads "
                        + ("restored" if ok_threads else "NOT restored"), estimator=state,
                        ok=state == "unchanged" and ok_threads)


def real_sigint(quick: bool) -> Outcome:
    case = "fit, n_jobs=2: a real SIGINT to the process"
    proc = subprocess.Popen([sys.executable, __file__, "--child", "sigint"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=child_env())
    try:
        line = proc.stdout.readline()
        if "ITERATING" not in line:
            return Outcome("c", case, f"child did not start: {line!r} {proc.stderr.read()[-300:]}", ok=False)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        return Outcome("c", case, "HANG: the child did not stop within 120 s of SIGINT", ok=False)
    return outcome_from_child("c", case, proc.returncode, out, err)


def interrupt_cases(quick: bool) -> list[Outcome]:
    out = [interrupt_fit(where, n_jobs) for where in ("between iterations", "in an E-step on a chunk thread",
                                                      "while a stream is read") for n_jobs in (1, 2)]
    out += [interrupt_partial_fit(), interrupt_fit_predict(), interrupt_save(),
            failing_prediction(KeyboardInterrupt()), real_sigint(quick)]
    return out


# ------------------------------------------------------------ (d) disk full
DISK_TARGETS = ("save", "save overwrite=True", "predict(out=)", "predict_proba(out=)")


def disk_child(target: str, folder: str, limit: int | None) -> dict:
    """In a child: write ``target`` into ``folder`` (optionally under RLIMIT_FSIZE=limit)."""
    import resource

    folder = Path(folder)
    X = rows(20_000, 30)
    # A model of ~300 KB (40 full 30x30 covariances), more than the limits; made without fitting.
    k, rng = 40, np.random.RandomState(0)
    A = rng.normal(size=(k, 30, 30))
    est = GaussianMixture(k, max_iter=0, weights_init=np.full(k, 1 / k), means_init=X[rng.choice(len(X), k)],
                          precisions_init=A @ A.transpose(0, 2, 1) / 30 + np.eye(30))  # random: incompressible
    est.fit(X)
    old = b""
    if target == "save overwrite=True":
        small = GaussianMixture(1).fit(X[:50])
        gaussmix.save(small, folder / "model.gmm")
        old = (folder / "model.gmm").read_bytes()
    if limit is not None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        if target.startswith("save"):
            gaussmix.save(est, folder / "model.gmm", overwrite=target.endswith("True"))
        elif target == "predict(out=)":
            est.predict(X, out=folder / "labels.npy")
        else:
            est.predict_proba(X, out=folder / "proba.npy")
        result, error = "completed (no fault: the limit was not reached)", None
    except BaseException as exc:
        result, error = describe(exc), exc
    left = [p for p in files_in(folder) if not (target == "save overwrite=True" and p == "model.gmm")]
    intact = target != "save overwrite=True" or error is None or (folder / "model.gmm").read_bytes() == old
    detail = ", ".join(left) or "none"
    if target == "save overwrite=True":
        detail += "; the old model.gmm " + ("replaced" if error is None else "intact" if intact else "DAMAGED")
    return dict(result=result, leftovers=detail, ok=isinstance(error, OSError) and not left and intact)


def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    env["PYTHONWARNINGS"] = "ignore"
    return env


def outcome_from_child(group: str, case: str, returncode: int, out: str, err: str) -> Outcome:
    if returncode < 0 or returncode > 128:
        number = -returncode if returncode < 0 else returncode - 128
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        return Outcome(group, case, f"process killed by {name} (crash)", ok=False)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if returncode != 0 or not lines:
        return Outcome(group, case, f"child failed (rc={returncode}): {err.strip()[-200:]}", ok=False)
    return Outcome(group, case, **json.loads(lines[-1]))


def child_outcome(group: str, case: str, args: list[str], wrap: list[str] | None = None) -> Outcome:
    done = subprocess.run([*(wrap or []), sys.executable, __file__, "--child", *args], capture_output=True,
                          text=True, env=child_env(), timeout=600)
    return outcome_from_child(group, case, done.returncode, done.stdout, done.stderr)


def namespace_tmpfs_available() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                            "mount -t tmpfs -o size=64k tmpfs /tmp"], capture_output=True)
    return probe.returncode == 0


def disk_cases(quick: bool) -> list[Outcome]:
    out = []
    for target in DISK_TARGETS:
        folder = Path(tempfile.mkdtemp(prefix="gaussmix-faults-"))
        try:
            out.append(child_outcome("d", f"{target}: RLIMIT_FSIZE 64 KiB", ["disk", target, str(folder), "65536"]))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if namespace_tmpfs_available():
        for target in DISK_TARGETS:
            mount = Path(tempfile.mkdtemp(prefix="gaussmix-faults-tmpfs-"))
            script = (f"mount -t tmpfs -o size=128k tmpfs {mount} && exec \"$0\" \"$@\"")
            try:
                out.append(child_outcome("d", f"{target}: full 128 KiB tmpfs (ENOSPC)",
                                         ["disk", target, str(mount), "none"],
                                         wrap=["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script]))
            finally:
                shutil.rmtree(mount, ignore_errors=True)
    else:
        out.append(Outcome("d", "full tmpfs", "skipped: no unprivileged mount namespace here", ok=True))
    out += [enospc_save("in a member's write"), enospc_save("in fsync"),
            failing_prediction(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))]
    return out


def enospc_save(where: str) -> Outcome:
    """``save`` with ENOSPC raised by a patched write (the CI variant)."""
    import zipfile

    folder = Path(tempfile.mkdtemp(prefix="gaussmix-faults-"))
    est = previous_fit(rows(500))
    error = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    real_write, real_fsync = zipfile.ZipFile.writestr, os.fsync

    def writestr(self, name, *args, **kw):
        if name == "covariances.npy":
            raise error
        return real_write(self, name, *args, **kw)

    def fsync(fd):
        raise error

    if where == "in fsync":
        os.fsync = fsync
    else:
        zipfile.ZipFile.writestr = writestr
    try:
        gaussmix.save(est, folder / "model.gmm")
        return Outcome("d", f"save: ENOSPC {where} (patched)", "completed", ok=False)
    except OSError as exc:
        left = files_in(folder)
        return Outcome("d", f"save: ENOSPC {where} (patched)", describe(exc), leftovers=", ".join(left) or "none",
                       ok=exc is error and not left)
    finally:
        zipfile.ZipFile.writestr, os.fsync = real_write, real_fsync
        shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------- main
GROUPS = {"a": dask_cases, "b": file_cases, "c": interrupt_cases, "d": disk_cases}


def child_main(args: list[str]) -> None:
    kind = args[0]
    if kind == "npy-truncate":
        result = npy_truncate_child(bool(int(args[1])), int(args[2]))
    elif kind == "sigint":
        result = sigint_child()
    elif kind == "disk":
        result = disk_child(args[1], args[2], None if args[3] == "none" else int(args[3]))
    else:
        raise SystemExit(f"unknown child {kind}")
    print(json.dumps(result), flush=True)


def run(groups: str = "abcd", quick: bool = False, log=None) -> list[Outcome]:
    outcomes = []
    for group in groups:
        start = time.perf_counter()
        try:
            found = GROUPS[group](quick)
        except Exception as exc:  # a broken harness is reported, not hidden
            found = [Outcome(group, "harness", f"{describe(exc)}\n{traceback.format_exc()[-400:]}", ok=False)]
        if log:
            log(f"group {group}: {len(found)} cases in {time.perf_counter() - start:.1f}s")
        outcomes += found
    return outcomes


def markdown(outcomes: list[Outcome]) -> str:
    lines = ["| group | case | what happened | estimator after | files left | verdict |",
             "|---|---|---|---|---|---|"]
    lines += [o.row() for o in outcomes]
    bad = sum(not o.ok for o in outcomes)
    lines.append(f"\n{len(outcomes)} cases, {len(outcomes) - bad} ok, {bad} FAULT")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child_main(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer Dask cases (under a minute)")
    parser.add_argument("--only", default="abcd", help="groups to run, e.g. 'b,c' (default: all of a, b, c, d)")
    parser.add_argument("--json", metavar="PATH", help="also write the outcomes as JSON")
    args = parser.parse_args(argv)
    groups = "".join(g for g in args.only if g in GROUPS)
    if not groups or any(g not in GROUPS and g not in ", " for g in args.only):
        parser.error(f"--only: choose among {', '.join(GROUPS)}")
    outcomes = run(groups, args.quick, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(markdown(outcomes))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(o) for o in outcomes], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
