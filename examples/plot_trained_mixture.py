"""
A trained mixture, layer by layer
=================================

:func:`gaussmix.plotting.plot_mixture` draws the textbook's figure of a fitted mixture:
rows coloured by their most probable component, the means, log-density contour lines,
the decision boundaries (dashed: where the two most probable components are equally
probable) and covariance ellipses.  Each layer can be turned off, which shows what it
adds.
"""

import matplotlib.pyplot as plt

from gaussmix import GaussianMixture
from gaussmix.datasets import make_textbook_blobs
from gaussmix.plotting import plot_mixture

X, _ = make_textbook_blobs(1500, random_state=42)
gm = GaussianMixture(3, n_init=5, random_state=42).fit(X)

fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), sharex=True, sharey=True)
plot_mixture(gm, X, ax=axes[0], contours=False, boundaries=False, ellipses=None,
             s=4)
axes[0].set_title("clusters and means")
plot_mixture(gm, X, ax=axes[1], boundaries=False, ellipses=None,
             color_by_component=False, s=4)
axes[1].set_title("log-density contours")
plot_mixture(gm, X, ax=axes[2], contours=False, s=4)
axes[2].set_title("decision boundaries and 1-3 sd ellipses")
fig.tight_layout()
