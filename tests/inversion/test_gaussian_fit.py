"""The Gaussian-plume fit finds the deepest chi2 basin and keeps the dispersion physical.

SMARTCARB Berlin (30 km city, 0.5 ppm noise) has two chi2 basins in (a, dtheta): a narrow
plume along the wind and a broad one, 15-20 degrees off, that absorbs background
structure. Before the multi-start polish the 5-degree coarse grid missed the bottom of the
narrow basin for noise seeds 46 and 81 (estimates +161 % and +141 %), and for seed 36 the
broad basin (a = 0.47, beyond any stability class) won (+86 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from urbansat.ingest.readers.smartcarb import SmartcarbReader
from urbansat.ingest.winds import open_wind
from urbansat.inversion import plume_frames
from urbansat.inversion.gaussian import (
    SPREAD_RATE_RANGE,
    _design,
    _grid_minima,
    _solve,
    estimate_gaussian,
)

FILE = "Sentinel_7_CO2_2015042311_o1670_l0483.nc"


def test_grid_minima_finds_both_basins():
    a = np.linspace(-1, 1, 9)
    t = np.linspace(-1, 1, 7)
    A, T = np.meshgrid(a, t, indexing="ij")
    # a deep basin at the corner (-1, -1) and a shallower one at (0.5, 0.67)
    grid = np.minimum(
        3 + 10 * ((A + 1) ** 2 + (T + 1) ** 2), 5 + 10 * ((A - 0.5) ** 2 + (T - 2 / 3) ** 2)
    )
    mins = _grid_minima(grid, 3)
    assert mins[0] == (0, 0)
    assert mins[1] == (6, 5)
    assert len(mins) == 2
    assert _grid_minima(grid, 1) == [(0, 0)]


@pytest.fixture(scope="module")
def berlin(project_samples):
    d = project_samples / "smartcarb"
    wind = open_wind(d / "SMARTCARB_winds_2015042311.nc")
    src = pd.read_csv(d / "sources-smartcarb.csv", comment="#")
    src = src[src.source == "Berlin"].rename(columns={"source": "name"})
    src["diameter_km"] = src["diameter"] / 1000.0
    src = src[["name", "longitude", "latitude", "diameter_km"]]

    def frame(seed: int | None):
        sw = (
            SmartcarbReader()
            .open_dataset(d / FILE, noise_ppm=None if seed is None else 0.5, seed=seed or 0)
            .load()
        )
        return plume_frames(sw, sources=src, wind=wind)["Berlin"][0]

    return frame


def _chi2_centres(frame, a: float, dt: float) -> float:
    sc = frame.scene
    sel = sc.valid & np.isfinite(frame.dv)
    xy = np.vstack([sc.x[sel] / 1e5, sc.y[sel] / 1e5]) * frame.k_mean
    return _solve(
        _design(frame, sel, a, dt, True), frame.dv[sel], 1 / frame.dv_sigma[sel] ** 2, xy
    )[2]


@pytest.mark.parametrize("seed", [46, 81])
def test_fit_reaches_the_deepest_basin(berlin, seed):
    frame = berlin(seed)
    fit = estimate_gaussian(frame)
    got = _chi2_centres(frame, fit.details["a"], np.deg2rad(fit.details["dtheta_deg"]))
    # brute force: 1.25-degree steps, 12 spread rates over the whole allowed range
    brute = min(
        _chi2_centres(frame, a, np.deg2rad(t))
        for a in np.geomspace(*SPREAD_RATE_RANGE, 12)
        for t in np.arange(-20, 20.1, 1.25)
    )
    assert got <= brute + 0.5


def test_broad_basin_beyond_every_stability_class_is_not_taken(berlin):
    q_free = estimate_gaussian(berlin(None)).emission
    fit = estimate_gaussian(berlin(36))
    assert SPREAD_RATE_RANGE[0] <= fit.details["a"] <= SPREAD_RATE_RANGE[1]
    # the noise draw moves the estimate by its noise, not by a factor 1.6 (old fit: 43.7 vs
    # 27.2 Mt/yr noise-free)
    assert abs(fit.emission / q_free - 1) < 0.25
