"""The report shows masses in t / kt / Mt with the exact value on hover, warns when land-cover
epochs come from different product versions, and draws a period chart only for >1 period."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import xarray as xr

from urbansat.report import _caveats, _wide_html, display_scale


def test_display_scale_picks_the_prefix_of_the_largest_value():
    assert display_scale("t yr-1", [2.78e7, np.nan]) == (1e6, "Mt yr-1")
    assert display_scale("t C", [4.6e5, -2.9e3]) == (1e3, "kt C")
    assert display_scale("t CO2 yr-1", [-13.0]) == (1.0, "t CO2 yr-1")
    assert display_scale("ha", [1.9e6]) == (1.0, "ha")  # only masses are rescaled
    assert display_scale("t", [np.nan]) == (1.0, "t")


def _rows(bid: str = "x<b>") -> pd.DataFrame:
    base = {
        "boundary_id": bid,
        "name": "A & B",
        "level": "city",
        "subject": "atmosphere",
        "method": "ime",
        "n_obs": 10,
        "provenance": "",
    }
    return pd.DataFrame(
        [
            {
                **base,
                "target": "co2",
                "indicator": "total_emission.emission_rate",
                "period": "2015",
                "value": 2.7795e7,
                "unit": "t yr-1",
                "uncertainty": 2.4684e6,
                "status": "ok",
            },
            {
                **base,
                "target": "co2",
                "indicator": "concentration.column_mean",
                "period": "2015",
                "value": 405.6752,
                "unit": "ppm",
                "uncertainty": 0.0976,
                "status": "ok",
            },
        ]
    )


def test_wide_html_scales_masses_keeps_exact_value_on_hover_and_escapes():
    out = _wide_html(_rows())
    assert '<div class="tablewrap">' in out
    m = re.search(r'<span title="([^"]*)">([^<]*)</span>', out)
    assert m is not None
    title, shown = html.unescape(m.group(1)), html.unescape(m.group(2))
    assert shown == "27.8 ± 2.5" and title == "2.7795e+07 ± 2.47e+06 t yr-1"
    assert "Mt yr-1" in out
    assert "405.7 ± 0.098" in out  # not rescaled: the table's own 4 significant digits
    assert "<b>" not in out  # ids and names are data, escaped


def test_caveat_only_when_product_versions_differ():
    flag = xr.DataArray(
        np.array([["", "product_version_change (v100 -> v200)"], ["", ""]]),
        dims=("class_start", "class_end"),
    )
    same = xr.DataArray(np.array([["", "implausible_tree_gain"]]), dims=("a", "b"))
    [text] = _caveats({"2021": xr.Dataset({"transition_flag": flag})})
    assert "2021" in text and "(v100 -> v200)" in text and "error_adjusted_areas" in text
    assert _caveats({"2021": xr.Dataset({"transition_flag": same})}) == []
    assert _caveats(None) == []


def test_demo_report_has_the_version_caveat_and_scaled_units(demo_run):
    _, r = demo_run
    text = r.report.read_text(encoding="utf-8")
    assert 'id="caveats"' in text and "v100 -&gt; v200" in text
    assert "Mt yr-1" in text or "kt yr-1" in text
    # a boundary valued in one period only gets no "indicators by period" chart
    periods = (
        r.indicators[r.indicators.status.isin(["ok", "partial", "from_inventory"])]
        .query("~period.str.contains('->')", engine="python")
        .groupby("boundary_id")["period"]
        .nunique()
    )
    charts = len(re.findall(r'alt="period change ', text))
    assert charts == int((periods > 1).sum())
