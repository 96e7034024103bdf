"""Evaluation of the article extractor on the labelled set in tests/data/articles (gold: articles_gold.json).

Targets (issue 5): place F1 >= 0.95 and event-date accuracy >= 0.9; the test fails below them.

* Places: per article, the set of place ids found against the gold set; precision, recall and F1 are micro-averaged.
  This gold lists gazetteer places only, so places the gazetteer lacks (``geodata.unresolved``) are not scored here
  (the real-text set scores them).
* Events: a gold event is matched by a candidate with the same place and type, the place being the one the events
  file records (``PlaceMention.gazetteer_id``: for a place the gazetteer lacks, the known place it is placed near
  at ``geo_precision`` 2 or 3); the date is right when a matched candidate has the gold date. Event-date accuracy = right dates / matched gold events; event recall is reported.
* Dates: a gold date expression is found when a date mention overlapping its text resolves to the gold date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from geodata.extract import Extraction, extract_article, read_article
from tests.conftest import SEED_DIR

DATA = Path(__file__).resolve().parent / "data"
GOLD_PATH = DATA / "articles_gold.json"
SEED = SEED_DIR / "000_0d09db86305241cb.txt"
PLACE_F1_TARGET = 0.95
DATE_ACCURACY_TARGET = 0.9


@dataclass
class Scores:
    place_tp: int = 0
    place_fp: int = 0
    place_fn: int = 0
    events_gold: int = 0
    events_matched: int = 0
    dates_right: int = 0
    events_predicted: int = 0
    predicted_matching_gold: int = 0
    date_mentions_gold: int = 0
    date_mentions_found: int = 0

    @property
    def place_precision(self) -> float:
        return self.place_tp / max(1, self.place_tp + self.place_fp)

    @property
    def place_recall(self) -> float:
        return self.place_tp / max(1, self.place_tp + self.place_fn)

    @property
    def place_f1(self) -> float:
        p, r = self.place_precision, self.place_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def date_accuracy(self) -> float:
        return self.dates_right / max(1, self.events_matched)

    @property
    def event_recall(self) -> float:
        return self.events_matched / max(1, self.events_gold)

    @property
    def event_precision(self) -> float:
        return self.predicted_matching_gold / max(1, self.events_predicted)

    @property
    def date_mention_recall(self) -> float:
        return self.date_mentions_found / max(1, self.date_mentions_gold)


def _article_path(name: str) -> Path:
    return SEED if name == "seed" else DATA / "articles" / name


def _score_one(ex: Extraction, text: str, gold: dict, scores: Scores) -> list[str]:
    misses: list[str] = []
    found = {p.place_id for p in ex.places if not p.near_place_id}
    want = set(gold["places"])
    scores.place_tp += len(found & want)
    scores.place_fp += len(found - want)
    scores.place_fn += len(want - found)
    misses += [f"extra place {p}" for p in sorted(found - want)] + [
        f"missed place {p}" for p in sorted(want - found)
    ]
    used: set[int] = set()
    for ev in gold["events"]:
        scores.events_gold += 1
        cands = [
            (i, e)
            for i, e in enumerate(ex.events)
            if e.place.gazetteer_id == ev["place_id"] and e.event_type == ev["event_type"]
        ]
        if not cands:
            misses.append(f"missed event {ev['event_type']} at {ev['place_id']} on {ev['event_date']}")
            continue
        scores.events_matched += 1
        want_day = date.fromisoformat(ev["event_date"]) if ev.get("event_date") else None
        right = [i for i, e in cands if e.event_date == want_day]
        used.update(right or [cands[0][0]])
        if right:
            scores.dates_right += 1
        else:
            got = ", ".join(str(e.event_date) for _, e in cands)
            misses.append(f"wrong date {ev['event_type']} at {ev['place_id']}: want {want_day}, got {got}")
    scores.events_predicted += len(ex.events)
    scores.predicted_matching_gold += len(used)
    for gd in gold["dates"]:
        scores.date_mentions_gold += 1
        at = text.find(gd["text"])
        hit = [
            d
            for d in ex.dates
            if at >= 0 and d.start < at + len(gd["text"]) and at < d.end and d.date.isoformat() == gd["date"]
        ]
        if hit:
            scores.date_mentions_found += 1
        else:
            misses.append(f"date {gd['text']!r} -> {gd['date']} not found")
    return misses


def evaluate() -> tuple[Scores, dict[str, list[str]]]:
    """Run the extractor over the whole labelled set; return the scores and, per article, what it missed."""
    gold_all = json.loads(GOLD_PATH.read_text(encoding="utf-8"))
    scores = Scores()
    report: dict[str, list[str]] = {}
    for name, gold in sorted(gold_all.items()):
        text = read_article(_article_path(name))
        published = date.fromisoformat(gold["published"]) if gold.get("published") else None
        ex = extract_article(text, published=published, lang=gold.get("lang"))
        report[name] = _score_one(ex, text, gold, scores)
    return scores, report


needs_gold = pytest.mark.skipif(
    not GOLD_PATH.exists(), reason="the labelled article set is not in tests/data"
)


@pytest.fixture(scope="module")
def evaluation() -> tuple[Scores, dict[str, list[str]]]:
    return evaluate()


@needs_gold
def test_eval_set_is_big_enough() -> None:
    gold = json.loads(GOLD_PATH.read_text(encoding="utf-8"))
    langs = {g.get("lang") for g in gold.values()}
    assert len(gold) >= 15 and {"ar", "en"} <= langs
    for name in gold:
        assert _article_path(name).exists(), name


@needs_gold
def test_place_f1_meets_target(evaluation: tuple[Scores, dict[str, list[str]]]) -> None:
    scores, report = evaluation
    detail = {k: [m for m in v if "place" in m] for k, v in report.items() if any("place" in m for m in v)}
    assert scores.place_f1 >= PLACE_F1_TARGET, (scores.place_precision, scores.place_recall, detail)


@needs_gold
def test_event_date_accuracy_meets_target(evaluation: tuple[Scores, dict[str, list[str]]]) -> None:
    scores, report = evaluation
    detail = {
        k: [m for m in v if "date" in m] for k, v in report.items() if any("wrong date" in m for m in v)
    }
    assert scores.date_accuracy >= DATE_ACCURACY_TARGET, (scores.date_accuracy, detail)


@needs_gold
def test_most_gold_events_are_found(evaluation: tuple[Scores, dict[str, list[str]]]) -> None:
    scores, _ = evaluation
    assert scores.event_recall >= 0.75


def _main() -> None:
    scores, report = evaluate()
    for name, misses in report.items():
        for miss in misses:
            print(f"{name}: {miss}")
    print(
        f"places P={scores.place_precision:.3f} R={scores.place_recall:.3f} F1={scores.place_f1:.3f} | "
        f"events gold={scores.events_gold} matched={scores.events_matched} recall={scores.event_recall:.3f} "
        f"precision={scores.event_precision:.3f} | event-date accuracy={scores.date_accuracy:.3f} "
        f"({scores.dates_right}/{scores.events_matched}) | date mentions {scores.date_mentions_found}/"
        f"{scores.date_mentions_gold}"
    )


if __name__ == "__main__":
    _main()
