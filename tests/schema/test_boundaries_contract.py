"""Boundary ids that no output file can hold are refused where the boundaries are checked."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from urbansat.errors import BoundaryError
from urbansat.schema.boundaries import require_boundaries


def test_ids_with_lone_surrogates_are_refused_naming_them():
    ids = pd.Series(["a\udcb1b", "c"], dtype=object)  # bytes decoded with surrogateescape
    b = gpd.GeoDataFrame({"boundary_id": ids}, geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=4326)
    with pytest.raises(BoundaryError, match=r"ids 'a\\udcb1b' are not valid Unicode"):
        require_boundaries(b)
    ok = b.assign(boundary_id=["ab", "c"])
    assert require_boundaries(ok) is ok
