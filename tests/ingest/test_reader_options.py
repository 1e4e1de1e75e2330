"""open_granules forwards reader options, and refuses ones the reader does not take."""

from __future__ import annotations

import numpy as np
import pytest

import urbansat

SCENE = "smartcarb/Sentinel_7_CO2_2015042311_o1670_l0483.nc"


def test_smartcarb_noise_through_open_granules(project_samples):
    path = project_samples / SCENE
    clean = urbansat.open_granules(path, product="smartcarb")
    noisy = urbansat.open_granules(
        path, product="smartcarb", reader_options={"noise_ppm": 0.5, "seed": 3}
    )
    again = urbansat.open_granules(
        path, product="smartcarb", reader_options={"noise_ppm": 0.5, "seed": 3}
    )
    ok = clean.qa_pass.values & np.isfinite(clean.xco2.values)
    diff = (noisy.xco2.values - clean.xco2.values)[ok]
    assert np.std(diff) == pytest.approx(0.5, rel=0.05)  # the documented 0.5 ppm
    np.testing.assert_array_equal(noisy.xco2.values[ok], again.xco2.values[ok])  # seeded


def test_unknown_reader_option_is_a_clear_error(project_samples):
    with pytest.raises(
        urbansat.SchemaError, match=r"reader_options \['noise'\].*smartcarb.*noise_ppm"
    ):
        urbansat.open_granules(
            project_samples / SCENE, product="smartcarb", reader_options={"noise": 0.5}
        )


@pytest.mark.parametrize("bad", [0.0, -0.5, float("nan")])
def test_smartcarb_noise_must_be_positive(project_samples, bad):
    # noise_ppm=0 used to state xco2_uncertainty = 0 ppm, which weighted fits take as perfect
    # data (SMARTCARB Berlin IME +34 % instead of +19 % noise-free)
    with pytest.raises(urbansat.SchemaError, match=r"noise_ppm=.*positive 1-sigma.*None"):
        urbansat.open_granules(
            project_samples / SCENE, product="smartcarb", reader_options={"noise_ppm": bad}
        )
