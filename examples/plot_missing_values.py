"""
Incomplete rows: marginalize, impute, regress
=============================================

Rows with missing values (NaN) need not be dropped: the marginal of a Gaussian mixture
over a row's observed coordinates is a Gaussian mixture, so EM for values missing at
random is exact.  ``nan_policy="marginalize"`` fits on every row, ``impute`` fills the
holes with their conditional expectations, and Gaussian mixture regression is
``impute`` on rows whose target is missing.
"""

import matplotlib.pyplot as plt
import numpy as np

from gaussmix import GaussianMixture
from gaussmix.datasets import make_textbook_blobs
from gaussmix.plotting import plot_mixture, plot_regression

X, _ = make_textbook_blobs(1500, random_state=42)
rng = np.random.RandomState(0)
X_holes = X.copy()
# a fifth of the rows lose their second feature, a tenth their first (a few both)
X_holes[rng.rand(len(X)) < 0.2, 1] = np.nan
X_holes[rng.rand(len(X)) < 0.1, 0] = np.nan

gm = GaussianMixture(3, nan_policy="marginalize", n_init=3, random_state=42)
gm.fit(X_holes)
print(f"{gm.n_incomplete_} incomplete rows, {gm.n_omitted_} with nothing observed")
complete = GaussianMixture(3, n_init=3, random_state=42).fit(X)


def by_x(means):
    """The means, ordered by their first feature (components come in any order)."""
    return means[np.argsort(means[:, 0])].round(2)


print("means with holes:\n", by_x(gm.means_))
print("means of the complete data:\n", by_x(complete.means_))

# %%
# Predictions use each row's observed values; ``impute`` replaces each NaN by
# ``E[x_missing | x_observed]`` (observed values are returned untouched).
missing = np.isnan(X_holes)
rows = np.flatnonzero(missing.any(axis=1) & ~missing.all(axis=1))[:4]
print(X_holes[rows].round(2))
print(gm.predict(X_holes[rows]))
print(gm.impute(X_holes[rows]).round(2))

# %%
# The imputed rows (black) sit on the conditional means given their observed value,
# without the data's spread (``impute(X, sample=True, random_state=...)`` draws the
# missing values instead, for multiple imputation); rows with nothing observed get the
# mixture's mean.
filled = gm.impute(X_holes)
holes = np.isnan(X_holes).any(axis=1)
fig, ax = plt.subplots(figsize=(6, 5))
plot_mixture(gm, filled[~holes], ax=ax, s=4, alpha=0.4)
ax.scatter(*filled[holes].T, s=6, color="k", label="imputed rows")
ax.legend(loc="upper left")
ax.set_title("Fitted with nan_policy='marginalize'")

# %%
# Gaussian mixture regression
# ---------------------------
# Fit a mixture on ``[x, y]``; the regression of ``y`` on ``x`` is what ``impute``
# fills in for rows ``[x, NaN]``, and the band comes from the conditional mixture
# ``gm.conditional([0], [x])``.  :func:`gaussmix.plotting.plot_regression` draws both.
x = rng.uniform(-3, 3, 600)
noise = (0.05 + 0.1 * np.abs(x)) * rng.normal(size=x.size)
y = np.sin(1.5 * x) + 0.2 * x + noise
XY = np.c_[x, y]
reg = GaussianMixture(8, n_init=3, random_state=0).fit(XY)
print(reg.impute([[0.5, np.nan], [2.0, np.nan]]).round(3))
given = reg.conditional([0], [2.0])  # the mixture of y given x = 2
mean = float(given.weights_ @ given.means_[:, 0])
print(f"y | x=2: a mixture of {given.n_components} Gaussians, mean {mean:.3f}")

fig, ax = plt.subplots(figsize=(7, 4.5))
plot_regression(reg, XY, ax=ax)
ax.set_title("Gaussian mixture regression (k=8)")
ax.legend(loc="upper left", fontsize=8)
