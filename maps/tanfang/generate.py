#!/usr/bin/env python3
"""Generate the SCHEMATIC demo geography of 谭坊镇 (Tanfang town, 青州市, Shandong).

How to run (from the repository root):

    pip install shapely==2.2.0        # brings numpy with it
    python3 maps/tanfang/generate.py  # writes grids.geojson and rivers.geojson next to this file
    python3 maps/tanfang/generate.py --check   # same, then prints the verification report

The output is deterministic: every random draw comes from fixed seeds, and the
same shapely/GEOS version writes the same bytes on every run.

The shapes are invented: village and community NAMES are real, their outlines
are not official boundaries. See README.md in this folder for the method, the
property schema and the rules a real replacement file must satisfy.

Method in brief
  1. A hand-drawn irregular town outline (33 vertices) in a local kilometre
     plane centred on 118.62°E 36.73°N, scaled so that its ellipsoidal area is
     159.9 km². Its western edge follows the 弥河 (the town lies on the east bank).
  2. Nine community seed points laid out 3 x 3 (谭坊 in the centre), a power
     diagram (weighted Voronoi) of them clipped to the outline, with the weights
     tuned so each community's area is proportional to its number of villages.
  3. Inside each community the same again with random village seed points
     (equal-ish areas, ±20 % jitter); names are then matched to cells by a
     direction hint per village (西石 west of 东石, 北魏 north of 南魏 ...).
  4. All village boundaries are noded together once (shapely, 1 mm grid), so
     every shared edge exists exactly once; each edge is densified, gently bent
     by a smooth displacement field that vanishes on the town outline, projected
     to lon/lat and rounded to 6 decimals. Villages, communities and the town
     are then rebuilt by polygonizing those SAME rounded edges, so neighbours
     share bit-identical vertices and the hierarchy tiles exactly.
  5. Rivers: the 弥河 runs south to north 300–800 m inside the western edge;
     洗耳河, 尧河 and 猪龙河 meander west/north-west across the town and end on a
     vertex of the 弥河.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import polylabel

HERE = Path(__file__).resolve().parent
VILLAGES_TXT = HERE.parent.parent.parent / "shared" / "data" / "villages.txt"  # only used for a cross-check

# ---------------------------------------------------------------------------
# Geodesy: local plane <-> WGS84
# ---------------------------------------------------------------------------
LON0, LAT0 = 118.62, 36.73
WGS_A = 6378137.0
WGS_F = 1 / 298.257223563
WGS_E2 = WGS_F * (2 - WGS_F)
WGS_E = math.sqrt(WGS_E2)
_s0 = math.sin(math.radians(LAT0))
_w0 = 1 - WGS_E2 * _s0 * _s0
KM_PER_DEG_LAT = WGS_A * (1 - WGS_E2) / _w0**1.5 * math.pi / 180 / 1000  # meridian radius M
KM_PER_DEG_LON = WGS_A / math.sqrt(_w0) * math.cos(math.radians(LAT0)) * math.pi / 180 / 1000  # N cos(phi)

TARGET_AREA_KM2 = 159.9
GRID_KM = 1e-6  # 1 mm noding grid in the local plane


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    """Local km plane -> (lon, lat) rounded to 6 decimals."""
    return (round(LON0 + x / KM_PER_DEG_LON, 6), round(LAT0 + y / KM_PER_DEG_LAT, 6))


def _authalic_q(lat_deg: np.ndarray) -> np.ndarray:
    s = np.sin(np.radians(lat_deg))
    return (1 - WGS_E2) * (s / (1 - WGS_E2 * s * s) - 1 / (2 * WGS_E) * np.log((1 - WGS_E * s) / (1 + WGS_E * s)))


def ellipsoid_area_m2(geom) -> float:
    """Area on the WGS84 ellipsoid: planar area in the (lon, q) cylindrical
    equal-area plane (authalic latitude), exact for edges straight in that
    plane and within far less than 1 m² of geodesic edges at these lengths."""

    def ring_area(coords) -> float:
        c = np.asarray(coords)
        lam = np.radians(c[:, 0])
        q = _authalic_q(c[:, 1])
        return 0.5 * float(np.sum(lam[:-1] * q[1:] - lam[1:] * q[:-1]))

    total = 0.0
    for poly in shapely.get_parts(geom):
        if poly.is_empty:
            continue
        total += abs(ring_area(poly.exterior.coords))
        for hole in poly.interiors:
            total -= abs(ring_area(hole.coords))
    return total * WGS_A * WGS_A / 2


def local_plane(geom):
    """Local tangent plane in metres with the WGS84 radii at 36.73°N (for lengths and distances)."""
    return shapely.transform(geom, lambda c: np.column_stack(((c[:, 0] - LON0) * KM_PER_DEG_LON * 1000,
                                                              (c[:, 1] - LAT0) * KM_PER_DEG_LAT * 1000)))


def approx_plane(geom):
    """The brief's pyproj-free approximation: lon * cos(lat) * 111320, lat * 110540 (metres)."""
    k = math.cos(math.radians(LAT0)) * 111320.0
    return shapely.transform(geom, lambda c: np.column_stack(((c[:, 0] - LON0) * k, (c[:, 1] - LAT0) * 110540.0)))


# ---------------------------------------------------------------------------
# The town outline (km, before scaling). West edge S->N, north W->E, east N->S, south E->W.
# ---------------------------------------------------------------------------
WEST_EDGE = [(-5.4, -8.2), (-5.6, -6.6), (-5.3, -5.0), (-5.5, -3.3), (-5.1, -1.6), (-4.9, 0.1),
             (-5.2, 1.8), (-4.9, 3.5), (-4.6, 5.2), (-4.8, 6.8), (-4.4, 8.3)]
OUTLINE_REST = [(-3.0, 8.7), (-1.6, 8.1), (-0.2, 8.5), (1.3, 7.8), (2.6, 8.2), (3.8, 7.4),
                (4.6, 6.0), (5.5, 4.9), (5.2, 3.3), (6.1, 1.9), (5.8, 0.2), (4.9, -0.9),
                (5.6, -2.3), (5.9, -4.0), (5.1, -5.6), (5.3, -7.0),
                (4.1, -7.9), (2.6, -8.6), (1.0, -8.0), (-0.6, -8.9), (-2.2, -8.3), (-3.8, -8.9)]


def town_outline() -> tuple[Polygon, float]:
    """Returns the scaled outline (local km) and the scale factor applied."""
    pts = WEST_EDGE + OUTLINE_REST
    raw = Polygon(pts)
    assert raw.is_valid
    # Scale about the origin so the ellipsoidal area (after projection) is TARGET.
    scale = 1.0
    for _ in range(4):
        poly = Polygon([(x * scale, y * scale) for x, y in pts])
        ll = Polygon([to_lonlat(x, y) for x, y in poly.exterior.coords])
        scale *= math.sqrt(TARGET_AREA_KM2 * 1e6 / ellipsoid_area_m2(ll))
    poly = Polygon([(x * scale, y * scale) for x, y in pts])
    return shapely.set_precision(poly, GRID_KM), scale


# ---------------------------------------------------------------------------
# Communities and villages. Hints are (dx, dy) directions inside the community.
# ---------------------------------------------------------------------------
COMMUNITIES = [
    # code, name, seed (km, before outline scaling), villages [(name, hint)]
    ("TF01", "谭坊社区", (0.0, 0.4), [
        ("八里", (0.0, 0.9)), ("太平", (0.8, 0.4)), ("老官庄", (-0.8, 0.4)), ("萧家庄", (-0.8, -0.6)),
        ("吕家楼", (0.1, -0.9)), ("贾家庄", (0.9, -0.5)), ("李家宅", (0.0, 0.0))]),
    ("TF02", "郑母社区", (-3.2, -4.9), [
        ("中郑", (0.0, 0.1)), ("东郑", (1.0, 0.2)), ("西郑", (-1.0, 0.2)), ("南王家", (0.1, -1.0)),
        ("宫家", (-0.8, -0.8)), ("李家", (0.9, -0.8)), ("王家", (0.0, 1.0))]),
    ("TF03", "东山社区", (3.5, 1.1), [
        ("东刘", (1.0, 0.5)), ("大兴刘", (0.2, 0.9)), ("东孙家", (1.0, -0.6)), ("孙家楼", (0.2, -0.9)),
        ("刘晨", (-0.8, 0.4)), ("程辛", (-0.8, -0.5))]),
    ("TF04", "北魏社区", (0.4, 5.5), [
        ("北魏", (-0.2, 1.0)), ("南魏", (-0.2, -0.7)), ("北傅", (1.0, 0.5)), ("南傅", (1.0, -0.6)),
        ("于家庄", (-1.0, 0.4)), ("西于", (-1.0, -0.6))]),
    ("TF05", "霍陵社区", (3.5, 5.0), [
        ("东霍陵", (1.0, 0.1)), ("北吉林", (0.0, 1.0)), ("王油", (-1.0, 0.5)), ("状元桥", (-0.8, -0.6)),
        ("巩殷", (0.1, -0.9)), ("唐家院", (0.9, -0.8))]),
    ("TF06", "推官社区", (3.4, -4.3), [
        ("大推官", (-0.2, 0.6)), ("小推官", (0.8, 0.6)), ("南埠郭", (-0.2, -1.0)), ("高家埠", (0.8, -0.6)),
        ("西齐", (-1.0, 0.0)), ("半截楼", (0.3, 0.0))]),
    ("TF07", "镇武社区", (-0.3, -6.1), [
        ("西镇武", (-0.4, 0.4)), ("东镇武", (0.5, 0.4)), ("刘君台", (0.0, 1.0)), ("宋家坡", (-0.9, -0.4)),
        ("下坡", (-1.0, 0.6)), ("宋家池", (-0.3, -1.0)), ("康家羊", (0.4, -0.8)), ("王家羊", (1.0, -0.3))]),
    ("TF08", "石桥社区", (-3.3, -0.7), [
        ("石桥", (0.0, 0.0)), ("东石", (0.9, 0.3)), ("西石", (-0.9, 0.3)), ("南董", (0.0, -1.0)),
        ("小杨", (-0.7, -0.7)), ("高家", (0.8, -0.7)), ("小尹", (0.0, 1.0))]),
    ("TF09", "夹河社区", (-3.3, 6.3), [
        ("夹河", (-0.8, 0.0)), ("庄家庄", (0.6, 0.6)), ("庄子", (0.8, -0.4)), ("老鸦", (-0.2, -0.9)),
        ("赵家辛", (-0.1, 1.0))]),
]
TOTAL_VILLAGES = sum(len(c[3]) for c in COMMUNITIES)


def clip_halfplane(poly: np.ndarray, a: np.ndarray, b: float) -> np.ndarray:
    """Sutherland-Hodgman: keep the part of convex polygon `poly` where a.x <= b."""
    out = []
    n = len(poly)
    for i in range(n):
        p, q = poly[i], poly[(i + 1) % n]
        fp, fq = a @ p - b, a @ q - b
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            out.append(p + t * (q - p))
    return np.array(out) if out else np.zeros((0, 2))


def power_cells(region: Polygon, seeds: np.ndarray, weights: np.ndarray) -> list:
    """Power diagram cells of (seeds, weights) intersected with region."""
    minx, miny, maxx, maxy = region.bounds
    box = np.array([(minx - 1, miny - 1), (maxx + 1, miny - 1), (maxx + 1, maxy + 1), (minx - 1, maxy + 1)])
    cells = []
    for i, p in enumerate(seeds):
        cell = box
        for j, q in enumerate(seeds):
            if i == j:
                continue
            a = 2 * (q - p)
            b = q @ q - p @ p - weights[j] + weights[i]
            cell = clip_halfplane(cell, a, b)
            if len(cell) < 3:
                break
        if len(cell) < 3:
            cells.append(Polygon())
        else:
            cells.append(Polygon(cell).intersection(region))
    return cells


def balanced_partition(region: Polygon, seeds: np.ndarray, targets: np.ndarray,
                       iters: int, lloyd: float) -> tuple[list, np.ndarray]:
    """Power diagram of `seeds` in `region` with cell areas driven to `targets`
    and seeds relaxed towards their cell centroids by the fraction `lloyd`."""
    seeds = seeds.astype(float).copy()
    weights = np.zeros(len(seeds))
    for _ in range(iters):
        cells = power_cells(region, seeds, weights)
        areas = np.array([c.area for c in cells])
        weights += 0.3 * (targets - areas)
        for i, c in enumerate(cells):
            if not c.is_empty:
                cx, cy = c.centroid.coords[0]
                seeds[i] += lloyd * (np.array([cx, cy]) - seeds[i])
    return power_cells(region, seeds, weights), seeds


def single_polygon(g) -> bool:
    return g.geom_type == "Polygon" and not g.is_empty and len(g.interiors) == 0


def build_partition(town: Polygon, scale: float):
    """Returns [(community code, name, polygon, [(village name, polygon), ...]), ...] in km."""
    counts = np.array([len(c[3]) for c in COMMUNITIES], dtype=float)
    seeds = np.array([c[2] for c in COMMUNITIES], dtype=float) * scale
    cells, _ = balanced_partition(town, seeds, town.area * counts / counts.sum(), iters=80, lloyd=0.05)
    assert all(single_polygon(c) for c in cells), "a community came out multi-part"
    assert cells[0].contains(Point(0, 0)), "谭坊社区 must hold the town centre"

    result = []
    for k, (code, name, _seed, villages) in enumerate(COMMUNITIES):
        comm = cells[k]
        n = len(villages)
        for attempt in range(200):
            rng = np.random.default_rng(1000 * (k + 1) + attempt)
            pts = []
            minx, miny, maxx, maxy = comm.bounds
            while len(pts) < n:
                p = rng.uniform((minx, miny), (maxx, maxy))
                if comm.contains(Point(p)) and all(np.hypot(*(p - q)) > 0.8 for q in pts):
                    pts.append(p)
            jitter = rng.uniform(0.8, 1.2, n)
            targets = comm.area * jitter / jitter.sum()
            vcells, _ = balanced_partition(comm, np.array(pts), targets, iters=60, lloyd=0.5)
            areas = np.array([c.area for c in vcells])
            if all(single_polygon(c) for c in vcells) and areas.min() > 1.7 and areas.max() < 4.0 \
                    and all(len(c.exterior.coords) <= 20 for c in vcells):
                break
        else:
            raise RuntimeError(f"no acceptable village layout for {code}")
        # Match names to cells by direction hints (brute force over permutations).
        raw = np.array([c.centroid.coords[0] for c in vcells])
        raw -= raw.mean(axis=0)
        cents = list(raw / np.abs(raw).max(axis=0))  # each axis scaled to [-1, 1]
        hints = [np.array(h) for _, h in villages]
        best = min(itertools.permutations(range(n)),
                   key=lambda perm: sum(float(np.sum((cents[perm[i]] - hints[i]) ** 2)) for i in range(n)))
        result.append((code, name, comm, [(villages[i][0], vcells[best[i]]) for i in range(n)]))
    return result


# ---------------------------------------------------------------------------
# Exact shared topology: node once, bend, round, polygonize
# ---------------------------------------------------------------------------
DENSIFY_KM = 0.2
BEND_TAPER_KM = 1.0
# Smooth displacement field: (amplitude km, wavelength km, direction angle, phase) per term;
# even terms move x, odd terms move y. Long gentle bends plus a little short wiggle.
_field_rng = np.random.default_rng(20180601)
BEND_TERMS = [(float(_field_rng.uniform(*amp)), float(_field_rng.uniform(*wl)),
               float(_field_rng.uniform(0, 2 * math.pi)), float(_field_rng.uniform(0, 2 * math.pi)))
              for amp, wl in [((0.05, 0.07), (2.5, 4.0))] * 4 + [((0.015, 0.025), (1.0, 1.6))] * 4]


def bend(pts: np.ndarray, town: Polygon) -> np.ndarray:
    """x -> x + taper(x) * D(x): a smooth, small-gradient displacement (so a
    homeomorphism: no edge can cross another) that is zero on the town outline."""
    x, y = pts[:, 0], pts[:, 1]
    d = np.zeros_like(pts)
    for idx, (amp, wl, ang, ph) in enumerate(BEND_TERMS):
        proj = x * math.cos(ang) + y * math.sin(ang)
        d[:, idx % 2] += amp * np.sin(2 * math.pi * proj / wl + ph)
    dist = shapely.distance(town.exterior, shapely.points(pts))
    t = np.clip(dist / BEND_TAPER_KM, 0, 1)
    taper = t * t * (3 - 2 * t)  # smoothstep
    return pts + d * taper[:, None]


def exact_layers(town: Polygon, partition):
    """Returns lon/lat polygons: town, {community code: poly}, {village key: poly}."""
    village_keys, village_polys = [], []
    for code, _name, _comm, villages in partition:
        for j, (vname, poly) in enumerate(villages):
            village_keys.append((code, j))
            village_polys.append(poly)
    noded = shapely.union_all([p.exterior for p in village_polys], grid_size=GRID_KM)
    segs = set()
    for line in shapely.get_parts(noded):
        c = list(line.coords)
        for a, b in zip(c[:-1], c[1:]):
            if a != b:
                segs.add((a, b) if a < b else (b, a))
    segs = sorted(segs)
    on_outline = shapely.distance(town.exterior, shapely.points([((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
                                                                 for a, b in segs])) < 1e-5
    # Densify interior segments consistently (each shared segment exists once).
    polylines = []
    for (a, b), outer in zip(segs, on_outline):
        a, b = np.array(a), np.array(b)
        n = 1 if outer else max(1, math.ceil(np.hypot(*(b - a)) / DENSIFY_KM))
        polylines.append(np.array([a + (b - a) * i / n for i in range(n + 1)]))
    allpts = np.concatenate(polylines)
    moved = bend(allpts, town)
    lines, pos = [], 0
    for pl in polylines:
        ll = [to_lonlat(*p) for p in moved[pos:pos + len(pl)]]
        pos += len(pl)
        ll = [p for i, p in enumerate(ll) if i == 0 or p != ll[i - 1]]
        for a, b in zip(ll[:-1], ll[1:]):
            lines.append(LineString([a, b]))
    faces = list(shapely.get_parts(shapely.polygonize(lines)))
    assert len(faces) == len(village_polys), f"{len(faces)} faces for {len(village_polys)} villages"
    # Label each face by the (bent, projected) pole of inaccessibility of its village.
    labels = [polylabel(p, tolerance=0.01) for p in village_polys]
    label_ll = bend(np.array([[p.x, p.y] for p in labels]), town)
    label_pts = [Point(to_lonlat(*p)) for p in label_ll]
    village_ll = {}
    for key, lp in zip(village_keys, label_pts):
        hits = [f for f in faces if f.contains(lp)]
        assert len(hits) == 1, key
        village_ll[key] = hits[0]
    assert len({id(f) for f in village_ll.values()}) == len(faces)

    # Which faces lie on each side of each unit segment.
    side: dict[tuple, list] = {}
    for key, face in village_ll.items():
        c = list(face.exterior.coords)
        for a, b in zip(c[:-1], c[1:]):
            side.setdefault((a, b) if a < b else (b, a), []).append(key)
    assert all(len(v) <= 2 for v in side.values())

    def rebuild(keep) -> list:
        return list(shapely.get_parts(shapely.polygonize([LineString(s) for s, v in sorted(side.items()) if keep(v)])))

    comm_faces = rebuild(lambda v: len(v) == 1 or v[0][0] != v[1][0])
    communities = {}
    for code, *_ in partition:
        key = (code, 0)
        hits = [f for f in comm_faces if f.contains(village_ll[key].point_on_surface())]
        assert len(hits) == 1
        communities[code] = hits[0]
    assert len(comm_faces) == len(partition)
    town_faces = rebuild(lambda v: len(v) == 1)
    assert len(town_faces) == 1
    return town_faces[0], communities, village_ll


# ---------------------------------------------------------------------------
# Rivers
# ---------------------------------------------------------------------------
def west_x(y: float, scale: float) -> float:
    """x of the (scaled) western town edge at height y, extrapolated beyond its ends."""
    ys = [p[1] * scale for p in WEST_EDGE]
    xs = [p[0] * scale for p in WEST_EDGE]
    if y <= ys[0]:
        return xs[0] + (xs[1] - xs[0]) * (y - ys[0]) / (ys[1] - ys[0]) * 0.3
    if y >= ys[-1]:
        return xs[-1] + (xs[-1] - xs[-2]) * (y - ys[-1]) / (ys[-1] - ys[-2]) * 0.3
    return float(np.interp(y, ys, xs))


def mihe_line(scale: float) -> np.ndarray:
    """弥河: south to north, ~550 m (± 200 m) inside the western edge."""
    ys = np.arange(-11.0, 11.0 + 1e-9, 0.22)
    # smooth the stepped edge a little so the river does not copy its corners
    base = np.array([np.mean([west_x(y + dy, scale) for dy in (-0.6, -0.3, 0, 0.3, 0.6)]) for y in ys])
    off = 0.55 + 0.14 * np.sin(2 * math.pi * ys / 3.4 + 0.4) + 0.05 * np.sin(2 * math.pi * ys / 1.15 + 1.3)
    return np.column_stack((base + off, ys))


def tributary(start, mihe: np.ndarray, end_y: float, seed: int, amps) -> np.ndarray:
    """A meandering line from `start` to the 弥河 vertex nearest height end_y."""
    end = mihe[int(np.argmin(np.abs(mihe[:, 1] - end_y)))]
    start = np.array(start, dtype=float)
    rng = np.random.default_rng(seed)
    vec = end - start
    length = float(np.hypot(*vec))
    normal = np.array([-vec[1], vec[0]]) / length
    n = max(30, int(length / 0.2))
    t = np.linspace(0, 1, n + 1)
    lateral = np.zeros_like(t)
    for k, amp in enumerate(amps, start=2):
        lateral += amp * rng.uniform(0.6, 1.0) * rng.choice([-1, 1]) * np.sin(k * math.pi * t)
    lateral += 0.05 * np.sin(2 * math.pi * t * length / 0.9 + rng.uniform(0, 6.3)) * np.sin(math.pi * t)
    pts = start + np.outer(t, vec) + np.outer(lateral, normal)
    pts[-1] = end
    return pts


def build_rivers(scale: float):
    mihe = mihe_line(scale)
    rivers = [("mihe", "弥河", mihe)]
    rivers.append(("xierhe", "洗耳河", tributary((6.9 * scale, -0.6 * scale), mihe, 1.6 * scale, 71, (0.55, 0.3, 0.2, 0.12))))
    rivers.append(("yaohe", "尧河", tributary((6.6 * scale, 4.2 * scale), mihe, 6.6 * scale, 72, (0.45, 0.3, 0.18, 0.1))))
    rivers.append(("zhulonghe", "猪龙河", tributary((4.3 * scale, -9.7 * scale), mihe, -3.9 * scale, 73, (0.6, 0.35, 0.2, 0.12))))
    out = []
    for code, name, pts in rivers:
        ll = [to_lonlat(*p) for p in pts]
        ll = [p for i, p in enumerate(ll) if i == 0 or p != ll[i - 1]]
        out.append((code, name, ll))
    return out


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
def ccw_ring(poly: Polygon) -> list:
    poly = shapely.geometry.polygon.orient(poly, sign=1.0)
    return [[x, y] for x, y in poly.exterior.coords]


def dump(features: list, path: Path) -> None:
    body = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    path.write_text('{"type":"FeatureCollection","features":[\n' + body + "\n]}\n", encoding="utf-8")


def grid_feature(code, name, level, parent, poly: Polygon) -> dict:
    assert single_polygon(poly) and poly.is_valid, code
    return {"type": "Feature",
            "properties": {"code": code, "name": name, "level": level, "parent": parent},
            "geometry": {"type": "Polygon", "coordinates": [ccw_ring(poly)]}}


def main() -> None:
    town_km, scale = town_outline()
    partition = build_partition(town_km, scale)
    town, communities, villages = exact_layers(town_km, partition)

    feats = [grid_feature("TF", "谭坊镇", "town", None, town)]
    for code, name, _comm, _v in partition:
        feats.append(grid_feature(code, name, "community", "TF", communities[code]))
    for code, _name, _comm, vills in partition:
        for j, (vname, _poly) in enumerate(vills):
            feats.append(grid_feature(f"{code}{j + 1:02d}", vname, "village", code, villages[(code, j)]))
    dump(feats, HERE / "grids.geojson")

    rivers = [{"type": "Feature", "properties": {"code": code, "name": name},
               "geometry": {"type": "LineString", "coordinates": [list(p) for p in ll]}}
              for code, name, ll in build_rivers(scale)]
    dump(rivers, HERE / "rivers.geojson")
    print(f"wrote {HERE / 'grids.geojson'} ({len(feats)} features) and {HERE / 'rivers.geojson'} ({len(rivers)} rivers)")
    if "--check" in sys.argv:
        check()


# ---------------------------------------------------------------------------
# Verification (reads the written files back)
# ---------------------------------------------------------------------------
def check() -> None:
    grids = json.loads((HERE / "grids.geojson").read_text(encoding="utf-8"))["features"]
    rivers = json.loads((HERE / "rivers.geojson").read_text(encoding="utf-8"))["features"]
    shapes = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in grids}
    props = {f["properties"]["code"]: f["properties"] for f in grids}
    problems = []

    def ok(cond, msg):
        if not cond:
            problems.append(msg)

    ok(len(shapes) == len(grids), "duplicate codes")
    ok([f["properties"]["code"] for f in grids][0] == "TF", "town first")
    for f in grids:
        p, g = f["properties"], shapes[f["properties"]["code"]]
        ok(list(p) == ["code", "name", "level", "parent"], f"{p['code']} property order")
        ok(g.geom_type == "Polygon" and g.is_valid and not g.interiors, f"{p['code']} not a valid simple Polygon")
        ring = f["geometry"]["coordinates"][0]
        ok(ring[0] == ring[-1], f"{p['code']} ring not closed")
        ok(LinearRingCCW(ring), f"{p['code']} ring not counter-clockwise")
        ok(all(round(v, 6) == v for xy in ring for v in xy), f"{p['code']} not rounded")
        ok(p["parent"] is None or p["parent"] in shapes, f"{p['code']} parent missing")
        ok(p["parent"] is None or p["code"].startswith(p["parent"]), f"{p['code']} code scheme")
    names = [f["properties"]["name"] for f in grids if f["properties"]["level"] == "village"]
    if VILLAGES_TXT.exists():
        want = [l.strip() for l in VILLAGES_TXT.read_text(encoding="utf-8").splitlines()
                if l.strip() and not l.startswith("#")]
        ok(sorted(names) == sorted(want), "village names differ from villages.txt")
    ok(len(names) == len(set(names)) == TOTAL_VILLAGES, "village count")

    plane = {c: approx_plane(g) for c, g in shapes.items()}  # gaps and overlaps: the brief's approximation
    max_gap = max_overlap = 0.0
    children: dict[str, list] = {}
    for c, p in props.items():
        if p["parent"]:
            children.setdefault(p["parent"], []).append(c)
    for parent, kids in children.items():
        union = shapely.union_all([plane[k] for k in kids])
        max_gap = max(max_gap, plane[parent].symmetric_difference(union).area)
        for a, b in itertools.combinations(kids, 2):
            max_overlap = max(max_overlap, plane[a].intersection(plane[b]).area)
    ok(max_gap < 1.0, f"tiling gap {max_gap} m²")
    ok(max_overlap < 1.0, f"sibling overlap {max_overlap} m²")

    town_ell = ellipsoid_area_m2(shapes["TF"]) / 1e6
    print(f"town area: {town_ell:.3f} km² (ellipsoidal), {plane['TF'].area / 1e6:.3f} km² (cos-lat approximation)")
    cx, cy = shapes["TF"].centroid.coords[0]
    print(f"town centroid: {cx:.4f}E {cy:.4f}N; 118.62E 36.73N is in {[c for c in children['TF'] if shapes[c].contains(Point(118.62, 36.73))]}")
    print(f"max parent/children symmetric difference: {max_gap:.6f} m²; max sibling overlap: {max_overlap:.6f} m²")
    print(f"town outline vertices: {len(shapes['TF'].exterior.coords) - 1}")
    for c in children["TF"]:
        kids = children[c]
        areas = [ellipsoid_area_m2(shapes[k]) / 1e6 for k in kids]
        verts = [len(shapes[k].exterior.coords) - 1 for k in kids]
        print(f"  {c} {props[c]['name']}: {len(kids)} villages, {ellipsoid_area_m2(shapes[c]) / 1e6:.2f} km², "
              f"village areas {min(areas):.2f}-{max(areas):.2f} km², vertices {min(verts)}-{max(verts)}: "
              + " ".join(props[k]["name"] for k in kids))
        ok(5 <= len(kids) <= 8, f"{c} village count")
        ok(min(areas) >= 1.5 and max(areas) <= 5.0, f"{c} village areas")
        ok(max(verts) < 60, f"{c} village vertex count")
    plane = {c: local_plane(g) for c, g in shapes.items()}  # lengths and distances: local WGS84 radii
    town_line = plane["TF"].exterior
    village_codes = [c for c, p in props.items() if p["level"] == "village"]
    for f in rivers:
        p, line = f["properties"], shapely.geometry.shape(f["geometry"])
        pl = local_plane(line)
        crossed = [props[v]["name"] for v in village_codes if pl.intersection(plane[v]).length > 50]
        n = len(line.coords)
        msg = f"river {p['code']} {p['name']}: {pl.length / 1000:.2f} km ({pl.intersection(plane['TF']).length / 1000:.2f} km in town), {n} vertices, crosses {len(crossed)} villages: {' '.join(crossed)}"
        print(msg)
        ok(30 <= n <= 120, f"{p['code']} vertex count {n}")
        ok(len(crossed) >= 3, f"{p['code']} crosses too few villages")
        ok(line.is_simple, f"{p['code']} not simple")
        if p["code"] == "mihe":
            ok(line.coords[0][1] < line.coords[-1][1], "弥河 must run S->N")
            inside = [Point(xy) for xy in pl.coords if plane["TF"].contains(Point(xy))]
            d = sorted(town_line.distance(q) for q in inside)
            core = [town_line.distance(Point(xy)) for xy in pl.coords
                    if plane["TF"].contains(Point(xy)) and all(plane["TF"].contains(Point(xy[0], xy[1] + s)) for s in (-1000, 1000))]
            print(f"  弥河 distance inside the western edge: {min(core):.0f}-{max(core):.0f} m "
                  f"(all inside vertices {d[0]:.0f}-{d[-1]:.0f} m, the smallest where it enters/leaves)")
            ok(300 <= min(core) and max(core) <= 800, "弥河 not 300-800 m inside")
            mihe_ll = line
        else:
            end = Point(line.coords[-1])
            ok(any(Point(c).equals(end) for c in mihe_ll.coords), f"{p['code']} does not end on a 弥河 vertex")
            ok(line.intersection(mihe_ll).equals(end), f"{p['code']} touches the 弥河 elsewhere")
    for a, b in itertools.combinations(rivers[1:], 2):
        ok(not shapely.geometry.shape(a["geometry"]).intersects(shapely.geometry.shape(b["geometry"])),
           "tributaries cross")
    if problems:
        print("PROBLEMS:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("all checks passed")


def LinearRingCCW(ring) -> bool:
    return shapely.geometry.LinearRing(ring).is_ccw


if __name__ == "__main__":
    main()
