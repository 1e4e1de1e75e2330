"""InversionOptions: one typed options object for the API and the job file (issue 20 item 3)."""

from __future__ import annotations

import numpy as np
import pytest

import urbansat
from urbansat.errors import InversionError
from urbansat.inversion import InversionOptions
from urbansat.testing.plumes import make_plume_swath


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"radius_km": 0}, "radius_km=0 must be a positive distance in km"),
        ({"length_km": -5}, "length_km=-5 must be a positive distance in km"),
        ({"z_threshold": float("nan")}, "z_threshold=nan must be a finite number > 0"),
        ({"wind_sigma": -1.0}, "wind_sigma=-1.0 must be a finite number >= 0"),
        ({"min_coverage": 1.5}, "min_coverage=1.5 is a fraction"),
        ({"min_transect_coverage": 0}, "min_transect_coverage=0 must be a finite number > 0"),
        ({"background_controls": 2.5}, "background_controls=2.5 must be a whole number >= 0"),
        ({"min_valid_pixels": True}, "min_valid_pixels=True must be a whole number >= 1"),
        ({"refine_direction": "yes"}, "refine_direction='yes' must be true or false"),
        ({"background": "smooth"}, "background='smooth' is not one of"),
        ({"dispersion": "wide"}, "dispersion='wide' must be a lateral spread rate"),
        ({"dispersion": 5.0}, r"dispersion=5.0 must be a lateral spread rate .* 0.02-0.32"),
        ({"min_wind_speed": 0}, "min_wind_speed=0 must be a finite number > 0"),
        ({"radius": 60}, r"unknown option\(s\) \['radius'\].*valid options: \[.*'radius_km'"),
    ],
)
def test_bad_options_are_refused_naming_option_and_value(options, needle):
    with pytest.raises(InversionError, match=needle):
        InversionOptions.from_mapping(options)


def test_defaults_are_the_documented_ones_and_overrides_apply():
    o = InversionOptions()
    assert (o.radius_km, o.min_coverage, o.background_controls, o.z_exclude) == (
        100.0,
        0.25,
        5,
        5.0,
    )
    merged = InversionOptions.from_mapping(InversionOptions(radius_km=60), background="plane")
    assert (merged.radius_km, merged.background) == (60, "plane")
    assert set(merged.to_dict()) == set(InversionOptions.names())
    with pytest.raises(InversionError, match=r"must be an urbansat\.inversion\.InversionOptions"):
        InversionOptions.from_mapping([("radius_km", 60)])  # type: ignore[arg-type]


def test_options_object_and_keywords_give_the_same_estimate():
    sw, truth = make_plume_swath("tropomi", gas="ch4", emission=5.0, seed=2)
    kw = {"sources": truth["sources"], "wind": truth["wind"], "method": "ime"}
    a = urbansat.estimate_emissions(sw, **kw, radius_km=60.0, background="plane")
    b = urbansat.estimate_emissions(
        sw, **kw, options=InversionOptions(radius_km=60.0, background="plane")
    )
    c = urbansat.estimate_emissions(sw, **kw, options={"radius_km": 60.0}, background="plane")
    for other in (b, c):
        np.testing.assert_array_equal(a.emission.values, other.emission.values)
    with pytest.raises(InversionError, match=r"unknown option\(s\) \['radus_km'\]"):
        urbansat.estimate_emissions(sw, **kw, radus_km=60.0)
