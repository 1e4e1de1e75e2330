"""The steps of a job: boundaries, per-granule concentrations and emissions, sinks, validation.

Sinks are accounted per ``[[sinks]]`` table.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Mapping
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
    UnusedInputWarning,
    UrbansatError,
    UrbansatWarning,
)
from urbansat.indicators.concentration import concentrations_from_table, sounding_table
from urbansat.inversion.result import METHOD_DIM
from urbansat.pipeline.cache import (
    _Checksums,
    _hash,
    _load_ds,
    _load_table,
    _save_ds,
    _save_table,
    _StepJob,
    _Steps,
)
from urbansat.pipeline.config import SINK_OPTION_KEYS
from urbansat.pipeline.periods import _combine_overpasses, _period_of, _split_by_period


def _read_all_boundaries(cfg: dict[str, Any], checks: _Checksums) -> gpd.GeoDataFrame:
    from urbansat.ingest.boundaries import read_boundaries

    parts = []
    periods: dict[str, list[str]] = {}  # [[boundaries]] periods = [...]: tabulated periods
    for b in cfg["boundaries"]:
        kw = {k: b[k] for k in ("id_field", "name_field", "parent_field", "layer", "crs") if k in b}
        gdf = read_boundaries(b["path"], level=b["level"], **kw)
        parts.append(gdf[["boundary_id", "name", "level", "parent_id", "geometry"]].to_crs(4326))
        want = b.get("periods")
        ids = gdf["boundary_id"].astype(str)
        if isinstance(want, Mapping):
            unknown = sorted(set(want) - set(ids))
            if unknown:
                raise BoundaryError(
                    f"[[boundaries]] {b['path']}: periods names boundary ids {unknown} that the "
                    f"file does not have ({sorted(ids)[:10]}); use its boundary_id values."
                )
            periods.update({k: list(v) for k, v in want.items()})
        elif want:
            periods.update({i: list(want) for i in ids})
        checks(b["path"])
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=4326)
    out.attrs["boundary_periods"] = periods
    dup = out["boundary_id"][out["boundary_id"].duplicated()]
    if len(dup):
        raise BoundaryError(
            f"boundary_id values {sorted(set(dup))[:5]} appear in more than one [[boundaries]] "
            "file; "
            "ids must be unique across the job (set id_field or prefix them)."
        )
    return out


def _open_swath(path: str, g: Mapping[str, Any]) -> xr.Dataset | None:
    """Open the normalized swath of one granule (None when its bbox/time selects nothing)."""
    from urbansat.ingest.granules import open_granules

    kw = {k: g[k] for k in ("gas", "product", "qa", "bbox", "time", "target", "chunks") if k in g}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyResultWarning)
        try:
            return open_granules(path, **kw)
        except EmptySelectionError:
            return None


def _gas_of_file(path: str, g: Mapping[str, Any]) -> str:
    """Return the gas a granule measures, also when its bbox/time filter selects nothing.

    The granule was then observed (the instrument sees this gas) but holds nothing over
    the boundaries: its rows are ``no_data``, not ``not_observable``.
    """
    if g.get("gas"):
        return str(g["gas"])
    from urbansat.ingest.granules import open_granules
    from urbansat.schema import gas_of

    kw = {k: g[k] for k in ("product", "target") if k in g}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EmptyResultWarning)
            return gas_of(open_granules(path, qa="none", **kw))
    except UrbansatError:
        return ""


def _unique_files(
    cfg: Mapping[str, Any], checks: _Checksums
) -> list[tuple[Mapping[str, Any], str]]:
    """Return the (granules section, file) pairs, each granule once.

    The same content under two names or in two [[granules]] sections is read once (with an
    UrbansatWarning), never counted twice.
    """
    seen: dict[str, str] = {}
    out = []
    for g in cfg["granules"]:
        for f in g["files"]:
            digest = checks(f)
            if digest in seen:
                warnings.warn(
                    f"granule {f!r} has the same content as {seen[digest]!r}; it is used once.",
                    UrbansatWarning,
                    stacklevel=3,
                )
                continue
            seen[digest] = f
            out.append((g, f))
    return out


def _concentration_steps(
    cfg: Mapping[str, Any],
    bnd: gpd.GeoDataFrame,
    steps: _Steps,
    checks: _Checksums,
    progress: bool,
    warned: set[str] | None = None,
) -> tuple[dict[tuple[str, str], xr.Dataset], dict[str, pd.DataFrame], set[str]]:
    """Per-granule sounding tables -> concentrations per (period, gas); also the gases observed."""
    opts = cfg["concentration"]
    atm = bnd[bnd["level"].isin(ATMOSPHERE_SCOPES)]
    observed: set[str] = set()
    if atm.empty:
        return {}, {}, observed
    tables: dict[str, list[pd.DataFrame]] = {}
    meta: dict[str, dict[str, list[str]]] = {}
    files = _unique_files(cfg, checks)
    jobs: list[_StepJob[pd.DataFrame]] = []
    for g, f in files:
        key = "conc-" + _hash(
            checks(f),
            g.get("gas"),
            g.get("product"),
            g.get("qa"),
            g.get("bbox"),
            g.get("time"),
            g.get("target"),
            opts["background_buffer_km"],
            opts["background_radius_km"],
            opts["min_overlap"],
            atm[["boundary_id"]].to_dict("list"),
            atm.geometry.to_wkb().tolist(),
        )

        def compute(f: str = f, g: Mapping[str, Any] = g) -> pd.DataFrame:
            sw = _open_swath(f, g)
            from urbansat.schema import gas_of

            gas = gas_of(sw) if sw is not None else _gas_of_file(f, g)
            if sw is None or sw.sizes["y"] == 0 or not bool(sw["qa_pass"].any()):
                t = pd.DataFrame(
                    {
                        "boundary_id": pd.Series(dtype=str),
                        "overlap_fraction": pd.Series(dtype=float),
                        "value": pd.Series(dtype=float),
                        "sigma": pd.Series(dtype=float),
                        "time": pd.Series(dtype="datetime64[ns]"),
                        "longitude": pd.Series(dtype=float),
                        "latitude": pd.Series(dtype=float),
                    }
                )
            else:
                t = sounding_table(
                    sw,
                    atm,
                    background_buffer_km=opts["background_buffer_km"],
                    background_radius_km=opts["background_radius_km"],
                    min_overlap=opts["min_overlap"],
                )
            product = "" if sw is None else str(sw.attrs.get("product", ""))
            out = t.assign(gas=gas, product=product, file=Path(f).name)
            out.attrs["gas"] = (
                gas  # kept by parquet: an empty table still says which gas was observed
            )
            out.attrs["selected"] = int(sw is not None and sw.sizes["y"] > 0)
            return out

        jobs.append((key, ".parquet", compute, _save_table, _load_table))
    results = steps.run_many(jobs, desc="granules: concentrations", progress=progress)
    selected: dict[str, bool] = {}
    by_name = {str(g["name"]): g for g, _ in files}
    for (g, f), t in zip(files, results, strict=True):
        name = str(g["name"])
        selected[name] = selected.get(name, False) or bool(t.attrs.get("selected", 1))
        if t.attrs.get("gas"):
            observed.add(str(t.attrs["gas"]))
        if len(t) and not any(len(s) for s in _split_by_period(t, cfg["job"]["periods"]).values()):
            times = pd.to_datetime(t["time"]).to_numpy()
            _warn_no_period(f, times, cfg["job"]["periods"], warned, "concentrations")
        if len(t):
            gas = str(t["gas"].iloc[0])
            tables.setdefault(gas, []).append(t)
            m = meta.setdefault(gas, {"product": [], "files": []})
            m["product"].append(str(t["product"].iloc[0]))
            m["files"].append(Path(f).name)
    for name, any_selected in selected.items():
        _warn_selected_nothing(by_name[name], any_selected, "concentrations")
    out: dict[tuple[str, str], xr.Dataset] = {}
    bg = opts.get("background", {})
    soundings: dict[str, pd.DataFrame] = {}
    for gas, parts in tables.items():
        table = pd.concat(parts, ignore_index=True)
        soundings[gas] = table
        for period, sub in _split_by_period(table, cfg["job"]["periods"]).items():
            if sub.empty:
                continue
            out[(period, gas)] = concentrations_from_table(
                sub,
                atm,
                gas=gas,
                background=tuple(bg[gas]) if gas in bg else None,
                background_buffer_km=opts["background_buffer_km"],
                background_radius_km=opts["background_radius_km"],
                product=",".join(sorted(set(meta[gas]["product"]))),
                source_files=",".join(sorted(set(sub["file"]))),
            )
    return out, soundings, observed


def _warn_no_period(
    granule: str,
    times: np.ndarray,
    periods: Mapping[str, Any] | list[str],
    warned: set[str] | None,
    what: str,
) -> None:
    """Warn (UnusedInputWarning) once per granule whose overpass lies in no job period.

    Its steps ran and every result fell outside the periods: the table said only that no
    sounding covers the boundaries, without naming the granule.
    """
    if warned is not None:
        if granule in warned:
            return
        warned.add(granule)
    when = pd.Timestamp(np.median(times.astype("datetime64[ns]").astype("int64")))
    labels = list(periods)
    warnings.warn(
        f"granule {Path(granule).name!r} ({when:%Y-%m-%d %H:%M} UTC) lies in no job period "
        f"{labels}, so its {what} fill no row of the table; check job.periods (add a period "
        "that holds it) or leave the granule out.",
        UnusedInputWarning,
        stacklevel=3,
    )


def _wind_arg(w: Any) -> Any:
    from urbansat.ingest.winds import open_wind

    if isinstance(w, Mapping) and "path" in w:
        return open_wind(w["path"], sigma=w.get("sigma"), surface=w.get("surface"))
    if isinstance(w, Mapping):  # a constant wind: u/v or speed/direction, sigmas (user_wind)
        return open_wind(dict(w))
    if isinstance(w, list):  # several products (combined by estimate_emissions): each opened;
        # the raw TOML tables were passed on and refused as a malformed user wind
        return [_wind_arg(x) for x in w]
    return w


def _wind_files(w: Any) -> list[str]:
    """Return the wind files of an ``[[emissions]] wind`` (one table or a list of them)."""
    winds = w if isinstance(w, list) else [w]
    return [
        str(x[k])
        for x in winds
        if isinstance(x, Mapping) and "path" in x
        for k in ("path", "surface")
        if x.get(k)
    ]


def _emission_steps(
    cfg: Mapping[str, Any],
    bnd: gpd.GeoDataFrame,
    steps: _Steps,
    checks: _Checksums,
    progress: bool,
    warned: set[str] | None = None,
) -> dict[tuple[str, str], xr.Dataset]:
    from urbansat.ingest.tables import read_sources
    from urbansat.inversion import estimate_emissions

    groups = {g["name"]: g for g in cfg["granules"]}
    # the block of each [[emissions]] entry (by identity: two equal blocks are two blocks)
    block_of = {id(e): i for i, e in enumerate(cfg["emissions"])}
    per: dict[tuple[str, str], list[xr.Dataset]] = {}
    todo = []
    for e in cfg["emissions"]:
        seen: set[str] = set()
        for f in groups[e["granules"]]["files"]:
            digest = checks(f)
            if digest not in seen:  # one overpass once, however many names it has
                seen.add(digest)
                todo.append((e, f))
    jobs: list[_StepJob[xr.Dataset]] = []
    for e, f in todo:
        g = groups[e["granules"]]
        wind = e["wind"]
        src_file = e.get("sources")
        b = _emission_boundaries(e, block_of[id(e)], bnd)
        inputs = [checks(f)] + ([checks(src_file)] if src_file else [])
        inputs += [checks(p) for p in _profile_files(e.get("profile"))]  # manifest inputs
        inputs += [checks(p) for p in _wind_files(wind)]  # also each file of a list
        key = "emis-" + _hash(
            inputs,
            e,
            g.get("gas"),
            g.get("product"),
            g.get("qa"),
            g.get("bbox"),
            g.get("time"),
            g.get("target"),
            # the ids too (as the conc- key): the estimate names its area sources by them, and
            # re-coded ids with the same shapes reused estimates under the old names
            None if b is None else b[["boundary_id"]].astype(str).to_dict("list"),
            None if b is None else b.geometry.to_wkb().tolist(),
        )

        def compute(
            f: str = f, g: Mapping[str, Any] = g, e: Mapping[str, Any] = e, b: Any = b
        ) -> xr.Dataset:
            sw = _open_swath(f, g)
            if sw is None or sw.sizes["y"] == 0:  # nothing selected in this granule
                return xr.Dataset(attrs={"empty": 1, "granule": Path(f).name})
            sources = read_sources(e["sources"]) if e.get("sources") else None
            ds = estimate_emissions(
                sw,
                sources=sources,
                boundaries=b,
                wind=_wind_arg(e["wind"]),
                method=e["method"],
                **e.get("options", {}),
            )
            times = np.asarray(sw["time"].values).ravel()
            ds.attrs["overpass_time"] = str(
                pd.Timestamp(np.median(times.astype("datetime64[ns]").astype("int64")))
            )
            ds.attrs["granule"] = Path(f).name
            if e.get("profile") is not None:  # issue 17: temporal profile for period_totals
                ds.attrs["temporal_profile"] = json.dumps(e["profile"])
            return ds.load()

        jobs.append((key, ".nc", compute, _save_ds, _load_ds))
    selected: dict[str, bool] = {}  # [[granules]] name -> whether any file selected something
    estimated: dict[tuple[str, str, str], int] = {}  # (gas, overpass, source) -> block
    results = steps.run_many(jobs, desc="granules: emissions", progress=progress)
    for (e, f), ds in zip(todo, results, strict=True):
        name = str(e["granules"])
        selected[name] = selected.get(name, False) or not ds.attrs.get("empty")
        if ds.attrs.get("empty"):
            continue
        period = _period_of(
            np.array([np.datetime64(pd.Timestamp(ds.attrs["overpass_time"]).to_datetime64())]),
            cfg["job"]["periods"],
        )
        if period is None:
            times = np.array([np.datetime64(pd.Timestamp(ds.attrs["overpass_time"]))])
            _warn_no_period(f, times, cfg["job"]["periods"], warned, "emission estimates")
            continue
        _refuse_double_estimate(estimated, ds, block_of[id(e)], f)
        per.setdefault((period, str(ds.attrs["gas"])), []).append(_first_method(ds))
    for name, any_selected in selected.items():
        _warn_selected_nothing(groups[name], any_selected, "emissions")
    return {
        k: _combine_overpasses(v, period=k[0], periods=cfg["job"]["periods"])
        for k, v in per.items()
    }


def _profile_files(profile: Any) -> list[str]:
    """Return the profile CSVs an ``[[emissions]] profile`` names (made absolute by the config)."""
    names = [profile] if isinstance(profile, str) else list((profile or {}).values())
    return [str(p) for p in names if str(p).lower().endswith(".csv")]


def _emission_boundaries(
    e: Mapping[str, Any], i: int, bnd: gpd.GeoDataFrame
) -> gpd.GeoDataFrame | None:
    """Return the atmosphere boundaries block ``emissions[i]`` estimates (None: sources only)."""
    if not e.get("boundaries", False):
        return None
    b = bnd[bnd["level"].isin(ATMOSPHERE_SCOPES)]
    if not e.get("boundary_ids"):
        return b
    want = [str(x) for x in e["boundary_ids"]]
    have = sorted(b["boundary_id"].astype(str))
    unknown = sorted(set(want) - set(have))
    if unknown:  # the empty selection failed later with the Python API's hint
        raise ConfigError(
            f"emissions[{i}].boundary_ids names {unknown}, which no [[boundaries]] file of an "
            f"atmosphere level ({', '.join(ATMOSPHERE_SCOPES)}) holds; use their boundary_id "
            f"values (e.g. {have[:5]})."
        )
    return b[b["boundary_id"].isin(want)]


def _refuse_double_estimate(
    estimated: dict[tuple[str, str, str], int], ds: xr.Dataset, block: int, granule: str
) -> None:
    """Refuse a source that two [[emissions]] blocks estimate from one overpass.

    One would be dropped (different methods: the first block's, with both ``n_obs``), or both
    summed as two overpasses; ``estimated`` maps (gas, overpass, source) -> first block.
    """
    for src in (str(x) for x in ds["source"].values):
        k = (str(ds.attrs["gas"]), str(ds.attrs["overpass_time"]), src)
        first = estimated.setdefault(k, block)
        if first != block:
            raise ConfigError(
                f"emissions[{first}] and emissions[{block}] both estimate source {src!r} from "
                f"granule {Path(granule).name!r} ({k[0]}); one overpass gives one estimate per "
                "source. Run several methods from one block (method = ['csf', 'ime']: the first "
                "listed feeds the table), or give the blocks disjoint sources."
            )


def _warn_selected_nothing(g: Mapping[str, Any], any_selected: bool, what: str) -> None:
    """Warn when a [[granules]] group's ``time``/``bbox`` filter selected nothing in any file.

    Its gas is still observed, so the boundaries' rows say that no sounding covers them; a
    filter that does not match the granules (a wrong year, swapped bbox corners) would
    otherwise pass without a word.
    """
    if any_selected:
        return
    filters = {k: g[k] for k in ("time", "bbox") if g.get(k) is not None}
    if not filters:
        return
    shown = ", ".join(
        f"{k} = {list(v) if not isinstance(v, str) else v!r}" for k, v in filters.items()
    )
    warnings.warn(
        f"[[granules]] {g['name']!r}: its filter ({shown}) selected no sounding in any of its "
        f"{len(g['files'])} file(s), so no {what} come from it and its boundaries' rows say "
        "that no sounding covers them. Check the filter against the granules' time and extent "
        "(urbansat info <granule>).",
        EmptyResultWarning,
        stacklevel=3,
    )


def _first_method(ds: xr.Dataset) -> xr.Dataset:
    """Keep the first listed method of an estimate that ran several (one method: ``ds``).

    With ``method = "all"`` or a list every method ran on the same prepared plumes; the
    first listed one feeds the indicator table (docs/reliability.md).
    """
    if METHOD_DIM not in ds.dims:
        return ds
    one = ds.sel({METHOD_DIM: str(ds[METHOD_DIM].values[0])}, drop=True)
    one.attrs["method"] = (
        str(one["method"].values.flat[0]) if "method" in one else one.attrs.get("method")
    )
    return one


def _sink_steps(
    cfg: Mapping[str, Any],
    bnd: gpd.GeoDataFrame,
    steps: _Steps,
    checks: _Checksums,
    progress: bool,
    on_rasters: Callable[[str, dict[str, Path]], None] | None = None,
) -> dict[str, xr.Dataset]:
    """One cached step per (epoch pair, boundary): each reads only its boundary's raster window.

    ``on_rasters(name, {map: path})`` is called as soon as a section's GeoTIFFs are written
    (``write_rasters = true``), so the run records them even if a later step fails.
    """
    from urbansat.ingest.landcover import open_landcover

    out: dict[str, xr.Dataset] = {}
    sb = bnd[bnd["level"].isin(SINK_SCOPES)]
    for s in cfg["sinks"]:
        starts = (
            s["landcover_start"]
            if isinstance(s["landcover_start"], list)
            else [s["landcover_start"]]
        )
        ends = s["landcover_end"] if isinstance(s["landcover_end"], list) else [s["landcover_end"]]
        opts = {k: s[k] for k in SINK_OPTION_KEYS if k in s}
        files = [checks(p) for p in starts + ends]
        from urbansat.pipeline.sinks_job import (  # issue 18 keys
            factor_file,
            resolve_factors,
            section_options,
            write_section_rasters,
        )

        # a user factor table or reference sample is keyed by its content, not only its path:
        # an edited table must not reuse the sinks computed with the old one
        factor_files = [
            checks(f) for f in (factor_file(s.get("factors")), s.get("accuracy_samples")) if f
        ]

        opts.update(
            section_options(s, _class_areas_ha(starts) if s.get("accuracy_samples") else None)
        )
        if s.get("write_rasters"):
            # the section's other input files (not their sha256 digests) must not be overwritten
            own = [f for f in (factor_file(s.get("factors")), s.get("accuracy_samples")) if f]
            written = write_section_rasters(s, cfg["job"]["output_dir"], inputs=own)
            if on_rasters is not None:
                on_rasters(str(s["name"]), written)
        lc = open_landcover(starts if len(starts) > 1 else starts[0])  # lazy: metadata only
        crs = lc.rio.crs if hasattr(lc, "rio") and lc.rio.crs is not None else "EPSG:4326"
        footprint = _box(lc)
        if s.get("bbox"):
            from shapely.geometry import box

            footprint = footprint.intersection(box(*s["bbox"]))
        inside = sb[sb.to_crs(crs).intersects(footprint).to_numpy()]
        if inside.empty:
            raise BoundaryError(
                "no sink-level boundary (region/county/project) overlaps the land cover of "
                "[[sinks]] "
                f"{s['name']!r}; check the boundaries or the land-cover files."
            )
        jobs: list[_StepJob[xr.Dataset]] = []
        for i in range(len(inside)):
            one = inside.iloc[[i]]
            key = "sink-" + _hash(
                files,
                factor_files,
                opts,
                s.get("bbox"),
                str(one["boundary_id"].iloc[0]),
                one.geometry.to_wkb().tolist(),
            )

            def compute(
                starts: list[str] = starts,
                ends: list[str] = ends,
                one: Any = one,
                opts: dict[str, Any] = opts,
            ) -> xr.Dataset:
                from urbansat.sinks import account_sinks

                opts = (
                    {**opts, "factors": resolve_factors(opts["factors"])}
                    if "factors" in opts
                    else opts
                )

                lc0 = open_landcover(starts if len(starts) > 1 else starts[0])
                lc1 = open_landcover(ends if len(ends) > 1 else ends[0])
                window = _raster_window(lc0, one)
                return account_sinks(_clip(lc0, window), _clip(lc1, window), one, **opts).load()

            jobs.append((key, ".nc", compute, _save_ds, _load_ds))
        parts = steps.run_many(jobs, desc=f"sinks {s['name']}: boundaries", progress=progress)
        out[s["period"]] = _concat_sinks(parts)
    return out


def _class_areas_ha(paths: list[str]) -> Any:
    """Return the mapped area [ha] of each class of the start epoch (reference-sample strata)."""
    from urbansat.ingest.landcover import open_landcover
    from urbansat.sinks.account import _raster_boundary
    from urbansat.spatial.zonal import class_areas

    lc = open_landcover(paths if len(paths) > 1 else paths[0])
    t = class_areas(lc, _raster_boundary(lc))
    return t.groupby("class")["area_m2"].sum() / 1e4


def _concat_sinks(parts: list[xr.Dataset]) -> xr.Dataset:
    """Join per-boundary sink accounts; class pairs absent in a boundary have 0 transition area."""
    if len(parts) == 1:
        return parts[0]
    ds = xr.concat(
        parts, dim="boundary", data_vars="all", join="outer", combine_attrs="drop_conflicts"
    )
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
    return inv[
        [
            "boundary_id",
            "gas",
            "period",
            "emission_t_per_yr",
            "emission_t_per_yr_uncertainty",
            "source",
            "sector",  # rows of one boundary are its sectors (summed), not repeats
        ]
    ]


def _validation(
    cfg: Mapping[str, Any], table: pd.DataFrame, emissions: Mapping[tuple[str, str], xr.Dataset]
) -> dict[str, pd.DataFrame]:
    from urbansat.ingest.inventory import read_inventory
    from urbansat.validation import validate_inventory as validate

    out: dict[str, pd.DataFrame] = {}
    for i, v in enumerate(cfg["validation"]):
        inv = read_inventory(v["inventory"])
        key = v.get("key", "location")
        gas = v.get("gas", "co2")
        name = f"validation_{i}"
        try:
            if key == "location":
                parts = [ds for (p, g), ds in emissions.items() if g == gas]
                if not parts:  # skipped with a note (as for an error), not left unwritten:
                    # the previous run's validation_<i> file stayed as this run's output
                    raise EmptySelectionError(
                        f"no {gas} emission estimate in this run to compare with "
                        f"{Path(v['inventory']).name!r} (key = 'location'); add an "
                        f"[[emissions]] block whose granules measure {gas}"
                    )
                est = (
                    xr.concat(
                        parts,
                        dim="source",
                        data_vars="all",
                        coords="all",
                        join="outer",
                        combine_attrs="drop_conflicts",
                    )
                    if len(parts) > 1
                    else parts[0]
                )
                have = list(map(str, est["source"].values))
                _warn_unused_exclude(i, v, have, "source")
                drop = [s for s in have if s in set(map(str, v.get("exclude", [])))]
                est = est.drop_sel(source=drop) if drop else est
                res = validate(
                    est, inv, key="location", max_distance_km=v.get("max_distance_km", 5.0), gas=gas
                )
            else:
                _warn_unused_exclude(
                    i, v, list(dict.fromkeys(map(str, table["boundary_id"]))), "boundary_id"
                )
                keep = table[~table["boundary_id"].isin([str(x) for x in v.get("exclude", [])])]
                res = validate(keep, inv, key="boundary_id", gas=gas)
        except UrbansatError as err:
            res = pd.DataFrame(
                {
                    "scope": ["overall"],
                    "key": ["overall"],
                    "gas": [gas],
                    "n": [0],
                    "note": [f"validation skipped: {err}"],
                }
            )
        res.attrs = {"inventory": v["inventory"], "key": key, "gas": gas}
        out[name] = res
    return out


def _warn_unused_exclude(i: int, v: Mapping[str, Any], have: list[str], what: str) -> None:
    """Warn for ``[[validation]] exclude`` entries that name nothing compared (a typo or a case).

    ``exclude = ["berlin"]`` for the source "Berlin" excluded nothing and the city joined the
    plant comparison without a word.
    """
    unknown = [str(x) for x in v.get("exclude", []) if str(x) not in set(have)]
    if not unknown:
        return
    warnings.warn(
        f"validation[{i}].exclude: {unknown} name no {what} of the estimates compared "
        f"(key = {v.get('key', 'location')!r}; have {sorted(set(have))[:10]}), so they exclude "
        f"nothing; use the {what} names exactly (case matters).",
        UnusedInputWarning,
        stacklevel=3,
    )


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
