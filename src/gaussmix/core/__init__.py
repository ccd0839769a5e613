"""The EM core: parameters, additive statistics, E-step, M-step, initialisation, loop."""

from .em import EMResult, run_em
from .estep import EStep
from .init import INIT_METHODS, initial_params, initial_stats
from .mstep import mstep, nk_floor
from .params import MixtureParams
from .stats import SufficientStats

__all__ = [
    "EMResult",
    "EStep",
    "INIT_METHODS",
    "MixtureParams",
    "SufficientStats",
    "initial_params",
    "initial_stats",
    "mstep",
    "nk_floor",
    "run_em",
]
