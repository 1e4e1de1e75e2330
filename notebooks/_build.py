"""Write the tutorial notebooks with nbformat: ``python notebooks/_build.py``.

The notebooks are generated here, without outputs, so that they stay reviewable as code;
the documentation build executes them (myst-nb) and shows their outputs, and
``tests/test_notebooks.py`` executes every one on ``data/samples/`` and then checks its
results in a hidden cell (the checks live in the test, not in the tutorials). Each notebook
is one task a researcher does, with the science of each step and its references, and runs
in well under 60 s on 2 cores. Figures render inline; the library's warnings are shown.
"""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent

SETUP = """\
from pathlib import Path
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import urbansat


def find_samples() -> Path:
    \"\"\"Return data/samples/: $URBANSAT_SAMPLES, else the nearest parent folder holding it.\"\"\"
    if "URBANSAT_SAMPLES" in os.environ:
        return Path(os.environ["URBANSAT_SAMPLES"]).resolve()
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "data" / "samples").is_dir():
            return (folder / "data" / "samples").resolve()
    raise FileNotFoundError("data/samples/ not found: run from a clone of the repository "
                            "or set URBANSAT_SAMPLES=/path/to/data/samples")


SAMPLES = find_samples()                                # real files shipped with the repository
DEMO = Path(urbansat.__file__).parent / "data" / "demo"  # demo boundaries and sources (package)
pd.set_option("display.precision", 3)
print("urbansat", urbansat.__version__, "| samples:", SAMPLES)"""

SETUP_MD = (
    "## Setup\n\n"
    "The tutorial reads only files shipped with urbansat: the real and benchmark files in "
    "`data/samples/` of the repository (each folder's `PROVENANCE.md` says where every file "
    "comes from and its licence) and the demo boundaries and source list inside the package. "
    "Set `URBANSAT_SAMPLES` if you run the notebook from outside the repository."
)


def md(text: str) -> tuple[str, str]:
    """Return a markdown cell."""
    return ("md", text)


def code(text: str) -> tuple[str, str]:
    """Return a code cell."""
    return ("code", text)


NB01_INGEST = [
    md("""\
# Open and inspect satellite granules

A *granule* is one file of a Level-2 product: the retrieved column-averaged dry-air mole
fraction of a gas (XCO2 in ppm, XCH4 in ppb) for every ground pixel ("sounding") of a piece
of an orbit, with its footprint corners, an uncertainty and a quality flag. Every instrument
writes its own layout (TROPOMI netCDF4 groups, OCO-2 Lite files, GOSAT HDF5...);
`urbansat.open_granules` reads them all into **one normalized swath**: an `xarray.Dataset`
with dims `(y, x)` (along/across track), CF units and the same variable names whatever the
instrument (`xch4`, `xch4_uncertainty`, `qa_value`, `qa_pass`, `longitude_bounds`, ...).
Everything downstream (clipping, gridding, inversion) works on that one layout.

This tutorial opens a real **TROPOMI** (Sentinel-5P) methane granule over the Bowen Basin
coal mines in Queensland, Australia (orbit 24725, 2022-07-22 ~03:30 UTC, processor 2.4.0,
subset to 148-150 E, 23.5-22 S), checks what the producer's quality flag keeps and maps the
result."""),
    md(SETUP_MD),
    code(SETUP),
    md("""\
## 1. Open the granule

`open_granules` recognises the product from the file's own metadata (no option needed),
converts units from the file's attributes (it never assumes them) and returns a *lazy*
dataset: the arrays are dask arrays, nothing is read until a number is needed. A list or a
glob pattern of files gives one swath with the granules concatenated along `y`."""),
    code("""\
path = next((SAMPLES / "tropomi_ch4").glob("S5P_RPRO_L2__CH4____*.SUB.nc4"))
ds = urbansat.open_granules(path)
ds"""),
    code("""\
print("product:", ds.attrs["product"], ds.attrs["product_version"], "| orbit", ds.attrs["orbit"])
print("sizes:", dict(ds.sizes))
print("xch4:", ds.xch4.attrs.get("long_name", ""), "[", ds.xch4.attrs["units"], "]")
print("lazy:", type(ds.xch4.data).__module__)"""),
    md("""\
## 2. Quality filtering

The retrieval fails or is biased over clouds, high aerosol loads, low or very high surface
albedo, snow and steep terrain. The producer summarises this in `qa_value` (0-1) and
recommends keeping soundings with **`qa_value >= 0.5`** for the bias-corrected XCH4 (TROPOMI
methane Product User Manual S5P-KNMI-L2-0021-MA; Lorente et al. 2021). The reader
applies the product's recommendation and stores it as the boolean `qa_pass`, so every later
step uses the same definition; the threshold is read from the product description
(`ingest/products/*.yaml`), not hard-coded in your analysis.

Over a coal basin in the dry season most pixels are clear, but the edges of the subset are
filled (the subsetter masked everything outside the box)."""),
    code("""\
qa = ds.qa_value.values.ravel()
n_finite = int(np.isfinite(ds.xch4.values).sum())
n_qa = int(ds.qa_pass.sum())
print(f"{n_finite} soundings with an XCH4 value, {n_qa} pass the producer's QA (qa_value >= 0.5)")

fig, ax = plt.subplots(figsize=(5, 3))
ax.hist(qa[np.isfinite(qa)], bins=np.linspace(0, 1, 21), color="0.5")
ax.axvline(0.5, color="C3", ls="--", label="recommended threshold")
ax.set_xlabel("qa_value")
ax.set_ylabel("soundings")
ax.legend()
ax.set_title("TROPOMI CH4 quality flag, 2022-07-22");"""),
    md("""\
## 3. The retrieved columns and their uncertainty

`xch4` is the product's bias-corrected column (`methane_mixing_ratio_bias_corrected`: the
correction removes a dependence on surface albedo; Lorente et al. 2021). Its
`xch4_uncertainty` is the retrieval precision (1 sigma) the producer reports: the noise to
expect between neighbouring pixels, not the systematic error of the product. Methane from
a coal basin adds a few ppb to a background near 1850 ppb (Jacob et al. 2016), which is why
a careful background matters in the next tutorials."""),
    code("""\
good = ds.where(ds.qa_pass)
xch4_mean = float(good.xch4.mean())
xch4_std = float(good.xch4.std())
precision = float(np.nanmedian(good.xch4_uncertainty.values))
print(f"QA-passing XCH4: mean {xch4_mean:.1f} ppb, spread {xch4_std:.1f} ppb, "
      f"median retrieval precision {precision:.1f} ppb")
variables = ["xch4", "xch4_uncertainty", "surface_albedo_SWIR"]
good[variables].to_dataframe()[variables].describe().round(2)"""),
    md("""\
## 4. Map the swath

`plot_granule` draws each sounding as its **footprint polygon** (the product's own four
corners, about 5.5 x 7 km for TROPOMI since August 2019), not as a dot: this shows the real
spatial support of each value, which is what the exact clipping of the next tutorial uses.
The outline is the demo county-level box around the Bowen Basin mines."""),
    code("""\
from urbansat.plot.granules import plot_granule

counties = urbansat.read_boundaries(DEMO / "demo_counties.geojson", level="county", id_field="id")
bowen = counties[counties.boundary_id == "bowen"]
ax = plot_granule(ds, boundaries=bowen, title="TROPOMI XCH4, qa_value >= 0.5, 2022-07-22")"""),
    md("""\
## What next

* Several granules: `urbansat.open_granules([...])` or a glob pattern; one lazy swath.
* Other instruments (OCO-2/3 Lite, ACOS, GOSAT FTS): the same call and the same variables
  (`xco2` in ppm). `urbansat.testing.granules` writes files in those official layouts if you
  need one to try.
* Next tutorial: select the soundings inside a boundary and grid them.

## References

* *Sentinel-5 Precursor Level 2 Methane Product User Manual*, S5P-KNMI-L2-0021-MA (the
  variables and the `qa_value >= 0.5` recommendation), and Hasekamp, O. et al.: *TROPOMI ATBD
  of the methane retrieval*, SRON-S5P-LEV2-RP-001.
* Lorente, A. et al. (2021): Methane retrieved from TROPOMI: improvement of the data product
  and validation of the first 2 years of measurements, *AMT* 14, 665-684,
  [doi:10.5194/amt-14-665-2021](https://doi.org/10.5194/amt-14-665-2021).
* Jacob, D. J. et al. (2016): Satellite observations of atmospheric methane and their value
  for quantifying methane emissions, *ACP* 16, 14371-14396,
  [doi:10.5194/acp-16-14371-2016](https://doi.org/10.5194/acp-16-14371-2016)."""),
]

NB02_CLIP = [
    md("""\
# Clip soundings to a boundary and grid them

City and county indicators need the soundings *inside* a boundary. A footprint is a polygon
of several km, so "inside" is a matter of degree: urbansat computes for every sounding its
**overlap fraction** `area(F ∩ B) / area(F)` with the boundary `B`, exactly (polygon
intersection, as exactextract does for rasters), rather than testing the footprint centre.
From the selection it derives the three concentration indicators of T/CI 231 Table 1 (column
mean, background, enhancement over the background), and separately it can **oversample**
the swath onto a regular grid for maps and for comparisons between overpasses.

We use the TROPOMI methane granule of the previous tutorial and the demo box around the
Bowen Basin coal mines."""),
    md(SETUP_MD),
    code(SETUP),
    code("""\
sw = urbansat.open_granules(next((SAMPLES / "tropomi_ch4").glob("S5P_RPRO_L2__CH4____*.SUB.nc4")))
counties = urbansat.read_boundaries(DEMO / "demo_counties.geojson", level="county", id_field="id")
bowen = counties[counties.boundary_id == "bowen"]
bowen[["boundary_id", "name", "level", "geometry"]]"""),
    md("""\
## 1. Select the soundings with their exact footprint overlap

`select_soundings` returns the QA-passing soundings that touch the boundary, flattened to a
`sounding` dimension, with `overlap_fraction` in (0, 1]. Use `min_overlap=` to keep only
footprints mostly inside, or `buffer_km=` to grow the boundary geodesically (e.g. to include
the plume just downwind of a city)."""),
    code("""\
sel = urbansat.select_soundings(sw, bowen)
overlap = sel.overlap_fraction.values
print("selection method:", sel.attrs["selection_method"])
print(f"{sel.sizes['sounding']} soundings touch the box; overlap fraction "
      f"{overlap.min():.3f} .. {overlap.max():.3f}; "
      f"{int((overlap == 1).sum())} footprints lie fully inside")

fig, ax = plt.subplots(figsize=(5, 3))
ax.hist(overlap, bins=np.linspace(0, 1, 21), color="C0")
ax.set_xlabel("footprint overlap fraction with the box")
ax.set_ylabel("soundings");"""),
    md("""\
## 2. Column mean, background and enhancement

The enhancement over a boundary is what its emissions add to the column:

$$\\Delta X = \\bar X_{\\rm in} - X_{\\rm bg},$$

with $\\bar X_{\\rm in}$ the overlap-weighted mean inside and $X_{\\rm bg}$ the **regional
background**: by default the median of the QA-passing soundings outside all boundaries
buffered by 10 km and within 100 km of this one (a robust regional background, as in
city-scale satellite studies). The 1-sigma uncertainties propagate the retrieval precision
and the spread of the background soundings. Give `background=(value, sigma)` if you have
a better background (e.g. an upwind transect or a model)."""),
    code("""\
from urbansat.indicators import boundary_concentrations

conc = boundary_concentrations(sw, bowen)
cols = ["column_mean", "background", "enhancement", "enhancement_uncertainty", "n_obs",
        "n_background"]
print(conc.attrs["background_method"])
conc[cols].to_dataframe()"""),
    md("""\
An enhancement of a few ppb with an uncertainty of the same order is typical of a single
TROPOMI overpass over a diffuse source region: one overpass says little, a year of them
says more (see the tutorial on a year of totals).

## 3. Oversample onto a regular grid

`grid_soundings` spreads each footprint over the grid cells it overlaps, in proportion to
the overlapping area ("physical oversampling", e.g. Sun et al. 2018):

$$x_j = \\frac{\\sum_i a_{ij} w_i x_i}{\\sum_i a_{ij} w_i}, \\qquad
a_{ij} = \\frac{\\mathrm{area}(F_i \\cap C_j)}{\\mathrm{area}(F_i)}.$$

A uniform field is reproduced exactly; with `weights="inverse_variance"` precise soundings
count more. The grid is lazy like the swath."""),
    code("""\
grid = urbansat.grid_soundings(sw, resolution=0.05)
fig, ax = plt.subplots(figsize=(6, 4))
grid.xch4.plot(ax=ax, cmap="viridis", cbar_kwargs={"label": "XCH4 [ppb]"})
x, y = bowen.geometry.iloc[0].exterior.xy
ax.plot(x, y, "k-", lw=1.5, label="demo box (Bowen Basin)")
ax.set_xlabel("longitude [degrees_east]")
ax.set_ylabel("latitude [degrees_north]")
ax.legend(loc="lower left", fontsize=8)
ax.set_title("TROPOMI XCH4 oversampled to 0.05°, 2022-07-22");"""),
    md("""\
## What next

* Many boundaries at once: pass a GeoDataFrame with several rows (e.g.
  `data/samples/boundaries/china_selected_city_districts.geojson`); the overlap weights are
  computed once per granule (`urbansat.Coverage`).
* Next tutorial: estimate the emission of one source from its plume.

## References

* Sun, K. et al. (2018): A physics-based approach to oversample multi-satellite,
  multispecies observations to a common grid, *AMT* 11, 6679-6701,
  [doi:10.5194/amt-11-6679-2018](https://doi.org/10.5194/amt-11-6679-2018).
* T/CI 231-2023, Table 1: the concentration indicators (column mean, background,
  enhancement) of the urban atmosphere.
* Lorente, A. et al. (2021), *AMT* 14, 665-684: precision and biases of TROPOMI XCH4."""),
]

NB03_PLUME = [
    md("""\
# Estimate an emission from a plume

A power plant or a city leaves a plume of enhanced XCO2 downwind. With the wind speed, the
mass in the plume gives the emission rate. This tutorial estimates the emission of the
**Jänschwalde** lignite power plant (Germany) from one CO2M-like image of the **SMARTCARB**
benchmark (Kuhlmann et al. 2019, 2021): XCO2 simulated with COSMO-GHG for 2015-04-23 11 UTC,
with the model's own winds and, because it is a simulation, the **known true emission**
(42.40 Mt CO2 yr-1 at that hour). That makes it the right place to learn the methods and
see whether their uncertainty intervals are honest.

Methods (`method=`):

* `"ime"`, **integrated mass enhancement** (Varon et al. 2018): $Q = U_{\\rm eff}\\,
  \\mathrm{IME} / L$, the excess mass over the detected plume times an effective wind over
  the plume length.
* `"csf"`, **cross-sectional flux** (Kuhlmann et al. 2020, 2024; the ddeq library):
  $Q = U \\int \\Delta\\Omega\\,dy$ across transects downwind, averaged along the plume.
* `"gaussian"`: a Gaussian plume model fitted to the image (spread bounded by Briggs'
  stability classes); `"bayesian"`: an analytical Bayesian inversion of emission and
  background. `"all"` runs the four on one prepared scene (`docs/inversion.md`)."""),
    md(SETUP_MD),
    code(SETUP),
    md("""\
## 1. The image, the wind and the sources

`open_granules` recognises the SMARTCARB layout; `open_wind` reads the COSMO wind field
of the same hour, from which the inversion takes the wind at each source with an
uncertainty. The source list gives locations and sizes (Berlin a 30 km disc, a plant 1 km)."""),
    code("""\
sw = urbansat.open_granules(SAMPLES / "smartcarb" / "Sentinel_7_CO2_2015042311_o1670_l0483.nc")
wind = urbansat.open_wind(SAMPLES / "smartcarb" / "SMARTCARB_winds_2015042311.nc")
sources = pd.read_csv(DEMO / "demo_sources.csv", comment="#")
sources = sources[sources.name.isin(["Janschwalde", "Berlin"])]
print(sw.attrs["product"], dict(sw.sizes), "| XCO2 in", sw.xco2.attrs["units"])
sources"""),
    md("""\
## 2. Look at the plume

`plot_plume` prepares the scene around a source as the inversion does: the window, the
background, the **plume detection** (pixels significantly above the background, grown
downwind), the integration band and the wind arrow. Always look at it before trusting a
number: a plume cut by the swath edge or mixed with a neighbour's plume is the commonest
cause of a wrong estimate."""),
    code("""\
from urbansat.plot.plumes import plot_plume

ax = plot_plume(sw, sources=sources, wind=wind, source="Janschwalde")"""),
    md("""\
## 3. The IME estimate and its uncertainty budget

The result is one row per source with the emission in kg s-1 and t yr-1, the 1-sigma
uncertainty and its terms: retrieval noise, wind, background and a model error (how far
the method's assumptions are from the plume). A wind error **scales** the estimate
($Q \\propto U$), so the 95 % interval is asymmetric: the truth is $Q/f$ for a wind factor
$f$, not $Q \\pm$ a constant."""),
    code("""\
est = urbansat.estimate_emissions(sw, sources=sources, wind=wind, method="ime")
est[["emission_t_per_yr", "emission_t_per_yr_uncertainty", "emission_t_per_yr_lower_2sigma",
     "emission_t_per_yr_upper_2sigma", "qa_reason"]].to_dataframe()"""),
    code("""\
j = est.sel(source="Janschwalde")
e = float(j.emission_t_per_yr) / 1e6
u = float(j.emission_t_per_yr_uncertainty) / 1e6
lo, hi = (float(j[f"emission_t_per_yr_{b}_2sigma"]) / 1e6 for b in ("lower", "upper"))
print(f"Jänschwalde: {e:.1f} ± {u:.1f} Mt/yr, 95 % interval {lo:.1f}-{hi:.1f} (truth 42.40)")

terms = ["retrieval", "wind", "background", "model"]
share = [float(j["emission_uncertainty_term"].sel(term=t)) ** 2 for t in terms]
fig, ax = plt.subplots(figsize=(5, 2.5))
ax.barh(terms, np.array(share) / float(j.emission_uncertainty) ** 2, color="C1")
ax.set_xlabel("share of the variance")
ax.set_title("Jänschwalde IME: uncertainty budget");"""),
    md("""\
The truth lies inside the interval. The wind term is often the largest one for a
single image (Varon et al. 2018; Kuhlmann et al. 2021); a better wind (e.g. ERA5 model
levels with the boundary-layer height, `open_wind(lvl, surface=sfc)`) or more images shrink
it.

## 4. All four methods on one prepared scene

`method="all"` prepares each source once (window, wind, background, detection) and runs
every method on it; the result gains an `inversion_method` dimension. Agreement between
methods is a useful check on the plume; disagreement points to a violated assumption."""),
    code("""\
every = urbansat.estimate_emissions(sw, sources=sources, wind=wind, method="all")
jj = every.sel(source="Janschwalde")
names = [str(m) for m in jj.inversion_method.values]
q, lo1, hi1, lo2, hi2 = (
    jj[f"emission_t_per_yr{v}"].values / 1e6  # Mt/yr
    for v in ("", "_lower_1sigma", "_upper_1sigma", "_lower_2sigma", "_upper_2sigma")
)
fig, ax = plt.subplots(figsize=(6, 3))
x = np.arange(len(names))
ax.errorbar(x, q, yerr=[q - lo2, hi2 - q], fmt="none", ecolor="0.6", capsize=6,
            label="95 % interval")
ax.errorbar(x, q, yerr=[q - lo1, hi1 - q], fmt="o", color="C0", capsize=3,
            label="68 % interval")
ax.axhline(42.40, color="k", ls="--", label="truth 42.40")
ax.set_xticks(x, names)
ax.set_ylabel("Mt CO$_2$ yr$^{-1}$")
ax.set_title("Jänschwalde, SMARTCARB 2015-04-23 11 UTC")
ax.legend(fontsize=8);"""),
    md("""\
## What next

* The command line does the same for a granule: `urbansat invert IMAGE --wind WIND
  --sources SOURCES -o out.nc` (see `docs/inversion.md` for every step and option).
* One image gives the emission *at the overpass hour*; the next tutorial turns a year of
  such snapshots into an annual total.

## References

* Varon, D. J. et al. (2018): Quantifying methane point sources from fine-scale satellite
  observations of atmospheric methane plumes, *AMT* 11, 5673-5686,
  [doi:10.5194/amt-11-5673-2018](https://doi.org/10.5194/amt-11-5673-2018) (IME).
* Kuhlmann, G. et al. (2019): Detectability of CO2 emission plumes of cities and power plants
  with the Copernicus Anthropogenic CO2 Monitoring (CO2M) mission, *AMT* 12, 6695-6719,
  [doi:10.5194/amt-12-6695-2019](https://doi.org/10.5194/amt-12-6695-2019) (SMARTCARB).
* Kuhlmann, G. et al. (2020): Quantifying CO2 emissions of a city with the Copernicus
  Anthropogenic CO2 Monitoring satellite mission, *AMT* 13, 6733-6754,
  [doi:10.5194/amt-13-6733-2020](https://doi.org/10.5194/amt-13-6733-2020) (CSF).
* Kuhlmann, G. et al. (2021): Quantifying CO2 emissions of power plants with CO2 and NO2
  imaging satellites, *Front. Remote Sens.* 2, 689838,
  [doi:10.3389/frsen.2021.689838](https://doi.org/10.3389/frsen.2021.689838).
* Kuhlmann, G. et al. (2024): The ddeq Python library for point source quantification from
  remote sensing images (version 1.0), *GMD* 17, 4773-4789,
  [doi:10.5194/gmd-17-4773-2024](https://doi.org/10.5194/gmd-17-4773-2024)."""),
]

NB04_YEAR = [
    md("""\
# A year of totals from sparse overpasses

A satellite sees a source at one local time (late morning for a sun-synchronous orbit) on
the few clear days of a year. Averaging those snapshots does not give the annual emission:
a power plant emits more on a weekday late morning than at night or on a Sunday, and a city
heats more in winter. `urbansat.period_totals` turns sparse overpass estimates into a
**period mean** (t yr-1) and **total** (t) per source and period, in three steps:

1. **Temporal profile correction.** Each estimate $y_k$ is divided by the profile factor
   $f_k = H_{\\rm hour}\\,D_{\\rm weekday}\\,M_{\\rm month}$ at its local time (TNO GNFR
   sector profiles, Denier van der Gon et al. 2011, the family of the CAMS-REG-TEMPO
   profiles, Guevara et al. 2021), renormalised to mean 1 over the period's hours:
   $x_k = y_k / f_k$ estimates the period mean.
2. **A robust fit** of the corrected values: Student-t errors (Lange, Little & Taylor
   1989) so that a failed image has no influence, a scale from the model rather than from
   each estimate's own sigma, and a smooth seasonal curve when the year is sampled well
   enough.
3. **A budget**: the 1-sigma of the period mean split into retrieval, sampling (what the
   overpass days miss) and profile (the factors' own uncertainty) terms.

Data: the **SMARTCARB 2015 year**: the published per-image CSF estimates of ddeq
(Kuhlmann et al. 2024) for 16 sources and 299 images, with the true annual mean of each
source (`data/samples/smartcarb/`). It was held out when urbansat's estimator was designed
(`docs/period_totals.md`), so it is an honest test."""),
    md(SETUP_MD),
    code(SETUP),
    md("""\
## 1. Why a plain mean is biased: the temporal profile

The profile of public power plants (TNO GNFR A) is high in the late morning, on weekdays
and in winter. Every overpass of a sun-synchronous satellite samples the same high part of
the diurnal cycle, so the plain mean of the overpasses over-estimates the daily mean."""),
    code("""\
from urbansat.temporal import get_profile, list_profiles

print("built-in profiles:", list_profiles())
fig, axes = plt.subplots(1, 3, figsize=(10, 2.8), sharey=True)
for name, colour in (("public_power", "C0"), ("urban", "C1"), ("road_transport", "C2")):
    p = get_profile(name)
    for ax, values, sigma, xs in (
        (axes[0], p.hour, p.hour_uncertainty, np.arange(24)),
        (axes[1], p.weekday, p.weekday_uncertainty, np.arange(7)),
        (axes[2], p.month, p.month_uncertainty, np.arange(1, 13)),
    ):
        ax.plot(xs, values, "-o", ms=3, color=colour, label=name)
        ax.fill_between(xs, values - sigma, values + sigma, color=colour, alpha=0.15)
axes[0].axvspan(10.5, 13.5, color="0.85", label="overpass hours")
axes[0].set(xlabel="local hour", xticks=range(0, 24, 3))
axes[1].set_xticks(range(7), ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"])
axes[1].set_xlabel("weekday")
axes[2].set(xlabel="month", xticks=range(1, 13))
axes[0].set_ylabel("factor (mean 1)")
axes[0].legend(fontsize=7)
fig.suptitle("TNO GNFR temporal profiles (±1σ, urbansat convention)", fontsize=10);"""),
    md("""\
### Known truth: synthetic years

`urbansat.testing.years.make_synthetic_year` draws an hourly emission year that follows a
perturbed profile on local civil time (Berlin, with summer time, as real activity and the
TNO hour factors do), a seasonal deviation and day-to-day noise, then samples 25 clear-sky
overpasses at 11:30 local solar time with 20 % retrieval noise. Because the hourly truth is
known, it shows the sampling bias directly: the week below, and 20 seeds (0-19, part of the
development set the estimator's settings were chosen on, `docs/period_totals.md`)
summarised after it."""),
    code("""\
from urbansat.testing.years import make_synthetic_year

year = make_synthetic_year(2, profile="public_power")
week = year.hourly["2015-06-01":"2015-06-21"]
fig, ax = plt.subplots(figsize=(9, 2.8))
ax.plot(week.index, week / 1e6, lw=0.8, color="0.4", label="hourly truth")
ax.axhline(year.true_mean / 1e6, color="k", ls="--", lw=1, label="true annual mean")
seen = year.estimates[year.estimates.time.between("2015-06-01", "2015-06-22")]
ax.plot(seen.time, seen.truth_t_per_yr / 1e6, "o", color="C3", label="overpass (truth)")
ax.set_ylabel("Mt yr$^{-1}$")
ax.legend(fontsize=7, ncol=3, loc="upper right")
ax.set_title("synthetic power plant, 3 weeks of 2015 (seed 2)", fontsize=9)

rows = []
for seed in range(20):
    y = make_synthetic_year(seed, profile="public_power")
    fit = urbansat.period_totals(y.estimates, periods=["2015"], profile="public_power").iloc[0]
    rows.append({
        "plain mean / truth - 1": y.estimates.emission_t_per_yr.mean() / y.true_mean - 1,
        "period_totals / truth - 1": fit.emission_t_per_yr / y.true_mean - 1,
        "z": (fit.emission_t_per_yr - y.true_mean) / fit.emission_t_per_yr_uncertainty,
    })
synthetic = pd.DataFrame(rows)
cover1, cover2 = (synthetic.z.abs() <= 1).mean(), (synthetic.z.abs() <= 2).mean()
print(f"plain mean: bias {synthetic.iloc[:, 0].mean():+.0%}; period_totals: bias "
      f"{synthetic.iloc[:, 1].mean():+.1%}, truth within 1 sigma {cover1:.0%}, "
      f"within 2 sigma {cover2:.0%}")"""),
    md("""\
The plain mean is biased high by about a fifth; the profile-corrected fit is within a few
per cent and its 1-sigma and 2-sigma intervals cover the truth at least as often as they
should (68 %, 95 %; 20 seeds scatter by about 10 points). Given only the longitude, the
budget also covers the unknown civil-minus-solar offset and is on the safe side; with
`timezone="Europe/Berlin"` it is close to nominal (`docs/period_totals.md`). Now the real
test."""),
    md("""\
## 2. The overpass estimates of 2015

`smartcarb_year` loads the usable CSF estimates as the tidy table `period_totals` takes:
`source`, `time` (UTC), `emission_t_per_yr`, `emission_t_per_yr_uncertainty` and the
source `longitude` (local solar time = UTC + lon/15 h). It also returns the a-priori
profile assignment: Berlin is a city (`urban`), the 15 others are power plants
(`public_power`). Your own table would come from `estimate_emissions` on each overpass
(a list of its results works too)."""),
    code("""\
from urbansat.testing.smartcarb_year import smartcarb_year

overpasses, truth, profiles = smartcarb_year(SAMPLES / "smartcarb")
print(len(overpasses), "overpass estimates of", overpasses.source.nunique(), "sources;",
      "profiles:", profiles)
overpasses.groupby("source").size().rename("images").to_frame().T"""),
    md("""\
## 3. Period totals with the budget

One call: the period is the label `"2015"` (`"2015-Q2"`, `"2015-07"` or
`{label: (start, end)}` work too), the profile per source. `details=True` also returns the
per-overpass table (factor, corrected value, robust weight, fitted curve) for the plot."""),
    code("""\
totals, details = urbansat.period_totals(
    overpasses, periods=["2015"], profile=profiles, details=True
)
totals["truth_t_per_yr"] = totals.source.map(truth)
mt = ["emission_t_per_yr", "emission_t_per_yr_uncertainty", "uncertainty_retrieval",
      "uncertainty_sampling", "uncertainty_profile", "truth_t_per_yr"]
show = totals[["source", "n_overpasses", "months_covered", "status", "estimator"]].copy()
show[[c.replace("_t_per_yr", "") + " [Mt/yr]" for c in mt]] = totals[mt] / 1e6
show.round(2)"""),
    md("""\
Each row carries the period mean (t yr-1) and the total over the period (`total_t`, t),
and a status: `ok`, `partial` (fewer than 6 accepted overpasses or too few months) or
`no_data`. The three budget terms add in quadrature to `emission_t_per_yr_uncertainty`.

## 4. How well does it do?

Compare with the true annual means and with the plain mean of the same estimates. The
plain mean is wrecked by a few failed images (estimates 10-100 times the truth, with large
sigmas); the robust, profile-corrected fit is not."""),
    code("""\
plain = overpasses.groupby("source").emission_t_per_yr.mean()
truth_s = pd.Series(truth)
rel_plain = (plain / truth_s - 1).abs()
rel_fit = (totals.set_index("source").emission_t_per_yr / truth_s - 1).abs()
z = (totals.emission_t_per_yr - totals.truth_t_per_yr) / totals.emission_t_per_yr_uncertainty
within_2sigma = int((z.abs() <= 2).sum())
print(f"median absolute error: plain mean {rel_plain.median():.0%}, "
      f"period_totals {rel_fit.median():.0%}")
print(f"truth within 2 sigma for {within_2sigma} of {len(totals)} sources")

fig, ax = plt.subplots(figsize=(5, 4))
ax.errorbar(totals.truth_t_per_yr / 1e6, totals.emission_t_per_yr / 1e6,
            yerr=2 * totals.emission_t_per_yr_uncertainty / 1e6, fmt="o", capsize=2,
            label="period_totals ±2σ")
ax.plot(truth_s / 1e6, plain.reindex(truth_s.index) / 1e6, "x", color="C3", label="plain mean")
lim = [1, 100]
ax.plot(lim, lim, "k--", lw=1, label="1:1")
ax.set(xscale="log", yscale="log", xlim=lim, ylim=[1, 1000],
       xlabel="true 2015 mean [Mt CO$_2$ yr$^{-1}$]", ylabel="estimate [Mt CO$_2$ yr$^{-1}$]")
ax.legend(fontsize=8)
ax.set_title("SMARTCARB 2015, 16 sources");"""),
    md("""\
The documented result (`docs/period_totals.md`, benchmark `bench_period_totals.py`) is a
median error of about 20 % with the truth inside 2 sigma for 14 of 16 sources; most of the
error comes from the CSF images themselves (feed the *true* emissions at the image times
and the error drops to about 1 %: the sampling and profile part works). Staudinger is the
known miss: most of its 29 images are high.

## 5. One source in detail

`plot_period_totals` shows the overpass estimates (grey, ±1σ), the profile-corrected values
(blue), the fitted seasonal curve (green) and the period mean with its 95 % band (orange)."""),
    code("""\
from urbansat.plot.period_totals import plot_period_totals

fig, axes = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
plot_period_totals(totals, details, source="Janschwalde", ax=axes[0])
plot_period_totals(totals, details, source="Berlin", ax=axes[1])
for ax, name in zip(axes, ["Janschwalde", "Berlin"]):
    ax.axhline(truth[name] / 1e6, color="k", ls="--", lw=1)
axes[0].text(0.01, 0.92, "dashed: true 2015 mean", transform=axes[0].transAxes, fontsize=8)
fig.tight_layout()"""),
    md("""\
## 6. What the profile correction does

Run the same fit with the `flat` profile (no correction): the late-morning overpasses then
stand for the whole day, and the annual mean of a power plant comes out high. The factors
at the overpass times are the per-overpass `factor` column of `details`."""),
    code("""\
flat = urbansat.period_totals(overpasses, periods=["2015"], profile="flat")
ratio = (totals.set_index("source").emission_t_per_yr
         / flat.set_index("source").emission_t_per_yr)
print("mean profile factor at the overpass times:",
      details.groupby("source").factor.mean().round(2).to_dict())
print(f"corrected / uncorrected period mean: median {ratio.median():.2f} "
      f"(interquartile range {ratio.quantile(0.25):.2f}-{ratio.quantile(0.75):.2f})")"""),
    md("""\
## What next

* In a job (`urbansat run job.toml`), name the profile per `[[emissions]]` entry
  (`profile = "public_power"` or `{ Berlin = "urban", "*" = "public_power" }`); `run_job`
  uses `period_totals` for every period and the T/CI 231 table takes its totals.
* Your own profiles (e.g. the plant-specific CAMS-REG-TEMPO tables): `profile_table=` with
  the layout `profile, kind, index, value[, uncertainty, source]`.
* Synthetic years with known hourly truth for your own tests:
  `urbansat.testing.years.make_synthetic_year(seed, profile=...)`.

## References

* Denier van der Gon, H. et al. (2011): *Description of current temporal emission patterns
  and sensitivity of predicted AQ for temporal emission patterns*, EU FP7 MACC deliverable
  D_D-EMIS_1.3 (TNO GNFR profiles).
* Guevara, M. et al. (2021): Copernicus Atmosphere Monitoring Service TEMPOral profiles
  (CAMS-TEMPO), *ESSD* 13, 367-404,
  [doi:10.5194/essd-13-367-2021](https://doi.org/10.5194/essd-13-367-2021).
* Crippa, M. et al. (2020): High resolution temporal profiles in the Emissions Database for
  Global Atmospheric Research, *Sci. Data* 7, 121,
  [doi:10.1038/s41597-020-0462-2](https://doi.org/10.1038/s41597-020-0462-2).
* Lange, K. L., Little, R. J. A. and Taylor, J. M. G. (1989): Robust statistical modeling
  using the t distribution, *JASA* 84, 881-896,
  [doi:10.1080/01621459.1989.10478852](https://doi.org/10.1080/01621459.1989.10478852).
* Kuhlmann, G. et al. (2024): The ddeq Python library, *GMD* 17, 4773-4789,
  [doi:10.5194/gmd-17-4773-2024](https://doi.org/10.5194/gmd-17-4773-2024) (the CSF
  estimates of the SMARTCARB year)."""),
]

NB05_SINKS = [
    md("""\
# Carbon sinks from two land-cover epochs

Ecosystems remove CO2 as they grow and release it when they are cleared. With two land-cover
maps of the same area, `urbansat.account_sinks` computes per boundary and T/CI 231 sink
category (forest, shrub, grassland, wetland, cropland, mangrove, ...) the areas at both
epochs, the carbon stocks, the gross removals and emissions and the **net sink**
(t CO2 yr-1, positive = removal), with an uncertainty. By default it follows the IPCC
**gain-loss method** with Tier 1 default factors (IPCC 2006 Guidelines, Vol. 4, Eqs. 2.7,
2.9, 2.16 and 2.25, and the 2019 Refinement): the growth of the vegetation of the end class
(its removal factor) plus, where land changes category, the change of its biomass and dead
organic matter over the years between the epochs and of its soil carbon over 20 years (the
IPCC default), times 44/12 for CO2 (`src/urbansat/sinks/accounting.py`). The
uncertainty is IPCC Approach 1 (error propagation) from the factors' ranges and, when you
have a reference sample, the mapped areas' errors (Olofsson et al. 2014).

Data: real **ESA WorldCover** 10 m maps of 2020 (v100) and 2021 (v200) over a forest box in
southern Príncipe (São Tomé and Príncipe), with the IPCC factors for African tropical rain
forest."""),
    md(SETUP_MD),
    code(SETUP),
    md("""\
## 1. Open the two epochs and cut them to the boundary

`open_landcover` reads the COG lazily and knows the product's legend (WorldCover codes 10
tree cover, 20 shrubland, 30 grassland, ... mapped to the T/CI 231 categories). The tiles
are 3 x 3 degrees at 10 m (36000 x 36000 pixels), so we cut a window around the box first:
only that window is read."""),
    code("""\
lc0 = urbansat.open_landcover(SAMPLES / "landcover/ESA_WorldCover_10m_2020_v100_N00E006_Map.tif")
lc1 = urbansat.open_landcover(SAMPLES / "landcover/ESA_WorldCover_10m_2021_v200_N00E006_Map.tif")
box = urbansat.read_boundaries(DEMO / "demo_regions.geojson", level="region", id_field="id")
box = box[box.boundary_id == "principe"]
x0, y0, x1, y1 = box.total_bounds
window = {"x": slice(x0 - 1e-3, x1 + 1e-3), "y": slice(y1 + 1e-3, y0 - 1e-3)}
lc0, lc1 = lc0.sel(**window), lc1.sel(**window)
print(lc0.attrs.get("product"), lc0.attrs.get("year"), "->", lc1.attrs.get("year"),
      "|", dict(lc0.sizes), "pixels")"""),
    code("""\
from urbansat.plot.indicators import plot_landcover_pair

axes = plot_landcover_pair(lc0, lc1, box.geometry.iloc[0])
for ax in axes:
    ax.set_xlabel("longitude [degrees_east]")
axes[0].set_ylabel("latitude [degrees_north]");"""),
    md("""\
## 2. Account the sinks

`factors="ipcc2019"` is the shipped IPCC 2006/2019 Tier 1 table (each row with its source
and range, `docs/sinks.md`); `climate_zone=` picks the zone-specific rows. `years` comes from
the maps' years (here 1)."""),
    code("""\
sinks = urbansat.account_sinks(
    lc0, lc1, box, factors="ipcc2019", climate_zone="tropical_rainforest_africa"
)
cols = ["area_start", "area_end", "gross_removals", "gross_emissions", "net_sink",
        "net_sink_uncertainty"]
table = sinks[cols].sel(boundary="principe").to_dataframe()[cols]
table[(table.area_start > 0) | (table.area_end > 0)].round(1)"""),
    code("""\
tot = sinks.sel(boundary="principe", category="total")
print(f"total area {float(tot.area_start):.1f} ha -> {float(tot.area_end):.1f} ha "
      "(land is conserved: classes change, the box does not)")
print(f"net sink {float(tot.net_sink):,.0f} ± {float(tot.net_sink_uncertainty):,.0f} "
      f"{sinks.net_sink.attrs.get('units', '')}")

fig, ax = plt.subplots(figsize=(5, 2.8))
rows = table[(table.area_start > 0) | (table.area_end > 0)]
colour = np.where(rows.net_sink >= 0, "tab:green", "tab:red")  # removal green, source red
ax.barh(rows.index, rows.net_sink / 1e3, xerr=rows.net_sink_uncertainty / 1e3, color=colour,
        capsize=3)
ax.axvline(0, color="k", lw=0.8)
ax.set_xlabel("net sink [kt CO$_2$ yr$^{-1}$] (positive = removal)")
ax.set_title("Southern Príncipe, WorldCover 2020 -> 2021");"""),
    md("""\
## 3. Read the result critically: a product-version change

The box is closed tropical forest, yet the account shows tens of hectares turning from
forest to grassland in one year, i.e. a large apparent **source**. ESA documents that the
2021 map (v200) was made with an improved algorithm: part of the v100 -> v200 difference is
a change of method, not of land. urbansat cannot tell the two apart without reference data,
but it says so: every transition between maps of different product versions is flagged."""),
    code("""\
print(sinks.attrs.get("transition_flags", "no flagged transition"))
flags = sinks.transition_flag.to_series()
flags[flags.astype(str) != ""].head()"""),
    md("""\
The remedy is a reference sample: label a few hundred random points per map class from
high-resolution imagery, count map class against reference class and pass the counts to
`urbansat.error_adjusted_areas` (the stratified estimator of Olofsson et al. 2014, eqs.
4-10); `account_sinks(..., accuracy=that_table)` then uses the error-adjusted area
uncertainty of each category instead of none.

## What next

* Other products: ESA CCI / C3S land cover, MODIS MCD12Q1, China CLCD, CORINE (the legend is
  known from the file); a user legend with `legend=`.
* `method="stock_difference"`, Monte Carlo uncertainty (`uncertainty="monte_carlo"`),
  InVEST carbon tables (`factors="invest:path.csv"`), valuation (`valuation=`).
* Next tutorial: the sink rows and the atmosphere rows together in the T/CI 231 table.

## References

* IPCC (2006): *2006 IPCC Guidelines for National Greenhouse Gas Inventories*, Vol. 4
  AFOLU, [ipcc-nggip.iges.or.jp/public/2006gl/vol4.html](https://www.ipcc-nggip.iges.or.jp/public/2006gl/vol4.html).
* IPCC (2019): *2019 Refinement to the 2006 IPCC Guidelines*, Vol. 4,
  [ipcc-nggip.iges.or.jp/public/2019rf/vol4.html](https://www.ipcc-nggip.iges.or.jp/public/2019rf/vol4.html).
* Olofsson, P. et al. (2014): Good practices for estimating area and assessing accuracy of
  land change, *Remote Sens. Environ.* 148, 42-57,
  [doi:10.1016/j.rse.2014.02.015](https://doi.org/10.1016/j.rse.2014.02.015).
* Zanaga, D. et al. (2021, 2022): ESA WorldCover 10 m 2020 v100 and 2021 v200,
  [doi:10.5281/zenodo.5571936](https://doi.org/10.5281/zenodo.5571936),
  [doi:10.5281/zenodo.7254221](https://doi.org/10.5281/zenodo.7254221) (the v200 product
  user manual describes the algorithm change).
* T/CI 231-2023, Table 1: the carbon-sink indicators and categories."""),
]

NB06_TCI = [
    md("""\
# The T/CI 231 indicator table

The group standard **T/CI 231-2023** lists in its Table 1 what a city's carbon monitoring
reports: for the **urban atmosphere**, per gas (CO2, CH4, N2O, HFCs, PFCs, SF6, NF3), the
total emission (rate and period amount), its change between periods and the concentration
(column mean, background, enhancement); for **carbon sinks**, per category, the net sink,
removals, stocks and areas. `urbansat.tci231_indicators` builds every satellite row of that
table for a set of boundaries and periods as a **tidy table** (one row per boundary, period,
target and quantity, with value, unit, 1-sigma uncertainty, method, note and status), and
`to_wide` lays it out like the standard, with Chinese and English names.

A row without a number is never a zero: its `status` says why (`not_observable`: no
instrument here measures that gas; `no_data`: nothing observed in that period; `partial`:
too few overpasses for a robust total...). Rows that cannot apply to a boundary are
collapsed into one `not_applicable` line per boundary.

Data: the SMARTCARB image of 2015-04-23 over the **Lusatia** power-plant district (demo
county-level box with Jänschwalde, Schwarze Pumpe and Boxberg)."""),
    md(SETUP_MD),
    code(SETUP),
    md("""\
## 1. The inputs: emissions and concentrations of the district

The emissions are the IME estimates of the three plants (tutorial 3); the table sums the
sources inside each boundary. The concentrations come from `boundary_concentrations`
(tutorial 2)."""),
    code("""\
from urbansat.indicators import boundary_concentrations, tci231_indicators, to_wide

sw = urbansat.open_granules(SAMPLES / "smartcarb" / "Sentinel_7_CO2_2015042311_o1670_l0483.nc")
wind = urbansat.open_wind(SAMPLES / "smartcarb" / "SMARTCARB_winds_2015042311.nc")
b = urbansat.read_boundaries(DEMO / "demo_counties.geojson", level="county", id_field="id")
b = b[b.boundary_id == "lusatia"]
src = pd.read_csv(DEMO / "demo_sources.csv", comment="#")
src = src[src.name.isin(["Janschwalde", "Schwarze Pumpe", "Boxberg"])]
em = urbansat.estimate_emissions(sw, sources=src, wind=wind, method="ime")
conc = boundary_concentrations(sw, b)
em[["emission_t_per_yr", "emission_t_per_yr_uncertainty", "qa_reason"]].to_dataframe()"""),
    code("""\
from urbansat.indicators.concentration import sounding_table
from urbansat.plot.indicators import plot_boundary_map

soundings = sounding_table(sw, b)
inside = soundings[soundings.boundary_id == "lusatia"] if "boundary_id" in soundings else soundings
ax = plot_boundary_map(b.geometry.iloc[0], inside,
                       background=float(conc.background.sel(boundary="lusatia")),
                       units=sw.xco2.attrs["units"], gas="co2")"""),
    md("""\
Boxberg keeps its row with a `qa_reason` (no valid sounding in its plume band): a rejected
source is never dropped silently, and never counted as zero.

## 2. Build the table

`periods=["2015"]` labels the period. The district's emission is `partial`: it sums two of
its three plants: the `method` column says how the value was computed, the `note` column
which plant was rejected and why. (A single
late-morning image is also no annual total: tutorial 4 shows what a year of overpasses
gives.)"""),
    code("""\
table = tci231_indicators(emissions=em, concentrations=conc, boundaries=b, periods=["2015"])
cols = ["target", "indicator", "value", "unit", "uncertainty", "status"]
table[cols]"""),
    code("""\
print(table.status.value_counts().to_dict())
print("emission row:", table.method.iloc[0], "|", table.note.iloc[0])
print("not applicable:", table[table.status == "not_applicable"].note.iloc[0][:400], "...")"""),
    md("""\
The last row lists what does not apply here: the gases no instrument in this job observes
(here CH4, N2O and the fluorinated gases: this image is CO2 only; give an `inventory=` to
fill them as `from_inventory` rows), the sink categories with no area, the change rows (one period
only). `collapse=False` keeps every row, each with its own status:"""),
    code("""\
full = tci231_indicators(emissions=em, concentrations=conc, boundaries=b, periods=["2015"],
                         collapse=False)
print(len(full), "rows uncollapsed;", full.status.value_counts().to_dict())
full[full.target == "sf6"][cols]"""),
    md("""\
## 3. The layout of the standard

`to_wide` gives one column per boundary and period and the standard's hierarchy of subject,
target, indicator and quantity in Chinese and English; `value="cell"` writes
"value ± uncertainty" (or the status) in each cell. A job writes the same table as CSV,
Parquet, netCDF, GeoPackage or JSON (`[outputs] formats`) and into its HTML report."""),
    code("""\
wide = to_wide(table, value="cell")
wide"""),
    md("""\
## References

* T/CI 231-2023, Table 1 (its satellite part): the indicators, targets, categories and their
  Chinese names (translated in `categories.py`).
* The methods behind the rows: tutorials 2 (concentrations), 3 (emissions), 4 (period
  totals) and 5 (sinks) and their references."""),
]

NB07_VALIDATION = [
    md("""\
# Validate against an inventory

Before using satellite estimates for a city report, compare them with what is known. Two
comparisons, with `urbansat.validate_inventory`:

1. against the **known truth** of the SMARTCARB simulation (annual means of 2015), with the
   period totals of a year of CSF estimates (tutorial 4): a test of accuracy *and* of the
   stated uncertainties;
2. against a **real inventory**, the CoCO2 global catalogue of thermal power plants (2018
   emissions, Guevara et al. 2024), with the single-image IME estimates (tutorial 3),
   matched to catalogue plants by location.

The metrics per item are the difference, the ratio and whether the inventory lies within
2 sigma of the estimate; overall: bias, mean ratio, RMSE, correlation and the fraction within
2 sigma."""),
    md(SETUP_MD),
    code(SETUP),
    md("""\
## 1. Period totals against the simulation's truth

An inventory is a table with `inventory_id`, `gas`, `emission_t_per_yr`,
`emission_t_per_yr_uncertainty` and a location (`longitude`/`latitude`) or a `boundary_id`.
Here we build one from the SMARTCARB true annual means (uncertainty 0: it is the truth)."""),
    code("""\
from urbansat.testing.smartcarb_year import smartcarb_year

overpasses, truth, profiles = smartcarb_year(SAMPLES / "smartcarb")
totals = urbansat.period_totals(overpasses, periods=["2015"], profile=profiles)
where = pd.read_csv(SAMPLES / "smartcarb" / "sources-smartcarb.csv", comment="#")
where = where.set_index("source")[["longitude", "latitude"]]
estimates = totals.join(where, on="source")
truth_inventory = pd.DataFrame({
    "inventory_id": list(truth), "gas": "co2",
    "emission_t_per_yr": list(truth.values()), "emission_t_per_yr_uncertainty": 0.0,
}).join(where, on="inventory_id")
res_truth = urbansat.validate_inventory(estimates, truth_inventory, key="location",
                                        max_distance_km=1.0, gas="co2")
cols = ["key", "estimate", "inventory", "ratio", "within_2sigma", "rmse", "correlation", "n"]
res_truth[cols]"""),
    code("""\
from urbansat.plot.validation import plot_validation

overall_truth = res_truth[res_truth.scope == "overall"].iloc[0]
print(f"{int(overall_truth.n)} sources, truth within 2 sigma for "
      f"{overall_truth.within_2sigma:.0%}, mean ratio {overall_truth.ratio:.2f}")
ax = plot_validation(res_truth)"""),
    md("""\
Most sources agree within their uncertainty; the misses (Staudinger above all) are the
sources whose CSF images are biased, which no averaging removes (tutorial 4).

## 2. Single images against the CoCO2 catalogue

`read_inventory` reads the catalogue (CO2, NOx, SOx, CO and CH4 per plant, t yr-1; the
catalogue states no per-plant uncertainty, so it is NaN and "within 2 sigma" uses the
estimate's sigma alone) and matching by location pairs each estimate with the catalogue
plants within `max_distance_km`."""),
    code("""\
from urbansat.ingest.inventory import read_inventory

sw = urbansat.open_granules(SAMPLES / "smartcarb" / "Sentinel_7_CO2_2015042311_o1670_l0483.nc")
wind = urbansat.open_wind(SAMPLES / "smartcarb" / "SMARTCARB_winds_2015042311.nc")
src = pd.read_csv(DEMO / "demo_sources.csv", comment="#")
est = urbansat.estimate_emissions(sw, sources=src[src.name != "Berlin"], wind=wind, method="ime")
coco2 = read_inventory(SAMPLES / "inventory" / "coco2_ps_catalogue_v1.1.csv")
res = urbansat.validate_inventory(est, coco2, key="location", max_distance_km=3.0)
res[res.estimate.notna() | (res.scope == "overall")][cols]"""),
    code("""\
ax = plot_validation(res)"""),
    md("""\
Read this second comparison as a demonstration of the method, not as a validation: the
simulated plants are of 2015 and the catalogue of 2018, and one image gives the emission
*at 11 UTC on one day*, which a power plant can exceed or undershoot its annual mean by a
factor of two. A fair comparison uses period totals of the same year (part 1), and an
inventory's own uncertainty (often 10-30 % for plants, more for cities).

## References

* Guevara, M. et al. (2024): CoCO2 global catalogue of thermal power plants (v1.1), *ESSD*,
  [doi:10.24380/mxjo-nram](https://doi.org/10.24380/mxjo-nram).
* Kuhlmann, G. et al. (2021): Quantifying CO2 emissions of power plants with CO2 and NO2
  imaging satellites, *Front. Remote Sens.* 2, 689838,
  [doi:10.3389/frsen.2021.689838](https://doi.org/10.3389/frsen.2021.689838)
  (SMARTCARB power plants and their truth)."""),
]

NB08_DASK = [
    md("""\
# Scale out on a dask cluster

A city office runs the same job every month over hundreds of granules. `urbansat.run_job`
takes the job as a dictionary or a TOML file (`urbansat run job.toml`): boundaries,
periods, granules, emissions, sinks and outputs. Every granule step (read, select, reduce)
is one **dask task**, so the job runs unchanged on a laptop or a `dask.distributed` cluster
(Rocklin 2015): pass `scheduler="tcp://host:port"` (or `--scheduler` on the command line).
Every finished step is **cached** under the output directory with a key of its inputs
(file contents, options, code version), so a second run recomputes only what changed.

Here a small `LocalCluster` (2 workers, threads, no dashboard) runs the CH4 concentration
indicators of the Bowen Basin granule of tutorial 1."""),
    md(SETUP_MD),
    code(SETUP),
    md("""\
## 1. The job

The same keys as a TOML job file (see `urbansat.pipeline.config`); paths may be globs. The
output directory goes to a temporary folder here."""),
    code("""\
import tempfile

work = Path(tempfile.mkdtemp())
config = {
    "job": {
        "name": "bowen",
        "output_dir": str(work / "out"),
        "periods": {"2022": ["2022-01-01", "2023-01-01"]},
    },
    "boundaries": [
        {"path": str(DEMO / "demo_counties.geojson"), "level": "county", "id_field": "id"}
    ],
    "granules": [
        {"name": "ch4", "paths": [str(SAMPLES / "tropomi_ch4" / "S5P_RPRO_L2__CH4____*.SUB.nc4")]}
    ],
    "outputs": {"formats": ["csv"], "report": False},
}
config"""),
    md("""\
## 2. Run it on a cluster

`LocalCluster(processes=False)` keeps the workers in this process (quick to start, fine for
a tutorial); on a real cluster start a scheduler and workers (`dask scheduler`,
`dask worker tcp://...`, or dask-jobqueue on an HPC system) and pass its address."""),
    code("""\
from distributed import LocalCluster

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
result = urbansat.run_job(config, scheduler=cluster.scheduler_address, progress=False)
print("scheduler used:", result.provenance["options"]["scheduler_used"])
print("steps computed:", len(result.computed))"""),
    md("""\
## 3. Run it again: the cache

The second run (here with the synchronous scheduler, to show that the result does not depend
on where it runs) finds every step in the cache and recomputes nothing; the indicator table
is identical."""),
    code("""\
again = urbansat.run_job(config, scheduler="synchronous", progress=False)
print("second run: computed", len(again.computed), "reused", len(again.reused))
cluster.close()
ok = result.indicators.query("target == 'ch4' and status == 'ok'")
ok[["boundary_id", "indicator", "value", "unit", "uncertainty"]]"""),
    md("""\
## 4. What the job leaves behind

The output folder holds the tables, `job_provenance.json` (every input file with its
sha256, the options and the scheduler; also `result.provenance`), `manifest.json` (which run
wrote the folder, whether it finished, the outputs with their checksums) and the step
cache: enough to reproduce the table, or to show that it was not changed."""),
    code("""\
import json

out = work / "out"
print(sorted(p.name for p in out.iterdir()))
manifest = json.loads((out / "manifest.json").read_text())
print("manifest:", manifest["status"], "| urbansat", manifest["urbansat_version"],
      "|", len(manifest["inputs"]), "inputs,", len(manifest["outputs"]), "outputs")
print("provenance keys:", sorted(result.provenance))"""),
    md("""\
## References

* Rocklin, M. (2015): Dask: parallel computation with blocked algorithms and task
  scheduling, *Proc. 14th Python in Science Conf.*, 130-136,
  [doi:10.25080/Majora-7b98e3ed-013](https://doi.org/10.25080/Majora-7b98e3ed-013).
* `docs/architecture.md`: how a job is split into cached tasks."""),
]

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "01_open_granules": NB01_INGEST,
    "02_clip_to_boundaries": NB02_CLIP,
    "03_estimate_a_plume": NB03_PLUME,
    "04_year_of_totals": NB04_YEAR,
    "05_sinks_two_epochs": NB05_SINKS,
    "06_tci231_table": NB06_TCI,
    "07_validate_against_inventory": NB07_VALIDATION,
    "08_scale_out_on_a_cluster": NB08_DASK,
}


def build() -> list[Path]:
    """Write every notebook (no outputs); remove numbered notebooks no longer built."""
    paths = []
    for name, cells in NOTEBOOKS.items():
        nb = nbf.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.metadata["language_info"] = {"name": "python"}
        nb.cells = [
            nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src)
            for kind, src in cells
        ]
        # stable ids, numbered as nbstripout (the pre-commit hook) numbers them, so that
        # `nbstripout --verify` passes on what this script writes
        for i, cell in enumerate(nb.cells):
            cell["id"] = str(i)
        path = HERE / f"{name}.ipynb"
        nbf.write(nb, path)
        paths.append(path)
    for old in HERE.glob("[0-9][0-9]_*.ipynb"):
        if old.stem not in NOTEBOOKS:
            old.unlink()
    return paths


if __name__ == "__main__":
    for p in build():
        print("wrote", p)
