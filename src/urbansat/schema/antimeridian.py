r"""Polygons crossing the antimeridian in longitude/latitude, split into parts that do not.

A polygon that crosses the 180th meridian is often written *naively* in EPSG:4326: its
longitudes jump from about +179 to about -179 between two consecutive vertices. Read as
planar (lon, lat) coordinates - as shapely, the coverage fractions and the area
integral all do - such a ring runs the long way round the Earth, so a 2 x 2 degree box
straddling 180 becomes a 358 x 2 degree band, and its area and pixel coverage are wrong.

Method (the convention of GeoJSON, RFC 7946 section 3.1.9, and of the ``antimeridian``
package, reduced to what urbansat needs):

1. A ring *crosses* when two consecutive vertices are more than 180 degrees of longitude
   apart (no real edge is that long: the short way round is always shorter), except an
   edge of exactly 360 degrees (-180 -> 180): that is a side along a parallel around the
   whole globe, as a polar cap ``box(-180, 66.5, 180, 90)`` has it.
2. Its longitudes are *unwrapped*: each vertex is shifted by a multiple of 360 degrees so
   that every step is at most 180 degrees (``numpy.unwrap`` with period 360). The ring
   is now continuous, e.g. 179 .. 181. A ring that does not close after unwrapping
   (net longitude change of +-360: it encloses a pole) is refused.
3. The unwrapped polygon (holes unwrapped the same way, onto the shell's side) is
   intersected with the strips ``[k 360 - 180, k 360 + 180]`` and each piece shifted back
   by ``-k 360``, giving a MultiPolygon whose parts all lie within [-180, 180] and touch
   the antimeridian from both sides.

Only polygons with a crossing edge change; every other geometry is returned as is (the
same object). Areas are then exact: ``area(179..180) + area(-180..-179)`` equals the area
of the same 2-degree box at any other longitude.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from urbansat.errors import BoundaryError

__all__ = ["crosses_antimeridian", "split_antimeridian"]

#: Half a turn [degrees]: no real edge is longer in longitude.
_HALF_TURN = 180.0
#: Largest longitude gap [degrees] between the first and last vertex of a closed ring.
_CLOSE_TOL = 1e-9
_POLYGON = 3  # shapely type id


def _ring_crosses(coords: np.ndarray) -> bool:
    """Return whether an edge of the ring jumps more than half a turn of longitude.

    An edge of a whole turn (-180 -> 180, or 0 -> 360) is not a jump but a side along a
    parallel that spans the globe, as a polar cap or a global box has it: read as a jump,
    the cap unwrapped to a line and came back empty.
    """
    step = np.abs(np.diff(coords[:, 0]))
    whole_turn = np.abs(step - 2 * _HALF_TURN) <= _CLOSE_TOL
    return bool(((step > _HALF_TURN) & ~whole_turn).any())


def crosses_antimeridian(geom: Any) -> bool:
    """Return whether a (Multi)Polygon in degrees has an edge jumping over 180 degrees of longitude.

    Parameters
    ----------
    geom : shapely geometry
        A Polygon or MultiPolygon in longitude/latitude degrees.

    Returns
    -------
    bool

    Examples
    --------
    >>> import shapely
    >>> crosses_antimeridian(shapely.Polygon([(179, 0), (-179, 0), (-179, 2), (179, 2)]))
    True
    >>> crosses_antimeridian(shapely.box(-1, 0, 1, 2))
    False
    """
    import shapely

    if geom is None or shapely.is_empty(geom):
        return False
    for part in shapely.get_parts(geom):
        for ring in shapely.get_rings(part):
            if _ring_crosses(shapely.get_coordinates(ring)):
                return True
    return False


def _unwrap(coords: np.ndarray, ref_lon: float | None) -> np.ndarray:
    out = coords.copy()
    out[:, 0] = np.unwrap(coords[:, 0], period=360.0)
    if ref_lon is not None:  # a hole goes to the side of its shell
        out[:, 0] += 360.0 * np.round((ref_lon - out[:, 0].mean()) / 360.0)
    return out


def _split_polygon(poly: Any, label: str) -> Any:
    import shapely

    shell = shapely.get_coordinates(poly.exterior)
    u_shell = _unwrap(shell, None)
    if abs(u_shell[-1, 0] - u_shell[0, 0]) > _CLOSE_TOL:
        raise BoundaryError(
            f"Boundary {label} crosses the antimeridian and does not close when its longitudes "
            "are unwrapped: it encloses a pole. urbansat cannot split it; give the polar cap "
            "as a polygon with an explicit edge along the antimeridian (e.g. lon -180 .. 180 "
            "with the pole latitude as a side)."
        )
    ref = float(u_shell[:, 0].mean())
    holes = [_unwrap(shapely.get_coordinates(h), ref) for h in poly.interiors]
    unwrapped = shapely.Polygon(u_shell, holes)
    lo, hi = float(u_shell[:, 0].min()), float(u_shell[:, 0].max())
    pieces = []
    for k in range(int(np.floor((lo + 180.0) / 360.0)), int(np.floor((hi + 180.0) / 360.0)) + 1):
        strip = shapely.box(k * 360.0 - 180.0, -90.0, k * 360.0 + 180.0, 90.0)
        piece = shapely.intersection(unwrapped, strip)
        if shapely.is_empty(piece):
            continue
        piece = shapely.transform(piece, lambda xy, k=k: xy - np.array([k * 360.0, 0.0]))
        pieces += [
            p for p in shapely.get_parts(piece) if shapely.get_type_id(p) == _POLYGON and p.area > 0
        ]
    return pieces


def split_antimeridian(geoms: Any, ids: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Split polygons that cross the antimeridian into parts within [-180, 180] degrees.

    Parameters
    ----------
    geoms : array_like of shapely (Multi)Polygons
        In a geographic CRS (longitude, latitude in degrees).
    ids : array_like of str, optional
        Names of the geometries, for the error message.

    Returns
    -------
    geoms : numpy.ndarray of object
        The geometries; those that crossed are MultiPolygons (see the module docstring
        for the method), all others the same objects as given.
    split : numpy.ndarray of bool
        Which geometries were split.

    Raises
    ------
    BoundaryError
        A crossing polygon encloses a pole (its ring does not close after unwrapping).

    Examples
    --------
    >>> import shapely
    >>> out, split = split_antimeridian(
    ...     [shapely.Polygon([(179, 0), (-179, 0), (-179, 2), (179, 2)])]
    ... )
    >>> bool(split[0]), sorted(round(p.bounds[0]) for p in out[0].geoms)
    (True, [-180, 179])
    """
    import shapely

    arr = np.asarray(geoms, dtype=object)
    out = arr.copy()
    split = np.zeros(len(arr), dtype=bool)
    names = list(ids) if ids is not None else [str(i) for i in range(len(arr))]
    for i, g in enumerate(arr):
        if not crosses_antimeridian(g):
            continue
        parts: list[Any] = []
        for poly in shapely.get_parts(g):
            if any(_ring_crosses(shapely.get_coordinates(r)) for r in shapely.get_rings(poly)):
                parts += _split_polygon(poly, repr(str(names[i])))
            else:
                parts.append(poly)
        out[i] = shapely.MultiPolygon(parts)
        split[i] = True
    return out, split
