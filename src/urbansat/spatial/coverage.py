"""Exact coverage fractions of polygons over a regular raster grid (numba kernels).

The fraction of cell ``(r, c)`` covered by a polygon ``P`` is
``f = area(P ∩ cell) / area(cell)``, computed in pixel space as exactextract
does. We use the signed-area accumulation form of Green's theorem (the
"accumulation buffer" rasteriser of font-rs / stb_truetype v2): each polygon
edge, clipped to every pixel row it crosses and split at every pixel column,
deposits for each piece of vertical extent ``dy`` and mean column ``m`` (inside
column ``j = floor(m)``)::

    acc[r, j] += s * dy * (j + 1 - m)  # part of the cell right of the edge
    acc[r, j + 1] += s * dy * (m - j)  # the rest, carried to the next cell

with ``s = ±1`` the edge direction (orientation-normalised so shells count +1
and holes -1). The running sum of ``acc`` along a row is then the exact
covered area of each cell. Edges left of a window are clamped onto its first
column (they contribute whole-cell cover), edges right of it fall outside, so
the window can be any sub-block of the raster: the basis of chunk-wise dask
processing. Result are exact up to floating point (~1e-12).
"""

from __future__ import annotations

# ruff: noqa: RUF046  (explicit int() around math.floor keeps numba integer typing obvious)
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import numba
import numpy as np
import shapely
from affine import Affine
from numpy.typing import ArrayLike, NDArray

from urbansat.errors import BoundaryError

if TYPE_CHECKING:
    from numba.core.dispatcher import Dispatcher

__all__ = ["PolygonSet", "coverage_fraction_window", "prepare_polygons"]

#: Coverage below this is floating-point noise of the accumulation (cells outside the polygon).
COVERAGE_EPS = 1e-12
#: Maximum cells of the per-polygon accumulation strip (memory bound: 8 bytes each).
_STRIP_CELLS = 1 << 21
#: shapely type ids (shapely.get_type_id)
_POLYGON = int(shapely.GeometryType.POLYGON)
_COLLECTION = int(shapely.GeometryType.GEOMETRYCOLLECTION)

#: float64 arrays of the kernels: vertex coordinates, ring signs, bounding boxes, row areas,
#: accumulation buffers and the sums they write.
_Floats: TypeAlias = NDArray[np.float64]
#: int64 arrays of the kernels: ring/polygon offsets, candidate indices, touched-column spans.
_Ints: TypeAlias = NDArray[np.int64]
#: What a cell function needs besides the cell (class codes and lookup tables, or values and
#: weights); the sweep and apply kernels hand it through unchanged.
_Data = TypeVar("_Data")
#: A jitted per-cell accumulator ``cell(i, rr, cc, f, row_area, data, out)``.
_Cell: TypeAlias = Callable[[int, int, int, float, float, _Data, _Floats], None]
#: Class codes of a raster block (raw codes or their compact indices).
_Codes: TypeAlias = NDArray[np.integer[Any]]
#: Compact index of each class code (``lut[code]``).
_Lut: TypeAlias = NDArray[np.int32]
#: A block of a continuous raster or its weights, in the raster's own numeric dtype.
_Values: TypeAlias = NDArray[Any]
#: ``data`` of the class cell: (start codes, start lut, end codes, end lut, number of end classes).
_ClassData: TypeAlias = tuple[_Codes, _Lut, _Codes, _Lut, int]
#: ``data`` of the value cell: (values, weights, whether there is a nodata value, nodata).
_ValueData: TypeAlias = tuple[_Values, _Values, bool, float]


@dataclass(frozen=True)
class PolygonSet:
    """Polygons flattened to arrays in global pixel coordinates.

    Attributes
    ----------
    px, py : numpy.ndarray
        Vertex column / row coordinates (pixel-corner units, float64).
    ring_start : numpy.ndarray
        Offsets of rings in ``px``/``py`` (length n_rings + 1).
    ring_sign : numpy.ndarray
        +1 or -1 per ring, so shells accumulate +1 and holes -1.
    poly_ring : numpy.ndarray
        Offsets of each polygon's rings in ``ring_start`` (length n_polys + 1).
    bbox : numpy.ndarray
        ``(n_polys, 4)`` = col_min, row_min, col_max, row_max.
    """

    px: _Floats
    py: _Floats
    ring_start: _Ints
    ring_sign: _Floats
    poly_ring: _Ints
    bbox: _Floats

    @property
    def n(self) -> int:
        """Number of polygons."""
        return len(self.poly_ring) - 1

    def candidates(self, row0: int, col0: int, n_rows: int, n_cols: int) -> _Ints:
        """Return the indices of polygons whose bounding box overlaps a block (prefilter)."""
        b = self.bbox
        hit = (
            (b[:, 0] < col0 + n_cols)
            & (b[:, 2] > col0)
            & (b[:, 1] < row0 + n_rows)
            & (b[:, 3] > row0)
        )
        return np.flatnonzero(hit).astype(np.int64)


def prepare_polygons(
    geoms: ArrayLike, transform: Affine, *, ids: ArrayLike | None = None
) -> PolygonSet:
    """Flatten (multi)polygons into a :class:`PolygonSet` in pixel coordinates.

    Parameters
    ----------
    geoms : array_like of shapely geometries
        Valid polygonal geometries in the raster CRS (GeometryCollections from
        ``make_valid`` are reduced to their polygonal parts).
    transform : affine.Affine
        Raster pixel-corner transform (north-up, no rotation).
    ids : array_like, optional
        Boundary ids used in error messages.

    Raises
    ------
    BoundaryError
        If a geometry is invalid or has no polygonal part.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    ids = np.arange(n) if ids is None else np.asarray(ids)
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        raise BoundaryError(
            f"{int(bad.sum())} boundary geometries are invalid (ids {list(ids[bad][:10])}); "
            "repair them with urbansat.read_boundaries(...) or shapely.make_valid before zonal "
            "statistics."
        )
    parts, part_idx = shapely.get_parts(geoms, return_index=True)
    types = shapely.get_type_id(parts)
    # nested collections (GeometryCollection from make_valid) -> their parts again
    while (types == _COLLECTION).any():
        nested = types == _COLLECTION
        sub, sub_idx = shapely.get_parts(parts[nested], return_index=True)
        part_idx = np.concatenate([part_idx[~nested], part_idx[nested][sub_idx]])
        parts = np.concatenate([parts[~nested], sub])
        types = shapely.get_type_id(parts)
    keep = types == _POLYGON  # (MultiPolygon was exploded by get_parts)
    keep &= ~shapely.is_empty(parts)
    parts, part_idx = parts[keep], part_idx[keep]
    order = np.argsort(part_idx, kind="stable")
    parts, part_idx = parts[order], part_idx[order]
    missing = np.setdiff1d(np.arange(n), part_idx)
    if missing.size:
        raise BoundaryError(
            f"Boundaries {list(ids[missing][:10])} have no polygon area (empty, points or lines). "
            "Drop them or buffer them to polygons before zonal statistics."
        )
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    # first ring of each part is the exterior
    first = np.ones(len(rings), dtype=bool)
    first[1:] = ring_part[1:] != ring_part[:-1]
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    inv = ~transform
    col = inv.a * coords[:, 0] + inv.b * coords[:, 1] + inv.c
    row = inv.d * coords[:, 0] + inv.e * coords[:, 1] + inv.f
    ring_start = np.zeros(len(rings) + 1, dtype=np.int64)
    np.cumsum(np.bincount(coord_ring, minlength=len(rings)), out=ring_start[1:])
    # signed shoelace area of each ring in pixel space
    x0, y0 = col, row
    nxt = np.arange(1, len(col) + 1)
    last = ring_start[1:] - 1
    nxt[last] = ring_start[:-1]
    cross = x0 * y0[nxt] - x0[nxt] * y0
    area2 = np.bincount(coord_ring, weights=cross, minlength=len(rings))
    # The accumulation counts +dy for downward (increasing-row) edges, i.e. +1 inside a
    # ring with negative shoelace area in (col, row) space; flip the others.
    ring_sign = np.where(first, np.where(area2 < 0, 1.0, -1.0), np.where(area2 < 0, -1.0, 1.0))
    # polygon -> ring offsets: rings of all parts of a boundary are contiguous (sorted)
    ring_poly = part_idx[ring_part]
    poly_ring = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(ring_poly, minlength=n), out=poly_ring[1:])
    bbox = np.empty((n, 4))
    cpoly = ring_poly[coord_ring]
    for k, (arr, fn) in enumerate(
        ((col, np.minimum), (row, np.minimum), (col, np.maximum), (row, np.maximum))
    ):
        init = np.inf if fn is np.minimum else -np.inf
        out = np.full(n, init)
        fn.at(out, cpoly, arr)
        bbox[:, k] = out
    return PolygonSet(
        px=np.ascontiguousarray(col),
        py=np.ascontiguousarray(row),
        ring_start=ring_start,
        ring_sign=ring_sign.astype(np.float64),
        poly_ring=poly_ring,
        bbox=bbox,
    )


@numba.njit(cache=True, nogil=True, inline="always")
def _deposit(acc: _Floats, rmin: _Ints, rmax: _Ints, r: int, m: float, dy: float, w: int) -> None:
    # piece with mean column m (0 <= m <= w) and signed height dy; track the touched span
    j = int(math.floor(m))
    if j >= w:
        acc[r, w] += dy
        rmin[r] = min(rmin[r], w)
        rmax[r] = max(rmax[r], w)
        return
    fr = m - j
    acc[r, j] += dy * (1.0 - fr)
    acc[r, j + 1] += dy * fr
    rmin[r] = min(rmin[r], j)
    rmax[r] = max(rmax[r], j + 1)


@numba.njit(cache=True, nogil=True)
def _accumulate_edge(  # noqa: PLR0912, PLR0913, PLR0917 - numba kernel: one clip loop
    acc: _Floats,
    rmin: _Ints,
    rmax: _Ints,
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    h: int,
    w: int,
    sign: float,
) -> None:
    """Add one edge (window-local pixel coords) to the accumulation buffer ``acc[:h, :w+2]``."""
    if y0 == y1:
        return
    if y0 < y1:
        d = sign
        xa, ya, xb, yb = x0, y0, x1, y1
    else:
        d = -sign
        xa, ya, xb, yb = x1, y1, x0, y0
    ystart = max(ya, 0.0)
    yend = min(yb, float(h))
    if ystart >= yend:
        return
    dxdy = (xb - xa) / (yb - ya)
    r = int(math.floor(ystart))
    while r < h:
        ylo = max(float(r), ystart)
        yhi = min(float(r + 1), yend)
        if yhi <= ylo:
            break
        dy = (yhi - ylo) * d
        xl = xa + (ylo - ya) * dxdy
        xh = xa + (yhi - ya) * dxdy
        lo = min(xl, xh)
        hi = max(xl, xh)
        span = hi - lo
        if span <= 0.0:
            _deposit(acc, rmin, rmax, r, min(max(lo, 0.0), float(w)), dy, w)
        else:
            # part left of the window: whole-cell cover of column 0
            if lo < 0.0:
                top = min(hi, 0.0)
                _deposit(acc, rmin, rmax, r, 0.0, dy * (top - lo) / span, w)
            # part right of the window: outside
            if hi > w:
                bot = max(lo, float(w))
                _deposit(acc, rmin, rmax, r, float(w), dy * (hi - bot) / span, w)
            a = max(lo, 0.0)
            b = min(hi, float(w))
            if b > a:
                k = int(math.floor(a))
                xp = a
                while xp < b:
                    xn = min(float(k + 1), b)
                    _deposit(acc, rmin, rmax, r, 0.5 * (xp + xn), dy * (xn - xp) / span, w)
                    xp = xn
                    k += 1
        r += 1
        if float(r) >= yend:
            break


@numba.njit(cache=True, nogil=True)
def _rasterize(  # noqa: PLR0913, PLR0917 - numba kernel: flat arrays, positional
    px: _Floats,
    py: _Floats,
    ring_start: _Ints,
    ring_sign: _Floats,
    poly_ring: _Ints,
    p: int,
    col_off: int,
    row_off: int,
    h: int,
    w: int,
    acc: _Floats,
    rmin: _Ints,
    rmax: _Ints,
) -> None:
    """Accumulate the edges of polygon ``p`` on a window of the raster.

    The window's top-left pixel corner is at global (col_off, row_off). ``acc`` must be all
    zero on entry; ``rmin/rmax`` = (big, -1).

    Afterwards the running sum of ``acc[r, rmin[r]:rmax[r]+1]`` is the coverage of each
    cell of row ``r``; cells outside that span have zero coverage.
    """
    for k in range(poly_ring[p], poly_ring[p + 1]):
        s = ring_sign[k]
        for i in range(ring_start[k], ring_start[k + 1] - 1):
            _accumulate_edge(
                acc, rmin, rmax,
                px[i] - col_off, py[i] - row_off,
                px[i + 1] - col_off, py[i + 1] - row_off,
                h, w, s,
            )  # fmt: skip


@numba.njit(cache=True, nogil=True)
def _new_buffers(h: int, w: int) -> tuple[_Floats, _Ints, _Ints]:
    acc = np.zeros((h, w + 2))
    rmin = np.full(h, 1 << 30, dtype=np.int64)
    rmax = np.full(h, -1, dtype=np.int64)
    return acc, rmin, rmax


@numba.njit(cache=True, nogil=True)
def _window(
    bbox: _Floats, p: int, row0: int, col0: int, n_rows: int, n_cols: int
) -> tuple[int, int, int, int]:
    c_lo = max(int(math.floor(bbox[p, 0])) - col0, 0)
    c_hi = min(int(math.ceil(bbox[p, 2])) - col0, n_cols)
    r_lo = max(int(math.floor(bbox[p, 1])) - row0, 0)
    r_hi = min(int(math.ceil(bbox[p, 3])) - row0, n_rows)
    return r_lo, r_hi, c_lo, c_hi


@numba.njit(cache=True, nogil=True)
def _coverage_into(  # noqa: PLR0913, PLR0917 - numba kernel: flat arrays, positional
    px: _Floats,
    py: _Floats,
    ring_start: _Ints,
    ring_sign: _Floats,
    poly_ring: _Ints,
    p: int,
    col_off: int,
    row_off: int,
    h: int,
    w: int,
    out: _Floats,
) -> None:
    """Write the coverage fractions of polygon ``p`` on an (h, w) window into ``out``."""
    acc, rmin, rmax = _new_buffers(h, w)
    _rasterize(px, py, ring_start, ring_sign, poly_ring, p, col_off, row_off, h, w, acc, rmin, rmax)
    for r in range(h):
        run = 0.0
        for c in range(rmin[r], min(rmax[r] + 1, w)):
            run += acc[r, c]
            f = run
            if f < COVERAGE_EPS:
                f = 0.0
            elif f > 1.0:
                f = 1.0
            out[r, c] = f
        if (
            rmax[r] >= 0 and rmax[r] < w and run >= COVERAGE_EPS
        ):  # pragma: no cover - closed rings end at 0
            for c in range(rmax[r] + 1, w):
                out[r, c] = min(run, 1.0)


def _sweep_with(
    cell: Dispatcher[_Cell[_Data]],
) -> Dispatcher[
    Callable[
        [
            _Floats,
            _Floats,
            _Ints,
            _Floats,
            _Ints,
            _Floats,
            _Ints,
            int,
            int,
            int,
            int,
            _Floats,
            _Data,
            _Floats,
        ],
        None,
    ]
]:
    """Build the block sweep kernel that hands every covered cell to ``cell``.

    The returned kernel ``sweep(px, py, ring_start, ring_sign, poly_ring, bbox, cand,
    row0, col0, n_rows, n_cols, row_area, data, out)`` rasterises the window of each
    candidate polygon ``i`` on an (n_rows, n_cols) block in strips of at most
    ``_STRIP_CELLS`` cells; the running sum of the accumulation buffer along a row is
    the coverage fraction ``f`` of each cell. Only the columns between the first and
    last edge crossing of each row are visited, and for every block cell ``(rr, cc)``
    with ``f >= COVERAGE_EPS`` it calls ``cell(i, rr, cc, min(f, 1), row_area[rr],
    data, out)``. ``cell`` is a jitted function bound at build time (a closure, not an
    argument: a dispatcher passed as an argument is a run-time address that numba
    cannot cache).
    """

    @numba.njit(cache=True, nogil=True)
    def sweep(  # noqa: PLR0913, PLR0917 - numba kernel: flat arrays, positional
        px: _Floats,
        py: _Floats,
        ring_start: _Ints,
        ring_sign: _Floats,
        poly_ring: _Ints,
        bbox: _Floats,
        cand: _Ints,
        row0: int,
        col0: int,
        n_rows: int,
        n_cols: int,
        row_area: _Floats,
        data: _Data,
        out: _Floats,
    ) -> None:
        acc, rmin, rmax = _new_buffers(1, 1)
        for i in range(cand.shape[0]):
            p = cand[i]
            r_lo, r_hi, c_lo, c_hi = _window(bbox, p, row0, col0, n_rows, n_cols)
            if r_lo >= r_hi or c_lo >= c_hi:
                continue
            w = c_hi - c_lo
            sh = max(1, min(r_hi - r_lo, _STRIP_CELLS // (w + 2)))
            if acc.shape[0] < sh or acc.shape[1] < w + 2:
                acc, rmin, rmax = _new_buffers(max(sh, acc.shape[0]), max(w, acc.shape[1] - 2))
            rs = r_lo
            while rs < r_hi:
                h = min(sh, r_hi - rs)
                _rasterize(
                    px,
                    py,
                    ring_start,
                    ring_sign,
                    poly_ring,
                    p,
                    col0 + c_lo,
                    row0 + rs,
                    h,
                    w,
                    acc,
                    rmin,
                    rmax,
                )
                for r in range(h):
                    hi = rmax[r]
                    if hi < 0:
                        continue
                    lo = rmin[r]
                    rr = rs + r
                    ar = row_area[rr]
                    run = 0.0
                    for c in range(lo, hi + 1):
                        run += acc[r, c]
                        acc[r, c] = 0.0
                        if c >= w or run < COVERAGE_EPS:
                            continue
                        cell(i, rr, c_lo + c, min(1.0, run), ar, data, out)
                    rmin[r] = 1 << 30
                    rmax[r] = -1
                rs += h

    return sweep


@numba.njit(cache=True, nogil=True)
def _class_cell(
    i: int, rr: int, cc: int, f: float, ar: float, data: _ClassData, out: _Floats
) -> None:
    """``out[i, lut_s[start] * n_e + lut_e[end]] += f * A`` for one covered cell."""
    start, lut_s, end, lut_e, n_e = data
    out[i, lut_s[start[rr, cc]] * n_e + lut_e[end[rr, cc]]] += f * ar


_class_sweep = _sweep_with(_class_cell)


@numba.njit(cache=True, nogil=True)
def class_kernel(  # noqa: PLR0913, PLR0917 - numba kernel: flat arrays, positional
    px: _Floats,
    py: _Floats,
    ring_start: _Ints,
    ring_sign: _Floats,
    poly_ring: _Ints,
    bbox: _Floats,
    cand: _Ints,
    row0: int,
    col0: int,
    start: _Codes,
    lut_s: _Lut,
    end: _Codes,
    lut_e: _Lut,
    n_e: int,
    row_area: _Floats,
    out: _Floats,
) -> None:
    """Accumulate coverage-weighted area per (candidate polygon, start class, end class).

    ``out[i, lut_s[start] * n_e + lut_e[end]] += f * row_area[r]`` over the block.
    ``start``/``end`` are the block's (raw or inverse-index) class arrays. Only the
    columns between the first and last edge crossing of each row are visited.
    """
    n_rows, n_cols = start.shape
    _class_sweep(
        px, py, ring_start, ring_sign, poly_ring, bbox, cand, row0, col0, n_rows, n_cols, row_area,
        (start, lut_s, end, lut_e, n_e), out,
    )  # fmt: skip


@numba.njit(cache=True, nogil=True)
def _value_cell(
    i: int, rr: int, cc: int, f: float, ar: float, data: _ValueData, out: _Floats
) -> None:
    """Add one covered cell to the moments of :func:`value_kernel` (NaN/nodata: unobserved)."""
    values, weights, has_nodata, nodata = data
    x = float(values[rr, cc])
    out[i, 9] += f
    if not math.isfinite(x) or (has_nodata and x == nodata):
        out[i, 8] += f * ar
        return
    wt = float(weights[rr, cc])
    if not math.isfinite(wt):
        out[i, 8] += f * ar
        return
    out[i, 0] += f
    out[i, 1] += f * x
    faw = f * ar * wt
    w_old = out[i, 2]
    if faw > 0.0:
        # weighted Welford (West 1979): M2 += faw (x - mean_old)(x - mean_new), exact
        # where sum(faw x^2) - sum(faw x)^2 / W cancels (a one-pixel zone of 1e9 had std 13)
        mean_old = out[i, 3] / w_old if w_old > 0.0 else x
        out[i, 2] = w_old + faw
        out[i, 3] += faw * x
        out[i, 4] += faw * (x - mean_old) * (x - out[i, 3] / out[i, 2])
    out[i, 5] = min(out[i, 5], x)
    out[i, 6] = max(out[i, 6], x)
    out[i, 7] += f * ar


_value_sweep = _sweep_with(_value_cell)


@numba.njit(cache=True, nogil=True)
def value_kernel(  # noqa: PLR0913, PLR0917 - numba kernel: flat arrays, positional
    px: _Floats,
    py: _Floats,
    ring_start: _Ints,
    ring_sign: _Floats,
    poly_ring: _Ints,
    bbox: _Floats,
    cand: _Ints,
    row0: int,
    col0: int,
    values: _Values,
    weights: _Values,
    has_nodata: bool,
    nodata: float,
    row_area: _Floats,
    out: _Floats,
) -> None:
    """Accumulate per candidate polygon the moments of a continuous raster.

    ``out[i]`` = [Σf (valid), Σf·x, W = Σf·A·w, Σf·A·w·x, M2 = Σf·A·w·(x - mean)², min,
    max, observed area Σf·A (valid), unobserved area Σf·A (NaN/nodata), Σf (all)]; M2 is
    updated per cell (weighted Welford, West 1979), so it keeps its digits however far the
    values sit from 0.
    """
    n_rows, n_cols = values.shape
    _value_sweep(
        px, py, ring_start, ring_sign, poly_ring, bbox, cand, row0, col0, n_rows, n_cols, row_area,
        (values, weights, has_nodata, nodata), out,
    )  # fmt: skip


@numba.njit(cache=True, nogil=True)
def _coverage_window(  # noqa: PLR0913, PLR0917 - numba kernel: flat arrays, positional
    px: _Floats,
    py: _Floats,
    ring_start: _Ints,
    ring_sign: _Floats,
    poly_ring: _Ints,
    p: int,
    row0: int,
    col0: int,
    n_rows: int,
    n_cols: int,
) -> _Floats:
    out = np.zeros((n_rows, n_cols))
    _coverage_into(px, py, ring_start, ring_sign, poly_ring, p, col0, row0, n_rows, n_cols, out)
    return out


def coverage_fraction_window(
    polys: PolygonSet, p: int, row0: int, col0: int, n_rows: int, n_cols: int
) -> _Floats:
    """Coverage fractions [1] of polygon ``p`` on the pixel window starting at (row0, col0).

    Returns
    -------
    numpy.ndarray of float64, shape (n_rows, n_cols)
        ``area(P ∩ cell) / area(cell)`` in pixel space, in [0, 1].
    """
    return _coverage_window(
        polys.px,
        polys.py,
        polys.ring_start,
        polys.ring_sign,
        polys.poly_ring,
        p,
        row0,
        col0,
        n_rows,
        n_cols,
    )


@numba.njit(cache=True, nogil=True)
def footprint_grid_kernel(  # noqa: PLR0913, PLR0917 - numba kernel: flat arrays, positional
    px: _Floats,
    py: _Floats,
    ring_start: _Ints,
    ring_sign: _Floats,
    poly_ring: _Ints,
    bbox: _Floats,
    n_rows: int,
    n_cols: int,
    scale: _Floats,
    wx: _Floats,
    ww: _Floats,
    wv: _Floats,
    num: _Floats,
    den: _Floats,
    var: _Floats,
    cnt: _Floats,
) -> None:
    """Spread each polygon over grid cells by its exact coverage fractions.

    For polygon ``i`` and cell ``j`` with coverage fraction ``f_ij`` (area of the
    cell covered) the overlap weight is ``a_ij = f_ij * scale[i]`` (``scale =
    cell area / footprint area`` makes ``a_ij`` the footprint's area share in
    the cell) and::

        num[j] += a_ij * ww[i] * wx[i]      den[j] += a_ij * ww[i]
        var[j] += (a_ij * ww[i])^2 * wv[i]  cnt[j] += 1 if f_ij > 0
    """
    for p in range(poly_ring.shape[0] - 1):
        r_lo, r_hi, c_lo, c_hi = _window(bbox, p, 0, 0, n_rows, n_cols)
        if r_lo >= r_hi or c_lo >= c_hi:
            continue
        w = c_hi - c_lo
        h = r_hi - r_lo
        cov = np.zeros((h, w))
        _coverage_into(px, py, ring_start, ring_sign, poly_ring, p, c_lo, r_lo, h, w, cov)
        s = scale[p] * ww[p]
        for r in range(h):
            for c in range(w):
                f = cov[r, c]
                if f > 0.0:
                    a = f * s
                    num[r_lo + r, c_lo + c] += a * wx[p]
                    den[r_lo + r, c_lo + c] += a
                    var[r_lo + r, c_lo + c] += a * a * wv[p]
                    cnt[r_lo + r, c_lo + c] += 1.0


# --------------------------------------------------------------------------- stored weights
#: A cell whose coverage is within this of 1 is stored as part of a full run (weight 1).
FULL_EPS = 1e-12


@numba.njit(cache=True, nogil=True)
def _grow_segments(
    seg: NDArray[np.int32], frac: _Floats, n: int
) -> tuple[NDArray[np.int32], _Floats]:
    seg2 = np.empty((2 * seg.shape[0], 4), np.int32)
    seg2[:n] = seg[:n]
    frac2 = np.empty(2 * frac.shape[0], np.float64)
    frac2[:n] = frac[:n]
    return seg2, frac2


@numba.njit(cache=True, nogil=True)
def band_segments(  # noqa: PLR0912, PLR0913, PLR0915, PLR0917 - one numba sweep loop nest
    px: _Floats,
    py: _Floats,
    ring_start: _Ints,
    ring_sign: _Floats,
    poly_ring: _Ints,
    bbox: _Floats,
    cand: _Ints,
    row0: int,
    n_rows: int,
    n_cols: int,
) -> tuple[_Ints, NDArray[np.int32], _Floats]:
    """Coverage weights of polygons ``cand`` on the full-width band of rows ``row0 .. row0+n_rows``.

    Each polygon is swept as in :func:`_sweep_with` (the running sum of the
    accumulation buffer along a row is the coverage fraction ``f`` of each cell) and each
    row is stored as segments ``(polygon, col_start, col_stop, f)``: one run per stretch
    of fully covered cells (``f >= 1 - FULL_EPS``, stored as exactly 1) and one segment
    per stretch of partially covered cells of one fraction. A row is walked from one
    non-zero entry of the accumulation buffer to the next (the coverage is constant in
    between), so the interior of a polygon costs one comparison per cell.

    Returns
    -------
    row_ptr : numpy.ndarray of int64, shape (n_rows + 1,)
        CSR offsets: the segments of band row ``r`` are ``row_ptr[r]:row_ptr[r + 1]``.
    seg : numpy.ndarray of int32, shape (n, 3)
        ``polygon, col_start, col_stop`` (global columns, stop exclusive).
    frac : numpy.ndarray of float64, shape (n,)
        Coverage fraction of every cell of the segment.
    """
    seg = np.empty((4096, 4), np.int32)
    frac = np.empty(4096, np.float64)
    n = 0
    acc, rmin, rmax = _new_buffers(1, 1)
    for i in range(cand.shape[0]):
        p = cand[i]
        r_lo, r_hi, c_lo, c_hi = _window(bbox, p, row0, 0, n_rows, n_cols)
        if r_lo >= r_hi or c_lo >= c_hi:
            continue
        w = c_hi - c_lo
        sh = max(1, min(r_hi - r_lo, _STRIP_CELLS // (w + 2)))
        if acc.shape[0] < sh or acc.shape[1] < w + 2:
            acc, rmin, rmax = _new_buffers(max(sh, acc.shape[0]), max(w, acc.shape[1] - 2))
        rs = r_lo
        while rs < r_hi:
            h = min(sh, r_hi - rs)
            _rasterize(
                px, py, ring_start, ring_sign, poly_ring, p, c_lo, row0 + rs, h, w, acc, rmin, rmax
            )
            for r in range(h):
                hi = rmax[r]
                if hi < 0:
                    continue
                lo = rmin[r]
                rr = rs + r
                run = 0.0
                full0 = -1  # first column of the open run of fully covered cells
                c = lo
                while c <= hi:
                    # cells c .. c_next - 1 share one coverage: acc is zero after c
                    v = acc[r, c]
                    if v != 0.0:
                        run += v
                        acc[r, c] = 0.0
                    c_next = c + 1
                    while c_next <= hi and acc[r, c_next] == 0.0:
                        c_next += 1
                    f = min(1.0, run)
                    if c < w and f >= 1.0 - FULL_EPS:
                        if full0 < 0:
                            full0 = c
                        c = c_next
                        continue
                    if full0 >= 0:
                        if n >= seg.shape[0]:
                            seg, frac = _grow_segments(seg, frac, n)
                        seg[n, 0] = rr
                        seg[n, 1] = p
                        seg[n, 2] = c_lo + full0
                        seg[n, 3] = c_lo + c
                        frac[n] = 1.0
                        n += 1
                        full0 = -1
                    if c < w and run >= COVERAGE_EPS:
                        if n >= seg.shape[0]:
                            seg, frac = _grow_segments(seg, frac, n)
                        seg[n, 0] = rr
                        seg[n, 1] = p
                        seg[n, 2] = c_lo + c
                        seg[n, 3] = c_lo + min(c_next, w)
                        frac[n] = f
                        n += 1
                    c = c_next
                if full0 >= 0:  # pragma: no cover - closed rings end at 0
                    if n >= seg.shape[0]:
                        seg, frac = _grow_segments(seg, frac, n)
                    seg[n, 0] = rr
                    seg[n, 1] = p
                    seg[n, 2] = c_lo + full0
                    seg[n, 3] = c_lo + min(hi + 1, w)
                    frac[n] = 1.0
                    n += 1
                rmin[r] = 1 << 30
                rmax[r] = -1
            rs += h
    # counting sort by row (stable: segments of a row keep polygon order)
    row_ptr = np.zeros(n_rows + 1, np.int64)
    for k in range(n):
        row_ptr[seg[k, 0] + 1] += 1
    for r in range(n_rows):
        row_ptr[r + 1] += row_ptr[r]
    pos = row_ptr[:-1].copy()
    out = np.empty((n, 3), np.int32)
    out_f = np.empty(n, np.float64)
    for k in range(n):
        j = pos[seg[k, 0]]
        pos[seg[k, 0]] += 1
        out[j, 0] = seg[k, 1]
        out[j, 1] = seg[k, 2]
        out[j, 2] = seg[k, 3]
        out_f[j] = frac[k]
    return row_ptr, out, out_f


def _apply_with(
    cell: Dispatcher[_Cell[_Data]],
) -> Dispatcher[
    Callable[
        [
            _Ints,
            NDArray[np.int32],
            _Floats,
            NDArray[np.int32],
            int,
            int,
            int,
            int,
            _Floats,
            _Data,
            _Floats,
        ],
        None,
    ]
]:
    """Build the kernel that hands every stored covered cell of a block to ``cell``.

    ``apply(row_ptr, seg, frac, loc, row0, col0, n_rows, n_cols, row_area, data, out)``
    visits, for each block row, the stored segments of that grid row clipped to the
    block's columns and calls ``cell(loc[polygon], rr, cc, f, row_area[rr], data, out)``
    (block-local ``rr``, ``cc``) exactly as the sweep of :func:`_sweep_with` does, so
    stored and on-the-fly weights give the same sums.
    """

    @numba.njit(cache=True, nogil=True)
    def apply(  # noqa: PLR0913, PLR0917 - numba kernel: flat arrays, positional
        row_ptr: _Ints,
        seg: NDArray[np.int32],
        frac: _Floats,
        loc: NDArray[np.int32],
        row0: int,
        col0: int,
        n_rows: int,
        n_cols: int,
        row_area: _Floats,
        data: _Data,
        out: _Floats,
    ) -> None:
        for r in range(n_rows):
            ar = row_area[r]
            for k in range(row_ptr[row0 + r], row_ptr[row0 + r + 1]):
                a = seg[k, 1] - col0
                b = seg[k, 2] - col0
                a = max(a, 0)
                b = min(b, n_cols)
                if a >= b:
                    continue
                i = loc[seg[k, 0]]
                f = frac[k]
                for c in range(a, b):
                    cell(i, r, c, f, ar, data, out)

    return apply


_value_apply = _apply_with(_value_cell)


#: Largest ``out`` (cells) of :func:`class_segments_kernel` that gets four partial copies.
_PARTIAL_CELLS = 1 << 19


@numba.njit(cache=True, nogil=True)
def class_segments_kernel(  # noqa: PLR0913, PLR0917 - numba kernel: flat arrays, positional
    row_ptr: _Ints,
    seg: NDArray[np.int32],
    frac: _Floats,
    loc: NDArray[np.int32],
    row0: int,
    col0: int,
    start: _Codes,
    lut_s: _Lut,
    end: _Codes,
    lut_e: _Lut,
    n_e: int,
    row_area: _Floats,
    out: _Floats,
) -> None:
    """:func:`class_kernel` on stored weights (``out`` rows indexed by ``loc[polygon]``).

    ``out[loc[P], lut_s[start] * n_e + lut_e[end]] += f * A`` for every stored cell of the
    block, as :func:`_apply_with` visits them (``n_e == 1``: one epoch, ``lut_e[end]`` is 0
    and is not read). Consecutive cells of a segment add into four partial copies of
    ``out`` (cell ``a + 4m + u`` into copy ``u``), summed at the end: a run of one class
    then no longer waits on its own previous addition (about twice as fast); sums equal a
    cell-by-cell accumulation up to rounding (~1e-15 relative).
    """
    n_rows, n_cols = start.shape
    n_part = 4 if out.size <= _PARTIAL_CELLS else 1
    part = np.zeros((n_part, out.shape[0], out.shape[1]))
    u1, u2, u3 = 1 % n_part, 2 % n_part, 3 % n_part
    for r in range(n_rows):
        ar = row_area[r]
        for k in range(row_ptr[row0 + r], row_ptr[row0 + r + 1]):
            a = max(seg[k, 1] - col0, 0)
            b = min(seg[k, 2] - col0, n_cols)
            if a >= b:
                continue
            i = loc[seg[k, 0]]
            fa = frac[k] * ar
            c = a
            if n_e == 1:
                while c + 4 <= b:
                    part[0, i, lut_s[start[r, c]]] += fa
                    part[u1, i, lut_s[start[r, c + 1]]] += fa
                    part[u2, i, lut_s[start[r, c + 2]]] += fa
                    part[u3, i, lut_s[start[r, c + 3]]] += fa
                    c += 4
                while c < b:
                    part[0, i, lut_s[start[r, c]]] += fa
                    c += 1
            else:
                while c + 4 <= b:
                    part[0, i, lut_s[start[r, c]] * n_e + lut_e[end[r, c]]] += fa
                    part[u1, i, lut_s[start[r, c + 1]] * n_e + lut_e[end[r, c + 1]]] += fa
                    part[u2, i, lut_s[start[r, c + 2]] * n_e + lut_e[end[r, c + 2]]] += fa
                    part[u3, i, lut_s[start[r, c + 3]] * n_e + lut_e[end[r, c + 3]]] += fa
                    c += 4
                while c < b:
                    part[0, i, lut_s[start[r, c]] * n_e + lut_e[end[r, c]]] += fa
                    c += 1
    for u in range(n_part):
        out += part[u]


@numba.njit(cache=True, nogil=True)
def value_segments_kernel(  # noqa: PLR0913, PLR0917 - numba kernel: flat arrays, positional
    row_ptr: _Ints,
    seg: NDArray[np.int32],
    frac: _Floats,
    loc: NDArray[np.int32],
    row0: int,
    col0: int,
    values: _Values,
    weights: _Values,
    has_nodata: bool,
    nodata: float,
    row_area: _Floats,
    out: _Floats,
) -> None:
    """:func:`value_kernel` on stored weights (``out`` rows indexed by ``loc[polygon]``)."""
    n_rows, n_cols = values.shape
    _value_apply(
        row_ptr,
        seg,
        frac,
        loc,
        row0,
        col0,
        n_rows,
        n_cols,
        row_area,
        (values, weights, has_nodata, nodata),
        out,
    )
