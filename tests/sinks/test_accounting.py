"""Accounting on hand-computable inputs: both methods, signs, units, attribution."""

from __future__ import annotations

import numpy as np
import pytest

from urbansat.categories import SINK_CATEGORIES
from urbansat.constants import C_TO_CO2
from urbansat.errors import ConfigError
from urbansat.sinks import account_sinks

K = 44.0 / 12.0


def test_c_to_co2_is_44_over_12():
    assert pytest.approx(3.6666667, rel=1e-7) == C_TO_CO2


def test_stock_difference_hand_4x4(hand_pair, hand_boundaries, hand_factors):
    s, e = hand_pair
    ds = account_sinks(
        s, e, hand_boundaries, factors=hand_factors, method="stock_difference", years=5
    )
    tot = ds.sel(boundary="all", category="total")
    # pools: forest 175, cropland 42, built-up 0 t C/ha; 1 ha pixels
    assert float(tot.area_start) == pytest.approx(16.0, rel=1e-9)
    assert float(tot.stock_start) == pytest.approx(8 * 175 + 6 * 42, rel=1e-9)
    assert float(tot.stock_end) == pytest.approx(8 * 175 + 4 * 42, rel=1e-9)
    assert float(tot.net_sink) == pytest.approx(-84 * K / 5, rel=1e-9)
    assert float(tot.gross_removals) == pytest.approx(2 * (175 - 42) * K / 5, rel=1e-9)
    assert float(tot.gross_emissions) == pytest.approx(2 * 175 * K / 5, rel=1e-9)
    forest = ds.sel(boundary="all", category="forest")
    # forest -> built-up counts under forest (end class not a sink); cropland -> forest under forest
    assert float(forest.net_sink) == pytest.approx(float(tot.net_sink), rel=1e-12)
    assert float(ds.net_sink.sel(boundary="all", category="cropland")) == 0.0
    assert float(forest.area_start) == pytest.approx(8) and float(forest.area_end) == pytest.approx(
        8
    )
    assert float(ds.area_change.sel(boundary="all", category="cropland")) == pytest.approx(-2)
    tm = ds.transition_area.sel(boundary="all")
    assert float(tm.sel(class_start=10, class_end=50)) == pytest.approx(2)
    assert float(tm.sel(class_start=40, class_end=10)) == pytest.approx(2)
    assert float(tm.sum()) == pytest.approx(16)


def test_gain_loss_hand_4x4(hand_pair, hand_boundaries, hand_factors):
    s, e = hand_pair
    ds = account_sinks(s, e, hand_boundaries, factors=hand_factors, method="gain_loss", years=5)
    tot = ds.sel(boundary="all", category="total")
    growth = 8 * 2  # forest at end (6 remaining + 2 converted) x 2 t C/ha/yr
    conv = 2 * (0 - 125) / 5 + 2 * (0 - 12) / 5  # biomass lost; new forest starts at 0
    soil = 2 * (0 - 50) / 20 + 2 * (50 - 30) / 20
    assert float(tot.net_sink) == pytest.approx((growth + conv + soil) * K, rel=1e-9)
    assert float(tot.gross_removals) == pytest.approx((16 + 2) * K, rel=1e-9)
    assert float(tot.gross_emissions) == pytest.approx((50 + 4.8 + 5) * K, rel=1e-9)


@pytest.mark.parametrize("method", ["gain_loss", "stock_difference"])
def test_contract_shapes_signs_units(hand_pair, hand_boundaries, hand_factors, method):
    s, e = hand_pair
    ds = account_sinks(s, e, hand_boundaries, factors=hand_factors, method=method, years=5)
    assert list(ds.category.values) == [*SINK_CATEGORIES, "total"]
    for v in ("area_start", "area_end", "area_change", "transition_area", "unobserved_area"):
        assert ds[v].attrs["units"] == "ha"
    for v in ("stock_start", "stock_end"):
        assert ds[v].attrs["units"] == "t C"
    for v in (
        "net_sink",
        "net_sink_low",
        "net_sink_high",
        "net_sink_uncertainty",
        "gross_removals",
        "gross_emissions",
    ):
        assert ds[v].attrs["units"] == "t CO2 yr-1"
    assert (ds.gross_removals >= 0).all() and (ds.gross_emissions >= 0).all()
    np.testing.assert_allclose(
        ds.net_sink, ds.gross_removals - ds.gross_emissions, rtol=1e-12, atol=1e-9
    )
    assert not ds.net_sink.isnull().any()
    assert (ds.net_sink_low <= ds.net_sink).all() and (ds.net_sink <= ds.net_sink_high).all()
    assert ds.status.sel(category="shrub").item() == "no_area"
    assert ds.status.sel(category="other_projects").item() == "no_project_polygons"
    assert ds.net_sink.sel(category="shrub").item() == 0.0
    assert (
        "net_sink > 0 is a net removal" in ds.attrs["sign_convention"]
        and ds.attrs["method"] == method
    )
    assert ds.attrs["years"] == 5 and ds.attrs["epochs"] == "2015/2020"
    # categories + rows between non-sink classes add up to total
    cats = ds.net_sink.sel(category=list(SINK_CATEGORIES)).sum("category")
    np.testing.assert_allclose(cats, ds.net_sink.sel(category="total"), rtol=1e-12)


def test_stock_difference_is_invest_formula(hand_pair, hand_boundaries, hand_factors):
    """InVEST carbon: stock = sum_pixels sum_pools c * pixel_ha; sequestration = end - start."""
    s, e = hand_pair
    pools = {10: 175.0, 40: 42.0, 50: 0.0}
    lut = np.zeros(256)
    for k, v in pools.items():
        lut[k] = v
    pix_ha = 1.0
    inv_start = (lut[s.values] * pix_ha).sum()
    inv_end = (lut[e.values] * pix_ha).sum()
    ds = account_sinks(s, e, hand_boundaries, factors=hand_factors, method="stock_difference")
    tot = ds.sel(boundary="all", category="total")
    assert float(tot.stock_start) == pytest.approx(inv_start, rel=1e-12)
    assert float(tot.stock_end) == pytest.approx(inv_end, rel=1e-12)
    years = 2020 - 2015  # the epochs' year attributes
    assert float(tot.net_sink) * years / K == pytest.approx(inv_end - inv_start, rel=1e-12)
    with pytest.raises(ConfigError, match=r"years=1 contradicts the epochs' year attributes"):
        account_sinks(s, e, hand_boundaries, factors=hand_factors, years=1)


def test_projects_add_their_category(hand_pair, hand_boundaries, hand_factors):
    import geopandas as gpd
    import shapely

    s, e = hand_pair
    x0, y0, _x1, _y1 = s.rio.bounds()
    proj = gpd.GeoDataFrame(
        {
            "category": ["soil_water_conservation"],
            "removal": [1.0],
            "removal_low": [0.5],
            "removal_high": [1.5],
        },
        geometry=[shapely.box(x0, y0, x0 + 200, y0 + 100)],
        crs=s.rio.crs,
    )
    ds = account_sinks(s, e, hand_boundaries, factors=hand_factors, years=5, projects=proj)
    swc = ds.sel(boundary="all", category="soil_water_conservation")
    assert swc.status.item() == "ok"
    # 2 ha (EPSG:3035 is equal-area; geodesic area within 0.1 %)
    assert float(swc.net_sink) == pytest.approx(2.0 * 1.0 * K, rel=1e-3)
    assert ds.status.sel(category="other_projects").item() == "no_area"


# checks the central values; the unranged-factor warning is tested in test_unranged.py
@pytest.mark.filterwarnings("ignore:Factors without a range in their table:UserWarning")
def test_blue_carbon_soil_accumulation_ws_table_4_12():
    """Mangrove remaining mangrove: biomass growth (WS 4.4 x (1+R) x CF) + soil 1.62 t C/ha/yr."""
    import pandas as pd

    from urbansat.sinks import account_transitions

    t = pd.DataFrame(
        {
            "boundary_id": ["x", "x"],
            "class_start": [95, 80],
            "class_end": [95, 80],
            "area_m2": [3e4, 1e4],
        }
    )
    ds = account_transitions(
        t,
        pd.DataFrame({"boundary_id": ["x"]}),
        legend="worldcover",
        factors="ipcc2019",
        climate_zone="tropical_rainforest_africa",
        years=1,
    )
    m = ds.sel(boundary="x", category="mangrove")
    growth = 9.9 * (1 + 0.49) * 0.451
    assert float(m.net_sink) == pytest.approx(
        3 * (growth + 1.62) * K, rel=1e-5
    )  # table keeps 6 digits
    assert float(m.gross_emissions) == 0.0
    # Approach 1: growth has no range in the source (NaN interval); soil accumulation alone is
    # ranged
    assert "95.removal" in ds.attrs["unranged_factors"]


def test_inputs_not_modified(hand_pair, hand_boundaries, hand_factors):
    s, e = hand_pair
    s0, e0, b0, f0 = (
        s.copy(deep=True),
        e.copy(deep=True),
        hand_boundaries.copy(),
        hand_factors.copy(),
    )
    account_sinks(s, e, hand_boundaries, factors=hand_factors, years=5)
    assert s.identical(s0) and e.identical(e0)
    assert hand_boundaries.equals(b0) and hand_factors.equals(f0)


# checks the central values; the unranged-factor warning is tested in test_unranged.py
@pytest.mark.filterwarnings("ignore:Factors without a range in their table:UserWarning")
def test_gain_loss_class_change_within_category_is_not_a_conversion():
    """CCI 50 -> 60 (both forest): forest remaining forest, growth only, no clearing emission."""
    import pandas as pd

    from urbansat.sinks import account_transitions

    f = pd.DataFrame(
        {
            "category": ["forest"] * 5 + ["cropland"] * 5,
            "parameter": ["c_above", "c_below", "c_soil", "c_dead", "removal"] * 2,
            "value": [100, 20, 50, 5, 2, 10, 2, 30, 0, 0],
        }
    )
    t = pd.DataFrame(
        {"boundary_id": "x", "class_start": [50, 10], "class_end": [60, 60], "area_m2": [1e4, 1e4]}
    )
    ds = account_transitions(
        t, pd.DataFrame({"boundary_id": ["x"]}), legend="esa_cci_lc", factors=f, years=4
    )
    tot = ds.sel(boundary="x", category="total")
    # row 1: forest remaining: 1 ha x 2;
    # row 2: cropland -> forest: growth 2, biomass -12/4, soil +20/20
    assert float(tot.net_sink) == pytest.approx((2 + 2 - 12 / 4 + 20 / 20) * K, rel=1e-12)
    assert float(tot.gross_emissions) == pytest.approx(3 * K, rel=1e-12)
