"""Fixtures of the sinks tests: a hand-computable 4x4 pair on 1-ha pixels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from urbansat.testing.landcover import make_landcover

F, C, B = 10, 40, 50  # WorldCover codes: forest, cropland, built-up

#: 4x4 epochs on 100 m equal-area pixels (1 ha each):
#: 6 forest remain, 2 forest -> built-up, 4 cropland remain, 2 cropland -> forest,
#: 2 built-up remain.
START = np.array([[F, F, F, F], [F, F, F, F], [C, C, C, C], [C, C, B, B]], dtype=np.uint8)
END = np.array([[F, F, F, F], [F, F, B, B], [C, C, C, C], [F, F, B, B]], dtype=np.uint8)

#: simple factors [t C/ha, t C/ha/yr]
HAND_FACTORS = pd.DataFrame(
    [
        (cat, p, v, 0.9 * v, 1.1 * v)
        for cat, vals in {
            "forest": {"c_above": 100, "c_below": 20, "c_soil": 50, "c_dead": 5, "removal": 2},
            "cropland": {"c_above": 10, "c_below": 2, "c_soil": 30, "c_dead": 0, "removal": 0},
            "built_up": {"c_above": 0, "c_below": 0, "c_soil": 0, "c_dead": 0, "removal": 0},
        }.items()
        for p, v in vals.items()
    ],
    columns=["category", "parameter", "value", "low", "high"],
)


@pytest.fixture
def hand_factors():
    return HAND_FACTORS.copy()


@pytest.fixture
def hand_pair():
    tr = Affine(100.0, 0, 4_000_000.0, 0, -100.0, 3_000_000.0)
    s = make_landcover(START, crs="EPSG:3035", transform=tr, year=2015)
    e = make_landcover(END, crs="EPSG:3035", transform=tr, year=2020)
    return s, e


@pytest.fixture
def hand_boundaries(hand_pair):
    from urbansat.testing.landcover import make_boundaries

    b = make_boundaries(hand_pair[0], 1)
    b["boundary_id"] = ["all"]
    return b
