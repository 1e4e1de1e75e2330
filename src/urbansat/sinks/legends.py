"""Land-cover legends: native class code -> T/CI 231 sink category or non-sink class.

A legend is a :class:`pandas.DataFrame` indexed by the integer native ``code``
with columns ``name`` (producer's class name), ``category`` (a key of
:data:`urbansat.categories.SINK_CATEGORIES` or of
:data:`urbansat.categories.NON_SINK_CLASSES`) and ``note``; its ``attrs`` carry
``legend`` (the legend's name, e.g. ``"worldcover_v1"``). The packaged legends live
in ``urbansat/data/legends/<product>_v<N>.csv`` and are read with
:mod:`importlib.resources` (package data, not user files).
"""

from __future__ import annotations

import importlib.resources
import io
from collections.abc import Hashable, Iterable, Mapping

import numpy as np
import pandas as pd

from urbansat.categories import (
    LANDCOVER_SINK_CATEGORIES,
    NON_SINK_CLASSES,
    PRODUCT_LEGENDS,
    SINK_CATEGORIES,
)
from urbansat.errors import LegendError

__all__ = [
    "PRODUCT_LEGENDS",
    "check_codes",
    "legend_from_mapping",
    "list_legends",
    "load_legend",
    "validate_legend",
]

_VALID_TARGETS: tuple[str, ...] = tuple(LANDCOVER_SINK_CATEGORIES) + tuple(NON_SINK_CLASSES)


def list_legends() -> list[str]:
    """Names of the legends shipped in ``urbansat/data/legends``.

    Returns
    -------
    list of str
        Legend names such as ``"worldcover_v1"``.
    """
    root = importlib.resources.files("urbansat") / "data" / "legends"
    return sorted(p.name[:-4] for p in root.iterdir() if p.name.endswith(".csv"))


def _from_csv_text(text: str, name: str) -> pd.DataFrame:
    df = pd.read_csv(io.StringIO(text), comment="#", dtype={"code": "int64"}, keep_default_na=False)
    df.attrs["legend"] = name
    return validate_legend(df, name=name)


def load_legend(name: str) -> pd.DataFrame:
    """Load a packaged legend by name (``"worldcover_v1"``) or product (``"worldcover"``).

    Parameters
    ----------
    name : str
        Legend name from :func:`list_legends` or product key of :data:`PRODUCT_LEGENDS`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code`` with columns ``name``, ``category``, ``note``.

    Raises
    ------
    LegendError
        If no such legend is shipped; the message lists the available ones.
    """
    key = PRODUCT_LEGENDS.get(name, name)
    root = importlib.resources.files("urbansat") / "data" / "legends"
    res = root / f"{key}.csv"
    if not res.is_file():
        raise LegendError(
            f"No packaged legend named {name!r}. Available: {', '.join(list_legends())}. "
            "Pass a user legend (code -> category mapping or CSV via "
            "urbansat.ingest.factors.read_legend) instead."
        )
    return _from_csv_text(res.read_text(encoding="utf-8"), key)


def legend_from_mapping(mapping: Mapping[int, str], *, name: str = "user") -> pd.DataFrame:
    """Build a legend from ``{code: category}``.

    Parameters
    ----------
    mapping : Mapping[int, str]
        Native class code -> sink category or non-sink class key.
    name : str, default "user"
        Name the legend carries in results and error messages.

    Returns
    -------
    pandas.DataFrame
        A validated legend.
    """
    df = pd.DataFrame(
        {
            # the keys as given: validate_legend refuses 1.5 or "ten" instead of truncating
            "code": pd.Series(list(mapping), dtype=object),
            "name": [str(v) for v in mapping.values()],
            "category": [str(v) for v in mapping.values()],
            "note": "",
        }
    )
    df.attrs["legend"] = name
    return validate_legend(df, name=name)


def _integer_codes(codes: pd.Series, name: str) -> pd.Series:
    """``codes`` as int64; blank, fractional, True/False or non-numeric codes are refused.

    A raster class is an integer: ``10.9`` was truncated to 10, a blank row (a spreadsheet's
    trailing line) gave pandas' ``IntCastingNaNError``.
    """
    values = codes.tolist()
    num = pd.to_numeric(codes, errors="coerce").to_numpy(dtype=float)
    flag = np.array([isinstance(v, (bool, np.bool_)) for v in values], dtype=bool)
    wrong = flag | ~np.isfinite(num) | (num != np.round(num))
    bad = [(int(i), values[i]) for i in np.flatnonzero(wrong)]
    if bad:
        shown = ", ".join(f"row {i}: {v!r}" for i, v in bad[:5])
        raise LegendError(
            f"Legend {name!r} has codes that are not integers ({shown}); a code is the integer "
            "class value of the raster: fix or drop those rows (a blank trailing row of a "
            "spreadsheet is a common cause)."
        )
    return pd.to_numeric(codes).astype("int64")


#: how many blank rows a message lists
_SHOWN = 5


def _is_blank(value: object) -> bool:
    """Tell a missing cell: None, NaN, pandas.NA or text of blanks only."""
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]  # scalars only here
    except (TypeError, ValueError):  # a list or array in a cell is not blank
        return False


def unknown_values(values: Iterable[object], allowed: Iterable[object]) -> str:
    """List the values outside ``allowed`` for a message; ``""`` when there are none.

    Known values are sorted by their text, blank cells are named by their 0-based row:
    ``['forrest', <blank in row 1>]``. ``sorted()`` of a set that held a blank (NaN) and a
    misspelt name raised a bare ``TypeError`` (float and str do not compare).
    """
    ok = set(allowed)
    blank: list[int] = []
    wrong: dict[str, object] = {}
    for i, v in enumerate(values):
        if _is_blank(v):
            blank.append(i)
        elif not isinstance(v, Hashable) or v not in ok:
            wrong.setdefault(repr(v), v)
    if not blank and not wrong:
        return ""
    shown = [wrong[k] for k in sorted(wrong)]
    items = [repr(v) for v in shown]
    if blank:
        rows = ", ".join(str(i) for i in blank[:_SHOWN]) + (", ..." if len(blank) > _SHOWN else "")
        items.append(f"<blank in row{'s' if len(blank) > 1 else ''} {rows}>")
    return "[" + ", ".join(items) + "]"


def validate_legend(df: pd.DataFrame, *, name: str | None = None) -> pd.DataFrame:
    """Check a legend table and return it indexed by ``code``.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``code`` and ``category`` (``name``, ``note`` optional), or already
        indexed by ``code``.
    name : str, optional
        Legend name for messages; defaults to ``df.attrs["legend"]``.

    Returns
    -------
    pandas.DataFrame
        A new frame indexed by integer ``code``.

    Raises
    ------
    LegendError
        On missing columns, codes that are not integers (blank, fractional, True/False, text),
        duplicate codes or unknown category keys.
    """
    name = name or df.attrs.get("legend", "user")
    out = df.reset_index() if df.index.name == "code" else df.copy()
    missing = {"code", "category"} - set(out.columns)
    if missing:
        raise LegendError(
            f"Legend {name!r} lacks column(s) {sorted(missing)}; a legend needs 'code' and "
            f"'category' (one of {', '.join(_VALID_TARGETS)})."
        )
    for col in ("name", "note"):
        if col not in out.columns:
            out[col] = ""
    out["code"] = _integer_codes(out["code"], name)
    dup = out["code"][out["code"].duplicated()].unique()
    if len(dup):
        raise LegendError(f"Legend {name!r} maps code(s) {sorted(dup.tolist())} more than once.")
    bad = unknown_values(out["category"], _VALID_TARGETS)
    if bad:
        hint = ""
        cat = out["category"]
        if (cat.isin(list(SINK_CATEGORIES)) & ~cat.isin(list(_VALID_TARGETS))).any():
            hint = (
                " Project categories (soil_water_conservation, other_projects) come from "
                "project polygons (projects=), not from land-cover classes."
            )
        if "<blank" in bad:
            hint += (
                " Give every class a category, or delete the rows of codes the raster does "
                "not hold (an unfinished spreadsheet row is a common cause)."
            )
        raise LegendError(
            f"Legend {name!r} uses unknown categories {bad}; allowed: {', '.join(_VALID_TARGETS)}."
            + hint
        )
    out = out.set_index("code")[["name", "category", "note"]].sort_index()
    out.attrs["legend"] = name
    return out


def check_codes(codes: Iterable[int], legend: pd.DataFrame, *, where: str = "land cover") -> None:
    """Raise if any observed class code is not in the legend.

    Parameters
    ----------
    codes : iterable of int
        Class codes observed in the data (e.g. the transition table's codes).
    legend : pandas.DataFrame
        A validated legend.
    where : str
        What the codes come from, for the message.

    Raises
    ------
    LegendError
        Listing every unmapped code and naming the legend to extend.
    """
    obs = np.unique(np.asarray(list(codes), dtype="int64"))
    unknown = sorted(set(obs.tolist()) - set(legend.index.tolist()))
    if unknown:
        lname = legend.attrs.get("legend", "user")
        raise LegendError(
            f"{where} holds class code(s) {unknown} that legend {lname!r} does not map "
            f"(it maps {legend.index.tolist()}). Add them to the legend, e.g. "
            f"legend={{..., {unknown[0]}: 'bare'}}, or pass the product's correct legend."
        )
