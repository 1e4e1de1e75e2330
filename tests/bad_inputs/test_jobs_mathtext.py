"""Ids and names are data: drawn by matplotlib exactly as written, never parsed as mathtext."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))
from jobs import small_job

BAD = r"$\frac{a}$"  # malformed mathtext: matplotlib raises ValueError when drawing it
TEX = "$x$"  # well-formed: would be typeset as an italic x


def _shown(text_obj) -> tuple[str, bool]:
    """What matplotlib draws for a Text: (string, parsed as math?)."""
    s, ismath = text_obj._preprocess_math(text_obj.get_text())
    return s, bool(ismath)


def test_mathtext_escape():
    from urbansat.plot.text import mathtext_escape

    fig, ax = plt.subplots()
    for raw in (BAD, TEX, "a $ b", "plain"):
        t = ax.set_title(mathtext_escape(raw))
        assert _shown(t) == (raw, False)
    plt.close(fig)


def test_job_report_with_mathtext_ids(tmp_path, project_samples):
    import geopandas as gpd
    from shapely.geometry import box

    from urbansat.pipeline import run_job

    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")
    b = tmp_path / "ids.geojson"
    gpd.GeoDataFrame(
        {"id": [BAD, TEX], "name": [TEX, BAD]},
        geometry=[box(148.4, -23.0, 149.3, -22.3), box(149.4, -23.0, 149.8, -22.6)],
        crs=4326,
    ).to_file(b, driver="GeoJSON")
    cfg["boundaries"][0]["path"] = str(b)
    cfg["outputs"]["report"] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = run_job(cfg, progress=False)
    html = r.report.read_text(encoding="utf-8")
    assert "$\\frac{a}$" in html.replace("&#36;", "$") or "\\frac{a}" in html
    assert set(r.indicators["boundary_id"]) == {BAD, TEX}


def test_plot_functions_draw_ids_as_written(tmp_path):
    import pandas as pd

    from urbansat.plot.validation import plot_validation

    res = pd.DataFrame(
        {
            "scope": ["item", "item", "overall"],
            "key": [BAD, TEX, "overall"],
            "inventory": [1e6, 2e6, float("nan")],
            "estimate": [1.1e6, 1.9e6, float("nan")],
            "estimate_uncertainty": [1e5, 1e5, float("nan")],
            "inventory_uncertainty": [1e5, 1e5, float("nan")],
            "within_2sigma": [True, True, True],
            "difference": [0.0, 0.0, 0.0],
            "rmse": [1.0, 1.0, 1.0],
            "correlation": [1.0, 1.0, 1.0],
            "n": [1, 1, 2],
            "gas": ["co2"] * 3,
        }
    )
    ax = plot_validation(res)
    shown = {_shown(t) for t in ax.texts}
    assert (BAD, False) in shown and (TEX, False) in shown
    ax.figure.savefig(tmp_path / "v.png")  # drawing does not raise
    plt.close(ax.figure)


def test_cli_plot_boundaries_not_a_boundaries_file(tmp_path, project_samples):
    from urbansat.cli import app

    granule = next((project_samples / "tropomi_ch4").glob("S5P_*.nc4"))
    csv = tmp_path / "table.csv"
    csv.write_text("a,b\n1,2\n", encoding="utf-8")
    junk = tmp_path / "junk.geojson"
    junk.write_bytes(b"\x00\x01 not json")
    points = tmp_path / "points.geojson"
    points.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Point", "coordinates": [1, 2]}}]}',
        encoding="utf-8",
    )
    runner = CliRunner(env={"COLUMNS": "400"})
    for bad, needle in (
        (granule, "not a boundaries file"),
        (csv, "without geometry"),
        (junk, "not a boundaries file"),
        (points, "no polygons"),
        (tmp_path, "is not a file"),
    ):
        res = runner.invoke(
            app, ["plot", str(granule), "-o", str(tmp_path / "o.png"), "--boundaries", str(bad)]
        )
        text = " ".join(res.output.split())
        assert res.exit_code == 1, (bad, res.output)
        assert "BoundaryError" in text and needle in text and str(bad) in text, text
        assert res.exception is None or isinstance(res.exception, SystemExit)
    assert not (tmp_path / "o.png").exists()


def test_cli_plot_output_onto_its_input(tmp_path, project_samples):
    import shutil

    from urbansat.cli import app

    g = tmp_path / next((project_samples / "tropomi_ch4").glob("S5P_*.nc4")).name
    shutil.copy(next((project_samples / "tropomi_ch4").glob("S5P_*.nc4")), g)
    size = g.stat().st_size
    res = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["plot", str(g), "-o", str(g)])
    assert res.exit_code == 2 and "would overwrite the input" in " ".join(
        res.output.replace("│", " ").split()
    )
    assert g.stat().st_size == size
