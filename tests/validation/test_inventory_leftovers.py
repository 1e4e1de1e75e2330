"""validate_inventory: silent leftovers (each test failed on the old code).

Unmatched boundary estimates, a sector or plant without a sigma in a summed inventory, net-sink
totals, ids with spaces, blank gases, unit columns, an empty selection of estimates and the
overall sigma of estimates without one.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from urbansat.errors import (
    EmptySelectionError,
    SchemaError,
    SuspectValueWarning,
    UnusedInputWarning,
)
from urbansat.validation import validate_inventory


def _estimates(**columns) -> pd.DataFrame:
    est = pd.DataFrame(
        {
            "boundary_id": ["1", "2"],
            "gas": "co2",
            "period": "2020",
            "emission_t_per_yr": [100.0, 200.0],
            "emission_t_per_yr_uncertainty": [10.0, 20.0],
        }
    )
    return est.assign(**columns)


def _inventory(**columns) -> pd.DataFrame:
    inv = pd.DataFrame(
        {
            "boundary_id": ["1", "2"],
            "sector": "energy",
            "period": "2020",
            "gas": "co2",
            "emission_t_per_yr": [90.0, 190.0],
            "emission_t_per_yr_uncertainty": [5.0, 5.0],
        }
    )
    return inv.assign(**columns)


def _two_sectors(**columns) -> pd.DataFrame:
    """Boundary 1 as two sectors (50 + 40 = 90 t yr-1)."""
    inv = pd.DataFrame(
        {
            "boundary_id": ["1", "1"],
            "sector": ["energy", "transport"],
            "period": "2020",
            "gas": "co2",
            "emission_t_per_yr": [50.0, 40.0],
            "emission_t_per_yr_uncertainty": [5.0, 3.0],
        }
    )
    return inv.assign(**columns)


def _plants(**columns) -> pd.DataFrame:
    """Plant A as two units 100 m apart (100 + 50 t yr-1), plant C far away."""
    inv = pd.DataFrame(
        {
            "inventory_id": ["A1", "A2", "C"],
            "longitude": [10.0, 10.001, 30.0],
            "latitude": [50.0, 50.0, 50.0],
            "gas": "co2",
            "emission_t_per_yr": [100.0, 50.0, 300.0],
            "emission_t_per_yr_uncertainty": [10.0, 5.0, 30.0],
        }
    )
    return inv.assign(**columns)


def _sources(**columns) -> pd.DataFrame:
    est = pd.DataFrame(
        {
            "source": ["a", "c"],
            "longitude": [10.0, 30.0],
            "latitude": [50.0, 50.0],
            "gas": "co2",
            "emission_t_per_yr": [140.0, 310.0],
            "emission_t_per_yr_uncertainty": [10.0, 20.0],
        }
    )
    return est.assign(**columns)


def _kept(est: pd.DataFrame, inv: pd.DataFrame, est0: pd.DataFrame, inv0: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(est, est0)  # nothing the user gave is modified
    pd.testing.assert_frame_equal(inv, inv0)


def _run(est: pd.DataFrame, inv: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """``validate_inventory`` without any warning; the inputs stay as given."""
    est0, inv0 = est.copy(), inv.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = validate_inventory(est, inv, **kwargs)
    _kept(est, inv, est0, inv0)
    return out


def _warned(
    est: pd.DataFrame, inv: pd.DataFrame, category: type[Warning], match: str, **kwargs
) -> pd.DataFrame:
    """``validate_inventory`` with one warning of ``category``; the inputs stay as given."""
    est0, inv0 = est.copy(), inv.copy()
    with pytest.warns(category, match=match) as record:
        out = validate_inventory(est, inv, **kwargs)
    assert len(record) == 1, [str(w.message) for w in record]
    _kept(est, inv, est0, inv0)
    return out


def _refused(
    est: pd.DataFrame, inv: pd.DataFrame, match: str, error: type[Exception] = SchemaError, **kw
) -> None:
    """``validate_inventory`` raises ``error`` matching ``match``; the inputs stay as given."""
    est0, inv0 = est.copy(), inv.copy()
    with pytest.raises(error, match=match):
        validate_inventory(est, inv, **kw)
    _kept(est, inv, est0, inv0)


# 1. a boundary estimate whose period the inventory lacks stayed unmatched without a word
def test_boundary_estimate_without_its_inventory_period_is_warned():
    est = _estimates(period=["2020", "2021"])
    out = _warned(
        est,
        _inventory(),
        UnusedInputWarning,
        r"1 of 2 estimate\(s\) found no inventory row .* left out of the comparison: '2' \(2021\): "
        r"the inventory holds '2' for periods \['2020'\]",
        key="boundary_id",
    )
    items = out[out.scope == "boundary"].set_index("key")
    assert items.loc["2", "n_matched"] == 0 and np.isnan(items.loc["2", "inventory"])
    assert out.iloc[-1]["n"] == 1


def test_boundary_id_of_another_case_is_warned():
    est = _estimates(boundary_id=["1", "Berlin"]).drop(columns="period")
    inv = _inventory(boundary_id=["1", "berlin"])
    _warned(
        est,
        inv,
        UnusedInputWarning,
        r"1 of 2 estimate\(s\) .*'Berlin' \(no period\): not in the inventory, which has "
        r"'berlin' \(ids are case-sensitive\)",
        key="boundary_id",
    )


def test_boundary_the_inventory_does_not_hold_is_reported_without_warning():
    # an inventory of one city against a job's several boundaries (the demo job): as a source
    # without a plant nearby, the row says n_matched 0 and the others are compared
    out = _run(_estimates(boundary_id=["1", "3"]), _inventory(), key="boundary_id")
    assert out.iloc[1]["key"] == "3" and out.iloc[1]["n_matched"] == 0
    assert out.iloc[-1]["n"] == 1


# ... and when nothing matched, the result was an overall row of n = 0
def test_boundary_estimates_of_which_none_matches_are_refused():
    _refused(
        _estimates(period="2021"),
        _inventory(),
        r"no estimate found an inventory row of its boundary, gas and period \('1' \(2021\): "
        r"the inventory holds '1' for periods \['2020'\].*nothing would be compared",
        key="boundary_id",
    )


# 2. a sector without a sigma was summed as 0: boundary sigma 5 instead of unknown
def test_a_sector_without_sigma_makes_the_boundary_sigma_unknown():
    est = _estimates().iloc[[0]]
    inv = _two_sectors(emission_t_per_yr_uncertainty=[5.0, np.nan])
    out = _warned(
        est,
        inv,
        SuspectValueWarning,
        r"1 item\(s\) sum inventory sectors of which only some have an "
        r"emission_t_per_yr_uncertainty, e.g. '1' \(2020\): \['transport'\] have none.*"
        r"Give a sigma for every sector or for none",
        key="boundary_id",
    )
    row = out.iloc[0]
    assert row["inventory"] == 90.0
    assert np.isnan(row["inventory_uncertainty"])  # was 5.0
    # as for an inventory without any sigma: the estimate's part only, u_E / I
    none = _run(est, inv.assign(emission_t_per_yr_uncertainty=np.nan), key="boundary_id")
    assert np.isnan(none.iloc[0]["inventory_uncertainty"])
    assert row["ratio_uncertainty"] == pytest.approx(10.0 / 90.0)
    assert none.iloc[0]["ratio_uncertainty"] == pytest.approx(10.0 / 90.0)
    # every sector with a sigma: summed in quadrature
    full = _run(est, inv.assign(emission_t_per_yr_uncertainty=[5.0, 3.0]), key="boundary_id")
    assert full.iloc[0]["inventory_uncertainty"] == pytest.approx(math.hypot(5.0, 3.0))


# ... and a plant unit without one (nansum); a catalogue without sigmas said 0 t yr-1
def test_a_plant_unit_without_sigma_makes_the_summed_sigma_unknown():
    est, inv = _sources(), _plants(emission_t_per_yr_uncertainty=[10.0, np.nan, 30.0])
    out = _warned(
        est,
        inv,
        SuspectValueWarning,
        r"1 item\(s\) sum inventory plants of which only some .* e.g. 'a': \['A2'\] have none",
    ).set_index("key")
    assert out.loc["a", "inventory"] == 150.0 and out.loc["a", "n_matched"] == 2
    assert np.isnan(out.loc["a", "inventory_uncertainty"])  # was 10.0
    assert out.loc["c", "inventory_uncertainty"] == 30.0
    blank = _run(est, _plants(emission_t_per_yr_uncertainty=np.nan)).set_index("key")
    assert np.isnan(blank.loc["a", "inventory_uncertainty"])  # was 0.0: "known exactly"
    assert blank.loc["a", "ratio_uncertainty"] == pytest.approx(10.0 / 150.0)


# 3. a net-sink (negative) total: within_2sigma NaN and out of the overall row, silently
def test_a_negative_boundary_total_is_compared_per_item_and_said_to_be_left_out():
    est = _estimates(emission_t_per_yr=[-20.0, 200.0])
    inv = pd.concat(
        [
            _two_sectors(sector=["energy", "afolu"], emission_t_per_yr=[50.0, -80.0]),
            _inventory().iloc[[1]],
        ],
        ignore_index=True,
    )
    out = _warned(
        est,
        inv,
        SuspectValueWarning,
        r"1 matched item\(s\) have a negative inventory total \(a net sink\), e.g. "
        r"\[\"'1': -30 t yr-1\"\].*left out of the overall row",
        key="boundary_id",
    )
    sink = out.iloc[0]
    assert sink["inventory"] == -30.0
    assert sink["ratio"] == pytest.approx(-20.0 / -30.0)
    # finite: sqrt((uE/I)^2 + (E uI / I^2)^2) with uI = hypot(5, 3)
    u_i = math.hypot(5.0, 3.0)
    assert sink["ratio_uncertainty"] == pytest.approx(math.hypot(10.0 / 30.0, 20.0 * u_i / 30.0**2))
    assert sink["within_2sigma"] == 1.0  # |-30 - -20| <= 2 * 10 (was NaN)
    overall = out.iloc[-1]
    assert overall["n"] == 1 and overall["inventory"] == 190.0


# probe: spaces around ids and periods matched nothing (" 1" is not "1")
@pytest.mark.parametrize(
    ("est", "inv"),
    [
        (_estimates(boundary_id=[" 1", "2 "]), _inventory()),
        (_estimates(), _inventory(boundary_id=["1 ", " 2"])),
        (_estimates(period=" 2020"), _inventory(period="2020 ")),
    ],
    ids=["estimate ids", "inventory ids", "periods"],
)
def test_spaces_around_ids_and_periods_are_dropped(est, inv):
    out = _run(est, inv, key="boundary_id")
    assert out.iloc[:2]["inventory"].tolist() == [90.0, 190.0]
    assert out.iloc[-1]["n"] == 2


# probe: "energy" and "Energy " were two sectors of one boundary, summed (50 + 40)
def test_one_sector_spelt_two_ways_is_a_repeated_row():
    _refused(
        _estimates().iloc[[0]],
        _two_sectors(sector=["energy", "Energy "]),
        r"inventory lists the same item more than once .*'sector': 'energy'",
        key="boundary_id",
    )


# probe: a blank gas was an AttributeError (whole column) or a row dropped without a word
@pytest.mark.parametrize(
    ("est", "inv", "match"),
    [
        (_estimates(gas=np.nan), _inventory(), r"estimates rows \[0, 1\] have a blank 'gas'"),
        (_estimates(gas=["co2", None]), _inventory(), r"estimates rows \[1\] have a blank 'gas'"),
        (_estimates(), _inventory(gas=["co2", np.nan]), r"inventory rows \[1\] have a blank 'gas'"),
    ],
    ids=["estimates all blank", "estimates one blank", "inventory one blank"],
)
def test_a_blank_gas_is_refused(est, inv, match):
    _refused(est, inv, match + r" \(\d row\(s\)\).*Give the gas of every row", key="boundary_id")


# probe: a boundary-sector row without boundary_id fell out of every total (90 was 40)
def test_a_sector_row_without_boundary_id_is_refused():
    _refused(
        _estimates().iloc[[0]],
        _two_sectors(boundary_id=["", "1"]),
        r"inventory rows \[0\] \(\[\{'sector': 'energy', 'period': '2020'\}\]\) have a blank "
        r"boundary_id and no position",
        key="boundary_id",
    )


# probe: a unit column was not read: 90 "Mt CO2/yr" compared as 90 t yr-1
@pytest.mark.parametrize(
    ("table", "unit", "hint"),
    [
        ("inventory", "Mt CO2/yr", r" \(1 Mt CO2/yr = 1e\+06 t yr-1\)"),
        ("estimates", "kt/yr", r" \(1 kt/yr = 1000 t yr-1\)"),
        ("inventory", "t CO2e/yr", r" \(emissions are of the gas itself, not CO2-equivalent\)"),
        ("inventory", "Mt", r" \(1 Mt = 1e\+06 t yr-1\)"),
        ("estimates", "kg/s", ""),
    ],
    ids=["Mt CO2/yr", "kt/yr", "t CO2e/yr", "Mt", "kg/s"],
)
def test_a_unit_column_that_is_not_t_per_yr_is_refused(table, unit, hint):
    est, inv = _estimates(), _inventory()
    if table == "inventory":
        inv = inv.assign(unit=unit)
    else:
        est = est.assign(units=unit)
    column = "unit" if table == "inventory" else "units"
    _refused(
        est,
        inv,
        rf"{table} column '{column}' says '{unit}' in row 0 \(2 row\(s\)\), but "
        rf"emission_t_per_yr is compared as t yr-1 of the gas.*t yr-1{hint}\. Convert",
        key="boundary_id",
    )


@pytest.mark.parametrize(
    "unit", ["t yr-1", "t/yr", "t CO2/yr", "tonnes per year", "t a-1", "t", "", "Unit 3"]
)
def test_a_unit_column_of_t_per_yr_passes(unit):
    """Spellings of t yr-1, a blank and a plant's generating unit (no rate) pass."""
    out = _run(_estimates(unit=unit), _inventory(unit=unit), key="boundary_id")
    assert out.iloc[-1]["n"] == 2


# probe: gas= that no estimate has (or no estimate at all) gave an overall row of n = 0
def test_no_estimate_of_the_gas_is_an_empty_selection():
    inv = pd.concat([_inventory(), _inventory(gas="ch4")], ignore_index=True)
    _refused(
        _estimates(),
        inv,
        r"estimates hold no rows for gas 'ch4' \(they have \['co2'\]\)",
        EmptySelectionError,
        key="boundary_id",
        gas="ch4",
    )
    _refused(
        _estimates().iloc[:0],
        inv,
        r"estimates hold no item to compare; pass the estimates",
        EmptySelectionError,
        key="boundary_id",
    )


# probe: the overall estimate sigma skipped an estimate without one (20 instead of unknown)
def test_overall_estimate_sigma_is_unknown_when_a_scored_estimate_has_none():
    out = _run(
        _estimates(emission_t_per_yr_uncertainty=[np.nan, 20.0]), _inventory(), key="boundary_id"
    )
    overall = out.iloc[-1]
    assert overall["n"] == 2 and overall["estimate"] == 300.0
    assert np.isnan(overall["estimate_uncertainty"])
    full = _run(_estimates(), _inventory(), key="boundary_id").iloc[-1]
    assert full["estimate_uncertainty"] == pytest.approx(math.hypot(10.0, 20.0))
