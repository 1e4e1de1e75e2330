"""Property tests: variable-level corruptions of official-layout granules (issue 15 checks).

Files written by :mod:`urbansat.testing.granules` in the exact layouts of
``../shared/spec/formats.md`` (TROPOMI CH4 v2, OCO-2 Lite v11, ACOS GOSAT Lite, NIES GOSAT FTS
SWIR L2) are damaged the way files are damaged in practice, one variable at a time, with
h5py (all four are HDF5 underneath):

* ``delete`` - the variable is removed (a truncated download, a subsetting tool that dropped
  it);
* ``dtype`` - the variable is rewritten as int16 or as fixed-length strings (a converter that
  changed its type);
* ``all_fill`` - every value is the variable's ``_FillValue`` (or NaN where it has none);
* ``fill_attr`` - the ``_FillValue`` attribute is changed to an ordinary value;
* ``units`` - the ``units`` attribute becomes a unit of another quantity.

Opening the result must end in an :class:`~urbansat.errors.UrbansatError` naming the file
(or the granule), or in a swath that :func:`urbansat.validate_granule` accepts: never a raw
h5py / netCDF4 / numpy / KeyError exception and never a hang (each example under
``SIGALRM``). Hypothesis draws (variable, corruption) pairs with a fixed seed, so a failure
is reproducible and the run is deterministic.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import urbansat
from urbansat.errors import UrbansatError
from urbansat.testing.granules import write_gosat_fts, write_oco_lite, write_tropomi_ch4

from ._timeout import time_limit

_TMP = Path(tempfile.mkdtemp(prefix="urbansat-varcorrupt-"))

_WRITERS: dict[str, Callable[[Path], Path]] = {
    "tropomi_ch4": lambda d: Path(write_tropomi_ch4(d, n_scanlines=12, n_pixels=6)),
    "oco2_lite": lambda d: Path(write_oco_lite(d, n_frames=20)),
    "acos_lite": lambda d: Path(write_oco_lite(d, platform="acos", n_frames=20)),
    "gosat_fts": lambda d: Path(write_gosat_fts(d, n_soundings=20)),
}


def _good(product: str) -> tuple[Path, bytes, list[str]]:
    folder = _TMP / product
    folder.mkdir(exist_ok=True)
    path = _WRITERS[product](folder)
    names: list[str] = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    return path, path.read_bytes(), sorted(names)


_GOOD = {product: _good(product) for product in _WRITERS}
_CORRUPTIONS = ("delete", "dtype", "all_fill", "fill_attr", "units")
#: A unit of another quantity (a length), which no reader may take for a mole fraction,
#: an angle, a time or a wind.
_WRONG_UNITS = "furlong"


def _rewrite(f: h5py.File, name: str, data: np.ndarray[Any, Any], attrs: dict[str, Any]) -> None:
    """Replace dataset ``name`` by ``data`` (new dtype), keeping the attributes that still fit."""
    del f[name]
    new = f.create_dataset(name, data=data)
    for key, value in attrs.items():
        if key in ("_FillValue", "DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME"):
            continue  # fill values of the old dtype and dimension-scale bookkeeping do not fit
        new.attrs[key] = value


def _corrupt(path: Path, name: str, kind: str) -> None:
    """Apply corruption ``kind`` to variable ``name`` of the HDF5 file ``path`` in place."""
    with h5py.File(path, "r+") as f:
        ds = f[name]
        if kind == "delete":
            del f[name]
            return
        if kind == "units":  # NIES GOSAT FTS names the attribute "unit"
            for key in [k for k in ("units", "unit") if k in ds.attrs] or ["units"]:
                ds.attrs[key] = _WRONG_UNITS
            return
        if ds.dtype.kind not in "fiu":
            return  # string, compound or reference variables have no numeric fill or dtype
        if kind == "dtype":
            attrs = dict(ds.attrs)
            values = ds[()]
            new = (
                np.asarray(values).astype("S8")
                if values.size % 2
                else np.clip(np.nan_to_num(values), -32768, 32767).astype(np.int16)
            )
            _rewrite(f, name, new, attrs)
            return
        fill = ds.attrs.get("_FillValue")
        if kind == "all_fill":
            if fill is not None:
                ds[...] = np.asarray(fill, dtype=ds.dtype)
            elif ds.dtype.kind == "f":
                ds[...] = np.nan
            return
        if kind == "fill_attr" and fill is not None:
            # an ordinary value as fill: the variable's own first value
            first = np.asarray(ds[()]).ravel()[:1]
            if first.size:
                ds.attrs.modify("_FillValue", first.astype(ds.dtype))


def _open_corrupted(product: str, name: str, kind: str, tmp: Path) -> None:
    good, data, _ = _GOOD[product]
    p = tmp / good.name
    p.write_bytes(data)
    _corrupt(p, name, kind)
    try:
        with time_limit(20, f"opening {product} with {name} {kind}"), warnings.catch_warnings():
            # a damaged file may legitimately warn (empty QA selection, fill-only variables);
            # the property is about errors, so warnings are not what this test judges
            warnings.simplefilter("ignore")
            ds = urbansat.open_granules(p)
            urbansat.validate_granule(ds)
            ds.load()  # values must be readable, not only the lazy graph
    except UrbansatError as err:
        msg = str(err)
        assert good.name in msg or "granule" in msg.lower(), f"{product} {name} {kind}: {msg}"
    finally:
        p.unlink()


_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("product", sorted(_WRITERS))
@_SETTINGS
@given(data=st.data())
def test_variable_corruption(product: str, data: st.DataObject, tmp_path: Path) -> None:
    names = _GOOD[product][2]
    name = data.draw(st.sampled_from(names), label="variable")
    kind = data.draw(st.sampled_from(_CORRUPTIONS), label="corruption")
    _open_corrupted(product, name, kind, tmp_path)


@pytest.mark.parametrize("product", sorted(_WRITERS))
def test_every_variable_deleted(product: str, tmp_path: Path) -> None:
    """Deleting any one variable never gives a raw exception (exhaustive, not sampled)."""
    for name in _GOOD[product][2]:
        _open_corrupted(product, name, "delete", tmp_path)


#: The variables every reader needs (gas, its uncertainty, position, QA, time), per product.
_CRITICAL = {
    "tropomi_ch4": (
        "PRODUCT/methane_mixing_ratio_bias_corrected",
        "PRODUCT/methane_mixing_ratio_precision",
        "PRODUCT/latitude",
        "PRODUCT/longitude",
        "PRODUCT/qa_value",
        "PRODUCT/delta_time",
    ),
    "oco2_lite": ("xco2", "xco2_uncertainty", "latitude", "longitude", "xco2_quality_flag", "time"),
    "acos_lite": ("xco2", "xco2_uncertainty", "latitude", "longitude", "xco2_quality_flag", "time"),
    "gosat_fts": (
        "Data/mixingRatio/XCO2BiasCorrected",
        "Data/mixingRatio/XCO2BiasCorrectedError",
        "Data/geolocation/latitude",
        "Data/geolocation/longitude",
        "Data/retrievalQuality/totalPostScreeningResult",
        "scanAttribute/time",
    ),
}


@pytest.mark.parametrize("kind", _CORRUPTIONS)
@pytest.mark.parametrize("product", sorted(_WRITERS))
def test_critical_variables_every_corruption(product: str, kind: str, tmp_path: Path) -> None:
    """Each corruption of each variable a reader cannot do without (exhaustive)."""
    for name in _CRITICAL[product]:
        assert name in _GOOD[product][2], f"{product} layout changed: {name} not in the file"
        _open_corrupted(product, name, kind, tmp_path)


@pytest.mark.parametrize("product", sorted(_WRITERS))
def test_wrong_units_on_used_variables_refused(product: str, tmp_path: Path) -> None:
    """A unit of another quantity on the gas, its uncertainty, latitude or longitude: refused.

    These are the variables whose units the readers read (the other variables of the
    layout are documented with one unit and are not converted); a silent use would put a
    length where a mole fraction or an angle belongs.
    """
    from urbansat.errors import UnitsError

    good, data, _ = _GOOD[product]
    for name in _CRITICAL[product][:4]:  # gas, uncertainty, latitude, longitude
        p = tmp_path / good.name
        p.write_bytes(data)
        _corrupt(p, name, "units")
        with pytest.raises(UnitsError) as info, warnings.catch_warnings():
            warnings.simplefilter("ignore", urbansat.UrbansatWarning)
            urbansat.open_granules(p)
        msg = str(info.value)
        assert good.name in msg and name.rsplit("/", 1)[-1] in msg and _WRONG_UNITS in msg, msg
        p.unlink()


@pytest.mark.parametrize("product", sorted(_WRITERS))
def test_gas_rewritten_as_integers_refused(product: str, tmp_path: Path) -> None:
    """A gas column rewritten as int16 (rounded ppm/ppb) is refused, not used rounded."""
    from urbansat.errors import SchemaError

    good, data, _ = _GOOD[product]
    gas = _CRITICAL[product][0]
    p = tmp_path / good.name
    p.write_bytes(data)
    with h5py.File(p, "r+") as f:
        values, attrs = f[gas][()], dict(f[gas].attrs)
        ints = np.clip(np.nan_to_num(values), -32768, 32767).astype(np.int16)
        _rewrite(f, gas, ints, attrs)
    with pytest.raises(SchemaError, match="int16") as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", urbansat.UrbansatWarning)
        urbansat.open_granules(p)
    assert good.name in str(info.value)


def test_gas_variable_deleted_names_it(tmp_path: Path) -> None:
    """A missing gas variable is named: a fallback is announced, no gas at all is refused."""
    good, data, _ = _GOOD["tropomi_ch4"]
    p = tmp_path / good.name
    p.write_bytes(data)
    _corrupt(p, "PRODUCT/methane_mixing_ratio_bias_corrected", "delete")
    with pytest.warns(urbansat.UrbansatWarning, match="methane_mixing_ratio_bias_corrected"):
        urbansat.open_granules(p)
    _corrupt(p, "PRODUCT/methane_mixing_ratio", "delete")
    with pytest.raises(UrbansatError, match="methane_mixing_ratio"):
        urbansat.open_granules(p)
    assert good.read_bytes() == data  # the original was not touched
