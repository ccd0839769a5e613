"""Fuzzing ``gaussmix.load`` and the file readers (``gaussmix.from_file``) with Hypothesis.

    python benchmarks/fuzz.py                     # 60 s, split over the targets
    python benchmarks/fuzz.py --seconds 600       # a longer run
    python benchmarks/fuzz.py --targets load,csv --seconds 30 --out findings/

Targets and what is generated (Hypothesis strategies; atheris is not used):

* ``load``: model files.  Random bytes; valid files (every covariance type, with and without
  feature names) truncated, with bits flipped or byte ranges overwritten; zips rebuilt with
  header fields replaced by arbitrary JSON (wrong types, huge or negative numbers, newer
  format versions, unknown fields), members dropped, duplicated, renamed or added, arrays
  replaced (other dtypes and byte orders, pickled objects, other shapes, NaN/inf, negative
  weights, indefinite covariances), ``.npy`` headers declaring huge shapes, zip bombs
  (200 MB of zeros in 200 KB), stored/deflated/bzip2/lzma members.
* ``csv``, ``parquet``, ``npy``: data files.  Valid files mutated at the byte level, and
  files built from arbitrary values and column types (text, booleans, nulls, NaN/inf,
  1e308, nested and dictionary columns for Parquet, pickled objects and odd headers for
  ``.npy``), read by ``from_file`` (with or without ``columns=``/``weights_column=``) and
  fitted (``GaussianMixture(k, max_iter=3)``), then predicted.

The only acceptable outcomes are success (a loaded model must then predict finite values;
a fit must give finite parameters) or the documented exceptions: ``ModelFileError`` and
``FileNotFoundError`` for ``load``; ``ValueError`` and ``TypeError`` for the readers.
Anything else is a *finding*: another exception, a ``RuntimeWarning``, a crash of the
process (each target runs in a child process that is restarted), an input taking more than
10 s, or more than 1 GB of extra memory (a bomb).  Each finding is printed with the file
that reproduces it (kept in ``--out``) and a one-line command.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: fuzz the gaussmix next to this file
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

TARGETS = ("load", "csv", "parquet", "npy")
EXAMPLE_SECONDS = 10
MEMORY_LIMIT_MB = 1024
SUFFIX = {"load": ".gmm", "csv": ".csv", "parquet": ".parquet", "npy": ".npy"}


# =============================================================== inputs
def _npy_bytes(array, allow_pickle=False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _declare_size(data: bytes, name: str, size: int) -> bytes:
    """The zip ``data`` with member ``name``'s uncompressed size declared as ``size`` (a lie)."""
    data = bytearray(data)
    encoded = name.encode()
    at = 0
    while (at := data.find(b"PK\x03\x04", at)) >= 0:  # local file headers: size at +22
        if data[at + 30:at + 30 + len(encoded)] == encoded:
            data[at + 22:at + 26] = size.to_bytes(4, "little")
        at += 4
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:  # central directory: size at +24
        if data[at + 46:at + 46 + len(encoded)] == encoded:
            data[at + 24:at + 28] = size.to_bytes(4, "little")
        at += 4
    return bytes(data)


def _zip(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``(name, bytes[, compress_type])`` members, duplicates allowed."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names
        with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
            for member in members:
                name, data = member[0], member[1]
                zf.writestr(name, data, compress_type=member[2] if len(member) > 2 else None)
    return buffer.getvalue()


class Seeds:
    """Valid inputs to mutate, made once per process."""

    def __init__(self, folder: Path, bombs: bool = True):
        import gaussmix
        from gaussmix import GaussianMixture

        rng = np.random.RandomState(0)
        X = np.r_[rng.normal(size=(60, 3)), rng.normal(size=(60, 3)) + 4]
        self.models = []
        for i, covariance_type in enumerate(("full", "tied", "diag", "spherical")):
            gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0, max_iter=20)
            if i == 0:
                import pandas as pd

                gm.fit(pd.DataFrame(X, columns=["a", "b", "c"]))
            else:
                gm.fit(X)
            path = gaussmix.save(gm, folder / f"seed-{covariance_type}.gmm")
            self.models.append(path.read_bytes())
        self.model_parts = []
        for data in self.models:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                self.model_parts.append({name: zf.read(name) for name in zf.namelist()})
        self.X = X
        # Zip bombs: one member holding 200 MB of zeros (deflated to ~200 KB), its size declared
        # honestly or as a lie (a few bytes), in each position a reader meets first.
        zeros = b"\0" * (200 << 20) if bombs else b""
        self.bombs = []
        for name in ("header.json", "weights.npy", "covariances.npy") if bombs else ():
            parts = dict(self.model_parts[0])
            parts[name] = zeros
            honest = _zip(parts.items(), zipfile.ZIP_DEFLATED)
            self.bombs += [honest, _declare_size(honest, name, 100)]
        del zeros

        table = "x0,x1,x2,w\n" + "\n".join(",".join(f"{v:.6g}" for v in row) + f",{abs(row[0]) + 0.1:.3g}"
                                           for row in X[:40])
        self.csv = (table + "\n").encode()
        self.npy = _npy_bytes(X[:40])
        self.parquet = self.parquet_bytes({f"x{j}": X[:40, j] for j in range(3)} | {"w": np.abs(X[:40, 0]) + 0.1})

    @staticmethod
    def parquet_bytes(columns: dict, row_group_size=None) -> bytes:
        import pyarrow as pa
        import pyarrow.parquet as pq

        buffer = io.BytesIO()
        pq.write_table(pa.table(columns), buffer, row_group_size=row_group_size)
        return buffer.getvalue()


def strategies(seeds: Seeds):
    """The Hypothesis strategy of each target: bytes of a file."""
    from hypothesis import strategies as st

    def mutate(base: bytes):
        """Byte-level mutations of ``base``: truncate, flip bits, overwrite, insert, delete."""
        @st.composite
        def mutated(draw):
            data = bytearray(base)
            for _ in range(draw(st.integers(1, 4))):
                kind = draw(st.sampled_from(["truncate", "flip", "overwrite", "insert", "delete", "flip"]))
                if not data:
                    break
                at = draw(st.integers(0, len(data) - 1))
                if kind == "truncate":
                    del data[at:]
                elif kind == "flip":
                    data[at] ^= 1 << draw(st.integers(0, 7))
                elif kind == "overwrite":
                    chunk = draw(st.binary(min_size=1, max_size=16))
                    data[at:at + len(chunk)] = chunk
                elif kind == "insert":
                    data[at:at] = draw(st.binary(min_size=1, max_size=64))
                else:
                    del data[at:at + draw(st.integers(1, 64))]
            return bytes(data)
        return mutated()

    json_values = st.recursive(
        st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=12),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=8)
    dtypes = st.sampled_from(["<f8", ">f8", "<f4", "<f2", "<i8", "<u1", "|b1", "<c16", "<U3", "O", "<M8[s]", "V8"])

    @st.composite
    def arrays(draw):
        shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
        dtype = draw(dtypes)
        n = int(np.prod(shape, dtype=np.int64))
        values = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=n, max_size=n))
        base = np.array(values, dtype=np.float64).reshape(shape)
        if dtype == "O":
            return _npy_bytes(np.array([object()] * n, dtype=object).reshape(shape) if draw(st.booleans())
                              else base.astype(object), allow_pickle=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                array = base.astype(dtype)
            except (TypeError, ValueError):
                array = np.zeros(shape, dtype=dtype)
        if draw(st.booleans()) and array.ndim > 1:
            array = np.asfortranarray(array)
        return _npy_bytes(array)

    @st.composite
    def npy_header_lies(draw):
        """A .npy header declaring a shape (or dtype) that its few bytes of data do not hold."""
        shape = draw(st.sampled_from(["(10**12,)", "(2, 3)", "(-1,)", "(2**62, 2**62)", "()", "(2, 'a')", "[2]"]))
        shape = str(eval(shape)) if "**" in shape else shape  # noqa: S307 - our own literals
        descr = draw(st.sampled_from(["'<f8'", "'|O'", "'<f8, <f8'", "[('a', '<f8')]", "'>f8'", "'zz'", "1"]))
        fortran = draw(st.sampled_from(["False", "True", "'no'"]))
        header = f"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}"
        header = header.ljust(118) + "\n"
        return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + draw(st.binary(max_size=64))

    @st.composite
    def rebuilt_models(draw):
        """A zip rebuilt from a valid model with members and header fields replaced."""
        parts = dict(draw(st.sampled_from(seeds.model_parts)))
        header = json.loads(parts["header.json"])
        header_text = None
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(["field", "field", "version", "shape", "param", "drop", "extra", "array",
                                         "array", "npy lie", "rename", "header text"]))
            if kind == "field":
                field = draw(st.sampled_from(sorted(header) + ["extra_field"]))
                if draw(st.booleans()) and field in header:
                    del header[field]
                else:
                    header[field] = draw(json_values)
            elif kind == "version":
                header["format_version"] = draw(st.sampled_from([2, 99, 0, -1, 2**63, 1.0, "1", True, None]))
            elif kind == "shape":
                header[draw(st.sampled_from(["n_components", "n_features", "n_iter"]))] = draw(
                    st.sampled_from([0, 1, 3, 10**6, 10**6 + 1, 2**31, 2**63, 10**30, -1]))
            elif kind == "param":
                if isinstance(header.get("params"), dict):
                    header["params"][draw(st.sampled_from(["tol", "reg_covar", "max_iter", "covariance_type",
                                                           "random_state", "device", "n_jobs", "evil"]))] = \
                        draw(json_values)
            elif kind == "drop" and parts:
                parts.pop(draw(st.sampled_from(sorted(parts))))
            elif kind == "extra":
                parts[draw(st.sampled_from(["../escape.npy", "payload.py", "means.npy/", "header.json ", "x" * 300]))] = \
                    draw(st.binary(max_size=32))
            elif kind == "array":
                parts[draw(st.sampled_from(["weights.npy", "means.npy", "covariances.npy", "lower_bounds.npy"]))] = \
                    draw(arrays())
            elif kind == "npy lie":
                parts[draw(st.sampled_from(["weights.npy", "means.npy", "covariances.npy"]))] = draw(npy_header_lies())
            elif kind == "rename" and parts:
                name = draw(st.sampled_from(sorted(parts)))
                parts[name.upper()] = parts.pop(name)
            elif kind == "header text":
                header_text = draw(st.sampled_from(
                    [b"", b"null", b"[]", b'{"format": NaN}', b"\xff\xfe{", b'{"a": 1e999}', b"[" * 100000,
                     json.dumps(header).encode() * 2]))
        if "header.json" in parts:
            try:
                parts["header.json"] = header_text if header_text is not None else json.dumps(header).encode()
            except (TypeError, ValueError):
                pass
        members = list(parts.items())
        if draw(st.booleans()) and members:
            members.append(draw(st.sampled_from(members)))  # a duplicate
        compression = draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2,
                                            zipfile.ZIP_LZMA]))
        return _zip(members, compression)

    model_files = st.one_of(
        st.binary(max_size=2048),
        st.sampled_from(seeds.models).flatmap(mutate),
        rebuilt_models(),
        rebuilt_models().flatmap(mutate),
        *([st.sampled_from(seeds.bombs)] if seeds.bombs else []),
    )

    cell = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers().map(str),
                     st.sampled_from(["", "nan", "NaN", "inf", "-inf", "1e400", "1e-400", "null", "NA", "true",
                                      '"1"', '"', "'", "1,5", "0x10", " 3 ", "１", "\x00", "1" * 400]),
                     st.text(max_size=6))

    @st.composite
    def csv_tables(draw):
        n_cols = draw(st.integers(1, 5))
        header = draw(st.sampled_from([
            ",".join(f"x{j}" for j in range(n_cols - 1)) + ",w",
            ",".join(draw(st.lists(st.text(max_size=5), min_size=n_cols, max_size=n_cols))),
            ",".join(["x"] * n_cols),
        ]))
        lines = [",".join(draw(st.lists(cell, min_size=n_cols, max_size=n_cols))) for _ in
                 range(draw(st.integers(0, 8)))]
        lines += [",".join(f"{v:.6g}" for v in row[:n_cols]) for row in seeds.X[:draw(st.integers(0, 30))]]
        sep = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        text = draw(st.sampled_from(["", "\ufeff"])) + sep.join([header, *lines]) + draw(st.sampled_from(["", sep]))
        return text.encode("utf-8", "surrogatepass")

    csv_files = st.one_of(mutate(seeds.csv), csv_tables(), csv_tables().flatmap(mutate), st.binary(max_size=512))

    @st.composite
    def parquet_tables(draw):
        import pyarrow as pa

        n = draw(st.integers(0, 12))
        columns = {}
        for j in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(["float64", "float32", "float16", "int64", "uint8", "bool", "string", "null",
                                         "list", "dictionary", "timestamp", "decimal", "float64"]))
            values = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.none(), min_size=n, max_size=n))
            floats = [np.nan if v is None else v for v in values]
            try:
                if kind in ("float64", "float32", "float16"):
                    array = pa.array(np.array(floats, dtype=kind), mask=np.array([v is None for v in values]))
                elif kind in ("int64", "uint8"):
                    array = pa.array([None if v is None or not np.isfinite(v) else int(abs(v)) % 200 for v in values],
                                     type=getattr(pa, kind)())
                elif kind == "bool":
                    array = pa.array([None if v is None else v > 0 for v in values])
                elif kind == "string":
                    array = pa.array([None if v is None else repr(v) for v in values])
                elif kind == "null":
                    array = pa.nulls(n)
                elif kind == "list":
                    array = pa.array([[v] for v in floats])
                elif kind == "dictionary":
                    array = pa.array([repr(v) for v in floats]).dictionary_encode()
                elif kind == "timestamp":
                    array = pa.array(np.arange(n, dtype="datetime64[s]"))
                else:
                    import decimal

                    array = pa.array([decimal.Decimal(j) for j in range(n)], type=pa.decimal128(5, 2))
            except Exception:  # a value pyarrow cannot hold in that type
                array = pa.nulls(n)
            columns[draw(st.sampled_from([f"x{j}", "w", "", "x0"]))] = array
        try:
            return Seeds.parquet_bytes(columns, row_group_size=draw(st.sampled_from([None, 1, 3])))
        except Exception:  # pyarrow refused to write it: fall back to a valid file
            return seeds.parquet

    parquet_files = st.one_of(mutate(seeds.parquet), parquet_tables(), parquet_tables().flatmap(mutate))

    npy_files = st.one_of(mutate(seeds.npy), arrays(), npy_header_lies(), arrays().flatmap(mutate))
    return {"load": model_files, "csv": csv_files, "parquet": parquet_files, "npy": npy_files}


# =============================================================== targets
def run_target(target: str, path: Path, choice: int):
    """Feed one file to the target; return a short outcome label (raise for findings)."""
    import gaussmix
    from gaussmix import GaussianMixture

    if target == "load":
        model = gaussmix.load(path)
        X = np.random.RandomState(0).normal(size=(5, model.n_features_in_))
        assert np.all(np.isfinite(model.score_samples(X))), "a loaded model predicts non-finite log-densities"
        assert np.all(np.isfinite(model.predict_proba(X))), "a loaded model predicts non-finite probabilities"
        return "loaded"
    options = [{}, {"weights_column": "w"}, {"columns": ["x0", "x1"]}, {"chunk_rows": 3}]
    if target == "npy":
        options = [{}, {"weights_column": -1}, {"columns": [0]}, {"chunk_rows": 3}]
    source = gaussmix.from_file(path, **options[choice % len(options)])
    k = 1 + choice % 3
    gm = GaussianMixture(k, max_iter=3, random_state=0).fit(source)
    for name in ("weights_", "means_", "covariances_"):
        assert np.all(np.isfinite(getattr(gm, name))), f"a fit gave non-finite {name}"
    labels = gm.predict(source)
    assert labels.shape == (source.n_samples,)
    return "fitted"


def acceptable(target: str, exc: BaseException) -> bool:
    from gaussmix import ModelFileError

    if target == "load":
        return isinstance(exc, (ModelFileError, FileNotFoundError))
    return isinstance(exc, (ValueError, TypeError)) and not isinstance(exc, AssertionError)


def signature(exc: BaseException) -> str:
    """Where an exception was raised: type and innermost frame (to group findings)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__name__} at {where}"


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout(f"an input took more than {EXAMPLE_SECONDS} s")


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def fuzz_child(target: str, seconds: float, out: Path, seed: int) -> dict:
    """Run the target for ``seconds``; return counts and findings (the inputs are kept in ``out``)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    work = Path(tempfile.mkdtemp(prefix=f"gaussmix-fuzz-{target}-"))
    seeds = Seeds(work, bombs=target == "load")
    strategy = strategies(seeds)[target]
    deadline = time.monotonic() + seconds
    counts: Counter = Counter()
    findings: dict[str, dict] = {}
    current = out / f"current-{target}{SUFFIX[target]}"
    signal.signal(signal.SIGALRM, _alarm)
    measure_memory = _reset_peak()

    @settings(max_examples=50, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(data=strategy, choice=st.integers(0, 11))
    def one(data, choice):
        if time.monotonic() > deadline:
            return
        current.write_bytes(data)  # what the parent reports if this process dies
        path = work / f"input{SUFFIX[target]}"
        path.write_bytes(data)
        if measure_memory:
            _reset_peak()
        base = _rss_mb()
        signal.alarm(EXAMPLE_SECONDS)
        problem = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)
                warnings.simplefilter("ignore", UserWarning)  # duplicate zip names, convergence
                label = run_target(target, path, choice)
            counts[label] += 1
        except Timeout as exc:
            problem = (f"hang: {exc}", exc)
        except BaseException as exc:  # noqa: BLE001 - classifying is the point
            if isinstance(exc, KeyboardInterrupt):
                raise
            if acceptable(target, exc):
                counts[type(exc).__name__] += 1
            else:
                problem = (signature(exc), exc)
        finally:
            signal.alarm(0)
        grown = _rss_mb() - base if measure_memory else 0.0
        if problem is None and grown > MEMORY_LIMIT_MB:
            problem = (f"memory: {grown:.0f} MB for one input", None)
        if problem is not None:
            key, exc = problem
            counts["FINDING"] += 1
            if key not in findings:
                kept = out / f"finding-{target}-{len(findings)}{SUFFIX[target]}"
                kept.write_bytes(data)
                detail = "" if exc is None else f"{type(exc).__name__}: {str(exc)[:300]}"
                findings[key] = dict(target=target, signature=key, detail=detail, file=str(kept), choice=choice,
                                     traceback="" if exc is None else "".join(traceback.format_exception(exc))[-1500:])
            findings[key]["count"] = findings[key].get("count", 0) + 1

    while time.monotonic() < deadline:
        one()
    current.unlink(missing_ok=True)
    shutil.rmtree(work, ignore_errors=True)
    return dict(target=target, counts=dict(counts), findings=list(findings.values()))


# =============================================================== parent
def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    return env


def run_target_process(target: str, seconds: float, out: Path, seed: int, log) -> dict:
    """Fuzz one target in child processes until ``seconds`` are spent; a crash is a finding."""
    deadline = time.monotonic() + seconds
    total: dict = dict(target=target, counts=Counter(), findings=[], crashes=0)
    while (left := deadline - time.monotonic()) > 0.5:
        cmd = [sys.executable, __file__, "--child", target, f"{left:.1f}", str(out), str(seed)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), timeout=left + 120)
        except subprocess.TimeoutExpired:
            done = None
        lines = [] if done is None else [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done is not None and done.returncode == 0 and lines:
            result = json.loads(lines[-1])
            total["counts"].update(result["counts"])
            total["findings"] += result["findings"]
            continue
        # The child died (a crash or a hang beyond its own alarm): the current input reproduces it.
        current = out / f"current-{target}{SUFFIX[target]}"
        kept = out / f"finding-{target}-crash{total['crashes']}{SUFFIX[target]}"
        if current.exists():
            current.replace(kept)
        how = "hang (killed)" if done is None else (
            f"crash: {signal.Signals(-done.returncode).name}" if done.returncode < 0 else f"exit {done.returncode}")
        total["crashes"] += 1
        total["counts"]["FINDING"] += 1
        total["findings"].append(dict(target=target, signature=how, file=str(kept), count=1, choice=0,
                                      detail="" if done is None else done.stderr[-500:], traceback=""))
        log(f"{target}: child {how}; restarting")
    return total


def reproducer(finding: dict) -> str:
    target, path, choice = finding["target"], finding["file"], finding.get("choice", 0)
    return (f"python -c \"import sys; sys.path[:0] = ['src', 'benchmarks']; import fuzz, pathlib; "
            f"fuzz.run_target('{target}', pathlib.Path('{path}'), {choice})\"")


def report(results: list[dict], seconds: float) -> str:
    lines = [f"Fuzzing for {seconds:g} s in total.", "",
             "| target | inputs | outcomes | findings |", "|---|---:|---|---:|"]
    for r in results:
        counts = Counter(r["counts"])
        n = sum(counts.values())
        shown = ", ".join(f"{k} {v}" for k, v in counts.most_common() if k != "FINDING")
        lines.append(f"| {r['target']} | {n} | {shown} | {counts.get('FINDING', 0)} |")
    findings = [f for r in results for f in r["findings"]]
    lines.append("")
    if not findings:
        lines.append("No findings: every input loaded/fitted or raised a documented exception.")
    for i, f in enumerate(findings, 1):
        lines += [f"### Finding {i}: {f['target']}: {f['signature']} ({f['count']}x)", "",
                  f"- {f['detail']}".rstrip(), f"- input: `{f['file']}`", f"- reproduce: `{reproducer(f)}`", ""]
        if f.get("traceback"):
            lines += ["```", f["traceback"].rstrip(), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        target, seconds, out, seed = argv[1], float(argv[2]), Path(argv[3]), int(argv[4])
        warnings.simplefilter("ignore")
        print(json.dumps(fuzz_child(target, seconds, out, seed)), flush=True)
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="total time, split over the targets (default 60)")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"comma-separated subset of {','.join(TARGETS)}")
    parser.add_argument("--out", type=Path, default=None, help="folder for the inputs of findings (default: a temp dir)")
    parser.add_argument("--seed", type=int, default=0, help="recorded with the results (Hypothesis draws at random)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in targets if t not in TARGETS]
    if unknown or not targets:
        parser.error(f"--targets: unknown {unknown}; choose from {','.join(TARGETS)}")
    if args.seconds <= 0:
        parser.error("--seconds must be positive")
    out = args.out or Path(tempfile.mkdtemp(prefix="gaussmix-fuzz-"))
    out.mkdir(parents=True, exist_ok=True)

    def log(message):
        print(message, file=sys.stderr, flush=True)

    results = []
    for target in targets:
        results.append(run_target_process(target, args.seconds / len(targets), out, args.seed, log))
        log(f"{target}: {sum(results[-1]['counts'].values())} inputs, {len(results[-1]['findings'])} findings")
    print(report(results, args.seconds))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=dict))
    return 1 if any(r["findings"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
