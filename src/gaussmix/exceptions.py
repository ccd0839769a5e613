"""Exceptions and warnings raised by gaussmix."""

from __future__ import annotations

from sklearn.exceptions import ConvergenceWarning, NotFittedError

__all__ = [
    "ConvergenceWarning",
    "CovarianceError",
    "EmptyComponentWarning",
    "InvalidParameterError",
    "InvalidRowsError",
    "ModelFileError",
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


class InvalidRowsError(ValueError):
    """Rows hold NaN, infinity or a missing value (and the source refuses them).

    Raised for arrays, DataFrames and tensors given to any method (the message counts the
    rows and names the first), and by file and chunk sources with ``on_invalid="raise"``
    (see :func:`gaussmix.from_file`); ``on_invalid="drop"`` skips such rows instead.

    Attributes
    ----------
    n_invalid : int or None
        How many rows of the source are invalid.
    first_row : int or None
        The 0-based position of the first of them in the source.
    """

    def __init__(self, message: str, *, n_invalid: int | None = None, first_row: int | None = None):
        super().__init__(message)
        self.n_invalid = n_invalid
        self.first_row = first_row


class ModelFileError(ValueError):
    """A model file is not a valid gaussmix model: corrupt, truncated, hostile or of a newer format.

    The message names the file and the problem (see ``gaussmix.load``).
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
