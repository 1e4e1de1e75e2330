"""EDGE: read and write factor tables, legends and InVEST carbon-pools CSVs.

Readers return :class:`pandas.DataFrame` objects (``attrs["name"]`` = file stem) and
check only the file-level shape (columns present, CSV readable); the factor and
legend schemas are validated by :mod:`urbansat.sinks` when the frames are used
(``account_sinks(factors=df)`` / ``urbansat.sinks.factors.as_factor_table(df)``),
since ingest does not import the accounting core.

File formats
------------
* Long factor table CSV (``#`` comment lines allowed): ``category`` or ``lucode``,
  ``climate_zone``, ``parameter``, ``value``, ``low``, ``high``, ``unit``, ``source``,
  ``table``, ``tag``, ``note`` (see :mod:`urbansat.sinks.factors`).
* Legend CSV: ``code, name, category[, note]``.
* InVEST carbon pools CSV: ``lucode, c_above, c_below, c_soil, c_dead`` (+ optional
  ``LULC_name``), pools in t C ha-1 (InVEST >= 3.15).

Writers are atomic (temporary file in the same directory + :func:`os.replace`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from urbansat.errors import FactorError, LegendError
from urbansat.ingest.tables import read_csv_table

if TYPE_CHECKING:
    from urbansat.sinks.factors import FactorTable

__all__ = [
    "INVEST_COLUMNS",
    "read_factor_table",
    "read_invest_table",
    "read_legend",
    "write_factor_table",
    "write_invest_table",
]

#: Columns of an InVEST carbon-pools (biophysical) table.
INVEST_COLUMNS: tuple[str, ...] = ("lucode", "c_above", "c_below", "c_soil", "c_dead")


def _read_csv(path: str | os.PathLike[str], what: str) -> pd.DataFrame:
    return read_csv_table(path, what)


def _atomic_write_csv(
    df: pd.DataFrame, path: str | os.PathLike[str], header_lines: list[str] | None = None
) -> Path:
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            for line in header_lines or []:
                fh.write(f"# {line}\n")
            df.to_csv(fh, index=False, lineterminator="\n")
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return p


def read_factor_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a long-format factor table CSV.

    Parameters
    ----------
    path : path-like
        CSV file.

    Returns
    -------
    pandas.DataFrame
        Rows as in the file; ``attrs["name"]`` is the file stem. Pass it to
        ``account_sinks(factors=...)`` or ``FactorTable.override``.

    Raises
    ------
    InputFileError
        File missing or unreadable.
    FactorError
        If ``parameter``/``value`` or both key columns are missing (names the file).
    """
    df = _read_csv(path, "Factor table")
    if not {"parameter", "value"} <= set(df.columns) or not (
        {"category", "lucode"} & set(df.columns)
    ):
        raise FactorError(
            f"Factor table {str(path)!r} needs columns 'parameter', 'value' and 'category' or "
            "'lucode' "
            f"(long format); got {list(df.columns)}. For an InVEST pools table use "
            "read_invest_table()."
        )
    return df


def write_factor_table(table: FactorTable | pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a factor table (``FactorTable`` or long DataFrame) as CSV, atomically."""
    if isinstance(table, pd.DataFrame):
        df, label = table, str(table.attrs.get("name", "user"))
    else:
        df, label = table.data, table.label
    return _atomic_write_csv(df, path, [f"urbansat factor table {label}"])


def read_invest_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read an InVEST carbon-pools CSV (``lucode,c_above,c_below,c_soil,c_dead``).

    Parameters
    ----------
    path : path-like
        InVEST biophysical table (column names are case-insensitive).

    Returns
    -------
    pandas.DataFrame
        Lower-cased columns; pass it as ``factors=`` (it is recognised by its ``lucode``
        column and converted with ``factor_table_from_invest``).

    Raises
    ------
    InputFileError, FactorError
    """
    df = _read_csv(path, "InVEST carbon pools table")
    lowered = [c.lower() for c in df.columns]
    repeated = sorted({c for c in lowered if lowered.count(c) > 1})
    if repeated:  # "C_above" and "c_above": one would shadow the other
        raise FactorError(
            f"InVEST carbon-pools table {str(path)!r} has the column(s) {repeated} more than "
            "once (names are case-insensitive); keep one of each."
        )
    df.columns = lowered
    missing = [c for c in INVEST_COLUMNS if c not in df.columns]
    if missing:
        raise FactorError(
            f"InVEST carbon-pools table {str(path)!r} lacks column(s) {missing}; expected "
            f"'lucode,c_above,c_below,c_soil,c_dead' (got {list(df.columns)})."
        )
    return df


def write_invest_table(pools: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write InVEST carbon pools atomically.

    Parameters
    ----------
    pools : pandas.DataFrame
        ``lucode, c_above, c_below, c_soil, c_dead`` (+ ``LULC_name``), e.g. from
        ``urbansat.sinks.factors.factor_table_to_invest(table, legend, climate_zone=...)``.
    path : path-like
        Output CSV.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FactorError
        If a column is missing or a pool is empty (InVEST needs every pool of every code).
    """
    missing = [c for c in INVEST_COLUMNS if c not in pools.columns]
    if missing:
        raise FactorError(f"Cannot write an InVEST table without column(s) {missing}.")
    empty = pools[list(INVEST_COLUMNS[1:])].isna().any(axis=1)
    if empty.any():
        raise FactorError(
            f"InVEST pools are empty for lucode(s) {pools.loc[empty, 'lucode'].tolist()}; "
            "fill them before writing."
        )
    cols = ["lucode", *(["LULC_name"] if "LULC_name" in pools.columns else []), *INVEST_COLUMNS[1:]]
    return _atomic_write_csv(pools[cols], path)


def read_legend(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a legend CSV (``code,name,category[,note]``).

    Returns
    -------
    pandas.DataFrame
        ``attrs["legend"]`` is the file stem; pass it as ``legend=`` (categories are
        validated by urbansat.sinks).

    Raises
    ------
    InputFileError, LegendError
    """
    df = _read_csv(path, "Legend")
    if not {"code", "category"} <= set(df.columns):
        raise LegendError(
            f"Legend {str(path)!r} needs columns 'code' and 'category' (+ 'name'); "
            f"got {list(df.columns)}."
        )
    df.attrs["legend"] = Path(path).stem
    return df
