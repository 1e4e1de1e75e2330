"""Time-series figure of one source's period total (issue 17)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from urbansat.plot.text import mathtext_escape
from urbansat.temporal.estimator import basis

__all__ = ["plot_period_totals"]


def _sig2(u: float) -> str:
    """Format an uncertainty to 2 significant digits without an exponent (680, not 6.8e+02)."""
    s = f"{u:.2g}"
    return f"{float(s):.0f}" if "e+" in s else s


def plot_period_totals(
    totals: pd.DataFrame,
    overpasses: pd.DataFrame,
    *,
    source: str | None = None,
    period: str | None = None,
    ax: Any = None,
    scale: float = 1e-6,
    unit: str = "Mt yr-1",
) -> Any:
    """Overpass estimates, profile-corrected values, seasonal curve and the period total.

    Parameters
    ----------
    totals, overpasses : pandas.DataFrame
        The two tables of ``urbansat.period_totals(..., details=True)``.
    source, period : str, optional
        Row to draw (default: the first row of ``totals`` with data).
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure when omitted.
    scale : float, default 1e-6
        Factor applied to t yr-1 (1e-6 -> Mt yr-1).
    unit : str, default "Mt yr-1"
        Axis unit label matching ``scale``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    idc = "source" if "source" in totals else "boundary_id"
    rows = totals[totals["n_overpasses"] > 0]
    if source is not None:
        rows = rows[rows[idc].astype(str) == str(source)]
    if period is not None:
        rows = rows[rows["period"].astype(str) == str(period)]
    if rows.empty:
        raise ValueError(
            f"no period total with data for source={source!r}, period={period!r}; pick one of "
            f"{sorted(set(map(str, totals[idc])))}."
        )
    r = rows.iloc[0]
    o = overpasses[
        (overpasses[idc].astype(str) == str(r[idc])) & (overpasses["period"] == r["period"])
    ]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    t = pd.to_datetime(o["time"]).dt.tz_localize(None)
    ax.errorbar(
        t,
        o["emission_t_per_yr"] * scale,
        yerr=o["emission_t_per_yr_uncertainty"] * scale,
        fmt="o",
        color="0.6",
        ms=4,
        capsize=2,
        label="overpass estimate ±1σ",
    )
    ax.plot(
        t, o["corrected_t_per_yr"] * scale, "D", color="tab:blue", ms=4, label="profile-corrected"
    )
    t0, t1 = (
        pd.Timestamp(r["period_start"]).tz_localize(None),
        pd.Timestamp(r["period_end"]).tz_localize(None),
    )
    theta = totals.attrs.get("seasonal_curves", {}).get(f"{r[idc]}|{r['period']}")
    if theta is not None:
        ph = np.linspace(0.0, 1.0, 200)
        th = (
            np.asarray(theta)
            if r["estimator"] == "t_seasonal"
            else np.r_[theta[0], np.zeros(len(theta) - 1)]
        )
        ax.plot(
            t0 + (t1 - t0) * ph,
            basis(ph) @ th * scale,
            color="tab:green",
            lw=1.5,
            label="fitted seasonal curve",
        )
    m, u = float(r["emission_t_per_yr"]) * scale, float(r["emission_t_per_yr_uncertainty"]) * scale
    ax.axhspan(
        m - 1.96 * u, m + 1.96 * u, color="tab:orange", alpha=0.2, label="period mean, 95 % band"
    )
    ax.axhline(m, color="tab:orange", lw=2)
    ax.set_xlim(t0, t1)
    ax.set_ylabel(f"emission [{unit}]")
    ax.set_title(
        mathtext_escape(
            f"{r[idc]} {r['period']}: {m:.3g} ± {_sig2(u)} {unit} ({r['status']}, "
            f"n = {int(r['n_overpasses'])}, {r['profile']})"
        ),
        fontsize=9,
    )
    lo = np.nanpercentile(np.r_[o["corrected_t_per_yr"], o["emission_t_per_yr"]] * scale, [2, 98])
    span = max(lo[1] - lo[0], abs(m) * 0.5, 1e-12)
    ax.set_ylim(min(lo[0], m - 2 * u) - 0.1 * span, max(lo[1], m + 2 * u) + 0.1 * span)
    ax.legend(fontsize=7, loc="upper right")
    return ax
