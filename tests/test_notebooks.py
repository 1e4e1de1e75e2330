"""Execute every tutorial notebook (notebooks/NN_*.ipynb) on data/samples and check its results.

The notebooks are tutorials: no asserts inside. Each one is executed with nbclient as stored
(headless: ``MPLBACKEND=Agg``), then a hidden check cell from :data:`CHECKS` runs in the same
kernel and asserts on the notebook's variables. The check cell is added to the in-memory copy
only, never written to the notebook.
"""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))

#: Hidden check cell per notebook: runs after the notebook, in its kernel, on its variables.
CHECKS: dict[str, str] = {
    "01_open_granules": """\
assert ds.attrs["product"] == "tropomi_l2_ch4", ds.attrs["product"]
assert type(ds.xch4.data).__module__.startswith("dask"), "open_granules must stay lazy"
assert n_qa == 269, n_qa  # data/samples/tropomi_ch4/PROVENANCE.md: 269 with qa_value >= 0.5
assert n_finite > n_qa, (n_finite, n_qa)
assert 1750 < xch4_mean < 1950, xch4_mean
assert 0 < precision < xch4_std, (precision, xch4_std)
assert len(plt.get_fignums()) >= 2, plt.get_fignums()  # QA histogram, footprint map
""",
    "02_clip_to_boundaries": """\
assert sel.sizes["sounding"] > 0
assert 0 < overlap.min() and overlap.max() <= 1, (overlap.min(), overlap.max())
assert 0 < (overlap == 1).sum() < overlap.size  # some inside, some on the edge
assert int(conc.n_obs.sel(boundary="bowen")) == sel.sizes["sounding"]
assert float(conc.enhancement.sel(boundary="bowen")) > 0
assert float(conc.enhancement_uncertainty.sel(boundary="bowen")) > 0
np.testing.assert_allclose(
    float(conc.enhancement.sel(boundary="bowen")),
    float(conc.column_mean.sel(boundary="bowen")) - float(conc.background.sel(boundary="bowen")),
    rtol=1e-6,
)
g = float(grid.xch4.mean())
assert 1750 < g < 1950, g
assert len(plt.get_fignums()) >= 2, plt.get_fignums()
""",
    "03_estimate_a_plume": """\
assert abs(e - 42.40) < 2 * u, (e, u)
assert lo <= 42.40 <= hi, (lo, hi)
assert hi - e > e - lo, (lo, e, hi)  # a wind error scales the estimate: asymmetric interval
ime = every.emission.sel(inversion_method="ime").values
np.testing.assert_array_equal(ime, est.emission.values)
assert ((lo2 <= 42.40) & (42.40 <= hi2)).all(), list(zip(names, lo2, hi2))
assert sorted(names) == ["bayesian", "csf", "gaussian", "ime"], names
np.testing.assert_allclose(
    sum(share), float(j.emission_uncertainty) ** 2, rtol=1e-6
)  # the budget terms add in quadrature to the total
assert len(plt.get_fignums()) >= 3, plt.get_fignums()
""",
    "04_year_of_totals": """\
assert len(totals) == 16 and (totals.status == "ok").all(), totals.status.value_counts()
assert synthetic.iloc[:, 0].mean() > 0.1, synthetic.mean()  # overpass sampling bias
assert abs(synthetic.iloc[:, 1].mean()) < 0.05, synthetic.mean()  # removed by the correction
assert (synthetic.z.abs() <= 2).mean() >= 0.85, synthetic.z.tolist()
assert within_2sigma >= 14, within_2sigma  # docs/period_totals.md: 14/16
assert rel_fit.median() < 0.25, rel_fit.median()  # documented 20.2 %
assert rel_plain.median() > 1.0, rel_plain.median()  # documented 259 %
np.testing.assert_allclose(
    np.sqrt(totals.uncertainty_retrieval**2 + totals.uncertainty_sampling**2
            + totals.uncertainty_profile**2),
    totals.emission_t_per_yr_uncertainty, rtol=1e-6,
)
np.testing.assert_allclose(
    totals.total_t, totals.emission_t_per_yr * totals.period_years, rtol=1e-9
)
# late-morning overpasses sit above the daily mean: the correction lowers the period mean
assert (details.groupby("source").factor.mean() > 1).all()
assert ratio.median() < 1, ratio.median()
assert len(plt.get_fignums()) >= 4, plt.get_fignums()
""",
    "05_sinks_two_epochs": """\
assert abs(float(tot.area_start) - float(tot.area_end)) < 1e-6 * float(tot.area_start)
assert float(tot.area_start) > 1000, float(tot.area_start)
np.testing.assert_allclose(
    float(tot.net_sink), float(tot.gross_removals) - float(tot.gross_emissions), rtol=1e-9
)
assert float(tot.net_sink_uncertainty) > 0
forest = sinks.sel(boundary="principe", category="forest")
assert float(forest.net_sink) > 0 and float(forest.area_start) > 0.9 * float(tot.area_start)
assert "product_version_change (v100 -> v200)" in sinks.attrs["transition_flags"]
assert len(plt.get_fignums()) >= 2, plt.get_fignums()
""",
    "06_tci231_table": """\
assert (table.status == "not_applicable").sum() == 1
assert "sf6" in table[table.status == "not_applicable"].note.iloc[0]
sf6 = full[full.target == "sf6"]
assert len(sf6) > 0 and (sf6.status == "not_observable").all(), sf6.status.tolist()
assert sf6.value.isna().all()  # not observable is never zero
rate = table[table.indicator == "total_emission.emission_rate"].iloc[0]
assert rate.status == "partial" and "rejected Boxberg" in rate.note, rate.note
assert "rejected" not in rate.method, rate.method
np.testing.assert_allclose(rate.value, float(em.emission_t_per_yr.sum(skipna=True)), rtol=1e-9)
enh = table[table.indicator == "concentration.enhancement"].iloc[0]
assert enh.status == "ok" and enh.value > 0 and enh.unit == "ppm", enh.to_dict()
assert (table[table.status == "ok"].value.notna()).all()
assert wide.shape[1] == 1 and len(wide) == len(table), wide.shape
assert len(plt.get_fignums()) >= 1, plt.get_fignums()
""",
    "07_validate_against_inventory": """\
assert int(overall_truth.n) == 16, overall_truth.n
assert overall_truth.within_2sigma >= 14 / 16, overall_truth.within_2sigma
assert 0.8 < overall_truth.ratio < 1.5, overall_truth.ratio
assert res_truth.iloc[-1]["scope"] == "overall"
assert res.iloc[-1]["scope"] == "overall" and res.iloc[-1]["n"] >= 2, res.iloc[-1].to_dict()
assert len(plt.get_fignums()) >= 2, plt.get_fignums()
""",
    "08_scale_out_on_a_cluster": """\
assert result.provenance["options"]["scheduler_used"] != "synchronous"
assert len(result.computed) >= 1
assert again.computed == [] and len(again.reused) == len(result.computed)
cols = ["boundary_id", "target", "indicator", "period", "value"]
pd.testing.assert_frame_equal(result.indicators[cols], again.indicators[cols])
assert len(ok) == 3 and ok.value.notna().all(), ok
assert manifest["status"] == "complete" and len(manifest["outputs"]) >= 1, manifest["status"]
assert {"indicators.csv", "job_provenance.json", "manifest.json"} <= {p.name for p in out.iterdir()}
""",
}

_LOCAL = "warnings stay visible: catch one locally (indented), with a reason"
#: line starts a notebook may not have, and why
_FORBIDDEN = {
    "assert ": "asserts belong in tests/test_notebooks.py CHECKS",
    "warnings.filterwarnings(": _LOCAL,
    "warnings.simplefilter(": _LOCAL,
    "matplotlib.use(": "figures render inline; the test sets MPLBACKEND=Agg",
    "%matplotlib agg": "figures render inline; the test sets MPLBACKEND=Agg",
}


def _build_module():
    spec = importlib.util.spec_from_file_location("nb_build", NB_DIR / "_build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_notebooks_are_generated_from_build_script():
    mod = _build_module()
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(mod.NOTEBOOKS)
    assert sorted(CHECKS) == sorted(mod.NOTEBOOKS), "every notebook needs a CHECKS entry"
    for p in NOTEBOOKS:
        nb = nbformat.read(p, as_version=4)
        assert [c.source for c in nb.cells] == [src for _, src in mod.NOTEBOOKS[p.stem]], (
            f"{p.name} differs from _build.py: rerun it"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_a_stripped_tutorial(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    n_md = sum(c.cell_type == "markdown" for c in nb.cells)
    n_code = sum(c.cell_type == "code" for c in nb.cells)
    assert n_md >= n_code, f"{path.name}: {n_md} prose cells for {n_code} code cells"
    assert "## References" in "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        assert c.get("outputs", []) == [] and c.get("execution_count") is None, (
            f"{path.name} is stored with outputs: rerun notebooks/_build.py (or nbstripout)"
        )
        for line in c.source.splitlines():
            for start, why in _FORBIDDEN.items():
                # asserts nowhere; global warning filters and backends at the top level
                bad = (
                    line.lstrip().startswith(start)
                    if start == "assert "
                    else line.startswith(start)
                )
                assert not bad, f"{path.name}: {line!r}: {why}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, project_samples, monkeypatch):
    monkeypatch.setenv("URBANSAT_SAMPLES", str(project_samples))
    monkeypatch.setenv("MPLBACKEND", "Agg")  # headless in CI; figures still exist (plt.get_fignums)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CHECKS[path.stem]))  # hidden, in memory only
    t0 = time.perf_counter()
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(NB_DIR)}},
    )
    client.execute()
    elapsed = time.perf_counter() - t0
    stderr = "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "stream" and o.name == "stderr"
    )
    for i, cell in enumerate(nb.cells):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        where = "hidden check cell" if i == len(nb.cells) - 1 else f"cell {i}"
        assert not errors, (
            f"{path.name}, {where}: {errors[0].ename}: {errors[0].evalue}\n"
            + re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(errors[0].traceback[-3:]))
            + (f"\nstderr of the notebook:\n{stderr}" if stderr else "")
        )
    assert elapsed < 60, f"{path.name} took {elapsed:.0f} s; keep each notebook under 60 s"
