"""EDGE: open land-cover rasters lazily with their legend.

Supported products (auto-detected from the file name, else ``product=``):

==================  ==========================================  ===============================
product             file                                        notes
==================  ==========================================  ===============================
``worldcover``      ``ESA_WorldCover_10m_YYYY_vNNN_*_Map.tif``  EPSG:4326 COG, nodata 0;
                                                                several tiles mosaicked lazily
``esa_cci_lc``      ``*LC*-LCCS-Map-300m-P1Y-YYYY-*`` (tif/nc)  netCDF variable ``lccs_class``
``modis_mcd12q1``   ``MCD12Q1.AYYYYDDD.hHHvVV.*`` (hdf/tif)     HDF4-EOS via pyhdf, LC_Type1
                                                                (IGBP), sinusoidal R=6371007.181
``clcd``            ``CLCD_v01_YYYY_albert.tif``                30 m Albers (CGCS2000)
``corine_clc``      ``*CLC20YY*.tif``                           100 m EPSG:3035, 1-44 -> CODE_18
any                 a categorical GeoTIFF + ``legend=``         user legend {code: category}
==================  ==========================================  ===============================

The returned :class:`xarray.DataArray` has dims ``(y, x)``, is dask-backed
(``chunks``), never loaded, and carries ``attrs``: ``product``, ``legend``
({code: class name} as a JSON string; read it with :func:`urbansat.schema.legend_of`),
the same legend as CF ``flag_values`` / ``flag_meanings``, ``legend_name``,
``legend_categories`` (for user legends, JSON;
:func:`urbansat.schema.legend_categories_of`), ``nodata``, ``year`` (if known),
``source_files``. Every attribute is netCDF-serializable, so
``open_landcover(...).to_netcdf(path)`` works and the legend survives the round trip.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import rioxarray
import xarray as xr

from urbansat.categories import PRODUCT_LEGENDS
from urbansat.errors import (
    AlignmentError,
    InputFileError,
    MissingVariableError,
    ProductNotRecognizedError,
    SuspectValueWarning,
)
from urbansat.ingest._locks import open_netcdf
from urbansat.schema.files import check_input_file
from urbansat.schema.legend import cf_legend_attrs

__all__ = [
    "PRODUCTS",
    "default_chunks",
    "detect_product",
    "open_landcover",
]

#: ``chunks=`` of :func:`open_landcover`: one side, ``"auto"`` (or a dask size string such as
#: ``"64MiB"``), ``{"y": rows, "x": cols}``, or None (one chunk per file).
Chunks: TypeAlias = int | str | dict[str, int] | None
#: ``legend=`` of :func:`open_landcover`: a packaged legend's name, a table with columns
#: ``code``, ``category`` (and optionally ``name``), or ``{code: category}``.
Legend: TypeAlias = str | pd.DataFrame | Mapping[int, str] | None

PRODUCTS: dict[str, str] = {
    "worldcover": r"ESA_WorldCover_10m_(?P<year>\d{4})_v\d+",
    "esa_cci_lc": r"LC-L4-LCCS-Map-300m-P1Y-(?P<year>\d{4})",
    "modis_mcd12q1": r"MCD12Q1\.A(?P<year>\d{4})\d{3}",
    "clcd": r"CLCD_v\d+_(?P<year>\d{4})_albert",
    "corine_clc": r"CLC(?P<year>\d{4})",
}
#: Tiles of a mosaic are on one pixel lattice when their offsets are whole pixels within this.
_LATTICE_TOL = 1e-6
_NODATA = {"worldcover": 0, "esa_cci_lc": 0, "modis_mcd12q1": 255, "clcd": 0, "corine_clc": 48}
#: MODIS land sinusoidal sphere (MODLAND grid, R = 6371007.181 m).
MODIS_SINUSOIDAL = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"
#: Default dask chunk side of a MODIS HDF4 tile [pixels] (a 2400 x 2400 tile in four chunks).
_MODIS_CHUNK = 1200


def detect_product(path: str | os.PathLike[str]) -> tuple[str | None, int | None]:
    """Product key and year from a land-cover file name (``(None, None)`` if unknown)."""
    name = Path(path).name
    for prod, pat in PRODUCTS.items():
        m = re.search(pat, name)
        if m:
            return prod, int(m.group("year"))
    return None, None


class _HDF4Array:
    """Lazy, sliceable view of one HDF4 SDS (opened per read, so it pickles to workers)."""

    def __init__(self, path: str, sds: str, shape: tuple[int, ...], dtype: npt.DTypeLike) -> None:
        self.path, self.sds, self.shape, self.dtype, self.ndim = (
            path,
            sds,
            shape,
            np.dtype(dtype),
            2,
        )

    def __getitem__(self, key: tuple[slice, ...]) -> npt.NDArray[Any]:
        from pyhdf.SD import SD, SDC

        f = SD(self.path, SDC.READ)
        try:
            return np.asarray(f.select(self.sds)[key])
        finally:
            f.end()


def _modis_chunks(chunks: Chunks) -> tuple[int, int] | str:
    """Dask chunks ``(rows, cols)`` of a MODIS HDF4 SDS from ``open_landcover(chunks=)``."""
    if isinstance(chunks, int):
        return (chunks, chunks)
    if isinstance(chunks, dict):
        return (chunks.get("y", _MODIS_CHUNK), chunks.get("x", _MODIS_CHUNK))
    if chunks is None or chunks == "auto":
        return (_MODIS_CHUNK, _MODIS_CHUNK)
    return chunks  # a dask size string, e.g. "64MiB"


def _open_modis_hdf(path: Path, chunks: Chunks, sds: str = "LC_Type1") -> xr.DataArray:
    try:
        from pyhdf.SD import SD, SDC
    except ImportError as exc:  # pragma: no cover
        raise InputFileError("Reading MODIS HDF4 needs pyhdf (pip install pyhdf).") from exc
    import dask.array as dsa
    from affine import Affine

    try:
        f = SD(str(path), SDC.READ)
    except Exception as exc:
        raise InputFileError(f"{str(path)!r} is not a readable HDF4 file ({exc}).") from exc
    try:
        names = list(f.datasets())
        if sds not in names:
            raise MissingVariableError(
                f"MODIS file {str(path)!r} has no SDS {sds!r}; it has {names}."
            )
        s = f.select(sds)
        attrs = {
            k: (v.rstrip("\x00") if isinstance(v, str) else v) for k, v in s.attributes().items()
        }
        shape = tuple(s.info()[2])
        meta = f.attributes().get("StructMetadata.0", "")
    finally:
        f.end()
    ul = re.search(r"UpperLeftPointMtrs=\(([-\d.]+),([-\d.]+)\)", meta)
    lr = re.search(r"LowerRightMtrs=\(([-\d.]+),([-\d.]+)\)", meta)
    if not (ul and lr):
        raise InputFileError(
            f"MODIS file {str(path)!r} lacks the grid corners in StructMetadata.0."
        )
    x0, y0 = float(ul.group(1)), float(ul.group(2))
    x1, y1 = float(lr.group(1)), float(lr.group(2))
    ny, nx = shape
    tr = Affine((x1 - x0) / nx, 0, x0, 0, (y1 - y0) / ny, y0)
    arr = dsa.from_array(  # type: ignore[no-untyped-call]  # dask.array has no annotations
        _HDF4Array(str(path), sds, shape, np.uint8),
        chunks=_modis_chunks(chunks),
        name=f"hdf4-{path.name}-{sds}",
    )
    xs = tr.c + tr.a * (np.arange(nx) + 0.5)
    ys = tr.f + tr.e * (np.arange(ny) + 0.5)
    da: xr.DataArray = xr.DataArray(arr, dims=("y", "x"), coords={"y": ys, "x": xs})
    da = da.rio.write_crs(MODIS_SINUSOIDAL).rio.write_transform(tr)
    fill = attrs.get("_FillValue", 255)
    da = da.rio.write_nodata(int(fill))
    da.attrs["long_name"] = attrs.get("long_name", sds)
    return da


#: Dask chunks per CPU that :func:`default_chunks` aims for (load balance across threads).
CHUNKS_PER_CORE = 8
#: Upper bound of one default chunk [bytes] (dask's own "auto" target is 128 MiB).
MAX_CHUNK_BYTES = 64 * 2**20


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def default_chunks(
    shape_yx: tuple[int, int], block_yx: tuple[int, int], itemsize: int, n_cores: int | None = None
) -> dict[str, int]:
    """Default dask chunks of a raster from its internal tiling and the number of cores.

    Chunks are whole multiples of the file's blocks (each block is decompressed once),
    square for tiled files and full-width bands for striped ones, sized so that there
    are about ``CHUNKS_PER_CORE * n_cores`` chunks (every thread gets several, so the
    slowest block does not set the wall time) and none exceeds ``MAX_CHUNK_BYTES``::

        side = sqrt(ny * nx / (CHUNKS_PER_CORE * n_cores)), rounded down to whole blocks,
        clipped to [one block, sqrt(MAX_CHUNK_BYTES / itemsize)] and to the raster.

    Parameters
    ----------
    shape_yx : tuple of int
        Raster ``(rows, cols)``.
    block_yx : tuple of int
        The file's block ``(rows, cols)`` (``rasterio`` ``block_shapes[0]``).
    itemsize : int
        Bytes per pixel.
    n_cores : int, optional
        Default: the CPUs available to this process.

    Returns
    -------
    dict
        ``{"y": rows, "x": cols}`` for ``rioxarray.open_rasterio(chunks=)``.

    Examples
    --------
    >>> default_chunks((10000, 10000), (512, 512), 1, n_cores=2)
    {'y': 2048, 'x': 2048}
    >>> default_chunks((36000, 36000), (1024, 1024), 1, n_cores=2)
    {'y': 8192, 'x': 8192}
    """
    ny, nx = (int(v) for v in shape_yx)
    by, bx = (max(1, min(int(b), n)) for b, n in zip(block_yx, (ny, nx), strict=True))
    cores = n_cores or _cpu_count()
    side = math.sqrt(ny * nx / (CHUNKS_PER_CORE * cores))
    cap = math.sqrt(MAX_CHUNK_BYTES / max(1, itemsize))
    if bx >= nx:  # striped file: full-width bands of whole strips
        rows = max(by, min(int(side * side / nx), int(cap * cap / nx)) // by * by)
        return {"y": min(rows, ny), "x": nx}
    side = min(side, cap)
    return {
        "y": min(ny, max(by, int(side) // by * by)),
        "x": min(nx, max(bx, int(side) // bx * bx)),
    }


def _file_chunks(path: Path) -> dict[str, int] | str:
    """:func:`default_chunks` of a file (``"auto"`` when rasterio cannot tell its tiling)."""
    import rasterio
    import rasterio.errors

    try:
        with rasterio.open(path) as src:
            return default_chunks(
                (src.height, src.width), src.block_shapes[0], np.dtype(src.dtypes[0]).itemsize
            )
    except (OSError, rasterio.errors.RasterioError, IndexError, ValueError):
        # unreadable here: open_rasterio below reports the error with the file name
        return "auto"


def _open_raster(path: Path, chunks: Chunks) -> xr.DataArray:
    if isinstance(chunks, str) and chunks == "auto":
        chunks = _file_chunks(path)
    try:
        with warnings.catch_warnings():
            # rioxarray 0.19 turns chunks="auto" into block-aligned chunks and then passes them
            # to xarray as a positional tuple (rioxarray/_io.py), which xarray deprecates. The
            # tuple is rioxarray's, not ours; a dict of "auto" would lose the COG block alignment.
            warnings.filterwarnings(
                "ignore", "Supplying chunks as dimension-order tuples", FutureWarning
            )
            # open_rasterio documents chunks="auto" (and dask size strings) but annotates
            # chunks without str
            rio_chunks = cast("int | dict[str, int] | None", chunks)
            da = rioxarray.open_rasterio(path, chunks=rio_chunks, mask_and_scale=False, lock=False)
    except Exception as exc:
        raise InputFileError(f"{str(path)!r} cannot be opened as a raster ({exc}).") from exc
    if not isinstance(da, xr.DataArray):
        # A file with several variables/subdatasets opens as a Dataset (or a list of them).
        names = f" {sorted(str(v) for v in da.data_vars)}" if isinstance(da, xr.Dataset) else ""
        raise InputFileError(
            f"{str(path)!r} holds several variables or subdatasets{names}, not one class "
            "raster; land cover must be a single-band raster. Write the class variable to a "
            "GeoTIFF first, e.g. ds[name].rio.to_raster('landcover.tif'), and open that."
        )
    if "band" in da.dims:
        if da.sizes["band"] != 1:
            raise InputFileError(
                f"{str(path)!r} has {da.sizes['band']} bands; land cover must be single-band."
            )
        da = da.isel(band=0, drop=True)
    if da.rio.nodata is not None and np.issubdtype(da.dtype, np.integer):
        import rasterio

        with rasterio.open(path) as src:  # rioxarray casts nodata to the dtype (10.5 -> 10)
            raw = src.nodata
        if raw is not None and (not np.isfinite(raw) or float(raw) != int(raw)):
            raise InputFileError(
                f"Land cover {str(path)!r} declares nodata {raw!r} on {da.dtype} class codes; "
                f"read as {da.rio.nodata} it would blank that class. Set the integer nodata of "
                "the product (e.g. gdal_edit.py -a_nodata 0) or unset it "
                "(gdal_edit.py -unsetnodata)."
            )
    return da


def _open_cci_netcdf(path: Path, chunks: Chunks) -> xr.DataArray:
    try:
        ds = open_netcdf(
            path,
            chunks=chunks if chunks != "auto" else {"lat": 4050, "lon": 4050},
            mask_and_scale=False,
            decode_times=False,
        )
    except Exception as exc:
        raise InputFileError(f"{str(path)!r} cannot be opened as netCDF ({exc}).") from exc
    if "lccs_class" not in ds:
        raise MissingVariableError(
            f"CCI land-cover file {str(path)!r} has no variable 'lccs_class'; "
            f"it has {list(ds.data_vars)}."
        )
    da: xr.DataArray = ds["lccs_class"]
    unsigned = str(da.attrs.pop("_Unsigned", da.encoding.get("_Unsigned", ""))).lower()
    if unsigned == "true" and np.issubdtype(da.dtype, np.signedinteger):
        # netCDF-3 has no unsigned byte: the product stores lccs_class as a signed byte with
        # _Unsigned = "true" (NetCDF User Guide, attribute conventions), which the unmasked
        # open leaves undecoded; 190 (urban) and 210 (water) would read as -66 and -46
        sdt, udt = da.dtype, np.dtype(f"u{da.dtype.itemsize}")
        da = da.copy(data=da.data.view(udt))
        if da.attrs.get("_FillValue") is not None:
            da.attrs["_FillValue"] = np.asarray(da.attrs["_FillValue"], sdt).view(udt)
    if "time" in da.dims:
        da = da.isel(time=0, drop=True)
    da = da.rename({"lat": "y", "lon": "x"}).rio.set_spatial_dims(x_dim="x", y_dim="y")
    da = da.rio.write_crs("EPSG:4326")
    return da


def _tile_nodata(arrays: list[xr.DataArray], paths: list[Path], prod: str | None) -> int | None:
    """Return the one integer nodata of the tiles (the file's, else the product's ``_NODATA``).

    Raises
    ------
    InputFileError
        A tile declares a nodata that is not an integer (``int()`` would truncate 10.5 to
        10 and blank a class), or the tiles declare different nodata values (one tile's
        nodata would read as a class in the mosaic).
    """
    found: dict[float | None, Path] = {}
    for da, p in zip(arrays, paths, strict=True):
        nd = da.rio.nodata
        if nd is None and prod in _NODATA:
            nd = _NODATA[prod]
        if nd is not None and (not np.isfinite(nd) or float(nd) != int(nd)):
            raise InputFileError(
                f"Land cover {str(p)!r} declares nodata {nd!r}, which is not an integer class "
                "code. Set the integer nodata of the product (e.g. gdal_edit.py -a_nodata 0) "
                "or unset it (gdal_edit.py -unsetnodata)."
            )
        found.setdefault(None if nd is None else float(nd), p)
    if len(found) > 1:
        listing = ", ".join(
            f"{p.name}: {'none' if nd is None else int(nd)}" for nd, p in found.items()
        )
        raise InputFileError(
            f"Land-cover tiles declare different nodata values ({listing}); in one mosaic a "
            "tile's nodata would be read as a class. Give the tiles one nodata "
            "(gdal_translate -a_nodata) before opening them together."
        )
    nd0 = next(iter(found))
    return None if nd0 is None else int(nd0)


def _gap_nodata(dtype: np.dtype[Any], classes: set[int], paths: list[Path], n_gaps: int) -> int:
    """Pick the nodata of the missing tiles of a mosaic whose tiles declare none.

    The gaps were filled with 0 and no nodata was declared, so they were counted as class 0
    (a real class of many user legends) or refused as a code the legend does not map. The
    fill is the largest value of the dtype that is not a legend class (255 for uint8), for a
    signed dtype the smallest (-128 for int8), the convention of GDAL tools.

    Raises
    ------
    InputFileError
        Every value of the dtype is a legend class: there is no code for "not observed".
    """
    info = np.iinfo(dtype)
    span = range(info.max, info.min - 1, -1)
    if info.min < 0:
        span = range(info.min, info.max + 1)
    for v in span:  # at most len(classes) + 1 steps
        if v not in classes:
            return int(v)
    raise InputFileError(
        f"Land-cover tiles {[p.name for p in paths]} declare no nodata and leave {n_gaps} "
        f"tile(s) of the mosaic's bounding rectangle empty, but every {dtype} value is a class "
        "of the legend, so no code is left for 'not observed'. Declare the tiles' nodata "
        "(gdal_edit.py -a_nodata <code>) or mosaic them with GDAL first (gdalbuildvrt "
        "-vrtnodata <code>)."
    )


def _refuse_gap_code(block: npt.NDArray[Any], fill: int, names: str) -> npt.NDArray[Any]:
    """Return ``block``; raise if it holds ``fill``, the nodata chosen for the mosaic's gaps."""
    if (block == fill).any():
        raise InputFileError(
            f"Land-cover tiles {names} declare no nodata; urbansat filled the empty tiles of "
            f"the mosaic with {fill} (a value the legend does not map) as nodata, but a tile "
            f"holds {fill} itself, so its pixels would be dropped as unobserved. Declare the "
            "tiles' nodata (gdal_edit.py -a_nodata <code>), or open the tiles separately."
        )
    return block


def _tile_sizes(
    bounds: list[tuple[int, int, int, int]],
    paths: list[Path],
    rows: list[int],
    cols: list[int],
    extent: tuple[int, int],
) -> tuple[dict[int, int], dict[int, int]]:
    """Height of each row and width of each column of tiles; refuse tiles off that grid."""
    hs = {r: next(b[2] for b in bounds if b[0] == r) for r in rows}
    ws = {c: next(b[3] for b in bounds if b[1] == c) for c in cols}
    for b, p in zip(bounds, paths, strict=True):
        if (b[2], b[3]) != (hs[b[0]], ws[b[1]]):
            raise AlignmentError(
                f"Tile {p.name} is {b[2]} x {b[3]} pixels where its row and column of the "
                f"mosaic hold {hs[b[0]]} x {ws[b[1]]}: tiles of one grid must have equal sizes "
                "along each row and column. Mosaic them with GDAL first (gdalbuildvrt)."
            )
    if sum(hs.values()) != extent[0] or sum(ws.values()) != extent[1]:
        raise AlignmentError(
            "Tiles overlap or leave gaps that are not whole tiles; mosaic them with GDAL first."
        )
    return hs, ws


def _mosaic(
    arrays: list[xr.DataArray],
    paths: list[Path],
    nodata: int | None,
    classes: set[int] | None = None,
) -> tuple[xr.DataArray, int | None]:
    """Lazy mosaic of tiles on one pixel lattice (same CRS and resolution, integer offsets).

    Returns the mosaic and its nodata: ``nodata``, or -- when the tiles declare none and
    the bounding rectangle has missing tiles -- a code that is not one of the legend's
    ``classes`` (:func:`_gap_nodata`); a tile that holds that code raises when computed.
    """
    import dask.array as dsa
    from affine import Affine

    ref = arrays[0]
    t0 = ref.rio.transform()
    crs = ref.rio.crs
    bounds = []
    for da, p in zip(arrays, paths, strict=True):
        t = da.rio.transform()
        if da.rio.crs != crs or not np.allclose([t.a, t.e], [t0.a, t0.e], rtol=1e-12):
            raise AlignmentError(
                f"Tile {p.name} has CRS/resolution {da.rio.crs}/{(t.a, t.e)} unlike "
                f"{paths[0].name} ({crs}/{(t0.a, t0.e)}); tiles must share a pixel lattice."
            )
        c0 = (t.c - t0.c) / t0.a
        r0 = (t.f - t0.f) / t0.e
        if abs(c0 - round(c0)) > _LATTICE_TOL or abs(r0 - round(r0)) > _LATTICE_TOL:
            raise AlignmentError(
                f"Tile {p.name} is offset by a fraction of a pixel from {paths[0].name}."
            )
        bounds.append((round(r0), round(c0), da.sizes["y"], da.sizes["x"]))
    rmin = min(b[0] for b in bounds)
    cmin = min(b[1] for b in bounds)
    rmax = max(b[0] + b[2] for b in bounds)
    cmax = max(b[1] + b[3] for b in bounds)
    dtype = ref.dtype
    fill = nodata
    rows = sorted({b[0] for b in bounds})
    cols = sorted({b[1] for b in bounds})
    tiles: dict[tuple[int, int], tuple[xr.DataArray, tuple[int, int, int, int]]] = {}
    where: dict[tuple[int, int], Path] = {}
    for a, b, p in zip(arrays, bounds, paths, strict=True):
        if (b[0], b[1]) in where:
            raise AlignmentError(
                f"Tiles '{where[(b[0], b[1])]}' and '{p}' cover the same place (the same "
                "origin on the pixel lattice); one would replace the other. Pass each tile once "
                "(two versions of one tile are two epochs or a re-delivery)."
            )
        tiles[(b[0], b[1])] = (a, b)
        where[(b[0], b[1])] = p
    hs, ws = _tile_sizes(bounds, paths, rows, cols, (rmax - rmin, cmax - cmin))
    n_gaps = len(rows) * len(cols) - len(tiles)
    guard = fill is None and n_gaps > 0 and np.issubdtype(dtype, np.integer)
    if guard:
        # the gaps were 0 with no nodata declared: counted as class 0 or refused as unmapped
        fill = _gap_nodata(dtype, classes or set(), paths, n_gaps)
    names = str([p.name for p in paths])
    blocks = []
    for r in rows:
        line = []
        for c in cols:
            if (r, c) in tiles:
                data = tiles[(r, c)][0].data
                # a tile pixel of the chosen code would read as nodata: refuse it when computed
                line.append(
                    data.map_blocks(_refuse_gap_code, fill=fill, names=names, dtype=dtype)
                    if guard
                    else data
                )
                continue
            line.append(
                dsa.full(  # type: ignore[no-untyped-call]  # dask.array has no annotations
                    (hs[r], ws[c]),
                    0 if fill is None else fill,  # (a float mosaic, refused by the caller)
                    dtype=dtype,
                    chunks=arrays[0].data.chunksize,
                )
            )
        blocks.append(line)
    data = dsa.block(blocks)  # type: ignore[no-untyped-call]  # dask.array has no annotations
    tr = Affine(t0.a, 0, t0.c + t0.a * cmin, 0, t0.e, t0.f + t0.e * rmin)
    xs = tr.c + tr.a * (np.arange(cmax - cmin) + 0.5)
    ys = tr.f + tr.e * (np.arange(rmax - rmin) + 0.5)
    out: xr.DataArray = xr.DataArray(
        data, dims=("y", "x"), coords={"y": ys, "x": xs}, attrs=dict(ref.attrs)
    )
    out = out.rio.write_crs(crs).rio.write_transform(tr)
    return out, fill


def _packaged_legend(name: str) -> pd.DataFrame:
    import importlib.resources
    import io

    res = importlib.resources.files("urbansat") / "data" / "legends" / f"{name}.csv"
    if not res.is_file():
        raise ProductNotRecognizedError(f"No packaged legend {name!r}; see urbansat/data/legends/.")
    return pd.read_csv(io.StringIO(res.read_text("utf-8")), comment="#", keep_default_na=False)


def _flags_as_variable_type(da: xr.DataArray) -> None:
    """Give ``flag_values`` the raster's integer type (CF 3.5) when every code fits in it."""
    codes = da.attrs["flag_values"]
    info = np.iinfo(da.dtype)
    if len(codes) and info.min <= codes.min() and codes.max() <= info.max:
        da.attrs["flag_values"] = codes.astype(da.dtype)


def _legend_attrs(product: str | None, legend: object) -> dict[str, Any]:
    """Legend attributes; the legend's content is validated by urbansat.sinks when used."""
    if legend is None or isinstance(legend, str):
        if legend is None:
            assert product is not None  # open_landcover rejects product=None without legend=
            name = PRODUCT_LEGENDS[product]
        else:
            name = PRODUCT_LEGENDS.get(legend, legend)
        lg = _packaged_legend(name)
        names = {int(c): str(n) for c, n in zip(lg["code"], lg["name"], strict=True)}
        cats = (
            {int(c): str(k) for c, k in zip(lg["code"], lg["category"], strict=True)}
            if legend is not None
            else None
        )
        return {"legend_name": name, **cf_legend_attrs(names, cats)}
    if isinstance(legend, pd.DataFrame):
        df = legend.reset_index() if legend.index.name == "code" else legend
        if not {"code", "category"} <= set(df.columns):
            raise ProductNotRecognizedError("legend DataFrame needs columns 'code' and 'category'.")
        labels = df["name"] if "name" in df.columns else df["category"]
        return {
            "legend_name": legend.attrs.get("legend", "user"),
            **cf_legend_attrs(
                {int(c): str(n) for c, n in zip(df["code"], labels, strict=True)},
                {int(c): str(k) for c, k in zip(df["code"], df["category"], strict=True)},
            ),
        }
    if isinstance(legend, Mapping):
        user = {int(k): str(v) for k, v in legend.items()}
        return {"legend_name": "user", **cf_legend_attrs(user, user)}
    raise ProductNotRecognizedError(
        f"legend= must be a name, DataFrame or {{code: category}}, not {type(legend).__name__}."
    )


def _landcover_paths(path_or_paths: Any) -> list[Path]:
    """Return the land-cover file(s) as paths, refusing arrays, empty lists and folders."""
    if isinstance(path_or_paths, (xr.DataArray, xr.Dataset, np.ndarray)):
        raise InputFileError(
            f"open_landcover got an already opened {type(path_or_paths).__name__}, "
            "not a file path. Pass the GeoTIFF/HDF/netCDF path(s), or use the array directly "
            "(a raster from open_landcover already carries its legend)."
        )
    paths = [
        Path(p)
        for p in (
            [path_or_paths] if isinstance(path_or_paths, (str, os.PathLike)) else path_or_paths
        )
    ]
    if not paths:
        raise InputFileError("open_landcover got an empty list of files.")
    for p in paths:
        if p.is_dir():
            raise InputFileError(
                f"Land-cover path {str(p)!r} is a directory; pass the file(s) in it, e.g. "
                "sorted(pathlib.Path(dir).glob('*.tif')) for a mosaic."
            )
        check_input_file(p, "Land-cover")
    return paths


def _one_epoch(paths: Sequence[Path], detected: Sequence[tuple[Any, Any]]) -> set[int]:
    """Return the years the file names give; refuse several (a mosaic of two epochs)."""
    years = sorted({y for _, y in detected if y is not None})
    if len(years) > 1:  # the later tile overwrote the earlier where they overlap
        by_year = {
            y: [p.name for p, (_, yy) in zip(paths, detected, strict=True) if yy == y]
            for y in years
        }
        raise AlignmentError(
            f"open_landcover mosaics tiles of one epoch, but the file names give {len(years)} "
            f"years ({by_year}); open each epoch separately (open_landcover(tiles_2020), "
            "open_landcover(tiles_2021)) and pass them as the start and end of account_sinks."
        )
    return set(years)


def open_landcover(
    path_or_paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    product: str | None = None,
    chunks: Chunks = "auto",
    legend: Legend = None,
) -> xr.DataArray:
    """Open a land-cover raster (or several tiles) lazily with its legend.

    Parameters
    ----------
    path_or_paths : path-like or sequence of path-like
        One file, or tiles of one product and epoch on one pixel lattice (mosaicked
        lazily; missing tiles of the bounding rectangle are filled with nodata: the
        tiles' own, else a code the legend does not map -- the largest of the dtype, 255
        for uint8 -- declared as the mosaic's nodata).
    product : str, optional
        One of :data:`PRODUCTS`; detected from the file name when omitted.
    chunks : int, str or dict, default "auto"
        Dask chunks (rioxarray ``open_rasterio(chunks=)``). ``"auto"`` derives them
        from the file's tiling and the number of cores (:func:`default_chunks`:
        whole blocks, about 8 chunks per core, at most 64 MiB each), so that the zonal
        and sink kernels run on every core without options.
    legend : str, pandas.DataFrame or Mapping[int, str], optional
        Legend override, or the legend of an unrecognised categorical GeoTIFF
        ({code: category}).

    Returns
    -------
    xarray.DataArray
        Dims ``(y, x)``, dask-backed, with ``attrs`` ``product``, ``legend``,
        ``legend_name``, ``nodata``, ``year`` (if known), ``source_files``.

    Raises
    ------
    InputFileError
        File missing or unreadable.
    ProductNotRecognizedError
        Unknown product and no ``legend=``; the message lists the products.
    AlignmentError
        Tiles not on one pixel lattice.

    Examples
    --------
    >>> da = open_landcover("ESA_WorldCover_10m_2021_v200_N00E006_Map.tif")  # doctest: +SKIP
    >>> da.attrs["product"], da.attrs["year"]  # doctest: +SKIP
    ('worldcover', 2021)
    """
    paths = _landcover_paths(path_or_paths)
    detected = [detect_product(p) for p in paths]
    prod = product or detected[0][0]
    if prod is None and legend is None:
        raise ProductNotRecognizedError(
            f"Cannot tell the land-cover product of {paths[0].name!r}. Pass product= one of "
            f"{sorted(PRODUCTS)}, or legend={{code: category}} for any categorical GeoTIFF."
        )
    if prod is not None and prod not in PRODUCTS:
        raise ProductNotRecognizedError(
            f"product={prod!r} is unknown; use one of {sorted(PRODUCTS)} "
            "or omit it and pass legend=."
        )
    years = _one_epoch(paths, detected)
    arrays = []
    for p in paths:
        suf = p.suffix.lower()
        if prod == "modis_mcd12q1" and suf == ".hdf":
            arrays.append(_open_modis_hdf(p, chunks))
        elif prod == "esa_cci_lc" and suf == ".nc":
            arrays.append(_open_cci_netcdf(p, chunks))
        else:
            arrays.append(_open_raster(p, chunks))
    nodata = _tile_nodata(arrays, paths, prod)
    if not np.issubdtype(arrays[0].dtype, np.integer):
        raise InputFileError(
            f"Land cover {paths[0].name!r} has dtype {arrays[0].dtype}; a categorical raster "
            "must hold integer class codes."
        )
    legend_attrs = _legend_attrs(prod, legend)
    classes = {int(c) for c in legend_attrs["flag_values"]}
    da, nodata = (
        (arrays[0], nodata) if len(arrays) == 1 else _mosaic(arrays, paths, nodata, classes)
    )
    keep = {k: v for k, v in da.attrs.items() if k in ("AREA_OR_POINT",)}
    da.attrs = keep
    da.attrs.update(legend_attrs)
    _flags_as_variable_type(da)
    da.attrs.update(
        {
            "product": prod or "user",
            "units": "1",
            "source_files": [str(p) for p in paths],
        }
    )
    if nodata is not None:  # netCDF attributes cannot be None
        da.attrs["nodata"] = nodata
        if prod in _NODATA and nodata != _NODATA[prod] and nodata in set(da.attrs["flag_values"]):
            warnings.warn(
                f"Land cover {str(paths[0])!r} declares nodata {nodata}, which is the "
                f"{prod} class {nodata}: its pixels are dropped as unobserved, not counted "
                f"(the product's nodata is {_NODATA[prod]}). If the file was written with a "
                "wrong nodata, fix it (gdal_edit.py -a_nodata); pass legend= for a user "
                "product.",
                SuspectValueWarning,
                stacklevel=2,
            )
    if nodata is not None:
        da = da.rio.write_nodata(nodata)
    if len(years) == 1:
        da.attrs["year"] = years.pop()
    da.name = "landcover"
    return da
