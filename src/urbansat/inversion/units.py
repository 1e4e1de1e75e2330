r"""Mole fraction -> column mass.

The flux methods work on the column mass enhancement ``dV`` [kg m-2] of the
emitted gas. For a dry-air mole fraction ``X`` (in ppm or ppb, scale ``f``)

.. math::

    V = X f \frac{M_{gas}}{M_{air}} \frac{p_s}{g}

where ``p_s / g`` [kg m-2] is the total air column (hydrostatic, ``g`` the
standard gravity of :mod:`urbansat.constants`). When a product gives the
dry-air column ``N_dry`` [mol m-2] it replaces ``p_s / (g M_air)``:
``V = X f M_gas N_dry``. Water vapour is not removed from ``p_s``; that is a
< 1 % low bias of the column mass (ddeq makes the same choice) and it is kept
inside the ``model`` term of the budget.

Constants: molar masses, ``M_AIR`` and ``G`` from :mod:`urbansat.constants`.
"""

from __future__ import annotations

import numpy as np

from urbansat.constants import M_AIR, MOLAR_MASS, PPB, PPM, G
from urbansat.errors import InversionError

__all__ = ["STANDARD_SURFACE_PRESSURE", "column_mass_factor", "mole_fraction_scale"]

#: Standard sea-level pressure [Pa] (ICAO Standard Atmosphere, ISO 2533:1975), used
#: only when a swath carries no surface pressure (stated in the result's attrs).
STANDARD_SURFACE_PRESSURE = 101325.0


def mole_fraction_scale(gas: str) -> float:
    """Return the factor from the normalized unit to mol/mol (ppm for CO2, ppb for CH4)."""
    gas = gas.lower()
    if gas == "co2":
        return PPM
    if gas == "ch4":
        return PPB
    raise InversionError(
        f"gas={gas!r} is not supported by the inversion; use 'co2' (xco2 in ppm) or "
        "'ch4' (xch4 in ppb)."
    )


def column_mass_factor(
    gas: str,
    surface_pressure: np.ndarray | float | None = None,
    *,
    dry_air_column: np.ndarray | float | None = None,
) -> np.ndarray | float:
    """Return ``k`` such that ``dV [kg m-2] = k * dX [ppm|ppb]``.

    ``k = f * M_gas / M_air * p_s / g`` or, with a dry-air column
    ``N_dry`` [mol m-2], ``k = f * M_gas * N_dry``.

    Parameters
    ----------
    gas : {"co2", "ch4"}
        Emitted gas.
    surface_pressure : array or float, optional
        Surface pressure [Pa]; the ICAO standard 101325 Pa when None.
    dry_air_column : array or float, optional
        Dry-air column [mol m-2]; takes precedence over ``surface_pressure``.

    Returns
    -------
    numpy.ndarray or float
        Conversion factor [kg m-2 per ppm (CO2) or per ppb (CH4)].

    Examples
    --------
    >>> round(column_mass_factor("co2", 101325.0) * 1e3, 4)  # g m-2 per ppm
    15.699
    """
    f = mole_fraction_scale(gas)
    m_gas = MOLAR_MASS[gas.lower()]
    if dry_air_column is not None:
        return f * m_gas * np.asarray(dry_air_column, dtype=float)
    ps = STANDARD_SURFACE_PRESSURE if surface_pressure is None else surface_pressure
    ps = np.asarray(ps, dtype=float)
    if np.any(ps <= 0):
        raise InversionError(
            "surface_pressure must be positive [Pa]; got a value <= 0. Check the product's "
            "surface_pressure units (hPa values must be multiplied by 100)."
        )
    out = f * (m_gas / M_AIR) * ps / G
    return float(out) if out.ndim == 0 else out
