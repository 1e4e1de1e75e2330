"""open_landcover on real WorldCover/CCI/MODIS files, synthetic CLCD/Corine, mosaics; factor CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from urbansat.errors import FactorError, ProductNotRecognizedError
from urbansat.ingest.factors import (
    read_factor_table,
    read_invest_table,
    read_legend,
    write_factor_table,
    write_invest_table,
)
from urbansat.ingest.landcover import open_landcover
from urbansat.schema.legend import legend_categories_of, legend_of
from urbansat.sinks.factors import factor_table_to_invest, load_factor_table
from urbansat.sinks.legends import load_legend
from urbansat.testing.landcover import write_clcd, write_corine, write_geotiff


def test_real_worldcover_lazy_with_legend(project_samples):
    da = open_landcover(
        project_samples / "landcover" / "ESA_WorldCover_10m_2021_v200_N00E006_Map.tif", chunks=4096
    )
    assert da.shape == (36000, 36000) and da.dtype == np.uint8 and da.chunks is not None
    assert (
        da.attrs["product"] == "worldcover" and da.attrs["year"] == 2021 and da.attrs["nodata"] == 0
    )
    assert legend_of(da)[95] == "Mangroves" and da.rio.crs.to_epsg() == 4326
    assert da.rio.transform().a == pytest.approx(1 / 12000)


def test_real_modis_hdf_equals_its_cog(project_samples):
    d = project_samples / "landcover"
    h = open_landcover(d / "MCD12Q1.A2001001.h00v08.006.2018142182903.hdf")
    t = open_landcover(d / "MCD12Q1.A2001001.h00v08.006.2018142182903_LC_Type1.tif")
    assert (
        h.attrs["product"] == "modis_mcd12q1"
        and h.attrs["year"] == 2001
        and h.attrs["nodata"] == 255
    )
    np.testing.assert_allclose(
        tuple(h.rio.transform())[:6], tuple(t.rio.transform())[:6], atol=1e-3
    )
    np.testing.assert_array_equal(h.values, t.values)
    assert set(np.unique(h.values)) <= set(load_legend("modis_mcd12q1").index)


def test_real_cci_cog(project_samples):
    da = open_landcover(
        project_samples
        / "landcover"
        / "C3S-LC-L4-LCCS-Map-300m-P1Y-2018-v2.1.1-N79W180-lccs_class.tif"
    )
    assert da.attrs["product"] == "esa_cci_lc" and da.attrs["year"] == 2018
    assert int(da[:10, :10].max()) == 210


def test_synthetic_clcd_and_corine(tmp_path):
    p = write_clcd(tmp_path, 2020)
    da = open_landcover(p)
    assert da.attrs["product"] == "clcd" and da.attrs["year"] == 2020 and da.attrs["nodata"] == 0
    assert "+proj=aea" in da.rio.crs.to_proj4()
    q = write_corine(tmp_path, 2018)
    dc = open_landcover(q)
    assert (
        dc.attrs["product"] == "corine_clc"
        and dc.rio.crs.to_epsg() == 3035
        and dc.attrs["nodata"] == 48
    )
    assert legend_of(dc)[37].startswith("421")


def test_tiles_mosaic_lazily(tmp_path):
    from affine import Affine

    rng = np.random.default_rng(0)
    full = rng.choice(np.array([10, 20, 30, 40], np.uint8), size=(40, 60))
    res = 1 / 12000
    for c0, name in [(0, "N00E006"), (30, "N00E009")]:
        tr = Affine(res, 0, 6 + c0 * res, 0, -res, 3.0)
        write_geotiff(
            tmp_path / f"ESA_WorldCover_10m_2021_v200_{name}_Map.tif",
            full[:, c0 : c0 + 30],
            crs="EPSG:4326",
            transform=tr,
            nodata=0,
        )
    da = open_landcover(sorted(tmp_path.glob("*.tif")), chunks=16)
    assert da.shape == (40, 60)
    np.testing.assert_array_equal(da.values, full)


def test_user_legend_geotiff_and_unknown_product(tmp_path):
    from affine import Affine

    p = write_geotiff(
        tmp_path / "my_map.tif",
        np.array([[1, 2], [2, 1]], np.uint8),
        crs="EPSG:4326",
        transform=Affine(0.01, 0, 0, 0, -0.01, 0),
        nodata=0,
    )
    with pytest.raises(ProductNotRecognizedError, match="legend="):
        open_landcover(p)
    da = open_landcover(p, legend={0: "nodata", 1: "forest", 2: "cropland"})
    assert legend_categories_of(da) == {0: "nodata", 1: "forest", 2: "cropland"}


def test_invest_csv_round_trip(tmp_path):
    from urbansat.sinks import account_transitions
    from urbansat.sinks.factors import as_factor_table

    lg = load_legend("worldcover")
    table = load_factor_table("ipcc2019")
    gaps = pd.DataFrame(
        {
            "category": [
                "forest",
                "grassland",
                "cropland",
                "cropland",
                "cropland",
                "shrub",
                "shrub",
                "shrub",
                "wetland",
                "wetland",
                "wetland",
                "sandy_land",
            ],
            "parameter": [
                "c_dead",
                "c_dead",
                "c_above",
                "c_below",
                "c_dead",
                "c_above",
                "c_below",
                "c_dead",
                "c_above",
                "c_below",
                "c_dead",
                "c_above",
            ],
            "value": [5, 0, 5, 1, 0, 20, 8, 0, 5, 5, 0, 0],
        }
    )
    t = table.override(gaps)
    sub = lg[lg.index.isin([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95])]
    pools = factor_table_to_invest(t, sub, climate_zone="tropical_rainforest_africa")
    p = write_invest_table(pools, tmp_path / "carbon_pools.csv")
    assert p.read_text().splitlines()[0] == "lucode,LULC_name,c_above,c_below,c_soil,c_dead"
    back = read_invest_table(p)
    again = factor_table_to_invest(as_factor_table(back), sub)
    cols = ["lucode", "c_above", "c_below", "c_soil", "c_dead"]
    pd.testing.assert_frame_equal(again[cols], pools[cols])
    # identical results from the package table and from the InVEST CSV (stock-difference)
    tr = pd.DataFrame(
        {
            "boundary_id": "x",
            "class_start": [10, 10, 40, 30, 95],
            "class_end": [10, 50, 10, 90, 95],
            "area_m2": [5e6, 1e6, 2e6, 3e6, 1e5],
        }
    )
    kw = {
        "legend": sub,
        "method": "stock_difference",
        "years": 3,
        "pools": ("c_above", "c_below", "c_soil", "c_dead"),
    }
    bnd = pd.DataFrame({"boundary_id": ["x"]})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = account_transitions(tr, bnd, factors=t, climate_zone="tropical_rainforest_africa", **kw)
        b = account_transitions(tr, bnd, factors=back, **kw)
    np.testing.assert_allclose(a.net_sink, b.net_sink, rtol=1e-12)
    np.testing.assert_allclose(a.stock_end, b.stock_end, rtol=1e-12)
    # InVEST needs every pool: the first IPCC table ("ipcc2019_v1") lacks shrub/cropland/wetland
    # ones; the current one (v2) has them all
    zone = "tropical_rainforest_africa"
    with pytest.raises(FactorError, match=r"shrub|cropland|wetland"):
        factor_table_to_invest(load_factor_table("ipcc2019_v1"), sub, climate_zone=zone)
    full = factor_table_to_invest(table, sub, climate_zone=zone)
    assert np.isfinite(full[["c_above", "c_below", "c_soil", "c_dead"]].to_numpy()).all()
    with pytest.raises(FactorError, match="empty"):
        write_invest_table(pools.assign(c_dead=np.nan), tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_factor_table_and_legend_csv_io(tmp_path):
    from urbansat.sinks.factors import factor_table_from_frame
    from urbansat.sinks.legends import validate_legend

    t = load_factor_table("ipcc2019")
    p = write_factor_table(t, tmp_path / "f.csv")
    back = factor_table_from_frame(read_factor_table(p), name="ipcc2019", version="v1")
    pd.testing.assert_frame_equal(
        back.data.reset_index(drop=True), t.data.reset_index(drop=True), check_dtype=False
    )
    (tmp_path / "lg.csv").write_text("code,name,category\n1,Forest,forest\n2,City,built_up\n")
    assert validate_legend(read_legend(tmp_path / "lg.csv")).loc[2, "category"] == "built_up"
    (tmp_path / "bad.csv").write_text("code,name,category\n1,Forest,jungle\n")
    with pytest.raises(Exception, match="jungle"):
        validate_legend(read_legend(tmp_path / "bad.csv"))
    (tmp_path / "nocat.csv").write_text("code,name\n1,Forest\n")
    with pytest.raises(Exception, match="category"):
        read_legend(tmp_path / "nocat.csv")


def test_product_legend_maps_agree():
    from urbansat.ingest import landcover
    from urbansat.sinks import legends

    assert landcover.PRODUCT_LEGENDS is legends.PRODUCT_LEGENDS  # one map, in urbansat.categories
    assert set(landcover.PRODUCTS) == set(legends.PRODUCT_LEGENDS)


def test_cci_netcdf_layout(tmp_path):
    import xarray as xr

    lat = 0.5 - (np.arange(4) + 0.5) / 360
    lon = 6 + (np.arange(5) + 0.5) / 360
    codes = np.array([[10, 50, 50, 190, 210]] * 4, np.uint8)
    ds = xr.Dataset(
        {
            "lccs_class": (
                ("time", "lat", "lon"),
                codes[None],
                {"flag_values": np.array([0, 10, 50, 190, 210], np.uint8)},
            )
        },
        coords={"time": [0], "lat": lat, "lon": lon},
    )
    p = tmp_path / "ESACCI-LC-L4-LCCS-Map-300m-P1Y-2015-v2.0.7.nc"
    ds.to_netcdf(p)
    da = open_landcover(p)
    assert (
        da.dims == ("y", "x") and da.attrs["product"] == "esa_cci_lc" and da.attrs["year"] == 2015
    )
    np.testing.assert_array_equal(da.values, codes)
    assert da.rio.crs.to_epsg() == 4326
    assert da.rio.transform().a == pytest.approx(1 / 360)


def test_open_landcover_to_netcdf_round_trip_keeps_legend(tmp_path):
    """Issue 19 item 4: ``open_landcover(...).to_netcdf()`` works; the legend survives it.

    Every attribute is netCDF-serializable (the legend as JSON plus CF flag_values /
    flag_meanings); the written file's flags pass the CF checker's flag tests when it is
    installed (they are part of the CF suite run on every demo file).
    """
    import xarray as xr
    from affine import Affine

    path = write_geotiff(
        tmp_path / "ESA_WorldCover_10m_2021_v200_N00E006_Map.tif",
        np.array([[10, 30], [95, 0]], dtype="uint8"),
        crs="EPSG:4326",
        transform=Affine(1 / 12000, 0, 6.0, 0, -1 / 12000, 1.0),
        nodata=0,
    )
    da = open_landcover(path, chunks=None)
    out = tmp_path / "lc.nc"
    da.to_netcdf(out)
    back = xr.open_dataset(out, mask_and_scale=False)["landcover"]
    assert legend_of(back) == legend_of(da) and legend_of(back)[95] == "Mangroves"
    assert back.attrs["flag_values"].dtype == np.uint8  # the variable's own type (CF 3.5)
    words = back.attrs["flag_meanings"].split()
    assert len(words) == len(back.attrs["flag_values"]) and "Tree_cover" in words
    np.testing.assert_array_equal(back.values, da.values)
    # a user legend keeps its categories through the round trip too
    user = open_landcover(path, legend={0: "nodata", 10: "forest", 30: "grassland", 95: "mangrove"})
    user.to_netcdf(tmp_path / "user.nc")
    with xr.open_dataset(tmp_path / "user.nc") as u:
        assert legend_categories_of(u["landcover"]) == {
            0: "nodata",
            10: "forest",
            30: "grassland",
            95: "mangrove",
        }


_POOLS_HEADER = "lucode,c_above,c_below,c_soil,c_dead\n"


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        # True was read as lucode 1 (the stocks of class 1, silently)
        ("TRUE,10,5,20,1\n", r"'lucode' holds True/False"),
        # 1.5 was pandas' "cannot safely cast non-equivalent object to int64"
        ("1.5,10,5,20,1\n", r"'lucode' must be integer class codes; got \[1.5\] in row\(s\) \[0\]"),
        # a name instead of a code matched no pixel
        ("forest,10,5,20,1\n", r"'lucode' must be integer class codes; got \['forest'\]"),
        # an infinite stock was accepted
        ("1,inf,5,20,1\n", r"has infinite values"),
        # kg C ha-1 instead of t C ha-1: every stock 1000 times too large
        ("1,150000,30000,80000,5000\n", r"carbon stocks above 20000 t C ha-1.*kg C ha-1"),
    ],
    ids=["bool-code", "fraction-code", "name-code", "inf", "kg-units"],
)
def test_malformed_invest_pools_refused(tmp_path, rows, match):
    from urbansat.sinks.factors import factor_table_from_invest

    p = tmp_path / "carbon_pools.csv"
    p.write_text(_POOLS_HEADER + rows, encoding="utf-8")
    df = read_invest_table(p)
    before = df.copy()
    with pytest.raises(FactorError, match=match):
        factor_table_from_invest(df, name="carbon_pools.csv")
    pd.testing.assert_frame_equal(df, before)  # the user's table is not modified
    assert p.read_text(encoding="utf-8") == _POOLS_HEADER + rows


def test_invest_columns_differing_only_in_case_refused(tmp_path):
    p = tmp_path / "carbon_pools.csv"
    p.write_text("lucode,C_above,c_below,c_soil,c_dead,c_above\n1,10,5,20,1,3\n", encoding="utf-8")
    with pytest.raises(FactorError, match=r"\['c_above'\] more than once \(names are case"):
        read_invest_table(p)


def test_plausible_pools_and_negative_codes_still_accepted(tmp_path):
    from urbansat.sinks.factors import MAX_POOL_DENSITY, factor_table_from_invest

    p = tmp_path / "carbon_pools.csv"
    # the densest biomass measured (1,867 t C ha-1) and deep peat stay below the guard
    p.write_text(
        _POOLS_HEADER + f"-1,1867,400,{MAX_POOL_DENSITY:g},50\n2,0,0,0,0\n", encoding="utf-8"
    )
    t = factor_table_from_invest(read_invest_table(p))
    assert sorted(t.data["lucode"].dropna().unique().tolist()) == [-1, 2]


@pytest.mark.parametrize(
    ("code", "shown"), [("10.9", "10.9"), ("", "nan"), ("ten", "'ten'"), ("inf", "inf")]
)
def test_legend_codes_that_are_not_integers_are_refused(tmp_path, code, shown):
    # 10.9 was truncated to class 10; a blank trailing row gave pandas' IntCastingNaNError
    from urbansat.errors import LegendError
    from urbansat.ingest.factors import read_legend
    from urbansat.sinks.legends import validate_legend

    p = tmp_path / "legend.csv"
    p.write_text(f"code,name,category\n40,Crop,cropland\n{code},Tree,forest\n", encoding="utf-8")
    before = p.read_bytes()
    with pytest.raises(
        LegendError, match=rf"'legend' has codes that are not integers \(row 1: {shown}"
    ):
        validate_legend(read_legend(p))  # as account_sinks(legend=...) does
    assert p.read_bytes() == before


def test_legend_mapping_with_a_fractional_or_boolean_code_is_refused():
    from urbansat.errors import LegendError
    from urbansat.sinks.legends import validate_legend

    for code in (10.5, True):
        df = pd.DataFrame({"code": [code, 40], "category": ["forest", "cropland"]})
        with pytest.raises(LegendError, match="not integers"):
            validate_legend(df)
    ok = validate_legend(pd.DataFrame({"code": [10.0, 40], "category": ["forest", "cropland"]}))
    assert ok.index.tolist() == [10, 40]


def test_legend_from_mapping_refuses_a_fractional_code_instead_of_truncating_it():
    # {1.5: "forest"} became class 1
    from urbansat.errors import LegendError
    from urbansat.sinks.legends import legend_from_mapping

    for code in (1.5, True, "ten"):
        with pytest.raises(LegendError, match=r"not integers \(row 0: "):
            legend_from_mapping({code: "forest", 40: "cropland"})
    ok = legend_from_mapping({10.0: "forest", "40": "cropland", np.int16(50): "forest"})
    assert ok.index.tolist() == [10, 40, 50] and ok.index.dtype == "int64"


@pytest.mark.parametrize(
    ("row", "match"),
    [
        # a row without a class was dropped without a word
        (",999,999,999,999", r"rows without a lucode \(row\(s\) \[2\]"),
        # pandas' "cannot safely cast non-equivalent float64 to int64"
        ("99999999999999999999,0,0,0,0", r"'lucode' must be integer class codes"),
    ],
)
def test_invest_table_row_without_a_usable_lucode_is_refused(tmp_path, row, match):
    from urbansat.ingest.factors import read_invest_table
    from urbansat.sinks.factors import as_factor_table

    p = tmp_path / "pools.csv"
    p.write_text(
        f"lucode,c_above,c_below,c_soil,c_dead\n10,100,20,50,5\n40,10,2,30,0\n{row}\n",
        encoding="utf-8",
    )
    before = p.read_bytes()
    with pytest.raises(FactorError, match=match):
        as_factor_table(read_invest_table(p))  # as account_sinks(factors=...) does
    assert p.read_bytes() == before


def test_tiles_of_two_epochs_are_refused_not_mosaicked(tmp_path):
    # the 2021 tile overwrote the 2020 one where they overlap, with year None and no warning
    from affine import Affine

    from urbansat.errors import AlignmentError

    res = 1 / 12000
    tr = Affine(res, 0, 6.0, 0, -res, 3.0)
    paths = []
    for year, ver, v in [(2020, "v100", 10), (2021, "v200", 20)]:
        p = tmp_path / f"ESA_WorldCover_10m_{year}_{ver}_N00E006_Map.tif"
        write_geotiff(p, np.full((8, 8), v, np.uint8), crs="EPSG:4326", transform=tr, nodata=0)
        paths.append(p)
    with pytest.raises(AlignmentError, match=r"give 2 years \(\{2020: \[.*2021: \["):
        open_landcover(paths)
    assert open_landcover(paths[0]).attrs["year"] == 2020  # one epoch still opens
