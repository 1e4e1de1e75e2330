"""The wind contract: a user-given wind value parsed and checked in one place.

A normalized wind dataset (:func:`urbansat.open_wind`) holds ``eastward_wind`` and
``northward_wind`` [m s-1] (scalars for a user value), optionally
``wind_speed_uncertainty`` [m s-1] (1 sigma of the speed) and
``wind_from_direction_uncertainty`` [degree] (1 sigma of the direction), and the attribute
``wind_source``. :func:`user_wind` is the one parser of a wind given as numbers: by
``open_wind`` (ingest) and by :func:`urbansat.inversion.wind.as_wind_dataset` (pure code).

Forms accepted (speeds in m s-1, directions in degrees):

* ``(u, v)`` or ``(u, v, sigma)``;
* ``{"u": .., "v": .., "sigma": .., "direction_sigma": ..}`` (the last two optional);
* ``{"speed": .., "direction": .., "sigma": .., "direction_sigma": ..}`` with
  ``direction`` the meteorological direction the wind blows *from*, clockwise from north
  (CF ``wind_from_direction``): ``u = -speed sin(direction)``, ``v = -speed cos(direction)``
  (WMO-No. 8, Guide to Meteorological Instruments, 2018, part I ch. 5).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from urbansat.errors import WindError

__all__ = [
    "DIRECTION_SIGMA",
    "MAX_WIND_COMPONENT_M_S",
    "SPEED_SIGMA",
    "check_sigma",
    "check_wind_dataset",
    "check_wind_range",
    "granule_wind",
    "user_wind",
    "with_sigmas",
]

#: Largest plausible horizontal wind component [m s-1]. The strongest winds of the atmosphere
#: are jet-stream and polar-night-jet cores of 100-150 m s-1 (e.g. Holton & Hakim 2013,
#: An Introduction to Dynamic Meteorology, ch. 10); a component above this bound is a unit
#: slip (cm s-1, km h-1 of a storm) or an unmasked fill value, never a wind.
MAX_WIND_COMPONENT_M_S = 200.0
#: Variable of the 1-sigma wind-speed error [m s-1].
SPEED_SIGMA = "wind_speed_uncertainty"
#: Variable of the 1-sigma wind-direction error [degree].
DIRECTION_SIGMA = "wind_from_direction_uncertainty"
#: Largest meaningful 1-sigma direction error [degree]: beyond it the direction is unknown.
_MAX_DIRECTION_SIGMA = 180.0
_M_S = {"units": "m s-1"}
_KEYS = {"u", "v", "speed", "direction", "sigma", "direction_sigma"}
#: A user wind sequence is (u, v) or (u, v, sigma).
_UV = 2


def check_sigma(sigma: Any, *, what: str = "Wind sigma", unit: str = "m s-1") -> float | None:
    """Return ``sigma`` as a float (None stays None); refuse a negative or non-finite one.

    Raises
    ------
    WindError
        A value that is not a finite number >= 0, above 180 for a direction in degrees, or
        above :data:`MAX_WIND_COMPONENT_M_S` for a speed.
    """
    if sigma is None:
        return None
    try:
        s = float(sigma)
    except (TypeError, ValueError):
        s = math.nan
    if isinstance(sigma, bool) or not math.isfinite(s) or s < 0:
        raise WindError(f"{what}={sigma!r} must be a finite value >= 0 in {unit}.")
    if unit == "degree" and s > _MAX_DIRECTION_SIGMA:
        raise WindError(f"{what}={sigma!r} exceeds 180 degree: the direction would be unknown.")
    if unit == "m s-1" and s > MAX_WIND_COMPONENT_M_S:  # 1e300 overflowed in effective_wind
        raise WindError(
            f"{what}={sigma!r} m s-1 exceeds any wind ({MAX_WIND_COMPONENT_M_S:g} m s-1): check "
            "the units (m s-1; a relative error of 20 % on 5 m s-1 is sigma=1.0)."
        )
    return s


#: A full circle [degree]; user directions beyond it are refused as typos.
_FULL_CIRCLE = 360.0


def _finite(name: str, value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    if isinstance(value, bool) or not math.isfinite(x):
        raise WindError(f"User wind {name}={value!r} is not finite: give a number.")
    return x


def _components(value: Any) -> tuple[float, float, Any, Any]:
    """Return ``(u, v, sigma, direction_sigma)`` of a user value (sigmas unchecked)."""
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - _KEYS)
        if unknown:
            raise WindError(
                f"User wind has unknown key(s) {unknown}; use u, v or speed, direction "
                "(degrees the wind blows from), with optional sigma [m s-1] and "
                "direction_sigma [degree]."
            )
        polar, cart = {"speed", "direction"} & set(value), {"u", "v"} & set(value)
        if cart == {"u", "v"} and not polar:
            u, v = _finite("u", value["u"]), _finite("v", value["v"])
        elif polar == {"speed", "direction"} and not cart:
            speed, dirn = _finite("speed", value["speed"]), _finite("direction", value["direction"])
            if speed < 0:
                raise WindError(f"User wind speed={speed!r} must be >= 0 m s-1.")
            if not -_FULL_CIRCLE <= dirn <= _FULL_CIRCLE:
                raise WindError(
                    f"User wind direction={dirn!r} is outside -360..360 degree (the direction "
                    "the wind blows from, clockwise from north): a typo? Give it within one "
                    f"turn ({dirn % _FULL_CIRCLE:g} if the same direction was meant)."
                )
            u = -speed * math.sin(math.radians(dirn))
            v = -speed * math.cos(math.radians(dirn))
        else:
            raise WindError(
                f"User wind needs either u and v [m s-1] or speed [m s-1] and direction "
                f"[degree, from]; got keys {sorted(value)}."
            )
        return u, v, value.get("sigma"), value.get("direction_sigma")
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        vals = list(value)
        if len(vals) not in (_UV, _UV + 1):
            raise WindError(f"User wind must be (u, v) or (u, v, sigma) in m s-1; got {vals!r}.")
        return (
            _finite("u", vals[0]),
            _finite("v", vals[1]),
            vals[2] if len(vals) > _UV else None,
            None,
        )
    raise WindError(
        f"wind={value!r} is not a wind: give (u, v, sigma) in m s-1, a mapping "
        "{'speed': .., 'direction': .., 'sigma': .., 'direction_sigma': ..}, or a dataset "
        "from urbansat.open_wind."
    )


def user_wind(
    value: Sequence[float] | Mapping[str, Any],
    *,
    sigma: float | None = None,
    direction_sigma: float | None = None,
) -> xr.Dataset:
    """Return the normalized (scalar) wind dataset of a wind given as numbers.

    Parameters
    ----------
    value : sequence or mapping
        One of the forms of the module docstring.
    sigma : float, optional
        1-sigma speed error [m s-1]; a value that carries its own must agree with it.
    direction_sigma : float, optional
        1-sigma direction error [degree]; a value that carries its own must agree with it.

    Returns
    -------
    xarray.Dataset
        ``eastward_wind``, ``northward_wind`` [m s-1] and, when known,
        ``wind_speed_uncertainty`` [m s-1] and ``wind_from_direction_uncertainty`` [degree];
        ``attrs["wind_source"] = "user"``.

    Raises
    ------
    WindError
        Not finite, unknown keys, a component beyond :data:`MAX_WIND_COMPONENT_M_S`, a
        negative speed or sigma, or a ``sigma``/``direction_sigma`` argument that
        disagrees with the one in the value.

    Examples
    --------
    >>> w = user_wind({"speed": 5.0, "direction": 270.0, "sigma": 1.0, "direction_sigma": 10})
    >>> round(float(w.eastward_wind), 6), round(float(w.northward_wind), 6)  # from the west
    (5.0, 0.0)
    >>> float(w.wind_from_direction_uncertainty)
    10.0
    """
    u, v, s_own, d_own = _components(value)
    for name, x in (("u", u), ("v", v)):
        if abs(x) > MAX_WIND_COMPONENT_M_S:
            raise WindError(
                f"User wind component {name!r} = {x:.6g} m s-1 is beyond any atmospheric wind "
                f"(|u|, |v| <= {MAX_WIND_COMPONENT_M_S:g} m s-1): check the units (m s-1)."
            )
    for name, given, own, unit in (
        ("sigma", sigma, s_own, "m s-1"),
        ("direction_sigma", direction_sigma, d_own, "degree"),
    ):
        if given is not None and own is not None and not given == own:
            raise WindError(  # one of the two was silently dropped
                f"The wind value carries {name} = {own!r} {unit} and {name}={given!r} was "
                "also given: they disagree. Give the wind's error once, in the value or as "
                f"{name}=."
            )
    s = check_sigma(sigma if sigma is not None else s_own)
    d = check_sigma(
        direction_sigma if direction_sigma is not None else d_own,
        what="Wind direction_sigma",
        unit="degree",
    )
    ds = xr.Dataset(
        {
            "eastward_wind": ((), u, {**_M_S, "standard_name": "eastward_wind"}),
            "northward_wind": ((), v, {**_M_S, "standard_name": "northward_wind"}),
        },
        attrs={"wind_source": "user"},
    )
    return with_sigmas(ds, s, d)


def check_wind_range(values: np.ndarray, where: str, name: str) -> np.ndarray:
    """Return ``values`` [m s-1]; refuse components beyond :data:`MAX_WIND_COMPONENT_M_S`.

    Raises
    ------
    WindError
        Naming ``where``, the component, how many values and the largest, and the fix (the
        units attribute or an unmasked fill value).
    """
    with np.errstate(invalid="ignore"):
        bad = np.abs(values) > MAX_WIND_COMPONENT_M_S
    if bad.any():
        raise WindError(
            f"{where}: wind component {name!r} has {int(bad.sum())} value(s) up to "
            f"{float(np.nanmax(np.abs(values))):.6g} m s-1 after unit conversion, beyond any "
            f"atmospheric wind (|u|, |v| <= {MAX_WIND_COMPONENT_M_S:g} m s-1). Check the units "
            "attribute (urbansat converts from it) and the fill value (_FillValue or "
            "missing_value must mark the missing points)."
        )
    return values


#: Spellings of m s-1 accepted on an in-memory wind (the contract writes "m s-1").
_M_S_SPELLINGS = frozenset({"m s-1", "m/s", "m s**-1", "m s^-1", "m.s-1", "m s-1 "})


def check_wind_dataset(wind: xr.Dataset, where: str = "the wind dataset") -> xr.Dataset:
    """Refuse an in-memory wind that breaks the wind contract; return it unchanged.

    Files are checked where :func:`urbansat.open_wind` reads them; a Dataset built or
    edited in memory is checked here: components in m s-1 (a ``units`` attribute of any
    other unit is refused, not converted) and within :data:`MAX_WIND_COMPONENT_M_S`, and
    the stated errors one finite value each, the speed error >= 0 and the direction error
    within 0-180 degrees.

    Raises
    ------
    WindError
        Naming the variable, the value found and the fix.
    """
    for name in ("eastward_wind", "northward_wind"):
        if name not in wind:
            continue
        unit = wind[name].attrs.get("units")
        if unit is None:  # open_wind refuses a file without it; a km/h Dataset was m/s
            raise WindError(
                f"{where}: {name} has no units attribute; urbansat will not guess the unit "
                "of a wind. Set attrs['units'] = 'm s-1' after converting (km h-1 / 3.6, "
                "knots x 0.5144), or open the file with urbansat.open_wind."
            )
        if str(unit).strip() not in _M_S_SPELLINGS:
            raise WindError(
                f"{where}: {name} has units {unit!r}; a wind dataset holds m s-1. Convert it "
                f"(km h-1 / 3.6, knots x 0.5144) and set attrs['units'] = 'm s-1', or open the "
                "file with urbansat.open_wind, which converts from the file's units."
            )
        check_wind_range(np.asarray(wind[name].values, dtype=float), where, name)
    for name, lo, hi, unit in (
        (SPEED_SIGMA, 0.0, MAX_WIND_COMPONENT_M_S, "m s-1"),  # as open_wind's sigma=
        (DIRECTION_SIGMA, 0.0, 180.0, "degree"),
    ):
        if name not in wind:
            continue
        if wind[name].ndim:
            raise WindError(
                f"{where}: {name} has dims {wind[name].dims}; it is one stated 1-sigma for the "
                f"whole wind [{unit}]. Give a single value, e.g. open_wind(wind, sigma=1.5)."
            )
        v = float(wind[name].values)
        if not (math.isfinite(v) and lo <= v <= hi):
            raise WindError(
                f"{where}: {name} = {v!r} [{unit}] is not a 1-sigma error within {lo:g}-{hi:g}; "
                "state the error of the wind product, e.g. open_wind(wind, sigma=1.5, "
                "direction_sigma=10)."
            )
    return wind


def granule_wind(swath: xr.Dataset) -> xr.Dataset:
    """Return the wind dataset of a normalized swath's own 10 m met fields (C1 -> C3).

    The swath contract (:mod:`urbansat.schema.swath`) has ``eastward_wind`` and
    ``northward_wind`` in m s-1 on ``(y, x)``; the wind keeps the pixels' latitude and
    longitude, gets the mid-time of the soundings as a ``time`` coordinate and
    ``wind_source = "granule:<product> 10 m"``. No speed or direction error is attached
    (:func:`with_sigmas` does).

    Raises
    ------
    WindError
        A component missing, in other units than m s-1 (the swath was not normalized:
        open it with :func:`urbansat.open_granules`), or beyond any atmospheric wind.
    """
    where = str(swath.attrs.get("source_files", "<memory>"))
    comps = {}
    for name in ("eastward_wind", "northward_wind"):
        if name not in swath:
            raise WindError(
                f"Swath from {where} carries no {name!r}; pass a wind file opened with "
                "urbansat.open_wind(path) or a user value, e.g. (u, v, sigma)."
            )
        units = swath[name].attrs.get("units")
        if units != _M_S["units"]:
            raise WindError(
                f"Swath from {where}: {name} has units {units!r}, the swath contract says "
                "'m s-1'; pass urbansat.open_wind(swath) instead, which converts from the units."
            )
        comps[name] = (
            ("y", "x"),
            check_wind_range(np.asarray(swath[name].values, float), f"'{where}'", name),
            _M_S,
        )
    out = xr.Dataset(
        comps,
        coords={
            "latitude": (("y", "x"), np.asarray(swath["latitude"].values, float)),
            "longitude": (("y", "x"), np.asarray(swath["longitude"].values, float)),
        },
        attrs={"wind_source": f"granule:{swath.attrs.get('product', 'unknown')} 10 m"},
    )
    if "time" in swath.variables:
        t = np.asarray(swath["time"].values).ravel()
        t = t[~np.isnat(t)] if t.dtype.kind == "M" else t
        if t.size:
            out = out.assign_coords(time=t.min() + (t.max() - t.min()) / 2)
    return out


def with_sigmas(
    wind: xr.Dataset, sigma: float | None, direction_sigma: float | None = None
) -> xr.Dataset:
    """Return ``wind`` with the stated speed [m s-1] and direction [degree] errors attached.

    ``None`` leaves the dataset's own (if any); the input is not modified.
    """
    out = wind.copy()
    if sigma is not None:
        out[SPEED_SIGMA] = ((), sigma, {**_M_S, "long_name": "1-sigma error of the wind speed"})
    if direction_sigma is not None:
        out[DIRECTION_SIGMA] = (
            (),
            direction_sigma,
            {"units": "degree", "long_name": "1-sigma error of the wind direction"},
        )
    return out
