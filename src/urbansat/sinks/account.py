"""Carbon-sink accounting of T/CI 231 Table 1 row B (pure core): the public entry points.

``account_sinks`` turns two land-cover epochs and boundaries into, per boundary and
for the 11 sink categories plus ``total``: areas and their change, the transition
matrix, carbon stocks, the annual net sink with a 95 % interval, and gross removals
and gross emissions. See :mod:`urbansat.sinks.accounting` for the equations and the
sign convention (t CO2 yr-1, positive = removal from the atmosphere).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar, cast

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from urbansat.categories import PROJECT_SINK_CATEGORIES
from urbansat.constants import C_TO_CO2
from urbansat.errors import (
    BoundaryError,
    ConfigError,
    EmptyResultWarning,
    EmptySelectionError,
    FactorError,
    LegendError,
    SchemaError,
    UrbansatWarning,
)
from urbansat.schema.boundaries import require_boundaries
from urbansat.schema.columns import numeric_column
from urbansat.schema.legend import legend_categories_of
from urbansat.sinks.accounting import OUTPUT_CATEGORIES, AccountingTerms, build_terms
from urbansat.sinks.accuracy import area_uncertainty_from_accuracy, flag_transitions
from urbansat.sinks.factors import (
    PARAMETERS,
    POOLS,
    FactorTable,
    ResolvedFactors,
    as_factor_table,
    resolve_factors,
)
from urbansat.sinks.legends import (
    PRODUCT_LEGENDS,
    check_codes,
    legend_from_mapping,
    load_legend,
    validate_legend,
)
from urbansat.sinks.transitions import align_epochs, check_aligned, transition_areas
from urbansat.sinks.uncertainty import FluxResult, check_unranged, propagate
from urbansat.sinks.valuation import Valuation

if TYPE_CHECKING:
    import geopandas as gpd

    from urbansat.spatial.weights import Coverage

__all__ = ["SIGN_CONVENTION", "account_sinks", "account_transitions"]

SIGN_CONVENTION = (
    "net_sink, net_sink_low/high, gross_* in t CO2 yr-1; net_sink > 0 is a net removal "
    "from the atmosphere (sink), < 0 a net emission; gross_removals and gross_emissions "
    "are both >= 0 and net_sink = gross_removals - gross_emissions; t C -> t CO2 x 44/12"
)

FactorsArg = str | FactorTable | pd.DataFrame
#: A legend: a packaged name, a legend table or ``{code: category}``.
LegendArg: TypeAlias = str | pd.DataFrame | Mapping[int, str]
#: ``{boundary_id: value, "*": default}`` options. Boundary ids are str or int and Mapping is
#: invariant in its key type, so the key is Any (a dict[str, ...] from a job file fits).
_V = TypeVar("_V")
_PerBoundary: TypeAlias = Mapping[Any, _V]
_Floats: TypeAlias = NDArray[np.float64]
#: 1-sigma of mapped areas: one relative value, or one per category.
_AreaSigma: TypeAlias = float | Mapping[str, float]
#: flagged transitions listed in attrs["transition_flags"] (the variable holds all of them)
_FLAGS_SHOWN = 20
#: fewest Monte Carlo draws that give a spread
_MIN_DRAWS = 2
#: most Monte Carlo draws: 1e6 draws hold a 95 % interval's ends to ~0.1 % of the spread,
#: and each factor's draws take 8 MB (1e12 draws asked for 87 TiB and ended in MemoryError)
MAX_DRAWS = 1_000_000
#: uncovered share of a boundary above which its outside area counts as unobserved (0.5 %)
_OUTSIDE_SHARE = 5e-3


#: Shortest interval between two land-cover epochs [yr]: every product read (WorldCover,
#: CCI, MODIS MCD12Q1, CLCD, Corine) is an annual (or rarer) map.
MIN_EPOCH_YEARS = 1.0


def _legend_of(da: xr.DataArray | None, legend: LegendArg | None) -> pd.DataFrame:
    if legend is not None:
        if isinstance(legend, pd.DataFrame):
            return validate_legend(legend)
        if isinstance(legend, str):
            return load_legend(legend)
        if isinstance(legend, Mapping):
            return legend_from_mapping(legend)
        raise LegendError(
            f"legend= must be a legend name, a DataFrame or a {{code: category}} mapping, "
            f"not {type(legend).__name__}."
        )
    if da is not None:
        cats = legend_categories_of(da)
        if cats:
            lg = legend_from_mapping(
                {int(k): v for k, v in cats.items()}, name=str(da.attrs.get("legend_name", "user"))
            )
            return lg
        name = da.attrs.get("legend_name") or PRODUCT_LEGENDS.get(str(da.attrs.get("product")))
        if name:
            return load_legend(name)
    raise LegendError(
        "No legend for the land cover: the array carries no 'product'/'legend_name' attribute. "
        "Open it with urbansat.open_landcover(product=...) or pass legend={code: category}."
    )


def _epochs_legend(
    landcover_start: xr.DataArray, landcover_end: xr.DataArray, legend: LegendArg | None
) -> pd.DataFrame:
    """Return the one legend of both epochs: ``legend=``, else what each epoch declares.

    Raises
    ------
    LegendError
        When ``legend`` is None and a code means another category in each epoch's legend
        (WorldCover's 10 is tree cover, CCI's 10 rainfed cropland): read with the start's
        legend, a forest-to-cropland loss was an unchanged forest.
    """
    lg = _legend_of(landcover_start, legend)
    if legend is not None:
        return lg
    try:
        lg_end = _legend_of(landcover_end, None)
    except LegendError:
        return lg  # the end epoch declares nothing: the start's legend is the only one
    a = dict(zip(lg.index.astype(int), lg["category"].astype(str), strict=True))
    b = dict(zip(lg_end.index.astype(int), lg_end["category"].astype(str), strict=True))
    differ = sorted(c for c in set(a) & set(b) if a[c] != b[c])
    if differ:

        def label(da: xr.DataArray) -> str:
            return str(da.attrs.get("legend_name") or da.attrs.get("product") or "its own")

        shown = ", ".join(f"{c}: {a[c]} vs {b[c]}" for c in differ[:3])
        raise LegendError(
            f"The land-cover epochs have different legends: start {label(landcover_start)!r}, "
            f"end {label(landcover_end)!r} ({shown}). The same code means another class in "
            "each, so comparing codes would not measure a land-cover change. Reclassify one "
            "epoch onto the other's legend (urbansat.sinks.legends), or pass legend= if both "
            "are in fact coded alike."
        )
    return lg


def _with_nodata(lg: pd.DataFrame, *arrays: xr.DataArray) -> pd.DataFrame:
    """Add the rasters' nodata codes (e.g. Corine int8 -128) to the legend as ``nodata``."""
    extra = []
    for da in arrays:
        nd = da.attrs.get("nodata", da.rio.nodata if hasattr(da, "rio") else None)
        if nd is not None and np.isfinite(nd) and int(nd) not in lg.index and int(nd) not in extra:
            extra.append(int(nd))
    if not extra:
        return lg
    add = pd.DataFrame(
        {"name": "nodata (raster nodata value)", "category": "nodata", "note": ""},
        index=pd.Index(extra, name="code"),
    )
    out = pd.concat([lg, add]).sort_index()
    out.attrs = dict(lg.attrs)
    return out


def _check_years(years: object) -> None:
    """Refuse a ``years`` that is not a number of at least :data:`MIN_EPOCH_YEARS`.

    Raises
    ------
    ConfigError
        Text, True/False, an array, NaN, zero or negative, or under one year.
    """
    if isinstance(years, (str, bytes, bool, np.bool_)) or not np.isscalar(years):
        raise ConfigError(
            f"years={years!r} must be a number of years between the epochs, e.g. years=5."
        )
    # a scalar after the check above (np.isscalar does not narrow for mypy)
    if not (np.isfinite(float(cast("float", years))) and float(cast("float", years)) > 0):
        raise ConfigError(
            f"years={years!r}: the time between the epochs must be a positive number of years, "
            "e.g. years=5 "
            "for 2015 -> 2020 (equal epochs give no annual rate)."
        )
    if float(cast("float", years)) < MIN_EPOCH_YEARS:
        raise ConfigError(  # 1e-300 gave a net sink of -1.7e303 with an inf sigma, status ok
            f"years={years!r}: the land-cover products read here are annual maps, so two "
            f"epochs lie at least {MIN_EPOCH_YEARS:g} year apart; give the years between the "
            "maps (e.g. years=5 for 2015 -> 2020), not days or a fraction."
        )


def _check_numbers(
    years: object,
    uncertainty: str,
    n_draws: object,
    area_uncertainty: object,
    unranged: str = "nan",
    seed: object = 0,
) -> None:
    """Reject bad numbers: years, draws, seed, area errors.

    Non-numeric or boolean years, too few or too many Monte Carlo draws, a seed that is not
    a whole number, and area errors given in percent or as True/False.
    """
    check_unranged(unranged)
    if years is not None:
        _check_years(years)
    if uncertainty == "monte_carlo" and not (
        isinstance(n_draws, (int, np.integer)) and n_draws >= _MIN_DRAWS
    ):
        raise ConfigError(
            f"n_draws={n_draws!r}: Monte Carlo needs an integer number of draws >= 2 (default "
            "5000; "
            "stable 95 % intervals need thousands)."
        )
    if uncertainty == "monte_carlo" and int(cast("int", n_draws)) > MAX_DRAWS:
        raise ConfigError(
            f"n_draws={n_draws!r} is more than {MAX_DRAWS:,} draws (8 MB per factor each "
            "million); 5000-100000 give stable 95 % intervals."
        )
    if seed is not None and (
        isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise ConfigError(
            f"seed={seed!r} must be a whole number >= 0 (the Monte Carlo draws repeat for the "
            "same seed) or None for fresh draws each call."
        )
    if isinstance(area_uncertainty, Mapping):
        known = [c for c in OUTPUT_CATEGORIES if c != "total"]
        unknown = sorted(str(k) for k in area_uncertainty if k not in known)
        if unknown:
            raise ConfigError(
                f"area_uncertainty names unknown sink categories {unknown}; the keys are "
                f"{known} (a misspelt key would leave that category without an uncertainty)."
            )
    values = (
        area_uncertainty.values() if isinstance(area_uncertainty, Mapping) else [area_uncertainty]
    )
    for v in values:
        if not (
            isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, bool)
            and np.isfinite(float(v))
            and 0 <= float(v) <= 1
        ):
            raise ConfigError(
                f"area_uncertainty={area_uncertainty!r}: a relative 1-sigma must be a fraction "
                "in [0, 1] "
                "(0.2 for 20 %), per category in a mapping."
            )


def _boundary_frame(boundaries: pd.DataFrame) -> pd.DataFrame:
    import geopandas as gpd

    require_boundaries(boundaries, geo=isinstance(boundaries, gpd.GeoDataFrame))
    ids = boundaries["boundary_id"]
    return pd.DataFrame(
        {
            "boundary_id": ids.to_numpy(),
            "name": boundaries["name"].astype(str).to_numpy()
            if "name" in boundaries
            else ids.astype(str).to_numpy(),
            "level": boundaries["level"].astype(str).to_numpy()
            if "level" in boundaries
            else np.full(len(ids), ""),
        }
    )


def _per_boundary(value: object, ids: Sequence[Hashable], what: str) -> dict[Hashable, Any]:
    """Expand a value or ``{boundary_id: value, "*": default}`` to one value per boundary.

    The values are the caller's (a table, a zone name, None), checked where they are used.
    """
    if isinstance(value, Mapping):  # (a DataFrame is not a Mapping: one table for all)
        default = value.get("*")
        unknown = set(value) - set(ids) - {"*"}
        if unknown:
            raise ConfigError(
                f"{what} names boundary id(s) {sorted(map(str, unknown))} not in boundaries; "
                "use '*' for the default."
            )
        out: dict[Hashable, Any] = {}
        for b in ids:
            v = value.get(b, default)
            out[b] = v
        return out
    return dict.fromkeys(ids, value)


def _raster_boundary(da: xr.DataArray) -> gpd.GeoDataFrame:
    """Return the raster's extent as one boundary ``"raster"`` (the implicit boundary)."""
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame(
        {"boundary_id": ["raster"], "name": ["whole raster"], "level": ["raster"]},
        geometry=[shapely.box(*da.rio.bounds())],
        crs=da.rio.crs,
    )


def _product_version(da: xr.DataArray) -> str | None:
    """Product version from ``attrs["version"]`` or a ``_v200_``-style part of the source name."""
    import re

    if da.attrs.get("version"):
        return str(da.attrs["version"])
    m = re.search(r"_(v\d{3})_", str(da.encoding.get("source", "")))
    return m.group(1) if m else None


def _boundary_area_m2(boundaries: gpd.GeoDataFrame, raster: xr.DataArray) -> _Floats:
    """Area [m2] of each boundary as the raster's pixels measure it.

    :func:`urbansat.spatial.areas.polygon_areas` in the raster's CRS: edges straight in
    lon/lat on a geographic grid (as the coverage rasterises them), rings oriented first.
    pyproj's geodesic edges gave 10 % more than the pixels for a 60 x 10 degree box, and its
    signed sum added a hole wound like its shell instead of subtracting it; either showed up
    as unobserved area.
    """
    from pyproj import CRS

    from urbansat.spatial.areas import polygon_areas

    crs = CRS.from_user_input(raster.rio.crs)
    return polygon_areas(boundaries.to_crs(crs).geometry.to_numpy(), crs)


def _check_project_numbers(projects: pd.DataFrame) -> None:
    """Refuse project removals that are not finite numbers, or ranges that are not ranges.

    ``removal`` (t C ha-1 yr-1) NaN made the category's and the total's net sink NaN with
    status ok, True was read as 1, inf was accepted; a ``removal_low`` above
    ``removal_high`` gave the sigma of the correct range, and only one of the two a NaN
    sigma without a word.

    Raises
    ------
    ConfigError
        Naming the project row, the column and the value.
    """
    fix = "t C ha-1 yr-1 as a finite number"
    try:
        removal = numeric_column(projects, "removal", "projects", fix)
        lo, hi = (
            numeric_column(projects, c, "projects", fix)
            if c in projects.columns
            else np.full(len(projects), np.nan)
            for c in ("removal_low", "removal_high")
        )
    except SchemaError as err:
        raise ConfigError(str(err)) from None
    for values, name in ((removal, "removal"), (lo, "removal_low"), (hi, "removal_high")):
        given = ~np.isnan(values) if name != "removal" else np.ones(len(values), bool)
        bad = given & ~np.isfinite(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ConfigError(
                f"projects row {row} has {name} = {float(values[row])!r}; give {fix}"
                + (" (every project needs its removal)." if name == "removal" else ".")
            )
    one = np.isnan(lo) != np.isnan(hi)
    if one.any():
        row = int(np.flatnonzero(one)[0])
        raise ConfigError(
            f"projects row {row} gives only one of removal_low / removal_high "
            f"({float(lo[row])!r}, {float(hi[row])!r}); give both (the 95 % range) or neither "
            "(no range)."
        )
    flipped = ~np.isnan(lo) & ((lo > removal) | (removal > hi))
    if flipped.any():
        row = int(np.flatnonzero(flipped)[0])
        raise ConfigError(
            f"projects row {row} has removal_low {lo[row]:g}, removal {removal[row]:g}, "
            f"removal_high {hi[row]:g}; the range must hold the value (low <= removal <= high)."
        )


def _project_fluxes(
    projects: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame, ids: Sequence[Hashable]
) -> tuple[_Floats, _Floats, _Floats, NDArray[np.bool_]]:
    """Area [ha] and removal [t CO2 yr-1] with 1-sigma per (boundary, project category)."""
    import pyproj
    import shapely

    need = {"category", "removal"}
    if not need <= set(projects.columns):
        raise ConfigError(
            f"projects= needs columns {sorted(need)} (+ optional removal_low, removal_high in t "
            "C ha-1 yr-1); "
            f"got {list(projects.columns)}."
        )
    bad = sorted(set(projects["category"]) - set(PROJECT_SINK_CATEGORIES))
    if bad:
        raise ConfigError(
            f"projects category {bad} not allowed; use {PROJECT_SINK_CATEGORIES}. "
            "Land-cover categories come from the land-cover legend."
        )
    if projects.crs is None:
        raise BoundaryError("projects= GeoDataFrame has no CRS; set it with gdf.set_crs(epsg).")
    _check_project_numbers(projects)
    geod = pyproj.Geod(ellps="WGS84")
    p = projects.to_crs(4326)
    b = boundaries.to_crs(4326)
    shape = (len(ids), len(PROJECT_SINK_CATEGORIES))
    area = np.zeros(shape)
    flux = np.zeros(shape)
    var = np.zeros(shape)
    undefined = np.zeros(shape, bool)
    for i, bg in enumerate(b.geometry):
        for _, row in p.iterrows():
            inter = shapely.intersection(bg, row.geometry)
            if inter.is_empty:
                continue
            a_ha = abs(geod.geometry_area_perimeter(inter)[0]) / 1e4
            if a_ha <= 0:
                continue
            j = PROJECT_SINK_CATEGORIES.index(row["category"])
            area[i, j] += a_ha
            flux[i, j] += a_ha * float(row["removal"]) * C_TO_CO2
            lo, hi = row.get("removal_low", np.nan), row.get("removal_high", np.nan)
            if pd.notna(lo) and pd.notna(hi):
                var[i, j] += (
                    a_ha * (float(hi) - float(lo)) / (2 * 1.959963984540054) * C_TO_CO2
                ) ** 2
            else:
                undefined[i, j] = True
    return area, flux, var, undefined


def _area_sigma(
    rows: pd.DataFrame,
    bi: NDArray[np.int64],
    cpos: Mapping[str, int],
    nb: int,
    area_uncertainty: _AreaSigma,
    from_accuracy: bool,
) -> dict[str, _Floats]:
    """1-sigma [ha] of ``area_start``, ``area_end``, ``area_change`` per (boundary, category).

    Each transition row ``r`` (``A_r`` ha from class ``s_r`` to ``e_r``) carries the relative
    1-sigma ``u_r`` of its category (``out_category``, as in the net sink), errors
    independent between rows and the same for both epochs of a row (one transition map)::

        sigma(area_start_c)^2  = sum_{r: cat(s_r) = c} (u_r A_r)^2
        sigma(area_end_c)^2    = sum_{r: cat(e_r) = c} (u_r A_r)^2
        sigma(area_change_c)^2 = sum_{r: exactly one of cat(s_r), cat(e_r) is c} (u_r A_r)^2

    Rows in ``c`` at both epochs cancel in the change, so ``total`` change has sigma 0.
    Two independently classified epoch maps would instead give
    ``sigma(change)^2 = sigma(start)^2 + sigma(end)^2`` (an upper bound of the above).
    Without ``area_uncertainty`` (0) or an accuracy sample every sigma is NaN (unknown,
    not 0); a row whose category a per-category mapping leaves out makes its outputs NaN.
    """
    nc = len(cpos)
    keys = ("area_start", "area_end", "area_change")
    given = from_accuracy or (
        bool(area_uncertainty)
        if isinstance(area_uncertainty, Mapping)
        else float(area_uncertainty or 0.0) > 0
    )
    if not given:
        return {k: np.full((nb, nc), np.nan) for k in keys}
    cat = rows["out_category"].to_numpy()
    if isinstance(area_uncertainty, Mapping):
        u = np.array([float(area_uncertainty.get(c, np.nan)) for c in cat])
    else:
        u = np.full(len(cat), float(area_uncertainty))
    w2 = (u * rows["area_ha"].to_numpy()) ** 2
    tot = cpos["total"]
    cs = np.array([cpos.get(c, -1) for c in rows["cat_start"]], dtype="int64")
    ce = np.array([cpos.get(c, -1) for c in rows["cat_end"]], dtype="int64")
    out = {k: np.zeros((nb, nc)) for k in keys}
    for k, idx in (("area_start", [cs]), ("area_end", [ce]), ("area_change", [cs, ce])):
        for ci in idx:
            on = (ci >= 0) & (ci != tot) & ((cs != ce) if k == "area_change" else True)
            np.add.at(out[k], (bi[on], ci[on]), w2[on])
        if k != "area_change":
            out[k][:, tot] = np.bincount(bi, weights=w2, minlength=nb)
    return {k: np.sqrt(v) for k, v in out.items()}


def account_transitions(  # noqa: PLR0913 - public API: the table, then keyword-only options
    table: pd.DataFrame,
    boundaries: pd.DataFrame,
    *,
    legend: LegendArg,
    factors: FactorsArg | _PerBoundary[FactorsArg] = "ipcc2019",
    method: Literal["gain_loss", "stock_difference"] = "gain_loss",
    years: float,
    climate_zone: str | _PerBoundary[str] | None = None,
    projects: gpd.GeoDataFrame | None = None,
    uncertainty: Literal["approach1", "monte_carlo"] = "approach1",
    n_draws: int = 5000,
    pools: Sequence[str] = POOLS,
    area_uncertainty: _AreaSigma = 0.0,
    seed: int | None = 0,
    boundary_area_m2: NDArray[np.float64] | None = None,
    unranged: Literal["nan", "exclude"] = "nan",
    valuation: Valuation | Mapping[str, Any] | None = None,
    accuracy: pd.DataFrame | None = None,
    versions: tuple[str | None, str | None] = (None, None),
) -> xr.Dataset:
    """Account sinks from a per-boundary transition table (the pure core of :func:`account_sinks`).

    Parameters
    ----------
    table : pandas.DataFrame
        ``boundary_id, class_start, class_end, area_m2`` (from the spatial core, or by hand).
    boundaries : pandas.DataFrame or geopandas.GeoDataFrame
        ``boundary_id`` (+ ``name``, ``level``; geometry needed only for ``projects``).
    legend : str, pandas.DataFrame or Mapping[int, str]
        Native code -> category legend.
    factors, method, years, climate_zone, projects, uncertainty, n_draws, pools,
    area_uncertainty, seed, unranged, valuation, accuracy
        As in :func:`account_sinks`.
    versions : tuple
        Product versions of the two epochs (e.g. ``("v100", "v200")``); different
        versions flag every change in ``transition_flag``.
    boundary_area_m2 : numpy.ndarray, optional
        Full geodesic area of each boundary; the part not covered by the table counts as
        unobserved (outside the raster).

    Returns
    -------
    xarray.Dataset
        See :func:`account_sinks`.
    """
    _check_numbers(years, uncertainty, n_draws, area_uncertainty, unranged, seed)
    lg = _legend_of(None, legend)
    bf = _boundary_frame(boundaries)
    ids = list(bf["boundary_id"])
    t = _checked_table(table, ids, lg)
    fs = _resolve_per_boundary(factors, climate_zone, ids, t, lg)
    if accuracy is not None:
        area_uncertainty = area_uncertainty_from_accuracy(accuracy, lg)
    terms = _terms(t, lg, fs, method=method, years=years, pools=pools)
    cats = list(OUTPUT_CATEGORIES)
    res = propagate(
        terms,
        ids,
        cats,
        uncertainty=uncertainty,
        area_uncertainty=area_uncertainty,
        n_draws=n_draws,
        seed=seed,
        unranged=unranged,
        stock_pools=pools,
    )
    lay = _Layout.of(terms.rows, ids, cats)
    q = _quantities(terms, res, lay, pools)
    area_sig = _area_sigma(
        terms.rows, lay.bi, lay.cpos, lay.nb, area_uncertainty, accuracy is not None
    )
    proj_note = "projects not supplied"
    if projects is not None:
        if not hasattr(boundaries, "geometry"):
            raise BoundaryError("projects= needs boundaries with geometry (a GeoDataFrame).")
        _add_projects(q, _project_fluxes(projects, boundaries, ids), lay.cpos)
        proj_note = f"{len(projects)} project polygons"
    else:
        for c in PROJECT_SINK_CATEGORIES:
            q.status[:, lay.cpos[c]] = "no_project_polygons"
    low, high = _interval(
        q.net, q.sigma, res, uncertainty=uncertainty, with_projects=projects is not None
    )
    codes_all, tm = _transition_matrix(t, lay.bpos, lay.nb)
    unobs = _unobserved_ha(terms, ids, tm, boundary_area_m2)
    tco2 = "t CO2 yr-1"
    dims = ("boundary", "category")
    ds = xr.Dataset(
        {
            "area_start": (
                dims,
                q.area_start,
                {"units": "ha", "long_name": "area at the start epoch"},
            ),
            "area_end": (dims, q.area_end, {"units": "ha", "long_name": "area at the end epoch"}),
            "area_change": (
                dims,
                q.area_end - q.area_start,
                {"units": "ha", "long_name": "change of ecological resources (area)"},
            ),
            "stock_start": (
                dims,
                q.stock_start,
                {
                    "units": "t C",
                    "long_name": "carbon stock at the start epoch",
                    "pools": ",".join(pools),
                },
            ),
            "stock_end": (
                dims,
                q.stock_end,
                {
                    "units": "t C",
                    "long_name": "carbon stock at the end epoch",
                    "pools": ",".join(pools),
                },
            ),
            "net_sink": (
                dims,
                q.net,
                {
                    "units": tco2,
                    "long_name": "annual net carbon sink",
                    "sign_convention": SIGN_CONVENTION,
                },
            ),
            "net_sink_low": (
                dims,
                low,
                {"units": tco2, "long_name": "net sink, lower bound of the 95 % interval"},
            ),
            "net_sink_high": (
                dims,
                high,
                {"units": tco2, "long_name": "net sink, upper bound of the 95 % interval"},
            ),
            "net_sink_uncertainty": (
                dims,
                q.sigma,
                {"units": tco2, "long_name": "net sink 1-sigma (equivalent)"},
            ),
            "gross_removals": (dims, q.rem, {"units": tco2, "long_name": "gross removals (>= 0)"}),
            "gross_emissions": (
                dims,
                q.emi,
                {"units": tco2, "long_name": "gross emissions (>= 0)"},
            ),
            "stock_change": (
                dims,
                q.stock_end - q.stock_start,
                {
                    "units": "t C",
                    "long_name": "carbon stock change (end - start)",
                    "pools": ",".join(pools),
                },
            ),
            "gross_removals_uncertainty": (
                dims,
                q.qsig["gross_removals"],
                {"units": "t CO2 yr-1", "long_name": "gross removals 1-sigma"},
            ),
            "gross_emissions_uncertainty": (
                dims,
                q.qsig["gross_emissions"],
                {"units": "t CO2 yr-1", "long_name": "gross emissions 1-sigma"},
            ),
            "stock_start_uncertainty": (
                dims,
                q.qsig["stock_start"],
                {"units": "t C", "long_name": "carbon stock at the start epoch 1-sigma"},
            ),
            "stock_end_uncertainty": (
                dims,
                q.qsig["stock_end"],
                {"units": "t C", "long_name": "carbon stock at the end epoch 1-sigma"},
            ),
            "stock_change_uncertainty": (
                dims,
                q.qsig["stock_change"],
                {"units": "t C", "long_name": "carbon stock change 1-sigma"},
            ),
            "area_start_uncertainty": (
                dims,
                area_sig["area_start"],
                {"units": "ha", "long_name": "area at the start epoch 1-sigma"},
            ),
            "area_end_uncertainty": (
                dims,
                area_sig["area_end"],
                {"units": "ha", "long_name": "area at the end epoch 1-sigma"},
            ),
            "area_change_uncertainty": (
                dims,
                area_sig["area_change"],
                {"units": "ha", "long_name": "change of ecological resources (area) 1-sigma"},
            ),
            "status": (
                dims,
                q.status.astype(str),
                {"long_name": "ok | no_area | no_project_polygons"},
            ),
            "transition_area": (
                ("boundary", "class_start", "class_end"),
                tm,
                {"units": "ha", "long_name": "area by start class and end class"},
            ),
            "stock_start_pool": (
                ("boundary", "category", "pool"),
                q.pool_start,
                {"units": "t C", "long_name": "carbon stock per pool at the start epoch"},
            ),
            "stock_end_pool": (
                ("boundary", "category", "pool"),
                q.pool_end,
                {"units": "t C", "long_name": "carbon stock per pool at the end epoch"},
            ),
            "transition_flag": (
                ("class_start", "class_end"),
                flag_transitions(
                    codes_all,
                    codes_all,
                    lg["category"].reindex(codes_all).fillna("unknown").to_numpy(),
                    lg["category"].reindex(codes_all).fillna("unknown").to_numpy(),
                    years=float(years),
                    version_start=versions[0],
                    version_end=versions[1],
                ),
                {
                    "long_name": "map transitions to check without a reference sample "
                    "(product_version_change | implausible_tree_gain | empty)"
                },
            ),
            "unobserved_area": (
                ("boundary",),
                unobs,
                {
                    "units": "ha",
                    "long_name": "area with nodata in either epoch or outside the raster",
                },
            ),
        },
        coords={
            "boundary": ("boundary", np.asarray(ids)),
            "name": ("boundary", bf["name"].to_numpy()),
            "level": ("boundary", bf["level"].to_numpy()),
            "category": ("category", np.array(cats)),
            "pool": ("pool", np.array(list(pools))),
            "class_start": ("class_start", codes_all),
            "class_end": ("class_end", codes_all),
            "category_start": (
                "class_start",
                lg["category"].reindex(codes_all).fillna("unknown").to_numpy().astype(str),
            ),
            "category_end": (
                "class_end",
                lg["category"].reindex(codes_all).fillna("unknown").to_numpy().astype(str),
            ),
        },
    )
    ds.attrs.update(
        {
            "method": method,
            "factors": ", ".join(fs.labels),
            "years": float(years),
            "climate_zone": ", ".join(fs.zones),
            "sign_convention": SIGN_CONVENTION,
            "uncertainty": uncertainty
            + (f" ({n_draws} draws, seed {seed})" if uncertainty == "monte_carlo" else ""),
            "area_uncertainty": json.dumps(
                area_uncertainty
                if isinstance(area_uncertainty, Mapping)
                else float(area_uncertainty)
            ),
            "pools": ",".join(pools),
            "legend": str(lg.attrs.get("legend", "user")),
            "projects": proj_note,
            "unranged_factors": json.dumps([f"{c}.{p}" for c, p in res.unranged]),
            "unranged_policy": unranged,
            "factors_used": _factors_used(fs.resolved),
            "epochs": "start/end",
            "category_attribution": (
                "row counts under its end category if a sink, else its start category; "
                "total = all rows"
            ),
        }
    )
    # t C ha-1 per class, for maps in the report
    ds.attrs["carbon_density_by_code"] = _density_by_code(fs.resolved, ids, pools)
    if accuracy is not None:
        ds.attrs["accuracy_table"] = accuracy.reset_index().to_json(orient="records")
        ds.attrs["area_uncertainty_source"] = (
            "error-adjusted areas from a reference sample (Olofsson et al. 2014 stratified "
            "estimator): "
            f"overall accuracy {accuracy.attrs.get('overall_accuracy', float('nan')):.4f}"
        )
    if valuation is not None:
        _add_valuation(ds, valuation, q.net, low, high, years=float(years))
    _flag_transitions(ds, tm, codes_all)
    _note_unranged(ds, res, unranged, fs.tables)
    return ds


def _checked_table(table: pd.DataFrame, ids: Sequence[Hashable], lg: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of the transition table with int64 class codes, checked against inputs.

    Raises
    ------
    BoundaryError
        A boundary id of the table is not in ``ids``.
    LegendError
        A class code is not in the legend.
    """
    if not isinstance(table, pd.DataFrame):
        raise SchemaError(
            f"The transition table is a {type(table).__name__}; give the DataFrame of "
            "urbansat.class_transition_areas (boundary_id, class_start, class_end, area_m2)."
        )
    missing = [c for c in ("boundary_id", "class_start", "class_end", "area_m2") if c not in table]
    if missing:
        raise SchemaError(
            f"The transition table lacks column(s) {missing} (it has {list(table.columns)}); "
            "build it with urbansat.class_transition_areas or give boundary_id, class_start, "
            "class_end and area_m2 [m2]."
        )
    t = table.copy()
    what, fix = "transition table", "a whole-number class code"
    for c in ("class_start", "class_end"):
        code = numeric_column(t, c, what, fix)
        odd = ~np.isfinite(code) | (code != np.round(code))
        if odd.any():  # 10.6 was class 10, a blank pandas' IntCastingNaNError
            row = int(np.flatnonzero(odd)[0])
            raise SchemaError(
                f"{what} column {c!r} holds {float(code[row])!r} in row {row}; give {fix}."
            )
        t[c] = code.astype("int64")
    area = numeric_column(t, "area_m2", what, "an area in m2 >= 0")
    bad = ~(np.isfinite(area) & (area >= 0))
    if bad.any():  # a NaN or negative row was dropped silently, inf gave an inf stock
        row = int(np.flatnonzero(bad)[0])
        raise SchemaError(
            f"{what} column 'area_m2' holds {float(area[row])!r} in row {row} "
            f"({int(bad.sum())} such row(s)); every transition has a finite area >= 0 m2 "
            "(leave rows out, not blank)."
        )
    t["area_m2"] = area
    extra = sorted(set(t["boundary_id"]) - set(ids), key=str)
    if extra:
        raise BoundaryError(
            f"Transition table has boundary id(s) {extra[:10]} that are not in boundaries."
        )
    check_codes(np.concatenate([t["class_start"], t["class_end"]]), lg)
    return t


@dataclass(frozen=True)
class _BoundaryFactors:
    """The factor tables of an account and the factors resolved for each boundary."""

    tables: dict[int, FactorTable]  # by id() of the user's factors argument
    resolved: dict[Hashable, ResolvedFactors]  # per boundary_id
    labels: list[str]  # table labels used, sorted
    zones: list[str]  # climate zones used, sorted


def _resolve_per_boundary(
    factors: FactorsArg | _PerBoundary[FactorsArg],
    climate_zone: str | _PerBoundary[str] | None,
    ids: Sequence[Hashable],
    t: pd.DataFrame,
    lg: pd.DataFrame,
) -> _BoundaryFactors:
    """Resolve the factors of every boundary (each table and each (table, zone) once).

    Raises
    ------
    FactorError
        A boundary without a factor table (no entry and no ``"*"`` default).
    """
    fac_b = _per_boundary(factors, ids, "factors=")
    zone_b = _per_boundary(climate_zone, ids, "climate_zone=")
    tables: dict[int, FactorTable] = {}
    resolved: dict[Hashable, ResolvedFactors] = {}
    cache: dict[tuple[int, str | None], ResolvedFactors] = {}
    codes = np.unique(
        np.concatenate([t["class_start"], t["class_end"], lg.index.to_numpy()])
    ).astype("int64")
    for b in ids:
        f = fac_b[b]
        if f is None:
            raise FactorError(
                f"No factor table for boundary {b!r}: add it or a '*' default to factors=."
            )
        key = id(f)
        if key not in tables:
            tables[key] = as_factor_table(f)
        rkey = (key, zone_b[b])
        if rkey not in cache:
            cache[rkey] = resolve_factors(tables[key], lg, codes, zone_b[b])
        resolved[b] = cache[rkey]
    zones = sorted({str(z) for z in zone_b.values()})
    labels = sorted({tables[id(fac_b[b])].label for b in ids})
    return _BoundaryFactors(tables, resolved, labels, zones)


def _terms(
    t: pd.DataFrame,
    lg: pd.DataFrame,
    fs: _BoundaryFactors,
    *,
    method: str,
    years: float,
    pools: Sequence[str],
) -> AccountingTerms:
    """:func:`build_terms`; a stocks-only table under gain-loss gets an error that says so."""
    try:
        return build_terms(t, lg, fs.resolved, method=method, years=years, pools=pools)
    except FactorError as exc:
        no_rates = [
            tab.label
            for tab in fs.tables.values()
            if not tab.data["parameter"].isin(("removal", "soil_accumulation")).any()
        ]
        if method == "gain_loss" and no_rates:
            raise FactorError(
                f"Factor table(s) {no_rates} give carbon stocks only (an InVEST carbon-pools "
                "table has "
                "c_above, c_below, c_soil, c_dead and no removal rates), so method='gain_loss' "
                "cannot use "
                "them: pass method='stock_difference' (InVEST's own method), or add 'removal' "
                "rows with "
                f"table.override(...). Details: {exc}"
            ) from exc
        raise


@dataclass(frozen=True)
class _Layout:
    """Output cells (boundary x category) and the boundary of each transition row."""

    rows: pd.DataFrame  # AccountingTerms.rows
    bpos: dict[Hashable, int]
    cpos: dict[str, int]
    bi: NDArray[np.int64]  # boundary index of each row
    nb: int
    nc: int

    @classmethod
    def of(cls, rows: pd.DataFrame, ids: Sequence[Hashable], cats: Sequence[str]) -> _Layout:
        """Lay out ``rows`` on the (``ids``, ``cats``) output cells."""
        bpos = {b: i for i, b in enumerate(ids)}
        cpos = {c: i for i, c in enumerate(cats)}
        bi = np.array([bpos[b] for b in rows["boundary_id"]], dtype="int64")
        return cls(rows, bpos, cpos, bi, len(ids), len(cats))

    def by_cat(self, col: str, weights: _Floats) -> _Floats:
        """Sum ``weights`` of the rows into (boundary, category of ``col``) and ``total``."""
        out = np.zeros((self.nb, self.nc))
        ci = np.array(
            [self.cpos.get(c, -1) if c is not None else -1 for c in self.rows[col]], dtype="int64"
        )
        ok = ci >= 0
        np.add.at(out, (self.bi[ok], ci[ok]), weights[ok])
        out[:, self.cpos["total"]] = np.bincount(self.bi, weights=weights, minlength=self.nb)
        return out


@dataclass
class _Quantities:
    """The (boundary, category) outputs of an account, before project polygons are added."""

    area_start: _Floats
    area_end: _Floats
    stock_start: _Floats
    stock_end: _Floats
    pool_start: _Floats  # (boundary, category, pool)
    pool_end: _Floats
    net: _Floats
    rem: _Floats
    emi: _Floats
    sigma: _Floats
    qsig: dict[str, _Floats]  # 1-sigma of the gross terms and the stocks
    status: NDArray[np.object_]


def _quantities(
    terms: AccountingTerms, res: FluxResult, lay: _Layout, pools: Sequence[str]
) -> _Quantities:
    """Areas, stocks (NaN where a pool is missing for observed area) and fluxes per cell."""
    A = lay.rows["area_ha"].to_numpy()
    area_start = lay.by_cat("cat_start", A)
    area_end = lay.by_cat("cat_end", A)
    stock_start, stock_end = _stocks(terms, lay, pools)
    qsig = {k: v.copy() for k, v in res.quantity_sigma.items()}
    for name in ("stock_start", "stock_end", "stock_change"):
        if name not in qsig:
            qsig[name] = np.zeros((lay.nb, lay.nc))
    qsig["stock_start"][~np.isfinite(stock_start)] = np.nan
    qsig["stock_end"][~np.isfinite(stock_end)] = np.nan
    qsig["stock_change"][~np.isfinite(stock_end - stock_start)] = np.nan
    pool_start, pool_end = (
        np.stack(
            [
                lay.by_cat(col, A * np.nan_to_num(f[:, PARAMETERS.index(p)]))
                if len(lay.rows)
                else np.zeros((lay.nb, lay.nc))
                for p in pools
            ],
            axis=-1,
        )
        for col, f in (("cat_start", terms.f_start), ("cat_end", terms.f_end))
    )
    status = np.full((lay.nb, lay.nc), "ok", dtype=object)
    has_area = (area_start > 0) | (area_end > 0)
    status[~has_area] = "no_area"
    return _Quantities(
        area_start=area_start,
        area_end=area_end,
        stock_start=stock_start,
        stock_end=stock_end,
        pool_start=pool_start,
        pool_end=pool_end,
        net=res.net.copy(),
        rem=res.gross_removals.copy(),
        emi=res.gross_emissions.copy(),
        sigma=res.sigma.copy(),
        qsig=qsig,
        status=status,
    )


def _stocks(terms: AccountingTerms, lay: _Layout, pools: Sequence[str]) -> tuple[_Floats, _Floats]:
    """Carbon stocks [t C] at both epochs with the pools used; NaN where a pool is missing."""
    rows = terms.rows
    A = rows["area_ha"].to_numpy()
    pidx = [PARAMETERS.index(p) for p in pools]
    cs = terms.f_start[:, pidx].sum(axis=1) if len(rows) else np.zeros(0)
    ce = terms.f_end[:, pidx].sum(axis=1) if len(rows) else np.zeros(0)
    stock_start = lay.by_cat("cat_start", A * np.nan_to_num(cs))
    stock_end = lay.by_cat("cat_end", A * np.nan_to_num(ce))
    for arr, col, vals in ((stock_start, "cat_start", cs), (stock_end, "cat_end", ce)):
        bad = ~np.isfinite(vals)
        if bad.any():
            for b, c in zip(lay.bi[bad], rows[col].to_numpy()[bad], strict=True):
                if c in lay.cpos:
                    arr[b, lay.cpos[c]] = np.nan
                arr[b, lay.cpos["total"]] = np.nan
    return stock_start, stock_end


def _add_projects(
    q: _Quantities,
    fluxes: tuple[_Floats, _Floats, _Floats, NDArray[np.bool_]],
    cpos: Mapping[str, int],
) -> None:
    """Add the project polygons' areas, fluxes and 1-sigma (:func:`_project_fluxes`) to ``q``."""
    pa, pf, pv, pu = fluxes
    for j, c in enumerate(PROJECT_SINK_CATEGORIES):
        k = cpos[c]
        q.area_start[:, k] += pa[:, j]
        q.area_end[:, k] += pa[:, j]
        q.net[:, k] += pf[:, j]
        q.rem[:, k] += np.clip(pf[:, j], 0, None)
        q.emi[:, k] += np.clip(-pf[:, j], 0, None)
        for name, on in (("gross_removals", pf[:, j] > 0), ("gross_emissions", pf[:, j] < 0)):
            q.qsig[name][:, k] = np.sqrt(q.qsig[name][:, k] ** 2 + np.where(on, pv[:, j], 0.0))
            q.qsig[name][pu[:, j] & on, k] = np.nan
        q.sigma[:, k] = np.sqrt(q.sigma[:, k] ** 2 + pv[:, j])
        q.sigma[pu[:, j], k] = np.nan
        q.status[:, k] = np.where(pa[:, j] > 0, "ok", "no_area")
    tot = cpos["total"]
    q.area_start[:, tot] += pa.sum(1)
    q.area_end[:, tot] += pa.sum(1)
    q.net[:, tot] += pf.sum(1)
    q.rem[:, tot] += np.clip(pf, 0, None).sum(1)
    q.emi[:, tot] += np.clip(-pf, 0, None).sum(1)
    for name, on_all in (("gross_removals", pf > 0), ("gross_emissions", pf < 0)):
        q.qsig[name][:, tot] = np.sqrt(q.qsig[name][:, tot] ** 2 + np.where(on_all, pv, 0.0).sum(1))
        q.qsig[name][(pu & on_all).any(1), tot] = np.nan
    q.sigma[:, tot] = np.sqrt(q.sigma[:, tot] ** 2 + pv.sum(1))
    q.sigma[pu.any(1), tot] = np.nan


def _interval(
    net: _Floats, sigma: _Floats, res: FluxResult, *, uncertainty: str, with_projects: bool
) -> tuple[_Floats, _Floats]:
    """95 % interval of the net sink: ``net +- 1.96 sigma``, or the Monte Carlo percentiles.

    With project polygons under Monte Carlo, the percentiles are kept where no project part
    was added (sigma unchanged).
    """
    if uncertainty == "approach1" or with_projects:
        low = net - 1.959963984540054 * sigma
        high = net + 1.959963984540054 * sigma
        if uncertainty == "monte_carlo":  # keep MC percentiles where no project part was added
            same = np.isclose(sigma, res.sigma, equal_nan=True)
            low = np.where(same, res.low, low)
            high = np.where(same, res.high, high)
    else:
        low, high = res.low, res.high
    return low, high


def _transition_matrix(
    t: pd.DataFrame, bpos: Mapping[Hashable, int], nb: int
) -> tuple[NDArray[np.int64], _Floats]:
    """Class codes and transition matrix [ha] per boundary, all rows including nodata."""
    codes_all = (
        np.unique(np.concatenate([t["class_start"], t["class_end"]])).astype("int64")
        if len(t)
        else np.array([], dtype="int64")
    )
    ix = {int(c): i for i, c in enumerate(codes_all)}
    tm = np.zeros((nb, len(codes_all), len(codes_all)))
    if len(t):
        np.add.at(
            tm,
            (
                np.array([bpos[b] for b in t["boundary_id"]]),
                np.array([ix[int(c)] for c in t["class_start"]]),
                np.array([ix[int(c)] for c in t["class_end"]]),
            ),
            t["area_m2"].to_numpy() / 1e4,
        )
    return codes_all, tm


def _unobserved_ha(
    terms: AccountingTerms,
    ids: Sequence[Hashable],
    tm: _Floats,
    boundary_area_m2: NDArray[np.float64] | None,
) -> _Floats:
    """Area [ha] per boundary with nodata in either epoch or (given its area) outside."""
    unobs = np.array([terms.unobserved.get(b, 0.0) for b in ids], dtype="float64")
    if boundary_area_m2 is not None:
        covered = tm.sum(axis=(1, 2))
        outside = np.asarray(boundary_area_m2, dtype="float64") / 1e4 - covered
        rel = outside / np.maximum(np.asarray(boundary_area_m2) / 1e4, 1e-300)
        unobs = unobs + np.where(rel > _OUTSIDE_SHARE, outside, 0.0)
    return unobs


def _json_default(x: object) -> str | None:
    """JSON for values json cannot write: NaN as null, anything else as its text."""
    return None if isinstance(x, float) and np.isnan(x) else str(x)


def _factors_used(resolved: Mapping[Hashable, ResolvedFactors]) -> str:
    """JSON list of the factor rows used by any boundary, each once."""
    prov = []
    for r in resolved.values():
        prov.extend(r.provenance)
    prov = [dict(p) for p in {json.dumps(p, sort_keys=True, default=str): p for p in prov}.values()]
    return json.dumps(prov, default=_json_default)


def _density_by_code(
    resolved: Mapping[Hashable, ResolvedFactors], ids: Sequence[Hashable], pools: Sequence[str]
) -> str:
    """JSON ``{boundary_id: {code: carbon density [t C ha-1] of the pools used}}``."""
    dens_json = {}
    for b in ids:
        r = resolved[b]
        cols = [PARAMETERS.index(p) for p in pools]
        tot_d = r.value[:, cols].sum(axis=1)
        dens_json[str(b)] = {
            str(int(c)): float(v) for c, v in zip(r.codes, tot_d, strict=True) if np.isfinite(v)
        }
    return json.dumps(dens_json)


def _add_valuation(
    ds: xr.Dataset,
    valuation: Valuation | Mapping[str, Any],
    net: _Floats,
    low: _Floats,
    high: _Floats,
    *,
    years: float,
) -> None:
    """Add ``npv``, ``npv_low`` and ``npv_high`` (InVEST valuation of the stock change)."""
    dims = ("boundary", "category")
    val = Valuation.from_mapping(valuation)
    npv_k = val.constant(float(years))
    change_tc = net * float(years) / C_TO_CO2
    ds["npv"] = (
        dims,
        change_tc * npv_k,
        {
            "units": val.currency,
            "long_name": "net present value of the carbon "
            "stock change (InVEST carbon model valuation)",
        },
    )
    ds["npv_low"] = (
        dims,
        low * float(years) / C_TO_CO2 * npv_k,
        {"units": val.currency, "long_name": "NPV, lower bound of the 95 % interval"},
    )
    ds["npv_high"] = (
        dims,
        high * float(years) / C_TO_CO2 * npv_k,
        {"units": val.currency, "long_name": "NPV, upper bound of the 95 % interval"},
    )
    ds.attrs["valuation"] = val.describe(float(years)) + "; dC = net_sink x years x 12/44 [t C]"
    ds.attrs["valuation_constant"] = npv_k


def _flag_transitions(ds: xr.Dataset, tm: _Floats, codes_all: NDArray[np.int64]) -> None:
    """List the flagged transitions with area in ``attrs["transition_flags"]`` (the first few)."""
    flagged = [
        (int(a), int(b), f)
        for (a, b), f in np.ndenumerate(ds["transition_flag"].to_numpy())
        if f and tm.sum(axis=0)[a, b] > 0
    ]
    if flagged:
        ds.attrs["transition_flags"] = "; ".join(
            f"{codes_all[a]}->{codes_all[b]}: {f}" for a, b, f in flagged[:_FLAGS_SHOWN]
        ) + (f" (+{len(flagged) - _FLAGS_SHOWN} more)" if len(flagged) > _FLAGS_SHOWN else "")


def _note_unranged(
    ds: xr.Dataset, res: FluxResult, unranged: str, tables: Mapping[int, FactorTable]
) -> None:
    """Say why intervals are NaN: a note when no table has ranges, else a warning.

    The warning is raised for the caller of :func:`account_transitions` (stacklevel 3).
    """
    all_user_unranged = (
        all(tab.data[["low", "high"]].isna().all().all() for tab in tables.values())
        if all("low" in tab.data and "high" in tab.data for tab in tables.values())
        else False
    )
    if res.unranged and unranged == "nan" and all_user_unranged:
        ds.attrs["unranged_note"] = (
            "the factor table(s) give no 95 % ranges at all, so every interval is NaN; "
            "supply low/high columns for intervals"
        )
    elif res.unranged and unranged == "nan":
        warnings.warn(
            f"Factors without a range in their table: {[f'{c}.{p}' for c, p in res.unranged]}; "
            "the 95 % "
            "interval of outputs that use them is NaN. Supply low/high with "
            "factors=table.override(...), "
            "or pass unranged='exclude' for an interval from the ranged factors only.",
            UrbansatWarning,
            stacklevel=3,
        )


def account_sinks(  # noqa: PLR0913 - public API: the epochs and boundaries, then keyword-only options
    landcover_start: xr.DataArray,
    landcover_end: xr.DataArray,
    boundaries: gpd.GeoDataFrame | None,
    *,
    factors: FactorsArg | _PerBoundary[FactorsArg] = "ipcc2019",
    method: Literal["gain_loss", "stock_difference"] = "gain_loss",
    years: float | None = None,
    climate_zone: str | _PerBoundary[str] | None = None,
    projects: gpd.GeoDataFrame | None = None,
    uncertainty: Literal["approach1", "monte_carlo"] = "approach1",
    n_draws: int = 5000,
    align_to: Literal["start", "end"] | xr.DataArray | None = None,
    legend: LegendArg | None = None,
    pools: Sequence[str] = POOLS,
    area_uncertainty: _AreaSigma = 0.0,
    seed: int | None = 0,
    unranged: Literal["nan", "exclude"] = "nan",
    valuation: Valuation | Mapping[str, Any] | None = None,
    accuracy: pd.DataFrame | None = None,
    coverage: Coverage | None = None,
) -> xr.Dataset:
    """Account ecological carbon sinks per boundary from two land-cover epochs.

    Parameters
    ----------
    landcover_start, landcover_end : xarray.DataArray
        Categorical land cover (y, x) from :func:`urbansat.open_landcover` (numpy or
        dask). They must share CRS, shape, geotransform and pixel registration.
    boundaries : geopandas.GeoDataFrame or None
        ``boundary_id``, ``name``, ``level``, ``geometry`` (from ``read_boundaries``).
        ``None``: the whole raster extent is one implicit boundary ``"raster"``.
    factors : str, FactorTable, pandas.DataFrame or Mapping
        ``"ipcc2019"`` (IPCC 2006/2019 Tier 1 + 2013 Wetlands Supplement, table v3: 12
        climate zones, see ``load_factor_table("ipcc2019").zones`` and docs/sinks.md; every
        land-cover sink category and pool that the sources give for a zone, each row with
        source, tag and range; ``"ipcc2019_v2"`` / ``"ipcc2019_v1"`` reproduce earlier results),
        ``"china_literature"``, a user table (long format or InVEST pools), or
        ``{boundary_id: table, "*": default}`` for per-boundary tables.
    method : {"gain_loss", "stock_difference"}
        See :mod:`urbansat.sinks.accounting` for both equations.
    years : float, optional
        Years between the epochs; default ``end.attrs["year"] - start.attrs["year"]``.
        Where both epochs carry a ``year``, a different ``years`` is refused.
    climate_zone : str or Mapping, optional
        Zone of zone-specific factor rows (e.g. ``"subtropical_humid_asia"``), or
        ``{boundary_id: zone, "*": default}``.
    projects : geopandas.GeoDataFrame, optional
        Project polygons for ``soil_water_conservation`` / ``other_projects``:
        columns ``category``, ``removal`` [t C ha-1 yr-1], optional ``removal_low``,
        ``removal_high``; added to the land-cover result (no overlap check).
    uncertainty : {"approach1", "monte_carlo"}
        IPCC Approach 1 propagation or Monte Carlo (``n_draws``, ``seed``).
    n_draws : int
        Monte Carlo draws.
    align_to : {"start", "end"} or xarray.DataArray, optional
        Resample epochs onto that grid by nearest neighbour; without it a grid
        mismatch raises :class:`AlignmentError`.
    legend : str, pandas.DataFrame or Mapping[int, str], optional
        Code -> category legend; default from the array's ``product``/``legend_name``.
    pools : sequence of str
        Stock pools used (default the four InVEST pools).
    area_uncertainty : float or Mapping[str, float]
        Relative 1-sigma of mapped areas (default 0: intervals from factors only).
    seed : int or None
        Monte Carlo seed.
    unranged : {"nan", "exclude"}
        A factor without a range in its table (listed in ``attrs["unranged_factors"]``)
        makes the interval of every output that uses it NaN (default), or is left out of
        the propagation (``"exclude"``: the interval covers the ranged factors only, a
        lower bound of the uncertainty; ``attrs["unranged_policy"]`` says so).
    valuation : Valuation or Mapping, optional
        ``{"price": V, "discount_rate": r, "rate_change": c}`` (price per t C, rates in %
        per year as in InVEST): adds ``npv``, ``npv_low``, ``npv_high`` with InVEST's
        formula (:mod:`urbansat.sinks.valuation`) applied to the stock change
        ``net_sink x years x 12/44``.
    accuracy : pandas.DataFrame, optional
        :func:`urbansat.error_adjusted_areas` table whose classes are land-cover codes:
        replaces ``area_uncertainty`` by each category's relative area SE.
    coverage : urbansat.Coverage, optional
        Coverage weights of ``boundaries`` on the land-cover grid
        (``urbansat.Coverage(boundaries, landcover_start)``), reused across calls (other
        epoch pairs, factor tables, methods); built once for both epochs when not given.

    Returns
    -------
    xarray.Dataset
        Dims ``boundary`` (coords ``name``, ``level``), ``category`` (11 T/CI 231
        categories + ``"total"``), ``class_start``/``class_end``. Variables
        ``area_start``, ``area_end``, ``area_change`` [ha]; ``stock_start``,
        ``stock_end`` [t C]; ``net_sink``, ``net_sink_low``, ``net_sink_high``,
        ``net_sink_uncertainty``, ``gross_removals``, ``gross_emissions``
        [t CO2 yr-1]; ``status``; ``transition_area`` [ha]; ``unobserved_area`` [ha];
        ``stock_start_pool``, ``stock_end_pool`` (boundary, category, pool) [t C];
        ``transition_flag`` (class_start, class_end); ``npv*`` with ``valuation``.
        ``net_sink = gross_removals - gross_emissions``; positive = removal.

    Raises
    ------
    AlignmentError
        Epochs on different grids (without ``align_to``).
    LegendError
        Class codes the legend does not map (listed, with the legend to fix).
    FactorError
        Factors missing for a class with area (listed, with the fix).
    BoundaryError
        Boundaries without CRS / ``boundary_id``, or not overlapping the raster.

    Examples
    --------
    >>> from urbansat.testing.landcover import make_landcover_pair, make_boundaries
    >>> s, e = make_landcover_pair(shape_yx=(40, 40))
    >>> ds = account_sinks(
    ...     s,
    ...     e,
    ...     make_boundaries(s, 2),
    ...     years=5,
    ...     climate_zone="subtropical_humid_asia",
    ...     legend="worldcover",
    ...     factors="china_literature",
    ...     unranged="exclude",  # two factors have no range: keep them out
    ... )
    >>> ds.net_sink.sel(category="total").round(2).values.tolist()  # t CO2 yr-1 per boundary
    [0.68, 4.87]
    """
    landcover_start, landcover_end, epoch_years = checked_epochs(
        landcover_start, landcover_end, align_to, years
    )
    years = epoch_years
    if boundaries is None and coverage is not None:
        raise BoundaryError(
            "account_sinks needs the boundaries also with coverage=: pass the GeoDataFrame "
            "the Coverage was built from (their names, levels and areas go into the account); "
            "boundaries=None accounts the whole raster, without a coverage."
        )
    if boundaries is None:
        boundaries = _raster_boundary(landcover_start)
    require_boundaries(boundaries)
    if isinstance(pools, str):
        pools = (pools,)
    lg = _epochs_legend(landcover_start, landcover_end, legend)
    lg = _with_nodata(lg, landcover_start, landcover_end)
    bf = _boundary_frame(boundaries)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyResultWarning)  # outside boundaries raise below
        try:
            table, engine = transition_areas(
                landcover_start,
                landcover_end,
                boundaries,
                nodata=landcover_start.attrs.get("nodata"),
                coverage=coverage,
            )
        except EmptySelectionError as exc:
            raise BoundaryError(f"Boundaries do not overlap the land-cover raster: {exc}") from exc
    back = {str(b): b for b in bf["boundary_id"]}
    if len(table):
        table = table.assign(boundary_id=[back.get(str(b), b) for b in table["boundary_id"]])
    _require_overlap(table, bf, landcover_start)
    ds = account_transitions(
        table,
        boundaries,
        legend=lg,
        factors=factors,
        method=method,
        years=years,
        climate_zone=climate_zone,
        projects=projects,
        uncertainty=uncertainty,
        n_draws=n_draws,
        pools=pools,
        area_uncertainty=area_uncertainty,
        seed=seed,
        boundary_area_m2=_boundary_area_m2(boundaries, landcover_start),
        unranged=unranged,
        valuation=valuation,
        accuracy=accuracy,
        versions=(_product_version(landcover_start), _product_version(landcover_end)),
    )
    y0, y1 = landcover_start.attrs.get("year"), landcover_end.attrs.get("year")
    ds.attrs["epochs"] = f"{y0 if y0 is not None else 'start'}/{y1 if y1 is not None else 'end'}"
    ds.attrs["transition_engine"] = engine
    return ds


def checked_epochs(
    landcover_start: object,
    landcover_end: object,
    align_to: Any,
    years: object,
    *,
    need_years: bool = True,
) -> tuple[xr.DataArray, xr.DataArray, Any]:
    """Check the epochs as :func:`account_sinks` does (shared with :func:`urbansat.carbon_maps`).

    Both epochs are single-band ``(y, x)`` DataArrays of integer class codes (a length-1
    ``band`` is dropped), on one grid (or aligned with ``align_to``) whose stored
    GeoTransform agrees with the coordinates, in date order by their ``year`` attributes;
    ``years`` is checked against those attributes, or derived from them when
    ``need_years`` (an interval is needed) and it is None.

    Returns
    -------
    tuple
        ``(start, end, years)``, ``years`` None only without ``need_years``.

    Raises
    ------
    SchemaError
        Not DataArrays (a path is named with the fix), several bands, non-integer codes.
    AlignmentError
        Other grids, a GeoTransform that disagrees with the coordinates.
    ConfigError
        Swapped or equal epochs, a ``years`` that is not a number of at least one year or
        contradicts the ``year`` attributes, or none to derive it from.
    """
    from urbansat.spatial.grid import GridSpec, as_raster_2d

    epochs: list[xr.DataArray] = []
    for label, given in (("landcover_start", landcover_start), ("landcover_end", landcover_end)):
        # typed object: callers without a type checker pass paths and other values
        if not isinstance(given, xr.DataArray):
            shown = f" {str(given)!r}" if isinstance(given, (str, os.PathLike)) else ""
            raise SchemaError(
                f"{label} must be a land-cover xarray.DataArray; got "
                f"{type(given).__name__}{shown}. "
                f"Open the file first: {label} = urbansat.open_landcover(path)."
            )
        da = as_raster_2d(given, name=label)
        if da.dtype.kind not in "uib":
            raise SchemaError(
                f"The {label} raster has dtype {da.dtype}; land-cover classes are integer "
                f"codes (10.7 would be read as class 10). Open it without masking "
                "(rioxarray.open_rasterio(path, masked=False)) or convert it, e.g. "
                f"{label}.fillna(0).astype('uint8') with 0 as nodata."
            )
        epochs.append(da)
    start, end = epochs
    if align_to is not None:
        start, end = align_epochs(start, end, align_to)
    else:
        check_aligned(start, end)
    GridSpec.from_dataarray(start, name="landcover_start")  # a stale GeoTransform is refused
    y_start, y_end = start.attrs.get("year"), end.attrs.get("year")
    if y_start is not None and y_end is not None and float(y_end) <= float(y_start):
        # years= sets the interval; it cannot turn a later epoch into the start
        raise ConfigError(
            f"The start land cover is of {y_start} and the end one of {y_end}: the epochs are "
            "swapped or the same. Pass the earlier epoch as landcover_start "
            f"(<{min(y_start, y_end)}>, <{max(y_start, y_end)}>); years= only sets the "
            "interval between them."
        )
    if years is not None:
        _check_years(years)
        if y_start is not None and y_end is not None:
            _check_years_match(years, float(y_end) - float(y_start), y_start, y_end)
    elif need_years:
        years = _epoch_years(start, end)
    return start, end, years


def _epoch_years(landcover_start: xr.DataArray, landcover_end: xr.DataArray) -> float:
    """Years between the epochs from their ``year`` attributes.

    Raises
    ------
    ConfigError
        Without ``year`` attributes, or when they do not increase.
    """
    y0, y1 = landcover_start.attrs.get("year"), landcover_end.attrs.get("year")
    if y0 is None or y1 is None:
        raise ConfigError("years= is required: the land-cover arrays carry no 'year' attribute.")
    years = float(y1) - float(y0)
    if years <= 0:
        raise ConfigError(f"Epoch years {y0} -> {y1} do not increase; pass the earlier first.")
    return years


def _check_years_match(years: object, between: float, y_start: object, y_end: object) -> None:
    """Refuse an explicit ``years=`` that contradicts the epochs' ``year`` attributes.

    ``years=5`` on maps of 2015 and 2021 used the wrong interval for every rate without a
    word: one of the two is a slip, and which one is the user's to say.

    Raises
    ------
    ConfigError
        ``years`` differs from ``between`` by more than one part in a million.
    """
    if isinstance(years, (str, bytes, bool, np.bool_)) or not np.isscalar(years):
        return  # _check_numbers refuses it with its own message
    given = float(cast("float", years))
    if not given >= MIN_EPOCH_YEARS:
        return  # likewise (NaN, zero, negative, under a year)
    if np.isfinite(given) and not np.isclose(given, between, rtol=1e-6, atol=0.0):
        raise ConfigError(
            f"years={years!r} contradicts the epochs' year attributes ({y_start} -> {y_end}, "
            f"{between:g} years). Drop years= to use {between:g}, or correct the "
            "landcover_start/landcover_end attrs['year'] if the maps are of other years."
        )


def _require_overlap(table: pd.DataFrame, bf: pd.DataFrame, landcover: xr.DataArray) -> None:
    """Raise BoundaryError naming the boundaries without a row in the transition table."""
    seen = set(table["boundary_id"]) if len(table) else set()
    outside = [b for b in bf["boundary_id"] if b not in seen]
    if outside:
        bounds = landcover.rio.bounds()
        raise BoundaryError(
            f"Boundary id(s) {outside[:10]} do not overlap the land-cover raster (bounds "
            f"{tuple(round(v, 6) for v in bounds)} "
            f"in {landcover.rio.crs}). Clip boundaries to the raster or use a raster that "
            "covers them."
        )
