"""Land-cover transitions: epoch alignment and per-boundary transition areas.

The per-boundary transition table has one row per (boundary, class at the start
epoch, class at the end epoch) with its true area::

    boundary_id, class_start, class_end, area_m2

It comes from :func:`urbansat.spatial.zonal.class_transition_areas` (spatial core),
which weights each pixel by its exact coverage fraction by the polygon (exactextract's
definition) times its true area (:mod:`urbansat.spatial.areas`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from urbansat.errors import AlignmentError, CRSError

if TYPE_CHECKING:
    import geopandas as gpd

    from urbansat.spatial.weights import Coverage

__all__ = [
    "align_epochs",
    "check_aligned",
    "transition_areas",
]


def _grid(da: xr.DataArray, label: str) -> tuple[Any, tuple[float, ...], tuple[int, int]]:
    try:
        crs = da.rio.crs
        transform = da.rio.transform(recalc=False)
    except Exception as exc:  # rioxarray raises several types
        raise CRSError(
            f"Land cover {label!r} has no georeferencing ({exc}). Open it with "
            "urbansat.open_landcover or set da.rio.write_crs(...)."
        ) from exc
    if crs is None:
        raise CRSError(
            f"Land cover {label!r} has no CRS. Set it with da.rio.write_crs(epsg) "
            "or open it with urbansat.open_landcover."
        )
    return crs, tuple(transform)[:6], (da.sizes["y"], da.sizes["x"])


def check_aligned(start: xr.DataArray, end: xr.DataArray) -> None:
    """Require that two epochs share CRS, shape, geotransform and pixel registration exactly.

    Parameters
    ----------
    start, end : xarray.DataArray
        Land-cover epochs with dims (y, x) and a rioxarray CRS/transform.

    Raises
    ------
    AlignmentError
        Naming what differs and the fix (``align_to="start"`` resamples ``end`` onto
        the start grid by nearest neighbour).
    """
    c1, t1, s1 = _grid(start, "landcover_start")
    c2, t2, s2 = _grid(end, "landcover_end")
    problems = []
    if c1 != c2:
        problems.append(f"CRS {c1.to_string()} vs {c2.to_string()}")
    if s1 != s2:
        problems.append(f"shape (y, x) {s1} vs {s2}")
    if not np.allclose(t1, t2, rtol=0, atol=1e-9 * max(abs(t1[0]), abs(t1[4]), 1e-12)):
        problems.append(f"geotransform {t1} vs {t2}")
    a1, a2 = start.attrs.get("AREA_OR_POINT"), end.attrs.get("AREA_OR_POINT")
    if a1 and a2 and a1 != a2:
        problems.append(f"pixel registration AREA_OR_POINT {a1} vs {a2}")
    if problems:
        raise AlignmentError(
            "The two land-cover epochs are not on the same pixel grid: "
            + "; ".join(problems)
            + ". urbansat does not combine misaligned maps by array index. Pass align_to='start' "
            "(or 'end', or a DataArray) to resample by nearest neighbour explicitly."
        )


def align_epochs(
    start: xr.DataArray, end: xr.DataArray, align_to: str | xr.DataArray
) -> tuple[xr.DataArray, xr.DataArray]:
    """Resample epochs onto one grid by nearest neighbour (explicit ``align_to=``).

    Parameters
    ----------
    start, end : xarray.DataArray
        Categorical land-cover epochs.
    align_to : {"start", "end"} or xarray.DataArray
        Target grid.

    Returns
    -------
    tuple of xarray.DataArray
        New (start, end) on the target grid; categorical codes are never interpolated.
        Pixels outside a source take that source's ``nodata`` attribute.
    """
    from rasterio.enums import Resampling

    if isinstance(align_to, str):
        if align_to not in ("start", "end"):
            raise AlignmentError(f"align_to={align_to!r}: use 'start', 'end' or a DataArray grid.")
        target = start if align_to == "start" else end
    else:
        target = align_to
    out = []
    for da in (start, end):
        if da is target:
            out.append(da)
            continue
        nodata = da.attrs.get("nodata", da.rio.nodata)
        r = da.rio.reproject_match(target, resampling=Resampling.nearest, nodata=nodata)
        r.attrs.update({k: v for k, v in da.attrs.items() if k not in r.attrs})
        r.attrs["resampled"] = "nearest neighbour onto the align_to grid"
        out.append(r)
    return out[0], out[1]


def transition_areas(
    start: xr.DataArray,
    end: xr.DataArray | None,
    boundaries: gpd.GeoDataFrame | None,
    *,
    nodata: int | None = None,
    coverage: Coverage | None = None,
) -> tuple[pd.DataFrame, str]:
    """Transition table of the spatial core (:func:`urbansat.spatial.zonal.class_transition_areas`).

    Both epochs are reduced in one fused pass over (boundary, class_start, class_end)
    with one set of coverage weights: ``area_m2(P, i, j) = Σ_c f_P(c) A(c) [start(c) = i]
    [end(c) = j]`` (see :class:`urbansat.Coverage`).

    Parameters
    ----------
    start, end : xarray.DataArray
        Class rasters on one grid (``end=None``: class areas of ``start``).
    boundaries : geopandas.GeoDataFrame or None
        Boundaries; may be None when ``coverage`` is given.
    nodata : int, optional
        Nodata class code (kept in the table, see ``class_transition_areas``).
    coverage : urbansat.Coverage, optional
        Coverage weights of these boundaries on this grid, reused (e.g. for several
        epoch pairs or factor tables); built once for both epochs when not given.

    Returns
    -------
    tuple
        (table, engine) where engine names the implementation used.
    """
    from urbansat.spatial.zonal import class_transition_areas

    table = class_transition_areas(start, end, boundaries, nodata=nodata, coverage=coverage)
    return table, "urbansat.spatial.zonal.class_transition_areas"
