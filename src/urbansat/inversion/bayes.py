r"""Analytical Bayesian inversion (linear Gaussian, Rodgers 2000 ch. 2).

State ``x``: emissions [kg s-1] of sources / boundaries / grid cells, plus
background terms. Observations ``y``: column-mass enhancements [kg m-2]. With a
Jacobian ``K`` (sparse), a diagonal observation error ``S_o`` and a prior
``x_a`` with covariance ``S_a``:

.. math::

    \hat S = (K^T S_o^{-1} K + S_a^{-1})^{-1}, \quad
    \hat x = x_a + \hat S K^T S_o^{-1} (y - K x_a), \quad
    A = I - \hat S S_a^{-1}, \quad \mathrm{DOFS} = \mathrm{tr}(A).

(``\hat S K^T S_o^{-1}`` is the gain ``G``; it is never formed: with 1e5
observations and 1e3 state elements it would be a dense 1e8 matrix. Only
``K^T S_o^{-1} K`` (n_state^2) is built, from the sparse ``K``.)

The Jacobian of a source is the footprint-averaged Gaussian plume of
:mod:`urbansat.inversion.gaussian` for a unit emission, times the column
averaging-kernel sensitivity of each sounding. Area sources (cities, boundary
polygons) are sums of point plumes released at points sampled inside them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from urbansat.errors import InversionError
from urbansat.inversion.gaussian import plume_column
from urbansat.inversion.plume import PlumeFrame, plume_coordinates
from urbansat.inversion.result import MethodResult

__all__ = [
    "FLAT_PRIOR_SIGMA",
    "MIN_DOFS",
    "Posterior",
    "estimate_bayesian",
    "plume_jacobian",
    "solve_bayesian",
]

#: 1-sigma of the default flat (uninformative) prior of a source's emission [kg s-1].
FLAT_PRIOR_SIGMA = 1e4
#: Smallest averaging kernel (DOFS) of the target for an estimate under the flat prior: below
#: it the posterior is mostly that prior (a posterior sigma above 7e3 kg s-1), not a
#: measurement. With an inventory prior a lower DOFS is reported (the estimate leans on it).
MIN_DOFS = 0.5


@dataclass(frozen=True)
class Posterior:
    """Posterior of :func:`solve_bayesian`.

    Attributes
    ----------
    x_hat : (n,) ndarray
    S_hat : (n, n) ndarray
        Posterior covariance.
    A : (n, n) ndarray
        Averaging-kernel matrix ``I - S_hat S_a^-1``.
    dofs : float
        Degrees of freedom for signal, ``trace(A)``.
    chi2 : float
        ``(y - K x_hat)^T S_o^-1 (y - K x_hat)``.
    """

    x_hat: np.ndarray
    S_hat: np.ndarray
    A: np.ndarray
    dofs: float
    chi2: float


def solve_bayesian(
    y: np.ndarray,
    K: sp.spmatrix | np.ndarray,  # noqa: N803 - the Jacobian's name in Rodgers (2000)
    so_diag: np.ndarray,
    x_a: np.ndarray,
    S_a: np.ndarray,  # noqa: N803 - the prior covariance's name in Rodgers (2000)
) -> Posterior:
    """Solve the linear Gaussian inverse problem without dense observation-space matrices.

    Parameters
    ----------
    y : (m,) ndarray
        Observations.
    K : (m, n) sparse matrix or ndarray
        Jacobian.
    so_diag : (m,) ndarray
        Diagonal of ``S_o`` (variances, > 0).
    x_a : (n,) ndarray
        Prior mean.
    S_a : (n,) or (n, n) ndarray
        Prior variances (diagonal) or covariance.

    Returns
    -------
    Posterior

    Raises
    ------
    InversionError
        Shapes disagree, or a variance is not positive and finite.
    """
    y = np.asarray(y, float)
    so = np.asarray(so_diag, float)
    x_a = np.asarray(x_a, float)
    m, n = K.shape
    if y.shape != (m,) or so.shape != (m,) or x_a.shape != (n,):
        raise InversionError(
            f"Bayesian shapes disagree: K {K.shape}, y {y.shape}, S_o {so.shape}, x_a {x_a.shape}."
        )
    if not np.all(np.isfinite(so) & (so > 0)):
        raise InversionError(
            "observation variances S_o must be finite and > 0; check the noise level."
        )
    S_a = np.asarray(S_a, float)
    Sa_inv = np.diag(1.0 / S_a) if S_a.ndim == 1 else np.linalg.inv(S_a)
    Ks = sp.csr_matrix(K)
    KtSo = Ks.T.multiply(1.0 / so).tocsr()  # n x m, sparse
    H = np.asarray((KtSo @ Ks).todense()) + Sa_inv
    cho = scipy.linalg.cho_factor(H)
    S_hat = scipy.linalg.cho_solve(cho, np.eye(n))
    resid_a = y - Ks @ x_a
    x_hat = x_a + S_hat @ np.asarray(KtSo @ resid_a).ravel()
    A = np.eye(n) - S_hat @ Sa_inv
    r = y - Ks @ x_hat
    return Posterior(
        x_hat=x_hat, S_hat=S_hat, A=A, dofs=float(np.trace(A)), chi2=float(np.sum(r * r / so))
    )


def plume_jacobian(  # noqa: PLR0913 - plume geometry, wind and sensitivity are all inputs
    xs: np.ndarray,
    ys: np.ndarray,
    emit_x: np.ndarray,
    emit_y: np.ndarray,
    *,
    theta: float,
    speed: float,
    a: float,
    r0: float = 0.0,
    sensitivity: np.ndarray | None = None,
    threshold: float = 1e-4,
) -> np.ndarray:
    """One Jacobian column [kg m-2 per kg s-1]: footprint-averaged plume of a unit emission.

    Parameters
    ----------
    xs, ys : (m, p) ndarray
        Footprint sub-points of the soundings [m] east/north of a reference.
    emit_x, emit_y : (e,) ndarray
        Release points [m]; the emission is split equally between them.
    theta, speed, a, r0 :
        Plume direction [rad], wind [m s-1], spread rate, source radius of each release [m].
    sensitivity : (m,) ndarray, optional
        Averaging-kernel sensitivity.
    threshold : float, default 1e-4
        Values below ``threshold * max`` are set to 0 (sparsity).
    """
    col = np.zeros(xs.shape[0])
    for ex, ey in zip(np.atleast_1d(emit_x), np.atleast_1d(emit_y), strict=True):
        s, n = plume_coordinates(xs - ex, ys - ey, theta)
        col += plume_column(s, n, q=1.0, speed=speed, a=a, r0=r0).mean(-1)
    col /= max(np.atleast_1d(emit_x).size, 1)
    if sensitivity is not None:
        col *= sensitivity
    if col.size and col.max() > 0:
        col[col < threshold * col.max()] = 0.0
    return col


def estimate_bayesian(
    frame: PlumeFrame,
    *,
    others: list[tuple[float, float, float, float]] | None = None,
    prior: float = 0.0,
    prior_sigma: float = FLAT_PRIOR_SIGMA,
    dispersion: float = 0.25,
    release_points: tuple[np.ndarray, np.ndarray] | None = None,
    min_pixels: int = 8,
    cell_km: float | None = None,
) -> MethodResult:
    """Bayesian estimate of one source with its neighbours and the background in the state.

    State: ``[Q_target (or its grid cells), Q_other_1..k, b0, b_x, b_y]`` (background offset and
    gradient of the residual enhancement, kg m-2 and kg m-2 per 100 km).

    Parameters
    ----------
    frame : PlumeFrame
    others : list of (x [m], y [m], prior [kg s-1], prior_sigma [kg s-1]), optional
        Other sources inside the window (their plumes overlap the target's).
    prior, prior_sigma : float
        Prior emission of the target and its 1-sigma [kg s-1]. The default (0 +- 1e4
        kg s-1) is a flat, uninformative guess.
    dispersion : float, default 0.25
        Lateral spread rate ``a`` of the plume model (the Gaussian fit's value is
        passed when that method ran).
    release_points : (x, y) arrays, optional
        Release points for an area source (polygon samples); a disk when None.
    min_pixels : int, default 8
    cell_km : float, optional
        With ``release_points``: one state element per ``cell_km`` grid cell of the area
        source (prior total split evenly); the reported emission is the sum of the cells,
        its variance ``1^T S_hat 1`` over the cell block, and ``averaging_kernel`` the trace of
        that block (the DOFS of the source).

    Returns
    -------
    MethodResult
        ``details``: ``dofs`` (total), ``averaging_kernel`` of the target, ``chi2_red``.
    """
    sc = frame.scene
    sel = sc.valid & np.isfinite(frame.dv)
    m = int(sel.sum())
    if m < min_pixels:
        return MethodResult.rejected(
            f"only {m} valid soundings in the window (need {min_pixels})", m
        )
    xs, ys = sc.xs[sel], sc.ys[sel]
    sens = sc.sensitivity[sel]
    if release_points is None:
        ex, ey = np.array([0.0]), np.array([0.0])
        r0 = frame.r0
    else:
        ex, ey = release_points
        r0 = max(sc.pixel_km * 1e3 / 2, 250.0)
    if cell_km and release_points is not None:
        # state: one emission per grid cell of the area source; the source total is their sum
        key = np.floor(ex / (cell_km * 1e3)).astype(np.int64) * 100003 + np.floor(
            ey / (cell_km * 1e3)
        ).astype(np.int64)
        groups = [np.flatnonzero(key == k) for k in np.unique(key)]
    else:
        groups = [np.arange(np.size(ex))]
    n_t = len(groups)
    cols = [
        plume_jacobian(
            xs,
            ys,
            np.atleast_1d(ex)[g],
            np.atleast_1d(ey)[g],
            theta=frame.theta,
            speed=frame.speed,
            a=dispersion,
            r0=r0,
            sensitivity=sens,
        )
        for g in groups
    ]
    # the prior of the total is split between the cells: mean prior/n, sigma prior_sigma/sqrt(n)
    xa = [prior / n_t] * n_t
    sa = [prior_sigma**2 / n_t] * n_t
    for ox, oy, opr, osg in others or []:
        cols.append(
            plume_jacobian(
                xs,
                ys,
                np.array([ox]),
                np.array([oy]),
                theta=frame.theta,
                speed=frame.speed,
                a=dispersion,
                sensitivity=sens,
            )
        )
        xa.append(opr)
        sa.append(osg**2)
    if not any(np.any(c > 0) for c in cols[:n_t]):
        return MethodResult.rejected(
            "no valid sounding lies in the modelled plume of the source", m
        )
    kscale = frame.k_mean
    x100, y100 = sc.x[sel] / 1e5, sc.y[sel] / 1e5
    cols += [np.ones(m) * kscale, x100 * kscale, y100 * kscale]
    xa += [0.0, 0.0, 0.0]
    big = 10.0 * (frame.background_structure + frame.background_sigma + 1e-3)
    sa += [big**2, big**2, big**2]
    K = sp.csr_matrix(np.column_stack(cols))
    so = frame.dv_sigma[sel] ** 2
    post = solve_bayesian(frame.dv[sel], K, so, np.asarray(xa), np.asarray(sa))
    red = post.chi2 / max(m - K.shape[1], 1)
    total = float(post.x_hat[:n_t].sum())
    var_total = float(post.S_hat[:n_t, :n_t].sum())
    dofs_target = float(np.trace(post.A[:n_t, :n_t]))
    # with an inventory prior a low DOFS is an answer (the inventory, weighed by the data);
    # with the flat default it is the arbitrary 0 +- 1e4 kg s-1 of the prior itself
    if dofs_target < MIN_DOFS and prior_sigma >= FLAT_PRIOR_SIGMA:
        return MethodResult.rejected(
            f"the soundings do not constrain the emission (averaging kernel {dofs_target:.2g} "
            f"< {MIN_DOFS}): the posterior is the prior; the plume model puts no signal on "
            "valid soundings",
            m,
        )
    sig = float(np.sqrt(var_total * max(red, 1.0)))
    pix = sc.pixel_km * 1e3
    # the background term is measured on the fit's own band (the default one), not on the
    # IME/CSF band of half_width_km, which the fit does not use
    hw = frame.fit_band_half_width
    band_area = (2 * frame.r0 + frame.length + 2 * pix) * 2 * hw
    dq_db = frame.speed * frame.k_mean * band_area / (frame.r0 + frame.length)
    return MethodResult(
        emission=total,
        retrieval=sig,
        dq_db=dq_db,
        n_obs=m,
        details={
            "dofs": post.dofs,
            "averaging_kernel": float(np.trace(post.A[:n_t, :n_t])),
            "n_cells": n_t,
            "cell_emissions": post.x_hat[:n_t].tolist(),
            "chi2_red": red,
            "prior": prior,
            "prior_sigma": prior_sigma,
            "dispersion": dispersion,
        },
    )
