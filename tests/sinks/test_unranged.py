"""Factors without a range: NaN interval (default) or an interval from the ranged factors only."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from urbansat.constants import C_TO_CO2
from urbansat.errors import ConfigError
from urbansat.sinks import account_transitions

Z95 = 1.959963984540054
#: mangrove remaining mangrove (WorldCover 95) 3 ha, 1 year: growth (no range in WS Table 4.4)
#: plus soil accumulation 1.62 (1.3-2.0) t C/ha/yr (WS Table 4.12)
TABLE = pd.DataFrame(
    {"boundary_id": ["x"], "class_start": [95], "class_end": [95], "area_m2": [3e4]}
)


def _run(**kw):
    return account_transitions(
        TABLE,
        pd.DataFrame({"boundary_id": ["x"]}),
        legend="worldcover",
        factors="ipcc2019",
        climate_zone="tropical_rainforest_africa",
        years=1,
        **kw,
    )


def test_default_is_nan_with_a_warning_naming_the_factor_and_the_option():
    with pytest.warns(UserWarning, match=r"95\.removal.*unranged='exclude'"):
        ds = _run()
    m = ds.sel(boundary="x", category="mangrove")
    assert pd.isna(float(m.net_sink_low)) and pd.isna(float(m.net_sink_uncertainty))
    assert ds.attrs["unranged_policy"] == "nan"


def test_exclude_gives_the_interval_of_the_ranged_factors_only():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: the user chose the partial interval
        ds = _run(unranged="exclude")
    m = ds.sel(boundary="x", category="mangrove")
    # only soil accumulation is ranged: sigma = 3 ha x (2.0 - 1.3) / (2 x 1.96) t C/yr in CO2
    sigma = 3 * (2.0 - 1.3) / (2 * Z95) * C_TO_CO2
    assert float(m.net_sink_uncertainty) == pytest.approx(sigma, rel=1e-6)
    assert float(m.net_sink_high) - float(m.net_sink) == pytest.approx(Z95 * sigma, rel=1e-6)
    assert ds.attrs["unranged_policy"] == "exclude" and "95.removal" in ds.attrs["unranged_factors"]


def test_unknown_policy_is_refused_before_any_work():
    with pytest.raises(ConfigError, match=r"unranged='drop'.*'nan'.*'exclude'"):
        _run(unranged="drop")
