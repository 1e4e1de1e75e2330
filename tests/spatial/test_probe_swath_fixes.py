"""Swath tools found by the probe round of 2026-12-07 (helper F); each failed before its fix."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
import xarray as xr

from urbansat.ingest.readers._base import unwrap_corners
from urbansat.spatial.gridding import grid_soundings
from urbansat.spatial.swath import select_soundings
from urbansat.testing.granules import make_swath


def _one_footprint(centre, corners):
    sw = make_swath(center=(0.0, 0.0), shape_yx=(1, 1), values=400.0)
    sw = sw.assign_coords(longitude=(("y", "x"), [[centre]]))
    sw["longitude_bounds"] = (("y", "x", "corner"), np.asarray(corners, float).reshape(1, 1, 4))
    sw["latitude_bounds"] = (
        ("y", "x", "corner"),
        np.array([-0.05, -0.05, 0.05, 0.05]).reshape(1, 1, 4),
    )
    return sw


def test_a_footprint_west_of_minus_180_keeps_its_part_east_of_the_antimeridian():
    # the readers unwrap corners about a centre just east of -180: -180.03..-179.93; its
    # 0.03 degree west of -180 (30 % of it) lies in a box at 179.9..180
    centre = -179.99
    raw = np.array([179.97, -179.93, -179.93, 179.97])
    corners = unwrap_corners(xr.DataArray(raw), xr.DataArray(centre)).values
    assert corners.min() < -180
    bnd = gpd.GeoDataFrame(
        {"boundary_id": ["A", "B"]},
        geometry=[shapely.box(179.9, -1, 180, 1), shapely.box(179.9, -1, 180.1, 1)],
        crs=4326,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a 1x1 synthetic swath: the readers' notes
        sel = select_soundings(_one_footprint(centre, corners), bnd, qa_only=False)
    got = dict(
        zip(
            np.asarray(sel["boundary_id"].values).astype(str),
            np.asarray(sel["overlap_fraction"].values, float),
            strict=True,
        )
    )
    assert got["A"] == pytest.approx(0.3, abs=1e-6) and got["B"] == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("lonlat", [(10.0, 50.0), (10.03, 50.03)])
def test_one_sounding_on_a_cell_edge_is_gridded(lonlat):
    s = make_swath(center=(0.0, 0.0), shape_yx=(1, 1), values=400.0)
    s = s.assign_coords(longitude=(("y", "x"), [[lonlat[0]]]), latitude=(("y", "x"), [[lonlat[1]]]))
    s = s.drop_vars(["longitude_bounds", "latitude_bounds"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = grid_soundings(s, resolution=0.1, method="centre")
    assert dict(out.sizes) == {"y": 1, "x": 1}
    assert float(out.xco2.max()) == 400.0 and float(out.n_soundings.sum()) == 1.0


@pytest.mark.parametrize("bbox", [(9.8, 49.8, 10.2, 50.2), (9.0, 49.0, 11.0, 51.0)])
def test_a_sounding_on_an_interior_edge_goes_to_the_cell_after_it(bbox):
    from urbansat.spatial.grid import GridSpec

    s = make_swath(center=(0.0, 0.0), shape_yx=(1, 1), values=400.0)
    s = s.assign_coords(longitude=(("y", "x"), [[10.0]]), latitude=(("y", "x"), [[50.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = grid_soundings(
            s, grid=GridSpec.from_bbox(bbox, 0.1, crs="EPSG:4326"), method="centre"
        )
    iy, ix = np.argwhere(np.isfinite(out.xco2.values))[0]
    # as numpy.histogram's half-open bins: 10.0 E in 10.0-10.1; rows count southward from
    # the north edge, so 50.0 N is in the row below it, 49.9-50.0
    assert float(out.x[ix]) == pytest.approx(10.05) and float(out.y[iy]) == pytest.approx(49.95)
