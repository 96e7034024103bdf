"""Every ``st.cache_*`` wrapper of the page: the events dataset (shared, read-only), per-day and per-filter answers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from geodata.errors import GeodataError, Problem
from geodata.filters import EventFilter
from geodata.store.dataset import EventDataset, dataset_version, open_dataset
from geodata.store.window import WindowView, window_view
from geodata.vocab import STATUSES

if (
    TYPE_CHECKING
):  # imported where used: the map page's first paint needs neither the review nor the validator
    import pandas as pd

    from geodata.review import CandidateSet


@dataclass(frozen=True)
class Dataset:
    """The events, queried in place, with what the widgets need about them; shared by all sessions."""

    path: str
    version: tuple[int, int, int]
    store: EventDataset
    n_events: int
    first: date
    last: date
    types: tuple[str, ...]
    actors: tuple[str, ...]
    places: dict[str, str]
    admin1s: tuple[str, ...]
    statuses: tuple[str, ...]
    bounds: tuple[tuple[float, float], tuple[float, float]] | None


def file_version(path: Path) -> tuple[int, int, int]:
    """Return (files, bytes, latest mtime) of the events: part of every cache key, so edited data is reopened."""
    return dataset_version(path)


@st.cache_resource(show_spinner="Loading events…", max_entries=4)
def load_dataset(path: str, version: tuple[int, int, int]) -> Dataset:
    """Open the events once per (path, version) and describe them (a CSV is validated once, then cached)."""
    store = open_dataset(path)
    summary = store.summary
    today = date.today()
    return Dataset(
        path=path,
        version=version,
        store=store,
        n_events=summary.n_events,
        first=summary.first or today,
        last=summary.last or today,
        types=summary.types,
        actors=summary.actors,
        places=summary.places,
        admin1s=summary.admin1s,
        statuses=STATUSES,
        bounds=summary.bounds,
    )


# cache_resource: cache_data would unpickle a fresh copy on every rerun. Never mutate the result.
@st.cache_resource(show_spinner=False, max_entries=256)
def control_on(path: str, version: tuple[int, int, int], day: date) -> pd.DataFrame:
    """Control state as of ``day`` (one row per place), cached per day so that playback and day steps are cheap."""
    return load_dataset(path, version).store.control_as_of(day)


def filter_key(flt: EventFilter) -> str:
    """Return a filter as the text that keys :func:`window_on` (its JSON, keys sorted)."""
    return json.dumps(flt.to_dict(), sort_keys=True)


# Few entries: at 10M events a full-range entry holds its movements (rows with an origin) in full.
@st.cache_resource(show_spinner=False, max_entries=4)
def window_on(
    path: str,
    version: tuple[int, int, int],
    key: str,
    aggregate_threshold: int,
    limit: int,
    columns: Sequence[str],
) -> WindowView:
    """Return what the page shows of the filter ``key`` (:func:`filter_key`), cached per filter.

    A move of the control day (a day step, playback) then reruns the page without asking the dataset again.
    Never mutate the result.
    """
    store = load_dataset(path, version).store
    return window_view(
        store,
        EventFilter.from_dict(json.loads(key)),
        aggregate_threshold=aggregate_threshold,
        limit=limit,
        columns=columns,
    )


@st.cache_resource(show_spinner=False, max_entries=256)
def areas_on(path: str, version: tuple[int, int, int], day: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Areas of control and front lines as of ``day``, cached per day (playback steps reuse them)."""
    from geodata.areas import areas_from_control, front_lines

    areas = areas_from_control(control_on(path, version, day))
    return areas, front_lines(areas)


@st.cache_resource(show_spinner=False, max_entries=16)
def upload_problems(path: str, name: str) -> tuple[Problem, ...]:
    """Validate an uploaded events file once; its path is named by a hash of its content, so it never changes.

    Without this, every rerun (each slider move) would validate the upload again.
    """
    from geodata.events import validate_file

    try:
        return tuple(validate_file(Path(path)))
    except (GeodataError, OSError) as exc:
        return (Problem(name, None, None, str(exc)),)


@st.cache_resource(show_spinner="Opening the candidates dataset…", max_entries=4)
def candidate_set(path: str, version: int) -> CandidateSet:
    """Open a candidates dataset once per (path, manifest version): its parts, types, places and date range."""
    from geodata.review import open_candidates

    return open_candidates(Path(path))
