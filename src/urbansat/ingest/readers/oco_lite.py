"""Readers of the OCO-2, OCO-3 and ACOS-GOSAT Lite files (v10, v11).

Layout: ``../shared/spec/formats.md``; facts in
``urbansat/ingest/products/oco_lite.yaml``. The three products share one layout.

Normalization
-------------
* Soundings (dim ``sounding_id``) are placed on a 2-D swath: frame =
  ``sounding_id // 10`` and footprint = ``sounding_id % 10`` (1-8); ``y`` = the
  unique frames sorted, ``x = footprint - 1``. Positions without a sounding are
  NaN (integers -1, strings "") and ``qa_pass`` False. ACOS-GOSAT soundings are
  not grouped into frames (GOSAT has no 8-footprint frames): ``y`` = sounding
  sorted by ``sounding_id`` and ``x`` has length 1, as for GOSAT FTS.
* Missing values: the fill a variable declares (``missing_value``/``_FillValue``)
  and the product's fill -999999 are NaN in every float variable; soundings
  with ``latitude == 0`` and ``longitude == 0`` are treated as missing, and
  vertices at exactly (0, 0) are NaN (rare producer fill, spec).
* Units: ``pressure_levels`` and ``Retrieval/psurf`` hPa -> Pa (x 100).
* Levels are top-of-atmosphere first (index 0 = TOA, 19 = surface): checked on
  ``pressure_levels`` (read with any level variable); a surface-first file is refused.
* ``qa_pass = (xco2_quality_flag == 0) & isfinite(xco2)``.
* ``time``: float seconds since 1970-01-01 -> datetime64[ns] (lazy).
* OCO-3: ``operation_mode`` (4 = SAM), ``target_id``, ``target_name`` kept; see
  :func:`urbansat.ingest.granules.select_target`.
* Longitudes wrapped to [-180, 180); vertex longitudes made continuous with the
  centre (see :func:`urbansat.ingest.readers._base.unwrap_corners`).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from urbansat.errors import MissingVariableError, SchemaError
from urbansat.ingest._locks import netcdf_handle, open_netcdf_groups
from urbansat.ingest.readers._base import (
    ANTIMERIDIAN_NOTE,
    GranuleReader,
    Window,
    cf,
    check_file,
    empty_like_window,
    load_product,
    mask_int,
    open_failure,
    reject_unknown,
    require,
    swath_attrs,
    unwrap_corners,
    wrap_position,
)
from urbansat.ingest.readers.tropomi_ch4 import resolve_chunks
from urbansat.ingest.units import (
    check_coordinate_units,
    check_time_units,
    convert_declared,
    convert_units,
)
from urbansat.schema import GAS_STANDARD_NAMES, validate_granule

__all__ = ["ACOSLiteReader", "OCO2LiteReader", "OCO3LiteReader", "OCOLiteReader"]

_GROUPS = ("Sounding", "Retrieval", "Meteorology", "Preprocessors", "Auxiliary")


def _structure(path: str | Path) -> tuple[dict[str, set[str]], dict[str, Any]]:

    try:
        with netcdf_handle(path) as nc:
            out = {"/": set(nc.variables)}
            for g in _GROUPS:
                if g in nc.groups:
                    out[g] = set(nc.groups[g].variables)
            return out, {k: nc.getncattr(k) for k in nc.ncattrs()}
    except OSError as err:
        raise open_failure(path, err) from None


#: Largest |seconds since 1970| a datetime64[ns] holds (2**63 ns, about the year 2262).
_MAX_NS_SECONDS = 2**63 / 1e9


def _seconds_to_datetime(t: np.ndarray) -> np.ndarray:
    out = np.full(t.shape, np.datetime64("NaT", "ns"))
    # beyond +-9.2e9 s datetime64[ns] overflows and wraps to a wrong date: NaT, which the
    # granule screening refuses for soundings with a position
    ok = np.isfinite(t) & (np.abs(t) < _MAX_NS_SECONDS)
    # float64 seconds near 1.6e9 resolve ~0.2 us: round to whole microseconds
    out[ok] = (np.round(t[ok] * 1e6).astype("int64") * 1000).astype("datetime64[ns]")
    return out


class _Layout:
    """Where each sounding goes on the (y, x) swath (perm-ordered, see open_dataset)."""

    def __init__(
        self,
        *,
        perm: np.ndarray | None,
        offsets: np.ndarray,
        yrow: np.ndarray,
        xcol: np.ndarray,
        nfp: int,
        cols: slice,
    ) -> None:
        self.perm, self.offsets, self.yrow, self.xcol = perm, offsets, yrow, xcol
        self.nfp, self.cols = nfp, cols


class _SoundingGrid:
    """Array-like view of a 1-D sounding variable as the 2-D (frame, footprint) swath.

    ``grid[rows, cols, ...]`` reads only the contiguous range of soundings of
    those rows (one outer-indexed read) and scatters them into a filled block:
    what dask calls per chunk (``dask.array.from_array``). Pickles with the lazy
    xarray backend array, so it runs on dask.distributed.
    """

    def __init__(self, da: xr.DataArray, layout: _Layout) -> None:
        self.da, self.lay = da, layout
        ncols = len(range(*layout.cols.indices(layout.nfp)))
        self.shape = (len(layout.offsets) - 1, ncols, *da.shape[1:])
        # strings (vlen or netCDF char arrays decoded to bytes) become python str objects
        self.dtype = np.dtype(object) if da.dtype.kind in "OSU" else da.dtype
        self.ndim = len(self.shape)
        kind = np.dtype(self.dtype).kind
        self.fill = np.nan if kind in "fc" else ("" if kind in "OSU" else -1)

    def __getitem__(self, key: tuple[slice, ...]) -> np.ndarray:
        key = key + (slice(None),) * (self.ndim - len(key))
        ys = range(*key[0].indices(self.shape[0]))
        y0, y1 = (ys.start, ys.stop) if ys else (0, 0)
        lay = self.lay
        s0, s1 = int(lay.offsets[y0]), int(lay.offsets[y1])
        rest = tuple(key[2:])
        if lay.perm is None:
            vals = self.da[(slice(s0, s1), *rest)].values
        else:
            vals = self.da[(lay.perm[s0:s1], *rest)].values
        if vals.dtype.kind == "S":
            vals = np.char.decode(vals, "utf-8")
        if self.dtype.kind == "O":
            vals = np.asarray(vals, dtype=object)
            if vals.size and isinstance(vals.flat[0], bytes):
                vals = np.array(
                    [v.decode("utf-8") if isinstance(v, bytes) else v for v in vals.ravel()],
                    dtype=object,
                ).reshape(vals.shape)
        out_rest = vals.shape[1:]
        out = np.full((y1 - y0, lay.nfp, *out_rest), self.fill, dtype=self.dtype)
        out[lay.yrow[s0:s1] - y0, lay.xcol[s0:s1]] = vals
        out = out[:, lay.cols]
        return out[:, key[1]]


def _token(path: str | Path, *parts: Any) -> str:
    """Cheap deterministic dask name: file identity (path, size, mtime) + selection."""
    import dask.base

    st = Path(path).stat()
    return dask.base.tokenize(
        str(Path(path).resolve()), st.st_size, st.st_mtime_ns, *[repr(p) for p in parts]
    )


#: Normalized variables converted from the file's units attribute (not the yaml scale).
_CONVERTED = ("xco2", "xco2_uncertainty")


#: Normalized variables on the ``level`` axis (besides ``pressure``, which orders them).
_LEVEL_VARIABLES = ("xco2_profile_apriori", "column_averaging_kernel", "pressure_weight")


def _with_companions(names: list[str], s: dict[str, set[str]]) -> list[str]:
    """Add the variables that ``names`` need to be normalized (``variables=`` given).

    The vertex latitudes and longitudes are a pair (the (0, 0) vertex fill is found on
    both); a level variable brings ``pressure`` (its order is checked on pressure_levels).
    """
    out = list(names)
    if {"latitude_bounds", "longitude_bounds"} & set(out):
        out += ["latitude_bounds", "longitude_bounds"]
    if set(_LEVEL_VARIABLES) & set(out) and "pressure_levels" in s["/"]:
        out.append("pressure")
    return list(dict.fromkeys(out))


def _without_lone_bounds(norm_of: dict[str, str]) -> dict[str, str]:
    """Return ``norm_of`` without a vertex latitude or longitude found without its partner.

    The footprint vertices are optional, but only as a pair: one of them alone makes no
    footprint, and normalizing it failed with a KeyError that was reported as a corrupt
    file. ``variables=`` asking for the bounds still requires both (a MissingVariableError).
    """
    pair = ("latitude_bounds", "longitude_bounds")
    if sum(n in pair for n in norm_of.values()) == 1:
        return {f: n for f, n in norm_of.items() if n not in pair}
    return norm_of


def _check_levels(path: str | Path, layout: _Layout, miss: float) -> None:
    """Refuse pressure levels that do not increase with the level index (TOA first).

    The layout fixes index 0 = top of atmosphere, 19 = surface, and the swath says so
    (``level_order``). A file rewritten surface-first (a tool flipped the axis) was read
    under that label, and every consumer took the top of the atmosphere as the surface.
    Reads ``pressure_levels`` of the window's soundings at once (numpy, no dask: the
    swath stays lazy).

    Raises
    ------
    SchemaError
        Some sounding's ``pressure_levels`` decrease with the level index.
    """
    s0, s1 = int(layout.offsets[0]), int(layout.offsets[-1])
    if s1 <= s0:
        return
    with netcdf_handle(path) as nc:
        var = nc.variables["pressure_levels"]
        if var.ndim != 2 or var.shape[1] < 2:  # noqa: PLR2004 - (sounding, level)
            return
        idx = slice(s0, s1) if layout.perm is None else np.sort(layout.perm[s0:s1])
        p = np.ma.filled(np.ma.asarray(var[idx, :]).astype("float64"), np.nan)
    p[p == miss] = np.nan
    with np.errstate(invalid="ignore"):
        dec = (np.diff(p, axis=1) < 0).any(axis=1)
    n_bad = int(dec.sum())
    if not n_bad:
        return
    first = p[np.flatnonzero(dec)[0]]
    raise SchemaError(
        f"Granule '{path}': pressure_levels decrease with the level index in {n_bad} of "
        f"{p.shape[0]} sounding(s) (e.g. {first[0]:.4g} hPa at level 0, {first[-1]:.4g} hPa "
        f"at level {first.size - 1}); the Lite layout puts the top of the atmosphere first "
        "(index 0) and the surface last. The levels were reversed (surface first) by a tool: "
        "use the original Lite file, or reverse the levels axis of pressure_levels, "
        "xco2_averaging_kernel, co2_profile_apriori and pressure_weight together."
    )


def _describe(out: dict[str, xr.DataArray], facts: dict[str, Any], lon: xr.DataArray) -> None:
    """Set the CF attributes of the normalized variables in ``out`` (in place)."""
    out["xco2"].attrs.update(
        standard_name=GAS_STANDARD_NAMES["co2"],
        long_name="column-averaged dry-air mole fraction of CO2 (bias-corrected)",
    )
    out["xco2_uncertainty"].attrs["long_name"] = "1-sigma uncertainty of xco2"
    if "latitude_bounds" in out:
        vlat, vlon = out["latitude_bounds"], out["longitude_bounds"]
        zero = (vlat == 0) & (vlon == 0)
        out["latitude_bounds"] = cf(
            vlat.where(~zero),
            "degrees_north",
            long_name="footprint vertex latitudes (counter-clockwise)",
        )
        out["longitude_bounds"] = cf(
            unwrap_corners(vlon.where(~zero), lon),
            "degrees_east",
            long_name="footprint vertex longitudes (counter-clockwise)",
            comment=ANTIMERIDIAN_NOTE,
        )
    if "pressure" in out:
        out["pressure"].attrs.update(
            standard_name="air_pressure",
            long_name="pressure levels (level 0 = top of atmosphere)",
        )
    if "surface_pressure" in out:
        out["surface_pressure"].attrs["standard_name"] = "surface_air_pressure"
    for w, sn in (("eastward_wind", "eastward_wind"), ("northward_wind", "northward_wind")):
        if w in out:
            out[w].attrs.update(
                standard_name=sn, long_name=f"GEOS FP-IT 10 m {sn.replace('_', ' ')}"
            )
    if "operation_mode" in out:
        out["operation_mode"].attrs.update(
            flag_values=list(facts["operation_modes"]),
            flag_meanings=" ".join(facts["operation_modes"].values()),
        )


class OCOLiteReader(GranuleReader):
    """Common reader of the OCO-2 / OCO-3 / ACOS Lite layout (one subclass per platform)."""

    gases = ("co2",)
    #: GOSAT has no 8-footprint frames: ACOS rows are single soundings (x of length 1).
    one_sounding_per_row: bool = False

    def __init__(self) -> None:
        self.facts = load_product("oco_lite")
        self.platform_facts = self.facts["platforms"][self.name]

    def match_filename(self, path: str | Path) -> bool:
        """Return whether the file name follows this platform's Lite naming."""
        return re.match(self.platform_facts["filename"], Path(path).name) is not None

    def _platform_of(self, s: dict[str, set[str]], gattrs: dict[str, Any]) -> str | None:
        short = str(gattrs.get("ShortName", gattrs.get("shortname", ""))).upper()
        platforms: dict[str, dict[str, Any]] = self.facts["platforms"]
        for name, pf in platforms.items():
            if short and short == pf["short_name"].upper():
                return name
        if "target_id" in s.get("Sounding", set()):
            return "oco3_l2_lite"
        return None

    def guess_can_open(self, path: str | Path) -> bool:
        """Return whether ``path`` is a Lite file of this platform (by name, else content)."""
        return self._name_or_content(path, self._is_own_platform)

    def _is_own_platform(self, path: str | Path) -> bool:
        """Return True for a Lite file of this reader's platform (the fallback: OCO-2)."""
        s, g = _structure(path)
        if not {"sounding_id", "xco2"} <= s["/"]:
            return False
        plat = self._platform_of(s, g)
        return plat == self.name or (plat is None and self.name == "oco2_l2_lite")

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
        """Open a Lite file as a normalized swath (see the module docstring)."""
        f = self.facts
        self.require_gas(path, gas)
        check_file(path)
        s, gattrs = _structure(path)
        require(path, f["required"], s["/"], reader=self.name, where="the root group")
        table = f["variables"]
        core = ["xco2", "xco2_uncertainty", "xco2_quality_flag"]
        if variables is None:
            names, strict = list(table), False
        else:
            reject_unknown(path, variables, table, reader=self.name)
            names, strict = (
                _with_companions(core + [v for v in variables if v not in core], s),
                True,
            )
        per_group: dict[str, list[str]] = {"/": ["sounding_id", "latitude", "longitude", "time"]}
        norm_of: dict[str, str] = {}
        for n in names:
            fpath = table[n][0]
            grp, _, var = fpath.rpartition("/")
            grp = grp or "/"
            if var in s.get(grp, set()):
                per_group.setdefault(grp, []).append(var)
                norm_of[fpath] = n
            elif strict:
                raise MissingVariableError(
                    f"Granule '{path}' ({self.name}) lacks '{fpath}' needed for variable {n!r}. "
                    "Drop it from variables= or use a complete Lite file."
                )

        # --- frames -> rows, selected before any data variable is read
        layout, present, rows = self._layout_of(path, window)
        if "pressure_levels" in norm_of:
            _check_levels(path, layout, float(f["missing_value"]))
        ny, nfp, cols = rows.stop - rows.start, layout.nfp, layout.cols

        raw = self._open_tree(path, s, per_group)
        sid_var = raw["sounding_id"].variable.to_base_variable()
        raw = raw.drop_vars(list(raw.coords), errors="ignore").assign(_sounding_id=sid_var)
        ch = resolve_chunks(chunks, "y", "x", (ny, present.shape[1]))
        token = _token(path, rows, cols, ch)
        dimmap: dict[Hashable, Hashable] = {"levels": "level", "vertices": "corner"}
        data = {}
        for name, da in raw.data_vars.items():
            if "sounding_id" not in da.dims or da.dims[0] != "sounding_id":
                continue
            grid = _SoundingGrid(da, layout)
            dims = ("y", "x", *(dimmap.get(d, d) for d in da.dims[1:]))
            if ch is None:
                arr = grid[tuple(slice(None) for _ in grid.shape)]
            else:
                import dask.array as dsa

                cy = ch["y"] if ch["y"] not in (-1, None) else ny
                cx = ch["x"] if ch["x"] not in (-1, None) else present.shape[1]
                arr = dsa.from_array(  # type: ignore[no-untyped-call]  # dask has no annotations
                    grid,
                    chunks=(cy, cx, *grid.shape[2:]),
                    name=f"oco-{name}-{token}",
                    meta=np.array((), dtype=grid.dtype),
                    asarray=False,
                )
            # the stored dtype travels too: convert_units refuses a gas written as integers
            keys = ("missing_value", "_FillValue", "dtype", "scale_factor")
            enc = {k: v for k, v in da.encoding.items() if k in keys}
            data[name] = xr.Variable(dims, arr, attrs=da.attrs, encoding=enc)
        ds = xr.Dataset(data)
        footprints = np.arange(1, nfp + 1, dtype="int8")[cols]
        return validate_granule(self._normalize(ds, path, present, norm_of, gattrs, qa, footprints))

    def _layout_of(
        self, path: str | Path, window: Window | None
    ) -> tuple[_Layout, np.ndarray, slice]:
        """Place the soundings on the (frame, footprint) swath, cut to ``window``.

        Returns the layout, the (y, x) mask of positions holding a sounding and the row slice.
        """
        f = self.facts
        with netcdf_handle(path) as nc:
            sid = np.asarray(nc.variables["sounding_id"][:], dtype="int64")
        uniq, counts = np.unique(sid, return_counts=True)
        if (counts > 1).any():
            dups = uniq[counts > 1]
            raise SchemaError(
                f"Granule '{path}': {int((counts - 1)[counts > 1].sum())} soundings repeat a "
                f"sounding_id already in the file (e.g. {[int(v) for v in dups[:5]]}); one swath "
                "position cannot hold two soundings. The file was probably concatenated twice: "
                "use the original Lite file."
            )
        if self.one_sounding_per_row:  # GOSAT: one exposure per row, x of length 1
            frame, foot, nfp = sid, np.ones_like(sid), 1
        else:
            frame, foot = sid // 10, sid % 10
            nfp = int(f["n_footprints"])
        bad_fp = (foot < 1) | (foot > nfp)
        if bad_fp.any():
            raise SchemaError(
                f"Granule '{path}': {int(bad_fp.sum())} sounding_id values have a footprint digit "
                f"outside 1..{nfp} (e.g. {int(sid[bad_fp][0])}); the file is not a valid Lite file."
            )
        # soundings ordered by frame (Lite files are sorted by sounding_id: perm is identity)
        perm: np.ndarray | None
        perm = np.argsort(frame, kind="stable")
        if np.array_equal(perm, np.arange(perm.size)):
            perm = None
        fr = frame if perm is None else frame[perm]
        fp = (foot if perm is None else foot[perm]) - 1
        frames_all = np.unique(fr)
        rows, cols = (None, None) if window is None else window
        rows, cols = empty_like_window(frames_all.size, rows), empty_like_window(nfp, cols)
        y_all = np.searchsorted(frames_all, fr)
        offsets = np.searchsorted(y_all, np.arange(rows.start, rows.stop + 1))
        ny = rows.stop - rows.start
        lo, hi = int(offsets[0]), int(offsets[-1])
        present = np.zeros((ny, nfp), dtype=bool)
        present[y_all[lo:hi] - rows.start, fp[lo:hi]] = True
        present = present[:, cols]
        layout = _Layout(
            perm=perm, offsets=offsets, yrow=y_all - rows.start, xcol=fp, nfp=nfp, cols=cols
        )
        return layout, present, rows

    def _open_tree(
        self, path: str | Path, s: dict[str, set[str]], per_group: dict[str, list[str]]
    ) -> xr.Dataset:
        """Open the wanted variables of all groups with one netCDF open.

        Open and metadata reads hold :data:`~urbansat.ingest._locks.NETCDF_LOCK`, and
        the lazy arrays read their chunks under it
        (:func:`~urbansat.ingest._locks.open_netcdf_groups`).
        """
        needed = {n for names in per_group.values() for n in names}
        everything = {n for names in s.values() for n in names}
        try:
            tree = open_netcdf_groups(
                path,
                list(per_group),
                decode_times=False,
                decode_timedelta=False,
                drop_variables=sorted(everything - needed),
                cache=False,
                chunks=None,
            )
        except OSError as err:
            raise open_failure(path, err) from None
        parts = []
        for grp, names in per_group.items():
            g = tree[grp]
            parts.append(g[[n for n in names if n in g.variables]])
        return xr.merge(parts, compat="override", join="override", combine_attrs="drop_conflicts")

    def _normalize(
        self,
        ds: xr.Dataset,
        path: str | Path,
        present: np.ndarray,
        norm_of: dict[str, str],
        gattrs: dict[str, Any],
        qa: str,
        footprints: np.ndarray,
    ) -> xr.Dataset:
        f = self.facts
        miss = float(f["missing_value"])
        pres = xr.DataArray(present, dims=("y", "x"))

        def clean(v: xr.DataArray) -> xr.DataArray:
            # xarray already masked the fill the variable declares (missing_value/_FillValue);
            # the product's documented fill -999999 is masked too, whatever else is declared:
            # a subsetter that declares _FillValue=NaN keeps the producer's -999999 in the data
            if v.dtype.kind == "f":
                masked = v.where(v != miss)
                masked.encoding = dict(v.encoding)  # the stored dtype is checked later
                return masked
            return v

        for axis in ("latitude", "longitude"):
            check_coordinate_units(ds[axis].attrs, file=path, variable=axis, axis=axis)
        check_time_units(
            ds["time"].attrs, file=path, variable="time", epoch="1970-01-01", step="seconds"
        )
        lat0, lon0 = clean(ds["latitude"]), clean(ds["longitude"])
        valid = pres & np.isfinite(lat0) & np.isfinite(lon0) & ~((lat0 == 0) & (lon0 == 0))
        lat = lat0.where(valid)
        lon = wrap_position(lon0).where(valid)
        out: dict[str, xr.DataArray] = {}
        table = f["variables"]
        for fpath, name in _without_lone_bounds(norm_of).items():
            file_var = fpath.rpartition("/")[2]
            v = ds[file_var]
            _, scale, units = table[name]
            if v.dtype.kind in "OSU":
                out[name] = cf(v.where(valid, ""), None, source=fpath)
            elif v.dtype.kind in "iu" and name not in _CONVERTED:  # flags and counts
                out[name] = cf(mask_int(v, valid), "1", source=fpath)
            else:
                if name in _CONVERTED:  # the gas: the file's units attribute is obeyed
                    v = convert_units(clean(v), units, file=path, variable=fpath).where(valid)
                else:  # pressures and winds obey a declared unit too
                    v = convert_declared(
                        clean(v).where(valid), units, file=path, variable=fpath, scale=scale
                    )
                out[name] = cf(v, units, source=fpath)
        _describe(out, f, lon)
        finite = np.isfinite(out["xco2"])
        if qa == "recommended":
            flag = ds["xco2_quality_flag"]
            qa_pass = (flag == f["qa"]["pass_equals"]) & finite & valid
            desc = "xco2_quality_flag == 0 and finite xco2"
        else:
            qa_pass = finite & valid
            desc = "none (finite xco2)"
        out["qa_pass"] = qa_pass.assign_attrs(
            long_name="passes the recommended screening", screening=desc
        )
        sid = mask_int(ds["_sounding_id"], valid)
        out["sounding_id"] = cf(sid, "1", long_name="sounding id YYYYMMDDhhmmssmf")
        time = xr.apply_ufunc(
            _seconds_to_datetime,
            ds["time"].where(valid),
            dask="parallelized",
            output_dtypes=["datetime64[ns]"],
        )
        res = xr.Dataset(out).assign_coords(
            latitude=cf(lat, "degrees_north", standard_name="latitude"),
            longitude=cf(lon, "degrees_east", standard_name="longitude", comment=ANTIMERIDIAN_NOTE),
            time=time.assign_attrs(standard_name="time", long_name="sounding time (UTC)"),
            footprint=("x", footprints, {"long_name": "footprint number (1-8)", "units": "1"}),
        )
        label = str(gattrs.get("CollectionLabel", ""))
        m = re.search(r"B(\d{2})", label) or re.search(r"_B(\d{2})", Path(path).name)
        res.attrs = {
            "product": self.name,
            "product_version": label or "unknown",
            "version": f"v{m.group(1)}" if m else "unknown",
            "gas": "co2",
            "platform": self.platform_facts["platform"],
            **swath_attrs(path, qa),
            "level_order": "top of atmosphere first",
        }
        return res


class OCO2LiteReader(OCOLiteReader):
    """OCO-2 Lite (``oco2_LtCO2_*.nc4``), v10 and v11."""

    name = "oco2_l2_lite"
    description = "OCO-2 L2 Lite XCO2 (oco2_LtCO2_*.nc4), v10/v11"


class OCO3LiteReader(OCOLiteReader):
    """OCO-3 Lite (``oco3_LtCO2_*.nc4``), with SAM/target mode."""

    name = "oco3_l2_lite"
    description = "OCO-3 L2 Lite XCO2 (oco3_LtCO2_*.nc4), incl. SAM/target mode"


class ACOSLiteReader(OCOLiteReader):
    """ACOS GOSAT Lite (``acos_LtCO2_*.nc4``), same layout as OCO-2 Lite."""

    name = "acos_l2_lite"
    description = "ACOS GOSAT L2 Lite XCO2 (acos_LtCO2_*.nc4)"
    one_sounding_per_row = True
