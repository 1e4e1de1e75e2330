r"""Reader of Sentinel-5P TROPOMI CH4 L2 (processor 1.x and 2.x, GES DISC subsets).

Layout: ``../shared/spec/formats.md`` (measured on real files); facts in
``urbansat/ingest/products/tropomi_l2_ch4.yaml``.

Normalization
-------------
* ``y`` = ``scanline``, ``x`` = ``ground_pixel``; the length-1 ``time`` dim is dropped.
* ``xch4`` = ``methane_mixing_ratio_bias_corrected`` [ppb]; when a file lacks it
  (variable subsets) ``methane_mixing_ratio`` is used and ``xch4.attrs["comment"]``
  says so. ``xch4_uncertainty`` = ``methane_mixing_ratio_precision``.
* ``qa_value`` is a uint8 with ``scale_factor`` 0.01 (decoded to 0-1);
  ``qa_pass = (qa_value >= 0.5) & isfinite(xch4)`` (Product User Manual).
* ``time`` = ``PRODUCT/time`` (s since 2010-01-01) + ``delta_time`` (ms), per scanline,
  broadcast over ``x``.
* Vertical: the 12 layers are already top-of-atmosphere first (checked on the
  real Bowen Basin granule: the a-priori at index 0 is stratospheric,
  ~1390 ppb, and ``altitude_levels[0]`` ~ 64 km). With N = 12 layers of equal
  thickness ``dp = pressure_interval`` above ``psurf``, level interface ``k``
  (TOA first) is at ``psurf - (N - k) dp`` and the layer mid-point is

  .. math:: p_k = p_{surf} - (N - k - 1/2)\,\Delta p, \quad k = 0..N-1

  ``pressure_weight_k = d_k / sum_j d_j`` with ``d`` = ``dry_air_subcolumns``
  [mol m-2]; ``xch4_profile_apriori_k = 1e9 * m_k / d_k`` [ppb] with ``m`` =
  ``methane_profile_apriori`` [mol m-2]; ``xch4_apriori = 1e9 * sum m / sum d``.
* Longitudes are wrapped to [-180, 180). **Antimeridian**: footprint corner
  longitudes are made continuous with their centre (moved by +-360 so they lie
  within 180 deg of it); corners of pixels straddling 180 deg may therefore lie
  just outside [-180, 180). ``ds.attrs["antimeridian"]`` records this.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from urbansat.errors import InputFileError, MissingVariableError, UnitsError, UrbansatWarning
from urbansat.ingest._locks import NETCDF_LOCK, open_netcdf_groups
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
from urbansat.ingest.units import (
    check_coordinate_units,
    check_time_units,
    convert_declared,
    convert_units,
)
from urbansat.schema import GAS_STANDARD_NAMES, validate_granule

__all__ = ["TropomiCH4Reader"]

_EPOCH_2010 = np.datetime64("2010-01-01T00:00:00", "ns")
#: Bit/class flags kept with their native dtype and values (fill 255 / 4294967295 included).
_RAW_FLAGS = ("geolocation_flags", "processing_quality_flags", "surface_classification")
#: INPUT_DATA variables converted from the unit the file declares (normalized unit)
_DECLARED = {
    "surface_pressure": "Pa",
    "pressure_interval": "Pa",
    "eastward_wind": "m s-1",
    "northward_wind": "m s-1",
}


def _attr(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray) and v.size == 1:
        return _attr(v.ravel()[0])
    return v.item() if isinstance(v, np.generic) else v


def _structure(path: str | Path) -> tuple[dict[str, set[str]], dict[str, Any]]:
    """Return ``({group path: variable names}, global attrs)`` of the PRODUCT tree.

    Uses h5py, which opens lazily: the netCDF-C library would parse every
    METADATA/ISO group on open (~0.2 s on a full orbit). h5py links its own HDF5
    build (not the one inside the netCDF4 wheel), and it runs under
    :data:`~urbansat.ingest._locks.NETCDF_LOCK` like every file call of the readers.
    """
    import h5py

    out: dict[str, set[str]] = {}
    try:
        with NETCDF_LOCK, h5py.File(path, "r") as h:
            gattrs = {k: _attr(v) for k, v in h.attrs.items()}
            out["/"] = {k for k, o in h.items() if isinstance(o, h5py.Dataset)}

            def walk(g: Any, prefix: str) -> None:
                names: set[str] = set()
                for k, o in g.items():
                    if isinstance(o, h5py.Group):
                        walk(o, f"{prefix}/{k}" if prefix else k)
                    else:  # may include netCDF dimension-only datasets: harmless here
                        names.add(k)
                out[prefix] = names

            if "PRODUCT" in h:
                walk(h["PRODUCT"], "PRODUCT")
            for k in h:
                if isinstance(h[k], h5py.Group) and k != "PRODUCT":
                    out.setdefault(k, set())
    except OSError as err:
        raise open_failure(path, err) from None
    return out, gattrs


def _has_methane(path: str | Path) -> bool:
    """Return True when the file's ``PRODUCT`` group holds a methane mixing ratio."""
    s, _ = _structure(path)
    return "PRODUCT" in s and (
        "methane_mixing_ratio" in s["PRODUCT"]
        or "methane_mixing_ratio_bias_corrected" in s["PRODUCT"]
    )


def resolve_chunks(
    chunks: Any,
    ydim: str,
    xdim: str,
    shape_yx: tuple[int, int],
    extra_dims: Sequence[Hashable] = (),
) -> dict[Hashable, Any] | None:
    """Translate ``open_granules`` chunks (on ``y``/``x``) into raw-dimension chunks.

    ``"auto"`` chunks along ``y`` only (whole rows, so per-row operations stay in
    one block), sized by dask's ``array.chunk-size`` for a float32 cube of 16 levels.
    """
    if chunks is None:
        return None
    out: dict[Hashable, Any]
    if isinstance(chunks, dict):
        out = {ydim: chunks.get("y", -1), xdim: chunks.get("x", -1)}
    elif chunks == "auto":
        import dask.array as dsa

        ny, nx = shape_yx
        cy = dsa.core.normalize_chunks(  # type: ignore[no-untyped-call]  # dask has no annotations
            ("auto", -1, -1), shape=(max(ny, 1), max(nx, 1), 16), dtype=np.float32
        )[0][0]
        out = {ydim: cy, xdim: -1}
    elif isinstance(chunks, int):
        out = {ydim: chunks, xdim: chunks}
    else:
        out = {ydim: chunks, xdim: -1}
    for d in extra_dims:
        out[d] = -1
    return out


#: Product variables that enter the swath only through :func:`_geolocation` and
#: :func:`_vertical` (converted or combined there), never copied as they are.
_DERIVED_FROM = (
    "latitude_bounds",
    "longitude_bounds",
    "surface_pressure",
    "column_averaging_kernel",
    "dry_air_subcolumns",
    "pressure_interval",
    "methane_profile_apriori",
)


def _check_delta_time_reference(attrs: dict[Hashable, Any], tref: np.ndarray, path: Any) -> None:
    """Refuse a ``delta_time`` whose ``since <day>`` is not the instant of ``PRODUCT/time``.

    The reader counts ``delta_time`` from ``PRODUCT/time`` (the product's rule). A file whose
    ``delta_time`` was re-encoded against another reference (``milliseconds since`` the
    day before, values shifted to match) had every time a day off, silently.

    Raises
    ------
    UnitsError
        The two references differ; the message names both and the fix.
    """
    import pandas as pd

    found = attrs.get("units")
    if isinstance(found, bytes):
        found = found.decode("utf-8", "replace")
    m = re.search(r"since\s+(.+)$", str(found or "").strip(), flags=re.IGNORECASE)
    if m is None or not tref.size or not np.isfinite(np.asarray(tref, "float64")[0]):
        return  # v1 "milliseconds": counted from PRODUCT/time by definition
    try:
        ref = pd.Timestamp(m.group(1).strip().removesuffix("UTC").strip())
    except ValueError:
        ref = None
    base = _EPOCH_2010 + np.timedelta64(int(np.asarray(tref, "float64")[0]), "s")
    if ref is not None and ref.tz is not None:
        ref = ref.tz_convert("UTC").tz_localize(None)
    if ref is None or pd.Timestamp(base) != ref:
        raise UnitsError(
            f"Granule '{path}': PRODUCT/delta_time has units {found!r}, but its reference "
            f"must be the instant of PRODUCT/time ({np.datetime_as_string(base, 's')} UTC), "
            "from which the product counts it; a tool re-encoded the time axis. Use the "
            "original product file, or write delta_time in milliseconds since that instant."
        )


def _scanline_time(times: tuple[np.ndarray, np.ndarray], lat: xr.DataArray) -> xr.DataArray:
    """Time of every pixel: the scanline's reference (s since 2010) + delta_time (ms)."""
    tref, dt = times
    base = _EPOCH_2010 + np.timedelta64(int(tref[0]), "s")
    t_row = np.where(
        np.isfinite(dt),
        base + (np.nan_to_num(dt) * 1e6).astype("int64").astype("timedelta64[ns]"),
        np.datetime64("NaT", "ns"),
    )
    time = xr.DataArray(t_row, dims=("y",)).broadcast_like(lat)
    return time.transpose("y", "x")


def _geolocation(ds: xr.Dataset, lon: xr.DataArray, valid: xr.DataArray) -> dict[str, xr.DataArray]:
    """Footprint corners (when the file has them), longitudes unwrapped around ``lon``."""
    out: dict[str, xr.DataArray] = {}
    # a pair: _wanted reads both bounds when either is asked for
    if "latitude_bounds" in ds and "longitude_bounds" in ds:
        out["latitude_bounds"] = cf(
            ds["latitude_bounds"].where(valid),
            "degrees_north",
            long_name="footprint corner latitudes (counter-clockwise)",
        )
        lonb = unwrap_corners(ds["longitude_bounds"], lon).where(valid)
        out["longitude_bounds"] = cf(
            lonb,
            "degrees_east",
            long_name="footprint corner longitudes (counter-clockwise)",
            comment=ANTIMERIDIAN_NOTE,
        )
    return out


def _vertical(
    ds: xr.Dataset, n_layers: int | None = None, path: str | Path = "?"
) -> dict[str, xr.DataArray]:
    """Layer pressures, pressure weights, a-priori profile and averaging kernel (if present).

    ``n_layers`` is the file's ``layer`` dimension: ``pressure`` needs it when no layered
    variable (averaging kernel, subcolumns, a-priori) was read.
    """
    out: dict[str, xr.DataArray] = {}
    if "pressure_interval" in ds and "surface_pressure" in ds:
        n = ds.sizes.get("level", n_layers)
        if n is None:
            raise MissingVariableError(
                f"Granule '{path}' has no 'layer' dimension in its PRODUCT group, so the "
                "number of layers of the variable 'pressure' (surface_pressure - "
                "(N - k - 1/2) pressure_interval) is unknown. Ask for 'pressure' together "
                "with 'pressure_weight' (variables=['pressure', 'pressure_weight']), or use a "
                "full L2 file."
            )
        k = xr.DataArray(np.arange(n, dtype="float32"), dims=("level",))
        p = ds["surface_pressure"] - (n - k - 0.5) * ds["pressure_interval"]
        out["pressure"] = cf(
            p.transpose("y", "x", "level"),
            "Pa",
            standard_name="air_pressure",
            long_name="mid-layer pressure (level 0 = top of atmosphere)",
        )
    if "surface_pressure" in ds:
        out["surface_pressure"] = cf(
            ds["surface_pressure"], "Pa", standard_name="surface_air_pressure"
        )
    if "dry_air_subcolumns" in ds:
        d = ds["dry_air_subcolumns"]
        dsum = d.sum("level", min_count=1)
        out["pressure_weight"] = cf(
            d / dsum,
            "1",
            long_name="column pressure weighting function "
            "(dry_air_subcolumns / sum; level 0 = TOA)",
        )
        out["dry_air_subcolumns"] = cf(d, "mol m-2", long_name="dry air subcolumns")
        if "methane_profile_apriori" in ds:
            m = ds["methane_profile_apriori"]
            out["xch4_profile_apriori"] = cf(
                1e9 * m / d, "ppb", long_name="a-priori CH4 mole fraction per layer (TOA first)"
            )
            out["xch4_apriori"] = cf(
                1e9 * m.sum("level") / dsum, "ppb", long_name="a-priori column-averaged CH4"
            )
    if "column_averaging_kernel" in ds:
        out["column_averaging_kernel"] = cf(
            ds["column_averaging_kernel"],
            "1",
            long_name="column averaging kernel (level 0 = TOA)",
        )
    return out


class TropomiCH4Reader(GranuleReader):
    """Sentinel-5P TROPOMI CH4 L2, v1 (processor 1.x) and v2 (2.x), incl. GES DISC subsets."""

    name = "tropomi_l2_ch4"
    gases = ("ch4",)
    description = "Sentinel-5P TROPOMI CH4 L2 (processor 1.x/2.x, GES DISC .SUB.nc4 subsets)"

    def __init__(self) -> None:
        self.facts = load_product(self.name)

    def match_filename(self, path: str | Path) -> bool:
        """Return whether the file name follows the S5P L2 CH4 (or GES DISC subset) naming."""
        return re.match(self.facts["filename"], Path(path).name) is not None

    def guess_can_open(self, path: str | Path) -> bool:
        """Recognise the file by name, then by its methane mixing-ratio variable."""
        return self._name_or_content(path, _has_methane)

    # ------------------------------------------------------------------ open
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
        """Open a TROPOMI CH4 L2 granule as a normalized swath (see the module docstring)."""
        f = self.facts
        self.require_gas(path, gas)
        check_file(path)
        s, gattrs = _structure(path)
        groups = {k: s.get(v) for k, v in f["groups"].items()}
        prod = groups["product"]
        data_vars = ["latitude", "longitude", f["gas_variable"], f["gas_fallback"], f["qa"]["flag"]]
        if prod is None or not any(v in prod for v in data_vars):
            raise MissingVariableError(
                f"Granule '{path}' looks like TROPOMI CH4 L2 but its 'PRODUCT' group is "
                + (
                    "missing"
                    if prod is None
                    else "empty (no data variables: the arrays were stripped)"
                )
                + ". "
                "It holds metadata only; download the full L2 file (or a GES DISC subset that "
                "keeps PRODUCT/methane_mixing_ratio*, latitude, longitude, qa_value)."
            )
        require(path, f["required"], prod, reader=self.name, where="group 'PRODUCT'")
        has_qa = f["qa"]["flag"] in prod
        if qa == "recommended" and not has_qa:
            raise MissingVariableError(
                f"Granule '{path}' (TROPOMI CH4) has no PRODUCT/qa_value, so the recommended "
                "screening (qa_value >= 0.5) cannot be applied; it is probably a variable "
                "subset. Pass qa='none' to open it without screening (qa_pass is then "
                "'finite XCH4'), or download a file that keeps qa_value."
            )

        # --- which variables to read, per group
        want = self._wanted(path, variables, groups)
        gas_name = f["gas_variable"] if f["gas_variable"] in prod else f["gas_fallback"]
        prod_vars = ["latitude", "longitude", "time", "delta_time", gas_name]
        for v in (f["uncertainty"], f["qa"]["flag"]):
            if v in prod:
                prod_vars.append(v)
        if "pressure_interval" in want.get("input", []) and "layer" in prod:
            prod_vars.append("layer")  # N of the layers of 'pressure' (1-D coordinate)

        ydim, xdim = "scanline", "ground_pixel"
        keep: dict[str, Sequence[str]] = {
            "PRODUCT": prod_vars,
            **{f["groups"][k]: v for k, v in want.items()},
        }
        ds = self._open_tree(path, groups, keep)
        n_layers = ds.sizes.get("layer")
        ny, nx = ds.sizes[ydim], ds.sizes[xdim]
        rows, cols = (None, None) if window is None else window
        rows, cols = empty_like_window(ny, rows), empty_like_window(nx, cols)
        ds = ds.isel({ydim: rows, xdim: cols, "time": 0}, missing_dims="ignore")
        # per-scanline time: tiny, read now (before dask) so no compute is needed later
        if "time" in ds.variables:
            check_time_units(
                ds["time"].attrs,
                file=path,
                variable="PRODUCT/time",
                epoch="2010-01-01",
                step="seconds",
            )
        check_time_units(
            ds["delta_time"].attrs,
            file=path,
            variable="PRODUCT/delta_time",
            epoch=None,
            step="milliseconds",
        )
        times = (
            np.asarray(ds["time"].values).ravel(),
            np.asarray(ds["delta_time"].values, dtype="float64"),
        )
        if times[0].size and not np.isfinite(np.asarray(times[0], "float64")[0]):
            raise InputFileError(
                f"Granule '{path}': PRODUCT/time (the orbit's reference time, s since "
                "2010-01-01) is the fill value, so no sounding has a time. The file is corrupt "
                "or a failed subset: download it again."
            )
        _check_delta_time_reference(ds["delta_time"].attrs, times[0], path)
        if times[1].size and not np.isfinite(times[1]).any():
            raise InputFileError(
                f"Granule '{path}': PRODUCT/delta_time is the fill value on every scanline, so no "
                "sounding has a time and every time filter and period would drop them all. The "
                "file is corrupt or a failed subset: download it again."
            )
        ch = resolve_chunks(
            chunks,
            ydim,
            xdim,
            (ds.sizes[ydim], ds.sizes[xdim]),
            [d for d in ("layer", "level", "corner") if d in ds.dims],
        )
        if ch is not None:
            ds = ds.chunk(ch)
        ds = ds.rename_dims(
            {ydim: "y", xdim: "x", "layer": "level"}
            if "layer" in ds.dims
            else {ydim: "y", xdim: "x"}
        )
        ds = ds.drop_vars(
            [
                v
                for v in (
                    "scanline",
                    "ground_pixel",
                    "layer",
                    "level",
                    "corner",
                    "time_idx",
                    "scanline_idx",
                    "ground_pixel_idx",
                )
                if v in ds.coords or v in ds.data_vars
            ],
            errors="ignore",
        )
        geo = groups.get("geolocations") or set()
        gattrs = {**gattrs, "__has_bounds__": "latitude_bounds" in geo, "__n_layers__": n_layers}
        return validate_granule(
            self._normalize(ds, path, gas_name, prod, has_qa, qa, gattrs, times)
        )

    def _wanted(
        self, path: str | Path, variables: Sequence[str] | None, groups: dict[str, set[str] | None]
    ) -> dict[str, list[str]]:
        table = self.facts["variables"]
        derived = {
            "pressure": ["surface_pressure", "pressure_interval"],
            # a pair: corners are read (and returned) together
            "latitude_bounds": ["latitude_bounds", "longitude_bounds"],
            "longitude_bounds": ["latitude_bounds", "longitude_bounds"],
            "pressure_weight": ["dry_air_subcolumns"],
            "xch4_profile_apriori": ["methane_profile_apriori", "dry_air_subcolumns"],
            "xch4_apriori": ["methane_profile_apriori", "dry_air_subcolumns"],
        }
        if variables is None:
            names = list(table) + list(derived)
            strict = False
        else:
            reject_unknown(path, variables, set(table) | set(derived), reader=self.name)
            names, strict = list(variables), True
        raw_names: list[str] = []
        for n in names:
            raw_names.extend(derived.get(n, [n]))
        want: dict[str, list[str]] = {}
        missing: list[str] = []
        for n in dict.fromkeys(raw_names):
            key, file_name, _ = table[n]
            present = groups.get(key)
            if present is not None and file_name in present:
                want.setdefault(key, []).append(file_name)
            else:
                missing.append(f"{self.facts['groups'][key]}/{file_name}")
        if missing and strict:
            raise MissingVariableError(
                f"Granule '{path}' lacks {missing} needed for the requested variables "
                f"{list(variables or [])}. Drop them from variables= or use a full L2 file."
            )
        return want

    def _open_tree(
        self, path: str | Path, groups: dict[str, set[str] | None], keep: dict[str, Sequence[str]]
    ) -> xr.Dataset:
        """Open the PRODUCT subtree with ONE netCDF open and merge the wanted variables.

        The groups share one file manager (picklable, so it runs on
        dask.distributed); one open per group would parse the file's metadata each
        time (~0.1 s per group). The open and its metadata reads hold
        :data:`~urbansat.ingest._locks.NETCDF_LOCK`, and the lazy arrays read their
        chunks under it: netCDF-C is not thread-safe, and xarray locks only its chunk
        reads, so an unlocked open racing a dask read segfaulted
        (:func:`~urbansat.ingest._locks.open_netcdf_groups`).
        """
        needed = {n for names in keep.values() for n in names}
        everything = {n for names in groups.values() if names for n in names}
        try:
            tree = open_netcdf_groups(
                path,
                list(keep),
                decode_times=False,
                decode_timedelta=False,
                drop_variables=sorted(everything - needed),
                cache=False,
                chunks=None,
                # raw flags keep their native integer values (fill included), not float + NaN
                mask_and_scale=dict.fromkeys(_RAW_FLAGS, False),
            )
        except OSError as err:
            raise open_failure(path, err) from None
        parts = []
        for gpath, names in keep.items():
            g = tree[gpath]
            parts.append(g[[n for n in names if n in g.variables]])
        return xr.merge(parts, compat="override", join="override", combine_attrs="drop_conflicts")

    # ------------------------------------------------------------- normalize
    def _normalize(
        self,
        ds: xr.Dataset,
        path: str | Path,
        gas_name: str,
        prod: set[str],
        has_qa: bool,
        qa: str,
        gattrs: dict[str, Any],
        times: tuple[np.ndarray, np.ndarray],
    ) -> xr.Dataset:
        notes: list[str] = []
        for axis in ("latitude", "longitude"):
            check_coordinate_units(ds[axis].attrs, file=path, variable=f"PRODUCT/{axis}", axis=axis)
        lat = ds["latitude"]
        lon = wrap_position(ds["longitude"])
        valid = np.isfinite(lat) & np.isfinite(lon)
        # pressures and winds obey the unit the file declares (the product's: Pa, m s-1)
        ds = ds.assign(
            {
                name: convert_declared(
                    ds[name], unit, file=path, variable=f"PRODUCT/SUPPORT_DATA/INPUT_DATA/{name}"
                )
                for name, unit in _DECLARED.items()
                if name in ds
            }
        )
        # insertion order is the variable order of the swath
        out = self._gas(ds, path, gas_name, valid, notes)
        out.update(self._screening(ds, out["xch4"], valid, has_qa, qa))
        time = _scanline_time(times, lat)
        out.update(_geolocation(ds, lon, valid))
        out.update(_vertical(ds, gattrs.get("__n_layers__"), path))
        self._add_product_variables(ds, out)

        if not gattrs.get("__has_bounds__", True):
            notes.append(
                "footprint corners (SUPPORT_DATA/GEOLOCATIONS/*_bounds) are absent: "
                "no latitude_bounds/longitude_bounds, so area-weighted and polygon methods "
                "fall back to pixel centres"
            )
        if not has_qa:
            notes.append("qa_value is absent: opened with qa='none' (qa_pass = finite xch4)")
        if notes:
            warnings.warn(
                f"Granule '{path}' is a variable subset: "
                + "; ".join(notes)
                + ". Download the full L2 product (or a subset keeping these variables) for "
                "screened, bias-corrected data with uncertainties.",
                UrbansatWarning,
                stacklevel=4,
            )
        res = xr.Dataset(out)
        res = res.assign_coords(
            latitude=cf(lat, "degrees_north", standard_name="latitude"),
            longitude=cf(lon, "degrees_east", standard_name="longitude", comment=ANTIMERIDIAN_NOTE),
            time=time.assign_attrs(standard_name="time", long_name="measurement time (UTC)"),
        )
        res.attrs = self._attrs(path, gattrs, qa, prod)
        return res

    def _gas(
        self,
        ds: xr.Dataset,
        path: str | Path,
        gas_name: str,
        valid: xr.DataArray,
        notes: list[str],
    ) -> dict[str, xr.DataArray]:
        """``xch4`` [ppb] and its 1-sigma precision; a variable the file lacks goes to ``notes``."""
        f = self.facts
        out: dict[str, xr.DataArray] = {}
        x = convert_units(ds[gas_name], "ppb", file=path, variable=f"PRODUCT/{gas_name}")
        x = x.where(valid)
        comment = None
        if gas_name != f["gas_variable"]:
            comment = (
                f"{f['gas_variable']} absent from the file; this is {gas_name} (NOT bias-corrected)"
            )
            notes.append(f"{f['gas_variable']} is absent: xch4 is {gas_name}, NOT bias-corrected")
        out["xch4"] = cf(
            x,
            "ppb",
            standard_name=GAS_STANDARD_NAMES["ch4"],
            long_name="column-averaged dry-air mole fraction of methane",
            source=f"PRODUCT/{gas_name}",
            **({"comment": comment} if comment else {}),
        )
        if f["uncertainty"] in ds:
            unc = convert_units(
                ds[f["uncertainty"]], "ppb", file=path, variable=f"PRODUCT/{f['uncertainty']}"
            ).where(valid)
            out["xch4_uncertainty"] = cf(
                unc,
                "ppb",
                long_name="1-sigma precision of xch4",
                source=f"PRODUCT/{f['uncertainty']}",
            )
        else:
            notes.append(f"{f['uncertainty']} is absent: xch4_uncertainty is all NaN (unknown)")
            out["xch4_uncertainty"] = cf(
                xr.full_like(x, np.nan),
                "ppb",
                long_name="1-sigma precision of xch4",
                comment=f"PRODUCT/{f['uncertainty']} absent from file",
            )
        return out

    def _screening(
        self, ds: xr.Dataset, xch4: xr.DataArray, valid: xr.DataArray, has_qa: bool, qa: str
    ) -> dict[str, xr.DataArray]:
        """``qa_value`` (when the file has it) and ``qa_pass`` of the screening ``qa``."""
        f = self.facts
        out: dict[str, xr.DataArray] = {}
        finite = np.isfinite(xch4)
        if has_qa:
            qv = ds[f["qa"]["flag"]]
            out["qa_value"] = cf(qv, "1", long_name="data quality value (0-1; >= 0.5 recommended)")
        if qa == "recommended":
            qa_pass = (ds[f["qa"]["flag"]] >= f["qa"]["minimum"]) & finite & valid
            qa_desc = f"qa_value >= {f['qa']['minimum']} and finite xch4"
        else:
            qa_pass = finite & valid
            qa_desc = "none (finite xch4)"
        out["qa_pass"] = qa_pass.assign_attrs(
            long_name="passes the recommended screening", screening=qa_desc
        )
        return out

    def _add_product_variables(self, ds: xr.Dataset, out: dict[str, xr.DataArray]) -> None:
        """Add the product's remaining ``variables`` (CF units) not already in ``out``."""
        for name, (_, file_name, units) in self.facts["variables"].items():
            if name in out or file_name not in ds or name in _DERIVED_FROM:
                continue
            var = ds[file_name]
            # raw flags keep their native values and dtype; CF units "1"
            extra = {}
            if file_name in _RAW_FLAGS and "_FillValue" in var.attrs:
                extra["comment"] = (
                    f"raw product flag (native dtype); {var.attrs['_FillValue']} "
                    "is the product fill value"
                )
            out[name] = cf(var, units if units is not None else "1", **extra)
        for wind in ("eastward_wind", "northward_wind"):  # either may be asked for alone
            if wind in out:
                out[wind].attrs.update(
                    standard_name=wind, long_name=f"ECMWF 10 m {wind.replace('_', ' ')}"
                )

    def _attrs(
        self, path: str | Path, g: dict[str, Any], qa: str, prod: set[str]
    ) -> dict[str, Any]:
        proc = str(g.get("processor_version", ""))
        attrs = {
            "product": self.name,
            "product_version": proc or "unknown",
            "layout": "v2" if proc.startswith("2") else "v1",
            "gas": "ch4",
            "platform": "Sentinel-5P",
            "sensor": "TROPOMI",
            **swath_attrs(path, qa),
        }
        for k in ("orbit", "time_coverage_start", "time_coverage_end", "id"):
            if k in g:
                attrs[k] = str(g[k])
        if any(v.endswith("_idx") for v in prod):
            attrs["subset"] = "spatial subset (pixels outside the box are filled and masked)"
        absent = [
            v
            for v in (
                "qa_value",
                "methane_mixing_ratio_bias_corrected",
                "methane_mixing_ratio_precision",
            )
            if v not in prod
        ]
        if absent:
            attrs["variable_subset"] = f"file lacks PRODUCT/{absent}"
        return attrs
