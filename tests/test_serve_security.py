"""Safe by default: ``kcm serve`` listens on localhost, owns its server, ships its settings; links and modes are data.

The process tests start the real ``kcm serve`` (``python -m geodata serve``) and read the listening sockets from
``/proc/net/tcp*``, the kernel's own table (what ``ss -ltn`` shows).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from dashboard.plain import html_text, plain
from dashboard.serve import CONFIG, config_flags, server_args
from tests.conftest import ROOT, as_shown

APP = str(ROOT / "dashboard" / "app.py")
ADD_PAGE = str(ROOT / "dashboard" / "pages" / "1_Add_article.py")
LINK = "[log in](https://evil.example)"
IMAGE = "![x](https://evil.example/t.png)"
MARKDOWN = MarkdownIt("gfm-like")  # CommonMark + GitHub's extensions (tables, strikethrough, bare autolinks)


# ---------------------------------------------------------------- shipped settings


def test_shipped_settings_are_safe() -> None:
    flags = config_flags()
    assert flags["server.address"] == "127.0.0.1"
    assert flags["server.enableXsrfProtection"] == "true"
    assert flags["server.runOnSave"] == "false"
    assert flags["server.fileWatcherType"] == "none"
    assert flags["client.showErrorDetails"] == "none"
    assert 1 <= int(flags["server.maxUploadSize"]) <= 100  # sized to our CSV and .txt files, not 200 MB
    assert CONFIG.name == "config.toml" and CONFIG.parent.name == ".streamlit"


def test_server_args_apply_settings_then_env_then_flags() -> None:
    args = server_args([], env={})
    assert args[args.index("--server.address") + 1] == "127.0.0.1"
    assert args[args.index("--client.showErrorDetails") + 1] == "none"
    args = server_args([], env={"KCM_ADDRESS": "127.0.0.2"})
    assert args[args.index("--server.address") + 1] == "127.0.0.2"
    args = server_args(["--server.address", "::1"], env={"KCM_ADDRESS": "127.0.0.2"})
    assert args.count("--server.address") == 1 and args[-1] == "::1"


# ---------------------------------------------------------------- kcm serve: a real process


def _listening(port: int) -> set[str]:
    """Local addresses listening on ``port`` (IPv4 dotted, IPv6 as hex), from the kernel's socket tables."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) != port or fields[3] != "0A":  # 0A: LISTEN
                continue
            if len(address) == 8:
                found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
            else:
                found.add(address)
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(events: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, KCM_TILES="none")
    env.pop("KCM_ADDRESS", None)
    cmd = [sys.executable, "-m", "geodata", "serve", "--events", str(events), "--port", str(port), *extra]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_listening(proc: subprocess.Popen[bytes], port: int, timeout: float = 60) -> set[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"kcm serve exited with {proc.returncode}"
        found = _listening(port)
        if found:
            return found
        time.sleep(0.2)
    raise TimeoutError(f"kcm serve did not listen on port {port} within {timeout:.0f} s")


def _processes_with(marker: str) -> list[int]:
    """Process ids whose command line mentions ``marker`` (the events file of one test)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = (entry / "environ").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline or marker in environ:
            pids.append(int(entry.name))
    return pids


@pytest.fixture
def served_events(tmp_path: Path, events_csv: Path) -> Path:
    target = tmp_path / "served-events.csv"
    target.write_bytes(events_csv.read_bytes())
    return target


@pytest.mark.slow
def test_kcm_serve_listens_on_localhost_only(served_events: Path) -> None:
    port = _free_port()
    proc = _start(served_events, port)
    try:
        assert _wait_listening(proc, port) == {"127.0.0.1"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as resp:
            assert resp.read().decode().strip() == "ok"
    finally:
        proc.kill()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_kcm_serve_address_option_is_used(served_events: Path) -> None:
    port = _free_port()
    proc = _start(served_events, port, "--address", "127.0.0.2")
    try:
        assert _wait_listening(proc, port) == {"127.0.0.2"}
    finally:
        proc.kill()
        proc.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_stopping_kcm_serve_stops_its_server(sig: signal.Signals, served_events: Path) -> None:
    port = _free_port()
    proc = _start(served_events, port)
    _wait_listening(proc, port)
    started = time.monotonic()
    proc.send_signal(sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"kcm serve still running 10 s after {sig.name}")
    deadline = time.monotonic() + 5
    while (_listening(port) or _processes_with(str(served_events))) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _processes_with(str(served_events))
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left running after {sig.name}: {left}"
    assert not _listening(port), "the port is still open"
    assert time.monotonic() - started < 10


# ---------------------------------------------------------------- read-only mode and URL parameters (AppTest)


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, events_csv: Path, tmp_path: Path) -> Path:
    target = tmp_path / "events.csv"
    target.write_bytes(events_csv.read_bytes())
    monkeypatch.setenv("KCM_EVENTS", str(target))
    monkeypatch.setenv("KCM_TILES", "none")
    return target


def test_read_only_page_offers_no_upload_and_no_article_page(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    assert at.get("file_uploader"), "the upload box is there by default"
    monkeypatch.setenv("KCM_READ_ONLY", "1")
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.get("file_uploader")
    assert at.session_state["shown"]["n_events"] > 0  # the map still works
    assert any("read-only" in as_shown(c.value).lower() for c in at.caption)


def test_read_only_article_page_refuses_to_write(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KCM_READ_ONLY", "1")
    before = app_env.read_bytes()
    at = AppTest.from_file(ADD_PAGE, default_timeout=90).run()
    assert not at.exception
    assert any("read-only" in i.value for i in at.info)
    assert not at.text_area and not at.button and not at.text_input
    assert app_env.read_bytes() == before


def _rendered(markdown_source: str) -> str:
    return MARKDOWN.render(markdown_source)


@pytest.mark.parametrize(
    "params",
    [{"from": LINK}, {"to": IMAGE}, {"from": LINK, "to": IMAGE}, {"layers": "https://evil.example/x"}],
)
def test_url_parameters_are_echoed_as_plain_text(app_env: Path, params: dict[str, str]) -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert warnings, "bad link parameters are reported"
    for source in warnings:
        html = _rendered(source)
        assert "<a " not in html and "<img" not in html, html
    shown = " ".join(as_shown(w) for w in warnings)
    for value in params.values():
        assert value in shown  # echoed literally, for the user to see what was ignored


@pytest.mark.parametrize(
    "text",
    [
        LINK,
        IMAGE,
        "https://evil.example/a",
        "www.evil.example",
        "# head",
        "- item",
        "$x^2$",
        ":red[x]",
        "<b>x</b>",
    ],
)
def test_plain_renders_as_the_same_text(text: str) -> None:
    html = _rendered(plain(text))
    assert "<a " not in html and "<img" not in html and "<h1" not in html and "<li" not in html
    assert "<b>" not in html and "<em>" not in html
    assert as_shown(plain(text)) == text
    assert "&#" in html_text(text) or text.isalnum()
