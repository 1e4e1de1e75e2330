"""Issue 16 diagnosis: each background estimate against the band-mean error it predicts.

Run ``python benchmarks/diag_background_band.py [--lagrangian 0 100] [--cities 0 100]
[--cities 200 300]`` (about 1 min per 100 seeds on 2 cores); prints one markdown row per set
and kind (docs/inversion.md, "Where each background estimate goes wrong") and writes nothing.

Every scene is run with the true wind and also as its flat-background twin, which shares
everything but the background structure: ``F = X - X_flat`` is the structure field. With the
exclusion ``E`` and the integration band ``W`` of the frame the method used (its axis refined
from the data), the band-mean error the structure causes is

    e = <N_E(F) - F>_W,

``N_E`` the normalized-convolution fill (:func:`urbansat.inversion.background.estimate_background`,
linear in the data) and ``<.>_W`` the area-weighted mean over the valid band pixels. It is
compared with

* ``band``: the structure part of :func:`~urbansat.inversion.background.band_background_error`
  on the data (the prediction the budget uses);
* ``true``: the same formula on ``F`` itself, noise-free (the variogram of the true field);
* ``ctrl``: the control-band estimate (:func:`~urbansat.inversion.background.control_band_error`).

Columns are robust spreads ``1.4826 median|.|`` of ``e`` and of ``e`` over each prediction
(z, 1 when the prediction is right). Seeds: Lagrangian cities are the odd seeds of
:func:`urbansat.testing.lagrangian.make_lagrangian_scene` (0-99 are its tuning seeds); the
old generator's cities are :func:`urbansat.testing.inversion_cases.make_city_scene` (0-99
tuning, 200-299 used by no benchmark section; never 1000+, the held-out seeds).
"""

from __future__ import annotations

import argparse
import dataclasses
import warnings
from multiprocessing import Pool
from typing import Any

import numpy as np
import pandas as pd

from urbansat.inversion.background import band_background_error, estimate_background
from urbansat.inversion.estimate import plume_frames
from urbansat.testing.inversion_cases import make_city_scene
from urbansat.testing.lagrangian import make_lagrangian_scene


def _robust(x: pd.Series) -> float:
    x = x[np.isfinite(x)]
    return float(1.4826 * np.median(np.abs(x))) if len(x) else float("nan")


def _scenes(gen: str, seed: int) -> tuple[Any, Any, Any, str]:
    """(structured swath, its flat twin, true wind, kind) of one scene."""
    if gen == "lagrangian":
        sw, tr = make_lagrangian_scene(seed, family="city")
        flat, _ = make_lagrangian_scene(seed, family="city", background=False)
        return sw, flat, tr, "lagrangian city"
    sw, tr, kind, _, _ = make_city_scene(seed, wind_error=0.0, direction_error=0.0)
    flat, _, _, _, _ = make_city_scene(
        seed, wind_error=0.0, direction_error=0.0, background_structure=0.0
    )
    return sw, flat, tr, f"old {kind}"


def one_scene(args: tuple[str, int, str]) -> dict[str, Any] | None:
    """The row of one scene (None when the source could not be prepared)."""
    gen, seed, draw = args
    warnings.filterwarnings("ignore")
    sw, flat, tr, kind = _scenes(gen, seed)
    wind = tr["true_wind_ds"] if gen == "lagrangian" else tr["wind"]
    ((frame, diag, _),) = plume_frames(sw, sources=tr["sources"], wind=wind).values()
    ((frame_f, _, _),) = plume_frames(flat, sources=tr["sources"], wind=wind).values()
    if frame is None or frame_f is None or diag.get("background_method") != "convolution":
        return None
    sc = frame.scene
    field = np.where(sc.valid, sc.values - frame_f.scene.values, np.nan)
    truth = dataclasses.replace(sc, values=field)
    excl = diag["background_exclude"]
    pix = sc.pixel_km * 1e3
    s_lo, s_hi = -(frame.r0 + max(2 * pix, 2000.0)), frame.r0 + frame.length
    band = (frame.s >= s_lo) & (frame.s <= s_hi) & (np.abs(frame.n) <= frame.half_width)
    fill = estimate_background(truth, excl, method="convolution").field
    use = band & sc.valid & np.isfinite(fill)
    a = sc.area[use]
    e = float(np.sum(a * (fill - field)[use]) / np.sum(a))
    true_pred, _ = band_background_error(truth, excl, band, noise=0.0)
    return {
        "set": kind,
        "draw": draw,
        "seed": seed,
        "e": e,
        "band": diag.get("background_band_structure", np.nan),
        "true": true_pred,
        "ctrl": frame.background_control,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lagrangian", nargs=2, type=int, action="append", metavar=("LO", "HI"))
    ap.add_argument("--cities", nargs=2, type=int, action="append", metavar=("LO", "HI"))
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    lag = args.lagrangian or [[0, 100]]
    cities = args.cities or [[0, 100], [200, 300]]
    for lo, hi in cities:
        if hi > 1000:
            ap.error(f"--cities {lo} {hi}: seeds from 1000 are the held-out cities; stay below")
    jobs = [("lagrangian", s, f"{lo}-{hi - 1}") for lo, hi in lag for s in range(lo, hi) if s % 2]
    jobs += [("cities", s, f"{lo}-{hi - 1}") for lo, hi in cities for s in range(lo, hi)]
    with Pool(args.workers) as pool:
        rows = [r for r in pool.map(one_scene, jobs, chunksize=1) if r is not None]
    df = pd.DataFrame(rows)
    cols = ["set", "seeds", "n", "e", "band prediction", "z vs band", "z vs true variogram"]
    print("| " + " | ".join([*cols, "z vs controls (n)"]) + " |")
    print("|---|---|---|---|---|---|---|---|")
    for (name, draw), g in df.groupby(["set", "draw"], sort=False):
        c = g[np.isfinite(g.ctrl)]
        print(
            f"| {name} | {draw} | {len(g)} | {_robust(g.e):.4g} | "
            f"{g.band.median():.4g} | {_robust(g.e / g.band):.2f} | {_robust(g.e / g.true):.2f} | "
            f"{_robust(c.e / c.ctrl):.2f} ({len(c)}) |"
        )


if __name__ == "__main__":
    main()
