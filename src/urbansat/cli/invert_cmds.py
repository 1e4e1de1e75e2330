"""``urbansat invert``: emissions of sources / boundaries from one granule."""
# ruff: noqa: B008  (typer declares CLI parameters as defaults)

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, NoReturn

import typer

from urbansat.cli.app import app

__all__ = ["invert", "parse_wind", "summary_rows"]

#: --wind U,V (then --wind-sigma is needed) or U,V,SIGMA
_UV = 2


def _wind_mapping(value: str) -> dict[str, float]:
    """``speed=5,direction=270[,sigma=1][,direction_sigma=10]`` as a mapping of numbers."""
    out: dict[str, float] = {}
    for item in value.split(","):
        key, _, raw = item.partition("=")
        if key.strip() in out:  # the last one won silently
            raise typer.BadParameter(
                f"--wind {value!r}: {key.strip()!r} is given twice; give each key once."
            )
        try:  # an item without "=" leaves raw empty, which float() refuses too
            out[key.strip()] = float(raw)
        except ValueError:
            raise typer.BadParameter(
                f"--wind {value!r}: {item!r} is not KEY=NUMBER; write e.g. "
                "--wind speed=5.2,direction=270,sigma=1.0,direction_sigma=10."
            ) from None
    return out


def _guard_outputs(
    output: Path | None, plot_dir: Path | None, inputs: dict[str, Path | None]
) -> None:
    """Refuse, before any work, an output over an input or under a file, a plot dir that is a file.

    ``--output`` is resolved (symlinks, hard links) against every input.
    """
    from urbansat.errors import OutputPathError
    from urbansat.export.guard import check_output_dir, check_outputs

    if output is not None:
        try:
            check_outputs([output], {k: v for k, v in inputs.items() if v is not None})
        except OutputPathError as err:
            raise typer.BadParameter(f"--output {str(output)!r}: {err}") from None
        try:  # an unwritable folder is found before the inversion, not after it
            check_output_dir(output.parent, key="--output's folder")
        except OutputPathError as err:
            raise typer.BadParameter(f"--output {str(output)!r}: {err}") from None
        if output.suffix.lower() not in (".nc", ".nc4"):  # a netCDF was written as results.csv
            raise typer.BadParameter(
                f"--output {str(output)!r}: the output is netCDF; give a name ending in .nc "
                "(the table printed on the screen is also available as --json)."
            )
    if plot_dir is not None:  # a file there was found only when plotting, as a traceback
        try:
            check_output_dir(plot_dir, key="--plot-dir")
        except OutputPathError as err:
            raise typer.BadParameter(str(err)) from None


def parse_wind(
    value: str,
    *,
    surface: Path | None = None,
    sigma: float | None = None,
    direction_sigma: float | None = None,
) -> Any:
    """Return the ``wind`` argument of :func:`urbansat.estimate_emissions` from a CLI string.

    ``value`` is a wind file (COSMO, ERA5 single, pressure or model levels), ``granule``
    (the swath's own wind), ``U,V`` / ``U,V,SIGMA`` in m s-1, or ``KEY=NUMBER`` pairs
    (``speed=5.2,direction=270,sigma=1.0,direction_sigma=10``: the mapping form of
    :func:`urbansat.open_wind`). ``sigma`` and ``direction_sigma`` [degree] are attached to
    the wind (``sigma`` overrides the file's or the value's).

    Raises
    ------
    typer.BadParameter
        ``value`` is none of these (the message names it and the accepted forms), or
        ``surface`` comes with a wind that is not a file.
    """
    from urbansat.ingest.winds import open_wind

    if surface is not None and (value == "granule" or not Path(value).is_file()):
        # it was ignored: only a wind file on pressure or model levels needs a surface file
        raise typer.BadParameter(
            f"--wind-surface {str(surface)!r} serves a wind file on ERA5 pressure or model "
            f"levels; --wind {value!r} is not a file. Drop --wind-surface, or pass the wind "
            "file as --wind."
        )
    if value == "granule":
        return "granule"
    if Path(value).is_file():
        return open_wind(value, surface=surface, sigma=sigma, direction_sigma=direction_sigma)
    if "=" in value:  # speed=..,direction=.. (degrees the wind blows from) or u=..,v=..
        given = _wind_mapping(value)
        if "sigma" not in given and sigma is None:
            raise typer.BadParameter(
                f"--wind {value!r} gives no speed error: add sigma=.. (m s-1) or --wind-sigma; "
                "the wind error dominates the uncertainty budget."
            )
        return open_wind(given, sigma=sigma, direction_sigma=direction_sigma)
    parts = value.split(",")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        nums = []
    if len(nums) in (_UV, _UV + 1) and all(math.isfinite(x) for x in nums):
        if len(nums) == _UV and sigma is None:
            raise typer.BadParameter(
                f"--wind {value!r} gives no speed error: write U,V,SIGMA (m s-1) "
                "or add --wind-sigma; the wind error dominates the uncertainty budget."
            )
        return open_wind(tuple(nums), sigma=sigma, direction_sigma=direction_sigma)
    raise typer.BadParameter(
        f"--wind {value!r} is neither an existing file, 'granule', U,V[,SIGMA] in m s-1 "
        "(e.g. --wind 4.2,-1.5,1.0) nor speed=..,direction=..[,sigma=..] (e.g. --wind "
        "speed=4.5,direction=250,sigma=1.0; direction in degrees the wind blows from)."
    )


def _reader_options(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(
                f"--reader-option {item!r}: write KEY=VALUE (e.g. noise_ppm=0.5)."
            )
        val: Any = raw
        for conv in (int, float):
            try:
                val = conv(raw)
                break
            except ValueError:
                continue
        out[key.strip()] = val
    return out


def summary_rows(ds: Any) -> list[dict[str, Any]]:
    """One row per (method, source) of an :func:`~urbansat.estimate_emissions` output.

    Emission, 1-sigma, the 2-sigma interval (95.4 % if Gaussian) [t yr-1], the largest
    uncertainty term and ``qa_reason``; works for one method (``method`` variable) or several
    (``inversion_method`` dimension).
    """
    from urbansat.inversion import UNCERTAINTY_TERMS
    from urbansat.inversion.result import per_method

    rows = []
    for method, d in per_method(ds):
        for s in d["source"].values:
            o = d.sel(source=s)
            terms = {
                t: float(o["emission_uncertainty_term"].sel(term=t)) for t in UNCERTAINTY_TERMS
            }
            finite = {t: v for t, v in terms.items() if math.isfinite(v)}
            rows.append(
                {
                    "source": str(s),
                    "method": method,
                    "emission_t_per_yr": float(o["emission_t_per_yr"]),
                    "uncertainty_t_per_yr": float(o["emission_t_per_yr_uncertainty"]),
                    "lower_2sigma_t_per_yr": float(o["emission_t_per_yr_lower_2sigma"]),
                    "upper_2sigma_t_per_yr": float(o["emission_t_per_yr_upper_2sigma"]),
                    "largest_term": max(finite, key=lambda t: finite[t]) if finite else "",
                    "plume_detected": bool(o["plume_detected"]),
                    "qa_reason": str(o["qa_reason"].values),
                }
            )
    return rows


def _write(ds: Any, path: Path, prov: dict[str, Any]) -> None:
    from urbansat.export import atomic_write, netcdf_ready

    out = netcdf_ready(ds.assign_attrs(prov))
    with atomic_write(path) as tmp:
        out.to_netcdf(tmp, engine="netcdf4")


def _plot_name(name: str, taken: set[str]) -> str:
    """``plume_<name>.png`` with the name made file-safe, unique among ``taken`` (updated).

    Characters outside ``[A-Za-z0-9_.-]`` become ``_``; two sources that become one name
    ("Berlin/Mitte", "Berlin?Mitte") get the first 8 hex digits of the sha256 of the full
    name appended, so the second map no longer replaces the first.
    """
    import hashlib
    import re

    stem = f"plume_{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}"
    if stem.lower() in taken:  # case too: macOS and Windows file systems ignore it
        stem += "_" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    taken.add(stem.lower())
    return f"{stem}.png"


def _plot_plumes(
    sw: Any, src: Any, bnd: Any, wind: Any, ds: Any, out_dir: Path, opts: dict[str, Any]
) -> list[Path]:
    """One plume map per prepared source (frames computed once), each written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from urbansat.export import atomic_write
    from urbansat.inversion import plume_frames
    from urbansat.plot.plumes import plot_plume

    frames = plume_frames(sw, sources=src, boundaries=bnd, wind=wind, **opts)
    written = []
    taken: set[str] = set()
    for name, (frame, _, _) in frames.items():
        if frame is None:  # its qa_reason is in the table
            continue
        ax = plot_plume(sw, sources=src, wind=wind, source=name, result=ds, frames=frames)
        path = out_dir / _plot_name(name, taken)
        with atomic_write(path) as tmp:
            ax.figure.savefig(tmp, dpi=110, bbox_inches="tight")
        plt.close(ax.figure)
        written.append(path)
    return written


def _fail(granule: Path, err: Exception) -> NoReturn:
    """Print ``err`` as one line naming the granule and exit with code 1 (no traceback)."""
    typer.echo(f"{granule}: ERROR {type(err).__name__}: {err}", err=True)
    raise typer.Exit(code=1) from None


def _json_value(v: Any) -> Any:
    """Return a JSON value: NaN (unknown) as null, an unbounded interval's end as "inf" / "-inf".

    JSON has no infinity, and null for both would tell a user "not computed" where the
    interval is known to be open (a wind error of 50 % or more at 2 sigma); ``float()`` reads
    the two strings back.
    """
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def _echo_rows(rows: list[dict[str, Any]], ds: Any, granule: Path, *, as_json: bool) -> None:
    """Print the summary rows: one JSON object per row, or a table."""
    if as_json:
        for r in rows:
            typer.echo(json.dumps({k: _json_value(v) for k, v in r.items()}, allow_nan=False))
    else:
        typer.echo(
            f"{granule.name}: {ds.attrs['gas'].upper()} emissions [t/yr], "
            f"wind {ds.attrs['wind_source']}"
        )
        typer.echo(
            f"{'source':20s} {'method':9s} {'emission':>11s} {'1 sigma':>10s} "
            f"{'2 sigma interval':>23s}  "
            "largest term / qa_reason"
        )
        typer.echo("(2 sigma interval: 95.4 % if Gaussian)")
        for r in rows:
            if r["qa_reason"]:
                typer.echo(
                    f"{r['source'][:20]:20s} {r['method']:9s} {'-':>11s} {'-':>10s} {'-':>23s}  "
                    f"{r['qa_reason']}"
                )
                continue
            # inf prints as inf
            interval = f"{r['lower_2sigma_t_per_yr']:.4g} .. {r['upper_2sigma_t_per_yr']:.4g}"
            typer.echo(
                f"{r['source'][:20]:20s} {r['method']:9s} {r['emission_t_per_yr']:11.4g} "
                f"{r['uncertainty_t_per_yr']:10.3g} {interval:>23s}  {r['largest_term']}"
            )


# a typer command: one parameter per command-line option
@app.command()
def invert(  # noqa: PLR0913, PLR0917
    granule: Path = typer.Argument(
        ..., help="Granule file (OCO-2/3 or ACOS Lite, GOSAT FTS, TROPOMI CH4, SMARTCARB)."
    ),
    wind: str = typer.Option(
        ...,
        help="A wind file (COSMO, ERA5 single / pressure / model levels), "
        "'granule' for the swath's own 10 m wind, U,V[,SIGMA] in m s-1, or "
        "speed=..,direction=..[,sigma=..,direction_sigma=..] (m s-1; degrees the wind blows "
        "from, clockwise from north).",
    ),
    sources: Path | None = typer.Option(
        None,
        help=(
            "CSV of sources: name, longitude, latitude "
            "[, diameter_km, type, prior_emission (kg s-1)]."
        ),
    ),
    boundaries: Path | None = typer.Option(
        None, help="Polygons (GeoJSON, GeoPackage, Shapefile), each estimated as an area source."
    ),
    id_field: str | None = typer.Option(None, help="Boundary id column (default: detected)."),
    method: list[str] = typer.Option(
        ["all"], "--method", "-m", help="ime, csf, gaussian, bayesian or all; repeat for several."
    ),
    product: str | None = typer.Option(None, help="Reader name; default: auto-detect."),
    reader_option: list[str] = typer.Option(
        [], help="KEY=VALUE passed to the reader, repeatable (SMARTCARB: noise_ppm=0.5, seed=0)."
    ),
    wind_surface: Path | None = typer.Option(
        None, help="ERA5 surface file for a model-level wind file."
    ),
    wind_sigma: float | None = typer.Option(
        None, help="1-sigma wind speed error [m s-1] (overrides the file's)."
    ),
    wind_direction_sigma: float | None = typer.Option(
        None,
        help="1-sigma wind direction error [degree]: every method is rerun with the wind "
        "turned by +-this and the change joins the wind term.",
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="netCDF to write (atomically)."
    ),
    plot_dir: Path | None = typer.Option(
        None, help="Write a plume map (PNG) per source that could be prepared into this directory."
    ),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print one JSON object per (method, source); unknown values are null, the open "
        'end of an unbounded interval "inf" or "-inf".',
    ),
) -> None:
    """Estimate emissions [t/yr] with their uncertainty from one granule and a wind.

    Every requested method runs on the same prepared plume (urbansat.estimate_emissions);
    sources that cannot be estimated are listed with their qa_reason, never dropped.
    """
    import urbansat
    from urbansat.errors import UrbansatError
    from urbansat.ingest.tables import read_sources

    if sources is None and boundaries is None:
        raise typer.BadParameter("give --sources (a CSV) and/or --boundaries (polygons).")
    from urbansat.errors import InputFileError
    from urbansat.schema.files import check_input_file

    for p, what in ((granule, "granule"), (sources, "--sources"), (boundaries, "--boundaries")):
        if p is not None:
            try:  # the file gate: missing, directory, FIFO, device, empty, unreadable
                check_input_file(p, what)
            except InputFileError as err:
                raise typer.BadParameter(str(err)) from None
    _guard_outputs(
        output,
        plot_dir,
        {
            "granule": granule,
            "--sources": sources,
            "--boundaries": boundaries,
            "--wind": Path(wind) if Path(wind).is_file() else None,
            "--wind-surface": wind_surface,
        },
    )
    methods: Any = "all" if method == ["all"] else (method[0] if len(method) == 1 else method)
    try:
        sw = urbansat.open_granules(
            granule, product=product, reader_options=_reader_options(reader_option) or None
        )
        w = parse_wind(
            wind, surface=wind_surface, sigma=wind_sigma, direction_sigma=wind_direction_sigma
        )
        src = read_sources(sources) if sources is not None else None
        bnd = (
            urbansat.read_boundaries(boundaries, level="region", id_field=id_field)
            if boundaries is not None
            else None
        )
        opts: dict[str, Any] = {"wind_sigma": wind_sigma} if wind_sigma is not None else {}
        if wind_direction_sigma is not None:
            opts["wind_direction_sigma"] = wind_direction_sigma
        ds = urbansat.estimate_emissions(
            sw, sources=src, boundaries=bnd, wind=w, method=methods, **opts
        )
    except UrbansatError as err:
        _fail(granule, err)
    _echo_rows(summary_rows(ds), ds, granule, as_json=as_json)
    try:  # an output folder that turns out unwritable is a one-line error, not a traceback
        if plot_dir is not None:
            for p in _plot_plumes(sw, src, bnd, w, ds, plot_dir, opts):
                typer.echo(f"wrote {p}", err=as_json)
        if output is not None:
            prov = {
                "urbansat_version": urbansat.__version__,
                "granule": str(granule),
                "wind_input": wind,
                "sources_file": str(sources or ""),
                "boundaries_file": str(boundaries or ""),
                "history": "urbansat invert",
            }
            _write(ds, output, prov)
            typer.echo(f"wrote {output}", err=as_json)
    except UrbansatError as err:
        _fail(granule, err)
