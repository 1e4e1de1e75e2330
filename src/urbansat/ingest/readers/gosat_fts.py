"""Reader of NIES GOSAT / GOSAT-2 TANSO-FTS SWIR L2 HDF5 (XCO2 and XCH4).

Layout: ``../shared/spec/formats.md`` and the HARP ``gosat_fts_l2`` ingestion
module; facts in ``urbansat/ingest/products/gosat_fts.yaml``.

Normalization
-------------
* One sounding (exposure) per row: ``y`` = exposure sorted by time, ``x`` of length 1.
* The gas is chosen from the content: ``XCO2*`` (ppm) or ``XCH4*`` (ppb);
  the bias-corrected value is preferred (``XCO2BiasCorrected``), falling back
  to the uncorrected one with ``attrs["comment"]`` saying so. Units are read
  from the byte-string ``unit`` attribute and converted (ppm <-> ppb) if needed.
* Floats equal to -9999 are NaN. ``qa_pass = (totalPostScreeningResult == 0) & finite``.
* ``scanAttribute/time`` strings ("YYYY-MM-DD hh:mm:ss.sss") -> datetime64[ns].
* The 36-point circular footprint (``footPrintLatitude/Longitude``, n x 36) is
  reduced to its lon/lat bounding box, counter-clockwise from the SW corner (as
  HARP does); longitudes continuous across the antimeridian.
* Byte-array attributes (``unit``, ``longName``) are decoded to str.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import xarray as xr

from urbansat.errors import MissingVariableError, SchemaError
from urbansat.ingest._locks import NETCDF_LOCK
from urbansat.ingest.readers._base import (
    ANTIMERIDIAN_NOTE,
    GranuleReader,
    Window,
    cf,
    check_file,
    empty_like_window,
    load_product,
    open_failure,
    reject_unknown,
    require,
    swath_attrs,
    unwrap_corners,
    wrap_position,
)
from urbansat.ingest.readers.tropomi_ch4 import resolve_chunks
from urbansat.ingest.units import check_coordinate_units, convert_declared, convert_units
from urbansat.schema import GAS_STANDARD_NAMES, GAS_UNITS, validate_granule

__all__ = ["GosatFTSReader"]

#: Dimensions of a footprint polygon variable in the file (exposure, vertex) ...
_FOOTPRINT_FILE_NDIM = 2
#: ... and in the normalized swath (y, x, vertex).
_FOOTPRINT_SWATH_NDIM = 3


def _decode(v: Any) -> str:
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace").rstrip("\x00").strip()
    if isinstance(v, np.ndarray):
        if v.dtype.kind == "S":
            return b"".join(v.ravel().tolist()).decode("utf-8", "replace").rstrip("\x00").strip()
        if v.dtype.kind in "iu":  # byte array stored as uint8
            return (
                bytes(v.astype("uint8").ravel().tolist())
                .decode("utf-8", "replace")
                .rstrip("\x00")
                .strip()
            )
        return " ".join(_decode(x) for x in v.ravel())
    return str(v)


def _structure(
    path: str | Path,
) -> tuple[dict[str, tuple[tuple[int, ...], str, dict[str, str]]], dict[str, str]]:
    """Return ``{dataset path: (shape, dtype kind, decoded attrs)}`` and root attrs."""
    import h5py

    out: dict[str, tuple[tuple[int, ...], str, dict[str, str]]] = {}
    try:
        with NETCDF_LOCK, h5py.File(path, "r") as h:

            def visit(name: str, obj: Any) -> None:
                if isinstance(obj, h5py.Dataset):
                    out[name] = (
                        obj.shape,
                        obj.dtype.kind,
                        {k: _decode(v) for k, v in obj.attrs.items()},
                    )

            h.visititems(visit)
            root = {k: _decode(v) for k, v in h.attrs.items()}
    except OSError as err:
        raise open_failure(path, err) from None
    return out, root


def _has_mixing_ratio(path: str | Path) -> bool:
    """Return True for a GOSAT FTS L2 file: exposure times and ``Data/mixingRatio/X*``."""
    s, _ = _structure(path)
    return "scanAttribute/time" in s and any(k.startswith("Data/mixingRatio/X") for k in s)


def _h5_dataarray(path: str, name: str, rows: slice | np.ndarray, chunks: Any) -> xr.DataArray:
    """Lazily read one HDF5 dataset (rows selected) through xarray's h5netcdf backend.

    Open and chunk reads hold :data:`~urbansat.ingest._locks.NETCDF_LOCK` (``lock=``).
    """
    grp, _, var = name.rpartition("/")
    with NETCDF_LOCK:
        ds = xr.open_dataset(
            path,
            group=grp,
            engine="h5netcdf",
            phony_dims="access",
            decode_times=False,
            cache=False,
            chunks=None,
            mask_and_scale=False,
            lock=NETCDF_LOCK,
        )
    da = ds[var]
    first = da.dims[0]
    da = da.isel({first: rows})
    return da.rename(
        {first: "y", **{d: f"dim{i}_{da.sizes[d]}" for i, d in enumerate(da.dims[1:], 1)}}
    )


class GosatFTSReader(GranuleReader):
    """NIES GOSAT (``GOSATTFTS2*.h5``) and GOSAT-2 (``GOSAT2TFTS2*.h5``) FTS SWIR L2."""

    name = "gosat_l2_fts"
    gases = ("co2", "ch4")
    description = "NIES GOSAT / GOSAT-2 TANSO-FTS SWIR L2 HDF5 (XCO2, XCH4)"

    def __init__(self) -> None:
        self.facts = load_product("gosat_fts")

    def _platform_from_name(self, path: str | Path) -> str | None:
        patterns: dict[str, str] = self.facts["platforms"][self.name]
        for plat, pat in patterns.items():
            if re.match(pat, Path(path).name):
                return plat
        return None

    def match_filename(self, path: str | Path) -> bool:
        """Return whether the file name follows a GOSAT or GOSAT-2 FTS SWIR L2 name."""
        return self._platform_from_name(path) is not None

    def guess_can_open(self, path: str | Path) -> bool:
        """Recognise the file by name, then by its exposure times and ``Data/mixingRatio``."""
        return self._name_or_content(path, _has_mixing_ratio)

    def gases_in(self, path: str | Path) -> list[str]:
        """Gases present in a file (``"co2"``/``"ch4"``), from its content."""
        s, _ = _structure(path)
        return [
            g for g, gf in self.facts["gases"].items() if gf["gas"] in s or gf["gas_fallback"] in s
        ]

    def open_dataset(
        self,
        path: str | Path,
        *,
        variables: Sequence[str] | None = None,
        gas: str | None = None,
        window: Window | None = None,
        chunks: Any = None,
        qa: str = "recommended",
    ) -> xr.Dataset:
        """Open a GOSAT FTS SWIR L2 file as a normalized swath (see the module docstring)."""
        f = self.facts
        check_file(path)
        s, root = _structure(path)
        require(path, f["required"], set(s), reader=self.name)
        present = self.gases_in(path)
        if not present:
            raise MissingVariableError(
                f"Granule '{path}' (GOSAT FTS L2) has neither Data/mixingRatio/XCO2* nor XCH4*. "
                "Use the SWIR L2 CO2 or CH4 product file."
            )
        if gas is None:
            if len(present) > 1:
                raise SchemaError(
                    f"Granule '{path}' carries both XCO2 and XCH4; pass gas='co2' or gas='ch4'."
                )
            gas = present[0]
        elif gas not in present:
            raise SchemaError(
                f"Granule '{path}' (GOSAT FTS) carries {present}, not {gas!r}. Pass "
                f"gas={present[0]!r} "
                "or use the matching product file."
            )
        gf = f["gases"][gas]
        n = s["scanAttribute/time"][0][0]
        tstr = self._read_times(path)
        order = np.argsort(tstr, kind="stable")
        rows, _ = (None, None) if window is None else window
        order = order[empty_like_window(n, rows)]
        sel: slice | np.ndarray = order
        if order.size and np.all(np.diff(order) == 1):
            sel = slice(int(order[0]), int(order[-1]) + 1)
        p = str(path)
        fill = float(f["fill_value"])

        def read(name: str) -> xr.DataArray:
            da = _h5_dataarray(p, name, sel, None)
            if da.dtype.kind == "f":
                da = da.where(da != fill)
            return da

        gname = gf["gas"] if gf["gas"] in s else gf["gas_fallback"]
        uname = gf["uncertainty"] if gf["uncertainty"] in s else gf["uncertainty_fallback"]
        if uname not in s:
            raise MissingVariableError(
                f"Granule '{path}' (GOSAT FTS) lacks {gf['uncertainty']} and "
                f"{gf['uncertainty_fallback']}; "
                "the uncertainty is required. Use the complete L2 file."
            )
        target = GAS_UNITS[gas]
        parts = {
            "gas": convert_units(
                read(gname), target, file=path, variable=gname, found=s[gname][2].get("unit")
            ),
            "unc": convert_units(
                read(uname), target, file=path, variable=uname, found=s[uname][2].get("unit")
            ),
            "lat": read("Data/geolocation/latitude"),
            "lon": read("Data/geolocation/longitude"),
            "flag": _h5_dataarray(p, f["qa"]["flag"], sel, None),
        }
        for name, axis in (
            ("Data/geolocation/latitude", "latitude"),
            ("Data/geolocation/longitude", "longitude"),
        ):
            check_coordinate_units(s[name][2], file=path, variable=name, axis=axis)
        core = [
            gname,
            uname,
            "Data/geolocation/latitude",
            "Data/geolocation/longitude",
            f["qa"]["flag"],
        ]
        bad = {c: s[c][0] for c in core if s[c][0] != (n,)}
        if bad:
            raise SchemaError(
                f"Granule '{path}' (GOSAT FTS): {bad} do not have one value per exposure "
                f"(scanAttribute/time has {n}); the file does not follow the NIES L2 layout."
            )
        extra = self._wanted(path, variables, s, n)
        for name in extra:
            fp, scale, unit = f["variables"][name]
            parts[name] = convert_declared(
                read(fp), unit, file=path, variable=fp, scale=scale, found=s[fp][2].get("unit")
            )
        ds = xr.Dataset(parts)
        ds = ds.expand_dims(x=1, axis=1)
        ds = ds.transpose("y", "x", ...)
        ch = resolve_chunks(
            chunks, "y", "x", (ds.sizes["y"], 1), [d for d in ds.dims if d not in ("y", "x")]
        )
        if ch is not None:
            ds = ds.chunk(ch)
        time = _parse_times(tstr, order, f["time_format"], path)
        return validate_granule(self._normalize(ds, path, gas, gname, time, qa, root))

    def _read_times(self, path: str | Path) -> np.ndarray:
        import h5py

        with NETCDF_LOCK, h5py.File(path, "r") as h:
            raw = h["scanAttribute/time"][()]
        return np.array([_decode(t) for t in raw.ravel()], dtype=object)

    def _wanted(
        self, path: str | Path, variables: Sequence[str] | None, s: dict[str, Any], n: int
    ) -> list[str]:
        table = self.facts["variables"]

        def fits(name: str) -> bool:  # one row per exposure; footprints as (n, 36) polygons
            shape = s[table[name][0]][0]
            return shape[:1] == (n,) and (
                len(shape) == _FOOTPRINT_FILE_NDIM
                if name.startswith("footprint_")
                else len(shape) == 1
            )

        if variables is None:
            found = [v for v, (fp, _, _) in table.items() if fp in s and fits(v)]
            halves = ("footprint_latitude", "footprint_longitude")
            if sum(v in found for v in halves) == 1:  # one half of a polygon is no footprint
                found = [v for v in found if v not in halves]
            return found
        reject_unknown(path, variables, table, reader=self.name)
        if any(v.startswith("footprint_") for v in variables):
            # a pair: both vertex arrays make latitude_bounds/longitude_bounds together
            pair = ["footprint_latitude", "footprint_longitude"]
            variables = list(dict.fromkeys([*variables, *pair]))
        missing = [table[v][0] for v in variables if table[v][0] not in s]
        if missing:
            raise MissingVariableError(
                f"Granule '{path}' lacks {missing}; drop them from variables=."
            )
        odd = [table[v][0] for v in variables if not fits(v)]
        if odd:
            raise SchemaError(
                f"Granule '{path}': {odd} do not have one row per exposure; drop them "
                "from variables=."
            )
        return list(variables)

    def _normalize(
        self,
        ds: xr.Dataset,
        path: str | Path,
        gas: str,
        gname: str,
        time: np.ndarray,
        qa: str,
        root: dict[str, str],
    ) -> xr.Dataset:
        f = self.facts
        var = f"x{gas}"
        units = GAS_UNITS[gas]
        lat, lon0 = ds["lat"], ds["lon"]
        valid = np.isfinite(lat) & np.isfinite(lon0)
        lon = wrap_position(lon0).where(valid)
        out: dict[str, xr.DataArray] = {}
        comment = (
            {}
            if gname.endswith("BiasCorrected")
            else {
                "comment": f"{gname} is NOT bias-corrected (no BiasCorrected variable in the file)"
            }
        )
        out[var] = cf(
            ds["gas"].where(valid),
            units,
            standard_name=GAS_STANDARD_NAMES[gas],
            long_name=f"column-averaged dry-air mole fraction of {gas.upper()}",
            source=gname,
            **comment,
        )
        out[f"{var}_uncertainty"] = cf(
            ds["unc"].where(valid), units, long_name=f"1-sigma error of {var}"
        )
        flag = ds["flag"]
        out["total_post_screening_result"] = cf(
            flag, "1", long_name="0 = good, 1 = bad", source=f["qa"]["flag"]
        )
        finite = np.isfinite(out[var])
        if qa == "recommended":
            qa_pass = (flag == f["qa"]["pass_equals"]) & finite & valid
            desc = "totalPostScreeningResult == 0 and finite"
        else:
            qa_pass = finite & valid
            desc = f"none (finite {var})"
        out["qa_pass"] = qa_pass.assign_attrs(
            long_name="passes the recommended screening", screening=desc
        )
        if "footprint_latitude" in ds and ds["footprint_latitude"].ndim == _FOOTPRINT_SWATH_NDIM:
            fl, fo = ds["footprint_latitude"], ds["footprint_longitude"]
            vdim = cast(str, fl.dims[-1])  # netCDF dimension names are str
            fo = unwrap_corners(fo, lon)
            la0, la1 = fl.min(vdim), fl.max(vdim)
            lo0, lo1 = fo.min(vdim), fo.max(vdim)
            corner = "corner"
            out["latitude_bounds"] = cf(
                xr.concat([la0, la0, la1, la1], corner).transpose("y", "x", corner),
                "degrees_north",
                long_name="footprint bounding box corners (CCW)",
            )
            out["longitude_bounds"] = cf(
                xr.concat([lo0, lo1, lo1, lo0], corner).transpose("y", "x", corner),
                "degrees_east",
                long_name="footprint bounding box corners (CCW)",
                comment=ANTIMERIDIAN_NOTE,
            )
        for name, (fp, _, u) in f["variables"].items():
            if name in ds and not name.startswith("footprint_"):
                out[name] = cf(ds[name], u, source=fp)
        if "surface_wind_speed" in out:
            out["surface_wind_speed"].attrs["standard_name"] = "wind_speed"
        tda = xr.DataArray(time.astype("datetime64[ns]"), dims=("y",)).expand_dims(x=1, axis=1)
        res = xr.Dataset(out).assign_coords(
            latitude=cf(lat.where(valid), "degrees_north", standard_name="latitude"),
            longitude=cf(lon, "degrees_east", standard_name="longitude", comment=ANTIMERIDIAN_NOTE),
            time=tda.assign_attrs(standard_name="time", long_name="exposure time (UTC)"),
        )
        platform = self._platform_from_name(path) or root.get("satellite") or "GOSAT"
        m = re.search(r"V(\d+)\.h5$", Path(path).name)
        res.attrs = {
            "product": self.name,
            "product_version": f"V{m.group(1)}" if m else "unknown",
            "gas": gas,
            "platform": platform,
            **swath_attrs(path, qa),
        }
        return res


def _parse_times(raw: np.ndarray, order: np.ndarray, fmt: str, path: str | Path) -> np.ndarray:
    """Parse ``scanAttribute/time`` strings at rows ``order``, naming the first that does not fit.

    Every string is checked (a bad one outside the selected rows is corrupt data too); the
    returned times are those of ``order``.
    """
    text = pd.Series(raw).astype(str).str.strip()
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        raise SchemaError(
            f"Granule '{path}' (GOSAT FTS): scanAttribute/time has {bad.size} value(s) that "
            f"are not times in the NIES layout {fmt!r}, the first {text.iloc[bad[0]]!r} "
            f"(exposure {int(bad[0])}). The file is corrupt or not a NIES L2 "
            "product: download it again."
        )
    return np.asarray(parsed.to_numpy()[order])
