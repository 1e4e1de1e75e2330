"""The per-source result every flux method returns, before the budget is assembled."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from urbansat.schema.results import METHOD_DIM, TERM_DIM

__all__ = ["METHOD_DIM", "TERM_DIM", "MethodResult", "per_method"]


def per_method(ds: Any) -> list[tuple[str, Any]]:
    """Return ``[(method, dataset)]`` of an :func:`urbansat.estimate_emissions` output.

    One pair per ``inversion_method`` when ``ds`` holds several methods, else the single
    ``(ds.attrs["method"], ds)``; each dataset has the single-method layout.
    """
    if METHOD_DIM in getattr(ds, "dims", ()):
        return [(str(m), ds.sel({METHOD_DIM: m})) for m in ds[METHOD_DIM].values]
    return [(str(ds.attrs.get("method")), ds)]


@dataclass
class MethodResult:
    """Raw output of one method for one source.

    Attributes
    ----------
    emission : float
        Estimated emission ``Q`` [kg s-1] (NaN when rejected).
    retrieval : float
        1-sigma of ``Q`` from retrieval noise [kg s-1].
    dq_db : float
        Sensitivity of ``Q`` to a background error confined to the plume region
        [kg s-1 per ppm|ppb]; the budget multiplies it by the background sigma.
    extra_model : float
        Method-specific model error [kg s-1] added to the calibrated model term
        (e.g. the uncertainty of IME's partial-coverage correction).
    n_obs : int
        Soundings used.
    qa_reason : str
        "" when valid.
    details : dict
        Diagnostics (fitted dispersion, transects, DOFS ...).
    """

    emission: float
    retrieval: float = float("nan")
    dq_db: float = 0.0
    extra_model: float = 0.0
    n_obs: int = 0
    qa_reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def rejected(cls, reason: str, n_obs: int = 0) -> MethodResult:
        """Return the result for a source that could not be estimated."""
        return cls(emission=float("nan"), retrieval=float("nan"), n_obs=n_obs, qa_reason=reason)
