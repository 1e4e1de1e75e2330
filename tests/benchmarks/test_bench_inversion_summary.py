"""The noise-ensemble summary of benchmarks/bench_inversion.py against hand-computed values."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_inversion.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_inversion", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _row(seed, source, method, est, sigma, lo1, hi1, lo2, hi2, qa="", truth=10.0):
    return {"seed": seed, "source": source, "method": method, "estimate_mt_per_yr": est,
            "sigma_mt_per_yr": sigma, "truth_mt_per_yr": truth,
            "lower_1sigma_mt_per_yr": lo1, "upper_1sigma_mt_per_yr": hi1,
            "lower_2sigma_mt_per_yr": lo2, "upper_2sigma_mt_per_yr": hi2, "qa_reason": qa}


nan, inf = float("nan"), float("inf")
# truth 10: estimates 9, 10, 12, 20 and one failed draw -> errors -0.1, 0, +0.2, +1.0
ROWS = [
    _row(0, "A", "ime", 9.0, 1.0, 8.0, 9.5, 7.0, 10.5),    # 1-sigma misses, 2-sigma covers
    _row(1, "A", "ime", 10.0, 2.0, 9.0, 11.0, 8.0, 12.0),  # both cover
    _row(2, "A", "ime", 12.0, 3.0, 10.0, 14.0, 9.0, 16.0),  # both cover (bound == truth counts)
    _row(3, "A", "ime", 20.0, 4.0, 15.0, inf, 12.0, inf),  # unbounded above, both miss
    _row(4, "A", "ime", nan, nan, nan, nan, nan, nan, qa="too few valid pixels"),
    _row(0, "B", "csf", nan, nan, nan, nan, nan, nan, qa="no plume", truth=40.0),
    _row(1, "B", "csf", nan, nan, nan, nan, nan, nan, qa="no plume", truth=40.0),
]
FREE = {"A": {"ime": {"estimate_mt_per_yr": 10.5, "qa_reason": ""}},
        "B": {"csf": {"estimate_mt_per_yr": nan, "qa_reason": "no plume"}}}


def test_summary_matches_hand_values():
    s = _bench().summarize_noise_ensemble(ROWS, FREE)["A"]["ime"]
    assert (s["n"], s["n_valid"]) == (5, 4)
    assert s["median_error"] == pytest.approx(0.1)  # mean of the middle pair 0 and 0.2
    assert s["mean_error"] == pytest.approx(1.1 / 4)
    assert s["std_error"] == pytest.approx(math.sqrt(0.7475 / 3))  # squared deviations sum 0.7475
    # linear percentiles on sorted (-0.1, 0, 0.2, 1.0): positions 0.48 and 2.52
    assert s["p16_error"] == pytest.approx(-0.1 + 0.48 * 0.1)
    assert s["p84_error"] == pytest.approx(0.2 + 0.52 * 0.8)
    # fractions over all 5 draws: the failed draw is a miss
    assert s["frac_within_15pct"] == pytest.approx(2 / 5)
    assert s["coverage_1sigma"] == pytest.approx(2 / 5)
    assert s["coverage_2sigma"] == pytest.approx(3 / 5)
    assert s["median_rel_sigma"] == pytest.approx(2.5 / 10)
    assert s["noise_free_estimate_mt_per_yr"] == 10.5
    assert s["noise_free_error"] == pytest.approx(0.05)
    # (estimate - 10.5) / 10 = -0.15, -0.05, 0.15, 0.95 -> median 0.05
    assert s["noise_induced_bias"] == pytest.approx(0.05)
    assert s["max_abs_error"] == pytest.approx(1.0)
    assert s["max_abs_error_seed"] == 3
    assert s["qa_reasons"] == {"too few valid pixels": 1}


def test_summary_without_valid_draws_reports_none_not_numbers():
    s = _bench().summarize_noise_ensemble(ROWS, FREE)["B"]["csf"]
    assert (s["n"], s["n_valid"], s["truth_mt_per_yr"]) == (2, 0, 40.0)
    for k in ("median_error", "mean_error", "std_error", "p16_error", "p84_error",
              "median_rel_sigma", "noise_free_estimate_mt_per_yr", "noise_free_error",
              "noise_induced_bias", "max_abs_error", "max_abs_error_seed"):
        assert s[k] is None, k
    assert (s["frac_within_15pct"], s["coverage_1sigma"], s["coverage_2sigma"]) == (0.0, 0.0, 0.0)
    assert s["qa_reasons"] == {"no plume": 2}
    assert s["noise_free_qa_reason"] == "no plume"


def test_per_seed_columns_keep_every_draw_with_none_for_non_finite():
    cols = _bench().per_seed_columns(ROWS)
    a = cols["A"]["ime"]
    assert a["seed"] == [0, 1, 2, 3, 4]
    assert a["estimate_mt_per_yr"] == [9.0, 10.0, 12.0, 20.0, None]
    assert a["upper_1sigma_mt_per_yr"] == [9.5, 11.0, 14.0, None, None]
    assert a["qa_reason"] == ["", "", "", "", "too few valid pixels"]
    assert cols["B"]["csf"]["seed"] == [0, 1]
