r"""Reader of the SMARTCARB synthetic CO2M Level-2 benchmark (Kuhlmann et al. 2019, 2021).

The files (``Sentinel_7_CO2_YYYYMMDDHH_oNNNN_lNNNN.nc``) hold COSMO-GHG tracer
columns sampled on a CO2M-like 2 x 2 km swath (``nobs`` along x ``nrows``
across). There is no total XCO2 variable; it is composed as

.. math::

    XCO2 = XCO2\_BG + XCO2\_RA - XCO2\_GPP + XCO2\_TOT

(background at the lateral boundaries, respiration, photosynthetic uptake, and
all time-varying anthropogenic emissions of the domain). Fill values
(9.97e36, no ``_FillValue`` attribute in the file) become NaN.

Noise: the tracer fields are noise-free. The SMARTCARB benchmark adds Gaussian
noise of 0.5 ppm (the "low noise" CO2M scenario, uXCO2 attribute
``VEG50_uncertainties = 0.5, 0.7, 1.0``); ``noise_ppm=0.5`` does so with a seeded
generator and sets ``xco2_uncertainty`` to 0.5 ppm. Without it the product's
parametrized ``uXCO2`` is the uncertainty and the values are noise-free.

QA: ``qa="recommended"`` keeps pixels with cloud fraction ``CLCT < 0.01`` (the
SMARTCARB / ddeq clear-sky threshold); ``"none"`` keeps every finite value.

Truth tracers: with ``tracers=True`` the per-source columns of Berlin
(``XCO2_BV``) and Jänschwalde (``XCO2_JV``) are added as
``xco2_tracer_berlin`` / ``xco2_tracer_janschwalde``; they are the benchmark's
explicit truth and may be used for plume masks in validation only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from urbansat.errors import InputFileError, MissingVariableError, SchemaError
from urbansat.ingest._locks import open_netcdf
from urbansat.ingest.readers._base import GranuleReader, Window, check_file, wrap_longitude
from urbansat.schema import validate_granule

__all__ = ["SmartcarbReader"]

_PATTERN = re.compile(r"Sentinel_7_CO2_(\d{10})_o(\d+)_l(\d+)\.nc$")
_FILL = 1e30
#: Clear-sky threshold of the cloud fraction ``CLCT`` [1] of ``qa="recommended"`` (SMARTCARB/ddeq).
CLEAR_SKY_CLCT = 0.01

_NEEDED = ("XCO2_BG", "XCO2_RA", "XCO2_GPP", "XCO2_TOT", "latitude", "longitude", "time", "CLCT")


def _has_tracers(path: str | Path) -> bool:
    """Return True when the file holds the SMARTCARB tracer columns on an ``nobs`` swath."""
    with open_netcdf(path, decode_times=False) as raw:
        return "XCO2_BG" in raw and "XCO2_TOT" in raw and "nobs" in raw.dims


def _seeded_noise(
    raw: xr.Dataset, window: Window | None, noise_ppm: float, seed: int
) -> xr.DataArray:
    """Gaussian noise (1-sigma ``noise_ppm``) of the pixels of ``window``.

    Drawn with ``seed`` for the whole (nobs, nrows) field, then cut with the window: a
    pixel's noise depends on the seed only, never on ``bbox=``/``time=`` (the window).
    """
    full = (raw.sizes["y"], raw.sizes["x"])
    rng = np.random.default_rng(seed)
    noise = xr.DataArray(rng.normal(0.0, float(noise_ppm), full), dims=("y", "x"))
    return noise if window is None else noise.isel(y=window[0], x=window[1])


class SmartcarbReader(GranuleReader):
    """SMARTCARB synthetic CO2M L2 swath (the community plume-inversion benchmark)."""

    name = "smartcarb"
    gases = ("co2",)
    description = "SMARTCARB synthetic CO2M XCO2 L2 (COSMO-GHG, Kuhlmann et al. 2019)"

    def match_filename(self, path: str | Path) -> bool:
        """Return True for ``Sentinel_7_CO2_<YYYYMMDDHH>_o<orbit>_l<lon>.nc`` names."""
        return bool(_PATTERN.search(Path(path).name))

    def guess_can_open(self, path: str | Path) -> bool:
        """Recognise the file by name, then by its XCO2_BG/XCO2_TOT variables."""
        return self._name_or_content(path, _has_tracers)

    def open_dataset(  # noqa: PLR0913 - GranuleReader's options + noise, seed, tracers
        self,
        path: str | Path,
        *,
        variables: Sequence[str] | None = None,
        gas: str | None = None,
        window: Window | None = None,
        chunks: Any = None,
        qa: str = "recommended",
        noise_ppm: float | None = None,
        seed: int = 0,
        tracers: bool = False,
    ) -> xr.Dataset:
        """Open a SMARTCARB file as a normalized swath.

        Parameters
        ----------
        path : str or pathlib.Path
        variables : sequence of str, optional
            ``()`` reads only the gas, uncertainty, QA and coordinates.
        gas : {"co2"}, optional
        window : (slice, slice), optional
            Rows (``nobs``) and columns (``nrows``).
        chunks : optional
            Passed to xarray.
        qa : {"recommended", "none"}
            Cloud screening ``CLCT < 0.01`` or none.
        noise_ppm : float, optional
            Add seeded Gaussian noise of this 1-sigma [ppm] (0.5 for the benchmark);
            must be > 0 (None keeps the noise-free values and the product's ``uXCO2``).
        seed : int, default 0
            Seed of the noise.
        tracers : bool, default False
            Add the Berlin / Jänschwalde truth tracers.

        Returns
        -------
        xarray.Dataset
        """
        check_file(path)
        is_number = isinstance(noise_ppm, (int, float, np.number)) and not isinstance(
            noise_ppm, (bool, np.bool_)
        )
        if noise_ppm is not None and not (is_number and np.isfinite(noise_ppm) and noise_ppm > 0):
            # noise_ppm=0 would state a retrieval uncertainty of exactly 0 ppm, which every
            # weighted fit then takes as perfect data
            raise SchemaError(
                f"noise_ppm={noise_ppm!r} for SMARTCARB file '{path}' must be a positive 1-sigma "
                "in ppm (0.5 for the benchmark), or None for the noise-free values with the "
                "product's uXCO2 as uncertainty."
            )
        if (
            isinstance(seed, (bool, np.bool_))
            or not isinstance(seed, (int, np.integer))
            or seed < 0
        ):
            raise SchemaError(
                f"seed={seed!r} for SMARTCARB file '{path}' must be a whole number >= 0 (the "
                "seed of the added noise; 0 for the benchmark)."
            )
        if gas not in (None, "co2"):
            raise MissingVariableError(
                f"SMARTCARB file '{path}' carries XCO2 only, not gas={gas!r}."
            )
        try:
            raw = open_netcdf(path, chunks=chunks, mask_and_scale=False)
        except Exception as err:
            raise InputFileError(f"SMARTCARB file '{path}' cannot be opened ({err}).") from err
        missing = [v for v in _NEEDED if v not in raw.variables]
        if missing:
            raise MissingVariableError(
                f"SMARTCARB file '{path}' lacks {missing}; is it a SMARTCARB Level-2 file "
                "(Sentinel_7_CO2_*.nc)?"
            )
        raw = raw.rename({"nobs": "y", "nrows": "x", "ncorners": "corner"})
        noise = None if noise_ppm is None else _seeded_noise(raw, window, noise_ppm, seed)
        if window is not None:
            raw = raw.isel(y=window[0], x=window[1])

        def f(name: str) -> xr.DataArray:
            da = raw[name]
            return da.where(da < _FILL).astype("float64")

        xco2 = f("XCO2_BG") + f("XCO2_RA") - f("XCO2_GPP") + f("XCO2_TOT")
        if noise_ppm is not None and noise is not None:
            xco2 = xco2 + noise.transpose(*xco2.dims).data
            unc = xr.full_like(xco2, float(noise_ppm))
        else:
            unc = f("uXCO2") if "uXCO2" in raw else xr.full_like(xco2, np.nan)
        clct = f("CLCT")
        qa_pass = (
            np.isfinite(xco2) & (clct < CLEAR_SKY_CLCT)
            if qa == "recommended"
            else np.isfinite(xco2)
        )
        lat, lon = f("latitude"), f("longitude")
        ds = xr.Dataset(
            {
                "xco2": xco2.assign_attrs(
                    units="ppm",
                    standard_name="dry_atmosphere_mole_fraction_of_carbon_dioxide",
                    long_name="XCO2 = XCO2_BG + XCO2_RA - XCO2_GPP + XCO2_TOT",
                ),
                "xco2_uncertainty": unc.assign_attrs(units="ppm"),
                "qa_pass": qa_pass.astype(bool),
            },
            coords={
                "latitude": lat.assign_attrs(units="degrees_north", standard_name="latitude"),
                "longitude": wrap_longitude(lon).assign_attrs(
                    units="degrees_east", standard_name="longitude"
                ),
                "time": raw["time"],
            },
        )
        extras = ("latitude_bounds", "longitude_bounds", "surface_pressure", "cloud_fraction")
        unknown = [v for v in (variables or ()) if v not in extras]
        if unknown:
            raise MissingVariableError(
                f"smartcarb cannot provide {unknown} from '{path}'. Available: {list(extras)} "
                "(xco2, xco2_uncertainty and qa_pass are always read; tracers via reader_options)."
            )
        if variables is None or len(variables):
            ds["latitude_bounds"] = f("latitude_corners").assign_attrs(units="degrees_north")
            ds["longitude_bounds"] = f("longitude_corners").assign_attrs(units="degrees_east")
            ds["surface_pressure"] = f("PS").assign_attrs(units="Pa")
            ds["cloud_fraction"] = clct.assign_attrs(units="1")
        if tracers:
            ds["xco2_tracer_berlin"] = f("XCO2_BV").assign_attrs(
                units="ppm", note="truth only: Berlin tracer"
            )
            ds["xco2_tracer_janschwalde"] = f("XCO2_JV").assign_attrs(
                units="ppm", note="truth only: Jänschwalde tracer"
            )
        m = _PATTERN.search(Path(path).name)
        ds.attrs = {
            "product": "smartcarb",
            "product_version": str(raw.attrs.get("VERSION", "")),
            "gas": "co2",
            "platform": "CO2M (synthetic, SMARTCARB)",
            "source_files": [str(path)],
            "qa": qa,
            "Conventions": "CF-1.10",
            "noise_ppm": float(noise_ppm) if noise_ppm is not None else 0.0,
            "noise_seed": seed,
            **({"overpass": m.group(1), "orbit": m.group(2)} if m else {}),
        }
        return validate_granule(ds)
