"""account_sinks and carbon_maps refuse arguments that were silently misread or crashed.

Before: ``pools=["c_above", "c_above"]`` doubled every stock (800 -> 1600 t C on the hand
pair); ``pools=[]`` was numpy's "need at least one array to stack"; ``years=True`` and
``area_uncertainty=True`` were read as 1 (one year, a 100 % area error); ``seed="x"`` was
numpy's TypeError; ``n_draws=10**12`` asked for 87 TiB (MemoryError).
"""

from __future__ import annotations

import pytest
import xarray as xr

import urbansat
from urbansat.errors import ConfigError, FactorError
from urbansat.sinks.account import MAX_DRAWS


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        ({"pools": ["c_above", "c_above"]}, FactorError, r"give each carbon pool once"),
        ({"pools": []}, FactorError, r"pools=\(\): .* at least one"),
        ({"pools": ["c_wood"]}, FactorError, r"unknown pool\(s\) \['c_wood'\]"),
        ({"years": True}, ConfigError, r"years=True must be a number of years"),
        ({"area_uncertainty": True}, ConfigError, r"area_uncertainty=True: a relative 1-sigma"),
        (
            {"uncertainty": "monte_carlo", "seed": "x"},
            ConfigError,
            r"seed='x' must be a whole number >= 0",
        ),
        ({"uncertainty": "monte_carlo", "seed": -1}, ConfigError, r"seed=-1 must be a whole"),
        (
            {"uncertainty": "monte_carlo", "n_draws": MAX_DRAWS + 1},
            ConfigError,
            r"n_draws=1000001 is more than 1,000,000 draws",
        ),
    ],
)
def test_account_sinks_refuses_with_the_fix(
    hand_pair, hand_boundaries, hand_factors, kw, error, match
):
    s, e = hand_pair
    before = (s.copy(deep=True), e.copy(deep=True), hand_boundaries.copy(), hand_factors.copy())
    with pytest.raises(error, match=match):
        urbansat.account_sinks(s, e, hand_boundaries, factors=hand_factors, **kw)
    xr.testing.assert_identical(s, before[0])
    xr.testing.assert_identical(e, before[1])
    assert hand_boundaries.equals(before[2]) and hand_factors.equals(before[3])


def test_one_pool_as_a_string_and_a_seed_of_none_are_accepted(
    hand_pair, hand_boundaries, hand_factors
):
    s, e = hand_pair
    one = urbansat.account_sinks(
        s, e, hand_boundaries, factors=hand_factors, pools="c_above", method="stock_difference"
    )
    listed = urbansat.account_sinks(
        s, e, hand_boundaries, factors=hand_factors, pools=["c_above"], method="stock_difference"
    )
    xr.testing.assert_identical(one["stock_start"], listed["stock_start"])
    # 8 forest ha x 100 t C/ha of above-ground carbon (conftest: the hand pair)
    assert float(one["stock_start"].sel(category="forest").squeeze()) == pytest.approx(800.0)
    r = urbansat.account_sinks(
        s, e, hand_boundaries, factors=hand_factors, uncertainty="monte_carlo", n_draws=50,
        seed=None,
    )  # fmt: skip
    # fresh draws: a finite Monte Carlo interval around the same (deterministic) net sink
    assert (r["net_sink_uncertainty"].sel(category="total") > 0).all()
    fixed = urbansat.account_sinks(s, e, hand_boundaries, factors=hand_factors)
    xr.testing.assert_allclose(r["net_sink"], fixed["net_sink"])


@pytest.mark.parametrize("pools", [["c_above", "c_above"], [], ["c_wood"]])
def test_carbon_maps_checks_pools_as_account_sinks(hand_pair, hand_factors, pools):
    # an unknown pool was a raw ValueError from list.index; a repeated one a duplicate layer
    s, e = hand_pair
    with pytest.raises(FactorError, match="pool"):
        urbansat.carbon_maps(s, e, factors=hand_factors, pools=pools)
