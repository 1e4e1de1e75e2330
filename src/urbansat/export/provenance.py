"""EDGE: the provenance record every output carries.

urbansat version, inputs with sha256 checksums, options, time and library versions.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from urbansat._version import __version__
from urbansat.export.files import sha256

__all__ = ["provenance"]


def _lib_versions() -> dict[str, str]:
    out = {}
    for lib in (
        "numpy",
        "pandas",
        "xarray",
        "dask",
        "distributed",
        "geopandas",
        "shapely",
        "pyproj",
        "rasterio",
    ):
        with contextlib.suppress(PackageNotFoundError):
            out[lib] = version(lib)
    return out


def provenance(
    inputs: Iterable[str | Path] = (),
    *,
    options: Mapping[str, Any] | None = None,
    checksums: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Build a provenance record.

    Parameters
    ----------
    inputs : iterable of paths
        Input files; each gets its size and sha256 (taken from ``checksums``
        when given there, so large inputs are hashed once per job).
    options : mapping, optional
        The options / configuration used (must be JSON-serialisable).
    checksums : mapping path -> sha256, optional
        Precomputed checksums.

    Returns
    -------
    dict
        ``urbansat_version``, ``created`` (UTC ISO 8601), ``python``,
        ``libraries``, ``inputs`` (path, bytes, sha256), ``options``.
    """
    checksums = dict(checksums or {})
    files = []
    for given in inputs:
        p = str(Path(given).resolve())
        files.append(
            {"path": p, "bytes": os.path.getsize(p), "sha256": checksums.get(p) or sha256(p)}
        )
    return {
        "urbansat_version": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "libraries": _lib_versions(),
        "inputs": files,
        "options": json.loads(json.dumps(options or {}, default=str)),
    }


def _json(obj: Any) -> str:
    r"""Return the JSON text of ``obj`` (NaN as null) that any UTF-8 file can hold.

    A path of bytes that are not UTF-8 (``os.fsdecode`` gives lone surrogates, e.g. a GBK
    file name on a UTF-8 system) is kept as its ``\udcXX`` escape, which ``json.loads``
    turns back into the same ``str``; written raw it made netCDF and HTML writers fail.
    """
    text = json.dumps(obj, ensure_ascii=False, indent=1, default=_default)
    return utf8_text(text)


def utf8_text(text: str) -> str:
    r"""Return ``text`` with lone surrogates as ``\udcXX`` escapes (unchanged if valid UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    if o is pd.NA or o is pd.NaT:
        return None
    return str(o)
