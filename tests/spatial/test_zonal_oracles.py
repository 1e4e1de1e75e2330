"""Hand-computable oracles and exactextract agreement for class areas and zonal stats."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from affine import Affine

from urbansat.errors import AlignmentError, SchemaError
from urbansat.spatial.zonal import class_areas, class_transition_areas, zonal_stats

from ._helpers import make_boundaries, make_raster

T10 = Affine(10.0, 0.0, 500000.0, 0.0, -10.0, 4000030.0)  # 3x3 cells of 10 m, 100 m2 each


def test_quarter_pixel_rectangle_3x3():
    # classes encode the cell index 1..9; the rectangle covers the centre cell and
    # half of each edge cell and a quarter of each corner cell
    data = np.arange(1, 10, dtype=np.uint8).reshape(3, 3)
    da = make_raster(data, T10)
    rect = shapely.box(500005.0, 4000005.0, 500025.0, 4000025.0)
    df = class_transition_areas(da, None, make_boundaries([rect]))
    got = dict(zip(df["class_start"].tolist(), df["area_m2"].tolist(), strict=True))
    want = {1: 25.0, 2: 50.0, 3: 25.0, 4: 50.0, 5: 100.0, 6: 50.0, 7: 25.0, 8: 50.0, 9: 25.0}
    assert got == pytest.approx(want, rel=1e-12)
    assert (df["class_end"] == df["class_start"]).all()
    assert df["area_m2"].sum() == pytest.approx(rect.area, rel=1e-12)


def test_transitions_and_nodata_codes_reported():
    start = np.array([[1, 1, 2], [2, 0, 2], [3, 3, 3]], dtype=np.uint8)
    end = np.array([[1, 2, 2], [2, 0, 0], [3, 1, 3]], dtype=np.uint8)
    a, b = make_raster(start, T10, nodata=0), make_raster(end, T10, nodata=0)
    whole = shapely.box(500000.0, 4000000.0, 500030.0, 4000030.0)
    df = class_transition_areas(a, b, make_boundaries([whole]))
    got = {(s, e): v for s, e, v in zip(df.class_start, df.class_end, df.area_m2, strict=True)}
    want = {
        (1, 1): 100,
        (1, 2): 100,
        (2, 2): 200,
        (2, 0): 100,
        (0, 0): 100,
        (3, 3): 200,
        (3, 1): 100,
    }
    assert got == pytest.approx(want, rel=1e-12)
    assert df.attrs["nodata"] == 0
    ca = class_areas(a, make_boundaries([whole]))
    assert set(ca["class"]) == {1, 2, 3}
    assert ca["observed_area_m2"].iloc[0] == pytest.approx(800.0)
    assert ca["unobserved_area_m2"].iloc[0] == pytest.approx(100.0)
    assert ca["fraction"].sum() == pytest.approx(1.0, rel=1e-12)
    assert ca.loc[ca["class"] == 2, "area_ha"].iloc[0] == pytest.approx(0.03)


def test_coordinate_encoding_pixels_clip_exactly():
    # value = 1000*row + col: the mean over a polygon covering whole cells
    # (rows 2..4, cols 5..9) is the mean of those codes; min/max name the corners
    ny, nx = 12, 15
    rows, cols = np.mgrid[0:ny, 0:nx]
    data = (1000.0 * rows + cols).astype(np.float64)
    da = make_raster(data, T10)
    x0, y0 = T10.c + 10.0 * 5, T10.f - 10.0 * 2
    x1, y1 = T10.c + 10.0 * 10, T10.f - 10.0 * 5
    poly = shapely.box(x0, y1, x1, y0)
    zs = zonal_stats(da, make_boundaries([poly]), ("mean", "min", "max", "count", "sum"))
    sel = data[2:5, 5:10]
    assert zs["count"].iloc[0] == pytest.approx(sel.size, rel=1e-12)
    assert zs["mean"].iloc[0] == pytest.approx(sel.mean(), rel=1e-12)
    assert zs["sum"].iloc[0] == pytest.approx(sel.sum(), rel=1e-12)
    assert zs["min"].iloc[0] == 2005.0 and zs["max"].iloc[0] == 4009.0


def test_exactextract_agreement_synthetic(tmp_path):
    rng = np.random.default_rng(42)
    exactextract = pytest.importorskip("exactextract")
    ny, nx = 120, 170
    t = Affine(30.0, 0.0, 500000.0, 0.0, -30.0, 4000000.0)
    data = rng.integers(1, 7, size=(ny, nx)).astype(np.uint8)
    da = make_raster(data, t)
    centres = rng.uniform(
        [500000.0, 4000000.0 - ny * 30.0], [500000.0 + nx * 30.0, 4000000.0], (25, 2)
    )
    geoms = [
        shapely.Point(c).buffer(r, quad_segs=6)
        for c, r in zip(centres, rng.uniform(20, 900, 25), strict=True)
    ]
    # a donut and a two-part multipolygon crossing the raster edge
    donut = (
        shapely.Point(502400.0, 3998200.0)
        .buffer(1300.0)
        .difference(shapely.Point(502450.0, 3998150.0).buffer(555.0))
    )
    multi = shapely.MultiPolygon(
        [
            shapely.box(499950.0, 3997000.0, 500333.0, 3997777.0),
            shapely.box(504000.0, 3999000.0, 504444.4, 4000100.0),
        ]
    )
    gdf = make_boundaries([*geoms, donut, multi])
    path = tmp_path / "lc.tif"
    da.rio.to_raster(path)
    ee = exactextract.exact_extract(
        str(path), gdf, ["unique", "frac", "count"], include_cols=["boundary_id"], output="pandas"
    )
    ca = class_areas(da, gdf)
    cov = ca.groupby("boundary_id")[["observed_area_m2"]].first()
    for _, row in ee.iterrows():
        sub = ca[ca["boundary_id"] == row["boundary_id"]].set_index("class")
        assert set(sub.index) == set(np.asarray(row["unique"]).tolist())
        for u, f in zip(row["unique"], row["frac"], strict=True):
            assert sub.loc[u, "fraction"] == pytest.approx(f, rel=1e-6)
        assert cov.loc[row["boundary_id"], "observed_area_m2"] == pytest.approx(
            row["count"] * 900.0, rel=1e-6
        )
    values = rng.normal(400.0, 3.0, size=(ny, nx))
    values[rng.random((ny, nx)) < 0.05] = np.nan
    dv = make_raster(values, t)
    vpath = tmp_path / "v.tif"
    dv.rio.to_raster(vpath)
    ee2 = exactextract.exact_extract(
        str(vpath),
        gdf,
        ["count", "sum", "mean", "min", "max", "stdev"],
        include_cols=["boundary_id"],
        output="pandas",
    )
    zs = zonal_stats(dv, gdf, ("count", "sum", "mean", "min", "max", "std"))
    for a, b in [
        ("count", "count"),
        ("sum", "sum"),
        ("mean", "mean"),
        ("stdev", "std"),
        ("min", "min"),
        ("max", "max"),
    ]:
        np.testing.assert_allclose(zs[b].to_numpy(), ee2[a].to_numpy(), rtol=1e-6)


def test_float_categorical_and_misaligned_rasters_rejected():
    data = np.ones((3, 3), dtype=np.uint8)
    da = make_raster(data, T10)
    gdf = make_boundaries([shapely.box(500000.0, 4000000.0, 500030.0, 4000030.0)])
    with pytest.raises(SchemaError, match="masked=False"):
        class_areas(da.astype("float32"), gdf)
    other = make_raster(data, Affine(10.0, 0.0, 500005.0, 0.0, -10.0, 4000030.0))
    with pytest.raises(AlignmentError, match="reproject_match"):
        class_transition_areas(da, other, gdf)
    with pytest.raises(SchemaError, match="Unknown statistics"):
        zonal_stats(da, gdf, ("median",))


def test_zonal_weights_nodata_and_unobserved_area():
    data = np.array([[1.0, 2.0, -9.0], [3.0, np.nan, 5.0], [7.0, 8.0, 9.0]])
    da = make_raster(data, T10, nodata=-9.0)
    wts = make_raster(np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 3.0], [0.0, 0.0, 0.0]]), T10)
    whole = make_boundaries([shapely.box(500000.0, 4000000.0, 500030.0, 4000030.0)])
    zs = zonal_stats(da, whole, ("mean", "count", "sum", "min", "max"), weights=wts)
    # valid cells: 1, 2, 3, 5, 7, 8, 9 (nodata -9 and NaN are unobserved)
    assert zs["count"].item() == pytest.approx(7.0)
    assert zs["sum"].item() == pytest.approx(35.0)
    assert zs["mean"].item() == pytest.approx((1 * 1 + 3 * 1 + 5 * 3) / 5.0)
    assert zs["observed_area_m2"].item() == pytest.approx(700.0)
    assert zs["unobserved_area_m2"].item() == pytest.approx(200.0)
    assert (zs["min"].item(), zs["max"].item()) == (1.0, 9.0)
    # the inputs are untouched
    assert np.isnan(da.values[1, 1]) and da.values[0, 2] == -9.0


def test_outside_area_reported():
    data = np.ones((3, 3), dtype=np.uint8)
    da = make_raster(data, T10, nodata=0)
    # half of the 30 m x 60 m box hangs north of the raster
    box = make_boundaries([shapely.box(500000.0, 4000000.0, 500030.0, 4000060.0)])
    ca = class_areas(da, box)
    assert ca["area_m2"].item() == pytest.approx(900.0)
    assert ca["outside_area_m2"].item() == pytest.approx(900.0)
    zs = zonal_stats(da.astype("float64"), box, ("mean",))
    assert zs["outside_area_m2"].item() == pytest.approx(900.0)
    inside = make_boundaries([shapely.box(500000.0, 4000000.0, 500030.0, 4000030.0)])
    assert class_areas(da, inside)["outside_area_m2"].item() == 0.0
