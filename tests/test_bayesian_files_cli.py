"""BayesianGaussianMixture beyond the estimator: model files, the command, the figure, the demo.

Model files round-trip every fitted attribute bit for bit and refuse corrupt Bayesian
files by name; files of the previous format version still load.  ``gaussmix fit
--bayesian`` equals the library's fit, and the other commands use the model's own
(variational) E-step.
"""

from __future__ import annotations

import copy
import io
import json
import types
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.mixture import BayesianGaussianMixture as SkBayesianGaussianMixture

import gaussmix
from gaussmix import BayesianGaussianMixture, GaussianMixture, ModelFileError
from gaussmix.cli import main
from gaussmix.datasets import make_handson_blobs
from gaussmix.model_io import FORMAT_VERSION, read_header

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")
#: every fitted attribute of a BayesianGaussianMixture but weight_concentration_ (a tuple or an array)
ATTRIBUTES = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_", "mean_precision_",
              "degrees_of_freedom_", "mean_prior_", "covariance_prior_", "weight_concentration_prior_",
              "mean_precision_prior_", "degrees_of_freedom_prior_", "converged_", "n_iter_", "lower_bound_",
              "lower_bounds_", "n_features_in_")

pytestmark = pytest.mark.filterwarnings("ignore::gaussmix.ConvergenceWarning")


@pytest.fixture(scope="module")
def X():
    rng = np.random.RandomState(0)
    return np.r_[rng.normal(0, 1, (60, 3)), rng.normal(4, 0.5, (60, 3))]


@pytest.fixture(scope="module")
def fitted(X):
    return {(ct, pt): BayesianGaussianMixture(n_components=4, covariance_type=ct, weight_concentration_prior_type=pt,
                                              max_iter=60, random_state=0).fit(X)
            for ct in COVARIANCE_TYPES for pt in PRIOR_TYPES}


@pytest.fixture
def bayes_file(tmp_path, fitted):
    return gaussmix.save(fitted[("full", "dirichlet_process")], tmp_path / "bayes.gmm")


def _parts(path):
    """(header dict, {member: bytes}) of a model file."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    return json.loads(members["header.json"]), members


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array))
    return buffer.getvalue()


def _rewrite(src, dst, header=None, members=None, drop=()):
    """A copy of ``src`` with header fields and members replaced (and some dropped)."""
    h, m = _parts(src)
    for key, value in (header or {}).items():
        if value is _DROP:
            h.pop(key, None)
        else:
            h[key] = value
    m.update(members or {})
    for name in drop:
        m.pop(name)
    m["header.json"] = json.dumps(h).encode()
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in m.items():
            zf.writestr(name, data)
    return dst


_DROP = object()


def assert_same_bayesian(loaded, model, X):
    """Every attribute bit for bit (and of the same type), every prediction identical."""
    assert type(loaded) is BayesianGaussianMixture
    for name in ATTRIBUTES:
        a, b = getattr(loaded, name), getattr(model, name)
        assert type(a) is type(b), name
        np.testing.assert_array_equal(a, b, err_msg=name)
    a, b = loaded.weight_concentration_, model.weight_concentration_
    assert type(a) is type(b)
    for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        np.testing.assert_array_equal(x, y)
    for method in ("predict", "predict_proba", "score_samples"):
        np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(model, method)(X), err_msg=method)
    assert loaded.score(X) == model.score(X)
    assert loaded.n_effective_components_ == model.n_effective_components_
    for X_new, X_old in zip(loaded.sample(15), model.sample(15)):
        np.testing.assert_array_equal(X_new, X_old)


# ----------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_round_trip_is_exact(tmp_path, X, fitted, covariance_type, prior_type):
    model = fitted[(covariance_type, prior_type)]
    path = model.save(tmp_path / "m.gmm")
    loaded = BayesianGaussianMixture.load(path)
    assert_same_bayesian(loaded, model, X)
    assert_same_bayesian(gaussmix.load(path), model, X)
    assert loaded.get_params() == model.get_params()
    header = read_header(path)
    assert (header["format_version"], header["estimator"]) == (FORMAT_VERSION, "BayesianGaussianMixture")
    assert header["weight_concentration_prior_type"] == prior_type
    assert header["priors"]["weight_concentration_prior_"] == model.weight_concentration_prior_ == 0.25


def test_given_priors_round_trip_and_refit(tmp_path, X):
    given = dict(weight_concentration_prior=5, mean_precision_prior=0.5, degrees_of_freedom_prior=4.5,
                 mean_prior=[0, 1, 2])
    for covariance_type, covariance_prior in (("full", np.eye(3) * 2), ("tied", [[2.0, 0.5, 0], [0.5, 1, 0],
                                                                                 [0, 0, 1]]),
                                              ("diag", [1.0, 2.0, 3.0]), ("spherical", 2.5)):
        model = BayesianGaussianMixture(n_components=3, covariance_type=covariance_type,
                                        covariance_prior=covariance_prior, random_state=0, **given).fit(X)
        path = gaussmix.save(model, tmp_path / f"{covariance_type}.gmm")
        loaded = gaussmix.load(path)
        assert_same_bayesian(loaded, model, X)
        params = loaded.get_params()
        np.testing.assert_array_equal(params["mean_prior"], [0.0, 1.0, 2.0])
        np.testing.assert_array_equal(params["covariance_prior"], covariance_prior)
        assert params["weight_concentration_prior"] == 5 and type(params["weight_concentration_prior"]) is int
        header = read_header(path)
        assert header["params"]["mean_prior"] == "params/mean_prior.npy"
        if covariance_type == "spherical":  # a float is a JSON number, not an array member
            assert header["params"]["covariance_prior"] == 2.5 and params["covariance_prior"] == 2.5
            assert "params/covariance_prior.npy" not in zipfile.ZipFile(path).namelist()
        else:
            assert header["params"]["covariance_prior"] == "params/covariance_prior.npy"
        refit = BayesianGaussianMixture(**params).fit(X)  # the loaded parameters give the same fit
        np.testing.assert_array_equal(refit.means_, model.means_)


def test_loaded_model_warm_starts_like_the_saved_one(tmp_path, X, fitted):
    model = copy.deepcopy(fitted[("diag", "dirichlet_distribution")])
    loaded = gaussmix.load(gaussmix.save(model, tmp_path / "m.gmm"))
    for m in (model, loaded):
        m.set_params(warm_start=True, max_iter=3).fit(X)
    np.testing.assert_array_equal(loaded.means_, model.means_)
    np.testing.assert_array_equal(loaded.mean_precision_, model.mean_precision_)


def test_scikit_learn_bayesian_model_loads_as_gaussmix(tmp_path, X):
    for covariance_type in ("tied", "spherical"):  # a tied lower_bound_ is a one-element array there
        sk = SkBayesianGaussianMixture(n_components=3, covariance_type=covariance_type, random_state=0).fit(X)
        loaded = gaussmix.load(gaussmix.save(sk, tmp_path / f"sk-{covariance_type}.gmm"))
        assert type(loaded) is BayesianGaussianMixture
        np.testing.assert_allclose(loaded.score_samples(X), sk.score_samples(X), rtol=1e-12)
        np.testing.assert_array_equal(loaded.predict(X), sk.predict(X))


def test_each_class_loads_only_its_own_files(tmp_path, X, bayes_file):
    gm_file = gaussmix.save(GaussianMixture(2, random_state=0).fit(X), tmp_path / "gm.gmm")
    with pytest.raises(ModelFileError, match="holds a BayesianGaussianMixture, not a GaussianMixture"):
        GaussianMixture.load(bayes_file)
    with pytest.raises(ModelFileError, match="holds a GaussianMixture, not a BayesianGaussianMixture"):
        BayesianGaussianMixture.load(gm_file)
    assert type(gaussmix.load(gm_file)) is GaussianMixture and type(gaussmix.load(bayes_file)) is \
        BayesianGaussianMixture


# ----------------------------------------------------------------- GaussianMixture files, old and new
def test_gaussian_mixture_file_of_today_and_of_version_1_load(tmp_path, X):
    gm = GaussianMixture(2, covariance_type="tied", random_state=0).fit(X)
    today = gaussmix.save(gm, tmp_path / "today.gmm")
    header, members = _parts(today)
    assert header["estimator"] == "GaussianMixture" and header["format_version"] == FORMAT_VERSION == 2
    assert sorted(members) == ["covariances.npy", "header.json", "lower_bounds.npy", "means.npy", "weights.npy"]
    # The layout of version 1 (gaussmix before BayesianGaussianMixture): the same, without "estimator".
    old = _rewrite(today, tmp_path / "v1.gmm", header={"format_version": 1, "estimator": _DROP})
    for path in (today, old):
        loaded = GaussianMixture.load(path)
        np.testing.assert_array_equal(loaded.predict_proba(X), gm.predict_proba(X))
        np.testing.assert_array_equal(loaded.precisions_cholesky_, gm.precisions_cholesky_)
        assert loaded.get_params() == gm.get_params()
    assert read_header(old)["estimator"] == "GaussianMixture" and read_header(old)["format_version"] == 1
    with pytest.raises(ModelFileError, match="unknown fields \\['estimator'\\]"):  # version 1 had no such field
        gaussmix.load(_rewrite(today, tmp_path / "v1e.gmm", header={"format_version": 1}))
    with pytest.raises(ModelFileError, match="lacks the field 'estimator'"):
        gaussmix.load(_rewrite(today, tmp_path / "v2.gmm", header={"estimator": _DROP}))


def test_version_1_cannot_hold_a_bayesian_model(tmp_path, bayes_file):
    bad = _rewrite(bayes_file, tmp_path / "bad.gmm", header={"format_version": 1, "estimator": _DROP})
    with pytest.raises(ModelFileError, match="unknown fields"):
        gaussmix.load(bad)


# ----------------------------------------------------------------------------- corrupt Bayesian files
K, D = 4, 3
BAD_BAYESIAN = {
    "unknown estimator": (dict(header={"estimator": "DirichletMixture"}), "unknown estimator 'DirichletMixture'"),
    "estimator not a string": (dict(header={"estimator": 3}), "'estimator' has the wrong type"),
    "sticks of the wrong shape": (dict(members={"weight_concentration.npy": _npy(np.ones(K))}),
                                  "weight_concentration has shape \\(4,\\).*needs \\(2, 4\\)"),
    "mean_precision shape": (dict(members={"mean_precision.npy": _npy(np.ones((K, 1)))}),
                             "mean_precision has shape \\(4, 1\\)"),
    "covariance_prior shape": (dict(members={"covariance_prior.npy": _npy(np.eye(2))}),
                               "covariance_prior has shape \\(2, 2\\)"),
    "negative mean_precision": (dict(members={"mean_precision.npy": _npy([1.0, -2.0, 1.0, 1.0])}),
                                "mean_precision must be positive"),
    "zero weight_concentration": (dict(members={"weight_concentration.npy": _npy(np.zeros((2, K)))}),
                                  "weight_concentration must be positive"),
    "NaN degrees_of_freedom": (dict(members={"degrees_of_freedom.npy": _npy([np.nan, 5.0, 5.0, 5.0])}),
                               "degrees_of_freedom holds 1 non-finite"),
    "inf mean_prior": (dict(members={"mean_prior.npy": _npy([0.0, np.inf, 0.0])}), "mean_prior holds 1 non-finite"),
    "degrees_of_freedom too small": (dict(members={"degrees_of_freedom.npy": _npy([2.0, 5.0, 5.0, 5.0])}),
                                     "degrees_of_freedom must be greater than n_features - 1 = 2"),
    "covariance_prior not definite": (dict(members={"covariance_prior.npy": _npy(np.diag([1.0, -1.0, 1.0]))}),
                                      "covariance_prior is not a valid prior.*positive definite"),
    "weights not the posterior's": (dict(members={"weights.npy": _npy([0.7, 0.1, 0.1, 0.1])}),
                                    "weights are not the posterior's"),
    "missing posterior": (dict(drop=["mean_precision.npy"]), "missing \\['mean_precision.npy'\\]"),
    "float32 posterior": (dict(members={"mean_precision.npy": _npy(np.ones(K, dtype=np.float32))}),
                          "mean_precision has dtype float32"),
    "pickled posterior": (dict(members={"mean_prior.npy": None}), "Python objects"),
    "negative prior": (dict(header={"priors": {"weight_concentration_prior_": -1.0, "mean_precision_prior_": 1.0,
                                                "degrees_of_freedom_prior_": 3.0}}),
                       "weight_concentration_prior_ must be finite and positive"),
    "prior dof too small": (dict(header={"priors": {"weight_concentration_prior_": 0.25, "mean_precision_prior_": 1.0,
                                                     "degrees_of_freedom_prior_": 1.5}}),
                            "degrees_of_freedom_prior_ must be finite and greater than n_features - 1 = 2"),
    "prior missing": (dict(header={"priors": {"weight_concentration_prior_": 0.25, "mean_precision_prior_": 1.0}}),
                      "lacks the field 'degrees_of_freedom_prior_'"),
    "prior as a string": (dict(header={"priors": {"weight_concentration_prior_": "0.25", "mean_precision_prior_": 1.0,
                                                   "degrees_of_freedom_prior_": 3.0}}),
                          "prior 'weight_concentration_prior_' has the wrong type"),
    "unknown prior": (dict(header={"priors": {"weight_concentration_prior_": 0.25, "mean_precision_prior_": 1.0,
                                               "degrees_of_freedom_prior_": 3.0, "extra": 1.0}}),
                      "priors has unknown fields"),
    "priors missing": (dict(header={"priors": _DROP}), "lacks the field 'priors'"),
    "unknown prior type": (dict(header={"weight_concentration_prior_type": "pitman_yor"}),
                           "unknown weight_concentration_prior_type 'pitman_yor'"),
    "prior types disagree": (dict(header={"weight_concentration_prior_type": "dirichlet_distribution"}),
                             "params.weight_concentration_prior_type disagrees"),
    "an mclust form": (dict(header={"covariance_type": "VEV", "params": {}}), "has covariance_type 'full', 'tied'"),
    "a GaussianMixture parameter": (dict(header={"params": {"online_decay": 0.6}}),
                                    "unknown constructor parameter 'online_decay'"),
    "negative prior parameter": (dict(header={"params": {"mean_precision_prior": -1.0}}),
                                 "parameter mean_precision_prior must be finite and positive"),
    "parameter array elsewhere": (dict(header={"params": {"mean_prior": "../mean_prior.npy"}}),
                                  "must be a number, null or 'params/mean_prior.npy'"),
    "parameter array missing": (dict(header={"params": {"mean_prior": "params/mean_prior.npy"}}),
                                "missing \\['params/mean_prior.npy'\\]"),
    "parameter array unannounced": (dict(members={"params/mean_prior.npy": _npy(np.zeros(D))}),
                                    "unexpected \\['params/mean_prior.npy'\\]"),
}


@pytest.mark.parametrize("case", list(BAD_BAYESIAN))
def test_corrupt_bayesian_file_is_refused_by_name(tmp_path, bayes_file, case):
    kwargs, message = BAD_BAYESIAN[case]
    if case == "pickled posterior":
        buffer = io.BytesIO()
        np.save(buffer, np.array([0.0, 1.0, 2.0], dtype=object), allow_pickle=True)
        kwargs = dict(members={"mean_prior.npy": buffer.getvalue()})
    bad = _rewrite(bayes_file, tmp_path / "bad.gmm", **kwargs)
    with pytest.raises(ModelFileError, match=message):
        gaussmix.load(bad)


def test_corrupt_given_prior_is_refused(tmp_path, X):
    model = BayesianGaussianMixture(n_components=2, covariance_prior=np.eye(3), random_state=0).fit(X)
    good = gaussmix.save(model, tmp_path / "given.gmm")
    bad = _rewrite(good, tmp_path / "bad.gmm", members={"params/covariance_prior.npy": _npy(np.ones((3, 3)))})
    with pytest.raises(ModelFileError, match="params/covariance_prior is not a valid prior"):
        gaussmix.load(bad)


def test_a_model_that_cannot_be_written_is_refused_before_writing(tmp_path, fitted):
    model = copy.deepcopy(fitted[("spherical", "dirichlet_process")])
    model.mean_precision_ = -model.mean_precision_
    with pytest.raises(ModelFileError, match="the model to save: mean_precision must be positive"):
        gaussmix.save(model, tmp_path / "m.gmm")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- the command
def run(*args, ok=True):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def blobs(tmp_path_factory):
    """A fifth of the textbook's three blobs, as .npy."""
    rows = make_handson_blobs()[0][::5]
    path = tmp_path_factory.mktemp("bayes-cli") / "blobs.npy"
    np.save(path, rows)
    return rows, path


@pytest.fixture(scope="module")
def cli_model(blobs, tmp_path_factory):
    """``fit --bayesian`` with every prior option, its document and the library's fit."""
    rows, data = blobs
    out = tmp_path_factory.mktemp("bayes-cli-model") / "bayes.gmm"
    result = run("fit", data, "-k", 6, "--bayesian", "--weight-concentration-prior-type", "dirichlet_process",
                 "--weight-concentration-prior", 0.05, "--mean-precision-prior", 0.5,
                 "--degrees-of-freedom-prior", 3, "--max-iter", 300, "--seed", 0, "-o", out, "--json")
    reference = BayesianGaussianMixture(n_components=6, weight_concentration_prior=0.05, mean_precision_prior=0.5,
                                        degrees_of_freedom_prior=3, max_iter=300, random_state=0).fit(rows)
    return out, json.loads(result.stdout), reference


def test_fit_bayesian_equals_the_library_fit(blobs, cli_model):
    rows, _ = blobs
    out, doc, reference = cli_model
    saved = gaussmix.load(out)
    assert type(saved) is BayesianGaussianMixture
    for name in ("weights_", "means_", "covariances_", "mean_precision_", "degrees_of_freedom_"):
        np.testing.assert_allclose(getattr(saved, name), getattr(reference, name), rtol=1e-9, atol=1e-12,
                                   err_msg=name)
    assert (saved.n_iter_, saved.converged_) == (reference.n_iter_, reference.converged_)
    np.testing.assert_array_equal(saved.predict(rows), reference.predict(rows))
    assert doc["estimator"] == "BayesianGaussianMixture" and doc["n_components"] == 6
    assert doc["n_effective_components"] == reference.n_effective_components_ == 3
    np.testing.assert_allclose(doc["weights"], reference.weights_, rtol=1e-9, atol=1e-12)
    assert doc["priors"]["weight_concentration_prior_"] == 0.05 and doc["priors"]["degrees_of_freedom_prior_"] == 3
    assert doc["params"]["weight_concentration_prior"] == 0.05
    assert doc["weight_concentration_prior_type"] == "dirichlet_process"
    assert (doc["bic"], doc["aic"], doc["n_parameters"]) == (None, None, None)
    np.testing.assert_allclose(doc["mean_log_likelihood"], reference.score(rows), rtol=1e-12)


def test_fit_bayesian_text_summary(blobs):
    _, data = blobs
    text = run("fit", data, "-k", 8, "--bayesian", "--weight-concentration-prior-type", "dirichlet_distribution",
               "--max-iter", 300, "--seed", 1).stdout
    reference = BayesianGaussianMixture(n_components=8, weight_concentration_prior_type="dirichlet_distribution",
                                        max_iter=300, random_state=1).fit(np.load(data))
    assert "Fitted a Bayesian mixture of at most 8 components (full, dirichlet_distribution prior)" in text
    assert f"effective components: {reference.n_effective_components_} of 8 (weight >= 1%)" in text
    assert "weight_concentration_prior_=0.125" in text and "BIC/AIC: not defined" in text
    for weight in reference.weights_[reference.weights_ >= 0.01]:
        assert f"{weight:.4f}" in text


@pytest.mark.parametrize("option, value", [("--weight-concentration-prior", "0.1"),
                                           ("--weight-concentration-prior-type", "dirichlet_distribution"),
                                           ("--mean-precision-prior", "2"), ("--degrees-of-freedom-prior", "4")])
def test_prior_options_need_bayesian(blobs, tmp_path, option, value):
    _, data = blobs
    result = run("fit", data, "-k", 3, option, value, "-o", tmp_path / "m.gmm", ok=False)
    assert result.exit_code == 2 and result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == [f"Error: {option} needs --bayesian (the priors of a BayesianGaussianMixture)."]
    assert "Traceback" not in result.output and list(tmp_path.iterdir()) == []


def test_bad_bayesian_settings_are_one_line_errors(blobs):
    _, data = blobs
    for args, fragment in ((["--covariance-type", "VEV"], "variational posterior has no other form"),
                           (["--degrees-of-freedom-prior", "0.5"], "'degrees_of_freedom_prior' should be greater")):
        result = run("fit", data, "-k", 3, "--bayesian", *args, ok=False)
        assert result.exit_code == 1 and result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0]
    result = run("fit", data, "-k", 3, "--bayesian", "--weight-concentration-prior", "0", ok=False)
    assert result.exit_code == 2 and "Invalid value for '--weight-concentration-prior'" in result.stderr


def test_inspect_shows_the_estimator_priors_and_effective_components(cli_model):
    out, _, reference = cli_model
    text = run("inspect", out).stdout
    assert f"gaussmix-model v{FORMAT_VERSION}" in text
    assert "BayesianGaussianMixture: 6 components, covariance_type='full', 2 features" in text
    assert "effective components: 3 of 6 (weight >= 1%)" in text
    assert "weight prior: dirichlet_process, weight_concentration_prior_=0.05" in text
    assert "mean_precision_prior_=0.5" in text and "degrees_of_freedom_prior_=3" in text
    assert "covariance_prior_=" in text and "covariance 5:" in text
    doc = json.loads(run("inspect", out, "--json").stdout)
    assert doc["header"]["estimator"] == "BayesianGaussianMixture" and doc["n_effective_components"] == 3
    np.testing.assert_array_equal(doc["priors"]["mean_prior_"], reference.mean_prior_)


def test_predict_score_sample_use_the_model_s_own_e_step(blobs, cli_model, tmp_path):
    rows, data = blobs
    out, _, _ = cli_model
    model = gaussmix.load(out)
    run("predict", out, data, "-o", tmp_path / "labels.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "labels.npy"), model.predict(rows))
    run("predict", out, data, "--proba", "-o", tmp_path / "proba.npy")
    np.testing.assert_allclose(np.load(tmp_path / "proba.npy"), model.predict_proba(rows), rtol=1e-12, atol=1e-15)
    doc = json.loads(run("score", out, data, "-o", tmp_path / "logp.npy", "--json").stdout)
    np.testing.assert_allclose(doc["mean_log_likelihood"], model.score(rows), rtol=1e-12)
    np.testing.assert_allclose(np.load(tmp_path / "logp.npy"), model.score_samples(rows), rtol=1e-12)
    assert doc["bic"] is None and "BIC/AIC: not defined" in run("score", out, data).stdout
    run("sample", out, "-n", 20, "--seed", 3, "-o", tmp_path / "new.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "new.npy"), model.set_params(random_state=3).sample(20)[0])


# ----------------------------------------------------------------------------- the figure
@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_plot_weight_concentration_draws_two_titled_panels(plt):
    from gaussmix.plotting import plot_weight_concentration

    X = make_handson_blobs()[0][:73]  # the book's figure
    axes = plot_weight_concentration(X, n_components=10, priors=(0.01, 10000), random_state=42, max_iter=500)
    assert len(axes) == 2 and axes[0].figure is axes[1].figure
    titles = [ax.get_title() for ax in axes]
    assert titles == ["weight_concentration_prior = 0.01\n3 effective components",
                      "weight_concentration_prior = 10000\n10 effective components"]
    low = axes[0].gaussmix_model
    assert low.weight_concentration_prior == 0.01 and low.n_effective_components_ == 3
    ellipses = [a for a in axes[0].get_children() if a.get_gid() == "gaussmix-ellipse"]
    assert len(ellipses) == 3  # one 2-sd ellipse per effective component; the emptied ones are not drawn
    _, (left, right, third) = plt.subplots(1, 3)
    with pytest.raises(ValueError, match="3 Axes for 2 priors"):
        plot_weight_concentration(X, axes=[left, right, third])


def test_plot_mixture_of_a_bayesian_model_draws_its_own_e_step(plt, fitted, X):
    from gaussmix.core import EStep
    from gaussmix.plotting import marginal, plot_mixture

    model = fitted[("full", "dirichlet_process")]
    # Over all its features (any order) the "marginal" is the model: its variational E-step, as
    # predict_proba/score_samples evaluate it (the posterior-mean weights would give other numbers).
    order = [2, 0, 1]
    every = EStep(marginal(model, order), np.float64)
    np.testing.assert_allclose(every.responsibilities(X[:, order]), model.predict_proba(X), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(every.score_samples(X[:, order]), model.score_samples(X), rtol=1e-12)
    assert marginal(model, [0, 1]).log_weights is None  # a true marginal: of the posterior-mean mixture
    ax = plot_mixture(model, X, ax=plt.subplots()[1])
    points = [a for a in ax.collections if a.get_gid() == "gaussmix-points"][0]
    colours = plt.get_cmap("tab10")
    np.testing.assert_allclose(points.get_facecolors()[:, :3], [colours(label)[:3] for label in model.predict(X)])
    n_ellipses = len([a for a in ax.get_children() if a.get_gid() == "gaussmix-ellipse"])
    assert n_ellipses == 3 * model.n_effective_components_


# ----------------------------------------------------------------------------- the demo
def test_demo_bayesian_section_on_small_data():
    from gaussmix import demo

    X = make_handson_blobs()[0]
    model = demo.fit_bayesian(X[::5], n_init=1)
    assert model.n_effective_components_ == 3 and model.n_components == 10 and model.converged_
    counts = demo.weight_concentration_counts(X[:73])
    assert counts == {0.01: 3, 10000.0: 10}
    result = types.SimpleNamespace(bayesian=model, handson=X[::5], seed=42, bayesian_seconds=0.1,
                                   concentration=counts)
    lines = demo._bayesian_lines(result)
    assert lines[0].startswith("4. Bayesian mixtures") and "effective components (weight >= 1%): 3 of 10" in lines[3]
    assert "0.01 keeps 3 components, 10000 spreads the weight over 10" in lines[4]
    assert demo.FIGURES["weight_concentration"] == "bayesian_concentration.png"


def test_demo_refuses_to_overwrite_a_bayesian_figure_it_did_not_write(tmp_path):
    from gaussmix.demo import check_directory

    (tmp_path / "bayesian_concentration.png").write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="bayesian_concentration.png' exists and was not written"):
        check_directory(tmp_path)
