"""The demo behind ``gaussmix demo``: the textbook workflow on built-in data.

:func:`run` fits the textbook example (three elongated, rotated, overlapping blobs) with
``GaussianMixture(n_components=3, n_init=10, random_state=42)``, compares the covariance
types, runs model selection on the Old Faithful geyser data, lets a
``BayesianGaussianMixture`` of at most ten components find the three blobs of
*Hands-On Machine Learning*'s example (:func:`fit_bayesian`) and writes four figures;
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

from . import BayesianGaussianMixture, GaussianMixture, __version__
from ._files import new_temp
from .datasets import load_faithful, make_handson_blobs, make_textbook_blobs
from .selection import SelectionResult, select

__all__ = ["BAYESIAN_PRIORS", "FIGURES", "MARKER", "DemoResult", "check_directory", "fit_bayesian",
           "weight_concentration_counts", "report", "run", "summary"]

#: the figures the demo writes, by role
FIGURES = {
    "trained_mixture": "trained_mixture.png",
    "covariance_types": "covariance_types.png",
    "bic_curve": "bic_curve.png",
    "weight_concentration": "bayesian_concentration.png",
}
#: the marker file recording what the demo wrote into a folder
MARKER = ".gaussmix-demo.json"

#: points whose assignments and log-densities the demo shows
POINTS = np.array([[0.0, 0.0], [3.5, 2.0], [1.5, 1.5]])
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
#: the low and high weight_concentration_prior of the Bayesian figure, and the rows it fits
#: (the book's first 73: few enough rows for the prior to show)
BAYESIAN_PRIORS = (0.01, 10000.0)
BAYESIAN_FIGURE_ROWS = 73


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
    handson : ndarray of shape (1250, 2)
        The three blobs of *Hands-On Machine Learning*'s Bayesian example.
    bayesian : BayesianGaussianMixture
        ``fit_bayesian(handson, seed=seed)``: at most 10 components, three kept.
    bayesian_seconds : float
    concentration : dict of float to int
        Effective components of the first 73 rows of ``handson`` under each of
        :data:`BAYESIAN_PRIORS` (:func:`weight_concentration_counts`).
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
    handson: np.ndarray
    bayesian: BayesianGaussianMixture
    bayesian_seconds: float
    concentration: dict
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
    >>> result.bayesian.n_effective_components_
    3
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
    handson, _ = make_handson_blobs(random_state=seed)
    t0 = time.perf_counter()
    bayesian = fit_bayesian(handson, seed=seed)
    bayesian_seconds = time.perf_counter() - t0
    concentration = weight_concentration_counts(handson[:BAYESIAN_FIGURE_ROWS], seed=seed)
    result = DemoResult(X, model, fit_seconds, types, faithful, list(names), selection, handson, bayesian,
                        bayesian_seconds, concentration, seed=seed)
    if directory is not None:
        result.figures = _write_figures(result, directory, overwrite)
    return result


def fit_bayesian(X, *, seed: int = 42, n_components: int = 10, n_init: int = 10,
                 max_iter: int = 500) -> BayesianGaussianMixture:
    """The book's Bayesian mixture: at most ``n_components``, the unneeded ones emptied.

    ``BayesianGaussianMixture(n_components=10, n_init=10, random_state=42)`` as in
    *Hands-On Machine Learning*, with ``max_iter=500`` so that it converges (the
    default 100 stops a few iterations short, with the same weights to two decimals).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    seed : int, default=42
        ``random_state``.
    n_components, n_init, max_iter : int
        As for :class:`~gaussmix.BayesianGaussianMixture`.

    Returns
    -------
    BayesianGaussianMixture
        Fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix.datasets import make_handson_blobs
    >>> X, _ = make_handson_blobs()
    >>> bgm = fit_bayesian(X[::5], n_init=1)
    >>> bgm.n_effective_components_, np.sort(bgm.weights_)[::-1][:3].round(1).tolist()
    (3, [0.4, 0.4, 0.2])
    """
    return BayesianGaussianMixture(n_components=n_components, n_init=n_init, max_iter=max_iter,
                                   random_state=seed).fit(X)


def weight_concentration_counts(X, *, seed: int = 42, priors=BAYESIAN_PRIORS, n_components: int = 10,
                                max_iter: int = 500) -> dict:
    """Effective components (weight >= 1%) of a Bayesian mixture of ``X`` under each
    ``weight_concentration_prior`` (the numbers in the titles of the Bayesian figure).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    seed : int, default=42
    priors : sequence of float, default=BAYESIAN_PRIORS
    n_components, max_iter : int

    Returns
    -------
    dict of float to int

    Examples
    --------
    >>> from gaussmix.datasets import make_handson_blobs
    >>> X, _ = make_handson_blobs()
    >>> weight_concentration_counts(X[:73])
    {0.01: 3, 10000.0: 10}
    """
    counts = {}
    for prior in priors:
        model = BayesianGaussianMixture(n_components=n_components, weight_concentration_prior=prior,
                                        max_iter=max_iter, random_state=seed).fit(X)
        counts[float(prior)] = model.n_effective_components_
    return counts


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

    from .plotting import plot_criterion, plot_mixture, plot_weight_concentration

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

    fig = Figure(figsize=(10, 4.6))
    axes = fig.subplots(1, len(BAYESIAN_PRIORS), sharex=True, sharey=True)
    plot_weight_concentration(result.handson[:BAYESIAN_FIGURE_ROWS], 10, BAYESIAN_PRIORS, axes=axes,
                              max_iter=500, random_state=result.seed)
    fig.suptitle(f"BayesianGaussianMixture(n_components=10) on {BAYESIAN_FIGURE_ROWS} rows: a low and a high "
                 "weight_concentration_prior")
    fig.tight_layout()
    _save_atomic(fig, paths["weight_concentration"])

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
    lines.append("")
    lines.extend(_bayesian_lines(result))
    if result.figures:
        lines.append("")
        lines.append("Figures:")
        lines.extend(f"   {path}" for path in result.figures.values())
    return "\n".join(lines)


def _bayesian_lines(result: DemoResult) -> list[str]:
    """Section 4 of the report: the Bayesian mixture keeps the components the data need."""
    bgm = result.bayesian
    weights = np.asarray(bgm.weights_)
    kept = np.sort(weights)[::-1][:bgm.n_effective_components_]
    low, high = BAYESIAN_PRIORS
    counts = result.concentration
    return [
        f"4. Bayesian mixtures: Hands-On Machine Learning's three blobs {result.handson.shape} (true weights 0.4, "
        "0.4, 0.2), at most 10 components",
        f"   BayesianGaussianMixture(n_components=10, n_init=10, max_iter=500, random_state={result.seed}).fit(X) in "
        f"{result.bayesian_seconds:.2f} s: converged={bgm.converged_}, n_iter={bgm.n_iter_}",
        f"   weights_.round(2) = {np.round(weights, 2)}",
        f"   effective components (weight >= 1%): {bgm.n_effective_components_} of {weights.size}, "
        f"weights {np.round(kept, 2)}",
        f"   weight_concentration_prior on the first {BAYESIAN_FIGURE_ROWS} rows: {low:g} keeps "
        f"{counts.get(low, '?')} components, {high:g} spreads the weight over {counts.get(high, '?')}",
    ]


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
        "bayesian": {
            "n_components": int(result.bayesian.means_.shape[0]),
            "n_effective_components": int(result.bayesian.n_effective_components_),
            "weights": np.asarray(result.bayesian.weights_).tolist(),
            "converged": bool(result.bayesian.converged_), "n_iter": int(result.bayesian.n_iter_),
            "lower_bound": float(result.bayesian.lower_bound_),
            "weight_concentration": {f"{prior:g}": count for prior, count in result.concentration.items()},
        },
        "figures": {role: str(path) for role, path in result.figures.items()},
    }
