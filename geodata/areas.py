"""Areas of control and front lines on a day: an approximation of territory derived from the controlled places.

Method (the README says it plainly):

1. Every place in the control state is a seed. Its Voronoi cell is the land nearer to it than to any other place.
   Places at the same spot are one seed; if they disagree the seed is contested.
2. Each cell is cut to a reach radius around its place (default 25 km, in metres on an azimuthal equidistant
   projection centred on the outline, not in degrees) and to the country outline (Natural Earth, Iraq by
   default), so land far from every reported place stays unknown.
3. Cells are dissolved by controller. Contested seeds form their own areas (by the set of claimants); seeds with
   no known controller keep their cell blank, so that no neighbour's colour spreads over them.
4. Front lines are the borders where two areas meet whose controllers share no actor (``isf`` and ``isf+pmf``
   are allies, ``isf`` and ``krg`` are not).

Speed: a Voronoi diagram, then one coverage union per controller; only the cells that reach beyond the radius or
the outline are cut, in one vectorised step.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import shapely

from geodata.basemap import BASEMAP_FILE, DEFAULT_OUTLINE, outline
from geodata.errors import InputError
from geodata.settings import COORD_DECIMALS, CRS
from geodata.vocab import CONTROLLERS, split_controller

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

logger = logging.getLogger(__name__)

DEFAULT_REACH_KM = 25.0
AREA_COLUMNS: tuple[str, ...] = ("controller", "contested", "claims", "places", "place_names", "since")
_CIRCLE_SEGMENTS = 8  # per quarter circle: a 32-gon, at most 0.5% short of the radius
_SAME_SPOT_M = 1.0  # places closer than this are one seed


@dataclass(frozen=True)
class _Frame:
    """The outline in a metric projection centred on it, with the transformers in both directions."""

    shape: shapely.Geometry
    to_metres: Any
    to_degrees: Any


@functools.lru_cache(maxsize=8)
def _frame(code: str, path: Path) -> _Frame:
    import pyproj

    shape = outline(code, path)
    centre = shape.centroid
    aeqd = f"+proj=aeqd +lat_0={centre.y:.4f} +lon_0={centre.x:.4f} +datum=WGS84 +units=m +no_defs"
    fwd = pyproj.Transformer.from_crs(CRS, aeqd, always_xy=True)
    inv = pyproj.Transformer.from_crs(aeqd, CRS, always_xy=True)
    projected = _reproject(shape, fwd)
    shapely.prepare(projected)
    return _Frame(projected, fwd, inv)


def _transform(transformer: Any, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Transform coordinates on the one thread that projects (see :func:`_projector`)."""
    return _projector(os.getpid()).submit(transformer.transform, x, y).result()


@functools.cache
def _projector(pid: int) -> ThreadPoolExecutor:
    """Return the single thread every projection of process ``pid`` runs on.

    pyproj keeps a transformer per thread, and Streamlit runs each rerun in a new thread: there, the first
    transform rebuilds the transformer (about 8 ms each way, half the cost of the areas). On one long-lived
    thread it is built once; the transform and its result are the same. Keyed by process: a forked child has
    none of its parent's threads, and gets its own.
    """
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"kcm-projection-{pid}")


def _reproject(geoms: Any, transformer: Any) -> Any:
    def move(xy: np.ndarray) -> np.ndarray:
        x, y = _transform(transformer, xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, move)


@dataclass(frozen=True)
class _Seeds:
    """One seed per distinct spot: its key (controller or contested claims), places, newest date."""

    x: np.ndarray
    y: np.ndarray
    key: list[tuple[str | None, bool, tuple[str, ...]]]  # (controller, contested, claims)
    places: list[list[str]]
    names: list[list[str]]
    since: list[date | None]


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value) or None


def _claims(value: object) -> tuple[str, ...]:
    if isinstance(value, list | tuple | np.ndarray):
        return tuple(sorted({str(v) for v in value if v}))
    return tuple(sorted({c for c in str(value or "").split(";") if c}))


def _seed_key(rows: list[dict[str, Any]]) -> tuple[str | None, bool, tuple[str, ...]]:
    """Decide the state of one spot from its places: agreed, contested (with every claim), or unknown."""
    claims: set[str] = set()
    contested = False
    for row in rows:
        if row["contested"]:
            contested = True
            claims.update(row["claims"])
        elif row["controller"]:
            claims.add(row["controller"])
    if contested or len(claims) > 1:
        return (None, True, tuple(sorted(claims)))
    return (next(iter(claims)), False, ()) if claims else (None, False, ())


def _newest(days: Iterable[object]) -> date | None:
    known = [d.date() if isinstance(d, datetime) else d for d in days if isinstance(d, date)]
    return max(known) if known else None


def _column_list(control: pd.DataFrame, name: str) -> list[Any]:
    return control[name].tolist() if name in control.columns else [None] * len(control)


def _seeds(control: pd.DataFrame, frame: _Frame) -> _Seeds:
    """Group the control state's places by spot (metres, to 1 m) and decide each spot's key."""
    lon = np.asarray(control["lon"], dtype=float)
    lat = np.asarray(control["lat"], dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.all():
        bad = control.loc[~ok, "place_id"].astype(str).tolist()
        logger.warning("control areas: %d place(s) without coordinates left out: %s", len(bad), bad[:10])
    x, y = _transform(frame.to_metres, lon[ok], lat[ok])
    # One int64 per 1 m spot (the projection spans a few thousand km, well inside 2**31 m either way).
    sx = np.round(np.asarray(x) / _SAME_SPOT_M).astype(np.int64) + 2**31
    sy = np.round(np.asarray(y) / _SAME_SPOT_M).astype(np.int64) + 2**31
    _, first, inverse = np.unique((sx << 32) | sy, return_index=True, return_inverse=True)
    rows = [
        {"place_id": str(pid), "name": str(name or name_ar or pid), "controller": _text(ctl),
         "contested": bool(cont), "claims": _claims(claims), "since": since}
        for pid, name, name_ar, ctl, cont, claims, since, keep in zip(
            control["place_id"].tolist(), _column_list(control, "place"), _column_list(control, "place_ar"),
            control["controller"].tolist(), _column_list(control, "contested"),
            _column_list(control, "claims"), _column_list(control, "since"), ok.tolist(), strict=True,
        )
        if keep
    ]  # fmt: skip
    groups: list[list[dict[str, Any]]] = [[] for _ in range(len(first))]
    for i, g in enumerate(inverse.reshape(-1).tolist()):
        groups[g].append(rows[i])
    return _Seeds(
        x=np.asarray(x)[first],
        y=np.asarray(y)[first],
        key=[_seed_key(group) for group in groups],
        places=[[r["place_id"] for r in group] for group in groups],
        names=[[r["name"] for r in group] for group in groups],
        since=[_newest(r["since"] for r in group) for group in groups],
    )


def _crossings(a: np.ndarray, b: np.ndarray, seed: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the points where each segment a-b crosses its seed's circle, and the segment index of each.

    The two cells beside an edge see it from opposite sides; both circles cross a Voronoi edge at the same points
    (the edge is their seeds' bisector). Computing from the lexicographically first endpoint, then rounding to a
    millimetre, gives both cells the very same coordinates, so the cut cells still form a coverage.
    """
    flip = (b[:, 0] < a[:, 0]) | ((b[:, 0] == a[:, 0]) & (b[:, 1] < a[:, 1]))
    p = np.where(flip[:, None], b, a)
    d = np.where(flip[:, None], a, b) - p
    dd = (d * d).sum(axis=1)
    rel = seed - p
    with np.errstate(divide="ignore", invalid="ignore"):
        foot = (rel * d).sum(axis=1) / dd
        h2 = (rel * rel).sum(axis=1) - foot * foot * dd
        half = np.sqrt((reach * reach - h2) / dd)
    points, index = [], []
    for sign in (-1.0, 1.0):
        t = foot + sign * half
        ok = (dd > 0) & (h2 < reach * reach) & (t > 0.0) & (t < 1.0)
        points.append(p[ok] + t[ok, None] * d[ok])
        index.append(np.flatnonzero(ok))
    return np.round(np.concatenate(points), 3), np.concatenate(index)


def _inside_convex(
    points: np.ndarray, a: np.ndarray, b: np.ndarray, edge_cell: np.ndarray, n: int
) -> np.ndarray:
    """Return which of ``points`` (cells x points x 2) lie in their convex cell, given its edges a->b by cell.

    A point is inside a convex ring when it is on the inner side of every edge; the edges are padded per cell
    with ones that every point passes.
    """
    counts = np.bincount(edge_cell, minlength=n)
    slot = np.arange(len(edge_cell)) - np.repeat(np.cumsum(counts) - counts, counts)
    width = int(counts.max()) if n else 0
    start = np.zeros((n, width, 2))
    step = np.zeros((n, width, 2))
    start[edge_cell, slot] = a
    step[edge_cell, slot] = b - a
    turn = (a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]).astype(float)
    sign = np.sign(np.bincount(edge_cell, weights=turn, minlength=n))  # +1: counterclockwise ring
    rel = points[:, :, None, :] - start[:, None, :, :]
    side = step[:, None, :, 0] * rel[..., 1] - step[:, None, :, 1] * rel[..., 0]
    return (side * sign[:, None, None] >= 0).all(axis=2)


def _disc_cut(
    cells: np.ndarray,
    coords: np.ndarray,
    owner: np.ndarray,
    centres: np.ndarray,
    far: np.ndarray,
    reach: float,
) -> np.ndarray:
    """Cut the ``far`` convex cells to the disc of radius ``reach`` around their seeds, all at once.

    A convex cell cut to a disc around a point inside it is star-shaped around that point, so its boundary is
    the cell corners inside the disc, the edge crossings and the circle points inside the cell, sorted by angle.
    """
    keep = far[owner]
    pts, own = coords[keep], owner[keep]
    same = own[:-1] == own[1:]  # consecutive corners of one (closed) ring are an edge
    a, b, edge_owner = pts[:-1][same], pts[1:][same], own[:-1][same]
    cross, which = _crossings(a, b, centres[edge_owner], reach)
    ring_end = np.r_[own[1:] != own[:-1], True]  # a closed ring repeats its first corner: count it once
    corner_ok = (((pts - centres[own]) ** 2).sum(axis=1) <= reach * reach) & ~ring_end
    ids = np.flatnonzero(far)
    steps = 4 * _CIRCLE_SEGMENTS
    angle = np.arange(steps) * (2 * np.pi / steps)
    circle = centres[ids][:, None, :] + reach * np.stack([np.cos(angle), np.sin(angle)], axis=1)[None]
    in_cell = _inside_convex(circle, a, b, np.searchsorted(ids, edge_owner), len(ids)).reshape(-1)
    circle_owner = np.repeat(ids, steps)
    circle = circle.reshape(-1, 2)
    all_pts = np.concatenate([pts[corner_ok], cross, circle[in_cell]])
    all_own = np.concatenate([own[corner_ok], edge_owner[which], circle_owner[in_cell]])
    rel = all_pts - centres[all_own]
    order = np.lexsort((np.arctan2(rel[:, 1], rel[:, 0]), all_own))
    all_pts, all_own = all_pts[order], all_own[order]
    rings = shapely.linearrings(all_pts, indices=np.searchsorted(ids, all_own))
    out = cells.copy()
    out[ids] = shapely.polygons(rings)
    return out


def _cells(seeds: _Seeds, frame: _Frame, reach_m: float) -> np.ndarray:
    """Return each seed's Voronoi cell cut to its reach circle; the cut cells form a coverage."""
    points = shapely.points(seeds.x, seeds.y)
    n = len(points)
    extent = shapely.box(*frame.shape.bounds).buffer(reach_m * 4)
    if n == 1:
        cells = np.asarray([extent], dtype=object)
    else:
        diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=extent, ordered=True)
        cells = shapely.get_parts(diagram)
    # A convex cell lies in its circle when all its corners do: only the others are cut.
    coords, owner = shapely.get_coordinates(cells, return_index=True)
    centres = np.column_stack([seeds.x, seeds.y])
    dist2 = ((coords - centres[owner]) ** 2).sum(axis=1)
    far = np.zeros(n, dtype=bool)
    np.logical_or.at(far, owner, dist2 > reach_m**2)
    if not far.any():
        return cells
    return _disc_cut(cells, coords, owner, centres, far, reach_m)


def _dissolve(cut: np.ndarray, members: np.ndarray, shape: shapely.Geometry) -> shapely.Geometry:
    """Union of the cut cells of one area (a coverage: a fast coverage union), cut to the outline."""
    parts = cut[members]
    parts = parts[~shapely.is_empty(parts)]
    if len(parts) == 0:
        return shapely.Polygon()
    merged = shapely.coverage_union_all(parts)
    if not shapely.is_valid(merged):  # a rounding mismatch between two cut cells: take the robust way
        merged = shapely.union_all(parts)
    return shapely.intersection(merged, shape)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygons of ``geom`` (an intersection can leave lines and points on a border)."""
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    polys = [p for p in shapely.get_parts(geom).tolist() if shapely.get_type_id(p) == 3 and not p.is_empty]
    if not polys:
        return shapely.Polygon()
    # parts of one valid overlay result never overlap: no union needed
    return shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0]


def _empty_areas() -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pandas as pd

    data = {c: pd.Series(dtype=object) for c in AREA_COLUMNS}
    data["contested"] = pd.Series(dtype=bool)
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)


def areas_from_control(
    control: pd.DataFrame,
    *,
    reach_km: float | None = None,
    outline_code: str = DEFAULT_OUTLINE,
    basemap_path: Path | None = None,
) -> gpd.GeoDataFrame:
    """Return the areas of control for a control state (:func:`geodata.control.control_as_of`).

    Parameters
    ----------
    control
        One row per place: ``place_id``, ``place``, ``lat``, ``lon``, ``controller``, ``since``, ``contested``
        and ``claims``.
    reach_km
        How far a place's area reaches at most (default :data:`DEFAULT_REACH_KM`).
    outline_code
        The country (ISO 3166-1 alpha-2, in the base layer) the areas are cut to.
    basemap_path
        Another base layer file (tests).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per area (EPSG:4326): ``controller`` (None when contested), ``contested``, ``claims``,
        ``places`` (place ids), ``place_names``, ``since`` (the newest row date behind it) and ``geometry``
        (Polygon or MultiPolygon). ``attrs["outside"]`` lists the place ids outside the outline,
        ``attrs["unknown"]`` those with no known controller (their cells stay blank).
    """
    import geopandas as gpd

    reach = DEFAULT_REACH_KM if reach_km is None else float(reach_km)
    if not np.isfinite(reach) or reach <= 0:
        raise InputError(f"reach_km must be a positive number of kilometres, got {reach_km!r}")
    missing = [c for c in ("place_id", "lat", "lon", "controller") if c not in control.columns]
    if missing:
        raise InputError(f"control state lacks column(s) {', '.join(missing)}")
    if control.empty:
        return _empty_areas()
    where = (outline_code.upper(), basemap_path or BASEMAP_FILE)
    seeds = _seeds(control, _frame(*where))
    if not seeds.key:
        return _empty_areas()
    shapes = _area_shapes(
        *where, reach * 1000.0, tuple(seeds.x.tolist()), tuple(seeds.y.tolist()), tuple(seeds.key)
    )
    rows = [_area_row(seeds, key, members, geom) for key, members, geom in shapes.areas]
    inside = shapes.inside
    if not rows:
        areas = _empty_areas()
    else:
        areas = gpd.GeoDataFrame(rows, geometry=[r.pop("geometry") for r in rows], crs=CRS)
    areas.attrs["outside"] = sorted(p for i in np.flatnonzero(~inside) for p in seeds.places[i])
    areas.attrs["unknown"] = sorted(
        p for i, key in enumerate(seeds.key) if key == (None, False, ()) for p in seeds.places[i]
    )
    areas.attrs["reach_km"] = reach
    for code in sorted({k[0] for k in seeds.key if k[0] and not _known(k[0])}):
        logger.warning("control areas: controller %r is not in the vocabulary; drawn as its own area", code)
    return areas


def _known(code: str) -> bool:
    return all(part in CONTROLLERS for part in split_controller(code))


@dataclass(frozen=True)
class _Shapes:
    """The outlines of the areas of one set of seeds, and which seeds lie inside the country's outline.

    ``areas`` holds (key, seed indices, geometry in degrees) per area. Shared by every day whose seeds (spots
    and keys) are the same: never mutated.
    """

    areas: tuple[tuple[tuple[str | None, bool, tuple[str, ...]], np.ndarray, shapely.Geometry], ...]
    inside: np.ndarray


@functools.lru_cache(maxsize=64)
def _area_shapes(
    code: str,
    path: Path,
    reach_m: float,
    x: tuple[float, ...],
    y: tuple[float, ...],
    keys: tuple[tuple[str | None, bool, tuple[str, ...]], ...],
) -> _Shapes:
    """Cut, dissolve and reproject the areas of the seeds at ``x``, ``y`` (metres) with ``keys``.

    The geometry depends on the spots and their keys only, not on the places' names or dates: a day step or a
    move of the window that leaves who holds what unchanged reuses it (the slow part of the areas).
    """
    frame = _frame(code, path)
    seeds = _Seeds(x=np.asarray(x), y=np.asarray(y), key=list(keys), places=[], names=[], since=[])
    cut = _cells(seeds, frame, reach_m)
    order = sorted({k for k in keys if k != (None, False, ())}, key=lambda k: (k[1], k[0] or "", k[2]))
    codes = np.asarray([order.index(k) if k in order else -1 for k in keys], dtype=np.int64)
    found = []
    for index, key in enumerate(order):
        members = np.flatnonzero(codes == index)
        members.setflags(write=False)  # shared by the days that reuse these shapes
        geom = _polygonal(_dissolve(cut, members, frame.shape))
        if not geom.is_empty:
            found.append((key, members, geom))
    inside = shapely.contains(frame.shape, shapely.points(seeds.x, seeds.y))
    inside.setflags(write=False)
    if not found:
        return _Shapes((), inside)
    geoms = _reproject(np.asarray([geom for _, _, geom in found], dtype=object), frame.to_degrees)
    oriented = list(shapely.orient_polygons(geoms))
    return _Shapes(tuple((k, m, g) for (k, m, _), g in zip(found, oriented, strict=True)), inside)


def _area_row(
    seeds: _Seeds, key: tuple[str | None, bool, tuple[str, ...]], members: np.ndarray, geom: shapely.Geometry
) -> dict[str, Any]:
    """One area's row: its key, the places behind it and their newest date, and its outline."""
    controller, contested, claims = key
    return {
        "controller": controller,
        "contested": contested,
        "claims": list(claims),
        "places": sorted(p for i in members for p in seeds.places[i]),
        "place_names": sorted(n for i in members for n in seeds.names[i]),
        "since": _newest(seeds.since[i] for i in members),
        "geometry": geom,
    }


def control_areas(
    events: pd.DataFrame,
    as_of: date | datetime | str,
    *,
    reach_km: float | None = None,
    outline_code: str = DEFAULT_OUTLINE,
) -> gpd.GeoDataFrame:
    """Return the areas of control as of ``as_of`` (see :func:`areas_from_control` for the columns)."""
    from geodata.control import control_as_of

    return areas_from_control(control_as_of(events, as_of), reach_km=reach_km, outline_code=outline_code)


def _allies(a: str | None, b: str | None) -> bool:
    return bool(a and b and set(split_controller(a)) & set(split_controller(b)))


def front_lines(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the borders where two areas of opposing controllers meet (contested areas are left out).

    Each row has ``sides`` (the two controller codes, sorted) and a LineString or MultiLineString geometry.
    """
    import geopandas as gpd

    held = areas[~areas["contested"].astype(bool) & areas["controller"].notna()]
    codes = held["controller"].astype(str).tolist()
    shapes = np.asarray(held.geometry.array, dtype=object)
    rows, geoms = [], []
    for i in range(len(codes)):
        for j in range(i + 1, len(codes)):
            if codes[i] == codes[j] or _allies(codes[i], codes[j]):
                continue
            line = _shared_border(shapes[i], shapes[j])
            if line is not None:
                rows.append({"sides": sorted([codes[i], codes[j]])})
                geoms.append(line)
    if not rows:
        return gpd.GeoDataFrame({"sides": []}, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)


def _shared_border(a: shapely.Geometry, b: shapely.Geometry) -> shapely.Geometry | None:
    """Return the common border of two touching areas as (multi)lines; None when they meet at points or not at all."""
    if not shapely.intersects(a, b):
        return None
    common = shapely.intersection(shapely.boundary(a), shapely.boundary(b))
    lines = [g for g in shapely.get_parts(common).tolist() if shapely.get_type_id(g) in (1, 5)]
    if not lines:
        return None
    merged = shapely.line_merge(shapely.union_all(lines))
    return merged if not merged.is_empty else None


def _since_text(value: object) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


def areas_to_geojson_bytes(areas: gpd.GeoDataFrame, *, as_of: date | str | None = None) -> bytes:
    """Return areas as an RFC 7946 FeatureCollection (Polygon/MultiPolygon, lon/lat, counterclockwise shells)."""
    features = []
    for row, geom in zip(areas.drop(columns="geometry").to_dict("records"), areas.geometry, strict=True):
        props = {
            "controller": row.get("controller"),
            "contested": bool(row.get("contested")),
            "claims": list(row.get("claims") or []),
            "places": list(row.get("places") or []),
            "place_names": list(row.get("place_names") or []),
            "since": _since_text(row.get("since")),
        }
        rounded = shapely.set_precision(shapely.orient_polygons(geom), 10.0**-COORD_DECIMALS)
        features.append(
            {
                "type": "Feature",
                "geometry": orjson.Fragment(shapely.to_geojson(shapely.orient_polygons(rounded))),
                "properties": props,
            }
        )
    doc: dict[str, Any] = {"type": "FeatureCollection"}
    if as_of is not None:
        doc["as_of"] = as_of.isoformat() if isinstance(as_of, date) else str(as_of)
    doc["reach_km"] = areas.attrs.get("reach_km", DEFAULT_REACH_KM)
    doc["method"] = (
        "Voronoi cells of the places in the control state, cut to the reach radius and the country outline, "
        "dissolved by controller: an approximation, not surveyed front lines"
    )
    doc["features"] = features
    return orjson.dumps(doc) + b"\n"
