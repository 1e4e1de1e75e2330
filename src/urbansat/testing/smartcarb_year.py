"""The SMARTCARB 2015 year as a :func:`urbansat.period_totals` input (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xarray as xr

__all__ = ["SMARTCARB_PROFILES", "smartcarb_year"]

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
