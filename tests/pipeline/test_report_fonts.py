"""CJK text in figures is drawn, not boxed: the font fallback chain of urbansat.plot.fonts."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import pytest
import shapely

from urbansat.errors import UrbansatWarning
from urbansat.indicators.tables import indicator_spec
from urbansat.plot.fonts import cjk_family, font_rc, missing_glyphs
from urbansat.report import render_report
from urbansat.schema import TIDY_COLUMNS

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "boundaries"


def _texts() -> list[str]:
    spec = indicator_spec()
    names = gpd.read_file(SAMPLES / "china_selected_city_districts.geojson")
    return [
        *spec["name_zh"].astype(str),
        *(names["province"] + names["city"] + names["district"]).astype(str),
        "城市碳汇 net sink 生态碳汇总量 [t CO2 yr-1] 1σ",
    ]


def _draw(texts: list[str]) -> list[str]:
    """Draw every text on an Agg canvas; return matplotlib's missing-glyph warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots(figsize=(4, 3))
        for i, t in enumerate(texts):
            ax.text(0, i, t)
        fig.canvas.draw()
        plt.close(fig)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_every_cjk_text_the_library_and_samples_draw_has_glyphs():
    texts = _texts()
    assert missing_glyphs(texts) == ""
    with mpl.rc_context(font_rc()):
        assert _draw(texts) == []


def test_without_the_chain_the_same_texts_would_be_boxes():
    # proves the check above can fail: DejaVu Sans alone has no CJK glyph
    with mpl.rc_context({"font.family": ["DejaVu Sans"]}):
        assert _draw(["深圳市福田区"]) != []


def test_bundled_font_is_the_fallback_and_is_licensed():
    family, path = cjk_family()
    assert family and Path(path).is_file()
    if "subset" in Path(path).name:  # no CJK font installed: the shipped subset
        here = Path(path).parent
        assert (here / "OFL.txt").read_text().startswith("Copyright")
        assert "GB 2312" in (here / "PROVENANCE.md").read_text()


def test_report_warns_about_characters_no_font_has():
    bnd = gpd.GeoDataFrame(
        {
            "boundary_id": ["b1"],
            "name": ["\ue000 private-use name"],  # no font has a private-use glyph
            "level": ["city"],
            "parent_id": [""],
        },
        geometry=[shapely.box(0, 0, 1, 1)],
        crs=4326,
    )
    table = pd.DataFrame(columns=list(TIDY_COLUMNS))  # an empty table (contract C6)
    assert missing_glyphs(bnd["name"]) == "\ue000"
    with pytest.warns(UrbansatWarning, match="no available font can draw"):
        render_report(table=table, boundaries=bnd)
