"""Carbon factor tables: schema, packaged tables, overrides and lookup per class code.

A factor table is long-format data, one number per row::

    category | lucode, climate_zone, parameter, value, low, high, unit, source, table, tag, note

``category`` keys rows to a T/CI 231 sink category or non-sink class (via the
land-cover legend); ``lucode`` keys rows to a native class code directly (an InVEST
carbon-pools table is imported this way) and wins over a category row.
``climate_zone`` is a zone key or ``"*"`` (any zone). Parameters and units:

=====================  ===================  =============================================
parameter              unit                 meaning
=====================  ===================  =============================================
``c_above``            t C ha-1             above-ground biomass carbon stock
``c_below``            t C ha-1             below-ground biomass carbon stock
``c_dead``             t C ha-1             dead wood + litter carbon stock
``c_soil``             t C ha-1             soil organic carbon stock (0-30 cm)
``removal``            t C ha-1 yr-1        net biomass carbon gain of land in the class
``soil_accumulation``  t C ha-1 yr-1        soil carbon burial (blue carbon, WS Table 4.12)
=====================  ===================  =============================================

``low``/``high`` bound the 95 % range of the value (empty: no range in the source);
``tag`` is the confidence tag of ``shared/spec/sink-factors.md`` ([V], [V*], [C],
[M], [U]) or ``user``. Packaged tables live in ``urbansat/data/factors``.
"""

from __future__ import annotations

import importlib.resources
import io
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from urbansat.categories import NON_SINK_CLASSES, SINK_CATEGORIES
from urbansat.errors import FactorError
from urbansat.sinks.legends import unknown_values

__all__ = [
    "PACKAGED_TABLES",
    "PARAMETERS",
    "POOLS",
    "FactorTable",
    "ResolvedFactors",
    "as_factor_table",
    "factor_table_from_frame",
    "factor_table_from_invest",
    "factor_table_to_invest",
    "load_factor_table",
    "resolve_factors",
]

#: Parameters a factor table may hold, in the order of resolved arrays.
PARAMETERS: tuple[str, ...] = (
    "c_above",
    "c_below",
    "c_dead",
    "c_soil",
    "removal",
    "soil_accumulation",
)
#: Carbon stock pools (InVEST's four pools).
POOLS: tuple[str, ...] = ("c_above", "c_below", "c_soil", "c_dead")
#: Key of a factor-table row: ("code", lucode) for a row of one class code, ("cat", category)
#: for a row of a T/CI 231 category.
_RowKey: TypeAlias = tuple[str, int | str]
#: Largest carbon stock of one pool accepted [t C ha-1]: a unit guard, not a physical limit.
#: The densest biomass measured is 1,867 t C ha-1 (living biomass of Eucalyptus regnans forest;
#: Keith, Mackey, Lindenmayer 2009, PNAS 106:11635, doi:10.1073/pnas.0901970106); deep
#: tropical peat holds about 0.06 t C m-3 (Page, Rieley, Banks 2011, Global Change Biology
#: 17:798, doi:10.1111/j.1365-2486.2010.02279.x), 12,000 t C ha-1 for a 20 m dome. A table in
#: kg C ha-1 puts a 20 t C ha-1 grassland at 20,000.
MAX_POOL_DENSITY: float = 2.0e4

_UNITS = {
    p: ("t C ha-1 yr-1" if p in ("removal", "soil_accumulation") else "t C ha-1")
    for p in PARAMETERS
}

#: Spellings of the two units accepted in a factor table's ``unit`` column, spaces removed:
#: tonnes (= Mg) of carbon per hectare, and per hectare and year for the rates. Any other
#: unit (kg C m-2, t CO2 ha-1 yr-1, t d.m. ha-1) must be converted first: the values are used
#: as they are.
_STOCK_SPELLINGS = frozenset(
    f"{m}C{h}" for m in ("t", "Mg") for h in ("ha-1", "/ha", "ha^-1", "ha**-1")
)
_UNIT_SPELLINGS = {
    "t C ha-1": _STOCK_SPELLINGS,
    "t C ha-1 yr-1": frozenset(
        s + r for s in _STOCK_SPELLINGS for r in ("yr-1", "/yr", "a-1", "/a", "yr^-1", "yr**-1")
    ),
}


def _check_units(d: pd.DataFrame, name: str) -> None:
    """Refuse a ``unit`` that is not t C ha-1 (stocks) or t C ha-1 yr-1 (rates) in any spelling."""
    wrong = [
        (i, p, u)
        for i, (p, u) in enumerate(zip(d["parameter"], d["unit"], strict=True))
        if isinstance(u, str) and u.strip() and "".join(u.split()) not in _UNIT_SPELLINGS[_UNITS[p]]
    ]
    if wrong:
        listing = ", ".join(f"row {i} {p}: {u!r} (needs {_UNITS[p]!r})" for i, p, u in wrong[:5])
        raise FactorError(
            f"Factor table {name!r} states units urbansat does not use: {listing}. Values are "
            "used as they are, so convert them first (kg C m-2 x 10 = t C ha-1; t CO2 x 12/44 "
            "= t C; t dry matter x the carbon fraction, IPCC 2006 Vol 4 Table 4.3) and set the "
            "unit, or leave the unit empty for the default."
        )


#: Packaged tables: name -> (file, version). ``"ipcc2019"`` is the current IPCC table (v3: the
#: v2 rows -- a default for every land-cover sink category and pool in three zones -- plus nine
#: more IPCC climate zones) and ``"china_literature"`` the current coefficient preset (v2: shrub
#: and mangrove as forest land); the ``*_v1`` / ``*_v2`` names keep the earlier tables so results
#: labelled ``"... v1"`` or ``"... v2"`` can be reproduced.
PACKAGED_TABLES: dict[str, tuple[str, str]] = {
    "ipcc2019": ("ipcc2019_tier1_v3.csv", "v3"),
    "ipcc2019_v2": ("ipcc2019_tier1_v2.csv", "v2"),
    "ipcc2019_v1": ("ipcc2019_tier1_v1.csv", "v1"),
    "china_literature": ("china_literature_v2.csv", "v2"),
    "china_literature_v1": ("china_literature_v1.csv", "v1"),
}

_COLUMNS = [
    "category",
    "lucode",
    "climate_zone",
    "parameter",
    "value",
    "low",
    "high",
    "unit",
    "source",
    "table",
    "tag",
    "note",
]


@dataclass(frozen=True)
class FactorTable:
    """An immutable, validated factor table.

    Attributes
    ----------
    name : str
        Table name carried into results (``attrs["factors"]``).
    version : str
        Table version.
    data : pandas.DataFrame
        Long-format rows (see module docstring).
    """

    name: str
    version: str
    data: pd.DataFrame = field(repr=False)

    @property
    def label(self) -> str:
        """``"name version"`` as written into result attributes.

        ``"name"`` alone when the version repeats the name, as for user tables: ``"user"``,
        not ``"user user"``.
        """
        return self.name if self.version in ("", self.name) else f"{self.name} {self.version}"

    @property
    def zones(self) -> list[str]:
        """Climate zones with zone-specific rows."""
        return sorted(set(self.data["climate_zone"]) - {"*"})

    def override(
        self, other: FactorTable | pd.DataFrame, *, name: str | None = None
    ) -> FactorTable:
        """Return a new table where the rows of ``other`` replace matching rows.

        A row matches on (category or lucode, climate_zone, parameter); an override row for
        climate zone ``"*"`` (the default when the column is left out) replaces that factor
        in every zone, since a zone-specific row of this table would otherwise win over it
        and the override would change nothing.

        Parameters
        ----------
        other : FactorTable or pandas.DataFrame
            Override rows (same long format; ``source`` defaults to ``"user"``).
        name : str, optional
            Name of the result (default ``"<self.name>+user"``).

        Returns
        -------
        FactorTable
        """
        o = other if isinstance(other, FactorTable) else factor_table_from_frame(other, name="user")
        known = set(self.data["category"].dropna()) | set(SINK_CATEGORIES) | set(NON_SINK_CLASSES)
        unknown = sorted(str(c) for c in set(o.data["category"].dropna()) - known)
        if unknown:
            raise FactorError(
                f"Override rows name categories {unknown}, which are not categories of "
                f"T/CI 231 or of table {self.name!r} ({sorted(map(str, known))}); spell the "
                "category as listed (lower case), or give the class code in a 'lucode' column."
            )
        # Rows match on the key resolve_factors uses: the code of a lucode row (whatever
        # its category cell says), else the category; so (10, 'forest') and (10, blank)
        # are one factor and the override replaces it instead of colliding with it.
        b_key = _row_keys(self.data)
        o_key = _row_keys(o.data)
        b_zone, b_par = self.data["climate_zone"].tolist(), self.data["parameter"].tolist()
        o_zone, o_par = o.data["climate_zone"].tolist(), o.data["parameter"].tolist()
        exact = set(zip(o_key, o_zone, o_par, strict=True))
        # a "*" override replaces the factor in every zone: a zone-specific row of this
        # table would otherwise win over it and the override would change nothing
        wide = {(k, p) for k, z, p in zip(o_key, o_zone, o_par, strict=True) if z == "*"}
        replaced = np.array(
            [
                (k, z, p) in exact or (k, p) in wide
                for k, z, p in zip(b_key, b_zone, b_par, strict=True)
            ],
            dtype=bool,
        )
        _refuse_shadowed_category_rows(self, o, replaced)
        merged = pd.concat([self.data[~replaced], o.data], ignore_index=True)
        return FactorTable(name or f"{self.name}+{o.name}", self.version, merged[_COLUMNS])


#: how many codes, rows or values a message lists
_SHOWN = 5


def _first(items: Sequence[Any]) -> str:
    """Show the first :data:`_SHOWN` items of a list for a message: ``[a, b, c, d, e, ...]``."""
    return "[" + ", ".join(map(str, items[:_SHOWN])) + (", ...]" if len(items) > _SHOWN else "]")


def _row_keys(data: pd.DataFrame) -> list[_RowKey]:
    """Return each row's key as :func:`resolve_factors` looks it up: code, else category."""
    return [
        ("code", int(c)) if pd.notna(c) else ("cat", str(k))
        for c, k in zip(data["lucode"], data["category"], strict=True)
    ]


def _refuse_shadowed_category_rows(
    base: FactorTable, over: FactorTable, replaced: npt.NDArray[np.bool_]
) -> None:
    """Refuse override rows keyed by category that lucode rows of ``base`` would hide.

    A lucode row wins over a category row (the code is the more specific key), so an
    override ``forest c_above = 200`` on a table keyed by land-cover code -- every InVEST
    carbon-pools table -- was kept and never used: the forest codes kept their old stocks
    without a word. Applying it "to the codes of the category" cannot be done here: a
    FactorTable does not know the legend (which codes are forest is decided in
    account_sinks), and a category row that beats lucode rows only when it came from an
    override would not survive writing the table to CSV and reading it back. An InVEST user
    thinks in class codes (InVEST's table has no categories), so the message asks for the
    override keyed by ``lucode``, which is exact and round-trips. Code rows that the table
    labels with another category are not counted: the table itself says those codes are not
    of the override's category (until 2026-12-08 any code row of the parameter refused it).
    """
    d = base.data[~replaced]
    code_rows = d[d["lucode"].notna()]
    if code_rows.empty:
        return
    shadowed = []
    for r in over.data[over.data["lucode"].isna()].itertuples(index=False):
        # only codes the table leaves unlabelled or labels with this category: a table whose
        # code rows say 'forest' does not hide a 'grassland' override (its grassland codes
        # have no code row, so the category row reaches them; it was refused)
        hit = (code_rows["parameter"] == r.parameter) & (
            code_rows["category"].isna() | (code_rows["category"] == r.category)
        )
        if r.climate_zone != "*":  # a "*" override is hidden in every zone
            hit &= code_rows["climate_zone"].isin(["*", r.climate_zone])
        if hit.any():
            codes = sorted({int(c) for c in code_rows.loc[hit, "lucode"]})
            shadowed.append((r.category, r.parameter, r.climate_zone, r.value, codes))
    if not shadowed:
        return
    cat, par, _, val, codes = shadowed[0]
    listing = "; ".join(
        f"{c}.{p}"
        + (f" (zone {z!r})" if z != "*" else "")
        + f": the table gives {p} per class code (lucode {_first(cs)})"
        for c, p, z, _, cs in shadowed[:_SHOWN]
    )
    raise FactorError(
        f"Override row(s) keyed by category cannot change factor table {base.name!r}, whose "
        f"factors are keyed by land-cover code: {listing}. A lucode row wins over a category "
        "row, so the classes would keep their old values. Key the override by class code, "
        f"one row per code of {cat!r} in your legend: table.override(pd.DataFrame({{'lucode': "
        f"[<codes of {cat!r}>], 'parameter': [{par!r}, ...], 'value': [{val:g}, ...]}}))."
    )


#: largest land-cover code accepted (int64 holds it exactly after a float read)
_MAX_CODE = 2**53


def _checked_lucodes(col: pd.Series, name: str) -> pd.Series:
    """Land-cover codes as nullable integers; True/False, text and fractions are refused."""
    given = col.notna() & (col.astype(str).str.strip() != "")
    if pd.api.types.is_bool_dtype(col) or any(isinstance(v, (bool, np.bool_)) for v in col):
        raise FactorError(
            f"Factor table {name!r}: column 'lucode' holds True/False; give the raster's "
            "integer class codes (e.g. 10 for ESA WorldCover tree cover)."
        )
    num = pd.to_numeric(col, errors="coerce")
    # beyond int64 (a spreadsheet's 1e20) gave pandas' "cannot safely cast" TypeError
    wrong = given & (num.isna() | (num != np.round(num)) | (num.abs() > _MAX_CODE))
    if wrong.any():
        raise FactorError(
            f"Factor table {name!r}: 'lucode' must be integer class codes; got "
            f"{list(dict.fromkeys(col[wrong].tolist()))[:3]} in row(s) "
            f"{col.index[wrong].tolist()[:5]}."
        )
    return num.astype("Int64")


def _check_numbers(d: pd.DataFrame, name: str) -> None:
    """Make ``value``/``low``/``high`` float in place; refuse text, True/False, no value, inf."""
    for col in ("value", "low", "high"):
        if pd.api.types.is_bool_dtype(d[col]) or any(
            isinstance(v, (bool, np.bool_)) for v in d[col]
        ):
            raise FactorError(
                f"Factor table {name!r}: column {col!r} holds True/False; give numbers "
                "(t C ha-1, or t C ha-1 yr-1 for rates)."
            )
        num = pd.to_numeric(d[col], errors="coerce")
        wrong = d[col].notna() & (d[col].astype(str).str.strip() != "") & num.isna()
        if wrong.any():
            raise FactorError(
                f"Factor table {name!r}: column {col!r} is not numeric in row(s) "
                f"{d.index[wrong].tolist()} (value {d.loc[wrong, col].iloc[0]!r})."
            )
        d[col] = num.astype("float64")
    if d["value"].isna().any():
        rows = d.loc[d["value"].isna(), ["category", "lucode", "parameter"]].to_dict("records")
        raise FactorError(f"Factor table {name!r} has rows without a value: {rows[:5]}.")
    infinite = np.isinf(d[["value", "low", "high"]].to_numpy(dtype=float)).any(axis=1)
    if infinite.any():
        rows = d.loc[infinite, ["category", "lucode", "parameter", "value"]].to_dict("records")
        raise FactorError(f"Factor table {name!r} has infinite values: {rows[:5]}.")
    dense = d["parameter"].isin(POOLS) & (d["value"] > MAX_POOL_DENSITY)
    if dense.any():
        rows = d.loc[dense, ["category", "lucode", "parameter", "value"]].to_dict("records")
        raise FactorError(
            f"Factor table {name!r}: carbon stocks above {MAX_POOL_DENSITY:g} t C ha-1, more "
            f"than any ecosystem holds: {rows[:5]}. Pools are in t C ha-1 (= Mg C ha-1); a "
            "table in kg C ha-1 is 1000 times too large, one in t CO2 ha-1 3.67 times."
        )


def factor_table_from_frame(
    df: pd.DataFrame, *, name: str = "user", version: str = "user"
) -> FactorTable:
    """Validate a long-format factor DataFrame and wrap it.

    Parameters
    ----------
    df : pandas.DataFrame
        Needs ``parameter``, ``value`` and one of ``category`` / ``lucode``;
        ``climate_zone`` defaults to ``"*"``, ``low``/``high`` to empty,
        ``source`` to ``"user"``, ``tag`` to ``"user"``.
    name, version : str
        Name and version of the table.

    Returns
    -------
    FactorTable

    Raises
    ------
    FactorError
        On missing columns, unknown parameters, non-numeric (text, True/False), infinite
        or negative stocks, stocks above :data:`MAX_POOL_DENSITY` (a unit slip), land-cover
        codes that are not integers, categories that are not T/CI 231 categories or non-sink
        classes, ranges that do not bracket the value, or only one
        of ``low``/``high``.
    """
    d = df.copy()
    if "parameter" not in d.columns or "value" not in d.columns:
        raise FactorError(
            f"Factor table {name!r} needs columns 'parameter' and 'value' (long format) "
            f"plus 'category' or 'lucode'; got {list(d.columns)}. For an InVEST pools "
            "table use factor_table_from_invest()."
        )
    if "category" not in d.columns and "lucode" not in d.columns:
        raise FactorError(f"Factor table {name!r} needs a 'category' or 'lucode' column.")
    for col, default in (
        ("category", None),
        ("lucode", None),
        ("climate_zone", "*"),
        ("low", np.nan),
        ("high", np.nan),
        ("unit", None),
        ("source", "user"),
        ("table", ""),
        ("tag", "user"),
        ("note", ""),
    ):
        if col not in d.columns:
            d[col] = default
    d["climate_zone"] = d["climate_zone"].fillna("*").astype(str)
    d["category"] = d["category"].astype(object).where(d["category"].notna(), None)
    # a blank cell (a spreadsheet's "" or " ") is no category, as an empty cell is
    blank = d["category"].map(lambda c: isinstance(c, str) and not c.strip()).astype(bool)
    d["category"] = d["category"].where(~blank, None)
    d["lucode"] = _checked_lucodes(d["lucode"], name)
    known = (*SINK_CATEGORIES, *NON_SINK_CLASSES)
    unknown = sorted(set(d["category"].dropna().astype(str)) - set(known))
    if unknown:
        # a misspelt "forrest" row matched no class; the message then said "no default"
        raise FactorError(
            f"Factor table {name!r} names categories {unknown} that are not T/CI 231 sink "
            f"categories or non-sink classes ({', '.join(known)}); spell the category as "
            "listed (lower case), or key the row by class code in a 'lucode' column."
        )
    keyless = d["lucode"].isna() & d["category"].isna()
    if keyless.any():
        # such a row matched no class and was dropped without a word
        raise FactorError(
            f"Factor table {name!r}: row(s) {d.index[keyless].tolist()[:5]} have neither a "
            "'category' nor a 'lucode'; key each row by a T/CI 231 category or by the class "
            "code of the raster, or delete the row."
        )
    bad = unknown_values(d["parameter"], PARAMETERS)  # sorted() of NaN and text: TypeError
    if bad:
        raise FactorError(
            f"Factor table {name!r} has unknown parameter(s) {bad} (rows counted from 0); "
            f"allowed: {PARAMETERS}."
        )
    _check_numbers(d, name)
    _check_units(d, name)
    stock = d["parameter"].isin(POOLS) & (d["value"] < 0)
    if stock.any():
        rows = d.loc[stock, ["category", "lucode", "parameter", "value"]].to_dict("records")
        raise FactorError(f"Factor table {name!r}: carbon stocks cannot be negative: {rows[:5]}.")
    half = d["low"].notna() != d["high"].notna()
    if half.any():
        # one bound alone was read as "no range", so the row's uncertainty vanished
        rows = d.loc[half, ["category", "lucode", "parameter", "value", "low", "high"]].to_dict(
            "records"
        )
        raise FactorError(
            f"Factor table {name!r}: rows with only one of low/high: {rows[:5]}. Give both "
            "bounds of the 95 % range, or leave both empty for a factor without a range."
        )
    rng = d["low"].notna() & d["high"].notna()
    inverted = rng & ~((d["low"] <= d["value"] + 1e-12) & (d["value"] <= d["high"] + 1e-12))
    if inverted.any():
        rows = d.loc[inverted, ["category", "lucode", "parameter", "value", "low", "high"]].to_dict(
            "records"
        )
        raise FactorError(f"Factor table {name!r}: low <= value <= high violated in {rows[:5]}.")
    d["unit"] = [
        u if isinstance(u, str) and u else _UNITS[p]
        for u, p in zip(d["unit"], d["parameter"], strict=True)
    ]
    # Duplicates on the key resolve_factors uses: a lucode row is found by its code alone, so
    # (lucode 10, 'forest') and (lucode 10, blank) are one factor (the last row silently won).
    rows_of: dict[tuple[_RowKey, str, str], list[Hashable]] = {}
    for i, k, z, p in zip(d.index, _row_keys(d), d["climate_zone"], d["parameter"], strict=True):
        rows_of.setdefault((k, z, p), []).append(i)
    twice = [(k, rows) for k, rows in rows_of.items() if len(rows) > 1]
    if twice:
        listing = "; ".join(
            ("lucode " if kind == "code" else "category ")
            + (str(v) if kind == "code" else repr(v))
            + f" {p}"
            + (f" zone {z!r}" if z != "*" else "")
            + f" (rows {rows})"
            for ((kind, v), z, p), rows in twice[:5]
        )
        raise FactorError(
            f"Factor table {name!r} defines the same factor twice: {listing}. A row with a "
            "lucode applies to that class code whatever its category says; keep one row per "
            "factor."
        )
    return FactorTable(name, version, d[_COLUMNS].reset_index(drop=True))


def load_factor_table(name: str) -> FactorTable:
    """Load a packaged factor table (a key of :data:`PACKAGED_TABLES`, e.g. ``"ipcc2019"``).

    Parameters
    ----------
    name : str
        Key of :data:`PACKAGED_TABLES`.

    Returns
    -------
    FactorTable

    Raises
    ------
    FactorError
        If no such table is packaged.
    """
    if name not in PACKAGED_TABLES:
        raise FactorError(
            f"No packaged factor table {name!r}; available: {sorted(PACKAGED_TABLES)}. "
            "Pass a FactorTable, a long-format DataFrame, or read a CSV with "
            "urbansat.ingest.factors.read_factor_table()."
        )
    fname, version = PACKAGED_TABLES[name]
    text = (importlib.resources.files("urbansat") / "data" / "factors" / fname).read_text("utf-8")
    df = pd.read_csv(io.StringIO(text), comment="#", dtype={"climate_zone": str})
    return factor_table_from_frame(df, name=name, version=version)


def as_factor_table(factors: str | FactorTable | pd.DataFrame) -> FactorTable:
    """Coerce a table name, :class:`FactorTable` or DataFrame to a :class:`FactorTable`.

    A DataFrame with columns ``lucode, c_above, c_below, c_soil, c_dead`` is taken as
    an InVEST carbon-pools table (read one with :func:`urbansat.read_invest_table`). The
    job-file form ``"invest:<path to the CSV>"`` is resolved by the pipeline; given here it
    raises a :class:`~urbansat.errors.FactorError` that says so.
    """
    if isinstance(factors, FactorTable):
        return factors
    if isinstance(factors, str) and factors.startswith("invest:"):
        # A file: reading belongs to the I/O edge (urbansat.ingest), not to this pure module.
        path = factors[len("invest:") :]
        raise FactorError(
            f"factors={factors!r} names a file; read it with urbansat.read_invest_table({path!r}) "
            "and pass the table (factors=table). The 'invest:<path>' form is for job TOML files."
        )
    if isinstance(factors, str):
        return load_factor_table(factors)
    if isinstance(factors, pd.DataFrame):
        if "parameter" not in factors.columns and "lucode" in factors.columns:
            return factor_table_from_invest(factors)
        return factor_table_from_frame(factors)
    raise FactorError(
        f"factors= must be a table name ({sorted(PACKAGED_TABLES)}), a FactorTable or a "
        f"pandas.DataFrame, not {type(factors).__name__}."
    )


def factor_table_from_invest(
    df: pd.DataFrame, *, name: str = "invest", source: str = "InVEST carbon pools CSV"
) -> FactorTable:
    """Convert an InVEST carbon-pools table (``lucode,c_above,c_below,c_soil,c_dead``).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per land-cover code; pools in t C ha-1 (InVEST >= 3.15 units).
    name : str
        Table name.
    source : str
        Source text written on every row.

    Returns
    -------
    FactorTable
        ``lucode``-keyed rows for every pool, zone ``"*"``, tag ``user``.

    Raises
    ------
    FactorError
        If a pool column is missing, a code repeats, or a value is not a number.
    """
    cols = {c.lower().strip(): c for c in df.columns}
    need = ["lucode", *POOLS]
    missing = [c for c in need if c not in cols]
    if missing:
        raise FactorError(
            f"InVEST carbon-pools table {name!r} lacks column(s) {missing}; expected "
            f"'lucode,c_above,c_below,c_soil,c_dead' (got {list(df.columns)})."
        )
    d = df.rename(columns={v: k for k, v in cols.items()})
    d["lucode"] = _checked_lucodes(d["lucode"], name)
    if d["lucode"].isna().any():  # was dropped without a word
        raise FactorError(
            f"InVEST table {name!r} has rows without a lucode (row(s) "
            f"{d.index[d['lucode'].isna()].tolist()[:5]}, 0-based data rows); every row of a "
            "carbon-pools table is one class: give its code or delete the row."
        )
    if d["lucode"].duplicated().any():
        raise FactorError(
            f"InVEST table {name!r} repeats lucode(s) "
            f"{sorted(d['lucode'][d['lucode'].duplicated()].tolist())}."
        )
    long = d.melt(
        id_vars=["lucode"], value_vars=list(POOLS), var_name="parameter", value_name="value"
    )
    long["source"] = source
    long["tag"] = "user"
    return factor_table_from_frame(long, name=name, version="user")


def factor_table_to_invest(
    table: FactorTable, legend: pd.DataFrame, *, climate_zone: str | None = None
) -> pd.DataFrame:
    """Express a table as InVEST carbon pools for the codes of ``legend``.

    Parameters
    ----------
    table : FactorTable
    legend : pandas.DataFrame
        Validated legend (codes -> categories).
    climate_zone : str, optional
        Zone used for zone-specific rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``lucode, LULC_name, c_above, c_below, c_soil, c_dead`` [t C ha-1].

    Raises
    ------
    FactorError
        If a pool of a code (other than nodata) has no value; InVEST needs every pool.
    """
    codes = np.array(
        [c for c in legend.index if legend.loc[c, "category"] != "nodata"], dtype="int64"
    )
    res = resolve_factors(table, legend, codes, climate_zone)
    res.require(codes, POOLS, why="an InVEST carbon-pools table")
    out = pd.DataFrame({"lucode": codes, "LULC_name": legend.loc[codes, "name"].to_numpy()})
    for p in POOLS:
        out[p] = res.value[:, PARAMETERS.index(p)]
    return out


@dataclass(frozen=True)
class ResolvedFactors:
    """Factors resolved to one value per (class code, parameter).

    Attributes
    ----------
    codes : numpy.ndarray
        Class codes (rows).
    value, low, high : numpy.ndarray
        Shape (n_codes, n_parameters); NaN where the table gives nothing.
    provenance : list of dict
        ``code, category, parameter, value, low, high, source, table, tag`` of each used row.
    missing : dict
        (code, parameter) -> reason text for NaN entries.
    table : str
        Table label.
    """

    codes: np.ndarray
    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    provenance: list[dict[str, Any]]
    missing: dict[tuple[int, str], str]
    table: str
    categories: np.ndarray

    def has(self, parameter: str) -> bool:
        """Return True if any code has a value for ``parameter``."""
        return bool(np.isfinite(self.value[:, PARAMETERS.index(parameter)]).any())

    def require(
        self, codes: Sequence[int] | np.ndarray, parameters: Sequence[str], *, why: str
    ) -> None:
        """Raise :class:`FactorError` listing every (code, parameter) without a value.

        Parameters
        ----------
        codes : sequence of int
            Codes that need the parameters.
        parameters : sequence of str
            Parameters needed.
        why : str
            What needs them, for the message.
        """
        idx = {int(c): i for i, c in enumerate(self.codes)}
        gaps = []
        for c in np.unique(np.asarray(codes, dtype="int64")):
            for p in parameters:
                if not np.isfinite(self.value[idx[int(c)], PARAMETERS.index(p)]):
                    gaps.append(
                        f"{int(c)} ({self.categories[idx[int(c)]]}).{p}: "
                        f"{self.missing.get((int(c), p), 'not in table')}"
                    )
        if gaps:
            raise FactorError(
                f"Factor table {self.table!r} lacks factors needed for {why}: "
                + "; ".join(gaps)
                + ". Supply them (factors=table.override(DataFrame with category/lucode, "
                "climate_zone, parameter, value, low, high)), choose another table or "
                "climate_zone, "
                "or restrict pools=."
            )


def resolve_factors(
    table: FactorTable,
    legend: pd.DataFrame,
    codes: Sequence[int] | np.ndarray,
    climate_zone: str | None,
) -> ResolvedFactors:
    """Resolve one value per (code, parameter): lucode row, else category row of the code.

    Within a key, the row of ``climate_zone`` wins over the ``"*"`` row.

    Parameters
    ----------
    table : FactorTable
    legend : pandas.DataFrame
        Validated legend mapping every code to a category.
    codes : sequence of int
        Codes to resolve.
    climate_zone : str or None
        Zone key; None uses only ``"*"`` rows (zone-specific rows then count as missing,
        with a reason that lists the zones).

    Returns
    -------
    ResolvedFactors

    Raises
    ------
    FactorError
        If ``climate_zone`` is not a zone of the table.
    """
    codes = np.asarray(codes, dtype="int64")
    d = table.data
    if (
        climate_zone is not None
        and table.zones
        and climate_zone not in table.zones
        and climate_zone != "*"
    ):
        raise FactorError(
            f"Climate zone {climate_zone!r} is not in factor table {table.label!r}; its zones are "
            f"{table.zones or ['*']}."
        )
    zones = [climate_zone, "*"] if climate_zone else ["*"]
    n, m = len(codes), len(PARAMETERS)
    val = np.full((n, m), np.nan)
    lo = np.full((n, m), np.nan)
    hi = np.full((n, m), np.nan)
    prov: list[dict[str, Any]] = []
    missing: dict[tuple[int, str], str] = {}
    # one dict lookup per (key, parameter, zone); lucode rows win over category rows
    recs = d.to_dict("records")
    by_key: dict[tuple[_RowKey, str, str], dict[Hashable, Any]] = {}
    zones_of: dict[tuple[_RowKey, str], set[str]] = {}
    for r in recs:
        key: _RowKey = (
            ("code", int(r["lucode"])) if pd.notna(r["lucode"]) else ("cat", r["category"])
        )
        by_key[(key, r["parameter"], r["climate_zone"])] = r
        zones_of.setdefault((key, r["parameter"]), set()).add(r["climate_zone"])
    cats = legend.loc[codes, "category"].to_numpy() if len(codes) else np.array([], dtype=object)
    for i, (code, cat) in enumerate(zip(codes, cats, strict=True)):
        for j, p in enumerate(PARAMETERS):
            row = None
            for key in (("code", int(code)), ("cat", cat)):
                for z in zones:
                    row = by_key.get((key, p, z))
                    if row is not None:
                        break
                if row is not None:
                    break
            if row is None:
                avail = zones_of.get((("code", int(code)), p), set()) | zones_of.get(
                    (("cat", cat), p), set()
                )
                missing[(int(code), p)] = (
                    f"given only for climate zones {sorted(avail)}; pass climate_zone="
                    if avail
                    else "the table has no row for this class code or its category"
                )
                continue
            val[i, j], lo[i, j], hi[i, j] = row["value"], row["low"], row["high"]
            prov.append(
                {
                    "code": int(code),
                    "category": cat,
                    "parameter": p,
                    "value": row["value"],
                    "low": row["low"],
                    "high": row["high"],
                    "source": row["source"],
                    "table": row["table"],
                    "tag": row["tag"],
                    "climate_zone": row["climate_zone"],
                }
            )
    return ResolvedFactors(codes, val, lo, hi, prov, missing, table.label, cats)
