"""`urbansat invert`: one granule, a source table and a wind, on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

import urbansat
from urbansat.cli import app
from urbansat.inversion import METHODS, estimate_emissions
from urbansat.testing.granules import write_tropomi_ch4
from urbansat.testing.plumes import plume_field

runner = CliRunner()


def _text(res) -> str:
    """The output with typer's error box and line wrapping removed."""
    return " ".join(res.output.replace("│", " ").split())


@pytest.fixture(scope="module")
def mine(tmp_path_factory):
    """A TROPOMI CH4 granule (official layout) with a 20 kg/s plume, and its source table."""
    d = tmp_path_factory.mktemp("invert")
    src, q, wind = (149.0, -22.9), 20.0, (1.0, 5.0)
    f = plume_field(
        src, emission=q, wind=wind, gas="ch4", surface_pressure=98000.0, subsample_km=6.0
    )
    path = write_tropomi_ch4(
        d,
        center=(149.0, -22.75),
        enhancement=f,
        noise=10.0,
        wind=wind,
        bad_fraction=0.05,
        psurf=98000.0,
        seed=3,
    )
    table = d / "mines.csv"
    table.write_text("# test mines\nname,longitude,latitude\nmine,149.0,-22.9\nfar,10.0,10.0\n")
    return path, table, q


def test_invert_all_methods_writes_the_api_dataset_atomically(mine, tmp_path):
    path, table, q = mine
    before = path.read_bytes()
    out = tmp_path / "emissions.nc"
    res = runner.invoke(
        app,
        [
            "invert",
            str(path),
            "--sources",
            str(table),
            "--wind",
            "1.0,5.0,1.0",
            "-o",
            str(out),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == 2 * len(METHODS)  # every (method, source), the unusable one included
    by = {(r["method"], r["source"]): r for r in rows}
    for m in METHODS:
        r = by[(m, "mine")]
        assert (
            r["qa_reason"] == ""
            and r["lower_2sigma_t_per_yr"] < q * 31557.6 < r["upper_2sigma_t_per_yr"]
        )
        assert (
            "outside the swath" in by[(m, "far")]["qa_reason"]
            and by[(m, "far")]["emission_t_per_yr"] is None
        )
    # the file is the library's output (same numbers as the API call), strings as netCDF strings
    ds = xr.open_dataset(out)
    api = estimate_emissions(
        urbansat.open_granules(path),
        sources=pd.read_csv(table, comment="#"),
        wind=urbansat.open_wind((1.0, 5.0, 1.0)),
        method="all",
    )
    np.testing.assert_allclose(ds.emission.values, api.emission.values)
    assert list(ds.inversion_method.values) == list(METHODS) and ds.attrs["history"].startswith(
        "urbansat invert\n"
    )
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary file left beside it
    assert path.read_bytes() == before  # the input is untouched


def test_invert_table_one_method_and_granule_wind(mine):
    path, table, _ = mine
    res = runner.invoke(
        app,
        [
            "invert",
            str(path),
            "--sources",
            str(table),
            "--wind",
            "granule",
            "--wind-sigma",
            "1.0",
            "-m",
            "csf",
        ],
    )
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith(path.name) and "CH4 emissions [t/yr]" in lines[0]
    mine_line = next(x for x in lines if x.startswith("mine"))
    assert " csf " in mine_line and mine_line.split()[-1] in (
        "retrieval",
        "wind",
        "background",
        "model",
    )
    assert "outside the swath" in next(x for x in lines if x.startswith("far"))


@pytest.mark.parametrize(
    "args,match",
    [
        (["--wind", "fast"], "neither an existing file"),
        (["--wind", "1.0,5.0"], "no speed error"),
        (["--wind", "1,5,1", "-m", "magic"], "unknown"),
        (["--wind", "1,5,1", "--reader-option", "noise"], "KEY=VALUE"),
        (["--wind", "speed=5,direction=190"], "gives no speed error"),
        (["--wind", "speed=5,direction=fast,sigma=1"], "'direction=fast' is not KEY=NUMBER"),
        (["--wind", "speed=5,dir=190,sigma=1"], "unknown key"),
        (["--wind", "speed=5,speed=6,direction=190,sigma=1"], "'speed' is given twice"),
        (["--wind", "1,5,1", "--wind-direction-sigma", "400"], "direction_sigma=400"),
        # the surface file was ignored without a word
        (["--wind", "1,5,1", "--wind-surface", "sp.nc"], "--wind '1,5,1' is not a file"),
        (["--wind", "granule", "--wind-surface", "sp.nc"], "Drop --wind-surface"),
    ],
)
def test_invert_bad_input_names_the_value(mine, args, match):
    path, table, _ = mine
    before = [p.read_bytes() for p in (path, table)]
    res = runner.invoke(app, ["invert", str(path), "--sources", str(table), *args])
    assert res.exit_code != 0
    assert match in _text(res)
    assert [p.read_bytes() for p in (path, table)] == before  # the inputs are never touched


def test_invert_refuses_to_overwrite_an_input_and_needs_sources(mine):
    path, table, _ = mine
    res = runner.invoke(
        app, ["invert", str(path), "--sources", str(table), "--wind", "1,5,1", "-o", str(table)]
    )
    assert res.exit_code != 0 and "would overwrite the input '--sources'" in _text(res)
    assert table.read_text().startswith("# test mines")
    res = runner.invoke(app, ["invert", str(path), "--wind", "1,5,1"])
    assert res.exit_code != 0 and "--sources" in _text(res)
    # a directory as output is named as such, not as an input
    res = runner.invoke(
        app,
        ["invert", str(path), "--sources", str(table), "--wind", "1,5,1", "-o", str(path.parent)],
    )
    assert res.exit_code != 0 and "is an existing directory" in _text(res)
    assert "one of the inputs" not in _text(res)


@pytest.mark.parametrize("special", ["/dev/null", "fifo", "empty", "dir"])
def test_invert_file_gate_names_what_the_input_is(mine, tmp_path, special):
    import os

    path, _, _ = mine
    if special == "fifo":
        target = tmp_path / "sources.fifo"
        os.mkfifo(target)
    elif special == "empty":
        target = tmp_path / "sources.csv"
        target.write_text("")
    elif special == "dir":
        target = tmp_path
    else:
        target = Path(special)
    res = runner.invoke(app, ["invert", str(path), "--sources", str(target), "--wind", "1,5,1"])
    text = _text(res)
    assert res.exit_code != 0 and "--sources" in text
    want = {
        "/dev/null": "character device",
        "fifo": "FIFO",
        "empty": "is empty",
        "dir": "directory",
    }
    assert want[special] in text, text


def test_invert_smartcarb_with_reader_options_matches_the_benchmark_draw(project_samples):
    d = project_samples / "smartcarb"
    table = urbansat.__file__.replace("__init__.py", "data/demo/demo_sources.csv")
    res = runner.invoke(
        app,
        [
            "invert",
            str(d / "Sentinel_7_CO2_2015042311_o1670_l0483.nc"),
            "--wind",
            str(d / "SMARTCARB_winds_2015042311.nc"),
            "--sources",
            table,
            "--reader-option",
            "noise_ppm=0.5",
            "--reader-option",
            "seed=0",
            "-m",
            "gaussian",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = {
        r["source"]: r
        for r in map(json.loads, (x for x in res.stdout.splitlines() if x.startswith("{")))
    }
    assert len(rows) == 16  # every listed SMARTCARB source is reported, estimable or not
    j = rows["Janschwalde"]
    assert abs(j["emission_t_per_yr"] / 42.40e6 - 1) < 0.15
    assert j["lower_2sigma_t_per_yr"] < 42.40e6 < j["upper_2sigma_t_per_yr"]


def test_invert_boundaries_file_as_area_sources(mine, tmp_path):
    import geopandas as gpd
    from shapely.geometry import Polygon

    path, _, q = mine
    lon0, lat0, r = 149.0, -22.9, 8.0 / 111.2
    disk = Polygon(
        [
            (lon0 + r * np.cos(t) / np.cos(np.deg2rad(lat0)), lat0 + r * np.sin(t))
            for t in np.linspace(0, 2 * np.pi, 40)
        ]
    )
    f = tmp_path / "parks.geojson"
    gpd.GeoDataFrame({"park": ["park-7"]}, geometry=[disk], crs=4326).to_file(f)
    res = runner.invoke(
        app,
        [
            "invert",
            str(path),
            "--boundaries",
            str(f),
            "--id-field",
            "park",
            "--wind",
            "1.0,5.0,1.0",
            "-m",
            "bayesian",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    (row,) = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    assert row["source"] == "park-7" and row["method"] == "bayesian" and row["qa_reason"] == ""
    t_yr = q * 31_557_600 / 1e3  # kg/s -> t/yr (Julian year)
    assert row["lower_2sigma_t_per_yr"] < t_yr < row["upper_2sigma_t_per_yr"]


def test_invert_plot_dir_maps_every_prepared_source(mine, tmp_path):
    from PIL import Image

    path, table, _ = mine
    res = runner.invoke(
        app,
        [
            "invert",
            str(path),
            "--sources",
            str(table),
            "--wind",
            "1.0,5.0,1.0",
            "--plot-dir",
            str(tmp_path / "maps"),
        ],
    )
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in (tmp_path / "maps").iterdir())
    assert files == ["plume_mine.png"]  # 'far' is outside the swath: in the table, not mapped
    with Image.open(tmp_path / "maps" / "plume_mine.png") as im:
        assert im.size[0] > 300 and im.size[1] > 300


def test_invert_reads_a_spreadsheet_sources_file(mine, tmp_path):
    # Excel's "CSV UTF-8" in a ';' locale: a byte-order mark, ';' and decimal commas
    path, table, _ = mine
    excel = tmp_path / "mines_excel.csv"
    excel.write_text("name;longitude;latitude\nmine;149,0;-22,9\n", encoding="utf-8-sig")
    args = ["invert", str(path), "--wind", "granule", "--wind-sigma", "1.0", "-m", "csf", "--json"]
    a = runner.invoke(app, [*args, "--sources", str(table)])
    b = runner.invoke(app, [*args, "--sources", str(excel)])
    assert a.exit_code == 0 and b.exit_code == 0, (a.output, b.output)
    mine_a = next(json.loads(x) for x in a.stdout.splitlines() if '"mine"' in x)
    mine_b = next(json.loads(x) for x in b.stdout.splitlines() if '"mine"' in x)
    assert mine_a == mine_b


def test_invert_speed_direction_wind_and_direction_sigma(mine):
    """--wind speed=..,direction=.. equals its u,v; --wind-direction-sigma widens the wind term."""
    path, table, _ = mine

    def run(*wind_args):
        res = runner.invoke(
            app,
            ["invert", str(path), "--sources", str(table), "-m", "csf", "--json", *wind_args],
        )
        assert res.exit_code == 0, res.output
        rows = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
        return next(r for r in rows if r["source"] == "mine")

    uv = run("--wind", "1.0,5.0,1.0")
    # (u, v) = (1, 5) blows towards 11.3 deg east of north, i.e. from 191.3 deg
    speed, frm = np.hypot(1.0, 5.0), (np.degrees(np.arctan2(1.0, 5.0)) + 180.0) % 360.0
    sd = run("--wind", f"speed={float(speed)!r},direction={float(frm)!r},sigma=1.0")
    assert sd["emission_t_per_yr"] == pytest.approx(uv["emission_t_per_yr"], rel=1e-9)
    turned = run("--wind", "1.0,5.0,1.0", "--wind-direction-sigma", "10")
    assert turned["emission_t_per_yr"] == pytest.approx(uv["emission_t_per_yr"], rel=1e-12)
    assert turned["uncertainty_t_per_yr"] > uv["uncertainty_t_per_yr"]


@pytest.mark.parametrize(
    ("opt", "value", "match"),
    [
        # a traceback after the whole computation, from the write
        ("-o", "{table}/out.nc", "lies under .*which is an existing file, not a folder"),
        ("--plot-dir", "{table}", "--plot-dir .* is an existing file, not a directory"),
        # a netCDF was written into results.csv without a word
        ("-o", "{tmp}/results.csv", "the output is netCDF; give a name ending in .nc"),
    ],
)
def test_invert_refuses_bad_output_paths_before_any_work(mine, tmp_path, opt, value, match):
    import re

    path, table, _ = mine
    target = value.format(table=table, tmp=tmp_path)
    res = runner.invoke(
        app, ["invert", str(path), "--sources", str(table), "--wind", "1,5,1", opt, target]
    )
    assert res.exit_code == 2, _text(res)  # a usage error, not a traceback after the run
    assert re.search(match, _text(res)), _text(res)
    assert not (tmp_path / "results.csv").exists()


def test_invert_json_tells_an_open_interval_from_an_unknown_value(mine):
    """Infinite bounds were written as null, the same as "not computed"."""
    path, table, _ = mine
    # a 3 m/s error on a 5.1 m/s wind (59 %): the 2-sigma Fieller set is open above
    args = ["invert", str(path), "--sources", str(table), "--wind", "1.0,5.0,3.0", "--json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    ok = [r for r in rows if r["source"] == "mine" and r["qa_reason"] == ""]
    assert ok
    for r in ok:
        assert r["upper_2sigma_t_per_yr"] == "inf"
        assert float(r["upper_2sigma_t_per_yr"]) == np.inf
        assert np.isfinite(r["lower_2sigma_t_per_yr"])
    far = [r for r in rows if r["source"] == "far"]
    assert far and all(r["emission_t_per_yr"] is None for r in far)  # unknown stays null


def test_invert_into_an_unwritable_folder_fails_before_the_inversion(mine, tmp_path, monkeypatch):
    """It computed everything, printed the table, then ended in a traceback."""
    import os

    path, table, _ = mine
    ro = tmp_path / "ro"
    ro.mkdir()
    real = os.access
    monkeypatch.setattr(
        os, "access", lambda p, m, *a, **k: False if Path(p) == ro else real(p, m, *a, **k)
    )
    args = ["invert", str(path), "--sources", str(table), "--wind", "1.0,5.0,1.0"]
    res = runner.invoke(app, [*args, "-o", str(ro / "x.nc")])
    assert res.exit_code == 2 and "may not write to" in res.output
    assert "emission" not in res.stdout  # refused before any work
    assert list(ro.iterdir()) == []
