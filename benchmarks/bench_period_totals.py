"""Issue 17 benchmark: annual totals from sparse overpasses (SMARTCARB 2015) and synthetic coverage.

Run ``python benchmarks/bench_period_totals.py [--seeds 200]``; writes
``benchmarks/results/period_totals.json``. SMARTCARB is held out (nothing was tuned on it);
synthetic seeds 0..N-1 are the tuning (development) set (``synthetic_tuning``), the reported
coverage uses the held-out seeds 1000..1000+N-1 (``synthetic_heldout``, run once after each
estimator change), the fresh seeds 3000..3000+N-1 (``synthetic_fresh``, first run after the
generator's local-hour fix) and 4000..4000+N-1 (``synthetic_fresh4000``, first run once
after the civil-time generator and the zone-dependent timing term were decided); no choice
was made on the fresh sets.
Profiles are assigned a priori: Berlin ``urban``, the 15 power plants ``public_power``.

Synthetic cases: the truth follows its profile on civil time with daylight saving
(``make_synthetic_year``'s default ``time_zone="Europe/Berlin"`` at 14 deg E), as real
activity does and as the TNO / EDGAR hour factors are given; the overpasses are at 11:30
local solar time (sun-synchronous). The estimator is given only the longitude, the common
user case, except in the ``*_zone_known`` cases, where it is also told ``timezone=``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from urbansat.export import atomic_write
from urbansat.temporal import period_totals
from urbansat.testing.smartcarb_year import image_bias, smartcarb_year
from urbansat.testing.years import make_synthetic_year

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "samples" / "smartcarb"


def smartcarb(seasonal: bool | None = None) -> dict:
    out = {}
    for kind in ("truth", "csf"):
        table, truth, profile = smartcarb_year(
            ROOT / "data" / "samples" / "smartcarb", estimates=kind
        )
        r = period_totals(table, periods=["2015"], profile=profile, seasonal=seasonal)
        r["truth"] = r["source"].map(truth)
        err = r["emission_t_per_yr"] / r["truth"] - 1
        z = (r["emission_t_per_yr"] - r["truth"]) / r["emission_t_per_yr_uncertainty"]
        plain = table.groupby("source")["emission_t_per_yr"].mean() / pd.Series(truth) - 1
        out[kind] = {
            "median_abs_error": float(err.abs().median()),
            "within_2sigma": int((z.abs() < 2).sum()),
            "within_1sigma": int((z.abs() < 1).sum()),
            "n_sources": len(r),
            "plain_mean_median_abs_error": float(plain.abs().median()),
            "per_source": {
                s: {
                    "estimate": float(e),
                    "truth": float(t),
                    "error": float(x),
                    "z": float(zz),
                    "sigma": float(u),
                    "n": int(n),
                }
                for s, e, t, x, zz, u, n in zip(
                    r.source,
                    r.emission_t_per_yr,
                    r.truth,
                    err,
                    z,
                    r.emission_t_per_yr_uncertainty,
                    r.n_overpasses,
                    strict=True,
                )
            },
        }
    return out


def smartcarb_image_bias() -> dict:
    """The floor the per-image CSF estimates set on any annual total (docs/period_totals.md).

    ``image_bias``: per source, the robust location of ``Q_k / Q_true(t_k)`` minus 1. The
    annual total of an estimator that treats the images alike inherits it, so the median
    over the 16 sources of ``|bias|`` is what a perfect temporal model would still miss.
    ``best_of_three``: per source the smallest of the three locations (an oracle choice).
    """
    b = image_bias(ROOT / "data" / "samples" / "smartcarb")
    cols = ["median_bias", "trimmed_mean_bias", "hodges_lehmann_bias"]
    best = b[cols].abs().min(axis=1)
    return {
        **{f"median_abs_{c}": float(b[c].abs().median()) for c in cols},
        **{f"n_within_12pct_{c}": int((b[c].abs() <= 0.12).sum()) for c in cols},
        "median_abs_best_of_three": float(best.median()),
        "n_within_12pct_best_of_three": int((best <= 0.12).sum()),
        "per_source": b.to_dict(orient="index"),
    }


#: Budget columns whose median relative size the synthetic cases record.
TERMS = (
    "emission_t_per_yr_uncertainty",
    "uncertainty_retrieval",
    "uncertainty_sampling",
    "uncertainty_profile_factors",
    "uncertainty_profile_timing",
)


def synthetic(seeds: range) -> dict:
    cases = {
        "public_power": {},
        "urban": {},
        "road_transport_outliers5": {"outlier_fraction": 0.05, "profile": "road_transport"},
        "public_power_outliers10": {"outlier_fraction": 0.1, "profile": "public_power"},
        "public_power_n8": {"n_overpasses": 8, "profile": "public_power"},
        # the estimator told the zone the truth follows (timing term: hour bin only)
        "urban_zone_known": {"profile": "urban", "estimator_timezone": "Europe/Berlin"},
        "road_transport_outliers5_zone_known": {
            "outlier_fraction": 0.05,
            "profile": "road_transport",
            "estimator_timezone": "Europe/Berlin",
        },
    }
    res = {}
    for name, opts in cases.items():
        kw = {"profile": name, **opts} if "profile" not in opts else dict(opts)
        tz = kw.pop("estimator_timezone", None)
        z, err = [], []
        rel: dict[str, list[float]] = {t: [] for t in TERMS}
        for s in seeds:
            y = make_synthetic_year(s, **kw)
            r = period_totals(y.estimates, periods=["2015"], profile=kw["profile"], timezone=tz)
            z.append((r.emission_t_per_yr[0] - y.true_mean) / r.emission_t_per_yr_uncertainty[0])
            err.append(r.emission_t_per_yr[0] / y.true_mean - 1)
            for t in TERMS:
                rel[t].append(float(r[t][0] / r.emission_t_per_yr[0]))
        az = np.abs(z)
        res[name] = {
            "coverage_1sigma": float((az < 1).mean()),
            "coverage_2sigma": float((az < 2).mean()),
            "median_abs_error": float(np.median(np.abs(err))),
            "mean_error": float(np.mean(err)),
            "rms_error": float(np.sqrt(np.mean(np.square(err)))),
            "median_relative": {t: float(np.median(v)) for t, v in rel.items()},
            "seeds": [seeds.start, seeds.stop - 1],
            "options": kw,
            "generator_time_zone": kw.get("time_zone", "Europe/Berlin"),
            "estimator_timezone": tz,
        }
    return res


def speed(n_rows: int = 100_000, n_sources: int = 1000) -> dict:
    rng = np.random.default_rng(0)
    src = rng.integers(0, n_sources, n_rows)
    t = pd.Timestamp("2015-01-01").value + rng.integers(0, 365 * 86400, n_rows) * 10**9
    df = pd.DataFrame(
        {
            "source": [f"s{i}" for i in src],
            "time": pd.to_datetime(t),
            "emission_t_per_yr": rng.lognormal(10, 0.3, n_rows),
            "longitude": (src % 360) - 180.0,
        }
    )
    df["emission_t_per_yr_uncertainty"] = 0.2 * df["emission_t_per_yr"]
    df = df.drop_duplicates(["source", "time"])
    times, cpu = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        period_totals(df, periods=["2015"], profile="public_power")
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "rows": len(df),
        "sources": n_sources,
        "seconds_median_of_3": float(np.median(times)),
        # CPU time of this process: the wall time includes other jobs on the shared cores
        "cpu_seconds_median_of_3": float(np.median(cpu)),
        "load_average_1min": float(os.getloadavg()[0]),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=200, help="synthetic seeds per set (200)")
    a = ap.parse_args()
    res = {
        "smartcarb": smartcarb(),
        "smartcarb_constant_only_sensitivity": smartcarb(seasonal=False)["csf"],
        "smartcarb_image_bias": smartcarb_image_bias(),
        "synthetic_tuning": synthetic(range(a.seeds)),
        "synthetic_heldout": synthetic(range(1000, 1000 + a.seeds)),
        "synthetic_fresh": synthetic(range(3000, 3000 + a.seeds)),
        "synthetic_fresh4000": synthetic(range(4000, 4000 + a.seeds)),
        "speed": speed(),
        "ddeq_fit_median_abs_error": 0.20,
    }
    print(
        json.dumps(
            {
                k: (
                    v
                    if k != "smartcarb"
                    else {
                        kk: {x: y for x, y in vv.items() if x != "per_source"}
                        for kk, vv in v.items()
                    }
                )
                for k, v in res.items()
                if k not in ("smartcarb_constant_only_sensitivity", "smartcarb_image_bias")
            },
            indent=1,
            default=str,
        )
    )
    with atomic_write(ROOT / "benchmarks" / "results" / "period_totals.json") as tmp:
        Path(tmp).write_text(json.dumps(res, indent=1, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
