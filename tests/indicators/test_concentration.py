"""Per-boundary concentration: known means, background, numpy == dask (uneven chunks)."""

from __future__ import annotations

import builders
import numpy as np
import pytest
import xarray as xr

from urbansat.errors import BoundaryError, EmptySelectionError, SchemaError
from urbansat.indicators import boundary_concentrations

# the hand-made swath has no corners: centre selection (overlap 1) is what these oracles assume
pytestmark = pytest.mark.filterwarnings("ignore:The swath has no footprint corners")


def test_known_means_and_background():
    out = boundary_concentrations(builders.swath("co2"), builders.boundaries())
    assert out.attrs["units"] == "ppm"
    np.testing.assert_allclose(
        out["column_mean"].sel(boundary=["R1", "C1", "P1"]), [401.25, 402.0, 402.0]
    )
    np.testing.assert_allclose(out["background"].sel(boundary=["R1", "C1", "P1"]), 400.0)
    # the project box (1.5-1.8) has no sounding outside the region + 10 km within 100 km:
    # no background
    assert (
        np.isnan(float(out["background"].sel(boundary="J1")))
        and int(out["n_background"].sel(boundary="J1")) == 0
    )
    np.testing.assert_allclose(out["enhancement"].sel(boundary="C1"), 2.0)
    assert int(out["n_obs"].sel(boundary="C1")) == 100
    # uniform county: scatter 0 -> retrieval precision 0.5/sqrt(100)
    assert float(out["column_mean_uncertainty"].sel(boundary="C1")) == pytest.approx(0.05)
    for v in out.data_vars:
        assert "units" in out[v].attrs


def test_fixed_background_and_empty_boundary():
    b = builders.boundaries()
    far = b.iloc[[0]].copy()
    far["boundary_id"], far["name"] = "FAR", "Far"
    far["geometry"] = far.translate(50, 50).geometry
    import geopandas as gpd
    import pandas as pd

    bb = gpd.GeoDataFrame(pd.concat([b, far]), crs=4326)
    out = boundary_concentrations(builders.swath("co2"), bb, background=(399.0, 0.1))
    assert float(out["background"].sel(boundary="R1")) == 399.0
    assert int(out["n_obs"].sel(boundary="FAR")) == 0
    assert np.isnan(float(out["column_mean"].sel(boundary="FAR")))


def test_scalar_background_has_zero_uncertainty():
    # a bare number is the background with no uncertainty (the scalar branch of the
    # background input)
    out = boundary_concentrations(builders.swath("co2"), builders.boundaries(), background=399.0)
    np.testing.assert_allclose(out["background"].sel(boundary=["R1", "C1"]), 399.0)
    np.testing.assert_allclose(out["background_uncertainty"].sel(boundary=["R1", "C1"]), 0.0)
    np.testing.assert_allclose(out["enhancement"].sel(boundary="C1"), 402.0 - 399.0)
    assert int(out["n_background"].sel(boundary="C1")) == 0


def test_dask_equals_numpy_uneven_chunks():
    sw = builders.swath("co2")
    rng = np.random.default_rng(0)
    sw["xco2"] = sw["xco2"] + rng.normal(0, 0.3, sw["xco2"].shape)
    ref = boundary_concentrations(sw, builders.boundaries())
    lazy = boundary_concentrations(sw.chunk({"y": 7, "x": 11}), builders.boundaries())
    for v in ("column_mean", "column_mean_uncertainty", "enhancement", "n_obs"):
        np.testing.assert_allclose(lazy[v].values, ref[v].values, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        # True was a background of 1 ppm, "410" was parsed, ppb for ppm gave enhancements of
        # -409,600 ppm, a negative sigma was squared away, (410, 0.5, 1) was a raw ValueError
        ({"background": True}, r"background=True is not a background"),
        ({"background": "410"}, r"background='410' is not a background"),
        ({"background": 410_000.0}, r"outside the plausible 300-600 ppm of xco2"),
        ({"background": (410.0, -0.5)}, r"has a sigma that is not >= 0"),
        ({"background": (410.0, 0.5, 1.0)}, r"is not a background"),
        # a negative buffer and NaN (shapely's "buffer distance must be finite") ...
        ({"background_buffer_km": -5.0}, r"background_buffer_km=-5.0 must be a distance >= 0"),
        ({"background_buffer_km": np.nan}, r"background_buffer_km=nan must be a distance"),
        ({"background_radius_km": True}, r"background_radius_km=True must be a distance"),
        # ... and a radius inside the buffer: no sounding could be background, every value NaN
        ({"background_radius_km": 5.0}, r"background_radius_km=5.0 must exceed"),
    ],
)
def test_malformed_background_arguments_refused(kwargs, match):
    sw = builders.swath("co2")
    before = sw.copy(deep=True)
    with pytest.raises(SchemaError, match=match):
        boundary_concentrations(sw, builders.boundaries(), **kwargs)
    assert sw.identical(before)


def test_errors():
    sw = builders.swath("co2")
    with pytest.raises(BoundaryError, match="no CRS"):
        boundary_concentrations(sw, builders.boundaries().set_crs(None, allow_override=True))
    with pytest.raises(EmptySelectionError, match="no sounding passes QA"):
        boundary_concentrations(sw.assign(qa_pass=sw["qa_pass"] & False), builders.boundaries())


def test_background_uncertainty_includes_spatial_structure():
    sw = builders.swath("co2")
    lon = sw["longitude"].values
    outside = ~((lon > 0) & (lon < 2) & (sw["latitude"].values > 0) & (sw["latitude"].values < 2))
    checker = (np.indices(lon.shape).sum(axis=0) % 2) * 2.0 - 1.0  # -1/+1 ppm pattern: MAD = 1
    sw["xco2"] = sw["xco2"] + xr.where(xr.DataArray(outside, dims=("y", "x")), checker, 0.0)
    out = boundary_concentrations(sw, builders.boundaries(), background_buffer_km=0.0)
    n = int(out["n_background"].sel(boundary="R1"))
    s = 1.482602218505602
    expected = np.sqrt((np.sqrt(np.pi / 2) * s / np.sqrt(n)) ** 2 + (s**2 - 0.25))
    assert float(out["background_uncertainty"].sel(boundary="R1")) == pytest.approx(
        expected, rel=1e-9
    )


def test_background_uncertainty_finite_when_some_precisions_are_missing():
    from urbansat.indicators.concentration import _background

    vals = np.array([399.0, 401.0, 400.0, 399.0, 401.0])
    med, u = _background(vals, np.array([0.5, np.nan, 0.5, 0.5, np.nan]))
    assert med == 400.0 and np.isfinite(u) and u > 0
    med, u = _background(vals, np.full(5, np.nan))
    assert np.isfinite(u) and u >= 1.482602218505602  # all spread counted as structure
