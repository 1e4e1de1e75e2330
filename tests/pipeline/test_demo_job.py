"""The demo job end to end: every Table 1 row, outputs with provenance, validation, report."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import xarray as xr

from urbansat.categories import ATMOSPHERE_SCOPES, GASES, SINK_CATEGORIES, SINK_SCOPES
from urbansat.indicators import indicator_spec
from urbansat.status import VALUED

#: the periods each demo boundary tabulates ([[boundaries]] periods in demo_job.toml.in)
DEMO_PERIODS = {
    "berlin": "2015",
    "lusatia": "2015",
    "janschwalde": "2015",
    "bowen": "2022",
    "principe": "2021",
    "principe_project": "2021",
}


def test_every_table1_row_is_printed_or_listed_as_not_applicable(demo_run):
    """Each boundary: its period's rows that can be computed, and one summary row for the rest."""
    _, r = demo_run
    t = r.indicators
    assert set(t.level) == {"region", "county", "park", "project"}
    assert dict(t.groupby("boundary_id").period.first()) == DEMO_PERIODS
    assert not t.period.str.contains("->").any()  # one period per boundary: no change rows
    assert not t.status.isin(["no_data", "not_observable", "single_period", "rejected"]).any()
    summary = t[t.status == "not_applicable"]
    assert sorted(summary.boundary_id) == sorted(DEMO_PERIODS)  # one per boundary
    spec = indicator_spec()
    for bid, g in t.groupby("boundary_id"):
        level, p = g.level.iloc[0], DEMO_PERIODS[bid]
        listed = summary[summary.boundary_id == bid].note.iloc[0]
        keys = set(zip(g.target, g.indicator, strict=True))
        n = 0
        if level in ATMOSPHERE_SCOPES:
            for gas in GASES:
                for k in spec[spec.subject == "atmosphere"].key:
                    n += 1
                    assert (gas, k) in keys or gas in listed, (bid, gas, k, p)
        if level in SINK_SCOPES:
            for cat in [*SINK_CATEGORIES, "total"]:
                for k in spec[spec.subject == "sink"].key:
                    n += 1
                    assert (cat, k) in keys or cat in listed, (bid, cat, k, p)
        # the summary counts exactly the rows it replaces
        assert int(listed.split()[0]) == n - (len(g) - 1), (bid, listed)
    # no unobserved gas is ever zero, nor printed
    assert not t.target.isin(["pfcs", "hfcs", "sf6"]).any()


def _valued_with_uncertainty(t):
    return np.isfinite(t.value.astype(float)) & np.isfinite(t.uncertainty.astype(float))


def test_demo_rows_with_a_value_and_uncertainty(demo_run):
    """What the demo achieves now: every atmosphere row and every net sink has both."""
    _, r = demo_run
    t = r.indicators
    shown = t[t.status != "not_applicable"]
    assert t.status.isin([*VALUED, "not_applicable"]).all()
    atm = shown[shown.subject == "atmosphere"]
    assert len(atm) >= 20 and _valued_with_uncertainty(atm).all()
    net = shown[shown.indicator == "total_sink.net_sink"]
    assert len(net) == 6 and _valued_with_uncertainty(net).all()


@pytest.mark.xfail(
    strict=True,
    reason="issue 19 goal not met: 52 of the 76 demo rows (68.4 %) carry value and uncertainty; "
    "the 18 area rows (area_start/end/change) have none because the shipped WorldCover pair "
    "comes without an accuracy reference sample (account_sinks(accuracy=...)), and the 6 "
    "not_applicable rows have no value by definition",
)
def test_at_least_80_percent_of_demo_rows_carry_value_and_uncertainty(demo_run):
    _, r = demo_run
    assert _valued_with_uncertainty(r.indicators).mean() >= 0.80


def test_valued_atmosphere_rows_have_finite_uncertainty(demo_run):
    _, r = demo_run
    t = r.indicators
    rows = t[(t.subject == "atmosphere") & t.status.isin(VALUED)]
    assert len(rows) >= 15
    assert np.isfinite(rows.uncertainty).all(), rows[~np.isfinite(rows.uncertainty)]
    assert (rows.uncertainty > 0).all()


def test_known_demo_values(demo_run):
    _, r = demo_run
    t = r.indicators.set_index(["boundary_id", "target", "indicator", "period"])
    # Jänschwalde IME on SMARTCARB vs the true 42.40 Mt/yr at 11 UTC: within 2 sigma
    j = t.loc[("janschwalde", "co2", "total_emission.emission_rate", "2015")]
    # one overpass for a year: a value with the caveat that it is one overpass
    assert j.status == "partial" and "from fewer than 6 overpasses" in j.note
    assert abs(j.value - 42.40e6) < 2 * j.uncertainty
    # CH4 enhancement over the Bowen coal mines is positive (TROPOMI, real data)
    e = t.loc[("bowen", "ch4", "concentration.enhancement", "2022")]
    assert e.status == "ok" and e.value > 0 and e.n_obs > 10
    # N2O for Berlin comes from the (fixture) inventory and is labelled so
    n = t.loc[("berlin", "n2o", "total_emission.emission_rate", "2015")]
    assert n.status == "from_inventory" and n.value == pytest.approx(1550.0)
    # sinks: the total area of the project box is its geodesic area (WGS84), categories are
    # parts of it
    from pyproj import Geod
    from shapely.geometry import box

    area_ha = abs(Geod(ellps="WGS84").geometry_area_perimeter(box(7.39, 1.57, 7.41, 1.59))[0]) / 1e4
    s = r.indicators
    proj = s[
        (s.boundary_id == "principe_project")
        & (s.indicator == "resource_change.area_start")
        & (s.period == "2021")
    ]
    total = float(proj[proj.target == "total"].value.iloc[0])
    assert total == pytest.approx(area_ha, rel=0.005)
    assert proj[proj.target != "total"].value.sum() <= total * (1 + 1e-9)


def test_outputs_exist_with_provenance(demo_run):
    _, r = demo_run
    out = r.output_dir
    for ext in ("csv", "parquet", "nc", "gpkg", "json"):
        assert (out / f"indicators.{ext}").is_file()
    prov = json.loads((out / "indicators.csv.provenance.json").read_text())
    assert prov["urbansat_version"]
    names = {p["path"].split("/")[-1] for p in prov["inputs"]}
    assert "Sentinel_7_CO2_2015042311_o1670_l0483.nc" in names
    assert all(len(p["sha256"]) == 64 for p in prov["inputs"])
    meta = pq.read_schema(out / "indicators.parquet").metadata
    assert b"urbansat_provenance" in meta
    back = pd.read_parquet(out / "indicators.parquet")
    assert len(back) == len(r.indicators)
    with xr.open_dataset(out / "indicators.nc") as ds:
        assert "ACDD-1.3" in ds.attrs["Conventions"] and "urbansat_provenance" in ds.attrs
        v = ds["atmosphere_total_emission_emission_rate"]
        assert v.attrs["units"] == "t yr-1"
        assert float(
            v.sel(boundary="janschwalde", atmosphere_target="co2", atmosphere_period="2015")
        ) == pytest.approx(
            float(
                r.indicators.query(
                    "boundary_id=='janschwalde' and target=='co2' and "
                    "indicator=='total_emission.emission_rate' and period=='2015'"
                ).value.iloc[0]
            )
        )
    layers = dict(pyogrio.list_layers(out / "indicators.gpkg"))
    assert {"boundaries", "indicators", "provenance"} <= set(layers)
    g = pyogrio.read_dataframe(out / "indicators.gpkg", layer="indicators")
    assert len(g) == len(r.indicators) and g.geometry.notna().all()
    j = json.loads((out / "indicators.json").read_text())
    assert j["provenance"]["urbansat_version"] and len(j["rows"]) == len(r.indicators)
    wide = pd.read_csv(out / "indicators_wide.csv")
    assert "指标" not in wide.columns and "quantity_zh" in wide.columns


def test_validation_against_real_coco2_and_fixture(demo_run):
    _, r = demo_run
    v0 = r.validation["validation_0"].set_index("key")
    assert "Berlin" not in v0.index  # excluded: a city is not a power plant
    assert v0.loc["Janschwalde", "matched_ids"] == "CoCO2_14972"
    assert v0.loc["overall", "n"] >= 3 and np.isfinite(v0.loc["overall", "rmse"])
    v1 = r.validation["validation_1"].set_index("key")
    assert v1.loc["berlin", "inventory"] == pytest.approx(16872212.9159817)
    assert v1.loc["berlin", "n_matched"] == 5


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids, self.imgs, self.external, self.tables = [], [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag == "table":
            self.tables += 1
        for k in ("src", "href"):
            if a.get(k, "").startswith(("http:", "https:", "//")):
                self.external.append(a[k])


def test_report_structure(demo_run):
    _, r = demo_run
    text = r.report.read_text(encoding="utf-8")
    p = _Collect()
    p.feed(text)
    for bid in r.indicators.boundary_id.unique():
        assert f"b-{bid}" in p.ids
    assert {"summary", "validation", "methods", "provenance"} <= set(p.ids)
    assert p.external == []  # self-contained
    assert len(p.imgs) >= 10 and all(s.startswith("data:image/png;base64,") for s in p.imgs)
    assert p.tables >= 10
    assert "生态碳汇总量" in text and "total ecological carbon sink" in text
    assert re.search(r"Not applicable 不适用</b>: \d+ rows do not apply", text)
