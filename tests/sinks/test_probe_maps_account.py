"""carbon_maps and account_sinks inputs found by the probe round of 2026-12-07 (helper C).

Each test fails on the code before its fix. ``carbon_maps`` now makes the epoch checks of
``account_sinks`` (``sinks.account.checked_epochs``): it accepted a ``(band, y, x)`` array
only as a raw dask error, used a stale GeoTransform (areas on the wrong rows), turned an
unmapped class into silent NaN, truncated float codes, computed the change of swapped
epochs with the sign reversed and an NPV with a ``years=`` that contradicts the epochs, and
gave no warning on a map whose CRS is not equal-area.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import rioxarray  # noqa: F401 - registers .rio
import xarray as xr

import urbansat
from urbansat.errors import (
    AlignmentError,
    BoundaryError,
    ConfigError,
    LegendError,
    SchemaError,
    SuspectValueWarning,
)

INV = pd.DataFrame(
    {
        "lucode": [10, 30, 50],
        "c_above": [100.0, 10, 0],
        "c_below": [20.0, 5, 0],
        "c_soil": [50.0, 40, 10],
        "c_dead": [5.0, 0, 0],
    }
)
LEG = {10: "forest", 30: "grassland", 50: "built_up"}
KW = {"factors": INV, "legend": LEG}


def _utm(a, year=None):
    a = np.asarray(a)
    ny, nx = a.shape
    da = xr.DataArray(
        a,
        dims=("y", "x"),
        coords={
            "y": 2500000 - 10 * (np.arange(ny) + 0.5),
            "x": 500000 + 10 * (np.arange(nx) + 0.5),
        },
    )
    da = da.rio.write_crs("EPSG:32650").rio.write_transform()
    return da.assign_attrs(year=year) if year is not None else da


# 10 m pixels = 0.01 ha; start stock 0.01 (175 + 175 + 55 + 10) = 4.15 t C
START, END = [[10, 10], [30, 50]], [[10, 30], [30, 10]]


@pytest.mark.parametrize("chunked", [False, True])
def test_a_band_dimension_of_one_is_dropped(chunked):
    s, e = _utm(START).expand_dims(band=[1]), _utm(END).expand_dims(band=[1])
    if chunked:
        s, e = s.chunk(), e.chunk()
    m = urbansat.carbon_maps(s, e, **KW)
    assert float(m.stock_start.sum()) == pytest.approx(4.15, rel=1e-12)


def test_a_stale_geotransform_is_refused():
    s = _utm(START).isel(y=slice(None, None, -1))
    with pytest.raises(AlignmentError, match=r"stored GeoTransform does not match its 'y'"):
        urbansat.carbon_maps(s, s.copy(), **KW)


def test_an_unmapped_class_is_a_legend_error_not_nan():
    s, e = _utm([[10, 20], [30, 50]]), _utm([[10, 30], [30, 20]])
    m = urbansat.carbon_maps(s, e, **KW)  # lazy: the check runs with the maps
    with pytest.raises(LegendError, match=r"holds class code\(s\) \[20\] that legend"):
        float(m.stock_start.sum())


def test_float_codes_are_refused():
    s = _utm(np.array([[10.7, 10], [30, 50]]))
    with pytest.raises(SchemaError, match=r"landcover_start raster has dtype float64.*10\.7"):
        urbansat.carbon_maps(s, _utm(np.array(END, dtype=float)), **KW)


def test_swapped_epochs_are_refused():
    with pytest.raises(ConfigError, match=r"start land cover is of 2020 and the end one of 2015"):
        urbansat.carbon_maps(_utm(END, 2020), _utm(START, 2015), **KW)


def test_years_are_checked_as_in_account_sinks():
    s, e = _utm(START, 2015), _utm(END, 2021)
    val = {"price": 100, "discount_rate": 10, "rate_change": 0}
    truth = 0.45 * 100 / 6 * sum(1.1**-t for t in range(6))  # stock change 0.45 t C
    with pytest.raises(ConfigError, match=r"years=5 contradicts the epochs' year attributes"):
        urbansat.carbon_maps(s, e, valuation=val, years=5, **KW)
    with pytest.raises(ConfigError, match=r"years=0.5: the land-cover products"):
        urbansat.carbon_maps(s, e, valuation=val, years=0.5, **KW)
    for years in (None, np.int64(6), 6.0):  # np.int64 was refused
        m = urbansat.carbon_maps(s, e, valuation=val, years=years, **KW)
        assert float(m.npv.sum()) == pytest.approx(truth, rel=1e-9)


def test_a_map_in_web_mercator_warns():
    x0, y0 = 1113194.9, 6446275.8  # about 10 E, 50 N
    da = xr.DataArray(
        np.full((2, 2), 10),
        dims=("y", "x"),
        coords={"y": y0 - 100 * (np.arange(2) + 0.5), "x": x0 + 100 * (np.arange(2) + 0.5)},
    )
    da = da.rio.write_crs("EPSG:3857").rio.write_transform()
    with pytest.warns(SuspectValueWarning, match=r"is not equal-area"):
        urbansat.carbon_maps(da, da.copy(), factors=INV, legend={10: "forest"})


def test_the_inputs_are_unchanged():
    s, e = _utm(START, 2015), _utm(END, 2021)
    s0, e0 = s.copy(deep=True), e.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", urbansat.errors.UrbansatWarning)
        urbansat.carbon_maps(s, e, **KW).compute()
    xr.testing.assert_identical(s, s0)
    xr.testing.assert_identical(e, e0)


# --------------------------------------------------------------------------- account_sinks
def _pair():
    return _utm(START, 2015), _utm(END, 2020)


def _box(x0, y0, x1, y1, ids=("a",), **cols):
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame(
        {"boundary_id": list(ids), **cols},
        geometry=[shapely.box(x0, y0, x1, y1)] * len(ids),
        crs="EPSG:32650",
    )


ACC = {"factors": INV, "legend": LEG, "method": "stock_difference"}


@pytest.mark.parametrize(
    ("cols", "match"),
    [
        ({"area_m2": [100.0, np.nan]}, r"'area_m2' holds nan in row 1"),
        ({"area_m2": [100.0, -100.0]}, r"'area_m2' holds -100.0 in row 1"),
        ({"area_m2": [100.0, np.inf]}, r"'area_m2' holds inf in row 1"),
        ({"class_start": [10.6, 30]}, r"'class_start' holds 10.6 in row 0; give a whole-number"),
        ({"class_start": [10, np.nan]}, r"'class_start' holds nan in row 1"),
        ({"area_m2": None}, r"lacks column\(s\) \['area_m2'\]"),
    ],
)
def test_a_hand_made_transition_table_is_checked(cols, match):
    import urbansat.sinks

    base = {"class_start": [10, 30], "class_end": [10, 30], "area_m2": [100.0, 100.0]}
    base.update({k: v for k, v in cols.items() if v is not None})
    table = pd.DataFrame({"boundary_id": ["a", "a"], **base})
    if cols.get("area_m2", 0) is None:
        table = table.drop(columns="area_m2")
    before = table.copy()
    with pytest.raises(SchemaError, match=match):
        urbansat.sinks.account_transitions(
            table, pd.DataFrame({"boundary_id": ["a"]}), years=5, **ACC
        )
    pd.testing.assert_frame_equal(table, before)


@pytest.mark.parametrize(
    ("cols", "match"),
    [
        ({"removal": [np.nan]}, r"projects row 0 has removal = nan"),
        ({"removal": [True]}, r"'removal' holds True"),
        ({"removal": [np.inf]}, r"projects row 0 has removal = inf"),
        ({"removal": [2.0], "removal_low": [3.0], "removal_high": [1.0]}, r"low <= removal"),
        ({"removal": [2.0], "removal_low": [1.0]}, r"only one of removal_low / removal_high"),
    ],
)
def test_project_numbers_are_checked(cols, match):
    s, e = _pair()
    projects = _box(
        500000, 2499990, 500010, 2500000, ids=("p",), category="soil_water_conservation", **cols
    )
    before = projects.copy()
    with pytest.raises(ConfigError, match=match):
        urbansat.account_sinks(
            s, e, _box(500000, 2499980, 500020, 2500000), projects=projects, **ACC
        )
    pd.testing.assert_frame_equal(projects, before)


def test_a_good_project_still_counts():
    s, e = _pair()
    projects = _box(
        500000,
        2499990,
        500010,
        2500000,
        ids=("p",),
        category="soil_water_conservation",
        removal=[2.0],
        removal_low=[1.0],
        removal_high=[3.0],
    )
    ds = urbansat.account_sinks(
        s, e, _box(500000, 2499980, 500020, 2500000), projects=projects, **ACC
    )
    net = float(ds.net_sink.sel(boundary="a", category="soil_water_conservation"))
    # 0.01 ha (geodesic 0.010008, UTM scale 0.9996) x 2 t C ha-1 yr-1 x 44/12
    assert net == pytest.approx(0.0734, abs=5e-4)


def test_a_category_left_out_of_the_area_errors_has_an_unknown_sigma():
    s, e = _utm([[30, 30], [10, 10]], 2015), _utm([[50, 50], [30, 10]], 2020)
    kw = {**ACC, "unranged": "exclude"}
    full = urbansat.account_sinks(s, e, None, area_uncertainty=0.1, **kw)
    part = urbansat.account_sinks(s, e, None, area_uncertainty={"forest": 0.1}, **kw)
    g = {"boundary": "raster", "category": "grassland"}
    # 10 % on the grassland rows: 0.1 sqrt(0.66^2 + 0.88^2) = 0.11 t CO2 yr-1
    assert float(full.net_sink_uncertainty.sel(**g)) == pytest.approx(0.11, abs=5e-3)
    assert np.isnan(float(part.net_sink_uncertainty.sel(**g)))  # was 0.0 with status ok


def test_nested_boundaries_need_the_sampled_boundary():
    import urbansat.sinks

    s, e = _pair()
    b = pd.concat(
        [
            _box(500000, 2499980, 500020, 2500000, ids=("region",), level=["region"]),
            _box(500000, 2499980, 500010, 2500000, ids=("west",), level=["county"]),
            _box(500010, 2499980, 500020, 2500000, ids=("east",), level=["county"]),
        ],
        ignore_index=True,
    )
    ds = urbansat.account_sinks(s, e, b, **ACC)
    with pytest.raises(SchemaError, match=r"boundaries of levels \['county', 'region'\]"):
        urbansat.sinks.transition_map_areas(ds)
    strata = urbansat.sinks.transition_map_areas(ds, boundary="region")
    assert strata.sum() == pytest.approx(0.04) and strata["10->10"] == pytest.approx(0.01)


def test_a_coverage_checks_the_outlines_not_only_the_ids():
    s, e = _pair()
    old = _box(500000, 2499980, 500020, 2500000)
    new = _box(500000, 2499990, 500010, 2500000)
    cov = urbansat.Coverage(old, s)
    with pytest.raises(BoundaryError, match=r"\['a'\] have the ids of the coverage= but other"):
        urbansat.account_sinks(s, e, new, coverage=cov, **ACC)
    same = urbansat.account_sinks(s, e, old.to_crs(4326), coverage=cov, **ACC)  # other CRS
    assert float(same.stock_start.sel(category="total")[0]) == pytest.approx(4.15)
    with pytest.raises(BoundaryError, match=r"needs the boundaries also with coverage="):
        urbansat.account_sinks(s, e, None, coverage=cov, **ACC)


def test_a_sink_account_with_a_boundary_twice_is_refused():
    s, e = _pair()
    b = _box(500000, 2499980, 500020, 2500000, ids=("a",), name=["A"], level=["county"])
    d = urbansat.account_sinks(s, e, b, **ACC)
    both = xr.concat([d, d], "boundary", data_vars="all", coords="different", compat="equals")
    with pytest.raises(SchemaError, match=r"holds boundary \['a'\] more than once"):
        urbansat.tci231_indicators(
            sinks=both, boundaries=b, periods={"2020": ("2016-01-01", "2021-01-01")}
        )
