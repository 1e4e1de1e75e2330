"""Recomputing guard on the independent Lagrangian generator (issue 16).

Runs a small subset of the held-out seeds (never tuned on) through every method and checks
what the benchmark's ``lagrangian`` sections measure, recomputed here instead of read from a
committed JSON. Thresholds are the values measured on these seeds on 2026-12-03 (IME
rejections: 2026-12-04) with a margin for a 10-scene sample, not the issue's goals (see
docs/inversion.md for the goals met and not met).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from urbansat.testing import lagrangian
from urbansat.testing.lagrangian import (
    TEST_SEEDS,
    issue16_metrics,
    real_samples_missing,
    run_lagrangian_case,
)

# the thresholds were measured on the scenes made from the real samples; without them the
# generator makes other scenes (random QA blobs, a synthetic background)
pytestmark = pytest.mark.skipif(
    bool(real_samples_missing()),
    reason=f"real samples absent ({real_samples_missing()}): the Lagrangian scenes would differ",
)


def test_missing_real_samples_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    gone = tmp_path / "no_such_granule.nc4"
    monkeypatch.setattr(lagrangian, "_SAMPLE", gone)
    assert real_samples_missing() == [gone]


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return pd.DataFrame([r for s in list(TEST_SEEDS)[:10] for r in run_lagrangian_case(s)])


@pytest.mark.slow
def test_no_negative_estimate_is_flagged_detected(rows: pd.DataFrame) -> None:
    assert issue16_metrics(rows)["negative_detected"] == 0


@pytest.mark.slow
def test_ime_corrects_partial_coverage_instead_of_rejecting(rows: pd.DataFrame) -> None:
    # with the old 75 % area-coverage limit IME rejected 50 % of the held-out point scenes, with
    # the 60 % limit 40 %; with the plume-mass coverage correction (2026-12-04) 1 of these 10
    # scenes (5003, a city with 24.6 % of its modelled plume mass on valid soundings)
    ime = rows[rows.method == "ime"]
    assert issue16_metrics(ime)["rejected_share"] <= 0.2


@pytest.mark.slow
def test_gaussian_error_and_2sigma_coverage_hold(rows: pd.DataFrame) -> None:
    g = issue16_metrics(rows[rows.method == "gaussian"])
    assert g["median_abs_error"] < 0.35
    assert g["coverage_2sigma"] >= 0.8
    assert np.isfinite(g["z_spread"])


@pytest.mark.slow
def test_no_method_rejects_a_detected_plume(rows: pd.DataFrame) -> None:
    # issue 16: at most 10 % of the scenes with a detectable plume rejected; on these 10
    # held-out scenes (8-9 detected per method, 2026-12-08) none is, for any method
    lost = rows[rows.detected & ~np.isfinite(rows.estimate)]
    assert lost.empty, lost[["seed", "method", "qa_reason"]].to_string()
