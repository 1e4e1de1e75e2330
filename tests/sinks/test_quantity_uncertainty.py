"""1-sigma of gross terms, carbon stocks, stock change and areas (issue 19) by hand.

Two transition rows on WorldCover codes, 1 year: 3 ha forest remaining forest and 2 ha
cropland -> forest. Every factor has a symmetric 95 % range of +-10 %, so its 1-sigma is
``0.2 v / (2 x 1.96)`` (IPCC 2006 Vol 1 Ch 3 convention used by ``propagate``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from urbansat.constants import C_TO_CO2
from urbansat.sinks import account_transitions

Z95 = 1.959963984540054
#: the factors of conftest.HAND_FACTORS [t C/ha, t C/ha/yr], 95 % range +-10 %
HAND_FACTORS = pd.DataFrame(
    [
        (cat, p, v, 0.9 * v, 1.1 * v)
        for cat, vals in {
            "forest": {"c_above": 100, "c_below": 20, "c_soil": 50, "c_dead": 5, "removal": 2},
            "cropland": {"c_above": 10, "c_below": 2, "c_soil": 30, "c_dead": 0, "removal": 0},
            "built_up": {"c_above": 0, "c_below": 0, "c_soil": 0, "c_dead": 0, "removal": 0},
        }.items()
        for p, v in vals.items()
    ],
    columns=["category", "parameter", "value", "low", "high"],
)
F, C = 10, 40
TABLE = pd.DataFrame(
    {"boundary_id": ["x", "x"], "class_start": [F, C], "class_end": [F, F], "area_m2": [3e4, 2e4]}
)
V = {
    (cat, p): v for cat, p, v in HAND_FACTORS[["category", "parameter", "value"]].itertuples(False)
}


def _sig(cat, p):
    return 0.2 * V[(cat, p)] / (2 * Z95)


def _stock_sig(cat):
    return math.sqrt(sum(_sig(cat, p) ** 2 for p in ("c_above", "c_below", "c_soil", "c_dead")))


def _run(factors=None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the NaN-policy case warns about the unranged factor
        return account_transitions(
            TABLE,
            pd.DataFrame({"boundary_id": ["x"]}),
            legend="worldcover",
            factors=HAND_FACTORS.copy() if factors is None else factors,
            years=1,
            **kw,
        ).sel(boundary="x")


@pytest.mark.parametrize("uncertainty", ["approach1", "monte_carlo"])
def test_stock_sigmas_by_hand(uncertainty):
    ds = _run(method="stock_difference", uncertainty=uncertainty, n_draws=40000)
    rel = 1e-9 if uncertainty == "approach1" else 0.03
    fo, tot = ds.sel(category="forest"), ds.sel(category="total")
    sf, sc = _stock_sig("forest"), _stock_sig("cropland")
    assert float(fo.stock_start_uncertainty) == pytest.approx(3 * sf, rel=rel)
    assert float(fo.stock_end_uncertainty) == pytest.approx(5 * sf, rel=rel)
    # forest factors enter with 5 ha at the end and 3 ha at the start: they cancel to 2 ha
    assert float(fo.stock_change_uncertainty) == pytest.approx(2 * sf, rel=rel)
    assert float(tot.stock_change_uncertainty) == pytest.approx(2 * math.hypot(sf, sc), rel=rel)
    assert float(tot.stock_change) == pytest.approx(float(tot.stock_end - tot.stock_start))
    assert ds["stock_change_uncertainty"].attrs["units"] == "t C"
    assert "long_name" in ds["stock_start_uncertainty"].attrs


def test_gross_sigmas_by_hand():
    ds = _run(method="gain_loss")
    fo = ds.sel(category="forest")
    # removals: growth RF(forest) on 5 ha, soil (SOC_F - SOC_C) / 20 yr on the 2 converted ha
    rem = C_TO_CO2 * math.sqrt(
        (5 * _sig("forest", "removal")) ** 2
        + (2 / 20 * _sig("forest", "c_soil")) ** 2
        + (2 / 20 * _sig("cropland", "c_soil")) ** 2
    )
    # emissions: the cropland biomass lost on the 2 converted ha (forest restarts from 0)
    emi = C_TO_CO2 * 2 * math.sqrt(sum(_sig("cropland", p) ** 2 for p in ("c_above", "c_below")))
    assert float(fo.gross_removals_uncertainty) == pytest.approx(rem, rel=1e-9)
    assert float(fo.gross_emissions_uncertainty) == pytest.approx(emi, rel=1e-9)
    assert ds["gross_removals_uncertainty"].attrs["units"] == "t CO2 yr-1"


def test_unranged_factor_gives_nan_only_where_it_enters():
    fac = HAND_FACTORS.copy()
    sel = (fac["category"] == "forest") & (fac["parameter"] == "removal")
    fac.loc[sel, ["low", "high"]] = np.nan
    fo = _run(fac, method="gain_loss").sel(category="forest")
    assert np.isnan(float(fo.gross_removals_uncertainty))
    assert np.isfinite(float(fo.gross_emissions_uncertainty))  # cropland biomass only
    assert np.isfinite(float(fo.stock_end_uncertainty))  # pools are ranged
    ex = _run(fac, method="gain_loss", unranged="exclude").sel(category="forest")
    part = C_TO_CO2 * 2 / 20 * math.hypot(_sig("forest", "c_soil"), _sig("cropland", "c_soil"))
    assert float(ex.gross_removals_uncertainty) == pytest.approx(part, rel=1e-9)


def test_values_do_not_change():
    a = _run(method="gain_loss")
    b = _run(method="gain_loss", area_uncertainty=0.1)
    for v in ("net_sink", "gross_removals", "gross_emissions", "stock_start", "stock_end"):
        np.testing.assert_array_equal(a[v].values, b[v].values)


def test_area_sigma_from_a_relative_area_uncertainty():
    ds = _run(method="stock_difference", area_uncertainty=0.1)
    fo, tot = ds.sel(category="forest"), ds.sel(category="total")
    assert float(fo.area_start_uncertainty) == pytest.approx(0.3)
    assert float(fo.area_end_uncertainty) == pytest.approx(math.hypot(0.3, 0.2))
    # only the converted row changes the forest area; total area does not change
    assert float(fo.area_change_uncertainty) == pytest.approx(0.2)
    assert float(tot.area_change_uncertainty) == 0.0
    assert float(ds.sel(category="cropland").area_start_uncertainty) == pytest.approx(0.2)
    # the row area error also enters the stock: 3 ha forest stock +- 10 %
    sd = 3 * math.hypot(
        _stock_sig("forest"),
        0.1 * sum(V[("forest", p)] for p in ("c_above", "c_below", "c_soil", "c_dead")),
    )
    assert float(fo.stock_start_uncertainty) == pytest.approx(sd, rel=1e-9)


def test_area_sigma_is_nan_without_an_area_uncertainty():
    ds = _run(method="stock_difference")
    for v in ("area_start", "area_end", "area_change"):
        assert np.isnan(ds[f"{v}_uncertainty"].values).all()
        assert ds[f"{v}_uncertainty"].attrs["units"] == "ha"


def test_area_uncertainty_mapping_with_a_misspelt_category_is_refused():
    from urbansat.errors import ConfigError

    with pytest.raises(ConfigError, match=r"unknown sink categories \['forestt'\]"):
        _run(method="stock_difference", area_uncertainty={"forestt": 0.1})
    # the right key works and gives forest a finite area sigma
    ds = _run(method="stock_difference", area_uncertainty={"forest": 0.1})
    assert np.isfinite(ds["area_start_uncertainty"].sel(category="forest").values).all()
