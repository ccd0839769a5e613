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

    Examples
    --------
    >>> from gaussmix import GaussianMixture, InvalidParameterError
    >>> try:
    ...     GaussianMixture(n_components=0).fit([[0.0], [1.0]])
    ... except InvalidParameterError as error:
    ...     print(error)
    The 'n_components' parameter of GaussianMixture must be an int in the range [1, inf). Got 0 instead.
    >>> issubclass(InvalidParameterError, ValueError)
    True
    """


class CovarianceError(ValueError):
    """A covariance matrix is not positive definite and cannot be factorised.

    The message names the component and says what to try (raise ``reg_covar``, fewer
    components, another covariance type, scale the data).

    Examples
    --------
    Two components on two points, repeated, without regularization: each component
    collapses onto one point.

    >>> import numpy as np
    >>> from gaussmix import CovarianceError, GaussianMixture
    >>> X = np.r_[np.zeros((10, 2)), np.ones((10, 2))]
    >>> try:
    ...     GaussianMixture(2, reg_covar=0.0, random_state=0).fit(X)
    ... except CovarianceError as error:
    ...     print(str(error)[:60], "...")
    Fitting the mixture model failed because some components hav ...
    >>> GaussianMixture(2, random_state=0).fit(X).converged_  # the default reg_covar=1e-6
    True
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

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix import GaussianMixture, InvalidRowsError
    >>> X = np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 4.0], [5.0, 5.0]])
    >>> try:
    ...     GaussianMixture(1).fit(X)
    ... except InvalidRowsError as error:
    ...     print(error.n_invalid, error.first_row)
    1 1
    >>> GaussianMixture(1, nan_policy="omit").fit(X).n_omitted_  # or skip such rows
    1
    """

    def __init__(self, message: str, *, n_invalid: int | None = None, first_row: int | None = None):
        super().__init__(message)
        self.n_invalid = n_invalid
        self.first_row = first_row


class ModelFileError(ValueError):
    """A model file is not a valid gaussmix model: corrupt, truncated, hostile or of a newer format.

    The message names the file and the problem (see ``gaussmix.load``).

    Examples
    --------
    >>> import os, tempfile
    >>> import gaussmix
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.gmm")
    >>> with open(path, "w") as f:
    ...     _ = f.write("not a model")
    >>> try:
    ...     gaussmix.load(path)
    ... except gaussmix.ModelFileError as error:
    ...     print(error)  # doctest: +ELLIPSIS
    Model file '...notes.gmm' is not a gaussmix model (not a zip archive); is it the right file?
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
