"""Benchmark of urbansat.account_sinks.

Run: ``python benchmarks/bench_sinks.py [--skip-real] [--invest-python PATH]``.

Cases, each in its own subprocess so peak memory (ru_maxrss) is per case:

* ``synthetic_60_counties``: two seeded 10000 x 10000, 30 m epochs (CLCD codes, China
  Albers), structured fields with plausible transitions, 60 Voronoi "county" polygons;
  all three T/CI 231 sink indicators (total sink, sink change, resource change) per
  county via ``account_sinks`` with default chunks. Floor in the same run, interleaved
  (3 repeats each, medians): plain numpy/rasterio doing the same job -- read both epochs,
  rasterize the counties, one bincount over (county, class_a, class_b), on the same
  number of threads; every county's transition areas are compared.
* ``invest``: InVEST's carbon model (``natcap.invest.carbon.execute``: storage of both
  epochs, their change) on the same 10000 x 10000 pair with the same pools (the factor
  table above as an InVEST biophysical table), against ``account_sinks(start, end, None,
  factors=<that table>, method="stock_difference")`` (whole raster, default chunks);
  3 interleaved repeats each, medians, and the totals compared. natcap.invest builds from
  source (extra ``invest``: apt ``libgdal-dev``, ``pip install --no-build-isolation
  GDAL==$(gdal-config --version)``, then natcap.invest with Cython < 3.1); pass the
  interpreter that has it with ``--invest-python PATH`` (default: this one). Skipped with
  the reason when it cannot be imported.
* ``real_worldcover``: the REAL 36000 x 36000 WorldCover 2020/2021 tiles (N00E006) with
  a real place boundary (Natural Earth São Tomé city point, 15 km geodesic buffer) and
  the whole tile; time and peak memory, target < 4 GB.

Inputs are cached under ``benchmarks/_data/`` (git-ignored); results go to
``benchmarks/results/sinks.json`` (atomic write).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
RESULTS = HERE / "results" / "sinks.json"
REPO = HERE.parent
SHARED = Path(os.environ.get("URBANSAT_SHARED_SAMPLES", REPO.parent / "shared" / "samples"))

FACTORS = {  # t C/ha and t C/ha/yr with 95 % ranges; benchmark inputs, not defaults
    "forest": {"c_above": 84.6, "c_below": 20.3, "c_soil": 65, "c_dead": 5, "removal": 0.58},
    "shrub": {"c_above": 20, "c_below": 8, "c_soil": 65, "c_dead": 0, "removal": 0.3},
    "grassland": {"c_above": 2.9, "c_below": 4.7, "c_soil": 65, "c_dead": 0, "removal": 0},
    "cropland": {"c_above": 5, "c_below": 1, "c_soil": 31.2, "c_dead": 0, "removal": 0},
    "wetland": {"c_above": 5, "c_below": 5, "c_soil": 86, "c_dead": 0, "removal": 0.5},
    "mangrove": {"c_above": 86.6, "c_below": 42.4, "c_soil": 386, "c_dead": 11.4, "removal": 6.65},
    "built_up": {"c_above": 0, "c_below": 0, "c_soil": 0, "c_dead": 0, "removal": 0},
    "water": {"c_above": 0, "c_below": 0, "c_soil": 0, "c_dead": 0, "removal": 0},
    "snow_ice": {"c_above": 0, "c_below": 0, "c_soil": 0, "c_dead": 0, "removal": 0},
    "bare": {"c_above": 0, "c_below": 0, "c_soil": 0, "c_dead": 0, "removal": 0},
}


def _factor_frame():
    import pandas as pd

    return pd.DataFrame(
        [(c, p, v, 0.8 * v, 1.2 * v) for c, d in FACTORS.items() for p, v in d.items()],
        columns=["category", "parameter", "value", "low", "high"],
    )


def make_synthetic(n: int = 10000, n_counties: int = 60, seed: int = 42) -> tuple[Path, Path, Path]:
    """Seeded CLCD-layout epochs (uint8 GeoTIFF, 512 tiles) and Voronoi counties."""
    import geopandas as gpd
    import numpy as np
    import shapely
    from scipy.ndimage import gaussian_filter, zoom

    from urbansat.testing.landcover import write_clcd

    DATA.mkdir(parents=True, exist_ok=True)
    p0, p1 = DATA / "CLCD_v01_2015_albert.tif", DATA / "CLCD_v01_2020_albert.tif"
    pb = DATA / "counties_60.gpkg"
    if p0.exists() and p1.exists() and pb.exists():
        return p0, p1, pb
    rng = np.random.default_rng(seed)
    coarse = gaussian_filter(rng.standard_normal((n // 10, n // 10)), 6)
    field = zoom(coarse, 10, order=1)[:n, :n]
    q = np.quantile(field, [0.3, 0.4, 0.55, 0.62, 0.9, 0.95])
    classes = np.array(
        [1, 4, 3, 2, 2, 8, 5], dtype=np.uint8
    )  # crop, grass, shrub, forest, forest, built, water
    start = classes[np.digitize(field, q)]
    del field
    change = gaussian_filter(rng.standard_normal((n // 10, n // 10)), 3)
    change = zoom(change / change.std(), 10, order=0)[:n, :n]
    end = start.copy()
    end[(change > 1.2) & ((start == 1) | (start == 2))] = 8  # urban growth
    end[(change < -1.2) & (start == 1)] = 2  # afforestation
    end[(change < -1.5) & (start == 4)] = 3  # shrub encroachment
    del change
    write_clcd(DATA, 2015, start)
    write_clcd(DATA, 2020, end)
    import rasterio

    with rasterio.open(p0) as src:
        b = src.bounds
        crs = src.crs
    pts = shapely.MultiPoint(
        np.column_stack(
            [rng.uniform(b.left, b.right, n_counties), rng.uniform(b.bottom, b.top, n_counties)]
        )
    )
    box = shapely.box(*b)
    cells = [c.intersection(box) for c in shapely.voronoi_polygons(pts, extend_to=box).geoms]
    gdf = gpd.GeoDataFrame(
        {
            "boundary_id": [f"c{i:02d}" for i in range(len(cells))],
            "name": [f"county {i}" for i in range(len(cells))],
            "level": "county",
        },
        geometry=cells,
        crs=crs,
    )
    tmp = pb.with_name("tmp_" + pb.name)
    gdf.to_file(tmp, driver="GPKG")
    os.replace(tmp, pb)
    return p0, p1, pb


def _floor(p0: Path, p1: Path, counties, n_threads: int) -> tuple[float, object]:
    """Plain numpy floor doing the same job: read both epochs, rasterize the counties (pixel
    centres), one bincount over (county, class_a, class_b); rows split over ``n_threads``."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    import rasterio
    from rasterio.features import rasterize
    from rasterio.windows import Window

    t = time.perf_counter()
    with rasterio.open(p0) as src:
        ny, nx, tr = src.height, src.width, src.transform
    bands = np.array_split(np.arange(ny), n_threads)
    nb = len(counties)
    shapes = list(zip(counties.geometry, range(1, nb + 1), strict=True))

    def part(rows):
        r0, h = int(rows[0]), len(rows)
        win = Window(0, r0, nx, h)
        with rasterio.open(p0) as a, rasterio.open(p1) as b:
            s, e = a.read(1, window=win), b.read(1, window=win)
        lab = rasterize(
            shapes, out_shape=(h, nx), transform=rasterio.windows.transform(win, tr), dtype="int32"
        )
        key = (lab.astype(np.int64) * 256 + s) * 256 + e
        return np.bincount(key.ravel(), minlength=(nb + 1) * 65536)

    with ThreadPoolExecutor(n_threads) as ex:
        counts = sum(ex.map(part, bands))
    area_ha = counts.reshape(nb + 1, 256, 256)[1:] * abs(tr.a * tr.e) / 1e4
    return time.perf_counter() - t, area_ha


def case_synthetic() -> dict:
    import geopandas as gpd
    import numpy as np

    from urbansat.ingest.landcover import _cpu_count, open_landcover
    from urbansat.sinks import account_sinks

    p0, p1, pb = make_synthetic()
    counties = gpd.read_file(pb)
    # warm-up on a tiny pair: imports and numba compilation are not part of the timing
    from urbansat.testing.landcover import make_boundaries, make_landcover_pair

    ws, we = make_landcover_pair((64, 64), chunks=(32, 32))
    t = time.perf_counter()
    account_sinks(ws, we, make_boundaries(ws, 2), factors=_factor_frame(), years=5)
    t_warm = time.perf_counter() - t
    n_threads = _cpu_count()
    floor, sd, gl = [], [], []
    for _ in range(3):  # interleaved repeats of both sides
        t_f, area_floor = _floor(p0, p1, counties, n_threads)
        floor.append(t_f)
        t = time.perf_counter()
        s = open_landcover(p0)  # default chunks (file tiling x cores), no options
        e = open_landcover(p1)
        ds = account_sinks(
            s, e, counties, factors=_factor_frame(), method="stock_difference", years=5
        )
        sd.append(time.perf_counter() - t)
        t = time.perf_counter()
        account_sinks(
            open_landcover(p0),
            open_landcover(p1),
            counties,
            factors=_factor_frame(),
            method="gain_loss",
            years=5,
        )
        gl.append(time.perf_counter() - t)
    # every county, every (class_a, class_b): exact coverage vs pixel-centre rasterization
    tm = ds.transition_area.transpose("boundary", "class_start", "class_end")
    cs, ce = tm.class_start.values.astype(int), tm.class_end.values.astype(int)
    ours = tm.values
    theirs = area_floor[:, cs][:, :, ce]
    tot_ours, tot_floor = ours.sum(axis=(1, 2)), theirs.sum(axis=(1, 2))
    big = theirs > 1000.0  # >= 1000 ha cells: boundary pixels are a small share
    rel = np.abs(ours[big] - theirs[big]) / theirs[big]
    tot_sd = float(ds.net_sink.sel(category="total").sum()) / (44 / 12) * 5
    return {
        "case": "synthetic_60_counties",
        "pixels_per_epoch": 10000 * 10000,
        "boundaries": len(counties),
        "threads": n_threads,
        "chunks": list(s.data.chunksize),
        "seconds_account_sinks_stock_difference": sorted(round(x, 2) for x in sd),
        "seconds_account_sinks_gain_loss": sorted(round(x, 2) for x in gl),
        "seconds_numpy_floor_read_rasterize_bincount": sorted(round(x, 2) for x in floor),
        "floor": "both epochs read + counties rasterized (pixel centres) + one bincount over "
        "(county, class_a, class_b), rows split over the same number of threads",
        "seconds_warmup_imports_and_jit": round(t_warm, 2),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "compare_per_county_and_transition": {
            "counties": len(counties),
            "transition_cells_compared_ge_1000ha": int(big.sum()),
            "max_rel_diff_cells": float(rel.max()),
            "median_rel_diff_cells": float(np.median(rel)),
            "max_rel_diff_county_total_area": float(
                np.max(np.abs(tot_ours - tot_floor) / tot_floor)
            ),
            "why_not_equal": "the floor counts a pixel in the county holding its centre; urbansat "
            "weights every pixel by its exact covered fraction",
        },
        "total_sequestration_tC_urbansat": round(tot_sd, 1),
        "transition_engine": ds.attrs.get("transition_engine"),
    }


def case_real() -> dict:
    import geopandas as gpd
    import pyproj
    import shapely

    from urbansat.ingest.landcover import open_landcover
    from urbansat.sinks import account_sinks

    d = SHARED / "landcover" / "esa_worldcover"
    s = open_landcover(d / "ESA_WorldCover_10m_2020_v100_N00E006_Map.tif")  # default chunks
    e = open_landcover(d / "ESA_WorldCover_10m_2021_v200_N00E006_Map.tif")
    cities = gpd.read_file(
        SHARED / "boundaries" / "naturalearth" / "naturalearth_cities" / "naturalearth_cities.shp"
    )
    pt = cities[cities["name"] == "São Tomé"].geometry.iloc[0]
    aeqd = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={pt.y} +lon_0={pt.x} +datum=WGS84")
    buf = (
        gpd.GeoSeries([shapely.Point(0, 0).buffer(15000, quad_segs=32)], crs=aeqd)
        .to_crs(4326)
        .iloc[0]
    )
    b = gpd.GeoDataFrame(
        {
            "boundary_id": ["sao_tome_15km", "tile_N00E006"],
            "name": ["São Tomé 15 km", "tile"],
            "level": ["region", "region"],
        },
        geometry=[buf, shapely.box(6, 0, 9, 3)],
        crs=4326,
    )
    t = time.perf_counter()
    ds = account_sinks(s, e, b, factors=_factor_frame(), method="gain_loss")
    sec = time.perf_counter() - t
    st = ds.sel(boundary="sao_tome_15km")
    return {
        "case": "real_worldcover",
        "pixels_per_epoch": 36000 * 36000,
        "boundaries": 2,
        "seconds_account_sinks_gain_loss": round(sec, 1),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "sao_tome_area_ha": round(float(st.area_start.sel(category="total")), 1),
        "sao_tome_forest_area_change_ha": round(float(st.area_change.sel(category="forest")), 1),
        "sao_tome_net_sink_tCO2_yr": round(float(st.net_sink.sel(category="total")), 1),
        "tile_unobserved_ha": round(float(ds.unobserved_area.sel(boundary="tile_N00E006")), 1),
        "transition_engine": ds.attrs.get("transition_engine"),
    }


def case_invest() -> dict:
    import tempfile
    import warnings

    try:
        from natcap.invest import __version__ as invest_version
        from natcap.invest import carbon as invest_carbon
    except ImportError as err:  # optional extra: say why, do not fail the benchmark
        return {"case": "invest", "skipped": f"natcap.invest not importable here: {err}"}
    import csv

    from urbansat.ingest.landcover import open_landcover
    from urbansat.sinks import account_sinks
    from urbansat.sinks.factors import as_factor_table, factor_table_to_invest
    from urbansat.sinks.legends import load_legend
    from urbansat.testing.landcover import make_landcover_pair

    p0, p1, _ = make_synthetic()
    tmp = Path(tempfile.mkdtemp(prefix="bench_invest_"))
    pools = factor_table_to_invest(as_factor_table(_factor_frame()), load_legend("clcd"))
    bio = tmp / "biophysical.csv"
    pools.to_csv(bio, index=False)
    ws, we = make_landcover_pair((64, 64), chunks=(32, 32))  # warm-up: imports and numba
    account_sinks(ws, we, None, factors=_factor_frame(), method="stock_difference", years=5)
    inv, ours = [], []
    for k in range(3):  # interleaved repeats of both sides
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            invest_carbon.execute(
                {
                    "workspace_dir": str(tmp / f"ws{k}"),
                    "lulc_bas_path": str(p0),
                    "lulc_alt_path": str(p1),
                    "calc_sequestration": True,
                    "carbon_pools_path": str(bio),
                    "lulc_bas_year": 2015,
                    "lulc_alt_year": 2020,
                    "do_valuation": False,
                    "n_workers": -1,
                }
            )
        inv.append(time.perf_counter() - t)
        t = time.perf_counter()
        ds = account_sinks(
            open_landcover(p0), open_landcover(p1), None, factors=pools,
            method="stock_difference", years=5,
        )  # fmt: skip
        ours.append(time.perf_counter() - t)
    summary = next((tmp / "ws0").rglob("*summary*.csv"))
    with open(summary, newline="") as fh:
        totals = {r["Filename"]: float(r["Total"]) for r in csv.DictReader(fh)}
    pairs = {
        "stock_start_tC": ("c_storage_bas.tif", "stock_start"),
        "stock_end_tC": ("c_storage_alt.tif", "stock_end"),
        "stock_change_tC": ("c_change_bas_alt.tif", "stock_change"),
    }
    compare = {}
    for key, (fname, var) in pairs.items():
        a = float(ds[var].sel(category="total").sum())
        b = totals[fname]
        compare[key] = {"urbansat": a, "invest": b, "rel_diff": abs(a - b) / abs(b)}
    return {
        "case": "invest",
        "invest_version": invest_version,
        "pixels_per_epoch": 10000 * 10000,
        "seconds_invest_carbon": sorted(round(x, 2) for x in inv),
        "seconds_account_sinks_stock_difference_whole_raster": sorted(round(x, 2) for x in ours),
        "totals": compare,
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
    }


def _run_case(name: str, python: str = sys.executable) -> dict:
    out = subprocess.run(
        [python, __file__, "--case", name], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        return {"case": name, "error": out.stderr[-2000:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    if "--case" in argv:
        name = argv[argv.index("--case") + 1]
        t = time.perf_counter()
        res = {"synthetic": case_synthetic, "real": case_real, "invest": case_invest}[name]()
        res["wall_seconds_case"] = round(time.perf_counter() - t, 1)
        res["peak_rss_GB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2)
        print(json.dumps(res))
        return
    make_synthetic()
    cases = ["synthetic"] + ([] if "--skip-real" in argv else ["real"])
    invest_py = argv[argv.index("--invest-python") + 1] if "--invest-python" in argv else None
    runs = [_run_case(c) for c in cases]
    runs.append(_run_case("invest", invest_py or sys.executable))
    results = {"machine": f"{os.cpu_count()} cpu", "cases": runs}
    for r in results["cases"]:
        print(json.dumps(r, indent=1))
        if "seconds_numpy_floor_read_rasterize_bincount" in r:
            import statistics

            base = statistics.median(r["seconds_numpy_floor_read_rasterize_bincount"])
            for m in ("stock_difference", "gain_loss"):
                sec = statistics.median(r[f"seconds_account_sinks_{m}"])
                r[f"median_ratio_urbansat_over_floor_{m}"] = round(sec / base, 2)
                print(
                    f"{r['case']}: urbansat {m} {sec:.2f} s vs numpy floor {base:.2f} s "
                    f"-> {sec / base:.2f}x the floor (goal: <= 1.5 s)"
                )
        if "seconds_invest_carbon" in r:
            import statistics

            a = statistics.median(r["seconds_account_sinks_stock_difference_whole_raster"])
            b = statistics.median(r["seconds_invest_carbon"])
            r["median_speedup_over_invest"] = round(b / a, 1)
            print(f"invest: InVEST {b:.1f} s vs urbansat {a:.2f} s -> {b / a:.1f}x (goal ~40x)")
        if "seconds_account_sinks_gain_loss" in r and "peak_rss_GB" in r:
            print(f"{r['case']}: peak memory {r['peak_rss_GB']} GB")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1))
    os.replace(tmp, RESULTS)


if __name__ == "__main__":
    main(sys.argv[1:])
