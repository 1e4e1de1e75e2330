r"""Cross-sectional flux (CSF), point and area (city) sources.

Transects (slabs of length ``ds`` along the plume) are placed downwind of the
source edge, from ``s = r0 + ds/2`` to ``r0 + L``. In each, the line density
``q`` [kg m-1] is the integral of the column-mass enhancement across the plume,
obtained by fitting a Gaussian (ddeq's default)

.. math::

    \Delta V(n) = \frac{q}{\sqrt{2\pi} w} \exp\left(-\frac{(n-\mu)^2}{2 w^2}\right)

or, when the fit fails or is less precise, by direct integration
``q = sum(dV_i A_i) / ds``. The flux through transect ``k`` is ``F_k = U q_k``.
For point and compact sources the transects are combined by their inverse variance,

.. math::

    Q = \frac{\sum_k F_k / \sigma_k^2}{\sum_k 1 / \sigma_k^2}, \qquad
    \sigma_Q = \left(\sum_k 1/\sigma_k^2\right)^{-1/2}.

Area variant (cities, boundaries: diameter ``D >=``
:data:`~urbansat.inversion.model_error.AREA_SOURCE_MIN_DIAMETER_KM`, ``r0 = D/2``): the
transects start at the downwind edge of the city, where all of its emissions have entered
the plume, and the fitted width may be as large as the band. Two things differ, both
measured on the tuning scenes (docs/inversion.md, "CSF on cities"):

* no constant offset is fitted with the Gaussian: a city plume fills most of the band
  ``|n| <= r0 + 10 km``, so an offset is degenerate with the plume's wings and absorbs
  part of the plume (with it the median error was 12 percentage points lower on the
  Lagrangian tuning cities with the true wind, 17 lower on the old generator's); the
  background is the one subtracted before (normalized convolution) and its error is the
  budget's background term;
* the transect fluxes are combined by a robust mean, the pseudo-Huber M-estimate
  (Charbonnier et al. 1997, IEEE Trans. Image Process. 6, 298; Huber 1981, "Robust
  Statistics") in which each transect counts by its coverage, not by its fitted sigma,

  .. math::

      Q = \arg\min_Q \sum_k a_k \sqrt{1 + \left(\frac{F_k - Q}{c}\right)^2}, \qquad
      a_k = \frac{C_k - C_{min}}{1 - C_{min}}, \qquad
      c = \left(\frac{\sum_k a_k \sigma_k^2}{\sum_k a_k}\right)^{1/2},

  with ``C_k`` the valid area fraction of transect ``k``'s band and ``C_min`` =
  ``min_coverage``: a transect enters with zero weight at the coverage limit instead of
  all at once, and a partly covered transect, which misses plume mass under its gaps,
  counts less. It is solved by iteratively reweighted means
  ``Q = sum(u_k F_k) / sum(u_k)``, ``u_k = a_k (1 + ((F_k - Q)/c)^2)^(-1/2)``, with the
  1-sigma ``sigma_Q = sqrt(sum(u_k^2 sigma_k^2)) / sum(u_k)`` (first-order propagation
  through the final weights). The inverse-variance mean is not used for cities because the
  fitted ``sigma_k`` of a broad, weak plume grows with its fitted line density (a narrower
  fitted profile has both less mass and a smaller sigma; median Spearman correlation 0.49
  per scene on the Lagrangian tuning cities, 0.38 on the old generator's, -0.16 on
  points), so those weights give the low transects most of the weight (56-61 %) and bias
  ``Q`` low. The estimate is a smooth function of the transect fluxes and coverages, and
  its influence is bounded: one discordant transect moves it by at most about
  ``c a_k / sum(a)``;
* the transects count only within the plume's detected extent: ``a_k`` is multiplied by
  ``clip((s_ext - c_k) / ds + 1/2, 0, 1)`` (:func:`extent_taper`), ``s_ext`` the
  :data:`EXTENT_QUANTILE` (0.9) quantile of the along-plume distance of the detected plume
  pixels in the band, ``c_k`` the transect's centre. Transects past the front of a young
  plume, or past where a turning wind carried it out of the band, carry little flux and
  biased ``Q`` low (on the Lagrangian tuning cities with the true wind, median absolute error
  0.131 -> 0.116, strong plumes 0.116 -> 0.087; docs/inversion.md "CSF on cities"). The
  taper is linear over one slab, so the estimate does not jump when ``s_ext`` crosses a
  transect; without a detection (or fewer than 5 detected pixels in the band) every
  transect counts.

Partial transects (2026-12-08). ``C_k`` is the share of transect ``k``'s modelled plume
mass on valid soundings (:func:`urbansat.inversion.ime.plume_coverage` over the transect's
slab). A transect counts when its valid area fraction is at least ``min_coverage`` and
``C_k`` at least :data:`~urbansat.inversion.ime.MIN_PLUME_COVERAGE` (0.25, as IME);
``min(area fraction, C_k)`` is its coverage in the robust mean. Its flux may then be low by
up to the mass it does not see, ``(1 - C_k) / C_k |F_k|``, which enters the model term as
its mean over the transects, weighted as they are combined (inverse variance; the coverage
weights ``a_k`` of the robust mean), for one plume and one gap pattern make the shares err
alike, so they are not averaged down. The fluxes are not divided by ``C_k`` as IME's mass is: on
the Lagrangian tuning seeds dividing the direct integrals by it raised the median point
error from 0.223 to 0.274 (user's wind) and from 0.149 to 0.159 (true wind), since the
modelled ``C_k`` of a narrow plume errs when the plume is off its axis. Rejecting every
transect with ``C_k < 0.6`` instead rejected 10 % of the tuning point scenes (2 % before) and
17 % of the held-out ones (9 %). Measured on the tuning seeds 0-99 (CSF, before -> after):
points with the user's wind 1-sigma / 2-sigma 0.63 / 0.86 -> 0.73 / 0.90, z spread 1.30 ->
0.83, median error 0.223 -> 0.178; with the true wind 0.57 / 0.94 -> 0.73 / 0.92, 0.92 ->
0.69, 0.149 -> 0.125; rejections 0.02 both; cities with the true wind median 0.116 -> 0.101.
Dropping the transects below ``C_k = 0.25``, which see almost none of the plume, is what
lowers the errors. Until then a transect was accepted on its valid area alone, and a plume
along the swath edge lost the mass beyond it: noise-free, true wind, truth 1000 kg s-1, CSF
gave 394 +- 14 kg s-1 "ok" (source 117 km across track of a CO2M-like swath; now 394 +- 787,
its interval holding the truth) and 864 +- 43 (115 km; now 864 +- 180;
``tests/inversion/test_plume_edges.py``).

Transport scatter (point and compact sources, ``combine="weighted"``, ``n >= 3``
transects): the plume's own variability along its axis (meander, turning and sheared wind,
puffs) makes the transect fluxes scatter beyond their retrieval noise, and that part of the
scatter is an error of their mean that the fixed model table cannot know for the scene. Its
1-sigma contribution to ``Q`` is measured on the transects themselves,

.. math::

    s_T^2 = \max\left(s_F^2 - n \sigma_Q^2, 0\right), \qquad
    \sigma_T = \sqrt{s_T^2 / n_{eff}}, \qquad
    n_{eff} = n \frac{1 - \rho}{1 + \rho},

with ``s_F = 1.4826 median|F_k - median F|`` (the robust spread of the fluxes), ``n
sigma_Q^2`` the retrieval part of their variance (the harmonic mean of the ``sigma_k^2``),
and ``rho`` the lag-1 autocorrelation of the transport part, ``c_1 / s_T^2`` with ``c_1`` the
mean product of neighbouring residuals ``F_k - median F`` (retrieval noise does not
correlate between disjoint transects), clipped to [0, 0.9]: the effective number of
independent transects of an AR(1) series (e.g. von Storch & Zwiers 1999, "Statistical
Analysis in Climate Research", sect. 17.1). ``sigma_T`` is the method's ``extra_model``,
and the budget's table term for such a source is then
:data:`~urbansat.inversion.model_error.CSF_SCATTER_RESIDUAL`, the error the scatter does
not measure (derived net of it on the same noise-free cases as the tables,
docs/inversion.md "CSF transport scatter"); with fewer than 3 transects the scatter is not
measurable and the full table applies.

A transect is used only when valid soundings cover >= ``min_coverage`` of its
band; with none left the source gets a ``qa_reason``.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from urbansat.constants import MAD_TO_SIGMA
from urbansat.inversion.ime import MIN_PLUME_COVERAGE, plume_coverage
from urbansat.inversion.model_error import AREA_SOURCE_MIN_DIAMETER_KM
from urbansat.inversion.plume import PlumeFrame
from urbansat.inversion.result import MethodResult

__all__ = ["EXTENT_QUANTILE", "estimate_csf", "extent_taper", "line_density", "transport_scatter"]

#: fewest soundings across a transect for the Gaussian line-density fit (else direct sum)
_MIN_FIT_POINTS = 5
#: iterations of the robust mean's reweighting (1e-10 reached in at most 48, median 18, on the
#: tuning cities of both generators)
_ROBUST_MAX_ITER = 200
#: fewest transects whose scatter measures the transport error (a robust spread needs 3)
_MIN_SCATTER_TRANSECTS = 3
#: largest lag-1 autocorrelation used for the effective number of transects
_MAX_RHO = 0.9
#: quantile of the along-plume distance of the detected plume pixels in the band that ends the
#: area variant's transects (the plume's detected extent; docs/inversion.md "CSF on cities")
EXTENT_QUANTILE = 0.9
#: fewest detected plume pixels in the band that define an extent (else every transect counts)
_MIN_EXTENT_PIXELS = 5


def extent_taper(frame: PlumeFrame, centres: np.ndarray, ds: float) -> np.ndarray | None:
    """Weight [0-1] of each transect by whether it lies within the plume's detected extent.

    ``s_ext`` is the :data:`EXTENT_QUANTILE` quantile of the along-plume distance ``s`` of
    the detected plume pixels in the band (``|n| <= half_width``, ``s > r0``); a transect
    centred at ``c`` gets ``clip((s_ext - c) / ds + 1/2, 0, 1)``: 1 when its slab ends before
    ``s_ext``, 0 when it starts after, linear in between (so the estimate does not jump when
    ``s_ext`` crosses a slab). None when the frame has no detection or fewer than
    ``_MIN_EXTENT_PIXELS`` detected pixels in the band.
    """
    if frame.plume_mask is None:
        return None
    sel = frame.plume_mask & (np.abs(frame.n) <= frame.half_width) & (frame.s > frame.r0)
    if int(sel.sum()) < _MIN_EXTENT_PIXELS:
        return None
    s_ext = float(np.quantile(frame.s[sel], EXTENT_QUANTILE))
    out: np.ndarray = np.clip((s_ext - centres) / ds + 0.5, 0.0, 1.0)
    return out


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


def _robust_mean(f: np.ndarray, s: np.ndarray, a: np.ndarray) -> tuple[float, float]:
    """Coverage-weighted pseudo-Huber M-estimate of the fluxes and its 1-sigma (module doc)."""
    a = np.maximum(a, 1e-9)  # every transect exactly at the limit: equal weights
    c = max(float(np.sqrt(np.sum(a * s**2) / np.sum(a))), 1e-12)
    q = float(np.sum(a * f) / np.sum(a))
    for _ in range(_ROBUST_MAX_ITER):
        u = a / np.sqrt(1.0 + ((f - q) / c) ** 2)
        q_new = float(np.sum(u * f) / np.sum(u))
        done = abs(q_new - q) <= 1e-10 * max(abs(q_new), c)
        q = q_new
        if done:
            break
    u = a / np.sqrt(1.0 + ((f - q) / c) ** 2)
    return q, float(np.sqrt(np.sum((u * s) ** 2)) / np.sum(u))


def transport_scatter(f: np.ndarray, sigma_q: float) -> tuple[float, float]:
    """Transport error of the weighted-mean flux from the transects' scatter (module doc).

    Parameters
    ----------
    f : ndarray
        Transect fluxes along the plume, in order [kg s-1].
    sigma_q : float
        Retrieval 1-sigma of their inverse-variance mean [kg s-1].

    Returns
    -------
    sigma_t : float
        ``sqrt(max(s_F^2 - n sigma_Q^2, 0) / n_eff)`` [kg s-1]; NaN with fewer than 3
        transects (not measurable).
    rho : float
        The lag-1 autocorrelation used for ``n_eff`` [1] (NaN when not measurable).
    """
    f = np.asarray(f, float)
    n = len(f)
    if n < _MIN_SCATTER_TRANSECTS:
        return float("nan"), float("nan")
    r = f - np.median(f)
    s_f = MAD_TO_SIGMA * float(np.median(np.abs(r)))
    var_t = max(s_f**2 - n * sigma_q**2, 0.0)
    if var_t <= 0:
        return 0.0, 0.0
    rho = float(np.clip(np.mean(r[1:] * r[:-1]) / var_t, 0.0, _MAX_RHO))
    n_eff = n * (1 - rho) / (1 + rho)
    return float(np.sqrt(var_t / n_eff)), rho


def _transect_coverage(
    frame: PlumeFrame, ok: np.ndarray, sl: np.ndarray, c: float, ds: float
) -> tuple[float, float]:
    """Return the valid area fraction and modelled plume-mass share ``C_k`` of a transect [1].

    ``C_k`` is IME's coverage (:func:`~urbansat.inversion.ime.plume_coverage`) over the
    transect's slab: a transect whose plume core lies beyond the swath edge or under a gap
    sees most of its band but little of the plume (a plume along the edge gave 394 +- 14
    kg s-1 for a true 1000). ``C_k`` is 0 (not computed) when no valid sounding is in it.
    """
    hw = frame.half_width
    area = float(np.sum(frame.scene.area[sl])) / (ds * 2 * hw)
    if area <= 0:
        return area, 0.0
    sub_in = (np.abs(frame.ss - c) < ds / 2) & (np.abs(frame.nn) <= hw)
    return area, plume_coverage(frame, ok & sub_in.any(axis=-1), sub_in, (c - ds / 2, c + ds / 2))


def estimate_csf(
    frame: PlumeFrame,
    *,
    min_coverage: float = 0.6,
    slab_km: float | None = None,
    fit: bool = True,
    offset: bool | None = None,
    combine: str | None = None,
    extent: bool = True,
) -> MethodResult:
    """Estimate ``Q`` of one source from cross-sectional fluxes.

    Parameters
    ----------
    frame : PlumeFrame
    min_coverage : float, default 0.6
        Smallest valid area fraction of a transect band (its modelled plume-mass share must
        be at least :data:`~urbansat.inversion.ime.MIN_PLUME_COVERAGE`; module notes,
        "Partial transects").
    slab_km : float, optional
        Transect length along the plume [km]; ``max(pixel, 2 km)`` when None.
    fit : bool, default True
        Fit a Gaussian across each transect (else direct integration only).
    offset : bool, optional
        Fit a constant offset with the Gaussian (absorbs background left under
        the transect); default True for compact sources (``0 < 2 r0 <``
        :data:`~urbansat.inversion.model_error.AREA_SOURCE_MIN_DIAMETER_KM`), False for
        points and for area sources (whose plume fills the band).
    combine : {"weighted", "robust"}, optional
        How the transect fluxes are combined: inverse-variance mean or the pseudo-Huber
        robust mean (module docstring); default "robust" for area sources, "weighted"
        otherwise.
    extent : bool, default True
        Weight the transects of the robust mean (``combine="robust"``, area sources) by the
        plume's detected extent (:func:`extent_taper`); the weighted mean ignores it.

    Returns
    -------
    MethodResult
    """
    area_source = 2 * frame.r0 >= AREA_SOURCE_MIN_DIAMETER_KM * 1e3
    if offset is None:
        offset = frame.r0 > 0 and not area_source
    if combine is None:
        combine = "robust" if area_source else "weighted"
    if combine not in ("weighted", "robust"):
        raise ValueError(f"combine={combine!r}: use 'weighted' or 'robust'")
    sc = frame.scene
    pix = sc.pixel_km * 1e3
    ds = slab_km * 1e3 if slab_km else max(pix, 2000.0)
    hw = frame.half_width
    ok = sc.valid & np.isfinite(frame.dv)
    start = frame.r0 + (ds / 2 if frame.r0 > 0 else max(ds / 2, pix))
    centres = np.arange(start, frame.r0 + frame.length + 1e-6, ds)
    fluxes, sigmas, hows, covs, used = [], [], [], [], []
    mass_covs, rels = [], []
    for c in centres:
        sl = ok & (np.abs(frame.s - c) < ds / 2) & (np.abs(frame.n) <= hw)
        area_cov, c_mass = _transect_coverage(frame, ok, sl, c, ds)
        if area_cov < min_coverage or c_mass < MIN_PLUME_COVERAGE:
            continue
        cov = min(area_cov, c_mass)
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
            offset=offset,
        )
        # the transect sees only the share C of its modelled plume mass: the flux may be low
        # by up to (1 - C) / C of itself, which joins the model term (not corrected: on the
        # tuning seeds dividing the direct integrals by C raised the median point error,
        # 0.223 -> 0.274 with the user's wind, as the modelled C errs where the plume is off
        # its axis; and a Gaussian fit to a plume whose core lies beyond the swath edge loses
        # as much)
        fluxes.append(frame.speed * q)
        sigmas.append(frame.speed * sq)
        rels.append((1.0 - c_mass) / c_mass)
        hows.append(how)
        covs.append(cov)
        mass_covs.append(c_mass)
        used.append(c)
    if not fluxes:
        return MethodResult.rejected(
            f"no transect within {frame.length / 1e3:.0f} km downwind has >= {min_coverage:.0%} "
            f"of its area and >= {MIN_PLUME_COVERAGE:.0%} of its modelled plume mass on valid "
            "soundings (swath edge, clouds or sparse soundings)",
            int(ok.sum()),
        )
    f = np.asarray(fluxes)
    s = np.asarray(sigmas)
    w = 1.0 / np.maximum(s, 1e-12) ** 2
    if combine == "robust":
        a = np.clip((np.asarray(covs) - min_coverage) / max(1.0 - min_coverage, 1e-12), 0, 1)
        taper = extent_taper(frame, np.asarray(used), ds) if extent else None
        if taper is not None and np.sum(a * taper) > 0:
            a = a * taper
        q, sig = _robust_mean(f, s, a)
        scatter, rho = float("nan"), float("nan")
        wts = np.maximum(a, 1e-9)
    else:
        q = float(np.sum(w * f) / np.sum(w))
        sig = float(1.0 / np.sqrt(np.sum(w)))
        scatter, rho = transport_scatter(f, sig)
        wts = w
    # the missing shares err alike on neighbouring transects (one plume, one gap pattern):
    # their weighted mean, not its reduction by sqrt(n)
    cov_term = float(np.sum(wts * np.asarray(rels) * np.abs(f)) / np.sum(wts))
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
        extra_model=float(np.hypot(scatter if np.isfinite(scatter) else 0.0, cov_term)),
        details={
            "transport_scatter": scatter,
            "transport_rho": rho,
            "n_transects": len(f),
            "transect_fluxes": f.tolist(),
            "transect_sigmas": s.tolist(),
            "fits": hows,
            "combine": combine,
            "offset": offset,
            "transect_plume_coverage": mass_covs,
            "coverage_sigma": cov_term,
        },
    )
