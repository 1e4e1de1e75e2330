"""Error-adjusted areas from a stratified reference sample (Olofsson et al. 2014).

Olofsson, P., Foody, G. M., Herold, M., Stehman, S. V., Woodcock, C. E., Wulder, M. A.
(2014): Good practices for estimating area and assessing accuracy of land change. Remote
Sensing of Environment 148: 42-57, doi:10.1016/j.rse.2014.02.015. With the map classes as
strata ``i`` (mapped area ``A_i``, weight ``W_i = A_i / A``), ``n_ij`` reference sample
points of reference class ``j`` in stratum ``i`` and ``n_i. = sum_j n_ij``:

* ``p_ij = W_i n_ij / n_i.`` (eq. 4), area ``A_j = A sum_i p_ij`` (eq. 9);
* ``SE(p_.j) = sqrt(sum_i (W_i p_ij - p_ij^2) / (n_i. - 1))`` (eq. 10), ``SE(A_j) = A SE(p_.j)``;
* user's accuracy ``U_i = n_ii / n_i.``, ``V(U_i) = U_i (1 - U_i) / (n_i. - 1)`` (eq. 6);
* producer's accuracy ``P_j = p_jj / p_.j`` with the variance of eq. 7;
* overall accuracy ``O = sum_j p_jj``, ``V(O) = sum_i W_i^2 U_i (1 - U_i) / (n_i. - 1)`` (eq. 5).

Intervals are ``estimate +- z SE`` with ``z`` the standard-normal quantile of the
confidence (1.96 for 95 %; the paper uses 1.96).

A change map is handled the same way: its strata are transitions (labels such as
``"10->50"``, from :func:`transition_map_areas`).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy.stats import norm

from urbansat.errors import ConfigError, EmptySelectionError, LegendError, SchemaError

__all__ = [
    "area_uncertainty_from_accuracy",
    "error_adjusted_areas",
    "flag_transitions",
    "sample_counts_from_points",
    "sample_map_classes",
    "transition_map_areas",
]

_TOTAL_NAMES = ("total", "Total")
#: fewest sample points per mapped stratum: the variance divides by n_i. - 1 (eq. 10)
MIN_STRATUM_SAMPLES = 2


def _z(confidence: float) -> float:
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, (int, float))
        or not 0 < confidence < 1
    ):
        raise ConfigError(f"confidence={confidence!r} must be a fraction in (0, 1), e.g. 0.95.")
    return float(norm.ppf(0.5 + confidence / 2.0))


def _counts_frame(sample_counts: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(sample_counts, pd.DataFrame):
        raise SchemaError(
            "sample_counts must be a pandas.DataFrame (rows = map class, columns = reference "
            f"class); got {type(sample_counts).__name__}. Build one from points with "
            "sample_counts_from_points."
        )
    counts = sample_counts.copy()
    totals = [c for c in counts.columns if c in _TOTAL_NAMES]
    for t in totals:  # a printed error matrix with a total column: its rows must sum
        rest = counts.drop(columns=totals).sum(axis=1)
        bad = ~np.isclose(rest.to_numpy(float), counts[t].to_numpy(float))
        if bad.any():
            rows = [
                f"{i}: cells sum to {rest[i]:g}, {t!r} says {counts.loc[i, t]:g}"
                for i in counts.index[bad]
            ]
            raise SchemaError(
                f"sample_counts rows do not sum to their {t!r} column ({'; '.join(rows)}); "
                "fix the matrix."
            )
    counts = counts.drop(columns=totals)
    counts = counts.drop(index=[i for i in counts.index if i in _TOTAL_NAMES])
    for axis, labels in (
        ("row (map class)", counts.index),
        ("column (reference class)", counts.columns),
    ):
        repeated = sorted({str(c) for c in labels[labels.duplicated()]})
        if repeated:  # reindexing would fail deep in pandas; summing them would be a guess
            raise SchemaError(
                f"sample_counts has the {axis} label(s) {repeated} more than once; give each "
                "class one row and one column (add the counts of the repeated ones)."
            )
    flags = [str(c) for c in counts.columns if pd.api.types.is_bool_dtype(counts[c])]
    if flags:  # True/False is not a number of sample points
        raise SchemaError(
            f"sample_counts column(s) {flags} hold True/False, not numbers of sample points; "
            "give the counts n_ij as whole numbers."
        )
    text = [str(c) for c in counts.columns if not pd.api.types.is_numeric_dtype(counts[c])]
    if text:  # e.g. a matrix read from a file with a header row inside the data
        raise SchemaError(
            f"sample_counts column(s) {text} are not numeric (dtype "
            f"{[str(counts[c].dtype) for c in counts.columns if str(c) in text]}); give the "
            "counts n_ij as numbers (pandas.to_numeric, or read the file with index_col=0)."
        )
    values = counts.to_numpy(dtype="float64")
    ok = np.isfinite(values) & (values >= 0) & np.isclose(values, np.round(values))
    if not ok.all():
        raise SchemaError(
            "sample_counts must hold non-negative whole numbers of sample points; got "
            f"{values[~ok][:5].tolist()}."
        )
    return counts


def _areas_series(map_areas: Mapping[Any, float] | pd.Series) -> pd.Series:
    """``map_areas`` as a float Series, refusing repeated classes and non-numbers."""
    if not isinstance(map_areas, (Mapping, pd.Series)):
        raise SchemaError(
            f"map_areas must map each class to its mapped area (a dict or pandas.Series); got "
            f"{type(map_areas).__name__}. E.g. {{'forest': 1200.5, 'cropland': 800.0}}."
        )
    raw = map_areas if isinstance(map_areas, pd.Series) else pd.Series(dict(map_areas))
    repeated = sorted({str(c) for c in raw.index[raw.index.duplicated()]})
    if repeated:  # a repeated stratum would be counted twice in A = sum A_i
        raise SchemaError(
            f"map_areas has the class(es) {repeated} more than once; give each mapped class "
            "one area."
        )
    bad = {
        k: v
        for k, v in raw.items()
        if isinstance(v, (bool, np.bool_, str, bytes)) or not isinstance(v, (int, float, np.number))
    }
    if bad:  # True would be read as an area of 1, "100" is a typo or an unparsed table
        raise SchemaError(
            f"map_areas must be numbers (any area unit); got {bad}. Give the mapped area of "
            "each class as a number, e.g. {'forest': 1200.5}."
        )
    return raw.astype("float64")


def error_adjusted_areas(
    sample_counts: pd.DataFrame,
    map_areas: Mapping[Any, float] | pd.Series,
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Olofsson et al. (2014) stratified estimator of class areas and accuracies.

    Parameters
    ----------
    sample_counts : pandas.DataFrame
        Sample counts ``n_ij``: rows = map class (the strata), columns = reference class.
        A ``total`` column, if present, must equal the row sums.
    map_areas : Mapping or pandas.Series
        Mapped area ``A_i`` of every stratum (any unit: ha, pixels); every row and column
        class of ``sample_counts`` must be in it.
    confidence : float
        Confidence level of the intervals (default 0.95, ``z = 1.96``).

    Returns
    -------
    pandas.DataFrame
        One row per class (index ``class``): ``map_area``, ``area``, ``area_se``,
        ``area_low``, ``area_high`` (units of ``map_areas``), ``users_accuracy``,
        ``users_accuracy_se``, ``producers_accuracy``, ``producers_accuracy_se``,
        ``n_samples``. ``attrs``: ``overall_accuracy``, ``overall_accuracy_se``,
        ``confidence``, ``z``, ``method``.

    Raises
    ------
    SchemaError
        Counts that are not a matrix of whole non-negative numbers (text and True/False
        included), a class repeated among the rows, the columns or ``map_areas``, rows not
        summing to a ``total`` column, ``map_areas`` that are not numbers or sum to 0, or a
        stratum with fewer than 2 sample points (its variance is undefined).
    LegendError
        A sample class missing from ``map_areas``.

    Examples
    --------
    >>> n = pd.DataFrame([[45, 5], [5, 45]], index=["f", "n"], columns=["f", "n"])
    >>> t = error_adjusted_areas(n, {"f": 100.0, "n": 300.0})
    >>> round(float(t.loc["f", "area"]), 9)  # 400 x (0.25 x 0.9 + 0.75 x 0.1)
    120.0
    """
    z = _z(confidence)
    counts = _counts_frame(sample_counts)
    areas = _areas_series(map_areas)
    classes = list(dict.fromkeys([*counts.index, *counts.columns]))
    missing = [c for c in classes if c not in areas.index]
    if missing:
        raise LegendError(
            f"Sample class(es) {missing} have no mapped area in map_areas (classes "
            f"{list(areas.index)}); every map and reference class of the sample must be a mapped "
            "class (add it, with area 0 if unmapped)."
        )
    if (areas < 0).any() or not np.isfinite(areas.to_numpy()).all():
        raise SchemaError(
            "map_areas must be finite and >= 0; got "
            f"{areas[(areas < 0) | ~np.isfinite(areas)].to_dict()}."
        )
    strata = [c for c in areas.index if c in classes or areas[c] > 0]
    n = counts.reindex(index=strata, columns=strata, fill_value=0).to_numpy(dtype="float64")
    a_i = areas.reindex(strata).to_numpy()
    ni = n.sum(axis=1)
    mapped_unsampled = [
        s for s, a, k in zip(strata, a_i, ni, strict=True) if a > 0 and k < MIN_STRATUM_SAMPLES
    ]
    if mapped_unsampled:
        raise SchemaError(
            f"Stratum/strata {mapped_unsampled} have area but fewer than 2 sample points: their "
            "variance (n_i. - 1 in Olofsson et al. 2014 eq. 10) is undefined. Sample at least 2 "
            "points per mapped class."
        )
    total = float(a_i.sum())
    if total <= 0:  # W_i = A_i / A (eq. 4) is undefined: every estimate would be NaN
        raise SchemaError(
            f"map_areas of the sampled classes {strata} sum to 0; give the mapped area of "
            "every stratum (at least one above 0)."
        )
    w = a_i / total
    share = np.divide(n, ni[:, None], out=np.zeros_like(n), where=ni[:, None] > 0)
    p = w[:, None] * share
    dof = np.where(ni > 1, ni - 1.0, np.inf)
    pj = p.sum(axis=0)
    se_pj = np.sqrt(((w[:, None] * p - p**2) / dof[:, None]).sum(axis=0))
    diag = np.diag(p)
    users = np.divide(np.diag(n), ni, out=np.full(len(ni), np.nan), where=ni > 0)
    users_se = np.sqrt(users * (1.0 - users) / dof)
    producers = np.divide(diag, pj, out=np.full(len(pj), np.nan), where=pj > 0)
    # eq. 7: N_i. = mapped area of stratum i, N_.j = estimated reference area of class j
    big_n_i = a_i
    big_n_j = (big_n_i[:, None] * share).sum(axis=0)
    var_p = np.full(len(strata), np.nan)
    for j in range(len(strata)):
        if big_n_j[j] <= 0:
            continue
        own = (
            big_n_i[j] ** 2 * (1 - producers[j]) ** 2 * users[j] * (1 - users[j]) / dof[j]
            if ni[j] > 0
            else 0.0
        )
        others = sum(
            big_n_i[i] ** 2 * share[i, j] * (1 - share[i, j]) / dof[i]
            for i in range(len(strata))
            if i != j
        )
        var_p[j] = (own + producers[j] ** 2 * others) / big_n_j[j] ** 2
    overall = float(diag.sum())
    overall_se = float(np.sqrt(np.nansum(w**2 * users * (1 - users) / dof)))
    area = total * pj
    area_se = total * se_pj
    out = pd.DataFrame(
        {
            "map_area": a_i,
            "area": area,
            "area_se": area_se,
            "area_low": area - z * area_se,
            "area_high": area + z * area_se,
            "users_accuracy": users,
            "users_accuracy_se": users_se,
            "producers_accuracy": producers,
            "producers_accuracy_se": np.sqrt(var_p),
            "n_samples": ni.astype("int64"),
        },
        index=pd.Index(strata, name="class"),
    )
    out.attrs.update(
        {
            "overall_accuracy": overall,
            "overall_accuracy_se": overall_se,
            "confidence": float(confidence),
            "z": z,
            "method": "stratified estimator, Olofsson et al. 2014 RSE 148:42-57 eqs. 4-10",
        }
    )
    return out


def sample_counts_from_points(
    map_class: Sequence[Any] | np.ndarray | pd.Series,
    reference_class: Sequence[Any] | np.ndarray | pd.Series,
    *,
    classes: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Sample-count matrix (rows = map class, columns = reference class) from sample points.

    Parameters
    ----------
    map_class, reference_class : sequence
        Map and reference label of each sample point (same length).
    classes : sequence, optional
        The legend's classes; a point whose map or reference class is not among them
        raises :class:`LegendError`. Default: the classes seen.

    Returns
    -------
    pandas.DataFrame
        Integer counts, index and columns = ``classes``.

    Raises
    ------
    SchemaError
        Lengths differ or there are no points.
    LegendError
        A class of the sample is not in ``classes``.
    """
    m = np.asarray(map_class)
    r = np.asarray(reference_class)
    if m.shape != r.shape or m.ndim != 1 or len(m) == 0:
        raise SchemaError(
            f"map_class ({m.shape}) and reference_class ({r.shape}) must be 1-D and of the same "
            "non-zero length."
        )
    seen = list(dict.fromkeys([*m.tolist(), *r.tolist()]))
    cls = list(classes) if classes is not None else sorted(seen, key=str)
    unknown = [c for c in seen if c not in cls]
    if unknown:
        raise LegendError(
            f"Sample class(es) {unknown} are not in the legend {cls}; fix the labels or the legend."
        )
    out = pd.crosstab(
        pd.Categorical(m, categories=cls), pd.Categorical(r, categories=cls), dropna=False
    )
    out.index = pd.Index(cls, name="map_class")
    out.columns = pd.Index(cls, name="reference_class")
    return out.astype("int64")


def sample_map_classes(
    landcover: xr.DataArray, x: Sequence[float], y: Sequence[float]
) -> np.ndarray:
    """Map class of the land cover at sample points (in the raster's CRS).

    Raises
    ------
    SchemaError
        A point outside the raster (named with its coordinates and the raster bounds).
    """
    xs = np.asarray(x, dtype="float64")
    ys = np.asarray(y, dtype="float64")
    left, bottom, right, top = landcover.rio.bounds()
    out = ~((xs >= left) & (xs <= right) & (ys >= bottom) & (ys <= top))
    if out.any():
        k = int(np.flatnonzero(out)[0])
        raise SchemaError(
            f"{int(out.sum())} sample point(s) lie outside the land-cover map (first: point {k} at "
            f"x={xs[k]:g}, y={ys[k]:g}; map bounds {(left, bottom, right, top)} in "
            f"{landcover.rio.crs}). "
            "Drop them or reproject the points to the map's CRS."
        )
    vals = landcover.sel(
        x=xr.DataArray(xs, dims="p"), y=xr.DataArray(ys, dims="p"), method="nearest"
    )
    return np.asarray(vals.values)


def transition_map_areas(
    ds: xr.Dataset, *, sep: str = "->", boundary: Hashable | None = None
) -> pd.Series:
    """Return the mapped area [ha] of each (start, end class) transition of an account.

    Labels are ``f"{class_start}{sep}{class_end}"`` (e.g. ``"10->50"``); use them as the
    strata of a change map's sample for :func:`error_adjusted_areas`. The areas are summed
    over the account's boundaries, or taken from ``boundary`` alone (the area the sample
    was drawn in).

    Raises
    ------
    SchemaError
        The account holds boundaries of several levels (a region and its counties) and no
        ``boundary`` is named: summed, every pixel would count once per level (the strata,
        and the error-adjusted areas, were twice the map).
    EmptySelectionError
        ``boundary`` is not a boundary of the account.
    """
    tm = ds["transition_area"]
    if boundary is not None:
        if boundary not in tm["boundary"].values:
            raise EmptySelectionError(
                f"boundary={boundary!r} is not in the account (it has "
                f"{[str(b) for b in tm['boundary'].values[:10]]})."
            )
        tm = tm.sel(boundary=boundary)
    else:
        levels = sorted({str(v) for v in ds["level"].values}) if "level" in ds.coords else []
        if len(levels) > 1:
            raise SchemaError(
                f"The account holds boundaries of levels {levels}, which nest: summed over "
                "them, every pixel counts once per level. Pass boundary=<the boundary the "
                "sample was drawn in> (e.g. the region), or an account of one level."
            )
        tm = tm.sum("boundary")
    s = tm.to_series()
    s.index = [f"{a}{sep}{b}" for a, b in s.index]
    return s[s > 0].astype(float)


def area_uncertainty_from_accuracy(
    accuracy: pd.DataFrame, legend: pd.DataFrame
) -> dict[str, float]:
    """Relative 1-sigma area error per sink category from an :func:`error_adjusted_areas` table.

    The classes of ``accuracy`` are land-cover codes of ``legend``; a category's SE is the
    quadrature sum of its classes' ``area_se`` (covariances between classes ignored) over
    its error-adjusted area.

    Raises
    ------
    LegendError
        A class that is not a code of the legend.
    """
    codes = []
    for c in accuracy.index:
        try:
            code = int(c)
        except (TypeError, ValueError):
            code = None
        if code is None or code not in legend.index:
            raise LegendError(
                f"Accuracy class {c!r} is not a code of the land-cover legend {list(legend.index)}."
            )
        codes.append(code)
    cats = legend.loc[codes, "category"].to_numpy()
    frame = pd.DataFrame(
        {
            "cat": cats,
            "var": accuracy["area_se"].to_numpy() ** 2,
            "area": accuracy["area"].to_numpy(),
        }
    )
    g = frame.groupby("cat").sum()
    rel = np.sqrt(g["var"]) / g["area"].where(g["area"] > 0)
    return {str(k): float(min(v, 1.0)) for k, v in rel.fillna(1.0).items()}


_TREE_CATEGORIES = ("forest", "mangrove")


def _version(da_attrs: Mapping[str, Any], source: str | None) -> str | None:
    v = da_attrs.get("version")
    if v:
        return str(v)
    if source:
        m = re.search(r"_(v\d{3})_", str(source))
        if m:
            return m.group(1)
    return None


def flag_transitions(
    class_start: np.ndarray,
    class_end: np.ndarray,
    category_start: np.ndarray,
    category_end: np.ndarray,
    *,
    years: float,
    version_start: str | None = None,
    version_end: str | None = None,
) -> np.ndarray:
    """Flag map transitions to check when no reference sample is given.

    Rules (a flag is text; ``""`` = no flag):

    * ``product_version_change``: every change when the epochs are different product
      versions (ESA documents that WorldCover 2020 v100 and 2021 v200 differ largely by
      algorithm, so change between them is mostly not change on the ground);
    * ``implausible_tree_gain``: a non-tree class becoming tree cover within ``years <= 1``
      (WorldCover's tree cover is trees of >= 5 m height, which do not grow from bare
      land, crops or buildings in a year);
    * ``reverted_within_a_year`` is not detectable with two epochs and is not raised.

    Returns
    -------
    numpy.ndarray of str, shape (n_start, n_end)
    """
    cs = np.asarray(class_start)
    ce = np.asarray(class_end)
    ks = np.asarray(category_start).astype(str)
    ke = np.asarray(category_end).astype(str)
    flags = np.full((len(cs), len(ce)), "", dtype=object)
    change = cs[:, None] != ce[None, :]
    if version_start and version_end and version_start != version_end:
        flags[change] = f"product_version_change ({version_start} -> {version_end})"
    if years <= 1:
        tree_gain = ~np.isin(ks, _TREE_CATEGORIES)[:, None] & np.isin(ke, _TREE_CATEGORIES)[None, :]
        tree_gain &= ~np.isin(ks, ("nodata",))[:, None]
        for i, j in zip(*np.nonzero(tree_gain), strict=True):
            flags[i, j] = "; ".join(x for x in (flags[i, j], "implausible_tree_gain") if x)
    return flags.astype(str)
