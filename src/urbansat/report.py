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
from urbansat.export.provenance import utf8_text
from urbansat.indicators.collapse import SUMMARY_SUBJECT
from urbansat.indicators.tables import STATUSES, indicator_spec, to_wide
from urbansat.plot.text import mathtext_escape
from urbansat.schema.results import require_indicator_table
from urbansat.status import VALUED

__all__ = ["display_scale", "render_report", "write_report", "write_report_pdf"]

_GAS_UNITS = {"co2": "ppm", "ch4": "ppb"}


def _open_epoch(paths: list[str]) -> Any:
    """One land-cover epoch (one file or tiles) as a lazy DataArray, for the sink figures."""
    from urbansat.ingest.landcover import open_landcover

    return open_landcover(paths if len(paths) > 1 else paths[0])


#: Resolution of the report's figures (PNG, embedded in the HTML and the PDF), dots per inch:
#: 150 dpi or more for print (issue 19 item 3); the HTML shows them at most 560 px wide.
FIGURE_DPI = 150


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


#: Mass units shown with a metric prefix in the report (the tables keep tonnes).
_MASS_UNITS = ("t yr-1", "t", "t CO2 yr-1", "t C", "t CO2")
_PREFIXES = ((1e6, "M"), (1e3, "k"))


def display_scale(unit: str, values: Any) -> tuple[float, str]:
    """Divisor and unit label that show a row of masses in t, kt or Mt (by its largest magnitude).

    Parameters
    ----------
    unit : str
        The row's unit as the table writes it (``"t yr-1"``, ``"t CO2 yr-1"``, ``"t C"``...).
    values : array-like
        The row's values (NaN ignored).

    Returns
    -------
    tuple of (float, str)
        ``(1.0, unit)`` for units that are not tonnes or rows below 1000 t.

    Examples
    --------
    >>> display_scale("t CO2 yr-1", [2.78e7, 1.2e6])
    (1000000.0, 'Mt CO2 yr-1')
    >>> display_scale("ppm", [405.7])
    (1.0, 'ppm')
    """
    v = np.abs(np.asarray(values, dtype=float))
    if unit not in _MASS_UNITS or not np.isfinite(v).any():
        return 1.0, unit
    top = float(np.nanmax(v))
    for div, prefix in _PREFIXES:
        if top >= div:
            return div, prefix + unit
    return 1.0, unit


def _sig2(u: float) -> str:
    """Format an uncertainty to 2 significant digits without an exponent (680, not 6.8e+02)."""
    s = f"{u:.2g}"
    return f"{float(s):.0f}" if "e+" in s else s


def _display_cell(v: float, u: float, status: str, div: float, unit: str, cell: str) -> str:
    """One table cell as HTML: scaled value ± 1 sigma, the exact numbers on hover."""
    if status not in VALUED or not np.isfinite(v):
        return f'<span class="status-{html.escape(status)}">{html.escape(status)}</span>'
    if div == 1.0:  # not rescaled: the table's own display string
        text = cell
    else:
        text = f"{v / div:.3g}" + (f" ± {_sig2(u / div)}" if np.isfinite(u) else "")
        if status == "from_inventory":
            text += " (inventory)"
    exact = f"{v:.6g}" + (f" ± {u:.3g}" if np.isfinite(u) else "") + f" {unit}"
    return f'<span title="{html.escape(exact)}">{html.escape(text)}</span>'


def _wide_html(sub: pd.DataFrame) -> str:
    """Render the boundary's wide table (rows: indicators, columns: periods) in t/kt/Mt."""
    frames = {k: to_wide(sub, value=k) for k in ("value", "uncertainty", "status", "cell")}
    shown = frames["cell"].astype(object)
    units = list(cast(pd.MultiIndex, shown.index).get_level_values("unit"))
    labels = []
    for i, unit in enumerate(units):
        vals = frames["value"].iloc[i].to_numpy(dtype=float)
        div, label = display_scale(str(unit), vals)
        labels.append(label)
        for j in range(shown.shape[1]):
            st = frames["status"].iat[i, j]
            shown.iloc[i, j] = (
                ""
                if not isinstance(st, str)
                else _display_cell(
                    float(vals[j]),
                    float(frames["uncertainty"].to_numpy(dtype=float)[i, j]),
                    st,
                    div,
                    str(unit),
                    str(frames["cell"].iat[i, j]),
                )
            )
    # to_wide returns (boundary, period) MultiIndex columns (keep the period) and a MultiIndex
    # of the row names
    shown.columns = [html.escape(str(p)) for _, p in cast(pd.MultiIndex, shown.columns)]
    index = cast(pd.MultiIndex, shown.index).droplevel(["subject_zh", "subject_en", "indicator_zh"])
    names = {
        "target_zh": "对象",
        "target_en": "target",
        "indicator_en": "indicator",
        "quantity_zh": "指标",
        "quantity_en": "quantity",
        "unit": "unit",
    }
    table = pd.DataFrame(
        {
            names[str(n)]: [
                html.escape(str(x))
                for x in (labels if n == "unit" else index.get_level_values(str(n)))
            ]
            for n in index.names
        }
    )
    for c in shown.columns:
        table[c] = shown[c].to_numpy()
    body = table.to_html(index=False, na_rep="", classes="indicators", border=0, escape=False)
    return f'<div class="tablewrap">{body}</div>'


def _caveats(sinks: Mapping[str, xr.Dataset] | None) -> list[str]:
    """Warnings the reader must see before the numbers (issue 19: product-version change)."""
    import re

    out = []
    for period, ds in (sinks or {}).items():
        if "transition_flag" not in ds:
            continue
        flags = " ".join(map(str, np.asarray(ds["transition_flag"].values).ravel()))
        if "product_version_change" not in flags:
            continue
        m = re.search(r"product_version_change \(([^)]*)\)", flags)
        versions = f" ({m.group(1)})" if m else ""
        out.append(
            f"Sinks {period}: the two land-cover epochs come from different product "
            f"versions{versions}. Much of the mapped change between them is the change of "
            "classification algorithm, not of land (ESA documents this for WorldCover v100 "
            "-> v200), so sink changes and apparent sources from land-cover change are "
            "upper bounds. Supply a reference sample (urbansat.error_adjusted_areas) or use "
            "epochs of one product version."
        )
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
                f"<details><summary>{label}: {len(empty)} rows without a value "
                f"({html.escape(targets)}; {reasons})</summary>{_wide_html(empty)}</details>"
            )
    for reason in sub.loc[sub["subject"] == SUMMARY_SUBJECT, "note"]:
        parts.append(
            "<p class='small not-applicable'><b>Not applicable 不适用</b>: "
            f"{html.escape(str(reason))}</p>"
        )
    return "\n".join(parts)


def _landcover_figure(geom: Any, pair: tuple[list[str], list[str]]) -> dict[str, Any] | None:
    """Draw start/end land-cover panels of a boundary window (reads the rasters: an EDGE)."""
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
    conc: Mapping[tuple[str, str], xr.Dataset],
    soundings: Mapping[str, pd.DataFrame],
    landcover: Mapping[str, tuple[list[str], list[str]]] | None = None,
) -> list[dict[str, Any]]:
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
        for (_period, g), ds in conc.items():
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
    valued_periods = table.loc[
        table["status"].isin(VALUED) & ~table["period"].astype(str).str.contains("->"), "period"
    ]
    change_ax = plot_period_change(table, bid) if valued_periods.nunique() > 1 else None
    if change_ax is not None:
        figs.append(
            {
                "png": _png(change_ax.figure),
                "alt": f"period change {bid}",
                "caption": "Valued indicators per period with 1σ error bars.",
            }
        )
    return figs


_TOTALS_TERMS = (
    ("uncertainty_retrieval", "retrieval"),
    ("uncertainty_sampling", "sampling"),
    ("uncertainty_profile", "profile"),
)


def _period_totals(
    totals: Mapping[tuple[str, str], pd.DataFrame] | None,
    overpasses: Mapping[tuple[str, str], pd.DataFrame] | None,
) -> dict[str, Any] | None:
    """Build the period-totals section (issue 17): budget table, a figure per multi-overpass row.

    Only sources (or boundaries) with more than one valid overpass in a period are shown: a
    single overpass has no time series to draw. None when there is none.
    """
    import matplotlib.pyplot as plt

    from urbansat.plot.period_totals import plot_period_totals

    rows: list[dict[str, str]] = []
    figs: list[dict[str, Any]] = []
    for (period, gas), t in sorted((totals or {}).items()):
        o = (overpasses or {}).get((period, gas))
        if o is None or t.empty:
            continue
        idc = "source" if "source" in t else "boundary_id"
        for _, r in t[t["n_overpasses"] > 1].iterrows():
            v, u = float(r["emission_t_per_yr"]), float(r["emission_t_per_yr_uncertainty"])
            div, unit = display_scale("t yr-1", [v])
            terms = ", ".join(
                f"{label} {_sig2(float(r[c]) / div)}" for c, label in _TOTALS_TERMS if c in r
            )
            rows.append(
                {
                    "source": str(r[idc]),
                    "gas": gas.upper(),
                    "period": str(period),
                    "value": f"{v / div:.3g} ± {_sig2(u / div)} {unit}",
                    "exact": f"{v:.6g} ± {u:.3g} t yr-1",
                    "terms": terms,
                    "n": f"{int(r['n_overpasses'])} (+{int(r['n_rejected'])} rejected)",
                    "months": str(int(r["months_covered"])),
                    "status": str(r["status"]),
                    "profile": f"{r['profile']}, {r['estimator']}",
                }
            )
            fig, ax = plt.subplots(figsize=(7.5, 3.2))
            plot_period_totals(
                t, o, source=str(r[idc]), period=str(period), ax=ax, scale=1.0 / div, unit=unit
            )
            figs.append(
                {
                    "png": _png(fig),
                    "alt": f"period total {r[idc]} {gas} {period}",
                    "caption": f"{r[idc]} ({gas.upper()}, {period}): overpass estimates (grey, "
                    "±1σ), divided by the temporal-profile factor at their local time (blue), the "
                    "fitted seasonal curve (green, when fitted) and the period mean with its 95 % "
                    "band (orange).",
                }
            )
    if not rows:
        return None
    return {"rows": rows, "figures": figs}


def render_report(  # noqa: PLR0913 - keyword-only: one argument per result of run_job
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
    period_totals: Mapping[tuple[str, str], pd.DataFrame] | None = None,
    overpasses: Mapping[tuple[str, str], pd.DataFrame] | None = None,
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
    period_totals, overpasses : mapping (period, gas) -> DataFrame, optional
        The two tables of ``urbansat.period_totals(..., details=True)`` per period and gas
        (what :func:`urbansat.run_job` combined its overpasses with): the report then has a
        "Period totals from overpasses" section with the uncertainty budget and one time-series
        figure (:func:`urbansat.plot.period_totals.plot_period_totals`) per source with more
        than one valid overpass in a period; no section when there is none.
    title : str

    Returns
    -------
    str
        Self-contained HTML (no external resources).
    """
    import warnings

    import matplotlib.pyplot as plt

    from urbansat.errors import UrbansatWarning
    from urbansat.plot.fonts import font_rc, missing_glyphs

    table = require_indicator_table(table)
    names = [str(x) for c in ("name", "boundary_id") if c in boundaries for x in boundaries[c]]
    lost = missing_glyphs(names)
    if lost:
        warnings.warn(
            UrbansatWarning(
                f"boundary names contain characters no available font can draw ({lost!r}); "
                "they show as boxes in the report figures (the tables are unaffected). "
                "Install a full CJK font, e.g. 'apt install fonts-noto-cjk'."
            ),
            stacklevel=2,
        )
    with plt.rc_context(cast("Any", font_rc())):  # CJK names drawn, not boxes (urbansat.plot.fonts)
        return _render_report(
            table=table,
            boundaries=boundaries,
            concentrations=concentrations,
            emissions=emissions,
            sinks=sinks,
            validation=validation,
            provenance=provenance,
            soundings=soundings,
            landcover=landcover,
            period_totals=period_totals,
            overpasses=overpasses,
            title=title,
        )


def _render_report(  # noqa: PLR0913 - the keywords of render_report
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
    period_totals: Mapping[tuple[str, str], pd.DataFrame] | None = None,
    overpasses: Mapping[tuple[str, str], pd.DataFrame] | None = None,
    title: str = "urbansat report",
) -> str:
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
                f"<p class='small'>No indicator of this boundary has a value "
                f"({len(by_id[bid])} rows: {html.escape(row_counts)}); see the CSV/Parquet "
                "tables for the rows and their reasons.</p>"
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
        caveats=_caveats(sinks),
        boundaries=sections,
        totals=_period_totals(period_totals, overpasses),
        validation=vals,
        spec=spec,
        prov={
            "python": prov.get("python", ""),
            "libraries": prov.get("libraries", {}),
            "inputs": prov.get("inputs", []),
        },
        options_json=json.dumps(prov.get("options", {}), indent=1, ensure_ascii=False, default=str),
    )


def _write_pdf(text: str, path: Path, title: str) -> Path:
    from urbansat.report_pdf import html_to_pdf

    with atomic_write(path) as tmp:
        html_to_pdf(text, tmp, title=title)
    return path


def write_report(path: str | Path, *, pdf: bool | str | Path = False, **kwargs: Any) -> Path:
    """Render (:func:`render_report`) and write the report atomically; return its path.

    Parameters
    ----------
    path : str or Path
        The HTML file.
    pdf : bool or path, default False
        Also write the printable A4 PDF of the same report (:func:`write_report_pdf`, from
        the same rendering, so the figures are drawn once): True writes it beside the HTML
        with the suffix ``.pdf`` (``report.html`` -> ``report.pdf``), a path writes it there.
    **kwargs
        The keywords of :func:`render_report`.

    Returns
    -------
    Path
        The HTML file.

    Raises
    ------
    OutputPathError
        When the PDF path is the HTML path.
    """
    path = Path(path)
    pdf_path = path.with_suffix(".pdf") if pdf is True else Path(pdf) if pdf else None
    if pdf_path is not None and pdf_path.resolve() == path.resolve():
        from urbansat.errors import OutputPathError

        raise OutputPathError(
            f"the PDF report would overwrite the HTML report {str(path)!r}; give pdf=True (it "
            "then writes the .pdf beside it) or another path."
        )
    _refuse_inputs([path, *([pdf_path] if pdf_path is not None else [])], kwargs)
    text = utf8_text(render_report(**kwargs))  # a non-UTF-8 input path as its escape
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    if pdf_path is not None:
        _write_pdf(text, pdf_path, str(kwargs.get("title", "urbansat report")))
    return path


def write_report_pdf(path: str | Path, **kwargs: Any) -> Path:
    """Render the report and write it as a printable A4 PDF, atomically; return its path.

    The PDF is laid out from the report's HTML by :func:`urbansat.report_pdf.html_to_pdf`
    (matplotlib only, no browser): the same title, provenance, caveats, per-boundary tables
    (values in t/kt/Mt as :func:`display_scale` shows them), maps and plots, each boundary
    section starting on a new page, text in the CJK fallback chain of
    :mod:`urbansat.plot.fonts` (searchable).

    Parameters
    ----------
    path : str or Path
        The PDF file.
    **kwargs
        The keywords of :func:`render_report`.

    Returns
    -------
    Path
    """
    _refuse_inputs([Path(path)], kwargs)
    return _write_pdf(
        render_report(**kwargs), Path(path), str(kwargs.get("title", "urbansat report"))
    )


def _refuse_inputs(outputs: list[Path], kwargs: Mapping[str, Any]) -> None:
    """Raise :class:`~urbansat.errors.OutputPathError` if an output is an input of the run.

    The inputs are those the ``provenance`` keyword lists (``inputs[i].path``): the report
    documents them, so it must never be written over one.
    """
    from urbansat.export.guard import check_outputs, provenance_inputs

    check_outputs(outputs, provenance_inputs(kwargs.get("provenance") or {}))
