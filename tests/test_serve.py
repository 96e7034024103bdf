"""The dashboard launcher: warming up fills the very cache the page reads, and never raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import cache
from dashboard.serve import warm_up


def test_warm_up_fills_the_page_cache(
    monkeypatch: pytest.MonkeyPatch, events_csv: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "events.csv"
    copy.write_bytes(events_csv.read_bytes())
    monkeypatch.setenv("KCM_EVENTS", str(copy))
    calls = []
    original = cache.open_dataset
    monkeypatch.setattr(cache, "open_dataset", lambda path: calls.append(path) or original(path))
    warm_up()
    dataset = cache.load_dataset(str(copy), cache.file_version(copy))
    assert calls == [str(copy)]  # the page's call was a cache hit
    assert dataset.n_events > 0


def test_warm_up_survives_a_bad_events_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("event_id\nkcm-0001\n", encoding="utf-8")
    monkeypatch.setenv("KCM_EVENTS", str(bad))
    warm_up()
    assert "warm-up of the dashboard failed" in caplog.text


def test_warm_up_leaves_the_map_component_to_the_page(events_csv: Path) -> None:
    """streamlit_folium registers its component only when imported in a page run; warming up must not import it."""
    import os
    import subprocess
    import sys

    code = (
        "import sys; from dashboard.serve import warm_up; warm_up(); print('streamlit_folium' in sys.modules)"
    )
    env = dict(os.environ, KCM_EVENTS=str(events_csv))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"


def test_warm_up_prints_no_script_run_context_warning(events_csv: Path) -> None:
    """`make run` used to print "missing ScriptRunContext" from the warm-up thread; that warning is expected there."""
    import os
    import subprocess
    import sys

    code = "from dashboard.serve import warm_up; warm_up()"
    env = dict(os.environ, KCM_EVENTS=str(events_csv))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert "ScriptRunContext" not in out.stdout + out.stderr
