"""Synthetic truth for the flux inversion: plumes of known emission on real swath geometries.

:func:`make_plume_swath` draws a normalized swath (:mod:`urbansat.schema`) with

* a geometry of a real product (``kind``): TROPOMI (5.5 x 7 km), OCO-2 nadir
  (8 footprints of 1.29 x 2.25 km), OCO-3 SAM (5 adjacent sweeps of 8 footprints,
  1.6 x 2.2 km), GOSAT (sparse 10.5 km soundings, one per row) and a CO2M-like
  2 x 2 km imager;
* a plume of known emission ``Q`` whose model is deliberately *not* the one the
  inversion fits: Briggs (1973) open-country lateral dispersion
  ``sigma_y = c s (1 + 1e-4 s)^-1/2`` with ``c`` of a random stability class B-D,
  along-wind emission puffs (10 % smooth fluctuation) and a meandering centre line,
  averaged over 5 x 5 sub-points of each footprint;
* a background: offset + random gradient + smooth structure (random Fourier
  modes, 60-200 km wavelengths);
* Gaussian retrieval noise of a known sigma (0.5-1 ppm XCO2, 10-15 ppb XCH4);
* a reported wind with a known error: speed scaled by ``1 + e``, ``e ~ N(0,
  wind_error)``, and direction rotated by ``N(0, direction_error_deg)``; the
  stated sigma is ``wind_error * U_reported``.

Everything is seeded: the same ``seed`` gives the same swath and truth.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from urbansat.ingest.winds import open_wind
from urbansat.inversion.units import column_mass_factor
from urbansat.schema import GAS_STANDARD_NAMES, GAS_UNITS, gas_variable, validate_granule
from urbansat.spatial.local import local_lonlat, local_xy

__all__ = ["BRIGGS_C", "GEOMETRIES", "make_plume_swath", "plume_field"]

#: Briggs (1973) open-country sigma_y coefficients c [1] per Pasquill class
#: (sigma_y = c x (1 + 0.0001 x)^-1/2, x in m); Seinfeld & Pandis (2016), Table 18.3.
BRIGGS_C = {"A": 0.22, "B": 0.16, "C": 0.11, "D": 0.08, "E": 0.06, "F": 0.04}

#: kind -> (ny, nx, along-track pixel [m], across-track pixel [m], platform, product)
GEOMETRIES: dict[str, tuple[int, int, float, float, str, str]] = {
    "tropomi": (44, 40, 5500.0, 7000.0, "Sentinel-5P", "tropomi_l2_ch4"),
    "oco2": (140, 8, 2250.0, 1290.0, "OCO-2", "oco2_l2_lite"),
    "oco3_sam": (5 * 50, 8, 2200.0, 1600.0, "OCO-3", "oco3_l2_lite"),
    "gosat": (90, 1, 10500.0, 10500.0, "GOSAT", "gosat_l2_acos"),
    "co2m": (110, 110, 2000.0, 2000.0, "CO2M-like", "synthetic_imager"),
}


def _smooth_series(
    rng: np.random.Generator, n_modes: int = 6
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = rng.uniform(2 * np.pi / 30e3, 2 * np.pi / 4e3, n_modes)
    ph = rng.uniform(0, 2 * np.pi, n_modes)
    amp = rng.normal(0, 1, n_modes) / np.sqrt(n_modes / 2)
    return k, ph, amp


def _eval_series(
    s: np.ndarray, series: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> np.ndarray | float:
    k, ph, amp = series
    return (
        np.tensordot(np.cos(s[..., None] * k + ph), amp, axes=([-1], [0]))
        if s.ndim
        else float(np.sum(amp * np.cos(s * k + ph)))
    )


def _truth_column(
    x: np.ndarray,
    y: np.ndarray,
    *,
    q: float,
    speed: float,
    theta: float,
    c: float,
    r0: float,
    puffs: Any,
    meander: Any,
    rng_scale: float,
) -> np.ndarray:
    """Column mass [kg m-2] of the synthetic-truth plume at points (x, y) [m]."""
    s = x * np.cos(theta) + y * np.sin(theta)
    n = -x * np.sin(theta) + y * np.cos(theta)
    sp = np.maximum(s, 0.0)
    sig0 = max(r0 / 2.0, 200.0)
    sy = np.sqrt(sig0**2 + (c * sp / np.sqrt(1 + 1e-4 * sp)) ** 2)
    from scipy.special import ndtr

    frac = ndtr(s / sig0)
    nc = rng_scale * 0.05 * sp * np.tanh(sp / 10e3) * _eval_series(s, meander) / 1.0
    fluct = 1.0 + 0.10 * _eval_series(s, puffs)
    return np.asarray(
        q * frac * fluct / (speed * np.sqrt(2 * np.pi) * sy) * np.exp(-0.5 * ((n - nc) / sy) ** 2)
    )


def make_plume_swath(
    kind: Literal["tropomi", "oco2", "oco3_sam", "gosat", "co2m"] = "tropomi",
    *,
    gas: Literal["co2", "ch4"] = "ch4",
    emission: float | None = None,
    seed: int = 0,
    wind_speed: float | None = None,
    wind_direction_deg: float | None = None,
    wind_error: float = 0.2,
    direction_error_deg: float = 10.0,
    noise: float | None = None,
    diameter_km: float = 0.0,
    stability: str | None = None,
    source_lonlat: tuple[float, float] = (148.5, -22.8),
    source_offset_km: tuple[float, float] | None = None,
    cloud_fraction: float = 0.0,
    background_structure: float | None = None,
    name: str = "src",
    chunks: dict[str, int] | None = None,
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Make a normalized swath with a plume of known emission.

    Parameters
    ----------
    kind : {"tropomi", "oco2", "oco3_sam", "gosat", "co2m"}
        Swath geometry (see :data:`GEOMETRIES`).
    gas : {"co2", "ch4"}
    emission : float, optional
        True emission [kg s-1]; random when None (CO2 500-3000, CH4 2-20 kg s-1).
    seed : int
        Seed of every random draw.
    wind_speed, wind_direction_deg : float, optional
        True wind [m s-1] and the direction it blows *towards* [deg, math angle from
        east]; random (2-8 m s-1, any direction) when None. For OCO-2 the random
        direction is across the track, so the plume crosses the narrow swath.
    wind_error : float, default 0.2
        1-sigma relative error of the reported wind speed.
    direction_error_deg : float, default 10
        1-sigma error of the reported wind direction [deg].
    noise : float, optional
        Retrieval noise [ppm|ppb]; random in 0.5-1 ppm / 10-15 ppb when None.
    diameter_km : float, default 0
        Source diameter (cities).
    stability : str, optional
        Pasquill class A-F of the truth dispersion; random B-D when None.
    source_lonlat : (float, float)
        Source position.
    source_offset_km : (float, float), optional
        Position of the source relative to the swath centre (along, across) [km].
    cloud_fraction : float, default 0
        Fraction of pixels flagged bad (in blobs), e.g. clouds over the plume.
    background_structure : float, optional
        Amplitude of smooth background structure [ppm|ppb] (default 0.2 ppm / 4 ppb).
    name : str
        Source name.
    chunks : dict, optional
        Return dask-backed variables with these chunks.

    Returns
    -------
    swath : xarray.Dataset
        Valid under :func:`urbansat.validate_granule`.
    truth : dict
        ``emission`` [kg s-1], ``sources`` (DataFrame), ``wind`` (reported, an
        :func:`urbansat.open_wind` dataset with sigma), ``true_wind`` (u, v),
        ``noise``, ``stability``, ``enhancement`` (true dX on the swath).

    Examples
    --------
    >>> sw, truth = make_plume_swath("co2m", gas="co2", emission=1000.0, seed=3)
    >>> sw.sizes["y"], truth["emission"]
    (110, 1000.0)
    """
    if kind not in GEOMETRIES:
        raise ValueError(f"kind={kind!r} is unknown; use one of {sorted(GEOMETRIES)}")
    rng = np.random.default_rng(seed)
    ny, nx, dy, dx, platform, product = GEOMETRIES[kind]
    if emission is None:
        emission = float(rng.uniform(500, 3000) if gas == "co2" else rng.uniform(2, 20))
    speed = float(wind_speed if wind_speed is not None else rng.uniform(2.0, 8.0))
    heading = float(rng.uniform(-20, 20)) + 180.0  # descending-ish track, deg from north
    h = np.deg2rad(heading)
    t_vec = np.array([np.sin(h), np.cos(h)])  # along-track unit vector (east, north)
    c_vec = np.array([np.cos(h), -np.sin(h)])  # across-track unit vector
    if wind_direction_deg is None:
        if kind == "oco2":
            across = np.arctan2(c_vec[1], c_vec[0])
            theta = (
                across + np.deg2rad(rng.uniform(-30, 30)) + (np.pi if rng.random() < 0.5 else 0.0)
            )
        else:
            theta = rng.uniform(-np.pi, np.pi)
    else:
        theta = np.deg2rad(wind_direction_deg)
    stability = stability or str(rng.choice(["B", "C", "D"]))
    if noise is None:
        noise = float(rng.uniform(0.5, 1.0) if gas == "co2" else rng.uniform(10.0, 15.0))
    # swath pixel centres relative to the swath centre
    if kind == "oco3_sam":
        per = ny // 5  # 5 sweeps
        ii = np.arange(ny)
        sweep = ii // per
        a_off = (ii % per - (per - 1) / 2) * dy
        c_off = (sweep - 2) * nx * dx
        jj = (np.arange(nx) - (nx - 1) / 2) * dx
        along = np.broadcast_to(a_off[:, None], (ny, nx))
        acr = c_off[:, None] + jj[None, :]
    elif kind == "gosat":
        along = rng.uniform(-75e3, 75e3, (ny, 1))
        acr = rng.uniform(-75e3, 75e3, (ny, 1))
        order = np.argsort(along[:, 0])
        along, acr = along[order], acr[order]
    else:
        along = np.broadcast_to(((np.arange(ny) - (ny - 1) / 2) * dy)[:, None], (ny, nx))
        acr = np.broadcast_to(((np.arange(nx) - (nx - 1) / 2) * dx)[None, :], (ny, nx))
    if source_offset_km is None:
        if kind == "oco2":
            # the source sits upwind of the track so the plume crosses it 10-25 km downwind
            dist = rng.uniform(10e3, 25e3)
            wdir = np.array([np.cos(theta), np.sin(theta)])
            src_off = -dist * wdir  # the source relative to the swath centre
            so_along = float(src_off @ t_vec) + rng.uniform(-20e3, 20e3)
            so_across = float(src_off @ c_vec)
        else:
            so_along, so_across = (
                rng.uniform(-10e3, 10e3),
                rng.uniform(-10e3, 10e3) if nx > 1 else 0.0,
            )
    else:
        so_along, so_across = source_offset_km[0] * 1e3, source_offset_km[1] * 1e3
    # pixel centres east/north of the source
    X = along * t_vec[0] + acr * c_vec[0] - (so_along * t_vec[0] + so_across * c_vec[0])
    Y = along * t_vec[1] + acr * c_vec[1] - (so_along * t_vec[1] + so_across * c_vec[1])
    # corners (CCW) and 5x5 truth sub-points
    ha, hc = dy / 2, dx / 2
    if kind == "gosat":
        ha = hc = 10500.0 * np.sqrt(np.pi) / 4  # square of the circle's area
    corner_a = np.array([-ha, -ha, ha, ha])
    corner_c = np.array([-hc, hc, hc, -hc])
    if t_vec[0] * c_vec[1] - t_vec[1] * c_vec[0] > 0:
        corner_c = corner_c[::-1]
        corner_a = corner_a[::-1]
    CX = X[..., None] + corner_a * t_vec[0] + corner_c * c_vec[0]
    CY = Y[..., None] + corner_a * t_vec[1] + corner_c * c_vec[1]
    f = (np.arange(5) + 0.5) / 5 - 0.5
    fa, fc = np.meshgrid(f * 2 * ha, f * 2 * hc, indexing="ij")
    SX = X[..., None] + (fa.ravel() * t_vec[0] + fc.ravel() * c_vec[0])
    SY = Y[..., None] + (fa.ravel() * t_vec[1] + fc.ravel() * c_vec[1])
    puffs = _smooth_series(rng)
    meander = _smooth_series(rng)
    r0 = diameter_km * 500.0
    if r0 > 0:
        # an area source: 24 release points on a disk, footprints sampled 3 x 3 (corners
        # and centre of the 5 x 5 set) to keep the cost of 24 plumes moderate
        n_rel = 24
        rr = r0 * np.sqrt(rng.uniform(0, 1, n_rel))
        aa = rng.uniform(0, 2 * np.pi, n_rel)
        sub = np.array([0, 2, 4, 10, 12, 14, 20, 22, 24])
        SX, SY = SX[..., sub], SY[..., sub]
        dvm = np.zeros(SX.shape)
        for ex, ey in zip(rr * np.cos(aa), rr * np.sin(aa), strict=False):
            dvm += _truth_column(
                SX - ex,
                SY - ey,
                q=emission / n_rel,
                speed=speed,
                theta=theta,
                c=BRIGGS_C[stability],
                r0=0.0,
                puffs=puffs,
                meander=meander,
                rng_scale=1.0,
            )
    else:
        dvm = _truth_column(
            SX,
            SY,
            q=emission,
            speed=speed,
            theta=theta,
            c=BRIGGS_C[stability],
            r0=0.0,
            puffs=puffs,
            meander=meander,
            rng_scale=1.0,
        )
    dv = dvm.mean(-1)
    ps = 101325.0 - 800.0 * rng.random() - 50.0 * (X / 1e5)
    k = column_mass_factor(gas, ps)
    dX = dv / k
    base = 410.0 if gas == "co2" else 1880.0
    struct = (
        background_structure if background_structure is not None else (0.2 if gas == "co2" else 4.0)
    )
    gx, gy = rng.normal(0, 0.3 if gas == "co2" else 5.0, 2)
    bgf = base + gx * X / 1e5 + gy * Y / 1e5
    for _ in range(6):
        lam = rng.uniform(60e3, 200e3)
        ang = rng.uniform(0, np.pi)
        bgf = bgf + struct * rng.normal(0, 1) / np.sqrt(3) * np.cos(
            2 * np.pi * (X * np.cos(ang) + Y * np.sin(ang)) / lam + rng.uniform(0, 2 * np.pi)
        )
    values = bgf + dX + rng.normal(0, noise, X.shape)
    qa = np.ones(X.shape, bool)
    if cloud_fraction > 0:
        from scipy import ndimage

        field = ndimage.gaussian_filter(rng.normal(0, 1, X.shape), 2.0 if min(X.shape) > 4 else 0.5)
        qa = field > np.quantile(field, cloud_fraction)
    lat0, lon0 = source_lonlat[1], source_lonlat[0]

    lon, lat = local_lonlat(X, Y, lon0, lat0)
    blon, blat = local_lonlat(CX, CY, lon0, lat0)
    t0 = np.datetime64("2022-07-22T03:14:00", "ns")
    time = t0 + (
        np.arange(ny)[:, None] * np.timedelta64(300, "ms") + np.zeros((1, nx), "timedelta64[ns]")
    ).astype("timedelta64[ns]")
    # reported wind
    u_err = 1.0 + rng.normal(0.0, wind_error)
    d_err = np.deg2rad(rng.normal(0.0, direction_error_deg))
    sp_rep = max(speed * u_err, 0.1)
    u_rep, v_rep = sp_rep * np.cos(theta + d_err), sp_rep * np.sin(theta + d_err)
    var = gas_variable(gas)
    units = GAS_UNITS[gas]
    ds = xr.Dataset(
        {
            var: (("y", "x"), values, {"units": units, "standard_name": GAS_STANDARD_NAMES[gas]}),
            f"{var}_uncertainty": (("y", "x"), np.full(X.shape, noise), {"units": units}),
            "qa_pass": (("y", "x"), qa),
            "latitude_bounds": (("y", "x", "corner"), blat, {"units": "degrees_north"}),
            "longitude_bounds": (("y", "x", "corner"), blon, {"units": "degrees_east"}),
            "surface_pressure": (("y", "x"), np.broadcast_to(ps, X.shape).copy(), {"units": "Pa"}),
            "eastward_wind": (("y", "x"), np.full(X.shape, u_rep), {"units": "m s-1"}),
            "northward_wind": (("y", "x"), np.full(X.shape, v_rep), {"units": "m s-1"}),
        },
        coords={
            "latitude": (("y", "x"), lat, {"units": "degrees_north"}),
            "longitude": (("y", "x"), lon, {"units": "degrees_east"}),
            "time": (("y", "x"), time),
        },
        attrs={
            "product": product,
            "product_version": "synthetic",
            "gas": gas,
            "platform": platform,
            "source_files": [f"synthetic:{kind}:seed={seed}"],
            "qa": "synthetic",
            "Conventions": "CF-1.10",
        },
    )
    validate_granule(ds)
    if chunks:
        ds = ds.chunk(chunks)
    sources = pd.DataFrame(
        {
            "name": [name],
            "longitude": [lon0],
            "latitude": [lat0],
            "diameter_km": [diameter_km],
            "type": ["city" if diameter_km else "point"],
        }
    )
    truth = {
        "emission": float(emission),
        "sources": sources,
        "wind": open_wind((u_rep, v_rep, wind_error * sp_rep)),
        "true_wind": (speed * np.cos(theta), speed * np.sin(theta)),
        "wind_factor": float(sp_rep / speed),
        "noise": noise,
        "stability": stability,
        "enhancement": xr.DataArray(dX, dims=("y", "x"), attrs={"units": units}),
    }
    return ds, truth


def plume_field(
    source_lonlat: tuple[float, float],
    *,
    emission: float,
    wind: tuple[float, float],
    gas: Literal["co2", "ch4"] = "ch4",
    stability: str = "C",
    surface_pressure: float = 101325.0,
    subsample_km: float = 0.0,
) -> Any:
    """Return ``f(lon, lat)`` -> plume enhancement [ppm|ppb] of a known point source.

    For the file writers of :mod:`urbansat.testing.granules`
    (``write_tropomi_ch4(..., enhancement=f)``, ``write_oco_lite(..., enhancement=f)``):
    Briggs open-country dispersion of Pasquill class ``stability``, no puffs or meander,
    evaluated at the given points (``subsample_km > 0`` averages a 5 x 5 box of that size
    around each point to mimic the footprint).

    Parameters
    ----------
    source_lonlat : (float, float)
    emission : float
        [kg s-1].
    wind : (u, v)
        True wind [m s-1].
    gas : {"co2", "ch4"}
    stability : str, default "C"
    surface_pressure : float, default 101325
        [Pa], for the mole-fraction conversion.
    subsample_km : float, default 0

    Returns
    -------
    callable
    """
    lon0, lat0 = source_lonlat
    speed = float(np.hypot(*wind))
    theta = float(np.arctan2(wind[1], wind[0]))
    zero = (np.zeros(1), np.zeros(1), np.zeros(1))
    k = column_mass_factor(gas, surface_pressure)

    def f(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        x, y = local_xy(lon, lat, lon0, lat0)
        off = (np.arange(5) / 4 - 0.5) * subsample_km * 1e3
        ox, oy = np.meshgrid(off, off)
        cols = [
            _truth_column(
                x + dx_,
                y + dy_,
                q=emission,
                speed=speed,
                theta=theta,
                c=BRIGGS_C[stability],
                r0=0.0,
                puffs=zero,
                meander=zero,
                rng_scale=0.0,
            )
            for dx_, dy_ in zip(ox.ravel(), oy.ravel(), strict=False)
        ]
        return np.asarray(np.mean(cols, axis=0) / k)

    return f
