"""Numeric table columns as users hand them over: from spreadsheets, CSVs, pasted lists."""

from __future__ import annotations

import numpy as np
import pandas as pd

from urbansat.errors import SchemaError

__all__ = ["numeric_column"]


def numeric_column(
    df: pd.DataFrame, column: str, what: str, fix: str, *, by_label: bool = False
) -> np.ndarray:
    """Return ``df[column]`` as float64, refusing what is not a number.

    Blank cells (NaN, None, empty or whitespace text) stay NaN: a missing value the caller
    decides about. True/False, as a boolean column or a single cell of an object column, is
    refused (it would count as 1 or 0), and so is text that is not a number ("1,000", "abc"),
    which ``pandas.to_numeric(errors="coerce")`` would make a silent NaN.

    Parameters
    ----------
    df : pandas.DataFrame
        The table (not modified).
    column : str
        The column to read.
    what : str
        How the caller names the table in a message (``"estimates"``, ``"inventory"``).
    fix : str
        What the user should give instead, e.g. ``"t yr-1 of the gas"``.
    by_label : bool, default False
        Name a row by its index label (the caller's own row names) instead of its position.

    Returns
    -------
    numpy.ndarray of float64

    Raises
    ------
    SchemaError
        Naming the column, the first offending row and value, and ``fix``.
    """
    col = df[column]

    def row_name(position: int) -> str:
        if not by_label:
            return str(position)
        label = col.index[position]
        return repr(label) if isinstance(label, str) else str(label)

    if pd.api.types.is_bool_dtype(col):
        raise SchemaError(f"{what} column {column!r} holds True/False; give {fix}.")
    if col.dtype == object:
        flags = np.array([isinstance(v, (bool, np.bool_)) for v in col], dtype=bool)
        if flags.any():
            row = int(np.flatnonzero(flags)[0])
            raise SchemaError(
                f"{what} column {column!r} holds {col.iloc[row]!r} in row {row_name(row)}, "
                f"which would count as {int(col.iloc[row])}; give {fix}."
            )
    out = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    given = col.notna().to_numpy() & (col.astype(str).str.strip() != "").to_numpy()
    bad = given & np.isnan(out)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise SchemaError(
            f"{what} column {column!r} holds {col.iloc[row]!r} in row {row_name(row)}, which is "
            f"not a number ({int(bad.sum())} such cell(s)); give {fix}, or leave the cell blank."
        )
    return out
