"""validate_inventory: the probe findings 7-13, 20 and 21 (each failed on the old code)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from urbansat.errors import SchemaError
from urbansat.validation import validate_inventory


def _boundary_estimates(**columns) -> pd.DataFrame:
    est = pd.DataFrame(
        {
            "boundary_id": ["1", "2"],
            "emission_t_per_yr": [100.0, 200.0],
            "emission_t_per_yr_uncertainty": [10.0, 20.0],
            "gas": "co2",
        }
    )
    return est.assign(**columns)


def _boundary_inventory(**columns) -> pd.DataFrame:
    inv = pd.DataFrame(
        {
            "boundary_id": ["1", "2"],
            "sector": ["energy", "energy"],
            "period": "2020",
            "gas": "co2",
            "emission_t_per_yr": [90.0, 190.0],
            "emission_t_per_yr_uncertainty": [5.0, 5.0],
        }
    )
    return inv.assign(**columns)


def _point_estimates(**columns) -> pd.DataFrame:
    est = pd.DataFrame(
        {
            "source": ["a", "b", "c"],
            "longitude": [10.0, 20.0, 30.0],
            "latitude": [50.0, 50.0, 50.0],
            "emission_t_per_yr": [110.0, 180.0, 330.0],
            "emission_t_per_yr_uncertainty": [10.0, 10.0, 10.0],
            "gas": "co2",
        }
    )
    return est.assign(**columns)


def _point_inventory(**columns) -> pd.DataFrame:
    inv = pd.DataFrame(
        {
            "inventory_id": ["A", "B", "C"],
            "longitude": [10.0, 20.0, 30.0],
            "latitude": [50.0, 50.0, 50.0],
            "emission_t_per_yr": [100.0, 200.0, 300.0],
            "emission_t_per_yr_uncertainty": [1.0, 1.0, 1.0],
            "gas": "co2",
        }
    )
    return inv.assign(**columns)


def _refused(est: pd.DataFrame, inv: pd.DataFrame, match: str, **kwargs) -> None:
    """``validate_inventory`` raises SchemaError matching ``match``; the inputs stay as given."""
    est0, inv0 = est.copy(), inv.copy()
    with pytest.raises(SchemaError, match=match):
        validate_inventory(est, inv, **kwargs)
    pd.testing.assert_frame_equal(est, est0)
    pd.testing.assert_frame_equal(inv, inv0)


def _run(est: pd.DataFrame, inv: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """``validate_inventory`` without any warning; the inputs stay as given."""
    est0, inv0 = est.copy(), inv.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = validate_inventory(est, inv, **kwargs)
    pd.testing.assert_frame_equal(est, est0)
    pd.testing.assert_frame_equal(inv, inv0)
    return out


# repro 7: a blank sector was summed as 0 (boundary 1 = 50 + <blank> = 50, ratio 2.0)
def test_blank_boundary_sector_emission_is_refused():
    est = _boundary_estimates().iloc[[0]]
    inv = pd.DataFrame(
        {
            "boundary_id": ["1", "1"],
            "sector": ["energy", "transport"],
            "period": "2020",
            "gas": "co2",
            "emission_t_per_yr": [50.0, np.nan],
            "emission_t_per_yr_uncertainty": [5.0, 5.0],
        }
    )
    _refused(
        est,
        inv,
        r"inventory rows \[1\] \(\[\{'boundary_id': '1', 'sector': 'transport', 'period': "
        r"'2020'\}\]\) have no emission_t_per_yr; give the value or drop the rows \(a blank is "
        r"not a zero",
        key="boundary_id",
    )


# repro 8: integer ids / periods were pandas' "merge on str and int64 columns" ValueError
@pytest.mark.parametrize(
    ("est", "inv"),
    [
        (_boundary_estimates(boundary_id=[1, 2]), _boundary_inventory(boundary_id=[1, 2])),
        (_boundary_estimates(period="2020"), _boundary_inventory(period=2020)),
        (_boundary_estimates(period=[2020, 2020]), _boundary_inventory(period="2020")),
    ],
    ids=["int boundary_id", "int inventory period", "int estimate period"],
)
def test_integer_ids_and_periods_are_compared_as_text(est, inv):
    out = _run(est, inv, key="boundary_id")
    items = out[out.scope == "boundary"]
    assert items["key"].tolist() == ["1", "2"]
    assert items["inventory"].tolist() == [90.0, 190.0]
    assert out.iloc[-1]["n"] == 2


# repro 9: inventory gas 'CO2' was selected, then matched nothing against 'co2' (n = 0)
def test_inventory_gas_case_does_not_unmatch_boundaries():
    out = _run(_boundary_estimates(), _boundary_inventory(gas="CO2"), key="boundary_id")
    assert out[out.scope == "boundary"]["inventory"].tolist() == [90.0, 190.0]
    assert out.iloc[-1]["n"] == 2
    assert out.iloc[-1]["inventory"] == 280.0
    assert (out["gas"] == "co2").all()


# repro 10: one True in an object column was an estimate of 1 t/yr
@pytest.mark.parametrize(
    ("table", "column", "match"),
    [
        (
            "estimates",
            "emission_t_per_yr",
            r"estimates column 'emission_t_per_yr' holds True/False \(True in row 0\); give",
        ),
        (
            "inventory",
            "emission_t_per_yr",
            r"inventory column 'emission_t_per_yr' holds True/False \(True in row 0\); give",
        ),
        (
            "inventory",
            "emission_t_per_yr_uncertainty",
            r"inventory column 'emission_t_per_yr_uncertainty' holds True/False \(True in row 0\)",
        ),
    ],
)
def test_true_in_an_object_column_is_refused(table, column, match):
    est, inv = _point_estimates(), _point_inventory()
    cell = pd.Series([True, 1.0, 2.0], dtype=object)
    if table == "estimates":
        est = est.assign(**{column: cell})
    else:
        inv = inv.assign(**{column: cell})
    _refused(est, inv, match)


# repro 11: infinities and a blank matched plant left the item out of the overall row silently
@pytest.mark.parametrize(
    ("est", "inv", "match"),
    [
        (
            _point_estimates(emission_t_per_yr=[np.inf, 180.0, 330.0]),
            _point_inventory(),
            r"estimates \['a'\] have an infinite emission_t_per_yr \(1 item\(s\)\); give a finite",
        ),
        (
            _point_estimates(emission_t_per_yr_uncertainty=[np.inf, 10.0, 10.0]),
            _point_inventory(),
            r"estimates \['a'\] have an infinite emission_t_per_yr_uncertainty",
        ),
        (
            _point_estimates(),
            _point_inventory(emission_t_per_yr=[np.inf, 200.0, 300.0]),
            (
                r"inventory rows \[0\] \(\[\{'inventory_id': 'A'\}\]\) have an infinite "
                r"emission_t_per_yr \[inf\] \(1 row\(s\)\): an emission is a finite number"
            ),
        ),
        (
            _point_estimates(),
            _point_inventory(emission_t_per_yr=[np.nan, 200.0, 300.0]),
            (
                r"inventory point source\(s\) \['A'\] matched by estimate 'a' have no "
                r"emission_t_per_yr; give the value or drop the rows \(a blank is not a zero"
            ),
        ),
        (
            _point_estimates(),
            _point_inventory(emission_t_per_yr_uncertainty=[np.inf, 1.0, 1.0]),
            r"inventory rows \[0\] .* have an infinite emission_t_per_yr_uncertainty \[inf\]",
        ),
        (
            _boundary_estimates(),
            _boundary_inventory(emission_t_per_yr=[np.inf, 190.0]),
            (
                r"inventory rows \[0\] \(\[\{'boundary_id': '1', 'sector': 'energy', 'period': "
                r"'2020'\}\]\) have an infinite emission_t_per_yr"
            ),
        ),
    ],
    ids=[
        "inf estimate",
        "inf estimate sigma",
        "inf plant",
        "blank matched plant",
        "inf plant sigma",
        "inf sector",
    ],
)
def test_infinite_or_blank_matched_values_are_refused(est, inv, match):
    key = "boundary_id" if "boundary_id" in est else "location"
    _refused(est, inv, match, key=key)


def test_blank_plant_that_no_estimate_matches_is_not_refused():
    inv = pd.concat(
        [
            _point_inventory(),
            _point_inventory()
            .iloc[[0]]
            .assign(inventory_id="far", longitude=100.0, emission_t_per_yr=np.nan),
        ],
        ignore_index=True,
    )
    out = _run(_point_estimates(), inv)
    assert out.iloc[-1]["n"] == 3


# repro 12: an estimate of 0 had ratio_uncertainty 0 * inf = NaN; by hand 10 / 100 = 0.1
def test_ratio_uncertainty_of_a_zero_estimate():
    est = _point_estimates(emission_t_per_yr=[0.0, 180.0, 330.0])
    inv = _point_inventory(emission_t_per_yr_uncertainty=[0.0, 20.0, 30.0])
    out = _run(est, inv).set_index("key")
    assert out.loc["a", "ratio"] == 0.0
    assert out.loc["a", "ratio_uncertainty"] == pytest.approx(0.1)
    # E != 0: the same value as |R| sqrt((uE/E)^2 + (uI/I)^2)
    r = 180.0 / 200.0
    assert out.loc["b", "ratio_uncertainty"] == pytest.approx(
        r * np.hypot(10.0 / 180.0, 20.0 / 200.0)
    )


# repro 13: a negative inventory sigma was used squared (-5 -> 5)
@pytest.mark.parametrize("key", ["location", "boundary_id"])
def test_negative_inventory_uncertainty_is_refused(key):
    if key == "location":
        est, inv = _point_estimates(), _point_inventory(emission_t_per_yr_uncertainty=[-5.0, 1, 1])
        named = r"\[\{'inventory_id': 'A'\}\]"
    else:
        est, inv = _boundary_estimates(), _boundary_inventory(emission_t_per_yr_uncertainty=[-5, 5])
        named = r"\[\{'boundary_id': '1', 'sector': 'energy', 'period': '2020'\}\]"
    _refused(
        est,
        inv,
        rf"inventory rows \[0\] \({named}\) have a negative emission_t_per_yr_uncertainty "
        r"\[-5.0\] \(1 row\(s\)\): a 1-sigma uncertainty is >= 0",
        key=key,
    )


# repro 20: an estimate without period was compared with 2019 AND 2020 (counted twice overall)
def test_estimate_without_period_against_several_inventory_periods():
    inv = pd.DataFrame(
        {
            "boundary_id": ["1", "1"],
            "sector": ["energy", "energy"],
            "period": ["2019", "2020"],
            "gas": "co2",
            "emission_t_per_yr": [90.0, 110.0],
            "emission_t_per_yr_uncertainty": [5.0, 5.0],
        }
    )
    est = _boundary_estimates().iloc[[0]]
    _refused(
        est,
        inv,
        r"estimates give no period, but the inventory holds boundary '1' \(co2\) for periods "
        r"\['2019', '2020'\].*Add a 'period' column to the estimates",
        key="boundary_id",
    )
    # with the period: one row, compared with that period only
    out = _run(est.assign(period="2020"), inv, key="boundary_id")
    assert len(out) == 2
    assert out.iloc[0]["inventory"] == 110.0
    assert out.iloc[-1]["estimate"] == 100.0
    assert out.iloc[-1]["n"] == 1


# repro 21: both periods of plant A were summed for a 2019 estimate (200 instead of 100)
def test_location_match_uses_the_period():
    est = _point_estimates().iloc[[0]].assign(period="2019", emission_t_per_yr=100.0)
    inv = pd.concat(
        [
            _point_inventory().iloc[[0]].assign(period="2018"),
            _point_inventory().iloc[[0]].assign(period="2019"),
        ],
        ignore_index=True,
    )
    out = _run(est, inv)  # no (misleading) "matched by more than one estimate" warning
    assert out.iloc[0]["inventory"] == 100.0
    assert out.iloc[0]["matched_ids"] == "A"
    assert out.iloc[0]["ratio"] == 1.0
    # without a period in the estimates, which year is meant is ambiguous: refused
    _refused(
        est.drop(columns="period"),
        inv,
        r"estimate 'a' \(period ''\) matches inventory plant\(s\) \['A'\] in several periods "
        r"\['2018', '2019'\].*Add a 'period' column to the estimates",
    )
    # periods the inventory does not hold at all: everything would be unmatched, silently
    _refused(
        est.assign(period="2021"),
        inv,
        r"estimates are for period\(s\) \['2021'\], but the inventory's point sources are for "
        r"\['2018', '2019'\]: matched on period, nothing would be compared",
    )


def test_two_estimates_of_one_plant_in_two_periods_are_not_a_shared_match():
    est = pd.concat(
        [
            _point_estimates().iloc[[0]].assign(period="2018"),
            _point_estimates().iloc[[0]].assign(period="2019"),
        ],
        ignore_index=True,
    )
    inv = pd.concat(
        [
            _point_inventory().iloc[[0]].assign(period="2018"),
            _point_inventory().iloc[[0]].assign(period="2019", emission_t_per_yr=120.0),
        ],
        ignore_index=True,
    )
    out = _run(est, inv)
    assert out["inventory"].tolist()[:2] == [100.0, 120.0]
    assert out.iloc[-1]["n"] == 2


def test_a_distance_beyond_half_the_globe_is_refused():
    # the chord 2 sin(d / 2R) turns back beyond pi R: 25,000 km matched less than 15,000 km
    with pytest.raises(SchemaError, match=r"max_distance_km=25000.0 is more than half the Earth"):
        validate_inventory(
            _point_estimates(), _point_inventory(), key="location", max_distance_km=25000.0
        )


def test_constant_values_give_no_correlation_and_no_numpy_warning():
    est = _point_estimates(emission_t_per_yr=[100.0, 100.0, 100.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "invalid value encountered in divide" before
        out = validate_inventory(est, _point_inventory(), key="location")
    overall = out[out["scope"] == "overall"].iloc[0]
    assert np.isnan(overall["correlation"]) and overall["n"] == 3


def test_an_inventory_of_zero_is_said_to_be_left_out():
    from urbansat.errors import SuspectValueWarning

    inv = _boundary_inventory(emission_t_per_yr=[0.0, 190.0])
    with pytest.warns(SuspectValueWarning, match=r"1 matched item\(s\) have an inventory of 0"):
        out = validate_inventory(_boundary_estimates(period="2020"), inv, key="boundary_id")
    assert out[out["scope"] == "overall"].iloc[0]["n"] == 1
