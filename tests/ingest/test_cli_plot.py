"""`urbansat info` / `urbansat plot` and plot_granule."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
from typer.testing import CliRunner

import urbansat
from urbansat.cli import app
from urbansat.plot.granules import plot_granule
from urbansat.testing.granules import write_oco_lite

BOWEN = (
    "S5P_RPRO_L2__CH4____20220722T025309_20220722T043439_24725_03_020400_20230201T033930.SUB.nc4"
)
SAHARA = (
    "S5P_OFFL_L2__CH4____20190311T101655_20190311T115825_07293_01_010202_20190317T121015.SUB.nc4"
)

runner = CliRunner()


def test_info_real_files(project_samples):
    d = project_samples / "tropomi_ch4"
    res = runner.invoke(app, ["info", "--json", str(d / BOWEN), str(d / SAHARA)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    bowen, sahara = rows
    assert bowen["product"] == "tropomi_l2_ch4" and bowen["product_version"] == "2.4.0"
    assert bowen["soundings"] == 463 and bowen["qa_pass"] == 269
    assert bowen["time_start"] == "2022-07-22T03:30:44"
    lon0, lat0, lon1, lat1 = bowen["bbox"]
    assert 148 <= lon0 < lon1 <= 150 and -23.5 <= lat0 < lat1 <= -22
    assert sahara["soundings"] == 3 and sahara["qa_pass"] == 0
    text = runner.invoke(app, ["info", str(d / BOWEN)])
    assert "QA pass      269 (58.1 %)" in text.stdout


def test_info_reports_errors_and_exit_code(tmp_path):
    bad = tmp_path / "x.nc"
    bad.write_text("not a granule")
    res = runner.invoke(app, ["info", str(bad)])
    assert res.exit_code == 1
    assert "InputFileError" in res.stderr and "x.nc" in res.stderr


def test_plot_cli_writes_png(tmp_path, project_samples):
    out = tmp_path / "map.png"
    res = runner.invoke(app, ["plot", str(project_samples / "tropomi_ch4" / BOWEN), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".tmp_*"))


def test_plot_granule_polygons(tmp_path):
    p = write_oco_lite(tmp_path, n_frames=20, seed=1)
    ds = urbansat.open_granules(p)
    ax = plot_granule(ds)
    colls = [c for c in ax.collections if isinstance(c, matplotlib.collections.PolyCollection)]
    assert len(colls) == 1
    assert len(colls[0].get_paths()) == int(ds.qa_pass.sum())
    np.testing.assert_allclose(
        np.sort(colls[0].get_array()), np.sort(ds.xco2.values[ds.qa_pass.values]), rtol=1e-6
    )
    matplotlib.pyplot.close("all")


def test_plot_cli_default_coastlines_and_boundaries(tmp_path, project_samples, monkeypatch):
    import matplotlib.pyplot as plt

    seen = {}
    real_savefig = plt.Figure.savefig

    def spy(self, *a, **k):
        seen["lines"] = sum(len(ax.collections) for ax in self.axes)
        return real_savefig(self, *a, **k)

    monkeypatch.setattr(plt.Figure, "savefig", spy)
    src = str(project_samples / "tropomi_ch4" / BOWEN)
    assert runner.invoke(app, ["plot", src, "-o", str(tmp_path / "a.png")]).exit_code == 0
    with_coast = seen["lines"]
    assert (
        runner.invoke(
            app, ["plot", src, "-o", str(tmp_path / "b.png"), "--no-coastlines"]
        ).exit_code
        == 0
    )
    assert with_coast == seen["lines"] + 1  # the country outlines
    res = runner.invoke(
        app, ["plot", src, "-o", str(tmp_path / "c.png"), "--boundaries", str(tmp_path / "no.shp")]
    )
    assert res.exit_code == 2 and "exist" in res.output  # typer usage error naming the option


def test_plot_refuses_bad_outputs_and_a_flag_variable(tmp_path, project_samples):
    import os
    import re
    import stat

    g = project_samples / "tropomi_ch4" / BOWEN
    (tmp_path / "notes.txt").write_text("mine")
    os.mkfifo(tmp_path / "pipe.png")
    cases = [
        # matplotlib's ValueError after the granule was read
        (["-o", str(tmp_path / "map.jpg2")], 2, r"\.jpg2 is not an image format"),
        # FileExistsError traceback from mkdir
        (["-o", str(tmp_path / "notes.txt" / "m.png")], 2, "lies under .*existing file"),
        # the FIFO became a regular file (now refused before the granule is read)
        (["-o", str(tmp_path / "pipe.png")], 2, "not a regular file"),
        # numpy's TypeError subtracting booleans in the colour scale
        (["-o", str(tmp_path / "m.png"), "--variable", "qa_pass"], 1, "Cannot colour by 'qa_pass'"),
    ]
    for args, code, match in cases:
        res = runner.invoke(app, ["plot", str(g), *args])
        text = res.output + (res.stderr if res.stderr_bytes is not None else "")
        assert res.exit_code == code, (args, text)
        assert re.search(match, " ".join(text.split())), (args, text)
        assert not isinstance(res.exception, (ValueError, TypeError, FileExistsError)), args
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe.png").st_mode)
    assert not (tmp_path / "m.png").exists() and not (tmp_path / "map.jpg2").exists()
