"""Concurrent sessions benchmark: ten browser sessions on one dashboard server, against one session alone.

The driver of ``tests/browser/test_sessions_browser.py``: each session (its own browser context) types its own search,
then moves the window slider three times, every session interleaved. Measured per run, on a fresh server on the
bundled events: the server's peak resident memory (VmHWM) and the latency of each move (key presses sent → that
session's map shows its new day), in Debian's chromium with every outside request refused. The baseline is the same
run with one session alone on its own fresh server. ``KCM_BENCH_SESSIONS`` sets the number of sessions (10).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
from pathlib import Path

from geodata.events import load_events
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.test_sessions_browser import (
    close_sessions,
    drive,
    open_sessions,
    start_server,
    stop_server,
)
from tests.conftest import ROOT

EVENTS = ROOT / "events.csv"
MOVES = 3


def _one_run(browser: object, n: int, folder: Path) -> dict[str, float]:
    """Run ``n`` sessions on a fresh server; return its memory and the move latencies."""
    server = start_server(EVENTS, folder / f"streamlit-{n}.log")
    try:
        base_mb = server.rss_mb()
        sessions = open_sessions(browser, server.url, n)
        try:
            drive(sessions, load_events(EVENTS), moves=MOVES)
        finally:
            close_sessions(sessions)
        alive = server.proc.poll() is None
        latencies = sorted(t for s in sessions for t in s.latencies)
        return {
            "sessions": n,
            "start_mb": base_mb,
            "peak_mb": server.peak_rss_mb(),
            "median_s": statistics.median(latencies),
            "p90_s": latencies[int(0.9 * (len(latencies) - 1))],
            "max_s": latencies[-1],
            "moves": len(latencies),
            "alive": alive,
        }
    finally:
        stop_server(server)


def run() -> str:
    """Run one session alone, then the concurrent sessions; return the Markdown section."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        return "## Concurrent sessions\n\nNot run: Debian chromium is not installed."
    n = int(os.environ.get("KCM_BENCH_SESSIONS", "10"))
    with tempfile.TemporaryDirectory(prefix="kcm-bench-sessions-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=False, args=CHROMIUM_ARGS)
        try:
            alone = _one_run(browser, 1, Path(tmp))
            many = _one_run(browser, n, Path(tmp))
        finally:
            browser.close()
    rows = [
        f"| {r['sessions']} | {r['start_mb']:.0f} MB | {r['peak_mb']:.0f} MB | {r['median_s']:.2f} s | "
        f"{r['p90_s']:.2f} s | {r['max_s']:.2f} s | {r['moves']} | {'yes' if r['alive'] else '**no**'} |"
        for r in (alone, many)
    ]
    return "\n".join(
        [
            "## Concurrent sessions (one dashboard server, bundled events)",
            "",
            f"{n} browser sessions at once (Debian chromium, outside requests refused), each with its own search and "
            f"{MOVES} slider moves, interleaved; baseline: one session alone, same moves, on its own fresh server. "
            "Latency: key presses sent until that session's map states its new day (sessions are polled in turn).",
            "",
            "| sessions | server at start | server peak (VmHWM) | move latency median | p90 | max | moves | server up |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Peak memory with {n} sessions: {many['peak_mb'] / alone['peak_mb']:.2f}× that of one session "
            f"(+{many['peak_mb'] - alone['peak_mb']:.0f} MB); median move latency "
            f"{many['median_s'] / alone['median_s']:.1f}× that of one session alone.",
        ]
    )
