"""CSV tables that users write by hand or export from a spreadsheet.

Sources lists, inventories and factor tables come from Excel or LibreOffice as often as from
code, and a spreadsheet's CSV is not always pandas' default: a UTF-8 byte-order mark before
the first column name (Excel's "CSV UTF-8" writes one: the column ``name`` then reads as
``"<BOM>name"``), semicolons as the delimiter (locales whose decimal separator is a comma),
tabs, spaces after the delimiters, or a legacy encoding such as GBK for Chinese place names.
:func:`read_csv_table` reads the first four as meant and refuses the last with the fix, so
that a table is never read as one wide column or with mangled names.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from urbansat.errors import InputFileError
from urbansat.schema.files import check_input_file

__all__ = ["read_csv_table", "read_sources"]

#: delimiters recognised in a table's header line, in order of preference
_DELIMITERS = (",", ";", "\t")


def _not_utf8(path: Path, what: str, err: UnicodeDecodeError) -> InputFileError:
    return InputFileError(
        f"{what} file '{path}' is not UTF-8 text ({err.reason} at byte {err.start} of a "
        "block); save it as UTF-8 (Excel: 'CSV UTF-8'; LibreOffice: character set "
        "'Unicode (UTF-8)')."
    )


def _delimiter(path: Path, what: str) -> str:
    """Return the delimiter of the first line that is neither blank nor a ``#`` comment."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line in fh:
                if line.strip() and not line.lstrip().startswith("#"):
                    counts = {d: line.count(d) for d in _DELIMITERS}
                    best = max(_DELIMITERS, key=lambda d: counts[d])
                    return best if counts[best] > 0 else ","
    except UnicodeDecodeError as err:
        raise _not_utf8(path, what, err) from None
    raise InputFileError(
        f"{what} file '{path}' has no header line (only blank or # comment lines); the first "
        "other line must name the columns."
    )


def _decimal_commas(df: pd.DataFrame, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read the decimal-comma columns of a ``;``-separated table as numbers.

    In such a file a field ``13,4077`` can only be a number written with a decimal comma
    (the convention of the locales that separate with ``;``). A column converts when every
    value is such a number and at least one has the comma; any other column (text, or plain
    integers such as ids ``001``) is left as it is, to be refused by whoever needs numbers.
    """
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if c in keep or pd.api.types.is_numeric_dtype(col):
            continue
        vals = col.dropna().astype(str).str.strip()
        # at least one comma: a column of plain integers (ids such as "001") stays text
        if (
            len(vals)
            and vals.str.contains(",", regex=False).any()
            and vals.str.fullmatch(r"[-+]?\d+(,\d+)?([eE][-+]?\d+)?").all()
        ):
            out[c] = pd.to_numeric(
                col.astype(str).str.strip().str.replace(",", ".", regex=False).where(col.notna())
            )
    return out


def _check_unique_header(p: Path, what: str, sep: str) -> None:
    """Refuse a header that names a column twice (pandas would rename one ``name.1``)."""
    head = pd.read_csv(
        p, comment="#", sep=sep, header=None, nrows=1, dtype=str, encoding="utf-8-sig"
    )
    names = [str(v).strip() for v in head.iloc[0] if isinstance(v, str) and v.strip()]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:  # the second column would be ignored, or taken for another one, silently
        raise InputFileError(
            f"{what} file '{p}' names the column(s) {repeated} more than once in its header; "
            "keep one column of each name (delete or rename the others)."
        )


def read_csv_table(
    path: str | os.PathLike[str], what: str = "Table", *, text: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Read a CSV table as a spreadsheet user means it.

    ``#`` lines are comments; a UTF-8 byte-order mark is dropped; the delimiter is the one
    of ``,``, ``;`` and tab that the header line uses most; spaces around names, after
    delimiters and around text values are dropped; in a ``;``-separated table, columns of
    decimal-comma numbers (``13,4077``) are read as numbers.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file (checked by :func:`urbansat.schema.files.check_input_file`).
    what : str, default "Table"
        What the table is, for messages (``"Sources"``, ``"Inventory"`` ...).
    text : tuple of str, optional
        Columns read as text whatever they hold (names and ids: ``001`` stays ``"001"``,
        where pandas would read the number 1).

    Returns
    -------
    pandas.DataFrame
        With ``attrs["source_file"]`` (the path) and ``attrs["name"]`` (its stem).

    Raises
    ------
    InputFileError
        Not a regular readable file, not UTF-8, no header line, or not parseable as CSV
        (the parser's message is quoted); each names the file and the fix.
    """
    p = check_input_file(path, what)
    sep = _delimiter(p, what)
    try:
        df = pd.read_csv(
            p,
            comment="#",
            sep=sep,
            skipinitialspace=True,
            encoding="utf-8-sig",
            dtype=dict.fromkeys(text, str),
        )
    except UnicodeDecodeError as err:  # beyond the block the header was decoded from
        raise _not_utf8(p, what, err) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputFileError(
            f"{what} file '{p}' is not a readable CSV ({str(err).strip()}); check that every "
            f"row has as many {sep!r}-separated fields as the header."
        ) from None
    _check_unique_header(p, what, sep)
    df.columns = [str(c).strip() for c in df.columns]
    for c in df.columns:
        if not pd.api.types.is_numeric_dtype(df[c]):
            df[c] = df[c].where(df[c].isna(), df[c].astype(str).str.strip())
    if sep == ";":
        df = _decimal_commas(df, keep=text)
    df.attrs["name"] = p.stem
    df.attrs["source_file"] = str(p)
    return df


def read_sources(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a sources table for :func:`urbansat.estimate_emissions` (``sources=``).

    Columns ``name``, ``longitude``, ``latitude`` [deg] and optionally ``diameter_km``,
    ``type``, ``prior_emission`` [kg s-1]; they are checked row by row when the inversion
    runs. Read with :func:`read_csv_table` (comments, byte-order mark, ``;`` or tab).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InputFileError
        As :func:`read_csv_table`, or the file has a header but no source row.
    """
    df = read_csv_table(path, "Sources", text=("name", "type"))
    if not len(df):
        # estimate_emissions then spoke of its sources= argument, not of the file
        raise InputFileError(
            f"Sources file {os.fspath(path)!r} has a header ({', '.join(map(str, df.columns))}) "
            "but no source row; add one row per source (name, longitude, latitude [deg])."
        )
    return df
