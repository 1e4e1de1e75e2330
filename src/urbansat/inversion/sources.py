"""Sources of an inversion: point/area sources from a table, boundary polygons as area sources."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from urbansat.errors import InversionError
from urbansat.spatial.local import local_lonlat


@dataclass
class _Source:
    name: str
    lon: float
    lat: float
    r0: float
    kind: str
    prior: float
    prior_sigma: float
    release_lonlat: tuple[np.ndarray, np.ndarray] | None = None


def _as_sources(
    sources: Any, boundaries: Any, prior_rel_error: float, prior_sigma: float
) -> list[_Source]:
    out: list[_Source] = []
    if sources is not None:
        if (
            isinstance(sources, Mapping)
            and sources
            and all(np.ndim(v) == 0 for v in sources.values())
        ):
            sources = [
                dict(sources)
            ]  # one source given as {"name": ..., "longitude": ..., "latitude": ...}
        if isinstance(sources, (str, os.PathLike)):
            raise InversionError(
                f"sources={str(sources)!r} is a path; read the table first, e.g. "
                "sources=pandas.read_csv(path) with columns name, longitude, latitude."
            )
        df = pd.DataFrame(sources)
        missing = [c for c in ("name", "longitude", "latitude") if c not in df.columns]
        if missing:
            raise InversionError(
                f"sources lacks column(s) {missing}; it needs name, longitude, latitude "
                f"(optional diameter_km, type, prior_emission [kg s-1]). It has {list(df.columns)}."
            )
        if df["name"].duplicated().any():
            dup = df.loc[df["name"].duplicated(), "name"].tolist()
            raise InversionError(f"sources has duplicated names {dup}; names must be unique.")
        row: Any  # user-supplied values, converted and checked below
        for row in df.itertuples(index=False):
            try:
                lon, lat = float(row.longitude), float(row.latitude)
            except (TypeError, ValueError) as err:
                raise InversionError(
                    f"source {row.name!r} has a non-numeric position longitude={row.longitude!r}, "
                    f"latitude={row.latitude!r}; give decimal degrees (east and north positive)."
                ) from err
            if not (np.isfinite(lon) and np.isfinite(lat) and -90 <= lat <= 90):  # noqa: PLR2004 - latitude range
                raise InversionError(
                    f"source {row.name!r} has invalid position lon={lon}, lat={lat}."
                )
            d = float(getattr(row, "diameter_km", 0.0) or 0.0)
            d = 0.0 if not np.isfinite(d) else d
            pr = getattr(row, "prior_emission", np.nan)
            pr = float(pr) if pr is not None else np.nan
            if np.isfinite(pr):
                ps = max(abs(pr) * prior_rel_error, 1e-9)
            else:
                pr, ps = 0.0, prior_sigma
            out.append(
                _Source(
                    str(row.name),
                    lon,
                    lat,
                    d * 500.0,
                    str(getattr(row, "type", "point") or "point"),
                    pr,
                    ps,
                )
            )
    if boundaries is not None:
        out += _boundaries_as_sources(boundaries, prior_sigma)
    if not out:
        raise InversionError(
            "Give sources= (a table with name, longitude, latitude) and/or boundaries= (a "
            "GeoDataFrame with boundary_id)."
        )
    return out


def _boundaries_as_sources(boundaries: Any, prior_sigma: float) -> list[_Source]:
    from urbansat.schema.boundaries import require_boundaries
    from urbansat.spatial.local import to_local

    require_boundaries(boundaries)
    gdf = boundaries.to_crs(4326)
    out = []
    for bid, geom in zip(gdf["boundary_id"], gdf.geometry, strict=True):
        c = geom.centroid
        g, _ = to_local(geom)
        area = g.area
        r0 = float(np.sqrt(area / np.pi))
        minx, miny, maxx, maxy = g.bounds
        step = max(np.sqrt(area / 60.0), 200.0)
        gx, gy = np.meshgrid(
            np.arange(minx + step / 2, maxx, step), np.arange(miny + step / 2, maxy, step)
        )
        import shapely

        inside = shapely.contains_xy(g, gx.ravel(), gy.ravel())
        px, py = gx.ravel()[inside], gy.ravel()[inside]
        if px.size == 0:
            px, py = np.array([0.0]), np.array([0.0])
        lon_pts, lat_pts = local_lonlat(px, py, c.x, c.y)
        out.append(
            _Source(
                str(bid),
                float(c.x),
                float(c.y),
                r0,
                "boundary",
                0.0,
                prior_sigma,
                (lon_pts, lat_pts),
            )
        )
    return out
