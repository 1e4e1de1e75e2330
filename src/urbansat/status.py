"""Statuses of a result row and what each one means: the one list, used everywhere.

Every row of the indicator table (and every per-boundary result behind it) has a
``status``. Exactly the statuses in :data:`VALUED` carry a value; for every
other status ``value`` and ``uncertainty`` are NaN, never a zero. The three
ways of having no number are kept apart, because they ask for different actions:

* ``no_data`` - nothing was there: no sounding in the boundary's box, a land-cover
  epoch that is nodata inside the boundary, no source placed in it;
* ``not_observable`` - the configured instruments do not measure this quantity
  (e.g. CH4 with a CO2-only mission): more data of the same kind cannot help;
* ``rejected`` - data were there, but every estimate failed quality control; the
  row's ``note`` gives the reason (``qa_reason`` of each source).

Two statuses say that a row does not apply rather than that a number is missing:
``single_period`` (a change with one period) and ``not_applicable``. In the indicator
table (``tci231_indicators(collapse=True)``, the default) the rows that do not apply to a
boundary - a gas no input covers, a sink category with 0 ha at both epochs, a change with a
single period - are collapsed into **one** ``not_applicable`` row per boundary whose
``note`` lists them (:mod:`urbansat.indicators.collapse`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = ["MEANINGS", "VALUED", "Status", "carries_value"]


class Status(StrEnum):
    """Status of a result row (a ``str``: ``Status.OK == "ok"``)."""

    OK = "ok"
    PARTIAL = "partial"
    FROM_INVENTORY = "from_inventory"
    NOT_OBSERVABLE = "not_observable"
    NO_DATA = "no_data"
    REJECTED = "rejected"
    SINGLE_PERIOD = "single_period"
    NOT_APPLICABLE = "not_applicable"

    @property
    def meaning(self) -> str:
        """One sentence: what this status says about the row."""
        return MEANINGS[self]

    @property
    def carries_value(self) -> bool:
        """Whether a row with this status has a (finite) value."""
        return self.value in VALUED


#: What each status means (shown in the report's legend).
MEANINGS: Final[dict[Status, str]] = {
    Status.OK: "estimated from satellite data",
    Status.PARTIAL: (
        "estimated, but some sources in the boundary were rejected or a period total rests "
        "on few overpasses (see note)"
    ),
    Status.FROM_INVENTORY: (
        "not observed by the configured instruments; value from the user inventory"
    ),
    Status.NOT_OBSERVABLE: "no configured instrument observes this quantity",
    Status.NO_DATA: "nothing to estimate from: no valid observation for this boundary and period",
    Status.REJECTED: (
        "data were there, but every estimate failed quality control (reason in note)"
    ),
    Status.SINGLE_PERIOD: "a change needs two periods; only one was given",
    Status.NOT_APPLICABLE: (
        "does not apply to this boundary (no input covers the gas, the category has no area, "
        "a change has one period); the summary row lists the rows collapsed into it"
    ),
}

#: The statuses whose rows carry a value (plain strings, for ``Series.isin``).
VALUED: Final[tuple[str, ...]] = (
    Status.OK.value,
    Status.PARTIAL.value,
    Status.FROM_INVENTORY.value,
)


def carries_value(status: str) -> bool:
    """Return whether rows with ``status`` carry a value.

    Parameters
    ----------
    status : str
        A status string or :class:`Status`.

    Returns
    -------
    bool

    Examples
    --------
    >>> carries_value("partial"), carries_value("no_data")
    (True, False)
    """
    return str(status) in VALUED
