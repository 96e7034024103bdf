"""Concurrency of the "Add article" page: simultaneous accepts both land, or land once when they are the same article.

Two real OS processes (``spawn``) each drive the page with Streamlit's AppTest against the same events file and
click "accept" together, released by a :class:`multiprocessing.Barrier`. Without the file lock in
:func:`geodata.events.append_events`, one read-modify-write overwrites the other and its events are lost; without
the repeat check inside that lock, two accepts of the same article both save it.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import re
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from geodata.events import history_path, validate_file
from tests.conftest import ROOT, as_shown

PAGE = ROOT / "dashboard" / "pages" / "1_Add_article.py"
BARRIER_TIMEOUT_S = 120.0
RESULT_TIMEOUT_S = 240.0
# One session per process; round r of every session is accepted at the same moment.
# Each article: (text, the place id of the candidate event it must yield).
SESSIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        (
            "Kirkuk, 17 October 2017 (Reuters) - Iraqi federal police deployed in Tuz Khurmatu on Monday.",
            "geonames:90026",
        ),
        (
            "Erbil, 20 October 2017 - Clashes erupted between Iraqi forces and Peshmerga near Altun Kupri on Friday.",
            "kcm:altun-kupri",
        ),
        (
            "Khanaqin, 17 October 2017 - Peshmerga forces withdrew from Khanaqin on Monday.",
            "geonames:94591",
        ),
    ),
    "ar": (
        ("كركوك - 19 تشرين الأول 2017: انتشرت قوات عراقية في داقوق أمس.", "geonames:90220"),
        (
            "أربيل - 21 أكتوبر 2017: اندلعت اشتباكات بين القوات العراقية والبيشمركة قرب مخمور اليوم.",
            "geonames:93818",
        ),
        ("السليمانية - 19 أكتوبر 2017: نزح آلاف السكان من طوزخورماتو أمس.", "geonames:90026"),
    ),
}
ROUNDS = len(next(iter(SESSIONS.values())))
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _source(session: str, round_no: int) -> str:
    return f"concurrency test: session {session}, round {round_no}"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _page() -> AppTest:
    return AppTest.from_file(str(PAGE), default_timeout=60)


def _accept_session(
    session: str, rounds: tuple[tuple[str, str], ...], events_path: str, barrier: Any, results: Any
) -> None:  # runs in a spawned process
    """Drive one browser session through every round (article text, source); report what each accept saved."""
    os.environ["KCM_EVENTS"] = events_path
    os.environ["KCM_TILES"] = "none"
    report: list[dict[str, Any]] = []
    try:
        for text, source in rounds:
            at = _page()
            at.run()
            at.text_area(key="article_text").input(text).run()
            at.text_input(key="article_source").input(source).run()
            barrier.wait(timeout=BARRIER_TIMEOUT_S)  # both sessions are one click away from saving
            started = time.time()
            at.button(key="article_accept").click().run()
            finished = time.time()
            report.append(
                {
                    "ids": list(at.session_state["article_saved"])
                    if "article_saved" in at.session_state
                    else [],
                    "errors": [e.value for e in at.error],
                    "info": [as_shown(i.value) for i in at.info],
                    "exception": [str(e.value) for e in at.exception],
                    "started": started,
                    "finished": finished,
                }
            )
    except BaseException:
        barrier.abort()  # never leave the other session waiting
        report.append({"traceback": traceback.format_exc()})
    results.put((session, report))


def _run_sessions(
    events_path: Path, plan: dict[str, tuple[tuple[str, str], ...]]
) -> dict[str, list[dict[str, Any]]]:
    """Run one process per session of ``plan`` (session -> rounds of (article text, source)); their reports."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(plan))
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_accept_session, args=(name, rounds, str(events_path), barrier, results), daemon=True
        )
        for name, rounds in plan.items()
    ]
    for proc in procs:
        proc.start()
    try:
        return dict(results.get(timeout=RESULT_TIMEOUT_S) for _ in procs)
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()


def test_two_sessions_accepting_at_the_same_moment_both_land(events_file: Path) -> None:
    before = _rows(events_file)
    plan = {
        session: tuple((text, _source(session, n)) for n, (text, _) in enumerate(articles))
        for session, articles in SESSIONS.items()
    }
    reports = _run_sessions(events_file, plan)

    saved: dict[str, tuple[str, int]] = {}  # event id -> (session, round)
    for session, report in reports.items():
        assert all("traceback" not in r for r in report), report[-1].get("traceback")
        assert len(report) == ROUNDS
        for round_no, r in enumerate(report):
            assert not r["exception"] and not r["errors"], (session, round_no, r)
            assert r["ids"], f"session {session} round {round_no} saved nothing"
            for eid in r["ids"]:
                assert eid not in saved, f"{eid} handed out twice: {saved[eid]} and {(session, round_no)}"
                saved[eid] = (session, round_no)
    for round_no in range(ROUNDS):  # the two saves really ran at the same time
        started = max(reports[s][round_no]["started"] for s in SESSIONS)
        finished = min(reports[s][round_no]["finished"] for s in SESSIONS)
        assert started < finished, f"round {round_no}: the accept clicks did not overlap"

    after = _rows(events_file)
    assert after[: len(before)] == before  # no original row lost or changed
    added = after[len(before) :]
    ids = [r["event_id"] for r in after]
    assert len(ids) == len(set(ids))
    assert {r["event_id"] for r in added} == set(saved)  # both sets of new events, nothing else
    assert len(added) == len(saved)
    for row in added:
        session, round_no = saved[row["event_id"]]
        assert row["source"] == _source(session, round_no)
        assert row["place_id"] == SESSIONS[session][round_no][1]
    assert validate_file(events_file) == []


def test_two_sessions_accepting_the_same_article_at_the_same_moment_save_it_once(events_file: Path) -> None:
    before = _rows(events_file)
    source = "concurrency test: the same article in two sessions"
    text = "KIRKUK, 16 October 2017 - Iraqi forces took control of Kirkuk and Kirkuk airport on Monday."
    reports = _run_sessions(events_file, {session: ((text, source),) for session in ("first", "second")})

    for report in reports.values():
        assert all("traceback" not in r for r in report), report[-1].get("traceback")
        assert not report[0]["exception"] and not report[0]["errors"], report[0]
    (saver,) = [r for (r,) in reports.values() if r["ids"]]  # exactly one session saved the candidates
    (other,) = [r for (r,) in reports.values() if not r["ids"]]
    started = max(r["started"] for (r,) in reports.values())
    assert started < min(r["finished"] for (r,) in reports.values()), "the accept clicks did not overlap"

    after = _rows(events_file)
    assert after[: len(before)] == before
    added = after[len(before) :]
    assert [r["event_id"] for r in added] == saver["ids"]  # one copy of each candidate, nothing else
    assert {r["place_id"] for r in added} >= {"geonames:94787"} and all(r["source"] == source for r in added)
    keys = [(r["place_id"], r["event_type"], r["event_date"], r["source"]) for r in added]
    assert len(keys) == len(set(keys))
    message = (
        f"{len(added)} candidate(s) already in {events_file}: {', '.join(saver['ids'])} (not saved again)"
    )
    assert message in other["info"], other["info"]
    assert validate_file(events_file) == []


def test_a_saved_event_is_corrected_then_withdrawn_keeping_its_id(events_file: Path) -> None:
    text, place_id = SESSIONS["en"][0]
    at = _page()
    at.run()
    at.text_area(key="article_text").input(text).run()
    at.button(key="article_accept").click().run()
    assert not at.exception, at.exception
    (event_id,) = at.session_state["article_saved"]
    saved = {r["event_id"]: r for r in _rows(events_file)}[event_id]
    assert saved["place_id"] == place_id and saved["updated_at"] == "" and saved["update_reason"] == ""
    history = history_path(events_file)
    assert not history.exists()

    started = datetime.now(UTC).replace(microsecond=0)
    at.selectbox(key="fix_event_id").select(event_id).run()
    at.selectbox(key="fix_column").select("summary").run()
    at.text_input(key="fix_value").input("Federal police deployed in Tuz Khurmatu (corrected).").run()
    at.text_input(key="fix_reason").input("summary reworded after review").run()
    at.button(key="fix_apply").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    rows = _rows(events_file)
    corrected = {r["event_id"]: r for r in rows}[event_id]
    assert corrected["summary"] == "Federal police deployed in Tuz Khurmatu (corrected)."
    assert corrected["update_reason"] == "summary reworded after review"
    assert _TIMESTAMP.match(corrected["updated_at"]), corrected["updated_at"]
    corrected_at = datetime.strptime(corrected["updated_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert started <= corrected_at <= datetime.now(UTC)
    unchanged = ("summary", "updated_at", "update_reason")
    assert {k: v for k, v in corrected.items() if k not in unchanged} == {
        k: v for k, v in saved.items() if k not in unchanged
    }
    (first,) = _rows(history)
    assert first == saved | {"superseded_at": corrected["updated_at"]}

    at.text_input(key="fix_reason").input("withdrawn: single unconfirmed report").run()
    at.button(key="fix_withdraw").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    after = _rows(events_file)
    assert [r["event_id"] for r in after] == [r["event_id"] for r in rows]  # same ids, same order
    withdrawn = {r["event_id"]: r for r in after}[event_id]
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["update_reason"] == "withdrawn: single unconfirmed report"
    assert _TIMESTAMP.match(withdrawn["updated_at"]) and withdrawn["updated_at"] >= corrected["updated_at"]
    assert withdrawn["summary"] == corrected["summary"]
    assert _rows(history) == [first, corrected | {"superseded_at": withdrawn["updated_at"]}]
    assert [r for r in after if r["event_id"] != event_id] == [r for r in rows if r["event_id"] != event_id]
    assert validate_file(events_file) == []
