"""An undeclared fill value (-9999 and kin) inside a boundary is named, not silently averaged."""

from __future__ import annotations

import re
import warnings

import geopandas as gpd
import numpy as np
import pytest
import xarray as xr
from shapely.geometry import box

import urbansat
from urbansat.errors import SuspectValueWarning
from urbansat.spatial.zonal import FILL_LIKE_VALUES


def _raster(fill: float | None) -> xr.DataArray:
    vals = np.arange(100, dtype=float).reshape(10, 10)
    if fill is not None:
        vals[7, 2] = fill  # x 2.5, y 2.5: inside the boundary below
    da = xr.DataArray(
        vals,
        dims=("y", "x"),
        coords={"y": 10 - (np.arange(10) + 0.5), "x": np.arange(10) + 0.5},
    )
    return da.rio.write_crs(4326)


BOUNDARY = gpd.GeoDataFrame({"boundary_id": ["a"]}, geometry=[box(1, 1, 4, 4)], crs=4326)


@pytest.mark.parametrize("fill", FILL_LIKE_VALUES)
def test_an_undeclared_fill_warns_naming_value_boundary_and_fix(fill):
    r = _raster(fill)
    before = r.copy(deep=True)
    msg = rf"\['a'\].*equal to {re.escape(f'{fill:g}')}.*nodata={re.escape(repr(fill))}"
    with pytest.warns(SuspectValueWarning, match=msg):
        out = urbansat.zonal_stats(r, BOUNDARY, stats=("sum", "count"))
    assert out["count"][0] == 9  # counted as a value, as the warning says
    xr.testing.assert_identical(r, before)


@pytest.mark.parametrize("declare", ["argument", "attribute"])
def test_a_declared_fill_is_missing_and_does_not_warn(declare):
    r = _raster(-9999.0)
    kw = {}
    if declare == "argument":
        kw["nodata"] = -9999.0
    else:
        r = r.rio.write_nodata(-9999.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SuspectValueWarning)
        out = urbansat.zonal_stats(r, BOUNDARY, stats=("sum", "count"), **kw)
    assert out["count"][0] == 8
    assert out["sum"][0] == pytest.approx(648.0 - 72.0)  # the fill cell held 72


def test_ordinary_values_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", SuspectValueWarning)
        urbansat.zonal_stats(_raster(None), BOUNDARY)


def test_class_areas_names_its_own_argument_on_a_float_raster():
    # the check ran inside class_transition_areas, which called the raster "start"
    with pytest.raises(urbansat.SchemaError, match=r"The categorical_raster raster has dtype"):
        urbansat.class_areas(_raster(None), BOUNDARY)
