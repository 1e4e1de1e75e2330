"""The synthetic-year generator's truth follows its profile at local time (issue 17).

Solar-time oracles (``time_zone=None``) by hand at 14 deg E, where local solar time is
UTC + 56 min (not a whole hour): the 10:00-11:00 UTC hour is local 10:56-11:56, 4 minutes of
local hour 10 and 56 of hour 11; the default overpass, 11:30 local, is stamped 10:34 UTC.
Before the fix the whole UTC hour carried the hour-10 factor and the overpass took it (a
+6.28 % bias for ``urban``).

Civil-time oracles (the default, ``Europe/Berlin``): the same 10:34 UTC overpass is 11:34 CET
in winter and 12:34 CEST in summer (EU summer time 2015: 29 March 01:00 UTC to 25 October
01:00 UTC), so its truth takes the hour-11 factor in winter and the hour-12 factor in summer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from urbansat.temporal import get_profile, period_totals
from urbansat.testing.years import make_synthetic_year

#: Everything random off except the days drawn: truth = E0 x the published factors.
QUIET = {
    "seasonal_amplitude": 0.0,
    "day_noise": 0.0,
    "rel_sigma": 0.0,
    "perturb_profile": False,
    "time_zone": None,
}
E0 = 1.0e7


def _local(t: pd.Series | pd.DatetimeIndex, lon: float) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(t) + pd.Timedelta(minutes=lon / 15.0 * 60.0)


def test_overpass_truth_is_the_factor_of_the_local_hour_containing_it() -> None:
    p = get_profile("urban")
    y = make_synthetic_year(3, profile="urban", mean=E0, longitude=14.0, **QUIET)
    est = y.estimates
    # 11:30 local solar = 10:34 UTC, exactly
    assert (pd.DatetimeIndex(est["time"]).strftime("%H:%M:%S.%f") == "10:34:00.000000").all()
    loc = _local(est["time"], 14.0)
    want = E0 * p.hour[11] * p.weekday[loc.day_of_week] * p.month[loc.month - 1]
    np.testing.assert_allclose(est["truth_t_per_yr"], want, rtol=1e-12)
    np.testing.assert_allclose(est["emission_t_per_yr"], want, rtol=1e-12)  # rel_sigma = 0
    # the old generator's value (hour 10) is 6.3 % away: this test can fail
    assert p.hour[10] / p.hour[11] == pytest.approx(1.0628, abs=1e-4)


def test_hourly_truth_is_the_time_mean_over_the_utc_hour() -> None:
    p = get_profile("urban")
    y = make_synthetic_year(3, profile="urban", mean=E0, longitude=14.0, **QUIET)
    t = pd.Timestamp("2015-06-03 10:00")  # Wednesday; local 10:56-11:56
    day = E0 * p.weekday[2] * p.month[5]
    assert y.hourly[t] == pytest.approx(day * (4 * p.hour[10] + 56 * p.hour[11]) / 60, rel=1e-12)
    # the UTC hour across local midnight (23:00-24:00 UTC = local 23:56-00:56) mixes two days
    t = pd.Timestamp("2015-06-30 23:00")  # Tuesday 23:56 local -> Wednesday 1 July 00:00
    want = E0 * (
        4 * p.hour[23] * p.weekday[1] * p.month[5] + 56 * p.hour[0] * p.weekday[2] * p.month[6]
    )
    assert y.hourly[t] == pytest.approx(want / 60, rel=1e-12)
    # at 15 deg E (a whole hour) the UTC hour is one local hour
    y15 = make_synthetic_year(3, profile="urban", mean=E0, longitude=15.0, **QUIET)
    assert y15.hourly[pd.Timestamp("2015-06-03 10:00")] == pytest.approx(
        day * p.hour[11], rel=1e-12
    )
    assert y.true_mean == pytest.approx(y.hourly.mean(), rel=1e-15)


@pytest.mark.parametrize("lon", [14.0, 15.0, -73.9])
@pytest.mark.parametrize("profile", ["urban", "road_transport", "public_power"])
def test_estimator_recovers_the_quiet_truth(lon: float, profile: str) -> None:
    """Perfect estimates of an unperturbed profile: only the profile is left, no bias.

    The old generator gave +6.28 % (``urban``), +3.3 % (``road_transport``) at 14 deg E.
    """
    y = make_synthetic_year(3, profile=profile, longitude=lon, **{**QUIET, "rel_sigma": 1e-6})
    r = period_totals(y.estimates, periods=["2015"], profile=profile)
    assert r.loc[0, "emission_t_per_yr"] / y.true_mean - 1 == pytest.approx(0.0, abs=1e-4)


def test_perturb_profile_switch_keeps_the_random_stream() -> None:
    a = make_synthetic_year(11, profile="urban")
    b = make_synthetic_year(11, profile="urban", perturb_profile=False)
    pd.testing.assert_series_equal(a.estimates["time"], b.estimates["time"])
    ra = a.estimates["emission_t_per_yr"] / a.estimates["truth_t_per_yr"]
    rb = b.estimates["emission_t_per_yr"] / b.estimates["truth_t_per_yr"]
    np.testing.assert_allclose(ra, rb, rtol=1e-12)  # same noise draws
    assert not np.allclose(a.estimates["truth_t_per_yr"], b.estimates["truth_t_per_yr"])


#: EU summer time 2015 (Directive 2000/84/EC: last Sundays of March and October, 01:00 UTC).
CEST = (pd.Timestamp("2015-03-29 01:00"), pd.Timestamp("2015-10-25 01:00"))


def test_civil_time_overpass_truth_follows_the_clock() -> None:
    p = get_profile("road_transport")
    y = make_synthetic_year(3, profile="road_transport", mean=E0, **{**QUIET, "time_zone": None})
    c = make_synthetic_year(
        3, profile="road_transport", mean=E0, **{**QUIET, "time_zone": "Europe/Berlin"}
    )
    # the overpasses stay at 11:30 local solar time: same instants and days in both modes
    pd.testing.assert_series_equal(y.estimates["time"], c.estimates["time"])
    t = pd.DatetimeIndex(c.estimates["time"])
    summer = (t >= CEST[0]) & (t < CEST[1])
    assert 0 < summer.sum() < t.size  # both seasons drawn
    civil = t + pd.to_timedelta(np.where(summer, 2, 1), unit="h")
    hour = np.where(summer, 12, 11)
    assert (civil.hour == hour).all()
    want = E0 * p.hour[hour] * p.weekday[civil.day_of_week] * p.month[civil.month - 1]
    np.testing.assert_allclose(c.estimates["truth_t_per_yr"], want, rtol=1e-12)
    # summer overpasses see 12 h (1.32) where solar time says 11 h (1.20): +10 %, can fail
    assert p.hour[12] / p.hour[11] > 1.09


def test_civil_time_hourly_truth_by_hand() -> None:
    p = get_profile("urban")
    y = make_synthetic_year(3, profile="urban", mean=E0, **{**QUIET, "time_zone": "Europe/Berlin"})
    h = y.hourly
    # Wednesday 7 January, 10:00-11:00 UTC = 11:00-12:00 CET: one civil hour
    assert h[pd.Timestamp("2015-01-07 10:00")] == pytest.approx(
        E0 * p.hour[11] * p.weekday[2] * p.month[0], rel=1e-12
    )
    # Wednesday 3 June, 10:00-11:00 UTC = 12:00-13:00 CEST
    assert h[pd.Timestamp("2015-06-03 10:00")] == pytest.approx(
        E0 * p.hour[12] * p.weekday[2] * p.month[5], rel=1e-12
    )
    # Sunday 29 March: 00:00 UTC = 01:00 CET, 01:00 UTC = 03:00 CEST (02:00 does not exist)
    day = E0 * p.weekday[6] * p.month[2]
    assert h[pd.Timestamp("2015-03-29 00:00")] == pytest.approx(day * p.hour[1], rel=1e-12)
    assert h[pd.Timestamp("2015-03-29 01:00")] == pytest.approx(day * p.hour[3], rel=1e-12)
    # 31 December 23:00 UTC = 1 January 2016 00:00 CET: the next year's Friday, month 1
    assert h[pd.Timestamp("2015-12-31 23:00")] == pytest.approx(
        E0 * p.hour[0] * p.weekday[4] * p.month[0], rel=1e-12
    )
    assert h.size == 8760 and y.true_mean == pytest.approx(h.mean(), rel=1e-15)


@pytest.mark.parametrize(
    ("lon", "zone", "dst"),
    [
        (14.0, "Europe/Berlin", True),
        (-73.9, "America/New_York", True),
        (85.3, "Asia/Kathmandu", False),
    ],
)
@pytest.mark.parametrize("profile", ["urban", "road_transport"])
def test_estimator_told_the_zone_recovers_the_civil_truth(
    lon: float, zone: str, dst: bool, profile: str
) -> None:
    """Perfect estimates, civil-time truth: exact when told the zone; off when not, with DST.

    Kathmandu (UTC+5:45, a quarter-hour zone, no daylight saving) at 85.3 deg E: the 11:30
    solar overpass is 11:34 civil, the same hour, so solar time is right there too.
    """
    quiet = {**QUIET, "rel_sigma": 1e-6, "time_zone": zone, "longitude": lon}
    y = make_synthetic_year(3, profile=profile, **quiet)
    r = period_totals(y.estimates, periods=["2015"], profile=profile, timezone=zone)
    assert r.loc[0, "emission_t_per_yr"] / y.true_mean - 1 == pytest.approx(0.0, abs=1e-4)
    solar = period_totals(y.estimates, periods=["2015"], profile=profile)
    # told only the longitude, the estimator applies the profile at solar time: summer
    # overpasses are an hour off (what the solar-time timing term is for)
    err = abs(solar.loc[0, "emission_t_per_yr"] / y.true_mean - 1)
    assert err > 1e-3 if dst else err < 1e-4


def test_time_zone_errors_name_the_fix() -> None:
    with pytest.raises(ValueError, match="not an IANA time zone"):
        make_synthetic_year(1, time_zone="Mars/Olympus")
    with pytest.raises(ValueError, match=r"5\.9 h from solar time at longitude=-73\.9"):
        make_synthetic_year(1, longitude=-73.9)  # default zone Europe/Berlin
