"""
More than two features: a pair grid
===================================

With more than two features a mixture cannot be drawn at once.
:func:`gaussmix.plotting.plot_pairs` draws every pair of features with the *exact*
marginal mixture of that pair (a Gaussian mixture's marginals are Gaussian mixtures:
the same weights, the sub-vectors of the means and the sub-blocks of the covariances),
and each feature's one-dimensional marginal density on the diagonal.
"""

import numpy as np

from gaussmix import GaussianMixture
from gaussmix.plotting import marginal, plot_pairs

rng = np.random.RandomState(0)
X = np.vstack([rng.multivariate_normal(m, c, 300) for m, c in (
    ([0, 0, 0], [[1, 0.8, 0], [0.8, 1, 0.3], [0, 0.3, 1]]),
    ([4, 1, -2], [[0.5, 0, 0], [0, 2, -0.6], [0, -0.6, 0.5]]),
    ([-1, 4, 2], [[1, -0.5, 0.2], [-0.5, 1, 0], [0.2, 0, 0.4]]))])
gm = GaussianMixture(3, random_state=0).fit(X)

# %%
# The marginal mixture of features 0 and 2, as the grid's panel draws it:
pair = marginal(gm, [0, 2])
print(pair.weights.round(3))
print(pair.means.round(2))

axes = plot_pairs(gm, X, s=3)
axes[0, 0].figure.suptitle("Pair grid of a 3-D mixture (exact marginals)")
axes[0, 0].figure.tight_layout()
