"""nan_policy: incomplete rows through every data path, impute / marginal / conditional, errors.

The exactness of EM with missing values against an independent per-row implementation is in
``test_missing_reference.py``; here: the same fit through files, chunks, Dask, torch and float32,
the kernel against scipy for every form, the variational mixture, and the user-facing errors.
"""

import warnings

import numpy as np
import pytest
from conftest import make_blobs3
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from gaussmix import BayesianGaussianMixture, GaussianMixture, from_chunks, from_file
from gaussmix.covariance import COVARIANCE_NAMES
from gaussmix.exceptions import ConvergenceWarning, InvalidRowsError

X3 = make_blobs3()


def with_holes(X, fraction=0.2, seed=0):
    """``X`` with a fraction of its entries NaN (at random), one row with nothing observed."""
    rng = np.random.RandomState(seed)
    Xm = X.copy()
    Xm[rng.rand(*X.shape) < fraction] = np.nan
    Xm[7] = np.nan
    return Xm


XM = with_holes(X3)


def fit(X, sample_weight=None, **kw):
    params = dict(n_components=3, random_state=0, tol=0.0, max_iter=8, nan_policy="marginalize") | kw
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GaussianMixture(**params).fit(X, sample_weight=sample_weight)


def assert_same_fit(a, b, rtol=1e-9):
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(np.asarray(getattr(a, name)), np.asarray(getattr(b, name)), rtol=rtol,
                                   atol=rtol * 1e-2)
    np.testing.assert_allclose(a.lower_bound_, b.lower_bound_, rtol=rtol)


def dense(gm):
    from gaussmix.covariance import get_covariance

    k, d = gm.means_.shape
    return get_covariance(gm.covariance_type).dense(gm.covariances_, k, d)


def scipy_log_density(gm, X):
    """log density of each row's observed coordinates under the fitted mixture (0 with none)."""
    covs = dense(gm)
    out = []
    for x in X:
        o = ~np.isnan(x)
        if not o.any():
            out.append(0.0)
            continue
        terms = [np.log(w) + multivariate_normal(m[o], c[np.ix_(o, o)]).logpdf(x[o])
                 for w, m, c in zip(gm.weights_, gm.means_, covs)]
        out.append(logsumexp(terms))
    return np.array(out)


@pytest.mark.parametrize("covariance_type", COVARIANCE_NAMES)
def test_every_form_fits_incomplete_rows_with_a_monotone_bound_and_scipy_densities(covariance_type):
    gm = fit(XM, covariance_type=covariance_type, max_iter=30)
    assert np.all(np.diff(gm.lower_bounds_) >= -1e-10 * abs(gm.lower_bounds_[-1]))
    assert gm.n_incomplete_ == int(np.isnan(XM).any(axis=1).sum())
    assert gm.n_omitted_ == int(np.isnan(XM).all(axis=1).sum()) >= 1
    log_density = gm.score_samples(XM)
    np.testing.assert_allclose(log_density, scipy_log_density(gm, XM), rtol=1e-10, atol=1e-10)
    resp = gm.predict_proba(XM)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0)
    np.testing.assert_allclose(resp[7], gm.weights_)  # nothing observed: the weights
    assert log_density[7] == 0.0
    np.testing.assert_array_equal(gm.predict(XM), resp.argmax(axis=1))
    observed = ~np.isnan(XM).all(axis=1)
    assert gm.score(XM) == pytest.approx(log_density[observed].mean(), rel=1e-12)


def test_complete_rows_are_unchanged_by_the_policy():
    a = fit(X3, nan_policy="raise")
    b = fit(X3, nan_policy="marginalize")
    c = fit(X3, nan_policy="omit")
    assert_same_fit(a, b, rtol=0)
    assert_same_fit(a, c, rtol=0)
    assert b.n_incomplete_ == b.n_omitted_ == 0


def test_omit_equals_the_fit_on_the_complete_rows_and_predicts_nan_for_the_others():
    complete = ~np.isnan(XM).any(axis=1)
    omitted = fit(XM, nan_policy="omit")
    assert_same_fit(omitted, fit(XM[complete], nan_policy="raise"), rtol=0)
    assert omitted.n_omitted_ == omitted.n_incomplete_ == int((~complete).sum())
    assert np.all(omitted.predict(XM)[~complete] == -1)
    assert np.isnan(omitted.predict_proba(XM)[~complete]).all()
    assert np.isnan(omitted.score_samples(XM)[~complete]).all()
    assert omitted.score(XM) == pytest.approx(omitted.score(XM[complete]), rel=1e-12)
    assert omitted.bic(XM) == pytest.approx(omitted.bic(XM[complete]), rel=1e-12)
    labels = GaussianMixture(3, random_state=0, nan_policy="omit").fit_predict(XM)
    assert labels.shape == (len(XM),) and np.all(labels[~complete] == -1)


def test_fit_predict_bic_aic_and_partial_fit_take_incomplete_rows():
    gm = GaussianMixture(3, random_state=0, nan_policy="marginalize")
    labels = gm.fit_predict(XM)
    np.testing.assert_array_equal(labels, gm.predict(XM))
    observed = ~np.isnan(XM).all(axis=1)
    n = observed.sum()
    assert gm.bic(XM) == pytest.approx(-2 * gm.score(XM) * n + gm._n_parameters() * np.log(n))
    assert gm.aic(XM) == pytest.approx(-2 * gm.score(XM) * n + 2 * gm._n_parameters())
    online = GaussianMixture(3, random_state=0, nan_policy="marginalize")
    for batch in np.array_split(XM, 4):
        online.partial_fit(batch)
    assert np.isfinite(online.means_).all() and online.n_iter_ == 4


def test_integer_weights_equal_repeated_rows():
    w = np.random.RandomState(3).randint(0, 3, size=len(XM))
    w[7] = 2  # a row with nothing observed counts for nothing, whatever its weight
    a = fit(XM, sample_weight=w.astype(float), init_params="random_from_data", random_state=1,
            weights_init=[0.3, 0.3, 0.4], means_init=[[0, 0, 0], [8, 1, -2], [-6, 5, 3]])
    b = fit(np.repeat(XM, w, axis=0), init_params="random_from_data", random_state=1,
            weights_init=[0.3, 0.3, 0.4], means_init=[[0, 0, 0], [8, 1, -2], [-6, 5, 3]])
    assert_same_fit(a, b, rtol=1e-8)


def rotated_thin(n=600, offset=0.0, seed=0):
    """Two rotated, stretched, thin clusters (the kind of data float32 finds hard)."""
    rng = np.random.RandomState(seed)
    d = 4
    parts = []
    for centre in (0.0, 6.0):
        A = rng.normal(size=(d, d)) / np.sqrt(d) * np.array([3.0, 1.0, 0.3, 0.05])[:, None]
        parts.append(centre + rng.normal(size=(n // 2, d)) @ A)
    return np.vstack(parts) + offset


@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_float32_far_from_zero_matches_float64(offset):
    X = with_holes(rotated_thin(offset=offset), 0.15, seed=2)
    start = dict(weights_init=[0.5, 0.5], means_init=np.nanmean(X, axis=0) + np.array([[-1.0], [1.0]]),
                 n_components=2)
    a = fit(X, **start)
    b = fit(X.astype(np.float32), **start)
    np.testing.assert_allclose(b.means_, a.means_, rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(b.covariances_, a.covariances_, rtol=2e-3, atol=1e-5 * np.abs(a.covariances_).max())
    assert np.all(np.linalg.eigvalsh(b.covariances_) > 0)


def test_files_chunks_and_torch_give_the_fit_of_the_array(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    reference = fit(XM)
    frame = pd.DataFrame(XM, columns=["a", "b", "c"])
    frame.to_csv(tmp_path / "x.csv", index=False)  # NaN written as empty cells
    assert ",," in (tmp_path / "x.csv").read_text() or ",\n" in (tmp_path / "x.csv").read_text()
    frame.astype("Float64").to_parquet(tmp_path / "x.parquet")  # nullable: NaN becomes null
    np.save(tmp_path / "x.npy", XM)
    sources = [from_file(tmp_path / "x.csv", chunk_rows=77), from_file(tmp_path / "x.parquet"),
               from_file(tmp_path / "x.npy", chunk_rows=50),
               from_chunks(lambda: (XM[i:i + 64] for i in range(0, len(XM), 64)))]
    for source in sources:
        gm = fit(source)
        assert_same_fit(gm, reference)
        assert (gm.n_incomplete_, gm.n_omitted_) == (reference.n_incomplete_, reference.n_omitted_)
        np.testing.assert_allclose(gm.score_samples(source), reference.score_samples(XM), rtol=1e-10)
        assert source.nan_policy == "raise"  # the caller's source is not changed
    with pytest.raises(InvalidRowsError, match="nan_policy='marginalize'"):
        GaussianMixture(2).fit(from_file(tmp_path / "x.csv"))
    torch = pytest.importorskip("torch")
    tensor = torch.from_numpy(XM)
    gm = fit(tensor)
    assert_same_fit(gm, reference)
    proba = gm.predict_proba(tensor)
    assert isinstance(proba, torch.Tensor)
    np.testing.assert_allclose(proba.numpy(), reference.predict_proba(XM), rtol=1e-10, atol=1e-12)
    imputed = gm.impute(tensor)
    assert isinstance(imputed, torch.Tensor)
    np.testing.assert_allclose(imputed.numpy(), reference.impute(XM), rtol=1e-10)


def test_dask_gives_the_fit_of_the_array(tmp_path):
    da = pytest.importorskip("dask.array")
    dask = pytest.importorskip("dask")
    with dask.config.set({"temporary-directory": str(tmp_path), "scheduler": "synchronous"}):
        gm = fit(da.from_array(XM, chunks=(100, 3)))
        assert_same_fit(gm, fit(XM))
        np.testing.assert_allclose(gm.score_samples(da.from_array(XM, chunks=(100, 3))).compute(),
                                   fit(XM).score_samples(XM), rtol=1e-10)
        # without the policy, a block's NaN is an error that names the row (never a silent NaN output)
        strict = fit(X3, nan_policy="raise")
        with pytest.raises(ValueError, match=r"at row \d+ \(an estimator's nan_policy='marginalize'"):
            strict.predict(da.from_array(XM, chunks=(100, 3))).compute()


def test_bayesian_mixture_marginalizes_with_a_monotone_bound():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        bgm = BayesianGaussianMixture(6, random_state=0, max_iter=200, nan_policy="marginalize").fit(XM)
    assert np.all(np.diff(bgm.lower_bounds_) >= -1e-8 * abs(bgm.lower_bounds_[-1]))
    assert np.sum(bgm.weights_ > 0.05) == 3
    complete = BayesianGaussianMixture(6, random_state=0, max_iter=200).fit(X3)
    np.testing.assert_allclose(np.sort(bgm.means_[bgm.weights_ > 0.05], axis=0),
                               np.sort(complete.means_[complete.weights_ > 0.05], axis=0), atol=0.5)
    # no NaN at all: the same numbers as without the policy
    same = BayesianGaussianMixture(6, random_state=0, max_iter=200, nan_policy="marginalize").fit(X3)
    np.testing.assert_array_equal(same.means_, complete.means_)


def test_impute_fills_only_the_holes_with_conditional_means_and_draws():
    gm = fit(XM, max_iter=50)
    imputed = gm.impute(XM)
    holes = np.isnan(XM)
    np.testing.assert_array_equal(imputed[~holes], XM[~holes])
    assert np.isfinite(imputed).all()
    np.testing.assert_allclose(imputed[7], gm.weights_ @ gm.means_)
    # the conditional mean of a single row, by hand from the posterior and the components
    row = XM[np.flatnonzero(holes.sum(axis=1) == 1)[0]]
    o, m = ~np.isnan(row), np.isnan(row)
    covs = dense(gm)
    log_r = [np.log(w) + multivariate_normal(mu[o], c[np.ix_(o, o)]).logpdf(row[o])
             for w, mu, c in zip(gm.weights_, gm.means_, covs)]
    r = np.exp(np.array(log_r) - logsumexp(log_r))
    expected = sum(rk * (mu[m] + c[np.ix_(m, o)] @ np.linalg.solve(c[np.ix_(o, o)], row[o] - mu[o]))
                   for rk, mu, c in zip(r, gm.means_, covs))
    np.testing.assert_allclose(gm.impute(row[None])[0, m], expected, rtol=1e-10)
    # draws: observed untouched, reproducible, and their mean is the conditional mean
    many = np.repeat(row[None], 4000, axis=0)
    drawn = gm.impute(many, sample=True, random_state=0)
    np.testing.assert_array_equal(drawn[:, o], many[:, o])
    np.testing.assert_array_equal(drawn, gm.impute(many, sample=True, random_state=0))
    spread = np.sqrt(sum(rk * c[np.ix_(m, m)].diagonal() for rk, c in zip(r, covs)) + 1e-12)
    assert np.all(np.abs(drawn[:, m].mean(axis=0) - expected) < 5 * spread / np.sqrt(4000) + 1e-9)
    assert gm.impute(XM.astype(np.float32)).dtype == np.float32


def test_gaussian_mixture_regression_is_impute_on_missing_targets():
    rng = np.random.RandomState(0)
    x = rng.uniform(-3, 3, 1500)
    y = np.sin(x) + 0.1 * rng.normal(size=x.size)
    gm = GaussianMixture(8, random_state=0).fit(np.c_[x, y])
    grid = np.linspace(-2.5, 2.5, 21)
    predicted = gm.impute(np.c_[grid, np.full(grid.size, np.nan)])[:, 1]
    assert np.abs(predicted - np.sin(grid)).max() < 0.15


def test_marginal_and_conditional_agree_with_the_incomplete_rows():
    for covariance_type in ("full", "tied", "diag", "spherical", "VEV", "EEI", "EII"):
        gm = fit(X3, covariance_type=covariance_type, nan_policy="raise", max_iter=20)
        marginal = gm.marginal([2, 0])
        holes = X3.copy()
        holes[:, 1] = np.nan
        gm.set_params(nan_policy="marginalize")  # predictions take the incomplete rows
        np.testing.assert_allclose(marginal.score_samples(X3[:, [2, 0]]), gm.score_samples(holes), rtol=1e-10)
        given = gm.conditional([1], [2.0])
        assert given.n_features_in_ == 2 and given.weights_.sum() == pytest.approx(1.0)
        rows = np.c_[X3[:5, 0], np.full(5, 2.0), X3[:5, 2]]
        # joint = marginal of the given feature x conditional of the others
        joint = gm.score_samples(rows)
        factored = gm.marginal([1]).score_samples(np.full((5, 1), 2.0)) + given.score_samples(rows[:, [0, 2]])
        np.testing.assert_allclose(joint, factored, rtol=1e-9)


def test_marginal_keeps_feature_names():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X3, columns=["a", "b", "c"])
    gm = GaussianMixture(2, random_state=0).fit(frame)
    assert list(gm.marginal(["c", "a"]).feature_names_in_) == ["c", "a"]
    assert list(gm.conditional(["b"], [1.0]).feature_names_in_) == ["a", "c"]


@pytest.mark.parametrize("call, message", [
    (lambda gm: gm.marginal([]), "features is empty"),
    (lambda gm: gm.marginal([0, 0]), "name a feature twice"),
    (lambda gm: gm.marginal([3]), "out of range for 3 features"),
    (lambda gm: gm.marginal(["a"]), "fitted without names"),
    (lambda gm: gm.marginal([1.5]), "column indices or names"),
    (lambda gm: gm.conditional([0, 1, 2], [1, 2, 3]), "nothing is left"),
    (lambda gm: gm.conditional([0], [1.0, 2.0]), r"expected shape \(1,\)"),
    (lambda gm: gm.conditional([0], [np.nan]), "must be finite"),
    (lambda gm: gm.impute(np.zeros((3, 2))), "X has 2 features"),
    (lambda gm: gm.impute(np.array([[np.inf, 1.0, np.nan]])), "infinite"),
])
def test_bad_arguments_name_the_problem(call, message):
    gm = GaussianMixture(2, random_state=0).fit(X3)
    with pytest.raises(ValueError, match=message):
        call(gm)


def test_nan_errors_say_what_to_do():
    with pytest.raises(InvalidRowsError, match="nan_policy='marginalize'"):
        GaussianMixture(2).fit(XM)
    with pytest.raises(InvalidRowsError, match="infinite"):
        GaussianMixture(2, nan_policy="marginalize").fit(np.r_[XM, [[np.inf, 1.0, 1.0]]])
    with pytest.raises(ValueError, match="nan_policy"):
        GaussianMixture(2, nan_policy="drop").fit(X3)
    with pytest.raises(ValueError, match="Feature 1 has no observed value"):
        GaussianMixture(2, nan_policy="marginalize").fit(np.c_[X3[:, :1], np.full(len(X3), np.nan)])
    with pytest.raises(ValueError, match="leaves no row"):
        GaussianMixture(2, nan_policy="omit").fit(np.c_[X3[:, :2], np.full(len(X3), np.nan)])
    fitted = GaussianMixture(2, random_state=0).fit(X3)
    with pytest.raises(InvalidRowsError, match="nan_policy='marginalize'"):
        fitted.predict(XM)


def test_select_marginalizes_and_its_best_model_is_the_estimators_fit():
    from gaussmix import select

    result = select(XM, 4, ("full", "diag"), nan_policy="marginalize", random_state=0)
    best = result.best
    assert best.n_components == 3
    n = int((~np.isnan(XM).all(axis=1)).sum())
    gm = GaussianMixture(3, covariance_type=best.covariance_type, n_init=3, random_state=0,
                         init_params="hierarchical", tol=1e-3 / n, max_iter=300, nan_policy="marginalize").fit(XM)
    assert gm.lower_bound_ == pytest.approx(result.best_model.lower_bound_, rel=1e-10)
    assert gm.bic(XM) == pytest.approx(best.bic, rel=1e-10)


def test_model_files_keep_the_policy(tmp_path):
    from gaussmix import load
    from gaussmix.exceptions import ModelFileError

    gm = fit(XM, max_iter=20)
    gm.save(tmp_path / "m.gmm")
    loaded = load(tmp_path / "m.gmm")
    assert loaded.nan_policy == "marginalize"
    np.testing.assert_allclose(loaded.score_samples(XM), gm.score_samples(XM), rtol=1e-12)
    import json
    import zipfile

    with zipfile.ZipFile(tmp_path / "m.gmm") as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    header = json.loads(members["header.json"])
    header["params"]["nan_policy"] = "guess"
    members["header.json"] = json.dumps(header).encode()
    with zipfile.ZipFile(tmp_path / "bad.gmm", "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ModelFileError, match="nan_policy"):
        load(tmp_path / "bad.gmm")


def test_cli_fits_predicts_and_scores_csv_files_with_empty_cells(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    import json

    from click.testing import CliRunner

    from gaussmix.cli import main

    pd.DataFrame(XM, columns=["a", "b", "c"]).to_csv(tmp_path / "x.csv", index=False)
    runner = CliRunner()
    refused = runner.invoke(main, ["fit", str(tmp_path / "x.csv"), "-k", "3"])
    assert refused.exit_code != 0 and "--nan-policy marginalize" in refused.output
    done = runner.invoke(main, ["fit", str(tmp_path / "x.csv"), "-k", "3", "--seed", "0", "--nan-policy",
                                "marginalize", "-o", str(tmp_path / "m.gmm"), "--json"], catch_exceptions=False)
    document = json.loads(done.output)
    reference = GaussianMixture(3, random_state=0, nan_policy="marginalize").fit(XM)
    assert document["incomplete_rows"] == reference.n_incomplete_
    assert document["omitted_rows"] == reference.n_omitted_
    assert document["bic"] == pytest.approx(reference.bic(XM), rel=1e-9)
    labels = runner.invoke(main, ["predict", str(tmp_path / "m.gmm"), str(tmp_path / "x.csv")],
                           catch_exceptions=False)
    predicted = np.array(labels.output.split()[1:], dtype=int)
    np.testing.assert_array_equal(predicted, reference.predict(XM))
    scored = json.loads(runner.invoke(main, ["score", str(tmp_path / "m.gmm"), str(tmp_path / "x.csv"), "--json"],
                                      catch_exceptions=False).output)
    assert scored["mean_log_likelihood"] == pytest.approx(reference.score(XM), rel=1e-9)
    omitted = runner.invoke(main, ["predict", str(tmp_path / "m.gmm"), str(tmp_path / "x.csv"), "--nan-policy",
                                   "omit"], catch_exceptions=False)
    flags = np.array(omitted.output.split()[1:], dtype=int)
    assert np.all(flags[np.isnan(XM).any(axis=1)] == -1) and np.all(flags[~np.isnan(XM).any(axis=1)] >= 0)


def test_outlier_detector_and_selection_estimator_take_incomplete_rows():
    from gaussmix import GaussianMixtureIC, MixtureOutlierDetector

    detector = MixtureOutlierDetector(GaussianMixture(3, random_state=0, nan_policy="omit"), contamination=0.05)
    detector.fit(XM)
    complete = ~np.isnan(XM).any(axis=1)
    # the threshold is the 5th percentile of the rows that were fitted, the complete ones
    assert detector.offset_ == pytest.approx(np.percentile(detector.score_samples(XM[complete]), 5))
    marginalized = MixtureOutlierDetector(GaussianMixture(3, random_state=0, nan_policy="marginalize")).fit(XM)
    observed = ~np.isnan(XM).all(axis=1)
    assert marginalized.offset_ == pytest.approx(np.percentile(marginalized.score_samples(XM)[observed], 4))
    ic = GaussianMixtureIC(n_components=4, covariance_type="full", random_state=0, nan_policy="marginalize").fit(XM)
    assert ic.best_n_components_ == 3
    np.testing.assert_array_equal(ic.predict(XM), ic.best_estimator_.predict(XM))
