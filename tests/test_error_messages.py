"""Bad input to the public API gets a clear urbansat error, and inputs are never modified.

Each case is a realistic notebook mistake found by an audit of the public API; the
message must name the offending value / variable and the fix (pinned with ``match``).
"""

from __future__ import annotations

import copy
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import xarray as xr

import urbansat
from urbansat.errors import (
    BoundaryError,
    ConfigError,
    InputFileError,
    InversionError,
    SchemaError,
    UrbansatError,
    WindError,
)
from urbansat.testing.granules import make_swath
from urbansat.testing.landcover import make_boundaries, make_landcover_pair

CENTER = (-118.24532, 34.05349)


@pytest.fixture(scope="module")
def swath():
    return make_swath(shape_yx=(40, 8), center=CENTER, wind=None)


@pytest.fixture(scope="module")
def sources():
    return pd.DataFrame({"name": ["la"], "longitude": [CENTER[0]], "latitude": [CENTER[1]]})


@pytest.fixture(scope="module")
def swath_boundaries():
    return gpd.GeoDataFrame(
        {"boundary_id": ["la"], "name": ["LA"], "level": ["region"]},
        geometry=[shapely.Point(*CENTER).buffer(0.1)],
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def landcover():
    start, end = make_landcover_pair((40, 40))
    return start, end, make_boundaries(start, 2)


SINK_KW = {
    "years": 5,
    "climate_zone": "subtropical_humid_asia",
    "legend": "worldcover",
    "factors": "china_literature",
}


# ------------------------------------------------------- a path where a dataset is expected
@pytest.mark.parametrize(
    "call",
    [
        lambda p: urbansat.select_soundings(p, None),
        lambda p: urbansat.grid_soundings(p, resolution=0.1),
        lambda p: urbansat.estimate_emissions(
            p, sources=None, wind=(3.0, 1.0, 0.5), method="ime", gas="co2"
        ),
        lambda p: urbansat.select_target(p, "Los Angeles"),
        urbansat.validate_granule,
    ],
)
def test_path_instead_of_swath(call):
    with pytest.raises(SchemaError, match=r"got str 'granule\.nc'.*urbansat\.open_granules\(path"):
        call("granule.nc")


def test_dataset_given_to_open_granules(swath):
    with pytest.raises(
        InputFileError, match=r"already opened xarray\.Dataset.*Pass the granule path"
    ):
        urbansat.open_granules(swath)


def test_dataarray_given_to_open_landcover(landcover):
    with pytest.raises(InputFileError, match=r"already opened DataArray.*Pass the"):
        urbansat.open_landcover(landcover[0])


@pytest.mark.parametrize("which", [0, 1])
def test_path_given_to_account_sinks(landcover, which):
    start, end, bnd = landcover
    args = [start, end]
    args[which] = "lc.tif"
    label = ("landcover_start", "landcover_end")[which]
    with pytest.raises(
        SchemaError, match=rf"{label} must be .*got str 'lc\.tif'.*urbansat\.open_landcover\(path\)"
    ):
        urbansat.account_sinks(*args, bnd, **SINK_KW)


def test_validate_with_paths(sources):
    inv = pd.DataFrame(
        {
            "gas": ["co2"],
            "emission_t_per_yr": [1.0],
            "emission_t_per_yr_uncertainty": [0.1],
            "longitude": [0.0],
            "latitude": [0.0],
            "inventory_id": ["p"],
        }
    )
    with pytest.raises(SchemaError, match=r"estimates must be .*got str 'emis\.nc'.*open_dataset"):
        urbansat.validate_inventory("emis.nc", inv)
    est = pd.DataFrame(
        {
            "emission_t_per_yr": [1.0],
            "emission_t_per_yr_uncertainty": [0.1],
            "longitude": [0.0],
            "latitude": [0.0],
            "gas": ["co2"],
        }
    )
    with pytest.raises(
        SchemaError,
        match=r"inventory must be a pandas\.DataFrame; got str 'inv\.csv'.*read_inventory",
    ):
        urbansat.validate_inventory(est, "inv.csv")
    with pytest.raises(SchemaError, match=r"inventory lacks columns \['gas', .*read_inventory"):
        urbansat.validate_inventory(est, pd.DataFrame({"x": [1]}))
    with pytest.raises(SchemaError, match=r"max_distance_km=-1 must be a positive distance"):
        urbansat.validate_inventory(est, inv, max_distance_km=-1)


# ------------------------------------------------------------------ boundaries without geometry
def test_dataframe_boundaries_to_account_sinks(landcover):
    start, end, bnd = landcover
    # the one boundaries contract (urbansat.schema.boundaries.require_boundaries)
    with pytest.raises(
        BoundaryError, match=r"non-empty GeoDataFrame; got DataFrame.*read_boundaries"
    ):
        urbansat.account_sinks(start, end, pd.DataFrame(bnd.drop(columns="geometry")), **SINK_KW)


def test_dataframe_boundaries_to_select_soundings(swath, swath_boundaries):
    df = pd.DataFrame(swath_boundaries.drop(columns="geometry"))
    with pytest.raises(
        BoundaryError, match=r"non-empty GeoDataFrame; got DataFrame.*read_boundaries"
    ):
        urbansat.select_soundings(swath, df)
    with pytest.raises(BoundaryError, match=r"boundaries is empty \(0 rows\)"):
        urbansat.select_soundings(swath, swath_boundaries.iloc[:0])


def test_csv_given_to_read_boundaries(project_samples):
    csv = project_samples / "smartcarb" / "sources-smartcarb.csv"
    with pytest.raises(BoundaryError, match=r"sources-smartcarb\.csv.* without geometry.*GeoJSON"):
        urbansat.read_boundaries(csv, level="county")


def test_empty_boundaries_to_indicators(landcover):
    bnd = landcover[2]
    with pytest.raises(
        BoundaryError, match=r"boundaries is empty \(0 rows\).*at least one boundary"
    ):
        urbansat.tci231_indicators(boundaries=bnd.iloc[:0], periods=["2020"])


# ------------------------------------------------------------------ wrong values
@pytest.mark.parametrize(
    "res", [0, -0.1, "abc", (0.1, 0.0), (0.1, 0.2, 0.3), float("nan"), True, float("inf")]
)
def test_grid_resolution_must_be_positive(swath, res):
    before = swath.copy(deep=True)
    with pytest.raises(
        SchemaError, match=r"resolution=.* is not a positive cell size in degrees.*resolution=0\.05"
    ):
        urbansat.grid_soundings(swath, resolution=res)
    xr.testing.assert_identical(swath, before)


def test_grid_resolution_in_metres_or_too_fine_is_refused(swath):
    before = swath.copy(deep=True)
    with pytest.raises(SchemaError, match=r"resolution=500 degrees .*not metres or km"):
        urbansat.grid_soundings(swath, resolution=500)  # 500 m meant
    # 1e-7 deg (1 cm) cells: ~1e14 cells, whose sums could never be allocated
    with pytest.raises(SchemaError, match=r"cells, more than MAX_GRID_CELLS .*coarser resolution"):
        urbansat.grid_soundings(swath, resolution=1e-7)
    xr.testing.assert_identical(swath, before)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"buffer_km": float("nan")}, r"buffer_km=nan must be a finite distance >= 0 km"),
        ({"buffer_km": -5}, r"buffer_km=-5 must be a finite distance >= 0 km"),
        ({"buffer_km": 1e6}, r"more than half the Earth's circumference \(20015 km\)"),
        ({"buffer_km": True}, r"buffer_km=True must be a finite distance >= 0 km"),
        ({"min_overlap": "x"}, r"min_overlap='x' must be a number in \[0, 1\)"),  # was TypeError
        ({"min_overlap": True}, r"min_overlap=True must be a number in \[0, 1\)"),
        ({"min_overlap": 1.5}, r"min_overlap=1\.5 must be a number in \[0, 1\)"),
    ],
)
def test_select_soundings_buffer_is_a_distance(swath, swath_boundaries, kw, match):
    # NaN reached shapely ("buffer distance must be finite"); 1e6 km was buffered
    before, bnd_before = swath.copy(deep=True), swath_boundaries.copy()
    with pytest.raises(BoundaryError, match=match):
        urbansat.select_soundings(swath, swath_boundaries, **kw)
    xr.testing.assert_identical(swath, before)
    pd.testing.assert_frame_equal(swath_boundaries, bnd_before)


@pytest.mark.parametrize("value", ["no", "False", 0, None])
def test_qa_only_must_be_a_boolean(swath, swath_boundaries, value):
    # "no" is truthy: it silently meant qa_only=True
    before = swath.copy(deep=True)
    for call in (
        lambda: urbansat.select_soundings(swath, swath_boundaries, qa_only=value),
        lambda: urbansat.grid_soundings(swath, resolution=0.05, qa_only=value),
        lambda: urbansat.to_soundings(swath, qa_only=value),
    ):
        with pytest.raises(SchemaError, match=rf"qa_only={re.escape(repr(value))} is not True or"):
            call()
    xr.testing.assert_identical(swath, before)


def test_switches_of_the_table_job_and_exports_must_be_booleans(tmp_path, landcover):
    # each was used as `if flag:`, so "no" meant True
    bnd = landcover[2]
    bnd_before = bnd.copy()
    with pytest.raises(SchemaError, match=r"collapse='no' is not True or False"):
        urbansat.tci231_indicators(boundaries=bnd, periods=["2020"], collapse="no")
    pd.testing.assert_frame_equal(bnd, bnd_before)
    job = tmp_path / "job.toml"
    job.write_text('[job]\nname = "x"\n')
    with pytest.raises(SchemaError, match=r"resume='no' is not True or False"):
        urbansat.run_job(job, resume="no")
    assert job.read_text() == '[job]\nname = "x"\n'
    with pytest.raises(SchemaError, match=r"details='yes' is not True or False"):
        urbansat.period_totals(pd.DataFrame(), periods=["2020"], details="yes")
    from urbansat.export.rasters import write_carbon_maps

    with pytest.raises(SchemaError, match=r"cog=1 is not True or False"):
        write_carbon_maps(None, tmp_path, cog=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.toml"]  # nothing written


def test_wind_speed_alone(swath, sources):
    with pytest.raises(WindError, match=r"got float 5\.0.*no direction.*\(u, v, sigma\)"):
        urbansat.open_wind(5.0)


def test_directories_instead_of_files(tmp_path):
    with pytest.raises(InputFileError, match=r"is a directory; pass one ERA5 or COSMO"):
        urbansat.open_wind(tmp_path)
    with pytest.raises(InputFileError, match=r"is a directory; pass the file\(s\) in it"):
        urbansat.open_landcover(tmp_path)
    with pytest.raises(InputFileError, match=r"is a directory; pass the job \.toml file"):
        urbansat.run_job(tmp_path, progress=False)


def test_one_source_as_a_dict(swath, sources):
    one = {"name": "la", "longitude": CENTER[0], "latitude": CENTER[1]}
    a = urbansat.estimate_emissions(swath, sources=one, wind=(3.0, 1.0, 0.5), method="ime")
    b = urbansat.estimate_emissions(swath, sources=sources, wind=(3.0, 1.0, 0.5), method="ime")
    assert list(a["source"].values) == ["la"]
    assert a.identical(b)
    with pytest.raises(InversionError, match=r"sources='plants\.csv' is a path.*read_csv"):
        urbansat.estimate_emissions(swath, sources="plants.csv", wind=(3.0, 1.0, 0.5), method="ime")


def test_periods_mistakes(landcover):
    bnd = landcover[2]
    with pytest.raises(
        SchemaError,
        match=r"period '2020' = \('2020-13-01', '2021-01-01'\) is not a \(start, end\) pair",
    ):
        urbansat.tci231_indicators(boundaries=bnd, periods={"2020": ("2020-13-01", "2021-01-01")})
    with pytest.raises(SchemaError, match=r"at or before its start.*end after start"):
        urbansat.tci231_indicators(boundaries=bnd, periods={"2020": ("2020-01-01", "2020-01-01")})
    with pytest.raises(
        SchemaError,
        match=r"looks like one \(start, end\) pair.*"
        r"periods=\{'2020': \('2020-01-01', '2021-01-01'\)\}",
    ):
        urbansat.tci231_indicators(boundaries=bnd, periods=("2020-01-01", "2021-01-01"))


def test_single_labels_are_not_split_into_characters(landcover):
    from urbansat.indicators import period_years

    assert period_years("2020") == {"2020": 366 / 365.25}  # its calendar days
    assert period_years(["2020Q1", "2020Q2"]).keys() == {"2020Q1", "2020Q2"}  # labels, not dates
    bnd = landcover[2]
    a = urbansat.tci231_indicators(boundaries=bnd, periods=["2020"], observed_gases="co2")
    b = urbansat.tci231_indicators(boundaries=bnd, periods=["2020"], observed_gases=["co2"])
    pd.testing.assert_frame_equal(a, b)


# the default table lacks ranges for two removal factors (warning tested in tests/sinks)
@pytest.mark.filterwarnings("ignore:Factors without a range in their table:UserWarning")
def test_pools_as_one_string(landcover):
    start, end, bnd = landcover
    a = urbansat.account_sinks(start, end, bnd, pools="c_above", **SINK_KW)
    b = urbansat.account_sinks(start, end, bnd, pools=("c_above",), **SINK_KW)
    assert a.identical(b)


# ------------------------------------------------------------------ inputs are never modified
def _same(a, b) -> bool:
    if isinstance(a, (pd.DataFrame, pd.Series)):
        return (
            a.equals(b)
            and list(a.columns) == list(b.columns)
            and a.attrs == b.attrs
            and a.crs == b.crs
            if isinstance(a, gpd.GeoDataFrame)
            else a.equals(b) and a.attrs == b.attrs
        )
    return a.identical(b)


# the default table lacks ranges for two removal factors (warning tested in tests/sinks)
@pytest.mark.filterwarnings("ignore:Factors without a range in their table:UserWarning")
def test_public_functions_do_not_modify_their_inputs(swath, sources, swath_boundaries, landcover):
    start, end, bnd = landcover
    wind = urbansat.open_wind((3.0, 1.0, 0.5))
    raster = start.astype("float64")
    no_id = bnd.drop(columns="boundary_id")
    inputs = [swath, sources, swath_boundaries, start, end, bnd, wind, raster, no_id]
    before = [copy.deepcopy(x) for x in inputs]

    urbansat.read_boundaries(bnd, level="county")
    urbansat.read_boundaries(no_id, level="county")
    urbansat.zonal_stats(raster, bnd, stats=("mean", "sum", "count", "min", "max", "std"))
    urbansat.zonal_stats(raster, no_id)
    urbansat.class_areas(start, bnd)
    urbansat.select_soundings(swath, swath_boundaries)
    urbansat.grid_soundings(swath, resolution=0.05)
    urbansat.open_wind(wind)
    emis = urbansat.estimate_emissions(swath, sources=sources, wind=wind, method="ime")
    emis_copy = copy.deepcopy(emis)
    sinks = urbansat.account_sinks(start, end, bnd, **SINK_KW)
    sinks_copy = copy.deepcopy(sinks)
    # the swath's source is not inside the land-cover boundaries: it fills no row, and says so
    with pytest.warns(urbansat.UnusedInputWarning, match="outside every boundary"):
        table = urbansat.tci231_indicators(
            emissions=emis,
            sinks=sinks,
            boundaries=bnd,
            periods={"2020": ("2020-01-01", "2021-01-01")},
        )
    table_copy = table.copy(deep=True)
    inv = pd.DataFrame(
        {
            "gas": ["co2"],
            "emission_t_per_yr": [1.0e6],
            "emission_t_per_yr_uncertainty": [1.0e5],
            "longitude": [CENTER[0]],
            "latitude": [CENTER[1]],
            "inventory_id": ["plant"],
        }
    )
    inv_copy = inv.copy(deep=True)
    urbansat.validate_inventory(emis, inv)

    for x, y in zip(inputs, before, strict=False):
        assert _same(x, y), type(x).__name__
    assert emis.identical(emis_copy) and sinks.identical(sinks_copy)
    pd.testing.assert_frame_equal(table, table_copy)
    pd.testing.assert_frame_equal(inv, inv_copy)


def test_errors_are_urbansat_and_builtin():
    """The errors above stay catchable both ways.

    ``except ValueError`` and ``except UrbansatError`` both catch them.
    """
    for exc in (SchemaError, BoundaryError, InversionError, WindError):
        assert issubclass(exc, UrbansatError) and issubclass(exc, ValueError)
    assert issubclass(InputFileError, OSError)
    with pytest.raises(ValueError):
        urbansat.grid_soundings(make_swath(shape_yx=(4, 2)), resolution=0)


def test_select_target_mode_is_checked(swath):
    with pytest.raises(SchemaError, match=r"mode='SAM' is not one of 'sam', 'target', 'any'"):
        urbansat.select_target(swath, "Los Angeles", mode="SAM")


def test_grid_must_be_a_gridspec(swath):
    with pytest.raises(
        SchemaError,
        match=r"grid must be a urbansat\.spatial\.grid\.GridSpec; got tuple.*GridSpec\.from_bbox",
    ):
        urbansat.grid_soundings(swath, grid=(-119, 33, -118, 35))


def test_inversion_option_and_position_checks(swath, sources):
    with pytest.raises(InversionError, match=r"length_km=-5 must be a positive distance in km"):
        urbansat.estimate_emissions(
            swath, sources=sources, wind=(3.0, 1.0, 0.5), method="ime", length_km=-5
        )
    bad = sources.assign(longitude=["118.2 W"])
    with pytest.raises(
        InversionError,
        match=r"source 'la' has a non-numeric position longitude='118\.2 W'.*decimal degrees",
    ):
        urbansat.estimate_emissions(swath, sources=bad, wind=(3.0, 1.0, 0.5), method="ime")


def test_zonal_stats_none(landcover):
    start, _, bnd = landcover
    with pytest.raises(
        SchemaError, match=r"stats=None is not a list of statistic names.*stats=\('mean'"
    ):
        urbansat.zonal_stats(start.astype("float64"), bnd, stats=None)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"years": "5"}, r"years='5' must be a number of years"),
        (
            {"uncertainty": "monte_carlo", "n_draws": 0},
            r"n_draws=0: Monte Carlo needs an integer number of draws >= 2",
        ),
        (
            {"area_uncertainty": 20},
            (
                r"area_uncertainty=20: a relative 1-sigma must be a fraction in \[0, 1\] "
                r"\(0\.2 for 20 %\)"
            ),
        ),
    ],
)
def test_sink_numbers(landcover, kw, match):
    start, end, bnd = landcover
    with pytest.raises(ConfigError, match=match):
        urbansat.account_sinks(start, end, bnd, **{**SINK_KW, **kw})


def test_normalized_wind_passes_through_open_wind():
    w = urbansat.open_wind((3.0, 1.0, 0.5))
    assert urbansat.open_wind(w).identical(w)
    assert float(urbansat.open_wind(w, sigma=2.0)["wind_speed_uncertainty"]) == 2.0


def test_duplicate_ids_fall_back_with_a_warning(landcover):
    bnd = landcover[2]
    # the same features twice: duplicate ids (fallback to row numbers) and identical outlines
    with (
        pytest.warns(
            urbansat.UrbansatWarning,
            match=r"id column 'boundary_id' has duplicate values \['b0', 'b1'\].*id_field=",
        ),
        pytest.warns(urbansat.errors.DuplicateInputWarning, match="identical outlines"),
    ):
        out = urbansat.read_boundaries(pd.concat([bnd, bnd]), level="county")
    assert list(out["boundary_id"]) == ["0", "1", "2", "3"]


def test_cli_plot_boundaries_without_geometry(project_samples, tmp_path):
    from typer.testing import CliRunner

    from urbansat.cli import app

    sc = project_samples / "smartcarb"
    res = CliRunner().invoke(
        app,
        [
            "plot",
            str(sc / "Sentinel_7_CO2_2015042311_o1670_l0483.nc"),
            "-o",
            str(tmp_path / "map.png"),
            "--boundaries",
            str(sc / "sources-smartcarb.csv"),
        ],
    )
    assert res.exit_code == 1  # the error line of every urbansat command (no traceback)
    assert isinstance(res.exception, SystemExit)
    text = " ".join(re.sub("[\u2500-\u257f]", " ", res.output).split())  # drop the rich box
    assert "BoundaryError" in text
    assert "holds a table without geometry; pass a GeoJSON" in text
    assert not (tmp_path / "map.png").exists()


def test_cli_info_on_a_png(tmp_path):
    from typer.testing import CliRunner

    from urbansat.cli import app

    png = tmp_path / "quicklook.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    res = CliRunner().invoke(app, ["info", str(png)])
    assert res.exit_code == 1
    assert "InputFileError" in res.output and "not a netCDF or HDF5 file" in res.output
    assert "browse image" in res.output


def test_unknown_granule_variable_is_named(project_samples):
    from urbansat.errors import MissingVariableError

    f = project_samples / "smartcarb" / "Sentinel_7_CO2_2015042311_o1670_l0483.nc"
    with pytest.raises(
        MissingVariableError,
        match=r"cannot provide \['xco2_bias'\].*Available: \['latitude_bounds'",
    ):
        urbansat.open_granules(f, product="smartcarb", variables=["xco2_bias"])
    ok = urbansat.open_granules(f, product="smartcarb", variables=["cloud_fraction"])
    assert "cloud_fraction" in ok
