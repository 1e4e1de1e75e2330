"""Analytical Bayesian solver: exact algebra, large sparse problems."""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from urbansat.inversion.bayes import solve_bayesian


def test_matches_dense_formulas():
    rng = np.random.default_rng(0)
    m, n = 60, 5
    K = rng.normal(size=(m, n))
    so = rng.uniform(0.5, 2.0, m)
    xa = rng.normal(size=n)
    sa = rng.uniform(0.5, 3.0, n)
    y = rng.normal(size=m)
    post = solve_bayesian(y, sp.csr_matrix(K), so, xa, sa)
    So_i = np.diag(1 / so)
    Sa_i = np.diag(1 / sa)
    S = np.linalg.inv(K.T @ So_i @ K + Sa_i)
    G = S @ K.T @ So_i
    np.testing.assert_allclose(post.S_hat, S, rtol=1e-10)
    np.testing.assert_allclose(post.x_hat, xa + G @ (y - K @ xa), rtol=1e-10)
    np.testing.assert_allclose(post.A, G @ K, atol=1e-10)  # A = I - S Sa^-1 = G K
    assert post.dofs == np.trace(G @ K)


def test_1e5_obs_by_1e3_state_sparse_recovers_truth():
    rng = np.random.default_rng(1)
    m, n = 100_000, 1_000
    # each observation sees 3 state elements (a local footprint): 3e5 non-zeros
    rows = np.repeat(np.arange(m), 3)
    cols = (np.arange(m)[:, None] * n // m + np.array([0, 1, 2])[None, :]).ravel() % n
    K = sp.csr_matrix((rng.uniform(0.1, 1.0, rows.size), (rows, cols)), shape=(m, n))
    x_true = rng.uniform(1, 10, n)
    noise = 0.5
    y = K @ x_true + rng.normal(0, noise, m)
    t0 = time.perf_counter()
    post = solve_bayesian(y, K, np.full(m, noise**2), np.full(n, 5.0), np.full(n, 100.0))
    took = time.perf_counter() - t0
    assert took < 20.0
    z = (post.x_hat - x_true) / np.sqrt(np.diag(post.S_hat))
    # posterior errors are consistent with the posterior covariance
    assert 0.6 < np.mean(np.abs(z) < 1) < 0.76
    assert np.mean(np.abs(z) < 2) > 0.9
    assert 0.9 * n < post.dofs <= n
