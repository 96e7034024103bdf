"""AppTest of the "Add article" page: extraction, escaped highlights, saving accepted events, correct/withdraw."""

from __future__ import annotations

import csv
import html
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, SEED_DIR, as_shown

PAGE = ROOT / "dashboard" / "pages" / "1_Add_article.py"
SEED_TEXT = (SEED_DIR / "000_0d09db86305241cb.txt").read_text(encoding="utf-8")


@pytest.fixture
def events_file(tmp_path: Path, events_csv: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "events.csv"
    shutil.copy(events_csv, target)
    monkeypatch.setenv("KCM_EVENTS", str(target))
    return target


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _page() -> AppTest:
    return AppTest.from_file(str(PAGE), default_timeout=60)


def test_empty_page_asks_for_an_article(events_file: Path) -> None:
    at = _page().run()
    assert not at.exception
    assert any("Paste or upload" in i.value for i in at.info)


def test_seed_article_is_extracted_and_highlighted(events_file: Path) -> None:
    at = _page()
    at.run()
    at.text_area(key="article_text").input(SEED_TEXT).run()
    assert not at.exception
    marked = html.unescape("".join(m.value for m in at.markdown if "kcm-place" in m.value))
    assert 'class="kcm-place"' in marked and 'class="kcm-date"' in marked
    assert "K-1 Air Base (kcm:k1-air-base)" in marked and 'dir="rtl"' in marked
    assert "2017-10-13 (day)" in marked
    assert any("candidate event(s)" in m.value for m in at.markdown)


def test_article_text_is_escaped(events_file: Path) -> None:
    evil = 'انتشرت قوات أمريكية في كركوك <img src=x onerror=alert(1)> <script>alert("x")</script> أمس.'
    at = _page()
    at.run()
    at.text_area(key="article_text").input(evil).run()
    assert not at.exception
    marked = "".join(m.value for m in at.markdown if "kcm-place" in m.value)
    assert "<img" not in marked and "<script" not in marked
    assert "&#60;img src&#61;x onerror&#61;alert&#40;1&#41;&#62;" in marked


def test_accepted_events_are_saved_with_the_source(events_file: Path) -> None:
    before = _rows(events_file)
    at = _page()
    at.run()
    at.text_area(key="article_text").input(SEED_TEXT).run()
    at.text_input(key="article_source").input("Al-Hayat via seed article, 30 Nov 2017").run()
    at.button(key="article_accept").click().run()
    assert not at.exception, at.exception
    after = _rows(events_file)
    added = after[len(before) :]
    assert added, [e.value for e in at.error]
    assert any("Saved" in s.value for s in at.success)
    assert all(r["source"] == "Al-Hayat via seed article, 30 Nov 2017" for r in added)
    assert all(r["source_lang"] == "ar" and r["source_date"] == "2017-11-30" for r in added)
    assert {r["place_id"] for r in added} >= {"kcm:k1-air-base", "geonames:94787"}
    assert after[: len(before)] == before


def test_accepting_twice_saves_once_and_says_so(events_file: Path) -> None:
    at = _page()
    at.run()
    at.text_area(key="article_text").input(SEED_TEXT).run()
    at.button(key="article_accept").click().run()
    assert not at.exception, at.exception
    once = events_file.read_bytes()
    saved = [as_shown(s.value) for s in at.success]
    at.button(key="article_accept").click().run()
    assert not at.exception, at.exception
    assert events_file.read_bytes() == once  # the second click saved nothing
    ids = saved[0].split(": ", 1)[1]
    assert any(f"candidate(s) already in {events_file}: {ids}" in as_shown(i.value) for i in at.info), [
        i.value for i in at.info
    ]
    assert not any("Saved" in s.value for s in at.success)


def test_correct_and_withdraw_keep_the_id_and_history(events_file: Path) -> None:
    rows = _rows(events_file)
    target = rows[0]["event_id"]
    at = _page()
    at.run()
    at.selectbox(key="fix_event_id").select(target).run()
    at.button(key="fix_withdraw").click().run()
    assert any("reason" in e.value for e in at.error)  # no reason, no change
    at.text_input(key="fix_reason").input("duplicate of a better-sourced row").run()
    at.button(key="fix_withdraw").click().run()
    assert not at.exception
    after = {r["event_id"]: r for r in _rows(events_file)}
    assert after[target]["status"] == "withdrawn"
    assert after[target]["update_reason"] == "duplicate of a better-sourced row"
    history = events_file.with_name("events.history.csv")
    assert history.exists() and target in history.read_text(encoding="utf-8")
