"""Uncertainty of sink fluxes: IPCC Approach 1 propagation and Monte Carlo.

Every flux is linear in the factors (see :mod:`urbansat.sinks.accounting`):
``F_o = sum_k C_ok f_k`` where ``k`` runs over (class code, parameter) and the
coefficients of all rows of an output ``o`` (boundary x category) are summed
first, so a factor shared by several rows is fully correlated (and cancels in a
stock-difference row that stays in its class).

* A factor's 1-sigma is its 95 % range / (2 x 1.96) (IPCC 2006 Vol 1 Ch 3 Eq. 3.1
  convention for symmetric ranges); a factor without a range makes the interval of
  every output that depends on it undefined (NaN, ``unranged="nan"``) or is left out
  of it (``unranged="exclude"``: the interval then covers only the ranged factors and
  is a lower bound of the true uncertainty); either way it is listed in the result.
* Area uncertainty ``u_A`` (relative 1-sigma of mapped area, per category; user
  input, default 0) acts on each transition row independently.

Approach 1 (IPCC 2006 Vol 1 Eq. 3.1/3.2, exact here because F is linear)::

    sigma_o^2 = sum_k (C_ok sigma_k)^2 + sum_rows (F_row u_A)^2,   95 %: F_o +- 1.96 sigma_o

Monte Carlo (IPCC 2006 Vol 1 §3.2.2.4): ``f_k ~ N(value, sigma_k)`` shared by all rows
and boundaries, each row's area scaled by ``1 + u_A eps`` with ``eps ~ N(0, 1)``; the
interval is the 2.5-97.5 percentile of the draws (draws are not truncated at zero, so the
Monte Carlo model is the same Gaussian model as Approach 1) and the reported 1-sigma equivalent
is (p97.5 - p2.5) / (2 x 1.96). Draws are processed in blocks of ``block`` so memory
stays bounded.

The gross terms and the carbon stocks are linear in the same factors and get their
1-sigma from the same coefficients, factor sigmas, row area errors and (Monte Carlo) the
same draws (one seed for every quantity)::

    gross_removals_o  = sum_{rows, components c: F_rc > 0}  F_rc       (coefficients of those c)
    gross_emissions_o = sum_{rows, components c: F_rc < 0} -F_rc
    stock_start_o     = sum_{rows starting in o} A_r sum_P c_P(s_r)     [t C]
    stock_end_o       = sum_{rows ending in o}   A_r sum_P c_P(e_r)
    stock_change_o    = stock_end_o - stock_start_o

A row component counts as removal or emission by its sign at the factor values, and
that split is held fixed (first order; exact unless a 95 % range crosses zero). A
factor shared by the start and end class of a row cancels in ``stock_change`` as it
does in the net sink; a row's area error ``u_A`` is shared by its start and end stock.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from urbansat.sinks.accounting import AccountingTerms
from urbansat.sinks.factors import PARAMETERS

__all__ = ["FluxResult", "check_unranged", "propagate"]

_Z95 = 1.959963984540054

#: One part of an output quantity: (coef_start, coef_end, row_value, rr, oo); row ``rr[i]``
#: adds ``row_value[rr[i]]`` (coefficients ``coef_*[rr[i]]``) to output ``oo[i]``.
_Part: TypeAlias = tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.int64],
]
#: 1-sigma, 95 % low and high bound per output, and the (output, code, parameter) mask of
#: the factors without a range that enter it.
_Spread: TypeAlias = tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]
]


@dataclass
class FluxResult:
    """Per (boundary, category) fluxes and uncertainty (plain numpy arrays).

    Attributes
    ----------
    net, gross_removals, gross_emissions, sigma, low, high : numpy.ndarray
        (n_boundary, n_category) in t CO2 yr-1; ``sigma`` 1-sigma, ``low``/``high`` the
        95 % interval.
    unranged : list of (int, str)
        (class code, parameter) of factors without a range used by some output.
    codes : numpy.ndarray
        Class codes of the factor axis.
    quantity_sigma : dict of str to numpy.ndarray
        1-sigma (n_boundary, n_category) of ``gross_removals``, ``gross_emissions``
        [t CO2 yr-1] and, with ``stock_pools``, ``stock_start``, ``stock_end`` and
        ``stock_change`` [t C], propagated like ``sigma`` (NaN under ``unranged="nan"``
        where a factor without a range enters that quantity).
    """

    net: np.ndarray
    gross_removals: np.ndarray
    gross_emissions: np.ndarray
    sigma: np.ndarray
    low: np.ndarray
    high: np.ndarray
    unranged: list[tuple[int, str]]
    codes: np.ndarray
    quantity_sigma: dict[str, np.ndarray] = field(default_factory=dict)


def _area_u(
    cats: NDArray[np.object_], area_uncertainty: float | Mapping[str, float] | None
) -> NDArray[np.float64]:
    if isinstance(area_uncertainty, Mapping):
        # a sink category the mapping (or the accuracy sample) leaves out has an unknown
        # area error, not none: NaN, as the area outputs of the same rows (it was 0, an
        # interval of zero width with status ok). Rows counted in the total only
        # (out_category None) keep no area error of their own, as before.
        return np.array(
            [float(area_uncertainty.get(c, np.nan)) if isinstance(c, str) else 0.0 for c in cats]
        )
    return np.full(len(cats), float(area_uncertainty or 0.0))


def check_unranged(unranged: str) -> None:
    """Raise ConfigError unless ``unranged`` is ``"nan"`` or ``"exclude"``."""
    if unranged not in ("nan", "exclude"):
        from urbansat.errors import ConfigError

        raise ConfigError(
            f"unranged={unranged!r}: use 'nan' (undefined interval) or 'exclude' "
            "(interval from the ranged factors only)."
        )


def propagate(  # noqa: PLR0913, PLR0915 - keyword options of account_sinks; one model, one body
    terms: AccountingTerms,
    boundary_ids: Sequence[Hashable],
    categories: Sequence[str],
    *,
    uncertainty: str = "approach1",
    area_uncertainty: float | Mapping[str, float] = 0.0,
    n_draws: int = 5000,
    seed: int | None = 0,
    block: int = 1000,
    unranged: str = "nan",
    stock_pools: Sequence[str] | None = None,
) -> FluxResult:
    """Aggregate row fluxes to (boundary, category) with value, gross terms and 95 % interval.

    Parameters
    ----------
    terms : AccountingTerms
        From :func:`urbansat.sinks.accounting.build_terms`.
    boundary_ids : sequence
        Output boundary order.
    categories : sequence of str
        Output categories; ``"total"`` takes every row.
    uncertainty : {"approach1", "monte_carlo"}
    area_uncertainty : float or Mapping[str, float]
        Relative 1-sigma of mapped areas, scalar or per category.
    n_draws : int
        Monte Carlo draws.
    seed : int or None
        Seed of the Monte Carlo generator.
    block : int
        Draws per block.
    unranged : {"nan", "exclude"}
        Outputs that use a factor without a range get a NaN interval, or an interval
        from the ranged factors only.
    stock_pools : sequence of str, optional
        Pools of the carbon stock; given, ``quantity_sigma`` also holds the 1-sigma of
        ``stock_start``, ``stock_end`` and ``stock_change`` [t C].

    Returns
    -------
    FluxResult
        ``net, gross_removals, gross_emissions, sigma, low, high`` arrays of shape
        (n_boundary, n_category) in t CO2 yr-1 and ``unranged`` (list of factors
        without a range that made an interval undefined of ``net``), and
        ``quantity_sigma`` (1-sigma of the gross terms and stocks).
    """
    if uncertainty not in ("approach1", "monte_carlo"):
        from urbansat.errors import ConfigError

        raise ConfigError(f"uncertainty={uncertainty!r}: use 'approach1' or 'monte_carlo'.")
    check_unranged(unranged)
    rows = terms.rows
    nb, nc = len(boundary_ids), len(categories)
    bpos = {b: i for i, b in enumerate(boundary_ids)}
    cpos = {c: i for i, c in enumerate(categories)}
    n, m = len(rows), len(PARAMETERS)
    comp = terms.component_flux()
    flux = np.sum(list(comp.values()), axis=0) if comp else np.zeros(n)
    bi = np.array([bpos[b] for b in rows["boundary_id"]], dtype="int64")
    # each row feeds its category and "total"
    out_pairs = []
    tot = cpos.get("total")
    for r, (b, c) in enumerate(zip(bi, rows["out_category"], strict=True)):
        if c is not None and c in cpos:
            out_pairs.append((r, b * nc + cpos[c]))
        if tot is not None:
            out_pairs.append((r, b * nc + tot))
    rr = np.array([p[0] for p in out_pairs], dtype="int64")
    oo = np.array([p[1] for p in out_pairs], dtype="int64")
    nout = nb * nc
    net = np.bincount(oo, weights=flux[rr], minlength=nout) if n else np.zeros(nout)
    rem = np.zeros(nout)
    emi = np.zeros(nout)
    for f in comp.values():
        np.add.at(rem, oo, np.clip(f[rr], 0, None))
        np.add.at(emi, oo, np.clip(-f[rr], 0, None))
    # coefficients per (output, code, parameter); factor sigma per (boundary, code, parameter)
    codes = (
        np.unique(
            np.concatenate([rows["class_start"].to_numpy(), rows["class_end"].to_numpy()])
        ).astype("int64")
        if n
        else np.array([], dtype="int64")
    )
    cix = {int(c): i for i, c in enumerate(codes)}
    ncode = len(codes)
    isx = np.array([cix[int(c)] for c in rows["class_start"]], dtype="int64")
    iex = np.array([cix[int(c)] for c in rows["class_end"]], dtype="int64")
    # summed from an array of zeros (not the int 0 of sum()), so the type is an array
    coefS = sum((cs for cs, _ in terms.components.values()), np.zeros((n, m)))
    coefE = sum((ce for _, ce in terms.components.values()), np.zeros((n, m)))
    F = np.full((nb, ncode, m), np.nan)
    S = np.zeros((nb, ncode, m))
    R = np.ones((nb, ncode, m), bool)
    F[bi, isx], S[bi, isx], R[bi, isx] = terms.f_start, terms.s_start, terms.ranged_start
    F[bi, iex], S[bi, iex], R[bi, iex] = terms.f_end, terms.s_end, terms.ranged_end
    ob = np.arange(nout) // nc
    ua = _area_u(rows["out_category"].to_numpy(), area_uncertainty)
    if uncertainty == "monte_carlo" and seed is None:  # one seed: every output sees the same draws
        seed = int(np.random.default_rng().integers(2**62))
    Sb = np.nan_to_num(S[ob])
    Fz = np.nan_to_num(F)

    def spread(*parts: _Part) -> _Spread:
        """1-sigma, 95 % bounds and unranged mask of outputs ``sum over parts`` (same draws).

        Each part is ``(coef_start, coef_end, row_value, rr, oo)``: row ``rr[i]`` adds
        ``row_value[rr[i]]`` (coefficients ``coef_*[rr[i]]``) to output ``oo[i]``.
        """
        C = np.zeros((nout, ncode, m))
        val = np.zeros(nout)
        keys: list[NDArray[np.int64]] = []
        kval: list[NDArray[np.float64]] = []
        for cS, cE, value_row, rr, oo in parts:
            np.add.at(C, (oo, isx[rr]), cS[rr])
            np.add.at(C, (oo, iex[rr]), cE[rr])
            val += np.bincount(oo, weights=value_row[rr], minlength=nout)
            keys.append(rr * nout + oo)
            kval.append(value_row[rr])
        # a row's area error is shared by every part of the row that feeds one output
        uk, inv = np.unique(np.concatenate(keys), return_inverse=True)
        wk = np.bincount(inv, weights=np.concatenate(kval), minlength=len(uk))
        rk, ok = uk // nout, uk % nout
        mask = (np.abs(C) > 0) & ~R[ob]
        var_area = np.bincount(ok, weights=(wk * ua[rk]) ** 2, minlength=nout)
        if uncertainty == "approach1":
            sig = np.sqrt(((C * Sb) ** 2).sum(axis=(1, 2)) + var_area)
            lo, hi = val - _Z95 * sig, val + _Z95 * sig
        else:
            rng = np.random.default_rng(seed)
            draws = np.empty((n_draws, nout))
            Cf = C.reshape(nout, -1)
            base = np.einsum("ok,ok->o", Cf, Fz[ob].reshape(nout, -1))
            Sf = Sb.reshape(nout, -1)
            from scipy import sparse

            P = sparse.csr_matrix(
                (np.ones(len(ok)), (np.arange(len(ok)), ok)), shape=(len(ok), nout)
            )
            for d0 in range(0, n_draws, block):
                nd = min(block, n_draws - d0)
                z = rng.standard_normal((nd, ncode * m))  # shared factor errors
                # factor part: C_o . (f_b + sigma_b z)
                fac = base[None, :] + z @ (Cf * Sf).T
                if n and np.any(ua > 0):
                    eps = rng.standard_normal((nd, n)) * ua[None, :]
                    fac = fac + np.asarray((eps[:, rk] * wk[None, :]) @ P)
                draws[d0 : d0 + nd] = fac
            lo, hi = np.percentile(draws, [2.5, 97.5], axis=0)
            sig = (hi - lo) / (2 * _Z95)
        undef = mask.any(axis=(1, 2))
        if unranged == "nan":
            for a in (sig, lo, hi):
                a[undef] = np.nan
        return sig, lo, hi, mask

    sigma, low, high, unranged_mask = spread((coefS, coefE, flux, rr, oo))
    unranged_used = {
        (int(codes[c]), PARAMETERS[p]) for _, c, p in zip(*np.nonzero(unranged_mask), strict=True)
    }
    # gross terms: each (row, component) counts by its sign at the factor values
    zero = np.zeros((n, m))
    gS, gE, gv = {}, {}, {}
    for name, sgn in (("gross_removals", 1.0), ("gross_emissions", -1.0)):
        gS[name], gE[name], gv[name] = zero.copy(), zero.copy(), np.zeros(n)
        for k, (cs, ce) in terms.components.items():
            on = (sgn * comp[k] > 0)[:, None]
            gS[name] = gS[name] + sgn * cs * on
            gE[name] = gE[name] + sgn * ce * on
            gv[name] = gv[name] + np.clip(sgn * comp[k], 0, None)
    extra = {
        name: spread((gS[name], gE[name], gv[name], rr, oo))[0]
        for name in ("gross_removals", "gross_emissions")
    }
    if stock_pools is not None and n:
        pidx = [PARAMETERS.index(p) for p in stock_pools]
        A = np.zeros((n, m))
        A[:, pidx] = rows["area_ha"].to_numpy()[:, None]
        vs = (np.nan_to_num(terms.f_start) * A).sum(axis=1)
        ve = (np.nan_to_num(terms.f_end) * A).sum(axis=1)

        def pairs(col: str) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
            pr = [
                (r, b * nc + cpos[c])
                for r, (b, c) in enumerate(zip(bi, rows[col], strict=True))
                if c in cpos and c != "total"
            ]
            if tot is not None:
                pr += [(r, b * nc + tot) for r, b in enumerate(bi)]
            return (
                np.array([q[0] for q in pr], dtype="int64"),
                np.array([q[1] for q in pr], dtype="int64"),
            )

        rs, os_ = pairs("cat_start")
        re_, oe = pairs("cat_end")
        extra["stock_start"] = spread((A, zero, vs, rs, os_))[0]
        extra["stock_end"] = spread((zero, A, ve, re_, oe))[0]
        # change: a row adds -stock_start where it starts and +stock_end where it ends
        extra["stock_change"] = spread((-A, zero, -vs, rs, os_), (zero, A, ve, re_, oe))[0]
    shape = (nb, nc)
    return FluxResult(
        net=net.reshape(shape),
        gross_removals=rem.reshape(shape),
        gross_emissions=emi.reshape(shape),
        sigma=sigma.reshape(shape),
        low=low.reshape(shape),
        high=high.reshape(shape),
        unranged=sorted(unranged_used),
        codes=codes,
        quantity_sigma={k: v.reshape(shape) for k, v in extra.items()},
    )


def _as_frame(
    res: FluxResult, boundary_ids: Sequence[Hashable], categories: Sequence[str]
) -> pd.DataFrame:  # pragma: no cover - debug aid
    idx = pd.MultiIndex.from_product(
        [list(boundary_ids), list(categories)], names=["boundary", "category"]
    )
    return pd.DataFrame(
        {
            k: getattr(res, k).ravel()
            for k in ("net", "gross_removals", "gross_emissions", "sigma", "low", "high")
        },
        index=idx,
    )
