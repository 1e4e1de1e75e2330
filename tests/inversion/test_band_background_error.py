"""The band-mean background error from the measured variogram (``band_background_error``).

Checked against the truth it predicts: on random smooth fields of known structure, the
band mean of (truth - interpolated background) under a hole, over many realizations.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from urbansat.inversion.background import (
    band_background_error,
    estimate_background,
    normalized_convolution,
)
from urbansat.inversion.scene import Scene

PX = 2000.0  # m
N = 80  # 160 km window


def _scene(values: np.ndarray) -> Scene:
    c = (np.arange(N) - N / 2 + 0.5) * PX
    x, y = np.meshgrid(c, c)
    sub = np.zeros((N, N, 9))
    return Scene(
        x=x,
        y=y,
        xs=x[..., None] + sub,
        ys=y[..., None] + sub,
        area=np.full((N, N), PX * PX),
        values=values,
        sigma=np.full((N, N), np.nan),
        k=np.ones((N, N)),
        sensitivity=np.ones((N, N)),
        valid=np.isfinite(values),
        image=True,
        pixel_km=PX / 1e3,
    )


def _geometry(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    # a city-like hole (disk of 15 km plus a 60 km band downwind) and its integration band
    x, y = scene.x, scene.y
    hole = (np.hypot(x, y) < 15e3) | ((x > 0) & (x < 70e3) & (np.abs(y) < 20e3))
    band = (x > -12e3) & (x < 60e3) & (np.abs(y) < 15e3)
    return hole, band


def test_plane_background_has_no_structure_error() -> None:
    c = (np.arange(N) - N / 2) * PX
    x, y = np.meshgrid(c, c)
    sc = _scene(410.0 + 1e-6 * x - 2e-6 * y)
    hole, band = _geometry(sc)
    struct, noise_part = band_background_error(sc, hole, band, noise=0.0)
    assert struct < 1e-6 and noise_part == 0.0


@pytest.mark.parametrize("corr_km", [6.0, 20.0])
def test_predicted_band_error_matches_the_realized_one(corr_km: float) -> None:
    """100 fields of one correlation length: realized rms vs predicted, and the z spread."""
    rng = np.random.default_rng(3)
    errs, preds = [], []
    for _ in range(100):
        f = ndimage.gaussian_filter(rng.standard_normal((N, N)), corr_km * 1e3 / PX, mode="wrap")
        truth = 410.0 + 0.5 * f / f.std()
        noise = rng.normal(0.0, 0.3, (N, N))
        sc = _scene(truth + noise)
        hole, band = _geometry(sc)
        bg = estimate_background(sc, hole, method="convolution", sigma_km=20.0)
        field, _ = normalized_convolution(sc.values, (~hole).astype(float), (20e3 / PX, 20e3 / PX))
        assert np.allclose(field[band], bg.field[band])
        errs.append(float(np.mean(truth[band] - field[band])))
        struct, noise_part = band_background_error(sc, hole, band, noise=0.3, sigma_km=20.0)
        preds.append(float(np.hypot(struct, noise_part)))
    e, p = np.array(errs), np.array(preds)
    rms_ratio = float(np.sqrt(np.mean(e**2)) / np.median(p))
    z = e / p
    assert 0.75 < rms_ratio < 1.33, rms_ratio
    assert 0.58 < np.mean(np.abs(z) < 1) < 0.8  # 68 % if the prediction is right
    assert np.mean(np.abs(z) < 2) > 0.9  # measured 0.93 (6 km), 0.95 (20 km)


def test_no_valid_band_pixel_is_nan() -> None:
    sc = _scene(np.full((N, N), 410.0))
    hole, band = _geometry(sc)
    assert np.isnan(band_background_error(sc, hole, np.zeros_like(band), noise=0.1)[0])
