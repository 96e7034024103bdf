"""geodata.overlays: the map's outline, area and front-line payloads are plain data with the right colours."""

from __future__ import annotations

import json
from datetime import date

import orjson
import pandas as pd
import pytest
import shapely

from geodata.areas import areas_from_control, front_lines
from geodata.overlays import areas_payload, base_payload, bounds_of, fronts_payload
from geodata.vocab import CONTESTED_COLOR, controller_color

XSS = "<img src=x onerror=alert(1)>"
TEMPLATE = "{{ 7*191 }} {% if 1 %}x{% endif %} {#"


def _control() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "place_id": ["a", "b", "c", "d"],
            "place": ["Kirkuk", XSS, TEMPLATE, "Tuz"],
            "lon": [44.39, 44.0, 44.2, 44.63],
            "lat": [35.47, 36.19, 35.8, 34.88],
            "controller": ["isf", "krg", "krg", None],
            "since": [date(2017, 10, 16), date(2017, 9, 25), None, None],
            "contested": [False, False, False, True],
            "claims": [[], [], [], ["isf", "krg"]],
        }
    )


@pytest.fixture(scope="module")
def areas():
    return areas_from_control(_control())


def test_area_features_carry_colour_hatching_and_plain_text(areas) -> None:
    payload = areas_payload(areas, "en")
    by_colour = {f["properties"]["c"]: f["properties"] for f in payload["features"]}
    assert set(by_colour) == {controller_color("isf"), controller_color("krg"), CONTESTED_COLOR}
    assert by_colour[CONTESTED_COLOR]["x"] is True
    krg = by_colour[controller_color("krg")]
    assert krg["x"] is False
    assert krg["t"][0] == "Approximate area of Kurdistan Region forces (Peshmerga, Asayish)"
    assert (
        XSS in krg["t"][1] and TEMPLATE in krg["t"][1]
    )  # text as written: the page sets it with textContent
    assert "derived from 2 place(s)" in krg["t"][1]
    isf = by_colour[controller_color("isf")]
    assert isf["t"][-1] == "newest report 2017-10-16"


def test_arabic_text_and_geometry_in_lon_lat(areas) -> None:
    payload = areas_payload(areas, "ar")
    text = orjson.dumps(payload)
    doc = json.loads(text)
    assert any("منطقة تقريبية" in f["properties"]["t"][0] for f in doc["features"])
    for feature in doc["features"]:
        assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        west, south, east, north = shapely.geometry.shape(feature["geometry"]).bounds
        assert 38 < west < east < 49 and 29 < south < north < 38


def test_front_lines_name_both_sides(areas) -> None:
    fronts = front_lines(areas)
    payload = json.loads(orjson.dumps(fronts_payload(fronts, "en")))
    assert len(payload["features"]) == 1
    assert payload["features"][0]["properties"]["t"] == [
        "Front line (approximate): Iraqi federal forces | Kurdistan Region forces (Peshmerga, Asayish)"
    ]
    assert payload["features"][0]["geometry"]["type"] in {"LineString", "MultiLineString"}


def test_base_payload_is_the_packaged_outlines() -> None:
    doc = json.loads(orjson.dumps({"base": base_payload()}))["base"]
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 25


def test_bounds_cover_every_frame(areas) -> None:
    (south, west), (north, east) = bounds_of(areas, front_lines(areas))
    assert south < 34.88 - 0.1 and north > 36.19 and west < 44.0 and east > 44.63
    assert bounds_of(areas.iloc[0:0]) is None
