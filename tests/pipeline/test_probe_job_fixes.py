"""Job-runner reliability fixes found by probing (one test per fix, each fails on the old code)."""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
from jobs import small_job

from urbansat.errors import ConfigError, InputFileError, UnusedInputWarning
from urbansat.pipeline import run_job
from urbansat.pipeline.config import load_config, load_job_config, parse_job_config

DEMO = Path(__file__).resolve().parents[2] / "src" / "urbansat" / "data" / "demo"


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _sinks_job(tmp: Path, samples: Path, sinks: str) -> Path:
    """A job of [[sinks]] blocks on the WorldCover samples; ``sinks``: extra keys, "---" apart."""
    lc = samples / "landcover"
    text = f"""[job]
output_dir = "out"
periods = {{ "2020" = ["2020-01-01", "2021-01-01"], "2021" = ["2021-01-01", "2022-01-01"] }}
[[boundaries]]
path = "{(DEMO / "demo_regions.geojson").as_posix()}"
level = "region"
id_field = "id"
"""
    block = f"""
[[sinks]]
landcover_start = "{(lc / "ESA_WorldCover_10m_2020_v100_N00E006_Map.tif").as_posix()}"
landcover_end = "{(lc / "ESA_WorldCover_10m_2021_v200_N00E006_Map.tif").as_posix()}"
factors = "ipcc2019"
"""
    p = tmp / "job.toml"
    p.write_text(text + "".join(block + s + "\n" for s in sinks.split("---")))
    return p


def _quiet_run(cfg: dict) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_job(cfg, scheduler="synchronous", progress=False)


# 1 --------------------------------------------------------------------------------------------
def test_two_sinks_blocks_for_one_period_are_refused(tmp_path, project_samples):
    p = _sinks_job(tmp_path, project_samples, 'period = "2021"---period = "2021"')
    with pytest.raises(ConfigError, match=r"sinks\[0\] and sinks\[1\] both account period '2021';"):
        load_job_config(p)
    p = _sinks_job(tmp_path, project_samples, 'period = "2021"---')  # the default: last period
    with pytest.raises(ConfigError, match=r"period '2021' \(the last job period, the default\)"):
        load_job_config(p)
    p = _sinks_job(tmp_path, project_samples, 'period = "2020"---')  # one block per period: valid
    assert [s.period for s in load_job_config(p).sinks] == ["2020", "2021"]


# 2 --------------------------------------------------------------------------------------------
def test_emission_cache_key_holds_the_boundary_ids(tmp_path, project_samples):
    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")
    first = _quiet_run(cfg)
    assert any(k.startswith("emis-") for k in first.computed)
    b = Path(cfg["boundaries"][0]["path"])
    b.write_text(b.read_text().replace('"bowen"', '"bowen_box"'))  # same shape, new id
    second = _quiet_run(cfg)
    assert any(k.startswith("emis-") for k in second.computed)  # not the stale estimate
    em = second.emissions[("2022", "ch4")]
    assert list(map(str, em["source"].values)) == ["bowen_box"]
    assert set(second.indicators["boundary_id"]) == {"bowen_box"}


# 3 --------------------------------------------------------------------------------------------
def test_job_folder_with_glob_characters_reads_its_own_granules(tmp_path, project_samples):
    job = tmp_path / "run[1]"
    decoy = tmp_path / "run1"  # the glob "run[1]" matches this folder
    for d in (job, decoy):
        d.mkdir()
        (d / "granule.nc").write_bytes(b"x")
    (job / "job.toml").write_text(
        f"""[job]
output_dir = "out"
periods = ["2015"]
[[boundaries]]
path = "{(DEMO / "demo_regions.geojson").as_posix()}"
level = "region"
[[granules]]
name = "co2"
paths = ["granule.nc", "gran*.nc"]
"""
    )
    cfg = load_job_config(job / "job.toml")
    assert cfg.granules[0].files == (str((job / "granule.nc").resolve()),)


# 4 --------------------------------------------------------------------------------------------
def test_validation_exclude_naming_nothing_warns(demo_run):
    from urbansat.pipeline.steps import _validation

    path, result = demo_run
    cfg = load_config(path)
    assert cfg["validation"][0]["exclude"] == ["Berlin"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnusedInputWarning)  # the demo's own exclude matches
        _validation(cfg, result.indicators, result.emissions)
    cfg["validation"][0]["exclude"] = ["berlin"]  # the boundary id, not the source name
    with pytest.warns(
        UnusedInputWarning,
        match=r"validation\[0\]\.exclude: \['berlin'\] name no source .*'Berlin'.*exclude nothing",
    ):
        _validation(cfg, result.indicators, result.emissions)


# 5 --------------------------------------------------------------------------------------------
def test_profile_csv_is_resolved_against_the_toml_folder(tmp_path, project_samples, monkeypatch):
    job, elsewhere = tmp_path / "job", tmp_path / "elsewhere"
    job.mkdir()
    elsewhere.mkdir()
    prof = job / "myprof.csv"
    prof.write_text("profile,kind,index,factor\nmyprof,hour,0,1.0\n")
    (elsewhere / "myprof.csv").write_text("decoy\n")
    text = f"""[job]
output_dir = "out"
periods = ["2022"]
[[boundaries]]
path = "{(DEMO / "demo_counties.geojson").as_posix()}"
level = "county"
id_field = "id"
[[granules]]
name = "ch4"
paths = ["{(project_samples / "tropomi_ch4" / "S5P_RPRO_L2__CH4____*.SUB.nc4").as_posix()}"]
[[emissions]]
granules = "ch4"
method = "csf"
boundaries = true
wind = "granule"
"""
    (job / "job.toml").write_text(text + 'profile = "myprof.csv"\n')
    monkeypatch.chdir(elsewhere)
    cfg = load_job_config(job / "job.toml")
    assert cfg.emissions[0].profile == str(prof.resolve())
    assert cfg.input_files()["emissions[0].profile"] == str(prof.resolve())
    (job / "job.toml").write_text(text + 'profile = { bowen = "missing.csv", "*" = "flat" }\n')
    with pytest.raises(
        ConfigError, match=r"emissions\[0\]\.profile: 'bowen' = 'missing\.csv': file .*missing\.csv"
    ):
        load_job_config(job / "job.toml")


# 6 --------------------------------------------------------------------------------------------
def test_skipped_validation_replaces_the_previous_runs_table(tmp_path, project_samples):
    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")
    inv = project_samples / "inventory" / "coco2_ps_catalogue_v1.1.csv"
    cfg["validation"] = [{"inventory": str(inv), "key": "location", "gas": "co2"}]
    out = Path(cfg["job"]["output_dir"])
    out.mkdir(parents=True)
    stale = out / "validation_0.csv"
    stale.write_text("scope,key,estimate\nsource,Boxberg,1.0\n")  # the previous run's table
    before = _digest(inv)
    _quiet_run(cfg)  # the small job estimates CH4 only: nothing to compare with a CO2 catalogue
    table = pd.read_csv(stale)
    note = (
        "validation skipped: no co2 emission estimate in this run to compare with "
        "'coco2_ps_catalogue_v1.1.csv' (key = 'location'); add an [[emissions]] block whose "
        "granules measure co2"
    )
    assert list(table["note"]) == [note]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["steps"]["validation"]["status"] == "skipped"
    assert manifest["steps"]["validation"]["skipped"] == ["validation_0"]
    assert _digest(inv) == before


# 7 --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("formats", [["netcdf"], ["gpkg"], ["netcdf", "gpkg"]])
def test_formats_that_cannot_hold_validation_tables_are_refused(tmp_path, project_samples, formats):
    cfg = small_job(tmp_path, project_samples)
    inv = project_samples / "inventory" / "coco2_ps_catalogue_v1.1.csv"
    cfg["validation"] = [{"inventory": str(inv)}]
    cfg["outputs"] = {"formats": formats, "report": False}
    with pytest.raises(
        ConfigError,
        match=r"outputs\.formats: .*cannot hold the 1 \[\[validation\]\] table\(s\).*"
        r"add one of \['csv', 'parquet', 'json'\]",
    ):
        parse_job_config(cfg)
    cfg["outputs"]["formats"] = [*formats, "parquet"]
    parse_job_config(cfg)
    del cfg["validation"]
    cfg["outputs"]["formats"] = formats  # no validation table: the indicator table fits
    parse_job_config(cfg)


# 8 --------------------------------------------------------------------------------------------
def test_granule_in_no_period_warns_with_its_name_and_time(tmp_path, project_samples):
    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")
    cfg["job"]["periods"] = {"2021": ["2021-01-01", "2022-01-01"]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_job(cfg, progress=False)
    msgs = [
        str(w.message)
        for w in caught
        if issubclass(w.category, UnusedInputWarning) and "no job period" in str(w.message)
    ]
    assert len(msgs) == 1, msgs  # once per granule, not per step
    assert msgs[0].startswith("granule 'S5P_RPRO_L2__CH4____20220722T025309")
    assert "(2022-07-22 " in msgs[0] and "lies in no job period ['2021']" in msgs[0]


# 9 --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../../elsewhere", "a/b", "..", " x", "c:\\\\maps"])
def test_sinks_name_must_be_a_plain_name(tmp_path, project_samples, name):
    p = _sinks_job(tmp_path, project_samples, f'name = "{name}"\nwrite_rasters = true')
    with pytest.raises(ConfigError, match=r"sinks\[0\]\.name: .* is not a plain name"):
        load_job_config(p)
    assert not (tmp_path / "elsewhere").exists()


def test_sinks_names_used_twice_are_refused(tmp_path, project_samples):
    p = _sinks_job(tmp_path, project_samples, 'name = "city"\nperiod = "2020"---name = "city"')
    with pytest.raises(ConfigError, match=r"sinks: names \['city'\] are used twice"):
        load_job_config(p)


# 10 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", r"empty\.csv' is empty \(0 bytes\)"),
        (b"map,10,20\n10,caf\xe9,2\n", r"latin\.csv' is not UTF-8 .*save it as UTF-8"),
        (b"map\n", r"header\.csv' has no sample counts"),
    ],
    ids=["empty", "latin1", "header-only"],
)
def test_accuracy_samples_unreadable_file_is_an_input_file_error(tmp_path, content, match):
    from urbansat.pipeline.sinks_job import read_sample_counts

    name = {b"": "empty", b"map\n": "header"}.get(content, "latin")
    p = tmp_path / f"{name}.csv"
    p.write_bytes(content)
    with pytest.raises(InputFileError, match=match):
        read_sample_counts(p)
    assert p.read_bytes() == content


def test_accuracy_samples_are_read_and_guarded_as_an_input(tmp_path, project_samples):
    from urbansat.pipeline.sinks_job import read_sample_counts

    samples = tmp_path / "samples.csv"
    samples.write_bytes(b"\xef\xbb\xbfmap;10;20;total\n10;5;1;6\n20;0;4;4\n")  # Excel: BOM, ';'
    counts = read_sample_counts(samples)
    assert list(counts.index) == [10, 20] and list(counts.columns) == [10, 20, "total"]
    assert counts.loc[10, 20] == 1
    p = _sinks_job(tmp_path, project_samples, f'accuracy_samples = "{samples.as_posix()}"')
    assert load_job_config(p).input_files()["sinks[0].accuracy_samples"] == str(samples)
    shutil.copy(samples, tmp_path / "copy.csv")
    assert _digest(samples) == _digest(tmp_path / "copy.csv")


# 11 (repro_7) ---------------------------------------------------------------------------------
def test_a_list_of_wind_files_runs_and_each_file_is_an_input(tmp_path, project_samples):
    import xarray as xr

    from urbansat.pipeline.steps import _wind_arg

    s = project_samples / "smartcarb"
    wind = s / "SMARTCARB_winds_2015042311.nc"
    second = tmp_path / "wind2.nc"
    shutil.copy(wind, second)
    cfg = {
        "job": {"output_dir": str(tmp_path / "out"), "periods": ["2015"]},
        "boundaries": [
            {"path": str(DEMO / "demo_regions.geojson"), "level": "region", "id_field": "id"}
        ],
        "granules": [
            {"name": "co2", "paths": [str(s / "Sentinel_7_CO2_2015042311_o1670_l0483.nc")]}
        ],
        "emissions": [
            {
                "granules": "co2",
                "method": "ime",
                "sources": str(DEMO / "demo_sources.csv"),
                "wind": [{"path": str(wind)}, {"path": str(second), "sigma": 2.0}],
            }
        ],
        "outputs": {"formats": ["csv"], "report": False},
    }
    model = parse_job_config(cfg)
    files = model.input_files()
    assert files["emissions[0].wind[0].path"] == str(wind)
    assert files["emissions[0].wind[1].path"] == str(second)
    opened = _wind_arg(model.to_dict()["emissions"][0]["wind"])
    assert isinstance(opened, list) and all(isinstance(w, xr.Dataset) for w in opened)
    before = _digest(second)
    result = _quiet_run(cfg)
    assert result.emissions  # the old code failed: "User wind must be (u, v) ... got [{'path'"
    assert _digest(second) == before
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert str(second) in {i["path"] for i in manifest["inputs"]}


# 12 (repro_12) --------------------------------------------------------------------------------
def test_constant_background_serializes_without_a_pydantic_warning(tmp_path, project_samples):
    cfg = small_job(tmp_path, project_samples)
    cfg["concentration"] = {"background": {"ch4": [1850.0, 5.0]}}
    model = parse_job_config(cfg)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = model.to_dict()
    assert d["concentration"]["background"] == {"ch4": [1850.0, 5.0]}


# 13 (repro_13) --------------------------------------------------------------------------------
def test_empty_boundary_ids_are_refused(tmp_path, project_samples):
    cfg = small_job(tmp_path, project_samples)
    cfg["emissions"][0]["boundary_ids"] = []
    with pytest.raises(
        ConfigError,
        match=r"emissions\[0\]\.boundary_ids: is empty: give at least one boundary id, or leave "
        r"the key out for every boundary",
    ):
        parse_job_config(cfg)
    cfg["emissions"][0]["boundary_ids"] = ["bowen"]
    assert parse_job_config(cfg).emissions[0].boundary_ids == ["bowen"]
