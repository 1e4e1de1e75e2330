"""Measured relative model error of each inversion method (the ``model`` term of the budget).

The tables are derived by ``benchmarks/bench_inversion.py`` (``derive_model_error``); see
:mod:`urbansat.inversion.estimate` for how the term enters the uncertainty budget.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "AREA_SOURCE_MIN_DIAMETER_KM",
    "CSF_SCATTER_RESIDUAL",
    "MODEL_ERROR",
    "MODEL_ERROR_AREA",
    "MODEL_ERROR_COMPACT",
    "model_error",
]

#: Relative model error of each method [1 sigma, fraction of Q] for fine (<= 2 km) and
#: coarse (>= 6.2 km, TROPOMI) footprints; linear in the footprint size in between. It is
#: the method's own error with perfect data, wind AND background: the robust sigma
#: 1.4826 * median(abs(relative error)) over the synthetic ensemble of
#: benchmarks/bench_inversion.py (section "model_error", seeds 0-99: noise 1e-3 of nominal,
#: true wind, flat background; fine = mean of CO2M-like 2 km and OCO-3 SAM, coarse = TROPOMI
#: 5.5 x 7 km), where the truth has Briggs B-D dispersion, puffs and meander that the
#: fitted models do not contain. The recorded run derives these tables itself
#: (``derive_model_error``, key ``model_error_derived`` of benchmarks/results/inversion.json)
#: and tests/benchmarks/test_recorded_inversion_results.py checks that they agree. Measured
#: 2026-12-02 (CO2M / SAM / TROPOMI): IME 0.025/0.050/0.063, CSF 0.026/0.029/0.071,
#: Gaussian 0.038/0.030/0.062, Bayesian the same (with a flat prior and no neighbours it
#: equals the Gaussian fit at the fitted dispersion). Seeds 100-299 (the held-out and fresh
#: coverage sections) are not used. (Until 2026-12-02 the tables came from seeds 0-59 only,
#: e.g. Gaussian TROPOMI 0.038: about 20 cases per geometry, too few for a robust sigma.)
#: IME remeasured 2026-12-05 with its partial-coverage correction of 2026-12-04 (ime.py; the
#: run of that day had not refreshed the old generator's sections): (0.035, 0.054), before
#: (0.037, 0.063); compact sources (0.031, 0.093), before (0.038, 0.098); cities
#: (0.241, 0.051), before (0.287, 0.060).
MODEL_ERROR: dict[str, tuple[float, float]] = {
    "ime": (0.035, 0.054),
    "csf": (0.028, 0.071),
    "gaussian": (0.034, 0.062),
    "bayesian": (0.034, 0.062),
}

#: Relative model error of area sources (cities, boundaries: source radius r0 > 0), fine /
#: coarse as :data:`MODEL_ERROR`, measured the same way on the synthetic cities (section
#: "model_error_cities", seeds 0-99: 24 release points on a disk of 8-40 km, SAM 8-20 km;
#: CO2 150-1300, CH4 10-60 kg s-1; flat background), 2026-12-02 (CO2M / SAM / TROPOMI): IME
#: 0.255/0.320/0.060, CSF 0.228/0.199/0.047, Gaussian and Bayesian 0.115/0.068/0.041. The
#: band, transects and fitted plume assume a compact source, so a wide city on fine
#: footprints is fitted worse than a point; on coarse footprints a wide plume loses less to
#: footprint averaging than a point plume. Held-out cities: seeds 1000-1099. CSF remeasured
#: 2026-12-04 after its area variant dropped the transect offset and combines the transects
#: by a coverage-weighted robust mean (csf.py): 0.169/0.128/0.029 (before: 0.228/0.199/0.047);
#: and 2026-12-07 after the transects are weighted by the plume's detected extent
#: (csf.extent_taper): 0.168/0.111/0.029.
MODEL_ERROR_AREA: dict[str, tuple[float, float]] = {
    "ime": (0.241, 0.051),
    "csf": (0.140, 0.029),
    "gaussian": (0.092, 0.041),
    "bayesian": (0.092, 0.041),
}


#: Relative model error of compact sources listed with a diameter below
#: :data:`AREA_SOURCE_MIN_DIAMETER_KM` (a plant, mine or park, e.g. SMARTCARB's power plants
#: at 1 km), fine / coarse as :data:`MODEL_ERROR`, measured the same way on the point cases
#: released from 1, 2 and 4 km disks (section "model_error_compact", seeds 0-99), 2026-12-02
#: (CO2M / SAM / TROPOMI): IME 0.028/0.049/0.098, CSF 0.021/0.037/0.141, Gaussian and
#: Bayesian 0.072/0.080/0.098. Neither the point value (which understates it for the plume
#: fits) nor the city value (IME 0.241 on fine footprints) describes such a source.
MODEL_ERROR_COMPACT: dict[str, tuple[float, float]] = {
    "ime": (0.031, 0.093),
    "csf": (0.029, 0.141),
    "gaussian": (0.076, 0.098),
    "bayesian": (0.076, 0.098),
}

#: CSF's model error that its measured transport scatter does not contain [1 sigma, fraction
#: of Q], fine / coarse as :data:`MODEL_ERROR`, for points and compact sources with >= 3
#: transects (csf.py, ``transport_scatter``; the budget's model term is then
#: ``hypot(f Q, sigma_T)``). Derived on the same noise-free cases as :data:`MODEL_ERROR` and
#: :data:`MODEL_ERROR_COMPACT` (seeds 0-99) as the ``f`` that makes the robust spread of
#: ``z = (Q - Q_true) / hypot(f Q, sigma_T)`` one: ``median(|z|) = 0.6745``, 0 when the
#: scatter alone already gives ``median(|z|) <= 0.6745`` (``derive_model_error``). Measured
#: 2026-12-06 (CO2M / SAM / TROPOMI, median ``sigma_T / Q`` in brackets): points 0/0/0 (0.039,
#: 0.040, 0.072; robust sigma of the error 0.026, 0.029, 0.071), compact sources 0/0/0.018
#: (0.030, 0.037, 0.131; 0.021, 0.037, 0.141): on those cases the scatter measures the
#: whole model error.
CSF_SCATTER_RESIDUAL: dict[str, tuple[float, float]] = {
    "point": (0.0, 0.0),
    "compact": (0.0, 0.018),
}

#: Smallest source diameter [km] treated as an area source (:data:`MODEL_ERROR_AREA`): the
#: smallest synthetic city on which that error was measured.
AREA_SOURCE_MIN_DIAMETER_KM = 8.0


def model_error(
    method: str, pixel_km: float, r0: float = 0.0, *, scatter_measured: bool = False
) -> float:
    """Relative 1-sigma model error of ``method`` for footprints of ``pixel_km``.

    Parameters
    ----------
    method : {"ime", "csf", "gaussian", "bayesian"}
    pixel_km : float
        Footprint size [km].
    r0 : float, default 0
        Source radius [m]: points (``r0 = 0``) use :data:`MODEL_ERROR`, compact sources
        (``0 < 2 r0 <`` :data:`AREA_SOURCE_MIN_DIAMETER_KM`) :data:`MODEL_ERROR_COMPACT`,
        area sources (cities, boundaries) :data:`MODEL_ERROR_AREA`.
    scatter_measured : bool, default False
        CSF measured its transport scatter on this scene (points and compact sources with
        >= 3 transects): the residual :data:`CSF_SCATTER_RESIDUAL` replaces the table.

    Returns
    -------
    float
        ``f = f_fine + w (f_coarse - f_fine)``, ``w = clip((pixel_km - 2) / (6.2 - 2), 0, 1)``
        [1, fraction of Q].
    """
    area = r0 > 0 and 2 * r0 >= AREA_SOURCE_MIN_DIAMETER_KM * 1e3
    if scatter_measured and method == "csf" and not area:
        fine, coarse = CSF_SCATTER_RESIDUAL["point" if r0 <= 0 else "compact"]
    elif r0 <= 0:
        fine, coarse = MODEL_ERROR[method]
    elif not area:
        fine, coarse = MODEL_ERROR_COMPACT[method]
    else:
        fine, coarse = MODEL_ERROR_AREA[method]
    w = float(np.clip((pixel_km - 2.0) / (6.2 - 2.0), 0.0, 1.0))
    return fine + w * (coarse - fine)
