"""The ``gaussmix`` command end to end on real CSV, Parquet and .npy files.

Every subcommand runs through click's runner on files in temporary folders and its
results are compared with the library called directly; one test runs the real
``python -m gaussmix`` in a subprocess.  Bad input must give a non-zero exit status and
one line ``Error: ...`` on stderr, never a traceback.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import gaussmix
from gaussmix import GaussianMixture, select
from gaussmix.cli import main, parse_components
from gaussmix.datasets import make_textbook_blobs

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
# Models fitted on named CSV/Parquet columns are compared here with arrays.
pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")

X, _ = make_textbook_blobs(300, random_state=0)
W = np.random.RandomState(1).randint(1, 4, size=len(X)).astype(np.float64)
FORMATS = ("csv", "parquet", "npy")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The same rows as .csv (with a weight and a text column), .parquet and .npy (weight last)."""
    folder = tmp_path_factory.mktemp("cli-data")
    frame = pd.DataFrame(X, columns=["a", "b"]).assign(w=W)
    paths = {"csv": folder / "d.csv", "parquet": folder / "d.parquet", "npy": folder / "d.npy"}
    frame.assign(label="x").to_csv(paths["csv"], index=False, float_format="%.17g")
    frame.to_parquet(paths["parquet"], row_group_size=100)
    np.save(paths["npy"], np.c_[X, W])
    return paths


def run(*args, ok=True):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def feature_options(kind):
    """Select the features a, b (and not the weights) in each format."""
    return ["--columns", "0,1"] if kind == "npy" else ["--columns", "a,b"]


def assert_same_model(a, b, rtol=1e-9):
    np.testing.assert_allclose(a.weights_, b.weights_, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(a.means_, b.means_, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=rtol, atol=1e-12)
    assert (a.n_iter_, a.converged_) == (b.n_iter_, b.converged_)


@pytest.fixture(scope="module")
def model_file(files, tmp_path_factory):
    path = tmp_path_factory.mktemp("cli-model") / "m.gmm"
    run("fit", files["csv"], "-k", 3, "--seed", 0, "--columns", "a,b", "-o", path, "--quiet")
    return path


# ------------------------------------------------------------------------------ fit
@pytest.mark.parametrize("kind", FORMATS)
def test_fit_equals_the_library_fit(files, tmp_path, kind):
    out = tmp_path / "model.gmm"
    result = run("fit", files[kind], "-k", 3, "--covariance-type", "diag", "--n-init", 2, "--seed", 0,
                 *feature_options(kind), "-o", out, "--json")
    doc = json.loads(result.stdout)
    reference = GaussianMixture(3, covariance_type="diag", n_init=2, random_state=0).fit(X)
    saved = gaussmix.load(out)
    assert_same_model(saved, reference)
    np.testing.assert_allclose(doc["means"], reference.means_, rtol=1e-9)
    np.testing.assert_allclose([doc["bic"], doc["aic"], doc["mean_log_likelihood"]],
                               [reference.bic(X), reference.aic(X), reference.score(X)], rtol=1e-10)
    assert doc["n_samples"] == len(X) and doc["converged"] is True and doc["model_file"] == str(out)
    assert doc["feature_names"] == (None if kind == "npy" else ["a", "b"])
    np.testing.assert_array_equal(saved.predict(X), reference.predict(X))


def test_fit_text_summary_weights_and_float32(files, tmp_path):
    text = run("fit", files["parquet"], "-k", 2, "--weights-column", "w", "--seed", 1, "--max-iter", 50).stdout
    reference = GaussianMixture(2, random_state=1, max_iter=50).fit(X, sample_weight=W)
    for line in ("Fitted 2 components (full) to 300 rows x 2 features", "converged: yes",
                 f"BIC: {reference.bic(X, sample_weight=W):.2f}", "mean[a]", "mean[b]"):
        assert line in text
    doc = json.loads(run("fit", files["npy"], "-k", 2, "--columns", "0,1", "--float32", "--seed", 1, "--json").stdout)
    reference32 = GaussianMixture(2, random_state=1).fit(X.astype(np.float32))
    np.testing.assert_allclose(doc["means"], reference32.means_, rtol=1e-5)


# -------------------------------------------------------------------- predict, score
@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize("out_suffix", [".csv", ".npy", ".parquet"])
def test_predict_writes_labels_and_probabilities(files, model_file, tmp_path, kind, out_suffix):
    gm = gaussmix.load(model_file)
    columns = ["--columns", "0,1"] if kind == "npy" else []  # CSV/Parquet: the model's named features
    labels_path, proba_path = tmp_path / f"labels{out_suffix}", tmp_path / f"proba{out_suffix}"
    text = run("predict", model_file, files[kind], *columns, "-o", labels_path).stdout
    assert text.startswith(f"Wrote 300 labels to {labels_path}")
    run("predict", model_file, files[kind], *columns, "--proba", "-o", proba_path)
    np.testing.assert_array_equal(read_table(labels_path)["label"], gm.predict(X))
    proba = np.column_stack([read_table(proba_path)[f"proba_{i}"] for i in range(3)])
    np.testing.assert_allclose(proba, gm.predict_proba(X), rtol=1e-12, atol=1e-15)


def read_table(path):
    """Columns of an output file as arrays."""
    path = Path(path)
    if path.suffix == ".npy":
        a = np.load(path)
        if a.ndim == 1:
            return {"label": a, "log_density": a}
        return {f"proba_{i}": a[:, i] for i in range(a.shape[1])}
    frame = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    return {name: frame[name].to_numpy() for name in frame.columns}


def test_predict_to_stdout_and_json(files, model_file):
    gm = gaussmix.load(model_file)
    lines = run("predict", model_file, files["csv"]).stdout.splitlines()
    assert lines[0] == "label" and [int(v) for v in lines[1:]] == gm.predict(X).tolist()
    doc = json.loads(run("predict", model_file, files["parquet"], "--json").stdout)
    assert doc["labels"] == gm.predict(X).tolist()
    assert doc["counts"] == np.bincount(gm.predict(X), minlength=3).tolist()
    doc = json.loads(run("predict", model_file, files["parquet"], "--proba", "--json").stdout)
    np.testing.assert_allclose(doc["probabilities"], gm.predict_proba(X), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", FORMATS)
def test_score_prints_criteria_and_writes_log_densities(files, model_file, tmp_path, kind):
    gm = gaussmix.load(model_file)
    weights = ["--columns", "0,1", "--weights-column", "2"] if kind == "npy" else ["--weights-column", "w"]
    out = tmp_path / "logp.csv"
    doc = json.loads(run("score", model_file, files[kind], *weights, "-o", out, "--json").stdout)
    np.testing.assert_allclose([doc["mean_log_likelihood"], doc["bic"], doc["aic"]],
                               [gm.score(X, sample_weight=W), gm.bic(X, sample_weight=W),
                                gm.aic(X, sample_weight=W)], rtol=1e-10)
    np.testing.assert_allclose(read_table(out)["log_density"], gm.score_samples(X), rtol=1e-12)
    text = run("score", model_file, files[kind], *feature_options(kind)).stdout
    assert f"mean log-likelihood: {gm.score(X):.6f}" in text and f"BIC: {gm.bic(X):.2f}" in text


# -------------------------------------------------------------------------- sample
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".npy"])
def test_sample(model_file, tmp_path, suffix):
    gm = gaussmix.load(model_file).set_params(random_state=7)
    X_ref, y_ref = gm.sample(50)
    out = tmp_path / f"new{suffix}"
    text = run("sample", model_file, "-n", 50, "--seed", 7, "-o", out).stdout
    assert text.startswith(f"Wrote 50 rows to {out}")
    if suffix == ".npy":
        np.testing.assert_array_equal(np.load(out), X_ref)
    else:
        table = read_table(out)
        np.testing.assert_array_equal(np.column_stack([table["a"], table["b"]]), X_ref)
        np.testing.assert_array_equal(table["component"], y_ref)
    doc = json.loads(run("sample", model_file, "-n", 5, "--seed", 7, "--json").stdout)
    assert doc["feature_names"] == ["a", "b"] and len(doc["X"]) == 5 and len(doc["component"]) == 5
    lines = run("sample", model_file, "-n", 3, "--seed", 7).stdout.splitlines()
    assert lines[0] == "a,b,component" and len(lines) == 4


# -------------------------------------------------------------------------- select
@pytest.mark.parametrize("kind", FORMATS)
def test_select_table_and_best_model(files, tmp_path, kind):
    out = tmp_path / "best.gmm"
    doc = json.loads(run("select", files[kind], "-k", "1..3", "--covariance-types", "full,tied", "--n-init", 2,
                         "--seed", 0, *feature_options(kind), "-o", out, "--json").stdout)
    reference = select(X, [1, 2, 3], ("full", "tied"), n_init=2, random_state=0)
    assert [(c["n_components"], c["covariance_type"]) for c in doc["candidates"]] == list(reference.ranking)
    np.testing.assert_allclose([c["bic"] for c in doc["candidates"]],
                               [reference[key].bic for key in reference.ranking], rtol=1e-10)
    assert (doc["best"]["n_components"], doc["best"]["covariance_type"]) == reference.best.key
    assert_same_model(gaussmix.load(out), reference.best_model)


def test_select_text_and_components_syntax(files):
    text = run("select", files["csv"], "-k", "2,3", "--covariance-types", "spherical", "--columns", "a,b",
               "--seed", 0).stdout
    assert "2 candidates on 300 rows x 2 features" in text and "Best: 3 components, spherical" in text
    assert parse_components("1..3") == [1, 2, 3] and parse_components("2,4,6") == [2, 4, 6]
    assert parse_components("3") == [3] and parse_components("1..2, 5, 2") == [1, 2, 5]
    for bad in ("0", "3..1", "a", "1..", ""):
        with pytest.raises(ValueError):
            parse_components(bad)
    result = run("select", files["csv"], "-k", "x", ok=False)
    assert result.exit_code == 2 and "Invalid value for '-k'" in result.stderr
    result = run("select", files["csv"], "--covariance-types", "full,round", ok=False)
    assert result.exit_code == 2 and "round" in result.stderr


# ---------------------------------------------------------------- plot, inspect
PNG = b"\x89PNG\r\n\x1a\n"


def test_plot(files, model_file, tmp_path):
    pytest.importorskip("matplotlib")
    doc = json.loads(run("plot", model_file, files["csv"], "-o", tmp_path / "m.png", "--json").stdout)
    assert doc["kind"] == "mixture" and doc["n_points"] == 300
    assert (tmp_path / "m.png").read_bytes().startswith(PNG)
    run("plot", model_file, "-o", tmp_path / "density.svg", "--max-points", 50)
    assert b"<svg" in (tmp_path / "density.svg").read_bytes()[:500]
    # Three features: a grid of pairs, or the two chosen ones.
    np.save(tmp_path / "x3.npy", np.c_[X, X[:, 0] - X[:, 1]])
    run("fit", tmp_path / "x3.npy", "-k", 2, "--seed", 0, "-o", tmp_path / "m3.gmm")
    doc = json.loads(run("plot", tmp_path / "m3.gmm", tmp_path / "x3.npy", "-o", tmp_path / "pairs.png",
                         "--json").stdout)
    assert doc["kind"] == "pairs" and doc["features"] == [0, 1, 2]
    doc = json.loads(run("plot", tmp_path / "m3.gmm", "--features", "2,0", "-o", tmp_path / "two.png",
                         "--json").stdout)
    assert doc["kind"] == "mixture" and doc["features"] == [2, 0]
    assert (tmp_path / "two.png").read_bytes().startswith(PNG)


def test_inspect(model_file):
    gm = gaussmix.load(model_file)
    text = run("inspect", model_file).stdout
    assert f"gaussmix-model v{gaussmix.model_io.FORMAT_VERSION}" in text
    assert "GaussianMixture: 3 components, covariance_type='full', 2 features: a, b" in text
    assert "random_state=0" in text and "covariance 2:" in text
    doc = json.loads(run("inspect", model_file, "--json").stdout)
    assert doc["header"]["n_components"] == 3 and doc["header"]["feature_names"] == ["a", "b"]
    np.testing.assert_array_equal(doc["covariances"], gm.covariances_)


# ---------------------------------------------------------------------------- demo
def test_demo_writes_figures_and_never_overwrites_yours(tmp_path):
    pytest.importorskip("matplotlib")
    from gaussmix.demo import check_directory

    folder = tmp_path / "demo"
    result = run("demo", "-o", folder)
    for line in ("GaussianMixture(n_components=3, n_init=10, random_state=42)", "predict_proba", "score_samples",
                 "sample(5)", "BIC picks k=3, tied", "bic_curve.png"):
        assert line in result.stdout
    names = sorted(p.name for p in folder.iterdir())
    assert names == [".gaussmix-demo.json", "bayesian_concentration.png", "bic_curve.png", "covariance_types.png",
                     "trained_mixture.png"]
    assert all((folder / n).read_bytes().startswith(PNG) for n in names if n.endswith(".png"))
    check_directory(folder)  # a second run may replace its own, unchanged figures
    (folder / "trained_mixture.png").write_bytes(b"my edit")
    result = run("demo", "-o", folder, ok=False)  # refused before any fitting
    assert result.exit_code == 1 and "trained_mixture.png' exists and was not written by gaussmix demo" in \
        result.stderr
    assert (folder / "trained_mixture.png").read_bytes() == b"my edit"
    check_directory(folder, overwrite=True)  # --overwrite
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "bic_curve.png").write_bytes(b"mine")
    assert run("demo", "-o", mine, ok=False).exit_code == 1
    (mine / ".gaussmix-demo.json").write_text("{}")  # not the demo's marker
    with pytest.raises(FileExistsError, match="not the demo's marker"):
        check_directory(mine)
    assert sorted(p.name for p in mine.iterdir()) == [".gaussmix-demo.json", "bic_curve.png"]
    (tmp_path / "file").write_text("x")
    assert "is not a folder" in run("demo", "-o", tmp_path / "file", ok=False).stderr


def test_demo_json():
    doc = json.loads(run("demo", "--no-figures", "--json").stdout)
    assert doc["selection"]["best"]["n_components"] == 3 and doc["figures"] == {}
    assert doc["model"]["converged"] is True and len(doc["sample"]["X"]) == 5


# ------------------------------------------------------------- a real subprocess
def test_python_m_gaussmix_in_a_subprocess(files, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(Path(gaussmix.__file__).parents[1]))
    out = tmp_path / "m.gmm"
    done = subprocess.run([sys.executable, "-m", "gaussmix", "fit", str(files["npy"]), "-k", "3", "--columns", "0,1",
                           "--seed", "0", "-o", str(out), "--json"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar: stderr is not a terminal
    assert json.loads(done.stdout)["n_iter"] == GaussianMixture(3, random_state=0).fit(X).n_iter_
    done = subprocess.run([sys.executable, "-m", "gaussmix", "predict", str(out), str(tmp_path / "missing.csv")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [f"Error: No such file or folder: '{tmp_path / 'missing.csv'}'."]


# ------------------------------------------------------------------- bad input
@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-bad")
    bad = X.copy()
    bad[[5, 17, 200], [1, 0, 1]] = [np.nan, np.inf, np.nan]
    paths = {"nan_csv": folder / "nan.csv", "nan_npy": folder / "nan.npy", "text_npy": folder / "text.npy",
             "corrupt": folder / "corrupt.gmm", "truncated": folder / "truncated.gmm", "tiny": folder / "tiny.csv",
             "exists": folder / "exists.gmm"}
    pd.DataFrame(bad, columns=["a", "b"]).to_csv(paths["nan_csv"], index=False)
    np.save(paths["nan_npy"], bad)
    np.save(paths["text_npy"], np.array([["a", "b"]]))
    paths["corrupt"].write_bytes(b"this is not a model")
    good = folder / "good.gmm"
    gaussmix.save(GaussianMixture(2, random_state=0).fit(X), good)
    paths["truncated"].write_bytes(good.read_bytes()[:200])
    pd.DataFrame(X[:4], columns=["a", "b"]).to_csv(paths["tiny"], index=False)
    paths["exists"].write_bytes(b"precious")
    return paths


def bad_cases(files, bad, model):
    """(arguments, fragment of the message)."""
    return [
        (["fit", "missing.csv", "-k", 2], "No such file or folder: 'missing.csv'"),
        (["fit", files["csv"], "-k", 2, "--columns", "a,zz"], "Column 'zz' not found"),
        (["fit", files["csv"], "-k", 2], "Column 'label'"),  # a text column among the features
        (["fit", bad["text_npy"], "-k", 1], "non-numeric"),
        (["fit", bad["nan_csv"], "-k", 2], "3 rows hold NaN, infinity or a missing value (the first is row 5"),
        (["fit", bad["nan_npy"], "-k", 2], "pass --drop-invalid to skip them"),
        (["fit", bad["tiny"], "-k", 5], "n_components = 5"),
        (["select", bad["tiny"], "-k", "2..6"], "n_components = 6"),
        (["fit", files["csv"], "-k", 2, "--columns", "a,b", "-o", bad["exists"]], "exists; pass --overwrite"),
        (["inspect", bad["corrupt"]], "not a gaussmix model"),
        (["predict", bad["truncated"], files["csv"]], "truncated.gmm"),
        (["predict", "missing.gmm", files["csv"]], "missing.gmm"),
        (["predict", model, files["npy"]], "3 feature columns but the model was fitted on 2"),
        (["score", model, files["csv"], "--columns", "a,nope"], "Column 'nope' not found"),
        (["score", model, bad["nan_csv"]], "3 rows hold NaN"),
        (["sample", bad["corrupt"], "-n", 3], "not a gaussmix model"),
        (["predict", model, files["csv"], "-o", bad["exists"]], "exists; pass --overwrite"),
        (["predict", model, files["csv"], "-o", "labels.txt"], "must end in .csv, .npy or .parquet"),
        (["plot", model, "-o", bad["exists"]], "exists; pass --overwrite"),
        (["plot", model, "--features", "a,zz", "-o", "x.png"], "Unknown feature 'zz'"),
    ]


def test_bad_input_gives_one_line_and_no_traceback(files, bad_files, model_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for args, fragment in bad_cases(files, bad_files, model_file):
        result = run(*args, ok=False)
        assert result.exit_code == 1, (args, result.output)
        assert result.stdout == "", args
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], (args, result.stderr)
        assert "Traceback" not in result.output
    assert bad_files["exists"].read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing left behind, no temporary files


def test_drop_invalid_skips_and_says_how_many(bad_files, tmp_path):
    valid = np.isfinite(np.load(bad_files["nan_npy"])).all(axis=1)
    result = run("fit", bad_files["nan_csv"], "-k", 3, "--seed", 0, "--drop-invalid", "--json",
                 "-o", tmp_path / "m.gmm")
    assert result.stderr.splitlines() == ["Dropped 3 rows holding NaN, infinity or a missing value."]
    doc = json.loads(result.stdout)
    assert doc["dropped_rows"] == 3 and doc["n_samples"] == valid.sum()
    assert_same_model(gaussmix.load(tmp_path / "m.gmm"), GaussianMixture(3, random_state=0).fit(X[valid]))
    out = tmp_path / "labels.npy"
    result = run("predict", tmp_path / "m.gmm", bad_files["nan_npy"], "--drop-invalid", "-o", out, "--quiet")
    assert result.stderr == ""
    np.testing.assert_array_equal(np.load(out), gaussmix.load(tmp_path / "m.gmm").predict(X[valid]))


def test_missing_optional_dependencies_name_the_extra(files, model_file, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    result = run("fit", files["csv"], "-k", 2, ok=False)
    assert result.exit_code == 1 and result.stderr.splitlines() == [
        'Error: Reading Parquet or CSV files needs pyarrow: pip install "gaussmix[io]"']
    result = run("predict", model_file, files["npy"], "--columns", "0,1", "-o", tmp_path / "x.parquet", ok=False)
    assert result.stderr.strip() == 'Error: Writing Parquet needs pyarrow: pip install "gaussmix[io]"'
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = run("plot", model_file, "-o", tmp_path / "f.png", ok=False)
    assert result.stderr.strip() == 'Error: The plot command needs matplotlib: pip install "gaussmix[plot]"'
    result = run("demo", "-o", tmp_path / "demo", ok=False)
    assert result.exit_code == 1 and 'pip install "gaussmix[plot]"' in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_warnings_are_one_line_and_in_json(files):
    result = run("fit", files["npy"], "-k", 3, "--columns", "0,1", "--max-iter", 1, "--seed", 0, "--json")
    assert result.stderr.startswith("Warning: Best performing initialization did not converge")
    assert len(result.stderr.splitlines()) == 1
    assert json.loads(result.stdout)["warnings"][0].startswith("Best performing initialization")


def test_progress_bar_only_on_a_terminal(files, monkeypatch):
    import gaussmix.cli as cli

    assert "pass" not in run("fit", files["npy"], "-k", 2, "--columns", "0,1").stderr
    monkeypatch.setattr(cli, "_stderr_isatty", lambda: True)
    assert "fit: pass 2" in run("fit", files["npy"], "-k", 2, "--columns", "0,1", "--seed", 0).stderr
    assert run("fit", files["npy"], "-k", 2, "--columns", "0,1", "--quiet").stderr == ""


def test_help_lists_every_subcommand_and_option():
    text = run("--help").stdout
    for name in ("fit", "predict", "score", "sample", "select", "plot", "inspect", "demo"):
        assert f"  {name} " in text
        sub = run(name, "--help").stdout
        assert "--json" in sub and "--quiet" in sub and "Examples:" in sub
    fit_help = run("fit", "--help").stdout
    for option in ("-k, --n-components", "--covariance-type", "--n-init", "--init", "--columns", "--max-iter",
                   "--tol", "--seed", "--weights-column", "--float32", "--drop-invalid", "-o, --output",
                   "--overwrite"):
        assert option in fit_help
    assert "--overwrite" in run("demo", "--help").stdout and "marker file" in run("demo", "--help").stdout
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run("--version").stdout.startswith(f"gaussmix, version {gaussmix.__version__}")


# ------------------------------------------------------------- docs stay true
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not (ROOT / "README.md").exists(), reason="README.md not next to the tests")
def test_readme_command_line_tour_runs_as_printed(tmp_path, monkeypatch):
    from gaussmix.datasets import load_faithful

    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Command line", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", section, flags=re.S)[0].splitlines()
    printed = re.findall(r"```text\n(.*?)```", section, flags=re.S)[0]
    faithful, names = load_faithful()
    pd.DataFrame(faithful, columns=names).to_csv(tmp_path / "data.csv", index=False)
    monkeypatch.chdir(tmp_path)
    for line in commands:
        args = shlex.split(line, comments=True)
        assert args[0] == "gaussmix"
        result = run(*args[1:])
        if args[1] == "fit" and "-o" in args:
            assert result.stdout == printed
    assert "Best: 3 components, tied" in run("select", "data.csv", "-k", "3", "--covariance-types", "tied",
                                             "--tol", "1e-5", "--seed", "0").stdout


@pytest.mark.skipif(not (ROOT / "docs" / "cli.md").exists(), reason="docs/ not next to the tests")
def test_docs_cli_md_has_every_subcommand_and_option():
    import click

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        section = text.split(f"## `gaussmix {name}`", 1)[1].split("\n## ", 1)[0]
        options = [o for p in command.params if isinstance(p, click.Option) for o in p.opts if o.startswith("--")]
        missing = [o for o in options if f"`{o}`" not in section and o not in ("--json", "--quiet")]
        assert not missing, (name, missing)


def test_a_full_disk_while_writing_npy_predictions_is_one_line_and_leaves_nothing(files, model_file, tmp_path,
                                                                                   monkeypatch):
    import errno
    import os

    if not hasattr(os, "posix_fallocate"):
        pytest.skip("no posix_fallocate here")

    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "posix_fallocate", full)
    result = run("predict", model_file, files["csv"], "--columns", "a,b", "-o", tmp_path / "labels.npy", ok=False)
    assert result.exit_code == 1 and result.stderr.startswith("Error: ") and "No space" in result.stderr
    assert list(tmp_path.iterdir()) == []
