"""Seeded synthetic emission years with known truth for :func:`urbansat.period_totals`.

The truth is a function of continuous time,

    E(t) = E0 f_true(t) (1 + A cos(2 pi (t - t0 - t_peak) / (t1 - t0))) (1 + e_day),

with ``f_true(t) = H[h(t)] D[d(t)] M[m(t)]`` the named profile's factors at the *local solar
time* of ``t`` (UTC + longitude / 15 h; ``h`` the local hour containing ``t``, ``d`` the local
weekday, ``m`` the local month: the convention of :mod:`urbansat.temporal.profiles`, where
``H[h]`` is the factor of the local hour ``[h, h+1)``), perturbed once per seed by their stated
1-sigma uncertainties (so the profile term of the budget is exercised); ``A`` the seasonal
amplitude with a random peak ``t_peak`` in the year ``[t0, t1)``; ``e_day ~ N(0, day_noise)``
one deviation per UTC day.

* ``estimates``: overpasses on random distinct days at the fixed local solar time
  ``local_hour``; each truth (``truth_t_per_yr``) is ``E`` at the overpass instant and each
  estimate adds Gaussian noise whose 1-sigma (``rel_sigma`` x truth) is reported.
* ``hourly``: one value per UTC hour ``[T, T + 1 h)`` (index = hour start), the exact mean of
  ``E`` over that hour. Where local solar time is not a whole hour from UTC, a local hour
  boundary falls inside the UTC hour (at 14 deg E, local = UTC + 56 min: ``T + 4 min``), and
  the value is the time-weighted mean of the two local hours' pieces (each evaluated at its
  mid-point; ``f_true`` and ``e_day`` are constant on a piece, the seasonal cosine is
  integrated by the mid-point rule, error < 1e-8).
* ``true_mean``: the mean of ``hourly``, i.e. the time mean of ``E`` over the year.

Before issue 17's fix, each UTC hour carried the factor of the local hour at its *start*
(at 14 deg E the 10:00-11:00 UTC hour, local 10:56-11:56, carried the hour-10 factor for 56
minutes of hour 11) and the overpass took that hourly value: the truth was the profile
shifted by 56 min, a bias of one sign in every seed (+6.3 % for ``urban`` at 11:30 local).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from urbansat.temporal.profiles import TemporalProfile, get_profile, local_calendar

__all__ = ["SyntheticYear", "make_synthetic_year"]

_NS_H = 3_600_000_000_000
_NS_DAY = 24 * _NS_H


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

    Returns
    -------
    SyntheticYear
    """
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
    ndays = hours.size // 24
    e_day = day_noise * rng.standard_normal(ndays)
    peak = rng.uniform(0.0, 1.0)

    def truth(t: np.ndarray) -> np.ndarray:
        """E(t) at UTC instants ``t`` [ns] (module docstring)."""
        h, d, m = local_calendar(t, np.full(t.shape, off, dtype=np.int64))
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

    # the first local hour boundary after each UTC hour start, ``split`` ns into the hour
    split = (-off) % _NS_H
    w = split / _NS_H
    e = w * truth(hours + split // 2) + (1.0 - w) * truth(hours + (split + _NS_H) // 2)
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
