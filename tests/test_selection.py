"""Model selection: every candidate is the GaussianMixture fit it stands for, the criteria are
scikit-learn's (and ICL its definition), and the grid shares one pass over the data per iteration."""

import math
import warnings

from pathlib import Path

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from gaussmix import GaussianMixture, GaussianMixtureIC, InvalidParameterError, select
from gaussmix.core import EStep, MixtureParams, StatsBundle, reduce_many, run_em, run_em_many
from gaussmix.data import ArrayData
from gaussmix.datasets import load_faithful

from conftest import COVARIANCE_TYPES, make_blobs3, random_params

# re-seeding an empty component never happens where candidates are compared with scikit-learn
pytestmark = pytest.mark.filterwarnings("error::gaussmix.exceptions.EmptyComponentWarning")


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1):  # tiny matrices: extra BLAS threads only contend on a shared machine
        yield


class CountingData(ArrayData):
    """An ArrayData that counts its passes and the chunks it serves."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.n_reduce = 0
        self.n_chunks = 0

    def chunks(self):
        for chunk in super().chunks():
            self.n_chunks += 1
            yield chunk

    def reduce(self, fn):
        self.n_reduce += 1
        return super().reduce(fn)


# ------------------------------------------------------------------ core: run_em_many
def test_run_em_many_equals_separate_runs():
    X = make_blobs3()
    starts = [random_params(t, k, 3, seed=k) for t in COVARIANCE_TYPES for k in (1, 2, 3)]
    together = run_em_many(ArrayData(X, chunk_rows=64), starts, tol=1e-6, max_iter=40, reg_covar=1e-6)
    for start, result in zip(starts, together):
        alone = run_em(ArrayData(X, chunk_rows=64), start, tol=1e-6, max_iter=40, reg_covar=1e-6)
        assert result.n_iter == alone.n_iter and result.converged == alone.converged
        assert result.lower_bounds == alone.lower_bounds
        np.testing.assert_array_equal(result.params.means, alone.params.means)
        np.testing.assert_array_equal(result.params.covariances, alone.params.covariances)


def test_run_em_many_reads_each_chunk_once_per_iteration_and_drops_converged():
    X = make_blobs3()
    starts = [random_params("full", 3, 3, seed=0), random_params("spherical", 1, 3, seed=1)]
    data = CountingData(X, chunk_rows=50)
    results = run_em_many(data, starts, tol=1e-6, max_iter=60, reg_covar=1e-6)
    n_iters = [r.n_iter for r in results]
    assert n_iters[1] < n_iters[0]  # one component converges at once, the other runs on
    assert data.n_reduce == max(n_iters)
    assert data.n_chunks == max(n_iters) * math.ceil(len(X) / 50)


def test_run_em_many_records_a_failing_candidate_and_continues():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0]]), 10, axis=0)  # on a line: every full covariance is singular
    bad = MixtureParams.from_covariances("full", np.full(2, 0.5), X[[0, 10]], np.stack([np.eye(2)] * 2))
    good = random_params("spherical", 1, 2, seed=0)
    with pytest.raises(ValueError):
        run_em_many(ArrayData(X), [bad, good], tol=1e-6, max_iter=20, reg_covar=0.0)
    failed, fine = run_em_many(ArrayData(X), [bad, good], tol=1e-6, max_iter=20, reg_covar=0.0, record_errors=True)
    assert failed.error is not None and failed.n_iter == 0 and fine.error is None and fine.converged


def test_stats_bundle_adds_part_by_part_and_reduce_many_is_one_pass():
    X = make_blobs3()
    params = [random_params(t, 2, 3, seed=i) for i, t in enumerate(COVARIANCE_TYPES)]
    data = CountingData(X, chunk_rows=37)
    many = reduce_many(data, [EStep(p, X.dtype).stats for p in params])
    assert data.n_reduce == 1
    for p, stats in zip(params, many):
        alone = ArrayData(X, chunk_rows=37).reduce(EStep(p, X.dtype).stats)
        np.testing.assert_allclose(stats.s2, alone.s2, rtol=1e-13)
        assert stats.loglik == pytest.approx(alone.loglik, rel=1e-13)
    with pytest.raises(ValueError, match="parts"):
        StatsBundle((1, 2)) + StatsBundle((1,))


# ------------------------------------------------------------------------ select
#: GaussianMixture's (scikit-learn's) defaults, which select's differ from: the tests that check
#: select's shared passes against separate fits spell them out
GM_DEFAULTS = dict(init_params="kmeans", tol=1e-3, max_iter=100)


@pytest.fixture(scope="module")
def blobs_selection():
    X = make_blobs3()
    with threadpool_limits(1):
        return X, select(X, n_components=[1, 2, 3, 4], covariance_types=COVARIANCE_TYPES, n_init=2, random_state=0,
                         **GM_DEFAULTS)


def test_select_defaults_reach_mclusts_best_bic_on_every_reference_set():
    """mclust's best BIC over VVV, EEE, VVI, VII and k = 1..6 (tests/data/mclust)."""
    import pandas as pd

    folder = Path(__file__).parent / "data" / "mclust"
    reference = pd.read_csv(folder / "mclust_reference.csv")
    for name, rows in reference.groupby("dataset"):
        X = pd.read_csv(folder / f"{name}.csv").to_numpy(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = select(X, range(1, 7), random_state=0)
        assert result.best.bic <= -rows.bic_mclust.max() + 1e-3, name


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("k", [1, 3, 4])
def test_candidate_equals_gaussian_mixture_from_the_same_seed(blobs_selection, covariance_type, k):
    X, result = blobs_selection
    ours = result.model(k, covariance_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = GaussianMixture(k, covariance_type=covariance_type, n_init=2, random_state=0).fit(X)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(alone, name), rtol=1e-10, atol=1e-12, err_msg=name)
    assert (ours.n_iter_, ours.converged_) == (alone.n_iter_, alone.converged_)
    assert ours.lower_bound_ == pytest.approx(alone.lower_bound_, rel=1e-12)
    np.testing.assert_array_equal(ours.predict(X), alone.predict(X))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_criteria_match_scikit_learn(blobs_selection, covariance_type):
    """BIC/AIC against scikit-learn's own bic/aic from the same seed; ICL from its definition."""
    X, result = blobs_selection
    for k in (1, 2, 3, 4):
        c = result[(k, covariance_type)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk = SkGaussianMixture(k, covariance_type=covariance_type, n_init=2, random_state=0).fit(X)
        assert c.bic == pytest.approx(sk.bic(X), rel=1e-9)
        assert c.aic == pytest.approx(sk.aic(X), rel=1e-9)
        assert c.log_likelihood == pytest.approx(sk.score(X) * len(X), rel=1e-9)
        assert c.n_parameters == sk._n_parameters()
        resp = sk.predict_proba(X)
        entropy = -np.sum(resp[resp > 0] * np.log(resp[resp > 0]))
        assert c.icl == pytest.approx(sk.bic(X) + 2 * entropy, rel=1e-9, abs=1e-6)
        assert c.icl >= c.bic


def test_ranking_table_and_frame(blobs_selection):
    X, result = blobs_selection
    values = [result[key].bic for key in result.ranking]
    assert values == sorted(values) and len(result.ranking) == 16
    assert result.best.key == result.ranking[0] == (3, "full")  # three elongated, differently shaped blobs
    assert result.best_model.n_components == 3 and result.best_model.covariance_type == "full"
    by_aic = result.rank("aic")
    assert [result[key].aic for key in by_aic] == sorted(result[key].aic for key in by_aic)
    frame = result.to_frame()
    assert list(frame.columns[:3]) == ["rank", "n_components", "covariance_type"]
    assert frame["bic"].is_monotonic_increasing and len(frame) == 16
    assert frame.iloc[0]["n_components"] == 3
    table = result.table()
    assert table["bic"] == [c.bic for c in result.candidates]
    assert "3 candidates" not in repr(result) and "(n_components=3, covariance_type='full')" in repr(result)


def test_one_pass_per_iteration_for_the_whole_grid():
    X = make_blobs3()
    data = CountingData(X, chunk_rows=100)
    # one start per candidate, so that the kept starts' iterations are all the iterations run
    result = select(data, n_components=3, covariance_types=COVARIANCE_TYPES, random_state=0, n_init=1)
    em_passes = max(c.n_iter for c in result.candidates)
    # init reads the data once per candidate; then one pass per iteration and one to score
    assert result.n_passes == em_passes + 1
    assert data.n_reduce == em_passes + 1
    in_memory = select(X, n_components=3, covariance_types=COVARIANCE_TYPES, random_state=0, chunk_size=100,
                       n_init=1)
    for a, b in zip(result.candidates, in_memory.candidates):
        assert a.bic == pytest.approx(b.bic, rel=1e-12)


def test_sample_weight_matches_weighted_gaussian_mixture():
    X = make_blobs3()
    w = np.random.RandomState(0).randint(0, 4, size=len(X)).astype(float)
    result = select(X, n_components=[2, 3], covariance_types=("full", "diag"), sample_weight=w, random_state=1,
                    n_init=1, **GM_DEFAULTS)
    for c in result.candidates:
        gm = GaussianMixture(c.n_components, covariance_type=c.covariance_type, random_state=1).fit(X, sample_weight=w)
        np.testing.assert_allclose(result.model(*c.key).means_, gm.means_, rtol=1e-10)
        assert c.bic == pytest.approx(gm.bic(X, sample_weight=w), rel=1e-10)


def test_feature_names_reach_the_best_model():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(make_blobs3(), columns=["a", "b", "c"])
    result = select(X, n_components=2, covariance_types="diag", random_state=0)
    assert list(result.best_model.feature_names_in_) == ["a", "b", "c"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result.best_model.predict(X)


def test_failed_candidate_ranks_last_with_its_error():
    rng = np.random.RandomState(0)
    X = np.r_[np.repeat([[0.0, 0.0], [1.0, 1.0]], 20, axis=0), rng.normal(size=(3, 2))]
    with pytest.warns(UserWarning, match="could not be fitted"):
        result = select(X, n_components=[1, 4], covariance_types="full", reg_covar=0.0, random_state=0)
    failed = result[(4, "full")]
    assert failed.error is not None and failed.bic == math.inf and math.isnan(failed.log_likelihood)
    assert failed.n_parameters == GaussianMixture(4).fit(rng.normal(size=(50, 2)))._n_parameters()
    assert result.ranking[-1] == (4, "full") and result.best.key == (1, "full")
    with pytest.raises(ValueError, match="could not be fitted"):
        result.model(4, "full")
    with pytest.raises(ValueError, match="No candidate"):
        select(X, n_components=[4], covariance_types="full", reg_covar=0.0, random_state=0)


def test_max_iter_zero_returns_initial_parameters():
    X = make_blobs3()
    result = select(X, n_components=[2], covariance_types="tied", max_iter=0, random_state=0)
    gm = GaussianMixture(2, covariance_type="tied", max_iter=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm.fit(X)
    np.testing.assert_allclose(result.best_model.means_, gm.means_, rtol=1e-12)
    assert result.best.n_iter == 0 and not result.best.converged


def test_random_state_instance_is_consumed_in_grid_order():
    X = make_blobs3()
    a = select(X, n_components=[2, 3], covariance_types="full", random_state=np.random.RandomState(5),
               init_params="random_from_data", n_init=1, tol=1e-3, max_iter=100)
    rng = np.random.RandomState(5)
    first = GaussianMixture(2, init_params="random_from_data", random_state=rng).fit(X)
    second = GaussianMixture(3, init_params="random_from_data", random_state=rng).fit(X)
    np.testing.assert_allclose(a.model(2, "full").means_, first.means_, rtol=1e-10)
    np.testing.assert_allclose(a.model(3, "full").means_, second.means_, rtol=1e-10)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"criterion": "likelihood"}, InvalidParameterError, "criterion"),
    ({"n_components": 0}, InvalidParameterError, "n_components"),
    ({"n_components": []}, InvalidParameterError, "n_components"),
    ({"n_components": [2, 2]}, InvalidParameterError, "repeated"),
    ({"n_components": "3"}, InvalidParameterError, "n_components"),
    ({"n_components": [1.5]}, InvalidParameterError, "n_components"),
    ({"covariance_types": ("full", "round")}, InvalidParameterError, "covariance_type"),
    ({"covariance_types": ()}, InvalidParameterError, "covariance_type"),
    ({"n_init": 0}, InvalidParameterError, "n_init"),
    ({"tol": -1.0}, InvalidParameterError, "tol"),
    ({"means_init": [[0.0]]}, TypeError, "means_init"),
    ({"n_components": [400]}, ValueError, "n_components = 400"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        select(make_blobs3(), **kwargs)


def test_sample_weight_with_a_data_source_is_refused():
    with pytest.raises(ValueError, match="data source"):
        select(ArrayData(make_blobs3()), n_components=2, sample_weight=np.ones(370))


# ---------------------------------------------------------------- estimator form
def test_estimator_behaves_as_the_chosen_model(blobs_selection):
    X, result = blobs_selection
    est = GaussianMixtureIC(n_components=(1, 2, 3, 4), n_init=2, random_state=0).fit(X)
    assert (est.best_n_components_, est.best_covariance_type_) == result.best.key
    best = result.best_model
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_array_equal(getattr(est, name), getattr(best, name))
    np.testing.assert_array_equal(est.predict(X), best.predict(X))
    np.testing.assert_allclose(est.predict_proba(X), best.predict_proba(X))
    np.testing.assert_allclose(est.score_samples(X), best.score_samples(X))
    assert est.score(X) == best.score(X) and est.bic(X) == pytest.approx(result.best.bic, rel=1e-10)
    assert est.aic(X) == best.aic(X)
    np.testing.assert_array_equal(est.sample(5)[0], best.sample(5)[0])
    np.testing.assert_array_equal(GaussianMixtureIC(n_components=(1, 2, 3, 4), n_init=2, random_state=0)
                                  .fit_predict(X), est.predict(X))
    assert est.selection_.to_frame().shape[0] == 16


def test_estimator_in_a_pipeline_and_grid_search():
    from sklearn.model_selection import GridSearchCV

    X, _ = load_faithful()
    pipe = make_pipeline(StandardScaler(), GaussianMixtureIC(n_components=4, random_state=0)).fit(X)
    scaled = StandardScaler().fit_transform(X)
    direct = GaussianMixtureIC(n_components=4, random_state=0).fit(scaled)
    assert pipe[-1].best_n_components_ == direct.best_n_components_
    np.testing.assert_array_equal(pipe.predict(X), direct.predict(scaled))
    assert pipe.score(X) == pytest.approx(direct.score(scaled))
    search = GridSearchCV(GaussianMixtureIC(n_components=3, random_state=0),
                          {"covariance_type": ["full", "spherical"]}, cv=2).fit(X)
    assert search.best_params_["covariance_type"] in ("full", "spherical")


def test_estimator_validates_its_parameters():
    with pytest.raises(InvalidParameterError, match="GaussianMixtureIC"):
        GaussianMixtureIC(criterion="nope").fit(make_blobs3())
    with pytest.raises(InvalidParameterError, match="GaussianMixtureIC"):
        GaussianMixtureIC(n_components=(0, 1)).fit(make_blobs3())


# ------------------------------------------------------- Old Faithful and R's mclust
# mclust BIC (higher is better, = -2 log L + p log n negated) of the faithful data for
# G = 1..6, printed by `mclustBIC(faithful)` (mclust 5.x defaults: EM started from
# model-based hierarchical clustering).  The full table is reproduced in a public R
# tutorial script on GitHub (a course on clustering, `faithful.BIC <- mclustBIC(faithful)`
# followed by its printed output); its top three -- EEE,3 -2314.316, VVE,2 -2320.433,
# VEE,3 -2322.103 -- are those shown for faithful in Scrucca, Fop, Murphy & Raftery,
# "mclust 5: Clustering, Classification and Density Estimation Using Gaussian Finite
# Mixture Models", The R Journal 8(1), 2016.  mclust VVV = full, EEE = tied,
# VVI = diag, VII = spherical; the parameter counts are the same as ours.
MCLUST_FAITHFUL_BIC = {
    "full": [-2607.623, -2322.192, -2349.696, -2351.493, -2379.388, -2387.016],
    "tied": [-2607.623, -2325.220, -2314.316, -2331.223, -2360.659, -2347.352],
    "diag": [-3055.835, -2346.065, -2342.366, -2343.486, -2351.017, -2373.469],
    "spherical": [-4024.721, -3458.305, -3336.598, -3242.826, -3129.080, -3038.171],
}


@pytest.fixture(scope="module")
def faithful_selection():
    X, _ = load_faithful()
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return X, select(X, n_components=6, n_init=10, tol=1e-6, max_iter=300, random_state=0, init_params="kmeans")


def test_faithful_bic_chooses_three_tied_components_as_mclust():
    """With several starts BIC picks 3 tied components, mclust's EEE,3 (docs/selection.md).

    ``reg_covar=1e-3`` (min^2, far below the 1/12 min^2 that rounding waiting times to whole
    minutes implies) keeps diag/full components from collapsing onto one recorded value;
    see the next test.
    """
    X, _ = load_faithful()
    result = select(X, n_components=6, n_init=5, tol=1e-5, max_iter=200, reg_covar=1e-3, random_state=0)
    assert result.best.key == (3, "tied")
    assert result.rank()[:3] == ((3, "tied"), (4, "tied"), (2, "full"))
    assert result.best.bic == pytest.approx(-MCLUST_FAITHFUL_BIC["tied"][2], abs=0.1)
    sizes = sorted(np.bincount(result.best_model.predict(X)).tolist())
    assert np.abs(np.subtract(sizes, [40, 97, 135])).max() <= 3  # mclust's EEE,3 classification table


def test_faithful_spurious_maxima_without_regularisation(faithful_selection):
    """Waiting times are whole minutes: a diag component can sit on the 14 rows that waited
    exactly 83 minutes with variance reg_covar, a spurious maximum BIC would prefer; select
    marks it collapsed and ranks it last, as mclust leaves such fits out."""
    X, result = faithful_selection
    spurious = result.model(5, "diag")
    assert result[(5, "diag")].error.startswith("collapsed: component")
    assert result.ranking[-1] == (5, "diag") or result[result.ranking[-1]].error is not None
    assert result.best.key == (3, "tied")
    assert np.isclose(spurious.covariances_.min(), 1e-6)
    collapsed = np.argmin(spurious.covariances_.min(axis=1))
    assert np.all(X[spurious.predict(X) == collapsed, 1] == 83.0)


def test_faithful_log_likelihoods_at_least_mclusts(faithful_selection):
    """Every model of the 6 x 4 grid reaches at least mclust's maximised log-likelihood.

    k-means starts (n_init=10) reach it for tied and spherical; full and diag also get
    10 starts from random rows (k-means starts miss the better full k=4 optimum).
    mclust prints BIC to 3 decimals, so its log-likelihood is known to 5e-4.
    """
    X, kmeans = faithful_selection
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = select(X, n_components=6, covariance_types=("full", "diag"), n_init=10, tol=1e-6, max_iter=300,
                      init_params="random_from_data", random_state=0)
    n = len(X)
    for t, bics in MCLUST_FAITHFUL_BIC.items():
        for k, mclust_bic in enumerate(bics, start=1):
            c = kmeans[(k, t)]
            ours = max(c.log_likelihood, rows[(k, t)].log_likelihood) if t in ("full", "diag") else c.log_likelihood
            mclust_loglik = (mclust_bic + c.n_parameters * math.log(n)) / 2
            assert ours >= mclust_loglik - 1e-3, (k, t, ours, mclust_loglik)
