"""
Covariance types and mclust's fourteen forms
============================================

The covariance type constrains each component's ellipsoid: ``full`` (any size, shape
and orientation for each), ``tied`` (one shared ellipsoid), ``diag`` (axis-aligned) and
``spherical`` (circles).  :func:`gaussmix.plotting.plot_covariance_types` fits them
together (one pass over the data per EM iteration serves every fit) and titles each
panel with its BIC.
"""

from gaussmix.datasets import make_textbook_blobs
from gaussmix.plotting import plot_covariance_types

X, _ = make_textbook_blobs(1500, random_state=42)

axes = plot_covariance_types(X, 3, random_state=42, n_init=3, s=4)
axes[0].figure.suptitle("The same data under each covariance type")
axes[0].figure.tight_layout()

# %%
# R mclust's fourteen forms
# -------------------------
# mclust writes each covariance as ``Σ_k = λ_k D_k A_k D_kᵀ``: volume λ, shape A and
# orientation D, each Equal (E), Variable (V) or, for shape and orientation, the
# identity (I).  ``covariance_types="mclust"`` draws all fourteen, from EII (one sphere
# for all) to VVV (= ``full``); fewer rows keep the figure light.
few, _ = make_textbook_blobs(400, random_state=42)
axes = plot_covariance_types(few, 3, covariance_types="mclust", random_state=42,
                             n_init=3, s=3)
axes[0].figure.suptitle("mclust's fourteen covariance forms")
axes[0].figure.tight_layout()
