"""The packaged ipcc2019 table gives every land-cover sink category a default (issue 5).

``account_sinks(..., factors="ipcc2019", climate_zone=<zone>)`` must produce, for every shipped
zone, both methods and both uncertainty modes with the default pools, a finite net sink, stock
and gross terms for all nine land-cover sink categories, and a finite 95 % interval wherever the
factors it uses carry a range. The factors that still have no range in their source are listed
here (``KNOWN_UNRANGED``); a new gap fails the tests. Plausibility tests pin each added factor to
its source arithmetic, units and sign.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from urbansat.categories import LANDCOVER_SINK_CATEGORIES
from urbansat.constants import C_TO_CO2
from urbansat.errors import FactorError
from urbansat.sinks import account_sinks, account_transitions
from urbansat.sinks.factors import POOLS, factor_table_from_frame, load_factor_table
from urbansat.testing.landcover import make_boundaries, make_landcover

ZONES = load_factor_table("ipcc2019").zones
TERRESTRIAL = ("forest", "shrub", "grassland", "wetland", "sandy_land", "cropland")
BLUE = ("mangrove", "salt_marsh", "seagrass")
#: user legend: one code per land-cover sink category, then the non-sink classes
LEGEND = {i + 1: c for i, c in enumerate(LANDCOVER_SINK_CATEGORIES)}
LEGEND.update({20: "built_up", 21: "water", 22: "bare", 23: "snow_ice"})
CODE = {c: k for k, c in LEGEND.items()}
#: (category, parameter) without a range in the source (mangrove: WS Tables 4.3-4.5 and 4.7 as
#: transcribed carry none; tidal marsh / seagrass soil: WS Table 4.11 as transcribed carries none)
KNOWN_UNRANGED = {("mangrove", p) for p in ("c_above", "c_below", "c_dead", "removal")} | {
    ("salt_marsh", "c_soil"), ("seagrass", "c_soil")}
#: IPCC CF of forest biomass (2006 Table 4.3) used by the generator
CF = 0.47


def _pair(pairs):
    """Start/end rasters on 1-ha pixels with one pixel per (start, end) category pair."""
    n = len(pairs)
    side = int(np.ceil(np.sqrt(n)))
    s = np.full(side * side, CODE["built_up"], np.uint8)
    e = s.copy()
    s[:n] = [CODE[a] for a, _ in pairs]
    e[:n] = [CODE[b] for _, b in pairs]
    tr = Affine(100.0, 0, 4_000_000.0, 0, -100.0, 3_000_000.0)
    start = make_landcover(s.reshape(side, side), crs="EPSG:3035", transform=tr, year=2015)
    end = make_landcover(e.reshape(side, side), crs="EPSG:3035", transform=tr, year=2020)
    return start, end


#: every category remains (3 ha each); every terrestrial category converts to every other one,
#: to built-up, and from bare / water (conversions counted under terrestrial categories only)
REMAIN_AND_CONVERT = ([(c, c) for c in LANDCOVER_SINK_CATEGORIES] * 3
                      + [(a, b) for a in TERRESTRIAL for b in TERRESTRIAL if a != b]
                      + [(a, "built_up") for a in TERRESTRIAL]
                      + [("bare", "shrub"), ("bare", "grassland"), ("water", "wetland"),
                         ("bare", "sandy_land")])


def _account(pairs, zone, method, uncertainty):
    s, e = _pair(pairs)
    b = make_boundaries(s, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the known unranged factors are warned about
        ds = account_sinks(s, e, b, legend=LEGEND, factors="ipcc2019", climate_zone=zone,
                           method=method, uncertainty=uncertainty, n_draws=400, seed=1)
    unranged = {(LEGEND[int(c)], p) for c, p in
                (x.split(".") for x in json.loads(ds.attrs["unranged_factors"]))}
    return ds.isel(boundary=0), unranged


@pytest.mark.parametrize("uncertainty", ["approach1", "monte_carlo"])
@pytest.mark.parametrize("method", ["gain_loss", "stock_difference"])
@pytest.mark.parametrize("zone", ZONES)
def test_every_category_has_values_and_intervals(zone, method, uncertainty):
    d, unranged = _account(REMAIN_AND_CONVERT, zone, method, uncertainty)
    new_gaps = sorted(unranged - KNOWN_UNRANGED)
    assert not new_gaps, f"new factor without a range: {new_gaps}"
    for c in LANDCOVER_SINK_CATEGORIES:
        x = d.sel(category=c)
        assert str(x.status.values) == "ok" and float(x.area_end) > 0, c
        for v in ("net_sink", "gross_removals", "gross_emissions", "stock_start", "stock_end"):
            assert np.isfinite(float(x[v])), (c, v)
        gross = float(x.gross_removals - x.gross_emissions)
        assert float(x.net_sink) == pytest.approx(gross, abs=1e-9)
        uses_unranged = method == "gain_loss" and c == "mangrove"  # mangrove growth has no range
        if uses_unranged:
            assert np.isnan(float(x.net_sink_low)), c
        else:
            lo, hi = float(x.net_sink_low), float(x.net_sink_high)
            assert np.isfinite(lo) and np.isfinite(hi), c
            assert lo - 1e-6 <= float(x.net_sink) <= hi + 1e-6, c
    # only the mangrove growth is unranged among the factors used here, and only in gain-loss
    assert unranged == ({("mangrove", "removal")} if method == "gain_loss" else set())
    if method == "stock_difference":
        assert np.isfinite(float(d.sel(category="total").net_sink_low))


@pytest.mark.parametrize("method", ["gain_loss", "stock_difference"])
@pytest.mark.parametrize("zone", ZONES)
def test_conversions_into_blue_carbon_are_accounted(zone, method):
    """Land converted to mangrove / tidal marsh / seagrass has finite values; the only undefined
    intervals come from the documented gaps."""
    pairs = [(a, b) for a in (*TERRESTRIAL, "bare", "water") for b in BLUE]
    pairs += [(b, "water") for b in BLUE]
    d, unranged = _account(pairs, zone, method, "approach1")
    assert unranged <= KNOWN_UNRANGED
    for c in BLUE:
        assert np.isfinite(float(d.sel(category=c).net_sink)), c
        assert np.isfinite(float(d.sel(category=c).stock_end)), c


def test_previously_missing_defaults_resolve_in_every_zone():
    """Every (zone, land-cover sink category, pool or removal) has one row with a finite value."""
    t = load_factor_table("ipcc2019")
    assert t.label == "ipcc2019 v2"
    d = t.data
    for z in ZONES:
        for c in LANDCOVER_SINK_CATEGORIES:
            for p in (*POOLS, "removal"):
                rows = d[(d.category == c) & (d.parameter == p) & d.climate_zone.isin([z, "*"])]
                assert len(rows) == 1 and np.isfinite(rows["value"].iloc[0]), (z, c, p)
                has_range = rows[["low", "high"]].notna().all(axis=1).iloc[0]
                assert has_range or (c, p) in KNOWN_UNRANGED, (z, c, p)


def test_units_tags_and_provenance_of_added_rows():
    v1 = load_factor_table("ipcc2019_v1").data
    v2 = load_factor_table("ipcc2019").data
    key = ["category", "climate_zone", "parameter"]
    added = v2.merge(v1[key], on=key, how="left", indicator=True)
    added = added[added["_merge"] == "left_only"]
    assert len(added) == 3 * 23  # 23 new rows per zone
    for _, row in added.iterrows():
        assert row["unit"] == ("t C ha-1 yr-1" if row["parameter"] == "removal" else "t C ha-1")
        assert row["tag"] in {"V", "C", "M", "U"} and row["source"] and row["table"] and row["note"]
        if row["tag"] == "V":  # seen: the note gives the address
            assert "seen: http" in row["note"]
        if row["tag"] == "C":
            assert "Earthshot-Labs/earthshot_model_utils" in row["source"]
        if row["tag"] == "U":  # a pool IPCC gives no default for: 0 with the reason
            assert row["value"] == 0 and row["source"] == "urbansat convention"
            assert "not accounted" in row["note"]
    # unchanged v1 values: v2 only adds rows and ranges
    both = v1.merge(v2, on=key, suffixes=("_1", "_2"))
    assert len(both) == len(v1)
    np.testing.assert_array_equal(both["value_1"], both["value_2"])


def test_shrub_factors_follow_the_tropical_shrubland_rows():
    """2019R tropical shrubland (compilation): AGB 48.4 +- 45.8 (Africa), 38.3 +- 33.0 (Asia),
    G > 20 y 0.9 / 1.3 t d.m./ha/yr; R 0.40; CF 0.47 (0.44-0.49)."""
    d = load_factor_table("ipcc2019").data.set_index(["category", "climate_zone", "parameter"])
    for zone, agb, sd, g, glo, ghi in (("tropical_rainforest_africa", 48.4, 45.8, 0.9, 0.47, 1.71),
                                      ("tropical_rainforest_asia", 38.3, 33.0, 1.3, 0.68, 2.47),
                                      ("subtropical_humid_asia", 38.3, 33.0, 1.3, 0.68, 2.47)):
        above = d.loc[("shrub", zone, "c_above")]
        below = d.loc[("shrub", zone, "c_below")]
        rem = d.loc[("shrub", zone, "removal")]
        assert above["value"] == pytest.approx(agb * CF, rel=1e-5)
        sigma = (above["high"] - above["low"]) / (2 * 1.959963984540054)
        assert sigma == pytest.approx(sd * CF, rel=1e-5)
        assert below["value"] / above["value"] == pytest.approx(0.40, rel=1e-5)
        assert rem["value"] == pytest.approx(g * 1.4 * CF, rel=1e-5)
        expected = (glo * 1.4 * 0.44, ghi * 1.4 * 0.49)  # CF 0.44-0.49
        assert (rem["low"], rem["high"]) == pytest.approx(expected, rel=1e-5)
        # shrubland holds less biomass than the zone's forest, and grows (a sink)
        assert 0 < above["value"] < d.loc[("forest", zone, "c_above"), "value"]
        assert rem["value"] > 0 and rem["low"] > 0


def test_cropland_grassland_soil_ranges_follow_the_ipcc_default_errors():
    d = load_factor_table("ipcc2019").data.set_index(["category", "climate_zone", "parameter"])
    for zone in ZONES:
        crop = d.loc[("cropland", zone, "c_above")]
        assert (crop["value"], crop["low"], crop["high"]) == (5.0, 1.25, 8.75)  # Table 5.9, +-75 %
        for p in ("c_below", "c_dead"):
            assert d.loc[("cropland", zone, p), "value"] == 0
        for p in ("c_above", "c_below"):  # Table 6.4 +-75 %
            g = d.loc[("grassland", zone, p)]
            assert (g["low"] / g["value"], g["high"] / g["value"]) == pytest.approx((0.25, 1.75))
        for c in ("sandy_land", "wetland"):  # Table 2.3 nominal +-90 %
            s = d.loc[(c, zone, "c_soil")]
            assert (s["low"] / s["value"], s["high"] / s["value"]) == pytest.approx((0.10, 1.90))
        # dead organic matter: Tier 1 zero outside mangroves (which carry WS Table 4.7)
        for c in LANDCOVER_SINK_CATEGORIES:
            dead = d.loc[(c, zone, "c_dead"), "value"]
            assert (dead > 0) if c == "mangrove" else (dead == 0), c


def test_signs_of_conversions_with_the_new_defaults():
    """Hand-computed gain-loss rows (1 ha, 5 yr, tropical_rainforest_africa, default pools):
    grassland -> shrub grows shrub biomass from zero; forest -> cropland loses forest biomass."""
    zone, years = "tropical_rainforest_africa", 5.0
    d = load_factor_table("ipcc2019").data.set_index(["category", "climate_zone", "parameter"])
    f = lambda c, p: float(d.loc[(c, zone, p), "value"])
    t = pd.DataFrame({"boundary_id": "x", "class_start": [CODE["grassland"], CODE["forest"]],
                      "class_end": [CODE["shrub"], CODE["cropland"]], "area_m2": [1e4, 1e4]})
    ds = account_transitions(t, pd.DataFrame({"boundary_id": ["x"]}), legend=LEGEND,
                             factors="ipcc2019", climate_zone=zone, years=years)
    x = ds.sel(boundary="x")
    bio = lambda c: f(c, "c_above") + f(c, "c_below") + f(c, "c_dead")
    soil = lambda a, b: (f(b, "c_soil") - f(a, "c_soil")) / 20.0
    shrub = f("shrub", "removal") - bio("grassland") / years + soil("grassland", "shrub")
    shrub *= C_TO_CO2
    crop = ((bio("cropland") - bio("forest")) / years + soil("forest", "cropland")) * C_TO_CO2
    assert float(x.net_sink.sel(category="shrub")) == pytest.approx(shrub, rel=1e-9)
    assert float(x.net_sink.sel(category="cropland")) == pytest.approx(crop, rel=1e-9)
    assert float(x.gross_removals.sel(category="shrub")) > 0 > crop
    assert float(x.gross_emissions.sel(category="cropland")) == pytest.approx(-crop, rel=1e-9)


def test_v1_table_keeps_its_gaps_for_reproducibility():
    """``"ipcc2019_v1"`` is the first table unchanged: results labelled "ipcc2019 v1" reproduce."""
    v1 = load_factor_table("ipcc2019_v1")
    assert v1.label == "ipcc2019_v1 v1"
    s, e = _pair([("cropland", "cropland"), ("forest", "cropland")])
    b = make_boundaries(s, 1)
    with pytest.raises(FactorError, match=r"cropland.*c_above"):
        account_sinks(s, e, b, legend=LEGEND, factors="ipcc2019_v1",
                      climate_zone="subtropical_humid_asia", method="stock_difference")
    # the same gap is named when a user table drops a default
    d = load_factor_table("ipcc2019").data
    keep = ~((d.category == "shrub") & (d.parameter == "removal"))
    gap = factor_table_from_frame(d[keep], name="gap")
    s, e = _pair([("shrub", "shrub")])
    with pytest.raises(FactorError, match=r"\(shrub\)\.removal"):
        account_sinks(s, e, make_boundaries(s, 1), legend=LEGEND, factors=gap,
                      climate_zone="subtropical_humid_asia")


def test_china_preset_counts_shrub_and_mangrove_as_forest_land():
    """The coefficient method applies the forest-land (林地) coefficient to shrub land and
    mangroves (GB/T 21010 forest land includes both); it has none for tidal marsh or seagrass."""
    t = load_factor_table("china_literature")
    assert t.label == "china_literature v2"
    rem = t.data[t.data.parameter == "removal"].set_index("category")["value"]
    assert rem["shrub"] == rem["mangrove"] == rem["forest"] == pytest.approx(0.581)
    v1 = load_factor_table("china_literature_v1").data
    assert not v1.category.isin(["shrub", "mangrove"]).any()
    pairs = [("shrub", "shrub"), ("mangrove", "mangrove"), ("forest", "shrub")]
    s, e = _pair(pairs)
    b = make_boundaries(s, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the preset's coefficients have no range
        ds = account_sinks(s, e, b, legend=LEGEND, factors="china_literature", years=5)
    x = ds.isel(boundary=0)
    # 2 ha shrub (one remained, one from forest) and 1 ha mangrove at 0.581 t C/ha/yr
    assert float(x.net_sink.sel(category="shrub")) == pytest.approx(2 * 0.581 * C_TO_CO2)
    assert float(x.net_sink.sel(category="mangrove")) == pytest.approx(0.581 * C_TO_CO2)
    s, e = _pair([("salt_marsh", "salt_marsh")])
    with pytest.raises(FactorError, match=r"\(salt_marsh\)\.removal"):
        account_sinks(s, e, make_boundaries(s, 1), legend=LEGEND, factors="china_literature",
                      years=5)
