"""The interface every covariance type implements.

A covariance type knows four things and nothing else:

* how its parameters are shaped and counted,
* how to turn covariances into Cholesky factors of the precisions (and back),
* the E-step piece: squared Mahalanobis distances of a chunk of centred rows,
* the M-step piece: which second moments a chunk contributes, and how the summed
  moments become covariances.

The EM loop, the statistics and the estimator never branch on the type's name; they
ask the registry (:func:`gaussmix.covariance.get_covariance`) for the object.

Conventions shared by all types
-------------------------------
``precisions_cholesky`` follows scikit-learn: for each component an *upper*
triangular ``U`` with ``precision = U @ U.T`` (full, tied), or the square root of the
precisions (diag, spherical).  Data handed to the E-step and to the moment
computations are already centred on the iteration's shift ``c``; the means they see
are ``means - c``.  Moments come back as float64 whatever the data's dtype.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

__all__ = ["CovarianceType", "ill_defined_message"]


def ill_defined_message(what: str | None, dtype: np.dtype | None = None) -> str:
    """The error text used when a covariance is not positive definite.

    ``what`` names the culprit, e.g. ``"component 2"``; ``None`` for unknown.
    """
    who = "some components have" if what is None else f"{what} has"
    msg = (
        f"Fitting the mixture model failed because {who} an ill-defined empirical "
        "covariance (for instance caused by singleton or collapsed samples). Try to "
        "decrease the number of components, increase reg_covar, use another "
        "covariance_type, or scale the input data."
    )
    if dtype is not None and np.dtype(dtype) == np.float32:
        msg += " The numerical accuracy can also be improved by passing float64 data."
    return msg


class CovarianceType(ABC):
    """One covariance structure of a Gaussian mixture (see module docstring)."""

    #: the public name, as passed in ``covariance_type``
    name: str = ""

    # ------------------------------------------------------------------ shapes
    @abstractmethod
    def shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        """Shape of ``covariances_`` / ``precisions_`` / ``precisions_cholesky_``."""

    def moment_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        """Shape of the second-moment statistic ``s2`` (defaults to :meth:`shape`)."""
        return self.shape(n_components, n_features)

    @abstractmethod
    def n_parameters(self, n_components: int, n_features: int) -> int:
        """Number of free parameters of the covariances alone."""

    # ----------------------------------------------------------- factorisation
    @abstractmethod
    def precisions_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        """Cholesky factors of the precisions from covariances.

        Raises
        ------
        CovarianceError
            If a covariance is not positive definite; the message names the component.
        """

    @abstractmethod
    def precisions_cholesky_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        """Cholesky factors from precision matrices (used for ``precisions_init``)."""

    @abstractmethod
    def precisions(self, precisions_cholesky: np.ndarray) -> np.ndarray:
        """Precisions from their Cholesky factors."""

    @abstractmethod
    def covariances_from_cholesky(self, precisions_cholesky: np.ndarray) -> np.ndarray:
        """Covariances from the Cholesky factors of the precisions."""

    @abstractmethod
    def log_det_cholesky(self, precisions_cholesky: np.ndarray, n_components: int, n_features: int) -> np.ndarray:
        """``log det(U)`` per component, shape ``(n_components,)``.

        Equal to ``-0.5 * log det(covariance)``.
        """

    @abstractmethod
    def check_precisions(self, precisions: np.ndarray, n_components: int, n_features: int) -> np.ndarray:
        """Validate user precisions (shape, symmetry, positive definiteness)."""

    # ------------------------------------------------------------------ E-step
    @abstractmethod
    def prepare(self, means_c: np.ndarray, precisions_cholesky: np.ndarray, dtype: np.dtype) -> Any:
        """Per-iteration constants for :meth:`squared_mahalanobis`, cast to ``dtype``."""

    @abstractmethod
    def squared_mahalanobis(self, Xc: np.ndarray, prepared: Any) -> np.ndarray:
        """Squared Mahalanobis distance of each centred row to each mean.

        Parameters
        ----------
        Xc : ndarray of shape (n_rows, n_features)
            Rows minus the shift.
        prepared : object
            What :meth:`prepare` returned.

        Returns
        -------
        ndarray of shape (n_rows, n_components), in ``Xc.dtype``.
        """

    # ------------------------------------------------------------------ M-step
    @abstractmethod
    def second_moment(self, Xc: np.ndarray, wresp: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        """This chunk's ``s2`` (float64), from centred rows and weighted responsibilities.

        ``wresp[i, k] = w_i * r_ik``; ``weights`` are the row weights ``w_i`` (``None``
        for all ones), which tied covariances use since the responsibilities of a row
        sum to one.
        """

    @abstractmethod
    def covariances_from_moments(
        self,
        nk: np.ndarray,
        nk_reg: np.ndarray,
        s1: np.ndarray,
        s2: np.ndarray,
        m: np.ndarray,
        reg_covar: float,
    ) -> np.ndarray:
        """Covariances (float64) from summed moments.

        Parameters
        ----------
        nk : (n_components,) summed weighted responsibilities.
        nk_reg : (n_components,) ``nk`` plus a tiny floor that keeps divisions finite.
        s1 : (n_components, n_features) first moments about the shift.
        s2 : second moments about the shift, :meth:`moment_shape`.
        m : (n_components, n_features) ``s1 / nk_reg``: the new means minus the shift.
        reg_covar : added to the diagonal.
        """

    # ---------------------------------------------------------------- sampling
    @abstractmethod
    def sample(
        self,
        rng: np.random.RandomState,
        means: np.ndarray,
        covariances: np.ndarray,
        counts: np.ndarray,
    ) -> np.ndarray:
        """Draw ``counts[k]`` rows from component ``k``, stacked in component order."""

    def __repr__(self) -> str:
        return f"<covariance type {self.name!r}>"

    def __reduce__(self):  # registry singletons pickle by name
        from . import get_covariance

        return (get_covariance, (self.name,))
