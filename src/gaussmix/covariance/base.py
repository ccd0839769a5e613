"""The interface every covariance type implements.

A covariance type knows four things and nothing else:

* how its parameters are shaped and counted,
* how to turn covariances into Cholesky factors of the precisions (and back),
* the E-step piece: the quadratic features of a centred row and their coefficients
  (the log-density is linear in them),
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
import numpy as np

__all__ = ["CovarianceType", "ill_defined_message"]


def ill_defined_message(what: str | None, dtype: np.dtype | None = None) -> str:
    """The error text used when a covariance is not positive definite.

    ``what`` names the culprit, e.g. ``"component 2"``; ``None`` for unknown.
    """
    msg = (
        "Fitting the mixture model failed because some components have ill-defined empirical "
        "covariance (for instance caused by singleton or collapsed samples). Try to decrease the "
        "number of components, increase reg_covar, or scale the input data."
    )
    if what is not None:
        msg += f" Here {what} has an ill-defined empirical covariance."
    msg += " Trying another covariance_type may also help."
    if dtype is not None and np.dtype(dtype) == np.float32:
        msg += " The numerical accuracy can also be improved by passing float64 data."
    return msg


class CovarianceType(ABC):
    """One covariance structure of a Gaussian mixture (see module docstring).

    Examples
    --------
    >>> from gaussmix.covariance import get_covariance
    >>> tied = get_covariance("tied")
    >>> isinstance(tied, CovarianceType), tied.shape(4, 3), tied.n_parameters(4, 3)
    (True, (3, 3), 6)"""

    #: the public name, as passed in ``covariance_type``
    name: str = ""

    # ------------------------------------------------------------------ shapes
    @abstractmethod
    def shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        """Shape of ``covariances_`` / ``precisions_`` / ``precisions_cholesky_``."""

    def moment_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        """Shape of the second-moment statistic ``s2`` (defaults to :meth:`shape`)."""
        return self.shape(n_components, n_features)

    def identity(self, n_components: int, n_features: int) -> np.ndarray:
        """Covariances of this type that are all the identity (so are their precisions and factors).

        Examples
        --------
        >>> from gaussmix.covariance import get_covariance
        >>> get_covariance("diag").identity(2, 3).tolist()
        [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
        """
        return np.ones(self.shape(n_components, n_features))

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

    # ----------------------------------------------------- E-step and M-step
    # The log-density of a component is linear in a few features of the centred row
    # ``x``: quadratic ones (the type decides which), ``x`` itself and 1:
    #
    #     -0.5 (x - m)' P (x - m) = -0.5 sum_f c_f q_f(x) + (P m)' x - 0.5 m' P m
    #
    # so one matrix product of the "design" [q(x); x; 1] with a (k, p) coefficient
    # matrix gives every component's log-density, and one product of the
    # responsibilities with the same design gives every statistic.  See
    # :mod:`gaussmix.core.kernel`.
    @abstractmethod
    def n_quadratic(self, n_features: int) -> int:
        """Number of quadratic features ``q`` per row."""

    @abstractmethod
    def quadratic_features(self, XcT: np.ndarray, out: np.ndarray) -> None:
        """Fill ``out`` (q, n_rows) with the quadratic features of centred rows ``XcT`` (d, n_rows).

        ``XcT`` and ``out`` are NumPy arrays or tensors of one other library (PyTorch), on
        one device: implementations use :mod:`gaussmix._xp` for anything beyond operators.
        """

    @abstractmethod
    def quadratic_coefficients(self, precisions_cholesky: np.ndarray, n_components: int,
                               n_features: int) -> np.ndarray:
        """``c`` of shape (n_components, q) with ``x' P_k x = sum_f c[k, f] q_f(x)``."""

    @abstractmethod
    def precision_dot(self, means_c: np.ndarray, precisions_cholesky: np.ndarray) -> np.ndarray:
        """``P_k m_k`` for each component, shape (n_components, n_features)."""

    def row_quadratic_factor(self, precisions_cholesky: np.ndarray) -> np.ndarray | None:
        """For a quadratic form shared by every component (tied): ``U`` with ``x' P x = |U' x|^2``.

        ``None`` (the default) when each component has its own quadratic features.
        """
        return None

    @abstractmethod
    def second_moment(self, quadratic_moments: np.ndarray, XcT: np.ndarray,
                      weights: np.ndarray | None) -> np.ndarray:
        """A chunk's ``s2`` (float64, :meth:`moment_shape`).

        Parameters
        ----------
        quadratic_moments : ndarray of shape (n_components, q), float64
            ``sum_i w_i r_ik q_f(x_i)``: the responsibilities times the quadratic features.
        XcT : ndarray or tensor of shape (n_features, n_rows)
            The centred rows (used by tied, whose scatter needs only the row weights).
        weights : ndarray or tensor of shape (n_rows,) or None, in ``XcT``'s library.
        """

    def wishart_posterior(self, nk: np.ndarray, sk: np.ndarray, diff: np.ndarray, shrink: np.ndarray,
                          covariance_prior, degrees_of_freedom_prior: float):
        """The variational posterior of the precisions (Bishop 2006, 10.62-10.63, as scikit-learn).

        Parameters
        ----------
        nk : (n_components,) the components' masses (floored).
        sk : covariances of this type: each component's scatter over its mass, plus ``reg_covar``.
        diff : (n_components, n_features) the components' data means minus the mean prior.
        shrink : (n_components,) ``mean_precision_prior / mean_precision_k``.
        covariance_prior : the Wishart scale prior, shaped for this type.
        degrees_of_freedom_prior : float

        Returns
        -------
        covariances : this type's shape: the posterior scale over its degrees of freedom
            (scikit-learn's normalised ``covariances_``).
        degrees_of_freedom : (n_components,), or a float for a shared (tied) precision.
        """
        raise NotImplementedError(f"covariance type {self.name!r} has no variational posterior")

    def quadratic_total(self, nk: np.ndarray, s1: np.ndarray, s2: np.ndarray, offsets: np.ndarray,
                        precisions_cholesky: np.ndarray) -> float:
        """``sum_i w_i sum_k r_ik (x_i - c - o_k)' P_k (x_i - c - o_k)`` from the moments about ``c`` (float64).

        With ``o_k = means_k - c`` this is the responsibilities' expected Mahalanobis term of
        the component log-densities: the expected complete-data log-likelihood (and so a
        variational bound's entropy term) follows from the statistics without another pass.

        Parameters
        ----------
        nk, s1, s2 : the statistics (``s2`` of :meth:`moment_shape`), about ``c``.
        offsets : ndarray of shape (n_components, n_features)
        precisions_cholesky : the factors the E-step used.
        """
        raise NotImplementedError(f"covariance type {self.name!r} has no quadratic_total")

    @abstractmethod
    def covariances_from_moments(
        self,
        nk: np.ndarray,
        nk_reg: np.ndarray,
        s1: np.ndarray,
        s2: np.ndarray,
        m: np.ndarray,
        reg_covar: float,
        start: np.ndarray | None = None,
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
        start : the previous covariances of this type, optional.  Forms whose M-step
            iterates and may have several optima (mclust's VEE, EVE, VVE) also start from
            them, so that the step never ends worse than where EM stood; the others ignore it.
        """

    # A component "centred on its own mean" (see :class:`gaussmix.core.EStep`) is evaluated
    # directly: its rows minus its centre ``c``, whitened by its precision factor
    # (``y = U'(x - c)``, well scaled in every direction), and its second moment summed from
    # the whitened rows and mapped back, instead of through the shared quadratic features.
    @abstractmethod
    def whiten_rows(self, centred, precisions_cholesky):
        """``Y`` (n, n_rows, d) with ``|y|^2 = (x - c)' P (x - c)`` for stacked centred rows (n, n_rows, d).

        ``precisions_cholesky`` holds the ``n`` components' factors (full: ``(n, d, d)``; diag:
        ``(n, d)``; spherical: ``(n,)``), in the library, device and dtype of ``centred``.
        """

    @abstractmethod
    def whitened_moments(self, Y, weighted):
        """Second moments of stacked whitened rows, in the layout :meth:`unwhiten` takes.

        ``Y`` (n, n_rows, d) and ``weighted`` the same times the rows' (weighted)
        responsibilities; computed in their dtype and library.
        """

    @abstractmethod
    def unwhitening(self, precisions_cholesky: np.ndarray):
        """What :meth:`unwhiten` needs of some components' factors (float64, computed once per E-step)."""

    @abstractmethod
    def unwhiten(self, s1_y: np.ndarray, s2_y: np.ndarray, unwhitening) -> tuple[np.ndarray, np.ndarray]:
        """``(s1, s2)`` about the centres from whitened ``sum r y`` and :meth:`whitened_moment` (float64).

        Stacked over components: ``s1_y`` (n, n_features), ``s2_y`` (n, ...).
        """

    @abstractmethod
    def moments_about(self, nk: np.ndarray, s1: np.ndarray, s2: np.ndarray, offset: np.ndarray):
        """``(s1, s2)`` about ``c - offset`` from those about the centres ``c`` (float64, stacked).

        ``x - (c - offset) = (x - c) + offset``: exact algebra, whose cancellation float64 bears.
        """

    @abstractmethod
    def moments_from_dense(self, s2_dense: np.ndarray) -> np.ndarray:
        """This type's ``s2`` (:meth:`moment_shape`) from every component's full second moments.

        ``s2_dense`` (n_components, n_features, n_features), float64: the moments of rows whose
        second moments are not products of a row with itself (expected moments of rows with
        missing values, see :mod:`gaussmix.core.missing`).
        """

    @abstractmethod
    def split(self, covariances: np.ndarray, k: int, j: int, reg_covar: float,
              n_features: int) -> tuple[np.ndarray, np.ndarray]:
        """Split component ``k`` in two along its principal axis, the second half going to ``j``.

        Used to re-seed a component ``j`` that lost all its mass (see
        :func:`gaussmix.core.mstep_reseeding`).  The halves' means are ``mu_k - offset`` and
        ``mu_k + offset`` with ``offset = sqrt(2 / pi * e) v``, where ``v`` is the
        principal axis of component ``k`` and ``e`` the variance along it in excess of
        ``reg_covar``; their covariance is component ``k``'s minus ``2 / pi * e v v'``, so
        the two halves together have component ``k``'s mean and covariance (a Gaussian
        cut in two at its mean).  Deterministic: no random numbers.

        Returns
        -------
        offset : ndarray of shape (n_features,)
        covariances : ndarray, a new array with ``k`` and ``j`` both set to the halves'
            covariance (tied: unchanged).
        """

    @abstractmethod
    def dense(self, covariances: np.ndarray, n_components: int, n_features: int) -> np.ndarray:
        """Every component's covariance as a full matrix, shape (n_components, n_features, n_features)."""

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
