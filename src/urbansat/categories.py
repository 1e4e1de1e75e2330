"""Shared vocabulary of T/CI 231-2023 Table 1 (satellite part).

Canonical machine names, English and Chinese labels of the monitored targets
and indicators, as translated in ``shared/spec/tci231-table1.md``. Every module
that names a gas, a sink category, a scope or an indicator uses these keys.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "ATMOSPHERE_INDICATORS",
    "ATMOSPHERE_SCOPES",
    "BOUNDARY_LEVELS",
    "GASES",
    "LANDCOVER_SINK_CATEGORIES",
    "NON_SINK_CLASSES",
    "OBSERVABLE_GASES",
    "PRODUCT_LEGENDS",
    "PROJECT_SINK_CATEGORIES",
    "SINK_CATEGORIES",
    "SINK_INDICATORS",
    "SINK_SCOPES",
    "BoundaryLevel",
]

BoundaryLevel = Literal["region", "county", "park", "project"]

#: Boundary levels of Table 1 (region = city or district, county, industrial park,
#: observation-project boundary).
BOUNDARY_LEVELS: Final[tuple[str, ...]] = ("region", "county", "park", "project")
ATMOSPHERE_SCOPES: Final[tuple[str, ...]] = ("region", "county", "park")
SINK_SCOPES: Final[tuple[str, ...]] = ("region", "county", "project")

#: Row A targets: key -> (English, Chinese).
GASES: Final[dict[str, tuple[str, str]]] = {
    "co2": ("CO2", "二氧化碳"),
    "ch4": ("CH4", "甲烷"),
    "n2o": ("N2O", "氧化亚氮"),
    "pfcs": ("PFCs", "全氟化碳"),
    "hfcs": ("HFCs", "氢氟碳化物"),
    "sf6": ("SF6", "六氟化硫"),
}

#: Gases with an operational satellite column product read by urbansat.
OBSERVABLE_GASES: Final[tuple[str, ...]] = ("co2", "ch4")

#: Row B targets in Table 1 order: key -> (English, Chinese).
SINK_CATEGORIES: Final[dict[str, tuple[str, str]]] = {
    "forest": ("forest land", "林地"),
    "shrub": ("shrub", "灌木"),
    "grassland": ("grassland", "草地"),
    "wetland": ("wetland", "湿地"),
    "soil_water_conservation": ("soil and water conservation", "水土保持"),
    "sandy_land": ("sandy land", "沙地"),
    "cropland": ("cropland", "耕地"),
    "mangrove": ("mangrove", "红树林"),
    "salt_marsh": ("coastal salt marsh / tidal algae", "滨海盐藻"),
    "seagrass": ("seagrass bed", "海草床"),
    "other_projects": ("other ecological carbon-sink projects", "其他生态碳汇项目"),
}

#: Categories that come from land-cover classes.
LANDCOVER_SINK_CATEGORIES: Final[tuple[str, ...]] = (
    "forest",
    "shrub",
    "grassland",
    "wetland",
    "sandy_land",
    "cropland",
    "mangrove",
    "salt_marsh",
    "seagrass",
)
#: Categories that come from user project polygons with their own factors.
PROJECT_SINK_CATEGORIES: Final[tuple[str, ...]] = ("soil_water_conservation", "other_projects")

#: Land-cover targets of legend mapping that are not sinks.
NON_SINK_CLASSES: Final[tuple[str, ...]] = ("built_up", "water", "snow_ice", "bare", "nodata")

#: Row A indicators: key -> (English, Chinese).
ATMOSPHERE_INDICATORS: Final[dict[str, tuple[str, str]]] = {
    "total_emission": ("total carbon emission", "碳排放总量"),
    "concentration": ("carbon emission concentration", "碳排放浓度"),
    "emission_change": ("carbon emission change", "碳排放变化"),
}

#: Row B indicators: key -> (English, Chinese).
SINK_INDICATORS: Final[dict[str, tuple[str, str]]] = {
    "total_sink": ("total ecological carbon sink", "生态碳汇总量"),
    "sink_change": ("change of ecological carbon sink", "生态碳汇变化"),
    "resource_change": ("change of ecological resources", "生态资源变化"),
}


#: Packaged legend (``urbansat/data/legends/<name>.csv``) of each land-cover product: the one
#: map that ``urbansat.ingest.landcover`` (which may not import sinks) and
#: ``urbansat.sinks.legends`` both use.
PRODUCT_LEGENDS: Final[dict[str, str]] = {
    "worldcover": "worldcover_v1",
    "esa_cci_lc": "esa_cci_lc_v1",
    "modis_mcd12q1": "modis_igbp_v1",
    "clcd": "clcd_v1",
    "corine_clc": "corine_clc_v1",
}
