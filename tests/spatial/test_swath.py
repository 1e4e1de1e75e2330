"""select_soundings and grid_soundings on hand-computable footprint layouts."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from urbansat.errors import EmptySelectionError, SchemaError, UrbansatWarning
from urbansat.spatial.grid import GridSpec
from urbansat.spatial.gridding import grid_soundings
from urbansat.spatial.swath import select_soundings

from ._helpers import make_boundaries, make_swath


def test_overlap_fractions_by_hand():
    sw = make_swath()  # 0.02 degree squares from (116, 39)
    b = make_boundaries([shapely.box(116.01, 39.01, 116.05, 39.03)], crs=4326)
    r = select_soundings(sw, b)
    assert r.attrs["selection_method"] == "footprint"
    assert r["y"].values.tolist() == [0, 0, 0, 1, 1, 1]
    assert r["x"].values.tolist() == [0, 1, 2, 0, 1, 2]
    np.testing.assert_allclose(
        r["overlap_fraction"].values, [0.25, 0.5, 0.25, 0.25, 0.5, 0.25], rtol=1e-9
    )
    assert set(r["boundary_id"].values) == {"b0"}
    assert r["xco2"].attrs["units"] == "ppm"
    r2 = select_soundings(sw, b, min_overlap=0.3)
    assert r2["x"].values.tolist() == [1, 1]
    # boundaries in a projected CRS work too (reprojected)
    r3 = select_soundings(sw, b.to_crs(32650))
    np.testing.assert_allclose(
        r3["overlap_fraction"].values, r["overlap_fraction"].values, atol=1e-3
    )


def test_buffer_km_and_two_boundaries():
    sw = make_swath()
    # a tiny box inside footprint (0, 0): 0.78 km from footprint (0, 1) (east),
    # 1.05 km from (1, 0) (north), 1.32 km from (1, 1) (diagonal)
    tiny = shapely.box(116.009, 39.0095, 116.011, 39.0105)
    b = make_boundaries([tiny, shapely.box(116.0, 39.0, 116.1, 39.12)], crs=4326)
    r = select_soundings(sw, b)
    assert (r["boundary_id"] == "b0").sum() == 1
    assert (r["boundary_id"] == "b1").sum() == 30  # every sounding, fully inside
    np.testing.assert_allclose(r["overlap_fraction"].values[r["boundary_id"].values == "b1"], 1.0)

    def picked(km):
        rb = select_soundings(sw, b.iloc[:1], buffer_km=km)
        return sorted(zip(rb["y"].values.tolist(), rb["x"].values.tolist(), strict=True))

    assert picked(1.0) == [(0, 0), (0, 1)]
    assert picked(1.2) == [(0, 0), (0, 1), (1, 0)]
    assert picked(1.4) == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_centre_fallback_warns():
    sw = make_swath().drop_vars(["latitude_bounds", "longitude_bounds"])
    b = make_boundaries([shapely.box(116.0, 39.0, 116.025, 39.025)], crs=4326)
    with pytest.warns(UrbansatWarning, match="centre point"):
        r = select_soundings(sw, b)
    assert r.attrs["selection_method"] == "centre"
    assert len(r["sounding"]) == 1 and r["overlap_fraction"].values.tolist() == [1.0]


def test_antimeridian_footprint():
    sw = make_swath(ny=1, nx=1, lon0=179.99, lat0=0.0)
    lb = sw["longitude_bounds"].values
    sw["longitude_bounds"].values[:] = np.where(lb > 180, lb - 360, lb)  # wrapped corners
    b = make_boundaries([shapely.box(-180.0, -1.0, -179.0, 1.0)], crs=4326)
    r = select_soundings(sw, b)
    np.testing.assert_allclose(r["overlap_fraction"].values, [0.5], rtol=1e-9)


def test_empty_selection_error():
    sw = make_swath()
    far = make_boundaries([shapely.box(10.0, 10.0, 11.0, 11.0)], crs=4326)
    with pytest.raises(EmptySelectionError, match="buffer_km"):
        select_soundings(sw, far)


def test_grid_uniform_field_and_conservation():
    sw = make_swath(ny=7, nx=5, value=412.5)
    g = grid_soundings(sw, resolution=0.015)
    vals = g["xco2"].values
    cov = g["weight_sum"].values > 0
    np.testing.assert_allclose(vals[cov], 412.5, rtol=1e-12)
    assert np.isnan(vals[~cov]).all()
    # every footprint lies inside the grid: its area shares sum to 1
    assert g["weight_sum"].values.sum() == pytest.approx(35.0, rel=1e-9)
    assert g["xco2"].attrs["units"] == "ppm" and g.rio.crs.to_epsg() == 4326


def test_grid_values_by_hand_and_inverse_variance():
    val = np.array([[1.0, 2.0], [3.0, 4.0]])
    sig = np.array([[1.0, 2.0], [1.0, 2.0]])
    sw = make_swath(ny=2, nx=2, value=val, sigma=sig, d=0.02)
    fine = grid_soundings(sw, grid=GridSpec.from_bbox((116.0, 39.0, 116.04, 39.04), 0.01))
    # north-up grid: row 0 is the top (y index 1 of the swath)
    np.testing.assert_allclose(
        fine["xco2"].values, [[3, 3, 4, 4], [3, 3, 4, 4], [1, 1, 2, 2], [1, 1, 2, 2]]
    )
    coarse = grid_soundings(sw, grid=GridSpec.from_bbox((116.0, 39.0, 116.04, 39.04), 0.04))
    assert coarse["xco2"].item() == pytest.approx(2.5)
    iv = grid_soundings(
        sw, grid=GridSpec.from_bbox((116.0, 39.0, 116.04, 39.04), 0.04), weights="inverse_variance"
    )
    w = 1 / sig.ravel() ** 2
    assert iv["xco2"].item() == pytest.approx((w * val.ravel()).sum() / w.sum(), rel=1e-12)
    # uncertainty of an inverse-variance mean of independent soundings: 1/sqrt(sum w)
    assert iv["xco2_uncertainty"].item() == pytest.approx(1 / np.sqrt(w.sum()), rel=1e-12)
    cen = grid_soundings(
        sw, grid=GridSpec.from_bbox((116.0, 39.0, 116.04, 39.04), 0.02), method="centre"
    )
    np.testing.assert_allclose(cen["xco2"].values, [[3, 4], [1, 2]])


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
@pytest.mark.parametrize("chunks", [None, {"y": 2}])
def test_inverse_variance_refuses_soundings_without_a_usable_sigma(bad, chunks):
    # 1 / 0 made the cells NaN, and a NaN or negative sigma dropped the sounding, silently
    sig = np.ones((6, 5))
    sig[3, 2] = bad
    sw = make_swath(sigma=sig)
    before = sw.copy(deep=True)
    with pytest.raises(SchemaError, match=r"needs a finite uncertainty > 0.*1 sounding\(s\)"):
        grid_soundings(
            sw if chunks is None else sw.chunk(chunks), resolution=0.02, weights="inverse_variance"
        ).compute()  # raised inside the dask task when lazy
    assert sw.identical(before)


def test_equal_weights_keep_soundings_without_sigma_and_say_the_sigma_is_unknown():
    val = np.arange(30.0).reshape(6, 5) + 400.0
    sig = np.ones((6, 5))
    ref = grid_soundings(make_swath(value=val, sigma=sig), resolution=0.02)
    sig[0, :] = np.nan  # e.g. a product whose uncertainty is missing on one scan line
    got = grid_soundings(make_swath(value=val, sigma=sig), resolution=0.02)
    # the mean uses every sounding (the row was dropped before: its cells were NaN) ...
    np.testing.assert_allclose(got["xco2"].values, ref["xco2"].values)
    # ... and the cells it reaches have an unknown sigma, the others the same one
    reached = np.isnan(got["xco2_uncertainty"].values)
    assert reached.sum() == 5
    np.testing.assert_allclose(
        got["xco2_uncertainty"].values[~reached], ref["xco2_uncertainty"].values[~reached]
    )


def test_grid_lazy_many_chunks_equals_numpy():
    rng = np.random.default_rng(5)
    val = rng.normal(410, 2, (23, 9))
    sw = make_swath(ny=23, nx=9, value=val, sigma=rng.uniform(0.5, 2, (23, 9)), d=0.013)
    ref = grid_soundings(sw, resolution=0.01, weights="inverse_variance")
    lazy = grid_soundings(sw.chunk({"y": 4}), resolution=0.01, weights="inverse_variance")
    assert lazy["xco2"].chunks is not None  # still lazy
    np.testing.assert_allclose(lazy["xco2"].values, ref["xco2"].values, rtol=1e-12)
    np.testing.assert_allclose(lazy["n_soundings"].values, ref["n_soundings"].values)


def test_grid_bad_inputs():
    sw = make_swath()
    with pytest.raises(SchemaError, match="exactly one"):
        grid_soundings(sw)
    with pytest.raises(SchemaError, match="method='centre'"):
        grid_soundings(sw.drop_vars(["latitude_bounds", "longitude_bounds"]), resolution=0.1)
    nothing = sw.assign(qa_pass=sw["qa_pass"] & False)
    with pytest.raises(EmptySelectionError, match="qa_only=False"):
        grid_soundings(nothing, resolution=0.1)
