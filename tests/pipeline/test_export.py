"""Exports: atomic writes, provenance in every format, CF/ACDD attributes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "indicators"))
import builders

from urbansat.errors import SchemaError
from urbansat.export import (
    atomic_write,
    provenance,
    sha256,
    table_to_dataset,
    write_csv,
    write_netcdf,
    write_tables,
)


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    p = tmp_path / "out.csv"
    p.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(p) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert p.read_text() == "old"
    assert [x.name for x in tmp_path.iterdir()] == ["out.csv"]  # no temp file left


@pytest.mark.parametrize("kind", ["fifo", "folder", "symlink_to_fifo"])
def test_atomic_write_refuses_a_target_that_is_not_a_regular_file(tmp_path, kind):
    # os.replace would turn a FIFO, a device (as root: /dev/null itself) or a folder into a
    # file; the target must be refused before anything is written
    import os
    import stat

    from urbansat.errors import OutputPathError

    target = tmp_path / "out.html"
    if kind == "folder":
        target.mkdir()
        (target / "keep.txt").write_text("mine")
    else:
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        if kind == "fifo":
            target = fifo
        else:
            target.symlink_to(fifo)
    with (
        pytest.raises(OutputPathError, match=r"refusing to write.*(FIFO|folder)"),
        atomic_write(target) as tmp,
    ):
        tmp.write_text("report")
    mode = os.stat(target).st_mode
    assert stat.S_ISDIR(mode) if kind == "folder" else stat.S_ISFIFO(mode)
    if kind == "folder":
        assert (target / "keep.txt").read_text() == "mine"
    assert not [x for x in tmp_path.iterdir() if ".tmp-" in x.name]


def test_atomic_write_under_a_file_names_the_parent(tmp_path):
    from urbansat.errors import OutputPathError

    (tmp_path / "a.txt").write_text("mine")
    with (
        pytest.raises(OutputPathError, match="a parent of it is a file"),
        atomic_write(tmp_path / "a.txt" / "out.csv") as tmp,
    ):
        tmp.write_text("x")
    assert (tmp_path / "a.txt").read_text() == "mine"


def test_provenance_checksums(tmp_path):
    f = tmp_path / "in.txt"
    f.write_bytes(b"abc")
    prov = provenance([f], options={"x": 1})
    assert (
        prov["inputs"][0]["sha256"]
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert prov["inputs"][0]["bytes"] == 3 and prov["options"] == {"x": 1}
    assert sha256(f) == prov["inputs"][0]["sha256"]


def test_all_formats_round_trip(tmp_path):
    t = builders.full_table()
    prov = provenance([], options={"test": True})
    out = write_tables({"indicators": t}, tmp_path, boundaries=builders.boundaries(), prov=prov)
    assert {p.suffix for p in out["indicators"]} == {".csv", ".parquet", ".nc", ".gpkg", ".json"}
    back = pd.read_csv(tmp_path / "indicators.csv", dtype={"period": str})
    assert len(back) == len(t) and list(back.columns) == list(t.columns)
    assert json.loads((tmp_path / "indicators.csv.provenance.json").read_text())["options"] == {
        "test": True
    }
    pq = pd.read_parquet(tmp_path / "indicators.parquet")
    pd.testing.assert_frame_equal(
        pq.reset_index(drop=True), t.reset_index(drop=True), check_dtype=False
    )


def test_netcdf_is_cf_and_acdd():
    t = builders.full_table()
    ds = table_to_dataset(t, prov={"a": 1})
    assert ds.attrs["Conventions"] == "CF-1.10, ACDD-1.3"
    for k in ("title", "summary", "keywords", "date_created", "history", "product_version"):
        assert ds.attrs[k]
    for v in ds.data_vars:
        if ds[v].dtype.kind == "f":
            assert "units" in ds[v].attrs, v
    assert ds["atmosphere_emission_change_relative_change"].attrs["units"] == "percent"
    assert (
        "atmosphere_concentration_column_mean_ppm" in ds
        or "atmosphere_concentration_column_mean" in ds
    )
    v = ds["sink_total_sink_net_sink"].sel(boundary="C1", sink_target="forest", sink_period="2020")
    assert float(v) == pytest.approx(12.0)


def test_netcdf_statuses_are_cf_flags():
    """Issue 19 item 4: statuses as flag_values / flag_meanings, decoded back to the table's."""
    from urbansat.status import Status

    t = builders.full_table()
    ds = table_to_dataset(t)
    st = ds["sink_total_sink_net_sink_status"]
    assert st.dtype == np.int8 and st.attrs["_FillValue"] == -1
    meanings = st.attrs["flag_meanings"].split()
    assert meanings == [m.value for m in Status]
    assert list(st.attrs["flag_values"]) == list(range(len(meanings)))
    for _, row in t[t.indicator == "total_sink.net_sink"].iterrows():
        code = int(st.sel(boundary=row.boundary_id, sink_target=row.target, sink_period=row.period))
        assert meanings[code] == row.status


def test_csv_writer_does_not_modify_input(tmp_path):
    t = builders.full_table()
    before = t.copy()
    write_csv(t, tmp_path / "x.csv", prov={})
    pd.testing.assert_frame_equal(t, before)


def test_netcdf_units_are_udunits():
    ds = table_to_dataset(builders.full_table())
    assert ds["sink_total_sink_net_sink"].attrs["units"] == "t yr-1"
    assert ds["sink_total_sink_net_sink"].attrs["units_table"] == "t CO2 yr-1"
    assert "mass of CO2" in ds["sink_total_sink_net_sink"].attrs["long_name"]
    assert ds["sink_total_sink_carbon_stock"].attrs["units"] == "t"
    assert ds["atmosphere_concentration_column_mean_ppm"].attrs["units"] == "1e-6"
    assert ds["atmosphere_concentration_column_mean_ppt"].attrs["units"] == "1e-12"


def test_netcdf_periods_are_time_with_bounds():
    """Issue 19 item 4: periods as a CF time coordinate (mid-points) with bounds."""
    t = builders.full_table()
    labels = list(dict.fromkeys(t.loc[t.subject == "sink", "period"].astype(str)))
    assert "2020" in labels and "2020->2021" in labels
    ds = table_to_dataset(t, periods={"2020": ("2020-01-01", "2021-01-01")})
    time = ds["sink_period_time"]
    assert (
        time.attrs["standard_name"] == "time" and time.attrs["bounds"] == "sink_period_time_bounds"
    )
    b = ds["sink_period_time_bounds"].sel(sink_period="2020").values
    np.testing.assert_array_equal(b, np.array(["2020-01-01", "2021-01-01"], dtype="datetime64[ns]"))
    change = ds["sink_period_time_bounds"].sel(sink_period="2020->2021").values
    np.testing.assert_array_equal(  # from the start of 2020 to the end of 2021 (a bare year)
        change, np.array(["2020-01-01", "2022-01-01"], dtype="datetime64[ns]")
    )
    assert time.sel(sink_period="2020").values == np.datetime64("2020-07-02", "ns")
    # a label whose dates are unknown: no time coordinate rather than a guess
    odd = t.assign(period=t.period.replace({"2021": "spring"}))
    assert "sink_period_time" not in table_to_dataset(odd)


def test_netcdf_keeps_n_obs_and_the_quantity_of_t_per_yr(tmp_path):
    t = builders.full_table().assign(n_obs=lambda d: np.arange(len(d)))
    ds = table_to_dataset(t)
    assert ds["sink_total_sink_net_sink"].attrs["quantity"] == "mass of CO2"  # the docs said so
    row = t[t.indicator == "total_sink.net_sink"].iloc[0]
    n = ds["sink_total_sink_net_sink_n_obs"].sel(
        boundary=row.boundary_id, sink_target=row.target, sink_period=row.period
    )
    assert int(n) == int(row.n_obs)  # the other formats carried n_obs, the netCDF not
    write_netcdf(t, tmp_path / "i.nc", prov={})
    back = xr.open_dataset(tmp_path / "i.nc")
    assert "sink_total_sink_net_sink_n_obs" in back
    back.close()


def test_netcdf_periods_outside_the_nanosecond_era_are_not_wrapped():
    """A period in 1500 was written as 2084-07-20 (datetime64[ns] overflow), silently."""
    t = builders.full_table()
    # a bare "1500" is a label, not a year of satellite data: no time coordinate, no guess
    odd = t.assign(period=t.period.replace({"2021": "1500", "2020->2021": "2020->1500"}))
    assert "sink_period_time" not in table_to_dataset(odd)
    with pytest.raises(SchemaError, match=r"Period '2020' runs 1500-01-01.*outside the years"):
        table_to_dataset(t, periods={"2020": ("1500-01-01", "1501-01-01")})
    # zoned dates are converted to UTC (numpy warned and dropped the zone)
    ds = table_to_dataset(t, periods={"2020": ("2020-01-01T08:00+08:00", "2021-01-01T00:00Z")})
    b = ds["sink_period_time_bounds"].sel(sink_period="2020").values
    np.testing.assert_array_equal(b, np.array(["2020-01-01", "2021-01-01"], dtype="datetime64[ns]"))
