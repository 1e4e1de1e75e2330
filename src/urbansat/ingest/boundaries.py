"""EDGE: read administrative / park / project boundaries into the urbansat boundary frame.

The boundary frame is a :class:`geopandas.GeoDataFrame` with the columns

``boundary_id`` (str, unique)
    Identifier used in every per-boundary result.
``name`` (str)
    Human-readable name.
``level`` (str)
    One of :data:`urbansat.categories.BOUNDARY_LEVELS` (region, county, park,
    project: the scopes of T/CI 231-2023 Table 1).
``parent_id`` (str or None)
    Id of the enclosing boundary (e.g. the city of a district), when known.
``geometry``
    Valid (Multi)Polygons, in the file's CRS.

followed by the original attributes, unchanged.
"""

from __future__ import annotations

import os
import warnings
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from urbansat.categories import BOUNDARY_LEVELS
from urbansat.errors import (
    BoundaryCRSError,
    BoundaryError,
    CRSError,
    DuplicateInputWarning,
    InputFileError,
    UrbansatWarning,
)
from urbansat.schema.antimeridian import split_antimeridian
from urbansat.schema.boundaries import require_polygons
from urbansat.schema.files import check_input_file
from urbansat.schema.geo import LATITUDE_MAX, LONGITUDE_RANGE

__all__ = ["read_boundaries"]

#: Longitude and latitude limits [degrees]; geographic data may use 0..360 longitudes
#: (the one rule of ``urbansat.schema.geo``); ``_LON_MAX`` bounds the -180..180 convention.
(_LON_MIN, _LON_MAX_360), _LAT_MAX = LONGITUDE_RANGE, LATITUDE_MAX
_LON_MAX = 180.0
#: Tolerance [degrees] on those limits for coordinates rounded just beyond them.
_DEG_TOL = 0.5

_ID_CANDIDATES = ("boundary_id", "id", "adcode", "geoid", "fips", "geocode", "code")
_NAME_CANDIDATES = ("name", "district", "city", "areaname", "community", "name_en", "NAME_1")
_RESERVED = ("boundary_id", "name", "level", "parent_id")
#: shapely.get_type_id of Polygon and MultiPolygon (the parts kept after make_valid).
_POLYGONAL_TYPE_IDS = (3, 6)


def _read(path: str | os.PathLike[str], layer: str | int | None) -> gpd.GeoDataFrame:
    p = check_input_file(path, "Boundary")
    target = str(p)
    if p.suffix.lower() == ".zip":
        with zipfile.ZipFile(p) as zf:
            shps = [
                n
                for n in zf.namelist()
                if n.lower().endswith((".shp", ".geojson", ".gpkg", ".json"))
            ]
        if not shps:
            raise InputFileError(
                f"Zip file {str(p)!r} holds no .shp/.geojson/.gpkg; zip a complete shapefile "
                "(.shp, .shx, .dbf, .prj)."
            )
        target = f"/vsizip/{p}/{shps[0]}"
    try:
        if layer is not None:
            return gpd.read_file(target, layer=layer)
        try:
            import pyogrio

            layers = pyogrio.list_layers(target)
        except Exception:  # noqa: BLE001 - any driver without layer listing: read the default layer
            layers = None
        if layers is not None and len(layers) > 1:
            raise BoundaryError(
                f"{str(p)!r} holds {len(layers)} layers {list(layers[:, 0])}; "
                "choose one with layer=."
            )
        return gpd.read_file(target)
    except BoundaryError:
        raise
    except Exception as err:
        raise InputFileError(
            f"Cannot read boundaries from {str(p)!r}: {err}. Pass a GeoJSON, GeoPackage (with "
            "layer=), Shapefile or zipped Shapefile."
        ) from err


def _pick(gdf: gpd.GeoDataFrame, candidates: tuple[str, ...], *, unique: bool) -> str | None:
    lower: dict[str, str] = {c.lower(): c for c in gdf.columns if c != "geometry"}
    for cand in candidates:
        col = lower.get(cand.lower())
        if col is None:
            continue
        if not gdf[col].notna().all():
            continue
        if unique and gdf[col].astype(str).duplicated().any():
            continue
        return col
    return None


def _as_id(s: pd.Series) -> pd.Series:
    """Ids as strings; integral floats lose their '.0'."""
    if s.dtype.kind == "f" and np.all(np.isfinite(s)) and np.all(s == np.round(s)):
        s = s.astype(np.int64)
    return s.astype(str)


def _check_crs_agrees(gdf: gpd.GeoDataFrame, source: str) -> None:
    """Refuse coordinates that cannot be in the labelled CRS (:class:`BoundaryCRSError`).

    Two mislabellings give areas wrong by orders of magnitude without any other sign:
    degrees under a projected CRS (every coordinate within [-180, 180] x [-90, 90], so a
    district becomes a ~1 m2 speck near the projection origin) and metres under a
    geographic CRS (coordinates beyond any longitude/latitude). A projected CRS whose
    data fall far outside its area of use is refused too.
    """
    crs = gdf.crs
    xmin, ymin, xmax, ymax = (float(v) for v in gdf.total_bounds)
    extent = f"({xmin:.6g}, {ymin:.6g}, {xmax:.6g}, {ymax:.6g})"
    if not np.all(np.isfinite([xmin, ymin, xmax, ymax])):
        raise BoundaryCRSError(
            f"Boundaries from {source} have non-finite coordinates (bounds {extent}) in the CRS "
            f"{crs.to_string()!r}. Fix or drop the geometries with NaN/inf vertices."
        )
    tol = _DEG_TOL
    if crs.is_geographic and (
        xmin < _LON_MIN - tol
        or xmax > _LON_MAX_360 + tol
        or ymin < -_LAT_MAX - tol
        or ymax > _LAT_MAX + tol
    ):
        raise BoundaryCRSError(
            f"Boundaries from {source} have coordinates up to {extent}, impossible for the "
            f"geographic CRS {crs.to_string()!r}: the data are in a projected CRS (metres or "
            "feet). Set the file's true CRS (e.g. ogr2ogr -a_srs EPSG:32650, or "
            "gdf.set_crs('EPSG:32650', allow_override=True)) or, for a file without a CRS, "
            "pass it with crs= (e.g. crs='EPSG:3435'); reproject to EPSG:4326 afterwards if "
            "you need degrees."
        )
    degrees = xmin >= _LON_MIN and xmax <= _LON_MAX and ymin >= -_LAT_MAX and ymax <= _LAT_MAX
    if crs.is_projected and degrees:
        raise BoundaryCRSError(
            f"Boundaries from {source} are labelled with the projected CRS {crs.to_string()!r} "
            f"({crs.name}) but every coordinate lies within [-180, 180] x [-90, 90] (bounds "
            f"{extent}): these are longitude/latitude degrees, which this CRS would read as a "
            "few metres near its origin (areas wrong by a factor of ~1e10). Set the CRS to "
            "EPSG:4326 (gdf.set_crs('EPSG:4326', allow_override=True), or ogr2ogr -a_srs "
            "EPSG:4326 fixed.gpkg input.gpkg) and pass that; if the data really are metres "
            "of this CRS, reproject them to EPSG:4326 (gdf.to_crs('EPSG:4326')) first."
        )
    if crs.is_projected and crs.area_of_use is not None:
        from pyproj import Transformer

        aou = crs.area_of_use
        cx, cy = 0.5 * (xmin + xmax), 0.5 * (ymin + ymax)
        lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(cx, cy)
        margin = 5.0
        inside = (
            np.isfinite(lon)
            and np.isfinite(lat)
            and aou.south - margin <= lat <= aou.north + margin
            and (aou.west - margin <= lon <= aou.east + margin or aou.west > aou.east)
        )
        if not inside:
            raise BoundaryCRSError(
                f"Boundaries from {source} (centre {cx:.6g}, {cy:.6g}) fall at lon {lon:.4g}, lat "
                f"{lat:.4g} in the CRS {crs.to_string()!r}, far outside its area of use "
                f"({aou.name}): the CRS disagrees with the data. Set the true CRS (or pass it "
                "with crs= for a file without one), e.g. EPSG:4326 for longitude/latitude, "
                "or reproject the data to EPSG:4326."
            )


def _split_antimeridian(geoms: np.ndarray, ids: pd.Series, crs: CRS, source: str) -> np.ndarray:
    """Split polygons written naively across the antimeridian (geographic CRS only); warn."""
    if not crs.is_geographic:
        return geoms
    fixed, split = split_antimeridian(geoms, ids.to_numpy())
    if split.any():
        warnings.warn(
            f"Boundaries {list(ids[split][:20])} from {source} cross the antimeridian (an edge "
            "jumps more than 180 degrees of longitude): each is split at 180 degrees into a "
            "MultiPolygon within [-180, 180] (urbansat.schema.antimeridian), so its area and "
            "pixel coverage are those of the short way round.",
            UrbansatWarning,
            stacklevel=3,
        )
    return fixed


def read_boundaries(  # noqa: PLR0912, PLR0915 - one gate: every check in reading order
    path_or_gdf: str | os.PathLike[str] | gpd.GeoDataFrame,
    *,
    level: str,
    id_field: str | None = None,
    name_field: str | None = None,
    layer: str | int | None = None,
    crs: str | int | CRS | None = None,
    parent_field: str | None = None,
) -> gpd.GeoDataFrame:
    """Read boundaries and return the urbansat boundary frame.

    Parameters
    ----------
    path_or_gdf : path or geopandas.GeoDataFrame
        GeoJSON, GeoPackage, Shapefile, zipped Shapefile, or an in-memory
        GeoDataFrame (copied, never modified).
    level : {"region", "county", "park", "project"}
        The T/CI 231 boundary level of every feature.
    id_field : str, optional
        Column holding unique ids. Default: the first unique column among
        ``boundary_id, id, adcode, geoid, fips, geocode, code`` (any case), else
        the row number.
    name_field : str, optional
        Column holding names. Default: the first of ``name, district, city,
        areaname, community`` (any case), else the id.
    layer : str or int, optional
        Layer of a multi-layer source (GeoPackage); required when there are several.
    crs : str, int or pyproj.CRS, optional
        CRS of the coordinates when the file has none (e.g. a shapefile without
        ``.prj``). If the file has a CRS, ``crs`` must agree with it.
    parent_field : str, optional
        Column holding the id of the enclosing boundary (e.g. the city adcode of a
        district); copied as strings to ``parent_id``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``boundary_id, name, level, parent_id, geometry`` followed by the
        original attributes. Invalid geometries are repaired with
        :func:`shapely.make_valid` (an :class:`~urbansat.errors.UrbansatWarning`
        lists their ids).

    Raises
    ------
    InputFileError
        Missing or unreadable file.
    BoundaryError
        Unknown level, no rows, empty or non-polygonal geometry, duplicated ids,
        unknown fields, or several layers without ``layer=``.
    CRSError
        No CRS and no ``crs=``; ``crs=`` disagreeing with the file.
    BoundaryCRSError
        Coordinates impossible for the CRS (a :class:`BoundaryError` and a
        :class:`CRSError`): degrees under a projected CRS, metres under a geographic
        one, data far outside the CRS's area of use, non-finite coordinates; or a
        polygon crossing the antimeridian that encloses a pole.

    Warns
    -----
    UrbansatWarning
        Polygons written naively across the antimeridian (an edge jumping more than
        180 degrees of longitude) are split at 180 degrees into MultiPolygons
        (:mod:`urbansat.schema.antimeridian`); invalid geometries are repaired.
    """
    if level not in BOUNDARY_LEVELS:
        raise BoundaryError(f"level={level!r} is not one of {list(BOUNDARY_LEVELS)}.")
    if isinstance(path_or_gdf, gpd.GeoDataFrame):
        gdf = path_or_gdf.copy()
        source = "the GeoDataFrame"
    elif isinstance(path_or_gdf, (str, os.PathLike)):
        gdf = _read(path_or_gdf, layer)
        source = repr(str(path_or_gdf))
        if not isinstance(gdf, gpd.GeoDataFrame):
            cols = [str(c)[:30] for c in gdf.columns[:10]]
            raise BoundaryError(
                f"Boundary file {source} holds a table without geometry (columns {cols}). "
                "Pass a GeoJSON, GeoPackage or Shapefile of polygons; for a CSV of points use "
                "estimate_emissions(sources=pandas.read_csv(path)) instead."
            )
    else:
        raise BoundaryError(
            "path_or_gdf must be a file path or a geopandas.GeoDataFrame; got "
            f"{type(path_or_gdf).__name__}."
        )
    if len(gdf) == 0:
        raise BoundaryError(f"Boundaries from {source} have no features.")
    # CRS
    if crs is not None:
        try:
            want = CRS.from_user_input(crs)
        except Exception as err:  # pyproj.exceptions.CRSError, TypeError for odd types
            raise CRSError(
                f"crs={crs!r} given for {source} is not a CRS pyproj knows ({err}); give an EPSG "
                "code such as 'EPSG:4326' or 4326, a WKT or a PROJ string."
            ) from err
        if gdf.crs is None:
            gdf = gdf.set_crs(want)
        elif not want.equals(gdf.crs):
            raise CRSError(
                f"crs={want.to_string()!r} disagrees with the CRS of {source} "
                f"({gdf.crs.to_string()!r}). Drop crs= to use the file's CRS, or reproject "
                f"afterwards with boundaries.to_crs({want.to_string()!r})."
            )
    if gdf.crs is None:
        raise CRSError(
            f"Boundaries from {source} have no CRS (shapefile without .prj?). Pass the CRS of the "
            "coordinates, e.g. read_boundaries(path, level=..., crs='EPSG:4326')."
        )
    _check_crs_agrees(gdf, source)
    # ids
    for field, label in (
        (id_field, "id_field"),
        (name_field, "name_field"),
        (parent_field, "parent_field"),
    ):
        if field is not None and field not in gdf.columns:
            raise BoundaryError(
                f"{label}={field!r} is not a column of {source}; columns are "
                f"{[c for c in gdf.columns if c != 'geometry']}."
            )
    if id_field is None:
        id_field = _pick(gdf, _ID_CANDIDATES, unique=True)
    if id_field is None:
        lower = {str(c).lower(): c for c in gdf.columns if c != "geometry"}
        dup_cols = [
            lower[c]
            for c in _ID_CANDIDATES
            if c in lower and gdf[lower[c]].astype(str).duplicated().any()
        ]
        if dup_cols:
            dup_vals = gdf[dup_cols[0]].astype(str)
            warnings.warn(
                f"Boundaries from {source}: id column {dup_cols[0]!r} has duplicate values "
                f"{sorted(set(dup_vals[dup_vals.duplicated()]))[:10]}, "
                "so boundary_id falls back to row numbers 0..n-1 (the original column is kept). "
                "Dissolve the duplicates (gdf.dissolve(field)) or pass a unique id_field=.",
                UrbansatWarning,
                stacklevel=2,
            )
        ids = pd.Series(np.arange(len(gdf)).astype(str), index=gdf.index)
    else:
        if gdf[id_field].isna().any():
            raise BoundaryError(
                f"id_field={id_field!r} of {source} is missing for rows "
                f"{[int(i) for i in np.flatnonzero(gdf[id_field].isna().to_numpy())[:10]]}; "
                "fill them."
            )
        ids = _as_id(gdf[id_field])
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        raise BoundaryError(
            f"Duplicate boundary ids in {source} (id_field={id_field!r}): {sorted(set(dup))[:10]}. "
            "Pass a unique id_field= or dissolve the duplicates (gdf.dissolve(field))."
        )
    if name_field is None:
        name_field = _pick(gdf, _NAME_CANDIDATES, unique=False)
    names = gdf[name_field].astype(str) if name_field is not None else ids
    parents = (
        gdf[parent_field]
        .where(gdf[parent_field].notna(), None)
        .map(lambda v: None if v is None else str(v))
        if parent_field is not None
        else pd.Series([None] * len(gdf), index=gdf.index, dtype=object)
    )
    # geometry
    geoms = gdf.geometry.to_numpy()
    require_polygons(geoms, ids.to_numpy(), where=f"from {source}")
    geoms = _split_antimeridian(geoms, ids, gdf.crs, source)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid])
        # keep only polygonal parts (make_valid can return collections with lines)
        fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
        geoms = geoms.copy()
        geoms[invalid] = fixed
        warnings.warn(
            f"Repaired {int(invalid.sum())} invalid geometries with shapely.make_valid in "
            f"{source}: ids {list(ids[invalid][:50])}",
            UrbansatWarning,
            stacklevel=2,
        )
        still = shapely.is_empty(geoms)
        if still.any():
            raise BoundaryError(
                f"Boundaries {list(ids[still][:10])} from {source} have no area after repair."
            )
    _warn_duplicate_geometries(geoms, ids, source)
    extra = gdf.drop(columns=[gdf.geometry.name]).rename(
        columns={c: f"{c}_orig" for c in _RESERVED if c in gdf.columns}
    )
    out = gpd.GeoDataFrame(
        {
            "boundary_id": ids.to_numpy(),
            "name": names.to_numpy(),
            "level": level,
            "parent_id": parents.to_numpy(dtype=object),
        },
        geometry=gpd.GeoSeries(geoms, crs=gdf.crs).to_numpy(),
        crs=gdf.crs,
    )
    for c in extra.columns:
        out[c] = extra[c].to_numpy()
    out = out.reset_index(drop=True)
    out.attrs["id_field"] = id_field
    out.attrs["source"] = source
    return out


def _warn_duplicate_geometries(geoms: np.ndarray, ids: pd.Series, source: str) -> None:
    """Warn when several boundaries have the same outline (a duplicated feature, usually).

    Identical outlines under different ids are legitimate (a city and a county that share
    a border), so this is a warning, not an error: every total over both counts the same
    ground twice.
    """
    key = pd.Series(shapely.to_wkb(shapely.normalize(geoms)), index=ids.index)
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        groups = pd.Series(ids.to_numpy()[dup]).groupby(key.to_numpy()[dup]).agg(list)
        warnings.warn(
            f"{int(dup.sum())} boundaries in {source} have identical outlines: "
            f"{[sorted(map(str, g)) for g in groups][:5]}; sums over them count the same area "
            "twice. Drop the duplicated features (gdf.drop_duplicates('geometry')) unless they "
            "are meant to coincide.",
            DuplicateInputWarning,
            stacklevel=3,
        )


def _polygonal(g: shapely.Geometry) -> shapely.Geometry:
    """Polygonal part of ``g`` (an empty Polygon when it has none)."""
    if shapely.get_type_id(g) in _POLYGONAL_TYPE_IDS:
        return g
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in _POLYGONAL_TYPE_IDS]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)
