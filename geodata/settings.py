"""Typed defaults of the data layer: paths, CRS and thresholds, read when called, never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
DATA_DIR = PACKAGE_DIR / "data"

CRS = "EPSG:4326"
COORD_DECIMALS = 6
# The mean Earth radius (IUGG), for great-circle distances.
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Settings:
    """Settings in force for one call.

    Attributes
    ----------
    events_path
        The events file the dashboard and CLI use when none is given (``KCM_EVENTS``).
    gazetteer_path
        The packaged gazetteer file (``KCM_GAZETTEER``).
    curated_places_path
        The hand-curated places file that the gazetteer build merges into GeoNames.
    aggregate_threshold
        Above this many events in the window, the map draws grid-cell counts instead of points.
    override_km
        Coordinates further than this from the gazetteer's need the ``coord_override`` flag.
    map_tiles
        Map tiles drawn under the packaged outlines: a folium tile name or URL template (``KCM_TILES``, e.g.
        ``OpenStreetMap`` or a local tile server's URL). Default ``none``: offline-safe, no request leaves the
        machine; the packaged outlines are drawn either way.
    candidates_path
        The candidates dataset the review page opens, or a folder of such datasets (``KCM_CANDIDATES``).
    read_only
        The dashboard only shows data (``KCM_READ_ONLY``): no upload, no Add article, no corrections. For a map
        shared on a network.
    cache_dir
        Where validated GeoParquet copies of CSV files and validation stamps are kept (``KCM_CACHE``; default
        ``$XDG_CACHE_HOME/kcm`` or ``~/.cache/kcm``). Deleting it only costs one slower start.
    """

    events_path: Path
    gazetteer_path: Path
    curated_places_path: Path
    aggregate_threshold: int = 5000
    override_km: float = 25.0
    map_tiles: str | None = None
    candidates_path: Path | None = None
    read_only: bool = False
    cache_dir: Path = Path.home() / ".cache" / "kcm"


def get_settings() -> Settings:
    """Return the settings, reading environment overrides at call time."""
    return Settings(
        events_path=Path(os.environ.get("KCM_EVENTS") or REPO_ROOT / "events.csv"),
        gazetteer_path=Path(os.environ.get("KCM_GAZETTEER") or DATA_DIR / "gazetteer.json"),
        curated_places_path=DATA_DIR / "curated_places.csv",
        aggregate_threshold=int(os.environ.get("KCM_AGGREGATE_THRESHOLD", "5000")),
        map_tiles=_tiles(os.environ.get("KCM_TILES", "none")),
        candidates_path=Path(os.environ["KCM_CANDIDATES"]) if os.environ.get("KCM_CANDIDATES") else None,
        read_only=_flag(os.environ.get("KCM_READ_ONLY", "")),
        cache_dir=_cache_dir(),
    )


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _cache_dir() -> Path:
    if os.environ.get("KCM_CACHE"):
        return Path(os.environ["KCM_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kcm"


def _tiles(value: str) -> str | None:
    text = value.strip()
    if text.lower() in {"", "none", "off"}:
        return None
    return "OpenStreetMap" if text.lower() == "osm" else text
