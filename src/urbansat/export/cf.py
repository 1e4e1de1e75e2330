"""CF-1.10 / ACDD-1.3 attributes for every netCDF file urbansat writes (issue 19 item 4).

One function, :func:`cf_ready`, is applied on the way out (``netcdf_ready`` for the cache
and ``urbansat invert``; the indicator table builds its own Dataset and passes it through
here too). It never changes a value, only how the file describes it:

* ``long_name`` on every variable (from the variable's own attrs, else :data:`LONG_NAMES`);
* ``standard_name`` where the CF Standard Name Table (v93) has one for the quantity
  (:data:`STANDARD_NAMES`; uncertainties take the ``standard_error`` modifier). Quantities
  the table has no name for -- an emission *rate of a source* in kg s-1 (the table's emission
  names are fluxes per area, kg m-2 s-1), carbon stocks and sinks per boundary, the T/CI 231
  indicators -- carry no ``standard_name`` rather than a wrong one;
* ``coverage_content_type`` (ISO 19115-1 code) on every data variable;
* units UDUNITS-2 can parse: ``t CO2 yr-1`` is written ``t yr-1`` with ``quantity = "mass of
  CO2"``, ``t C`` is written ``t`` with ``quantity = "mass of carbon"`` (UDUNITS reads ``C``
  as coulomb), ``ppm``/``ppb``/``ppt`` as ``1e-6``/``1e-9``/``1e-12``; the table's own
  spelling stays in ``units_table``; strings carry no ``units``;
* 64-bit integers stored as 32-bit where the values fit (CF-1.8 has no int64);
* the ACDD discovery attributes (title, summary, keywords, Conventions, date_created,
  history, creator, product version, geospatial bounds when latitude/longitude are present).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from urbansat._version import __version__

__all__ = ["LONG_NAMES", "STANDARD_NAMES", "cf_ready", "cf_units"]

#: CF Standard Name Table v93 names for quantities urbansat writes (canonical units in the
#: comment). Gas-dependent names are keyed by (variable, gas).
STANDARD_NAMES: dict[str, str] = {
    "latitude": "latitude",  # degree_north
    "longitude": "longitude",  # degree_east
    "time": "time",
    "wind_speed": "wind_speed",  # m s-1
    "n_obs": "number_of_observations",  # 1
    "n_valid_near": "number_of_observations",
    "n_overpasses": "number_of_observations",
    "xco2": "dry_atmosphere_mole_fraction_of_carbon_dioxide",  # 1
    "xch4": "dry_atmosphere_mole_fraction_of_methane",  # 1
}

#: Fallback ``long_name`` of variables whose producer set none.
LONG_NAMES: dict[str, str] = {
    "emission_t_per_yr": "emission rate",
    "emission_t_per_yr_uncertainty": "1-sigma total uncertainty of the emission rate",
    "method": "flux inversion method",
    "qa_reason": "reason the estimate was not made or is flagged (empty: none)",
    "n_obs": "number of soundings used",
    "plume_detected": "plume detected above the background noise",
    "wind_speed": "effective wind speed used for the source",
    "wind_speed_uncertainty": "1-sigma uncertainty of the effective wind speed",
    "source": "source name",
    "boundary": "boundary id",
    "name": "boundary name",
    "level": "boundary level (city, county, park, project)",
    "category": "T/CI 231 sink category",
    "pool": "carbon pool",
    "class_start": "land-cover class code at the start epoch",
    "class_end": "land-cover class code at the end epoch",
    "category_start": "sink category of the start class",
    "category_end": "sink category of the end class",
    "latitude": "latitude",
    "longitude": "longitude",
    "period_status": "status of the period total",
    "temporal_profile": "temporal profile used for the period total",
    "months_covered": "number of months with an overpass",
    "n_eff": "effective number of independent overpasses",
    "n_overpasses": "number of overpasses",
}

# urbansat unit spelling -> (UDUNITS-2 unit, what the mass is of)
_UNITS: dict[str, tuple[str, str | None]] = {
    "t CO2 yr-1": ("t yr-1", "mass of CO2"),
    "t CO2": ("t", "mass of CO2"),
    "t C": ("t", "mass of carbon"),
    "t C ha-1": ("t ha-1", "mass of carbon"),
    "t C yr-1": ("t yr-1", "mass of carbon"),
    "ppm": ("1e-6", None),
    "ppb": ("1e-9", None),
    "ppt": ("1e-12", None),
    "%": ("percent", None),
}

_INT64_BYTES = 8
_SUMMARY_VARS = 12  # variables named in the default ACDD summary

_QUALITY = ("_uncertainty", "_low", "_high", "_lower_", "_upper_", "qa_", "n_", "dofs")


def cf_units(unit: str) -> tuple[str, str | None]:
    """UDUNITS-2 spelling of an urbansat unit and the substance its mass is of.

    Parameters
    ----------
    unit : str
        A unit as urbansat's tables write it (``"t CO2 yr-1"``, ``"t C"``, ``"ppm"``...).

    Returns
    -------
    tuple of (str, str or None)
        The unit UDUNITS-2 parses and, for masses of a substance, ``"mass of CO2"`` or
        ``"mass of carbon"``.

    Examples
    --------
    >>> cf_units("t CO2 yr-1")
    ('t yr-1', 'mass of CO2')
    >>> cf_units("m s-1")
    ('m s-1', None)
    """
    return _UNITS.get(unit.strip(), (unit, None))


def _standard_name(name: str, gas: str | None) -> str | None:
    if name in STANDARD_NAMES:
        return STANDARD_NAMES[name]
    for suffix in ("_uncertainty",):
        base = name.removesuffix(suffix)
        if base != name and base in STANDARD_NAMES and base not in ("latitude", "longitude"):
            return f"{STANDARD_NAMES[base]} standard_error"
    if gas and name in ("column_mean", "background") and f"x{gas}" in STANDARD_NAMES:
        return STANDARD_NAMES[f"x{gas}"]
    return None


def _content_type(name: str, da: xr.DataArray) -> str:
    if da.dtype.kind in "US":
        return "auxiliaryInformation"
    if any(k in name for k in _QUALITY) or "flag" in name:
        return "qualityInformation"
    return "modelResult"


def _narrow_dtype(da: xr.DataArray) -> xr.DataArray:
    """Object arrays as strings; int64 values that fit as int32."""
    if da.dtype == object:
        da = da.astype(str)
    if da.dtype.kind == "i" and da.dtype.itemsize == _INT64_BYTES and da.size:
        vals = np.asarray(da.values)
        if vals.min() >= np.iinfo(np.int32).min and vals.max() <= np.iinfo(np.int32).max:
            da = da.astype(np.int32)
    return da


def _fix_units(attrs: dict[str, Any], kind: str) -> None:
    """Make ``attrs`` CF for a variable of dtype ``kind``: units, or flag attributes."""
    if kind in "US":
        attrs.pop("units", None)  # CF: strings have no units
    elif kind == "b":  # written as int8 0/1 by xarray; CF: a flag variable
        attrs.pop("units", None)
        attrs.setdefault("flag_values", np.array([0, 1], dtype=np.int8))
        attrs.setdefault("flag_meanings", "false true")
    elif "units" in attrs:
        unit, quantity = cf_units(str(attrs["units"]))
        if unit != attrs["units"]:
            attrs["units_table"] = str(attrs["units"])
            attrs["units"] = unit
        if quantity:
            attrs.setdefault("quantity", quantity)


def _fix_variable(name: str, da: xr.DataArray, *, gas: str | None, is_coord: bool) -> xr.DataArray:
    attrs = dict(da.attrs)
    da = _narrow_dtype(da)
    _fix_units(attrs, da.dtype.kind)
    if name == "latitude":
        attrs.update(units="degrees_north", standard_name="latitude", axis="Y")
    elif name == "longitude":
        attrs.update(units="degrees_east", standard_name="longitude", axis="X")
    if not attrs.get("long_name"):
        attrs["long_name"] = LONG_NAMES.get(name, name.replace("_", " "))
    sn = _standard_name(name, gas)
    if sn and "standard_name" not in attrs:
        attrs["standard_name"] = sn
    if not is_coord:
        attrs.setdefault("coverage_content_type", _content_type(name, da))
    da = da.copy(deep=False)
    da.attrs = attrs
    return da


def _scalar_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: (v if isinstance(v, (str, int, float)) else json.dumps(v, default=str))
        for k, v in attrs.items()
    }


def cf_ready(
    ds: xr.Dataset,
    *,
    title: str | None = None,
    summary: str | None = None,
    keywords: str | None = None,
    processing_level: str | None = None,
) -> xr.Dataset:
    """Return a copy of ``ds`` described by CF-1.10 and ACDD-1.3 attributes (module docstring).

    Parameters
    ----------
    ds : xarray.Dataset
        Any urbansat result (emission, sink, indicator, swath, land-cover table).
    title, summary, keywords, processing_level : str, optional
        ACDD discovery attributes; defaults are derived from the variables (``ds.attrs``
        values are kept when present).

    Returns
    -------
    xarray.Dataset
        Same values; attributes CF/ACDD-complete; attributes that are not str/int/float are
        JSON-encoded so netCDF-4 can store them. ``ds`` is not modified.

    Examples
    --------
    >>> ds = xr.Dataset({"net_sink": ("boundary", [1.5], {"units": "t CO2 yr-1"})})
    >>> out = cf_ready(ds)
    >>> out.net_sink.attrs["units"], out.net_sink.attrs["quantity"], out.attrs["Conventions"]
    ('t yr-1', 'mass of CO2', 'CF-1.10, ACDD-1.3')
    """
    out = ds.copy()
    gas = str(ds.attrs.get("gas", "")).lower() or None
    coords = set(out.coords)
    for v in list(out.variables):
        out[v] = _fix_variable(str(v), out[v], gas=gas, is_coord=v in coords)
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    what = (
        "emission estimates"
        if "emission" in out
        else "carbon sink accounts"
        if "net_sink" in out
        else "results"
    )
    attrs: dict[str, Any] = {
        "title": title or f"urbansat {what}",
        "summary": summary
        or f"urbansat {what} from satellite observations (variables: "
        + ", ".join(map(str, list(out.data_vars)[:_SUMMARY_VARS]))
        + (", ..." if len(out.data_vars) > _SUMMARY_VARS else "")
        + ").",
        "keywords": keywords
        or "carbon dioxide, methane, emissions, carbon sink, satellite, urbansat",
        "keywords_vocabulary": "free text",
        "standard_name_vocabulary": "CF Standard Name Table v93",
        "creator_name": "urbansat",
        "product_version": __version__,
        "date_created": now,
        "history": f"{now} written by urbansat {__version__}",
    }
    if processing_level:
        attrs["processing_level"] = processing_level
    if "latitude" in out and "longitude" in out and out["latitude"].size:
        lat = np.asarray(out["latitude"].values, float)
        lon = np.asarray(out["longitude"].values, float)
        if np.isfinite(lat).any() and np.isfinite(lon).any():
            attrs.update(
                geospatial_lat_min=float(np.nanmin(lat)),
                geospatial_lat_max=float(np.nanmax(lat)),
                geospatial_lon_min=float(np.nanmin(lon)),
                geospatial_lon_max=float(np.nanmax(lon)),
                geospatial_lat_units="degrees_north",
                geospatial_lon_units="degrees_east",
            )
    kept = _scalar_attrs(ds.attrs)
    if "history" in kept:
        attrs["history"] = f"{kept.pop('history')}\n{attrs['history']}"
    out.attrs = {**attrs, **kept, "Conventions": "CF-1.10, ACDD-1.3"}
    if str(ds.attrs.get("units", "")):  # a Dataset-level "units" is not CF; keep it visibly
        out.attrs["emission_units"] = out.attrs.pop("units")
    return out
