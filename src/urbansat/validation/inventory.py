r"""PURE: compare satellite emission estimates with bottom-up inventories.

Per matched item (a source, or a boundary) with estimate :math:`E \pm u_E`
and inventory :math:`I \pm u_I` (1-sigma; :math:`u_I = 0` in :math:`u_R` when the
inventory gives none):

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

Summed sigmas (a design decision): :math:`u_I` of an item that sums several inventory rows
(the sectors of a boundary, the units of a plant) is :math:`\sqrt{\sum u_i^2}` when every
row gives a sigma, and unknown (``inventory_uncertainty`` NaN) when any row lacks one -- a
blank is not a zero. Such an item is treated as an inventory without sigmas (:math:`u_I = 0`
in :math:`u_R`), and when only some of its rows have one a ``SuspectValueWarning`` names the
rows: give a sigma for every sector (plant) or for none. Likewise the overall
``estimate_uncertainty`` is NaN when a scored estimate has none.

Items whose inventory total is negative (a net sink: LULUCF sectors may be negative and are
accepted) are compared per item -- difference, ratio, a finite ratio sigma and
``within_2sigma`` -- but are left out of the overall row, with a ``SuspectValueWarning``; an
inventory of 0 is left out likewise (its ratio is undefined).

Matching by location (``key="location"``): every inventory point source whose
great-circle distance to the estimated source is at most ``max_distance_km``
is summed (plants are often split into units). When both the estimate and the
inventory row give a period, they must be the same period; an estimate without a
period that matches one plant in several periods is refused (add a ``period``
column to the estimates). Matching by boundary (``key="boundary_id"``): inventory
sectors are summed per boundary, gas and period and compared with the
``total_emission.emission_rate`` rows of a T/CI 231 indicator table; estimates
without a period are compared with the inventory only when it holds one period
per boundary. A boundary estimate that finds no inventory row stays in the table unscored
(``n_matched`` 0); it is named in an ``UnusedInputWarning`` when the inventory holds its
boundary for other periods only or under an id that differs in case (a boundary the
inventory does not hold at all is reported so silently, as a source without a plant
nearby), and when no estimate finds one the comparison is refused. Ids and periods are
compared as text (``1`` and ``"1"`` are one boundary, spaces around them dropped), gases
case-insensitively and sectors as :func:`urbansat.ingest.inventory.read_inventory` spells
them (lower case, ``_`` for spaces). Emissions are t yr-1 of the gas: a ``unit`` or
``units`` column of the estimates or the inventory that states another unit
(``"Mt CO2/yr"``) is refused.
"""

from __future__ import annotations

import math
import re
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
    UnusedInputWarning,
    UrbansatDeprecationWarning,
)
from urbansat.schema.columns import numeric_column
from urbansat.schema.geo import LONGITUDE_RULE, latitude_ok, longitude_ok
from urbansat.schema.results import require_emission_result

__all__ = ["VALIDATION_COLUMNS", "validate", "validate_inventory"]

#: Correlation needs at least this many matched items to be reported.
MIN_ITEMS_CORRELATION = 3
#: Items named in a message before "...".
MAX_SHOWN = 5

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
    """One id or period as text: a blank is ``""``, and 1, 1.0 and "1" are the same label.

    Spaces around text are dropped (``" 1"`` and ``"1 "`` are boundary ``"1"``): a spreadsheet's
    trailing space made an id match nothing.
    """
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return ""
        if float(v).is_integer():
            return str(int(v))
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return str(int(v))
    return str(v).strip()


def _labels(col: pd.Series | np.ndarray | list[Any]) -> np.ndarray:
    """Ids / periods as text (an integer boundary_id or period was pandas' merge ValueError)."""
    values = col.to_numpy(dtype=object) if isinstance(col, pd.Series) else col
    return np.array([_label(v) for v in values], dtype=object)


def _gases(col: pd.Series, table: str, column: str) -> np.ndarray:
    """Gas names as lower-case text; a blank cell is refused, naming the rows.

    A blank gas cell was an ``AttributeError`` (a whole blank column) or dropped the row from
    the comparison without a word (one blank cell: it was not of the gas compared).
    """
    g = np.array([_label(v).lower() for v in col.to_numpy(dtype=object)], dtype=object)
    blank = g == ""
    if blank.any():
        raise SchemaError(
            f"{table} rows {_rows(col.index, blank)} have a blank {column!r} "
            f"({int(blank.sum())} row(s)): the row would be left out of the comparison without a "
            "word. Give the gas of every row ('co2', 'ch4', ...) or drop the rows."
        )
    return g


#: Spellings of "t yr-1 of the gas" accepted in a ``unit``/``units`` column (after
#: :func:`_unit_key`: lower case, no spaces, the gas's name dropped).
_T_PER_YR = frozenset(
    f"{t}{sep}{yr}"
    for t in ("t", "tonne", "tonnes", "metricton", "metrictons")
    for sep, yr in [
        *((s, y) for s in ("/", "per") for y in ("yr", "year", "a", "annum", "y")),
        *(("", y + e) for y in ("yr", "a", "year") for e in ("-1", "^-1", "\u207b\u00b9")),
    ]
) | {"tpy", "tpa", "t", "tonne", "tonnes"}

#: Mass prefixes named in the fix when a unit column is not t yr-1 (factor to t).
_MASS_PREFIX = (("mt", 1e6), ("tg", 1e6), ("kt", 1e3), ("gg", 1e3), ("kg", 1e-3))


#: A cell that states a rate or a mass (a plant's "Unit 3" or "Block A" does not).
_RATE = re.compile(r"/|\bper\b|\b(yr|years?|annum|day|d|h|s)\b|-1\b|\u207b\u00b9", re.IGNORECASE)
_MASS = re.compile(r"(t|tonnes?|kt|mt|gt|kg|gg|tg|mg)(co2e|co2eq)?")


def _states_unit(cell: str) -> bool:
    return bool(_RATE.search(cell)) or _MASS.fullmatch(_unit_key(cell)) is not None


def _unit_key(unit: str) -> str:
    s = re.sub(r"\b(co2|ch4|n2o)\b", "", unit.strip().lower())
    return re.sub(r"[\s.\u00b7*]+", "", s)


def _check_units(df: pd.DataFrame, table: str) -> None:
    """Refuse a ``unit``/``units`` column that states a rate other than t yr-1.

    The column is not read: 'Mt CO2/yr' was taken as t yr-1, a factor 1e6 without a word.
    Blank cells, and cells that state no rate (a plant's generating unit, "Unit 3"), pass.
    """
    for column in ("unit", "units"):
        if column not in df.columns:
            continue
        cells = [_label(v) for v in df[column].to_numpy(dtype=object)]
        bad = np.array(
            [_states_unit(c) and _unit_key(c) not in _T_PER_YR for c in cells], dtype=bool
        )
        if not bad.any():
            continue
        row = int(np.flatnonzero(bad)[0])
        value = cells[row]
        key = _unit_key(value)
        hint = ""
        if "co2e" in key or "co2eq" in key:
            hint = " (emissions are of the gas itself, not CO2-equivalent)"
        else:
            for prefix, factor in _MASS_PREFIX:
                if key.startswith(prefix) and "t" + key[len(prefix) :] in _T_PER_YR:
                    hint = f" (1 {value} = {factor:g} t yr-1)"
                    break
        raise SchemaError(
            f"{table} column {column!r} says {value!r} in row {_row(df.index, row)} "
            f"({int(bad.sum())} row(s)), but emission_t_per_yr is compared as t yr-1 of the gas: "
            f"the unit column is not read, so the numbers would be taken as t yr-1{hint}. Convert "
            f"emission_t_per_yr and its uncertainty to t yr-1 and set {column!r} to 't yr-1' "
            "(or drop the column)."
        )


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
        _check_units(rows, "estimates")
        return pd.DataFrame(
            {
                "key": _labels(rows["boundary_id"]),
                "gas": _gases(rows["target"], "estimates", "target"),
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
    _check_units(df, "estimates")
    name = (
        "source"
        if "source" in df.columns
        else ("boundary_id" if "boundary_id" in df.columns else None)
    )
    out = pd.DataFrame(
        {
            "key": _labels(df[name]) if name else np.arange(len(df)).astype(str),
            "gas": _gases(df["gas"], "estimates", "gas") if "gas" in df else (gas or ""),
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
    partial: list[str] = []
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
        u = inv_u[h]
        no_sigma = [str(ids[j]) for j in h if np.isnan(inv_u[j])]
        if no_sigma and len(no_sigma) < len(h):
            partial.append(f"{est_k[i]!r}: {no_sigma[:3]}")
        rows.append(
            {
                "inventory": float(inv_v[h].sum()) if h else math.nan,
                # NaN when a matched plant has no sigma (nansum counted it as 0: a unit without
                # one made the sum too small, and a catalogue without sigmas said 0)
                "inventory_uncertainty": float(np.sqrt(np.sum(u**2))) if h else math.nan,
                "n_matched": len(h),
                "matched_ids": ",".join(hit_ids),
                "distance_km": float(min(d)) if d else math.nan,
                "_hits": h,
            }
        )
    if partial:
        _warn_partial_sigma(len(partial), partial[:3], "plant")
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


def _check_boundary_ids(inv: pd.DataFrame) -> None:
    """Refuse boundary-sector rows without a ``boundary_id`` (they fell out of every total).

    A row of a point source (finite longitude and latitude) may leave it blank; a table where
    no row has one is refused later (use ``key="location"``).
    """
    blank = (inv["boundary_id"] == "").to_numpy()
    if not blank.any() or blank.all():
        return
    if {"longitude", "latitude"} <= set(inv.columns):
        lon = pd.to_numeric(inv["longitude"], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(inv["latitude"], errors="coerce").to_numpy(float)
        blank &= ~(np.isfinite(lon) & np.isfinite(lat))
    if blank.any():
        shown = inv.loc[blank, ["sector", "period"]].head(3).to_dict("records")
        raise SchemaError(
            f"inventory rows {_rows(inv.index, blank)} ({shown}) have a blank boundary_id and no "
            f"position ({int(blank.sum())} row(s)): they belong to no boundary and were left out "
            "of every boundary total (a sector of a boundary dropped). Give the boundary_id of "
            "every row or drop the rows."
        )


def _checked_inventory(inv: pd.DataFrame, est: pd.DataFrame, key: str) -> pd.DataFrame:
    """Check and convert the inventory rows of one gas (numbers, repeated items, positions).

    Ids, sectors and periods become text (:func:`_labels`). For ``key="location"`` the
    estimates' positions are checked too (an estimate at latitude 95 would match nothing,
    silently), and a negative point-source emission is refused (it was left out of the
    comparison without a word). Infinite emissions and negative or infinite uncertainties
    are refused for both keys; a blank boundary-sector emission is refused here (it was
    summed as 0), a blank point-source emission when an estimate matches it
    (:func:`_match_location`). Boundary sectors are spelt as ``read_inventory`` spells them,
    and a sector row without ``boundary_id`` is refused (:func:`_check_boundary_ids`).
    """
    for c in ("emission_t_per_yr", "emission_t_per_yr_uncertainty"):
        inv[c] = _numbers(inv, c, "inventory")
    if "period" in inv.columns:
        inv["period"] = _labels(inv["period"])
    if key != "location":
        inv["boundary_id"] = _labels(inv["boundary_id"])
        # as read_inventory spells sectors: "Energy" and "energy " are one sector, repeated
        inv["sector"] = [x.lower().replace(" ", "_") for x in _labels(inv["sector"])]
        _check_boundary_ids(inv)
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
        # unknown (NaN) as soon as one sector has no sigma: summed as 0, the boundary's sigma
        # was too small without a word (a sector sigma given for none is NaN, as before)
        u2=("u2", lambda s: s.sum(min_count=len(s))),
        n_sigma=("u2", "count"),
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
    _check_boundary_matches(out, city)
    partial = (out["n_sigma"] > 0) & (out["n_sigma"] < out["n_matched"])
    if partial.any():
        items = []
        for _, r in out[partial].head(3).iterrows():
            rows = city[(city["boundary_id"] == r["key"]) & city["u2"].isna()]
            if "period" in on:
                rows = rows[rows["period"] == r["period"]]
            items.append(f"{r['key']!r} ({r['period'] or 'no period'}): {sorted(rows['sector'])}")
        _warn_partial_sigma(int(partial.sum()), items, "sector")
    return out.drop(columns="n_sigma")


def _warn_partial_sigma(n: int, items: list[str], part: str) -> None:
    """Warn that ``n`` items sum parts of which only some have a sigma (their sigma is NaN)."""
    warnings.warn(
        f"{n} item(s) sum inventory {part}s of which only some have an "
        f"emission_t_per_yr_uncertainty, e.g. {'; '.join(items)} have none: the summed "
        "inventory_uncertainty is unknown (NaN; a blank counted as 0 made it too small) and "
        "ratio_uncertainty holds the estimate's part only, as for an inventory without sigmas. "
        f"Give a sigma for every {part} or for none.",
        SuspectValueWarning,
        stacklevel=4,
    )


def _check_boundary_matches(out: pd.DataFrame, city: pd.DataFrame) -> None:
    """Refuse when no estimate found its boundary in the inventory; warn when one missed.

    An unmatched estimate stays in the table (``n_matched`` 0, inventory NaN) but counts in no
    overall number. A boundary the inventory holds for other periods only, or under an id that
    differs only in case, was a silently smaller validation: warned. A boundary the inventory
    does not hold at all is reported so without a warning, as a source without a plant nearby
    (an inventory of one city against a job's many boundaries). As for point sources
    (:func:`_periods`), nothing matched at all is an error.
    """
    missed = (out["n_matched"] == 0).to_numpy()
    if not missed.any():
        return
    held: dict[str, list[str]] = {
        str(b): sorted(set(g)) for b, g in city.groupby("boundary_id")["period"]
    }
    lower = {b.lower(): b for b in held}
    items, warned = [], []
    for k, p in zip(out["key"][missed], out["period"][missed], strict=True):
        what = f"{k!r} ({p or 'no period'})"
        if k in held:
            items.append(f"{what}: the inventory holds {k!r} for periods {held[k][:5]}")
        elif k.lower() in lower:
            items.append(
                f"{what}: not in the inventory, which has {lower[k.lower()]!r} (ids are "
                "case-sensitive)"
            )
        else:
            items.append(f"{what}: no inventory row for {k!r}")
            continue
        warned.append(items[-1])
    fix = (
        "Give the inventory rows of those boundaries and periods, spell ids and periods as the "
        "inventory does, or leave those estimates out (a job's [[validation]] exclude)."
    )
    if missed.all():
        shown = "; ".join(items[:MAX_SHOWN]) + ("; ..." if len(items) > MAX_SHOWN else "")
        raise SchemaError(
            f"no estimate found an inventory row of its boundary, gas and period ({shown}; the "
            f"inventory holds boundaries {sorted(held)[:5]}): nothing would be compared. {fix}"
        )
    if warned:
        shown = "; ".join(warned[:MAX_SHOWN]) + ("; ..." if len(warned) > MAX_SHOWN else "")
        warnings.warn(
            f"{len(warned)} of {len(out)} estimate(s) found no inventory row of their "
            f"boundary, gas and period and are left out of the comparison: {shown}. {fix}",
            UnusedInputWarning,
            stacklevel=4,
        )


def _selected_estimates(
    estimates: xr.Dataset | pd.DataFrame, key: str, gas: str | None
) -> tuple[pd.DataFrame, str]:
    """Return the estimates of the gas compared, and that gas (``gas``, else the first's).

    No estimate at all, or none of the gas, is an :class:`EmptySelectionError` (the result
    was an overall row of n = 0, without a word).
    """
    est = _estimates_frame(estimates, key, gas)
    if est.empty:  # the overall row was n = 0, without a word
        tidy = isinstance(estimates, pd.DataFrame) and "indicator" in estimates.columns
        raise EmptySelectionError(
            "estimates hold no item to compare"
            + (
                " (no 'total_emission.emission_rate' row of status 'ok' or 'partial')"
                if tidy
                else ""
            )
            + "; pass the estimates of at least one source or boundary."
        )
    gas = (gas or str(est["gas"].iloc[0])).strip().lower()
    est_gas = est["gas"].astype(str).str.strip().str.lower()
    if gas and not (est_gas == gas).any():  # every estimate was dropped: n = 0, no word
        raise EmptySelectionError(
            f"estimates hold no rows for gas {gas!r} (they have {sorted(set(est_gas))}); "
            "pass gas= one of those, or the estimates of that gas."
        )
    est = (est[(est_gas == gas).to_numpy()] if gas else est).copy()
    return est, gas


def _warn_net_sinks(keys: list[Any], totals: list[float]) -> None:
    """Warn about matched items whose inventory total is negative (a net sink).

    LULUCF sectors may be negative, so such totals are not refused: they are compared per
    item (the ratio sigma is finite) but are not in the overall row.
    """
    shown = [f"{k!r}: {v:g} t yr-1" for k, v in zip(keys, totals, strict=True)][:3]
    warnings.warn(
        f"{len(keys)} matched item(s) have a negative inventory total (a net sink), "
        f"e.g. {shown}: their difference, ratio, ratio_uncertainty and within_2sigma are "
        "given per item, but they are left out of the overall row (a mean ratio or a "
        "relative bias across signs has no meaning). Check the signs if no net sink is meant.",
        SuspectValueWarning,
        stacklevel=3,
    )


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
        point-source inventory does not hold at all; boundary estimates of which none finds
        an inventory row; a blank gas; a boundary-sector row without ``boundary_id`` (and
        without a position); the same sector spelt two ways ("Energy", "energy ") for one
        boundary and period; a ``unit``/``units`` column that is not t yr-1;
        ``max_distance_km`` or ``gas`` of the wrong kind.
    EmptySelectionError
        No estimate, no estimate of the gas, or nothing in the inventory for the gas.

    Warns
    -----
    SuspectValueWarning
        One inventory item matched by several estimates (``key="location"``): it counts once
        per estimate in the overall inventory total. An item summing rows of which only some
        have a sigma (its ``inventory_uncertainty`` is NaN). A matched inventory total of 0
        or below 0 (left out of the overall row).
    UnusedInputWarning
        Boundary estimates that find no inventory row because the inventory holds their
        boundary for other periods only (named with those periods), or under an id that
        differs in case.

    Notes
    -----
    An estimate without an uncertainty (NaN) has ``within_2sigma`` NaN, not 0: a missing
    sigma is not a miss, and the overall fraction is over the items that have one. The
    summed ``inventory_uncertainty`` of an item is NaN when one of its rows has no sigma
    (module docstring), never the sum of the others.
    """
    _check_arguments(estimates, inventory, key, max_distance_km, gas)
    est, gas = _selected_estimates(estimates, key, gas)
    _check_estimates(est)
    inv_gas = _gases(inventory["gas"], "inventory", "gas")
    inv = inventory[inv_gas == gas].copy()
    if inv.empty:
        raise EmptySelectionError(
            f"inventory holds no rows for gas {gas!r} (it has {sorted(set(inv_gas))}); "
            "pass gas= or a matching inventory."
        )
    _check_units(inv, "inventory")
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
    # a net sink (LULUCF above the emissions): compared per item, but not in the overall row
    sink = np.isfinite(e) & np.isfinite(i) & (i < 0)
    w2 = np.abs(i - e) <= 2.0 * ue
    # 1.0 / 0.0 per item (NaN when not compared, or when the estimate has no uncertainty: a
    # missing sigma is not a miss); the overall row holds the fraction
    m["within_2sigma"] = np.where((scored | sink) & np.isfinite(ue), w2.astype(float), np.nan)
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
    if sink.any():  # left out of the overall row, and within_2sigma NaN, silently
        _warn_net_sinks(m.loc[sink, "key"].tolist(), i[sink].tolist())
    s = m[scored]
    n = len(s)
    d = s["difference"].to_numpy(float)
    overall = {
        "scope": "overall",
        "key": "overall",
        "gas": gas,
        "period": "",
        "estimate": float(s["estimate"].sum()) if n else math.nan,
        # NaN when a scored estimate has no sigma (skipped, it counted as 0: too small)
        "estimate_uncertainty": float(np.sqrt((s["estimate_uncertainty"] ** 2).sum(skipna=False)))
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
