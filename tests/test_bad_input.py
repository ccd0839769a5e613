"""Bad input to the estimator, the selection API and the core: every case raises a clear error.

Each case asserts the exception type and a fragment of the message that names the
problem (issue 8, item 1).  Cases that are *accepted* on purpose (booleans, numbers in
object arrays, subnormal values) are tested for a valid fit instead.  A failing fit on a
fitted estimator must leave it exactly as it was (``test_failed_fit_changes_nothing``).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from gaussmix import GaussianMixture, GaussianMixtureIC, InvalidParameterError, InvalidRowsError, from_chunks, select
from gaussmix.core import SufficientStats, mstep
from gaussmix.covariance import get_covariance
from gaussmix.exceptions import CovarianceError

from conftest import COVARIANCE_TYPES

torch = pytest.importorskip("torch")

# Errors are the subject here; warnings met on the way (k-means finding fewer clusters in
# subnormal data, the empty component re-seeded there) are tested in test_degenerate.py.
pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::gaussmix.exceptions.EmptyComponentWarning"),
]

RNG = np.random.RandomState(0)
X = RNG.normal(size=(40, 2))
W = np.ones(40)


def with_values(rows, value, X=X):
    Xb = X.copy()
    Xb[rows, 1] = value
    return Xb


@cache
def fitted() -> GaussianMixture:
    return GaussianMixture(2, random_state=0).fit(X)


@cache
def fitted_ic() -> GaussianMixtureIC:
    return GaussianMixtureIC(n_components=[1, 2], covariance_type="diag", random_state=0).fit(X)


@dataclass
class Case:
    """``action`` must raise ``exc`` with ``fragment`` in its message.

    For fit cases (``fit_args`` given) the action is ``GaussianMixture(**params).fit(*fit_args)``.
    """

    id: str
    exc: type
    fragment: str
    fit_args: tuple | None = None
    params: dict = field(default_factory=dict)
    fit_kwargs: dict = field(default_factory=dict)
    action: object = None

    def run(self):
        if self.action is not None:
            return self.action()
        params = {"n_components": 2, "random_state": 0, **self.params}
        return GaussianMixture(**params).fit(*self.fit_args, **self.fit_kwargs)


def frame(**columns):
    return pd.DataFrame({"a": X[:, 0], **columns})


FIT_CASES = [
    # non-finite values: the number of offending rows and the first
    Case("nan", InvalidRowsError, "contains NaN in 2 rows (the first is row 3)", (with_values([3, 7], np.nan),)),
    Case("+inf", InvalidRowsError, "contains infinity in 1 row (the first is row 5)", (with_values([5], np.inf),)),
    Case("-inf", InvalidRowsError, "contains infinity in 1 row (the first is row 0)", (with_values([0], -np.inf),)),
    Case("nan-and-inf", InvalidRowsError, "contains NaN and infinity in 2 rows (the first is row 1)",
         (with_values([9], np.inf, with_values([1], np.nan)),)),
    Case("nan-float32", InvalidRowsError, "contains NaN in 1 row (the first is row 39)",
         (with_values([39], np.nan).astype(np.float32),)),
    # shapes
    Case("empty", ValueError, "Found array with 0 sample(s)", (np.empty((0, 2)),)),
    Case("no-features", ValueError, "0 feature(s)", (np.empty((5, 0)),)),
    Case("1-D", ValueError, "got a 1-D array of shape (40,)", (X[:, 0],)),
    Case("3-D", ValueError, "got a 3-D array of shape (4, 5, 2)", (np.zeros((4, 5, 2)),)),
    Case("scalar", ValueError, "got a scalar", (np.float64(3.0),)),
    Case("ragged", ValueError, "could not be converted to a 2-D array", ([[1.0, 2.0], [3.0]],)),
    Case("one-row", ValueError, "minimum of 2 is required", (X[:1],)),
    Case("fewer-rows-than-components", ValueError, "n_components = 5, n_samples = 4", (X[:4],),
         params=dict(n_components=5)),
    Case("fewer-weighted-rows-than-components", ValueError,
         "the number of samples with positive weight = 1", (X,),
         fit_kwargs=dict(sample_weight=np.r_[1.0, np.zeros(39)])),
    # n_components
    Case("n_components-0", InvalidParameterError, "'n_components' parameter of GaussianMixture must be an int "
         "in the range [1, inf). Got 0", (X,), params=dict(n_components=0)),
    Case("n_components-negative", InvalidParameterError, "Got -2 instead", (X,), params=dict(n_components=-2)),
    Case("n_components-float", InvalidParameterError, "'n_components' parameter", (X,),
         params=dict(n_components=1.5)),
    # dtypes
    Case("object-strings", ValueError, "X contains strings, e.g. 'b' at row 1, column 1",
         (np.array([[1.0, 2.0], [3.0, "b"], [4.0, 5.0]], dtype=object),)),
    Case("object-dict", TypeError, "non-numeric value {'foo': 'bar'} at row 0, column 0 (float() argument must "
         "be a string or a real number", (np.array([[{"foo": "bar"}, 1.0], [2.0, 3.0], [4, 5]], dtype=object),)),
    Case("object-None", InvalidRowsError, "contains NaN in 1 row (the first is row 2)",  # NumPy reads None as NaN
         (np.array([[1.0, 2.0], [3.0, 4.0], [5.0, None]], dtype=object),)),
    Case("object-pd.NA", ValueError, "missing value (<NA>) at row 1, column 0",
         (np.array([[1.0, 2.0], [pd.NA, 4.0], [5.0, 6.0]], dtype=object),)),
    Case("str-array", ValueError, "X contains strings, e.g. 'x' at row 0, column 1",
         (np.array([["1", "x"], ["2", "y"], ["3", "z"]]),)),
    Case("numbers-as-strings", ValueError, "numbers stored as strings (dtype <U3)",
         (np.array([["1.5", "2"], ["2", "3"], ["3", "4"]]),)),
    Case("bytes-array", ValueError, "X contains strings, e.g. 'a' at row 0, column 0",
         (np.array([[b"a", b"b"], [b"c", b"d"]]),)),
    Case("complex", ValueError, "Complex data not supported: X has dtype complex128", (X + 1j,)),
    Case("datetime", TypeError, "dates or durations", (np.array([["2020-01-01"] * 2] * 3, dtype="datetime64[D]"),)),
    # sparse input: say to densify
    Case("scipy-csr", TypeError, "Densify it with X.toarray()", (sp.csr_matrix(X),)),
    Case("scipy-csc-array", TypeError, "scipy.sparse csc matrix of shape (40, 2)", (sp.csc_array(X),)),
    Case("scipy-coo", TypeError, "needs dense data", (sp.coo_matrix(X),)),
    # pandas: name the column
    Case("frame-str-column", ValueError, "Column 'b' of X has non-numeric dtype", (frame(b=["x"] * 40),)),
    Case("frame-category", ValueError, "Column 'b' of X has non-numeric dtype category",
         (frame(b=pd.Categorical(["x", "y"] * 20)),)),
    Case("frame-object-strings", ValueError, "Column 'b' of X contains strings, e.g. 'x' at row 3",
         (frame(b=pd.Series([1.0, 2.0, 3.0, "x"] * 10, dtype=object)),)),
    Case("frame-datetime", TypeError, "Column 'when' of X has non-numeric dtype datetime64",
         (frame(when=pd.date_range("2020-01-01", periods=40)),)),
    Case("frame-complex", ValueError, "Complex data not supported: column 'z'", (frame(z=X[:, 1] + 1j),)),
    Case("frame-nan", InvalidRowsError, "contains NaN in 1 row (the first is row 6)",
         (frame(b=with_values([6], np.nan)[:, 1]),)),
    # initial parameters
    Case("weights_init-sum", ValueError, "'weights_init' must sum to one, but sum(weights_init) = 0.60000000",
         (X,), params=dict(weights_init=[0.3, 0.3])),
    Case("weights_init-negative", ValueError, "'weights_init' must be in the range [0, 1]", (X,),
         params=dict(weights_init=[1.5, -0.5])),
    Case("weights_init-shape", ValueError, "'weights_init' must have shape (2,), but got an array of shape (3,)",
         (X,), params=dict(weights_init=[0.2, 0.3, 0.5])),
    Case("weights_init-nan", ValueError, "'weights_init' contains NaN", (X,), params=dict(weights_init=[np.nan, 1])),
    Case("means_init-shape", ValueError, "'means_init' must have shape (2, 2), but got an array of shape (1, 2)",
         (X,), params=dict(means_init=[[0.0, 0.0]])),
    Case("means_init-inf", ValueError, "'means_init' contains NaN or infinity", (X,),
         params=dict(means_init=[[0.0, np.inf], [1.0, 1.0]])),
    Case("means_init-strings", ValueError, "'means_init' must be numeric", (X,),
         params=dict(means_init=[["a", "b"], ["c", "d"]])),
    Case("precisions_init-shape-full", ValueError,
         "'precisions_init' must have shape (2, 2, 2) for covariance_type='full', but got an array of shape (2, 2)",
         (X,), params=dict(precisions_init=np.eye(2))),
    Case("precisions_init-shape-tied", ValueError, "must have shape (2, 2) for covariance_type='tied'", (X,),
         params=dict(covariance_type="tied", precisions_init=np.ones(2))),
    Case("precisions_init-shape-diag", ValueError, "must have shape (2, 2) for covariance_type='diag'", (X,),
         params=dict(covariance_type="diag", precisions_init=np.ones(2))),
    Case("precisions_init-shape-spherical", ValueError, "must have shape (2,) for covariance_type='spherical'",
         (X,), params=dict(covariance_type="spherical", precisions_init=np.ones((2, 2)))),
    Case("precisions_init-not-pd-full", ValueError, "'precisions_init' must be positive definite, but matrix 1",
         (X,), params=dict(precisions_init=np.stack([np.eye(2), [[1.0, 2.0], [2.0, 1.0]]]))),
    Case("precisions_init-not-symmetric-full", ValueError, "'precisions_init' must be symmetric, but matrix 0",
         (X,), params=dict(precisions_init=np.stack([[[1.0, 0.5], [0.0, 1.0]], np.eye(2)]))),
    Case("precisions_init-not-pd-tied", ValueError, "'precisions_init' must be positive definite", (X,),
         params=dict(covariance_type="tied", precisions_init=[[1.0, 2.0], [2.0, 1.0]])),
    Case("precisions_init-negative-diag", ValueError, "'precisions_init' must be strictly positive", (X,),
         params=dict(covariance_type="diag", precisions_init=[[1.0, 1.0], [1.0, -1.0]])),
    Case("precisions_init-zero-spherical", ValueError, "'precisions_init' must be strictly positive", (X,),
         params=dict(covariance_type="spherical", precisions_init=[1.0, 0.0])),
    # sample weights
    Case("weights-negative", ValueError, "sample_weight must be non-negative; 1 value(s) are negative", (X,),
         fit_kwargs=dict(sample_weight=np.r_[-1.0, W[1:]])),
    Case("weights-nan", ValueError, "sample_weight contains 1 NaN or infinite value(s)", (X,),
         fit_kwargs=dict(sample_weight=np.r_[np.nan, W[1:]])),
    Case("weights-inf", ValueError, "sample_weight contains 2 NaN or infinite value(s)", (X,),
         fit_kwargs=dict(sample_weight=np.r_[np.inf, -np.inf, W[2:]])),
    Case("weights-all-zero", ValueError, "sample_weight sums to zero", (X,), fit_kwargs=dict(sample_weight=0 * W)),
    Case("weights-sum-overflows", ValueError, "sample_weight sums to infinity", (X,),
         fit_kwargs=dict(sample_weight=np.full(40, 1e307))),
    Case("weights-length", ValueError, "sample_weight.shape == (39,), expected (40,)", (X,),
         fit_kwargs=dict(sample_weight=W[1:])),
    Case("weights-strings", ValueError, "sample_weight must be numeric", (X,),
         fit_kwargs=dict(sample_weight=np.array(["a"] * 40))),
    # values whose squares overflow: asked to rescale, never NaN parameters
    *[Case(f"1e200-{t}", ValueError, "Rescale the data", (X * 1e200,), params=dict(covariance_type=t))
      for t in COVARIANCE_TYPES],
    Case("1e160", ValueError, "values as large as 2.55e+160 in absolute value: sums of their squares overflow "
         "float64", (X * 1e160,)),
    Case("float32-1e30", ValueError, "sums of their squares overflow float32", ((X * 1e30).astype(np.float32),)),
    Case("1e200-weights", ValueError, "Rescale the data", (X * 1e200,), fit_kwargs=dict(sample_weight=W)),
    # tensors, where their path differs
    Case("torch-nan", InvalidRowsError, "contains NaN in 2 rows (the first is row 3)",
         (torch.from_numpy(with_values([3, 7], np.nan)),)),
    Case("torch-inf-float32", InvalidRowsError, "contains infinity in 1 row (the first is row 5)",
         (torch.from_numpy(with_values([5], -np.inf)).float(),)),
    Case("torch-1e200", ValueError, "Rescale the data", (torch.from_numpy(X * 1e200),)),
    Case("torch-1-D", ValueError, "got a 1D tensor of shape (40,)", (torch.from_numpy(X[:, 0]),)),
    Case("torch-3-D", ValueError, "got a 3D tensor of shape (2, 20, 2)", (torch.from_numpy(X.reshape(2, 20, 2)),)),
    Case("torch-empty", ValueError, "Found array with 0 sample(s)", (torch.zeros(0, 2, dtype=torch.float64),)),
    Case("torch-int", TypeError, "must be float32 or float64, got torch.int64", (torch.ones(5, 2, dtype=torch.int64),)),
    Case("torch-bool", TypeError, "got torch.bool", (torch.ones(5, 2, dtype=torch.bool),)),
    Case("torch-complex", TypeError, "got torch.complex128", (torch.ones(5, 2, dtype=torch.complex128),)),
    Case("torch-half", TypeError, "got torch.float16", (torch.ones(5, 2, dtype=torch.float16),)),
    Case("torch-sparse", TypeError, "densify it with X.to_dense()", (torch.from_numpy(X).to_sparse(),)),
    Case("torch-weights-negative", ValueError, "sample_weight must be non-negative", (torch.from_numpy(X),),
         fit_kwargs=dict(sample_weight=torch.from_numpy(np.r_[-1.0, W[1:]]))),
    Case("torch-fewer-rows-than-components", ValueError, "n_components = 5, n_samples = 3",
         (torch.from_numpy(X[:3]),), params=dict(n_components=5)),
]


def _source_raising(exc, on_pass):
    """A chunk source whose ``on_pass``-th pass (counting the constructor's) raises ``exc``."""
    passes = [0]

    def make_iter():
        passes[0] += 1
        if passes[0] == on_pass:
            raise exc
        return (X[i:i + 10] for i in range(0, 40, 10))

    return from_chunks(make_iter)


OTHER_CASES = [
    # feature-count mismatch after fitting
    *[Case(f"features-{m}", ValueError, "X has 3 features, but GaussianMixture is expecting 2 features as input",
           action=lambda m=m: getattr(fitted(), m)(np.zeros((4, 3))))
      for m in ("predict", "predict_proba", "score_samples", "score", "bic", "aic")],
    Case("features-tensor-predict", ValueError, "X has 3 features, but GaussianMixture is expecting 2",
         action=lambda: fitted().predict(torch.zeros(4, 3, dtype=torch.float64))),
    Case("features-source-predict", ValueError, "X has 3 features, but GaussianMixture is expecting 2",
         action=lambda: fitted().predict(from_chunks(lambda: iter([np.zeros((4, 3))])))),
    Case("features-warm-start", ValueError, "X has 3 features, but the fitted means have 2",
         action=lambda: GaussianMixture(2, warm_start=True, random_state=0).fit(X).fit(np.c_[X, X[:, 0]])),
    Case("features-partial_fit", ValueError, "X has 3 features, but GaussianMixture is expecting 2",
         action=lambda: GaussianMixture(2, random_state=0).partial_fit(X).partial_fit(np.zeros((4, 3)))),
    # bad values at prediction time
    Case("predict-nan", InvalidRowsError, "contains NaN in 1 row (the first is row 2)",
         action=lambda: fitted().predict(with_values([2], np.nan)[:5])),
    Case("score_samples-1e200", ValueError, "Rescale the data", action=lambda: fitted().score_samples(X * 1e200)),
    Case("predict_proba-sparse", TypeError, "Densify it with X.toarray()",
         action=lambda: fitted().predict_proba(sp.csr_matrix(X))),
    Case("score-1-D", ValueError, "got a 1-D array", action=lambda: fitted().score(X[:, 0])),
    # an unfitted model
    *[Case(f"unfitted-{m}", NotFittedError, "This GaussianMixture instance is not fitted yet",
           action=lambda m=m: getattr(GaussianMixture(2), m)(X))
      for m in ("predict", "predict_proba", "score_samples", "score", "bic", "aic")],
    Case("unfitted-sample", NotFittedError, "not fitted yet", action=lambda: GaussianMixture(2).sample(3)),
    *[Case(f"unfitted-IC-{m}", NotFittedError, "This GaussianMixtureIC instance is not fitted yet",
           action=lambda m=m: getattr(GaussianMixtureIC(), m)(X))
      for m in ("predict", "predict_proba", "score_samples", "score", "bic", "aic")],
    Case("unfitted-IC-sample", NotFittedError, "not fitted yet", action=lambda: GaussianMixtureIC().sample(3)),
    # partial_fit
    Case("partial_fit-nan", InvalidRowsError, "contains NaN in 1 row (the first is row 0)",
         action=lambda: GaussianMixture(2).partial_fit(with_values([0], np.nan))),
    Case("partial_fit-first-batch-too-small", ValueError, "needs at least n_components = 3 rows",
         action=lambda: GaussianMixture(3).partial_fit(X[:2])),
    # model selection shares the validation
    Case("select-nan", InvalidRowsError, "contains NaN in 2 rows (the first is row 3)",
         action=lambda: select(with_values([3, 7], np.nan), [1, 2])),
    Case("select-sparse", TypeError, "Densify it with X.toarray()", action=lambda: select(sp.csr_matrix(X), [1, 2])),
    Case("select-1e200", ValueError, "Rescale the data", action=lambda: select(X * 1e200, [1, 2])),
    Case("select-frame-str", ValueError, "Column 'b' of X", action=lambda: select(frame(b=["x"] * 40), [1, 2])),
    Case("select-fewer-rows", ValueError, "n_components = 5, n_samples = 4", action=lambda: select(X[:4], [1, 5])),
    Case("select-weights-zero", ValueError, "sample_weight sums to zero",
         action=lambda: select(X, [1, 2], sample_weight=0 * W)),
    Case("IC-nan", InvalidRowsError, "GaussianMixtureIC treats NaN as a missing value when asked",
         action=lambda: GaussianMixtureIC(n_components=[1, 2]).fit(with_values([1], np.nan))),
    Case("IC-3-D", ValueError, "got a 3-D array", action=lambda: GaussianMixtureIC().fit(np.zeros((4, 5, 2)))),
    Case("IC-predict-features", ValueError, "X has 3 features, but GaussianMixtureIC is expecting 2",
         action=lambda: fitted_ic().predict(np.zeros((4, 3)))),
    Case("IC-n_components-0", InvalidParameterError, "'n_components'",
         action=lambda: GaussianMixtureIC(n_components=[0, 1]).fit(X)),
    # data sources: the overflow is caught on the initialization sample, or by the M-step
    Case("source-1e200", ValueError, "Rescale the data",
         action=lambda: GaussianMixture(2, random_state=0).fit(from_chunks(lambda: iter([X * 1e200])))),
    Case("source-overflow-in-em", ValueError, "The EM statistics overflowed",
         action=lambda: _fit_ignoring_overflow_warnings(
             GaussianMixture(2, weights_init=[0.5, 0.5], means_init=[[0, 0], [1, 1]], precisions_init=[np.eye(2)] * 2),
             from_chunks(lambda: iter([X * 1e200])))),
    Case("weights-times-squares-overflow", ValueError, "The EM statistics overflowed",
         action=lambda: _fit_ignoring_overflow_warnings(GaussianMixture(2, random_state=0), X * 1e100,
                                                        sample_weight=np.full(40, 1e150))),
    Case("mstep-nonfinite-statistics", ValueError, "The EM statistics overflowed",
         action=lambda: mstep(SufficientStats(np.zeros(1), 2.0, np.array([1.0, 1.0]), np.array([[np.inf], [0.0]]),
                                              np.ones((2, 1)), 0.0), "diag", 1e-6, 1e-15)),
    # subnormal data without regularization: nothing to factorise, and the error says what to do
    Case("subnormal-no-reg_covar", CovarianceError, "increase reg_covar",
         action=lambda: GaussianMixture(2, reg_covar=0.0, random_state=0).fit(X * 1e-310)),
]


def _fit_ignoring_overflow_warnings(gm, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own overflow notes, before the clear error
        return gm.fit(*args, **kwargs)


@pytest.mark.parametrize("case", FIT_CASES + OTHER_CASES, ids=lambda case: case.id)
def test_bad_input_raises_a_clear_error(case):
    with pytest.raises(case.exc, match=re.escape(case.fragment)):
        case.run()


@pytest.mark.parametrize("X_bad", [with_values([4, 11, 12], np.nan), torch.from_numpy(with_values([4, 11, 12], np.inf))],
                         ids=["numpy", "torch"])
def test_invalid_rows_are_counted_like_a_sources(X_bad):
    """The same exception, with the same attributes, as file and chunk sources raise."""
    with pytest.raises(InvalidRowsError) as info:
        GaussianMixture(2).fit(X_bad)
    assert (info.value.n_invalid, info.value.first_row) == (3, 4)
    with pytest.raises(InvalidRowsError) as info:
        GaussianMixture(2).fit(from_chunks(lambda: iter([np.asarray(X_bad)])))
    assert (info.value.n_invalid, info.value.first_row) == (3, 4)


def _state(estimator) -> dict:
    return {name: (value.copy() if hasattr(value, "copy") else value) for name, value in vars(estimator).items()}


def _assert_same_state(before: dict, estimator) -> None:
    after = vars(estimator)
    assert after.keys() == before.keys()
    for name, value in before.items():
        if isinstance(value, (np.ndarray, torch.Tensor)):
            assert type(after[name]) is type(value)
            np.testing.assert_array_equal(np.asarray(after[name]), np.asarray(value), err_msg=name)
        else:
            assert after[name] == value, name


@pytest.mark.parametrize("case", [c for c in FIT_CASES if c.fit_args is not None][::3], ids=lambda case: case.id)
def test_failed_fit_changes_nothing(case):
    """A fit that fails on bad input leaves a previous fit (and its n_features_in_) whole."""
    gm = GaussianMixture(2, random_state=0).fit(pd.DataFrame(X, columns=["u", "v"]))
    gm.set_params(**case.params)
    before = _state(gm)
    with pytest.raises(case.exc):
        gm.fit(*case.fit_args, **case.fit_kwargs)
    _assert_same_state(before, gm)


@pytest.mark.parametrize("fitted_before", [False, True], ids=["unfitted", "fitted"])
@pytest.mark.parametrize("exc", [KeyboardInterrupt(), OSError("disk gone")], ids=["KeyboardInterrupt", "OSError"])
def test_interrupted_fit_leaves_the_estimator_as_it_was(fitted_before, exc):
    """The source raises on its 3rd pass (after the constructor's and the initialization's): mid-EM."""
    gm = GaussianMixture(2, random_state=0, max_iter=5)
    if fitted_before:
        gm.fit(pd.DataFrame(X[:, ::-1] + 3.0, columns=["u", "v"]))
        gm.partial_fit(pd.DataFrame(X[:, ::-1] + 3.0, columns=["u", "v"]))  # online state too
    before = _state(gm)
    source = _source_raising(exc, on_pass=3)
    with pytest.raises(type(exc)):
        gm.fit(source)
    _assert_same_state(before, gm)
    with pytest.raises(type(exc)):
        gm.fit_predict(_source_raising(exc, on_pass=3))
    _assert_same_state(before, gm)


@pytest.mark.parametrize("fitted_before", [False, True], ids=["unfitted", "fitted"])
def test_interrupted_partial_fit_leaves_the_estimator_as_it_was(fitted_before, monkeypatch):
    gm = GaussianMixture(2, random_state=0)
    if fitted_before:
        gm.partial_fit(X)
    before = _state(gm)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("gaussmix.estimator.mstep_reseeding", interrupt)  # after validation and the E-step
    with pytest.raises(KeyboardInterrupt):
        gm.partial_fit(X + 1.0)
    _assert_same_state(before, gm)


# ------------------------------------------------------------------ accepted on purpose
def _assert_valid(gm):
    assert np.all(np.isfinite(gm.means_)) and np.all(np.isfinite(gm.covariances_))
    assert gm.weights_.sum() == pytest.approx(1.0, abs=1e-12)
    dense = get_covariance(gm.covariance_type).dense(gm.covariances_, *gm.means_.shape)
    assert np.all(np.linalg.eigvalsh(dense) > 0)


def test_bool_columns_are_accepted_as_zeros_and_ones():
    """Booleans are accepted, as scikit-learn and integer 0/1 columns are: the same fit as on floats."""
    Xb = np.c_[X[:, 0] > 0, X[:, 1]]  # an indicator next to a continuous feature
    Xbool = np.c_[X[:, 0] > 0, X[:, 1] > 0]
    for data in (Xbool, pd.DataFrame({"flag": X[:, 0] > 0, "value": X[:, 1]})):
        gm = GaussianMixture(2, random_state=0).fit(data)
        ref = GaussianMixture(2, random_state=0).fit(np.asarray(data, dtype=np.float64))
        np.testing.assert_array_equal(gm.means_, ref.means_)
        _assert_valid(gm)
    np.testing.assert_array_equal(GaussianMixture(2, random_state=0).fit(Xb).predict(Xb),
                                  GaussianMixture(2, random_state=0).fit(Xb.astype(float)).predict(Xb))


def test_numbers_in_object_arrays_and_columns_are_accepted():
    gm = GaussianMixture(2, random_state=0).fit(X.astype(object))
    np.testing.assert_array_equal(gm.means_, GaussianMixture(2, random_state=0).fit(X).means_)
    df = pd.DataFrame({"a": X[:, 0], "b": pd.Series(list(X[:, 1]), dtype=object)})
    assert GaussianMixture(2, random_state=0).fit(df).feature_names_in_.tolist() == ["a", "b"]


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("dtype, scale", [(np.float64, 1e-310), (np.float32, 1e-40)], ids=["float64", "float32"])
def test_subnormal_values_fit_without_nan(covariance_type, dtype, scale):
    Xs = (X * scale).astype(dtype)
    assert np.any((Xs != 0) & (np.abs(Xs) < np.finfo(dtype).tiny))  # really subnormal
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(Xs)
    _assert_valid(gm)
    assert np.all(np.isfinite(gm.score_samples(Xs))) and np.all(np.isfinite(gm.predict_proba(Xs)))
    gt = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(torch.from_numpy(Xs))
    # float32 subnormals keep only a few significant digits: compared on their own scale
    np.testing.assert_allclose(gt.means_.numpy(), gm.means_, rtol=1e-6, atol=1e-3 * scale)


def test_values_just_below_the_limit_fit():
    """The overflow check is not overcautious: large but safe values fit, with finite parameters."""
    gm = GaussianMixture(2, random_state=0).fit(X * 1e150)
    _assert_valid(gm)
