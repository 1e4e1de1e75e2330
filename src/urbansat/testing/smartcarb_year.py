"""The SMARTCARB 2015 year as a :func:`urbansat.period_totals` input (issue 17)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy.stats import trim_mean

__all__ = ["SMARTCARB_PROFILES", "image_bias", "smartcarb_year"]

#: A-priori profile assignment: Berlin is a city, the 15 others are power plants (GNFR A).
SMARTCARB_PROFILES: dict[str, str] = {"Berlin": "urban", "*": "public_power"}


def smartcarb_year(
    folder: str | Path, *, estimates: str = "csf"
) -> tuple[pd.DataFrame, dict[str, float], dict[str, str]]:
    """Load the usable SMARTCARB images of 2015 as a tidy overpass table.

    Parameters
    ----------
    folder : path
        Folder with ``SMARTCARB_CSF_example.nc``, ``sources-smartcarb.csv`` and
        ``SMARTCARB-CO2-annual-mean-2015.csv`` (``data/samples/smartcarb``).
    estimates : {"csf", "truth"}
        ``csf``: the published per-image estimates and sigmas (Mt/yr -> t/yr);
        ``truth``: the true emission at the same images with sigma 0 (sampling only).

    Returns
    -------
    table : DataFrame
        source, time, emission_t_per_yr, emission_t_per_yr_uncertainty, longitude.
    truth : dict
        source -> mean of the hourly truth of 2015 [t/yr].
    profiles : dict
        The a-priori profile mapping :data:`SMARTCARB_PROFILES`.
    """
    folder = Path(folder)
    with xr.open_dataset(folder / "SMARTCARB_CSF_example.nc") as ds:
        df = (
            ds[["CO2_estimates", "CO2_estimates_std", "CO2_truth", "time"]]
            .to_dataframe()
            .reset_index()
        )
    src = pd.read_csv(folder / "sources-smartcarb.csv", comment="#")
    df = df.dropna(subset=["CO2_estimates"]).merge(src[["source", "longitude"]], on="source")
    mt = 1.0e6
    if estimates == "truth":
        val, sig = df["CO2_truth"] * mt, 0.0 * df["CO2_truth"]
    elif estimates == "csf":
        val, sig = df["CO2_estimates"] * mt, df["CO2_estimates_std"] * mt
    else:
        raise ValueError(f"estimates={estimates!r}; use 'csf' or 'truth'.")
    table = pd.DataFrame(
        {
            "source": df["source"].astype(str),
            "time": df["time"],
            "emission_t_per_yr": val,
            "emission_t_per_yr_uncertainty": sig,
            "longitude": df["longitude"],
        }
    )
    mean = pd.read_csv(
        folder / "SMARTCARB-CO2-annual-mean-2015.csv", comment="#", index_col="source"
    )
    truth = {str(k): float(v) * mt for k, v in mean["annual_mean_co2_Mt_per_yr"].items()}
    return table, truth, dict(SMARTCARB_PROFILES)


def _hodges_lehmann(x: np.ndarray) -> float:
    """Median of the Walsh averages ``(x_i + x_j) / 2``, ``i <= j`` (Hodges & Lehmann 1963)."""
    i, j = np.triu_indices(len(x))
    return float(np.median((x[i] + x[j]) / 2))


def image_bias(folder: str | Path) -> pd.DataFrame:
    """Per source, the bias of the published per-image CSF estimates against the truth.

    With ``r_k = Q_k / Q_true(t_k)``, the ratio of image ``k``'s CSF estimate to the true
    emission at the same hour, the annual total of any estimator that treats the images
    alike (the same profile correction and weight for an estimate and for the truth at its
    time) inherits the location of ``r_k``: the temporal sampling and the diurnal profile
    cancel in the ratio, and what is left is the estimates' own error. Three robust
    locations of ``r_k`` are given, the median, the 25 % trimmed mean and the Hodges-Lehmann
    estimate, each minus 1.

    Parameters
    ----------
    folder : path
        As :func:`smartcarb_year`.

    Returns
    -------
    DataFrame
        Index ``source``; columns ``n_images``, ``median_bias``, ``trimmed_mean_bias``,
        ``hodges_lehmann_bias`` [1, fraction of the true emission].
    """
    est, _, _ = smartcarb_year(folder, estimates="csf")
    tru, _, _ = smartcarb_year(folder, estimates="truth")
    both = est.merge(tru, on=["source", "time"], suffixes=("", "_truth"))
    both = both[both["emission_t_per_yr_truth"] > 0]
    rows = {}
    for name, g in both.groupby("source"):
        r = (g["emission_t_per_yr"] / g["emission_t_per_yr_truth"]).to_numpy(float)
        rows[str(name)] = {
            "n_images": len(r),
            "median_bias": float(np.median(r)) - 1,
            "trimmed_mean_bias": float(trim_mean(r, 0.25)) - 1,
            "hodges_lehmann_bias": _hodges_lehmann(r) - 1,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "source"
    return out
