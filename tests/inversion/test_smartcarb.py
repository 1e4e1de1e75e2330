"""SMARTCARB reader and the community benchmark scene (2015-04-23 11 UTC)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import urbansat
from urbansat.ingest.readers.smartcarb import SmartcarbReader
from urbansat.ingest.winds import open_wind
from urbansat.inversion import estimate_emissions

FILE = "Sentinel_7_CO2_2015042311_o1670_l0483.nc"


@pytest.fixture(scope="module")
def scene(project_samples):
    d = project_samples / "smartcarb"
    sw = SmartcarbReader().open_dataset(d / FILE, noise_ppm=0.5, seed=0).load()
    wind = open_wind(d / "SMARTCARB_winds_2015042311.nc")
    src = pd.read_csv(d / "sources-smartcarb.csv", comment="#")
    src = src[src.source.isin(["Berlin", "Janschwalde"])].rename(columns={"source": "name"})
    src["diameter_km"] = src["diameter"] / 1000.0
    emis = pd.read_csv(d / "SMARTCARB-CO2-emissions-20150423.csv", sep="\t", index_col=0)
    truth = {k: float(emis.loc["2015-04-23 11:00:00", f"{k} (Mt/yr)"]) for k in ("Berlin", "Janschwalde")}
    return sw, wind, src[["name", "longitude", "latitude", "diameter_km"]], truth


def test_reader_contract(project_samples):
    path = project_samples / "smartcarb" / FILE
    ds = urbansat.open_granules(path, product="smartcarb")
    urbansat.validate_granule(ds)
    assert ds.sizes["y"] == 811 and ds.sizes["x"] == 123
    assert ds.attrs["product"] == "smartcarb"
    # noise-free composed XCO2 is background + biosphere + anthropogenic tracers, ~405 ppm
    x = ds.xco2.values[ds.qa_pass.values]
    assert 400 < np.nanmedian(x) < 410
    # the benchmark noise is seeded and documented
    r = SmartcarbReader()
    a = r.open_dataset(path, noise_ppm=0.5, seed=1).xco2.values
    b = r.open_dataset(path, noise_ppm=0.5, seed=1).xco2.values
    c = r.open_dataset(path).xco2.values
    np.testing.assert_array_equal(a, b)
    assert np.nanstd(a - c) == pytest.approx(0.5, rel=0.02)
    t = r.open_dataset(path, tracers=True)
    assert float(t.xco2_tracer_janschwalde.max()) > 5.0


def test_truth_table(scene):
    _, _, _, truth = scene
    assert truth["Berlin"] == pytest.approx(23.43, abs=0.01)
    assert truth["Janschwalde"] == pytest.approx(42.40, abs=0.01)


@pytest.mark.parametrize("method", ["ime", "csf", "gaussian", "bayesian"])
def test_janschwalde_every_method(scene, method):
    sw, wind, src, truth = scene
    out = estimate_emissions(sw, sources=src, wind=wind, method=method)
    j = out.sel(source="Janschwalde")
    e = float(j.emission_t_per_yr) / 1e6
    s = float(j.emission_t_per_yr_uncertainty) / 1e6
    assert str(j.qa_reason.values) == ""
    assert abs(e / truth["Janschwalde"] - 1) < 0.15
    assert abs(e - truth["Janschwalde"]) < 2 * s
    b = out.sel(source="Berlin")
    # Berlin: every method returns an estimate whose 2-sigma interval holds the truth
    eb = float(b.emission_t_per_yr) / 1e6
    assert abs(eb - truth["Berlin"]) < 2 * float(b.emission_t_per_yr_uncertainty) / 1e6
