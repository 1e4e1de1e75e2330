"""The background-structure estimate: measured at the plume scale, never a silent zero.

``structure = sqrt(var(block means) - mean(noise^2 / n))`` can come out negative on a flat
background; it is then floored at its own sampling error (an undetected structure is not a
known zero), and with too few blocks to measure it at ``noise / sqrt(3)``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from urbansat.inversion.background import estimate_background
from urbansat.inversion.scene import cut_scene
from urbansat.testing.plumes import make_plume_swath


def _scene(structure: float, seed: int = 3):
    sw, tr = make_plume_swath(
        "co2m",
        gas="co2",
        emission=0.0,
        seed=seed,
        noise=0.7,
        background_structure=structure,
        wind_error=0.0,
        direction_error_deg=0.0,
    )
    src = tr["sources"].iloc[0]
    return cut_scene(sw, float(src.longitude), float(src.latitude), radius_km=60.0, gas="co2")


def test_flat_background_gives_the_detection_limit_not_zero():
    scene = _scene(0.0)
    bg = estimate_background(scene, np.zeros(scene.values.shape, bool))
    # 0.7 ppm noise in 10 km blocks of 2 km pixels: block-mean noise 0.14 ppm, variance 0.02;
    # with ~100 blocks the 1-sigma detection limit is sqrt(2/99) * 0.02 ppm2, ~0.05 ppm
    # (0.05-0.11 ppm over seeds 3-7: blocks at the window edge hold fewer pixels)
    assert 0.02 < bg.structure < 0.15, bg.structure


@pytest.mark.parametrize("amp", [1.5, 3.0])
def test_real_structure_is_measured_above_the_limit(amp):
    # the structure left after the convolution background (which follows most of it)
    flat = estimate_background((s := _scene(0.0)), np.zeros(s.values.shape, bool)).structure
    bg = estimate_background((s := _scene(amp)), np.zeros(s.values.shape, bool))
    assert bg.structure > 2 * flat, (bg.structure, flat)


def test_too_few_blocks_give_noise_over_sqrt3():
    scene = _scene(0.0)
    keep = np.zeros(scene.values.shape, bool)
    keep[29:32, 29:32] = True  # 9 pixels: no 4 blocks of 3
    sparse = dataclasses.replace(
        scene, valid=scene.valid & keep, values=np.where(keep, scene.values, np.nan)
    )
    bg = estimate_background(sparse, np.zeros(keep.shape, bool), min_pixels=5)
    assert bg.structure == pytest.approx(bg.noise / np.sqrt(3))
