"""Parameter and input checks with messages that name the problem."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from . import _xp
from .covariance import COVARIANCE_TYPES
from .covariance._common import check_shape, to_float_array
from .exceptions import InvalidParameterError


def _fail(owner: str, name: str, expected: str, value) -> None:
    raise InvalidParameterError(f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead.")


def check_int(value, name: str, owner: str, low: int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    # bools are Integral and accepted as 0/1, as scikit-learn's validation does
    if not isinstance(value, numbers.Integral) or value < low:
        _fail(owner, name, f"an int in the range [{low}, inf)" + (" or None" if allow_none else ""), value)


def check_real(value, name: str, owner: str, low: float) -> None:
    if not isinstance(value, numbers.Real) or not np.isfinite(value) or value < low:
        _fail(owner, name, f"a finite float in the range [{low}, inf)", value)


def check_option(value, name: str, owner: str, options) -> None:
    if not isinstance(value, str) or value not in options:
        _fail(owner, name, "a str among " + "{" + ", ".join(repr(o) for o in sorted(options)) + "}", value)


def check_estimator_params(est) -> None:
    """Validate the constructor parameters of a ``GaussianMixture``-like estimator."""
    from .core.init import INIT_METHODS

    owner = type(est).__name__
    check_int(est.n_components, "n_components", owner, 1)
    check_option(est.covariance_type, "covariance_type", owner, COVARIANCE_TYPES)
    check_real(est.tol, "tol", owner, 0.0)
    check_real(est.reg_covar, "reg_covar", owner, 0.0)
    check_int(est.max_iter, "max_iter", owner, 0)
    check_int(est.n_init, "n_init", owner, 1)
    check_option(est.init_params, "init_params", owner, INIT_METHODS)
    if not isinstance(est.warm_start, (bool, np.bool_)):
        _fail(owner, "warm_start", "an instance of 'bool'", est.warm_start)
    if not isinstance(est.verbose, (bool, np.bool_)):
        check_int(est.verbose, "verbose", owner, 0)
    check_int(est.verbose_interval, "verbose_interval", owner, 1)
    check_int(est.chunk_size, "chunk_size", owner, 1, allow_none=True)
    if getattr(est, "n_jobs", None) is not None:
        check_int(est.n_jobs, "n_jobs", owner, -(2**31))
        if est.n_jobs == 0:
            _fail(owner, "n_jobs", "a non-zero int or None", est.n_jobs)
    decay, offset = getattr(est, "online_decay", 0.6), getattr(est, "online_offset", 0.0)
    if not isinstance(decay, numbers.Real) or isinstance(decay, (bool, np.bool_)) or not 0.5 < decay <= 1.0:
        _fail(owner, "online_decay", "a float in the range (0.5, 1.0]", decay)
    check_real(offset, "online_offset", owner, 0.0)
    device = getattr(est, "device", None)
    if not (device is None or isinstance(device, str) or type(device).__module__.startswith("torch")):
        _fail(owner, "device", "a str such as 'cuda' or 'cpu', a torch.device or None", device)
    rs = est.random_state
    if not (rs is None or isinstance(rs, np.random.RandomState)
            or (isinstance(rs, numbers.Integral) and not isinstance(rs, (bool, np.bool_)) and 0 <= rs < 2**32)):
        _fail(owner, "random_state", "an int in the range [0, 4294967295], an instance of "
              "'numpy.random.mtrand.RandomState' or None", rs)


def check_sample_weight(sample_weight, X: np.ndarray) -> np.ndarray | None:
    """Validated weights of shape ``(n_samples,)`` in ``X.dtype``, or ``None``.

    Weights must be finite, non-negative and not all zero; a scalar applies to every row.
    """
    if sample_weight is None:
        return None
    if _xp.is_torch(sample_weight):  # weights are host values; they travel with the rows
        sample_weight = _xp.to_numpy(sample_weight)
    n = X.shape[0]
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n, sample_weight)
    try:
        w = np.asarray(sample_weight)
    except Exception as exc:
        raise ValueError(f"sample_weight could not be converted to an array: {exc}") from None
    if w.dtype.kind not in "biuf":
        raise ValueError(f"sample_weight must be numeric, got dtype {w.dtype}.")
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"sample_weight.shape == {w.shape}, expected ({n},) to match X with {n} rows.")
    w = w.astype(_xp.numpy_dtype(X))
    if not np.all(np.isfinite(w)):
        bad = int(np.count_nonzero(~np.isfinite(w)))
        raise ValueError(f"sample_weight contains {bad} NaN or infinite value(s).")
    if np.any(w < 0):
        raise ValueError(f"sample_weight must be non-negative; {int(np.count_nonzero(w < 0))} value(s) are negative.")
    if not np.any(w > 0):
        raise ValueError("sample_weight sums to zero: at least one row needs a positive weight.")
    return w


def check_weights_init(weights, n_components: int) -> np.ndarray:
    """``weights_init``: shape ``(n_components,)``, in [0, 1], summing to one."""
    weights = to_float_array(weights, "weights_init")
    check_shape(weights, (n_components,), "weights_init")
    if np.any(weights < 0.0) or np.any(weights > 1.0):
        raise ValueError(
            f"'weights_init' must be in the range [0, 1], but got min value {weights.min():.5f}, "
            f"max value {weights.max():.5f}."
        )
    atol = 1e-6 if weights.dtype == np.float32 else 1e-8
    if abs(1.0 - float(np.sum(weights, dtype=np.float64))) > atol:
        raise ValueError(f"'weights_init' must sum to one, but sum(weights_init) = {np.sum(weights):.8f}.")
    return weights


def check_means_init(means, n_components: int, n_features: int) -> np.ndarray:
    """``means_init``: shape ``(n_components, n_features)``, finite."""
    means = to_float_array(means, "means_init")
    check_shape(means, (n_components, n_features), "means_init")
    return means


def check_tensor(est, X, *, reset: bool, ensure_min_samples: int = 1):
    """A PyTorch tensor checked as scikit-learn's ``validate_data`` checks arrays, left where it is.

    ``X`` must be 2-D, float32 or float64 (no silent copy of device data into another
    dtype: integer, half-precision and complex tensors are refused with a ``TypeError``)
    and finite.  ``reset=True`` records ``n_features_in_`` (and forgets
    ``feature_names_in_``: tensors have no column names); otherwise the number of
    features must match the fit's.
    """
    import torch

    X = X.detach()  # EM needs no gradients; in-place kernels refuse tensors that track them
    if X.dtype not in (torch.float32, torch.float64):
        raise TypeError(
            f"Tensor input must be float32 or float64, got {X.dtype}; convert it first, "
            "e.g. X.double() or X.float()."
        )
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D tensor, got a {X.ndim}D tensor of shape {tuple(X.shape)} instead. Reshape your "
            "data either using X.reshape(-1, 1) if your data has a single feature or X.reshape(1, -1) if it "
            "contains a single sample."
        )
    n_samples, n_features = X.shape
    if n_samples < ensure_min_samples:
        raise ValueError(
            f"Found array with {n_samples} sample(s) (shape={tuple(X.shape)}) while a minimum of "
            f"{ensure_min_samples} is required."
        )
    if n_features < 1:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={tuple(X.shape)}) while a minimum of 1 is required."
        )
    if not bool(torch.isfinite(X).all()):
        what = "NaN" if bool(torch.isnan(X).any()) else "infinity or a value too large"
        raise ValueError(f"Input X contains {what}.")
    if reset:
        est.n_features_in_ = n_features
        vars(est).pop("feature_names_in_", None)
    else:
        if n_features != est.n_features_in_:
            raise ValueError(
                f"X has {n_features} features, but {type(est).__name__} is expecting "
                f"{est.n_features_in_} features as input."
            )
        if hasattr(est, "feature_names_in_"):
            warnings.warn(
                f"X does not have valid feature names, but {type(est).__name__} was fitted with feature names",
                UserWarning,
            )
    return X
