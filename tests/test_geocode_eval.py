"""Precision and recall of the geocoder on the labelled evaluation set ``tests/data/geocode_eval.csv``.

Scoring: a row with an ``expected_place_id`` is a place form, a row without one a non-place. A returned match is a
true positive when its ``place_id`` is the expected one, or when it is flagged ambiguous and lists the expected place
among its alternatives (the geocoder refused to guess and surfaced the right place). Any other returned match is a
false positive; a place form left unresolved is a false negative.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from geodata.gazetteer import load_gazetteer
from geodata.geocode import Match, geocode_many

EVAL = Path(__file__).resolve().parent / "data" / "geocode_eval.csv"
COLUMNS = ["query", "lang", "expected_place_id", "category"]
MIN_PRECISION = 0.97
MIN_RECALL = 0.95
MIN_PLACE_FORMS = 150
MIN_NON_PLACES = 40


@dataclass(frozen=True)
class Row:
    line: int
    query: str
    lang: str | None
    expected: str | None
    category: str


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int
    places: int
    non_places: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.places if self.places else 0.0


def read_eval(path: Path) -> list[Row]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS, f"{path}:1: expected columns {COLUMNS}, got {reader.fieldnames}"
        rows = []
        for line, raw in enumerate(reader, start=2):
            assert None not in raw and all(v is not None for v in raw.values()), (
                f"{path}:{line}: wrong field count"
            )
            assert raw["query"], f"{path}:{line}:query: empty"
            assert raw["lang"] in {"ar", "en", ""}, f"{path}:{line}:lang: {raw['lang']!r}"
            rows.append(
                Row(
                    line, raw["query"], raw["lang"] or None, raw["expected_place_id"] or None, raw["category"]
                )
            )
    return rows


def is_correct(match: Match | None, expected: str | None) -> bool:
    if match is None:
        return expected is None
    if match.place_id == expected:
        return True
    return match.ambiguous and expected in {a.place_id for a in match.alternatives}


def score(rows: list[Row]) -> tuple[Score, list[str]]:
    tp = fp = fn = 0
    errors = []
    for lang in ("ar", "en", None):
        batch = [r for r in rows if r.lang == lang]
        for row, match in zip(batch, geocode_many([r.query for r in batch], lang=lang), strict=True):
            if match is not None and is_correct(match, row.expected):
                tp += 1
            elif match is not None:
                fp += 1
                errors.append(f"line {row.line}: {row.query!r} -> {match.place_id} (expected {row.expected})")
            elif row.expected is not None:
                fn += 1
                errors.append(f"line {row.line}: {row.query!r} unresolved (expected {row.expected})")
    places = sum(r.expected is not None for r in rows)
    return Score(tp, fp, fn, places, len(rows) - places), errors


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    if not EVAL.exists():
        pytest.fail(f"the evaluation set {EVAL} is missing")
    return read_eval(EVAL)


def test_eval_set_is_large_enough(rows: list[Row]) -> None:
    places = [r for r in rows if r.expected]
    assert len(places) >= MIN_PLACE_FORMS
    assert len(rows) - len(places) >= MIN_NON_PLACES
    langs = Counter(r.lang for r in places)
    assert langs["ar"] >= 50 and langs["en"] >= 30
    assert len({r.query for r in rows}) == len(rows), "duplicate queries"


def test_eval_expected_ids_exist(rows: list[Row]) -> None:
    gaz = load_gazetteer()
    missing = [f"line {r.line}: {r.expected}" for r in rows if r.expected and r.expected not in gaz]
    assert not missing


def test_precision_and_recall_meet_the_targets(rows: list[Row]) -> None:
    result, errors = score(rows)
    detail = "\n".join(errors)
    assert result.precision >= MIN_PRECISION, f"precision {result.precision:.3f}\n{detail}"
    assert result.recall >= MIN_RECALL, f"recall {result.recall:.3f}\n{detail}"


def test_the_scorer_counts_errors() -> None:
    rows = [
        Row(2, "كركوك", "ar", "geonames:94787", "canonical"),
        Row(3, "كركوك", "ar", "geonames:95446", "wrong label"),
        Row(4, "البيشمركة", "ar", None, "organisation"),
        Row(5, "nothing at all", "en", "geonames:94787", "unresolved"),
        Row(6, "Kirkuk Air Base", "en", "kcm:kirkuk-airport", "ambiguous, listed"),
    ]
    result, errors = score(rows)
    assert (result.tp, result.fp, result.fn, result.places, result.non_places) == (2, 1, 1, 4, 1)
    assert result.precision == pytest.approx(2 / 3)
    assert result.recall == pytest.approx(2 / 4)
    assert len(errors) == 2


def test_read_eval_rejects_a_malformed_file(tmp_path: Path) -> None:
    bad = tmp_path / "eval.csv"
    bad.write_text("query,lang\nكركوك,ar\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="expected columns"):
        read_eval(bad)
