"""gaussmix: Gaussian mixture models fitted by exact, chunked Expectation-Maximization.

>>> import numpy as np
>>> from gaussmix import GaussianMixture
>>> X = np.random.RandomState(0).normal(size=(500, 2))
>>> GaussianMixture(n_components=2, random_state=0).fit(X).weights_.shape
(2,)
"""

from .estimator import GaussianMixture
from .bayesian import BayesianGaussianMixture
from .data import from_chunks, from_file
from .exceptions import (
    ConvergenceWarning,
    CovarianceError,
    EmptyComponentWarning,
    InvalidParameterError,
    InvalidRowsError,
    ModelFileError,
)
from .model_io import load, save
from .outliers import MixtureOutlierDetector
from .selection import GaussianMixtureIC, SelectionResult, select

__version__ = "0.1.0"

__all__ = [
    "BayesianGaussianMixture",
    "ConvergenceWarning",
    "CovarianceError",
    "EmptyComponentWarning",
    "GaussianMixture",
    "GaussianMixtureIC",
    "InvalidParameterError",
    "InvalidRowsError",
    "MixtureOutlierDetector",
    "ModelFileError",
    "SelectionResult",
    "__version__",
    "select",
    "from_chunks",
    "from_file",
    "load",
    "save",
]
