"""Regenerate ``tno_gnfr_v1.csv`` from the published TNO GNFR factors written out below.

Run ``python src/urbansat/data/profiles/_generate.py``; the CSV is the shipped artefact and
this script documents the arithmetic (the ``urban`` mix and the uncertainty convention).

Published factors (local time; hour index h = factor of the hour [h, h+1)):

* hour-of-day and day-of-week: TNO GNFR time profiles, "converted from SNAP-based to
  GNFR-based" by A. Visschedijk (2018-10-12) from Denier van der Gon et al. (2011), TNO
  report for EU FP7 MACC, deliverable D_D-EMIS_1.3; distributed as
  ``timeprofiles-hour-in-day_GNFR.csv`` / ``timeprofiles-day-in-week_GNFR.csv`` (emiproc,
  C2SM-RCM, files/profiles/tno/).
* month-of-year: the same TNO GNFR family as used in CAMS (emiproc
  files/profiles/copernicus/timeprofiles-month_in_year.csv).

Uncertainty convention (tag U, not a measured number): the published profiles are
European sector means, and individual sources depart from them (CAMS-TEMPO, Guevara et al.
2021, ESSD 13:367, make them country-, year- and plant-specific for that reason). Each
factor's 1-sigma uncertainty is taken as half its departure from flat, floored at 0.02:
u = max(0.5 |f - 1|, 0.02). The floor says a profile published as flat is flat only to
about 2 %. The ``flat`` profile is the user's assertion of no variation and carries u = 0.
"""

from __future__ import annotations

import csv
from pathlib import Path

HOUR = {
    "A": [
        0.79,
        0.72,
        0.72,
        0.71,
        0.74,
        0.8,
        0.92,
        1.08,
        1.19,
        1.22,
        1.21,
        1.21,
        1.17,
        1.15,
        1.14,
        1.13,
        1.1,
        1.07,
        1.04,
        1.02,
        1.02,
        1.01,
        0.96,
        0.88,
    ],
    "B": [
        0.75,
        0.75,
        0.78,
        0.82,
        0.88,
        0.95,
        1.02,
        1.09,
        1.16,
        1.22,
        1.28,
        1.3,
        1.22,
        1.24,
        1.25,
        1.16,
        1.08,
        1.01,
        0.95,
        0.9,
        0.85,
        0.81,
        0.78,
        0.75,
    ],
    "C": [
        0.38,
        0.36,
        0.36,
        0.36,
        0.37,
        0.5,
        1.19,
        1.53,
        1.57,
        1.56,
        1.35,
        1.16,
        1.07,
        1.06,
        1.0,
        0.98,
        0.99,
        1.12,
        1.41,
        1.52,
        1.39,
        1.35,
        1.0,
        0.42,
    ],
    "D": [1.0] * 24,
    "F": [
        0.19,
        0.09,
        0.06,
        0.05,
        0.09,
        0.22,
        0.86,
        1.84,
        1.86,
        1.41,
        1.24,
        1.2,
        1.32,
        1.44,
        1.45,
        1.59,
        2.03,
        2.08,
        1.51,
        1.06,
        0.74,
        0.62,
        0.61,
        0.44,
    ],
    "J": [1.0] * 24,
    "K": [1.0] * 24,
}
WEEKDAY = {  # Mon..Sun
    "A": [1.06, 1.06, 1.06, 1.06, 1.06, 0.85, 0.85],
    "B": [1.08, 1.08, 1.08, 1.08, 1.08, 0.8, 0.8],
    "C": [1.08, 1.08, 1.08, 1.08, 1.08, 0.8, 0.8],
    "D": [1.0] * 7,
    "F": [1.02, 1.06, 1.08, 1.1, 1.14, 0.81, 0.79],
    "J": [1.0] * 7,
    "K": [1.0] * 7,
}
MONTH = {  # Jan..Dec
    "A": [1.2, 1.15, 1.05, 1.0, 0.9, 0.85, 0.8, 0.875, 0.95, 1.0, 1.075, 1.15],
    "B": [1.1, 1.075, 1.05, 1.0, 0.95, 0.9, 0.93, 0.95, 0.97, 1.0, 1.025, 1.05],
    "C": [1.7, 1.5, 1.3, 1.0, 0.7, 0.4, 0.2, 0.4, 0.7, 1.05, 1.4, 1.65],
    "D": [1.2, 1.2, 1.2, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 1.2, 1.2, 1.2],
    "F": [0.88, 0.92, 0.98, 1.03, 1.05, 1.06, 1.01, 1.02, 1.06, 1.05, 1.01, 0.93],
    "J": [1.0] * 12,
    "K": [0.7, 0.75, 0.85, 0.9, 1.0, 1.1, 1.2, 1.25, 1.3, 1.1, 1.0, 0.85],
}
TNO_HW = (
    "TNO GNFR time profiles (Denier van der Gon et al. 2011, MACC D_D-EMIS_1.3; "
    "GNFR mapping Visschedijk 2018)"
)
TNO_M = "TNO GNFR month profiles as used in CAMS (Denier van der Gon et al. 2011; Visschedijk 2018)"

#: urban mix: emission shares of a European city's CO2 by GNFR sector (tag U, an urbansat
#: convention for a city without its own inventory shares; pass the city's own mix instead).
URBAN_MIX = {"C": 0.35, "F": 0.30, "A": 0.20, "B": 0.15}

# urbansat name -> (GNFR for hour, weekday, month, note)
PROFILES: dict[str, tuple[str, str, str, str]] = {
    "public_power": ("A", "A", "A", "GNFR A public power (power plants, SNAP 1)"),
    "industry": ("B", "B", "B", "GNFR B industry (SNAP 3+4)"),
    "residential": (
        "C",
        "C",
        "C",
        "GNFR C other stationary combustion (residential/commercial heating)",
    ),
    "road_transport": ("F", "F", "F", "GNFR F road transport (F1-F4 share one profile)"),
    "oil_gas": ("D", "D", "D", "GNFR D fugitives (oil and gas production and distribution)"),
    "coal_mining": (
        "D",
        "D",
        "flat",
        (
            "GNFR D fugitives hour/weekday (flat); month flat: TNO's GNFR D "
            "month cycle follows gas distribution demand, which mine ventilation does not"
        ),
    ),
    "waste": ("J", "J", "J", "GNFR J waste (flat in TNO)"),
    "agriculture": (
        "K",
        "K",
        "K",
        (
            "GNFR K livestock; CH4 diurnal flat: enteric fermentation and manure "
            "emit day and night (TNO GNFR K hour factors are 1)"
        ),
    ),
}


def _u(f: float) -> float:
    return round(max(0.5 * abs(f - 1.0), 0.02), 4)


def _rows() -> list[list[object]]:
    rows: list[list[object]] = []
    kinds = (
        ("hour", HOUR, TNO_HW, "timeprofiles-hour-in-day_GNFR"),
        ("weekday", WEEKDAY, TNO_HW, "timeprofiles-day-in-week_GNFR"),
        ("month", MONTH, TNO_M, "timeprofiles-month_in_year"),
    )
    for name, (gh, gw, gm, note) in PROFILES.items():
        for (kind, table, ref, tab), g in zip(kinds, (gh, gw, gm), strict=True):
            n = {"hour": 24, "weekday": 7, "month": 12}[kind]
            start = 1 if kind == "month" else 0
            if g == "flat":
                for i in range(n):
                    rows.append(
                        [
                            name,
                            kind,
                            i + start,
                            1.0,
                            0.02,
                            "1",
                            "urbansat convention",
                            "-",
                            "U",
                            "flat by convention; " + note,
                        ]
                    )
                continue
            for i, f in enumerate(table[g]):
                rows.append(
                    [
                        name,
                        kind,
                        i + start,
                        f,
                        _u(f),
                        "1",
                        ref,
                        f"{tab} GNFR {g}",
                        "V",
                        f"{note}; u = max(0.5|f-1|, 0.02) (tag U)",
                    ]
                )
    for kind, table, n, start in (
        ("hour", HOUR, 24, 0),
        ("weekday", WEEKDAY, 7, 0),
        ("month", MONTH, 12, 1),
    ):
        for i in range(n):
            f = round(sum(w * table[g][i] for g, w in URBAN_MIX.items()), 6)
            mix = " + ".join(f"{w}x{g}" for g, w in URBAN_MIX.items())
            rows.append(
                [
                    "urban",
                    kind,
                    i + start,
                    f,
                    _u(f),
                    "1",
                    "urbansat mix of TNO GNFR profiles",
                    mix,
                    "U",
                    f"emission-weighted sum {mix} (shares are an urbansat convention); u = max(0.5|f-1|, 0.02)",
                ]
            )
    for kind, n, start in (("hour", 24, 0), ("weekday", 7, 0), ("month", 12, 1)):
        for i in range(n):
            rows.append(
                [
                    "flat",
                    kind,
                    i + start,
                    1.0,
                    0.0,
                    "1",
                    "urbansat convention",
                    "-",
                    "U",
                    "no temporal variation asserted; no profile uncertainty",
                ]
            )
    return rows


HEADER = [
    (
        "urbansat temporal profile table tno_gnfr v1: hour-of-day (local hour h = [h, h+1)), day-of-week "
        "(0 = Monday) and month-of-year (1 = January) factors, each averaging 1."
    ),
    (
        "Factor values from the TNO GNFR time profiles (Denier van der Gon et al. 2011, EU FP7 MACC "
        "D_D-EMIS_1.3; GNFR mapping A. Visschedijk 2018), seen in C2SM-RCM/emiproc files/profiles/tno and "
        "files/profiles/copernicus."
    ),
    (
        "uncertainty = 1-sigma of the factor: u = max(0.5|f-1|, 0.02), an urbansat convention (tag U); "
        "flat has u = 0. Tags: V seen in source; U urbansat convention. See _generate.py."
    ),
]


def main() -> None:
    out = Path(__file__).with_name("tno_gnfr_v1.csv")
    with out.open("w", encoding="utf-8", newline="") as fh:
        for line in HEADER:
            fh.write(f"# {line}\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            [
                "profile",
                "kind",
                "index",
                "value",
                "uncertainty",
                "unit",
                "source",
                "table",
                "tag",
                "note",
            ]
        )
        w.writerows(_rows())


if __name__ == "__main__":
    main()
