"""Bad job configurations: every error names the key, the file and (where it can) the line."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from urbansat.errors import ConfigError, InputFileError
from urbansat.pipeline.config import JobConfig, load_job_config, parse_job_config

GRANULE = "tropomi_ch4/S5P_RPRO_L2__CH4____*.SUB.nc4"


def _job(tmp: Path, samples: Path, extra: str = "", emissions: str = "") -> Path:
    """A valid small job TOML in ``tmp`` (boundaries file written there) plus ``extra`` lines."""
    import geopandas as gpd
    from shapely.geometry import box

    b = tmp / "bowen.geojson"
    if not b.exists():
        gpd.GeoDataFrame(
            {"id": ["bowen"]}, geometry=[box(148.4, -23.0, 149.3, -22.3)], crs=4326
        ).to_file(b, driver="GeoJSON")
    text = f"""[job]
output_dir = "out"
periods = {{ "2022" = ["2022-01-01", "2023-01-01"] }}

[[boundaries]]
path = "bowen.geojson"
level = "county"
id_field = "id"

[[granules]]
name = "ch4"
paths = ["{(samples / GRANULE).as_posix()}"]
{extra}
{emissions}
"""
    p = tmp / "job.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_valid_job_parses_into_jobconfig(tmp_path, project_samples):
    cfg = load_job_config(_job(tmp_path, project_samples))
    assert isinstance(cfg, JobConfig)
    assert cfg.output_dir == (tmp_path / "out").resolve()
    assert len(cfg.granules[0].files) == 1 and Path(cfg.granules[0].files[0]).is_absolute()
    assert cfg.concentration.background_buffer_km == 10.0


@pytest.mark.parametrize(
    ("extra", "key", "line"),
    [
        ("[concentration]\nbackground_buffer_km = nan", "concentration.background_buffer_km", 14),
        ("[concentration]\nbackground_radius_km = inf", "concentration.background_radius_km", 14),
        ("[concentration]\nmin_overlap = -inf", "concentration.min_overlap", 14),
        (
            "[concentration]\nbackground = { co2 = [nan, 0.5] }",
            "concentration.background.co2[0]",
            14,
        ),
        ("bbox = [148.0, nan, 150.0, -22.0]", "granules[0].bbox[1]", 13),
    ],
)
def test_nan_and_inf_refused_with_key_file_and_line(tmp_path, project_samples, extra, key, line):
    p = _job(tmp_path, project_samples, extra)
    before = _digest(p)
    with pytest.raises(ConfigError) as err:
        load_job_config(p)
    msg = str(err.value)
    assert f"{key}: must be a finite number" in msg
    assert f"[job.toml:{line}]" in msg and str(p) in msg
    assert _digest(p) == before


def test_years_nan_in_sinks_refused(tmp_path, project_samples):
    lc = project_samples / "landcover"
    tif = min(lc.glob("*.tif")) if lc.is_dir() and list(lc.glob("*.tif")) else tmp_path / "job.toml"
    extra = f'[[sinks]]\nlandcover_start = "{tif}"\nlandcover_end = "{tif}"\nyears = nan'
    with pytest.raises(
        ConfigError, match=r"sinks\[0\]\.years: must be a finite number, got nan \[job\.toml:16\]"
    ):
        load_job_config(_job(tmp_path, project_samples, extra))


def test_non_finite_inside_free_option_tables_refused(tmp_path, project_samples):
    em = '[[emissions]]\ngranules = "ch4"\nmethod = "ime"\nboundaries = true\nwind = "granule"\n'
    em += "options = { radius_km = nan }"
    with pytest.raises(
        ConfigError, match=r"emissions\[0\]\.options\.radius_km: must be a finite number"
    ):
        load_job_config(_job(tmp_path, project_samples, emissions=em))


@pytest.mark.parametrize(
    ("chunks", "needle"),
    [
        ("0", "positive number of soundings"),
        ("-3", "positive number"),
        ("{ y = 0 }", "positive integers"),
        ("true", 'must be "auto"'),
        ('"big"', 'must be "auto"'),
    ],
)
def test_chunks_zero_or_negative_refused(tmp_path, project_samples, chunks, needle):
    with pytest.raises(ConfigError) as err:
        load_job_config(_job(tmp_path, project_samples, f"chunks = {chunks}"))
    assert "granules[0].chunks" in str(err.value) and needle in str(err.value)
    assert "[job.toml:13]" in str(err.value)


def test_chunks_positive_accepted(tmp_path, project_samples):
    cfg = load_job_config(_job(tmp_path, project_samples, "chunks = { y = 500 }"))
    assert cfg.granules[0].chunks == {"y": 500}


def test_latin1_toml_names_file_and_encoding(tmp_path, project_samples):
    p = _job(tmp_path, project_samples)
    p.write_bytes(p.read_bytes().replace(b'name = "ch4"', 'name = "Zürich"'.encode("latin-1")))
    before = _digest(p)
    with pytest.raises(ConfigError) as err:
        load_job_config(p)
    msg = str(err.value)
    assert str(p) in msg and "not UTF-8" in msg and "Latin-1" in msg and "line 11" in msg
    assert _digest(p) == before


def test_fifo_config_refused_without_reading(tmp_path):
    fifo = tmp_path / "job.toml"
    os.mkfifo(fifo)
    result: list[BaseException] = []

    def call() -> None:
        try:
            load_job_config(fifo)
        except BaseException as err:  # noqa: BLE001  (recorded for the assertion)
            result.append(err)

    t = threading.Thread(target=call, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "load_job_config blocked reading a FIFO"
    assert isinstance(result[0], InputFileError) and str(fifo) in str(result[0])


def test_directory_and_missing_config(tmp_path):
    with pytest.raises(InputFileError, match="is a directory"):
        load_job_config(tmp_path)
    with pytest.raises(InputFileError, match="does not exist"):
        load_job_config(tmp_path / "nope.toml")


def test_invalid_toml_syntax(tmp_path):
    p = tmp_path / "job.toml"
    p.write_text("[job\nname = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not valid TOML.*line 1"):
        load_job_config(p)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ('"all"', ("ime", "csf", "gaussian", "bayesian")),
        ('["csf", "ime"]', ("csf", "ime")),
        ('"bayesian"', ("bayesian",)),
    ],
)
def test_method_vocabulary_is_the_apis(tmp_path, project_samples, method, expected):
    em = (
        f'[[emissions]]\ngranules = "ch4"\nmethod = {method}\nboundaries = true\nwind = "granule"\n'
    )
    cfg = load_job_config(_job(tmp_path, project_samples, emissions=em))
    assert cfg.emissions[0].methods == expected


@pytest.mark.parametrize(
    ("method", "needle"),
    [
        ('"magic"', "'magic' is not one of"),
        ('["ime", "ime"]', "lists a method twice"),
        ("[]", "non-empty list"),
        ('["ime", "all"]', "['all'] not among"),
    ],
)
def test_bad_methods_refused(tmp_path, project_samples, method, needle):
    em = (
        f'[[emissions]]\ngranules = "ch4"\nmethod = {method}\nboundaries = true\nwind = "granule"\n'
    )
    with pytest.raises(ConfigError) as err:
        load_job_config(_job(tmp_path, project_samples, emissions=em))
    assert "emissions[0].method" in str(err.value) and needle in str(err.value)
    assert "[job.toml:16]" in str(err.value)


def test_wind_specs(tmp_path, project_samples):
    base = '[[emissions]]\ngranules = "ch4"\nmethod = "ime"\nboundaries = true\n'
    cfg = load_job_config(
        _job(tmp_path, project_samples, emissions=base + "wind = { u = 3, v = -1, sigma = 1 }")
    )
    assert (cfg.emissions[0].wind.u, cfg.emissions[0].wind.sigma) == (3.0, 1.0)
    polar = "wind = { speed = 5, direction = 270, sigma = 1, direction_sigma = 10 }"
    w = load_job_config(_job(tmp_path, project_samples, emissions=base + polar)).emissions[0].wind
    assert (w.speed, w.direction, w.direction_sigma) == (5.0, 270.0, 10.0)
    for bad, needle in [
        ('wind = "breeze"', 'use "granule"'),
        # a constant wind without its error is refused, as in estimate_emissions (issue 16)
        ("wind = { u = 3, v = -1 }", "emissions[0].wind.sigma: required key is missing"),
        ("wind = { u = 3, sigma = 1 }", "give u and v [m s-1] or speed"),
        ("wind = { u = 3, v = 1, speed = 2, sigma = 1 }", "give u and v [m s-1] or speed"),
        (
            "wind = { speed = 5, direction = 90, sigma = 1, direction_sigma = 200 }",
            "direction_sigma",
        ),
        ("wind = { u = 3, v = 1, sigma = -1 }", "emissions[0].wind.sigma"),
        ('wind = { path = "nowhere.nc" }', "emissions[0].wind.path: file"),
        ("wind = 3", "emissions[0].wind"),
        # an empty list passed here and failed at run time
        ("wind = []", "emissions[0].wind: list should have at least 1 item"),
    ]:
        with pytest.raises(ConfigError) as err:
            load_job_config(_job(tmp_path, project_samples, emissions=base + bad))
        assert needle in str(err.value), (bad, str(err.value))


def test_same_granule_listed_twice_is_one_file(tmp_path, project_samples):
    g = (project_samples / GRANULE).as_posix()
    p = _job(tmp_path, project_samples)
    p.write_text(
        p.read_text(encoding="utf-8").replace(f'paths = ["{g}"]', f'paths = ["{g}", "{g}"]'),
        encoding="utf-8",
    )
    assert len(load_job_config(p).granules[0].files) == 1


def test_unknown_keys_and_sections_name_allowed_ones(tmp_path, project_samples):
    with pytest.raises(ConfigError) as err:
        load_job_config(_job(tmp_path, project_samples, 'colour = "red"\n[extra]\nx = 1'))
    msg = str(err.value)
    assert (
        "granules[0].colour: unknown key; allowed: [" in msg
        and "'paths'" in msg
        and "[job.toml:13]" in msg
    )
    assert "extra: unknown section" in msg


def test_mapping_input_and_every_problem_at_once(tmp_path):
    raw = {"job": {"output_dir": "o", "periods": {}}, "boundaries": [], "sinks": [{"years": 0}]}
    with pytest.raises(ConfigError) as err:
        parse_job_config(raw, base_dir=tmp_path)
    msg = str(err.value)
    for needle in (
        "job.periods: give at least one period",
        "boundaries: at least one",
        "sinks[0].landcover_start: required key",
        "sinks[0].years: input should be greater than 0",
    ):
        assert needle in msg, needle


def test_job_options_are_checked_when_the_file_is_read(tmp_path, project_samples):
    em = '[[emissions]]\ngranules = "ch4"\nmethod = "ime"\nboundaries = true\nwind = "granule"\n'
    with pytest.raises(ConfigError) as err:
        load_job_config(
            _job(tmp_path, project_samples, emissions=em + "options = { radus_km = 60 }")
        )
    msg = str(err.value)
    assert "emissions[0].options" in msg and "radus_km" in msg and "radius_km" in msg
    assert "job.toml" in msg
    with pytest.raises(ConfigError, match="min_coverage=2 is a fraction"):
        load_job_config(
            _job(tmp_path, project_samples, emissions=em + "options = { min_coverage = 2 }")
        )
    cfg = load_job_config(
        _job(tmp_path, project_samples, emissions=em + "options = { radius_km = 60 }")
    )
    assert cfg.emissions[0].options == {"radius_km": 60}


@pytest.mark.parametrize(
    ("extra", "utc"),
    [
        ('time = ["2022-01-01T00:00:00+08:00", "2023-01-01"]', "2021-12-31T16:00:00"),
        ("time = [2022-03-01T08:00:00+08:00, 2022-04-01]", "2022-03-01T00:00:00"),  # TOML datetime
    ],
)
def test_dates_with_a_utc_offset_are_refused_naming_the_utc_instant(
    tmp_path, project_samples, extra, utc
):
    # passed validation, then pandas' TypeError (aware vs naive) mid-run or in the parser
    p = _job(tmp_path, project_samples, extra)
    with pytest.raises(ConfigError, match=rf"granules\[0\]\.time: .*has a UTC offset.*{utc}"):
        load_job_config(p)


def test_a_job_that_would_write_no_result_is_refused(tmp_path, project_samples):
    # finished "complete" with only job_provenance.json and the manifest in the folder
    p = _job(tmp_path, project_samples, "[outputs]\nformats = []\nreport = false")
    with pytest.raises(ConfigError, match=r"outputs: formats = \[\] and report = false"):
        load_job_config(p)
    ok = _job(tmp_path, project_samples, "[outputs]\nformats = []\nreport = true")
    assert load_job_config(ok).outputs.report


@pytest.mark.parametrize(
    ("periods", "needle"),
    [
        # a list label without dates matched no overpass: the table came out empty, silently
        (["spring"], "period labels ['spring'] in a list are not years"),
        ({"": ["2022-01-01", "2023-01-01"]}, "a period label is blank"),
        (["2022", "2022"], "periods ['2022'] are listed twice"),
        # one overpass counted in both for concentrations, in the first only for emissions
        (
            {"2015": ["2015-01-01", "2016-01-01"], "h1": ["2015-01-01", "2015-07-01"]},
            "periods '2015' (2015-01-01 00:00:00 to 2016-01-01 00:00:00) and 'h1'",
        ),
        # the change row ran 2021->2020 with its sign reversed
        (["2021", "2020"], "period '2020' (from 2020-01-01 00:00:00) comes after '2021'"),
    ],
)
def test_periods_without_dates_twice_overlapping_or_out_of_order_are_refused(
    tmp_path, periods, needle
):
    raw = {"job": {"output_dir": "o", "periods": periods}, "boundaries": []}
    with pytest.raises(ConfigError) as err:
        parse_job_config(raw, base_dir=tmp_path)
    assert "job.periods: " + needle in str(err.value)


@pytest.mark.parametrize(
    ("address", "needle"),
    [
        ("tcp://", "'' is not host:port"),
        ("tcp://localhost:abc", "'localhost:abc' is not host:port"),
        ("ftp://x", "unknown address scheme 'ftp'"),
    ],
)
def test_a_malformed_scheduler_address_is_refused_when_the_job_is_read(tmp_path, address, needle):
    """These reached dask's Client and raised a raw ValueError."""
    from urbansat.pipeline.execution import _scheduler

    raw = {"job": {"output_dir": "o", "periods": ["2022"], "scheduler": address}, "boundaries": []}
    with pytest.raises(ConfigError) as err:
        parse_job_config(raw, base_dir=tmp_path)
    assert "job.scheduler: " in str(err.value) and needle in str(err.value)
    with pytest.raises(ConfigError, match=needle), _scheduler(address, 0):  # --scheduler
        pass
