"""Shared fixtures: repository paths and the bundled data."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
# The founding article (Al-Hayat, 30 Nov 2017, as republished), shipped so that tests run on a clean clone.
SEED_DIR = DATA / "seed"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep validated copies and stamps (geodata.store.cache) of the test session out of the user's cache."""
    if "KCM_CACHE" not in os.environ:
        os.environ["KCM_CACHE"] = str(tmp_path_factory.mktemp("kcm-cache"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def events_csv() -> Path:
    return ROOT / "events.csv"


@pytest.fixture
def events_file(tmp_path: Path, events_csv: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped events that the pages under test use (``KCM_EVENTS``), with no map tiles."""
    target = tmp_path / "events.csv"
    shutil.copy(events_csv, target)
    monkeypatch.setenv("KCM_EVENTS", str(target))
    monkeypatch.setenv("KCM_TILES", "none")
    return target


def as_shown(markdown_source: str) -> str:
    """Return the text a reader sees for Markdown source whose data ``dashboard.plain.plain`` wrote as code spans."""

    def unfence(match: re.Match[str]) -> str:
        inner = match.group(2)
        return inner[1:-1] if len(inner) > 2 and inner[0] == inner[-1] == " " else inner

    return re.sub(r"(`+)(.+?)\1(?!`)", unfence, markdown_source)
