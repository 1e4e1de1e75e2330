"""True pixel areas: ellipsoidal rows for geographic grids, |a e| for projected ones."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from pyproj import CRS, Geod

from urbansat.spatial.areas import ellipsoidal_cell_area, row_areas


def test_whole_wgs84_ellipsoid_area():
    # WGS84 surface area 510,065,621.724 km2 (NIMA TR8350.2, table 3.4 derived constants)
    assert ellipsoidal_cell_area(-90.0, 90.0, 360.0).item() == pytest.approx(
        5.10065621724e14, rel=1e-11
    )


@pytest.mark.parametrize("lat", [0.0, 1.5, 35.0, 60.0, 84.0])
def test_cell_area_matches_geodesic_polygon(lat):
    # a 0.01 x 0.01 degree cell; parallels densified so the geodesic polygon follows them
    geod = Geod(ellps="WGS84")
    d = 0.01
    lon = np.linspace(10.0, 10.0 + d, 200)
    lons = np.concatenate([lon, lon[::-1]])
    lats = np.concatenate([np.full(200, lat), np.full(200, lat + d)])
    area, _ = geod.polygon_area_perimeter(lons, lats)
    assert ellipsoidal_cell_area(lat, lat + d, d).item() == pytest.approx(abs(area), rel=1e-7)


def test_row_areas_geographic_and_projected():
    t = Affine(1 / 12000, 0.0, 6.0, 0.0, -1 / 12000, 3.0)  # WorldCover N00E006
    a = row_areas(t, CRS.from_epsg(4326), 36000)
    assert a.shape == (36000,)
    assert np.all(np.diff(a) > 0)  # cells grow towards the equator (south of the tile)
    # 10 m-class pixel: about 85.5 m2 at the equator
    assert a[-1] == pytest.approx(ellipsoidal_cell_area(0.0, 1 / 12000, 1 / 12000).item(), rel=1e-9)
    assert 85.0 < a[-1] < 86.0
    assert (
        row_areas(Affine(30.0, 0, 0, 0, -30.0, 0), CRS.from_epsg(32650), 3).tolist() == [900.0] * 3
    )
    # US survey feet: 10 ft x 10 ft cells in m2
    ft = 1200 / 3937
    assert row_areas(Affine(10.0, 0, 0, 0, -10.0, 0), CRS.from_epsg(3435), 1)[0] == pytest.approx(
        100 * ft * ft
    )


def test_polygon_areas_match_cell_areas():
    import shapely

    from urbansat.spatial.areas import polygon_areas

    g = [
        shapely.box(6, 0, 9, 3),
        shapely.box(10, 40, 10.01, 40.01),
        shapely.box(0, 0, 1, 1).difference(shapely.box(0.2, 0.2, 0.4, 0.4)),
        shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, -3, 3, -2)]),
    ]
    want = [
        ellipsoidal_cell_area(0, 3, 3).item(),
        ellipsoidal_cell_area(40, 40.01, 0.01).item(),
        (ellipsoidal_cell_area(0, 1, 1) - ellipsoidal_cell_area(0.2, 0.4, 0.2)).item(),
        (ellipsoidal_cell_area(0, 1, 1) + ellipsoidal_cell_area(-3, -2, 1)).item(),
    ]
    np.testing.assert_allclose(polygon_areas(g, CRS.from_epsg(4326)), want, rtol=1e-12)
    np.testing.assert_allclose(
        polygon_areas([shapely.box(0, 0, 10, 20)], CRS.from_epsg(32650)), [200.0]
    )
