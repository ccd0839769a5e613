"""Log-likelihoods against R mclust's fits: the table of docs/hierarchical.md.

Run from the repository root::

    python -m benchmarks.mclust_comparison > table.md

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


if __name__ == "__main__":
    main()
