r"""PURE: compare satellite emission estimates with bottom-up inventories.

Per matched item (a source, or a boundary) with estimate :math:`E \pm u_E`
and inventory :math:`I \pm u_I` (1-sigma; :math:`u_I = 0` when the inventory
gives none):

.. math::

    d = E - I, \quad r_d = d / I, \quad R = E / I, \quad
    u_R = |R| \sqrt{(u_E/E)^2 + (u_I/I)^2}, \quad
    \text{within\_2sigma} = |I - E| \le 2 u_E

Overall (items with both numbers): bias :math:`\bar d`, relative bias
:math:`\sum d / \sum I`, RMSE :math:`\sqrt{\overline{d^2}}`, Pearson
correlation (n >= 3), mean ratio with its standard error
:math:`s_R/\sqrt n`, and the fraction of items within 2 sigma.

Matching by location (``key="location"``): every inventory point source whose
great-circle distance to the estimated source is at most ``max_distance_km``
is summed (plants are often split into units). Matching by boundary
(``key="boundary_id"``): inventory sectors are summed per boundary, gas and
period and compared with the ``total_emission.emission_rate`` rows of a
T/CI 231 indicator table.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
from scipy.spatial import cKDTree

from urbansat.constants import R_EARTH
from urbansat.errors import (
    EmptySelectionError,
    SchemaError,
    SuspectValueWarning,
    UrbansatDeprecationWarning,
)
from urbansat.schema.geo import LONGITUDE_RULE, latitude_ok, longitude_ok
from urbansat.schema.results import require_emission_result

__all__ = ["VALIDATION_COLUMNS", "validate", "validate_inventory"]

#: Correlation needs at least this many matched items to be reported.
MIN_ITEMS_CORRELATION = 3

VALIDATION_COLUMNS = (
    "scope",
    "key",
    "gas",
    "period",
    "estimate",
    "estimate_uncertainty",
    "inventory",
    "inventory_uncertainty",
    "n_matched",
    "matched_ids",
    "distance_km",
    "difference",
    "relative_difference",
    "ratio",
    "ratio_uncertainty",
    "within_2sigma",
    "rmse",
    "correlation",
    "n",
    "unit",
)


def _numbers(df: pd.DataFrame, column: str, table: str) -> np.ndarray:
    """``df[column]`` as float; True/False and text that is not a number are refused.

    Blank cells stay NaN (a missing value); ``table`` ("estimates" or "inventory") names the
    table in the message.
    """
    col = df[column]
    if pd.api.types.is_bool_dtype(col):
        raise SchemaError(
            f"{table} column {column!r} holds True/False; give numbers (t yr-1 or degrees)."
        )
    out = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    given = col.notna().to_numpy() & (col.astype(str).str.strip() != "").to_numpy()
    bad = given & np.isnan(out)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise SchemaError(
            f"{table} column {column!r} holds {col.iloc[row]!r} in row {row}, which is not a "
            f"number ({int(bad.sum())} such cell(s)); fix the value or leave it blank."
        )
    return out


def _check_positions(lon: np.ndarray, lat: np.ndarray, names: Any, table: str) -> None:
    """Refuse positions outside -180..360 / -90..90 (they would match nothing, silently)."""
    bad = ~(longitude_ok(lon) & latitude_ok(lat))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise SchemaError(
            f"{table} item {np.asarray(names)[row]!r} has longitude {lon[row]:g}, latitude "
            f"{lat[row]:g} ({int(bad.sum())} such item(s)): give longitudes in {LONGITUDE_RULE} "
            "and latitudes in -90..90 degrees north."
        )


def _check_unique(df: pd.DataFrame, columns: list[str], table: str, fix: str) -> None:
    """Refuse rows that repeat the same item: it would count twice in the overall totals."""
    dup = df.duplicated(subset=columns, keep=False)
    if dup.any():
        shown = df.loc[dup, columns].drop_duplicates().head(3).to_dict("records")
        raise SchemaError(
            f"{table} lists the same item more than once ({int(dup.sum())} rows, e.g. {shown}; "
            f"same {', '.join(columns)}): it would count twice in the overall comparison. {fix}"
        )


def _estimates_frame(
    estimates: xr.Dataset | pd.DataFrame, key: str, gas: str | None
) -> pd.DataFrame:
    if isinstance(estimates, xr.Dataset):
        need = ["emission_t_per_yr", "emission_t_per_yr_uncertainty"]
        missing = [v for v in need if v not in estimates]
        if missing or "source" not in estimates.dims:
            raise SchemaError(
                f"emission dataset lacks {missing or ['dim source']}; pass the output of "
                "urbansat.estimate_emissions."
            )
        ok = (
            np.asarray(estimates["qa_reason"].values).astype(str) == ""
            if "qa_reason" in estimates
            else np.ones(estimates.sizes["source"], bool)
        )
        return pd.DataFrame(
            {
                "key": [str(s) for s in estimates["source"].values],
                "gas": str(estimates.attrs.get("gas", gas or "")),
                "period": str(estimates.attrs.get("period", "")),
                "longitude": np.asarray(estimates["longitude"].values, float),
                "latitude": np.asarray(estimates["latitude"].values, float),
                "estimate": np.where(
                    ok, np.asarray(estimates["emission_t_per_yr"].values, float), np.nan
                ),
                "estimate_uncertainty": np.asarray(
                    estimates["emission_t_per_yr_uncertainty"].values, float
                ),
            }
        )
    df = estimates
    if {"indicator", "status", "value"} <= set(df.columns):  # a tidy T/CI 231 table
        rows = df[
            (df["indicator"] == "total_emission.emission_rate")
            & df["status"].isin(["ok", "partial"])
        ]
        return pd.DataFrame(
            {
                "key": rows["boundary_id"].astype(str).to_numpy(),
                "gas": rows["target"].astype(str).to_numpy(),
                "period": rows["period"].astype(str).to_numpy(),
                "estimate": rows["value"].astype(float).to_numpy(),
                "estimate_uncertainty": rows["uncertainty"].astype(float).to_numpy(),
            }
        )
    need = ["emission_t_per_yr", "emission_t_per_yr_uncertainty"]
    need += ["longitude", "latitude"] if key == "location" else ["boundary_id"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise SchemaError(f"estimates lack columns {missing}; give {need}.")
    name = (
        "source"
        if "source" in df.columns
        else ("boundary_id" if "boundary_id" in df.columns else None)
    )
    out = pd.DataFrame(
        {
            "key": df[name].astype(str).to_numpy() if name else np.arange(len(df)).astype(str),
            "gas": df["gas"].astype(str).str.lower().to_numpy() if "gas" in df else (gas or ""),
            "period": df["period"].astype(str).to_numpy() if "period" in df else "",
            "estimate": _numbers(df, "emission_t_per_yr", "estimates"),
            "estimate_uncertainty": _numbers(df, "emission_t_per_yr_uncertainty", "estimates"),
        }
    )
    if key == "location":
        out["longitude"] = _numbers(df, "longitude", "estimates")
        out["latitude"] = _numbers(df, "latitude", "estimates")
    return out


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _match_location(est: pd.DataFrame, inv: pd.DataFrame, max_distance_km: float) -> pd.DataFrame:
    pts = inv.dropna(subset=["longitude", "latitude"])
    if pts.empty:
        raise SchemaError(
            "inventory has no point sources with longitude/latitude; use key='boundary_id'."
        )
    tree = cKDTree(_unit_vectors(pts["longitude"].to_numpy(), pts["latitude"].to_numpy()))
    # chord length for a great-circle distance s: 2 sin(s / 2R)
    chord = 2.0 * math.sin(max_distance_km * 1000.0 / (2.0 * R_EARTH))
    xyz = _unit_vectors(est["longitude"].to_numpy(), est["latitude"].to_numpy())
    hits = tree.query_ball_point(xyz, r=chord)
    inv_v = pts["emission_t_per_yr"].to_numpy(float)
    inv_u = pts["emission_t_per_yr_uncertainty"].to_numpy(float)
    ids = pts["inventory_id"].astype(str).to_numpy()
    rows = []
    for i, unsorted_hits in enumerate(hits):
        h = sorted(unsorted_hits)
        d = [
            2
            * R_EARTH
            * math.asin(min(1.0, float(np.linalg.norm(xyz[i] - tree.data[j])) / 2))
            / 1000
            for j in h
        ]
        rows.append(
            {
                "inventory": float(inv_v[h].sum()) if h else math.nan,
                "inventory_uncertainty": float(np.sqrt(np.nansum(inv_u[h] ** 2)))
                if h
                else math.nan,
                "n_matched": len(h),
                "matched_ids": ",".join(ids[h]),
                "distance_km": float(min(d)) if d else math.nan,
            }
        )
    return pd.concat([est.reset_index(drop=True), pd.DataFrame(rows)], axis=1)


def _check_estimates(est: pd.DataFrame) -> None:
    """One row per item, and no negative uncertainty."""
    _check_unique(
        est, ["key", "gas", "period"], "estimates", "Give each source or boundary one row."
    )
    negative = np.isfinite(est["estimate_uncertainty"]) & (est["estimate_uncertainty"] < 0)
    if negative.any():
        raise SchemaError(
            f"estimates {est['key'][negative].head(3).tolist()} have a negative "
            "emission_t_per_yr_uncertainty; a 1-sigma uncertainty is >= 0 (t yr-1)."
        )


def _checked_inventory(inv: pd.DataFrame, est: pd.DataFrame, key: str) -> pd.DataFrame:
    """Check and convert the inventory rows of one gas (numbers, repeated items, positions).

    For ``key="location"`` the estimates' positions are checked too (an estimate at
    latitude 95 would match nothing, silently), and a negative point-source emission is
    refused (it was left out of the comparison without a word).
    """
    for c in ("emission_t_per_yr", "emission_t_per_yr_uncertainty"):
        inv[c] = _numbers(inv, c, "inventory")
    if key != "location":
        _check_unique(
            inv[inv["boundary_id"].astype(str) != ""],
            ["boundary_id", "period", "sector"],
            "inventory",
            "Give each boundary one row per sector and period (add the repeated rows).",
        )
        return inv
    _check_positions(
        est["longitude"].to_numpy(), est["latitude"].to_numpy(), est["key"], "estimates"
    )
    for c in ("longitude", "latitude"):
        inv[c] = _numbers(inv, c, "inventory")
    pts = inv.dropna(subset=["longitude", "latitude"])
    _check_positions(
        pts["longitude"].to_numpy(), pts["latitude"].to_numpy(), pts["inventory_id"], "inventory"
    )
    _check_unique(
        pts,
        ["inventory_id", *(["period"] if "period" in pts.columns else [])],
        "inventory",
        "Give each plant one row per period.",
    )
    below = pts["emission_t_per_yr"] < 0
    if below.any():
        raise SchemaError(
            f"inventory point source(s) {pts['inventory_id'][below].head(3).tolist()} have a "
            "negative emission_t_per_yr; a point source emits >= 0 t yr-1."
        )
    return inv


def _warn_shared_matches(m: pd.DataFrame) -> None:
    """Warn when one inventory item is matched by several estimates (counted once per estimate)."""
    by_item: dict[str, list[str]] = {}
    for k, ids in zip(m["key"], m["matched_ids"], strict=True):
        for i in filter(None, str(ids).split(",")):
            by_item.setdefault(i, []).append(str(k))
    shared = {i: ks for i, ks in by_item.items() if len(ks) > 1}
    if shared:
        warnings.warn(
            f"inventory item(s) {dict(list(shared.items())[:3])} are matched by more than one "
            "estimate: each is counted once per estimate in the overall inventory total. Lower "
            "max_distance_km, or combine the estimates of one facility.",
            SuspectValueWarning,
            stacklevel=3,
        )


def _match_boundary(est: pd.DataFrame, inv: pd.DataFrame) -> pd.DataFrame:
    city = inv[inv["boundary_id"].astype(str) != ""].copy()
    if city.empty:
        raise SchemaError(
            "inventory has no boundary_id values; use key='location' for point sources."
        )
    city["u2"] = city["emission_t_per_yr_uncertainty"].astype(float) ** 2
    agg = city.groupby(["boundary_id", "gas", "period"], as_index=False).agg(
        inventory=("emission_t_per_yr", "sum"),
        u2=("u2", lambda s: s.sum(min_count=1)),
        n_matched=("sector", "size"),
        matched_ids=("sector", lambda s: ",".join(sorted(s))),
    )
    agg["inventory_uncertainty"] = np.sqrt(agg.pop("u2"))
    est = est.copy()
    if (est["period"] == "").all():
        agg = agg.drop(columns="period")
        on = ["key", "gas"]
    else:
        on = ["key", "gas", "period"]
    out = est.merge(agg.rename(columns={"boundary_id": "key"}), on=on, how="left")
    out["n_matched"] = out["n_matched"].fillna(0).astype(int)
    out["distance_km"] = math.nan
    return out


def _check_arguments(
    estimates: Any, inventory: Any, key: Any, max_distance_km: Any, gas: Any
) -> None:
    """Refuse arguments of :func:`validate_inventory` of the wrong kind, naming the fix."""
    if key not in ("location", "boundary_id"):
        raise SchemaError(f"key={key!r} is not 'location' or 'boundary_id'.")
    if not isinstance(estimates, (xr.Dataset, pd.DataFrame)):
        raise SchemaError(
            "estimates must be the xarray.Dataset from urbansat.estimate_emissions or a DataFrame; "
            "got "
            f"{type(estimates).__name__} {str(estimates)[:120]!r}. Open a saved result first, e.g. "
            "xarray.open_dataset(path)."
        )
    if isinstance(estimates, xr.Dataset):
        require_emission_result(estimates, "estimates")
    if not isinstance(inventory, pd.DataFrame):
        raise SchemaError(
            "inventory must be a pandas.DataFrame; got "
            f"{type(inventory).__name__} {str(inventory)[:120]!r}. "
            "Read the file first: inventory = urbansat.ingest.inventory.read_inventory(path)."
        )
    inv_need = ["gas", "emission_t_per_yr", "emission_t_per_yr_uncertainty"]
    inv_need += (
        ["inventory_id", "longitude", "latitude"]
        if key == "location"
        else ["boundary_id", "period", "sector"]
    )
    inv_missing = [c for c in inv_need if c not in inventory.columns]
    if inv_missing:
        raise SchemaError(
            f"inventory lacks columns {inv_missing} needed for key={key!r} "
            f"(it has {list(inventory.columns)[:12]}). Read it with "
            "urbansat.ingest.inventory.read_inventory(path), which normalizes CoCO2 and city "
            "inventories to these columns."
        )
    if (
        isinstance(max_distance_km, bool)
        or not isinstance(max_distance_km, (int, float, np.number))
        or not (np.isfinite(max_distance_km) and max_distance_km > 0)
    ):
        raise SchemaError(
            f"max_distance_km={max_distance_km!r} must be a positive distance in km, e.g. 5.0."
        )
    if gas is not None and not isinstance(gas, str):
        raise SchemaError(f"gas={gas!r} must be a gas name such as 'co2' or 'ch4', or None.")


def validate_inventory(
    estimates: xr.Dataset | pd.DataFrame,
    inventory: pd.DataFrame,
    *,
    key: Literal["location", "boundary_id"] = "location",
    max_distance_km: float = 5.0,
    gas: str | None = None,
) -> pd.DataFrame:
    """Compare emission estimates with an inventory, per item and overall.

    Equations in the module docstring.

    Parameters
    ----------
    estimates : xarray.Dataset or pandas.DataFrame
        Output of :func:`urbansat.estimate_emissions` (``key="location"``), a
        tidy T/CI 231 table from :func:`urbansat.tci231_indicators`
        (``key="boundary_id"``), or a DataFrame with ``emission_t_per_yr``,
        ``emission_t_per_yr_uncertainty`` and ``longitude``/``latitude`` or
        ``boundary_id``. Rejected sources (``qa_reason``) are reported but not
        scored.
    inventory : pandas.DataFrame
        From :func:`urbansat.ingest.inventory.read_inventory`.
    key : {"location", "boundary_id"}, default "location"
        Match point sources by distance, or boundaries by id.
    max_distance_km : float, default 5
        Matching radius for ``key="location"`` (great-circle).
    gas : str, optional
        Gas to compare (``"co2"``...); default the gas of the estimates.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`VALIDATION_COLUMNS`: one row per item (``scope`` =
        ``"source"`` or ``"boundary"``) and a last row ``scope="overall"``
        with bias (``difference``), relative bias, mean ratio, fraction
        within 2-sigma (per item ``within_2sigma`` is 1.0 / 0.0, NaN when
        unmatched), ``rmse``, ``correlation`` and ``n``. Units t yr-1.

    Raises
    ------
    SchemaError
        Missing columns / variables; text or True/False where numbers belong; an item listed
        twice in the estimates or the inventory (it would count twice in the overall row); a
        negative estimate uncertainty or point-source emission; positions outside
        -180..360 / -90..90; ``max_distance_km`` or ``gas`` of the wrong kind.
    EmptySelectionError
        The inventory holds nothing for the gas.

    Warns
    -----
    SuspectValueWarning
        One inventory item matched by several estimates (``key="location"``): it counts once
        per estimate in the overall inventory total.

    Notes
    -----
    An estimate without an uncertainty (NaN) has ``within_2sigma`` NaN, not 0: a missing
    sigma is not a miss, and the overall fraction is over the items that have one.
    """
    _check_arguments(estimates, inventory, key, max_distance_km, gas)
    est = _estimates_frame(estimates, key, gas)
    gas = (gas or (est["gas"].iloc[0] if len(est) else "")).lower()
    est = est[est["gas"].str.lower() == gas] if gas else est
    _check_estimates(est)
    inv = inventory[inventory["gas"].astype(str).str.lower() == gas].copy()
    if inv.empty:
        raise EmptySelectionError(
            f"inventory holds no rows for gas {gas!r} (it has {sorted(set(inventory['gas']))}); "
            "pass gas= or a matching inventory."
        )
    inv = _checked_inventory(inv, est, key)
    if key == "location":
        m = _match_location(est, inv, max_distance_km)
        _warn_shared_matches(m)
        scope = "source"
    else:
        m = _match_boundary(est, inv)
        scope = "boundary"
    e, ue = m["estimate"].to_numpy(float), m["estimate_uncertainty"].to_numpy(float)
    i = m["inventory"].to_numpy(float)
    ui = np.nan_to_num(m["inventory_uncertainty"].to_numpy(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        m["difference"] = e - i
        m["relative_difference"] = (e - i) / i
        m["ratio"] = e / i
        m["ratio_uncertainty"] = np.abs(e / i) * np.sqrt((ue / e) ** 2 + (ui / i) ** 2)
    scored = np.isfinite(e) & np.isfinite(i) & (i > 0)
    w2 = np.abs(i - e) <= 2.0 * ue
    # 1.0 / 0.0 per item (NaN when not scored, or when the estimate has no uncertainty: a
    # missing sigma is not a miss); the overall row holds the fraction
    m["within_2sigma"] = np.where(scored & np.isfinite(ue), w2.astype(float), np.nan)
    m["scope"] = scope
    m["rmse"] = math.nan
    m["correlation"] = math.nan
    m["n"] = 1
    m["unit"] = "t yr-1"
    m["gas"] = gas
    s = m[scored]
    n = len(s)
    d = s["difference"].to_numpy(float)
    overall = {
        "scope": "overall",
        "key": "overall",
        "gas": gas,
        "period": "",
        "estimate": float(s["estimate"].sum()) if n else math.nan,
        "estimate_uncertainty": float(np.sqrt((s["estimate_uncertainty"] ** 2).sum()))
        if n
        else math.nan,
        "inventory": float(s["inventory"].sum()) if n else math.nan,
        "inventory_uncertainty": math.nan,
        "n_matched": int(s["n_matched"].sum()),
        "matched_ids": "",
        "distance_km": math.nan,
        "difference": float(d.mean()) if n else math.nan,
        "relative_difference": float(d.sum() / s["inventory"].sum()) if n else math.nan,
        "ratio": float(s["ratio"].mean()) if n else math.nan,
        "ratio_uncertainty": float(s["ratio"].std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
        "within_2sigma": float(s["within_2sigma"].mean()) if n else math.nan,
        "rmse": float(np.sqrt(np.mean(d**2))) if n else math.nan,
        "correlation": float(np.corrcoef(s["estimate"], s["inventory"])[0, 1])
        if n >= MIN_ITEMS_CORRELATION
        else math.nan,
        "n": n,
        "unit": "t yr-1",
    }
    out = pd.concat([m, pd.DataFrame([overall])], ignore_index=True)
    return out.loc[:, list(VALIDATION_COLUMNS)]


def validate(*args: Any, **kwargs: Any) -> pd.DataFrame:
    """Compare estimates with an inventory: deprecated name of :func:`validate_inventory`.

    Renamed because it collided with :func:`urbansat.validate_granule`, which checks a
    swath against its schema. Takes the same arguments and returns the same table.

    .. deprecated:: 0.2
        Use :func:`urbansat.validate_inventory`; ``validate`` will be removed in 0.3.

    Parameters
    ----------
    *args, **kwargs
        Passed to :func:`validate_inventory`.

    Returns
    -------
    pandas.DataFrame
        The output of :func:`validate_inventory`.
    """
    warnings.warn(
        "urbansat.validate is deprecated and will be removed in urbansat 0.3; use "
        "urbansat.validate_inventory (same arguments).",
        UrbansatDeprecationWarning,
        stacklevel=2,
    )
    return validate_inventory(*args, **kwargs)
