"""Stepwise online EM (Cappé & Moulines, 2009) on the same additive statistics.

The state is a running average ``S`` of per-row statistics (normalised by the batch's
total weight).  For batch ``t = 0, 1, 2, ...``, with statistics ``s_t`` computed under the
current parameters (the usual E-step)::

    S <- (1 - eta_t) * S + eta_t * s_t / n_t,     eta_t = (t + offset) ** (-decay),  eta_0 = 1
    params <- mstep(S)

``decay`` in (0.5, 1] makes ``sum eta_t`` diverge and ``sum eta_t**2`` converge (the
stochastic-approximation conditions); smaller ``decay`` forgets the early, poor
parameters faster, larger ``decay`` averages more noise away; ``offset >= 0`` damps the
first steps.  All statistics are kept about one fixed shift (the first batch's), so the
blend is a plain weighted sum in float64, also for float32 data.
"""

from __future__ import annotations

from .stats import SufficientStats


def step_size(t: int, decay: float, offset: float) -> float:
    """``eta_t = (t + offset) ** -decay`` for ``t >= 1``; ``1`` for the first batch.

    Examples
    --------
    >>> step_size(0, 0.6, 2.0), round(step_size(2, 0.5, 2.0), 3)
    (1.0, 0.5)
    """
    return 1.0 if t == 0 else min(1.0, float(t + offset) ** (-decay))


def blend(running: SufficientStats | None, batch: SufficientStats, eta: float) -> SufficientStats:
    """``(1 - eta) * running + eta * batch / batch.n``, about the same shift.

    Examples
    --------
    >>> import numpy as np
    >>> from gaussmix.covariance import get_covariance
    >>> X, resp = np.array([[1.0], [3.0]]), np.ones((2, 1))
    >>> batch = SufficientStats.from_responsibilities(get_covariance("diag"), X, resp, None, np.zeros(1))
    >>> blend(None, batch, 1.0).s1.tolist()
    [[2.0]]
    """
    if running is not None and not (running.shift == batch.shift).all():
        raise ValueError("Online statistics must be computed about the running statistics' shift.")
    a = eta / batch.n

    def mix(old, new):
        return a * new if running is None else (1.0 - eta) * old + a * new

    return SufficientStats(
        batch.shift,
        mix(None if running is None else running.n, batch.n),
        mix(None if running is None else running.nk, batch.nk),
        mix(None if running is None else running.s1, batch.s1),
        mix(None if running is None else running.s2, batch.s2),
        mix(None if running is None else running.loglik, batch.loglik),
    )
