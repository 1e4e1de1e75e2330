"""EDGE: read bottom-up emission inventories used to validate satellite estimates.

Two layouts are read into one long table (one row per inventory item and gas):

* **point sources** - the CoCO2 global power-plant catalogue v1.1 (Guevara et al.
  2024, ESSD, doi:10.24380/mxjo-nram): columns ``ID, ISO3, fuel, longitude,
  latitude, co2_emis_ty, ..., ch4_emis_ty`` in t/yr for 2018.
* **city / park inventories** - a CSV with ``boundary_id, sector, gas, period,
  emission_t_per_yr`` (+ optional ``emission_t_per_yr_uncertainty``,
  ``source``), sectors either GPC (stationary_energy, transport, waste, ippu,
  afolu) or the T/CI 231 on-line monitoring subjects (energy, industry,
  buildings, transport, parks, communities).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

import numpy as np
import pandas as pd

from urbansat.errors import SchemaError
from urbansat.ingest.tables import read_csv_table

__all__ = ["GPC_SECTORS", "INVENTORY_COLUMNS", "TCI231_ONLINE_SUBJECTS", "read_inventory"]

#: GHG Protocol for Cities (GPC, WRI/C40/ICLEI 2014, ch. 4) sectors.
GPC_SECTORS: Final[tuple[str, ...]] = ("stationary_energy", "transport", "waste", "ippu", "afolu")
#: T/CI 231-2023 Table 1 row C (on-line monitoring) subjects.
TCI231_ONLINE_SUBJECTS: Final[tuple[str, ...]] = (
    "energy",
    "industry",
    "buildings",
    "transport",
    "circular_economy",
    "parks",
    "communities",
)
#: Columns of the table :func:`read_inventory` returns.
INVENTORY_COLUMNS: Final[tuple[str, ...]] = (
    "inventory_id",
    "boundary_id",
    "sector",
    "gas",
    "period",
    "longitude",
    "latitude",
    "emission_t_per_yr",
    "emission_t_per_yr_uncertainty",
    "source",
)

_COCO2_GASES: Final = {"co2": "co2_emis_ty", "ch4": "ch4_emis_ty"}


def read_inventory(
    path: str | Path, *, kind: Literal["auto", "coco2", "city"] = "auto"
) -> pd.DataFrame:
    """Read an emission inventory into the long table :data:`INVENTORY_COLUMNS`.

    Parameters
    ----------
    path : str or Path
        CSV file (CoCO2 catalogue or city/park inventory).
    kind : {"auto", "coco2", "city"}, default "auto"
        Layout; ``"auto"`` recognises the CoCO2 header (``ID`` and ``co2_emis_ty``).

    Returns
    -------
    pandas.DataFrame
        Point sources carry ``longitude``/``latitude`` (``boundary_id`` empty);
        city inventories carry ``boundary_id`` and ``sector``. Emissions in
        t yr-1 (of the gas itself, not CO2-equivalent). CoCO2 gives no
        per-plant uncertainty: ``emission_t_per_yr_uncertainty`` is NaN there.

    Raises
    ------
    InputFileError
        The file is missing or not a CSV.
    SchemaError
        Required columns are missing, sectors or gases are unknown, or
        emissions are negative / non-numeric - all problems listed at once.
    """
    raw = read_csv_table(path, "Inventory")  # the file gate included
    path = Path(path)
    if kind == "auto":
        kind = "coco2" if {"ID", "co2_emis_ty"} <= set(raw.columns) else "city"
    if kind == "coco2":
        return _coco2(raw, path)
    return _city(raw, path)


def _coco2(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    need = ["ID", "longitude", "latitude", *_COCO2_GASES.values()]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise SchemaError(f"CoCO2 catalogue {str(path)!r} lacks columns {missing}.")
    parts = []
    for gas, col in _COCO2_GASES.items():
        parts.append(
            pd.DataFrame(
                {
                    "inventory_id": raw["ID"].astype(str),
                    "boundary_id": "",
                    "sector": "power:"
                    + raw.get("fuel", pd.Series("", index=raw.index)).astype(str),
                    "gas": gas,
                    "period": "2018",
                    "longitude": raw["longitude"].astype(float),
                    "latitude": raw["latitude"].astype(float),
                    "emission_t_per_yr": raw[col].astype(float),
                    "emission_t_per_yr_uncertainty": np.nan,
                    "source": f"CoCO2 power-plant catalogue v1.1 ({path.name})",
                }
            )
        )
    return pd.concat(parts, ignore_index=True).loc[:, list(INVENTORY_COLUMNS)]


def _city(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    problems: list[str] = []
    need = ["boundary_id", "sector", "gas", "period", "emission_t_per_yr"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise SchemaError(
            f"inventory {str(path)!r} lacks columns {missing}; a city inventory needs "
            f"{need} (+ emission_t_per_yr_uncertainty, source)."
        )
    df = raw.copy()
    df["sector"] = df["sector"].astype(str).str.strip().str.lower().str.replace(" ", "_")
    df["gas"] = df["gas"].astype(str).str.strip().str.lower()
    allowed = set(GPC_SECTORS) | set(TCI231_ONLINE_SUBJECTS)
    bad = sorted(set(df["sector"]) - allowed)
    if bad:
        problems.append(
            f"unknown sectors {bad}; use GPC {list(GPC_SECTORS)} or T/CI 231 "
            f"{list(TCI231_ONLINE_SUBJECTS)}"
        )
    from urbansat.categories import GASES

    bad_gas = sorted(set(df["gas"]) - set(GASES))
    if bad_gas:
        problems.append(f"unknown gases {bad_gas}; use {list(GASES)}")
    values = pd.to_numeric(df["emission_t_per_yr"], errors="coerce")
    rows = [int(i) + 1 for i in np.flatnonzero(values.isna().to_numpy() | (values < 0).to_numpy())]
    if rows:
        problems.append(
            f"emission_t_per_yr is missing, non-numeric or negative on data rows {rows[:10]} "
            "(1-based, after the header)"
        )
    unc = pd.to_numeric(
        df.get("emission_t_per_yr_uncertainty", pd.Series(np.nan, index=df.index)), errors="coerce"
    )
    if problems:
        raise SchemaError(f"inventory {str(path)!r} is invalid:\n  - " + "\n  - ".join(problems))
    return pd.DataFrame(
        {
            "inventory_id": [
                f"{b}:{s}:{g}:{p}"
                for b, s, g, p in zip(df.boundary_id, df.sector, df.gas, df.period, strict=True)
            ],
            "boundary_id": df["boundary_id"].astype(str),
            "sector": df["sector"],
            "gas": df["gas"],
            "period": df["period"].astype(str),
            "longitude": np.nan,
            "latitude": np.nan,
            "emission_t_per_yr": values.astype(float),
            "emission_t_per_yr_uncertainty": unc.astype(float),
            "source": df["source"].astype(str) if "source" in df else path.name,
        }
    ).loc[:, list(INVENTORY_COLUMNS)]
