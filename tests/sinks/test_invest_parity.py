"""InVEST carbon-model parity (issue 18 Checks): storage, change and NPV rasters and totals.

Runs ``natcap.invest.carbon.execute`` and :func:`urbansat.carbon_maps` on the same land-cover
pair, biophysical table, price, discount rate and years. Skipped when natcap.invest is not
installed (``pip install "urbansat[invest]"``; it builds from source and needs GDAL headers).
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rioxarray

from urbansat.sinks import carbon_maps
from urbansat.testing.landcover import make_landcover, write_geotiff

invest_carbon = pytest.importorskip(
    "natcap.invest.carbon",
    reason="natcap.invest is not importable (optional extra 'invest'; needs GDAL built with numpy)",
    exc_type=ImportError,
)

PRICE, DISCOUNT, CHANGE = 43.0, 7.0, 1.5
YEARS = (2020, 2025)
# biophysical test table for the WorldCover codes [t C ha-1]; code 0 (nodata) is InVEST nodata
TABLE = pd.DataFrame(
    {
        "lucode": [10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100],
        "c_above": [112.3, 20.4, 5.1, 5.0, 0.0, 0.2, 0.0, 0.0, 3.3, 81.7, 2.2],
        "c_below": [31.4, 8.2, 2.3, 1.0, 0.0, 0.1, 0.0, 0.0, 1.1, 29.9, 1.0],
        "c_soil": [84.0, 61.0, 50.5, 40.2, 20.0, 10.3, 0.0, 0.0, 101.0, 204.0, 30.0],
        "c_dead": [5.5, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    }
)


def _run_invest(tmp: Path, start: Path, end: Path) -> dict[str, Path]:
    bio = tmp / "biophysical.csv"
    TABLE.to_csv(bio, index=False)
    ws = tmp / "invest"
    args = {
        "workspace_dir": str(ws),
        "lulc_bas_path": str(start),
        "lulc_alt_path": str(end),
        "calc_sequestration": True,
        "carbon_pools_path": str(bio),
        "lulc_bas_year": YEARS[0],
        "lulc_alt_year": YEARS[1],
        "do_valuation": True,
        "price_per_metric_ton_of_c": PRICE,
        "discount_rate": DISCOUNT,
        "rate_change": CHANGE,
        "n_workers": -1,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        invest_carbon.execute(args)
    return {p.stem: p for p in ws.rglob("*") if p.suffix in (".tif", ".csv")}


def _read(path: Path) -> np.ndarray:
    da = rioxarray.open_rasterio(path, masked=True).squeeze("band", drop=True)
    return np.asarray(da.values, dtype="float64")


def _compare(
    tmp: Path, start_arr: np.ndarray, end_arr: np.ndarray, transform, crs
) -> dict[str, float]:
    p0 = write_geotiff(tmp / "bas.tif", start_arr, crs=crs, transform=transform, nodata=0)
    p1 = write_geotiff(tmp / "alt.tif", end_arr, crs=crs, transform=transform, nodata=0)
    out = _run_invest(tmp, p0, p1)
    s = make_landcover(start_arr, year=YEARS[0], crs=crs, transform=transform, chunks=256)
    e = make_landcover(end_arr, year=YEARS[1], crs=crs, transform=transform, chunks=256)
    m = carbon_maps(
        s,
        e,
        legend="worldcover",
        factors=TABLE,
        years=YEARS[1] - YEARS[0],
        valuation={"price": PRICE, "discount_rate": DISCOUNT, "rate_change": CHANGE},
    ).compute()
    worst = {}
    for ours, theirs in (
        ("density_start", "c_storage_bas"),
        ("density_end", "c_storage_alt"),
        ("density_change", "c_change_bas_alt"),
        ("npv_density", "npv_alt"),
    ):
        a = m[ours].values
        b = _read(out[theirs])
        both = np.isfinite(a) & np.isfinite(b)
        assert both.sum() > 0.9 * np.isfinite(a).sum()
        rel = np.abs(a[both] - b[both]) / np.maximum(np.abs(b[both]), 1.0)
        worst[ours] = float(rel.max())
        assert worst[ours] <= 1e-6, (ours, worst[ours])
    with open(
        out["carbon_summary"]
        if "carbon_summary" in out
        else next(p for k, p in out.items() if k.endswith("summary")),
        newline="",
    ) as fh:
        totals = {r["Filename"]: float(r["Total"]) for r in csv.DictReader(fh)}
    for ours, fname in (
        ("stock_start", "c_storage_bas.tif"),
        ("stock_end", "c_storage_alt.tif"),
        ("stock_change", "c_change_bas_alt.tif"),
    ):
        t = totals[fname]
        rel = abs(float(m[ours].sum()) - t) / abs(t)
        worst[ours + "_total"] = rel
        assert rel <= 1e-7, (ours, rel)
    npv_total = totals["npv_alt.tif"]
    rel = abs(float(m["npv"].sum()) - npv_total) / abs(npv_total)
    worst["npv_total"] = rel
    assert rel <= 1e-6
    return worst


@pytest.mark.slow
def test_parity_generated_pair(tmp_path):
    from affine import Affine

    from urbansat.testing.landcover import make_landcover_pair

    s, e = make_landcover_pair(shape_yx=(300, 300), seed=3)
    print(
        _compare(tmp_path, s.values, e.values, Affine(10, 0, 500000, 0, -10, 100000), "EPSG:32632")
    )


@pytest.mark.slow
def test_parity_real_worldcover_crop_in_utm(tmp_path, shared_samples):
    wc = shared_samples / "landcover" / "esa_worldcover"
    arrays = []
    for name in (
        "ESA_WorldCover_10m_2020_v100_N00E006_Map.tif",
        "ESA_WorldCover_10m_2021_v200_N00E006_Map.tif",
    ):
        if not (wc / name).exists():
            pytest.skip(f"{wc / name} absent")
        da = rioxarray.open_rasterio(wc / name, chunks={"x": 4096, "y": 4096}).squeeze(
            "band", drop=True
        )
        crop = da.sel(x=slice(6.60, 6.64), y=slice(0.36, 0.32)).compute()  # São Tomé, 400 x 400 px
        arrays.append(crop.rio.reproject("EPSG:32632", resolution=10.0, nodata=0))
    a, b = arrays
    b = b.rio.reproject_match(a, nodata=0)
    print(
        _compare(
            tmp_path,
            a.values.astype("uint8"),
            b.values.astype("uint8"),
            a.rio.transform(),
            "EPSG:32632",
        )
    )
