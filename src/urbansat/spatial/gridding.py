"""Physical oversampling of soundings onto a regular lon/lat grid.

Each sounding's footprint polygon ``F_i`` is spread over the grid cells it
overlaps, in proportion to the overlapping area (the "physical oversampling"
of TROPOMI / OCO mapping studies, e.g. Sun et al. 2018, AMT 11:6679)::

    a_ij  = area(F_i ∩ C_j) / area(F_i)                 (exact, coverage kernel)
    x_j   = Σ_i a_ij w_i x_i / Σ_i a_ij w_i
    σ_j   = sqrt(Σ_i (a_ij w_i)^2 σ_i^2) / Σ_i a_ij w_i  (independent errors)

with ``w_i = 1`` or, for ``weights="inverse_variance"``, ``w_i = 1 / σ_i^2``. With equal
weights a sounding without an uncertainty (NaN) still counts for ``x_j``, and the cells it
reaches get ``σ_j`` NaN (unknown); inverse-variance weights need every ``σ_i`` finite and
above 0.
Areas are taken in the lon/lat plane, where ``a_ij`` (a ratio of areas inside
one footprint) is exact to the footprint's angular size. A uniform field is
reproduced exactly in every covered cell, so the grid mean equals the sounding
mean. ``method="centre"`` bins footprint centres instead (a_ij = 1 for the cell
holding the centre). Soundings are processed chunk by chunk along the dask
chunks of the swath, so many granules are gridded lazily.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias, cast

import dask.array as dsa
import numpy as np
import xarray as xr
from dask.delayed import delayed
from numpy.typing import ArrayLike, NDArray

from urbansat.errors import EmptySelectionError, SchemaError, UrbansatWarning
from urbansat.schema import (
    GAS_UNITS,
    gas_of,
    gas_variable,
    require_dataset,
    require_flag,
    to_soundings,
)
from urbansat.spatial.coverage import footprint_grid_kernel, prepare_polygons
from urbansat.spatial.grid import GridSpec
from urbansat.spatial.swath import footprint_polygons, warn_unusable_footprints
from urbansat.spatial.weights import to_raster_longitudes

__all__ = ["grid_soundings"]

#: An automatic grid wider than this [degrees of longitude] warns: soundings across the
#: antimeridian make a grid around the globe.
_WIDE_LON_DEG = 300.0
#: largest cell size accepted [deg]; a larger one is a size in metres or km given as degrees
MAX_RESOLUTION_DEG = 90.0
#: most cells of a grid: its four float64 sums take 32 bytes a cell in every worker
#: (1e8 cells = 3.2 GB), so a finer grid would not fit a worker's memory
MAX_GRID_CELLS = 100_000_000

#: Grid sums of one chunk of soundings, each (ny, nx): Σ a w x, Σ a w, Σ (a w)^2 σ^2, count.
_Sums: TypeAlias = tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]
]


# one dask task: the chunk's six arrays (positional, as dask.delayed passes them) and the options
def _partial(  # noqa: PLR0913, PLR0917
    lat_b: ArrayLike | None,
    lon_b: ArrayLike | None,
    lat: ArrayLike,
    lon: ArrayLike,
    x: ArrayLike,
    sig: ArrayLike,
    grid: GridSpec,
    method: str,
    inv_var: bool,
) -> _Sums:
    """Partial sums (num, den, var, cnt) for one chunk of soundings."""
    ny, nx = grid.shape_yx
    num = np.zeros((ny, nx))
    den = np.zeros((ny, nx))
    var = np.zeros((ny, nx))
    cnt = np.zeros((ny, nx))
    xv = np.asarray(x, dtype=np.float64)
    sv = np.asarray(sig, dtype=np.float64)
    ok = np.isfinite(xv)
    if inv_var:
        bad = ok & ~(np.isfinite(sv) & (sv > 0))
        if bad.any():  # raised inside the dask task, propagates unchanged from compute()
            shown = sorted({float(v) for v in sv[bad][:50]}, key=str)[:3]
            raise SchemaError(
                f"weights='inverse_variance' needs a finite uncertainty > 0 for every sounding "
                f"with a value; {int(bad.sum())} sounding(s) of this chunk have {shown}. "
                "Grid with weights=None, or mask those soundings first."
            )
        ww = np.where(ok, 1.0 / np.where(ok, sv, 1.0) ** 2, 0.0)
    else:
        # equal weights: a sounding without an uncertainty still counts for the mean; the
        # cells it reaches get a NaN sigma (their error is unknown), never a dropped value
        ww = ok.astype(np.float64)
    t = grid.transform
    if method == "centre":
        # longitudes onto the grid's [west, west + 360): a grid across 180 (170..190) holds
        # the soundings at -175 as 185; then a centre on the grid's outer edge (its east or
        # south border, lat -90, or a hair outside from rounding of the snapped automatic
        # grid) belongs to the edge cell, as numpy.histogram closes its last bin
        d = np.asarray(lon, dtype=np.float64) - t.c
        d = np.where((d >= -_EDGE_TOL * t.a) & (d < _TURN_DEG), d, np.mod(d, _TURN_DEG))
        col = _edge_index(d / t.a, nx)
        row = _edge_index((np.asarray(lat, dtype=np.float64) - t.f) / t.e, ny)
        inside = ok & (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
        idx = (row[inside] * nx + col[inside]).astype(np.int64)
        w = ww[inside]
        for arr, val in (
            (num, w * xv[inside]),
            (den, w),
            (var, w * w * sv[inside] ** 2),
            (cnt, np.ones_like(w)),
        ):
            arr.ravel()[:] += np.bincount(idx, weights=val, minlength=ny * nx)
        return num, den, var, cnt
    ds = xr.Dataset(
        {
            "latitude_bounds": (("sounding", "corner"), np.asarray(lat_b)),
            "longitude_bounds": (("sounding", "corner"), np.asarray(lon_b)),
        }
    )
    polys = footprint_polygons(ds)
    assert polys is not None  # ds always carries latitude_bounds and longitude_bounds
    good = ok & np.array([p is not None for p in polys])
    if not good.any():
        return num, den, var, cnt
    polys = polys[good]
    import shapely

    # footprints onto the grid's [west, west + 360): one straddling 180 (unwrapped to
    # 179.9..180.1) is cut into its parts either side, one at -175 lies at 185 on a grid
    # across 180; only those reaching outside the window are touched (the rest as given)
    x0, _, x1, _ = shapely.bounds(polys).T
    off = (x0 < t.c) | (x1 > t.c + _TURN_DEG)
    if off.any():
        polys = polys.copy()
        polys[off] = to_raster_longitudes(polys[off], t.c)

    fp_area: NDArray[np.float64] = shapely.area(polys)  # shapely is untyped (Any)
    keep = fp_area > 0
    polys, fp_area = polys[keep], fp_area[keep]
    sel = np.flatnonzero(good)[keep]
    if not len(polys):
        return num, den, var, cnt
    ps = prepare_polygons(polys, t)
    cell_area = abs(t.a * t.e)
    footprint_grid_kernel(
        ps.px, ps.py, ps.ring_start, ps.ring_sign, ps.poly_ring, ps.bbox, ny, nx,
        cell_area / fp_area, xv[sel], ww[sel], sv[sel] ** 2, num, den, var, cnt,
    )  # fmt: skip
    return num, den, var, cnt


#: One turn of longitude [degrees]
_TURN_DEG = 360.0
#: Tolerance [cells] within which a centre just outside the grid's outer edge is on it
_EDGE_TOL = 1e-9


def _edge_index(frac: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    """Cell index ``floor(frac)`` to :data:`_EDGE_TOL` cells, both outer edges closed.

    ``frac = n`` (the far edge) gives ``n - 1``; ``-tol <= frac < 0`` (rounding of a snapped
    grid origin) gives 0; anything further out stays outside (-1 or >= n).
    """
    # an interior edge belongs to the cell after it, also when the snapped grid origin puts
    # the sounding a rounding error before it: 10.0 E went to 9.9-10.0 on a grid from 9.8
    # (frac 1.9999999999999996) but to 10.0-10.1 on one from 9.0
    idx = np.floor(frac + _EDGE_TOL)
    idx = np.where((idx >= n) & (frac <= n + _EDGE_TOL), n - 1, idx)
    return np.where((frac < 0) & (frac >= -_EDGE_TOL), 0.0, idx)


def _sum_parts(*parts: _Sums | None) -> _Sums:
    """Add the grid sums of several chunks (one node of the tree reduction)."""
    present = [p for p in parts if p is not None]

    def total(k: int) -> NDArray[np.float64]:
        out: NDArray[np.float64] = np.sum([p[k] for p in present], axis=0)
        return out

    return total(0), total(1), total(2), total(3)


def _check_resolution(resolution: Any) -> float | tuple[float, float]:
    """Return ``resolution`` as a float or an (x, y) pair of positive floats, else raise."""
    try:
        res = np.broadcast_to(np.asarray(resolution, dtype=float), (2,))
    except (TypeError, ValueError):
        res = np.array([np.nan])
    parts = resolution if isinstance(resolution, (tuple, list)) else [resolution]
    text = any(isinstance(r, (str, bytes)) for r in parts)  # "0.1" from a config is no number
    if isinstance(resolution, bool) or text or not (np.isfinite(res).all() and (res > 0).all()):
        raise SchemaError(
            f"resolution={resolution!r} is not a positive cell size in degrees; give a number "
            "or (dx, dy), e.g. resolution=0.05."
        )
    if (res > MAX_RESOLUTION_DEG).any():
        raise SchemaError(
            f"resolution={resolution!r} degrees is larger than {MAX_RESOLUTION_DEG:g} degrees; "
            "the cell size is in degrees, not metres or km (5 km cells: resolution=0.045)."
        )
    return float(res[0]) if np.isscalar(resolution) else (float(res[0]), float(res[1]))


def _auto_grid(
    snd: xr.Dataset, resolution: float | tuple[float, float] | None, *, has_corners: bool
) -> GridSpec:
    """Return the grid spanning the soundings' footprints (centres), snapped to ``resolution``."""
    if has_corners:
        lo_x, hi_x = float(snd["longitude_bounds"].min()), float(snd["longitude_bounds"].max())
        lo_y, hi_y = float(snd["latitude_bounds"].min()), float(snd["latitude_bounds"].max())
    else:
        lo_x, hi_x = float(snd["longitude"].min()), float(snd["longitude"].max())
        lo_y, hi_y = float(snd["latitude"].min()), float(snd["latitude"].max())
    # np.isscalar does not narrow for mypy; a non-scalar resolution is the (x, y) pair
    # (validated above).
    rx, ry = cast(
        "tuple[float, float]",
        (resolution, resolution) if np.isscalar(resolution) else resolution,
    )
    x0, y0 = np.floor(lo_x / rx + 1e-9) * rx, np.floor(lo_y / ry + 1e-9) * ry
    # at least one cell each way: soundings on one meridian (or one sounding) on a multiple
    # of the resolution gave a box of zero width, refused as a bbox the caller never gave
    bbox = (
        x0, y0,
        max(np.ceil(hi_x / rx - 1e-9) * rx, x0 + rx), max(np.ceil(hi_y / ry - 1e-9) * ry, y0 + ry),
    )  # fmt: skip
    if bbox[2] - bbox[0] > _WIDE_LON_DEG:
        import warnings

        warnings.warn(
            "Soundings span more than 300 degrees of longitude (antimeridian?); the automatic grid "
            "covers all of it. Pass grid= to choose the region.",
            UrbansatWarning,
            stacklevel=3,
        )
    return GridSpec.from_bbox(bbox, (rx, ry), crs="EPSG:4326")


def _sums(
    arrays: dict[str, Any],
    *,
    var: str,
    sig_name: str,
    grid: GridSpec,
    method: str,
    inv_var: bool,
) -> tuple[Any, Any, Any, Any, bool]:
    """Return the grid sums (num, den, var, cnt) and whether they are lazy (one task per chunk)."""
    has_corners = "latitude_bounds" in arrays
    lazy = any(isinstance(a, dsa.Array) for a in arrays.values())
    ny, nx = grid.shape_yx
    if lazy:
        ref = next(a for a in arrays.values() if isinstance(a, dsa.Array))
        chunks = ref.chunks[0]
        blocks = {}
        for name, given in arrays.items():
            arr = (
                given
                if isinstance(given, dsa.Array)
                # dask.array has no annotations
                else dsa.from_array(given, chunks=(chunks, *given.shape[1:]))  # type: ignore[no-untyped-call]
            )
            arr = arr.rechunk({0: chunks, **dict.fromkeys(range(1, arr.ndim), -1)})
            blocks[name] = arr.to_delayed().reshape(-1)
        parts = []
        for k in range(len(chunks)):
            parts.append(
                delayed(_partial, pure=True)(
                    blocks["latitude_bounds"][k] if has_corners else None,
                    blocks["longitude_bounds"][k] if has_corners else None,
                    blocks["latitude"][k], blocks["longitude"][k],
                    blocks[var][k], blocks[sig_name][k],
                    grid, method, inv_var,
                )
            )  # fmt: skip
        while len(parts) > 1:  # tree reduction, 8 at a time
            parts = [
                delayed(_sum_parts, pure=True)(*parts[i : i + 8]) for i in range(0, len(parts), 8)
            ]
        total = parts[0]
        # dask.array has no annotations
        num, den, var2, cnt = (
            dsa.from_delayed(total[k], shape=(ny, nx), dtype=np.float64)  # type: ignore[no-untyped-call]
            for k in range(4)
        )
    else:
        num, den, var2, cnt = _partial(
            arrays.get("latitude_bounds"), arrays.get("longitude_bounds"), arrays["latitude"],
            arrays["longitude"], arrays[var], arrays[sig_name], grid, method, inv_var,
        )  # fmt: skip
    return num, den, var2, cnt, lazy


def _checked_footprints(snd: xr.Dataset, method: str) -> bool:
    """Whether ``snd`` has corners; refuse ``method='footprint'`` without, warn of unusable."""
    has_corners = "latitude_bounds" in snd.variables and "longitude_bounds" in snd.variables
    if method == "footprint" and not has_corners:
        raise SchemaError(
            "method='footprint' needs footprint corners (latitude_bounds, longitude_bounds), which "
            "this swath lacks; use method='centre'."
        )
    if method == "footprint":
        warn_unusable_footprints(snd, "the grid", stacklevel=4)
    return has_corners


def grid_soundings(
    swath: xr.Dataset,
    *,
    resolution: float | tuple[float, float] | None = None,
    grid: GridSpec | None = None,
    method: Literal["footprint", "centre"] = "footprint",
    weights: Literal["inverse_variance"] | None = None,
    qa_only: bool = True,
) -> xr.Dataset:
    """Oversample the soundings of a swath onto a regular lon/lat grid.

    See the module docstring for the equations.

    Parameters
    ----------
    swath : xarray.Dataset
        A normalized swath (:mod:`urbansat.schema`; several granules concatenated
        along ``y`` are fine), numpy- or dask-backed, or flattened soundings.
    resolution : float or (float, float), optional
        Cell size (x, y) [degrees]; the grid spans the soundings' footprints, snapped
        to multiples of the resolution.
    grid : GridSpec, optional
        Target grid in EPSG:4326 (use instead of ``resolution``).
    method : {"footprint", "centre"}
        Area-overlap oversampling (needs ``latitude_bounds``/``longitude_bounds``) or
        centre binning.
    weights : {None, "inverse_variance"}
        Equal weights or ``1 / <gas>_uncertainty^2``.
    qa_only : bool, default True
        Grid only soundings with ``qa_pass``.

    Returns
    -------
    xarray.Dataset
        Dims ``(y, x)`` with coordinates ``latitude``/``longitude`` of cell centres
        (also as ``y``/``x``) and a CRS (rioxarray): ``<gas>`` [ppm|ppb],
        ``<gas>_uncertainty`` [same], ``weight_sum`` [1] (Σ a_ij w_i) and
        ``n_soundings`` [1]. Cells without data are NaN. Lazy (dask) when the swath
        is dask-backed.

    Raises
    ------
    SchemaError
        Neither/both of ``resolution`` and ``grid``; a resolution that is not a positive
        number of degrees up to :data:`MAX_RESOLUTION_DEG`; footprint method without
        corners; a non-geographic grid; a grid of more than :data:`MAX_GRID_CELLS` cells;
        ``weights="inverse_variance"`` with a sounding whose uncertainty is not finite and
        > 0 (when the swath is lazy, at compute time, from the task of its chunk).
    EmptySelectionError
        If no sounding passes QA.
    """
    require_dataset(swath)
    qa_only = require_flag("qa_only", qa_only)
    if (resolution is None) == (grid is None):
        raise SchemaError(
            "Pass exactly one of resolution= (degrees) or grid= (GridSpec) to grid_soundings."
        )
    if resolution is not None:
        resolution = _check_resolution(resolution)
    if grid is not None and not isinstance(grid, GridSpec):
        raise SchemaError(
            f"grid must be a urbansat.spatial.grid.GridSpec; got {type(grid).__name__} {grid!r}. "
            "For a box use grid=GridSpec.from_bbox((lon_min, lat_min, lon_max, lat_max), "
            "resolution=0.05); for a cell size alone use resolution= (degrees)."
        )
    if method not in ("footprint", "centre"):
        raise SchemaError(f"method={method!r}; choose 'footprint' or 'centre'.")
    if weights not in (None, "inverse_variance"):
        raise SchemaError(f"weights={weights!r}; choose None or 'inverse_variance'.")
    gas = gas_of(swath)
    var = gas_variable(gas)
    snd = to_soundings(swath, qa_only=qa_only)  # flat input is screened too
    if snd.sizes["sounding"] == 0:
        raise EmptySelectionError(
            f"No sounding of {swath.attrs.get('source_files', '<memory>')} passes QA; "
            "nothing to grid. Use qa_only=False to grid unscreened data."
        )
    has_corners = _checked_footprints(snd, method)
    if grid is None:
        grid = _auto_grid(snd, resolution, has_corners=has_corners)
    if not grid.crs.is_geographic:
        raise SchemaError(
            f"grid_soundings needs a geographic (lon/lat) grid; got {grid.crs.to_string()}."
        )
    ny, nx = grid.shape_yx
    if ny * nx > MAX_GRID_CELLS:
        raise SchemaError(
            f"the grid has {ny} x {nx} = {ny * nx:.3g} cells, more than MAX_GRID_CELLS = "
            f"{MAX_GRID_CELLS:.0e} (its sums would take {32 * ny * nx / 1e9:.0f} GB per worker); "
            "give a coarser resolution= or a smaller grid= (GridSpec.from_bbox) around the "
            "region of interest."
        )
    sig_name = f"{var}_uncertainty"
    names = [var, sig_name, "latitude", "longitude"] + (
        ["latitude_bounds", "longitude_bounds"] if has_corners else []
    )
    arrays = {}
    for name in names:
        a = snd[name]
        if "corner" in a.dims:
            a = a.transpose("sounding", "corner")
        arrays[name] = a.data
    inv_var = weights == "inverse_variance"
    num, den, var2, cnt, lazy = _sums(
        arrays, var=var, sig_name=sig_name, grid=grid, method=method, inv_var=inv_var
    )
    xp = dsa if lazy else np
    covered = den > 0
    safe = xp.where(covered, den, 1.0)
    mean = xp.where(covered, num / safe, np.nan)
    sigma = xp.where(covered, xp.sqrt(var2) / safe, np.nan)
    c = grid.coords()
    units = GAS_UNITS[gas]
    out = xr.Dataset(
        {
            var: (
                ("y", "x"),
                mean,
                {"units": units, "long_name": f"footprint-area-weighted {var}"},
            ),
            sig_name: (
                ("y", "x"),
                sigma,
                {"units": units, "long_name": f"1-sigma uncertainty of gridded {var}"},
            ),
            "weight_sum": (
                ("y", "x"),
                den,
                {"units": "1", "long_name": "sum of footprint area shares times weights"},
            ),
            "n_soundings": (
                ("y", "x"),
                cnt,
                {"units": "1", "long_name": "number of overlapping soundings"},
            ),
        },
        coords={
            "y": ("y", c["y"], {"units": "degrees_north", "standard_name": "latitude"}),
            "x": ("x", c["x"], {"units": "degrees_east", "standard_name": "longitude"}),
        },
    )
    out = out.assign_coords(
        latitude=("y", c["y"], {"units": "degrees_north"}),
        longitude=("x", c["x"], {"units": "degrees_east"}),
    )
    # the rioxarray accessor is untyped (Any); write_crs/write_transform return the Dataset
    out = cast(xr.Dataset, out.rio.write_crs(grid.crs.to_wkt()).rio.write_transform(grid.transform))
    out.attrs = {
        "gas": gas,
        "product": swath.attrs.get("product", ""),
        "gridding_method": method,
        "weights": weights or "equal",
        "Conventions": "CF-1.10",
    }
    return out
