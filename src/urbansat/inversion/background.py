"""Background, enhancement and noise level of a source window.

Two estimators of the background ``B`` under the plume, both computed from
pixels outside the excluded regions (in :func:`urbansat.estimate_emissions`: the
plume regions of the given sources, fixed by geometry; a mask chosen by a
one-sided significance test on the same data would bias ``B`` low):

``"convolution"`` (image windows; ddeq's choice)
    Normalized convolution (Knutsson & Westin 1993): with a Gaussian kernel
    ``G`` of width ``sigma_km`` and the out-of-plume weight ``w`` (1/0),
    ``B = (G * (w X)) / (G * w)``. It follows smooth background structure and
    fills the plume region from its surroundings; pixels beyond the kernel's reach
    get the same estimate with a 2x, then 4x wider kernel, then the median.
``"plane"`` (any geometry, the default for sparse soundings)
    Least-squares plane ``B = b0 + b1 x + b2 y`` over the out-of-plume pixels,
    with its formal covariance.

The enhancement is ``dX = X - B``. Noise and structure are measured, not assumed:

* ``noise`` [ppm|ppb]: robust per-pixel scatter of out-of-plume residuals,
  ``1.4826 * MAD`` (never below the median stated retrieval uncertainty);
* ``structure`` [ppm|ppb]: the residual background variability at the plume
  scale ``block_km``: ``var(block means) - mean(noise^2 / n_block)``, floored at its
  detection limit ``sqrt(2 / (n_blocks - 1)) var(block means)`` (the 1-sigma sampling
  error of a variance; an undetected structure is not a known zero), and
  ``noise / sqrt(3)`` when fewer than 4 blocks of 3 pixels are available.
  A smooth error of the background under the plume cannot be told apart from
  plume mass, so it enters the ``background`` term of every method.
* ``band`` [ppm|ppb] (:func:`band_background_error`, convolution backgrounds): the 1-sigma
  error of the band-mean background computed from the background's measured variogram and
  the exact weights of the normalized convolution under the excluded region: what the
  interpolation under *this* hole, averaged over *this* band, gets wrong for a field with
  the spatial correlation the data show outside it.
* ``control`` [ppm|ppb] (:func:`control_band_error`, a null-plume test): the error of the
  band-mean background measured on plume-free control bands of the same shape, rotated
  about the source. Residual statistics outside the plume cannot see how wrong the
  background is *inside* a large excluded region, where it is interpolated from tens of km
  away; the controls repeat that interpolation where the truth (the data) is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import ndimage

from urbansat.errors import InversionError
from urbansat.inversion.scene import Scene

__all__ = [
    "Background",
    "band_background_error",
    "control_band_error",
    "estimate_background",
    "normalized_convolution",
]

#: fewest background pixels in a block of the structure estimate
_MIN_BLOCK_PIXELS = 3
#: fewest blocks for a measured structure (else the one-block detection limit is used)
_MIN_BLOCKS = 4
#: smallest kernel weight sum of a normalized-convolution value (else NaN: out of reach)
_MIN_KERNEL_WEIGHT = 1e-6
#: smallest window side [pixels] for the convolution background ("auto"; else a plane)
_MIN_CONVOLUTION_SIDE = 5
#: fewest pixel pairs at a lag for a measured variogram value (else the measured sill)
_MIN_VARIOGRAM_PAIRS = 30
#: fewest background pixels for a variogram (as estimate_background's min_pixels)
_MIN_VARIOGRAM_PIXELS = 10


@dataclass(frozen=True)
class Background:
    """Result of :func:`estimate_background`.

    Attributes
    ----------
    field : ndarray
        Background ``B`` on the window [ppm|ppb].
    enhancement : ndarray
        ``X - B`` (NaN where invalid).
    noise : float
        Per-pixel 1-sigma scatter of the enhancement [ppm|ppb].
    offset_sigma : float
        1-sigma error of the background level under the plume from the fit [ppm|ppb].
    structure : float
        Background variability at the plume scale [ppm|ppb].
    method : str
    n_background : int
        Pixels used.
    """

    field: np.ndarray
    enhancement: np.ndarray
    noise: float
    offset_sigma: float
    structure: float
    method: str
    n_background: int


def normalized_convolution(
    values: np.ndarray, weight: np.ndarray, sigma_px: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(G*(w X))/(G*w)`` and ``G*w`` for a Gaussian ``G`` of ``sigma_px`` (y, x) pixels."""
    w = np.where(np.isfinite(values), weight, 0.0).astype(float)
    num = ndimage.gaussian_filter(
        np.where(w > 0, values * w, 0.0), sigma_px, mode="constant", truncate=3.0
    )
    den = ndimage.gaussian_filter(w, sigma_px, mode="constant", truncate=3.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > _MIN_KERNEL_WEIGHT, num / den, np.nan)
    return out, den


def _pixel_steps(scene: Scene) -> tuple[float, float]:
    """Median pixel step [m] along y and x of the window."""
    X, Y = scene.x, scene.y
    dy = (
        np.nanmedian(np.hypot(np.diff(X, axis=0), np.diff(Y, axis=0))) if X.shape[0] > 1 else np.nan
    )
    dx = (
        np.nanmedian(np.hypot(np.diff(X, axis=1), np.diff(Y, axis=1))) if X.shape[1] > 1 else np.nan
    )
    fb = scene.pixel_km * 1e3
    return (dy if np.isfinite(dy) and dy > 0 else fb, dx if np.isfinite(dx) and dx > 0 else fb)


def _plane(scene: Scene, use: np.ndarray) -> tuple[np.ndarray, float]:
    xv = scene.x[use] / 1e4
    yv = scene.y[use] / 1e4
    A = np.column_stack([np.ones(xv.size), xv, yv])
    z = scene.values[use]
    coef, *_ = np.linalg.lstsq(A, z, rcond=None)
    resid = z - A @ coef
    s2 = float(np.sum(resid**2) / max(z.size - 3, 1))
    cov = s2 * np.linalg.pinv(A.T @ A)
    field = coef[0] + coef[1] * scene.x / 1e4 + coef[2] * scene.y / 1e4
    return field, float(np.sqrt(max(cov[0, 0], 0.0)))  # level error at the source (x=y=0)


def estimate_background(
    scene: Scene,
    exclude: np.ndarray,
    *,
    method: Literal["auto", "convolution", "plane", "median"] = "auto",
    sigma_km: float = 20.0,
    block_km: float = 10.0,
    min_pixels: int = 10,
) -> Background:
    """Estimate the background of a window, excluding the plume region.

    Parameters
    ----------
    scene : Scene
        The source window.
    exclude : ndarray of bool
        Pixels that may hold plume signal (the plume regions of the sources).
    method : {"auto", "convolution", "plane", "median"}, default "auto"
        "auto" uses normalized convolution on image windows and a plane otherwise.
    sigma_km : float, default 20
        Kernel width of the normalized convolution [km].
    block_km : float, default 10
        Block size for the structure estimate [km].
    min_pixels : int, default 10
        Fewest background pixels accepted.

    Returns
    -------
    Background

    Raises
    ------
    InversionError
        Fewer than ``min_pixels`` background pixels (the message gives the count).
    """
    use = scene.valid & ~exclude
    n = int(use.sum())
    if n < min_pixels:
        raise InversionError(
            f"only {n} valid out-of-plume pixels for the background (need {min_pixels}); "
            "the window is too cloudy or too small"
        )
    if method == "auto":
        method = (
            "convolution"
            if scene.image and min(scene.values.shape) >= _MIN_CONVOLUTION_SIDE
            else "plane"
        )
    offset_sigma = 0.0
    if method == "convolution":
        dy, dx = _pixel_steps(scene)
        field, den = normalized_convolution(
            scene.values, use.astype(float), (sigma_km * 1e3 / dy, sigma_km * 1e3 / dx)
        )
        # pixels farther than 3 kernel widths from any background pixel: widen the
        # kernel (x2, x4) rather than extrapolate a plane, then the median
        for f in (2.0, 4.0):
            if not np.isnan(field[scene.valid]).any():
                break
            wide, _ = normalized_convolution(
                scene.values, use.astype(float), (f * sigma_km * 1e3 / dy, f * sigma_km * 1e3 / dx)
            )
            field = np.where(np.isfinite(field), field, wide)
        field = np.where(np.isfinite(field), field, float(np.nanmedian(scene.values[use])))
        # level error of a kernel mean of ~n_eff pixels
        n_eff = (
            max(
                float(np.nanmedian(den[scene.valid & exclude]))
                * 4
                * np.pi
                * (sigma_km * 1e3) ** 2
                / (dy * dx),
                1.0,
            )
            if (scene.valid & exclude).any()
            else float(n)
        )
        _n_eff = n_eff
    elif method == "plane":
        field, offset_sigma = _plane(scene, use)
        _n_eff = None
    elif method == "median":
        field = np.full(scene.values.shape, float(np.nanmedian(scene.values[use])))
        _n_eff = None
    else:
        raise InversionError(
            f"background={method!r} is unknown; use 'auto', 'convolution', 'plane' or 'median'."
        )
    enh = np.where(scene.valid, scene.values - field, np.nan)
    r = enh[use]
    mad = float(np.nanmedian(np.abs(r - np.nanmedian(r)))) * 1.4826
    stated = (
        float(np.nanmedian(scene.sigma[scene.valid]))
        if np.isfinite(scene.sigma[scene.valid]).any()
        else 0.0
    )
    noise = max(mad, stated) if np.isfinite(mad) else stated
    if _n_eff is not None:
        offset_sigma = noise / np.sqrt(_n_eff)
    # structure at the plume scale from block means of background residuals (blocks of
    # at least 3 x 3 pixels so the noise part of the block variance is well estimated)
    block_km = max(block_km, 3.0 * scene.pixel_km)
    bx = np.floor(scene.x[use] / (block_km * 1e3)).astype(np.int64)
    by = np.floor(scene.y[use] / (block_km * 1e3)).astype(np.int64)
    keys = bx * 100003 + by
    _, inv, counts = np.unique(keys, return_inverse=True, return_counts=True)
    ok = counts >= _MIN_BLOCK_PIXELS
    n_blocks = int(ok.sum())
    if n_blocks >= _MIN_BLOCKS:
        sums = np.bincount(inv, weights=r)
        means = sums / counts
        var_blocks = float(np.var(means[ok], ddof=1))
        var_noise = float(np.mean(noise**2 / counts[ok]))
        # an estimate below its own sampling error is "not detected", not zero: the 1-sigma
        # error of a sample variance of n_blocks values is sqrt(2 / (n_blocks - 1)) of it
        limit = float(np.sqrt(2.0 / (n_blocks - 1))) * var_blocks
        structure = float(np.sqrt(max(var_blocks - var_noise, limit)))
    else:
        # too few blocks to measure it: what one minimal block mean cannot exclude
        structure = float(noise / np.sqrt(_MIN_BLOCK_PIXELS))
    return Background(
        field=field,
        enhancement=enh,
        noise=float(noise),
        offset_sigma=float(offset_sigma),
        structure=structure,
        method=method,
        n_background=n,
    )


def control_band_error(
    scene: Scene,
    exclude: np.ndarray,
    controls: list[tuple[np.ndarray, np.ndarray]],
    *,
    noise: float,
    band_area: float,
    method: Literal["auto", "convolution", "plane", "median"] = "auto",
    sigma_km: float = 20.0,
    min_fraction: float = 0.5,
) -> tuple[float, int]:
    r"""1-sigma error of the band-mean background, from plume-free control bands.

    For each control ``k`` (a region ``R_k`` shaped like the source's excluded plume region
    and the integration band ``W_k`` inside it, both rotated about the source), the
    background is estimated again with ``R_k`` also excluded, and its error is measured on
    the usable band pixels ``U_k = W_k & valid & ~exclude`` (which hold no plume):

    .. math::

        e_k = \frac{\sum_{U_k} a_i (X_i - B_{k,i})}{\sum_{U_k} a_i}, \qquad
        \sigma_{ctrl}^2 = \max\Big(\overline{e_k^2 - \sigma_n^2 \sum a_i^2 / (\sum a_i)^2}, 0\Big)

    with ``a_i`` the footprint areas and ``sigma_n`` the per-pixel noise (its share of
    ``e_k`` is removed). A band-mean background error ``b`` moves the mass-balance
    estimates by ``dQ/db * b``, so ``sigma_ctrl`` is the level error those methods see.

    Parameters
    ----------
    scene : Scene
    exclude : ndarray of bool
        The real exclusion (plume regions of the sources, cores of unlisted plumes).
    controls : list of (ndarray of bool, ndarray of bool)
        ``(R_k, W_k)`` per control.
    noise : float
        Per-pixel 1-sigma noise [ppm|ppb].
    band_area : float
        Geometric area of one band [m2]; a control whose usable area is below
        ``min_fraction`` of it (swath edge, clouds, other plumes) is skipped.
    method, sigma_km
        As :func:`estimate_background`.
    min_fraction : float, default 0.5

    Returns
    -------
    (float, int)
        ``sigma_ctrl`` [ppm|ppb] (NaN when no control is usable) and the controls used.
    """
    terms = []
    for region, band in controls:
        use = band & scene.valid & ~exclude
        a = scene.area[use]
        if a.sum() < min_fraction * band_area:
            continue
        try:
            bk = estimate_background(scene, exclude | region, method=method, sigma_km=sigma_km)
        except InversionError:
            continue
        r = scene.values[use] - bk.field[use]
        if not np.all(np.isfinite(r)):
            continue
        e = float(np.sum(a * r) / np.sum(a))
        terms.append(e**2 - noise**2 * float(np.sum(a**2)) / float(np.sum(a)) ** 2)
    if not terms:
        return float("nan"), 0
    return float(np.sqrt(max(float(np.mean(terms)), 0.0))), len(terms)


def _gappy_variogram(f: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Semivariogram ``gamma(r)`` and pair counts ``N(r)`` of a gappy grid, every lag at once.

    ``gamma(r) = sum_x m(x) m(x+r) (f(x+r) - f(x))^2 / (2 N(r))`` with ``N(r) = sum_x m(x) m(x+r)``,
    by FFT correlations on a grid padded to twice the size (no wrap-around); lag ``r`` is at
    index ``r mod shape`` (negative lags at the end of each axis).
    """
    shape = (2 * f.shape[0], 2 * f.shape[1])

    def corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.fft.irfft2(
            np.conj(np.fft.rfft2(a, shape)) * np.fft.rfft2(b, shape), shape
        )
        return out

    mf = m * f
    pairs = np.round(corr(m, m))
    num = corr(m, mf * f) + corr(mf * f, m) - 2.0 * corr(mf, mf)
    with np.errstate(invalid="ignore", divide="ignore"):
        gamma = np.where(pairs > 0, 0.5 * num / pairs, np.nan)
    return gamma, pairs


def band_background_error(
    scene: Scene,
    exclude: np.ndarray,
    band: np.ndarray,
    *,
    noise: float,
    sigma_km: float = 20.0,
) -> tuple[float, float]:
    r"""1-sigma error of the band-mean convolution background, from the measured variogram.

    The band mean of the background error is a linear combination of the data,
    ``e = sum_i c_i X_i`` with

    .. math::

        c = \frac{a\,1_W}{A} - w\,\Big(G * \frac{a\,1_W}{A\,(G * w)}\Big),
        \qquad \sum_i c_i = 0,

    ``a`` the footprint areas, ``1_W`` the valid band pixels, ``A`` their area, ``w`` the
    background weights (valid, outside ``exclude``) and ``G`` the kernel of
    :func:`normalized_convolution` (the first term is the band mean of the truth, the second
    the band mean of the interpolated background). For weights that sum to zero the variance
    is ``var(e) = -sum_ij c_i c_j gamma(x_i - x_j)`` with ``gamma`` the background's
    semivariogram, evaluated as ``-sum_r A_c(r) gamma(r)`` (``A_c`` the autocorrelation of
    ``c``, by FFT). ``gamma`` is measured on the background pixels less a least-squares plane
    (:func:`_gappy_variogram`), the noise nugget ``sigma_n^2`` removed at every lag other than
    0; lags with fewer than 30 pixel pairs take the largest measured value (the sill).
    The noise of the background pixels reaches the band mean as
    ``sigma_n^2 sum_j (w_j g_j)^2`` (``g`` the bracket above).

    Parameters
    ----------
    scene : Scene
        An image window.
    exclude : ndarray of bool
        The excluded region of the background (as :func:`estimate_background`).
    band : ndarray of bool
        The integration band (its valid pixels are averaged).
    noise : float
        Per-pixel 1-sigma noise [ppm|ppb].
    sigma_km : float, default 20
        Kernel width of the convolution background [km].

    Returns
    -------
    (float, float)
        The structure part ``sqrt(max(var(e), 0))`` and the noise part [ppm|ppb]; NaN when the
        band has no valid pixel or fewer than 10 background pixels are left.
    """
    use = scene.valid & ~exclude
    if int(use.sum()) < _MIN_VARIOGRAM_PIXELS:
        return float("nan"), float("nan")
    dy, dx = _pixel_steps(scene)
    sig = (sigma_km * 1e3 / dy, sigma_km * 1e3 / dx)
    w = use.astype(float)
    den = ndimage.gaussian_filter(w, sig, mode="constant", truncate=3.0)
    # valid band pixels the kernel reaches (as normalized_convolution fills them)
    reach = band & scene.valid & (den > _MIN_KERNEL_WEIGHT)
    a = np.where(reach, scene.area, 0.0)
    area = float(a.sum())
    if area <= 0:
        return float("nan"), float("nan")
    g = ndimage.gaussian_filter(
        np.where(reach, a / (area * np.where(reach, den, 1.0)), 0.0),
        sig,
        mode="constant",
        truncate=3.0,
    )
    c = a / area - w * g
    plane, _ = _plane(scene, use)
    gamma, pairs = _gappy_variogram(np.where(use, scene.values - plane, 0.0), w)
    ok = pairs >= _MIN_VARIOGRAM_PAIRS
    gamma = np.where(ok, gamma - noise**2, np.nan)
    gamma[0, 0] = 0.0
    sill = float(np.nanmax(gamma)) if np.isfinite(gamma).any() else 0.0
    gamma = np.where(np.isfinite(gamma), np.maximum(gamma, 0.0), max(sill, 0.0))
    fc = np.fft.rfft2(c, gamma.shape)
    auto = np.fft.irfft2(fc * np.conj(fc), gamma.shape)
    var_structure = -float(np.sum(auto * gamma))
    var_noise = noise**2 * float(np.sum((w * g) ** 2))
    return float(np.sqrt(max(var_structure, 0.0))), float(np.sqrt(var_noise))
