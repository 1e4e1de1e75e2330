"""Inputs that gave silent wrong zonal numbers or raw tracebacks (probed 2026-12-07).

Each test fails on the code before its fix; expected values are computed by hand.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import rioxarray  # noqa: F401  - registers the .rio accessor
import shapely
import xarray as xr

import urbansat
from urbansat.spatial.areas import ellipsoidal_cell_area


def _geo(data, x):
    y = 89.5 - np.arange(data.shape[0])
    return xr.DataArray(data, dims=("y", "x"), coords={"y": y, "x": x}).rio.write_crs(4326)


def test_a_0_360_polygon_on_a_180_raster_keeps_its_area_past_180():
    r = _geo(np.full((180, 360), 10, np.uint8), -179.5 + np.arange(360))
    b = gpd.GeoDataFrame(
        {"boundary_id": ["fiji"]}, geometry=[shapely.box(178, -17, 182, -15)], crs=4326
    )
    t = urbansat.class_areas(r, b)
    np.testing.assert_allclose(t.area_m2.iloc[0], ellipsoidal_cell_area(-17, -15, 4.0), rtol=1e-9)
    assert t.outside_area_m2.iloc[0] == pytest.approx(0.0, abs=1.0)


def test_a_polygon_split_at_180_lands_on_a_raster_across_180():
    r = _geo(np.full((180, 20), 10, np.uint8), 170.5 + np.arange(20))
    ring = [(178, -17), (-178, -17), (-178, -15), (178, -15)]
    b = gpd.GeoDataFrame({"boundary_id": ["f"]}, geometry=[shapely.Polygon(ring)], crs=4326)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urbansat.UrbansatWarning)  # the split is announced
        t = urbansat.class_areas(r, b)
    np.testing.assert_allclose(t.area_m2.iloc[0], ellipsoidal_cell_area(-17, -15, 4.0), rtol=1e-9)
