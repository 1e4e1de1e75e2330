"""Sources of an inversion: point/area sources from a table, boundary polygons as area sources."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from urbansat.constants import GLOBAL_EMISSION
from urbansat.errors import InversionError, SuspectValueWarning
from urbansat.schema.geo import LONGITUDE_RULE, haversine_km, latitude_ok, longitude_ok
from urbansat.spatial.local import local_lonlat

#: Closest two listed sources may be [km] before they are warned about: below the finest
#: footprint of the supported instruments (OCO-3 SAM 1.6 x 2.2 km, CO2M 2 x 2 km, TROPOMI
#: 5.5 x 7 km), one plume would be credited to both.
MIN_SOURCE_SEPARATION_KM = 1.0
#: Largest ``diameter_km`` a listed source may have [km]. The largest city-level boundary,
#: Chongqing municipality (82,400 km2), is about 320 km across; a larger source leaves no
#: plume-free background in a satellite view, and 1e6 is a diameter in metres given as km.
MAX_SOURCE_DIAMETER_KM = 1000.0


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


#: Largest prior emission of a source [kg s-1]: the world's total CO2 emission (the larger
#: of the gases in ``constants.GLOBAL_EMISSION``); 1e20 gave -3.3e4 +- 6.7e3 kg/s, status ok.
MAX_PRIOR_KG_S = max(GLOBAL_EMISSION.values())


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
            out.append(_checked_row(row, prior_rel_error, prior_sigma))
    if boundaries is not None:
        out += _boundaries_as_sources(boundaries, prior_sigma)
    names = [o.name for o in out]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise InversionError(
            f"source name(s) {dup} are given more than once (a sources row and a "
            "boundary_id, or two boundaries); every source needs a unique name."
        )
    if not out:
        raise InversionError(
            "Give sources= (a table with name, longitude, latitude) and/or boundaries= (a "
            "GeoDataFrame with boundary_id)."
        )
    _warn_inseparable(out)
    return out


def _warn_inseparable(sources: list[_Source]) -> None:
    """Warn about sources closer than :data:`MIN_SOURCE_SEPARATION_KM` (one plume, 2 estimates)."""
    lon = np.array([s.lon for s in sources])
    lat = np.array([s.lat for s in sources])
    d_km = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    i, j = np.nonzero(np.triu(d_km < MIN_SOURCE_SEPARATION_KM, k=1))
    if i.size:
        pairs = [
            f"{sources[a].name!r} and {sources[b].name!r} ({d_km[a, b]:.2f} km)"
            for a, b in zip(i[:3], j[:3], strict=True)
        ]
        warnings.warn(
            f"sources {', '.join(pairs)} are closer than {MIN_SOURCE_SEPARATION_KM:g} km: no "
            "supported instrument separates their plumes, so each estimate holds both and a "
            "total over them counts the plume twice. List them as one source (with the sum "
            "of their priors).",
            SuspectValueWarning,
            stacklevel=4,
        )


def _number(row: Any, column: str, default: float, who: str, fix: str) -> float:
    """``row.column`` as a float (``default`` when the column is absent or None), else raise."""
    raw = getattr(row, column, default)
    if isinstance(raw, (bool, np.bool_)):  # True was read as 1 (a 1 km city, a 1 kg/s prior)
        raise InversionError(f"{who} has {column}={raw!r}, not a number; {fix}.")
    if raw is pd.NA or raw is pd.NaT:  # a blank cell of a nullable column, as NaN
        return math.nan
    try:
        return float(raw) if raw is not None else default
    except (TypeError, ValueError) as err:
        raise InversionError(f"{who} has a non-numeric {column}={raw!r}; {fix}.") from err


def _checked_row(row: Any, prior_rel_error: float, prior_sigma: float) -> _Source:
    """One row of a sources table as a :class:`_Source`, refused with the fix when invalid.

    A blank (NaN) ``diameter_km`` is a point source (diameter 0), as in a table that lists
    plants and cities together; a negative or infinite one is refused. A blank
    ``prior_emission`` means no inventory prior (a zero prior of 1-sigma ``prior_sigma``); an
    infinite one is refused.
    """
    name = row.name
    if name is None or (np.ndim(name) == 0 and pd.isna(name)) or not str(name).strip():
        raise InversionError(
            f"a source has no name (name={name!r}, longitude={row.longitude!r}, "
            f"latitude={row.latitude!r}); give every row a unique name."
        )
    try:
        if isinstance(row.longitude, (bool, np.bool_)) or isinstance(
            row.latitude, (bool, np.bool_)
        ):
            raise TypeError("True/False is not a position")
        lon, lat = float(row.longitude), float(row.latitude)
    except (TypeError, ValueError) as err:
        raise InversionError(
            f"source {name!r} has a non-numeric position longitude={row.longitude!r}, "
            f"latitude={row.latitude!r}; give decimal degrees (east and north positive)."
        ) from err
    if not (longitude_ok(lon) and latitude_ok(lat)):
        raise InversionError(
            f"source {name!r} has invalid position lon={lon}, lat={lat}; latitude must be "
            f"within -90..90 and longitude within {LONGITUDE_RULE} decimal degrees."
        )
    d = _number(
        row,
        "diameter_km",
        0.0,
        f"source {name!r}",
        "give the diameter of the emitting area in km (0 or blank for a point source)",
    )
    if np.isnan(d):
        d = 0.0  # blank: a point source
    if not np.isfinite(d) or d < 0:
        raise InversionError(
            f"source {name!r} has diameter_km={d}; give the diameter of the emitting area "
            "in km, >= 0 (0 or blank for a point source)."
        )
    if d > MAX_SOURCE_DIAMETER_KM:  # was rejected as "the window is too cloudy or too small"
        raise InversionError(
            f"source {name!r} has diameter_km={d:g}, larger than any city "
            f"({MAX_SOURCE_DIAMETER_KM:g} km at most; Chongqing municipality is about 320 km "
            "across): the diameter is in km, not m. A whole region is a boundary "
            "(estimate_emissions(..., boundaries=...)), not a source."
        )
    pr = _number(
        row,
        "prior_emission",
        np.nan,
        f"source {name!r}",
        "give kg s-1 or leave it blank for no prior",
    )
    if np.isinf(pr):
        raise InversionError(
            f"source {name!r} has prior_emission={pr}; give a finite prior in kg s-1, or "
            "leave it blank for no prior."
        )
    if pr == 0:  # with a relative error its sigma is 0: the estimate was pinned to 0, "ok"
        raise InversionError(
            f"source {name!r} has prior_emission=0: with the relative prior error "
            f"(prior_rel_error={prior_rel_error:g}) that is a prior known to be exactly 0, "
            "and the Bayesian estimate stays there whatever the data say. Leave the cell "
            "blank for no prior (a flat one), or give the inventory's emission in kg s-1."
        )
    if abs(pr) > MAX_PRIOR_KG_S:  # a unit slip (t/yr or g/s for kg/s) broke the solve
        raise InversionError(
            f"source {name!r} has prior_emission={pr:g} kg s-1, more than the world's total "
            f"CO2 emission ({MAX_PRIOR_KG_S:.3g} kg s-1, constants.GLOBAL_EMISSION): the "
            "prior is in kg s-1 (t yr-1 / 31557.6)."
        )
    if np.isfinite(pr):
        ps = max(abs(pr) * prior_rel_error, 1e-9)
    else:
        pr, ps = 0.0, prior_sigma
    return _Source(
        str(name),
        lon,
        lat,
        d * 500.0,
        str(getattr(row, "type", "point") or "point"),
        pr,
        ps,
    )


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
