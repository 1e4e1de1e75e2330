"""Integrated mass enhancement (IME).

The mass of gas in a band that starts upwind of every emission and ends at
``s_max = r0 + L`` downwind of the source centre is, for a steady plume,

.. math::

    M = \\int_{s_{min}}^{s_{max}} \\frac{F(s)}{U} ds = \\frac{Q}{U} (s_{max} - \\bar s_e)

with ``F(s)`` the flux through the cross-section at ``s`` and ``\\bar s_e = 0`` the
mean along-wind position of the emissions (the source centre). Hence

.. math::

    Q = U_{eff} \\frac{IME}{L_{eff}}, \\quad IME = \\sum_{box} \\Delta V_i A_i, \\quad L_{eff} = s_{max}

The band is ``|n| <= half_width``; the whole band is integrated (no detection
threshold), so noise averages out instead of biasing the mass low as a
thresholded mask does. Soundings missing inside the band (clouds, swath edge) are
filled slab by slab with the slab's mean enhancement; the filled fraction
``1 - coverage`` times ``|Q|`` is added to the model error, and a band covered
less than ``min_coverage`` is rejected with a ``qa_reason``.
"""

from __future__ import annotations

import itertools

import numpy as np

from urbansat.inversion.plume import PlumeFrame
from urbansat.inversion.result import MethodResult

__all__ = ["estimate_ime"]


def estimate_ime(frame: PlumeFrame, *, min_coverage: float = 0.75, slab_km: float | None = None) -> MethodResult:
    """Estimate ``Q`` of one source by the integrated mass enhancement.

    Parameters
    ----------
    frame : PlumeFrame
        Prepared plume geometry and enhancement.
    min_coverage : float, default 0.75
        Smallest valid area fraction of the integration band.
    slab_km : float, optional
        Along-plume slab length for gap filling [km]; 2 pixels when None.

    Returns
    -------
    MethodResult
    """
    sc = frame.scene
    if not sc.image:
        return MethodResult.rejected(
            "IME needs an image swath (>= 3 x 3 pixels around the source); these are sparse "
            "soundings: use method='gaussian' or 'bayesian'", sc.n_valid)
    pix = sc.pixel_km * 1e3
    s_min = -(frame.r0 + max(2 * pix, 2000.0))
    s_max = frame.r0 + frame.length
    hw = frame.half_width
    inband = (frame.s >= s_min) & (frame.s <= s_max) & (np.abs(frame.n) <= hw)
    ok = inband & sc.valid & np.isfinite(frame.dv)
    band_area = (s_max - s_min) * 2 * hw
    covered = float(np.sum(sc.area[ok]))
    coverage = min(covered / band_area, 1.0)
    if coverage < min_coverage:
        return MethodResult.rejected(
            f"plume band only {coverage:.0%} covered by valid soundings (swath edge, clouds or "
            f"too few pixels); IME needs >= {min_coverage:.0%}", int(ok.sum()))
    ds = (slab_km * 1e3) if slab_km else max(2 * pix, 2000.0)
    edges = np.arange(s_min, s_max + ds, ds)
    edges[-1] = s_max
    mass = 0.0
    var = 0.0
    for lo, hi in itertools.pairwise(edges):
        if hi <= lo:
            continue
        sl = ok & (frame.s >= lo) & (frame.s < hi)
        slab_area = (hi - lo) * 2 * hw
        cov = float(np.sum(sc.area[sl]))
        if cov <= 0:
            continue
        scale = max(slab_area / cov, 1.0) if cov / slab_area > 0.25 else 1.0
        mass += scale * float(np.sum(frame.dv[sl] * sc.area[sl]))
        var += scale**2 * float(np.sum((frame.dv_sigma[sl] * sc.area[sl]) ** 2))
    q = frame.speed * mass / s_max
    sig = frame.speed * np.sqrt(var) / s_max
    dq_db = frame.speed * frame.k_mean * band_area / s_max
    return MethodResult(
        emission=q, retrieval=sig, dq_db=dq_db, extra_model=(1 - coverage) * abs(q),
        n_obs=int(ok.sum()), details={"ime_kg": mass, "l_eff_m": s_max, "coverage": coverage},
    )
