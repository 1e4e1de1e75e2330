r"""Asymmetric confidence intervals of an emission whose wind error is multiplicative.

Every flux method is linear in the wind speed, ``Q_est = (U_rep / U_true) Q_true + e``.
When the reported wind ``U_rep`` scatters around the true wind with a relative error
``r = sigma_U / U`` (a measurement error, as ERA5 or COSMO winds have), the estimate
scales with ``f = U_rep / U_true ~ N(1, r^2)``, so the truth is ``Q_true = (Q_est - e) / f``:
a ratio. A low draw of ``f`` (the wind under-reported) gives an estimate far below the
truth in units of a symmetric sigma ``r |Q_est|``, which is why a symmetric Gaussian
budget undercovers on the high side while it overcovers on the low side.

The honest interval is Fieller's (1954) confidence set of a ratio: the values ``q`` of
the true emission for which the observed estimate is within ``z`` standard deviations,

.. math::

    (Q_{est} - q)^2 \le z^2 \left(r^2 q^2 + \sigma_o^2\right),

with ``sigma_o`` the quadrature sum of the additive terms (retrieval, background,
model). Its bounds are the roots of
``(1 - z^2 r^2) q^2 - 2 Q_est q + Q_est^2 - z^2 sigma_o^2 = 0``:

.. math::

    q_\pm = \frac{Q_{est} \pm z \sqrt{\sigma_o^2 (1 - z^2 r^2) + r^2 Q_{est}^2}}
                  {1 - z^2 r^2}.

With ``r = 0`` they are ``Q_est -+ z sigma_o``; with ``sigma_o = 0`` they are
``Q_est / (1 +- z r)``. When ``z r >= 1`` (a wind error of 50 % or more at 2 sigma) the
set is unbounded above and the upper bound is ``+inf``: the data cannot exclude any
large emission. The set is symmetric under ``(Q_est, q) -> (-Q_est, -q)``; a negative
estimate (noise on a weak source) gets the mirrored interval, unbounded below when
``z r >= 1``.

References
----------
Fieller, E. C. (1954). Some problems in interval estimation. J. R. Stat. Soc. B 16, 175-185.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["emission_interval"]


def emission_interval(
    emission: ArrayLike, sigma_additive: ArrayLike, wind_rel_sigma: ArrayLike, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the central ``z``-sigma interval of the true emission.

    Parameters
    ----------
    emission : array_like
        Estimated emission ``Q_est`` [any unit, e.g. kg s-1].
    sigma_additive : array_like
        1-sigma of the additive error terms combined in quadrature ``sigma_o`` [same unit].
    wind_rel_sigma : array_like
        Relative 1-sigma wind-speed error ``r = sigma_U / U`` [1].
    z : float
        Number of standard deviations (1 for the 68.27 %, 2 for the 95.45 % interval).

    Returns
    -------
    (low, high) : tuple of numpy.ndarray
        Bounds [unit of ``emission``]; NaN where an input is NaN; where ``z r >= 1``
        ``high = +inf`` for ``Q_est > 0`` and ``low = -inf`` for ``Q_est < 0`` (both
        for ``Q_est = 0``). The interval always contains ``Q_est``.

    Examples
    --------
    >>> lo, hi = emission_interval(10.0, 0.0, 0.2, 2.0)
    >>> float(lo), float(hi)  # 10 / 1.4 and 10 / 0.6
    (7.142857142857143, 16.666666666666668)
    """
    q = np.asarray(emission, float)
    so = np.abs(np.asarray(sigma_additive, float))
    r = np.abs(np.asarray(wind_rel_sigma, float))
    q, so, r = np.broadcast_arrays(q, so, r)
    a = 1.0 - (z * r) ** 2
    # quarter discriminant of a q^2 - 2 Q q + Q^2 - z^2 so^2 = 0; >= 0 whenever a > 0
    disc = z**2 * (so**2 * a + (r * q) ** 2)
    root = np.sqrt(np.maximum(disc, 0.0))
    # The set is symmetric under (Q, q) -> (-Q, -q): solve for |Q| and mirror negative
    # estimates, so a negative estimate gets the branch that holds it (f > 0: the truth has
    # the sign of the estimate less its additive error), not the positive one.
    qa = np.abs(q)
    with np.errstate(invalid="ignore", divide="ignore"):
        # (|Q| - root) / a is the lower bound for a > 0 and, for a < 0 (set unbounded above),
        # the larger root, where the branch holding |Q| starts; a = 0 is linear
        low = np.where(
            a != 0, (qa - root) / np.where(a != 0, a, 1.0), (qa**2 - (z * so) ** 2) / (2 * qa)
        )
        low = np.where((a <= 0) & ((disc < 0) | (qa == 0)), -np.inf, low)
        high = np.where(a > 0, (qa + root) / np.where(a > 0, a, 1.0), np.inf)
    neg = q < 0
    low, high = np.where(neg, -high, low), np.where(neg, -low, high)
    nan = ~(np.isfinite(q) & np.isfinite(so) & np.isfinite(r))
    return np.where(nan, np.nan, low), np.where(nan, np.nan, high)
