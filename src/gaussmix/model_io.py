"""Model files: a fitted mixture as a zip of ``.npy`` arrays plus a JSON header.

The format never executes code on load: arrays are read with ``allow_pickle=False``,
the header is plain JSON, and every part is validated before a model is built
(see ``docs/model-format.md`` for the specification).

Every file holds these members::

    header.json        format name and version, estimator, library version, shapes, fit summary
    weights.npy        (n_components,)                      float64
    means.npy          (n_components, n_features)           float64
    covariances.npy    shape of the covariance type          float64
    lower_bounds.npy   (n_lower_bounds,)                     float64

and a :class:`~gaussmix.BayesianGaussianMixture` file also its posterior and priors
(``weight_concentration.npy``, ``mean_precision.npy``, ``degrees_of_freedom.npy``,
``mean_prior.npy``, ``covariance_prior.npy``) and, when the user gave them as arrays,
the ``mean_prior``/``covariance_prior`` constructor arguments (``params/*.npy``).

Precisions and their Cholesky factors are recomputed from the covariances on load
(and a Bayesian model's weights from its weight concentration), never read from the
file, so a loaded model is consistent by construction.

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
from .core.missing import NAN_POLICIES
from .core.variational import PRIOR_TYPES, VARIATIONAL_FORMS
from .covariance import canonical_name, get_covariance
from .exceptions import CovarianceError, ModelFileError

__all__ = ["ESTIMATORS", "FORMAT_NAME", "FORMAT_VERSION", "load", "read_header", "save"]

#: The ``format`` field of every header.
FORMAT_NAME = "gaussmix-model"
#: The integer format version this library writes; it reads this and every older version,
#: and refuses newer ones.  Version 2 added the ``estimator`` field and Bayesian mixtures;
#: a version-1 file is a GaussianMixture.
FORMAT_VERSION = 2
#: The estimators a file can hold, by the class name its header gives.
ESTIMATORS = ("GaussianMixture", "BayesianGaussianMixture")
_BAYESIAN = "BayesianGaussianMixture"

#: Bounds against hostile files (zip bombs, absurd shapes).
MAX_HEADER_BYTES = 1 << 20
MAX_ARRAY_BYTES = 1 << 32
MAX_MEMBERS = 16
MAX_COMPONENTS = 1_000_000
MAX_FEATURES = 1_000_000
MAX_LOWER_BOUNDS = 10_000_000

#: arrays of every file
_ARRAYS = ("weights", "means", "covariances", "lower_bounds")
#: arrays of a BayesianGaussianMixture file: the posterior and the resolved priors (the ``*_`` attributes)
_BAYESIAN_ARRAYS = ("weight_concentration", "mean_precision", "degrees_of_freedom", "mean_prior", "covariance_prior")
#: constructor parameters that may be arrays: kept as ``params/<name>.npy``, named so in the header's params
_PARAM_ARRAYS = ("mean_prior", "covariance_prior")
# Slack for an .npy file's own header on top of its data bytes.
_NPY_HEADER_SLACK = 4096

_NONE = type(None)
_REAL = (float, int)  # a JSON number (never a bool, see _is)
# Constructor parameters kept in the header (JSON scalars only); GaussianMixture's *_init
# arrays are not kept: they only matter for the next fit, and a loaded model refits from its own.
_COMMON_PARAMS = {
    "covariance_type": str, "tol": _REAL, "reg_covar": _REAL, "max_iter": int, "n_init": int,
    "init_params": str, "random_state": (int, _NONE), "warm_start": bool, "verbose": int,
    "verbose_interval": int, "chunk_size": (int, _NONE), "n_jobs": (int, _NONE), "device": (str, _NONE),
    "nan_policy": str,
}
_PARAMS = {
    "GaussianMixture": {**_COMMON_PARAMS, "online_decay": _REAL, "online_offset": _REAL},
    _BAYESIAN: {
        **_COMMON_PARAMS, "weight_concentration_prior_type": str,
        "weight_concentration_prior": (*_REAL, _NONE), "mean_precision_prior": (*_REAL, _NONE),
        "degrees_of_freedom_prior": (*_REAL, _NONE),
        "mean_prior": (str, _NONE), "covariance_prior": (*_REAL, str, _NONE),  # str: "params/<name>.npy"
    },
}
# Parameters that become None when their value cannot be written (e.g. a RandomState instance).
_DROPPED_TO_NONE = ("random_state", "chunk_size", "n_jobs", "device")
_HEADER_TYPES = {
    "format": str, "format_version": int, "gaussmix_version": str, "covariance_type": str,
    "n_components": int, "n_features": int, "dtype": str, "feature_names": (list, _NONE),
    "converged": bool, "n_iter": int, "lower_bound": (*_REAL, _NONE), "params": dict,
}
#: fields a version-2 header adds, and those of each estimator
_V2_TYPES = {"estimator": str}
_ESTIMATOR_TYPES = {
    "GaussianMixture": {},
    _BAYESIAN: {"weight_concentration_prior_type": str, "priors": dict},
}
#: a Bayesian header's ``priors``: the resolved scalar priors (attributes of the same names)
_SCALAR_PRIORS = ("weight_concentration_prior_", "mean_precision_prior_", "degrees_of_freedom_prior_")


def _is(value, kind) -> bool:
    """``isinstance`` for JSON values, where ``True`` is not an integer."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


# ---------------------------------------------------------------------------- save
def save(model, path, *, overwrite: bool = False) -> Path:
    """Write a fitted mixture to ``path`` (a zip of ``.npy`` arrays and a JSON header).

    The write is atomic: the file is assembled under a temporary name in the same
    folder and renamed into place, so ``path`` is either the complete new file or
    untouched (also when the disk fills up or the process is interrupted).

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted :class:`gaussmix.GaussianMixture` or :class:`gaussmix.BayesianGaussianMixture`
        (scikit-learn's classes of the same names are accepted too; they load as gaussmix's).
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
    ModelFileError
        If the model holds values a file may not (the checks of :func:`load`).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from gaussmix import BayesianGaussianMixture, GaussianMixture, save
    >>> X = np.random.RandomState(0).normal(size=(50, 2))
    >>> gm = GaussianMixture(2, random_state=0).fit(X)
    >>> save(gm, os.path.join(tempfile.mkdtemp(), "m.gmm")).name
    'm.gmm'
    >>> bgm = BayesianGaussianMixture(n_components=3, random_state=0).fit(X)
    >>> save(bgm, os.path.join(tempfile.mkdtemp(), "b.gmm")).name
    'b.gmm'
    """
    check_is_fitted(model, ("weights_", "means_", "covariances_"))
    path = check_new(os.fspath(path), overwrite)
    source = "the model to save"
    header, arrays = _to_parts(model)
    header = _check_header(header, source)  # never write a file load would refuse
    _validate(header, arrays, source)

    tmp = new_temp(path)
    try:
        with open(tmp, "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("header.json", json.dumps(header, indent=2, allow_nan=False))
                for name in _array_names(header):
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


def _estimator_name(model) -> str:
    """The class name the header gives: gaussmix's or scikit-learn's class (or a subclass)."""
    for klass in type(model).__mro__:
        if klass.__name__ in ESTIMATORS:
            return klass.__name__
    # anything else with the fitted attributes (duck typing, as before version 2)
    return _BAYESIAN if hasattr(model, "weight_concentration_") else "GaussianMixture"


def _float64(value) -> np.ndarray:
    return np.asarray(_xp.to_numpy(value), dtype=np.float64, order="C")  # 0-d stays 0-d


def _to_parts(model) -> tuple[dict, dict]:
    """The header and arrays of a fitted model."""
    from . import __version__

    estimator = _estimator_name(model)
    bayesian = estimator == _BAYESIAN
    arrays = {
        "weights": _float64(model.weights_),
        "means": _float64(model.means_),
        "covariances": _float64(model.covariances_),
        "lower_bounds": np.asarray(getattr(model, "lower_bounds_", []), dtype=np.float64).reshape(-1),
    }
    k, d = arrays["means"].shape
    names = getattr(model, "feature_names_in_", None)
    lower_bound = _scalar(getattr(model, "lower_bound_", float("nan")))
    lower_bound = float("nan") if lower_bound is None else lower_bound
    given = model.get_params()
    params = {}
    for name, kind in _PARAMS[estimator].items():
        value = given.get(name)
        if isinstance(value, np.generic):
            value = value.item()
        if name == "device" and value is not None:
            value = str(value)
        if name in _PARAM_ARRAYS and value is not None and not _is(value, _REAL):
            arrays[f"params/{name}"] = _param_array(value, name, model.covariance_type)
            params[name] = f"params/{name}.npy"
        elif _is(value, kind):
            params[name] = value
        elif name in _DROPPED_TO_NONE:
            params[name] = None  # e.g. a RandomState instance: not representable, dropped
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "estimator": estimator,
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
    if bayesian:
        header["weight_concentration_prior_type"] = str(model.weight_concentration_prior_type)
        header["priors"] = {name: _scalar(getattr(model, name)) for name in _SCALAR_PRIORS}
        concentration = model.weight_concentration_
        if isinstance(concentration, (tuple, list)):  # the Beta parameters of the sticks
            concentration = np.stack([_float64(c) for c in concentration])
        arrays["weight_concentration"] = _float64(concentration)
        for name in ("mean_precision", "degrees_of_freedom", "mean_prior", "covariance_prior"):
            arrays[name] = _float64(getattr(model, name + "_"))
    return header, arrays


def _scalar(value):
    """A number for the header: a Python float (None for what is not one; refused by the checks).

    A one-element array counts (scikit-learn's tied Bayesian mixture keeps ``lower_bound_`` as one).
    """
    try:
        return float(np.asarray(_xp.to_numpy(value), dtype=np.float64).item())
    except (TypeError, ValueError):
        return None


def _param_array(value, name: str, covariance_type: str) -> np.ndarray:
    """A ``mean_prior``/``covariance_prior`` the user gave, as float64 in the shape the fit reads."""
    try:
        array = _float64(value)
    except (TypeError, ValueError):
        raise ModelFileError(f"The model to save: its parameter {name} is not an array of numbers.") from None
    if name == "covariance_prior" and canonical_name(covariance_type) in ("full", "tied") and array.ndim < 2:
        array = np.atleast_2d(array)  # as the fit reads a (1,) or () matrix of one feature
    return array


# ---------------------------------------------------------------------------- load
def _classes() -> dict:
    from .bayesian import BayesianGaussianMixture
    from .estimator import GaussianMixture

    return {"GaussianMixture": GaussianMixture, _BAYESIAN: BayesianGaussianMixture}


def load(path, *, estimator_class: type | None = None):
    """Read a model written by :func:`save`, validating every part.

    Parameters
    ----------
    path : str or path-like
    estimator_class : class, optional
        The class the caller expects (``GaussianMixture.load`` and
        ``BayesianGaussianMixture.load`` pass their own): a file holding another
        estimator is refused. Default: whichever estimator the file holds.

    Returns
    -------
    GaussianMixture or BayesianGaussianMixture
        The estimator the file's header names, fitted, with the saved constructor
        parameters; it predicts exactly like the saved model. ``precisions_`` and
        ``precisions_cholesky_`` are recomputed from the covariances (and a Bayesian
        model's ``weights_`` from its ``weight_concentration_``). Attributes are NumPy
        arrays (also for a model fitted on tensors).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFileError
        If the file is not a valid model file: not a zip, a member missing, extra or
        duplicated, a newer format version, an unknown estimator, an array that is not
        float64 or has the wrong shape, non-finite values, weights that are negative or do
        not sum to one, covariances that are not symmetric positive definite, a Bayesian
        posterior or prior out of its range, sizes beyond the bounds (zip bombs), or a
        pickled object; or if it holds another estimator than ``estimator_class``. The
        message names the problem.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import gaussmix
    >>> X = np.random.RandomState(0).normal(size=(50, 2))
    >>> gm = gaussmix.GaussianMixture(2, random_state=0).fit(X)
    >>> path = gaussmix.save(gm, os.path.join(tempfile.mkdtemp(), "m.gmm"))
    >>> gaussmix.load(path).means_.shape
    (2, 2)
    >>> bgm = gaussmix.BayesianGaussianMixture(n_components=3, random_state=0).fit(X)
    >>> loaded = gaussmix.load(gaussmix.save(bgm, os.path.join(tempfile.mkdtemp(), "b.gmm")))
    >>> type(loaded).__name__, bool((loaded.predict_proba(X) == bgm.predict_proba(X)).all())
    ('BayesianGaussianMixture', True)
    """
    header, arrays, fitted = _read(path)
    estimator = header["estimator"]
    cls = _classes()[estimator]
    if estimator_class is not None and not issubclass(estimator_class, cls):
        raise ModelFileError(
            f"{_describe(path)} holds a {estimator}, not a {estimator_class.__name__}; read it with "
            f"gaussmix.load or {estimator}.load."
        )
    kwargs = dict(header["params"])
    for name in _PARAM_ARRAYS:
        if isinstance(kwargs.get(name), str):
            kwargs[name] = arrays[f"params/{name}"]
    kwargs["covariance_type"] = header["covariance_type"]  # the arrays' type rules
    if estimator == _BAYESIAN:
        kwargs["weight_concentration_prior_type"] = header["weight_concentration_prior_type"]
    model = cls(n_components=header["n_components"], **kwargs)
    if estimator == _BAYESIAN:
        for name in _SCALAR_PRIORS:
            setattr(model, name, float(header["priors"][name]))
        model.mean_prior_ = arrays["mean_prior"]
        prior = arrays["covariance_prior"]
        model.covariance_prior_ = float(prior) if prior.ndim == 0 else prior
    model._set_state(fitted)
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
        ``format``, ``format_version``, ``estimator`` (``'GaussianMixture'`` for a
        version-1 file, whose header has no such field), ``gaussmix_version``,
        ``covariance_type``, ``n_components``, ``n_features``, ``dtype``,
        ``feature_names``, ``converged``, ``n_iter``, ``lower_bound``, ``params``; for a
        Bayesian model also ``weight_concentration_prior_type`` and ``priors``.

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
    >>> h["format"], h["estimator"], h["n_components"], h["covariance_type"]
    ('gaussmix-model', 'GaussianMixture', 2, 'full')
    """
    return _read(path)[0]


def _describe(path) -> str:
    return f"Model file {os.fspath(path)!r}"


def _read(path) -> tuple[dict, dict, object]:
    """The validated header, arrays and fitted state (``MixtureParams`` or ``VariationalState``) of a file."""
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
            if len(infos) > MAX_MEMBERS or len(set(names)) != len(names) or "header.json" not in names:
                _refuse_members(source, names, {"header.json", *(f"{n}.npy" for n in _ARRAYS)})
            for info in infos:
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise ModelFileError(
                        f"{source}: member {info.filename} uses compression method {info.compress_type}; "
                        "model files are stored or deflated."
                    )
            by_name = {info.filename: info for info in infos}
            header = _check_header(_read_header_member(zf, by_name["header.json"], source), source)
            expected = {"header.json", *(f"{name}.npy" for name in _array_names(header))}
            if set(names) != expected:
                _refuse_members(source, names, expected)
            arrays = {}
            for name in _array_names(header):
                arrays[name] = _read_array(zf, by_name[f"{name}.npy"], name, _expected_shape(name, header), source)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            RuntimeError) as exc:
        # RuntimeError: an encrypted member; OSError/EOF: truncated; BadZipFile: CRC mismatch;
        # zlib.error: corrupt compressed data
        raise ModelFileError(f"{source} is corrupt or truncated ({type(exc).__name__}: {exc}).") from None
    return header, arrays, _validate(header, arrays, source)


def _refuse_members(source: str, names: list[str], expected: set[str]):
    missing = sorted(expected - set(names))
    extra = sorted(set(names) - expected)
    dup = sorted({n for n in names if names.count(n) > 1})
    detail = "; ".join(p for p in (
        f"missing {missing}" if missing else "", f"unexpected {extra[:5]}" if extra else "",
        f"duplicated {dup}" if dup else "", f"{len(names)} entries" if len(names) > MAX_MEMBERS else "") if p)
    raise ModelFileError(f"{source} does not hold exactly the model members ({detail}).")


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


def _check_fields(header: dict, types: dict, source: str, where: str = "header field") -> None:
    for field, kind in types.items():
        if field not in header:
            raise ModelFileError(f"{source}: header.json lacks the field {field!r}.")
        if not _is(header[field], kind):
            raise ModelFileError(f"{source}: {where} {field!r} has the wrong type ({type(header[field]).__name__}).")


def _check_header(header: dict, source: str) -> dict:
    """Field presence and types, format, version and estimator, shape bounds, parameters and priors.

    Returns the header, with ``estimator`` added for a version-1 file (always a GaussianMixture).
    """
    if header.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{source}: format is {header.get('format')!r}, expected {FORMAT_NAME!r}.")
    version = header.get("format_version")
    if not _is(version, int) or version < 1:
        raise ModelFileError(f"{source}: format_version must be a positive integer, got {version!r}.")
    if version > FORMAT_VERSION:
        from . import __version__

        raise ModelFileError(
            f"{source} has format version {version}, newer than the version {FORMAT_VERSION} this gaussmix "
            f"({__version__}) reads; upgrade gaussmix (it was written by gaussmix "
            f"{header.get('gaussmix_version', '?')})."
        )
    types = dict(_HEADER_TYPES)
    estimator = "GaussianMixture"  # the only estimator of version 1
    if version >= 2:
        _check_fields(header, _V2_TYPES, source)
        estimator = header["estimator"]
        if estimator not in ESTIMATORS:
            raise ModelFileError(f"{source}: unknown estimator {estimator!r}; this gaussmix reads "
                                 f"{' and '.join(ESTIMATORS)} (a newer gaussmix may read it).")
        types.update(_V2_TYPES)
        types.update(_ESTIMATOR_TYPES[estimator])
    _check_fields(header, types, source)
    unknown = sorted(set(header) - set(types))
    if unknown:
        raise ModelFileError(f"{source}: header.json has unknown fields {unknown[:5]}.")
    header = {**header, "estimator": estimator}
    try:
        form = canonical_name(header["covariance_type"])
    except ValueError:
        raise ModelFileError(f"{source}: unknown covariance_type {header['covariance_type']!r}.") from None
    if header["dtype"] != "float64":
        raise ModelFileError(f"{source}: dtype is {header['dtype']!r}; model arrays are stored as float64.")
    k, d = header["n_components"], header["n_features"]
    if not (1 <= k <= MAX_COMPONENTS and 1 <= d <= MAX_FEATURES):
        raise ModelFileError(f"{source}: n_components={k} and n_features={d} are out of range.")
    if header["n_iter"] < 0 or header["n_iter"] > MAX_LOWER_BOUNDS:
        raise ModelFileError(f"{source}: n_iter={header['n_iter']} is out of range.")
    names = header["feature_names"]
    if names is not None and (len(names) != d or not all(isinstance(n, str) for n in names)):
        raise ModelFileError(f"{source}: feature_names must be {d} strings.")
    lb = header["lower_bound"]
    if lb is not None and not math.isfinite(lb):  # a model to save; JSON constants are refused earlier
        raise ModelFileError(f"{source}: lower_bound is not finite.")
    if estimator == _BAYESIAN:
        _check_bayesian_header(header, form, source)
    _check_params(header, form, source)
    for name in _array_names(header):
        if name != "lower_bounds" and float(np.prod(_expected_shape(name, header), dtype=np.float64)) * 8 > \
                MAX_ARRAY_BYTES:
            raise ModelFileError(f"{source}: {name} of n_components={k}, n_features={d} exceed the size bound.")
    return header


def _check_bayesian_header(header: dict, form: str, source: str) -> None:
    """The covariance form, prior type and resolved scalar priors of a Bayesian model."""
    if form not in VARIATIONAL_FORMS:
        raise ModelFileError(f"{source}: a BayesianGaussianMixture has covariance_type 'full', 'tied', 'diag' or "
                             f"'spherical', not {header['covariance_type']!r}.")
    if header["weight_concentration_prior_type"] not in PRIOR_TYPES:
        raise ModelFileError(f"{source}: unknown weight_concentration_prior_type "
                             f"{header['weight_concentration_prior_type']!r}.")
    priors = header["priors"]
    _check_fields(priors, dict.fromkeys(_SCALAR_PRIORS, _REAL), source, where="prior")
    unknown = sorted(set(priors) - set(_SCALAR_PRIORS))
    if unknown:
        raise ModelFileError(f"{source}: priors has unknown fields {unknown[:5]}.")
    d = header["n_features"]
    for name, low in (("weight_concentration_prior_", 0.0), ("mean_precision_prior_", 0.0),
                      ("degrees_of_freedom_prior_", d - 1.0)):
        _check_above(priors[name], low, name, source)


def _check_above(value, low: float, name: str, source: str) -> None:
    if not (math.isfinite(value) and value > low):
        bound = "positive" if low == 0 else f"greater than n_features - 1 = {low:g}"
        raise ModelFileError(f"{source}: {name} must be finite and {bound}, got {value!r}.")


def _check_params(header: dict, form: str, source: str) -> None:
    """The constructor parameters: known names of the estimator, JSON types, agreement with the header."""
    estimator, params, d = header["estimator"], header["params"], header["n_features"]
    kinds = _PARAMS[estimator]
    for name, value in params.items():
        kind = kinds.get(name)
        if kind is None:
            raise ModelFileError(f"{source}: unknown constructor parameter {name!r} in the header.")
        if not _is(value, kind):
            raise ModelFileError(f"{source}: parameter {name!r} has the wrong type ({type(value).__name__}).")
        if name in _PARAM_ARRAYS and isinstance(value, str) and value != f"params/{name}.npy":
            raise ModelFileError(f"{source}: parameter {name!r} must be a number, null or 'params/{name}.npy', "
                                 f"got {value!r}.")
    if params.get("nan_policy", "raise") not in NAN_POLICIES:
        raise ModelFileError(f"{source}: parameter 'nan_policy' must be one of {NAN_POLICIES}, got "
                             f"{params['nan_policy']!r}.")
    for name in ("covariance_type", "weight_concentration_prior_type"):
        if name in params and params[name] != header[name]:
            raise ModelFileError(f"{source}: params.{name} disagrees with {name}.")
    if estimator == _BAYESIAN:
        for name, low in (("weight_concentration_prior", 0.0), ("mean_precision_prior", 0.0),
                          ("degrees_of_freedom_prior", d - 1.0), ("covariance_prior", 0.0)):
            if _is(params.get(name), _REAL):
                _check_above(params[name], low, f"parameter {name}", source)


def _array_names(header: dict) -> tuple[str, ...]:
    """The arrays (members without ``.npy``) of a file with this (checked) header."""
    names = _ARRAYS + (_BAYESIAN_ARRAYS if header["estimator"] == _BAYESIAN else ())
    given = tuple(f"params/{name}" for name in _PARAM_ARRAYS if isinstance(header["params"].get(name), str))
    return names + given


def _expected_shape(name: str, header: dict) -> tuple[int, ...]:
    k, d = header["n_components"], header["n_features"]
    name = name.removeprefix("params/")  # a prior given as an array has the shape of the one the fit uses
    if name == "weights":
        return (k,)
    if name == "means":
        return (k, d)
    if name == "covariances":
        return tuple(get_covariance(header["covariance_type"]).shape(k, d))
    if name == "lower_bounds":
        return (min(header["n_iter"], MAX_LOWER_BOUNDS),)  # at most one per iteration
    form = canonical_name(header["covariance_type"])
    if name == "weight_concentration":  # the sticks' two Beta parameters, or the Dirichlet's
        return (2, k) if header["weight_concentration_prior_type"] == "dirichlet_process" else (k,)
    if name == "mean_precision":
        return (k,)
    if name == "degrees_of_freedom":
        return () if form == "tied" else (k,)
    if name == "mean_prior":
        return (d,)
    return {"full": (d, d), "tied": (d, d), "diag": (d,), "spherical": ()}[form]  # covariance_prior


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
    return (f"{source}: {name} has shape {got}, which does not fit the estimator, covariance type, number of "
            f"components and features of the header: it needs {expected}.")


def _validate(header: dict, arrays: dict, source: str):
    """Dtypes, shapes, finiteness, weights on the simplex, covariances symmetric positive
    definite (and a Bayesian model's posterior and priors in range); returns the fitted
    state: the parameters (precisions factorised from the covariances), or a Bayesian
    model's ``VariationalState``."""
    for name in _array_names(header):
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
        params = MixtureParams.from_covariances(header["covariance_type"], weights, arrays["means"], cov)
    except CovarianceError as exc:
        raise ModelFileError(f"{source}: covariances are not positive definite ({exc}).") from None
    except ValueError as exc:  # not of the form (e.g. off-diagonal entries in an axis-aligned mclust form)
        raise ModelFileError(f"{source}: {exc}") from None
    if header["estimator"] == _BAYESIAN:
        return _validate_bayesian(header, arrays, params, source)
    return params


def _validate_bayesian(header: dict, arrays: dict, params: MixtureParams, source: str):
    """The posterior (positive concentrations and mean precisions, degrees of freedom above
    ``d - 1``), the priors (a valid ``covariance_prior``), and weights that are the
    posterior's; returns the ``VariationalState`` the model predicts with."""
    from .bayesian import _check_covariance_prior
    from .core.variational import Priors, variational_parameters

    d = header["n_features"]
    form = canonical_name(header["covariance_type"])
    for name in ("weight_concentration", "mean_precision"):
        if (arrays[name] <= 0).any():
            raise ModelFileError(f"{source}: {name} must be positive, got {arrays[name].min()!r}.")
    dof = arrays["degrees_of_freedom"]
    if (dof <= d - 1).any():
        raise ModelFileError(f"{source}: degrees_of_freedom must be greater than n_features - 1 = {d - 1}, got "
                             f"{dof.min()!r}.")
    for name in ("covariance_prior", "params/covariance_prior"):
        if name in arrays:
            value = arrays[name]
            try:
                _check_covariance_prior(float(value) if value.ndim == 0 else value, form, d)
            except ValueError as exc:
                raise ModelFileError(f"{source}: {name} is not a valid prior for covariance_type={form!r} "
                                     f"({exc})") from None
    prior_type = header["weight_concentration_prior_type"]
    concentration = arrays["weight_concentration"]
    if prior_type == "dirichlet_process":
        concentration = (concentration[0].copy(), concentration[1].copy())
    scalars = header["priors"]
    covariance_prior = arrays["covariance_prior"]
    priors = Priors(prior_type, float(scalars["weight_concentration_prior_"]), float(scalars["mean_precision_prior_"]),
                    arrays["mean_prior"], float(scalars["degrees_of_freedom_prior_"]),
                    float(covariance_prior) if covariance_prior.ndim == 0 else covariance_prior)
    state = variational_parameters(header["covariance_type"], concentration, arrays["mean_precision"], params.means,
                                   float(dof) if dof.ndim == 0 else dof, params.covariances, priors,
                                   precisions_cholesky=params.precisions_cholesky)
    gap = float(np.max(np.abs(state.params.weights - arrays["weights"])))
    if not gap <= 1e-8:
        raise ModelFileError(f"{source}: weights are not the posterior's (they differ from those of "
                             f"weight_concentration by {gap:.3g}).")
    return state
