"""Select the soundings of a swath that fall in each boundary, by footprint overlap.

For sounding ``i`` with footprint polygon ``F_i`` (its 4 corners) and boundary
``B`` (optionally buffered by ``buffer_km``)::

    overlap_fraction(i, B) = area(F_i ∩ B) / area(F_i)

evaluated in the longitude/latitude plane. Over a ~2-7 km footprint the
relative error of that ratio against ellipsoidal areas is below the footprint's
angular size (~1e-3 of the fraction, typically far less). A sounding is kept for
``B`` when ``overlap_fraction > min_overlap`` (``> 0`` by default). Footprints
that cross the antimeridian are unwrapped and tested on both sides.

Without corner coordinates the selection falls back to the footprint centre
(point in polygon, ``overlap_fraction = 1``) and says so with a warning and the
``selection_method`` attribute.
"""

from __future__ import annotations

import warnings
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity
import xarray as xr
from numpy.typing import NDArray

from urbansat.constants import R_EARTH
from urbansat.errors import (
    BoundaryError,
    EmptySelectionError,
    SchemaError,
    UrbansatWarning,
)
from urbansat.schema import (
    gas_of,
    gas_variable,
    require_dataset,
    require_flag,
    to_soundings,
    wrap_longitude,
)
from urbansat.schema.antimeridian import split_antimeridian
from urbansat.schema.boundaries import boundary_ids, require_boundaries
from urbansat.spatial.local import buffer_local

__all__ = ["footprint_polygons", "select_soundings"]


def footprint_polygons(soundings: xr.Dataset) -> np.ndarray | None:
    """Footprint polygons of flattened soundings (None when corners are absent).

    Longitudes of each footprint are unwrapped relative to its first corner, so
    a footprint crossing the antimeridian may extend beyond 180 degrees.

    Raises
    ------
    SchemaError
        If corners are present but not shaped ``(sounding, corner=4)``.
    """
    if (
        "latitude_bounds" not in soundings.variables
        or "longitude_bounds" not in soundings.variables
    ):
        return None
    lat = np.asarray(
        soundings["latitude_bounds"].transpose("sounding", "corner").values, dtype=np.float64
    )
    lon = np.asarray(
        soundings["longitude_bounds"].transpose("sounding", "corner").values, dtype=np.float64
    )
    if lat.ndim != 2 or lat.shape[1] < 3:  # noqa: PLR2004 - (sounding, corner), a polygon
        raise SchemaError(
            f"latitude_bounds has shape {lat.shape}; "
            "expected (sounding, corner>=3) footprint corners."
        )
    lon = lon[:, :1] + wrap_longitude(lon - lon[:, :1])
    coords = np.stack([lon, lat], axis=-1)
    # numpy stubs type .all(axis=tuple) as bool | ndarray; with an axis it is an array.
    ok = cast(np.ndarray, np.isfinite(coords).all(axis=(1, 2)))
    polys = np.full(len(lat), None, dtype=object)
    polys[ok] = shapely.polygons(coords[ok])
    bad = ok.copy()
    bad[ok] = ~shapely.is_valid(polys[ok]) & (shapely.area(polys[ok]) > 0)
    if bad.any():  # bow-tie corner order: repair
        polys[bad] = shapely.make_valid(polys[bad])
    return polys


#: Footprints unwrapped east of this longitude are also tested shifted by -360 degrees.
_LON_MAX = 180.0


def _continuous(g: Any) -> Any:
    """Join the parts of a polygon split at 180 degrees into one frame (east of -180 + 360)."""
    if g is None or g.is_empty:
        return g
    x0, _, x1, _ = g.bounds
    if x1 - x0 <= _LON_MAX:
        return g
    parts = list(getattr(g, "geoms", [g]))
    moved = [shapely.affinity.translate(q, 360.0) if q.centroid.x < 0 else q for q in parts]
    return shapely.union_all(moved)


def _buffered(boundaries: gpd.GeoDataFrame, buffer_km: float) -> NDArray[np.object_]:
    """Return the boundaries in EPSG:4326, each buffered by ``buffer_km`` in its own AEQD.

    On the soundings' longitudes, -180..180: a boundary across the antimeridian (drawn the
    naive way, split at 180 by :func:`urbansat.read_boundaries`, written in 0..360, or
    reprojected from a national grid) is buffered in one piece and mapped onto
    [-180, 180) (:func:`~urbansat.spatial.weights.to_raster_longitudes`). Before, such a
    boundary ran the long way round the globe and selected the soundings outside it.
    """
    from urbansat.spatial.weights import to_raster_longitudes

    geoms, _ = split_antimeridian(boundaries.geometry.to_crs(4326).to_numpy())
    geoms = np.asarray([_continuous(g) for g in geoms], dtype=object)
    if buffer_km != 0:
        geoms = np.asarray([buffer_local(g, buffer_km) for g in geoms], dtype=object)
    return to_raster_longitudes(geoms, -_LON_MAX)


def _footprint_pairs(
    polys: np.ndarray, bgeoms: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (boundary, sounding, overlap fraction) of every intersecting footprint."""
    valid = np.flatnonzero(~shapely.is_missing(polys))
    fp = polys[valid]
    fp_area = shapely.area(fp)
    src = valid
    # footprints unwrapped beyond +180 are also tested shifted by -360, those beyond -180
    # (the readers' convention for a centre just east of -180) by +360: the antimeridian
    bounds = shapely.bounds(fp)
    copies = [fp]
    areas = [fp_area]
    owners = [src]
    for far, shift in ((bounds[:, 2] > _LON_MAX, -360.0), (bounds[:, 0] < -_LON_MAX, 360.0)):
        if far.any():
            copies.append(shapely.transform(fp[far], lambda c, d=shift: c + np.array([d, 0.0])))
            areas.append(fp_area[far])
            owners.append(valid[far])
    fp, fp_area, src = np.concatenate(copies), np.concatenate(areas), np.concatenate(owners)
    tree = shapely.STRtree(fp)
    b_idx, f_idx = tree.query(bgeoms, predicate="intersects")
    inter = shapely.area(shapely.intersection(fp[f_idx], bgeoms[b_idx]))
    with np.errstate(invalid="ignore", divide="ignore"):
        part = np.where(fp_area[f_idx] > 0, inter / fp_area[f_idx], 0.0)
    pairs = (
        pd.DataFrame({"b": b_idx, "s": src[f_idx], "f": part})
        .groupby(["b", "s"], as_index=False)["f"]
        .sum()
    )
    return (
        pairs["b"].to_numpy(),
        pairs["s"].to_numpy(),
        np.clip(pairs["f"].to_numpy(), 0, 1),
    )


def unusable_footprints(soundings: xr.Dataset) -> int:
    """Count flattened soundings whose corners cannot make a footprint (NaN, or zero area).

    Footprint methods leave them out (they overlap nothing); a centre method keeps them.
    Only the corners are computed (lazy arrays stay lazy until this count).
    """
    lat = soundings["latitude_bounds"].transpose("sounding", "corner")
    lon = soundings["longitude_bounds"].transpose("sounding", "corner")
    finite = lat.notnull().all("corner") & lon.notnull().all("corner")
    # shoelace area in degrees^2 (longitudes unwrapped against the first corner)
    dx = ((lon - lon.isel(corner=0) + 180.0) % 360.0) - 180.0
    area = 0.5 * abs((dx * lat.roll(corner=-1) - dx.roll(corner=-1) * lat).sum("corner"))
    return int((~finite | (area <= 0)).sum())


def warn_unusable_footprints(soundings: xr.Dataset, what: str, *, stacklevel: int = 3) -> None:
    """Warn how many soundings a footprint method leaves out (:func:`unusable_footprints`)."""
    n_bad = unusable_footprints(soundings)
    if n_bad:
        warnings.warn(
            f"{n_bad} of {soundings.sizes['sounding']} sounding(s) have no usable footprint "
            "(corners NaN, e.g. a product's 0,0 vertex fill, or of zero area) and are left out "
            f"of {what}; method='centre' keeps them by their centre point.",
            UrbansatWarning,
            stacklevel=stacklevel,
        )


def _selection_args(min_overlap: Any, buffer_km: Any, qa_only: Any) -> tuple[float, float, bool]:
    """Return ``(min_overlap, buffer_km, qa_only)`` of :func:`select_soundings`, checked."""

    def number(x: Any) -> float:  # NaN for what is not a number, refused below
        try:
            return float(x)
        except (TypeError, ValueError):
            return float("nan")

    overlap = number(min_overlap)
    if isinstance(min_overlap, bool) or not 0.0 <= overlap < 1.0:
        raise BoundaryError(
            f"min_overlap={min_overlap!r} must be a number in [0, 1): the share of a footprint "
            "inside the boundary that a kept sounding must exceed."
        )
    qa_only = require_flag("qa_only", qa_only)
    buf = number(buffer_km)
    if isinstance(buffer_km, bool) or not np.isfinite(buf) or buf < 0:
        raise BoundaryError(
            f"buffer_km={buffer_km!r} must be a finite distance >= 0 km (shrinking is not "
            "supported)."
        )
    if buf * 1e3 > np.pi * R_EARTH:
        raise BoundaryError(
            f"buffer_km={buffer_km!r} is more than half the Earth's circumference "
            f"({np.pi * R_EARTH / 1e3:.0f} km); the buffer is in km around each boundary."
        )
    return overlap, buf, qa_only


def select_soundings(
    swath: xr.Dataset,
    boundaries: gpd.GeoDataFrame,
    *,
    buffer_km: float = 0.0,
    min_overlap: float = 0.0,
    qa_only: bool = True,
) -> xr.Dataset:
    """Soundings of a normalized swath inside each boundary, with their overlap fraction.

    ``overlap_fraction = area(F ∩ B_buffered) / area(F)`` for footprint ``F`` (see the
    module docstring); soundings with ``overlap_fraction > min_overlap`` are kept.

    Parameters
    ----------
    swath : xarray.Dataset
        A normalized swath (:mod:`urbansat.schema`), dims ``(y, x)``; or already
        flattened soundings (dim ``sounding``).
    boundaries : geopandas.GeoDataFrame
        Polygons with ``boundary_id`` (see :func:`urbansat.read_boundaries`), any CRS.
    buffer_km : float, default 0
        Grow each boundary by this distance [km] (geodesically, in an azimuthal
        equidistant projection centred on it) before selection.
    min_overlap : float, default 0
        Minimum footprint overlap fraction in [0, 1).
    qa_only : bool, default True
        Only soundings with ``qa_pass``.

    Returns
    -------
    xarray.Dataset
        Dim ``sounding``: one entry per (sounding, boundary) pair (a sounding in two
        overlapping boundaries appears twice), every sounding variable, plus
        ``boundary_id`` (str) and ``overlap_fraction`` [1]. ``attrs["selection_method"]``
        is ``"footprint"`` or ``"centre"``.

    Raises
    ------
    CRSError
        If the boundaries have no CRS.
    BoundaryError
        Empty boundaries or bad ``min_overlap`` / ``buffer_km``.
    EmptySelectionError
        If no sounding falls in any boundary.
    """
    require_dataset(swath)
    overlap, buf, qa_only = _selection_args(min_overlap, buffer_km, qa_only)
    require_boundaries(boundaries, columns=())
    ids = boundary_ids(boundaries)
    snd = to_soundings(swath, qa_only=qa_only)  # flat input is screened too
    n = snd.sizes["sounding"]
    bgeoms = _buffered(boundaries, buf)
    polys = footprint_polygons(snd)
    if polys is None:
        warnings.warn(
            "The swath has no footprint corners (latitude_bounds/longitude_bounds); soundings are "
            "selected by their centre point and get overlap_fraction = 1.",
            UrbansatWarning,
            stacklevel=2,
        )
        method = "centre"
        pts = shapely.points(
            np.asarray(snd["longitude"].values), np.asarray(snd["latitude"].values)
        )
        tree = shapely.STRtree(pts)
        b_idx, s_idx = tree.query(bgeoms, predicate="intersects")
        frac = np.ones(len(s_idx))
    else:
        warn_unusable_footprints(snd, "the selection")
        method = "footprint"
        b_idx, s_idx, frac = _footprint_pairs(polys, bgeoms)
    keep = frac > overlap
    b_idx, s_idx, frac = b_idx[keep], s_idx[keep], frac[keep]
    if s_idx.size == 0:
        sb = (
            (
                float(snd["longitude"].min()),
                float(snd["latitude"].min()),
                float(snd["longitude"].max()),
                float(snd["latitude"].max()),
            )
            if n
            else None
        )
        raise EmptySelectionError(
            f"No sounding (of {n}{' passing QA' if qa_only else ''}) overlaps any of the "
            f"{len(ids)} boundaries by more than {min_overlap} (swath lon/lat bounds {sb}, "
            "boundary bounds "
            f"{tuple(np.round(shapely.total_bounds(bgeoms), 4))}). Increase buffer_km=, lower "
            "min_overlap=, or use granules that cover the boundaries."
        )
    order = np.lexsort((s_idx, b_idx))
    b_idx, s_idx, frac = b_idx[order], s_idx[order], frac[order]
    out = snd.isel(sounding=s_idx)
    src_index = out["sounding"].values
    out = out.drop_vars("sounding").assign_coords(sounding=np.arange(len(s_idx)))
    out = out.assign_coords(source_sounding=("sounding", src_index))
    out["boundary_id"] = ("sounding", ids[b_idx].astype(object))
    out["overlap_fraction"] = ("sounding", frac)
    out["overlap_fraction"].attrs = {
        "units": "1",
        "long_name": "area(footprint ∩ boundary) / area(footprint)",
    }
    out.attrs = dict(snd.attrs)
    out.attrs.update(
        selection_method=method, buffer_km=float(buffer_km), min_overlap=float(min_overlap)
    )
    gas_of(out)  # still a one-gas dataset
    out[gas_variable(gas_of(out))].attrs.update(snd[gas_variable(gas_of(snd))].attrs)
    return out
