"""Covariance types and their registry.

>>> from gaussmix.covariance import get_covariance
>>> get_covariance("diag").shape(3, 2)
(3, 2)
"""

from __future__ import annotations

from .base import CovarianceType
from .diag import DiagCovariance
from .full import FullCovariance
from .spherical import SphericalCovariance
from .tied import TiedCovariance

__all__ = ["COVARIANCE_TYPES", "CovarianceType", "get_covariance"]

#: name -> the one instance of each covariance type
COVARIANCE_TYPES: dict[str, CovarianceType] = {
    cov.name: cov for cov in (FullCovariance(), TiedCovariance(), DiagCovariance(), SphericalCovariance())
}


def get_covariance(name: str) -> CovarianceType:
    """The covariance type registered under ``name`` ('full', 'tied', 'diag', 'spherical')."""
    try:
        return COVARIANCE_TYPES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"covariance_type must be one of {sorted(COVARIANCE_TYPES)}, got {name!r}."
        ) from None
