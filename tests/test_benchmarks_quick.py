"""The benchmark suite runs end to end on tiny sizes; its numbers (never its times) are checked."""

import doctest
import json
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import __main__ as cli  # noqa: E402
from benchmarks import measure, workloads  # noqa: E402
from benchmarks.workloads import (WORKLOADS, Workload, identity_start, initial_parameters, make_data,  # noqa: E402
                                  make_rotated)


def test_docstring_examples():
    result = doctest.testmod(workloads, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_data_is_deterministic_and_typed():
    w = WORKLOADS["W2f32"].scaled(5000)
    X = make_data(w)
    assert X.dtype == np.float32 and X.flags.c_contiguous and X.shape == (w.n, 16)
    np.testing.assert_array_equal(X, make_data(w))
    np.testing.assert_array_equal(X, make_data(WORKLOADS["W2"].scaled(5000)).astype(np.float32))


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_shared_start_is_accepted_and_agrees(covariance_type, dtype):
    w = Workload("t", 400, 3, 4, covariance_type, dtype)
    X = make_data(w)
    inits = initial_parameters(X, w)
    assert all(v.dtype == np.dtype(dtype) for v in inits.values())
    fits = {lib: measure.estimator(lib, w, 3, inits) for lib in measure.LIBRARIES}
    for est in fits.values():
        measure.timed_fit(est, X)
    agree = measure.agreement(fits["gaussmix"], fits["sklearn"])
    assert agree["max"] < (1e-9 if dtype == "float64" else 1e-3), agree


def test_rotated_workloads_and_identity_start():
    w = WORKLOADS["R3"].scaled(2000)
    assert (w.data, w.start, w.covariance_type) == ("rotated", "identity", "full")
    X = make_rotated(w)
    np.testing.assert_array_equal(X, make_rotated(w))
    np.testing.assert_array_equal(X.astype(np.float32), make_rotated(w.with_dtype("float32")))
    start = identity_start(X, w)
    # k distinct data rows, unit covariances, equal weights
    assert len({tuple(row) for row in start["means_init"]}) == w.k
    assert all(any(np.array_equal(m, x) for x in X) for m in start["means_init"][:3])
    np.testing.assert_array_equal(start["precisions_init"], np.repeat(np.eye(w.d)[None], w.k, axis=0))
    # the clusters are stretched: the fitted covariances' condition numbers reach 1e3 and more
    w = WORKLOADS["R2"].scaled(100)
    X = make_rotated(w)
    from gaussmix import GaussianMixture
    gm = GaussianMixture(w.k, random_state=0).fit(X)
    assert max(np.linalg.cond(c) for c in gm.covariances_) > 1e3


def test_every_row_times_both_dtypes(capsys):
    result = cli.main(["--only", "R2", "--scale", "3000", "--reps", "1", "--iters", "1", "--min-time", "0",
                       "--gemm-size", "64", "--no-memory"])
    row = result["rows"][0]
    assert row["gaussmix_f32_s_per_iter"] is not None and row["gaussmix_f64_s_per_iter"] is not None
    assert row["f32_accuracy"] < 1e-3  # float32 covariances against float64's, same start and iterations
    assert "gm f32/f64" in capsys.readouterr().out


def test_cli_rejects_unknown_workload(capsys):
    with pytest.raises(SystemExit):
        cli.parse_args(["--only", "W9"])
    assert "W9" in capsys.readouterr().err


def test_suite_runs_tiny(tmp_path, capsys):
    out = tmp_path / "bench.json"
    result = cli.main(["--only", "W1,W2fit", "--scale", "2000", "--reps", "1", "--iters", "1",
                       "--min-time", "0", "--gemm-size", "64", "--mem-jobs", "2", "--mem-iters", "1",
                       "--json", str(out), "--markdown"])
    stdout = capsys.readouterr().out
    assert "| W1 |" in stdout and "### Machine" in stdout and "W2fit" in stdout
    assert json.loads(out.read_text())["rows"][0]["workload"] == "W1"
    rows = {row["workload"]: row for row in result["rows"]}
    assert set(rows) == {"W1"}
    for row in rows.values():
        assert row["agreement"] < 1e-8  # float64, same start, same iterations
        for lib in measure.LIBRARIES:
            memory = row[f"{lib}_memory"]
            assert memory["n_iter"] == 1 and memory["peak_mb"] >= memory["baseline_mb"] > 0
    fit = result["whole_fit"][0]
    assert fit["sklearn_n_iter"] >= 1 and fit["gaussmix_n_iter"] >= 1
    assert result["gemm_peak_gflops"]["float64"] > 0


def test_the_forms_benchmark_prints_every_form_against_full(capsys):
    from benchmarks import forms

    forms.main(["--n", "3000", "--reps", "1", "--iters", "1", "--forms", "EVE,VEI"])
    table = capsys.readouterr().out
    rows = [line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows == ["form", "EVE", "VEI", "VVV"]


def test_the_bayesian_benchmark_compares_both_libraries_on_every_row(capsys):
    from benchmarks import bayesian

    bayesian.main(["--scale", "2000", "--reps", "1", "--iters", "1"])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| W2") or line.startswith("| B4")]
    assert len(rows) == 6
    agree = {r.split("|")[1].split()[0]: float(r.split("|")[-2]) for r in rows if "float64" in r}
    assert agree["W2"] < 1e-8 and agree["B400k"] < 1e-8  # the same numbers as scikit-learn
    # 1e4 from zero float64 keeps ~12 digits of spreads of order 1; the libraries round differently
    assert agree["B400kR"] < 1e-5


def test_the_missing_values_benchmark_times_every_row_complete_and_with_holes(capsys):
    from benchmarks import missing

    missing.main(["--scale", "2000", "--reps", "1", "--iters", "1", "--types", "full,diag"])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| W2") or line.startswith("| R2")]
    assert len(rows) == 5  # W2 full, W2 diag, R2 full, then W2 and R2 full in float32
    share = [float(r.split("|")[3].strip().rstrip("%")) for r in rows]
    assert all(70 < s < 92 for s in share)  # 1 - 0.9 ** 16 = 81 % of the rows have a hole
