"""Exceptions and warnings raised by gaussmix."""

from __future__ import annotations

from sklearn.exceptions import ConvergenceWarning, NotFittedError

__all__ = ["ConvergenceWarning", "CovarianceError", "InvalidParameterError", "ModelFileError", "NotFittedError"]


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


class ModelFileError(ValueError):
    """A model file is not a valid gaussmix model: corrupt, truncated, hostile or of a newer format.

    The message names the file and the problem (see ``gaussmix.load``).
    """
