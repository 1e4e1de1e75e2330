"""Exact zonal statistics and class areas per boundary, chunk by chunk on dask.

Every pixel counts by its exact coverage fraction ``f`` (``area(P ∩ cell) /
area(cell)``, see :mod:`urbansat.spatial.coverage`) times its true area ``A``
(:mod:`urbansat.spatial.areas`: ellipsoidal per row for geographic grids,
``|a e|`` for projected grids). For each dask block of the raster, the
polygons whose bounding box meets the block are rasterised exactly on that
block only and their weighted sums accumulated (a weighted bincount in a numba
kernel); the partial sums of all blocks are then added. Nothing but one block
(per worker thread) is ever in memory, the result does not depend on the
chunking (up to floating-point summation order, ~1e-15 relative), and the same
graph runs on a ``dask.distributed`` cluster: the functions call
:func:`dask.compute`, which uses the active client when there is one.

CRS handling: boundaries whose CRS differs from the raster's are reprojected to
the raster CRS (``boundaries.to_crs(raster.rio.crs)``) before clipping; the
raster is never resampled. A missing CRS on either side is an error.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, TypeAlias, TypeVar, cast

import dask.array as dsa
import geopandas as gpd
import numba
import numpy as np
import pandas as pd
import xarray as xr
from dask.base import compute
from dask.delayed import Delayed, delayed
from numpy.typing import NDArray

from urbansat.errors import (
    AlignmentError,
    BoundaryError,
    EmptyResultWarning,
    SchemaError,
    SuspectValueWarning,
)
from urbansat.spatial.coverage import PolygonSet, class_segments_kernel, value_segments_kernel
from urbansat.spatial.grid import GridSpec, as_raster_2d
from urbansat.spatial.weights import Coverage

__all__ = ["STATS", "class_areas", "class_transition_areas", "zonal_stats"]

Stat = Literal[
    "mean", "sum", "count", "min", "max", "std", "observed_area_m2", "unobserved_area_m2"
]
#: Statistics understood by :func:`zonal_stats`.
STATS: tuple[str, ...] = (
    "mean",
    "sum",
    "count",
    "min",
    "max",
    "std",
    "observed_area_m2",
    "unobserved_area_m2",
)

#: Class codes of at most this many bytes are indexed through a lookup table of
#: ``2 ** (8 * itemsize)`` entries (at most 65536); wider codes go through np.unique.
_LUT_MAX_ITEMSIZE = 2
#: Columns of the per-boundary moments written by value_kernel (see its docstring).
_N_MOMENTS = 10
#: Moment columns that add over blocks (the others are the running min [5] and max [6]).
_ADDITIVE_MOMENTS = (0, 1, 2, 3, 4, 7, 8, 9)
#: Column of the centred sum of squares (:func:`_add_moments`).
_M2 = 4
#: A raster block in its own dtype (class codes or numbers).
_Block: TypeAlias = NDArray[Any]
#: Result of one block of class_transition_areas: boundary index, start class, end class, m2.
_ClassPart: TypeAlias = tuple[NDArray[np.int64], _Block, _Block, NDArray[np.float64]]
#: Result of one block of zonal_stats: boundary indices and their (n, _N_MOMENTS) moments.
_ValuePart: TypeAlias = tuple[NDArray[np.int64], NDArray[np.float64]]
_Part = TypeVar("_Part")


# --------------------------------------------------------------------------- inputs
def _coverage_for(
    raster: xr.DataArray, boundaries: Any, coverage: Coverage | None, name: str
) -> tuple[xr.DataArray, Coverage]:
    """Return the (y, x) raster and its coverage weights.

    ``coverage`` is checked against the raster and the boundaries, or built from the
    boundaries on the raster's grid.
    """
    if coverage is not None:
        if not isinstance(coverage, Coverage):
            raise SchemaError(
                "coverage= must be a urbansat.Coverage (urbansat.Coverage(boundaries, raster)); "
                "got "
                f"{type(coverage).__name__}."
            )
        coverage.check_boundaries(boundaries)
        return coverage.check_grid(raster, name=name), coverage
    if boundaries is None:
        raise BoundaryError("Pass boundaries (a GeoDataFrame) or coverage= (a urbansat.Coverage).")
    da = as_raster_2d(raster, name=name)
    grid = GridSpec.from_dataarray(da, name=name)
    return da, Coverage(boundaries, grid)


def _outside_area(cov: Coverage, inside_m2: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the area [m2] of each boundary beyond the raster extent.

    That is its true area (:func:`~urbansat.spatial.areas.polygon_areas`, same convention as
    the pixel areas) minus the area found on the raster (observed + unobserved).
    """
    total = cov.boundary_area_m2
    out = total - inside_m2
    return np.where(out > 1e-9 * np.maximum(total, 1.0), out, 0.0)


def _aligned(other: xr.DataArray, grid: GridSpec, name: str, ref_name: str) -> xr.DataArray:
    da = as_raster_2d(other, name=name)
    g2 = GridSpec.from_dataarray(da, name=name)
    if not grid.same_grid(g2):
        raise AlignmentError(
            f"The {name} raster does not share the grid of the {ref_name} raster: {ref_name} has "
            f"shape {grid.shape_yx}, transform {tuple(grid.transform)[:6]}, CRS "
            f"{grid.crs.to_string()}; "
            f"{name} has shape {g2.shape_yx}, transform {tuple(g2.transform)[:6]}, CRS "
            f"{g2.crs.to_string()}. Resample one onto the other first, e.g. "
            f"{name}.rio.reproject_match({ref_name}, resampling=Resampling.nearest)."
        )
    return da


def _blocks(
    arrays: Sequence[_Block | dsa.Array], polys: PolygonSet
) -> Iterator[tuple[int, int, list[_Block | Delayed], bool]]:
    """Yield (row0, col0, [block per array], lazy) over the blocks met by any polygon's bbox.

    Other arrays are rechunked lazily to the same chunks (inputs are not modified).
    Plain numpy inputs are processed as one block. Blocks that no polygon bounding
    box touches are skipped, so they are never read.
    """
    ref = next((a for a in arrays if isinstance(a, dsa.Array)), None)
    if ref is None:
        yield 0, 0, cast("list[_Block | Delayed]", list(arrays)), False  # no dask array here
        return
    # dask.array has no annotations (rechunk, from_array)
    arrs = [
        (a.rechunk(ref.chunks) if a.chunks != ref.chunks else a)  # type: ignore[no-untyped-call]
        if isinstance(a, dsa.Array)
        else dsa.from_array(a, chunks=ref.chunks)  # type: ignore[no-untyped-call]
        for a in arrays
    ]
    per_block = [a.to_delayed() for a in arrs]
    r_off = np.concatenate([[0], np.cumsum(ref.chunks[0])])
    c_off = np.concatenate([[0], np.cumsum(ref.chunks[1])])
    for i in range(len(ref.chunks[0])):
        for j in range(len(ref.chunks[1])):
            if not polys.candidates(
                int(r_off[i]), int(c_off[j]), ref.chunks[0][i], ref.chunks[1][j]
            ).size:
                continue
            yield int(r_off[i]), int(c_off[j]), [d[i, j] for d in per_block], True


# --------------------------------------------------------------------------- class codes
@numba.njit(cache=True, nogil=True)
def _present(block: NDArray[np.unsignedinteger[Any]], n: int) -> NDArray[np.bool_]:
    seen = np.zeros(n, dtype=np.bool_)
    for v in block.ravel():
        seen[v] = True
    return seen


def _codes(block: _Block) -> tuple[_Block, NDArray[np.integer[Any]], NDArray[np.int32]]:
    """Map class values of a block to compact indices.

    Returns ``(values, index_array, lut)`` with ``lut[index_array] -> 0..len(values)-1``.
    """
    dt = block.dtype
    if dt.kind == "b":
        block = block.view(np.uint8)
        dt = block.dtype
    if dt.itemsize <= _LUT_MAX_ITEMSIZE:
        ut = np.dtype(f"u{dt.itemsize}")
        ub = block.view(ut) if block.flags.c_contiguous else np.ascontiguousarray(block).view(ut)
        seen = _present(ub, 1 << (8 * dt.itemsize))
        uvals = np.flatnonzero(seen).astype(ut)
        lut = np.zeros(1 << (8 * dt.itemsize), dtype=np.int32)
        lut[uvals] = np.arange(len(uvals), dtype=np.int32)
        return uvals.view(dt), ub, lut
    vals, inv = np.unique(block, return_inverse=True)
    return vals, inv.reshape(block.shape).astype(np.int32), np.arange(len(vals), dtype=np.int32)


def _shared(cov: Coverage) -> Delayed:
    """Wrap the coverage as one dask graph key (named by its token: weights are not hashed)."""
    shared: Delayed = delayed(cov, name=f"urbansat-coverage-{cov.token}")
    return shared


def _map_blocks(
    block_fn: Callable[..., _Part | None],
    arrays: Sequence[_Block | dsa.Array],
    cov: Coverage,
    *options: object,
) -> list[_Part | None]:
    """Run ``block_fn(first, second or None, row0, col0, cov, *options)`` on every block.

    ``arrays`` are one or two rasters on the coverage's grid; only the blocks that a
    boundary's bounding box meets are visited. Dask-backed rasters become one task per block
    (the coverage shared as one graph key), computed together with :func:`dask.compute`.
    """
    parts: list[_Part | None] = []
    tasks = []
    shared = None
    for row0, col0, blocks, lazy in _blocks(arrays, cov.polygons):
        args = (blocks[0], blocks[1] if len(blocks) > 1 else None, row0, col0)
        if lazy:
            if shared is None:
                shared = _shared(cov)
            tasks.append(delayed(block_fn, pure=True)(*args, shared, *options))
        else:
            parts.append(block_fn(*args, cov, *options))
    if tasks:
        parts.extend(compute(*tasks))  # type: ignore[no-untyped-call]  # dask has no annotations
    return parts


def _local_index(cov: Coverage, cand: NDArray[np.int64]) -> NDArray[np.int32]:
    """``loc[polygon] -> row of the block's output`` (-1 for polygons not in ``cand``)."""
    loc = np.full(cov.n_boundaries, -1, dtype=np.int32)
    loc[cand] = np.arange(cand.size, dtype=np.int32)
    return loc


def _class_block(
    start: _Block, end: _Block | None, row0: int, col0: int, cov: Coverage
) -> _ClassPart | None:
    start = np.asarray(start)
    n_rows, n_cols = start.shape
    cand = cov.polygons.candidates(row0, col0, n_rows, n_cols)
    if cand.size == 0:
        return None
    vals_s, arr_s, lut_s = _codes(start)
    vals_e: _Block | None
    if end is None:
        arr_e, lut_e, n_e, vals_e = arr_s, np.zeros_like(lut_s), 1, None
    else:
        vals_e, arr_e, lut_e = _codes(np.asarray(end))
        n_e = len(vals_e)
    out = np.zeros((cand.size, len(vals_s) * n_e))
    class_segments_kernel(
        cov.row_ptr, cov.segments, cov.fractions, _local_index(cov, cand),
        row0, col0, arr_s, lut_s, arr_e, lut_e, n_e, cov.row_area_m2[row0 : row0 + n_rows], out,
    )  # fmt: skip
    i, k = np.nonzero(out)
    cs = vals_s[k // n_e]
    ce = cs if vals_e is None else vals_e[k % n_e]
    return cand[i], cs, ce, out[i, k]


def _check_categorical(da: xr.DataArray, name: str) -> None:
    if da.dtype.kind not in "uib":
        raise SchemaError(
            f"The {name} raster has dtype {da.dtype}; class areas need integer class codes. Open "
            "it "
            "without masking (rioxarray.open_rasterio(path, masked=False)) or convert it, e.g. "
            f"{name}.fillna(0).astype('uint8') with 0 as nodata."
        )


def class_transition_areas(
    start: xr.DataArray,
    end: xr.DataArray | None,
    boundaries: gpd.GeoDataFrame | None = None,
    *,
    nodata: float | None = None,
    coverage: Coverage | None = None,
) -> pd.DataFrame:
    """Exact area of every (start class -> end class) transition in each boundary.

    For boundary ``P``, classes ``i`` (start) and ``j`` (end)::

        area_m2(P, i, j) = Σ_cells f_P(cell) · A(cell) · [start(cell) = i] · [end(cell) = j]

    with ``f_P`` the exact coverage fraction of the cell by ``P`` and ``A`` its true
    area (ellipsoidal for geographic grids, ``|a e|`` in m2 for projected grids; see
    :mod:`urbansat.spatial.areas`). Works block by block on dask arrays.

    Parameters
    ----------
    start : xarray.DataArray
        Integer class raster of the first epoch, dims ``(y, x)`` (or ``(band=1, y, x)``),
        with a CRS (rioxarray), numpy- or dask-backed. Not modified.
    end : xarray.DataArray or None
        Class raster of the second epoch on exactly the same grid (CRS, transform,
        shape); its dask chunks may differ. ``None``: no transition, ``class_end``
        equals ``class_start`` (plain class areas).
    boundaries : geopandas.GeoDataFrame, optional
        Polygons with a ``boundary_id`` column (as returned by
        :func:`urbansat.read_boundaries`; otherwise the index is used). Reprojected to
        the raster CRS when their CRS differs. May be omitted when ``coverage`` is given.
    nodata : int, optional
        Nodata class code; defaults to ``start.rio.nodata``. Nodata pixels are *not*
        dropped: they appear with their code, so the caller can report the
        unobserved area. The value is stored in ``result.attrs["nodata"]``.
    coverage : urbansat.Coverage, optional
        Precomputed coverage weights of the boundaries on this grid (reused across
        rasters, epochs and calls); built from ``boundaries`` when not given.

    Returns
    -------
    pandas.DataFrame
        Columns ``boundary_id`` (str), ``class_start``, ``class_end`` (raster dtype),
        ``area_m2`` (float64, m2); one row per non-zero combination, sorted by
        boundary order then classes. Boundaries entirely outside the raster get no row
        (an :class:`~urbansat.errors.EmptyResultWarning` lists them).

    Raises
    ------
    AlignmentError
        If ``end`` is not on the grid of ``start``.
    SchemaError
        If a raster is not an integer ``(y, x)`` raster.
    CRSError
        If the raster or the boundaries lack a CRS.
    BoundaryError
        On empty, invalid, or duplicated boundaries.
    EmptySelectionError
        If no boundary overlaps the raster.

    Examples
    --------
    >>> lc20 = rioxarray.open_rasterio("worldcover_2020.tif", chunks=4096)  # doctest: +SKIP
    >>> lc21 = rioxarray.open_rasterio("worldcover_2021.tif", chunks=4096)  # doctest: +SKIP
    >>> class_transition_areas(lc20, lc21, cities)  # doctest: +SKIP
    """
    da, cov = _coverage_for(start, boundaries, coverage, "start")
    grid, ids = cov.grid, cov.ids
    _check_categorical(da, "start")
    arrays = [da.data]
    if end is not None:
        de = _aligned(end, grid, "end", "start")
        _check_categorical(de, "end")
        arrays.append(de.data)
    if nodata is None:
        nd = _declared_nodata(da, "start")
        nodata = None if nd is None or (isinstance(nd, float) and np.isnan(nd)) else nd
    else:
        _check_nodata(nodata, da.dtype, "start", categorical=True)
    if nodata is not None:
        nodata = int(nodata) if float(nodata).is_integer() else float(nodata)
    parts = [p for p in _map_blocks(_class_block, arrays, cov) if p is not None and len(p[0])]
    dtype_s = da.dtype if da.dtype.kind != "b" else np.uint8
    if not parts:
        df = pd.DataFrame(
            {
                "boundary_id": pd.Series([], dtype=object),
                "class_start": pd.Series([], dtype=dtype_s),
                "class_end": pd.Series([], dtype=dtype_s),
                "area_m2": pd.Series([], dtype=np.float64),
            }
        )
    else:
        poly = np.concatenate([p[0] for p in parts])
        df = pd.DataFrame(
            {
                "poly": poly,
                "class_start": np.concatenate([p[1] for p in parts]),
                "class_end": np.concatenate([p[2] for p in parts]),
                "area_m2": np.concatenate([p[3] for p in parts]),
            }
        )
        # pandas-stubs type groupby(as_index=False)[col].sum() as a Series; it is a DataFrame.
        df = cast(
            pd.DataFrame,
            df.groupby(["poly", "class_start", "class_end"], sort=True, as_index=False)[
                "area_m2"
            ].sum(),
        )
        df.insert(0, "boundary_id", ids[df.pop("poly").to_numpy()])
    df.attrs["nodata"] = nodata
    df.attrs["units"] = {"area_m2": "m2"}
    return df.reset_index(drop=True)


def class_areas(
    categorical_raster: xr.DataArray,
    boundaries: gpd.GeoDataFrame | None = None,
    *,
    nodata: int | None = None,
    coverage: Coverage | None = None,
) -> pd.DataFrame:
    """Exact true area of each land-cover class in each boundary, with observed/unobserved area.

    ``area_m2(P, k) = Σ_cells f_P · A · [class = k]`` (see
    :func:`class_transition_areas`); ``fraction = area_m2 / observed_area_m2`` where
    ``observed_area_m2 = Σ_k area_m2(P, k)`` over valid classes and
    ``unobserved_area_m2`` is the nodata area inside ``P`` (on the raster).

    Parameters
    ----------
    categorical_raster : xarray.DataArray
        Integer class raster (rioxarray), numpy- or dask-backed. Not modified.
    boundaries : geopandas.GeoDataFrame, optional
        Polygons with ``boundary_id`` (see :func:`urbansat.read_boundaries`); may be
        omitted when ``coverage`` is given.
    nodata : int, optional
        Nodata code; default ``categorical_raster.rio.nodata``.
    coverage : urbansat.Coverage, optional
        Precomputed coverage weights on this grid; built when not given.

    Returns
    -------
    pandas.DataFrame
        One row per (boundary, observed class): ``boundary_id``, ``class``,
        ``area_m2`` [m2], ``area_ha`` [ha], ``area_km2`` [km2], ``fraction`` [1] of the
        observed area, and per boundary (repeated) ``observed_area_m2``,
        ``unobserved_area_m2`` [m2] (nodata area inside the boundary and the raster) and
        ``outside_area_m2`` [m2] (part of the boundary beyond the raster extent; see
        :func:`~urbansat.spatial.areas.polygon_areas`).
        Boundaries without any observed pixel have no row and are listed in an
        :class:`~urbansat.errors.EmptyResultWarning`; for a per-boundary table of
        observed/unobserved area use :func:`zonal_stats`. ``attrs`` hold ``nodata``
        and ``units`` (JSON-serialisable, so parquet export keeps them).

    Raises
    ------
    See :func:`class_transition_areas`.
    """
    da, cov = _coverage_for(categorical_raster, boundaries, coverage, "categorical_raster")
    _check_categorical(da, "categorical_raster")  # named as the caller knows it, not "start"
    if nodata is not None:
        _check_nodata(nodata, da.dtype, "categorical_raster", categorical=True)
    else:
        _declared_nodata(da, "categorical_raster")  # a bad attribute named as the caller knows
    tr = class_transition_areas(categorical_raster, None, None, nodata=nodata, coverage=cov)
    nodata = tr.attrs["nodata"]
    ids = cov.ids
    is_nd = (
        (tr["class_start"] == nodata).to_numpy() if nodata is not None else np.zeros(len(tr), bool)
    )
    obs = tr.loc[~is_nd].groupby("boundary_id")["area_m2"].sum()
    unobs = tr.loc[is_nd].groupby("boundary_id")["area_m2"].sum()
    per = pd.DataFrame({"boundary_id": ids})
    per["observed_area_m2"] = per["boundary_id"].map(obs).fillna(0.0).astype(float)
    per["unobserved_area_m2"] = per["boundary_id"].map(unobs).fillna(0.0).astype(float)
    per["outside_area_m2"] = _outside_area(
        cov, (per["observed_area_m2"] + per["unobserved_area_m2"]).to_numpy()
    )
    tot = per["observed_area_m2"] + per["unobserved_area_m2"]
    per["observed_fraction"] = np.where(
        tot > 0, per["observed_area_m2"] / tot.where(tot > 0, 1.0), np.nan
    )
    none = per.loc[per["observed_area_m2"] == 0, "boundary_id"].tolist()
    if none:
        warnings.warn(
            f"{len(none)} boundaries have no observed (non-nodata) pixel: {none[:20]}",
            EmptyResultWarning,
            stacklevel=2,
        )
    df = tr.loc[~is_nd, ["boundary_id", "class_start", "area_m2"]].rename(
        columns={"class_start": "class"}
    )
    df["area_ha"] = df["area_m2"] / 1e4
    df["area_km2"] = df["area_m2"] / 1e6
    df = df.merge(
        per[["boundary_id", "observed_area_m2", "unobserved_area_m2", "outside_area_m2"]],
        on="boundary_id",
        how="left",
    )
    df.insert(5, "fraction", df["area_m2"] / df["observed_area_m2"])
    df = df.reset_index(drop=True)
    df.attrs["nodata"] = nodata
    df.attrs["units"] = {
        "area_m2": "m2", "area_ha": "ha", "area_km2": "km2", "fraction": "1",
        "observed_area_m2": "m2", "unobserved_area_m2": "m2", "outside_area_m2": "m2",
    }  # fmt: skip
    return df


def _declared_nodata(da: xr.DataArray, name: str) -> Any:
    """``da.rio.nodata``, refusing a declared value that no pixel of ``da`` can hold.

    rioxarray casts the ``_FillValue``/``nodata`` attribute to the dtype and raises a bare
    OverflowError (uint8 with ``_FillValue = -9999``, a file written by a careless tool).
    """
    try:
        return da.rio.nodata
    except (OverflowError, ValueError) as err:
        declared = {k: da.attrs[k] for k in ("_FillValue", "nodata") if k in da.attrs}
        declared |= {k: da.encoding[k] for k in ("_FillValue",) if k in da.encoding}
        raise SchemaError(
            f"{name} (dtype {da.dtype}) declares a nodata value {declared} that no pixel "
            f"of that dtype can hold ({err}). Pass nodata= with its true missing-pixel code, "
            f"or fix the attribute ({name}.rio.write_nodata(code))."
        ) from None


def _check_nodata(nodata: Any, dtype: np.dtype[Any], name: str, *, categorical: bool) -> None:
    """Refuse a ``nodata`` that is not a number, or that no pixel of ``dtype`` can hold."""
    if isinstance(nodata, bool) or not isinstance(nodata, numbers.Real):
        raise SchemaError(
            f"nodata={nodata!r} is not a number; give the value that marks missing pixels of "
            f"{name} (e.g. nodata=0 or -9999), or None to use {name}.rio.nodata."
        )
    value = float(nodata)
    if dtype.kind in "iub" and np.isfinite(value):
        info = np.iinfo(dtype) if dtype.kind != "b" else np.iinfo(np.uint8)
        if not value.is_integer() or not info.min <= value <= info.max:
            raise SchemaError(
                f"nodata={nodata!r} can never occur in {name} of dtype {dtype} (whole numbers "
                f"{info.min}..{info.max}); give the code that marks its missing pixels."
            )
    elif categorical and not np.isfinite(value):
        raise SchemaError(f"nodata={nodata!r} is not a class code of {name}; give a whole number.")


# --------------------------------------------------------------------------- continuous stats
def _value_block(
    values: _Block,
    weights: _Block | None,
    row0: int,
    col0: int,
    cov: Coverage,
    has_nodata: bool,
    nodata: float,
) -> _ValuePart | None:
    values = np.asarray(values)
    n_rows, n_cols = values.shape
    cand = cov.polygons.candidates(row0, col0, n_rows, n_cols)
    if cand.size == 0:
        return None
    if weights is None:
        weights = np.ones((1, 1), dtype=np.float64)
        weights = np.broadcast_to(weights, values.shape)
    elif ((w := np.asarray(weights)) < 0).any():
        raise SchemaError(
            f"weights has negative values (down to {float(w[w < 0].min()):g}, block at row "
            f"{row0}, column {col0}); a weight is a non-negative amount (population, area, a "
            "share) and NaN marks a missing one. Clip or mask the negative cells first, e.g. "
            "weights.where(weights >= 0)."
        )
    # moments about a value c of the block, not about 0, when the values sit far from 0 for
    # their spread: E[x^2] - mean^2 of values near 1e8 loses every digit of a spread of 1
    # (std 0 for 1e8 +- 1, 22.6 for 1e9 +- 0.87)
    c = _block_reference(values, has_nodata, nodata)
    x, nd_flag = values, has_nodata
    if c != 0.0:
        x = values.astype(np.float64)
        if has_nodata:  # NaN and nodata count alike (unobserved)
            x[values == values.dtype.type(nodata)] = np.nan
        x -= c
        nd_flag = False
    out = np.zeros((cand.size, _N_MOMENTS))
    out[:, 5] = np.inf
    out[:, 6] = -np.inf
    value_segments_kernel(
        cov.row_ptr, cov.segments, cov.fractions, _local_index(cov, cand), row0, col0,
        x, np.asarray(weights), nd_flag, float(nodata),
        cov.row_area_m2[row0 : row0 + n_rows], out,
    )  # fmt: skip
    # column 4 is already the centred M2 (the kernel updates it per cell, weighted Welford):
    # E[x^2] - mean^2 gave a one-pixel zone of 1e9 among values of spread 1e8 a std of 13
    out[:, 3] += c * out[:, 2]  # sum of f A w x
    out[:, 1] += c * out[:, 0]
    out[:, 5] += c
    out[:, 6] += c
    return cand, out


#: Shift the moments of a block when its values sit this many spreads from 0: the squared
#: ratio times 2e-16 bounds the relative error of the variance about 0 (1e-8 at 1e4).
_SHIFT_RATIO = 1e4


def _block_reference(values: NDArray[Any], has_nodata: bool, nodata: float) -> float:
    """Return a value of the block to take moments about: 0 unless they sit far from 0.

    The median of about 1024 evenly strided values (finite, not nodata) when its distance
    from 0 exceeds :data:`_SHIFT_RATIO` times their spread (or they are all equal and not 0).
    """
    raw = values.ravel()[:: max(1, values.size // 1024)]
    sub = raw.astype(np.float64)
    keep = np.isfinite(sub)
    if has_nodata:
        keep &= raw != values.dtype.type(nodata)
    sub = sub[keep]
    if sub.size == 0:
        return 0.0
    c = float(np.median(sub))
    spread = float(sub.max() - sub.min())
    return c if abs(c) > _SHIFT_RATIO * spread else 0.0


def _add_moments(parts: Sequence[_ValuePart | None], n: int) -> NDArray[np.float64]:
    """Add the blocks' moments (see :func:`value_kernel`) into one row per boundary.

    Column 4 of a block is its centred sum of squares ``M2_b = sum f A w (x - mean_b)^2``;
    blocks combine by the parallel-axis theorem, ``M2 = sum_b [M2_b + W_b (mean_b - mean)^2]``
    (Chan, Golub & LeVeque 1983), exact and without the cancellation of ``E[x^2] - mean^2``.
    """
    acc = np.zeros((n, _N_MOMENTS))
    acc[:, 5] = np.inf
    acc[:, 6] = -np.inf
    kept = [p for p in parts if p is not None]
    for cand, out in kept:
        for k in _ADDITIVE_MOMENTS:
            if k != _M2:
                np.add.at(acc[:, k], cand, out[:, k])
        np.minimum.at(acc[:, 5], cand, out[:, 5])
        np.maximum.at(acc[:, 6], cand, out[:, 6])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(acc[:, 2] > 0, acc[:, 3] / np.where(acc[:, 2] > 0, acc[:, 2], 1.0), 0.0)
        for cand, out in kept:
            w = out[:, 2]
            d = np.where(w > 0, out[:, 3] / np.where(w > 0, w, 1.0) - mean[cand], 0.0)
            np.add.at(acc[:, _M2], cand, out[:, _M2] + w * d * d)
    return acc


def _stat_columns(acc: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """Return every statistic of :data:`STATS` per boundary from the added moments."""
    valid = acc[:, 2] > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, acc[:, 3] / np.where(valid, acc[:, 2], 1.0), np.nan)
        var = np.where(valid, acc[:, _M2] / np.where(valid, acc[:, 2], 1.0), np.nan)
    return {
        "mean": mean,
        "sum": np.where(acc[:, 0] > 0, acc[:, 1], np.nan),
        "count": acc[:, 0],
        # extremes over every valid cell the boundary touches, whatever its weight (a zone
        # whose weights are all 0 has a range but no weighted mean)
        "min": np.where(acc[:, 0] > 0, acc[:, 5], np.nan),
        "max": np.where(acc[:, 0] > 0, acc[:, 6], np.nan),
        "std": np.sqrt(np.clip(var, 0.0, None)),
        "observed_area_m2": acc[:, 7],
        "unobserved_area_m2": acc[:, 8],
    }


#: values that products and GIS tools write for missing data (GDAL/ArcGIS -9999, -999,
#: int16 -32768, float32 extremes, the netCDF default float fill 9.96921e36, CMIP 1e20)
FILL_LIKE_VALUES: tuple[float, ...] = (
    -9999.0,
    -999.0,
    -32768.0,
    -3.4028234663852886e38,
    3.4028234663852886e38,
    9.969209968386869e36,
    1e20,
)


def _warn_fill_like(
    vmin: NDArray[np.float64], vmax: NDArray[np.float64], ids: NDArray[Any]
) -> None:
    """Warn when a boundary's minimum or maximum is a common fill value and none is declared.

    The per-boundary extremes are already computed, so the check costs nothing; it warns
    (:class:`~urbansat.errors.SuspectValueWarning`) rather than refuses, since such a value
    can be data, and says how to declare it as nodata.
    """
    for v in FILL_LIKE_VALUES:
        hit = (vmin == v) | (vmax == v)
        if hit.any():
            warnings.warn(
                f"{int(hit.sum())} boundaries ({list(ids[hit][:10])}) have a pixel equal to "
                f"{v:g}, a common fill value, and the raster declares no nodata: the "
                f"statistics count it as a value. If {v:g} marks missing data, pass "
                f"nodata={v!r} (or raster.rio.write_nodata({v!r}) before)",
                SuspectValueWarning,
                stacklevel=3,
            )


def zonal_stats(
    raster: xr.DataArray,
    boundaries: gpd.GeoDataFrame | None = None,
    stats: Sequence[Stat] = ("mean", "sum", "count"),
    *,
    weights: xr.DataArray | None = None,
    nodata: float | None = None,
    coverage: Coverage | None = None,
) -> pd.DataFrame:
    """Exact coverage-weighted statistics of a continuous raster per boundary.

    With ``f`` the exact coverage fraction of a cell by the boundary, ``A`` its true
    area [m2], ``w`` the optional weight and ``x`` the value, over valid cells (finite,
    not ``nodata``, finite weight)::

        count = Σ f                      (fractional number of valid cells)
        sum   = Σ f x                    (as exactextract "sum": for per-pixel totals)
        mean  = Σ f A w x / Σ f A w      (area-weighted; exactextract "mean" on equal-area grids)
        std   = sqrt(Σ f A w x² / Σ f A w - mean²)   (population, same weights)
        min, max over cells with f > 0
        observed_area_m2   = Σ f A  over valid cells
        unobserved_area_m2 = Σ f A  over NaN / nodata cells (or non-finite weight)
        outside_area_m2    = area(P) - observed - unobserved   (P beyond the raster)

    Parameters
    ----------
    raster : xarray.DataArray
        ``(y, x)`` raster with a CRS; numpy or dask. Not modified.
    boundaries : geopandas.GeoDataFrame, optional
        Polygons with ``boundary_id`` (see :func:`urbansat.read_boundaries`); may be
        omitted when ``coverage`` is given.
    stats : sequence of str
        Any of ``mean, sum, count, min, max, std, observed_area_m2, unobserved_area_m2``.
        The two area columns are always returned.
    weights : xarray.DataArray, optional
        Weights on the same grid as ``raster`` (e.g. population).
    nodata : float, optional
        Value treated as missing besides NaN; default ``raster.rio.nodata``.
    coverage : urbansat.Coverage, optional
        Precomputed coverage weights on this grid (e.g. shared by many gridded swaths
        or epochs); built from ``boundaries`` when not given.

    Returns
    -------
    pandas.DataFrame
        One row per boundary (input order): ``boundary_id`` then the requested stats,
        ``observed_area_m2``, ``unobserved_area_m2`` and ``outside_area_m2`` (beyond the
        raster extent) [m2]. Units are in
        ``result.attrs["units"]`` (value stats carry the raster's ``units`` attribute).
        A boundary without valid cells gets NaN stats and an
        :class:`~urbansat.errors.EmptyResultWarning`; one whose weights are all 0 there
        keeps its ``count``, ``sum``, ``min`` and ``max`` and gets NaN ``mean`` and ``std``
        (undefined) with the same warning, saying so.

    Warns
    -----
    SuspectValueWarning
        When no ``nodata`` is given or declared and a boundary's minimum or maximum is one
        of :data:`FILL_LIKE_VALUES` (-9999, -32768, 9.97e36 ...): an undeclared fill would
        otherwise enter the statistics as data.

    Raises
    ------
    ValueError
        On an unknown statistic (an :class:`~urbansat.errors.SchemaError`).
    AlignmentError, CRSError, BoundaryError, EmptySelectionError
        As :func:`class_transition_areas`.
    """
    if isinstance(stats, str):
        stats = cast("Sequence[Stat]", (stats,))  # one name; validated below
    if stats is None or not hasattr(stats, "__iter__"):
        raise SchemaError(
            f"stats={stats!r} is not a list of statistic names; pass e.g. stats=('mean', 'sum', "
            "'count') "
            f"from {list(STATS)}."
        )
    unknown = [s for s in stats if s not in STATS]
    if unknown:
        raise SchemaError(f"Unknown statistics {unknown}; choose from {list(STATS)}.")
    da, cov = _coverage_for(raster, boundaries, coverage, "raster")
    grid, ids = cov.grid, cov.ids
    if da.dtype.kind not in "fiub":
        raise SchemaError(
            f"The raster has non-numeric dtype {da.dtype}; zonal_stats needs numbers."
        )
    if nodata is None:
        nodata = _declared_nodata(da, "raster")
    else:
        _check_nodata(nodata, da.dtype, "raster", categorical=False)
    has_nd = nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata))
    # the value as a pixel of the raster holds it: float32(-3.4e38) != -3.4e38 in float64, so
    # an uncast nodata matched no pixel (rio.write_nodata casts the same way)
    nd = float(np.asarray(nodata).astype(da.dtype)) if has_nd else 0.0
    if da.dtype == np.float16 or da.dtype.kind == "b":  # the compiled kernels take neither
        da = da.astype(np.float32 if da.dtype == np.float16 else np.uint8)
    arrays = [da.data]
    if weights is not None:
        arrays.append(_aligned(weights, grid, "weights", "raster").data)
    acc = _add_moments(_map_blocks(_value_block, arrays, cov, has_nd, nd), cov.n_boundaries)
    valid = acc[:, 2] > 0
    cols = _stat_columns(acc)
    out = pd.DataFrame({"boundary_id": ids})
    for s in dict.fromkeys([*stats, "observed_area_m2", "unobserved_area_m2"]):
        out[s] = cols[s]
    out["outside_area_m2"] = _outside_area(cov, acc[:, 7] + acc[:, 8])
    if not has_nd:
        _warn_fill_like(cols["min"], cols["max"], ids)
    empty = acc[:, 0] <= 0
    if empty.any():
        warnings.warn(
            f"{int(empty.sum())} boundaries have no valid pixel (stats are NaN): "
            f"{list(ids[empty][:20])}",
            EmptyResultWarning,
            stacklevel=2,
        )
    unweighted = ~valid & ~empty
    if unweighted.any():  # said "no valid pixel" beside a count of 100
        warnings.warn(
            f"{int(unweighted.sum())} boundaries have valid pixels but weights that are all 0 "
            f"there, so their weighted mean and std are undefined (NaN): "
            f"{list(ids[unweighted][:20])}. Check the weights raster over them.",
            EmptyResultWarning,
            stacklevel=2,
        )
    vu = da.attrs.get("units", "")
    out.attrs["units"] = {
        "mean": vu, "sum": vu, "min": vu, "max": vu, "std": vu, "count": "1",
        "observed_area_m2": "m2", "unobserved_area_m2": "m2", "outside_area_m2": "m2",
    }  # fmt: skip
    return out
