"""CSF's transport scatter term (issue 16 item 2): oracle tests of ``transport_scatter``.

The transect fluxes of a plume are ``F_k = Q + T_k + e_k``: a transport part ``T_k`` (meander,
turning wind, puffs; correlated between neighbouring transects) and retrieval noise ``e_k``
with the stated ``sigma_k``. ``transport_scatter`` must return the 1-sigma error that ``T``
puts into the inverse-variance mean, so that, beside the retrieval sigma, it covers the
mean's error as often as a 1-sigma interval claims; with no transport it must not count the
noise twice (the retrieval term already has it).
"""

from __future__ import annotations

import numpy as np
import pytest

from urbansat.inversion import CSF_SCATTER_RESIDUAL, MODEL_ERROR, model_error
from urbansat.inversion.csf import transport_scatter


def _ar1(rng: np.random.Generator, n: int, tau: float, rho: float) -> np.ndarray:
    """Stationary AR(1) series of standard deviation ``tau`` and lag-1 correlation ``rho``."""
    t = np.empty(n)
    t[0] = rng.normal(0, tau)
    for k in range(1, n):
        t[k] = rho * t[k - 1] + rng.normal(0, tau * np.sqrt(1 - rho**2))
    return t


def _draws(n: int, tau: float, rho: float, noise: float, n_draws: int = 1500, seed: int = 0):
    rng = np.random.default_rng(seed)
    sig_t, err, sig_q = [], [], noise / np.sqrt(n)
    for _ in range(n_draws):
        f = 100.0 + _ar1(rng, n, tau, rho) + rng.normal(0, noise, n)
        sig_t.append(transport_scatter(f, sig_q)[0])
        err.append(f.mean() - 100.0)
    return np.array(sig_t), np.array(err), sig_q


def test_fewer_than_three_transects_are_not_measurable():
    assert np.isnan(transport_scatter(np.array([1.0, 2.0]), 0.1)[0])
    assert np.isnan(transport_scatter(np.array([1.0]), 0.1)[1])


def test_scatter_within_the_noise_gives_no_transport_term():
    # identical fluxes, or a spread the retrieval noise explains: zero, not the noise again
    assert transport_scatter(np.full(8, 50.0), 1.0) == (0.0, 0.0)
    f = 50.0 + np.array([0.5, -0.5, 0.3, -0.3, 0.1, -0.1])
    assert transport_scatter(f, 1.0)[0] == 0.0


def test_uncorrelated_transport_is_its_standard_error():
    # independent transport draws (rho = 0): sigma_T ~ tau / sqrt(n), noise taken out
    n, tau, noise = 20, 10.0, 5.0
    sig_t, _, _ = _draws(n, tau, 0.0, noise)
    assert np.median(sig_t) == pytest.approx(tau / np.sqrt(n), rel=0.15)


@pytest.mark.parametrize(("rho", "lowest"), [(0.0, 0.62), (0.6, 0.54)])
def test_the_term_covers_the_mean_error_as_claimed(rho, lowest):
    # the error of the mean (transport + noise) inside hypot(sigma_T, sigma_Q) about 68 % of
    # the time; without the term (retrieval sigma alone) far less. Measured (1500 draws):
    # rho = 0: 0.71 (0.35 without); rho = 0.6: 0.59 (0.19 without): the lag-1 correlation
    # estimated from 20 transects is biased low (E r ~ rho - (1 + 4 rho) / n, Kendall 1954,
    # Biometrika 41, 403), so strongly correlated transport is covered somewhat less
    n, tau, noise = 20, 10.0, 5.0
    sig_t, err, sig_q = _draws(n, tau, rho, noise, seed=1 + int(10 * rho))
    cov = np.mean(np.abs(err) <= np.hypot(sig_t, sig_q))
    cov_without = np.mean(np.abs(err) <= sig_q)
    assert lowest <= cov <= 0.78, cov
    assert cov_without < 0.40, cov_without


def test_correlated_transport_has_fewer_independent_transects():
    # the same tau with neighbouring transects correlated: a larger error of the mean, and
    # the term grows with it (n_eff = n (1 - rho) / (1 + rho))
    n, tau, noise = 20, 10.0, 2.0
    s0, e0, _ = _draws(n, tau, 0.0, noise, seed=3)
    s6, e6, _ = _draws(n, tau, 0.6, noise, seed=4)
    assert np.std(e6) > 1.5 * np.std(e0)
    assert np.median(s6) > 1.4 * np.median(s0)


def test_model_error_uses_the_residual_table_only_where_the_scatter_was_measured():
    fine, coarse = MODEL_ERROR["csf"]
    assert model_error("csf", 2.0) == fine
    assert model_error("csf", 6.2) == coarse
    assert model_error("csf", 2.0, scatter_measured=True) == CSF_SCATTER_RESIDUAL["point"][0]
    assert model_error("csf", 6.2, r0=1000.0, scatter_measured=True) == pytest.approx(
        CSF_SCATTER_RESIDUAL["compact"][1]
    )
    # cities keep their table; other methods ignore the flag
    assert model_error("csf", 2.0, r0=10e3, scatter_measured=True) == model_error(
        "csf", 2.0, r0=10e3
    )
    assert model_error("ime", 2.0, scatter_measured=True) == MODEL_ERROR["ime"][0]


def test_estimate_reports_the_term_for_points_and_not_for_cities():
    from urbansat.inversion import estimate_emissions
    from urbansat.testing.plumes import make_plume_swath

    def run(diameter_km: float):
        sw, tr = make_plume_swath(
            "co2m", gas="co2", emission=700.0, seed=5, diameter_km=diameter_km
        )
        out = estimate_emissions(sw, sources=tr["sources"], wind=tr["wind"], method="csf")
        return out.isel(source=0)

    point, city = run(0.0), run(20.0)
    assert point.transport_scatter.attrs["units"] == "kg s-1"
    scatter = float(point.transport_scatter)
    assert np.isfinite(scatter) and scatter >= 0
    # the model term is the scatter beside the residual table (0 for fine points)
    assert float(point.model_error_fraction) == CSF_SCATTER_RESIDUAL["point"][0]
    model = float(point.emission_uncertainty_term.sel(term="model"))
    f_q = float(point.model_error_fraction) * abs(float(point.emission))
    # plus the plume mass the transects may miss (csf.py, "Partial transects"): on this
    # complete swath only the coverage model's discretisation, C > 0.986
    base = float(np.hypot(f_q, scatter))
    assert base - 1e-9 <= model <= float(np.hypot(base, 0.015 * abs(float(point.emission))))
    # a city: not measured (robust combine), the area table applies
    assert np.isnan(float(city.transport_scatter))
    assert float(city.model_error_fraction) == pytest.approx(model_error("csf", 2.0, r0=10e3))
