"""The period rule: the dates a period label names, and periods in date order without overlap.

One home for both consumers, :func:`urbansat.period_totals` (which needs every period's
dates) and :func:`urbansat.indicators.period_years` (which allows an undated label such as
``"baseline"`` and then has no length). Before 2026-12-07 the second knew only ``'YYYY'``:
a ``'2020-Q1'`` row had no emission amount and its order was not checked.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import pandas as pd

from urbansat.errors import SchemaError

__all__ = ["check_period_order", "dated_label_span"]

#: The months of a year, for a ``'YYYY-MM'`` label.
_MONTHS = range(1, 13)


def dated_label_span(label: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Return ``(start, end)`` (naive UTC, end exclusive) of a dated label, else None.

    Dated labels are ``'YYYY'`` (a calendar year), ``'YYYY-Qn'`` (a quarter, n = 1..4) and
    ``'YYYY-MM'`` (a month).

    Raises
    ------
    SchemaError
        A ``'YYYY-MM'`` label whose month is not 01-12.
    """
    if re.fullmatch(r"\d{4}", label):
        return pd.Timestamp(f"{label}-01-01"), pd.Timestamp(f"{int(label) + 1:04d}-01-01")
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", label):
        start = pd.Timestamp(f"{m[1]}-{3 * int(m[2]) - 2:02d}-01")
        return start, start + pd.DateOffset(months=3)
    if re.fullmatch(r"\d{4}-\d{2}", label):
        if int(label[5:]) not in _MONTHS:
            raise SchemaError(
                f"period label {label!r} has month {label[5:]}; a 'YYYY-MM' label needs a "
                "month 01-12."
            )
        start = pd.Timestamp(f"{label}-01")
        return start, start + pd.DateOffset(months=1)
    return None


def check_period_order(spans: Sequence[tuple[str, pd.Timestamp, pd.Timestamp]]) -> None:
    """Refuse periods out of date order or overlapping: changes run from each to the next.

    Parameters
    ----------
    spans : sequence of (label, start, end)
        The periods whose dates are known, in the order given (naive UTC, end exclusive).

    Raises
    ------
    SchemaError
        Given as 2021 then 2020, the change row was ``2021->2020`` with the sign reversed;
        two overlapping periods would count one overpass in both.
    """
    for (a, a0, a1), (b, b0, _) in itertools.pairwise(spans):
        if b0 < a0:
            raise SchemaError(
                f"period {b!r} (from {b0}) comes after {a!r} (from {a0}) but starts before it; "
                "list the periods in date order: each change indicator runs from one period "
                "to the next."
            )
        if b0 < a1:
            raise SchemaError(
                f"periods {a!r} ({a0} to {a1}) and {b!r} (from {b0}) overlap; an overpass "
                "would count in both. Give periods that do not overlap (end exclusive)."
            )
