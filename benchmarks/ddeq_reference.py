"""ddeq 1.1 on the SMARTCARB scene: plume detection + CSF + IME, timed, one JSON line out.

The reference half of ``bench_inversion.py``'s same-run comparison. Run it with the
interpreter of a SEPARATE environment that has ddeq installed (ddeq pulls cartopy,
onnxruntime, scikit-image, ...; it is not a dependency of urbansat)::

    python3 -m venv /work/ddeq-venv
    /work/ddeq-venv/bin/pip install ddeq==1.1 "xarray==2025.1.2" "pandas<3"
    /work/ddeq-venv/bin/python benchmarks/ddeq_reference.py [--data DIR] [--detect-with NO2|CO2]
        [--xco2 FILE] [--serve]

``--xco2 FILE`` (what ``bench_inversion.py`` passes): the noisy XCO2, its sigma and QA
mask that urbansat inverts replace ddeq's own CO2 draw, so both tools see one noise
realisation (checksums in the output). ``--serve``: persistent mode for the benchmark's
interleaved timing (import and read once, one warm-up repetition, then one repetition of
steps 4-6 per ``run`` line on stdin, one JSON line each; see :func:`serve`). Without it,
one repetition right after reading (not warmed up) is printed as one JSON line.

The pins: with xarray 2026.9 every ddeq 1.1 CSF/IME call fails in
``ddeq.misc.init_results_dataset`` (``xr.Dataset(<Dataset>)`` is no longer accepted).

Workflow (ddeq 1.1's own SMARTCARB functions, in the order its modules expect them)
-----------------------------------------------------------------------------------
1. ``ddeq.smartcarb.read_level2(l2, co2_noise_scenario="low")``: XCO2 with the
   documented 0.5 ppm noise ("low" scenario; ddeq's seed is derived from the orbit, so
   the realisation is reproducible but is not urbansat's), pixels with cloud
   fraction > 1 % masked; NO2 with ddeq's default "high" noise scenario. With
   ``--xco2`` the XCO2 and its sigma are then replaced by urbansat's (:func:`inject_xco2`);
   NO2 stays ddeq's.
2. ``ddeq.sources.read_smartcarb(sources-smartcarb.csv)``, restricted to Berlin and
   Jänschwalde (the two sources urbansat estimates).
3. ``ddeq.wind.read_smartcarb``: the COSMO GNFR-A effective wind of
   ``SMARTCARB_winds_2015042311.nc`` interpolated at the sources (ddeq sets its speed
   precision to 1 m s-1).
4. Detection: ``ddeq.dplume.detect_plumes`` (z-test, q = 0.99, Gaussian filter of 0.5 px,
   50 x 50 px median background) on NO2 (default; ddeq's SMARTCARB workflow detects CO2
   plumes with the co-located NO2 image, var_sys = (0.5e15 cm-2)^2) or on XCO2 itself
   (``--detect-with CO2``, var_sys = (0.2 ppm)^2, what urbansat does). Then
   ``ddeq.curves.fit_to_detections`` (quadratic Bezier centre line forced through the
   source), ``compute_natural_coords`` (along/across plume coordinates) and
   ``compute_plume_areas``.
5. Background: ``ddeq.background.estimate`` (normalized convolution over the
   non-detected pixels, sigma 10 px), ``emissions.compute_plume_signal`` and
   ``emissions.convert_units`` to kg m-2.
6. CSF: ``ddeq.csf.estimate_emissions(..., method="gauss", dx=5 km)``; IME:
   ``ddeq.ime.estimate_emissions``. Both are called once per source (ddeq 1.1's CSF keeps
   the first source's ``xmin`` for every later source of the same call).

Timing (each repetition starts from a deep copy of the read data, made before the clock
starts): ``t_import_s`` (import ddeq), ``t_read_s`` (steps 1-3), ``t_detect_s`` (step 4),
``t_background_s`` (step 5), ``t_csf_s``, ``t_ime_s``; ``t_detect_csf_ime_s`` is steps
4-6 (detection + background + CSF + IME), the part urbansat's "all methods" time also
covers. Estimates are printed in Mt CO2 yr-1 (1 kg s-1 = 365.25 * 86400 / 1e9 Mt yr-1)
with ddeq's own 1-sigma (its ``CO2_emissions_precision``), or null with the reason.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
import traceback
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent / "data" / "samples" / "smartcarb"
SOURCES = ["Berlin", "Janschwalde"]
#: kg s-1 -> Mt yr-1 (Julian year of 365.25 d, as the SMARTCARB "Mt/yr" columns)
KG_S_TO_MT_YR = 365.25 * 86400.0 / 1e9


def _value(ds, name: str, var: str) -> float | None:
    """Float of ``ds[var]`` for source ``name``, or None when absent/non-finite."""
    import numpy as np

    if ds is None or var not in ds or name not in ds.source.values:
        return None
    v = float(np.asarray(ds[var].sel(source=name)).squeeze())
    return v if np.isfinite(v) else None


def _sha256(a) -> str:
    """SHA-256 of an array as C-contiguous float64 bytes (NaN bit patterns included)."""
    import hashlib

    import numpy as np

    return hashlib.sha256(np.ascontiguousarray(a, dtype="float64").tobytes()).hexdigest()


def inject_xco2(data, xco2_path: Path) -> dict:
    """Replace ``data["CO2"]`` (and ``CO2_std``) by the noisy XCO2 urbansat inverts.

    ``xco2_path``: the netCDF ``bench_inversion.py`` writes (``xco2`` [ppm],
    ``xco2_uncertainty`` [ppm] and ``qa_pass`` on the Level-2 ``(nobs, nrows)`` grid, the
    draw of ``SmartcarbReader(noise_ppm=0.5, seed=0)``). Pixels with ``qa_pass`` False
    (cloud fraction >= 1 %, urbansat's mask) become NaN, so ddeq sees exactly urbansat's
    valid pixels and values. ddeq's own NO2 (its ``high`` noise scenario, its 30 % cloud
    threshold) is kept: urbansat has no NO2, and ddeq's NO2-detection variant needs it.
    Returns the checks stored in the JSON: the checksum of the array read, the count of
    valid pixels, whether ``data["CO2"]`` now equals it pixel for pixel, and how many of
    those pixels ddeq's own reader had masked (its noise model has no value there).
    """
    import numpy as np
    import xarray as xr

    with xr.open_dataset(xco2_path) as f:
        xco2 = f["xco2"].values.astype("float64")
        unc = f["xco2_uncertainty"].values.astype("float64")
        qa = f["qa_pass"].values.astype(bool)
        sha_file = f.attrs.get("xco2_sha256")
    dims = data["CO2"].dims
    if xco2.shape != data["CO2"].shape:
        sys.exit(
            f"ddeq_reference: {xco2_path} xco2 has shape {xco2.shape}, ddeq's CO2 "
            f"{data['CO2'].shape} {dims}; write it from the same Level-2 file"
        )
    sha = _sha256(xco2)
    if sha_file is not None and sha != sha_file:
        sys.exit(f"ddeq_reference: {xco2_path} xco2 checksum {sha} != its attribute {sha_file}")
    own_valid = np.isfinite(data["CO2"].values)
    new = np.where(qa, xco2, np.nan)
    attrs = dict(data["CO2"].attrs)
    attrs["noise_level"] = float(np.nanmax(unc))
    data["CO2"] = xr.DataArray(new, dims=dims, attrs=attrs)
    data["CO2_std"] = xr.DataArray(np.where(qa, unc, np.nan), dims=dims)
    used = np.isfinite(data["CO2"].values)
    return {
        "xco2_file": str(xco2_path),
        "xco2_sha256": sha,
        "xco2_sha256_valid_pixels": _sha256(xco2[qa]),
        "xco2_equal_to_file_where_valid": bool(np.array_equal(data["CO2"].values[qa], xco2[qa])),
        "n_valid_pixels": int(used.sum()),
        "n_valid_pixels_ddeq_own_reader": int(own_valid.sum()),
        "n_valid_here_masked_by_ddeq_own_reader": int((used & ~own_valid).sum()),
    }


def setup(data_dir: Path, detect_with: str, xco2_path: Path | None = None) -> dict:
    """Import ddeq and read the scene once (steps 1-3); timed apart from the repetitions."""
    t0 = time.perf_counter()
    import cartopy.crs as ccrs
    import ddeq
    import pandas as pd

    t_import = time.perf_counter() - t0

    # --- read: Level-2, sources, winds ---------------------------------------------
    t0 = time.perf_counter()
    data = ddeq.smartcarb.read_level2(
        str(data_dir / "Sentinel_7_CO2_2015042311_o1670_l0483.nc"),
        co2_noise_scenario="low",  # 0.5 ppm
        no2_noise_scenario="high",  # ddeq default
    )
    injected = None if xco2_path is None else inject_xco2(data, xco2_path)
    sources = ddeq.sources.read_smartcarb(str(data_dir / "sources-smartcarb.csv"))
    sources = sources.sel(source=SOURCES)
    when = pd.Timestamp(data.attrs["time"])
    winds = ddeq.wind.read_smartcarb(when, sources.lon, sources.lat, data_path=str(data_dir))
    winds = winds.isel(time=0)
    t_read = time.perf_counter() - t0
    return {
        "ddeq": ddeq,
        "data": data,
        "sources": sources,
        "winds": winds,
        "crs": ccrs.UTM(33),  # Berlin 13.4 E, Jänschwalde 14.5 E
        "detect_with": detect_with,
        "injected": injected,
        "t_import_s": t_import,
        "t_read_s": t_read,
    }


def meta(state: dict, csf_dx: float | None) -> dict:
    """What a run was made with (version, input field, options)."""
    inj = state["injected"]
    return {
        "ddeq_version": getattr(state["ddeq"], "__version__", None) or _dist_version("ddeq"),
        "python": sys.version.split()[0],
        "detect_with": state["detect_with"],
        "co2_noise_ppm": 0.5,
        "noise_seed": "orbit (ddeq default)" if inj is None else "urbansat's draw (xco2 file)",
        "xco2_injected": inj,
        "crs": "UTM 33N",
        "csf_dx_m": csf_dx,
        "t_import_s": state["t_import_s"],
        "t_read_s": state["t_read_s"],
    }


# ddeq's workflow step by step (steps 4-6), each step timed on its own
def repetition(state: dict, csf_dx: float | None = 5e3) -> dict:
    """One repetition of detection, background, CSF and IME on a fresh copy of the read data.

    The deep copy (ddeq's ``convert_units`` writes into the dataset) is made before the
    clock starts.
    """
    import numpy as np

    ddeq, sources, winds, crs = state["ddeq"], state["sources"], state["winds"], state["crs"]
    detect_with = state["detect_with"]
    data = state["data"].copy(deep=True)

    # --- detection and plume geometry -----------------------------------------------
    t0 = time.perf_counter()
    # ddeq: (0.5e15 molecules cm-2)^2 for NO2 (SMARTCARB/CoCO2), (0.2 ppm)^2 for CO2
    var_sys = 0.5e15**2 if detect_with == "NO2" else 0.2**2
    data = ddeq.dplume.detect_plumes(
        data,
        sources,
        variable=detect_with,
        variable_std=f"{detect_with}_std",
        var_sys=var_sys,
        filter_type="gaussian",
        filter_size=0.5,
        q=0.99,
        crs=crs,
    )
    n_detected = {s: int(data["detected_plume"].sel(source=s).sum()) for s in SOURCES}
    ok = [s for s in SOURCES if n_detected[s] > 0]
    multiple = {s: ddeq.misc.has_multiple_sources(data, s) for s in ok}
    if ok:
        data = data.sel(source=ok)
        data = ddeq.curves.fit_to_detections(data, n_nodes=3, force_origin=True)
        data = ddeq.curves.compute_natural_coords(data)
        data = ddeq.curves.compute_plume_areas(data)
    t_detect = time.perf_counter() - t0

    # --- background, enhancement, kg m-2 --------------------------------------------
    t0 = time.perf_counter()
    if ok:
        data = ddeq.background.estimate(data, "CO2")
        data = ddeq.emissions.compute_plume_signal(data, "CO2")
        for v in ("CO2", "CO2_estimated_background", "CO2_minus_estimated_background"):
            ddeq.emissions.convert_units(data, "CO2", v)
    t_background = time.perf_counter() - t0

    # --- CSF and IME, one call per source ---------------------------------------------
    out: dict = {s: {} for s in SOURCES}
    t_csf = t_ime = 0.0
    for s in SOURCES:
        if s not in ok:
            for m in ("csf", "ime"):
                out[s][m] = {
                    "estimate_mt_per_yr": None,
                    "sigma_mt_per_yr": None,
                    "reason": f"no plume detected for {s} (detect_with={detect_with})",
                }
            continue
        src = sources.sel(source=[s])
        for m, fn in (("csf", _csf), ("ime", _ime)):
            t0 = time.perf_counter()
            res, err, log = fn(ddeq, data, winds, src, crs, csf_dx)
            dt = time.perf_counter() - t0
            if m == "csf":
                t_csf += dt
            else:
                t_ime += dt
            q = _value(res, s, "CO2_emissions")
            u = _value(res, s, "CO2_emissions_precision")
            row = {
                "estimate_mt_per_yr": None if q is None else q * KG_S_TO_MT_YR,
                "sigma_mt_per_yr": None if u is None else u * KG_S_TO_MT_YR,
            }
            if q is None:
                row["reason"] = err or (log.strip() or "ddeq returned no estimate")
            if m == "ime" and res is not None and s in res.source.values:
                row["wind_speed_m_s"] = _value(res, s, "wind_speed")
                row["L_max_m"] = _value(res, s, "L_max")
            if m == "csf" and res is not None and s in res.source.values and "wind_speed" in res:
                w = np.asarray(res["wind_speed"].sel(source=s), dtype=float)
                row["wind_speed_m_s"] = float(np.nanmean(w)) if np.isfinite(w).any() else None
                row["n_polygons"] = int(res.sizes.get("polygon", 0))
            out[s][m] = row

    return {
        "n_detected_pixels": n_detected,
        "multiple_sources": multiple,
        "results": out,
        "t_detect_s": t_detect,
        "t_background_s": t_background,
        "t_csf_s": t_csf,
        "t_ime_s": t_ime,
        "t_detect_csf_ime_s": t_detect + t_background + t_csf + t_ime,
    }


def run(
    data_dir: Path, detect_with: str, csf_dx: float | None = 5e3, xco2_path: Path | None = None
) -> dict:
    """Set-up plus one repetition (the first after reading: not warmed up), as one dict."""
    state = setup(data_dir, detect_with, xco2_path)
    return {**meta(state, csf_dx), **repetition(state, csf_dx)}


def serve(
    data_dir: Path, detect_with: str, csf_dx: float | None = 5e3, xco2_path: Path | None = None
) -> None:
    """Persistent mode for interleaved timing: read once, warm up, then one repetition per line.

    Protocol on stdout, one JSON object per line: first ``{"ready": true, ...meta,
    "warmup": <repetition>}`` after the set-up and one warm-up repetition, then for each
    line read from stdin (``run``) one repetition's dict; ``quit`` or end of input ends
    the process. Everything else ddeq prints goes to stderr.
    """
    proto = sys.stdout
    sys.stdout = sys.stderr  # ddeq's prints must not break the one-line-per-answer protocol
    try:
        state = setup(data_dir, detect_with, xco2_path)
        t0 = time.perf_counter()
        warm = repetition(state, csf_dx)
        warm["wall_s"] = time.perf_counter() - t0
        proto.write(json.dumps({"ready": True, **meta(state, csf_dx), "warmup": warm}) + "\n")
        proto.flush()
        for line in sys.stdin:
            cmd = line.strip()
            if cmd in ("quit", "exit"):
                break
            if cmd != "run":
                proto.write(json.dumps({"error": f"unknown command {cmd!r} (run | quit)"}) + "\n")
            else:
                proto.write(json.dumps(repetition(state, csf_dx)) + "\n")
            proto.flush()
    finally:
        sys.stdout = proto


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _capture(fn, *args, **kw):
    """Run ``fn`` keeping ddeq's prints off stdout (stdout carries only the JSON line)."""
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kw), None, buf.getvalue()
    except Exception as exc:  # noqa: BLE001 - any ddeq failure becomes the reported reason
        tb = traceback.format_exc(limit=3)
        return None, f"{type(exc).__name__}: {exc} | {tb.splitlines()[-3].strip()}", buf.getvalue()


def _csf(ddeq, data, winds, src, crs, dx):
    return _capture(
        ddeq.csf.estimate_emissions, data, winds, src, "CO2", method="gauss", dx=dx, crs=crs
    )


def _ime(ddeq, data, winds, src, crs, dx):
    return _capture(ddeq.ime.estimate_emissions, data, winds, src, "CO2")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="directory with the SMARTCARB L2, winds and sources-smartcarb.csv",
    )
    ap.add_argument(
        "--detect-with",
        choices=["NO2", "CO2"],
        default="NO2",
        help="image used for plume detection (ddeq's SMARTCARB workflow: NO2)",
    )
    ap.add_argument(
        "--csf-dx",
        type=float,
        default=5e3,
        help="CSF polygon length along the plume in m (0: ddeq's default, one polygon)",
    )
    ap.add_argument(
        "--xco2",
        type=Path,
        default=None,
        help="netCDF with the noisy xco2 / xco2_uncertainty / qa_pass urbansat inverts "
        "(bench_inversion.py writes it); replaces ddeq's own CO2 noise draw",
    )
    ap.add_argument(
        "--serve",
        action="store_true",
        help="persistent mode: read once, warm up, then one repetition per 'run' line on stdin",
    )
    args = ap.parse_args()
    if args.xco2 is not None and not args.xco2.is_file():
        sys.exit(f"ddeq_reference: --xco2 {args.xco2} does not exist")
    missing = [
        f
        for f in (
            "Sentinel_7_CO2_2015042311_o1670_l0483.nc",
            "SMARTCARB_winds_2015042311.nc",
            "sources-smartcarb.csv",
        )
        if not (args.data / f).is_file()
    ]
    if missing:
        sys.exit(
            f"ddeq_reference: {args.data} lacks {missing}; "
            "pass --data DIR with the SMARTCARB sample files"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if args.serve:
            serve(args.data, args.detect_with, args.csf_dx or None, args.xco2)
            return
        result = run(args.data, args.detect_with, args.csf_dx or None, args.xco2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
