"""Plain-data payloads of the map's base layer, areas of control and front lines (no folium, no markup).

Every string here is plain text: the page puts it into the DOM with ``textContent``, never as HTML, and the payload
reaches the page as JSON that no template reads.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import orjson
import shapely

from geodata.basemap import basemap_json
from geodata.vocab import CONTESTED_COLOR, UNKNOWN_COLOR, actor_label, controller_color

if TYPE_CHECKING:
    import pandas as pd

_DIGITS = 5  # about 1 m
_NAMES_LISTED = 6

_TEXT: dict[str, tuple[str, str]] = {
    "area": ("Approximate area of {who}", "منطقة تقريبية لـ{who}"),
    "contested": ("Contested: {who}", "متنازع عليها: {who}"),
    "from_places": ("derived from {n} place(s): {names}", "مستنتجة من {n} مكان: {names}"),
    "newest": ("newest report {day}", "أحدث تقرير {day}"),
    "front": ("Front line (approximate): {a} | {b}", "خط تماس (تقريبي): {a} | {b}"),
}


def _say(key: str, lang: str, **values: object) -> str:
    en, ar = _TEXT[key]
    return (ar if lang == "ar" else en).format(**values)


def _geometry(geom: shapely.Geometry) -> orjson.Fragment:
    rounded = shapely.set_precision(geom, 10.0**-_DIGITS)
    return orjson.Fragment(shapely.to_geojson(shapely.orient_polygons(rounded)))


def base_payload() -> orjson.Fragment:
    """Return the packaged outlines (GeoJSON with ``kind``, ``code``, ``name``, ``name_ar``, ``label``), as JSON."""
    return orjson.Fragment(basemap_json())


def _area_colour(controller: object, contested: bool) -> str:
    if contested:
        return CONTESTED_COLOR
    return controller_color(str(controller)) if controller else UNKNOWN_COLOR


def _area_lines(row: Any, lang: str) -> list[str]:
    claims = list(row.claims or [])
    if row.contested:
        head = _say("contested", lang, who=" / ".join(actor_label(c, lang) for c in claims) or "?")
    else:
        head = _say("area", lang, who=actor_label(str(row.controller), lang))
    names = list(row.place_names or [])
    shown = ", ".join(names[:_NAMES_LISTED]) + (" …" if len(names) > _NAMES_LISTED else "")
    lines = [head, _say("from_places", lang, n=len(row.places or []), names=shown)]
    if isinstance(row.since, date):
        lines.append(_say("newest", lang, day=row.since.isoformat()))
    return lines


def areas_payload(areas: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Return the areas as GeoJSON features with ``c`` (colour), ``x`` (contested) and ``t`` (tooltip lines)."""
    features = [
        {
            "type": "Feature",
            "geometry": _geometry(row.geometry),
            "properties": {
                "c": _area_colour(row.controller, bool(row.contested)),
                "x": bool(row.contested),
                "t": _area_lines(row, lang),
            },
        }
        for row in areas.itertuples()
        if not row.geometry.is_empty
    ]
    return {"type": "FeatureCollection", "features": features}


def fronts_payload(fronts: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Return the front lines as GeoJSON features with ``t`` (tooltip lines)."""
    features = [
        {
            "type": "Feature",
            "geometry": _geometry(row.geometry),
            "properties": {
                "t": [
                    _say("front", lang, a=actor_label(row.sides[0], lang), b=actor_label(row.sides[1], lang))
                ]
            },
        }
        for row in fronts.itertuples()
        if not row.geometry.is_empty
    ]
    return {"type": "FeatureCollection", "features": features}


def bounds_of(*collections: pd.DataFrame) -> list[list[float]] | None:
    """Return ``[[south, west], [north, east]]`` of the geometries of the given frames, or None if all are empty."""
    boxes = [frame.total_bounds for frame in collections if frame is not None and len(frame)]
    if not boxes:
        return None
    west = min(b[0] for b in boxes)
    south = min(b[1] for b in boxes)
    east = max(b[2] for b in boxes)
    north = max(b[3] for b in boxes)
    return [[float(south), float(west)], [float(north), float(east)]]
