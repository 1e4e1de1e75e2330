"""One home per concept (issue 20 item 2): the swath's own winds, boundary geometries and the
tangent plane each have one implementation, used by every caller."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import urbansat
from urbansat.errors import BoundaryError, WindError
from urbansat.schema import require_boundaries
from urbansat.schema.wind import granule_wind
from urbansat.spatial.local import local_lonlat, local_xy
from urbansat.testing.granules import make_swath


def test_open_wind_and_estimate_share_the_granule_wind():
    sw = make_swath(wind=(6.0, -2.0))
    a = urbansat.open_wind(sw)
    b = granule_wind(sw)
    for v in ("eastward_wind", "northward_wind"):
        np.testing.assert_array_equal(a[v].values, b[v].values)
    assert a.attrs["wind_source"] == b.attrs["wind_source"]
    assert a["time"].values == b["time"].values


def test_granule_wind_outside_the_swath_contract_is_refused_naming_the_fix():
    sw = make_swath(wind=(10.0, 0.0))
    sw["eastward_wind"].attrs["units"] = "knots"
    with pytest.raises(WindError, match=r"units 'knots'.*pass urbansat\.open_wind\(swath\)"):
        granule_wind(sw)
    sw["eastward_wind"].attrs["units"] = "m s-1"
    sw["northward_wind"][:] = 9.96921e36  # an unmasked netCDF fill value
    with pytest.raises(WindError, match="beyond any atmospheric wind"):
        granule_wind(sw)
    with pytest.raises(WindError, match="carries no 'eastward_wind'"):
        granule_wind(sw.drop_vars("eastward_wind"))


def test_boundaries_must_be_polygons_in_reading_and_at_every_entry(tmp_path):
    pts = gpd.GeoDataFrame(
        {"boundary_id": ["a", "b"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.Point(2, 2)],
        crs=4326,
    )
    with pytest.raises(BoundaryError, match=r"Boundaries \['b'\] in boundaries are not polygons"):
        require_boundaries(pts)
    with pytest.raises(BoundaryError, match=r"Boundaries \['b'\] from .* are not polygons"):
        urbansat.read_boundaries(pts, level="county")


def test_tangent_plane_round_trips_and_wraps_the_antimeridian():
    lon = np.array([179.99, -179.99, 13.0])
    lat = np.array([10.0, 10.5, 52.0])
    x, y = local_xy(lon, lat, 179.95, 10.2)
    assert x[1] == pytest.approx(6.0e-2 * np.pi / 180 * 6_371_008.8 * np.cos(np.deg2rad(10.2)))
    lo, la = local_lonlat(x, y, 179.95, 10.2)
    np.testing.assert_allclose(((lo + 180) % 360) - 180, lon, atol=1e-9)
    np.testing.assert_allclose(la, lat, atol=1e-12)


def test_one_longitude_rule_for_sources_totals_boundaries_and_jobs():
    # sources accepted -180..360 while period_totals refused beyond +-180; both now use
    # urbansat.schema.geo, and the readers' wrap is the same function
    from urbansat.ingest.readers._base import wrap_longitude as readers_wrap
    from urbansat.schema.geo import LONGITUDE_RANGE, longitude_ok, wrap_longitude

    assert readers_wrap is wrap_longitude
    assert LONGITUDE_RANGE == (-180.0, 360.0)
    np.testing.assert_array_equal(
        longitude_ok([-180.0, 0.0, 359.9, 360.0, 360.1, -180.1, np.nan, np.inf]),
        [True, True, True, True, False, False, False, False],
    )
    np.testing.assert_allclose(wrap_longitude(np.array([210.0, -190.0, 180.0])), [-150, 170, -180])


def test_one_great_circle_distance():
    # inversion.wind had its own haversine with the Earth radius written out (6371.0088 km);
    # it and the sources' separation check now use schema.geo.haversine_km with R_EARTH
    from urbansat.constants import R_EARTH
    from urbansat.schema.geo import haversine_km

    one_degree = np.pi * R_EARTH / 180 / 1e3  # km along a meridian
    assert haversine_km(10.0, 0.0, 10.0, 1.0) == pytest.approx(one_degree, rel=1e-12)
    # across the antimeridian, in either convention: one degree of longitude at the equator
    assert haversine_km(179.5, 0.0, -179.5, 0.0) == pytest.approx(one_degree, rel=1e-9)
    assert haversine_km(179.5, 0.0, 180.5, 0.0) == pytest.approx(one_degree, rel=1e-9)
    # broadcast: a matrix of pair distances, symmetric with a zero diagonal
    lon, lat = np.array([0.0, 1.0, 2.0]), np.array([50.0, 50.5, 49.0])
    d = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    np.testing.assert_allclose(d, d.T, rtol=1e-12)
    np.testing.assert_allclose(np.diag(d), 0.0, atol=1e-9)
