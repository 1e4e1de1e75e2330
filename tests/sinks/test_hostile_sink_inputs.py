"""Sink-accounting inputs that gave silent wrong results (probed 2026-12-07).

Each test fails on the code before its fix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import urbansat
from urbansat.errors import ConfigError
from urbansat.testing.landcover import make_boundaries, make_landcover_pair

KW = {"climate_zone": "subtropical_humid_asia", "unranged": "exclude"}


def test_swapped_epochs_are_refused_even_with_years():
    s, e = make_landcover_pair(shape_yx=(40, 40))  # year 2015 / 2020
    b = make_boundaries(s, 1)
    with pytest.raises(ConfigError, match="epochs are swapped"):
        urbansat.account_sinks(e, s, b, years=5, **KW)  # the sign of the sink flipped
    with pytest.raises(ConfigError, match="epochs are swapped"):
        urbansat.account_sinks(e, s, b, **KW)
    assert urbansat.account_sinks(s, e, b, years=5, **KW).attrs["epochs"] == "2015/2020"


def test_an_override_without_zone_replaces_the_factor_in_every_zone():
    from urbansat.sinks.factors import load_factor_table, resolve_factors
    from urbansat.sinks.legends import load_legend

    base = load_factor_table("ipcc2019")
    lg = load_legend("worldcover")
    zone = "tropical_rainforest_africa"
    assert resolve_factors(base, lg, [10], zone).value[0, 0] != 999.0
    mine = base.override(
        pd.DataFrame({"category": ["forest"], "parameter": ["c_above"], "value": [999.0]})
    )
    assert resolve_factors(mine, lg, [10], zone).value[0, 0] == 999.0  # was shadowed
    # other parameters and categories are kept
    before = resolve_factors(base, lg, [10, 30], zone).value
    after = resolve_factors(mine, lg, [10, 30], zone).value
    np.testing.assert_array_equal(after[1], before[1])


def test_an_override_naming_an_unknown_category_is_refused():
    from urbansat.errors import FactorError
    from urbansat.sinks.factors import load_factor_table

    base = load_factor_table("ipcc2019")
    for cat in ("forrest", "Forest"):
        with pytest.raises(FactorError, match=rf"categories \['{cat}'\]"):
            base.override(
                pd.DataFrame({"category": [cat], "parameter": ["c_above"], "value": [9.0]})
            )


def test_factor_units_other_than_t_c_per_ha_are_refused():
    from urbansat.errors import FactorError
    from urbansat.sinks.factors import factor_table_from_frame

    rows = {"category": ["forest", "forest"], "parameter": ["c_above", "removal"]}
    with pytest.raises(FactorError, match=r"'kg C m-2' \(needs 't C ha-1'\)"):
        factor_table_from_frame(
            pd.DataFrame({**rows, "value": [15.0, 1.2], "unit": ["kg C m-2", "t C ha-1 yr-1"]})
        )
    with pytest.raises(FactorError, match=r"'t CO2 ha-1 yr-1'"):
        factor_table_from_frame(
            pd.DataFrame({**rows, "value": [150.0, 1.2], "unit": ["t C ha-1", "t CO2 ha-1 yr-1"]})
        )
    ok = factor_table_from_frame(
        pd.DataFrame({**rows, "value": [150.0, 1.2], "unit": ["Mg C/ha", "t C ha-1 yr-1"]})
    )
    assert len(ok.data) == 2


def _uniform(transform, shape, code=10):
    from urbansat.testing.landcover import make_landcover

    a = np.full(shape, code, np.uint8)
    return (
        make_landcover(a, transform=transform, year=2015, nodata=None),
        make_landcover(a, transform=transform, year=2020, nodata=None),
    )


def test_a_hole_wound_like_its_shell_is_not_unobserved_area():
    """pyproj's signed area added such a hole: 22,748 ha 'unobserved' on a valid raster."""
    import geopandas as gpd
    import shapely
    from affine import Affine

    s, e = _uniform(Affine(0.01, 0, 113.0, 0, -0.01, 23.0), (50, 50))
    outer = shapely.box(113.05, 22.6, 113.35, 22.9).exterior.coords
    inner = shapely.box(113.1, 22.7, 113.2, 22.8).exterior.coords  # both rings CCW
    b = gpd.GeoDataFrame(
        {"boundary_id": ["h"]}, geometry=[shapely.Polygon(outer, [inner])], crs=4326
    )
    ds = urbansat.account_sinks(s, e, b, legend="worldcover", **KW)
    assert float(ds.unobserved_area.sel(boundary="h")) == pytest.approx(0.0, abs=1e-6)


def test_a_wide_raster_has_no_unobserved_area_from_geodesic_edges():
    """The implicit box of a 60 x 10 degree raster reported 10 % of it as unobserved."""
    from affine import Affine

    s, e = _uniform(Affine(0.1, 0, 70.0, 0, -0.1, 10.0), (100, 600))
    ds = urbansat.account_sinks(s, e, None, legend="worldcover", **KW)
    assert float(ds.unobserved_area.squeeze()) == pytest.approx(0.0, abs=1e-6)


def test_epochs_of_two_legends_are_refused_not_read_with_the_first():
    """WorldCover then CCI: code 10 (tree cover, then rainfed cropland) read as no change."""
    from urbansat.errors import LegendError
    from urbansat.testing.landcover import make_boundaries, make_landcover

    a = np.full((20, 20), 10, np.uint8)
    s = make_landcover(a, product="worldcover", year=2015)
    e = make_landcover(a, product="esa_cci_lc", year=2020)
    b = make_boundaries(s, 1)
    with pytest.raises(
        LegendError, match=r"start 'worldcover_v1', end 'esa_cci_lc_v1' \(10: forest vs cropland"
    ):
        urbansat.account_sinks(s, e, b, factors="ipcc2019", **KW)
    with pytest.raises(LegendError, match="different legends"):
        urbansat.carbon_maps(s, e, factors="ipcc2019", climate_zone=KW["climate_zone"])
    # an explicit legend is the user's statement that both are coded alike
    ds = urbansat.account_sinks(s, e, b, factors="ipcc2019", legend="worldcover", **KW)
    assert ds.attrs["legend"] == "worldcover_v1"


@pytest.mark.parametrize("years", [5.0, 20.0, 40.0, 100.0])
def test_the_soil_change_over_an_epoch_never_exceeds_the_stock_difference(years):
    """IPCC Eq. 2.25 spreads dSOC over D = 20 yr; dSOC / D over 100 yr was 5x the change."""
    from urbansat.sinks import account_transitions

    t = pd.DataFrame(
        {"boundary_id": ["b"], "class_start": [10], "class_end": [40], "area_m2": [100e4]}
    )
    bnd = pd.DataFrame({"boundary_id": ["b"], "name": ["b"], "level": ["county"]})
    ds = account_transitions(
        t, bnd, legend="worldcover", factors="ipcc2019", years=years, pools=("c_soil",), **KW
    )
    net = float(ds.net_sink.sel(boundary="b", category="total"))  # t CO2 yr-1
    d_soc = 100 * (31.2 - 65.0)  # t C: forest 65 -> cropland 31.2 t C ha-1 (IPCC 2019 table)
    over_epoch = net * years * 12 / 44  # cropland has no removal factor here
    assert over_epoch == pytest.approx(d_soc * min(years, 20.0) / 20.0, rel=1e-9)


@pytest.mark.parametrize("years", [1e-300, 0.01])
def test_an_interval_shorter_than_annual_maps_allow_is_refused(years):
    """years=1e-300 gave a net sink of -1.7e303 with an infinite sigma and status ok."""
    s, e = make_landcover_pair(shape_yx=(40, 40))
    with pytest.raises(ConfigError, match="annual maps"):
        urbansat.account_sinks(s, e, make_boundaries(s, 1), years=years, **KW)


def test_years_that_contradict_the_epochs_year_attributes_are_refused():
    # years=5 on maps of 2015 and 2021 divided six years of change by five, without a word
    s, e = make_landcover_pair(shape_yx=(20, 20))
    e = e.assign_attrs(year=2021)
    with pytest.raises(ConfigError, match=r"years=5 contradicts .*2015 -> 2021, 6 years"):
        urbansat.account_sinks(s, e, None, years=5, **KW)
    same = urbansat.account_sinks(s, e, None, years=6.0, **KW)
    default = urbansat.account_sinks(s, e, None, **KW)
    np.testing.assert_array_equal(same.net_sink.values, default.net_sink.values)


@pytest.mark.parametrize(("low", "high"), [(0.5, None), (None, 1.5)])
def test_a_factor_row_with_only_one_bound_is_refused(low, high):
    # it counted as "no range" and its uncertainty vanished from the interval
    from urbansat.errors import FactorError
    from urbansat.sinks.factors import factor_table_from_frame

    df = pd.DataFrame(
        {"category": ["forest"], "parameter": ["removal"], "value": [1.0], "low": [low]}
    ).assign(high=[high])
    with pytest.raises(FactorError, match=r"only one of low/high.*Give both bounds"):
        factor_table_from_frame(df)


def test_a_misspelt_category_in_a_user_table_is_refused_by_name():
    # "forrest" rows matched no class and the message said "forest.c_above: no default"
    from urbansat.errors import FactorError
    from urbansat.sinks.factors import factor_table_from_frame

    df = pd.DataFrame({"category": ["forrest"], "parameter": ["c_above"], "value": [100.0]})
    with pytest.raises(FactorError, match=r"names categories \['forrest'\] that are not"):
        factor_table_from_frame(df)


def test_a_user_table_is_named_once_and_says_what_it_lacks():
    from urbansat.errors import FactorError

    s, e = make_landcover_pair(shape_yx=(20, 20))
    df = pd.DataFrame({"category": ["forest"], "parameter": ["c_above"], "value": [100.0]})
    with pytest.raises(FactorError) as err:
        urbansat.account_sinks(s, e, None, factors=df, method="stock_difference")
    msg = str(err.value)
    assert msg.startswith("Factor table 'user' lacks factors")  # was 'user user'
    assert "10 (forest).c_below: the table has no row for this class code or its category" in msg
    assert "no default" not in msg
