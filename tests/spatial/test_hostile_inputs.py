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


def _utm(data, nodata=None):
    x = 500000 + np.arange(data.shape[1]) + 0.5
    y = 5000010 - np.arange(data.shape[0]) - 0.5
    r = xr.DataArray(data, dims=("y", "x"), coords={"y": y, "x": x}).rio.write_crs(32633)
    return r if nodata is None else r.rio.write_nodata(nodata)


_BOX = gpd.GeoDataFrame(
    {"boundary_id": ["a"]}, geometry=[shapely.box(500000, 5000000, 500010, 5000010)], crs=32633
)


@pytest.mark.parametrize("fill", [-3.4e38, 0.1])
def test_a_float_nodata_matches_the_float32_pixels_that_hold_it(fill):
    d = np.full((10, 10), 5.0, np.float32)
    d[:5] = fill
    t = urbansat.zonal_stats(_utm(d), _BOX, ["mean", "count"], nodata=fill)
    assert t["count"].iloc[0] == pytest.approx(50.0)  # was 100: float32(fill) != fill
    assert t["mean"].iloc[0] == pytest.approx(5.0)


@pytest.mark.parametrize("dtype", [np.float16, bool])
def test_float16_and_bool_rasters_are_summarised(dtype):
    d = np.ones((10, 10), dtype)
    t = urbansat.zonal_stats(_utm(d), _BOX, ["mean", "sum"])  # a numba TypingError before
    assert t["mean"].iloc[0] == pytest.approx(1.0)
    assert t["sum"].iloc[0] == pytest.approx(100.0)


def test_class_areas_on_a_web_mercator_raster_warn_of_map_areas():
    from pyproj import Transformer

    tr = Transformer.from_crs(4326, 3857, always_xy=True)
    x0, y0 = tr.transform(10, 50)
    x1, y1 = tr.transform(11, 51)
    xs = np.arange(x0, x1, 1000.0) + 500
    ys = np.arange(y1, y0, -1000.0) - 500
    r = xr.DataArray(
        np.full((ys.size, xs.size), 10, np.uint8), dims=("y", "x"), coords={"y": ys, "x": xs}
    ).rio.write_crs(3857)
    b = gpd.GeoDataFrame({"boundary_id": ["b"]}, geometry=[shapely.box(10, 50, 11, 51)], crs=4326)
    with pytest.warns(
        urbansat.SuspectValueWarning, match=r"not equal-area: .* 2.4\d?-2.5\d? times"
    ):
        urbansat.class_areas(r, b)


@pytest.mark.parametrize("base", [0.0, 1e8, 1e9])
@pytest.mark.parametrize("chunks", [None, {"y": 3, "x": 4}])
def test_std_keeps_its_digits_far_from_zero(base, chunks):
    d = base + np.random.default_rng(0).standard_normal((10, 10))
    r = _utm(d)
    r = r if chunks is None else r.chunk(chunks)
    t = urbansat.zonal_stats(r, _BOX, ["std", "min", "max"])
    # E[x^2] - mean^2 gave 0 at 1e8 and 22.6 at 1e9 for a spread of about 1
    np.testing.assert_allclose(t["std"].iloc[0], d.std(), rtol=1e-8)
    assert t["min"].iloc[0] == pytest.approx(d.min(), rel=1e-15)
    assert t["max"].iloc[0] == pytest.approx(d.max(), rel=1e-15)
    const = urbansat.zonal_stats(_utm(np.full((10, 10), 0.1)), _BOX, ["std"])
    assert const["std"].iloc[0] == 0.0  # was 6.7e-9


@pytest.mark.parametrize("chunks", [None, {"y": 2, "x": 2}])
def test_std_of_a_small_zone_among_large_values_is_exact(chunks):
    # values 1e9 +- 1e8 (too spread to shift the block): a one-pixel zone had std 13.4
    # unchunked and 0 chunked, from E[x^2] - mean^2 over the block
    d = np.random.default_rng(2).random((10, 10)) * 1e8 + 1e9
    r = xr.DataArray(  # 1-degree cells of 1.2e10 m2 at the equator, rows 3.5 .. -5.5
        d, dims=("y", "x"), coords={"y": 3.5 - np.arange(10), "x": np.arange(10) + 0.5}
    ).rio.write_crs(4326)
    r = r if chunks is None else r.chunk(chunks)
    zones = gpd.GeoDataFrame(
        {"boundary_id": ["one", "two"]},
        geometry=[shapely.box(0, 3, 1, 4), shapely.box(3, -1, 5, 0)],  # (0, 0); (4, 3..4)
        crs=4326,
    )
    t = urbansat.zonal_stats(r, zones, ["std"]).set_index("boundary_id")["std"]
    assert t["one"] == 0.0
    np.testing.assert_allclose(t["two"], d[4, 3:5].std(), rtol=1e-9)  # equal cell areas


def test_flattened_soundings_are_screened_by_qa_only_too():
    from urbansat.schema import to_soundings
    from urbansat.testing.granules import make_swath

    ds = make_swath(shape_yx=(20, 6))
    qa = np.zeros((20, 6), bool)
    qa[:10] = True
    ds["qa_pass"] = (("y", "x"), qa)
    ds["xco2"] = ds.xco2.where(ds.qa_pass, 999.0)  # QA-failed soundings carry garbage
    snd = to_soundings(ds, qa_only=False)
    g = urbansat.grid_soundings(snd, resolution=0.05, qa_only=True)
    assert float(g.xco2.max()) < 500  # was 999
    box = gpd.GeoDataFrame(
        {"boundary_id": ["a"]}, geometry=[shapely.box(-119, 33, -117, 35)], crs=4326
    )
    s = urbansat.select_soundings(snd, box, qa_only=True)
    assert bool(s.qa_pass.all())


def test_soundings_without_a_footprint_are_counted_in_a_warning():
    from urbansat.testing.granules import make_swath

    ds = make_swath(shape_yx=(10, 4))
    lat = ds.latitude_bounds.values.copy()
    lat[0, :3] = np.nan  # three footprints with NaN corners (a vertex fill)
    ds["latitude_bounds"] = (ds.latitude_bounds.dims, lat, ds.latitude_bounds.attrs)
    with pytest.warns(urbansat.UrbansatWarning, match="3 of 40 sounding"):
        urbansat.grid_soundings(ds, resolution=0.05)
    box = gpd.GeoDataFrame(
        {"boundary_id": ["a"]}, geometry=[shapely.box(-125, 28, -110, 40)], crs=4326
    )
    with pytest.warns(urbansat.UrbansatWarning, match="3 of 40 sounding"):
        urbansat.select_soundings(ds, box)


def test_select_soundings_across_the_antimeridian():
    from urbansat.testing.granules import make_swath

    ds = make_swath(shape_yx=(40, 30), center=(180.0, -17.0), pixel_km=(5, 5))
    lon, lat = ds.longitude.values, ds.latitude.values
    d180 = np.abs(np.where(lon < 0, lon + 360, lon) - 180)
    inside = int(((d180 < 0.4) & (np.abs(lat + 17) < 0.4)).sum())
    box = shapely.box(179.6, -17.4, 180.4, -16.6)  # 0..360 convention
    fiji = gpd.GeoDataFrame({"boundary_id": ["fj"]}, geometry=[box], crs=4326)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urbansat.UrbansatWarning)
        for b, kw in ((fiji, {}), (fiji.to_crs(3460), {}), (fiji, {"buffer_km": 1.0})):
            r = urbansat.select_soundings(ds, b, **kw)  # picked the soundings outside before
            rl = r.longitude.values
            far = np.abs(np.where(rl < 0, rl + 360, rl) - 180)
            assert r.sizes["sounding"] >= inside
            assert far.max() < 0.4 + 0.05 + (0.05 if kw else 0.0)


def test_an_inverted_bbox_is_refused_not_a_1_by_1_grid():
    from urbansat.errors import SchemaError
    from urbansat.spatial.grid import GridSpec

    with pytest.raises(SchemaError, match="xmin < xmax"):
        GridSpec.from_bbox((-117, 34, -119, 33), 0.1)
    assert GridSpec.from_bbox((-119, 33, -117, 34), 0.1).shape_yx == (10, 20)


def _centres(lon, lat):
    """Flattened soundings with centres only (centre binning)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    n = lon.size
    return xr.Dataset(
        {
            "xco2": (("sounding",), 400.0 + np.arange(n), {"units": "ppm"}),
            "xco2_uncertainty": (("sounding",), np.full(n, 0.5), {"units": "ppm"}),
            "qa_pass": (("sounding",), np.ones(n, bool)),
        },
        coords={
            "latitude": (("sounding",), lat, {"units": "degrees_north"}),
            "longitude": (("sounding",), lon, {"units": "degrees_east"}),
            "time": (("sounding",), np.full(n, np.datetime64("2020-01-01T12", "ns"))),
        },
        attrs={"gas": "co2"},
    )


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        ([0.3, 0.7, 1.0], [10.0, 10.2, 10.5]),  # on the automatic grid's east edge
        ([0.3, 0.7, 1.0], [-90.0, -89.5, -89.2]),  # at the south pole (the south edge)
    ],
)
def test_centre_binning_keeps_soundings_on_the_grid_edge(lon, lat):
    g = urbansat.grid_soundings(_centres(lon, lat), resolution=0.1, method="centre")
    assert int(g.n_soundings.sum()) == 3  # was 2: the edge sounding fell off the grid
    assert float(g.xco2.max()) == 402.0


@pytest.mark.parametrize("method", ["centre", "footprint"])
def test_a_grid_across_180_holds_the_soundings_of_both_sides(method):
    from urbansat.spatial.grid import GridSpec
    from urbansat.testing.granules import make_swath

    ds = make_swath(shape_yx=(20, 16), center=(180.0, -17.0), pixel_km=(5, 5))
    n = ds.xco2.size
    grid = GridSpec.from_bbox((178.0, -19.0, 182.0, -15.0), 0.05)
    g = urbansat.grid_soundings(ds, grid=grid, method=method)
    # every footprint lies inside the grid: each adds its whole area share of 1 (was ~half)
    np.testing.assert_allclose(float(g.weight_sum.sum()), n, rtol=1e-9)
    west = g.xco2.sel(x=slice(None, 180.0)).mean()
    east = g.xco2.sel(x=slice(180.0, None)).mean()
    assert np.isfinite(float(west)) and np.isfinite(float(east))


def test_footprints_straddling_180_keep_their_east_part_on_a_global_grid():
    from urbansat.spatial.grid import GridSpec
    from urbansat.testing.granules import make_swath

    ds = make_swath(shape_yx=(20, 16), center=(180.0, -17.0), pixel_km=(5, 5))
    grid = GridSpec.from_bbox((-180.0, -19.0, 180.0, -15.0), 0.05)
    g = urbansat.grid_soundings(ds, grid=grid)
    np.testing.assert_allclose(float(g.weight_sum.sum()), ds.xco2.size, rtol=1e-9)
    with pytest.raises(urbansat.errors.SchemaError, match="not a positive cell size"):
        urbansat.grid_soundings(ds, resolution="0.1")  # a string from a config was accepted


def test_zero_weights_leave_the_range_and_say_why_the_mean_is_missing():
    """All-zero weights gave min/max NaN beside count 100, and 'no valid pixel'."""
    r = _utm(np.arange(100.0).reshape(10, 10))
    w = xr.zeros_like(r)
    w[:, 5:] = 1.0
    b = gpd.GeoDataFrame(
        {"boundary_id": ["all", "corner"]},
        geometry=[_BOX.geometry.iloc[0], shapely.box(500000, 5000000, 500002, 5000002)],
        crs=32633,
    )
    with pytest.warns(urbansat.errors.EmptyResultWarning, match=r"weights that are all 0.*corner"):
        t = urbansat.zonal_stats(r, b, ["mean", "min", "max", "count", "std"], weights=w)
    c = t.set_index("boundary_id").loc["corner"]
    assert (c["min"], c["max"], c["count"]) == (80.0, 91.0, 4.0)  # cells 80, 81, 90, 91
    assert np.isnan(c["mean"]) and np.isnan(c["std"])
    a = t.set_index("boundary_id").loc["all"]
    assert a["mean"] == pytest.approx(np.arange(100.0).reshape(10, 10)[:, 5:].mean())
    assert (a["min"], a["max"]) == (0.0, 99.0)
