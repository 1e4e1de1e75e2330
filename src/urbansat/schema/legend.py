"""Contract of a land-cover legend carried by a raster: netCDF-safe attributes and readers.

A categorical raster (:func:`urbansat.open_landcover`) carries its legend as attributes
that every netCDF writer accepts: ``legend`` (``{code: class name}`` as JSON, names
exactly as written), the CF-1.10 (section 3.5) ``flag_values`` / ``flag_meanings`` of the
same legend, and for user legends ``legend_categories`` (``{code: T/CI 231 category}`` as
JSON). :func:`legend_of` and :func:`legend_categories_of` read them back, from JSON or from a
mapping (arrays built by hand), also after a netCDF round trip.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from urbansat.errors import LegendError

__all__ = ["cf_legend_attrs", "legend_categories_of", "legend_of"]


def _flag_word(name: str) -> str:
    """One CF ``flag_meanings`` word: runs of characters other than letters/digits -> ``_``."""
    return re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_") or "unnamed"


def cf_legend_attrs(
    names: Mapping[int, str], categories: Mapping[int, str] | None = None
) -> dict[str, Any]:
    """NetCDF-safe legend attributes of a categorical raster.

    ``legend`` is ``{code: name}`` as a JSON string (names exactly as written),
    ``flag_values``/``flag_meanings`` are the CF-1.10 (section 3.5) form of the same legend
    (meanings with blanks and punctuation replaced by ``_``), ``legend_categories`` (when
    given) is ``{code: T/CI 231 category}`` as JSON.

    Examples
    --------
    >>> a = cf_legend_attrs({10: "Tree cover", 60: "Bare / sparse vegetation"})
    >>> a["legend"], a["flag_meanings"], a["flag_values"].tolist()
    ('{"10": "Tree cover", "60": "Bare / sparse vegetation"}', 'Tree_cover Bare_sparse_vegetation', [10, 60])
    """  # noqa: E501
    codes = sorted(int(c) for c in names)
    out: dict[str, Any] = {
        "legend": json.dumps({str(c): str(names[c]) for c in codes}, ensure_ascii=False),
        "flag_values": np.asarray(codes, dtype="int64"),
        "flag_meanings": " ".join(_flag_word(str(names[c])) for c in codes),
    }
    if categories is not None:
        out["legend_categories"] = json.dumps(
            {str(int(c)): str(v) for c, v in sorted(categories.items())}, ensure_ascii=False
        )
    return out


def _decode_legend(value: Any, what: str) -> dict[int, str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as err:
            raise LegendError(
                f"land-cover attribute {what!r} is not a JSON {{code: name}} object ({err}); "
                "reopen the raster with urbansat.open_landcover or pass legend=."
            ) from err
    if not isinstance(value, Mapping):
        raise LegendError(
            f"land-cover attribute {what!r} must be a {{code: name}} mapping or its JSON, "
            f"not {type(value).__name__}."
        )
    return {int(k): str(v) for k, v in value.items()}


def legend_of(da: xr.DataArray) -> dict[int, str]:
    """Return the ``{code: class name}`` legend a land-cover array carries ({} when none).

    Reads the ``legend`` attribute as :func:`open_landcover` writes it (JSON) or as a
    mapping (arrays built by hand), also after a netCDF round trip.
    """
    return _decode_legend(da.attrs.get("legend"), "legend") or {}


def legend_categories_of(da: xr.DataArray) -> dict[int, str] | None:
    """Return the ``{code: T/CI 231 category}`` of a user legend, or None when absent."""
    return _decode_legend(da.attrs.get("legend_categories"), "legend_categories")
