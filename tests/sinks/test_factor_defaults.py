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
#: categories without rows in a zone: no IPCC default exists there (shrub = 2019R tropical
#: shrubland, only in tropical / subtropical zones; mangrove = WS climates tropical wet / dry and
#: subtropical only). Mapping such a class with area raises FactorError (test below).
ABSENT = {
    "tropical_moist_asia": {"mangrove"},
    "subtropical_mountain_asia": {"mangrove"},
    "temperate_continental_north_america": {"shrub", "mangrove"},
    "temperate_oceanic_europe": {"shrub", "mangrove"},
    **{
        f"boreal_coniferous_{c}": {"shrub", "mangrove"} for c in ("asia", "europe", "north_america")
    },
}
TERRESTRIAL = ("forest", "shrub", "grassland", "wetland", "sandy_land", "cropland")
BLUE = ("mangrove", "salt_marsh", "seagrass")
#: user legend: one code per land-cover sink category, then the non-sink classes
LEGEND = {i + 1: c for i, c in enumerate(LANDCOVER_SINK_CATEGORIES)}
LEGEND.update({20: "built_up", 21: "water", 22: "bare", 23: "snow_ice"})
CODE = {c: k for k, c in LEGEND.items()}
#: (category, parameter) without a range in the source (mangrove: WS Tables 4.3-4.5 and 4.7 as
#: transcribed carry none; tidal marsh / seagrass soil: WS Table 4.11 as transcribed carries none)
KNOWN_UNRANGED = {("mangrove", p) for p in ("c_above", "c_below", "c_dead", "removal")} | {
    ("salt_marsh", "c_soil"),
    ("seagrass", "c_soil"),
}
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
REMAIN_AND_CONVERT = (
    [(c, c) for c in LANDCOVER_SINK_CATEGORIES] * 3
    + [(a, b) for a in TERRESTRIAL for b in TERRESTRIAL if a != b]
    + [(a, "built_up") for a in TERRESTRIAL]
    + [("bare", "shrub"), ("bare", "grassland"), ("water", "wetland"), ("bare", "sandy_land")]
)


def _account(pairs, zone, method, uncertainty):
    s, e = _pair(pairs)
    b = make_boundaries(s, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the known unranged factors are warned about
        ds = account_sinks(
            s,
            e,
            b,
            legend=LEGEND,
            factors="ipcc2019",
            climate_zone=zone,
            method=method,
            uncertainty=uncertainty,
            n_draws=400,
            seed=1,
        )
    unranged = {
        (LEGEND[int(c)], p)
        for c, p in (x.split(".") for x in json.loads(ds.attrs["unranged_factors"]))
    }
    return ds.isel(boundary=0), unranged


@pytest.mark.parametrize("uncertainty", ["approach1", "monte_carlo"])
@pytest.mark.parametrize("method", ["gain_loss", "stock_difference"])
@pytest.mark.parametrize("zone", ZONES)
def test_every_category_has_values_and_intervals(zone, method, uncertainty):
    absent = ABSENT.get(zone, set())
    pairs = [(a, b) for a, b in REMAIN_AND_CONVERT if not {a, b} & absent]
    d, unranged = _account(pairs, zone, method, uncertainty)
    new_gaps = sorted(unranged - KNOWN_UNRANGED)
    assert not new_gaps, f"new factor without a range: {new_gaps}"
    for c in LANDCOVER_SINK_CATEGORIES:
        if c in absent:
            assert str(d.sel(category=c).status.values) == "no_area", c
            continue
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
    mangrove = method == "gain_loss" and "mangrove" not in absent
    assert unranged == ({("mangrove", "removal")} if mangrove else set())
    if method == "stock_difference":
        assert np.isfinite(float(d.sel(category="total").net_sink_low))


@pytest.mark.parametrize("method", ["gain_loss", "stock_difference"])
@pytest.mark.parametrize("zone", ZONES)
def test_conversions_into_blue_carbon_are_accounted(zone, method):
    """Land converted to mangrove / tidal marsh / seagrass has finite values; the only undefined
    intervals come from the documented gaps."""
    absent = ABSENT.get(zone, set())
    blue = [b for b in BLUE if b not in absent]
    pairs = [(a, b) for a in (*TERRESTRIAL, "bare", "water") for b in blue if a not in absent]
    pairs += [(b, "water") for b in blue]
    d, unranged = _account(pairs, zone, method, "approach1")
    assert unranged <= KNOWN_UNRANGED
    for c in blue:
        assert np.isfinite(float(d.sel(category=c).net_sink)), c
        assert np.isfinite(float(d.sel(category=c).stock_end)), c


def test_previously_missing_defaults_resolve_in_every_zone():
    """Every (zone, land-cover sink category, pool or removal) has one row with a finite value."""
    t = load_factor_table("ipcc2019")
    assert t.label == "ipcc2019 v3"
    d = t.data
    for z in ZONES:
        for c in LANDCOVER_SINK_CATEGORIES:
            for p in (*POOLS, "removal"):
                rows = d[(d.category == c) & (d.parameter == p) & d.climate_zone.isin([z, "*"])]
                if c in ABSENT.get(z, set()):
                    assert rows.empty, (z, c, p)
                    continue
                assert len(rows) == 1 and np.isfinite(rows["value"].iloc[0]), (z, c, p)
                has_range = rows[["low", "high"]].notna().all(axis=1).iloc[0]
                assert has_range or (c, p) in KNOWN_UNRANGED, (z, c, p)


def test_units_tags_and_provenance_of_added_rows():
    v1 = load_factor_table("ipcc2019_v1").data
    v2 = load_factor_table("ipcc2019_v2").data
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
    for zone, agb, sd, g, glo, ghi in (
        ("tropical_rainforest_africa", 48.4, 45.8, 0.9, 0.47, 1.71),
        ("tropical_rainforest_asia", 38.3, 33.0, 1.3, 0.68, 2.47),
        ("subtropical_humid_asia", 38.3, 33.0, 1.3, 0.68, 2.47),
    ):
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
        absent = ABSENT.get(zone, set())
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
            if c in absent:
                continue
            dead = d.loc[(c, zone, "c_dead"), "value"]
            assert (dead > 0) if c == "mangrove" else (dead == 0), c


def test_signs_of_conversions_with_the_new_defaults():
    """Hand-computed gain-loss rows (1 ha, 5 yr, tropical_rainforest_africa, default pools):
    grassland -> shrub grows shrub biomass from zero; forest -> cropland loses forest biomass."""
    zone, years = "tropical_rainforest_africa", 5.0
    d = load_factor_table("ipcc2019").data.set_index(["category", "climate_zone", "parameter"])

    def f(c, p):
        return float(d.loc[(c, zone, p), "value"])

    t = pd.DataFrame(
        {
            "boundary_id": "x",
            "class_start": [CODE["grassland"], CODE["forest"]],
            "class_end": [CODE["shrub"], CODE["cropland"]],
            "area_m2": [1e4, 1e4],
        }
    )
    ds = account_transitions(
        t,
        pd.DataFrame({"boundary_id": ["x"]}),
        legend=LEGEND,
        factors="ipcc2019",
        climate_zone=zone,
        years=years,
    )
    x = ds.sel(boundary="x")

    def bio(c):
        return f(c, "c_above") + f(c, "c_below") + f(c, "c_dead")

    def soil(a, b):
        return (f(b, "c_soil") - f(a, "c_soil")) / 20.0

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
        account_sinks(
            s,
            e,
            b,
            legend=LEGEND,
            factors="ipcc2019_v1",
            climate_zone="subtropical_humid_asia",
            method="stock_difference",
        )
    # the same gap is named when a user table drops a default
    d = load_factor_table("ipcc2019").data
    keep = ~((d.category == "shrub") & (d.parameter == "removal"))
    gap = factor_table_from_frame(d[keep], name="gap")
    s, e = _pair([("shrub", "shrub")])
    with pytest.raises(FactorError, match=r"\(shrub\)\.removal"):
        account_sinks(
            s,
            e,
            make_boundaries(s, 1),
            legend=LEGEND,
            factors=gap,
            climate_zone="subtropical_humid_asia",
        )


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
        account_sinks(
            s, e, make_boundaries(s, 1), legend=LEGEND, factors="china_literature", years=5
        )


# --- v3: more IPCC climate zones ----------------------------------------------------------------
#: zone -> (2006 Table 2.3 climate HAC, Sandy, Wetland SOC_REF t C/ha; Table 5.5 F_LU; Table 6.4
#: grassland AGB, total t d.m./ha), as transcribed in sink-factors.md for the mapped climates
CLIMATE_FACTS = {
    "tropical_moist_asia": (65, 39, 86, 0.48, 6.2, 16.1),  # tropical moist
    "tropical_dry_asia": (38, 31, 86, 0.58, 2.3, 8.7),  # tropical dry
    "subtropical_dry_asia": (38, 31, 86, 0.58, 2.3, 8.7),  # tropical dry
    "subtropical_mountain_asia": (88, 34, 88, 0.69, 2.7, 13.5),  # warm temperate moist / wet
    "temperate_continental_north_america": (95, 71, 87, 0.69, 2.4, 13.6),  # cold temperate moist
    "temperate_oceanic_europe": (88, 34, 88, 0.69, 2.7, 13.5),  # warm temperate moist / wet
    **{
        f"boreal_coniferous_{c}": (68, 10, 146, 0.69, 1.7, 8.5)
        for c in ("asia", "europe", "north_america")
    },
}
#: zone -> (G > 20 y, G <= 20 y t d.m./ha/yr: compilation r20 / r0 of the zone's 'natural' row;
#: root:shoot R)
GROWTH = {
    "tropical_moist_asia": (0.9, 2.4, 0.24),
    "tropical_dry_asia": (1.6, 3.9, 0.28),
    "subtropical_dry_asia": (1.5, 6.0, 0.28),
    "subtropical_mountain_asia": (0.5, 2.5, 0.23),
    "temperate_continental_north_america": (3.6, 3.3, 0.28),
    "temperate_oceanic_europe": (2.3, 2.3, 0.19),
    **{f"boreal_coniferous_{c}": (0.6, 0.6, 0.39) for c in ("asia", "europe", "north_america")},
}
NEW_ZONES = sorted(CLIMATE_FACTS)


def test_v3_adds_the_zones_and_keeps_v2():
    v2 = load_factor_table("ipcc2019_v2")
    v3 = load_factor_table("ipcc2019")
    assert v2.label == "ipcc2019_v2 v2"
    assert v2.zones == [
        "subtropical_humid_asia",
        "tropical_rainforest_africa",
        "tropical_rainforest_asia",
    ]
    assert sorted(v3.zones) == sorted(v2.zones + NEW_ZONES)
    # zones whose >20 y growth row is garbled in the compilation are not shipped
    for z in (
        "temperate_continental_asia",
        "temperate_continental_europe",
        "temperate_mountain_asia",
        "tropical_mountain_asia",
    ):
        assert z not in v3.zones
    # every v2 row is in v3 unchanged, in every column
    cols = list(v2.data.columns)
    old = v3.data[v3.data.climate_zone.isin([*v2.zones, "*"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(old[cols], v2.data.reset_index(drop=True)[cols])
    new = v3.data[v3.data.climate_zone.isin(NEW_ZONES)]
    for _, row in new.iterrows():
        assert row["unit"] == ("t C ha-1" if row["parameter"] in POOLS else "t C ha-1 yr-1")
        assert row["tag"] in {"V", "V*", "C", "M", "U"} and row["source"] and row["table"]
        assert row["note"]
        if row["tag"] == "C":
            assert "Earthshot-Labs/earthshot_model_utils" in row["source"]
        if row["tag"] == "U" and row["source"] == "urbansat convention":
            assert row["value"] == 0 and "not accounted" in row["note"]


@pytest.mark.parametrize("zone", NEW_ZONES)
def test_new_zone_soil_and_grassland_follow_table_2_3_and_6_4(zone):
    hac, sandy, wet, flu, agb, total = CLIMATE_FACTS[zone]
    d = load_factor_table("ipcc2019").data.set_index(["category", "climate_zone", "parameter"])

    def v(c, p):
        return float(d.loc[(c, zone, p), "value"])

    assert v("forest", "c_soil") == v("grassland", "c_soil") == hac
    assert v("cropland", "c_soil") == pytest.approx(hac * flu)
    assert v("sandy_land", "c_soil") == sandy and v("wetland", "c_soil") == wet
    assert v("grassland", "c_above") == pytest.approx(agb * CF)
    assert v("grassland", "c_below") == pytest.approx((total - agb) * CF)
    # the climate mapping is written down on the forest c_above row
    assert "zone mapped to IPCC climate" in d.loc[("forest", zone, "c_above"), "note"]


@pytest.mark.parametrize("zone", NEW_ZONES)
def test_new_zone_forest_removal_is_the_compilation_growth(zone):
    """removal = G(>20 y) x (1 + R) x CF 0.47; range = the two age classes x CF 0.44-0.49; the
    below-ground stock is R x the above-ground stock."""
    g20, g0, R = GROWTH[zone]
    d = load_factor_table("ipcc2019").data.set_index(["category", "climate_zone", "parameter"])
    rem = d.loc[("forest", zone, "removal")]
    assert rem["value"] == pytest.approx(g20 * (1 + R) * CF, rel=1e-5)
    lo, hi = min(g20, g0) * (1 + R) * 0.44, max(g20, g0) * (1 + R) * 0.49
    assert (rem["low"], rem["high"]) == pytest.approx((lo, hi), rel=1e-5)
    above, below = d.loc[("forest", zone, "c_above")], d.loc[("forest", zone, "c_below")]
    assert below["value"] / above["value"] == pytest.approx(R, rel=1e-5)
    assert 0 < above["low"] <= above["value"] <= above["high"]
    # a sink, and (t CO2/ha/yr) inside the published band for forest remaining forest
    co2 = rem["value"] * C_TO_CO2
    assert 1.0 <= co2 <= 10.0, co2
    if zone.startswith("temperate"):
        # temperate forests hold more carbon per ha than boreal ones (Table 4.7 order)
        assert above["value"] > d.loc[("forest", "boreal_coniferous_europe", "c_above"), "value"]


def test_boreal_and_compilation_stocks_match_their_sources():
    d = load_factor_table("ipcc2019").data.set_index(["category", "climate_zone", "parameter"])
    # boreal coniferous natural Kmax 62.9 t d.m./ha (x/÷ 1.9), inside 2006 Table 4.7's 10-90
    b = d.loc[("forest", "boreal_coniferous_asia", "c_above")]
    assert b["value"] == pytest.approx(62.9 * CF, rel=1e-5)
    assert (b["low"], b["high"]) == pytest.approx((33.11 * CF, 119.51 * CF), rel=1e-5)
    assert 10 * CF < b["value"] < 90 * CF
    # subtropical dry Asia: Kmax 70.9 +- SD 26.2 -> 95 % = +- 1.96 SD
    s = d.loc[("forest", "subtropical_dry_asia", "c_above")]
    sigma = (s["high"] - s["low"]) / (2 * 1.959963984540054)
    assert sigma == pytest.approx(26.2 * CF, rel=1e-5)
    # 2006 Table 4.7 AGB (CF range only): tropical dry Asia 130, temperate continental Americas 130
    for z in ("tropical_dry_asia", "temperate_continental_north_america"):
        f = d.loc[("forest", z, "c_above")]
        assert (f["value"], f["low"], f["high"]) == pytest.approx(
            (130 * CF, 130 * 0.44, 130 * 0.49)
        )
    # mangrove only where WS gives the climate: tropical dry (AGB 92, R 0.29, growth 3.3)

    def m(p):
        return float(d.loc[("mangrove", "tropical_dry_asia", p), "value"])

    assert m("c_above") == pytest.approx(92 * 0.451, rel=1e-5)  # CSV keeps 6 significant digits
    assert m("c_below") == pytest.approx(92 * 0.451 * 0.29, rel=1e-5)
    assert m("removal") == pytest.approx(3.3 * 1.29 * 0.451, rel=1e-5)
    sub = d.loc[("mangrove", "subtropical_dry_asia", "c_above"), "value"]  # subtropical AGB 75
    assert sub == pytest.approx(75 * 0.451, rel=1e-5)
    # shrub of the new Asian (sub)tropical zones = the v2 tropical-shrubland Asia rows
    for z in (
        "tropical_moist_asia",
        "tropical_dry_asia",
        "subtropical_dry_asia",
        "subtropical_mountain_asia",
    ):
        for p in ("c_above", "c_below", "removal"):
            a, ref = d.loc[("shrub", z, p)], d.loc[("shrub", "subtropical_humid_asia", p)]
            assert (a["value"], a["low"], a["high"]) == (ref["value"], ref["low"], ref["high"])


@pytest.mark.parametrize(
    "zone", ["temperate_oceanic_europe", "boreal_coniferous_north_america", "tropical_moist_asia"]
)
def test_absent_categories_fail_only_when_mapped_with_area(zone):
    """A category with no default in a zone is fine while it has no area, and raises a
    FactorError naming the class, the zones that have it and the fix once it has area."""
    present = [c for c in LANDCOVER_SINK_CATEGORIES if c not in ABSENT[zone]]
    d, _ = _account([(c, c) for c in present], zone, "gain_loss", "approach1")
    assert np.isfinite(float(d.sel(category="total").net_sink))
    for c in sorted(ABSENT[zone]):
        s, e = _pair([("forest", "forest"), (c, c)])
        with pytest.raises(
            FactorError,
            match=rf"\({c}\)\.removal: given only for climate zones.*"
            r"override",
        ):
            account_sinks(
                s,
                e,
                make_boundaries(s, 1),
                legend=LEGEND,
                factors="ipcc2019",
                climate_zone=zone,
                years=5,
            )
