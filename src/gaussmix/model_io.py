"""Model files: a fitted mixture as a zip of ``.npy`` arrays plus a JSON header.

The format never executes code on load: arrays are read with ``allow_pickle=False``,
the header is plain JSON, and every part is validated before a model is built
(see ``docs/model-format.md`` for the specification).

A file holds exactly these members::

    header.json        format name and version, library version, shapes, fit summary
    weights.npy        (n_components,)                      float64
    means.npy          (n_components, n_features)           float64
    covariances.npy    shape of the covariance type          float64
    lower_bounds.npy   (n_lower_bounds,)                     float64

Precisions and their Cholesky factors are recomputed from the covariances on load,
never read from the file, so a loaded model is consistent by construction.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> import gaussmix
>>> X = np.random.RandomState(0).normal(size=(200, 2))
>>> gm = gaussmix.GaussianMixture(2, random_state=0).fit(X)
>>> path = os.path.join(tempfile.mkdtemp(), "model.gmm")
>>> _ = gaussmix.save(gm, path)
>>> loaded = gaussmix.load(path)
>>> bool((loaded.predict_proba(X) == gm.predict_proba(X)).all())
True
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import _xp
from ._files import check_new, move_into_place, new_temp, read_npy_header
from .core import MixtureParams
from .covariance import get_covariance
from .exceptions import CovarianceError, ModelFileError

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "load", "read_header", "save"]

#: The ``format`` field of every header.
FORMAT_NAME = "gaussmix-model"
#: The integer format version this library writes; files of a newer version are refused.
FORMAT_VERSION = 1

#: Bounds against hostile files (zip bombs, absurd shapes).
MAX_HEADER_BYTES = 1 << 20
MAX_ARRAY_BYTES = 1 << 32
MAX_MEMBERS = 16
MAX_COMPONENTS = 1_000_000
MAX_FEATURES = 1_000_000
MAX_LOWER_BOUNDS = 10_000_000

_ARRAYS = ("weights", "means", "covariances", "lower_bounds")
_MEMBERS = frozenset(["header.json", *(f"{name}.npy" for name in _ARRAYS)])
# Slack for an .npy file's own header on top of its data bytes.
_NPY_HEADER_SLACK = 4096

# Constructor parameters kept in the header (JSON scalars only); the *_init arrays are
# not kept: they only matter for the next fit, and a loaded model refits from its own.
_PARAMS = {
    "covariance_type": str, "tol": float, "reg_covar": float, "max_iter": int, "n_init": int,
    "init_params": str, "random_state": (int, type(None)), "warm_start": bool, "verbose": int,
    "verbose_interval": int, "chunk_size": (int, type(None)), "n_jobs": (int, type(None)),
    "online_decay": float, "online_offset": float, "device": (str, type(None)),
}
_HEADER_TYPES = {
    "format": str, "format_version": int, "gaussmix_version": str, "covariance_type": str,
    "n_components": int, "n_features": int, "dtype": str, "feature_names": (list, type(None)),
    "converged": bool, "n_iter": int, "lower_bound": (float, int, type(None)), "params": dict,
}


# ---------------------------------------------------------------------------- save
def save(model, path, *, overwrite: bool = False) -> Path:
    """Write a fitted mixture to ``path`` (a zip of ``.npy`` arrays and a JSON header).

    The write is atomic: the file is assembled under a temporary name in the same
    folder and renamed into place, so ``path`` is either the complete new file or
    untouched (also when the disk fills up or the process is interrupted).

    Parameters
    ----------
    model : GaussianMixture
        A fitted :class:`gaussmix.GaussianMixture` (scikit-learn's
        ``sklearn.mixture.GaussianMixture`` is accepted too; it loads as gaussmix's).
        Tensor attributes (a fit on PyTorch input) are stored as NumPy arrays.
    path : str or path-like
        Destination; ``.gmm`` is the conventional extension.
    overwrite : bool, default=False
        Replace an existing file. Without it an existing ``path`` raises ``FileExistsError``.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the model is not fitted.
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    IsADirectoryError
        If ``path`` is a folder.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from gaussmix import GaussianMixture, save
    >>> gm = GaussianMixture(2, random_state=0).fit(np.random.RandomState(0).normal(size=(50, 2)))
    >>> save(gm, os.path.join(tempfile.mkdtemp(), "m.gmm")).name
    'm.gmm'
    """
    check_is_fitted(model, ("weights_", "means_", "covariances_"))
    path = check_new(os.fspath(path), overwrite)
    header, arrays = _to_parts(model)
    _validate(header, arrays, source="the model to save")  # never write a file load would refuse

    tmp = new_temp(path)
    try:
        with open(tmp, "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("header.json", json.dumps(header, indent=2, allow_nan=False))
                for name in _ARRAYS:
                    buffer = io.BytesIO()
                    np.save(buffer, arrays[name], allow_pickle=False)
                    zf.writestr(f"{name}.npy", buffer.getvalue())
            fh.flush()
            os.fsync(fh.fileno())
        move_into_place(tmp, path, overwrite)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _to_parts(model) -> tuple[dict, dict]:
    """The header and arrays of a fitted model."""
    from . import __version__

    arrays = {
        "weights": _xp.to_numpy(model.weights_),
        "means": _xp.to_numpy(model.means_),
        "covariances": _xp.to_numpy(model.covariances_),
        "lower_bounds": np.asarray(getattr(model, "lower_bounds_", []), dtype=np.float64).reshape(-1),
    }
    arrays = {name: np.ascontiguousarray(a, dtype=np.float64) for name, a in arrays.items()}
    k, d = arrays["means"].shape
    names = getattr(model, "feature_names_in_", None)
    lower_bound = float(getattr(model, "lower_bound_", float("nan")))
    params = {}
    for name, kind in _PARAMS.items():
        value = model.get_params().get(name)
        if isinstance(value, np.generic):
            value = value.item()
        if name == "device" and value is not None:
            value = str(value)
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            params[name] = value
        elif name in ("random_state", "chunk_size", "n_jobs", "device"):
            params[name] = None  # e.g. a RandomState instance: not representable, dropped
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "gaussmix_version": __version__,
        "covariance_type": str(model.covariance_type),
        "n_components": int(k),
        "n_features": int(d),
        "dtype": "float64",
        "feature_names": None if names is None else [str(n) for n in names],
        "converged": bool(getattr(model, "converged_", False)),
        "n_iter": int(getattr(model, "n_iter_", 0)),
        "lower_bound": lower_bound if math.isfinite(lower_bound) else None,
        "params": params,
    }
    return header, arrays


# ---------------------------------------------------------------------------- load
def load(path):
    """Read a model written by :func:`save`, validating every part.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    GaussianMixture
        Fitted, with the saved constructor parameters; it predicts exactly like the saved
        model. ``precisions_`` and ``precisions_cholesky_`` are recomputed from the
        covariances. Attributes are NumPy arrays (also for a model fitted on tensors).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFileError
        If the file is not a valid model file: not a zip, a member missing, extra or
        duplicated, a newer format version, an array that is not float64 or has the
        wrong shape, non-finite values, weights that are negative or do not sum to one,
        covariances that are not symmetric positive definite, sizes beyond the bounds
        (zip bombs), or a pickled object. The message names the problem.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import gaussmix
    >>> gm = gaussmix.GaussianMixture(2, random_state=0).fit(np.random.RandomState(0).normal(size=(50, 2)))
    >>> path = gaussmix.save(gm, os.path.join(tempfile.mkdtemp(), "m.gmm"))
    >>> gaussmix.load(path).means_.shape
    (2, 2)
    """
    from .estimator import GaussianMixture

    header, arrays, params = _read(path)
    kwargs = {**header["params"], "covariance_type": header["covariance_type"]}  # the arrays' type rules
    model = GaussianMixture(n_components=header["n_components"], **kwargs)
    model._set_params(params)
    model.converged_ = header["converged"]
    model.n_iter_ = header["n_iter"]
    model.lower_bound_ = -np.inf if header["lower_bound"] is None else float(header["lower_bound"])
    model.lower_bounds_ = arrays["lower_bounds"].tolist()
    model.n_features_in_ = header["n_features"]
    if header["feature_names"] is not None:
        model.feature_names_in_ = np.asarray(header["feature_names"], dtype=object)
    return model


def read_header(path) -> dict:
    """The validated JSON header of a model file (the arrays are validated too).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    dict
        ``format``, ``format_version``, ``gaussmix_version``, ``covariance_type``,
        ``n_components``, ``n_features``, ``dtype``, ``feature_names``, ``converged``,
        ``n_iter``, ``lower_bound``, ``params``.

    Raises
    ------
    FileNotFoundError, ModelFileError
        As :func:`load`.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import gaussmix
    >>> gm = gaussmix.GaussianMixture(2, random_state=0).fit(np.random.RandomState(0).normal(size=(50, 2)))
    >>> path = gaussmix.save(gm, os.path.join(tempfile.mkdtemp(), "m.gmm"))
    >>> h = gaussmix.model_io.read_header(path)
    >>> h["format"], h["n_components"], h["covariance_type"]
    ('gaussmix-model', 2, 'full')
    """
    return _read(path)[0]


def _describe(path) -> str:
    return f"Model file {os.fspath(path)!r}"


def _read(path) -> tuple[dict, dict, MixtureParams]:
    """The validated header, arrays and parameters of a model file."""
    path = Path(os.fspath(path))
    source = _describe(path)
    if not path.exists():
        raise FileNotFoundError(f"{source} does not exist.")
    if path.is_dir():
        raise ModelFileError(f"{source} is a folder, not a model file.")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{source} is not a gaussmix model (not a zip archive); is it the right file?")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = [info.filename for info in infos]
            if len(infos) > MAX_MEMBERS or len(set(names)) != len(names) or set(names) != _MEMBERS:
                missing = sorted(_MEMBERS - set(names))
                extra = sorted(set(names) - _MEMBERS)
                dup = sorted({n for n in names if names.count(n) > 1})
                detail = "; ".join(p for p in (
                    f"missing {missing}" if missing else "", f"unexpected {extra[:5]}" if extra else "",
                    f"duplicated {dup}" if dup else "") if p)
                raise ModelFileError(f"{source} does not hold exactly the model members ({detail}).")
            by_name = {info.filename: info for info in infos}
            for info in infos:
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise ModelFileError(
                        f"{source}: member {info.filename} uses compression method {info.compress_type}; "
                        "model files are stored or deflated."
                    )
            header = _read_header_member(zf, by_name["header.json"], source)
            _check_header(header, source)
            arrays = {}
            for name in _ARRAYS:
                arrays[name] = _read_array(zf, by_name[f"{name}.npy"], name, _expected_shape(name, header), source)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            RuntimeError) as exc:
        # RuntimeError: an encrypted member; OSError/EOF: truncated; BadZipFile: CRC mismatch;
        # zlib.error: corrupt compressed data
        raise ModelFileError(f"{source} is corrupt or truncated ({type(exc).__name__}: {exc}).") from None
    return header, arrays, _validate(header, arrays, source)


def _read_header_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> dict:
    if info.file_size > MAX_HEADER_BYTES:
        raise ModelFileError(f"{source}: header.json declares {info.file_size} bytes (limit {MAX_HEADER_BYTES}).")
    with zf.open(info) as fh:
        raw = fh.read(MAX_HEADER_BYTES + 1)
    if len(raw) > MAX_HEADER_BYTES:
        raise ModelFileError(f"{source}: header.json is larger than {MAX_HEADER_BYTES} bytes.")
    try:
        header = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise ModelFileError(f"{source}: header.json is not valid JSON ({exc}).") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{source}: header.json must hold a JSON object, not {type(header).__name__}.")
    return header


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in a model header")


def _check_header(header: dict, source: str) -> None:
    """Field presence and types, format and version, shape bounds."""
    if header.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{source}: format is {header.get('format')!r}, expected {FORMAT_NAME!r}.")
    version = header.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{source}: format_version must be a positive integer, got {version!r}.")
    if version > FORMAT_VERSION:
        from . import __version__

        raise ModelFileError(
            f"{source} has format version {version}, newer than the version {FORMAT_VERSION} this gaussmix "
            f"({__version__}) reads; upgrade gaussmix (it was written by gaussmix "
            f"{header.get('gaussmix_version', '?')})."
        )
    for field, kind in _HEADER_TYPES.items():
        if field not in header:
            raise ModelFileError(f"{source}: header.json lacks the field {field!r}.")
        value = header[field]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ModelFileError(f"{source}: header field {field!r} has the wrong type ({type(value).__name__}).")
    unknown = sorted(set(header) - set(_HEADER_TYPES))
    if unknown:
        raise ModelFileError(f"{source}: header.json has unknown fields {unknown[:5]}.")
    try:
        get_covariance(header["covariance_type"])
    except ValueError:
        raise ModelFileError(f"{source}: unknown covariance_type {header['covariance_type']!r}.") from None
    if header["dtype"] != "float64":
        raise ModelFileError(f"{source}: dtype is {header['dtype']!r}; model arrays are stored as float64.")
    k, d = header["n_components"], header["n_features"]
    if not (1 <= k <= MAX_COMPONENTS and 1 <= d <= MAX_FEATURES):
        raise ModelFileError(f"{source}: n_components={k} and n_features={d} are out of range.")
    if header["n_iter"] < 0 or header["n_iter"] > MAX_LOWER_BOUNDS:
        raise ModelFileError(f"{source}: n_iter={header['n_iter']} is out of range.")
    for name in ("covariances", "means"):
        if int(np.prod(_expected_shape(name, header), dtype=np.float64)) * 8 > MAX_ARRAY_BYTES:
            raise ModelFileError(f"{source}: {name} of n_components={k}, n_features={d} exceed the size bound.")
    names = header["feature_names"]
    if names is not None and (len(names) != d or not all(isinstance(n, str) for n in names)):
        raise ModelFileError(f"{source}: feature_names must be {d} strings.")
    lb = header["lower_bound"]
    if lb is not None and not math.isfinite(lb):  # pragma: no cover - JSON constants are refused earlier
        raise ModelFileError(f"{source}: lower_bound is not finite.")
    params = header["params"]
    for name, value in params.items():
        kind = _PARAMS.get(name)
        if kind is None:
            raise ModelFileError(f"{source}: unknown constructor parameter {name!r} in the header.")
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ModelFileError(f"{source}: parameter {name!r} has the wrong type ({type(value).__name__}).")
    if params.get("covariance_type", header["covariance_type"]) != header["covariance_type"]:
        raise ModelFileError(f"{source}: params.covariance_type disagrees with covariance_type.")


def _expected_shape(name: str, header: dict) -> tuple[int, ...]:
    k, d = header["n_components"], header["n_features"]
    if name == "weights":
        return (k,)
    if name == "means":
        return (k, d)
    if name == "covariances":
        return tuple(get_covariance(header["covariance_type"]).shape(k, d))
    return (min(header["n_iter"], MAX_LOWER_BOUNDS),)  # lower_bounds: at most one per iteration


def _read_array(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, shape: tuple[int, ...],
                source: str) -> np.ndarray:
    """One member as an array, its ``.npy`` header checked before any data is allocated."""
    limit = int(np.prod(shape, dtype=np.int64)) * 8 + _NPY_HEADER_SLACK
    if info.file_size > limit:
        raise ModelFileError(
            f"{source}: {name}.npy declares {info.file_size} bytes, more than its shape allows ({limit}); "
            "refusing it (zip bomb?)."
        )
    with zf.open(info) as fh:
        raw = fh.read(limit + 1)
    if len(raw) > limit:
        raise ModelFileError(f"{source}: {name}.npy is larger than its shape allows; refusing it (zip bomb?).")
    buffer = io.BytesIO(raw)
    try:
        declared, fortran_order, dtype = read_npy_header(buffer)
    except ValueError as exc:
        raise ModelFileError(f"{source}: {name}.npy is not a valid .npy array ({exc}).") from None
    if dtype.hasobject:
        raise ModelFileError(f"{source}: {name}.npy holds Python objects (pickle); refusing it.")
    if dtype != np.dtype("<f8"):
        raise ModelFileError(f"{source}: {name} has dtype {dtype}, expected float64.")
    if not _shape_fits(name, declared, shape):
        raise ModelFileError(_shape_message(source, name, declared, shape))
    try:
        array = np.load(io.BytesIO(raw), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ModelFileError(f"{source}: {name}.npy is not a valid .npy array ({exc}).") from None
    return array


def _shape_fits(name: str, shape: tuple, expected: tuple) -> bool:
    """The exact shape, or for ``lower_bounds`` one dimension of at most ``n_iter`` values."""
    if name == "lower_bounds":
        return len(shape) == 1 and shape[0] <= expected[0]
    return tuple(shape) == tuple(expected)


def _shape_message(source: str, name: str, got: tuple, expected: tuple) -> str:
    if name == "lower_bounds":
        return f"{source}: lower_bounds has shape {got}, expected at most n_iter values."
    return (f"{source}: {name} has shape {got}, which does not fit the covariance type, number of "
            f"components and features of the header: it needs {expected}.")


def _validate(header: dict, arrays: dict, source: str) -> MixtureParams:
    """Dtypes, shapes, finiteness, weights on the simplex, covariances symmetric positive
    definite; returns the parameters (precisions factorised from the covariances)."""
    for name in _ARRAYS:
        a = arrays[name]
        if a.dtype != np.float64:
            raise ModelFileError(f"{source}: {name} has dtype {a.dtype}, expected float64.")
        expected = _expected_shape(name, header)
        if not _shape_fits(name, a.shape, expected):
            raise ModelFileError(_shape_message(source, name, a.shape, expected))
        bad = ~np.isfinite(a)
        if bad.any():
            raise ModelFileError(f"{source}: {name} holds {int(bad.sum())} non-finite values (NaN or inf).")
    weights = arrays["weights"]
    if (weights < 0).any():
        raise ModelFileError(f"{source}: weights must be non-negative, got {weights.min()!r}.")
    if abs(weights.sum() - 1.0) > 1e-8:
        raise ModelFileError(f"{source}: weights sum to {weights.sum()!r}, not 1.")
    cov = arrays["covariances"]
    form = get_covariance(header["covariance_type"])
    d = arrays["means"].shape[1]
    if form.shape(d + 1, d)[-2:] == (d, d):  # matrices (full, tied, mclust's forms)
        mats = cov.reshape(-1, cov.shape[-1], cov.shape[-1])
        for i, m in enumerate(mats):
            scale = np.abs(m).max()
            if np.abs(m - m.T).max() > 1e-10 * scale:
                what = "the tied covariance" if form is get_covariance("tied") else f"covariance {i}"
                raise ModelFileError(f"{source}: {what} is not symmetric.")
    elif (cov <= 0).any():
        raise ModelFileError(f"{source}: variances must be positive, got {cov.min()!r}.")
    try:
        return MixtureParams.from_covariances(header["covariance_type"], weights, arrays["means"], cov)
    except CovarianceError as exc:
        raise ModelFileError(f"{source}: covariances are not positive definite ({exc}).") from None
    except ValueError as exc:  # not of the form (e.g. off-diagonal entries in an axis-aligned mclust form)
        raise ModelFileError(f"{source}: {exc}") from None
