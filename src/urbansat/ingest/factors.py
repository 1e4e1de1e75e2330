"""EDGE: read and write factor tables, legends and InVEST carbon-pools CSVs.

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

import pandas as pd

from urbansat.errors import FactorError, InputFileError, LegendError
from urbansat.sinks.factors import (
    FactorTable,
    as_factor_table,
    factor_table_from_frame,
    factor_table_from_invest,
    factor_table_to_invest,
)
from urbansat.sinks.legends import validate_legend

__all__ = [
    "read_factor_table",
    "write_factor_table",
    "read_invest_table",
    "write_invest_table",
    "read_legend",
]


def _read_csv(path: str | os.PathLike, what: str) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{what} file {str(p)!r} does not exist.")
    try:
        return pd.read_csv(p, comment="#", skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"{what} file {str(p)!r} is not a readable CSV: {exc}.") from exc


def _atomic_write_csv(df: pd.DataFrame, path: str | os.PathLike, header_lines: list[str] | None = None) -> Path:
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
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


def read_factor_table(path: str | os.PathLike, *, name: str | None = None, version: str = "user") -> FactorTable:
    """Read a long-format factor table CSV.

    Parameters
    ----------
    path : path-like
        CSV file.
    name : str, optional
        Table name (default: file stem).
    version : str
        Version label.

    Returns
    -------
    FactorTable

    Raises
    ------
    InputFileError
        File missing or unreadable.
    FactorError
        Content does not satisfy the factor schema (message names the file).
    """
    df = _read_csv(path, "Factor table")
    nm = name or Path(path).stem
    try:
        return factor_table_from_frame(df, name=nm, version=version)
    except FactorError as exc:
        raise FactorError(f"{path}: {exc}") from exc


def write_factor_table(table: FactorTable, path: str | os.PathLike) -> Path:
    """Write a factor table as long CSV (atomic)."""
    return _atomic_write_csv(table.data, path, [f"urbansat factor table {table.label}"])


def read_invest_table(path: str | os.PathLike, *, name: str | None = None) -> FactorTable:
    """Read an InVEST carbon-pools CSV (``lucode,c_above,c_below,c_soil,c_dead``).

    Parameters
    ----------
    path : path-like
        InVEST biophysical table.
    name : str, optional
        Table name (default: file stem).

    Returns
    -------
    FactorTable
        ``lucode``-keyed rows (they win over category rows when combined).

    Raises
    ------
    InputFileError, FactorError
    """
    df = _read_csv(path, "InVEST carbon pools table")
    nm = name or Path(path).stem
    try:
        return factor_table_from_invest(df, name=nm, source=f"InVEST carbon pools CSV {Path(path).name}")
    except FactorError as exc:
        raise FactorError(f"{path}: {exc}") from exc


def write_invest_table(factors, path: str | os.PathLike, *, legend: pd.DataFrame | None = None,
                       climate_zone: str | None = None) -> Path:
    """Write InVEST carbon pools (``lucode,LULC_name,c_above,c_below,c_soil,c_dead``) atomically.

    Parameters
    ----------
    factors : FactorTable, str or pandas.DataFrame
        A factor table (then ``legend`` gives the codes) or a ready InVEST DataFrame.
    path : path-like
        Output CSV.
    legend : pandas.DataFrame, optional
        Validated legend; required unless ``factors`` is already an InVEST frame.
    climate_zone : str, optional
        Zone of zone-specific rows.

    Returns
    -------
    pathlib.Path
    """
    if isinstance(factors, pd.DataFrame) and {"lucode", "c_above"} <= set(factors.columns):
        out = factors
    else:
        if legend is None:
            raise FactorError("write_invest_table needs legend= to know which land-cover codes to write.")
        out = factor_table_to_invest(as_factor_table(factors), legend, climate_zone=climate_zone)
    return _atomic_write_csv(out, path)


def read_legend(path: str | os.PathLike, *, name: str | None = None) -> pd.DataFrame:
    """Read a legend CSV (``code,name,category[,note]``) and validate it.

    Raises
    ------
    InputFileError, LegendError
    """
    df = _read_csv(path, "Legend")
    df.attrs["legend"] = name or Path(path).stem
    try:
        return validate_legend(df, name=df.attrs["legend"])
    except LegendError as exc:
        raise LegendError(f"{path}: {exc}") from exc
