r"""Plume geometry and statistical detection near a source.

Coordinates
-----------
With the transport direction ``theta`` (radians counter-clockwise from east),
a point ``(x, y)`` east/north of the source has along-plume and across-plume
coordinates

.. math::

    s = x \cos\theta + y \sin\theta, \qquad n = -x \sin\theta + y \cos\theta .

The plume centre line is ``n = 0``; :func:`refine_direction` rotates it onto the
observed enhancement (the wind direction of a model is often 10-30 degrees off).

Detection (after ddeq's ``detection`` module, simplified)
---------------------------------------------------------
The first-pass enhancement is smoothed by normalized convolution with a Gaussian
of ``smooth_km``; its noise is ``noise / sqrt(n_eff)`` with ``n_eff`` the
effective number of pixels in the kernel. Pixels with ``z > z_threshold`` are
significant; 8-connected regions that reach the source disk (radius ``r0`` +
2 pixels) form the plume mask. Other significant regions (neighbouring plumes)
are returned too. The detection sets the plume direction (:func:`refine_direction`)
and the ``plume_detected`` flag; the final background does not exclude detected
pixels, because a one-sided test on the same noisy data would select positive
noise out of the background sample and bias every enhancement high (see
``urbansat.inversion._prepare``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from urbansat.inversion.background import normalized_convolution
from urbansat.inversion.scene import Scene

__all__ = [
    "SMOOTH_KM",
    "Detection",
    "detect_plume",
    "plume_coordinates",
    "plume_region",
    "refine_direction",
]


#: Width of the Gaussian that smooths the enhancement before the detection test [km].
SMOOTH_KM = 4.0

#: Smallest normalized-convolution weight of a pixel the detection tests (fewer valid neighbours
#: within the smoothing kernel: not tested).
_MIN_DETECTION_WEIGHT = 0.3
#: Fewest detected pixels that turn the plume axis.
_MIN_BEARING_PIXELS = 2

#: Half-width growth of the plume region per metre downwind [1] (half-angle ~19 degrees).
_REGION_SPREAD = 0.35


def plume_coordinates(x: np.ndarray, y: np.ndarray, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """Return along-plume ``s`` and across-plume ``n`` [m] for direction ``theta`` [rad]."""
    c, s_ = np.cos(theta), np.sin(theta)
    return x * c + y * s_, -x * s_ + y * c


def plume_region(s: np.ndarray, n: np.ndarray, *, r0: float, margin: float) -> np.ndarray:
    """Pixels that may hold the source's plume: a widening band downwind.

    ``s > -(r0 + margin)`` and ``|n| < r0 + margin + 0.35 max(s, 0)`` (half-angle
    ~19 degrees, wider than a plume's meander on a single image).
    """
    inside: np.ndarray = (s > -(r0 + margin)) & (
        np.abs(n) < r0 + margin + _REGION_SPREAD * np.maximum(s, 0.0)
    )
    return inside


@dataclass(frozen=True)
class Detection:
    """Result of :func:`detect_plume`.

    Attributes
    ----------
    plume : ndarray of bool
        Significant pixels connected to the source.
    other : ndarray of bool
        Significant pixels not connected to the source (other plumes).
    z : ndarray
        z-score of the smoothed enhancement.
    detected : bool
        True when the plume mask is non-empty.
    """

    plume: np.ndarray
    other: np.ndarray
    z: np.ndarray
    detected: bool


def _steps(scene: Scene) -> tuple[float, float]:
    X, Y = scene.x, scene.y
    fb = scene.pixel_km * 1e3
    dy = np.nanmedian(np.hypot(np.diff(X, axis=0), np.diff(Y, axis=0))) if X.shape[0] > 1 else fb
    dx = np.nanmedian(np.hypot(np.diff(X, axis=1), np.diff(Y, axis=1))) if X.shape[1] > 1 else fb
    return float(dy), float(dx)


def detect_plume(
    scene: Scene,
    enhancement: np.ndarray,
    noise: float,
    *,
    r0: float = 0.0,
    smooth_km: float = SMOOTH_KM,
    z_threshold: float = 2.5,
    min_pixels: int = 3,
) -> Detection:
    """Detect the plume of a source in a first-pass enhancement.

    Parameters
    ----------
    scene : Scene
    enhancement : ndarray
        ``X - B`` [ppm|ppb].
    noise : float
        Per-pixel noise [ppm|ppb].
    r0 : float, default 0
        Source radius [m].
    smooth_km : float, default 4
        Smoothing kernel width [km].
    z_threshold : float, default 2.5
        One-sided significance threshold (2.5 = 99.4 %).
    min_pixels : int, default 3
        Smallest region kept.

    Returns
    -------
    Detection
    """
    valid = scene.valid & np.isfinite(enhancement)
    if not scene.image:
        z = np.where(valid, enhancement / max(noise, 1e-12), np.nan)
        sig = np.nan_to_num(z) > z_threshold
        near = np.hypot(scene.x, scene.y) < r0 + 3 * scene.pixel_km * 1e3
        return Detection(
            plume=sig & near, other=sig & ~near, z=z, detected=bool((sig & near).any())
        )
    dy, dx = _steps(scene)
    sy, sx = max(smooth_km * 1e3 / dy, 0.5), max(smooth_km * 1e3 / dx, 0.5)
    sm, den = normalized_convolution(enhancement, valid.astype(float), (sy, sx))
    n_eff = np.maximum(den * 4 * np.pi * sy * sx, 1.0)
    z = sm / (noise / np.sqrt(n_eff))
    sig = np.nan_to_num(z) > z_threshold
    sig &= den > _MIN_DETECTION_WEIGHT
    labels, nlab = ndimage.label(sig, structure=np.ones((3, 3)))
    if nlab == 0:
        empty = np.zeros(sig.shape, bool)
        return Detection(plume=empty, other=empty, z=z, detected=False)
    sizes = np.bincount(labels.ravel())
    near = np.hypot(scene.x, scene.y) < r0 + 2.5 * max(dy, dx)
    touching = np.unique(labels[near & (labels > 0)])
    keep_src = np.isin(labels, touching) & (sizes[labels] >= min_pixels) & (labels > 0)
    other = (labels > 0) & ~keep_src & (sizes[labels] >= min_pixels)
    return Detection(plume=keep_src, other=other, z=z, detected=bool(keep_src.any()))


def refine_direction(
    scene: Scene,
    enhancement: np.ndarray,
    theta0: float,
    *,
    plume_mask: np.ndarray,
    r0: float,
    length: float,
    max_turn_deg: float = 40.0,
) -> tuple[float, float]:
    """Rotate the plume axis onto the detected plume.

    The new direction is the enhancement-weighted circular mean of the bearings
    of the detected plume pixels between ``r0`` and ``r0 + 2 length`` from the
    source that lie within ``theta0 +- max_turn_deg``; with no such pixel the
    wind direction is kept.

    Returns
    -------
    theta : float
        Chosen direction [rad].
    turn : float
        ``theta - theta0`` [deg].
    """
    d = np.hypot(scene.x, scene.y)
    bearing = np.arctan2(scene.y, scene.x)
    dev = np.angle(np.exp(1j * (bearing - theta0)))
    use = (
        plume_mask
        & (d > max(r0, scene.pixel_km * 1e3))
        & (d < r0 + 2 * length)
        & (np.abs(dev) < np.deg2rad(max_turn_deg))
        & np.isfinite(enhancement)
    )
    if use.sum() < _MIN_BEARING_PIXELS:
        return theta0, 0.0
    w = np.maximum(enhancement[use], 0.0)
    if w.sum() <= 0:
        return theta0, 0.0
    mean_dev = float(np.angle(np.sum(w * np.exp(1j * dev[use]))))
    return theta0 + mean_dev, float(np.rad2deg(mean_dev))


@dataclass
class PlumeFrame:
    """Everything a flux method needs about one source, in SI units.

    Attributes
    ----------
    scene : Scene
    theta : float
        Plume direction [rad].
    s, n : ndarray
        Along/across coordinates of pixel centres [m].
    ss, nn : ndarray
        Along/across coordinates of footprint sub-points [m], shape (..., 9).
    dv : ndarray
        Column-mass enhancement ``k (X - B)`` [kg m-2] (NaN where invalid).
    dv_sigma : ndarray
        Per-pixel 1-sigma of ``dv`` [kg m-2].
    speed : float
        Effective wind speed [m s-1].
    r0 : float
        Source radius [m] (0 for point sources).
    length : float
        Plume length used downwind of the source edge [m].
    half_width : float
        Half-width of the integration band [m].
    k_mean : float
        Mean column-mass factor [kg m-2 per ppm|ppb].
    background_sigma : float
        1-sigma error of the background level under the plume [ppm|ppb].
    background_structure : float
        Background variability at the plume scale [ppm|ppb].
    background_control : float
        1-sigma error of the band-mean background measured on plume-free control bands
        (:func:`~urbansat.inversion.background.control_band_error`) [ppm|ppb]; NaN when
        no control band was usable or controls are off.
    background_band : float
        1-sigma error of the band-mean convolution background from the measured variogram
        (:func:`~urbansat.inversion.background.band_background_error`, structure and noise
        parts in quadrature) [ppm|ppb]; NaN for other backgrounds.
    fit_half_width : float
        Half-width [m] of the band on which the plume fits' background term is measured:
        the default band (``r0 + max(10 km, 2.5 pixels)``), whatever ``half_width_km``
        gives IME and CSF; NaN takes ``half_width``.
    fit_background_control, fit_background_band : float
        ``background_control`` and ``background_band`` on that band [ppm|ppb]; NaN take
        the band's own.
    plume_mask : ndarray of bool, optional
        Pixels the detection flagged as this source's plume (same shape as ``s``); None when
        the frame was built without a detection.
    """

    scene: Scene
    theta: float
    s: np.ndarray
    n: np.ndarray
    ss: np.ndarray
    nn: np.ndarray
    dv: np.ndarray
    dv_sigma: np.ndarray
    speed: float
    r0: float
    length: float
    half_width: float
    k_mean: float
    background_sigma: float
    background_structure: float
    background_control: float = float("nan")
    background_band: float = float("nan")
    fit_half_width: float = float("nan")
    fit_background_control: float = float("nan")
    fit_background_band: float = float("nan")
    plume_mask: np.ndarray | None = None

    @property
    def fit_band_half_width(self) -> float:
        """Half-width [m] of the plume fits' background band (else the band's own)."""
        return self.fit_half_width if np.isfinite(self.fit_half_width) else self.half_width
