"""Covariance types and their registry.

Eighteen names reach fourteen forms: scikit-learn's four (``'full'``, ``'tied'``,
``'diag'``, ``'spherical'``) and R mclust's fourteen (``'EII'`` ... ``'VVV'``), of which
four are the same forms under mclust's names (:data:`ALIASES`: ``'VVV'`` is ``'full'``,
``'EEE'`` is ``'tied'``, ``'VVI'`` is ``'diag'``, ``'VII'`` is ``'spherical'``, with
scikit-learn's array shapes).

>>> from gaussmix.covariance import get_covariance
>>> get_covariance("diag").shape(3, 2)
(3, 2)
>>> get_covariance("EEE") is get_covariance("tied")
True
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import CovarianceType
from .diag import DiagCovariance
from .full import FullCovariance
from .mclust import MCLUST_FORMS
from .spherical import SphericalCovariance
from .tied import TiedCovariance

__all__ = ["ALIASES", "COVARIANCE_NAMES", "COVARIANCE_TYPES", "MCLUST_NAMES", "SKLEARN_NAMES", "CovarianceType",
           "canonical_name", "expand_covariance_types", "get_covariance"]

#: name -> the one instance of each covariance form (scikit-learn's four and mclust's ten others)
COVARIANCE_TYPES: dict[str, CovarianceType] = {
    cov.name: cov for cov in (FullCovariance(), TiedCovariance(), DiagCovariance(), SphericalCovariance(),
                              *MCLUST_FORMS)
}

#: mclust's names of scikit-learn's four forms
ALIASES: dict[str, str] = {"VVV": "full", "EEE": "tied", "VVI": "diag", "VII": "spherical"}

#: scikit-learn's four names
SKLEARN_NAMES: tuple[str, ...] = ("full", "tied", "diag", "spherical")

#: mclust's fourteen names, in mclust's order (``mclust.options("emModelNames")``)
MCLUST_NAMES: tuple[str, ...] = ("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE", "EEV",
                                 "VEV", "EVV", "VVV")

#: every name ``covariance_type`` accepts
COVARIANCE_NAMES: tuple[str, ...] = SKLEARN_NAMES + MCLUST_NAMES


def canonical_name(name: str) -> str:
    """The registry's name of a form: scikit-learn's for the four it has, mclust's otherwise.

    Examples
    --------
    >>> canonical_name("VVV"), canonical_name("full"), canonical_name("VEV")
    ('full', 'full', 'VEV')
    """
    get_covariance(name)
    return ALIASES.get(name, name)


def get_covariance(name: str) -> CovarianceType:
    """The covariance form registered under ``name`` (any of :data:`COVARIANCE_NAMES`).

    Examples
    --------
    >>> get_covariance("diag").shape(3, 2), get_covariance("VVV").name  # mclust's VVV is 'full'
    ((3, 2), 'full')
    """
    try:
        return COVARIANCE_TYPES[ALIASES.get(name, name)]
    except (KeyError, TypeError):
        raise ValueError(
            f"covariance_type must be one of {list(COVARIANCE_NAMES)}, got {name!r}."
        ) from None


def expand_covariance_types(value: str | Sequence[str]) -> list[str]:
    """A list of covariance-type names, with the groups ``"sklearn"`` (the four) and ``"mclust"`` (the fourteen).

    A single name stands for itself; names are not checked here.

    Examples
    --------
    >>> expand_covariance_types("full")
    ['full']
    >>> expand_covariance_types(["sklearn", "VEV"])
    ['full', 'tied', 'diag', 'spherical', 'VEV']
    >>> len(expand_covariance_types("mclust"))
    14
    """
    groups = {"sklearn": SKLEARN_NAMES, "mclust": MCLUST_NAMES}
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        out.extend(groups[item] if isinstance(item, str) and item in groups else [item])
    return out
