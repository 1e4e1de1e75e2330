"""Flux inversion: emissions with an honest uncertainty budget from XCO2/XCH4 swaths.

:func:`estimate_emissions` runs one of four methods, or several on the same prepared
plumes, for every source (and every boundary polygon) and returns an
:class:`xarray.Dataset` along ``source``:

* ``"ime"`` integrated mass enhancement (:mod:`urbansat.inversion.ime`);
* ``"csf"`` cross-sectional flux, area variant for cities (:mod:`~.csf`);
* ``"gaussian"`` Gaussian-plume fit (:mod:`~.gaussian`);
* ``"bayesian"`` analytical Bayesian inversion (:mod:`~.bayes`).

Common steps per source: cut the window (:mod:`~.scene`), effective wind
(:mod:`urbansat.inversion.wind`), first-pass background, plume detection and direction
(:mod:`~.plume`), final background and enhancement (:mod:`~.background`),
conversion to column mass (:mod:`urbansat.inversion.units`).

Uncertainty budget (1-sigma, kg s-1), combined in quadrature:

``retrieval``
    Propagated per-pixel noise (the larger of the stated retrieval uncertainty
    and the measured out-of-plume scatter).
``wind``
    ``|Q| sigma_U / U`` (every method is linear in ``U``).
``background``
    ``|dQ/db| sigma_b``: the response of the estimate to a band-mean background error.
    On image windows (convolution background) ``sigma_b`` is the band-mean error computed
    from the background's measured variogram and the interpolation weights under the
    excluded region (:func:`~.background.band_background_error`); for IME and CSF the
    larger of it and ``sigma_ctrl``, the band-mean background error measured on plume-free
    control bands (:func:`~.background.control_band_error`). Otherwise
    ``sigma_b = sqrt(sigma_level^2 + sigma_structure^2)`` (methods that fit an offset use
    only the structure part), or ``sigma_ctrl`` when larger.
``model``
    ``f_method |Q|`` (plus the coverage-correction uncertainty for IME and the profile
    uncertainty of the Gaussian fit's nonlinear parameters): the method's own
    error with perfect data, wind and background. ``f_method``
    (:data:`MODEL_ERROR`; :data:`MODEL_ERROR_COMPACT` for sources listed with a diameter
    below 8 km, :data:`MODEL_ERROR_AREA` for cities and boundaries; growing with the footprint
    size) is measured on the synthetic ensemble of ``benchmarks/bench_inversion.py``
    (noise-free runs, true wind, flat background, seeds 0-99): it is the robust relative
    error of each method there; see that script's ``model_error`` sections and
    ``derive_model_error`` for the derivation.

Intervals: every method is linear in the wind speed, so a wind error scales the estimate
(``Q_est = f Q_true``, ``f = U_rep / U_true``) and the truth is a ratio ``Q_est / f``. Besides
the symmetric ``emission_uncertainty``, the output carries the asymmetric 68.27 % and
95.45 % (1- and 2-sigma equivalent) Fieller intervals of that ratio
(:func:`~.intervals.emission_interval`): wider above the estimate than below it. They are
what the synthetic-truth benchmark checks for coverage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
import xarray as xr

from urbansat.constants import GLOBAL_EMISSION, KG_S_TO_T_YR
from urbansat.errors import InversionError, WindError
from urbansat.inversion.background import (
    band_background_error,
    control_band_error,
    estimate_background,
)
from urbansat.inversion.bayes import estimate_bayesian
from urbansat.inversion.csf import estimate_csf
from urbansat.inversion.gaussian import estimate_gaussian
from urbansat.inversion.ime import estimate_ime
from urbansat.inversion.intervals import emission_interval
from urbansat.inversion.model_error import (
    model_error,
)
from urbansat.inversion.options import InversionOptions
from urbansat.inversion.plume import (
    SMOOTH_KM,
    PlumeFrame,
    detect_plume,
    plume_coordinates,
    plume_region,
    refine_direction,
)
from urbansat.inversion.result import METHOD_DIM, TERM_DIM, MethodResult
from urbansat.inversion.scene import Scene, cut_scene
from urbansat.inversion.sources import _as_sources, _Source
from urbansat.inversion.wind import EffectiveWind, as_wind_dataset, combine_winds, effective_wind
from urbansat.schema import gas_of, require_dataset, validate_granule
from urbansat.schema.wind import DIRECTION_SIGMA
from urbansat.spatial.local import local_xy

METHODS = ("ime", "csf", "gaussian", "bayesian")
UNCERTAINTY_TERMS = ("retrieval", "wind", "background", "model")
#: Reported confidence intervals: z -> (coverage %, name); bounds from :mod:`.intervals`.
INTERVALS = {1: ("68.27", "1"), 2: ("95.45", "2")}

#: One source's row of a method: the source, its result, diagnostics and uncertainty terms.
_Row = tuple[_Source, MethodResult, dict[str, Any], dict[str, float]]


def _wind_dataset(
    wind: Any, swath: xr.Dataset, wind_sigma: float | None
) -> xr.Dataset | list[xr.Dataset]:
    if isinstance(wind, list) and wind and all(isinstance(w, (xr.Dataset, str)) for w in wind):
        # several products; each item is a Dataset or path, so each gives one Dataset
        return [cast(xr.Dataset, _wind_dataset(w, swath, wind_sigma)) for w in wind]
    if isinstance(wind, list) and any(isinstance(w, (tuple, list, Mapping)) for w in wind):
        # [(u, v, s), (u, v, s)] was read as one wind whose u is a tuple ("not finite")
        raise WindError(
            f"wind is a list of {len(wind)} values such as {wind[0]!r}; a list of winds holds "
            "wind Datasets or paths (several products, compared). Give one user wind as a "
            "tuple, wind=(u, v, sigma), or open each: [urbansat.open_wind((u, v, sigma)), ...]."
        )
    if wind is None:
        raise WindError(
            "wind is required: a normalized wind (urbansat.open_wind(path)), a user value "
            "(u, v, sigma) in m s-1, or 'granule' for the swath's own 10 m wind."
        )
    if isinstance(wind, str) and wind == "granule":
        return as_wind_dataset(swath, sigma=wind_sigma)
    return as_wind_dataset(wind, sigma=wind_sigma)


def _direction_sigma(wind: xr.Dataset | list[xr.Dataset], option: float | None) -> float:
    """1-sigma wind-direction error [degree]: the option, else the largest stated, else 0."""
    if option is not None:
        return float(option)
    winds = wind if isinstance(wind, list) else [wind]
    stated = [float(w[DIRECTION_SIGMA]) for w in winds if DIRECTION_SIGMA in w]
    return max(stated) if stated else 0.0


def _turned(wind: xr.Dataset | list[xr.Dataset], degrees: float) -> xr.Dataset | list[xr.Dataset]:
    """Return the wind(s) with every (u, v) vector turned by ``degrees`` (counter-clockwise)."""
    if isinstance(wind, list):
        return [cast(xr.Dataset, _turned(w, degrees)) for w in wind]
    c, s = np.cos(np.deg2rad(degrees)), np.sin(np.deg2rad(degrees))
    u, v = wind["eastward_wind"], wind["northward_wind"]
    return wind.assign(eastward_wind=c * u - s * v, northward_wind=s * u + c * v)


def _add_direction_term(
    diag: dict[str, Any], res: MethodResult, turned: list[MethodResult]
) -> None:
    """Add the wind-direction error of one method's estimate to its wind term (in ``diag``).

    With ``Q0`` the estimate and ``Q+``, ``Q-`` the same method with the wind turned by
    ``+-sigma_dir`` (the whole preparation redone: band, background, detection, refined
    axis), the direction term is the rms of the two departures,
    ``delta = sqrt(((Q+ - Q0)^2 + (Q- - Q0)^2) / 2)`` (linear response: ``|dQ/dtheta|
    sigma_dir``; a curved one is not cancelled as by a central difference). A turned run
    that fails leaves the other one; when both fail the estimate does not survive a turn
    by its own direction error and ``delta = |Q0|``. The relative error ``delta / |Q0|`` is
    added in quadrature to the relative speed error (the wind term is multiplicative:
    :mod:`urbansat.inversion.intervals`).
    """
    q0 = res.emission
    if res.qa_reason or not np.isfinite(q0) or q0 == 0:
        return
    dev = [t.emission - q0 for t in turned if not t.qa_reason and np.isfinite(t.emission)]
    delta = float(np.sqrt(np.mean(np.square(dev)))) if dev else abs(q0)
    rel = delta / abs(q0)
    diag["wind_direction_rel_sigma"] = rel
    diag["wind_rel_sigma"] = float(np.hypot(diag.get("wind_rel_sigma", 0.0), rel))


def _prepare(  # noqa: PLR0911, PLR0912, PLR0915 - one early return per rejection reason
    swath: xr.Dataset,
    src: _Source,
    wind: xr.Dataset | list[xr.Dataset],
    gas: str,
    opts: dict[str, Any],
    all_sources: list[_Source],
) -> tuple[PlumeFrame | None, dict[str, Any], str]:
    """Cut, wind, background, detection; returns (frame, diagnostics, qa_reason)."""
    diag: dict[str, Any] = {
        "detected": False,
        "wind_speed": np.nan,
        "wind_sigma": np.nan,
        "turn_deg": 0.0,
        "n_valid_near": 0,
    }

    def cut(radius_km: float) -> Scene | None:
        return cut_scene(
            swath,
            src.lon,
            src.lat,
            radius_km=radius_km,
            gas=gas,
            use_averaging_kernel=opts["use_averaging_kernel"],
        )

    radius = opts["radius_km"] + src.r0 / 1e3
    scene = cut(radius)
    if scene is None:
        return (
            None,
            diag,
            (
                f"source at lon={src.lon:.3f}, lat={src.lat:.3f} has no sounding within "
                f"{radius:.3g} km (the window of radius_km={opts['radius_km']:g}): outside "
                "the swath, or a window smaller than a footprint"
            ),
        )
    diag["n_valid_near"] = int(scene.n_valid)
    if scene.n_valid == 0:
        return (
            None,
            diag,
            (
                f"no valid soundings within {radius:.0f} km of the source (all NaN, "
                "cloudy or failing QA)"
            ),
        )
    pix = scene.pixel_km * 1e3
    try:
        winds = wind if isinstance(wind, list) else [wind]
        w: EffectiveWind = combine_winds(
            [
                effective_wind(
                    wd,
                    src.lon,
                    src.lat,
                    scene.time,
                    radius_km=opts["wind_radius_km"],
                    sigma=opts["wind_sigma"],
                )
                for wd in winds
            ]
        )
    except WindError as err:
        return None, diag, f"wind: {err}"
    diag.update(wind_speed=w.speed, wind_sigma=w.sigma, wind_u=w.u, wind_v=w.v)
    if w.speed < opts["min_wind_speed"]:
        return (
            None,
            diag,
            (
                f"wind speed {w.speed:.2f} m s-1 below min_wind_speed={opts['min_wind_speed']} "
                "(mass balance is undefined in calm air)"
            ),
        )
    if scene.n_valid < opts["min_valid_pixels"]:
        return (
            None,
            diag,
            (
                f"too few valid soundings: {scene.n_valid} within {radius:.0f} km "
                f"(need min_valid_pixels={opts['min_valid_pixels']})"
            ),
        )
    theta0 = float(np.arctan2(w.v, w.u))
    # cities: the column over and just downwind of an extended source still holds air that
    # stagnated over it (slower near-surface wind, vertical mixing not complete), so the
    # plume is used out to 4 radii (60 km for Berlin's 30 km diameter)
    length = (opts["length_km"] * 1e3) if opts["length_km"] else max(30e3, 5 * pix, 4 * src.r0)
    # the default band's half-width is also the plume fits' background band (below)
    hw_fit = src.r0 + max(10e3, 2.5 * pix)
    hw = src.r0 + opts["half_width_km"] * 1e3 if opts["half_width_km"] else hw_fit
    margin = max(5e3, 2 * pix)
    if length > radius * 1e3 - src.r0:
        # the window always holds the plume band: a city's band runs 4 radii downwind, which
        # for a source wider than radius_km / 2 would otherwise be cut by the window rather
        # than by the data (as would a length_km or 5 footprints beyond radius_km)
        wider = cut((src.r0 + length) / 1e3)
        scene = wider if wider is not None else scene  # a larger window holds the smaller
        diag["n_valid_near"] = int(scene.n_valid)
    s, n = plume_coordinates(scene.x, scene.y, theta0)
    band = (
        (s > -(src.r0 + margin))
        & (s < src.r0 + length)
        & (np.abs(n) < hw + 0.35 * np.maximum(s, 0))
    )
    if not (band & scene.valid).any():
        return (
            None,
            diag,
            (
                f"no valid sounding in the plume band ({length / 1e3:.0f} km downwind, "
                f"+-{hw / 1e3:.0f} km): the source is outside the swath or the plume is "
                "hidden by clouds / the swath edge"
            ),
        )
    region = plume_region(s, n, r0=src.r0, margin=margin)
    others_near = np.zeros(scene.x.shape, bool)
    for o in all_sources:
        if o.name == src.name:
            continue
        ox, oy = local_xy(np.array(o.lon), np.array(o.lat), src.lon, src.lat)
        if np.hypot(ox, oy) < radius * 1e3 + 50e3:
            so, no = plume_coordinates(scene.x - ox, scene.y - oy, theta0)
            others_near |= plume_region(so, no, r0=o.r0, margin=margin)
    try:
        bg1 = estimate_background(
            scene, region | others_near, method=opts["background"], sigma_km=opts["background_km"]
        )
    except InversionError as err:
        return None, diag, str(err)
    det = detect_plume(
        scene, bg1.enhancement, bg1.noise, r0=src.r0, z_threshold=opts["z_threshold"]
    )
    diag["detected"] = det.detected
    diag["plume_mask"] = det.plume
    theta = theta0
    if opts["refine_direction"] and scene.image:
        theta, turn = refine_direction(
            scene, bg1.enhancement, theta0, plume_mask=det.plume, r0=src.r0, length=length
        )
        diag["turn_deg"] = turn
    s, n = plume_coordinates(scene.x, scene.y, theta)
    region = plume_region(s, n, r0=src.r0, margin=margin)
    # The final background excludes only regions fixed by geometry and by the source list:
    # the (re-oriented) plume region of this source and those of the other given sources.
    # Pixels flagged by the one-sided detection (z > z_threshold on the same noisy data) are
    # NOT excluded: that selects positive noise out of the background sample, biasing the
    # background low and every enhancement high, the more so the noisier the data (selection
    # bias). On SMARTCARB with 0.5 ppm noise the detection flagged 173 (Berlin) / 88
    # (Jaenschwalde) pixels outside the plume regions against 5 / 10 without noise, and
    # excluding them raised IME by +6.8 +- 1.1 % / +1.1 +- 0.2 % over the noise-free value
    # (tests/inversion/test_noise_bias.py). Neighbouring plumes are kept out of the background
    # by listing their sources in ``sources`` (``others_near``), and unlisted strong ones by
    # their cores (``z_exclude``, below).
    excl = region | others_near
    if opts["z_exclude"] is not None and scene.image:
        # unlisted neighbouring plumes: only their cores far above any noise excursion
        # (smoothed z > z_exclude, default 5: a false core has probability ~3e-7 per kernel),
        # widened by the smoothing scale, which noise does not select
        core = det.other & (np.nan_to_num(det.z) > opts["z_exclude"])
        if core.any():
            from scipy import ndimage

            excl = excl | ndimage.binary_dilation(
                core, iterations=max(1, round(SMOOTH_KM / scene.pixel_km))
            )
    try:
        bg = estimate_background(
            scene, excl, method=opts["background"], sigma_km=opts["background_km"]
        )
    except InversionError as err:
        return None, diag, str(err)
    diag["background_method"] = bg.method
    diag["background_exclude"] = excl
    s_lo, s_hi = -(src.r0 + max(2 * pix, 2000.0)), src.r0 + length

    def band_errors(hw_: float) -> tuple[float, int, float, float]:
        """Control-band error, controls used, variogram band error's structure and noise."""

        def in_band(sk: np.ndarray, nk: np.ndarray) -> np.ndarray:
            # the integration band in plume coordinates: the plume's, and its rotated controls'
            out: np.ndarray = (sk >= s_lo) & (sk <= s_hi) & (np.abs(nk) <= hw_)
            return out

        # null-plume test: the band-mean background error on plume-free control bands of
        # the same shape rotated about the source (K controls at 360/(K+1) deg steps)
        n_ctrl = int(opts["background_controls"] or 0)
        controls = []
        for kk in range(1, n_ctrl + 1):
            sk, nk = plume_coordinates(scene.x, scene.y, theta + 2 * np.pi * kk / (n_ctrl + 1))
            controls.append((plume_region(sk, nk, r0=src.r0, margin=margin), in_band(sk, nk)))
        sig_ctrl, used = (
            control_band_error(
                scene,
                excl,
                controls,
                noise=bg.noise,
                band_area=(s_hi - s_lo) * 2 * hw_,
                method=opts["background"],
                sigma_km=opts["background_km"],
            )
            if controls
            else (np.nan, 0)
        )
        # convolution backgrounds: the band-mean error from the background's measured
        # variogram and the exact interpolation weights under this exclusion
        # (background.band_background_error)
        struct, noise_part = (
            band_background_error(
                scene, excl, in_band(s, n), noise=bg.noise, sigma_km=opts["background_km"]
            )
            if bg.method == "convolution"
            else (np.nan, np.nan)
        )
        return float(sig_ctrl), int(used), float(struct), float(noise_part)

    sig_ctrl, used, band_struct, band_noise = band_errors(hw)
    diag.update(background_control=sig_ctrl, background_controls_used=used)
    if bg.method == "convolution":
        diag.update(background_band_structure=band_struct, background_band_noise=band_noise)
    sig_band = float(np.hypot(band_struct, band_noise))
    # the plume fits do not use the IME/CSF band: their background term is measured on the
    # default band (the one it was checked on, docs/inversion.md), whatever half_width_km
    # says (with a 3 km band their term was x0.3, with 1000 km x150)
    if hw_fit == hw:
        ctrl_fit, band_fit = sig_ctrl, sig_band
    else:
        ctrl_fit, _, struct_fit, noise_fit = band_errors(hw_fit)
        band_fit = float(np.hypot(struct_fit, noise_fit))
    k = scene.k
    stated = np.where(np.isfinite(scene.sigma), scene.sigma, bg.noise)
    noise = np.maximum(stated, bg.noise)
    ss, nn = plume_coordinates(scene.xs, scene.ys, theta)
    frame = PlumeFrame(
        scene=scene,
        theta=theta,
        s=s,
        n=n,
        ss=ss,
        nn=nn,
        dv=k * bg.enhancement,
        dv_sigma=k * noise,
        speed=w.speed,
        r0=src.r0,
        length=length,
        half_width=hw,
        k_mean=float(np.nanmean(k[scene.valid])),
        background_sigma=bg.offset_sigma,
        background_structure=bg.structure,
        background_control=sig_ctrl,
        background_band=sig_band,
        fit_half_width=hw_fit,
        fit_background_control=ctrl_fit,
        fit_background_band=band_fit,
        plume_mask=det.plume,
    )
    diag["wind_rel_sigma"] = w.relative_sigma
    diag["noise"] = bg.noise
    return frame, diag, ""


def _within_world_total(res: MethodResult, gas: str) -> MethodResult:
    """Reject an estimate or 1-sigma beyond the world's total emission of the gas.

    A fit whose plume misses every valid sounding returns any number (1.8e14 +- 1.1e20
    kg s-1 on sparse soundings); no source emits more than the world
    (:data:`~urbansat.constants.GLOBAL_EMISSION`), so such a result is no measurement.
    """
    if res.qa_reason:
        return res
    top = GLOBAL_EMISSION[gas]
    sig = float(np.hypot(res.retrieval, res.extra_model))
    if abs(res.emission) > top or sig > top:
        return MethodResult.rejected(
            f"the fit does not constrain the emission: {res.emission:.3g} +- {sig:.3g} kg s-1 "
            f"exceeds the world's total {gas.upper()} emission ({top:.3g} kg s-1); the plume "
            "model puts no signal on valid soundings",
            res.n_obs,
        )
    return res


def _background_level(frame: PlumeFrame, method: str) -> float:
    """Background error [ppm|ppb] that ``dQ/db`` multiplies.

    Convolution backgrounds (image windows) use the band-mean error computed from the
    background's measured variogram and the interpolation weights under the actual
    exclusion (:func:`~.background.band_background_error`, ``frame.background_band``): it
    sees both the averaging over the band and the interpolation under the hole. The plume
    fits use it alone; IME and CSF, whose estimate is the band integral itself, use the
    larger of it and the control-band estimate (null-plume test, NaN when no control was
    usable). Checked against flat-background twins on both truth generators' tuning seeds
    (docs/inversion.md): the band error alone covers the plume fits' background error on
    both (z spread 0.65-0.88) but is 1.5-1.9 times too small for IME and CSF on the old
    generator's cities (long-wave cosine backgrounds), where the larger of the two gives
    0.98-1.02. Otherwise (plane or median backgrounds, sparse soundings) the residual
    estimate is ``hypot(level, structure)`` for IME and CSF, which integrate the
    enhancement over the band, and ``structure`` alone for the plume fits, which fit an
    offset and plane over the window. Neither sees the error of the background
    interpolated under a large excluded region; the control-band estimate does, for every
    method (a plane over the whole window does not remove a local error under the plume).
    The larger of the two is used. The plume fits take both on their own band
    (``frame.fit_half_width``, the default band), not on the ``half_width_km`` of IME and CSF.
    """
    fit = method in ("gaussian", "bayesian") and np.isfinite(frame.fit_half_width)
    ctrl = frame.fit_background_control if fit else frame.background_control
    band_error = frame.fit_background_band if fit else frame.background_band
    if np.isfinite(band_error):
        band = float(band_error)
        if method in ("ime", "csf") and np.isfinite(ctrl):
            return max(band, ctrl)
        return band
    resid = (
        float(np.hypot(frame.background_sigma, frame.background_structure))
        if method in ("ime", "csf")
        else frame.background_structure
    )
    return max(resid, ctrl) if np.isfinite(ctrl) else resid


def _run_method(  # noqa: PLR0912 - one branch per method
    method: str,
    frame: PlumeFrame,
    src: _Source,
    opts: dict[str, Any],
    all_sources: list[_Source],
    fits: dict[str, MethodResult] | None = None,
) -> MethodResult:
    """Run one method on a prepared frame.

    ``fits`` (per source) holds results already computed on this frame: the Bayesian
    inversion takes its dispersion and direction from the free Gaussian fit, which is the
    ``"gaussian"`` result itself when ``dispersion`` is not fixed, so it is fitted once.
    """
    fits = {} if fits is None else fits
    if method == "ime":
        return estimate_ime(frame, min_coverage=opts["min_coverage"])
    if method == "csf":
        return estimate_csf(frame, min_coverage=opts["min_transect_coverage"])
    if method == "gaussian":
        if "gaussian" not in fits:
            fits["gaussian"] = estimate_gaussian(frame, dispersion=opts["dispersion"])
        return fits["gaussian"]
    if method == "bayesian":
        disp = opts["dispersion"]
        rel_nl = 0.0
        if disp is None:
            if "gaussian" not in fits:
                fits["gaussian"] = estimate_gaussian(frame)
            g = fits["gaussian"]
            # a fit whose emission is below twice its own 1-sigma has fitted its geometry to
            # noise (a plume that misses the soundings: -16 +- 3481 kg s-1 turned the
            # Bayesian plume onto them, 50 +- 329 "ok" for a true 1000); then, as when the
            # fit is rejected, the wind direction and the default dispersion are used
            constrained = not g.qa_reason and abs(g.emission) >= 2.0 * float(
                np.hypot(g.retrieval, g.extra_model)
            )
            disp = g.details.get("a", 0.25) if constrained else 0.25
            if constrained:
                frame = _rotated(frame, np.deg2rad(g.details["dtheta_deg"]))
                # the dispersion/direction taken from the fit are uncertain: carry the
                # fit's profile uncertainty (relative) into the Bayesian model term
                rel_nl = g.extra_model / abs(g.emission) if g.emission else 0.0
        others = []
        for o in all_sources:
            if o.name == src.name or o.kind == "boundary":
                continue
            ox, oy = local_xy(np.array(o.lon), np.array(o.lat), src.lon, src.lat)
            if np.hypot(ox, oy) < opts["radius_km"] * 1e3:
                others.append((float(ox), float(oy), o.prior, o.prior_sigma))
        rp = None
        if src.release_lonlat is not None:
            rx, ry = local_xy(src.release_lonlat[0], src.release_lonlat[1], src.lon, src.lat)
            rp = (rx, ry)
        res = estimate_bayesian(
            frame,
            others=others,
            prior=src.prior,
            prior_sigma=src.prior_sigma,
            dispersion=disp,
            release_points=rp,
            cell_km=opts["cell_km"],
        )
        if not res.qa_reason:
            res.extra_model = float(np.hypot(res.extra_model, min(rel_nl, 1.0) * abs(res.emission)))
        return res
    raise InversionError(f"method={method!r} is unknown; use one of {METHODS}.")


def _run_methods(
    methods: Sequence[str],
    frame: PlumeFrame | None,
    reason: str,
    src: _Source,
    opts: dict[str, Any],
    all_sources: list[_Source],
) -> dict[str, MethodResult]:
    """Every method on one prepared frame (sharing its fits), or all rejected with ``reason``."""
    fits: dict[str, MethodResult] = {}
    return {
        m: _run_method(m, frame, src, opts, all_sources, fits)
        if frame is not None
        else MethodResult.rejected(reason)
        for m in methods
    }


def _rotated(frame: PlumeFrame, dtheta: float) -> PlumeFrame:
    th = frame.theta + dtheta
    s, n = plume_coordinates(frame.scene.x, frame.scene.y, th)
    ss, nn = plume_coordinates(frame.scene.xs, frame.scene.ys, th)
    return PlumeFrame(**{**frame.__dict__, "theta": th, "s": s, "n": n, "ss": ss, "nn": nn})


def _setup(
    swath: xr.Dataset,
    sources: Any,
    boundaries: Any,
    wind: Any,
    gas: str | None,
    options: InversionOptions | Mapping[str, Any] | None,
    overrides: Mapping[str, Any],
) -> tuple[dict[str, Any], str, Any, list[_Source]]:
    """Validate options and normalize gas, wind and sources (shared by the public entry points)."""
    require_dataset(swath)
    # the swath contract, as every reader returns it: an edited or hand-built swath that breaks
    # it (transposed dims, a gas in ppb, a pressure in hPa) gave silently wrong numbers
    validate_granule(swath)
    opts = InversionOptions.from_mapping(options, **overrides).to_dict()
    if gas is not None and not isinstance(gas, str):  # 5 was a raw AttributeError
        raise InversionError(
            f"gas={gas!r} is not a gas name; give 'co2' or 'ch4', or None for the swath's gas."
        )
    gas = (gas or gas_of(swath)).strip().lower()
    wind_ds = _wind_dataset(wind, swath, opts["wind_sigma"])
    srcs = _as_sources(sources, boundaries, opts["prior_rel_error"], opts["prior_sigma"])
    return opts, gas, wind_ds, srcs


def estimate_emissions(
    swath: xr.Dataset,
    *,
    sources: Any = None,
    boundaries: Any = None,
    wind: Any,
    method: Literal["ime", "csf", "gaussian", "bayesian", "all"] | Sequence[str],
    gas: str | None = None,
    options: InversionOptions | Mapping[str, Any] | None = None,
    **overrides: Any,
) -> xr.Dataset:
    """Estimate emission rates of sources / boundaries from one swath.

    Parameters
    ----------
    swath : xarray.Dataset
        Normalized swath (:mod:`urbansat.schema`); numpy- or dask-backed.
    sources : DataFrame, optional
        ``name``, ``longitude``, ``latitude``; optional ``diameter_km`` (cities: area
        variant), ``type``, ``prior_emission`` [kg s-1] (Bayesian prior).
    boundaries : GeoDataFrame, optional
        Polygons with ``boundary_id``; each is estimated as an area source
        (uniform release inside the polygon for the Bayesian method).
    wind : xarray.Dataset or (u, v, sigma) or "granule", or a list of datasets / "granule"
        From :func:`urbansat.open_wind`, a user value, or the swath's own winds. A
        list of several products is averaged and their spread enters the wind error
        (:func:`urbansat.inversion.wind.combine_winds`).
    method : {"ime", "csf", "gaussian", "bayesian", "all"} or sequence of them
        One method, or several (``"all"`` is :data:`METHODS`): each source is then
        prepared once (window, wind, background, detection, control bands) and every
        method runs on the same frame, with results identical to separate calls; the
        Bayesian inversion reuses the free Gaussian fit for its dispersion.
    gas : {"co2", "ch4"}, optional
        Taken from the swath when None.
    options : InversionOptions or mapping, optional
        The inversion options (:class:`~urbansat.inversion.options.InversionOptions`, where
        each is documented; a job's ``[emissions.options]`` table is the same object).
    **overrides
        Single options by keyword, applied over ``options``; unknown names raise
        :class:`~urbansat.errors.InversionError` listing the valid ones:
        ``radius_km`` (100) window radius; ``length_km`` / ``half_width_km`` plume
        band (the largest of 30 km, 5 pixels and 4 source radii / 10 km or 2.5 pixels,
        plus the source radius);
        ``wind_sigma`` [m s-1]; ``min_wind_speed`` (1 m s-1); ``background``
        ("auto", "convolution", "plane", "median"); ``background_km`` (20);
        ``z_threshold`` (2.5); ``z_exclude`` (5.0: cores of unlisted neighbouring plumes
        above this smoothed z are kept out of the background; None keeps only the listed
        sources' plume regions out); ``background_controls`` (5: plume-free control bands
        rotated about the source that measure the band-mean background error; 0 turns
        the test off); ``refine_direction`` (True); ``min_coverage`` (0.25, IME:
        smallest modelled fraction of the band's plume mass on valid soundings);
        ``min_transect_coverage`` (0.6, CSF); ``min_valid_pixels`` (10);
        ``dispersion`` (fitted when None); ``prior_rel_error`` (1.0) for
        ``prior_emission``; ``prior_sigma`` (1e4 kg s-1) for the flat prior of
        sources without one; ``model_error`` (override of :data:`MODEL_ERROR`);
        ``use_averaging_kernel`` (True); ``cell_km`` (None): Bayesian state of grid
        cells of this size inside each boundary polygon (the boundary total is their sum,
        with the full posterior covariance).

    Returns
    -------
    xarray.Dataset
        Dim ``source`` (names / boundary ids) with coords ``longitude``,
        ``latitude``; variables ``emission``, ``emission_uncertainty`` (total) and
        ``emission_uncertainty_term`` along the ``term`` dimension (:data:`TERM_DIM`:
        ``retrieval``, ``wind``, ``background``, ``model``; select one with
        ``out.emission_uncertainty_term.sel(term="wind")``) [kg s-1]; ``emission_t_per_yr`` and
        ``emission_t_per_yr_uncertainty`` [t yr-1]; ``method``; ``qa_reason`` (""
        when valid; NaN emission otherwise); ``n_obs``; ``n_valid_near`` (valid soundings
        within the search radius: 0 when nothing was observed there); ``plume_detected``;
        ``wind_speed``, ``wind_speed_uncertainty`` [m s-1]; ``dofs`` (Bayesian
        averaging kernel of the source, NaN for other methods);
        ``emission_lower_1sigma`` / ``emission_upper_1sigma`` (68.27 %) and
        ``emission_lower_2sigma`` / ``emission_upper_2sigma`` (95.45 %) [kg s-1] and their
        ``emission_t_per_yr_*`` twins [t yr-1]: asymmetric intervals that treat the wind
        error as multiplicative (:mod:`urbansat.inversion.intervals`); the upper bound is
        ``inf`` when the relative wind error is >= 1/z.

        With several methods the variables gain a leading ``inversion_method`` dimension
        (:data:`METHOD_DIM`, select with ``out.sel(inversion_method="csf")``, which gives the
        single-method layout back).

    Raises
    ------
    WindError
        ``wind`` is missing or cannot be used at all.
    InversionError
        Unknown method/option, bad source table or boundaries.

    Examples
    --------
    >>> from urbansat.testing.plumes import make_plume_swath
    >>> sw, truth = make_plume_swath("tropomi", gas="ch4", emission=5.0, seed=1)
    >>> out = estimate_emissions(sw, sources=truth["sources"], wind=truth["wind"], method="ime")
    >>> out.emission.attrs["units"]
    'kg s-1'
    """
    methods = _as_methods(method)
    opts, gas, wind_ds, srcs = _setup(swath, sources, boundaries, wind, gas, options, overrides)
    _require_user_sigma(wind_ds, opts["wind_sigma"])
    rows: dict[str, list[_Row]] = {m: [] for m in methods}
    dsig = _direction_sigma(wind_ds, opts["wind_direction_sigma"])
    for src in srcs:
        # one preparation (cut, wind, background, detection, control bands) per source,
        # shared by every requested method
        frame, diag, reason = _prepare(swath, src, wind_ds, gas, opts, srcs)
        results = _run_methods(methods, frame, reason, src, opts, srcs)
        turned: list[dict[str, MethodResult]] = []
        if dsig > 0 and frame is not None:  # the same source with the wind turned by +-dsig
            for sign in (1.0, -1.0):
                f_k, _, reason_k = _prepare(
                    swath, src, _turned(wind_ds, sign * dsig), gas, opts, srcs
                )
                turned.append(_run_methods(methods, f_k, reason_k, src, opts, srcs))
        for m in methods:
            results[m] = _within_world_total(results[m], gas)
            d = dict(diag)
            d["wind_direction_sigma"] = dsig
            # a negative flux is no detected plume (issue 16), nor is a rejected (NaN) one
            if not results[m].emission > 0:
                d["detected"] = False
            if turned:
                _add_direction_term(d, results[m], [t[m] for t in turned])
            rows[m].append(_budget(m, results[m], frame, src, d, opts))
    if isinstance(method, str) and method != "all":
        return _to_dataset(rows[method], gas, method, wind_ds)
    # the dimension is not called "method": Dataset.sel(method=...) is sel's own keyword
    # (inexact matching), so .sel(method="ime") would silently return every method
    per_method = [_to_dataset(rows[m], gas, m, wind_ds) for m in methods]
    out = xr.concat(
        per_method,
        dim=pd.Index(list(methods), name=METHOD_DIM, dtype=object),
        combine_attrs="override",
    )
    out[METHOD_DIM].attrs.update(long_name="flux inversion method", units="1")
    out.attrs["method"] = ",".join(methods)
    return out


def _require_user_sigma(wind: Any, sigma: float | None) -> None:
    """Raise :class:`WindError` for a user wind without a stated sigma (issue 16).

    Its error is unknown, and it dominates the budget: a caller's error, not a per-source
    ``qa_reason`` (until 2026-12-03 every source came back NaN with that reason).
    """
    if sigma is not None:
        return
    for wd in wind if isinstance(wind, list) else [wind]:
        if (
            isinstance(wd, xr.Dataset)
            and str(wd.attrs.get("wind_source", "")) == "user"
            and "wind_speed_uncertainty" not in wd
        ):
            raise WindError(
                "the user wind has no stated 1-sigma speed error: give it as "
                "open_wind((u, v, sigma)) [m s-1] or pass estimate_emissions(..., wind_sigma=...)."
            )


def _as_methods(method: Any) -> tuple[str, ...]:
    """Return ``method`` as a tuple of known method names ("all" is :data:`METHODS`)."""
    if isinstance(method, str):
        methods: tuple[str, ...] = METHODS if method == "all" else (method,)
    else:
        try:
            methods = tuple(method)
        except TypeError:
            methods = (method,)
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise InversionError(
            f"method={method!r} is unknown; use one of {METHODS}, a list of them, or 'all'."
        )
    if len(set(methods)) != len(methods):
        raise InversionError(f"method={method!r} repeats a method; give each once.")
    return methods


def _budget(
    method: str,
    res: MethodResult,
    frame: PlumeFrame | None,
    src: _Source,
    diag: dict[str, Any],
    opts: dict[str, Any],
) -> _Row:
    """Return the uncertainty terms [kg s-1] of one method's result (NaN when rejected)."""
    if not res.qa_reason and not np.isfinite(res.emission):
        res = MethodResult.rejected("the method returned a non-finite estimate", res.n_obs)
    q = res.emission
    rel_w = diag.get("wind_rel_sigma", np.nan)
    scatter = float(res.details.get("transport_scatter", np.nan))
    f_model = (
        opts["model_error"]
        if opts["model_error"] is not None
        else (
            model_error(
                method, frame.scene.pixel_km, r0=src.r0, scatter_measured=bool(np.isfinite(scatter))
            )
            if frame is not None
            else np.nan
        )
    )
    diag["model_error_fraction"] = f_model
    diag["transport_scatter"] = scatter
    terms = {
        "retrieval": res.retrieval,
        "wind": abs(q) * rel_w,
        "background": abs(res.dq_db) * _background_level(frame, method)
        if frame is not None
        else np.nan,
        "model": float(np.hypot(f_model * abs(q), res.extra_model)),
    }
    if res.qa_reason:
        terms = dict.fromkeys(terms, np.nan)
    return src, res, diag, terms


def _to_dataset(
    rows: list[_Row], gas: str, method: str, wind: xr.Dataset | list[xr.Dataset]
) -> xr.Dataset:
    names = [r[0].name for r in rows]
    q = np.array([r[1].emission for r in rows], float)
    terms = {t: np.array([r[3][t] for r in rows], float) for t in UNCERTAINTY_TERMS}
    tot = np.sqrt(sum(v**2 for v in terms.values()))
    ks = {"units": "kg s-1"}
    data: dict[str, Any] = {
        "emission": ("source", q, {**ks, "long_name": f"{gas.upper()} emission rate"}),
        "emission_uncertainty": (
            "source",
            tot,
            {**ks, "long_name": "1-sigma total uncertainty (quadrature sum of the terms)"},
        ),
    }
    data["emission_uncertainty_term"] = (
        ("source", TERM_DIM),
        np.column_stack([terms[t] for t in UNCERTAINTY_TERMS]).reshape(len(rows), -1),
        {
            **ks,
            "long_name": "1-sigma uncertainty of each budget term (they add in quadrature to "
            "emission_uncertainty)",
        },
    )
    data["emission_t_per_yr"] = ("source", q * KG_S_TO_T_YR, {"units": "t yr-1"})
    data["emission_t_per_yr_uncertainty"] = ("source", tot * KG_S_TO_T_YR, {"units": "t yr-1"})
    # the wind term is multiplicative: asymmetric (Fieller) intervals, see .intervals
    rel_w = np.array([r[2].get("wind_rel_sigma", np.nan) for r in rows], float)
    additive = np.sqrt(sum(terms[t] ** 2 for t in UNCERTAINTY_TERMS if t != "wind"))
    for k, (pct, word) in INTERVALS.items():
        lo, hi = emission_interval(q, additive, rel_w, k)
        for bound, v in (("lower", lo), ("upper", hi)):
            what = f"{bound} bound of the {pct} % confidence interval ({word}-sigma equivalent)"
            data[f"emission_{bound}_{k}sigma"] = ("source", v, {**ks, "long_name": what})
            data[f"emission_t_per_yr_{bound}_{k}sigma"] = (
                "source",
                v * KG_S_TO_T_YR,
                {"units": "t yr-1", "long_name": what},
            )
    data["method"] = ("source", np.array([method] * len(rows), dtype=object), {"units": "1"})
    data["qa_reason"] = (
        "source",
        np.array([r[1].qa_reason for r in rows], dtype=object),
        {"units": "1"},
    )
    data["n_obs"] = ("source", np.array([r[1].n_obs for r in rows], dtype=np.int64), {"units": "1"})
    data["n_valid_near"] = (
        "source",
        np.array([int(r[2].get("n_valid_near", 0)) for r in rows], dtype=np.int64),
        {
            "units": "1",
            "long_name": "valid soundings within the search radius of the source (0: nothing "
            "was observed there, the status of its indicator rows is no_data)",
        },
    )
    data["plume_detected"] = (
        "source",
        np.array([bool(r[2].get("detected", False)) for r in rows]),
        {
            "units": "1",
            "long_name": "the detection test found the plume and this method's estimate is "
            "positive (a zero or negative estimate is never a detected plume)",
        },
    )
    data["wind_speed"] = (
        "source",
        np.array([r[2].get("wind_speed", np.nan) for r in rows], float),
        {"units": "m s-1"},
    )
    data["wind_speed_uncertainty"] = (
        "source",
        np.array([r[2].get("wind_sigma", np.nan) for r in rows], float),
        {"units": "m s-1"},
    )
    data["wind_from_direction_uncertainty"] = (
        "source",
        np.array([r[2].get("wind_direction_sigma", 0.0) for r in rows], float),
        {
            "units": "degree",
            "long_name": "1-sigma wind-direction error propagated into the wind term (0: none)",
        },
    )
    data["emission_relative_uncertainty_wind_direction"] = (
        "source",
        np.array([r[2].get("wind_direction_rel_sigma", np.nan) for r in rows], float),
        {
            "units": "1",
            "long_name": "relative emission error from the wind direction (part of the wind "
            "term; NaN when not propagated)",
        },
    )
    data["model_error_fraction"] = (
        "source",
        np.array([r[2].get("model_error_fraction", np.nan) for r in rows], float),
        {"units": "1", "long_name": "relative model error used (MODEL_ERROR)"},
    )
    data["transport_scatter"] = (
        "source",
        np.array([r[2].get("transport_scatter", np.nan) for r in rows], float),
        {
            "units": "kg s-1",
            "long_name": "CSF transport error measured from the scatter of its transect fluxes "
            "(part of the model term; NaN when not measured: other methods, cities, < 3 "
            "transects)",
        },
    )
    data["dofs"] = (
        "source",
        np.array([r[1].details.get("averaging_kernel", np.nan) for r in rows], float),
        {"units": "1", "long_name": "Bayesian averaging kernel (DOFS) of the source's emission"},
    )
    ds = xr.Dataset(
        data,
        coords={
            TERM_DIM: (
                TERM_DIM,
                np.array(UNCERTAINTY_TERMS, dtype=object),
                {"long_name": "uncertainty budget term"},
            ),
            "source": ("source", np.array(names, dtype=object)),
            "longitude": ("source", np.array([r[0].lon for r in rows]), {"units": "degrees_east"}),
            "latitude": ("source", np.array([r[0].lat for r in rows]), {"units": "degrees_north"}),
        },
        attrs={
            "gas": gas,
            "method": method,
            "wind_source": "+".join(
                str(w.attrs.get("wind_source", "unknown"))
                for w in (wind if isinstance(wind, list) else [wind])
            ),
            "units": "emission in kg s-1 and t yr-1 (Julian year); uncertainties are 1-sigma",
            "Conventions": "CF-1.10",
        },
    )
    return ds


def plume_frames(
    swath: xr.Dataset,
    *,
    sources: Any = None,
    boundaries: Any = None,
    wind: Any,
    gas: str | None = None,
    options: InversionOptions | Mapping[str, Any] | None = None,
    **overrides: Any,
) -> dict[str, tuple[PlumeFrame | None, dict[str, Any], str]]:
    """Return the prepared plume geometry of every source (for plots and diagnostics).

    Parameters are those of :func:`estimate_emissions` (without ``method``).

    Returns
    -------
    dict
        source name -> ``(frame, diagnostics, qa_reason)``; ``frame`` is None when
        the source could not be prepared (``qa_reason`` says why). Diagnostics hold
        ``plume_mask``, ``wind_speed``, ``wind_sigma``, ``turn_deg``, ``detected`` and
        ``background_exclude`` (the pixels the background was interpolated under: the plume
        regions of the sources and the cores of unlisted plumes).
    """
    opts, gas, wind_ds, srcs = _setup(swath, sources, boundaries, wind, gas, options, overrides)
    return {s.name: _prepare(swath, s, wind_ds, gas, opts, srcs) for s in srcs}
