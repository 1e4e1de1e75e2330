r"""Robust period-mean estimator for many sources at once (vectorised over groups).

Model (per group g = one source and period; corrected values x_k = y_k / f_k, the
overpass estimate divided by its profile factor):

.. math::

    x_k = \theta^\top b(t_k) + \varepsilon_k, \qquad
    \varepsilon_k / \sigma \sim t_\nu, \qquad
    \sigma^2 = \max(\bar r \mu, \tilde s)^2 + \tau^2 \mu^2,

with ``b = (1, cos 2 pi p, sin 2 pi p, cos 4 pi p, sin 4 pi p)`` (``p`` the phase of
``t_k`` in the period) when the period is sampled well enough for a seasonal curve, else
``b = (1)``; ``mu = theta_0``. The scale comes from the model, not from each estimate:
``r_bar`` is the source's median relative retrieval error ``median(s_k / |y_k|)`` (the
reported sigma grows with the estimate, so weighting each estimate by its own sigma
favours low estimates and biases the mean low), floored at ``s~``, the median reported
error of the corrected values ``median(s_k / f_k)`` (without the floor a source consistent
with zero, ``mu -> 0``, got a scale of zero and an interval of zero width: 32 overpasses of
0 +- 1e5 t/yr gave a total of 0 +- 2e-7), and ``tau`` is the day-to-day variability
the profile does not explain, estimated with the data (EM for the Student-t scale mixture)
under an inverse-gamma prior whose mode is ``(tau_0 mu)^2``.

* ``nu = 4`` (:data:`NU`): the Student-t with 4 degrees of freedom, the robust default of
  Lange, Little & Taylor (1989, JASA 84:881) -- finite variance, weight
  ``(nu + 1) / (nu + z^2)`` falls as ``1/z^2`` so a 1e7-fold outlier has no influence.
* harmonics carry a Gaussian (ridge) smoothness prior of relative amplitude
  :data:`HARMONIC_PRIOR` = 0.3: deviations of the true seasonal cycle from the profile's
  month factors are of the size of those factors' own spread (TNO GNFR A month factors
  0.8-1.2); with few overpasses the curve shrinks to the profile.
* the period mean is the curve integrated over the period with the profile:
  ``M = theta . g``, ``g_j = mean over the period's hours of f(t) b_j(t)``.
* variance: expected Fisher information of the t model,
  ``C = (nu + 3) / (nu + 1) (B^T B / sigma^2 + P)^-1``, ``var M = g^T C g``; the share
  ``(r_bar mu)^2 / sigma^2`` is the retrieval term, the rest the temporal-sampling term,
  inflated by the design effect of overpasses on the same day (same-day values share
  their day's deviation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["HARMONIC_PRIOR", "NU", "N_BASIS", "PRIOR_WEIGHT", "GroupFit", "fit_groups"]

#: Student-t degrees of freedom (Lange, Little & Taylor 1989).
NU: Final = 4.0
#: Prior 1-sigma of each harmonic coefficient relative to the mean.
HARMONIC_PRIOR: Final = 0.3
#: Pseudo-observations of the inverse-gamma prior on tau^2 (its shape alpha + 1).
PRIOR_WEIGHT: Final = 1.0
#: Basis size of the seasonal curve (constant + 2 harmonics).
N_BASIS: Final = 5
_MAX_ITER: Final = 100
_TOL: Final = 1e-9


@dataclass(frozen=True)
class GroupFit:
    """Per-group result of :func:`fit_groups` (arrays of length G unless noted)."""

    mean: NDArray[np.float64]
    var_retrieval: NDArray[np.float64]
    var_sampling: NDArray[np.float64]
    tau: NDArray[np.float64]
    n_eff: NDArray[np.float64]
    theta: NDArray[np.float64]  # (G, N_BASIS)
    weights: NDArray[np.float64]  # (n,), robust weights normalised to sum 1 per group
    scale: NDArray[np.float64]  # sigma per group


def basis(phase: NDArray[np.float64]) -> NDArray[np.float64]:
    """Seasonal basis ``(1, cos 2 pi p, sin 2 pi p, cos 4 pi p, sin 4 pi p)`` at phases ``p``."""
    w = 2.0 * np.pi * phase
    return np.stack([np.ones_like(w), np.cos(w), np.sin(w), np.cos(2 * w), np.sin(2 * w)], axis=-1)


def _gsum(gid: NDArray[np.int64], v: NDArray[np.float64], n_groups: int) -> NDArray[np.float64]:
    out: NDArray[np.float64] = np.bincount(gid, weights=v, minlength=n_groups).astype(np.float64)
    return out


def _gmat(
    gid: NDArray[np.int64],
    w: NDArray[np.float64],
    bb: NDArray[np.float64],
    n_groups: int,
    ncol: int,
) -> NDArray[np.float64]:
    """Per-group ``sum_k w_k b_k b_k^T`` over the first ``ncol`` basis columns (bincount)."""
    out = np.zeros((n_groups, N_BASIS, N_BASIS))
    for i in range(ncol):
        wi = w * bb[:, i]
        for j in range(i, ncol):
            out[:, i, j] = out[:, j, i] = np.bincount(
                gid, weights=wi * bb[:, j], minlength=n_groups
            )
    return out


def fit_groups(  # noqa: PLR0913, PLR0915 - the EM loop of the docstring, then the covariance
    gid: NDArray[np.int64],
    x: NDArray[np.float64],
    b: NDArray[np.float64],
    day: NDArray[np.int64],
    *,
    r_rel: NDArray[np.float64],
    tau0: NDArray[np.float64],
    seasonal: NDArray[np.bool_],
    g: NDArray[np.float64],
    sigma_floor: NDArray[np.float64] | None = None,
) -> GroupFit:
    """Fit the robust model of the module docstring to every group at once.

    Parameters
    ----------
    gid : ndarray of int, (n,)
        Group of each corrected value, 0..G-1, every group non-empty.
    x : ndarray, (n,)
        Profile-corrected overpass values.
    b : ndarray, (n, N_BASIS)
        Seasonal basis at each overpass.
    day : ndarray of int, (n,)
        Day key of each overpass (same-day overpasses share the key within a group).
    r_rel : ndarray, (G,)
        Median relative retrieval error per group.
    tau0 : ndarray, (G,)
        Prior mode of the unexplained relative variability per group.
    seasonal : ndarray of bool, (G,)
        Fit the harmonics (else the constant only).
    g : ndarray, (G, N_BASIS)
        Profile-weighted period means of the basis.
    sigma_floor : ndarray, (G,), optional
        ``s~``, the smallest retrieval scale per group (the median reported error of the
        corrected values); none when omitted.

    Returns
    -------
    GroupFit
    """
    n_groups = int(r_rel.size)
    bb = b * np.where(seasonal[gid], 1.0, 0.0)[:, None]
    bb[:, 0] = 1.0
    gg = np.where(seasonal[:, None], g, 0.0)
    gg[:, 0] = g[:, 0]
    floor2 = np.zeros(n_groups) if sigma_floor is None else np.asarray(sigma_floor, float) ** 2
    order = np.argsort(gid, kind="stable")
    starts = np.searchsorted(gid[order], np.arange(n_groups))
    mu = np.abs(np.array([np.median(s) for s in np.split(x[order], starts[1:])]))
    count = np.bincount(gid, minlength=n_groups).astype(float)
    tiny = 1e-12 * np.maximum(np.abs(x).max(initial=0.0), 1.0)
    mu = np.maximum(mu, tiny)
    theta = np.zeros((n_groups, N_BASIS))
    theta[:, 0] = mu
    th_tau = (tau0 * mu) ** 2
    ncol = N_BASIS if bool(seasonal.any()) else 1
    eye = np.eye(N_BASIS)
    for _ in range(_MAX_ITER):
        scale_mu = np.maximum(np.abs(theta[:, 0]), tiny)
        s2_ret = np.maximum((r_rel * scale_mu) ** 2, floor2)
        sig2 = s2_ret + th_tau
        r = x - np.einsum("ij,ij->i", bb, theta[gid])
        u = (NU + 1.0) / (NU + r * r / sig2[gid])
        w = u / sig2[gid]
        a = _gmat(gid, w, bb, n_groups, ncol)
        prior = np.where(seasonal, 1.0 / (HARMONIC_PRIOR * scale_mu) ** 2, 1.0)
        a += prior[:, None, None] * (eye - np.diag([1.0, 0, 0, 0, 0]))[None]
        rhs = np.zeros((n_groups, N_BASIS))
        for i in range(ncol):
            rhs[:, i] = _gsum(gid, w * x * bb[:, i], n_groups)
        new = np.linalg.solve(a, rhs[:, :, None])[:, :, 0]
        # EM step for tau^2 mu^2 with the inverse-gamma prior (mode (tau0 mu)^2)
        beta = PRIOR_WEIGHT * (tau0 * scale_mu) ** 2
        num = (
            0.5 * _gsum(gid, u * r * r / sig2[gid] ** 2, n_groups)
            + beta / np.maximum(th_tau, tiny**2) ** 2
        )
        den = 0.5 * count / sig2 + PRIOR_WEIGHT / np.maximum(th_tau, tiny**2)
        new_tau = th_tau * num / den
        change = np.max(np.abs(new - theta) / scale_mu[:, None], initial=0.0)
        change = max(
            change, float(np.max(np.abs(new_tau - th_tau) / np.maximum(sig2, tiny**2), initial=0.0))
        )
        theta, th_tau = np.asarray(new, dtype=np.float64), new_tau
        if change < _TOL:
            break
    scale_mu = np.maximum(np.abs(theta[:, 0]), tiny)
    s2_ret = np.maximum((r_rel * scale_mu) ** 2, floor2)
    sig2 = s2_ret + th_tau
    r = x - np.einsum("ij,ij->i", bb, theta[gid])
    u = (NU + 1.0) / (NU + r * r / sig2[gid])
    fisher = _gmat(gid, 1.0 / sig2[gid], bb, n_groups, ncol)
    prior = np.where(seasonal, 1.0 / (HARMONIC_PRIOR * scale_mu) ** 2, 1.0)
    fisher += prior[:, None, None] * (eye - np.diag([1.0, 0, 0, 0, 0]))[None]
    cov = (NU + 3.0) / (NU + 1.0) * np.linalg.inv(fisher)
    var_stat = np.einsum("gi,gij,gj->g", gg, cov, gg)
    mean = np.einsum("gi,gi->g", gg, theta)
    omega = u / _gsum(gid, u, n_groups)[gid]
    # design effect of same-day overpasses: sum over days of (sum of weights)^2 / sum of weights^2
    day_key = gid.astype(np.int64) * (int(day.max(initial=0)) + 1) + day
    _, inv = np.unique(day_key, return_inverse=True)
    day_w = np.bincount(inv, weights=omega).astype(np.float64)
    day_gid = np.zeros(day_w.size, dtype=np.int64)
    day_gid[inv] = gid
    sum_day2 = _gsum(day_gid, day_w**2, n_groups)
    sum_w2 = _gsum(gid, omega**2, n_groups)
    deff = sum_day2 / sum_w2
    phi = s2_ret / sig2
    return GroupFit(
        mean=mean,
        var_retrieval=phi * var_stat,
        var_sampling=(1.0 - phi) * var_stat * deff,
        tau=np.sqrt(th_tau) / scale_mu,
        n_eff=1.0 / sum_day2,
        theta=theta,
        weights=omega,
        scale=np.sqrt(sig2),
    )
