"""GridSpec: the immutable description of a regular, north-up raster grid (odc-geo GeoBox idea)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from affine import Affine
from pyproj import CRS

from urbansat.errors import AlignmentError, CRSError, SchemaError

__all__ = ["GridSpec", "as_raster_2d"]

#: Coordinates with more than this many values are checked for regular spacing (two values
#: always are: a single step).
_MIN_SPACING_CHECK = 2


@dataclass(frozen=True)
class GridSpec:
    """A regular raster grid.

    Attributes
    ----------
    crs : pyproj.CRS
        Coordinate reference system.
    transform : affine.Affine
        Maps (col, row) pixel-corner coordinates to (x, y) CRS coordinates.
    shape_yx : tuple of int
        ``(n_rows, n_cols)``.
    """

    crs: CRS
    transform: Affine
    shape_yx: tuple[int, int]

    @classmethod
    def from_bbox(
        cls,
        bbox: tuple[float, float, float, float],
        resolution: float | tuple[float, float],
        crs: CRS | str | int = "EPSG:4326",
    ) -> GridSpec:
        """Grid covering ``bbox = (xmin, ymin, xmax, ymax)`` at ``resolution`` (x, y), north-up."""
        # np.isscalar does not narrow for mypy; a non-scalar resolution is the (x, y) pair.
        rx, ry = cast(
            "tuple[float, float]",
            (resolution, resolution) if np.isscalar(resolution) else resolution,
        )
        if rx <= 0 or ry <= 0:
            raise ValueError(f"resolution must be positive, got {resolution!r}")
        xmin, ymin, xmax, ymax = bbox
        if not (xmin < xmax and ymin < ymax):  # an inverted box gave a silent 1 x 1 grid
            raise SchemaError(
                f"bbox={tuple(bbox)!r} is not (xmin, ymin, xmax, ymax) with xmin < xmax and "
                "ymin < ymax; check the order (a box across the antimeridian needs xmax > 180)."
            )
        nx = max(1, int(np.ceil((xmax - xmin) / rx - 1e-9)))
        ny = max(1, int(np.ceil((ymax - ymin) / ry - 1e-9)))
        return cls(CRS.from_user_input(crs), Affine(rx, 0.0, xmin, 0.0, -ry, ymax), (ny, nx))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` of the grid."""
        ny, nx = self.shape_yx
        t = self.transform
        x0, y0 = t.c, t.f
        x1, y1 = t.c + t.a * nx, t.f + t.e * ny
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    def coords(self) -> dict[str, np.ndarray]:
        """Pixel-centre coordinates ``{"y": ..., "x": ...}``."""
        ny, nx = self.shape_yx
        t = self.transform
        return {"y": t.f + t.e * (np.arange(ny) + 0.5), "x": t.c + t.a * (np.arange(nx) + 0.5)}

    def same_grid(self, other: GridSpec, *, rtol: float = 1e-9) -> bool:
        """Return True when both grids share CRS, shape and transform (to ``rtol`` of a pixel)."""
        if self.shape_yx != other.shape_yx or self.crs != other.crs:
            return False
        t1, t2 = self.transform, other.transform
        px = max(abs(t1.a), abs(t1.e))
        return all(abs(u - v) <= rtol * px for u, v in zip(t1[:6], t2[:6], strict=True))

    @classmethod
    def from_dataarray(cls, da: xr.DataArray, *, name: str = "raster") -> GridSpec:
        """Read the grid of a rioxarray-style DataArray (dims ``y``, ``x``)."""
        crs = da.rio.crs
        if crs is None:
            raise CRSError(
                f"The {name} has no CRS. Set it with {name}.rio.write_crs('EPSG:4326') "
                "(or the raster's true CRS)."
            )
        try:
            transform = da.rio.transform()
        except Exception as err:  # rioxarray raises several kinds on odd coords
            raise AlignmentError(
                f"Cannot derive a regular grid from the {name} coordinates ({err}). Use a raster "
                "opened with rioxarray.open_rasterio or resample it to a regular grid."
            ) from err
        if transform.b != 0.0 or transform.d != 0.0:
            raise AlignmentError(
                f"The {name} grid is rotated (transform {tuple(transform)[:6]}); only north-up "
                "grids "
                "are supported. Reproject it with raster.rio.reproject(raster.rio.crs)."
            )
        _require_transform_matches_coords(da, transform, name)
        for dim in ("x", "y"):
            c = np.asarray(da[dim].values, dtype=np.float64) if dim in da.coords else None
            if c is not None and c.size > _MIN_SPACING_CHECK:
                d = np.diff(c)
                if np.max(np.abs(d - d[0])) > 1e-6 * abs(d[0]):
                    raise AlignmentError(
                        f"The {name} coordinate {dim!r} is not regularly spaced; zonal statistics "
                        "need a regular grid. Resample it first (raster.rio.reproject)."
                    )
        return cls(CRS.from_user_input(crs), transform, (da.sizes["y"], da.sizes["x"]))


def _require_transform_matches_coords(da: xr.DataArray, transform: Affine, name: str) -> None:
    """Refuse a stored GeoTransform that disagrees with the ``x`` / ``y`` coordinates.

    rioxarray keeps the transform of the file in ``spatial_ref`` (``GeoTransform``) and
    returns it even after the array was re-sorted or flipped (``sortby("y")``,
    ``isel(y=slice(None, None, -1))``); every pixel would then be placed where another one
    is. The pixel centres the transform implies, ``c + a (i + 1/2)`` and ``f + e (j + 1/2)``,
    must equal the coordinates to 1 % of a pixel (or the rounding of float32 coordinates).
    """
    for dim, start, step in (("x", transform.c, transform.a), ("y", transform.f, transform.e)):
        if dim not in da.coords or da[dim].ndim != 1 or da.sizes[dim] == 0:
            continue
        raw = np.asarray(da[dim].values)
        c = raw.astype(np.float64)
        implied = start + step * (np.arange(c.size) + 0.5)
        # 1 % of a pixel, or the rounding of coordinates stored in a narrow float type
        eps = float(np.finfo(raw.dtype).eps) if raw.dtype.kind == "f" else 0.0
        tol = max(0.01 * abs(step), 8.0 * eps * float(np.nanmax(np.abs(c))))
        off = np.abs(c - implied)
        k = int(np.nanargmax(off)) if np.isfinite(off).any() else 0
        worst = float(off[k])
        if not worst <= tol:
            raise AlignmentError(
                f"The {name}'s stored GeoTransform does not match its {dim!r} coordinates "
                f"(pixel {k}: {dim} = {float(c[k]):.10g}, the transform puts it at "
                f"{float(implied[k]):.10g}, {worst / abs(step):.3g} pixels away): the array was "
                "re-sorted, flipped or sliced after it was opened. Keep the file's order (e.g. "
                f"{name}.sortby('y', ascending=False) for a north-up raster), or write the "
                f"transform the coordinates imply: "
                f"{name}.rio.write_transform({name}.rio.transform(recalc=True))."
            )


def as_raster_2d(da: xr.DataArray, *, name: str = "raster") -> xr.DataArray:
    """Return a 2-D ``(y, x)`` view of a single-band raster (drops a length-1 ``band``).

    Raises
    ------
    SchemaError
        If the array is not a 2-D ``(y, x)`` raster or has several bands.
    """
    if not isinstance(da, xr.DataArray):
        raise SchemaError(
            f"The {name} must be an xarray.DataArray (e.g. rioxarray.open_rasterio(path, "
            f"chunks=...)); got {type(da).__name__}."
        )
    extra = [d for d in da.dims if d not in ("y", "x")]
    for d in extra:
        if da.sizes[d] != 1:
            raise SchemaError(
                f"The {name} has dimension {d!r} of size {da.sizes[d]}; pass one band, e.g. "
                f"{name}.isel({d}=0)."
            )
    if "y" not in da.dims or "x" not in da.dims:
        raise SchemaError(
            f"The {name} has dims {da.dims}; expected ('y', 'x'). Rename them, e.g. "
            f"{name}.rename(lat='y', lon='x')."
        )
    if extra:
        da = da.isel(dict.fromkeys(extra, 0), drop=True)
    return da.transpose("y", "x")
