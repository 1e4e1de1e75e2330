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


def _combine_overpasses(
    parts: list[xr.Dataset],
    *,
    period: str | None = None,
    periods: Mapping[str, Any] | list[str] | None = None,
    profile: Any = None,
) -> xr.Dataset:
    """Sum each source's overpasses to a period total.

    See :func:`urbansat.temporal.combine.combine_overpasses`.
    """
    from urbansat.temporal.combine import combine_overpasses

    return combine_overpasses(parts, period=period, periods=periods, profile=profile)
