#!/usr/bin/python3
"""InaSAFE's peer suite through twinrisk's own CLI: one ctest per case marked verified.

    inasafe_peer.py TWINRISK PEER_SUITE_DIR CASE_ID

Reads the expected numbers from PEER_SUITE_DIR/expected_cases.json (never from this file), writes
a pipeline that asks twinrisk for the same analysis with InaSAFE's conventions, runs
`twinrisk run`, and compares the CSV tables and layers it writes. Exit 0 pass, 1 fail, 77 skip
(the peer suite is not on this machine).
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

TWINRISK = Path(sys.argv[1])
SUITE = Path(sys.argv[2])
CASE = sys.argv[3]

if not (SUITE / "expected_cases.json").exists():
    print(f"skip: no peer suite at {SUITE}")
    sys.exit(77)

EXPECTED = {case["id"]: case for case in json.loads((SUITE / "expected_cases.json").read_text())["cases"]}
V4 = SUITE / "inasafe/inasafe/safe/test/data/gisv4"
V3 = SUITE / "inasafe/inasafe-legacy-2016-a3d7555/safe/test/data"
# InaSAFE's value maps (the keyword .xml files beside the layers).
BUILDING_TYPES = {"house": "residential", "shop": "commercial", "school": "education", "hospital": "health",
                  "ministry": "government", "unknown": "other"}
ROAD_TYPES = {"primary_road": "primary", "secondary_road": "secondary"}
FAILURES = []
# Every pipeline, world polygon and output of this run lives under one folder, removed on exit.
SCRATCH = tempfile.TemporaryDirectory(prefix="twinrisk-peer-")
# InaSAFE cuts and measures in the layers' own CRS, longitude/latitude (WGS 84). In the equidistant
# cylindrical projection (EPSG:4087) a line is straight exactly where it is straight in longitude
# and latitude, so cutting there cuts where InaSAFE cuts; lengths stay ellipsoidal (WGS 84).
INASAFE_CRS = "EPSG:4087"


def check(label, got, expected, tolerance=0.0):
    ok = abs(got - expected) <= tolerance if isinstance(expected, (int, float)) else got == expected
    print(f"{'ok  ' if ok else 'FAIL'} {label}: twinrisk {got}, InaSAFE {expected}"
          + (f" (± {tolerance})" if tolerance else ""))
    if not ok:
        FAILURES.append(label)


def run(pipeline):
    work = Path(tempfile.mkdtemp(dir=SCRATCH.name))
    (work / "p.yaml").write_text(pipeline)
    out = work / "out"
    result = subprocess.run([str(TWINRISK), "--progress", "none", "run", str(work / "p.yaml"), "-o", str(out)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout, result.stderr)
        sys.exit(1)
    return out


def table(out, name):
    with open(out / "tables" / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def features(out, layer):
    from osgeo import ogr
    dataset = ogr.Open(str(out / "twinrisk.gpkg"))
    return [(feature, feature.GetGeometryRef().Clone()) for feature in dataset.GetLayerByName(layer)]


def world(folder):
    """A polygon around all the Jakarta data: one 'municipality', so that zones are the hazard alone."""
    path = Path(folder) / "world.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "world"},
        "geometry": {"type": "Polygon", "coordinates": [[[106, -7], [108, -7], [108, -5], [106, -5], [106, -7]]]}}]}))
    return path


def v4_layers(assets, category):
    return f"""analysis_crs: {INASAFE_CRS}
layers:
  areas: {{ source: {V4}/aggregation/small_grid.geojson, role: municipalities, fields: {{ id: area_name, name: area_name, country: "=ID" }} }}
  analysis: {{ source: {V4}/aggregation/small_grid.geojson, role: hazard }}
  hazard: {{ source: {V4}/hazard/classified_vector.geojson, role: hazard, fields: {{ class: hazard_value }} }}
  assets: {{ source: {V4}/exposure/{assets}, role: infrastructure, fields: {{ category: {category} }} }}
"""


def counts_in_areas(rows, key):
    """Sum of count per key(row) over rows inside an aggregation area."""
    out = defaultdict(int)
    for row in rows:
        if row["municipality_id"]:
            out[key(row)] += int(row["count"])
    return out


def v4_points():
    expected = EXPECTED["inasafe_v4_points_classified_polygon_aggregated"]["expected"]
    out = run(v4_layers("building-points.geojson", "exposure_type") + """steps:
  - shared-zones: { municipalities: areas, hazard: hazard }
  - exposure: { zone_parts: zone_parts, assets: [assets] }
  - shared-zones: { municipalities: areas, hazard: analysis, as: analysis }
  - exposure: { zone_parts: analysis_zone_parts, assets: [assets], as: analysis }
""")
    rows = table(out, "exposure_by_municipality")
    in_analysis = sum(counts_in_areas(table(out, "analysis_exposure_by_municipality"), lambda r: 1).values())
    by_class = counts_in_areas(rows, lambda r: r["class"])
    check("points in the analysis", in_analysis, expected["points_in_analysis"])
    for hazard_class in ("high", "medium", "low"):
        check(f"points in {hazard_class}", by_class.get(hazard_class, 0), expected[hazard_class])
    exposed = sum(by_class.get(c, 0) for c in ("high", "medium", "low"))
    check("points exposed", exposed, expected["total_exposed"])
    check("points not exposed", in_analysis - exposed, expected["not_exposed"])
    affected = [r for r in rows if r["class"] in ("high", "medium")]
    per_area = counts_in_areas(affected, lambda r: r["municipality_id"])
    for area, count in expected["affected_per_area"].items():
        check(f"affected points in {area}", per_area.get(area, 0), count)
    per_type = counts_in_areas(affected, lambda r: (r["municipality_id"], BUILDING_TYPES.get(r["category"], "other")))
    for area, types in expected["affected_per_area_type"].items():
        for kind, count in types.items():
            check(f"affected {kind} points in {area}", per_type.get((area, kind), 0), count)


def v4_buildings():
    expected = EXPECTED["inasafe_v4_building_polygons_highest_class"]["expected"]
    # InaSAFE's indivisible buildings: whole, in the highest class touched, in the first area.
    whole = "polygons: whole, whole_part: first"
    out = run(v4_layers("buildings.geojson", "exposure_type") + f"""steps:
  - shared-zones: {{ municipalities: areas, hazard: hazard }}
  - exposure: {{ zone_parts: zone_parts, assets: [assets], {whole}, class_order: [low, medium, high] }}
  - shared-zones: {{ municipalities: areas, hazard: analysis, as: analysis }}
  - exposure: {{ zone_parts: analysis_zone_parts, assets: [assets], {whole}, as: analysis }}
""")
    rows = table(out, "exposure_by_municipality")
    analysis_rows = table(out, "analysis_exposure_by_municipality")
    in_analysis = sum(counts_in_areas(analysis_rows, lambda r: 1).values())
    check("buildings in the analysis", in_analysis, expected["buildings_in_analysis"])
    by_class = counts_in_areas(rows, lambda r: r["class"])
    check("buildings high", by_class.get("high", 0), expected["high"])
    check("buildings medium", by_class.get("medium", 0), expected["medium"])
    affected = by_class.get("high", 0) + by_class.get("medium", 0)
    check("buildings affected", affected, expected["total_affected"])
    check("buildings not exposed", in_analysis - affected - by_class.get("low", 0), expected["not_exposed"])
    kind = lambda r: BUILDING_TYPES.get(r["category"], "other")  # noqa: E731
    totals = counts_in_areas(analysis_rows, kind)
    per_class = counts_in_areas(rows, lambda r: (kind(r), r["class"]))
    for building_type, numbers in expected["by_type"].items():
        for key, count in numbers.items():
            if key == "total":
                got = totals.get(building_type, 0)
            elif key == "not_exposed":
                got = totals.get(building_type, 0) - sum(per_class.get((building_type, c), 0)
                                                          for c in ("high", "medium", "low"))
            else:
                got = per_class.get((building_type, key), 0)
            check(f"{building_type} buildings {key}", got, count)
    affected_rows = [r for r in rows if r["class"] in ("high", "medium")]
    per_area_type = counts_in_areas(affected_rows, lambda r: (r["municipality_id"], kind(r)))
    per_area = counts_in_areas(affected_rows, lambda r: r["municipality_id"])
    for area, numbers in expected["affected_per_area"].items():
        for building_type, count in numbers.items():
            got = per_area[area] if building_type == "total" else per_area_type.get((area, building_type), 0)
            check(f"affected {building_type} buildings in {area}", got, count)


def v4_roads():
    case = EXPECTED["inasafe_v4_roads_length_by_class_and_area"]
    expected = case["expected"]
    out = run(v4_layers("roads.geojson", "exposure_type") + """steps:
  - shared-zones: { municipalities: areas, hazard: hazard }
  - exposure: { zone_parts: zone_parts, assets: [assets], measure: ellipsoidal }
  - shared-zones: { municipalities: areas, hazard: analysis, as: analysis }
  - exposure: { zone_parts: analysis_zone_parts, assets: [assets], measure: ellipsoidal, as: analysis }
""")
    rows = [r for r in table(out, "exposure_by_municipality") if r["municipality_id"]]
    length = defaultdict(float)
    for row in rows:
        length[row["class"]] += float(row["length_m"])
        if row["class"] in ("high", "medium"):
            length[row["municipality_id"]] += float(row["length_m"])
            length[(row["municipality_id"], ROAD_TYPES.get(row["category"], row["category"]))] += float(row["length_m"])
    # "verified: yes within 1 m" (SpatiaLite's geodesic lengths against InaSAFE's rounded metres).
    check("road length high (m)", length["high"], expected["high_m"], 1.0)
    check("road length medium (m)", length["medium"], expected["medium_m"], 1.0)
    check("road length affected (m)", length["high"] + length["medium"], expected["total_affected_m"], 1.0)
    # InaSAFE's total is the roads' length inside the analysis extent (the aggregation areas).
    total = sum(float(r["length_m"]) for r in table(out, "analysis_exposure_by_municipality") if r["municipality_id"])
    check("road length in the analysis (m)", total, expected["total_m"], 1.0)
    check("road length not exposed (m)", total - length["high"] - length["medium"], expected["not_exposed_m"], 1.0)
    for area, metres in expected["affected_per_area_m"].items():
        check(f"affected road length in {area} (m)", length[area], metres, 1.0)
    check("primary roads affected in area 3 (m)", length[("area 3", "primary")], expected["area 3 primary_m"], 1.0)
    check("secondary roads affected in area 3 (m)", length[("area 3", "secondary")], expected["area 3 secondary_m"], 1.0)


def v4_intersection():
    expected = EXPECTED["inasafe_v4_intersection_roads_hazard"]["expected"]
    folder = tempfile.mkdtemp(dir=SCRATCH.name)
    out = run(f"""analysis_crs: {INASAFE_CRS}
layers:
  world: {{ source: {world(folder)}, role: municipalities, fields: {{ id: id }} }}
  hazard: {{ source: {V4}/hazard/classified_vector.geojson, role: hazard, fields: {{ class: hazard_value }} }}
  roads: {{ source: {V4}/exposure/roads.geojson, role: infrastructure, fields: {{ category: exposure_type }} }}
steps:
  - shared-zones: {{ municipalities: world, hazard: hazard }}
  - exposure: {{ zone_parts: zone_parts, assets: [roads] }}
""")
    pieces = features(out, "exposed_assets")
    check("road pieces in hazard polygons", len(pieces), expected["features"])
    check("of them in the class-less polygon", sum(1 for f, g in pieces if not f.GetField("class")), 1)


V3_EXTENT = "[106.808010, -6.195310, 106.834569, -6.167526]"


def v3_layers(assets, folder):
    return f"""analysis_crs: {INASAFE_CRS}
layers:
  world: {{ source: {world(folder)}, role: municipalities, fields: {{ id: id }} }}
  flooded: {{ source: {V3}/hazard/flood_multipart_polygons.shp, role: hazard, where: "FLOODPRONE = 'YES'" }}
  assets: {{ source: {V3}/exposure/{assets}, role: infrastructure, fields: {{ category: "=asset" }}, bbox: {V3_EXTENT} }}
"""


def v3_buildings():
    expected = EXPECTED["inasafe_v3_flood_polygon_buildings"]["expected"]
    folder = tempfile.mkdtemp(dir=SCRATCH.name)
    out = run(v3_layers("buildings.shp", folder) + """steps:
  - shared-zones: { municipalities: world, hazard: flooded }
  - exposure: { zone_parts: zone_parts, assets: [assets], polygons: whole }
""")
    totals = table(out, "exposure_totals")[0]
    check("buildings in the hazard's extent", int(totals["assets"]), expected["buildings_in_extent"])
    check("buildings flooded", int(totals["exposed_assets"]), expected["flooded"])


def v3_roads():
    case = EXPECTED["inasafe_v3_flood_polygon_roads"]
    folder = tempfile.mkdtemp(dir=SCRATCH.name)
    out = run(v3_layers("roads.shp", folder) + """steps:
  - shared-zones: { municipalities: world, hazard: flooded }
  - exposure: { zone_parts: zone_parts, assets: [assets] }
""")
    pieces = features(out, "exposed_assets")
    # InaSAFE counts the lines of road ∩ extent ∩ union(flooded polygons): its pieces' parts.
    parts = sum(geometry.GetGeometryCount() if geometry.GetGeometryCount() else 1 for _, geometry in pieces)
    check("flooded road pieces", parts, case["expected"]["flooded_road_pieces"])
    check("distinct flooded roads (noted, not asserted by InaSAFE)",
          len({feature.GetField("asset_id") for feature, _ in pieces}), 63)


def v3_depth_buildings():
    expected = EXPECTED["inasafe_v3_flood_depth_raster_buildings"]["expected"]
    out = run(f"""analysis_crs: {INASAFE_CRS}
layers:
  depth: {{ source: {V3}/hazard/continuous_flood_20_20.asc, role: raster }}
  buildings: {{ source: {V3}/exposure/buildings.shp, role: features }}
steps:
  # InaSAFE: depth at each building's centroid, bilinear between cell centres; ≥ 1 m inundated.
  - depth-stats: {{ features: buildings, depth: depth, depth_bands: [0, 1], polygon_depth: centroid, sampling: bilinear }}
""")
    classes = defaultdict(int)
    for feature, _ in features(out, "depth_stats"):
        depth = feature.GetField("depth_m")
        classes["dry" if depth is None or depth <= 0 else "inundated" if depth >= 1.0 else "wet"] += 1
    check("buildings", sum(classes.values()), expected["buildings"])
    for key in ("inundated", "wet", "dry"):
        check(f"buildings {key}", classes[key], expected[key])


CASES = {
    "inasafe_v4_points_classified_polygon_aggregated": v4_points,
    "inasafe_v4_building_polygons_highest_class": v4_buildings,
    "inasafe_v4_roads_length_by_class_and_area": v4_roads,
    "inasafe_v4_intersection_roads_hazard": v4_intersection,
    "inasafe_v3_flood_polygon_buildings": v3_buildings,
    "inasafe_v3_flood_polygon_roads": v3_roads,
    "inasafe_v3_flood_depth_raster_buildings": v3_depth_buildings,
}

if CASE == "--coverage":
    # Every case the suite marks verified must have a check here.
    missing = [case_id for case_id, case in EXPECTED.items() if case.get("verified") and case_id not in CASES]
    for case_id, case in EXPECTED.items():
        print(case_id, "verified" if case.get("verified") else "not verified", "checked" if case_id in CASES else "")
    sys.exit(1 if missing else 0)
if not EXPECTED[CASE].get("verified"):
    print(f"skip: {CASE} is not marked verified in expected_cases.json")
    sys.exit(77)
CASES[CASE]()
print(f"{CASE}: {'FAIL ' + ', '.join(FAILURES) if FAILURES else 'pass'}")
sys.exit(1 if FAILURES else 0)
