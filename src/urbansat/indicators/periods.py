"""Periods of an indicator table: labels ('2020', '2020-Q1') or (start, end) dates.

Also their length in years.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from urbansat.constants import SECONDS_PER_YEAR
from urbansat.errors import SchemaError
from urbansat.schema.periods import check_period_order, dated_label_span
from urbansat.schema.time import naive_utc

__all__ = ["PeriodInput", "period_years"]

#: Length of a (start, end) pair, the mistake of passing one period without its label.
_SPAN_LENGTH = 2

PeriodInput = Mapping[str, Any] | Sequence[str]

#: A Julian year (365.25 d), the year of every rate [t yr-1].
_JULIAN_YEAR = pd.Timedelta(seconds=SECONDS_PER_YEAR)


def _is_date(value: Any) -> bool:
    """Return True for a full calendar date (``2020-01-01``...) or a Timestamp, not a label."""
    return isinstance(value, pd.Timestamp) or bool(
        re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", str(value))
    )


def period_years(periods: PeriodInput) -> dict[str, float]:
    """Length of each period in (Julian) years.

    Parameters
    ----------
    periods : mapping of label -> (start, end), or sequence of labels
        Labels ``'YYYY'``, ``'YYYY-Qn'`` and ``'YYYY-MM'`` without dates count as the
        dates they name (``"2020"``: 366 days of 365.25, as ``("2020-01-01",
        "2021-01-01")`` does; :func:`urbansat.schema.periods.dated_label_span`);
        ``(start, end)`` are anything :func:`pandas.Timestamp` parses, ``end`` exclusive.
        Other labels (``"baseline"``) have no length.

    Returns
    -------
    dict
        label -> years, NaN when the length is unknown.
    """
    out: dict[str, float] = {}
    if isinstance(periods, (str, int)):
        periods = [str(periods)]  # one label, not its characters
    if (
        not isinstance(periods, Mapping)
        and len(periods) == _SPAN_LENGTH
        and all(_is_date(p) for p in periods)
    ):
        raise SchemaError(
            f"periods={tuple(periods)!r} looks like one (start, end) pair, but a sequence is read "
            "as period "
            f"labels. Name the period: periods={{'{str(periods[0])[:4]}': "
            f"{tuple(map(str, periods))!r}}}."
        )
    items = periods.items() if isinstance(periods, Mapping) else ((p, None) for p in periods)
    spans: list[tuple[str, pd.Timestamp, pd.Timestamp]] = []  # the periods whose dates are known
    for key, span in items:
        label = str(key)
        if span is not None:
            try:
                start, end = (pd.Timestamp(s) for s in span)
            except (TypeError, ValueError) as err:
                raise SchemaError(
                    f"period {label!r} = {span!r} is not a (start, end) pair of dates ({err}); "
                    "give e.g. "
                    f"{{'{label}': ('2020-01-01', '2021-01-01')}} with end exclusive."
                ) from err
            if end <= start:
                raise SchemaError(
                    f"period {label!r} ends ({end}) at or before its start ({start}); give (start, "
                    "end) with end after start."
                )
            out[label] = (end - start) / _JULIAN_YEAR
            spans.append((label, naive_utc(start), naive_utc(end)))
        elif (dated := dated_label_span(label)) is not None:
            # its calendar days, as the dated (f"{label}-01-01", f"{label+1}-01-01") counts
            # them: 1.0 made "2015" 0.07 % longer than the same year given with dates
            start, end = dated
            out[label] = (end - start) / _JULIAN_YEAR
            spans.append((label, start, end))
        else:
            out[label] = math.nan
    if not out:
        raise SchemaError(
            "periods is empty; give at least one period label, e.g. periods=['2020']."
        )
    check_period_order(spans)
    return out
