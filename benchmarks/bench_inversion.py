"""Benchmark of urbansat.estimate_emissions: synthetic truth, SMARTCARB, speed.

Run: ``python benchmarks/bench_inversion.py [--n 100] [--city-seeds 100] [--skip-synthetic]
[--smartcarb-only] [--noise-seeds 100] [--ddeq-python PATH] [--out PATH]``; writes
``benchmarks/results/inversion.json`` (or ``--out``). With ``--smartcarb-only`` the synthetic
point and city sections already in that file are kept and only ``smartcarb``,
``smartcarb_noise`` and ``ddeq`` are replaced or, when skipped, dropped. With
``--skip-synthetic`` the point-source synthetic sections are kept (and, with
``--skip-smartcarb``, the SMARTCARB ones); the city sections are rerun or, with
``--city-seeds 0``, dropped. E.g. ``--skip-synthetic --skip-smartcarb`` adds or refreshes only
the city sections of the recorded JSON.

Sections
--------
``synthetic``
    ``n`` seeded cases per method on image geometries (CO2M-like 2 km XCO2, TROPOMI
    XCH4, OCO-3 SAM XCO2), random emission, wind 2-8 m s-1 with a 20 % speed and 10 deg
    direction error, 0.5-1 ppm / 10-15 ppb noise, Briggs dispersion of class B-D,
    smooth background structure. Median |error|, bias (median relative error) and
    the fraction of cases whose truth lies within the reported 1- and 2-sigma
    intervals (asymmetric, ``emission_lower_/upper_ksigma``) and within +-1 and +-2
    ``emission_uncertainty`` (``coverage_*_symmetric``).
``true_wind``
    Same cases with the true wind (no wind error): the accuracy goal of IME and CSF
    (median |error| <= 10 % on strong plumes, i.e. detected plumes).
``model_error``
    Noise-free data (1e-3 of the noise), true wind, flat background (no smooth structure,
    only a plane): what remains is the methods' own error (dispersion, meander, puffs,
    footprint averaging). The robust sigma per geometry (``by_kind``, seeds 0-99) gives
    ``MODEL_ERROR`` in urbansat.inversion (:func:`derive_model_error`); background error is
    the ``background`` term's.
``model_error_compact``, ``synthetic_compact_heldout``
    The point cases released from disks of 1, 2 or 4 km (:data:`COMPACT_DIAMETER_KM`; a
    plant, mine or park listed with a diameter): noise-free with the true wind and a flat
    background on seeds 0.. (the robust sigma per geometry gives
    ``MODEL_ERROR_COMPACT``), and with noise, background structure and the wind error on
    the held-out seeds 100.. (coverage check).
``synthetic_cities``, ``true_wind_cities`` (+ ``_strong``), ``model_error_cities``
    The same three error models on ``--city-seeds`` synthetic cities (:func:`run_city_case`):
    area sources of 24 release points on a disk of diameter 8-40 km (CO2M-like, TROPOMI) or
    8-20 km (OCO-3 SAM), emissions of CO2 150-1300 kg s-1 (5-40 Mt yr-1) or CH4
    10-60 kg s-1, swaths and draws independent of the point cases.
    ``model_error_cities`` (noise-free, true wind, flat background): the robust sigma per
    geometry (``by_kind``, seeds 0-99) gives ``MODEL_ERROR_AREA``.
``synthetic_cities_heldout``
    ``synthetic_cities`` on seeds 1000.. (never used to measure the model error): the
    out-of-sample coverage check of the city uncertainties.

Every synthetic section also holds, per method, the breakdown of
:func:`uncertainty_breakdown`: the median relative uncertainty terms, per-geometry accuracy
and coverage (``by_kind``, with the robust sigma 1.4826 median|e| used for ``MODEL_ERROR``),
and which term dominates in the cases the 1- and 2-sigma intervals miss. Times per section:
``time_synthetic_sections_s``, ``time_city_sections_s``; ``constants``: the model-error
tables of :mod:`urbansat.inversion` the point sections ran with; ``model_error_derived``: the
same tables as this run's ``model_error*`` sections measure them (:func:`derive_model_error`).
``smartcarb``
    The SMARTCARB scene (2015-04-23 11 UTC) with COSMO winds and 0.5 ppm noise:
    Berlin and Jänschwalde against the true hourly emissions; end-to-end time (median of
    :data:`TIMING_REPEATS` runs) of all four methods for both sources in one call
    (``method="all"``), of CSF + IME in one call, and of each method in a call of its own.
``smartcarb_noise``
    The same scene and methods over ``--noise-seeds`` noise draws (seeds 0..N-1, default
    100; ``--noise-seeds 0`` skips it). One draw of 0.5 ppm noise is not an honest figure:
    seed 0 happens to be a lucky draw (Berlin IME +11 % at seed 0 against a median of about
    +24 % over seeds), so ``smartcarb`` stays the protocol row and the timing figure, and
    this section gives the distribution. Per source x method: ``n``, ``n_valid``, median and
    mean relative error, its 16/84 % percentiles and standard deviation, ``frac_within_15pct``
    (the issue's goal), coverage of the asymmetric 1- and 2-sigma intervals, the largest
    ``|error|`` and its seed, and the counts of ``qa_reason``. Fractions and coverages are over
    all ``n`` draws (a NaN estimate counts as a miss); error statistics are over the valid ones.
    The scene is also run once without added noise (``noise_ppm=None``: the reader then
    reports the file's ``uXCO2`` as the uncertainty): ``noise_free_estimate_mt_per_yr`` and
    ``noise_free_error``, and ``noise_induced_bias`` = median over draws of
    (estimate - noise-free estimate) / truth, the bias the noise alone causes (non-linear
    steps: detection threshold, background filter, Gaussian fit). ``per_seed`` keeps every
    draw as columns (``None`` where a value is not finite: a NaN estimate, see its
    ``qa_reason``, or an unbounded upper interval bound).
``smartcarb_winds``
    The same ensemble (``--wind-seeds`` draws, default 30, plus noise-free) with other wind
    products: ``era5_model_levels`` (ERA5 model levels with a diagnosed boundary layer, the
    layer-mean wind over each source; the ERA5 files ddeq ships for this scene) and
    ``cosmo+era5`` (both, combined with their spread in the wind error). The issue's goal is
    stated for the COSMO winds; this shows how much the answer depends on the wind product.
``ddeq``
    ddeq 1.1 measured in the same run: ``benchmarks/ddeq_reference.py --serve`` runs as a
    persistent subprocess with the interpreter of a separate environment holding ddeq
    (``--ddeq-python``, default ``/work/ddeq-venv/bin/python`` when it exists). Create it
    with (PyPI; the pins are needed, see ``docs/inversion.md``)::

        python3 -m venv /work/ddeq-venv
        /work/ddeq-venv/bin/pip install ddeq==1.1 "xarray==2025.1.2" "pandas<3"
        python benchmarks/bench_inversion.py --smartcarb-only

    Its plume detection + background + CSF + IME on the same scene, files and sources,
    once with ddeq's SMARTCARB detection on NO2 and once on XCO2 alone (urbansat's input),
    side by side with urbansat's methods. Same noise: the XCO2 urbansat inverts (seed 0,
    0.5 ppm, urbansat's QA mask) is written to a temporary netCDF and replaces the XCO2 of
    ddeq's ``smartcarb.read_level2`` (ddeq's own NO2 is kept for the NO2 variant);
    ``same_xco2`` records that the checksums and values match. Same timing: each side warm
    (one warm-up repetition in the ddeq process), then ``--ddeq-repeats`` (default
    :data:`TIMING_REPEATS`) interleaved rounds of one urbansat call and one ddeq
    repetition; medians with min/max, the ratio of medians ddeq / urbansat for the same
    steps (detection, background, CSF, IME, both sources; imports and file reading
    excluded on both sides), and the load average before and after.
``lagrangian``, ``lagrangian_tuning``, ``lagrangian_background_check``
    The independent truth generator :mod:`urbansat.testing.lagrangian` (issue 16): held-out
    seeds (``--lagrangian-seeds``), tuning seeds (``--lagrangian-tuning-seeds``) and, on the
    tuning seeds, each budget term against flat-background twins
    (:func:`lagrangian_background_check`).
``city_background_check``
    The same twin check on the old generator's cities 0..N-1 (``--city-background-check``,
    :func:`city_background_check`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from urbansat.inversion import METHODS, UNCERTAINTY_TERMS, estimate_emissions
from urbansat.testing.inversion_cases import CITY_HELDOUT_OFFSET, run_case, run_city_case
from urbansat.testing.inversion_stats import (
    derive_model_error,
    model_error_constants,
    per_seed_columns,
    summarize_noise_ensemble,
    summarize_section,
)

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("URBANSAT_SHARED_SAMPLES", HERE.parents[1] / "shared" / "samples"))
PROJECT_SMARTCARB = HERE.parent / "data" / "samples" / "smartcarb"
DDEQ_PYTHON = Path("/work/ddeq-venv/bin/python")
RESULTS = HERE / "results" / "inversion.json"
TRUTH_NOTE = "SMARTCARB true hourly emissions at 2015-04-23 11 UTC"
SMARTCARB_SCENE = "Sentinel_7_CO2_2015042311_o1670_l0483.nc"
SMARTCARB_WIND = "SMARTCARB_winds_2015042311.nc"
#: ERA5 model levels and surface for the scene (ddeq 1.1 sdist; in data/samples/smartcarb/)
SMARTCARB_ERA5 = ("SMARTCARB_ERA5-lvl-20150423t1100.nc", "SMARTCARB_ERA5-sfc-20150423t1100.nc")
TIMING_REPEATS = (
    5  # the scene timing is the median of this many runs (single runs vary ~20 % with load)
)
NOISE_PPM = 0.5  # the SMARTCARB protocol's CO2M-like XCO2 noise (issue 4; ddeq's benchmark)
#: keys of the synthetic-city part of the JSON (kept with --smartcarb-only, dropped with
#: --city-seeds 0)
CITY_KEYS = (
    "n_city_cases",
    "synthetic_cities",
    "true_wind_cities",
    "true_wind_cities_strong",
    "model_error_cities",
    "synthetic_cities_heldout",
    "time_cities_s",
    "time_city_sections_s",
)


def print_section_table(name: str, sec: dict, seconds: float) -> None:
    """One line per method: accuracy, coverage, and which term dominates the 2-sigma misses."""
    print(f"\n{name} ({seconds:.0f} s)")
    print(
        f"{'method':9s} {'valid':>7s} {'med|e|':>6s} {'bias':>6s} {'cov1s':>5s} {'cov2s':>5s} "
        f"{'rel sigma: retr/wind/bg/model':>30s}  2-sigma misses (dominant term)"
    )
    for m, r in sec.items():
        t = r["median_rel_sigma_terms"]
        terms = "/".join(f"{t[k]:.2f}" for k in UNCERTAINTY_TERMS)
        mi = r["misses_2sigma"]
        print(
            f"{m:9s} {r['n_valid']:3d}/{r['n_cases']:<3d} {r['median_abs_error']:6.3f} "
            f"{r['bias']:+6.3f} {r['coverage_1sigma']:5.2f} {r['coverage_2sigma']:5.2f} "
            f"{terms:>30s}  {mi['n']} ({mi['n_low']} low) {mi['dominant_term']}"
        )
    for m, r in sec.items():
        print(
            f"  {m:9s} by kind: "
            + "; ".join(
                f"{k} n={v['n']} med|e|={v['median_abs_error']:.3f} "
                f"robust sigma={v['robust_sigma']:.3f} "
                f"cov {v['coverage_1sigma']:.2f}/{v['coverage_2sigma']:.2f}"
                for k, v in r["by_kind"].items()
            ),
            flush=True,
        )


def run_sections(sections: dict[str, dict], case, n: int, result: dict) -> dict[str, float]:
    """Run ``n`` seeds of ``case`` per section into ``result``; returns the time per section [s].

    A section's ``seed_offset`` (default 0) shifts its seeds; ``strong_subset`` adds
    ``<name>_strong``, the same statistics over the cases with a detected plume.
    """
    times = {}
    for name, section in sections.items():
        kw = dict(section)
        off = kw.pop("seed_offset", 0)
        strong = kw.pop("strong_subset", False)
        t0 = time.perf_counter()
        df = pd.DataFrame([r for s in range(off, off + n) for r in case(s, **kw)])
        times[name] = time.perf_counter() - t0
        result[name] = summarize_section(df)
        print_section_table(f"{name}: seeds {off}..{off + n - 1}", result[name], times[name])
        if strong:
            result[f"{name}_strong"] = summarize_section(df[df.detected])
            print_section_table(
                f"{name}_strong (detected plumes)", result[f"{name}_strong"], times[name]
            )
    return times


def smartcarb_dir() -> tuple[Path, Path] | None:
    """The SMARTCARB sample directory and emissions table (shared samples, else the project's)."""
    for d, emis in (
        (SHARED / "smartcarb", "SMARTCARB-CO2-emissions.csv"),
        (PROJECT_SMARTCARB, "SMARTCARB-CO2-emissions-20150423.csv"),
    ):
        if (d / emis).is_file() and (d / SMARTCARB_SCENE).is_file():
            return d, d / emis
    return None


def smartcarb_inputs(d: Path, emis_file: Path) -> tuple[dict[str, float], pd.DataFrame]:
    """True emissions [Mt CO2/yr] at 2015-04-23 11 UTC and the source table for the scene."""
    truth_mt = {"Berlin": 23.43, "Janschwalde": 42.40}
    emis = pd.read_csv(emis_file, sep="\t", index_col=0, parse_dates=True)
    row = emis.loc["2015-04-23 11:00:00"]
    truth_mt = {k: float(row[f"{k} (Mt/yr)"]) for k in truth_mt}
    src = pd.read_csv(d / "sources-smartcarb.csv", comment="#")
    src = src[src.source.isin(list(truth_mt))].rename(columns={"source": "name"})
    src["diameter_km"] = src["diameter"] / 1000.0
    return truth_mt, src[["name", "longitude", "latitude", "diameter_km"]]


def run_smartcarb_scene(
    sw, *, sources: pd.DataFrame, wind, truth_mt: dict[str, float], repeats: int = 0
) -> tuple[dict[str, dict[str, dict]], dict[str, Any]]:
    """All four methods on one read scene, in one call (each source prepared once).

    Returns ``{source: {method: record}}`` in Mt CO2/yr (estimate, sigma, truth, the
    asymmetric 1- and 2-sigma bounds, qa_reason) and timings [s]: ``all_methods_s`` of
    that call; with ``repeats > 0`` the median over ``repeats`` runs of it, of
    ``method=("csf", "ime")`` (ddeq's steps) and of each method called alone.
    """
    t0 = time.perf_counter()
    out = estimate_emissions(sw, sources=sources, wind=wind, method="all")
    timing: dict[str, Any] = {"all_methods_s": time.perf_counter() - t0}
    if repeats > 0:

        def med(method) -> float:
            ts = []
            for _ in range(repeats):
                t = time.perf_counter()
                estimate_emissions(sw, sources=sources, wind=wind, method=method)
                ts.append(time.perf_counter() - t)
            return float(np.median(ts))

        timing = {
            "all_methods_s": med("all"),
            "csf_ime_s": med(["csf", "ime"]),
            "per_method_alone_s": {m: med(m) for m in METHODS},
            "repeats": repeats,
        }
    res: dict[str, dict[str, dict]] = {}
    for m in METHODS:
        for s in out.source.values:
            o = out.sel(inversion_method=m, source=s)
            res.setdefault(str(s), {})[m] = {
                "estimate_mt_per_yr": float(o.emission_t_per_yr) / 1e6,
                "sigma_mt_per_yr": float(o.emission_t_per_yr_uncertainty) / 1e6,
                "truth_mt_per_yr": truth_mt[str(s)],
                **{
                    f"{b}_{k}sigma_mt_per_yr": float(o[f"emission_t_per_yr_{b}_{k}sigma"]) / 1e6
                    for k in (1, 2)
                    for b in ("lower", "upper")
                },
                "qa_reason": str(o.qa_reason.values),
            }
    return res, timing


def smartcarb(d: Path, emis_file: Path) -> tuple[dict, dict]:
    """The protocol row (seed 0) and its timing; also returns the scene it inverted.

    The scene (``sw``, ``sources``, ``wind``, ``truth_mt``) is what the ddeq comparison
    hands to ddeq (the same noisy XCO2) and times against, interleaved.
    """
    from urbansat.ingest.readers.smartcarb import SmartcarbReader
    from urbansat.ingest.winds import open_wind

    truth_mt, src = smartcarb_inputs(d, emis_file)
    t0 = time.perf_counter()
    sw = SmartcarbReader().open_dataset(d / SMARTCARB_SCENE, noise_ppm=NOISE_PPM, seed=0).load()
    wind = open_wind(d / SMARTCARB_WIND)
    t_read = time.perf_counter() - t0
    runs, timing = run_smartcarb_scene(
        sw, sources=src, wind=wind, truth_mt=truth_mt, repeats=TIMING_REPEATS
    )
    res: dict[str, dict[str, dict]] = {}
    for s, per in runs.items():
        for m, r in per.items():
            e, u, t = r["estimate_mt_per_yr"], r["sigma_mt_per_yr"], r["truth_mt_per_yr"]
            lo, hi = r["lower_2sigma_mt_per_yr"], r["upper_2sigma_mt_per_yr"]
            res.setdefault(s, {})[m] = {
                "estimate_mt_per_yr": e,
                "sigma_mt_per_yr": u,
                "truth_mt_per_yr": t,
                "lower_2sigma_mt_per_yr": lo,
                "upper_2sigma_mt_per_yr": hi,
                "error": e / t - 1,
                "truth_within_2sigma": abs(e - t) <= 2 * u,
                "truth_within_2sigma_interval": lo <= t <= hi,
                "qa_reason": r["qa_reason"],
            }
    return {
        "data_dir": str(d),
        "results": res,
        "time_read_s": t_read,
        "time_all_methods_s": timing["all_methods_s"],
        "time_csf_ime_s": timing["csf_ime_s"],
        "time_per_method_alone_s": timing["per_method_alone_s"],
        "timing_repeats": timing["repeats"],
        "timing_note": (
            "median of the repeats; all_methods = one estimate_emissions(method='all') "
            "call (each source prepared once), csf_ime = method=['csf', 'ime']"
        ),
    }, {"sw": sw, "sources": src, "wind": wind, "truth_mt": truth_mt}


def smartcarb_noise(
    d: Path, emis_file: Path, n_seeds: int, *, wind=None, wind_label: str = "COSMO"
) -> dict:
    """The SMARTCARB scene over noise seeds 0..n_seeds-1 plus once without added noise.

    ``wind``: a normalized wind or a list of them (combined with their spread); the
    scene's COSMO GNFR-A wind when None.
    """
    from urbansat.ingest.readers.smartcarb import SmartcarbReader
    from urbansat.ingest.winds import open_wind

    truth_mt, src = smartcarb_inputs(d, emis_file)
    reader = SmartcarbReader()
    t0 = time.perf_counter()
    wind = open_wind(d / SMARTCARB_WIND) if wind is None else wind
    rows = []
    t_methods = 0.0
    for seed in range(n_seeds):
        sw = reader.open_dataset(d / SMARTCARB_SCENE, noise_ppm=NOISE_PPM, seed=seed).load()
        runs, timing = run_smartcarb_scene(sw, sources=src, wind=wind, truth_mt=truth_mt)
        t_methods += timing["all_methods_s"]
        rows += [
            {"seed": seed, "source": s, "method": m, **r}
            for s, per in runs.items()
            for m, r in per.items()
        ]
        if (seed + 1) % 10 == 0:
            print(
                f"smartcarb_noise: {seed + 1}/{n_seeds} seeds, {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
    t_seeds = time.perf_counter() - t0
    sw = reader.open_dataset(d / SMARTCARB_SCENE, noise_ppm=None).load()
    free, _ = run_smartcarb_scene(sw, sources=src, wind=wind, truth_mt=truth_mt)
    return {
        "data_dir": str(d),
        "truth": TRUTH_NOTE,
        "noise_ppm": NOISE_PPM,
        "wind": wind_label,
        "seeds": f"0..{n_seeds - 1}",
        "n_seeds": n_seeds,
        "summary": summarize_noise_ensemble(rows, free),
        "noise_free": {
            s: {
                m: {k: r[k] for k in ("estimate_mt_per_yr", "sigma_mt_per_yr", "qa_reason")}
                for m, r in per.items()
            }
            for s, per in free.items()
        },
        "per_seed": per_seed_columns(rows),
        "time_wall_s": time.perf_counter() - t0,
        "time_seeds_s": t_seeds,
        "time_per_seed_s": t_seeds / n_seeds,
        "time_methods_per_seed_s": t_methods / n_seeds,
    }


def print_noise_table(sec: dict) -> None:
    def pct(v: float | None, w: int = 5) -> str:
        return f"{'-':>{w}s}%" if v is None else f"{100 * v:+{w}.0f}%"

    print(
        f"\nSMARTCARB noise ensemble: {sec['n_seeds']} draws of {sec['noise_ppm']} ppm "
        f"(seeds {sec['seeds']}), {sec.get('wind', 'COSMO')} winds; errors relative to the truth"
    )
    print(
        f"{'source':12s} {'method':9s} {'valid':>7s} {'median':>7s} {'mean':>7s} {'p16':>7s} "
        f"{'p84':>7s} {'|e|<=15%':>8s} {'cov1s':>5s} {'cov2s':>5s} {'no-noise':>8s} "
        f"{'noise bias':>10s} {'max|e|':>7s}"
    )
    for s, per in sec["summary"].items():
        for m, r in per.items():
            print(
                f"{s:12s} {m:9s} {r['n_valid']:3d}/{r['n']:<3d} {pct(r['median_error'])} "
                f"{pct(r['mean_error'])} {pct(r['p16_error'])} {pct(r['p84_error'])} "
                f"{100 * r['frac_within_15pct']:7.0f}% {100 * r['coverage_1sigma']:4.0f}% "
                f"{100 * r['coverage_2sigma']:4.0f}% {pct(r['noise_free_error'], 7)} "
                f"{pct(r['noise_induced_bias'], 9)} {pct(r['max_abs_error'], 6)}"
                + (f"  qa: {r['qa_reasons']}" if r["qa_reasons"] else "")
            )
    print(
        f"smartcarb_noise wall time {sec['time_wall_s']:.1f} s ({sec['time_per_seed_s']:.2f} s per "
        f"seed: read + 4 methods; methods alone {sec['time_methods_per_seed_s']:.2f} s)",
        flush=True,
    )


def smartcarb_winds(d: Path, emis_file: Path, n_seeds: int) -> dict:
    """The noise ensemble (``n_seeds`` draws + noise-free) per wind product.

    ``era5_model_levels``: ERA5 on model levels 100-137 with the boundary layer diagnosed
    from its profile (bulk Richardson 0.25), the layer-mean wind below it over the source
    (the files ddeq ships for this scene; ddeq's CSF gave Berlin +2 %, Jänschwalde -34 %
    with ERA5). ``cosmo+era5``: both products combined, mean wind with their spread added
    to the wind error (:func:`urbansat.inversion.wind.combine_winds`).
    """
    from urbansat.ingest.winds import open_wind

    lvl, sfc = PROJECT_SMARTCARB / SMARTCARB_ERA5[0], PROJECT_SMARTCARB / SMARTCARB_ERA5[1]
    era5 = open_wind(lvl, surface=sfc)
    cosmo = open_wind(d / SMARTCARB_WIND)
    products = {"era5_model_levels": era5, "cosmo+era5": [cosmo, era5]}
    return {
        name: smartcarb_noise(d, emis_file, n_seeds, wind=w, wind_label=name)
        for name, w in products.items()
    }


def xco2_sha256(a) -> str:
    """SHA-256 of an array as C-contiguous float64 bytes (as ``ddeq_reference._sha256``)."""
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(a, dtype="float64").tobytes()).hexdigest()


def write_xco2_for_ddeq(sw, path: Path) -> dict:
    """Write the noisy XCO2 urbansat inverts (+ its sigma and QA mask) for ddeq to read.

    ``ddeq_reference.py --xco2 PATH`` puts these values in place of ddeq's own noise draw
    (same Level-2 grid, ``nobs`` x ``nrows``), so both tools invert one realisation.
    Returns the checksums the JSON records (of the whole array and of the valid pixels).
    """
    xco2 = np.asarray(sw["xco2"].values, dtype="float64")
    qa = np.asarray(sw["qa_pass"].values, dtype=bool)
    sha = xco2_sha256(xco2)
    import xarray as xr

    ds = xr.Dataset(
        {
            "xco2": (("nobs", "nrows"), xco2, {"units": "ppm"}),
            "xco2_uncertainty": (
                ("nobs", "nrows"),
                np.asarray(sw["xco2_uncertainty"].values, dtype="float64"),
                {"units": "ppm"},
            ),
            "qa_pass": (("nobs", "nrows"), qa.astype("int8")),
        },
        attrs={
            "xco2_sha256": sha,
            "noise_ppm": float(sw.attrs["noise_ppm"]),
            "noise_seed": int(sw.attrs["noise_seed"]),
            "note": "urbansat SmartcarbReader XCO2 with its seeded noise; for ddeq_reference.py",
        },
    )
    ds.to_netcdf(path)
    return {
        "xco2_sha256": sha,
        "xco2_sha256_valid_pixels": xco2_sha256(xco2[qa]),
        "n_valid_pixels": int(qa.sum()),
        "noise_ppm": float(sw.attrs["noise_ppm"]),
        "noise_seed": int(sw.attrs["noise_seed"]),
    }


class DdeqServer:
    """``ddeq_reference.py --serve`` as a persistent subprocess (one repetition per request).

    The child imports ddeq, reads the scene, injects urbansat's XCO2 and runs one warm-up
    repetition before it answers ``ready``; each :meth:`run` then times one repetition of
    detection, background, CSF and IME. Its stderr goes to a temporary file (quoted on
    failure) so a chatty child never blocks on a full pipe.
    """

    def __init__(
        self, python: Path, d: Path, detect_with: str, xco2: Path, timeout: float = 600.0
    ) -> None:
        import queue
        import threading

        self.cmd = [
            str(python),
            str(HERE / "ddeq_reference.py"),
            "--serve",
            "--data",
            str(d),
            "--detect-with",
            detect_with,
            "--xco2",
            str(xco2),
        ]
        self.timeout = timeout
        # closed in close(): the file must outlive __init__ (the child writes to it)
        self.err = tempfile.TemporaryFile("w+")  # noqa: SIM115
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, text=True
        )
        self.lines: queue.Queue = queue.Queue()

        def pump() -> None:
            assert self.proc.stdout is not None
            for ln in self.proc.stdout:
                self.lines.put(ln)
            self.lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        self.ready = self._answer()
        if not self.ready.get("ready"):
            self.close()
            raise RuntimeError(f"{' '.join(self.cmd)}: no ready line, got {self.ready}")
        self.ready["startup_wall_s"] = time.perf_counter() - t0

    def _answer(self) -> dict:
        import queue

        while True:
            try:
                ln = self.lines.get(timeout=self.timeout)
            except queue.Empty:
                self.close()
                raise subprocess.TimeoutExpired(self.cmd, self.timeout) from None
            if ln is None:
                self.err.seek(0)
                tail = self.err.read().strip().splitlines()[-5:]
                raise RuntimeError(
                    f"{' '.join(self.cmd)} exited with {self.proc.wait()}: " + " | ".join(tail)
                )
            if ln.startswith("{"):
                out = json.loads(ln)
                if "error" in out:
                    raise RuntimeError(f"{' '.join(self.cmd)}: {out['error']}")
                return out

    def run(self) -> tuple[dict, float]:
        """One repetition: ddeq's own step timings and the wall time of the request [s]."""
        assert self.proc.stdin is not None
        t0 = time.perf_counter()
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        out = self._answer()
        return out, time.perf_counter() - t0

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.err.close()


def _stats(ts: list[float]) -> dict:
    return {
        "median_s": float(np.median(ts)),
        "min_s": float(np.min(ts)),
        "max_s": float(np.max(ts)),
        "all_s": [float(t) for t in ts],
    }


def run_ddeq_interleaved(
    python: Path, d: Path, scene: dict, detects: list[str], repeats: int
) -> tuple[dict[str, dict], dict]:
    """ddeq and urbansat on the same noisy XCO2, timed warm and interleaved.

    urbansat's XCO2 (seed 0, 0.5 ppm) is written to a temporary netCDF that each ddeq
    variant (detection on NO2 / on XCO2) reads in place of its own noise draw. After every
    side is warm (urbansat ran the scene in :func:`smartcarb`; each ddeq child runs one
    warm-up repetition), ``repeats`` rounds alternate: urbansat CSF + IME, ddeq (first
    variant), urbansat all four methods, ddeq (next variant), ... Each tool's figure is the
    median (with min/max) over its ``repeats`` timings; imports and file reading are
    outside every timing. Returns ``{detect_with: ddeq run}`` and urbansat's timings.
    """
    sw, src, wind = scene["sw"], scene["sources"], scene["wind"]
    with tempfile.TemporaryDirectory(prefix="urbansat-ddeq-") as tmp:
        xco2 = Path(tmp) / "urbansat_xco2_seed0.nc"
        shared = write_xco2_for_ddeq(sw, xco2)
        servers: dict[str, DdeqServer] = {}
        try:
            for det in detects:
                try:
                    servers[det] = DdeqServer(python, d, det, xco2)
                except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
                    print(f"ddeq reference ({det}) failed: {exc}")
            if not servers:
                return {}, {}
            us: dict[str, list[float]] = {"csf_ime": [], "all_methods": []}
            reps: dict[str, list[dict]] = {det: [] for det in servers}
            walls: dict[str, list[float]] = {det: [] for det in servers}
            load_before = os.getloadavg()
            us_calls = [("csf_ime", ["csf", "ime"]), ("all_methods", "all")]
            for _ in range(repeats):
                for i, det in enumerate(servers):
                    key, method = us_calls[i % 2]
                    t = time.perf_counter()
                    estimate_emissions(sw, sources=src, wind=wind, method=method)
                    us[key].append(time.perf_counter() - t)
                    rep, wall = servers[det].run()
                    reps[det].append(rep)
                    walls[det].append(wall)
                if len(servers) == 1:  # one variant: still time both urbansat calls per round
                    key, method = us_calls[1]
                    t = time.perf_counter()
                    estimate_emissions(sw, sources=src, wind=wind, method=method)
                    us[key].append(time.perf_counter() - t)
            load_after = os.getloadavg()
        finally:
            for srv in servers.values():
                srv.close()
    runs: dict[str, dict] = {}
    for det, srv in servers.items():
        first = reps[det][0]
        same = all(r["results"] == first["results"] for r in reps[det]) and (
            srv.ready["warmup"]["results"] == first["results"]
        )
        steps = ("t_detect_s", "t_background_s", "t_csf_s", "t_ime_s", "t_detect_csf_ime_s")
        runs[det] = {
            **{k: v for k, v in srv.ready.items() if k not in ("ready", "warmup")},
            "n_detected_pixels": first["n_detected_pixels"],
            "multiple_sources": first["multiple_sources"],
            "results": first["results"],
            "results_identical_over_repeats_and_warmup": same,
            "warmup_detect_csf_ime_s": srv.ready["warmup"]["t_detect_csf_ime_s"],
            "timing": {k: _stats([r[k] for r in reps[det]]) for k in steps},
            "request_wall": _stats(walls[det]),
        }
    urbansat = {
        "shared_xco2": shared,
        "repeats": repeats,
        "csf_ime": _stats(us["csf_ime"]),
        "all_methods": _stats(us["all_methods"]),
        "load_average_1_5_15_min_before": list(load_before),
        "load_average_1_5_15_min_after": list(load_after),
        "order": "per round: urbansat CSF+IME, ddeq "
        + ", urbansat all four methods, ddeq ".join(servers)
        + (", urbansat all four methods" if len(servers) == 1 else ""),
    }
    return runs, urbansat


def compare_ddeq(sc: dict, runs: dict[str, dict], us: dict) -> dict:
    """Side-by-side rows (urbansat methods vs ddeq CSF/IME) and same-step time ratios.

    ``us``: urbansat's interleaved timings and the shared-XCO2 checksums of
    :func:`run_ddeq_interleaved`; ``same_xco2`` says whether every ddeq run read exactly
    the array urbansat inverted (checksums equal and values equal pixel for pixel).
    """
    rows = []
    for s, per in sc["results"].items():
        for m, r in per.items():
            rows.append(
                {
                    "source": s,
                    "tool": "urbansat",
                    "method": m,
                    "detect_with": "XCO2",
                    "estimate_mt_per_yr": r["estimate_mt_per_yr"],
                    "sigma_mt_per_yr": r["sigma_mt_per_yr"],
                    "truth_mt_per_yr": r["truth_mt_per_yr"],
                }
            )
        truth = per["csf"]["truth_mt_per_yr"]
        for det, run in runs.items():
            for m in ("csf", "ime"):
                r = run["results"][s][m]
                rows.append(
                    {
                        "source": s,
                        "tool": "ddeq 1.1",
                        "method": m,
                        "detect_with": det,
                        "estimate_mt_per_yr": r["estimate_mt_per_yr"],
                        "sigma_mt_per_yr": r["sigma_mt_per_yr"],
                        "truth_mt_per_yr": truth,
                        "reason": r.get("reason"),
                    }
                )
    for row in rows:
        e, u, t = row["estimate_mt_per_yr"], row["sigma_mt_per_yr"], row["truth_mt_per_yr"]
        row["error"] = None if e is None else e / t - 1
        row["truth_within_2sigma"] = None if (e is None or u is None) else bool(abs(e - t) <= 2 * u)
    t_us, t_all = us["csf_ime"]["median_s"], us["all_methods"]["median_s"]
    timing = {}
    for det, run in runs.items():
        tt = run["timing"]
        t_ddeq = tt["t_detect_csf_ime_s"]["median_s"]
        timing[det] = {
            "ddeq_detect_background_csf_ime_s": t_ddeq,
            "ddeq_detect_background_csf_ime_min_max_s": [
                tt["t_detect_csf_ime_s"]["min_s"],
                tt["t_detect_csf_ime_s"]["max_s"],
            ],
            "ddeq_detect_s": tt["t_detect_s"]["median_s"],
            "ddeq_background_s": tt["t_background_s"]["median_s"],
            "ddeq_csf_s": tt["t_csf_s"]["median_s"],
            "ddeq_ime_s": tt["t_ime_s"]["median_s"],
            "ddeq_warmup_s": run["warmup_detect_csf_ime_s"],
            "ddeq_import_s": run["t_import_s"],
            "ddeq_read_s": run["t_read_s"],
            "urbansat_csf_ime_s": t_us,
            "urbansat_csf_ime_min_max_s": [us["csf_ime"]["min_s"], us["csf_ime"]["max_s"]],
            "urbansat_all_methods_s": t_all,
            "urbansat_all_methods_min_max_s": [
                us["all_methods"]["min_s"],
                us["all_methods"]["max_s"],
            ],
            "ratio_ddeq_over_urbansat_same_steps": t_ddeq / t_us,
            "ratio_ddeq_over_urbansat_all_four_methods": t_ddeq / t_all,
            "repeats": us["repeats"],
        }
    shared = us["shared_xco2"]
    same_xco2 = all(
        (run.get("xco2_injected") or {}).get("xco2_sha256") == shared["xco2_sha256"]
        and (run.get("xco2_injected") or {}).get("xco2_sha256_valid_pixels")
        == shared["xco2_sha256_valid_pixels"]
        and (run.get("xco2_injected") or {}).get("xco2_equal_to_file_where_valid")
        and (run.get("xco2_injected") or {}).get("n_valid_pixels") == shared["n_valid_pixels"]
        for run in runs.values()
    )
    meta = {
        k: v
        for k, v in next(iter(runs.values())).items()
        if k in ("ddeq_version", "python", "crs", "csf_dx_m", "co2_noise_ppm", "noise_seed")
    }
    return {
        **meta,
        "truth": TRUTH_NOTE,
        "same_xco2": same_xco2,
        "shared_xco2": shared,
        "noise_note": (
            "both tools invert urbansat's XCO2 draw (SmartcarbReader noise_ppm=0.5, seed=0) "
            "with urbansat's QA mask; ddeq's NO2 (its own 'high' noise, 30 % cloud threshold) "
            "is kept for its NO2-detection variant"
        ),
        "timing_protocol": (
            f"warm (urbansat after its protocol runs, ddeq after one warm-up repetition in a "
            f"persistent process), {us['repeats']} interleaved rounds ({us['order']}); "
            "median with min/max per tool; ratio = ratio of medians; imports and file "
            "reading excluded on both sides"
        ),
        "load_average_1_5_15_min_before": us["load_average_1_5_15_min_before"],
        "load_average_1_5_15_min_after": us["load_average_1_5_15_min_after"],
        "urbansat_timing": {k: us[k] for k in ("csf_ime", "all_methods")},
        "rows": rows,
        "timing": timing,
        "n_detected_pixels": {det: run["n_detected_pixels"] for det, run in runs.items()},
        "runs": runs,
    }


def print_ddeq_table(cmp: dict) -> None:
    def f(v, fmt="{:6.1f}"):
        return "   -  " if v is None else fmt.format(v)

    print(
        "\nSMARTCARB 2015-04-23 11 UTC, COSMO winds, 0.5 ppm: "
        f"urbansat vs ddeq {cmp.get('ddeq_version')} "
        f"(same run; same XCO2 draw: {cmp['same_xco2']}, sha256 "
        f"{cmp['shared_xco2']['xco2_sha256'][:12]}; Mt CO2/yr)"
    )
    print(
        f"timing: {cmp['timing_protocol']}; load average before "
        f"{cmp['load_average_1_5_15_min_before']}, after {cmp['load_average_1_5_15_min_after']}"
    )
    print(
        f"{'source':12s} {'tool':9s} {'method':9s} {'detect':6s} "
        f"{'estimate':>8s} {'sigma':>6s} {'truth':>6s} "
        f"{'error':>7s} {'in 2s':>5s}"
    )
    for r in cmp["rows"]:
        err = "    -  " if r["error"] is None else f"{100 * r['error']:+6.0f}%"
        w2 = (
            "  -  "
            if r["truth_within_2sigma"] is None
            else ("  yes" if r["truth_within_2sigma"] else "   no")
        )
        print(
            f"{r['source']:12s} {r['tool']:9s} {r['method']:9s} {r['detect_with']:6s} "
            f"{f(r['estimate_mt_per_yr']):>8s} "
            f"{f(r['sigma_mt_per_yr']):>6s} {r['truth_mt_per_yr']:6.2f} {err} {w2}"
            + (f"  ({r['reason']})" if r.get("reason") else "")
        )
    for det, t in cmp["timing"].items():
        print(
            f"time, detection+background+CSF+IME, both sources (ddeq detecting on {det}): "
            f"ddeq {t['ddeq_detect_background_csf_ime_s']:.2f} s "
            f"(detect {t['ddeq_detect_s']:.2f}, background {t['ddeq_background_s']:.2f}, "
            f"CSF {t['ddeq_csf_s']:.2f}, "
            f"IME {t['ddeq_ime_s']:.2f}; min-max "
            f"{t['ddeq_detect_background_csf_ime_min_max_s'][0]:.2f}-"
            f"{t['ddeq_detect_background_csf_ime_min_max_s'][1]:.2f}) vs urbansat "
            f"{t['urbansat_csf_ime_s']:.2f} s "
            f"({t['urbansat_csf_ime_min_max_s'][0]:.2f}-{t['urbansat_csf_ime_min_max_s'][1]:.2f}): "
            f"ratio ddeq/urbansat {t['ratio_ddeq_over_urbansat_same_steps']:.1f}x; "
            f"urbansat all four methods {t['urbansat_all_methods_s']:.2f} s "
            f"({t['ratio_ddeq_over_urbansat_all_four_methods']:.1f}x)"
        )


def _require_real_samples() -> None:
    """Exit when the Lagrangian generator's real samples are absent (it would fall back)."""
    from urbansat.testing.lagrangian import real_samples_missing

    missing = real_samples_missing()
    if missing:
        sys.exit(
            "the Lagrangian scenes need the real samples "
            + ", ".join(str(p) for p in missing)
            + ": without them the generator falls back to random QA blobs and a synthetic "
            "background, scenes whose metrics are not comparable with "
            "benchmarks/results/inversion.json; run from a clone with ../shared beside it"
        )


def lagrangian_sections(n_seeds: int, *, tuning: bool = False) -> dict:
    """Issue 16's metrics on the independent Lagrangian generator's held-out seeds.

    ``urbansat.testing.lagrangian``: particle dispersion with Langevin turbulence, a
    boundary layer, time-varying and sheared wind, heterogeneous city maps, real SMARTCARB /
    TROPOMI backgrounds and cloud masks. Runs ``TEST_SEEDS[:n_seeds]`` (never tuned on) with
    the user's erroneous wind (20 % speed, 10 deg direction) and with the true boundary-layer
    wind; per method and family: 1/2-sigma coverage, robust z spread, median |error|,
    rejected/NaN share, negative-but-detected count. ``strong`` = rows whose retrieval term is
    below 10 % of the truth (true wind only). ``tuning``: the same on ``TUNING_SEEDS[:n_seeds]``
    (0-99, the seeds that anything may be tuned on; stored as ``lagrangian_tuning``).
    """
    from urbansat.testing.lagrangian import (
        TEST_SEEDS,
        TUNING_SEEDS,
        issue16_metrics,
        run_lagrangian_case,
    )

    _require_real_samples()
    seeds = list(TUNING_SEEDS if tuning else TEST_SEEDS)[:n_seeds]
    what = "tuning" if tuning else "held-out"
    out: dict = {"seeds": [seeds[0], seeds[-1]] if seeds else []}
    for label, tw in (("user_wind", False), ("true_wind", True)):
        t0 = time.perf_counter()
        df = pd.DataFrame([r for s in seeds for r in run_lagrangian_case(s, true_wind=tw)])
        sec: dict = {"time_s": time.perf_counter() - t0}
        for (m, fam), g in df.groupby(["method", "family"]):
            sec[f"{m}/{fam}"] = issue16_metrics(g)
            if tw:
                strong = g[g.sigma_retrieval < 0.1 * g.truth]
                sec[f"{m}/{fam}"]["median_abs_error_strong"] = (
                    issue16_metrics(strong)["median_abs_error"] if len(strong) else None
                )
        out[label] = sec
        print(f"\nlagrangian {what} seeds {out['seeds']}, {label} ({sec['time_s']:.0f} s)")
        print(
            f"{'method/family':18s} {'n':>4s} {'cov1':>5s} {'cov2':>5s} {'zspr':>5s} "
            f"{'med|e|':>6s} {'rej':>5s} {'neg+det':>7s}" + (" strong|e|" if tw else "")
        )
        for k, v in sec.items():
            if k == "time_s":
                continue
            extra = ""
            if tw:
                st = v.get("median_abs_error_strong")
                extra = f" {st:9.3f}" if st is not None else "        -"
            print(
                f"{k:18s} {v['n']:4d} {v['coverage_1sigma']:5.2f} {v['coverage_2sigma']:5.2f} "
                f"{v['z_spread']:5.2f} {v['median_abs_error']:6.3f} {v['rejected_share']:5.2f} "
                f"{v['negative_detected']:7d}" + extra,
                flush=True,
            )
    return out


def _print_background_check(title: str, out: dict) -> None:
    """The table of :func:`lagrangian_background_check` / :func:`city_background_check`."""
    print(f"\n{title} ({out['time_s']:.0f} s): measured (actual) vs predicted, relative to Q")
    print(
        f"{'method/group':18s} {'n':>3s} {'bg act':>6s} {'bg pred':>7s} {'z_bg':>5s} "
        f"{'rest act':>8s} {'rest pred':>9s} {'model':>6s} {'derived':>7s}"
    )
    for key, v in out.items():
        if not isinstance(v, dict):
            continue
        print(
            f"{key:18s} {v['n']:3d} {v['background_actual']:6.3f} "
            f"{v['background_predicted']:7.3f} {v['background_z_spread']:5.2f} "
            f"{v['flat_actual']:8.3f} {v['flat_predicted']:9.3f} {v['model_predicted']:6.3f} "
            f"{v['model_derived']:7.3f}",
            flush=True,
        )


def _twin_metrics(real: pd.DataFrame, flat: pd.DataFrame, group: str) -> dict:
    """:func:`background_check_metrics` per method and ``group`` of twin runs."""
    from urbansat.testing.lagrangian import background_check_metrics

    out = {}
    for (m, key), g in real.groupby(["method", group]):
        f = flat[(flat.method == m) & (flat[group] == key)]
        out[f"{m}/{key}"] = background_check_metrics(g, f)
    return out


def lagrangian_background_check(n_seeds: int) -> dict:
    """Each term of the budget against what it should cover, on the Lagrangian tuning seeds.

    Every tuning seed (``TUNING_SEEDS[:n_seeds]``, true wind, so that the wind term is small)
    is run twice: as generated and as its flat-background twin (same plume, noise, mask and
    wind, background structure zero; ``make_lagrangian_scene(background=False)``). Their
    difference is the error the background alone causes; the twin's error is everything
    else. :func:`urbansat.testing.lagrangian.background_check_metrics` compares both with the
    predicted ``background`` term and the other terms, per method and family and per method
    and ``kind`` (``point_co2``, ``point_ch4``, ``city_co2``). A diagnostic of
    the budget on seeds that may be tuned on; the held-out coverage is ``lagrangian``.
    """
    from urbansat.testing.lagrangian import TUNING_SEEDS, run_lagrangian_case

    _require_real_samples()
    seeds = list(TUNING_SEEDS)[:n_seeds]
    t0 = time.perf_counter()
    frames = {
        bg: pd.DataFrame(
            [r for s in seeds for r in run_lagrangian_case(s, true_wind=True, background=bg)]
        )
        for bg in (True, False)
    }
    out: dict = {"seeds": [seeds[0], seeds[-1]], "time_s": time.perf_counter() - t0}
    out.update(_twin_metrics(frames[True], frames[False], "family"))
    # per footprint and gas (point_co2: 2 km CO2M-like, point_ch4: TROPOMI, city_co2)
    out.update(_twin_metrics(frames[True], frames[False], "kind"))
    _print_background_check(
        f"lagrangian background check, tuning seeds {out['seeds']}, true wind", out
    )
    return out


def city_background_check(n_seeds: int) -> dict:
    """:func:`lagrangian_background_check` on the old generator's cities (seeds 0..N-1).

    Each city of :func:`run_city_case` (true wind) against its twin with
    ``background_structure=0`` (the smooth cosine structure removed; the same noise draw,
    gradient, clouds and plume), per method and geometry (``kind``). Seeds 0.. are the
    cities ``model_error_cities`` is measured on (the tuning seeds); the held-out cities
    (``synthetic_cities_heldout``) are not used.
    """
    t0 = time.perf_counter()
    frames = {
        flat: pd.DataFrame(
            [
                r
                for s in range(n_seeds)
                for r in run_city_case(
                    s,
                    wind_error=0.0,
                    direction_error=0.0,
                    background_structure=0.0 if flat else None,
                )
            ]
        )
        for flat in (False, True)
    }
    out: dict = {"seeds": [0, n_seeds - 1], "time_s": time.perf_counter() - t0}
    real, flat = frames[False], frames[True]
    out.update(_twin_metrics(real, flat, "kind"))
    out.update(_twin_metrics(real.assign(kind="all"), flat.assign(kind="all"), "kind"))
    _print_background_check(f"city background check, seeds {out['seeds']}, true wind", out)
    return out


# the script's entry: one branch per option, the sections it selects run in order
def main() -> None:  # noqa: PLR0912, PLR0915
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--lagrangian-seeds",
        type=int,
        default=200,
        help="held-out seeds of urbansat.testing.lagrangian (issue 16); 0 skips",
    )
    ap.add_argument(
        "--lagrangian-tuning-seeds",
        type=int,
        default=0,
        help="also run the Lagrangian metrics on its tuning seeds 0..N-1 (key lagrangian_tuning; "
        "at most 100); 0 skips",
    )
    ap.add_argument(
        "--lagrangian-background-check",
        type=int,
        default=0,
        help="run each of the Lagrangian tuning seeds 0..N-1 (at most 100) with and without its "
        "background structure and compare the measured background and model errors with the "
        "budget (key lagrangian_background_check); 0 skips",
    )
    ap.add_argument(
        "--city-background-check",
        type=int,
        default=0,
        help="run the old generator's cities 0..N-1 (at most "
        f"{CITY_HELDOUT_OFFSET}) with and without their background structure, as "
        "--lagrangian-background-check (key city_background_check); 0 skips",
    )
    ap.add_argument(
        "--lagrangian-only",
        action="store_true",
        help="run only the Lagrangian sections; keep every other section of the JSON",
    )
    ap.add_argument("--n", type=int, default=100, help="point-source cases per synthetic section")
    ap.add_argument(
        "--city-seeds",
        type=int,
        default=100,
        help="city cases per *_cities section (seeds 0..N-1; held-out: "
        f"{CITY_HELDOUT_OFFSET}..); 0 skips them",
    )
    ap.add_argument("--skip-smartcarb", action="store_true")
    ap.add_argument(
        "--skip-synthetic",
        action="store_true",
        help="do not run the point-source synthetic sections; keep them from the existing JSON",
    )
    ap.add_argument(
        "--smartcarb-only",
        action="store_true",
        help="run only the SMARTCARB (+ ddeq) part; keep the synthetic point and city "
        "sections of the existing JSON",
    )
    ap.add_argument(
        "--ddeq-python",
        type=Path,
        default=None,
        help=f"python of an environment with ddeq 1.1 (default: {DDEQ_PYTHON} if it exists)",
    )
    ap.add_argument("--no-ddeq", action="store_true", help="do not run the ddeq reference")
    ap.add_argument(
        "--ddeq-detect-with",
        default="NO2,CO2",
        help=(
            "comma list of images ddeq detects plumes on "
            "(NO2: ddeq's SMARTCARB workflow; CO2: XCO2 only)"
        ),
    )
    ap.add_argument(
        "--ddeq-repeats",
        type=int,
        default=TIMING_REPEATS,
        help="interleaved timing rounds of urbansat and ddeq (each warm, same XCO2 draw)",
    )
    ap.add_argument(
        "--noise-seeds",
        type=int,
        default=100,
        help="SMARTCARB noise ensemble over seeds 0..N-1 (section smartcarb_noise); 0 skips it",
    )
    ap.add_argument(
        "--wind-seeds",
        type=int,
        default=30,
        help="noise draws per alternative wind product (section smartcarb_winds); 0 skips it",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=RESULTS,
        help=f"JSON to write (default {RESULTS}); with --smartcarb-only the synthetic "
        "sections come from this file, else from the default",
    )
    args = ap.parse_args()
    for flag, v in (
        ("--noise-seeds", args.noise_seeds),
        ("--wind-seeds", args.wind_seeds),
        ("--city-seeds", args.city_seeds),
    ):
        if v < 0:
            sys.exit(f"{flag} {v}: give a number of seeds >= 0 (0 skips the ensemble)")
    if args.ddeq_repeats < 1:
        sys.exit(f"--ddeq-repeats {args.ddeq_repeats}: give at least 1 interleaved round")
    if args.city_seeds > CITY_HELDOUT_OFFSET:
        sys.exit(
            f"--city-seeds {args.city_seeds}: at most {CITY_HELDOUT_OFFSET}, so the held-out "
            f"city seeds ({CITY_HELDOUT_OFFSET}..) stay unused by the other city sections"
        )
    out = args.out
    if args.lagrangian_only:
        base = out if out.is_file() else RESULTS
        result = json.loads(base.read_text()) if base.is_file() else {}
        if args.lagrangian_seeds > 0:
            result["lagrangian"] = lagrangian_sections(args.lagrangian_seeds)
        if args.lagrangian_tuning_seeds > 0:
            result["lagrangian_tuning"] = lagrangian_sections(
                min(args.lagrangian_tuning_seeds, 100), tuning=True
            )
        if args.lagrangian_background_check > 0:
            result["lagrangian_background_check"] = lagrangian_background_check(
                min(args.lagrangian_background_check, 100)
            )
        if args.city_background_check > 0:
            result["city_background_check"] = city_background_check(
                min(args.city_background_check, CITY_HELDOUT_OFFSET)
            )
        _write(result, out)
        return
    run_points = not (args.smartcarb_only or args.skip_synthetic)
    run_cities = not args.smartcarb_only and args.city_seeds > 0
    result: dict = {}
    if not run_points:
        base = out if out.is_file() else RESULTS
        if base.is_file():
            result = json.loads(base.read_text())
        # parts skipped with --skip-* / --smartcarb-only are kept; the sections of the parts run
        # here are rerun or, when their ensemble is skipped (0 seeds), dropped: never kept stale
        drop = [] if args.skip_smartcarb else ["ddeq", "smartcarb_noise", "smartcarb_winds"]
        if not args.smartcarb_only:
            drop += CITY_KEYS
        for key in drop:
            result.pop(key, None)
    if run_points:
        t0 = time.perf_counter()
        result["n_cases"] = args.n
        sections = {
            "synthetic": {"wind_error": 0.2, "direction_error": 10.0},
            "true_wind": {"wind_error": 0.0, "direction_error": 0.0, "strong_subset": True},
            # MODEL_ERROR's derivation: the method's own error (no noise, true wind, flat
            # background)
            "model_error": {
                "wind_error": 0.0,
                "direction_error": 0.0,
                "noise_scale": 1e-3,
                "background_structure": 0.0,
            },
        }
        # MODEL_ERROR_COMPACT's derivation: the point cases released from 1-4 km disks
        sections["model_error_compact"] = {**sections["model_error"], "compact": True}
        # the same error model on seeds never used while the model-error terms were measured:
        # coverage must hold out of sample, not only on the seeds it was derived from
        sections["synthetic_heldout"] = {**sections["synthetic"], "seed_offset": args.n}
        # seeds first run after the asymmetric intervals were written (validation, not tuning)
        sections["synthetic_fresh"] = {**sections["synthetic"], "seed_offset": 2 * args.n}
        # compact sources with the wind error, on seeds never used for MODEL_ERROR_COMPACT
        sections["synthetic_compact_heldout"] = {
            **sections["synthetic"],
            "compact": True,
            "seed_offset": args.n,
        }
        result["time_synthetic_sections_s"] = run_sections(sections, run_case, args.n, result)
        result["time_synthetic_s"] = time.perf_counter() - t0
        # the model-error tables these sections ran with (tests/benchmarks compare them with
        # the code, so a changed constant without a re-run is caught)
        result["constants"] = model_error_constants()
    if run_cities:
        t0 = time.perf_counter()
        result["n_city_cases"] = args.city_seeds
        sections = {
            "synthetic_cities": {"wind_error": 0.2, "direction_error": 10.0},
            "true_wind_cities": {"wind_error": 0.0, "direction_error": 0.0, "strong_subset": True},
            # MODEL_ERROR_AREA's derivation (no noise, true wind, flat background)
            "model_error_cities": {
                "wind_error": 0.0,
                "direction_error": 0.0,
                "noise_scale": 1e-3,
                "background_structure": 0.0,
            },
        }
        # an area-source model error is measured on model_error_cities seeds 0-99: validate
        # the coverage on seeds never used for it
        sections["synthetic_cities_heldout"] = {
            **sections["synthetic_cities"],
            "seed_offset": CITY_HELDOUT_OFFSET,
        }
        result["time_city_sections_s"] = run_sections(
            sections, run_city_case, args.city_seeds, result
        )
        result["time_cities_s"] = time.perf_counter() - t0
        # the city sections ran with the current tables (MODEL_ERROR_AREA); the point tables
        # are the same code's, so a city-only run (--skip-synthetic) records them too
        result["constants"] = model_error_constants()
    if run_points or run_cities:
        result["model_error_derived"] = derive_model_error(result)
        for name, table in result["model_error_derived"].items():
            print(f"{name} measured by this run (fine, coarse): {table}")
    elif not args.smartcarb_only:
        print("synthetic city sections skipped: --city-seeds 0")
    found = smartcarb_dir()
    if not args.skip_smartcarb and found is not None:
        result["smartcarb"], scene = smartcarb(*found)
        print("smartcarb", json.dumps(result["smartcarb"], indent=1))
        print(
            "SMARTCARB scene, 2 sources x 4 methods: "
            f"{result['smartcarb']['time_all_methods_s']:.2f} s "
            f"(CSF + IME: {result['smartcarb']['time_csf_ime_s']:.2f} s)",
            flush=True,
        )
        py = args.ddeq_python or (DDEQ_PYTHON if DDEQ_PYTHON.exists() else None)
        if args.no_ddeq:
            print("ddeq reference skipped: --no-ddeq")
        elif py is None:
            print(
                f"ddeq reference skipped: no --ddeq-python given and {DDEQ_PYTHON} does not exist "
                "(create it: python3 -m venv /work/ddeq-venv && "
                "/work/ddeq-venv/bin/pip install ddeq==1.1 "
                "'xarray==2025.1.2' 'pandas<3')"
            )
        elif not Path(py).exists():
            sys.exit(f"--ddeq-python {py} does not exist")
        else:
            detects = [x.strip() for x in args.ddeq_detect_with.split(",") if x.strip()]
            try:
                runs, us = run_ddeq_interleaved(
                    Path(py), found[0], scene, detects, args.ddeq_repeats
                )
            except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
                print(f"ddeq reference failed: {exc}")
                runs = {}
            if runs:
                result["ddeq"] = compare_ddeq(result["smartcarb"], runs, us)
                print_ddeq_table(result["ddeq"])
        if args.noise_seeds > 0:
            result["smartcarb_noise"] = smartcarb_noise(*found, args.noise_seeds)
            print_noise_table(result["smartcarb_noise"])
        else:
            print("smartcarb_noise skipped: --noise-seeds 0")
        if args.wind_seeds > 0:
            result["smartcarb_winds"] = smartcarb_winds(*found, args.wind_seeds)
            for sec in result["smartcarb_winds"].values():
                print_noise_table(sec)
        else:
            print("smartcarb_winds skipped: --wind-seeds 0")
    elif not args.skip_smartcarb:
        print(
            "smartcarb skipped: no SMARTCARB samples in",
            SHARED / "smartcarb",
            "or",
            PROJECT_SMARTCARB,
        )
    if args.lagrangian_seeds > 0 and not args.smartcarb_only:
        result["lagrangian"] = lagrangian_sections(args.lagrangian_seeds)
    if args.lagrangian_tuning_seeds > 0 and not args.smartcarb_only:
        result["lagrangian_tuning"] = lagrangian_sections(
            min(args.lagrangian_tuning_seeds, 100), tuning=True
        )
    if args.lagrangian_background_check > 0 and not args.smartcarb_only:
        result["lagrangian_background_check"] = lagrangian_background_check(
            min(args.lagrangian_background_check, 100)
        )
    if args.city_background_check > 0 and not args.smartcarb_only:
        result["city_background_check"] = city_background_check(
            min(args.city_background_check, CITY_HELDOUT_OFFSET)
        )
    _write(result, out)


def _write(result: dict, out: Path) -> None:
    """Write the JSON atomically (temporary file in the same directory, then rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=out.parent, delete=False, suffix=".tmp") as fh:
        json.dump(result, fh, indent=1, default=float)
    os.replace(fh.name, out)
    print("wrote", out, file=sys.stderr)


if __name__ == "__main__":
    main()
