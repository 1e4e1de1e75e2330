"""PURE: longitude extents that know the antimeridian.

The smallest longitude arc holding a set of soundings: the circle less its widest empty gap.
``west > east`` means the arc crosses 180 E (``(179.5, -179.5)``), where a plain min..max
would claim the whole globe. Lazy on dask arrays (one tree reduction of 0.01-degree bins).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["format_extent", "longitude_arc", "longitude_bins", "longitude_extent"]

_LON_MAX = 180.0
_LON_WRAP = 360.0

#: Longitude bins [degrees] of :func:`longitude_extent`: gaps of at least one bin are found exactly.
_LON_BIN = 0.01
_N_LON_BINS = 36000


def _bin_extrema(lon: Any) -> np.ndarray:
    """Per 0.01-degree bin of [-180, 180): the least and minus the largest finite longitude.

    Returns float64 of shape (1, 2 * 36000): bin minima, then negated bin maxima (+inf in
    empty bins), so that one ``min`` combines blocks (a dask block function).
    """
    x = np.asarray(lon, dtype="float64").ravel()
    x = x[np.isfinite(x)]
    x = np.sort((x + _LON_MAX) % _LON_WRAP - _LON_MAX)  # 0..360 and -180..180 alike
    idx = np.clip(((x + _LON_MAX) / _LON_BIN).astype(np.int64), 0, _N_LON_BINS - 1)
    out = np.full((1, 2 * _N_LON_BINS), np.inf)
    if x.size:  # sorted: each bin's first value is its least, its last value its largest
        bins, first = np.unique(idx, return_index=True)
        last = np.append(first[1:], x.size) - 1
        out[0, bins] = x[first]
        out[0, _N_LON_BINS + bins] = -x[last]
    return out


def longitude_bins(lon: Any) -> Any:
    """:func:`_bin_extrema` of a numpy or dask array, lazy (tree-reduced) on dask."""
    import dask.array as dsa

    if not isinstance(lon, dsa.Array):
        return _bin_extrema(lon)[0]
    flat = lon.ravel()  # type: ignore[no-untyped-call]  # dask has no annotations
    blocks = flat.map_blocks(
        _bin_extrema,
        new_axis=1,
        chunks=((1,) * flat.numblocks[0], (2 * _N_LON_BINS,)),
        dtype="float64",
        meta=np.empty((0, 0), "float64"),
    )
    return blocks.min(axis=0)


def longitude_arc(bins: np.ndarray) -> tuple[float, float] | None:
    """Smallest longitude arc (west, east) holding every longitude of ``bins``, or None.

    ``west > east`` means the arc crosses 180 E (e.g. ``(179.5, -179.5)``). The arc is the
    circle minus its widest empty gap, which lies between two occupied 0.01-degree bins
    (exact) unless every gap is narrower than a bin: the longitudes then cover the circle
    and the arc is the plain min..max (less than 0.01 degree wider than the smallest).
    """
    lo, hi = bins[:_N_LON_BINS], -bins[_N_LON_BINS:]
    occupied = np.flatnonzero(np.isfinite(lo))
    if occupied.size == 0:
        return None
    mins, maxs = lo[occupied], hi[occupied]
    west, east = float(mins[0]), float(maxs[-1])
    if occupied.size > 1:
        gaps = mins[1:] - maxs[:-1]
        k = int(np.argmax(gaps))
        if gaps[k] > max(west + _LON_WRAP - east, _LON_BIN):  # wider than the gap at 180 E
            return float(mins[k + 1]), float(maxs[k])
    return west, east


def longitude_extent(lon: Any) -> tuple[float, float] | None:
    """Return the smallest longitude interval ``(west, east)`` covering ``lon``, or None.

    Antimeridian-aware: a swath at 179.5 E .. 179.5 W gives ``(179.5, -179.5)``
    (``west > east``: the interval crosses 180 E), not ``(-179.5, 179.5)``. Longitudes
    are wrapped to [-180, 180); NaN is ignored; None when no longitude is finite.
    """
    return longitude_arc(np.asarray(longitude_bins(lon)))


def format_extent(lon: tuple[float, float], lat: tuple[float, float], digits: int = 2) -> str:
    """Return ``"lon W..E, lat S..N"``, with ``" (crosses 180 E)"`` when ``W > E``."""
    (w, e), (s, n) = lon, lat
    cross = " (crosses 180 E)" if w > e else ""
    return f"lon {w:.{digits}f}..{e:.{digits}f}{cross}, lat {s:.{digits}f}..{n:.{digits}f}"
