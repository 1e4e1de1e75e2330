"""Write the example notebooks with nbformat: ``python notebooks/_build.py``.

The notebooks are generated (without outputs) so that they stay reviewable as code
here; ``tests/test_notebooks.py`` executes every one of them on ``data/samples/``.
Each notebook does one task and runs in well under 30 s.
"""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent

SETUP = """\
import os, warnings
from pathlib import Path
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import urbansat

warnings.filterwarnings("ignore", category=urbansat.UrbansatWarning)
# data/samples of the repository (the notebooks run from notebooks/)
SAMPLES = Path(os.environ.get("URBANSAT_SAMPLES", Path.cwd().parent / "data" / "samples")).resolve()
DEMO = Path(urbansat.__file__).parent / "data" / "demo"
"""


def md(text: str) -> tuple[str, str]:
    """A markdown cell."""
    return ("md", text)


def code(text: str) -> tuple[str, str]:
    """A code cell."""
    return ("code", text)


NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "01_ingest_granules": [
        md(
            "# 1 · Ingest a granule and map it\n\nOpen a real TROPOMI CH4 granule (Bowen Basin "
            "coal mines, "
            "2022-07-22) as a normalized, lazy swath and map XCH4 where the producer's QA passes."
        ),
        code(SETUP),
        code("""\
path = next((SAMPLES / "tropomi_ch4").glob("S5P_RPRO_L2__CH4____*.SUB.nc4"))
ds = urbansat.open_granules(path)
print(ds.attrs["product"], dict(ds.sizes), ds.xch4.attrs["units"])
print("soundings passing QA:", int(ds.qa_pass.sum()))"""),
        code("""\
from urbansat.plot.granules import plot_granule

# footprint polygons (the product's own corners), coloured by bias-corrected XCH4
counties = urbansat.read_boundaries(DEMO / "demo_counties.geojson", level="county", id_field="id")
ax = plot_granule(ds, boundaries=counties[counties.boundary_id == "bowen"],
                  title="TROPOMI XCH4, qa_value >= 0.5, 2022-07-22")
good = ds.where(ds.qa_pass)
assert 1750 < float(good.xch4.mean()) < 1950"""),
    ],
    "02_clip_and_grid": [
        md(
            "# 2 · Clip to a boundary and grid\n\nSelect the soundings over a county-level box "
            "with their exact "
            "footprint overlap, reduce them to the boundary mean / background / enhancement, and "
            "oversample the swath onto a 0.05° grid."
        ),
        code(SETUP),
        code("""\
sw = urbansat.open_granules(next((SAMPLES / "tropomi_ch4").glob("S5P_RPRO_L2__CH4____*.SUB.nc4")))
counties = urbansat.read_boundaries(DEMO / "demo_counties.geojson", level="county", id_field="id")
bowen = counties[counties.boundary_id == "bowen"]
sel = urbansat.select_soundings(sw, bowen)
print(sel.attrs["selection_method"], sel.sizes["sounding"], "soundings; overlap range",
      float(sel.overlap_fraction.min()), float(sel.overlap_fraction.max()))"""),
        code("""\
from urbansat.indicators import boundary_concentrations
conc = boundary_concentrations(sw, bowen)
cols = ["column_mean", "background", "enhancement", "enhancement_uncertainty", "n_obs"]
conc[cols].to_dataframe()"""),
        code("""\
grid = urbansat.grid_soundings(sw, resolution=0.05)
fig, ax = plt.subplots(figsize=(6, 4))
grid.xch4.plot(ax=ax, cmap="viridis")
x, y = bowen.geometry.iloc[0].exterior.xy
ax.plot(x, y, "k-")
assert float(conc.enhancement.sel(boundary="bowen")) > 0"""),
    ],
    "03_invert_plume": [
        md(
            "# 3 · Invert a plume\n\nEstimate the emission of the Jänschwalde power plant from "
            "the SMARTCARB "
            "CO2M-like image with the integrated-mass-enhancement method and the COSMO winds, and "
            "compare "
            "with the known truth (42.40 Mt CO2/yr at 11 UTC on 2015-04-23)."
        ),
        code(SETUP),
        code("""\
sw = urbansat.open_granules(SAMPLES / "smartcarb" / "Sentinel_7_CO2_2015042311_o1670_l0483.nc")
wind = urbansat.open_wind(SAMPLES / "smartcarb" / "SMARTCARB_winds_2015042311.nc")
sources = pd.read_csv(DEMO / "demo_sources.csv", comment="#")
sources = sources[sources.name.isin(["Janschwalde", "Berlin"])]
est = urbansat.estimate_emissions(sw, sources=sources, wind=wind, method="ime")
est[["emission_t_per_yr", "emission_t_per_yr_uncertainty", "emission_t_per_yr_lower_2sigma",
     "emission_t_per_yr_upper_2sigma", "qa_reason"]].to_dataframe()"""),
        code("""\
truth = pd.read_csv(SAMPLES / "smartcarb" / "SMARTCARB-CO2-emissions-20150423.csv", comment="#")
print(truth.columns.tolist()[:6])
e = float(est.emission_t_per_yr.sel(source="Janschwalde")) / 1e6
u = float(est.emission_t_per_yr_uncertainty.sel(source="Janschwalde")) / 1e6
lo, hi = (
    float(est[f"emission_t_per_yr_{b}_2sigma"].sel(source="Janschwalde")) / 1e6
    for b in ("lower", "upper")
)
# the 95 % interval is asymmetric: a wind error scales the estimate, so the truth is Q / f
print(f"Jänschwalde: {e:.1f} ± {u:.1f} Mt/yr, 95 % interval {lo:.1f}-{hi:.1f} (truth 42.40)")
assert abs(e - 42.40) < 2 * u and lo <= 42.40 <= hi and hi - e > e - lo"""),
        md(
            'All four methods in one call (`method="all"`): each source is prepared once (window, '
            "wind, "
            "background, detection) and every method runs on it; the result gains an "
            "`inversion_method` dimension."
        ),
        code("""\
every = urbansat.estimate_emissions(sw, sources=sources, wind=wind, method="all")
j = every.sel(source="Janschwalde")
names = [str(m) for m in j.inversion_method.values]
q, lo1, hi1, lo2, hi2 = (
    j[f"emission_t_per_yr{v}"].values / 1e6  # Mt/yr
    for v in ("", "_lower_1sigma", "_upper_1sigma", "_lower_2sigma", "_upper_2sigma")
)
fig, ax = plt.subplots(figsize=(6, 3))
x = np.arange(len(names))
ax.errorbar(
    x, q, yerr=[q - lo2, hi2 - q], fmt="none", ecolor="0.6", capsize=6, label="95 % interval"
)
ax.errorbar(x, q, yerr=[q - lo1, hi1 - q], fmt="o", color="C0", capsize=3, label="68 % interval")
ax.axhline(42.40, color="k", ls="--", label="truth 42.40")
ax.set_xticks(x, names)
ax.set_ylabel("Mt CO$_2$ yr$^{-1}$")
ax.set_title("Jänschwalde, SMARTCARB 2015-04-23 11 UTC")
ax.legend(fontsize=8)
np.testing.assert_array_equal(
    every.emission.sel(inversion_method="ime").values, est.emission.values
)
assert ((lo2 <= 42.40) & (42.40 <= hi2)).all()"""),
    ],
    "04_sink_accounting": [
        md(
            "# 4 · Account sinks between two WorldCover epochs\n\nESA WorldCover 2020 (v100) and "
            "2021 (v200) "
            "over a forest box in southern Príncipe; IPCC 2019 Tier 1 factors for African "
            "tropical rain "
            "forest. (Part of the v100 -> v200 change is an algorithm change, as ESA documents.)"
        ),
        code(SETUP),
        code("""\
lc0 = urbansat.open_landcover(SAMPLES / "landcover/ESA_WorldCover_10m_2020_v100_N00E006_Map.tif")
lc1 = urbansat.open_landcover(SAMPLES / "landcover/ESA_WorldCover_10m_2021_v200_N00E006_Map.tif")
box = urbansat.read_boundaries(DEMO / "demo_regions.geojson", level="region", id_field="id")
box = box[box.boundary_id == "principe"]
x0, y0, x1, y1 = box.total_bounds
lc0 = lc0.sel(x=slice(x0 - 1e-3, x1 + 1e-3), y=slice(y1 + 1e-3, y0 - 1e-3))
lc1 = lc1.sel(x=slice(x0 - 1e-3, x1 + 1e-3), y=slice(y1 + 1e-3, y0 - 1e-3))
sinks = urbansat.account_sinks(
    lc0, lc1, box, factors="ipcc2019", climate_zone="tropical_rainforest_africa"
)
cols = ["area_start", "area_end", "net_sink", "net_sink_uncertainty"]
sinks[cols].sel(boundary="principe").to_dataframe().round(1)"""),
        code("""\
tot = sinks.sel(boundary="principe", category="total")
print(f"total area {float(tot.area_start):.1f} ha -> {float(tot.area_end):.1f} ha")
assert abs(float(tot.area_start) - float(tot.area_end)) < 1e-6 * float(tot.area_start)"""),
    ],
    "05_tci231_table": [
        md(
            "# 5 · Build the T/CI 231 table\n\nEvery satellite row of Table 1 for a boundary and "
            "a period: "
            "the SMARTCARB emission and concentration of the Lusatia district; unobserved gases "
            "are "
            "`not_observable`, never zero. Then the wide layout with Chinese and English names."
        ),
        code(SETUP),
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
table = tci231_indicators(emissions=em, concentrations=conc, boundaries=b, periods=["2015"])
cols = ["target", "indicator", "value", "unit", "uncertainty", "status"]
table[table.status != "not_observable"][cols]"""),
        code("""\
wide = to_wide(table, value="cell")
print(table.status.value_counts().to_dict())
assert (table[table.target == "sf6"].status == "not_observable").all()
wide.head(12)"""),
    ],
    "06_validation": [
        md(
            "# 6 · Validate against an inventory\n\nIME estimates of the SMARTCARB power plants "
            "compared with "
            "the real CoCO2 catalogue (2018, t/yr) matched by location; bias, ratio, RMSE, "
            "correlation "
            "and a 1:1 scatter plot. (The simulation's 2015 plants and the 2018 catalogue differ "
            "in year "
            "and the image gives overpass-time rates: this is a demonstration of the method.)"
        ),
        code(SETUP),
        code("""\
from urbansat.ingest.inventory import read_inventory
from urbansat.plot.validation import plot_validation
sw = urbansat.open_granules(SAMPLES / "smartcarb" / "Sentinel_7_CO2_2015042311_o1670_l0483.nc")
wind = urbansat.open_wind(SAMPLES / "smartcarb" / "SMARTCARB_winds_2015042311.nc")
src = pd.read_csv(DEMO / "demo_sources.csv", comment="#")
est = urbansat.estimate_emissions(sw, sources=src[src.name != "Berlin"], wind=wind, method="ime")
coco2 = read_inventory(SAMPLES / "inventory" / "coco2_ps_catalogue_v1.1.csv")
res = urbansat.validate_inventory(est, coco2, key="location", max_distance_km=3.0)
cols = ["key", "estimate", "inventory", "ratio", "within_2sigma", "rmse", "n"]
res[res.estimate.notna() | (res.scope == "overall")][cols]"""),
        code("""\
ax = plot_validation(res)
assert res.iloc[-1]["n"] >= 2"""),
    ],
    "07_dask_at_scale": [
        md(
            "# 7 · Run at scale on a dask cluster\n\nThe same job runs unchanged on a "
            "`dask.distributed` "
            "cluster: here a small `LocalCluster`; on a real cluster pass "
            '`scheduler="tcp://host:port"` '
            "(or `urbansat run job.toml --scheduler tcp://host:port`). Every granule step is one "
            "task; "
            "finished steps are cached and not recomputed."
        ),
        code(SETUP),
        code("""\
import tempfile
from distributed import LocalCluster
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
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
result = urbansat.run_job(config, scheduler=cluster.scheduler_address, progress=False)
print(result.provenance["options"]["scheduler_used"], "computed", len(result.computed))"""),
        code("""\
again = urbansat.run_job(config, scheduler="synchronous", progress=False)
print("second run: computed", len(again.computed), "reused", len(again.reused))
cluster.close()
cols = ["boundary_id", "target", "indicator", "period", "value"]
pd.testing.assert_frame_equal(result.indicators[cols], again.indicators[cols])
assert again.computed == []
ok = result.indicators.query("target == 'ch4' and status == 'ok'")
ok[["boundary_id", "indicator", "value", "uncertainty"]]"""),
    ],
}


def build() -> list[Path]:
    """Write every notebook; return their paths."""
    paths = []
    for name, cells in NOTEBOOKS.items():
        nb = nbf.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.cells = [
            nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src)
            for kind, src in cells
        ]
        for i, cell in enumerate(nb.cells):  # stable ids: a rebuild changes only edited cells
            cell["id"] = f"{name[:2]}-{i:02d}"
        path = HERE / f"{name}.ipynb"
        nbf.write(nb, path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in build():
        print("wrote", p)
