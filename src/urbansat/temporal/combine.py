"""Period totals of overpass Datasets as one per-source Dataset (run_job, tci231_indicators)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from urbansat.errors import MixedInputError, SchemaError

__all__ = ["combine_overpasses", "overpasses_by_period"]


def _overpass_time(ds: xr.Dataset, i: int) -> pd.Timestamp:
    """Naive UTC ``attrs['overpass_time']`` of overpass ``i``, refused when missing or bad."""
    from urbansat.temporal.totals import overpass_time

    if "overpass_time" not in ds.attrs:
        raise SchemaError(
            f"overpass Dataset #{i} has no attrs['overpass_time']; set it to the UTC time of "
            "the overpass (estimate_emissions sets it from the granule)."
        )
    return overpass_time(ds.attrs["overpass_time"], f"overpass Dataset #{i}")


def combine_overpasses(
    parts: list[xr.Dataset],
    *,
    period: str | None = None,
    periods: Mapping[str, Any] | list[str] | None = None,
    profile: Any = None,
) -> xr.Dataset:
    """Period total of each source from its overpasses with :func:`urbansat.period_totals`.

    ``period``/``periods`` name the job period the overpasses fell in (default: the
    calendar year of the first overpass); ``profile`` is the temporal profile (name or
    {source: name}), else each part's ``attrs['temporal_profile']`` (JSON), else flat.
    Issue 17: replaces the plain mean u = sqrt(sum u_k^2) / n.
    """
    import json

    from urbansat.constants import KG_S_TO_T_YR
    from urbansat.temporal import period_totals

    if profile is None:
        raw = next(
            (p.attrs["temporal_profile"] for p in parts if p.attrs.get("temporal_profile")), None
        )
        profile = json.loads(raw) if raw else None
    if period is None or periods is None:
        label = str(_overpass_time(parts[0], 0).year)
        span: Any = [label]
    else:
        span = {period: periods[period]} if isinstance(periods, Mapping) else [period]
    label = next(iter(span))
    totals = period_totals(parts, periods=span, profile=profile or "flat")
    totals = totals[totals["period"] == str(label)]
    if "method" in totals:  # one total per source: its overpasses must share a method
        mixed = totals.groupby("source", sort=False)["method"].nunique()
        if (mixed > 1).any():
            src = str(mixed.index[mixed > 1][0])
            methods = sorted(set(totals.loc[totals["source"] == src, "method"]))
            raise MixedInputError(
                f"The overpasses of source {src!r} were estimated with different inversion "
                f"methods ({methods}); a period total combines one method's estimates. "
                "Estimate every overpass with one method, or select one "
                "(ds.sel(inversion_method='csf')) before combining."
            )
    names = list(dict.fromkeys(str(s) for p in parts for s in p["source"].values))
    totals = totals.set_index("source").reindex(names)
    first = {str(s): p for p in reversed(parts) for s in p["source"].values}
    reasons = []
    n_obs = []
    near: list[int] = []  # valid soundings near the source over all overpasses (0: never observed)
    for name in names:
        sel = [p.sel(source=name) for p in parts if name in set(map(str, p["source"].values))]
        good = [
            x
            for x in sel
            if str(x["qa_reason"].values) == "" and np.isfinite(float(x["emission_t_per_yr"]))
        ]
        reasons.append("" if good else "; ".join(sorted({str(x["qa_reason"].values) for x in sel})))
        n_obs.append(int(sum(int(x["n_obs"]) for x in good)) if "n_obs" in parts[0] else 0)
        near.append(
            int(sum(int(x["n_valid_near"]) for x in sel))
            if all("n_valid_near" in x for x in sel)
            else -1  # unknown (older results): never read as "nothing observed"
        )
    e = totals["emission_t_per_yr"].to_numpy(dtype=float)
    u = totals["emission_t_per_yr_uncertainty"].to_numpy(dtype=float)
    t_yr = {"units": "t yr-1"}
    data = {
        "emission": ("source", e / KG_S_TO_T_YR, {"units": "kg s-1"}),
        "emission_uncertainty": ("source", u / KG_S_TO_T_YR, {"units": "kg s-1"}),
        "emission_t_per_yr": ("source", e, t_yr),
        "emission_t_per_yr_uncertainty": ("source", u, t_yr),
        "method": (
            "source",
            np.array(
                [
                    str(first[n]["method"].sel(source=n).values) if "method" in first[n] else ""
                    for n in names
                ]
            ),
        ),
        "qa_reason": ("source", np.array(reasons, dtype=str)),
        "n_obs": ("source", np.array(n_obs), {"units": "1"}),
        "n_valid_near": (
            "source",
            np.array(near, dtype=np.int64),
            {"units": "1", "long_name": "valid soundings near the source, summed over overpasses"},
        ),
        "n_overpasses": (
            "source",
            np.array([sum(n in set(map(str, p["source"].values)) for p in parts) for n in names]),
            {"units": "1"},
        ),
        "period_status": ("source", totals["status"].fillna("no_data").to_numpy().astype(str)),
        "temporal_profile": ("source", totals["profile"].fillna("").to_numpy().astype(str)),
    }
    for term in ("retrieval", "sampling", "profile"):
        data[f"emission_t_per_yr_uncertainty_{term}"] = (
            "source",
            totals[f"uncertainty_{term}"].to_numpy(float),
            t_yr,
        )
    for c in ("months_covered", "n_eff"):
        data[c] = ("source", totals[c].to_numpy(dtype=float), {"units": "1"})
    lon = [float(first[n]["longitude"].sel(source=n)) for n in names]
    lat = [float(first[n]["latitude"].sel(source=n)) for n in names]
    return xr.Dataset(
        data,
        coords={
            "source": np.array(names, dtype=str),
            "longitude": ("source", lon, {"units": "degrees_east"}),
            "latitude": ("source", lat, {"units": "degrees_north"}),
        },
        attrs={
            **{k: v for k, v in parts[0].attrs.items() if k not in ("overpass_time", "granule")},
            "method": f"{parts[0].attrs.get('method', '')}, period_totals of {len(parts)} "
            "overpass(es)",
        },
    )


def overpasses_by_period(
    parts: Sequence[xr.Dataset], periods: Mapping[str, Any] | Sequence[str], *, profile: Any = None
) -> dict[tuple[str, str], xr.Dataset]:
    """Split overpass Datasets (``attrs['overpass_time']``) by period and gas and combine each.

    Parameters
    ----------
    parts : sequence of Dataset
        :func:`urbansat.estimate_emissions` results, one per overpass.
    periods : mapping or sequence
        As for :func:`urbansat.period_totals`.
    profile : optional
        Temporal profile (name or {source: name}).

    Returns
    -------
    dict
        (period, gas) -> per-source Dataset from :func:`combine_overpasses`.
    """
    from urbansat.temporal.totals import _parse_periods

    spans = _parse_periods(periods)
    groups: dict[tuple[str, str], list[xr.Dataset]] = {}
    for i, ds in enumerate(parts):
        t = _overpass_time(ds, i).tz_localize("UTC")
        for label, (start, end) in spans.items():
            if start <= t < end:
                groups.setdefault((label, str(ds.attrs.get("gas", ""))), []).append(ds)
    per = dict(periods) if isinstance(periods, Mapping) else list(periods)
    return {
        k: combine_overpasses(v, period=k[0], periods=per, profile=profile)
        for k, v in groups.items()
    }
