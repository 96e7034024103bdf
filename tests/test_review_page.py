"""AppTest of the Review page: open a candidates dataset, filter, accept in bulk, read-only mode, escaping."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geodata.batch import ingest_corpus
from tests.conftest import ROOT, SEED_DIR
from tests.test_review import _rows

PAGE = ROOT / "dashboard" / "pages" / "2_Review.py"
EVIL = "<img src=x onerror=alert(1)> {{ 7*191 }}"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("review")
    (root / "corpus").mkdir()
    shutil.copy(SEED_DIR / "000_0d09db86305241cb.txt", root / "corpus" / "seed.txt")
    text = (
        f"KIRKUK, Iraq (Oct 16, 2017)\n\nIraqi forces took control of Kirkuk on Monday {EVIL}, pushing "
        "Peshmerga fighters out.\n"
    )
    (root / "corpus" / "evil.txt").write_text(text, encoding="utf-8")
    ingest_corpus([root / "corpus"], root / "ds")
    return root / "ds"


@pytest.fixture
def env(tmp_path: Path, events_csv: Path, dataset: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "events.csv"
    shutil.copy(events_csv, target)
    monkeypatch.setenv("KCM_EVENTS", str(target))
    monkeypatch.setenv("KCM_CANDIDATES", str(dataset.parent))
    monkeypatch.setenv("KCM_TILES", "none")
    monkeypatch.delenv("KCM_READ_ONLY", raising=False)
    return target


def _page() -> AppTest:
    return AppTest.from_file(str(PAGE), default_timeout=60)


def _matches(at: AppTest) -> int:
    text = next(m.value for m in at.markdown if "candidate(s) match" in m.value)
    return int(text.split("**")[1].replace(",", ""))


def test_no_dataset_configured(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KCM_CANDIDATES")
    at = _page().run()
    assert not at.exception
    assert any("No candidates dataset" in i.value for i in at.info)


def test_filters_narrow_the_candidates(env: Path) -> None:
    at = _page().run()
    assert not at.exception, at.exception
    everything = _matches(at)
    assert everything > 5
    at.multiselect(key="review_types").select("control_change").run()
    narrowed = _matches(at)
    assert 0 < narrowed < everything
    table = at.dataframe[0].value if at.dataframe else None
    assert table is None or set(table["event_type"]) == {"control_change"}
    at.slider(key="review_confidence").set_value(1.0).run()
    assert _matches(at) == 0


def test_accept_ticked_candidates_then_repeats_are_skipped(env: Path) -> None:
    before = _rows(env)
    at = _page().run()
    at.multiselect(key="review_places").select("geonames:94787").run()
    at.checkbox(key="review_tick_all").check().run()
    at.button(key="review_accept").click().run()
    assert not at.exception, at.exception
    added = _rows(env)[len(before) :]
    assert added and any("Saved" in s.value for s in at.success), [e.value for e in at.error]
    assert {r["place_id"] for r in added} == {"geonames:94787"}
    assert all(r["notes"].startswith("article ") and r["source"].endswith(".txt") for r in added)
    at.button(key="review_accept").click().run()
    assert any("already in" in i.value for i in at.info)
    assert len(_rows(env)) == len(before) + len(added)


def test_read_only_mode_has_no_accept(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KCM_READ_ONLY", "1")
    before = env.read_bytes()
    at = _page().run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "review_accept"]
    assert any("read-only" in i.value for i in at.info)
    assert env.read_bytes() == before


def test_candidate_text_never_reaches_markdown(env: Path) -> None:
    at = _page().run()
    assert not at.exception
    for block in [*at.markdown, *at.caption, *at.info, *at.success]:
        assert "<img" not in block.value and "1337" not in block.value
