"""EDGE: convert a variable read from a user file to the unit urbansat works in.

Units strings are read with ``cf_units`` (UDUNITS-2, the units grammar of the CF
conventions). Mole fractions are looked up in an explicit table first, because
UDUNITS treats every dimensionless string alike (it would convert ``degrees_north``
or ``percent`` to ``ppm``) and TROPOMI writes ``"1e-9"`` for ppb.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import xarray as xr

from urbansat.errors import SchemaError, UnitsError
from urbansat.schema.swath import PLAUSIBLE_MOLE_FRACTION

__all__ = [
    "MOLE_FRACTION_UNITS",
    "PLAUSIBLE_MOLE_FRACTION",
    "POSSIBLE_SOUNDING",
    "POSSIBLE_UNCERTAINTY",
    "check_coordinate_units",
    "check_mole_fraction",
    "check_qa_value",
    "check_time_units",
    "convert_declared",
    "convert_units",
]

#: Mole-fraction spellings and their value in mol mol-1.
MOLE_FRACTION_UNITS: Final[dict[str, float]] = {
    "mol mol-1": 1.0,
    "mol/mol": 1.0,
    "mol mol**-1": 1.0,
    "1": 1.0,
    "ppm": 1e-6,
    "ppmv": 1e-6,
    "1e-6": 1e-6,
    "1e-06": 1e-6,
    "ppb": 1e-9,
    "ppbv": 1e-9,
    "1e-9": 1e-9,
    "1e-09": 1e-9,
}


def _factor(found: str, target: str) -> float | None:
    """Return the factor from ``found`` to ``target``, or None when not convertible."""
    import cf_units

    f, t = found.strip().lower(), target.strip().lower()
    if t in MOLE_FRACTION_UNITS:
        if f not in MOLE_FRACTION_UNITS:
            cf_units.Unit(found)  # ValueError when UDUNITS cannot parse it
            return None
        return MOLE_FRACTION_UNITS[f] / MOLE_FRACTION_UNITS[t]
    src, dst = cf_units.Unit(found), cf_units.Unit(target)
    if not src.is_convertible(dst) or src.is_dimensionless():
        return None
    return float(src.convert(1.0, dst))


def convert_units(
    da: xr.DataArray, target: str, *, file: str | Path, variable: str, found: object = None
) -> xr.DataArray:
    """Return ``da`` converted to ``target`` units, with ``attrs["units"] = target``.

    Parameters
    ----------
    da : xarray.DataArray
        Values as read from the file (not modified; lazy stays lazy).
    target : str
        The unit urbansat works in, e.g. ``"ppm"``, ``"ppb"``, ``"m s-1"``.
    file : str or pathlib.Path
        The file the values come from (named in errors).
    variable : str
        The variable's name in that file (named in errors).
    found : object, optional
        The units string of the file when it is not ``da.attrs["units"]`` (e.g. the
        HDF5 ``unit`` attribute of GOSAT files, possibly bytes).

    Returns
    -------
    xarray.DataArray
        A new array; multiplied only when the factor is not 1.

    Raises
    ------
    UnitsError
        The units attribute is missing, cannot be parsed, or is not convertible to
        ``target``; the message names the file, the variable, the unit found and the fix.

    Examples
    --------
    >>> import xarray as xr
    >>> da = xr.DataArray([4.1e-4], attrs={"units": "mol mol-1"})
    >>> round(float(convert_units(da, "ppm", file="f.nc", variable="xco2")[0]), 6)
    410.0
    """
    raw = da.attrs.get("units") if found is None else found
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    fix = (
        f"Set the attribute to the unit the values are in (urbansat works in {target!r}), "
        f"e.g. ds[{variable!r}].attrs['units'] = {target!r}, and write the file again."
    )
    where = f"'{file}': variable {variable!r}"
    if raw is None or not str(raw).strip():
        raise UnitsError(f"{where} has no units attribute; urbansat will not guess. {fix}")
    text = str(raw).strip().strip("\x00")
    try:
        factor = _factor(text, target)
    except ValueError:
        raise UnitsError(f"{where} has units {text!r}, which UDUNITS cannot parse. {fix}") from None
    if factor is None:
        raise UnitsError(f"{where} has units {text!r}, not convertible to {target!r}. {fix}")
    stored = np.dtype(da.encoding.get("dtype", da.dtype))  # before xarray's fill masking
    if (
        target.lower() in MOLE_FRACTION_UNITS
        and stored.kind in "iub"
        and "scale_factor" not in da.encoding
        and "scale_factor" not in da.attrs
    ):
        raise SchemaError(
            f"{where} is stored as {stored} without a scale_factor: a column mole fraction "
            "is floating point in every supported product, and integers would round it "
            "(410 ppm for 410.27). The file was converted by a tool that changed the type; "
            "use the original product file."
        )
    out = da if factor == 1.0 else da * factor
    out = out.copy(deep=False)
    out.attrs = {**da.attrs, "units": target}
    if factor != 1.0:
        out.attrs["units_converted_from"] = text
    return out


#: Normalized units of non-gas variables (pressures, winds) whose file ``units`` attribute is
#: obeyed: dimensional, so UDUNITS converts any spelling of them and refuses the rest.
DECLARED_UNITS: Final[tuple[str, ...]] = ("Pa", "m s-1")


def convert_declared(
    da: xr.DataArray,
    target: str | None,
    *,
    file: str | Path,
    variable: str,
    scale: float | None = None,
    found: object = None,
) -> xr.DataArray:
    """Convert a non-gas variable from the unit its file declares, else by the product's scale.

    A pressure or wind (``target`` in :data:`DECLARED_UNITS`) whose file states a ``units``
    attribute is converted from that unit (:func:`convert_units`: a surface pressure written
    in Pa where the product uses hPa, a wind in km h-1); without the attribute, or for other
    variables, the product's nominal ``scale`` (e.g. 100 for hPa -> Pa) applies.

    Parameters
    ----------
    da : xarray.DataArray
        The variable as read (not modified).
    target : str or None
        The normalized unit.
    file, variable : str
        Named in errors.
    scale : float, optional
        The product's factor from its nominal unit to ``target`` (None or 1: none).
    found : object, optional
        The units string when it is not ``da.attrs["units"]`` (GOSAT's ``unit`` bytes).

    Raises
    ------
    UnitsError
        The declared unit cannot be parsed or converted to ``target``.
    """
    raw = da.attrs.get("units") if found is None else found
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if target in DECLARED_UNITS and raw is not None and str(raw).strip("\x00 "):
        return convert_units(da, target, file=file, variable=variable, found=raw)
    return da if scale in (None, 1.0) else da * scale


#: Physically possible single-sounding mole fractions [ppm, ppb], a guard against corrupt
#: values and undeclared fill values (e.g. -999999), not a plausibility screen: a quarter
#: and five times the present background (NOAA global means 2023: 419 ppm CO2, 1922 ppb
#: CH4; Lan et al., NOAA GML trends). Satellite plume enhancements stay far inside: a few
#: ppm XCO2 over power plants at 2 km (Nassar et al. 2017, GRL 44, 10045), tens of ppb XCH4
#: over a gas-well blowout at 7 km (Pandey et al. 2019, PNAS 116, 26376).
POSSIBLE_SOUNDING: Final[dict[str, tuple[float, float]]] = {
    "xco2": (100.0, 2000.0),
    "xch4": (500.0, 10000.0),
}


#: Largest possible single-sounding 1-sigma uncertainty [ppm, ppb], a guard against fill
#: values and unit slips like :data:`POSSIBLE_SOUNDING`: a quarter of the present
#: background (above it a sounding carries no information on the column); retrieval
#: precisions are 0.3-2 ppm XCO2 (OCO-2 Lite, O'Dell et al. 2018, AMT 11, 6539) and 5-20 ppb
#: XCH4 (TROPOMI, Lorente et al. 2021, AMT 14, 665). An uncertainty must also be > 0.
POSSIBLE_UNCERTAINTY: Final[dict[str, float]] = {"xco2": 100.0, "xch4": 500.0}


def check_mole_fraction(mean: float, *, file: str | Path, variable: str) -> None:
    """Refuse a gas column whose mean (of soundings passing QA) is implausible.

    Parameters
    ----------
    mean : float
        Mean of the QA-passing values after unit conversion (NaN: nothing to check).
    file : str or pathlib.Path
        Granule named in the message.
    variable : {"xco2", "xch4"}
        The normalized gas variable.

    Raises
    ------
    UnitsError
        Naming the unit the values look like when one of the mole-fraction spellings
        would make them plausible.
    """
    lo, hi, target = PLAUSIBLE_MOLE_FRACTION[variable]
    if not np.isfinite(mean) or lo <= mean <= hi:
        return
    likely = [
        u
        for u in ("mol mol-1", "ppm", "ppb")
        if u != target and lo <= mean * MOLE_FRACTION_UNITS[u] / MOLE_FRACTION_UNITS[target] <= hi
    ]
    cause = (
        f"the units attribute says {target!r} (or converts to it) but the values look like "
        f"{likely[0]!r}: set the variable's units attribute to {likely[0]!r}"
        if likely
        else "the values are corrupt or not this gas: download the file again"
    )
    raise UnitsError(
        f"Granule '{file}': {variable} of the soundings passing QA has mean {mean:.6g} "
        f"{target}, outside the plausible {lo:g}-{hi:g} {target}; {cause}."
    )


def check_qa_value(maximum: float, *, file: str | Path) -> None:
    """Refuse a TROPOMI ``qa_value`` on a 0-100 scale (the product defines 0-1).

    The file stores a uint8 0-100 with ``scale_factor`` 0.01; a tool that dropped the
    attribute leaves 0-100, which the 0.5 threshold would pass almost entirely.

    Raises
    ------
    UnitsError
        When ``maximum > 1``.
    """
    if np.isfinite(maximum) and maximum > 1.0:
        raise UnitsError(
            f"Granule '{file}': variable 'PRODUCT/qa_value' reaches {maximum:g}, but the "
            "product defines it on 0-1 (stored 0-100 with scale_factor 0.01); the "
            "scale_factor attribute was lost, so qa_value >= 0.5 would pass nearly every "
            "pixel. Restore it (qa_value.scale_factor = 0.01) or use the original file."
        )


#: Units a latitude or longitude may carry: the CF spellings (CF-1.10 section 4.1) and the
#: plain ``degree`` forms some products use (GOSAT FTS writes ``unit = "deg"``).
COORDINATE_UNITS: Final[dict[str, frozenset[str]]] = {
    "latitude": frozenset(
        {"degrees_north", "degree_north", "degree_n", "degrees_n", "degreen", "degreesn"}
        | {"degrees", "degree", "deg"}
    ),
    "longitude": frozenset(
        {"degrees_east", "degree_east", "degree_e", "degrees_e", "degreee", "degreese"}
        | {"degrees", "degree", "deg"}
    ),
}


def check_coordinate_units(
    attrs: Mapping[str, Any], *, file: str | Path, variable: str, axis: str
) -> None:
    """Refuse a latitude or longitude whose units attribute is not an angle in degrees.

    A missing attribute is accepted (the product specification defines the unit); a
    present one must be a degree spelling for ``axis`` (``COORDINATE_UNITS``): radians, or
    a length after a reprojection, would otherwise be used as degrees.

    Parameters
    ----------
    attrs : mapping
        The coordinate's attributes as read (its ``units`` or, as in GOSAT FTS, ``unit``).
    file : str or pathlib.Path
        Granule named in the message.
    variable : str
        The variable's path in the file.
    axis : {"latitude", "longitude"}
        Which coordinate it is.

    Raises
    ------
    UnitsError
        Naming file, variable, the unit found and the units accepted.
    """
    found = attrs.get("units", attrs.get("unit"))
    if found is None:
        return
    if isinstance(found, bytes):
        found = found.decode("utf-8", "replace")
    if str(found).strip().lower().replace(" ", "_") in COORDINATE_UNITS[axis]:
        return
    expected = "degrees_north" if axis == "latitude" else "degrees_east"
    raise UnitsError(
        f"Granule '{file}': variable {variable!r} has units {str(found)!r}, not an angle in "
        f"degrees; urbansat reads {axis} in {expected}. Convert it (radians x 180/pi) or "
        f"fix the attribute (units = {expected!r}) if the values are degrees."
    )


def check_time_units(
    attrs: Mapping[str, Any], *, file: str | Path, variable: str, epoch: str | None, step: str
) -> None:
    """Refuse a time variable whose units attribute is not the product's ``<step> since <epoch>``.

    The readers decode times with the epoch and step of the product specification
    (``../shared/spec/formats.md``: OCO Lite ``seconds since 1970-01-01``, TROPOMI
    ``seconds since 2010-01-01``); a file whose attribute says otherwise would get wrong
    times silently. A missing attribute is accepted (the specification defines it).

    Parameters
    ----------
    attrs : mapping
        The variable's attributes as read (``decode_times=False``).
    file : str or pathlib.Path
        Granule named in the message.
    variable : str
        The variable's path in the file.
    epoch : str or None
        The date the product counts from, ``YYYY-MM-DD`` (midnight UTC); None: only the
        step is checked (TROPOMI ``delta_time``: ``milliseconds`` in v1, ``milliseconds
        since <day>`` in v2, counted from the scanline's reference time).
    step : str
        The unit counted, e.g. ``"seconds"``.

    Raises
    ------
    UnitsError
        Naming file, variable, the units found and the units expected.
    """
    found = attrs.get("units")
    if found is None:
        return
    if isinstance(found, bytes):
        found = found.decode("utf-8", "replace")
    pattern = (
        rf"{step}?(\s+since\s+.*)?"
        if epoch is None
        else rf"{step}?\s+since\s+{re.escape(epoch)}([ T]00:00(:00(\.0*)?)?)?\s*(Z|UTC)?"
    )
    if re.fullmatch(pattern, str(found).strip(), flags=re.IGNORECASE):
        return
    raise UnitsError(
        f"Granule '{file}': variable {variable!r} has units {str(found)!r}; the product "
        f"defines {step}{'' if epoch is None else f' since {epoch} 00:00:00 UTC'} and urbansat "
        "decodes it so. The file was changed by a tool that rewrote the time axis: use the "
        "original product file, or convert the values and fix the units attribute."
    )
