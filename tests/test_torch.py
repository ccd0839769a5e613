"""GaussianMixture on PyTorch tensors (CPU torch here; the same code runs on CUDA).

The reference is the NumPy fit from the same ``random_state``: float64 tensors must give
its numbers to 1e-10, float32 tensors agree within float32 tolerance.
"""

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import COVARIANCE_TYPES, make_blobs3  # noqa: E402

from gaussmix import GaussianMixture  # noqa: E402
from gaussmix.core import INIT_METHODS  # noqa: E402
from gaussmix.exceptions import CovarianceError, InvalidParameterError  # noqa: E402

ATTRIBUTES = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_")
ROOT = Path(__file__).resolve().parents[1]


def assert_same_fit(reference, other, atol=1e-10, rtol=1e-10):
    """``other``'s fitted attributes (tensors or arrays) equal ``reference``'s NumPy ones."""
    for name in ATTRIBUTES:
        value = getattr(other, name)
        value = value.cpu().numpy() if isinstance(value, torch.Tensor) else value
        np.testing.assert_allclose(value, getattr(reference, name), rtol=rtol, atol=atol, err_msg=name)
    assert other.n_iter_ == reference.n_iter_
    assert other.converged_ == reference.converged_
    assert other.lower_bound_ == pytest.approx(reference.lower_bound_, rel=rtol, abs=atol)


@pytest.fixture(scope="module")
def X64():
    return make_blobs3()


@pytest.mark.parametrize("init_params", INIT_METHODS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_float64_tensor_equals_numpy(X64, covariance_type, init_params):
    kwargs = dict(n_components=3, covariance_type=covariance_type, init_params=init_params, random_state=0)
    ref = GaussianMixture(**kwargs).fit(X64)
    X = torch.from_numpy(X64)
    gm = GaussianMixture(**kwargs)
    labels = gm.fit_predict(X)
    assert_same_fit(ref, gm)
    for name in ATTRIBUTES:
        value = getattr(gm, name)
        assert isinstance(value, torch.Tensor) and value.dtype == torch.float64 and value.device == X.device
    assert labels.dtype == torch.int64 and torch.equal(labels, gm.predict(X))
    np.testing.assert_array_equal(labels.numpy(), ref.predict(X64))
    proba = gm.predict_proba(X)
    assert isinstance(proba, torch.Tensor) and proba.dtype == torch.float64
    np.testing.assert_allclose(proba.numpy(), ref.predict_proba(X64), rtol=0, atol=1e-10)
    np.testing.assert_allclose(gm.score_samples(X).numpy(), ref.score_samples(X64), rtol=1e-10, atol=1e-10)
    for method in ("score", "bic", "aic"):
        value = getattr(gm, method)(X)
        assert isinstance(value, float)
        assert value == pytest.approx(getattr(ref, method)(X64), rel=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_float32_tensor_close_to_numpy_float32(X64, covariance_type):
    X32 = X64.astype(np.float32)
    kwargs = dict(n_components=3, covariance_type=covariance_type, random_state=0)
    ref = GaussianMixture(**kwargs).fit(X32)
    gm = GaussianMixture(**kwargs).fit(torch.from_numpy(X32))
    assert_same_fit(ref, gm, atol=1e-4, rtol=1e-4)
    X = torch.from_numpy(X32)
    proba, log_density = gm.predict_proba(X), gm.score_samples(X)
    assert proba.dtype == torch.float32 and log_density.dtype == torch.float32
    np.testing.assert_allclose(proba.numpy(), ref.predict_proba(X32), atol=1e-4)
    np.testing.assert_allclose(log_density.numpy(), ref.score_samples(X32), rtol=1e-4, atol=1e-4)
    assert gm.means_.dtype == torch.float64  # the M-step runs in float64


def test_float32_far_from_zero_stays_accurate():
    # A large offset: raw moments in float32 would lose the variances entirely; the
    # shifted float64 statistics keep them.  The reference is the float64 fit of the
    # same (float32-rounded) rows, so only the arithmetic differs.
    rng = np.random.RandomState(1)
    X = np.vstack([rng.normal(size=(300, 2)) * 0.1, rng.normal(size=(300, 2)) * 0.2 + 3.0]) + 1e4
    X32 = X.astype(np.float32)
    kwargs = dict(n_components=2, covariance_type="full", random_state=0)
    ref = GaussianMixture(**kwargs).fit(X32.astype(np.float64))
    gm = GaussianMixture(**kwargs).fit(torch.from_numpy(X32))
    np.testing.assert_allclose(gm.covariances_.numpy(), ref.covariances_, rtol=1e-4, atol=1e-6)  # variances ~1e-2


def test_float32_not_positive_definite_is_a_covariance_error():
    # Every row identical and no regularisation: the covariance is singular.  The
    # factorisation runs on the host in float64 and names the component.
    X = torch.ones((20, 3), dtype=torch.float32)
    with pytest.raises(CovarianceError, match="component 0"):
        GaussianMixture(1, reg_covar=0.0).fit(X)


@pytest.mark.parametrize("weights_library", ["numpy", "torch"])
def test_sample_weight(X64, weights_library):
    w = np.random.RandomState(0).randint(0, 4, size=X64.shape[0]).astype(np.float64)
    kwargs = dict(n_components=3, covariance_type="diag", random_state=0)
    ref = GaussianMixture(**kwargs).fit(X64, sample_weight=w)
    weights = torch.from_numpy(w) if weights_library == "torch" else w
    gm = GaussianMixture(**kwargs).fit(torch.from_numpy(X64), sample_weight=weights)
    assert_same_fit(ref, gm)
    assert gm.score(torch.from_numpy(X64), sample_weight=weights) == pytest.approx(ref.score(X64, sample_weight=w))


def test_n_init_and_chunking(X64):
    kwargs = dict(n_components=3, covariance_type="full", init_params="random", n_init=2, random_state=2, max_iter=20)
    X = torch.from_numpy(X64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter keeps the test short
        ref = GaussianMixture(**kwargs).fit(X64)
        assert_same_fit(ref, GaussianMixture(**kwargs).fit(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_fit(ref, GaussianMixture(chunk_size=100, **kwargs).fit(X))


def test_device_option_moves_numpy_input_and_returns_numpy(X64):
    kwargs = dict(n_components=3, covariance_type="tied", random_state=0)
    ref = GaussianMixture(**kwargs).fit(X64)
    gm = GaussianMixture(device="cpu", **kwargs)
    labels = gm.fit_predict(X64)
    assert isinstance(labels, np.ndarray) and isinstance(gm.means_, np.ndarray)
    assert_same_fit(ref, gm)
    proba = gm.predict_proba(X64)
    assert isinstance(proba, np.ndarray) and proba.dtype == np.float64
    np.testing.assert_allclose(proba, ref.predict_proba(X64), atol=1e-10)


def test_streamed_chunks_equal_resident(X64, monkeypatch):
    # A device with little free memory: the NumPy rows are sent chunk by chunk at every
    # pass instead of once.  Pretend the CPU is such a device.
    import gaussmix.data.torch as torch_data

    monkeypatch.setattr(torch_data, "_free_bytes", lambda device: 20_000)
    data = torch_data.TorchData(X64, row_width=20, device="cpu")
    assert data._X_device is None and data.chunk_rows < X64.shape[0]
    kwargs = dict(n_components=3, covariance_type="full", random_state=0)
    ref = GaussianMixture(**kwargs).fit(X64)
    gm = GaussianMixture(device="cpu", **kwargs).fit(X64)
    assert_same_fit(ref, gm)
    np.testing.assert_array_equal(gm.predict(X64), ref.predict(X64))


def test_predict_across_libraries(X64):
    X = torch.from_numpy(X64)
    numpy_fit = GaussianMixture(3, random_state=0).fit(X64)
    torch_fit = GaussianMixture(3, random_state=0).fit(X)
    labels = numpy_fit.predict(X)
    assert isinstance(labels, torch.Tensor)
    np.testing.assert_array_equal(labels.numpy(), numpy_fit.predict(X64))
    back = torch_fit.predict_proba(X64)
    assert isinstance(back, np.ndarray)
    np.testing.assert_allclose(back, numpy_fit.predict_proba(X64), atol=1e-10)


def test_sample_follows_the_fit(X64):
    ref = GaussianMixture(3, covariance_type="full", random_state=0).fit(X64)
    gm = GaussianMixture(3, covariance_type="full", random_state=0).fit(torch.from_numpy(X64))
    Xs, ys = gm.sample(50)
    assert Xs.dtype == torch.float64 and ys.dtype == torch.int64 and Xs.shape == (50, 3)
    Xr, yr = ref.sample(50)
    np.testing.assert_allclose(Xs.numpy(), Xr, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(ys.numpy(), yr)


def test_warm_start_on_tensors(X64):
    X = torch.from_numpy(X64)
    kwargs = dict(n_components=3, max_iter=2, warm_start=True, random_state=0)
    ref, gm = GaussianMixture(**kwargs), GaussianMixture(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(2):
            ref.fit(X64)
            gm.fit(X)
    assert_same_fit(ref, gm)


@pytest.mark.parametrize(
    "X, error, match",
    [
        (torch.ones((5, 2), dtype=torch.int64), TypeError, "float32 or float64"),
        (torch.ones((5, 2), dtype=torch.complex64), TypeError, "float32 or float64"),
        (torch.ones((5, 2), dtype=torch.float16), TypeError, "float32 or float64"),
        (torch.tensor([[0.0, 1.0], [float("nan"), 2.0], [1.0, 1.0]]), ValueError, "NaN"),
        (torch.tensor([[0.0, 1.0], [float("inf"), 2.0], [1.0, 1.0]]), ValueError, "infinity"),
        (torch.ones(5), ValueError, "2D"),
        (torch.ones((1, 2)), ValueError, "minimum of 2"),
    ],
)
def test_bad_tensors(X, error, match):
    with pytest.raises(error, match=match):
        GaussianMixture(1).fit(X)


def test_tensor_that_tracks_gradients(X64):
    X = torch.from_numpy(X64).requires_grad_(True)
    gm = GaussianMixture(3, random_state=0).fit(X)
    ref = GaussianMixture(3, random_state=0).fit(X64)
    assert_same_fit(ref, gm)
    assert not gm.predict_proba(X).requires_grad


def test_bad_tensor_at_predict_and_bad_device(X64):
    gm = GaussianMixture(2, random_state=0).fit(torch.from_numpy(X64))
    with pytest.raises(ValueError, match="3 features"):
        gm.predict(torch.ones((4, 2), dtype=torch.float64))
    with pytest.raises(ValueError, match="not a device"):
        GaussianMixture(2, device="gpu-please").fit(X64)
    with pytest.raises(InvalidParameterError, match="device"):
        GaussianMixture(2, device=3).fit(X64)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            GaussianMixture(2, device="cuda").fit(X64)


def test_numpy_use_never_imports_torch():
    code = (
        "import sys, numpy as np, gaussmix\n"
        "gm = gaussmix.GaussianMixture(2, random_state=0).fit(np.random.RandomState(0).rand(50, 2))\n"
        "gm.predict_proba(np.zeros((3, 2))); gm.sample(3)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_gpu_benchmark_smoke_mode():
    script = ROOT / "benchmarks" / "gpu.py"
    if not script.exists():
        pytest.skip("benchmarks/ not next to the tests")
    result = subprocess.run([sys.executable, str(script), "--cpu-smoke"], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "agreement" in result.stdout and "W2" in result.stdout


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
def test_sklearn_array_api_check_on_cpu_torch(monkeypatch, dtype_name):
    # scikit-learn's own array-API check (namespace, device, dtype and shape of every
    # fitted attribute and output).  It needs SCIPY_ARRAY_API=1; gaussmix does not
    # declare the array_api_support tag (only NumPy and PyTorch are supported), so the
    # estimator-check suite does not run it by itself.
    from sklearn.utils.estimator_checks import check_array_api_input

    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_array_api_input("GaussianMixture", GaussianMixture(2, max_iter=10, random_state=0),
                              array_namespace="torch", device_name="cpu", dtype_name=dtype_name,
                              check_sample_weight=True)
