"""Tell a damaged granule from a readable one of another layout.

h5py / netCDF4 raise OSError, RuntimeError, KeyError or ValueError on corrupt bytes, and
readers raise the same on a readable file of another layout (the wrong product, or a
version with a renamed variable), where downloading the file again cannot help.
:func:`read_failure` walks the file to decide which: an :class:`~urbansat.errors.InputFileError`
("download it again") for damaged bytes, a :class:`~urbansat.errors.MissingVariableError` or
:class:`~urbansat.errors.SchemaError` naming the file, the name and the reader otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from urbansat.errors import MissingVariableError, SchemaError, UrbansatError
from urbansat.ingest.readers import GranuleReader, get_reader
from urbansat.ingest.readers._base import open_failure

__all__ = ["other_product_hint", "read_failure"]

#: What a library raises on a type it cannot convert (no sign of damage) while a file is
#: walked; any other error of the walk, and any "NetCDF: ..." error, means damaged bytes
#: (netCDF4 raises AttributeError "NetCDF: Can't open HDF5 attribute" on a bad checksum).
_UNCONVERTIBLE_ERRORS = (TypeError, ValueError, NotImplementedError)

#: Messages naming a group or variable that is not in the file (xarray, h5py, netCDF4).
_MISSING_NAME_PATTERNS = (
    r"No variable named '([^']+)'",
    r"object '([^']+)' doesn't exist",
    r"^'?([\w/.\-]+)'? not found in ",
)

#: Largest block [bytes] read at once when every value of a file is checked.
_CHECK_BLOCK_BYTES = 1 << 26


def _missing_name(err: BaseException) -> str | None:
    """Return the group or variable that ``err`` says is missing, or None."""
    import re

    arg = err.args[0] if len(err.args) == 1 else None
    if isinstance(err, KeyError) and isinstance(arg, str) and re.fullmatch(r"[\w/.\-]+", arg):
        return arg
    text = str(arg) if isinstance(arg, str) else str(err)
    for pattern in _MISSING_NAME_PATTERNS:
        m = re.search(pattern, text)
        if m:
            return m.group(1)
    return None


def _probe(read: Any, *args: Any) -> None:
    """Call ``read(*args)``, ignoring the errors of a type the library cannot convert.

    Such a type (e.g. an unusual attribute) is no sign of damage; every other error
    propagates to the walk, which reports it as damage.
    """
    try:
        read(*args)
    except _UNCONVERTIBLE_ERRORS as err:
        if str(err).startswith("NetCDF:"):
            raise


def _read_values(var: Any) -> None:
    """Read every value of a netCDF4 variable or h5py dataset, in blocks along axis 0."""
    shape = tuple(var.shape or ())
    if not shape:
        var[()]
        return
    try:  # netCDF4 gives str / VLType for variable-length types
        row = int(np.dtype(var.dtype).itemsize) or 8
    except TypeError:
        row = 8
    for n in shape[1:]:
        row *= max(int(n), 1)
    step = max(1, _CHECK_BLOCK_BYTES // max(row, 1))
    for i in range(0, int(shape[0]), step):
        var[i : i + step]


def _netcdf_damage(path: Path, *, values: bool) -> tuple[bool, str | None]:
    """Walk a file with netCDF-C (the readers' library): (opened, what is damaged or None)."""
    from urbansat.ingest._locks import netcdf_handle

    where, opened = "", False
    try:
        with netcdf_handle(path) as nc:
            opened = True
            todo = [nc]
            while todo:
                g = todo.pop()
                where = f"the attributes of group '{g.path}'"
                todo.extend(g.groups.values())
                for a in g.ncattrs():
                    _probe(g.getncattr, a)
                for name, v in g.variables.items():
                    full = f"{g.path.rstrip('/')}/{name}"
                    where = f"the metadata of variable '{full}'"
                    _ = (v.dimensions, v.shape)
                    for a in v.ncattrs():
                        _probe(v.getncattr, a)
                    if values:
                        where = f"the values of variable '{full}'"
                        _probe(_read_values, v)
    except Exception as err:  # noqa: BLE001 - any failure of the walk is damage
        if not opened:
            return False, f"netCDF-C cannot open it ({type(err).__name__}: {err})"
        return True, f"{where} do not read ({type(err).__name__}: {err})"
    return True, None


def _hdf5_damage(path: Path, *, values: bool) -> str | None:
    """Walk a plain HDF5 file (no netCDF-4 metadata) with h5py: what is damaged, or None."""
    import h5py

    from urbansat.ingest._locks import NETCDF_LOCK

    where = "the file"
    try:
        with NETCDF_LOCK, h5py.File(path, "r") as h:
            if "_NCProperties" in h.attrs:  # netCDF-4 that netCDF-C cannot open: damaged
                return "its netCDF-4 metadata is damaged (e.g. a dimension scale was removed)"
            names: list[str] = []
            h.visit(names.append)
            for name in names:
                where = f"the metadata of '/{name}'"
                obj = h[name]
                for a in obj.attrs:
                    _probe(obj.attrs.__getitem__, a)
                if values and isinstance(obj, h5py.Dataset):
                    where = f"the values of '/{name}'"
                    _probe(_read_values, obj)
    except Exception as err:  # noqa: BLE001 - any failure of the walk is damage
        return f"{where} do not read with HDF5 ({type(err).__name__}: {err})"
    return None


def _damage(path: Path, *, values: bool) -> str | None:
    """Say what is damaged in a netCDF/HDF5 granule, or None when it reads as a whole.

    Every group, variable and attribute is opened (the metadata an object header or a
    checksum protects) and, with ``values``, every value is read (the compressed chunks).
    netCDF-C must read the file; a plain HDF5 file (GOSAT FTS) that it cannot open is
    walked with h5py instead.
    """
    from urbansat.ingest.readers._base import check_file

    try:
        kind = check_file(path)
    except UrbansatError as err:
        return str(err)
    opened, problem = _netcdf_damage(path, values=values)
    if opened or kind != "hdf5":
        return problem
    plain = _hdf5_damage(path, values=values)
    return None if plain is None else f"{problem}: {plain}"


def other_product_hint(product: str, path: Path) -> str:
    """Return 'Its content is a <reader> file: ...' when another reader recognises ``path``."""
    from urbansat.ingest.readers.registry import _readers

    for name, r in _readers().items():
        if name == product:
            continue
        try:
            if r.guess_can_open(path):
                return (
                    f"Its content is a {name} file ({r.description or name}), not "
                    f"{product}: open it with product={name!r}, or without product= to "
                    "detect the reader."
                )
        except Exception:  # noqa: BLE001, S112 - detection must never crash on a foreign file
            continue
    return ""


def read_failure(paths: Sequence[str | Path], product: str, err: Exception) -> UrbansatError:
    """Turn a low-level error of reading granules into a corrupt-file or a layout error.

    h5py / netCDF4 raise OSError, RuntimeError, KeyError or ValueError on corrupt bytes,
    and readers raise the same on a readable file of another layout (the wrong product,
    or a version with a renamed variable), where downloading the file again cannot help.
    Each file is walked (:func:`_damage`; every value too unless the error names a
    missing variable), until a damaged one is found: it gives the :class:`InputFileError` of
    :func:`~urbansat.ingest.readers._base.open_failure` ("download it again"); a file
    that reads as a whole gives a :class:`MissingVariableError` (a missing group or
    variable) or a :class:`SchemaError` naming the file, the name or the error, the
    product the reader expected and the fix.
    """
    name = _missing_name(err)
    for p in paths:  # the first damaged file is named (and the others not read for nothing)
        damage = _damage(Path(p), values=name is None)
        if damage:
            return open_failure(p, err, damage=damage)
    try:
        reader: GranuleReader | None = get_reader(product)
    except UrbansatError:
        reader = None
    what = f"{product} ({reader.description})" if reader and reader.description else product
    docs = f"; {type(reader).__module__} documents the layout read" if reader else ""
    hint = " ".join(h for h in (other_product_hint(product, Path(p)) for p in paths) if h) or (
        f"Check that the file is {what} with its groups and variables as the producer wrote "
        "them (a converter or subsetting tool that renames, retypes or drops variables "
        f"breaks the layout{docs})."
    )
    files = ", ".join(f"'{p}'" for p in paths)
    low = f"{type(err).__name__}: {str(err)[:300]}"
    intact = (
        f"Granule {files} {'is' if len(paths) == 1 else 'are'} readable netCDF-4/HDF5 "
        f"({'no corrupt bytes' if name else 'every value reads'}), but not in the layout the "
        f"{product} reader expects"
    )
    again = "Downloading it again will not help."
    if name is not None:
        return MissingVariableError(
            f"{intact}: it needs {name!r}, which is not where that layout has it ({low}). "
            f"{again} {hint}"
        )
    return SchemaError(
        f"{intact}: {low} (e.g. a variable of another shape, dimension or type). {again} {hint}"
    )
