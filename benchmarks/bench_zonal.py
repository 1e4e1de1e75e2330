"""Benchmark: exact class areas per polygon, urbansat vs exactextract, side by side in one run.

Each tool runs in its own subprocess (so peak memory is that tool's
``getrusage(RUSAGE_SELF).ru_maxrss``, which counts numpy/GDAL allocations that
tracemalloc misses). Timings cover opening the files through the final table
(imports and interpreter start excluded; numba kernels are cached on disk, a
warm-up run on a tiny raster compiles them first). Results are compared per
(polygon, class): relative difference of the class area in m2.

Usage::

    python benchmarks/bench_zonal.py [--size 20000] [--polygons 2000] [--chunk 2048]

Writes ``benchmarks/results/zonal.json`` (atomically).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def worker(tool: str, rast: str, polys: str, out: str, chunk: int) -> None:
    import numpy as np
    import pandas as pd

    c0 = None
    if tool == "read":
        import rasterio

        t0, c0 = time.perf_counter(), _cpu_s()
        total = 0
        with rasterio.open(rast) as src:
            for _, win in src.block_windows(1):
                total += int(src.read(1, window=win).sum(dtype=np.int64))
        dt = time.perf_counter() - t0
        df = pd.DataFrame({"checksum": [total]})
    elif tool == "exactextract":
        import geopandas as gpd
        from exactextract import exact_extract

        t0, c0 = time.perf_counter(), _cpu_s()
        gdf = gpd.read_file(polys)  # exactextract's own vector readers need GDAL/fiona bindings
        ee = exact_extract(rast, gdf, ["unique", "frac", "count"], include_cols=["county_id"], output="pandas")
        rows = []
        for cid, uniq, frac, cnt in zip(ee["county_id"], ee["unique"], ee["frac"], ee["count"]):
            for u, f in zip(uniq, frac):
                rows.append((cid, int(u), float(f) * float(cnt) * 900.0))
        df = pd.DataFrame(rows, columns=["boundary_id", "class", "area_m2"])
        dt = time.perf_counter() - t0
    elif tool == "urbansat":
        import rioxarray

        import urbansat
        from urbansat.spatial.zonal import class_areas

        # warm-up: compile/load the numba kernels on a tiny window
        small = rioxarray.open_rasterio(rast).isel(x=slice(0, 64), y=slice(0, 64))
        b0 = urbansat.read_boundaries(polys, level="county", id_field="county_id")
        import shapely

        x0, y0 = float(small.x[0]), float(small.y[0])
        tiny = b0.iloc[:1].copy()
        tiny["geometry"] = [shapely.box(x0, y0 - 500, x0 + 500, y0)]
        class_areas(small.load(), tiny)
        t0, c0 = time.perf_counter(), _cpu_s()
        lc = rioxarray.open_rasterio(rast, chunks={"y": chunk, "x": chunk}, lock=False)
        bnd = urbansat.read_boundaries(polys, level="county", id_field="county_id")
        ca = class_areas(lc, bnd)
        df = ca[["boundary_id", "class", "area_m2"]].copy()
        df["class"] = df["class"].astype(int)
        dt = time.perf_counter() - t0
    else:
        raise SystemExit(f"unknown tool {tool}")
    df.to_parquet(out)
    cpu = _cpu_s() - c0
    print(json.dumps({"tool": tool, "seconds": dt, "cpu_seconds": cpu, "peak_rss_mb": _maxrss_mb()}))


def run(tool: str, rast: Path, polys: Path, out: Path, chunk: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", tool, str(rast), str(polys), str(out), "--chunk", str(chunk)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"{tool} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=20000)
    ap.add_argument("--polygons", type=int, default=2000)
    ap.add_argument("--chunk", type=int, default=2048)
    ap.add_argument("--worker", nargs=4, metavar=("TOOL", "RASTER", "POLYS", "OUT"))
    a = ap.parse_args()
    if a.worker:
        worker(*a.worker, chunk=a.chunk)
        return
    import numpy as np
    import pandas as pd

    from make_landcover_bench import ensure

    rast, polys = ensure(a.size, a.polygons)
    tmp = Path(tempfile.mkdtemp(prefix="bench_zonal_"))
    runs = {}
    for tool in ("read", "exactextract", "urbansat"):
        runs[tool] = run(tool, rast, polys, tmp / f"{tool}.parquet", a.chunk)
        r = runs[tool]
        print(f"{tool:>13}: {r['seconds']:8.2f} s wall {r['cpu_seconds']:8.2f} s CPU   peak RSS {r['peak_rss_mb']:6.0f} MB", flush=True)
    ee = pd.read_parquet(tmp / "exactextract.parquet")
    us = pd.read_parquet(tmp / "urbansat.parquet")
    m = ee.merge(us, on=["boundary_id", "class"], how="outer", suffixes=("_ee", "_us"), indicator=True)
    missing = int((m["_merge"] != "both").sum())
    both = m[m["_merge"] == "both"]
    rel = (both["area_m2_us"] - both["area_m2_ee"]).abs() / both["area_m2_ee"].abs()
    # rows only one tool reports must be (numerically) zero-area slivers
    lone = m.loc[m["_merge"] != "both", ["area_m2_ee", "area_m2_us"]].fillna(0).abs().max(axis=1)
    ratio = runs["exactextract"]["seconds"] / runs["urbansat"]["seconds"]
    cpu_ratio = runs["exactextract"]["cpu_seconds"] / runs["urbansat"]["cpu_seconds"]
    load = os.getloadavg()
    result = {
        "raster": {"path": rast.name, "shape_yx": [a.size, a.size], "dtype": "uint8", "pixel_m": 30, "crs": "EPSG:32650",
                   "tiling": "deflate, 512x512"},
        "polygons": {"path": polys.name, "count": a.polygons},
        "urbansat_chunk": a.chunk,
        "cpu_count": os.cpu_count(),
        "runs": runs,
        "speedup_vs_exactextract": ratio,
        "cpu_time_ratio_exactextract_over_urbansat": cpu_ratio,
        "load_average_1_5_15min_at_end": load,
        "compare": {
            "rows_compared": int(len(both)),
            "rows_only_in_one_tool": missing,
            "max_area_m2_of_unmatched_rows": float(lone.max()) if len(lone) else 0.0,
            "max_rel_diff": float(rel.max()),
            "p99_rel_diff": float(np.quantile(rel, 0.99)),
        },
        "goal": {"speedup>=5": ratio >= 5, "urbansat_peak_rss_mb<2000": runs["urbansat"]["peak_rss_mb"] < 2000,
                 "max_rel_diff<=1e-6": float(rel.max()) <= 1e-6},
    }  # fmt: skip
    print(json.dumps(result, indent=2))
    out = HERE / "results" / "zonal.json"
    out.parent.mkdir(exist_ok=True)
    part = out.with_suffix(".json.tmp")
    part.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(part, out)


if __name__ == "__main__":
    main()
