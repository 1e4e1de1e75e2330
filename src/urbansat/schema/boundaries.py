"""The boundaries contract (C2 of ``docs/architecture.md``), checked in one place.

Boundaries passed between layers are a :class:`geopandas.GeoDataFrame` with a CRS, at least
one row, unique ``boundary_id`` values (or a unique index where the caller allows it),
``level`` among :data:`urbansat.categories.BOUNDARY_LEVELS` where levels matter, and no
empty geometry. :func:`urbansat.read_boundaries` produces them; :func:`require_boundaries` is
what every public entry point that takes boundaries calls (zonal statistics and
:class:`urbansat.Coverage`, sounding selection, concentrations, sinks, indicators, inversion
sources), so a bad table gets the same error, naming the problem and the fix, everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely

from urbansat.categories import BOUNDARY_LEVELS
from urbansat.errors import BoundaryCRSError, BoundaryError

__all__ = ["boundary_ids", "require_boundaries", "require_polygons"]

#: shapely type ids of Polygon and MultiPolygon.
_POLYGONAL = (3, 6)


def boundary_ids(boundaries: pd.DataFrame) -> np.ndarray:
    """Return the ids as str: the ``boundary_id`` column, else the index."""
    if "boundary_id" in boundaries.columns:
        return np.asarray(boundaries["boundary_id"].astype(str).to_numpy())
    return np.asarray(boundaries.index.astype(str).to_numpy())


def _utf8(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def require_boundaries(
    boundaries: Any,
    *,
    columns: Sequence[str] = ("boundary_id",),
    levels: bool = False,
    geo: bool = True,
    what: str = "boundaries",
) -> pd.DataFrame:
    """Check ``boundaries`` against the contract; return them unchanged.

    Parameters
    ----------
    boundaries : geopandas.GeoDataFrame (or pandas.DataFrame with ``geo=False``)
        The table to check (not modified).
    columns : sequence of str, default ("boundary_id",)
        Columns that must be present; without ``boundary_id`` the index gives the ids.
    levels : bool, default False
        Require ``level`` values among :data:`~urbansat.categories.BOUNDARY_LEVELS`.
    geo : bool, default True
        Require a GeoDataFrame with a CRS and no empty geometry; False accepts a plain
        table (e.g. the rows of an indicator table).
    what : str
        How the table is called in the messages.

    Raises
    ------
    BoundaryError
        Not a (Geo)DataFrame, no rows, a missing column, duplicated ids or ids that are not
        valid Unicode (lone surrogates), unknown levels or empty geometries.
    BoundaryCRSError
        No CRS (also a :class:`~urbansat.errors.CRSError`).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> b = gpd.GeoDataFrame(
    ...     {"boundary_id": ["a", "a"]}, geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=4326
    ... )
    >>> require_boundaries(b)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    urbansat.errors.BoundaryError: Duplicate boundary ids ['a'] in boundaries; ids must be unique...
    """
    import geopandas as gpd

    kind = gpd.GeoDataFrame if geo else pd.DataFrame
    if not isinstance(boundaries, kind):
        raise BoundaryError(
            f"{what} must be a non-empty {'Geo' if geo else ''}DataFrame; got "
            f"{type(boundaries).__name__}. Read them with urbansat.read_boundaries(path, "
            "level=...), or build one with geopandas.GeoDataFrame(df, geometry=..., "
            "crs='EPSG:4326')."
        )
    if len(boundaries) == 0:
        raise BoundaryError(
            f"{what} is empty (0 rows), so there is nothing to compute; pass at least one "
            "boundary (check the filter that selected them, e.g. a .query() on boundary_id)."
        )
    missing = [c for c in columns if c not in boundaries.columns]
    if missing:
        raise BoundaryError(
            f"{what} lack columns {missing}; read them with urbansat.read_boundaries(...) "
            f"or add {', '.join(columns)}."
        )
    if geo and boundaries.crs is None:
        raise BoundaryCRSError(
            f"{what} have no CRS. Set it with boundaries.set_crs('EPSG:4326') (or their true "
            "CRS), or read them with urbansat.read_boundaries(path, level=..., crs=...)."
        )
    raw = boundaries["boundary_id"] if "boundary_id" in boundaries.columns else boundaries.index
    missing_id = pd.isna(pd.Series(raw).to_numpy()) | (
        pd.Series(raw).astype(object).map(lambda v: isinstance(v, str) and not v.strip())
    ).to_numpy(dtype=bool)
    if missing_id.any():  # "nan" twice passed as two ids; None gave numpy's TypeError
        rows = np.flatnonzero(missing_id)[:10].tolist()
        raise BoundaryError(
            f"{what} rows {rows} (0-based) have no boundary_id (missing or blank); every "
            "boundary needs a unique id. Fill them, or pass id_field= to read_boundaries to "
            "use another column."
        )
    unwritable = [i for i in pd.Series(raw).astype(object) if isinstance(i, str) and not _utf8(i)]
    if unwritable:  # a lone surrogate (bytes decoded with surrogateescape) failed at export
        raise BoundaryError(
            f"{what} ids {', '.join(ascii(i) for i in unwritable[:5])} are not valid Unicode (lone "
            "surrogates, e.g. from bytes in another encoding); no CSV, netCDF or GeoPackage "
            "can hold them. Read the file with its encoding (geopandas.read_file(path, "
            "encoding='gbk')) or fix the ids."
        )
    ids = boundary_ids(boundaries)
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise BoundaryError(
            f"Duplicate boundary ids {list(uniq[counts > 1][:10])} in {what}; ids must be "
            "unique. Dissolve them (boundaries.dissolve('boundary_id')) or pass id_field= to "
            "read_boundaries."
        )
    if levels:
        bad = sorted(set(boundaries["level"].astype(str)) - set(BOUNDARY_LEVELS))
        if bad:
            raise BoundaryError(
                f"{what} have unknown level values {bad}; use {', '.join(BOUNDARY_LEVELS)}."
            )
    if geo:
        require_polygons(boundaries.geometry.to_numpy(), ids, where=f"in {what}")
    return boundaries


def require_polygons(geoms: Any, ids: Any, *, where: str) -> None:
    """Refuse empty, missing, non-polygonal or non-finite boundary geometries, naming their ids.

    Parameters
    ----------
    geoms : array of shapely geometries
    ids : array of str
        The boundary id of each geometry.
    where : str
        Where the boundaries come from, for the message (e.g. ``"from 'cities.gpkg'"``).

    Raises
    ------
    BoundaryError
        Listing up to ten ids and the fix.
    """
    geoms = np.asarray(geoms, dtype=object)
    ids = np.asarray(ids)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        raise BoundaryError(
            f"Boundaries {list(ids[empty][:10])} {where} have empty or missing geometry. "
            "Drop them (gdf[~gdf.is_empty]) or fix the source."
        )
    kinds = shapely.get_type_id(geoms)
    bad = ~np.isin(kinds, _POLYGONAL)
    if bad.any():
        raise BoundaryError(
            f"Boundaries {list(ids[bad][:10])} {where} are not polygons "
            f"({sorted(set(kinds[bad].tolist()))} shapely type ids). "
            "Buffer points/lines to polygons first, e.g. gdf.buffer(1000) in a metric CRS."
        )
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    nonfinite = ~np.isfinite(coords).all(axis=1)
    if nonfinite.any():
        bad_ids = ids[np.unique(owner[nonfinite])]
        raise BoundaryError(
            f"Boundaries {list(bad_ids[:10])} {where} have NaN or infinite vertex "
            f"coordinates ({int(nonfinite.sum())} vertices). Fix or drop those geometries; "
            "no area or overlap can be computed from them."
        )
