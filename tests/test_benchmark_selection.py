"""The selection benchmark runs in its quick mode and its three ways agree on the best model."""

import importlib.util
from pathlib import Path

from threadpoolctl import threadpool_limits

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "selection.py"


def load():
    spec = importlib.util.spec_from_file_location("benchmark_selection", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_prints_table_and_ratios(capsys):
    bench = load()
    with threadpool_limits(1):
        bench.main(["--quick", "--n-samples", "3000", "--max-k", "3", "--max-iter", "30"])
    out = capsys.readouterr().out
    assert "gaussmix.select (shared passes)" in out and "ratios:" in out


def test_three_ways_choose_the_same_model():
    bench = load()
    with threadpool_limits(1):
        rows = bench.run(3000, 4, 4, 100, 0)
    assert len({row["best"] for row in rows}) == 1
    select_row, defaults_row, loop_row, sklearn_row = rows
    assert abs(select_row["best_bic"] - loop_row["best_bic"]) <= 1e-8 * abs(loop_row["best_bic"])
    assert abs(select_row["best_bic"] - sklearn_row["best_bic"]) <= 1e-6 * abs(sklearn_row["best_bic"])
    assert select_row["passes"] < loop_row["passes"]  # the point of sharing passes
    assert defaults_row["best_bic"] <= select_row["best_bic"] + 1e-6 * abs(select_row["best_bic"])
