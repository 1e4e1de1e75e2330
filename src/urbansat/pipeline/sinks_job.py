"""The ``[[sinks]]`` job keys of issue 18: valuation, reference sample, rasters.

Job TOML keys (beside those of :func:`urbansat.account_sinks`)::

    [[sinks]]
    factors = "invest:biophysical.csv"  # an InVEST carbon-pools table (path relative to the TOML)
    method = "stock_difference"
    price = 43.0  # per t C -> npv, npv_low, npv_high
    discount_rate = 7.0  # % per year
    rate_change = 0.0  # % per year
    accuracy_samples = "samples.csv"  # sample counts: map class rows, reference class columns
    write_rasters = true  # storage / change / NPV GeoTIFFs in <output_dir>/rasters/<name>/
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from urbansat.errors import InputFileError, SchemaError

__all__ = [
    "RASTERS",
    "factor_file",
    "raster_names",
    "read_sample_counts",
    "resolve_factors",
    "section_options",
    "section_raster_dir",
    "section_raster_paths",
    "write_section_rasters",
]

#: Folder of the sink GeoTIFFs in a job's output folder: ``<output_dir>/rasters/<name>/``.
RASTERS = "rasters"
#: The 2-D maps of :func:`urbansat.carbon_maps` that :func:`write_carbon_maps` writes (without
#: valuation), in its order; the per-pool densities follow as ``<pool>_start``/``<pool>_end``.
_MAPS = (
    "density_start",
    "density_end",
    "density_change",
    "stock_start",
    "stock_end",
    "stock_change",
)
#: Added with a ``price`` (:func:`urbansat.carbon_maps` ``valuation=``).
_NPV_MAPS = ("npv_density", "npv")


def factor_file(factors: Any) -> str | None:
    """Return the file a job's ``factors`` names (InVEST table or factor CSV); None for a name.

    The config made the path absolute and checked that it exists.
    """
    if not isinstance(factors, str):
        return None
    if factors.startswith("invest:"):
        return factors[len("invest:") :]
    from urbansat.sinks.factors import PACKAGED_TABLES

    return None if factors in PACKAGED_TABLES else factors


def resolve_factors(factors: Any) -> Any:
    """Read a job file's factor-table CSV or ``"invest:<path>"``; pass table names through.

    Reading happens here, at the I/O edge, so :mod:`urbansat.sinks` stays free of file access.
    A factor-table CSV was passed on as a table name and refused at run time.
    """
    path = factor_file(factors)
    if path is None:
        return factors
    if not factors.startswith("invest:"):
        from urbansat.ingest.factors import read_factor_table

        return read_factor_table(path)
    from urbansat.ingest.factors import read_invest_table
    from urbansat.sinks.factors import factor_table_from_invest

    return factor_table_from_invest(
        read_invest_table(path), name=Path(path).stem, source=f"InVEST carbon pools CSV {path}"
    )


def read_sample_counts(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a sample-count CSV: map class (land-cover code) rows, one column per reference class.

    Raises
    ------
    InputFileError
        The file does not exist or cannot be read.
    SchemaError
        Class labels that are not integer land-cover codes.
    """
    from urbansat.ingest.tables import read_csv_table

    # the project's CSV reader (file gate, UTF-8 with the fix, BOM, ';' / tab): pandas'
    # EmptyDataError / UnicodeDecodeError escaped as a raw traceback
    raw = read_csv_table(path, "Sample-count table (sinks accuracy_samples)")
    if raw.empty or len(raw.columns) < 2:  # noqa: PLR2004 - class column + one reference class
        raise InputFileError(
            f"Sample-count table {str(path)!r} has no sample counts (columns "
            f"{list(raw.columns)}, {len(raw)} row(s)); give one row per map class: the class "
            "code, then one column of counts per reference class (header: map,10,20,...)."
        )
    df = raw.set_index(raw.columns[0])
    try:
        df.index = df.index.astype("int64")
        df.columns = [c if c in ("total", "Total") else int(c) for c in df.columns]
    except (TypeError, ValueError) as exc:
        raise SchemaError(
            f"Sample-count table {str(path)!r}: rows and columns must be land-cover codes (and an "
            f"optional 'total' column); got rows {list(df.index)[:5]}, columns "
            f"{list(df.columns)[:5]}."
        ) from exc
    return df


def section_options(
    section: Mapping[str, Any], map_areas: pd.Series | None = None
) -> dict[str, Any]:
    """``account_sinks`` keywords for the issue-18 keys of one ``[[sinks]]`` section.

    ``accuracy_samples`` needs the mapped area of each class (``map_areas``, ha), from the
    whole land-cover map; without it the sample is ignored here (the caller passes it).
    """
    out: dict[str, Any] = {}
    if section.get("price") is not None:
        out["valuation"] = {
            "price": float(section["price"]),
            "discount_rate": float(section.get("discount_rate", 0.0)),
            "rate_change": float(section.get("rate_change", 0.0)),
        }
    if section.get("accuracy_samples") and map_areas is not None:
        from urbansat.sinks.accuracy import error_adjusted_areas

        out["accuracy"] = error_adjusted_areas(
            read_sample_counts(section["accuracy_samples"]), map_areas
        )
    return out


def raster_names(section: Mapping[str, Any]) -> list[str]:
    """Return the GeoTIFF stems ``write_section_rasters`` writes, known from the section's keys.

    The storage and change maps, ``npv_density`` and ``npv`` with a ``price``, and one
    density map per pool and epoch (``c_above_start`` ...; ``pools`` or the four InVEST
    pools). A job plans them before it runs, to guard them against its inputs, record them in
    its manifest and remove them once no section writes them.

    Raises
    ------
    FactorError
        ``pools`` names an unknown pool or one twice (as the accounting refuses it).
    """
    from urbansat.sinks.accounting import check_pools
    from urbansat.sinks.factors import POOLS

    pools = check_pools(section["pools"] if section.get("pools") is not None else POOLS)
    maps = [*_MAPS, *(_NPV_MAPS if section.get("price") is not None else ())]
    return maps + [f"{p}_{epoch}" for epoch in ("start", "end") for p in pools]


def section_raster_dir(section: Mapping[str, Any], out_dir: str | os.PathLike[str]) -> Path:
    """``<out_dir>/rasters/<name>``: the folder of one section's GeoTIFFs."""
    return Path(out_dir) / RASTERS / str(section.get("name", "sinks"))


def section_raster_paths(section: Mapping[str, Any], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Every GeoTIFF of a section with ``write_rasters = true`` ([] without it)."""
    if not section.get("write_rasters"):
        return []
    folder = section_raster_dir(section, out_dir)
    return [folder / f"{name}.tif" for name in raster_names(section)]


def write_section_rasters(
    section: Mapping[str, Any], out_dir: str | os.PathLike[str], inputs: list[str]
) -> dict[str, Path]:
    """Compute the :func:`urbansat.carbon_maps`; write them to ``out_dir/rasters/<name>``."""
    from urbansat.export.rasters import write_carbon_maps
    from urbansat.ingest.landcover import open_landcover
    from urbansat.sinks.maps import carbon_maps

    starts = section["landcover_start"]
    ends = section["landcover_end"]
    lc0 = open_landcover(starts if len(starts) > 1 else starts[0])
    lc1 = open_landcover(ends if len(ends) > 1 else ends[0])
    kw = {
        k: section[k]
        for k in ("factors", "climate_zone", "legend", "pools", "align_to", "years")
        if k in section
    }
    if "factors" in kw:
        kw["factors"] = resolve_factors(kw["factors"])
    opts = section_options(section)
    if opts.get("valuation") is None:
        kw.pop("years", None)  # the section's years serve the accounting; the maps need it for NPV
    maps = carbon_maps(lc0, lc1, valuation=opts.get("valuation"), **kw)
    return write_carbon_maps(
        maps,
        section_raster_dir(section, out_dir),
        inputs=[*starts, *ends, *inputs],
    )
