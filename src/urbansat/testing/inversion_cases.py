"""Seeded synthetic plume cases with known emissions, run through every inversion method.

The cases of ``benchmarks/bench_inversion.py`` (its ``synthetic*``, ``*_compact`` and
``*_cities`` sections), shared with the tests so that they need not import the benchmark:
:func:`run_case` (a point source, optionally released from a small disk) and
:func:`run_city_case` (an area source) return one row per method with the estimate, its
1-sigma terms and interval bounds [kg s-1] next to the truth.

>>> rows = run_case(0, wind_error=0.0, direction_error=0.0)
>>> sorted(r["method"] for r in rows)
['bayesian', 'csf', 'gaussian', 'ime']
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import xarray as xr

from urbansat.inversion import METHODS, UNCERTAINTY_TERMS, estimate_emissions
from urbansat.testing.plumes import make_plume_swath

__all__ = [
    "CITY_DIAMETER_KM",
    "CITY_EMISSION_KG_S",
    "CITY_HELDOUT_OFFSET",
    "CITY_RNG_BASE",
    "CITY_SEED_BASE",
    "COMPACT_DIAMETER_KM",
    "KINDS",
    "make_city_scene",
    "method_rows",
    "run_case",
    "run_city_case",
]

#: (swath geometry of :func:`urbansat.testing.plumes.make_plume_swath`, gas), cycled by seed
Geometry = Literal["tropomi", "oco2", "oco3_sam", "gosat", "co2m"]
Gas = Literal["co2", "ch4"]
KINDS: list[tuple[Geometry, Gas]] = [("co2m", "co2"), ("tropomi", "ch4"), ("oco3_sam", "co2")]

#: Compact sources (sections ``*_compact``): release-disk diameters [km] below the smallest
#: synthetic city, e.g. SMARTCARB's power plants listed with a 1 km diameter.
COMPACT_DIAMETER_KM = (1.0, 2.0, 4.0)
#: Synthetic cities (sections ``*_cities``): diameter range [km] per geometry. CO2M-like and
#: TROPOMI images are 220-280 km wide, so cities of 8-40 km fit with their plume; an OCO-3 SAM
#: target area is only about 80 x 64 km (5 sweeps), so its cities stay at <= 20 km.
CITY_DIAMETER_KM = {"co2m": (8.0, 40.0), "tropomi": (8.0, 40.0), "oco3_sam": (8.0, 20.0)}
#: City emission ranges [kg s-1], illustrative of the literature: CO2 5-40 Mt yr-1
#: (150-1300 kg s-1) spans SMARTCARB Berlin (23.4 Mt yr-1 at 2015-04-23 11 UTC; about
#: 20 Mt yr-1 at the CO2M overpass, Kuhlmann et al. 2020, AMT 13, 6733) and larger
#: megacities; CH4 10-60 kg s-1 (0.3-1.9 Tg yr-1) spans TROPOMI city totals (Maasakkers et al.
#: 2022, Sci. Adv. 8, eabn9683: Buenos Aires, Delhi, Lahore, Mumbai, with single landfills of
#: 3-29 t h-1 = 0.8-8 kg s-1; de Foy et al. 2023, ERL 18, 044004: 61 urban areas).
CITY_EMISSION_KG_S = {"co2": (150.0, 1300.0), "ch4": (10.0, 60.0)}
#: City cases draw their swath from ``make_plume_swath(seed=CITY_SEED_BASE + seed)`` and
#: their emission / diameter / noise from ``default_rng(CITY_RNG_BASE + seed)``: independent
#: of the point cases (which use ``seed`` and ``10_000 + seed``).
CITY_SEED_BASE = 1_000_000
CITY_RNG_BASE = 20_000
#: First seed of ``synthetic_cities_heldout``: seeds never used by the other city sections,
#: hence never by an area-source model error measured on ``model_error_cities`` seeds 0-99.
CITY_HELDOUT_OFFSET = 1000


def _draw_noise(rng: np.random.Generator, gas: str) -> float:
    """Draw the retrieval noise [ppm | ppb]: 0.5-1 ppm XCO2, 10-15 ppb XCH4 (issue 4)."""
    return float(rng.uniform(0.5, 1.0) if gas == "co2" else rng.uniform(10, 15))


def method_rows(
    sw: xr.Dataset, tr: dict[str, Any], *, seed: int, kind: str, truth: float, **extra: Any
) -> list[dict[str, Any]]:
    """Run every method on one synthetic swath; one row per method.

    ``extra`` (e.g. ``diameter_km``) is copied into every row. A row holds the estimate,
    ``sigma`` (total 1-sigma), ``sigma_<term>`` for every uncertainty term, the asymmetric
    bounds ``{lower,upper}_{1,2}``, ``model_error_fraction``, ``transport_scatter`` (CSF's
    measured transport term, NaN otherwise) and ``qa_reason`` [kg s-1].
    """
    rows = []
    out = estimate_emissions(sw, sources=tr["sources"], wind=tr["wind"], method="all")
    for m in METHODS:
        o = out.sel(inversion_method=m).isel(source=0)
        rows.append(
            {
                "seed": seed,
                "kind": kind,
                "method": m,
                **extra,
                "truth": truth,
                "wind_factor": tr["wind_factor"],
                "estimate": float(o.emission),
                "sigma": float(o.emission_uncertainty),
                "detected": bool(o.plume_detected),
                "qa_reason": str(o.qa_reason.values),
                "model_error_fraction": float(o.model_error_fraction),
                "transport_scatter": float(o.transport_scatter),
                **{
                    f"sigma_{t}": float(o["emission_uncertainty_term"].sel(term=t))
                    for t in UNCERTAINTY_TERMS
                },
                **{
                    f"{b}_{k}": float(o[f"emission_{b}_{k}sigma"])
                    for b in ("lower", "upper")
                    for k in (1, 2)
                },
            }
        )
    return rows


def run_case(
    seed: int,
    *,
    wind_error: float,
    direction_error: float,
    noise_scale: float = 1.0,
    background_structure: float | None = None,
    compact: bool = False,
) -> list[dict[str, Any]]:
    """One point-source case (CO2 800-3000, CH4 6-25 kg s-1) per method.

    ``background_structure`` [ppm|ppb]: amplitude of the smooth background structure
    (``make_plume_swath``'s default 0.2 ppm / 4 ppb when None; 0 = flat, for the model error).
    ``compact``: the same case released from a disk of :data:`COMPACT_DIAMETER_KM`
    (cycled per kind: seeds 0-2 at 1 km, 3-5 at 2 km, 6-8 at 4 km, ...), as a plant, mine
    or park listed with a diameter; rows then carry ``diameter_km``.
    """
    kind, gas = KINDS[seed % len(KINDS)]
    rng = np.random.default_rng(10_000 + seed)
    q = float(rng.uniform(800, 3000) if gas == "co2" else rng.uniform(6, 25))
    noise = _draw_noise(rng, gas) * noise_scale
    d_km = COMPACT_DIAMETER_KM[(seed // len(KINDS)) % len(COMPACT_DIAMETER_KM)] if compact else 0.0
    sw, tr = make_plume_swath(
        kind,
        gas=gas,
        emission=q,
        seed=seed,
        wind_error=wind_error,
        direction_error_deg=direction_error,
        noise=noise,
        background_structure=background_structure,
        diameter_km=d_km,
    )
    return method_rows(
        sw, tr, seed=seed, kind=kind, truth=q, **({"diameter_km": d_km} if compact else {})
    )


def make_city_scene(
    seed: int,
    *,
    wind_error: float,
    direction_error: float,
    noise_scale: float = 1.0,
    background_structure: float | None = None,
) -> tuple[xr.Dataset, dict[str, Any], str, float, float]:
    """Make the swath and truth of synthetic city ``seed`` (:func:`run_city_case`'s scene).

    Returns
    -------
    (Dataset, dict, str, float, float)
        The swath, ``make_plume_swath``'s truth dict, the kind, the emission [kg s-1] and
        the city's diameter [km]. ``background_structure=0`` gives the scene's
        flat-background twin: the same plume, noise draw and cloud mask.
    """
    kind, gas = KINDS[seed % len(KINDS)]
    rng = np.random.default_rng(CITY_RNG_BASE + seed)
    d_km = float(rng.uniform(*CITY_DIAMETER_KM[kind]))
    q = float(rng.uniform(*CITY_EMISSION_KG_S[gas]))
    noise = _draw_noise(rng, gas) * noise_scale
    sw, tr = make_plume_swath(
        kind,
        gas=gas,
        emission=q,
        seed=CITY_SEED_BASE + seed,
        diameter_km=d_km,
        wind_error=wind_error,
        direction_error_deg=direction_error,
        noise=noise,
        background_structure=background_structure,
    )
    return sw, tr, kind, q, d_km


def run_city_case(
    seed: int,
    *,
    wind_error: float,
    direction_error: float,
    noise_scale: float = 1.0,
    background_structure: float | None = None,
) -> list[dict[str, Any]]:
    """One synthetic city (an area source of 24 release points on a disk) per method.

    Kinds cycle as :data:`KINDS`; diameter from :data:`CITY_DIAMETER_KM`, emission from
    :data:`CITY_EMISSION_KG_S` (uniform), noise as for points, all drawn from
    ``default_rng(CITY_RNG_BASE + seed)``; rows carry ``diameter_km``.
    """
    sw, tr, kind, q, d_km = make_city_scene(
        seed,
        wind_error=wind_error,
        direction_error=direction_error,
        noise_scale=noise_scale,
        background_structure=background_structure,
    )
    return method_rows(sw, tr, seed=seed, kind=kind, truth=q, diameter_km=d_km)
