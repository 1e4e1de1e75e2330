"""Local metric projections of one geometry: its azimuthal equidistant frame and buffers.

A boundary's distances and buffers are measured in the azimuthal equidistant (AEQD)
projection centred on its own centroid on the WGS84 ellipsoid: distances from the centre
are exact geodesics and other distances within a city-sized region are within
``~ (d / R)^2`` (about 1e-4 at 60 km; Snyder 1987, USGS Professional Paper 1395, §25).
Used wherever urbansat buffers a boundary in kilometres or measures one in metres.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from pyproj import CRS

__all__ = ["buffer_local", "local_aeqd", "to_local"]


def local_aeqd(geom: Any) -> CRS:
    """Return the WGS84 azimuthal equidistant CRS [m] centred on ``geom``'s centroid.

    Parameters
    ----------
    geom : shapely geometry
        In longitude/latitude (EPSG:4326) [degrees].

    Examples
    --------
    >>> import shapely
    >>> crs = local_aeqd(shapely.Point(13.4, 52.5))
    >>> crs.coordinate_operation.method_name, crs.axis_info[0].unit_name
    ('Azimuthal Equidistant', 'metre')
    """
    c = geom.centroid
    return CRS.from_proj4(f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +datum=WGS84 +units=m")


def to_local(geom: Any) -> tuple[Any, CRS]:
    """Return ``geom`` (EPSG:4326) in its own :func:`local_aeqd` frame [m], with that CRS."""
    crs = local_aeqd(geom)
    return gpd.GeoSeries([geom], crs=4326).to_crs(crs).iloc[0], crs


def buffer_local(geom: Any, km: float, *, quad_segs: int = 16) -> Any:
    """Return ``geom`` (EPSG:4326) buffered by ``km`` kilometres in its own AEQD, in EPSG:4326.

    Examples
    --------
    >>> import shapely
    >>> ring = buffer_local(shapely.Point(13.4, 52.5), 10.0)
    >>> local, _ = to_local(ring)
    >>> round(local.area / 1e6)  # ~ pi * 10^2 km2
    314
    """
    local, crs = to_local(geom)
    return (
        gpd.GeoSeries([local.buffer(km * 1000.0, quad_segs=quad_segs)], crs=crs)
        .to_crs(4326)
        .iloc[0]
    )
