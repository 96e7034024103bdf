"""geodata.export: RFC 7946 GeoJSON (read back by GDAL, checked by geojsonhint and a JSON Schema), CSV, GPKG, Parquet."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import geopandas as gpd
import jsonschema
import numpy as np
import orjson
import pandas as pd
import pyogrio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata.control import control_as_of
from geodata.errors import ExportError
from geodata.events import build_events_frame, load_events
from geodata.export import (
    control_to_geojson_bytes,
    iter_geojson,
    to_csv_bytes,
    to_geojson_bytes,
    write_events,
)
from geodata.filters import EventFilter, apply_filter
from geodata.vocab import EVENT_COLUMNS, EVENT_TYPES, STATUSES
from tests.conftest import IN_CI

NPM_DIR = Path(__file__).parent / ".npm"
PROPERTY_COLUMNS = [c for c in EVENT_COLUMNS if c not in ("latitude", "longitude")]

_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_TEXT = {"type": ["string", "null"]}
EXPORT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["type", "features"],
    "not": {"required": ["crs"]},
    "properties": {
        "type": {"const": "FeatureCollection"},
        "filter": {
            "type": "object",
            "required": ["from", "to", "types", "actors", "places", "statuses", "admin1s", "text"],
        },
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "id", "geometry", "properties"],
                "additionalProperties": False,
                "properties": {
                    "type": {"const": "Feature"},
                    "id": {"type": "string"},
                    "geometry": {
                        "oneOf": [
                            {
                                "type": "object",
                                "properties": {
                                    "type": {"const": "Point"},
                                    "coordinates": {
                                        "type": "array",
                                        "items": {"type": "number"},
                                        "minItems": 2,
                                        "maxItems": 2,
                                    },
                                },
                            },
                            {
                                "type": "object",
                                "properties": {
                                    "type": {"const": "LineString"},
                                    "coordinates": {
                                        "type": "array",
                                        "minItems": 2,
                                        "items": {"type": "array", "minItems": 2, "maxItems": 2},
                                    },
                                },
                            },
                        ]
                    },
                    "properties": {
                        "type": "object",
                        "required": PROPERTY_COLUMNS,
                        "additionalProperties": False,
                        "properties": {
                            **{c: _TEXT for c in PROPERTY_COLUMNS},
                            "event_id": {"type": "string"},
                            "event_date": _DATE,
                            "date_end": {"anyOf": [_DATE, {"type": "null"}]},
                            "source_date": {"anyOf": [_DATE, {"type": "null"}]},
                            "event_type": {"enum": list(EVENT_TYPES)},
                            "status": {"enum": list(STATUSES)},
                            "date_precision": {"enum": ["day", "week", "month"]},
                            "coord_override": {"type": "boolean"},
                            "geo_precision": {"enum": [1, 2, 3, None]},
                            "updated_at": {"anyOf": [{"type": "string", "pattern": "Z$"}, {"type": "null"}]},
                        },
                    },
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def events(events_csv: Path) -> gpd.GeoDataFrame:
    return load_events(events_csv)


# ---------------------------------------------------------------- GeoJSON structure


def test_geojson_structure(events: gpd.GeoDataFrame) -> None:
    flt = EventFilter(date_from=date(2017, 10, 16), date_to=date(2017, 10, 17))
    selected = apply_filter(events, flt)
    raw = to_geojson_bytes(selected, event_filter=flt)
    doc = orjson.loads(raw)
    jsonschema.validate(doc, EXPORT_SCHEMA)
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert doc["filter"] == flt.to_dict() and doc["filter"]["from"] == "2017-10-16"
    assert [f["id"] for f in doc["features"]] == selected["event_id"].tolist()
    first = doc["features"][0]
    assert list(first["properties"]) == PROPERTY_COLUMNS
    row = selected.iloc[0]
    if first["geometry"]["type"] == "Point":
        assert first["geometry"]["coordinates"] == [round(row["longitude"], 6), round(row["latitude"], 6)]
    assert "كركوك".encode() in raw and b"\\u" not in raw  # Arabic written as UTF-8, never escaped


def test_whole_bundled_export_matches_schema(events: gpd.GeoDataFrame) -> None:
    doc = orjson.loads(to_geojson_bytes(events))
    jsonschema.validate(doc, EXPORT_SCHEMA)
    assert "filter" not in doc
    kinds = {f["geometry"]["type"] for f in doc["features"]}
    assert kinds == {"Point", "LineString"}


def test_schema_rejects_a_crs_member(events: gpd.GeoDataFrame) -> None:
    doc = orjson.loads(to_geojson_bytes(events.head(2)))
    doc["crs"] = {"type": "name", "properties": {"name": "EPSG:4326"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, EXPORT_SCHEMA)


def test_coordinates_are_rounded_to_six_decimals(events: gpd.GeoDataFrame) -> None:
    moved = events.head(1).copy()
    moved["geometry"] = gpd.points_from_xy([44.123456789], [35.987654321], crs=4326)
    doc = orjson.loads(to_geojson_bytes(moved))
    assert doc["features"][0]["geometry"]["coordinates"] == [44.123457, 35.987654]


def test_chunked_output_equals_one_chunk(events: gpd.GeoDataFrame) -> None:
    one = b"".join(iter_geojson(events, chunk_rows=10_000))
    many = b"".join(iter_geojson(events, chunk_rows=7))
    assert one == many
    assert len(orjson.loads(many)["features"]) == len(events)


def test_empty_selection_is_a_valid_collection(events: gpd.GeoDataFrame) -> None:
    doc = orjson.loads(to_geojson_bytes(events.iloc[0:0]))
    assert doc == {"type": "FeatureCollection", "features": []}


def test_percent_signs_survive_the_template(events: gpd.GeoDataFrame) -> None:
    frame = events.head(3).copy()
    frame["summary"] = ["100% %s %b %%", "50%", "%(x)s"]
    frame["source"] = "%d%%"
    doc = orjson.loads(to_geojson_bytes(frame))
    assert [f["properties"]["summary"] for f in doc["features"]] == ["100% %s %b %%", "50%", "%(x)s"]
    assert {f["properties"]["source"] for f in doc["features"]} == {"%d%%"}


# ---------------------------------------------------------------- read back through GDAL (hypothesis)

_ARABIC = st.characters(min_codepoint=0x0621, max_codepoint=0x064A)
_TEXT_CHARS = st.one_of(_ARABIC, st.sampled_from(list(" ،؛؟«»-.'\"\\/%abcXYZ٠١٢ـًٌ")))
_ARABIC_TEXT = st.builds(lambda head, rest: head + rest, _ARABIC, st.text(_TEXT_CHARS, max_size=40)).map(
    str.strip
)
_ROW = st.fixed_dictionaries(
    {
        "event_date": st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
        "event_type": st.sampled_from(["deployment", "withdrawal", "clash", "displacement", "political"]),
        "summary": _ARABIC_TEXT,
        "notes": _ARABIC_TEXT,
        "place_as_written": _ARABIC_TEXT,
        "latitude": st.floats(min_value=-89.9, max_value=89.9, allow_nan=False),
        "longitude": st.floats(min_value=-179.9, max_value=179.9, allow_nan=False),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_ROW, min_size=1, max_size=12))
def test_geojson_round_trips_through_gdal(tmp_path: Path, rows: list[dict[str, object]]) -> None:
    frame = pd.DataFrame(
        [
            {
                **r,
                "event_id": f"kcm-{i + 1:04d}",
                "date_precision": "day",
                "place_id": "geonames:94787",
                "coord_override": "true",
                "source": "hypothesis",
                "status": "reported",
            }
            for i, r in enumerate(rows)
        ]
    )
    gdf = build_events_frame(frame)
    path = tmp_path / "round.geojson"
    write_events(gdf, path)
    back = pyogrio.read_dataframe(path)
    assert back["event_id"].tolist() == gdf["event_id"].tolist()
    assert [d.date() for d in pd.to_datetime(back["event_date"])] == [d.date() for d in gdf["event_date"]]
    assert back["event_type"].tolist() == gdf["event_type"].astype(str).tolist()
    for col in ("summary", "notes", "place_as_written", "place_ar"):
        assert [s.encode() for s in back[col]] == [s.encode() for s in gdf[col]], col
    np.testing.assert_allclose(back.geometry.x, gdf.geometry.x, atol=1e-6, rtol=0)
    np.testing.assert_allclose(back.geometry.y, gdf.geometry.y, atol=1e-6, rtol=0)


def test_bundled_events_round_trip_through_gdal(events: gpd.GeoDataFrame, tmp_path: Path) -> None:
    path = tmp_path / "events.geojson"
    write_events(events, path)
    back = pyogrio.read_dataframe(path)
    assert back["event_id"].tolist() == events["event_id"].tolist()
    assert back["place_ar"].tolist() == events["place_ar"].tolist()
    assert back.geometry.geom_type.tolist() == events.geometry.geom_type.tolist()


# ---------------------------------------------------------------- geojsonhint (npm)


@pytest.fixture(scope="session")
def geojsonhint() -> Path:
    module = NPM_DIR / "node_modules" / "@mapbox" / "geojsonhint"
    if not module.exists():
        npm, node = shutil.which("npm"), shutil.which("node")
        if not (npm and node):
            if IN_CI:
                pytest.fail("CI=true but npm/node are missing: geojsonhint must run in CI")
            pytest.skip(
                "npm/node not installed (geojsonhint check runs where npm is available and always in CI)"
            )
        NPM_DIR.mkdir(exist_ok=True)
        cmd = [
            npm,
            "install",
            "--prefix",
            str(NPM_DIR),
            "--no-audit",
            "--no-fund",
            "--silent",
            "@mapbox/geojsonhint@2.2.0",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            if IN_CI:
                pytest.fail(f"npm install of @mapbox/geojsonhint@2.2.0 failed: {proc.stderr[-500:]}")
            pytest.skip(f"npm install of @mapbox/geojsonhint@2.2.0 failed (offline?): {proc.stderr[-200:]}")
    return NPM_DIR / "node_modules"


def _hint(node_modules: Path, path: Path) -> list[dict[str, object]]:
    script = "const h=require('@mapbox/geojsonhint');const fs=require('fs');process.stdout.write(JSON.stringify(h.hint(fs.readFileSync(process.argv[1],'utf8'))))"
    node = shutil.which("node")
    assert node is not None, "node is needed to run geojsonhint"
    proc = subprocess.run(
        [node, "-e", script, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NODE_PATH": str(node_modules)},
        timeout=120,
    )
    return json.loads(proc.stdout)


@pytest.mark.npm
def test_geojsonhint_accepts_our_export(geojsonhint: Path, events: gpd.GeoDataFrame, tmp_path: Path) -> None:
    flt = EventFilter(date_from=date(2017, 10, 1))
    path = tmp_path / "events.geojson"
    write_events(apply_filter(events, flt), path, event_filter=flt)
    assert _hint(geojsonhint, path) == []
    control = tmp_path / "control.geojson"
    control.write_bytes(
        control_to_geojson_bytes(control_as_of(events, date(2017, 10, 17)), as_of=date(2017, 10, 17))
    )
    assert _hint(geojsonhint, control) == []


@pytest.mark.npm
def test_geojsonhint_can_fail(geojsonhint: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        '{"type":"FeatureCollection","crs":{"type":"name"},"features":[{"type":"Feature","geometry":{"type":"Point"}}]}'
    )
    assert _hint(geojsonhint, bad)


# ---------------------------------------------------------------- CSV


def test_csv_neutralises_formulas(events: gpd.GeoDataFrame) -> None:
    frame = events.head(6).copy()
    frame["summary"] = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "plain"]
    rows = list(csv.DictReader(io.StringIO(to_csv_bytes(frame).decode("utf-8"))))
    assert [r["summary"] for r in rows] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "plain",
    ]
    assert list(rows[0]) == list(EVENT_COLUMNS)
    assert rows[0]["event_date"] == events.iloc[0]["event_date"].date().isoformat()


def test_csv_keeps_negative_numbers_as_numbers(events: gpd.GeoDataFrame) -> None:
    frame = events.head(1).copy()
    frame["longitude"] = -3.5
    rows = list(csv.DictReader(io.StringIO(to_csv_bytes(frame).decode("utf-8"))))
    assert rows[0]["longitude"] == "-3.5"


# ---------------------------------------------------------------- formats, atomicity, streams


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("e.geojson", None),
        ("e.json", None),
        ("e.csv", None),
        ("e.gpkg", None),
        ("e.parquet", None),
        ("e.dat", "csv"),
    ],
)
def test_write_events_formats(events: gpd.GeoDataFrame, tmp_path: Path, name: str, fmt: str | None) -> None:
    path = tmp_path / name
    assert write_events(events, path, fmt=fmt) == len(events)
    if path.suffix in (".geojson", ".json", ".gpkg"):
        back = pyogrio.read_dataframe(path)
        assert back["event_id"].tolist() == events["event_id"].tolist()
    elif path.suffix == ".parquet":
        back = gpd.read_parquet(path)
        assert back["event_id"].tolist() == events["event_id"].tolist()
        assert back.crs.to_epsg() == 4326
    else:
        assert len(list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))) == len(events) + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_unknown_format_leaves_target_untouched(events: gpd.GeoDataFrame, tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"keep me")
    with pytest.raises(ExportError, match=r"out\.xlsx"):
        write_events(events, path)
    with pytest.raises(ExportError, match="unknown export format 'kml'"):
        write_events(events, tmp_path / "x.geojson", fmt="kml")
    assert path.read_bytes() == b"keep me"


def test_failed_write_keeps_the_old_file(events: gpd.GeoDataFrame, tmp_path: Path) -> None:
    path = tmp_path / "out.geojson"
    path.write_bytes(b"old")
    broken = events.head(2).copy()
    broken["summary"] = [object(), object()]  # orjson cannot serialise these
    with pytest.raises(TypeError):
        write_events(broken, path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.geojson"]


@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg", "parquet"])
def test_write_to_a_stream(events: gpd.GeoDataFrame, fmt: str) -> None:
    buf = io.BytesIO()
    assert write_events(events, buf, fmt=fmt) == len(events)
    data = buf.getvalue()
    if fmt == "geojson":
        assert data == to_geojson_bytes(events)
    elif fmt == "csv":
        assert data == to_csv_bytes(events)
    else:
        assert len(data) > 1000


def test_control_geojson(events: gpd.GeoDataFrame) -> None:
    state = control_as_of(events, date(2017, 10, 17))
    doc = orjson.loads(control_to_geojson_bytes(state, as_of=date(2017, 10, 17)))
    assert doc["as_of"] == "2017-10-17"
    kirkuk = next(f for f in doc["features"] if f["id"] == "geonames:94787")
    assert kirkuk["properties"]["controller"] == "isf"
    assert kirkuk["geometry"]["coordinates"] == [44.39222, 35.46806]


# ---------------------------------------------------------------- geometries that cannot be drawn (issue 13)


@pytest.mark.parametrize(
    ("bad", "kind"),
    [
        ("POINT (nan nan)", "NaN point"),
        ("POINT EMPTY", "empty point"),
        ("LINESTRING EMPTY", "empty line"),
        ("POINT (inf 35)", "infinite coordinate"),
    ],
)
def test_unlocatable_geometry_is_written_as_null(events: gpd.GeoDataFrame, bad: str, kind: str) -> None:
    """A NaN point used to give ``nan`` (invalid JSON) and POINT EMPTY a ValueError; RFC 7946 says null."""
    import shapely

    rows = events.iloc[:3].copy()
    geoms = rows.geometry.to_numpy().copy()
    geoms[1] = shapely.from_wkt(bad)
    rows = rows.set_geometry(gpd.GeoSeries(geoms, index=rows.index, crs=events.crs))
    raw = to_geojson_bytes(rows)

    def refuse(name: str) -> None:
        raise AssertionError(f"{kind}: invalid JSON constant {name}")

    doc = json.loads(raw, parse_constant=refuse)
    assert [f["geometry"] is None for f in doc["features"]] == [False, True, False]
    assert [f["id"] for f in doc["features"]] == rows["event_id"].tolist()  # no row dropped


_FULL_DISK_EXPORT = """
import contextlib, io, resource, signal, sys
from geodata.cli import main
with contextlib.redirect_stderr(io.StringIO()):
    main(["export", "-o", sys.argv[1] + "/warm.csv"])  # the validated copy of events.csv goes to the cache first
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
sys.exit(main(["export", "-o", sys.argv[1] + "/out.gpkg"]))
"""


@pytest.mark.parametrize("limit", [50_000, 100_000])  # GDAL fails creating the tables / committing the rows
def test_gpkg_on_a_full_disk_is_one_located_line_and_keeps_the_old_file(tmp_path: Path, limit: int) -> None:
    out = tmp_path / "out.gpkg"
    out.write_bytes(b"the old export")
    env = {**os.environ, "KCM_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", _FULL_DISK_EXPORT, str(tmp_path), str(limit)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(
        f"kcm export: cannot write {out}: GDAL failed part-way through the GeoPackage"
    )
    assert out.read_bytes() == b"the old export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "out.gpkg", "warm.csv"]
