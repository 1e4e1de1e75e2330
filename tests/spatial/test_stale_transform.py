"""A raster re-sorted after opening keeps the file's GeoTransform: refused, never misplaced."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rioxarray
import shapely
import xarray as xr

import urbansat
from urbansat.errors import AlignmentError


@pytest.fixture
def raster(tmp_path):
    arr = np.arange(16, dtype="float32").reshape(4, 4)
    da = xr.DataArray(
        arr,
        dims=("y", "x"),
        coords={"y": 50 - 0.01 * (np.arange(4) + 0.5), "x": 10 + 0.01 * (np.arange(4) + 0.5)},
    )
    da.rio.write_crs(4326, inplace=True).rio.to_raster(tmp_path / "v.tif")
    return rioxarray.open_rasterio(tmp_path / "v.tif").squeeze("band", drop=True)


NORTH = gpd.GeoDataFrame(
    {"boundary_id": ["north"]}, geometry=[shapely.box(10, 49.98, 10.04, 50.0)], crs=4326
)


def test_sorted_raster_with_the_files_transform_is_refused(raster):
    # the stored transform put the top rows of the sorted array (the south) in the north:
    # mean 11.5 instead of 3.5, silently
    before = urbansat.zonal_stats(raster, NORTH, stats=["mean"])["mean"].item()
    assert before == pytest.approx(3.5, abs=0.01)
    flipped = raster.sortby("y")
    with pytest.raises(AlignmentError, match=r"GeoTransform does not match its 'y'.*recalc=True"):
        urbansat.zonal_stats(flipped, NORTH, stats=["mean"])
    classes = (flipped > 7).astype("uint8")
    with pytest.raises(AlignmentError, match="re-sorted, flipped or sliced"):
        urbansat.class_areas(classes, NORTH)


def test_the_suggested_fix_gives_the_unsorted_answer(raster):
    flipped = raster.sortby("y")
    fixed = flipped.rio.write_transform(flipped.rio.transform(recalc=True))
    for stat in ("mean", "count"):
        a = urbansat.zonal_stats(raster, NORTH, stats=[stat])[stat].item()
        b = urbansat.zonal_stats(fixed, NORTH, stats=[stat])[stat].item()
        assert b == pytest.approx(a, rel=1e-12)
