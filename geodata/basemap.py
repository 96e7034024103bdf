"""The packaged base layer: country and governorate outlines (Natural Earth), loaded once, read-only.

The file is built by :mod:`geodata.basemap_build`; it is the map's always-present background and the clip outline
of the areas of control (:mod:`geodata.areas`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import orjson
import shapely

from geodata.errors import GeodataError, InputError
from geodata.settings import DATA_DIR

BASEMAP_FILE = DATA_DIR / "basemap.geojson"
DEFAULT_OUTLINE = "IQ"


class BasemapError(GeodataError, ValueError):
    """The packaged base layer file is missing or malformed."""


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Any]:
    try:
        doc = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise BasemapError(f"cannot read the base layer {path}: {exc}") from exc
    if doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise BasemapError(f"{path}: expected a GeoJSON FeatureCollection")
    return doc


def basemap(path: Path | None = None) -> dict[str, Any]:
    """Return the base layer as a GeoJSON mapping (shared and cached: never mutate it)."""
    return _load(path or BASEMAP_FILE)


@functools.lru_cache(maxsize=4)
def basemap_json(path: Path | None = None) -> str:
    """Return the base layer as compact JSON text, serialised once per process (it goes into every map)."""
    return orjson.dumps(basemap(path)).decode("utf-8")


def outline(code: str = DEFAULT_OUTLINE, path: Path | None = None) -> shapely.Geometry:
    """Return the outline of the country with ISO 3166-1 alpha-2 ``code`` (default Iraq) as a shapely geometry."""
    return _outline(code.upper(), path or BASEMAP_FILE)


@functools.lru_cache(maxsize=16)
def _outline(code: str, path: Path) -> shapely.Geometry:
    doc = _load(path)
    for feature in doc["features"]:
        props = feature.get("properties") or {}
        if props.get("kind") == "country" and props.get("code") == code:
            geom = shapely.from_geojson(orjson.dumps(feature["geometry"]))
            shapely.prepare(geom)
            return geom
    known = sorted(
        str((f.get("properties") or {}).get("code"))
        for f in doc["features"]
        if (f.get("properties") or {}).get("kind") == "country"
    )
    raise InputError(f"no country {code!r} in the base layer {path}; it has {', '.join(known)}")
