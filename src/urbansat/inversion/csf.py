r"""Cross-sectional flux (CSF), point and area (city) sources.

Transects (slabs of length ``ds`` along the plume) are placed downwind of the
source edge, from ``s = r0 + ds/2`` to ``r0 + L``. In each, the line density
``q`` [kg m-1] is the integral of the column-mass enhancement across the plume,
obtained by fitting a Gaussian (ddeq's default)

.. math::

    \Delta V(n) = \frac{q}{\sqrt{2\pi} w} \exp\left(-\frac{(n-\mu)^2}{2 w^2}\right)

or, when the fit fails or is less precise, by direct integration
``q = sum(dV_i A_i) / ds``. The flux through the transect is ``F = U q`` and

.. math::

    Q = \frac{\sum_k F_k / \sigma_k^2}{\sum_k 1 / \sigma_k^2}, \qquad
    \sigma_Q = \left(\sum_k 1/\sigma_k^2\right)^{-1/2}.

Area variant: for a city with diameter ``D`` (``r0 = D/2``) the transects start
at the downwind edge of the city, where all of its emissions have entered the
plume, and the fitted width may be as large as the band.

A transect is used only when valid soundings cover >= ``min_coverage`` of its
band; with none left the source gets a ``qa_reason``.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from urbansat.inversion.plume import PlumeFrame
from urbansat.inversion.result import MethodResult

__all__ = ["estimate_csf", "line_density"]

#: fewest soundings across a transect for the Gaussian line-density fit (else direct sum)
_MIN_FIT_POINTS = 5


def _gauss(n: np.ndarray, q: float, mu: float, w: float) -> np.ndarray:
    prof: np.ndarray = q / (np.sqrt(2 * np.pi) * w) * np.exp(-0.5 * ((n - mu) / w) ** 2)
    return prof


def _gauss_offset(n: np.ndarray, q: float, mu: float, w: float, b: float) -> np.ndarray:
    return _gauss(n, q, mu, w) + b


def line_density(  # noqa: PLR0913 - a transect and its fit options
    n: np.ndarray,
    dv: np.ndarray,
    sigma: np.ndarray,
    area: np.ndarray,
    ds: float,
    *,
    half_width: float,
    w0: float,
    w_min: float,
    fit: bool = True,
    offset: bool = False,
) -> tuple[float, float, str]:
    """Line density [kg m-1] and its 1-sigma across one transect.

    Returns ``(q, sigma_q, how)`` with ``how`` in {"gauss", "direct"}.
    """
    q_dir = float(np.sum(dv * area) / ds)
    s_dir = float(np.sqrt(np.sum((sigma * area) ** 2)) / ds)
    if not fit or n.size < _MIN_FIT_POINTS:
        return q_dir, s_dir, "direct"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            if offset:
                p, cov = curve_fit(
                    _gauss_offset,
                    n,
                    dv,
                    p0=(q_dir if q_dir > 0 else s_dir, 0.0, w0, 0.0),
                    sigma=sigma,
                    absolute_sigma=True,
                    bounds=(
                        [-np.inf, -half_width / 2, w_min, -np.inf],
                        [np.inf, half_width / 2, half_width / 2, np.inf],
                    ),
                    maxfev=600,
                )
            else:
                p, cov = curve_fit(
                    _gauss,
                    n,
                    dv,
                    p0=(q_dir if q_dir > 0 else s_dir, 0.0, w0),
                    sigma=sigma,
                    absolute_sigma=True,
                    bounds=(
                        [-np.inf, -half_width / 2, w_min],
                        [np.inf, half_width / 2, half_width],
                    ),
                    maxfev=400,
                )
        s_fit = float(np.sqrt(cov[0, 0]))
    except (RuntimeError, ValueError):
        return q_dir, s_dir, "direct"
    if not np.isfinite(s_fit) or s_fit > s_dir or not np.isfinite(p[0]):
        return q_dir, s_dir, "direct"
    return float(p[0]), s_fit, "gauss"


def estimate_csf(
    frame: PlumeFrame,
    *,
    min_coverage: float = 0.6,
    slab_km: float | None = None,
    fit: bool = True,
    offset: bool | None = None,
) -> MethodResult:
    """Estimate ``Q`` of one source from cross-sectional fluxes.

    Parameters
    ----------
    frame : PlumeFrame
    min_coverage : float, default 0.6
        Smallest valid area fraction of a transect band.
    slab_km : float, optional
        Transect length along the plume [km]; ``max(pixel, 2 km)`` when None.
    fit : bool, default True
        Fit a Gaussian across each transect (else direct integration only).
    offset : bool, optional
        Fit a constant offset with the Gaussian (absorbs background left under
        the transect); default True for area sources, False for point sources.

    Returns
    -------
    MethodResult
    """
    sc = frame.scene
    pix = sc.pixel_km * 1e3
    ds = slab_km * 1e3 if slab_km else max(pix, 2000.0)
    hw = frame.half_width
    ok = sc.valid & np.isfinite(frame.dv)
    start = frame.r0 + (ds / 2 if frame.r0 > 0 else max(ds / 2, pix))
    centres = np.arange(start, frame.r0 + frame.length + 1e-6, ds)
    fluxes, sigmas, hows = [], [], []
    for c in centres:
        sl = ok & (np.abs(frame.s - c) < ds / 2) & (np.abs(frame.n) <= hw)
        band_area = ds * 2 * hw
        cov = float(np.sum(sc.area[sl])) / band_area
        if cov < min_coverage:
            continue
        q, sq, how = line_density(
            frame.n[sl],
            frame.dv[sl],
            frame.dv_sigma[sl],
            sc.area[sl],
            ds,
            half_width=hw,
            w0=max(frame.r0 / 2, 2 * pix, 2000.0),
            w_min=max(pix / 2, 250.0),
            fit=fit,
            offset=(frame.r0 > 0) if offset is None else offset,
        )
        fluxes.append(frame.speed * q)
        sigmas.append(frame.speed * sq)
        hows.append(how)
    if not fluxes:
        return MethodResult.rejected(
            f"no transect within {frame.length / 1e3:.0f} km downwind has >= {min_coverage:.0%} "
            "valid coverage across the plume (swath edge, clouds or sparse soundings)",
            int(ok.sum()),
        )
    f = np.asarray(fluxes)
    s = np.asarray(sigmas)
    w = 1.0 / np.maximum(s, 1e-12) ** 2
    q = float(np.sum(w * f) / np.sum(w))
    sig = float(1.0 / np.sqrt(np.sum(w)))
    dq_db = frame.speed * frame.k_mean * 2 * hw
    n_obs = int(
        (
            ok
            & (np.abs(frame.n) <= hw)
            & (frame.s > start - ds / 2)
            & (frame.s < frame.r0 + frame.length + ds / 2)
        ).sum()
    )
    return MethodResult(
        emission=q,
        retrieval=sig,
        dq_db=dq_db,
        n_obs=n_obs,
        details={"n_transects": len(f), "transect_fluxes": f.tolist(), "fits": hows},
    )
