"""scikit-learn's own estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from gaussmix import BayesianGaussianMixture, GaussianMixture


@parametrize_with_checks(
    [GaussianMixture(covariance_type=t) for t in ("full", "tied", "diag", "spherical")]
    + [GaussianMixture(init_params="k-means++", chunk_size=3), GaussianMixture(init_params="random", n_init=2)]
    + [BayesianGaussianMixture(covariance_type=t, weight_concentration_prior_type=p)
       for t, p in (("full", "dirichlet_process"), ("tied", "dirichlet_distribution"),
                    ("diag", "dirichlet_process"), ("spherical", "dirichlet_distribution"))]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
