"""Uncertainty (Approach 1 vs Monte Carlo, coverage), numpy == dask, engines agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from urbansat.sinks import account_sinks, account_transitions
from urbansat.testing.landcover import make_boundaries, make_landcover_pair


def _factors():
    rows = []
    for cat, vals in {
        "forest": {"c_above": 100, "c_below": 20, "c_soil": 50, "c_dead": 5, "removal": 2},
        "grassland": {"c_above": 3, "c_below": 5, "c_soil": 60, "c_dead": 0, "removal": 0},
        "cropland": {"c_above": 5, "c_below": 1, "c_soil": 30, "c_dead": 0, "removal": 0},
        "built_up": {"c_above": 0, "c_below": 0, "c_soil": 0, "c_dead": 0, "removal": 0},
        "water": {"c_above": 0, "c_below": 0, "c_soil": 0, "c_dead": 0, "removal": 0},
    }.items():
        for p, v in vals.items():
            rows.append((cat, p, v, 0.7 * v, 1.3 * v))
    return pd.DataFrame(rows, columns=["category", "parameter", "value", "low", "high"])


def test_numpy_equals_dask_uneven_chunks():
    s, e = make_landcover_pair((97, 83), seed=3)
    sd, ed = make_landcover_pair((97, 83), seed=3, chunks=(31, 29))
    b = make_boundaries(s, 3)
    for method in ("gain_loss", "stock_difference"):
        a = account_sinks(s, e, b, factors=_factors(), method=method, years=5)
        d = account_sinks(sd, ed, b, factors=_factors(), method=method, years=5)
        for v in ("net_sink", "area_start", "stock_end", "gross_removals", "net_sink_uncertainty"):
            np.testing.assert_allclose(a[v], d[v], rtol=1e-10, atol=1e-9)


def _table():
    return pd.DataFrame(
        {
            "boundary_id": ["a"] * 4,
            "class_start": [10, 10, 40, 30],
            "class_end": [10, 50, 10, 30],
            "area_m2": [5e6, 1e6, 2e6, 3e6],
        }
    )


def test_approach1_matches_monte_carlo_for_linear_model():
    b = pd.DataFrame({"boundary_id": ["a"]})
    kw = {"legend": "worldcover", "factors": _factors(), "years": 5, "area_uncertainty": 0.05}
    a1 = account_transitions(_table(), b, uncertainty="approach1", **kw)
    mc = account_transitions(_table(), b, uncertainty="monte_carlo", n_draws=20000, seed=1, **kw)
    np.testing.assert_allclose(a1.net_sink, mc.net_sink, rtol=1e-12)
    tot = {"boundary": "a", "category": "total"}
    assert float(mc.net_sink_uncertainty.sel(tot)) == pytest.approx(
        float(a1.net_sink_uncertainty.sel(tot)), rel=0.04
    )
    assert float(a1.net_sink_uncertainty.sel(tot)) > 0


def test_monte_carlo_interval_coverage():
    """Truth drawn from the stated factor distribution is in the 95 % MC interval ~95 % of the time.

    Truth is recomputed by hand (InVEST arithmetic) for each draw of the true factors.
    """
    b = pd.DataFrame({"boundary_id": ["a"]})
    base = _factors()
    pools = ["c_above", "c_below", "c_soil", "c_dead"]
    sigma = ((base["high"] - base["low"]) / (2 * 1.959963984540054)).to_numpy()
    mc = account_transitions(
        _table(),
        b,
        legend="worldcover",
        factors=base,
        years=5,
        method="stock_difference",
        uncertainty="monte_carlo",
        n_draws=4000,
        seed=2,
    )
    lo = float(mc.net_sink_low.sel(boundary="a", category="total"))
    hi = float(mc.net_sink_high.sel(boundary="a", category="total"))
    cat = {10: "forest", 30: "grassland", 40: "cropland", 50: "built_up"}
    t = _table()
    rng = np.random.default_rng(7)
    n, hits = 400, 0
    for _ in range(n):
        v = base.assign(value=base["value"].to_numpy() + sigma * rng.standard_normal(len(base)))
        P = v[v.parameter.isin(pools)].groupby("category")["value"].sum()
        truth = sum(
            a / 1e4 * (P[cat[e]] - P[cat[s]])
            for s, e, a in zip(t.class_start, t.class_end, t.area_m2, strict=True)
        )
        hits += lo <= truth * 44 / 12 / 5 <= hi
    assert 0.92 <= hits / n <= 0.98


def test_unranged_factor_gives_nan_interval_and_warns():
    b = pd.DataFrame({"boundary_id": ["a"]})
    with pytest.warns(UserWarning, match="without a range"):
        ds = account_transitions(
            _table(), b, legend="worldcover", factors="china_literature", years=5
        )
    assert np.isnan(float(ds.net_sink_low.sel(boundary="a", category="total")))
    assert np.isfinite(float(ds.net_sink.sel(boundary="a", category="total")))
    assert "10.removal" in ds.attrs["unranged_factors"]


def test_runs_unchanged_on_dask_distributed():
    distributed = pytest.importorskip("distributed")
    s, e = make_landcover_pair((61, 47), seed=5, chunks=(20, 30))
    b = make_boundaries(s, 2)
    ref = account_sinks(s, e, b, factors=_factors(), years=5)
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0"
    ):
        got = account_sinks(s, e, b, factors=_factors(), years=5)
    np.testing.assert_allclose(got.net_sink, ref.net_sink, rtol=1e-12)
