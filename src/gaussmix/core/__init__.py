"""The EM core: parameters, additive statistics, E-step, M-step, initialisation, loop."""

from .em import MAXIMUM_LIKELIHOOD, EMResult, MaximumLikelihood, StatsBundle, reduce_many, run_em, run_em_many
from .estep import EStep
from .init import INIT_METHODS, initial_params, initial_stats
from .mstep import empty_components, mstep, mstep_reseeding, nk_floor, reseed_empty
from .params import MixtureParams, information_criteria, n_free_parameters
from .stats import SufficientStats

__all__ = [
    "EMResult",
    "MAXIMUM_LIKELIHOOD",
    "MaximumLikelihood",
    "EStep",
    "INIT_METHODS",
    "MixtureParams",
    "information_criteria",
    "n_free_parameters",
    "SufficientStats",
    "initial_params",
    "initial_stats",
    "empty_components",
    "mstep",
    "mstep_reseeding",
    "reseed_empty",
    "nk_floor",
    "StatsBundle",
    "reduce_many",
    "run_em",
    "run_em_many",
]
