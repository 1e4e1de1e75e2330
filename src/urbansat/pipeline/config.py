"""The job configuration (TOML) of :func:`urbansat.run_job`, parsed into a typed :class:`JobConfig`.

The TOML is read as UTF-8 (anything else is refused, naming the file and the
encoding), parsed with :mod:`tomllib` and validated by pydantic v2 models: every
section and key is typed, unknown keys are refused, NaN and infinity are refused
in every number (``years = nan``, ``background_buffer_km = inf``), relative paths
are resolved against the directory of the TOML file and must exist, and the
cross-section references (a ``[[emissions]]`` naming its ``[[granules]]``, a
``[[sinks]]`` naming its period) are checked. Every problem is reported at once in
one :class:`~urbansat.errors.ConfigError`, one line each, with its key path
(``granules[1].paths``) and, where the key can be found in the text, the file and
line (``job.toml:12``).

The vocabulary is the API's: ``method`` takes what
:func:`urbansat.estimate_emissions` takes (one method, ``"all"`` or a list of
methods), ``options`` its keyword options, ``[[granules]]`` the keywords of
:func:`urbansat.open_granules` (including ``chunks``), ``[[sinks]]`` those of
:func:`urbansat.account_sinks`. Example (``urbansat demo`` writes a complete one)::

    [job]
    name = "berlin"
    output_dir = "out"                  # relative to this file
    scheduler = "auto"                  # auto | synchronous | threads | local | tcp://host:port
    periods = { "2015" = ["2015-01-01", "2016-01-01"] }

    [[boundaries]]
    path = "berlin.geojson"
    level = "region"                    # region | county | park | project
    id_field = "id"                     # optional: name_field, parent_field, layer, crs

    [[granules]]
    name = "co2m"
    paths = ["granules/*.nc"]           # globs
    gas = "co2"                         # optional: product, qa, target (OCO-3 SAM site), chunks,
                                        # bbox = [lon_min, lat_min, lon_max, lat_max],
                                        # time = [start, end]

    [concentration]
    background_buffer_km = 10.0         # excluded around every boundary
    background_radius_km = 100.0        # regional background: soundings within this of the boundary
                                        # optional: min_overlap, background = { co2 = [400.0, 0.5] }

    [[emissions]]
    granules = "co2m"                   # a [[granules]] name
    method = "ime"                      # ime | csf | gaussian | bayesian | all | a list of them
    sources = "sources.csv"             # name, longitude, latitude[, diameter_km]
    boundaries = false                  # true: also estimate boundaries as area sources
    boundary_ids = ["bowen"]            # optional: only these boundaries
    wind = { path = "wind.nc" }         # or { u = 3.0, v = 1.0, sigma = 1.0 } or "granule";
                                        # ERA5 model levels: { path = "lvl.nc", surface = "sfc.nc" }
    options = { radius_km = 60 }        # estimate_emissions keyword options

    [[sinks]]
    period = "2015"
    landcover_start = "lc2020.tif"
    landcover_end = "lc2021.tif"
    factors = "ipcc2019"                # optional: method, climate_zone, years, bbox, pools, legend

    [inventory]
    path = "inventory.csv"              # fills unobserved gases (status from_inventory)

    [[validation]]
    inventory = "coco2.csv"
    key = "location"                    # location | boundary_id
    max_distance_km = 5.0
    exclude = ["Berlin"]                # sources / boundaries not to compare (a city vs plants)

    [outputs]
    formats = ["csv", "parquet", "netcdf", "gpkg", "json"]
    report = true
"""

from __future__ import annotations

import datetime as _dt
import glob
import math
import os
import re
import stat
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import pandas as pd
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from urbansat.errors import ConfigError, InputFileError, SchemaError
from urbansat.schema.geo import LATITUDE_MAX, LONGITUDE_RANGE

__all__ = [
    "FORMATS",
    "METHODS",
    "SCHEDULERS",
    "BoundariesConfig",
    "ConcentrationConfig",
    "EmissionsConfig",
    "GranulesConfig",
    "InventoryConfig",
    "JobConfig",
    "JobSection",
    "OutputsConfig",
    "SinksConfig",
    "ValidationConfig",
    "WindConstant",
    "WindFile",
    "load_config",
    "load_job_config",
    "parse_job_config",
    "validate_config",
]

FORMATS: Final = ("csv", "parquet", "netcdf", "gpkg", "json")
#: The formats that hold every table (validation, wide); netcdf/gpkg hold the indicators only.
TABLE_FORMATS: Final = ("csv", "parquet", "json")
SCHEDULERS: Final = ("auto", "synchronous", "threads", "local")
METHODS: Final = ("ime", "csf", "gaussian", "bayesian")
#: A job TOML larger than this is not a job file (and is not read into memory).
MAX_CONFIG_BYTES: Final = 16 * 1024**2

Gas = Literal["co2", "ch4"]
Format = Literal["csv", "parquet", "netcdf", "gpkg", "json"]
Level = Literal["region", "county", "park", "project"]


def _base(info: ValidationInfo) -> Path:
    ctx = info.context or {}
    return Path(ctx.get("base_dir", "."))


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("is empty; give a value or leave the key out to use its default")
    return value


def _existing_path(value: str, info: ValidationInfo) -> str:
    if not value.strip():  # "" would resolve to the TOML's own folder
        raise ValueError("is an empty path; give the file (relative to the TOML's folder)")
    p = (_base(info) / value).resolve()
    if not p.exists():
        raise ValueError(
            f"file {str(p)!r} does not exist; check the path (relative paths are "
            "resolved against the directory of the TOML file)"
        )
    return str(p)


def _resolved_path(value: str, info: ValidationInfo) -> str:
    if not value.strip():
        raise ValueError('is an empty path; give a folder ("." for the TOML\'s own)')
    return str((_base(info) / value).resolve())


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


InputPath = Annotated[str, AfterValidator(_existing_path)]
#: a column or variable name: a blank one can never match
Name = Annotated[str, AfterValidator(_not_blank)]
OutputPath = Annotated[str, AfterValidator(_resolved_path)]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]


_BBOX_KEYS = ("lon_min", "lat_min", "lon_max", "lat_max")
#: Geographic limits in degrees (``urbansat.schema.geo``): |latitude| <= 90, longitude in
#: [-180, 180] or [0, 360].
_LAT_MAX, (_LON_MIN, _LON_WRAP) = LATITUDE_MAX, LONGITUDE_RANGE
#: Length of the two-element lists: [start, end] and [value, sigma].
_PAIR = 2
#: Bytes 0x80-0x9F: C1 controls in Latin-1, printable in Windows-1252 (a hint for the message).
_C1_CONTROLS = range(0x80, 0xA0)


def _bbox(value: list[float]) -> tuple[float, float, float, float]:
    if len(value) != len(_BBOX_KEYS):
        raise ValueError(
            f"must be [lon_min, lat_min, lon_max, lat_max] (4 numbers), got {len(value)}"
        )
    x0, y0, x1, y1 = value
    if not (_LON_MIN <= x0 < x1 <= _LON_WRAP and -_LAT_MAX <= y0 < y1 <= _LAT_MAX):
        raise ValueError(
            f"{value} is not [lon_min, lat_min, lon_max, lat_max] with min < max in degrees"
        )
    return (x0, y0, x1, y1)


#: validated to a tuple; dumped (provenance, cache keys) as the list the TOML holds
BBox = Annotated[list[float], AfterValidator(_bbox), PlainSerializer(list, return_type=list[float])]


def _timestamp(value: Any) -> pd.Timestamp:
    if not isinstance(value, (str, _dt.date)):
        raise ValueError(f'{value!r} is not a date; write it as "2020-01-01"')  # noqa: TRY004
    try:
        t = pd.Timestamp(str(value))
    except (ValueError, TypeError) as err:
        raise ValueError(f'{value!r} is not a date ({err}); write it as "2020-01-01"') from None
    if pd.isna(t):
        raise ValueError(f'{value!r} is not a date; write it as "2020-01-01"')
    if t.tzinfo is not None:  # compared with naive UTC granule times: pandas' TypeError
        raise ValueError(
            f"{value!r} has a UTC offset; job dates are UTC without one (as the granules' "
            f'times): write "{t.tz_convert("UTC").tz_localize(None).isoformat()}" for that instant'
        )
    return t


def _span(value: Any) -> tuple[str, str]:
    if not isinstance(value, (list, tuple)) or len(value) != _PAIR:
        raise ValueError(f"must be [start, end] dates with end > start, got {value!r}")
    start, end = (_timestamp(v) for v in value)
    if not end > start:
        raise ValueError(f"must be [start, end] dates with end > start, got {list(value)!r}")
    return (str(value[0]), str(value[1]))


def _time_range(value: Any) -> tuple[str, str]:
    if not isinstance(value, (list, tuple)) or len(value) != _PAIR:
        raise ValueError(f"must be [start, end] dates, got {value!r}")
    start, end = (_timestamp(v) for v in value)
    if end < start:
        raise ValueError(f"must be [start, end] dates with end >= start, got {list(value)!r}")
    return (str(value[0]), str(value[1]))


Span = Annotated[Any, AfterValidator(_span)]


def _value_sigma(value: list[float]) -> tuple[float, float]:
    if len(value) != _PAIR or value[1] < 0:
        raise ValueError(
            f"must be [value, sigma] in ppm (co2) or ppb (ch4) with sigma >= 0, got {value}"
        )
    return (value[0], value[1])


class _Section(BaseModel):
    """Shared model settings: typed, strict, no unknown keys, no NaN/inf, frozen."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class JobSection(_Section):
    """``[job]``: name, output folder, dask scheduler and the reporting periods."""

    name: str = "urbansat-job"
    output_dir: OutputPath
    scheduler: str = "auto"
    periods: Annotated[
        Annotated[dict[str, Span], Tag("table")] | Annotated[list[str], Tag("labels")],
        Discriminator(lambda v: "labels" if isinstance(v, list) else "table"),
    ]

    @field_validator("scheduler")
    @classmethod
    def _scheduler(cls, v: str) -> str:
        if v in SCHEDULERS:
            return v
        from urbansat.pipeline.execution import scheduler_address_problem

        problem = scheduler_address_problem(v)
        if problem:
            raise ValueError(f"{v!r}: {problem}")
        return v

    @field_validator("periods")
    @classmethod
    def _periods(cls, v: dict[str, Any] | list[str]) -> dict[str, Any] | list[str]:
        if not v:
            raise ValueError(
                'give at least one period, e.g. periods = { "2022" = ["2022-01-01", "2023-01-01"] }'
            )
        labels = list(v)
        blank = [p for p in labels if not str(p).strip()]
        if blank:
            raise ValueError('a period label is blank; name each period, e.g. "2022"')
        if isinstance(v, list):
            twice = sorted({p for p in labels if labels.count(p) > 1})
            if twice:
                raise ValueError(f"periods {twice} are listed twice; list each period once")
            undated = [p for p in labels if not re.fullmatch(r"\d{4}", str(p))]
            if undated:  # "spring" matched no overpass and the table came out empty
                raise ValueError(
                    f"period labels {undated} in a list are not years, so they have no dates; "
                    f'give their dates: periods = {{ "{undated[0]}" = ["2022-03-01", '
                    '"2022-06-01"] } (end exclusive)'
                )
        from urbansat.indicators.periods import period_years

        try:
            period_years(v)  # dates parse, end after start, date order, no overlap
        except SchemaError as err:
            raise ValueError(str(err)) from err
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v


class BoundariesConfig(_Section):
    """``[[boundaries]]``: the keywords of :func:`urbansat.read_boundaries`."""

    path: InputPath
    level: Level
    id_field: Name | None = None
    name_field: Name | None = None
    parent_field: Name | None = None
    layer: str | int | None = None
    crs: str | int | None = None
    #: the job periods tabulated for these boundaries (default: all), one list for the file or
    #: {boundary_id = [...]}; give only the periods their data cover, so that the table
    #: requests no row nothing can fill
    periods: list[str] | dict[str, list[str]] | None = None


def _chunks(value: Any) -> Any:
    if value == "auto" or value is None:
        return value
    if isinstance(value, bool):
        # pydantic turns a ValueError (not a TypeError) into an error located at the key
        raise ValueError(  # noqa: TRY004
            f'must be "auto", a positive integer or {{dim = positive integer}}, got {value!r}'
        )
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(
                f'must be a positive number of soundings per chunk (or "auto"), got {value}'
            )
        return value
    if isinstance(value, Mapping):
        bad = {
            k: v
            for k, v in value.items()
            if isinstance(v, bool) or not isinstance(v, int) or (v <= 0 and v != -1)
        }
        if bad:
            raise ValueError(
                f"chunk sizes must be positive integers (or -1 for one chunk), got {bad}"
            )
        return dict(value)
    raise ValueError(
        f'must be "auto", a positive integer or {{dim = positive integer}}, got {value!r}'
    )


def _glob_pattern(info: ValidationInfo, pat: str) -> str:
    """``pat`` under the TOML's folder; only the user's pattern is a glob, not the folder.

    A folder named ``run[1]`` was read as the glob ``run1`` (no match, or another folder's file).
    An absolute ``pat`` replaces the folder, as with ``Path /``.
    """
    if Path(pat).is_absolute():
        return pat
    return os.path.join(glob.escape(str(_base(info))), pat)


class GranulesConfig(_Section):
    """``[[granules]]``: globs of granule files and the keywords of :func:`urbansat.open_granules`.

    ``files`` is derived (the sorted, resolved files the globs match) and cannot be set.
    """

    name: str
    paths: Annotated[list[str], BeforeValidator(_one_or_many)]
    gas: Gas | None = None
    product: str | None = None
    qa: Literal["recommended", "none"] | None = None
    bbox: BBox | None = None
    time: Annotated[Any, AfterValidator(_time_range)] | None = None
    target: str | None = None
    chunks: Annotated[Any, AfterValidator(_chunks)] = "auto"
    files: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _no_files(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "files" in data:
            raise ValueError(
                "'files' is derived from 'paths'; list the files or globs in paths = [...]"
            )
        return data

    @field_validator("paths")
    @classmethod
    def _globs(cls, v: list[str], info: ValidationInfo) -> list[str]:
        if not v:
            raise ValueError("give at least one file or glob")
        for pat in v:
            if not pat.strip():
                raise ValueError("an empty entry matches no granule; give a file or glob")
            full = _glob_pattern(info, pat)
            if not glob.glob(full, recursive=True):
                raise ValueError(f"{pat!r} matches no file (looked for {full!r})")
        return v

    @model_validator(mode="after")
    def _expand(self, info: ValidationInfo) -> GranulesConfig:
        files: list[str] = []
        for pat in self.paths:
            hits = sorted(glob.glob(_glob_pattern(info, pat), recursive=True))
            files.extend(str(Path(h).resolve()) for h in hits)
        # the same file matched by two globs (or listed twice) is one granule, not two
        object.__setattr__(self, "files", tuple(dict.fromkeys(files)))
        return self


class ConcentrationConfig(_Section):
    """``[concentration]``: keywords of :func:`urbansat.indicators.concentration.sounding_table`."""

    background_buffer_km: NonNegativeFloat = 10.0
    background_radius_km: PositiveFloat = 100.0
    min_overlap: Annotated[float, Field(ge=0, le=1)] = 0.0
    #: validated to a (value, sigma) tuple; dumped as the list the TOML holds (a tuple in a
    #: list[float] field printed pydantic's serializer warning on every run)
    background: dict[
        Gas,
        Annotated[
            list[float],
            AfterValidator(_value_sigma),
            PlainSerializer(list, return_type=list[float]),
        ],
    ] = {}

    @model_validator(mode="after")
    def _radius(self) -> ConcentrationConfig:
        if self.background_radius_km <= self.background_buffer_km:
            raise ValueError(
                f"background_radius_km ({self.background_radius_km}) must exceed "
                f"background_buffer_km ({self.background_buffer_km}), "
                "or no sounding can be background"
            )
        return self


class WindFile(_Section):
    """A wind file (:func:`urbansat.open_wind`); ``surface`` is the ERA5 surface-pressure file."""

    path: InputPath
    surface: InputPath | None = None
    sigma: NonNegativeFloat | None = None


class WindConstant(_Section):
    """A constant wind: ``u``, ``v`` or ``speed``, ``direction`` (from, clockwise from north).

    Speeds in m s-1, directions in degrees; ``sigma`` (the 1-sigma speed error) is required,
    as for a user wind in :func:`urbansat.estimate_emissions`; ``direction_sigma`` is the
    optional 1-sigma direction error (:func:`urbansat.schema.wind.user_wind`).
    """

    u: float | None = None
    v: float | None = None
    speed: NonNegativeFloat | None = None
    direction: float | None = None
    sigma: NonNegativeFloat
    direction_sigma: Annotated[float, Field(ge=0, le=180)] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> WindConstant:
        cart = self.u is not None and self.v is not None
        polar = self.speed is not None and self.direction is not None
        given = [k for k in ("u", "v", "speed", "direction") if getattr(self, k) is not None]
        if cart == polar or len(given) != 2:  # noqa: PLR2004 - exactly one pair
            raise ValueError(
                f"give u and v [m s-1] or speed [m s-1] and direction [degree, from]; got {given}"
            )
        return self


def _wind_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "granule"
    if isinstance(value, Mapping):
        return "file" if "path" in value else "constant"
    if isinstance(value, WindFile):
        return "file"
    if isinstance(value, WindConstant):
        return "constant"
    return None


_WIND_HELP = (
    'use "granule", {path = "wind.nc"}, {u = .., v = .., sigma = ..} [m s-1] or '
    "{speed = .., direction = .., sigma = .., direction_sigma = ..} [m s-1, degree]"
)
OneWind = Annotated[
    Annotated[Literal["granule"], Tag("granule")]
    | Annotated[WindFile, Tag("file")]
    | Annotated[WindConstant, Tag("constant")],
    Discriminator(_wind_tag, custom_error_type="wind", custom_error_message=_WIND_HELP),
]
WindSpec = Annotated[
    # an empty list passed the config and failed at run time
    Annotated[OneWind, Tag("one")] | Annotated[list[OneWind], Field(min_length=1), Tag("several")],
    Discriminator(lambda v: "several" if isinstance(v, list) else "one"),
]


def _methods(value: Any) -> str | tuple[str, ...]:
    if isinstance(value, str):
        if value != "all" and value not in METHODS:
            raise ValueError(f"{value!r} is not one of {[*METHODS, 'all']} or a list of methods")
        return value
    if isinstance(value, list) and value and all(isinstance(m, str) for m in value):
        bad = [m for m in value if m not in METHODS]
        if bad:
            raise ValueError(f"{bad} not among the methods {list(METHODS)}")
        if len(set(value)) != len(value):
            raise ValueError(f"{value} lists a method twice")
        return tuple(value)
    raise ValueError(
        f"must be one of {[*METHODS, 'all']} or a non-empty list of methods, got {value!r}"
    )


def _inversion_options(value: Any) -> Any:
    """Check ``options`` against :func:`urbansat.estimate_emissions` (``InversionOptions``)."""
    if not isinstance(value, Mapping):
        raise ValueError(  # noqa: TRY004  (pydantic reports a ValueError at the key)
            f"must be a table of estimate_emissions options, got {type(value).__name__}"
        )
    from urbansat.errors import InversionError
    from urbansat.inversion.options import InversionOptions

    try:
        InversionOptions.from_mapping(value)
    except InversionError as err:  # unknown key or bad value: pydantic names the section
        raise ValueError(str(err)) from None
    return dict(value)  # the keys the user set (the cache key of a step stays what it was)


def _some_ids(value: list[str]) -> list[str]:
    if not value:
        raise ValueError(
            "is empty: give at least one boundary id, or leave the key out for every boundary"
        )
    return value


def _profile_path(value: str, info: ValidationInfo) -> str:
    """Resolve a profile CSV (``*.csv``) against the TOML's folder; require it to exist."""
    return _existing_path(value, info) if value.lower().endswith(".csv") else value


class EmissionsConfig(_Section):
    """``[[emissions]]``: one :func:`urbansat.estimate_emissions` call per granule of a set."""

    granules: str
    method: Annotated[Any, AfterValidator(_methods)]
    sources: InputPath | None = None
    boundaries: bool = False
    #: "only these boundaries"; an empty list was read as every boundary
    boundary_ids: Annotated[list[str], AfterValidator(_some_ids)] | None = None
    wind: WindSpec
    options: Annotated[Any, AfterValidator(_inversion_options)] = {}
    #: issue 17: temporal profile of the period totals, one name or
    #: {source or boundary_id: name, "*": default}
    profile: str | dict[str, str] | None = None

    @field_validator("profile")
    @classmethod
    def _profile_files(
        cls, v: str | dict[str, str] | None, info: ValidationInfo
    ) -> str | dict[str, str] | None:
        # a profile CSV was read relative to the current directory (another folder's file of
        # that name was used silently) and only after every step ran; names pass unchanged
        if isinstance(v, str):
            return _profile_path(v, info)
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                try:
                    out[k] = _profile_path(x, info)
                except ValueError as err:
                    raise ValueError(f"{k!r} = {x!r}: {err}") from None
            return out
        return v

    def profile_files(self) -> list[tuple[str, str]]:
        """Return the (key path, file) of every profile CSV ``profile`` names (not built-ins)."""
        p = self.profile
        items = (
            [("profile", p)]
            if isinstance(p, str)
            else [(f"profile.{k}", x) for k, x in (p or {}).items()]
        )
        return [(k, x) for k, x in items if x.lower().endswith(".csv")]

    @model_validator(mode="after")
    def _targets(self) -> EmissionsConfig:
        if self.sources is None and not self.boundaries:
            raise ValueError("give sources = 'file.csv' and/or boundaries = true")
        return self

    @property
    def methods(self) -> tuple[str, ...]:
        """The methods as a tuple (``"all"`` expanded)."""
        m = self.method
        return METHODS if m == "all" else (m,) if isinstance(m, str) else tuple(m)


#: Keys of a ``[[sinks]]`` section passed unchanged to :func:`urbansat.account_sinks`.
SINK_OPTION_KEYS = (
    "factors",
    "method",
    "climate_zone",
    "years",
    "legend",
    "uncertainty",
    "align_to",
    "pools",
    "area_uncertainty",
    "unranged",
)


def _plain_name(value: str) -> str:
    """Refuse a [[sinks]] name that is not a plain folder name (it is rasters/<name>/)."""
    if (
        not value.strip()
        or value != value.strip()
        or value in (".", "..")
        or any(c in value for c in '/\\:*?"<>|')
        or any(ord(c) < 32 for c in value)  # noqa: PLR2004 - control characters
    ):
        raise ValueError(
            f"{value!r} is not a plain name; the name is used as the folder "
            "<output_dir>/rasters/<name>/, so give letters, digits, '-', '_' or '.' "
            '(e.g. name = "berlin_2021"), no path separators or ".."'
        )
    return value


class SinksConfig(_Section):
    """``[[sinks]]``: two land-cover epochs and the keywords of :func:`urbansat.account_sinks`."""

    name: Annotated[str, AfterValidator(_plain_name)] | None = None
    period: str | None = None
    landcover_start: Annotated[list[InputPath], BeforeValidator(_one_or_many)]
    landcover_end: Annotated[list[InputPath], BeforeValidator(_one_or_many)]
    factors: str | None = None
    method: Literal["gain_loss", "stock_difference"] | None = None
    climate_zone: Name | None = None
    years: PositiveFloat | None = None
    legend: str | None = None
    uncertainty: Literal["approach1", "monte_carlo"] | None = None
    align_to: Literal["start", "end"] | None = None
    bbox: BBox | None = None
    pools: list[str] | None = None
    area_uncertainty: NonNegativeFloat | None = None
    unranged: Literal["nan", "exclude"] | None = None
    # issue 18 (urbansat.pipeline.sinks_job): InVEST valuation, reference sample, raster outputs
    price: NonNegativeFloat | None = None
    discount_rate: Annotated[float, Field(ge=0, le=100)] | None = None
    rate_change: Annotated[float, Field(gt=-100)] | None = None
    accuracy_samples: InputPath | None = None
    write_rasters: bool = False

    @field_validator("factors")
    @classmethod
    def _invest_path(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None:
            return v
        if v.startswith("invest:"):
            return "invest:" + _existing_path(v[len("invest:") :], info)
        from urbansat.sinks.factors import PACKAGED_TABLES

        if v in PACKAGED_TABLES:
            return v
        p = (_base(info) / v).resolve()
        if v.strip() and p.is_file():
            return str(p)  # a factor-table CSV, relative to the TOML's folder
        raise ValueError(
            f"{v!r} is neither a packaged factor table ({sorted(PACKAGED_TABLES)}) nor a "
            f"factor-table file (looked for {str(p)!r}); an InVEST biophysical table is "
            '"invest:<path>"'
        )

    @model_validator(mode="after")
    def _epochs(self) -> SinksConfig:
        if not self.landcover_start or not self.landcover_end:
            raise ValueError("landcover_start and landcover_end need at least one file each")
        if len(self.landcover_start) != len(self.landcover_end):
            raise ValueError(
                f"landcover_start has {len(self.landcover_start)} files but landcover_end "
                f"{len(self.landcover_end)}; give one tile per epoch each"
            )
        return self

    def options(self) -> dict[str, Any]:
        """Return the :func:`urbansat.account_sinks` keywords set in this section."""
        return {k: getattr(self, k) for k in SINK_OPTION_KEYS if getattr(self, k) is not None}


class InventoryConfig(_Section):
    """``[inventory]``: a user inventory that fills gases no instrument observes."""

    path: InputPath


class ValidationConfig(_Section):
    """``[[validation]]``: estimates vs an inventory (:func:`urbansat.validate_inventory`)."""

    inventory: InputPath
    key: Literal["location", "boundary_id"] = "location"
    max_distance_km: PositiveFloat = 5.0
    gas: Gas = "co2"
    exclude: list[str] = []


class OutputsConfig(_Section):
    """``[outputs]``: table formats and the HTML report."""

    formats: list[Format] = list(FORMATS)
    report: bool = True

    @field_validator("formats")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))

    @model_validator(mode="after")
    def _writes_something(self) -> OutputsConfig:
        # the job finished "complete" with only its manifest in the folder
        if not self.formats and not self.report:
            raise ValueError(
                "formats = [] and report = false: the job would write no result; give a "
                f"format (one of {list(FORMATS)}) or report = true"
            )
        return self


class JobConfig(_Section):
    """A complete, validated job (the parsed TOML); every path is absolute.

    Attributes
    ----------
    source : str
        The TOML file it was read from (``"<mapping>"`` for a mapping).
    """

    job: JobSection
    boundaries: list[BoundariesConfig]
    granules: list[GranulesConfig] = []
    concentration: ConcentrationConfig = ConcentrationConfig()
    emissions: list[EmissionsConfig] = []
    sinks: list[SinksConfig] = []
    inventory: InventoryConfig | None = None
    validation: list[ValidationConfig] = []
    outputs: OutputsConfig = OutputsConfig()
    source: str = "<mapping>"

    @model_validator(mode="after")
    def _sink_defaults(self) -> JobConfig:
        labels = self.period_labels
        sinks = [
            s.model_copy(
                update={
                    "name": s.name or f"sinks{i}",
                    "period": s.period or (labels[-1] if labels else None),
                }
            )
            for i, s in enumerate(self.sinks)
        ]
        object.__setattr__(self, "sinks", sinks)
        return self

    @property
    def output_dir(self) -> Path:
        """``job.output_dir`` as a Path."""
        return Path(self.job.output_dir)

    @property
    def period_labels(self) -> list[str]:
        """The period labels in order."""
        p = self.job.periods
        return list(p) if isinstance(p, dict) else [str(x) for x in p]

    def input_files(self) -> dict[str, str]:
        """Every input file the job reads: ``{key path: resolved file}`` in config order.

        The key names the setting (``boundaries[0].path``, ``granules[1].files[3]``), so a
        message can say which input an output would overwrite. A file named twice keeps
        its first key.
        """
        found: list[tuple[str, str]] = [
            (f"boundaries[{i}].path", b.path) for i, b in enumerate(self.boundaries)
        ]
        for i, g in enumerate(self.granules):
            found.extend((f"granules[{i}].files[{k}]", f) for k, f in enumerate(g.files))
        for i, e in enumerate(self.emissions):
            if e.sources:
                found.append((f"emissions[{i}].sources", e.sources))
            found.extend((f"emissions[{i}].{k}", f) for k, f in e.profile_files())
            winds = e.wind if isinstance(e.wind, list) else [e.wind]
            for j, w in enumerate(winds):
                # each file of a list under its own key (one key for all kept only the last)
                at = f"emissions[{i}].wind" + (f"[{j}]" if isinstance(e.wind, list) else "")
                if isinstance(w, WindFile):
                    found.append((f"{at}.path", w.path))
                    if w.surface:
                        found.append((f"{at}.surface", w.surface))
        for i, s in enumerate(self.sinks):
            found.extend((f"sinks[{i}].landcover_start", p) for p in s.landcover_start)
            found.extend((f"sinks[{i}].landcover_end", p) for p in s.landcover_end)
            factors = (s.factors or "").removeprefix("invest:")  # the InVEST table is a file too
            if factors and Path(factors).is_file():  # a factor-table file, not a packaged name
                found.append((f"sinks[{i}].factors", str(Path(factors).resolve())))
            if s.accuracy_samples:
                found.append((f"sinks[{i}].accuracy_samples", s.accuracy_samples))
        if self.inventory is not None:
            found.append(("inventory.path", self.inventory.path))
        found.extend(
            (f"validation[{i}].inventory", v.inventory) for i, v in enumerate(self.validation)
        )
        out: dict[str, str] = {}
        for key, path in found:
            if path not in out.values():
                out[key] = path
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the plain-mapping form (JSON-ready; what :func:`load_config` returns)."""
        d = self.model_dump(mode="json", exclude={"source"}, exclude_none=True)
        d.setdefault("inventory", {})
        d["_source"] = self.source
        return d


# ---------------------------------------------------------------- parsing and messages

_SECTION_KIND: Final = {
    "job": "table",
    "boundaries": "list",
    "granules": "list",
    "concentration": "table",
    "emissions": "list",
    "sinks": "list",
    "inventory": "table",
    "validation": "list",
    "outputs": "table",
}
#: Discriminator tags pydantic puts into error locations (not keys of the TOML).
_TAGS: Final = {"granule", "file", "constant", "one", "several", "table", "labels"}


def _loc_text(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part) in _TAGS or str(part).startswith(
            ("function-", "literal[", "list[", "dict[", "tuple[")
        ):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


# one return per pydantic error kind: a lookup table with conditions
def _message(err: Mapping[str, Any], model_keys: Mapping[str, Sequence[str]]) -> str:  # noqa: PLR0911
    kind = err["type"]
    msg = str(err["msg"])
    loc = err["loc"]
    value = err.get("input")
    if kind == "extra_forbidden":
        section = next((str(p) for p in loc if isinstance(p, str)), "")
        allowed = model_keys.get(_section_of(loc), ())
        return f"unknown key; allowed: {sorted(allowed)}" if section else "unknown key"
    if kind == "missing":
        if len(loc) == 1 and str(loc[0]) in _SECTION_KIND:
            brackets = "[[{}]]" if _SECTION_KIND[str(loc[0])] == "list" else "[{}]"
            return f"required section {brackets.format(loc[0])} is missing"
        return "required key is missing"
    if kind == "finite_number":
        return f"must be a finite number, got {value!r}"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "literal_error" and "wind" in loc:
        return f"{value!r}: {_WIND_HELP}"
    if kind in ("literal_error", "enum"):
        return f"{value!r}: {msg.lower()}"
    if kind.endswith("_type") or kind in ("model_type", "dataclass_type"):
        return f"{msg.lower()}, got {type(value).__name__} {value!r}"
    return f"{msg.lower()} (got {value!r})" if value is not None else msg.lower()


def _section_of(loc: Sequence[int | str]) -> str:
    """Model whose keys apply to the last key of ``loc`` (section or nested table)."""
    names = [str(p) for p in loc if isinstance(p, str) and p not in _TAGS]
    nested = len(names) > 1  # a key inside a section (a lone name is a section itself)
    if nested and names[-2] == "wind":
        return "wind"
    return names[0] if nested else ""


_MODEL_KEYS: Final[dict[str, Sequence[str]]] = {
    "job": tuple(JobSection.model_fields),
    "boundaries": tuple(BoundariesConfig.model_fields),
    "granules": tuple(k for k in GranulesConfig.model_fields if k != "files"),
    "concentration": tuple(ConcentrationConfig.model_fields),
    "emissions": tuple(EmissionsConfig.model_fields),
    "sinks": tuple(SinksConfig.model_fields),
    "inventory": tuple(InventoryConfig.model_fields),
    "validation": tuple(ValidationConfig.model_fields),
    "outputs": tuple(OutputsConfig.model_fields),
    "wind": ("path", "surface", "sigma", "u", "v"),
}


def _line_of(text: str | None, loc: Sequence[int | str]) -> int | None:
    """1-based line of the key at ``loc`` in the TOML text (a small search), or None.

    tomllib gives no positions, so this finds the ``[section]`` / the n-th
    ``[[section]]`` header and then the first ``key =`` below it (before the next
    header); an inline key (``periods = { "2020" = ... }``) gets the line of its
    parent key; a missing key gets the header's line.
    """
    if not text or not loc:
        return None
    lines = text.splitlines()
    section = str(loc[0])
    index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
    keys = [str(p) for p in loc[1:] if isinstance(p, str) and p not in _TAGS]
    header = re.compile(rf"^\s*\[\[?\s*{re.escape(section)}\s*\]\]?\s*(#.*)?$")
    any_header = re.compile(r"^\s*\[")
    start = None
    count = -1
    for i, line in enumerate(lines):
        if header.match(line):
            count += 1
            if count == index:
                start = i
                break
    if start is None:
        top = re.compile(rf"^\s*{re.escape(section)}\s*=")
        return next((i + 1 for i, line in enumerate(lines) if top.match(line)), None)
    if not keys:
        return start + 1
    key = re.compile(rf"^\s*[\"']?{re.escape(keys[0])}[\"']?\s*=")
    for i in range(start + 1, len(lines)):
        if any_header.match(lines[i]) and not lines[i].lstrip().startswith('["'):
            break
        if key.match(lines[i]):
            return i + 1
    return start + 1


def _non_finite(value: Any, where: str, out: list[tuple[str, str]]) -> None:
    """Collect every NaN / inf number anywhere in the parsed TOML (also inside free tables)."""
    if isinstance(value, float) and not math.isfinite(value):
        out.append((where, f"must be a finite number, got {value!r}"))
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _non_finite(v, f"{where}.{k}" if where else str(k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _non_finite(v, f"{where}[{i}]", out)


def _section_problems(raw: Mapping[str, Any]) -> list[tuple[tuple[int | str, ...], str]]:
    """Unknown sections, list sections given as one table, an empty [[boundaries]]."""
    problems: list[tuple[tuple[int | str, ...], str]] = []
    for key in raw:
        if key not in _SECTION_KIND:
            problems.append(((str(key),), f"unknown section; allowed: {sorted(_SECTION_KIND)}"))
    for section, kind in _SECTION_KIND.items():
        if section in raw and kind == "list" and not isinstance(raw[section], list):
            problems.append(((section,), f"must be a list of tables [[{section}]]"))
    if "boundaries" in raw and isinstance(raw["boundaries"], list) and not raw["boundaries"]:
        problems.append((("boundaries",), "at least one [[boundaries]] table is required"))
    return problems


def _period_labels(raw: Mapping[str, Any]) -> list[str]:
    """Labels of ``job.periods`` (a table of periods or a list), [] when absent or malformed."""
    job = raw.get("job", {})
    periods = job.get("periods") if isinstance(job, Mapping) else None
    if isinstance(periods, Mapping):
        return list(periods)
    if isinstance(periods, list):
        return [str(p) for p in periods]
    return []


def _sink_folder_clashes(names: list[Any]) -> list[tuple[tuple[int | str, ...], str]]:
    """[[sinks]] whose GeoTIFF folders ``rasters/<name>/`` are one (beyond a name used twice).

    An unnamed section is ``sinks<i>``, so ``name = "sinks0"`` on another section shared its
    folder; names that differ only in case share one on a case-insensitive file system
    (macOS, Windows). The later section's maps replaced the earlier one's.
    """
    problems: list[tuple[tuple[int | str, ...], str]] = []
    first: dict[str, tuple[int, str]] = {}  # casefolded effective name -> (index, name)
    for i, n in enumerate(names):
        if n is not None and not isinstance(n, str):
            continue  # a type error, reported by the model
        eff = n if n is not None else f"sinks{i}"
        key = eff.casefold()
        if key not in first:
            first[key] = (i, eff)
            continue
        j, other = first[key]
        if n is not None and n == other and names[j] is not None:
            continue  # the same name twice: reported by the caller
        case = names[j] is not None and n is not None  # equal but for case
        what = (
            f"the default name of the unnamed sinks[{j}]"
            if names[j] is None
            else f"the name of sinks[{j}]"
            if n is None
            else f"{other!r} (sinks[{j}]) but for case"
        )
        where = f"<output_dir>/rasters/{eff}/"
        if case:
            where += " (one folder on a case-insensitive file system: macOS, Windows)"
        this = " (the default name of this unnamed block)" if n is None else ""
        msg = (
            f"{eff!r}{this} is {what}; both write their carbon maps to {where}, so one "
            f"block's GeoTIFFs would replace the other's. Give sinks[{j}] and sinks[{i}] "
            f'their own names, e.g. name = "{eff}_{i}" for sinks[{i}]'
        )
        problems.append((("sinks", i, "name"), msg))
    return problems


def _cross_checks(raw: Mapping[str, Any]) -> list[tuple[tuple[int | str, ...], str]]:
    """Check references between sections on the raw mapping, to report them with the rest."""
    problems = _section_problems(raw)

    def entries(section: str) -> list[Mapping[str, Any]]:
        v = raw.get(section, [])
        return [e for e in v if isinstance(e, Mapping)] if isinstance(v, list) else []

    names = [g.get("name") for g in entries("granules")]
    dup = sorted({str(n) for n in names if n is not None and names.count(n) > 1})
    if dup:
        problems.append(
            (("granules",), f"names {dup} are used twice; give each [[granules]] its own name")
        )
    for i, e in enumerate(entries("emissions")):
        if "sources" not in e and e.get("boundaries") is not True:
            problems.append(
                (("emissions", i), "give sources = 'file.csv' and/or boundaries = true")
            )
        ref = e.get("granules")
        if isinstance(ref, str) and ref not in names:
            problems.append(
                (("emissions", i, "granules"), f"{ref!r} names no [[granules]] (have {names})")
            )
    outputs = raw.get("outputs", {})
    formats = outputs.get("formats") if isinstance(outputs, Mapping) else None
    tabular = [f for f in TABLE_FORMATS if isinstance(formats, list) and f in formats]
    if isinstance(formats, list) and formats and not tabular and entries("validation"):
        # netCDF and GeoPackage hold the indicator table only: the comparisons were computed
        # and written nowhere, without a word
        problems.append(
            (
                ("outputs", "formats"),
                (
                    f"{formats} cannot hold the {len(entries('validation'))} [[validation]] "
                    f"table(s) (netcdf and gpkg hold the indicator table only); add one of "
                    f"{list(TABLE_FORMATS)}, e.g. formats = {[*formats, 'csv']}"
                ),
            )
        )
    sink_names = [s.get("name") for s in entries("sinks")]
    twice = sorted({str(n) for n in sink_names if n is not None and sink_names.count(n) > 1})
    if twice:  # one rasters/<name>/ folder for two blocks: the second overwrote the first's maps
        problems.append(
            (("sinks",), f"names {twice} are used twice; give each [[sinks]] its own name")
        )
    problems += _sink_folder_clashes(sink_names)
    labels = _period_labels(raw)
    accounted: dict[str, int] = {}  # period -> first [[sinks]] that accounts it
    for i, s in enumerate(entries("sinks")):
        p = s.get("period")
        if labels and p is not None and str(p) not in labels:
            problems.append((("sinks", i, "period"), f"{p!r} is not among job.periods {labels}"))
        # the table holds one sink account per period: a second block replaced the first
        eff = str(p) if p is not None else (labels[-1] if labels else None)
        if eff is not None and eff in accounted:
            problems.append(
                (
                    ("sinks", i, "period"),
                    (
                        f"sinks[{accounted[eff]}] and sinks[{i}] both account period {eff!r}"
                        f"{'' if p is not None else ' (the last job period, the default)'}; "
                        "the table holds one sink account per period and one block would "
                        "replace the other. Give one [[sinks]] per period (several tiles of "
                        "one epoch go into one block: landcover_start = [...], "
                        "landcover_end = [...])"
                    ),
                )
            )
        elif eff is not None:
            accounted[eff] = i
    for i, b in enumerate(entries("boundaries")):
        want = b.get("periods")
        # want is None without a periods key: [None] has no period to check and is not []
        lists = list(want.values()) if isinstance(want, Mapping) else [want]
        flat = [q for x in lists if isinstance(x, list) for q in x]
        bad = [q for q in flat if labels and str(q) not in labels]
        if bad or want == [] or any(x == [] for x in lists):
            problems.append(
                (
                    ("boundaries", i, "periods"),
                    f"{bad!r} are not among job.periods {labels}" if bad else "give at least one",
                )
            )
    return problems


def parse_job_config(
    raw: Mapping[str, Any],
    *,
    base_dir: str | os.PathLike[str] = ".",
    source: str = "<mapping>",
    text: str | None = None,
) -> JobConfig:
    """Validate a parsed job mapping into a :class:`JobConfig`.

    Parameters
    ----------
    raw : mapping
        The parsed TOML (not modified).
    base_dir : str or os.PathLike
        Directory relative paths are resolved against.
    source : str
        Name of the file in messages.
    text : str, optional
        The TOML text, to give line numbers in messages.

    Returns
    -------
    JobConfig

    Raises
    ------
    ConfigError
        Every problem, one per line: key path, what is wrong, and ``file:line``
        where the key is found in ``text``.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"job configuration {source} must be a mapping of sections, got {type(raw).__name__}"
        )
    found: list[tuple[tuple[int | str, ...], str]] = []
    nonfinite: list[tuple[str, str]] = []
    _non_finite(raw, "", nonfinite)
    cross = _cross_checks(raw)
    data = {k: v for k, v in raw.items() if k in _SECTION_KIND}
    data["source"] = source
    cfg: JobConfig | None = None
    try:
        cfg = JobConfig.model_validate(data, context={"base_dir": Path(base_dir)})
    except ValidationError as err:
        for e in err.errors(include_url=False):
            loc = tuple(e["loc"])
            if e["type"] == "finite_number":
                continue  # reported once by the scan below (also covers free tables)
            found.append((loc, _message(e, _MODEL_KEYS)))
    lines: list[str] = []
    seen: set[str] = set()
    name = Path(source).name if source != "<mapping>" else source

    def add(loc: Sequence[int | str], msg: str, where: str | None = None) -> None:
        where = where or _loc_text(loc)
        line = f"{where}: {msg}"
        if line in seen:
            return
        seen.add(line)
        n = _line_of(text, loc)
        lines.append(f"{line} [{name}:{n}]" if n is not None else line)

    for where, msg in nonfinite:
        key_path: list[int | str] = [
            int(part[1:-1]) if part.startswith("[") else part
            for part in re.findall(r"[^.\[\]]+|\[\d+\]", where)
        ]
        add(key_path, msg, where)
    for loc2, msg in found + cross:
        add(loc2, msg)
    if lines or cfg is None:
        raise ConfigError(
            f"job configuration {source} has {len(lines)} problem(s):\n  - " + "\n  - ".join(lines)
        )
    return cfg


def _check_regular_file(path: Path) -> None:
    """Refuse what is not a regular, readable, sanely sized file before reading it (no FIFO)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputFileError(
            f"job configuration {str(path)!r} does not exist; check the path."
        ) from None
    except OSError as err:
        raise InputFileError(f"job configuration {str(path)!r} cannot be read: {err}") from err
    if stat.S_ISDIR(st.st_mode):
        raise InputFileError(
            f"job configuration {str(path)!r} is a directory; pass the job .toml file in it."
        )
    if not stat.S_ISREG(st.st_mode):
        raise InputFileError(
            f"job configuration {str(path)!r} is not a regular file (a FIFO, socket or device); "
            "pass the job .toml file."
        )
    if st.st_size > MAX_CONFIG_BYTES:
        raise InputFileError(
            f"job configuration {str(path)!r} is {st.st_size / 1024**2:.0f} MB; "
            "a job TOML is a few kB - is this the right file?"
        )


def load_job_config(path: str | os.PathLike[str]) -> JobConfig:
    """Read a job TOML file into a :class:`JobConfig`.

    Parameters
    ----------
    path : str or os.PathLike
        The TOML file (UTF-8).

    Returns
    -------
    JobConfig

    Raises
    ------
    InputFileError
        The file is missing, a directory, not a regular file or far too large.
    ConfigError
        Not UTF-8, not valid TOML, or every problem found (key path, file and line).
    """
    path = Path(path)
    _check_regular_file(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        guess = (
            "Latin-1 / Windows-1252"
            if all(b not in _C1_CONTROLS for b in data[err.start : err.start + 1])
            else "not UTF-8"
        )
        line = data[: err.start].count(b"\n") + 1
        raise ConfigError(
            f"job configuration {str(path)!r} is not UTF-8 text "
            f"(byte {data[err.start]:#04x} at line {line}, probably {guess}); "
            "TOML files must be UTF-8: re-save it as UTF-8 "
            f"(e.g. iconv -f latin1 -t utf-8 {path.name} > fixed.toml)."
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(
            f"{str(path)!r} is not valid TOML: {err}. Fix the syntax at that line."
        ) from err
    return parse_job_config(raw, base_dir=path.resolve().parent, source=str(path), text=text)


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a job TOML into the plain-mapping form (:meth:`JobConfig.to_dict`).

    Parameters
    ----------
    path : str or os.PathLike
        The TOML file.

    Returns
    -------
    dict
        Sections as mappings, absolute paths, ``granules[i].files`` expanded and ``_source``.

    Raises
    ------
    InputFileError, ConfigError
        As :func:`load_job_config`.
    """
    return load_job_config(path).to_dict()


def validate_config(
    raw: Mapping[str, Any], *, base_dir: str | Path = ".", source: str = "<dict>"
) -> dict[str, Any]:
    """Validate a parsed configuration mapping; return its plain-mapping form.

    Parameters
    ----------
    raw : mapping
        Parsed TOML; not modified.
    base_dir : str or Path
        Directory relative paths are resolved against.
    source : str
        Name used in messages.

    Returns
    -------
    dict
        See :func:`load_config`.

    Raises
    ------
    ConfigError
        Listing every problem with its key path.
    """
    return parse_job_config(raw, base_dir=base_dir, source=source).to_dict()
