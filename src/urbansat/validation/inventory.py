r"""PURE: compare satellite emission estimates with bottom-up inventories.

Per matched item (a source, or a boundary) with estimate :math:`E \pm u_E`
and inventory :math:`I \pm u_I` (1-sigma; :math:`u_I = 0` when the inventory
gives none):

.. math::

    d = E - I, \quad r_d = d / I, \quad R = E / I, \quad
    u_R = \sqrt{(u_E/I)^2 + (E\,u_I/I^2)^2}, \quad
    \text{within\_2sigma} = |I - E| \le 2 u_E

Overall (items with both numbers): bias :math:`\bar d`, relative bias
:math:`\sum d / \sum I`, RMSE :math:`\sqrt{\overline{d^2}}`, Pearson
correlation (n >= 3), mean ratio with its standard error
:math:`s_R/\sqrt n`, and the fraction of items within 2 sigma.

(:math:`u_R` is written without :math:`1/E`, so an estimate of 0 has a finite
:math:`u_R = u_E/I`; for :math:`E \ne 0` it equals :math:`|R|\sqrt{(u_E/E)^2 + (u_I/I)^2}`.)

Matching by location (``key="location"``): every inventory point source whose
great-circle distance to the estimated source is at most ``max_distance_km``
is summed (plants are often split into units). When both the estimate and the
inventory row give a period, they must be the same period; an estimate without a
period that matches one plant in several periods is refused (add a ``period``
column to the estimates). Matching by boundary (``key="boundary_id"``): inventory
sectors are summed per boundary, gas and period and compared with the
``total_emission.emission_rate`` rows of a T/CI 231 indicator table; estimates
without a period are compared with the inventory only when it holds one period
per boundary. Ids and periods are compared as text (``1`` and ``"1"`` are one
boundary) and gases case-insensitively.
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
from urbansat.schema.columns import numeric_column
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
    # element-wise, as indicators/inventory.py: one True in a column of text/objects (a
    # spreadsheet cell) was read as 1 t yr-1
    flags = np.array(
        [isinstance(v, (bool, np.bool_)) for v in col.to_numpy(dtype=object)], dtype=bool
    )
    if pd.api.types.is_bool_dtype(col) or flags.any():
        where = ""
        if flags.any() and not pd.api.types.is_bool_dtype(col):
            row = int(np.flatnonzero(flags)[0])
            where = f" ({col.iloc[row]!r} in row {_row(col.index, row)})"
        raise SchemaError(
            f"{table} column {column!r} holds True/False{where}; give numbers (t yr-1 or degrees)."
        )
    return numeric_column(df, column, table, "a number (t yr-1 or degrees)", by_label=True)


def _row(index: pd.Index, position: int) -> str:
    """Return the caller's row label at ``position`` (text quoted, numbers plain: ``3``)."""
    label = index[position]
    return repr(label) if isinstance(label, str) else str(label)


def _rows(index: pd.Index, mask: np.ndarray) -> list[Any]:
    """Up to five of the caller's row labels where ``mask`` is True (plain Python values)."""
    return [v.item() if isinstance(v, np.generic) else v for v in index[mask][:5]]


def _label(v: Any) -> str:
    """One id or period as text: a blank is ``""``, and 1, 1.0 and "1" are the same label."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return ""
        if float(v).is_integer():
            return str(int(v))
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return str(int(v))
    return str(v)


def _labels(col: pd.Series | np.ndarray | list[Any]) -> np.ndarray:
    """Ids / periods as text (an integer boundary_id or period was pandas' merge ValueError)."""
    values = col.to_numpy(dtype=object) if isinstance(col, pd.Series) else col
    return np.array([_label(v) for v in values], dtype=object)


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
                "key": _labels(rows["boundary_id"]),
                "gas": rows["target"].astype(str).str.strip().str.lower().to_numpy(),
                "period": _labels(rows["period"]),
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
            "key": _labels(df[name]) if name else np.arange(len(df)).astype(str),
            "gas": df["gas"].astype(str).str.strip().str.lower().to_numpy()
            if "gas" in df
            else (gas or ""),
            "period": _labels(df["period"]) if "period" in df else "",
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


def _periods(est_p: np.ndarray, inv_p: np.ndarray) -> None:
    """Refuse estimates whose periods the inventory does not hold at all (nothing would match).

    Matching is on the period when both sides give one, so estimates for 2019 against a
    catalogue that holds only 2018 would leave every item unmatched, with no word.
    """
    want = {p for p in est_p if p}
    have = {p for p in inv_p if p}
    if want and have and not (want & have) and all(inv_p):
        raise SchemaError(
            f"estimates are for period(s) {sorted(want)[:5]}, but the inventory's point sources "
            f"are for {sorted(have)[:5]}: matched on period, nothing would be compared. Give the "
            "inventory of those periods, or leave the estimates' 'period' column out to compare "
            "across periods."
        )


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
    ids = pts["inventory_id"].to_numpy(dtype=object)
    inv_p = (
        pts["period"].to_numpy(dtype=object)
        if "period" in pts.columns
        else np.full(len(pts), "", dtype=object)
    )
    est_p = est["period"].to_numpy(dtype=object)
    est_k = est["key"].to_numpy(dtype=object)
    _periods(est_p, inv_p)
    rows = []
    for i, unsorted_hits in enumerate(hits):
        # Period rule (a design decision): a validation compares like with like, so when the
        # estimate and the inventory row both give a period they must agree (a 2019 estimate
        # is not compared with the 2018 row of the same plant; both rows were summed, doubling
        # the inventory). A row without a period holds for any period, and an estimate
        # without one takes any row -- but if that leaves one plant matched in several
        # periods, the comparison is ambiguous and refused rather than summed.
        h = sorted(j for j in unsorted_hits if not est_p[i] or not inv_p[j] or inv_p[j] == est_p[i])
        hit_ids = ids[h].tolist()
        again = sorted({x for x in hit_ids if hit_ids.count(x) > 1})
        if again:
            periods = sorted({str(inv_p[j]) for j in h if ids[j] in again})
            raise SchemaError(
                f"estimate {est_k[i]!r} (period {est_p[i]!r}) matches inventory plant(s) "
                f"{again[:3]} in several periods {periods}: summed, the inventory would count "
                "once per period. Add a 'period' column to the estimates (the inventory's "
                "period of each estimate), or pass the inventory rows of one period."
            )
        blank = [str(ids[j]) for j in h if np.isnan(inv_v[j])]
        if blank:  # the estimate was left out of the overall row without a word
            raise SchemaError(
                f"inventory point source(s) {blank[:3]} matched by estimate {est_k[i]!r} have no "
                "emission_t_per_yr; give the value or drop the rows (a blank is not a zero, and "
                "the estimate was left out of the comparison)."
            )
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
                "matched_ids": ",".join(hit_ids),
                "distance_km": float(min(d)) if d else math.nan,
                "_hits": h,
            }
        )
    cols = ["inventory", "inventory_uncertainty", "n_matched", "matched_ids", "distance_km"]
    m = pd.concat(
        [est.reset_index(drop=True), pd.DataFrame(rows, columns=[*cols, "_hits"])], axis=1
    )
    # a plant listed for several periods is named with its period in the warning
    several = set(pts["inventory_id"][pts["inventory_id"].duplicated()])
    names = np.array(
        [f"{x} ({p})" if x in several else str(x) for x, p in zip(ids, inv_p, strict=True)],
        dtype=object,
    )
    _warn_shared_matches(m, names)
    return m


def _check_estimates(est: pd.DataFrame) -> None:
    """One row per item, finite numbers, and no negative uncertainty.

    A blank (NaN) estimate stays allowed: a rejected source is reported but not scored.
    """
    _check_unique(
        est, ["key", "gas", "period"], "estimates", "Give each source or boundary one row."
    )
    for c, name in (
        ("estimate", "emission_t_per_yr"),
        ("estimate_uncertainty", "emission_t_per_yr_uncertainty"),
    ):
        inf = np.isinf(est[c].to_numpy(float))
        if inf.any():  # ratio inf, and the item was left out of the overall row silently
            raise SchemaError(
                f"estimates {est['key'][inf].head(3).tolist()} have an infinite {name} "
                f"({int(inf.sum())} item(s)); give a finite number in t yr-1 or leave it blank "
                "(an infinity is usually a division by zero upstream)."
            )
    negative = np.isfinite(est["estimate_uncertainty"]) & (est["estimate_uncertainty"] < 0)
    if negative.any():
        raise SchemaError(
            f"estimates {est['key'][negative].head(3).tolist()} have a negative "
            "emission_t_per_yr_uncertainty; a 1-sigma uncertainty is >= 0 (t yr-1)."
        )


def _check_inventory_numbers(rows: pd.DataFrame, names: list[str]) -> None:
    """Refuse infinite emissions and negative or infinite 1-sigma uncertainties.

    ``rows`` are the inventory rows that take part (point sources, or boundary sectors);
    ``names`` are the columns that name an item in the message.
    """
    val = rows["emission_t_per_yr"].to_numpy(float)
    sig = rows["emission_t_per_yr_uncertainty"].to_numpy(float)
    checks = (
        (
            np.isinf(val),
            "an infinite emission_t_per_yr",
            (
                "an emission is a finite number (t yr-1); fix or drop the rows (an infinity "
                "is usually a division by zero in the spreadsheet)"
            ),
        ),
        (
            np.isinf(sig),
            "an infinite emission_t_per_yr_uncertainty",
            "give a finite 1-sigma (t yr-1) or leave it blank (unknown)",
        ),
        (
            sig < 0,
            "a negative emission_t_per_yr_uncertainty",
            "a 1-sigma uncertainty is >= 0 (t yr-1); it was used squared, as if positive",
        ),
    )
    for bad, what, fix in checks:
        if bad.any():
            shown = rows.loc[bad, names].head(3).to_dict("records")
            values = rows[what.split()[-1]].to_numpy(float)[bad][:5].tolist()
            raise SchemaError(
                f"inventory rows {_rows(rows.index, bad)} ({shown}) have {what} {values} "
                f"({int(bad.sum())} row(s)): {fix}."
            )


def _checked_inventory(inv: pd.DataFrame, est: pd.DataFrame, key: str) -> pd.DataFrame:
    """Check and convert the inventory rows of one gas (numbers, repeated items, positions).

    Ids, sectors and periods become text (:func:`_labels`). For ``key="location"`` the
    estimates' positions are checked too (an estimate at latitude 95 would match nothing,
    silently), and a negative point-source emission is refused (it was left out of the
    comparison without a word). Infinite emissions and negative or infinite uncertainties
    are refused for both keys; a blank boundary-sector emission is refused here (it was
    summed as 0), a blank point-source emission when an estimate matches it
    (:func:`_match_location`).
    """
    for c in ("emission_t_per_yr", "emission_t_per_yr_uncertainty"):
        inv[c] = _numbers(inv, c, "inventory")
    if "period" in inv.columns:
        inv["period"] = _labels(inv["period"])
    if key != "location":
        for c in ("boundary_id", "sector"):
            inv[c] = _labels(inv[c])
        city = inv[inv["boundary_id"] != ""]
        _check_unique(
            city,
            ["boundary_id", "period", "sector"],
            "inventory",
            "Give each boundary one row per sector and period (add the repeated rows).",
        )
        blank = city["emission_t_per_yr"].isna().to_numpy()
        if blank.any():  # groupby-sum skipped it: a boundary of 50 + <blank> was 50
            shown = city.loc[blank, ["boundary_id", "sector", "period"]].head(3).to_dict("records")
            raise SchemaError(
                f"inventory rows {_rows(city.index, blank)} ({shown}) have no "
                "emission_t_per_yr; give the value or drop the rows (a blank is not a zero: it "
                "was summed as 0 into the boundary total)."
            )
        _check_inventory_numbers(city, ["boundary_id", "sector", "period"])
        return inv
    _check_positions(
        est["longitude"].to_numpy(), est["latitude"].to_numpy(), est["key"], "estimates"
    )
    inv["inventory_id"] = _labels(inv["inventory_id"])
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
    _check_inventory_numbers(pts, ["inventory_id", *(["period"] if "period" in pts else [])])
    return inv


def _warn_shared_matches(m: pd.DataFrame, names: np.ndarray) -> None:
    """Warn when one inventory row is matched by several estimates (counted once per estimate).

    ``m["_hits"]`` holds the positions of the matched inventory rows, ``names`` their labels
    (the same plant in two periods is two rows, not a shared match).
    """
    by_item: dict[str, list[str]] = {}
    for k, hits in zip(m["key"], m["_hits"], strict=True):
        for j in hits:
            by_item.setdefault(str(names[j]), []).append(str(k))
    shared = {i: ks for i, ks in by_item.items() if len(ks) > 1}
    if shared:
        warnings.warn(
            f"inventory item(s) {dict(list(shared.items())[:3])} are matched by more than one "
            "estimate: each is counted once per estimate in the overall inventory total. Lower "
            "max_distance_km, or combine the estimates of one facility.",
            SuspectValueWarning,
            stacklevel=4,
        )


def _match_boundary(est: pd.DataFrame, inv: pd.DataFrame) -> pd.DataFrame:
    city = inv[inv["boundary_id"] != ""].copy()
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
        # Estimates without a period are compared with the inventory's only period of each
        # boundary. With several, merging without the period duplicated the estimate once per
        # period (100 vs 2019 and again vs 2020, counted twice overall); which period is meant
        # is the caller's to say, so this is refused, naming the column to add.
        matched = agg[agg["boundary_id"].isin(set(est["key"]))]
        n_periods = matched.groupby(["boundary_id", "gas"])["period"].nunique()
        several = n_periods[n_periods > 1]
        if len(several):
            b, g = several.index[0]
            periods = sorted(matched.loc[matched["boundary_id"] == b, "period"].unique())
            raise SchemaError(
                f"estimates give no period, but the inventory holds boundary {b!r} ({g}) for "
                f"periods {periods[:5]} ({len(several)} such boundary(ies)): the estimate would "
                "be compared with every period and counted once per period. Add a 'period' "
                "column to the estimates (the inventory's period of each estimate), or pass "
                "the inventory rows of one period."
            )
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
    if max_distance_km * 1e3 > math.pi * R_EARTH:  # the chord 2 sin(d / 2R) turns back
        raise SchemaError(
            f"max_distance_km={max_distance_km!r} is more than half the Earth's circumference "
            f"({math.pi * R_EARTH / 1e3:.0f} km), where every place is matched; give the "
            "distance in km within which an inventory plant is the estimated source, e.g. 5.0."
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
        Missing columns / variables; text or True/False where numbers belong (checked cell by
        cell); an item listed twice in the estimates or the inventory (it would count twice in
        the overall row); a negative estimate uncertainty or point-source emission; an
        infinite estimate, uncertainty or inventory emission; a negative or infinite
        inventory uncertainty; a blank boundary-sector emission, or a blank emission of a
        matched point source (a blank is not a zero); positions outside -180..360 / -90..90;
        estimates without a period against an inventory that holds the matched plant or
        boundary for several periods (add a ``period`` column); estimates whose periods the
        point-source inventory does not hold at all; ``max_distance_km`` or ``gas`` of the
        wrong kind.
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
    gas = (gas or (est["gas"].iloc[0] if len(est) else "")).strip().lower()
    est = (est[est["gas"].str.strip().str.lower() == gas] if gas else est).copy()
    _check_estimates(est)
    inv_gas = inventory["gas"].astype(str).str.strip().str.lower()
    inv = inventory[(inv_gas == gas).to_numpy()].copy()
    if inv.empty:
        raise EmptySelectionError(
            f"inventory holds no rows for gas {gas!r} (it has {sorted(set(inv_gas))}); "
            "pass gas= or a matching inventory."
        )
    # one spelling of the gas on both sides: the boundary merge is on it ('CO2' matched nothing)
    est["gas"] = gas
    inv["gas"] = gas
    inv = _checked_inventory(inv, est, key)
    if key == "location":
        m = _match_location(est, inv, max_distance_km)
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
        # |R| sqrt((uE/E)^2 + (uI/I)^2) written without 1/E: an estimate of 0 was 0 * inf = NaN
        m["ratio_uncertainty"] = np.sqrt((ue / i) ** 2 + (e * ui / i**2) ** 2)
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
    zero = np.isfinite(e) & (i == 0)
    if zero.any():  # the ratio is undefined there: such items are not scored, and said so
        warnings.warn(
            f"{int(zero.sum())} matched item(s) have an inventory of 0 t yr-1, e.g. "
            f"{m.loc[zero, 'key'].head(3).tolist()}: their ratio is undefined, so they are left "
            "out of the overall row. Check the inventory (a blank written as 0?).",
            SuspectValueWarning,
            stacklevel=2,
        )
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
        # Pearson's r is undefined when either side does not vary (numpy: NaN and warnings)
        "correlation": float(np.corrcoef(s["estimate"], s["inventory"])[0, 1])
        if n >= MIN_ITEMS_CORRELATION and np.ptp(s["estimate"]) > 0 and np.ptp(s["inventory"]) > 0
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
