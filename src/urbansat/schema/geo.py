"""Geographic coordinate rules shared by every table and argument that carries a position.

One rule for longitudes everywhere: both conventions are accepted, -180..180 and 0..360
degrees east, so a value must lie in ``LONGITUDE_RANGE`` = [-180, 360]. Where a single
convention is needed (readers, solar time) the value is wrapped to [-180, 180) by
``wrap_longitude``; both conventions then give identical results. Latitudes lie in
[-90, 90] degrees north.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from urbansat.constants import R_EARTH

#: Longitudes accepted anywhere [degrees east]: either convention, -180..180 or 0..360.
LONGITUDE_RANGE: Final = (-180.0, 360.0)
#: Largest absolute latitude [degrees north].
LATITUDE_MAX: Final = 90.0
#: The text used in messages for the accepted longitude range.
LONGITUDE_RULE: Final = "-180..360 degrees east (either -180..180 or 0..360)"


def wrap_longitude(lon: Any) -> Any:
    """Wrap longitudes to [-180, 180): ``((lon + 180) mod 360) - 180``.

    Works on numbers, numpy, dask and xarray objects (lazy for dask).
    """
    return ((lon + 180.0) % 360.0) - 180.0


def wrap_position(lon: Any) -> Any:
    """Wrap position longitudes in ``LONGITUDE_RANGE`` to [-180, 180); leave the rest as they are.

    For positions read from files: a value outside [-180, 360] (an undeclared fill such as
    -999, a corrupt geolocation) is not a longitude in either convention, and wrapping it
    would place the sounding somewhere real (-999 -> 81 E). Left unwrapped, it stays outside
    [-180, 180) where the granule screening refuses it. Lazy for dask and xarray objects.
    """
    lo, hi = LONGITUDE_RANGE
    inside = (lon >= lo) & (lon <= hi)
    wrapped = wrap_longitude(lon)
    if hasattr(lon, "where"):
        return wrapped.where(inside | ~np.isfinite(lon), lon)
    return np.where(inside, wrapped, lon)


def longitude_ok(lon: Any) -> np.ndarray:
    """Mark the finite longitudes within ``LONGITUDE_RANGE`` [degrees east] (True = valid)."""
    v = np.asarray(lon, dtype=float)
    lo, hi = LONGITUDE_RANGE
    ok: np.ndarray = np.isfinite(v) & (v >= lo) & (v <= hi)
    return ok


def latitude_ok(lat: Any) -> np.ndarray:
    """Mark the finite latitudes within [-90, 90] degrees north (True = valid)."""
    v = np.asarray(lat, dtype=float)
    ok: np.ndarray = np.isfinite(v) & (np.abs(v) <= LATITUDE_MAX)
    return ok


def haversine_km(lon0: Any, lat0: Any, lon: Any, lat: Any) -> np.ndarray:
    """Great-circle distance [km] between (lon0, lat0) and (lon, lat) [degrees], broadcast.

    ``d = 2 R asin(sqrt(sin^2(dphi/2) + cos(phi0) cos(phi) sin^2(dlambda/2)))`` on a sphere
    of radius ``R`` = :data:`urbansat.constants.R_EARTH`; either longitude convention.
    """
    la0, la = np.deg2rad(np.asarray(lat0, float)), np.deg2rad(np.asarray(lat, float))
    dlon = np.deg2rad(wrap_longitude(np.asarray(lon, float) - np.asarray(lon0, float)))
    a = np.sin((la - la0) / 2) ** 2 + np.cos(la0) * np.cos(la) * np.sin(dlon / 2) ** 2
    out: np.ndarray = 2 * R_EARTH / 1e3 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    return out
