"""geodata.events: decoding, validation (the malformed corpus), the GeoDataFrame, atomic save/append/update."""

from __future__ import annotations

import csv
import io
import multiprocessing
import unicodedata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

import geodata.store.csv_reader as csv_reader
import geodata.store.loader as loader
import geodata.store.writers as writers
from geodata.errors import EventValidationError, InputError
from geodata.events import (
    AppendResult,
    append_events,
    atomic_path,
    history_path,
    load_events,
    read_history,
    save_events,
    update_event,
    validate_file,
    validate_frame,
    withdraw_event,
)
from geodata.gazetteer import load_gazetteer
from geodata.vocab import EVENT_COLUMNS

MALFORMED = Path(__file__).parent / "data" / "malformed"

# file -> (line, column, message fragment): the first (and, except where noted, only) problem each file has.
MALFORMED_TABLE: dict[str, tuple[int | None, str | None, str]] = {
    "missing_column.csv": (1, "event_date", "missing required column"),
    "unknown_column.csv": (1, "colour", "unknown column"),
    "duplicate_column.csv": (1, "event_type", "duplicate column"),
    "header_only_wrong.csv": (1, "id", "unknown column"),
    "empty.csv": (1, None, "no header row"),
    "bad_date.csv": (4, "event_date", "not a date"),  # line 2's summary spans two lines
    "bad_date_format.csv": (3, "event_date", "not a date"),
    "date_out_of_range.csv": (3, "event_date", "date out of range (1900-01-01..2100-12-31)"),
    "date_end_before_start.csv": (3, "date_end", "date_end is before event_date"),
    "bad_updated_at.csv": (3, "updated_at", "not a timestamp"),
    "unknown_event_type.csv": (3, "event_type", "unknown event_type"),
    "unknown_date_precision.csv": (3, "date_precision", "unknown date_precision"),
    "unknown_status.csv": (3, "status", "unknown status"),
    "unknown_control_mode.csv": (3, "control_mode", "unknown control_mode"),
    "unknown_geo_precision.csv": (3, "geo_precision", "unknown geo_precision"),
    "unknown_source_lang.csv": (3, "source_lang", "unknown source_lang"),
    "unknown_controller.csv": (3, "controller_after", "unknown controller"),
    "bad_joint_controller.csv": (3, "controller_after", "unknown controller"),
    "unknown_actor.csv": (3, "actors", "unknown actor code(s) hezbollah"),
    "duplicate_id.csv": (3, "event_id", "duplicate event_id (first on line 2)"),
    "latitude_out_of_range.csv": (3, "latitude", "latitude out of range"),
    "longitude_out_of_range.csv": (3, "longitude", "longitude out of range"),
    "swapped_coordinates.csv": (3, "latitude", "look swapped"),
    "far_coordinates.csv": (3, "latitude", "km from the gazetteer's Kirkuk"),
    "latitude_without_longitude.csv": (3, "longitude", "latitude given without longitude"),
    "bad_number.csv": (3, "latitude", "not a number"),
    "unknown_place_id.csv": (3, "place_id", "unknown place id"),
    "unknown_origin_place_id.csv": (3, "origin_place_id", "unknown place id"),
    "control_change_without_controller.csv": (3, "controller_after", "needs controller_after"),
    "status_without_controller.csv": (3, "controller_after", "needs controller_after"),
    "missing_required_value.csv": (3, "source", "a value is required"),
    "bad_coord_override.csv": (3, "coord_override", "must be true or false"),
    "bad_source_url.csv": (3, "source_url", "http:// or https://"),
    "bad_encoding.csv": (3, "summary", "undecodable bytes"),
    "ragged_row.csv": (3, None, "row has 20 field(s) but the header has 28"),
    "unterminated_quote.csv": (4, None, "malformed CSV"),
    "binary_nul.csv": (3, None, "binary data"),
}
MULTI_PROBLEM = {"header_only_wrong.csv"}


def _row(**kw: str) -> dict[str, str]:
    base = {
        "event_id": "kcm-0001",
        "event_date": "2017-10-16",
        "date_precision": "day",
        "event_type": "control_change",
        "place_id": "geonames:94787",
        "controller_before": "krg",
        "controller_after": "isf",
        "actors": "isf",
        "summary": "Federal forces took the city.",
        "source": "test",
        "status": "reported",
    }
    return {**base, **kw}


def _csv_text(rows: list[dict[str, str]], header: tuple[str, ...] = EVENT_COLUMNS) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(c, "") for c in header])
    return buf.getvalue()


def _write(path: Path, rows: list[dict[str, str]], *, encoding: str = "utf-8") -> Path:
    path.write_bytes(_csv_text(rows).encode(encoding))
    return path


# ---------------------------------------------------------------- the malformed corpus


def test_corpus_has_a_row_for_every_file() -> None:
    files = {p.name for p in MALFORMED.glob("*.csv")}
    assert files == set(MALFORMED_TABLE)
    assert len(files) >= 25


@pytest.mark.parametrize("name", sorted(MALFORMED_TABLE))
def test_malformed_file_reports_line_column_and_message(name: str) -> None:
    line, column, fragment = MALFORMED_TABLE[name]
    problems = validate_file(MALFORMED / name)
    assert problems, f"{name} passed validation"
    first = problems[0]
    assert (first.line, first.column) == (line, column), [str(p) for p in problems]
    assert fragment in first.message
    assert str(first).startswith(f"{MALFORMED / name}:{line}:" + (f"{column}:" if column else ""))
    if name not in MULTI_PROBLEM:
        assert len(problems) == 1, [str(p) for p in problems]
    with pytest.raises(EventValidationError, match=f":{line}:"):
        load_events(MALFORMED / name)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    rows = [
        _row(event_id="kcm-0001", event_date="2017-10-32"),
        _row(event_id="kcm-0002", event_type="battle", status="maybe"),
        _row(event_id="kcm-0001", place_id="geonames:1"),
    ]
    problems = validate_file(_write(tmp_path / "e.csv", rows))
    assert [(p.line, p.column) for p in problems] == [
        (2, "event_date"),
        (3, "event_type"),
        (3, "status"),
        (4, "event_id"),
        (4, "place_id"),
    ]


def test_missing_file_is_one_problem(tmp_path: Path) -> None:
    problems = validate_file(tmp_path / "nope.csv")
    assert len(problems) == 1 and "cannot read the file" in problems[0].message


# ---------------------------------------------------------------- the real events.csv


def test_bundled_events_validate(events_csv: Path) -> None:
    assert validate_file(events_csv) == []


def test_every_bundled_place_resolves_in_the_gazetteer(events_csv: Path) -> None:
    gaz = load_gazetteer()
    events = load_events(events_csv)
    for column in ("place_id", "origin_place_id"):
        ids = set(events[column].dropna())
        assert ids and all(pid in gaz for pid in ids), column


def test_bundled_events_frame_shape(events_csv: Path) -> None:
    events = load_events(events_csv)
    assert events.crs.to_epsg() == 4326
    for name in ("event_date", "date_end", "source_date"):
        assert np.issubdtype(events[name].dtype, np.datetime64), name
    for name in (
        "event_type",
        "date_precision",
        "status",
        "control_mode",
        "controller_after",
        "geo_precision",
    ):
        assert isinstance(events[name].dtype, pd.CategoricalDtype), name
    assert set(events.geometry.geom_type) <= {"Point", "LineString"}
    assert events["event_date"].is_monotonic_increasing
    assert list(events.index) == list(range(len(events)))
    assert list(events.columns) == [*EVENT_COLUMNS, "geometry"]
    assert events["event_id"].is_unique
    lines = events[events.geometry.geom_type == "LineString"]
    assert len(lines) and lines["origin_place_id"].notna().all()


# ---------------------------------------------------------------- decoding and normalisation


def test_bom_cp1256_and_utf8_load_the_same(tmp_path: Path) -> None:
    rows = [_row(place_as_written="كركوك", summary="دخلت القوات العراقية كركوك")]
    plain = load_events(_write(tmp_path / "utf8.csv", rows))
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + _csv_text(rows).encode("utf-8"))
    cp = _write(tmp_path / "cp1256.csv", rows, encoding="cp1256")
    assert cp.read_bytes() != (tmp_path / "utf8.csv").read_bytes()
    assert_geodataframe_equal(load_events(bom), plain)
    assert_geodataframe_equal(load_events(cp), plain)
    assert plain.loc[0, "summary"] == "دخلت القوات العراقية كركوك"


def test_latin1_text_is_not_taken_for_cp1256(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "latin1.csv",
        [_row(summary="Les forces fédérales sont entrées à Kirkouk, déjà prévu")],
        encoding="latin-1",
    )
    problems = validate_file(path)
    assert [(p.line, p.column) for p in problems] == [(2, "summary")]
    assert "undecodable" in problems[0].message


@pytest.mark.parametrize("arrow_reader", [False, True])
def test_arabic_indic_digits_and_nfc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arrow_reader: bool
) -> None:
    if arrow_reader:
        monkeypatch.setattr(csv_reader, "FAST_PATH_MIN_CHARS", 0)
    nfd = unicodedata.normalize("NFD", "آلتون كوبري")
    rows = [_row(event_date="٢٠١٧-١٠-١٦", latitude="٣٥٫٤٦٨٠٦", longitude="۴۴.۳۹۲۲۲", place_as_written=nfd)]
    events = load_events(_write(tmp_path / "digits.csv", rows))
    assert events.loc[0, "event_date"] == pd.Timestamp("2017-10-16")
    assert events.loc[0, "latitude"] == pytest.approx(35.46806)
    assert events.loc[0, "longitude"] == pytest.approx(44.39222)
    assert events.loc[0, "place_as_written"] == unicodedata.normalize("NFC", nfd)


def test_empty_coordinates_and_names_come_from_the_gazetteer(tmp_path: Path) -> None:
    kirkuk = load_gazetteer().get("geonames:94787")
    events = load_events(_write(tmp_path / "e.csv", [_row()]))
    row = events.iloc[0]
    assert (row["latitude"], row["longitude"]) == (kirkuk.lat, kirkuk.lon)
    assert (row.geometry.x, row.geometry.y) == (kirkuk.lon, kirkuk.lat)
    assert (row["place"], row["place_ar"], row["admin1"]) == (kirkuk.name, kirkuk.name_ar, kirkuk.admin1)


def test_override_flag_allows_far_coordinates(tmp_path: Path) -> None:
    far = _row(latitude="36.19", longitude="44.01")
    assert validate_file(_write(tmp_path / "far.csv", [far]))
    events = load_events(_write(tmp_path / "ok.csv", [{**far, "coord_override": "true"}]))
    assert events.loc[0, "coord_override"] and events.loc[0, "latitude"] == 36.19


def test_movement_is_a_line_from_origin_to_place(tmp_path: Path) -> None:
    row = _row(
        event_type="deployment", origin_place_id="geonames:95446", controller_before="", controller_after=""
    )
    geom = load_events(_write(tmp_path / "e.csv", [row])).geometry.iloc[0]
    erbil, kirkuk = load_gazetteer().get("geonames:95446"), load_gazetteer().get("geonames:94787")
    assert geom.geom_type == "LineString"
    assert list(geom.coords) == [(erbil.lon, erbil.lat), (kirkuk.lon, kirkuk.lat)]


def test_sorting_is_stable_for_same_day_rows(tmp_path: Path) -> None:
    rows = [
        _row(event_id="kcm-0003", event_date="2017-10-17"),
        _row(event_id="kcm-0001", event_date="2017-10-16"),
        _row(event_id="kcm-0002", event_date="2017-10-16"),
    ]
    assert load_events(_write(tmp_path / "e.csv", rows))["event_id"].tolist() == [
        "kcm-0001",
        "kcm-0002",
        "kcm-0003",
    ]


def test_validate_frame_numbers_rows_as_lines() -> None:
    frame = pd.DataFrame([_row(), _row(event_id="kcm-0002", event_type="battle")])
    problems = validate_frame(frame, source="<review>")
    assert [str(p) for p in problems] == [
        "<review>:3:event_type: unknown event_type; expected one of control_change, status, deployment, withdrawal, "
        "clash, displacement, political ('battle')"
    ]


# ---------------------------------------------------------------- save


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_save_then_load_round_trips(tmp_path: Path, events_csv: Path, suffix: str) -> None:
    events = load_events(events_csv)
    out = save_events(events, tmp_path / f"copy{suffix}")
    assert_geodataframe_equal(load_events(out), events)
    assert [p.name for p in tmp_path.iterdir()] == [f"copy{suffix}"]


def test_atomic_path_leaves_the_target_alone_on_error(tmp_path: Path) -> None:
    target = tmp_path / "events.csv"
    target.write_bytes(b"original")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"original"
    assert [p.name for p in tmp_path.iterdir()] == ["events.csv"]


# ---------------------------------------------------------------- append


def test_append_assigns_ids_fills_names_and_records_source(tmp_path: Path) -> None:
    path = _write(tmp_path / "events.csv", [_row(event_id="kcm-0007")])
    new = [_row(event_id="", source=""), _row(event_id="", event_date="2017-10-17", source="Reuters")]
    result = append_events(new, path, source_note="article.txt")
    assert result == AppendResult(ids=("kcm-0008", "kcm-0009"), repeated=())
    events = load_events(path)
    assert events["event_id"].tolist() == ["kcm-0007", "kcm-0008", "kcm-0009"]
    assert events["source"].tolist() == ["test", "article.txt", "Reuters"]
    text = path.read_text(encoding="utf-8")
    assert "كركوك" in text.splitlines()[2]  # place_ar written from the gazetteer


def test_append_creates_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "new.csv"
    assert append_events([_row(event_id="")], path).ids == ("kcm-0001",)
    assert len(load_events(path)) == 1


def test_append_validates_first_and_leaves_the_file_untouched(tmp_path: Path) -> None:
    path = _write(tmp_path / "events.csv", [_row(), _row(event_id="kcm-0002")])
    before = path.read_bytes()
    with pytest.raises(EventValidationError) as info:
        append_events([_row(event_id="kcm-0001"), _row(event_id="", event_type="battle")], path)
    assert path.read_bytes() == before
    assert [(p.line, p.column) for p in info.value.problems] == [(4, "event_id"), (5, "event_type")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "events.csv.lock"]


def _append_in_process(path: str, worker: int, barrier: multiprocessing.synchronize.Barrier) -> None:
    barrier.wait()
    for k in range(5):
        append_events([_row(event_id="", summary=f"worker {worker} row {k}")], path)


def test_two_processes_appending_at_once_both_land(tmp_path: Path) -> None:
    path = _write(tmp_path / "events.csv", [_row()])
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_append_in_process, args=(str(path), w, barrier)) for w in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    events = load_events(path)
    assert len(events) == 11 and events["event_id"].is_unique
    summaries = set(events["summary"])
    assert {f"worker {w} row {k}" for w in (1, 2) for k in range(5)} <= summaries


@pytest.mark.parametrize(
    ("change", "repeated"),
    [
        ({}, True),
        ({"source": ""}, True),  # no source of its own: the source note is recorded, and compared
        ({"source": " article.txt "}, True),  # cells are compared as the file stores them (stripped, NFC)
        ({"source": "another article.txt"}, False),  # the same event from another source is a new report
        ({"event_date": "2017-10-17"}, False),
        ({"event_type": "deployment"}, False),
        ({"place_id": "geonames:90220"}, False),
    ],
)
def test_append_skips_rows_the_file_holds_already(
    tmp_path: Path, change: dict[str, str], repeated: bool
) -> None:
    path = _write(tmp_path / "events.csv", [_row(source="article.txt")])
    new = [_row(event_id="", source="article.txt") | change, _row(event_id="", event_date="2017-10-20")]
    result = append_events(new, path, source_note="article.txt", skip_duplicates=True)
    assert result.repeated == (((0, "kcm-0001"),) if repeated else ())
    assert result.ids == (("kcm-0002",) if repeated else ("kcm-0002", "kcm-0003"))
    assert load_events(path)["event_id"].tolist() == ["kcm-0001", *result.ids]


def test_append_of_nothing_but_repeats_leaves_the_file_untouched(tmp_path: Path) -> None:
    path = _write(tmp_path / "events.csv", [_row()])
    before = path.read_bytes()
    result = append_events([_row(event_id="")], path, skip_duplicates=True)
    assert result == AppendResult(ids=(), repeated=((0, "kcm-0001"),))
    assert path.read_bytes() == before
    # without skip_duplicates the same row is a new report of the same event
    assert append_events([_row(event_id="")], path).ids == ("kcm-0002",)


def _append_same_in_process(path: str, barrier: multiprocessing.synchronize.Barrier, results: Any) -> None:
    rows = [
        _row(event_id="", source="same article"),
        _row(event_id="", event_date="2017-10-17", source="same article"),
    ]
    barrier.wait(timeout=60)
    results.put(append_events(rows, path, skip_duplicates=True))


def test_two_processes_appending_the_same_rows_at_once_save_one_copy(tmp_path: Path) -> None:
    path = _write(tmp_path / "events.csv", [_row()])
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    procs = [ctx.Process(target=_append_same_in_process, args=(str(path), barrier, results)) for _ in (1, 2)]
    for p in procs:
        p.start()
    outcomes = sorted((results.get(timeout=120) for _ in procs), key=lambda r: len(r.ids))
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    assert outcomes == [
        AppendResult(ids=(), repeated=((0, "kcm-0002"), (1, "kcm-0003"))),
        AppendResult(ids=("kcm-0002", "kcm-0003"), repeated=()),
    ]
    events = load_events(path)
    assert events["event_id"].tolist() == ["kcm-0001", "kcm-0002", "kcm-0003"]


# ---------------------------------------------------------------- update and withdraw


def test_update_keeps_id_records_reason_and_history(tmp_path: Path) -> None:
    path = _write(tmp_path / "events.csv", [_row(), _row(event_id="kcm-0002", event_date="2017-10-17")])
    original = path.read_text(encoding="utf-8").splitlines()[1]
    new = update_event(path, "kcm-0001", {"summary": "Corrected summary."}, reason="typo in the summary")
    assert new["event_id"] == "kcm-0001" and new["update_reason"] == "typo in the summary"
    events = load_events(path).set_index("event_id")
    assert events.loc["kcm-0001", "summary"] == "Corrected summary."
    assert events.loc["kcm-0001", "updated_at"].tzinfo is not None
    history = read_history(path)
    assert history_path(path).name == "events.history.csv"
    assert len(history) == 1 and history[0]["summary"] == "Federal forces took the city."
    assert ",".join(_csv_cells(original)) in history_path(path).read_text(encoding="utf-8")

    first_history = history_path(path).read_bytes()
    withdraw_event(path, "kcm-0001", reason="source retracted")
    assert history_path(path).read_bytes().startswith(first_history)  # append-only
    history = read_history(path)
    assert [h["summary"] for h in history] == ["Federal forces took the city.", "Corrected summary."]
    events = load_events(path).set_index("event_id")
    assert events.loc["kcm-0001", "status"] == "withdrawn"
    assert events.loc["kcm-0001", "update_reason"] == "source retracted"
    assert len(events) == 2


def _csv_cells(line: str) -> list[str]:
    return next(csv.reader([line]))


@pytest.mark.parametrize(
    ("event_id", "changes", "reason", "match"),
    [
        ("kcm-0001", {"event_id": "kcm-0099"}, "renumber", "never change"),
        ("kcm-0404", {"summary": "x"}, "fix", "no event with id 'kcm-0404'"),
        ("kcm-0001", {"summary": "x"}, "  ", "a reason is required"),
        ("kcm-0001", {"colour": "red"}, "fix", "unknown column"),
    ],
)
def test_update_refuses(
    tmp_path: Path, event_id: str, changes: dict[str, str], reason: str, match: str
) -> None:
    path = _write(tmp_path / "events.csv", [_row()])
    before = path.read_bytes()
    with pytest.raises(InputError, match=match):
        update_event(path, event_id, changes, reason=reason)
    assert path.read_bytes() == before
    assert not history_path(path).exists()


def test_invalid_update_is_refused_without_history(tmp_path: Path) -> None:
    path = _write(tmp_path / "events.csv", [_row()])
    before = path.read_bytes()
    with pytest.raises(EventValidationError, match=r"events\.csv:2:event_type"):
        update_event(path, "kcm-0001", {"event_type": "battle"}, reason="retype")
    assert path.read_bytes() == before
    assert not history_path(path).exists()


def _failing_replace_of(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the one rename over ``target`` fail as a full or read-only disk would; other renames still work."""
    real_replace = writers.os.replace

    def replace(src: Any, dst: Any) -> None:
        if Path(dst) == target:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(writers.os, "replace", replace)


@pytest.mark.parametrize("withdraw", [False, True])
def test_failed_table_write_keeps_the_file_and_loses_no_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, withdraw: bool
) -> None:
    path = _write(tmp_path / "events.csv", [_row()])
    update_event(path, "kcm-0001", {"summary": "First correction."}, reason="reworded")
    before = path.read_bytes()
    _failing_replace_of(path, monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        if withdraw:
            withdraw_event(path, "kcm-0001", reason="retracted")
        else:
            update_event(path, "kcm-0001", {"summary": "Second correction."}, reason="reworded again")
    assert path.read_bytes() == before
    # the history is written first: it holds the current version too, which is never lost
    assert [h["summary"] for h in read_history(path)] == [
        "Federal forces took the city.",
        "First correction.",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "events.csv",
        "events.csv.lock",
        "events.history.csv",
    ]


def test_failed_history_append_undoes_the_change(tmp_path: Path) -> None:
    path = _write(tmp_path / "events.csv", [_row()])
    update_event(
        path, "kcm-0001", {"summary": "x"}, reason="canonical form first"
    )  # the file as the writer writes it
    history_path(path).unlink()
    history_path(path).mkdir()  # the history cannot be appended to
    before = path.read_bytes()
    with pytest.raises(IsADirectoryError):
        update_event(path, "kcm-0001", {"summary": "Corrected summary."}, reason="typo")
    assert path.read_bytes() == before  # no change without its previous version in the history


def test_loaded_frame_is_a_geodataframe(events_csv: Path) -> None:
    assert isinstance(load_events(events_csv), gpd.GeoDataFrame)


# ---------------------------------------------------------------- the Arrow fast path gives the same answers


def test_fast_csv_path_loads_the_same_frame(events_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = load_events(events_csv)
    monkeypatch.setattr(csv_reader, "FAST_PATH_MIN_CHARS", 0)
    assert_geodataframe_equal(load_events(events_csv), slow)


@pytest.mark.parametrize("name", sorted(MALFORMED_TABLE))
def test_fast_csv_path_reports_the_same_problems(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = validate_file(MALFORMED / name)
    monkeypatch.setattr(csv_reader, "FAST_PATH_MIN_CHARS", 0)
    assert validate_file(MALFORMED / name) == slow


def test_parquet_problems_name_row_and_column(tmp_path: Path, events_csv: Path) -> None:
    events = load_events(events_csv)
    bad = events.copy()
    bad["status"] = bad["status"].astype(str)
    bad.loc[3, "status"] = "rumoured"
    bad.loc[5, "event_id"] = bad.loc[4, "event_id"]
    path = tmp_path / "bad.parquet"
    bad.to_parquet(path)
    problems = validate_file(path)
    assert [(p.line, p.column) for p in problems] == [(5, "status"), (7, "event_id")]


@pytest.mark.parametrize("day", ["1500-10-16", "3000-01-01", "1899-12-31", "2101-01-01"])
@pytest.mark.parametrize("column", ["event_date", "date_end", "source_date"])
def test_parquet_date_out_of_range_is_a_problem(
    tmp_path: Path, events_csv: Path, column: str, day: str
) -> None:
    events = load_events(events_csv)
    for name in ("event_date", "date_end", "source_date"):
        events[name] = events[name].astype("datetime64[us]")  # microseconds reach far beyond 1677..2262
    events.loc[3, column] = pd.Timestamp(day).as_unit("us")
    if column == "event_date":
        events.loc[3, "date_end"] = pd.NaT
    path = tmp_path / "events.parquet"
    events.to_parquet(path)
    problems = validate_file(path)
    assert [(p.line, p.column, p.message, p.value) for p in problems] == [
        (5, column, "date out of range (1900-01-01..2100-12-31)", day)
    ]
    with pytest.raises(EventValidationError, match=rf"events\.parquet:5:{column}: date out of range"):
        load_events(path)
    lenient = load_events(path, validate=False).set_index("event_id")
    assert pd.isna(lenient.loc[events.loc[3, "event_id"], column])  # an invalid cell becomes a missing value


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (_row(event_date="1900-01-01"), None, None),
        (_row(event_date="2100-12-31"), None, None),
        (_row(event_date="1899-12-31"), "event_date", "date out of range"),
        (_row(event_date="3000-01-01"), "event_date", "date out of range"),
        (_row(date_end="9999-12-31"), "date_end", "date out of range"),
        (_row(source_date="0001-01-01"), "source_date", "date out of range"),
        (_row(updated_at="2300-01-01T00:00:00Z"), "updated_at", "timestamp out of range"),
    ],
)
def test_date_range(row: dict[str, str], column: str | None, message: str | None) -> None:
    problems = validate_frame(pd.DataFrame([row]))
    assert [(p.column, message in p.message) for p in problems] == (
        [] if column is None else [(column, True)]
    )
    if column is not None:
        assert problems[0].value == row[column]


def test_append_and_update_on_a_large_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_reader, "FAST_PATH_MIN_CHARS", 0)  # the file is read by the Arrow reader
    path = _write(
        tmp_path / "events.csv", [_row(event_id=f"kcm-{i:04d}", summary=f"row {i}") for i in range(1, 40)]
    )
    assert append_events([_row(event_id="")], path).ids == ("kcm-0040",)
    update_event(path, "kcm-0007", {"summary": "fixed"}, reason="typo")
    events = load_events(path).set_index("event_id")
    assert len(events) == 40 and events.loc["kcm-0007", "summary"] == "fixed"


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (_row(event_id="kcm 0001"), "event_id", "must not contain spaces"),
        (_row(latitude="", longitude="44.39"), "latitude", "longitude given without latitude"),
        (
            _row(event_type="control_change", controller_before=""),
            "controller_before",
            "needs controller_before",
        ),
        (_row(actors="isf;;pmf"), "actors", "unknown actor code(s) (empty)"),
        (_row(controller_after="isf+pmf", actors="isf+pmf;us"), None, None),
    ],
)
def test_row_checks(row: dict[str, str], column: str | None, message: str | None) -> None:
    problems = validate_frame(pd.DataFrame([row]))
    if column is None:
        assert problems == []
    else:
        assert [(p.line, p.column) for p in problems] == [(2, column)]
        assert message in problems[0].message


def _typed_case(name: str, events: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of ``events`` with the faults (or the clean variations) that case ``name`` stands for."""
    d = events.copy()
    for col in ("status", "event_type", "controller_after", "actors", "admin1"):
        d[col] = d[col].astype(object)
    if name == "faults":
        d.loc[1, "event_id"] = "kcm 9"
        d.loc[2, "event_id"] = d.loc[4, "event_id"]
        d.loc[3, "status"] = "rumoured"
        d.loc[4, "date_end"] = d.loc[4, "event_date"] - pd.Timedelta(days=1)
        d.loc[5, "latitude"] = 95.0
        d.loc[6, ["coord_override", "latitude"]] = [False, 30.0]
        d.loc[7, "place_id"] = "geonames:1"
        d.loc[8, ["event_type", "controller_after"]] = ["control_change", None]
        d.loc[9, "actors"] = "isf;;pmf"
        d.loc[10, "source_url"] = "ftp://example.org"
        d.loc[11, "longitude"] = np.nan
    elif name == "clean variations":
        d.loc[1, "summary"] = "  padded\t"
        d.loc[2, "notes"] = "cafe\u0301"
        d.loc[3, "status"] = " confirmed "
        d.loc[4, ["place", "admin1", "latitude", "longitude"]] = [None, None, np.nan, np.nan]
        d.loc[5, "origin_place_id"] = "geonames:95446"
        d.loc[6, "source_url"] = "HTTPS://example.org"
        d.loc[7, "event_id"] = "كم-7"
    return d


@pytest.mark.parametrize("name", ["as loaded", "faults", "clean variations"])
@pytest.mark.parametrize("dictionaries", [True, False])
def test_typed_parquet_reader_matches_the_cell_reader(
    tmp_path: Path, events_csv: Path, monkeypatch: pytest.MonkeyPatch, name: str, dictionaries: bool
) -> None:
    path = tmp_path / "events.parquet"
    _typed_case(name, load_events(events_csv)).to_parquet(
        path, use_dictionary=dictionaries, row_group_size=16
    )

    def outcomes() -> tuple[list[str], object]:
        problems = [str(p) for p in validate_file(path)]
        try:
            return problems, load_events(path)
        except EventValidationError as exc:
            return problems, [str(p) for p in exc.problems]

    typed = outcomes()
    monkeypatch.setattr(loader, "_read_parquet_typed", lambda *args, **kwargs: None)
    cells = outcomes()
    assert typed[0] == cells[0] and bool(typed[0]) == (name == "faults")
    if name == "faults":
        assert typed[1] == cells[1] and len(typed[0]) == 11
    else:
        assert_geodataframe_equal(typed[1], cells[1])
