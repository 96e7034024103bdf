"""Real-browser fixtures: Debian's chromium driven by Playwright, the dashboard as a subprocess, the network refused.

Every request that does not go to the app's own server is aborted (and recorded in ``page.refused``): the pages are
seen as an offline user sees them. Without chromium the browser tests skip with the reason; under CI=true they fail.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.browser.assets import find_tool, offline_router
from tests.conftest import IN_CI, ROOT

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_tool("chromium")
    if path is None:
        _unavailable("Debian chromium is not installed (apt-get install chromium)")
    return str(path)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is missing (pip install -e '.[test]')")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium_path, headless=False, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Open pages that can reach the app's own server only; record refused requests, page errors and dialogs."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1400, "height": 1100})
        context = browser.new_context(accept_downloads=True, **options)
        refused: list[str] = []
        context.route("**/*", offline_router(refused))
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []
        page.refused = refused
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))

        def on_dialog(dialog: Any) -> None:
            page.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page

    yield make
    for context in contexts:
        context.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().decode().strip() == "ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit did not become healthy at {url} within {timeout:.0f} s")


@pytest.fixture(scope="session")
def serve_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Path], str]]:
    """Start the dashboard (``python -m dashboard.serve``, as ``kcm serve`` does) on an events file; return its URL."""
    servers: dict[Path, tuple[str, subprocess.Popen[bytes], IO[bytes]]] = {}
    logs = tmp_path_factory.mktemp("streamlit-logs")

    def start(events: Path) -> str:
        if events in servers:
            return servers[events][0]
        port = _free_port()
        env = dict(os.environ, KCM_EVENTS=str(events), KCM_TILES="none")
        log = (logs / f"streamlit-{port}.log").open("wb")
        cmd = [
            sys.executable, "-m", "dashboard.serve", "--server.headless", "true",
            "--server.port", str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            "--client.toolbarMode", "viewer",
        ]  # fmt: skip
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://localhost:{port}"
        servers[events] = (url, proc, log)
        _wait_healthy(url, proc)
        return url

    yield start
    for _url, proc, log in servers.values():
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
