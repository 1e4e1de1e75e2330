"""``urbansat info`` and ``urbansat plot``: inspect and map granules."""
# ruff: noqa: B008  (typer declares CLI parameters as defaults)

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from urbansat.cli.app import app

if TYPE_CHECKING:
    import geopandas as gpd
    import xarray as xr

__all__ = ["info", "plot"]


def _open_for_inspection(path: Path, product: str | None) -> tuple[xr.Dataset, list[str]]:
    """Open one granule without dropping it when nothing passes QA; fall back to qa='none'."""
    from urbansat.errors import MissingVariableError
    from urbansat.ingest.granules import _open_one
    from urbansat.ingest.readers import get_reader, guess_reader

    reader = get_reader(product) if product else guess_reader(path)
    note = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # _open_one applies chunks/qa itself for plug-in readers whose open_dataset
            # only takes the GranuleReader contract (path, *, variables=None).
            ds = _open_one(reader, path, chunks="auto", qa="recommended")
        except MissingVariableError as err:
            if "qa='none'" not in str(err):
                raise
            ds = _open_one(reader, path, chunks="auto", qa="none")
            note = "no QA variable in the file: QA pass rate is 'finite value' (qa='none')"
    notes = [note] if note else []
    notes += [str(w.message) for w in caught]
    return ds, notes


@app.command()
def info(
    files: list[Path] = typer.Argument(
        ..., help="Granule files or directories (OCO/ACOS Lite, GOSAT FTS, TROPOMI CH4, ...)."
    ),
    product: str | None = typer.Option(None, help="Reader name; default: auto-detect."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per file."),
) -> None:
    """Print product, version, time range, soundings, QA pass rate and bounding box of granules.

    The box's longitudes are the smallest interval holding every sounding; one crossing
    180 E (lon_min > lon_max, e.g. 179.5 .. -179.5) says "crosses 180 E" (JSON:
    ``bbox_crosses_antimeridian``).
    """
    from urbansat.errors import UrbansatError
    from urbansat.ingest.granules import _expand, granule_summary

    failed = 0
    expanded: list[Path] = []
    for f in files:
        try:
            expanded.extend(_expand(f) if f.is_dir() else [f])
        except UrbansatError as err:
            failed += 1
            typer.echo(f"{f}: ERROR {type(err).__name__}: {err}", err=True)
    for f in expanded:
        try:
            ds, notes = _open_for_inspection(f, product)
            s = granule_summary(ds)
        except UrbansatError as err:
            failed += 1
            typer.echo(f"{f}: ERROR {type(err).__name__}: {err}", err=True)
            continue
        s["files"] = [str(f)]
        s["notes"] = notes
        bbox = s["bbox"]
        # a box with lon_min > lon_max crosses 180 E (granule_summary gives the smallest
        # longitude interval): say so, a reader would take 179.9 .. -179.9 for the globe
        crosses = bbox is not None and bbox[0] > bbox[2]
        s["bbox_crosses_antimeridian"] = crosses
        if as_json:
            typer.echo(json.dumps(s))
            continue
        typer.echo(f"{f}")
        typer.echo(
            f"  product      {s['product']} (version {s['product_version']}, gas {s['gas']})"
        )
        typer.echo(f"  time         {s['time_start']} .. {s['time_end']} UTC")
        typer.echo(f"  swath        {ds.sizes['y']} x {ds.sizes['x']} (y x x)")
        typer.echo(f"  soundings    {s['soundings']} with a valid value")
        typer.echo(f"  QA pass      {s['qa_pass']} ({100 * s['qa_pass_rate']:.1f} %)")
        typer.echo(
            "  bbox         "
            + (
                "none"
                if bbox is None
                else f"lon {bbox[0]} .. {bbox[2]}{' (crosses 180 E)' if crosses else ''}, "
                f"lat {bbox[1]} .. {bbox[3]}"
            )
        )
        for n in notes:
            typer.echo(f"  note         {n}")
    if failed:
        raise typer.Exit(code=1)


def _read_plot_boundaries(path: Path) -> gpd.GeoDataFrame:
    """Read a polygon file for ``urbansat plot --boundaries``; anything else is a clear error."""
    import geopandas as gpd
    from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

    from urbansat.errors import BoundaryError

    fix = "pass a GeoJSON, GeoPackage or Shapefile of polygons"
    if not path.is_file():
        raise BoundaryError(f"--boundaries {str(path)!r} is not a file; {fix}.")
    try:
        gdf = gpd.read_file(path)
    except (
        DataSourceError,
        DataLayerError,
        FieldError,
        GeometryError,
        UnicodeDecodeError,
        ValueError,
    ) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise BoundaryError(
            f"--boundaries {str(path)!r} is not a boundaries file ({first}); {fix}."
        ) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf or gdf.geometry.isna().all():
        raise BoundaryError(f"--boundaries {str(path)!r} holds a table without geometry; {fix}.")
    kinds = set(gdf.geometry.dropna().geom_type)
    if not kinds & {"Polygon", "MultiPolygon"}:
        raise BoundaryError(
            f"--boundaries {str(path)!r} holds {sorted(kinds)} geometries, no polygons; {fix}."
        )
    return gdf


@app.command()
def plot(
    file: Path = typer.Argument(..., help="Granule file."),
    output: Path = typer.Option(..., "-o", "--output", help="Image to write (png, pdf, svg)."),
    boundaries: Path | None = typer.Option(
        None,
        help="Boundary file (shapefile, GeoJSON, GPKG) drawn instead of the default coastlines.",
    ),
    coastlines: bool = typer.Option(
        True, help="Draw Natural Earth 1:110m country outlines (packaged)."
    ),
    variable: str | None = typer.Option(
        None, help="Variable to colour by (default: the gas column)."
    ),
    all_soundings: bool = typer.Option(False, "--all", help="Draw soundings failing QA too."),
    product: str | None = typer.Option(None, help="Reader name; default: auto-detect."),
) -> None:
    """Draw the footprints of a granule coloured by the gas column."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from urbansat.errors import OutputPathError, UrbansatError
    from urbansat.export import atomic_write
    from urbansat.export.guard import check_outputs
    from urbansat.plot.granules import plot_granule

    try:
        check_outputs(
            [output], {"granule": file, **({"--boundaries": boundaries} if boundaries else {})}
        )
    except OutputPathError as err:
        raise typer.BadParameter(f"--output: {err}") from None
    from matplotlib.figure import Figure

    formats = Figure().canvas.get_supported_filetypes()
    if output.suffix.lower().lstrip(".") not in formats:  # matplotlib's ValueError, after reading
        raise typer.BadParameter(
            f"--output {str(output)!r}: {output.suffix or 'no suffix'} is not an image format "
            "matplotlib writes; end the name in one of "
            f"{', '.join('.' + f for f in sorted(formats))}."
        )
    try:
        ds, notes = _open_for_inspection(file, product)
        gdf = None
        if boundaries is None and coastlines:
            from importlib import resources

            import geopandas as gpd

            ne = resources.files("urbansat") / "data" / "naturalearth" / "ne_110m_countries.geojson"
            with resources.as_file(ne) as fpath:
                gdf = gpd.read_file(fpath)
        if boundaries is not None:
            import geopandas as gpd

            if not boundaries.exists():
                raise typer.BadParameter(f"boundaries file '{boundaries}' does not exist")
            gdf = _read_plot_boundaries(boundaries)
            if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
                gdf = gdf.to_crs("EPSG:4326")
        fig, ax = plt.subplots(figsize=(7, 6))
        plot_granule(ds, ax=ax, boundaries=gdf, variable=variable, qa_only=not all_soundings)
        try:  # atomic; refuses a FIFO, device or folder at the output path
            with atomic_write(output) as tmp:
                fig.savefig(tmp, dpi=120, bbox_inches="tight")
        finally:
            plt.close(fig)
    except UrbansatError as err:
        typer.echo(f"{file}: ERROR {type(err).__name__}: {err}", err=True)
        raise typer.Exit(code=1) from None
    for n in notes:
        typer.echo(f"note: {n}")
    typer.echo(f"wrote {output}")
