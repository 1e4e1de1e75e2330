"""PURE: build the T/CI 231-2023 Table 1 (satellite part) indicator table.

:func:`tci231_indicators` turns emission estimates (:func:`urbansat.estimate_emissions`),
per-boundary concentrations (:func:`boundary_concentrations`) and sink accounts
(:func:`urbansat.account_sinks`) into one tidy table with every row of Table 1
for every boundary and period. :func:`to_wide` pivots it into the standard's
layout with Chinese and English names.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from urbansat.categories import ATMOSPHERE_SCOPES, GASES, SINK_CATEGORIES, SINK_SCOPES
from urbansat.errors import MixedInputError, SchemaError
from urbansat.indicators.collapse import (
    check_boundary_periods,
    collapse_not_applicable,
    warn_unused_inputs,
)
from urbansat.indicators.inventory import inventory_lookup
from urbansat.indicators.periods import PeriodInput, period_years
from urbansat.indicators.tables import (
    STATUSES,
    TIDY_COLUMNS,
    indicator_spec,
)
from urbansat.schema.boundaries import require_boundaries
from urbansat.schema.flags import require_flag
from urbansat.schema.geo import LONGITUDE_RULE, latitude_ok, longitude_ok, wrap_longitude
from urbansat.schema.results import (
    require_emission_result,
    require_indicator_table,
    require_sink_result,
)
from urbansat.status import VALUED

__all__ = ["tci231_indicators"]

DataInput = xr.Dataset | Mapping[str, xr.Dataset] | Sequence[Any] | None

#: Column / mole-fraction units by gas, as the WMO GAW Greenhouse Gas Bulletin reports them
#: (CO2 ppm; CH4, N2O ppb; SF6, HFCs, PFCs ppt). Only CO2 and CH4 are observed from space.
_GAS_UNITS = {"co2": "ppm", "ch4": "ppb", "n2o": "ppb", "pfcs": "ppt", "hfcs": "ppt", "sf6": "ppt"}
_SINK_TARGETS = (*SINK_CATEGORIES, "total")


#: The contract each kind of input is checked against (C4, C5; concentrations: a Dataset).
def _require_emissions(obj: Any, what: str) -> xr.Dataset:
    """Contract C4 plus the numbers a table row is summed from (valid rows: finite, sigma >= 0).

    A negative 1-sigma was squared away, an infinite one gave an ``ok`` row of uncertainty
    inf, a True/False emission was summed as 1/0.
    """
    ds = require_emission_result(obj, what)
    names = [str(s) for s in np.atleast_1d(ds["source"].values)]
    for var in ("emission_t_per_yr", "emission_t_per_yr_uncertainty"):
        if ds[var].dtype.kind not in "fiu":
            raise SchemaError(
                f"{what}: {var} has dtype {ds[var].dtype}, not numbers; give t yr-1 as floats."
            )
    fields = [ds["emission_t_per_yr"], ds["emission_t_per_yr_uncertainty"]]
    if "qa_reason" in ds:
        fields.append(ds["qa_reason"])
    # source last, so that a flat index modulo the source count names the source
    value, unc, *reason = (
        np.atleast_1d(f.transpose(..., "source").values) for f in xr.broadcast(*fields)
    )
    value, unc = value.astype(float), unc.astype(float)
    valid = reason[0].astype(str) == "" if reason else np.ones(value.shape, bool)
    for bad, why in (
        (valid & np.isinf(value), "an infinite emission_t_per_yr"),
        (valid & np.isfinite(value) & (np.isinf(unc) | (unc < 0)), "a 1-sigma below 0 or infinite"),
    ):
        if bad.any():
            k = int(np.flatnonzero(bad.ravel())[0]) % len(names)
            raise SchemaError(
                f"{what}: source {names[k]!r} has {why} (emission {value.ravel()[k]:g} +- "
                f"{unc.ravel()[k]:g} t yr-1) and no qa_reason; fix the estimate or set its "
                "qa_reason to reject it."
            )
    return ds


_CONTRACTS: dict[str, Callable[[Any, str], xr.Dataset]] = {
    "emissions": _require_emissions,
    "sinks": require_sink_result,
}


def _split(
    obj: DataInput, labels: list[str], what: str, *, need_gas: bool = True
) -> dict[tuple[str, str], xr.Dataset]:
    """Normalize an input to {(period, gas): Dataset}, each checked by its contract."""
    out: dict[tuple[str, str], xr.Dataset] = {}
    if obj is None:
        return out
    if isinstance(obj, xr.Dataset):
        # object, not Dataset: mapping values are only checked to be Datasets in the loop below
        items: list[tuple[str | None, object]] = [(None, obj)]
    elif isinstance(obj, Mapping):
        items = [(str(k), v) for k, v in obj.items()]
    elif isinstance(obj, Sequence) and not isinstance(obj, str):
        return _split_many(obj, labels, what, need_gas=need_gas)
    else:
        raise SchemaError(
            f"{what} must be an xarray.Dataset, a mapping period -> Dataset or a list of those; "
            f"got {type(obj).__name__}."
        )
    check = _CONTRACTS.get(what)
    for given, ds in items:
        if not isinstance(ds, xr.Dataset):
            raise SchemaError(
                f"{what}[{given!r}] is a {type(ds).__name__}, expected xarray.Dataset."
            )
        if check is not None:
            check(ds, what if given is None else f"{what}[{given!r}]")
        gas = _input_gas(ds, what, need_gas=need_gas)
        if "period" in ds.dims:
            for p in ds["period"].values:
                out[(str(p), gas)] = ds.sel(period=p)
            continue
        period = _input_period(ds, given, labels, what)
        out[(period, gas)] = ds
    return out


def _split_many(
    parts: Sequence[Any], labels: list[str], what: str, *, need_gas: bool
) -> dict[tuple[str, str], xr.Dataset]:
    """:func:`_split` of a list of inputs; two inputs for one (period, gas) are refused."""
    merged: dict[tuple[str, str], xr.Dataset] = {}
    for part in parts:
        for key, part_ds in _split(part, labels, what, need_gas=need_gas).items():
            if key in merged:
                raise MixedInputError(
                    f"{what}: two inputs for period {key[0]!r}, gas {key[1]!r}; "
                    "give one dataset per period and gas."
                )
            merged[key] = part_ds
    return merged


def _input_gas(ds: xr.Dataset, what: str, *, need_gas: bool) -> str:
    """Return the gas of one input dataset (``"-"`` when none is needed)."""
    gas = str(ds.attrs.get("gas", "")).lower() if need_gas else "-"
    if need_gas and gas not in GASES:
        raise SchemaError(
            f"{what} dataset has attrs gas={ds.attrs.get('gas')!r}; set it to one of {list(GASES)}."
        )
    return gas


def _input_period(ds: xr.Dataset, given: str | None, labels: list[str], what: str) -> str:
    """Return the period of an input without a ``period`` dim: its key, attribute or the last."""
    period = given
    if period is None:
        period = ds.attrs.get("period")
        if period is None:
            period = labels[-1]
            if len(labels) > 1 and what != "sinks":
                raise SchemaError(
                    f"{what} dataset has no 'period' dimension or attribute and {len(labels)} "
                    f"periods were given ({labels}); pass a mapping period -> Dataset."
                )
    if str(period) not in labels:
        raise SchemaError(f"{what} for period {period!r}, which is not among periods {labels}.")
    return str(period)


def _check_boundaries(boundaries: Any) -> pd.DataFrame:
    """Return the boundaries of the table: a (Geo)DataFrame with ids, names and levels."""
    return require_boundaries(
        boundaries, columns=("boundary_id", "name", "level"), levels=True, geo=False
    )


def _sources_in(ds: xr.Dataset, boundaries: pd.DataFrame) -> dict[str, list[int]]:
    """Source indices per boundary: direct id match, else point in polygon."""
    src = [str(s) for s in ds["source"].values]
    ids = boundaries["boundary_id"].astype(str).tolist()
    out: dict[str, list[int]] = {b: [i for i, s in enumerate(src) if s == b] for b in ids}
    if isinstance(boundaries, gpd.GeoDataFrame) and "longitude" in ds.coords:
        named = {i for b in ids for i in out[b]}
        todo = np.array([i for i in range(len(src)) if i not in named], dtype=int)
        lon = np.asarray(ds["longitude"].values, dtype=float)[todo]
        lat = np.asarray(ds["latitude"].values, dtype=float)[todo]
        nowhere = ~(np.isfinite(lon) & np.isfinite(lat))
        if nowhere.any():  # it fell inside no boundary: its emission vanished from the table
            names = [src[i] for i in todo[nowhere]][:5]
            raise SchemaError(
                f"emission sources {names} have no finite longitude/latitude and are not named "
                "like a boundary_id, so no boundary can be given their emission; set their "
                "position (the source table's longitude/latitude) or drop them from the "
                "emissions dataset."
            )
        off = ~(longitude_ok(lon) & latitude_ok(lat))
        if off.any():  # a latitude of 95 fell in no boundary, silently
            k = int(np.flatnonzero(off)[0])
            raise SchemaError(
                f"emission source {src[todo[k]]!r} is at longitude {lon[k]:g}, latitude "
                f"{lat[k]:g} ({int(off.sum())} such source(s)): give longitudes in "
                f"{LONGITUDE_RULE} and latitudes in -90..90 degrees north."
            )
        geo = boundaries[["boundary_id", "geometry"]].to_crs(4326)
        # either longitude convention: a source at 359 E lies in a boundary drawn at 1 W,
        # and one at -1 E in a boundary drawn in 0..360 (read_boundaries keeps both)
        west = wrap_longitude(lon)
        parts = []
        for shift in (0.0, 360.0):
            pts = gpd.GeoDataFrame(
                {"i": todo}, geometry=gpd.points_from_xy(west + shift, lat), crs=4326
            )
            parts.append(gpd.sjoin(pts, geo, predicate="within"))
        joined = pd.concat(parts).drop_duplicates(subset=["i", "boundary_id"])
        for b, grp in joined.groupby("boundary_id"):
            if not out[str(b)]:  # a boundary-scale estimate takes precedence
                out[str(b)] = sorted(int(i) for i in grp["i"])
    return out


def _row(
    b: pd.Series, subject: str, target: str, indicator: str, period: str, **kw: Any
) -> dict[str, Any]:
    row = {
        "boundary_id": str(b["boundary_id"]),
        "name": str(b["name"]),
        "level": str(b["level"]),
        "subject": subject,
        "target": target,
        "indicator": indicator,
        "period": period,
        "value": math.nan,
        "unit": "",
        "uncertainty": math.nan,
        "method": "",
        "note": "",
        "status": "no_data",
        "n_obs": pd.NA,
        "provenance": "",
    }
    row.update(kw)
    if row["status"] not in VALUED:
        row["value"] = math.nan
        row["uncertainty"] = math.nan
    return row


def _emission(ds: xr.Dataset | None, idx: list[int]) -> dict[str, Any]:
    if ds is None:
        return {"status": "no_data", "note": "no emission estimate for this period and gas"}
    if not idx:
        return {"status": "no_data", "note": "no estimated source inside the boundary"}
    sub = ds.isel(source=idx)
    value = np.asarray(sub["emission_t_per_yr"].values, dtype=float)
    unc = np.asarray(sub["emission_t_per_yr_uncertainty"].values, dtype=float)
    reason = (
        np.asarray(sub["qa_reason"].values).astype(str)
        if "qa_reason" in sub
        else np.full(len(idx), "")
    )
    valid = (reason == "") & np.isfinite(value)
    methods = (
        sorted(set(np.asarray(sub["method"].values).astype(str)[valid]))
        if "method" in sub
        else [str(ds.attrs.get("method", ""))]
    )
    names = [str(s) for s in sub["source"].values]
    rejected = [
        f"{n}: {r or 'non-finite estimate'}"
        for n, r, v in zip(names, reason, valid, strict=True)
        if not v
    ]
    n_obs = (
        int(np.nansum(np.asarray(sub["n_obs"].values, dtype=float)[valid]))
        if "n_obs" in sub
        else pd.NA
    )
    # a method selected from a several-method output: its scalar coordinate, not the attrs
    # (which list every method of that call)
    from urbansat.inversion.result import METHOD_DIM

    picked = ds.coords.get(METHOD_DIM)
    picked_method = (
        picked.item() if picked is not None and picked.ndim == 0 else ds.attrs.get("method", "")
    )
    prov = (
        f"estimate_emissions gas={ds.attrs.get('gas')} "
        f"method={picked_method} "
        f"wind={ds.attrs.get('wind_source', '')} sources={','.join(np.array(names)[valid])}"
    )
    if not valid.any():
        # nothing observed near any source (outside the swath, every sounding filtered): no_data,
        # not an estimate that failed QA
        near = (
            np.asarray(sub["n_valid_near"].values, dtype=float)
            if "n_valid_near" in sub
            else np.ones(len(idx))
        )
        status = "no_data" if bool(np.all(near == 0)) else "rejected"
        return {"status": status, "note": "; ".join(rejected), "provenance": prov}
    method = "+".join(m for m in methods if m) or "inversion"
    if len(names) > 1 or names[0] != "":
        method += f" ({int(valid.sum())} source(s) summed)"
    notes = ["rejected " + "; ".join(rejected)] if rejected else []
    thin = (
        [
            n
            for n, v, st in zip(
                names, valid, np.asarray(sub["period_status"].values).astype(str), strict=True
            )
            if v and st == "partial"
        ]
        if "period_status" in sub
        else []
    )
    if thin:  # a period total from too few overpasses is a value with a caveat, not "ok"
        from urbansat.temporal.totals import MIN_MONTHS, MIN_OVERPASSES

        notes.append(
            f"period total of source(s) {thin[:5]} from fewer than {MIN_OVERPASSES} "
            f"overpasses or {MIN_MONTHS} months (period_totals status 'partial')"
        )
    no_sigma = [n for n, v, u in zip(names, valid, unc, strict=True) if v and np.isnan(u)]
    if no_sigma:  # summed, but the sum's uncertainty is unknown (never 0)
        notes.append(f"uncertainty not available: no 1-sigma for source(s) {no_sigma[:5]}")
    return {
        "value": float(value[valid].sum()),
        "uncertainty": float(np.sqrt(np.sum(unc[valid] ** 2))),
        "status": "partial" if rejected or thin else "ok",
        "method": method,
        "note": "; ".join(notes),
        "n_obs": n_obs,
        "provenance": prov,
    }


def _change(a: dict[str, Any] | None, b: dict[str, Any], relative: bool) -> dict[str, Any]:
    if a is None:
        return {"status": "single_period", "note": "a change needs two periods"}
    if a["status"] not in VALUED or b["status"] not in VALUED:
        return {
            "status": "no_data",
            "note": f"periods have status {a['status']} and {b['status']}",
        }
    ua = a.get("uncertainty", math.nan)
    ub = b.get("uncertainty", math.nan)
    status = (
        "from_inventory"
        if "from_inventory" in (a["status"], b["status"])
        else ("partial" if "partial" in (a["status"], b["status"]) else "ok")
    )
    if not relative:
        return {
            "value": b["value"] - a["value"],
            "uncertainty": math.hypot(ua, ub),
            "status": status,
            "method": "difference of periods; independent uncertainties in quadrature",
        }
    if a["value"] == 0:
        return {"status": "no_data", "note": "relative change undefined: previous period is 0"}
    ratio = b["value"] / a["value"]
    # sigma(E2/E1) = hypot(u2 / E1, E2 u1 / E1^2): the same as |E2/E1| hypot(u1/E1, u2/E2)
    # but finite when E2 = 0 (a change to zero had a NaN sigma from 0 x inf)
    rel_u = math.hypot(ub / a["value"], b["value"] * ua / a["value"] ** 2)
    return {
        "value": 100.0 * (ratio - 1.0),
        "uncertainty": 100.0 * rel_u,
        "status": status,
        "method": "100 (E2/E1 - 1); first-order propagation, independent periods",
    }


def _unranged_factors(ds: xr.Dataset) -> list[str]:
    """Return the ``class.parameter`` factors without a range that account_sinks listed."""
    try:
        return list(json.loads(ds.attrs.get("unranged_factors", "[]")))
    except (TypeError, ValueError):
        return []


_AREA_NO_UNCERTAINTY = (
    "uncertainty not available: no map accuracy given; pass account_sinks(accuracy=<reference "
    "sample>) or area_uncertainty=<relative 1-sigma per category>"
)


def _no_uncertainty_note(ds: xr.Dataset) -> str:
    """Why a sink value has no uncertainty: the factors used without a range."""
    unranged = _unranged_factors(ds)
    if not unranged:
        return "uncertainty not available"
    return (
        "uncertainty not available: factors without a range in "
        f"{ds.attrs.get('factors', 'the table')} "
        f"({', '.join(unranged)}); supply low/high with FactorTable.override"
    )


def _partial_uncertainty_note(ds: xr.Dataset) -> str:
    """Note that the sink uncertainty leaves out factors without a range (unranged="exclude")."""
    unranged = _unranged_factors(ds)
    if not unranged:
        return ""
    return (
        "uncertainty is a lower bound: it leaves out the factors without a range "
        f"({', '.join(unranged)}) where they are used"
    )


def _empty_epochs(ds: xr.Dataset, bid: str) -> str:
    """Name the epochs ('start', 'end', 'start and end') with no valid pixel in the boundary.

    Read from the transition matrix (nodata rows and columns included, category ``nodata``)
    when the accounting has it, so that an epoch that is nodata inside the boundary is told
    apart from the other (whose valid pixels pair with nodata and so never reach a valid
    transition); else from the areas of the valid transitions.
    """
    if "unobserved_area" not in ds or "total" not in set(map(str, ds["category"].values)):
        return ""  # not an account_sinks output (no record of unobserved pixels)
    if "transition_area" in ds and {"category_start", "category_end"} <= set(ds.coords):
        tm = ds["transition_area"].sel(boundary=bid)
        valid = {
            "start": float(tm.where(ds["category_start"] != "nodata", 0.0).sum()),
            "end": float(tm.where(ds["category_end"] != "nodata", 0.0).sum()),
        }
        return " and ".join(k for k, v in valid.items() if not v > 0)
    tot = ds.sel(boundary=bid, category="total")
    empty = [
        k.split("_")[1] for k in ("area_start", "area_end") if k in tot and not float(tot[k]) > 0
    ]
    return " and ".join(empty)


def _sink_status(raw: str, value: float) -> tuple[str, str]:
    raw = raw.strip()
    if raw in ("", "ok"):
        return ("ok" if np.isfinite(value) else "no_data"), ""
    if raw in STATUSES:
        return raw, ""
    return ("ok" if np.isfinite(value) else "not_applicable"), f"sink status: {raw}"


def _observed_gases(observed_gases: Sequence[str] | str | None) -> set[str]:
    """Return the gases of ``observed_gases`` (lower case); an unknown name is refused.

    A misspelt gas (``"c02"``) used to be dropped without a word, so the gas the user meant
    became ``not_observable`` instead of ``no_data``.
    """
    if observed_gases is None:
        return set()
    if isinstance(observed_gases, str):
        observed_gases = [observed_gases]  # one gas, not its characters
    names = [str(g).strip().lower() for g in observed_gases]
    unknown = sorted({n for n in names if n not in GASES})
    if unknown:
        raise SchemaError(
            f"observed_gases names {unknown}, not gases of T/CI 231-2023 Table 1; use "
            f"{list(GASES)} (e.g. observed_gases=['co2', 'ch4'])."
        )
    return set(names)


def tci231_indicators(  # noqa: PLR0913 - keyword-only inputs of one table, as in the job TOML
    *,
    emissions: DataInput = None,
    concentrations: DataInput = None,
    sinks: DataInput = None,
    boundaries: gpd.GeoDataFrame,
    periods: PeriodInput,
    inventory: pd.DataFrame | None = None,
    observed_gases: Sequence[str] | None = None,
    boundary_periods: Mapping[str, Sequence[str]] | None = None,
    collapse: bool = True,
) -> pd.DataFrame:
    r"""Build every satellite row of T/CI 231-2023 Table 1 as a tidy table.

    Row A (atmosphere) is built for boundaries at levels region, county and
    park; row B (sinks) for region, county and project. Every (boundary,
    target, indicator quantity, period) appears once, also when there is no
    data: its ``status`` then says why and ``value`` is NaN (never 0).

    Equations (see ``spec/tci231_rows.csv`` for all rows):

    * total emission of boundary *b*: :math:`E_b = \sum_{s \in b} E_s`,
      :math:`u(E_b) = \sqrt{\sum_s u(E_s)^2}` over valid sources (``qa_reason == ""``)
      whose location is inside *b*; a source named like the boundary id is a
      boundary-scale estimate and takes precedence. Period amount
      :math:`E_b \cdot \Delta t` [t], :math:`\Delta t` the period length in years.
    * change between consecutive periods: :math:`E_2 - E_1`,
      :math:`u = \sqrt{u_1^2 + u_2^2}`; relative :math:`100 (E_2/E_1 - 1)` %,
      :math:`u = 100 |E_2/E_1| \sqrt{(u_1/E_1)^2 + (u_2/E_2)^2}`.
    * concentration: from :func:`boundary_concentrations` (column mean,
      background, enhancement, with 1-sigma uncertainties).
    * sinks: ``net_sink``, ``gross_removals``, ``gross_emissions``,
      ``stock_end``, ``stock_end - stock_start`` and areas, per category
      and total, from :func:`urbansat.account_sinks`.

    Parameters
    ----------
    emissions : xarray.Dataset, mapping period -> Dataset, or list, optional
        Output(s) of :func:`urbansat.estimate_emissions` (dim ``source``,
        attrs ``gas``); one dataset per (period, gas), or a ``period`` dim.
    concentrations : same forms, optional
        Output(s) of :func:`boundary_concentrations` (dim ``boundary``).
    sinks : xarray.Dataset, mapping period -> Dataset, or list, optional
        Output(s) of :func:`urbansat.account_sinks`. A single dataset without
        a ``period`` dim or attribute is assigned to the last period.
    boundaries : geopandas.GeoDataFrame
        ``boundary_id``, ``name``, ``level``, ``geometry`` (geometry needed to
        place point sources).
    periods : mapping label -> (start, end), or sequence of labels
        In chronological order.
    inventory : pandas.DataFrame, optional
        User inventory for gases no configured instrument observes: columns
        ``boundary_id``, ``gas``, ``period``, ``emission_t_per_yr`` (+
        ``emission_t_per_yr_uncertainty``, ``source``). Rows filled from it
        have status ``from_inventory``. Rows of one boundary, gas and period (its
        sectors) are summed, their uncertainties in quadrature (NaN when one is unknown);
        checked by :func:`urbansat.indicators.inventory.inventory_lookup`.
    observed_gases : sequence of str, optional
        Gases the configured instruments observe. Default: the gases present
        in ``emissions`` / ``concentrations``. A gas listed here but without
        data gets ``no_data``; a gas nobody observes gets ``not_observable``.
    boundary_periods : mapping boundary_id -> sequence of period labels, optional
        The periods tabulated for a boundary (default: all ``periods``). Give a boundary
        only the periods its data cover, so that no row is requested that nothing can
        fill (a change row needs two consecutive tabulated periods).
    collapse : bool, default True
        Collapse the rows that do not apply to a boundary (a gas no input covers, a sink
        category with no area at either epoch, a change with a single period) into one
        ``not_applicable`` row per boundary whose ``note`` lists them
        (:func:`urbansat.indicators.collapse.collapse_not_applicable`). ``False`` keeps
        every row.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TIDY_COLUMNS`; ``indicator`` is ``<indicator>.<quantity>``.

    Raises
    ------
    BoundaryError, SchemaError, MixedInputError
        On malformed inputs, naming the input and the fix.

    Warns
    -----
    UnusedInputWarning
        When a supplied emission or sink dataset falls outside every boundary or
        period of the table (its overpass outside its period, no source inside a
        boundary that tabulates its period, no boundary of the sink account in the table),
        so that it fills no row.

    See Also
    --------
    to_wide : pivot into the Table 1 layout.
    """
    collapse = require_flag("collapse", collapse)
    bnd = _check_boundaries(boundaries)
    years = period_years(periods)
    labels = list(years)
    if (
        isinstance(emissions, (list, tuple))
        and emissions
        and all(isinstance(d, xr.Dataset) and "overpass_time" in d.attrs for d in emissions)
    ):
        from urbansat.temporal.combine import (
            overpasses_by_period,
        )  # issue 17: period totals of overpasses

        emissions = [
            d.assign_attrs(period=k[0]) for k, d in overpasses_by_period(emissions, periods).items()
        ]
    em = _split(emissions, labels, "emissions")
    co = _split(concentrations, labels, "concentrations")
    sk = _split(sinks, labels, "sinks", need_gas=False)
    # boundary ids are matched as str (schema.boundaries.boundary_ids): an account of
    # boundaries with integer ids has an integer coordinate that .sel("1") cannot find
    sk = {
        k: v.assign_coords(boundary=v["boundary"].astype(str)) if "boundary" in v.coords else v
        for k, v in sk.items()
    }
    inv = inventory_lookup(inventory, bnd["boundary_id"].astype(str), labels)
    observed = {g for _, g in em} | {g for _, g in co} | _observed_gases(observed_gases)
    spec = indicator_spec()
    keys = dict(zip(spec["key"], spec["unit"], strict=True))
    placed = {key: _sources_in(ds, bnd) for key, ds in em.items()}
    tabulated = check_boundary_periods(boundary_periods, bnd, labels)
    warn_unused_inputs(em, sk, placed, tabulated, periods)
    atm = _AtmosphereInputs(years, em, co, placed, inv, observed, keys)
    rows: list[dict[str, Any]] = []
    for _, b in bnd.iterrows():
        bid = str(b["boundary_id"])
        mine = tabulated[bid]
        if b["level"] in ATMOSPHERE_SCOPES:
            for gas in GASES:
                rows.extend(_atmosphere_rows(b, bid, gas, mine, atm))
        if b["level"] in SINK_SCOPES:
            rows.extend(_sink_rows(b, bid, mine, sk, keys, sinks is None))
    table = require_indicator_table(pd.DataFrame(rows, columns=list(TIDY_COLUMNS)))
    return collapse_not_applicable(table) if collapse else table


@dataclass(frozen=True)
class _AtmosphereInputs:
    """What the atmosphere rows of every boundary are built from (one table's inputs)."""

    #: period label -> length [yr] (NaN when unknown)
    years: dict[str, float]
    #: (period, gas) -> emission estimate
    em: dict[tuple[str, str], xr.Dataset]
    #: (period, gas) -> boundary concentrations
    co: dict[tuple[str, str], xr.Dataset]
    #: (period, gas) -> boundary_id -> indices of the estimate's sources inside it
    placed: dict[tuple[str, str], dict[str, list[int]]]
    #: (boundary_id, gas, period) -> (value, 1-sigma, source) of the user inventory
    inv: dict[tuple[str, str, str], tuple[float, float, str]]
    #: gases the configured instruments observe
    observed: set[str]
    #: indicator key -> unit
    keys: dict[str, str]


def _atmosphere_rows(
    b: pd.Series, bid: str, gas: str, labels: list[str], atm: _AtmosphereInputs
) -> list[dict[str, Any]]:
    rows = []
    unit_c = _GAS_UNITS.get(gas, "")
    prev: dict[str, Any] | None = None
    for i, p in enumerate(labels):
        e = _emission_values(atm, bid, gas, p)
        rows.append(
            _row(
                b,
                "atmosphere",
                gas,
                "total_emission.emission_rate",
                p,
                unit=atm.keys["total_emission.emission_rate"],
                **e,
            )
        )
        amount = _amount_values(e, atm.years[p], p)
        rows.append(
            _row(b, "atmosphere", gas, "total_emission.emission_amount", p, unit="t", **amount)
        )
        # concentration
        c = atm.co.get((p, gas))
        for q in ("column_mean", "background", "enhancement"):
            kw = _concentration_values(c, bid, gas, q, observed=gas in atm.observed)
            rows.append(_row(b, "atmosphere", gas, f"concentration.{q}", p, unit=unit_c, **kw))
        # change
        label = p if prev is None else f"{labels[i - 1]}->{p}"
        if prev is not None or len(labels) == 1:
            for q, rel in (("absolute_change", False), ("relative_change", True)):
                kw = _change(prev, e, rel)
                if e["status"] == "not_observable":
                    kw = {"status": "not_observable", "note": e["note"]}
                rows.append(
                    _row(
                        b,
                        "atmosphere",
                        gas,
                        f"emission_change.{q}",
                        label,
                        unit=atm.keys[f"emission_change.{q}"],
                        **kw,
                    )
                )
        prev = e
    return rows


def _emission_values(atm: _AtmosphereInputs, bid: str, gas: str, p: str) -> dict[str, Any]:
    """Emission rate of a boundary: the estimate, else the user inventory, else not observable."""
    if gas in atm.observed:
        key = (p, gas)
        return _emission(atm.em.get(key), atm.placed.get(key, {}).get(bid, []))
    if (bid, gas, p) in atm.inv:
        v, u, src = atm.inv[(bid, gas, p)]
        return {
            "value": v,
            "uncertainty": u,
            "status": "from_inventory",
            "method": "user inventory",
            "note": "not observed by the configured instruments",
            "provenance": f"inventory: {src}",
        }
    return {
        "status": "not_observable",
        "note": f"no configured instrument observes {GASES[gas][0]}",
    }


def _amount_values(e: dict[str, Any], years: float, p: str) -> dict[str, Any]:
    """Emission amount [t] of period ``p`` (``years`` long) from its emission rate ``e``."""
    amount = dict(e)
    if e["status"] in VALUED:
        if np.isfinite(years):
            amount["value"] = e["value"] * years
            amount["uncertainty"] = e["uncertainty"] * years
            amount["method"] = f"{e['method']}; x {years:.4g} yr"
        else:
            amount = {
                "status": "no_data",
                "note": f"length of period {p!r} unknown; give (start, end)",
            }
    return amount


def _concentration_values(
    c: xr.Dataset | None, bid: str, gas: str, q: str, *, observed: bool
) -> dict[str, Any]:
    """Concentration quantity ``q`` of a boundary from :func:`boundary_concentrations` ``c``."""
    if not observed:
        return {
            "status": "not_observable",
            "note": f"no configured instrument observes {GASES[gas][0]}",
        }
    if c is None:
        return {
            "status": "no_data",
            "note": f"no {GASES[gas][0]} soundings for this period",
        }
    if bid not in set(map(str, c["boundary"].values)):
        return {"status": "no_data", "note": "boundary not in the concentration input"}
    cb = c.sel(boundary=bid)
    n = int(cb["n_obs"])
    v = float(cb[q])
    if n == 0 or not np.isfinite(v):
        return {
            "status": "no_data",
            "note": "no QA-passed sounding over the boundary",
            "n_obs": n,
        }
    return {
        "value": v,
        "uncertainty": float(cb[f"{q}_uncertainty"]),
        "status": "ok",
        "method": {
            "background": c.attrs.get("background_method", ""),
            "enhancement": "column_mean - background; uncertainties in quadrature",
        }.get(q, c.attrs.get("method", "")),
        "n_obs": int(cb["n_background"]) if q == "background" else n,
        "provenance": (f"{c.attrs.get('product', '')} {c.attrs.get('source_files', '')}").strip(),
    }


#: Sink indicator -> (variable, 1-sigma variable) of the account_sinks output.
_SINK_VARIABLES = {
    "total_sink.net_sink": ("net_sink", "net_sink_uncertainty"),
    "total_sink.gross_removals": ("gross_removals", "gross_removals_uncertainty"),
    "total_sink.gross_emissions": ("gross_emissions", "gross_emissions_uncertainty"),
    "total_sink.carbon_stock": ("stock_end", "stock_end_uncertainty"),
    "sink_change.stock_change": ("stock_change", "stock_change_uncertainty"),
    "resource_change.area_start": ("area_start", "area_start_uncertainty"),
    "resource_change.area_end": ("area_end", "area_end_uncertainty"),
    "resource_change.area_change": ("area_change", "area_change_uncertainty"),
}


def _sink_rows(
    b: pd.Series,
    bid: str,
    labels: list[str],
    sk: dict[tuple[str, str], xr.Dataset],
    keys: dict[str, str],
    absent: bool,
) -> list[dict[str, Any]]:
    rows = []
    for target in _SINK_TARGETS:
        prev: dict[str, Any] | None = None
        for i, p in enumerate(labels):
            ds = sk.get((p, "-"))
            here = (
                ds is not None
                and bid in set(map(str, ds["boundary"].values))
                and target in set(map(str, ds["category"].values))
            )
            net: dict[str, Any] = {"status": "no_data"}
            for ind, (var, uvar) in _SINK_VARIABLES.items():
                if ds is not None and here:
                    kw = _sink_values(ds, bid, target, ind, var, uvar)
                else:
                    kw = {"status": "no_data", "note": _no_sink_reason(ds, absent=absent)}
                if ind == "total_sink.net_sink":
                    net = kw
                rows.append(_row(b, "sink", target, ind, p, unit=keys[ind], **kw))
            label = p if prev is None else f"{labels[i - 1]}->{p}"
            if prev is not None or len(labels) == 1:
                rows.append(
                    _row(
                        b,
                        "sink",
                        target,
                        "sink_change.net_sink_change",
                        label,
                        unit=keys["sink_change.net_sink_change"],
                        **_change(prev, net, False),
                    )
                )
            prev = net
    return rows


def _no_sink_reason(ds: xr.Dataset | None, *, absent: bool) -> str:
    """Why a boundary and category has no sink value in a period."""
    if absent:
        return "no sink accounting given"
    if ds is None:
        return "no sink accounting for this period"
    return "boundary/category not in the sink accounting"


def _sink_values(
    ds: xr.Dataset, bid: str, target: str, ind: str, var: str, uvar: str
) -> dict[str, Any]:
    """Value, 1-sigma, status, method and note of sink indicator ``ind`` of a boundary, category."""
    cell = ds.sel(boundary=bid, category=target)
    if var == "stock_change" and var not in cell:  # an account cached before stock_change existed
        v = float(cell["stock_end"]) - float(cell["stock_start"])
    else:
        v = float(cell[var]) if var in cell else math.nan
    u = float(cell[uvar]) if uvar and uvar in cell else math.nan
    raw = str(cell["status"].values) if "status" in cell else ""
    status, note = _sink_status(raw, v)
    empty = _empty_epochs(ds, bid)
    if empty:  # nothing was there: never 0 +- 0 "ok" from an all-nodata epoch
        status, note = (
            "no_data",
            (
                f"no valid land-cover pixel in the boundary in the {empty} "
                f"epoch{'s' if ' and ' in empty else ''}"
            ),
        )
    method = str(ds.attrs.get("method", "land-cover change x carbon factors"))
    epochs = ds.attrs.get("epochs", ds.attrs.get("years", ""))
    if uvar and np.isfinite(v) and v != 0 and not np.isfinite(u):
        why = (
            _AREA_NO_UNCERTAINTY if ind.startswith("resource_change.") else _no_uncertainty_note(ds)
        )
        note = "; ".join(x for x in (note, why) if x)
    elif uvar and np.isfinite(u) and ds.attrs.get("unranged_policy") == "exclude":
        note = "; ".join(x for x in (note, _partial_uncertainty_note(ds)) if x)
    if ind == "total_sink.net_sink" and "npv" in cell:  # issue 18: InVEST valuation
        npv = f"NPV {float(cell['npv']):.6g} {ds['npv'].attrs.get('units', '')}"
        note = "; ".join(x for x in (note, f"{npv} ({ds.attrs.get('valuation', '')})") if x)
    kw: dict[str, Any] = {
        "value": v,
        "uncertainty": u,
        "status": status,
        "method": method,
        "note": note,
        "provenance": f"account_sinks epochs={epochs} factors={ds.attrs.get('factors', '')}",
    }
    if status in ("ok", "partial") and not np.isfinite(v):
        kw["status"] = "no_data"
    if kw["status"] not in VALUED:  # no value: nothing was computed, the note says why
        kw["method"] = ""
    return kw
