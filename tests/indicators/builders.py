"""Hand-made inputs that follow the urbansat contracts, with known values.

Used by the indicator tests and by ``tests/data/golden/regenerate.py``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr
from shapely.geometry import box

from urbansat.categories import SINK_CATEGORIES


def boundaries() -> gpd.GeoDataFrame:
    """A region with a county and a park inside, and a sink project."""
    return gpd.GeoDataFrame(
        {
            "boundary_id": ["R1", "C1", "P1", "J1"],
            "name": ["Region", "County", "Park", "Project"],
            "level": ["region", "county", "park", "project"],
            "parent_id": [None, "R1", "C1", "R1"],
        },
        geometry=[
            box(0, 0, 2, 2),
            box(0, 0, 1, 1),
            box(0.2, 0.2, 0.4, 0.4),
            box(1.5, 1.5, 1.8, 1.8),
        ],
        crs=4326,
    )


def emissions(gas: str, scale: float, *, reject_second: bool = False) -> xr.Dataset:
    """Two point sources in the park (0.3, 0.3) and the region (1.5, 0.5), t/yr known."""
    t_per_yr = np.array([1000.0, 500.0]) * scale
    unc = np.array([100.0, 80.0]) * scale
    kgs = t_per_yr / (365.25 * 86400.0 / 1000.0)
    ds = xr.Dataset(
        {
            "emission": ("source", kgs, {"units": "kg s-1"}),
            "emission_uncertainty": ("source", kgs * unc / t_per_yr, {"units": "kg s-1"}),
            "emission_t_per_yr": ("source", t_per_yr, {"units": "t yr-1"}),
            "emission_t_per_yr_uncertainty": ("source", unc, {"units": "t yr-1"}),
            "method": ("source", np.array(["ime", "ime"])),
            "qa_reason": ("source", np.array(["", "plume not detected" if reject_second else ""])),
            "n_obs": ("source", np.array([40, 25])),
        },
        coords={
            "source": ["plantA", "plantB"],
            "longitude": ("source", [0.3, 1.5]),
            "latitude": ("source", [0.3, 0.5]),
        },
        attrs={"gas": gas, "method": "ime", "wind_source": "test wind 5 m/s"},
    )
    return ds


def swath(gas: str = "co2", *, offset: float = 0.0) -> xr.Dataset:
    """A 30x30 swath on 0.1-degree centres from -0.95 to 1.95 (lon/lat).

    XCO2 = 400 ppm outside the region, 402 inside the county, 401 elsewhere
    in the region (+ ``offset``); uncertainty 0.5 ppm everywhere.
    """
    c = np.arange(-0.95, 2.0, 0.1)
    lon, lat = np.meshgrid(c, c)
    val = np.full(lon.shape, 400.0)
    in_region = (lon > 0) & (lon < 2) & (lat > 0) & (lat < 2)
    in_county = (lon > 0) & (lon < 1) & (lat > 0) & (lat < 1)
    val[in_region] = 401.0
    val[in_county] = 402.0
    var = f"x{gas}"
    units = {"co2": "ppm", "ch4": "ppb"}[gas]
    ds = xr.Dataset(
        {
            var: (("y", "x"), val + offset, {"units": units}),
            f"{var}_uncertainty": (("y", "x"), np.full(lon.shape, 0.5), {"units": units}),
            "qa_pass": (("y", "x"), np.ones(lon.shape, bool)),
        },
        coords={
            "latitude": (("y", "x"), lat, {"units": "degrees_north"}),
            "longitude": (("y", "x"), lon, {"units": "degrees_east"}),
            "time": (("y",), np.full(lon.shape[0], np.datetime64("2020-06-01T10:00", "ns"))),
        },
        attrs={"gas": gas, "product": "synthetic", "source_files": "[]"},
    )
    return ds


def sinks(scale: float = 1.0) -> xr.Dataset:
    """Sink accounts for R1, C1 and J1 with known numbers per category."""
    cats = [*SINK_CATEGORIES, "total"]
    bids = ["R1", "C1", "J1"]
    n_b, n_c = len(bids), len(cats)
    base = np.arange(1, n_c + 1, dtype=float)[None, :] * np.array([10.0, 4.0, 1.0])[:, None]
    base[:, -1] = base[:, :-1].sum(axis=1)
    area_start = base * 100.0
    area_end = area_start + base
    stock_start = base * 1000.0
    stock_end = stock_start + base * 10.0 * scale
    net = base * 3.0 * scale
    unc = net * 0.2
    dims = ("boundary", "category")
    ds = xr.Dataset(
        {
            "area_start": (dims, area_start, {"units": "ha"}),
            "area_end": (dims, area_end, {"units": "ha"}),
            "area_change": (dims, area_end - area_start, {"units": "ha"}),
            "stock_start": (dims, stock_start, {"units": "t C"}),
            "stock_end": (dims, stock_end, {"units": "t C"}),
            "net_sink": (dims, net, {"units": "t CO2 yr-1"}),
            "net_sink_uncertainty": (dims, unc, {"units": "t CO2 yr-1"}),
            "net_sink_low": (dims, net - 1.96 * unc, {"units": "t CO2 yr-1"}),
            "net_sink_high": (dims, net + 1.96 * unc, {"units": "t CO2 yr-1"}),
            "gross_removals": (dims, net * 1.5, {"units": "t CO2 yr-1"}),
            "gross_emissions": (dims, net * 0.5, {"units": "t CO2 yr-1"}),
            "status": (dims, np.full((n_b, n_c), "ok", dtype=object)),
        },
        coords={
            "boundary": bids,
            "name": ("boundary", ["Region", "County", "Project"]),
            "level": ("boundary", ["region", "county", "project"]),
            "category": cats,
        },
        attrs={"method": "stock-difference", "factors": "test factors", "epochs": "2020,2021"},
    )
    return ds


def inventory() -> pd.DataFrame:
    """User inventory of N2O for the region and county, two periods."""
    return pd.DataFrame(
        {
            "boundary_id": ["R1", "R1", "C1"],
            "gas": ["n2o", "n2o", "n2o"],
            "period": ["2020", "2021", "2020"],
            "emission_t_per_yr": [12.0, 15.0, 3.0],
            "emission_t_per_yr_uncertainty": [2.0, 2.0, 1.0],
            "source": ["test fixture"] * 3,
        }
    )


def full_table() -> pd.DataFrame:
    """The deterministic two-period indicator table of the golden test."""
    import warnings

    from urbansat.indicators import boundary_concentrations, tci231_indicators

    warnings.filterwarnings("ignore", message="The swath has no footprint corners")
    b = boundaries()
    periods = {"2020": ("2020-01-01", "2021-01-01"), "2021": ("2021-01-01", "2022-01-01")}
    conc = {
        "2020": boundary_concentrations(swath("co2"), b, background_buffer_km=10.0),
        "2021": boundary_concentrations(swath("co2", offset=2.5), b, background_buffer_km=10.0),
    }
    ems = {"2020": emissions("co2", 1.0), "2021": emissions("co2", 1.2, reject_second=True)}
    sk = {"2020": sinks(1.0), "2021": sinks(0.5)}
    return tci231_indicators(
        emissions=ems,
        concentrations=conc,
        sinks=sk,
        boundaries=b,
        periods=periods,
        inventory=inventory(),
        collapse=False,  # the full table: every row of Table 1 (the collapse is tested apart)
    )
