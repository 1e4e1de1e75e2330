"""Accuracy and honest uncertainty on seeded synthetic plumes (subset of the benchmark)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from urbansat.testing.inversion_cases import run_case

pytestmark = pytest.mark.slow  # 2 x 30 seeded plumes x 4 methods (~15 s)

N = 30  # binomial sd of a 68 % coverage over 30 cases is 8.5 %: tolerances are +-2 sd


@pytest.fixture(scope="module")
def with_wind_error() -> pd.DataFrame:
    return pd.DataFrame(
        [r for s in range(N) for r in run_case(s, wind_error=0.2, direction_error=10.0)]
    )


@pytest.fixture(scope="module")
def true_wind() -> pd.DataFrame:
    return pd.DataFrame(
        [r for s in range(N) for r in run_case(s, wind_error=0.0, direction_error=0.0)]
    )


@pytest.mark.parametrize("method", ["ime", "csf", "gaussian", "bayesian"])
def test_coverage_is_honest(with_wind_error, method):
    g = with_wind_error[with_wind_error.method == method]
    assert np.isfinite(g.estimate).all(), g.qa_reason.tolist()
    inside = {k: (g[f"lower_{k}"] <= g.truth) & (g.truth <= g[f"upper_{k}"]) for k in (1, 2)}
    assert 0.51 <= inside[1].mean() <= 0.85
    assert inside[2].mean() >= 0.85
    # the intervals are nested around the estimate and wider above it (wind error scales Q)
    assert (
        (g.lower_2 <= g.lower_1)
        & (g.lower_1 <= g.estimate)
        & (g.estimate <= g.upper_1)
        & (g.upper_1 <= g.upper_2)
    ).all()
    pos = g[g.estimate > 0]
    assert len(pos) >= 0.9 * len(g)
    assert ((pos.upper_1 - pos.estimate) > (pos.estimate - pos.lower_1)).all()
    rel = (g.estimate - g.truth) / g.truth
    assert abs(rel.median()) < 0.1
    # the budget has every term, and the wind term is ~ the stated 20 %
    assert (g.sigma_wind / g.estimate.abs()).median() == pytest.approx(0.2, rel=0.05)


@pytest.mark.parametrize("method", ["ime", "csf"])
def test_true_wind_median_error_within_10_percent(true_wind, method):
    g = true_wind[(true_wind.method == method) & true_wind.detected]
    assert len(g) >= 0.8 * N
    rel = ((g.estimate - g.truth) / g.truth).abs()
    assert rel.median() <= 0.10
