"""Accuracy and coverage statistics of inversion cases against their known truth.

The summaries of ``benchmarks/bench_inversion.py``, shared with the tests (which check them
against hand-computed values) so that no test imports the benchmark: :func:`stats`,
:func:`uncertainty_breakdown` and :func:`summarize_section` over the rows of
:mod:`urbansat.testing.inversion_cases`; :func:`summarize_noise_ensemble` and
:func:`per_seed_columns` over a noise ensemble of one scene; :func:`model_error_constants`
and :func:`derive_model_error` for the model-error tables of :mod:`urbansat.inversion`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from urbansat.inversion import METHODS, UNCERTAINTY_TERMS

#: a noise draw counts as accurate when within this relative error of the truth
ACCURATE_WITHIN = 0.15

__all__ = [
    "ACCURATE_WITHIN",
    "CSF_SCATTER_SECTIONS",
    "MAD_TO_SIGMA",
    "MODEL_ERROR_SECTIONS",
    "derive_model_error",
    "model_error_constants",
    "per_seed_columns",
    "residual_model_error",
    "stats",
    "summarize_noise_ensemble",
    "summarize_section",
    "uncertainty_breakdown",
]


def stats(df: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per method: accuracy (relative error vs truth) and the coverage of the intervals."""
    out: dict[str, dict[str, Any]] = {}
    for m, g in df.groupby("method"):
        ok = g[np.isfinite(g.estimate)]
        rel = (ok.estimate - ok.truth) / ok.truth
        z = (ok.estimate - ok.truth).abs() / ok.sigma
        out[str(m)] = {
            "n_cases": len(g),
            "n_valid": len(ok),
            "median_abs_error": float(rel.abs().median()),
            "bias": float(rel.median()),
            "rms_rel_error": float(np.sqrt(np.mean(rel**2))),
            # the reported/true wind-speed factors drawn for these seeds: the estimates scale
            # with them, so their median shifts the bias; bias_wind_removed divides it out
            "median_wind_factor": float(ok.wind_factor.median()),
            "bias_wind_removed": float((ok.estimate / (ok.truth * ok.wind_factor)).median() - 1),
            # coverage of the reported intervals (asymmetric, wind error multiplicative) ...
            **{
                f"coverage_{k}sigma": float(
                    ((ok[f"lower_{k}"] <= ok.truth) & (ok.truth <= ok[f"upper_{k}"])).mean()
                )
                for k in (1, 2)
            },
            # ... and of the symmetric +-k emission_uncertainty
            "coverage_1sigma_symmetric": float((z <= 1).mean()),
            "coverage_2sigma_symmetric": float((z <= 2).mean()),
        }
    return out


#: robust 1-sigma of a heavy-tailed error: sigma = 1.4826 median|e| (consistent for a Gaussian)
MAD_TO_SIGMA = 1.4826


def _coverage(g: pd.DataFrame, k: int) -> pd.Series:
    return (g[f"lower_{k}"] <= g.truth) & (g.truth <= g[f"upper_{k}"])


def residual_model_error(err: np.ndarray, q: np.ndarray, scatter: np.ndarray) -> float:
    """Return the relative model error ``f`` left beside a measured per-case scatter term.

    Solves ``median(|err| / sqrt((f |q|)^2 + scatter^2)) = 0.6745`` (a unit robust spread of
    z, as ``1.4826 median|e|`` is for the table alone) for ``f >= 0``; 0 when the scatter
    alone gives a median at or below 0.6745. ``err`` = estimate - truth, ``q`` = estimate,
    ``scatter`` the 1-sigma term, all [kg s-1]; NaN without cases.
    """
    from scipy.optimize import brentq

    err, q, scatter = (np.abs(np.asarray(x, float)) for x in (err, q, scatter))
    if len(err) == 0:
        return float("nan")
    target = 0.6745

    def h(f: float) -> float:
        return float(np.median(err / np.maximum(np.hypot(f * q, scatter), 1e-300))) - target

    if h(0.0) <= 0:
        return 0.0
    hi = 1.0
    while h(hi) > 0 and hi < 1e3:
        hi *= 4
    return float(brentq(h, 0.0, hi, xtol=1e-6))


def _net_of_scatter(gk: pd.DataFrame) -> dict[str, Any]:
    """``robust_sigma_net_of_scatter`` of the rows with a measured transport scatter."""
    if "transport_scatter" not in gk:
        return {}
    m = gk[np.isfinite(gk.transport_scatter)]
    if not len(m):
        return {}
    return {
        "n_scatter_measured": len(m),
        "median_rel_scatter": float((m.transport_scatter / m.truth).median()),
        "robust_sigma_net_of_scatter": residual_model_error(
            m.estimate - m.truth, m.estimate, m.transport_scatter
        ),
    }


def uncertainty_breakdown(df: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per method: the uncertainty terms, per-kind accuracy, and what the missed cases lack.

    Over the cases with a finite estimate (as :func:`stats`), with ``e = Q/Q_true - 1`` and
    the 1-sigma terms ``sigma_t`` (t in retrieval, wind, background, model):

    * ``median_rel_sigma_terms``: median of ``sigma_t / Q_true`` per term, and of the total;
    * ``dominant_term``: how many cases have each term as the largest ``sigma_t``;
    * ``by_kind``: per geometry ``n``, ``median_abs_error``, ``bias`` (median ``e``),
      ``robust_sigma`` = 1.4826 median ``|e|`` and the coverage of the asymmetric 1- and
      2-sigma intervals;
    * ``misses_{1,2}sigma``: the cases whose truth lies outside that interval: ``n``,
      ``n_low`` (estimate below the truth), their ``dominant_term`` counts, median ``e``,
      median ``sigma / Q_true`` and median ``z = |Q - Q_true| / sigma``.
    """
    out: dict[str, dict[str, Any]] = {}
    terms = list(UNCERTAINTY_TERMS)
    for m, g in df.groupby("method"):
        ok = g[np.isfinite(g.estimate)]
        rel = (ok.estimate - ok.truth) / ok.truth
        sig = ok[[f"sigma_{t}" for t in terms]].to_numpy(float)
        dom = pd.Series(
            np.array(terms)[np.argmax(np.nan_to_num(sig, nan=-1.0), axis=1)] if len(ok) else [],
            index=ok.index,
            dtype=object,
        )

        def counts(idx: pd.Index, dom: pd.Series = dom) -> dict[str, int]:
            return {str(k): int(v) for k, v in dom.loc[idx].value_counts().items()}

        rec: dict[str, Any] = {
            "median_rel_sigma_terms": {
                **{t: float((ok[f"sigma_{t}"] / ok.truth).median()) for t in terms},
                "total": float((ok.sigma / ok.truth).median()),
            },
            "dominant_term": counts(ok.index),
            "by_kind": {},
        }
        for kind, gk in ok.groupby("kind"):
            rk = rel.loc[gk.index]
            rec["by_kind"][str(kind)] = {
                "n": len(gk),
                "median_abs_error": float(rk.abs().median()),
                "bias": float(rk.median()),
                "robust_sigma": float(MAD_TO_SIGMA * rk.abs().median()),
                **_net_of_scatter(gk),
                **{f"coverage_{k}sigma": float(_coverage(gk, k).mean()) for k in (1, 2)},
            }
        for k in (1, 2):
            miss = ok[~_coverage(ok, k)]
            rm = rel.loc[miss.index]
            rec[f"misses_{k}sigma"] = {
                "n": len(miss),
                "n_low": int((miss.estimate < miss.truth).sum()),
                "dominant_term": counts(miss.index),
                "median_error": float(rm.median()) if len(miss) else None,
                "median_rel_sigma": float((miss.sigma / miss.truth).median())
                if len(miss)
                else None,
                "median_z": (
                    float(((miss.estimate - miss.truth).abs() / miss.sigma).median())
                    if len(miss)
                    else None
                ),
            }
        out[str(m)] = rec
    return out


def summarize_section(df: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """:func:`stats` per method, with :func:`uncertainty_breakdown` merged into each."""
    st, br = stats(df), uncertainty_breakdown(df)
    return {m: {**st[m], **br.get(m, {})} for m in st}


def _finite_or_none(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def summarize_noise_ensemble(
    rows: list[dict[str, Any]], noise_free: dict[str, dict[str, dict[str, Any]]]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Per source x method statistics of a noise ensemble.

    Parameters
    ----------
    rows : list of dict
        One per seed x source x method with ``seed``, ``source``, ``method``,
        ``estimate_mt_per_yr``, ``truth_mt_per_yr``, ``sigma_mt_per_yr``,
        ``{lower,upper}_{1,2}sigma_mt_per_yr`` and ``qa_reason``.
    noise_free : dict
        ``{source: {method: {"estimate_mt_per_yr": ..., "qa_reason": ...}}}`` of the
        scene without added noise.

    Returns
    -------
    dict
        ``{source: {method: summary}}``. With the relative error
        ``e_i = Q_i / Q_true - 1`` over the ``n_valid`` draws with a finite estimate:
        ``median_error``, ``mean_error``, ``std_error`` (ddof 1), ``p16_error`` and
        ``p84_error`` (linear-interpolated percentiles), ``max_abs_error`` (and its seed),
        ``median_rel_sigma`` = median of ``sigma_i / Q_true``, and
        ``noise_induced_bias`` = median of ``(Q_i - Q_free) / Q_true``. Over all ``n``
        draws (a NaN estimate or bound counts as a miss): ``frac_within_15pct`` =
        fraction with ``|e_i| <= 0.15`` and ``coverage_{1,2}sigma`` = fraction with
        ``lower_k <= Q_true <= upper_k``. Statistics without any valid draw are None.
    """
    df = pd.DataFrame(rows)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (s, m), g in df.groupby(["source", "method"], sort=False):
        truth = float(g.truth_mt_per_yr.iloc[0])
        est = g.estimate_mt_per_yr.to_numpy(float)
        ok = np.isfinite(est)
        err = est[ok] / truth - 1
        free = noise_free.get(str(s), {}).get(str(m), {})
        q_free = float(free.get("estimate_mt_per_yr", np.nan))
        with np.errstate(invalid="ignore"):
            within = np.abs(est / truth - 1) <= ACCURATE_WITHIN
            cover = {
                k: (g[f"lower_{k}sigma_mt_per_yr"].to_numpy(float) <= truth)
                & (truth <= g[f"upper_{k}sigma_mt_per_yr"].to_numpy(float))
                for k in (1, 2)
            }
        have = bool(ok.any())
        i_max = int(np.argmax(np.abs(err))) if have else None
        reasons = g.qa_reason[g.qa_reason.astype(bool)].value_counts()
        out.setdefault(str(s), {})[str(m)] = {
            "truth_mt_per_yr": truth,
            "n": len(g),
            "n_valid": int(ok.sum()),
            "median_error": float(np.median(err)) if have else None,
            "mean_error": float(np.mean(err)) if have else None,
            "std_error": float(np.std(err, ddof=1)) if ok.sum() > 1 else None,
            "p16_error": float(np.percentile(err, 16)) if have else None,
            "p84_error": float(np.percentile(err, 84)) if have else None,
            "frac_within_15pct": float(within.mean()),
            "coverage_1sigma": float(cover[1].mean()),
            "coverage_2sigma": float(cover[2].mean()),
            "median_rel_sigma": (
                float(np.median(g.sigma_mt_per_yr.to_numpy(float)[ok]) / truth) if have else None
            ),
            "noise_free_estimate_mt_per_yr": _finite_or_none(q_free),
            "noise_free_error": _finite_or_none(q_free / truth - 1),
            "noise_free_qa_reason": str(free.get("qa_reason", "")),
            "noise_induced_bias": (
                float(np.median((est[ok] - q_free) / truth))
                if have and np.isfinite(q_free)
                else None
            ),
            "max_abs_error": float(abs(err[i_max])) if i_max is not None else None,
            "max_abs_error_seed": int(g.seed.to_numpy()[ok][i_max]) if i_max is not None else None,
            "qa_reasons": {str(k): int(v) for k, v in reasons.items()},
        }
    return out


def per_seed_columns(rows: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, list[Any]]]]:
    """``{source: {method: {column: [one value per seed]}}}``; non-finite floats become None."""
    cols = [
        "seed",
        "estimate_mt_per_yr",
        "sigma_mt_per_yr",
        *(f"{b}_{k}sigma_mt_per_yr" for k in (1, 2) for b in ("lower", "upper")),
        "qa_reason",
    ]
    out: dict[str, dict[str, dict[str, list[Any]]]] = {}
    for (s, m), g in pd.DataFrame(rows).groupby(["source", "method"], sort=False):
        out.setdefault(str(s), {})[str(m)] = {
            c: (
                [int(v) for v in g[c]]
                if c == "seed"
                else [str(v) for v in g[c]]
                if c == "qa_reason"
                else [_finite_or_none(v) for v in g[c]]
            )
            for c in cols
        }
    return out


#: model-error table -> the section it is measured on (no noise, true wind, flat background)
MODEL_ERROR_SECTIONS = {
    "MODEL_ERROR": "model_error",
    "MODEL_ERROR_COMPACT": "model_error_compact",
    "MODEL_ERROR_AREA": "model_error_cities",
}


#: CSF_SCATTER_RESIDUAL family -> the section it is measured on (as MODEL_ERROR_SECTIONS)
CSF_SCATTER_SECTIONS = {"point": "model_error", "compact": "model_error_compact"}


def model_error_constants() -> dict[str, Any]:
    """Return the inversion's model-error tables as JSON-able lists (recorded with the sections)."""
    import urbansat.inversion as inv

    return {
        name: {m: list(v) for m, v in getattr(inv, name).items()}
        for name in (*MODEL_ERROR_SECTIONS, "CSF_SCATTER_RESIDUAL")
    } | {"AREA_SOURCE_MIN_DIAMETER_KM": inv.AREA_SOURCE_MIN_DIAMETER_KM}


def derive_model_error(result: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    """Derive the model-error tables from a run's ``model_error*`` sections.

    Per method: ``[fine, coarse]`` = [mean of the CO2M-like (2 km) and OCO-3 SAM robust
    sigmas, the TROPOMI robust sigma], rounded to 3 decimals; robust sigma =
    1.4826 median ``|relative error|`` (:func:`stats`). Sections not in ``result`` are left out.
    """
    out: dict[str, dict[str, list[float]]] = {}
    for name, sec in MODEL_ERROR_SECTIONS.items():
        if sec not in result:
            continue
        out[name] = {}
        for m in METHODS:
            out[name][m] = _fine_coarse(result[sec][m]["by_kind"], "robust_sigma")
    residual = {
        fam: _fine_coarse(result[sec]["csf"]["by_kind"], "robust_sigma_net_of_scatter")
        for fam, sec in CSF_SCATTER_SECTIONS.items()
        if sec in result
    }
    if residual:
        out["CSF_SCATTER_RESIDUAL"] = residual
    return out


def _fine_coarse(bk: dict[str, Any], key: str) -> list[float]:
    fine = (bk["co2m"][key] + bk["oco3_sam"][key]) / 2
    return [round(fine, 3), round(bk["tropomi"][key], 3)]
