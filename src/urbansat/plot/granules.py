"""Map of a normalized swath: footprint polygons coloured by the gas column."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import xarray as xr

from urbansat.errors import SchemaError
from urbansat.plot.text import mathtext_escape
from urbansat.schema import gas_of, gas_variable

__all__ = ["plot_granule"]

#: Dimensions of a drawable swath variable, (y, x).
_SWATH_NDIM = 2
#: Percentiles of the default colour limits.
_COLOUR_PERCENTILES = (2, 98)


def plot_granule(  # noqa: PLR0913 - keyword-only drawing options of one figure
    ds: xr.Dataset,
    *,
    ax: Any = None,
    boundaries: Any = None,
    variable: str | None = None,
    qa_only: bool = True,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    title: str | None = None,
) -> Any:
    """Draw the soundings of a swath as footprint polygons coloured by a variable.

    Parameters
    ----------
    ds : xarray.Dataset
        Normalized swath (:mod:`urbansat.schema`). Footprints come from
        ``longitude_bounds``/``latitude_bounds``; without them (e.g. a
        variable-subset file) the centres are drawn as points.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made otherwise.
    boundaries : geopandas.GeoDataFrame or GeoSeries, optional
        Outlines (coastlines, city boundaries) drawn on top, in lon/lat.
    variable : str, optional
        Variable to colour by (default: the gas column, ``xco2``/``xch4``).
    qa_only : bool, default True
        Draw only soundings with ``qa_pass``; otherwise every finite value.
    cmap, vmin, vmax : optional
        Colour scale (default limits: 2nd and 98th percentiles).
    title : str, optional
        Axes title (default: product, gas and time range).

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Computes the (small) selected values. Footprints crossing the antimeridian
    keep continuous corner longitudes (see the readers), so they are drawn as
    small polygons just beyond +-180 degrees rather than as strips across the map.
    """
    import matplotlib.pyplot as plt

    var = variable or gas_variable(gas_of(ds))
    keep_np, vals = _selected(ds, var, qa_only)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    units = ds[var].attrs.get("units", "")
    if vals.size == 0:
        ax.text(
            0.5,
            0.5,
            "no sounding to draw" + (" (none passes QA)" if qa_only else ""),
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    else:
        lo, hi = (
            np.nanpercentile(vals, _COLOUR_PERCENTILES)
            if vals.size > 1
            else (vals[0] - 1, vals[0] + 1)
        )
        vmin = lo if vmin is None else vmin
        vmax = hi if vmax is None else vmax
        if vmax <= vmin:
            vmax = vmin + 1e-6
        mappable = _draw_soundings(ax, ds, keep_np, vals, cmap=cmap, vmin=vmin, vmax=vmax)
        plt.colorbar(mappable, ax=ax, label=mathtext_escape(f"{var} [{units}]"), shrink=0.8)
    if boundaries is not None:
        xl, yl = ax.get_xlim(), ax.get_ylim()
        boundaries.boundary.plot(ax=ax, color="k", linewidth=0.6)
        if vals.size:
            ax.set_xlim(xl)
            ax.set_ylim(yl)
    _frame(ax)
    if title is None:
        t = np.asarray(ds["time"].values).ravel()
        tt = t[~np.isnat(t)]
        span = f" {str(tt.min())[:16]}-{str(tt.max())[11:16]} UTC" if tt.size else ""
        title = mathtext_escape(f"{ds.attrs.get('product', '')} {var}{span}")
    ax.set_title(title, fontsize=10)
    return ax


def _selected(ds: xr.Dataset, var: str, qa_only: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return the (y, x) mask of the soundings to draw and their values of ``var``."""
    if var not in ds:
        raise SchemaError(
            f"Cannot plot {var!r}: not in the dataset from "
            f"{ds.attrs.get('source_files', '<memory>')}. "
            f"Choose one of {sorted(map(str, ds.data_vars))}."
        )
    values = ds[var]
    if {"y", "x"} - set(values.dims) or values.ndim != _SWATH_NDIM:
        raise SchemaError(
            f"Cannot plot {var!r} with dims {values.dims}: a (y, x) variable is needed."
        )
    if values.dtype.kind not in "iuf":  # a boolean flag: numpy's TypeError in the colour scale
        numeric = sorted(
            str(k)
            for k, v in ds.data_vars.items()
            if v.dtype.kind in "iuf" and {"y", "x"} <= set(v.dims) and v.ndim == _SWATH_NDIM
        )
        raise SchemaError(
            f"Cannot colour by {var!r}: it is {values.dtype} (e.g. a QA flag), not a number; "
            f"choose a numeric (y, x) variable: {numeric}."
        )
    # numpy's ufunc stubs return ndarray; on a DataArray the ufunc returns a DataArray
    keep = cast(xr.DataArray, np.isfinite(values))
    if qa_only:
        keep = keep & ds["qa_pass"]
    keep_np = np.asarray(keep.values, dtype=bool)
    return keep_np, np.asarray(values.values)[keep_np]


def _draw_soundings(
    ax: Any,
    ds: xr.Dataset,
    keep_np: np.ndarray,
    vals: np.ndarray,
    *,
    cmap: str,
    vmin: float,
    vmax: float,
) -> Any:
    """Draw footprint polygons (else centre points) on ``ax``; return the colour mappable."""
    from matplotlib.collections import PolyCollection

    if "longitude_bounds" not in ds or "latitude_bounds" not in ds:
        lon = np.asarray(ds["longitude"].values)[keep_np]
        lat = np.asarray(ds["latitude"].values)[keep_np]
        return ax.scatter(lon, lat, c=vals, s=2, cmap=cmap, vmin=vmin, vmax=vmax, linewidths=0)
    blon = np.asarray(ds["longitude_bounds"].values)[keep_np]
    blat = np.asarray(ds["latitude_bounds"].values)[keep_np]
    ok = np.isfinite(blon).all(-1) & np.isfinite(blat).all(-1)
    verts = np.stack([blon[ok], blat[ok]], axis=-1)
    # matplotlib stub defect: verts is typed Sequence[ArrayLike], but
    # PolyCollection.set_verts takes an (N, M, 2) ndarray directly (its fast path)
    coll = PolyCollection(verts, array=vals[ok], cmap=cmap, edgecolors="none")  # type: ignore[arg-type]
    coll.set_clim(vmin, vmax)
    ax.add_collection(coll)
    if ok.any():
        pad = 0.02 * max(np.ptp(blon[ok]), np.ptp(blat[ok]), 1e-3)
        ax.set_xlim(blon[ok].min() - pad, blon[ok].max() + pad)
        ax.set_ylim(blat[ok].min() - pad, blat[ok].max() + pad)
    return coll


def _frame(ax: Any) -> None:
    """Label the lon/lat axes, widen narrow swaths and keep distances locally equal."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("longitude [degrees_east]")
    ax.set_ylabel("latitude [degrees_north]")
    # narrow swaths (OCO: ~10 km wide): widen the view to at least 1/3 of its length
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    coslat = np.cos(np.deg2rad(np.clip(0.5 * (y0 + y1), -80.0, 80.0)))
    if (x1 - x0) * coslat < (y1 - y0) / 3:
        half = (y1 - y0) / 6 / coslat
        ax.set_xlim(0.5 * (x0 + x1) - half, 0.5 * (x0 + x1) + half)
    ax.xaxis.set_major_locator(MaxNLocator(4))
    for lab in ax.get_xticklabels():
        lab.set_rotation(30)
        lab.set_horizontalalignment("right")
    ylo, yhi = ax.get_ylim()
    mid = np.clip(0.5 * (ylo + yhi), -80.0, 80.0)
    ax.set_aspect(1.0 / np.cos(np.deg2rad(mid)), adjustable="box")  # locally equal-distance
