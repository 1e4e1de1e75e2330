"""Inversion and wind inputs found by the probe round of 2026-12-07 (helpers E and F).

Each test fails on the code before its fix: a prior of 0 pinned the Bayesian estimate to 0
("ok"), a prior of 1e20 kg/s broke the solve, prior_sigma=1e300 overflowed, a wind
dataset's speed sigma had no upper bound, a pandas NA blank was "non-numeric", numpy
scalars were refused as options, two sources wrote one plume map, a one-step wind whose
time is a scalar coordinate was used at any date, and pressure-level winds averaged levels
below the ground.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import urbansat
from urbansat.errors import InversionError, WindError
from urbansat.inversion import InversionOptions
from urbansat.inversion.wind import effective_wind
from urbansat.testing.plumes import make_plume_swath

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scene():
    return make_plume_swath("co2m", gas="co2", emission=1000.0, seed=3)


@pytest.mark.parametrize(
    ("prior", "match"),
    [
        (0.0, r"prior_emission=0: with the relative prior error .* Leave the cell blank"),
        (1e20, r"prior_emission=1e\+20 kg s-1, more than the world's total CO2 emission"),
    ],
)
def test_impossible_priors_are_refused(scene, prior, match):
    sw, tr = scene
    src = tr["sources"].assign(prior_emission=prior)
    before = src.copy()
    with pytest.raises(InversionError, match=match):
        urbansat.estimate_emissions(sw, sources=src, wind=tr["wind"], method="bayesian")
    pd.testing.assert_frame_equal(src, before)


@pytest.mark.parametrize("ps", [1e300, 1e-300])
def test_prior_sigma_is_bounded(ps):
    with pytest.raises(InversionError, match=r"prior_sigma=.* must be a 1-sigma in kg s-1 within"):
        InversionOptions(prior_sigma=ps)


@pytest.mark.parametrize("sig", [1e5, 1e300])
def test_a_wind_datasets_speed_sigma_is_bounded(scene, sig):
    sw, tr = scene
    wind = tr["wind"].assign(wind_speed_uncertainty=sig)
    with pytest.raises(
        WindError, match=r"wind_speed_uncertainty = .* not a 1-sigma error within 0-200"
    ):
        urbansat.estimate_emissions(sw, sources=tr["sources"], wind=wind, method="ime")


def test_a_nullable_blank_is_a_blank(scene):
    sw, tr = scene
    row = tr["sources"].iloc[0]
    head = "name,longitude,latitude,diameter_km,prior_emission\n"
    csv = f"{head}src,{row.longitude},{row.latitude},,\n"
    plain = pd.read_csv(io.StringIO(csv))
    nullable = pd.read_csv(io.StringIO(csv), dtype_backend="numpy_nullable")
    a = urbansat.estimate_emissions(sw, sources=plain, wind=tr["wind"], method="ime")
    b = urbansat.estimate_emissions(sw, sources=nullable, wind=tr["wind"], method="ime")
    assert float(a.emission[0]) == float(b.emission[0])


def test_numpy_scalars_are_numbers_and_stay_json():
    o = InversionOptions(min_valid_pixels=np.int64(20), radius_km=np.float32(50))
    d = o.to_dict()
    assert d["min_valid_pixels"] == 20 and type(d["min_valid_pixels"]) is int
    json.dumps(d)  # np.int64 is not JSON


def test_two_sources_with_one_file_name_get_two_plume_maps(tmp_path):
    s = ROOT / "data" / "samples" / "smartcarb"
    (tmp_path / "src.csv").write_text(
        "name,longitude,latitude,diameter_km\n"
        "Berlin/Mitte,13.407696,52.516984,30\n"
        "Berlin?Mitte,13.5,52.3,30\n",
        encoding="utf-8",
    )
    cmd = [
        sys.executable, "-m", "urbansat", "invert",
        str(s / "Sentinel_7_CO2_2015042311_o1670_l0483.nc"),
        "--wind", str(s / "SMARTCARB_winds_2015042311.nc"),
        "--sources", str(tmp_path / "src.csv"), "-m", "ime", "--plot-dir", str(tmp_path / "plots"),
    ]  # fmt: skip
    p = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    assert p.returncode == 0, p.stderr
    names = sorted(f.name for f in (tmp_path / "plots").iterdir())
    assert len(names) == 2 and names[0] == "plume_Berlin_Mitte.png", names


SL = Path("/work/shared/samples/winds/Matimba_ERA5-sl-20210725.nc")
PL = Path("/work/shared/samples/winds/Matimba_ERA5-pl-20210725.nc")
needs_winds = pytest.mark.skipif(
    not SL.is_file(), reason="the ERA5 Matimba winds of ../shared/samples are absent"
)


@needs_winds
@pytest.mark.parametrize("layout", ["valid_time", "time"])
def test_a_one_step_wind_with_a_scalar_time_is_dated(tmp_path, layout):
    with xr.open_dataset(SL) as raw:
        one = raw.isel(valid_time=3)
        if layout == "time":
            one = one.rename(valid_time="time")  # what cfgrib writes for a one-hour GRIB
        one.to_netcdf(tmp_path / "one.nc")
    w = urbansat.open_wind(tmp_path / "one.nc")
    with pytest.raises(WindError, match=r"is for 2021-07-25T03:00.* not the observation time"):
        effective_wind(w, 27.6, -23.7, np.datetime64("2021-08-25T10:00"))
    e = effective_wind(w, 27.6, -23.7, np.datetime64("2021-07-25T04:00"))  # within 3 h
    assert np.isfinite(e.speed)


@needs_winds
def test_pressure_levels_below_the_ground_are_left_out():
    t = np.datetime64("2021-07-25T10:00")
    with_sp = urbansat.open_wind(PL, surface=SL)
    e = effective_wind(with_sp, 27.6, -23.7, t)
    # by hand: surface 929 hPa, layer 929-779 hPa (the default 1000-850 hPa depth above the
    # ground) = levels 925..800 hPa, the vector mean over the points within 15 km
    with xr.open_dataset(PL) as pl, xr.open_dataset(SL) as sl:
        sp = float(sl.sp.sel(valid_time=t, latitude=-23.7, longitude=27.6, method="nearest"))
        assert 92000 < sp < 93500
        lev = pl.pressure_level.values * 100.0
        keep = (lev <= sp) & (lev >= sp - 15000.0)
        assert sorted(lev[keep] / 100) == [800, 825, 850, 875, 900, 925]
    bare = effective_wind(urbansat.open_wind(PL), 27.6, -23.7, t)
    assert e.speed > bare.speed * 1.1  # the underground levels slowed the wind by > 10 %
    assert 6.5 < e.speed < 7.5


def test_a_wind_dataset_without_units_is_refused(scene):
    # estimate_emissions took a km/h Dataset without units as m/s: 4451 kg/s for 1236
    sw, tr = scene
    kmh = tr["wind"].copy(deep=True)
    for v in ("eastward_wind", "northward_wind"):
        kmh[v] = kmh[v] * 3.6
        kmh[v].attrs = {}
    with pytest.raises(WindError, match=r"eastward_wind has no units attribute; urbansat will not"):
        urbansat.estimate_emissions(sw, sources=tr["sources"], wind=kmh, method="ime")


@needs_winds
@pytest.mark.parametrize(("dim", "values"), [("number", [0, 1]), ("expver", [1, 5])])
def test_an_extra_wind_dimension_is_refused_by_name(tmp_path, dim, values):
    with xr.open_dataset(SL) as opened:
        raw = opened.drop_vars([v for v in ("number", "expver") if v in opened.variables])
        ds = xr.concat([raw, raw], dim=dim).assign_coords({dim: values})
        ds.to_netcdf(tmp_path / "w.nc")
    with pytest.raises(WindError, match=rf"has the extra dimension '{dim}' of 2 values"):
        urbansat.open_wind(tmp_path / "w.nc")


def test_coverage_and_window_messages_say_what_they_mean(scene):
    sw, tr = scene
    kw = {"sources": tr["sources"], "wind": tr["wind"], "method": "ime"}
    r = urbansat.estimate_emissions(sw, min_coverage=1.0, **kw)
    reason = str(r.qa_reason.values[0])
    assert "only 99.97% covered" in reason and "needs >= 100.00%" in reason  # was 100.0 / 100.0
    r = urbansat.estimate_emissions(sw, radius_km=0.5, **kw)
    assert "no sounding within 0.5 km (the window of radius_km=0.5)" in str(r.qa_reason.values[0])


@pytest.mark.parametrize("gas", [5, True])
def test_a_gas_that_is_not_a_name_is_refused(scene, gas):
    sw, tr = scene
    with pytest.raises(InversionError, match=rf"gas={gas!r} is not a gas name"):
        urbansat.estimate_emissions(
            sw, sources=tr["sources"], wind=tr["wind"], method="ime", gas=gas
        )
    r = urbansat.estimate_emissions(
        sw, sources=tr["sources"], wind=tr["wind"], method="ime", gas=" CO2"
    )
    assert np.isfinite(float(r.emission[0]))


def test_a_list_of_user_wind_tuples_is_named(scene):
    sw, tr = scene
    with pytest.raises(WindError, match=r"wind is a list of 2 values such as \(3.0, 1.0, 0.5\)"):
        urbansat.estimate_emissions(
            sw, sources=tr["sources"], wind=[(3.0, 1.0, 0.5), (3.2, 1.1, 0.5)], method="ime"
        )
