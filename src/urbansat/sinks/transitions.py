"""Land-cover transitions: epoch alignment and per-boundary transition areas.

The per-boundary transition table has one row per (boundary, class at the start
epoch, class at the end epoch) with its true area::

    boundary_id, class_start, class_end, area_m2

It comes from :func:`urbansat.spatial.zonal.class_transition_areas` (spatial core)
when that function is installed; otherwise from :func:`transition_areas_local`, a
self-contained exact implementation kept here until the spatial core lands
(clearly a fallback: same columns, same semantics). Both weight each pixel by its
exact coverage fraction by the polygon (exactextract) times its true area: for a
geographic grid the area of the ellipsoidal quadrangle (WGS84)

.. math:: A = \\frac{b^2 \\Delta\\lambda}{2}\\left[q(\\varphi_2) - q(\\varphi_1)\\right],\\quad
          q(\\varphi) = \\frac{\\sin\\varphi}{1 - e^2\\sin^2\\varphi}
          + \\frac{1}{2e}\\ln\\frac{1 + e\\sin\\varphi}{1 - e\\sin\\varphi},

for a projected grid ``|det(transform)|`` times the areal scale factor of the
projection at the pixel centre (exactly 1 for equal-area projections).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from urbansat.constants import WGS84_A, WGS84_F
from urbansat.errors import AlignmentError, BoundaryError, CRSError

__all__ = [
    "align_epochs",
    "cell_areas_m2",
    "check_aligned",
    "transition_areas",
    "transition_areas_local",
]


def _grid(da: xr.DataArray, label: str) -> tuple[Any, tuple, tuple[int, int]]:
    try:
        crs = da.rio.crs
        transform = da.rio.transform(recalc=False)
    except Exception as exc:  # rioxarray raises several types
        raise CRSError(f"Land cover {label!r} has no georeferencing ({exc}). Open it with "
                       "urbansat.open_landcover or set da.rio.write_crs(...).") from exc
    if crs is None:
        raise CRSError(f"Land cover {label!r} has no CRS. Set it with da.rio.write_crs(epsg) "
                       "or open it with urbansat.open_landcover.")
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
            "The two land-cover epochs are not on the same pixel grid: " + "; ".join(problems)
            + ". urbansat does not combine misaligned maps by array index. Pass align_to='start' "
            "(or 'end', or a DataArray) to resample by nearest neighbour explicitly."
        )


def align_epochs(start: xr.DataArray, end: xr.DataArray, align_to: str | xr.DataArray
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


def _quadrangle_area(lat1: np.ndarray, lat2: np.ndarray, dlon_deg: float) -> np.ndarray:
    """Area [m2] of WGS84 quadrangles between parallels lat1, lat2 [deg] and dlon [deg]."""
    a, f = WGS84_A, WGS84_F
    e2 = f * (2 - f)
    e = np.sqrt(e2)
    b2 = (a * (1 - f)) ** 2

    def q(phi):
        s = np.sin(np.radians(phi))
        return s / (1 - e2 * s * s) + np.log((1 + e * s) / (1 - e * s)) / (2 * e)

    return np.abs(b2 * np.radians(dlon_deg) / 2 * (q(lat2) - q(lat1)))


def cell_areas_m2(crs, transform: tuple, row0: int, nrows: int, col0: int, ncols: int) -> np.ndarray:
    """True cell areas [m2] of a block: shape (nrows, 1) for geographic/equal-area, else (nrows, ncols).

    Parameters
    ----------
    crs : rasterio.crs.CRS
    transform : tuple
        Affine coefficients (a, b, c, d, e, f) of the full grid.
    row0, nrows, col0, ncols : int
        Block offset and size.

    Returns
    -------
    numpy.ndarray
        Areas in m2, broadcastable to the block.
    """
    a, b, c, d, e, f = transform
    if b != 0 or d != 0:
        raise AlignmentError(f"Rotated grids are not supported (transform {transform}); warp to a north-up grid.")
    rows = np.arange(row0, row0 + nrows, dtype="float64")
    if crs.is_geographic:
        lat1 = f + e * rows
        lat2 = f + e * (rows + 1)
        return _quadrangle_area(lat1, lat2, abs(a))[:, None]
    import pyproj

    pcrs = pyproj.CRS.from_user_input(crs)
    planar = abs(a * e)
    name = (pcrs.coordinate_operation.method_name.lower() if pcrs.coordinate_operation else "")
    if "equal area" in name or "sinusoidal" in name or "mollweide" in name:
        return np.full((nrows, 1), planar)
    cols = np.arange(col0, col0 + ncols, dtype="float64")
    xx, yy = np.meshgrid(c + a * (cols + 0.5), f + e * (rows + 0.5))
    tr = pyproj.Transformer.from_crs(pcrs, pcrs.geodetic_crs, always_xy=True)
    lon, lat = tr.transform(xx, yy)
    fac = pyproj.Proj(pcrs).get_factors(lon, lat)
    return planar / np.asarray(fac.areal_scale)


def _block_transitions(s: np.ndarray, e: np.ndarray | None, geoms: list, ids: list, crs_wkt: str,
                       transform: tuple, row0: int, col0: int, crs) -> pd.DataFrame:
    """Exact transition areas of one raster block for the polygons that touch it."""
    import geopandas as gpd
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    ny, nx = s.shape
    a, _, c, _, ee, f = transform
    xmin = c + a * col0
    xmax = xmin + a * nx
    ytop = f + ee * row0
    ybot = ytop + ee * ny
    lo, hi = min(ytop, ybot), max(ytop, ybot)
    s = s.astype("int64")
    e = s if e is None else e.astype("int64")
    key = s * 65536 + e
    # exactextract wants float/int rasters; the key array may exceed int32 for large codes
    rast = NumPyRasterSource(key.astype("float64") if key.max(initial=0) >= 2**31 else key.astype("int32"),
                             xmin, lo, xmax, hi, name="key", srs_wkt=crs_wkt)
    area = cell_areas_m2(crs, transform, row0, ny, col0, nx)
    bbox = (xmin, lo, xmax, hi)
    import shapely

    box = shapely.box(*bbox)
    keep = [i for i, g in enumerate(geoms) if g.intersects(box)]
    if not keep:
        return pd.DataFrame(columns=["boundary_id", "class_start", "class_end", "area_m2"])
    gdf = gpd.GeoDataFrame({"_i": keep}, geometry=[shapely.clip_by_rect(geoms[i], *bbox) for i in keep],
                           crs=crs_wkt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = exact_extract(rast, gdf, ["values", "coverage", "cell_id"], output="pandas",
                            include_cols=["_i"])
    out = []
    for _, row in res.iterrows():
        vals = np.asarray(row["values"], dtype="int64")
        if vals.size == 0:
            continue
        cov = np.asarray(row["coverage"], dtype="float64")
        cid = np.asarray(row["cell_id"], dtype="int64")
        r, cc = np.divmod(cid, nx)
        w = cov * (area[r, 0] if area.shape[1] == 1 else area[r, cc])
        u, inv = np.unique(vals, return_inverse=True)
        sums = np.bincount(inv.ravel(), weights=w, minlength=len(u))
        out.append(pd.DataFrame({"boundary_id": ids[int(row["_i"])], "class_start": u // 65536,
                                 "class_end": u % 65536, "area_m2": sums}))
    if not out:
        return pd.DataFrame(columns=["boundary_id", "class_start", "class_end", "area_m2"])
    return pd.concat(out, ignore_index=True)


def transition_areas_local(start: xr.DataArray, end: xr.DataArray | None, boundaries,
                           *, nodata: int | None = None) -> pd.DataFrame:
    """Exact coverage-weighted true-area transition table (fallback of the spatial core).

    Parameters
    ----------
    start : xarray.DataArray
        Categorical land cover (y, x), numpy or dask.
    end : xarray.DataArray or None
        Second epoch on the same grid; None gives class areas of ``start``
        (``class_end == class_start``).
    boundaries : geopandas.GeoDataFrame
        With ``boundary_id`` and a CRS.
    nodata : int, optional
        Unused for the arithmetic: nodata pixels appear with their code, as in the
        spatial core's contract.

    Returns
    -------
    pandas.DataFrame
        ``boundary_id, class_start, class_end, area_m2`` (sum over blocks).

    Raises
    ------
    AlignmentError
        If ``end`` is not on the grid of ``start``.
    BoundaryError
        If boundaries lack a CRS or a ``boundary_id`` column.

    Notes
    -----
    Each dask block is processed independently (``dask.delayed`` over
    ``DataArray.data.to_delayed()``), and only small per-block tables are
    gathered, so it runs in bounded memory and on dask.distributed.
    """
    import dask

    if end is not None:
        check_aligned(start, end)
    crs, transform, _shape = _grid(start, "landcover_start")
    if boundaries.crs is None:
        raise BoundaryError("Boundaries have no CRS; set it with gdf.set_crs(epsg).")
    if "boundary_id" not in boundaries.columns:
        raise BoundaryError("Boundaries need a 'boundary_id' column (see urbansat.read_boundaries).")
    b = boundaries.to_crs(crs)
    geoms = list(b.geometry)
    ids = list(b["boundary_id"])
    wkt = crs.to_wkt()
    sdata = start.data
    edata = None if end is None else end.data
    if not hasattr(sdata, "to_delayed"):
        import dask.array as da

        sdata = da.from_array(np.asarray(sdata), chunks=(2048, 2048))
        if edata is not None:
            edata = da.from_array(np.asarray(edata), chunks=sdata.chunks)
    elif edata is not None:
        if not hasattr(edata, "to_delayed"):
            import dask.array as da

            edata = da.from_array(np.asarray(edata), chunks=sdata.chunks)
        elif edata.chunks != sdata.chunks:
            edata = edata.rechunk(sdata.chunks)
    ystarts = np.concatenate([[0], np.cumsum(sdata.chunks[0])[:-1]])
    xstarts = np.concatenate([[0], np.cumsum(sdata.chunks[1])[:-1]])
    sblocks = sdata.to_delayed()
    eblocks = None if edata is None else edata.to_delayed()
    fn = dask.delayed(_block_transitions, pure=True)
    a, _, c, _, e, f = transform
    parts = []
    import shapely

    union_bounds = b.total_bounds
    for i, y0 in enumerate(ystarts):
        for j, x0 in enumerate(xstarts):
            ny, nx = sdata.chunks[0][i], sdata.chunks[1][j]
            xa, xb = c + a * x0, c + a * (x0 + nx)
            ya, yb = f + e * y0, f + e * (y0 + ny)
            bb = (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))
            if (bb[0] > union_bounds[2] or bb[2] < union_bounds[0]
                    or bb[1] > union_bounds[3] or bb[3] < union_bounds[1]):
                continue
            box = shapely.box(*bb)
            if not any(g.intersects(box) for g in geoms):
                continue
            parts.append(fn(sblocks[i, j], None if eblocks is None else eblocks[i, j], geoms, ids,
                            wkt, transform, int(y0), int(x0), crs))
    cols = ["boundary_id", "class_start", "class_end", "area_m2"]
    if not parts:
        return pd.DataFrame(columns=cols)
    tables = dask.compute(*parts)
    t = pd.concat([x for x in tables if len(x)], ignore_index=True) if any(len(x) for x in tables) \
        else pd.DataFrame(columns=cols)
    if not len(t):
        return t
    t = t.groupby(["boundary_id", "class_start", "class_end"], as_index=False, sort=True)["area_m2"].sum()
    return pd.DataFrame(t[cols])


def transition_areas(start: xr.DataArray, end: xr.DataArray | None, boundaries, *,
                     nodata: int | None = None) -> tuple[pd.DataFrame, str]:
    """Transition table from the spatial core if available, else the local fallback.

    Returns
    -------
    tuple
        (table, engine) where engine names the implementation used.
    """
    try:
        from urbansat.spatial.zonal import class_transition_areas
    except (ImportError, AttributeError):
        return transition_areas_local(start, end, boundaries, nodata=nodata), "urbansat.sinks.transitions (local exact fallback)"
    return class_transition_areas(start, end, boundaries, nodata=nodata), "urbansat.spatial.zonal.class_transition_areas"
