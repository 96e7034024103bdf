"""geodata.export, ACLED-style CSV: columns, the type join, actors, notes, formula injection, CLI, pandas round trip."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geodata.cli import main
from geodata.errors import ExportError
from geodata.events import load_events
from geodata.export import (
    ACLED_COLUMNS,
    acled_types,
    export_format,
    iter_acled_csv,
    to_acled_csv_bytes,
    to_csv_bytes,
    write_events,
)
from geodata.gazetteer import load_gazetteer
from geodata.vocab import ACLED_TYPES, COUNTRY_NAMES, EVENT_COLUMNS, EVENT_TYPES

# Written out, not imported: a change of the exported columns must change this test too.
EXPECTED_COLUMNS = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "actor2",
    "assoc_actor_2",
    "country",
    "admin1",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "notes",
    "fatalities",
    "kcm_place_id",
    "kcm_controller_before",
    "kcm_controller_after",
    "kcm_status",
    "kcm_source_url",
    "kcm_event_type",
    "kcm_date_end",
    "kcm_actors",
]

# ACLED (disorder_type, event_type, sub_event_type) of every (event_type, control_mode) in the bundled events.csv.
# The violent control changes there are all taken by isf+pmf (state forces), hence "Government regains territory".
BUNDLED_TYPES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("control_change", "violent"): ("Political violence", "Battles", "Government regains territory"),
    ("control_change", "non_violent"): (
        "Strategic developments",
        "Strategic developments",
        "Non-violent transfer of territory",
    ),
    ("control_change", "negotiated"): ("Strategic developments", "Strategic developments", "Agreement"),
    ("status", ""): ("Strategic developments", "Strategic developments", "Other"),
    ("deployment", ""): ("Strategic developments", "Strategic developments", "Other"),
    ("withdrawal", ""): ("Strategic developments", "Strategic developments", "Other"),
    ("clash", ""): ("Political violence", "Battles", "Armed clash"),
    ("displacement", ""): ("Strategic developments", "Strategic developments", "Other"),
    ("political", ""): ("Strategic developments", "Strategic developments", "Other"),
}


@pytest.fixture(scope="module")
def events(events_csv: Path) -> gpd.GeoDataFrame:
    return load_events(events_csv)


@pytest.fixture(scope="module")
def rows(events: gpd.GeoDataFrame) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(to_acled_csv_bytes(events).decode("utf-8"))))


def _by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["event_id_cnty"]: r for r in rows}


# ---------------------------------------------------------------- columns and values


def test_columns_in_order(rows: list[dict[str, str]], events: gpd.GeoDataFrame) -> None:
    assert list(ACLED_COLUMNS) == EXPECTED_COLUMNS
    header = to_acled_csv_bytes(events.head(0)).decode("utf-8").splitlines()
    assert header == [",".join(EXPECTED_COLUMNS)]
    assert list(rows[0]) == EXPECTED_COLUMNS
    assert len(rows) == len(events)


def test_type_join_on_every_type_in_events_csv(events: gpd.GeoDataFrame, rows: list[dict[str, str]]) -> None:
    present = {
        (t, "" if pd.isna(m) else str(m))
        for t, m in zip(events["event_type"].astype(str), events["control_mode"].astype(object), strict=True)
    }
    assert present == set(BUNDLED_TYPES), "a new (event_type, control_mode) in events.csv needs a row here"
    for row in rows:
        key = (row["kcm_event_type"], _by_mode(events)[row["event_id_cnty"]])
        assert (row["disorder_type"], row["event_type"], row["sub_event_type"]) == BUNDLED_TYPES[key], row[
            "event_id_cnty"
        ]


def _by_mode(events: gpd.GeoDataFrame) -> dict[str, str]:
    modes = events["control_mode"].astype(object).where(events["control_mode"].notna(), "")
    return dict(zip(events["event_id"], modes, strict=True))


_BATTLE = ("Political violence", "Battles")
_STRATEGIC = ("Strategic developments", "Strategic developments")


@pytest.mark.parametrize(
    ("event_type", "control_mode", "side", "expected"),
    [
        ("control_change", "violent", "state", (*_BATTLE, "Government regains territory")),
        ("control_change", "violent", "non_state", (*_BATTLE, "Non-state actor overtakes territory")),
        # fighting, but ACLED's territory sub-types do not name this taker
        ("control_change", "violent", "", (*_BATTLE, "Armed clash")),
        ("control_change", "non_violent", "state", (*_STRATEGIC, "Non-violent transfer of territory")),
        ("control_change", "negotiated", "non_state", (*_STRATEGIC, "Agreement")),
        # no control_mode: claim neither fighting nor its absence
        ("control_change", "", "state", (*_STRATEGIC, "Other")),
        ("deployment", "", "non_state", (*_STRATEGIC, "Headquarters or base established")),
        ("deployment", "", "state", (*_STRATEGIC, "Other")),
        # a control_mode on another type falls back to the type alone
        ("clash", "violent", "state", (*_BATTLE, "Armed clash")),
        ("status", "", "", (*_STRATEGIC, "Other")),
    ],
)
def test_type_join_fallback(
    event_type: str, control_mode: str, side: str, expected: tuple[str, str, str]
) -> None:
    keys = pd.DataFrame(
        {"event_type": [event_type], "control_mode": [control_mode], "side": [side]}, index=[7]
    )
    out = acled_types(keys)
    assert out.index.tolist() == [7]
    assert tuple(out.loc[7, ["disorder_type", "acled_event_type", "sub_event_type"]]) == expected


def test_type_table_covers_every_event_type_and_rejects_others() -> None:
    assert {t for t, m, s in ACLED_TYPES if m is None and s is None} == set(EVENT_TYPES)
    keys = pd.DataFrame({"event_type": ["clash", "battle"], "control_mode": ["", ""], "side": ["", ""]})
    with pytest.raises(ExportError, match="no ACLED type for event_type 'battle'"):
        acled_types(keys)


def test_every_gazetteer_country_has_a_name() -> None:
    gazetteer = load_gazetteer()
    codes = {p.country for p in gazetteer}
    assert {c for c in codes if not (COUNTRY_NAMES.get(c) or gazetteer.country_name(c))} == set()
    assert gazetteer.country_name("FR") == "France" and gazetteer.country_name("XX") is None


@pytest.mark.parametrize(
    ("event_id", "actor1", "assoc_actor_1", "actor2", "assoc_actor_2"),
    [
        # control changes: actor1 takes control (a joint holder's other part is associated), actor2 loses it
        ("kcm-0030", "Iraqi federal forces", "Popular Mobilization Forces", "Islamic State (ISIS)", ""),
        ("kcm-0042", "Iraqi federal forces", "", "Kurdistan Region forces (Peshmerga, Asayish)", ""),
        # other events: the first listed actor; which side the others were on is not in our data
        ("kcm-0059", "US-led coalition", "", "", ""),
        ("kcm-0036", "Popular Mobilization Forces", "", "", ""),
        ("kcm-0001", "Kurdistan Region forces (Peshmerga, Asayish)", "", "", ""),
    ],
)
def test_actors(
    rows: list[dict[str, str]],
    event_id: str,
    actor1: str,
    assoc_actor_1: str,
    actor2: str,
    assoc_actor_2: str,
) -> None:
    row = _by_id(rows)[event_id]
    assert (row["actor1"], row["assoc_actor_1"], row["actor2"], row["assoc_actor_2"]) == (
        actor1,
        assoc_actor_1,
        actor2,
        assoc_actor_2,
    )


def test_values(events: gpd.GeoDataFrame, rows: list[dict[str, str]]) -> None:
    by_id = _by_id(rows)
    precision = {"day": "1", "week": "2", "month": "3"}
    for event in events.itertuples():
        row = by_id[event.event_id]
        assert row["event_date"] == event.event_date.date().isoformat()
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["event_date"])
        assert row["year"] == str(event.event_date.year)
        assert row["time_precision"] == precision[event.date_precision]
        assert row["fatalities"] == ""  # not coded: empty, never 0
        assert row["country"] == "Iraq"
        assert row["location"] == event.place
        assert row["kcm_place_id"] == event.place_id
        assert row["kcm_status"] == event.status
        assert row["notes"].startswith(event.summary)
        assert f"Place as written: {event.place_as_written}" in row["notes"]
        assert ("Status: disputed" in row["notes"]) == (event.status == "disputed")
    assert by_id["kcm-0034"]["time_precision"] == "3"
    assert by_id["kcm-0034"]["kcm_date_end"] == "2017-11-30"
    assert by_id["kcm-0026"]["admin1"] == ""  # the Kurdistan Region is above governorates


def test_formula_injection_is_neutralised(events: gpd.GeoDataFrame) -> None:
    frame = events.head(5).copy()
    frame["summary"] = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "plain"]
    frame["source"] = ["=cmd|' /C calc'!A0", "ok", "ok", "ok", "ok"]
    frame["place_as_written"] = ""
    frame["notes"] = ""
    frame["longitude"] = -3.5
    rows = list(csv.DictReader(io.StringIO(to_acled_csv_bytes(frame).decode("utf-8"))))
    assert [r["notes"] for r in rows] == ['\'=HYPERLINK("http://x")', "'+1", "'-2+3", "'@SUM(A1)", "plain"]
    assert rows[0]["source"] == "'=cmd|' /C calc'!A0"
    assert {r["longitude"] for r in rows} == {"-3.5"}  # numbers are not text


# ---------------------------------------------------------------- writing: chunks, streams, atomicity


def test_chunks_give_the_same_bytes(events: gpd.GeoDataFrame) -> None:
    pieces = list(iter_acled_csv(events, chunk_rows=7))
    assert len(pieces) == -(-len(events) // 7)
    assert b"".join(pieces) == to_acled_csv_bytes(events)
    assert b"".join(pieces).count(b"event_id_cnty") == 1


def test_acled_is_asked_for_by_name(events: gpd.GeoDataFrame, tmp_path: Path) -> None:
    assert export_format(tmp_path / "x.csv", None) == "csv"
    assert export_format(tmp_path / "x.csv", "acled") == "acled"
    buf = io.BytesIO()
    assert write_events(events, buf, fmt="acled") == len(events)
    assert buf.getvalue() == to_acled_csv_bytes(events)
    assert buf.getvalue() != to_csv_bytes(events)


def test_failed_acled_export_keeps_the_old_file(events: gpd.GeoDataFrame, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_bytes(b"old")
    broken = events.head(3).copy()
    broken["place_id"] = ["geonames:94787", "kcm:nowhere", "geonames:94787"]
    with pytest.raises(ExportError, match=r"event kcm-0002: place_id 'kcm:nowhere' is not in the gazetteer"):
        write_events(broken, path, fmt="acled")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


# ---------------------------------------------------------------- CLI and pandas round trip


def _read(data: bytes | Path) -> pd.DataFrame:
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    return pd.read_csv(source, encoding="utf-8", dtype=str, keep_default_na=False)


def test_cli_export_acled_to_a_file(
    events_csv: Path, events: gpd.GeoDataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.csv"
    assert main(["export", "--events", str(events_csv), "--format", "acled", "-o", str(out)]) == 0
    assert f"exported {len(events)} event(s) to {out}" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    back = _read(out)
    assert list(back.columns) == EXPECTED_COLUMNS
    assert back["event_id_cnty"].tolist() == events["event_id"].tolist()
    assert back["event_date"].tolist() == [d.date().isoformat() for d in events["event_date"]]
    assert pd.to_datetime(back["event_date"], format="%Y-%m-%d").notna().all()
    np.testing.assert_allclose(back["latitude"].astype(float), events["latitude"], atol=1e-9, rtol=0)
    np.testing.assert_allclose(back["longitude"].astype(float), events["longitude"], atol=1e-9, rtol=0)
    arabic = events["place_as_written"].str.contains("[\u0600-\u06ff]", regex=True)
    assert arabic.any()
    for note, written in zip(
        back["notes"][arabic.to_numpy()], events["place_as_written"][arabic], strict=True
    ):
        assert f"Place as written: {written}".encode() in note.encode()
    assert (back["fatalities"] == "").all()


def test_cli_export_acled_to_stdout(events_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["export", "--events", str(events_csv), "--type", "control_change", "--format", "acled", "-o", "-"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    back = _read(captured.out.encode("utf-8"))
    assert list(back.columns) == EXPECTED_COLUMNS
    assert len(back) == 18 and (back["kcm_event_type"] == "control_change").all()
    assert set(back["sub_event_type"]) == {
        "Government regains territory",
        "Non-violent transfer of territory",
        "Agreement",
    }
    assert "exported 18 event(s) to -" in captured.err


def test_plain_csv_extension_still_means_our_csv(
    events_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ours.csv"
    assert main(["export", "--events", str(events_csv), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").splitlines()[0] == ",".join(EVENT_COLUMNS)
