"""Plumes at the edge of what a scene shows, and options a method does not use.

Three silent wrong numbers found by probing (2026-12-07), each on a noise-free scene with the
true wind, so the truth is known exactly:

* CSF on a plume along the swath edge: transects were accepted on their valid *area*, so a
  transect whose plume core lay beyond the edge lost that mass (394 +- 14 kg s-1 "ok" for a
  true 1000);
* the Gaussian and Bayesian background term scaled with IME/CSF's ``half_width_km``, which the
  fits do not use (x0.3 at 3 km, x150 at 1000 km);
* the Bayesian inversion took its plume direction from a Gaussian fit that constrained
  nothing (-16 +- 3481 kg s-1), turned its plume onto the soundings and reported 50 +- 329
  kg s-1 "ok" for a plume that misses the OCO-2 swath.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr

import urbansat
from urbansat.testing.plumes import make_plume_swath

TRUTH = 1000.0


def _edge_scene(offset_km: float) -> tuple[xr.Dataset, dict]:
    """CO2M-like scene, point source ``offset_km`` across track, plume along the swath edge."""
    return make_plume_swath(
        "co2m",
        gas="co2",
        emission=TRUTH,
        seed=3,
        source_offset_km=(0.0, offset_km),
        wind_direction_deg=90.0,
        wind_speed=4.0,
        noise=0.0,
        background_structure=0.0,
        wind_error=0.0,
        direction_error_deg=0.0,
    )


def _run(sw: xr.Dataset, truth: dict, method: str | list[str], **kw: object) -> xr.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the scenes' own notes (e.g. a truncated plume)
        return urbansat.estimate_emissions(
            sw, sources=truth["sources"], wind=truth["wind"], method=method, **kw
        )


@pytest.mark.parametrize("offset_km", [115.0, 116.0, 117.0, 118.0])
def test_csf_plume_along_the_swath_edge_is_covered_or_refused(offset_km: float) -> None:
    sw, truth = _edge_scene(offset_km)
    before = sw.copy(deep=True)
    r = _run(sw, truth, "csf").isel(source=0)
    xr.testing.assert_identical(sw, before)
    reason = str(r.qa_reason.values)
    if reason:  # no transect sees a quarter of its plume
        assert "modelled plume mass" in reason
        assert np.isnan(float(r.emission))
    else:
        lo, hi = float(r.emission_lower_2sigma), float(r.emission_upper_2sigma)
        assert lo <= TRUTH <= hi, (float(r.emission), lo, hi)


def test_csf_inside_the_swath_is_unchanged_by_the_coverage_rule() -> None:
    sw, truth = _edge_scene(100.0)
    r = _run(sw, truth, "csf").isel(source=0)
    assert str(r.qa_reason.values) == ""
    assert float(r.emission) == pytest.approx(TRUTH, rel=0.06)
    assert float(r.emission_uncertainty) < 0.1 * TRUTH


def test_csf_direct_transects_carry_the_plume_mass_they_miss() -> None:
    # 115 km: three transects, all integrated directly, each missing 13-22 % of its plume
    # mass beyond the edge; they gave 864 +- 43 kg s-1, an interval without the truth
    sw, truth = _edge_scene(115.0)
    r = _run(sw, truth, "csf").isel(source=0)
    assert str(r.qa_reason.values) == ""
    lo, hi = float(r.emission_lower_2sigma), float(r.emission_upper_2sigma)
    assert lo <= TRUTH <= hi, (float(r.emission), lo, hi)
    # the missing share, not retrieval noise (there is none), makes the interval
    assert float(r.emission_uncertainty_term.sel(term="model")) > 0.1 * TRUTH


def test_plume_fits_background_term_ignores_the_ime_band_width() -> None:
    sw, truth = make_plume_swath("co2m", gas="co2", emission=TRUTH, seed=3)
    methods = ["gaussian", "bayesian", "ime"]
    base = _run(sw, truth, methods).isel(source=0)
    for hw in (3.0, 1000.0):
        r = _run(sw, truth, methods, half_width_km=hw).isel(source=0)
        for m in ("gaussian", "bayesian"):
            a, b = base.sel(inversion_method=m), r.sel(inversion_method=m)
            assert float(b.emission) == pytest.approx(float(a.emission), rel=1e-9)
            assert float(b.emission_uncertainty_term.sel(term="background")) == pytest.approx(
                float(a.emission_uncertainty_term.sel(term="background")), rel=1e-9
            )
        # the option does reach IME, whose band it is
        assert float(r.sel(inversion_method="ime").emission) != pytest.approx(
            float(base.sel(inversion_method="ime").emission), rel=1e-6
        )


def test_bayesian_does_not_take_the_geometry_of_an_unconstrained_fit() -> None:
    # the true plume misses the OCO-2 swath (largest true enhancement on any sounding 4e-5 ppm)
    sw, truth = make_plume_swath(
        "oco2",
        gas="co2",
        emission=TRUTH,
        seed=267,
        source_offset_km=(-18.7176, -5.85155),
        wind_direction_deg=309.048,
        noise=0.0,
        background_structure=0.0,
        wind_error=0.0,
        direction_error_deg=0.0,
    )
    sw["xco2_uncertainty"] = xr.full_like(sw.xco2, 0.5)
    assert float(np.nanmax(truth["enhancement"])) < 1e-3
    r = _run(sw, truth, ["gaussian", "bayesian"]).isel(source=0)
    g, b = r.sel(inversion_method="gaussian"), r.sel(inversion_method="bayesian")
    # the Gaussian fit is honest: an estimate far below its own sigma
    assert abs(float(g.emission)) < float(g.emission_uncertainty)
    reason = str(b.qa_reason.values)
    if not reason:
        lo, hi = float(b.emission_lower_2sigma), float(b.emission_upper_2sigma)
        assert lo <= TRUTH <= hi
    else:
        assert "do not constrain" in reason
