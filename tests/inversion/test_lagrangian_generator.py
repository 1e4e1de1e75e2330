"""The independent Lagrangian truth generator (issue 16): physics, layout, seeds."""

from __future__ import annotations

import numpy as np

from urbansat.schema import validate_granule
from urbansat.testing.lagrangian import (
    TEST_SEEDS,
    TUNING_SEEDS,
    lagrangian_column,
    make_lagrangian_scene,
)


def test_tuning_and_test_seeds_are_disjoint() -> None:
    assert not set(TUNING_SEEDS) & set(TEST_SEEDS)
    assert len(TEST_SEEDS) >= 100


def test_particles_carry_the_emitted_mass_and_travel_downwind() -> None:
    rng = np.random.default_rng(1)
    x, y, m, met = lagrangian_column(
        rng, emission=10.0, speed=5.0, theta=0.0, diameter_km=0.0, n_particles=4000
    )
    assert np.isclose(m.sum(), 10.0 * 4 * 3600)
    assert np.median(x) > 10e3  # 4 h at ~5 m s-1: the median particle is tens of km downwind
    assert abs(np.median(y)) < np.median(x)
    assert 500 <= met["blh_m"] <= 2000


def test_city_emission_map_is_not_a_disk_and_scene_is_valid() -> None:
    sw, tr = make_lagrangian_scene(1)
    assert tr["family"] == "city"
    validate_granule(sw)
    assert 0.3 < float(sw.qa_pass.mean()) < 1.0  # clouds or swath edge
    sw2, _ = make_lagrangian_scene(1)
    np.testing.assert_array_equal(sw.xco2.values, sw2.xco2.values)  # deterministic per seed


def test_point_scene_ch4_has_real_noise_level() -> None:
    _sw, tr = make_lagrangian_scene(0)
    assert tr["gas"] == "ch4" and tr["family"] == "point"
    assert 5.0 < tr["noise"] < 15.0  # measured on the TROPOMI sample, or the 11 ppb fallback


def test_user_wind_without_sigma_is_a_wind_error_naming_the_fix() -> None:
    import pytest

    import urbansat
    from urbansat.errors import WindError

    sw, tr = make_lagrangian_scene(2)
    with pytest.raises(WindError, match=r"open_wind\(\(u, v, sigma\)\)"):
        urbansat.estimate_emissions(
            sw, sources=tr["sources"], wind=urbansat.open_wind((3.0, 1.0)), method="csf"
        )
