"""The table writers never write over an input their provenance lists, and never half-write.

Found by probing the writers (2026-12-07); each test fails on the code before its fix.
"""

from __future__ import annotations

import pandas as pd
import pytest

import urbansat.export as ex
from urbansat.errors import OutputPathError


def _table():
    return pd.DataFrame({"boundary_id": ["a", "b"], "value": [1.0, 2.0]})


@pytest.mark.parametrize("writer", ["write_csv", "write_parquet", "write_json"])
def test_a_writer_refuses_an_input_its_provenance_lists(tmp_path, writer):
    granule = tmp_path / "granule.nc4"
    granule.write_bytes(b"input bytes")
    prov = ex.provenance([granule])
    with pytest.raises(OutputPathError, match="would overwrite the input 'provenance inputs"):
        getattr(ex, writer)(_table(), granule, prov=prov)
    assert granule.read_bytes() == b"input bytes"


def test_the_csv_sidecar_is_guarded_before_the_csv_is_written(tmp_path):
    out = tmp_path / "t.csv"
    (tmp_path / "t.csv.provenance.json").mkdir()  # a folder where the sidecar goes
    with pytest.raises(OutputPathError):
        ex.write_csv(_table(), out, prov={})
    assert not out.exists()


def test_write_tables_keeps_dotted_names_apart(tmp_path):
    t = {"validation.co2": _table().head(1), "validation.ch4": _table()}
    out = ex.write_tables(t, tmp_path, prov={}, formats=("csv",))
    assert [p.name for p in out["validation.co2"]] == ["validation.co2.csv"]
    assert len(pd.read_csv(tmp_path / "validation.co2.csv")) == 1  # both went to validation.csv
    assert len(pd.read_csv(tmp_path / "validation.ch4.csv")) == 2


def test_csv_keeps_every_digit_of_a_float(tmp_path):
    """A float sounding id (NaN-able) or an area kept to 16-17 digits reads back the same."""
    df = pd.DataFrame({"sounding_id": [2020070420300001.0], "area_m2": [123456789.123456]})
    back = pd.read_csv(ex.write_csv(df, tmp_path / "t.csv", prov={}))
    assert back["sounding_id"].iloc[0] == 2020070420300001.0
    assert back["area_m2"].iloc[0] == 123456789.123456


@pytest.mark.parametrize("name", ["../escaped", "sub/t", "", "..", "a\0b"])
def test_write_tables_refuses_a_name_that_leaves_out_dir(tmp_path, name):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(OutputPathError, match="is not a plain file name"):
        ex.write_tables({name: _table()}, out, prov={}, formats=("csv",))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["out"]


def test_write_tables_refuses_an_unknown_format_naming_the_known(tmp_path):
    with pytest.raises(OutputPathError, match=r"Unknown table format\(s\) \['xlsx'\]; .*'csv'"):
        ex.write_tables({"t": _table()}, tmp_path, prov={}, formats=("csv", "xlsx"))
    assert list(tmp_path.iterdir()) == []


def test_write_tables_checks_every_output_before_the_first(tmp_path):
    (tmp_path / "t.json").mkdir()
    with pytest.raises(OutputPathError):
        ex.write_tables({"t": _table()}, tmp_path, prov={}, formats=("csv", "parquet", "json"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json"]  # no csv, no parquet


def test_an_unwritable_folder_is_an_output_path_error(tmp_path):
    import os

    if os.geteuid() == 0:
        target = "/sys/indicators.csv"  # not writable even for root
    else:
        d = tmp_path / "ro"
        d.mkdir()
        d.chmod(0o500)
        target = str(d / "indicators.csv")
    with pytest.raises(OutputPathError, match="is not writable"):
        ex.write_csv(_table(), target, prov={})


def _unwritable(monkeypatch, folder):
    """Make ``folder`` unwritable to the code, also when the tests run as root."""
    import os

    real_access, real_open = os.access, os.open

    def access(p, mode, *a, **k):
        return (
            False
            if os.path.realpath(p) == os.path.realpath(folder)
            else real_access(p, mode, *a, **k)
        )

    def open_(p, flags, *a, **k):
        if os.path.realpath(os.path.dirname(p)) == os.path.realpath(folder):
            raise PermissionError(13, "Permission denied", str(p))
        return real_open(p, flags, *a, **k)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(os, "open", open_)


def test_an_unwritable_output_dir_is_refused_before_any_work(tmp_path, monkeypatch):
    from urbansat.export.guard import check_output_dir
    from urbansat.pipeline.manifest import RunLock

    ro = tmp_path / "ro"
    ro.mkdir()
    _unwritable(monkeypatch, ro)
    with pytest.raises(OutputPathError, match="a folder you may not write to"):
        check_output_dir(ro / "sub", key="job.output_dir")
    lock = pytest.raises(OutputPathError, match=r"cannot take the run lock.*Permission denied")
    with lock, RunLock(ro):  # was a raw PermissionError from os.open
        pass
    refused = pytest.raises(OutputPathError, match="not writable")
    with refused, ex.atomic_write(ro / "t.csv") as tmp:  # mkstemp opens with os.open
        tmp.write_text("x")
    assert list(ro.iterdir()) == []


def test_demo_config_into_an_unwritable_folder_is_an_output_error(tmp_path, monkeypatch):
    from urbansat.cli.job_cmds import write_demo_config

    ro = tmp_path / "ro"
    ro.mkdir()
    _unwritable(monkeypatch, ro)
    with pytest.raises(OutputPathError, match="not writable"):  # PermissionError before
        write_demo_config(ro)
