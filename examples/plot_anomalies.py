"""
Anomalies: rows of low density
==============================

A Gaussian mixture is a density model, so the rows where that density is lowest are
anomaly candidates.  :class:`gaussmix.MixtureOutlierDetector` wraps any gaussmix mixture
in scikit-learn's outlier-detector API: its threshold ``offset_`` is the
``contamination`` quantile of the training rows' log-densities, ``predict`` gives -1 for
outliers and +1 for inliers, and ``decision_function`` is negative for outliers.
"""

import matplotlib.pyplot as plt
import numpy as np

from gaussmix import GaussianMixture, MixtureOutlierDetector
from gaussmix.datasets import make_textbook_blobs
from gaussmix.plotting import plot_anomalies

X, _ = make_textbook_blobs(1500, random_state=42)
gm = GaussianMixture(3, n_init=5, random_state=42)
detector = MixtureOutlierDetector(gm, contamination=0.02)
labels = detector.fit_predict(X)
print(f"{(labels == -1).sum()} outliers of {len(X)} rows")
print(f"threshold: offset_ = {detector.offset_:.3f}")

# %%
# New rows: one near a cluster, one far from every cluster.
new = np.array([[0.0, 0.0], [4.0, -4.0]])
print("predict:", detector.predict(new))
print("decision_function:", detector.decision_function(new).round(2))

# %%
# :func:`gaussmix.plotting.plot_anomalies` draws the detector's outliers and the density
# contour at its threshold.
fig, ax = plt.subplots(figsize=(6, 5))
plot_anomalies(detector, X, ax=ax, s=4)
ax.set_title("MixtureOutlierDetector(contamination=0.02)")
