r"""Per-boundary column concentration and enhancement (T/CI 231 "concentration").

For each boundary *b* and the QA-passed soundings *i* that overlap it with
overlap fraction :math:`w_i` (from :func:`urbansat.select_soundings`):

.. math::

    \bar X_b = \frac{\sum_i w_i X_i}{\sum_i w_i}, \qquad
    n_\mathrm{eff} = \frac{(\sum_i w_i)^2}{\sum_i w_i^2}, \qquad
    s_b^2 = \frac{\sum_i w_i (X_i - \bar X_b)^2}{\sum_i w_i}
            \frac{n_\mathrm{eff}}{n_\mathrm{eff} - 1}

    u(\bar X_b) = \max\left(\frac{s_b}{\sqrt{n_\mathrm{eff}}},\;
                   \frac{\sqrt{\sum_i w_i^2 \sigma_i^2}}{\sum_i w_i}\right)

i.e. the standard error of the weighted mean from the scatter (which holds
retrieval noise and real variability), never smaller than the propagated
retrieval precision :math:`\sigma_i` (the only term when one sounding).

The background :math:`B_b` of boundary *b* is the median of the :math:`n`
QA-passed soundings (centres) *outside* every boundary buffered by
``background_buffer_km`` and *within* ``background_radius_km`` of *b*
(buffers and distances geodesic, in an azimuthal equidistant projection
centred on each boundary), or a fixed value given by the user. Its uncertainty
*at the boundary* combines the standard error of the median and the spatial
structure of the background:

.. math::

    s = 1.4826\,\mathrm{MAD}, \quad
    u(B)^2 = \left(\frac{1.2533\, s}{\sqrt n}\right)^2
           + \max\left(s^2 - \overline{\sigma_i^2},\, 0\right)

(1.4826 = MAD-to-sigma for normal data, Rousseeuw & Croux 1993; 1.2533 =
:math:`\sqrt{\pi/2}`, the standard error of the median relative to the
mean's; the second term is the robust variance of the background soundings
minus their retrieval noise, i.e. real spatial variability). Enhancement
:math:`\Delta X_b = \bar X_b - B` with
:math:`u = \sqrt{u(\bar X_b)^2 + u(B)^2}`.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from urbansat.constants import MAD_TO_SIGMA
from urbansat.errors import EmptySelectionError, SchemaError
from urbansat.schema import GAS_UNITS, gas_of, gas_variable, to_soundings, validate_granule
from urbansat.schema.boundaries import require_boundaries
from urbansat.schema.swath import PLAUSIBLE_MOLE_FRACTION
from urbansat.spatial.local import buffer_local, to_local
from urbansat.spatial.swath import select_soundings

__all__ = ["boundary_concentrations", "concentrations_from_table", "sounding_table"]

#: sqrt(pi/2): standard error of the median / standard error of the mean for
#: normal data (Kenney & Keeping 1962, Mathematics of Statistics, §13.13).
_MEDIAN_SE_FACTOR = math.sqrt(math.pi / 2.0)


def _check_boundaries(boundaries: gpd.GeoDataFrame) -> None:
    require_boundaries(boundaries, columns=("boundary_id", "name", "level"))


_BACKGROUND_ID = ""
_TABLE_COLUMNS = (
    "boundary_id",
    "overlap_fraction",
    "value",
    "sigma",
    "time",
    "longitude",
    "latitude",
)


def _select(swath: xr.Dataset, boundaries: gpd.GeoDataFrame, min_overlap: float) -> pd.DataFrame:
    """Soundings per boundary: boundary_id, overlap_fraction, value, sigma, time."""
    gas = gas_of(swath)
    var = gas_variable(gas)
    try:
        sel = select_soundings(
            swath, boundaries, buffer_km=0, min_overlap=min_overlap, qa_only=True
        )
    except EmptySelectionError:
        return pd.DataFrame(columns=list(_TABLE_COLUMNS))
    frame = pd.DataFrame(
        {
            "boundary_id": np.asarray(sel["boundary_id"].values).astype(str),
            "overlap_fraction": np.asarray(sel["overlap_fraction"].values, dtype=float),
            "value": np.asarray(sel[var].values, dtype=float),
            "sigma": np.asarray(sel[f"{var}_uncertainty"].values, dtype=float),
            "time": np.asarray(sel["time"].values).astype("datetime64[ns]"),
            "longitude": np.asarray(sel["longitude"].values, dtype=float),
            "latitude": np.asarray(sel["latitude"].values, dtype=float),
        }
    )
    frame = frame[np.isfinite(frame["value"])]
    # select_soundings has checked min_overlap (text such as "0.5" is a number there)
    kept: pd.DataFrame = frame.loc[frame["overlap_fraction"] > float(min_overlap)]
    return kept


def _points(swath: xr.Dataset) -> gpd.GeoDataFrame:
    var = gas_variable(gas_of(swath))
    flat = to_soundings(swath, qa_only=True)
    return gpd.GeoDataFrame(
        {
            "value": np.asarray(flat[var].values, dtype=float),
            "sigma": np.asarray(flat[f"{var}_uncertainty"].values, dtype=float),
            "time": np.asarray(flat["time"].values).astype("datetime64[ns]"),
        },
        geometry=gpd.points_from_xy(flat["longitude"].values, flat["latitude"].values),
        crs=4326,
    )


def _weighted(group: pd.DataFrame) -> pd.Series:
    w = group["overlap_fraction"].to_numpy(float)
    x = group["value"].to_numpy(float)
    s = group["sigma"].to_numpy(float)
    sw = w.sum()
    mean = float((w * x).sum() / sw)
    u_ret = float(np.sqrt(np.nansum(w**2 * s**2)) / sw)
    n_eff = sw**2 / (w**2).sum()
    if n_eff > 1.0 + 1e-9:
        var = float((w * (x - mean) ** 2).sum() / sw) * n_eff / (n_eff - 1.0)
        u = max(math.sqrt(var / n_eff), u_ret)
    else:
        u = u_ret
    return pd.Series({"column_mean": mean, "column_mean_uncertainty": u, "n_obs": len(x)})


def _buffered_union(boundaries: gpd.GeoDataFrame, km: float) -> Any:
    """Union of the boundaries, each buffered by ``km`` in its own azimuthal projection."""
    parts = [buffer_local(g, km) for g in boundaries.to_crs(4326).geometry]
    return gpd.GeoSeries(parts, crs=4326).union_all()


def _background_rows(
    swath: xr.Dataset, boundaries: gpd.GeoDataFrame, buffer_km: float, radius_km: float
) -> pd.DataFrame:
    """Soundings outside every boundary + ``buffer_km`` but within ``radius_km`` of one."""
    pts = _points(swath)
    if len(pts) == 0:
        return pd.DataFrame(columns=list(_TABLE_COLUMNS))
    near = pts.within(_buffered_union(boundaries, radius_km)).to_numpy()
    excluded = pts.within(_buffered_union(boundaries, buffer_km)).to_numpy()
    out = pts[near & ~excluded]
    return pd.DataFrame(
        {
            "boundary_id": _BACKGROUND_ID,
            "overlap_fraction": 1.0,
            "value": out["value"].to_numpy(),
            "sigma": out["sigma"].to_numpy(),
            "time": out["time"].to_numpy(),
            "longitude": out.geometry.x.to_numpy(),
            "latitude": out.geometry.y.to_numpy(),
        }
    )


def _within_radius(table: pd.DataFrame, geom: Any, radius_km: float) -> np.ndarray:
    """Mask of table rows (lon/lat) within ``radius_km`` of a boundary (geodesic, its AEQD)."""
    import shapely

    if table.empty:
        return np.zeros(0, bool)
    g, crs = to_local(geom)
    pts = gpd.GeoSeries(gpd.points_from_xy(table["longitude"], table["latitude"]), crs=4326).to_crs(
        crs
    )
    return np.asarray(shapely.distance(g, pts.to_numpy()) <= radius_km * 1000.0)


def _background(values: np.ndarray, sigmas: np.ndarray) -> tuple[float, float]:
    """Median and its uncertainty at a boundary (module docstring); NaN precisions are ignored."""
    if values.size == 0:
        return math.nan, math.nan
    med = float(np.median(values))
    spread = MAD_TO_SIGMA * float(np.median(np.abs(values - med)))
    sig = np.asarray(sigmas, float)
    sig = sig[np.isfinite(sig)]
    noise2 = (
        float(np.mean(sig**2)) if sig.size else 0.0
    )  # no precision given: all spread is structure
    se = _MEDIAN_SE_FACTOR * spread / math.sqrt(values.size)
    if (values.size == 1 or se == 0.0) and sig.size:
        se = float(np.mean(sig)) / math.sqrt(values.size)
    # spatial structure: robust variance of the background soundings minus their noise variance
    structure2 = max(spread**2 - noise2, 0.0)
    return med, math.sqrt(se**2 + structure2)


def _fixed_background(background: Any, gas: str, units: str) -> tuple[float, float]:
    """Return a user's fixed background as (value, 1-sigma) in ``units``, else raise.

    A number or a (value, sigma) pair; True/False, text, a negative or non-finite sigma, and
    a value outside :data:`urbansat.schema.swath.PLAUSIBLE_MOLE_FRACTION` (e.g. ppb given
    for XCO2 in ppm) are refused.
    """
    parts = [background] if np.ndim(background) == 0 else list(background)
    fix = f"pass a number in {units} or a (value, 1-sigma) pair, e.g. background=(410.2, 0.5)"
    if len(parts) not in (1, 2) or any(
        isinstance(v, (bool, np.bool_, str, bytes)) or not isinstance(v, (int, float, np.number))
        for v in parts
    ):
        raise SchemaError(f"background={background!r} is not a background; {fix}.")
    bg, u_bg = float(parts[0]), float(parts[1]) if len(parts) == 2 else 0.0  # noqa: PLR2004
    if not np.isfinite(bg):
        raise SchemaError(f"background={background!r} is not finite; {fix}.")
    if not (np.isfinite(u_bg) and u_bg >= 0):
        raise SchemaError(f"background={background!r} has a sigma that is not >= 0; {fix}.")
    lo, hi, unit = PLAUSIBLE_MOLE_FRACTION[gas_variable(gas)]
    if not lo <= bg <= hi:
        raise SchemaError(
            f"background={bg:g} {units} is outside the plausible {lo:g}-{hi:g} {unit} of "
            f"{gas_variable(gas)}: a value in another unit? {fix[0].upper()}{fix[1:]}."
        )
    return bg, u_bg


def _check_distances(buffer_km: Any, radius_km: Any) -> None:
    """Refuse background distances that are not numbers, negative, or a ring with no width."""
    for name, v in (("background_buffer_km", buffer_km), ("background_radius_km", radius_km)):
        if (
            isinstance(v, (bool, np.bool_))
            or not isinstance(v, (int, float, np.number))
            or not (np.isfinite(v) and v >= 0)
        ):
            raise SchemaError(f"{name}={v!r} must be a distance >= 0 in km, e.g. {name}=10.")
    if radius_km <= buffer_km:  # no sounding can be both farther than buffer and nearer than it
        raise SchemaError(
            f"background_radius_km={radius_km!r} must exceed background_buffer_km="
            f"{buffer_km!r}: the background soundings lie between the two distances of the "
            "boundary, so no sounding could be background."
        )


def sounding_table(
    swath: xr.Dataset,
    boundaries: gpd.GeoDataFrame,
    *,
    background_buffer_km: float = 10.0,
    background_radius_km: float = 100.0,
    min_overlap: float = 0.0,
) -> pd.DataFrame:
    """Reduce a swath to the soundings the concentration indicators need.

    This is the per-granule step of :func:`boundary_concentrations`: its
    result is small, can be cached, concatenated over granules and split by
    time before :func:`concentrations_from_table`.

    Parameters
    ----------
    swath : xarray.Dataset
        Normalized single-gas swath.
    boundaries : geopandas.GeoDataFrame
        ``boundary_id``, ``name``, ``level``, ``geometry``.
    background_buffer_km : float, default 10
        Soundings farther than this from every boundary are background.
    background_radius_km : float, default 100
        ... and nearer than this to at least one boundary (a regional background).
    min_overlap : float, default 0
        Minimum footprint overlap fraction.

    Returns
    -------
    pandas.DataFrame
        ``boundary_id`` ("" = background sounding), ``overlap_fraction`` [1],
        ``value``, ``sigma`` [ppm|ppb], ``time``, ``longitude``, ``latitude``
        (sounding centre); ``attrs`` gas, product, source_files.
    """
    gas = gas_of(validate_granule(swath))  # units too: a swath in mol mol-1 read as ppm
    _check_boundaries(boundaries)
    _check_distances(background_buffer_km, background_radius_km)
    parts = [
        _select(swath, boundaries, min_overlap),
        _background_rows(swath, boundaries, background_buffer_km, background_radius_km),
    ]
    table = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else parts[0]
    )
    table = table.astype(
        {"boundary_id": str, "overlap_fraction": float, "value": float, "sigma": float}
    )
    table["time"] = pd.to_datetime(table["time"])
    table.attrs = {
        "gas": gas,
        "product": str(swath.attrs.get("product", "")),
        "source_files": str(swath.attrs.get("source_files", "")),
        "background_buffer_km": float(background_buffer_km),
        "background_radius_km": float(background_radius_km),
    }
    return table


def concentrations_from_table(
    table: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    gas: str,
    background: float | tuple[float, float] | None = None,
    background_buffer_km: float = 10.0,
    background_radius_km: float = 100.0,
    product: str = "",
    source_files: str = "",
) -> xr.Dataset:
    """Per-boundary concentrations from a :func:`sounding_table`.

    See :func:`boundary_concentrations`.
    """
    units = GAS_UNITS[gas]
    ids = boundaries["boundary_id"].astype(str).to_numpy()
    inside = table[table["boundary_id"] != _BACKGROUND_ID]
    if len(inside):
        stats = inside.groupby("boundary_id", sort=False)[
            ["overlap_fraction", "value", "sigma"]
        ].apply(_weighted)
    else:
        stats = pd.DataFrame(
            columns=["column_mean", "column_mean_uncertainty", "n_obs"], dtype=float
        )
    stats = stats.reindex(ids)
    n = len(ids)
    if background is None:
        bg_rows = table[table["boundary_id"] == _BACKGROUND_ID]
        geoms = boundaries.to_crs(4326).geometry.to_numpy()
        full, u_full, n_bg = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, int)
        for i, geom in enumerate(geoms):
            sub = bg_rows[_within_radius(bg_rows, geom, background_radius_km)]
            full[i], u_full[i] = _background(
                sub["value"].to_numpy(float), sub["sigma"].to_numpy(float)
            )
            n_bg[i] = len(sub)
        bg_method = (
            "median of the QA-passed soundings "
            f"{background_buffer_km:g}-{background_radius_km:g} km from the boundary and outside "
            "every boundary + buffer; u = SE of the median (+) spatial structure"
        )
    else:
        bg, u_bg = _fixed_background(background, gas, units)
        full, u_full, n_bg = np.full(n, bg), np.full(n, u_bg), np.zeros(n, int)
        bg_method = "fixed value given by the user"
    mean = stats["column_mean"].to_numpy(float)
    u_mean = stats["column_mean_uncertainty"].to_numpy(float)
    n_obs = stats["n_obs"].astype(float).fillna(0).to_numpy(int)
    coords = {
        "boundary": ("boundary", ids),
        "name": ("boundary", boundaries["name"].astype(str).to_numpy()),
        "level": ("boundary", boundaries["level"].astype(str).to_numpy()),
    }

    def _var(data: Any, long_name: str, u: str = units) -> tuple[str, Any, dict[str, str]]:
        return ("boundary", np.asarray(data), {"long_name": long_name, "units": u})

    return xr.Dataset(
        {
            "column_mean": _var(mean, f"overlap-weighted mean X{gas.upper()} over the boundary"),
            "column_mean_uncertainty": _var(u_mean, "1-sigma standard error of column_mean"),
            "background": _var(full, f"background X{gas.upper()}"),
            "background_uncertainty": _var(u_full, "1-sigma uncertainty of background"),
            "enhancement": _var(mean - full, "column_mean - background"),
            "enhancement_uncertainty": _var(
                np.hypot(u_mean, u_full), "1-sigma uncertainty of enhancement"
            ),
            "n_obs": _var(n_obs, "QA-passed soundings overlapping the boundary", "1"),
            "n_background": _var(n_bg, "soundings used for the background", "1"),
        },
        coords=coords,
        attrs={
            "gas": gas,
            "units": units,
            "product": product,
            "source_files": source_files,
            "background_method": bg_method,
            "method": "overlap-weighted mean of QA-passed soundings",
        },
    )


def boundary_concentrations(
    swath: xr.Dataset,
    boundaries: gpd.GeoDataFrame,
    *,
    background: float | tuple[float, float] | None = None,
    background_buffer_km: float = 10.0,
    background_radius_km: float = 100.0,
    min_overlap: float = 0.0,
) -> xr.Dataset:
    """Mean column, background and enhancement of a gas over each boundary.

    Equations in the module docstring. The selection of soundings is
    computed (a documented small-result reduction point); the input is not
    modified.

    Parameters
    ----------
    swath : xarray.Dataset
        Normalized swath (see :mod:`urbansat.schema`), one gas, numpy or dask.
    boundaries : geopandas.GeoDataFrame
        Columns ``boundary_id``, ``name``, ``level``, ``geometry``; any CRS.
    background : float or (float, float), optional
        Fixed background (value, 1-sigma) in the gas units. Default: median of
        the QA-passed soundings outside all boundaries buffered by
        ``background_buffer_km``.
    background_buffer_km : float, default 10
        Exclusion buffer around the boundaries for the background soundings.
    background_radius_km : float, default 100
        The background of a boundary uses the soundings within this distance of
        it (a regional background; one per boundary).
    min_overlap : float, default 0
        Minimum overlap fraction of a footprint with a boundary.

    Returns
    -------
    xarray.Dataset
        Dim ``boundary`` (boundary_id; coords ``name``, ``level``); variables
        ``column_mean``, ``background``, ``enhancement`` (each with
        ``_uncertainty``, 1-sigma) in ppm (CO2) or ppb (CH4), ``n_obs``
        (soundings in the boundary) and ``n_background``. Boundaries without
        soundings hold NaN with ``n_obs = 0``. Attrs ``gas``, ``units``,
        ``product``, ``source_files``, ``background_method``.

    Raises
    ------
    BoundaryError
        Boundaries without the needed columns, CRS, or with duplicate ids.
    SchemaError
        The swath is not a normalized single-gas swath.
    EmptySelectionError
        No sounding passes QA at all.
    """
    gas = gas_of(validate_granule(swath))  # units too: a swath in mol mol-1 read as ppm
    _check_boundaries(boundaries)
    if not np.asarray(swath["qa_pass"].any().values):
        raise EmptySelectionError(
            f"no sounding passes QA in {swath.attrs.get('source_files', '<memory>')}: "
            "nothing to average. Check the granule/time selection or open it with qa='none'."
        )
    table = sounding_table(
        swath,
        boundaries,
        background_buffer_km=background_buffer_km,
        background_radius_km=background_radius_km,
        min_overlap=min_overlap,
    )
    return concentrations_from_table(
        table,
        boundaries,
        gas=gas,
        background=background,
        background_buffer_km=background_buffer_km,
        background_radius_km=background_radius_km,
        product=table.attrs["product"],
        source_files=table.attrs["source_files"],
    )
