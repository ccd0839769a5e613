import numpy as np
import pytest

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def make_blobs3(n_per=(150, 100, 120), seed=0, dtype=np.float64):
    """Three well separated, elongated clusters in 3-D."""
    rng = np.random.RandomState(seed)
    a = rng.normal(size=(n_per[0], 3)) @ np.array([[2.0, 0.3, 0.0], [0.0, 0.5, 0.2], [0.0, 0.0, 0.7]])
    b = rng.normal(size=(n_per[1], 3)) * [0.6, 1.2, 0.4] + [8.0, 1.0, -2.0]
    c = rng.normal(size=(n_per[2], 3)) * 0.8 + [-6.0, 5.0, 3.0]
    return np.vstack([a, b, c]).astype(dtype)


@pytest.fixture
def blobs3():
    return make_blobs3()


def random_params(covariance_type, n_components, n_features, seed=0):
    """A valid parameter value with well-conditioned random covariances."""
    from gaussmix.core import MixtureParams

    rng = np.random.RandomState(seed)
    weights = rng.dirichlet(np.ones(n_components) * 3)
    means = rng.normal(scale=3.0, size=(n_components, n_features))

    def spd():
        a = rng.normal(size=(n_features, n_features))
        return a @ a.T / n_features + 0.5 * np.eye(n_features)

    if covariance_type == "full":
        cov = np.stack([spd() for _ in range(n_components)])
    elif covariance_type == "tied":
        cov = spd()
    elif covariance_type == "diag":
        cov = rng.uniform(0.3, 2.0, size=(n_components, n_features))
    else:
        cov = rng.uniform(0.3, 2.0, size=n_components)
    return MixtureParams.from_covariances(covariance_type, weights, means, cov)


def dense_covariances(params):
    """(k, d, d) covariance matrices of any covariance type."""
    k, d = params.means.shape
    cov = params.covariances
    if params.covariance_type == "full":
        return cov
    if params.covariance_type == "tied":
        return np.repeat(cov[None], k, axis=0)
    if params.covariance_type == "diag":
        return np.stack([np.diag(c) for c in cov])
    return np.stack([np.eye(d) * c for c in cov])
