"""Bad input files for every product: refused with an urbansat error naming the file and problem.

One test per (product, bad file) case: missing, a directory, a FIFO, a character device
(``/dev/zero`` behind a product file name), empty, an HTML error page, a truncated
file. Each asserts the error class, that the message names the file and the problem,
that nothing hangs (``SIGALRM`` after a few seconds) and that no input file changed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import urbansat
from urbansat.errors import InputFileError, UrbansatError
from urbansat.ingest.factors import read_factor_table, read_invest_table, read_legend
from urbansat.ingest.inventory import read_inventory
from urbansat.schema import check_input_file
from urbansat.testing.granules import write_gosat_fts, write_oco_lite, write_tropomi_ch4

from ._timeout import time_limit

TIMEOUT_S = 20


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    """Fail (instead of hanging the suite) when a case blocks, e.g. reading a FIFO."""
    with time_limit(TIMEOUT_S, "bad-input case"):
        yield


def _digest(root: Path) -> dict[str, str]:
    """sha256 of every regular file under ``root`` (FIFOs and devices by their kind only)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            out[str(p)] = "link:" + os.readlink(p)
        elif p.is_fifo():
            out[str(p)] = "fifo"
        elif p.is_file():
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _swath(product: str) -> Callable[[Path], Any]:
    return lambda p: urbansat.open_granules(p, product=product)


def _real_oco(platform: str) -> Callable[[Path], Path]:
    return lambda d: write_oco_lite(d, platform=platform, n_frames=20)  # type: ignore[arg-type]


def _smartcarb_sample(d: Path) -> Path:
    src = Path(__file__).resolve().parents[2] / "data" / "samples" / "smartcarb"
    dst = d / "Sentinel_7_CO2_2015042311_o1670_l0483.nc"
    dst.write_bytes((src / dst.name).read_bytes()[:2_000_000])  # already truncated: a header
    return dst


def _boundaries(d: Path) -> Path:
    import geopandas as gpd
    from shapely.geometry import box

    p = d / "districts.gpkg"
    gpd.GeoDataFrame({"id": ["a"]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(p, driver="GPKG")
    return p


#: product -> (file name, opener, writer of a good file for truncation or None)
PRODUCTS: dict[str, tuple[str, Callable[[Path], Any], Callable[[Path], Path] | None]] = {
    "oco2": (
        "oco2_LtCO2_200704_B11014Ar_230101T000000Z.nc4",
        _swath("oco2_l2_lite"),
        _real_oco("oco2"),
    ),
    "oco3": (
        "oco3_LtCO2_200704_B10400Br_230101T000000Z.nc4",
        _swath("oco3_l2_lite"),
        _real_oco("oco3"),
    ),
    "acos": (
        "acos_LtCO2_200704_v201201_B9213A_230101T000000Z.nc4",
        _swath("acos_l2_lite"),
        _real_oco("acos"),
    ),
    "gosat": (
        "GOSATTFTS2020070400_02C01SV0300R00000000000.h5",
        _swath("gosat_l2_fts"),
        lambda d: write_gosat_fts(d, n_soundings=20),
    ),
    "tropomi": (
        "S5P_OFFL_L2__CH4____20200704T000000_20200704T010000_00000_02_020400_20200705T000000.nc",
        _swath("tropomi_l2_ch4"),
        lambda d: write_tropomi_ch4(d, n_scanlines=20, n_pixels=10),
    ),
    "smartcarb": (
        "Sentinel_7_CO2_2015042311_o1670_l0483.nc",
        _swath("smartcarb"),
        _smartcarb_sample,
    ),
    "boundaries": (
        "districts.gpkg",
        lambda p: urbansat.read_boundaries(p, level="county"),
        _boundaries,
    ),
    "landcover": (
        "ESA_WorldCover_10m_2021_v200_N00E006_Map.tif",
        lambda p: urbansat.open_landcover(p).isel(x=slice(0, 4), y=slice(0, 4)).values,
        None,
    ),
    "factor_table": ("factors.csv", read_factor_table, None),
    "invest_table": ("carbon_pools.csv", read_invest_table, None),
    "legend": ("legend.csv", read_legend, None),
    "inventory": ("inventory.csv", read_inventory, None),
}

#: bad kind -> words the message must contain
KINDS: dict[str, tuple[str, ...]] = {
    "missing": ("does not exist",),
    "directory": ("directory",),
    "fifo": ("FIFO",),
    "device": ("character device",),
    "empty": ("empty",),
    "html_page": ("not",),
    "truncated": ("truncated", "cannot", "corrupt", "not"),
}
_BINARY = {"oco2", "oco3", "acos", "gosat", "tropomi", "smartcarb", "boundaries", "landcover"}

CASES = [
    pytest.param(prod, kind, id=f"{prod}-{kind}")
    for prod in PRODUCTS
    for kind in KINDS
    if (prod in _BINARY or kind not in ("html_page", "truncated"))
    and not (kind == "truncated" and PRODUCTS[prod][2] is None)
]


def _make(kind: str, prod: str, d: Path) -> Path:
    name, _, writer = PRODUCTS[prod]
    p = d / name
    if kind == "missing":
        return p
    if kind == "directory":
        p.mkdir()
    elif kind == "fifo":
        os.mkfifo(p)
    elif kind == "device":
        p.symlink_to("/dev/zero")
    elif kind == "empty":
        p.write_bytes(b"")
    elif kind == "html_page":
        p.write_text("<!DOCTYPE html><html><body>503 Service Unavailable</body></html>\n")
    elif kind == "truncated":
        assert writer is not None
        (d / "good").mkdir()
        good = writer(d / "good")
        data = Path(good).read_bytes()
        p.write_bytes(data[: max(len(data) // 3, 1024)] if prod != "smartcarb" else data)
    return p


@pytest.mark.parametrize(("prod", "kind"), CASES)
def test_bad_file_is_refused(prod: str, kind: str, tmp_path: Path) -> None:
    path = _make(kind, prod, tmp_path)
    before = _digest(tmp_path)
    with pytest.raises(UrbansatError) as info:
        PRODUCTS[prod][1](path)
    err = info.value
    msg = str(err)
    assert isinstance(
        err,
        (
            InputFileError,
            urbansat.ProductNotRecognizedError,
            urbansat.BoundaryError,
            urbansat.MissingVariableError,
        ),
    ), f"{type(err).__name__}: {msg}"
    if kind in ("missing", "directory", "fifo", "device", "empty"):
        assert isinstance(err, InputFileError), msg
    assert path.name in msg, f"message does not name the file: {msg}"
    assert any(w.lower() in msg.lower() for w in KINDS[kind]), (
        f"message does not name the problem: {msg}"
    )
    assert _digest(tmp_path) == before, "an input file changed"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        pytest.param(lambda d: d / "nope.nc", "does not exist", id="missing"),
        pytest.param(lambda d: d, "is a directory", id="directory"),
        pytest.param(lambda d: (os.mkfifo(d / "f.nc"), d / "f.nc")[1], "FIFO", id="fifo"),
        pytest.param(lambda d: Path("/dev/zero"), "character device", id="dev-zero"),
        pytest.param(
            lambda d: ((d / "e.nc").write_bytes(b""), d / "e.nc")[1],
            r"empty \(0 bytes\)",
            id="empty",
        ),
    ],
)
def test_check_input_file_names_the_problem(
    make: Callable[[Path], Path], words: str, tmp_path: Path
) -> None:
    path = make(tmp_path)
    with pytest.raises(InputFileError, match=words) as info:
        check_input_file(path, "Granule")
    assert str(path) in str(info.value)
    assert isinstance(info.value, OSError)


def test_check_input_file_unreadable(tmp_path: Path) -> None:
    p = tmp_path / "locked.nc"
    p.write_bytes(b"CDF\x01")
    p.chmod(0)
    try:
        if os.access(p, os.R_OK):  # running as root: permissions do not apply
            pytest.skip("running as root: a mode-0 file is still readable")
        with pytest.raises(InputFileError, match="not readable"):
            check_input_file(p)
    finally:
        p.chmod(0o644)


def test_good_file_passes_the_gate(tmp_path: Path) -> None:
    p = write_tropomi_ch4(tmp_path, n_scanlines=5, n_pixels=4)
    assert check_input_file(p) == Path(p)
