"""Boundaries with integer ids (which require_boundaries accepts) reach the indicator table."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import shapely

import urbansat
from urbansat.testing.landcover import make_landcover_pair


def test_sink_indicators_of_boundaries_with_integer_ids():
    s, e = make_landcover_pair(shape_yx=(40, 40))
    x0, y0, x1, y1 = s.rio.bounds()
    b = gpd.GeoDataFrame(
        {"boundary_id": [1, 2], "name": ["a", "b"], "level": "county"},
        geometry=[
            shapely.box(x0, y0, (x0 + x1) / 2, y1),
            shapely.box((x0 + x1) / 2, y0, x1, y1),
        ],
        crs=s.rio.crs,
    )
    kw = {"climate_zone": "subtropical_humid_asia", "unranged": "exclude"}
    ds = urbansat.account_sinks(s, e, b, years=5, factors="china_literature", **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urbansat.UrbansatWarning)
        t = urbansat.tci231_indicators(sinks={"2020": ds}, boundaries=b, periods=["2020"])
    net = t[(t.target == "total") & (t.indicator == "total_sink.net_sink")]  # a KeyError before
    assert len(net) == 2 and (net.status == "ok").all()
    np.testing.assert_allclose(
        net.value.to_numpy(dtype=float),
        ds.net_sink.sel(category="total").to_numpy(),
        rtol=1e-12,
    )
