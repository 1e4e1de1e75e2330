"""Coverage: stored weights equal the on-the-fly sweep; reuse, pickle, dask, distributed."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine

import urbansat
from urbansat.errors import AlignmentError, BoundaryError, SchemaError
from urbansat.spatial import weights as weights_mod
from urbansat.spatial.areas import ellipsoidal_cell_area
from urbansat.spatial.coverage import class_kernel
from urbansat.spatial.weights import Coverage
from urbansat.spatial.zonal import class_areas, class_transition_areas, zonal_stats

from ._helpers import make_boundaries, make_raster

T = Affine(30.0, 0.0, 500000.0, 0.0, -30.0, 4000000.0)
NY, NX = 131, 177


def _scene(seed: int = 7, n: int = 9):
    rng = np.random.default_rng(seed)
    lc = rng.integers(0, 6, size=(NY, NX)).astype(np.uint8)
    lc2 = np.where(rng.random((NY, NX)) < 0.3, rng.integers(1, 6, size=(NY, NX)), lc).astype(
        np.uint8
    )
    val = rng.normal(5.0, 1.0, size=(NY, NX))
    val[rng.random((NY, NX)) < 0.05] = np.nan
    c = rng.uniform([500000.0, 4000000.0 - NY * 30.0], [500000.0 + NX * 30.0, 4000000.0], (n, 2))
    geoms = [
        shapely.Point(p).buffer(r, quad_segs=7)
        for p, r in zip(c, rng.uniform(60, 1800, n), strict=True)
    ]
    geoms.append(shapely.box(499500.0, 3998000.0, 501000.0, 4000900.0))  # beyond the raster edge
    ring = (
        shapely.Point(502600.0, 3998100.0)
        .buffer(900.0)
        .difference(shapely.Point(502600.0, 3998100.0).buffer(300.0))
    )
    geoms.append(ring)  # a hole
    return (
        make_raster(lc, T, nodata=0),
        make_raster(lc2, T, nodata=0),
        make_raster(val, T),
        make_boundaries(geoms),
    )


def _on_the_fly(start, end, cov: Coverage) -> np.ndarray:
    """Dense (boundary, class_start * 256 + class_end) areas by the sweep kernel (no weights)."""
    s, e = np.asarray(start.values), np.asarray(end.values)
    p = cov.polygons
    lut = np.arange(256, dtype=np.int32)
    out = np.zeros((p.n, 256 * 256))
    cand = np.arange(p.n, dtype=np.int64)
    class_kernel(p.px, p.py, p.ring_start, p.ring_sign, p.poly_ring, p.bbox, cand, 0, 0,
                 s, lut, e, lut, 256, cov.row_area_m2, out)  # fmt: skip
    return out


def _dense(table: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    pos = {b: i for i, b in enumerate(ids)}
    out = np.zeros((len(ids), 256 * 256))
    rows = [pos[b] for b in table["boundary_id"]]
    cols = table["class_start"].astype(int) * 256 + table["class_end"].astype(int)
    np.add.at(out, (rows, cols), table["area_m2"])
    return out


def test_stored_weights_equal_the_on_the_fly_sweep():
    a, b, _, gdf = _scene()
    cov = Coverage(gdf, a)
    got = _dense(cov.class_transition_areas(a, b), cov.ids)
    ref = _on_the_fly(a, b, cov)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-9)
    assert (got > 0).sum() == (ref > 1e-9).sum()
    # covered area: the boundaries inside the raster are covered by exactly their polygon area
    inside = cov.covered_area_m2()
    full = np.flatnonzero(cov.boundary_area_m2 - inside < 1e-9 * cov.boundary_area_m2)
    assert full.size >= 5
    np.testing.assert_allclose(inside[full], cov.boundary_area_m2[full], rtol=1e-10)


def test_coverage_equals_building_one_per_call_and_is_reused(monkeypatch):
    a, b, v, gdf = _scene(seed=11)
    ref_t = class_transition_areas(a, b, gdf)
    ref_c = class_areas(b, gdf)
    ref_z = zonal_stats(v, gdf, ("mean", "sum", "count", "min", "max", "std"))
    cov = urbansat.Coverage(gdf, a)

    # reuse never builds weights again
    def no_build(*args, **kwargs):
        raise AssertionError("the weights were rebuilt")

    monkeypatch.setattr(weights_mod, "_build", no_build)
    pd.testing.assert_frame_equal(class_transition_areas(a, b, coverage=cov), ref_t, rtol=1e-12)
    pd.testing.assert_frame_equal(cov.class_areas(b), ref_c, rtol=1e-12)
    pd.testing.assert_frame_equal(
        cov.zonal_stats(v, ("mean", "sum", "count", "min", "max", "std")), ref_z, rtol=1e-12
    )
    # the same boundaries may be passed along; other boundaries are refused
    pd.testing.assert_frame_equal(class_areas(b, gdf, coverage=cov), ref_c, rtol=1e-12)
    with pytest.raises(BoundaryError, match="not those of the coverage"):
        class_areas(b, gdf.iloc[::-1], coverage=cov)


def test_numpy_dask_and_pickled_coverage_agree():
    a, b, v, gdf = _scene(seed=5)
    cov = Coverage(gdf, a)
    cov2 = pickle.loads(pickle.dumps(cov))
    ref = cov.class_transition_areas(a, b)
    got = cov2.class_transition_areas(a.chunk({"y": 37, "x": 61}), b.chunk({"y": 53, "x": 29}))
    pd.testing.assert_frame_equal(got, ref, rtol=1e-12)
    z0 = cov.zonal_stats(v, ("mean", "std", "count"))
    z1 = cov2.zonal_stats(v.chunk({"y": 44, "x": 80}), ("mean", "std", "count"))
    pd.testing.assert_frame_equal(z1, z0, rtol=1e-12)


@pytest.mark.slow
def test_coverage_on_a_distributed_local_cluster():
    distributed = pytest.importorskip("distributed")
    a, b, _, gdf = _scene(seed=3)
    cov = Coverage(gdf, a)
    ref = cov.class_transition_areas(a, b)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cl,
        distributed.Client(cl),
    ):
        got = cov.class_transition_areas(a.chunk({"y": 40, "x": 60}), b.chunk({"y": 40, "x": 60}))
    pd.testing.assert_frame_equal(got, ref, rtol=1e-12)


def test_geographic_grid_uses_ellipsoidal_cell_areas():
    t = Affine(0.01, 0.0, 10.0, 0.0, -0.01, 50.0)
    r = make_raster(np.ones((100, 100), np.uint8), t, crs="EPSG:4326")
    gdf = make_boundaries([shapely.box(10.2, 49.3, 10.7, 49.8)], crs="EPSG:4326")
    cov = Coverage(gdf, r)
    truth = float(ellipsoidal_cell_area(49.3, 49.8, 0.5).item())
    np.testing.assert_allclose(cov.covered_area_m2(), [truth], rtol=1e-12)
    np.testing.assert_allclose(cov.class_areas(r)["area_m2"], [truth], rtol=1e-12)


def test_bad_grid_and_bad_argument():
    a, _b, _, gdf = _scene()
    cov = Coverage(gdf, a)
    shifted = make_raster(
        np.asarray(a.values), Affine(30.0, 0.0, 500030.0, 0.0, -30.0, 4000000.0), nodata=0
    )
    with pytest.raises(AlignmentError, match="not on the grid of this Coverage"):
        cov.class_areas(shifted)
    with pytest.raises(SchemaError, match=r"coverage= must be a urbansat\.Coverage"):
        class_areas(a, gdf, coverage="weights")  # type: ignore[arg-type]
    with pytest.raises(BoundaryError, match="Pass boundaries"):
        class_areas(a)
    assert "segments" in repr(cov) and cov.nbytes > 0 and cov.n_boundaries == len(gdf)
