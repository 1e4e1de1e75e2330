"""The reader registry: built-in readers and the ``urbansat.readers`` entry points.

See :mod:`urbansat.ingest.readers` for how to add a reader.
"""

from __future__ import annotations

import importlib
import warnings
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from urbansat.errors import ProductNotRecognizedError, UrbansatWarning
from urbansat.ingest.readers._base import GranuleReader, check_file

__all__ = ["BUILTIN_READERS", "ENTRY_POINT_GROUP", "get_reader", "guess_reader", "list_readers"]

#: Built-in readers: name -> "module:Class".
BUILTIN_READERS: dict[str, str] = {
    "oco2_l2_lite": "urbansat.ingest.readers.oco_lite:OCO2LiteReader",
    "oco3_l2_lite": "urbansat.ingest.readers.oco_lite:OCO3LiteReader",
    "acos_l2_lite": "urbansat.ingest.readers.oco_lite:ACOSLiteReader",
    "gosat_l2_fts": "urbansat.ingest.readers.gosat_fts:GosatFTSReader",
    "tropomi_l2_ch4": "urbansat.ingest.readers.tropomi_ch4:TropomiCH4Reader",
    "smartcarb": "urbansat.ingest.readers.smartcarb:SmartcarbReader",
}

ENTRY_POINT_GROUP = "urbansat.readers"


def _targets() -> dict[str, str]:
    targets = dict(BUILTIN_READERS)
    try:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            targets.setdefault(ep.name, ep.value)
    except Exception:  # noqa: BLE001, S110 - broken metadata must not break the built-ins
        pass
    return targets


@cache
def _load(name: str, target: str) -> GranuleReader | None:
    mod_name, _, cls_name = target.partition(":")
    try:
        cls = getattr(importlib.import_module(mod_name), cls_name)
        reader: GranuleReader = cls()
    except Exception as err:  # noqa: BLE001 - one broken reader must not hide the others
        if not (isinstance(err, ModuleNotFoundError) and err.name == mod_name):
            warnings.warn(
                f"urbansat reader {name!r} ({target}) failed to load: {err!r}; skipped.",
                UrbansatWarning,
                stacklevel=3,
            )
        return None
    return reader


def _readers() -> dict[str, GranuleReader]:
    out = {}
    for name, target in _targets().items():
        r = _load(name, target)
        if r is not None:
            out[name] = r
    return out


def list_readers() -> list[str]:
    """Return the names of the installed (importable) granule readers.

    Returns
    -------
    list of str
        Built-in readers plus those registered under the ``urbansat.readers``
        entry-point group, e.g. ``["acos_l2_lite", "gosat_l2_fts", ...]``.

    Examples
    --------
    >>> import urbansat
    >>> "tropomi_l2_ch4" in urbansat.list_readers()
    True
    """
    return sorted(_readers())


def get_reader(name: str) -> GranuleReader:
    """Return the reader called ``name``.

    Raises
    ------
    ProductNotRecognizedError
        If no installed reader has that name; the message lists them.
    """
    readers = _readers()
    if name not in readers:
        raise ProductNotRecognizedError(
            f"Unknown product {name!r}. Installed readers: {sorted(readers)}. Pass one of them as "
            "product=, or product=None to auto-detect."
        )
    return readers[name]


def guess_reader(path: str | Path) -> GranuleReader:
    """Return the reader that recognises ``path`` (file name first, then content).

    Raises
    ------
    InputFileError
        If the file does not exist or is not netCDF/HDF5.
    ProductNotRecognizedError
        If no installed reader recognises it; the message lists the readers.
    """
    check_file(path)
    readers = _readers()
    for r in readers.values():
        if r.match_filename(path):
            return r
    for r in readers.values():
        try:
            if r.guess_can_open(path):
                return r
        except Exception:  # noqa: BLE001, S112 - detection must never crash on a foreign file
            continue
    raise ProductNotRecognizedError(
        f"No urbansat reader recognises '{path}' by its name or content. Installed readers: "
        f"{sorted(readers)}. If it is one of these products, pass product='<name>' "
        "(and keep the official file name); otherwise register a reader under the "
        f"'{ENTRY_POINT_GROUP}' entry-point group."
    )
