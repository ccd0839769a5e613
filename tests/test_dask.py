"""Dask collections on a LocalCluster: reduced where blocks live, same fit as in memory."""

import warnings

import numpy as np
import pytest
from conftest import make_blobs3

from gaussmix import GaussianMixture

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
import dask  # noqa: E402

X3 = make_blobs3()
W3 = np.random.RandomState(1).randint(1, 4, size=len(X3)).astype(np.float64)


def _cluster(tmp_path, processes):
    # Threads talk in-process (no socket; distributed rejects host= with inproc addresses);
    # worker processes talk over TCP on the loopback interface only.
    network = {"host": "127.0.0.1"} if processes else {}
    with dask.config.set({"temporary-directory": str(tmp_path)}):
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=processes, dashboard_address="127.0.0.1:0", **network
        )
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    yield from _cluster(tmp_path_factory.mktemp("dask"), processes=False)


def fitted(X, sample_weight=None, **kw):
    params = dict(n_components=3, random_state=0, tol=0.0, max_iter=10) | kw
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 never converges
        return GaussianMixture(**params).fit(X, sample_weight=sample_weight)


def assert_same_fit(a, b, rtol=1e-10):
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(a.lower_bound_, b.lower_bound_, rtol=rtol)


def test_dask_array_fit_equals_in_memory_and_runs_on_the_cluster(client):
    X = da.from_array(X3, chunks=(60, 2))  # column chunks are merged
    before = sum(client.run(lambda dask_worker: len(dask_worker.state.log)).values())
    gm = fitted(X)
    after = sum(client.run(lambda dask_worker: len(dask_worker.state.log)).values())
    assert after > before  # tasks ran on the workers
    assert_same_fit(gm, fitted(X3))


@pytest.mark.parametrize("covariance_type", ["tied", "diag", "spherical"])
def test_dask_weighted_fit_equals_in_memory(client, covariance_type):
    X = da.from_array(X3, chunks=100)
    w = da.from_array(W3, chunks=70)  # rechunked to X's row blocks
    assert_same_fit(fitted(X, w, covariance_type=covariance_type),
                    fitted(X3, W3, covariance_type=covariance_type))


def test_dask_dataframe_and_unknown_chunk_sizes(client):
    import pandas as pd

    frame = dd.from_pandas(pd.DataFrame(X3, columns=["a", "b", "c"]), npartitions=4)
    assert_same_fit(fitted(frame), fitted(X3))
    unknown = frame.to_dask_array()  # lengths unknown (nan)
    assert_same_fit(fitted(unknown), fitted(X3))
    with pytest.raises(TypeError, match=r"\['s'\] are not numeric"):
        GaussianMixture(2).fit(frame.assign(s="x"))


def test_dask_predictions_are_lazy_and_equal(client):
    gm = fitted(X3)
    X = da.from_array(X3, chunks=(80, 3))
    labels, resp, log_density = gm.predict(X), gm.predict_proba(X), gm.score_samples(X)
    for lazy in (labels, resp, log_density):
        assert isinstance(lazy, da.Array)
    assert resp.shape == (len(X3), 3) and labels.shape == (len(X3),)
    np.testing.assert_array_equal(labels.compute(), gm.predict(X3))
    np.testing.assert_allclose(resp.compute(), gm.predict_proba(X3), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(log_density.compute(), gm.score_samples(X3), rtol=1e-12)
    assert gm.score(X) == pytest.approx(gm.score(X3), rel=1e-12)
    assert gm.bic(X, sample_weight=da.from_array(W3, chunks=80)) == pytest.approx(gm.bic(X3, W3), rel=1e-12)
    assert isinstance(GaussianMixture(3, random_state=0).fit_predict(X), da.Array)
    with pytest.raises(ValueError, match="lazy Dask array"):
        gm.predict(X, out="labels.npy")


def test_dask_large_collection_samples_for_init(client, monkeypatch):
    from gaussmix.data import DaskData

    monkeypatch.setattr(DaskData.init_sample, "__defaults__", (100,))
    X = da.from_array(X3, chunks=100)
    a, b = fitted(X, max_iter=100, tol=1e-6), fitted(X, max_iter=100, tol=1e-6)
    np.testing.assert_array_equal(a.means_, b.means_)  # reproducible with random_state
    assert a.score(X3) == pytest.approx(fitted(X3, max_iter=100, tol=1e-6).score(X3), rel=1e-3)


def test_dask_bad_input(client):
    bad = X3.copy()
    bad[201, 0] = np.inf
    with pytest.raises(ValueError, match=r"chunk 2 \(rows from 200\).*row 201"):
        GaussianMixture(2, means_init=X3[:2], weights_init=[0.5, 0.5], precisions_init=np.stack([np.eye(3)] * 2)).fit(
            da.from_array(bad, chunks=100))
    with pytest.raises(ValueError, match="2-D"):
        GaussianMixture(2).fit(da.zeros(10, chunks=5))
    gm = fitted(X3)
    with pytest.raises(ValueError, match="2 features.*expecting 3"):
        gm.predict(da.from_array(X3[:, :2], chunks=100))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_dask_with_worker_processes_serializes(tmp_path):
    # Separate processes: the E-step, statistics and functions must pickle.
    for c in _cluster(tmp_path, processes=True):
        X = da.from_array(X3, chunks=150)
        gm = fitted(X, max_iter=3)
        assert_same_fit(gm, fitted(X3, max_iter=3))
        np.testing.assert_array_equal(gm.predict(X).compute(), gm.predict(X3))
        assert gm.score(X) == pytest.approx(gm.score(X3), rel=1e-12)


def test_dask_hierarchical_start_equals_in_memory(client):
    X = da.from_array(X3, chunks=(60, 3))
    assert_same_fit(fitted(X, init_params="hierarchical"), fitted(X3, init_params="hierarchical"))
