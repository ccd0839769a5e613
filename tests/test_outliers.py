"""MixtureOutlierDetector: the textbook's percentile rule with scikit-learn's outlier-detector API."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from gaussmix import BayesianGaussianMixture, GaussianMixture, MixtureOutlierDetector
from gaussmix.datasets import make_textbook_blobs
from gaussmix.exceptions import InvalidParameterError
from gaussmix.outliers import density_threshold


def _expected_failures(estimator):
    if estimator.estimator is None or estimator.estimator.n_components == 1:
        return {}
    return {"check_sample_weight_equivalence_on_dense_data":
            "k-means seeds differently with integer weights than with repeated rows, so a mixture of more than one "
            "component can reach another optimum (the one-component detectors pass the check)"}


@parametrize_with_checks([MixtureOutlierDetector(), MixtureOutlierDetector(GaussianMixture(2, random_state=0),
                                                                           contamination=0.1),
                          MixtureOutlierDetector(BayesianGaussianMixture(covariance_type="diag"), contamination=0.2)],
                         expected_failed_checks=_expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


@pytest.fixture(scope="module")
def X():
    return make_textbook_blobs(1000, random_state=0)[0]


def test_the_outliers_are_the_textbooks_rows_below_the_4th_percentile(X):
    gm = GaussianMixture(3, n_init=3, random_state=0)
    detector = MixtureOutlierDetector(gm, contamination=0.04).fit(X)
    densities = GaussianMixture(3, n_init=3, random_state=0).fit(X).score_samples(X)
    threshold = np.percentile(densities, 4)
    np.testing.assert_array_equal(detector.predict(X) == -1, densities < threshold)
    assert detector.offset_ == threshold
    np.testing.assert_allclose(detector.decision_function(X), densities - threshold)
    np.testing.assert_array_equal(detector.fit_predict(X), detector.predict(X))
    assert (detector.predict(X) == -1).sum() == 40


def test_any_mixture_and_weights(X):
    detector = MixtureOutlierDetector(BayesianGaussianMixture(5, random_state=0), contamination=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = detector.fit_predict(X)
    assert (labels == -1).sum() == 100 and isinstance(detector.estimator_, BayesianGaussianMixture)
    # integer weights: the weighted quantile equals the one of repeated rows
    w = np.random.RandomState(0).randint(1, 4, len(X))
    dens = np.random.RandomState(1).normal(size=len(X))
    repeated = np.repeat(dens, w)
    t = density_threshold(dens, 0.05, w)
    assert np.mean(repeated < t) <= 0.05 <= np.mean(repeated <= t)


def test_bad_contamination_is_named(X):
    for bad in (0.0, 0.7, "auto", True):
        with pytest.raises(InvalidParameterError, match="contamination"):
            MixtureOutlierDetector(contamination=bad).fit(X)


def test_plot_anomalies_draws_the_detectors_outliers(X):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gaussmix.plotting import plot_anomalies

    detector = MixtureOutlierDetector(GaussianMixture(3, random_state=0), contamination=0.03).fit(X)
    ax = plot_anomalies(detector, X)
    marked = [c for c in ax.collections if c.get_gid() == "gaussmix-anomalies"]
    assert len(marked[0].get_offsets()) == (detector.predict(X) == -1).sum() == 30
    plt.close("all")


def test_the_command_line_flags_the_same_rows(tmp_path, X):
    pd = pytest.importorskip("pandas")
    from click.testing import CliRunner

    from gaussmix.cli import main

    data = tmp_path / "x.csv"
    pd.DataFrame(X, columns=["a", "b"]).to_csv(data, index=False, float_format="%.17g")
    gm = GaussianMixture(3, random_state=0).fit(X)
    gm.save(tmp_path / "m.gmm")
    result = CliRunner().invoke(main, ["predict", str(tmp_path / "m.gmm"), str(data), "--outliers", "0.04",
                                       "-o", str(tmp_path / "flags.csv")])
    assert result.exit_code == 0, result.output
    flags = pd.read_csv(tmp_path / "flags.csv")["outlier"].to_numpy()
    densities = gm.score_samples(X)
    np.testing.assert_array_equal(flags == -1, densities < np.percentile(densities, 4))
    assert "40 outliers" in result.output
    bad = CliRunner().invoke(main, ["predict", str(tmp_path / "m.gmm"), str(data), "--outliers", "0.04", "--proba"])
    assert bad.exit_code != 0 and "exclude each other" in bad.output
