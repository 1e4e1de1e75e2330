"""Composer (beside :mod:`urbansat.pipeline`): a self-contained HTML report of a T/CI 231 job.

It composes EDGE and PURE code (the indicator tables, the plots, the land-cover reader and
:func:`urbansat.export.atomic_write`), so it lives beside the pipeline rather than in
``export/``, which only writes (STYLE: only the pipeline and the CLI compose EDGE + PURE).
Images are embedded as base64 PNG.

One section per boundary: a map of the soundings (enhancement over background)
with the boundary outline, the indicator table in the standard's layout, the
sink category bars and the period-change chart; then the validation tables
and scatter plots, the method / uncertainty notes and the provenance. The
template is ``urbansat/data/report/report.html.j2`` (Jinja2, autoescaped).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import importlib.resources
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import xarray as xr

from urbansat._version import __version__
from urbansat.categories import SINK_SCOPES
from urbansat.export import atomic_write
from urbansat.indicators.tables import STATUSES, indicator_spec, to_wide
from urbansat.plot.text import mathtext_escape
from urbansat.status import VALUED

__all__ = ["render_report", "write_report"]

_GAS_UNITS = {"co2": "ppm", "ch4": "ppb"}


def _open_epoch(paths: list[str]) -> Any:
    """One land-cover epoch (one file or tiles) as a lazy DataArray, for the sink figures."""
    from urbansat.ingest.landcover import open_landcover

    return open_landcover(paths if len(paths) > 1 else paths[0])


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _wide_html(sub: pd.DataFrame) -> str:
    wide = to_wide(sub, value="cell")
    # to_wide returns (boundary, period) MultiIndex columns (keep the period) and a MultiIndex
    # of the row names
    wide.columns = [p for _, p in cast(pd.MultiIndex, wide.columns)]
    wide.index = cast(pd.MultiIndex, wide.index).droplevel(
        ["subject_zh", "subject_en", "indicator_zh"]
    )
    wide = wide.reset_index().rename(
        columns={
            "target_zh": "对象",
            "target_en": "target",
            "indicator_en": "indicator",
            "quantity_zh": "指标",
            "quantity_en": "quantity",
        }
    )
    out = wide.to_html(index=False, na_rep="", classes="indicators", border=0, escape=True)
    for s in STATUSES:  # colour status-only cells
        out = out.replace(f"<td>{s}</td>", f'<td class="status-{s}">{s}</td>')
    return out


def _boundary_table(table: pd.DataFrame, bid: str) -> str:
    """Valued rows per subject in full; targets without any value collapsed below."""
    sub = table[table["boundary_id"] == bid]
    valued = sub.groupby(["subject", "target"])["status"].transform(lambda s: s.isin(VALUED).any())
    parts = []
    for subject, label in (
        ("atmosphere", "Urban atmosphere 城市大气"),
        ("sink", "Urban carbon sink 城市碳汇"),
    ):
        rows = sub[(sub["subject"] == subject) & valued]
        empty = sub[(sub["subject"] == subject) & ~valued]
        if len(rows):
            parts.append(f"<h4>{label}</h4>" + _wide_html(rows))
        if len(empty):
            targets = ", ".join(dict.fromkeys(empty["target"]))
            reasons = ", ".join(f"{k} {v}" for k, v in empty["status"].value_counts().items())
            parts.append(
                f"<details><summary>{label}: {len(empty)} rows without a value ({targets}; {reasons})"
                f"</summary>{_wide_html(empty)}</details>"
            )
    return "\n".join(parts)


def _landcover_figure(geom: Any, pair: tuple[list[str], list[str]]) -> dict | None:
    """Start/end land-cover panels of a boundary window (reads the rasters: this module is an EDGE)."""

    from urbansat.ingest.landcover import open_landcover
    from urbansat.plot.indicators import plot_landcover_pair

    starts, ends = pair
    lc0 = open_landcover(starts if len(starts) > 1 else starts[0])
    lc1 = open_landcover(ends if len(ends) > 1 else ends[0])
    crs = lc0.rio.crs if lc0.rio.crs is not None else "EPSG:4326"
    import geopandas as gpd

    g = gpd.GeoSeries([geom], crs=4326).to_crs(crs).iloc[0]
    x0, y0, x1, y1 = g.bounds
    xs = slice(x0, x1) if lc0["x"].values[0] < lc0["x"].values[-1] else slice(x1, x0)
    ys = slice(y0, y1) if lc0["y"].values[0] < lc0["y"].values[-1] else slice(y1, y0)
    w0, w1 = lc0.sel(x=xs, y=ys), lc1.sel(x=xs, y=ys)
    if w0.size == 0 or w0.shape != w1.shape:
        return None
    w0.attrs, w1.attrs = dict(lc0.attrs), dict(lc1.attrs)
    axes = plot_landcover_pair(w0, w1, g)
    return {
        "png": _png(axes[0].figure),
        "alt": "land cover at the two epochs",
        "caption": "Land-cover classes at the start and end epochs inside the boundary window "
        "(display decimated); black: boundary.",
    }


def _figures(
    bid: str,
    geom: Any,
    level: str,
    table: pd.DataFrame,
    conc: Mapping,
    soundings: Mapping,
    landcover: Mapping | None = None,
) -> list[dict]:
    import matplotlib.pyplot as plt

    from urbansat.plot.indicators import plot_boundary_map, plot_period_change, plot_sink_bars

    figs = []
    for gas, snd in sorted(soundings.items()):
        x0, y0, x1, y1 = geom.bounds
        near = snd[
            snd["longitude"].between(x0 - 0.3, x1 + 0.3)
            & snd["latitude"].between(y0 - 0.3, y1 + 0.3)
        ]
        if near.empty:
            continue
        bg = None
        for (p, g), ds in conc.items():
            if g == gas and bid in set(map(str, ds["boundary"].values)):
                v = float(ds["background"].sel(boundary=bid))
                bg = v if np.isfinite(v) else bg
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
        plot_boundary_map(geom, near, background=bg, units=_GAS_UNITS[gas], gas=gas, ax=ax)
        ax.set_title(
            mathtext_escape(f"{bid}: X{gas.upper()} soundings ({len(near)} near the boundary)"),
            fontsize=9,
        )
        figs.append(
            {
                "png": _png(fig),
                "alt": f"map of X{gas.upper()} soundings around {bid}",
                "caption": f"QA-passed X{gas.upper()} soundings minus the background "
                f"({f'{bg:.2f}' if bg is not None else 'n/a'} {_GAS_UNITS[gas]}); black: boundary.",
            }
        )
    if level in SINK_SCOPES:
        for pair in (landcover or {}).values():
            f = _landcover_figure(geom, pair)
            if f is not None:
                figs.append(f)
    if not figs:
        fig, ax = plt.subplots(figsize=(4, 3.5))
        plot_boundary_map(geom, None, ax=ax, pad_deg=0.05)
        ax.set_title(mathtext_escape(f"{bid}: boundary (no soundings nearby)"), fontsize=9)
        figs.append({"png": _png(fig), "alt": f"outline of {bid}", "caption": "Boundary outline."})
    sink_rows = table[
        (table["boundary_id"] == bid)
        & (table["indicator"] == "total_sink.net_sink")
        & table["status"].isin(["ok", "partial"])
    ]
    for period in dict.fromkeys(sink_rows["period"]):
        fig, ax = plt.subplots(figsize=(6.5, 3.5))
        plot_sink_bars(table, bid, period, ax=ax)
        figs.append(
            {
                "png": _png(fig),
                "alt": f"sink bars {bid} {period}",
                "caption": "Net sink per T/CI 231 category (+ = removal), 1σ error bars.",
            }
        )
    ax = plot_period_change(table, bid)
    if ax is not None:
        figs.append(
            {
                "png": _png(ax.figure),
                "alt": f"period change {bid}",
                "caption": "Valued indicators per period with 1σ error bars.",
            }
        )
    return figs


def render_report(
    *,
    table: pd.DataFrame,
    boundaries: Any,
    concentrations: Mapping[tuple[str, str], xr.Dataset] | None = None,
    emissions: Mapping[tuple[str, str], xr.Dataset] | None = None,
    sinks: Mapping[str, xr.Dataset] | None = None,
    validation: Mapping[str, pd.DataFrame] | None = None,
    provenance: Mapping[str, Any] | None = None,
    soundings: Mapping[str, pd.DataFrame] | None = None,
    landcover: Mapping[str, tuple[list[str], list[str]]] | None = None,
    title: str = "urbansat report",
) -> str:
    """Render the report as one HTML string (see module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy T/CI 231 table.
    boundaries : geopandas.GeoDataFrame
        ``boundary_id``, ``name``, ``level``, ``parent_id``, ``geometry``.
    concentrations, emissions, sinks : mapping, optional
        Intermediate results of :func:`urbansat.run_job` (for maps and notes).
    validation : mapping of name -> DataFrame, optional
        Outputs of :func:`urbansat.validate_inventory` (their ``attrs`` name the inventory).
    provenance : mapping, optional
        From :func:`urbansat.export.provenance`.
    soundings : mapping gas -> DataFrame, optional
        Sounding tables for the maps.
    landcover : mapping period -> (start paths, end paths), optional
        Land-cover epochs drawn for sink-level boundaries.
    title : str

    Returns
    -------
    str
        Self-contained HTML (no external resources).
    """
    import jinja2
    import matplotlib.pyplot as plt

    from urbansat.plot.validation import plot_validation

    prov = dict(provenance or {"python": "", "libraries": {}, "inputs": [], "options": {}})
    bnd = boundaries.to_crs(4326)
    sections = []
    valued_ids = set(table.loc[table["status"].isin(VALUED), "boundary_id"])
    by_id = dict(tuple(table.groupby("boundary_id", sort=False)))
    for _, b in bnd.iterrows():
        bid = str(b["boundary_id"])
        if bid not in by_id:
            continue
        section: dict[str, Any] = {
            "id": html.escape(bid),
            "name": str(b["name"]),
            "level": str(b["level"]),
            "parent": str(b.get("parent_id") or ""),
        }
        if bid in valued_ids:
            section["figures"] = _figures(
                bid,
                b.geometry,
                str(b["level"]),
                by_id[bid],
                concentrations or {},
                soundings or {},
                landcover,
            )
            section["table_html"] = _boundary_table(by_id[bid], bid)
            if (
                str(b["level"]) in SINK_SCOPES and sinks
            ):  # issue 18: change map, error-adjusted areas
                from urbansat.plot.sinks import sink_report_items

                for item in sink_report_items(
                    bid, b.geometry, sinks, landcover or {}, _png, _open_epoch
                ):
                    if "png" in item:
                        section["figures"].append(item)
                    else:
                        section["table_html"] += item["table_html"]
        else:  # nothing observed: one line instead of figures and an all-empty table
            row_counts = ", ".join(
                f"{k} {v}" for k, v in by_id[bid]["status"].value_counts().items()
            )
            section["figures"] = []
            section["table_html"] = (
                f"<p class='small'>No indicator of this boundary has a value ({len(by_id[bid])} rows: "
                f"{html.escape(row_counts)}); see the CSV/Parquet tables for the rows and their reasons.</p>"
            )
        sections.append(section)
    vals = []
    for name, res in (validation or {}).items():
        png = None
        if (
            "estimate" in res.columns
            and res["estimate"].notna().any()
            and res["inventory"].notna().any()
        ):
            fig, ax = plt.subplots(figsize=(5, 5))
            plot_validation(res, ax=ax)
            png = _png(fig)
        shown = res.drop(columns=[c for c in ("unit",) if c in res.columns])
        vals.append(
            {
                "name": name,
                "inventory": Path(str(res.attrs.get("inventory", ""))).name,
                "key": res.attrs.get("key", ""),
                "gas": res.attrs.get("gas", ""),
                "png": png,
                "table_html": shown.to_html(
                    index=False, na_rep="", float_format=lambda v: f"{v:.4g}", border=0
                ),
            }
        )
    counts = table["status"].value_counts()
    status_counts = [
        {"status": s, "count": int(counts.get(s, 0)), "meaning": m}
        for s, m in STATUSES.items()
        if counts.get(s, 0)
    ]
    spec = indicator_spec().to_dict(orient="records")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    src = (importlib.resources.files("urbansat.data") / "report" / "report.html.j2").read_text(
        encoding="utf-8"
    )
    periods = list(dict.fromkeys(p for p in table["period"] if "->" not in str(p)))
    return env.from_string(src).render(
        title=title,
        version=__version__,
        created=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        n_rows=len(table),
        n_boundaries=table["boundary_id"].nunique(),
        periods=periods,
        status_counts=status_counts,
        boundaries=sections,
        validation=vals,
        spec=spec,
        prov={
            "python": prov.get("python", ""),
            "libraries": prov.get("libraries", {}),
            "inputs": prov.get("inputs", []),
        },
        options_json=json.dumps(prov.get("options", {}), indent=1, ensure_ascii=False, default=str),
    )


def write_report(path: str | Path, **kwargs: Any) -> Path:
    """Render (:func:`render_report`) and write the report atomically; return its path."""
    text = render_report(**kwargs)
    path = Path(path)
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
