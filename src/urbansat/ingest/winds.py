"""EDGE: wind input for the flux inversion.

:func:`open_wind` turns any supported wind source into one small normalized
:class:`xarray.Dataset` that :func:`urbansat.inversion.wind.effective_wind`
interpolates to a source location and time:

``eastward_wind``, ``northward_wind`` [m s-1]
    dims: a subset of ``("time", "level", "latitude", "longitude")`` on a
    regular grid, or ``(..., "y", "x")`` with 2-D ``latitude``/``longitude``
    coordinates (COSMO rotated grid, a granule's own met fields), or 0-d for a
    user value.
``level`` coordinate (optional)
    Either ``pressure`` [Pa] (ERA5 pressure levels) or height above ground
    [m] (ERA5 10 m / 100 m, or ERA5 model levels interpolated to fixed heights),
    named by ``attrs["level_type"]``.
``boundary_layer_height`` [m], ``surface_pressure`` [Pa] (optional)
    ERA5 ``blh``, or for model levels diagnosed per grid column from the profile
    (bulk Richardson number, :mod:`urbansat.ingest.era5_levels`).
``wind_speed_uncertainty`` [m s-1] (0-d, optional)
    A user-stated 1-sigma error of the wind speed.
attrs ``wind_source``
    ``"user"``, ``"era5_single_levels"``, ``"era5_pressure_levels"``,
    ``"era5_model_levels"``, ``"cosmo_smartcarb"``, or ``"granule:<product>"``.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import xarray as xr

from urbansat.errors import InputFileError, MissingVariableError, WindError
from urbansat.ingest._locks import open_netcdf
from urbansat.ingest.era5_levels import (
    CRITICAL_RICHARDSON,
    DEFAULT_HEIGHTS_M,
    N_LEVELS_L137,
    boundary_layer_height,
    bulk_richardson_number,
    check_model_levels,
    full_level_heights,
    half_level_pressure,
    interpolate_to_heights,
    virtual_temperature,
)
from urbansat.ingest.units import convert_units
from urbansat.schema.wind import (
    check_sigma,
    check_wind_dataset,
    check_wind_range,
    granule_wind,
    user_wind,
    with_sigmas,
)

__all__ = ["open_wind"]

_M_S = {"units": "m s-1"}
#: A pressure axis without units whose maximum exceeds this is in Pa (ERA5 writes hPa).
_MAX_HPA = 1100.0
#: Plausible surface pressures [Pa] (300-1100 hPa): anything else is a unit or variable mix-up.
_PS_MIN_PA, _PS_MAX_PA = 30000.0, 110000.0


def _m_s(da: xr.DataArray, path: str, name: str) -> np.ndarray:
    """Values of a wind component of a file in m s-1 (its units attribute obeyed, range checked)."""
    values = np.asarray(convert_units(da, "m s-1", file=path, variable=name).values, float)
    return check_wind_range(values, f"'{path}'", name)


def _swath_winds_m_s(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with its ``eastward_wind``/``northward_wind`` converted to m s-1 (units obeyed)."""
    where = str(ds.attrs.get("source_files", "<memory>"))
    comps = {
        name: ds[name].copy(data=_m_s(ds[name], where, name)).assign_attrs(units="m s-1")
        for name in ("eastward_wind", "northward_wind")
        if name in ds
    }
    return ds.assign(comps)


def _rename_time(ds: xr.Dataset) -> xr.Dataset:
    if "valid_time" in ds.dims:
        ds = ds.rename({"valid_time": "time"})
    return ds


def _era5_single(raw: xr.Dataset, path: str) -> xr.Dataset:
    raw = _rename_time(raw)
    levels = [(10.0, "u10", "v10")]
    if "u100" in raw and "v100" in raw:
        levels.append((100.0, "u100", "v100"))
    u = xr.concat([raw[a].copy(data=_m_s(raw[a], path, a)) for _, a, _ in levels], dim="level")
    v = xr.concat([raw[b].copy(data=_m_s(raw[b], path, b)) for _, _, b in levels], dim="level")
    coords = {
        "level": (
            "level",
            [h for h, _, _ in levels],
            {"units": "m", "long_name": "height above ground"},
        )
    }
    out = xr.Dataset(
        {
            "eastward_wind": (u.dims, np.asarray(u.values, float), _M_S),
            "northward_wind": (v.dims, np.asarray(v.values, float), _M_S),
        },
        coords={**{d: raw[d] for d in u.dims if d != "level" and d in raw.coords}, **coords},
        attrs={"wind_source": "era5_single_levels", "level_type": "height", "source_file": path},
    )
    if "blh" in raw:
        out["boundary_layer_height"] = (
            raw["blh"].dims,
            np.asarray(raw["blh"].values, float),
            {"units": "m"},
        )
    if "sp" in raw:
        out["surface_pressure"] = (
            raw["sp"].dims,
            np.asarray(raw["sp"].values, float),
            {"units": "Pa"},
        )
    return out


_PRESSURE_UNITS = {"pa": 1.0, "hpa": 100.0, "mbar": 100.0, "millibar": 100.0, "millibars": 100.0}


def _vertical_dim(raw: xr.Dataset) -> str | None:
    for name in ("model_level", "pressure_level", "level"):
        if name in raw.dims:
            return name
    return None


def _level_kind(raw: xr.Dataset, lev: str, path: str) -> str:
    """``"model"`` or ``"pressure"`` for the vertical coordinate ``lev``, else WindError."""
    if lev == "model_level":
        return "model"
    coord = raw[lev]
    attrs = coord.attrs
    names = f"{attrs.get('long_name', '')} {attrs.get('standard_name', '')}".lower()
    units = str(attrs.get("units", "")).strip().lower()
    if "model" in names or "hybrid" in names:
        return "model"
    if lev == "pressure_level" or units in _PRESSURE_UNITS or "pressure" in names:
        return "pressure"
    vals = np.asarray(coord.values, float)
    whole = vals.size > 0 and np.all(np.isfinite(vals)) and np.all(vals == np.round(vals))
    if whole and vals.min() >= 1 and vals.max() <= N_LEVELS_L137 and units in ("", "1", "~"):
        return "model"  # ERA5 model-level numbers written without attributes
    shown = f"{vals.min():g}..{vals.max():g}" if vals.size else "empty"
    raise WindError(
        f"Wind file {path!r}: coordinate {lev!r} (values {shown}, units "
        f"{attrs.get('units')!r}, long_name {attrs.get('long_name')!r}) is neither pressure "
        "(units hPa or Pa, or a 'pressure' long_name/standard_name) nor ERA5 model levels "
        "(long_name 'model_level_number', whole numbers 1..137); urbansat will not guess. Set "
        f"ds[{lev!r}].attrs['units'] = 'hPa' for pressure levels, or rename it 'model_level' "
        "for model levels, and write the file again."
    )


def _era5_pressure(raw: xr.Dataset, path: str, lev: str) -> xr.Dataset:
    raw = _rename_time(raw).rename({lev: "level"})
    p = np.asarray(raw["level"].values, float)
    units = str(raw["level"].attrs.get("units", "")).strip().lower()
    if units in _PRESSURE_UNITS:
        p = p * _PRESSURE_UNITS[units]
    elif units:
        raise WindError(
            f"Wind file {path!r}: pressure coordinate {lev!r} has units {units!r}; give hPa or Pa."
        )
    else:  # named a pressure but without units: ERA5 writes hPa; a Pa axis exceeds 1100
        p = p * (1.0 if np.nanmax(p) > _MAX_HPA else 100.0)
    out = xr.Dataset(
        {
            "eastward_wind": (raw["u"].dims, _m_s(raw["u"], path, "u"), _M_S),
            "northward_wind": (raw["v"].dims, _m_s(raw["v"], path, "v"), _M_S),
        },
        coords={
            **{d: raw[d] for d in raw["u"].dims if d not in ("level",) and d in raw.coords},
            "level": ("level", p, {"units": "Pa", "long_name": "pressure"}),
        },
        attrs={
            "wind_source": "era5_pressure_levels",
            "level_type": "pressure",
            "source_file": path,
        },
    )
    return out


def _with_surface_pressure(out: xr.Dataset, path: str, spath: str, sraw: xr.Dataset) -> xr.Dataset:
    """Add the surface pressure ``sp`` of a single-level file to pressure-level winds.

    :func:`urbansat.inversion.wind.effective_wind` then averages the plume layer above the
    ground only (ERA5 extrapolates the levels below it).

    Raises
    ------
    WindError
        No ``sp`` in the file, another grid or times, or values outside 300-1100 hPa.
    """
    grid = out["eastward_wind"].isel(level=0, drop=True)
    found = _surface_field([(f"surface file {spath!r}", sraw)], ("sp",), grid)
    if found is None:
        raise WindError(
            f"surface file {spath!r} has no surface pressure 'sp' [Pa]; the pressure-level "
            f"winds of {path!r} need it to leave out the levels below the ground. Download "
            "ERA5 single levels with 'surface_pressure' for the same area and times."
        )
    where, _, ps, units = found
    u = units.strip().lower()
    if u in _PRESSURE_UNITS:
        ps = ps * _PRESSURE_UNITS[u]
    elif u:
        raise WindError(f"{where}: 'sp' has units {units!r}; give Pa or hPa.")
    plausible = (ps > _PS_MIN_PA) & (ps < _PS_MAX_PA)
    if not np.all(plausible):
        raise WindError(
            f"{where}: surface pressure 'sp' has values {ps[~plausible].ravel()[:3]} Pa outside "
            "300-1100 hPa; check that it is in Pa."
        )
    out = out.copy()
    out["surface_pressure"] = (grid.dims, ps, {"units": "Pa"})
    out.attrs["surface_file"] = spath
    return out


def _open_file(path_or_value: str | os.PathLike[str], what: str) -> tuple[Path, xr.Dataset]:
    path = Path(os.fspath(path_or_value))
    if path.is_dir():
        raise InputFileError(
            f"{what} {str(path)!r} is a directory; pass one ERA5 or COSMO netCDF file in it."
        )
    if not path.is_file():
        raise InputFileError(f"{what} {str(path)!r} does not exist. Check the path.")
    try:
        return path, open_netcdf(path)
    except Exception as err:
        raise InputFileError(
            f"{what} {str(path)!r} cannot be opened as netCDF ({err}). "
            "Give an ERA5 or COSMO netCDF."
        ) from err


def _check_heights(heights: Sequence[float] | None) -> np.ndarray:
    if heights is None:
        return DEFAULT_HEIGHTS_M.copy()
    try:
        h = np.asarray(heights, dtype=float)
    except (TypeError, ValueError) as err:
        raise WindError(f"heights={heights!r} must be numbers [m above ground].") from err
    if (
        h.ndim != 1
        or h.size == 0
        or not np.all(np.isfinite(h))
        or np.any(h <= 0)
        or np.any(np.diff(h) <= 0)
    ):
        raise WindError(
            f"heights={heights!r} must be a 1-D, strictly increasing list of heights above "
            "ground > 0 m, e.g. heights=range(50, 3001, 50)."
        )
    return h


def _surface_field(
    sources: list[tuple[str, xr.Dataset]], names: tuple[str, ...], grid: xr.DataArray
) -> tuple[str, str, np.ndarray, str] | None:
    """First of ``names`` in the files: (file, name, values aligned to ``grid``, units)."""
    for where, ds in sources:
        for name in names:
            if name not in ds:
                continue
            da = _rename_time(ds)[name] if "valid_time" in ds.dims else ds[name]
            extra = [d for d in da.dims if d not in grid.dims]
            if any(da.sizes[d] != 1 for d in extra):
                raise WindError(
                    f"{where}: {name!r} has dims {da.dims}; the model-level winds have "
                    f"{grid.dims}. Give {name!r} on the same time/latitude/longitude grid."
                )
            da = da.isel(dict.fromkeys(extra, 0), drop=True)
            for d in da.dims:
                a, b = np.asarray(da[d].values), np.asarray(grid[d].values)
                same = a.shape == b.shape and (
                    np.array_equal(a, b) if a.dtype.kind == "M" else np.allclose(a, b, atol=1e-4)
                )
                if not same:
                    raise WindError(
                        f"{where}: {name!r} is on another {d} grid than the model-level winds "
                        f"({a.size} vs {b.size} values, {a.ravel()[:1]} vs {b.ravel()[:1]}...). "
                        "Download the surface fields for the same area, grid and times."
                    )
            arr = xr.DataArray(np.asarray(da.values, float), dims=da.dims)
            arr = arr.expand_dims([d for d in grid.dims if d not in arr.dims]).transpose(*grid.dims)
            units = str(da.attrs.get("units", ""))
            return where, name, np.broadcast_to(arr.values, grid.shape).copy(), units
    return None


def _era5_model_levels(
    raw: xr.Dataset,
    path: str,
    lev: str,
    surface: tuple[str, xr.Dataset] | None,
    heights: np.ndarray,
) -> xr.Dataset:
    raw = _rename_time(raw)
    missing = [n for n in ("t", "q", "u", "v") if n not in raw]
    if missing:
        raise MissingVariableError(
            f"ERA5 model-level file {path!r} lacks {missing}: the heights of model levels need "
            f"temperature 't' and specific humidity 'q' besides 'u', 'v' (it has "
            f"{sorted(map(str, raw.data_vars))}). Download t, q, u, v on model levels."
        )
    levels = check_model_levels(raw[lev].values, where=f"ERA5 model-level file {path!r}")
    dims = raw["u"].dims
    if lev not in dims or any(raw[n].dims != dims for n in ("t", "q", "v")):
        raise WindError(
            f"ERA5 model-level file {path!r}: t, q, u, v must share the dims of u {dims}."
        )
    axis = dims.index(lev)
    other = tuple(d for d in dims if d != lev)
    grid = raw["u"].isel({lev: -1}, drop=True)
    sources = [(f"ERA5 model-level file {path!r}", raw)]
    if surface is not None:
        sources.append((f"surface file {surface[0]!r}", surface[1]))
    found = _surface_field(sources, ("lnsp", "sp"), grid)
    if found is None:
        raise WindError(
            f"ERA5 model-level file {path!r} has no surface pressure ('lnsp' or 'sp')"
            + (f", nor has the surface file {surface[0]!r}" if surface is not None else "")
            + "; the model levels' pressures p = a + b p_s and heights need it. Pass the "
            f"matching surface file: open_wind({path!r}, surface='...-sfc.nc') holding lnsp "
            "(log of surface pressure) or sp [Pa] on the same grid and time."
        )
    where, name, ps_vals, ps_units = found
    ps = np.exp(ps_vals) if name == "lnsp" else ps_vals
    if name == "sp" and ps_units.strip().lower() in _PRESSURE_UNITS:
        ps = ps * _PRESSURE_UNITS[ps_units.strip().lower()]
    plausible = (ps > _PS_MIN_PA) & (ps < _PS_MAX_PA)
    if not np.all(plausible):
        bad = ps[~plausible].ravel()[:3]
        raise WindError(
            f"{where}: surface pressure from {name!r} has values {bad} Pa outside 300-1100 hPa. "
            "Check that 'lnsp' is ln(Pa) and 'sp' is in Pa."
        )
    fields = {n: np.moveaxis(np.asarray(raw[n].values, float), axis, 0) for n in "tq"}
    fields.update({n: np.moveaxis(_m_s(raw[n], path, n), axis, 0) for n in "uv"})
    p_half = half_level_pressure(levels, ps)
    z, _ = full_level_heights(p_half, fields["t"], fields["q"])
    tv = virtual_temperature(fields["t"], fields["q"])
    ri = bulk_richardson_number(z, tv, fields["u"], fields["v"])
    blh = boundary_layer_height(z, ri)
    u_h = np.moveaxis(interpolate_to_heights(z, fields["u"], heights), 0, axis)
    v_h = np.moveaxis(interpolate_to_heights(z, fields["v"], heights), 0, axis)
    out_dims = tuple("level" if d == lev else d for d in dims)
    out = xr.Dataset(
        {
            "eastward_wind": (out_dims, u_h, {**_M_S, "standard_name": "eastward_wind"}),
            "northward_wind": (out_dims, v_h, {**_M_S, "standard_name": "northward_wind"}),
            "boundary_layer_height": (
                other,
                blh,
                {
                    "units": "m",
                    "long_name": "boundary-layer height above ground diagnosed from the profile",
                    "method": "bulk Richardson number Ri_b(z) = g (z - z_s) (s_v(z) - s_v,s) "
                    "/ (c_pd T_v(z)) / max(|V(z)|^2, 0.01 m2 s-2), s_v = c_pd T_v + g z, first "
                    f"exceeding {CRITICAL_RICHARDSON} above the lowest model level s, linear in "
                    "Ri_b between levels: the ECMWF IFS diagnostic of ERA5 'blh' (routine "
                    "VDFDPBL, after Seidel et al. 2012, JGR 117, D17106), here on the model "
                    "levels in the file",
                    "missing": "NaN where Ri_b stays below the critical value up to the "
                    "highest model level in the file",
                },
            ),
            "surface_pressure": (
                other,
                ps,
                {"units": "Pa", "standard_name": "surface_air_pressure"},
            ),
        },
        coords={
            **{d: raw[d] for d in other if d in raw.coords},
            "level": (
                "level",
                heights,
                {"units": "m", "long_name": "height above ground", "positive": "up"},
            ),
        },
        attrs={
            "wind_source": "era5_model_levels",
            "level_type": "height",
            "source_file": path,
            "surface_file": "" if surface is None else surface[0],
            "model_levels": f"{levels[0]}-{levels[-1]}",
            "vertical_method": "IFS L137 half-level pressures p = a + b p_s (ECMWF L137 table), "
            "full-level heights by the IFS hypsometric discretisation with virtual temperature "
            "(IFS Documentation Part III, eqs. 2.21-2.23), winds interpolated linearly in "
            "height to the fixed 'level' heights (NaN outside the model levels)",
        },
    )
    return out


def _named_variables(raw: xr.Dataset, path: str, variables: object) -> tuple[str, str]:
    """Check ``variables=`` (the u and v names of a wind file) against the file."""
    if (
        isinstance(variables, (str, bytes))
        or not isinstance(variables, Sequence)
        or len(variables) != 2  # noqa: PLR2004 - u and v
        or not all(isinstance(v, str) for v in variables)
    ):
        raise WindError(
            f"variables={variables!r} must be the two names (u, v) of the eastward and "
            f"northward wind in {path!r}, e.g. variables=('u_wind', 'v_wind')."
        )
    ukey, vkey = variables
    missing = [k for k in (ukey, vkey) if k not in raw.data_vars]
    if missing:
        raise MissingVariableError(
            f"variables={variables!r}: {missing} not in wind file {path!r}; it has "
            f"{sorted(map(str, raw.data_vars))}."
        )
    for k in (ukey, vkey):
        if raw[k].ndim < 2:  # noqa: PLR2004 - a field has (y, x) at least
            raise MissingVariableError(
                f"{k!r} in wind file {path!r} has dims {raw[k].dims}, not a gridded (y, x) "
                "field; give the names of the u and v wind fields."
            )
    if raw[ukey].dims != raw[vkey].dims:
        raise WindError(
            f"{ukey!r} {raw[ukey].dims} and {vkey!r} {raw[vkey].dims} in {path!r} are not on "
            "the same grid; give the u and v of one wind."
        )
    return ukey, vkey


def _lat_lon_2d(
    raw: xr.Dataset, path: str, ydim: Hashable, xdim: Hashable
) -> tuple[np.ndarray, np.ndarray]:
    """Return the 2-D (y, x) latitude and longitude of a wind field's grid.

    Curvilinear grids (COSMO) carry 2-D ``lat``/``lon``; regular ones (a CF file, ERA5
    from another tool) 1-D coordinates on the two horizontal dims, broadcast here.
    """
    names = [
        next((n for n in cands if n in raw.variables), None)
        for cands in (("lat", "latitude"), ("lon", "longitude"))
    ]
    if names[0] is None or names[1] is None:
        raise MissingVariableError(
            f"Wind file {path!r} has no lat/latitude and lon/longitude coordinates for its "
            f"grid ({ydim}, {xdim}); add them."
        )
    lat, lon = raw[names[0]], raw[names[1]]
    if lat.dims == (ydim, xdim) and lon.dims == (ydim, xdim):
        return np.asarray(lat.values, float), np.asarray(lon.values, float)
    if lat.dims == (ydim,) and lon.dims == (xdim,):
        lon2, lat2 = np.meshgrid(np.asarray(lon.values, float), np.asarray(lat.values, float))
        return lat2, lon2
    raise WindError(
        f"Wind file {path!r}: {names[0]} {lat.dims} and {names[1]} {lon.dims} do not span the "
        f"wind's grid ({ydim}, {xdim}); give 2-D (y, x) or 1-D ({ydim},) and ({xdim},) "
        "coordinates."
    )


def _cosmo(raw: xr.Dataset, path: str, ukey: str, vkey: str) -> xr.Dataset:
    u = raw[ukey]
    dims = u.dims
    ydim, xdim = dims[-2], dims[-1]
    lat, lon = _lat_lon_2d(raw, path, ydim, xdim)
    new_dims = tuple({ydim: "y", xdim: "x"}.get(d, d) for d in dims)
    out = xr.Dataset(
        {
            "eastward_wind": (new_dims, _m_s(u, path, ukey), _M_S),
            "northward_wind": (new_dims, _m_s(raw[vkey], path, vkey), _M_S),
        },
        coords={
            "latitude": (("y", "x"), lat),
            "longitude": (("y", "x"), lon),
            **({"time": raw["time"].values} if "time" in dims else {}),
        },
        attrs={
            "wind_source": "cosmo_smartcarb",
            "source_file": path,
            "note": f"{ukey}/{vkey}: wind averaged with the vertical emission profile of the "
            "source category (SMARTCARB GNFR A = public power), the effective plume wind.",
        },
    )
    return out


def _open_wind_file(
    path_or_value: str | os.PathLike[str],
    *,
    variables: tuple[str, str] | None,
    surface: str | os.PathLike[str] | None,
    heights: Sequence[float] | None,
) -> xr.Dataset:
    """Open a wind netCDF file of one of the kinds :func:`open_wind` reads."""
    h = _check_heights(heights)
    path, raw = _open_file(path_or_value, "Wind file")
    with raw:
        lev = _vertical_dim(raw)
        kind = None
        if variables is None and "u" in raw and "v" in raw and lev is not None:
            kind = _level_kind(raw, lev, str(path))
        if surface is not None and kind not in ("model", "pressure"):
            raise WindError(
                f"surface={os.fspath(surface)!r} is only used with ERA5 model- or "
                f"pressure-level files; {str(path)!r} is neither. Drop surface=."
            )
        if variables is not None:
            out = _cosmo(raw, str(path), *_named_variables(raw, str(path), variables))
            out.attrs["wind_source"] = "file"
        elif "u10" in raw and "v10" in raw:
            out = _era5_single(raw, str(path))
        elif kind == "model" and lev is not None:
            if surface is None:
                out = _era5_model_levels(raw, str(path), lev, None, h)
            else:
                spath, sraw = _open_file(surface, "ERA5 surface file")
                with sraw:
                    out = _era5_model_levels(raw, str(path), lev, (str(spath), sraw), h)
        elif kind == "pressure" and lev is not None:
            out = _era5_pressure(raw, str(path), lev)
            if surface is not None:
                spath, sraw = _open_file(surface, "ERA5 surface file")
                with sraw:
                    out = _with_surface_pressure(out, str(path), str(spath), sraw)
        elif "U_GNFR_A" in raw and "V_GNFR_A" in raw:
            out = _cosmo(raw, str(path), "U_GNFR_A", "V_GNFR_A")
        else:
            raise MissingVariableError(
                f"Wind file {str(path)!r} holds none of u10/v10 (ERA5 single levels), u/v on "
                f"pressure_level (ERA5 pressure levels), t/q/u/v on model levels (ERA5 model "
                f"levels) or U_GNFR_A/V_GNFR_A (COSMO); it has "
                f"{sorted(map(str, raw.data_vars))}. Pass variables=('u_name', 'v_name')."
            )
    return out


def open_wind(
    path_or_value: str | os.PathLike[str] | Sequence[float] | Mapping[str, float] | xr.Dataset,
    *,
    sigma: float | None = None,
    direction_sigma: float | None = None,
    variables: tuple[str, str] | None = None,
    surface: str | os.PathLike[str] | None = None,
    heights: Sequence[float] | None = None,
) -> xr.Dataset:
    r"""Open a wind source as a small normalized wind dataset.

    Parameters
    ----------
    path_or_value : path, (u, v[, sigma]), mapping or xarray.Dataset
        * a netCDF file: ERA5 single levels (``u10``/``v10``[/``u100``/``v100``,
          ``blh``, ``sp``]), ERA5 pressure levels (``u``/``v`` on ``pressure_level``,
          or on ``level`` with pressure units), ERA5 model levels (``t``, ``q``, ``u``,
          ``v`` on ``model_level``, or on ``level`` with long_name
          ``model_level_number`` or whole numbers 1..137 without units; see below),
          or SMARTCARB COSMO (``U_GNFR_A``/``V_GNFR_A`` with 2-D ``lon``/``lat``);
        * a user value ``(u, v)`` or ``(u, v, sigma)`` [m s-1], or a mapping
          with keys ``u``, ``v`` or ``speed`` [m s-1], ``direction`` [degree the wind
          blows from, clockwise from north], and optional ``sigma`` [m s-1] and
          ``direction_sigma`` [degree] (:func:`urbansat.schema.wind.user_wind`);
        * a normalized swath carrying ``eastward_wind``/``northward_wind``
          (the granule's own 10 m met fields).
    sigma : float, optional
        1-sigma wind-speed error [m s-1] to attach (a user value that carries its own
        must agree with it; a file's or swath's own is replaced).
    direction_sigma : float, optional
        1-sigma wind-direction error [degree] to attach (``wind_from_direction_uncertainty``);
        :func:`urbansat.estimate_emissions` propagates it by re-running each method with the
        wind turned by +- this angle.
    variables : (str, str), optional
        Names of the u and v variables in a file that is none of the above.
    surface : path, optional
        ERA5 surface file for a model-level file that lacks the surface pressure
        (ddeq's ``*_ERA5-sfc-*.nc``): ``lnsp`` (ln of surface pressure in Pa) or ``sp``
        [Pa] on the same grid and times. Only for model-level files.
    heights : sequence of float, optional
        Output heights above ground [m] for model-level files; default every 50 m
        from 50 to 3000 m (:data:`urbansat.ingest.era5_levels.DEFAULT_HEIGHTS_M`).

    Returns
    -------
    xarray.Dataset
        The normalized wind (see module docstring). The input is not modified.

    Raises
    ------
    WindError
        Non-finite user values, a swath without wind, a vertical ``level`` coordinate
        that is neither pressure nor model levels, a model-level file without surface
        pressure (pass ``surface=``), ``surface=`` for another kind of file, or
        ``surface=``, ``heights=`` or ``variables=`` with a wind that is not a file.
    InputFileError
        The file is missing or not netCDF.
    MissingVariableError
        The file holds no recognisable wind variables (or a model-level file lacks
        ``t``/``q``).

    Notes
    -----
    ERA5 model levels (``wind_source="era5_model_levels"``) are converted to the
    height wind of :mod:`urbansat.ingest.era5_levels`:

    1. half-level pressures :math:`p_{k+1/2} = a_{k+1/2} + b_{k+1/2} p_s` with the
       ECMWF L137 coefficients;
    2. full-level heights above ground by the IFS hypsometric discretisation with the
       virtual temperature :math:`T_v = T (1 + (1/\epsilon - 1) q)`;
    3. ``u``, ``v`` interpolated linearly in height to ``heights`` (``level`` [m],
       ``level_type="height"``);
    4. ``boundary_layer_height`` [m] per grid column where the bulk Richardson number
       (reference: the lowest model level; wind relative to the ground, floored at
       (0.1 m s-1)^2) first exceeds 0.25, linear between levels: the IFS diagnostic of
       ERA5 ``blh`` (Seidel et al. 2012); NaN where the profile in the file ends first.

    Examples
    --------
    >>> w = open_wind((3.0, -4.0, 1.0))
    >>> float(w.eastward_wind), float(w.wind_speed_uncertainty)
    (3.0, 1.0)
    """
    sigma = check_sigma(sigma)
    direction_sigma = check_sigma(direction_sigma, what="Wind direction_sigma", unit="degree")
    if surface is not None and not isinstance(path_or_value, (str, os.PathLike)):
        raise WindError(
            "surface= is the ERA5 surface file of an ERA5 model-level wind file; give the "
            f"model-level file's path as the wind, not a {type(path_or_value).__name__}."
        )
    for name, given, applies in (
        ("heights", heights, "the output heights of an ERA5 model-level wind file"),
        ("variables", variables, "the u and v variable names of a wind file"),
    ):
        if given is not None and not isinstance(path_or_value, (str, os.PathLike)):
            raise WindError(  # they were ignored without a word
                f"{name}= is {applies}; it does not apply to a "
                f"{type(path_or_value).__name__} wind. Drop {name}=, or give a file's path."
            )
    if isinstance(path_or_value, xr.Dataset) and "wind_source" in path_or_value.attrs:
        # already a normalized wind (from open_wind), perhaps edited since: checked, as is
        return with_sigmas(check_wind_dataset(path_or_value), sigma, direction_sigma)
    if isinstance(path_or_value, xr.Dataset):
        return with_sigmas(granule_wind(_swath_winds_m_s(path_or_value)), sigma, direction_sigma)
    if isinstance(path_or_value, Mapping) or (
        isinstance(path_or_value, Sequence) and not isinstance(path_or_value, (str, bytes))
    ):
        value = cast("Sequence[float] | Mapping[str, float]", path_or_value)  # not a Dataset
        return user_wind(value, sigma=sigma, direction_sigma=direction_sigma)
    if not isinstance(path_or_value, (str, os.PathLike)):
        raise WindError(
            f"open_wind got {type(path_or_value).__name__} {path_or_value!r}, which is not a wind: "
            "a speed alone has no direction. Give (u, v) or (u, v, sigma) in m s-1 "
            "(e.g. open_wind((3.0, -4.0, 1.0))), a mapping {'u': ..., 'v': ...} or "
            "{'speed': ..., 'direction': ...}, "
            "a wind netCDF path or a swath with eastward_wind."
        )
    out = _open_wind_file(path_or_value, variables=variables, surface=surface, heights=heights)
    return with_sigmas(_known_dims(out, str(path_or_value)), sigma, direction_sigma)


#: Dimensions of a normalized wind field (time, levels, a regular or a 2-D grid).
_WIND_DIMS = frozenset({"time", "level", "latitude", "longitude", "y", "x"})


def _known_dims(out: xr.Dataset, path: str) -> xr.Dataset:
    """Drop length-1 extra dimensions; refuse others (an ensemble ``number``, ``expver``).

    An ERA5 ensemble (``number``) or the ERA5/ERA5T ``expver`` axis reached the consumer,
    which failed with xarray's raw transpose error naming neither the file nor the fix.
    """
    extra = [d for d in out["eastward_wind"].dims if d not in _WIND_DIMS]
    many = [d for d in extra if out.sizes[d] > 1]
    if many:
        d = many[0]
        raise WindError(
            f"Wind file {path!r} has the extra dimension {d!r} of {out.sizes[d]} values "
            "(an ensemble 'number', or ERA5/ERA5T 'expver'); urbansat takes one wind field. "
            f"Select one first and save it, e.g. ds.sel({d}=...) or ds.mean({d!r}) for an "
            "ensemble, ds.max('expver') to merge ERA5 and ERA5T."
        )
    return out.isel(dict.fromkeys(extra, 0), drop=True) if extra else out
