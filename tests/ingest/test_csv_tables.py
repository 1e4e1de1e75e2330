"""Hand-written and spreadsheet CSV tables (sources, inventories, factor tables).

Before 2026-12-06 a sources file saved by Excel as "CSV UTF-8" had a column named
``"\\ufeffname"`` (refused as lacking ``name``), a ``;``-separated one was read as a single
column, and a GBK-encoded one failed inside pandas' C parser.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from urbansat.errors import InputFileError
from urbansat.ingest.inventory import read_inventory
from urbansat.ingest.tables import read_csv_table, read_sources

PLAIN = (
    "name,longitude,latitude,diameter_km\nBerlin,13.4077,52.517,30\nJanschwalde,14.4535,51.8415,1\n"
)


def _expected() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["Berlin", "Janschwalde"],
            "longitude": [13.4077, 14.4535],
            "latitude": [52.517, 51.8415],
            "diameter_km": [30, 1],
        }
    )


def _check(df: pd.DataFrame) -> None:
    exp = _expected()
    assert list(df.columns) == list(exp.columns)
    assert df["name"].tolist() == exp["name"].tolist()
    for c in ("longitude", "latitude", "diameter_km"):
        np.testing.assert_allclose(df[c].to_numpy(float), exp[c].to_numpy(float))


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (PLAIN, "utf-8"),
        (PLAIN, "utf-8-sig"),  # Excel's "CSV UTF-8": a byte-order mark before "name"
        ("# made in a spreadsheet\n" + PLAIN.replace(",", " , "), "utf-8"),
        (PLAIN.replace(",", ";"), "utf-8-sig"),  # a ';' locale with decimal points
        (PLAIN.replace(",", ";").replace(".", ","), "utf-8-sig"),  # ... and decimal commas
        (PLAIN.replace(",", "\t"), "utf-8"),
    ],
    ids=["plain", "bom", "comment-and-spaces", "semicolon", "decimal-comma", "tab"],
)
def test_spreadsheet_dialects_read_as_the_plain_table(tmp_path, text, encoding):
    p = tmp_path / "sources.csv"
    p.write_text(text, encoding=encoding)
    before = p.read_bytes()
    df = read_sources(p)
    _check(df)
    assert df.attrs["source_file"] == str(p)
    assert p.read_bytes() == before


def test_integer_names_stay_text(tmp_path):
    p = tmp_path / "ids.csv"
    p.write_text("name;longitude;latitude\n001;13,4;52,5\n002;14,5;51,8\n", encoding="utf-8")
    df = read_sources(p)
    assert df["name"].tolist() == ["001", "002"]
    np.testing.assert_allclose(df["longitude"], [13.4, 14.5])


@pytest.mark.parametrize("n_ascii_rows", [0, 5000], ids=["early", "after-the-first-block"])
def test_a_legacy_encoding_is_refused_with_the_fix(tmp_path, n_ascii_rows):
    # the header is decoded from the first block; a GBK name further down reached pandas
    p = tmp_path / "gbk.csv"
    rows = "".join(f"p{i},121.47,31.23\n" for i in range(n_ascii_rows))
    p.write_bytes(("name,longitude,latitude\n" + rows + "上海,121.47,31.23\n").encode("gbk"))
    before = p.read_bytes()
    with pytest.raises(InputFileError, match=r"gbk\.csv' is not UTF-8 text .*CSV UTF-8"):
        read_sources(p)
    assert p.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("# only a comment\n\n", r"has no header line"),
        ("name,longitude,latitude\nA,1,2\nB,1,2,3,4\n", r"not a readable CSV .*','-separated"),
        # pandas renamed the second column 'longitude.1': the first was used, silently
        (
            "name,longitude,latitude,longitude\nA,1,2,3\n",
            r"names the column\(s\) \['longitude'\] more than once in its header",
        ),
        ("name; longitude ;latitude;longitude\nA;1;2;3\n", r"\['longitude'\] more than once"),
    ],
    ids=["no-header", "ragged", "repeated-column", "repeated-column-semicolons"],
)
def test_unreadable_tables_name_the_file_and_fix(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=match):
        read_csv_table(p, "Sources")
    assert p.read_text(encoding="utf-8") == text


def test_the_inventory_reader_takes_a_bom_and_semicolons(tmp_path):
    src = tmp_path / "plain.csv"
    src.write_text(
        "ID,name,longitude,latitude,co2_emis_ty,ch4_emis_ty\n1,Plant A,13.4,52.5,1000000,12.5\n",
        encoding="utf-8",
    )
    alt = tmp_path / "excel.csv"
    alt.write_text(
        "ID;name;longitude;latitude;co2_emis_ty;ch4_emis_ty\n1;Plant A;13,4;52,5;1000000;12,5\n",
        encoding="utf-8-sig",
    )
    a, b = read_inventory(src), read_inventory(alt)
    cols = [c for c in a.columns if c not in ("source_file", "source")]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_a_sources_file_with_a_header_and_no_row_is_refused_by_name(tmp_path):
    # estimate_emissions then spoke of its sources= argument, not of the file
    p = tmp_path / "none.csv"
    p.write_text("name,longitude,latitude\n# no plant yet\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"none\.csv' has a header .* but no source row"):
        read_sources(p)
    assert p.read_text(encoding="utf-8") == "name,longitude,latitude\n# no plant yet\n"
