"""Figures of the indicator report: sounding maps, sink bars, period changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from urbansat.categories import SINK_CATEGORIES
from urbansat.errors import EmptySelectionError
from urbansat.plot.context import axis_labels, draw_context
from urbansat.plot.extent import pixel_extent
from urbansat.plot.text import mathtext_escape
from urbansat.schema.legend import legend_of
from urbansat.schema.results import require_tidy_columns
from urbansat.status import VALUED

__all__ = ["plot_boundary_map", "plot_period_change", "plot_sink_bars"]

_OK = VALUED


#: Values of a column an error message lists at most.
_SHOWN = 10
_PLOTTED = ("boundary_id", "indicator", "target", "period", "value", "uncertainty", "status")


def _rows_of(table: pd.DataFrame, column: str, value: Any, what: str) -> pd.DataFrame:
    """Select the rows of ``table`` whose ``column`` equals ``value``.

    Raises
    ------
    EmptySelectionError
        No row has that value; the message lists the values the table has.
    """
    rows: pd.DataFrame = table.loc[table[column] == value]
    if not len(rows):
        have = sorted(map(str, table[column].dropna().unique()))
        shown = ", ".join(repr(h) for h in have[:_SHOWN]) + (" ..." if len(have) > _SHOWN else "")
        raise EmptySelectionError(
            f"{what} has no row with {column} {value!r}; it has {shown or 'no rows at all'}. "
            f"Pass one of those as {column}."
        )
    return rows


def plot_boundary_map(
    geometry: Any,
    soundings: pd.DataFrame | None,
    *,
    background: float | None = None,
    units: str = "",
    gas: str = "",
    pad_deg: float = 0.3,
    context: bool = True,
    ax: Any = None,
) -> Any:
    """Map the soundings around a boundary, coloured by enhancement, with the outline.

    Parameters
    ----------
    geometry : shapely geometry
        Boundary in lon/lat (EPSG:4326).
    soundings : pandas.DataFrame, optional
        ``longitude``, ``latitude``, ``value``
        (from :func:`urbansat.indicators.concentration.sounding_table`).
    background : float, optional
        Subtracted from ``value`` (enhancement map); raw values when None.
    units, gas : str
        Colour-bar label.
    pad_deg : float, default 0.3
        Map margin around the boundary [degrees].
    context : bool, default True
        Draw the packaged Natural Earth country outlines and coasts under the map
        (:func:`urbansat.plot.context.draw_context`).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    x0, y0, x1, y1 = geometry.bounds
    if soundings is not None and len(soundings):
        near = soundings[
            soundings["longitude"].between(x0 - pad_deg, x1 + pad_deg)
            & soundings["latitude"].between(y0 - pad_deg, y1 + pad_deg)
        ]
        if len(near):
            v = near["value"].to_numpy(float) - (background if background is not None else 0.0)
            lim = float(np.nanpercentile(np.abs(v), 98)) or 1.0
            sc = ax.scatter(
                near["longitude"],
                near["latitude"],
                c=v,
                s=6,
                cmap="RdBu_r" if background is not None else "viridis",
                vmin=-lim if background is not None else None,
                vmax=lim if background is not None else None,
                linewidths=0,
            )
            label = f"X{gas.upper()} {'enhancement' if background is not None else ''} [{units}]"
            plt.colorbar(sc, ax=ax, shrink=0.8, label=label)
    geoms = getattr(geometry, "geoms", [geometry])
    for g in geoms:
        xs, ys = g.exterior.xy
        ax.plot(xs, ys, color="k", lw=1.5)
    ax.set_xlim(x0 - pad_deg, x1 + pad_deg)
    ax.set_ylim(y0 - pad_deg, y1 + pad_deg)
    ax.set_aspect(1.0 / max(np.cos(np.radians((y0 + y1) / 2)), 0.1))
    if context:
        draw_context(ax, (x0 - pad_deg, y0 - pad_deg, x1 + pad_deg, y1 + pad_deg))
    xlabel, ylabel = axis_labels(None)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def plot_sink_bars(table: pd.DataFrame, boundary_id: str, period: str, *, ax: Any = None) -> Any:
    """Net sink per T/CI 231 category (+ total) with 1-sigma error bars.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy indicator table.
    boundary_id, period : str
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    SchemaError
        ``table`` is not a DataFrame with the tidy table's columns.
    EmptySelectionError
        ``boundary_id`` or ``period`` is not in the table (the message lists those it has).
    """
    import matplotlib.pyplot as plt

    table = require_tidy_columns(table, "plot_sink_bars table", _PLOTTED)
    sub = _rows_of(table, "boundary_id", boundary_id, "plot_sink_bars table")
    sub = _rows_of(sub, "period", period, f"plot_sink_bars table for {boundary_id!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.5))
    rows = sub[sub["indicator"] == "total_sink.net_sink"].set_index("target")
    cats = [*SINK_CATEGORIES, "total"]
    val = np.array([rows["value"].get(c, np.nan) for c in cats], dtype=float)
    unc = np.array([rows["uncertainty"].get(c, np.nan) for c in cats], dtype=float)
    status = [rows["status"].get(c, "no_data") for c in cats]
    colors = ["tab:green" if v >= 0 else "tab:red" for v in np.nan_to_num(val)]
    x = np.arange(len(cats))
    ax.bar(x, np.nan_to_num(val), yerr=np.nan_to_num(unc), color=colors, capsize=2)
    for xi, v, s in zip(x, val, status, strict=True):
        if not np.isfinite(v):
            ax.annotate(
                str(s), (xi, 0), rotation=90, fontsize=6, ha="center", va="bottom", color="grey"
            )
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(
        x,
        [SINK_CATEGORIES[c][0] if c in SINK_CATEGORIES else "TOTAL" for c in cats],
        rotation=60,
        ha="right",
        fontsize=7,
    )
    ax.set_ylabel("net sink [t CO2 yr-1]\n(+ = removal)")
    ax.set_title(mathtext_escape(f"net ecological carbon sink, {period}"), fontsize=9)
    return ax


def plot_period_change(table: pd.DataFrame, boundary_id: str, *, ax: Any = None) -> Any:
    """Emission rate per gas and net sink (total) per period, with 1-sigma error bars.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy indicator table.
    boundary_id : str
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes or None
        The first (top) axes; None when the boundary has no valued row to plot.
        Without ``ax`` one panel per series is drawn.

    Raises
    ------
    SchemaError
        ``table`` is not a DataFrame with the tidy table's columns.
    EmptySelectionError
        ``boundary_id`` is not in the table (the message lists those it has).
    """
    import matplotlib.pyplot as plt

    table = require_tidy_columns(table, "plot_period_change table", _PLOTTED)
    sub = _rows_of(table, "boundary_id", boundary_id, "plot_period_change table")
    sub = sub[sub["status"].isin(_OK)]
    series = []
    for gas, g in sub[sub["indicator"] == "total_emission.emission_rate"].groupby("target"):
        series.append((f"{str(gas).upper()} emission [t yr-1]", g))
    sink = sub[(sub["indicator"] == "total_sink.net_sink") & (sub["target"] == "total")]
    if len(sink):
        series.append(("net sink, total [t CO2 yr-1]", sink))
    if not series:
        return None
    periods = list(dict.fromkeys(table["period"][~table["period"].str.contains("->")]))
    if ax is None:
        _, grid = plt.subplots(
            len(series), 1, figsize=(5.5, 1.0 + 1.6 * len(series)), sharex=True, squeeze=False
        )
        axes = list(grid[:, 0])
    else:
        axes = [ax] if len(series) == 1 else [ax] + [ax.twinx() for _ in series[1:]]
    # strict=False: the palette may be longer than the series (zip stops at the shorter)
    for a, (label, g), color in zip(
        axes, series, ("tab:blue", "tab:orange", "tab:green", "tab:red"), strict=False
    ):
        x = [periods.index(p) for p in g["period"]]
        a.errorbar(x, g["value"], yerr=g["uncertainty"].fillna(0), fmt="o-", capsize=3, color=color)
        a.set_ylabel(label, fontsize=7)
        a.set_xticks(range(len(periods)), periods)
        a.set_xlim(-0.5, len(periods) - 0.5)
        a.grid(alpha=0.3)
    axes[0].set_title("indicators by period (1σ)", fontsize=9)
    axes[-1].set_xlabel("period")
    return axes[0]


#: Class colours by keyword of the class name: the ESA WorldCover v200 product palette
#: (ESA WorldCover Product User Manual v2.0, Table 1), applied to any legend by name.
_PALETTE = (
    (("tree", "forest"), "#006400"),
    (("shrub",), "#ffbb22"),
    (("grass",), "#ffff4c"),
    (("crop",), "#f096ff"),
    (("built", "urban", "impervious"), "#fa0000"),
    (("bare", "sparse", "barren"), "#b4b4b4"),
    (("snow", "ice"), "#f0f0f0"),
    (("water",), "#0064c8"),
    (("mangrove",), "#00cf75"),
    (("wetland", "marsh"), "#0096a0"),
    (("moss", "lichen"), "#fae6a0"),
    (("no data", "nodata"), "#000000"),
)


def _class_colour(name: str, fallback: Any) -> Any:
    low = name.lower()
    for words, colour in _PALETTE:
        if any(w in low for w in words):
            return colour
    return fallback


def plot_landcover_pair(
    start: Any,
    end: Any,
    geometry: Any,
    *,
    legend: Mapping[int, str] | None = None,
    max_pixels: int = 400,
    context: bool = True,
    axes: Any = None,
) -> Any:
    """Two panels: land-cover classes at the start and end epochs, with the boundary outline.

    Axes are named from the raster's CRS (longitude/latitude in degrees, or easting/northing
    with the CRS name) and the packaged Natural Earth outlines give context.

    Parameters
    ----------
    start, end : xarray.DataArray
        Categorical land cover (y, x), already cut to the boundary window; its CRS is read
        with rioxarray (``start.rio.crs``; lon/lat when it has none).
    geometry : shapely geometry
        Boundary in the raster CRS.
    legend : dict, optional
        code -> class name (default: the legend ``start`` carries,
        :func:`~urbansat.schema.legend_of`).
    max_pixels : int, default 400
        Display decimation: every k-th pixel so that each axis has at most this many.
    context : bool, default True
        Draw the Natural Earth outlines (reprojected to the raster's CRS) under the classes.
    axes : pair of matplotlib Axes, optional

    Returns
    -------
    numpy.ndarray of matplotlib Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    legend = dict(legend or legend_of(start))
    extent = pixel_extent(start)  # refuses an empty window with a clear error
    k = max(1, int(np.ceil(max(start.sizes["y"], start.sizes["x"]) / max_pixels)))
    a0 = np.asarray(start.isel(y=slice(None, None, k), x=slice(None, None, k)).values)
    a1 = np.asarray(end.isel(y=slice(None, None, k), x=slice(None, None, k)).values)
    # a masked (float) land cover holds NaN: no class, drawn blank (NaN != NaN found no code)
    codes = sorted(
        {c for a in (a0, a1) for c in np.unique(a).tolist() if np.isfinite(c)}, key=float
    )
    fallback = plt.get_cmap("tab20")(np.linspace(0, 1, max(len(codes), 2)))[: len(codes)]
    colors = [_class_colour(str(legend.get(c, "")), fallback[i]) for i, c in enumerate(codes)]
    cmap = ListedColormap(colors)
    norm = BoundaryNorm(np.arange(len(codes) + 1) - 0.5, len(codes))
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8, 3.8), sharey=True)
    y = start["y"].values[::k]
    crs = _raster_crs(start)
    xlabel, ylabel = axis_labels(crs)
    for ax, arr, title in (
        (axes[0], a0, start.attrs.get("year", "start")),
        (axes[1], a1, end.attrs.get("year", "end")),
    ):
        a = np.asarray(arr, dtype="float64")
        ok = np.isfinite(a)  # every finite value is one of ``codes``
        idx = np.ma.masked_array(np.searchsorted(codes, np.where(ok, a, -np.inf)), mask=~ok)
        ax.imshow(
            idx,
            cmap=cmap,
            norm=norm,
            extent=extent,
            origin="upper" if y[0] > y[-1] else "lower",
            interpolation="nearest",
        )
        for g in getattr(geometry, "geoms", [geometry]):
            gx, gy = g.exterior.xy
            ax.plot(gx, gy, color="k", lw=1.2)
        ax.set_title(mathtext_escape(f"land cover {title}"), fontsize=9)
        if context:
            draw_context(ax, (extent[0], extent[2], extent[1], extent[3]), crs)
        ax.set_xlabel(xlabel)
    axes[0].set_ylabel(ylabel)
    handles = [
        Patch(color=colors[i], label=mathtext_escape(f"{c} {legend.get(c, '')}"))
        for i, c in enumerate(codes)
    ]
    axes[1].legend(handles=handles, fontsize=6, loc="center left", bbox_to_anchor=(1.02, 0.5))
    return axes


def _raster_crs(da: Any) -> Any:
    """Return the CRS of a raster DataArray (rioxarray), or None when it carries none."""
    try:
        return da.rio.crs
    except (AttributeError, ImportError):  # no rioxarray accessor on this object
        return None
