"""Seeded synthetic emission years with known truth for :func:`urbansat.period_totals`.

The truth is a function of continuous time,

    E(t) = E0 f_true(t) (1 + A cos(2 pi (t - t0 - t_peak) / (t1 - t0))) (1 + e_day),

with ``f_true(t) = H[h(t)] D[d(t)] M[m(t)]`` the named profile's factors at the *local time*
of ``t`` (``h`` the local hour containing ``t``, ``d`` the local weekday, ``m`` the local
month: the convention of :mod:`urbansat.temporal.profiles`, where ``H[h]`` is the factor of
the local hour ``[h, h+1)``), perturbed once per seed by their stated 1-sigma uncertainties
(so the profile term of the budget is exercised); ``A`` the seasonal amplitude with a random
peak ``t_peak`` in the year ``[t0, t1)``; ``e_day ~ N(0, day_noise)`` one deviation per UTC
day.

Local time is **civil time** of ``time_zone`` (default ``"Europe/Berlin"``, with daylight
saving time), or local *solar* time (UTC + longitude / 15 h) with ``time_zone=None``. Civil
time is the realistic default: traffic, heating and plant schedules follow the clock, and the
TNO / CAMS-REG-TEMPO and EDGAR hour-of-day factors are given in local civil time (Denier van
der Gon et al. 2011; Guevara et al. 2021, ESSD 13:367; Crippa et al. 2020, Sci. Data 7:121).
The default longitude, 14 deg E, lies in Central European Time (UTC+1, meridian 15 deg E;
Prague 14.4, Berlin 13.4 deg E) with EU summer time (UTC+2 from the last Sunday of March to
the last Sunday of October, Directive 2000/84/EC): civil minus solar time is +4 min in winter
and +64 min in summer. Solar time is kept for hand oracles (the profile then applies at the
time the overpass is stamped in).

* ``estimates``: overpasses on random distinct days at the fixed local *solar* time
  ``local_hour`` (a sun-synchronous orbit crosses at a fixed mean local solar time, whatever
  the time zone); each truth (``truth_t_per_yr``) is ``E`` at the overpass instant and each
  estimate adds Gaussian noise whose 1-sigma (``rel_sigma`` x truth) is reported. The table
  has the source's ``longitude`` only (not the zone): what a user typically passes.
* ``hourly``: one value per UTC hour ``[T, T + 1 h)`` (index = hour start), the exact mean of
  ``E`` over that hour. In solar time at a longitude that is not a whole hour from UTC, a
  local hour boundary falls inside the UTC hour (at 14 deg E, local = UTC + 56 min:
  ``T + 4 min``), and the value is the time-weighted mean of the two local hours' pieces. In
  civil time every zone offset and every transition is a multiple of 15 min (checked), so
  ``f_true`` is constant on each UTC quarter hour and the value is the mean of the four
  quarters. ``f_true`` and ``e_day`` are constant on a piece; the seasonal cosine is
  integrated by the mid-point rule (error < 1e-8).
* ``true_mean``: the mean of ``hourly``, i.e. the time mean of ``E`` over the year.

Before issue 17's fix, each UTC hour carried the factor of the local hour at its *start*
(at 14 deg E the 10:00-11:00 UTC hour, local 10:56-11:56, carried the hour-10 factor for 56
minutes of hour 11) and the overpass took that hourly value: the truth was the profile
shifted by 56 min, a bias of one sign in every seed (+6.3 % for ``urban`` at 11:30 local).
Until the civil-time option, the truth followed solar time, the time the estimator assumes
when it is given only the longitude, so the civil-versus-solar offset that the estimator's
timing term covers was never simulated.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from urbansat.temporal.profiles import TemporalProfile, get_profile, local_calendar

__all__ = ["SyntheticYear", "make_synthetic_year"]

_NS_H = 3_600_000_000_000
_NS_DAY = 24 * _NS_H
_NS_QUARTER = _NS_H // 4
#: Largest accepted |standard zone offset - longitude / 15| [h]: the widest real cases are
#: about 3 h (Kashgar, 76 deg E, on China's UTC+8: 2.9 h); more means a zone that does not
#: belong to the longitude (e.g. the default Europe/Berlin with longitude=-73.9).
MAX_ZONE_SOLAR_H = 3.0


def _zone_offsets(t_ns: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """Civil minus UTC [ns] of ``zone`` at UTC instants ``t_ns`` [ns since 1970]."""
    utc = pd.DatetimeIndex(t_ns.astype("datetime64[ns]")).tz_localize("UTC")
    out: np.ndarray = np.asarray(utc.tz_convert(zone).tz_localize(None).asi8 - t_ns)
    return out


@dataclass(frozen=True)
class SyntheticYear:
    """A synthetic year: overpass estimates, the hourly truth and its period mean."""

    estimates: pd.DataFrame
    hourly: pd.Series
    true_mean: float
    profile: str


def make_synthetic_year(
    seed: int,
    *,
    profile: str = "public_power",
    year: int = 2015,
    mean: float = 1.0e7,
    n_overpasses: int = 25,
    local_hour: float = 11.5,
    longitude: float = 14.0,
    seasonal_amplitude: float = 0.1,
    day_noise: float = 0.1,
    rel_sigma: float = 0.2,
    outlier_fraction: float = 0.0,
    source: str = "synthetic",
    perturb_profile: bool = True,
    time_zone: str | None = "Europe/Berlin",
) -> SyntheticYear:
    """Build one seeded synthetic year (see the module docstring).

    Parameters
    ----------
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    profile : str
        Built-in profile the truth follows (perturbed by its uncertainties, see
        ``perturb_profile``).
    year : int
        Calendar year.
    mean : float
        Base emission E0 [t yr-1].
    n_overpasses : int
        Clear-sky overpasses (distinct random days).
    local_hour : float
        Local solar time of the overpass [h].
    longitude : float
        Source longitude [degrees_east].
    seasonal_amplitude : float
        Relative amplitude A of the seasonal deviation from the profile.
    day_noise : float
        Relative 1-sigma day-to-day deviation.
    rel_sigma : float
        Relative 1-sigma retrieval noise (reported as the estimate's sigma).
    outlier_fraction : float
        Fraction of estimates multiplied by a factor in [5, 1e6] (gross failures).
    source : str
        Source name.
    perturb_profile : bool
        Perturb the profile's factors by their uncertainties (default). ``False`` keeps the
        published factors; the draws are made either way, so the rest of the random stream
        (days, noise, outliers) is the same.
    time_zone : str or None
        IANA zone whose civil time (with daylight saving) the truth's profile follows
        (default ``"Europe/Berlin"``, the zone of the default longitude; module docstring).
        ``None``: local solar time from ``longitude``. The overpasses are at local solar
        time ``local_hour`` either way, and the random stream does not depend on it.

    Returns
    -------
    SyntheticYear

    Raises
    ------
    ValueError
        ``time_zone`` is not a known IANA zone, its standard offset is more than
        :data:`MAX_ZONE_SOLAR_H` from ``longitude / 15`` h, or its offsets are not whole
        quarter hours.
    """
    zone: ZoneInfo | None = None
    if time_zone is not None:
        try:
            zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(
                f"make_synthetic_year: time_zone={time_zone!r} is not an IANA time zone ({err}); "
                "give e.g. 'Europe/Berlin', 'America/New_York', or None for solar time."
            ) from err
    rng = np.random.default_rng(seed)
    p = get_profile(profile)

    def perturb(v: np.ndarray, u: np.ndarray) -> np.ndarray:
        w = np.maximum(v + u * rng.standard_normal(v.size), 0.0)
        if not perturb_profile:
            w = v.copy()
        out: np.ndarray = w / w.mean()
        return out

    true = TemporalProfile(
        p.name,
        perturb(p.hour, p.hour_uncertainty),
        perturb(p.weekday, p.weekday_uncertainty),
        perturb(p.month, p.month_uncertainty),
        p.hour_uncertainty,
        p.weekday_uncertainty,
        p.month_uncertainty,
    )
    t0 = pd.Timestamp(f"{year}-01-01").value
    t1 = pd.Timestamp(f"{year + 1}-01-01").value
    hours = np.arange(t0, t1, _NS_H)
    off = round(longitude / 15.0 * _NS_H)  # local solar minus UTC [ns]
    if zone is not None:
        std_h = float(_zone_offsets(hours, zone).min()) / _NS_H
        if abs(std_h - longitude / 15.0) > MAX_ZONE_SOLAR_H:
            raise ValueError(
                f"make_synthetic_year: time_zone={time_zone!r} (standard offset UTC{std_h:+g} h) "
                f"is {abs(std_h - longitude / 15.0):.1f} h from solar time at longitude="
                f"{longitude} (more than {MAX_ZONE_SOLAR_H} h); pass the zone of that longitude "
                "(e.g. time_zone='America/New_York' at -73.9) or time_zone=None for solar time."
            )
    ndays = hours.size // 24
    e_day = day_noise * rng.standard_normal(ndays)
    peak = rng.uniform(0.0, 1.0)

    def truth(t: np.ndarray) -> np.ndarray:
        """E(t) at UTC instants ``t`` [ns] (module docstring)."""
        o = np.full(t.shape, off, dtype=np.int64) if zone is None else _zone_offsets(t, zone)
        h, d, m = local_calendar(t, o)
        phase = (t - t0) / (t1 - t0)
        day = np.clip((t - t0) // _NS_DAY, 0, ndays - 1)
        out: np.ndarray = (
            mean
            * true.hour[h]
            * true.weekday[d]
            * true.month[m - 1]
            * (1.0 + seasonal_amplitude * np.cos(2 * np.pi * (phase - peak)))
            * (1.0 + e_day[day])
        )
        return out

    if zone is None:
        # the first local hour boundary after each UTC hour start, ``split`` ns into the hour
        split = (-off) % _NS_H
        w = split / _NS_H
        e = w * truth(hours + split // 2) + (1.0 - w) * truth(hours + (split + _NS_H) // 2)
    else:
        # civil offsets and their changes are whole quarter hours: f_true is constant on
        # each UTC quarter [T + q 15 min, T + (q + 1) 15 min), so the hour is their mean
        starts = (hours[:, None] + _NS_QUARTER * np.arange(4)[None, :]).ravel()
        o_start, o_mid = _zone_offsets(starts, zone), _zone_offsets(starts + _NS_QUARTER // 2, zone)
        if np.any(o_start % _NS_QUARTER) or np.any(o_start != o_mid):
            raise ValueError(
                f"make_synthetic_year: time_zone={time_zone!r} has offsets or transitions that "
                f"are not whole quarter hours in {year}; the hourly truth would not be exact. "
                "Use a modern zone (all are) or time_zone=None for solar time."
            )
        e = truth(starts + _NS_QUARTER // 2).reshape(-1, 4).mean(axis=1)
    hourly = pd.Series(
        e, index=pd.DatetimeIndex(hours.astype("datetime64[ns]")), name="emission_t_per_yr"
    )
    days = np.sort(rng.choice(ndays, size=min(n_overpasses, ndays), replace=False))
    # overpass instants: local solar time ``local_hour`` exactly, on UTC day ``days``
    utc_ns = (round(local_hour * _NS_H) - off) % _NS_DAY
    t_over = t0 + days.astype(np.int64) * _NS_DAY + utc_ns
    truth_at = truth(t_over)
    sigma = rel_sigma * truth_at
    est = truth_at + sigma * rng.standard_normal(t_over.size)
    if outlier_fraction > 0:
        bad = rng.random(t_over.size) < outlier_fraction
        est = np.where(bad, est * 10 ** rng.uniform(np.log10(5), 6, t_over.size), est)
        sigma = np.where(bad, rel_sigma * np.abs(est), sigma)
    times = pd.to_datetime(t_over)
    estimates = pd.DataFrame(
        {
            "source": source,
            "time": times,
            "emission_t_per_yr": est,
            "emission_t_per_yr_uncertainty": sigma,
            "longitude": longitude,
            "truth_t_per_yr": truth_at,
        }
    )
    return SyntheticYear(estimates, hourly, float(e.mean()), profile)
