"""Small real job configurations for the pipeline tests."""

from __future__ import annotations

from pathlib import Path


def small_job(tmp: Path, samples: Path, **job) -> dict:
    """A small real job: the TROPOMI CH4 Bowen granule, one county box, IME on granule winds."""
    import geopandas as gpd
    from shapely.geometry import box

    tmp.mkdir(parents=True, exist_ok=True)
    b = tmp / "bowen.geojson"
    gpd.GeoDataFrame(
        {"id": ["bowen"], "name": ["Bowen box"]},
        geometry=[box(148.4, -23.0, 149.3, -22.3)],
        crs=4326,
    ).to_file(b, driver="GeoJSON")
    return {
        "job": {
            "name": "small",
            "output_dir": str(tmp / "out"),
            "periods": {"2022": ["2022-01-01", "2023-01-01"]},
            **job,
        },
        "boundaries": [{"path": str(b), "level": "county", "id_field": "id"}],
        "granules": [
            {
                "name": "ch4",
                "paths": [str(samples / "tropomi_ch4" / "S5P_RPRO_L2__CH4____*.SUB.nc4")],
            }
        ],
        "emissions": [{"granules": "ch4", "method": "ime", "boundaries": True, "wind": "granule"}],
        "outputs": {"formats": ["csv"], "report": False},
    }
