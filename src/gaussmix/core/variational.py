"""Variational Bayesian mixtures: the update that :func:`gaussmix.core.run_em_many` runs for
:class:`gaussmix.BayesianGaussianMixture`.

The model is scikit-learn's ``BayesianGaussianMixture`` (Bishop 2006, ch. 10.2; Blei & Jordan
2006 for the Dirichlet process): a Dirichlet (or stick-breaking Dirichlet-process) prior on the
weights, a Normal-Wishart prior on each component's mean and precision, and a factorised
variational posterior of the same families.  Its iteration is EM's, with other coefficients:

* the **E-step** is the ordinary kernel (:class:`gaussmix.core.EStep`) evaluated at the
  posterior's normalised covariances with the log-weights replaced by
  ``E[log pi_k] - d/2 log nu_k + 1/2 (E[log |Lambda_k|] - d / beta_k)`` (digamma terms):
  the expected log-density is again quadratic in ``x`` (:attr:`MixtureParams.log_weights`);
* the **update** takes the same additive statistics EM sums (``nk``, ``s1``, ``s2``): the
  maximum-likelihood means and regularized covariances of the responsibilities
  (:func:`gaussmix.core.mstep.weights_and_means`, the covariance type's
  ``covariances_from_moments``) are combined with the priors into the posterior's
  parameters (the covariance type's ``wishart_posterior``);
* the **bound** is the evidence lower bound as scikit-learn computes it (up to the constants
  it drops).  Its entropy term ``-sum_i sum_k r_ik log r_ik`` follows from the same statistics:
  ``log r_ik = a_ik - log p_i``, and ``sum_i r_ik a_ik`` is linear in ``nk``, ``s1`` and
  ``s2`` (:meth:`CovarianceType.quadratic_total`), while ``sum_i log p_i`` is the pass's
  log-likelihood.  So sources, Dask, threads, PyTorch and float32 serve it unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, digamma, gammaln

from ..covariance import SKLEARN_NAMES, canonical_name, get_covariance
from .mstep import weights_and_means
from .params import MixtureParams
from .stats import SufficientStats

__all__ = ["PRIOR_TYPES", "VARIATIONAL_FORMS", "Priors", "VariationalState", "VariationalUpdate", "expected_weights",
           "variational_parameters"]

#: the two weight priors scikit-learn offers
PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")

#: the covariance forms with a Normal-Wishart posterior (scikit-learn's four; their mclust aliases too)
VARIATIONAL_FORMS = SKLEARN_NAMES


@dataclass(frozen=True)
class Priors:
    """The priors of a Bayesian mixture, resolved (no ``None`` left).

    ``covariance`` is shaped for the covariance type: ``(d, d)`` full and tied, ``(d,)``
    diag, a float for spherical.
    """

    weight_concentration_prior_type: str
    weight_concentration: float
    mean_precision: float
    mean: np.ndarray
    degrees_of_freedom: float
    covariance: np.ndarray | float


@dataclass(frozen=True, eq=False)
class VariationalState:
    """The variational posterior's parameters (scikit-learn's fitted attributes).

    ``params`` holds what prediction and the E-step need: the expected weights
    (``weights_``), the means, the normalised covariances (``covariances_``), their factors,
    and the E-step's log-weights.
    """

    weight_concentration: np.ndarray | tuple[np.ndarray, np.ndarray]
    mean_precision: np.ndarray
    degrees_of_freedom: np.ndarray | float
    params: MixtureParams


def expected_weights(weight_concentration, prior_type: str) -> np.ndarray:
    """The posterior mean of the weights (scikit-learn's ``weights_``).

    Examples
    --------
    >>> expected_weights(np.array([1.0, 3.0]), "dirichlet_distribution").tolist()
    [0.25, 0.75]
    """
    if prior_type == "dirichlet_process":
        a, b = weight_concentration
        total = a + b
        sticks = a / total * np.hstack((1.0, np.cumprod(b / total)[:-1]))
        return sticks / np.sum(sticks)
    return weight_concentration / np.sum(weight_concentration)


def _expected_log_weights(weight_concentration, prior_type: str) -> np.ndarray:
    if prior_type == "dirichlet_process":
        a, b = weight_concentration
        digamma_sum = digamma(a + b)
        return digamma(a) - digamma_sum + np.hstack((0.0, np.cumsum(digamma(b) - digamma_sum)[:-1]))
    return digamma(weight_concentration) - digamma(np.sum(weight_concentration))


def variational_parameters(covariance_type: str, weight_concentration, mean_precision, means, degrees_of_freedom,
                           covariances, priors: Priors, precisions_cholesky=None) -> VariationalState:
    """The state from the posterior's parameters (factorising ``covariances`` unless the factors are given).

    Used by every update and to rebuild a fitted model (``warm_start``, model files).
    """
    if precisions_cholesky is None:
        params = MixtureParams.from_covariances(covariance_type, expected_weights(weight_concentration,
                                                priors.weight_concentration_prior_type), means, covariances)
    else:
        params = MixtureParams(covariance_type, expected_weights(weight_concentration,
                                                                 priors.weight_concentration_prior_type),
                               np.asarray(means, dtype=np.float64), np.asarray(covariances, dtype=np.float64),
                               np.asarray(precisions_cholesky, dtype=np.float64))
    d = params.n_features
    dof = np.asarray(degrees_of_freedom, dtype=np.float64)
    # E[log |Lambda_k|] (without the log det of the scale, which the kernel adds) and the
    # terms that make the expected log-density the kernel's quadratic with these offsets
    log_lambda = d * math.log(2.0) + np.sum(digamma(0.5 * (dof - np.arange(d)[:, None])), axis=0)
    offsets = -0.5 * d * np.log(dof) + 0.5 * (log_lambda - d / mean_precision)
    log_weights = _expected_log_weights(weight_concentration, priors.weight_concentration_prior_type) + offsets
    params = MixtureParams(params.covariance_type, params.weights, params.means, params.covariances,
                           params.precisions_cholesky, np.asarray(log_weights, dtype=np.float64))
    return VariationalState(weight_concentration, np.asarray(mean_precision, dtype=np.float64),
                            dof if dof.ndim else float(dof), params)


def _log_wishart_norm(dof, log_det_precisions_cholesky, d: int) -> np.ndarray:
    """log B(W, nu) of the Wishart, less the constant in pi (as scikit-learn computes it)."""
    return -(dof * log_det_precisions_cholesky + dof * d * 0.5 * math.log(2.0)
             + np.sum(gammaln(0.5 * (dof - np.arange(d)[:, None])), axis=0))


class VariationalUpdate:
    """The variational iteration of :func:`gaussmix.core.run_em_many` (see the module docstring).

    Parameters
    ----------
    covariance_type : one of scikit-learn's four forms (or its mclust alias)
    priors : Priors
    """

    #: components are never re-seeded: a variational mixture empties the ones it does not need
    reseeds = False

    def __init__(self, covariance_type: str, priors: Priors):
        self.covariance_type = covariance_type
        self.priors = priors
        self._cov = get_covariance(covariance_type)
        if canonical_name(covariance_type) not in VARIATIONAL_FORMS:
            raise ValueError(f"variational mixtures take 'full', 'tied', 'diag' or 'spherical' covariances, "
                             f"got {covariance_type!r}.")

    def e_step_params(self, state: VariationalState) -> MixtureParams:
        return state.params

    def update(self, stats: SufficientStats, state, reg_covar: float, floor: float, where: str):
        """The posterior from statistics: ``(new state, ())`` (nothing is re-seeded)."""
        return self.start(stats, reg_covar, floor), ()

    def start(self, stats: SufficientStats, reg_covar: float, floor: float) -> VariationalState:
        """The posterior given the responsibilities summed in ``stats`` (also the initialization)."""
        p = self.priors
        nk, m, _, xk = weights_and_means(stats, floor)
        sk = self._cov.covariances_from_moments(stats.nk, nk, stats.s1, stats.s2, m, reg_covar)
        if p.weight_concentration_prior_type == "dirichlet_process":
            concentration = (1.0 + nk, p.weight_concentration + np.hstack((np.cumsum(nk[::-1])[-2::-1], 0.0)))
        else:
            concentration = p.weight_concentration + nk
        mean_precision = p.mean_precision + nk
        means = (p.mean_precision * p.mean + nk[:, None] * xk) / mean_precision[:, None]
        covariances, dof = self._cov.wishart_posterior(nk, sk, xk - p.mean, p.mean_precision / mean_precision,
                                                       p.covariance, p.degrees_of_freedom)
        return variational_parameters(self.covariance_type, concentration, mean_precision, means, dof, covariances,
                                      p)

    def bound(self, stats: SufficientStats, state: VariationalState, new: VariationalState) -> float:
        """The evidence lower bound after an update (scikit-learn's ``_compute_lower_bound``).

        ``stats`` are the E-step's under ``state``; ``new`` is the updated posterior.
        """
        cov, p = self._cov, self.priors
        old = state.params
        k, d = old.means.shape
        # -sum_i w_i sum_k r_ik log r_ik, from the statistics (see the module docstring)
        shift = stats.shift if stats.shift.ndim == 2 else stats.shift[None, :]
        quadratic = cov.quadratic_total(stats.nk, stats.s1, stats.s2, old.means - shift, old.precisions_cholesky)
        log_norms = old.log_weights - 0.5 * d * math.log(2 * math.pi) + cov.log_det_cholesky(
            old.precisions_cholesky, k, d)
        expected = float(stats.nk @ log_norms) - 0.5 * quadratic
        entropy = stats.loglik - expected
        # the posterior's normalisers
        dof = np.asarray(new.degrees_of_freedom, dtype=np.float64)
        log_det = cov.log_det_cholesky(new.params.precisions_cholesky, k, d) - 0.5 * d * np.log(dof)
        log_wishart = float(np.sum(_log_wishart_norm(dof, log_det, d)))  # (k,): tied's shared one k times
        if p.weight_concentration_prior_type == "dirichlet_process":
            log_norm_weight = -float(np.sum(betaln(*new.weight_concentration)))
        else:
            wc = new.weight_concentration
            log_norm_weight = float(gammaln(np.sum(wc)) - np.sum(gammaln(wc)))
        return entropy - log_wishart - log_norm_weight - 0.5 * d * float(np.sum(np.log(new.mean_precision)))
