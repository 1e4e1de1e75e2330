"""ddeq 1.1 on the SMARTCARB scene: plume detection + CSF + IME, timed, one JSON line out.

The reference half of ``bench_inversion.py``'s same-run comparison. Run it with the
interpreter of a SEPARATE environment that has ddeq installed (ddeq pulls cartopy,
onnxruntime, scikit-image, ...; it is not a dependency of urbansat)::

    python3 -m venv /work/ddeq-venv
    /work/ddeq-venv/bin/pip install ddeq==1.1 "xarray==2025.1.2" "pandas<3"
    /work/ddeq-venv/bin/python benchmarks/ddeq_reference.py [--data DIR] [--detect-with NO2|CO2]

The pins: with xarray 2026.9 every ddeq 1.1 CSF/IME call fails in
``ddeq.misc.init_results_dataset`` (``xr.Dataset(<Dataset>)`` is no longer accepted).

Workflow (ddeq 1.1's own SMARTCARB functions, in the order its modules expect them)
-----------------------------------------------------------------------------------
1. ``ddeq.smartcarb.read_level2(l2, co2_noise_scenario="low")``: XCO2 with the
   documented 0.5 ppm noise ("low" scenario; ddeq's seed is derived from the orbit, so
   the realisation is reproducible but is not urbansat's), pixels with cloud
   fraction > 1 % masked; NO2 with ddeq's default "high" noise scenario.
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

Timing: ``t_import_s`` (import ddeq), ``t_read_s`` (steps 1-3), ``t_detect_s`` (step 4),
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


# ddeq's workflow step by step, each step timed on its own
def run(data_dir: Path, detect_with: str, csf_dx: float | None = 5e3) -> dict:  # noqa: PLR0915
    t0 = time.perf_counter()
    import cartopy.crs as ccrs
    import ddeq
    import numpy as np
    import pandas as pd

    t_import = time.perf_counter() - t0

    # --- read: Level-2, sources, winds ---------------------------------------------
    t0 = time.perf_counter()
    data = ddeq.smartcarb.read_level2(
        str(data_dir / "Sentinel_7_CO2_2015042311_o1670_l0483.nc"),
        co2_noise_scenario="low",  # 0.5 ppm
        no2_noise_scenario="high",  # ddeq default
    )
    sources = ddeq.sources.read_smartcarb(str(data_dir / "sources-smartcarb.csv"))
    sources = sources.sel(source=SOURCES)
    when = pd.Timestamp(data.attrs["time"])
    winds = ddeq.wind.read_smartcarb(when, sources.lon, sources.lat, data_path=str(data_dir))
    winds = winds.isel(time=0)
    t_read = time.perf_counter() - t0

    crs = ccrs.UTM(33)  # Berlin 13.4 E, Jänschwalde 14.5 E

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
        "ddeq_version": getattr(ddeq, "__version__", None) or _dist_version("ddeq"),
        "python": sys.version.split()[0],
        "detect_with": detect_with,
        "co2_noise_ppm": 0.5,
        "noise_seed": "orbit (ddeq default)",
        "crs": "UTM 33N",
        "csf_dx_m": csf_dx,
        "n_detected_pixels": n_detected,
        "multiple_sources": multiple,
        "results": out,
        "t_import_s": t_import,
        "t_read_s": t_read,
        "t_detect_s": t_detect,
        "t_background_s": t_background,
        "t_csf_s": t_csf,
        "t_ime_s": t_ime,
        "t_detect_csf_ime_s": t_detect + t_background + t_csf + t_ime,
    }


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
    args = ap.parse_args()
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
        result = run(args.data, args.detect_with, args.csf_dx or None)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
