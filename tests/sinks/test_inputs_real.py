"""Bad input, plausibility band, packaged data, and the REAL WorldCover pair."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
import shapely

from urbansat.errors import AlignmentError, BoundaryError, FactorError, LegendError
from urbansat.sinks import account_sinks
from urbansat.sinks.factors import PACKAGED_TABLES, load_factor_table
from urbansat.sinks.legends import list_legends, load_legend
from urbansat.testing.landcover import make_boundaries, make_landcover


def test_unknown_codes_listed_with_legend(hand_pair, hand_boundaries, hand_factors):
    s, e = hand_pair
    bad = e.copy(data=np.where(e.values == 40, 41, e.values).astype(np.uint8))
    with pytest.raises(LegendError, match=r"\[41\].*worldcover_v1"):
        account_sinks(s, bad, hand_boundaries, factors=hand_factors, years=5)


def test_nodata_is_unobserved(hand_pair, hand_boundaries, hand_factors):
    s, e = hand_pair
    e0 = e.copy(data=e.values.copy())
    e0.values[0, :2] = 0  # WorldCover nodata
    ds = account_sinks(
        s, e0, hand_boundaries, factors=hand_factors, method="stock_difference", years=5
    )
    assert float(ds.unobserved_area.sel(boundary="all")) == pytest.approx(2.0)
    assert float(ds.area_start.sel(boundary="all", category="total")) == pytest.approx(14.0)
    assert not ds.net_sink.isnull().any()


def test_misaligned_epochs_raise_and_align_to(hand_pair, hand_boundaries, hand_factors):
    from affine import Affine

    s, e = hand_pair
    t = s.rio.transform()
    shifted = make_landcover(
        e.values, crs="EPSG:3035", transform=Affine(t.a, 0, t.c + 50, 0, t.e, t.f), year=2020
    )
    with pytest.raises(AlignmentError, match="align_to"):
        account_sinks(s, shifted, hand_boundaries, factors=hand_factors, years=5)
    other_crs = make_landcover(e.values, crs="EPSG:3857", transform=t, year=2020)
    with pytest.raises(AlignmentError, match="CRS"):
        account_sinks(s, other_crs, hand_boundaries, factors=hand_factors, years=5)
    same = make_landcover(e.values, crs="EPSG:3035", transform=t, year=2020)
    ds = account_sinks(s, same, hand_boundaries, factors=hand_factors, years=5, align_to="start")
    ref = account_sinks(s, e, hand_boundaries, factors=hand_factors, years=5)
    np.testing.assert_allclose(ds.net_sink, ref.net_sink)


def test_missing_factor_named(hand_pair, hand_boundaries, hand_factors):
    s, e = hand_pair
    f = hand_factors[~((hand_factors.category == "forest") & (hand_factors.parameter == "removal"))]
    with pytest.raises(FactorError, match=r"10 \(forest\)\.removal"):
        account_sinks(s, e, hand_boundaries, factors=f, years=5)
    # the first packaged IPCC table (kept as "ipcc2019_v1") had no cropland biomass default:
    # the gap is named; the current "ipcc2019" (v2) has one (tests/sinks/test_factor_defaults.py)
    with pytest.raises(FactorError, match=r"cropland.*c_above"):
        account_sinks(
            s,
            e,
            hand_boundaries,
            factors="ipcc2019_v1",
            climate_zone="subtropical_humid_asia",
            method="stock_difference",
            years=5,
        )
    ds = account_sinks(
        s,
        e,
        hand_boundaries,
        factors="ipcc2019",
        climate_zone="subtropical_humid_asia",
        method="stock_difference",
        years=5,
    )
    assert np.isfinite(ds.net_sink.sel(boundary="all", category="cropland"))


def test_boundary_outside_raster(hand_pair, hand_boundaries, hand_factors):
    s, e = hand_pair
    far = hand_boundaries.copy()
    far["geometry"] = [shapely.box(0, 0, 100, 100)]
    with pytest.raises(BoundaryError, match="do not overlap"):
        account_sinks(s, e, far, factors=hand_factors, years=5)


def test_guangdong_forest_plausibility_band():
    """Forest sink of a South-China city: 2-5 t CO2/ha/yr (Guangdong 2018 inventory: 2.1-5.1)."""
    forest = np.full((50, 50), 10, np.uint8)
    s = make_landcover(forest, year=2015)
    e = make_landcover(forest, year=2020)
    b = make_boundaries(s, 1)
    for factors in ("ipcc2019", "china_literature"):
        with (
            pytest.warns(UserWarning) if factors == "china_literature" else contextlib.nullcontext()
        ):
            ds = account_sinks(
                s, e, b, factors=factors, climate_zone="subtropical_humid_asia", years=5
            )
        f = ds.sel(boundary="b0", category="forest")
        rate = float(f.net_sink) / float(f.area_end)
        assert 2.0 <= rate <= 5.0, (factors, rate)


def test_packaged_legends_and_tables_are_complete():
    assert {"worldcover_v1", "esa_cci_lc_v1", "modis_igbp_v1", "clcd_v1", "corine_clc_v1"} <= set(
        list_legends()
    )
    assert load_legend("corine_clc").loc[37, "category"] == "salt_marsh"
    assert load_legend("worldcover").loc[95, "category"] == "mangrove"
    for name in PACKAGED_TABLES:
        d = load_factor_table(name).data
        assert d["source"].str.len().gt(0).all() and d["table"].notna().all()
        assert set(d["tag"]) <= {"V", "V*", "C", "M", "U"}
        rng = d["low"].notna()
        assert (
            (d.loc[rng, "low"] <= d.loc[rng, "value"] + 1e-9)
            & (d.loc[rng, "value"] <= d.loc[rng, "high"] + 1e-9)
        ).all()
    ipcc = load_factor_table("ipcc2019").data
    blue = ipcc[ipcc.parameter == "soil_accumulation"].groupby("category")["value"].first()
    assert blue.to_dict() == {
        "mangrove": 1.62,
        "salt_marsh": 0.91,
        "seagrass": 0.43,
    }  # WS Table 4.12


@pytest.mark.shared_samples
def test_real_worldcover_pair_clipped(project_samples):
    """REAL WorldCover 2020 v100 / 2021 v200 over São Tomé city; 0.03 deg pixel-aligned window."""
    import geopandas as gpd
    from affine import Affine
    from pyproj import CRS

    from urbansat.ingest.landcover import open_landcover
    from urbansat.spatial.areas import row_areas

    d = project_samples / "landcover"
    s = open_landcover(d / "ESA_WorldCover_10m_2020_v100_N00E006_Map.tif", chunks=2048)
    e = open_landcover(d / "ESA_WorldCover_10m_2021_v200_N00E006_Map.tif", chunks=2048)
    res = 1 / 12000
    x0, ytop = 6 + 8520 * res, 3 - (32040 - 360) * res  # ~6.71-6.74E, 0.33-0.36N, on pixel edges
    box = shapely.box(x0, ytop - 360 * res, x0 + 360 * res, ytop)
    b = gpd.GeoDataFrame(
        {"boundary_id": ["sao_tome"], "name": ["São Tomé"], "level": ["region"]},
        geometry=[box],
        crs=4326,
    )
    gaps = pd.DataFrame(
        [
            (c, p, v, v * 0.5, v * 1.5)
            for c, vals in {
                "shrub": {"c_above": 20, "c_below": 8, "c_soil": 44, "c_dead": 0, "removal": 1.0},
                "cropland": {"c_above": 5, "c_below": 1, "c_soil": 21.12, "c_dead": 0},
                "grassland": {"c_dead": 0},
                "forest": {"c_dead": 5},
                "wetland": {"c_above": 5, "c_below": 5, "c_dead": 0, "removal": 0.5},
            }.items()
            for p, v in vals.items()
        ],
        columns=["category", "parameter", "value", "low", "high"],
    )
    gaps["climate_zone"] = "tropical_rainforest_africa"
    table = load_factor_table("ipcc2019").override(gaps)
    ds = account_sinks(
        s, e, b, factors=table, climate_zone="tropical_rainforest_africa", method="stock_difference"
    )
    assert ds.attrs["years"] == 1.0 and ds.attrs["epochs"] == "2020/2021"
    # oracle: InVEST arithmetic on the same window with exact quadrangle areas
    r0, c0 = 32040 - 360, 8520
    ws = s.isel(y=slice(r0, r0 + 360), x=slice(c0, c0 + 360)).values
    we = e.isel(y=slice(r0, r0 + 360), x=slice(c0, c0 + 360)).values
    tr, crs = Affine(*tuple(s.rio.transform())[:6]), CRS.from_user_input(s.rio.crs)
    area_ha = row_areas(tr, crs, 360, row_start=r0)[:, None] / 1e4  # exact quadrangles, one per row
    from urbansat.sinks.factors import resolve_factors

    lg = load_legend("worldcover")
    codes = np.array(sorted(set(np.unique(ws)) | set(np.unique(we))))
    rf = resolve_factors(table, lg, codes, "tropical_rainforest_africa")
    lut = np.zeros(256)
    lut[codes] = rf.value[:, :4].sum(axis=1)  # c_above, c_below, c_dead, c_soil
    valid = (ws != 0) & (we != 0)
    inv_s = (lut[ws] * area_ha * valid).sum()
    inv_e = (lut[we] * area_ha * valid).sum()
    tot = ds.sel(boundary="sao_tome", category="total")
    assert float(tot.stock_start) == pytest.approx(inv_s, rel=1e-9)
    assert float(tot.stock_end) == pytest.approx(inv_e, rel=1e-9)
    assert float(tot.net_sink) == pytest.approx((inv_e - inv_s) * 44 / 12, rel=1e-9)
    total_area = float(ds.transition_area.sel(boundary="sao_tome").sum())
    assert total_area == pytest.approx(area_ha.sum() * 360, rel=1e-9)
    assert float(tot.area_start) > 0.9 * total_area  # São Tomé town: mostly land
    assert (
        float(ds.area_change.sel(boundary="sao_tome", category="forest")) != 0
    )  # v100 -> v200 changes


def test_user_legend_and_per_boundary_zone(tmp_path):
    """A user-legend GeoTIFF flows through open_landcover into account_sinks; zones per boundary."""
    from affine import Affine

    from urbansat.ingest.landcover import open_landcover
    from urbansat.testing.landcover import write_geotiff

    res = 1 / 12000
    data = np.full((40, 40), 7, np.uint8)
    tr = Affine(res, 0, 113.0, 0, -res, 23.0)
    p0 = write_geotiff(tmp_path / "lc_2015.tif", data, crs="EPSG:4326", transform=tr, nodata=0)
    p1 = write_geotiff(tmp_path / "lc_2020.tif", data, crs="EPSG:4326", transform=tr, nodata=0)
    lg = {0: "nodata", 7: "forest"}
    s, e = open_landcover(p0, legend=lg), open_landcover(p1, legend=lg)
    b = make_boundaries(s, 2)
    ds = account_sinks(
        s,
        e,
        b,
        years=5,
        factors="ipcc2019",
        climate_zone={"b0": "subtropical_humid_asia", "*": "tropical_rainforest_africa"},
    )
    rate = (ds.net_sink.sel(category="forest") / ds.area_end.sel(category="forest")).values
    # removal x 44/12: subtropical humid Asia 0.5828, tropical rainforest Africa 2.25365 t C/ha/yr
    np.testing.assert_allclose(rate, [0.5828 * 44 / 12, 2.25365 * 44 / 12], rtol=1e-4)
    assert "subtropical_humid_asia" in ds.attrs["climate_zone"]


def test_align_to_resamples_nearest(hand_pair, hand_boundaries, hand_factors):
    """A 200 m end epoch is refused, and with align_to='start' is replicated onto the 100 m grid."""
    from affine import Affine

    s, e = hand_pair
    t = s.rio.transform()
    coarse = e.values[::2, ::2]
    ec = make_landcover(
        coarse, crs="EPSG:3035", transform=Affine(200.0, 0, t.c, 0, -200.0, t.f), year=2020
    )
    with pytest.raises(AlignmentError, match="shape"):
        account_sinks(s, ec, hand_boundaries, factors=hand_factors, years=5)
    ds = account_sinks(
        s,
        ec,
        hand_boundaries,
        factors=hand_factors,
        years=5,
        align_to="start",
        method="stock_difference",
    )
    up = make_landcover(
        np.repeat(np.repeat(coarse, 2, 0), 2, 1), crs="EPSG:3035", transform=t, year=2020
    )
    ref = account_sinks(
        s, up, hand_boundaries, factors=hand_factors, years=5, method="stock_difference"
    )
    np.testing.assert_allclose(ds.net_sink, ref.net_sink, rtol=1e-12)
    np.testing.assert_allclose(ds.transition_area, ref.transition_area, rtol=1e-12)


def test_boundary_partly_outside_counts_as_unobserved(hand_pair, hand_boundaries, hand_factors):
    s, e = hand_pair
    x0, y0, x1, y1 = s.rio.bounds()
    wide = hand_boundaries.copy()
    wide["geometry"] = [
        shapely.box(x0, y0, x1 + 400, y1)
    ]  # twice the raster; EPSG:3035 is equal-area
    ds = account_sinks(s, e, wide, factors=hand_factors, years=5)
    assert float(ds.unobserved_area.sel(boundary="all")) == pytest.approx(16.0, rel=2e-3)
    assert float(ds.area_start.sel(boundary="all", category="total")) == pytest.approx(
        16.0, rel=1e-9
    )


def test_raster_nodata_outside_legend_is_unobserved(tmp_path, hand_factors):
    """Corine-like nodata (-128 in an int8 raster) not listed in the legend counts as unobserved."""
    from affine import Affine

    tr = Affine(100.0, 0, 4_000_000.0, 0, -100.0, 3_000_000.0)
    data = np.array([[23, 23], [12, -128]], np.int8)  # forest, forest, arable, nodata
    s = make_landcover(
        data, crs="EPSG:3035", transform=tr, product="corine_clc", year=2012, nodata=-128
    )
    e = make_landcover(
        data, crs="EPSG:3035", transform=tr, product="corine_clc", year=2018, nodata=-128
    )
    b = make_boundaries(s, 1)
    f = hand_factors.assign(category=hand_factors.category.replace({"forest": "forest"}))
    ds = account_sinks(s, e, b, factors=f, method="stock_difference")
    assert float(ds.unobserved_area.sel(boundary="b0")) == pytest.approx(1.0)
    assert float(ds.area_start.sel(boundary="b0", category="forest")) == pytest.approx(2.0)
    assert ds.attrs["years"] == 6.0
