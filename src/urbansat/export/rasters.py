"""EDGE: write the per-pixel carbon maps of :func:`urbansat.carbon_maps` as GeoTIFF or COG.

The maps are computed by the pure :mod:`urbansat.sinks.maps`; this module only writes them,
each file atomically (:func:`urbansat.export.atomic_write`) and never over an input.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from urbansat.errors import ConfigError, OutputPathError
from urbansat.export import atomic_write
from urbansat.schema.flags import require_flag

__all__ = ["write_carbon_maps"]

#: rasterio's GTiff writer is not thread-safe across dask chunks of one file.
_WRITE_LOCK = threading.Lock()


def _checked_request(out_dir: Path, variables: Any) -> list[str] | None:
    """Refuse a directory that is a file and an empty selection; one name is a list of one."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputPathError(  # was os.makedirs' FileExistsError
            f"directory={str(out_dir)!r} exists and is not a directory; give a directory for "
            "the GeoTIFFs (it is created if missing)."
        )
    if isinstance(variables, str):  # one name, not its letters
        variables = [variables]
    if variables is not None and not list(variables):
        raise ConfigError(
            "variables=[] selects no map to write; omit it for every map, or name some, e.g. "
            "variables=['stock_change']."
        )
    return None if variables is None else list(variables)


def write_carbon_maps(
    maps: xr.Dataset,
    directory: str | os.PathLike[str],
    *,
    variables: Sequence[str] | None = None,
    cog: bool = False,
    inputs: Sequence[str | os.PathLike[str]] = (),
    overwrite: bool = True,
) -> dict[str, Path]:
    """Write carbon maps as GeoTIFF (tiled, DEFLATE) or COG, one file per map, atomically.

    Parameters
    ----------
    maps : xarray.Dataset
        From :func:`urbansat.carbon_maps`.
    directory : path-like
        Output directory; files are ``<variable>.tif`` and ``<pool>_<epoch>.tif``.
    variables : sequence of str, optional
        Default: every 2-D map plus the pools.
    cog : bool
        Cloud-optimised GeoTIFF (GDAL ``COG`` driver; computes each map in memory) instead
        of a tiled GeoTIFF written block by block from the dask chunks.
    inputs : sequence of path-like
        Paths that must not be overwritten (added to the land-cover sources in
        ``maps.attrs["inputs"]``).
    overwrite : bool
        Replace existing outputs (never inputs).

    Returns
    -------
    dict
        Variable (or ``<pool>_<epoch>``) -> written path.

    Raises
    ------
    OutputPathError
        An output would overwrite an input, or exists with ``overwrite=False``.
    """
    cog = require_flag("cog", cog)
    overwrite = require_flag("overwrite", overwrite)
    out_dir = Path(directory)
    variables = _checked_request(out_dir, variables)
    protected = {Path(p).resolve() for p in inputs}
    protected |= {Path(p).resolve() for p in str(maps.attrs.get("inputs", "")).split(";") if p}
    names = (
        list(variables)
        if variables is not None
        else [v for v in maps.data_vars if maps[v].dims == ("y", "x")]
        + ["pool_density_start", "pool_density_end"]
    )
    jobs: list[tuple[str, xr.DataArray]] = []
    for name in names:
        if name not in maps:
            raise ConfigError(
                f"No map {name!r} to write; available: {sorted(map(str, maps.data_vars))}."
            )
        da = maps[name]
        if "pool" in da.dims:
            epoch = str(name).rsplit("_", 1)[-1]
            jobs.extend(
                (f"{p}_{epoch}", da.sel(pool=p, drop=True)) for p in da["pool"].to_numpy().tolist()
            )
        else:
            jobs.append((str(name), da))
    paths = {key: out_dir / f"{key}.tif" for key, _ in jobs}
    for key, path in paths.items():
        if path.resolve() in protected:
            raise OutputPathError(
                f"Writing map {key!r} to {str(path)!r} would overwrite an input of this run; "
                "choose another directory."
            )
        if path.exists() and not overwrite:
            raise OutputPathError(
                f"{str(path)!r} exists; pass overwrite=True or another directory."
            )
    written: dict[str, Path] = {}
    for key, var in jobs:
        da = var.astype("float32").rio.write_nodata(np.nan, encoded=False)
        da.attrs = {k: v for k, v in da.attrs.items() if isinstance(v, (str, int, float))}
        with atomic_write(paths[key]) as tmp:
            if cog:
                da.load().rio.to_raster(tmp, driver="COG", compress="DEFLATE")
            else:
                da.rio.to_raster(
                    tmp,
                    driver="GTiff",
                    tiled=True,
                    compress="DEFLATE",
                    lock=_WRITE_LOCK,
                    windowed=True,
                )
        written[key] = paths[key]
    return written
