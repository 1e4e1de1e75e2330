"""Errors, constants and the normalized schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import urbansat
from urbansat import constants, errors
from urbansat.schema import gas_of, to_soundings, validate_granule


def test_every_error_subclasses_base_and_a_builtin():
    for name in errors.__all__:
        cls = getattr(errors, name)
        if issubclass(cls, Warning):
            continue
        assert issubclass(cls, urbansat.UrbansatError)
        if cls is not urbansat.UrbansatError:
            assert len(cls.__mro__) > 3, f"{name} should also subclass a builtin"


def test_constants_values():
    assert pytest.approx(3.6667, rel=1e-4) == constants.C_TO_CO2
    assert constants.MOLAR_MASS["co2"] / constants.M_AIR == pytest.approx(1.5194, rel=1e-3)
    assert pytest.approx(31557.6) == constants.KG_S_TO_T_YR


def _swath(n_y=3, n_x=4):
    rng = np.random.default_rng(0)
    ds = xr.Dataset(
        {
            "xch4": (("y", "x"), 1850 + rng.normal(size=(n_y, n_x)), {"units": "ppb"}),
            "xch4_uncertainty": (("y", "x"), np.full((n_y, n_x), 10.0), {"units": "ppb"}),
            "qa_pass": (("y", "x"), np.ones((n_y, n_x), bool)),
        },
        coords={
            "latitude": (("y", "x"), rng.uniform(-1, 1, (n_y, n_x)), {"units": "degrees_north"}),
            "longitude": (("y", "x"), rng.uniform(-1, 1, (n_y, n_x)), {"units": "degrees_east"}),
            "time": (("y", "x"), np.full((n_y, n_x), np.datetime64("2022-07-22T03:00", "ns"))),
        },
        attrs={"gas": "ch4", "product": "test"},
    )
    return ds


def test_validate_accepts_contract_and_lists_every_problem():
    ds = _swath()
    assert validate_granule(ds) is ds
    bad = ds.drop_vars("qa_pass")
    bad["xch4"].attrs["units"] = "1e-9"
    with pytest.raises(urbansat.SchemaError) as info:
        validate_granule(bad)
    msg = str(info.value)
    assert "qa_pass" in msg and "units" in msg


def test_to_soundings_drops_failed_and_nan():
    ds = _swath()
    ds["qa_pass"][0, 0] = False
    ds["xch4"][1, 1] = np.nan
    flat = to_soundings(ds)
    assert flat.sizes["sounding"] == 10
    assert gas_of(flat) == "ch4"
    assert set(zip(flat.y.values.tolist(), flat.x.values.tolist(), strict=False)).isdisjoint(
        {(0, 0), (1, 1)}
    )
    assert pd.Index(flat.sounding.values).is_unique
