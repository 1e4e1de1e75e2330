"""Builders for spatial tests: small rasters with a CRS and boundary frames."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from affine import Affine


def make_raster(data: np.ndarray, transform: Affine, crs="EPSG:32650", nodata=None) -> xr.DataArray:
    ny, nx = data.shape
    da = xr.DataArray(
        data,
        dims=("y", "x"),
        coords={
            "y": transform.f + transform.e * (np.arange(ny) + 0.5),
            "x": transform.c + transform.a * (np.arange(nx) + 0.5),
        },
        attrs={"units": "1"},
    )
    da = da.rio.write_transform(transform)
    if crs is not None:
        da = da.rio.write_crs(crs)
    if nodata is not None:
        da = da.rio.write_nodata(nodata)
    return da


def make_boundaries(geoms, crs="EPSG:32650", ids=None) -> gpd.GeoDataFrame:
    ids = ids or [f"b{i}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"boundary_id": ids}, geometry=list(geoms), crs=crs)
