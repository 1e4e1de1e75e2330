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
    truth = {
        k: float(emis.loc["2015-04-23 11:00:00", f"{k} (Mt/yr)"]) for k in ("Berlin", "Janschwalde")
    }
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


def test_berlin_bias_is_the_wind_not_the_plume_model(project_samples):
    """Why the mass-balance methods estimate Berlin high on the benchmark scene.

    On Berlin's own noise-free tracer ``XCO2_BV`` (no background, noise or other sources) the
    Gaussian fit equals the direct line-density mass balance ``U sum(dV A) / ds`` at the same
    wind within 10 %, but both exceed the 11 UTC truth by > 15 %. The tracers of the emissions
    released 09-11 UTC (``XCO2_T03``, mean age 1 h) and 06-09 UTC (``XCO2_T02``, 3.5 h) show
    why: their mass centroids lie 17.6 and 63 km downwind, a transport speed of ~4.9-5.0 m s-1,
    while the COSMO GNFR-A wind (weighted by public-power emission heights) is 6.0 m s-1.
    """
    import xarray as xr

    from urbansat.constants import KG_S_TO_T_YR
    from urbansat.inversion import plume_frames
    from urbansat.inversion.gaussian import estimate_gaussian

    d = project_samples / "smartcarb"
    full = SmartcarbReader().open_dataset(d / FILE, qa="none", tracers=True).load()
    wind = open_wind(d / "SMARTCARB_winds_2015042311.nc")
    src = pd.read_csv(d / "sources-smartcarb.csv", comment="#")
    src = src[src.source == "Berlin"].rename(columns={"source": "name"})
    src["diameter_km"] = src["diameter"] / 1000.0
    src = src[["name", "longitude", "latitude", "diameter_km"]]

    def frame_of(tracer):
        sw = full.drop_vars(["xco2_tracer_berlin", "xco2_tracer_janschwalde"])
        sw["xco2"] = (400.0 + tracer).assign_attrs(units="ppm")
        sw["xco2_uncertainty"] = (sw.xco2 * 0 + 0.5).assign_attrs(units="ppm")
        frame, _, reason = plume_frames(sw, sources=src, wind=wind)["Berlin"]
        assert reason == ""
        return frame, (frame.scene.values - 400.0) * frame.scene.k

    frame, dv = frame_of(full.xco2_tracer_berlin)
    area = frame.scene.area
    fluxes = []
    for s0 in np.arange(frame.r0, frame.r0 + 60e3, 10e3):
        m = (frame.s >= s0) & (frame.s < s0 + 10e3) & (np.abs(frame.n) < 60e3) & np.isfinite(dv)
        fluxes.append(frame.speed * np.sum(dv[m] * area[m]) / 10e3)
    direct = float(np.mean(fluxes)) * KG_S_TO_T_YR / 1e6
    fit = estimate_gaussian(frame).emission * KG_S_TO_T_YR / 1e6
    assert abs(fit / direct - 1) < 0.10
    assert direct / 23.43 - 1 > 0.15

    with xr.open_dataset(d / FILE) as opened:
        raw = opened.rename({"nobs": "y", "nrows": "x"})
        for name, age_h in (("XCO2_T03", 1.0), ("XCO2_T02", 3.5)):
            f, dv = frame_of(raw[name].astype(float).where(raw[name] < 1e30))
            m = np.isfinite(dv) & (np.abs(f.n) < 60e3) & (f.s > -30e3)
            w = dv[m] * f.scene.area[m]
            transport = float(np.sum(w * f.s[m]) / np.sum(w)) / (age_h * 3600.0)
            assert 4.0 < transport < 0.9 * frame.speed
