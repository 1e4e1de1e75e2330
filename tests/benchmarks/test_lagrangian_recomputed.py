"""Recomputing guard on the independent Lagrangian generator (issue 16).

Runs a small subset of the held-out seeds (never tuned on) through every method and checks
what the benchmark's ``lagrangian`` sections measure, recomputed here instead of read from a
committed JSON. Thresholds are the values measured on these seeds on 2026-12-03 with a
margin for a 10-scene sample, not the issue's goals (see docs/inversion.md for the goals
met and not met).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from urbansat.testing.lagrangian import TEST_SEEDS, issue16_metrics, run_lagrangian_case


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return pd.DataFrame([r for s in list(TEST_SEEDS)[:10] for r in run_lagrangian_case(s)])


@pytest.mark.slow
def test_no_negative_estimate_is_flagged_detected(rows: pd.DataFrame) -> None:
    assert issue16_metrics(rows)["negative_detected"] == 0


@pytest.mark.slow
def test_ime_rejects_at_most_30_percent_with_the_soft_coverage_limit(rows: pd.DataFrame) -> None:
    # with the old 75 % limit IME rejected 50 % of the point scenes (held-out 5000-5199)
    ime = rows[rows.method == "ime"]
    assert issue16_metrics(ime)["rejected_share"] <= 0.3


@pytest.mark.slow
def test_gaussian_error_and_2sigma_coverage_hold(rows: pd.DataFrame) -> None:
    g = issue16_metrics(rows[rows.method == "gaussian"])
    assert g["median_abs_error"] < 0.35
    assert g["coverage_2sigma"] >= 0.8
    assert np.isfinite(g["z_spread"])
