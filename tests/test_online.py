"""partial_fit: stepwise online EM approaches batch EM on a stationary stream."""

import numpy as np
import pytest

from gaussmix import GaussianMixture
from gaussmix.core import EStep, mstep, nk_floor
from gaussmix.core.online import blend, step_size
from gaussmix.data import ArrayData

MEANS = np.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 4.0]])
COVS = np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.8, -0.2], [-0.2, 1.2]], [[0.5, 0.0], [0.0, 2.0]]])
WEIGHTS = np.array([0.5, 0.3, 0.2])


def draw(n, rng):
    z = rng.choice(3, size=n, p=WEIGHTS)
    return MEANS[z] + np.einsum("nij,nj->ni", np.linalg.cholesky(COVS)[z], rng.normal(size=(n, 2)))


def by_first_mean(gm):
    order = np.argsort(gm.means_[:, 0])
    return gm.weights_[order], gm.means_[order], gm.covariances_[order]


@pytest.mark.parametrize("seed", [0, 1])
def test_200_batches_approach_batch_em(seed):
    rng = np.random.RandomState(seed)
    batches = [draw(150, rng) for _ in range(200)]
    online = GaussianMixture(3, random_state=seed)
    for batch in batches:
        online.partial_fit(batch)
    X = np.vstack(batches)
    batch_em = GaussianMixture(3, random_state=seed).fit(X)
    assert online.n_iter_ == 200 and len(online.lower_bounds_) == 200 and not online.converged_
    assert abs(online.score(X) - batch_em.score(X)) < 0.01 * abs(batch_em.score(X))
    for got, expected, atol in zip(by_first_mean(online), by_first_mean(batch_em), (0.02, 0.15, 0.25)):
        np.testing.assert_allclose(got, expected, atol=atol)
    # and the online model is close to the truth it was drawn from
    np.testing.assert_allclose(by_first_mean(online)[1], MEANS[np.argsort(MEANS[:, 0])], atol=0.2)


def test_first_step_is_one_em_step_from_the_initialization():
    X = draw(300, np.random.RandomState(3))
    online = GaussianMixture(3, random_state=0).partial_fit(X)
    start = GaussianMixture(3, random_state=0, max_iter=0).fit(X)  # the initialization
    one_step = GaussianMixture(3, max_iter=1, weights_init=start.weights_, means_init=start.means_,
                               precisions_init=start.precisions_)
    with pytest.warns(Warning):
        one_step.fit(X)
    np.testing.assert_allclose(online.means_, one_step.means_, rtol=1e-10)
    np.testing.assert_allclose(online.covariances_, one_step.covariances_, rtol=1e-10)
    np.testing.assert_allclose(online.lower_bound_, one_step.lower_bound_, rtol=1e-10)


def test_blend_is_the_documented_running_average():
    rng = np.random.RandomState(0)
    X = draw(400, rng)
    gm = GaussianMixture(3, random_state=0).fit(X)
    estep = EStep(gm._params(2), np.float64)
    a = ArrayData(X[:100]).reduce(estep.stats)
    b = ArrayData(X[100:]).reduce(estep.stats)
    running = blend(blend(None, a, 1.0), b, 0.25)
    np.testing.assert_allclose(running.s2, 0.75 * a.s2 / 100 + 0.25 * b.s2 / 300)
    assert running.n == pytest.approx(1.0)
    # eta = n_b / (n_a + n_b) is the batch EM statistic, so the M-step agrees with one batch step
    exact = blend(blend(None, a, 1.0), b, 300 / 400)
    full = ArrayData(X).reduce(estep.stats)
    np.testing.assert_allclose(mstep(exact, "full", 1e-6, nk_floor(np.float64)).covariances,
                               mstep(full, "full", 1e-6, nk_floor(np.float64)).covariances, rtol=1e-8)
    assert step_size(0, 0.6, 2.0) == 1.0 and step_size(7, 1.0, 1.0) == pytest.approx(1 / 8)


def test_weighted_float32_and_continuing_after_fit():
    rng = np.random.RandomState(1)
    gm = GaussianMixture(3, covariance_type="diag", random_state=0)
    for _ in range(30):
        batch = draw(200, rng).astype(np.float32) + 1000.0  # far from zero
        gm.partial_fit(batch, sample_weight=rng.randint(1, 3, size=200))
    assert gm.means_.dtype == np.float64 and np.all(gm.covariances_ > 0.1)
    np.testing.assert_allclose(np.sort(gm.means_[:, 0]), np.sort(MEANS[:, 0]) + 1000, atol=0.3)
    assert gm.predict(batch).shape == (200,)
    assert gm.predict_proba(batch).dtype == np.float32

    fitted = GaussianMixture(3, random_state=0).fit(draw(500, rng))
    before = fitted.means_.copy()
    fitted.partial_fit(draw(100, rng))  # continues from the fitted parameters
    assert np.abs(fitted.means_ - before).max() < 0.5 and fitted.n_iter_ == 1


def test_partial_fit_errors_and_params():
    gm = GaussianMixture(3, random_state=0)
    assert {"online_decay", "online_offset"} <= set(gm.get_params())
    with pytest.raises(ValueError, match="at least n_components = 3 rows"):
        gm.partial_fit(np.zeros((2, 2)))
    gm.partial_fit(draw(50, np.random.RandomState(0)))
    with pytest.raises(ValueError, match="3 features.*expecting 2"):
        gm.partial_fit(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="online_decay"):
        GaussianMixture(2, online_decay=0.5).partial_fit(np.zeros((4, 1)))
    with pytest.raises(ValueError, match="online_offset"):
        GaussianMixture(2, online_offset=-1.0).partial_fit(np.zeros((4, 1)))
    refit = gm.fit(draw(60, np.random.RandomState(1)))
    assert not hasattr(refit, "_online_state")  # fit discards the running statistics
