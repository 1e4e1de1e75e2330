"""The independent Lagrangian truth generator (issue 16): physics, layout, seeds."""

from __future__ import annotations

import numpy as np
import pytest

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

    import urbansat
    from urbansat.errors import WindError

    sw, tr = make_lagrangian_scene(2)
    with pytest.raises(WindError, match=r"open_wind\(\(u, v, sigma\)\)"):
        urbansat.estimate_emissions(
            sw, sources=tr["sources"], wind=urbansat.open_wind((3.0, 1.0)), method="csf"
        )


@pytest.mark.parametrize("seed", [0, 1])  # a CH4 point scene, a CO2 city scene
def test_flat_background_twin_differs_only_by_the_background(seed: int) -> None:
    sw, tr = make_lagrangian_scene(seed)
    flat, tr_flat = make_lagrangian_scene(seed, background=False)
    var = "xch4" if tr["gas"] == "ch4" else "xco2"
    np.testing.assert_array_equal(sw.qa_pass.values, flat.qa_pass.values)
    assert tr_flat["emission"] == tr["emission"] and tr_flat["noise"] == tr["noise"]
    diff = (sw[var] - flat[var]).values[sw.qa_pass.values]
    # the background is smooth structure of about the measured amplitude, not noise: the
    # twin's difference has no pixel-to-pixel scatter left (same noise draw) ...
    assert np.std(diff) > 0.1 * tr["noise"]
    img = (sw[var] - flat[var]).where(sw.qa_pass).values
    step = np.nanstd(np.diff(img, axis=1))
    assert step < 0.5 * np.nanstd(img)


def test_background_check_metrics_oracle() -> None:
    """Hand-made twin rows: the background moves each estimate by exactly +-10 % of Q_true."""
    import pandas as pd

    from urbansat.testing.lagrangian import background_check_metrics

    n = 8
    base = {"truth": 100.0, "sigma_retrieval": 3.0, "sigma_wind": 4.0, "sigma_model": 12.0}
    sign = np.array([1, -1] * (n // 2), float)
    flat = pd.DataFrame(
        {"seed": range(n), "estimate": 100.0 + 20.0 * sign[::-1], "model_error_fraction": 0.1}
        | base
    )
    real = flat.assign(estimate=flat.estimate + 10.0 * sign, sigma_background=20.0)
    m = background_check_metrics(real, flat.assign(sigma_background=np.nan))
    assert m["n"] == n
    assert m["background_actual"] == pytest.approx(1.4826 * 0.10)
    assert m["background_predicted"] == pytest.approx(0.20)
    assert m["background_z_spread"] == pytest.approx(1.4826 * 0.5)  # the term is 2x too large
    assert m["flat_actual"] == pytest.approx(1.4826 * 0.20)
    assert m["flat_predicted"] == pytest.approx(0.13)  # sqrt(3^2 + 4^2 + 12^2) / 100
    assert m["model_predicted"] == pytest.approx(0.1)
    assert m["model_derived"] == pytest.approx(np.sqrt((1.4826 * 0.2) ** 2 - 0.05**2))
    # a rejected twin drops the seed rather than counting as a zero error
    m2 = background_check_metrics(real, flat.assign(estimate=np.where(sign > 0, np.nan, 1.0)))
    assert m2["n"] == n // 2
