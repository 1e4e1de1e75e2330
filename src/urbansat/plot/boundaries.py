"""Maps of boundaries and of per-boundary results (zonal statistics, class areas)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from urbansat.errors import BoundaryError
from urbansat.plot.text import mathtext_escape

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_boundaries"]


def plot_boundaries(
    boundaries: gpd.GeoDataFrame,
    results: pd.DataFrame | None = None,
    column: str | None = None,
    *,
    ax: Axes | None = None,
    cmap: str = "viridis",
    label: str | None = None,
    edgecolor: str = "0.2",
) -> Axes:
    """Draw boundaries, optionally coloured by a per-boundary result column.

    Parameters
    ----------
    boundaries : geopandas.GeoDataFrame
        Boundary frame with ``boundary_id`` (see :func:`urbansat.read_boundaries`).
    results : pandas.DataFrame, optional
        A per-boundary table with ``boundary_id`` (e.g. :func:`urbansat.zonal_stats`,
        or :func:`urbansat.class_areas` filtered to one class). Not modified.
    column : str, optional
        Column of ``results`` to colour by (required with ``results``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure otherwise.
    cmap, label, edgecolor
        Colour map, colour-bar label (default: the column and its unit from
        ``results.attrs["units"]``) and outline colour.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    BoundaryError
        If ``results`` lacks ``boundary_id`` or ``column``, or holds several rows per id.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    if "boundary_id" not in boundaries.columns:
        raise BoundaryError(
            "boundaries need a 'boundary_id' column; read them with urbansat.read_boundaries."
        )
    if results is None:
        boundaries.boundary.plot(ax=ax, color=edgecolor, linewidth=0.6)
        return ax
    if column is None or column not in results.columns or "boundary_id" not in results.columns:
        raise BoundaryError(
            f"results must have 'boundary_id' and the column to plot (column={column!r}); it has "
            f"{list(results.columns)}."
        )
    if results["boundary_id"].duplicated().any():
        raise BoundaryError(
            "results holds several rows per boundary_id; select one class first, e.g. "
            "df[df['class'] == 10]."
        )
    merged = boundaries[["boundary_id", boundaries.geometry.name]].merge(
        results[["boundary_id", column]], on="boundary_id", how="left"
    )
    unit = (
        results.attrs.get("units", {}).get(column, "")
        if isinstance(results.attrs.get("units"), dict)
        else ""
    )
    merged.plot(
        column=column, ax=ax, cmap=cmap, edgecolor=edgecolor, linewidth=0.4, legend=True,
        legend_kwds={
            "label": label or mathtext_escape(f"{column} [{unit}]" if unit else column),
            "shrink": 0.7,
        },
        missing_kwds={"color": "0.9", "hatch": "//", "label": "no data"},
    )  # fmt: skip
    ax.set_aspect("equal" if boundaries.crs is not None and boundaries.crs.is_projected else "auto")
    return ax
