"""Template payloads, crafted links and file names in Debian's chromium, on a server started by ``kcm serve``.

The events file carries Jinja payloads (one would create a directory on the server) in every free-text column;
the page must draw the map with no dialog, no page error and no directory made, and the popups must show the
payloads as written. Crafted ``from``/``to`` parameters and an uploaded file's name must be shown as text: no live
link, no image, no request leaving the page.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.browser]

MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
TIMEOUT_MS = 60_000  # the machine is shared: a cold first page can take long
MKDIR = "{{ lipsum.__globals__.os.mkdir(lipsum.__globals__.os.environ.KCM_PWN) }}"
PAYLOADS = {
    "summary": "probe {{ 7*191 }} " + MKDIR,
    "source": "{% for i in range(3) %}R{% endfor %} src",
    "notes": "before {# never closed",
    "place_as_written": "{{ self.__init__.__globals__ }}",
}
LINK = "[log in](https://evil.example)"
IMAGE = "![x](https://evil.example/t.png)"


def _poisoned_copy(events_csv: Path, target: Path) -> Path:
    """The shipped events with the payloads in every free-text column of every control change."""
    with events_csv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0])
    for row in rows:
        if row["event_type"] == "control_change":
            row.update(PAYLOADS)
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def kcm_server(tmp_path: Path, events_csv: Path) -> Iterator[tuple[str, Path, Path]]:
    """``kcm serve`` on a poisoned events file; yields (url, events file, the directory the payload would make)."""
    events = _poisoned_copy(events_csv, tmp_path / "poisoned.csv")
    pwn = tmp_path / "pwned-by-template"
    port = _free_port()
    env = dict(os.environ, KCM_TILES="none", KCM_PWN=str(pwn))
    env.pop("KCM_ADDRESS", None)
    log = (tmp_path / "serve.log").open("wb")
    cmd = [sys.executable, "-m", "geodata", "serve", "--events", str(events), "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, (tmp_path / "serve.log").read_text(errors="replace")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().decode().strip() == "ok":
                    break
        except OSError:
            assert time.monotonic() < deadline, "kcm serve did not become healthy"
            time.sleep(0.2)
    yield url, events, pwn
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    log.close()


def _watch(page: Any) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"errors": [], "outside": []}
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))

    def on_request(request: Any) -> None:
        if "evil.example" in (urlsplit(request.url).hostname or ""):
            seen["outside"].append(request.url)

    page.on("request", on_request)
    return seen


def _popup_texts(frame: Any) -> str:
    """Open the popup of every marker on the map, one after the other; return all their text."""
    return frame.locator(".leaflet-container").evaluate(
        """() => {
          const out = [];
          document.querySelectorAll("path.leaflet-interactive").forEach((p) => {
            p.dispatchEvent(new MouseEvent("click", {bubbles: true}));
            document.querySelectorAll(".leaflet-popup-content").forEach((c) => out.push(c.textContent));
          });
          return out.join("\\n");
        }"""
    )


def test_template_payloads_stay_text_in_the_browser(
    new_page: Callable[..., Any], kcm_server: tuple[str, Path, Path]
) -> None:
    url, _events, pwn = kcm_server
    page = new_page()
    seen = _watch(page)
    page.goto(url)
    frame = page.frame_locator(MAP_FRAME).last
    frame.locator(".leaflet-container").wait_for(timeout=TIMEOUT_MS)
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=TIMEOUT_MS)
    shown = _popup_texts(frame)
    assert PAYLOADS["summary"] in shown and PAYLOADS["source"] in shown
    assert PAYLOADS["place_as_written"] in shown
    assert "1337" not in shown and "RRR" not in shown
    assert not pwn.exists(), "a template payload ran on the server"
    assert page.dialogs == [] and seen["errors"] == []
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and "TemplateSyntaxError" not in body


def test_crafted_link_parameters_are_plain_text(
    new_page: Callable[..., Any], kcm_server: tuple[str, Path, Path]
) -> None:
    url, _events, _pwn = kcm_server
    page = new_page()
    seen = _watch(page)
    page.goto(f"{url}/?from={quote(LINK)}&to={quote(IMAGE)}")
    warning = page.locator('[data-testid="stAlertContentWarning"]').first
    warning.wait_for(timeout=TIMEOUT_MS)
    text = warning.inner_text()
    assert LINK in text and IMAGE in text
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert page.locator('img[src*="evil.example"]').count() == 0
    page.wait_for_timeout(500)
    assert seen["outside"] == [] and seen["errors"] == [] and page.dialogs == []


def test_uploaded_file_name_is_plain_text(
    new_page: Callable[..., Any], kcm_server: tuple[str, Path, Path]
) -> None:
    url, _events, _pwn = kcm_server
    page = new_page()
    seen = _watch(page)
    page.goto(f"{url}/add-article")
    upload = page.locator('[data-testid="stFileUploaderDropzoneInput"]').first
    upload.wait_for(state="attached", timeout=TIMEOUT_MS)
    name = f"{LINK} {IMAGE}.txt"
    upload.set_input_files({"name": name, "mimeType": "text/plain", "buffer": b"\x00\x01\x02binary\xff\xfe"})
    error = page.locator('[data-testid="stAlertContentError"]').first
    error.wait_for(timeout=TIMEOUT_MS)
    assert LINK in error.inner_text()
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert page.locator('img[src*="evil.example"]').count() == 0
    page.wait_for_timeout(500)
    assert seen["outside"] == [] and seen["errors"] == [] and page.dialogs == []
