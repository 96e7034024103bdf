"""Kirkuk Control Map data layer: gazetteer, geocoding, events, control state, extraction and exports.

The public API is re-exported here lazily, so that ``import geodata`` stays cheap for the CLI
(geopandas and friends are imported only when a function that needs them is first used).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    # errors
    "GeodataError": "errors",
    "PlaceNotFound": "errors",
    "GazetteerError": "errors",
    "InputError": "errors",
    "EventValidationError": "errors",
    "ExportError": "errors",
    "ArticleError": "errors",
    "Problem": "errors",
    # settings
    "Settings": "settings",
    "get_settings": "settings",
    # gazetteer and geocoding
    "Place": "gazetteer",
    "Gazetteer": "gazetteer",
    "load_gazetteer": "gazetteer",
    "build_gazetteer": "gazetteer",
    "Match": "geocode",
    "Mention": "geocode",
    "geocode": "geocode",
    "geocode_many": "geocode",
    "find_mentions": "geocode",
    # events, filters, control, export
    "load_events": "events",
    "validate_file": "events",
    "validate_frame": "events",
    "save_events": "events",
    "append_events": "events",
    "AppendResult": "events",
    "update_event": "events",
    "withdraw_event": "events",
    "EventFilter": "filters",
    "apply_filter": "filters",
    "control_as_of": "control",
    "changes_between": "control",
    "control_records": "control",
    "control_areas": "areas",
    "areas_from_control": "areas",
    "front_lines": "areas",
    "areas_to_geojson_bytes": "areas",
    "write_events": "export",
    "to_geojson_bytes": "export",
    "to_csv_bytes": "export",
    "to_acled_csv_bytes": "export",
    "control_to_geojson_bytes": "export",
    # articles
    "find_dates": "dates",
    "read_publication_date": "dates",
    "extract_article": "extract",
    "read_article": "extract",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'geodata' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"geodata.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


# The submodule ``geodata.geocode`` and the function ``geocode`` share a name: importing the submodule would
# otherwise rebind ``geodata.geocode`` to the module. Binding the function eagerly (a cheap import: no geopandas)
# makes ``from geodata import geocode`` always give the function.
from geodata.geocode import geocode as geocode  # noqa: E402
