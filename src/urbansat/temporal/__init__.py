"""Period totals from sparse overpasses: temporal profiles, robust estimator, budget (issue 17)."""

from __future__ import annotations

from urbansat.temporal.profiles import (
    TemporalProfile,
    get_profile,
    list_profiles,
    read_profile_table,
)
from urbansat.temporal.totals import period_totals

__all__ = ["TemporalProfile", "get_profile", "list_profiles", "period_totals", "read_profile_table"]
