"""The noise-ensemble summary of benchmarks/bench_inversion.py against hand-computed values."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest


def _bench():
    """The benchmark's case generators and summaries, from urbansat.testing (not benchmarks/)."""
    from urbansat.testing import inversion_cases, inversion_stats

    return SimpleNamespace(**{**vars(inversion_cases), **vars(inversion_stats)})


# positional on purpose: ROWS below is a table, one call per row in column order
def _row(seed, source, method, est, sigma, lo1, hi1, lo2, hi2, qa="", truth=10.0):  # noqa: PLR0913, PLR0917
    return {
        "seed": seed,
        "source": source,
        "method": method,
        "estimate_mt_per_yr": est,
        "sigma_mt_per_yr": sigma,
        "truth_mt_per_yr": truth,
        "lower_1sigma_mt_per_yr": lo1,
        "upper_1sigma_mt_per_yr": hi1,
        "lower_2sigma_mt_per_yr": lo2,
        "upper_2sigma_mt_per_yr": hi2,
        "qa_reason": qa,
    }


nan, inf = float("nan"), float("inf")
# truth 10: estimates 9, 10, 12, 20 and one failed draw -> errors -0.1, 0, +0.2, +1.0
ROWS = [
    _row(0, "A", "ime", 9.0, 1.0, 8.0, 9.5, 7.0, 10.5),  # 1-sigma misses, 2-sigma covers
    _row(1, "A", "ime", 10.0, 2.0, 9.0, 11.0, 8.0, 12.0),  # both cover
    _row(2, "A", "ime", 12.0, 3.0, 10.0, 14.0, 9.0, 16.0),  # both cover (bound == truth counts)
    _row(3, "A", "ime", 20.0, 4.0, 15.0, inf, 12.0, inf),  # unbounded above, both miss
    _row(4, "A", "ime", nan, nan, nan, nan, nan, nan, qa="too few valid pixels"),
    _row(0, "B", "csf", nan, nan, nan, nan, nan, nan, qa="no plume", truth=40.0),
    _row(1, "B", "csf", nan, nan, nan, nan, nan, nan, qa="no plume", truth=40.0),
]
FREE = {
    "A": {"ime": {"estimate_mt_per_yr": 10.5, "qa_reason": ""}},
    "B": {"csf": {"estimate_mt_per_yr": nan, "qa_reason": "no plume"}},
}


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
    for k in (
        "median_error",
        "mean_error",
        "std_error",
        "p16_error",
        "p84_error",
        "median_rel_sigma",
        "noise_free_estimate_mt_per_yr",
        "noise_free_error",
        "noise_induced_bias",
        "max_abs_error",
        "max_abs_error_seed",
    ):
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


# positional on purpose: the cases below are a table, one call per row in column order
def _case(seed, kind, est, lo1, hi1, lo2, hi2, terms, truth=10.0, method="ime"):  # noqa: PLR0913, PLR0917
    r, w, b, m = terms
    return {
        "seed": seed,
        "kind": kind,
        "method": method,
        "truth": truth,
        "wind_factor": 1.0,
        "estimate": est,
        "sigma": math.sqrt(r * r + w * w + b * b + m * m),
        "detected": True,
        "qa_reason": "",
        "sigma_retrieval": r,
        "sigma_wind": w,
        "sigma_background": b,
        "sigma_model": m,
        "lower_1": lo1,
        "upper_1": hi1,
        "lower_2": lo2,
        "upper_2": hi2,
    }


# truth 10; errors -0.1 (co2m), +0.3 (co2m), +0.6 (tropomi), -0.5 (tropomi), failed (tropomi)
CASES = [
    _case(0, "co2m", 9.0, 8.0, 11.0, 7.0, 12.0, (1.0, 2.0, 0.5, 0.5)),  # covered; wind
    _case(
        1, "co2m", 13.0, 10.5, 15.0, 9.0, 17.0, (0.5, 2.0, 0.5, 1.0)
    ),  # 1s miss (low bound); wind
    _case(2, "tropomi", 16.0, 13.0, 19.0, 11.0, 22.0, (3.0, 1.0, 0.5, 2.0)),  # both miss; retrieval
    _case(3, "tropomi", 5.0, 4.0, 6.0, 3.0, 7.0, (0.2, 0.5, 0.3, 0.8)),  # both miss, low; model
    _case(4, "tropomi", nan, nan, nan, nan, nan, (nan, nan, nan, nan)),
]


def test_uncertainty_breakdown_matches_hand_values():
    import pandas as pd

    r = _bench().uncertainty_breakdown(pd.DataFrame(CASES))["ime"]
    terms = r["median_rel_sigma_terms"]
    assert terms["wind"] == pytest.approx(np.median([0.2, 0.2, 0.1, 0.05]))
    assert terms["retrieval"] == pytest.approx(np.median([0.1, 0.05, 0.3, 0.02]))
    assert r["dominant_term"] == {"wind": 2, "retrieval": 1, "model": 1}
    co2m, trop = r["by_kind"]["co2m"], r["by_kind"]["tropomi"]
    assert co2m["n"] == 2 and trop["n"] == 2  # the failed case is not a valid one
    assert co2m["median_abs_error"] == pytest.approx(0.2)
    assert co2m["bias"] == pytest.approx(0.1)
    assert co2m["robust_sigma"] == pytest.approx(1.4826 * 0.2)
    assert (co2m["coverage_1sigma"], co2m["coverage_2sigma"]) == (0.5, 1.0)
    assert (trop["coverage_1sigma"], trop["coverage_2sigma"]) == (0.0, 0.0)
    assert trop["median_abs_error"] == pytest.approx(0.55)
    m1, m2 = r["misses_1sigma"], r["misses_2sigma"]
    assert (m1["n"], m1["n_low"]) == (3, 1)
    assert m1["dominant_term"] == {"wind": 1, "retrieval": 1, "model": 1}
    assert (m2["n"], m2["n_low"]) == (2, 1)
    assert m2["median_error"] == pytest.approx(0.05)  # (+0.6 - 0.5) / 2
    s2, s3 = math.sqrt(9 + 1 + 0.25 + 4), math.sqrt(0.04 + 0.25 + 0.09 + 0.64)
    assert m2["median_rel_sigma"] == pytest.approx((s2 + s3) / 20)
    assert m2["median_z"] == pytest.approx((6 / s2 + 5 / s3) / 2)


def test_section_summary_merges_stats_and_breakdown_and_misses_none_when_all_covered():
    import pandas as pd

    covered = [_case(0, "co2m", 9.0, 8.0, 11.0, 7.0, 12.0, (1.0, 2.0, 0.5, 0.5), method="csf")]
    sec = _bench().summarize_section(pd.DataFrame(CASES + covered))
    assert set(sec) == {"ime", "csf"}
    assert sec["ime"]["coverage_2sigma"] == pytest.approx(0.5)  # from stats(): 2 of 4 valid
    assert sec["ime"]["n_cases"] == 5 and sec["ime"]["n_valid"] == 4
    m = sec["csf"]["misses_2sigma"]
    assert m["n"] == 0 and m["dominant_term"] == {}
    assert m["median_error"] is None and m["median_z"] is None


def test_city_cases_cycle_geometries_and_draw_in_the_stated_ranges():
    b = _bench()
    rows = [r for s in (0, 1, 2) for r in b.run_city_case(s, wind_error=0.2, direction_error=10.0)]
    assert [r["method"] for r in rows] == list(b.METHODS) * 3
    for s, (kind, gas) in enumerate(b.KINDS):
        case = [r for r in rows if r["seed"] == s]
        assert {r["kind"] for r in case} == {kind}
        d, q = case[0]["diameter_km"], case[0]["truth"]
        lo, hi = b.CITY_DIAMETER_KM[kind]
        assert lo <= d <= hi
        qlo, qhi = b.CITY_EMISSION_KG_S[gas]
        assert qlo <= q <= qhi
        for r in case:
            assert (r["diameter_km"], r["truth"]) == (d, q)
            # every row carries the whole budget and the model fraction used
            for t in ("retrieval", "wind", "background", "model"):
                assert f"sigma_{t}" in r
            assert 0 < r["model_error_fraction"] < 1
    # SAM target areas are ~80 km: its cities stay at <= 20 km
    assert b.CITY_DIAMETER_KM["oco3_sam"][1] <= 20.0
    # city draws are independent of the point cases of the same seed
    p = b.run_case(1, wind_error=0.2, direction_error=10.0)[0]
    c = next(r for r in rows if r["seed"] == 1)
    assert p["truth"] != c["truth"] and p["wind_factor"] != c["wind_factor"]


def test_compact_cases_are_the_point_cases_released_from_1_2_4_km_disks():
    b = _bench()
    rows = {
        s: b.run_case(s, wind_error=0.0, direction_error=0.0, compact=True)[0] for s in (0, 3, 6)
    }
    assert [rows[s]["diameter_km"] for s in (0, 3, 6)] == list(b.COMPACT_DIAMETER_KM)
    assert {r["kind"] for r in rows.values()} == {b.KINDS[0][0]}
    point = b.run_case(3, wind_error=0.0, direction_error=0.0)[0]
    # same draw of emission and wind, different release geometry
    assert "diameter_km" not in point
    assert point["truth"] == rows[3]["truth"] and point["wind_factor"] == rows[3]["wind_factor"]
    assert point["estimate"] != rows[3]["estimate"]
