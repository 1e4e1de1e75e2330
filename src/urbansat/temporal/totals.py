"""Period totals from sparse overpass estimates: profile correction, robust fit, budget.

See :func:`period_totals` and ``docs/period_totals.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import xarray as xr

from urbansat.constants import MASS_ATMOSPHERE, SECONDS_PER_YEAR
from urbansat.errors import EmptySelectionError, SchemaError, UnusedInputWarning, UrbansatWarning
from urbansat.schema.columns import numeric_column
from urbansat.schema.flags import require_flag
from urbansat.schema.geo import LONGITUDE_RULE, longitude_ok, wrap_longitude
from urbansat.schema.periods import check_period_order, dated_label_span
from urbansat.schema.results import require_emission_result
from urbansat.schema.time import naive_utc
from urbansat.temporal.budget import (
    TIMING_SIGMA_H,
    TIMING_SIGMA_ZONE_H,
    factor_rel_var,
    period_shares,
    timing_rel_var,
)
from urbansat.temporal.estimator import N_BASIS, basis, fit_groups
from urbansat.temporal.profiles import TemporalProfile, get_profile, local_calendar

__all__ = [
    "MAX_ESTIMATE_T_PER_YR",
    "MIN_MONTHS",
    "MIN_OVERPASSES",
    "SEASONAL_MIN_MONTHS",
    "SEASONAL_MIN_OVERPASSES",
    "period_totals",
]

#: Fewer accepted overpasses than this gives status ``partial`` (issue 17's threshold).
MIN_OVERPASSES: Final = 6
#: Fewer distinct local months than this (or than the period has) gives ``partial``.
MIN_MONTHS: Final = 4
#: The seasonal curve is fitted only with at least this many overpasses ...
SEASONAL_MIN_OVERPASSES: Final = 10
#: ... in at least this many distinct months, for periods of at least 180 days.
SEASONAL_MIN_MONTHS: Final = 6
#: Floor of the prior unexplained day-to-day variability tau_0 (relative).
TAU0_FLOOR: Final = 0.05
#: ... and the period is at least this many days long.
SEASONAL_MIN_DAYS: Final = 180
_NS_H: Final = 3_600_000_000_000

#: Largest overpass estimate or 1-sigma taken [t yr-1]: the whole atmosphere's mass each
#: second (1.6e23 t yr-1). Far above any source, so that the robust fit still sees (and
#: down-weights) outliers of 1e7 times a source; 1e300 overflowed the fit (LinAlgError).
MAX_ESTIMATE_T_PER_YR: Final = MASS_ATMOSPHERE / 1e3 * SECONDS_PER_YEAR

#: Largest spread of one source's longitudes across its rows [degrees]: 0.5 degree is two
#: minutes of solar time, far below the hourly resolution of the temporal profiles.
LONGITUDE_SPREAD_MAX: Final = 0.5

ProfileArg = str | TemporalProfile | pd.DataFrame | Mapping[str, Any] | None


def _source_longitudes(table: pd.DataFrame, idc: str) -> pd.Series:
    """One longitude per source, wrapped to [-180, 180) [degrees east]; NaN where none is given.

    Both conventions (-180..180 and 0..360) give the same solar time. Refused with
    ``SchemaError``: a boolean column, text that is not a number, a value outside
    -180..360, and one source whose rows disagree by more than ``LONGITUDE_SPREAD_MAX``.
    """
    col = table["longitude"]
    if pd.api.types.is_bool_dtype(col):
        raise SchemaError(
            "column 'longitude' holds True/False; give each source's longitude in degrees east."
        )
    lon = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    given = col.notna().to_numpy() & (col.astype(str).str.strip() != "").to_numpy()
    for mask, why in (
        (given & np.isnan(lon), "is not a number"),
        (~np.isnan(lon) & ~longitude_ok(lon), f"is outside {LONGITUDE_RULE}"),
    ):
        if mask.any():
            row = int(np.flatnonzero(mask)[0])
            shown = repr(col.iloc[row]) if np.isnan(lon[row]) else f"{lon[row]:g}"
            raise SchemaError(
                f"longitude {shown} in row {row} ({idc}={table[idc].iloc[row]!r}) "
                f"{why}; give the source's longitude in degrees east, or leave it blank."
            )
    wrapped = pd.Series(wrap_longitude(lon), index=table.index)
    first = wrapped.groupby(table["_id"]).transform("first")
    spread = np.abs(wrap_longitude(wrapped - first))
    if (spread > LONGITUDE_SPREAD_MAX).any():
        row = int(np.flatnonzero((spread > LONGITUDE_SPREAD_MAX).to_numpy())[0])
        raise SchemaError(
            f"source {table['_id'].iloc[row]!r} has longitude {lon[row]:g} in row {row} but "
            f"{float(first.iloc[row]):g} (wrapped) in its first row: one source has one position "
            f"(rows may differ by at most {LONGITUDE_SPREAD_MAX} degree). Fix the longitudes "
            "or give the rows different source names."
        )
    return wrapped.groupby(table["_id"]).first()


def _checked_zone(tz: Any, source: str) -> str | None:
    """``tz`` if it is None or an IANA zone name, else ``SchemaError`` naming the fix."""
    if tz is None:
        return None
    if isinstance(tz, str):
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return tz
    raise SchemaError(
        f"timezone {tz!r} (source {str(source)!r}) is not an IANA time-zone name; give e.g. "
        "'Europe/Berlin' or 'Asia/Shanghai', or None for solar time from the longitude."
    )


#: the span of datetime64[ns], which the overpass times are held in
_NS_MIN = pd.Timestamp("1678-01-01", tz="UTC")
_NS_MAX = pd.Timestamp("2262-01-01", tz="UTC")


def _parse_periods(periods: Any) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    if isinstance(periods, (str, int)) and not isinstance(periods, bool):
        periods = [str(periods)]
    if not isinstance(periods, Iterable):
        raise SchemaError(
            f"periods={periods!r} is not a period label or a list / mapping of them; give e.g. "
            "periods=['2015'] or {'2015': ('2015-01-01', '2016-01-01')}."
        )
    items = periods.items() if isinstance(periods, Mapping) else ((p, None) for p in periods)
    out: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = {}
    for raw, span in items:
        label = str(raw)
        if label in out:
            raise SchemaError(
                f"period {label!r} is given twice in periods; each label once (two totals of "
                "the same period would be counted twice downstream)."
            )
        start, end = _label_span(label, span)
        if not (start >= _NS_MIN and end <= _NS_MAX):  # the overpass times are ns datetimes
            raise SchemaError(
                f"period {label!r} ({start.date()} to {end.date()}) lies outside the years "
                "1678-2261 that nanosecond timestamps hold (a comparison with the overpass "
                "times gave pandas' OverflowError); check the label."
            )
        if end <= start:
            raise SchemaError(f"period {label!r} ends ({end}) at or before its start ({start}).")
        out[label] = (start, end)
    if not out:
        raise SchemaError("periods is empty; give at least one, e.g. periods=['2015'].")
    check_period_order([(k, naive_utc(a), naive_utc(b)) for k, (a, b) in out.items()])
    return out


def _label_span(label: str, span: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, end) [UTC] of one period: its given span, or the dates its label names."""
    if span is not None:
        try:
            start, end = (_utc(pd.Timestamp(s)) for s in span)
        except (TypeError, ValueError) as err:
            raise SchemaError(
                f"period {label!r} = {span!r} is not a (start, end) pair of dates ({err}); "
                f"give e.g. {{'{label}': ('2020-01-01', '2021-01-01')}}, end exclusive."
            ) from err
        return start, end
    dated = dated_label_span(label)
    if dated is None:
        raise SchemaError(
            f"period label {label!r} has no dates; use 'YYYY', 'YYYY-Qn', 'YYYY-MM' or give "
            f"{{'{label}': (start, end)}}."
        )
    return _utc(dated[0]), _utc(dated[1])


def _utc(t: pd.Timestamp) -> pd.Timestamp:
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def overpass_time(value: Any, what: str) -> pd.Timestamp:
    """``attrs['overpass_time']`` as a naive UTC Timestamp; refused when it is not a time.

    Raises
    ------
    SchemaError
        Text that is not a time, NaT, or a time outside the years 1678-2261 (pandas'
        DateParseError, a TypeError or an overflow before).
    """
    t: Any
    try:
        t = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError) as err:
        t, why = None, f" ({err})"
    else:
        why = ""
    if t is None or pd.isna(t) or not (_NS_MIN <= _utc(t) < _NS_MAX):
        raise SchemaError(
            f"{what} has attrs['overpass_time'] = {value!r}, which is not a UTC time of the "
            f"years 1678-2261{why}; set it to the overpass, e.g. '2020-07-04T05:21:00Z'."
        )
    return naive_utc(t)


def _from_datasets(data: xr.Dataset | Sequence[xr.Dataset]) -> pd.DataFrame:
    parts = [data] if isinstance(data, xr.Dataset) else list(data)
    frames = []
    for i, ds in enumerate(parts):
        require_emission_result(ds, f"estimates Dataset #{i}")
        if "time" in ds.variables:
            t = np.broadcast_to(np.asarray(ds["time"].values), (ds.sizes.get("source", 1),))
        elif "overpass_time" in ds.attrs:
            t = np.repeat(
                np.datetime64(overpass_time(ds.attrs["overpass_time"], f"estimates Dataset #{i}")),
                ds.sizes.get("source", 1),
            )
        else:
            raise SchemaError(
                f"estimates Dataset #{i} has no 'time' variable and no attrs['overpass_time']; set "
                "ds.attrs['overpass_time'] = '<UTC time of the overpass>' for each overpass."
            )
        cols = {
            "source": np.asarray(ds["source"].values).astype(str),
            "time": t,
            "emission_t_per_yr": np.asarray(ds["emission_t_per_yr"].values, dtype=float),
            "emission_t_per_yr_uncertainty": np.asarray(
                ds["emission_t_per_yr_uncertainty"].values, dtype=float
            ),
        }
        for opt in ("qa_reason", "longitude", "method"):
            if opt in ds.variables:
                cols[opt] = np.asarray(ds[opt].values)
        if "gas" in ds.attrs:
            cols["gas"] = np.repeat(str(ds.attrs["gas"]), len(cols["source"]))
        if "method" not in cols and "method" in ds.attrs:  # a one-method result
            cols["method"] = np.repeat(str(ds.attrs["method"]), len(cols["source"]))
        frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _qa_reasons(table: pd.DataFrame) -> np.ndarray:
    """Return the ``qa_reason`` column as stripped text, '' for a valid estimate (blank).

    Anything else than text or a blank is refused: False or 0 ("no problem") read as the
    text "False"/"0" rejected every estimate, silently.
    """
    if "qa_reason" not in table:
        return np.full(len(table), "")
    col = table["qa_reason"]
    blank = col.isna().to_numpy()
    odd = np.array([not (b or isinstance(v, str)) for v, b in zip(col, blank, strict=True)])
    if odd.any():
        row = int(np.flatnonzero(odd)[0])
        raise SchemaError(
            f"column 'qa_reason' holds {col.iloc[row]!s} in row {row}; it is text: empty (or "
            "blank) for a valid estimate, the reason for a rejected one. Replace "
            "False/0 by ''."
        )
    return np.array([("" if b else str(v).strip()) for v, b in zip(col, blank, strict=True)])


def _blank(col: pd.Series) -> np.ndarray:
    """Return the rows of ``col`` that are missing or only whitespace."""
    out: np.ndarray = col.isna().to_numpy() | (col.astype(str).str.strip() == "").to_numpy()
    return out


def _times_utc(col: pd.Series) -> np.ndarray:
    """UTC ns of a time column; naive times are UTC, aware times are converted; no NaT.

    Times outside 1678-2261 are refused: converted to nanoseconds they wrapped round by
    584.5 years (a typo "2600-01-20" became a 2015 overpass).
    """
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        t = col.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(col):
        t = col.dt.tz_localize("UTC")
    else:
        try:
            t = pd.to_datetime(col, utc=True)
        except (TypeError, ValueError, OverflowError) as err:
            raise SchemaError(
                f"column 'time' cannot be read as times ({err}); give UTC datetimes (naive = UTC) "
                "or timezone-aware timestamps."
            ) from err
    nat = t.isna().to_numpy()
    if nat.any():
        raise SchemaError(
            f"column 'time' is missing (NaT) in {int(nat.sum())} row(s), first row "
            f"{int(np.flatnonzero(nat)[0])}; every overpass estimate needs its UTC time: fill it "
            "or drop the row."
        )
    far = ((t < _NS_MIN) | (t >= _NS_MAX)).to_numpy()
    if far.any():
        row = int(np.flatnonzero(far)[0])
        raise SchemaError(
            f"column 'time' holds {col.iloc[row]!r} in row {row} ({int(far.sum())} such row(s)), "
            "outside the years 1678-2261 that nanosecond times hold; fix the date (a typo?)."
        )
    dt: np.ndarray = t.dt.tz_localize(None).dt.as_unit("ns").to_numpy()
    return dt.astype(np.int64)


def _resolve_profiles(
    ids: np.ndarray, profile: ProfileArg, profile_table: Any, table: pd.DataFrame
) -> dict[str, TemporalProfile]:
    user: dict[str, TemporalProfile] | None = None
    if profile_table is not None:
        from urbansat.temporal.profiles import _profiles_from_frame, read_profile_table

        user = (
            _profiles_from_frame(profile_table, what="profile_table")
            if isinstance(profile_table, pd.DataFrame)
            else read_profile_table(profile_table)
        )
    out: dict[str, TemporalProfile] = {}
    col = _profile_column(table) if "profile" in table else None
    per = (
        _per_source(profile, ids, "profile", required=True)
        if isinstance(profile, Mapping)
        else None
    )
    for i in ids:
        if per is not None:
            p = per[i]
        elif profile is None:
            p = col[i] if col is not None else "flat"
        else:
            p = profile
        out[i] = get_profile(p, table=user)
    return out


def _per_source(
    mapping: Mapping[Any, Any], ids: np.ndarray, name: str, *, required: bool = False
) -> dict[str, Any]:
    """Return ``{source: value}`` of a per-source argument, its keys read as source names.

    Keys are matched as text (the sources are: ``{1: ...}`` names source ``'1'``); ``'*'``
    gives every source without a key of its own. Two keys with one text (``1`` and ``'1'``)
    are refused, and with ``required`` a source that has neither a key nor ``'*'``; a key
    that no source has warns (a misspelt name would be ignored).
    """
    keyed: dict[str, Any] = {}
    for k, v in mapping.items():
        text = str(k)
        if text in keyed:
            raise SchemaError(
                f"{name} mapping names source {text!r} twice (keys {k!r} and another with the "
                "same text); give each source once."
            )
        keyed[text] = v
    names = {str(i) for i in ids}
    missing = sorted(names - set(keyed))
    if required and missing and "*" not in keyed:
        raise SchemaError(
            f"{name} mapping has no entry for source(s) {missing[:5]} (keys: "
            f"{sorted(keyed)[:8]}); add them or a default, e.g. {name}={{..., '*': 'flat'}}."
        )
    unused = sorted(set(keyed) - names - {"*"})
    if unused:
        warnings.warn(
            f"{name} mapping names source(s) {unused[:5]} that no estimate has (sources: "
            f"{sorted(names)[:5]}); check the names.",
            UnusedInputWarning,
            stacklevel=4,
        )
    default = keyed.get("*")
    return {i: keyed.get(i, default) for i in names if i in keyed or "*" in keyed}


def _profile_column(table: pd.DataFrame) -> pd.Series:
    """One profile name per source from the ``profile`` column; rows that disagree refused."""
    names = table["profile"].where(~pd.Series(_blank(table["profile"]), index=table.index))
    n = names.groupby(table["_id"]).nunique()
    if (n > 1).any():
        src = str(n.index[n > 1][0])
        found = sorted(set(names[table["_id"] == src].dropna().astype(str)))
        raise SchemaError(
            f"source {src!r} names the profiles {found} in its rows' 'profile' column; one "
            "source has one temporal profile. Fix the column or pass profile=."
        )
    return names.groupby(table["_id"]).first().fillna("flat")


def period_totals(  # noqa: PLR0912, PLR0915 - one sequence: check, profile, joint fit, table
    estimates: pd.DataFrame | xr.Dataset | Sequence[xr.Dataset],
    *,
    periods: Any,
    profile: ProfileArg = None,
    profile_table: pd.DataFrame | str | None = None,
    timezone: str | Mapping[str, str] | None = None,
    seasonal: bool | None = None,
    details: bool = False,
) -> Any:
    """Emission mean and total per (source, period) from sparse overpass estimates.

    Each overpass estimate ``y_k`` (1-sigma ``s_k``) is divided by the temporal-profile
    factor ``f_k`` at its local time (``f`` normalised to mean 1 over the period's hours),
    and the corrected values are combined with the robust Student-t model of
    :mod:`urbansat.temporal.estimator` (scale from the model, not from each estimate; a
    seasonal curve with a smoothness prior when the period is sampled well enough).

    Parameters
    ----------
    estimates : DataFrame, Dataset or sequence of Datasets
        Tidy table with ``source`` (or ``boundary_id``), ``time`` (UTC; naive = UTC),
        ``emission_t_per_yr``, ``emission_t_per_yr_uncertainty`` (1 sigma) and optionally
        ``qa_reason`` (non-empty = rejected, counted), ``gas``, ``method``, ``longitude``
        (local solar time), ``profile``; or :func:`urbansat.estimate_emissions` results
        (one per overpass, with a ``time`` variable or ``attrs['overpass_time']``).
    periods : mapping or sequence
        ``{label: (start, end)}`` (end exclusive) or labels ``'YYYY'``, ``'YYYY-Qn'``,
        ``'YYYY-MM'``.
    profile : str, TemporalProfile, DataFrame or mapping, optional
        One profile for all sources, or ``{source: profile}`` (key ``'*'`` = default; a
        source with neither is an error, a key no source has warns). None: the table's
        ``profile`` column, else ``flat``. Names: :func:`list_profiles`.
    profile_table : DataFrame or path, optional
        User profiles (profile-table layout), referenced by name in ``profile``.
    timezone : str or mapping, optional
        IANA time zone (civil local time, the time the profiles are given in) for all or per
        source; default solar time from ``longitude``. A named zone also narrows the timing
        term of the budget from 0.87 h (zone offset and daylight saving unknown) to the
        hour bin's 0.29 h (:mod:`urbansat.temporal.budget`).
    seasonal : bool, optional
        Force the seasonal curve on or off; None = automatic (>= 10 overpasses in >= 6
        months over >= 180 days).
    details : bool
        Also return the per-overpass table (corrected values, factors, weights).

    Returns
    -------
    DataFrame or (DataFrame, DataFrame)
        One row per (source, period[, gas, method]): ``emission_t_per_yr`` (period mean),
        ``emission_t_per_yr_uncertainty`` (1 sigma, combined), ``uncertainty_retrieval``,
        ``uncertainty_sampling``, ``uncertainty_profile`` (t yr-1; the quadrature sum of
        ``uncertainty_profile_factors`` and ``uncertainty_profile_timing``, see
        :mod:`urbansat.temporal.budget`), ``total_t`` and
        ``total_t_uncertainty`` (t over the period), ``n_overpasses``, ``n_rejected``,
        ``months_covered``, ``n_eff``, ``status`` (``ok``, ``partial``, ``no_data``),
        ``profile``, ``estimator``. Units in ``attrs['units']``.

    Raises
    ------
    SchemaError
        Missing columns, no rows, a row without its source, unreadable, mixed or missing
        (NaT) times, an infinite estimate, negative/NaN sigma of a valid estimate,
        duplicated (source, time) rows, a longitude that is not a number, outside -180..360
        or differing between one source's rows by more than ``LONGITUDE_SPREAD_MAX``, no
        longitude for a non-flat profile, a ``timezone`` that is not an IANA zone name,
        periods that are not labels (or repeat one, or name a month outside 01-12), a
        profile mapping without an entry or ``'*'`` for a source.
    EmptySelectionError
        No row lies in any period.
    FactorError
        Unknown profile name (the message lists the names), a profile that is not a name,
        profile, DataFrame or path, or an invalid user profile.
    """
    details = require_flag("details", details)
    seasonal = None if seasonal is None else require_flag("seasonal", seasonal)
    table = estimates.copy() if isinstance(estimates, pd.DataFrame) else _from_datasets(estimates)
    idc = "boundary_id" if "boundary_id" in table and "source" not in table else "source"
    need = [idc, "time", "emission_t_per_yr", "emission_t_per_yr_uncertainty"]
    miss = [c for c in need if c not in table]
    if miss:
        raise SchemaError(
            f"estimates lack column(s) {miss}; need source (or boundary_id), time, "
            f"emission_t_per_yr, emission_t_per_yr_uncertainty. Found {list(table.columns)}."
        )
    if not len(table):
        raise SchemaError(
            "estimates has no rows; give one row per source and overpass (or the "
            "estimate_emissions results of the overpasses)."
        )
    no_id = _blank(table[idc])
    if no_id.any():
        raise SchemaError(
            f"column {idc!r} is empty in {int(no_id.sum())} row(s), first row "
            f"{int(np.flatnonzero(no_id)[0])}; every estimate needs the name of its {idc}."
        )
    table["_id"] = table[idc].astype(str)
    keys = ["_id"] + [c for c in ("gas", "method") if c in table]
    for c in keys[1:]:  # a row with no gas or method would fall out of every group
        blank = _blank(table[c])
        if blank.any():
            row = int(np.flatnonzero(blank)[0])
            raise SchemaError(
                f"column {c!r} is empty in {int(blank.sum())} row(s), first row {row} "
                f"({idc}={table[idc].iloc[row]!r}); "
                f"fill it (every estimate is totalled with the others of its {c}) or drop "
                f"the column when all rows share one {c}."
            )
    if "gas" in keys:  # 'CO2' and 'co2' rows of one source are one group (as everywhere)
        table["gas"] = table["gas"].astype(str).str.strip().str.lower()
    t_ns = _times_utc(table["time"])
    y = numeric_column(table, "emission_t_per_yr", "estimates", "t yr-1")
    s = numeric_column(table, "emission_t_per_yr_uncertainty", "estimates", "a 1-sigma in t yr-1")
    qa = _qa_reasons(table)
    if np.isinf(y).any():
        row = int(np.flatnonzero(np.isinf(y))[0])
        raise SchemaError(
            f"emission_t_per_yr is infinite in row {row} ({idc}={table[idc].iloc[row]!r}); "
            "an overpass estimate must be finite: fix it, or set qa_reason (and NaN) to reject it."
        )
    ok = (qa == "") & np.isfinite(y)
    for values, name in ((y, "emission_t_per_yr"), (s, "emission_t_per_yr_uncertainty")):
        huge = ok & (np.abs(np.nan_to_num(values)) > MAX_ESTIMATE_T_PER_YR)
        if huge.any():  # 1e300 reached the estimator as an overflow (LinAlgError)
            row = int(np.flatnonzero(huge)[0])
            raise SchemaError(
                f"{name} is {values[row]:g} t yr-1 in row {row} ({idc}={table[idc].iloc[row]!r}), "
                f"above {MAX_ESTIMATE_T_PER_YR:.3g} t yr-1, the atmosphere's whole mass each "
                "second: corrupt or a unit slip. Fix it, or set qa_reason to reject it."
            )
    silent = (qa == "") & ~ok
    if silent.any():
        warnings.warn(
            f"{int(silent.sum())} estimate(s) are NaN without a qa_reason (first row "
            f"{int(np.flatnonzero(silent)[0])}); they are counted as rejected (n_rejected). Set "
            "qa_reason to say why, or drop the rows.",
            UrbansatWarning,
            stacklevel=2,
        )
    lon = _source_longitudes(table, idc) if "longitude" in table else None
    bad = ok & ~(np.isfinite(s) & (s >= 0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise SchemaError(
            "emission_t_per_yr_uncertainty must be a finite 1-sigma >= 0 for every valid estimate; "
            f"row {row} ({idc}={table[idc].iloc[row]!r}, time={table['time'].iloc[row]}) has "
            f"{s[row]!r}. "
            "Fix the sigma or set qa_reason for that row."
        )
    dup = (
        pd.DataFrame({"k": table["_id"], "t": t_ns})
        .assign(**{c: table[c].astype(str) for c in keys[1:]})
        .duplicated(keep=False)
        .to_numpy()
    )
    if dup.any():
        first = table.loc[dup, [idc, "time"]].head(3).to_dict("records")
        raise SchemaError(
            f"{int(dup.sum())} rows share (source, time), e.g. {first}; one estimate per source "
            "and "
            "overpass: average duplicates or keep one before calling period_totals."
        )
    per = _parse_periods(periods)
    ids = np.array(sorted(table["_id"].unique()))
    profs = _resolve_profiles(ids, profile, profile_table, table)
    # local-time offset per source: named zone or solar time from longitude
    tzs: dict[str, str | None] = {}
    zones = _per_source(timezone, ids, "timezone") if isinstance(timezone, Mapping) else None
    for i in ids:
        tz = zones.get(i) if zones is not None else timezone
        tzs[i] = _checked_zone(tz, i)
        if tz is None and (lon is None or not np.isfinite(float(lon[i]))) and not profs[i].is_flat:
            raise SchemaError(
                f"source {i!r} has no longitude for its local time (profile {profs[i].name!r}); "
                "add "
                "a 'longitude' column or pass timezone='Europe/Berlin' (or {source: zone})."
            )

    def offsets(i: str, t: np.ndarray) -> np.ndarray:
        tz = tzs[i]
        if tz is not None:
            ut = pd.DatetimeIndex(t.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(tz)
            return np.asarray(
                ut.tz_localize(None).asi8 - ut.tz_convert("UTC").tz_localize(None).asi8
            )
        if lon is None or not np.isfinite(float(lon[i])):
            return np.zeros(t.shape, dtype=np.int64)
        return np.full(t.shape, round(float(lon[i]) / 15.0 * _NS_H), dtype=np.int64)

    rows: list[dict[str, Any]] = []
    over: list[pd.DataFrame] = []
    curves: dict[str, list[float]] = {}
    id_codes = pd.Categorical(table["_id"], categories=ids).codes
    in_any = np.zeros(len(table), dtype=bool)
    grp = table.groupby(keys, sort=True).indices
    fit_rows: list[dict[str, Any]] = []
    for label, (start, end) in per.items():
        t0, t1 = start.value, end.value
        inside = (t_ns >= t0) & (t_ns < t1)
        in_any |= inside
        grid = np.arange(t0, t1, _NS_H) + _NS_H // 2
        phase_grid = (grid - t0) / (t1 - t0)
        bgrid = basis(phase_grid)
        ndays = (t1 - t0) / (24 * _NS_H)
        for key, raw_idx in grp.items():
            idx = np.asarray(raw_idx)
            sel = idx[inside[idx]]
            i = str(key[0] if isinstance(key, tuple) else key)
            p = profs[i]
            rec: dict[str, Any] = {idc: i, "period": label}
            if isinstance(key, tuple):
                rec.update(dict(zip(keys[1:], key[1:], strict=True)))
            acc = sel[ok[sel]]
            rec.update(
                n_overpasses=int(acc.size),
                n_rejected=int(sel.size - acc.size),
                profile=p.name,
                period_start=start,
                period_end=end,
                period_years=(t1 - t0) / (365.25 * 24 * _NS_H),
            )
            # profile over the period's hours (normalisation, basis integrals, prior variability)
            hh, dd, mm = local_calendar(grid, offsets(i, grid))
            fh = p.hour[hh] * p.weekday[dd] * p.month[mm - 1]
            norm = fh.mean()
            fh = fh / norm
            dkey = (grid - t0) // (24 * _NS_H)
            daily = np.bincount(dkey, weights=fh) / np.maximum(np.bincount(dkey), 1)
            tau0 = max(float(daily.std() / daily.mean()), TAU0_FLOOR)
            rec["_g"] = (fh[:, None] * bgrid).mean(axis=0)
            rec["_tau0"] = tau0
            if acc.size:
                local = t_ns[acc] + offsets(i, t_ns[acc])
                rec["_local"], rec["_c"] = local, period_shares(p, (hh, dd, mm), fh)
                h, d, m = local_calendar(local, np.zeros(1, dtype=np.int64))
                f = p.hour[h] * p.weekday[d] * p.month[m - 1] / norm
                if not (f > 0).all():
                    k = int(np.flatnonzero(~(f > 0))[0])
                    raise SchemaError(
                        f"profile {p.name!r} of source {i!r} is {f[k]:g} at the overpass of "
                        f"{pd.Timestamp(t_ns[acc][k], tz='UTC')} (local hour {int(h[k])}, "
                        f"weekday {int(d[k])} (Monday = 0), month {int(m[k])}): it says the "
                        "source does not emit then, so that estimate cannot be scaled to the "
                        "period mean (y / f). Set qa_reason for that overpass, or give the "
                        "profile a factor above 0 there."
                    )
                months = np.unique(m).size
                period_months = len(
                    pd.period_range(
                        start.tz_localize(None),
                        end.tz_localize(None) - pd.Timedelta(1, "ns"),
                        freq="M",
                    )
                )
                rec["months_covered"] = int(months)
                rec["_acc"], rec["_f"], rec["_cal"] = acc, f, (h, d, m)
                rec["_phase"] = (t_ns[acc] - t0) / (t1 - t0)
                rec["_day"] = ((t_ns[acc] - t0) // (24 * _NS_H)).astype(np.int64)
                rec["_seasonal"] = (
                    bool(seasonal)
                    if seasonal is not None
                    else (
                        acc.size >= SEASONAL_MIN_OVERPASSES
                        and months >= SEASONAL_MIN_MONTHS
                        and ndays >= SEASONAL_MIN_DAYS
                    )
                )
                rec["status"] = (
                    "partial"
                    if acc.size < MIN_OVERPASSES or months < min(MIN_MONTHS, period_months)
                    else "ok"
                )
                fit_rows.append(rec)
            else:
                rec.update(months_covered=0, status="no_data")
            rows.append(rec)
    if not in_any.any():
        lo, hi = pd.Timestamp(t_ns.min()), pd.Timestamp(t_ns.max())
        raise EmptySelectionError(
            f"no estimate lies in any period: times {lo} .. {hi} (UTC), periods "
            f"{ {k: (str(a), str(b)) for k, (a, b) in per.items()} }; fix periods= or the times."
        )
    if fit_rows:
        gid = np.concatenate([np.full(r["_acc"].size, j) for j, r in enumerate(fit_rows)])
        acc_all = np.concatenate([r["_acc"] for r in fit_rows])
        f_all = np.concatenate([r["_f"] for r in fit_rows])
        x = y[acc_all] / f_all
        # relative error of each estimate, at most 1: an estimate within 1 sigma of zero
        # says only that its relative error is 1 or more, and the floor s~ below carries
        # such sources (uncapped, six zeros among twelve 1000 +- 300 gave r_bar = 1e6 and a
        # period sigma of 1.7e8 t/yr; five gave 103)
        y_acc, s_acc = np.abs(y[acc_all]), s[acc_all]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(y_acc > s_acc, s_acc / y_acc, 1.0)
        r_rel = np.array(pd.Series(ratio).groupby(gid).median().to_numpy(), dtype=float)
        s_floor = pd.Series(s[acc_all] / f_all).groupby(gid).median().to_numpy(dtype=float)
        fit = fit_groups(
            gid,
            x,
            basis(np.concatenate([r["_phase"] for r in fit_rows])),
            np.concatenate([r["_day"] for r in fit_rows]),
            r_rel=r_rel,
            tau0=np.array([r["_tau0"] for r in fit_rows]),
            seasonal=np.array([r["_seasonal"] for r in fit_rows]),
            g=np.stack([r["_g"] for r in fit_rows]),
            sigma_floor=s_floor,
        )
        for j, r in enumerate(fit_rows):
            sl = gid == j
            w = fit.weights[sl]
            p = profs[r[idc]]
            # profile terms (temporal/budget.py): factor amplitudes (W_j - c_j) and timing
            u_fac = np.sqrt(factor_rel_var(p, r["_cal"], w, r["_c"]))
            # a named zone fixes civil time and daylight saving: only the hour bin is left
            sig_t = TIMING_SIGMA_H if tzs[r[idc]] is None else TIMING_SIGMA_ZONE_H
            u_time = np.sqrt(timing_rel_var(p, r["_local"], w, sigma_h=sig_t))
            mean = float(fit.mean[j])
            r.update(
                emission_t_per_yr=mean,
                uncertainty_retrieval=float(np.sqrt(fit.var_retrieval[j])),
                uncertainty_sampling=float(np.sqrt(fit.var_sampling[j])),
                uncertainty_profile=abs(mean) * float(np.hypot(u_fac, u_time)),
                uncertainty_profile_factors=abs(mean) * float(u_fac),
                uncertainty_profile_timing=abs(mean) * float(u_time),
                n_eff=float(fit.n_eff[j]),
                tau=float(fit.tau[j]),
                estimator="t_seasonal" if r["_seasonal"] else "t_mean",
            )
            curves[f"{r[idc]}|{r['period']}"] = [float(v) for v in fit.theta[j]]
            if details:
                a = r["_acc"]
                over.append(
                    pd.DataFrame(
                        {
                            idc: r[idc],
                            "period": r["period"],
                            "time": pd.to_datetime(t_ns[a], utc=True),
                            "emission_t_per_yr": y[a],
                            "emission_t_per_yr_uncertainty": s[a],
                            "factor": r["_f"],
                            "corrected_t_per_yr": y[a] / r["_f"],
                            "corrected_uncertainty_t_per_yr": s[a] / r["_f"],
                            "weight": w,
                            "phase": r["_phase"],
                            "fitted_t_per_yr": basis(r["_phase"])
                            @ (
                                fit.theta[j]
                                if r["_seasonal"]
                                else np.r_[fit.theta[j][0], np.zeros(N_BASIS - 1)]
                            ),
                        }
                    )
                )
    out = pd.DataFrame(rows).drop(
        columns=[
            c
            for c in (
                "_acc",
                "_f",
                "_cal",
                "_phase",
                "_day",
                "_seasonal",
                "_g",
                "_tau0",
                "_local",
                "_c",
            )
            if any(c in r for r in rows)
        ],
        errors="ignore",
    )
    for c in (
        "emission_t_per_yr",
        "uncertainty_retrieval",
        "uncertainty_sampling",
        "uncertainty_profile",
        "uncertainty_profile_factors",
        "uncertainty_profile_timing",
        "n_eff",
        "tau",
    ):
        if c not in out:
            out[c] = np.nan
    out["estimator"] = out.get("estimator", pd.Series(index=out.index, dtype=object)).fillna("none")
    out["emission_t_per_yr_uncertainty"] = np.sqrt(
        out["uncertainty_retrieval"] ** 2
        + out["uncertainty_sampling"] ** 2
        + out["uncertainty_profile"] ** 2
    )
    out["total_t"] = out["emission_t_per_yr"] * out["period_years"]
    out["total_t_uncertainty"] = out["emission_t_per_yr_uncertainty"] * out["period_years"]
    lead = [
        idc,
        "period",
        *keys[1:],
        "emission_t_per_yr",
        "emission_t_per_yr_uncertainty",
        "uncertainty_retrieval",
        "uncertainty_sampling",
        "uncertainty_profile",
        "uncertainty_profile_factors",
        "uncertainty_profile_timing",
        "total_t",
        "total_t_uncertainty",
        "n_overpasses",
        "n_rejected",
        "months_covered",
        "n_eff",
        "tau",
        "status",
        "profile",
        "estimator",
        "period_start",
        "period_end",
        "period_years",
    ]
    out = out[lead].reset_index(drop=True)
    out.attrs["units"] = {
        "emission_t_per_yr": "t yr-1",
        "emission_t_per_yr_uncertainty": "t yr-1",
        "uncertainty_retrieval": "t yr-1",
        "uncertainty_sampling": "t yr-1",
        "uncertainty_profile": "t yr-1",
        "uncertainty_profile_factors": "t yr-1",
        "uncertainty_profile_timing": "t yr-1",
        "total_t": "t",
        "total_t_uncertainty": "t",
        "n_eff": "1",
        "tau": "1",
        "period_years": "yr",
    }
    out.attrs["n_outside_periods"] = int((~in_any).sum())
    out.attrs["seasonal_curves"] = curves
    _ = id_codes
    if details:
        ov = pd.concat(over, ignore_index=True) if over else pd.DataFrame()
        return out, ov
    return out
