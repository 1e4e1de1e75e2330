"""Tidy (long) and wide layouts of the T/CI 231-2023 Table 1 indicator table.

The rows of Table 1 (satellite part) are described once, in the package data
file ``urbansat/indicators/spec/tci231_rows.csv`` (subject, indicator,
quantity, English and Chinese names, unit, source variable, aggregation).
Targets (gases, sink categories) and indicator names come from
:mod:`urbansat.categories`.

The tidy table has exactly the columns of :data:`TIDY_COLUMNS`, one row per
(boundary, subject, target, indicator quantity, period).
"""

from __future__ import annotations

import csv
import importlib.resources
from functools import lru_cache
from typing import Final

import numpy as np
import pandas as pd

from urbansat.categories import ATMOSPHERE_INDICATORS, GASES, SINK_CATEGORIES, SINK_INDICATORS
from urbansat.schema.results import TIDY_COLUMNS, require_indicator_table
from urbansat.status import MEANINGS, VALUED

__all__ = [
    "STATUSES",
    "SUBJECTS",
    "TIDY_COLUMNS",
    "empty_table",
    "indicator_spec",
    "target_names",
    "to_wide",
]

#: Row statuses and what they mean (from :mod:`urbansat.status`, the one list).
#: ``value`` is NaN exactly when the status is not in :data:`urbansat.status.VALUED`.
STATUSES: Final[dict[str, str]] = {s.value: m for s, m in MEANINGS.items()}

#: Subjects of Table 1: key -> (English, Chinese).
SUBJECTS: Final[dict[str, tuple[str, str]]] = {
    "atmosphere": ("urban atmosphere", "城市大气"),
    "sink": ("urban carbon sink", "城市碳汇"),
}

_VALUED: Final = VALUED

#: The summary row of the rows that do not apply (``indicators.collapse``): keys and names.
_SUMMARY_SUBJECT: Final = "summary"
_SUMMARY_KEY: Final = ("not_applicable", "rows")
_SUMMARY_NAMES: Final = ("rows that do not apply to the boundary", "不适用于该边界的指标")


@lru_cache(maxsize=1)
def indicator_spec() -> pd.DataFrame:
    """Return the indicator-row specification of Table 1 (satellite part).

    Returns
    -------
    pandas.DataFrame
        One row per indicator quantity with columns ``id`` (Table 1 row A/B, indicator
        number, quantity number, e.g. ``A1.1``), ``subject``, ``indicator``,
        ``quantity``, ``name_en``, ``name_zh``, ``unit``, ``source_variable``,
        ``aggregation``, ``note``, and ``key`` = ``indicator.quantity``.
        ``unit`` ``ppm|ppb|ppt`` is the mole-fraction unit of the gas (CO2 ppm; CH4, N2O
        ppb; SF6, HFCs, PFCs ppt).
    """
    ref = importlib.resources.files("urbansat.indicators") / "spec" / "tci231_rows.csv"
    with ref.open("r", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    spec = pd.DataFrame(rows)
    spec["key"] = spec["indicator"] + "." + spec["quantity"]
    return spec.copy()


def target_names(subject: str, target: str) -> tuple[str, str]:
    """Return the (English, Chinese) names of a gas or sink category.

    Parameters
    ----------
    subject : {"atmosphere", "sink"}
    target : str
        A key of :data:`urbansat.categories.GASES` or
        :data:`urbansat.categories.SINK_CATEGORIES`, or ``"total"``.
    """
    if subject == "atmosphere":
        return GASES[target]
    if target == "total":
        return ("total of the 11 categories", "11类合计")
    return SINK_CATEGORIES[target]


def empty_table() -> pd.DataFrame:
    """Return an empty tidy table with the right columns and dtypes."""
    return require_indicator_table(pd.DataFrame({c: [] for c in TIDY_COLUMNS}))


def to_wide(df: pd.DataFrame, *, value: str = "value") -> pd.DataFrame:
    """Pivot a tidy table into the layout of T/CI 231 Table 1.

    Rows follow the standard: subject, target, indicator, quantity (with
    their Chinese and English names) and unit; columns are
    ``(boundary name [boundary_id], period)``.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy table (:data:`TIDY_COLUMNS`).
    value : {"value", "uncertainty", "status", "cell"}, default "value"
        What each cell holds. ``"cell"`` is a display string
        ``"value ± uncertainty"`` or the status when there is no value; the boundaries'
        ``not_applicable`` summary rows
        (:func:`urbansat.indicators.collapse.collapse_not_applicable`) are the last row,
        their cells the list of collapsed rows.

    Returns
    -------
    pandas.DataFrame
        Index levels ``subject_zh, subject_en, target_zh, target_en,
        indicator_zh, indicator_en, quantity_zh, quantity_en, unit``;
        column levels ``boundary, period``.
    """
    tidy = require_indicator_table(df)
    if value not in ("value", "uncertainty", "status", "cell"):
        raise ValueError(f"value={value!r} is not one of 'value', 'uncertainty', 'status', 'cell'")
    spec = indicator_spec().set_index("key")
    rows = tidy.copy()
    if value == "cell":
        rows["cell"] = [
            m if subj == _SUMMARY_SUBJECT else _cell(v, u, s)
            for v, u, s, m, subj in zip(
                rows["value"],
                rows["uncertainty"],
                rows["status"],
                rows["note"],
                rows["subject"],
                strict=False,
            )
        ]
    ind = rows["indicator"].str.split(".", n=1, expand=True)
    inds = {**ATMOSPHERE_INDICATORS, **SINK_INDICATORS, _SUMMARY_KEY[0]: _SUMMARY_NAMES}
    subjects = {**SUBJECTS, _SUMMARY_SUBJECT: _SUMMARY_NAMES}
    rows["subject_en"] = rows["subject"].map(lambda s: subjects[s][0])
    rows["subject_zh"] = rows["subject"].map(lambda s: subjects[s][1])
    names = [
        _SUMMARY_NAMES if s == _SUMMARY_SUBJECT else target_names(s, t)
        for s, t in zip(rows["subject"], rows["target"], strict=False)
    ]
    rows["target_en"] = [n[0] for n in names]
    rows["target_zh"] = [n[1] for n in names]
    rows["indicator_en"] = ind[0].map(lambda k: inds[k][0])
    rows["indicator_zh"] = ind[0].map(lambda k: inds[k][1])
    quantity = {k: (r["name_en"], r["name_zh"]) for k, r in spec.iterrows()}
    quantity[".".join(_SUMMARY_KEY)] = _SUMMARY_NAMES
    rows["quantity_en"] = rows["indicator"].map(lambda k: quantity[k][0])
    rows["quantity_zh"] = rows["indicator"].map(lambda k: quantity[k][1])
    rows["boundary"] = rows["name"].fillna("") + " [" + rows["boundary_id"] + "]"
    index = [
        "subject_zh",
        "subject_en",
        "target_zh",
        "target_en",
        "indicator_zh",
        "indicator_en",
        "quantity_zh",
        "quantity_en",
        "unit",
    ]
    order = {k: i for i, k in enumerate(_row_order(rows))}
    rows["_order"] = [
        order[(s, t, i)]
        for s, t, i in zip(rows["subject"], rows["target"], rows["indicator"], strict=False)
    ]
    index_order = rows.drop_duplicates(index).sort_values("_order")[index]
    wide = rows.set_index([*index, "boundary", "period"])[value].unstack(["boundary", "period"])
    wide = wide.reindex(pd.MultiIndex.from_frame(index_order))
    return wide


def _row_order(rows: pd.DataFrame) -> list[tuple[str, str, str]]:
    spec_keys = list(indicator_spec()["key"])
    targets = {"atmosphere": list(GASES), "sink": [*SINK_CATEGORIES, "total"]}
    out = []
    for subject in ("atmosphere", "sink"):
        for target in targets[subject]:
            for key in spec_keys:
                out.append((subject, target, key))
    present = set(zip(rows["subject"], rows["target"], rows["indicator"], strict=False))
    return [k for k in out if k in present] + sorted(present - set(out))


def _cell(v: float, u: float, status: str) -> str:
    if status not in _VALUED or not np.isfinite(v):
        return str(status)
    text = f"{v:.4g}" if np.isfinite(u) is False or not np.isfinite(u) else f"{v:.4g} ± {u:.2g}"
    return text + (" (inventory)" if status == "from_inventory" else "")
