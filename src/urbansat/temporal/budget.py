r"""Profile terms of the period-total budget: factor amplitudes and profile timing.

Both terms are errors common to every overpass that used the same factor (or the same
local time), so they do not average down with the number of overpasses. Notation: ``W_j``
is the robust-weight share of the overpasses that used factor ``j`` of one kind (hour,
weekday or month; ``sum_j W_j = 1``), ``f_j`` the factor, ``u_j`` its 1-sigma uncertainty
and ``c_j`` the share of the period's (profile-weighted) hours that use factor ``j``:

.. math:: c_j = \frac{1}{N_h} \sum_{h \in \text{period}} f(t_h) \, [j(t_h) = j],
   \qquad \sum_j c_j = 1

(``f`` normalised to mean 1 over the period's ``N_h`` hours).

**Factor amplitudes.** If the source's true factor is ``f_j + d_j`` (``d_j`` independent,
1-sigma ``u_j``), the estimate moves by ``sum_j W_j d_j / f_j`` (relative) while the true
period mean moves by ``sum_j c_j d_j / f_j``; the error is their difference,

.. math:: \left(\frac{\sigma_{\rm fac}}{M}\right)^2
   = \sum_{\rm kinds} \sum_j \left(\frac{u_j (W_j - c_j)}{f_j}\right)^2 .

The ``- c_j`` is what the earlier budget (``sum (W_j u_j / f_j)^2``) left out: a factor
error also changes the truth. It does not depend on how the factors are normalised (a
perturbation renormalised to mean 1 only rescales both by the same number). Overpasses all
at one hour (``W = 1`` at that hour) keep almost the whole hour term plus
``sqrt(sum_j (u_j c_j / f_j)^2) ~ sqrt(sum_j u_j^2) / 24`` from the other hours (6.7 % for
``road_transport``, whose night and rush-hour factors have ``u`` up to 0.54); overpasses
spread over the weekdays or months in proportion to ``c`` leave almost nothing of those
kinds, and a period inside one month has no month term (``W = c = 1``).

**Timing.** The hourly factors are one-hour means in local civil time (the time that
schedules traffic, heating and plant operation, and the time of the TNO / CAMS-REG-TEMPO and
EDGAR hour-of-day tables), applied at an overpass instant. Three independent errors of the
local time the profile applies at, in h (each a mean square about zero):

* **hour bin**, 1/12 h^2 (:data:`HOUR_BIN_VAR_H2`): a one-hour mean equals the continuous
  profile at some instant of its hour, not known within it -- uniform over 1 h, variance
  1 h^2 / 12 (the quantisation variance of a 1 h grid);
* **zone versus meridian**, 1/12 h^2 (:data:`ZONE_VAR_H2`): the zone offset minus
  ``longitude / 15`` is uniform within +-0.5 h for a zone centred on its meridian;
* **daylight saving**, 7/12 h^2 (:data:`DST_VAR_H2`): one hour for about 7 of the 12 months
  (EU: last Sunday of March to last Sunday of October, Directive 2000/84/EC; North America
  about 8), a mean square of 7/12 h^2 about zero when the sign is not assumed.

Given only the longitude (local solar time, the default), all three are unknown:

.. math:: \sigma_t = \sqrt{1/12 + 1/12 + 7/12}\ \mathrm{h} = 0.87\ \mathrm{h}

(:data:`TIMING_SIGMA_H`). Given a named zone (``timezone=``), civil time and daylight saving
are known and only the hour bin is left, ``sigma_t = sqrt(1/12) h = 0.29 h``
(:data:`TIMING_SIGMA_ZONE_H`). (Until issue 17's civil-time generator the solar-time value
was ``sqrt(1/12 + 7/12) h = 0.82 h`` without the hour bin, and a named zone kept it, then
read as the source's own schedule offset. A source's own schedule is not a separate term:
it is a departure from the sector mean shape, which the factors' uncertainty ``u_j``
stands for.) With a common shift
``delta ~ N(0, sigma_t^2)`` of the true profile against the assumed one, the estimate
(weights ``w_k``, ``sum w_k = 1``) is off by
``e(delta) = sum_k w_k f(t_k + delta) / f(t_k) - 1`` while the period mean of a shifted
profile is unchanged (to order ``delta / period``), so

.. math:: \left(\frac{\sigma_{\rm time}}{M}\right)^2
   = \int e(\delta)^2 \, \mathcal{N}(\delta; 0, \sigma_t^2) \, d\delta ,

evaluated on :data:`TIMING_NODES`: 60 shifts at the mid-points of 0.1 sigma_t steps out to
+-3 sigma_t (the hourly factors are steps, so a fine mid-point grid rather than
Gauss-Hermite nodes, which would fall on the hour edges of overpasses at half past). At a
midday overpass this is about 2 % for ``public_power`` (hour factors 1.22, 1.21, 1.21, 1.17,
1.15 for 09-13 h), 4 % for the ``urban`` mix (1.40, 1.28, 1.20, 1.19, 1.22) and 7 % for
``road_transport`` (1.41, 1.24, 1.20, 1.32, 1.44, with the 1.84-1.86 morning rush three hours
earlier).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from urbansat.temporal.profiles import KIND_LENGTH, TemporalProfile

__all__ = [
    "DST_VAR_H2",
    "HOUR_BIN_VAR_H2",
    "TIMING_NODES",
    "TIMING_SIGMA_H",
    "TIMING_SIGMA_ZONE_H",
    "ZONE_VAR_H2",
    "factor_rel_var",
    "period_shares",
    "timing_rel_var",
]

#: Mean square error [h^2] of the instant a one-hour-mean factor applies at: uniform over
#: its hour, 1 h^2 / 12 (module docstring).
HOUR_BIN_VAR_H2: Final = 1.0 / 12.0
#: ... of the zone offset minus longitude / 15: uniform within +-0.5 h, 1 h^2 / 12.
ZONE_VAR_H2: Final = 1.0 / 12.0
#: ... of daylight saving time: 1 h for about 7 of 12 months (EU), 7/12 h^2.
DST_VAR_H2: Final = 7.0 / 12.0
#: 1-sigma uncertainty of the local time the profile applies at [h] when the local time is
#: solar time from longitude: sqrt(1/12 + 1/12 + 7/12) h = 0.866 h (module docstring).
TIMING_SIGMA_H: Final = float(np.sqrt(HOUR_BIN_VAR_H2 + ZONE_VAR_H2 + DST_VAR_H2))
#: ... when it is civil time of a named zone (offset and daylight saving known): the hour
#: bin only, sqrt(1/12) h = 0.289 h.
TIMING_SIGMA_ZONE_H: Final = float(np.sqrt(HOUR_BIN_VAR_H2))
#: Shifts (in units of TIMING_SIGMA_H): mid-points of 0.1 steps over -3..3.
TIMING_NODES: Final = (np.arange(-30, 30) + 0.5) * 0.1
_NS_H: Final = 3_600_000_000_000
_NS_DAY: Final = 24 * _NS_H
_KIND_OFFSET: Final = {"hour": 0, "weekday": 0, "month": 1}


def period_shares(
    p: TemporalProfile,
    calendar: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    f_period: NDArray[np.float64],
) -> tuple[NDArray[np.float64], ...]:
    """Shares ``c_j`` of the period's profile-weighted hours per factor (module docstring).

    Parameters
    ----------
    p : TemporalProfile
        Profile (only used for the kind lengths).
    calendar : (hour, weekday, month) arrays
        Local calendar of the period's hours.
    f_period : ndarray
        Profile at those hours, normalised to mean 1.

    Returns
    -------
    tuple of ndarray
        ``c`` for hour (24), weekday (7) and month (12), each summing to 1.
    """
    _ = p
    n = float(f_period.size)
    return tuple(
        np.bincount(cal - _KIND_OFFSET[kind], weights=f_period, minlength=KIND_LENGTH[kind]) / n
        for kind, cal in zip(KIND_LENGTH, calendar, strict=True)
    )


def factor_rel_var(
    p: TemporalProfile,
    calendar: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    weights: NDArray[np.float64],
    shares: tuple[NDArray[np.float64], ...],
) -> float:
    r"""Relative variance of the period mean from the factors' own uncertainty.

    ``sum_kinds sum_j (u_j (W_j - c_j) / f_j)^2`` (module docstring).

    Parameters
    ----------
    p : TemporalProfile
        Profile with factor uncertainties.
    calendar : (hour, weekday, month) arrays
        Local calendar of the accepted overpasses.
    weights : ndarray
        Robust weights of those overpasses, summing to 1.
    shares : tuple of ndarray
        ``c`` from :func:`period_shares`.

    Returns
    -------
    float
        ``(sigma_fac / M)^2``.
    """
    out = 0.0
    for kind, cal, c in zip(KIND_LENGTH, calendar, shares, strict=True):
        vals, unc = p.factors(kind)
        w = np.bincount(cal - _KIND_OFFSET[kind], weights=weights, minlength=KIND_LENGTH[kind])
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(unc > 0, unc * (w - c) / vals, 0.0)
        out += float(np.sum(term**2))
    return out


def timing_rel_var(
    p: TemporalProfile,
    local_ns: NDArray[np.int64],
    weights: NDArray[np.float64],
    *,
    sigma_h: float = TIMING_SIGMA_H,
) -> float:
    r"""Relative variance of the period mean from a common shift of the profile in time.

    ``int e(delta)^2 N(delta; 0, sigma_t^2) d delta`` with
    ``e(delta) = sum_k w_k f(t_k + delta) / f(t_k) - 1`` (module docstring).

    Parameters
    ----------
    p : TemporalProfile
        Profile.
    local_ns : ndarray of int64
        Local times of the accepted overpasses [ns since 1970, local].
    weights : ndarray
        Robust weights of those overpasses, summing to 1.
    sigma_h : float
        1-sigma timing uncertainty [h].

    Returns
    -------
    float
        ``(sigma_time / M)^2``; 0 for a flat profile or ``sigma_h = 0``.
    """
    if sigma_h <= 0 or p.is_flat or local_ns.size == 0:
        return 0.0
    shift = np.round(TIMING_NODES * sigma_h * _NS_H).astype(np.int64)
    t = local_ns[None, :] + shift[:, None]
    hour = (t // _NS_H) % 24
    day = t // _NS_DAY
    # month of each local day from a small lookup over the days spanned (cheap, exact)
    d0 = int(day.min())
    days = np.arange(d0, int(day.max()) + 1).astype("datetime64[D]")
    month_of_day = days.astype("datetime64[M]").astype(np.int64) % 12
    f = p.hour[hour] * p.weekday[(day + 3) % 7] * p.month[month_of_day[day - d0]]
    f0 = p.hour[(local_ns // _NS_H) % 24] * p.weekday[(local_ns // _NS_DAY + 3) % 7]
    f0 = f0 * p.month[month_of_day[local_ns // _NS_DAY - d0]]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(f0 > 0, f / f0, 1.0)
    e = ratio @ weights - 1.0
    pdf = np.exp(-0.5 * TIMING_NODES**2)
    return float(np.sum(pdf * e**2) / np.sum(pdf))
