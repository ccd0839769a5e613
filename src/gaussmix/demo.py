"""The demo behind ``gaussmix demo``: the textbook workflow on built-in data.

:func:`run` fits the textbook example (three elongated, rotated, overlapping blobs) with
``GaussianMixture(n_components=3, n_init=10, random_state=42)``, compares the covariance
types, runs model selection on the Old Faithful geyser data and writes three figures;
:func:`report` turns the result into the text the command prints and :func:`summary`
into a JSON-ready dict.  :func:`run` itself prints nothing.

Figures never overwrite what a user owns: a figure file may be replaced only when the
folder's marker file (:data:`MARKER`, written by the demo) records it with the content
it still has, i.e. when the demo wrote it and nobody changed it since; anything else is
refused with ``FileExistsError`` unless ``overwrite=True``.  Every check is made before
any fitting, and each figure is written to a temporary file and renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np

from . import GaussianMixture, __version__
from ._files import new_temp
from .datasets import load_faithful, make_textbook_blobs
from .selection import SelectionResult, select

__all__ = ["FIGURES", "MARKER", "DemoResult", "check_directory", "report", "run", "summary"]

#: the figures the demo writes, by role
FIGURES = {
    "trained_mixture": "trained_mixture.png",
    "covariance_types": "covariance_types.png",
    "bic_curve": "bic_curve.png",
}
#: the marker file recording what the demo wrote into a folder
MARKER = ".gaussmix-demo.json"

#: points whose assignments and log-densities the demo shows
POINTS = np.array([[0.0, 0.0], [3.5, 2.0], [1.5, 1.5]])
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


@dataclass
class DemoResult:
    """What :func:`run` computed.

    Attributes
    ----------
    X : ndarray of shape (1500, 2)
        The textbook blobs.
    model : GaussianMixture
        ``GaussianMixture(3, n_init=10, random_state=seed)`` fitted to ``X``.
    fit_seconds : float
    covariance_types : SelectionResult
        ``X`` with 3 components under each covariance type.
    faithful : ndarray of shape (272, 2)
    faithful_names : list of str
    selection : SelectionResult
        The Old Faithful data, n_components 1..6 x the four covariance types.
    figures : dict of str to Path
        The figures written, by role (empty without a directory).
    seed : int
    """

    X: np.ndarray
    model: GaussianMixture
    fit_seconds: float
    covariance_types: SelectionResult
    faithful: np.ndarray
    faithful_names: list
    selection: SelectionResult
    figures: dict = field(default_factory=dict)
    seed: int = 42


def run(directory: str | PathLike | None = None, *, seed: int = 42, overwrite: bool = False) -> DemoResult:
    """Fit the demo models and write the figures into ``directory``.

    Parameters
    ----------
    directory : str or path-like, optional
        Folder for the figures (created if missing); None writes none.  Needs
        matplotlib (``pip install "gaussmix[plot]"``).
    seed : int, default=42
        ``random_state`` of the data and the fits.
    overwrite : bool, default=False
        Replace figure files the demo did not write (see the module docstring).

    Returns
    -------
    DemoResult

    Raises
    ------
    FileExistsError
        A figure file exists that the demo may not replace.
    ImportError
        matplotlib is missing and ``directory`` was given.

    Examples
    --------
    >>> from gaussmix.demo import report, run
    >>> result = run()                                 # no figures
    >>> result.model.converged_, result.selection.best.key
    (True, (3, 'tied'))
    >>> print(report(result).splitlines()[0])          # doctest: +ELLIPSIS
    gaussmix ...: Gaussian mixtures by exact EM
    """
    if directory is not None:
        directory = Path(directory)
        check_directory(directory, overwrite)
        try:  # fail before the fits when matplotlib is missing
            import matplotlib.figure  # noqa: F401
        except ImportError:
            raise ImportError('The demo\'s figures need matplotlib: pip install "gaussmix[plot]" (or write no '
                              'figures: gaussmix demo --no-figures).') from None

    X, _ = make_textbook_blobs(1500, random_state=seed)
    t0 = time.perf_counter()
    model = GaussianMixture(n_components=3, n_init=10, random_state=seed).fit(X)
    fit_seconds = time.perf_counter() - t0
    types = select(X, [3], COVARIANCE_TYPES, n_init=5, random_state=seed)
    faithful, names = load_faithful()
    selection = select(faithful, n_components=range(1, 7), n_init=5, tol=1e-5, reg_covar=1e-3, random_state=seed)
    result = DemoResult(X, model, fit_seconds, types, faithful, list(names), selection, seed=seed)
    if directory is not None:
        result.figures = _write_figures(result, directory, overwrite)
    return result


# ------------------------------------------------------------------------ figures
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_marker(directory: Path) -> dict | None:
    """The files the demo recorded in ``directory`` (name -> sha256), or None without a valid marker."""
    try:
        marker = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = marker.get("files") if isinstance(marker, dict) and marker.get("written_by") == "gaussmix demo" else None
    if not isinstance(files, dict):
        return None
    return {str(k): str(v) for k, v in files.items()}


def check_directory(directory: str | PathLike, overwrite: bool = False) -> None:
    """Refuse a ``directory`` where the demo would overwrite a file it did not write.

    Parameters
    ----------
    directory : str or path-like
        May be missing (it is created later).
    overwrite : bool, default=False
        Allow replacing any of the demo's file names.

    Raises
    ------
    NotADirectoryError, FileExistsError

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_directory(folder)                        # empty: fine
    >>> _ = (folder / "bic_curve.png").write_bytes(b"mine")
    >>> check_directory(folder)                        # doctest: +ELLIPSIS
    Traceback (most recent call last):
    FileExistsError: ...bic_curve.png' exists and was not written by gaussmix demo ...
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f"{str(directory)!r} exists and is not a folder.")
    if overwrite or not directory.exists():
        return
    recorded = _read_marker(directory)
    if recorded is None and (directory / MARKER).exists():
        raise FileExistsError(
            f"{str(directory / MARKER)!r} exists and is not the demo's marker; pass overwrite=True (--overwrite) "
            "or choose another folder.")
    for name in FIGURES.values():
        path = directory / name
        if not path.exists():
            continue
        if recorded is None or recorded.get(name) != _sha256(path):
            raise FileExistsError(
                f"{str(path)!r} exists and was not written by gaussmix demo (or was changed since); pass "
                "overwrite=True (--overwrite) or choose another folder.")


def _save_atomic(fig, path: Path) -> None:
    """``fig`` to ``path`` through a temporary file in the same folder, renamed into place."""
    tmp = new_temp(path)
    try:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=90)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_figures(result: DemoResult, directory: Path, overwrite: bool) -> dict:
    from matplotlib.figure import Figure

    from .plotting import plot_criterion, plot_mixture

    directory.mkdir(parents=True, exist_ok=True)
    check_directory(directory, overwrite)  # again: the folder may have changed during the fits
    paths = {role: directory / name for role, name in FIGURES.items()}

    fig = Figure(figsize=(6, 5))
    ax = fig.subplots()
    plot_mixture(result.model, result.X, ax=ax)
    ax.set_title("A trained Gaussian mixture (k=3, full)")
    fig.tight_layout()
    _save_atomic(fig, paths["trained_mixture"])

    fig = Figure(figsize=(16, 4.3))
    axes = fig.subplots(1, len(COVARIANCE_TYPES), sharex=True, sharey=True)
    # What plot_covariance_types draws, from the fits already made (not fitted again).
    for ax, candidate in zip(axes, result.covariance_types):
        plot_mixture(result.covariance_types.model(*candidate.key), result.X, ax=ax)
        ax.set_title(f"{candidate.covariance_type}  (BIC {candidate.bic:.0f})")
    fig.suptitle("The same data under each covariance type")
    fig.tight_layout()
    _save_atomic(fig, paths["covariance_types"])

    fig = Figure(figsize=(11, 4.5))
    left, right = fig.subplots(1, 2)
    plot_criterion(result.selection, ax=left)
    left.set_title(f"Old Faithful: BIC of {len(result.selection)} models")
    plot_mixture(result.selection.best_model, result.faithful, ax=right)
    right.set_xlabel(result.faithful_names[0])
    right.set_ylabel(result.faithful_names[1])
    best = result.selection.best
    right.set_title(f"BIC's choice: {best.n_components} components, {best.covariance_type}")
    fig.tight_layout()
    _save_atomic(fig, paths["bic_curve"])

    recorded = _read_marker(directory) or {}
    recorded.update({path.name: _sha256(path) for path in paths.values()})
    marker = {"written_by": "gaussmix demo", "gaussmix_version": __version__, "files": recorded}
    tmp = new_temp(directory / MARKER)
    tmp.write_text(json.dumps(marker, indent=1), encoding="utf-8")
    os.replace(tmp, directory / MARKER)
    return paths


# ------------------------------------------------------------------------- output
def _matrix(a, indent: str) -> str:
    text = np.array2string(np.asarray(a), precision=3, suppress_small=True)
    return "\n".join(indent + line for line in text.splitlines())


def report(result: DemoResult) -> str:
    """The demo's printed text.

    Parameters
    ----------
    result : DemoResult

    Returns
    -------
    str
    """
    with np.printoptions(precision=3, suppress=True):  # not the caller's global options
        return _report(result)


def _report(result: DemoResult) -> str:
    gm, X = result.model, result.X
    lines = [f"gaussmix {__version__}: Gaussian mixtures by exact EM", ""]
    lines.append(f"1. Three elongated, rotated, overlapping blobs: X.shape = {X.shape}")
    lines.append(f"   GaussianMixture(n_components=3, n_init=10, random_state={result.seed}).fit(X) in "
                 f"{result.fit_seconds:.2f} s: converged={gm.converged_}, n_iter={gm.n_iter_}, "
                 f"lower bound={gm.lower_bound_:.4f}")
    lines.append(f"   weights_ = {gm.weights_}")
    lines.append("   means_ =\n" + _matrix(gm.means_, "     "))
    lines.append("   covariances_ =\n" + _matrix(gm.covariances_, "     "))
    lines.append(f"   predict({POINTS.tolist()}) = {gm.predict(POINTS).tolist()}   (hard assignments)")
    lines.append("   predict_proba (soft assignments) =\n" + _matrix(gm.predict_proba(POINTS), "     "))
    lines.append(f"   score_samples (log density) = {gm.score_samples(POINTS)}")
    Xs, ys = gm.sample(5)
    lines.append("   sample(5) (x1, x2, component) =\n" + _matrix(np.column_stack([Xs, ys]), "     "))
    lines.append(f"   BIC = {gm.bic(X):.1f}, AIC = {gm.aic(X):.1f}")
    lines.append("")
    lines.append("2. The same data under each covariance_type (k=3; BIC, lower is better):")
    for c in result.covariance_types:
        lines.append(f"   {c.covariance_type:<9s} BIC = {c.bic:9.1f}")
    sel = result.selection
    lines.append("")
    lines.append(f"3. Model selection on Old Faithful {result.faithful.shape} ({', '.join(result.faithful_names)}): "
                 f"{len(sel)} models, k = 1..6 x {len(COVARIANCE_TYPES)} covariance types, best 5 by BIC:")
    for rank, key in enumerate(sel.ranking[:5], 1):
        c = sel[key]
        lines.append(f"   {rank}. k={c.n_components} {c.covariance_type:<9s} BIC = {c.bic:8.1f}")
    best = sel.best_model
    lines.append(f"   BIC picks k={sel.best.n_components}, {sel.best.covariance_type}: weights {best.weights_}, "
                 "means\n" + _matrix(best.means_, "     "))
    if result.figures:
        lines.append("")
        lines.append("Figures:")
        lines.extend(f"   {path}" for path in result.figures.values())
    return "\n".join(lines)


def summary(result: DemoResult) -> dict:
    """The result as plain Python values (for JSON).

    Parameters
    ----------
    result : DemoResult

    Returns
    -------
    dict
    """
    gm = result.model
    Xs, ys = gm.sample(5)
    return {
        "model": {
            "n_components": 3, "covariance_type": "full", "converged": bool(gm.converged_), "n_iter": int(gm.n_iter_),
            "lower_bound": float(gm.lower_bound_), "weights": gm.weights_.tolist(), "means": gm.means_.tolist(),
            "covariances": gm.covariances_.tolist(), "bic": gm.bic(result.X), "aic": gm.aic(result.X),
        },
        "points": POINTS.tolist(),
        "predict": gm.predict(POINTS).tolist(),
        "predict_proba": gm.predict_proba(POINTS).tolist(),
        "score_samples": gm.score_samples(POINTS).tolist(),
        "sample": {"X": Xs.tolist(), "y": ys.tolist()},
        "covariance_types": {c.covariance_type: c.bic for c in result.covariance_types},
        "selection": {"best": {"n_components": result.selection.best.n_components,
                               "covariance_type": result.selection.best.covariance_type,
                               "bic": result.selection.best.bic},
                      "ranking": [list(key) for key in result.selection.ranking]},
        "figures": {role: str(path) for role, path in result.figures.items()},
    }
