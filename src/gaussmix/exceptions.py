"""Exceptions and warnings raised by gaussmix."""

from __future__ import annotations

from sklearn.exceptions import ConvergenceWarning, NotFittedError

__all__ = [
    "ConvergenceWarning",
    "CovarianceError",
    "EmptyComponentWarning",
    "InvalidParameterError",
    "NotFittedError",
]


class InvalidParameterError(ValueError, TypeError):
    """A constructor parameter has a wrong type or value.

    Subclasses both ``ValueError`` and ``TypeError`` (as scikit-learn's parameter
    validation does), so ``except ValueError`` catches it.
    """


class CovarianceError(ValueError):
    """A covariance matrix is not positive definite and cannot be factorised.

    The message names the component and says what to try (raise ``reg_covar``, fewer
    components, another covariance type, scale the data).
    """


class EmptyComponentWarning(UserWarning):
    """A component lost all its mass during EM and was re-seeded.

    Its total responsibility fell below the M-step's floor (see
    :func:`gaussmix.core.nk_floor`): no row belongs to it any more.  Instead of leaving
    it as a point of zero weight, the M-step splits the heaviest component in two along
    its principal axis and gives one half to the empty component (see
    :func:`gaussmix.core.mstep_reseeding`).  The message names the component(s) and the
    iteration.  It usually means that ``n_components`` is larger than the data support
    (e.g. fewer distinct points than components).

    Examples
    --------
    >>> import warnings
    >>> from gaussmix.exceptions import EmptyComponentWarning
    >>> issubclass(EmptyComponentWarning, UserWarning)
    True
    """
