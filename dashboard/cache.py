"""Every ``st.cache_*`` wrapper of the page: the loaded events (shared, read-only) and per-day control state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from geodata.areas import areas_from_control, front_lines
from geodata.control import changes_between, control_as_of
from geodata.errors import GeodataError, Problem
from geodata.events import load_events, validate_file
from geodata.review import CandidateSet, open_candidates
from geodata.vocab import CONTROL_TYPES, EVENT_TYPES, STATUSES, split_controller


@dataclass(frozen=True)
class Dataset:
    """The loaded events with what the widgets need about them; shared by all sessions, never mutated."""

    path: str
    version: int
    events: pd.DataFrame
    control_rows: pd.DataFrame  # the rows that decide control (types in CONTROL_TYPES), date-sorted
    first: date
    last: date
    types: tuple[str, ...]
    actors: tuple[str, ...]
    places: dict[str, str]
    admin1s: tuple[str, ...]
    statuses: tuple[str, ...]
    bounds: tuple[tuple[float, float], tuple[float, float]] | None


def file_version(path: Path) -> int:
    """Return the modification time of ``path`` (ns): part of every cache key, so an edited file is reloaded."""
    return path.stat().st_mtime_ns


def _present(series: pd.Series) -> list[str]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        used = np.bincount(codes[codes >= 0], minlength=len(series.cat.categories)) > 0
        return [str(v) for v in series.cat.categories[used]]
    return [str(v) for v in pd.unique(series.dropna()) if str(v)]


@st.cache_resource(show_spinner="Loading events…", max_entries=4)
def load_dataset(path: str, version: int) -> Dataset:
    """Load an events file once per (path, version) and describe it; the frame is shared, so never mutate it."""
    events = load_events(path)
    if len(events):
        first = events["event_date"].iloc[0].date()
        last = events["event_date"].iloc[-1].date()
    else:
        first = last = date.today()
    actors: set[str] = set()
    for cell in _present(events["actors"]):
        for code in cell.split(";"):
            actors.update(split_controller(code.strip()))
    for name in ("controller_before", "controller_after"):
        for code in _present(events[name]):
            actors.update(split_controller(code))
    place_frame = events[["place_id", "place", "place_ar"]].drop_duplicates("place_id")
    places = {
        str(pid): " · ".join(str(v) for v in (name, name_ar) if isinstance(v, str) and v) or str(pid)
        for pid, name, name_ar in place_frame.itertuples(index=False)
    }
    lat = events["latitude"].to_numpy(dtype=float)
    lon = events["longitude"].to_numpy(dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    bounds = (
        ((float(lat[ok].min()), float(lon[ok].min())), (float(lat[ok].max()), float(lon[ok].max())))
        if ok.any()
        else None
    )
    present_types = set(_present(events["event_type"]))
    return Dataset(
        path=path,
        version=version,
        events=events,
        control_rows=events.loc[events["event_type"].isin(CONTROL_TYPES).to_numpy()],
        first=first,
        last=last,
        types=tuple(t for t in EVENT_TYPES if t in present_types),
        actors=tuple(sorted(actors)),
        places=dict(sorted(places.items(), key=lambda kv: kv[1].casefold())),
        admin1s=tuple(sorted(_present(events["admin1"]))),
        statuses=STATUSES,
        bounds=bounds,
    )


# The two below are cache_resource too: cache_data would unpickle a fresh copy on every rerun. Never mutate them.
@st.cache_resource(show_spinner=False, max_entries=256)
def control_on(path: str, version: int, day: date) -> pd.DataFrame:
    """Control state as of ``day`` (one row per place), cached per day so that playback and day steps are cheap."""
    return control_as_of(load_dataset(path, version).control_rows, day)


@st.cache_resource(show_spinner=False, max_entries=256)
def areas_on(path: str, version: int, day: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Areas of control and front lines as of ``day``, cached per day (playback steps reuse them)."""
    areas = areas_from_control(control_on(path, version, day))
    return areas, front_lines(areas)


@st.cache_resource(show_spinner=False, max_entries=64)
def changes_in(path: str, version: int, start: date, end: date) -> pd.DataFrame:
    """Return the changes of control from ``start`` to ``end``."""
    return changes_between(load_dataset(path, version).control_rows, start, end)


@st.cache_resource(show_spinner=False, max_entries=16)
def upload_problems(path: str, name: str) -> tuple[Problem, ...]:
    """Validate an uploaded events file once; its path is named by a hash of its content, so it never changes.

    Without this, every rerun (each slider move) would validate the upload again.
    """
    try:
        return tuple(validate_file(Path(path)))
    except (GeodataError, OSError) as exc:
        return (Problem(name, None, None, str(exc)),)


@st.cache_resource(show_spinner="Opening the candidates dataset…", max_entries=4)
def candidate_set(path: str, version: int) -> CandidateSet:
    """Open a candidates dataset once per (path, manifest version): its parts, types, places and date range."""
    return open_candidates(Path(path))
