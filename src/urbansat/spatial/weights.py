"""Coverage: exact coverage weights of boundaries on one grid, computed once and reused.

A :class:`Coverage` holds, for every boundary ``P`` and every cell of a regular grid,
the exact coverage fraction ``f_P(cell) = area(P ∩ cell) / area(cell)`` (pixel space,
see :mod:`urbansat.spatial.coverage`) and the true cell area ``A(cell)``
(:mod:`urbansat.spatial.areas`: ellipsoidal per row for geographic grids, ``|a e|``
for projected grids). Every zonal reduction is a sum of ``f_P · A · g(cell)`` over
cells, so once the weights exist, applying them to another raster, epoch or gridded
swath on the same grid only reads the values (xESMF's ``Regridder`` /
``SpatialAverager`` idea: the weights are the costly state).

Storage: per grid row, the covered cells of each boundary as segments
``(boundary, col_start, col_stop, f)``: runs of fully covered cells (``f = 1``) and one
segment per partially covered cell, in CSR order by row. Memory is ~20 bytes per
segment, i.e. it grows with the boundaries' perimeter in pixels, not their area
(20000² grid, 2,000 county polygons: 5.8 million segments, 116 MB).

A Coverage is a plain picklable object, so a dask graph ships it to
``dask.distributed`` workers like any other argument (once per worker).
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely
import shapely.affinity
import xarray as xr

from urbansat.errors import (
    AlignmentError,
    BoundaryError,
    EmptyResultWarning,
    EmptySelectionError,
    SuspectValueWarning,
    UrbansatWarning,
)
from urbansat.schema.antimeridian import split_antimeridian
from urbansat.schema.boundaries import boundary_ids, require_boundaries
from urbansat.spatial.areas import (
    MAX_AREAL_SCALE_ERROR,
    areal_scale_range,
    polygon_areas,
    row_areas,
)
from urbansat.spatial.coverage import PolygonSet, band_segments, prepare_polygons
from urbansat.spatial.grid import GridSpec, as_raster_2d

if TYPE_CHECKING:
    import pandas as pd

    from urbansat.spatial.zonal import Stat

__all__ = ["Coverage", "warn_if_not_equal_area"]

#: Rows per band when the weights are built (bands are built in parallel threads).
BAND_ROWS = 2048


def boundary_frame(boundaries: Any, grid: GridSpec) -> tuple[np.ndarray, np.ndarray]:
    """Return (ids as str, geometries in the grid CRS) after checking the boundaries.

    Raises
    ------
    BoundaryError
        Not a GeoDataFrame/GeoSeries, empty, duplicated ids, or empty geometries
        (:func:`urbansat.schema.boundaries.require_boundaries`).
    CRSError
        The boundaries have no CRS.
    """
    if isinstance(boundaries, gpd.GeoSeries):
        boundaries = gpd.GeoDataFrame(geometry=boundaries)
    require_boundaries(boundaries, columns=())
    ids = boundary_ids(boundaries)
    geoms = boundaries.geometry
    if not grid.crs.equals(boundaries.crs):
        geoms = geoms.to_crs(grid.crs)
    geoms = geoms.to_numpy()
    if grid.crs.is_geographic:  # naive antimeridian polygons (also from to_crs) run the long way
        geoms, split = split_antimeridian(geoms, ids)
        if split.any():
            warnings.warn(
                f"Boundaries {list(ids[split][:20])} cross the antimeridian (an edge jumps more "
                "than 180 degrees of longitude) and were split at 180 degrees "
                "(urbansat.schema.antimeridian) so that their area and coverage are those of "
                "the short way round; read them with urbansat.read_boundaries to split once.",
                UrbansatWarning,
                stacklevel=3,
            )
        geoms = to_raster_longitudes(geoms, grid.bounds[0])
    return ids, geoms


def to_raster_longitudes(geoms: np.ndarray, west: float) -> np.ndarray:
    """Put geographic polygons on the raster's longitude convention, ``[west, west + 360)``.

    A polygon written in 0..360 degrees (Fiji as 178..182 E) on a -180..180 raster, or a part
    at -180..-178 on a raster spanning 170..190, would otherwise lie partly off the raster
    and lose that area. Each polygon reaching outside the window is cut into its copies
    shifted by -360, 0 and +360 degrees, each clipped to the window, and those pieces are
    joined: the same area on the sphere, in the raster's longitudes. Polygons inside the
    window are returned as the same objects.
    """
    out = np.array(geoms, dtype=object)
    east = west + 360.0
    window = shapely.box(west, -90.0, east, 90.0)
    for i, g in enumerate(out):
        if g is None or g.is_empty:
            continue
        x0, _, x1, _ = g.bounds
        if x0 >= west and x1 <= east:
            continue
        pieces = [
            shapely.intersection(shapely.affinity.translate(g, 360.0 * k), window)
            for k in (-1, 0, 1)
        ]
        out[i] = shapely.union_all([q for q in pieces if not q.is_empty])
    return out


def check_overlap(
    polys: PolygonSet, ids: np.ndarray, grid: GridSpec, *, stacklevel: int = 3
) -> None:
    """Raise when no boundary meets the grid; warn about the boundaries that do not."""
    ny, nx = grid.shape_yx
    b = polys.bbox
    inside = (b[:, 0] < nx) & (b[:, 2] > 0) & (b[:, 1] < ny) & (b[:, 3] > 0)
    if not inside.any():
        raise EmptySelectionError(
            f"None of the {len(ids)} boundaries overlaps the raster (raster bounds "
            f"{tuple(round(v, 6) for v in grid.bounds)} in {grid.crs.to_string()}). Check that the "
            "raster and boundaries cover the same place and that their CRSs are right."
        )
    if not inside.all():
        warnings.warn(
            f"{int((~inside).sum())} boundaries lie outside the raster and get no area: "
            f"{list(ids[~inside][:20])}",
            EmptyResultWarning,
            stacklevel=stacklevel,
        )


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def warn_if_not_equal_area(grid: GridSpec, *, stacklevel: int = 2) -> None:
    """Warn (``SuspectValueWarning``) when map areas of ``grid`` are not true areas.

    A projected CRS whose areal scale over the raster differs from 1 by more than
    :data:`MAX_AREAL_SCALE_ERROR` (Web Mercator at 50 N: 2.4) makes every pixel area, and
    every stock or class area from it, wrong by that factor.
    """
    lo, hi = areal_scale_range(grid.bounds, grid.crs)
    if max(abs(lo - 1.0), abs(hi - 1.0)) > MAX_AREAL_SCALE_ERROR:
        warnings.warn(
            f"The raster's CRS {grid.crs.name!r} is not equal-area: over the raster a map "
            f"area is {lo:.3g}-{hi:.3g} times the true area, and pixel areas are map areas. "
            "Reproject the raster to an equal-area CRS (its UTM zone, or e.g. EPSG:6933) "
            "with nearest resampling for classes, or use it in geographic coordinates "
            "(EPSG:4326), whose cell areas are ellipsoidal.",
            SuspectValueWarning,
            stacklevel=stacklevel + 1,
        )


class Coverage:
    """Exact coverage weights of a set of boundaries on one raster grid.

    For boundary ``P`` and grid cell ``c`` the stored weight is the exact coverage
    fraction ``f_P(c) = area(P ∩ c) / area(c)`` (exactextract's definition, computed
    in pixel space by Green's theorem, :mod:`urbansat.spatial.coverage`); the true
    cell area ``A(c)`` is stored per row (ellipsoidal, Snyder 1987 eq. 3-12, on
    geographic grids; ``|a e|`` times the squared linear unit on projected grids,
    :func:`~urbansat.spatial.areas.row_areas`). Then for any raster ``x`` on the grid::

        area_m2(P, i, j) = Σ_c f_P(c) A(c) [start(c) = i] [end(c) = j]
        mean(P)          = Σ_c f_P(c) A(c) w(c) x(c) / Σ_c f_P(c) A(c) w(c)

    which :func:`~urbansat.spatial.zonal.class_transition_areas`,
    :func:`~urbansat.spatial.zonal.class_areas` and
    :func:`~urbansat.spatial.zonal.zonal_stats` evaluate block by block (numpy, dask,
    dask.distributed) with ``coverage=``. Cells with ``f >= 1 - 1e-12`` are stored as
    fully covered (weight exactly 1): results equal the on-the-fly computation to
    ~1e-12 relative.

    Parameters
    ----------
    boundaries : geopandas.GeoDataFrame or geopandas.GeoSeries
        Polygons with a CRS (``boundary_id`` column, else the index, gives the ids).
        Reprojected to the grid CRS when it differs.
    grid : GridSpec or xarray.DataArray
        The grid, or a raster (rioxarray) whose grid is used; the raster's values are
        not read.
    n_threads : int, optional
        Threads that build the weights (bands of rows in parallel); default the CPUs
        available to the process.

    Attributes
    ----------
    grid : GridSpec
        The grid the weights belong to.
    ids : numpy.ndarray of str
        Boundary ids, in input order.
    polygons : PolygonSet
        The boundaries in pixel coordinates (bounding boxes select a block's boundaries).
    row_area_m2 : numpy.ndarray
        True cell area of each grid row [m2].
    boundary_area_m2 : numpy.ndarray
        True area of each boundary [m2], in the convention of the cell areas
        (:func:`~urbansat.spatial.areas.polygon_areas`); the part beyond the grid is
        ``boundary_area_m2 - Σ f A``.
    row_ptr, segments, fractions : numpy.ndarray
        The weights in CSR order by grid row: segments ``row_ptr[r]:row_ptr[r+1]`` of
        row ``r``, each ``(boundary index, col_start, col_stop)`` with fraction ``f``.

    Raises
    ------
    BoundaryError
        Empty, invalid or duplicated boundaries.
    CRSError
        The grid or the boundaries have no CRS.
    EmptySelectionError
        No boundary overlaps the grid (boundaries outside it are listed in an
        :class:`~urbansat.errors.EmptyResultWarning`).

    See Also
    --------
    urbansat.zonal_stats, urbansat.class_areas, urbansat.spatial.zonal.class_transition_areas

    Examples
    --------
    >>> import urbansat
    >>> from urbansat.testing.landcover import make_boundaries, make_landcover_pair
    >>> start, end = make_landcover_pair(shape_yx=(60, 60))
    >>> cov = urbansat.Coverage(make_boundaries(start, 3), start)
    >>> a20 = cov.class_areas(start)  # weights reused for both epochs
    >>> a21 = cov.class_areas(end)
    >>> bool(abs(a20.area_m2.sum() - a21.area_m2.sum()) < 1e-6 * a20.area_m2.sum())
    True
    """

    grid: GridSpec
    ids: np.ndarray
    polygons: PolygonSet
    row_area_m2: np.ndarray
    boundary_area_m2: np.ndarray
    row_ptr: np.ndarray
    segments: np.ndarray
    fractions: np.ndarray
    token: str

    def __init__(
        self, boundaries: Any, grid: GridSpec | xr.DataArray, *, n_threads: int | None = None
    ) -> None:
        if isinstance(grid, xr.DataArray):
            grid = GridSpec.from_dataarray(as_raster_2d(grid))
        if not isinstance(grid, GridSpec):
            raise AlignmentError(
                "grid must be a urbansat.spatial.grid.GridSpec or a raster DataArray with a CRS; "
                "got "
                f"{type(grid).__name__}."
            )
        ids, geoms = boundary_frame(boundaries, grid)
        polys = prepare_polygons(geoms, grid.transform, ids=ids)
        check_overlap(polys, ids, grid, stacklevel=3)
        # the outlines as given, to tell the same ids with redrawn outlines (check_boundaries)
        given = boundaries.geometry if isinstance(boundaries, gpd.GeoDataFrame) else boundaries
        self._source_geoms = np.asarray(given.to_numpy(), dtype=object)
        self._source_crs = given.crs
        self.grid = grid
        self.ids = ids
        self.polygons = polys
        self.row_area_m2 = row_areas(grid.transform, grid.crs, grid.shape_yx[0])
        warn_if_not_equal_area(grid, stacklevel=3)
        self.boundary_area_m2 = polygon_areas(geoms, grid.crs)
        self.row_ptr, self.segments, self.fractions = _build(
            polys, grid.shape_yx, n_threads or _cpu_count()
        )
        self.token = uuid.uuid4().hex

    # ------------------------------------------------------------------ description
    @property
    def n_boundaries(self) -> int:
        """Number of boundaries."""
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        """Memory held by the weights [bytes]."""
        return int(self.row_ptr.nbytes + self.segments.nbytes + self.fractions.nbytes)

    def __repr__(self) -> str:
        """Describe the boundaries, the grid and the size of the weights."""
        ny, nx = self.grid.shape_yx
        return (
            f"<urbansat.Coverage: {self.n_boundaries} boundaries on a {ny} x {nx} grid "
            f"({self.grid.crs.to_string()}), {len(self.fractions)} segments, "
            f"{self.nbytes / 1e6:.1f} MB>"
        )

    def covered_area_m2(self) -> np.ndarray:
        """Area of each boundary on the grid [m2]: ``Σ_c f_P(c) A(c)``."""
        rows = np.repeat(np.arange(self.grid.shape_yx[0]), np.diff(self.row_ptr))
        n_cells = (self.segments[:, 2] - self.segments[:, 1]).astype(np.float64)
        w = n_cells * self.fractions * self.row_area_m2[rows]
        return np.bincount(self.segments[:, 0], weights=w, minlength=self.n_boundaries)

    def check_grid(self, raster: xr.DataArray, *, name: str = "raster") -> xr.DataArray:
        """Return the ``(y, x)`` view of ``raster`` after checking it is on this grid.

        Raises
        ------
        AlignmentError
            If the raster's CRS, shape or transform differ from the coverage grid.
        """
        da = as_raster_2d(raster, name=name)
        g = GridSpec.from_dataarray(da, name=name)
        if not self.grid.same_grid(g):
            raise AlignmentError(
                f"The {name} is not on the grid of this Coverage: the coverage has shape "
                f"{self.grid.shape_yx}, transform {tuple(self.grid.transform)[:6]}, CRS "
                f"{self.grid.crs.to_string()}; the {name} has shape {g.shape_yx}, transform "
                f"{tuple(g.transform)[:6]}, CRS {g.crs.to_string()}. Build a Coverage for that "
                "grid "
                f"(urbansat.Coverage(boundaries, {name})) or resample the {name} with "
                f"{name}.rio.reproject_match(reference)."
            )
        return da

    def check_boundaries(self, boundaries: Any) -> None:
        """Require that ``boundaries`` given with ``coverage=`` are this coverage's own.

        Raises
        ------
        BoundaryError
            If their ids differ from :attr:`ids` (order included).
        """
        if boundaries is None:
            return
        if isinstance(boundaries, gpd.GeoSeries):
            boundaries = gpd.GeoDataFrame(geometry=boundaries)
        if not isinstance(boundaries, gpd.GeoDataFrame):
            raise BoundaryError(
                f"boundaries must be a geopandas.GeoDataFrame (or None with coverage=); got "
                f"{type(boundaries).__name__}."
            )
        ids = boundary_ids(boundaries)
        if len(ids) != len(self.ids) or not (ids == self.ids).all():
            raise BoundaryError(
                f"The boundaries ({len(ids)}, first ids {list(ids[:5])}) are not those of the "
                f"coverage= ({len(self.ids)}, first ids {list(self.ids[:5])}). Pass "
                "boundaries=None to use the "
                "coverage's own, or build a Coverage for these boundaries."
            )
        geoms = boundaries.geometry
        tol = 0.0
        if boundaries.crs is not None and not boundaries.crs.equals(self._source_crs):
            geoms = geoms.to_crs(self._source_crs)
            tol = 1e-9 * max(1.0, float(np.abs(geoms.total_bounds).max()))
        moved = ~shapely.equals_exact(geoms.to_numpy(), self._source_geoms, tolerance=tol)
        if moved.any():  # the old weights measured the old outlines, silently
            raise BoundaryError(
                f"Boundaries {list(ids[moved][:5])} have the ids of the coverage= but other "
                "outlines than it was built from (edited, clipped or redrawn); its weights "
                "would measure the old ones. Build a new Coverage for these boundaries."
            )

    # ------------------------------------------------------------------ application
    def class_transition_areas(
        self, start: xr.DataArray, end: xr.DataArray | None, *, nodata: float | None = None
    ) -> pd.DataFrame:
        """:func:`urbansat.spatial.zonal.class_transition_areas` with these weights."""
        from urbansat.spatial.zonal import class_transition_areas

        return class_transition_areas(start, end, None, nodata=nodata, coverage=self)

    def class_areas(self, raster: xr.DataArray, *, nodata: int | None = None) -> pd.DataFrame:
        """:func:`urbansat.class_areas` with these weights."""
        from urbansat.spatial.zonal import class_areas

        return class_areas(raster, None, nodata=nodata, coverage=self)

    def zonal_stats(
        self,
        raster: xr.DataArray,
        stats: Sequence[Stat] = ("mean", "sum", "count"),
        *,
        weights: xr.DataArray | None = None,
        nodata: float | None = None,
    ) -> pd.DataFrame:
        """:func:`urbansat.zonal_stats` with these weights."""
        from urbansat.spatial.zonal import zonal_stats

        return zonal_stats(raster, None, stats, weights=weights, nodata=nodata, coverage=self)


def _build(
    polys: PolygonSet, shape_yx: tuple[int, int], n_threads: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights of all polygons, band by band (``BAND_ROWS``), bands in parallel threads."""
    ny, nx = shape_yx

    def band(r0: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        h = min(BAND_ROWS, ny - r0)
        cand = polys.candidates(r0, 0, h, nx)
        out: tuple[np.ndarray, np.ndarray, np.ndarray] = band_segments(
            polys.px,
            polys.py,
            polys.ring_start,
            polys.ring_sign,
            polys.poly_ring,
            polys.bbox,
            cand,
            r0,
            h,
            nx,
        )
        return out

    starts = range(0, ny, BAND_ROWS)
    if n_threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=min(n_threads, len(starts))) as ex:
            bands = list(ex.map(band, starts))
    else:
        bands = [band(r0) for r0 in starts]
    counts = np.concatenate([np.diff(b[0]) for b in bands])
    row_ptr = np.zeros(ny + 1, dtype=np.int64)
    np.cumsum(counts, out=row_ptr[1:])
    segments = np.concatenate([b[1] for b in bands]) if bands else np.zeros((0, 3), np.int32)
    fractions = np.concatenate([b[2] for b in bands]) if bands else np.zeros(0)
    return row_ptr, segments, fractions
