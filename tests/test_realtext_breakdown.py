"""Tests of the dev breakdown tool (tests/realtext_breakdown.py)."""

from __future__ import annotations

from datetime import date

import pytest

from geodata.extract import extract_article
from tests.realtext_breakdown import Row, _kind, breakdown, dev_rows

KIRKUK, DIBIS = "geonames:94787", "geonames:97001"


@pytest.mark.parametrize(
    ("gold_place", "gold_day", "kind"),
    [
        (KIRKUK, "2017-10-16", "right"),
        (KIRKUK, "2017-10-10", "wrong_date"),
        (DIBIS, "2017-10-16", "wrong_place"),
        (DIBIS, "2017-10-10", "both_wrong"),
    ],
)
def test_a_prediction_is_sorted_by_what_it_got_wrong(gold_place: str, gold_day: str, kind: str) -> None:
    (event,) = extract_article("Iraqi forces took Kirkuk on Monday.", published=date(2017, 10, 18)).events
    assert _kind(event, [{"place_id": gold_place, "event_date": gold_day}], {}) == kind


def test_the_table_counts_each_kind_by_key() -> None:
    ex = extract_article(
        "Iraqi forces took Kirkuk on Monday. Kurds fled Dibis.", published=date(2017, 10, 18)
    )
    rows = [Row("en_x", "en", k, e) for k, e in zip(("right", "undated"), ex.events, strict=True)]
    table = breakdown(rows, lambda r: r.lang, "language")
    assert table.splitlines()[-1] == "| en | 1 | 0 | 0 | 0 | 1 |"


@pytest.mark.parametrize("split", ["test", "holdout"])
def test_the_held_out_splits_are_never_broken_down(split: str) -> None:
    with pytest.raises(ValueError, match="held out"):
        dev_rows(split)
