"""Where the dated predictions on the real-text dev split go wrong: by date basis, event type and language.

``python -m tests.realtext_breakdown [--split dev|dev2|...|dev5] [--list]`` runs the extractor on the texts of a tuning split of ``tests/data/realtext`` and
sorts every predicted event into ``right`` (place and date match a gold event, the scorer's rule), ``wrong_date``
(a gold event is at that place, on another date), ``wrong_place`` (no gold event at that place, but one on that
date elsewhere), ``both_wrong`` or ``undated``. A rule that borrows dates (``paragraph``, ``story``,
``same_event``...) is worth keeping only where its share of ``right`` is well above the split's precision. Tuning
splits only: the held-out splits are never broken down (``tests.test_realtext_eval``).
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from geodata.extract import CandidateEvent, extract_article, read_article
from tests.test_realtext_eval import (
    REALTEXT,
    TUNING_SPLITS,
    _date_fits,
    _day,
    _same_place,
    _unresolved_names,
    load_gold,
)

KINDS = ("right", "wrong_date", "wrong_place", "both_wrong", "undated")


@dataclass(frozen=True)
class Row:
    """One predicted event of a tuning-split text and how it scored."""

    text_id: str
    lang: str
    kind: str
    event: CandidateEvent


def _kind(event: CandidateEvent, events: list[dict[str, Any]], unresolved: dict[str, set[str]]) -> str:
    if event.event_date is None:
        return "undated"
    if any(_same_place(event, g, unresolved) and _date_fits(event.event_date, g) for g in events):
        return "right"
    if any(_same_place(event, g, unresolved) for g in events):
        return "wrong_date"
    return "wrong_place" if any(_date_fits(event.event_date, g) for g in events) else "both_wrong"


def dev_rows(split: str = "dev") -> list[Row]:
    """Score every predicted event of a tuning split (``dev`` or ``dev2`` to ``dev5``)."""
    if split not in TUNING_SPLITS:
        raise ValueError(f"split {split!r} is held out: only {TUNING_SPLITS} are broken down")
    rows: list[Row] = []
    for text_id, gold in sorted(load_gold().items()):
        if gold.get("split") != split:
            continue
        text = read_article(REALTEXT / "texts" / f"{text_id}.txt")
        ex = extract_article(text, published=_day(gold.get("published")), lang=gold.get("lang"))
        unresolved = _unresolved_names(ex, gold)
        lang = gold.get("lang", text_id[:2])
        rows += [Row(text_id, lang, _kind(e, gold.get("events", []), unresolved), e) for e in ex.events]
    return rows


def breakdown(rows: list[Row], key: Callable[[Row], Any], title: str) -> str:
    """Return a Markdown table of the rows counted by ``key`` and by how they scored."""
    counts: dict[Any, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[key(row)][row.kind] += 1
    lines = [f"| {title} | " + " | ".join(KINDS) + " |", "|---" * (len(KINDS) + 1) + "|"]
    for k in sorted(counts, key=str):
        lines.append(f"| {k} | " + " | ".join(str(counts[k][kind]) for kind in KINDS) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the tables (and with ``--list`` every dated prediction that is not right)."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.realtext_breakdown", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--split", choices=TUNING_SPLITS, default="dev")
    parser.add_argument("--list", action="store_true", help="list the wrong dated predictions")
    args = parser.parse_args(argv)
    rows = dev_rows(args.split)
    for key, title in (
        (lambda r: r.event.date_basis, "date basis"),
        (lambda r: (r.event.date_basis, r.lang), "date basis, language"),
        (lambda r: r.event.event_type, "event type"),
        (lambda r: r.lang, "language"),
    ):
        print(breakdown(rows, key, title), end="\n\n")
    if args.list:
        for r in rows:
            if r.kind not in ("right", "undated"):
                e = r.event
                print(
                    f"{r.text_id} {r.kind} [{e.date_basis}] {e.event_type} at {e.place.place_id} "
                    f"({e.place.mention!r}) on {e.event_date} (date {e.date_text!r}, cue {e.cue!r})"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
