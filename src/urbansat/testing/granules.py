"""Writers of synthetic granules in the exact official layouts, with a known truth.

Every writer produces a file that the production readers open unchanged: same
groups, variable names, dtypes, fill values, level order, attributes and
official file names as in ``../shared/spec/formats.md`` (TROPOMI measured on real
files; OCO/ACOS Lite and NIES GOSAT FTS from the producers' guides and reader code).

The gas field written is known exactly::

    truth(lon, lat) = values(lon, lat) + enhancement(lon, lat)
    written         = truth + noise * N(0, 1)        (seeded, numpy default_rng(seed))

``values`` defaults to a smooth analytic background (:func:`background_xco2`,
:func:`background_xch4`); ``enhancement`` is typically a Gaussian plume from
``urbansat.testing.plumes``. Each may be a scalar, an array of the swath shape
``(n_rows, n_cols)`` or a callable ``f(lon, lat) -> array`` evaluated at the
footprint centres (degrees). Files are written atomically (temp file + os.replace).

Examples
--------
>>> import tempfile, urbansat
>>> from urbansat.testing.granules import write_oco_lite
>>> p = write_oco_lite(tempfile.mkdtemp(), n_frames=20, noise=0.0)
>>> ds = urbansat.open_granules(p)
>>> float(ds.xco2.max()) < 420
True
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr

from urbansat.schema.geo import wrap_longitude

__all__ = [
    "OCO3_TARGETS",
    "background_xch4",
    "background_xco2",
    "make_swath",
    "write_gosat_fts",
    "write_oco_lite",
    "write_tropomi_ch4",
]

Field = float | np.ndarray | Callable[[np.ndarray, np.ndarray], np.ndarray] | None

#: A few OCO-3 SAM/target sites: name -> (target_id, lon, lat). From
#: ../shared/samples/oco3/oco3_targets_20200124_cropped.csv (robrnelson/OCO3_Tools, public).
OCO3_TARGETS: dict[str, tuple[str, float, float]] = {
    "fossil_Los_Angeles_USA": ("fossil0005", -118.24532, 34.05349),
    "fossil_Shanghai_China": ("fossil0006", 121.45806, 31.22222),
    "fossil_Tokyo_Japan": ("fossil0009", 139.69172, 35.68946),
    "fossil_Beijing_China": ("fossil0017", 116.39723, 39.90750),
    "fossil_Paris_France": ("fossil0022", 2.34140, 48.85717),
    "fossil_Berlin_Germany": ("fossil0063", 13.37691, 52.51604),
}

_OCO_FILL = -999999.0
_S5P_FILL = np.float32(9.96921e36)
_GOSAT_FILL = -9999.0


def background_xco2(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Smooth analytic XCO2 background [ppm]: ``410 + 0.5 sin(lat) + 0.2 cos(lon)`` (deg -> rad)."""
    return np.asarray(410.0 + 0.5 * np.sin(np.deg2rad(lat)) + 0.2 * np.cos(np.deg2rad(lon)))


def background_xch4(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Smooth analytic XCH4 background [ppb]: ``1850 + 10 sin(lat) + 5 cos(lon)`` (deg -> rad)."""
    return np.asarray(1850.0 + 10.0 * np.sin(np.deg2rad(lat)) + 5.0 * np.cos(np.deg2rad(lon)))


def _field(f: Field, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    if f is None:
        return np.zeros_like(lon, dtype="float64")
    if callable(f):
        return np.broadcast_to(np.asarray(f(lon, lat), dtype="float64"), lon.shape).copy()
    arr = np.asarray(f, dtype="float64")
    if arr.ndim and arr.shape != lon.shape:
        raise ValueError(f"field of shape {arr.shape} does not match the swath shape {lon.shape}")
    return np.broadcast_to(arr, lon.shape).copy()


def _grid(
    n_rows: int,
    n_cols: int,
    center: tuple[float, float],
    dx_km: float,
    dy_km: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Footprint centres and CCW corners of a north-going swath centred on ``center`` (lon, lat)."""
    lon0, lat0 = center
    dlat = dy_km / 111.195
    dlon = dx_km / (111.195 * np.cos(np.deg2rad(lat0)))
    r = (np.arange(n_rows) - (n_rows - 1) / 2.0) * dlat
    c = (np.arange(n_cols) - (n_cols - 1) / 2.0) * dlon
    lat = lat0 + np.repeat(r[:, None], n_cols, axis=1)
    lon = lon0 + np.repeat(c[None, :], n_rows, axis=0)
    hx, hy = dlon / 2.0, dlat / 2.0
    blat = np.stack([lat - hy, lat - hy, lat + hy, lat + hy], axis=-1)
    blon = np.stack([lon - hx, lon + hx, lon + hx, lon - hx], axis=-1)
    lon = wrap_longitude(lon)
    blon = wrap_longitude(blon)
    return lon, lat, blon, blat


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp_", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _target_path(path_or_dir: str | Path, name: str) -> Path:
    p = Path(path_or_dir)
    return p / name if p.is_dir() or not p.suffix else p


def _levels_toa_first(psurf_hpa: np.ndarray, n: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """OCO-like sigma levels [hPa] (TOA first) and pressure weights (sum 1)."""
    sigma = np.linspace(0.0, 1.0, n)
    p = psurf_hpa[..., None] * sigma
    p[..., 0] = 0.1
    # trapezoid weights on the level grid: h_k = (p_{k+1} - p_{k-1}) / 2 / psurf
    dp = np.diff(p, axis=-1)
    w = np.zeros_like(p)
    w[..., :-1] += dp / 2.0
    w[..., 1:] += dp / 2.0
    w /= w.sum(axis=-1, keepdims=True)
    return p, w


# ----------------------------------------------------------------- OCO Lite
def write_oco_lite(
    path_or_dir: str | Path,
    *,
    platform: Literal["oco2", "oco3", "acos"] = "oco2",
    n_frames: int = 100,
    center: tuple[float, float] = (-118.24532, 34.05349),
    values: Field = None,
    enhancement: Field = None,
    noise: float = 0.5,
    uncertainty: float | None = None,
    seed: int = 0,
    mode: Literal["nadir", "glint", "target", "transition", "sam"] | None = None,
    target: str | None = None,
    version: Literal["v10", "v11"] = "v11",
    date: str = "2020-07-04T20:30:00",
    bad_fraction: float = 0.1,
    missing_fraction: float = 0.05,
    wind: tuple[float, float] = (3.0, 1.0),
    psurf_hpa: float = 1000.0,
    n_footprints: int | None = None,
    n_sweeps: int = 1,
) -> Path:
    """Write an OCO-2 / OCO-3 / ACOS-GOSAT Lite file in the official v10/v11 layout.

    Parameters
    ----------
    path_or_dir : str or pathlib.Path
        Directory (the official file name is generated) or full file path.
    platform : {"oco2", "oco3", "acos"}
        Selects file name prefix, ``ShortName`` and defaults.
    n_frames : int
        Along-track frames (rows); each frame holds ``n_footprints`` soundings
        (8 for OCO, 1 for ACOS) of 1.3 x 2.25 km (OCO) or 10.5 km (GOSAT).
    center : (lon, lat)
        Swath centre [degrees].
    values, enhancement : scalar, array (n_frames, n_footprints) or callable(lon, lat)
        Known field [ppm]: ``truth = values + enhancement``; ``values`` defaults
        to :func:`background_xco2`.
    noise : float
        1-sigma Gaussian noise [ppm] added with ``numpy.random.default_rng(seed)``.
    uncertainty : float, optional
        ``xco2_uncertainty`` written [ppm]; default ``noise`` (0.5 if noise is 0).
    seed : int
        Seed of noise, QA and missing-sounding draws.
    mode : str, optional
        ``Sounding/operation_mode`` (0 nadir, 1 glint, 2 target, 3 transition,
        4 SAM); default glint for OCO-2/ACOS, SAM when ``target`` is given.
    target : str, optional
        OCO-3 target name from :data:`OCO3_TARGETS` (e.g. ``"fossil_Los_Angeles_USA"``);
        centres the swath on it and writes ``Sounding/target_id``/``target_name``.
    version : {"v10", "v11"}
        Collection (``CollectionLabel`` B10206Ar / B11100Ar; v11 adds ``xco2_x2019``).
    date : str
        ISO time of the first frame.
    bad_fraction, missing_fraction : float
        Fractions of soundings with ``xco2_quality_flag = 1`` and of positions
        without a sounding (dropped from the file), drawn with ``seed``.
    wind : (u, v)
        ``Meteorology/windspeed_u_met``/``_v_met`` [m s-1].
    psurf_hpa : float
        ``Retrieval/psurf`` [hPa].
    n_footprints : int, optional
        Footprints per frame (default 8 for OCO, 1 for ACOS).
    n_sweeps : int, default 1
        Adjacent sweeps side by side, as OCO-3 SAM/target modes map an area
        (~80 x 80 km) with several passes: the file then holds
        ``n_frames * n_sweeps`` frames in time order, sweep after sweep, each
        shifted across-track by one swath width. Array ``values`` then have
        shape ``(n_frames * n_sweeps, n_footprints)``.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    import netCDF4

    rng = np.random.default_rng(seed)
    nfp = n_footprints or (1 if platform == "acos" else 8)
    if target is not None:
        if target not in OCO3_TARGETS:
            raise ValueError(f"unknown target {target!r}; choose from {sorted(OCO3_TARGETS)}")
        _, tlon, tlat = OCO3_TARGETS[target]
        center = (tlon, tlat)
        mode = mode or "sam"
    mode = mode or "glint"
    mode_code = {"nadir": 0, "glint": 1, "target": 2, "transition": 3, "sam": 4}[mode]
    dx, dy = (10.5, 10.5) if platform == "acos" else (1.3, 2.25)
    lon, lat, blon, blat = _grid(n_frames, nfp, center, dx, dy)
    if n_sweeps > 1:
        width = nfp * dx / (111.195 * np.cos(np.deg2rad(center[1])))
        offs = (np.arange(n_sweeps) - (n_sweeps - 1) / 2.0) * width
        lon = np.concatenate([wrap_longitude(lon + o) for o in offs])
        blon = np.concatenate([wrap_longitude(blon + o) for o in offs])
        lat, blat = np.tile(lat, (n_sweeps, 1)), np.tile(blat, (n_sweeps, 1, 1))
    n_rows = n_frames * n_sweeps
    truth = (
        _field(values, lon, lat) if values is not None else background_xco2(lon, lat)
    ) + _field(enhancement, lon, lat)
    xco2 = truth + noise * rng.standard_normal(truth.shape)
    unc = uncertainty if uncertainty is not None else (noise if noise > 0 else 0.5)
    qf = (rng.random(truth.shape) < bad_fraction).astype("int8")
    present = rng.random(truth.shape) >= missing_fraction
    present[0, 0] = True

    t0 = np.datetime64(date, "ms")
    frame_dt = np.timedelta64(333, "ms") if platform != "acos" else np.timedelta64(4000, "ms")
    t_frame = t0 + np.arange(n_rows) * frame_dt
    iy, ix = np.nonzero(present)
    n = iy.size
    tt = t_frame[iy]
    # sounding_id = YYYYMMDDhhmmss m f : tenths of seconds digit m, footprint f
    sec = tt.astype("datetime64[s]")
    tenths = ((tt - sec).astype("int64") // 100).astype("int64")
    stamp = np.array(
        [int(str(s).replace("-", "").replace("T", "").replace(":", "")) for s in sec], dtype="int64"
    )
    sid = stamp * 100 + tenths * 10 + (ix + 1)
    order = np.argsort(sid, kind="stable")
    iy, ix, tt, sid = iy[order], ix[order], tt[order], sid[order]
    if np.unique(sid).size != sid.size:
        raise ValueError("sounding_id collision: reduce n_frames or change date")

    psurf = np.full(n, psurf_hpa, dtype="float64")
    plev, pw = _levels_toa_first(psurf)
    ak = np.clip(0.6 + 0.5 * np.linspace(0, 1, 20), 0, 1.1)[None, :].repeat(n, 0)
    prior = np.where(np.arange(20) < 4, 395.0, 405.0)[None, :].repeat(n, 0)

    prefix = {"oco2": "oco2", "oco3": "oco3", "acos": "acos"}[platform]
    build = {"v10": "B10206Ar", "v11": "B11100Ar"}[version]
    if platform == "acos":
        build = {"v10": "B10206Ar", "v11": "B11000Ar"}[version]
    day = str(t0.astype("datetime64[D]")).replace("-", "")[2:]
    fname = f"{prefix}_LtCO2_{day}_{build}_230603215457s.nc4"
    out = _target_path(path_or_dir, fname)
    short = {"oco2": "OCO2_L2_Lite_FP", "oco3": "OCO3_L2_Lite_FP", "acos": "ACOS_L2_Lite_FP"}[
        platform
    ]

    def write(tmp: Path) -> None:
        with netCDF4.Dataset(tmp, "w", format="NETCDF4") as nc:
            nc.setncattr("CollectionLabel", build)
            nc.setncattr("ShortName", short)
            nc.setncattr("Title", f"{short} synthetic (urbansat.testing)")
            nc.setncattr(
                "comment", "SYNTHETIC file written by urbansat.testing.granules.write_oco_lite"
            )
            nc.createDimension("sounding_id", n)
            nc.createDimension("levels", 20)
            nc.createDimension("vertices", 4)
            nc.createDimension("bands", 3)
            nc.createDimension("epoch_dimension", 7)
            nc.createDimension("footprints", 8)
            nc.createDimension("source_files", 1)

            def var(
                grp: Any,
                name: str,
                dtype: str,
                dims: tuple[str, ...],
                data: Any,
                units: str | None = None,
                long_name: str | None = None,
                fill: bool = True,
            ) -> None:
                v = grp.createVariable(name, dtype, dims, zlib=True)
                if fill and np.dtype(dtype).kind == "f":
                    v.setncattr("missing_value", np.array(_OCO_FILL, dtype=dtype))
                if units is not None:
                    v.setncattr("units", units)
                if long_name:
                    v.setncattr("long_name", long_name)
                v[:] = data

            S = ("sounding_id",)
            var(nc, "sounding_id", "i8", S, sid, long_name="sounding id", fill=False)
            var(nc, "levels", "i4", ("levels",), np.arange(20), fill=False)
            var(nc, "vertices", "i4", ("vertices",), np.arange(4), fill=False)
            var(nc, "bands", "i4", ("bands",), np.arange(3), fill=False)
            var(nc, "epoch_dimension", "i4", ("epoch_dimension",), np.arange(7), fill=False)
            var(nc, "latitude", "f4", S, lat[iy, ix], "degrees_north")
            var(nc, "longitude", "f4", S, lon[iy, ix], "degrees_east")
            tsec = (tt - np.datetime64("1970-01-01", "ms")).astype("int64") / 1000.0
            var(nc, "time", "f8", S, tsec, "seconds since 1970-01-01 00:00:00")
            dt = tt.astype(object)
            date7 = np.array(
                [
                    [d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond // 1000]
                    for d in dt
                ],
                dtype="i4",
            )
            var(nc, "date", "i4", ("sounding_id", "epoch_dimension"), date7, fill=False)
            var(nc, "solar_zenith_angle", "f4", S, np.full(n, 35.0), "degrees")
            var(nc, "sensor_zenith_angle", "f4", S, np.full(n, 5.0), "degrees")
            var(nc, "xco2", "f4", S, xco2[iy, ix], "ppm", "bias-corrected XCO2")
            var(nc, "xco2_uncertainty", "f4", S, np.full(n, unc), "ppm")
            var(nc, "xco2_quality_flag", "i1", S, qf[iy, ix], long_name="0=good, 1=bad")
            var(nc, "xco2_qf_bitflag", "i4", S, qf[iy, ix].astype("i4"))
            var(nc, "xco2_qf_simple_bitflag", "i1", S, qf[iy, ix])
            var(nc, "xco2_apriori", "f4", S, (prior * pw).sum(-1), "ppm")
            if version == "v11":
                var(nc, "xco2_x2019", "f4", S, xco2[iy, ix] + 0.1, "ppm")
            L = ("sounding_id", "levels")
            var(nc, "co2_profile_apriori", "f4", L, prior, "ppm")
            var(nc, "xco2_averaging_kernel", "f4", L, ak, "1")
            var(nc, "pressure_levels", "f4", L, plev, "hPa")
            var(nc, "pressure_weight", "f4", L, pw, "1")
            V = ("sounding_id", "vertices")
            var(nc, "vertex_latitude", "f4", V, blat[iy, ix], "degrees_north")
            var(nc, "vertex_longitude", "f4", V, blon[iy, ix], "degrees_east")
            var(nc, "file_index", "i2", S, np.ones(n, dtype="i2"), fill=False)
            sf = nc.createVariable("source_files", str, ("source_files",))
            sf[0] = f"{prefix}_L2Std_synthetic.h5"

            g = nc.createGroup("Sounding")
            var(
                g,
                "operation_mode",
                "i1",
                S,
                np.full(n, mode_code, "i1"),
                long_name="0=Nadir 1=Glint 2=Target 3=Transition 4=SAM",
            )
            var(g, "footprint", "i1", S, (ix + 1).astype("i1"))
            var(g, "orbit", "i4", S, np.full(n, 31234, "i4"))
            var(g, "land_water_indicator", "i1", S, np.zeros(n, "i1"))
            var(g, "land_fraction", "f4", S, np.full(n, 100.0), "percent")
            var(g, "solar_azimuth_angle", "f4", S, np.full(n, 150.0), "degrees")
            var(g, "sensor_azimuth_angle", "f4", S, np.full(n, 200.0), "degrees")
            var(g, "altitude", "f4", S, np.full(n, 100.0), "m")
            var(g, "altitude_stddev", "f4", S, np.full(n, 5.0), "m")
            var(g, "glint_angle", "f4", S, np.full(n, 10.0), "degrees")
            var(g, "airmass", "f4", S, np.full(n, 2.2), "1")
            var(g, "l1b_type", "i1", S, np.zeros(n, "i1"))
            if platform == "oco3":
                tid, tname = (OCO3_TARGETS[target][0], target) if target else ("none", "none")
                for nm, val in (("target_id", tid), ("target_name", tname)):
                    v = g.createVariable(nm, str, S)
                    v[:] = np.array([val] * n, dtype=object)
            g = nc.createGroup("Retrieval")
            var(g, "psurf", "f4", S, psurf, "hPa")
            var(g, "xco2_raw", "f4", S, xco2[iy, ix] + 0.3, "ppm")
            for nm in (
                "dp",
                "dp_o2a",
                "dp_sco2",
                "co2_grad_del",
                "deltaT",
                "aod_total",
                "aod_dust",
                "albedo_o2a",
                "albedo_wco2",
                "albedo_sco2",
                "tcwv",
                "windspeed",
                "chi2_o2a",
            ):
                var(g, nm, "f4", S, np.zeros(n), "1")
            var(g, "surface_type", "i1", S, np.ones(n, "i1"))
            g = nc.createGroup("Meteorology")
            for b in ("o2a", "wco2", "sco2"):
                var(g, f"psurf_apriori_{b}", "f4", S, psurf + 1.0, "hPa")
            var(g, "windspeed_u_met", "f4", S, np.full(n, wind[0]), "m s-1")
            var(g, "windspeed_v_met", "f4", S, np.full(n, wind[1]), "m s-1")
            g = nc.createGroup("Preprocessors")
            var(g, "co2_ratio", "f4", S, np.ones(n), "1")
            var(g, "h2o_ratio", "f4", S, np.ones(n), "1")
            g = nc.createGroup("Auxiliary")
            var(g, "n_dem_points", "i2", S, np.full(n, 10, "i2"))

    return _atomic(out, write)


# ----------------------------------------------------------------- GOSAT FTS
def write_gosat_fts(
    path_or_dir: str | Path,
    *,
    platform: Literal["gosat", "gosat2"] = "gosat",
    gas: Literal["co2", "ch4"] = "co2",
    n_soundings: int = 50,
    center: tuple[float, float] = (139.69172, 35.68946),
    values: Field = None,
    enhancement: Field = None,
    noise: float | None = None,
    uncertainty: float | None = None,
    seed: int = 0,
    date: str = "2019-06-01T03:00:00",
    bad_fraction: float = 0.2,
) -> Path:
    """Write a NIES GOSAT / GOSAT-2 TANSO-FTS SWIR L2 HDF5 file (CO2 or CH4).

    Layout (spec + HARP ``gosat_fts_l2``): ``/Data/geolocation/{latitude,
    longitude, footPrintLatitude (n, 36), footPrintLongitude, landFraction}``,
    ``/Data/mixingRatio/{XCO2, XCO2BiasCorrected, XCO2BiasCorrectedError}`` (or
    ``XCH4*``), ``/Data/retrievalQuality/{totalPostScreeningResult, chi2, CO2DFS}``,
    ``/scanAttribute/time`` ("YYYY-MM-DD hh:mm:ss.sss"),
    ``/scanAttribute/qualityInformation/SNR``,
    ``/scanAttribute/referenceData/{surfaceAlbedo, surfaceWindSpeed}``; attributes
    ``unit`` and ``longName`` as byte strings; float fill -9999.

    Parameters
    ----------
    path_or_dir : str or pathlib.Path
        Directory (official name ``GOSATTFTS2YYYYMMDD_02C01SV0295.h5`` /
        ``GOSAT2TFTS2YYYYMMDD_02SWFPV0200.h5``) or full path.
    gas : {"co2", "ch4"}
        XCO2 [ppm] (background :func:`background_xco2`) or XCH4 [ppb]
        (:func:`background_xch4`).
    n_soundings : int
        Exposures, along a north-going track of 10.5 km circular footprints
        every 0.1 degree of latitude.
    values, enhancement, noise, uncertainty, seed
        As in :func:`write_oco_lite`; default noise 1 ppm (CO2) / 8 ppb (CH4).
    bad_fraction : float
        Fraction with ``totalPostScreeningResult = 1``.

    Returns
    -------
    pathlib.Path
    """
    import h5py

    rng = np.random.default_rng(seed)
    noise = (1.0 if gas == "co2" else 8.0) if noise is None else noise
    lon0, lat0 = center
    lat = lat0 + (np.arange(n_soundings) - (n_soundings - 1) / 2) * 0.1
    lon = np.full(n_soundings, lon0) + 0.02 * np.sin(np.arange(n_soundings))
    bg = background_xco2 if gas == "co2" else background_xch4
    truth = (_field(values, lon, lat) if values is not None else bg(lon, lat)) + _field(
        enhancement, lon, lat
    )
    x = truth + noise * rng.standard_normal(n_soundings)
    unc = uncertainty if uncertainty is not None else (noise if noise > 0 else 1.0)
    screen = (rng.random(n_soundings) < bad_fraction).astype("int16")
    t0 = np.datetime64(date, "ms")
    tt = t0 + np.arange(n_soundings) * np.timedelta64(4000, "ms")
    tstr = np.array([str(t).replace("T", " ")[:23] for t in tt], dtype="S23")
    ang = np.deg2rad(np.arange(36) * 10.0)
    r = 5.25 / 111.195
    fplat = lat[:, None] + r * np.sin(ang)[None, :]
    fplon = lon[:, None] + r * np.cos(ang)[None, :] / np.cos(np.deg2rad(lat))[:, None]
    day = str(t0.astype("datetime64[D]")).replace("-", "")
    if platform == "gosat":
        fname = f"GOSATTFTS2{day}_02{'C01' if gas == 'co2' else 'C02'}SV0295.h5"
    else:
        fname = f"GOSAT2TFTS2{day}_02SWFP{'CO2' if gas == 'co2' else 'CH4'}V0200.h5"
    out = _target_path(path_or_dir, fname)
    G = "XCO2" if gas == "co2" else "XCH4"
    units = "ppm" if gas == "co2" else "ppb"

    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as h:
            h.attrs["satellite"] = np.bytes_("GOSAT" if platform == "gosat" else "GOSAT-2")
            h.attrs["comment"] = np.bytes_(
                "SYNTHETIC file written by urbansat.testing.granules.write_gosat_fts"
            )

            def ds(name: str, data: Any, unit: str, long_name: str, dtype: str = "f4") -> None:
                d = h.create_dataset(name, data=np.asarray(data, dtype=dtype))
                d.attrs["unit"] = np.bytes_(unit)
                d.attrs["longName"] = np.bytes_(long_name)

            ds("Data/geolocation/latitude", lat, "deg", "latitude of the observation point")
            ds("Data/geolocation/longitude", lon, "deg", "longitude of the observation point")
            ds("Data/geolocation/footPrintLatitude", fplat, "deg", "footprint latitude (36 points)")
            ds(
                "Data/geolocation/footPrintLongitude",
                fplon,
                "deg",
                "footprint longitude (36 points)",
            )
            ds("Data/geolocation/landFraction", np.full(n_soundings, 100.0), "%", "land fraction")
            ds(
                f"Data/mixingRatio/{G}",
                x + (0.5 if gas == "co2" else 5.0),
                units,
                f"{G} (not bias-corrected)",
            )
            ds(f"Data/mixingRatio/{G}BiasCorrected", x, units, f"bias-corrected {G}")
            ds(
                f"Data/mixingRatio/{G}BiasCorrectedError",
                np.full(n_soundings, unc),
                units,
                f"error of bias-corrected {G}",
            )
            ds(
                "Data/retrievalQuality/totalPostScreeningResult",
                screen,
                "",
                "0: good, 1: bad",
                "i2",
            )
            ds("Data/retrievalQuality/chi2", np.full(n_soundings, 1.1), "", "chi square")
            ds("Data/retrievalQuality/CO2DFS", np.full(n_soundings, 1.5), "", "degrees of freedom")
            h.create_dataset("scanAttribute/time", data=tstr)
            h["scanAttribute/time"].attrs["unit"] = np.bytes_("YYYY-MM-DD hh:mm:ss.sss")
            ds("scanAttribute/qualityInformation/SNR", np.full(n_soundings, 300.0), "", "SNR")
            ds("scanAttribute/referenceData/surfaceAlbedo", np.full(n_soundings, 0.2), "", "albedo")
            ds(
                "scanAttribute/referenceData/surfaceWindSpeed",
                np.full(n_soundings, 4.0),
                "m/s",
                "wind speed",
            )

    return _atomic(out, write)


# ----------------------------------------------------------------- TROPOMI CH4
def write_tropomi_ch4(
    path_or_dir: str | Path,
    *,
    version: Literal["v1", "v2"] = "v2",
    n_scanlines: int = 60,
    n_pixels: int = 40,
    center: tuple[float, float] = (149.0, -22.75),
    values: Field = None,
    enhancement: Field = None,
    noise: float = 8.0,
    uncertainty: float | None = None,
    seed: int = 0,
    date: str = "2022-07-22T03:30:44",
    bad_fraction: float = 0.2,
    wind: tuple[float, float] = (4.0, -1.0),
    psurf: float = 98000.0,
    orbit: int = 24725,
) -> Path:
    """Write a Sentinel-5P TROPOMI CH4 L2 file in the v1 (1.2.2) or v2 (2.4.0) layout.

    Groups/variables/dtypes/fill values as measured on the real files
    (``PRODUCT``, ``PRODUCT/SUPPORT_DATA/{GEOLOCATIONS,DETAILED_RESULTS,INPUT_DATA}``,
    ``METADATA``): ``qa_value`` uint8 with scale_factor 0.01 and fill 255, floats
    with ``_FillValue`` 9.96921e36, ``time`` in s since 2010-01-01, ``delta_time``
    int32 ms ("milliseconds" in v1, "milliseconds since <day>" in v2), 12 layers
    and 13 ``altitude_levels`` top of atmosphere first. v2 adds ``time_utc``, the
    satellite sub-point, ECMWF winds and ``maximum_reflectance_*``.

    Parameters
    ----------
    path_or_dir : str or pathlib.Path
        Directory (official ``S5P_OFFL_L2__CH4____...nc`` name) or full path.
    version : {"v1", "v2"}
    n_scanlines, n_pixels : int
        Swath shape (``y`` = scanline, ``x`` = ground_pixel), 5.5 x 7 km pixels.
    values, enhancement, noise, uncertainty, seed
        As in :func:`write_oco_lite` [ppb]; background :func:`background_xch4`.
        The field is written to ``methane_mixing_ratio_bias_corrected``;
        ``methane_mixing_ratio`` = field - 10 ppb.
    bad_fraction : float
        Fraction of pixels with qa_value 0.4 (others 1.0).
    wind : (u, v)
        ECMWF 10 m wind [m s-1] (v2 only, as in the real files).
    psurf : float
        Surface pressure [Pa]; ``pressure_interval = psurf / 12``.

    Returns
    -------
    pathlib.Path
    """
    import netCDF4

    rng = np.random.default_rng(seed)
    lon, lat, blon, blat = _grid(n_scanlines, n_pixels, center, 5.5, 7.0)
    truth = (
        _field(values, lon, lat) if values is not None else background_xch4(lon, lat)
    ) + _field(enhancement, lon, lat)
    x = truth + noise * rng.standard_normal(truth.shape)
    unc = uncertainty if uncertainty is not None else (noise if noise > 0 else 8.0)
    qa = np.where(rng.random(truth.shape) < bad_fraction, 40, 100).astype("u1")
    t0 = np.datetime64(date, "ms")
    day = t0.astype("datetime64[D]")
    delta_ms = ((t0 - day).astype("int64") + np.arange(n_scanlines) * 840).astype("i4")
    ref_s = int((day - np.datetime64("2010-01-01", "D")).astype("int64") * 86400)
    proc = {"v1": "010202", "v2": "020400"}[version]
    coll = {"v1": "01", "v2": "03"}[version]
    t_end = t0 + np.timedelta64(3503, "s")

    def fmt(t: np.datetime64) -> str:
        return str(t.astype("datetime64[s]")).replace("-", "").replace(":", "")

    t_proc = fmt(t_end + np.timedelta64(3, "D"))
    fname = f"S5P_OFFL_L2__CH4____{fmt(t0)}_{fmt(t_end)}_{orbit:05d}_{coll}_{proc}_{t_proc}.nc"
    out = _target_path(path_or_dir, fname)
    nl = 12
    dp = psurf / nl
    # dry-air subcolumns of equal-pressure layers: d = dp / (g M_air) [mol m-2]
    from urbansat.constants import M_AIR, G

    dry = np.full((n_scanlines, n_pixels, nl), dp / (G * M_AIR), dtype="float64")
    prior_ppb = np.where(np.arange(nl) == 0, 1400.0, 1870.0)
    prior_mol = dry * prior_ppb * 1e-9
    ak = np.linspace(0.65, 1.09, nl)
    alt = np.linspace(64000.0, 150.0, nl + 1)
    F = _S5P_FILL

    def write(tmp: Path) -> None:
        with netCDF4.Dataset(tmp, "w", format="NETCDF4") as nc:
            for k, v in {
                "Conventions": "CF-1.7",
                "institution": "KNMI/SRON",
                "source": "Sentinel 5 precursor, TROPOMI, space-borne remote sensing, L2",
                "summary": "TROPOMI/S5P Methane 1-Orbit L2 Swath 5.5x7.0km",
                "id": fname[:-3],
                "time_reference": f"{day}T00:00:00Z",
                "time_coverage_start": f"{t0.astype('datetime64[s]')}Z",
                "time_coverage_end": f"{t_end.astype('datetime64[s]')}Z",
                "orbit": str(orbit),
                "processor_version": {"v1": "1.2.2", "v2": "2.4.0"}[version],
                "product_version": {"v1": "1.1.0", "v2": "1.5.0"}[version],
                "platform": "S5P",
                "sensor": "TROPOMI",
                "history": "SYNTHETIC file written by urbansat.testing.granules.write_tropomi_ch4",
            }.items():
                nc.setncattr(k, v)
            P = nc.createGroup("PRODUCT")
            P.createDimension("time", 1)
            P.createDimension("scanline", n_scanlines)
            P.createDimension("ground_pixel", n_pixels)
            P.createDimension("corner", 4)
            P.createDimension("layer", nl)
            P.createDimension("level", nl + 1)

            def fv(
                grp: Any,
                name: str,
                dims: tuple[str, ...],
                data: Any,
                units: str | None,
                long_name: str,
                dtype: str = "f4",
            ) -> Any:
                fill = {
                    "f4": F,
                    "i4": np.int32(-2147483647),
                    "u1": np.uint8(255),
                    "u4": np.uint32(4294967295),
                    "i2": np.int16(-32767),
                }[dtype]
                v = grp.createVariable(name, dtype, dims, fill_value=fill, zlib=True)
                v.set_auto_maskandscale(False)
                if units is not None:
                    v.setncattr("units", units)
                v.setncattr("long_name", long_name)
                v[:] = np.asarray(data).astype(dtype)
                return v

            T3 = ("time", "scanline", "ground_pixel")
            for nm, n in (("scanline", n_scanlines), ("ground_pixel", n_pixels), ("corner", 4)):
                fv(P, nm, (nm,), np.arange(n), "1", f"{nm} index", "i4")
            fv(P, "layer", ("layer",), np.arange(nl), None, "layer", "i4")
            fv(P, "level", ("level",), np.arange(nl + 1), None, "level", "i4")
            fv(
                P,
                "time",
                ("time",),
                [ref_s],
                "seconds since 2010-01-01 00:00:00",
                "reference time for the measurements",
                "i4",
            )
            fv(
                P,
                "delta_time",
                ("time", "scanline"),
                delta_ms[None],
                "milliseconds" if version == "v1" else f"milliseconds since {day} 00:00:00",
                "offset of start time of measurement relative to time_reference",
                "i4",
            )
            if version == "v2":
                tu = P.createVariable("time_utc", str, ("time", "scanline"))
                tu.long_name = "Time of observation as ISO 8601 date-time string"
                tt = t0 + np.arange(n_scanlines) * np.timedelta64(840, "ms")
                tu[:] = np.array([[f"{t}000Z" for t in tt.astype("datetime64[ms]")]], dtype=object)
            v = fv(P, "latitude", T3, lat[None], "degrees_north", "pixel center latitude")
            v.setncattr("bounds", "/PRODUCT/SUPPORT_DATA/GEOLOCATIONS/latitude_bounds")
            v = fv(P, "longitude", T3, lon[None], "degrees_east", "pixel center longitude")
            v.setncattr("bounds", "/PRODUCT/SUPPORT_DATA/GEOLOCATIONS/longitude_bounds")
            q = P.createVariable("qa_value", "u1", T3, fill_value=np.uint8(255), zlib=True)
            q.set_auto_maskandscale(False)
            q.setncattr("scale_factor", np.float32(0.01))
            q.setncattr("add_offset", np.float32(0.0))
            q.setncattr("units", "1")
            q.setncattr("long_name", "data quality value")
            q[:] = qa[None]
            fv(
                P,
                "methane_mixing_ratio",
                T3,
                (x - 10.0)[None],
                "1e-9",
                "column averaged dry air mixing ratio of methane",
            )
            fv(
                P,
                "methane_mixing_ratio_precision",
                T3,
                np.full((1, n_scanlines, n_pixels), unc),
                "1e-9",
                "precision of the column averaged dry air mixing ratio of methane",
            )
            fv(
                P,
                "methane_mixing_ratio_bias_corrected",
                T3,
                x[None],
                "1e-9",
                "corrected column-averaged dry-air mole fraction of methane",
            )
            S = P.createGroup("SUPPORT_DATA")
            GEO = S.createGroup("GEOLOCATIONS")
            T2 = ("time", "scanline")
            if version == "v2":
                fv(
                    GEO,
                    "satellite_latitude",
                    T2,
                    lat[None, :, n_pixels // 2],
                    "degrees_north",
                    "sub satellite latitude",
                )
                fv(
                    GEO,
                    "satellite_longitude",
                    T2,
                    lon[None, :, n_pixels // 2],
                    "degrees_east",
                    "satellite_longitude",
                )
            fv(
                GEO,
                "satellite_altitude",
                T2,
                np.full((1, n_scanlines), 828000.0),
                "m",
                "satellite altitude",
            )
            for nm in (
                "solar_zenith_angle",
                "solar_azimuth_angle",
                "viewing_zenith_angle",
                "viewing_azimuth_angle",
            ):
                fv(
                    GEO,
                    nm,
                    T3,
                    np.full((1, n_scanlines, n_pixels), 30.0),
                    "degree",
                    nm.replace("_", " "),
                )
            T4 = ("time", "scanline", "ground_pixel", "corner")
            fv(GEO, "latitude_bounds", T4, blat[None], None, "latitude_bounds")
            fv(GEO, "longitude_bounds", T4, blon[None], None, "longitude_bounds")
            fv(
                GEO,
                "geolocation_flags",
                T3,
                np.zeros((1, n_scanlines, n_pixels)),
                "1",
                "geolocation flags",
                "u1",
            )
            DET = S.createGroup("DETAILED_RESULTS")
            fv(
                DET,
                "processing_quality_flags",
                T3,
                np.zeros((1, n_scanlines, n_pixels)),
                None,
                "Processing quality flags",
                "u4",
            )
            TL = ("time", "scanline", "ground_pixel", "layer")
            fv(
                DET,
                "column_averaging_kernel",
                TL,
                np.broadcast_to(ak, (1, n_scanlines, n_pixels, nl)),
                "1",
                "Column averaging kernel",
            )
            fv(
                DET,
                "surface_albedo_SWIR",
                T3,
                np.full((1, n_scanlines, n_pixels), 0.25),
                "1",
                "surface albedo in the SWIR channel",
            )
            fv(
                DET,
                "aerosol_optical_thickness_SWIR",
                T3,
                np.full((1, n_scanlines, n_pixels), 0.05),
                "1",
                "aerosol optical thickness in the SWIR channel",
            )
            if version == "v2":
                fv(
                    DET,
                    "maximum_reflectance_SWIR",
                    T3,
                    np.full((1, n_scanlines, n_pixels), 0.3),
                    "1",
                    "Maximum reflectance in the SWIR channel",
                )
            INP = S.createGroup("INPUT_DATA")
            fv(
                INP,
                "surface_altitude",
                T3,
                np.full((1, n_scanlines, n_pixels), 150.0),
                "m",
                "Surface altitude",
            )
            fv(
                INP,
                "surface_classification",
                T3,
                np.zeros((1, n_scanlines, n_pixels)),
                None,
                "Land-water mask and surface classification",
                "u1",
            )
            if version == "v2":
                fv(
                    INP,
                    "eastward_wind",
                    T3,
                    np.full((1, n_scanlines, n_pixels), wind[0]),
                    "m s-1",
                    "Eastward wind from ECMWF at 10 meter height level",
                )
                fv(
                    INP,
                    "northward_wind",
                    T3,
                    np.full((1, n_scanlines, n_pixels), wind[1]),
                    "m s-1",
                    "Northward wind from ECMWF at 10 meter height level",
                )
            fv(
                INP,
                "methane_profile_apriori",
                TL,
                prior_mol[None],
                "mol m-2",
                "mole content of methane",
            )
            fv(
                INP,
                "altitude_levels",
                ("time", "scanline", "ground_pixel", "level"),
                np.broadcast_to(alt, (1, n_scanlines, n_pixels, nl + 1)),
                "m",
                "height above the geoid",
            )
            fv(INP, "dry_air_subcolumns", TL, dry[None], "mol m-2", "dry air subcolumns")
            fv(
                INP,
                "surface_pressure",
                T3,
                np.full((1, n_scanlines, n_pixels), psurf),
                "Pa",
                "surface air pressure",
            )
            fv(
                INP,
                "pressure_interval",
                T3,
                np.full((1, n_scanlines, n_pixels), dp),
                "Pa",
                "pressure difference between levels in the retrieval",
            )
            M = nc.createGroup("METADATA")
            for g in (
                "QA_STATISTICS",
                "ALGORITHM_SETTINGS",
                "GRANULE_DESCRIPTION",
                "ISO_METADATA",
                "EOP_METADATA",
                "ESA_METADATA",
            ):
                M.createGroup(g)

    return _atomic(out, write)


# ----------------------------------------------------------------- in memory
def make_swath(
    *,
    gas: Literal["co2", "ch4"] = "co2",
    shape_yx: tuple[int, int] = (50, 8),
    center: tuple[float, float] = (-118.24532, 34.05349),
    pixel_km: tuple[float, float] = (1.3, 2.25),
    values: Field = None,
    enhancement: Field = None,
    noise: float = 0.0,
    uncertainty: float | None = None,
    seed: int = 0,
    time: str = "2020-07-04T20:30:00",
    wind: tuple[float, float] | None = (3.0, 1.0),
    chunks: dict[str, int] | None = None,
) -> xr.Dataset:
    """Build a normalized swath in memory (no file), with a known field.

    Parameters
    ----------
    gas : {"co2", "ch4"}
    shape_yx : (int, int)
        Rows (along-track) and columns (across-track).
    center : (lon, lat)
    pixel_km : (across, along)
        Pixel size [km].
    values, enhancement, noise, uncertainty, seed
        As in :func:`write_oco_lite`, in ppm (CO2) or ppb (CH4).
    time : str
        Time of the first row; rows are 0.333 s apart.
    wind : (u, v) or None
        Uniform 10 m wind written as ``eastward_wind``/``northward_wind``.
    chunks : dict, optional
        Chunk the result with dask (e.g. ``{"y": 7, "x": 3}``).

    Returns
    -------
    xarray.Dataset
        Valid per :func:`urbansat.schema.validate_granule`, ``attrs["truth"]``
        absent; the noise-free field is the variable ``<gas>_truth``.
    """
    from urbansat.schema import GAS_STANDARD_NAMES, GAS_UNITS, validate_granule

    rng = np.random.default_rng(seed)
    ny, nx = shape_yx
    lon, lat, blon, blat = _grid(ny, nx, center, pixel_km[0], pixel_km[1])
    bg = background_xco2 if gas == "co2" else background_xch4
    truth = (_field(values, lon, lat) if values is not None else bg(lon, lat)) + _field(
        enhancement, lon, lat
    )
    x = truth + noise * rng.standard_normal(truth.shape)
    unc = (
        uncertainty
        if uncertainty is not None
        else (noise if noise > 0 else (0.5 if gas == "co2" else 8.0))
    )
    units = GAS_UNITS[gas]
    var = f"x{gas}"
    t = np.datetime64(time, "ns") + np.arange(ny) * np.timedelta64(333, "ms")
    YX = ("y", "x")
    data = {
        var: (YX, x.astype("float32"), {"units": units, "standard_name": GAS_STANDARD_NAMES[gas]}),
        f"{var}_uncertainty": (YX, np.full(x.shape, unc, "float32"), {"units": units}),
        f"{var}_truth": (YX, truth, {"units": units, "long_name": "noise-free known field"}),
        "qa_pass": (YX, np.ones(x.shape, bool)),
        "latitude_bounds": ((*YX, "corner"), blat, {"units": "degrees_north"}),
        "longitude_bounds": ((*YX, "corner"), blon, {"units": "degrees_east"}),
    }
    if wind is not None:
        data["eastward_wind"] = (YX, np.full(x.shape, wind[0], "float32"), {"units": "m s-1"})
        data["northward_wind"] = (YX, np.full(x.shape, wind[1], "float32"), {"units": "m s-1"})
    ds = xr.Dataset(
        data,
        coords={
            "latitude": (YX, lat, {"units": "degrees_north", "standard_name": "latitude"}),
            "longitude": (YX, lon, {"units": "degrees_east", "standard_name": "longitude"}),
            "time": (YX, np.repeat(t[:, None], nx, axis=1), {"standard_name": "time"}),
        },
        attrs={
            "product": "synthetic",
            "product_version": "urbansat.testing",
            "gas": gas,
            "platform": "synthetic",
            "source_files": ["<memory>"],
            "qa": "none",
            "Conventions": "CF-1.10",
        },
    )
    if chunks:
        ds = ds.chunk(chunks)
    return validate_granule(ds)
