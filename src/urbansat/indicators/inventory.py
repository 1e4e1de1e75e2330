r"""PURE: the user inventory of :func:`urbansat.tci231_indicators`, checked and summed.

Rows of one (boundary, gas, period) are the sectors of that boundary's inventory and are
summed, their 1-sigma uncertainties in quadrature:

.. math::

    E_{b,g,p} = \sum_k E_k, \qquad u(E_{b,g,p}) = \sqrt{\sum_k u(E_k)^2}

The uncertainty is NaN (unknown) as soon as one row has none: a sector without an
uncertainty does not have a zero one. Refused with :class:`~urbansat.errors.SchemaError`:
a table that is not a DataFrame or lacks columns, emissions that are blank, text or
True/False (text was summed as text: ``"12" + "3"`` became 123), negative or infinite
(as :func:`urbansat.ingest.inventory.read_inventory` refuses them), negative, infinite or
non-numeric uncertainties, a gas that is not one of Table 1, and a repeated row (one boundary, gas,
period and ``sector`` when that column is given, else equal in every column), which would
count twice. Rows for a boundary or period
that the table does not hold fill no row and are warned about
(:class:`~urbansat.errors.UnusedInputWarning`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import cast

import numpy as np
import pandas as pd

from urbansat.categories import GASES
from urbansat.errors import SchemaError, UnusedInputWarning
from urbansat.schema.columns import numeric_column

__all__ = ["inventory_lookup"]

_NEED = ("boundary_id", "gas", "period", "emission_t_per_yr")


def _numbers(inv: pd.DataFrame, column: str) -> np.ndarray:
    """``inv[column]`` as float; True/False and text that is not a number are refused."""
    return numeric_column(
        inv, column, "inventory", "t yr-1 of the gas (an uncertainty may be left blank: unknown)"
    )


def inventory_lookup(
    inventory: pd.DataFrame | None, boundary_ids: Iterable[str], periods: Iterable[str]
) -> dict[tuple[str, str, str], tuple[float, float, str]]:
    """Return ``(boundary_id, gas, period) -> (value, 1-sigma, source)`` of a user inventory.

    Parameters
    ----------
    inventory : pandas.DataFrame or None
        Columns ``boundary_id``, ``gas``, ``period``, ``emission_t_per_yr`` [t yr-1]
        (+ optional ``emission_t_per_yr_uncertainty`` [t yr-1], ``source``, ``sector``).
    boundary_ids, periods : iterable of str
        The boundaries and period labels of the table (rows for others are warned about).

    Returns
    -------
    dict
        Sums per key (module docstring); empty without an inventory.

    Raises
    ------
    SchemaError
        As listed in the module docstring, naming the column, row and fix.

    Warns
    -----
    UnusedInputWarning
        Rows whose boundary or period is not in the table.
    """
    if inventory is None:
        return {}
    if not isinstance(inventory, pd.DataFrame):
        raise SchemaError(
            f"inventory must be a pandas.DataFrame with columns {list(_NEED)}; got "
            f"{type(inventory).__name__}. Read a file with urbansat.ingest.inventory."
            "read_inventory(path)."
        )
    missing = [c for c in _NEED if c not in inventory.columns]
    if missing:
        raise SchemaError(
            f"inventory lacks columns {missing}; it needs boundary_id, gas, period, "
            "emission_t_per_yr (+ optional emission_t_per_yr_uncertainty, source)."
        )
    inv = pd.DataFrame(
        {
            "boundary_id": inventory["boundary_id"].astype(str).to_numpy(),
            "gas": inventory["gas"].astype(str).str.strip().str.lower().to_numpy(),
            "period": inventory["period"].astype(str).to_numpy(),
            "value": _numbers(inventory, "emission_t_per_yr"),
            "sigma": _numbers(inventory, "emission_t_per_yr_uncertainty")
            if "emission_t_per_yr_uncertainty" in inventory
            else np.nan,
            "source": inventory["source"].astype(str).to_numpy()
            if "source" in inventory
            else "user inventory",
            "sector": inventory["sector"].astype(str).to_numpy() if "sector" in inventory else "",
        }
    )
    blank = np.isnan(inv["value"].to_numpy())
    if blank.any():  # was summed as 0: a zero emission nobody reported
        rows = np.flatnonzero(blank)[:5].tolist()
        raise SchemaError(
            f"inventory rows {rows} have no emission_t_per_yr; give the value or drop the rows "
            "(a blank is not a zero)."
        )
    val = inv["value"].to_numpy()
    bad = ~np.isfinite(val) | (val < 0)
    if bad.any():  # as read_inventory: an emission is finite and >= 0
        rows = np.flatnonzero(bad)[:5].tolist()
        raise SchemaError(
            f"inventory rows {rows} have emission_t_per_yr {val[bad][:5].tolist()}: an "
            "emission is a finite number >= 0 (t yr-1); fix or drop the rows (an infinity is "
            "usually a division by zero in the spreadsheet; a removal is a sink, not an "
            "emission)."
        )
    sig = inv["sigma"].to_numpy()
    if np.isinf(sig).any():
        raise SchemaError(
            f"inventory rows {np.flatnonzero(np.isinf(sig))[:5].tolist()} have an infinite "
            "emission_t_per_yr_uncertainty; give a finite 1-sigma (t yr-1) or leave it blank "
            "(unknown)."
        )
    negative = sig < 0
    if negative.any():
        raise SchemaError(
            f"inventory rows {np.flatnonzero(negative)[:5].tolist()} have a negative "
            "emission_t_per_yr_uncertainty; a 1-sigma uncertainty is >= 0 (t yr-1)."
        )
    unknown = sorted(set(inv["gas"]) - set(GASES))
    if unknown:  # a misspelt 'n20' filled nothing: N2O stayed not_observable
        raise SchemaError(
            f"inventory names gas(es) {unknown}, not gases of T/CI 231-2023 Table 1; use "
            f"{list(GASES)}."
        )
    # with sectors, one row per sector; without, a row equal in every column is a repeat
    key = ["boundary_id", "gas", "period"] + (
        ["sector"] if "sector" in inventory else ["value", "sigma", "source"]
    )
    dup = inv.duplicated(subset=key, keep=False)
    if dup.any():
        shown = inv.loc[dup, key].drop_duplicates().head(3).to_dict("records")
        raise SchemaError(
            f"inventory repeats rows ({shown}; same {', '.join(key)}): they would be added "
            "twice. Keep one row per sector, or give each row its 'sector'."
        )
    ids, labels = set(map(str, boundary_ids)), set(map(str, periods))
    unused = inv[~inv["boundary_id"].isin(ids) | ~inv["period"].isin(labels)]
    if len(unused):
        warnings.warn(
            f"{len(unused)} inventory row(s) name a boundary or period the table does not hold "
            f"(e.g. {unused[['boundary_id', 'period']].head(3).to_dict('records')}; boundaries "
            f"{sorted(ids)[:5]}, periods {sorted(labels)}), so they fill no row.",
            UnusedInputWarning,
            stacklevel=3,
        )
    agg = inv.groupby(["boundary_id", "gas", "period"]).agg(
        value=("value", "sum"),
        # unknown as soon as one sector's uncertainty is (NaN is not skipped as a zero)
        u2=("sigma", lambda s: float(np.sum(np.square(s.to_numpy(float))))),
        source=("source", lambda s: ",".join(sorted(set(s)))),
    )
    # grouped by three columns, so every index key is a (boundary_id, gas, period) tuple
    return {
        cast(tuple[str, str, str], k): (float(r.value), math.sqrt(r.u2), r.source)
        for k, r in agg.iterrows()
    }
