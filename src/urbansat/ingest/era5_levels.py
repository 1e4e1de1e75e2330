r"""ERA5 (IFS L137) model levels: pressure, height above ground and boundary-layer height.

Pure NumPy kernels, vectorised over the horizontal grid, that
:func:`urbansat.ingest.winds.open_wind` uses to turn ERA5 *model-level* fields into
the normalized height-level wind. The only file they read is the package's own
L137 coefficient table (``urbansat/data/era5/l137_model_levels.csv``, from
https://confluence.ecmwf.int/display/UDOC/L137+model+level+definitions).

Array convention: the model-level axis comes first and is ordered as the level
numbers increase, i.e. from the top of the profile down to the lowest level (137),
as ERA5 files store them. The other axes (time, latitude, longitude, ...) may have
any shape; ``surface_pressure`` has exactly that shape.

Vertical discretisation (ECMWF IFS Documentation Cy47r3, Part III: Dynamics and
numerical procedures, ch. 2, eqs. 2.11, 2.21-2.23), for model level ``k`` between the
half levels ``k-1/2`` (above) and ``k+1/2`` (below):

.. math::

    p_{k+1/2} = a_{k+1/2} + b_{k+1/2}\,p_s, \qquad
    p_k = \tfrac12 (p_{k-1/2} + p_{k+1/2})

    \Phi_{k+1/2} - \Phi_s = \sum_{j=k+1}^{137} R_d T_{v,j}
        \ln\frac{p_{j+1/2}}{p_{j-1/2}}, \qquad
    \Phi_k = \Phi_{k+1/2} + \alpha_k R_d T_{v,k}

    \alpha_k = 1 - \frac{p_{k-1/2}}{p_{k+1/2} - p_{k-1/2}}
        \ln\frac{p_{k+1/2}}{p_{k-1/2}} \quad (\alpha_1 = \ln 2)

with the virtual temperature :math:`T_v = T\,(1 + (1/\epsilon - 1)\,q)`. The height
above ground is :math:`z_k = (\Phi_k - \Phi_s)/g`: a geopotential height, which
differs from the geometric height by less than 0.1 % below 3 km. ddeq's
``era5.compute_height_levels`` (Kuhlmann et al.) integrates the same hypsometric
thicknesses but puts the full level at the mid-height of its layer instead of
using :math:`\alpha_k`; on the SMARTCARB ERA5 file the two agree within 0.9 m
(0.04 %) on levels 100-137.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Sequence
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from urbansat.constants import CP_DRY, EPSILON_H2O, R_DRY, G
from urbansat.errors import UrbansatError, WindError

__all__ = [
    "CRITICAL_RICHARDSON",
    "DEFAULT_HEIGHTS_M",
    "MIN_WIND_SQUARED",
    "N_LEVELS_L137",
    "boundary_layer_height",
    "bulk_richardson_number",
    "check_model_levels",
    "full_level_heights",
    "half_level_pressure",
    "interpolate_to_heights",
    "l137_coefficients",
    "virtual_temperature",
]

#: A float64 array (pressures, heights, coefficients) of the kernels below.
FloatArray: TypeAlias = npt.NDArray[np.float64]

#: Number of model levels of the IFS L137 grid used by ERA5.
N_LEVELS_L137 = 137
#: Fewest model levels a height profile needs (one layer between two levels).
_MIN_LEVELS = 2

#: Fixed output heights above ground [m]: every 50 m from 50 m to 3000 m. Equally
#: spaced, so the plain mean over the levels below a height is a height-weighted layer
#: mean (what :func:`urbansat.inversion.wind.effective_wind` takes); 50 m is the first
#: level above ERA5's lowest model level (about 10 m), so nothing is extrapolated.
DEFAULT_HEIGHTS_M = np.arange(50.0, 3000.0 + 1.0, 50.0)

#: Critical bulk Richardson number of the boundary-layer top: 0.25, the value of the
#: ECMWF IFS diagnostic behind ERA5 ``blh`` (routine VDFDPBL, ``ZRICRI = 0.25``) and of
#: Seidel et al. (2012, JGR 117, D17106).
CRITICAL_RICHARDSON = 0.25

#: Floor of the squared wind speed in the bulk Richardson number [m2 s-2]: (0.1 m s-1)^2,
#: the IFS value ``REPDU2`` (routine SUVDF) that VDFDPBL applies, so that a calm layer
#: gives a large but finite Ri_b instead of a division by zero.
MIN_WIND_SQUARED = 0.1**2


_DAMAGED = (
    "The packaged table urbansat/data/era5/l137_model_levels.csv is damaged (expected "
    "columns n,a_pa,b for half levels 0..137). Reinstall urbansat."
)


@functools.cache
def _l137_table() -> tuple[FloatArray, FloatArray]:
    text = importlib.resources.files("urbansat") / "data" / "era5" / "l137_model_levels.csv"
    rows = [
        line.split(",")
        for line in text.read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    header, body = rows[0], np.asarray(rows[1:], dtype=np.float64)
    if header != ["n", "a_pa", "b"] or body.shape != (N_LEVELS_L137 + 1, 3):
        raise UrbansatError(_DAMAGED)
    if not np.array_equal(body[:, 0], np.arange(N_LEVELS_L137 + 1)):
        raise UrbansatError(_DAMAGED)
    return body[:, 1], body[:, 2]


def l137_coefficients() -> tuple[FloatArray, FloatArray]:
    """Return the IFS L137 half-level coefficients.

    Returns
    -------
    a : numpy.ndarray
        ``a_{n}`` [Pa] for half levels ``n = 0`` (model top) ... 137 (surface).
    b : numpy.ndarray
        ``b_{n}`` [1], same half levels: :math:`p_n = a_n + b_n p_s`.

    Notes
    -----
    From ECMWF's "L137 model level definitions" table
    (https://confluence.ecmwf.int/display/UDOC/L137+model+level+definitions).
    """
    a, b = _l137_table()
    return a.copy(), b.copy()


def check_model_levels(
    levels: Sequence[int] | np.ndarray, *, where: str = ""
) -> npt.NDArray[np.int_]:
    """Check model level numbers and return them as an integer array.

    The heights above ground are integrated upward from the surface, so the levels
    must be consecutive L137 levels that end at the lowest one (137), in increasing
    order (top first), as ERA5 stores them.

    Parameters
    ----------
    levels : sequence of int
        Model level numbers.
    where : str, optional
        Prefix for the error message (e.g. the file name).

    Returns
    -------
    numpy.ndarray of int

    Raises
    ------
    WindError
        Levels that are not whole numbers in 1..137, not consecutive, or that do not
        reach level 137.
    """
    lev = np.asarray(levels, dtype=np.float64).ravel()
    prefix = f"{where}: " if where else ""
    fix = (
        "Download consecutive model levels down to 137 (e.g. levelist '100/to/137', "
        "about the lowest 4 km)."
    )
    if lev.size < _MIN_LEVELS or not np.all(np.isfinite(lev)) or np.any(lev != np.round(lev)):
        raise WindError(f"{prefix}model levels {lev.tolist()} are not whole level numbers. {fix}")
    if lev.min() < 1 or lev.max() > N_LEVELS_L137:
        raise WindError(
            f"{prefix}model levels {int(lev.min())}..{int(lev.max())} are outside the L137 "
            f"range 1..137 (ERA5). {fix}"
        )
    if not np.all(np.diff(lev) == 1) or lev[-1] != N_LEVELS_L137:
        raise WindError(
            f"{prefix}model levels {int(lev[0])}..{int(lev[-1])} ({lev.size} levels) are not "
            f"consecutive, increasing and ending at 137; heights above ground are integrated "
            f"upward from the surface. {fix}"
        )
    return lev.astype(int)


def half_level_pressure(
    levels: Sequence[int] | np.ndarray, surface_pressure: FloatArray
) -> FloatArray:
    r"""Pressure on the half levels bounding the given model levels.

    .. math:: p_{k+1/2} = a_{k+1/2} + b_{k+1/2}\,p_s

    Parameters
    ----------
    levels : sequence of int
        Consecutive model levels ending at 137 (see :func:`check_model_levels`).
    surface_pressure : numpy.ndarray
        :math:`p_s` [Pa], any shape ``S``.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(levels) + 1, *S)`` [Pa]: the half level above the first model
        level, then the half level below each model level (the last is :math:`p_s`).
    """
    lev = check_model_levels(levels)
    a, b = _l137_table()
    half = np.concatenate([[lev[0] - 1], lev])  # half level n sits below model level n
    ps = np.asarray(surface_pressure, dtype=np.float64)
    shape = (half.size,) + (1,) * ps.ndim
    p_half: FloatArray = a[half].reshape(shape) + b[half].reshape(shape) * ps[np.newaxis]
    return p_half


def virtual_temperature(temperature: FloatArray, specific_humidity: FloatArray) -> FloatArray:
    r"""Virtual temperature from temperature and specific humidity.

    .. math:: T_v = T\,(1 + (1/\epsilon - 1)\,q), \qquad \epsilon = M_{H_2O}/M_{air}

    Parameters
    ----------
    temperature : numpy.ndarray
        :math:`T` [K].
    specific_humidity : numpy.ndarray
        :math:`q` [kg kg-1].

    Returns
    -------
    numpy.ndarray
        :math:`T_v` [K]. ddeq uses the factor 0.609133 instead of
        :math:`1/\epsilon - 1 = 0.6078`; the difference is 1e-5 relative at q = 0.01.
    """
    return np.asarray(temperature, np.float64) * (
        1.0 + (1.0 / EPSILON_H2O - 1.0) * np.asarray(specific_humidity, np.float64)
    )


def full_level_heights(
    p_half: FloatArray, temperature: FloatArray, specific_humidity: FloatArray
) -> tuple[FloatArray, FloatArray]:
    r"""Heights above ground and pressures of the full model levels.

    Implements the IFS discretisation of the hypsometric equation (module docstring):
    layer thicknesses :math:`R_d T_v \ln(p_{k+1/2}/p_{k-1/2})/g` summed from the
    surface, plus :math:`\alpha_k R_d T_{v,k}/g` inside the level.

    Parameters
    ----------
    p_half : numpy.ndarray
        Half-level pressures [Pa] from :func:`half_level_pressure`, shape ``(n + 1, *S)``.
    temperature, specific_humidity : numpy.ndarray
        :math:`T` [K] and :math:`q` [kg kg-1] on the ``n`` full levels, shape ``(n, *S)``.

    Returns
    -------
    z : numpy.ndarray
        Height of the full levels above ground [m], shape ``(n, *S)``, decreasing
        along axis 0 (the last is the lowest level, about 10 m).
    p_full : numpy.ndarray
        Full-level pressure :math:`(p_{k-1/2} + p_{k+1/2})/2` [Pa], shape ``(n, *S)``.
    """
    tv = virtual_temperature(temperature, specific_humidity)
    p_up, p_lo = p_half[:-1], p_half[1:]
    top = p_up <= 0.0  # level 1: the half level above it is the model top (p = 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dlnp = np.log(p_lo / np.where(top, 1.0, p_up))
        alpha = np.where(top, np.log(2.0), 1.0 - p_up / (p_lo - p_up) * dlnp)
    dphi = R_DRY * tv * dlnp  # geopotential thickness of each layer [m2 s-2]
    # geopotential of the half level below each level: sum of the layers below it
    below = np.cumsum(dphi[:0:-1], axis=0)[::-1]
    phi_below = np.concatenate([below, np.zeros_like(dphi[:1])], axis=0)
    z = (phi_below + alpha * R_DRY * tv) / G
    return z, 0.5 * (p_up + p_lo)


def interpolate_to_heights(z: FloatArray, values: FloatArray, heights: FloatArray) -> FloatArray:
    """Interpolate a model-level field linearly in height to fixed heights.

    Parameters
    ----------
    z : numpy.ndarray
        Heights of the model levels [m], shape ``(n, *S)``, strictly decreasing along
        axis 0 (:func:`full_level_heights`).
    values : numpy.ndarray
        Field on the model levels, shape ``(n, *S)``.
    heights : numpy.ndarray
        Target heights [m], 1-D.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(heights), *S)``; NaN where a target height lies below the lowest
        or above the highest model level of a column (no extrapolation).
    """
    zr = np.asarray(z, np.float64)[::-1]  # increasing with height
    vr = np.asarray(values, np.float64)[::-1]
    n = zr.shape[0]
    out = np.full((len(heights), *zr.shape[1:]), np.nan)
    for i, h in enumerate(np.asarray(heights, np.float64)):
        above = np.clip((zr < h).sum(axis=0), 1, n - 1)[np.newaxis]  # first level >= h
        z0 = np.take_along_axis(zr, above - 1, axis=0)[0]
        z1 = np.take_along_axis(zr, above, axis=0)[0]
        v0 = np.take_along_axis(vr, above - 1, axis=0)[0]
        v1 = np.take_along_axis(vr, above, axis=0)[0]
        w = (h - z0) / (z1 - z0)
        inside = (h >= zr[0]) & (h <= zr[-1])
        out[i] = np.where(inside, v0 + w * (v1 - v0), np.nan)
    return out


def bulk_richardson_number(
    z: FloatArray,
    virtual_temperature: FloatArray,
    u: FloatArray,
    v: FloatArray,
    *,
    wind_reference: Literal["ground", "lowest_level"] = "ground",
) -> FloatArray:
    r"""Bulk Richardson number of each model level relative to the lowest one.

    The ECMWF IFS diagnostic behind ERA5 ``blh`` (routine VDFDPBL, the 2013 algorithm
    "based on Seidel et al. 2012"):

    .. math::

        Ri_b(z_k) = \frac{g\,(z_k - z_s)\,(s_{v,k} - s_{v,s}) / (c_{pd} T_{v,k})}
                         {\max(|V_k - V_{ref}|^2,\ 0.01\ \mathrm{m^2\,s^{-2}})},
        \qquad s_v = c_{pd} T_v + g z

    with ``s`` the lowest model level (about 10 m). The virtual dry static energy
    :math:`s_v` is the linearised virtual potential temperature,
    :math:`(s_{v,k} - s_{v,s})/(c_{pd} T_{v,k}) \approx (\theta_{v,k} - \theta_{v,s})
    /\theta_v`, which gives Seidel et al.'s (2012, eq. 1) form without the
    :math:`b u_*^2` term. Like Seidel et al. and the IFS, the wind is taken relative to
    the ground, where it vanishes (:math:`V_{ref} = 0`); the floor (0.1 m s-1)^2 is the
    IFS ``REPDU2`` (:data:`MIN_WIND_SQUARED`).

    Parameters
    ----------
    z : numpy.ndarray
        Height of the model levels above ground [m], shape ``(n, *S)``, lowest level last.
    virtual_temperature : numpy.ndarray
        :math:`T_v` [K] on the model levels, same shape.
    u, v : numpy.ndarray
        Wind components [m s-1] on the model levels, same shape.
    wind_reference : {"ground", "lowest_level"}, default "ground"
        ``"ground"``: :math:`V_{ref} = 0` (IFS, Seidel et al. 2012). ``"lowest_level"``:
        the shear against the lowest model level, :math:`V_{ref} = V_s` (Vogelezang &
        Holtslag 1996, there with a :math:`b u_*^2` term that model-level files cannot
        provide; the same floor guards zero shear).

    Returns
    -------
    numpy.ndarray
        :math:`Ri_b` [1], shape ``(n, *S)``; 0 at the lowest level.
    """
    z, tv, u, v = (np.asarray(x, np.float64) for x in (z, virtual_temperature, u, v))
    sv = CP_DRY * tv + G * z
    if wind_reference == "ground":
        wind2 = u**2 + v**2
    elif wind_reference == "lowest_level":
        wind2 = (u - u[-1]) ** 2 + (v - v[-1]) ** 2
    else:
        raise WindError(f"wind_reference={wind_reference!r}; use 'ground' or 'lowest_level'.")
    ri: FloatArray = (
        G * (z - z[-1]) * (sv - sv[-1]) / (CP_DRY * tv) / np.maximum(wind2, MIN_WIND_SQUARED)
    )
    ri[-1] = 0.0
    return ri


def boundary_layer_height(
    z: FloatArray,
    richardson: FloatArray,
    *,
    critical: float = CRITICAL_RICHARDSON,
) -> FloatArray:
    r"""Boundary-layer height where the bulk Richardson number first exceeds ``critical``.

    Scanning upward from the lowest model level, the top is the first level ``k``
    with :math:`Ri_b > Ri_c`; the height is interpolated linearly in :math:`Ri_b`
    between level ``k`` and the level below it, as the IFS does (VDFDPBL):

    .. math:: h = z_{k-1} + \frac{Ri_c - Ri_{k-1}}{Ri_k - Ri_{k-1}}\,(z_k - z_{k-1})

    Parameters
    ----------
    z : numpy.ndarray
        Heights above ground [m], shape ``(n, *S)``, lowest level last.
    richardson : numpy.ndarray
        :math:`Ri_b` from :func:`bulk_richardson_number`, same shape.
    critical : float, default 0.25
        :math:`Ri_c` (:data:`CRITICAL_RICHARDSON`).

    Returns
    -------
    numpy.ndarray
        Height above ground [m], shape ``S``; NaN where :math:`Ri_b` stays at or below
        ``critical`` up to the highest level (a boundary layer deeper than the profile;
        the IFS, which scans the full atmosphere, never meets this) or the column
        holds NaN.
    """
    zr = np.asarray(z, np.float64)[::-1]
    ri = np.asarray(richardson, np.float64)[::-1]
    over = ri[1:] > critical  # the lowest level (Ri = 0) never counts
    found = over.any(axis=0)
    k = (np.argmax(over, axis=0) + 1)[np.newaxis]
    z1 = np.take_along_axis(zr, k, axis=0)[0]
    z0 = np.take_along_axis(zr, k - 1, axis=0)[0]
    r1 = np.take_along_axis(ri, k, axis=0)[0]
    r0 = np.take_along_axis(ri, k - 1, axis=0)[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        h = z0 + (critical - r0) / (r1 - r0) * (z1 - z0)
    bad = np.isnan(ri).any(axis=0) | np.isnan(zr).any(axis=0)
    return np.where(found & ~bad, h, np.nan)
