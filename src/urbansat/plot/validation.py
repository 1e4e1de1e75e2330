"""Scatter plot of satellite estimates against an inventory (1:1 line, error bars)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from urbansat.plot.text import mathtext_escape

__all__ = ["plot_validation"]


def plot_validation(
    result: pd.DataFrame,
    *,
    ax: Any = None,
    label: bool = True,
    scale: float = 1e-6,
    unit: str = "Mt yr-1",
) -> Any:
    """Scatter estimate vs inventory with 1-sigma error bars and the 1:1 line.

    Parameters
    ----------
    result : pandas.DataFrame
        Output of :func:`urbansat.validate_inventory`.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure when omitted.
    label : bool, default True
        Annotate points with their key.
    scale : float, default 1e-6
        Factor applied to t yr-1 (1e-6 -> Mt yr-1).
    unit : str, default "Mt yr-1"
        Axis unit label matching ``scale``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    rows = result[
        (result["scope"] != "overall") & result["estimate"].notna() & result["inventory"].notna()
    ]
    x = rows["inventory"].to_numpy(float) * scale
    y = rows["estimate"].to_numpy(float) * scale
    xe = np.nan_to_num(rows["inventory_uncertainty"].to_numpy(float)) * scale
    ye = np.nan_to_num(rows["estimate_uncertainty"].to_numpy(float)) * scale
    ok = rows["within_2sigma"].to_numpy(float) == 1.0
    ax.errorbar(
        x[ok],
        y[ok],
        xerr=xe[ok],
        yerr=ye[ok],
        fmt="o",
        color="tab:blue",
        capsize=2,
        label="inventory within 2σ",
    )
    ax.errorbar(
        x[~ok],
        y[~ok],
        xerr=xe[~ok],
        yerr=ye[~ok],
        fmt="s",
        color="tab:red",
        capsize=2,
        label="inventory outside 2σ",
    )
    hi = float(np.nanmax(np.concatenate([x + xe, y + ye, [1e-12]]))) * 1.1
    ax.plot([0, hi], [0, hi], "k--", lw=1, label="1:1")
    ax.set_xlim(0, hi)
    ax.set_ylim(0, hi)
    ax.set_aspect("equal")
    if label:
        for k, xi, yi in zip(rows["key"], x, y, strict=True):
            ax.annotate(
                mathtext_escape(k), (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points"
            )
    ov = result[result["scope"] == "overall"]
    if len(ov):
        o = ov.iloc[0]
        ax.set_title(
            f"bias {o['difference'] * scale:.3g} {unit}, RMSE {o['rmse'] * scale:.3g}, "
            f"r={o['correlation']:.2f}, n={int(o['n'])}",
            fontsize=9,
        )
    ax.set_xlabel(f"inventory [{unit}]")
    ax.set_ylabel(f"satellite estimate [{unit}]")
    ax.legend(fontsize=8, loc="upper left")
    return ax
