"""Scorer of the extractor on the real-text evaluation set (tests/data/realtext, issue 9).

Real news texts nobody on the project wrote, annotated by hand (``GUIDELINES.md`` there), split into ``dev`` (tune
on it) and ``test`` (measured once at the end, never tuned on). Measured per split and language:

* places: per text, the set of gold place ids against the set of place ids found (micro-averaged precision,
  recall, F1). A gold place with a null id (not in the gazetteer) counts once per distinct ``name``; it is found
  when a predicted place the gold could not name by id has a mention whose span overlaps one of that name's gold
  spans. Such a place is either not in the gazetteer either (``geodata.unresolved``: an ``unresolved:`` id, placed
  near a known place) or was added to the gazetteer after the gold was written (its id is not in
  ``gazetteer_ids_at_annotation.txt``, the 737 ids of the gazetteer the annotators used). Such a predicted place
  (counted once per id) that overlaps no null-id gold place is a false positive;
* events: a gold event is found when a prediction has its place id and its date (a gold ``date_end`` makes a span
  that accepts any predicted date inside it); a prediction at an unresolved place has the place of every gold
  null-id ``name`` its mentions overlap, and matches a gold event whose ``place_name`` is that name (same date
  rule). Recall = gold events found / gold events; precision = dated predictions that match a gold event / dated
  predictions; undated predictions are counted apart; type accuracy is the share of found gold events with a
  matching prediction of the same type;
* date expressions: a gold date mention is right when a found date mention overlapping its span resolves to its
  date (and to its ``date_end`` when the gold gives one: a span is not a day).

``python -m tests.test_realtext_eval [--split dev|test|holdout|dev2|...|dev5] [--misses]`` prints the table (and, for the tuning
splits dev and dev2 to dev5 only, what was missed). The pytest tests assert the issue's targets on the test split.
"""

from __future__ import annotations

import argparse
import calendar
import functools
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from geodata.extract import CandidateEvent, Extraction, extract_article, read_article
from geodata.unresolved import UNRESOLVED_PREFIX

REALTEXT = Path(__file__).resolve().parent / "data" / "realtext"
ANNOTATION_IDS = "gazetteer_ids_at_annotation.txt"
LANGS = ("ar", "en")
SPLITS = (
    "dev",
    "test",
    "holdout",
    "dev2",
    "dev3",
    "dev4",
    "dev5",
    "dev6",
)  # holdout and dev2 to dev6: annotated later, each with its own gazetteer ids
TUNING_SPLITS = (
    "dev",
    "dev2",
    "dev3",
    "dev4",
    "dev5",
)  # the splits whose misses may be read; test and holdout stay held out

# The targets of issue 9, on the test split.
PLACE_F1_TARGET = 0.95
EVENT_RECALL_TARGET = 0.8
EVENT_PRECISION_TARGET = 0.8
DATE_TARGET = 0.95


@dataclass
class Scores:
    """Counts for one group of texts (a split, a language); the measures are properties."""

    texts: int = 0
    place_tp: int = 0
    place_fp: int = 0
    place_fn: int = 0
    events_gold: int = 0
    events_found: int = 0
    events_type_right: int = 0
    predicted_dated: int = 0
    predicted_right: int = 0
    predicted_undated: int = 0
    dates_gold: int = 0
    dates_right: int = 0
    dates_spurious: int = 0

    def add(self, other: Scores) -> None:
        """Add the counts of ``other`` to these."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def place_precision(self) -> float:
        return _ratio(self.place_tp, self.place_tp + self.place_fp)

    @property
    def place_recall(self) -> float:
        return _ratio(self.place_tp, self.place_tp + self.place_fn)

    @property
    def place_f1(self) -> float:
        p, r = self.place_precision, self.place_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def event_recall(self) -> float:
        return _ratio(self.events_found, self.events_gold)

    @property
    def event_precision(self) -> float:
        return _ratio(self.predicted_right, self.predicted_dated)

    @property
    def type_accuracy(self) -> float:
        return _ratio(self.events_type_right, self.events_found)

    @property
    def date_accuracy(self) -> float:
        return _ratio(self.dates_right, self.dates_gold)


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


@dataclass
class TextResult:
    """The scores of one text and what it missed (for the dev report)."""

    text_id: str
    lang: str
    split: str
    scores: Scores
    misses: list[str] = field(default_factory=list)


def load_gold(root: Path = REALTEXT) -> dict[str, dict[str, Any]]:
    """Return every annotated text of ``gold_ar.json`` and ``gold_en.json`` (those present), by id."""
    gold: dict[str, dict[str, Any]] = {}
    for lang in LANGS:
        path = root / f"gold_{lang}.json"
        if path.exists():
            gold.update(json.loads(path.read_text(encoding="utf-8")))
    return gold


def _day(value: str | None) -> date | None:
    """Return the (first) day of an ISO date, or of a month written ``YYYY-MM``."""
    if not value:
        return None
    return date.fromisoformat(value + "-01" if len(value) == 7 else value)


def _span(first: str, last: str | None) -> tuple[date, date]:
    """Return the days a gold date covers: one day, ``first``..``last``, or a whole month (``YYYY-MM``)."""
    start = _day(first)
    assert start is not None
    if last:
        end = _day(last)
    elif len(first) == 7:
        end = date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    else:
        end = start
    assert end is not None
    return start, end


def _date_fits(predicted: date | None, gold: dict[str, Any]) -> bool:
    """Whether a predicted day is the gold event's date, or inside its span (a ``date_end``, a month)."""
    if predicted is None:
        return False
    first, last = _span(gold["event_date"], gold.get("date_end"))
    return first <= predicted <= last


@functools.cache
def annotation_ids(name: str = ANNOTATION_IDS, root: Path = REALTEXT) -> frozenset[str]:
    """The place ids of the gazetteer a gold was annotated against (a gold null id means: none of these).

    A text's gold names its file in ``annotation_ids``; without it, the gazetteer of the first annotation.
    """
    lines = (root / name).read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _scored_by_span(place_id: str, want: set[str], known: frozenset[str]) -> bool:
    """Whether a predicted place is matched to null-id gold by span: it is unresolved, or newer than the gold."""
    if place_id.startswith(UNRESOLVED_PREFIX):
        return True
    return place_id not in want and place_id not in known


def _unresolved_names(ex: Extraction, gold: dict[str, Any]) -> dict[str, set[str]]:
    """Map each predicted place the gold could not name by id to the gold null-id names its mentions overlap.

    Such a place is unresolved (``unresolved:`` id), or was added to the gazetteer after the gold was written
    (its id is not in :func:`annotation_ids` and not a gold id of this text).
    """
    nulls = [p for p in gold.get("places", []) if not p.get("place_id")]
    want = {p["place_id"] for p in gold.get("places", []) if p.get("place_id")}
    known = annotation_ids(gold.get("annotation_ids", ANNOTATION_IDS))
    out: dict[str, set[str]] = {}
    for p in ex.places:
        if _scored_by_span(p.place_id, want, known):
            hit = {
                g.get("name") or g["text"] for g in nulls if _overlaps(p.start, p.end, g["start"], g["end"])
            }
            out.setdefault(p.place_id, set()).update(hit)
    return out


def _score_places(ex: Extraction, gold: dict[str, Any], s: Scores, misses: list[str]) -> None:
    want = {p["place_id"] for p in gold.get("places", []) if p.get("place_id")}
    unknown = {p.get("name") or p["text"] for p in gold.get("places", []) if not p.get("place_id")}
    unresolved = _unresolved_names(ex, gold)
    found = {p.place_id for p in ex.places if p.place_id not in unresolved}
    hit = set().union(*unresolved.values()) if unresolved else set()
    spurious = sorted(pid for pid, names in unresolved.items() if not names)
    s.place_tp += len(found & want) + len(hit & unknown)
    s.place_fp += len(found - want) + len(spurious)
    s.place_fn += len(want - found) + len(unknown - hit)
    names = {p.place_id: p.mention for p in ex.places}
    misses += [f"extra place {p} ({names[p]!r})" for p in sorted(found - want)]
    misses += [f"extra unresolved place {p} ({names[p]!r})" for p in spurious]
    misses += [f"missed place {p}" for p in sorted(want - found)]
    misses += [f"missed place {n!r} (no id)" for n in sorted(unknown - hit)]


def _score_events(ex: Extraction, gold: dict[str, Any], s: Scores, misses: list[str]) -> None:
    events = gold.get("events", [])
    dated = [e for e in ex.events if e.event_date is not None]
    s.events_gold += len(events)
    s.predicted_dated += len(dated)
    s.predicted_undated += len(ex.events) - len(dated)
    unresolved = _unresolved_names(ex, gold)
    right: set[int] = set()
    for ev in events:
        hits = [
            i for i, e in enumerate(dated) if _same_place(e, ev, unresolved) and _date_fits(e.event_date, ev)
        ]
        if not hits:
            got = sorted({str(e.event_date) for e in ex.events if _same_place(e, ev, unresolved)})
            misses.append(
                f"missed event {ev['event_type']} at {ev['place_id']} ({ev.get('place_name')}) on "
                f"{ev['event_date']}{'..' + ev['date_end'] if ev.get('date_end') else ''}"
                + (f" [predicted there: {', '.join(got)}]" if got else "")
                + f" | {ev.get('evidence', '')}"
            )
            continue
        right.update(hits)
        s.events_found += 1
        if any(dated[i].event_type == ev["event_type"] for i in hits):
            s.events_type_right += 1
        else:
            misses.append(
                f"wrong type at {ev['place_id']} on {ev['event_date']}: want {ev['event_type']}, "
                f"got {sorted({dated[i].event_type for i in hits})}"
            )
    s.predicted_right += len(right)
    for i, e in enumerate(dated):
        if i not in right:
            misses.append(
                f"extra event {e.event_type} at {e.place.place_id} ({e.place.mention!r}) on {e.event_date} "
                f"[{e.date_basis}, cue {e.cue!r}]"
            )


def _same_place(event: CandidateEvent, gold_event: dict[str, Any], unresolved: dict[str, set[str]]) -> bool:
    """Whether a predicted event is at a gold event's place: the same id, or (unresolved) the same gold name."""
    pid = event.place.place_id
    if pid in unresolved:
        return gold_event.get("place_id") is None and gold_event.get("place_name") in unresolved[pid]
    return pid == gold_event["place_id"]


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def _score_dates(ex: Extraction, gold: dict[str, Any], s: Scores, misses: list[str]) -> None:
    gold_dates = gold.get("dates", [])
    s.dates_gold += len(gold_dates)
    for gd in gold_dates:
        over = [d for d in ex.dates if _overlaps(d.start, d.end, gd["start"], gd["end"])]
        ok = [
            d
            for d in over
            if d.date == _day(gd["date"]) and (not gd.get("date_end") or d.date_end == _day(gd["date_end"]))
        ]
        if ok:
            s.dates_right += 1
        else:
            got = ", ".join(f"{d.text!r}={d.date}..{d.date_end}" for d in over) or "nothing"
            misses.append(f"date {gd['text']!r} -> {gd['date']}..{gd.get('date_end') or ''}: got {got}")
    for d in ex.dates:
        if not any(_overlaps(d.start, d.end, gd["start"], gd["end"]) for gd in gold_dates):
            s.dates_spurious += 1
            misses.append(f"extra date {d.text!r} = {d.date} ({d.rule})")


def score_text(text_id: str, gold: dict[str, Any], root: Path = REALTEXT) -> TextResult:
    """Run the extractor on one text of the set and score it against its gold."""
    text = read_article(root / "texts" / f"{text_id}.txt")
    ex = extract_article(text, published=_day(gold.get("published")), lang=gold.get("lang"))
    s = Scores(texts=1)
    misses: list[str] = []
    _score_places(ex, gold, s, misses)
    _score_events(ex, gold, s, misses)
    _score_dates(ex, gold, s, misses)
    return TextResult(text_id, gold.get("lang", text_id[:2]), gold["split"], s, misses)


def evaluate(split: str, root: Path = REALTEXT) -> list[TextResult]:
    """Score every text of ``split`` (``dev`` or ``test``)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    gold = load_gold(root)
    return [score_text(k, g, root) for k, g in sorted(gold.items()) if g.get("split") == split]


def totals(results: Iterable[TextResult], lang: str | None = None) -> Scores:
    """Sum the scores of ``results`` (of one language, or all)."""
    out = Scores()
    for r in results:
        if lang is None or r.lang == lang:
            out.add(r.scores)
    return out


def table(split: str, results: list[TextResult]) -> str:
    """Return the Markdown table of one split: a row per language and one for both."""
    rows = [
        "| split | lang | texts | place P / R / F1 | events recall | events precision (dated) | "
        "undated | type acc. | date expr. |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for lang in (*LANGS, None):
        s = totals(results, lang)
        rows.append(
            f"| {split} | {lang or 'all'} | {s.texts} | {s.place_precision:.2f} / {s.place_recall:.2f} / "
            f"**{s.place_f1:.2f}** | **{s.event_recall:.2f}** ({s.events_found}/{s.events_gold}) | "
            f"**{s.event_precision:.2f}** ({s.predicted_right}/{s.predicted_dated}) | {s.predicted_undated} | "
            f"{s.type_accuracy:.2f} | **{s.date_accuracy:.2f}** ({s.dates_right}/{s.dates_gold}) |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Print the table of a split; with ``--misses`` (tuning splits only) what each text missed."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.test_realtext_eval", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--split", choices=SPLITS, default="dev")
    parser.add_argument(
        "--misses", action="store_true", help="print what was missed (dev, dev2 to dev5 only)"
    )
    args = parser.parse_args(argv)
    if args.misses and args.split not in TUNING_SPLITS:
        print(
            "--misses is for the tuning splits (dev, dev2 to dev5) only: the held-out misses are never read",
            file=sys.stderr,
        )
        return 2
    if not load_gold():
        print(f"no gold in {REALTEXT}", file=sys.stderr)
        return 1
    results = evaluate(args.split)
    if args.misses:
        for r in results:
            for miss in r.misses:
                print(f"{r.text_id}: {miss}")
    print(table(args.split, results))
    return 0


# ---------------------------------------------------------------- the pytest tests

needs_gold = pytest.mark.skipif(not load_gold(), reason="the real-text gold is not in tests/data/realtext")
# The held-out split is measured by `make test` (and CI) only, never by a pytest run made while tuning: a failing
# floor there would tell the tuner something about the test texts.
TEST_SPLIT_ENV = "KCM_EVAL_TEST_SPLIT"
measures_test_split = pytest.mark.skipif(
    os.environ.get(TEST_SPLIT_ENV) != "1",
    reason=f"the test split is measured by `make test` only ({TEST_SPLIT_ENV}=1), never while tuning",
)


@pytest.fixture(scope="module")
def split_scores() -> Scores:
    return totals(evaluate("test"))


def _mention(text: str, mention: str, place_id: str | None, name: str | None = None) -> dict[str, Any]:
    """A gold place at the first occurrence of ``mention`` in ``text``."""
    start = text.index(mention)
    out: dict[str, Any] = {"text": mention, "start": start, "end": start + len(mention), "place_id": place_id}
    return out if name is None else {**out, "name": name}


def _small_gold(
    root: Path, text_id: str, text: str, places: list, dates: list, events: list
) -> dict[str, Any]:
    """Write ``text`` as ``root/texts/<text_id>.txt`` and return its gold (English, dev, published 2017-10-20)."""
    (root / "texts").mkdir(exist_ok=True)
    (root / "texts" / f"{text_id}.txt").write_text(text, encoding="utf-8")
    return {
        "lang": "en",
        "split": "dev",
        "published": "2017-10-20",
        "places": places,
        "dates": dates,
        "events": events,
    }


def _day_mention(text: str, mention: str, day: str, day_end: str | None = None) -> dict[str, Any]:
    """A gold date expression at the first occurrence of ``mention`` in ``text``."""
    start = text.index(mention)
    out: dict[str, Any] = {"text": mention, "start": start, "end": start + len(mention), "date": day}
    return out if day_end is None else {**out, "date_end": day_end}


def test_scorer_counts_on_a_small_gold(tmp_path: Path) -> None:
    """The scorer itself: null ids only missed, a date span accepted, precision over dated predictions only."""
    text = (
        "Iraqi forces took Kirkuk on Monday and entered Dibis in mid-October.\n\nResidents fled Tuz Khurmatu."
    )
    places = [
        _mention(text, "Kirkuk", "geonames:94787"),
        _mention(text, "Dibis", "geonames:97001"),
        _mention(text, "Tuz Khurmatu", "geonames:90026"),
        {"text": "Bai Hassan", "start": 0, "end": 0, "place_id": None, "name": "Bai Hassan oil field"},
    ]
    dates = [
        _day_mention(text, "Monday", "2017-10-16"),
        _day_mention(text, "mid-October", "2017-10-11", "2017-10-20"),
    ]
    events = [
        {"place_id": "geonames:94787", "event_type": "control_change", "event_date": "2017-10-16"},
        {
            "place_id": "geonames:97001",
            "event_type": "control_change",
            "event_date": "2017-10-11",
            "date_end": "2017-10-20",
        },
        {"place_id": None, "event_type": "control_change", "event_date": "2017-10-16"},
    ]
    gold = _small_gold(tmp_path, "en_900", text, places, dates, events)
    s = score_text("en_900", gold, tmp_path).scores
    assert (s.place_tp, s.place_fp, s.place_fn) == (3, 0, 1)  # the null-id place can only be missed
    assert (s.events_gold, s.events_found, s.events_type_right) == (3, 2, 2)
    assert (s.predicted_dated, s.predicted_right) == (2, 2)  # Tuz Khurmatu has no date: not counted
    assert s.predicted_undated == 1
    assert (s.dates_gold, s.dates_right) == (2, 2)
    assert _date_fits(date(2017, 10, 15), {"event_date": "2017-10"}) and not _date_fits(
        date(2017, 11, 1), {"event_date": "2017-10"}
    )


def test_scorer_matches_places_the_gazetteer_lacks_by_span(tmp_path: Path) -> None:
    """A predicted unresolved place overlapping a null-id gold place finds it, and its event finds the gold event."""
    text = "Iraqi jets struck the village of Zorava in the Tal Afar district on Monday. The Dargazin village was quiet."
    places = [
        _mention(text, "Zorava", None, "Zorava"),
        _mention(text, "Tal Afar", "geonames:90393"),
        {"text": "Ninawa", "start": 0, "end": 0, "place_id": None, "name": "Ninawa plain"},
    ]
    events = [{"place_id": None, "place_name": "Zorava", "event_type": "clash", "event_date": "2017-10-16"}]
    gold = _small_gold(tmp_path, "en_901", text, places, [_day_mention(text, "Monday", "2017-10-16")], events)
    s = score_text("en_901", gold, tmp_path).scores
    # Zorava and Tal Afar found; Dargazin (predicted, not in the gold) is an extra; the plain is missed
    assert (s.place_tp, s.place_fp, s.place_fn) == (2, 1, 1)
    assert (s.events_gold, s.events_found, s.predicted_right) == (1, 1, 1)


def test_scorer_matches_places_added_after_the_gold_by_span(tmp_path: Path) -> None:
    """A place added to the gazetteer after the gold was written finds the null-id gold place it overlaps; a place
    the annotators' gazetteer had (Kirkuk) does not stand in for a null-id place whose name holds it."""
    text = (
        "Iraqi forces took control of Sinuni on Monday. Crowds gathered outside Kirkuk police headquarters."
    )
    places = [
        _mention(text, "Sinuni", None, "Snuny"),
        _mention(text, "Kirkuk police headquarters", None, "Kirkuk police HQ"),
    ]
    events = [
        {"place_id": None, "place_name": "Snuny", "event_type": "control_change", "event_date": "2017-10-16"}
    ]
    gold = _small_gold(tmp_path, "en_902", text, places, [], events)
    assert "kcm:sinuni" not in annotation_ids() and "geonames:94787" in annotation_ids()
    result = score_text("en_902", gold, tmp_path)
    s = result.scores
    # Sinuni found by span; Kirkuk (known to the annotators) is an extra and the headquarters a miss
    assert (s.place_tp, s.place_fp, s.place_fn) == (1, 1, 1), result.misses
    assert (s.events_gold, s.events_found) == (1, 1), result.misses


def test_misses_are_printed_for_the_tuning_splits_only(capsys: pytest.CaptureFixture[str]) -> None:
    """The held-out splits are accepted by ``--split``, and refused with ``--misses`` before anything is scored."""
    assert set(TUNING_SPLITS) == {"dev", "dev2", "dev3", "dev4", "dev5"}
    for split in ("test", "holdout"):
        assert main(["--split", split, "--misses"]) == 2, split
        assert "tuning splits (dev, dev2 to dev5) only" in capsys.readouterr().err


@needs_gold
def test_set_is_complete_and_consistent() -> None:
    gold = load_gold()
    for text_id, g in gold.items():
        text = read_article(REALTEXT / "texts" / f"{text_id}.txt")
        assert g["split"] in SPLITS and g["lang"] in LANGS, text_id
        for item in g.get("places", []) + g.get("dates", []):
            assert text[item["start"] : item["end"]] == item["text"], (text_id, item)


# What the final code of issue 9 reached on the test split, measured once (README, section "ingest"): the
# figures must not fall below it. Rounded down to two decimals.
REACHED = {"place_f1": 0.88, "event_recall": 0.54, "event_precision": 0.75, "date_accuracy": 0.85}


def _figures(s: Scores) -> dict[str, float]:
    return {name: round(getattr(s, name), 3) for name in REACHED}


@needs_gold
@measures_test_split
@pytest.mark.xfail(
    strict=True,
    reason="issue 9 targets not reached on the test split: measured once at the end of the dev5 round, place "
    "F1 0.888, event recall 0.541, event precision 0.757, date expressions 0.860 (targets 0.95 / 0.8 / 0.8 / 0.95); "
    "see the README",
)
def test_targets_on_the_test_split(split_scores: Scores) -> None:
    s = split_scores
    figures = _figures(s)
    assert s.place_f1 >= PLACE_F1_TARGET, figures
    assert s.event_recall >= EVENT_RECALL_TARGET, figures
    assert s.event_precision >= EVENT_PRECISION_TARGET, figures
    assert s.date_accuracy >= DATE_TARGET, figures


@needs_gold
@measures_test_split
def test_test_split_does_not_fall_below_what_was_reached(split_scores: Scores) -> None:
    figures = _figures(split_scores)
    assert all(figures[name] >= floor for name, floor in REACHED.items()), (figures, REACHED)


if __name__ == "__main__":
    raise SystemExit(main())
