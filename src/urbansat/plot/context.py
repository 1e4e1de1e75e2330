"""Map context and axis labels: Natural Earth outlines under a map, CRS-aware axis names.

The outlines are the packaged Natural Earth 1:110m admin-0 countries
(``urbansat/data/naturalearth``, public domain; see its PROVENANCE.md): coarse (about 10 km),
enough to place a city or a mine in its country and coast, not to measure against.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["axis_labels", "draw_context"]

#: Grey of the context outlines, under every other layer.
_CONTEXT_STYLE: dict[str, Any] = {"color": "0.55", "lw": 0.6, "zorder": 0}


@lru_cache(maxsize=1)
def _countries() -> Any:
    """Read the packaged Natural Earth 1:110m countries (GeoDataFrame, EPSG:4326) once."""
    from importlib import resources

    import geopandas as gpd

    ne = resources.files("urbansat") / "data" / "naturalearth" / "ne_110m_countries.geojson"
    with resources.as_file(ne) as path:
        return gpd.read_file(path)


def draw_context(ax: Any, bounds: tuple[float, float, float, float], crs: Any = None) -> int:
    """Draw country outlines and coasts that cross ``bounds`` on ``ax``, keeping its limits.

    Parameters
    ----------
    ax : matplotlib Axes
    bounds : tuple of float
        ``(xmin, ymin, xmax, ymax)`` of the map, in ``crs``.
    crs : pyproj.CRS or str, optional
        CRS of the map (default EPSG:4326, lon/lat).

    Returns
    -------
    int
        Number of outline parts drawn (0 where the window holds no outline, e.g. open sea
        or a small island below the 1:110m resolution).
    """
    import geopandas as gpd
    from pyproj import CRS
    from shapely.geometry import box

    target = CRS.from_epsg(4326) if crs is None else CRS.from_user_input(crs)
    window = box(*bounds)
    # clip in lon/lat first: reprojecting the whole world into e.g. a UTM zone makes
    # the far side of the globe invalid
    if target.is_geographic:
        window_ll = window
    else:
        window_ll = gpd.GeoSeries([window], crs=target).to_crs(4326).iloc[0].envelope
    near = _countries().clip(window_ll.buffer(0.5))
    outlines = near.geometry.boundary
    if not target.is_geographic and len(outlines):
        outlines = outlines.set_crs(4326, allow_override=True).to_crs(target)
    limits = ax.get_xlim(), ax.get_ylim()
    n = 0
    for geom in outlines.intersection(window):
        if geom is None or geom.is_empty:
            continue
        for part in getattr(geom, "geoms", [geom]):
            xs, ys = part.xy
            ax.plot(xs, ys, **_CONTEXT_STYLE)
            n += 1
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    return n


def axis_labels(crs: Any) -> tuple[str, str]:
    """Axis names of a map in ``crs``: longitude/latitude in degrees, or easting/northing.

    Parameters
    ----------
    crs : pyproj.CRS, str or None
        The map's CRS; None means lon/lat (EPSG:4326).

    Returns
    -------
    tuple of str
        ``(x label, y label)``, e.g. ``("longitude [°E]", "latitude [°N]")`` or
        ``("easting [m], UTM zone 33N", "northing [m]")``.

    Examples
    --------
    >>> axis_labels(None)
    ('longitude [°E]', 'latitude [°N]')
    >>> axis_labels("EPSG:32633")
    ('easting [m], WGS 84 / UTM zone 33N', 'northing [m]')
    """
    if crs is None:
        return "longitude [°E]", "latitude [°N]"
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    if c.is_geographic:
        return "longitude [°E]", "latitude [°N]"
    unit = c.axis_info[0].unit_name if c.axis_info else "m"
    unit = {"metre": "m", "meter": "m", "US survey foot": "ftUS", "foot": "ft"}.get(unit, unit)
    return f"easting [{unit}], {c.name}", f"northing [{unit}]"
