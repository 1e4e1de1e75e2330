"""The normalized swath contract: one layout for every greenhouse-gas product.

Every reader returns, and every downstream function accepts, an
:class:`xarray.Dataset` of this form (the satpy "custom reader contract" idea).
:func:`validate_granule` checks it and is run by every reader before returning.

Dimensions
----------
``y``
    Along-track. OCO-2/OCO-3/ACOS Lite: the frame (``sounding_id // 10``);
    TROPOMI: ``scanline``; GOSAT FTS: the exposure (one sounding per row);
    SMARTCARB: ``along``. Several granules are concatenated along ``y``, sorted
    by time; the ``granule`` coordinate on ``y`` names the source file index.
``x``
    Across-track. OCO: footprint 1..8 (x = footprint - 1); TROPOMI:
    ``ground_pixel``; GOSAT FTS: length 1.
``corner``
    The 4 footprint vertices, counter-clockwise.
``level``
    Vertical grid of the averaging kernel and prior, **top of atmosphere
    first, surface last** (pressure increases with the index). Readers of
    surface-first products flip it.

Required variables (dims ``(y, x)`` unless stated)
---------------------------------------------------
``xco2`` [ppm] or ``xch4`` [ppb]
    Column-averaged dry-air mole fraction, bias-corrected where the product
    provides it. Exactly one gas per dataset; ``attrs["gas"]`` names it.
``<gas>_uncertainty`` [same units]
    1-sigma retrieval uncertainty (precision).
``qa_pass`` [bool]
    The product's recommended screening (OCO ``xco2_quality_flag == 0``,
    TROPOMI ``qa_value >= 0.5``, GOSAT ``totalPostScreeningResult == 0``).
    With ``qa="none"`` it is True wherever the gas is finite.
coordinates ``latitude``, ``longitude`` [degrees_north/east], ``time`` [datetime64[ns]]
    ``longitude`` is in [-180, 180).

Optional variables (present when the product carries them)
----------------------------------------------------------
``latitude_bounds``, ``longitude_bounds`` (y, x, corner)
    Footprint corners, counter-clockwise.
``surface_pressure`` [Pa]
    Surface pressure.
``pressure`` (y, x, level) [Pa]
    Pressure at which the averaging kernel and prior are given.
``pressure_weight`` (y, x, level) [1]
    Column pressure weighting function, summing to 1 over ``level``.
``column_averaging_kernel`` (y, x, level) [1]
    Normalized column averaging kernel.
``<gas>_profile_apriori`` (y, x, level) [ppm | ppb]
    Prior mole-fraction profile.
``<gas>_apriori`` [ppm | ppb]
    Prior column.
``eastward_wind``, ``northward_wind`` [m s-1]
    10 m wind carried by the product (OCO GEOS FP-IT, TROPOMI ECMWF).
``operation_mode`` [int8]
    OCO: 0 nadir, 1 glint, 2 target, 3 transition, 4 SAM.
``target_id``, ``target_name`` [str]
    OCO-3 target/SAM site.
``sounding_id`` [int64]
    OCO / GOSAT sounding identifier.
raw flags
    Kept under their native names (``xco2_quality_flag``, ``qa_value``,
    ``total_post_screening_result`` ...).

Dataset attributes
------------------
``product`` (reader name, e.g. ``"oco2_l2_lite"``), ``product_version``,
``gas`` (``"co2"`` or ``"ch4"``), ``platform``, ``source_files`` (list of
paths as given), ``qa`` (the screening applied), ``Conventions`` = "CF-1.10".

Flattening
----------
:func:`to_soundings` stacks ``(y, x)`` into a ``sounding`` dimension and drops
positions without a valid gas value: the form point-based code (Bayesian
inversion, boundary selection) wants.
"""

from __future__ import annotations

import os
from typing import Final, cast

import numpy as np
import xarray as xr

from urbansat.errors import SchemaError
from urbansat.schema.flags import require_flag

__all__ = [
    "GAS_STANDARD_NAMES",
    "GAS_UNITS",
    "PLAUSIBLE_MOLE_FRACTION",
    "SWATH_DIMS",
    "gas_of",
    "gas_variable",
    "to_soundings",
    "validate_granule",
]

SWATH_DIMS: Final = ("y", "x")

#: Units of the normalized gas column, by gas.
GAS_UNITS: Final[dict[str, str]] = {"co2": "ppm", "ch4": "ppb"}

#: Plausible column-averaged dry-air mole fractions, in the normalized units (ppm, ppb):
#: XCO2 has been 330-430 ppm since the first satellites, XCH4 1600-2000 ppb; the margins
#: keep strong plumes and retrieval noise, and refuse every unit slip (x1000, x1e6).
PLAUSIBLE_MOLE_FRACTION: Final[dict[str, tuple[float, float, str]]] = {
    "xco2": (300.0, 600.0, "ppm"),
    "xch4": (1500.0, 2500.0, "ppb"),
}

#: CF standard names of the column-averaged mole fractions.
GAS_STANDARD_NAMES: Final[dict[str, str]] = {
    "co2": "dry_atmosphere_mole_fraction_of_carbon_dioxide",
    "ch4": "dry_atmosphere_mole_fraction_of_methane",
}

_OPTIONAL_UNITS: Final[dict[str, str]] = {
    "surface_pressure": "Pa",
    "pressure": "Pa",
    "eastward_wind": "m s-1",
    "northward_wind": "m s-1",
}


def gas_variable(gas: str) -> str:
    """Return the normalized variable name of a gas column (``"xco2"``, ``"xch4"``)."""
    return f"x{gas.lower()}"


def require_dataset(ds: object, what: str = "swath") -> None:
    """Raise :class:`SchemaError` unless ``ds`` is an :class:`xarray.Dataset`.

    Catches the common notebook mistake of passing a file path (or a DataArray /
    DataFrame) where an opened, normalized swath is expected.
    """
    if isinstance(ds, xr.Dataset):
        return
    shown = f" {str(ds)[:120]!r}" if isinstance(ds, (str, os.PathLike)) else ""
    raise SchemaError(
        f"The {what} must be an xarray.Dataset (a normalized swath); got "
        f"{type(ds).__name__}{shown}. "
        "Open granule files first: ds = urbansat.open_granules(path)."
    )


def gas_of(ds: xr.Dataset) -> str:
    """Return the gas (``"co2"`` or ``"ch4"``) of a normalized swath.

    Raises
    ------
    SchemaError
        If the dataset holds neither or both gas columns.
    """
    require_dataset(ds)
    found = [g for g in GAS_UNITS if gas_variable(g) in ds.data_vars]
    if len(found) != 1:
        raise SchemaError(
            f"Dataset from {ds.attrs.get('source_files', '<memory>')} must hold exactly one "
            f"gas column (xco2 or xch4); found {found or 'none'}. Open one gas per call, "
            "e.g. urbansat.open_granules(paths, gas='ch4')."
        )
    return found[0]


def _gas_problems(ds: xr.Dataset) -> list[str]:
    """Violations of the gas column, its uncertainty and the ``gas`` attribute."""
    try:
        gas = gas_of(ds)
    except SchemaError as err:
        return [str(err)]
    problems: list[str] = []
    var = gas_variable(gas)
    for name in (var, f"{var}_uncertainty"):
        if name not in ds:
            problems.append(f"missing variable {name!r}")
            continue
        if ds[name].dims[:2] != SWATH_DIMS:
            problems.append(f"{name!r} has dims {ds[name].dims}, expected ('y', 'x')")
        if ds[name].attrs.get("units") != GAS_UNITS[gas]:
            problems.append(
                f"{name!r} has units {ds[name].attrs.get('units')!r}, expected {GAS_UNITS[gas]!r}"
            )
    if ds.attrs.get("gas") != gas:
        problems.append(f"attribute gas={ds.attrs.get('gas')!r}, expected {gas!r}")
    return problems


def _qa_and_coordinate_problems(ds: xr.Dataset) -> list[str]:
    """Violations of ``qa_pass`` and of the latitude, longitude and time coordinates."""
    problems: list[str] = []
    if "qa_pass" not in ds:
        problems.append("missing variable 'qa_pass'")
    elif ds["qa_pass"].dtype != bool:
        problems.append(f"'qa_pass' has dtype {ds['qa_pass'].dtype}, expected bool")
    for coord in ("latitude", "longitude", "time"):
        if coord not in ds.variables:
            problems.append(f"missing coordinate {coord!r}")
    if "time" in ds.variables and not np.issubdtype(ds["time"].dtype, np.datetime64):
        problems.append(f"'time' has dtype {ds['time'].dtype}, expected datetime64")
    return problems


def _units_problems(ds: xr.Dataset) -> list[str]:
    """Wrong units of the optional variables; numeric variables without units."""
    problems: list[str] = []
    for name, units in _OPTIONAL_UNITS.items():
        if name in ds.variables and ds[name].attrs.get("units") != units:
            problems.append(
                f"{name!r} has units {ds[name].attrs.get('units')!r}, expected {units!r}"
            )
    for vname in ds.variables:
        numeric = ds[vname].dtype.kind in "fiu" and vname not in ds.dims
        flag_like = vname == "qa_pass" or str(vname).endswith(("_flag", "_id", "_bitflag"))
        if numeric and not flag_like and "units" not in ds[vname].attrs:
            problems.append(f"{vname!r} has no 'units' attribute")
    return problems


def validate_granule(ds: xr.Dataset) -> xr.Dataset:
    """Check a dataset against the normalized swath contract.

    Parameters
    ----------
    ds : xarray.Dataset
        A dataset produced by a reader or by user code.

    Returns
    -------
    xarray.Dataset
        The same object, unchanged, so it can be used in a return statement.

    Raises
    ------
    SchemaError
        Naming every violation at once and the source file(s).
    """
    require_dataset(ds)
    where = ds.attrs.get("source_files", "<memory>")
    problems = [f"missing dimension {dim!r}" for dim in SWATH_DIMS if dim not in ds.dims]
    problems += _gas_problems(ds)
    problems += _qa_and_coordinate_problems(ds)
    problems += _units_problems(ds)
    if "product" not in ds.attrs:
        problems.append("missing attribute 'product'")
    if problems:
        raise SchemaError(
            f"Dataset from {where} violates the urbansat swath schema:\n  - "
            + "\n  - ".join(problems)
            + "\nSee urbansat.schema for the contract; readers must rename at the edge."
        )
    return ds


def to_soundings(ds: xr.Dataset, *, qa_only: bool = True) -> xr.Dataset:
    """Flatten a normalized swath to a 1-D ``sounding`` dimension.

    Parameters
    ----------
    ds : xarray.Dataset
        A normalized swath (see module docstring).
    qa_only : bool, default True
        Keep only soundings with ``qa_pass``; otherwise keep every sounding
        with a finite gas value.

    Returns
    -------
    xarray.Dataset
        Dims ``sounding`` (+ ``corner``, ``level``); ``y`` and ``x`` kept as
        coordinates on ``sounding`` so results can be put back on the swath.
        Computes the (small) boolean selection mask. Already flat input (a ``sounding``
        dimension) is screened the same way, so ``qa_only`` holds for it too.
    """
    qa_only = require_flag("qa_only", qa_only)
    var = gas_variable(gas_of(ds))
    keep = cast(xr.DataArray, np.isfinite(ds[var]))  # a ufunc on a DataArray returns one
    if qa_only:
        keep = keep & ds["qa_pass"]
    if "sounding" in ds.dims:
        return ds.isel(sounding=np.flatnonzero(np.asarray(keep.values)))
    flat = ds.stack(sounding=SWATH_DIMS)
    mask = np.asarray(keep.stack(sounding=SWATH_DIMS).values)
    flat = flat.isel(sounding=np.flatnonzero(mask))
    y = flat["y"].values if "y" in flat.coords else None
    x = flat["x"].values if "x" in flat.coords else None
    flat = flat.drop_vars(["sounding", "y", "x"], errors="ignore")
    flat = flat.assign_coords(sounding=np.arange(flat.sizes["sounding"]))
    if y is not None:
        flat = flat.assign_coords(y=("sounding", y), x=("sounding", x))
    return flat
