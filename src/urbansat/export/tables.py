"""EDGE: write indicator tables in every format, atomically, with provenance.

Every writer writes to a temporary file in the target directory and renames it
with :func:`os.replace`, so a reader never sees a half-written file and an
interrupted job leaves the previous output intact. Every output records
provenance (:func:`provenance`): urbansat version, inputs with sha256
checksums, options, time and library versions:

* CSV - a ``provenance`` column per row plus a sidecar ``<file>.provenance.json``;
* Parquet - the ``urbansat_provenance`` key of the Arrow schema metadata;
* NetCDF - global attributes (CF-1.10 + ACDD-1.3) incl. ``urbansat_provenance``;
* GeoPackage - a non-spatial ``provenance`` table beside the layers;
* JSON - a top-level ``provenance`` object.

"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import xarray as xr

from urbansat._version import __version__
from urbansat.errors import SchemaError
from urbansat.export.files import atomic_write
from urbansat.export.guard import TABLE_SUFFIXES, check_outputs, provenance_inputs, table_paths
from urbansat.export.provenance import _json
from urbansat.schema.results import require_indicator_table
from urbansat.schema.time import naive_utc
from urbansat.status import Status

__all__ = [
    "netcdf_ready",
    "table_to_dataset",
    "write_csv",
    "write_geopackage",
    "write_json",
    "write_netcdf",
    "write_parquet",
    "write_tables",
]


def netcdf_ready(ds: xr.Dataset) -> xr.Dataset:
    """Return a copy of ``ds`` that netCDF-4 can store and CF/ACDD describe (``cf_ready``).

    Object variables become strings, attributes that are not str/int/float are JSON-encoded,
    and every variable gets its CF attributes; values are unchanged and ``ds`` is not modified.
    """
    from urbansat.export.cf import cf_ready

    return cf_ready(ds)


def _write_text(path: Path, text: str) -> Path:
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _guard(paths: list[Path], prov: Mapping[str, Any]) -> None:
    """Refuse, before writing, outputs that are an input ``prov`` lists or not writable files."""
    check_outputs(paths, provenance_inputs(prov))


def write_csv(df: pd.DataFrame, path: str | Path, *, prov: Mapping[str, Any]) -> Path:
    """Write a table as UTF-8 CSV plus ``<path>.provenance.json``, atomically.

    Neither file may be an input that ``prov`` lists (:class:`~urbansat.errors.OutputPathError`,
    raised before either is written); the same holds for every writer of this module.
    Floats are written in full (the shortest text that reads back to the same double), as
    Parquet and JSON keep them.
    """
    path = Path(path)
    _guard([path, path.with_name(path.name + ".provenance.json")], prov)
    with atomic_write(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")
    _write_text(path.with_name(path.name + ".provenance.json"), _json(prov))
    return path


def write_parquet(df: pd.DataFrame, path: str | Path, *, prov: Mapping[str, Any]) -> Path:
    """Write a table as Parquet with provenance in the schema metadata, atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    _guard([Path(path)], prov)
    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"urbansat_provenance"] = _json(prov).encode("utf-8")
    table = table.replace_schema_metadata(meta)
    with atomic_write(Path(path)) as tmp:
        pq.write_table(table, tmp)
    return Path(path)


def write_json(df: pd.DataFrame, path: str | Path, *, prov: Mapping[str, Any]) -> Path:
    """Write ``{"provenance": ..., "columns": ..., "rows": [...]}`` as UTF-8 JSON, atomically."""
    _guard([Path(path)], prov)
    records = [
        {
            k: (None if (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA else v)
            for k, v in r.items()
        }
        for r in df.astype(object).where(df.notna(), None).to_dict(orient="records")
    ]
    return _write_text(
        Path(path), _json({"provenance": prov, "columns": list(df.columns), "rows": records})
    )


#: Table units -> UDUNITS-2 strings for CF; the table unit is kept in ``units_table``.
_CF_UNITS = {
    "%": "percent",
    "ppm": "1e-6",
    "ppb": "1e-9",
    "ppt": "1e-12",
    "t CO2 yr-1": "t yr-1",
    "t C": "t",
}


def _var_name(key: str, unit: str, multi: bool) -> str:
    name = key.replace(".", "_")
    return f"{name}_{unit.replace(' ', '_')}" if multi else name


#: Fill of a status cell with no row (a boundary that does not tabulate this period/target).
_NO_ROW: Final[int] = -1


def _status_flags(status: np.ndarray, name: str) -> tuple[np.ndarray, dict[str, Any]]:
    """Statuses as a CF flag variable (CF-1.10 section 3.5): int8 codes of :class:`Status`.

    ``flag_values`` 0..n-1 in the order of :class:`urbansat.status.Status`, ``flag_meanings``
    the status names, ``_FillValue`` -1 where the table has no row for the cell. An unknown
    status string is refused (the table was checked; this guards a future status).
    """
    members = list(Status)
    code = {m.value: i for i, m in enumerate(members)}
    flat = status.ravel()
    unknown = sorted({str(v) for v in flat if v and str(v) not in code})
    if unknown:
        raise SchemaError(
            f"{name}: status {unknown} is not one of {[m.value for m in members]} "
            "(urbansat.status.Status)."
        )
    codes = np.array([code[str(v)] if v else _NO_ROW for v in flat], dtype="int8")
    attrs = {
        "long_name": f"status of {name}",
        "flag_values": np.arange(len(members), dtype="int8"),
        "flag_meanings": " ".join(m.value for m in members),
        "comment": "; ".join(f"{m.value}: {m.meaning}" for m in members),
        "_FillValue": np.int8(_NO_ROW),
    }
    return codes.reshape(status.shape), attrs


#: Separator of a change period's label (``"2020->2021"``), see urbansat.indicators.
_CHANGE_SEP = "->"
#: Units of the period time coordinates and their bounds in the netCDF.
_TIME_UNITS = "days since 1970-01-01 00:00:00"
#: A period label of this many digits alone is a calendar year ("2021").
_YEAR_DIGITS = 4
#: Whole years that datetime64[ns] holds (1677-09-21 to 2262-04-11): [start, end)
_NS_RANGE: Final = (pd.Timestamp("1678-01-01"), pd.Timestamp("2262-01-01"))


def _period_spans(
    labels: list[str], periods: Mapping[str, Any] | None
) -> list[tuple[pd.Timestamp, pd.Timestamp]] | None:
    """(start, end) of every period label, or None when any label's dates are unknown.

    A label's dates come from ``periods`` (``{label: (start, end)}``, end exclusive, as the
    job's ``[job] periods``), a bare 4-digit year is that calendar year, and a change label
    ``"A->B"`` spans from the start of ``A`` to the end of ``B``. Nothing is guessed: one
    label without dates leaves the whole time coordinate out.
    """

    def span(label: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        if periods is not None and label in periods and periods[label] is not None:
            start, end = periods[label]
            out = naive_utc(pd.Timestamp(start)), naive_utc(pd.Timestamp(end))
            if not all(_NS_RANGE[0] <= t < _NS_RANGE[1] for t in out):
                raise SchemaError(  # datetime64[ns] wrapped 1500-01-01 round to 2084-07-20
                    f"Period {label!r} runs {out[0]} to {out[1]}, outside the years "
                    f"{_NS_RANGE[0].year}-{_NS_RANGE[1].year - 1} that a CF time coordinate "
                    "holds here; check the period's dates (a typo of the year?)."
                )
            return out
        if (
            label.isdigit()
            and len(label) == _YEAR_DIGITS
            and _NS_RANGE[0].year <= int(label) < _NS_RANGE[1].year
        ):  # a calendar year; "0001" or "1500" is a label, not a year of satellite data
            return pd.Timestamp(f"{label}-01-01"), pd.Timestamp(f"{int(label) + 1}-01-01")
        if _CHANGE_SEP in label:
            a, _, b = label.partition(_CHANGE_SEP)
            sa, sb = span(a.strip()), span(b.strip())
            return (sa[0], sb[1]) if sa is not None and sb is not None else None
        return None

    spans = [span(label) for label in labels]
    return None if any(s is None for s in spans) else [s for s in spans if s is not None]


def _period_time(pdim: str, labels: list[str], periods: Mapping[str, Any] | None) -> dict[str, Any]:
    """CF time coordinate of a period dimension: the period mid-points with their bounds."""
    spans = _period_spans(labels, periods)
    if spans is None:
        return {}
    starts = np.array([s for s, _ in spans], dtype="datetime64[ns]")
    ends = np.array([e for _, e in spans], dtype="datetime64[ns]")
    name = f"{pdim}_time"
    return {
        name: (
            pdim,
            starts + (ends - starts) / 2,
            {
                "standard_name": "time",
                "long_name": f"middle of each {pdim} (bounds: start, end exclusive)",
                "bounds": f"{name}_bounds",
            },
        ),
        f"{name}_bounds": ((pdim, "nv"), np.stack([starts, ends], axis=1), {}),
    }


def table_to_dataset(
    df: pd.DataFrame,
    *,
    prov: Mapping[str, Any] | None = None,
    periods: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Turn a tidy T/CI 231 table into a CF-1.10 / ACDD-1.3 dataset.

    One variable per (indicator quantity, unit) on dims ``(boundary, target,
    period)`` per subject, with ``<var>_uncertainty`` (1-sigma, same units),
    ``<var>_status`` (CF flags), ``<var>_method`` (how the value was computed) and
    ``<var>_note`` (why it is missing, rejected or partial; caveats) as strings;
    ``ancillary_variables`` links them. Each period dimension gets a CF time coordinate
    ``<subject>_period_time`` (mid-points) with ``bounds`` (start, end exclusive) when every
    label's dates are known: from ``periods`` (``{label: (start, end)}``), a 4-digit year, or
    a change label ``"A->B"`` of known periods.
    """
    df = require_indicator_table(df)
    ids = list(dict.fromkeys(df["boundary_id"].astype(str)))
    names = df.drop_duplicates("boundary_id").set_index("boundary_id")
    coords: dict[str, Any] = {
        "boundary": ("boundary", ids),
        "boundary_name": ("boundary", [str(names.loc[b, "name"]) for b in ids]),
        "boundary_level": ("boundary", [str(names.loc[b, "level"]) for b in ids]),
    }
    data_vars: dict[str, Any] = {}
    for subject, sub in df.groupby("subject", sort=False):
        tdim, pdim = f"{subject}_target", f"{subject}_period"
        targets = list(dict.fromkeys(sub["target"].astype(str)))
        labels = list(dict.fromkeys(sub["period"].astype(str)))
        coords[tdim] = (tdim, targets)
        coords[pdim] = (pdim, labels)
        coords.update(_period_time(pdim, labels, periods))
        for key, grp in sub.groupby("indicator", sort=False):
            units = list(dict.fromkeys(grp["unit"].astype(str)))
            for unit in units:
                g = grp[grp["unit"].astype(str) == unit]
                name = f"{subject}_{_var_name(str(key), unit, len(units) > 1)}"
                shape = (len(ids), len(targets), len(labels))
                val = np.full(shape, np.nan)
                unc = np.full(shape, np.nan)
                status = np.full(shape, "", dtype=object)
                method = np.full(shape, "", dtype=object)
                note = np.full(shape, "", dtype=object)
                bi = [ids.index(b) for b in g["boundary_id"].astype(str)]
                ti = [targets.index(t) for t in g["target"].astype(str)]
                pi = [labels.index(p) for p in g["period"].astype(str)]
                val[bi, ti, pi] = g["value"].to_numpy(float)
                unc[bi, ti, pi] = g["uncertainty"].to_numpy(float)
                status[bi, ti, pi] = g["status"].astype(str).to_numpy()
                method[bi, ti, pi] = g["method"].astype(str).to_numpy() if "method" in g else ""
                note[bi, ti, pi] = g["note"].astype(str).to_numpy() if "note" in g else ""
                dims = ("boundary", tdim, pdim)
                cf_unit = _CF_UNITS.get(unit, unit)
                what = {"t CO2 yr-1": " (mass of CO2)", "t C": " (mass of carbon)"}.get(unit, "")
                data_vars[name] = (
                    dims,
                    val,
                    {
                        "long_name": f"T/CI 231 {subject} {key}{what}",
                        "units": cf_unit,
                        "units_table": unit,
                        **({"quantity": what.strip(" ()")} if what else {}),
                        "ancillary_variables": f"{name}_uncertainty {name}_status",
                    },
                )
                data_vars[f"{name}_uncertainty"] = (
                    dims,
                    unc,
                    {
                        "long_name": f"1-sigma uncertainty of {name}",
                        "units": cf_unit,
                        "units_table": unit,
                    },
                )
                data_vars[f"{name}_status"] = (dims, *_status_flags(status, name))
                data_vars[f"{name}_method"] = (
                    dims,
                    method.astype(str),
                    {"long_name": f"method of {name}"},
                )
                data_vars[f"{name}_note"] = (
                    dims,
                    note.astype(str),
                    {"long_name": f"note on {name}: why missing, rejected or partial; caveats"},
                )
                if "n_obs" in g:  # the observations behind each value, as in the other formats
                    n_obs = np.full(shape, -1, dtype=np.int64)
                    n_obs[bi, ti, pi] = pd.to_numeric(g["n_obs"], errors="coerce").fillna(-1)
                    data_vars[f"{name}_n_obs"] = (
                        dims,
                        n_obs,
                        {
                            "long_name": f"number of observations behind {name}",
                            "units": "1",
                            "_FillValue": -1,
                        },
                    )
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    attrs = {
        "Conventions": "CF-1.10, ACDD-1.3",
        "title": "T/CI 231-2023 Table 1 satellite carbon-monitoring indicators",
        "summary": (
            "Urban atmosphere (emission, concentration, change) and urban carbon sink "
            "(total sink, sink change, resource change) indicators per boundary and period, "
            "computed by urbansat from satellite observations."
        ),
        "keywords": "carbon dioxide, methane, emissions, carbon sink, T/CI 231-2023, satellite",
        "keywords_vocabulary": "free text",
        "standard_name_vocabulary": "CF Standard Name Table v93",
        "source": "satellite remote sensing (flux inversion, land-cover change accounting)",
        "references": (
            "T/CI 231-2023 Implementation Guidelines for Urban Carbon Monitoring, Table 1"
        ),
        "product_version": __version__,
        "date_created": now,
        "history": f"{now} created by urbansat {__version__}",
        "creator_name": "urbansat",
        "processing_level": "L4 (indicators)",
    }
    if prov is not None:
        attrs["urbansat_provenance"] = _json(prov)
    from urbansat.export.cf import cf_ready

    ds = cf_ready(xr.Dataset(data_vars, coords=coords, attrs=attrs))
    for name in [str(c) for c in ds.coords if str(c).endswith("_period_time")]:
        for v in (name, f"{name}_bounds"):  # CF: a time and its bounds in the same units
            ds[v].encoding.update(units=_TIME_UNITS, calendar="proleptic_gregorian", dtype="f8")
    return ds


def write_netcdf(
    df: pd.DataFrame,
    path: str | Path,
    *,
    prov: Mapping[str, Any],
    periods: Mapping[str, Any] | None = None,
) -> Path:
    """Write a tidy table as a CF/ACDD NetCDF-4 file (:func:`table_to_dataset`), atomically."""
    _guard([Path(path)], prov)
    ds = table_to_dataset(df, prov=prov, periods=periods)
    enc = {v: {"zlib": True, "complevel": 4} for v in ds.data_vars if ds[v].dtype.kind == "f"}
    with atomic_write(Path(path)) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4", encoding=enc)
    return Path(path)


def write_geopackage(
    df: pd.DataFrame, boundaries: Any, path: str | Path, *, prov: Mapping[str, Any]
) -> Path:
    """Write a GeoPackage of boundaries, indicators and provenance, atomically.

    Layers: ``boundaries``, ``indicators`` (rows joined to their boundary geometry) and a
    non-spatial ``provenance`` table.
    """
    import geopandas as gpd
    import pyogrio

    _guard([Path(path)], prov)
    if not isinstance(boundaries, gpd.GeoDataFrame):
        raise SchemaError(
            "write_geopackage needs the boundaries as a GeoDataFrame to join geometries."
        )
    geo = boundaries[["boundary_id", "geometry"]].assign(
        boundary_id=boundaries["boundary_id"].astype(str)
    )
    rows = df.assign(boundary_id=df["boundary_id"].astype(str))
    rows = rows.assign(n_obs=rows["n_obs"].astype("float64"))
    joined = gpd.GeoDataFrame(
        rows.merge(geo, on="boundary_id", how="left"), geometry="geometry", crs=boundaries.crs
    )
    for frame in (joined, bnd := boundaries.copy()):
        for c in frame.columns:
            if (
                c != "geometry"
                and not pd.api.types.is_numeric_dtype(frame[c])
                and not pd.api.types.is_bool_dtype(frame[c])
            ):
                frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    with atomic_write(Path(path)) as tmp:
        pyogrio.write_dataframe(bnd, tmp, layer="boundaries", driver="GPKG")
        pyogrio.write_dataframe(joined, tmp, layer="indicators", driver="GPKG", append=True)
        meta = pd.DataFrame({"key": ["urbansat_provenance"], "value": [_json(prov)]})
        pyogrio.write_dataframe(meta, tmp, layer="provenance", driver="GPKG", append=True)
    return Path(path)


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    out_dir: str | Path,
    *,
    formats: Iterable[str] = ("csv", "parquet", "netcdf", "gpkg", "json"),
    boundaries: Any = None,
    prov: Mapping[str, Any],
    periods: Mapping[str, Any] | None = None,
) -> dict[str, list[Path]]:
    """Write several tables in several formats; return {table name: [paths]}.

    The indicator table (name ``"indicators"``) goes to every format; other
    tables (validation, wide pivot) to CSV, Parquet and JSON. NetCDF and
    GeoPackage need the tidy indicator layout (and ``boundaries`` for GPKG);
    ``periods`` (``{label: (start, end)}``) gives the netCDF its time bounds.
    """
    out_dir = Path(out_dir)
    formats = list(formats)
    # every path first (guard.table_paths names them as they are written): a name with a
    # dot ("validation.co2") keeps it, and a refused path stops the call before any write
    _guard(table_paths(tables, out_dir, formats), prov)
    writers: dict[str, Callable[..., Path]] = {
        "csv": lambda d, p: write_csv(d, p, prov=prov),
        "parquet": lambda d, p: write_parquet(d, p, prov=prov),
        "json": lambda d, p: write_json(d, p, prov=prov),
        "netcdf": lambda d, p: write_netcdf(d, p, prov=prov, periods=periods),
        "gpkg": lambda d, p: write_geopackage(d, boundaries, p, prov=prov),
    }
    written: dict[str, list[Path]] = {}
    for name, df in tables.items():
        for fmt in formats:
            if name != "indicators" and fmt in ("netcdf", "gpkg"):
                continue
            target = out_dir / f"{name}{TABLE_SUFFIXES[fmt]}"
            written.setdefault(name, []).append(writers[fmt](df, target))
    return written
