"""Regenerate the factor CSVs from the facts of shared/spec/sink-factors.md (run in this directory).

Kept so every derived number can be re-derived; the CSVs are the data.

* ``ipcc2019_tier1_v1.csv`` -- the first table (kept byte-identical so results labelled
  "ipcc2019 v1" stay reproducible; packaged as ``"ipcc2019_v1"``).
* ``ipcc2019_tier1_v2.csv`` -- v1 plus the defaults that v1 lacked (shrub, inland wetland,
  sandy land and cropland biomass, dead organic matter) and ranges where IPCC states one
  (section "v2" at the end; every number names where it was seen in ``note``).
* ``ipcc2019_tier1_v3.csv`` -- v2 unchanged plus nine IPCC climate zones built with the v2
  conventions (section "v3"; packaged as ``"ipcc2019"``, v2 as ``"ipcc2019_v2"``).
* ``china_literature_v1.csv`` -- the literature coefficient preset (``"china_literature_v1"``);
  ``china_literature_v2.csv`` adds shrub and mangrove, which the method counts as forest land.
"""

import csv

rows = []


def r(cat, zone, par, val, lo, hi, src, tab, tag, note, dest=None):
    unit = "t C ha-1 yr-1" if par in ("removal", "soil_accumulation") else "t C ha-1"

    def f(x):
        return "" if x is None else f"{x:.6g}"

    (rows if dest is None else dest).append(
        {
            "category": cat,
            "climate_zone": zone,
            "parameter": par,
            "value": f(val),
            "low": f(lo),
            "high": f(hi),
            "unit": unit,
            "source": src,
            "table": tab,
            "tag": tag,
            "note": note,
        }
    )


CF, CFL, CFH = 0.47, 0.44, 0.49
G06 = "IPCC 2006 GL Vol 4"
R19 = "IPCC 2019 Refinement Vol 4"
WS = "IPCC 2013 Wetlands Supplement Ch 4"
forest = {
    "tropical_rainforest_africa": {
        "agb": 310,
        "R": 0.37,
        "g": 3.5,
        "glo": 1.3,
        "ghi": 7.6,
        "tagg": "V",
        "soil": "tropical wet",
        "gnote": "secondary >20 y 3.5 (low: old-growth 1.3, Requena Suarez 2019; high: secondary <=20 y 7.6)",
    },
    "tropical_rainforest_asia": {
        "agb": 280,
        "R": 0.37,
        "g": 2.7,
        "glo": 0.7,
        "ghi": 3.4,
        "tagg": "V",
        "soil": "tropical wet",
        "gnote": "secondary >20 y 2.7 (low: old-growth 0.7, Requena Suarez 2019; high: secondary <=20 y 3.4); AGB Asia continental",
    },
    "subtropical_humid_asia": {
        "agb": 180,
        "R": 0.24,
        "g": 1.0,
        "glo": 1.0,
        "ghi": 2.5,
        "tagg": "C",
        "soil": "tropical moist",
        "gnote": "secondary >20 y 1.0 (high: secondary <=20 y 2.5; no old-growth value in the source, so low = value); AGB Asia continental [U]",
    },
}
soil = {  # HAC, LAC, Sandy, Volcanic, Wetland ; F_LU cropland long-term cultivated
    "tropical wet": {"hac": 44, "lac": 60, "sandy": 66, "volc": 130, "wet": 86, "flu": 0.48},
    "tropical moist": {"hac": 65, "lac": 47, "sandy": 39, "volc": 70, "wet": 86, "flu": 0.48},
}
for z, p in forest.items():
    agb = p["agb"]
    R = p["R"]
    tagagb = "U" if z == "subtropical_humid_asia" else "M"
    r(
        "forest",
        z,
        "c_above",
        agb * CF,
        agb * CFL,
        agb * CFH,
        f"{G06}",
        "Table 4.7 (AGB) x Table 4.3 (CF)",
        tagagb,
        f"AGB {agb} t d.m./ha x CF 0.47; range from CF 0.44-0.49 only (no AGB range in source)",
    )
    r(
        "forest",
        z,
        "c_below",
        agb * CF * R,
        agb * CFL * R,
        agb * CFH * R,
        f"{G06}",
        "Table 4.4 (R) x c_above",
        "M",
        f"c_above x root:shoot R {R}; range from CF only",
    )
    k = (1 + R) * CF
    r(
        "forest",
        z,
        "removal",
        p["g"] * k,
        p["glo"] * (1 + R) * CFL,
        p["ghi"] * (1 + R) * CFH,
        f"{R19}",
        "Table 4.9 (net AGB growth) x (1+R, 2006 Table 4.4) x CF",
        p["tagg"],
        f"G x (1+{R}) x 0.47; {p['gnote']}; AGB+BGB as GFW removals",
    )
    s = soil[p["soil"]]
    mins = min(s["hac"], s["lac"], s["sandy"], s["volc"])
    maxs = max(s["hac"], s["lac"], s["sandy"], s["volc"])
    snote = f"SOC_REF 0-30 cm, IPCC climate '{p['soil']}', HAC soil; range = min-max over HAC/LAC/Sandy/Volcanic of that climate"
    r(
        "forest",
        z,
        "c_soil",
        s["hac"],
        mins,
        maxs,
        G06,
        "Table 2.3",
        "M",
        snote + "; native forest F=1",
    )
    r(
        "shrub",
        z,
        "c_soil",
        s["hac"],
        mins,
        maxs,
        G06,
        "Table 2.3",
        "M",
        snote + "; native vegetation F=1",
    )
    r(
        "grassland",
        z,
        "c_soil",
        s["hac"],
        mins,
        maxs,
        G06,
        "Table 2.3 x Table 6.2 (F_MG nominal 1.0)",
        "M",
        snote + "; nominally managed grassland F_MG=1.0",
    )
    r(
        "cropland",
        z,
        "c_soil",
        s["hac"] * s["flu"],
        mins * s["flu"],
        maxs * s["flu"],
        G06,
        "Table 2.3 x Table 5.5 (F_LU)",
        "M",
        snote + f"; x F_LU {s['flu']} long-term cultivated (tropical moist/wet), F_MG=F_I=1",
    )
    r(
        "sandy_land",
        z,
        "c_soil",
        s["sandy"],
        None,
        None,
        G06,
        "Table 2.3 (Sandy column)",
        "M",
        "Sandy soil SOC_REF; no range in source",
    )
    r(
        "wetland",
        z,
        "c_soil",
        s["wet"],
        None,
        None,
        G06,
        "Table 2.3 (Wetland column)",
        "M",
        "Wetland soil SOC_REF (tropical); no range in source",
    )
    # grassland biomass, tropical moist/wet 6.2/16.1
    r(
        "grassland",
        z,
        "c_above",
        6.2 * CF,
        None,
        None,
        G06,
        "Table 6.4 (AGB) x herbaceous CF 0.47 (Ch 6)",
        "M",
        "AGB 6.2 t d.m./ha, tropical moist/wet; no range in source",
    )
    r(
        "grassland",
        z,
        "c_below",
        (16.1 - 6.2) * CF,
        None,
        None,
        G06,
        "Table 6.4 (total - AGB) x CF 0.47",
        "M",
        "(16.1 - 6.2) t d.m./ha, tropical moist/wet",
    )
    r(
        "grassland",
        z,
        "removal",
        0,
        0,
        0,
        G06,
        "Ch 6 Tier 1",
        "M",
        "Tier 1: zero biomass change for grassland remaining grassland",
    )
    r(
        "cropland",
        z,
        "removal",
        0,
        0,
        0,
        G06,
        "Ch 5 Tier 1",
        "M",
        "Tier 1: zero biomass change for annual cropland remaining cropland",
    )
    # mangrove
    if z.startswith("tropical"):
        agb, R, g, mz = 192, 0.49, 9.9, "tropical wet"
        tag = "V*"
    else:
        agb, R, g, mz = 75, 0.96, 18.1, "subtropical"
        tag = "U"
    MCF = 0.451
    r(
        "mangrove",
        z,
        "c_above",
        agb * MCF,
        None,
        None,
        WS,
        "Table 4.3 (AGB) x Table 4.2 (CF 0.451)",
        tag,
        f"{mz} mangrove AGB {agb} t d.m./ha; no range in source",
    )
    r(
        "mangrove",
        z,
        "c_below",
        agb * MCF * R,
        None,
        None,
        WS,
        "Table 4.5 (R) x c_above",
        "V",
        f"R {R} ({mz})",
    )
    r(
        "mangrove",
        z,
        "c_dead",
        10.7 + 0.7,
        None,
        None,
        WS,
        "Table 4.7",
        "V*",
        "dead wood 10.7 + litter 0.7 t C/ha",
    )
    r(
        "mangrove",
        z,
        "c_soil",
        386,
        286,
        471,
        WS,
        "Table 4.11",
        "M",
        "all soils 386; low = mineral 286, high = organic 471",
    )
    r(
        "mangrove",
        z,
        "removal",
        g * (1 + R) * MCF,
        None,
        None,
        WS,
        "Table 4.4 (AGB growth) x (1+R, Table 4.5) x CF 0.451",
        "M",
        f"{mz} growth {g} t d.m./ha/yr; no range in source",
    )
    r(
        "mangrove",
        z,
        "soil_accumulation",
        1.62,
        1.3,
        2.0,
        WS,
        "Table 4.12",
        "M",
        "rewetted, revegetated or created mangrove",
    )
    r(
        "salt_marsh",
        z,
        "c_soil",
        255,
        None,
        None,
        WS,
        "Table 4.11",
        "M",
        "tidal marsh soil C; no range in source",
    )
    r("salt_marsh", z, "soil_accumulation", 0.91, 0.7, 1.1, WS, "Table 4.12", "M", "tidal marsh")
    r(
        "salt_marsh",
        z,
        "removal",
        0,
        0,
        0,
        WS,
        "Ch 4 (no biomass default)",
        "U",
        "no Tier 1 biomass growth default in the source; biomass taken as steady state, the sink is soil accumulation",
    )
    r(
        "seagrass",
        z,
        "c_soil",
        108,
        None,
        None,
        WS,
        "Table 4.11",
        "M",
        "seagrass soil C; no range in source",
    )
    r("seagrass", z, "soil_accumulation", 0.43, 0.2, 0.7, WS, "Table 4.12", "M", "seagrass meadows")
    r(
        "seagrass",
        z,
        "removal",
        0,
        0,
        0,
        WS,
        "Ch 4 (no biomass default)",
        "U",
        "no Tier 1 biomass growth default in the source; biomass taken as steady state, the sink is soil accumulation",
    )
for cat in ("built_up", "water", "snow_ice", "bare"):
    for par in ("c_above", "c_below", "c_dead", "c_soil", "removal"):
        r(
            cat,
            "*",
            par,
            0,
            0,
            0,
            "urbansat convention",
            "-",
            "U",
            "non-sink class: no accounted carbon (as in InVEST sample tables); override with a user table where settlement or water carbon matters",
        )
with open("ipcc2019_tier1_v1.csv", "w", newline="") as fh:
    fh.write(
        "# urbansat factor table ipcc2019 v1: IPCC 2006 GL Vol 4 / 2019 Refinement Tier 1 and 2013 Wetlands Supplement Ch 4.\n"
    )
    fh.write(
        "# Facts from shared/spec/sink-factors.md; derived values show the arithmetic in 'note'. Empty = no default (FactorError unless supplied).\n"
    )
    fh.write(
        "# Tags: V seen in source; V* confirmed indirectly; C third-party compilation; M recalled IPCC value; U uncertain.\n"
    )
    w = csv.DictWriter(fh, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
V1_ROWS = [dict(x) for x in rows]
rows.clear()
LIT = "Fang et al. 2007 (Sci China D 37:804); Lai 2010 (Nanjing Univ. thesis)"


def lit(cat, val, lo, hi, note):
    r(cat, "*", "removal", val, lo, hi, LIT, "land-use carbon coefficient method", "U", note)


lit(
    "forest",
    0.581,
    None,
    None,
    "coefficient -0.581 t C/ha/yr (negative = sink) sign-flipped; national 1981-2000 mean; no range in source",
)
lit("grassland", 0.021, None, None, "coefficient -0.021 sign-flipped; no range in source")
lit(
    "wetland",
    0.253,
    0.248,
    0.567,
    "water/wetland coefficient -0.253 (variants -0.248, -0.567) sign-flipped",
)
lit(
    "water",
    0.253,
    0.248,
    0.567,
    "water/wetland coefficient -0.253 (variants -0.248, -0.567) sign-flipped",
)
lit(
    "sandy_land",
    0.005,
    None,
    None,
    "unused land coefficient -0.005 sign-flipped; no range in source",
)
lit("bare", 0.005, None, None, "unused land coefficient -0.005 sign-flipped; no range in source")
lit(
    "cropland",
    -0.422,
    -0.497,
    -0.422,
    "coefficient +0.422 (variant +0.497) is an emission; sign-flipped",
)
r(
    "built_up",
    "*",
    "removal",
    0,
    0,
    0,
    "urbansat convention",
    "-",
    "U",
    "built-up emissions belong to the energy inventory, not to this coefficient method",
)
r(
    "snow_ice",
    "*",
    "removal",
    0,
    0,
    0,
    "urbansat convention",
    "-",
    "U",
    "no coefficient in the source; snow and ice taken as carbon-neutral",
)
with open("china_literature_v1.csv", "w", newline="") as fh:
    fh.write(
        "# urbansat factor table china_literature v1: land-use carbon coefficient method (tan pai fang xi shu fa), a literature preset, not a default.\n"
    )
    fh.write(
        "# Net rates per hectare of the class, + = removal (the source tables use - = sink). Facts from shared/spec/sink-factors.md section 4 [U: provenance not verified].\n"
    )
    fh.write(
        "# No stock pools: conversions carry no separate term (coefficient method). Empty low/high = no range in source.\n"
    )
    w = csv.DictWriter(fh, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)

# ---------------------------------------------------------------------------------------------
# v2: complete the defaults (issue 5). Every number below is an IPCC Tier 1 convention or a
# value seen through the project's search tools; 'note' names where. Tags as above; a 0 tagged U
# is an urbansat convention for a pool IPCC gives no default for (pool not accounted).
# ---------------------------------------------------------------------------------------------
Z95 = 1.959963984540054  # two-sided 95 % normal quantile (IPCC 2006 Vol 1 Ch 3: 95 % = +-1.96 SD)
EARTH = (
    "compilation Earthshot-Labs/earthshot_model_utils "
    "model_utilities/tests/data/IPCC_Tier1_parameters.csv"
)
SEEN_DOM = (
    "seen: https://www.climate-policy-watcher.org/emission-factors/"
    "calculation-steps-for-tier-1-gzn.html (2006 GL Vol 4 Ch 4.3.2 Tier 1 steps)"
)
SEEN_CROP = (
    "seen: https://www.climate-policy-watcher.org/emission-factors/choice-of-methods-1.html "
    "(2006 GL Vol 4 Ch 5.3.1.1 text, which cites its Sec 5.2.1)"
)
SEEN_IWMS = "seen: https://digitalcommons.mtu.edu/michigantech-p/514/ (WS 2013 Ch 5 abstract)"
ROWS2 = [dict(x) for x in V1_ROWS]


def r2(*a):
    r(*a, dest=ROWS2)


def amend(cat, par, lo_f, hi_f, why):
    """Give every zone's (cat, par) row of v1 the range value*lo_f .. value*hi_f."""
    hit = 0
    for x in ROWS2:
        if x["category"] == cat and x["parameter"] == par:
            v = float(x["value"])
            x["low"], x["high"] = f"{v * lo_f:.6g}", f"{v * hi_f:.6g}"
            x["note"] = (
                x["note"].replace("; no range in source", "").replace("no range in source", "")
            )
            x["note"] = (x["note"].rstrip("; ") + "; " + why).lstrip("; ")
            hit += 1
    assert hit, (cat, par)


# ranges that IPCC states as a default error for a whole table [M: recalled, named in the brief]
G75 = "range +-75 % = default error of 2006 Table 6.4 (2 SD as % of mean) [M]"
amend("grassland", "c_above", 0.25, 1.75, G75)
amend("grassland", "c_below", 0.25, 1.75, G75)
S90 = "range +-90 % = nominal error of 2006 Table 2.3 SOC_REF (2 SD as % of mean) [M]"
amend("sandy_land", "c_soil", 0.10, 1.90, S90)
amend("wetland", "c_soil", 0.10, 1.90, S90)

# shrub -> IPCC 'tropical shrubland' natural-forest rows (sink-factors.md, Mapping to T/CI 231):
# 2019R Table 4.7 AGB (compilation column Kmax, SD) and Table 4.9 growth (>20 y, r20) [C]
SHRUB = {  # zone: (continent, AGB t d.m./ha, SD, G t d.m./ha/yr, G low, G high, G <=20 y)
    "tropical_rainforest_africa": ("Africa", 48.4, 45.8, 0.9, 0.47, 1.71, 0.4),
    "tropical_rainforest_asia": ("Asia", 38.3, 33.0, 1.3, 0.68, 2.47, 5.0),
    "subtropical_humid_asia": ("Asia", 38.3, 33.0, 1.3, 0.68, 2.47, 5.0),
}
R_SHRUB = 0.40  # 2006 Table 4.4, tropical shrubland (sink-factors.md) [M]
COASTAL = (
    "WS Ch 4 gives Tier 1 biomass defaults (Tables 4.3-4.5) for mangroves only; "
    "consistent with the steady-state biomass (removal 0) of this table"
)
NO_BIOMASS = {  # category -> why its biomass pools are 0 (not accounted)
    "wetland": (
        "no Tier 1 biomass stock default for inland herbaceous wetland (2006 Ch 7; "
        f"WS Ch 5 soil only, {SEEN_IWMS})"
    ),
    "sandy_land": (
        "no biomass default for Other Land (bare soil, rock, sand); 0 as for the "
        "non-sink class 'bare'; map vegetated sand to shrub or grassland"
    ),
    "salt_marsh": COASTAL,
    "seagrass": COASTAL,
}
NONFOREST_DOM = f"Tier 1: dead wood and litter stocks on non-forest land are zero ({SEEN_DOM})"
for z, (cont, agb, sd, g, glo, ghi, g20) in SHRUB.items():
    lo, hi = agb - Z95 * sd, agb + Z95 * sd
    src = f"{R19} via {EARTH}"
    r2(
        "forest",
        z,
        "c_dead",
        0,
        0,
        0,
        G06,
        "Ch 4.2.2.1 / Ch 4.3.2 (Tier 1 DOM)",
        "M",
        "Tier 1: forest dead wood and litter in equilibrium (zero change); no statistically valid "
        f"regional default for forest dead wood ({SEEN_DOM}); Table 2.2 litter not transcribed, "
        "so 0 = DOM not accounted and forest conversions understate the DOM loss; override with "
        "local data",
    )
    r2(
        "shrub",
        z,
        "c_above",
        agb * CF,
        lo * CF,
        hi * CF,
        src,
        f"2019R Table 4.7 (tropical shrubland, natural, {cont}) x CF 0.47 (2006 Table 4.3)",
        "C",
        f"AGB {agb} t d.m./ha, SD {sd} (compilation columns Kmax/Kmax_low/Kmax_high, type "
        "'standard deviation'); 95 % = AGB +- 1.96 SD, a lower bound < 0 is the Gaussian "
        "(Approach 1) bound, not a possible stock; shrub mapped to IPCC tropical shrubland",
    )
    r2(
        "shrub",
        z,
        "c_below",
        agb * CF * R_SHRUB,
        lo * CF * R_SHRUB,
        hi * CF * R_SHRUB,
        G06,
        "Table 4.4 (R tropical shrubland) x c_above",
        "M",
        f"c_above x root:shoot R {R_SHRUB} (tropical shrubland); range from AGB only",
    )
    r2(
        "shrub",
        z,
        "c_dead",
        0,
        0,
        0,
        G06,
        "Ch 4.2.2.1 (Tier 1 DOM)",
        "M",
        "tropical shrubland is an IPCC forest ecological zone (rows of Tables 4.7/4.9): Tier 1 DOM "
        "convention of forest (zero change, "
        "DOM not accounted)",
    )
    r2(
        "shrub",
        z,
        "removal",
        g * (1 + R_SHRUB) * CF,
        glo * (1 + R_SHRUB) * CFL,
        ghi * (1 + R_SHRUB) * CFH,
        src,
        f"2019R Table 4.9 (tropical shrubland, natural, {cont}, >20 y) x (1+R 0.40) x CF",
        "C",
        f"G {g} t d.m./ha/yr x (1+{R_SHRUB}) x 0.47 (<=20 y stands: {g20}); range {glo}-{ghi} is "
        "the compilation's 'default' uncertainty (value x/÷ 1.9), not an IPCC range; range x CF "
        "0.44-0.49",
    )
    for cat in ("grassland", "wetland", "sandy_land"):
        r2(
            cat,
            z,
            "c_dead",
            0,
            0,
            0,
            G06,
            "Ch 4.3.2 (Tier 1 DOM of non-forest land)",
            "V",
            NONFOREST_DOM,
        )
    for cat in ("salt_marsh", "seagrass"):
        r2(
            cat,
            z,
            "c_dead",
            0,
            0,
            0,
            G06,
            "Ch 4.3.2 (Tier 1 DOM of non-forest land)",
            "M",
            NONFOREST_DOM + "; applied to coastal wetlands (WS Ch 4 gives DOM defaults for "
            "mangroves only)",
        )
    r2(
        "cropland",
        z,
        "c_above",
        5.0,
        5.0 * 0.25,
        5.0 * 1.75,
        G06,
        "Table 5.9 (annual cropland, biomass after one year)",
        "M",
        "5.0 t C/ha +-75 % (Tier 1 default named in the issue brief, recalled, not re-seen); "
        "Table 5.9 gives one biomass value, carried whole in c_above",
    )
    r2(
        "cropland",
        z,
        "c_below",
        0,
        0,
        0,
        G06,
        "Table 5.9 / Ch 5.3.1.1",
        "M",
        "Tier 1 for land converted to cropland counts above-ground biomass only ('limited data "
        f"are available on below-ground carbon stocks', {SEEN_CROP}); Table 5.9 value in c_above",
    )
    r2(
        "cropland",
        z,
        "c_dead",
        0,
        0,
        0,
        G06,
        "Ch 5.3.1.1 (Tier 1 DOM)",
        "V",
        f"'It is assumed that there will be no DOM in Cropland' ({SEEN_CROP})",
    )
    r2(
        "wetland",
        z,
        "removal",
        0,
        0,
        0,
        G06,
        "Ch 7 (scope of Tier 1 methods)",
        "M",
        "no Tier 1 biomass method for inland wetland remaining wetland (2006 Ch 7 covers peat "
        "extraction and flooded land; WS Ch 5 covers inland wetland mineral soils only, "
        f"{SEEN_IWMS}); taken as zero change",
    )
    r2(
        "sandy_land",
        z,
        "removal",
        0,
        0,
        0,
        G06,
        "Ch 9 (Other Land)",
        "M",
        "sandy land accounted as IPCC Other Land: no estimate for Other Land remaining Other "
        "Land (Tier 1 zero change); its sink comes from conversions (sink-factors.md mapping)",
    )
    for cat, why in NO_BIOMASS.items():
        for par in ("c_above", "c_below"):
            r2(
                cat,
                z,
                par,
                0,
                0,
                0,
                "urbansat convention",
                "-",
                "U",
                f"pool not accounted: {why}; conversions understate the biomass change; override "
                "with local data",
            )
with open("ipcc2019_tier1_v2.csv", "w", newline="") as fh:
    fh.write(
        "# urbansat factor table ipcc2019 v2: IPCC 2006 GL Vol 4 / 2019 Refinement Tier 1 and 2013 Wetlands Supplement Ch 4.\n"
    )
    fh.write(
        "# v1 plus defaults for every land-cover sink category and pool (Tier 1 conventions, a compilation of 2019R Tables 4.7/4.9, urbansat conventions tagged U).\n"
    )
    fh.write(
        "# Derived values show the arithmetic in 'note', with the address where a fact was seen. Empty low/high = no range in source (interval NaN unless supplied).\n"
    )
    fh.write(
        "# Tags: V seen in source; V* confirmed indirectly; C third-party compilation; M recalled IPCC value or convention; U uncertain / urbansat convention.\n"
    )
    w = csv.DictWriter(fh, fieldnames=list(ROWS2[0]))
    w.writeheader()
    w.writerows(ROWS2)

# china_literature v2: the coefficient method applies the forest-land (lin di) coefficient to all
# forest land, which in the Chinese land-use classification includes shrub land and mangroves.
# 'rows' still holds the china_literature v1 rows here.
GBT = (
    "GB/T 21010-2007 Table A.1: 03 林地 (forest land) = land growing trees, bamboo, shrubs and "
    "coastal mangroves; 031 有林地 includes 红树林地 (mangrove), 032 灌木林地 (shrub land) "
    "(seen: https://max.book118.com/html/2024/0310/8016056036006044.shtm)"
)
CHINA2 = [dict(x) for x in rows]
for cat in ("shrub", "mangrove"):
    r(
        cat,
        "*",
        "removal",
        0.581,
        None,
        None,
        LIT,
        "land-use carbon coefficient method (林地)",
        "U",
        f"forest-land (林地) coefficient -0.581 sign-flipped, applied to {cat} because {GBT}; "
        "no range in source",
        dest=CHINA2,
    )
with open("china_literature_v2.csv", "w", newline="") as fh:
    fh.write(
        "# urbansat factor table china_literature v2: land-use carbon coefficient method (tan pai fang xi shu fa), a literature preset, not a default.\n"
    )
    fh.write(
        "# Net rates per hectare of the class, + = removal (the source tables use - = sink). Facts from shared/spec/sink-factors.md section 4 [U: provenance not verified].\n"
    )
    fh.write(
        "# v2 = v1 + shrub and mangrove, which the method counts as forest land (GB/T 21010). No coefficient for tidal marsh or seagrass.\n"
    )
    fh.write(
        "# No stock pools: conversions carry no separate term (coefficient method). Empty low/high = no range in source.\n"
    )
    w = csv.DictWriter(fh, fieldnames=list(CHINA2[0]))
    w.writeheader()
    w.writerows(CHINA2)

# ---------------------------------------------------------------------------------------------
# v3: more IPCC climate zones (issue 5). v2 rows are copied unchanged; every new zone follows the
# conventions of the three v2 zones row for row. A zone ships only if every parameter it needs
# has a fact in sink-factors.md or in the compilation (EARTH); zones left out (see docs/sinks.md):
#   temperate_continental_asia / _europe and temperate_mountain_asia / _europe: the compilation's
#     'natural' rows are shifted by one column from r20 on (r20 3.25 < r20_low 3.35 and
#     r20_high = K20 90.9 / 51.6; mountain: r20 0.1, r20_high 170.4 / 27.8 = K20), so the
#     >20 y growth rate (the removal value of this table) has no fact -- garbled values not used;
#   tropical_mountain_asia: 2006 Table 6.4 (as transcribed) has no montane grassland row.
# ---------------------------------------------------------------------------------------------
ROWS3 = [dict(x) for x in ROWS2]


def r3(*a):
    r(*a, dest=ROWS3)


# 2006 Table 2.3 SOC_REF (0-30 cm, t C/ha) by IPCC climate [M]; lac None = '-' in the table.
# Spodic soils (cold temperate moist 115, boreal 117) are left out of the range, as the v1/v2
# range is min-max over HAC/LAC/Sandy/Volcanic.
SOIL3 = {
    "boreal": {"hac": 68, "lac": None, "sandy": 10, "volc": 20, "wet": 146},
    "cold temperate moist": {"hac": 95, "lac": 85, "sandy": 71, "volc": 130, "wet": 87},
    "warm temperate moist": {"hac": 88, "lac": 63, "sandy": 34, "volc": 80, "wet": 88},
    "tropical dry": {"hac": 38, "lac": 35, "sandy": 31, "volc": 50, "wet": 86},
    "tropical moist": {"hac": 65, "lac": 47, "sandy": 39, "volc": 70, "wet": 86},
}
# 2006 Table 5.5 F_LU, long-term cultivated (sink-factors.md) [M], keyed by soil climate
FLU3 = {
    "boreal": (0.69, "temperate/boreal moist"),
    "cold temperate moist": (0.69, "temperate/boreal moist"),
    "warm temperate moist": (0.69, "temperate/boreal moist"),
    "tropical dry": (0.58, "tropical dry"),
    "tropical moist": (0.48, "tropical moist/wet"),
}
# 2006 Table 6.4 grassland AGB / total biomass, t d.m./ha (sink-factors.md); tag of the row
GRASS3 = {
    "boreal": (1.7, 8.5, "M"),
    "cold temperate wet": (2.4, 13.6, "U"),
    "warm temperate wet": (2.7, 13.5, "M"),
    "tropical dry": (2.3, 8.7, "M"),
    "tropical moist/wet": (6.2, 16.1, "M"),
}
# WS Ch 4 mangrove by WS climate: AGB (Table 4.3), growth (4.4), R (4.5), AGB tag
MANGROVE3 = {"tropical dry": (92, 3.3, 0.29, "V*"), "subtropical": (75, 18.1, 0.96, "U")}

# Zone -> explicit climate mapping. The FAO ecological zone (rows of 2006/2019R Tables 4.7/4.9)
# is mapped to the IPCC climate zone (2006 Vol 4 Ch 3 Annex 3A.5: tropical MAT > 18 C, warm
# temperate 10-18 C, cold temperate 0-10 C, boreal < 0 C; moist/wet where MAP > PET) of the
# zone's core; a city in another IPCC climate overrides c_soil / grassland rows [M]:
#   soil = Table 2.3 / Table 5.5 climate, grass = Table 6.4 climate, mangrove = WS climate
#   (None: the zone has no WS mangrove climate -> no mangrove rows, FactorError if mapped),
#   shrub = True: shrub mapped to 2019R tropical shrubland, Asia, as in the v2 Asian zones
#   (no IPCC shrubland ecozone outside the tropics -> no shrub rows for temperate / boreal zones).
# Forest: agb = (value t d.m./ha, low, high, how, source text, tag); R = (value, source, tag);
#   g = (>20 y, <=20 y) growth t d.m./ha/yr from the compilation's 'natural' row of the zone.
COMP = f"{R19} via {EARTH}"
ZONES3 = {
    "tropical_moist_asia": {
        "soil": "tropical moist",
        "grass": "tropical moist/wet",
        "mangrove": None,
        "shrub": True,
        "why": "FAO tropical moist forest; IPCC tropical moist (MAT > 18 C, MAP 1000-2000 mm); no "
        "mangrove rows: WS Tables 4.3-4.5 give tropical wet and dry only",
        "agb": (
            180,
            None,
            None,
            "cf",
            f"{G06}",
            ("Table 4.7 (AGB, tropical moist deciduous, Asia continental) x Table 4.3 (CF)"),
            "M",
        ),
        "R": (0.24, "Table 4.4 (R tropical moist deciduous, AGB > 125)", "M"),
        "cont": "tropical moist forest, asia, natural",
        "g": (0.9, 2.4),
    },
    "tropical_dry_asia": {
        "soil": "tropical dry",
        "grass": "tropical dry",
        "mangrove": "tropical dry",
        "shrub": True,
        "why": "FAO tropical dry forest; IPCC tropical dry (MAT > 18 C, MAP < 1000 mm)",
        "agb": (
            130,
            None,
            None,
            "cf",
            f"{G06}",
            ("Table 4.7 (AGB, tropical dry, Asia continental) x Table 4.3 (CF)"),
            "M",
        ),
        "R": (0.28, "Table 4.4 (R tropical/subtropical dry, AGB > 20)", "M"),
        "cont": "tropical dry forest, asia, natural",
        "g": (1.6, 3.9),
    },
    "subtropical_dry_asia": {
        "soil": "tropical dry",
        "grass": "tropical dry",
        "mangrove": "subtropical",
        "shrub": True,
        "why": "FAO subtropical dry forest; IPCC tropical dry (MAT > 18 C in its Asian core, dry), "
        "as subtropical_humid_asia maps to tropical moist",
        "agb": (
            70.9,
            44.7,
            97.1,
            "sd",
            COMP,
            ("2019R Table 4.7 (subtropical dry forest, natural, Asia) x CF 0.47 (2006 Table 4.3)"),
            "C",
        ),
        "R": (0.28, "Table 4.4 (R tropical/subtropical dry, AGB > 20)", "M"),
        "cont": "subtropical dry forest, asia, natural",
        "g": (1.5, 6.0),
    },
    "subtropical_mountain_asia": {
        "soil": "warm temperate moist",
        "grass": "warm temperate wet",
        "mangrove": None,
        "shrub": True,
        "why": "FAO subtropical mountain system (e.g. Sichuan basin rim, Chongqing, Yunnan); IPCC "
        "warm temperate moist (MAT 10-18 C, MAP > PET); no mangrove rows: a mountain zone "
        "has no WS mangrove climate",
        "agb": (
            155.2,
            113.5,
            196.9,
            "sd",
            COMP,
            (
                "2019R Table 4.7 (subtropical mountain system, "
                "natural, Asia) x CF 0.47 (2006 Table 4.3)"
            ),
            "C",
        ),
        "R": (0.23, "2019R Table 4.4 via compilation (rs_young = rs_old 0.23, natural, Asia)", "C"),
        "cont": "subtropical mountain system, asia, natural",
        "g": (0.5, 2.5),
    },
    "temperate_continental_north_america": {
        "soil": "cold temperate moist",
        "grass": "cold temperate wet",
        "mangrove": None,
        "shrub": False,
        "why": "FAO temperate continental forest (e.g. Chicago); IPCC cold "
        "temperate moist (MAT 0-10 C, MAP > PET)",
        "agb": (
            130,
            None,
            None,
            "cf",
            f"{G06}",
            ("Table 4.7 (AGB, temperate continental, Americas) x Table 4.3 (CF)"),
            "M",
        ),
        "R": (
            0.28,
            (
                "2019R Table 4.4 via compilation (rs_old 0.28 for AGB > 125, natural, North "
                "America; 2006 Table 4.4 temperate conifer 0.29 / other broadleaf 0.23 for AGB "
                "75-150 bracket it)"
            ),
            "C",
        ),
        "cont": "temperate continental, north america, natural",
        "g": (3.6, 3.3),
    },
    "temperate_oceanic_europe": {
        "soil": "warm temperate moist",
        "grass": "warm temperate wet",
        "mangrove": None,
        "shrub": False,
        "why": "FAO temperate oceanic forest (e.g. London, Paris); IPCC warm "
        "temperate moist (MAT 10-18 C, MAP > PET); cold temperate moist where MAT < 10 C",
        "agb": (
            153.9,
            81.0,
            292.41,
            "default",
            COMP,
            ("2019R Table 4.7 (temperate oceanic, natural, Europe) x CF 0.47 (2006 Table 4.3)"),
            "C",
        ),
        "R": (
            0.19,
            "2019R Table 4.4 via compilation (rs_young = rs_old 0.19, natural, Europe)",
            "C",
        ),
        "cont": "temperate oceanic, europe, natural",
        "g": (2.3, 2.3),
    },
}
for _cont in ("asia", "europe", "north_america"):
    ZONES3[f"boreal_coniferous_{_cont}"] = {
        "soil": "boreal",
        "grass": "boreal",
        "mangrove": None,
        "shrub": False,
        "why": "FAO boreal coniferous forest; IPCC boreal (MAT < 0 C); Table 2.3 has one boreal "
        "row "
        "and Table 5.5 F_LU taken as moist (boreal coniferous forest climate)",
        "agb": (
            62.9,
            33.11,
            119.51,
            "default",
            COMP,
            (
                "2019R Table 4.7 (boreal coniferous, natural, "
                f"{_cont.replace('_', ' ').title()}) x CF 0.47 (2006 Table 4.3)"
            ),
            "C",
        ),
        "R": (0.39, "2006 Table 4.4 (R boreal, AGB < 75) = compilation rs_young 0.39", "C"),
        "cont": f"boreal coniferous, {_cont.replace('_', ' ')}, natural",
        "g": (0.6, 0.6),
    }

# (category, parameter) rows of v2 that are Tier 1 / urbansat conventions, equal in every zone
V2_CONVENTIONS = {
    ("forest", "c_dead"),
    ("cropland", "c_above"),
    ("cropland", "c_below"),
    ("cropland", "c_dead"),
    ("wetland", "removal"),
    ("sandy_land", "removal"),
}
V2_CONVENTIONS |= {(c, "c_dead") for c in ("grassland", "wetland", "sandy_land")}
V2_CONVENTIONS |= {(c, p) for c in ("wetland", "sandy_land") for p in ("c_above", "c_below")}

for z, p in ZONES3.items():
    agb, alo, ahi, how, asrc, atab, atag = p["agb"]
    R, rtab, rtag = p["R"]
    mapping = (
        f"zone mapped to IPCC climate '{p['soil']}' ({p['why']}; thresholds of 2006 Vol 4 "
        "Ch 3 Annex 3A.5 [M]); grassland biomass climate '" + p["grass"] + "'"
    )
    if how == "cf":
        above = (agb * CF, agb * CFL, agb * CFH)
        anote = (
            f"AGB {agb} t d.m./ha x CF 0.47; range from CF 0.44-0.49 only (no AGB range in source)"
        )
    elif how == "sd":  # compilation Kmax_low/high = AGB -+ 1 SD (type 'standard deviation')
        sd = round(agb - alo, 6)
        assert abs((ahi - agb) - sd) < 1e-6, z
        above = (agb * CF, (agb - Z95 * sd) * CF, (agb + Z95 * sd) * CF)
        anote = (
            f"AGB {agb} t d.m./ha, SD {sd:g} (compilation columns Kmax {agb}, Kmax_low {alo}, "
            f"Kmax_high {ahi}, type 'standard deviation'); 95 % = AGB +- 1.96 SD, x CF 0.47"
        )
    else:  # compilation 'default' uncertainty: Kmax_low/high = Kmax x/÷ 1.9
        assert abs(agb / alo - 1.9) < 0.01 and abs(ahi / agb - 1.9) < 0.01, z
        above = (agb * CF, alo * CF, ahi * CF)
        anote = (
            f"AGB {agb} t d.m./ha (compilation columns Kmax {agb}, Kmax_low {alo}, "
            f"Kmax_high {ahi}: the compilation's 'default' uncertainty, value x/÷ 1.9, not an "
            "IPCC range) x CF 0.47"
        )
    r3("forest", z, "c_above", *above, asrc, atab, atag, anote + "; " + mapping)
    rsrc = COMP if rtag == "C" else G06
    r3(
        "forest",
        z,
        "c_below",
        *(a * R for a in above),
        rsrc,
        f"{rtab} x c_above",
        rtag,
        f"c_above x root:shoot R {R}; range from c_above only",
    )
    g20, g0 = p["g"]
    glo, ghi = min(g20, g0), max(g20, g0)
    r3(
        "forest",
        z,
        "removal",
        g20 * (1 + R) * CF,
        glo * (1 + R) * CFL,
        ghi * (1 + R) * CFH,
        COMP,
        f"2019R Table 4.9 (net AGB growth, {p['cont']}) x (1+R) x CF",
        "C",
        f"G x (1+{R}) x 0.47; secondary >20 y {g20} (compilation r20), <=20 y {g0} (r0); range = "
        "the two age classes (no old-growth value in the source) x CF 0.44-0.49; AGB+BGB as GFW "
        "removals",
    )
    s = SOIL3[p["soil"]]
    cols = [s[k] for k in ("hac", "lac", "sandy", "volc") if s[k] is not None]
    mins, maxs = min(cols), max(cols)
    flu, flun = FLU3[p["soil"]]
    snote = (
        f"SOC_REF 0-30 cm, IPCC climate '{p['soil']}', HAC soil; range = min-max over "
        "HAC/LAC/Sandy/Volcanic of that climate" + (" (no LAC value)" if s["lac"] is None else "")
    )
    r3(
        "forest",
        z,
        "c_soil",
        s["hac"],
        mins,
        maxs,
        G06,
        "Table 2.3",
        "M",
        snote + "; native forest F=1",
    )
    if p["shrub"]:
        r3(
            "shrub",
            z,
            "c_soil",
            s["hac"],
            mins,
            maxs,
            G06,
            "Table 2.3",
            "M",
            snote + "; native vegetation F=1",
        )
    r3(
        "grassland",
        z,
        "c_soil",
        s["hac"],
        mins,
        maxs,
        G06,
        "Table 2.3 x Table 6.2 (F_MG nominal 1.0)",
        "M",
        snote + "; nominally managed grassland F_MG=1.0",
    )
    r3(
        "cropland",
        z,
        "c_soil",
        s["hac"] * flu,
        mins * flu,
        maxs * flu,
        G06,
        "Table 2.3 x Table 5.5 (F_LU)",
        "M",
        snote + f"; x F_LU {flu} long-term cultivated ({flun}), F_MG=F_I=1",
    )
    r3(
        "sandy_land",
        z,
        "c_soil",
        s["sandy"],
        s["sandy"] * 0.10,
        s["sandy"] * 1.90,
        G06,
        "Table 2.3 (Sandy column)",
        "M",
        f"Sandy soil SOC_REF; {S90}",
    )
    r3(
        "wetland",
        z,
        "c_soil",
        s["wet"],
        s["wet"] * 0.10,
        s["wet"] * 1.90,
        G06,
        "Table 2.3 (Wetland column)",
        "M",
        f"Wetland soil SOC_REF ({p['soil']}); {S90}",
    )
    ga, gt, gtag = GRASS3[p["grass"]]
    r3(
        "grassland",
        z,
        "c_above",
        ga * CF,
        ga * CF * 0.25,
        ga * CF * 1.75,
        G06,
        "Table 6.4 (AGB) x herbaceous CF 0.47 (Ch 6)",
        gtag,
        f"AGB {ga} t d.m./ha, {p['grass']} (Table 6.4 climate of this zone); {G75}",
    )
    r3(
        "grassland",
        z,
        "c_below",
        (gt - ga) * CF,
        (gt - ga) * CF * 0.25,
        (gt - ga) * CF * 1.75,
        G06,
        "Table 6.4 (total - AGB) x CF 0.47",
        gtag,
        f"({gt} - {ga}) t d.m./ha, {p['grass']}; {G75}",
    )
    r3(
        "grassland",
        z,
        "removal",
        0,
        0,
        0,
        G06,
        "Ch 6 Tier 1",
        "M",
        "Tier 1: zero biomass change for grassland remaining grassland",
    )
    r3(
        "cropland",
        z,
        "removal",
        0,
        0,
        0,
        G06,
        "Ch 5 Tier 1",
        "M",
        "Tier 1: zero biomass change for annual cropland remaining cropland",
    )
    if p["mangrove"]:
        mz = p["mangrove"]
        magb, mg, mR, mtag = MANGROVE3[mz]
        MCF = 0.451
        r3(
            "mangrove",
            z,
            "c_above",
            magb * MCF,
            None,
            None,
            WS,
            "Table 4.3 (AGB) x Table 4.2 (CF 0.451)",
            mtag,
            f"{mz} mangrove AGB {magb} t d.m./ha; no range in source",
        )
        r3(
            "mangrove",
            z,
            "c_below",
            magb * MCF * mR,
            None,
            None,
            WS,
            "Table 4.5 (R) x c_above",
            "V",
            f"R {mR} ({mz})",
        )
        r3(
            "mangrove",
            z,
            "c_dead",
            10.7 + 0.7,
            None,
            None,
            WS,
            "Table 4.7",
            "V*",
            "dead wood 10.7 + litter 0.7 t C/ha",
        )
        r3(
            "mangrove",
            z,
            "c_soil",
            386,
            286,
            471,
            WS,
            "Table 4.11",
            "M",
            "all soils 386; low = mineral 286, high = organic 471",
        )
        r3(
            "mangrove",
            z,
            "removal",
            mg * (1 + mR) * MCF,
            None,
            None,
            WS,
            "Table 4.4 (AGB growth) x (1+R, Table 4.5) x CF 0.451",
            "M",
            f"{mz} growth {mg} t d.m./ha/yr; no range in source",
        )
        r3(
            "mangrove",
            z,
            "soil_accumulation",
            1.62,
            1.3,
            2.0,
            WS,
            "Table 4.12",
            "M",
            "rewetted, revegetated or created mangrove",
        )
    # tidal marsh and seagrass: WS Tables 4.11/4.12 are not zone-specific (v1/v2 rows, same values)
    for x in ROWS2:
        if x["climate_zone"] == "tropical_rainforest_africa" and x["category"] in (
            "salt_marsh",
            "seagrass",
        ):
            ROWS3.append({**x, "climate_zone": z})
    # v2 conventions: dead organic matter, cropland biomass, wetland / sandy-land removal and the
    # biomass pools IPCC gives no default for (same rows as the v2 zones, forest DOM first)
    for x in ROWS2:
        if (
            x["climate_zone"] == "tropical_rainforest_africa"
            and x["category"] not in ("salt_marsh", "seagrass")
            and (x["category"], x["parameter"]) in V2_CONVENTIONS
        ):
            ROWS3.append({**x, "climate_zone": z})
    if p["shrub"]:  # 2019R tropical shrubland, Asia: the v2 subtropical_humid_asia rows
        for x in ROWS2:
            if (
                x["climate_zone"] == "subtropical_humid_asia"
                and x["category"] == "shrub"
                and x["parameter"] != "c_soil"
            ):
                ROWS3.append({**x, "climate_zone": z})
with open("ipcc2019_tier1_v3.csv", "w", newline="") as fh:
    fh.write(
        "# urbansat factor table ipcc2019 v3: IPCC 2006 GL Vol 4 / 2019 Refinement Tier 1 and "
        "2013 Wetlands Supplement Ch 4.\n"
    )
    fh.write(
        "# v2 rows unchanged plus zones " + ", ".join(ZONES3) + " (same conventions; zone -> "
        "IPCC climate mapping in 'note' of forest c_above).\n"
    )
    fh.write(
        "# Derived values show the arithmetic in 'note', with the address where a fact was "
        "seen. Empty low/high = no range in source (interval NaN unless supplied).\n"
    )
    fh.write(
        "# Tags: V seen in source; V* confirmed indirectly; C third-party compilation; M "
        "recalled IPCC value or convention; U uncertain / urbansat convention.\n"
    )
    w = csv.DictWriter(fh, fieldnames=list(ROWS3[0]))
    w.writeheader()
    w.writerows(ROWS3)
