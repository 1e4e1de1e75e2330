"""A sink value whose factors have no range says so in its row, with the fix."""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import numpy as np
import shapely
import xarray as xr

import urbansat
from urbansat.categories import SINK_CATEGORIES


def _sinks(unranged: list[str], policy: str = "nan") -> xr.Dataset:
    cats = [*SINK_CATEGORIES, "total"]
    shape = (1, len(cats))
    net = np.zeros(shape)
    net[0, 0] = net[0, -1] = 120.0
    unc = np.where(net != 0, np.nan if policy == "nan" else 7.0, 0.0)
    zeros = np.zeros(shape)
    return xr.Dataset(
        {
            "net_sink": (("boundary", "category"), net, {"units": "t CO2 yr-1"}),
            "net_sink_uncertainty": (("boundary", "category"), unc, {"units": "t CO2 yr-1"}),
            **{
                v: (("boundary", "category"), zeros, {"units": u})
                for v, u in [
                    ("gross_removals", "t CO2 yr-1"),
                    ("gross_emissions", "t CO2 yr-1"),
                    ("stock_start", "t C"),
                    ("stock_end", "t C"),
                    ("area_start", "ha"),
                    ("area_end", "ha"),
                    ("area_change", "ha"),
                ]
            },
        },
        coords={"boundary": ["b1"], "category": cats},
        attrs={
            "method": "gain_loss",
            "factors": "ipcc2019 v1",
            "epochs": "2020/2021",
            "unranged_factors": json.dumps(unranged),
            "unranged_policy": policy,
        },
    )


B1 = {"geometry": [shapely.box(0, 0, 1, 1)], "crs": 4326}


def test_missing_sink_uncertainty_is_explained():
    b = gpd.GeoDataFrame(
        {"boundary_id": ["b1"], "name": ["B1"], "level": ["county"], "parent_id": [None]},
        geometry=[shapely.box(0, 0, 1, 1)],
        crs=4326,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = urbansat.tci231_indicators(
            sinks={"2021": _sinks(["10.c_above"])},
            boundaries=b,
            periods={"2021": ("2021-01-01", "2022-01-01")},
            collapse=False,  # keep the all-zero shrub rows, whose note is checked below
        )
    row = t[(t.target == "forest") & (t.indicator == "total_sink.net_sink")].iloc[0]
    assert row.value == 120.0 and np.isnan(row.uncertainty)
    assert "10.c_above" in row.note and "override" in row.note
    assert "uncertainty not available" not in row.method
    zero = t[(t.target == "shrub") & (t.indicator == "total_sink.net_sink")].iloc[0]
    assert "uncertainty not available" not in zero.note


def test_partial_sink_uncertainty_is_called_a_lower_bound():
    """account_sinks(unranged="exclude"): the interval leaves out the unranged factors.

    The row says so.
    """
    b = gpd.GeoDataFrame(
        {"boundary_id": ["b1"], "name": ["B1"], "level": ["county"], "parent_id": [None]}, **B1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = urbansat.tci231_indicators(
            sinks={"2021": _sinks(["95.removal"], policy="exclude")},
            boundaries=b,
            periods={"2021": ("2021-01-01", "2022-01-01")},
        )
    row = t[(t.target == "forest") & (t.indicator == "total_sink.net_sink")].iloc[0]
    assert row.uncertainty == 7.0
    assert "lower bound" in row.note and "95.removal" in row.note
    assert "lower bound" not in row.method
