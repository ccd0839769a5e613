"""
Bayesian mixtures: the weight concentration prior
=================================================

:class:`gaussmix.BayesianGaussianMixture` is given at most ``n_components`` components
and a prior on their weights.  With a low ``weight_concentration_prior`` the components
the data do not need are emptied, so the number of clusters is found rather than
chosen; with a high one the weight spreads over all of them, the more so the fewer the
rows.  This is the figure of *Hands-On Machine Learning*'s Bayesian mixtures section,
on its data.
"""

from gaussmix import BayesianGaussianMixture
from gaussmix.datasets import make_handson_blobs
from gaussmix.plotting import plot_weight_concentration

X, _ = make_handson_blobs()  # 1250 rows, true weights 0.4, 0.4 and 0.2
bgm = BayesianGaussianMixture(n_components=10, n_init=3, max_iter=500,
                              random_state=42).fit(X)
print("weights:", bgm.weights_.round(2))
print("effective components (weight >= 1 %):", bgm.n_effective_components_)

# %%
# On the book's first 73 rows the prior shows: with 0.01 three components are kept;
# with 10000 seven more hold the prior alone (drawn without ellipses or means).
axes = plot_weight_concentration(X[:73], n_components=10, priors=(0.01, 10000),
                                 max_iter=500, random_state=42, s=8)
axes[0].figure.suptitle("BayesianGaussianMixture(n_components=10) on 73 rows")
axes[0].figure.tight_layout()
