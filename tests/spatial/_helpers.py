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


def make_swath(ny=6, nx=5, *, lon0=116.0, lat0=39.0, d=0.02, value=410.0, sigma=1.0, chunks=None):
    """A normalized XCO2 swath of axis-aligned square footprints of side ``d`` degrees.

    Footprint (i, j) spans lon0 + j*d .. lon0 + (j+1)*d and lat0 + i*d .. lat0 + (i+1)*d;
    corners counter-clockwise. ``value`` may be a scalar or a (ny, nx) array.
    """
    j, i = np.meshgrid(np.arange(nx), np.arange(ny))
    lo = lon0 + j * d
    la = lat0 + i * d
    lon_b = np.stack([lo, lo + d, lo + d, lo], axis=-1)
    lat_b = np.stack([la, la, la + d, la + d], axis=-1)
    val = np.broadcast_to(np.asarray(value, dtype=np.float64), (ny, nx)).copy()
    sig = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (ny, nx)).copy()
    ds = xr.Dataset(
        {
            "xco2": (("y", "x"), val, {"units": "ppm"}),
            "xco2_uncertainty": (("y", "x"), sig, {"units": "ppm"}),
            "qa_pass": (("y", "x"), np.ones((ny, nx), dtype=bool)),
            "latitude_bounds": (("y", "x", "corner"), lat_b, {"units": "degrees_north"}),
            "longitude_bounds": (("y", "x", "corner"), lon_b, {"units": "degrees_east"}),
        },
        coords={
            "latitude": (("y", "x"), la + d / 2, {"units": "degrees_north"}),
            "longitude": (("y", "x"), lo + d / 2, {"units": "degrees_east"}),
            "time": (
                ("y",),
                np.datetime64("2020-06-01T05:00", "ns") + np.arange(ny).astype("timedelta64[s]"),
            ),
        },
        attrs={"product": "synthetic", "gas": "co2"},
    )
    if chunks:
        ds = ds.chunk(chunks)
    return ds
