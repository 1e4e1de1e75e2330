"""The options of :func:`urbansat.estimate_emissions`, as one typed, checked value object.

:class:`InversionOptions` is what ``estimate_emissions(..., options=...)`` and its keyword
overrides are checked into, what :func:`urbansat.inversion.plume_frames` takes, and what a
job's ``[emissions.options]`` table is validated against when the job file is read
(:mod:`urbansat.pipeline.config`): one vocabulary, one set of checks, and every error names
the option, the value and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import numpy as np

from urbansat.constants import GLOBAL_EMISSION
from urbansat.errors import InversionError
from urbansat.inversion.gaussian import SPREAD_RATE_RANGE
from urbansat.inversion.ime import MIN_PLUME_COVERAGE
from urbansat.schema.wind import MAX_WIND_COMPONENT_M_S

__all__ = ["InversionOptions"]

#: Largest distance option [km]: a window, plume or background scale beyond a satellite's
#: view (TROPOMI's swath is 2,600 km wide); 1e300 exhausted memory in ``np.arange``.
MAX_DISTANCE_KM = 1000.0
#: Largest relative model error: 10 (1000 %) says "unknown"; beyond it the budget overflowed.
MAX_MODEL_ERROR = 10.0

#: Background estimators of :func:`urbansat.inversion.background.estimate_background`.
BACKGROUNDS = ("auto", "convolution", "plane", "median")


#: Allowed ``prior_sigma`` [kg s-1]: from 1 g s-1 (31.6 t yr-1, below any detectable
#: source) to a thousand times the world's total CO2 emission (``constants.GLOBAL_EMISSION``),
#: flat for any source; outside it the Bayesian solve overflows or becomes singular.
PRIOR_SIGMA_RANGE = (1e-3, 1e3 * max(GLOBAL_EMISSION.values()))


def _number(
    name: str,
    value: Any,
    *,
    low: float,
    strict: bool,
    optional: bool,
    what: str = "",
    high: float = math.inf,
) -> None:
    if value is None and optional:
        return
    # numpy scalars too (np.float32(50), np.int64(20)); np.bool_ is neither
    number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool
    )
    v = float(value) if number else math.nan
    ok = number and math.isfinite(v) and (v > low if strict else v >= low) and v <= high
    if not ok:
        none = " (or omitted for the default)" if optional else ""
        rel = ">" if strict else ">="
        raise InversionError(
            f"{name}={value!r} must be {what or f'a finite number {rel} {low:g}'}{none}."
        )


@dataclass(frozen=True, kw_only=True)
class InversionOptions:
    """Options of a flux inversion (:func:`urbansat.estimate_emissions`); all keyword, all optional.

    Parameters
    ----------
    radius_km : float, default 100
        Radius of the swath window cut around each source [km].
    wind_radius_km : float, default 15
        Radius around the source over which the wind is averaged [km].
    wind_sigma : float, optional
        Stated 1-sigma wind-speed error [m s-1]; overrides the wind dataset's. A user wind
        without any stated sigma is refused (:class:`~urbansat.errors.WindError`).
    wind_direction_sigma : float, optional
        1-sigma wind-direction error [degree]; overrides the wind dataset's
        ``wind_from_direction_uncertainty``. When either is > 0 every method is re-run with
        the wind turned by +- this angle and the spread enters the wind term
        (:func:`urbansat.estimate_emissions`); None and no stated value: not propagated.
    min_wind_speed : float, default 1
        Below this speed [m s-1] the mass balance is undefined and the source is rejected;
        must be > 0.
    length_km, half_width_km : float, optional
        Plume band: the largest of 30 km, 5 pixels and 4 source radii downwind / 10 km or
        2.5 pixels either side, plus the source radius, when not given [km].
    background : {"auto", "convolution", "plane", "median"}, default "auto"
        Background estimator (:func:`urbansat.inversion.background.estimate_background`).
    background_km : float, default 20
        Smoothing scale of the convolution background [km].
    z_threshold : float, default 2.5
        Detection threshold on the smoothed enhancement z-score.
    z_exclude : float or None, default 5
        Cores of unlisted neighbouring plumes above this smoothed z are kept out of the
        background; None keeps only the listed sources' plume regions out.
    background_controls : int, default 5
        Plume-free control bands rotated about the source that measure the band-mean
        background error (0 turns the null-plume test off).
    refine_direction : bool, default True
        Refine the plume axis from the image (image scenes only).
    min_coverage : float, default 0.25
        IME: smallest modelled fraction of the band's plume mass on valid soundings, in (0, 1].
    min_transect_coverage : float, default 0.6
        CSF: smallest valid area fraction of a transect, in (0, 1] (its modelled plume-mass
        share must be at least 0.25, as IME's band).
    min_valid_pixels : int, default 10
        Fewest valid soundings within ``radius_km``.
    dispersion : float, optional
        Fixed lateral spread rate ``a`` of the Gaussian plume (``sigma_y = sqrt(sigma_0^2 +
        (a s)^2)``, :mod:`urbansat.inversion.gaussian`), within Briggs' stability classes
        0.02-0.32 (``gaussian.SPREAD_RATE_RANGE``); fitted within that range when None.
    prior_rel_error : float, default 1
        Relative 1-sigma error of a source's ``prior_emission`` (Bayesian).
    prior_sigma : float, default 1e4
        1-sigma of the flat prior of sources without ``prior_emission`` [kg s-1].
    model_error : float, optional
        Relative model error of the method, overriding
        :func:`urbansat.inversion.model_error.model_error`.
    use_averaging_kernel : bool, default True
        Weight the column by the retrieval's averaging kernel.
    cell_km : float, optional
        Bayesian state of grid cells of this size inside each boundary polygon [km].

    Raises
    ------
    InversionError
        A value of the wrong type or out of range, naming the option and what is allowed.

    Examples
    --------
    >>> opts = InversionOptions(radius_km=60, background="plane")
    >>> opts.radius_km, opts.min_coverage
    (60, 0.25)
    >>> InversionOptions.from_mapping({"radius": 60})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    urbansat.errors.InversionError: unknown option(s) ['radius'] of estimate_emissions; ...
    """

    radius_km: float = 100.0
    wind_radius_km: float = 15.0
    wind_sigma: float | None = None
    wind_direction_sigma: float | None = None
    min_wind_speed: float = 1.0
    length_km: float | None = None
    half_width_km: float | None = None
    background: Literal["auto", "convolution", "plane", "median"] = "auto"
    background_km: float = 20.0
    z_threshold: float = 2.5
    z_exclude: float | None = 5.0
    background_controls: int = 5
    refine_direction: bool = True
    min_coverage: float = MIN_PLUME_COVERAGE
    min_transect_coverage: float = 0.6
    min_valid_pixels: int = 10
    dispersion: float | None = None
    prior_rel_error: float = 1.0
    prior_sigma: float = 1e4
    model_error: float | None = None
    use_averaging_kernel: bool = True
    cell_km: float | None = None

    def __post_init__(self) -> None:
        """Check every option (type and range)."""
        self._as_python_numbers()
        km = f"a positive distance in km, at most {MAX_DISTANCE_KM:g}"
        for names, optional in (
            (("radius_km", "wind_radius_km", "background_km"), False),
            (("length_km", "half_width_km", "cell_km"), True),
        ):
            for name in names:
                v = getattr(self, name)
                _number(
                    name, v, low=0.0, strict=True, optional=optional, what=km, high=MAX_DISTANCE_KM
                )
        _number("z_exclude", self.z_exclude, low=0.0, strict=True, optional=True)
        lo, hi = SPREAD_RATE_RANGE
        _number(
            "dispersion",
            self.dispersion,
            low=lo,
            high=hi,
            strict=False,
            optional=True,
            what=f"a lateral spread rate within Briggs' classes, {lo:g}-{hi:g}",
        )
        for name in ("z_threshold", "prior_rel_error"):
            _number(name, getattr(self, name), low=0.0, strict=True, optional=False)
        lo_ps, hi_ps = PRIOR_SIGMA_RANGE  # 1e300 overflowed the solve, 1e-300 broke it
        _number(
            "prior_sigma",
            self.prior_sigma,
            low=lo_ps,
            high=hi_ps,
            strict=False,
            optional=False,
            what=f"a 1-sigma in kg s-1 within {lo_ps:g}-{hi_ps:g}",
        )
        # Q = U x mass per length: a calm wind makes every method undefined (the plume fit
        # divides by U), so the threshold cannot be 0
        _number("min_wind_speed", self.min_wind_speed, low=0.0, strict=True, optional=False)
        # the optional 1-sigma errors: each bounded above by what it can mean
        for name, high, what in (
            (
                "wind_sigma",
                MAX_WIND_COMPONENT_M_S,
                f"a finite number >= 0 and at most {MAX_WIND_COMPONENT_M_S:g} (m s-1)",
            ),
            (
                "model_error",
                MAX_MODEL_ERROR,
                f"a relative 1-sigma error in [0, {MAX_MODEL_ERROR:g}] (0.3 is 30 %)",
            ),
            ("wind_direction_sigma", 180.0, "a direction error in [0, 180] degree"),
        ):
            v = getattr(self, name)
            _number(name, v, low=0.0, strict=False, optional=True, high=high, what=what)
        for name in ("min_coverage", "min_transect_coverage"):
            v = getattr(self, name)
            _number(name, v, low=0.0, strict=True, optional=False)
            if v > 1:
                raise InversionError(f"{name}={v!r} is a fraction: give a value in (0, 1].")
        for name, low in (("background_controls", 0), ("min_valid_pixels", 1)):
            v = getattr(self, name)
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < low:
                raise InversionError(f"{name}={v!r} must be a whole number >= {low}.")
        for name in ("refine_direction", "use_averaging_kernel"):
            if not isinstance(getattr(self, name), bool):
                raise InversionError(
                    f"{name}={getattr(self, name)!r} must be true or false (a bool)."
                )
        if self.background not in BACKGROUNDS:
            raise InversionError(
                f"background={self.background!r} is not one of {list(BACKGROUNDS)}."
            )

    def _as_python_numbers(self) -> None:
        """Store numpy scalars as Python numbers, so that :meth:`to_dict` stays JSON."""
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.integer | np.floating):
                object.__setattr__(self, f.name, v.item())

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Return the option names, in the order of the fields."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_mapping(
        cls, mapping: Mapping[str, Any] | InversionOptions | None = None, **overrides: Any
    ) -> InversionOptions:
        """Build the options from a mapping (or options) and keyword overrides.

        Raises
        ------
        InversionError
            Unknown option names (the valid ones are listed), or a bad value.
        """
        if not isinstance(mapping, InversionOptions | Mapping | None):
            raise InversionError(
                f"options must be an urbansat.inversion.InversionOptions or a mapping; got "
                f"{type(mapping).__name__}."
            )
        base = mapping.to_dict() if isinstance(mapping, InversionOptions) else dict(mapping or {})
        given = {**base, **overrides}
        unknown = sorted(set(given) - set(cls.names()))
        if unknown:
            raise InversionError(
                f"unknown option(s) {unknown} of estimate_emissions; valid options: "
                f"{sorted(cls.names())}."
            )
        return cls(**given)

    def to_dict(self) -> dict[str, Any]:
        """Return every option as a plain dict (JSON-serialisable)."""
        return asdict(self)
