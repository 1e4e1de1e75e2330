"""ERA5 model-level winds: L137 pressures, heights, boundary-layer height, open_wind (issue 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from urbansat.errors import MissingVariableError, WindError
from urbansat.ingest import era5_levels as e5
from urbansat.ingest.winds import open_wind
from urbansat.inversion.wind import effective_wind

LVL = "SMARTCARB_ERA5-lvl-20150423t1100.nc"
SFC = "SMARTCARB_ERA5-sfc-20150423t1100.nc"
BERLIN = (13.4077, 52.517)
JANSCHWALDE = (14.4535, 51.8415)
# Independent of urbansat.constants: R_d = 287.05 J kg-1 K-1 (Wallace & Hobbs 2006), g0.
RD, G0 = 287.05, 9.80665
LEVELS = np.arange(100, 138)


def _write_pair(tmp_path, t, q, u, v, ps, *, name="ml"):
    """Model-level + surface file in the layout of ddeq's SMARTCARB ERA5 files.

    ``t, q, u, v`` are (level, lat, lon) for LEVELS; ``ps`` is (lat, lon) [Pa].
    """
    ny, nx = ps.shape
    coords = {
        "time": ("time", [np.datetime64("2015-04-23T11:00", "ns")], {"long_name": "time"}),
        "latitude": (
            "latitude",
            np.linspace(53.0, 52.0, ny).astype("f4"),
            {"units": "degrees_north"},
        ),
        "longitude": (
            "longitude",
            np.linspace(13.0, 14.0, nx).astype("f4"),
            {"units": "degrees_east"},
        ),
    }
    dims4, dims3 = ("time", "level", "latitude", "longitude"), ("time", "latitude", "longitude")
    lvl = xr.Dataset(
        {
            k: (dims4, np.asarray(a, float)[None], {"units": un})
            for k, a, un in (
                ("t", t, "K"),
                ("q", q, "kg kg**-1"),
                ("u", u, "m s**-1"),
                ("v", v, "m s**-1"),
            )
        },
        coords={
            **coords,
            "level": ("level", LEVELS.astype("i4"), {"long_name": "model_level_number"}),
        },
    )
    sfc = xr.Dataset(
        {
            "lnsp": (dims3, np.log(ps)[None], {"units": "~"}),
            "z": (dims3, np.zeros((1, ny, nx)), {"units": "m**2 s**-2"}),
        },
        coords=coords,
    )
    p_lvl, p_sfc = tmp_path / f"{name}-lvl.nc", tmp_path / f"{name}-sfc.nc"
    lvl.to_netcdf(p_lvl)
    sfc.to_netcdf(p_sfc)
    return p_lvl, p_sfc


def _full_pressure(ps):
    a, b = e5.l137_coefficients()
    half = np.concatenate([[LEVELS[0] - 1], LEVELS])
    ph = a[half][:, None, None] + b[half][:, None, None] * ps[None]
    return 0.5 * (ph[:-1] + ph[1:])


def test_l137_table_matches_ecmwf():
    # ECMWF "L137 model level definitions": a [Pa], b and ph [hPa] at p_s = 1013.25 hPa
    a, b = e5.l137_coefficients()
    assert a.shape == b.shape == (138,)
    assert (a[0], b[0], a[137], b[137]) == (0.0, 0.0, 0.0, 1.0)
    assert a[100] == pytest.approx(15596.695313) and b[100] == pytest.approx(0.438391)
    for n, ph_hpa in ((1, 0.0200), (100, 600.1668), (120, 925.7571), (136, 1010.8487)):
        # b is given to 6 decimals: 1e-6 * p_s = 0.001 hPa
        assert (a[n] + b[n] * 101325.0) / 100.0 == pytest.approx(ph_hpa, abs=1e-3)


def test_isothermal_dry_heights_are_analytic(tmp_path):
    # isothermal dry air: p = p_s exp(-g z / (R_d T)), so z = (R_d T / g) ln(p_s / p)
    ps = np.array([[95000.0, 98000.0, 101000.0], [99000.0, 102000.0, 97000.0]])
    temp = np.array([[250.0, 270.0, 290.0], [300.0, 260.0, 280.0]])
    n = LEVELS.size
    t = np.broadcast_to(temp, (n, *temp.shape)).copy()
    q = np.zeros_like(t)
    z_true = RD * t / G0 * np.log(ps[None] / _full_pressure(ps))
    z, p_full = e5.full_level_heights(e5.half_level_pressure(LEVELS, ps), t, q)
    np.testing.assert_allclose(p_full, _full_pressure(ps), rtol=1e-12)
    np.testing.assert_allclose(z, z_true, rtol=0.005)
    assert np.all(np.diff(z, axis=0) < 0) and 8.0 < z[-1].min() < z[-1].max() < 11.0
    # winds linear in height come out linear at the fixed heights (through open_wind)
    u = 2.0 + 0.004 * z_true
    v = -1.0 - 0.002 * z_true
    p_lvl, p_sfc = _write_pair(tmp_path, t, q, u, v, ps)
    w = open_wind(p_lvl, surface=p_sfc)
    assert w.attrs["wind_source"] == "era5_model_levels" and w.attrs["level_type"] == "height"
    assert w["level"].attrs["units"] == "m"
    np.testing.assert_array_equal(w["level"].values, np.arange(50.0, 3001.0, 50.0))
    h = np.broadcast_to(w["level"].values[None, :, None, None], w.eastward_wind.shape)
    np.testing.assert_allclose(w.eastward_wind.values - 2.0, 0.004 * h, rtol=0.005)
    np.testing.assert_allclose(w.northward_wind.values + 1.0, -0.002 * h, rtol=0.005)
    np.testing.assert_allclose(w.surface_pressure.values[0], ps)
    for name in w.data_vars:
        assert w[name].attrs.get("units"), name


def test_mixed_layer_capped_by_inversion(tmp_path):
    # theta = 290 K below 900 hPa (well mixed: Ri_b ~ 0), 296 K above (Ri_b >> 0.25);
    # one column is neutral to the top (no boundary-layer top in the profile -> NaN)
    ps = np.array([[101000.0, 101000.0]])
    pf = _full_pressure(ps)
    theta = np.where(pf >= 90000.0, 290.0, 296.0)
    theta[:, 0, 1] = 290.0
    t = theta * (pf / 1e5) ** (2.0 / 7.0)  # Poisson's equation, R_d / c_pd = 2/7
    q = np.zeros_like(t)
    u = np.where(pf >= 90000.0, 5.0, 6.0)
    v = np.zeros_like(t)
    z, _ = e5.full_level_heights(e5.half_level_pressure(LEVELS, ps), t, q)
    k = np.flatnonzero(pf[:, 0, 0] < 90000.0)[-1]  # lowest level above the inversion
    p_lvl, p_sfc = _write_pair(tmp_path, t, q, u, v, ps)
    w = open_wind(p_lvl, surface=p_sfc)
    blh = w.boundary_layer_height.values[0, 0]
    assert z[k + 1, 0, 0] <= blh[0] <= z[k, 0, 0]
    assert 850.0 < blh[0] < 1050.0  # 900 hPa lies ~970 m above 1010 hPa at theta = 290 K
    assert np.isnan(blh[1])
    assert "VDFDPBL" in w.boundary_layer_height.attrs["method"]
    ri = e5.bulk_richardson_number(z, t, u, v)
    assert ri[-1, 0, 0] == 0.0 and np.all(np.abs(ri[k + 1 :, 0, 0]) < 0.05) and ri[k, 0, 0] > 1.0


def test_calm_layer_is_floored_not_divided_by_zero():
    # no wind at all: the IFS floor (0.1 m/s)^2 keeps Ri_b finite
    z = np.array([[300.0], [100.0], [10.0]])
    tv = np.array([[289.0], [288.0], [288.0]])
    calm = np.zeros((3, 1))
    for ref in ("ground", "lowest_level"):
        ri = e5.bulk_richardson_number(z, tv, calm, calm, wind_reference=ref)
        assert np.all(np.isfinite(ri)) and ri[-1, 0] == 0.0
        assert ri[0, 0] > 1e3  # stable and calm: far above critical
    # with wind: ground reference uses |V|^2, lowest-level reference the shear
    u = np.array([[8.0], [6.0], [4.0]])
    r_ground = e5.bulk_richardson_number(z, tv, u, 0 * u)
    r_shear = e5.bulk_richardson_number(z, tv, u, 0 * u, wind_reference="lowest_level")
    assert r_ground[0, 0] == pytest.approx(r_shear[0, 0] * (4.0**2) / (8.0**2))
    # top between 100 and 300 m, linear in Ri_b from Ri(100 m) to Ri(300 m)
    h = e5.boundary_layer_height(z, r_ground)[0]
    r0, r1 = r_ground[1, 0], r_ground[0, 0]
    assert h == pytest.approx(100.0 + (0.25 - r0) / (r1 - r0) * 200.0)
    with pytest.raises(WindError, match="wind_reference"):
        e5.bulk_richardson_number(z, tv, u, u, wind_reference="surface")


@pytest.fixture(scope="module")
def smartcarb_ml(project_samples):
    d = project_samples / "smartcarb"
    return open_wind(d / LVL, surface=d / SFC)


def _column(w, lon, lat):
    return w.isel(time=0).interp(longitude=lon, latitude=lat)


def test_smartcarb_model_levels_berlin_janschwalde(smartcarb_ml):
    w = smartcarb_ml
    assert w.attrs["model_levels"] == "100-137"
    assert w.boundary_layer_height.attrs["units"] == "m"
    for (lon, lat), blh_range, speed_range in (
        (BERLIN, (950.0, 1050.0), (5.2, 5.6)),  # lead: Ri_b = 0.25 at ~1000 m, 5.4 m/s below
        (JANSCHWALDE, (775.0, 855.0), (3.2, 3.6)),  # lead: ~815 m, 3.4 m/s
    ):
        blh = float(_column(w, lon, lat).boundary_layer_height)
        assert blh_range[0] < blh < blh_range[1]
        # effective_wind's default layer top is the BLH over the source (within radius_km),
        # not the grid mean (847 m here; 294 m over the Baltic to 1539 m: 5.11 m/s at Berlin)
        e = effective_wind(w, lon, lat, None)
        assert speed_range[0] < e.speed < speed_range[1]
        assert e.speed == pytest.approx(
            effective_wind(w, lon, lat, None, z_top_m=blh).speed, rel=0.02
        )
        assert e.source == "era5_model_levels"
    # lead: wind at ~350 m at Berlin 5.2 m/s
    col = _column(w, *BERLIN).sel(level=350.0)
    assert float(np.hypot(col.eastward_wind, col.northward_wind)) == pytest.approx(5.2, rel=0.05)


def test_smartcarb_gnfr_a_wind_matches_ddeq(project_samples):
    # ddeq 1.1 era5.read(method="GNFR-A") on the same files at the two sources gives
    # 5.41 (Berlin) and 3.87 m/s (Janschwalde) (run in this repository's ddeq-venv);
    # here the GNFR-A profile (Brunner et al. 2019: 170-310/310-470/470-710/710-990 m,
    # fractions 0.08/0.46/0.29/0.17) weights 10 m slices of our interpolated profile.
    d = project_samples / "smartcarb"
    h = np.arange(175.0, 990.0, 10.0)
    w = open_wind(d / LVL, surface=d / SFC, heights=h)
    weight = np.zeros_like(h)
    for lo, hi, f in ((170, 310, 0.08), (310, 470, 0.46), (470, 710, 0.29), (710, 990, 0.17)):
        weight[(h > lo) & (h < hi)] = f / ((hi - lo) / 10.0)
    for (lon, lat), ddeq_speed in ((BERLIN, 5.41), (JANSCHWALDE, 3.87)):
        col = _column(w, lon, lat)
        u = float((col.eastward_wind * weight).sum()) / weight.sum()
        v = float((col.northward_wind * weight).sum()) / weight.sum()
        assert np.hypot(u, v) == pytest.approx(ddeq_speed, rel=0.02)


def test_model_level_file_without_surface_pressure(project_samples, tmp_path):
    d = project_samples / "smartcarb"
    with pytest.raises(WindError, match=r"surface=") as err:
        open_wind(d / LVL)
    assert LVL in str(err.value) and "lnsp" in str(err.value)
    # a surface file on another grid is refused, not misaligned
    sfc = xr.open_dataset(d / SFC).isel(longitude=slice(0, 20))
    sfc.to_netcdf(tmp_path / "small-sfc.nc")
    with pytest.raises(WindError, match="longitude grid"):
        open_wind(d / LVL, surface=tmp_path / "small-sfc.nc")
    # surface= of pressure-level winds: the sp of the same grid (this one is of Berlin)
    with pytest.raises(WindError, match=r"has no surface pressure 'sp'|on another \w+ grid"):
        open_wind(project_samples / "winds" / "Matimba_ERA5-pl-20210725.nc", surface=d / SFC)
    with pytest.raises(WindError, match="strictly increasing"):
        open_wind(d / LVL, surface=d / SFC, heights=[100.0, 50.0])


def test_unidentified_level_coordinate_is_refused(tmp_path):
    rng = np.random.default_rng(0)
    for values, attrs in (
        (np.array([0.2, 0.5, 0.8]), {}),  # sigma-like fractions, no units
        (np.array([200, 205, 210]), {"long_name": "level"}),  # not 1..137, no units
        (np.array([10.0, 100.0, 500.0]), {"units": "m"}),  # heights are not accepted here
    ):
        ds = xr.Dataset(
            {
                k: (
                    ("level", "latitude", "longitude"),
                    rng.normal(size=(3, 2, 2)),
                    {"units": "m s-1"},
                )
                for k in ("u", "v")
            },
            coords={
                "level": ("level", values, attrs),
                "latitude": [50.0, 51.0],
                "longitude": [10.0, 11.0],
            },
        )
        ds.to_netcdf(tmp_path / "w.nc")
        with pytest.raises(WindError, match="neither pressure"):
            open_wind(tmp_path / "w.nc")


def test_model_level_numbers_are_no_longer_read_as_pressure(project_samples, smartcarb_ml):
    # the bug: 'level' 100..137 (long_name model_level_number) was taken as 100..137 hPa
    assert smartcarb_ml.attrs["level_type"] == "height"
    assert smartcarb_ml["level"].attrs["units"] == "m"
    pl = open_wind(project_samples / "winds" / "Matimba_ERA5-pl-20210725.nc")
    assert pl.attrs["level_type"] == "pressure"
    assert pl["level"].values.max() == 100000.0 and pl["level"].attrs["units"] == "Pa"


def test_model_levels_must_reach_the_surface_and_carry_t_q(project_samples, tmp_path):
    d = project_samples / "smartcarb"
    raw = xr.open_dataset(d / LVL)
    raw.sel(level=slice(100, 120)).to_netcdf(tmp_path / "upper-lvl.nc")
    with pytest.raises(WindError, match="ending at 137"):
        open_wind(tmp_path / "upper-lvl.nc", surface=d / SFC)
    raw.drop_vars("q").to_netcdf(tmp_path / "noq-lvl.nc")
    with pytest.raises(MissingVariableError, match="'q'"):
        open_wind(tmp_path / "noq-lvl.nc", surface=d / SFC)


def test_estimate_emissions_with_model_level_wind(project_samples, smartcarb_ml):
    from urbansat.ingest.readers.smartcarb import SmartcarbReader
    from urbansat.inversion import estimate_emissions

    d = project_samples / "smartcarb"
    sw = (
        SmartcarbReader()
        .open_dataset(d / "Sentinel_7_CO2_2015042311_o1670_l0483.nc", noise_ppm=0.5, seed=0)
        .load()
    )
    src = pd.DataFrame(
        {
            "name": ["Berlin"],
            "longitude": [13.407696],
            "latitude": [52.516984],
            "diameter_km": [30.0],
        }
    )
    out = estimate_emissions(sw, sources=src, wind=smartcarb_ml, method="csf")
    b = out.sel(source="Berlin")
    assert str(b.qa_reason.values) == ""
    assert out.attrs["wind_source"] == "era5_model_levels"
    e = effective_wind(smartcarb_ml, 13.407696, 52.516984, np.datetime64("2015-04-23T11:00"))
    assert float(b.wind_speed) == pytest.approx(e.speed, rel=1e-6)
    # truth at 11 UTC: 23.43 Mt CO2/yr (SMARTCARB-CO2-emissions-20150423.csv)
    est, sig = float(b.emission_t_per_yr) / 1e6, float(b.emission_t_per_yr_uncertainty) / 1e6
    assert abs(est - 23.43) < 2 * sig and 0.1 < sig / est < 0.6


@pytest.mark.parametrize(
    "value", [(3.0, 1.0, 0.5), {"speed": 3.0, "direction": 270.0, "sigma": 0.5}], ids=["uv", "dict"]
)
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"heights": [50, 100]}, r"heights= is the output heights of an ERA5 model-level"),
        ({"variables": ("u10", "v10")}, r"variables= is the u and v variable names of a wind file"),
    ],
    ids=["heights", "variables"],
)
def test_file_only_arguments_refused_for_a_user_wind(value, kwargs, match):
    # they were accepted and ignored: a user asking for 100 m winds got the value as given
    with pytest.raises(WindError, match=match):
        open_wind(value, **kwargs)
