"""Contracts C4-C6 (issue 20 item 2): what the producers return passes the one check of each
product, and every consumer refuses a malformed product with that check's message."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import urbansat
from urbansat.errors import SchemaError
from urbansat.schema import (
    METHOD_DIM,
    TIDY_COLUMNS,
    require_emission_result,
    require_indicator_table,
    require_sink_result,
)
from urbansat.testing.landcover import make_landcover
from urbansat.testing.plumes import make_plume_swath


@pytest.fixture(scope="module")
def plume():
    sw, truth = make_plume_swath("tropomi", gas="ch4", emission=5.0, seed=2)
    return sw, truth


@pytest.fixture(scope="module")
def emissions(plume):
    sw, truth = plume
    return urbansat.estimate_emissions(
        sw, sources=truth["sources"], wind=truth["wind"], method=["ime", "csf"]
    )


def _boundaries(lon: float, lat: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"boundary_id": ["B1"], "name": ["Box"], "level": ["region"], "parent_id": [None]},
        geometry=[shapely.box(lon - 1, lat - 1, lon + 1, lat + 1)],
        crs=4326,
    )


def test_estimate_emissions_output_is_an_emission_result(emissions):
    assert require_emission_result(emissions, single_method=False) is emissions
    one = emissions.sel({METHOD_DIM: "ime"})
    assert require_emission_result(one) is one


def test_account_sinks_output_is_a_sink_result():
    codes = np.array([[10, 10, 40, 40]] * 4, dtype=np.uint8)
    start = make_landcover(codes, product="worldcover")
    end = make_landcover(np.where(codes == 40, 10, codes).astype(np.uint8), product="worldcover")
    ds = urbansat.account_sinks(start, end, None, years=5, climate_zone="subtropical_humid_asia")
    assert require_sink_result(ds) is ds


def test_tci231_indicators_output_is_an_indicator_table(emissions, plume):
    _, truth = plume
    src = truth["sources"]
    lon, lat = float(np.ravel(src["longitude"])[0]), float(np.ravel(src["latitude"])[0])
    table = urbansat.tci231_indicators(
        emissions=emissions.sel({METHOD_DIM: "ime"}).assign_attrs(gas="ch4"),
        boundaries=_boundaries(lon, lat),
        periods=["2021"],
    )
    out = require_indicator_table(table)
    assert tuple(out.columns) == TIDY_COLUMNS
    assert out is not table  # a new, re-typed frame


@pytest.mark.parametrize(
    ("consumer", "needle"),
    [
        ("indicators", r"emissions holds 2 methods .* ds\.sel\(inversion_method='ime'\)"),
        ("validation", r"estimates holds 2 methods"),
        ("period_totals", r"estimates Dataset #0 holds 2 methods"),
    ],
)
def test_consumers_refuse_several_methods_with_the_contract_message(emissions, consumer, needle):
    ds = emissions.assign_attrs(gas="ch4", overpass_time="2021-06-01T10:30")
    with pytest.raises(SchemaError, match=needle):
        if consumer == "indicators":
            urbansat.tci231_indicators(
                emissions=ds, boundaries=_boundaries(0.0, 0.0), periods=["2021"]
            )
        elif consumer == "validation":
            inv = pd.DataFrame(
                {
                    "inventory_id": ["p"],
                    "gas": ["ch4"],
                    "longitude": [0.0],
                    "latitude": [0.0],
                    "emission_t_per_yr": [1.0],
                    "emission_t_per_yr_uncertainty": [0.1],
                }
            )
            urbansat.validate_inventory(ds, inv)
        else:
            urbansat.period_totals(ds, periods={"2021": ("2021-01-01", "2022-01-01")})


def test_emission_result_without_its_variables_is_named(emissions):
    bad = emissions.sel({METHOD_DIM: "ime"}).drop_vars("emission_t_per_yr_uncertainty")
    with pytest.raises(SchemaError, match=r"lacks \['emission_t_per_yr_uncertainty'\]"):
        require_emission_result(bad)
    with pytest.raises(SchemaError, match="no 'source' dimension"):
        require_emission_result(bad.isel(source=0, drop=True))
    with pytest.raises(SchemaError, match=r"is a DataFrame, expected the xarray\.Dataset"):
        require_emission_result(pd.DataFrame())


def test_sink_result_checks_dims_and_variables():
    import xarray as xr

    ds = xr.Dataset(
        {v: (("boundary", "category"), np.zeros((1, 2))) for v in ("net_sink", "area_start")},
        coords={"boundary": ["B1"], "category": ["forest", "total"]},
    )
    with pytest.raises(SchemaError, match=r"sinks lacks \['area_end'\]"):
        urbansat.tci231_indicators(sinks=ds, boundaries=_boundaries(0, 0), periods=["2021"])
    with pytest.raises(SchemaError, match=r"no \['category'\] dimension"):
        require_sink_result(ds.isel(category=0, drop=True))


def test_report_and_netcdf_export_check_the_table(tmp_path):
    from urbansat.export import table_to_dataset
    from urbansat.report import render_report

    table = pd.DataFrame({c: ["x"] for c in TIDY_COLUMNS if c != "status"})
    with pytest.raises(SchemaError, match=r"indicator table lacks columns \['status'\]"):
        table_to_dataset(table)
    with pytest.raises(SchemaError, match=r"indicator table lacks columns \['status'\]"):
        render_report(table=table, boundaries=_boundaries(0, 0))
