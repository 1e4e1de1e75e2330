"""Indicator-table inputs found by the probe round of 2026-12-07 (helper A).

Each test fails on the code before its fix: the table summed a negative sigma squared, an
infinite one as an ``ok`` row, True as 1 t/yr; a source at 359 E or at latitude 95 fell in
no boundary; a swath in mol mol-1 was averaged as ppm; ``min_overlap="0.5"`` was a raw
pandas TypeError.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import xarray as xr
from shapely.geometry import box

import urbansat
from urbansat.errors import SchemaError
from urbansat.indicators import boundary_concentrations

RATE = "total_emission.emission_rate"


def _bnd(x0=0.0, x1=2.0):
    return gpd.GeoDataFrame(
        {"boundary_id": ["R1"], "name": ["R"], "level": ["region"]},
        geometry=[box(x0, 0, x1, 2)],
        crs=4326,
    )


def _em(value, sigma, lon=(0.5, 1.5), lat=(0.5, 1.5)):
    return xr.Dataset(
        {
            "emission_t_per_yr": ("source", value),
            "emission_t_per_yr_uncertainty": ("source", sigma),
        },
        coords={
            "source": ["a", "b"],
            "longitude": ("source", list(lon)),
            "latitude": ("source", list(lat)),
        },
        attrs={"gas": "co2"},
    )


def _rate(table):
    return table[(table.target == "co2") & (table.indicator == RATE)].iloc[0]


@pytest.mark.parametrize(
    ("value", "sigma", "match"),
    [
        (
            [1000.0, 500.0],
            [-100.0, 80.0],
            r"source 'a' has a 1-sigma below 0 or infinite \(emission 1000 \+- -100",
        ),
        ([1000.0, 500.0], [80.0, np.inf], r"source 'b' has a 1-sigma below 0 or infinite"),
        ([np.inf, 500.0], [80.0, 80.0], r"source 'a' has an infinite emission_t_per_yr"),
        (np.array([True, True]), [100.0, 80.0], r"emission_t_per_yr has dtype bool, not numbers"),
    ],
)
def test_impossible_emission_numbers_are_refused(value, sigma, match):
    ds = _em(value, sigma)
    before = ds.copy(deep=True)
    with pytest.raises(SchemaError, match=match):
        urbansat.tci231_indicators(emissions=ds, boundaries=_bnd(), periods=["2020"])
    xr.testing.assert_identical(ds, before)


def test_a_rejected_source_may_carry_any_sigma():
    ds = _em([1000.0, 500.0], [-1.0, 80.0]).assign(qa_reason=("source", ["fit failed", ""]))
    r = _rate(urbansat.tci231_indicators(emissions=ds, boundaries=_bnd(), periods=["2020"]))
    assert r.value == 500.0 and r.status == "partial"


def test_a_missing_sigma_is_said_not_hidden():
    r = _rate(
        urbansat.tci231_indicators(
            emissions=_em([1000.0, 500.0], [np.nan, 80.0]), boundaries=_bnd(), periods=["2020"]
        )
    )
    assert r.value == 1500.0 and np.isnan(r.uncertainty)
    assert "uncertainty not available: no 1-sigma for source(s) ['a']" in r.note


@pytest.mark.parametrize("lon", [-1.0, 359.0])
def test_either_longitude_convention_finds_the_boundary(lon):
    ds = _em([1000.0, 500.0], [100.0, 80.0], lon=(lon, lon), lat=(0.5, 1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = urbansat.tci231_indicators(
            emissions=ds, boundaries=_bnd(-2.0, 0.0), periods=["2020"], collapse=False
        )
    r = _rate(t)
    assert r.value == 1500.0 and r.status == "ok"


def test_a_boundary_drawn_in_0_360_finds_a_source_at_minus_1():
    ds = _em([1000.0, 500.0], [100.0, 80.0], lon=(-1.0, -1.0), lat=(0.5, 1.0))
    t = urbansat.tci231_indicators(
        emissions=ds, boundaries=_bnd(358.0, 360.0), periods=["2020"], collapse=False
    )
    assert _rate(t).value == 1500.0


@pytest.mark.parametrize(("lon", "lat"), [(1.5, 95.0), (500.0, 1.0)])
def test_a_source_off_the_globe_is_refused(lon, lat):
    ds = _em([1000.0, 500.0], [100.0, 80.0], lat=(0.5, lat), lon=(0.5, lon))
    with pytest.raises(SchemaError, match=r"emission source 'b' is at longitude .* -90\.\.90"):
        urbansat.tci231_indicators(emissions=ds, boundaries=_bnd(), periods=["2020"])


def _swath(values, units, sigma):
    c = np.arange(-0.95, 2.0, 0.1)
    lon, lat = np.meshgrid(c, c)
    return xr.Dataset(
        {
            "xco2": (("y", "x"), np.full(lon.shape, values), {"units": units}),
            "xco2_uncertainty": (("y", "x"), np.full(lon.shape, sigma), {"units": units}),
            "qa_pass": (("y", "x"), np.ones(lon.shape, bool)),
        },
        coords={
            "latitude": (("y", "x"), lat, {"units": "degrees_north"}),
            "longitude": (("y", "x"), lon, {"units": "degrees_east"}),
            "time": (("y",), np.full(lon.shape[0], np.datetime64("2020-06-01T10:00", "ns"))),
        },
        attrs={"gas": "co2", "product": "synthetic", "source_files": "[]"},
    )


@pytest.mark.parametrize(
    ("value", "units", "sigma"), [(401e-6, "mol mol-1", 5e-7), (401.0, "ppb", 0.5)]
)
def test_concentrations_refuse_a_swath_in_another_unit(value, units, sigma):
    bnd = _bnd(0.0, 1.0).assign(level="county")
    with pytest.raises(SchemaError, match=rf"'xco2' has units '{units}', expected 'ppm'"):
        boundary_concentrations(_swath(value, units, sigma), bnd)


def test_min_overlap_given_as_text_is_the_number():
    bnd = _bnd(0.0, 1.0).assign(level="county")
    sw = _swath(401.0, "ppm", 0.5)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The swath has no footprint corners")
        a = boundary_concentrations(sw, bnd, min_overlap="0.5")
        b = boundary_concentrations(sw, bnd, min_overlap=0.5)
    xr.testing.assert_identical(a, b)
    assert float(a["column_mean"][0]) == pytest.approx(401.0)
