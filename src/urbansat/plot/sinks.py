"""Report figures of the sink accounts: carbon-change map per boundary and error-adjusted areas.

The change map is ``C(end class) - C(start class)`` [t C ha-1] per pixel, with ``C`` the
summed pool densities the account used for that boundary (``attrs["carbon_density_by_code"]``
of :func:`urbansat.account_sinks`), the same quantity as InVEST's ``c_change_bas_alt.tif``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from urbansat.plot.extent import pixel_extent

__all__ = ["accuracy_table_html", "plot_carbon_change", "sink_report_items"]


def plot_carbon_change(
    change: xr.DataArray, geometry: Any, *, max_pixels: int = 400, ax: Any = None
) -> Any:
    """Map of carbon-density change [t C ha-1] with the boundary outline.

    Parameters
    ----------
    change : xarray.DataArray
        (y, x) change in t C ha-1 in the raster CRS, cut to the boundary window.
    geometry : shapely geometry
        Boundary in the raster CRS.
    max_pixels : int
        Display decimation (every k-th pixel so each axis has at most this many).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    extent = pixel_extent(change)  # refuses an empty window with a clear error
    k = max(1, int(np.ceil(max(change.sizes["y"], change.sizes["x"]) / max_pixels)))
    sub = change.isel(y=slice(None, None, k), x=slice(None, None, k))
    vals = np.asarray(sub.values, dtype="float64")
    lim = float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 1.0
    lim = lim if lim > 0 else 1.0
    y = sub["y"].values
    im = ax.imshow(
        vals,
        cmap="RdBu",
        vmin=-lim,
        vmax=lim,
        interpolation="nearest",
        extent=extent,
        origin="upper" if y[0] > y[-1] else "lower",
    )
    for poly in getattr(geometry, "geoms", [geometry]):
        bx, by = poly.exterior.xy
        ax.plot(bx, by, color="black", lw=0.8)
    ax.figure.colorbar(im, ax=ax, label="carbon change [t C ha-1] (+ = gain)")
    ax.set_title("carbon stock change, end - start", fontsize=9)
    return ax


def accuracy_table_html(ds: xr.Dataset) -> str | None:
    """Render ``attrs["accuracy_table"]`` (error-adjusted areas) as HTML, or None."""
    raw = ds.attrs.get("accuracy_table")
    if not raw:
        return None
    t = pd.DataFrame(json.loads(raw))
    cols = [
        c
        for c in (
            "class",
            "map_area",
            "area",
            "area_low",
            "area_high",
            "users_accuracy",
            "producers_accuracy",
        )
        if c in t.columns
    ]
    body = t[cols].to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)
    note = html.escape(str(ds.attrs.get("area_uncertainty_source", "")))
    return f"<p class='small'>Error-adjusted areas with 95 % intervals ({note}).</p>{body}"


def sink_report_items(
    bid: str,
    geometry: Any,
    sinks: Mapping[str, xr.Dataset],
    landcover: Mapping[str, tuple[list[str], list[str]]],
    to_png: Callable[[Any], str],
    open_raster: Callable[[list[str]], xr.DataArray],
) -> list[dict[str, Any]]:
    """Figures (``png``/``alt``/``caption``) and tables (``table_html``) for one boundary.

    Parameters
    ----------
    bid : str
        Boundary id.
    geometry : shapely geometry
        Boundary in EPSG:4326.
    sinks : Mapping
        Period -> :func:`urbansat.account_sinks` result.
    landcover : Mapping
        Period -> (start paths, end paths).
    to_png : callable
        Figure -> embedded PNG string (the report's encoder).
    open_raster : callable
        Land-cover paths of one epoch -> lazy DataArray (the caller's reader, e.g.
        :func:`urbansat.open_landcover`; plotting code does no file I/O of its own).
    """
    import geopandas as gpd

    out: list[dict[str, Any]] = []
    for period, ds in sinks.items():
        if bid not in {str(b) for b in ds["boundary"].values} or period not in landcover:
            continue
        dens = json.loads(ds.attrs.get("carbon_density_by_code", "{}")).get(bid)
        starts, ends = landcover[period]
        if dens:
            lc0, lc1 = open_raster(starts), open_raster(ends)
            crs = lc0.rio.crs if lc0.rio.crs is not None else "EPSG:4326"
            g = gpd.GeoSeries([geometry], crs=4326).to_crs(crs).iloc[0]
            x0, y0, x1, y1 = g.bounds
            xs = slice(x0, x1) if lc0["x"].values[0] < lc0["x"].values[-1] else slice(x1, x0)
            ys = slice(y0, y1) if lc0["y"].values[0] < lc0["y"].values[-1] else slice(y1, y0)
            w0, w1 = lc0.sel(x=xs, y=ys), lc1.sel(x=xs, y=ys)
            if w0.size and w0.shape == w1.shape:
                codes = np.array(sorted(int(c) for c in dens), dtype="int64")
                vals = np.array([dens[str(c)] for c in codes])

                def lut(
                    a: np.ndarray, codes: np.ndarray = codes, vals: np.ndarray = vals
                ) -> np.ndarray:
                    a = np.asarray(a).astype("int64")
                    i = np.clip(np.searchsorted(codes, a), 0, len(codes) - 1)
                    v = vals[i].astype("float64")
                    v[codes[i] != a] = np.nan
                    return v

                change = w0.copy(data=lut(w1.values) - lut(w0.values))
                ax = plot_carbon_change(change, g)
                out.append(
                    {
                        "png": to_png(ax.figure),
                        "alt": f"carbon change map {bid} {period}",
                        "caption": f"{period}: carbon-density change per pixel (end - start, "
                        "t C ha-1, InVEST c_change_bas_alt) from the factors of the account; "
                        "black: boundary.",
                    }
                )
        table = accuracy_table_html(ds)
        if table:
            out.append(
                {
                    "table_html": table,
                    "caption": f"{period}: error-adjusted areas (Olofsson et al. 2014)",
                }
            )
        flags = ds.attrs.get("transition_flags")
        if flags:
            out.append(
                {
                    "table_html": "<p class='small'>Map transitions to check: "
                    f"{html.escape(str(flags))}</p>",
                    "caption": f"{period}: flagged transitions",
                }
            )
    return out
