"""PURE: which rows of the indicator table apply to a boundary; one summary of those that do not.

Table 1 has 6 gases x 7 atmosphere quantities and 12 sink targets x 9 sink quantities per
boundary and period, but a boundary rarely has all of them: no instrument of the job may
see a gas there, a sink category may have no area inside the boundary, a change needs two
periods. :func:`collapse_not_applicable` replaces those rows by **one** row per boundary
with status ``not_applicable`` whose ``note`` lists every collapsed row group and why;
``tci231_indicators(..., collapse=False)`` keeps them all.

A row group does not apply to a boundary when

* **atmosphere, one gas**: every row of the gas is ``not_observable``, or every row says
  that no input covers the boundary (no estimate, source or sounding of the gas in the
  boundary's periods). Rows where data were there and gave nothing (``rejected``, "no
  QA-passed sounding over the boundary", a source with no valid sounding near it) stay;
* **sink, one category**: no sink account covers the boundary, or the category has 0 ha
  at both epochs in every period (its numbers are all 0); an epoch that is nodata inside
  the boundary stays (``no_data``, naming the epoch);
* **a change row** with status ``single_period``: only one period is tabulated for the
  boundary, so there is nothing to compare;
* **any other** ``not_observable`` **row** (e.g. the concentration of a gas whose emission
  comes from the inventory).

:func:`check_boundary_periods` checks the ``boundary_periods`` argument and
:func:`warn_unused_inputs` warns when a supplied emission or sink dataset fills no row.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from urbansat.errors import BoundaryError, UnusedInputWarning
from urbansat.indicators.tables import _SUMMARY_KEY, _SUMMARY_SUBJECT
from urbansat.schema.results import require_indicator_table
from urbansat.status import VALUED, Status

__all__ = [
    "SUMMARY_INDICATOR",
    "SUMMARY_SUBJECT",
    "SUMMARY_TARGET",
    "check_boundary_periods",
    "collapse_not_applicable",
    "warn_unused_inputs",
]

#: ``subject``, ``target`` and ``indicator`` of the one summary row per boundary.
SUMMARY_SUBJECT: str = _SUMMARY_SUBJECT
SUMMARY_TARGET = "not_applicable"
SUMMARY_INDICATOR = ".".join(_SUMMARY_KEY)

_KEEP_STATUSES = ("rejected", "partial")

#: ``note`` of the ``no_data`` rows that :func:`urbansat.tci231_indicators` writes when no
#: input covers the boundary at all (as opposed to data that were there and gave nothing,
#: e.g. "no QA-passed sounding over the boundary" or an epoch that is nodata inside it).
_UNCOVERED = re.compile(
    r"no emission estimate for this period and gas|no estimated source inside the boundary"
    r"|no \w+ soundings for this period|boundary not in the concentration input"
    r"|no sink accounting given|no sink accounting for this period"
    r"|boundary/category not in the sink accounting|periods have status .*"
)


def _uncovered(block: pd.DataFrame) -> bool:
    """Whether every row of ``block`` says that no input covers it (or does not apply)."""
    status, note = block["status"], block["note"].fillna("").astype(str)
    nothing = (status == Status.NO_DATA) & note.map(lambda m: bool(_UNCOVERED.fullmatch(m)))
    return bool((nothing | status.isin((Status.NOT_OBSERVABLE, Status.SINGLE_PERIOD))).all())


def _atmosphere_reason(block: pd.DataFrame) -> str | None:
    status = block["status"]
    if (status == Status.NOT_OBSERVABLE).all():
        return "no configured instrument observes the gas and the inventory has no value"
    if _uncovered(block):
        return "no sounding, estimated source or inventory value covers the boundary"
    return None


def _sink_reason(block: pd.DataFrame) -> str | None:
    if _uncovered(block):
        return "no sink account covers the boundary"
    if not block["status"].isin([*VALUED, Status.SINGLE_PERIOD]).all():
        return None
    valued = block[block["status"].isin(VALUED)]
    area = valued[
        valued["indicator"].isin(("resource_change.area_start", "resource_change.area_end"))
    ]
    if len(area) and (area["value"] == 0).all() and (valued["value"] == 0).all():
        return "0 ha of the category in the boundary at both land-cover epochs"
    return None


def collapse_not_applicable(table: pd.DataFrame) -> pd.DataFrame:
    """Replace the rows that do not apply to a boundary by one ``not_applicable`` row.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy indicator table (:data:`urbansat.indicators.TIDY_COLUMNS`), e.g. from
        ``tci231_indicators(..., collapse=False)``.

    Returns
    -------
    pandas.DataFrame
        The rows that apply, in their order, and after each boundary's rows one row
        with ``subject`` ``"summary"``, ``target`` ``"not_applicable"``, ``indicator``
        ``"not_applicable.rows"``, the boundary's first period, status
        ``not_applicable``, an empty ``method`` and a ``note`` that counts the collapsed
        rows and lists them by group with the reason. A boundary where every row applies gets none.

    Examples
    --------
    >>> import pandas as pd
    >>> from urbansat.schema import require_indicator_table
    >>> rows = [
    ...     dict(
    ...         boundary_id="b",
    ...         name="B",
    ...         level="region",
    ...         subject="atmosphere",
    ...         target=g,
    ...         indicator="total_emission.emission_rate",
    ...         period="2020",
    ...         value=v,
    ...         unit="t yr-1",
    ...         uncertainty=u,
    ...         method="",
    ...         note="",
    ...         status=s,
    ...         n_obs=pd.NA,
    ...         provenance="",
    ...     )
    ...     for g, v, u, s in [("co2", 5.0, 1.0, "ok"), ("sf6", None, None, "not_observable")]
    ... ]
    >>> out = collapse_not_applicable(require_indicator_table(pd.DataFrame(rows)))
    >>> list(out["target"]), list(out["status"])
    (['co2', 'not_applicable'], ['ok', 'not_applicable'])
    """
    tidy = require_indicator_table(table)
    if tidy.empty:
        return tidy
    drop = np.zeros(len(tidy), dtype=bool)
    groups: dict[str, dict[tuple[str, str], list[str]]] = {}
    for (bid, subject, target), block in tidy.groupby(
        ["boundary_id", "subject", "target"], sort=False
    ):
        if subject == "atmosphere":
            why = _atmosphere_reason(block)
        elif subject == "sink":
            why = _sink_reason(block)
        else:
            why = None
        if why is not None:
            drop[block.index] = True
            groups.setdefault(str(bid), {}).setdefault((str(subject), why), []).append(str(target))
    for status, what, why in (
        (Status.NOT_OBSERVABLE, "atmosphere", "no configured instrument observes the quantity"),
        (Status.SINGLE_PERIOD, "change", "one period tabulated for the boundary"),
    ):
        rows = (tidy["status"] == status).to_numpy() & ~drop
        for bid, block in tidy[rows].groupby("boundary_id", sort=False):
            names = list(dict.fromkeys(block["target"] + " " + block["indicator"]))
            groups.setdefault(str(bid), {})[(what, why)] = names
        drop |= rows
    if not drop.any():
        return tidy
    counts = pd.Series(drop, index=tidy.index).groupby(tidy["boundary_id"], sort=False).sum()
    out = []
    for bid, block in tidy.groupby("boundary_id", sort=False):
        keep = block[~drop[block.index]]
        out.append(keep)
        if str(bid) not in groups:
            continue
        first = block.iloc[0]
        parts = [
            f"{subject} {', '.join(targets)}: {why}"
            for (subject, why), targets in groups[str(bid)].items()
        ]
        summary = {
            "boundary_id": str(bid),
            "name": first["name"],
            "level": first["level"],
            "subject": SUMMARY_SUBJECT,
            "target": SUMMARY_TARGET,
            "indicator": SUMMARY_INDICATOR,
            "period": str(first["period"]),
            "value": math.nan,
            "unit": "",
            "uncertainty": math.nan,
            "method": "",
            "note": (
                f"{int(counts[bid])} rows do not apply to this boundary and are collapsed "
                "(tci231_indicators(..., collapse=False) keeps them): " + "; ".join(parts)
            ),
            "status": Status.NOT_APPLICABLE.value,
            "n_obs": pd.NA,
            "provenance": "",
        }
        out.append(pd.DataFrame([summary]))
    return require_indicator_table(pd.concat(out, ignore_index=True))


def check_boundary_periods(
    boundary_periods: Mapping[str, Sequence[str]] | None,
    boundaries: pd.DataFrame,
    labels: list[str],
) -> dict[str, list[str]]:
    """Return boundary_id -> tabulated period labels (in the order of ``labels``).

    Raises
    ------
    BoundaryError
        When ``boundary_periods`` names a boundary that is not in ``boundaries``, a
        period that is not among ``labels`` or no period at all.
    """
    ids = boundaries["boundary_id"].astype(str).tolist()
    if boundary_periods is None:
        return {b: list(labels) for b in ids}
    if not isinstance(boundary_periods, Mapping):
        raise BoundaryError(
            "boundary_periods must be a mapping boundary_id -> list of period labels, got "
            f"{type(boundary_periods).__name__}; e.g. boundary_periods={{'berlin': ['2015']}}."
        )
    unknown = sorted(set(map(str, boundary_periods)) - set(ids))
    if unknown:
        raise BoundaryError(
            f"boundary_periods names boundaries {unknown} that are not in boundaries "
            f"({ids[:10]}); use their boundary_id."
        )
    out = {}
    for b in ids:
        want = boundary_periods.get(b, labels)
        want = [want] if isinstance(want, str) else [str(p) for p in want]
        bad = [p for p in want if p not in labels]
        if bad or not want:
            raise BoundaryError(
                f"boundary_periods[{b!r}] = {want!r}: "
                + (f"periods {bad} are not among periods {labels}" if bad else "no period given")
                + "; give labels of periods=."
            )
        out[b] = [p for p in labels if p in want]
    return out


def _overpass_outside(ds: xr.Dataset, span: Any) -> str:
    """Return the overpass time when it lies outside ``span`` = (start, end), else ''."""
    t = ds.attrs.get("overpass_time")
    if t is None or span is None:
        return ""
    try:
        when, (start, end) = pd.Timestamp(str(t)), (pd.Timestamp(s) for s in span)
    except (TypeError, ValueError):
        return ""
    return "" if start <= when < end else str(when)


def warn_unused_inputs(
    emissions: Mapping[tuple[str, str], xr.Dataset],
    sinks: Mapping[tuple[str, str], xr.Dataset],
    placed: Mapping[tuple[str, str], Mapping[str, list[int]]],
    tabulated: Mapping[str, list[str]],
    periods: Any,
) -> None:
    """Warn (:class:`urbansat.errors.UnusedInputWarning`) for every dataset that fills no row.

    Parameters
    ----------
    emissions, sinks : mapping (period, gas) -> Dataset
        The inputs of :func:`urbansat.tci231_indicators` split by period (gas ``"-"`` for sinks).
    placed : mapping (period, gas) -> {boundary_id: source indices}
        Sources of each emission dataset inside each boundary.
    tabulated : mapping boundary_id -> period labels
        The periods tabulated for each boundary.
    periods : mapping label -> (start, end), or sequence of labels
        The table's periods (dates, when given, are checked against ``attrs["overpass_time"]``).
    """
    spans = periods if isinstance(periods, Mapping) else {}
    for (p, gas), ds in emissions.items():
        when = _overpass_outside(ds, spans.get(p))
        if when:
            warnings.warn(
                f"emissions of {gas} observed at {when} (attrs overpass_time) were given for "
                f"period {p!r} = {tuple(map(str, spans[p]))}, which does not hold the overpass; "
                "pass emissions={label: dataset} with the period of the overpass.",
                UnusedInputWarning,
                stacklevel=3,
            )
            continue
        inside = [b for b, idx in placed.get((p, gas), {}).items() if idx and p in tabulated[b]]
        if not inside and ds.sizes.get("source", 0):
            srcs = [str(s) for s in ds["source"].values][:5]
            warnings.warn(
                f"emissions of {gas} for period {p!r} (sources {srcs}) lie outside every boundary "
                f"that tabulates period {p!r}, so they fill no row; check the source locations, "
                "the boundaries and boundary_periods.",
                UnusedInputWarning,
                stacklevel=3,
            )
    for (p, _), ds in sinks.items():
        ids = [str(b) for b in ds["boundary"].values] if "boundary" in ds.dims else []
        if not any(b in tabulated and p in tabulated[b] for b in ids):
            warnings.warn(
                f"sinks for period {p!r} account boundaries {ids[:5]}, none of which is a "
                f"boundary of the table that tabulates period {p!r}, so they fill no row; pass "
                "the boundaries given to account_sinks, or sinks={label: dataset} for the right "
                "period.",
                UnusedInputWarning,
                stacklevel=3,
            )
