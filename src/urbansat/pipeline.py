"""Batch jobs: the whole chain from granules to the T/CI 231 table, exports and report.

:func:`run_job` reads a job TOML (:mod:`urbansat.ingest.config`) and runs::

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

Several overpasses of one source in one period are combined as the mean of the
valid estimates, :math:`\\bar E = \\frac1n \\sum E_k`, with
:math:`u(\\bar E) = \\frac1n \\sqrt{\\sum u_k^2}` (independent overpasses); the
rate stands for the period (overpass-time rates: see the method notes).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from urbansat.categories import ATMOSPHERE_SCOPES, SINK_SCOPES
from urbansat.errors import (
    BoundaryError,
    ConfigError,
    EmptyResultWarning,
    EmptySelectionError,
    UrbansatError,
)
from urbansat.export import atomic_write, netcdf_ready, provenance, sha256, write_tables
from urbansat.indicators import tci231_indicators, to_wide
from urbansat.indicators.concentration import concentrations_from_table, sounding_table
from urbansat.ingest.config import load_config, validate_config

__all__ = ["JobResult", "run_job"]

_CACHE = ".urbansat-cache"
_AUTO_LOCAL_BYTES = 256 * 1024**2


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
    report : Path or None
    computed, reused : list of str
        Cache-step keys computed in this run / loaded from an earlier run.
    provenance : dict
    elapsed_s : float
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


# ---------------------------------------------------------------- helpers


def _hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


class _Checksums:
    """sha256 of input files, memoised in the cache dir by (path, size, mtime)."""

    def __init__(self, cache: Path) -> None:
        self.file = cache / "checksums.json"
        try:
            self.known = json.loads(self.file.read_text())
        except (OSError, ValueError):
            self.known = {}
        self.used: dict[str, str] = {}

    def __call__(self, path: str | Path) -> str:
        p = str(Path(path).resolve())
        st = os.stat(p)
        key = f"{p}|{st.st_size}|{st.st_mtime_ns}"
        if key not in self.known:
            self.known[key] = sha256(p)
        self.used[p] = self.known[key]
        return self.known[key]

    def save(self) -> None:
        with atomic_write(self.file) as tmp:
            tmp.write_text(json.dumps(self.known, indent=0))


#: Test hook: called with the step key after each computed step (used to simulate interruptions).
_after_step: Callable[[str], None] | None = None


class _Steps:
    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.computed: list[str] = []
        self.reused: list[str] = []

    def run_many(self, jobs: list[tuple[str, str, Callable[[], Any], Callable, Callable]], *, desc: str,
                 progress: bool) -> list[Any]:
        """Run independent steps; on a dask.distributed cluster each missing step is one task.

        Finished steps are loaded from the cache; the others are submitted together
        (``client.submit``), each runs with dask's synchronous scheduler inside its
        worker (one granule per task), and results are saved atomically as they arrive.
        """
        out: list[Any] = [None] * len(jobs)
        todo = []
        for i, (key, suffix, _, _, load) in enumerate(jobs):
            path = self.cache / f"{key}{suffix}"
            if path.exists():
                try:
                    out[i] = load(path)
                except (OSError, ValueError):
                    todo.append(i)
                else:
                    self.reused.append(key)
            else:
                todo.append(i)
        client = _client()
        bar = _progress(None, desc=desc, enabled=progress, total=len(todo)) if todo else None
        if client is None:
            for i in todo:
                out[i] = self._finish(jobs[i], jobs[i][2]())
                if bar is not None:
                    bar.update(1)
        else:
            from distributed import as_completed

            futures = {client.submit(_in_worker, jobs[i][2], pure=False): i for i in todo}
            for fut in as_completed(list(futures)):
                i = futures[fut]
                out[i] = self._finish(jobs[i], fut.result())
                if bar is not None:
                    bar.update(1)
        if bar is not None:
            bar.close()
        return out

    def _finish(self, job: tuple[str, str, Callable, Callable, Callable], value: Any) -> Any:
        key, suffix, _, save, _ = job
        with atomic_write(self.cache / f"{key}{suffix}") as tmp:
            save(value, tmp)
        self.computed.append(key)
        if _after_step is not None:
            _after_step(key)
        return value


def _client() -> Any:
    """The active dask.distributed client, or None."""
    try:
        from distributed import get_client

        return get_client()
    except (ImportError, ValueError):
        return None


def _in_worker(fn: Callable[[], Any]) -> Any:
    """Run one step inside a worker with dask's synchronous scheduler (one task per granule)."""
    import dask

    with dask.config.set(scheduler="synchronous"):
        return fn()


def _save_table(df: pd.DataFrame, p: Path) -> None:
    df.to_parquet(p, index=False)


def _load_table(p: Path) -> pd.DataFrame:
    return pd.read_parquet(p)


def _save_ds(ds: xr.Dataset, p: Path) -> None:
    netcdf_ready(ds).to_netcdf(p, engine="netcdf4")


def _load_ds(p: Path) -> xr.Dataset:
    with xr.open_dataset(p, engine="netcdf4") as ds:
        return ds.load()


@contextlib.contextmanager
def _scheduler(spec: str, total_bytes: int) -> Iterator[str]:
    import dask

    if spec == "auto":
        spec = "synchronous" if total_bytes < _AUTO_LOCAL_BYTES else "local"
    if spec in ("synchronous", "threads"):
        with dask.config.set(scheduler=spec):
            yield spec
        return
    from distributed import Client, LocalCluster

    if spec == "local":
        n = max(1, min(os.cpu_count() or 1, 8))
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            yield f"local ({n} workers) {client.scheduler.address}"
        return
    if "://" not in spec:  # tcp:// (or tls://, inproc:// for an in-process cluster)
        raise ConfigError(f"scheduler={spec!r}: use auto, synchronous, threads, local or tcp://host:port.")
    try:
        client = Client(spec, timeout="20s")
    except OSError as err:
        raise ConfigError(f"cannot connect to the dask scheduler at {spec!r} ({err}); is the cluster running?") from err
    with client:
        yield spec


def _progress(iterable: Any, *, desc: str, enabled: bool, total: int | None = None) -> Any:
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False)


# ---------------------------------------------------------------- job parts


def _read_all_boundaries(cfg: dict[str, Any], checks: _Checksums) -> gpd.GeoDataFrame:
    from urbansat.ingest.boundaries import read_boundaries

    parts = []
    for b in cfg["boundaries"]:
        kw = {k: b[k] for k in ("id_field", "name_field", "parent_field", "layer", "crs") if k in b}
        gdf = read_boundaries(b["path"], level=b["level"], **kw)
        parts.append(gdf[["boundary_id", "name", "level", "parent_id", "geometry"]].to_crs(4326))
        checks(b["path"])
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=4326)
    dup = out["boundary_id"][out["boundary_id"].duplicated()]
    if len(dup):
        raise BoundaryError(
            f"boundary_id values {sorted(set(dup))[:5]} appear in more than one [[boundaries]] file; "
            "ids must be unique across the job (set id_field or prefix them)."
        )
    return out


def _period_of(times: np.ndarray, periods: Mapping[str, Any] | list[str]) -> str | None:
    """Period holding the median time of an overpass (None when outside every period)."""
    t = pd.Timestamp(np.median(times.astype("datetime64[ns]").astype("int64"))) if times.size else None
    if t is None:
        return None
    if isinstance(periods, Mapping):
        for label, (start, end) in periods.items():
            if pd.Timestamp(start) <= t < pd.Timestamp(end):
                return label
        return None
    for label in periods:
        if str(t.year) == str(label):
            return str(label)
    return None


def _split_by_period(table: pd.DataFrame, periods: Mapping[str, Any] | list[str]) -> dict[str, pd.DataFrame]:
    out = {}
    t = pd.to_datetime(table["time"])
    if isinstance(periods, Mapping):
        for label, (start, end) in periods.items():
            out[label] = table[(t >= pd.Timestamp(start)) & (t < pd.Timestamp(end))]
    else:
        for label in periods:
            out[label] = table[t.dt.year.astype(str) == str(label)]
    return out


def _open_swath(path: str, g: Mapping[str, Any]) -> xr.Dataset | None:
    """The normalized swath of one granule, or None when its bbox/time filter selects nothing."""
    from urbansat.ingest.granules import open_granules

    kw = {k: g[k] for k in ("gas", "product", "qa", "bbox", "time", "target") if k in g}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyResultWarning)
        try:
            return open_granules(path, **kw)
        except EmptySelectionError:
            return None


def _concentration_steps(cfg, bnd, steps, checks, progress) -> tuple[dict, dict[str, pd.DataFrame]]:
    opts = cfg["concentration"]
    atm = bnd[bnd["level"].isin(ATMOSPHERE_SCOPES)]
    if atm.empty:
        return {}, {}
    tables: dict[str, list[pd.DataFrame]] = {}
    meta: dict[str, dict[str, list[str]]] = {}
    files = [(g, f) for g in cfg["granules"] for f in g["files"]]
    jobs = []
    for g, f in files:
        key = "conc-" + _hash(checks(f), g.get("gas"), g.get("product"), g.get("qa"), g.get("bbox"), g.get("time"),
                              g.get("target"),
                              opts["background_buffer_km"], opts["background_radius_km"], opts["min_overlap"],
                              atm[["boundary_id"]].to_dict("list"), atm.geometry.to_wkb().tolist())

        def compute(f: str = f, g: Mapping[str, Any] = g) -> pd.DataFrame:
            sw = _open_swath(f, g)
            from urbansat.schema import gas_of

            gas = gas_of(sw) if sw is not None else str(g.get("gas", ""))
            if sw is None or sw.sizes["y"] == 0 or not bool(sw["qa_pass"].any()):
                t = pd.DataFrame({"boundary_id": pd.Series(dtype=str), "overlap_fraction": pd.Series(dtype=float),
                                  "value": pd.Series(dtype=float), "sigma": pd.Series(dtype=float),
                                  "time": pd.Series(dtype="datetime64[ns]"),
                                  "longitude": pd.Series(dtype=float), "latitude": pd.Series(dtype=float)})
            else:
                t = sounding_table(sw, atm, background_buffer_km=opts["background_buffer_km"],
                                   background_radius_km=opts["background_radius_km"],
                                   min_overlap=opts["min_overlap"])
            product = "" if sw is None else str(sw.attrs.get("product", ""))
            return t.assign(gas=gas, product=product, file=Path(f).name)

        jobs.append((key, ".parquet", compute, _save_table, _load_table))
    results = steps.run_many(jobs, desc="granules: concentrations", progress=progress)
    for (g, f), t in zip(files, results):
        if len(t):
            gas = str(t["gas"].iloc[0])
            tables.setdefault(gas, []).append(t)
            m = meta.setdefault(gas, {"product": [], "files": []})
            m["product"].append(str(t["product"].iloc[0]))
            m["files"].append(Path(f).name)
    out = {}
    bg = opts.get("background", {})
    soundings = {}
    for gas, parts in tables.items():
        table = pd.concat(parts, ignore_index=True)
        soundings[gas] = table
        for period, sub in _split_by_period(table, cfg["job"]["periods"]).items():
            if sub.empty:
                continue
            out[(period, gas)] = concentrations_from_table(
                sub, atm, gas=gas, background=tuple(bg[gas]) if gas in bg else None,
                background_buffer_km=opts["background_buffer_km"],
                background_radius_km=opts["background_radius_km"],
                product=",".join(sorted(set(meta[gas]["product"]))),
                source_files=",".join(sorted(set(sub["file"]))),
            )
    return out, soundings


def _wind_arg(w: Any) -> Any:
    from urbansat.ingest.winds import open_wind

    if isinstance(w, Mapping) and "path" in w:
        return open_wind(w["path"], sigma=w.get("sigma"), surface=w.get("surface"))
    if isinstance(w, Mapping):
        return (float(w["u"]), float(w["v"]), float(w.get("sigma", 1.0)))
    return w


def _combine_overpasses(parts: list[xr.Dataset]) -> xr.Dataset:
    if len(parts) == 1:
        return parts[0]
    names = list(dict.fromkeys(str(s) for p in parts for s in p["source"].values))
    rows = []
    for name in names:
        sel = [p.sel(source=name) for p in parts if name in set(map(str, p["source"].values))]
        ok = [s for s in sel if str(s["qa_reason"].values) == "" and np.isfinite(float(s["emission_t_per_yr"]))]
        n = len(ok)
        base = sel[0]
        e: float | np.floating
        if n:
            e = np.mean([float(s["emission_t_per_yr"]) for s in ok])
            u = math.sqrt(sum(float(s["emission_t_per_yr_uncertainty"]) ** 2 for s in ok)) / n
            reason = ""
        else:
            e, u = math.nan, math.nan
            reason = "; ".join(sorted({str(s["qa_reason"].values) for s in sel}))
        rows.append((name, float(base["longitude"]), float(base["latitude"]), e, u,
                     str(base["method"].values), reason, int(sum(int(s["n_obs"]) for s in ok)), len(sel)))
    df = pd.DataFrame(rows, columns=["source", "longitude", "latitude", "emission_t_per_yr",
                                     "emission_t_per_yr_uncertainty", "method", "qa_reason", "n_obs", "n_overpasses"])
    from urbansat.constants import KG_S_TO_T_YR

    ds = xr.Dataset(
        {
            "emission": ("source", df["emission_t_per_yr"].to_numpy() / KG_S_TO_T_YR, {"units": "kg s-1"}),
            "emission_uncertainty": ("source", df["emission_t_per_yr_uncertainty"].to_numpy() / KG_S_TO_T_YR,
                                     {"units": "kg s-1"}),
            "emission_t_per_yr": ("source", df["emission_t_per_yr"].to_numpy(), {"units": "t yr-1"}),
            "emission_t_per_yr_uncertainty": ("source", df["emission_t_per_yr_uncertainty"].to_numpy(),
                                              {"units": "t yr-1"}),
            "method": ("source", df["method"].to_numpy().astype(str)),
            "qa_reason": ("source", df["qa_reason"].to_numpy().astype(str)),
            "n_obs": ("source", df["n_obs"].to_numpy(), {"units": "1"}),
            "n_overpasses": ("source", df["n_overpasses"].to_numpy(), {"units": "1"}),
        },
        coords={"source": df["source"].to_numpy().astype(str),
                "longitude": ("source", df["longitude"].to_numpy(), {"units": "degrees_east"}),
                "latitude": ("source", df["latitude"].to_numpy(), {"units": "degrees_north"})},
        attrs={**parts[0].attrs, "method": f"{parts[0].attrs.get('method', '')}, mean of overpasses"},
    )
    return ds


def _emission_steps(cfg, bnd, steps, checks, progress) -> dict[tuple[str, str], xr.Dataset]:
    from urbansat.inversion import estimate_emissions

    groups = {g["name"]: g for g in cfg["granules"]}
    per: dict[tuple[str, str], list[xr.Dataset]] = {}
    todo = [(i, e, f) for i, e in enumerate(cfg["emissions"]) for f in groups[e["granules"]]["files"]]
    jobs = []
    for i, e, f in todo:
        g = groups[e["granules"]]
        wind = e["wind"]
        src_file = e.get("sources")
        use_b = bool(e.get("boundaries", False))
        b = bnd[bnd["level"].isin(ATMOSPHERE_SCOPES)] if use_b else None
        if b is not None and e.get("boundary_ids"):
            b = b[b["boundary_id"].isin([str(x) for x in e["boundary_ids"]])]
        inputs = [checks(f)] + ([checks(src_file)] if src_file else [])
        if isinstance(wind, Mapping) and "path" in wind:
            inputs += [checks(wind[k]) for k in ("path", "surface") if k in wind]
        key = "emis-" + _hash(inputs, e, g.get("gas"), g.get("product"), g.get("qa"), g.get("bbox"), g.get("time"),
                              g.get("target"),
                              None if b is None else b.geometry.to_wkb().tolist())

        def compute(f: str = f, g: Mapping[str, Any] = g, e: Mapping[str, Any] = e, b: Any = b) -> xr.Dataset:
            sw = _open_swath(f, g)
            if sw is None or sw.sizes["y"] == 0:  # nothing selected in this granule
                return xr.Dataset(attrs={"empty": 1, "granule": Path(f).name})
            sources = None
            if e.get("sources"):
                s = pd.read_csv(e["sources"], comment="#")
                sources = s
            ds = estimate_emissions(sw, sources=sources, boundaries=b, wind=_wind_arg(e["wind"]),
                                    method=e["method"], **e.get("options", {}))
            times = np.asarray(sw["time"].values).ravel()
            ds.attrs["overpass_time"] = str(pd.Timestamp(np.median(times.astype("datetime64[ns]").astype("int64"))))
            ds.attrs["granule"] = Path(f).name
            return ds.load()

        jobs.append((key, ".nc", compute, _save_ds, _load_ds))
    for ds in steps.run_many(jobs, desc="granules: emissions", progress=progress):
        if ds.attrs.get("empty"):
            continue
        period = _period_of(np.array([np.datetime64(pd.Timestamp(ds.attrs["overpass_time"]).to_datetime64())]),
                            cfg["job"]["periods"])
        if period is None:
            continue
        per.setdefault((period, str(ds.attrs["gas"])), []).append(ds)
    return {k: _combine_overpasses(v) for k, v in per.items()}


def _sink_steps(cfg, bnd, steps, checks, progress) -> dict[str, xr.Dataset]:
    """One cached step per (epoch pair, boundary): each reads only its boundary's raster window."""
    from urbansat.ingest.landcover import open_landcover

    out = {}
    sb = bnd[bnd["level"].isin(SINK_SCOPES)]
    for s in cfg["sinks"]:
        starts = s["landcover_start"] if isinstance(s["landcover_start"], list) else [s["landcover_start"]]
        ends = s["landcover_end"] if isinstance(s["landcover_end"], list) else [s["landcover_end"]]
        opts = {k: s[k] for k in ("factors", "method", "climate_zone", "years", "legend", "uncertainty",
                                  "align_to", "pools", "area_uncertainty", "unranged") if k in s}
        files = [checks(p) for p in starts + ends]
        lc = open_landcover(starts if len(starts) > 1 else starts[0])  # lazy: metadata only
        crs = lc.rio.crs if hasattr(lc, "rio") and lc.rio.crs is not None else "EPSG:4326"
        footprint = _box(lc)
        if s.get("bbox"):
            from shapely.geometry import box

            footprint = footprint.intersection(box(*s["bbox"]))
        inside = sb[sb.to_crs(crs).intersects(footprint).to_numpy()]
        if inside.empty:
            raise BoundaryError(
                f"no sink-level boundary (region/county/project) overlaps the land cover of [[sinks]] "
                f"{s['name']!r}; check the boundaries or the land-cover files."
            )
        jobs = []
        for i in range(len(inside)):
            one = inside.iloc[[i]]
            key = "sink-" + _hash(files, opts, s.get("bbox"), str(one["boundary_id"].iloc[0]),
                                  one.geometry.to_wkb().tolist())

            def compute(starts: list[str] = starts, ends: list[str] = ends, one: Any = one,
                        opts: dict[str, Any] = opts) -> xr.Dataset:
                from urbansat.sinks import account_sinks

                lc0 = open_landcover(starts if len(starts) > 1 else starts[0])
                lc1 = open_landcover(ends if len(ends) > 1 else ends[0])
                window = _raster_window(lc0, one)
                return account_sinks(_clip(lc0, window), _clip(lc1, window), one, **opts).load()

            jobs.append((key, ".nc", compute, _save_ds, _load_ds))
        parts = steps.run_many(jobs, desc=f"sinks {s['name']}: boundaries", progress=progress)
        out[s["period"]] = _concat_sinks(parts)
    return out


def _concat_sinks(parts: list[xr.Dataset]) -> xr.Dataset:
    """Join per-boundary sink accounts; class pairs absent from a boundary have 0 transition area."""
    if len(parts) == 1:
        return parts[0]
    ds = xr.concat(parts, dim="boundary", join="outer", combine_attrs="drop_conflicts")
    for v in ds.data_vars:
        if {"class_start", "class_end"} & set(ds[v].dims) and ds[v].dtype.kind == "f":
            ds[v] = ds[v].fillna(0.0)
    return ds


def _box(da: xr.DataArray) -> Any:
    from shapely.geometry import box

    x, y = da["x"].values, da["y"].values
    return box(float(x.min()), float(y.min()), float(x.max()), float(y.max()))


def _raster_window(da: xr.DataArray, b: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Bounds of the sink boundaries (in the raster CRS) padded by 2 pixels."""
    crs = da.rio.crs if hasattr(da, "rio") and da.rio.crs is not None else "EPSG:4326"
    x0, y0, x1, y1 = b.to_crs(crs).total_bounds
    res = abs(float(da["x"].values[1] - da["x"].values[0])) if da.sizes["x"] > 1 else 0.0
    return x0 - 2 * res, y0 - 2 * res, x1 + 2 * res, y1 + 2 * res


def _clip(da: xr.DataArray, bbox: tuple[float, float, float, float]) -> xr.DataArray:
    x0, y0, x1, y1 = bbox
    xs = slice(x0, x1) if da["x"].values[0] < da["x"].values[-1] else slice(x1, x0)
    ys = slice(y0, y1) if da["y"].values[0] < da["y"].values[-1] else slice(y1, y0)
    out = da.sel(x=xs, y=ys)
    out.attrs = dict(da.attrs)
    return out


def _inventory_for_table(cfg: dict[str, Any]) -> pd.DataFrame | None:
    if not cfg["inventory"]:
        return None
    from urbansat.ingest.inventory import read_inventory

    inv = read_inventory(cfg["inventory"]["path"])
    inv = inv[inv["boundary_id"].astype(str) != ""]
    return inv[["boundary_id", "gas", "period", "emission_t_per_yr", "emission_t_per_yr_uncertainty", "source"]]


def _validation(cfg, table, emissions) -> dict[str, pd.DataFrame]:
    from urbansat.ingest.inventory import read_inventory
    from urbansat.validation import validate

    out = {}
    for i, v in enumerate(cfg["validation"]):
        inv = read_inventory(v["inventory"])
        key = v.get("key", "location")
        gas = v.get("gas", "co2")
        name = f"validation_{i}"
        try:
            if key == "location":
                parts = [ds for (p, g), ds in emissions.items() if g == gas]
                if not parts:
                    continue
                est = xr.concat(parts, dim="source", data_vars="all", coords="all", join="outer",
                                combine_attrs="drop_conflicts") if len(parts) > 1 else parts[0]
                drop = [s for s in map(str, est["source"].values) if s in set(map(str, v.get("exclude", [])))]
                est = est.drop_sel(source=drop) if drop else est
                res = validate(est, inv, key="location", max_distance_km=v.get("max_distance_km", 5.0), gas=gas)
            else:
                keep = table[~table["boundary_id"].isin([str(x) for x in v.get("exclude", [])])]
                res = validate(keep, inv, key="boundary_id", gas=gas)
        except UrbansatError as err:
            res = pd.DataFrame({"scope": ["overall"], "key": ["overall"], "gas": [gas], "n": [0],
                                "note": [f"validation skipped: {err}"]})
        res.attrs = {"inventory": v["inventory"], "key": key, "gas": gas}
        out[name] = res
    return out


def _flat_wide(wide: pd.DataFrame) -> pd.DataFrame:
    flat = wide.copy()
    # wide has (boundary, period) MultiIndex columns; pandas-stubs iterate them as scalars
    flat.columns = [f"{b} | {p}" for b, p in cast("pd.MultiIndex", flat.columns)]
    return flat.reset_index()


def _total_bytes(cfg: dict[str, Any]) -> int:
    files = [f for g in cfg["granules"] for f in g["files"]]
    for s in cfg["sinks"]:
        for k in ("landcover_start", "landcover_end"):
            files += s[k] if isinstance(s[k], list) else [s[k]]
    return sum(os.path.getsize(f) for f in files if os.path.exists(f))


def run_job(
    config_or_path: str | os.PathLike | Mapping[str, Any],
    *,
    scheduler: str | None = None,
    progress: bool = True,
    resume: bool = True,
) -> JobResult:
    """Run a complete T/CI 231 job: granules to indicator tables, exports and report.

    Parameters
    ----------
    config_or_path : path or mapping
        A job TOML file (see :mod:`urbansat.ingest.config`) or the parsed
        mapping (paths relative to the current directory).
    scheduler : str, optional
        Overrides ``job.scheduler``: ``"auto"``, ``"synchronous"``,
        ``"threads"``, ``"local"`` or ``"tcp://host:port"`` (module docstring).
    progress : bool, default True
        Show tqdm progress bars.
    resume : bool, default True
        Reuse finished steps cached in ``<output_dir>/.urbansat-cache``; with
        False the cache is cleared first.

    Returns
    -------
    JobResult

    Raises
    ------
    ConfigError
        The configuration is invalid (every problem listed with its key path).
    UrbansatError
        Any input error of the steps, naming the file and the fix.
    """
    t0 = time.perf_counter()
    if isinstance(config_or_path, Mapping):
        cfg = validate_config(dict(config_or_path), base_dir=Path.cwd(), source="<mapping>")
    else:
        cfg = load_config(config_or_path)
    job = cfg["job"]
    out_dir = Path(job["output_dir"])
    cache = out_dir / _CACHE
    if not resume and cache.exists():
        for p in cache.iterdir():
            p.unlink()
    cache.mkdir(parents=True, exist_ok=True)
    checks = _Checksums(cache)
    steps = _Steps(cache)
    sched = scheduler or job.get("scheduler", "auto")
    with _scheduler(sched, _total_bytes(cfg)) as sched_used:
        bnd = _read_all_boundaries(cfg, checks)
        conc, soundings = _concentration_steps(cfg, bnd, steps, checks, progress)
        ems = _emission_steps(cfg, bnd, steps, checks, progress)
        sinks = _sink_steps(cfg, bnd, steps, checks, progress)
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
        inventory=inventory,
        observed_gases=sorted({g for (_, g) in conc} | {g for (_, g) in ems} | set(soundings)
                              | {str(g["gas"]) for g in cfg["granules"] if g.get("gas")}),
    )
    wide = to_wide(table, value="cell")
    val = _validation(cfg, table, ems)
    checks.save()
    options = {k: v for k, v in cfg.items() if k != "_source"}
    options["scheduler_used"] = sched_used
    prov = provenance(checks.used, options=options, checksums=checks.used)
    tables = {"indicators": table, "indicators_wide": _flat_wide(wide), **val}
    outputs = write_tables(tables, out_dir, formats=cfg["outputs"]["formats"], boundaries=bnd, prov=prov)
    report = None
    if cfg["outputs"]["report"]:
        from urbansat.report import write_report

        report = write_report(
            out_dir / "report.html", table=table, boundaries=bnd, concentrations=conc, emissions=ems,
            sinks=sinks, validation=val, provenance=prov, soundings=soundings,
            landcover={s["period"]: tuple(
                [x] if isinstance(x, str) else list(x) for x in (s["landcover_start"], s["landcover_end"])
            ) for s in cfg["sinks"]}, title=job.get("name", "urbansat job"),
        )
    with atomic_write(out_dir / "job_provenance.json") as tmp:
        tmp.write_text(json.dumps(prov, indent=1, default=str), encoding="utf-8")
    return JobResult(
        output_dir=out_dir, indicators=table, wide=wide, validation=val, concentrations=conc,
        emissions=ems, sinks=sinks, soundings=soundings, outputs=outputs, report=report, computed=steps.computed,
        reused=steps.reused, provenance=prov, elapsed_s=time.perf_counter() - t0,
    )


def _by_period(d: Mapping[tuple[str, str], xr.Dataset]) -> list[dict[str, xr.Dataset]] | None:
    """{(period, gas): ds} -> [{period: ds} per gas] as tci231_indicators takes it."""
    if not d:
        return None
    gases = sorted({g for _, g in d})
    return [{p: ds for (p, g), ds in d.items() if g == gas} for gas in gases]
