"""Batch jobs: the whole chain from granules to the T/CI 231 table, exports and report.

:func:`run_job` reads a job TOML (:mod:`urbansat.pipeline.config`) and runs::

    granules -> QA -> per-boundary sounding tables (per granule)  -> concentrations per period
    granules + winds -> emissions per source/boundary (per granule) -> per period
    land-cover epochs -> sink accounts per boundary (per [[sinks]])
    -> tci231_indicators -> validation -> CSV/Parquet/NetCDF/GPKG/JSON + HTML report

**Resumable.** Every per-granule and per-sink step writes its (small) result
atomically to ``<output_dir>/.urbansat-cache/`` under a name that hashes the
step kind, the sha256 of its inputs and its options. A rerun (after an
interruption, or with more granules) loads finished steps instead of
recomputing them; :attr:`JobResult.computed` / :attr:`JobResult.reused` list
which. Changing an input file or an option changes the hash and recomputes.

**Dask.** ``scheduler`` (argument or ``job.scheduler``):

* ``"tcp://host:port"`` - connect a :class:`distributed.Client` to an existing cluster;
* ``"local"`` - start a :class:`distributed.LocalCluster` sized to the machine
  (one single-threaded worker per core, at most 8);
* ``"threads"`` / ``"synchronous"`` - dask's local schedulers;
* ``"auto"`` (default) - ``"synchronous"`` when all inputs total < 256 MB (a
  tiny job: starting workers costs more than it saves, and the demo runs in
  seconds), else ``"local"``.

Several overpasses of one source in one period are combined by
:func:`urbansat.period_totals` (each overpass divided by the temporal-profile factor at its
local time, then a robust Student-t mean or seasonal curve; budget of retrieval, sampling and
profile terms: ``docs/period_totals.md``). :attr:`JobResult.period_totals` and
:attr:`JobResult.overpasses` hold the per-source totals and the per-overpass table, and the
report draws one time series per source with more than one overpass in a period.

**Outputs.** Every file the job writes is known before it runs (the tables, the report,
and with ``[[sinks]] write_rasters = true`` the GeoTIFFs in ``rasters/<name>/``): each is
checked against every input first, and the manifest lists each written file with its
checksum. A rerun removes the outputs of the previous run that it no longer writes (a
``[[sinks]]`` removed or renamed: its GeoTIFFs and their folder, if left empty).

**Report.** With ``outputs.report`` the job writes ``report.html`` and, from the same
rendering, the printable A4 ``report.pdf`` beside it (:func:`urbansat.report.write_report`).
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from urbansat.errors import FactorError, OutputPathError, UrbansatError
from urbansat.export import atomic_write, provenance, write_tables
from urbansat.export.guard import check_output_dir, check_outputs, table_paths
from urbansat.indicators import tci231_indicators, to_wide
from urbansat.pipeline.cache import _CACHE, _Checksums, _Steps, check_regular_file
from urbansat.pipeline.config import JobConfig, load_job_config, parse_job_config
from urbansat.pipeline.execution import _scheduler
from urbansat.pipeline.manifest import LOCK, MANIFEST, RunLock, RunManifest
from urbansat.pipeline.periods import period_details
from urbansat.pipeline.sinks_job import RASTERS, section_raster_paths
from urbansat.pipeline.steps import (
    _concentration_steps,
    _emission_steps,
    _flat_wide,
    _inventory_for_table,
    _read_all_boundaries,
    _sink_steps,
    _total_bytes,
    _validation,
)
from urbansat.schema.flags import require_flag

__all__ = ["JobResult", "run_job"]

_log = logging.getLogger("urbansat.pipeline")


@dataclass
class JobResult:
    """What :func:`run_job` produced.

    Attributes
    ----------
    output_dir : Path
    indicators : pandas.DataFrame
        Tidy T/CI 231 table.
    wide : pandas.DataFrame
        The table in the standard's layout (display cells).
    validation : dict of str -> pandas.DataFrame
        One table per ``[[validation]]``.
    concentrations, emissions, sinks : dict
        Intermediate results keyed by (period, gas) / (period, gas) / period.
    soundings : dict of str -> pandas.DataFrame
        Per gas, the QA-passed soundings used (boundary_id "" = background).
    outputs : dict of str -> list of Path
        Written files per table.
    rasters : dict of str -> dict of str -> Path
        Per ``[[sinks]]`` name with ``write_rasters = true``, its GeoTIFFs (map -> file in
        ``<output_dir>/rasters/<name>/``); listed in the manifest with the other outputs.
    report : Path or None
        ``report.html`` (with ``outputs.report``).
    report_pdf : Path or None
        ``report.pdf``, the printable A4 form of the same report.
    period_totals, overpasses : dict of (period, gas) -> pandas.DataFrame
        The two tables of ``urbansat.period_totals(..., details=True)`` behind each combined
        emission Dataset: one row per source and period (value, budget terms, status) and
        one per overpass (estimate, profile factor, corrected value, weight).
    computed, reused : list of str
        Cache-step keys computed in this run / loaded from an earlier run.
    provenance : dict
    elapsed_s : float
    manifest : Path or None
        ``manifest.json`` of the run (:mod:`urbansat.pipeline.manifest`).
    """

    output_dir: Path
    indicators: pd.DataFrame
    wide: pd.DataFrame
    validation: dict[str, pd.DataFrame]
    concentrations: dict[Any, xr.Dataset]
    emissions: dict[Any, xr.Dataset]
    sinks: dict[Any, xr.Dataset]
    soundings: dict[str, pd.DataFrame]
    outputs: dict[str, list[Path]]
    report: Path | None
    computed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = math.nan
    manifest: Path | None = None
    report_pdf: Path | None = None
    period_totals: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)
    overpasses: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)
    rasters: dict[str, dict[str, Path]] = field(default_factory=dict)


def _raster_outputs(cfg: JobConfig) -> list[tuple[int, str, list[Path]]]:
    """(index, name, GeoTIFFs) of every ``[[sinks]]`` with ``write_rasters = true``."""
    out = []
    for i, s in enumerate(cfg.to_dict()["sinks"]):
        if not s.get("write_rasters"):
            continue
        try:
            paths = section_raster_paths(s, cfg.output_dir)
        except FactorError as err:  # pools: refused before anything is written, not mid-run
            raise FactorError(f"sinks[{i}] ({s['name']!r}): {err}") from err
        out.append((i, str(s["name"]), paths))
    return out


def _planned_outputs(cfg: JobConfig) -> list[Path]:
    """Every file the job will write in its folder (known before anything is written)."""
    out_dir = cfg.output_dir
    names = [
        "indicators",
        "indicators_wide",
        *(f"validation_{i}" for i in range(len(cfg.validation))),
    ]
    files = table_paths(names, out_dir, cfg.outputs.formats)
    if cfg.outputs.report:
        files += [out_dir / "report.html", out_dir / "report.pdf"]
    files += [p for _, _, paths in _raster_outputs(cfg) for p in paths]  # the sink GeoTIFFs
    return [*files, out_dir / "job_provenance.json", out_dir / MANIFEST, out_dir / LOCK]


def _guard_rasters(cfg: JobConfig, guarded: Mapping[str, str]) -> None:
    """Refuse a sink GeoTIFF that would land on an input (of any section), naming its section.

    ``write_carbon_maps`` protected only the section's own inputs, and only when it wrote,
    mid-run: a map over another section's land cover (an earlier run's map used as an input),
    the boundaries or the job file replaced that input.
    """
    for i, name, paths in _raster_outputs(cfg):
        try:
            check_outputs(paths, guarded)
        except OutputPathError as err:
            folder = paths[0].parent
            raise OutputPathError(
                f"[[sinks]] {name!r} (sinks[{i}], write_rasters = true) writes its carbon maps "
                f"to {str(folder)!r}, and one of them cannot be written: {err} Move the input out "
                f"of {str(folder)!r}, give sinks[{i}] another name (it names the folder), or set "
                "write_rasters = false."
            ) from err


def _guard(cfg: JobConfig) -> tuple[Path, list[Path]]:
    """Check the output folder and every output against every input, before anything is written."""
    out_dir = check_output_dir(cfg.output_dir, key="job.output_dir")
    inputs = cfg.input_files()
    cache = (out_dir / _CACHE).resolve()
    if cache.exists() and not cache.is_dir():  # mkdir raised FileExistsError mid-run
        raise OutputPathError(
            f"{str(cache)!r} exists and is not a folder; the job keeps its step cache there. "
            "Move or delete that file, or choose another job.output_dir (nothing was written)."
        )
    for key, path in inputs.items():
        check_regular_file(path, what=f"{key} file")
        if cache in Path(path).resolve().parents:
            raise OutputPathError(
                f"{key} {path!r} lies inside the job's cache {str(cache)!r}, which the job "
                "rewrites "
                "(and --fresh clears); move the input out of the output folder."
            )
    guarded = dict(inputs)
    if cfg.source != "<mapping>" and Path(cfg.source).is_file():
        guarded["the job configuration"] = cfg.source  # the TOML is an input too
    _guard_rasters(cfg, guarded)
    planned = check_outputs(_planned_outputs(cfg), guarded)
    return out_dir, planned


def _written_now(result: JobResult, planned: list[Path], model: JobConfig) -> list[Path]:
    """Return the planned files this run wrote; remove those it did not write.

    A file of the previous run (a validation table this run skipped) stayed in the folder and
    the manifest listed it among this run's outputs because it existed.
    """
    out_dir = result.output_dir
    rasters = [Path(p).resolve() for maps in result.rasters.values() for p in maps.values()]
    now = {
        p.resolve()
        for p in [
            *table_paths(list(result.outputs), out_dir, model.outputs.formats),
            *(x for x in (result.report, result.report_pdf) if x is not None),
            out_dir / "job_provenance.json",
        ]
    } | set(rasters)
    written = []
    for p in planned:
        if p.name in (MANIFEST, LOCK):
            continue
        if p.resolve() in now:
            if p.is_file():
                written.append(p)
        else:
            p.unlink(missing_ok=True)  # planned, not written by this run: stale
    done = {p.resolve() for p in written}
    # a GeoTIFF written but not planned (a map the plan does not know) is listed all the same
    written += [p for p in rasters if p not in done and p.is_file()]
    return written


def _unrecorded_rasters(previous: Mapping[str, Any] | None, out_dir: Path) -> list[Path]:
    """Return the sink GeoTIFFs a complete run wrote unlisted (urbansat before 2026-12-08).

    That run's configuration names them: a complete run wrote the maps of every section with
    ``write_rasters = true``. A manifest that lists any file under ``rasters/`` is of this
    version and recorded them itself ([] then).
    """
    if not isinstance(previous, Mapping) or previous.get("status") != "complete":
        return []
    rows = [*previous.get("outputs", []), *previous.get("previous_outputs", [])]
    listed = [str(r.get("path") if isinstance(r, Mapping) else r) for r in rows]
    if any(x.startswith(f"{RASTERS}/") for x in listed):
        return []
    config = previous.get("config")
    sections = config.get("sinks") if isinstance(config, Mapping) else None
    base = out_dir.resolve()
    out: list[Path] = []
    for s in sections if isinstance(sections, list) else []:
        if not isinstance(s, Mapping) or not isinstance(s.get("name"), str):
            continue
        try:
            paths = section_raster_paths(s, base)
        except (UrbansatError, TypeError, ValueError):  # pools that run refused: none written
            continue
        out += [p.resolve() for p in paths if base in p.resolve().parents]
    return out


def _remove_stale(paths: list[Path], out_dir: Path) -> None:
    """Remove outputs of earlier runs; then their folders left empty (``rasters/<name>/``).

    Only files a previous manifest recorded are removed, and only folders inside the output
    folder that are empty (a file the user put there keeps its folder).
    """
    base = out_dir.resolve()
    for p in paths:
        p.unlink(missing_ok=True)
        for parent in p.parents:
            if parent == base or base not in parent.parents:
                break
            try:
                parent.rmdir()  # only an empty folder
            except OSError:
                break


def _clear_cache(cache: Path) -> None:
    """Remove the cache by renaming it away first (under the run lock; never half-cleared)."""
    if not cache.exists():
        return
    trash = cache.with_name(f"{cache.name}.old-{os.getpid()}-{time.time_ns()}")
    os.replace(cache, trash)
    shutil.rmtree(trash, ignore_errors=True)


def run_job(
    config_or_path: str | os.PathLike[str] | Mapping[str, Any] | JobConfig,
    *,
    scheduler: str | None = None,
    progress: bool = True,
    resume: bool = True,
) -> JobResult:
    """Run a complete T/CI 231 job: granules to indicator tables, exports and report.

    Parameters
    ----------
    config_or_path : path, mapping or JobConfig
        A job TOML file (see :mod:`urbansat.pipeline.config`), the parsed
        mapping (paths relative to the current directory) or a :class:`JobConfig`.
    scheduler : str, optional
        Overrides ``job.scheduler``: ``"auto"``, ``"synchronous"``,
        ``"threads"``, ``"local"`` or ``"tcp://host:port"`` (module docstring).
    progress : bool, default True
        Show tqdm progress bars.
    resume : bool, default True
        Reuse finished steps cached in ``<output_dir>/.urbansat-cache`` (an
        unfinished earlier run is then *resumed*); with False the cache is cleared
        first (the earlier run is *replaced*). The manifest records which.

    Returns
    -------
    JobResult

    Raises
    ------
    ConfigError
        The configuration is invalid (every problem listed with its key path).
    OutputPathError
        An output would overwrite an input, or ``output_dir`` is an existing file;
        raised before anything is written.
    UrbansatError
        Any input error of the steps, naming the file and the fix.
    """
    progress = require_flag("progress", progress)
    resume = require_flag("resume", resume)
    t0 = time.perf_counter()
    if isinstance(config_or_path, JobConfig):
        model = config_or_path
    elif isinstance(config_or_path, Mapping):
        model = parse_job_config(dict(config_or_path), base_dir=Path.cwd(), source="<mapping>")
    else:
        model = load_job_config(config_or_path)
    out_dir, planned = _guard(model)
    cfg = model.to_dict()
    cache = out_dir / _CACHE
    with RunLock(out_dir, on_wait=_log.warning if progress else None):
        manifest = RunManifest(
            out_dir,
            config={k: v for k, v in cfg.items() if k != "_source"},
            config_file=model.source,
            resume=resume,
        )
        manifest.write()  # "incomplete" before anything else in the folder changes
        if not resume:
            _clear_cache(cache)
        keep = set(planned) | {Path(p).resolve() for p in model.input_files().values()}
        legacy = _unrecorded_rasters(manifest.previous, out_dir)
        previous = [*manifest.previous_outputs, *legacy]
        _remove_stale([p for p in previous if p not in keep], out_dir)
        if any(p.is_file() for p in legacy):  # still planned: listed until rewritten
            manifest.track(p for p in legacy if p.is_file())
        cache.mkdir(parents=True, exist_ok=True)
        checks = _Checksums(cache)
        try:
            result = _run(
                cfg, model, out_dir, cache, checks, manifest, scheduler=scheduler, progress=progress
            )
        except KeyboardInterrupt as err:
            manifest.finish("interrupted", inputs=checks.used, error=err)
            raise
        except BaseException as err:
            manifest.finish("failed", inputs=checks.used, error=err)
            raise
        written = _written_now(result, planned, model)
        result.manifest = manifest.finish("complete", inputs=checks.used, outputs=written)
    result.elapsed_s = time.perf_counter() - t0
    return result


def _run(
    cfg: dict[str, Any],
    model: JobConfig,
    out_dir: Path,
    cache: Path,
    checks: _Checksums,
    manifest: RunManifest,
    *,
    scheduler: str | None,
    progress: bool,
) -> JobResult:
    job = cfg["job"]
    steps = _Steps(cache)
    sched = scheduler or job.get("scheduler", "auto")
    rasters: dict[str, dict[str, Path]] = {}

    def wrote_rasters(name: str, maps: dict[str, Path]) -> None:
        rasters[name] = dict(maps)
        manifest.track(maps.values())  # recorded now: a later step may fail

    def record(name: str, n0: tuple[int, int], **info: Any) -> None:
        manifest.step(
            name,
            "ok",
            computed=len(steps.computed) - n0[0],
            reused=len(steps.reused) - n0[1],
            **info,
        )

    with _scheduler(sched, _total_bytes(cfg)) as sched_used:
        bnd = _read_all_boundaries(cfg, checks)
        manifest.step("boundaries", "ok", n=len(bnd))
        n0 = (len(steps.computed), len(steps.reused))
        warned: set[str] = set()  # granules in no period (warned once, not per step)
        conc, soundings, seen_gases = _concentration_steps(
            cfg, bnd, steps, checks, progress, warned
        )
        record("concentrations", n0, results=len(conc))
        n0 = (len(steps.computed), len(steps.reused))
        ems = _emission_steps(cfg, bnd, steps, checks, progress, warned)
        record("emissions", n0, results=len(ems))
        n0 = (len(steps.computed), len(steps.reused))
        sinks = _sink_steps(cfg, bnd, steps, checks, progress, on_rasters=wrote_rasters)
        record("sinks", n0, results=len(sinks), rasters=sum(len(m) for m in rasters.values()))
    inventory = _inventory_for_table(cfg)
    if cfg["inventory"]:
        checks(cfg["inventory"]["path"])
    for v in cfg["validation"]:
        checks(v["inventory"])
    table = tci231_indicators(
        emissions=_by_period(ems),
        concentrations=_by_period(conc),
        sinks=sinks or None,
        boundaries=bnd,
        periods=job["periods"],
        boundary_periods=bnd.attrs.get("boundary_periods") or None,
        inventory=inventory,
        observed_gases=sorted(
            {g for (_, g) in conc}
            | {g for (_, g) in ems}
            | set(soundings)
            | seen_gases
            | {str(g["gas"]) for g in cfg["granules"] if g.get("gas")}
        ),
    )
    manifest.step(
        "indicators",
        "ok",
        rows=len(table),
        statuses={str(k): int(v) for k, v in table["status"].value_counts().items()},
    )
    wide = to_wide(table, value="cell")
    val = _validation(cfg, table, ems)
    skipped = [
        name
        for name, res in val.items()
        if "note" in res and res["note"].astype(str).str.startswith("validation skipped").any()
    ]
    manifest.step(
        "validation",
        "skipped" if cfg["validation"] and len(skipped) == len(val) else "ok",
        tables=len(val),
        skipped=skipped,
    )
    checks.save()
    options = {k: v for k, v in cfg.items() if k != "_source"}
    options["scheduler_used"] = sched_used
    prov = provenance(checks.used, options=options, checksums=checks.used)
    prov["run_id"] = manifest.data["run_id"]
    tables = {"indicators": table, "indicators_wide": _flat_wide(wide), **val}
    outputs = write_tables(
        tables,
        out_dir,
        formats=cfg["outputs"]["formats"],
        boundaries=bnd,
        prov=prov,
        periods=job["periods"] if isinstance(job["periods"], Mapping) else None,
    )
    manifest.step("exports", "ok", files=sum(len(v) for v in outputs.values()))
    totals, overpasses = period_details(ems, job["periods"])
    report = report_pdf = None
    if cfg["outputs"]["report"]:
        from urbansat.report import write_report

        report_pdf = out_dir / "report.pdf"
        report = write_report(
            out_dir / "report.html",
            pdf=report_pdf,
            table=table,
            boundaries=bnd,
            concentrations=conc,
            emissions=ems,
            sinks=sinks,
            validation=val,
            provenance=prov,
            soundings=soundings,
            landcover={
                s["period"]: tuple(
                    [x] if isinstance(x, str) else list(x)
                    for x in (s["landcover_start"], s["landcover_end"])
                )
                for s in cfg["sinks"]
            },
            period_totals=totals,
            overpasses=overpasses,
            title=job.get("name", "urbansat job"),
        )
        manifest.step("report", "ok", files=[report.name, report_pdf.name])
    with atomic_write(out_dir / "job_provenance.json") as tmp:
        tmp.write_text(json.dumps(prov, indent=1, default=str), encoding="utf-8")
    return JobResult(
        output_dir=out_dir,
        indicators=table,
        wide=wide,
        validation=val,
        concentrations=conc,
        emissions=ems,
        sinks=sinks,
        soundings=soundings,
        outputs=outputs,
        report=report,
        report_pdf=report_pdf,
        period_totals=totals,
        overpasses=overpasses,
        rasters=rasters,
        computed=steps.computed,
        reused=steps.reused,
        provenance=prov,
    )


def _by_period(d: Mapping[tuple[str, str], xr.Dataset]) -> list[dict[str, xr.Dataset]] | None:
    """{(period, gas): ds} -> [{period: ds} per gas] as tci231_indicators takes it."""
    if not d:
        return None
    gases = sorted({g for _, g in d})
    return [{p: ds for (p, g), ds in d.items() if g == gas} for gas in gases]
