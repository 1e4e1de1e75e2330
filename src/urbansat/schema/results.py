"""Contracts of the three results urbansat hands on: emission result, sink result, indicator table.

One ``require_*`` function per product, called at every public entry point that takes the
product (``docs/architecture.md``, contracts C4-C6):

* **emission result** (C4, :func:`urbansat.estimate_emissions`): an ``xarray.Dataset`` on
  dimension ``source`` with ``emission_t_per_yr`` and ``emission_t_per_yr_uncertainty``
  (1 sigma) in ``t yr-1``, optionally ``qa_reason`` (empty for a valid estimate) and the
  budget ``emission_uncertainty_term`` along :data:`TERM_DIM`; several methods lie along
  :data:`METHOD_DIM`. Consumers of one estimate per source ask for ``single_method``.
* **sink result** (C5, :func:`urbansat.account_sinks`): a Dataset on dimensions
  ``boundary`` x ``category`` with ``net_sink`` and the areas ``area_start`` / ``area_end``.
* **indicator table** (C6, :func:`urbansat.tci231_indicators`): a DataFrame with exactly the
  columns :data:`TIDY_COLUMNS`; ``status`` from :class:`urbansat.status.Status`; ``value`` is
  finite exactly when the status carries one (:data:`urbansat.status.VALUED`).

Each function returns the product (the indicator table re-typed, a new frame) or raises a
:class:`~urbansat.errors.SchemaError` naming the input, what is wrong and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import pandas as pd
import xarray as xr

from urbansat.errors import SchemaError
from urbansat.status import MEANINGS, VALUED

__all__ = [
    "EMISSION_VARIABLES",
    "METHOD_DIM",
    "SINK_DIMS",
    "SINK_VARIABLES",
    "TERM_DIM",
    "TIDY_COLUMNS",
    "require_emission_result",
    "require_indicator_table",
    "require_sink_result",
    "require_tidy_columns",
]

#: Dimension of :func:`urbansat.estimate_emissions` output when several methods are asked for.
METHOD_DIM: Final = "inversion_method"
#: Dimension of the uncertainty budget terms (``emission_uncertainty_term``).
TERM_DIM: Final = "term"
#: Variables every emission result carries on dimension ``source`` [t yr-1].
EMISSION_VARIABLES: Final = ("emission_t_per_yr", "emission_t_per_yr_uncertainty")
#: Dimensions of a sink result.
SINK_DIMS: Final = ("boundary", "category")
#: Variables every sink result carries on :data:`SINK_DIMS`.
SINK_VARIABLES: Final = ("net_sink", "area_start", "area_end")

#: Columns of the tidy indicator table, in order. ``indicator`` is
#: ``<Table 1 indicator>.<quantity>`` (e.g. ``total_emission.emission_rate``).
#: ``method`` says only how the value was computed (method name, aggregation, scaling to
#: the period, uncertainty model) and is empty when there is no value; ``note`` says why a
#: value is missing, rejected or partial, carries caveats such as "uncertainty not
#: available: ..." and, in a ``not_applicable`` row, lists the collapsed rows.
TIDY_COLUMNS: Final[tuple[str, ...]] = (
    "boundary_id",
    "name",
    "level",
    "subject",
    "target",
    "indicator",
    "period",
    "value",
    "unit",
    "uncertainty",
    "method",
    "note",
    "status",
    "n_obs",
    "provenance",
)

_STATUSES: Final = frozenset(s.value for s in MEANINGS)
_TABLE_KEY: Final = ["boundary_id", "subject", "target", "indicator", "period"]


def _require_dataset(obj: Any, what: str, producer: str) -> xr.Dataset:
    if not isinstance(obj, xr.Dataset):
        raise SchemaError(
            f"{what} is a {type(obj).__name__}, expected the xarray.Dataset that {producer} "
            "returns."
        )
    return obj


def _missing(ds: xr.Dataset, names: tuple[str, ...], dims: tuple[str, ...]) -> list[str]:
    """Names of ``names`` absent from ``ds`` or not laid out on every one of ``dims``."""
    return [n for n in names if n not in ds.variables or not set(dims) <= set(ds[n].dims)]


def require_emission_result(
    obj: Any, what: str = "emissions", *, single_method: bool = True
) -> xr.Dataset:
    """Check an emission result (contract C4) and return it unchanged.

    Parameters
    ----------
    obj : xarray.Dataset
        Output of :func:`urbansat.estimate_emissions` (or its cached copy).
    what : str
        How the caller names the input in an error, e.g. ``"estimates"``.
    single_method : bool, default True
        Refuse a result with several methods (a :data:`METHOD_DIM` dimension): consumers of
        one estimate per source (indicators, validation, period totals) need one.

    Returns
    -------
    xarray.Dataset
        ``obj`` itself.

    Raises
    ------
    SchemaError
        Naming ``what``, the problem and the fix: not a Dataset, several methods (with the
        selection that picks one), no ``source`` dimension, or a missing emission variable.

    Examples
    --------
    >>> import xarray as xr
    >>> ds = xr.Dataset(
    ...     {v: ("source", [1.0e6], {"units": "t yr-1"}) for v in EMISSION_VARIABLES},
    ...     coords={"source": ["plant"]},
    ... )
    >>> require_emission_result(ds) is ds
    True
    >>> require_emission_result(ds.expand_dims(inversion_method=["ime", "csf"]))
    Traceback (most recent call last):
    ...
    urbansat.errors.SchemaError: emissions holds 2 methods (dimension 'inversion_method': ...
    """
    ds = _require_dataset(obj, what, "urbansat.estimate_emissions")
    if single_method and METHOD_DIM in ds.dims:
        methods = [str(m) for m in ds[METHOD_DIM].values]
        raise SchemaError(
            f"{what} holds {len(methods)} methods (dimension {METHOD_DIM!r}: {methods}); it "
            f"takes one estimate per source. Select one, e.g. "
            f"ds.sel({METHOD_DIM}={methods[0]!r})."
        )
    if "source" not in ds.dims:
        raise SchemaError(
            f"{what} has no 'source' dimension (dims {list(ds.dims)}); pass the Dataset "
            "urbansat.estimate_emissions returns (one entry per source)."
        )
    missing = _missing(ds, EMISSION_VARIABLES, ("source",))
    if missing:
        raise SchemaError(
            f"{what} lacks {missing} on dimension 'source'; an emission result carries "
            f"{list(EMISSION_VARIABLES)} [t yr-1], as urbansat.estimate_emissions writes them."
        )
    return ds


def require_sink_result(obj: Any, what: str = "sinks") -> xr.Dataset:
    """Check a sink result (contract C5) and return it unchanged.

    Parameters
    ----------
    obj : xarray.Dataset
        Output of :func:`urbansat.account_sinks` (or its cached copy).
    what : str
        How the caller names the input in an error.

    Returns
    -------
    xarray.Dataset
        ``obj`` itself.

    Raises
    ------
    SchemaError
        Not a Dataset, a missing ``boundary`` or ``category`` dimension, or a missing
        :data:`SINK_VARIABLES` variable; the message names the fix.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset(
    ...     {v: (SINK_DIMS, np.zeros((1, 1))) for v in SINK_VARIABLES},
    ...     coords={"boundary": ["b1"], "category": ["forest"]},
    ... )
    >>> require_sink_result(ds) is ds
    True
    """
    ds = _require_dataset(obj, what, "urbansat.account_sinks")
    lacking = [d for d in SINK_DIMS if d not in ds.dims]
    if lacking:
        raise SchemaError(
            f"{what} has no {lacking} dimension(s) (dims {list(ds.dims)}); pass the Dataset "
            "urbansat.account_sinks returns (boundary x category)."
        )
    missing = _missing(ds, SINK_VARIABLES, SINK_DIMS)
    if missing:
        raise SchemaError(
            f"{what} lacks {missing} on dimensions {list(SINK_DIMS)}; a sink result carries "
            f"{list(SINK_VARIABLES)}, as urbansat.account_sinks writes them."
        )
    if "boundary" in ds.indexes and ds.indexes["boundary"].has_duplicates:
        twice = ds.indexes["boundary"][ds.indexes["boundary"].duplicated()].unique().tolist()
        raise SchemaError(
            f"{what} holds boundary {twice[:5]} more than once (e.g. two accounts joined with "
            "xr.concat); each boundary once: account them together, or select one "
            "(ds.isel(boundary=...))."
        )
    return ds


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    df = df.loc[:, list(TIDY_COLUMNS)].copy()
    for col in ("value", "uncertainty"):
        df[col] = pd.to_numeric(df[col], errors="raise").astype("float64")
    # pandas-stubs defect: the "Int64" overloads of pd.array omit Series, which pandas accepts
    df["n_obs"] = pd.array(df["n_obs"], dtype="Int64")  # type: ignore[call-overload]
    for col in TIDY_COLUMNS:
        if col not in ("value", "uncertainty", "n_obs"):
            df[col] = df[col].astype("string")
    return df.reset_index(drop=True)


def require_tidy_columns(
    df: Any, what: str = "indicator table", columns: Sequence[str] = TIDY_COLUMNS
) -> pd.DataFrame:
    """Return ``df`` itself once it is a DataFrame holding ``columns`` (no copy, no re-typing).

    The cheap first half of :func:`require_indicator_table`, for readers of an already
    checked table (the report draws one figure per boundary and period from it).

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    what : str
        How the caller names the input in an error.
    columns : sequence of str
        The columns the caller reads; default all of :data:`TIDY_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        ``df``, unchanged.

    Raises
    ------
    SchemaError
        Not a DataFrame, or a column of ``columns`` is missing.
    """
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(
            f"{what} is a {type(df).__name__}, expected the pandas.DataFrame that "
            "urbansat.tci231_indicators returns."
        )
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{what} lacks columns {missing}; build it with urbansat.tci231_indicators(...) or "
            "add the columns."
        )
    return df


def require_indicator_table(df: Any, what: str = "indicator table") -> pd.DataFrame:
    """Check a tidy indicator table (contract C6) and return it with canonical dtypes.

    Parameters
    ----------
    df : pandas.DataFrame
        A table with the columns of :data:`TIDY_COLUMNS`. A table written before the
        ``note`` column (its reasons still in ``method``) gets an empty ``note``.
    what : str
        How the caller names the input in an error.

    Returns
    -------
    pandas.DataFrame
        A new, re-typed table (the input is not modified).

    Raises
    ------
    SchemaError
        Listing every problem: not a DataFrame, missing columns, unknown statuses, values
        present where the status says none or missing where it says one, duplicated rows.
    """
    if isinstance(df, pd.DataFrame) and "note" not in df.columns and "method" in df.columns:
        # a table written before the note column: its reasons are still in ``method``
        df = df.assign(note="")
    out = _typed(require_tidy_columns(df, what))
    problems: list[str] = []
    bad = sorted(set(out["status"].dropna()) - _STATUSES)
    if bad:
        problems.append(f"unknown status values {bad}; allowed: {sorted(_STATUSES)}")
    valued = out["status"].isin(VALUED)
    holes = out[valued & out["value"].isna()]
    if len(holes):
        r = holes.iloc[0]
        problems.append(
            f"{len(holes)} rows have status ok/partial/from_inventory but no value, e.g. "
            f"{r.boundary_id}/{r.target}/{r.indicator}/{r.period}"
        )
    extra = out[~valued & out["value"].notna()]
    if len(extra):
        r = extra.iloc[0]
        problems.append(
            f"{len(extra)} rows carry a value but status {r.status!r}, e.g. "
            f"{r.boundary_id}/{r.target}/{r.indicator}/{r.period}"
        )
    dup = out.duplicated(_TABLE_KEY)
    if dup.any():
        problems.append(f"{int(dup.sum())} duplicated rows on {_TABLE_KEY}")
    if problems:
        raise SchemaError(f"invalid {what}:\n  - " + "\n  - ".join(problems))
    return out
