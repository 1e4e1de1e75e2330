"""Open satellite greenhouse-gas granules as one normalized, lazy swath.

:func:`open_granules` is the single entry point for every product reader
(OCO-2/OCO-3/ACOS Lite, NIES GOSAT/GOSAT-2 FTS, TROPOMI CH4, SMARTCARB and
plug-ins). :func:`select_target` picks OCO-3 SAM/target soundings of one site.
"""

from __future__ import annotations

import glob
import warnings
from collections.abc import Hashable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
import xarray as xr

from urbansat.errors import (
    DuplicateInputWarning,
    EmptyResultWarning,
    EmptySelectionError,
    InputFileError,
    MissingVariableError,
    MixedInputError,
    SchemaError,
    UnitsError,
    UrbansatError,
    UrbansatWarning,
)
from urbansat.ingest.extents import format_extent, longitude_arc, longitude_bins, longitude_extent
from urbansat.ingest.read_errors import other_product_hint, read_failure
from urbansat.ingest.readers import GranuleReader, get_reader, guess_reader
from urbansat.ingest.units import (
    POSSIBLE_SOUNDING,
    POSSIBLE_UNCERTAINTY,
    check_mole_fraction,
    check_qa_value,
)
from urbansat.schema import check_input_file, gas_variable, validate_granule

__all__ = ["granule_summary", "open_granules", "select_target"]

QA = Literal["recommended", "none"]


def _expand(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    if isinstance(paths, (xr.Dataset, xr.DataArray)):
        raise InputFileError(
            f"open_granules got an already opened xarray.{type(paths).__name__}, not file paths. "
            "Pass the granule path(s) or glob pattern, or use the dataset you already have."
        )
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    out: list[Path] = []
    for p in items:
        s = str(p)
        if Path(s).is_dir():
            from urbansat.ingest.readers.registry import _readers

            readers = list(_readers().values())
            hits = [
                f
                for f in sorted(Path(s).iterdir())
                if f.is_file() and any(r.match_filename(f) for r in readers)
            ]
            if not hits:
                raise InputFileError(
                    f"Directory '{s}' holds no file with a known granule name "
                    f"({', '.join(sorted(r.name for r in readers))}). Pass the files explicitly "
                    "(and product=) if they were renamed."
                )
            out.extend(hits)
        elif any(c in s for c in "*?[") and not Path(s).exists():
            matches = sorted(glob.glob(s))
            if not matches:
                raise InputFileError(
                    f"The pattern '{s}' matches no file. Check the directory and pattern."
                )
            out.extend(Path(h) for h in matches)
        else:
            out.append(Path(p))
    if not out:
        raise InputFileError(
            "No granule file given: pass a path, a list of paths or a glob pattern."
        )
    return out


def _content_hash(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _dedupe(files: list[Path]) -> list[Path]:
    """Drop files listed twice (same content, by sha256) with a warning naming them.

    Counting one granule twice would double its weight in every average and
    inversion. Files of different sizes are never hashed.
    """
    for p in files:
        check_input_file(p, "Granule")  # before any read: a FIFO or device would hang
    by_size: dict[int, list[Path]] = {}
    for p in files:
        by_size.setdefault(p.stat().st_size, []).append(p)
    seen: dict[str, Path] = {}
    dropped: list[tuple[Path, Path]] = []
    keep: list[Path] = []
    for p in files:
        if len(by_size[p.stat().st_size]) == 1:
            keep.append(p)
            continue
        digest = _content_hash(p)
        if digest in seen:
            dropped.append((p, seen[digest]))
        else:
            seen[digest] = p
            keep.append(p)
    if dropped:
        listing = "; ".join(f"'{a}' = '{b}'" for a, b in dropped)
        warnings.warn(
            f"open_granules got the same granule twice (identical content): {listing}. "
            "Each is read once; remove the duplicates from the list to silence this warning.",
            DuplicateInputWarning,
            stacklevel=3,
        )
    return keep


#: Geographic limits in degrees: |latitude| <= 90, longitude in [-180, 180] or [0, 360].
_LAT_MAX = 90.0
_LON_MAX = 180.0
_LON_WRAP = 360.0


def _check_bbox(bbox: Sequence[float] | None) -> tuple[float, float, float, float] | None:
    if bbox is None:
        return None
    try:
        lon0, lat0, lon1, lat1 = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise SchemaError(
            f"bbox={bbox!r} is not (lon_min, lat_min, lon_max, lat_max) in degrees, "
            "e.g. bbox=(148.0, -23.5, 150.0, -22.0)."
        ) from None
    if not (-_LAT_MAX <= lat0 < lat1 <= _LAT_MAX):
        raise SchemaError(
            f"bbox={bbox!r}: latitudes must satisfy -90 <= lat_min < lat_max <= 90 "
            "(order is lon_min, lat_min, lon_max, lat_max)."
        )
    if not (-_LON_MAX <= lon0 <= _LON_WRAP and -_LON_MAX <= lon1 <= _LON_WRAP):
        raise SchemaError(f"bbox={bbox!r}: longitudes must be in degrees within [-180, 360].")
    return lon0, lat0, lon1, lat1


def _check_time(time: Sequence[Any] | None) -> tuple[np.datetime64, np.datetime64] | None:
    if time is None:
        return None
    try:
        start, end = time

        def utc(v: Any) -> pd.Timestamp:  # aware times are converted to UTC; naive ones are UTC
            t = pd.Timestamp(v)
            return t.tz_convert("UTC").tz_localize(None) if t.tzinfo else t

        t0, t1 = utc(start), utc(end)
    except (TypeError, ValueError):
        raise SchemaError(
            f"time={time!r} is not a (start, end) pair of dates, "
            "e.g. time=('2022-07-22', '2022-07-23')."
        ) from None
    if t1 < t0:
        raise SchemaError(f"time={time!r}: end is before start; swap them.")
    # numpy stubs lack the datetime64(datetime64, unit) overload that numpy accepts at runtime.
    return (
        np.datetime64(t0.to_datetime64(), "ns"),  # type: ignore[call-overload]
        np.datetime64(t1.to_datetime64(), "ns"),  # type: ignore[call-overload]
    )


def _inside(
    lat: np.ndarray, lon: np.ndarray, bbox: tuple[float, float, float, float]
) -> np.ndarray:
    lon0, lat0, lon1, lat1 = bbox
    if lon1 - lon0 >= _LON_WRAP:  # e.g. (0, ..., 360, ...): the whole circle, not (0, 0)
        lon0, lon1 = -_LON_MAX, _LON_MAX
    lon0 = ((lon0 + 180) % 360) - 180 if lon0 >= _LON_MAX else lon0
    lon1 = ((lon1 + 180) % 360) - 180 if lon1 > _LON_MAX else lon1
    with np.errstate(invalid="ignore"):
        in_lat = (lat >= lat0) & (lat <= lat1)
        # a box with lon0 > lon1 crosses the antimeridian, e.g. (170, ..., -170, ...)
        in_lon = (lon >= lon0) & (lon <= lon1) if lon0 <= lon1 else (lon >= lon0) | (lon <= lon1)
    return in_lat & in_lon


def _gases_of(reader: GranuleReader, path: Path) -> list[str]:
    if hasattr(reader, "gases_in"):
        return list(reader.gases_in(path))
    return list(reader.gases)


def _reader_options(reader: GranuleReader, path: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Check user ``reader_options`` against the reader's ``open_dataset`` keywords."""
    if not options:
        return {}
    import inspect

    params = inspect.signature(reader.open_dataset).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return options
    reserved = {"path", "variables", "gas", "window", "chunks", "qa"}
    bad = sorted(k for k in options if k not in params or k in reserved)
    if bad:
        valid = sorted(
            k for k, p in params.items() if k not in reserved and p.kind is p.KEYWORD_ONLY
        )
        raise SchemaError(
            f"reader_options {bad} are not accepted by reader {reader.name!r} for '{path}'. "
            f"Its options are {valid or 'none'}; "
            "bbox/time/qa/chunks/variables/gas are open_granules arguments."
        )
    return options


#: Exceptions that h5py / netCDF4 / numpy raise on corrupt bytes (h5py raises RuntimeError and
#: KeyError for bad metadata checksums and object headers), and that a reader raises on a
#: readable file of another layout (a missing or renamed variable, another shape or type).
#: :func:`~urbansat.ingest.read_errors.read_failure` tells the two apart: InputFileError
#: (corrupt) or a layout error.
_FORMAT_ERRORS = (OSError, RuntimeError, KeyError, ValueError, IndexError, TypeError, EOFError)


def _open_one(reader: GranuleReader, path: Path, **kw: Any) -> xr.Dataset:
    """Open one granule; a low-level error becomes an urbansat error (``read_failure``).

    A :class:`MissingVariableError` of the reader gets the product the file's content is,
    when another reader recognises it (a file opened with the wrong ``product=``).
    """
    try:
        return _open_one_raw(reader, path, **kw)
    except MissingVariableError as err:
        hint = other_product_hint(reader.name, path)
        if hint:
            raise MissingVariableError(f"{err} {hint}") from err
        raise
    except UrbansatError:
        raise
    except _FORMAT_ERRORS as err:
        raise read_failure([path], reader.name, err) from err


def _open_one_raw(reader: GranuleReader, path: Path, **kw: Any) -> xr.Dataset:
    """Call ``reader.open_dataset`` with the keywords it supports.

    Plug-in readers only have to implement ``open_dataset(path, *, variables=None)``;
    ``window``, ``chunks``, ``gas`` and ``qa`` are then applied here.
    """
    import inspect

    params = inspect.signature(reader.open_dataset).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return reader.open_dataset(path, **kw)
    window = kw.pop("window", None) if "window" not in params else None
    chunks = kw.pop("chunks", None) if "chunks" not in params else None
    qa = kw.pop("qa", "recommended") if "qa" not in params else None
    kw = {k: v for k, v in kw.items() if k in params}
    ds = reader.open_dataset(path, **kw)
    if window is not None:
        ds = ds.isel(y=window[0], x=window[1])
    if chunks is not None:
        ds = ds.chunk(chunks if isinstance(chunks, dict) else {"y": chunks, "x": -1})
    if qa == "none":
        var = gas_variable(ds.attrs["gas"])
        finite = cast(xr.DataArray, np.isfinite(ds[var]))  # a ufunc on a DataArray returns one
        ds = ds.assign(qa_pass=finite.assign_attrs(screening=f"none (finite {var})"))
        ds.attrs["qa"] = "none"
    return validate_granule(ds)


def _detect(
    files: list[Path], product: str | None, gas: str | None
) -> tuple[list[GranuleReader], str | None]:
    """Find each file's reader and the gas to read; refuse mixed products or gases."""
    readers: list[GranuleReader] = []
    gases: list[list[str]] = []
    for p in files:
        r = get_reader(product) if product else guess_reader(p)
        readers.append(r)
        gases.append(_gases_of(r, p))
    names = {r.name for r in readers}
    if len(names) > 1:
        listing = ", ".join(f"'{p.name}' -> {r.name}" for p, r in zip(files, readers, strict=True))
        raise MixedInputError(
            f"open_granules got files of {len(names)} products ({sorted(names)}): {listing}. "
            "Open each product with its own call and combine the results downstream."
        )
    if gas is None:
        singles = {tuple(g) for g in gases}
        if any(len(g) > 1 for g in gases):
            gas_sel = None
        elif len(singles) > 1:
            listing = ", ".join(f"'{p.name}' -> {g[0]}" for p, g in zip(files, gases, strict=True))
            raise MixedInputError(
                f"open_granules got files of different gases: {listing}. Open one gas per call, "
                "e.g. open_granules(paths, gas='ch4') with the CH4 files only."
            )
        else:
            gas_sel = gases[0][0] if gases and gases[0] else None
    else:
        bad = [(p.name, g) for p, g in zip(files, gases, strict=True) if gas not in g]
        if bad:
            raise MixedInputError(
                f"gas={gas!r} was requested but these files do not carry it: {bad}. "
                "Remove them or request their gas."
            )
        gas_sel = gas
    return readers, gas_sel


def _scan_window(
    reader: GranuleReader,
    path: Path,
    *,
    box: tuple[float, float, float, float] | None,
    trange: tuple[np.datetime64, np.datetime64] | None,
    gas: str | None,
    qa: QA,
    extents: list[str],
) -> tuple[bool, tuple[slice, slice] | None]:
    """Scan a granule's geolocation: whether it has soundings in ``box``/``trange`` and its window.

    Returns ``(True, None)`` when nothing is pruned; appends the granule's extent to ``extents``.
    """
    if box is None and trange is None:
        return True, None
    with warnings.catch_warnings():  # the full open below repeats them
        warnings.simplefilter("ignore")
        scan = _open_one(reader, path, variables=(), gas=gas, chunks=None, qa=qa)
    lat = np.asarray(scan["latitude"].values, dtype="float64")
    lon = np.asarray(scan["longitude"].values, dtype="float64")
    keep = np.isfinite(lat) & np.isfinite(lon)
    west_east = longitude_extent(lon[keep]) if lat.size and keep.any() else None
    if west_east is not None:  # antimeridian-aware: 179.5..-179.5 is 1 degree, not the globe
        lat_range = (float(np.nanmin(lat[keep])), float(np.nanmax(lat[keep])))
        extents.append(f"'{path.name}': {format_extent(west_east, lat_range)}")
    if box is not None:
        keep &= _inside(lat, lon, box)
    if trange is not None:
        t = np.asarray(scan["time"].values).astype("datetime64[ns]")
        t = np.broadcast_to(t, lat.shape) if t.shape != lat.shape else t
        keep &= (t >= trange[0]) & (t <= trange[1])
    if not keep.any():
        return False, None
    rows = np.flatnonzero(keep.any(axis=1))
    cols = np.flatnonzero(keep.any(axis=0))
    return True, (
        slice(int(rows[0]), int(rows[-1]) + 1),
        slice(int(cols[0]), int(cols[-1]) + 1),
    )


def _impossible(x: xr.DataArray) -> xr.DataArray:
    """Finite gas values outside :data:`~urbansat.ingest.units.POSSIBLE_SOUNDING`."""
    lo, hi = POSSIBLE_SOUNDING[str(x.name)]
    return cast("xr.DataArray", np.isfinite(x) & ((x < lo) | (x > hi)))


def _sigma(d: xr.Dataset, var: str) -> xr.DataArray:
    """Return the gas's 1-sigma uncertainty (NaN where a granule has none)."""
    name = f"{var}_uncertainty"
    return d[name] if name in d else xr.full_like(d[var], np.nan)


def _impossible_sigma(u: xr.DataArray, var: str) -> xr.DataArray:
    """Finite uncertainties <= 0 or above :data:`~urbansat.ingest.units.POSSIBLE_UNCERTAINTY`."""
    return cast("xr.DataArray", np.isfinite(u) & ((u <= 0) | (u > POSSIBLE_UNCERTAINTY[var])))


#: Sounding times urbansat accepts (UTC): from 1990, before the first satellite columns of
#: CO2 and CH4 (SCIAMACHY, 2002), to 2100. A time outside is a decoding error (milliseconds
#: stored under a "seconds" unit, a fill value), not a measurement.
PLAUSIBLE_TIME = (np.datetime64("1990-01-01", "ns"), np.datetime64("2100-01-01", "ns"))


def _time_ns(d: xr.Dataset) -> xr.DataArray:
    """Return sounding times as float ns since 1970, NaN for NaT.

    dask's min of a datetime64 array with NaT is NaT, whatever ``skipna`` says.
    """
    t = d["time"]
    return t.astype("int64").astype("float64").where(t.notnull())


def _check_times(src: str, n_no_time: int, t_min: Any, t_max: Any) -> None:
    """Refuse soundings with a position but no time, or times outside :data:`PLAUSIBLE_TIME`."""
    if n_no_time:
        raise SchemaError(
            f"Granule '{src}': {n_no_time} sounding(s) with a position have no time (a fill "
            "value, or a value beyond what datetime64[ns] holds, e.g. milliseconds stored "
            "under a 'seconds since' unit). Download the file again."
        )
    lo, hi = PLAUSIBLE_TIME
    if not np.isfinite(float(t_min)):
        return
    t0, t1 = (np.datetime64(int(float(v)), "ns") for v in (t_min, t_max))
    if t0 < lo or t1 > hi:
        raise SchemaError(
            f"Granule '{src}': sounding times run from {t0} to {t1}, outside {lo} - {hi}: the "
            "time variable's units attribute does not match its values (e.g. milliseconds "
            "under 'seconds since 1970-01-01') or the file is corrupt. Fix the units "
            "attribute or download the file again."
        )


def _without_empty(opened: list[xr.Dataset], var: str) -> list[xr.Dataset]:
    """Drop granules without a sounding (warning which); refuse when none is left."""
    empty = [str(d.attrs["source_files"][0]) for d in opened if d[var].size == 0]
    if empty and len(empty) == len(opened):
        raise InputFileError(
            f"Granule(s) {empty} hold no sounding (a dimension of length 0, e.g. a spatial "
            "subset with nothing inside); choose other granules."
        )
    if empty:
        warnings.warn(
            f"Skipping granule(s) that hold no sounding: {empty}.",
            EmptyResultWarning,
            stacklevel=4,
        )
    return [d for d in opened if d[var].size]


def _check_positions(src: str, lat_max: float, n_lat: int, n_lon: int) -> None:
    """Refuse latitudes beyond 90 and longitudes beyond -180..360 (left unwrapped by readers)."""
    if np.isfinite(lat_max) and lat_max > _LAT_MAX:
        raise SchemaError(
            f"Granule '{src}' has {n_lat} latitude(s) up to |{lat_max:.6g}| degrees, outside "
            "[-90, 90]: the geolocation is corrupt (or latitude and longitude are swapped). "
            "Download the file again; urbansat does not use impossible positions."
        )
    if n_lon:
        raise SchemaError(
            f"Granule '{src}' has {n_lon} longitude(s) outside -180..360 degrees east "
            "(e.g. an undeclared fill value such as -999): the geolocation is corrupt. "
            "Download the file again, or declare the fill value as the variable's "
            "_FillValue; urbansat does not wrap impossible positions onto real ones."
        )


def _screen_sigma(
    d: xr.Dataset,
    var: str,
    bad: xr.DataArray,
    n_bad: int,
    n_qa_finite: int,
    sigma_min: Any,
    sigma_max: Any,
) -> None:
    """Take impossible uncertainties out of QA (warning), or refuse a unit slip (most of them)."""
    src = d.attrs["source_files"][0]
    sname, units, hi = (
        f"{var}_uncertainty",
        d[var].attrs.get("units", ""),
        POSSIBLE_UNCERTAINTY[var],
    )
    span = f"outside 0-{hi:g} {units} (from {float(sigma_min):.6g} to {float(sigma_max):.6g})"
    if 2 * n_bad > n_qa_finite:
        raise UnitsError(
            f"Granule '{src}': {n_bad} of the {n_qa_finite} soundings passing QA have {sname} "
            f"{span}: a units attribute that does not match the values (e.g. '1' on values in "
            f"{units}) or a corrupt variable. Set the variable's units attribute to the unit of "
            "its values, or download the file again."
        )
    d["qa_pass"] = (d["qa_pass"] & ~bad).assign_attrs(d["qa_pass"].attrs)
    warnings.warn(
        f"Granule '{src}': {n_bad} sounding(s) passing QA have {sname} {span}; they are "
        "excluded from QA. If they are fill values, declare the variable's _FillValue; "
        "otherwise the file is corrupt: download it again.",
        UrbansatWarning,
        stacklevel=4,
    )


def _screen(opened: list[xr.Dataset], qa: QA, *, pruned: bool) -> list[xr.Dataset]:
    """Drop all-fill granules and those where no sounding passes QA (warning which).

    One small computation per granule: finite and passing counts and the largest latitude.
    """
    from dask.base import compute

    var = gas_variable(opened[0].attrs["gas"])
    opened = _without_empty(opened, var)
    try:  # the graph too: a gas stored as strings fails while it is built
        impossible = [_impossible(d[var]) for d in opened]
        sigmas = [_sigma(d, var) for d in opened]
        bad_sigma = [_impossible_sigma(u, var) for u in sigmas]
        times = [_time_ns(d) for d in opened]
        counts = compute(  # type: ignore[no-untyped-call]  # dask has no annotations
            *[
                (
                    np.isfinite(d[var]).sum(),
                    d["qa_pass"].sum(),
                    abs(d["latitude"]).max(),
                    (abs(d["latitude"]) > _LAT_MAX).sum(),
                    # readers wrap only [-180, 360] (schema.geo.wrap_position): beyond is corrupt
                    (abs(d["longitude"]) > _LON_MAX).sum(),
                    d[var].where(d["qa_pass"]).mean(),
                    d[var].where(d["qa_pass"] & ~bad).mean(),
                    d["qa_value"].max() if "qa_value" in d else np.nan,
                    bad.sum(),
                    # filled with +-inf, not NaN: a chunk without an impossible value is then
                    # not an all-NaN slice, whose RuntimeWarning numpy raises from dask's
                    # worker threads, outside xarray's suppression (flaky under -W error)
                    d[var].where(bad, np.inf).min(),
                    d[var].where(bad, -np.inf).max(),
                    (bs & d["qa_pass"]).sum(),
                    (np.isfinite(d[var]) & d["qa_pass"]).sum(),
                    sig.where(bs, np.inf).min(),
                    sig.where(bs, -np.inf).max(),
                    (d["time"].isnull() & np.isfinite(d["latitude"])).sum(),
                    tn.min(),
                    tn.max(),
                )
                for d, bad, bs, sig, tn in zip(
                    opened, impossible, bad_sigma, sigmas, times, strict=True
                )
            ]
        )
    except UrbansatError:
        raise
    except _FORMAT_ERRORS as err:  # a chunk read hit corrupt bytes, or another layout
        srcs = [str(d.attrs["source_files"][0]) for d in opened]
        raise read_failure(srcs, str(opened[0].attrs.get("product", "")), err) from err
    lo, hi = POSSIBLE_SOUNDING[var]
    for d, bad, bs, (
        n_fin,
        _,
        lat_max,
        n_lat,
        n_lon,
        mean,
        clean_mean,
        qa_max,
        n_bad,
        bad_min,
        bad_max,
        n_bad_sigma,
        n_qa_finite,
        sigma_min,
        sigma_max,
        n_no_time,
        t_min,
        t_max,
    ) in zip(opened, impossible, bad_sigma, counts, strict=True):
        src = d.attrs["source_files"][0]
        _check_positions(src, float(lat_max), int(n_lat), int(n_lon))
        _check_times(src, int(n_no_time), t_min, t_max)
        check_qa_value(float(qa_max), file=src)
        # most values impossible: a unit slip (the mean check names the unit), not corruption
        check_mole_fraction(
            float(mean if 2 * int(n_bad) > int(n_fin) else clean_mean), file=src, variable=var
        )
        if int(n_bad_sigma):
            _screen_sigma(d, var, bs, int(n_bad_sigma), int(n_qa_finite), sigma_min, sigma_max)
        if int(n_bad):  # a few corrupt or undeclared fill values: out of QA, and said so
            d["qa_pass"] = (d["qa_pass"] & ~bad).assign_attrs(d["qa_pass"].attrs)
            warnings.warn(
                f"Granule '{src}': {int(n_bad)} sounding(s) have {var} outside the physically "
                f"possible {lo:g}-{hi:g} {d[var].attrs.get('units', '')} (from "
                f"{float(bad_min):.6g} to {float(bad_max):.6g}); they are excluded from QA. "
                "If they are fill values, declare the variable's _FillValue; otherwise the file "
                "is corrupt: download it again.",
                UrbansatWarning,
                stacklevel=3,
            )
    good: list[xr.Dataset] = []
    allfill: list[str] = []
    noqa: list[str] = []
    for d, (n_fin, n_pass, *_) in zip(opened, counts, strict=True):
        src = d.attrs["source_files"][0]
        windowed = d.attrs.pop("_windowed")
        if int(n_fin) == 0 and not windowed:
            allfill.append(src)
        elif int(n_pass) == 0:
            noqa.append(src)
        else:
            good.append(d)
    if allfill and len(allfill) == len(opened):
        raise InputFileError(
            f"Granule(s) {allfill} contain no valid {var} value: every value of the gas is the "
            "fill value. The file holds no retrieval (e.g. a night-side or fully cloudy orbit, "
            "or a failed subset); choose other granules."
        )
    if allfill:
        warnings.warn(
            f"Skipping granule(s) whose {var} is all fill: {allfill}.",
            EmptyResultWarning,
            stacklevel=3,
        )
    if noqa:
        warnings.warn(
            "No sounding passes the QA screening "
            f"({opened[0]['qa_pass'].attrs.get('screening', qa)}) "
            f"{'within the bbox/time window ' if pruned else ''}in {noqa}; "
            f"{'they are' if len(noqa) > 1 else 'it is'} left out"
            f"{' and the result is empty' if not good else ''}."
            + (" Use qa='none' to inspect the unscreened values." if qa != "none" else ""),
            EmptyResultWarning,
            stacklevel=3,
        )
    return good


def open_granules(  # noqa: PLR0913 - public API: data first, then keyword-only options
    paths: str | Path | Iterable[str | Path],
    *,
    product: str | None = None,
    gas: Literal["co2", "ch4"] | None = None,
    qa: QA = "recommended",
    bbox: Sequence[float] | None = None,
    time: Sequence[Any] | None = None,
    chunks: Any = "auto",
    variables: Sequence[str] | None = None,
    target: str | None = None,
    reader_options: dict[str, Any] | None = None,
) -> xr.Dataset:
    """Open one or many satellite granules as a single normalized, lazy swath.

    Parameters
    ----------
    paths : str, pathlib.Path, glob pattern, directory or sequence of them
        Granule files (a directory contributes its files whose names follow a
        known product convention). All must be of one product and one gas.
    product : str, optional
        Reader name (see :func:`urbansat.list_readers`); default: detected from
        each file's name, then content.
    gas : {"co2", "ch4"}, optional
        Gas to read; required only for files carrying both.
    qa : {"recommended", "none"}, default "recommended"
        ``"recommended"``: ``qa_pass`` follows the producer's screening (OCO
        ``xco2_quality_flag == 0``, TROPOMI ``qa_value >= 0.5``, GOSAT
        ``totalPostScreeningResult == 0``); granules where nothing passes are
        dropped with an :class:`~urbansat.EmptyResultWarning`. ``"none"``:
        ``qa_pass`` = finite gas value (needed for variable subsets without QA).
        Values are never removed: filter with ``ds.where(ds.qa_pass)``.
    bbox : (lon_min, lat_min, lon_max, lat_max), optional
        Degrees; ``lon_min > lon_max`` means a box across the antimeridian.
        Geolocation is read first; granules with no sounding centre inside are
        skipped and the others are cut to the row/column window that covers the
        box (soundings inside the window but outside the box are kept, so the
        result stays an image: use :func:`urbansat.select_soundings` for an
        exact selection).
    time : (start, end), optional
        Inclusive UTC range (anything :class:`pandas.Timestamp` parses); pruned
        the same way as ``bbox``.
    chunks : "auto", dict, int or None, default "auto"
        Dask chunks on the normalized dims, e.g. ``{"y": 500, "x": -1}``;
        ``None`` returns lazily-indexed numpy (loaded on first arithmetic).
    variables : sequence of str, optional
        Extra normalized variables to read (``None``: all the product offers,
        ``()``: only the gas, its uncertainty, ``qa_pass`` and coordinates).
    target : str, optional
        OCO-3 only: keep the SAM soundings of this site, as
        :func:`select_target` ``(ds, target, mode="sam")``.
    reader_options : dict, optional
        Extra keywords for the reader's ``open_dataset``, e.g.
        ``{"noise_ppm": 0.5, "seed": 0}`` for the SMARTCARB benchmark's
        documented noise. A keyword the reader does not accept is an error.

    Returns
    -------
    xarray.Dataset
        Normalized swath (:mod:`urbansat.schema`): granules concatenated along
        ``y`` in order of start time, with a ``granule`` coordinate on ``y``
        indexing ``attrs["source_files"]``.

    Raises
    ------
    InputFileError
        Missing, truncated or non-netCDF/HDF5 file; a granule whose gas is all fill.
    ProductNotRecognizedError
        No reader recognises a file (the message lists the installed readers).
    MissingVariableError
        A recognised file lacks a required variable or group.
    MixedInputError
        Files of different products or gases in one call.
    EmptySelectionError
        ``bbox``/``time`` select nothing in any granule.

    Warns
    -----
    EmptyResultWarning
        No sounding passes QA (the result then has ``y`` of length 0).

    Examples
    --------
    >>> import tempfile, urbansat
    >>> from urbansat.testing.granules import write_tropomi_ch4
    >>> p = write_tropomi_ch4(tempfile.mkdtemp(), n_scanlines=20, n_pixels=10)
    >>> ds = urbansat.open_granules(p)
    >>> ds.sizes["y"], ds.sizes["x"], ds.xch4.attrs["units"]
    (20, 10, 'ppb')
    """
    if qa not in ("recommended", "none"):
        raise SchemaError(f"qa={qa!r} is not one of 'recommended', 'none'.")
    reader_options = dict(reader_options or {})
    box = _check_bbox(bbox)
    trange = _check_time(time)
    files = _dedupe(_expand(paths))

    # ---- detect products and gases; refuse mixtures
    readers, gas_sel = _detect(files, product, gas)

    # ---- open (with bbox/time pruning from a geolocation scan)
    opened: list[xr.Dataset] = []
    extents: list[str] = []
    for p, r in zip(files, readers, strict=True):
        found, window = _scan_window(
            r, p, box=box, trange=trange, gas=gas_sel, qa=qa, extents=extents
        )
        if not found:
            continue
        ds = _open_one(
            r,
            p,
            variables=_with_target_variables(r, variables, target),
            gas=gas_sel,
            window=window,
            chunks=chunks,
            qa=qa,
            **_reader_options(r, p, reader_options),
        )
        ds.attrs["_windowed"] = window is not None
        opened.append(ds)
    if not opened:
        what = " and ".join(
            x
            for x in (
                f"bbox={tuple(bbox)}" if bbox is not None else "",
                f"time={tuple(time)}" if time is not None else "",
            )
            if x
        )
        raise EmptySelectionError(
            f"{what} selects no sounding in the {len(files)} granule(s) given. Their extents: "
            f"{'; '.join(extents) or 'no valid geolocation'}. Check the box order "
            "(lon_min, lat_min, lon_max, lat_max) and the time range."
        )

    # ---- all-fill and QA checks (one small computation per granule)
    good = _screen(opened, qa, pruned=box is not None or trange is not None)
    if not good:
        empty = opened[0].isel(y=slice(0, 0))
        empty = empty.assign_coords(granule=("y", np.zeros(0, dtype="int32"), {"units": "1"}))
        empty.attrs["source_files"] = [str(f) for f in files]
        return validate_granule(empty)

    _refuse_repeated_soundings(good)
    out = _concat(good)
    if chunks == "auto" and len(good) > 1:  # widened granules: keep whole rows in one block
        out = out.chunk({"x": -1})
    if target is not None:
        out = select_target(out, target, mode="sam")
    return validate_granule(out)


#: OCO-3 Lite variables :func:`select_target` reads (``open_granules(target=)``).
_TARGET_VARIABLES = ("target_name", "target_id", "operation_mode")


def _with_target_variables(
    reader: GranuleReader, variables: Sequence[str] | None, target: str | None
) -> Sequence[str] | None:
    """Add the target variables to ``variables=`` when ``target=`` selects OCO-3 soundings.

    ``select_target`` needs them; a ``variables=`` list without them used to drop them, and
    the call failed saying the OCO-3 file lacked them. Other products are left as asked:
    ``select_target`` then says that only OCO-3 Lite granules carry targets.
    """
    if target is None or variables is None or isinstance(variables, str):
        return variables
    if reader.name != "oco3_l2_lite":
        return variables
    return [*variables, *(v for v in _TARGET_VARIABLES if v not in variables)]


#: Position resolution of the repeated-sounding key [degrees]: 1e-5 (about 1 m), far below any
#: footprint, above the float32 rounding of a coordinate (6e-6 at 180 degrees).
_KEY_DEG = 1e-5


def _sounding_keys(d: xr.Dataset) -> np.ndarray:
    """Return one int64 row per sounding with a position: its id, else time and position."""
    lat = np.asarray(d["latitude"].values, "float64")
    lon = np.asarray(d["longitude"].values, "float64")
    t = np.asarray(d["time"].values).astype("datetime64[ns]").astype("int64")
    t = np.broadcast_to(t if t.shape == lat.shape else t.reshape(-1, 1), lat.shape)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if "sounding_id" in d:
        ids: np.ndarray = np.asarray(d["sounding_id"].values)[ok].astype("int64")
        return ids.reshape(-1, 1)
    rows: np.ndarray = np.column_stack(
        [t[ok], np.round(lat[ok] / _KEY_DEG), np.round(lon[ok] / _KEY_DEG)]
    ).astype("int64")
    return rows


def _refuse_repeated_soundings(good: list[xr.Dataset]) -> None:
    """Refuse soundings that two granules share, or that one 1-D granule holds twice.

    Byte-identical files are read once (:func:`_dedupe`); a re-delivered file, or a full
    orbit beside its subset, differs in bytes yet holds the same soundings, which would
    count twice in every average (a false sqrt(2) gain in precision). Soundings are the same
    when their ``sounding_id`` is (OCO, ACOS), else their time and position (1e-5 degrees).
    Only granules whose time ranges overlap are compared; within one granule only the
    single-column products (GOSAT FTS exposures) are checked: image products hold each
    (scanline, pixel) once by layout and the OCO reader refuses repeated ids itself.

    Raises
    ------
    MixedInputError
        Two granules share soundings (names both and the count).
    SchemaError
        One granule lists soundings twice.
    """
    src = [str(d.attrs["source_files"][0]) for d in good]
    spans = []
    for d in good:
        t = np.asarray(d["time"].values).astype("datetime64[ns]")
        t = t[~np.isnat(t)]
        spans.append((t.min(), t.max()) if t.size else None)
    unique: dict[int, tuple[int, np.ndarray]] = {}

    def key(i: int) -> tuple[int, np.ndarray]:
        """Return (number of soundings, their distinct keys) of granule ``i``, once."""
        if i not in unique:
            k = _sounding_keys(good[i])
            unique[i] = (len(k), np.unique(k, axis=0))
        return unique[i]

    for i, d in enumerate(good):
        if d.sizes.get("x", 0) == 1:
            n, distinct = key(i)
            if n > len(distinct):
                raise SchemaError(
                    f"Granule '{src[i]}' lists {n - len(distinct)} sounding(s) twice (the same "
                    "time and position): the file was concatenated with itself or with an "
                    "overlapping file. Use the original product file."
                )
    for i in range(len(good)):
        for j in range(i + 1, len(good)):
            a, b = spans[i], spans[j]
            if a is None or b is None or a[1] < b[0] or b[1] < a[0]:
                continue
            both = np.concatenate([key(i)[1], key(j)[1]])
            shared = len(both) - len(np.unique(both, axis=0))
            if shared:
                raise MixedInputError(
                    f"Granules '{src[i]}' and '{src[j]}' share {shared} sounding(s) (the same "
                    "sounding_id, or time and position): one is a re-delivery or a subset of "
                    "the other, and reading both would count those soundings twice. Pass "
                    "only one of them."
                )


def _pad_fill(dtype: np.dtype) -> Any:
    if dtype.kind == "b":
        return False
    if np.issubdtype(dtype, np.unsignedinteger):
        return np.iinfo(dtype).max
    if np.issubdtype(dtype, np.integer):
        return -1
    if dtype.kind in "OSU":
        return ""
    if dtype.kind == "M":
        return np.datetime64("NaT")
    return np.nan


def _harmonize(dss: list[xr.Dataset]) -> list[xr.Dataset]:
    """Give every granule the same variables and ``x`` width before concatenation.

    Narrower granules are extended along ``x`` and variables a granule lacks
    (e.g. v1 TROPOMI has no wind, a variable subset has no kernel) are added,
    both with the dtype's fill (:func:`_pad_fill`) as lazy dask blocks: cheaper
    than xarray's outer-join reindexing, and flags keep their integer dtype.
    """
    import dask.array as dsa

    nx = max(d.sizes["x"] for d in dss)
    sizes: dict[Hashable, int] = {}
    template: dict[Hashable, xr.Variable] = {}
    for d in dss:
        for name, v in d.variables.items():
            template.setdefault(name, v)
        for dim, n in d.sizes.items():
            sizes.setdefault(dim, n)
    sizes["x"] = nx
    coord_names = {c for d in dss for c in d.coords}
    out = []
    for d in dss:
        ny = d.sizes["y"]
        ychunks = next(
            (
                v.chunks[v.dims.index("y")]
                for v in d.variables.values()
                if v.chunks is not None and "y" in v.dims
            ),
            (ny,),
        )
        variables: dict[Hashable, xr.Variable] = {}
        for name, t in template.items():
            if "y" not in t.dims and name in d.variables:
                variables[name] = d.variables[name]
                continue
            fill = _pad_fill(t.dtype)
            if name in d.variables:
                v = d.variables[name]
                if "x" in v.dims and v.sizes["x"] < nx:
                    ax = v.dims.index("x")
                    shape = list(v.shape)
                    shape[ax] = nx - v.sizes["x"]
                    data = v.data
                    if isinstance(data, dsa.Array):
                        chunks = list(data.chunks)
                        chunks[ax] = (shape[ax],)
                        # dask.array has no annotations
                        block = dsa.full(  # type: ignore[no-untyped-call]
                            shape, fill, dtype=v.dtype, chunks=tuple(chunks)
                        )
                        data = dsa.concatenate([data, block], axis=ax)  # type: ignore[no-untyped-call]
                    else:
                        data = np.concatenate(
                            [np.asarray(data), np.full(shape, fill, dtype=v.dtype)], axis=ax
                        )
                    v = xr.Variable(v.dims, data, attrs=v.attrs)
                variables[name] = v
            else:
                full_shape = tuple(ny if dim == "y" else sizes[dim] for dim in t.dims)
                full_chunks = tuple(ychunks if dim == "y" else (sizes[dim],) for dim in t.dims)
                # dask.array has no annotations
                data = dsa.full(  # type: ignore[no-untyped-call]
                    full_shape, fill, dtype=t.dtype, chunks=full_chunks
                )
                variables[name] = xr.Variable(t.dims, data, attrs=t.attrs)
        ds = xr.Dataset({k: v for k, v in variables.items() if k not in coord_names}, attrs=d.attrs)
        out.append(ds.assign_coords({k: v for k, v in variables.items() if k in coord_names}))
    return out


def _concat(dss: list[xr.Dataset]) -> xr.Dataset:
    """Concatenate normalized granules along ``y`` in start-time order."""
    from dask.base import compute

    # dask has no annotations
    starts = compute(*[d["time"].min(skipna=True) for d in dss])  # type: ignore[no-untyped-call]
    order = np.argsort(
        np.array([np.datetime64(s.values if hasattr(s, "values") else s, "ns") for s in starts]),
        kind="stable",
    )
    dss = [dss[i] for i in order]
    sources = [d.attrs["source_files"][0] for d in dss]
    dss_h = _harmonize(dss) if len(dss) > 1 else dss
    parts = []
    for i, d in enumerate(dss_h):
        parts.append(
            d.assign_coords(
                granule=(
                    "y",
                    np.full(d.sizes["y"], i, dtype="int32"),
                    {"long_name": "index into attrs['source_files']", "units": "1"},
                )
            )
        )
    if len(parts) == 1:
        out = parts[0]
    else:
        out = xr.concat(
            parts,
            dim="y",
            data_vars="all",
            coords="minimal",
            compat="override",
            join="override",
            combine_attrs="drop_conflicts",
        )
        out["qa_pass"] = (
            out["qa_pass"].fillna(False).astype(bool)
            if out["qa_pass"].dtype != bool
            else out["qa_pass"]
        )
    attrs = dict(dss[0].attrs)
    attrs["source_files"] = sources
    versions = sorted({str(d.attrs.get("product_version")) for d in dss})
    attrs["product_version"] = versions[0] if len(versions) == 1 else ", ".join(versions)
    for k in ("orbit", "time_coverage_start", "time_coverage_end", "id", "layout"):
        vals = [str(d.attrs[k]) for d in dss if k in d.attrs]
        if len(set(vals)) > 1:
            attrs[k] = ", ".join(vals)
    out.attrs = attrs
    return out


def select_target(
    ds: xr.Dataset,
    target: str,
    *,
    mode: Literal["sam", "target", "any"] = "sam",
) -> xr.Dataset:
    """Keep the OCO-3 soundings of one SAM/target site.

    Parameters
    ----------
    ds : xarray.Dataset
        Normalized OCO-3 swath with ``target_id``, ``target_name`` and
        ``operation_mode`` (from :func:`open_granules`).
    target : str
        Site name (``Sounding/target_name``, e.g. ``"fossil_Los_Angeles_USA"``)
        or id (``"fossil0005"``), as in the OCO-3 target list.
    mode : {"sam", "target", "any"}, default "sam"
        Operation mode required: 4 (SAM), 2 (target) or any.

    Returns
    -------
    xarray.Dataset
        Rows holding at least one matching sounding; non-matching positions are
        masked (gas NaN, ``qa_pass`` False). Computes the (small) string match.

    Raises
    ------
    SchemaError
        If ``ds`` has no target variables (not OCO-3 Lite).
    EmptySelectionError
        If no sounding matches; the message lists the targets present.
    """
    if not isinstance(ds, xr.Dataset):
        raise SchemaError(
            f"select_target needs an opened granule (xarray.Dataset); got {type(ds).__name__} "
            f"{str(ds)[:120]!r}. Open it first: "
            "ds = urbansat.open_granules(path, product='oco3_l2_lite')."
        )
    if mode not in ("sam", "target", "any"):
        raise SchemaError(
            f"mode={mode!r} is not one of 'sam', 'target', 'any' (lower case); e.g. mode='sam'."
        )
    need = [v for v in ("target_name", "target_id", "operation_mode") if v not in ds]
    if need:
        raise SchemaError(
            f"select_target needs {need}, which only OCO-3 Lite granules carry; dataset from "
            f"{ds.attrs.get('source_files', '<memory>')} (product {ds.attrs.get('product')}) "
            "lacks them."
        )
    names = np.asarray(ds["target_name"].values).astype(str)
    ids = np.asarray(ds["target_id"].values).astype(str)
    match = (names == target) | (ids == target)
    opmode = np.asarray(ds["operation_mode"].values)
    if mode != "any":
        match &= opmode == {"sam": 4, "target": 2}[mode]
    if not match.any():
        present = sorted(set(names[names != ""].ravel().tolist()))[:20]
        raise EmptySelectionError(
            f"No {mode if mode != 'any' else ''} sounding of target {target!r} in "
            f"{ds.attrs.get('source_files', '<memory>')}. Targets present: {present or 'none'}. "
            "Names follow the OCO-3 target list, e.g. 'fossil_Los_Angeles_USA'."
        )
    rows = np.flatnonzero(match.any(axis=1))
    sub = ds.isel(y=slice(int(rows[0]), int(rows[-1]) + 1))
    m = xr.DataArray(match[rows[0] : rows[-1] + 1], dims=("y", "x"))
    var = gas_variable(sub.attrs["gas"])
    sub = sub.assign(
        {
            var: sub[var].where(m),
            f"{var}_uncertainty": sub[f"{var}_uncertainty"].where(m),
            "qa_pass": sub["qa_pass"] & m,
        }
    )
    sub[var].attrs.update(ds[var].attrs)
    sub[f"{var}_uncertainty"].attrs.update(ds[f"{var}_uncertainty"].attrs)
    sub.attrs = {**ds.attrs, "target": target, "target_mode": mode}
    return sub


def granule_summary(ds: xr.Dataset) -> dict[str, Any]:
    """Summarize a normalized swath: product, version, time range, soundings, QA rate, bbox.

    Computes small reductions (counts, min/max).

    Returns
    -------
    dict
        Keys ``product``, ``product_version``, ``gas``, ``files``, ``time_start``,
        ``time_end``, ``soundings`` (finite gas), ``qa_pass``, ``qa_pass_rate``,
        ``bbox`` (lon_min, lat_min, lon_max, lat_max) or None. The longitudes are the
        smallest interval holding every sounding (antimeridian-aware): a swath across the
        antimeridian has ``lon_min > lon_max`` (e.g. ``(179.9, ..., -179.9, ...)``), as
        ``open_granules(bbox=)`` takes it.
    """
    from dask.base import compute

    var = gas_variable(ds.attrs["gas"])
    base = {
        "product": ds.attrs.get("product"),
        "product_version": ds.attrs.get("product_version"),
        "gas": ds.attrs.get("gas"),
        "files": list(ds.attrs.get("source_files", [])),
    }
    if ds[var].size == 0:
        return {
            **base,
            "time_start": None,
            "time_end": None,
            "soundings": 0,
            "qa_pass": 0,
            "qa_pass_rate": 0.0,
            "bbox": None,
        }
    fin = np.isfinite(ds[var])
    lat = ds["latitude"].where(fin)
    lon = ds["longitude"].where(fin)
    n, npass, t0, t1, b, d, lon_bins = compute(  # type: ignore[no-untyped-call]  # dask has no annotations
        fin.sum(),
        ds["qa_pass"].sum(),
        ds["time"].min(skipna=True),
        ds["time"].max(skipna=True),
        lat.min(),
        lat.max(),
        # the smallest interval holding every longitude: across 180 E when the soundings
        # lie closer together that way (lon_min > lon_max), as open_granules(bbox=) takes it
        longitude_bins(lon.data),
    )
    n, npass = int(n), int(npass)
    west_east = longitude_arc(np.asarray(lon_bins)) if n else None
    # rounded outward to 1e-4 degrees: a box copied from the summary keeps the edge soundings
    bbox = (
        None
        if west_east is None
        else tuple(
            round(float(fn(float(v) * 1e4)) / 1e4, 4)
            for fn, v in (
                (np.floor, west_east[0]),
                (np.floor, b),
                (np.ceil, west_east[1]),
                (np.ceil, d),
            )
        )
    )
    return {
        **base,
        "time_start": str(np.datetime64(t0.values, "s")),
        "time_end": str(np.datetime64(t1.values, "s")),
        "soundings": n,
        "qa_pass": npass,
        "qa_pass_rate": (npass / n) if n else 0.0,
        "bbox": bbox,
    }
