"""plot_boundaries draws a choropleth of per-boundary results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from urbansat.errors import BoundaryError
from urbansat.plot.boundaries import plot_boundaries

from ._helpers import make_boundaries


def test_choropleth_colours_each_boundary():
    gdf = make_boundaries([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    res = pd.DataFrame({"boundary_id": ["b0", "b1"], "mean": [1.0, 3.0]})
    res.attrs["units"] = {"mean": "ppm"}
    ax = plot_boundaries(gdf, res, "mean")
    colours = ax.collections[0].get_facecolors()
    assert len(colours) == 2 and not np.allclose(colours[0], colours[1])
    assert ax.figure.axes[-1].get_ylabel() == "mean [ppm]"
    with pytest.raises(BoundaryError, match="several rows"):
        plot_boundaries(gdf, pd.concat([res, res]), "mean")
    with pytest.raises(BoundaryError, match="column"):
        plot_boundaries(gdf, res, "median")
