"""Sink-accounting inputs that gave silent wrong results (probed 2026-12-07).

Each test fails on the code before its fix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import urbansat
from urbansat.errors import ConfigError
from urbansat.testing.landcover import make_boundaries, make_landcover_pair

KW = {"climate_zone": "subtropical_humid_asia", "unranged": "exclude"}


def test_swapped_epochs_are_refused_even_with_years():
    s, e = make_landcover_pair(shape_yx=(40, 40))  # year 2015 / 2020
    b = make_boundaries(s, 1)
    with pytest.raises(ConfigError, match="epochs are swapped"):
        urbansat.account_sinks(e, s, b, years=5, **KW)  # the sign of the sink flipped
    with pytest.raises(ConfigError, match="epochs are swapped"):
        urbansat.account_sinks(e, s, b, **KW)
    assert urbansat.account_sinks(s, e, b, years=5, **KW).attrs["epochs"] == "2015/2020"


def test_an_override_without_zone_replaces_the_factor_in_every_zone():
    from urbansat.sinks.factors import load_factor_table, resolve_factors
    from urbansat.sinks.legends import load_legend

    base = load_factor_table("ipcc2019")
    lg = load_legend("worldcover")
    zone = "tropical_rainforest_africa"
    assert resolve_factors(base, lg, [10], zone).value[0, 0] != 999.0
    mine = base.override(
        pd.DataFrame({"category": ["forest"], "parameter": ["c_above"], "value": [999.0]})
    )
    assert resolve_factors(mine, lg, [10], zone).value[0, 0] == 999.0  # was shadowed
    # other parameters and categories are kept
    before = resolve_factors(base, lg, [10, 30], zone).value
    after = resolve_factors(mine, lg, [10, 30], zone).value
    np.testing.assert_array_equal(after[1], before[1])


def test_an_override_naming_an_unknown_category_is_refused():
    from urbansat.errors import FactorError
    from urbansat.sinks.factors import load_factor_table

    base = load_factor_table("ipcc2019")
    for cat in ("forrest", "Forest"):
        with pytest.raises(FactorError, match=rf"categories \['{cat}'\]"):
            base.override(
                pd.DataFrame({"category": [cat], "parameter": ["c_above"], "value": [9.0]})
            )


def test_factor_units_other_than_t_c_per_ha_are_refused():
    from urbansat.errors import FactorError
    from urbansat.sinks.factors import factor_table_from_frame

    rows = {"category": ["forest", "forest"], "parameter": ["c_above", "removal"]}
    with pytest.raises(FactorError, match=r"'kg C m-2' \(needs 't C ha-1'\)"):
        factor_table_from_frame(
            pd.DataFrame({**rows, "value": [15.0, 1.2], "unit": ["kg C m-2", "t C ha-1 yr-1"]})
        )
    with pytest.raises(FactorError, match=r"'t CO2 ha-1 yr-1'"):
        factor_table_from_frame(
            pd.DataFrame({**rows, "value": [150.0, 1.2], "unit": ["t C ha-1", "t CO2 ha-1 yr-1"]})
        )
    ok = factor_table_from_frame(
        pd.DataFrame({**rows, "value": [150.0, 1.2], "unit": ["Mg C/ha", "t C ha-1 yr-1"]})
    )
    assert len(ok.data) == 2
