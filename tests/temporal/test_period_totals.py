"""period_totals: oracles, bad input, statuses, synthetic coverage, SMARTCARB guard (issue 17)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from urbansat.errors import (
    EmptySelectionError,
    FactorError,
    SchemaError,
    UnusedInputWarning,
    UrbansatWarning,
)
from urbansat.temporal import get_profile, list_profiles, period_totals
from urbansat.testing.smartcarb_year import image_bias, smartcarb_year
from urbansat.testing.years import make_synthetic_year

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "smartcarb"


def _table(values, times=None, sigma=None, source="a", lon=0.0):
    n = len(values)
    times = times if times is not None else pd.date_range("2015-01-03 12:00", periods=n, freq="13D")
    return pd.DataFrame(
        {
            "source": source,
            "time": times,
            "emission_t_per_yr": values,
            "emission_t_per_yr_uncertainty": sigma if sigma is not None else np.full(n, 1.0),
            "longitude": lon,
        }
    )


def _sine_profile(amp: float = 0.5) -> pd.DataFrame:
    h = np.arange(24)
    rows = [("sine", "hour", i, 1 + amp * np.sin(2 * np.pi * (i - 6) / 24), 0.0) for i in h]
    return pd.DataFrame(rows, columns=["profile", "kind", "index", "value", "uncertainty"])


def test_builtin_profiles_listed_and_normalised() -> None:
    names = list_profiles()
    for n in (
        "public_power",
        "industry",
        "road_transport",
        "residential",
        "urban",
        "oil_gas",
        "coal_mining",
        "waste",
        "agriculture",
        "flat",
    ):
        assert n in names
        p = get_profile(n)
        for k in ("hour", "weekday", "month"):
            v, u = p.factors(k)
            assert abs(v.mean() - 1) < 1e-12 and np.all(u >= 0)
    assert np.all(get_profile("agriculture").hour == 1.0)  # CH4 flat diurnal


def test_flat_profile_is_robust_mean() -> None:
    vals = np.array([10.0, 11.0, 9.0, 10.5, 9.5, 10.0, 1.0e7])  # one gross outlier
    r = period_totals(_table(vals), periods=["2015"], profile="flat", seasonal=False)
    assert r.loc[0, "emission_t_per_yr"] == pytest.approx(10.0, rel=0.02)
    assert r.loc[0, "uncertainty_profile"] == 0.0
    # without the outlier and equal values: exactly the value
    r2 = period_totals(
        _table(np.full(8, 5.0), sigma=np.full(8, 0.5)), periods=["2015"], profile="flat"
    )
    assert r2.loc[0, "emission_t_per_yr"] == pytest.approx(5.0, rel=1e-9)


def test_sine_diurnal_cycle_corrected_exactly() -> None:
    prof = _sine_profile()
    factor_at_12 = float(prof.loc[12, "value"]) / float(prof["value"].mean())
    times = pd.date_range("2015-01-01 12:30", "2015-12-31 12:30", freq="3D")
    r = period_totals(
        _table(np.full(times.size, 100.0 * factor_at_12), times=times, sigma=np.zeros(times.size)),
        periods=["2015"],
        profile="sine",
        profile_table=prof,
    )
    assert r.loc[0, "emission_t_per_yr"] == pytest.approx(100.0, rel=1e-9)


def test_sigma_proportional_to_value_not_biased_low() -> None:
    rng = np.random.default_rng(3)
    v = 100 * np.exp(0.4 * rng.standard_normal(40))
    v = v / v.mean() * 100
    r = period_totals(_table(v, sigma=0.3 * v), periods=["2015"], profile="flat", seasonal=False)
    ivw = np.sum(v / (0.3 * v) ** 2) / np.sum(1 / (0.3 * v) ** 2)
    assert abs(r.loc[0, "emission_t_per_yr"] - 100) < abs(ivw - 100)


def test_statuses_and_single_overpass() -> None:
    t = _table([10.0], sigma=[1.0])
    r = period_totals(t, periods=["2015", "2016"], profile="flat")
    one = r[r.period == "2015"].iloc[0]
    assert one.status == "partial" and one.n_overpasses == 1
    assert one.emission_t_per_yr_uncertainty >= 0.05 * 10  # not a tiny sigma
    assert r[r.period == "2016"].iloc[0].status == "no_data"
    full = period_totals(_table(np.full(20, 3.0)), periods=["2015"], profile="flat")
    assert full.loc[0, "status"] == "ok" and full.loc[0, "months_covered"] >= 6


def test_rejected_rows_counted() -> None:
    t = _table(np.full(8, 2.0))
    t["qa_reason"] = ["", "", "no plume", "", "", "", "", ""]
    t.loc[3, "emission_t_per_yr"] = np.nan
    # a NaN without a reason is counted as rejected, and said so
    with pytest.warns(UrbansatWarning, match="NaN without a qa_reason"):
        r = period_totals(t, periods=["2015"], profile="flat")
    assert r.loc[0, "n_rejected"] == 2 and r.loc[0, "n_overpasses"] == 6


def test_bad_inputs() -> None:
    with pytest.raises(EmptySelectionError, match="no estimate lies in any period"):
        period_totals(_table([1.0, 2.0]), periods=["2010"], profile="flat")
    with pytest.raises(SchemaError, match="finite 1-sigma"):
        period_totals(_table([1.0, 2.0], sigma=[-1.0, 1.0]), periods=["2015"], profile="flat")
    with pytest.raises(SchemaError, match="finite 1-sigma"):
        period_totals(_table([1.0, 2.0], sigma=[np.nan, 1.0]), periods=["2015"], profile="flat")
    t = _table([1.0, 2.0])
    t.loc[1, "time"] = t.loc[0, "time"]
    with pytest.raises(SchemaError, match="share \\(source, time\\)"):
        period_totals(t, periods=["2015"], profile="flat")
    with pytest.raises(FactorError, match=r"known profiles: .*public_power"):
        period_totals(_table([1.0]), periods=["2015"], profile="power")
    bad = _sine_profile()
    bad.loc[0, "value"] += 1.0
    with pytest.raises(FactorError, match="average"):
        period_totals(_table([1.0]), periods=["2015"], profile="sine", profile_table=bad)
    with pytest.raises(FactorError, match="exactly 24"):
        period_totals(
            _table([1.0]), periods=["2015"], profile="sine", profile_table=_sine_profile().iloc[:23]
        )
    with pytest.raises(SchemaError, match="no longitude"):
        period_totals(
            _table([1.0]).drop(columns="longitude"), periods=["2015"], profile="public_power"
        )


@pytest.mark.parametrize(
    ("change", "kwargs", "match"),
    [
        (lambda t: t.iloc[:0], {}, "has no rows"),
        (lambda t: t.assign(source=None), {}, "column 'source' is empty"),
        (lambda t: t.assign(source=["a", " "]), {}, "column 'source' is empty in 1 row"),
        (lambda t: t.assign(emission_t_per_yr=[np.inf, 1.0]), {}, "infinite in row 0"),
        (lambda t: t.assign(time=[t["time"].iloc[0], pd.NaT]), {}, r"missing \(NaT\)"),
        (lambda t: t.assign(longitude=[400.0, 400.0]), {}, r"longitude 400 in row 0 .*-180\.\.360"),
        (lambda t: t.assign(longitude=[-181.0, -181.0]), {}, "outside -180..360"),
        (lambda t: t.assign(longitude=[np.inf, 0.0]), {}, "longitude inf in row 0"),
        (lambda t: t.assign(longitude=["abc", "0"]), {}, "'abc' in row 0 .* not a number"),
        (lambda t: t.assign(longitude=[True, True]), {}, "holds True/False"),
        (lambda t: t.assign(longitude=[10.0, 12.0]), {}, "has longitude 12 in row 1 but 10"),
        (lambda t: t, {"periods": float("nan")}, "is not a period label"),
        (lambda t: t, {"periods": ["2015", "2015"]}, "given twice"),
        (lambda t: t, {"periods": ["2015-13"]}, "has month 13"),  # was pandas' DateParseError
        # pandas' OverflowError when compared with the ns overpass times; '0001' ended in 2001
        (lambda t: t, {"periods": ["1500"]}, r"'1500' \(1500-01-01 to 1501-01-01\) lies outside"),
        (lambda t: t, {"periods": ["0001"]}, r"'0001' \(0001-01-01 to 0002-01-01\) lies outside"),
        (lambda t: t, {"timezone": "Mars/Olympus"}, "not an IANA time-zone name"),  # was raw
        (lambda t: t, {"timezone": 5}, r"timezone 5 \(source 'a'\) is not an IANA"),  # was taken
        (lambda t: t, {"timezone": {"a": "Europe/Berln"}}, "'Europe/Berln' .* not an IANA"),
        (lambda t: t, {"profile": {"b": "flat"}}, r"no entry for source\(s\) \['a'\]"),
        # probe round of 2026-12-07 (helper A): each was a silent wrong number before
        (lambda t: t.assign(emission_t_per_yr=[True, True]), {}, "holds True/False"),
        (
            lambda t: t.assign(emission_t_per_yr_uncertainty=np.array([1.0, True], dtype=object)),
            {},
            r"'emission_t_per_yr_uncertainty' holds True in row 1, which would count as 1",
        ),
        (
            lambda t: t.assign(emission_t_per_yr=["1,000", "abc"]),
            {},
            r"'emission_t_per_yr' holds '1,000' in row 0, which is not a number \(2 such",
        ),
        (
            lambda t: t.assign(emission_t_per_yr=[1e300, 1.0]),
            {},
            r"emission_t_per_yr is 1e\+300 t yr-1 in row 0 .* the atmosphere's whole mass",
        ),
        (lambda t: t.assign(qa_reason=[False, False]), {}, r"'qa_reason' holds False in row 0"),
        (lambda t: t.assign(qa_reason=[0, 0]), {}, r"'qa_reason' holds 0 in row 0"),
        (
            lambda t: t.assign(time=["2600-01-20 10:30", "2015-03-01 10:30"]),
            {},
            r"'2600-01-20 10:30' in row 0 .* outside the years 1678-2261",
        ),
        (
            lambda t: t,
            {"periods": {"a": ("2015-01-01", "2015-07-01"), "b": ("2015-03-01", "2016-01-01")}},
            r"periods 'a' .* and 'b' .* overlap",
        ),
        (lambda t: t, {"periods": ["2016", "2015"]}, r"period '2015' .* starts before it"),
        (lambda t: t, {"profile": {1: "flat", "1": "flat"}}, "names source '1' twice"),
        (
            lambda t: t.assign(profile=["public_power", "road_transport"]),
            {"profile": None},
            r"source 'a' names the profiles \['public_power', 'road_transport'\]",
        ),
    ],
)
def test_hostile_inputs_are_refused_with_the_fix(change, kwargs, match) -> None:
    t = change(_table([1.0, 2.0]))
    given = t.copy()
    kw = {"periods": ["2015"], "profile": "flat"} | kwargs
    with pytest.raises(SchemaError, match=match):
        period_totals(t, **kw)
    pd.testing.assert_frame_equal(t, given)  # the caller's table is not modified


@pytest.mark.parametrize("profile", [5, 0.5, ["flat"]])
def test_a_profile_that_is_not_a_profile_is_refused(profile) -> None:
    # 5 reached os.fspath: TypeError "expected str, bytes or os.PathLike object, not int"
    t = _table([1.0, 2.0])
    given = t.copy()
    with pytest.raises(FactorError, match=r"is not a profile: give a name \(see list_profiles"):
        period_totals(t, periods=["2015"], profile=profile)
    pd.testing.assert_frame_equal(t, given)


def test_profile_mapping_with_unknown_names_warns() -> None:
    with pytest.warns(UnusedInputWarning, match=r"names source\(s\) \['b'\]"):
        r = period_totals(_table([1.0, 2.0]), periods=["2015"], profile={"b": "x", "*": "flat"})
    assert list(r.profile) == ["flat"]


def test_naive_times_are_utc() -> None:
    t = _table(np.arange(1.0, 9.0))
    aware = t.assign(time=t["time"].dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo"))
    a = period_totals(t, periods=["2015"], profile="public_power")
    b = period_totals(aware, periods=["2015"], profile="public_power")
    assert a.loc[0, "emission_t_per_yr"] == pytest.approx(b.loc[0, "emission_t_per_yr"], rel=1e-12)


def test_profile_mapping_and_timezone() -> None:
    t = pd.concat(
        [
            _table(np.full(8, 5.0), source="a", lon=13.4),
            _table(np.full(8, 5.0), source="b", lon=13.4),
        ]
    )
    r = period_totals(t, periods=["2015"], profile={"a": "public_power", "*": "flat"})
    assert list(r.profile) == ["public_power", "flat"]
    assert (
        r.loc[0, "emission_t_per_yr"] < 5.0
    )  # midday overpasses of a power plant are above its mean
    z = period_totals(t, periods=["2015"], profile="public_power", timezone="Europe/Berlin")
    assert np.all(np.isfinite(z.emission_t_per_yr))


@pytest.mark.parametrize("profile", ["public_power", "flat"])
def test_longitude_conventions_agree(profile: str) -> None:
    # one rule (urbansat.schema.geo): 0..360 longitudes were refused by period_totals
    # although the inversion accepts them; the solar time uses the wrapped longitude
    west = _table(np.linspace(4.0, 6.0, 8), lon=-150.0)
    east = west.assign(longitude=210.0)
    pd.testing.assert_frame_equal(
        period_totals(west, periods=["2015"], profile=profile),
        period_totals(east, periods=["2015"], profile=profile),
    )
    # a real offset: the same overpasses at 30 E give another local hour, another total
    other = period_totals(west.assign(longitude=30.0), periods=["2015"], profile="public_power")
    base = period_totals(west, periods=["2015"], profile="public_power")
    assert not np.isclose(other.emission_t_per_yr[0], base.emission_t_per_yr[0])


def test_one_source_may_wander_half_a_degree_across_the_antimeridian() -> None:
    t = _table(np.full(4, 5.0), lon=179.9).assign(longitude=[179.9, -179.9, 180.1, 179.8])
    r = period_totals(t, periods=["2015"], profile="public_power")
    same = period_totals(t.assign(longitude=179.9), periods=["2015"], profile="public_power")
    assert np.isclose(r.emission_t_per_yr[0], same.emission_t_per_yr[0])


def test_blank_longitude_is_absent_for_a_flat_profile() -> None:
    t = _table([1.0, 2.0]).assign(longitude=["", None])
    assert np.isfinite(period_totals(t, periods=["2015"], profile="flat").emission_t_per_yr[0])


def test_dataset_input() -> None:
    parts = []
    for i, day in enumerate(pd.date_range("2015-01-05", periods=7, freq="40D")):
        ds = xr.Dataset(
            {
                "emission_t_per_yr": ("source", [10.0 + i % 2]),
                "emission_t_per_yr_uncertainty": ("source", [1.0]),
                "qa_reason": ("source", [""]),
            },
            coords={"source": ["p"], "longitude": ("source", [10.0])},
            attrs={"overpass_time": str(day + pd.Timedelta("11h")), "gas": "co2"},
        )
        parts.append(ds)
    r = period_totals(parts, periods=["2015"], profile="flat")
    assert r.loc[0, "n_overpasses"] == 7 and r.loc[0, "gas"] == "co2"


@pytest.mark.slow
@pytest.mark.parametrize("timezone", [None, "Europe/Berlin"], ids=["longitude", "zone"])
def test_synthetic_coverage_heldout_seeds(timezone: str | None) -> None:
    z = []
    for s in range(2000, 2120):
        y = make_synthetic_year(s, profile="public_power")
        r = period_totals(y.estimates, periods=["2015"], profile="public_power", timezone=timezone)
        z.append(
            abs(r.loc[0, "emission_t_per_yr"] - y.true_mean)
            / r.loc[0, "emission_t_per_yr_uncertainty"]
        )
    z = np.asarray(z)
    # goal 60-76 % / >= 90 %. Truth on Berlin civil time (the generator's default); recorded
    # 0.800 / 0.992 given the longitude only (solar-time truth: 0.733 / 0.950), 0.742 / 0.975
    # given the zone. Given only the longitude the budget is conservative by construction
    # (it puts every overpass in the solar hour; docs/period_totals.md), so the upper guard
    # keeps ~2 binomial sd (0.04 at 120 seeds) above 0.76
    assert 0.60 <= (z < 1).mean() <= 0.85
    assert (z < 2).mean() >= 0.90


def test_seeded_generator_reproducible() -> None:
    a = make_synthetic_year(5).estimates
    b = make_synthetic_year(5).estimates
    pd.testing.assert_frame_equal(a, b)


def test_smartcarb_guard() -> None:
    """Recorded goals on the shipped SMARTCARB 2015 file (held out: nothing tuned on it)."""
    out = {}
    for kind in ("truth", "csf"):
        table, truth, prof = smartcarb_year(SAMPLES, estimates=kind)
        r = period_totals(table, periods=["2015"], profile=prof)
        tr = r["source"].map(truth)
        out[kind] = (
            (r.emission_t_per_yr / tr - 1).abs().median(),
            int(((r.emission_t_per_yr - tr).abs() < 2 * r.emission_t_per_yr_uncertainty).sum()),
        )
    assert out["truth"][0] <= 0.05  # sampling only: goal <= 5 %
    assert out["csf"][1] >= 14  # truth inside 2 sigma for >= 14 of 16
    assert (
        out["csf"][0] <= 0.21
    )  # recorded 0.202 (goal 0.12 NOT met; ddeq's fit 0.20): guards against regressions


def test_image_bias_hand_computed(tmp_path: Path) -> None:
    """image_bias on a two-source file whose ratios are known by hand."""
    times = pd.date_range("2015-03-01 11:00", periods=4, freq="7D").to_numpy()
    truth = np.array([[10.0, 20.0, 40.0, 10.0], [5.0, 5.0, 5.0, 5.0]])
    est = truth * np.array([[1.1, 1.1, 0.9, 3.0], [1.0, 1.2, 1.2, np.nan]])
    ds = xr.Dataset(
        {
            "CO2_estimates": (("source", "image"), est),
            "CO2_estimates_std": (("source", "image"), 0.1 * truth),
            "CO2_truth": (("source", "image"), truth),
            "time": ("image", times),
        },
        coords={"source": ["a", "b"], "image": [f"i{k}" for k in range(4)]},
    )
    ds.to_netcdf(tmp_path / "SMARTCARB_CSF_example.nc")
    (tmp_path / "sources-smartcarb.csv").write_text("source,longitude\na,14.0\nb,13.0\n")
    (tmp_path / "SMARTCARB-CO2-annual-mean-2015.csv").write_text(
        "source,annual_mean_co2_Mt_per_yr\na,20.0\nb,5.0\n"
    )
    b = image_bias(tmp_path)
    # a: ratios 0.9, 1.1, 1.1, 3.0 -> median 1.1, trimmed (25 %) mean of 1.1, 1.1 = 1.1,
    # Walsh averages 0.9, 1.0, 1.0, 1.1, 1.1, 1.1, 1.95, 2.05, 2.05, 3.0 -> 1.1;
    # b: ratios 1.0, 1.2, 1.2 (NaN estimate dropped) -> median 1.2, Walsh averages
    # 1.0, 1.1, 1.1, 1.2, 1.2, 1.2 -> Hodges-Lehmann 1.15
    assert b.loc["a", "n_images"] == 4 and b.loc["b", "n_images"] == 3
    assert b.loc["a", "median_bias"] == pytest.approx(0.1)
    assert b.loc["a", "trimmed_mean_bias"] == pytest.approx(0.1)
    assert b.loc["a", "hodges_lehmann_bias"] == pytest.approx(0.1)
    assert b.loc["b", "median_bias"] == pytest.approx(0.2)
    assert b.loc["b", "hodges_lehmann_bias"] == pytest.approx(0.15)


def test_smartcarb_image_bias_sets_the_floor() -> None:
    """The published per-image CSF estimates are biased per source by more than the goal.

    The annual total of an estimator that treats the images alike inherits the per-source
    location of ``Q_k / Q_true(t_k)``; over the 16 sources its median |bias| is 0.175
    (median), 0.204 (trimmed mean), 0.219 (Hodges-Lehmann), 0.146 choosing the best of the
    three per source by oracle: each above issue 17's 12 % (docs/period_totals.md).
    """
    b = image_bias(SAMPLES)
    assert len(b) == 16 and b.n_images.sum() == 426
    med = b[["median_bias", "trimmed_mean_bias", "hodges_lehmann_bias"]].abs()
    assert med.median().round(3).tolist() == [0.175, 0.204, 0.219]
    assert round(float(med.min(axis=1).median()), 3) == 0.146


def test_plot_period_totals(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from urbansat.plot.period_totals import plot_period_totals

    y = make_synthetic_year(1)
    tot, ov = period_totals(y.estimates, periods=["2015"], profile="public_power", details=True)
    ax = plot_period_totals(tot, ov)
    assert len(ax.lines) >= 3 and "synthetic" in ax.get_title()
    ax.figure.savefig(tmp_path / "pt.png")
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="no period total"):
        plot_period_totals(tot, ov, source="nope")


@pytest.mark.parametrize(("n_overpasses", "status"), [(8, "ok"), (3, "partial")])
def test_tci231_indicators_uses_period_totals_for_overpasses(n_overpasses, status) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from urbansat import tci231_indicators

    parts = []
    for i, day in enumerate(pd.date_range("2015-01-05", periods=n_overpasses, freq="40D")):
        parts.append(
            xr.Dataset(
                {
                    "emission": ("source", [0.0]),
                    "emission_uncertainty": ("source", [0.0]),
                    "emission_t_per_yr": ("source", [100.0 + 10 * (i % 2)]),
                    "emission_t_per_yr_uncertainty": ("source", [10.0]),
                    "method": ("source", ["csf"]),
                    "qa_reason": ("source", [""]),
                    "n_obs": ("source", [10]),
                },
                coords={
                    "source": ["p"],
                    "longitude": ("source", [0.5]),
                    "latitude": ("source", [0.5]),
                },
                attrs={
                    "overpass_time": str(day + pd.Timedelta("11h")),
                    "gas": "co2",
                    "method": "csf",
                },
            )
        )
    bnd = gpd.GeoDataFrame(
        {"boundary_id": ["r"], "level": ["region"], "name": ["r"]},
        geometry=[box(0, 0, 1, 1)],
        crs=4326,
    )
    tab = tci231_indicators(
        emissions=parts, boundaries=bnd, periods={"2015": ("2015-01-01", "2016-01-01")}
    )
    rate = tab[(tab.indicator == "total_emission.emission_rate") & (tab.target == "co2")].iloc[0]
    assert 100.0 <= rate.value <= 110.0 and rate.uncertainty > 0
    # three overpasses: period_totals says "partial"; the table said "ok" (probe 2026-12-07)
    assert rate.status == status
    assert ("period total of source(s) ['p'] from fewer than 6" in rate.note) == (
        status == "partial"
    )


def _step_profile(value_12: float) -> pd.DataFrame:
    """Hour factors 1 except hour 12 (= value_12), renormalised to mean 1; no uncertainty."""
    v = np.ones(24)
    v[12] = value_12
    v = v / v.mean()
    rows = [("step", "hour", i, v[i], 0.0) for i in range(24)]
    return pd.DataFrame(rows, columns=["profile", "kind", "index", "value", "uncertainty"])


def test_timing_term_oracle() -> None:
    """A step at 12 h seen at 11:30 local: only shifts delta > 0.5 h change the factor."""
    from scipy.stats import norm

    from urbansat.temporal.budget import TIMING_SIGMA_H, timing_rel_var
    from urbansat.temporal.profiles import _profiles_from_frame

    p = _profiles_from_frame(_step_profile(3.0), what="test")["step"]
    t = np.array([pd.Timestamp("2015-06-10 11:30").value])
    # e = f(12 h)/f(11 h) - 1 = 2 for 0.5 h < delta < 1.5 h, else 0
    expect = 2.0**2 * (norm.cdf(1.5 / TIMING_SIGMA_H) - norm.cdf(0.5 / TIMING_SIGMA_H))
    # the 0.1 sigma_t mid-point grid places each step edge to within half a cell: 4 % of the
    # variance at sigma_t = 0.87 h (edges at 0.58 and 1.73 sigma_t), 2 % of the sigma
    assert timing_rel_var(p, t, np.ones(1)) == pytest.approx(expect, rel=0.05)
    assert timing_rel_var(get_profile("flat"), t, np.ones(1)) == 0.0
    # in the table: public_power at midday ~2 %, the urban mix ~4 %
    r = period_totals(
        _table(np.full(12, 5.0), times=pd.date_range("2015-01-05 11:30", periods=12, freq="30D")),
        periods=["2015"],
        profile="urban",
    )
    rel = r.loc[0, "uncertainty_profile_timing"] / r.loc[0, "emission_t_per_yr"]
    assert 0.03 < rel < 0.06
    assert r.loc[0, "uncertainty_profile"] == pytest.approx(
        np.hypot(r.loc[0, "uncertainty_profile_factors"], r.loc[0, "uncertainty_profile_timing"])
    )


def test_timing_term_narrows_with_a_named_zone() -> None:
    """One overpass at 11:30 local before a step at 12 h: sigma_t 0.87 h solar, 0.29 h zoned.

    9:30 UTC on 10 June is 11:30 CEST in Berlin and 11:30 solar at 30 deg E; given the zone,
    civil time and daylight saving are known and only the hour bin's sqrt(1/12) h is left.
    """
    from scipy.stats import norm

    from urbansat.temporal.budget import TIMING_SIGMA_H, TIMING_SIGMA_ZONE_H

    assert np.isclose(TIMING_SIGMA_H, np.sqrt(9 / 12))  # bin + zone/meridian + DST
    assert np.isclose(TIMING_SIGMA_ZONE_H, np.sqrt(1 / 12))  # bin only
    step = _step_profile(3.0)
    one = _table([5.0], times=pd.DatetimeIndex(["2015-06-10 09:30"]), lon=30.0)
    got = {}
    for name, tz, sig in (
        ("solar", None, TIMING_SIGMA_H),
        ("zone", "Europe/Berlin", TIMING_SIGMA_ZONE_H),
    ):
        r = period_totals(one, periods=["2015"], profile="step", profile_table=step, timezone=tz)
        got[name] = r.loc[0, "uncertainty_profile_timing"] / r.loc[0, "emission_t_per_yr"]
        # e = f(12 h) / f(11 h) - 1 = 2 for 0.5 h < delta < 1.5 h, else 0
        want = 2.0 * np.sqrt(norm.cdf(1.5 / sig) - norm.cdf(0.5 / sig))
        assert got[name] == pytest.approx(want, rel=0.03)
    assert got["zone"] < 0.5 * got["solar"]


def test_factor_term_counts_the_truths_share() -> None:
    """Errors of factors sampled in proportion to their period share cancel (W_j = c_j)."""
    from urbansat.temporal.budget import factor_rel_var, period_shares
    from urbansat.temporal.profiles import local_calendar

    p = get_profile("public_power")
    grid = np.arange(pd.Timestamp("2015-01-01").value, pd.Timestamp("2016-01-01").value, 3600e9)
    grid = grid.astype(np.int64)
    cal = local_calendar(grid, np.zeros(1, dtype=np.int64))
    f = p.hour[cal[0]] * p.weekday[cal[1]] * p.month[cal[2] - 1]
    f = f / f.mean()
    c = period_shares(p, cal, f)
    assert all(abs(x.sum() - 1) < 1e-12 for x in c)
    # every hour of the year, weighted by its profile share: W = c, so no profile error
    assert factor_rel_var(p, cal, f / f.sum(), c) == pytest.approx(0.0, abs=1e-20)
    # all weight at one hour: that factor's whole error minus its share in the truth
    one = np.zeros(grid.size)
    one[11] = 1.0
    got = factor_rel_var(p, cal, one, c)
    h11 = (p.hour_uncertainty[11] * (1 - c[0][11]) / p.hour[11]) ** 2
    assert got > h11
    # a period inside one month has no month term (W = c = 1 for that month)
    jan = grid[cal[2] == 1]
    calj = local_calendar(jan, np.zeros(1, dtype=np.int64))
    fj = p.hour[calj[0]] * p.weekday[calj[1]] * p.month[calj[2] - 1]
    cj = period_shares(p, calj, fj / fj.mean())
    month_only = type(p)(
        "m", np.ones(24), np.ones(7), p.month, np.zeros(24), np.zeros(7), p.month_uncertainty
    )
    wj = np.full(jan.size, 1.0 / jan.size)
    assert factor_rel_var(month_only, calj, wj, cj) == pytest.approx(0.0, abs=1e-20)


@pytest.mark.slow
@pytest.mark.parametrize("timezone", [None, "Europe/Berlin"], ids=["longitude", "zone"])
@pytest.mark.parametrize(
    "opts",
    [{"profile": "urban"}, {"profile": "road_transport", "outlier_fraction": 0.05}],
    ids=["urban", "road_transport_outliers5"],
)
def test_synthetic_coverage_heldout_mixed_profiles(opts: dict, timezone: str | None) -> None:
    """Issue 17 coverage for the rush-hour/mixed profiles (held-out seeds 2000-2119).

    These under-covered before the profile-timing term and the truth's share in the factor
    term (benchmark seeds 1000-1199: urban 0.54 / 0.915, road_transport with 5 % outliers
    0.59 / 0.885) and, for urban, before the generator's local-hour fix (these seeds: urban
    0.592 / 0.975 -> 0.775 / 0.967, road_transport 0.767 / 0.992 -> 0.775 / 0.958, solar-time
    truth). Civil-time truth (the default): urban 0.842 / 0.992 given the longitude, 0.767 /
    0.983 given the zone; road_transport 0.817 / 1.000 and 0.717 / 0.958. Bounds as in the
    public_power test. The old generator's urban (0.592) fails the 0.60 guard.
    """
    z = []
    for s in range(2000, 2120):
        y = make_synthetic_year(s, **opts)
        r = period_totals(y.estimates, periods=["2015"], profile=opts["profile"], timezone=timezone)
        z.append(
            abs(r.loc[0, "emission_t_per_yr"] - y.true_mean)
            / r.loc[0, "emission_t_per_yr_uncertainty"]
        )
    z = np.asarray(z)
    assert 0.60 <= (z < 1).mean() <= 0.85
    assert (z < 2).mean() >= 0.90


def test_mapping_keys_are_the_source_names_as_text() -> None:
    # {1: ...} for source 1 fell back to the flat profile and to solar time, silently
    t = _table([1000.0] * 40, times=pd.date_range("2015-01-03 10:34", periods=40, freq="9D"))
    t = t.assign(source=1, longitude=13.4)
    given = t.copy()
    keyed = period_totals(
        t, periods=["2015"], profile={1: "road_transport"}, timezone={1: "Europe/Berlin"}
    )
    plain = period_totals(t, periods=["2015"], profile="road_transport", timezone="Europe/Berlin")
    default = period_totals(
        t, periods=["2015"], profile="road_transport", timezone={"*": "Europe/Berlin"}
    )
    solar = period_totals(t, periods=["2015"], profile="road_transport")
    assert keyed.loc[0, "profile"] == "road_transport"
    assert keyed.loc[0, "emission_t_per_yr"] == pytest.approx(plain.loc[0, "emission_t_per_yr"])
    assert default.loc[0, "emission_t_per_yr"] == pytest.approx(plain.loc[0, "emission_t_per_yr"])
    assert abs(solar.loc[0, "emission_t_per_yr"] / plain.loc[0, "emission_t_per_yr"] - 1) > 1e-3
    pd.testing.assert_frame_equal(t, given)
    with pytest.warns(UnusedInputWarning, match=r"timezone mapping names source\(s\) \['2'\]"):
        period_totals(t, periods=["2015"], timezone={2: "Europe/Berlin"})


def test_gas_spellings_of_one_source_are_one_group() -> None:
    t = _table([1000.0] * 12).assign(gas=["co2", "CO2"] * 6)
    r = period_totals(t, periods=["2015"])
    assert len(r) == 1 and r.loc[0, "gas"] == "co2" and r.loc[0, "n_overpasses"] == 12


@pytest.mark.parametrize("zero", [0.0, 1e-3])
def test_zero_estimates_keep_the_period_sigma_of_their_errors(zero) -> None:
    # twelve overpasses of +-300 t/yr; six of them 0 (or 1e-3) gave sigma 1.7e8 (2.6e7) t/yr,
    # five gave 103: now the sigma stays of the order of 300 / sqrt(12) = 87 as zeros are added
    times = pd.date_range("2015-01-03 10:34", periods=12, freq="29D")
    sig = {}
    for n_zero in (5, 6, 7):
        y = np.r_[np.full(n_zero, zero), np.full(12 - n_zero, 1000.0)]
        r = period_totals(_table(y, times=times, sigma=np.full(12, 300.0)), periods=["2015"])
        sig[n_zero] = float(r.loc[0, "emission_t_per_yr_uncertainty"])
    assert all(80.0 < v < 200.0 for v in sig.values()), sig
    assert sig[6] / sig[5] < 1.5 and sig[7] / sig[6] < 1.5


def test_a_profile_factor_of_zero_at_an_overpass_is_refused() -> None:
    # a plant that does not run on Sundays, an overpass on a Sunday: y / 0 gave NaN +- NaN "ok"
    d = np.full(7, 7 / 6)
    d[6] = 0.0
    prof = pd.DataFrame({"profile": "no_sundays", "kind": "weekday", "index": range(7), "value": d})
    times = pd.date_range("2015-01-04 10:34", periods=12, freq="29D")  # 2015-01-04: a Sunday
    t = _table(np.full(12, 1000.0), times=times, sigma=np.full(12, 100.0))
    with pytest.raises(SchemaError, match=r"'no_sundays' of source 'a' is 0 at the overpass of "):
        period_totals(t, periods=["2015"], profile="no_sundays", profile_table=prof)
    ok = period_totals(
        t.assign(qa_reason=np.where(times.day_of_week == 6, "plant off", "")),
        periods=["2015"],
        profile="no_sundays",
        profile_table=prof,
    )
    assert ok.loc[0, "status"] == "ok" and np.isfinite(ok.loc[0, "emission_t_per_yr_uncertainty"])


@pytest.mark.parametrize(
    ("stamp", "match"),
    [("not a time", "'not a time', which is not a UTC time"), ("NaT", "'NaT', which is not")],
)
def test_a_bad_overpass_time_attribute_is_named(stamp, match) -> None:
    ds = xr.Dataset(
        {
            "emission_t_per_yr": ("source", [1000.0]),
            "emission_t_per_yr_uncertainty": ("source", [100.0]),
        },
        coords={"source": ["A"]},
        attrs={"overpass_time": stamp},
    )
    with pytest.raises(SchemaError, match=r"Dataset #0 has attrs\['overpass_time'\] = " + match):
        period_totals(ds, periods=["2015"])
