"""Generate the zonal benchmark data (seeded): a land-cover GeoTIFF and county-like polygons.

* ``landcover_<N>.tif``: N x N uint8, 30 m pixels in UTM 50N (EPSG:32650), deflate,
  512 x 512 tiles, nodata 0. Classes 1..10 come from a structured field: the sum of
  three octaves of smoothed Gaussian noise (scales ~30 km, ~6 km, ~1 km) plus a little
  pixel noise, thresholded at its deciles; a 0 (nodata) lake-shaped region is
  cut out, so observed vs unobserved area matters.
* ``landcover_<N>_epoch2.tif``: a second epoch, 5 % of the pixels (8 x 8 patches) moved
  to the next class, for the two-epoch coverage-reuse benchmark.
* ``counties_<N>_<M>.gpkg``: M Voronoi cells of seeded random points clipped to the
  raster extent, densified every 150 m and bent by one smooth displacement field
  (shared edges stay shared: a tessellation with wiggly, county-like borders).

Files are cached under ``benchmarks/_data/`` (git-ignored); existing files are kept.

Usage: ``python benchmarks/make_landcover_bench.py [--size 20000] [--polygons 2000]``
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "_data"
X0, Y0, RES = 300000.0, 4600000.0, 30.0  # upper-left corner, UTM 50N
SEED = 20240601


def _octave(rng, n_coarse: int, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.standard_normal((n_coarse, n_coarse)), sigma, mode="wrap")
    return (f - f.mean()) / f.std()


def make_raster(size: int, path: Path) -> None:
    import rasterio
    from rasterio.transform import Affine
    from scipy.ndimage import map_coordinates

    rng = np.random.default_rng(SEED)
    # octaves on coarse grids, sampled bilinearly at full resolution strip by strip
    octs = [
        (_octave(rng, 200, 3.0), 1.0),
        (_octave(rng, 1000, 3.0), 0.6),
        (_octave(rng, 6000, 3.0), 0.35),
    ]
    lake = _octave(rng, 100, 4.0)
    # class thresholds: deciles of the field sampled on a coarse lattice
    yy, xx = np.mgrid[0 : size : size / 500, 0 : size : size / 500]

    def field(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        out = np.zeros(rows.shape, dtype=np.float32)
        for arr, amp in octs:
            k = arr.shape[0] / size
            out += amp * map_coordinates(arr, [rows * k, cols * k], order=1, mode="wrap").astype(
                np.float32
            )
        return out

    sample = field(yy, xx) + 0.15 * rng.standard_normal(yy.shape).astype(np.float32)
    edges = np.quantile(sample, np.linspace(0.1, 0.9, 9))
    lake_cut = np.quantile(map_coordinates(lake, [yy * 100 / size, xx * 100 / size], order=1), 0.97)
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:32650",
        "transform": Affine(RES, 0.0, X0, 0.0, -RES, Y0),
        "nodata": 0,
        "compress": "deflate",
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "BIGTIFF": "IF_SAFER",
    }
    tmp = path.with_suffix(".tmp.tif")
    strip = 512
    with rasterio.open(tmp, "w", **profile) as dst:
        cols = np.arange(size, dtype=np.float32)
        for r0 in range(0, size, strip):
            h = min(strip, size - r0)
            rows, cc = np.meshgrid(np.arange(r0, r0 + h, dtype=np.float32), cols, indexing="ij")
            f = field(rows, cc) + 0.15 * rng.standard_normal((h, size)).astype(np.float32)
            cls = (np.searchsorted(edges, f) + 1).astype(np.uint8)
            lk = map_coordinates(lake, [rows * 100 / size, cc * 100 / size], order=1)
            cls[lk > lake_cut] = 0
            dst.write(cls, 1, window=rasterio.windows.Window(0, r0, size, h))
    os.replace(tmp, path)


def make_polygons(size: int, n: int, path: Path) -> None:
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(SEED + n)
    ext = shapely.box(X0, Y0 - size * RES, X0 + size * RES, Y0)
    pts = rng.uniform([X0, Y0 - size * RES], [X0 + size * RES, Y0], (n, 2))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=ext))
    cells = shapely.intersection(cells, ext)
    cells = shapely.segmentize(cells, 150.0)
    L = size * RES

    def bend(c: np.ndarray) -> np.ndarray:
        x, y = c[:, 0], c[:, 1]
        dx = 900 * np.sin(2 * np.pi * y / (L / 23)) + 400 * np.sin(2 * np.pi * (x + y) / (L / 71))
        dy = 900 * np.cos(2 * np.pi * x / (L / 19)) + 400 * np.sin(2 * np.pi * (x - y) / (L / 67))
        # no displacement on the raster edge: the tessellation keeps covering the extent
        fx = np.clip(np.minimum(x - X0, X0 + L - x) / 3000.0, 0, 1)
        fy = np.clip(np.minimum(Y0 - y, y - (Y0 - L)) / 3000.0, 0, 1)
        return np.c_[x + dx * fx * fy, y + dy * fx * fy]

    cells = shapely.make_valid(shapely.transform(cells, bend))
    gdf = gpd.GeoDataFrame(
        {"county_id": [f"C{i:05d}" for i in range(len(cells))]}, geometry=cells, crs="EPSG:32650"
    )
    tmp = path.with_suffix(".tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    gdf.to_file(tmp, layer="counties", driver="GPKG")
    os.replace(tmp, path)


def make_second_epoch(src_path: Path, path: Path, change: float = 0.05) -> None:
    """A second epoch: ``change`` of the pixels (in 8 x 8-pixel patches) take another class."""
    import rasterio

    rng = np.random.default_rng(SEED + 1)
    with rasterio.open(src_path) as src:
        profile = src.profile
        tmp = path.with_suffix(".tmp.tif")
        with rasterio.open(tmp, "w", **profile) as dst:
            for _, win in src.block_windows(1):
                a = src.read(1, window=win)
                h, w = a.shape
                patch = rng.random((-(-h // 8), -(-w // 8))) < change
                mask = np.kron(patch, np.ones((8, 8), dtype=bool))[:h, :w] & (a > 0)
                a = a.copy()
                a[mask] = (a[mask] % 10) + 1  # class k -> k + 1 (10 -> 1)
                dst.write(a, 1, window=win)
    os.replace(tmp, path)


def ensure_pair(size: int = 20000, n: int = 2000) -> tuple[Path, Path, Path]:
    """(epoch 1 raster, epoch 2 raster, polygons); the second epoch derives from the first."""
    rast, polys = ensure(size, n)
    second = DATA / f"landcover_{size}_epoch2.tif"
    if not second.exists():
        make_second_epoch(rast, second)
    return rast, second, polys


def ensure(size: int = 20000, n: int = 2000) -> tuple[Path, Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    rast = DATA / f"landcover_{size}.tif"
    polys = DATA / f"counties_{size}_{n}.gpkg"
    if not rast.exists():
        make_raster(size, rast)
    if not polys.exists():
        make_polygons(size, n, polys)
    return rast, polys


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=20000)
    ap.add_argument("--polygons", type=int, default=2000)
    a = ap.parse_args()
    for p in ensure_pair(a.size, a.polygons):
        print(p, f"{p.stat().st_size / 1e6:.1f} MB")
