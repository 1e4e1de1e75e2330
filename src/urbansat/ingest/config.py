"""EDGE: read and validate a job configuration (TOML) for :func:`urbansat.run_job`.

Every problem is collected with its key path (``granules[1].paths``) and
reported at once in one :class:`~urbansat.errors.ConfigError`. Relative paths are
resolved against the directory of the TOML file. Example (``urbansat demo``
writes a complete one)::

    [job]
    name = "berlin"
    output_dir = "out"                  # relative to this file
    scheduler = "auto"                  # auto | synchronous | threads | local | tcp://host:port
    periods = { "2015" = ["2015-01-01", "2016-01-01"] }

    [[boundaries]]
    path = "berlin.geojson"
    level = "region"                    # region | county | park | project
    id_field = "id"                     # optional: name_field, parent_field, layer, crs

    [[granules]]
    name = "co2m"
    paths = ["granules/*.nc"]           # globs
    gas = "co2"                         # optional: product, qa, target (OCO-3 SAM site),
                                        # bbox = [lon_min, lat_min, lon_max, lat_max], time = [start, end]

    [concentration]
    background_buffer_km = 10.0         # excluded around every boundary
    background_radius_km = 100.0        # regional background: soundings within this of the boundary
                                        # optional: min_overlap, background = { co2 = [400.0, 0.5] }

    [[emissions]]
    granules = "co2m"                   # a [[granules]] name
    method = "ime"                      # ime | csf | gaussian | bayesian
    sources = "sources.csv"             # name, longitude, latitude[, diameter_km]
    boundaries = false                  # true: also estimate boundaries as area sources
    boundary_ids = ["bowen"]            # optional: only these boundaries
    wind = { path = "wind.nc" }         # or { u = 3.0, v = 1.0, sigma = 1.0 } or "granule";
                                        # ERA5 model levels: { path = "lvl.nc", surface = "sfc.nc" }
    options = { radius_km = 60 }

    [[sinks]]
    period = "2015"
    landcover_start = "lc2020.tif"
    landcover_end = "lc2021.tif"
    factors = "ipcc2019"                # optional: method, climate_zone, years, bbox, pools, legend

    [inventory]
    path = "inventory.csv"              # fills unobserved gases (status from_inventory)

    [[validation]]
    inventory = "coco2.csv"
    key = "location"                    # location | boundary_id
    max_distance_km = 5.0
    exclude = ["Berlin"]                # sources / boundaries not to compare (e.g. a city vs plants)

    [outputs]
    formats = ["csv", "parquet", "netcdf", "gpkg", "json"]
    report = true
"""

from __future__ import annotations

import glob
import os
import tomllib
from pathlib import Path
from typing import Any, Final

import pandas as pd

from urbansat.categories import BOUNDARY_LEVELS
from urbansat.errors import ConfigError, InputFileError

__all__ = ["FORMATS", "SCHEDULERS", "load_config", "validate_config"]

FORMATS: Final = ("csv", "parquet", "netcdf", "gpkg", "json")
SCHEDULERS: Final = ("auto", "synchronous", "threads", "local")
METHODS: Final = ("ime", "csf", "gaussian", "bayesian")

_SECTIONS: Final = {
    "job": dict, "boundaries": list, "granules": list, "concentration": dict, "emissions": list,
    "sinks": list, "inventory": dict, "validation": list, "outputs": dict,
}
_KEYS: Final[dict[str, dict[str, tuple[type, ...]]]] = {
    "job": {"name": (str,), "output_dir": (str,), "scheduler": (str,), "periods": (dict, list)},
    "boundaries": {"path": (str,), "level": (str,), "id_field": (str,), "name_field": (str,),
                   "parent_field": (str,), "layer": (str, int), "crs": (str, int)},
    "granules": {"name": (str,), "paths": (list, str), "gas": (str,), "product": (str,), "qa": (str,),
                 "bbox": (list,), "time": (list,), "target": (str,)},
    "concentration": {"background_buffer_km": (int, float), "background_radius_km": (int, float),
                      "min_overlap": (int, float),
                      "background": (dict,)},
    "emissions": {"granules": (str,), "method": (str,), "sources": (str,), "boundaries": (bool,),
                  "boundary_ids": (list,),
                  "wind": (dict, str, list), "options": (dict,)},
    "sinks": {"name": (str,), "period": (str,), "landcover_start": (str, list), "landcover_end": (str, list),
              "factors": (str,), "method": (str,), "climate_zone": (str,), "years": (int, float),
              "legend": (str,), "uncertainty": (str,), "align_to": (str,), "bbox": (list,),
              "pools": (list,), "area_uncertainty": (int, float), "unranged": (str,)},
    "inventory": {"path": (str,)},
    "validation": {"inventory": (str,), "key": (str,), "max_distance_km": (int, float), "gas": (str,),
                   "exclude": (list,)},
    "outputs": {"formats": (list,), "report": (bool,)},
}
_REQUIRED: Final = {
    "job": ("output_dir", "periods"),
    "boundaries": ("path", "level"),
    "granules": ("name", "paths"),
    "emissions": ("granules", "method", "wind"),
    "sinks": ("landcover_start", "landcover_end"),
    "inventory": ("path",),
    "validation": ("inventory",),
}
_PATH_KEYS: Final = {
    "boundaries": ("path",), "emissions": ("sources",), "sinks": ("landcover_start", "landcover_end"),
    "inventory": ("path",), "validation": ("inventory",),
}


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a job TOML file, resolve its paths and validate it.

    Parameters
    ----------
    path : str or os.PathLike
        The TOML file.

    Returns
    -------
    dict
        The validated configuration with absolute paths, globs expanded
        (``granules[i].files``), ``job.periods`` as ``{label: (start, end)}``
        and ``_source`` = the TOML path.

    Raises
    ------
    InputFileError
        The file is missing.
    ConfigError
        Invalid TOML, or every problem found, one per line with its key path.
    """
    path = Path(path)
    if path.is_dir():
        raise InputFileError(f"job configuration {str(path)!r} is a directory; pass the job .toml file in it.")
    if not path.is_file():
        raise InputFileError(f"job configuration {str(path)!r} does not exist; check the path.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{str(path)!r} is not valid TOML: {err}. Fix the syntax at that line.") from err
    return validate_config(raw, base_dir=path.resolve().parent, source=str(path))


def validate_config(raw: dict[str, Any], *, base_dir: str | Path = ".", source: str = "<dict>") -> dict[str, Any]:
    """Validate a configuration mapping (the parsed TOML) and normalize it.

    Parameters
    ----------
    raw : dict
        Parsed TOML; not modified.
    base_dir : str or Path
        Directory relative paths are resolved against.
    source : str
        Name used in messages.

    Returns
    -------
    dict
        See :func:`load_config`.

    Raises
    ------
    ConfigError
        Listing every problem with its key path.
    """
    base = Path(base_dir)
    problems: list[str] = []
    cfg: dict[str, Any] = {}
    for key in raw:
        if key not in _SECTIONS:
            problems.append(f"{key}: unknown section; allowed: {sorted(_SECTIONS)}")
    for section, kind in _SECTIONS.items():
        value = raw.get(section, kind())
        if not isinstance(value, kind):
            problems.append(
                f"{section}: must be a {'table [' + section + ']' if kind is dict else 'list [[' + section + ']]'}"
            )
            value = kind()
        entries = [value] if kind is dict else list(value)
        out_entries = []
        for i, entry in enumerate(entries):
            where = section if kind is dict else f"{section}[{i}]"
            if not isinstance(entry, dict):
                problems.append(f"{where}: must be a table")
                continue
            entry = dict(entry)
            for k, v in entry.items():
                allowed = _KEYS[section]
                if k not in allowed:
                    problems.append(f"{where}.{k}: unknown key; allowed: {sorted(allowed)}")
                elif not isinstance(v, allowed[k]) or (isinstance(v, bool) and bool not in allowed[k]):
                    names = " or ".join(t.__name__ for t in allowed[k])
                    problems.append(f"{where}.{k}: must be {names}, got {type(v).__name__} {v!r}")
            present = bool(entry) or section in ("job", "outputs")
            for k in _REQUIRED.get(section, ()):
                if present and k not in entry:
                    problems.append(f"{where}.{k}: required key is missing")
            for k in _PATH_KEYS.get(section, ()):
                if isinstance(entry.get(k), str):
                    p = (base / entry[k]).resolve()
                    if not p.exists():
                        problems.append(f"{where}.{k}: file {str(p)!r} does not exist")
                    entry[k] = str(p)
                elif isinstance(entry.get(k), list):
                    ps = [(base / str(x)).resolve() for x in entry[k]]
                    problems.extend(f"{where}.{k}: file {str(p)!r} does not exist" for p in ps if not p.exists())
                    entry[k] = [str(p) for p in ps]
            out_entries.append(entry)
        cfg[section] = out_entries[0] if kind is dict and out_entries else (out_entries if kind is list else {})
    _check_semantics(cfg, base, problems)
    if problems:
        raise ConfigError(
            f"job configuration {source} has {len(problems)} problem(s):\n  - " + "\n  - ".join(problems)
        )
    cfg["_source"] = source
    return cfg


def _check_semantics(cfg: dict[str, Any], base: Path, problems: list[str]) -> None:
    job = cfg["job"]
    if isinstance(job.get("output_dir"), str):
        job["output_dir"] = str((base / job["output_dir"]).resolve())
    job.setdefault("name", "urbansat-job")
    sched = job.setdefault("scheduler", "auto")
    if isinstance(sched, str) and sched not in SCHEDULERS and "://" not in sched:
        problems.append(f"job.scheduler: {sched!r} is not one of {list(SCHEDULERS)} or tcp://host:port")
    periods = job.get("periods")
    labels: list[str] = []
    if isinstance(periods, dict):
        norm = {}
        for label, span in periods.items():
            ok = isinstance(span, list) and len(span) == 2
            try:
                start, end = (pd.Timestamp(str(s)) for s in span) if ok else (None, None)
                ok = ok and start is not None and end is not None and end > start
            except (ValueError, TypeError):
                ok = False
            if not ok:
                problems.append(f"job.periods.{label}: must be [start, end] dates with end > start, got {span!r}")
            else:
                norm[str(label)] = (str(span[0]), str(span[1]))
        job["periods"] = norm
        labels = list(norm)
    elif isinstance(periods, list):
        labels = [str(p) for p in periods]
        job["periods"] = labels
    if isinstance(periods, (dict, list)) and not periods:
        problems.append("job.periods: give at least one period")
    if not cfg["boundaries"]:
        problems.append("boundaries: at least one [[boundaries]] table is required")
    for i, b in enumerate(cfg["boundaries"]):
        if isinstance(b.get("level"), str) and b["level"] not in BOUNDARY_LEVELS:
            problems.append(f"boundaries[{i}].level: {b['level']!r} is not one of {list(BOUNDARY_LEVELS)}")
    names = []
    for i, g in enumerate(cfg["granules"]):
        names.append(g.get("name"))
        pats = g.get("paths", [])
        pats = [pats] if isinstance(pats, str) else pats
        files: list[str] = []
        for pat in pats:
            full = str(base / str(pat))
            hits = sorted(glob.glob(full, recursive=True))
            if not hits:
                problems.append(f"granules[{i}].paths: {pat!r} matches no file (looked for {full!r})")
            files.extend(str(Path(h).resolve()) for h in hits)
        g["files"] = files
        if g.get("gas") not in (None, "co2", "ch4"):
            problems.append(f"granules[{i}].gas: {g['gas']!r} is not 'co2' or 'ch4'")
        if g.get("qa") not in (None, "recommended", "none"):
            problems.append(f"granules[{i}].qa: {g['qa']!r} is not 'recommended' or 'none'")
        if "bbox" in g and (len(g["bbox"]) != 4 or not all(isinstance(v, (int, float)) for v in g["bbox"])):
            problems.append(f"granules[{i}].bbox: must be [lon_min, lat_min, lon_max, lat_max]")
        if "time" in g:
            try:
                t0, t1 = (pd.Timestamp(str(t)) for t in g["time"])
                if t1 < t0:
                    raise ValueError
            except (ValueError, TypeError):
                problems.append(f"granules[{i}].time: must be [start, end] dates, got {g['time']!r}")
    dup = sorted({n for n in names if names.count(n) > 1 and n is not None})
    if dup:
        problems.append(f"granules: names {dup} are used twice; give each [[granules]] its own name")
    for i, e in enumerate(cfg["emissions"]):
        if isinstance(e.get("granules"), str) and e["granules"] not in names:
            problems.append(f"emissions[{i}].granules: {e['granules']!r} names no [[granules]] (have {names})")
        if isinstance(e.get("method"), str) and e["method"] not in METHODS:
            problems.append(f"emissions[{i}].method: {e['method']!r} is not one of {list(METHODS)}")
        if "sources" not in e and not e.get("boundaries", False):
            problems.append(f"emissions[{i}]: give sources = 'file.csv' and/or boundaries = true")
        w = e.get("wind")
        if isinstance(w, dict):
            if "path" in w:
                p = (base / str(w["path"])).resolve()
                if not p.exists():
                    problems.append(f"emissions[{i}].wind.path: file {str(p)!r} does not exist")
                w = {**w, "path": str(p)}
                if "surface" in w:  # ERA5 model levels: the surface-pressure (-sfc) file
                    ps = (base / str(w["surface"])).resolve()
                    if not ps.exists():
                        problems.append(f"emissions[{i}].wind.surface: file {str(ps)!r} does not exist")
                    w["surface"] = str(ps)
                e["wind"] = w
            elif not {"u", "v"} <= set(w):
                problems.append(f"emissions[{i}].wind: give path = '...' or u = .., v = .. [m s-1]")
        elif isinstance(w, str) and w != "granule":
            problems.append(f"emissions[{i}].wind: {w!r}; use 'granule', {{path = ...}} or {{u, v, sigma}}")
    for i, s in enumerate(cfg["sinks"]):
        s.setdefault("name", f"sinks{i}")
        p = s.get("period", labels[-1] if labels else None)
        if labels and p not in labels:
            problems.append(f"sinks[{i}].period: {p!r} is not among job.periods {labels}")
        s["period"] = p
        if "bbox" in s and (len(s["bbox"]) != 4 or not all(isinstance(v, (int, float)) for v in s["bbox"])):
            problems.append(f"sinks[{i}].bbox: must be [lon_min, lat_min, lon_max, lat_max]")
    for i, v in enumerate(cfg["validation"]):
        if v.get("key", "location") not in ("location", "boundary_id"):
            problems.append(f"validation[{i}].key: {v['key']!r} is not 'location' or 'boundary_id'")
    out = cfg["outputs"]
    fmts = out.setdefault("formats", list(FORMATS))
    if isinstance(fmts, list):
        bad = [f for f in fmts if f not in FORMATS]
        if bad:
            problems.append(f"outputs.formats: unknown {bad}; allowed: {list(FORMATS)}")
    out.setdefault("report", True)
    cfg["concentration"].setdefault("background_buffer_km", 10.0)
    cfg["concentration"].setdefault("background_radius_km", 100.0)
    cfg["concentration"].setdefault("min_overlap", 0.0)
    for gas, bg in cfg["concentration"].get("background", {}).items():
        if gas not in ("co2", "ch4") or not isinstance(bg, list) or len(bg) != 2 or not all(
            isinstance(x, (int, float)) for x in bg
        ):
            problems.append(
                f"concentration.background.{gas}: must be co2|ch4 = [value, sigma] in ppm|ppb, got {bg!r}"
            )
