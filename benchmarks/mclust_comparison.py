"""Log-likelihoods against R mclust's fits: the table of docs/hierarchical.md.

Run from the repository root::

    python -m benchmarks.mclust_comparison > table.md           # the four forms (docs/hierarchical.md)
    python -m benchmarks.mclust_comparison --forms > table.md   # all fourteen (docs/covariance-forms.md)

The references (tests/data/mclust/mclust_reference.csv) were computed by
tests/data/mclust/mclust_reference.R with mclust 6.0.0; R is not needed here.  Every model
is fitted with ``tol=1e-6, max_iter=2000, random_state=0``: gaussmix with the hierarchical
start (``n_init`` 1 and 10) and scikit-learn with its k-means start (``n_init=10``).  A model
counts as reached when its log-likelihood is at least mclust's less 1e-3.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.mixture import GaussianMixture as SkGaussianMixture

import gaussmix
from gaussmix import GaussianMixture

FOLDER = Path(__file__).resolve().parent.parent / "tests" / "data" / "mclust"
FIT = dict(tol=1e-6, max_iter=2000, random_state=0)


def main(out=sys.stdout) -> None:
    reference = pd.read_csv(FOLDER / "mclust_reference.csv")
    data = {name: pd.read_csv(FOLDER / f"{name}.csv").to_numpy(float) for name in reference.dataset.unique()}
    runs = {
        "gaussmix hierarchical, n_init=1": lambda k, t: GaussianMixture(
            k, covariance_type=t, init_params="hierarchical", n_init=1, **FIT),
        "gaussmix hierarchical, n_init=10": lambda k, t: GaussianMixture(k, covariance_type=t,
                                                                       init_params="hierarchical", n_init=10, **FIT),
        "scikit-learn k-means, n_init=10": lambda k, t: SkGaussianMixture(k, covariance_type=t, n_init=10, **FIT),
    }
    rows, seconds = [], {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, make in runs.items():
            start = time.perf_counter()
            for r in reference.itertuples():
                X = data[r.dataset]
                loglik = make(r.k, r.covariance_type).fit(X).score(X) * len(X)
                rows.append((name, r.dataset, r.covariance_type, r.k, loglik))
            seconds[name] = time.perf_counter() - start
    fits = pd.DataFrame(rows, columns=["run", "dataset", "covariance_type", "k", "loglik"])
    table = reference.merge(fits.pivot_table(index=["dataset", "covariance_type", "k"], columns="run",
                                             values="loglik").reset_index(), on=["dataset", "covariance_type", "k"])
    print("| run | models at least as likely as mclust's (of 96) | seconds |\n|---|---:|---:|", file=out)
    for name in runs:
        reached = int(np.sum(table[name] >= table.loglik - 1e-3))
        print(f"| {name} | {reached} | {seconds[name]:.0f} |", file=out)
    print("\nModels below mclust's log-likelihood (difference in nats):\n", file=out)
    print("| data | type (mclust) | k | mclust | " + " | ".join(runs) + " |", file=out)
    print("|---|---|---:|---:|" + "---:|" * len(runs), file=out)
    for _, r in table.iterrows():
        gaps = [r[name] - r.loglik for name in runs]
        if min(gaps) < -1e-3:
            cells = " | ".join(f"{g:+.3f}" if g < -1e-3 else "ok" for g in gaps)
            print(f"| {r.dataset} | {r.covariance_type} ({r.model}) | {r.k} | {r.loglik:.3f} | {cells} |", file=out)
    print("\n`gaussmix.select(X, range(1, 7), random_state=0)` (its defaults) against mclust's best BIC over the "
          "same four forms:\n", file=out)
    print("| data | n x d | gaussmix best | its BIC | mclust best | mclust BIC |", file=out)
    print("|---|---|---|---:|---|---:|", file=out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, X in data.items():
            result = gaussmix.select(X, range(1, 7), random_state=0)
            ref = reference[reference.dataset == name].sort_values("bic_mclust").iloc[-1]
            print(f"| {name} | {X.shape[0]} x {X.shape[1]} | {result.best.covariance_type}, {result.best.n_components} "
                  f"| {result.best.bic:.2f} | {ref.model}, {ref.k} | {-ref.bic_mclust:.2f} |", file=out)


def forms(out=sys.stdout) -> None:
    """Every form and k = 1..6 by ``gaussmix.select(X, range(1, 7), "mclust", random_state=0)`` (select's
    defaults) against mclust's fits (tests/data/mclust/mclust_forms.csv, mclust_best.csv)."""
    reference = pd.read_csv(FOLDER / "mclust_forms.csv")
    best = pd.read_csv(FOLDER / "mclust_best.csv")
    print("| data | n x d | models mclust fitted | reached (log L >= mclust's - 1e-3) | parameter counts equal | "
          "largest gain over mclust, not collapsed (nats) | collapsed | seconds |\n|---|---|---:|---:|---:|---:|---:|---:|",
          file=out)
    below, choices = [], []
    for name, rows in reference.groupby("dataset", sort=False):
        X = pd.read_csv(FOLDER / f"{name}.csv").to_numpy(float)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = gaussmix.select(X, range(1, 7), "mclust", random_state=0)
            wide = gaussmix.select(X, range(1, 10), "mclust", random_state=0)
        seconds = time.perf_counter() - start
        fitted = rows.dropna(subset=["loglik"])
        gaps = np.array([result[(r.k, r.model)].log_likelihood - r.loglik for r in fitted.itertuples()])
        counts = sum(result[(r.k, r.model)].n_parameters == r.n_parameters for r in fitted.itertuples())
        collapsed = np.array([result[(r.k, r.model)].error is not None for r in fitted.itertuples()])
        below += [(name, r.model, r.k, r.loglik, g) for r, g in zip(fitted.itertuples(), gaps) if g < -1e-3]
        print(f"| {name} | {X.shape[0]} x {X.shape[1]} | {len(fitted)} | {int(np.sum(gaps >= -1e-3))} | {counts} | "
              f"{gaps[~collapsed].max():+.3f} | {int(collapsed.sum())} | {seconds:.0f} |", file=out)
        for max_k, res in ((6, result), (9, wide)):
            ref = best[(best.dataset == name) & (best.max_k == max_k)].iloc[0]
            choices.append(f"| {name} | 1..{max_k} | {res.best.covariance_type}, {res.best.n_components} | "
                           f"{res.best.bic:.2f} | {ref.model}, {ref.k} | {-ref.bic_mclust:.2f} |")
    if below:
        print("\nModels below mclust's log-likelihood:\n\n| data | form | k | mclust log L | gaussmix - mclust |"
              "\n|---|---|---:|---:|---:|", file=out)
        for name, model, k, loglik, gap in below:
            print(f"| {name} | {model} | {k} | {loglik:.3f} | {gap:+.3f} |", file=out)
    print("\nBIC's choice over the fourteen forms (gaussmix's BIC is -2 log L + p log n, mclust's its negative):\n",
          file=out)
    print("| data | k | gaussmix best | its BIC | mclust best | mclust BIC |\n|---|---|---|---:|---|---:|", file=out)
    print("\n".join(choices), file=out)


if __name__ == "__main__":
    forms() if "--forms" in sys.argv[1:] else main()
