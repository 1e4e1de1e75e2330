"""Units and wind input."""

from __future__ import annotations

import numpy as np
import pytest

from urbansat.errors import WindError
from urbansat.ingest.winds import open_wind
from urbansat.inversion.units import column_mass_factor
from urbansat.inversion.wind import effective_wind


def test_column_mass_factor_by_hand():
    # 1 ppm CO2 over 1013.25 hPa: 1e-6 * 44.0095/28.9647 * 101325/9.80665 = 15.698 g m-2
    assert column_mass_factor("co2", 101325.0) == pytest.approx(
        1e-6 * 44.0095 / 28.9647 * 101325 / 9.80665
    )
    assert column_mass_factor("ch4", 101325.0) == pytest.approx(
        1e-9 * 16.0425 / 28.9647 * 101325 / 9.80665
    )
    # dry-air column form: N [mol m-2] * M_gas * f
    assert column_mass_factor("co2", dry_air_column=3.57e5) == pytest.approx(
        1e-6 * 44.0095e-3 * 3.57e5
    )


def test_user_wind_and_sigma():
    w = open_wind((3.0, 4.0, 1.0))
    e = effective_wind(w, 10.0, 50.0)
    assert e.speed == pytest.approx(5.0)
    assert e.sigma == pytest.approx(1.0)
    with pytest.raises(WindError, match="sigma"):
        effective_wind(open_wind((3.0, 4.0)), 10.0, 50.0)
    with pytest.raises(WindError, match="not finite"):
        open_wind((np.nan, 1.0, 1.0))


def test_era5_single_and_pressure_levels(project_samples):
    d = project_samples / "winds"
    sl = open_wind(d / "Matimba_ERA5-sl-20210725.nc")
    pl = open_wind(d / "Matimba_ERA5-pl-20210725.nc")
    t = np.datetime64("2021-07-25T10:30")
    # Matimba power station, 27.61 E, 23.67 S
    e_sl = effective_wind(sl, 27.61, -23.67, t)
    e_pl = effective_wind(pl, 27.61, -23.67, t)
    for e in (e_sl, e_pl):
        assert 0.0 < e.speed < 25.0
        assert e.sigma >= 1.0  # the stated default plus level/space spread
    # the pressure-level layer mean must lie inside the range of its levels at the nearest point
    sub = (
        pl.interp(time=t)
        .sel(latitude=-23.7, longitude=27.5, method="nearest")
        .sel(level=slice(None, 85000))
    )
    u = sub.eastward_wind.values
    assert u.min() - 1.0 <= e_pl.u <= u.max() + 1.0
    with pytest.raises(WindError, match="covers"):
        effective_wind(sl, 27.61, -23.67, np.datetime64("2021-08-02T10:00"))
    with pytest.raises(WindError, match="does not cover"):
        effective_wind(sl, 100.0, 10.0, t)


def test_cosmo_winds(project_samples):
    w = open_wind(project_samples / "smartcarb" / "SMARTCARB_winds_2015042311.nc")
    e = effective_wind(w, 14.4535, 51.8415, np.datetime64("2015-04-23T11:11"))
    assert 2.0 < e.speed < 12.0


def test_combine_products_adds_spread():
    from urbansat.inversion.wind import combine_winds

    a = effective_wind(open_wind((3.0, 4.0, 1.0)), 0.0, 0.0)
    b = effective_wind(open_wind((6.0, 8.0, 1.0)), 0.0, 0.0)
    c = combine_winds([a, b])
    assert c.speed == pytest.approx(7.5)
    assert c.sigma == pytest.approx(np.sqrt(1.0 + 6.25))


def test_estimate_with_two_wind_products():
    from urbansat.inversion import estimate_emissions
    from urbansat.testing.plumes import make_plume_swath

    sw, tr = make_plume_swath("co2m", gas="co2", emission=1000.0, seed=5)
    one = estimate_emissions(sw, sources=tr["sources"], wind=tr["wind"], method="csf")
    two = estimate_emissions(
        sw, sources=tr["sources"], wind=[tr["wind"], "granule"], wind_sigma=None, method="csf"
    )
    # the granule carries the same reported wind: same speed, and the stated sigma is kept
    assert float(two.wind_speed[0]) == pytest.approx(float(one.wind_speed[0]))
    assert "+" in two.attrs["wind_source"]


def test_boundary_layer_top_is_taken_over_the_source_not_the_whole_grid():
    import xarray as xr

    lat = np.arange(40.0, 60.01, 0.5)
    lon = np.arange(0.0, 20.01, 0.5)
    z = np.array([50.0, 150.0, 250.0, 500.0, 1000.0, 2000.0])
    # speed = 1 m s-1 per 100 m, eastward, everywhere
    u = np.broadcast_to((z / 100.0)[:, None, None], (z.size, lat.size, lon.size)).copy()
    blh = np.full((lat.size, lon.size), 2500.0)
    near = (np.abs(lat[:, None] - 50.0) <= 0.5) & (np.abs(lon[None, :] - 10.0) <= 0.5)
    blh[near] = 300.0  # a shallow boundary layer over the source only
    w = xr.Dataset(
        {
            "eastward_wind": (("level", "latitude", "longitude"), u, {"units": "m s-1"}),
            "northward_wind": (
                ("level", "latitude", "longitude"),
                np.zeros_like(u),
                {"units": "m s-1"},
            ),
            "boundary_layer_height": (("latitude", "longitude"), blh, {"units": "m"}),
        },
        coords={"level": ("level", z, {"units": "m"}), "latitude": lat, "longitude": lon},
        attrs={"wind_source": "test", "level_type": "height"},
    )
    e = effective_wind(w, 10.0, 50.0, None, radius_km=40.0)
    # levels 50, 150, 250 m under the local 300 m top: mean 1.5 m s-1 (the grid mean top,
    # ~2500 m, would have given the 0-2000 m mean, 6.6 m s-1)
    assert e.speed == pytest.approx(1.5)


@pytest.mark.parametrize(
    "radius_km,lat0,lon0",
    [(15.0, 50.2, 10.3), (40.0, 59.9, 19.9), (5.0, 50.1, 10.1), (30.0, 60.3, 10.0)],
)
def test_near_mask_latitude_prefilter_equals_the_full_distance_test(radius_km, lat0, lon0):
    import xarray as xr

    from urbansat.inversion.wind import _near_mask
    from urbansat.schema.geo import haversine_km

    # a curvilinear (2-D) grid, as COSMO's rotated pole, and a regular one
    lat = np.arange(40.0, 60.01, 0.1)
    lon = np.arange(0.0, 20.01, 0.1)
    lon2, lat2 = np.meshgrid(lon, lat)
    lat2 = lat2 + 0.03 * np.sin(lon2)
    for w in (
        xr.Dataset(coords={"latitude": (("y", "x"), lat2), "longitude": (("y", "x"), lon2)}),
        xr.Dataset(coords={"latitude": lat, "longitude": lon}),
    ):
        got = _near_mask(w, lon0, lat0, radius_km, "test")
        la, lo = (lat2, lon2) if w["latitude"].ndim == 2 else np.meshgrid(lat, lon, indexing="ij")
        d = haversine_km(lon0, lat0, lo, la)
        want = d <= radius_km
        if not want.any():  # the nearest point stands in (source just outside the grid)
            want = np.zeros(d.shape, bool)
            want.flat[np.argmin(d)] = True
        np.testing.assert_array_equal(got, want)
