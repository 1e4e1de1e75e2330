"""Synthetic land-cover builders (in memory and in official file layouts).

``make_landcover`` returns a georeferenced categorical DataArray carrying the same
attributes as :func:`urbansat.open_landcover`. ``write_clcd`` and ``write_corine``
write small GeoTIFFs in the layout of China CLCD (``CLCD_v01_YYYY_albert.tif``, 30 m
Albers on CGCS2000, classes 1-9, nodata 0) and Corine CLC 100 m raster
(``U2018_CLC2018_V2020_20u1.tif``, EPSG:3035, values 1-44 -> CODE_18, 48 = NODATA),
since no real file of either is available here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "CLCD_ALBERS_WKT",
    "make_boundaries",
    "make_landcover",
    "make_landcover_pair",
    "write_clcd",
    "write_corine",
    "write_geotiff",
]

#: CLCD's projection: Albers equal-area conic, standard parallels 25 N / 47 N,
#: central meridian 105 E, on CGCS2000 (Yang & Huang 2021, ESSD 13:3907).
CLCD_ALBERS_WKT = (
    "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
)


def make_landcover(
    data: np.ndarray,
    *,
    crs: Any = "EPSG:4326",
    transform: Any = None,
    product: str = "worldcover",
    year: int | None = None,
    nodata: int | None = 0,
    chunks: Any = None,
) -> xr.DataArray:
    """Wrap a 2-D code array as a georeferenced land-cover DataArray.

    Parameters
    ----------
    data : numpy.ndarray
        Class codes (y, x); never modified (copied).
    crs : str or CRS
        Coordinate reference system.
    transform : affine.Affine, optional
        Default: 1/12000 deg pixels (WorldCover) with the upper-left corner at (113 E, 23 N).
    product : str
        Product key (selects the packaged legend).
    year : int, optional
        Epoch year.
    nodata : int or None
        Nodata code.
    chunks : dict or tuple, optional
        Dask chunks; None keeps numpy.

    Returns
    -------
    xarray.DataArray
    """
    from affine import Affine

    from urbansat.schema.legend import cf_legend_attrs
    from urbansat.sinks.legends import PRODUCT_LEGENDS, load_legend

    arr = np.array(data, copy=True)
    if transform is None:
        transform = Affine(1 / 12000, 0, 113.0, 0, -1 / 12000, 23.0)
    ny, nx = arr.shape
    xs = transform.c + transform.a * (np.arange(nx) + 0.5)
    ys = transform.f + transform.e * (np.arange(ny) + 0.5)
    da = xr.DataArray(arr, dims=("y", "x"), coords={"y": ys, "x": xs}, name="landcover")
    da = da.rio.write_crs(crs).rio.write_transform(transform)
    if nodata is not None:
        da = da.rio.write_nodata(nodata)
    lg = load_legend(PRODUCT_LEGENDS.get(product, product)) if product in PRODUCT_LEGENDS else None
    da.attrs.update(
        {
            "product": product,
            "legend_name": lg.attrs["legend"] if lg is not None else "user",
            # the legend's index holds the integer class codes (pandas-stubs: Hashable labels)
            **cf_legend_attrs(
                {int(cast(int, k)): str(v) for k, v in lg["name"].items()} if lg is not None else {}
            ),
            "AREA_OR_POINT": "Area",
            "units": "1",
        }
    )
    if nodata is not None:  # netCDF attributes cannot be None
        da.attrs["nodata"] = nodata
    if year is not None:
        da.attrs["year"] = int(year)
    if chunks is not None:
        da = da.chunk(
            dict(zip(("y", "x"), chunks, strict=False)) if isinstance(chunks, tuple) else chunks
        )
    return cast("xr.DataArray", da)


def make_landcover_pair(
    shape_yx: tuple[int, int] = (60, 60),
    *,
    seed: int = 0,
    product: str = "worldcover",
    change_fraction: float = 0.1,
    years: tuple[int, int] = (2015, 2020),
    chunks: Any = None,
    transform: Any = None,
    crs: Any = "EPSG:4326",
) -> tuple[xr.DataArray, xr.DataArray]:
    """Two epochs with structured fields (blobs of classes) and plausible transitions.

    Start: smooth random field cut into forest/grass/crop/built-up/water (WorldCover codes
    10/30/40/50/80); end: ``change_fraction`` of pixels move, mostly to built-up
    (urban growth) and forest regrowth on cropland.
    """
    rng = np.random.default_rng(seed)
    ny, nx = shape_yx
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(rng.standard_normal((ny, nx)), sigma=max(2, min(ny, nx) / 20))
    q = np.quantile(field, [0.35, 0.55, 0.8, 0.93])
    codes = np.array([10, 30, 40, 50, 80], dtype=np.uint8)
    start = codes[np.digitize(field, q)]
    end = start.copy()
    move = gaussian_filter(rng.standard_normal((ny, nx)), sigma=3) > np.quantile(
        gaussian_filter(rng.standard_normal((ny, nx)), sigma=3), 1 - change_fraction
    )
    end[move & (start == 40)] = 10  # afforestation of cropland
    end[move & ((start == 10) | (start == 30))] = 50  # urban growth
    s = make_landcover(
        start, product=product, year=years[0], chunks=chunks, transform=transform, crs=crs
    )
    e = make_landcover(
        end, product=product, year=years[1], chunks=chunks, transform=transform, crs=crs
    )
    return s, e


def make_boundaries(da: xr.DataArray, n: int, *, level: str = "county") -> gpd.GeoDataFrame:
    """``n`` vertical strips covering the raster (with ``boundary_id``, ``name``, ``level``)."""
    import geopandas as gpd
    import shapely

    x0, y0, x1, y1 = da.rio.bounds()
    edges = np.linspace(x0, x1, n + 1)
    geoms = [shapely.box(edges[i], y0, edges[i + 1], y1) for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "boundary_id": [f"b{i}" for i in range(n)],
            "name": [f"strip {i}" for i in range(n)],
            "level": level,
        },
        geometry=geoms,
        crs=da.rio.crs,
    )


def write_geotiff(
    path: str | os.PathLike[str],
    data: np.ndarray,
    *,
    crs: Any,
    transform: Any,
    nodata: float | None = None,
    tags: dict[str, Any] | None = None,
    blocksize: int = 256,
) -> Path:
    """Write a single-band tiled GeoTIFF atomically (temp file + os.replace)."""
    import rasterio

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    prof = {
        "driver": "GTiff",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": data.dtype,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        "compress": "deflate",
    }
    if data.shape[0] >= blocksize and data.shape[1] >= blocksize:
        prof.update(tiled=True, blockxsize=blocksize, blockysize=blocksize)
    with rasterio.open(tmp, "w", **prof) as dst:
        dst.write(data, 1)
        if tags:
            dst.update_tags(**tags)
    os.replace(tmp, path)
    return path


def write_clcd(
    directory: str | os.PathLike[str],
    year: int,
    data: np.ndarray | None = None,
    *,
    shape_yx: tuple[int, int] = (64, 64),
    seed: int = 0,
) -> Path:
    """Write ``CLCD_v01_<year>_albert.tif`` (uint8, classes 1-9, nodata 0, 30 m Albers)."""
    from affine import Affine

    if data is None:
        rng = np.random.default_rng(seed)
        data = rng.integers(1, 10, shape_yx).astype(np.uint8)
        data[0, 0] = 0
    # upper-left corner near Guangzhou in CLCD Albers coordinates
    tr = Affine(30.0, 0, 1_580_000.0, 0, -30.0, 2_620_000.0)
    return write_geotiff(
        Path(directory) / f"CLCD_v01_{year}_albert.tif",
        np.asarray(data, dtype=np.uint8),
        crs=CLCD_ALBERS_WKT,
        transform=tr,
        nodata=0,
    )


def write_corine(
    directory: str | os.PathLike[str],
    year: int = 2018,
    data: np.ndarray | None = None,
    *,
    shape_yx: tuple[int, int] = (64, 64),
    seed: int = 0,
) -> Path:
    """Write a Corine CLC 100 m raster ``U<year>_CLC<year>_V2020_20u1.tif``.

    EPSG:3035, classes 1-44, 48 = NODATA.
    """
    from affine import Affine

    if data is None:
        rng = np.random.default_rng(seed)
        data = rng.integers(1, 45, shape_yx).astype(np.uint8)
        data[-1, -1] = 48
    tr = Affine(100.0, 0, 4_321_000.0, 0, -100.0, 3_210_000.0)
    return write_geotiff(
        Path(directory) / f"U{year}_CLC{year}_V2020_20u1.tif",
        np.asarray(data, dtype=np.uint8),
        crs="EPSG:3035",
        transform=tr,
        nodata=48,
    )
