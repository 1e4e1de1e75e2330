"""Validation against the REAL CoCO2 catalogue and a GPC-style city inventory fixture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from urbansat.errors import EmptySelectionError, InputFileError, SchemaError, SuspectValueWarning
from urbansat.ingest.inventory import read_inventory
from urbansat.validation import VALIDATION_COLUMNS, validate_inventory

FIXTURE = (
    Path(__file__).resolve().parents[2]
    / "data"
    / "samples"
    / "inventory"
    / "gpc_city_inventory_FIXTURE.csv"
)


@pytest.fixture(scope="module")
def coco2(project_samples):
    return read_inventory(project_samples / "inventory" / "coco2_ps_catalogue_v1.1.csv")


def _smartcarb_estimates(project_samples) -> xr.Dataset:
    """SMARTCARB simulated annual emissions of the power plants (no Berlin), as estimates."""
    s = pd.read_csv(project_samples / "smartcarb" / "sources-smartcarb.csv", comment="#")
    s = s[s.source != "Berlin"]
    t = s.annual_co2_emissions_in_MtCO2.to_numpy() * 1e6
    u = s.annual_co2_emissions_in_MtCO2_std.to_numpy() * 1e6
    return xr.Dataset(
        {
            "emission_t_per_yr": ("source", t, {"units": "t yr-1"}),
            "emission_t_per_yr_uncertainty": ("source", u, {"units": "t yr-1"}),
            "qa_reason": ("source", np.full(len(t), "")),
        },
        coords={
            "source": s.source.to_numpy(),
            "longitude": ("source", s.longitude.to_numpy()),
            "latitude": ("source", s.latitude.to_numpy()),
        },
        attrs={"gas": "co2"},
    )


def test_read_coco2(coco2):
    co2 = coco2[coco2.gas == "co2"]
    assert len(co2) == 16461
    assert co2.emission_t_per_yr.min() >= 0
    assert set(coco2.gas) == {"co2", "ch4"}


def test_match_real_plants_by_location(coco2, project_samples):
    res = validate_inventory(
        _smartcarb_estimates(project_samples), coco2, key="location", max_distance_km=2.0
    )
    assert list(res.columns) == list(VALIDATION_COLUMNS)
    r = res.set_index("key")
    # Boxberg: CoCO2_14983 at 0.56 km, 19.1 Mt/yr in 2018 (read from the catalogue)
    assert r.loc["Boxberg", "matched_ids"] == "CoCO2_14983"
    assert r.loc["Boxberg", "inventory"] == pytest.approx(19.1e6, rel=0.01)
    assert r.loc["Janschwalde", "matched_ids"] == "CoCO2_14972"
    # Melnik has two units within 2 km: summed
    assert r.loc["Melnik", "n_matched"] == 2
    ov = r.loc["overall"]
    assert ov["n"] == 15
    d = res[res.scope == "source"]
    assert ov["rmse"] == pytest.approx(np.sqrt(np.mean(d.difference**2)))
    assert ov["difference"] == pytest.approx(d.difference.mean())
    # the simulation's 2015 plants and the 2018 catalogue agree in rank
    assert ov["correlation"] > 0.8
    assert 0.0 < ov["within_2sigma"] <= 1.0
    bx = r.loc["Boxberg"]
    assert bx["within_2sigma"] == (
        abs(bx["inventory"] - bx["estimate"]) <= 2 * bx["estimate_uncertainty"]
    )


def test_no_match_is_reported_not_scored(coco2, project_samples):
    est = _smartcarb_estimates(project_samples).isel(source=[0])
    est = est.assign_coords(longitude=("source", [0.0]), latitude=("source", [-60.0]))
    res = validate_inventory(est, coco2, max_distance_km=2.0)
    assert res.iloc[0]["n_matched"] == 0 and np.isnan(res.iloc[0]["inventory"])
    assert res.iloc[-1]["n"] == 0


def test_city_inventory_fixture_by_boundary():
    inv = read_inventory(FIXTURE)
    assert set(inv.sector) <= {"stationary_energy", "transport", "waste", "ippu", "afolu"}
    total = inv[(inv.boundary_id == "berlin") & (inv.gas == "co2")].emission_t_per_yr.sum()
    est = pd.DataFrame(
        {
            "boundary_id": ["berlin"],
            "gas": ["co2"],
            "emission_t_per_yr": [total * 1.1],
            "emission_t_per_yr_uncertainty": [total * 0.2],
        }
    )
    res = validate_inventory(est, inv, key="boundary_id")
    row = res.iloc[0]
    assert row["ratio"] == pytest.approx(1.1)
    assert row["relative_difference"] == pytest.approx(0.1)
    assert bool(row["within_2sigma"]) is True
    assert row["n_matched"] == 5


def test_bad_inventory(tmp_path):
    p = tmp_path / "inv.csv"
    p.write_text("boundary_id,sector,gas,period,emission_t_per_yr\nx,fishing,co3,2020,-1\n")
    with pytest.raises(SchemaError) as err:
        read_inventory(p)
    msg = str(err.value)
    assert "fishing" in msg and "co3" in msg and "data rows [1]" in msg
    with pytest.raises(InputFileError, match="does not exist"):
        read_inventory(tmp_path / "none.csv")
    good = tmp_path / "g.csv"
    good.write_text("boundary_id,sector,gas,period,emission_t_per_yr\nx,waste,co2,2020,1\n")
    est = pd.DataFrame(
        {
            "boundary_id": ["x"],
            "gas": ["ch4"],
            "emission_t_per_yr": [1.0],
            "emission_t_per_yr_uncertainty": [0.1],
        }
    )
    with pytest.raises(EmptySelectionError, match="no rows for gas 'ch4'"):
        validate_inventory(est, read_inventory(good), key="boundary_id")


def test_scatter_plot(coco2, project_samples):
    from urbansat.plot.validation import plot_validation

    res = validate_inventory(_smartcarb_estimates(project_samples), coco2, max_distance_km=2.0)
    ax = plot_validation(res)
    assert len(ax.lines) >= 1 and ax.get_xlabel().startswith("inventory")


def test_validate_is_a_deprecated_alias_of_validate_inventory():
    """``validate`` (the name before issue 20) still works and says what replaces it."""
    import urbansat
    from urbansat.errors import UrbansatDeprecationWarning

    est = pd.DataFrame(
        {
            "key": ["a"],
            "emission_t_per_yr": [1.0e6],
            "emission_t_per_yr_uncertainty": [1.0e5],
            "longitude": [14.45],
            "latitude": [51.84],
        }
    )
    inv = pd.DataFrame(
        {
            "inventory_id": ["i"],
            "gas": ["co2"],
            "emission_t_per_yr": [1.1e6],
            "emission_t_per_yr_uncertainty": [0.0],
            "longitude": [14.45],
            "latitude": [51.84],
        }
    )
    with pytest.warns(UrbansatDeprecationWarning, match="use urbansat.validate_inventory"):
        old = urbansat.validate(est, inv, gas="co2")
    pd.testing.assert_frame_equal(old, urbansat.validate_inventory(est, inv, gas="co2"))


def _point_inventory() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "inventory_id": ["a", "b"],
            "boundary_id": ["", ""],
            "sector": ["", ""],
            "gas": ["co2", "co2"],
            "period": ["2020", "2020"],
            "longitude": [10.0, 20.0],
            "latitude": [50.0, 50.0],
            "emission_t_per_yr": [1e6, 2e6],
            "emission_t_per_yr_uncertainty": [np.nan, np.nan],
            "source": ["fixture", "fixture"],
        }
    )


def _point_estimates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": ["p1", "p2"],
            "gas": ["co2", "co2"],
            "longitude": [10.01, 20.0],
            "latitude": [50.0, 50.0],
            "emission_t_per_yr": [1.1e6, 1.8e6],
            "emission_t_per_yr_uncertainty": [1e5, 2e5],
        }
    )


def test_hand_pair_overall_row():
    res = validate_inventory(_point_estimates(), _point_inventory())
    overall = res.iloc[-1]
    assert overall.estimate == pytest.approx(2.9e6)
    assert overall.inventory == pytest.approx(3.0e6)
    assert overall.n == 2
    assert overall.within_2sigma == 1.0


def _with(df: pd.DataFrame, **columns) -> pd.DataFrame:
    return df.assign(**columns)


@pytest.mark.parametrize(
    ("estimates", "inventory", "kwargs", "match"),
    [
        # True was a radius of 1 km; "5" was numpy's TypeError from isfinite
        (None, None, {"max_distance_km": True}, r"max_distance_km=True must be a positive"),
        (None, None, {"max_distance_km": "5"}, r"max_distance_km='5' must be a positive"),
        # gas=5 was an AttributeError ('int' object has no attribute 'lower')
        (None, None, {"gas": 5}, r"gas=5 must be a gas name"),
        # the same source twice: its inventory counted twice in the overall totals
        ("dup", None, {}, r"estimates lists the same item more than once.*'p1'"),
        # a negative sigma made 'within 2 sigma' a miss
        (
            {"emission_t_per_yr_uncertainty": [-1e5, 2e5]},
            None,
            {},
            r"\['p1'\] have a negative emission_t_per_yr_uncertainty",
        ),
        # text was pandas' ValueError "could not convert string to float"
        (
            {"emission_t_per_yr": ["1.1e6", "x"]},
            None,
            {},
            r"estimates column 'emission_t_per_yr' holds 'x' in row 1",
        ),
        (
            None,
            {"emission_t_per_yr": ["1e6", "x"]},
            {},
            r"inventory column 'emission_t_per_yr' holds 'x' in row 1",
        ),
        (
            {"emission_t_per_yr": [True, False]},
            None,
            {},
            r"estimates column 'emission_t_per_yr' holds True/False",
        ),
        # positions outside the globe matched nothing, silently (NaN was cKDTree's ValueError)
        (
            {"latitude": [95.0, 50.0]},
            None,
            {},
            r"estimates item 'p1' has longitude 10.01, latitude 95",
        ),
        ({"longitude": [400.0, 20.0]}, None, {}, r"estimates item 'p1' has longitude 400"),
        ({"longitude": [np.nan, 20.0]}, None, {}, r"estimates item 'p1' has longitude nan"),
        (None, {"latitude": [95.0, 50.0]}, {}, r"inventory item 'a' has longitude 10, latitude 95"),
        # a negative plant emission was dropped from the comparison without a word
        (
            None,
            {"emission_t_per_yr": [-1e6, 2e6]},
            {},
            r"point source\(s\) \['a'\] have a negative",
        ),
        # a plant listed twice counted twice (inventory total 4e6 instead of 3e6)
        (None, "dup", {}, r"inventory lists the same item more than once.*'a'"),
    ],
)
def test_malformed_validation_inputs_refused(estimates, inventory, kwargs, match):
    est, inv = _point_estimates(), _point_inventory()
    if estimates == "dup":
        est = pd.concat([est, est.iloc[[0]]], ignore_index=True)
    elif estimates is not None:
        est = _with(est, **estimates)
    if inventory == "dup":
        inv = pd.concat([inv, inv.iloc[[0]]], ignore_index=True)
    elif inventory is not None:
        inv = _with(inv, **inventory)
    est_before, inv_before = est.copy(), inv.copy()
    with pytest.raises(SchemaError, match=match):
        validate_inventory(est, inv, **kwargs)
    pd.testing.assert_frame_equal(est, est_before)  # nothing the user gave is modified
    pd.testing.assert_frame_equal(inv, inv_before)


def test_one_plant_matched_by_two_estimates_is_warned():
    est = pd.concat(
        [_point_estimates(), _point_estimates().iloc[[0]].assign(source="p3")], ignore_index=True
    )
    with pytest.warns(SuspectValueWarning, match=r"\{'a': \['p1', 'p3'\]\} are matched by more"):
        res = validate_inventory(est, _point_inventory())
    assert res.iloc[-1].inventory == pytest.approx(4.0e6)  # counted once per estimate, as said


def test_missing_sigma_is_not_scored_as_a_miss():
    est = _with(_point_estimates(), emission_t_per_yr_uncertainty=[np.nan, 2e5])
    res = validate_inventory(est, _point_inventory())
    assert np.isnan(res.within_2sigma.iloc[0])
    assert res.within_2sigma.iloc[1] == 1.0
    assert res.iloc[-1].within_2sigma == 1.0  # the fraction over items with a sigma (was 0.5)
