"""Per-pixel carbon maps: InVEST's storage and change rasters, lazily, and their writer.

For land-cover code ``k`` with pool densities ``c_p(k)`` [t C ha-1] (the same resolved
factor rows as :func:`urbansat.account_sinks`), each pixel of epoch ``e`` gets

* ``pool_density_e[p] = c_p(k_e)`` [t C ha-1] (InVEST ``c_above_bas.tif`` ...),
* ``density_e = sum_p c_p(k_e)`` [t C ha-1] (InVEST ``c_storage_bas.tif`` / ``_alt``),
* ``density_change = density_end - density_start`` (InVEST ``c_change_bas_alt.tif``),
* ``stock_e = density_e x a / 10^4`` [t C per pixel], ``a`` the pixel's true area [m2]
  (:func:`urbansat.spatial.areas.row_areas`: ellipsoidal in a geographic CRS, map area in
  a projected one), the weighting of the per-boundary tables, so the map sums equal the
  table's totals over the whole raster;
* with a :class:`~urbansat.sinks.valuation.Valuation`, ``npv_density = density_change x K``
  (InVEST ``npv_alt.tif``) and ``npv = stock_change x K``, ``K`` the valuation constant.

Pixels whose class is nodata in either epoch are NaN in every map (the tables count them
as unobserved area). Everything is lazy (dask) until written or computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import dask.array as dsa
import numpy as np
import pandas as pd
import pyproj
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from urbansat.errors import ConfigError, FactorError
from urbansat.sinks.factors import PARAMETERS, POOLS, FactorTable, as_factor_table, resolve_factors
from urbansat.sinks.legends import check_codes
from urbansat.sinks.valuation import Valuation

__all__ = ["carbon_maps"]


def _lookup(
    block: np.ndarray, codes: np.ndarray, values: np.ndarray, legend: pd.DataFrame | None = None
) -> np.ndarray:
    """``values[i]`` where ``block == codes[i]``; NaN for codes not in ``codes``.

    With ``legend`` a code outside ``codes`` is refused instead (``check_codes``'s
    LegendError, raised when the block is computed): the maps stay lazy, and an unmapped
    class is never a silent NaN (a quarter of a raster vanished from the sum).
    """
    b = np.asarray(block).astype("int64")
    i = np.clip(np.searchsorted(codes, b), 0, len(codes) - 1)
    out = values[i]
    miss = codes[i] != b
    if legend is not None and miss.any():
        check_codes(np.unique(b[miss]), legend, where="the land cover given to carbon_maps")
    out[miss] = np.nan
    return out


def _mapped(
    src: dsa.Array, codes: np.ndarray, values: np.ndarray, legend: pd.DataFrame | None = None
) -> dsa.Array:
    """Lazy per-block :func:`_lookup` of ``src``."""
    out = dsa.map_blocks(_lookup, src, codes, values, legend, dtype="float64")  # type: ignore[no-untyped-call]
    return cast(dsa.Array, out)


def _as_dask(da: xr.DataArray) -> dsa.Array:
    data = da.data
    if isinstance(data, dsa.Array):
        return data
    chunks = (min(2048, da.shape[0]), min(2048, da.shape[1]))
    return cast(dsa.Array, dsa.from_array(np.asarray(data), chunks=chunks))  # type: ignore[no-untyped-call]


def _source(da: xr.DataArray) -> str | None:
    src = da.encoding.get("source") or da.attrs.get("source_path")
    return str(src) if src else None


def carbon_maps(  # noqa: PLR0913 - public API: the two epochs, then keyword-only options
    landcover_start: xr.DataArray,
    landcover_end: xr.DataArray,
    *,
    factors: str | FactorTable | pd.DataFrame = "ipcc2019",
    climate_zone: str | None = None,
    legend: Any = None,
    pools: Sequence[str] = POOLS,
    align_to: Any = None,
    valuation: Valuation | Mapping[str, Any] | None = None,
    years: float | None = None,
) -> xr.Dataset:
    """Lazy per-pixel carbon maps of two epochs (module docstring for the equations).

    Parameters
    ----------
    landcover_start, landcover_end : xarray.DataArray
        Categorical land cover on one grid (as for :func:`urbansat.account_sinks`).
    factors : str, FactorTable or pandas.DataFrame
        One factor table (a name, an InVEST pools table, a long table).
    climate_zone : str, optional
        Zone of zone-specific factor rows.
    legend : optional
        Code -> category legend (default from the arrays' attributes).
    pools : sequence of str
        Pools summed into the storage maps (default the four InVEST pools).
    align_to : {"start", "end"} or xarray.DataArray, optional
        As in :func:`urbansat.account_sinks`.
    valuation : Valuation or Mapping, optional
        ``{"price": ..., "discount_rate": ..., "rate_change": ...}`` (InVEST's units:
        price per t C, rates in %); adds ``npv`` and ``npv_density``.
    years : float, optional
        Years between the epochs (needed with ``valuation``; default from ``year`` attrs).

    Returns
    -------
    xarray.Dataset
        Dask-backed ``pool_density_start/end`` (pool, y, x) and ``density_start/end``,
        ``density_change`` [t C ha-1]; ``stock_start/end``, ``stock_change`` [t C];
        ``pixel_area`` (y) [ha]; optional ``npv`` / ``npv_density``; CRS written with rioxarray.

        Classes whose table lacks a pool are NaN (listed in ``attrs["codes_without_pools"]``),
        as the tables' stocks are.

    Raises
    ------
    FactorError
        ``factors`` given per boundary.
    ConfigError
        ``valuation`` without positive ``years``.
    """
    from urbansat.sinks.account import _epochs_legend, _with_nodata, checked_epochs
    from urbansat.sinks.accounting import check_pools
    from urbansat.spatial.areas import row_areas
    from urbansat.spatial.grid import GridSpec
    from urbansat.spatial.weights import warn_if_not_equal_area

    pools = check_pools(pools)
    # the checks of account_sinks: one band, integer codes, epochs in order on one grid, a
    # GeoTransform that agrees with the coordinates, years= against the year attributes
    landcover_start, landcover_end, years = checked_epochs(
        landcover_start, landcover_end, align_to, years, need_years=valuation is not None
    )
    warn_if_not_equal_area(GridSpec.from_dataarray(landcover_start, name="landcover_start"))
    lg = _with_nodata(
        _epochs_legend(landcover_start, landcover_end, legend), landcover_start, landcover_end
    )
    if isinstance(factors, Mapping):
        raise FactorError(
            "carbon_maps takes one factor table; per-boundary tables apply to account_sinks only."
        )
    table = as_factor_table(factors)
    codes = np.asarray(sorted(int(c) for c in lg.index), dtype="int64")
    res = resolve_factors(table, lg, codes, climate_zone)
    observed = np.array([lg.loc[c, "category"] != "nodata" for c in codes])
    pidx = [PARAMETERS.index(p) for p in pools]
    dens = res.value[:, pidx].astype("float64")
    dens[~observed] = np.nan
    lacking = [
        int(c)
        for c, row, ok in zip(codes, dens, observed, strict=True)
        if ok and not np.isfinite(row).all()
    ]
    valid = observed.astype("float64")
    valid[~observed] = np.nan
    s = _as_dask(landcover_start)
    e = _as_dask(landcover_end)
    mask = _mapped(s, codes, valid, lg) * _mapped(e, codes, valid, lg)
    transform = landcover_start.rio.transform()
    crs = landcover_start.rio.crs
    area_ha = row_areas(transform, pyproj.CRS.from_user_input(crs), landcover_start.shape[0]) / 1e4
    area_da = xr.DataArray(
        area_ha,
        dims=("y",),
        coords={"y": landcover_start["y"]},
        attrs={"units": "ha", "long_name": "true area of a pixel (per row)"},
    )
    yx = {"y": landcover_start["y"], "x": landcover_start["x"]}

    def pool_stack(src: dsa.Array) -> dsa.Array:
        layers = [_mapped(src, codes, dens[:, k].copy()) * mask for k in range(len(pools))]
        return cast(dsa.Array, dsa.stack(layers))  # type: ignore[no-untyped-call]

    ps, pe = pool_stack(s), pool_stack(e)
    coords = {"pool": list(pools), **yx}
    dims3 = ("pool", "y", "x")
    tcha = "t C ha-1"
    ds = xr.Dataset(
        {
            "pool_density_start": (
                dims3,
                ps,
                {"units": tcha, "long_name": "carbon density per pool, start epoch"},
            ),
            "pool_density_end": (
                dims3,
                pe,
                {"units": tcha, "long_name": "carbon density per pool, end epoch"},
            ),
            "pixel_area": area_da,
        },
        coords=coords,
    )
    _add_storage(ds, area_da)
    attrs: dict[str, Any] = {
        "factors": table.label,
        "climate_zone": str(climate_zone),
        "pools": ",".join(pools),
        "inputs": ";".join(p for p in (_source(landcover_start), _source(landcover_end)) if p),
        "epochs": f"{landcover_start.attrs.get('year', 'start')}/"
        f"{landcover_end.attrs.get('year', 'end')}",
        "Conventions": "CF-1.8",
        "codes_without_pools": ",".join(map(str, lacking)),
    }
    if valuation is not None:
        attrs.update(_add_npv(ds, valuation, years, landcover_start, landcover_end))
    elif years is not None:  # it would be ignored: the maps do not depend on it
        raise ConfigError(
            f"years={years!r} is used only with valuation= (the NPV); the carbon maps do not "
            "depend on it. Drop years=, or pass valuation={'price': ...}."
        )
    ds.attrs.update(attrs)
    ds = ds.rio.write_crs(crs).rio.write_transform(transform)
    for v in ds.data_vars:
        if {"y", "x"} <= set(ds[v].dims):
            ds[v] = ds[v].rio.write_nodata(np.nan, encoded=False)
    return cast(xr.Dataset, ds)


def _add_storage(ds: xr.Dataset, area_da: xr.DataArray) -> None:
    """Add the storage densities, their change and the per-pixel stocks to ``ds``."""
    tcha = "t C ha-1"
    ds["density_start"] = (
        ds["pool_density_start"]
        .sum("pool", skipna=False)
        .assign_attrs(
            units=tcha, long_name="carbon storage density, start epoch (InVEST c_storage_bas)"
        )
    )
    ds["density_end"] = (
        ds["pool_density_end"]
        .sum("pool", skipna=False)
        .assign_attrs(
            units=tcha, long_name="carbon storage density, end epoch (InVEST c_storage_alt)"
        )
    )
    ds["density_change"] = (ds["density_end"] - ds["density_start"]).assign_attrs(
        units=tcha, long_name="carbon storage change, end - start (InVEST c_change_bas_alt)"
    )
    for name, src, what in (
        ("stock_start", "density_start", "carbon stock per pixel, start epoch"),
        ("stock_end", "density_end", "carbon stock per pixel, end epoch"),
        ("stock_change", "density_change", "carbon stock change per pixel, end - start"),
    ):
        ds[name] = (ds[src] * area_da).assign_attrs(
            units="t C", long_name=what, cell_methods="area: sum"
        )


def _add_npv(
    ds: xr.Dataset,
    valuation: Valuation | Mapping[str, Any],
    years: float | None,
    landcover_start: xr.DataArray,
    landcover_end: xr.DataArray,
) -> dict[str, Any]:
    """Add ``npv_density`` and ``npv`` to ``ds``; return the valuation attributes.

    Raises
    ------
    ConfigError
        Without ``years`` when the land-cover arrays carry no ``year`` attribute.
    """
    val = Valuation.from_mapping(valuation)
    if years is None:  # checked_epochs derives it whenever there is a valuation
        raise ConfigError(
            "valuation needs years=: the land-cover arrays carry no 'year' attribute."
        )
    k = val.constant(float(years))
    ds["npv_density"] = (ds["density_change"] * k).assign_attrs(
        units=f"{val.currency} ha-1",
        long_name="net present value of the carbon change (InVEST npv_alt)",
    )
    ds["npv"] = (ds["stock_change"] * k).assign_attrs(
        units=val.currency, long_name="net present value of the carbon change per pixel"
    )
    return {"valuation": val.describe(float(years)), "valuation_constant": k}
