"""Assigning overpasses to a job's periods and combining several overpasses of one period."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr


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


