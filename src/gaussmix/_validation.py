"""Parameter and input checks with messages that name the problem."""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
from sklearn.utils.validation import validate_data

from . import _xp
from .covariance import COVARIANCE_NAMES
from .covariance._common import check_shape, to_float_array
from .exceptions import InvalidParameterError, InvalidRowsError


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
    from .core.missing import NAN_POLICIES

    owner = type(est).__name__
    check_int(est.n_components, "n_components", owner, 1)
    check_option(est.covariance_type, "covariance_type", owner, COVARIANCE_NAMES)
    check_real(est.tol, "tol", owner, 0.0)
    check_real(est.reg_covar, "reg_covar", owner, 0.0)
    check_int(est.max_iter, "max_iter", owner, 0)
    check_int(est.n_init, "n_init", owner, 1)
    check_option(est.init_params, "init_params", owner, INIT_METHODS)
    check_option(getattr(est, "nan_policy", "raise"), "nan_policy", owner, NAN_POLICIES)
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
    w = cast_in_range(w, _xp.numpy_dtype(X), "sample_weight")
    if not np.all(np.isfinite(w)):
        bad = int(np.count_nonzero(~np.isfinite(w)))
        raise ValueError(f"sample_weight contains {bad} NaN or infinite value(s).")
    if np.any(w < 0):
        raise ValueError(f"sample_weight must be non-negative; {int(np.count_nonzero(w < 0))} value(s) are negative.")
    if not np.any(w > 0):
        raise ValueError("sample_weight sums to zero: at least one row needs a positive weight.")
    with np.errstate(over="ignore"):
        total = np.sum(w, dtype=np.float64)
    if not np.isfinite(total):
        raise ValueError(
            "sample_weight sums to infinity: the weights are too large for the arithmetic. Scale them down "
            "(dividing every weight by the same constant leaves the fitted parameters unchanged)."
        )
    return w


def check_weights_init(weights, n_components: int) -> np.ndarray:
    """``weights_init``: shape ``(n_components,)``, in [0, 1], summing to one."""
    weights = to_float_array(weights, "weights_init")
    check_shape(weights, (n_components,), "weights_init")
    if np.any(weights < 0.0) or np.any(weights > 1.0):
        # scikit-learn's wording swaps its labels (max shows the minimum); quoted as it is
        raise ValueError(
            f"'weights_init' must be in the range [0, 1], but got min value {weights.min():.5f}, "
            f"max value {weights.max():.5f}. (scikit-learn: The parameter 'weights' should be in the range "
            f"[0, 1], but got max value {weights.min():.5f}, min value {weights.max():.5f})"
        )
    atol = 1e-6 if weights.dtype == np.float32 else 1e-8
    if abs(1.0 - float(np.sum(weights, dtype=np.float64))) > atol:
        total = float(np.sum(weights, dtype=np.float64))
        raise ValueError(f"'weights_init' must sum to one, but sum(weights_init) = {total:.8f}. (scikit-learn: "
                         f"The parameter 'weights' should be normalized, but got sum(weights) = {total:.5f})")
    return weights


def check_means_init(means, n_components: int, n_features: int) -> np.ndarray:
    """``means_init``: shape ``(n_components, n_features)``, finite."""
    means = to_float_array(means, "means_init")
    check_shape(means, (n_components, n_features), "means_init")
    return means


def check_rows(est, X, *, reset: bool, ensure_min_samples: int = 1, allow_nan: bool = False):
    """Rows ``X`` checked for ``est``: a float64/float32 NumPy array, or a float tensor left in place.

    On top of scikit-learn's ``validate_data`` (which records ``n_features_in_`` and
    ``feature_names_in_`` when ``reset``, and checks them otherwise), every problem gets
    an error that names it:

    * scipy sparse matrices and sparse tensors: ``TypeError`` (densify them first);
    * 0-D, 1-D and 3-D input: ``ValueError`` with the shape;
    * strings (also numbers stored as strings), and text or categorical DataFrame
      columns: ``ValueError`` naming the first offending value (row and column) or the
      column, as scikit-learn raises ``ValueError`` for text;
    * dates and objects that are not numbers (e.g. dicts): ``TypeError``, naming them;
    * missing values (``None``, ``pd.NA``) in object arrays: ``ValueError``;
    * complex numbers: ``ValueError`` ("Complex data not supported");
    * NaN and infinity: :class:`~gaussmix.exceptions.InvalidRowsError` (a ``ValueError``)
      with the number of offending rows and the first (also as attributes); ``allow_nan``
      lets NaN (a missing value) through, not infinity;
    * values so large that sums of their squares overflow the dtype: ``ValueError``
      asking to rescale (see :func:`check_values`).

    Booleans are accepted, as 0.0 and 1.0 (as scikit-learn and integer input are).

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix import GaussianMixture
    >>> check_rows(GaussianMixture(), [[1, 2], [3, 4]], reset=True).dtype
    dtype('float64')
    >>> check_rows(GaussianMixture(), [[1.0, float("nan")], [3.0, 4.0]], reset=True)
    Traceback (most recent call last):
    ...
    gaussmix.exceptions.InvalidRowsError: Input X contains NaN in 1 row (the first is row 0). GaussianMixture treats NaN as a missing value when asked: nan_policy='marginalize' fits them by exact EM for values missing at random, nan_policy='omit' skips those rows (or impute them first).
    """
    owner = type(est).__name__
    if _xp.is_torch(X):
        return check_tensor(est, X, reset=reset, ensure_min_samples=ensure_min_samples, allow_nan=allow_nan)
    X = _numeric_2d(X, owner)
    X = validate_data(est, X, dtype=[np.float64, np.float32], reset=reset, ensure_min_samples=ensure_min_samples,
                      ensure_all_finite=False)
    check_values(X, owner, allow_nan=allow_nan, nan_policy_exists=hasattr(est, "nan_policy"))
    return X


def _numeric_2d(X, owner: str):
    """``X`` refused with a clear error unless it is 2-D and numeric; DataFrames are returned as they are."""
    from scipy import sparse

    if sparse.issparse(X):
        raise TypeError(
            f"Sparse data was passed for X (a scipy.sparse {X.format} matrix of shape {X.shape}), but {owner} "
            "needs dense data: Gaussian mixtures use every entry, zeros included. Densify it with X.toarray() "
            "if it fits in memory, or reduce it first (e.g. sklearn.decomposition.TruncatedSVD)."
        )
    if _is_dataframe(X):
        _check_frame_columns(X, owner)
        return X
    if not (hasattr(X, "dtype") and hasattr(X, "ndim") and hasattr(X, "shape")):
        try:
            X = np.asarray(X)
        except Exception as exc:  # ragged nested lists and the like
            raise ValueError(f"X could not be converted to a 2-D array: {exc}") from None
    if X.ndim != 2:
        if X.ndim == 0:
            got = "a scalar"
        else:
            got = f"a {X.ndim}-D array of shape {tuple(X.shape)}"
        raise ValueError(
            f"Expected 2D array, got {got} instead: {owner} needs rows of shape (n_samples, n_features). "
            "Reshape your data either using X.reshape(-1, 1) if your data has a single feature or "
            "X.reshape(1, -1) if it contains a single sample."
        )
    kind = getattr(X.dtype, "kind", "O")
    if kind == "c":
        raise ValueError(
            f"Complex data not supported: X has dtype {X.dtype}. {owner} models real-valued data; pass the "
            "real and imaginary parts as separate features if both matter."
        )
    if kind in "USV":
        _refuse_strings(np.asarray(X))
    if kind in "mM":
        raise TypeError(f"X has dtype {X.dtype} (dates or durations); convert it to numbers first.")
    if kind == "O":
        return _object_to_float(np.asarray(X))
    return X


def _refuse_strings(X: np.ndarray, column: str | None = None) -> None:
    """A ``ValueError`` naming the first string of ``X`` (2-D) that is not a number, or saying they all are.

    ``ValueError``, as scikit-learn (and ``float("a")``) raise for text; values of
    other non-numeric types get a ``TypeError``, as there.
    """
    where = "X" if column is None else f"Column {column} of X"
    for (i, j), value in np.ndenumerate(X):
        if isinstance(value, (str, bytes, np.str_, np.bytes_)):
            try:
                float(value)
            except ValueError:
                at = f"row {i}" if column is not None else f"row {i}, column {j}"
                text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
                raise ValueError(
                    f"{where} contains strings, e.g. {text!r} at {at}; Gaussian mixtures need numbers: "
                    "drop the non-numeric columns or encode them as numbers (e.g. with "
                    "sklearn.preprocessing.OneHotEncoder)."
                ) from None
    raise ValueError(
        f"{where} holds numbers stored as strings (dtype {X.dtype}); convert them first, e.g. X.astype(float)."
    )


def _object_to_float(X: np.ndarray, column: str | None = None) -> np.ndarray:
    """An object array of numbers as float64; a clear error for strings, None and other objects."""
    is_text = np.frompyfunc(lambda v: isinstance(v, (str, bytes)), 1, 1)(X).astype(bool)
    if is_text.any():
        _refuse_strings(X, column)
    try:
        return X.astype(np.float64)
    except (TypeError, ValueError) as exc:
        error = exc
    for (i, j), value in np.ndenumerate(X):
        try:
            float(value)
        except (TypeError, ValueError) as exc:
            where = f"Column {column} of X" if column is not None else "X"
            at = f"row {i}" if column is not None else f"row {i}, column {j}"
            if value is None or repr(value) == "<NA>":
                raise ValueError(
                    f"{where} contains a missing value ({value!r}) at {at}; drop those rows or impute them "
                    "(e.g. with sklearn.impute.SimpleImputer)."
                ) from None
            raise TypeError(f"{where} contains a non-numeric value {value!r} at {at} ({exc}).") from None
    raise TypeError(f"X could not be converted to numbers: {error}")  # pragma: no cover - found above


def _is_dataframe(X) -> bool:
    return type(X).__module__.partition(".")[0] == "pandas" and hasattr(X, "columns") and hasattr(X, "dtypes")


def _check_frame_columns(X, owner: str) -> None:
    """An error naming the first non-numeric column of a DataFrame.

    ``ValueError`` for text, categories and complex numbers, ``TypeError`` for other types.
    """
    for position, (name, dtype) in enumerate(X.dtypes.items()):
        kind = getattr(dtype, "kind", "O")
        if kind in "biuf":
            continue
        column = repr(name)
        if kind == "c":
            raise ValueError(f"Complex data not supported: column {column} of X has dtype {dtype}.")
        if kind == "O" and dtype == np.dtype(object):  # plain Python objects: numbers are fine
            _object_to_float(X.iloc[:, position].to_numpy()[:, None], column)
            continue
        # Text and categories are values, as scikit-learn sees them (ValueError); dates,
        # periods and the like are a wrong type (TypeError).
        text = str(dtype) in ("category", "str", "string") or str(dtype).startswith("string")
        raise (ValueError if text else TypeError)(
            f"Column {column} of X has non-numeric dtype {dtype}; {owner} needs numeric columns: drop it "
            "or encode it as numbers (e.g. with sklearn.preprocessing.OneHotEncoder)."
        )


def value_limit(dtype, n_samples: int, n_features: int) -> float:
    """The largest absolute value rows may hold: sums of squares over them stay finite.

    The E-step and the statistics sum squares of centred values over features and rows
    in the data's dtype; ``sqrt(max / (4 n d))`` keeps ``n * d * (2 max|x|)^2`` finite.

    Examples
    --------
    >>> f"{value_limit(np.float64, 100, 2):.2e}"
    '4.74e+152'
    """
    return math.sqrt(float(np.finfo(np.dtype(dtype)).max) / (4.0 * max(1, n_samples) * max(1, n_features)))


def _nonfinite_error(owner: str, what: str, n_rows: int, first: int, has_nan: bool,
                     has_inf: bool, nan_policy_exists: bool = True) -> InvalidRowsError:
    kinds = "NaN and infinity" if has_nan and has_inf else ("NaN" if has_nan else "infinity")
    rows = "1 row" if n_rows == 1 else f"{n_rows} rows"
    if has_inf:
        advice = (f"{owner} cannot model infinite values: drop those rows or replace the values"
                  + (" (NaN is a missing value, see nan_policy)." if has_nan else "."))
    elif nan_policy_exists:
        advice = (f"{owner} treats NaN as a missing value when asked: nan_policy='marginalize' fits them by exact EM "
                  "for values missing at random, nan_policy='omit' skips those rows (or impute them first).")
    else:
        advice = (f"{owner} cannot model missing values: drop those rows or impute them (e.g. with "
                  "sklearn.impute.SimpleImputer).")
    return InvalidRowsError(f"Input {what} contains {kinds} in {rows} (the first is row {first}). {advice}",
                            n_invalid=n_rows, first_row=first)


def _scale_message(what: str, largest: float, limit: float, dtype) -> str:
    return (
        f"Input {what} contains values as large as {largest:.3g} in absolute value: sums of their squares "
        f"overflow {np.dtype(dtype).name} (values must stay below {limit:.3g} here). Rescale the data, e.g. "
        "with sklearn.preprocessing.StandardScaler or by dividing by a constant."
    )


def check_values(X, owner: str = "GaussianMixture", what: str = "X", n_samples: int | None = None,
                 allow_nan: bool = False, nan_policy_exists: bool = True) -> None:
    """``InvalidRowsError`` for NaN/infinity (number of rows, first row), ``ValueError`` for values too large.

    (See :func:`value_limit`; ``InvalidRowsError`` is a ``ValueError`` with ``n_invalid``
    and ``first_row``.)

    ``X`` is a 2-D float NumPy array or tensor; ``n_samples`` the number of rows that
    will be summed (default ``X``'s: more when ``X`` is a sample of a larger source).
    Finite data cost two reductions (min and max), no temporary array.  ``allow_nan`` lets
    NaN (a missing value) through; infinity is still refused.

    Examples
    --------
    >>> check_values(np.array([[1.0], [1e200]]))
    Traceback (most recent call last):
    ...
    ValueError: Input X contains values as large as 1e+200 in absolute value: sums of their squares overflow float64 (values must stay below 4.74e+153 here). Rescale the data, e.g. with sklearn.preprocessing.StandardScaler or by dividing by a constant.
    """
    if _xp.is_torch(X):
        import torch

        finite_rows = (~torch.isinf(X) if allow_nan else torch.isfinite(X)).all(dim=1)
        if not bool(finite_rows.all()):
            bad = ~finite_rows
            raise _nonfinite_error(owner, what, int(bad.sum()), int(torch.nonzero(bad)[0, 0]),
                                   bool(torch.isnan(X).any()), bool(torch.isinf(X).any()), nan_policy_exists)
        magnitude = X.abs().nan_to_num(0.0) if allow_nan else X.abs()
        largest = float(magnitude.max()) if X.numel() else 0.0
    else:
        low, high = np.min(X), np.max(X)
        if allow_nan and not (np.isfinite(low) and np.isfinite(high)):
            if np.isinf(X).any():
                bad = np.isinf(X).any(axis=1)
                raise _nonfinite_error(owner, what, int(np.count_nonzero(bad)), int(np.argmax(bad)),
                                       bool(np.isnan(X).any()), True, nan_policy_exists)
            low, high = (np.nanmin(X), np.nanmax(X)) if not np.isnan(X).all() else (0.0, 0.0)
        if not (np.isfinite(low) and np.isfinite(high)):
            bad = ~np.isfinite(X).all(axis=1)
            raise _nonfinite_error(owner, what, int(np.count_nonzero(bad)), int(np.argmax(bad)),
                                   bool(np.isnan(X).any()), bool(np.isinf(X).any()), nan_policy_exists)
        largest = float(max(-low, high))
    n_features = X.shape[1]
    limit = value_limit(_xp.numpy_dtype(X), X.shape[0] if n_samples is None else n_samples, n_features)
    if largest > limit:
        raise ValueError(_scale_message(what, largest, limit, _xp.numpy_dtype(X)))


def check_tensor(est, X, *, reset: bool, ensure_min_samples: int = 1, allow_nan: bool = False):
    """A PyTorch tensor checked as scikit-learn's ``validate_data`` checks arrays, left where it is.

    ``X`` must be dense (a sparse layout is refused with a ``TypeError``), 2-D, float32
    or float64 (no silent copy of device data into another dtype: integer, boolean,
    half-precision and complex tensors are refused with a ``TypeError``), finite and
    not so large that squares overflow (:func:`check_values`).  ``reset=True`` records
    ``n_features_in_`` (and forgets ``feature_names_in_``: tensors have no column
    names); otherwise the number of features must match the fit's.
    """
    import torch

    owner = type(est).__name__
    if X.layout != torch.strided:
        raise TypeError(
            f"Sparse data was passed for X (a tensor with layout {X.layout}), but {owner} needs dense data: "
            "densify it with X.to_dense() if it fits in memory."
        )
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
    if not reset and n_features != est.n_features_in_:
        raise ValueError(
            f"X has {n_features} features, but {owner} is expecting {est.n_features_in_} features as input."
        )
    check_values(X, owner, allow_nan=allow_nan, nan_policy_exists=hasattr(est, "nan_policy"))
    if reset:
        est.n_features_in_ = n_features
        vars(est).pop("feature_names_in_", None)
    elif hasattr(est, "feature_names_in_"):
        warnings.warn(
            f"X does not have valid feature names, but {owner} was fitted with feature names",
            UserWarning,
        )
    return X


def cast_in_range(a: np.ndarray, dtype, what: str) -> np.ndarray:
    """``a`` as ``dtype``, refusing finite values too large for it (they would become inf).

    Examples
    --------
    >>> cast_in_range(np.array([1.0, 2.0]), np.float32, "sample_weight").dtype
    dtype('float32')
    >>> cast_in_range(np.array([1e300]), np.float32, "sample_weight")
    Traceback (most recent call last):
    ...
    ValueError: sample_weight holds values up to 1e+300, beyond float32's range (3.4e+38); rescale them.
    """
    dtype = np.dtype(dtype)
    if a.dtype.kind == "f" and dtype.kind == "f" and a.dtype.itemsize > dtype.itemsize and a.size:
        finite = np.abs(a[np.isfinite(a)]) if not np.isfinite(a).all() else np.abs(a)
        biggest = finite.max() if finite.size else 0.0
        if biggest > np.finfo(dtype).max:
            raise ValueError(
                f"{what} holds values up to {biggest:.3g}, beyond {dtype}'s range ({float(np.finfo(dtype).max):.3g}); rescale them."
            )
    return a.astype(dtype, copy=False)
