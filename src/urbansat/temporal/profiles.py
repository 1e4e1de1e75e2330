r"""Temporal emission profiles: hour-of-day, day-of-week and month-of-year factors.

A profile gives the emission at local time ``t`` relative to the period mean as the
product of three factors,

.. math:: f(t) = H[h(t)] \, D[d(t)] \, M[m(t)],

with ``h`` the local hour (factor of the hour ``[h, h+1)``), ``d`` the local weekday
(0 = Monday) and ``m`` the local month (1 = January). Each factor set averages 1 (the
published convention); :func:`urbansat.temporal.period_totals` renormalises the product
so that its mean over the hours of each period is exactly 1.

Built-in profiles live in ``urbansat/data/profiles/tno_gnfr_v1.csv`` (factor-table style:
``source``, ``table``, ``tag`` and a 1-sigma ``uncertainty`` for every number); see
``docs/period_totals.md`` and ``data/profiles/_generate.py`` for the references and the
uncertainty convention.

Local time is solar time from the source's longitude (UTC + longitude / 15 h) unless a
named IANA time zone is given (civil time with daylight saving, via :mod:`zoneinfo`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from urbansat.errors import FactorError, InputFileError

__all__ = [
    "BUILTIN_TABLE",
    "KIND_LENGTH",
    "TemporalProfile",
    "get_profile",
    "list_profiles",
    "local_calendar",
    "read_profile_table",
]

#: Number of factors per kind and the first index of each kind.
KIND_LENGTH: Final[dict[str, int]] = {"hour": 24, "weekday": 7, "month": 12}
_KIND_START: Final[dict[str, int]] = {"hour": 0, "weekday": 0, "month": 1}

#: File name of the built-in table inside ``urbansat/data/profiles``.
BUILTIN_TABLE: Final = "tno_gnfr_v1.csv"

#: Tolerance on the mean of a user's factor set (|mean - 1| <= tol); the published TNO
#: tables are given to two decimals, so their means are 1 to within 0.005.
MEAN_TOLERANCE: Final = 0.01

_NS_PER_HOUR: Final = 3_600_000_000_000
_NS_PER_DAY: Final = 24 * _NS_PER_HOUR


@dataclass(frozen=True)
class TemporalProfile:
    """Hour-of-day, day-of-week and month-of-year factors with their 1-sigma uncertainties.

    Parameters
    ----------
    name : str
        Profile name (``public_power``...).
    hour, weekday, month : ndarray
        Factors, lengths 24, 7 and 12, each averaging 1.
    hour_uncertainty, weekday_uncertainty, month_uncertainty : ndarray
        1-sigma absolute uncertainty of each factor (same lengths).
    source : str
        Reference of the factor values.
    """

    name: str
    hour: NDArray[np.float64]
    weekday: NDArray[np.float64]
    month: NDArray[np.float64]
    hour_uncertainty: NDArray[np.float64]
    weekday_uncertainty: NDArray[np.float64]
    month_uncertainty: NDArray[np.float64]
    source: str = ""

    def factors(self, kind: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return ``(values, uncertainties)`` of one kind (``hour``, ``weekday``, ``month``)."""
        return getattr(self, kind), getattr(self, f"{kind}_uncertainty")

    @property
    def is_flat(self) -> bool:
        """True when every factor is 1 (local time then does not matter)."""
        return all(bool(np.all(getattr(self, k) == 1.0)) for k in KIND_LENGTH)


def _builtin_frame() -> pd.DataFrame:
    ref = resources.files("urbansat").joinpath("data/profiles/" + BUILTIN_TABLE)
    with resources.as_file(ref) as p:
        df = pd.read_csv(p, comment="#")
    df.attrs["name"] = BUILTIN_TABLE
    return df


_CACHE: dict[str, dict[str, TemporalProfile]] = {}


def _builtins() -> dict[str, TemporalProfile]:
    if "builtin" not in _CACHE:
        _CACHE["builtin"] = _profiles_from_frame(
            _builtin_frame(), what=f"built-in table {BUILTIN_TABLE}"
        )
    return _CACHE["builtin"]


def list_profiles() -> list[str]:
    """Names of the built-in profiles.

    Returns
    -------
    list of str
        Sorted profile names of ``tno_gnfr_v1.csv``.
    """
    return sorted(_builtins())


def read_profile_table(path: str | os.PathLike[str]) -> dict[str, TemporalProfile]:
    """Read a user profile table (CSV, ``#`` comments allowed).

    Parameters
    ----------
    path : path-like
        Long table with columns ``profile, kind, index, value`` and optionally
        ``uncertainty`` (1 sigma, absolute; 0 when absent) and ``source``. ``kind`` is
        ``hour`` (index 0-23), ``weekday`` (0 = Monday ... 6) or ``month`` (1-12). A kind
        left out is flat.

    Returns
    -------
    dict
        Profile name -> :class:`TemporalProfile`.

    Raises
    ------
    InputFileError
        The file does not exist or is not a CSV.
    FactorError
        A column is missing, a kind has the wrong number of factors, or a factor set does
        not average to 1.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(
            f"profile table {str(p)!r} does not exist; give a CSV with columns profile, kind, "
            "index, value[, uncertainty]."
        )
    try:
        df = pd.read_csv(p, comment="#", skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"profile table {str(p)!r} is not a readable CSV: {exc}.") from exc
    return _profiles_from_frame(df, what=f"profile table {str(p)!r}")


def _profiles_from_frame(df: pd.DataFrame, *, what: str) -> dict[str, TemporalProfile]:
    df = df.rename(columns=lambda c: str(c).strip())
    missing = [c for c in ("profile", "kind", "index", "value") if c not in df.columns]
    if missing:
        raise FactorError(
            f"{what} lacks column(s) {missing}; a profile table has columns profile, kind "
            f"(hour|weekday|month), index, value[, uncertainty, source]. Found {list(df.columns)}."
        )
    bad_kind = sorted(set(map(str, df["kind"])) - set(KIND_LENGTH))
    if bad_kind:
        raise FactorError(
            f"{what} has kind(s) {bad_kind}; use hour (index 0-23), weekday (0 = Monday .. 6) "
            "or month (1-12)."
        )
    out: dict[str, TemporalProfile] = {}
    for name, g in df.groupby("profile", sort=False):
        arrays: dict[str, Any] = {}
        sources = sorted({str(s) for s in g["source"]}) if "source" in g else []
        for kind, n in KIND_LENGTH.items():
            k = g[g["kind"].astype(str) == kind]
            if k.empty:
                arrays[kind] = np.ones(n)
                arrays[f"{kind}_uncertainty"] = np.zeros(n)
                continue
            start = _KIND_START[kind]
            idx = pd.to_numeric(k["index"], errors="coerce").to_numpy()
            want = np.arange(start, start + n)
            if len(k) != n or not np.array_equal(np.sort(idx), want):
                raise FactorError(
                    f"{what}: profile {name!r} has {len(k)} {kind} factor(s) with index "
                    f"{sorted(idx.tolist())[:6]}...; give exactly {n}, "
                    f"index {start}..{start + n - 1}."
                )
            order = np.argsort(idx)
            vals = pd.to_numeric(k["value"], errors="coerce").to_numpy(dtype=float)[order]
            unc = (
                pd.to_numeric(k["uncertainty"], errors="coerce").to_numpy(dtype=float)[order]
                if "uncertainty" in k
                else np.zeros(n)
            )
            if not np.all(np.isfinite(vals)) or np.any(vals < 0):
                raise FactorError(
                    f"{what}: profile {name!r} {kind} factors must be finite and >= 0; got "
                    f"{vals.tolist()}."
                )
            if not np.all(np.isfinite(unc)) or np.any(unc < 0):
                raise FactorError(
                    f"{what}: profile {name!r} {kind} uncertainties must be finite and >= 0; got "
                    f"{unc.tolist()}."
                )
            mean = float(vals.mean())
            if abs(mean - 1.0) > MEAN_TOLERANCE:
                raise FactorError(
                    f"{what}: profile {name!r} {kind} factors average {mean:.4f}, not 1 (tolerance "
                    f"{MEAN_TOLERANCE}); divide them by their mean (factors are relative to the "
                    "mean emission)."
                )
            arrays[kind] = vals / mean
            arrays[f"{kind}_uncertainty"] = unc / mean
        out[str(name)] = TemporalProfile(name=str(name), source="; ".join(sources), **arrays)
    if not out:
        raise FactorError(f"{what} holds no profile rows; give rows profile, kind, index, value.")
    return out


def get_profile(
    profile: str | TemporalProfile | pd.DataFrame | os.PathLike[str],
    *,
    table: Mapping[str, TemporalProfile] | None = None,
) -> TemporalProfile:
    """Resolve a profile given by name, object, one-profile table or CSV path.

    Parameters
    ----------
    profile : str, TemporalProfile, DataFrame or path-like
        A built-in name (see :func:`list_profiles`), a name in ``table``, a
        :class:`TemporalProfile`, a DataFrame in the profile-table layout holding one
        profile, or a path to such a CSV (``.csv``).
    table : mapping, optional
        User profiles by name, searched before the built-ins.

    Returns
    -------
    TemporalProfile

    Raises
    ------
    FactorError
        Unknown name (the message lists the known names), an invalid table, or a value
        that is none of the above (e.g. a number).
    """
    if isinstance(profile, TemporalProfile):
        return profile
    if isinstance(profile, pd.DataFrame):
        profs = _profiles_from_frame(profile, what="profile DataFrame")
        if len(profs) != 1:
            raise FactorError(
                f"profile DataFrame holds {len(profs)} profiles {sorted(profs)}; pass it as "
                "profile_table= and name one profile per source in profile=."
            )
        return next(iter(profs.values()))
    if not isinstance(profile, (str, os.PathLike)):
        raise FactorError(
            f"profile={profile!r} is not a profile: give a name (see list_profiles(), e.g. "
            "'flat'), a TemporalProfile, a one-profile DataFrame or the path of a profile CSV."
        )
    name = os.fspath(profile)
    if table is not None and name in table:
        return table[name]
    builtins = _builtins()
    if name in builtins:
        return builtins[name]
    if name.lower().endswith(".csv"):
        profs = read_profile_table(name)
        if len(profs) != 1:
            raise FactorError(
                f"profile table {name!r} holds {len(profs)} profiles {sorted(profs)}; pass it as "
                "profile_table= and name one profile per source."
            )
        return next(iter(profs.values()))
    known = sorted(set(builtins) | set(table or {}))
    raise FactorError(
        f"unknown temporal profile {name!r}; known profiles: {', '.join(known)} "
        "(or pass a TemporalProfile, a profile table CSV or DataFrame)."
    )


def local_calendar(
    time_ns: NDArray[np.int64], offset_ns: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Local hour (0-23), weekday (0 = Monday) and month (1-12) of UTC times.

    Parameters
    ----------
    time_ns : ndarray of int64
        UTC times in ns since 1970-01-01.
    offset_ns : ndarray of int64
        Local minus UTC in ns (broadcast against ``time_ns``).

    Returns
    -------
    hour, weekday, month : ndarray of int64
    """
    local = time_ns + offset_ns
    hour = (local // _NS_PER_HOUR) % 24
    days = local // _NS_PER_DAY
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
    month = local.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64) % 12 + 1
    return hour, weekday, month
