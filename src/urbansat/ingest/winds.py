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
    [m] (ERA5 10 m / 100 m), named by ``attrs["level_type"]``.
``boundary_layer_height`` [m], ``surface_pressure`` [Pa] (optional)
``wind_speed_uncertainty`` [m s-1] (0-d, optional)
    A user-stated 1-sigma error of the wind speed.
attrs ``wind_source``
    ``"user"``, ``"era5_single_levels"``, ``"era5_pressure_levels"``,
    ``"cosmo_smartcarb"``, or ``"granule:<product>"``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import xarray as xr

from urbansat.errors import InputFileError, MissingVariableError, WindError
from urbansat.ingest._locks import open_netcdf

__all__ = ["open_wind"]

_M_S = {"units": "m s-1"}


def _user_wind(u: float, v: float, sigma: float | None) -> xr.Dataset:
    u, v = float(u), float(v)
    if not (np.isfinite(u) and np.isfinite(v)):
        raise WindError(f"User wind (u={u}, v={v}) is not finite. Give finite u, v in m s-1.")
    ds = xr.Dataset(
        {
            "eastward_wind": ((), u, {**_M_S, "standard_name": "eastward_wind"}),
            "northward_wind": ((), v, {**_M_S, "standard_name": "northward_wind"}),
        },
        attrs={"wind_source": "user"},
    )
    if sigma is not None:
        ds["wind_speed_uncertainty"] = ((), float(sigma), {**_M_S})
    return ds


def _check_sigma(sigma: float | None) -> float | None:
    if sigma is None:
        return None
    sigma = float(sigma)
    if not np.isfinite(sigma) or sigma < 0:
        raise WindError(f"Wind sigma={sigma!r} must be a finite value >= 0 in m s-1.")
    return sigma


def _from_granule(ds: xr.Dataset, sigma: float | None) -> xr.Dataset:
    for name in ("eastward_wind", "northward_wind"):
        if name not in ds:
            raise WindError(
                f"Swath from {ds.attrs.get('source_files', '<memory>')} carries no {name!r}; "
                "pass an ERA5/COSMO file or a user value, e.g. open_wind((u, v, sigma))."
            )
    out = xr.Dataset(
        {
            "eastward_wind": (("y", "x"), np.asarray(ds["eastward_wind"].values, float), _M_S),
            "northward_wind": (("y", "x"), np.asarray(ds["northward_wind"].values, float), _M_S),
        },
        coords={
            "latitude": (("y", "x"), np.asarray(ds["latitude"].values, float)),
            "longitude": (("y", "x"), np.asarray(ds["longitude"].values, float)),
        },
        attrs={"wind_source": f"granule:{ds.attrs.get('product', 'unknown')} 10 m"},
    )
    if "time" in ds.variables:
        t = np.asarray(ds["time"].values).ravel()
        t = t[~np.isnat(t)] if t.dtype.kind == "M" else t
        if t.size:
            out = out.assign_coords(time=t.min() + (t.max() - t.min()) / 2)
    if sigma is not None:
        out["wind_speed_uncertainty"] = ((), sigma, _M_S)
    return out


def _rename_time(ds: xr.Dataset) -> xr.Dataset:
    if "valid_time" in ds.dims:
        ds = ds.rename({"valid_time": "time"})
    return ds


def _era5_single(raw: xr.Dataset, path: str) -> xr.Dataset:
    raw = _rename_time(raw)
    levels = [(10.0, "u10", "v10")]
    if "u100" in raw and "v100" in raw:
        levels.append((100.0, "u100", "v100"))
    u = xr.concat([raw[a] for _, a, _ in levels], dim="level")
    v = xr.concat([raw[b] for _, _, b in levels], dim="level")
    coords = {"level": ("level", [h for h, _, _ in levels], {"units": "m", "long_name": "height above ground"})}
    out = xr.Dataset(
        {
            "eastward_wind": (u.dims, np.asarray(u.values, float), _M_S),
            "northward_wind": (v.dims, np.asarray(v.values, float), _M_S),
        },
        coords={**{d: raw[d] for d in u.dims if d != "level" and d in raw.coords}, **coords},
        attrs={"wind_source": "era5_single_levels", "level_type": "height", "source_file": path},
    )
    if "blh" in raw:
        out["boundary_layer_height"] = (raw["blh"].dims, np.asarray(raw["blh"].values, float), {"units": "m"})
    if "sp" in raw:
        out["surface_pressure"] = (raw["sp"].dims, np.asarray(raw["sp"].values, float), {"units": "Pa"})
    return out


def _era5_pressure(raw: xr.Dataset, path: str) -> xr.Dataset:
    raw = _rename_time(raw)
    lev = "pressure_level" if "pressure_level" in raw.dims else "level"
    raw = raw.rename({lev: "level"})
    p = np.asarray(raw["level"].values, float)
    units = str(raw["level"].attrs.get("units", "hPa")).lower()
    if units in ("hpa", "millibars", "mbar") or p.max() < 2000:
        p = p * 100.0
    out = xr.Dataset(
        {
            "eastward_wind": (raw["u"].dims, np.asarray(raw["u"].values, float), _M_S),
            "northward_wind": (raw["v"].dims, np.asarray(raw["v"].values, float), _M_S),
        },
        coords={
            **{d: raw[d] for d in raw["u"].dims if d not in ("level",) and d in raw.coords},
            "level": ("level", p, {"units": "Pa", "long_name": "pressure"}),
        },
        attrs={"wind_source": "era5_pressure_levels", "level_type": "pressure", "source_file": path},
    )
    return out


def _cosmo(raw: xr.Dataset, path: str, ukey: str, vkey: str) -> xr.Dataset:
    u = raw[ukey]
    dims = u.dims
    ydim, xdim = dims[-2], dims[-1]
    lat = raw["lat"] if "lat" in raw.variables else raw["latitude"]
    lon = raw["lon"] if "lon" in raw.variables else raw["longitude"]
    new_dims = tuple({ydim: "y", xdim: "x"}.get(d, d) for d in dims)
    out = xr.Dataset(
        {
            "eastward_wind": (new_dims, np.asarray(u.values, float), _M_S),
            "northward_wind": (new_dims, np.asarray(raw[vkey].values, float), _M_S),
        },
        coords={
            "latitude": (("y", "x"), np.asarray(lat.values, float)),
            "longitude": (("y", "x"), np.asarray(lon.values, float)),
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


def open_wind(
    path_or_value: str | os.PathLike | Sequence[float] | Mapping[str, float] | xr.Dataset,
    *,
    sigma: float | None = None,
    variables: tuple[str, str] | None = None,
) -> xr.Dataset:
    """Open a wind source as a small normalized wind dataset.

    Parameters
    ----------
    path_or_value : path, (u, v[, sigma]), mapping or xarray.Dataset
        * a netCDF file: ERA5 single levels (``u10``/``v10``[/``u100``/``v100``,
          ``blh``, ``sp``]), ERA5 pressure levels (``u``/``v`` on
          ``pressure_level``), or SMARTCARB COSMO (``U_GNFR_A``/``V_GNFR_A``
          with 2-D ``lon``/``lat``);
        * a user value ``(u, v)`` or ``(u, v, sigma)`` [m s-1], or a mapping
          with keys ``u``, ``v`` and optional ``sigma``;
        * a normalized swath carrying ``eastward_wind``/``northward_wind``
          (the granule's own 10 m met fields).
    sigma : float, optional
        1-sigma wind-speed error [m s-1] to attach (overrides a value in the tuple).
    variables : (str, str), optional
        Names of the u and v variables in a file that is none of the above.

    Returns
    -------
    xarray.Dataset
        The normalized wind (see module docstring). The input is not modified.

    Raises
    ------
    WindError
        Non-finite user values or a swath without wind.
    InputFileError
        The file is missing or not netCDF.
    MissingVariableError
        The file holds no recognisable wind variables.

    Examples
    --------
    >>> w = open_wind((3.0, -4.0, 1.0))
    >>> float(w.eastward_wind), float(w.wind_speed_uncertainty)
    (3.0, 1.0)
    """
    sigma = _check_sigma(sigma)
    if isinstance(path_or_value, xr.Dataset) and "wind_source" in path_or_value.attrs:
        out = path_or_value.copy()  # already a normalized wind (from open_wind): return it as is
        if sigma is not None:
            out["wind_speed_uncertainty"] = ((), sigma, _M_S)
        return out
    if isinstance(path_or_value, xr.Dataset):
        return _from_granule(path_or_value, sigma)
    if isinstance(path_or_value, Mapping):
        mapping = cast("Mapping[str, float]", path_or_value)  # an xr.Dataset returned above
        s = sigma if sigma is not None else _check_sigma(mapping.get("sigma"))
        try:
            return _user_wind(mapping["u"], mapping["v"], s)
        except KeyError as err:
            raise WindError(f"User wind mapping needs keys 'u' and 'v' (m s-1); got {list(path_or_value)}.") from err
    if isinstance(path_or_value, Sequence) and not isinstance(path_or_value, (str, bytes)):
        vals = list(path_or_value)
        if len(vals) not in (2, 3):
            raise WindError(f"User wind must be (u, v) or (u, v, sigma) in m s-1; got {vals!r}.")
        s = sigma if sigma is not None else _check_sigma(vals[2] if len(vals) == 3 else None)
        return _user_wind(vals[0], vals[1], s)
    if not isinstance(path_or_value, (str, os.PathLike)):
        raise WindError(
            f"open_wind got {type(path_or_value).__name__} {path_or_value!r}, which is not a wind: a speed "
            "alone has no direction. Give (u, v) or (u, v, sigma) in m s-1 (e.g. open_wind((3.0, -4.0, 1.0))), "
            "a mapping {'u': ..., 'v': ...}, a wind netCDF path or a swath with eastward_wind."
        )
    path = Path(os.fspath(path_or_value))
    if path.is_dir():
        raise InputFileError(f"Wind file {str(path)!r} is a directory; pass one ERA5 or COSMO netCDF file in it.")
    if not path.is_file():
        raise InputFileError(f"Wind file {str(path)!r} does not exist. Check the path.")
    try:
        raw = open_netcdf(path)
    except Exception as err:
        raise InputFileError(
            f"Wind file {str(path)!r} cannot be opened as netCDF ({err}). Give an ERA5 or COSMO netCDF."
        ) from err
    with raw:
        if variables is not None:
            if raw[variables[0]].ndim < 2:
                raise MissingVariableError(f"{variables} in {path} are not gridded fields.")
            out = _cosmo(raw, str(path), *variables)
            out.attrs["wind_source"] = "file"
        elif "u10" in raw and "v10" in raw:
            out = _era5_single(raw, str(path))
        elif "u" in raw and "v" in raw and ("pressure_level" in raw.dims or "level" in raw.dims):
            out = _era5_pressure(raw, str(path))
        elif "U_GNFR_A" in raw and "V_GNFR_A" in raw:
            out = _cosmo(raw, str(path), "U_GNFR_A", "V_GNFR_A")
        else:
            raise MissingVariableError(
                f"Wind file {str(path)!r} holds none of u10/v10 (ERA5 single levels), u/v on "
                f"pressure_level (ERA5 pressure levels) or U_GNFR_A/V_GNFR_A (COSMO); it has "
                f"{sorted(map(str, raw.data_vars))}. Pass variables=('u_name', 'v_name')."
            )
    if sigma is not None:
        out["wind_speed_uncertainty"] = ((), sigma, _M_S)
    return out

