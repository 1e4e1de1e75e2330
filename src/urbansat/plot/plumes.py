"""Map of a source's plume: enhancement, plume mask, source, transects, wind arrow."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from urbansat.plot.text import mathtext_escape

__all__ = ["plot_plume"]


def _sig(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant digits without an exponent (470, not 4.7e+02)."""
    return np.format_float_positional(x, precision=digits, unique=False, fractional=False, trim="-")


def plot_plume(
    swath: xr.Dataset,
    *,
    sources: Any,
    wind: Any,
    source: str | None = None,
    result: xr.Dataset | None = None,
    ax: Any = None,
    vmax: float | None = None,
    frames: dict[str, Any] | None = None,
    **options: Any,
) -> Any:
    """Draw the column enhancement around one source.

    Parameters
    ----------
    swath : xarray.Dataset
        Normalized swath.
    sources, wind, **options :
        As for :func:`urbansat.estimate_emissions`.
    source : str, optional
        Source to draw (the first one when None).
    result : xarray.Dataset, optional
        Output of :func:`urbansat.estimate_emissions`; its estimate (one line per method
        when it holds several) is written in the title.
    ax : matplotlib.axes.Axes, optional
    vmax : float, optional
        Colour-scale maximum of the enhancement [ppm|ppb]; 3 x the noise when None.
    frames : dict, optional
        Output of :func:`urbansat.inversion.plume_frames` for these inputs, to draw several
        sources without preparing every source again for each plot.

    Returns
    -------
    matplotlib.axes.Axes
        Axes in km east/north of the source: footprints coloured by ``X - B``, the
        detected plume outlined, the integration band, the CSF transects, the source
        (star, with its radius) and the wind arrow (the refined plume axis dashed).
    """
    import matplotlib.pyplot as plt

    from urbansat.inversion import plume_frames
    from urbansat.schema import GAS_UNITS, gas_of

    if frames is None:
        frames = plume_frames(swath, sources=sources, wind=wind, **options)
    name = source if source is not None else next(iter(frames))
    frame, diag, reason = frames[name]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    if frame is None:
        ax.set_title(mathtext_escape(f"{name}: {reason}"), fontsize=9)
        return ax
    _draw_enhancement(ax, frame, diag, vmax=vmax, unit=GAS_UNITS[gas_of(swath)])
    extent = _draw_band(ax, frame, name)
    _draw_wind(ax, diag)
    lim = extent / 1e3 * 1.3
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("km east of source")
    ax.set_ylabel("km north of source")
    ax.set_title(_plume_title(name, result), fontsize=9)
    ax.legend(loc="lower left", fontsize=7)
    return ax


def _draw_enhancement(
    ax: Any, frame: Any, diag: dict[str, Any], *, vmax: float | None, unit: str
) -> None:
    """Footprints coloured by ``X - B`` (symmetric scale, 3 x the noise by default), plume dots."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    sc = frame.scene
    enh = frame.dv / sc.k
    noise = diag.get("noise", np.nanstd(enh))
    vmax = vmax if vmax is not None else 3 * noise
    # footprint polygons from the 3x3 sub-points' outer ring
    ring = [0, 1, 2, 5, 8, 7, 6, 3]
    # the 3x3 sub-points sit at 1/6, 1/2, 5/6 of the footprint: scale the ring by 1.5
    px = sc.x[..., None] + 1.5 * (sc.xs[..., ring] - sc.x[..., None])
    py = sc.y[..., None] + 1.5 * (sc.ys[..., ring] - sc.y[..., None])
    poly = np.stack([px, py], -1) / 1e3
    ok = sc.valid
    pc = PolyCollection(
        poly[ok], array=enh[ok], cmap="RdYlBu_r", clim=(-vmax, vmax), edgecolor="none"
    )
    ax.add_collection(pc)
    plt.colorbar(pc, ax=ax, label=f"enhancement X - B [{unit}]")
    mask = diag.get("plume_mask")
    if mask is not None and mask.any():
        ax.scatter(
            sc.x[mask] / 1e3, sc.y[mask] / 1e3, s=4, c="k", marker=".", label="detected plume"
        )


def _along_across(theta: float, s: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return km east/north of points ``s`` along and ``n`` across the plume axis [m]."""
    c, s_ = np.cos(theta), np.sin(theta)
    return (s * c - n * s_) / 1e3, (s * s_ + n * c) / 1e3


def _draw_band(ax: Any, frame: Any, name: str) -> float:
    """Integration band, CSF transects, source (with its radius) and plume axis.

    Returns the half extent [m] the axes need to show them.
    """
    from matplotlib.patches import Circle

    sc = frame.scene
    L, hw, r0 = frame.r0 + frame.length, frame.half_width, frame.r0
    bx, by = _along_across(
        frame.theta, np.array([-r0, L, L, -r0, -r0]), np.array([-hw, -hw, hw, hw, -hw])
    )
    ax.plot(bx, by, "k-", lw=1, label="integration band")
    ds = max(sc.pixel_km * 1e3, 2000.0)
    for sk in np.arange(r0 + ds / 2, L, max(ds, (L - r0) / 6)):
        tx, ty = _along_across(frame.theta, np.array([sk, sk]), np.array([-hw, hw]))
        ax.plot(tx, ty, "-", color="0.3", lw=0.6)
    ax.plot(0, 0, "*", ms=14, color="magenta", mec="k", label=mathtext_escape(name))
    if r0 > 0:
        ax.add_patch(Circle((0, 0), r0 / 1e3, fill=False, ls=":", color="magenta"))
    ax_x, ax_y = _along_across(frame.theta, np.array([0, L]), np.array([0, 0]))
    ax.plot(ax_x, ax_y, "k--", lw=0.8)
    return float(max(L, 3 * hw))


def _draw_wind(ax: Any, diag: dict[str, Any]) -> None:
    """Wind arrow (20 km long) labelled with speed and 1-sigma, when the wind is known."""
    u, v = diag.get("wind_u", np.nan), diag.get("wind_v", np.nan)
    if np.isfinite(u):
        sp = np.hypot(u, v)
        ax.annotate(
            "",
            xy=(u / sp * 20, v / sp * 20),
            xytext=(0, 0),
            arrowprops={"arrowstyle": "->", "lw": 2, "color": "k"},
        )
        ax.text(u / sp * 21, v / sp * 21, f"{sp:.1f}±{diag['wind_sigma']:.1f} m/s", fontsize=8)


def _plume_title(name: str, result: xr.Dataset | None) -> str:
    """Source name and, with ``result``, one line per method: estimate ± 1-sigma or QA reason."""
    title = mathtext_escape(name)
    if result is not None and name in list(result.source.values):
        from urbansat.inversion.result import per_method

        # one line per method (several when result has the inversion_method dimension)
        for method, rm in per_method(result.sel(source=name)):
            if str(rm.qa_reason.values):
                title += mathtext_escape(f"\n{method}: {str(rm.qa_reason.values)[:60]}")
            else:
                title += (
                    f"\n{method}: {_sig(float(rm.emission), 3)} ± "
                    f"{_sig(float(rm.emission_uncertainty), 2)} kg/s"
                )
    return title
