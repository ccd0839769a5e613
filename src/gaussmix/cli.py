"""The ``gaussmix`` command: fit, use, choose and look at Gaussian mixtures from the shell.

Installed as the console script ``gaussmix`` (also ``python -m gaussmix``)::

    gaussmix fit data.csv -k 3 -o model.gmm      # fit and save (prints a summary)
    gaussmix fit data.csv -k 10 --bayesian       # a Bayesian mixture keeps the components it needs
    gaussmix predict model.gmm data.csv -o labels.csv
    gaussmix score model.gmm data.csv            # mean log-likelihood, BIC, AIC
    gaussmix sample model.gmm -n 1000 -o new.csv
    gaussmix select data.csv -k 1..8 -o best.gmm # BIC table, best model saved
    gaussmix plot model.gmm data.csv -o fig.png
    gaussmix inspect model.gmm
    gaussmix demo                                # the textbook example, figures in ./gaussmix-demo

DATA is a ``.csv`` (with a header row), ``.parquet`` (a file or a folder of them) or
``.npy`` file, read chunk by chunk (:func:`gaussmix.from_file`), so it may be larger
than memory.  Outputs are written to a temporary file and renamed into place; an
existing file is never replaced without ``--overwrite``.

Conventions of every subcommand: ``--json`` prints one JSON document on stdout instead
of text; ``--quiet`` silences progress bars and notes; progress bars (tqdm) go to stderr
only when it is a terminal.  Exit status 0 on success; on bad input (missing file,
unknown column, non-numeric data, NaN/inf rows, k larger than the number of rows,
corrupt model file, missing optional dependency) a one-line ``Error: ...`` on stderr
and status 1; usage errors (unknown option, bad option value) give status 2.

Examples
--------
>>> from click.testing import CliRunner
>>> from gaussmix.cli import main
>>> result = CliRunner().invoke(main, ["--version"])
>>> result.exit_code, result.output.split()[0]
(0, 'gaussmix,')
>>> parse_components("1..3,5")
[1, 2, 3, 5]
"""

from __future__ import annotations

import functools
import io
import json
import math
import os
import re
import sys
import warnings
from pathlib import Path

import click
import numpy as np

from . import __version__
from ._files import check_new, move_into_place, new_temp, open_npy
from .core import information_criteria
from .core.missing import NAN_POLICIES, counted_rows, counted_terms
from .core.variational import PRIOR_TYPES
from .covariance import COVARIANCE_NAMES, SKLEARN_NAMES, expand_covariance_types, get_covariance

__all__ = ["main", "parse_components"]

INIT_METHODS = ("kmeans", "k-means++", "random", "random_from_data", "hierarchical")
CRITERIA = ("bic", "aic", "icl")
OUTPUT_SUFFIXES = (".csv", ".npy", ".parquet")

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# ============================================================================ helpers
class _Run:
    """One command's run: output mode, collected warnings, the way results are printed."""

    def __init__(self, as_json: bool, quiet: bool):
        self.as_json = as_json
        self.quiet = quiet
        self.warnings: list[str] = []
        self.caught: list = []  # warnings.WarningMessage records, not yet collected
        self.data = None  # the DATA file, once opened

    def error_message(self, exc: BaseException) -> str:
        """The one line that reports bad input."""
        from .exceptions import InvalidRowsError

        if isinstance(exc, InvalidRowsError) and exc.n_invalid is not None:
            rows = "1 row holds" if exc.n_invalid == 1 else f"{exc.n_invalid:,} rows hold"
            return (f"{self.data}: {rows} NaN, infinity or a missing value (the first is row {exc.first_row}, "
                    "counting data rows from 0); pass --drop-invalid to skip them, or --nan-policy marginalize to "
                    "fit missing values.")
        return _one_line(exc) or type(exc).__name__

    def note(self, message: str) -> None:
        """A note for humans on stderr (not with --quiet)."""
        if not self.quiet:
            click.echo(message, err=True)

    def collect_warnings(self) -> list[str]:
        """The warnings raised so far, once each, as single lines."""
        for w in self.caught:
            message = _one_line(w.message)
            if message not in self.warnings:
                self.warnings.append(message)
        del self.caught[:]
        return self.warnings

    def finish(self, document: dict, text: str | None) -> None:
        """Print the result: ``document`` as JSON with --json, else ``text``."""
        if self.as_json:
            document = dict(document, warnings=list(self.collect_warnings()))
            click.echo(json.dumps(_jsonable(document), allow_nan=False))
        elif text:
            click.echo(text)


def _one_line(message) -> str:
    return " ".join(str(message).split())


def _jsonable(value):
    """Plain JSON values: arrays to lists, non-finite floats to None, paths to str."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    return value


#: bad input: the library's ValueError, TypeError, OSError, ImportError and their
#: subclasses (ModelFileError, InvalidRowsError, FileNotFoundError, ...).  Anything else
#: is a bug and keeps its traceback.
BAD_INPUT = (ValueError, TypeError, OSError, ImportError)


def _stdout_gone() -> None:
    """After a broken pipe (``gaussmix predict ... | head``): no more writes to stdout."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _command(fn):
    """Common frame of every subcommand: --json/--quiet, warnings, bad input -> one line."""

    @click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout instead of text.")
    @click.option("-q", "--quiet", is_flag=True, help="No progress bars or notes on stderr.")
    @functools.wraps(fn)
    def wrapper(*args, as_json: bool, quiet: bool, **kwargs):
        run = _Run(as_json, quiet)
        with warnings.catch_warnings(record=True) as run.caught:
            warnings.simplefilter("always")
            try:
                fn(run, *args, **kwargs)
            except BrokenPipeError:
                _stdout_gone()
                raise SystemExit(1) from None
            except BAD_INPUT as exc:
                raise click.ClickException(run.error_message(exc)) from None
            finally:
                for message in run.collect_warnings():
                    click.echo(f"Warning: {message}", err=True)

    return wrapper


def _stderr_isatty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Progress:
    """A tqdm bar on stderr following a source's passes (one pass per EM iteration).

    Shown only when stderr is a terminal and not --quiet; hooked to the source's
    ``progress`` callback, so the library itself prints nothing.
    """

    def __init__(self, source, label: str, run: _Run):
        self.source = source
        self.label = label
        self.bar = None
        self.total = getattr(source, "_n_samples", None)
        self.last = None
        if not run.quiet and _stderr_isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, desc=label, unit="rows", unit_scale=True, file=sys.stderr,
                            leave=False, dynamic_ncols=True, mininterval=0.2)

    def __call__(self, rows: int, pass_index: int) -> None:
        if rows == 0:
            if self.last is not None:
                self.total = self.last
            self.bar.reset(total=self.total)
            self.bar.set_description(f"{self.label}: pass {pass_index + 1}")
        else:
            self.bar.update(rows - self.bar.n)
            self.last = rows

    def __enter__(self):
        if self.bar is not None:
            self.source.progress = self
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.source.progress = None
            self.bar.close()
        return False


def _require(module: str, extra: str, what: str) -> None:
    """Import ``module`` or fail with the pip command that installs it."""
    try:
        __import__(module)
    except ImportError:
        raise ImportError(f'{what} needs {module}: pip install "gaussmix[{extra}]"') from None


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise click.BadParameter(f"expected a comma-separated list, got {text!r}.")
    return items


def parse_components(text: str) -> list[int]:
    """Numbers of components: ``"3"``, ``"2,4,6"``, ``"1..10"`` (inclusive) or a mix.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of int
        Distinct values, in the order given.

    Examples
    --------
    >>> parse_components("1..4"), parse_components("2,4,6"), parse_components("3")
    ([1, 2, 3, 4], [2, 4, 6], [3])
    """
    values: list[int] = []
    for item in str(text).split(","):
        item = item.strip()
        match = re.fullmatch(r"(\d+)\s*\.\.\s*(\d+)", item)
        if match:
            lo, hi = int(match.group(1)), int(match.group(2))
            if lo > hi:
                raise ValueError(f"the range {item!r} is empty (write low..high).")
            values.extend(range(lo, hi + 1))
        elif re.fullmatch(r"\d+", item):
            values.append(int(item))
        else:
            raise ValueError(f"cannot read {item!r}: write a number (3), a list (2,4,6) or a range (1..10).")
    if any(v < 1 for v in values):
        raise ValueError("numbers of components must be at least 1.")
    return list(dict.fromkeys(values))


def _components_option(ctx, param, value):
    try:
        return parse_components(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _em_options(fn=None, *, selection: bool = False):
    """The EM loop's options, shared by ``fit`` and ``select`` (whose defaults are select()'s)."""
    if fn is None:
        return functools.partial(_em_options, selection=selection)
    fn = click.option("--reg-covar", type=click.FloatRange(min=0), default=1e-6, show_default=True,
                      help="Added to the diagonal of every covariance.")(fn)
    tol_help = "Stop when the mean log-likelihood changes by less."
    fn = click.option("--tol", type=click.FloatRange(min=0), default=None if selection else 1e-3,
                      show_default=not selection,
                      help=tol_help + ("  [default: 1e-3 / n_samples, at most 1e-3]" if selection else ""))(fn)
    return click.option("--max-iter", type=click.IntRange(min=0), default=300 if selection else 100,
                        show_default=True)(fn)


def _data_options(fn=None, *, model: bool = False):
    """--columns, --weights-column, --drop-invalid, --float32 for a command that reads DATA."""
    if fn is None:
        return functools.partial(_data_options, model=model)
    default = ("Default: the model's features when it has names (it was fitted on CSV or Parquet), else every "
               "column but --weights-column.") if model else "Default: every column but --weights-column."
    fn = click.option("--float32", is_flag=True, help="Process the data in float32 (statistics stay float64).")(fn)
    policy_default = "the model's (as it was fitted)" if model else "raise"
    fn = click.option("--nan-policy", type=click.Choice(NAN_POLICIES), default=None, expose_value=False,
                      callback=_remember_nan_policy,
                      help="What a NaN, an empty CSV cell or a Parquet null is: 'raise' refuses the row, 'omit' "
                           "leaves it out of the fit (its outputs are empty / -1), 'marginalize' treats it as a "
                           "value missing at random (exact EM; outputs use the observed values).  "
                           f"[default: {policy_default}]")(fn)
    fn = click.option("--drop-invalid", is_flag=True,
                      help="Skip rows holding NaN, infinity or a missing value (default: refuse them).")(fn)
    fn = click.option("--weights-column", metavar="NAME", help="A column of per-row sample weights.")(fn)
    fn = click.option("--columns", metavar="A,B,...",
                      help=f"Feature columns: names (CSV, Parquet) or positions from 0 (.npy). {default}")(fn)
    return fn


def _remember_nan_policy(ctx, param, value):
    """--nan-policy is read by :func:`_open_data`, so that no command repeats it."""
    ctx.meta["nan_policy"] = value
    return value


def _open_data(run: _Run, path, columns, weights_column, drop_invalid, float32, model=None):
    """``DATA`` as a file source (:func:`gaussmix.from_file`), serving missing values as --nan-policy
    (or the model's nan_policy) says."""
    from .data import from_file

    path = run.data = Path(path)
    chosen = _split(columns)
    names = getattr(model, "feature_names_in_", None)
    if chosen is None and names is not None and not path.name.lower().endswith(".npy"):
        chosen = [str(n) for n in names]  # the model's features, by name
    source = from_file(path, columns=chosen, weights_column=weights_column,
                       on_invalid="drop" if drop_invalid else "raise", dtype="float32" if float32 else None)
    if model is not None and source.n_features != model.n_features_in_:
        raise ValueError(f"{path} has {source.n_features} feature columns but the model was fitted on "
                         f"{model.n_features_in_}; choose them with --columns.")
    policy = click.get_current_context().meta.get("nan_policy")
    source.nan_policy = policy or (getattr(model, "nan_policy", "raise") if model is not None else "raise")
    return source


def _report_dropped(run: _Run, source) -> int:
    dropped = int(getattr(source, "n_invalid", 0) or 0)
    if dropped:
        run.note(f"Dropped {dropped} row{'s' * (dropped != 1)} holding NaN, infinity or a missing value.")
    return dropped


def _feature_names(source) -> list[str] | None:
    names = getattr(source, "feature_names", None)
    return None if names is None else [str(n) for n in names]


def _name_features(model, source) -> None:
    """Record the file's column names on a model fitted on it (as a fit on a DataFrame does)."""
    names = _feature_names(source)
    if names is not None:
        model.feature_names_in_ = np.asarray(names, dtype=object)


def _params(model):
    """A fitted model's parameters as one value (for the E-step on chunks): the model's own, so a
    Bayesian mixture's carry its variational E-step's log-weights (as its ``predict`` uses them)."""
    return model._params(model.means_.shape[1])


def _is_bayesian(model) -> bool:
    return hasattr(model, "weight_concentration_")


def _load(path):
    from . import load

    return load(Path(path))


def _check_new(path, overwrite: bool) -> Path:
    return check_new(path, overwrite, hint="pass --overwrite")


def _save_model(model, path, overwrite: bool) -> Path:
    from . import save

    return save(model, Path(path), overwrite=overwrite)


def _move_into_place(tmp: Path, path: Path, overwrite: bool) -> None:
    move_into_place(tmp, path, overwrite, hint="pass --overwrite")


# ---------------------------------------------------------------------- row outputs
class _RowWriter:
    """Rows written block by block to .csv, .npy, .parquet or (``path=None``) stdout as CSV.

    ``dtypes`` is one dtype per column (a .npy file takes the first for all); a
    ``vector`` output is one column written as a 1-D .npy array.  Files are written to a
    temporary file next to ``path`` and renamed into place by :meth:`close`;
    :meth:`abort` removes it.
    """

    def __init__(self, path, columns: list[str], dtypes, n_rows: int | None, overwrite: bool,
                 vector: bool = False):
        self.columns = columns
        self.dtypes = [np.dtype(t) for t in dtypes] if isinstance(dtypes, (list, tuple)) \
            else [np.dtype(dtypes)] * len(columns)
        self.path = None if path is None else _check_new(path, overwrite)
        self.overwrite = overwrite
        self.rows = 0
        self.kind = "stdout" if path is None else self.path.suffix.lower()
        if self.kind not in ("stdout", *OUTPUT_SUFFIXES):
            raise ValueError(f"Cannot tell the format of {str(self.path)!r}: the output must end in .csv, .npy "
                             "or .parquet.")
        if self.kind == ".parquet":
            _require("pyarrow", "io", "Writing Parquet")
        self._fmt = ["%d" if t.kind in "iub" else "%s" for t in self.dtypes]
        self.tmp = None
        self._file = None
        self._array = None
        if self.path is not None:
            self.tmp = new_temp(self.path)
        try:
            if self.kind == ".npy":
                shape = (n_rows,) if vector else (n_rows, len(columns))
                self._array = open_npy(self.tmp, self.dtypes[0], shape)
            elif self.kind == ".parquet":
                import pyarrow as pa
                import pyarrow.parquet as pq

                self._schema = pa.schema([(name, pa.from_numpy_dtype(t)) for name, t in zip(columns, self.dtypes)])
                self._file = pq.ParquetWriter(str(self.tmp), self._schema)
            elif self.kind == ".csv":
                self._file = open(self.tmp, "w", encoding="utf-8", newline="")
                self._file.write(",".join(columns) + "\n")
            else:
                click.echo(",".join(columns))
        except BaseException:
            self.abort()
            raise

    def write(self, block: np.ndarray) -> None:
        """Append rows: an array of shape (rows,) or (rows, columns)."""
        block = np.asarray(block)
        table = block.reshape(block.shape[0], -1)
        if self.kind == ".npy":
            self._array[self.rows:self.rows + block.shape[0]] = block
        elif self.kind == ".parquet":
            import pyarrow as pa

            arrays = [pa.array(table[:, j].astype(t, copy=False)) for j, t in enumerate(self.dtypes)]
            self._file.write_table(pa.Table.from_arrays(arrays, schema=self._schema))
        else:
            buffer = io.StringIO()
            np.savetxt(buffer, table, fmt=self._fmt, delimiter=",")
            if self.kind == ".csv":
                self._file.write(buffer.getvalue())
            else:
                click.echo(buffer.getvalue(), nl=False)
        self.rows += block.shape[0]

    def close(self) -> Path | None:
        """Finish the file and rename it into place; returns its path (None for stdout)."""
        if self._array is not None:
            self._array.flush()
            self._array = None
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.tmp is not None:
            _move_into_place(self.tmp, self.path, self.overwrite)
        return self.path

    def abort(self) -> None:
        """Drop the temporary file."""
        self._array = None
        try:
            if self._file is not None:
                self._file.close()
        finally:
            self._file = None
            if self.tmp is not None:
                self.tmp.unlink(missing_ok=True)


def _write_rows(source, fn, writer: _RowWriter | None, n_jobs, on_block=None) -> None:
    """``fn(X_chunk)`` on every chunk of ``source`` (on threads), in row order, to ``writer``;
    ``on_block(result, w_chunk, X_chunk)`` sees every result too."""
    from ._parallel import ordered_map

    def work(chunk):
        return fn(chunk[2]), chunk[3], chunk[2]

    try:
        for result, w, X in ordered_map(work, source.chunks(), n_jobs):
            if writer is not None:
                writer.write(result)
            if on_block is not None:
                on_block(result, w, X)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.close()


def _n_rows_for(path, source) -> int | None:
    """Rows an output needs up front: only a .npy file does (a counting pass for CSV)."""
    if path is not None and Path(path).suffix.lower() == ".npy":
        return source.n_samples
    return None


class _Totals:
    """Weighted log-likelihood sum and total weight, accumulated block by block in float64."""

    def __init__(self, nan_policy: str = "raise"):
        self.loglik = 0.0
        self.n = 0.0
        self.rows = 0
        self.nan_policy = nan_policy

    def __call__(self, log_density, w, X=None):
        log_density = np.asarray(log_density, dtype=np.float64)
        self.rows += log_density.shape[0]
        if X is not None:  # rows omitted, or with nothing observed (--nan-policy): not counted
            log_density, w = counted_terms(self.nan_policy, X, log_density, w)
        if w is None:
            self.loglik += float(log_density.sum())
            self.n += log_density.shape[0]
        else:
            w = np.asarray(w, dtype=np.float64)
            self.loglik += float(w @ log_density)
            self.n += float(w.sum())


def _criteria(params, totals: _Totals, bayesian: bool = False) -> dict:
    """Mean log-likelihood, BIC and AIC (as ``GaussianMixture.bic``/``aic`` define them).

    A Bayesian mixture has no BIC/AIC (as in scikit-learn): they and the parameter count are None.
    """
    p = None if bayesian else params.n_parameters()
    bic, aic = (None, None) if bayesian else information_criteria(totals.loglik, totals.n, p)
    return {
        "n_samples": totals.rows,
        "total_weight": totals.n,
        "log_likelihood": totals.loglik,
        "mean_log_likelihood": totals.loglik / totals.n,
        "n_parameters": p,
        "bic": bic,
        "aic": aic,
    }


def _keep_scored(densities: list, weights: list, block, w, X, nan_policy: str) -> None:
    """Collect a block's log-densities (and weights) for a quantile, leaving out the rows that take
    no part in a fit (omitted, or with nothing observed)."""
    block = np.asarray(block, dtype=np.float64)
    w = None if w is None else np.asarray(w, dtype=np.float64)
    counted = counted_rows(nan_policy, X, block)
    if counted is not None:
        block, w = block[counted], None if w is None else w[counted]
    densities.append(block)
    weights.append(w)


def _score_pass(source, model, writer=None, n_jobs=None) -> dict:
    """One pass: per-row log-densities (to ``writer``) and the criteria."""
    from .core import EStep

    params = _params(model)
    totals = _Totals(getattr(source, "nan_policy", "raise"))
    _write_rows(source, EStep.for_data(params, source).score_samples, writer, n_jobs, totals)
    return _criteria(params, totals, _is_bayesian(model))


def _criteria_line(scores: dict) -> str:
    if scores["bic"] is None:
        return "  BIC/AIC: not defined for a Bayesian mixture (its lower bound is its criterion)"
    return (f"  BIC: {_fmt(scores['bic'], 2)}   AIC: {_fmt(scores['aic'], 2)}   "
            f"({scores['n_parameters']} free parameters; lower is better)")


# ------------------------------------------------------------------------ formatting
def _fmt(value, digits: int = 4) -> str:
    """``value`` with ``digits`` decimals (scientific notation when very large or small)."""
    value = float(value)
    if value != 0 and math.isfinite(value) and not 1e-3 <= abs(value) < 1e9:
        return f"{value:.{digits}e}"
    return f"{value:.{digits}f}"


def _row_table(rows: list[list[str]], header: list[str], indent: str = "  ") -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [indent + "  ".join(str(h).rjust(w) for h, w in zip(header, widths)).rstrip()]
    for r in rows:
        lines.append(indent + "  ".join(str(c).rjust(w) for c, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def _component_table(model, max_features: int = 8) -> str:
    names = getattr(model, "feature_names_in_", None)
    d = model.means_.shape[1]
    names = [str(n) for n in names] if names is not None else [f"x{j}" for j in range(d)]
    shown = list(range(min(d, max_features)))
    header = ["component", "weight"] + [f"mean[{names[j]}]" for j in shown] + (["..."] if d > len(shown) else [])
    rows = []
    for i in range(model.means_.shape[0]):
        rows.append([str(i), _fmt(model.weights_[i])] + [_fmt(model.means_[i, j]) for j in shown]
                    + (["..."] if d > len(shown) else []))
    return _row_table(rows, header)


def _model_document(model) -> dict:
    names = getattr(model, "feature_names_in_", None)
    document = {
        "estimator": type(model).__name__,
        "n_components": int(model.means_.shape[0]),
        "n_features": int(model.means_.shape[1]),
        "covariance_type": model.covariance_type,
        "feature_names": None if names is None else [str(n) for n in names],
        "converged": bool(model.converged_),
        "n_iter": int(model.n_iter_),
        "lower_bound": float(model.lower_bound_),
        "weights": model.weights_,
        "means": model.means_,
        "covariances": model.covariances_,
    }
    if _is_bayesian(model):
        document["n_effective_components"] = model.n_effective_components_
        document["weight_concentration_prior_type"] = model.weight_concentration_prior_type
        document["priors"] = {name: getattr(model, name) for name in _PRIOR_ATTRIBUTES}
    return document


#: a fitted Bayesian mixture's resolved priors
_PRIOR_ATTRIBUTES = ("weight_concentration_prior_", "mean_precision_prior_", "mean_prior_",
                     "degrees_of_freedom_prior_", "covariance_prior_")


def _effective_line(model) -> str:
    return f"  effective components: {model.n_effective_components_} of {model.means_.shape[0]} (weight >= 1%)"


def _priors_lines(model) -> list[str]:
    """A Bayesian mixture's prior type and resolved priors, for humans."""
    with np.printoptions(precision=4, suppress=True):
        mean = np.array2string(np.asarray(model.mean_prior_), separator=", ")
        cov = np.asarray(model.covariance_prior_)
        cov_text = (_fmt(float(cov)) if cov.ndim == 0 else np.array2string(cov, separator=", ") if cov.ndim == 1
                    else "\n" + _indent(np.array2string(cov), "    "))
    return [
        f"  weight prior: {model.weight_concentration_prior_type}, "
        f"weight_concentration_prior_={model.weight_concentration_prior_:.6g}",
        f"  mean prior: mean_precision_prior_={model.mean_precision_prior_:.6g}, mean_prior_={mean}",
        f"  covariance prior: degrees_of_freedom_prior_={model.degrees_of_freedom_prior_:.6g}, "
        f"covariance_prior_={cov_text}",
    ]


# ============================================================================ commands
@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="gaussmix")
def main():
    """Gaussian mixture models fitted by exact EM, from the shell.

    DATA is a .csv (header row), .parquet (file or folder) or .npy file, read in chunks.
    Models are saved as .gmm files (a zip of .npy arrays and a JSON header; never
    pickle). Existing files are not replaced without --overwrite. Every command takes
    --json (one JSON document on stdout) and --quiet (no progress on stderr).

    \b
    Start with:  gaussmix demo
    Then:        gaussmix fit data.csv -k 3 -o model.gmm
                 gaussmix predict model.gmm data.csv -o labels.csv
    """


_FIT_EPILOG = """\b
Examples:
  gaussmix fit data.csv -k 3 -o model.gmm
  gaussmix fit rows.npy -k 5 --covariance-type diag --n-init 10 --seed 0 -o model.gmm
  gaussmix fit data.parquet -k 3 --columns a,b --weights-column w --json
  gaussmix fit data.csv -k 10 --bayesian --n-init 10 --seed 42 -o bayes.gmm
  gaussmix fit data.csv -k 10 --bayesian --weight-concentration-prior 0.01
"""

#: the options that only a Bayesian fit takes (click's parameter name -> option)
_PRIOR_OPTIONS = {
    "weight_concentration_prior_type": "--weight-concentration-prior-type",
    "weight_concentration_prior": "--weight-concentration-prior",
    "mean_precision_prior": "--mean-precision-prior",
    "degrees_of_freedom_prior": "--degrees-of-freedom-prior",
}
_POSITIVE = click.FloatRange(min=0, min_open=True)


@main.command("fit", epilog=_FIT_EPILOG,
              short_help="Fit a mixture to DATA; print a summary, save the model.")
@click.argument("data", type=click.Path(path_type=Path))
@click.option("-k", "--n-components", type=click.IntRange(min=1), required=True, help="Number of components.")
@click.option("--covariance-type", type=click.Choice(COVARIANCE_NAMES), default="full", show_default=True,
              help="scikit-learn's full, tied, diag, spherical or one of mclust's fourteen forms (EII ... VVV; "
                   "VVV=full, EEE=tied, VVI=diag, VII=spherical).")
@click.option("--n-init", type=click.IntRange(min=1), default=1, show_default=True,
              help="Initializations; the best is kept.")
@click.option("--init", "init_params", type=click.Choice(INIT_METHODS), default="kmeans", show_default=True,
              help="How initializations start.")
@_em_options
@click.option("--seed", type=int, default=None, help="random_state: the same seed gives the same model.")
@click.option("--bayesian", is_flag=True,
              help="Fit a BayesianGaussianMixture: -k is the most components it may use; those the data do not "
                   "need get weights of about zero. Only full, tied, diag, spherical (VVV, EEE, VVI, VII).")
@click.option("--weight-concentration-prior-type", type=click.Choice(PRIOR_TYPES),
              default=None, help="With --bayesian: the prior on the weights.  [default: dirichlet_process]")
@click.option("--weight-concentration-prior", type=_POSITIVE, default=None,
              help="With --bayesian: small values empty the unneeded components, large ones spread the weight.  "
                   "[default: 1 / K]")
@click.option("--mean-precision-prior", type=_POSITIVE, default=None,
              help="With --bayesian: how strongly the means are pulled to the data's mean.  [default: 1]")
@click.option("--degrees-of-freedom-prior", type=_POSITIVE, default=None,
              help="With --bayesian: the Wishart's degrees of freedom, > n_features - 1.  [default: n_features]  "
                   "(mean_prior and covariance_prior are the data's mean and covariance; set them in Python.)")
@_data_options
@click.option("--n-jobs", type=int, default=None, help="Threads (default: all CPUs).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Save the model here (e.g. model.gmm).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@_command
def fit_command(run, data, n_components, covariance_type, n_init, init_params, max_iter, tol, reg_covar, seed,
                bayesian, columns, weights_column, drop_invalid, float32, n_jobs, output, overwrite, **priors):
    """Fit a mixture to DATA and print a summary (converged, iterations,
    log-likelihood, BIC/AIC, weights, means); -o saves the model.

    The model equals GaussianMixture(n_components=K, covariance_type=..., n_init=...,
    random_state=SEED, ...).fit(rows) in Python; with --bayesian,
    BayesianGaussianMixture(n_components=K, ..., weight_concentration_prior=...,
    ...).fit(rows), and the summary gives the effective number of components (weight
    >= 1%) instead of BIC/AIC.
    """
    from . import BayesianGaussianMixture, GaussianMixture

    given = {name: value for name, value in priors.items() if value is not None}
    if given and not bayesian:
        options = ", ".join(_PRIOR_OPTIONS[name] for name in given)
        raise click.UsageError(f"{options} {'needs' if len(given) == 1 else 'need'} --bayesian (the priors of a "
                               "BayesianGaussianMixture).")
    if output is not None:
        _check_new(output, overwrite)  # before the work, not after
    source = _open_data(run, data, columns, weights_column, drop_invalid, float32)
    common = dict(n_components=n_components, covariance_type=covariance_type, tol=tol, reg_covar=reg_covar,
                  max_iter=max_iter, n_init=n_init, init_params=init_params, random_state=seed, n_jobs=n_jobs)
    common["nan_policy"] = source.nan_policy
    model = BayesianGaussianMixture(**common, **given) if bayesian else GaussianMixture(**common)
    with _Progress(source, "fit", run):
        model.fit(source)
        scores = _score_pass(source, model, n_jobs=n_jobs)
    _name_features(model, source)
    dropped = _report_dropped(run, source)
    saved = None if output is None else _save_model(model, output, overwrite)
    settings = {"n_init": n_init, "init_params": init_params, "max_iter": max_iter, "tol": tol,
                "reg_covar": reg_covar, "random_state": seed}
    if bayesian:
        settings.update({name: getattr(model, name) for name in _PRIOR_OPTIONS})
    settings["nan_policy"] = model.nan_policy
    document = {"data": str(data), "model_file": saved, "dropped_rows": dropped, "params": settings,
                "incomplete_rows": model.n_incomplete_, "omitted_rows": model.n_omitted_,
                **_model_document(model), **scores}
    what = (f"a Bayesian mixture of at most {n_components} components ({covariance_type}, "
            f"{model.weight_concentration_prior_type} prior)" if bayesian
            else f"{n_components} components ({covariance_type})")
    text = [
        f"Fitted {what} to {scores['n_samples']:,} rows x {source.n_features} features of {data}"
        + (f" ({dropped:,} invalid rows dropped)" if dropped else ""),
        *([_effective_line(model)] if bayesian else []),
        *([f"  missing values: {model.n_incomplete_:,} rows hold some (--nan-policy {model.nan_policy}; "
           f"{model.n_omitted_:,} rows left out of the fit)"] if model.n_incomplete_ else []),
        f"  converged: {'yes' if model.converged_ else 'NO'} after {model.n_iter_} iterations"
        + (f" (best of {n_init} initializations)" if n_init > 1 else ""),
        f"  lower bound: {_fmt(model.lower_bound_, 6)} "
        + ("(evidence lower bound, up to constants)" if bayesian
           else "(mean log-likelihood before the last M-step)"),
        f"  log-likelihood: {_fmt(scores['log_likelihood'], 2)} (mean {_fmt(scores['mean_log_likelihood'], 6)} "
        "per row)",
        _criteria_line(scores),
        *(_priors_lines(model) if bayesian else []),
        _component_table(model),
    ]
    if saved is not None:
        text.append(f"Saved the model to {saved}")
    run.finish(document, "\n".join(text))


_PREDICT_EPILOG = """\b
Examples:
  gaussmix predict model.gmm data.csv -o labels.csv
  gaussmix predict model.gmm data.parquet --proba -o proba.parquet
  gaussmix predict model.gmm rows.npy | head
"""


@main.command("predict", epilog=_PREDICT_EPILOG,
              short_help="Component labels (or probabilities) of every row of DATA.")
@click.argument("model_file", metavar="MODEL", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--proba", is_flag=True, help="Write each component's probability instead of labels.")
@click.option("--outliers", "contamination", type=click.FloatRange(0.0, 0.5, min_open=True), default=None,
              metavar="FRACTION",
              help="Write +1 (inlier) / -1 (outlier) instead of labels: the outliers are the rows of DATA whose "
                   "density is below its FRACTION quantile (0.04: below the 4th percentile), as "
                   "gaussmix.MixtureOutlierDetector(contamination=FRACTION) flags them. Two passes; keeps one "
                   "float per row.")
@_data_options(model=True)
@click.option("--n-jobs", type=int, default=None, help="Threads (default: all CPUs).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write to this .csv, .npy or .parquet file, chunk by chunk (default: CSV on stdout).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@_command
def predict_command(run, model_file, data, proba, contamination, columns, weights_column, drop_invalid, float32,
                    n_jobs, output, overwrite):
    """Most probable component of every row of DATA (or, with --proba, every
    component's probability; with --outliers, +1 / -1 for inliers and outliers),
    written in row order.

    Columns: label (ints), proba_0, proba_1, ..., or outlier (+1/-1). With --drop-invalid
    the output has one row per kept row.
    """
    from .core import EStep
    from .outliers import density_threshold

    if proba and contamination is not None:
        raise click.UsageError("--proba and --outliers exclude each other: choose one output.")
    model = _load(model_file)
    source = _open_data(run, data, columns, weights_column, drop_invalid, float32, model)
    k = model.means_.shape[0]
    estep = EStep.for_data(_params(model), source)
    threshold = None
    if contamination is not None:
        densities, weights = [], []
        with _Progress(source, "densities", run):
            _write_rows(source, estep.score_samples, None, n_jobs,
                        lambda block, w, X: _keep_scored(densities, weights, block, w, X, source.nan_policy))
        all_weights = None if any(w is None for w in weights) else np.concatenate(weights)
        threshold = density_threshold(np.concatenate(densities), contamination, all_weights)

        def flag(X):
            log_density = np.asarray(estep.score_samples(X))
            # 0: a row left out under --nan-policy omit (no density to compare)
            return np.where(np.isnan(log_density), 0, np.where(log_density < threshold, -1, 1)).astype(np.int64)

        fn, names, dtype = flag, ["outlier"], np.int64
        k = 2  # counts of -1 and +1
    elif proba:
        fn, names, dtype = estep.responsibilities, [f"proba_{i}" for i in range(k)], source.dtype
    else:
        fn, names, dtype = estep.predict, ["label"], np.int64
    to_stdout = output is None and not run.as_json
    counts = np.zeros(k)
    kept: list[np.ndarray] = []

    def tally(block, w, X):
        if proba:
            counts[:] += np.asarray(block, dtype=np.float64).sum(axis=0)
        elif threshold is not None:
            counts[:] += [np.sum(block == -1), np.sum(block == 1)]
        else:
            counts[:] += np.bincount(block[block >= 0], minlength=k)  # -1: a row omitted (--nan-policy omit)
        if output is None and run.as_json:
            kept.append(block)

    with _Progress(source, "predict", run):
        writer = None
        if output is not None or to_stdout:
            writer = _RowWriter(output, names, dtype, _n_rows_for(output, source), overwrite, vector=not proba)
        _write_rows(source, fn, writer, n_jobs, tally)
    dropped = _report_dropped(run, source)
    n = int(source.n_samples)
    document = {"model_file": model_file, "data": data, "output": output, "n_samples": n, "dropped_rows": dropped,
                ("expected_counts" if proba else "counts"): counts if proba else counts.astype(np.int64)}
    if threshold is not None:
        document.pop("counts")
        document.update(contamination=contamination, offset=threshold, n_outliers=int(counts[0]),
                        n_inliers=int(counts[1]))
    if output is None and run.as_json:
        result = np.concatenate(kept) if kept else np.empty((0,) if not proba else (0, k))
        document["probabilities" if proba else "outliers" if threshold is not None else "labels"] = result
    if output is None:
        run.finish(document, None)  # the rows went to stdout
        return
    if threshold is not None:
        run.finish(document, f"Wrote {n:,} outlier flags to {output}: {int(counts[0]):,} outliers (-1), "
                             f"{int(counts[1]):,} inliers (+1); log-density threshold {threshold:.6g}")
        return
    what = f"{n:,} x {k} probabilities" if proba else f"{n:,} labels"
    per = ", ".join(f"{i}: {_fmt(c, 1) if proba else int(c)}" for i, c in enumerate(counts))
    run.finish(document, f"Wrote {what} to {output}; rows per component: {per}")


_SCORE_EPILOG = """\b
Examples:
  gaussmix score model.gmm data.csv
  gaussmix score model.gmm data.csv -o log_density.npy --json
"""


@main.command("score", epilog=_SCORE_EPILOG,
              short_help="Mean log-likelihood, BIC and AIC of DATA; per-row log-density.")
@click.argument("model_file", metavar="MODEL", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@_data_options(model=True)
@click.option("--n-jobs", type=int, default=None, help="Threads (default: all CPUs).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write each row's log-density (column log_density) to this .csv, .npy or .parquet file.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@_command
def score_command(run, model_file, data, columns, weights_column, drop_invalid, float32, n_jobs, output, overwrite):
    """How well MODEL explains DATA: mean log-likelihood, BIC and AIC (one pass),
    and with -o the log-density of every row.

    With --weights-column the log-likelihood is weighted and n is the total weight, as
    GaussianMixture.score/bic/aic(X, sample_weight) compute them.
    """
    model = _load(model_file)
    source = _open_data(run, data, columns, weights_column, drop_invalid, float32, model)
    with _Progress(source, "score", run):
        writer = None
        if output is not None:
            writer = _RowWriter(output, ["log_density"], source.dtype, _n_rows_for(output, source), overwrite,
                                vector=True)
        scores = _score_pass(source, model, writer, n_jobs)
    dropped = _report_dropped(run, source)
    document = {"model_file": model_file, "data": data, "output": output, "dropped_rows": dropped, **scores}
    text = [
        f"{scores['n_samples']:,} rows of {data} under {model_file}"
        + (f" ({dropped:,} invalid rows dropped)" if dropped else ""),
        f"  mean log-likelihood: {_fmt(scores['mean_log_likelihood'], 6)}",
        f"  log-likelihood: {_fmt(scores['log_likelihood'], 2)}",
        _criteria_line(scores),
    ]
    if output is not None:
        text.append(f"Wrote the log-density of each row to {output}")
    run.finish(document, "\n".join(text))


_SAMPLE_EPILOG = """\b
Examples:
  gaussmix sample model.gmm -n 1000 --seed 0 -o new.csv
  gaussmix sample model.gmm -n 5
"""


@main.command("sample", epilog=_SAMPLE_EPILOG,
              short_help="Draw rows from a model.")
@click.argument("model_file", metavar="MODEL", type=click.Path(path_type=Path))
@click.option("-n", "--n-samples", type=click.IntRange(min=1), required=True, help="Rows to draw.")
@click.option("--seed", type=int, default=None, help="random_state of the draw.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write to this .csv, .npy or .parquet file (default: CSV on stdout).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@_command
def sample_command(run, model_file, n_samples, seed, output, overwrite):
    """Draw rows from MODEL (a generative model).

    Columns: the model's feature names (or x0, x1, ...) and component, the component
    that drew the row; rows come grouped by component, as GaussianMixture.sample gives
    them. A .npy output holds the features only.
    """
    model = _load(model_file)
    model.set_params(random_state=seed)
    X, y = model.sample(n_samples)
    names = getattr(model, "feature_names_in_", None)
    names = [str(n) for n in names] if names is not None else [f"x{j}" for j in range(X.shape[1])]
    counts = np.bincount(y, minlength=model.means_.shape[0])
    document = {"model_file": model_file, "output": output, "n_samples": n_samples, "seed": seed, "counts": counts}
    if output is None and run.as_json:
        run.finish(dict(document, feature_names=names, X=X, component=y), None)
        return
    if output is not None and output.suffix.lower() == ".npy":
        writer, block = _RowWriter(output, names, np.float64, n_samples, overwrite), X
    else:
        writer = _RowWriter(output, [*names, "component"], [np.float64] * len(names) + [np.int64], n_samples,
                            overwrite)
        block = np.column_stack([X, y])
    try:
        writer.write(block)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    if output is not None:
        run.finish(document, f"Wrote {n_samples:,} rows to {output}; rows per component: "
                   + ", ".join(f"{i}: {int(c)}" for i, c in enumerate(counts)))


_SELECT_EPILOG = """\b
Examples:
  gaussmix select data.csv -k 1..8 -o best.gmm
  gaussmix select data.csv -k 2,4,6 --covariance-types full,diag --criterion icl --n-init 5 --seed 0
"""


@main.command("select", epilog=_SELECT_EPILOG,
              short_help="Choose k and the covariance type by BIC/AIC/ICL; save the best.")
@click.argument("data", type=click.Path(path_type=Path))
@click.option("-k", "--n-components", "ks", default="1..9", show_default=True, callback=_components_option,
              help="Candidate numbers of components: 3, 2,4,6 or 1..10.")
@click.option("--covariance-types", default=",".join(SKLEARN_NAMES), show_default=True,
              help="Candidate covariance types, comma-separated; 'mclust' stands for mclust's fourteen forms "
                   "(EII ... VVV), 'sklearn' for full,tied,diag,spherical.")
@click.option("--criterion", type=click.Choice(CRITERIA), default="bic", show_default=True,
              help="What ranks the candidates (lower is better).")
@click.option("--n-init", type=click.IntRange(min=1), default=3, show_default=True,
              help="Initializations per candidate.")
@click.option("--init", "init_params", type=click.Choice(INIT_METHODS), default="hierarchical", show_default=True)
@_em_options(selection=True)
@click.option("--seed", type=int, default=None, help="random_state of every candidate.")
@_data_options
@click.option("--n-jobs", type=int, default=None, help="Threads (default: all CPUs).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Save the best model here.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@_command
def select_command(run, data, ks, covariance_types, criterion, n_init, init_params, max_iter, tol, reg_covar, seed,
                   columns, weights_column, drop_invalid, float32, n_jobs, output, overwrite):
    """Fit every number of components x covariance type on DATA, print the table
    ranked by a criterion and save the best model (-o).

    All candidates advance together, one pass over DATA per EM iteration
    (gaussmix.select). Each candidate equals GaussianMixture(k, covariance_type=...,
    n_init=..., init_params=..., tol=..., max_iter=..., random_state=SEED).fit(rows) with
    this command's settings; its defaults are select's (hierarchical start, 3 starts,
    tol = 1e-3 / n_samples), made for finding the best model fully converged.
    """
    from .selection import select as select_models

    types = expand_covariance_types(_split(covariance_types))
    unknown = [t for t in types if t not in COVARIANCE_NAMES]
    if unknown:
        raise click.BadParameter(f"unknown covariance type(s) {unknown}; choose among {list(COVARIANCE_NAMES)}, "
                                 "'sklearn' or 'mclust'.", param_hint="'--covariance-types'")
    if output is not None:
        _check_new(output, overwrite)
    source = _open_data(run, data, columns, weights_column, drop_invalid, float32)
    with _Progress(source, "select", run):
        given_tol = {} if tol is None else {"tol": tol}
        result = select_models(source, ks, types, criterion=criterion, n_init=n_init, random_state=seed,
                               reg_covar=reg_covar, max_iter=max_iter, init_params=init_params, n_jobs=n_jobs,
                               nan_policy=source.nan_policy, **given_tol)
    dropped = _report_dropped(run, source)
    best = result.best_model
    _name_features(best, source)
    saved = None if output is None else _save_model(best, output, overwrite)
    ranked = [result[key] for key in result.ranking]
    rows = []
    for rank, c in enumerate(ranked, 1):
        rows.append([str(rank), str(c.n_components), c.covariance_type, _fmt(c.log_likelihood, 2),
                     str(c.n_parameters), _fmt(c.bic, 2), _fmt(c.aic, 2), _fmt(c.icl, 2),
                     "yes" if c.converged else "no", str(c.n_iter), c.error or ""])
    table = _row_table(rows, ["rank", "k", "covariance", "log-lik", "params", "BIC", "AIC", "ICL", "converged",
                              "n_iter", "error"])
    b = result.best
    text = [f"{len(result)} candidates on {source.n_samples:,} rows x {source.n_features} features of {data}, "
            f"ranked by {criterion.upper()} (lower is better):", table,
            f"Best: {b.n_components} components, {b.covariance_type} ({criterion.upper()} "
            f"{_fmt(b.criterion(criterion), 2)})"]
    if saved is not None:
        text.append(f"Saved the best model to {saved}")
    candidates = [{name: getattr(c, name) for name in ("n_components", "covariance_type", "log_likelihood",
                                                         "n_parameters", "bic", "aic", "icl", "converged", "n_iter",
                                                         "lower_bound", "error")} for c in ranked]
    document = {"data": data, "criterion": criterion, "n_samples": source.n_samples, "dropped_rows": dropped,
                "best": {"n_components": b.n_components, "covariance_type": b.covariance_type,
                         criterion: b.criterion(criterion)},
                "model_file": saved, "candidates": candidates, "n_passes": result.n_passes}
    run.finish(document, "\n".join(text))


_PLOT_EPILOG = """\b
Examples:
  gaussmix plot model.gmm data.csv -o mixture.png
  gaussmix plot model.gmm -o density.pdf
  gaussmix plot model.gmm data.parquet --features a,c -o ac.png
"""


@main.command("plot", epilog=_PLOT_EPILOG,
              short_help="Draw a model (and rows of DATA) to a figure file.")
@click.argument("model_file", metavar="MODEL", type=click.Path(path_type=Path))
@click.argument("data", required=False, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The figure file (.png, .pdf, .svg, ...).")
@click.option("--features", metavar="I,J",
              help="Two features to draw (names or positions); default: the two features, or a pair grid.")
@click.option("--max-points", type=click.IntRange(min=0), default=5000, show_default=True,
              help="Draw at most this many rows of DATA (a uniform sample).")
@click.option("--dpi", type=click.IntRange(min=10), default=100, show_default=True)
@_data_options(model=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@_command
def plot_command(run, model_file, data, output, features, max_points, dpi, columns, weights_column, drop_invalid,
                 float32, overwrite):
    """Draw MODEL (and rows of DATA): with two features the mixture with density
    contours, decision boundaries and covariance ellipses; otherwise a grid of every
    pair of features with exact marginals (at most 8; choose two with --features).
    """
    _require("matplotlib", "plot", "The plot command")
    from matplotlib.figure import Figure

    from .plotting import plot_mixture, plot_pairs

    output = _check_new(output, overwrite)
    model = _load(model_file)
    X = None
    if data is not None:
        source = _open_data(run, data, columns, weights_column, drop_invalid, float32, model)
        with _Progress(source, "read", run):
            X = source.init_sample(np.random.RandomState(0), max_points).X
        _report_dropped(run, source)
    d = model.means_.shape[1]
    chosen = None if features is None else _feature_positions(model, _split(features))
    title = f"{model.means_.shape[0]} components, {model.covariance_type}"
    if _is_bayesian(model):
        title = f"Bayesian: {model.n_effective_components_} of {model.means_.shape[0]} components effective, " \
                f"{model.covariance_type}"
    if chosen is not None and len(chosen) == 2 or chosen is None and d == 2:
        fig = Figure(figsize=(6.5, 5.5))
        ax = fig.subplots()
        plot_mixture(model, X, ax=ax, features=chosen or (0, 1))
        ax.set_title(title)
        kind = "mixture"
    else:
        chosen = chosen or list(range(d))
        if len(chosen) > 8:
            raise ValueError(f"The model has {len(chosen)} features; choose at most 8 with --features.")
        m = len(chosen)
        fig = Figure(figsize=(max(4.0, 2.6 * m), max(3.5, 2.6 * m)))
        axes = fig.subplots(m, m, squeeze=False)
        plot_pairs(model, X, axes=axes, features=chosen)
        fig.suptitle(title)
        kind = "pairs"
    fig.tight_layout()
    tmp = new_temp(output)
    try:
        fig.savefig(tmp, format=output.suffix.lstrip(".").lower() or "png", dpi=dpi)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _move_into_place(tmp, output, overwrite)
    n_points = 0 if X is None else X.shape[0]
    run.finish({"model_file": model_file, "data": data, "output": output, "kind": kind, "features": chosen,
                "n_points": n_points}, f"Wrote {output}" + (f" ({n_points:,} rows drawn)" if X is not None else ""))


def _feature_positions(model, items: list[str]) -> list[int]:
    names = getattr(model, "feature_names_in_", None)
    names = [str(n) for n in names] if names is not None else []
    d = model.means_.shape[1]
    positions = []
    for item in items:
        if item in names:
            positions.append(names.index(item))
        elif re.fullmatch(r"\d+", item) and int(item) < d:
            positions.append(int(item))
        else:
            raise ValueError(f"Unknown feature {item!r}: the model's features are "
                             f"{names or list(range(d))}.")
    return positions


_INSPECT_EPILOG = """\b
Examples:
  gaussmix inspect model.gmm
  gaussmix inspect model.gmm --json
"""


@main.command("inspect", epilog=_INSPECT_EPILOG, short_help="Show a model file's header and parameters.")
@click.argument("model_file", metavar="MODEL", type=click.Path(path_type=Path))
@_command
def inspect_command(run, model_file):
    """Show a model file: its header (format, versions, estimator, type, sizes, feature
    names, convergence, constructor parameters) and its parameters; for a Bayesian
    mixture also its prior type, priors and effective components (weight >= 1%)."""
    from .model_io import read_header

    header = read_header(Path(model_file))
    model = _load(model_file)
    document = {"model_file": model_file, "header": header, **_model_document(model)}
    params = header.get("params") or {}
    bayesian = _is_bayesian(model)
    lines = [
        f"{model_file}: {header.get('format')} v{header.get('format_version')}, written by gaussmix "
        f"{header.get('gaussmix_version')}",
        f"  {header['estimator']}: {header['n_components']} components, "
        f"covariance_type={header['covariance_type']!r}, "
        f"{header['n_features']} features" + (f": {', '.join(header['feature_names'])}"
                                              if header.get("feature_names") else ""),
        *([_effective_line(model), *_priors_lines(model)] if bayesian else []),
        f"  converged: {'yes' if header.get('converged') else 'no'}, n_iter={header.get('n_iter')}, "
        f"lower bound={header.get('lower_bound')}",
        "  parameters: " + ", ".join(f"{k}={v!r}" for k, v in params.items()),
        _component_table(model),
    ]
    with np.printoptions(precision=4, suppress=True):
        cov = np.asarray(model.covariances_)
        if get_covariance(model.covariance_type) is get_covariance("tied"):
            lines.append("  covariance (shared):\n" + _indent(np.array2string(cov), "    "))
        else:
            for i in range(model.means_.shape[0]):
                lines.append(f"  covariance {i}:" + ("\n" + _indent(np.array2string(cov[i]), "    ")
                                                      if cov.ndim > 1 else f" {_fmt(cov[i])}"))
    run.finish(document, "\n".join(lines))


def _indent(text: str, indent: str) -> str:
    return "\n".join(indent + line for line in text.splitlines())


_DEMO_EPILOG = """\b
Examples:
  gaussmix demo
  gaussmix demo -o figures --seed 1
"""


@main.command("demo", epilog=_DEMO_EPILOG, short_help="The textbook example end to end, with figures.")
@click.option("-o", "--output", "directory", type=click.Path(path_type=Path), default=Path("gaussmix-demo"),
              show_default=True, help="Folder for the figures (created if missing).")
@click.option("--seed", type=int, default=42, show_default=True, help="random_state of the data and the fits.")
@click.option("--no-figures", is_flag=True, help="Print only; write no figures (matplotlib not needed).")
@click.option("--overwrite", is_flag=True,
              help="Replace figure files in the folder even if the demo did not write them.")
@_command
def demo_command(run, directory, seed, no_figures, overwrite):
    """The textbook example, end to end, in about ten seconds.

    Generates three elongated, rotated, overlapping blobs, fits
    GaussianMixture(n_components=3, n_init=10, random_state=42), prints weights,
    means, covariances, convergence, hard and soft assignments, log-densities and
    samples, compares the covariance types, runs model selection (BIC) on the Old
    Faithful data, lets BayesianGaussianMixture(n_components=10, n_init=10,
    random_state=42) keep the three components of Hands-On Machine Learning's blobs,
    and writes four figures to the folder: trained_mixture.png, covariance_types.png,
    bic_curve.png and bayesian_concentration.png.

    Nothing you own is overwritten: the demo keeps a marker file (.gaussmix-demo.json)
    recording what it wrote, and replaces a figure only if the marker says the demo
    wrote it and the file is unchanged since; other existing files are refused unless
    --overwrite.
    """
    from . import demo as demo_module

    result = demo_module.run(None if no_figures else directory, seed=seed, overwrite=overwrite)
    run.finish(demo_module.summary(result), demo_module.report(result))
