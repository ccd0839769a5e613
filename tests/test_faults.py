"""Faults during a fit, a save or a prediction: the fast cases of ``benchmarks/faults.py``.

Each case injects a fault and checks the promise of docs/reliability.md ("Faults"): a clear
error (or a completed fit) and the estimator keeping its previous fitted state, no file
half-written, BLAS thread limits restored.  The Dask, real-SIGINT and real disk-full cases
run only in the script (``python benchmarks/faults.py``).
"""

from __future__ import annotations

import errno
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import faults  # noqa: E402

N_ROWS = 3000


def needs_pyarrow(fmt: str) -> None:
    if fmt in ("csv", "parquet"):
        pytest.importorskip("pyarrow")


def check(outcome: faults.Outcome) -> None:
    assert outcome.ok, outcome.row()


# ------------------------------------------------------ source files
@pytest.mark.parametrize("fmt, action", [
    ("npy", "deleted"), ("npy", "truncated to half"),
    ("csv", "deleted"), ("csv", "truncated to half"), ("csv", "truncated mid-row"),
    ("parquet", "deleted"), ("parquet", "truncated to half"),
])
@pytest.mark.parametrize("mid_pass", [False, True], ids=["between-passes", "mid-pass"])
def test_a_damaged_source_file_gives_a_clear_error_and_keeps_the_estimator(fmt, action, mid_pass, tmp_path):
    needs_pyarrow(fmt)
    check(faults.file_case(fmt, action, mid_pass, N_ROWS, tmp_path))


# Found (fixed since): file sources reopen the file on every pass without checking that it is the same file:
# one replaced mid-fit by another with as many rows is read silently, and the fit mixes passes over the old
# and the new rows (data/files.py; compare the file's size, mtime and inode with those seen at the first pass)
@pytest.mark.parametrize("fmt", ["npy", "csv", "parquet"])
def test_a_source_file_replaced_mid_fit_is_noticed(fmt, tmp_path):
    needs_pyarrow(fmt)
    check(faults.file_case(fmt, "replaced by other rows", False, N_ROWS, tmp_path))


# Found (fixed since): ParquetSource lets pyarrow's ArrowInvalid ('Parquet magic bytes not found in
# footer...') through without the file's name (data/files.py)
def test_a_truncated_parquet_file_is_named_in_the_error(tmp_path):
    needs_pyarrow("parquet")
    check(faults.file_case("parquet", "truncated to half", False, N_ROWS, tmp_path))


# Found (fixed since): NpySource memory-maps the file once: touching pages past the new end of a truncated
# file kills the process with SIGBUS instead of raising (data/files.py; read with file reads that check their
# length, or re-check the size each pass)
def test_a_truncated_npy_file_gives_an_error_not_a_crash():
    check(faults.child_outcome("b", "npy truncated", ["npy-truncate", "0", str(N_ROWS)]))


# ----------------------------------------------------------- interrupts
@pytest.mark.parametrize("where", ["between iterations", "in an E-step on a chunk thread", "while a stream is read"])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_keyboard_interrupt_keeps_the_previous_fit(where, n_jobs):
    check(faults.interrupt_fit(where, n_jobs))


def test_keyboard_interrupt_in_partial_fit_keeps_the_model():
    check(faults.interrupt_partial_fit())


def test_keyboard_interrupt_after_fit_predict_fitted_leaves_the_complete_new_fit():
    check(faults.interrupt_fit_predict())


def test_keyboard_interrupt_while_saving_leaves_no_file():
    check(faults.interrupt_save())


# Found (fixed since): open_output writes predictions in place into a memory-mapped out= file: a failure
# part-way leaves a valid-looking .npy whose unwritten rows are zeros (data/stream.py; write a temporary file,
# rename on success, remove on failure)
def test_keyboard_interrupt_while_writing_predictions_leaves_no_file():
    check(faults.failing_prediction(KeyboardInterrupt()))


# ------------------------------------------------------------ disk full
@pytest.mark.parametrize("where", ["in a member's write", "in fsync"])
def test_disk_full_while_saving_leaves_no_file(where):
    check(faults.enospc_save(where))


# Found (fixed since): open_output: a write error part-way through predictions with out= leaves the partial
# file behind (data/stream.py); on a really full disk the memory-mapped writes even kill the process with
# SIGBUS (benchmarks/faults.py, group d)
def test_disk_full_while_writing_predictions_leaves_no_file():
    check(faults.failing_prediction(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))))
