"""The merge of candidates into events-file rows (one ``accepted_rows`` for the CLI and the Add-article page)."""

from __future__ import annotations

import csv
import math
import shutil
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from geodata.errors import InputError
from geodata.extract import Extraction, extract_article
from geodata.ingest import (
    EDITABLE_COLUMNS,
    accepted_rows,
    candidate_rows,
    save_rows,
    ticked_by_default,
)
from geodata.vocab import EVENT_COLUMNS
from tests.conftest import SEED_DIR

SEED_TEXT = (SEED_DIR / "000_0d09db86305241cb.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed() -> Extraction:
    return extract_article(SEED_TEXT)


def _edits(extraction: Extraction, ticks: list[bool], **changes: object) -> list[dict[str, object]]:
    """The reviewed table as the page hands it over: accept, the editable columns, and display columns."""
    rows = candidate_rows(extraction, source="seed")
    return [
        {"accept": tick, **{name: row[name] for name in EDITABLE_COLUMNS}, "place": "shown only", **changes}
        for tick, row in zip(ticks, rows, strict=True)
    ]


def test_without_edits_the_dated_and_confident_candidates_are_accepted(seed: Extraction) -> None:
    rows, left_out = accepted_rows(seed, source="seed.txt", min_confidence=0.5)
    assert len(rows) + len(left_out) == len(seed.events)
    assert [e for e in seed.events if ticked_by_default(e, 0.5)] == [
        e for e in seed.events if e not in left_out
    ]
    assert any(e.event_date is None for e in left_out) and any(e.confidence < 0.5 for e in left_out)
    for row in rows:
        assert list(row) == list(EVENT_COLUMNS)
        assert (
            row["source"] == "seed.txt" and row["source_date"] == "2017-11-30" and row["source_lang"] == "ar"
        )
        assert row["event_date"] and row["event_id"] == "" and row["place"] == ""


def test_min_confidence_zero_keeps_every_dated_candidate(seed: Extraction) -> None:
    rows, left_out = accepted_rows(seed, source="seed.txt", min_confidence=0.0)
    assert all(e.event_date is None for e in left_out)
    assert len(rows) == sum(1 for e in seed.events if e.event_date is not None)


def test_edits_decide_what_is_saved_and_replace_the_editable_columns(seed: Extraction) -> None:
    ticks = [False] * len(seed.events)
    ticks[1] = ticks[2] = True
    edits = _edits(seed, ticks)
    edits[1] |= {"event_date": date(2017, 10, 14), "summary": "corrected", "notes": float("nan")}
    edits[2] |= {"date_end": pd.NaT, "actors": "isf;pmf", "event_date": pd.Timestamp("2017-10-12")}
    rows, left_out = accepted_rows(seed, source="Al-Hayat", source_url="https://example.org/a", edits=edits)
    assert left_out == [e for k, e in enumerate(seed.events) if k not in (1, 2)]
    first, second = rows
    assert (first["event_date"], first["summary"], first["notes"]) == ("2017-10-14", "corrected", "")
    assert (second["event_date"], second["date_end"], second["actors"]) == ("2017-10-12", "", "isf;pmf")
    for row, event in zip(rows, (seed.events[1], seed.events[2]), strict=True):
        # what the reviewer cannot edit stays that of the article; the display column is not saved
        assert row["place_as_written"] == event.place.mention
        assert (row["source"], row["source_url"], row["source_lang"]) == (
            "Al-Hayat",
            "https://example.org/a",
            "ar",
        )
        assert row["place"] == "" and list(row) == list(EVENT_COLUMNS)


def test_edits_cannot_overwrite_the_source(seed: Extraction) -> None:
    edits = _edits(seed, [True] * len(seed.events), source="forged", place_as_written="forged")
    rows, _ = accepted_rows(seed, source="seed.txt", edits=edits)
    assert rows and all(r["source"] == "seed.txt" and r["place_as_written"] != "forged" for r in rows)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (math.nan, ""),
        (pd.NaT, ""),
        (date(2017, 10, 16), "2017-10-16"),
        (datetime(2017, 10, 16, 13, 5), "2017-10-16"),
        ("  kept as typed ", "  kept as typed "),
        (3, "3"),
    ],
)
def test_edited_cells_become_events_file_text(seed: Extraction, value: object, expected: str) -> None:
    edits = _edits(seed, [True] + [False] * (len(seed.events) - 1), date_end=value)
    rows, _ = accepted_rows(seed, source="seed.txt", edits=edits)
    assert rows[0]["date_end"] == expected


def test_edits_of_another_length_are_refused(seed: Extraction) -> None:
    edits = _edits(seed, [True] * len(seed.events))[:-1]
    with pytest.raises(InputError, match=rf"{len(edits)} row\(s\) for {len(seed.events)} candidate"):
        accepted_rows(seed, source="seed.txt", edits=edits)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_save_rows_appends_once_and_fills_the_previous_holder(
    tmp_path: Path, events_csv: Path, seed: Extraction
) -> None:
    target = tmp_path / "events.csv"
    shutil.copy(events_csv, target)
    before = _csv_rows(target)
    edits = _edits(seed, [e.event_date is not None for e in seed.events])
    for edit in edits:
        if edit["event_type"] == "control_change":
            edit["controller_before"] = ""  # the article does not say who held the place
    rows, _ = accepted_rows(seed, source="seed.txt", edits=edits)
    n_rows = len(rows)
    saved = save_rows(rows, target, source_note="seed.txt")
    added = _csv_rows(target)[len(before) :]
    assert [r["event_id"] for r in added] == list(saved.result.ids) and saved.result.ids
    assert len(added) + len(saved.left_out) == n_rows == len(rows) + len(saved.left_out)
    changes = [r for r in added if r["event_type"] == "control_change"]
    assert changes
    assert all(
        r["controller_before"] and "controller_before from the control state" in r["notes"] for r in changes
    )
    again, _ = accepted_rows(seed, source="seed.txt", edits=edits)
    repeat = save_rows(again, target, source_note="seed.txt")
    # each saved row is now a repeat, or (a change to the holder the file now gives) left out
    assert repeat.result.ids == () and len(repeat.result.repeated) + len(repeat.left_out) == len(added)
    assert len(_csv_rows(target)) == len(before) + len(added)
