"""Source text never reaches a template engine: Jinja payloads in every free-text column stay inert text.

branca compiles a MacroElement's rendered script as a Jinja template a second time, so before the fix a summary of
``{{ 7*191 }}`` came out of the map builder as ``1337`` and a payload reaching Python's ``os`` module ran on the
server. These tests run the payloads through both map builders (folium's own render and streamlit-folium's script
generation), then through the pages under AppTest: an events file, the Add-article page's Source field and a
correction. Each checks that nothing ran (no directory made, no ``1337``, no template error) and that the text is
there literally. The real-browser run over ``kcm serve`` is in ``tests/browser/test_security_browser.py``.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from streamlit_folium import _get_header, _get_html, generate_leaflet_string

from geodata.events import load_events, update_event
from geodata.maps import build_candidates_map, build_map, escape_text, script_json
from tests.conftest import ROOT, SEED_DIR

APP = str(ROOT / "dashboard" / "app.py")
ADD_PAGE = str(ROOT / "dashboard" / "pages" / "1_Add_article.py")
SEED_TEXT = (SEED_DIR / "000_0d09db86305241cb.txt").read_text(encoding="utf-8")

# The mkdir payload takes its path from the environment, so it needs no quotes (the builder HTML-escapes quotes,
# which would only turn it into a template syntax error, not make it safe).
MKDIR = "{{ lipsum.__globals__.os.mkdir(lipsum.__globals__.os.environ.KCM_PWN) }}"
PAYLOADS: dict[str, str] = {
    "arith": "probe {{ 7*191 }} end",
    "mkdir": f"x {MKDIR} y",
    "globals": "{{ self.__init__.__globals__ }}",
    "statement": "{% for i in range(3) %}R{% endfor %}",
    "unclosed_comment": "before {# never closed",
    "unclosed_block": "before {% if",
    "cycler": "{{ cycler.__init__.__globals__.os.getcwd() }}",
}
TEXT_COLUMNS = ("summary", "source", "notes", "place_as_written", "place", "place_ar", "actors", "event_id")


@pytest.fixture
def pwn_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The directory the mkdir payload would create; it must never exist."""
    target = tmp_path / "pwned-by-template"
    monkeypatch.setenv("KCM_PWN", str(target))
    return target


def _events_with(column: str, payloads: list[str]) -> pd.DataFrame:
    n = len(payloads)
    frame = pd.DataFrame(
        {
            "event_id": [f"kcm-{i:04d}" for i in range(1, n + 1)],
            "event_date": pd.to_datetime([date(2017, 10, 16)] * n),
            "event_type": ["control_change"] * n,
            "place_id": ["geonames:94787"] * n,
            "place": ["Kirkuk"] * n,
            "place_ar": ["كركوك"] * n,
            "place_as_written": ["كركوك"] * n,
            "latitude": [35.468] * n,
            "longitude": [44.392] * n,
            "controller_before": ["krg"] * n,
            "controller_after": ["isf"] * n,
            "summary": ["ok"] * n,
            "source": ["src"] * n,
            "source_url": ["https://example.org/a"] * n,
            "status": ["reported"] * n,
        }
    )
    frame[column] = payloads
    return frame


def _control(names: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "place_id": [f"geonames:{i}" for i in range(len(names))],
            "place": names,
            "place_ar": names,
            "lat": [35.0 + i * 0.1 for i in range(len(names))],
            "lon": [44.0] * len(names),
            "controller": ["isf"] * len(names),
            "since": [date(2017, 10, 16)] * len(names),
            "event_id": names,
            "contested": [False] * len(names),
            "claims": [[] for _ in names],
        }
    )


def _renders(fmap) -> list[str]:
    """Everything the page gets: folium's full render, and streamlit-folium's header, html and map script."""
    full = fmap.get_root().render()
    return [full, _get_header(fmap), _get_html(fmap), generate_leaflet_string(fmap)]


# ``{{ 7*191 }}`` evaluated: "1337" on its own, not inside a number (the outlines' coordinates hold e.g. 32.1337).
_EVALUATED = re.compile(r"(?<![\d.])1337(?![\d])")


def _assert_inert(outputs: list[str], payloads: list[str], pwn: Path) -> None:
    joined = "\n".join(outputs)
    assert not pwn.exists(), "a template payload ran on the server"
    assert not _EVALUATED.search(joined)
    assert "RRR" not in joined
    assert "jinja2" not in joined.lower() and "<function" not in joined
    decoded = _data_strings(outputs[0])
    for text in payloads:
        assert escape_text(text) in decoded, f"{text!r} is not shown literally"


def _data_strings(rendered: str) -> str:
    """Decode every JSON payload of the page's data scripts and return their strings joined."""
    found = re.findall(r"var P = (\{.*?\});\s*var map = ", rendered, re.S)
    assert found, "no data script in the page"
    strings: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            strings.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for block in found:
        walk(json.loads(block))
    return "\n".join(strings)


@pytest.mark.parametrize("column", TEXT_COLUMNS)
def test_map_builder_keeps_payloads_inert(column: str, pwn_dir: Path) -> None:
    payloads = list(PAYLOADS.values())
    events = _events_with(column, payloads)
    fmap = build_map(events, _control(payloads), as_of=date(2017, 10, 16), changes=events, tiles=None)
    outputs = _renders(fmap)
    if column in {"summary", "source", "place_as_written", "place", "place_ar", "event_id"}:
        _assert_inert(outputs, payloads, pwn_dir)  # columns the map shows: they must be there, as written
    else:
        assert not pwn_dir.exists()
        assert not _EVALUATED.search("\n".join(outputs))


def test_source_url_payload_is_inert(pwn_dir: Path) -> None:
    url = "https://example.org/{{ 7*191 }}/" + MKDIR
    events = _events_with("source_url", [url])
    outputs = _renders(build_map(events, None, tiles=None))
    assert not pwn_dir.exists()
    assert not _EVALUATED.search("\n".join(outputs))
    assert escape_text(url) in _data_strings(outputs[0])


def test_candidates_map_keeps_payloads_inert(pwn_dir: Path) -> None:
    payloads = list(PAYLOADS.values())
    rows = [
        {"lat": 35.4 + i / 10, "lon": 44.4, "event_type": "clash", "place": text, "event_date": "2017-10-16"}
        for i, text in enumerate(payloads)
    ]
    rows[0]["origin_lat"], rows[0]["origin_lon"] = 36.19, 44.01
    outputs = _renders(build_candidates_map(rows, tiles=None))
    _assert_inert(outputs, payloads, pwn_dir)


def test_script_json_leaves_no_template_delimiter() -> None:
    data = {"s": ["{{x}}", "{%y%}", "{#z", "{{{", "a{b", "</script><!--"], "nested": {"k": {}}}
    text = script_json(data)
    assert not re.search(r"\{[{%#]", text)
    assert "</" not in text and "<!--" not in text
    assert json.loads(text) == data


# ---------------------------------------------------------------- the pages (AppTest): file, Add article, correction


def _poison(path: Path, text: str) -> None:
    """Put ``text`` into every free-text column of the file's first 'control_change' row."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0])
    target = next(r for r in rows if r["event_type"] == "control_change")
    for column in ("summary", "source", "notes", "place_as_written"):
        target[column] = text
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _run_map_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    return at


@pytest.mark.parametrize("name", ["mkdir", "arith", "unclosed_comment", "unclosed_block", "globals"])
def test_events_file_payload_is_inert_on_the_map_page(name: str, events_file: Path, pwn_dir: Path) -> None:
    _poison(events_file, PAYLOADS[name])
    at = _run_map_page()
    assert not at.exception, [e.value for e in at.exception]
    assert not pwn_dir.exists()
    assert at.session_state["shown"]["n_events"] > 0


def test_add_article_source_field_payload_is_inert(events_file: Path, pwn_dir: Path) -> None:
    at = AppTest.from_file(ADD_PAGE, default_timeout=90)
    at.run()
    at.text_area(key="article_text").input(SEED_TEXT).run()
    at.text_input(key="article_source").input(MKDIR + " {{ 7*191 }}").run()
    at.button(key="article_accept").click().run()
    assert not at.exception, [e.value for e in at.exception]
    saved = load_events(events_file)
    assert (saved["source"] == MKDIR + " {{ 7*191 }}").any(), "the payload was not saved as text"
    assert not pwn_dir.exists()
    at = _run_map_page()  # every later visitor draws the saved rows
    assert not at.exception, [e.value for e in at.exception]
    assert not pwn_dir.exists()


def test_correction_payload_is_inert(events_file: Path, pwn_dir: Path) -> None:
    event_id = str(load_events(events_file)["event_id"].iloc[-1])
    update_event(events_file, event_id, {"summary": MKDIR}, reason="probe {{ 7*191 }}")
    at = AppTest.from_file(ADD_PAGE, default_timeout=90)
    at.run()
    at.selectbox(key="fix_event_id").set_value(event_id).run()
    at.text_input(key="fix_value").input(PAYLOADS["unclosed_comment"]).run()
    at.text_input(key="fix_reason").input(PAYLOADS["arith"]).run()
    at.button(key="fix_apply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    at = _run_map_page()
    assert not at.exception, [e.value for e in at.exception]
    assert not pwn_dir.exists()
