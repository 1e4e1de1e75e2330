"""numpy == dask (uneven chunks), laziness, dask.distributed, CRS handling, bad inputs."""

from __future__ import annotations

import dask
import dask.array as dsa
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

from urbansat.errors import CRSError, EmptyResultWarning, EmptySelectionError
from urbansat.spatial.zonal import class_areas, class_transition_areas, zonal_stats

from ._helpers import make_boundaries, make_raster

T = Affine(30.0, 0.0, 500000.0, 0.0, -30.0, 4000000.0)
NY, NX = 157, 203


def _scene(seed=1, n=12):
    rng = np.random.default_rng(seed)
    lc = rng.integers(0, 5, size=(NY, NX)).astype(np.uint8)  # 0 = nodata
    lc2 = np.where(rng.random((NY, NX)) < 0.2, rng.integers(1, 5, size=(NY, NX)), lc).astype(
        np.uint8
    )
    val = rng.normal(10.0, 2.0, size=(NY, NX))
    val[rng.random((NY, NX)) < 0.1] = np.nan
    c = rng.uniform([500000.0, 4000000.0 - NY * 30.0], [500000.0 + NX * 30.0, 4000000.0], (n, 2))
    geoms = [
        shapely.Point(p).buffer(r, quad_segs=5)
        for p, r in zip(c, rng.uniform(40, 1500, n), strict=True)
    ]
    geoms.append(shapely.box(499000.0, 3999000.0, 500700.0, 4001000.0))  # hangs over the edge
    return lc, lc2, val, make_boundaries(geoms)


def test_numpy_equals_dask_uneven_chunks():
    lc, lc2, val, gdf = _scene()
    a, b, v = make_raster(lc, T, nodata=0), make_raster(lc2, T, nodata=0), make_raster(val, T)
    ref = class_transition_areas(a, b, gdf)
    got = class_transition_areas(a.chunk({"y": 41, "x": 59}), b.chunk({"y": 23, "x": 97}), gdf)
    pd.testing.assert_frame_equal(
        ref[["boundary_id", "class_start", "class_end"]],
        got[["boundary_id", "class_start", "class_end"]],
    )
    np.testing.assert_allclose(got["area_m2"], ref["area_m2"], rtol=1e-12)
    zr = zonal_stats(v, gdf, ("mean", "sum", "count", "min", "max", "std"))
    zd = zonal_stats(
        v.chunk({"y": 33, "x": 71}), gdf, ("mean", "sum", "count", "min", "max", "std")
    )
    pd.testing.assert_frame_equal(zr, zd, rtol=1e-12)
    # the input rasters are not modified / rechunked in place
    assert a.chunks is None


def test_lazy_only_touched_blocks_are_read():
    lc, _, _, _ = _scene()
    a = make_raster(lc, T)
    poly = shapely.box(500000.0 + 31.0, 4000000.0 - 95.0, 500000.0 + 200.0, 4000000.0 - 31.0)
    gdf = make_boundaries([poly])
    read = []

    def tracked(block, block_info=None):
        read.append(block_info[0]["chunk-location"])
        return block

    lazy = a.chunk({"y": 40, "x": 40})
    lazy = lazy.copy(data=dsa.map_blocks(tracked, lazy.data, dtype=lazy.dtype))
    with dask.config.set(scheduler="synchronous"):
        df = class_transition_areas(lazy, None, gdf)
    assert set(read) == {(0, 0)}
    assert df["area_m2"].sum() == pytest.approx(poly.area, rel=1e-9)


def test_runs_on_distributed_local_cluster():
    distributed = pytest.importorskip("distributed")
    lc, lc2, _, gdf = _scene(seed=3)
    a, b = make_raster(lc, T), make_raster(lc2, T)
    ref = class_transition_areas(a, b, gdf)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    )
    with cluster, distributed.Client(cluster):
        got = class_transition_areas(a.chunk({"y": 50, "x": 64}), b.chunk({"y": 50, "x": 64}), gdf)
    np.testing.assert_allclose(got["area_m2"], ref["area_m2"], rtol=1e-12)


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(
    cx=st.floats(500000.0, 500000.0 + NX * 30.0),
    cy=st.floats(4000000.0 - NY * 30.0, 4000000.0),
    r=st.floats(1.0, 2000.0),
    nv=st.integers(3, 40),
    seed=st.integers(0, 2**31),
)
def test_property_fractions_sum_to_one_and_area_conserved(cx, cy, r, nv, seed):
    rng = np.random.default_rng(seed)
    lc = rng.integers(0, 4, size=(NY, NX)).astype(np.uint8)
    ang = np.sort(rng.uniform(0, 2 * np.pi, nv))
    rad = r * rng.uniform(0.3, 1.0, nv)
    poly = shapely.Polygon(np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)])
    if not poly.is_valid or poly.area == 0:
        return
    gdf = make_boundaries([poly])
    a = make_raster(lc, T, nodata=0)
    inside = poly.intersection(
        shapely.box(500000.0, 4000000.0 - NY * 30.0, 500000.0 + NX * 30.0, 4000000.0)
    )
    try:
        tr = class_transition_areas(a.chunk({"y": 37, "x": 53}), None, gdf)
    except EmptySelectionError:  # a polygon wholly beyond a raster edge or corner
        assert inside.area == 0
        return
    assert tr["area_m2"].sum() == pytest.approx(inside.area, rel=1e-9, abs=1e-6)
    assert (tr["area_m2"] > 0).all()
    if inside.area > 0 and (tr["class_start"] != 0).any():
        ca = class_areas(a, gdf)
        assert ca["fraction"].sum() == pytest.approx(1.0, rel=1e-9)
        assert ca["observed_area_m2"].iloc[0] + ca["unobserved_area_m2"].iloc[0] == pytest.approx(
            inside.area, rel=1e-9, abs=1e-6
        )


def test_crs_reprojection_and_errors():
    lc, _, _, _ = _scene()
    a = make_raster(lc, T)
    poly = shapely.box(500100.0, 3998000.0, 503000.0, 3999900.0)
    utm = make_boundaries([poly])
    geo = utm.to_crs(4326)
    # boundaries in another CRS are reprojected to the raster CRS (documented behaviour)
    r1 = class_transition_areas(a, None, utm)
    r2 = class_transition_areas(a, None, geo)
    np.testing.assert_allclose(r2["area_m2"].sum(), r1["area_m2"].sum(), rtol=1e-6)
    with pytest.raises(CRSError, match=r"set_crs"):
        class_transition_areas(a, None, utm.set_crs(None, allow_override=True))
    with pytest.raises(CRSError, match=r"write_crs"):
        class_transition_areas(make_raster(lc, T, crs=None), None, utm)


def test_boundaries_outside_raster():
    lc, _, _, _ = _scene()
    a = make_raster(lc, T)
    far = make_boundaries([shapely.box(0.0, 0.0, 10.0, 10.0)])
    with pytest.raises(EmptySelectionError, match="None of the 1 boundaries overlaps"):
        class_areas(a, far)
    mixed = make_boundaries(
        [shapely.box(0.0, 0.0, 10.0, 10.0), shapely.box(500100.0, 3999000.0, 500400.0, 3999900.0)]
    )
    with pytest.warns(EmptyResultWarning, match=r"\['b0'\]"):
        df = class_transition_areas(a, None, mixed)
    assert set(df["boundary_id"]) == {"b1"}
