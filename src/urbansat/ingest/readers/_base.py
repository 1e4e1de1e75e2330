"""Base class and shared helpers of the granule readers.

A reader turns one product file into the normalized swath of
:mod:`urbansat.schema`. Readers never choose chunks: :func:`urbansat.open_granules`
passes ``chunks`` down, and readers pass it to xarray before any arithmetic so
every derived variable stays a lazy dask array.

Windows
-------
``open_dataset(..., window=(rows, cols))`` selects a rectangle of the
*normalized* swath (``y`` rows, ``x`` columns) before any data is read: readers
translate it into slices of the raw file dimensions (TROPOMI ``scanline``,
OCO frames, GOSAT exposures). ``open_granules`` uses it for ``bbox``/``time``
pruning after a cheap geolocation scan.

File access
-----------
netCDF-C / HDF5 is not thread-safe and the netCDF4 wheel crashes when several
handles of one file are closed in some orders (``urbansat.ingest._locks``). Every
netCDF/HDF5 open of a reader, including plug-in readers, goes through
``urbansat.ingest._locks.open_netcdf`` / ``open_netcdf_groups`` / ``netcdf_handle``:
one shared handle per file, every call under xarray's netCDF lock.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import xarray as xr
import yaml

from urbansat.errors import InputFileError, MissingVariableError, SchemaError
from urbansat.schema.files import check_input_file
from urbansat.schema.geo import wrap_longitude, wrap_position

__all__ = [
    "ANTIMERIDIAN_NOTE",
    "GranuleReader",
    "Window",
    "check_file",
    "load_product",
    "wrap_longitude",
    "wrap_position",
]

#: ``(rows, cols)`` slices of the normalized ``(y, x)`` swath; ``None`` = everything.
Window = tuple[slice, slice]

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_NC3_MAGIC = (b"CDF\x01", b"CDF\x02", b"CDF\x05")
#: ``attrs["antimeridian"]`` of the swath readers: the convention of :func:`unwrap_corners`.
ANTIMERIDIAN_NOTE = (
    "longitude wrapped to [-180, 180); footprint corner longitudes are continuous with "
    "their centre (shifted by +-360 deg), so corners of pixels crossing the antimeridian "
    "may lie outside [-180, 180)"
)


def check_file(path: str | Path) -> str:
    """Check that ``path`` is an existing netCDF/HDF5 file and return its kind.

    Parameters
    ----------
    path : str or pathlib.Path
        File to check. Only the first bytes are read.

    Returns
    -------
    str
        ``"hdf5"`` (netCDF-4 and HDF5) or ``"netcdf3"``.

    Raises
    ------
    InputFileError
        If the file is missing, not a regular file (directory, FIFO, device),
        unreadable, empty, or carries neither the HDF5
        signature (searched at 0, 512, 1024, ... as the HDF5 spec allows) nor a
        netCDF classic one.
    """
    p = check_input_file(path, "Granule")
    size = p.stat().st_size
    with p.open("rb") as fh:
        head = fh.read(8)
        if head[:4] in _NC3_MAGIC:
            return "netcdf3"
        offset = 0
        while offset + 8 <= size:
            fh.seek(offset)
            if fh.read(8) == _HDF5_MAGIC:
                return "hdf5"
            offset = 512 if offset == 0 else offset * 2
    raise InputFileError(
        f"'{p}' is not a netCDF or HDF5 file (first bytes {head!r}). urbansat reads "
        "OCO/ACOS Lite netCDF-4, TROPOMI L2 netCDF-4 and GOSAT FTS HDF5 granules; "
        "check that the download completed and that you passed the data file, not a "
        "browse image or an HTML error page."
    )


def open_failure(path: str | Path, err: Exception, *, damage: str = "") -> InputFileError:
    """Translate a low-level open error into a clear :class:`InputFileError`.

    For corrupt or truncated bytes only: a readable file whose layout is not the
    product's is a layout error (``urbansat.ingest.read_errors.read_failure``).
    ``damage`` names what was found damaged (e.g. the data of one variable).
    """
    msg = str(err)
    if "truncat" in msg.lower() or "eof" in msg.lower():
        what = "is truncated (the file ends before the data its header describes)"
    else:
        what = f"cannot be read as netCDF-4/HDF5 ({type(err).__name__}: {msg})"
    return InputFileError(
        f"Granule file '{path}' {what}{'; ' + damage if damage else ''}. The download is "
        "probably incomplete or corrupt: download it again (compare its size / checksum "
        "with the archive)."
    )


@functools.cache
def load_product(name: str) -> dict[str, Any]:
    """Load the product facts ``urbansat/ingest/products/<name>.yaml``.

    Parameters
    ----------
    name : str
        File stem, e.g. ``"tropomi_l2_ch4"``.

    Returns
    -------
    dict
        Parsed YAML (cached; do not mutate).
    """
    text = (resources.files("urbansat.ingest") / "products" / f"{name}.yaml").read_text()
    facts: dict[str, Any] = yaml.safe_load(text)
    return facts


def unwrap_corners(lon_bounds: xr.DataArray, lon: xr.DataArray) -> xr.DataArray:
    """Make footprint corner longitudes continuous with their centre.

    Antimeridian convention: each corner is moved by a multiple of 360 degrees
    to lie within 180 degrees of the (wrapped) centre longitude,
    ``c' = lon + ((c - lon + 180) mod 360) - 180``. The centre stays in
    [-180, 180); corners of footprints that straddle the antimeridian may lie
    outside it (e.g. 179.9 and 180.1), so the polygon stays a small, valid
    quadrilateral. Lazy on dask inputs.
    """
    return lon + (((lon_bounds - lon) + 180.0) % 360.0) - 180.0


def cf(
    da: xr.DataArray,
    units: str | None,
    *,
    standard_name: str | None = None,
    long_name: str | None = None,
    **extra: Any,
) -> xr.DataArray:
    """Return a shallow copy of ``da`` with clean CF attributes and no file encoding."""
    attrs: dict[str, Any] = {}
    name = long_name or da.attrs.get("long_name")
    if name:
        attrs["long_name"] = name
    if standard_name:
        attrs["standard_name"] = standard_name
    if units is not None:
        attrs["units"] = units
    attrs.update(extra)
    out = da.copy(deep=False)
    out.attrs = attrs
    out.encoding = {}
    return out


class GranuleReader(ABC):
    """A reader of one satellite product (the xarray ``BackendEntrypoint`` idea).

    Subclasses set :attr:`name` (``<sensor>_<level>_<product>``), :attr:`gases`
    and implement :meth:`guess_can_open` and :meth:`open_dataset`.
    """

    #: Reader name, e.g. ``"tropomi_l2_ch4"``.
    name: ClassVar[str] = ""
    #: Gases the product can carry.
    gases: ClassVar[tuple[str, ...]] = ()
    #: One-line description shown by :func:`urbansat.list_readers`.
    description: ClassVar[str] = ""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def require_gas(self, path: str | Path, gas: str | None) -> None:
        """Raise :class:`SchemaError` when ``gas`` is given and the product does not carry it."""
        if gas is not None and gas not in self.gases:
            raise SchemaError(
                f"Granule '{path}' is {self.name} and carries only gas "
                f"{' or '.join(map(repr, self.gases))}, "
                f"not {gas!r}. Pass gas={self.gases[0]!r} or gas=None."
            )

    def match_filename(self, path: str | Path) -> bool:
        """Return True when the file *name* follows the product's naming convention."""
        return False

    def _name_or_content(self, path: str | Path, probe: Callable[[str | Path], bool]) -> bool:
        """Shared body of :meth:`guess_can_open`: the file name first, then the content.

        True when :meth:`match_filename` accepts the name; otherwise
        ``check_file(path)`` then ``probe(path)``, where any exception of either
        means "not this product" (False): detection never raises on foreign files.
        """
        if self.match_filename(path):
            return True
        try:
            check_file(path)
            return bool(probe(path))
        except Exception:  # noqa: BLE001 - detection never raises on foreign files
            return False

    @abstractmethod
    def guess_can_open(self, path: str | Path) -> bool:
        """Return True when this reader recognises ``path`` (filename, then content).

        Never raises on unreadable files: returns False.
        """

    @abstractmethod
    def open_dataset(
        self,
        path: str | Path,
        *,
        variables: Sequence[str] | None = None,
        gas: str | None = None,
        window: Window | None = None,
        chunks: Any = None,
    ) -> xr.Dataset:
        """Open one granule as a normalized swath (validated, lazy).

        Parameters
        ----------
        path : str or pathlib.Path
            Granule file.
        variables : sequence of str, optional
            Extra normalized variables to read (``None``: all the product offers;
            ``()``: only the gas, its uncertainty, ``qa_pass``, coordinates).
        gas : {"co2", "ch4"}, optional
            Gas to read when the product carries several.
        window : (slice, slice), optional
            Rows and columns of the normalized ``(y, x)`` swath to read.
        chunks : optional
            Passed to xarray (``None``: lazily indexed numpy, ``"auto"``: dask).

        Returns
        -------
        xarray.Dataset
            Normalized per :mod:`urbansat.schema`.
        """


def require(
    path: str | Path,
    names: Sequence[str],
    present: set[str],
    *,
    reader: str,
    where: str = "",
    hint: str = "",
) -> None:
    """Raise :class:`MissingVariableError` listing every required name absent."""
    missing = [n for n in names if n not in present]
    if missing:
        raise MissingVariableError(
            f"Granule '{path}' is recognised as {reader} but lacks the required "
            f"variable(s) {missing}{' in ' + where if where else ''}. "
            + (
                hint
                or "Use the full product file (not a variable subset that drops them); if the "
                "file is complete, its product version names them differently from the layout "
                "urbansat reads (downloading it again will not help)."
            )
        )


def reject_unknown(
    path: str | Path, variables: Sequence[str], available: Collection[str], *, reader: str
) -> None:
    """Raise :class:`MissingVariableError` for requested normalized names a reader cannot provide.

    Parameters
    ----------
    path : str or pathlib.Path
        Granule file (named in the message).
    variables : sequence of str
        The ``variables=`` the caller asked for.
    available : collection of str
        Normalized names the reader can provide (listed, sorted, in the message).
    reader : str
        Reader name.
    """
    unknown = [v for v in variables if v not in available]
    if unknown:
        raise MissingVariableError(
            f"{reader} cannot provide {unknown} from '{path}'. Available: {sorted(available)}."
        )


def swath_attrs(path: str | Path, qa: str) -> dict[str, Any]:
    """The dataset attributes every swath reader sets alike (provenance, QA, conventions).

    ``source_files`` (the one granule), ``qa`` (the screening applied),
    ``Conventions`` (CF-1.10) and ``antimeridian`` (:data:`ANTIMERIDIAN_NOTE`), in
    this order.
    """
    return {
        "source_files": [str(path)],
        "qa": qa,
        "Conventions": "CF-1.10",
        "antimeridian": ANTIMERIDIAN_NOTE,
    }


def empty_like_window(n: int, s: slice | None) -> slice:
    """Normalize a window slice to a concrete ``slice(start, stop)`` within ``n``."""
    if s is None:
        return slice(0, n)
    start, stop, _ = s.indices(n)
    return slice(start, max(start, stop))


def mask_int(da: xr.DataArray, valid: xr.DataArray, fill: int = -1) -> xr.DataArray:
    """Set invalid positions of an integer variable to ``fill`` (keeps the dtype)."""
    out = da.where(valid, fill)
    if np.issubdtype(da.dtype, np.integer):
        out = out.astype(da.dtype)
    return out
