"""The printable PDF report (issue 19 item 3): rendered, A4 pages, the text a reader looks for.

The PDF is read back with pypdf: page count and size, and the extracted text (boundary names,
a CJK boundary name, numbers of the indicator table), which also proves the text is real,
embedded text and not an image of it.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely

from urbansat.errors import UrbansatWarning
from urbansat.report import display_scale, write_report, write_report_pdf
from urbansat.report_pdf import html_to_pdf

pypdf = pytest.importorskip("pypdf", reason="pypdf (dev extra) reads the PDF back")

A4_PT = (595.28, 841.89)


def _read(path):
    reader = pypdf.PdfReader(str(path))
    return reader, [p.extract_text() or "" for p in reader.pages]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _shown(table, bid: str, indicator: str, target: str) -> str:
    """The display string of a row's value as the report shows it (t/kt/Mt, 3 digits)."""
    rows = table[
        (table["boundary_id"] == bid)
        & (table["indicator"] == indicator)
        & (table["target"] == target)
    ]
    v = rows["value"].to_numpy(dtype=float)
    div, _ = display_scale(str(rows["unit"].iloc[0]), v)
    return f"{v[np.isfinite(v)][0] / div:.3g}"


def test_demo_writes_a_pdf_with_a4_pages_and_one_section_per_boundary(demo_run):
    _, r = demo_run
    assert r.report_pdf is not None and r.report_pdf == r.report.with_suffix(".pdf")
    assert r.report_pdf.read_bytes()[:5] == b"%PDF-"
    reader, pages = _read(r.report_pdf)
    bids = list(r.indicators["boundary_id"].unique())
    assert len(pages) >= 1 + len(bids)  # the title page, then >= 1 page per boundary section
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(A4_PT[0], abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(A4_PT[1], abs=0.5)
    # every boundary section starts a page: its heading "<name> [<id>] ..." opens the page
    for bid in bids:
        assert any(f"[{bid}]" in _flat(" ".join(p.split("\n")[:2])) for p in pages), bid
    text = _flat("\n".join(pages))
    for name in r.indicators["name"].unique():
        assert _flat(str(name)) in text
    assert "城市大气" in text and "生态碳汇总量" in text  # CJK labels of the standard
    assert _shown(r.indicators, "berlin", "total_emission.emission_rate", "co2") in text
    assert _shown(r.indicators, "principe", "total_sink.net_sink", "forest") in text
    assert "Caveats" in text and "product versions" in text  # the WorldCover v100 -> v200 box
    assert "Provenance" in text and r.provenance["inputs"][0]["sha256"][:16] in text
    assert reader.metadata.title == r.provenance["options"]["job"]["name"]


def test_printed_figures_are_at_least_150_dpi_and_embedded_unresampled(demo_run):
    """Every report figure states >= 150 dpi, and the PDF keeps its pixels (no resampling).

    The PDF draws a figure at most at its physical size (pixels / dpi), so its printed
    resolution is at least the figure's own.
    """
    import base64
    import io
    import re

    from PIL import Image

    from urbansat.report_pdf import _png_dpi

    _, r = demo_run
    pngs = [
        base64.b64decode(b)
        for b in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", r.report.read_text())
    ]
    assert len(pngs) >= 10
    assert all(_png_dpi(b) >= 149.9 for b in pngs)  # pHYs holds whole pixels per metre
    sizes = sorted(Image.open(io.BytesIO(b)).size for b in pngs)
    reader = pypdf.PdfReader(str(r.report_pdf))
    # matplotlib shares one resource dictionary between the pages: each image once, by object
    drawn = {
        (im.indirect_reference.idnum, im.image.size) for page in reader.pages for im in page.images
    }
    assert sorted(size for _, size in drawn) == sizes


def test_a_png_without_a_stated_resolution_is_taken_as_90_dpi():
    import io

    from PIL import Image

    from urbansat.report_pdf import _png_dpi

    def png(**kw):
        buf = io.BytesIO()
        Image.new("RGB", (4, 3)).save(buf, format="png", **kw)
        return buf.getvalue()

    assert _png_dpi(png()) == 90.0
    assert _png_dpi(png(dpi=(300, 300))) == pytest.approx(300, abs=0.1)


def _cjk_case(demo_run, name: str):
    _, r = demo_run
    table = r.indicators[r.indicators["boundary_id"] == "berlin"].copy()
    table["name"] = name
    bnd = gpd.GeoDataFrame(
        {"boundary_id": ["berlin"], "name": [name], "level": ["region"], "parent_id": [None]},
        geometry=[shapely.box(13.2, 52.4, 13.6, 52.65)],
        crs=4326,
    )
    kwargs = {
        "table": table,
        "boundaries": bnd,
        "concentrations": r.concentrations,
        "soundings": r.soundings,
        "title": "深圳 report",
    }
    return table, kwargs


def test_cjk_boundary_name_is_drawn_and_searchable_without_missing_glyphs(demo_run, tmp_path):
    table, kwargs = _cjk_case(demo_run, "深圳市福田区硚口街道")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        html = write_report(tmp_path / "r.html", pdf=True, **kwargs)
    glyphs = [str(w.message) for w in caught if "missing from" in str(w.message).lower()]
    assert glyphs == [] and not [w for w in caught if issubclass(w.category, UrbansatWarning)]
    pdf = html.with_suffix(".pdf")
    _, pages = _read(pdf)
    text = _flat("\n".join(pages))
    assert "深圳市福田区硚口街道" in text and "深圳 report" in text
    assert _shown(table, "berlin", "total_emission.emission_rate", "co2") in text
    # write_report_pdf alone gives the same pages
    alone = write_report_pdf(tmp_path / "alone.pdf", **kwargs)
    assert len(_read(alone)[1]) == len(pages)


def test_a_character_no_font_has_is_named_and_printed_as_question_mark(demo_run, tmp_path):
    _, kwargs = _cjk_case(demo_run, "福田\ue000区")  # U+E000: private use, in no font
    with pytest.warns(UrbansatWarning, match="no available font") as rec:
        pdf = write_report_pdf(tmp_path / "r.pdf", **kwargs)
    assert any("PDF report" in str(w.message) and r"\ue000" in str(w.message) for w in rec)
    assert "福田?区" in _flat("\n".join(_read(pdf)[1]))


def test_long_tables_break_pages_and_repeat_their_header(tmp_path):
    rows = "".join(f"<tr><td>row {i:03d}</td><td>{i * 1.5:.1f} ± 0.2</td></tr>" for i in range(300))
    html = (
        "<html><body><header><h1>long</h1></header><main><section class='block'><h2>T</h2>"
        f"<table><tr><th>name col</th><th>value col</th></tr>{rows}</table></section>"
        "</main></body></html>"
    )
    n = html_to_pdf(html, tmp_path / "long.pdf", title="long")
    _, pages = _read(tmp_path / "long.pdf")
    assert n == len(pages) >= 3
    assert all("name col" in p for p in pages)  # the header on every page of the table
    text = "\n".join(pages)
    assert all(f"row {i:03d}" in text for i in range(300))  # no row lost at a page break
    assert text.index("row 099") < text.index("row 100") < text.index("row 299")


def test_pdf_path_equal_to_the_html_path_is_refused(demo_run, tmp_path):
    from urbansat.errors import OutputPathError

    _, kwargs = _cjk_case(demo_run, "Berlin")
    with pytest.raises(OutputPathError, match="overwrite the HTML"):
        write_report(tmp_path / "r.html", pdf=tmp_path / "r.html", **kwargs)
    assert not (tmp_path / "r.html").exists()


def test_run_job_never_writes_the_pdf_over_an_input(tmp_path, project_samples):
    from jobs import small_job

    from urbansat.errors import OutputPathError
    from urbansat.pipeline import run_job

    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")
    victim = tmp_path / "out" / "report.pdf"
    victim.parent.mkdir(parents=True)
    victim.write_bytes(b"%PDF-1.4 my own notes")
    cfg["outputs"]["report"] = True
    cfg["boundaries"][0]["path"] = str(victim)
    with pytest.raises(OutputPathError, match=r"report\.pdf"):
        run_job(cfg, progress=False)
    assert victim.read_bytes() == b"%PDF-1.4 my own notes"
    assert sorted(p.name for p in victim.parent.iterdir()) == ["report.pdf"]
