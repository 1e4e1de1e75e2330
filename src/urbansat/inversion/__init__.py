"""Flux inversion: emissions with an honest uncertainty budget from XCO2/XCH4 swaths.

:func:`estimate_emissions` (:mod:`urbansat.inversion.estimate`) runs the integrated mass
enhancement (:mod:`~.ime`), cross-sectional flux (:mod:`~.csf`), Gaussian-plume
(:mod:`~.gaussian`) and analytical Bayesian (:mod:`~.bayes`) methods; the uncertainty
budget and intervals are described there, the model-error tables in :mod:`~.model_error`.
"""

from __future__ import annotations

from urbansat.inversion.estimate import (
    INTERVALS,
    METHODS,
    UNCERTAINTY_TERMS,
    estimate_emissions,
    plume_frames,
)
from urbansat.inversion.intervals import emission_interval
from urbansat.inversion.model_error import (
    AREA_SOURCE_MIN_DIAMETER_KM,
    CSF_SCATTER_RESIDUAL,
    MODEL_ERROR,
    MODEL_ERROR_AREA,
    MODEL_ERROR_COMPACT,
    model_error,
)
from urbansat.inversion.options import InversionOptions
from urbansat.inversion.result import METHOD_DIM, TERM_DIM

__all__ = [
    "AREA_SOURCE_MIN_DIAMETER_KM",
    "CSF_SCATTER_RESIDUAL",
    "INTERVALS",
    "METHODS",
    "METHOD_DIM",
    "MODEL_ERROR",
    "MODEL_ERROR_AREA",
    "MODEL_ERROR_COMPACT",
    "TERM_DIM",
    "UNCERTAINTY_TERMS",
    "InversionOptions",
    "emission_interval",
    "estimate_emissions",
    "model_error",
    "plume_frames",
]
