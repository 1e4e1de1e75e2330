"""The report is never written over an input it documents, nor over a pipe or a device."""

from __future__ import annotations

import os
import stat
import sys
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "indicators"))
import builders

import urbansat
from urbansat.errors import OutputPathError
from urbansat.report import write_report, write_report_pdf


@pytest.fixture(scope="module")
def report_inputs():
    bd = builders.boundaries()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = urbansat.tci231_indicators(
            emissions={"2019": builders.emissions("co2", 1.0)}, boundaries=bd, periods=["2019"]
        )
    return table, bd


@pytest.mark.parametrize("writer", ["html", "pdf", "html+pdf"])
def test_report_over_an_input_listed_in_its_provenance_is_refused(tmp_path, report_inputs, writer):
    table, bd = report_inputs
    src = tmp_path / "boundaries.geojson"
    src.write_bytes(b'{"type": "FeatureCollection", "features": []}')
    before = src.read_bytes()
    link = tmp_path / "report.html"
    link.symlink_to(src)  # a second name of the input is caught as well
    prov = {"inputs": [{"path": str(src), "bytes": len(before), "sha256": "x"}]}
    kw = {"table": table, "boundaries": bd, "provenance": prov}
    msg = r"would overwrite the input 'provenance inputs\[0\]'"
    with pytest.raises(OutputPathError, match=msg):
        if writer == "html":
            write_report(link, **kw)
        elif writer == "pdf":
            write_report_pdf(src, **kw)
        else:
            write_report(tmp_path / "r.html", pdf=src, **kw)
    assert src.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["boundaries.geojson", "report.html"]


def test_report_to_a_fifo_is_refused_and_the_fifo_kept(tmp_path, report_inputs):
    table, bd = report_inputs
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    with pytest.raises(OutputPathError, match="FIFO"):
        write_report(fifo, table=table, boundaries=bd)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_an_input_path_that_is_not_utf8_is_kept_as_its_escape(tmp_path, report_inputs):
    """A granule named in GBK bytes (a lone surrogate in Python) made the writers fail."""
    import json

    import xarray as xr

    from urbansat.export import provenance, write_netcdf

    table, bd = report_inputs
    raw = os.fsencode(tmp_path) + b"/granule_\xb1.nc"
    with open(raw, "wb") as f:
        f.write(b"input bytes")
    name = os.fsdecode(raw)
    prov = provenance([name])
    out = write_netcdf(table, tmp_path / "t.nc", prov=prov)
    with xr.open_dataset(out) as ds:
        back = json.loads(ds.attrs["urbansat_provenance"])
    assert back["inputs"][0]["path"] == name  # the same str after the round trip
    html = write_report(tmp_path / "r.html", table=table, boundaries=bd, provenance=prov)
    assert "granule_\\udcb1.nc" in html.read_text(encoding="utf-8")
    with open(raw, "rb") as f:
        assert f.read() == b"input bytes"
