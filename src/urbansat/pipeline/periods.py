"""Assigning overpasses to a job's periods and combining several overpasses of one period."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr


def _period_of(times: np.ndarray, periods: Mapping[str, Any] | list[str]) -> str | None:
    """Period holding the median time of an overpass (None when outside every period)."""
    t = (
        pd.Timestamp(np.median(times.astype("datetime64[ns]").astype("int64")))
        if times.size
        else None
    )
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


def _split_by_period(
    table: pd.DataFrame, periods: Mapping[str, Any] | list[str]
) -> dict[str, pd.DataFrame]:
    out = {}
    t = pd.to_datetime(table["time"])
    if isinstance(periods, Mapping):
        for label, (start, end) in periods.items():
            out[label] = table[(t >= pd.Timestamp(start)) & (t < pd.Timestamp(end))]
    else:
        for label in periods:
            out[label] = table[t.dt.year.astype(str) == str(label)]
    return out


#: Per-overpass inputs kept on the combined Dataset (dimension ``overpass``) so that the report
#: can draw each source's time series (issue 17); name in the Dataset -> column of the tidy table.
OVERPASS_VARS = {
    "overpass_source": "source",
    "overpass_time": "time",
    "overpass_emission_t_per_yr": "emission_t_per_yr",
    "overpass_emission_t_per_yr_uncertainty": "emission_t_per_yr_uncertainty",
    "overpass_qa_reason": "qa_reason",
    "overpass_longitude": "longitude",
    "overpass_method": "method",
}
_OVERPASS_ATTRS = {
    "overpass_source": {"long_name": "source (or boundary) of the overpass estimate"},
    "overpass_time": {"long_name": "overpass time (UTC)"},
    "overpass_emission_t_per_yr": {
        "long_name": "emission rate estimated from one overpass",
        "units": "t yr-1",
    },
    "overpass_emission_t_per_yr_uncertainty": {
        "long_name": "1-sigma uncertainty of the overpass emission rate",
        "units": "t yr-1",
    },
    "overpass_qa_reason": {"long_name": "why the overpass estimate was rejected (empty: valid)"},
    "overpass_longitude": {"long_name": "longitude of the source", "units": "degrees_east"},
    "overpass_method": {"long_name": "inversion method of the overpass estimate"},
}


def _resolved_profile(parts: list[xr.Dataset], profile: Any) -> Any:
    """Resolve the temporal profile as combine_overpasses does (argument, parts' attrs, flat)."""
    import json

    if profile is not None:
        return profile
    raw = next(
        (p.attrs["temporal_profile"] for p in parts if p.attrs.get("temporal_profile")), None
    )
    return (json.loads(raw) if raw else None) or "flat"


def _combine_overpasses(
    parts: list[xr.Dataset],
    *,
    period: str | None = None,
    periods: Mapping[str, Any] | list[str] | None = None,
    profile: Any = None,
) -> xr.Dataset:
    """Sum each source's overpasses to a period total.

    See :func:`urbansat.temporal.combine.combine_overpasses`. The result also carries the
    overpass estimates it was computed from (:data:`OVERPASS_VARS`, dimension ``overpass``)
    and the profile used (``attrs['temporal_profile']``, JSON), from which
    :func:`period_details` recomputes the per-overpass table for the report.
    """
    import json

    from urbansat.temporal.combine import combine_overpasses
    from urbansat.temporal.totals import _from_datasets

    prof = _resolved_profile(parts, profile)
    out = combine_overpasses(parts, period=period, periods=periods, profile=prof)
    tidy = _from_datasets(parts)
    for name, col in OVERPASS_VARS.items():
        if col not in tidy:
            continue
        values = tidy[col].to_numpy()
        if col == "time":
            values = pd.to_datetime(tidy[col]).to_numpy("datetime64[ns]")
        elif values.dtype == object:
            values = values.astype(str)
        out[name] = ("overpass", values, _OVERPASS_ATTRS[name])
    out.attrs["temporal_profile"] = json.dumps(prof)
    return out


def period_details(
    emissions: Mapping[tuple[str, str], xr.Dataset], periods: Mapping[str, Any] | list[str]
) -> tuple[dict[tuple[str, str], pd.DataFrame], dict[tuple[str, str], pd.DataFrame]]:
    """Period totals and per-overpass tables of a job's combined emission Datasets.

    Parameters
    ----------
    emissions : mapping (period, gas) -> Dataset
        Results of :func:`_combine_overpasses` (``JobResult.emissions``).
    periods : mapping or list
        The job's periods.

    Returns
    -------
    tuple of (dict, dict)
        ``(totals, overpasses)``, both keyed like ``emissions``: the two tables of
        ``urbansat.period_totals(..., details=True)`` for the key's period, computed from the
        same overpass estimates and profile as the combined Dataset (keys without overpass
        estimates are left out).
    """
    import json

    from urbansat.temporal import period_totals

    totals: dict[tuple[str, str], pd.DataFrame] = {}
    over: dict[tuple[str, str], pd.DataFrame] = {}
    for (period, gas), ds in emissions.items():
        if "overpass_source" not in ds or ds.sizes.get("overpass", 0) == 0:
            continue
        tidy = pd.DataFrame(
            {col: ds[name].values for name, col in OVERPASS_VARS.items() if name in ds}
        )
        if ds.attrs.get("gas"):
            tidy["gas"] = str(ds.attrs["gas"])
        span = {period: periods[period]} if isinstance(periods, Mapping) else [period]
        profile = json.loads(ds.attrs.get("temporal_profile") or '"flat"')
        t, o = period_totals(tidy, periods=span, profile=profile, details=True)
        t = t[t["period"] == str(period)]
        if "method" in t:  # one inversion method per overpass here (as combine_overpasses)
            t = t.groupby("source", sort=False).head(1)
        totals[(period, gas)] = t
        over[(period, gas)] = o[o["period"] == str(period)] if len(o) else o
    return totals, over
