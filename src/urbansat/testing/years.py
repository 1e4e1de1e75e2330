"""Seeded synthetic emission years with known truth for :func:`urbansat.period_totals`.

The hourly truth is ``E(t) = E0 f_true(t) (1 + A cos(2 pi (t - t_peak) / 1 yr)) (1 + e_day)``
with ``f_true`` the named profile's factors perturbed once per seed by their stated 1-sigma
uncertainties (so the profile term of the budget is exercised), a seasonal deviation of
amplitude ``A`` and a day-to-day deviation ``e_day ~ N(0, day_noise)``. Overpasses fall on
random distinct days at a fixed local solar time; each estimate is the truth at that hour
plus Gaussian noise whose 1-sigma (``rel_sigma`` x truth) is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from urbansat.temporal.profiles import TemporalProfile, get_profile, local_calendar

__all__ = ["SyntheticYear", "make_synthetic_year"]


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
) -> SyntheticYear:
    """Build one seeded synthetic year (see the module docstring).

    Parameters
    ----------
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    profile : str
        Built-in profile the truth follows (perturbed by its uncertainties).
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

    Returns
    -------
    SyntheticYear
    """
    rng = np.random.default_rng(seed)
    p = get_profile(profile)

    def perturb(v: np.ndarray, u: np.ndarray) -> np.ndarray:
        w = np.maximum(v + u * rng.standard_normal(v.size), 0.0)
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
    hours = np.arange(t0, t1, 3_600_000_000_000)
    off = np.full(hours.shape, round(longitude / 15.0 * 3_600_000_000_000))
    h, d, m = local_calendar(hours, off)
    ndays = hours.size // 24
    e_day = day_noise * rng.standard_normal(ndays)
    peak = rng.uniform(0.0, 1.0)
    phase = (hours - t0) / (t1 - t0)
    e = (
        mean
        * true.hour[h]
        * true.weekday[d]
        * true.month[m - 1]
        * (1.0 + seasonal_amplitude * np.cos(2 * np.pi * (phase - peak)))
        * (1.0 + e_day[np.minimum((hours - t0) // 86_400_000_000_000, ndays - 1)])
    )
    hourly = pd.Series(
        e, index=pd.DatetimeIndex(hours.astype("datetime64[ns]")), name="emission_t_per_yr"
    )
    days = np.sort(rng.choice(ndays, size=min(n_overpasses, ndays), replace=False))
    utc_hour = (local_hour - longitude / 15.0) % 24.0
    idx = days * 24 + int(np.floor(utc_hour))
    truth_at = e[idx]
    sigma = rel_sigma * truth_at
    est = truth_at + sigma * rng.standard_normal(idx.size)
    if outlier_fraction > 0:
        bad = rng.random(idx.size) < outlier_fraction
        est = np.where(bad, est * 10 ** rng.uniform(np.log10(5), 6, idx.size), est)
        sigma = np.where(bad, rel_sigma * np.abs(est), sigma)
    times = pd.to_datetime(hours[idx] + int((utc_hour % 1) * 3_600_000_000_000))
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
