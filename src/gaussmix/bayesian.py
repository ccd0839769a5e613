"""``BayesianGaussianMixture``: variational Bayesian mixtures on the same EM loop and kernel."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from . import _xp
from ._validation import _fail, check_estimator_params
from .core import initial_stats, nk_floor
from .data import ArrayData
from .core.variational import PRIOR_TYPES, VARIATIONAL_FORMS, Priors, VariationalState, VariationalUpdate, variational_parameters
from .covariance import canonical_name
from .covariance._common import check_positive, check_shape, to_float_array
from .covariance._linalg import check_symmetric_positive_definite
from .estimator import _BaseMixture, seeding_rows

__all__ = ["BayesianGaussianMixture"]


class BayesianGaussianMixture(_BaseMixture):
    """Variational Bayesian estimation of a Gaussian mixture: a drop-in for scikit-learn's.

    A Dirichlet-process (stick-breaking) or Dirichlet prior on the weights and a
    Normal-Wishart prior on each component's mean and precision; the posterior is fitted by
    variational inference (Bishop 2006, ch. 10.2; Blei & Jordan 2006).  With a small
    ``weight_concentration_prior`` the components the data do not need get weights of about
    zero, so the number of clusters is found rather than chosen.  From the same
    ``random_state`` and ``init_params`` the fit is scikit-learn's, number for number
    (float64).

    The iteration is EM's loop with a variational update (:mod:`gaussmix.core.variational`):
    the E-step is the same kernel with other coefficients and the update uses the same
    additive statistics, so everything :class:`GaussianMixture` does with data works here
    too: ``sample_weight``, float32 (accurate far from zero), threads (``n_jobs``), file and
    chunk sources, Dask arrays, PyTorch tensors and devices.

    Parameters
    ----------
    n_components : int, default=1
        The most components the posterior may use.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        As for :class:`GaussianMixture` (mclust's aliases 'VVV', 'EEE', 'VVI', 'VII' too).
    tol : float, default=1e-3
        The fit stops when the lower bound (the evidence lower bound, summed over rows)
        changes by less than this.
    reg_covar : float, default=1e-6
        Added to the diagonal of each component's scatter covariance.
    max_iter : int, default=100
    n_init : int, default=1
        Initializations; the one with the highest lower bound is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data', 'hierarchical'}, default='kmeans'
        As for :class:`GaussianMixture`.
    weight_concentration_prior_type : {'dirichlet_process', 'dirichlet_distribution'}, default='dirichlet_process'
    weight_concentration_prior : float > 0, default=None
        The Dirichlet (process) concentration; ``1 / n_components`` when None.  Small values
        empty the unneeded components, large ones spread the weight.
    mean_precision_prior : float > 0, default=None
        How strongly the means are pulled to ``mean_prior`` (1 when None).
    mean_prior : array-like of shape (n_features,), default=None
        The means' prior centre; the data's (weighted) mean when None.
    degrees_of_freedom_prior : float > n_features - 1, default=None
        The Wishart's degrees of freedom; ``n_features`` when None.
    covariance_prior : float or array-like, default=None
        The Wishart's scale: ``(n_features, n_features)`` for 'full' and 'tied',
        ``(n_features,)`` for 'diag', a float for 'spherical'.  When None, the data's
        (weighted) covariance with ``ddof=1`` (its diagonal for 'diag', their mean for
        'spherical').
    random_state : int, RandomState instance or None, default=None
    warm_start : bool, default=False
        If True, each ``fit`` continues from the previous posterior.
    verbose : int, default=0
    verbose_interval : int, default=10
    chunk_size, n_jobs, device
        As for :class:`GaussianMixture`.
    nan_policy : {'raise', 'omit', 'marginalize'}, default='raise'
        As for :class:`GaussianMixture`.  Under 'marginalize' the variational E-step of a row
        integrates its missing values out (they are latent variables of the mean-field
        posterior), the update uses their expected statistics, and the bound includes their
        entropy.  With missing values, the default ``mean_prior`` and ``covariance_prior`` are
        the moments of the rows the seeding rules see (each missing value filled by its
        feature's mean, which shrinks the prior covariance by about the fraction missing;
        of a 100,000-row sample for file and Dask sources).

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        The posterior mean of the weights.
    means_ : ndarray of shape (n_components, n_features)
    covariances_ : ndarray
        The posterior Wishart scale over its degrees of freedom (scikit-learn's
        normalisation), shaped as in :class:`GaussianMixture`.
    precisions_, precisions_cholesky_ : ndarray
        Inverse of ``covariances_`` and its upper Cholesky factors.
    weight_concentration_prior_ : float
    weight_concentration_ : ndarray of shape (n_components,), or a pair of them
        The posterior's Dirichlet parameters ('dirichlet_distribution'), or the Beta
        parameters of the sticks ('dirichlet_process').
    mean_precision_prior_ : float
    mean_precision_ : ndarray of shape (n_components,)
    mean_prior_ : ndarray of shape (n_features,)
    degrees_of_freedom_prior_ : float
    degrees_of_freedom_ : ndarray of shape (n_components,) (a float for 'tied')
    covariance_prior_ : float or ndarray
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
        The evidence lower bound (up to constants) of the best initialization.
    lower_bounds_ : list of float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
    covariance_decomposition_ : CovarianceDecomposition
        As for :class:`GaussianMixture`.

    Notes
    -----
    ``predict_proba``, ``predict`` and ``score_samples`` evaluate the variational E-step
    (expected log-weights and log-densities), as scikit-learn's class does; ``sample`` draws
    from the mixture of the posterior means (``weights_``, ``means_``, ``covariances_``).

    Examples
    --------
    The textbook's example: ten components allowed, three kept.

    >>> import numpy as np
    >>> from gaussmix import BayesianGaussianMixture
    >>> from gaussmix.datasets import make_handson_blobs
    >>> X, _ = make_handson_blobs()
    >>> bgm = BayesianGaussianMixture(n_components=10, n_init=10, max_iter=500, random_state=42).fit(X)
    >>> np.sort(bgm.weights_)[::-1].round(2).tolist()
    [0.4, 0.39, 0.21, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weight_concentration_prior_type: str = "dirichlet_process",
        weight_concentration_prior: float | None = None,
        mean_precision_prior: float | None = None,
        mean_prior=None,
        degrees_of_freedom_prior: float | None = None,
        covariance_prior=None,
        random_state=None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
        chunk_size: int | None = None,
        n_jobs: int | None = None,
        device=None,
        nan_policy: str = "raise",
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weight_concentration_prior_type = weight_concentration_prior_type
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        self.device = device
        self.nan_policy = nan_policy

    # ------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        check_estimator_params(self)
        owner = type(self).__name__
        if canonical_name(self.covariance_type) not in VARIATIONAL_FORMS:
            _fail(owner, "covariance_type", "a str among {'full', 'tied', 'diag', 'spherical'} (or their mclust "
                  "names 'VVV', 'EEE', 'VVI', 'VII'): the variational posterior has no other form",
                  self.covariance_type)
        if self.weight_concentration_prior_type not in PRIOR_TYPES:
            _fail(owner, "weight_concentration_prior_type", "a str among {'dirichlet_distribution', "
                  "'dirichlet_process'}", self.weight_concentration_prior_type)
        for name in ("weight_concentration_prior", "mean_precision_prior", "degrees_of_freedom_prior"):
            value = getattr(self, name)
            if value is not None and not _positive_real(value):
                _fail(owner, name, "a float in the range (0.0, inf) or None", value)
        prior = self.covariance_prior
        if prior is not None and isinstance(prior, numbers.Real) and not _positive_real(prior):
            _fail(owner, "covariance_prior", "an array-like, a float in the range (0.0, inf) or None", prior)

    def _priors(self, data, n_features: int) -> Priors:
        """Resolve the priors (one pass over the data for the defaults) and set the ``*_prior_`` attributes."""
        d = n_features
        weight = 1.0 / self.n_components if self.weight_concentration_prior is None else \
            float(self.weight_concentration_prior)
        mean_precision = 1.0 if self.mean_precision_prior is None else float(self.mean_precision_prior)
        if self.degrees_of_freedom_prior is None:
            dof = float(d)
        elif self.degrees_of_freedom_prior > d - 1.0:
            dof = float(self.degrees_of_freedom_prior)
        else:
            raise ValueError(f"The parameter 'degrees_of_freedom_prior' should be greater than {d - 1}, but got "
                             f"{self.degrees_of_freedom_prior:.3f}.")
        mean = covariance = None
        if self.mean_prior is not None:
            mean = to_float_array(self.mean_prior, "mean_prior").astype(np.float64)
            check_shape(mean, (d,), "mean_prior")
        form = canonical_name(self.covariance_type)
        if self.covariance_prior is not None:
            covariance = _check_covariance_prior(self.covariance_prior, form, d)
        if mean is None or covariance is None:
            data_mean, data_covariance = data_moments(_complete_rows(data))
            mean = data_mean if mean is None else mean
            if covariance is None:
                covariance = {"full": data_covariance, "tied": data_covariance,
                              "diag": np.diag(data_covariance).copy(),
                              "spherical": float(np.mean(np.diag(data_covariance)))}[form]
        self.weight_concentration_prior_ = weight
        self.mean_precision_prior_ = mean_precision
        self.mean_prior_ = mean
        self.degrees_of_freedom_prior_ = dof
        self.covariance_prior_ = covariance
        return self._resolved_priors()

    def _resolved_priors(self) -> Priors:
        return Priors(self.weight_concentration_prior_type, self.weight_concentration_prior_,
                      self.mean_precision_prior_, np.asarray(self.mean_prior_, dtype=np.float64),
                      self.degrees_of_freedom_prior_, self.covariance_prior_)

    # ------------------------------------------------------------ the update
    def _prepare(self, data, n_features: int):
        update = VariationalUpdate(self.covariance_type, self._priors(data, n_features))

        def initial(init_data, rng, start):
            stats = initial_stats(init_data, self.n_components, self.covariance_type, self.init_params, rng, start)
            return update.start(stats, self.reg_covar, nk_floor(init_data.dtype))

        return update, initial

    def _fitted_state(self, n_features: int) -> VariationalState:
        base = _BaseMixture._params(self, n_features)  # the attributes, checked
        concentration = self.weight_concentration_
        concentration = (tuple(_xp.to_numpy(c) for c in concentration) if isinstance(concentration, tuple)
                         else _xp.to_numpy(concentration))
        return variational_parameters(self.covariance_type, concentration, _xp.to_numpy(self.mean_precision_),
                                      base.means, _xp.to_numpy(self.degrees_of_freedom_), base.covariances,
                                      self._resolved_priors(), precisions_cholesky=base.precisions_cholesky)

    def _set_state(self, state: VariationalState, like=None) -> None:
        self._set_params(state.params, like=like)
        self.weight_concentration_ = state.weight_concentration
        self.mean_precision_ = state.mean_precision
        self.degrees_of_freedom_ = state.degrees_of_freedom

    def _params(self, n_features: int):
        """The fitted posterior as the parameters the variational E-step evaluates."""
        return self._fitted_state(n_features).params

    @property
    def n_effective_components_(self) -> int:
        """Components holding at least 1% of the weight (what ``gaussmix inspect`` shows)."""
        return int(np.sum(_xp.to_numpy(self.weights_) >= 0.01))


def _positive_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and np.isfinite(value) \
        and value > 0


def _check_covariance_prior(value, form: str, d: int):
    """The user's ``covariance_prior`` validated for the form (scikit-learn's checks and wording)."""
    if form == "spherical":
        if not _positive_real(value):
            raise ValueError(f"'covariance_prior' must be a float > 0 for covariance_type='spherical', got {value!r}.")
        return float(value)
    array = to_float_array(value, "covariance_prior").astype(np.float64)
    if form == "diag":
        check_shape(array, (d,), f"{form} covariance_prior")
        check_positive(array, f"{form} covariance_prior", form)
        return array
    array = np.atleast_2d(array)
    check_shape(array, (d, d), f"{form} covariance_prior")
    check_symmetric_positive_definite(array[None], f"{form} covariance_prior", form)
    return array


@dataclass(frozen=True)
class _Moments:
    """Count, mean and scatter about the mean of some rows; ``+`` merges two (Chan, Golub & LeVeque 1979).

    Each chunk's scatter is taken about its own mean, so the merge keeps the precision of
    float32 data far from zero, and the result does not depend on a guessed centre.
    """

    n: float
    mean: np.ndarray
    scatter: np.ndarray

    @classmethod
    def of(cls, X, w) -> "_Moments":
        X = _xp.astype(X, np.float64)
        xp = _xp.namespace(X)
        if w is None:
            n = float(X.shape[0])
            mean = xp.sum(X, axis=0) / n
            centred = X - mean
            scatter = centred.T @ centred
        else:
            w = _xp.astype(w, np.float64)
            n = _xp.sum_float64(w)
            mean = (w @ X) / n if n > 0 else xp.sum(X, axis=0) * 0.0
            centred = X - mean
            scatter = (centred * w[:, None]).T @ centred
        return cls(n, _xp.to_host_float64(mean), _xp.to_host_float64(scatter))

    def __add__(self, other: "_Moments") -> "_Moments":
        n = self.n + other.n
        if n == 0:
            return self
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.n / n)
        scatter = self.scatter + other.scatter + np.outer(delta, delta) * (self.n * other.n / n)
        return _Moments(n, mean, scatter)


def _complete_rows(data):
    """``data``, or when it may hold NaN, in-memory rows without any: the rows the seeding rules
    see (:func:`gaussmix.core.missing.rows_for_init`; a sample of file and Dask sources)."""
    policy = getattr(data, "nan_policy", "raise")
    if policy == "raise":
        return data
    if hasattr(data, "host_rows"):
        X, w = data.host_rows(), data.sample_weight
    elif isinstance(data, ArrayData):
        X, w = data.X, data.sample_weight
    else:
        sample = data.init_sample(np.random.RandomState(0))
        X, w = sample.X, sample.sample_weight
    return seeding_rows(ArrayData(np.asarray(X), w), policy)


def data_moments(data) -> tuple[np.ndarray, np.ndarray]:
    """The (weighted) mean and covariance (``ddof=1``; weights as frequencies) of a data source, in one pass.

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix.data import ArrayData
    >>> X = np.random.RandomState(0).normal(size=(100, 2))
    >>> mean, cov = data_moments(ArrayData(X, chunk_rows=30))
    >>> bool(np.allclose(mean, X.mean(0)) and np.allclose(cov, np.cov(X.T)))
    True
    """
    moments = data.reduce(_Moments.of)
    covariance = moments.scatter / (moments.n - 1.0 if moments.n > 1.0 else moments.n)
    return moments.mean, 0.5 * (covariance + covariance.T)
