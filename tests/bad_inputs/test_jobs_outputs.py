"""Outputs that can never destroy inputs: collisions are errors before anything is written."""

from __future__ import annotations

import hashlib
import shutil
import sys
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from urbansat.errors import InputFileError, OutputPathError
from urbansat.export.guard import check_output_dir, check_outputs, table_paths
from urbansat.pipeline import run_job

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))
from jobs import small_job


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _run(cfg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_job(cfg, progress=False, scheduler="synchronous")


@pytest.mark.parametrize("name", ["indicators.csv", "indicators.json", "indicators_wide.csv"])
def test_boundaries_input_named_like_an_output_table(tmp_path, project_samples, name):
    cfg = small_job(tmp_path, project_samples)
    out = Path(cfg["job"]["output_dir"])
    out.mkdir(parents=True)
    victim = out / name
    shutil.copy(cfg["boundaries"][0]["path"], victim)
    cfg["boundaries"][0]["path"] = str(victim)
    cfg["outputs"]["formats"] = ["csv", "json"]
    before = _digest(victim)
    with pytest.raises(OutputPathError) as err:
        _run(cfg)
    assert "boundaries[0].path" in str(err.value) and name in str(err.value)
    assert _digest(victim) == before
    assert sorted(p.name for p in out.iterdir()) == [
        name
    ]  # nothing else written, no cache, no manifest


def test_inventory_input_behind_a_symlink_is_caught(tmp_path, project_samples):
    cfg = small_job(tmp_path, project_samples)
    out = Path(cfg["job"]["output_dir"])
    out.mkdir(parents=True)
    inv = out / "indicators.csv"
    inv.write_text(
        "boundary_id,gas,period,emission_t_per_yr\nbowen,ch4,2022,1.0\n", encoding="utf-8"
    )
    link = tmp_path / "inventory_link.csv"
    link.symlink_to(inv)
    cfg["inventory"] = {"path": str(link)}
    before = _digest(inv)
    with pytest.raises(OutputPathError, match=r"inventory\.path"):
        _run(cfg)
    assert _digest(inv) == before


def test_relative_output_dir_resolving_onto_an_input(tmp_path, project_samples, monkeypatch):
    cfg = small_job(tmp_path, project_samples)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "o").mkdir()
    victim = tmp_path / "o" / "report.html"
    victim.write_text("<html>my notes</html>", encoding="utf-8")
    cfg["validation"] = []
    cfg["job"]["output_dir"] = "./o/../o"
    cfg["outputs"]["report"] = True
    cfg["boundaries"][0]["path"] = str(victim)
    with pytest.raises(OutputPathError, match=r"report\.html"):
        _run(cfg)
    assert victim.read_text(encoding="utf-8") == "<html>my notes</html>"


def test_output_dir_naming_an_existing_file(tmp_path, project_samples):
    cfg = small_job(tmp_path, project_samples)
    f = tmp_path / "results.txt"
    f.write_text("keep me", encoding="utf-8")
    cfg["job"]["output_dir"] = str(f)
    with pytest.raises(
        OutputPathError, match=r"job.output_dir .*results.txt.* is an existing file"
    ):
        _run(cfg)
    cfg["job"]["output_dir"] = str(f / "sub")
    with pytest.raises(OutputPathError, match="lies under"):
        _run(cfg)
    assert f.read_text(encoding="utf-8") == "keep me"


def test_cli_run_output_dir_is_a_file(tmp_path, project_samples):
    from urbansat.cli import app

    f = tmp_path / "out"
    f.write_text("x", encoding="utf-8")
    job = tmp_path / "job.toml"
    g = small_job(tmp_path / "in", project_samples)
    job.write_text(
        '[job]\noutput_dir = "out"\nperiods = ["2022"]\n[[boundaries]]\n'
        f'path = "{g["boundaries"][0]["path"]}"\n'
        'level = "county"\n',
        encoding="utf-8",
    )
    res = CliRunner().invoke(app, ["run", str(job), "--no-progress"])
    assert (
        res.exit_code == 2 and "is an existing file" in res.output and "Traceback" not in res.output
    )
    res = CliRunner().invoke(app, ["demo", "-o", str(f)])
    assert res.exit_code == 2 and "is an existing file" in res.output


def test_fifo_granule_refused_before_reading(tmp_path, project_samples):
    import os

    cfg = small_job(tmp_path, project_samples)
    fifo = tmp_path / "S5P_RPRO_L2__CH4____fifo.nc"
    os.mkfifo(fifo)
    cfg["granules"][0]["paths"] = [str(fifo)]
    with pytest.raises(InputFileError, match="is a FIFO"):
        _run(cfg)


def test_input_inside_the_cache_refused(tmp_path, project_samples):
    cfg = small_job(tmp_path, project_samples)
    cache = Path(cfg["job"]["output_dir"]) / ".urbansat-cache"
    cache.mkdir(parents=True)
    moved = cache / "bowen.geojson"
    shutil.copy(cfg["boundaries"][0]["path"], moved)
    cfg["boundaries"][0]["path"] = str(moved)
    with pytest.raises(OutputPathError, match="inside the job's cache"):
        _run(cfg)
    assert moved.is_file()


def test_guard_functions(tmp_path):
    a = tmp_path / "a.nc"
    a.write_bytes(b"x")
    hard = tmp_path / "hard.nc"
    hard.hardlink_to(a)
    with pytest.raises(OutputPathError, match="--wind"):
        check_outputs([hard], {"--wind": a})  # a hard link is the same file
    with pytest.raises(OutputPathError, match="existing directory"):
        check_outputs([tmp_path], [a])
    # a granule a job's pattern matched (e.g. an earlier run's indicators.nc): say so
    with pytest.raises(OutputPathError, match="matched by the granules pattern"):
        check_outputs([a], {"granules[0].files[1]": a})
    with pytest.raises(OutputPathError) as ei:
        check_outputs([a], {"--sources": a})
    assert "granules pattern" not in str(ei.value)
    with pytest.raises(OutputPathError, match="same file"):
        check_outputs([tmp_path / "o.nc", tmp_path / "x" / ".." / "o.nc"], [a])
    assert check_outputs([tmp_path / "new.nc"], [a]) == [(tmp_path / "new.nc").resolve()]
    assert check_output_dir(tmp_path / "new" / "dir") == (tmp_path / "new" / "dir").resolve()
    names = [
        p.name for p in table_paths(["indicators", "validation_0"], tmp_path, ["csv", "netcdf"])
    ]
    assert names == [
        "indicators.csv",
        "indicators.csv.provenance.json",
        "indicators.nc",
        "validation_0.csv",
        "validation_0.csv.provenance.json",
    ]


def test_table_paths_match_what_write_tables_writes(tmp_path):
    import pandas as pd

    from urbansat.export import write_tables

    df = pd.DataFrame({"a": [1.0], "b": ["x"]})
    written = write_tables({"other": df}, tmp_path, formats=["csv", "parquet", "json"], prov={})
    planned = set(table_paths(["other"], tmp_path, ["csv", "parquet", "json"]))
    assert {p.resolve() for p in written["other"]} <= {p.resolve() for p in planned}
    assert {p.name for p in tmp_path.iterdir()} == {p.name for p in planned}


@pytest.mark.parametrize("target", ["--wind", "--wind-surface", "--sources"])
def test_cli_invert_output_onto_wind_or_sources_refused(
    tmp_path, project_samples, target, monkeypatch
):
    from urbansat.cli import app

    sc = project_samples / "smartcarb"
    for name in (
        "SMARTCARB_winds_2015042311.nc",
        "SMARTCARB_ERA5-sfc-20150423t1100.nc",
        "sources-smartcarb.csv",
    ):
        shutil.copy(sc / name, tmp_path / name)
    wind = tmp_path / "SMARTCARB_winds_2015042311.nc"
    surface = tmp_path / "SMARTCARB_ERA5-sfc-20150423t1100.nc"
    sources = tmp_path / "sources-smartcarb.csv"
    victim = {"--wind": wind, "--wind-surface": surface, "--sources": sources}[target]
    digests = {p: _digest(p) for p in (wind, surface, sources)}
    link = tmp_path / "out_link.nc"
    link.symlink_to(victim)
    monkeypatch.chdir(tmp_path)
    for out in (victim, link, Path("sub") / ".." / victim.name):
        res = CliRunner(env={"COLUMNS": "500"}).invoke(
            app,
            [
                "invert",
                str(sc / "Sentinel_7_CO2_2015042311_o1670_l0483.nc"),
                "--wind",
                str(wind),
                "--wind-surface",
                str(surface),
                "--sources",
                str(sources),
                "-m",
                "ime",
                "-o",
                str(out),
            ],
        )
        assert res.exit_code == 2, res.output
        text = " ".join(res.output.replace("│", " ").split())
        assert "would overwrite the input" in text and target in text
    assert {p: _digest(p) for p in digests} == digests


def test_job_file_named_like_an_output_is_an_input_too(tmp_path):
    # the TOML saved as manifest.json in its own output folder: the run would replace the
    # user's job by the run manifest
    parks = Path(__file__).resolve().parents[2] / "src/urbansat/data/demo/demo_parks.geojson"
    shutil.copy(parks, tmp_path / "parks.geojson")
    job = tmp_path / "manifest.json"
    job.write_text(
        '[job]\nname = "t"\noutput_dir = "."\n'
        'periods = { "2015" = ["2015-01-01", "2016-01-01"] }\n\n'
        '[[boundaries]]\npath = "parks.geojson"\nlevel = "park"\nid_field = "id"\n\n'
        '[outputs]\nformats = ["csv"]\nreport = false\n',
        encoding="utf-8",
    )
    before = _digest(job)
    with pytest.raises(OutputPathError, match="would overwrite the input 'the job configuration'"):
        _run(job)
    assert _digest(job) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "parks.geojson"]


@pytest.mark.parametrize(
    ("key", "value"), [("time", ["2016-01-01", "2017-01-01"]), ("bbox", [20.0, 51.0, 21.0, 52.0])]
)
def test_granule_filter_that_selects_nothing_is_warned(tmp_path, project_samples, key, value):
    # the rows then said "no sounding covers the boundary", with exit 0 and not a word
    from urbansat.errors import EmptyResultWarning

    cfg = small_job(tmp_path, project_samples)
    cfg["granules"][0][key] = value
    with pytest.warns(EmptyResultWarning, match=rf"\[\[granules\]\] 'ch4': its filter \({key} ="):
        run_job(cfg, progress=False, scheduler="synchronous")
    cfg = small_job(tmp_path / "ok", project_samples)  # a filter that matches: no warning
    cfg["granules"][0]["bbox"] = [140.0, -30.0, 155.0, -15.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", EmptyResultWarning)
        run_job(cfg, progress=False, scheduler="synchronous")


def test_two_emission_blocks_estimating_one_source_are_refused(tmp_path, project_samples):
    # with different methods the second was dropped (its n_obs still added); with the same
    # method the error spoke of the Python API's period_totals, naming neither block
    from urbansat.errors import ConfigError

    cfg = small_job(tmp_path, project_samples)
    cfg["emissions"].append({**cfg["emissions"][0], "method": "gaussian"})
    with pytest.raises(
        ConfigError, match=r"emissions\[0\] and emissions\[1\] both estimate source 'bowen'"
    ):
        _run(cfg)


def test_a_file_where_the_cache_folder_goes_is_refused_before_writing(tmp_path, project_samples):
    # FileExistsError from mkdir, outside the run's error handling; manifest left "incomplete"
    cfg = small_job(tmp_path, project_samples)
    out = Path(cfg["job"]["output_dir"])
    out.mkdir(parents=True)
    (out / ".urbansat-cache").write_text("mine")
    with pytest.raises(OutputPathError, match=r"\.urbansat-cache' exists and is not a folder"):
        _run(cfg)
    assert (out / ".urbansat-cache").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == [".urbansat-cache"]


def test_emission_boundary_ids_that_no_boundary_has_are_named(tmp_path, project_samples):
    # an empty selection failed with "boundaries is empty ... a .query() on boundary_id"
    from urbansat.errors import ConfigError

    cfg = small_job(tmp_path, project_samples)
    cfg["emissions"][0]["boundary_ids"] = ["bowen_typo"]
    with pytest.raises(
        ConfigError, match=r"emissions\[0\]\.boundary_ids names \['bowen_typo'\].*\['bowen'\]"
    ):
        _run(cfg)
