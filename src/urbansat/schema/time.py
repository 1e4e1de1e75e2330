"""The one time rule: instants compare and are stored in UTC without a zone."""

from __future__ import annotations

import pandas as pd

__all__ = ["naive_utc"]


def naive_utc(t: pd.Timestamp) -> pd.Timestamp:
    """Return ``t`` in UTC without a zone (zoned and plain dates compare; numpy has no zones)."""
    return t if t.tzinfo is None else t.tz_convert("UTC").tz_localize(None)
