"""Issue 17 in the report: run_job hands its period totals and per-overpass table to the report.

A real job on four overpasses of the Bowen Basin (the shipped TROPOMI CH4 granule, copied with
its PRODUCT/time moved by -120, -60, 0 and +40 days) must give one time-series figure in the
HTML and the PDF, built from the same estimator result as the indicator table; a period with
one overpass (the demo) must give none.
"""

from __future__ import annotations

import shutil
import warnings
from html.parser import HTMLParser

import pandas as pd
import pytest
from jobs import small_job

from urbansat.pipeline import run_job
from urbansat.report import render_report
from urbansat.temporal import period_totals

pypdf = pytest.importorskip("pypdf", reason="pypdf (dev extra) reads the PDF back")

SHIFT_DAYS = (-120, -60, 0, 40)


class _Figures(HTMLParser):
    """Alt texts of the images inside the period-totals section."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = 0
        self.alts: list[str] = []
        self.rows = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and a.get("id") == "period-totals":
            self.inside = 1
        elif tag == "section" and self.inside:
            self.inside = 0
        if self.inside and tag == "img":
            self.alts.append(a.get("alt") or "")
        if self.inside and tag == "tr":
            self.rows += 1


def _alts(text: str) -> tuple[list[str], int]:
    p = _Figures()
    p.feed(text)
    return p.alts, p.rows - 1 if p.rows else 0  # minus the header row


@pytest.fixture(scope="module")
def four_overpasses(tmp_path_factory, project_samples):
    import netCDF4

    tmp = tmp_path_factory.mktemp("overpasses")
    granules = tmp / "granules"
    granules.mkdir()
    src = next((project_samples / "tropomi_ch4").glob("S5P_RPRO_L2__CH4____*.SUB.nc4"))
    for k, days in enumerate(SHIFT_DAYS):
        dst = granules / src.name.replace(".SUB.nc4", f"_shift{k}.SUB.nc4")
        shutil.copy(src, dst)
        with netCDF4.Dataset(dst, "a") as d:
            d["PRODUCT/time"][:] = d["PRODUCT/time"][:] + days * 86400
            # delta_time counts from PRODUCT/time: its units move with it (the reader checks)
            dt = d["PRODUCT/delta_time"]
            day = pd.Timestamp(str(dt.units).split("since", 1)[1].strip())
            dt.units = f"milliseconds since {day + pd.Timedelta(days=days):%Y-%m-%d %H:%M:%S}"
    cfg = small_job(tmp, project_samples, scheduler="synchronous")
    cfg["granules"][0]["paths"] = [str(granules / "*.nc4")]
    cfg["emissions"][0]["method"] = "csf"  # IME needs more of the plume band than this swath
    cfg["outputs"]["report"] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_job(cfg, progress=False)


def test_run_job_returns_the_per_overpass_table_and_period_totals(four_overpasses):
    r = four_overpasses
    key = ("2022", "ch4")
    totals, over = r.period_totals[key], r.overpasses[key]
    row = totals[totals["source"] == "bowen"].iloc[0]
    assert int(row["n_overpasses"]) == len(SHIFT_DAYS)
    assert len(over[over["source"] == "bowen"]) == len(SHIFT_DAYS)
    days = pd.to_datetime(over["time"]).sort_values().diff().dt.days.dropna().round().tolist()
    assert days == [60, 60, 40]
    # the same estimator result as the combined Dataset behind the indicator table
    ds = r.emissions[key]
    assert float(row["emission_t_per_yr"]) == pytest.approx(
        float(ds["emission_t_per_yr"].sel(source="bowen")), rel=1e-12
    )
    assert float(row["emission_t_per_yr_uncertainty"]) == pytest.approx(
        float(ds["emission_t_per_yr_uncertainty"].sel(source="bowen")), rel=1e-12
    )
    assert ds["overpass_emission_t_per_yr"].attrs["units"] == "t yr-1"
    assert ds.sizes["overpass"] == len(SHIFT_DAYS)


def test_report_shows_one_period_figure_per_multi_overpass_source(four_overpasses):
    r = four_overpasses
    alts, rows = _alts(r.report.read_text(encoding="utf-8"))
    assert alts == ["period total bowen ch4 2022"] and rows == 1
    text = " ".join(
        " ".join((p.extract_text() or "").split()) for p in pypdf.PdfReader(r.report_pdf).pages
    )
    assert "Period totals from overpasses" in text
    assert "bowen (CH4, 2022): overpass estimates" in text  # the figure's caption
    assert f"{len(SHIFT_DAYS)} (+0 rejected)" in text


def test_single_overpass_periods_get_no_period_figure(demo_run):
    _, r = demo_run
    assert r.period_totals and all((t["n_overpasses"] <= 1).all() for t in r.period_totals.values())
    assert 'id="period-totals"' not in r.report.read_text(encoding="utf-8")


def test_render_report_draws_only_sources_with_more_than_one_overpass(demo_run):
    _, r = demo_run
    times = pd.to_datetime(["2015-02-03T11:00", "2015-05-10T11:00", "2015-09-01T11:00"])
    est = pd.DataFrame(
        {
            "source": ["Janschwalde"] * 3 + ["Boxberg"],
            "time": [*times, times[0]],
            "emission_t_per_yr": [2.1e7, 2.4e7, 2.2e7, 1.5e7],
            "emission_t_per_yr_uncertainty": [3e6, 3e6, 3e6, 2e6],
        }
    )
    t, o = period_totals(est, periods=["2015"], details=True)
    table = r.indicators[r.indicators["boundary_id"] == "berlin"]
    kw = {"table": table, "boundaries": _bnd(table), "title": "t"}
    alts, rows = _alts(
        render_report(**kw, period_totals={("2015", "co2"): t}, overpasses={("2015", "co2"): o})
    )
    assert alts == ["period total Janschwalde co2 2015"] and rows == 1
    assert 'id="period-totals"' not in render_report(**kw)


def _bnd(table):
    import geopandas as gpd
    import shapely

    ids = list(table["boundary_id"].unique())
    return gpd.GeoDataFrame(
        {
            "boundary_id": ids,
            "name": ids,
            "level": [table.loc[table["boundary_id"] == b, "level"].iloc[0] for b in ids],
            "parent_id": [None] * len(ids),
        },
        geometry=[shapely.box(0, 0, 0.01, 0.01)] * len(ids),
        crs=4326,
    )
