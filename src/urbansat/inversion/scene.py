"""A source's neighbourhood cut from a normalized swath, in metres.

:func:`cut_scene` is the documented small-result reduction point of the
inversion: it loads the swath's ``latitude``/``longitude`` (to find the window),
selects the ``(y, x)`` window of a (possibly dask-backed) swath that lies within
``radius_km`` of a source, and loads only that window of the data variables.

Local coordinates are the equirectangular tangent plane at the source
(:func:`urbansat.spatial.local.local_xy`); within 150 km the distance error is
< 0.2 %, far below the wind error. Footprints are represented by 3 x 3 sub-points
interpolated bilinearly between the four corners, so the forward models average
over the real footprint (essential for GOSAT's 10.5 km circles and OCO's
1.3 x 2.25 km parallelograms).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from urbansat.errors import InversionError
from urbansat.inversion.units import column_mass_factor
from urbansat.schema import gas_of, gas_variable
from urbansat.spatial.local import local_xy

__all__ = ["Scene", "cut_scene"]

_SUB = np.array([1 / 6, 1 / 2, 5 / 6])
#: Fewest pixels across and along for a window to be an image (else sparse soundings).
_MIN_IMAGE_SIDE = 3


@dataclass
class Scene:
    """The window of a swath around one source (numpy, small).

    Attributes
    ----------
    x, y : (ny, nx) arrays
        Pixel centres east/north of the source [m].
    xs, ys : (ny, nx, 9) arrays
        Footprint sub-points [m].
    area : (ny, nx) array
        Footprint area [m2].
    values : (ny, nx) array
        Gas mole fraction [ppm|ppb]; NaN where invalid or not ``qa_pass``.
    sigma : (ny, nx) array
        Retrieval 1-sigma [ppm|ppb].
    k : (ny, nx) array
        Column-mass factor [kg m-2 per ppm|ppb] (:func:`column_mass_factor`).
    sensitivity : (ny, nx) array
        Column averaging-kernel sensitivity to a boundary-layer enhancement [1].
    valid : (ny, nx) bool array
    image : bool
        True when the window is a 2-D image (>= 3 pixels across and along),
        False for sparse soundings (GOSAT) where image methods do not apply.
    pixel_km : float
        Median footprint size (square root of the area) [km].
    """

    x: np.ndarray
    y: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    area: np.ndarray
    values: np.ndarray
    sigma: np.ndarray
    k: np.ndarray
    sensitivity: np.ndarray
    valid: np.ndarray
    image: bool
    pixel_km: float
    time: np.datetime64 | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n_valid(self) -> int:
        """Number of valid soundings."""
        return int(self.valid.sum())


def _shoelace(px: np.ndarray, py: np.ndarray) -> np.ndarray:
    area: np.ndarray = 0.5 * np.abs(
        px[..., 0] * py[..., 1]
        - px[..., 1] * py[..., 0]
        + px[..., 1] * py[..., 2]
        - px[..., 2] * py[..., 1]
        + px[..., 2] * py[..., 3]
        - px[..., 3] * py[..., 2]
        + px[..., 3] * py[..., 0]
        - px[..., 0] * py[..., 3]
    )
    return area


def _subpoints(cx: np.ndarray, cy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear 3x3 sub-points of quadrilaterals with corners (..., 4) CCW."""
    a = _SUB[:, None]
    b = _SUB[None, :]
    w0 = ((1 - a) * (1 - b)).ravel()
    w1 = (a * (1 - b)).ravel()
    w2 = (a * b).ravel()
    w3 = ((1 - a) * b).ravel()
    xs = cx[..., 0:1] * w0 + cx[..., 1:2] * w1 + cx[..., 2:3] * w2 + cx[..., 3:4] * w3
    ys = cy[..., 0:1] * w0 + cy[..., 1:2] * w1 + cy[..., 2:3] * w2 + cy[..., 3:4] * w3
    return xs, ys


def _sensitivity(win: xr.Dataset) -> np.ndarray | None:
    """Mean column AK over the lowest 20 % of the column (the boundary layer)."""
    if "column_averaging_kernel" not in win:
        return None
    ak = np.asarray(win["column_averaging_kernel"].transpose("y", "x", "level").values, float)
    if "pressure" in win and "surface_pressure" in win:
        p = np.asarray(win["pressure"].transpose("y", "x", "level").values, float)
        ps = np.asarray(win["surface_pressure"].values, float)[..., None]
        w = np.where(p >= 0.8 * ps, 1.0, 0.0)
        w = np.where(w.sum(-1, keepdims=True) > 0, w, 0.0)
        w[..., -1] = np.where(w.sum(-1) > 0, w[..., -1], 1.0)
    else:
        w = np.zeros_like(ak)
        w[..., -2:] = 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.nansum(ak * w, -1) / np.sum(w, -1)
    return np.where(np.isfinite(s) & (s > 0), s, 1.0)


def cut_scene(  # noqa: PLR0912, PLR0915 - one branch per optional swath variable
    swath: xr.Dataset,
    longitude: float,
    latitude: float,
    *,
    radius_km: float = 100.0,
    gas: str | None = None,
    use_averaging_kernel: bool = True,
) -> Scene | None:
    """Cut the window of ``swath`` within ``radius_km`` of a source.

    Parameters
    ----------
    swath : xarray.Dataset
        A normalized swath (``urbansat.schema``); may be dask-backed.
    longitude, latitude : float
        Source position [degrees].
    radius_km : float, default 100
        Window radius [km].
    gas : str, optional
        Gas; from the swath when None.
    use_averaging_kernel : bool, default True
        Use ``column_averaging_kernel`` for the plume sensitivity.

    Returns
    -------
    Scene or None
        None when no sounding lies within the radius (the source is outside
        the swath).
    """
    gas = gas or gas_of(swath)
    var = gas_variable(gas)
    if var not in swath:
        raise InversionError(
            f"gas={gas!r} but the swath holds no {var!r} (it has "
            f"{sorted(map(str, swath.data_vars))}). "
            "Pass the gas of the swath or open the other product."
        )
    lat = np.asarray(swath["latitude"].values, float)
    lon = np.asarray(swath["longitude"].values, float)
    if lat.ndim != 2:  # noqa: PLR2004 - (y, x) coordinates
        lat = np.broadcast_to(lat, (swath.sizes["y"], swath.sizes["x"]))
        lon = np.broadcast_to(lon, lat.shape)
    x, y = local_xy(lon, lat, longitude, latitude)
    near = np.hypot(x, y) <= radius_km * 1e3
    if not near.any():
        return None
    iy = np.flatnonzero(near.any(1))
    ix = np.flatnonzero(near.any(0))
    ysl, xsl = slice(iy[0], iy[-1] + 1), slice(ix[0], ix[-1] + 1)
    keep = [
        v
        for v in (
            var,
            f"{var}_uncertainty",
            "qa_pass",
            "surface_pressure",
            "latitude_bounds",
            "longitude_bounds",
            "column_averaging_kernel",
            "pressure",
            "time",
        )
        if v in swath.variables
    ]
    win = swath[[v for v in keep if v in swath.data_vars]].isel(y=ysl, x=xsl)
    win = win.reset_coords([c for c in win.coords if c not in win.dims and c != "time"], drop=True)
    if "time" in swath.variables:
        win["time_"] = (
            swath["time"].isel(y=ysl, x=xsl) if "y" in swath["time"].dims else swath["time"]
        )
    win = win.compute()
    X, Y = x[ysl, xsl], y[ysl, xsl]
    vals = np.asarray(win[var].transpose("y", "x").values, float)
    sig = (
        np.asarray(win[f"{var}_uncertainty"].transpose("y", "x").values, float)
        if f"{var}_uncertainty" in win
        else np.full(vals.shape, np.nan)
    )
    qa = (
        np.asarray(win["qa_pass"].transpose("y", "x").values, bool)
        if "qa_pass" in win
        else np.ones(vals.shape, bool)
    )
    valid = np.isfinite(vals) & qa & (np.hypot(X, Y) <= radius_km * 1e3)  # NaN positions -> False
    vals = np.where(valid, vals, np.nan)
    cx: np.ndarray | None
    cy: np.ndarray | None
    if "latitude_bounds" in win and "longitude_bounds" in win:
        cx, cy = local_xy(
            np.asarray(win["longitude_bounds"].transpose("y", "x", "corner").values, float),
            np.asarray(win["latitude_bounds"].transpose("y", "x", "corner").values, float),
            longitude,
            latitude,
        )
        area = _shoelace(cx, cy)
        xs, ys = _subpoints(cx, cy)
        bad = ~np.isfinite(area) | (area <= 0)
    else:
        cx = cy = None
        bad = np.ones(X.shape, bool)
        area = np.full(X.shape, np.nan)
    if bad.any():
        # spacing from neighbours; a square footprint of that size
        if X.shape[0] > 1 and X.shape[1] > 1:
            dy = np.nanmedian(np.hypot(np.diff(X, axis=0), np.diff(Y, axis=0)))
            dx = np.nanmedian(np.hypot(np.diff(X, axis=1), np.diff(Y, axis=1)))
        else:
            d = np.hypot(np.diff(X.ravel()), np.diff(Y.ravel()))
            dy = dx = np.nanmedian(d) if d.size else 2000.0
        h = np.array([-1 / 3, 0, 1 / 3])
        ox = (h[:, None] * 0 + h[None, :] * dx).ravel()
        oy = (h[:, None] * dy + h[None, :] * 0).ravel()
        xs_f = X[..., None] + ox
        ys_f = Y[..., None] + oy
        if cx is None:
            xs, ys = xs_f, ys_f
            area = np.full(X.shape, dx * dy)
        else:
            xs = np.where(bad[..., None], xs_f, xs)
            ys = np.where(bad[..., None], ys_f, ys)
            area = np.where(bad, dx * dy, area)
    ps = np.asarray(win["surface_pressure"].values, float) if "surface_pressure" in win else None
    if ps is not None:
        ps = np.where(
            np.isfinite(ps) & (ps > 0), ps, np.nanmedian(ps) if np.isfinite(ps).any() else 101325.0
        )
    k = np.broadcast_to(column_mass_factor(gas, ps), vals.shape).astype(float)
    sens = _sensitivity(win) if use_averaging_kernel else None
    sens = np.ones(vals.shape) if sens is None else sens
    ny, nx = vals.shape
    image = ny >= _MIN_IMAGE_SIDE and nx >= _MIN_IMAGE_SIDE
    t = None
    if "time_" in win:
        tv = np.asarray(win["time_"].values).ravel()
        tv = tv[~np.isnat(tv)] if tv.dtype.kind == "M" else tv
        if tv.size:
            t = tv[tv.size // 2]
    return Scene(
        x=X,
        y=Y,
        xs=xs,
        ys=ys,
        area=area,
        values=vals,
        sigma=sig,
        k=k,
        sensitivity=sens,
        valid=valid,
        image=image,
        pixel_km=float(np.sqrt(np.nanmedian(area)) / 1e3),
        time=t,
    )
