"""zonal_stats and class_areas refuse a nodata that is not a usable value and negative weights.

Before, ``nodata="x"`` was a raw ``ValueError`` from ``float``; ``nodata=True`` was read as 1;
an integer raster's ``nodata=1.5`` or a uint8 raster's ``nodata=300`` matched no pixel and
was silently ignored; negative weights turned the weighted mean into NaN with the
misleading warning "no valid pixel" (or, mixed with positive ones, into a wrong number).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rioxarray  # noqa: F401 - registers .rio
import xarray as xr
from shapely.geometry import box

import urbansat
from urbansat.errors import SchemaError

BOUNDARY = gpd.GeoDataFrame({"boundary_id": ["a"]}, geometry=[box(1, 1, 4, 4)], crs=4326)


def _raster(dtype: str = "float64") -> xr.DataArray:
    vals = np.arange(100).reshape(10, 10).astype(dtype)
    da = xr.DataArray(
        vals,
        dims=("y", "x"),
        coords={"y": 10 - (np.arange(10) + 0.5), "x": np.arange(10) + 0.5},
    )
    return da.rio.write_crs(4326)


@pytest.mark.parametrize(
    ("nodata", "match"),
    [
        ("x", r"nodata='x' is not a number; give the value that marks missing pixels of raster"),
        (True, r"nodata=True is not a number"),
        ([0], r"nodata=\[0\] is not a number"),
    ],
)
def test_zonal_stats_nodata_must_be_a_number(nodata, match):
    r = _raster()
    before = r.copy(deep=True)
    with pytest.raises(SchemaError, match=match):
        urbansat.zonal_stats(r, BOUNDARY, nodata=nodata)
    xr.testing.assert_identical(r, before)


def test_zonal_stats_integer_raster_nodata_must_be_representable():
    with pytest.raises(SchemaError, match=r"nodata=300 can never occur in raster of dtype uint8"):
        urbansat.zonal_stats(_raster("uint8"), BOUNDARY, nodata=300)
    # a float nodata on a float raster, NaN, and numpy scalars stay accepted
    for ok in (np.float32(5), float("nan"), -9999.0):
        assert len(urbansat.zonal_stats(_raster(), BOUNDARY, nodata=ok)) == 1


@pytest.mark.parametrize("func", ["zonal_stats", "class_areas"])
def test_a_declared_fill_value_the_dtype_cannot_hold_is_named(func):
    """uint8 with ``_FillValue = -9999`` was rioxarray's bare OverflowError."""
    r = _raster("uint8")
    r.attrs["_FillValue"] = -9999
    before = r.copy(deep=True)
    name = "raster" if func == "zonal_stats" else "categorical_raster"
    with pytest.raises(
        SchemaError, match=rf"^{name} \(dtype uint8\) declares a nodata value .*-9999.* nodata="
    ):
        getattr(urbansat, func)(r, BOUNDARY)
    xr.testing.assert_identical(r, before)
    # the user's own nodata= is the way out
    assert len(getattr(urbansat, func)(r, BOUNDARY, nodata=0)) >= 1


@pytest.mark.parametrize(
    ("nodata", "match"),
    [
        (1.5, r"nodata=1\.5 can never occur in categorical_raster of dtype int16 \(whole numbers"),
        (300, r"nodata=300 can never occur in categorical_raster of dtype uint8 \(whole numbers 0"),
        (True, r"nodata=True is not a number; .* or None to use categorical_raster\.rio\.nodata"),
        (float("nan"), r"nodata=nan is not a class code of categorical_raster"),
    ],
)
def test_class_areas_nodata_must_be_a_class_code(nodata, match):
    r = _raster("uint8" if nodata == 300 else "int16")
    before, bnd = r.copy(deep=True), BOUNDARY.copy()
    with pytest.raises(SchemaError, match=match):
        urbansat.class_areas(r, BOUNDARY, nodata=nodata)
    xr.testing.assert_identical(r, before)
    assert BOUNDARY.equals(bnd)


def test_class_areas_nodata_code_is_excluded():
    r = _raster("int16")
    all_ = urbansat.class_areas(r, BOUNDARY)
    some = urbansat.class_areas(r, BOUNDARY, nodata=np.int64(61))
    assert 61 in set(all_["class"]) and 61 not in set(some["class"])
    assert some["unobserved_area_m2"].iloc[0] > 0


@pytest.mark.parametrize("chunks", [None, 5])
def test_negative_weights_are_refused(chunks):
    r = _raster()
    w = r - 80.0  # negative in the block the boundary meets
    if chunks:
        r, w = r.chunk(chunks), w.chunk(chunks)
    before = (r.copy(deep=True), w.copy(deep=True))
    with pytest.raises(SchemaError, match=r"weights has negative values \(down to -"):
        urbansat.zonal_stats(r, BOUNDARY, weights=w)
    xr.testing.assert_identical(r, before[0])
    xr.testing.assert_identical(w, before[1])


def test_zero_and_nan_weights_are_allowed():
    r = _raster()
    w = xr.ones_like(r).where(r != 72, 0.0).where(r != 73, np.nan)
    out = urbansat.zonal_stats(r, BOUNDARY, weights=w, stats=["mean"])
    assert np.isfinite(out["mean"].iloc[0])


@pytest.mark.parametrize(
    ("ids", "rows"), [([np.nan, np.nan], "0, 1"), (["a", None], "1"), (["a", "  "], "1")]
)
def test_boundaries_without_an_id_are_refused_naming_the_rows(ids, rows):
    # two NaN ids passed as two boundaries "nan"; None gave numpy's TypeError from np.unique
    import shapely

    from urbansat.errors import BoundaryError

    d = xr.DataArray(
        np.arange(16.0).reshape(4, 4),
        dims=("y", "x"),
        coords={"y": 50 - 0.01 * (np.arange(4) + 0.5), "x": 10 + 0.01 * (np.arange(4) + 0.5)},
    ).rio.write_crs(4326)
    g = [shapely.box(10, 49.96, 10.02, 50), shapely.box(10.02, 49.96, 10.04, 50)]
    bb = gpd.GeoDataFrame({"boundary_id": ids}, geometry=g, crs=4326)
    with pytest.raises(BoundaryError, match=rf"rows \[{rows}\] \(0-based\) have no boundary_id"):
        urbansat.zonal_stats(d, bb, stats=["mean"])
