"""Carbon-sink accounting of T/CI 231 Table 1 row B.

:func:`account_sinks` and :func:`account_transitions` (:mod:`urbansat.sinks.account`) turn
two land-cover epochs and boundaries into per-boundary areas, transitions, stocks and the
annual net sink with its interval; the equations and sign convention are in
:mod:`urbansat.sinks.accounting`. :func:`carbon_maps` (:mod:`urbansat.sinks.maps`) gives
the per-pixel storage, change and NPV maps (written by
:func:`urbansat.export.rasters.write_carbon_maps`); :func:`error_adjusted_areas`
(:mod:`urbansat.sinks.accuracy`) the Olofsson et al. (2014) error-adjusted areas;
:class:`Valuation` (:mod:`urbansat.sinks.valuation`) InVEST's NPV.
"""

from __future__ import annotations

from urbansat.sinks.account import SIGN_CONVENTION, account_sinks, account_transitions
from urbansat.sinks.accuracy import (
    error_adjusted_areas,
    sample_counts_from_points,
    sample_map_classes,
    transition_map_areas,
)
from urbansat.sinks.maps import carbon_maps
from urbansat.sinks.valuation import Valuation, valuation_constant

__all__ = [
    "SIGN_CONVENTION",
    "Valuation",
    "account_sinks",
    "account_transitions",
    "carbon_maps",
    "error_adjusted_areas",
    "sample_counts_from_points",
    "sample_map_classes",
    "transition_map_areas",
    "valuation_constant",
]
