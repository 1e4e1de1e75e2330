"""account_sinks with a reused urbansat.Coverage equals one built per call; both epochs at once."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import urbansat
from urbansat.errors import AlignmentError
from urbansat.sinks import account_sinks
from urbansat.spatial import zonal as zonal_mod
from urbansat.testing.landcover import make_boundaries, make_landcover_pair

OPTS = {
    "years": 5,
    "climate_zone": "subtropical_humid_asia",
    "legend": "worldcover",
    "factors": "china_literature",
    "unranged": "exclude",
}


def test_account_sinks_with_coverage_equals_without_and_reads_each_block_once(monkeypatch):
    s, e = make_landcover_pair(shape_yx=(90, 70), seed=4)
    s2, e2 = make_landcover_pair(shape_yx=(90, 70), seed=9)
    bnd = make_boundaries(s, 4)
    ref = account_sinks(s, e, bnd, **OPTS)
    ref2 = account_sinks(s2, e2, bnd, **OPTS)
    cov = urbansat.Coverage(bnd, s)
    calls = []
    real = zonal_mod._class_block

    def counted(start, end, *args):
        calls.append(end is not None)
        return real(start, end, *args)

    monkeypatch.setattr(zonal_mod, "_class_block", counted)
    got = account_sinks(
        s.chunk({"y": 31, "x": 23}), e.chunk({"y": 31, "x": 23}), bnd, coverage=cov, **OPTS
    )
    got2 = account_sinks(s2, e2, bnd, coverage=cov, **OPTS)
    xr.testing.assert_allclose(got, ref, rtol=1e-12)
    xr.testing.assert_allclose(got2, ref2, rtol=1e-12)
    # fused: every block sees both epochs at once (3 x 4 dask blocks + 1 numpy block)
    assert calls == [True] * 13


def test_account_sinks_refuses_a_coverage_of_another_grid():
    s, e = make_landcover_pair(shape_yx=(40, 40))
    other, _ = make_landcover_pair(shape_yx=(41, 40))
    bnd = make_boundaries(s, 2)
    with pytest.raises(AlignmentError, match="not on the grid of this Coverage"):
        account_sinks(s, e, bnd, coverage=urbansat.Coverage(bnd, other), **OPTS)
    assert np.isfinite(
        account_sinks(s, e, bnd, coverage=urbansat.Coverage(bnd, s), **OPTS).net_sink
    ).all()
