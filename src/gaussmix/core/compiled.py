"""Compiled kernels for the own-centred band of full covariances (optional: numba).

The E-step centres a component much narrower than its distance from the shared shift on
its own mean, on the rows where it can count (its *band*, see :mod:`gaussmix.core.estep`).
With NumPy alone that band costs some sixty array calls per chunk, each a pass over
memory and, on threads, a hand-off of the GIL; in float32, where such components are
common (narrow, rotated clusters), the band was a quarter of a pass.  These kernels do
the same arithmetic in three compiled calls per chunk that release the GIL: one finds
the band (the rounding-bound test of :meth:`EStep._log_prob_t`), one whitens its rows
(one BLAS product per component) and writes their exact log-densities, one sums their
weighted moments.

They need numba (``pip install "gaussmix[fast]"``).  Without it, or with :data:`enabled`
set to False, the E-step runs the same band with NumPy (and always does for tensors);
the two agree to rounding, which the tests check.  The functions are plain Python until
:func:`kernels` compiles them on first use (cached on disk by numba).
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

import numpy as np

#: Use the compiled kernels when numba is installed (tests switch this off to run the NumPy band).
enabled = True

_compiled = None
_lock = threading.Lock()


def kernels() -> SimpleNamespace | None:
    """The compiled kernels (``band_entries``, ``whiten_band``, ``band_moments``), or None when
    numba is not installed or :data:`enabled` is False.

    Examples
    --------
    >>> k = kernels()
    >>> k is None or callable(k.band_entries)
    True
    """
    global _compiled
    if not enabled:
        return None
    if _compiled is None:
        with _lock:
            if _compiled is None:
                _compiled = _compile()
    return _compiled or None


def _compile():
    try:
        import numba
    except ImportError:
        return False
    functions = (band_entries, whiten_band, band_moments)
    try:  # compiled once, then cached on disk beside this file or in the user's cache folder
        jitted = [numba.njit(nogil=True, cache=True)(f) for f in functions]
    except RuntimeError:  # no writable cache location: compile in every process instead
        jitted = [numba.njit(nogil=True)(f) for f in functions]
    return SimpleNamespace(**{f.__name__: j for f, j in zip(functions, jitted)})


def band_entries(log_prob, radius2, bounds, n_shared, level, rows, starts):
    """The rows where each own component can count; returns how many entries there are.

    Parameters
    ----------
    log_prob : array of shape (k, n_rows)
        The shared products' approximations, the own components in the last ``k - n_shared`` rows.
    radius2 : array of shape (n_rows,)
        ``|x - c|^2`` of each row.
    bounds : array of shape (k, 3)
        Each component's rounding bound is ``bounds @ [|x - c|^2, |x - c|, 1]``.
    level : scalar
        The negligible log-responsibility, minus a margin.
    rows : int64 array of shape at least ((k - n_shared) * n_rows,)
        Receives the rows, component after component, each in order.
    starts : int64 array of shape (k - n_shared + 1,)
        Receives where each component's rows start in ``rows`` (and the end).

    A row's floor is its best lower estimate, ``max_j (approx_j - bound_j) + level``; an own
    component counts where its upper estimate ``approx + bound`` reaches the floor.
    """
    k, n = log_prob.shape
    root = np.sqrt(np.abs(radius2))
    floor = np.full(n, -np.inf, dtype=log_prob.dtype)
    for j in range(k):
        b0, b1, b2 = bounds[j, 0], bounds[j, 1], bounds[j, 2]
        for i in range(n):
            lower = log_prob[j, i] - (b0 * radius2[i] + b1 * root[i] + b2)
            if lower > floor[i]:
                floor[i] = lower
    for i in range(n):
        floor[i] += level
    count = 0
    for own in range(k - n_shared):
        starts[own] = count
        j = n_shared + own
        b0, b1, b2 = bounds[j, 0], bounds[j, 1], bounds[j, 2]
        for i in range(n):
            if log_prob[j, i] + (b0 * radius2[i] + b1 * root[i] + b2) >= floor[i]:
                rows[count] = i
                count += 1
    starts[k - n_shared] = count
    return count


def whiten_band(X, rows, starts, centres, factors, residuals, constants, n_shared, log_prob, centred, whitened):
    """Whiten the band's rows and write their exact log-densities into ``log_prob``.

    For component ``o`` and each of its rows ``i`` (``rows[starts[o]:starts[o + 1]]``), entry ``e``:
    ``whitened[e] = U_o'(x_i - c_o) - r_o`` (``centres`` the means rounded to the dtype,
    ``residuals`` the whitened rounding), one BLAS product per component, and
    ``log_prob[n_shared + o, i] = constants[o] - |whitened[e]|^2 / 2`` (the sum of squares in
    float64).  ``centred`` is a work array shaped like ``whitened``, ``(entries, d)`` or more.
    """
    n_own, d = centres.shape
    for own in range(n_own):
        s, t = starts[own], starts[own + 1]
        if t == s:
            continue
        for e in range(s, t):
            i = rows[e]
            for a in range(d):
                centred[e, a] = X[i, a] - centres[own, a]
        np.dot(centred[s:t], factors[own], whitened[s:t])
        j = n_shared + own
        for e in range(s, t):
            total = 0.0
            for a in range(d):
                y = whitened[e, a] - residuals[own, a]
                whitened[e, a] = y
                total += np.float64(y) * y
            log_prob[j, rows[e]] = constants[own] - 0.5 * total


def band_moments(whitened, rows, starts, n_shared, resp, weighted, mass, first, second):
    """Add the band's weighted whitened moments to ``mass`` (n_own,), ``first`` (n_own, d) and
    ``second`` (n_own, d, d), all float64.

    ``resp`` (k, n_rows) holds the (weighted) responsibilities; ``weighted`` is a work array
    shaped like ``whitened``.  Mass and first moments are summed in float64, the second moments
    by one BLAS product per component in the rows' dtype (their rows are whitened: well scaled).
    """
    d = whitened.shape[1]
    for own in range(starts.shape[0] - 1):
        s, t = starts[own], starts[own + 1]
        if t == s:
            continue
        j = n_shared + own
        total = 0.0
        for e in range(s, t):
            w = resp[j, rows[e]]
            total += w
            for a in range(d):
                weighted[e, a] = whitened[e, a] * w
                first[own, a] += weighted[e, a]
        mass[own] += total
        block = np.dot(weighted[s:t].T, whitened[s:t])
        for a in range(d):
            for b in range(d):
                second[own, a, b] += block[a, b]
