"""The background term against the error the background causes, on flat-background twins.

Recomputes, on 15 of the old generator's CO2M-like cities (seeds 0, 3, ..., 42: the tuning
cities ``model_error_cities`` is measured on), what ``bench_inversion.py
--city-background-check`` records: each city with and without its smooth background structure
(same plume, noise draw, gradient, clouds and wind), the estimate's change divided by the
``background`` term. Measured 2026-12-05 on these seeds: robust z spread IME 1.45, CSF 1.23,
Gaussian 1.27 with the budget's rule; IME 2.53 and CSF 2.94 with the variogram band error
alone (the long-wave cosine backgrounds it underrates, docs/inversion.md), which is why IME
and CSF take the larger of it and the control bands.
"""

from __future__ import annotations

import pandas as pd
import pytest

from urbansat.testing.inversion_cases import run_city_case
from urbansat.testing.lagrangian import background_check_metrics

SEEDS = range(0, 45, 3)  # the CO2M-like cities among 0-44


@pytest.fixture(scope="module")
def twins() -> tuple[pd.DataFrame, pd.DataFrame]:
    kw = {"wind_error": 0.0, "direction_error": 0.0}
    real = pd.DataFrame([r for s in SEEDS for r in run_city_case(s, **kw)])
    flat = pd.DataFrame(
        [r for s in SEEDS for r in run_city_case(s, **kw, background_structure=0.0)]
    )
    assert set(real.kind) == {"co2m"}
    return real, flat


@pytest.mark.parametrize("method", ["ime", "csf", "gaussian"])
def test_background_term_covers_the_background_error_of_the_twins(twins, method):
    real, flat = twins
    v = background_check_metrics(real[real.method == method], flat[flat.method == method])
    assert v["n"] >= 14
    # 1 when the term is right; > 1.8 is the band error alone for IME and CSF (2.5-2.9),
    # < 0.4 a term several times too wide
    assert 0.4 <= v["background_z_spread"] <= 1.8, v
