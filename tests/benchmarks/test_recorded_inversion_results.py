"""The recorded flux-inversion benchmark (benchmarks/results/inversion.json) meets issue 4's goals.

The benchmark is too slow for the suite (about 10 min on 2 cores); these tests read the
recorded run and guard what the docs quote from it: if the code's model-error tables
change without a re-run, or a re-run records a regression, they fail and name the figure.
Re-run with ``python benchmarks/bench_inversion.py`` (see docs/inversion.md).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from urbansat.inversion import METHODS

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "inversion.json"
POINT_SECTIONS = ("synthetic", "synthetic_heldout", "synthetic_fresh")
#: binomial sd of a 68 % coverage over 100 cases
SD_100 = math.sqrt(0.6827 * (1 - 0.6827) / 100)


@pytest.fixture(scope="module")
def rec() -> dict:
    return json.loads(RESULTS.read_text())


def test_recorded_run_used_the_current_model_error_tables(rec):
    from urbansat.testing.inversion_stats import model_error_constants

    assert rec.get("constants") == model_error_constants(), (
        "benchmarks/results/inversion.json was recorded with other model-error tables than "
        "urbansat.inversion has now: re-run python benchmarks/bench_inversion.py"
    )


def test_model_error_tables_are_what_the_recorded_run_measures(rec):
    """MODEL_ERROR, _COMPACT, _AREA and CSF_SCATTER_RESIDUAL are what the noise-free sections
    measure (robust sigmas; the residual beside CSF's measured transport scatter)."""
    derived = rec["model_error_derived"]
    assert set(derived) == {
        "MODEL_ERROR",
        "MODEL_ERROR_COMPACT",
        "MODEL_ERROR_AREA",
        "CSF_SCATTER_RESIDUAL",
    }
    for name, table in derived.items():
        for m, (fine, coarse) in table.items():
            assert rec["constants"][name][m] == pytest.approx([fine, coarse], abs=6e-4), (
                f"{name}[{m!r}] = {rec['constants'][name][m]} but the recorded run measures "
                f"{[fine, coarse]}: update urbansat.inversion and re-run the benchmark"
            )


@pytest.mark.parametrize("method", METHODS)
def test_synthetic_point_coverage_is_honest(rec, method):
    """1-sigma 60-76 % over the 300 seeds (each seed set within 2 binomial sd), 2-sigma >= 90 %."""
    secs = [rec[s][method] for s in POINT_SECTIONS]
    assert all(s["n_cases"] >= 100 and s["n_valid"] >= 95 for s in secs)
    n = sum(s["n_valid"] for s in secs)
    pooled = sum(s["coverage_1sigma"] * s["n_valid"] for s in secs) / n
    assert 0.60 <= pooled <= 0.76, f"{method}: pooled 1-sigma coverage {pooled:.3f}"
    for name, s in zip(POINT_SECTIONS, secs, strict=True):
        assert 0.60 - 2 * SD_100 <= s["coverage_1sigma"] <= 0.76 + 2 * SD_100, (
            name,
            s["coverage_1sigma"],
        )
        assert s["coverage_2sigma"] >= 0.90, (name, s["coverage_2sigma"])
    compact = rec["synthetic_compact_heldout"][method]
    assert 0.60 - 2 * SD_100 <= compact["coverage_1sigma"] <= 0.76 + 2 * SD_100
    assert compact["coverage_2sigma"] >= 0.90


@pytest.mark.parametrize("method", ["ime", "csf"])
def test_true_wind_strong_plumes_within_ten_percent(rec, method):
    assert rec["true_wind_strong"][method]["median_abs_error"] <= 0.10


@pytest.mark.parametrize("method", METHODS)
def test_synthetic_cities_are_not_overconfident(rec, method):
    # area sources: intervals measured conservative (1-sigma 0.69-0.83); never below the band
    for name in ("synthetic_cities", "synthetic_cities_heldout"):
        s = rec[name][method]
        assert (
            s["n_valid"] >= 95 and s["coverage_1sigma"] >= 0.60 and s["coverage_2sigma"] >= 0.90
        ), (name, s)


@pytest.mark.parametrize("source", ["Berlin", "Janschwalde"])
def test_smartcarb_protocol_draw_within_15_percent_and_2_sigma(rec, source):
    for method in METHODS:
        r = rec["smartcarb"]["results"][source][method]
        assert r["qa_reason"] == ""
        assert abs(r["error"]) <= 0.15, (method, r["error"])
        assert r["truth_within_2sigma_interval"], method


def test_smartcarb_noise_ensemble_covers_and_janschwalde_is_robust(rec):
    summ = rec["smartcarb_noise"]["summary"]
    assert rec["smartcarb_noise"]["n_seeds"] >= 100
    for source, per in summ.items():
        for method, s in per.items():
            assert s["n_valid"] == s["n"] and s["coverage_2sigma"] >= 0.95, (source, method)
    assert all(s["frac_within_15pct"] >= 0.95 for s in summ["Janschwalde"].values())


def test_scene_under_two_seconds_and_faster_than_ddeq(rec):
    sc = rec["smartcarb"]
    assert sc["time_all_methods_s"] < 2.0 and sc["timing_repeats"] >= 5
    for t in rec.get("ddeq", {}).get("timing", {}).values():
        assert t["ratio_ddeq_over_urbansat_same_steps"] > 5
