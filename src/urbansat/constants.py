"""Physical constants and unit conversions, each with its source.

All of urbansat takes its constants from this one module.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "AVOGADRO",
    "CP_DRY",
    "C_TO_CO2",
    "EPSILON_H2O",
    "GLOBAL_EMISSION",
    "KG_S_TO_T_YR",
    "MAD_TO_SIGMA",
    "MASS_ATMOSPHERE",
    "MOLAR_MASS",
    "M_AIR",
    "M_H2O",
    "PPB",
    "PPM",
    "R_DRY",
    "R_EARTH",
    "R_GAS",
    "SECONDS_PER_YEAR",
    "WGS84_A",
    "WGS84_F",
    "G",
]

#: Avogadro constant [mol-1]. Exact by the 2019 SI definition (BIPM SI Brochure, 9th ed.).
AVOGADRO: Final = 6.02214076e23

#: Standard acceleration of gravity [m s-2] (CGPM 1901; CODATA "standard gravity").
#: Column conversions use it as the mean column gravity, as ddeq and the TROPOMI
#: ATBD do; the latitude/altitude dependence (<0.3 %) is inside the wind error budget.
G: Final = 9.80665

#: Molar mass of dry air [kg mol-1] (Tsilingiris 2008, Energy Conv. Manag. 49:1098;
#: the 28.9647 g/mol US Standard Atmosphere 1976 value).
M_AIR: Final = 28.9647e-3

#: Molar mass of water [kg mol-1] (IUPAC 2013 standard atomic weights).
M_H2O: Final = 18.01528e-3

#: Molar gas constant [J mol-1 K-1]. Exact by the 2019 SI definition, R = N_A k
#: (BIPM SI Brochure, 9th ed.; CODATA 2018).
R_GAS: Final = 8.314462618

#: Specific gas constant of dry air [J kg-1 K-1], R_d = R / M_air = 287.055 (IFS uses
#: 287.06, ECMWF IFS Documentation Part III; the 0.002 % difference is immaterial).
R_DRY: Final = R_GAS / M_AIR

#: Ratio of the molar masses of water vapour and dry air, epsilon = M_H2O / M_air =
#: R_d / R_v = 0.62198 [1]. The virtual temperature from specific humidity q is then
#: T_v = T (1 + (1/epsilon - 1) q) (Wallace & Hobbs 2006, Atmospheric Science, 2nd ed.,
#: ch. 3; the form of ECMWF IFS Documentation Part III, ch. 2).
EPSILON_H2O: Final = M_H2O / M_AIR

#: Specific heat of dry air at constant pressure [J kg-1 K-1], c_pd = 7/2 R_d = 1004.7:
#: an ideal diatomic gas, as the IFS sets it (routine SUCST: RCPD = 3.5 RD); Wallace &
#: Hobbs (2006) give 1004. Used in the virtual dry static energy c_pd T_v + g z.
CP_DRY: Final = 3.5 * R_DRY

#: Molar masses [kg mol-1] of the T/CI 231 gases, from IUPAC 2013 standard atomic
#: weights (C 12.011, H 1.008, O 15.999, N 14.007, F 18.998, S 32.06).
#: PFCs and HFCs are families; the values are those of the dominant species,
#: CF4 (PFC-14) and CHF2CF3 / CH2FCF3 (HFC-134a), as named in the keys.
MOLAR_MASS: Final[dict[str, float]] = {
    "co2": 44.0095e-3,
    "ch4": 16.0425e-3,
    "n2o": 44.0128e-3,
    "sf6": 146.055e-3,
    "cf4": 88.0043e-3,  # PFC-14, largest PFC by mass in the atmosphere
    "hfc134a": 102.032e-3,  # CH2FCF3, largest HFC by mass in the atmosphere
    "c": 12.011e-3,
}

#: Total emission of the world [kg s-1], an upper bound no single source or region reaches:
#: CO2 from fossil fuels and industry 37.15 Gt yr-1 in 2022 (Friedlingstein et al. 2023,
#: Global Carbon Budget 2023, ESSD 15, 5301), CH4 from all sources 576 Tg yr-1 (2008-2017
#: top-down mean, Saunois et al. 2020, Global Methane Budget, ESSD 12, 1561).
GLOBAL_EMISSION: Final[dict[str, float]] = {
    "co2": 37.15e12 / (365.25 * 86400.0),
    "ch4": 576e9 / (365.25 * 86400.0),
}

#: Mass ratio CO2 / C = 44.0095 / 12.011 (IPCC 2006 GL uses 44/12 = 3.667).
C_TO_CO2: Final = 44.0 / 12.0

#: Seconds in a Julian year (IAU), 365.25 d.
SECONDS_PER_YEAR: Final = 365.25 * 86400.0

#: Total mass of the atmosphere [kg] (Trenberth & Smith 2005, J. Climate 18:864, 5.148e18 kg).
#: No emission, nor an outlier of an emission estimate, is a whole atmosphere each second.
MASS_ATMOSPHERE: Final = 5.148e18

#: kg/s -> t/yr.
KG_S_TO_T_YR: Final = SECONDS_PER_YEAR / 1000.0

#: Mean Earth radius [m] (IUGG, R1 = (2a + b)/3).
R_EARTH: Final = 6371008.8

#: WGS84 semi-major axis [m] and flattening (NIMA TR8350.2).
WGS84_A: Final = 6378137.0
WGS84_F: Final = 1.0 / 298.257223563

#: Ratio of the standard deviation to the median absolute deviation of a normal
#: distribution, 1 / Phi^-1(3/4) (Rousseeuw & Croux 1993, J. Am. Stat. Assoc. 88, 1273).
MAD_TO_SIGMA: Final = 1.482602218505602

#: Mole-fraction scale factors.
PPM: Final = 1e-6
PPB: Final = 1e-9
