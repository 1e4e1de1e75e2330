"""The real 36000 x 36000 ESA WorldCover tile (São Tomé and Príncipe) against exactextract."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from urbansat.spatial.areas import row_areas
from urbansat.spatial.grid import GridSpec
from urbansat.spatial.zonal import class_areas, class_transition_areas

from ._helpers import make_boundaries

WC = "landcover/esa_worldcover/ESA_WorldCover_10m_{}_Map.tif"


def _principe_outline(path) -> shapely.Polygon:
    """Príncipe island outline polygonised from the tile's 1/16 overview land mask.

    Simplified and buffered by ~55 m so its edges cut 10 m pixels at arbitrary
    positions (partial coverage everywhere along the coast).
    """
    import rasterio
    from rasterio.features import shapes

    with rasterio.open(path) as src:
        arr = src.read(1, out_shape=(src.height // 16, src.width // 16))
        tr = src.transform @ src.transform.scale(16, 16)
    land = ((arr != 80) & (arr != 0)).astype(np.uint8)
    polys = [
        shapely.geometry.shape(g)
        for g, v in shapes(land, mask=land.astype(bool), transform=tr)
        if v == 1
    ]
    island = max((p for p in polys if p.bounds[1] > 1.0), key=lambda p: p.area)  # Príncipe (~1.6 N)
    return island.simplify(0.0015).buffer(0.0005, quad_segs=3)


@pytest.fixture(scope="module")
def worldcover(shared_samples):
    import rioxarray

    p20 = shared_samples / WC.format("2020_v100_N00E006")
    p21 = shared_samples / WC.format("2021_v200_N00E006")
    if not p20.exists():
        pytest.skip(f"{p20} not present")
    lc20 = rioxarray.open_rasterio(p20, chunks={"y": 4000, "x": 4000})
    lc21 = rioxarray.open_rasterio(p21, chunks={"y": 3000, "x": 5000})
    return p20, lc20, lc21


def test_worldcover_principe_matches_exactextract(worldcover):
    exactextract = pytest.importorskip("exactextract")
    path, lc20, _ = worldcover
    island = _principe_outline(path)
    gdf = make_boundaries([island], crs="EPSG:4326", ids=["principe"])
    ca = class_areas(lc20, gdf)
    assert lc20.shape == (1, 36000, 36000)  # opened lazily, whole tile
    ee = exactextract.exact_extract(
        str(path), gdf, ["coverage", "values", "center_y"], output="pandas"
    )
    cov, vals, cy = (
        np.asarray(ee[k].iloc[0], dtype=np.float64) for k in ("coverage", "values", "center_y")
    )
    grid = GridSpec.from_dataarray(lc20.isel(band=0))
    rows = np.round((grid.transform.f - cy) / abs(grid.transform.e) - 0.5).astype(int)
    area = cov * row_areas(grid.transform, grid.crs, 36000)[rows]
    ours = ca.set_index("class")["area_m2"]
    for k in np.unique(vals[vals != 0]):
        want = area[vals == k].sum()
        assert ours.loc[int(k)] == pytest.approx(want, rel=1e-6), k
    assert set(ours.index) == set(np.unique(vals[(vals != 0) & (cov > 0)]).astype(int))
    # total: the island's ellipsoidal area (geodesic polygon area, pyproj)
    from pyproj import Geod

    geod_area = abs(Geod(ellps="WGS84").geometry_area_perimeter(island)[0])
    total = ca["observed_area_m2"].iloc[0] + ca["unobserved_area_m2"].iloc[0]
    assert total == pytest.approx(geod_area, rel=1e-4)
    assert 130e6 < total < 160e6  # Príncipe is about 136-142 km2 (a buffered outline here)
    assert ca.loc[ca["class"] == 10, "fraction"].item() > 0.5  # mostly tree cover


def test_worldcover_2020_to_2021_transitions(worldcover):
    _, lc20, lc21 = worldcover
    island = _principe_outline(worldcover[0])
    gdf = make_boundaries([island], crs="EPSG:4326", ids=["principe"])
    tr = class_transition_areas(lc20, lc21, gdf)
    same = class_transition_areas(lc20, None, gdf)
    # marginals of the transition matrix are the class areas of each epoch
    m20 = tr.groupby("class_start")["area_m2"].sum()
    np.testing.assert_allclose(
        m20.to_numpy(), same.set_index("class_start")["area_m2"].loc[m20.index], rtol=1e-9
    )
    assert tr["area_m2"].sum() == pytest.approx(same["area_m2"].sum(), rel=1e-12)
    stable = tr.loc[tr.class_start == tr.class_end, "area_m2"].sum() / tr["area_m2"].sum()
    assert 0.5 < stable < 1.0  # v100 -> v200 changes are real but partial
