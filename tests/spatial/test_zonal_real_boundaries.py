"""Exact class areas with real boundaries: Beijing's 16 districts add up to the city."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from urbansat.ingest.boundaries import read_boundaries
from urbansat.spatial.zonal import class_areas, zonal_stats

from ._helpers import make_raster


def test_beijing_districts_sum_to_city_and_true_area(project_samples):
    d = project_samples / "boundaries"
    cities = read_boundaries(d / "china_selected_cities.geojson", level="region")
    districts = read_boundaries(d / "china_selected_city_districts.geojson", level="county")
    city = cities[cities["boundary_id"] == "110100"]
    parts = districts[districts["boundary_id"].str.startswith("1101")]
    assert len(parts) == 16
    x0, y0, x1, y1 = city.total_bounds
    res = 0.005  # ~500 m lon/lat grid, EPSG:4326
    t = Affine(res, 0.0, np.floor(x0 / res) * res, 0.0, -res, np.ceil(y1 / res) * res)
    ny, nx = int((t.f - y0) / res) + 2, int((x1 - t.c) / res) + 2
    lc = make_raster(
        np.random.default_rng(0).integers(1, 5, (ny, nx)).astype(np.uint8), t, crs="EPSG:4326"
    )
    ca = class_areas(lc, city)
    assert (ca["outside_area_m2"] == 0).all()  # the grid covers the city
    whole = ca.groupby("class")["area_m2"].sum()
    split = class_areas(lc.chunk({"y": 77, "x": 91}), parts).groupby("class")["area_m2"].sum()
    np.testing.assert_allclose(split.to_numpy(), whole.to_numpy(), rtol=1e-9)
    # ellipsoidal pixel areas: the city's area equals its area in an equal-area projection
    # (EPSG:6933, WGS84 cylindrical equal-area) to the projection of its straight edges
    assert whole.sum() == pytest.approx(city.to_crs(6933).area.item(), rel=1e-6)
    # and exactly the polygon's own ellipsoidal area (Green's theorem, same convention)
    from urbansat.spatial.areas import polygon_areas

    assert whole.sum() == pytest.approx(
        polygon_areas(city.geometry.to_numpy(), city.crs)[0], rel=1e-9
    )
    # and zonal_stats reports the same observed area per district
    zs = zonal_stats(lc, parts, ("count",))
    np.testing.assert_allclose(zs["observed_area_m2"].sum(), whole.sum(), rtol=1e-9)
