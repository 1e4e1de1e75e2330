"""The T/CI 231-2023 Table 1 (satellite part) indicator table.

:func:`tci231_indicators` (:mod:`urbansat.indicators.build`) turns emission estimates,
per-boundary concentrations (:func:`boundary_concentrations`) and sink accounts into one
tidy table with every row of Table 1 for every boundary and period; :func:`to_wide`
pivots it into the standard's layout with Chinese and English names.
"""

from __future__ import annotations

from urbansat.indicators.build import tci231_indicators
from urbansat.indicators.concentration import boundary_concentrations
from urbansat.indicators.periods import period_years
from urbansat.indicators.tables import (
    STATUSES,
    TIDY_COLUMNS,
    indicator_spec,
    to_wide,
)

__all__ = [
    "STATUSES",
    "TIDY_COLUMNS",
    "boundary_concentrations",
    "indicator_spec",
    "period_years",
    "tci231_indicators",
    "to_wide",
]
