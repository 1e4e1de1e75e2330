"""The sink GeoTIFFs of a job (``[[sinks]] write_rasters``): manifest outputs, stale, guards."""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from urbansat.errors import ConfigError, FactorError, OutputPathError
from urbansat.pipeline import job as job_mod
from urbansat.pipeline import run_job
from urbansat.pipeline.config import load_job_config
from urbansat.pipeline.manifest import read_manifest
from urbansat.testing.landcover import make_landcover_pair, write_geotiff

MAPS = [
    "density_start",
    "density_end",
    "density_change",
    "stock_start",
    "stock_end",
    "stock_change",
]
POOLS = ["c_above", "c_below", "c_soil", "c_dead"]
CITY = (
    'name = "city"\nperiod = "a"\nprice = 43.0\ndiscount_rate = 7.0\npools = ["c_above", "c_soil"]'
)
PARK = 'name = "park"\nperiod = "b"'


def _expected(pools: list[str], npv: bool) -> set[str]:
    names = [*MAPS, *(["npv_density", "npv"] if npv else []), *(f"{p}_start" for p in pools)]
    return {f"{n}.tif" for n in names + [f"{p}_end" for p in pools]}


@pytest.fixture
def lc(tmp_path):
    """Two small WorldCover epochs (2015, 2020) and a county box over them."""
    s, e = make_landcover_pair(shape_yx=(40, 40), chunks=16)
    paths = [
        write_geotiff(
            tmp_path / f"ESA_WorldCover_10m_{y}_v100_N22E113_Map.tif",
            a.values,
            crs=s.rio.crs,
            transform=s.rio.transform(),
            nodata=0,
        )
        for y, a in ((2015, s), (2020, e))
    ]
    gpd.GeoDataFrame(
        {"id": ["all"], "name": ["all"]}, geometry=[shapely.box(*s.rio.bounds())], crs=s.rio.crs
    ).to_file(tmp_path / "b.geojson", driver="GeoJSON")
    return paths


def _job(
    tmp: Path, lc: list[Path], *blocks: str, start: str | None = None, absolute: bool = False
) -> Path:
    """A job of [[sinks]] blocks (extra keys each) on the two epochs, maps written.

    ``start``: the last block's start epoch; ``absolute``: every path absolute (a job file
    that lies elsewhere).
    """

    def at(name: str) -> str:
        return (tmp / name).as_posix() if absolute else name

    text = f"""[job]
output_dir = "{at("out")}"
periods = {{ a = ["2015-01-01", "2018-01-01"], b = ["2018-01-01", "2021-01-01"] }}
[[boundaries]]
path = "{at("b.geojson")}"
level = "county"
id_field = "id"
[outputs]
formats = ["csv"]
report = false
"""
    for i, extra in enumerate(blocks):
        maps = "" if "write_rasters" in extra else "write_rasters = true"
        first = start if (start is not None and i == len(blocks) - 1) else at(lc[0].name)
        text += f"""
[[sinks]]
{extra}
landcover_start = "{first}"
landcover_end = "{at(lc[1].name)}"
legend = "worldcover"
factors = "ipcc2019"
climate_zone = "subtropical_humid_asia"
{maps}
"""
    p = tmp / "job.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _run(p: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_job(p, scheduler="synchronous", progress=False)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _tifs(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in (out / "rasters").rglob("*.tif")}


def _listed(out: Path) -> dict[str, dict]:
    return {o["path"]: o for o in read_manifest(out)["outputs"]}


def test_sink_geotiffs_are_manifest_outputs_with_checksums(tmp_path, lc):
    r = _run(_job(tmp_path, lc, CITY, PARK))
    out = tmp_path / "out"
    assert {p.name for p in (out / "rasters" / "city").iterdir()} == _expected(
        ["c_above", "c_soil"], npv=True
    )
    assert {p.name for p in (out / "rasters" / "park").iterdir()} == _expected(POOLS, npv=False)
    listed = _listed(out)
    assert _tifs(out) <= set(listed)  # every written GeoTIFF is an output of the run
    for rel in _tifs(out):
        p = out / rel
        assert listed[rel]["sha256"] == _sha(p) and listed[rel]["bytes"] == p.stat().st_size
    # the manifest lists exactly the files of the folder (no GeoTIFF unrecorded)
    on_disk = {
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and ".urbansat-cache" not in p.parts
    } - {"manifest.json", ".urbansat.lock"}
    assert set(listed) == on_disk
    assert {k: {p.name for p in v.values()} for k, v in r.rasters.items()} == {
        "city": _expected(["c_above", "c_soil"], npv=True),
        "park": _expected(POOLS, npv=False),
    }
    assert read_manifest(out)["steps"]["sinks"]["rasters"] == len(_tifs(out))


@pytest.mark.parametrize(
    "rerun",
    [(CITY,), (CITY, PARK.replace('"park"', '"forest"')), (CITY, PARK + "\nwrite_rasters = false")],
    ids=["section-removed", "section-renamed", "rasters-off"],
)
def test_rerun_that_no_longer_writes_a_sections_geotiffs_removes_them(tmp_path, lc, rerun):
    _run(_job(tmp_path, lc, CITY, PARK))
    out = tmp_path / "out"
    city = {t: _sha(out / t) for t in _tifs(out) if t.startswith("rasters/city/")}
    assert any(t.startswith("rasters/park/") for t in _tifs(out))
    _run(_job(tmp_path, lc, *rerun))
    assert not (out / "rasters" / "park").exists()  # its files are gone, then its empty folder
    assert {t for t in _tifs(out) if t.startswith("rasters/city/")} == set(city)
    listed = _listed(out)
    assert not any(p.startswith("rasters/park/") for p in listed)
    assert set(city) <= set(listed)
    renamed = {t for t in _tifs(out) if t.startswith("rasters/forest/")}
    assert renamed <= set(listed) and bool(renamed) == ("forest" in rerun[-1])


def test_rerun_with_fewer_maps_of_a_section_removes_the_others(tmp_path, lc):
    _run(_job(tmp_path, lc, CITY))
    out = tmp_path / "out" / "rasters" / "city"
    assert (out / "npv.tif").is_file() and (out / "c_above_start.tif").is_file()
    fewer = 'name = "city"\nperiod = "a"\npools = ["c_soil"]'  # no price: no NPV maps
    _run(_job(tmp_path, lc, fewer))
    assert {p.name for p in out.iterdir()} == _expected(["c_soil"], npv=False)
    assert {x for x in _listed(tmp_path / "out") if x.startswith("rasters/")} == {
        f"rasters/city/{n}" for n in _expected(["c_soil"], npv=False)
    }


def test_geotiffs_an_earlier_version_left_unrecorded_are_cleaned(tmp_path, lc):
    _run(_job(tmp_path, lc, CITY, PARK))
    out = tmp_path / "out"
    m = read_manifest(out)  # as urbansat wrote it before: the GeoTIFFs unlisted
    m["outputs"] = [o for o in m["outputs"] if not o["path"].startswith("rasters/")]
    (out / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    _run(_job(tmp_path, lc, CITY))
    assert not (out / "rasters" / "park").exists()
    assert {x for x in _listed(out) if x.startswith("rasters/")} == _tifs(out)
    assert all(t.startswith("rasters/city/") for t in _tifs(out)) and _tifs(out)


def test_unknown_pool_of_a_mapped_section_is_refused_before_anything_is_written(tmp_path, lc):
    p = _job(tmp_path, lc, 'name = "city"\nperiod = "a"\npools = ["c_above", "c_wood"]')
    with pytest.raises(FactorError, match=r"sinks\[0\] \('city'\): pools=.*unknown pool"):
        _run(p)
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_stale_geotiffs_go_but_a_file_the_job_did_not_write_stays(tmp_path, lc):
    _run(_job(tmp_path, lc, CITY, PARK))
    out = tmp_path / "out"
    mine = out / "rasters" / "park" / "notes.txt"  # put there by the user
    mine.write_text("keep me", encoding="utf-8")
    theirs = out / "rasters" / "old" / "density_change.tif"  # not written by this job
    theirs.parent.mkdir()
    shutil.copy(lc[0], theirs)
    _run(_job(tmp_path, lc, CITY))
    assert mine.read_text(encoding="utf-8") == "keep me"
    assert {p.name for p in mine.parent.iterdir()} == {"notes.txt"}  # only the job's maps went
    assert theirs.is_file()
    assert "rasters/park/notes.txt" not in _listed(out)


def test_geotiffs_of_a_run_that_failed_after_writing_them_are_removed_later(
    tmp_path, lc, monkeypatch
):
    _run(_job(tmp_path, lc, CITY))
    out = tmp_path / "out"

    def boom(*args, **kwargs):
        raise RuntimeError("simulated failure after the sinks step")

    monkeypatch.setattr(job_mod, "tci231_indicators", boom)
    with pytest.raises(RuntimeError, match="simulated failure"):
        _run(_job(tmp_path, lc, CITY, PARK))  # park's maps are written, then the run fails
    monkeypatch.undo()
    m = read_manifest(out)
    assert m["status"] == "failed" and m["outputs"] == []
    park = {t for t in _tifs(out) if t.startswith("rasters/park/")}
    assert park and park <= set(m["previous_outputs"])  # recorded although not claimed
    _run(_job(tmp_path, lc, CITY))
    assert not (out / "rasters" / "park").exists()
    assert read_manifest(out)["status"] == "complete"


@pytest.mark.parametrize(
    ("blocks", "match"),
    [
        (
            ('period = "a"', 'name = "sinks0"\nperiod = "b"'),
            (
                r"sinks\[1\]\.name: 'sinks0' is the default name of the unnamed sinks\[0\]; "
                r"both write their carbon maps to <output_dir>/rasters/sinks0/"
            ),
        ),
        (
            ('name = "sinks1"\nperiod = "a"', 'period = "b"'),
            (
                r"sinks\[1\]\.name: 'sinks1' \(the default name of this unnamed block\) is "
                r"the name of sinks\[0\]"
            ),
        ),
        (
            ('name = "City"\nperiod = "a"', 'name = "city"\nperiod = "b"'),
            r"'city' is 'City' \(sinks\[0\]\) but for case; .*case-insensitive file system",
        ),
    ],
    ids=["default-name", "default-name-later", "case"],
)
def test_sinks_sections_sharing_a_raster_folder_are_refused(tmp_path, lc, blocks, match):
    p = _job(tmp_path, lc, *blocks)
    with pytest.raises(ConfigError, match=match) as err:
        load_job_config(p)
    assert "their own names" in str(err.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("which", ["landcover", "boundaries", "job-file"])
def test_a_geotiff_over_an_input_is_refused_before_anything_is_written(tmp_path, lc, which):
    folder = tmp_path / "out" / "rasters" / "city"
    folder.mkdir(parents=True)
    if which == "landcover":  # an earlier run's map used as another section's land cover
        victim = folder / "density_start.tif"
        shutil.copy(lc[0], victim)
        p = _job(tmp_path, lc, CITY, PARK, start="out/rasters/city/density_start.tif")
        key = "sinks[1].landcover_start"
    elif which == "boundaries":
        victim = folder / "stock_end.tif"
        shutil.copy(tmp_path / "b.geojson", victim)
        p = _job(tmp_path, lc, CITY)
        p.write_text(p.read_text().replace('"b.geojson"', '"out/rasters/city/stock_end.tif"'))
        key = "boundaries[0].path"
    else:
        victim = folder / "npv.tif"
        shutil.copy(_job(tmp_path, lc, CITY, absolute=True), victim)
        p = victim  # the job file itself lies where a map goes
        key = "the job configuration"
    before = _sha(victim)
    with pytest.raises(OutputPathError) as err:
        _run(p)
    msg = str(err.value)
    assert "[[sinks]] 'city' (sinks[0], write_rasters = true)" in msg
    assert key in msg and str(victim) in msg
    assert "give sinks[0] another name" in msg and "write_rasters = false" in msg
    assert _sha(victim) == before
    assert not (tmp_path / "out" / "manifest.json").exists()
    assert not (tmp_path / "out" / ".urbansat-cache").exists()
