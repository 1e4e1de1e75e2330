r"""Effective plume wind and its uncertainty at a source.

The mass-balance methods need one transport speed ``U_eff`` per plume. It is
taken from a normalized wind dataset (:func:`urbansat.open_wind`):

1. horizontal: the mean of the wind vectors within ``radius_km`` of the source
   (the region the plume crosses; nearest grid point when none is that close);
2. time: linear interpolation between the two nearest wind times;
3. vertical: the mean over the levels of the plume layer: heights <= the
   boundary-layer height over the source (ERA5 ``blh``, or the one diagnosed from
   ERA5 model levels; else ``z_top_m``, default 500 m) or
   pressures >= ``p_top`` (default 85000 Pa, i.e. the lowest ~1.5 km).

The 1-sigma speed error is

.. math::

    \sigma_U = \sqrt{\sigma_{levels}^2 + \sigma_{space}^2 + \sigma_{stated}^2}

with ``sigma_levels`` the standard deviation of the speed over the layer levels
(the "spread of levels" estimate of plume-height uncertainty; several products are
combined by :func:`combine_winds`, which adds their spread), ``sigma_space``
the standard deviation of the speed within ``radius_km`` and ``sigma_stated`` the
dataset's ``wind_speed_uncertainty`` or the caller's ``sigma``. When none is
stated, the default is :data:`DEFAULT_MODEL_WIND_SIGMA` (reanalysis/NWP winds);
a user value without sigma is refused because its error is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import xarray as xr

from urbansat.errors import WindError
from urbansat.schema.geo import haversine_km
from urbansat.schema.wind import (
    check_sigma,
    check_wind_dataset,
    granule_wind,
    user_wind,
    with_sigmas,
)

__all__ = ["DEFAULT_MODEL_WIND_SIGMA", "EffectiveWind", "combine_winds", "effective_wind"]

#: Default 1-sigma error [m s-1] of a model (reanalysis / NWP) wind speed at a point
#: source when the user states none. ERA5 10 m wind speed vs. independent scatterometer
#: and buoy winds has a random error of 1.0-1.5 m s-1 (Belmonte Rivas & Stoffelen 2019,
#: Ocean Sci. 15, 831); plume-transport studies use 1-1.5 m s-1 or 20-30 % (Varon et al.
#: 2018, AMT 11, 5673). We take the lower end and add the level/space spreads on top.
DEFAULT_MODEL_WIND_SIGMA = 1.0


@dataclass(frozen=True)
class EffectiveWind:
    """Effective transport wind at one source.

    Attributes
    ----------
    u, v : float
        Eastward / northward components [m s-1].
    sigma : float
        1-sigma error of the speed [m s-1].
    source : str
        Where the wind came from.
    """

    u: float
    v: float
    sigma: float
    source: str

    @property
    def speed(self) -> float:
        """Wind speed [m s-1]."""
        return float(np.hypot(self.u, self.v))

    @property
    def relative_sigma(self) -> float:
        """``sigma / speed`` (inf at zero speed)."""
        s = self.speed
        return float(self.sigma / s) if s > 0 else float("inf")


def _select_time(wind: xr.Dataset, time: np.datetime64 | None) -> xr.Dataset:
    if "time" not in wind.dims:
        # a one-step file whose time is a scalar coordinate (cfgrib squeezes it, and so does
        # ds.isel(time=3)) is valid near its time only, as a length-1 time axis is
        stamp = next(
            (wind[c] for c in ("time", "valid_time") if c in wind.coords and wind[c].ndim == 0),
            None,
        )
        if stamp is not None and time is not None and np.issubdtype(stamp.dtype, np.datetime64):
            t0 = np.asarray(stamp.values).astype("datetime64[ns]")
            t_obs = np.asarray(time).astype("datetime64[ns]")
            if abs(t_obs - t0) > np.timedelta64(3, "h"):
                raise WindError(
                    f"Wind from {wind.attrs.get('wind_source')} is for {t0} (one time step), "
                    f"not the observation time {time}. Give a wind file for that date."
                )
        return wind
    if time is None:  # a swath without times: only a single wind field can be meant
        if wind.sizes["time"] == 1:
            return wind.isel(time=0)
        raise WindError(
            f"The swath has no sounding times, so the wind from {wind.attrs.get('wind_source')} "
            f"({wind.sizes['time']} time steps) cannot be matched to the overpass. Select its "
            "time step first, e.g. wind.sel(time='2022-07-22T03:00', method='nearest')."
        )
    t = np.asarray(wind["time"].values)
    span = np.timedelta64(3, "h")  # also for a single step: a snapshot is valid near its time
    if time < t.min() - span or time > t.max() + span:
        raise WindError(
            f"Wind from {wind.attrs.get('wind_source')} covers {t.min()} to {t.max()}, not the "
            f"observation time {time}. Give a wind file for that date."
        )
    if wind.sizes["time"] == 1:
        return wind.isel(time=0)
    return wind.interp(time=np.clip(time, t.min(), t.max()))


def _horizontal(w: xr.Dataset, da: xr.DataArray) -> np.ndarray:
    """Return a horizontal field as a 2-D array aligned with the grid of :func:`_near_mask`."""
    if w["latitude"].ndim == 1 and "latitude" in da.dims:
        return np.asarray(da.transpose("latitude", "longitude").values)
    return np.asarray(da.values)


def _near_mask(
    w: xr.Dataset, longitude: float, latitude: float, radius_km: float, source: str
) -> np.ndarray:
    """Grid points within ``radius_km`` of the source (the nearest one when none is that close)."""
    lat, lon = w["latitude"].values, w["longitude"].values
    lon2, lat2 = np.meshgrid(lon, lat) if lat.ndim == 1 else (lon, lat)
    lat2 = np.asarray(lat2, float)
    # great-circle distances only inside the latitude band that can be within radius_km
    # (a degree of latitude is >= 110.5 km); the whole grid only when nothing is in it
    band = np.abs(lat2 - latitude) <= radius_km / 110.0 + 1e-9
    if band.any():
        d = np.full(lat2.shape, np.inf)
        d[band] = haversine_km(longitude, latitude, np.asarray(lon2, float)[band], lat2[band])
        sel = d <= radius_km
    else:
        sel = np.zeros(lat2.shape, bool)
    if not sel.any():
        d = haversine_km(longitude, latitude, lon2, lat2)
        nearest = np.nanargmin(d)
        if d.flat[nearest] > max(3 * radius_km, 50.0):
            raise WindError(
                f"Wind from {source} does not cover the source at lon={longitude:.3f}, "
                f"lat={latitude:.3f} (nearest wind point {d.flat[nearest]:.0f} km away). "
                "Give a wind field that covers the source."
            )
        sel = np.zeros(d.shape, bool)
        sel.flat[nearest] = True
    return sel


#: Bottom of the default plume layer of pressure-level winds [Pa]: ``p_top`` = 850 hPa then
#: spans the layer 1000-850 hPa, about 1.3 km. With the surface pressure ``p_s`` at the
#: source the layer is ``[p_s - (P_LAYER_BOTTOM - p_top), p_s]``: as deep, above the ground.
P_LAYER_BOTTOM = 100000.0


def _layer_mean(
    wind: xr.Dataset, *, p_top: float, z_top_m: float | None, p_surface: float | None = None
) -> tuple[xr.Dataset, xr.DataArray | None]:
    """Mean over the plume layer and the level-to-level spread of speed.

    Pressure levels: those within ``[p_top, ...]``; with the surface pressure at the source
    (``p_surface``, from ``open_wind(..., surface=)`` or a single-level file) the layer of
    the same depth above the ground, so that levels below it (ERA5 extrapolates them) never
    enter: at Matimba (929 hPa) 1000, 975 and 950 hPa made the wind 12 % too slow.
    """
    if "level" not in wind.dims:
        return wind, None
    lev = wind["level"].values
    if wind.attrs.get("level_type") == "pressure":
        if p_surface is not None and np.isfinite(p_surface):
            above = lev <= p_surface
            keep = above & (lev >= p_surface - (P_LAYER_BOTTOM - p_top))
            if not keep.any() and above.any():
                keep = lev == lev[above].max()
        else:
            keep = lev >= p_top
        if not keep.any():
            keep = lev == lev.max()
    else:
        top = z_top_m
        if top is None and "boundary_layer_height" in wind:
            top = float(np.nanmean(wind["boundary_layer_height"].values))
        top = 500.0 if top is None or not np.isfinite(top) else top
        keep = lev <= max(top, lev.min())
    sub = wind.isel(level=np.flatnonzero(keep))
    # a ufunc on DataArrays returns a DataArray (numpy stubs say ndarray)
    speed = cast(xr.DataArray, np.hypot(sub["eastward_wind"], sub["northward_wind"]))
    spread = speed.std("level") if sub.sizes["level"] > 1 else None
    return sub.mean("level"), spread


def effective_wind(
    wind: xr.Dataset,
    longitude: float,
    latitude: float,
    time: np.datetime64 | None = None,
    *,
    radius_km: float = 15.0,
    p_top: float = 85000.0,
    z_top_m: float | None = None,
    sigma: float | None = None,
) -> EffectiveWind:
    """Return the effective plume wind at a source.

    Parameters
    ----------
    wind : xarray.Dataset
        Normalized wind from :func:`urbansat.open_wind`.
    longitude, latitude : float
        Source position [degrees].
    time : numpy.datetime64, optional
        Observation time (wind times are interpolated linearly).
    radius_km : float, default 15
        Horizontal averaging radius [km].
    p_top : float, default 85000
        Top of the plume layer for pressure-level winds [Pa].
    z_top_m : float, optional
        Top of the plume layer for height-level winds [m]; the boundary-layer
        height averaged over the wind points within ``radius_km`` of the source when
        the wind carries one, else 500 m.
    sigma : float, optional
        Stated 1-sigma speed error [m s-1]; overrides the dataset's.

    Returns
    -------
    EffectiveWind

    Raises
    ------
    WindError
        No wind near the source, a non-finite wind, a time outside the wind
        file, or a user wind without any stated sigma.
    """
    if not isinstance(wind, xr.Dataset) or "eastward_wind" not in wind:
        raise WindError(
            "wind must be a normalized wind dataset from urbansat.open_wind(...); got "
            f"{type(wind).__name__}. Example: wind=urbansat.open_wind((u, v, sigma))."
        )
    source = str(wind.attrs.get("wind_source", "unknown"))
    w = _select_time(wind, time)
    # the wind points near the source (coordinates do not change with the layer mean)
    gridded = "latitude" in w.coords and w["latitude"].ndim > 0
    sel = _near_mask(w, longitude, latitude, radius_km, source) if gridded else None
    if (
        z_top_m is None
        and sel is not None
        and "boundary_layer_height" in w
        and w["boundary_layer_height"].ndim > 0
    ):
        # the boundary layer over the source, not the mean over the wind file's whole grid
        blh = _horizontal(w, w["boundary_layer_height"])[sel]
        z_top_m = float(np.nanmean(blh)) if np.isfinite(blh).any() else None
    p_surface = None
    if w.attrs.get("level_type") == "pressure" and "surface_pressure" in w:
        ps = w["surface_pressure"]
        vals = _horizontal(w, ps)[sel] if sel is not None and ps.ndim > 0 else ps.values
        p_surface = float(np.nanmean(vals)) if np.isfinite(vals).any() else None
    w, level_spread = _layer_mean(w, p_top=p_top, z_top_m=z_top_m, p_surface=p_surface)
    u_da, v_da = w["eastward_wind"], w["northward_wind"]
    sigma_space = 0.0
    sigma_levels = 0.0
    if not u_da.dims:
        u, v = float(u_da), float(v_da)
    else:
        if sel is None:
            sel = _near_mask(w, longitude, latitude, radius_km, source)
        us, vs = _horizontal(w, u_da)[sel], _horizontal(w, v_da)[sel]
        u, v = float(np.nanmean(us)), float(np.nanmean(vs))
        if sel.sum() > 1:
            sigma_space = float(np.nanstd(np.hypot(us, vs)))
        if level_spread is not None:
            sigma_levels = float(np.nanmean(_horizontal(w, level_spread)[sel]))
    if not (np.isfinite(u) and np.isfinite(v)):
        raise WindError(
            f"Wind from {source} is NaN at lon={longitude:.3f}, lat={latitude:.3f}. Check the "
            "wind file or pass a user value."
        )
    if sigma is None and "wind_speed_uncertainty" in wind:
        sigma = float(wind["wind_speed_uncertainty"])
    if sigma is None:
        if source == "user":
            raise WindError(
                "A user wind needs a stated 1-sigma speed error: open_wind((u, v, sigma)) or "
                "estimate_emissions(..., wind_sigma=...). Wind error dominates the budget."
            )
        sigma = DEFAULT_MODEL_WIND_SIGMA
    total = float(np.sqrt(sigma**2 + sigma_levels**2 + sigma_space**2))
    return EffectiveWind(u=u, v=v, sigma=total, source=source)


def combine_winds(winds: list[EffectiveWind]) -> EffectiveWind:
    """Combine effective winds of several products (e.g. ERA5 and the granule's own).

    The components are averaged; the speed error adds the product-to-product spread:
    ``sigma^2 = mean(sigma_i^2) + var(U_i)`` (population variance over the products).

    Parameters
    ----------
    winds : list of EffectiveWind

    Returns
    -------
    EffectiveWind
    """
    if not winds:
        raise WindError("combine_winds needs at least one wind.")
    u = float(np.mean([w.u for w in winds]))
    v = float(np.mean([w.v for w in winds]))
    speeds = np.array([w.speed for w in winds])
    sigma = float(np.sqrt(np.mean([w.sigma**2 for w in winds]) + np.var(speeds)))
    return EffectiveWind(u=u, v=v, sigma=sigma, source="+".join(w.source for w in winds))


_M_S = {"units": "m s-1"}


def as_wind_dataset(value: object, *, sigma: float | None = None) -> xr.Dataset:
    """Normalize an in-memory wind (no file I/O) to the wind dataset of :func:`urbansat.open_wind`.

    Parameters
    ----------
    value : (u, v) or (u, v, sigma) [m s-1], a mapping (``u``, ``v`` or ``speed``,
        ``direction``, with optional ``sigma`` and ``direction_sigma``:
        :func:`urbansat.schema.wind.user_wind`), a normalized wind dataset (returned as
        is), or a normalized swath carrying ``eastward_wind``/``northward_wind`` (its own
        10 m met fields).
    sigma : float, optional
        1-sigma speed error [m s-1] to attach.

    Returns
    -------
    xarray.Dataset

    Raises
    ------
    WindError
        Non-finite values, a negative sigma, a swath without winds, or a path (files are
        opened by :func:`urbansat.open_wind`, the only place that reads them).
    """
    sigma = check_sigma(sigma)
    if isinstance(value, xr.Dataset):
        if "eastward_wind" not in value or "northward_wind" not in value:
            raise WindError(
                f"Swath from {value.attrs.get('source_files', '<memory>')} carries no "
                "eastward_wind/"
                "northward_wind; pass urbansat.open_wind(path) or a user value (u, v, sigma)."
            )
        # already a wind dataset, or a swath carrying its own met fields
        if "xco2" not in value and "xch4" not in value:
            return with_sigmas(check_wind_dataset(value), sigma)
        return with_sigmas(granule_wind(value), sigma)
    if isinstance(value, (str, bytes)) or hasattr(value, "__fspath__"):
        raise WindError(
            "Open wind files with urbansat.open_wind(path) (ingest is the only place that "
            "reads files) and pass the result."
        )
    return user_wind(cast("Sequence[float] | Mapping[str, Any]", value), sigma=sigma)
