"""
Choosing the model by BIC: Old Faithful
=======================================

:func:`gaussmix.select` fits every ``n_components`` × covariance type of a grid in
shared passes and ranks the candidates by BIC (or AIC, or ICL).  On the Old Faithful
geyser data (272 eruptions: duration and waiting time) BIC chooses three components with
one shared ("tied") covariance, as R's mclust does (its EEE,3).

Waiting times are recorded in whole minutes, so a diagonal model with five components
can settle a component on rows that waited exactly as long, with no spread in that
direction: :func:`~gaussmix.select` warns, names the candidate and ranks it last
(``reg_covar=1e-3``, far below the rounding variance, avoids it; see
:doc:`/selection`).
"""

import matplotlib.pyplot as plt

import gaussmix
from gaussmix.datasets import load_faithful
from gaussmix.plotting import plot_criterion, plot_mixture

X, names = load_faithful()
result = gaussmix.select(X, n_components=range(1, 7), random_state=0)
print(result)
print("best:", result.best.n_components, result.best.covariance_type)
print("ranking:", result.ranking[:5])

# %%
# The table of candidates (each row a :class:`gaussmix.selection.Candidate`):
for c in sorted(result.candidates, key=lambda c: c.bic)[:6]:
    print(f"k={c.n_components} {c.covariance_type:9s} BIC {c.bic:7.1f}  "
          f"AIC {c.aic:7.1f}  ICL {c.icl:7.1f}  parameters {c.n_parameters}")

# %%
# Left: BIC of the 24 models, the best starred.  Right: the chosen model,
# ``result.best_model``, a fitted :class:`gaussmix.GaussianMixture`.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
plot_criterion(result, ax=left)
left.set_title("Old Faithful: BIC of 24 models")
plot_mixture(result.best_model, X, ax=right, s=8)
right.set_xlabel(names[0])
right.set_ylabel(names[1])
k, form = result.ranking[0]
right.set_title(f"BIC's choice: {k} components, {form}")
fig.tight_layout()
