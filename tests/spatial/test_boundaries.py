"""read_boundaries on the real sample boundaries and on every bad input."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely

from urbansat.errors import BoundaryError, CRSError, InputFileError, UrbansatWarning
from urbansat.ingest.boundaries import read_boundaries

COLS = ["boundary_id", "name", "level", "parent_id", "geometry"]


def _district_parent(adcode: str, cities: set[str]) -> str:
    parent = adcode[:4] + "00"
    return parent if parent in cities else adcode[:2] + "0000"  # Chongqing (500000)


def test_china_cities_and_districts_hierarchy(project_samples):
    d = project_samples / "boundaries"
    cities = read_boundaries(d / "china_selected_cities.geojson", level="region")
    assert len(cities) == 12 and list(cities.columns[:5]) == COLS
    assert cities["boundary_id"].str.fullmatch(r"\d{6}").all()
    assert "北京市" in set(cities["name"])
    raw = gpd.read_file(d / "china_selected_city_districts.geojson")
    city_ids = set(cities["boundary_id"])
    raw["city_adcode"] = [_district_parent(a, city_ids) for a in raw["adcode"]]
    districts = read_boundaries(raw, level="county", parent_field="city_adcode")
    assert "city_adcode" not in gpd.read_file(d / "china_selected_city_districts.geojson").columns
    assert len(districts) == 190
    assert set(districts["parent_id"]) == city_ids
    # every district lies in its parent city (representative point test, real geometry)
    parent_geom = cities.set_index("boundary_id").geometry
    pts = districts.geometry.representative_point()
    inside = [
        parent_geom[p].contains(pt) for p, pt in zip(districts["parent_id"], pts, strict=True)
    ]
    assert all(inside)


def test_us_counties(shared_samples):
    g = read_boundaries(shared_samples / "boundaries/us/us_counties.geojson", level="county")
    assert len(g) == 3233
    assert g.attrs["id_field"] == "fips" and g["boundary_id"].is_unique
    assert g.loc[g["boundary_id"] == "17031", "name"].item() == "Cook"


def test_tokyo_invalid_rings_repaired_with_warning(project_samples):
    with pytest.warns(UrbansatWarning, match="Repaired 10 invalid geometries"):
        g = read_boundaries(project_samples / "boundaries/tokyo/tokyomet262.shp", level="county")
    assert len(g) == 262 and g.geometry.is_valid.all()
    assert g["boundary_id"].str.fullmatch(r"\d{5}").all()
    raw = gpd.read_file(project_samples / "boundaries/tokyo/tokyomet262.shp")
    # repair keeps the area of each polygon (within 1 % - the self-intersections are slivers)
    np.testing.assert_allclose(g.geometry.area, raw.geometry.buffer(0).area, rtol=1e-2)


def test_chicago_missing_crs_and_fix(project_samples, tmp_path):
    path = project_samples / "boundaries/chicago/Chicago77.shp"
    with pytest.raises(CRSError, match="crs="):
        read_boundaries(path, level="region")
    g = read_boundaries(
        path, level="region", crs="EPSG:3435", id_field="AREA_NUMBE", name_field="COMMUNITY"
    )
    assert len(g) == 77 and g.crs.to_epsg() == 3435
    # the stored SHAPE_AREA is in US ft2 of Illinois East: our CRS reproduces it
    np.testing.assert_allclose(g.geometry.area, g["SHAPE_AREA"], rtol=1e-3)
    with pytest.raises(CRSError, match="impossible for the geographic CRS"):
        read_boundaries(path, level="region", crs=4326)
    # zipped shapefile
    z = tmp_path / "chicago.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for ext in ("shp", "shx", "dbf"):
            zf.write(path.with_suffix("." + ext), "Chicago77." + ext)
    gz = read_boundaries(z, level="region", crs="EPSG:3435", id_field="AREA_NUMBE")
    assert gz["boundary_id"].tolist() == g["boundary_id"].tolist()


def test_geopackage_layers(tmp_path):
    a = gpd.GeoDataFrame(
        {"id": [1, 2]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326
    )
    p = tmp_path / "b.gpkg"
    a.to_file(p, layer="parks")
    a.to_file(p, layer="projects")
    with pytest.raises(BoundaryError, match="layer="):
        read_boundaries(p, level="park")
    g = read_boundaries(p, level="park", layer="parks")
    assert g["boundary_id"].tolist() == ["1", "2"] and (g["level"] == "park").all()


def test_bad_inputs():
    sq = shapely.box(0, 0, 1, 1)
    good = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[sq, shapely.box(1, 0, 2, 1)], crs=4326)
    with pytest.raises(BoundaryError, match="level="):
        read_boundaries(good, level="city")
    with pytest.raises(InputFileError, match="does not exist"):
        read_boundaries("/nonexistent/b.geojson", level="region")
    dup = good.assign(id=["a", "a"])
    with pytest.raises(BoundaryError, match="Duplicate boundary ids"):
        read_boundaries(dup, level="region", id_field="id")
    empty = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[sq, shapely.Polygon()], crs=4326)
    with pytest.raises(BoundaryError, match=r"\['b'\].*empty"):
        read_boundaries(empty, level="region")
    nocrs = good.set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="no CRS"):
        read_boundaries(nocrs, level="region")
    with pytest.raises(CRSError, match="disagrees"):
        read_boundaries(good, level="region", crs=3857)
    lines = gpd.GeoDataFrame(
        {"id": ["a"]}, geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=4326
    )
    with pytest.raises(BoundaryError, match="not polygons"):
        read_boundaries(lines, level="region")
    with pytest.raises(BoundaryError, match="not a column"):
        read_boundaries(good, level="region", id_field="code")
    # the input frame is not modified
    before = good.copy()
    bow = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    g = good.assign(geometry=[bow, sq])
    snapshot = g.geometry.to_wkt().tolist()
    with pytest.warns(UrbansatWarning, match=r"ids \['a'\]"):
        out = read_boundaries(g, level="project")
    assert g.geometry.to_wkt().tolist() == snapshot and out.geometry.is_valid.all()
    assert out.geometry.iloc[0].area == pytest.approx(0.5)
    assert before.equals(good)


def test_identical_outlines_under_different_ids_warn():
    from urbansat.errors import DuplicateInputWarning

    sq = shapely.box(0, 0, 1, 1)
    # the same square, one copy with its ring starting elsewhere: still the same outline
    turned = shapely.Polygon([(1, 1), (0, 1), (0, 0), (1, 0)])
    g = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"]}, geometry=[sq, turned, shapely.box(1, 0, 2, 1)], crs=4326
    )
    with pytest.warns(DuplicateInputWarning, match=r"identical outlines: \[\['a', 'b'\]\]"):
        out = read_boundaries(g, level="region")
    assert out["boundary_id"].tolist() == ["a", "b", "c"]  # kept: they may be meant to coincide


def test_a_nan_vertex_is_refused_naming_the_boundary(tmp_path):
    """GEOS cannot orient a ring with a NaN vertex: the repair used to fail inside shapely."""
    with np.errstate(invalid="ignore"):  # shapely warns when it builds the ring
        nan_ring = shapely.Polygon([(0, 0), (1, 0), (np.nan, 1), (0, 1)])
    gdf = gpd.GeoDataFrame(
        {"id": ["ok", "bad"]}, geometry=[shapely.box(2, 2, 3, 3), nan_ring], crs=4326
    )
    before = gdf.copy()
    with pytest.raises(BoundaryError, match=r"\['bad'\] from .* NaN or infinite vertex"):
        read_boundaries(gdf, level="region")
    assert gdf.geometry.to_wkb().tolist() == before.geometry.to_wkb().tolist()
