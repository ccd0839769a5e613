"""
The textbook walk-through
=========================

The Gaussian-mixture section of Géron's *Hands-On Machine Learning*, step by step with
gaussmix: fit three elongated, rotated blobs, look at what EM found, cluster hard and
soft, generate new rows, estimate the density, flag the rows of lowest density as
anomalies and compare models by BIC and AIC.  Swapping ``from sklearn.mixture import
GaussianMixture`` for ``from gaussmix import GaussianMixture`` gives the same numbers.
"""

import matplotlib.pyplot as plt
import numpy as np

from gaussmix import GaussianMixture
from gaussmix.datasets import make_textbook_blobs
from gaussmix.plotting import plot_anomalies, plot_mixture

X, y = make_textbook_blobs(1500, random_state=42)
gm = GaussianMixture(n_components=3, n_init=10, random_state=42).fit(X)

# %%
# What EM estimated
# -----------------
# The weights φ sum to one, each component has a mean μ and a covariance Σ.
print("weights:", gm.weights_.round(3))
print("means:\n", gm.means_.round(3))
print("covariances:\n", gm.covariances_.round(3))
print(f"converged: {gm.converged_} after {gm.n_iter_} iterations")

# %%
# Hard and soft clustering
# ------------------------
# ``predict`` gives each row its most probable component; ``predict_proba`` the
# responsibilities (rows sum to one).
print(gm.predict(X[:5]))
print(gm.predict_proba(X[:5]).round(3))

# %%
# A generative model
# ------------------
# ``sample`` draws new rows (sorted by component) and says which component drew each.
X_new, y_new = gm.sample(6)
print(X_new.round(2))
print(y_new)

# %%
# Density, clusters and decision boundaries
# -----------------------------------------
# ``score_samples`` is the log of the mixture's density at each row.  The figure shows
# it as contour lines, with the decision boundaries (dashed) and one, two and three
# standard-deviation ellipses around each mean.
print(gm.score_samples(X[:3]).round(3))

fig, ax = plt.subplots(figsize=(6, 5))
plot_mixture(gm, X, ax=ax, s=4)
ax.set_title("A trained Gaussian mixture (k=3, full)")

# %%
# Anomalies: the lowest 4 % of the density
# ----------------------------------------
# The textbook's rule: rows whose density is below the 4th percentile.
densities = gm.score_samples(X)
threshold = np.percentile(densities, 4)
n_low = (densities < threshold).sum()
print(f"{n_low} of {len(X)} rows below the threshold {threshold:.3f}")

fig, ax = plt.subplots(figsize=(6, 5))
plot_anomalies(gm, X, percentile=4, ax=ax, s=4)
ax.set_title("Rows below the 4th percentile of the density")

# %%
# How many components?
# --------------------
# BIC and AIC trade the likelihood for the number of free parameters (lower is
# better); both choose three here.  :func:`gaussmix.select` fits a whole grid at once,
# see :ref:`sphx_glr_auto_examples_plot_bic_faithful.py`.
for k in range(1, 6):
    model = GaussianMixture(k, n_init=3, random_state=42).fit(X)
    print(f"k={k}: BIC {model.bic(X):9.1f}   AIC {model.aic(X):9.1f}")
