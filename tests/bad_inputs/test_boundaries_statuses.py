"""Boundaries whose CRS or shape lies, and statuses that must tell the truth (issue 15).

* CRS plausibility: degrees under a projected CRS and metres under a geographic one are
  refused by :func:`urbansat.read_boundaries` with a :class:`BoundaryCRSError` (a
  ``BoundaryError`` and a ``CRSError``) naming the file, the CRS and the fix.
* Antimeridian: a polygon written naively across 180 degrees is split, so its area (through
  :func:`urbansat.class_areas` / :class:`urbansat.Coverage`) equals that of the same box at
  longitude 0.
* Statuses: an epoch that is nodata inside a boundary gives ``no_data`` (naming the epoch),
  never 0 with ``ok``; a boundary with no sounding near it gives ``no_data``, neither
  ``rejected`` nor ``not_observable``.
* Cache keys follow the content of a user factor table.

Every case that reads files checks that no input file changed (sha256 before/after).
"""

from __future__ import annotations

import shutil
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine

import urbansat
from urbansat.errors import BoundaryCRSError, BoundaryError, CRSError, UrbansatWarning
from urbansat.schema import crosses_antimeridian, split_antimeridian
from urbansat.spatial.areas import ellipsoidal_cell_area

# the helpers of the file-gate cases: sha256 of a folder, and the no-hang alarm (autouse)
from .test_file_gate import _digest, _no_hang  # noqa: F401 - _no_hang is an autouse fixture

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))
from jobs import small_job

DISTRICTS_DEG = [shapely.box(113.2, 22.5, 113.4, 22.7), shapely.box(113.4, 22.5, 113.6, 22.7)]


def _write(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    driver = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".shp": "ESRI Shapefile"}[path.suffix]
    gdf.to_file(path, driver=driver)
    return path


def _naive_box(lon0: float, lat0: float) -> shapely.Polygon:
    """A 2 x 2 degree box from lon0 to lon0 + 2 written without wrapping (179 -> -179)."""
    lons = [lon0, lon0 + 2.0, lon0 + 2.0, lon0]
    lats = [lat0, lat0, lat0 + 2.0, lat0 + 2.0]
    return shapely.Polygon(
        [((x + 180.0) % 360.0 - 180.0, y) for x, y in zip(lons, lats, strict=True)]
    )


def _global_raster(step: float = 0.5):
    """All-forest WorldCover-coded lon/lat raster over the whole globe (pixel edges on 0.5 deg)."""
    from urbansat.testing.landcover import make_landcover

    ny, nx = round(180 / step), round(360 / step)
    return make_landcover(
        np.full((ny, nx), 10, np.uint8), transform=Affine(step, 0, -180, 0, -step, 90), year=2020
    )


# --------------------------------------------------------------------------- CRS plausibility
@pytest.mark.parametrize(
    ("crs", "name"),
    [
        ("EPSG:3857", "districts.gpkg"),
        ("EPSG:3857", "districts.geojson"),
        ("EPSG:32650", "districts.gpkg"),
        ("EPSG:3857", "districts.shp"),
    ],
)
def test_degrees_labelled_with_a_projected_crs_refused(tmp_path, crs, name):
    p = _write(
        gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=DISTRICTS_DEG, crs=crs), tmp_path / name
    )
    before = _digest(tmp_path)
    with pytest.raises(BoundaryCRSError) as err:
        urbansat.read_boundaries(p, level="county")
    msg = str(err.value)
    assert isinstance(err.value, BoundaryError) and isinstance(err.value, CRSError)
    assert str(p) in msg and crs in msg
    assert "within [-180, 180] x [-90, 90]" in msg and "longitude/latitude degrees" in msg
    assert "EPSG:4326" in msg and "reproject" in msg
    assert _digest(tmp_path) == before


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:4490"])
def test_metres_labelled_with_a_geographic_crs_refused(tmp_path, crs):
    metres = [shapely.box(500_000, 2_500_000, 510_000, 2_510_000)]  # UTM 50N, Shenzhen
    p = _write(gpd.GeoDataFrame({"id": ["a"]}, geometry=metres, crs=crs), tmp_path / "utm.gpkg")
    before = _digest(tmp_path)
    with pytest.raises(BoundaryCRSError) as err:
        urbansat.read_boundaries(p, level="county")
    msg = str(err.value)
    assert isinstance(err.value, BoundaryError)
    assert str(p) in msg and crs in msg and "impossible for the geographic CRS" in msg
    assert "set_crs" in msg and "reproject" in msg
    assert _digest(tmp_path) == before


def test_degrees_under_projected_crs_in_memory_refused():
    gdf = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=DISTRICTS_DEG, crs="EPSG:3857")
    kept = gdf.copy()
    with pytest.raises(BoundaryCRSError, match=r"the GeoDataFrame.*EPSG:3857.*EPSG:4326"):
        urbansat.read_boundaries(gdf, level="county")
    assert gdf.equals(kept) and gdf.crs == kept.crs  # never modified


def test_true_crs_labels_pass_with_their_areas(tmp_path):
    utm = [shapely.box(500_000, 2_500_000, 510_000, 2_510_000)]
    p_utm = _write(gpd.GeoDataFrame({"id": ["u"]}, geometry=utm, crs=32650), tmp_path / "u.gpkg")
    p_deg = _write(
        gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=DISTRICTS_DEG, crs=4326), tmp_path / "d.gpkg"
    )
    before = _digest(tmp_path)
    b_utm = urbansat.read_boundaries(p_utm, level="county")
    b_deg = urbansat.read_boundaries(p_deg, level="county")
    assert b_utm.area.iloc[0] == pytest.approx(1e8, rel=1e-12)  # 10 km x 10 km in metres
    assert b_deg.to_crs(32649).area.between(3e8, 5e8).all()  # ~20 km x 22 km each
    assert _digest(tmp_path) == before


# --------------------------------------------------------------------------- antimeridian
@pytest.mark.parametrize("lat0", [-1.0, 45.0, -61.0])
def test_antimeridian_box_has_the_area_of_the_same_box_at_zero(tmp_path, lat0):
    naive = _naive_box(179.0, lat0)
    assert naive.bounds[0] == -179.0 and naive.bounds[2] == 179.0  # the long way round, as written
    p = _write(
        gpd.GeoDataFrame(
            {"id": ["dateline", "greenwich"]},
            geometry=[naive, shapely.box(-1.0, lat0, 1.0, lat0 + 2.0)],
            crs=4326,
        ),
        tmp_path / "islands.geojson",
    )
    before = _digest(tmp_path)
    with pytest.warns(UrbansatWarning, match=r"\['dateline'\].*islands\.geojson.*antimeridian"):
        b = urbansat.read_boundaries(p, level="county")
    g = b.geometry.iloc[0]
    assert g.geom_type == "MultiPolygon" and sorted(round(x.bounds[0]) for x in g.geoms) == [
        -180,
        179,
    ]
    areas = urbansat.class_areas(_global_raster(), b)
    per = areas.groupby("boundary_id")[["observed_area_m2", "outside_area_m2"]].first()
    a_line, a_zero = (
        per.loc["dateline", "observed_area_m2"],
        per.loc["greenwich", "observed_area_m2"],
    )
    exact = float(ellipsoidal_cell_area(lat0, lat0 + 2.0, 2.0))  # Snyder eq. 3-12, WGS84
    assert a_zero == pytest.approx(exact, rel=1e-9)
    assert abs(a_line / a_zero - 1.0) < 1e-6
    assert (per["outside_area_m2"] == 0).all()  # polygon area == area found on the raster
    assert _digest(tmp_path) == before


def test_antimeridian_split_in_coverage_without_the_gate():
    gdf = gpd.GeoDataFrame(
        {"boundary_id": ["dateline", "greenwich"]},
        geometry=[_naive_box(179.0, 10.0), shapely.box(-1.0, 10.0, 1.0, 12.0)],
        crs=4326,
    )
    kept = gdf.copy()
    with pytest.warns(UrbansatWarning, match=r"\['dateline'\] cross the antimeridian"):
        cov = urbansat.Coverage(gdf, _global_raster())
    area = cov.covered_area_m2()
    assert abs(area[0] / area[1] - 1.0) < 1e-6
    assert abs(cov.boundary_area_m2[0] / cov.boundary_area_m2[1] - 1.0) < 1e-12
    assert gdf.geometry.equals(kept.geometry)  # the caller's frame is not modified


def test_antimeridian_polygon_with_a_hole():
    shell = [(179, 10), (-179, 10), (-179, 12), (179, 12)]
    hole = [(179.5, 10.5), (-179.5, 10.5), (-179.5, 11.5), (179.5, 11.5)]
    zero = shapely.Polygon(
        [(-1, 10), (1, 10), (1, 12), (-1, 12)],
        [[(-0.5, 10.5), (0.5, 10.5), (0.5, 11.5), (-0.5, 11.5)]],
    )
    gdf = gpd.GeoDataFrame(
        {"boundary_id": ["dateline", "greenwich"]},
        geometry=[shapely.Polygon(shell, [hole]), zero],
        crs=4326,
    )
    with pytest.warns(UrbansatWarning, match="antimeridian"):
        b = urbansat.read_boundaries(gdf, level="county")
    assert b.geometry.iloc[0].is_valid
    a = urbansat.class_areas(_global_raster(), b).groupby("boundary_id")["observed_area_m2"].first()
    assert abs(a["dateline"] / a["greenwich"] - 1.0) < 1e-6
    assert a["greenwich"] == pytest.approx(
        0.75
        * urbansat.class_areas(
            _global_raster(),
            gpd.GeoDataFrame(
                {"boundary_id": ["f"]}, geometry=[shapely.box(-1, 10, 1, 12)], crs=4326
            ),
        )["observed_area_m2"].iloc[0],
        rel=2e-3,
    )  # the hole is a quarter of the box (up to latitude)


def test_antimeridian_polygon_from_reprojection():
    """A box in a Mercator centred on 180 becomes a naive lon/lat polygon under to_crs."""
    sq = shapely.box(-100_000, 1_000_000, 100_000, 1_200_000)
    frames = {
        lon0: gpd.GeoDataFrame(
            {"boundary_id": [f"m{lon0}"]},
            geometry=[sq],
            crs=f"+proj=merc +lon_0={lon0} +datum=WGS84",
        )
        for lon0 in (180, 0)
    }
    assert crosses_antimeridian(frames[180].to_crs(4326).geometry.iloc[0])
    raster = _global_raster()
    with pytest.warns(UrbansatWarning, match=r"\['m180'\] cross the antimeridian"):
        a180 = urbansat.Coverage(frames[180], raster).covered_area_m2()[0]
    a0 = urbansat.Coverage(frames[0], raster).covered_area_m2()[0]
    assert abs(a180 / a0 - 1.0) < 1e-6


def test_polygon_around_a_pole_refused(tmp_path):
    ring = [(lon, 80.0) for lon in (0, 90, 180, -90)]  # crosses 180 and never comes back
    p = _write(
        gpd.GeoDataFrame({"id": ["cap"]}, geometry=[shapely.Polygon(ring)], crs=4326),
        tmp_path / "cap.gpkg",
    )
    before = _digest(tmp_path)
    with pytest.raises(BoundaryError, match=r"'cap'.*encloses a pole.*explicit edge"):
        urbansat.read_boundaries(p, level="region")
    assert _digest(tmp_path) == before


def test_polygons_that_do_not_cross_are_untouched():
    plain = shapely.box(-1, 10, 1, 12)
    east_360 = shapely.box(179, 10, 181, 12)  # 0..360 longitudes: continuous, not naive
    out, split = split_antimeridian([plain, east_360])
    assert not split.any() and out[0] is plain and out[1] is east_360
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no antimeridian warning for these
        b = urbansat.read_boundaries(
            gpd.GeoDataFrame({"id": ["p", "e"]}, geometry=[plain, east_360], crs=4326),
            level="county",
        )
    assert b.geometry.iloc[0].equals(plain) and b.geometry.iloc[1].equals(east_360)


# --------------------------------------------------------------------------- statuses
@pytest.mark.parametrize("empty", ["start", "end", "start and end"])
def test_epoch_nodata_inside_one_boundary_is_no_data(tmp_path, empty):
    from urbansat.testing.landcover import make_boundaries, make_landcover_pair, write_geotiff

    s, e = make_landcover_pair((40, 40))
    arrays = {"start": s.values.copy(), "end": e.values.copy()}
    for k in empty.split(" and "):
        arrays[k][:, :20] = 0  # WorldCover nodata over the whole of strip b0
    paths = {}
    for k, year in (("start", 2015), ("end", 2020)):
        paths[k] = write_geotiff(
            tmp_path / f"ESA_WorldCover_10m_{year}_v100_N22E113_Map.tif",
            arrays[k],
            crs=s.rio.crs,
            transform=s.rio.transform(),
            nodata=0,
        )
    before = _digest(tmp_path)
    lc0, lc1 = urbansat.open_landcover(paths["start"]), urbansat.open_landcover(paths["end"])
    b = make_boundaries(s, 2)
    ds = urbansat.account_sinks(lc0, lc1, b, climate_zone="subtropical_humid_asia")
    t = urbansat.tci231_indicators(
        sinks={"2020": ds}, boundaries=b, periods={"2020": ("2015-01-01", "2021-01-01")}
    )
    net = t[t.indicator == "total_sink.net_sink"].set_index(["boundary_id", "target"])
    b0 = net.loc["b0"]
    assert (b0.status == "no_data").all() and b0.value.isna().all()
    assert (b0.method == "").all()
    assert b0.note.str.endswith(
        f"no valid land-cover pixel in the boundary in the {empty} epoch"
        + ("s" if " and " in empty else "")
    ).all()
    assert not (
        ds.status.sel(boundary="b0") == "ok"
    ).any()  # the sink result does not say ok either
    ok = net.loc[("b1", "total")]
    assert ok.status == "ok" and np.isfinite(ok.value) and ok.value != 0
    assert _digest(tmp_path) == before


def _plume_case():
    from urbansat.testing.plumes import make_plume_swath

    sw, truth = make_plume_swath("tropomi", gas="ch4", emission=8.0, seed=3)
    lon, lat = truth["sources"]["longitude"].iloc[0], truth["sources"]["latitude"].iloc[0]
    b = gpd.GeoDataFrame(
        {
            "boundary_id": ["near", "far"],
            "name": ["around the source", "no sounding here"],
            "level": "county",
        },
        geometry=[
            shapely.box(lon - 0.1, lat - 0.1, lon + 0.1, lat + 0.1),
            shapely.box(10, 50, 11, 51),
        ],
        crs=4326,
    )
    return sw, truth, b


@pytest.mark.parametrize("method", ["ime", "csf"])
def test_boundary_without_soundings_is_no_data_not_rejected(method):
    from urbansat.indicators import boundary_concentrations

    sw, truth, b = _plume_case()
    em = urbansat.estimate_emissions(sw, boundaries=b, wind=truth["wind"], method=method)
    assert int(em["n_valid_near"].sel(source="far")) == 0
    assert int(em["n_valid_near"].sel(source="near")) > 0
    co = boundary_concentrations(sw, b)
    t = urbansat.tci231_indicators(emissions=em, concentrations=co, boundaries=b, periods=["p"])
    far = t[(t.boundary_id == "far") & (t.target == "ch4")].set_index("indicator")
    for ind in ("total_emission.emission_rate", "concentration.column_mean"):
        assert far.loc[ind, "status"] == "no_data", far.loc[ind, "note"]
        assert np.isnan(far.loc[ind, "value"])
    assert "outside the swath" in far.loc["total_emission.emission_rate", "note"]
    near = t[(t.boundary_id == "near") & (t.target == "ch4")].set_index("indicator")
    assert near.loc["concentration.column_mean", "status"] == "ok"
    assert near.loc["total_emission.emission_rate", "status"] in ("ok", "rejected")


def test_rejected_stays_rejected_when_soundings_were_there():
    from urbansat.indicators import tci231_indicators

    sw, truth, b = _plume_case()
    em = urbansat.estimate_emissions(sw, boundaries=b, wind=truth["wind"], method="ime")
    em = em.assign(qa_reason=("source", np.array(["forced: plume not detected"] * 2, dtype=object)))
    t = tci231_indicators(emissions=em, boundaries=b, periods=["p"])
    rate = t[(t.target == "ch4") & (t.indicator == "total_emission.emission_rate")].set_index(
        "boundary_id"
    )
    assert rate.loc["near", "status"] == "rejected"  # data there, estimate failed QA
    assert rate.loc["far", "status"] == "no_data"  # nothing there


def test_job_boundary_without_soundings_is_no_data(tmp_path, project_samples):
    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")
    bpath = Path(cfg["boundaries"][0]["path"])
    gpd.GeoDataFrame(
        {"id": ["bowen", "far"], "name": ["Bowen box", "no sounding here"]},
        geometry=[shapely.box(148.4, -23.0, 149.3, -22.3), shapely.box(10, 50, 11, 51)],
        crs=4326,
    ).to_file(bpath, driver="GeoJSON")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.move(bpath, inputs / bpath.name)
    cfg["boundaries"][0]["path"] = str(inputs / bpath.name)
    before = _digest(inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = urbansat.run_job(cfg, progress=False)
    t = r.indicators
    far = t[(t.boundary_id == "far") & (t.target == "ch4")].set_index("indicator")
    assert (far.status != "not_observable").all()
    for ind in (
        "total_emission.emission_rate",
        "total_emission.emission_amount",
        "concentration.column_mean",
    ):
        assert far.loc[ind, "status"] == "no_data", (ind, far.loc[ind, "note"])
    bowen = t[(t.boundary_id == "bowen") & (t.target == "ch4")].set_index("indicator")
    assert bowen.loc["concentration.column_mean", "status"] == "ok"
    assert _digest(inputs) == before


# --------------------------------------------------------------------------- cache keys
@pytest.mark.parametrize("form", ["invest", "csv"])
def test_cache_key_follows_the_content_of_a_user_factor_table(tmp_path, form):
    """Both user-table forms are read (a factor CSV was passed on as a table name and
    refused at run time) and keyed by their content."""
    from urbansat.testing.landcover import make_landcover_pair, write_geotiff

    s, e = make_landcover_pair((40, 40))
    for da, year in ((s, 2015), (e, 2020)):
        write_geotiff(
            tmp_path / f"ESA_WorldCover_10m_{year}_v100_N22E113_Map.tif",
            da.values,
            crs=s.rio.crs,
            transform=s.rio.transform(),
            nodata=0,
        )
    table = pd.DataFrame(
        {
            "lucode": [0, 10, 30, 40, 50, 80],
            "c_above": [0, 100, 5, 5, 0, 0],
            "c_below": [0, 30, 2, 1, 0, 0],
            "c_soil": [0, 80, 50, 40, 20, 0],
            "c_dead": [0, 5, 0, 0, 0, 0],
        }
    )
    table.to_csv(tmp_path / "bio.csv", index=False)
    gpd.GeoDataFrame(
        {"id": ["all"], "name": ["all"]}, geometry=[shapely.box(*s.rio.bounds())], crs=s.rio.crs
    ).to_file(tmp_path / "b.geojson", driver="GeoJSON")
    toml = tmp_path / "job.toml"
    toml.write_text(
        """
[job]
name = "factors"
output_dir = "out"
periods = { p = ["2015-01-01", "2021-01-01"] }

[[boundaries]]
path = "b.geojson"
level = "county"
id_field = "id"

[[sinks]]
name = "lc"
period = "p"
landcover_start = "ESA_WorldCover_10m_2015_v100_N22E113_Map.tif"
landcover_end = "ESA_WorldCover_10m_2020_v100_N22E113_Map.tif"
legend = "worldcover"
factors = "FACTORS"
method = "stock_difference"
years = 5

[outputs]
formats = ["csv"]
report = false
""",
        encoding="utf-8",
    )
    if form == "csv":  # the packaged long table copied and edited by the user
        import importlib.resources

        packaged = importlib.resources.files("urbansat.data") / "factors" / "ipcc2019_tier1_v3.csv"
        body = pd.read_csv(packaged, comment="#")
        body.to_csv(tmp_path / "mine.csv", index=False)
        zone = 'climate_zone = "subtropical_humid_asia"\n'
        toml.write_text(
            toml.read_text(encoding="utf-8").replace(
                'factors = "FACTORS"', 'factors = "mine.csv"\n' + zone
            ),
            encoding="utf-8",
        )
    else:
        toml.write_text(
            toml.read_text(encoding="utf-8").replace("FACTORS", "invest:bio.csv"),
            encoding="utf-8",
        )

    def net() -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = urbansat.run_job(toml, progress=False, scheduler="synchronous")
        return float(r.sinks["p"]["net_sink"].sel(category="total").sum())

    first = net()
    assert net() == first  # unchanged table: the cached step is reused
    if form == "csv":
        edited = body.copy()
        forest = (edited["category"] == "forest") & (edited["parameter"] == "c_above")
        for col in ("value", "low", "high"):
            edited.loc[forest, col] = edited.loc[forest, col] * 2
        edited.to_csv(tmp_path / "mine.csv", index=False)
    else:
        table.assign(c_above=table["c_above"] * 2).to_csv(tmp_path / "bio.csv", index=False)
    second = net()
    assert second != first and np.isfinite(second)  # edited table: recomputed, not reused


def test_a_polar_cap_and_a_global_box_keep_their_outline():
    # an edge of a whole turn (-180 -> 180) was read as a naive crossing: both became EMPTY
    import geopandas as gpd
    import shapely

    from urbansat.ingest.boundaries import read_boundaries

    cap, globe = shapely.box(-180, 66.5, 180, 90), shapely.box(-180, -90, 180, -60)
    gdf = gpd.GeoDataFrame({"id": ["arctic", "south"]}, geometry=[cap, globe], crs=4326)
    b = read_boundaries(gdf, level="region")
    assert not b.geometry.is_empty.any()
    assert b.geometry.iloc[0].equals(cap) and b.geometry.iloc[1].equals(globe)
    assert not crosses_antimeridian(cap)
