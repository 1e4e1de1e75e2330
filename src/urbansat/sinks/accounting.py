"""Sink accounting on a transition table: stock-difference and gain-loss.

Pure pandas/numpy core. Input is the per-boundary transition table
(``boundary_id, class_start, class_end, area_m2``); every flux is linear in the
factors, so each method is written as coefficients that multiply the factor of the
start class or of the end class of a row. Values, IPCC Approach 1 and Monte Carlo
uncertainty (:mod:`urbansat.sinks.uncertainty`) all use the same coefficients.

Sign convention: fluxes are **net removals from the atmosphere**, t CO2 yr-1,
positive = sink (removal), negative = source (emission); t C -> t CO2 by
``urbansat.constants.C_TO_CO2`` = 44/12.

Stock-difference (InVEST carbon model arithmetic, summed over pools ``P``)::

    stock_t      = sum_pixels  sum_P c_P(class_t) * area_ha
    net_sink     = (stock_end - stock_start) * 44/12 / years

per transition row (A ha from class s to class e):
``F = A * (C(e) - C(s)) * 44/12 / years`` with ``C = sum_P c_P``.

Gain-loss (IPCC 2006 Vol 4 Eq. 2.7, 2.9, 2.16, 2.25; WS 2013 Table 4.12)::

    growth      = A * RF(e)                                     (all land in class e)
    blue_soil   = A * SA(e)                                     (mangrove, tidal marsh, seagrass)
    conversion  = A * (B0(e) - B(s)) / years          if cat(s) != cat(e)  (biomass + dead pools)
    soil        = A * (SOC(e) - SOC(s)) / max(D, years)  if cat(s) != cat(e)  (D = 20 yr default)
    F = (growth + blue_soil + conversion + soil) * 44/12

The soil stock moves to its new equilibrium over ``D`` years (Eq. 2.25); over an interval
longer than ``D`` the whole change is spread over the interval, so the epochs' soil change
never exceeds ``SOC(e) - SOC(s)`` (``ΔSOC / D`` over 100 years was 5 times it).

with ``RF`` the ``removal`` factor, ``SA`` ``soil_accumulation``, ``B`` the sum of the
biomass pools used (``c_above, c_below, c_dead``), and ``B0(e) = 0`` for classes that
grow (``RF(e) > 0``: woody vegetation restarts from zero, IPCC 2006 Eq. 2.16) and
``B0(e) = B(e)`` for steady-state classes (``RF(e) = 0``). Conversion and soil
terms are computed only when the table holds stock pools (a coefficient table such
as ``china_literature`` has rates only: ``F = A * RF(e) * 44/12``). A conversion is a
change of land-use category (IPCC "land converted to"); a change between two native
classes of one category (e.g. CCI 50 -> 60, both forest) is land remaining in its
category and carries only growth.

Attribution to categories: a row counts under the sink category of its end class;
if the end class is not a sink (built-up, water, bare, snow/ice) under the sink
category of its start class (loss of a sink is reported where the sink was);
rows between two non-sink classes count in ``total`` only. ``total`` is the sum of
all rows, so the categories plus non-sink-only rows add up to ``total``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from urbansat.categories import SINK_CATEGORIES
from urbansat.constants import C_TO_CO2
from urbansat.errors import FactorError
from urbansat.sinks.factors import PARAMETERS, POOLS, ResolvedFactors

__all__ = ["OUTPUT_CATEGORIES", "TRANSITION_PERIOD_YEARS", "AccountingTerms", "build_terms"]

#: IPCC 2006 Vol 4 Ch 2 default soil-carbon transition period D [yr] (Eq. 2.25).
TRANSITION_PERIOD_YEARS = 20.0

#: Category coordinate of results: the 11 T/CI 231 categories then "total".
OUTPUT_CATEGORIES: tuple[str, ...] = (*SINK_CATEGORIES, "total")

_BIOMASS = ("c_above", "c_below", "c_dead")
_P = {p: i for i, p in enumerate(PARAMETERS)}
#: A FactorError names at most this many boundaries of a shared factor set ("..." after them).
_NAMED_BOUNDARIES = 5
#: Coefficients (of the start-class factor, of the end-class factor) per (row, parameter)
#: [t CO2 yr-1 per unit factor].
_Coefs: TypeAlias = tuple[NDArray[np.float64], NDArray[np.float64]]


@dataclass
class AccountingTerms:
    """Coefficients of every transition row; flux = sum(coef_start*f_start + coef_end*f_end).

    Attributes
    ----------
    rows : pandas.DataFrame
        Observed rows: ``boundary_id, class_start, class_end, area_ha, out_category``
        (``out_category`` is None for rows counted in ``total`` only).
    components : dict
        Component name -> (coef_start, coef_end), arrays (n_rows, n_parameters)
        in t CO2 yr-1 per unit factor.
    f_start, f_end, s_start, s_end : numpy.ndarray
        Factor values and 1-sigma (from the 95 % range) of the start / end class per row.
    ranged_start, ranged_end : numpy.ndarray
        False where the factor has no range in its table.
    unobserved : pandas.Series
        Area [ha] per boundary with nodata in either epoch.
    """

    rows: pd.DataFrame
    components: dict[str, _Coefs]
    f_start: NDArray[np.float64]
    f_end: NDArray[np.float64]
    s_start: NDArray[np.float64]
    s_end: NDArray[np.float64]
    ranged_start: NDArray[np.bool_]
    ranged_end: NDArray[np.bool_]
    unobserved: pd.Series
    has_pools: bool

    def component_flux(self) -> dict[str, NDArray[np.float64]]:
        """Flux per row [t CO2 yr-1] of each component at the factor values."""
        return {
            k: np.nansum(cs * np.nan_to_num(self.f_start) + ce * np.nan_to_num(self.f_end), axis=1)
            for k, (cs, ce) in self.components.items()
        }


def _sigma(res: ResolvedFactors) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """1-sigma from the 95 % range: (high - low) / (2 * 1.96) (IPCC 2006 Vol 1 Ch 3)."""
    ranged = np.isfinite(res.low) & np.isfinite(res.high)
    sig = np.where(ranged, (res.high - res.low) / (2 * 1.959963984540054), 0.0)
    return sig, ranged


def check_pools(pools: Sequence[str] | str) -> tuple[str, ...]:
    """``pools`` as a tuple of known carbon pools, each once (a string is one pool).

    Raises
    ------
    FactorError
        An unknown pool, none, or one given twice (it would be counted twice in every stock).
    """
    pools = (pools,) if isinstance(pools, str) else tuple(pools)
    bad = sorted(str(p) for p in set(pools) - set(POOLS))
    if bad:
        raise FactorError(f"pools={pools}: unknown pool(s) {bad}; choose from {POOLS}.")
    if not pools or len(set(pools)) < len(pools):
        raise FactorError(
            f"pools={pools}: give each carbon pool once (a repeated pool was counted twice in "
            f"every stock) and at least one, from {POOLS}."
        )
    return pools


def build_terms(
    table: pd.DataFrame,
    legend: pd.DataFrame,
    resolved: Mapping[object, ResolvedFactors],
    *,
    method: str,
    years: float,
    pools: Sequence[str] = POOLS,
    transition_period: float = TRANSITION_PERIOD_YEARS,
) -> AccountingTerms:
    """Coefficients of the chosen method for every observed transition row.

    Parameters
    ----------
    table : pandas.DataFrame
        ``boundary_id, class_start, class_end, area_m2``.
    legend : pandas.DataFrame
        Validated legend (code -> category), covering every code of ``table``.
    resolved : Mapping
        boundary_id -> :class:`ResolvedFactors` covering every code of ``table``.
    method : {"stock_difference", "gain_loss"}
    years : float
        Years between the epochs (> 0).
    pools : sequence of str
        Stock pools used (default all four InVEST pools).
    transition_period : float
        Soil transition period D [yr] of gain-loss.

    Returns
    -------
    AccountingTerms

    Raises
    ------
    FactorError
        Naming every (class, parameter) that the method needs for observed area but
        the table lacks.
    """
    if not years or years <= 0:
        raise FactorError(f"years must be > 0 (time between the epochs), got {years!r}.")
    pools = check_pools(pools)
    t, unobserved = _observed_rows(table, legend)
    if method not in ("stock_difference", "gain_loss"):
        raise FactorError(f"method={method!r}: use 'gain_loss' or 'stock_difference'.")
    f = _row_factors(t, resolved, method=method, pools=pools)
    A = t["area_ha"].to_numpy()
    if method == "stock_difference":
        comps = _stock_difference_terms(A, pools=pools, years=years)
    else:
        conv = t["cat_start"].to_numpy() != t["cat_end"].to_numpy()
        comps = _gain_loss_terms(
            A,
            conv,
            f.f_start,
            f.f_end,
            pools=pools,
            years=years,
            transition_period=transition_period,
        )
    rows = t[
        [
            "boundary_id",
            "class_start",
            "class_end",
            "area_ha",
            "cat_start",
            "cat_end",
            "out_category",
        ]
    ]
    return AccountingTerms(
        rows,
        comps,
        f.f_start,
        f.f_end,
        f.s_start,
        f.s_end,
        f.ranged_start,
        f.ranged_end,
        unobserved,
        f.has_pools or method == "stock_difference",
    )


def _observed_rows(table: pd.DataFrame, legend: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Return the observed rows with area [ha], categories and output category.

    Also the unobserved area [ha] per boundary (nodata in either epoch). Rows with
    nodata or without area are dropped from the first.
    """
    t = table.copy()
    t["area_ha"] = t["area_m2"].astype("float64") / 1e4
    cat = legend["category"]
    t["cat_start"] = cat.reindex(t["class_start"].to_numpy()).to_numpy()
    t["cat_end"] = cat.reindex(t["class_end"].to_numpy()).to_numpy()
    nod = (t["cat_start"] == "nodata") | (t["cat_end"] == "nodata")
    unobserved = t[nod].groupby("boundary_id")["area_ha"].sum()
    t = t[~nod & (t["area_ha"] > 0)].reset_index(drop=True)
    sinks = set(SINK_CATEGORIES)
    t["out_category"] = np.where(
        t["cat_end"].isin(sinks).to_numpy(),
        t["cat_end"].to_numpy(),
        np.where(
            t["cat_start"].isin(sinks).to_numpy(),
            t["cat_start"].to_numpy(),
            np.array(None, dtype=object),
        ),
    )
    return t, unobserved


@dataclass(frozen=True)
class _RowFactors:
    """Factor value, 1-sigma and whether it is ranged, of the start and end class per row."""

    f_start: NDArray[np.float64]
    f_end: NDArray[np.float64]
    s_start: NDArray[np.float64]
    s_end: NDArray[np.float64]
    ranged_start: NDArray[np.bool_]
    ranged_end: NDArray[np.bool_]
    has_pools: bool  # gain-loss: some table holds stock pools (conversion and soil terms)


def _who(bs: Sequence[object]) -> str:
    """Name the boundaries of one factor set for an error message (the first few)."""
    if len(bs) == 1:
        return f"boundary {bs[0]!r}"
    named = [str(x) for x in bs[:_NAMED_BOUNDARIES]]
    return f"boundaries {named}" + (" ..." if len(bs) > _NAMED_BOUNDARIES else "")


def _row_factors(
    t: pd.DataFrame,
    resolved: Mapping[object, ResolvedFactors],
    *,
    method: str,
    pools: tuple[str, ...],
) -> _RowFactors:
    """Look up the factors of every row and require those the method needs.

    Raises
    ------
    FactorError
        Naming every (class, parameter) that the method needs for observed area but
        the table lacks.
    """
    n, m = len(t), len(PARAMETERS)
    fS = np.full((n, m), np.nan)
    fE = np.full((n, m), np.nan)
    sS = np.zeros((n, m))
    sE = np.zeros((n, m))
    rS = np.zeros((n, m), bool)
    rE = np.zeros((n, m), bool)
    has_pools = False
    # boundaries sharing one resolved factor set are processed together
    groups: dict[int, tuple[ResolvedFactors, list[object]]] = {}
    for b in pd.unique(t["boundary_id"]):
        groups.setdefault(id(resolved[b]), (resolved[b], []))[1].append(b)
    cls_s = t["class_start"].to_numpy().astype("int64")
    cls_e = t["class_end"].to_numpy().astype("int64")
    conv_all = t["cat_start"].to_numpy() != t["cat_end"].to_numpy()
    bids = t["boundary_id"].to_numpy()
    for res, bs in groups.values():
        idx = np.flatnonzero(np.isin(bids, np.asarray(bs, dtype=object)))
        order = np.argsort(res.codes)
        ia = order[np.searchsorted(res.codes, cls_s[idx], sorter=order)]
        ie = order[np.searchsorted(res.codes, cls_e[idx], sorter=order)]
        sig, ranged = _sigma(res)
        fS[idx], fE[idx] = res.value[ia], res.value[ie]
        sS[idx], sE[idx] = sig[ia], sig[ie]
        rS[idx], rE[idx] = ranged[ia], ranged[ie]
        conv = conv_all[idx]
        who = _who(bs)
        if method == "stock_difference":
            res.require(
                np.concatenate([cls_s[idx], cls_e[idx]]),
                pools,
                why=f"stock-difference accounting of {who}",
            )
        else:
            res.require(cls_e[idx], ["removal"], why=f"gain-loss removals of {who}")
            tbl_pools = [p for p in pools if res.has(p)]
            has_pools = has_pools or bool(tbl_pools)
            if tbl_pools and conv.any():
                res.require(
                    np.concatenate([cls_s[idx][conv], cls_e[idx][conv]]),
                    tbl_pools,
                    why=f"gain-loss conversions of {who}",
                )
    return _RowFactors(fS, fE, sS, sE, rS, rE, has_pools)


def _stock_difference_terms(
    area_ha: NDArray[np.float64], *, pools: tuple[str, ...], years: float
) -> dict[str, _Coefs]:
    """Coefficients of ``F = A * (C(e) - C(s)) * 44/12 / years`` (one component)."""
    A, k = area_ha, C_TO_CO2
    cs, ce = _zeros(len(A)), _zeros(len(A))
    for p in pools:
        ce[:, _P[p]] = A * k / years
        cs[:, _P[p]] = -A * k / years
    return {"stock_change": (cs, ce)}


def _gain_loss_terms(
    area_ha: NDArray[np.float64],
    conv: NDArray[np.bool_],
    f_start: NDArray[np.float64],
    f_end: NDArray[np.float64],
    *,
    pools: tuple[str, ...],
    years: float,
    transition_period: float,
) -> dict[str, _Coefs]:
    """Coefficients of the growth, blue_soil, conversion and soil components (module doc)."""
    A, fS, fE, k = area_ha, f_start, f_end, C_TO_CO2  # the notation of the module docstring
    n = len(A)
    comps: dict[str, _Coefs] = {}
    cs, ce = _zeros(n), _zeros(n)
    ce[:, _P["removal"]] = A * k
    comps["growth"] = (cs, ce)
    cs, ce = _zeros(n), _zeros(n)
    ce[:, _P["soil_accumulation"]] = np.where(
        np.isfinite(fE[:, _P["soil_accumulation"]]), A * k, 0.0
    )
    comps["blue_soil"] = (cs, ce)
    bio = [p for p in pools if p in _BIOMASS and np.isfinite(fS[:, _P[p]]).any()]
    cs, ce = _zeros(n), _zeros(n)
    steady = np.nan_to_num(fE[:, _P["removal"]]) == 0
    for p in bio:
        cs[:, _P[p]] = np.where(conv, -A * k / years, 0.0)
        ce[:, _P[p]] = np.where(conv & steady, A * k / years, 0.0)
    comps["conversion"] = (cs, ce)
    cs, ce = _zeros(n), _zeros(n)
    if "c_soil" in pools and np.isfinite(fS[:, _P["c_soil"]]).any():
        span = max(transition_period, years)  # the change is complete after D years
        cs[:, _P["c_soil"]] = np.where(conv, -A * k / span, 0.0)
        ce[:, _P["c_soil"]] = np.where(conv, A * k / span, 0.0)
    comps["soil"] = (cs, ce)
    return comps


def _zeros(n: int) -> NDArray[np.float64]:
    """Return a (rows, parameters) coefficient array of zeros."""
    return np.zeros((n, len(PARAMETERS)))
