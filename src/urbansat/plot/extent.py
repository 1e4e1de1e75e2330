"""Where a raster's pixels lie on a map: the image extent from pixel edges, not centres."""

from __future__ import annotations

import numpy as np
import xarray as xr

from urbansat.errors import SchemaError

__all__ = ["pixel_extent"]


def _step(c: np.ndarray, da: xr.DataArray, axis: int) -> float:
    """Return the pixel size along one axis: from the coordinates, else the transform."""
    if c.size > 1:
        return float(abs(c[1] - c[0]))
    try:
        return float(abs(da.rio.resolution()[axis]))
    except Exception as err:  # rioxarray raises several kinds without a transform
        raise SchemaError(
            "a raster of one pixel along an axis needs a transform to know its size; write one "
            "with raster.rio.write_transform(...)."
        ) from err


def pixel_extent(da: xr.DataArray) -> tuple[float, float, float, float]:
    """Return ``(left, right, bottom, top)`` of a ``(y, x)`` raster's outer pixel edges.

    ``imshow(extent=...)`` places the image's *edges* there. The min and max of the pixel
    centres put the image half a pixel inside its place on every side (a single pixel had
    zero size and was not drawn), misregistered against the boundary drawn over it.

    Raises
    ------
    SchemaError
        An empty raster (a boundary window with no pixel), or one pixel without a transform.
    """
    x = np.asarray(da["x"].values, dtype="float64")
    y = np.asarray(da["y"].values, dtype="float64")
    if x.size == 0 or y.size == 0:
        raise SchemaError(
            f"the raster to plot is empty ({y.size} x {x.size} pixels): the boundary window "
            "holds no pixel; check that the boundary overlaps the raster."
        )
    hx, hy = _step(x, da, 0) / 2, _step(y, da, 1) / 2
    return float(x.min() - hx), float(x.max() + hx), float(y.min() - hy), float(y.max() + hy)
