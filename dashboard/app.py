"""Kirkuk Control Map dashboard: who held each place on a day, and what happened in a window, filtered and exported.

The map page reads top to bottom, one section per step: page config and language → events file (the default, or an
uploaded CSV; cached load) → the view from the link → sidebar filters (a :class:`dashboard.state.Filters`) → date
controls → compute with :mod:`geodata` → render (map, downloads, table, timeline, changes) → playback step.
At the end of the file, the navigation between the pages (this script is the app's entry point).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit_folium import st_folium

from dashboard import cache
from dashboard import state as vs
from dashboard.i18n import LANG_NAMES, LANGS, RTL_CSS, actor_name, status_label, t, type_label
from dashboard.plain import plain
from geodata.areas import areas_to_geojson_bytes
from geodata.errors import EventValidationError, GeodataError, Problem
from geodata.export import control_to_geojson_bytes, write_dataset
from geodata.filters import EventFilter
from geodata.maps import LAYERS, build_map, safe_url
from geodata.settings import Settings, get_settings
from geodata.store.dataset import EventDataset
from geodata.store.window import WindowView
from geodata.store.writers import remove_older_than
from geodata.vocab import EVENT_TYPE_LABELS, EVENT_TYPES

TABLE_ROWS = 2000
TABLE_COLUMNS: tuple[str, ...] = (
    "event_id",
    "event_date",
    "date_precision",
    "event_type",
    "place",
    "place_ar",
    "place_as_written",
    "controller_before",
    "controller_after",
    "summary",
    "source",
    "source_url",
    "status",
)
SPEEDS: tuple[float, ...] = (0.5, 1.0, 2.0)

# The widget values kept across pages; the speed box (it has a default) and the uploader (read-only) are left out.
PERSISTED_KEYS: tuple[str, ...] = (
    vs.K_WINDOW,
    vs.K_AS_OF,
    vs.K_TYPES,
    vs.K_ACTORS,
    vs.K_PLACES,
    vs.K_ADMIN1S,
    vs.K_STATUSES,
    vs.K_TEXT,
    vs.K_LAYERS,
    vs.K_LANG,
)


# Arabic reads from the right: the sidebar goes to the right of the page, on every page. A fixed string, no data in it.
SIDEBAR_RIGHT_CSS = """
<style>
[data-testid="stAppViewContainer"] { flex-direction: row-reverse; }
[data-testid="stSidebarResizeHandle"] { display: none; }
[data-testid="stHeader"] { direction: rtl; }
</style>
"""


# ---------------------------------------------------------------- page config and language


def language_picker() -> str:
    """Draw the language radio (first: every label depends on it); return the language, laid out for it."""
    if vs.K_LANG not in st.session_state:
        st.session_state[vs.K_LANG] = vs.link_lang(st.session_state)
    lang: str = st.sidebar.radio(
        "Language · اللغة", LANGS, format_func=LANG_NAMES.__getitem__, key=vs.K_LANG, horizontal=True
    )
    if lang == "ar":
        st.markdown(RTL_CSS, unsafe_allow_html=True)  # static CSS, no data in it
    return lang


# ---------------------------------------------------------------- events file: the default, or a valid uploaded CSV


def _problem_table(problems: Sequence[Problem], name: str) -> pd.DataFrame:
    """Return the problems of a file as a table of plain cells (a value may quote the file)."""
    return pd.DataFrame(
        {
            "file": [name] * len(problems),
            "line": [p.line for p in problems],
            "column": [p.column or "" for p in problems],
            "problem": [p.message for p in problems],
            "value": ["" if p.value is None else str(p.value) for p in problems],
        }
    )


UPLOAD_KEEP_S = 24 * 3600  # an upload's copy outlives the session that sent it by a day at most


def _stored_upload(raw: bytes) -> Path:
    """Write an upload once to a file named by its hash (temp + rename: never half written); return its path.

    Copies of uploads not used for a day are removed, so the folder does not grow for as long as the server runs.
    """
    folder = Path(tempfile.gettempdir()) / "kcm-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{hashlib.sha256(raw).hexdigest()[:20]}.csv"
    if not target.exists():  # a new upload: the one time to sweep, not on every rerun
        remove_older_than(folder, "*", UPLOAD_KEEP_S)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, target)
    elif time.time() - target.stat().st_mtime > UPLOAD_KEEP_S / 2:
        target.touch()  # still in use: keep it another day (at most one write per half day, not per rerun)
    return target


def uploaded_events(box: DeltaGenerator, lang: str) -> Path | None:
    """Validate an uploaded CSV like ``kcm validate``; return its path when valid, else show every problem."""
    upload = box.file_uploader(t("upload", lang), type=["csv"], key=vs.K_UPLOAD)
    if upload is None:
        return None
    target = _stored_upload(upload.getvalue())
    problems = cache.upload_problems(str(target), upload.name)
    if problems:
        box.error(t("upload_bad", lang, n=len(problems)))
        box.dataframe(_problem_table(problems, upload.name), hide_index=True)
        return None
    return target


def events_file(settings: Settings, box: DeltaGenerator, lang: str) -> Path:
    """Return the events file to show: a valid upload, else the configured one (a read-only server takes none)."""
    if settings.read_only:
        box.caption(t("read_only", lang))
        return settings.events_path
    return uploaded_events(box, lang) or settings.events_path


def load_dataset(events_path: Path, lang: str) -> EventDataset:
    """Load the events file (cached by its version); on failure show why, and stop the run."""
    try:
        return cache.load_dataset(str(events_path), cache.file_version(events_path))
    except EventValidationError as exc:
        st.error(f"{t('load_error', lang)}: {plain(events_path)}")
        st.dataframe(_problem_table(exc.problems, str(events_path)), hide_index=True)
    except (GeodataError, OSError) as exc:
        st.error(f"{t('load_error', lang)}: {plain(exc)}")
    st.stop()


# ---------------------------------------------------------------- the view: from the link once, then from the widgets


def restore_view(dataset: EventDataset) -> None:
    """Set the widgets from the link on the session's first run; keep the dates inside the data; step playback."""
    state = st.session_state
    first, last = dataset.first, dataset.last
    if not state.get(vs.K_INITIALISED):
        from_url = vs.view_from_params(vs.link_params(state), first=first, last=last)
        from_url, unknown = vs.known_choices(from_url, _filter_options(dataset))
        for key, value in vs.session_from_view(from_url).items():
            if key != vs.K_LANG:
                state[key] = value
        state[vs.K_LINK_PROBLEMS] = [*from_url.problems, *unknown]
        state[vs.K_INITIALISED] = True
    start, end = state[vs.K_WINDOW]
    if not (first <= start <= end <= last):  # another file was loaded: its dates differ
        state[vs.K_WINDOW] = (first, last)
        state[vs.K_AS_OF] = last
        state[vs.K_AS_OF_PINNED] = False
    if not first <= state[vs.K_AS_OF] <= last:
        state[vs.K_AS_OF] = state[vs.K_WINDOW][1]
    if state.get("_play_step"):  # one step of playback, requested by the previous run
        state["_play_step"] = False
        state[vs.K_AS_OF] = min(state[vs.K_AS_OF] + timedelta(days=1), last)
        state[vs.K_AS_OF_PINNED] = True


# ---------------------------------------------------------------- sidebar: filters and layers


def _pick(
    label: str, options: Sequence[str], key: str, lang: str, fmt: Callable[[str], str] = str
) -> tuple[str, ...]:
    """Draw one multiselect filter; return its choice."""
    return tuple(
        st.multiselect(t(label, lang), options, key=key, format_func=fmt, placeholder=t("choose", lang))
    )


def _filter_options(dataset: EventDataset) -> dict[str, Sequence[str]]:
    """Return the values each filter offers for this data, by URL parameter name."""
    return {
        vs.Q_TYPES: dataset.types,
        vs.Q_ACTORS: dataset.actors,
        vs.Q_PLACES: list(dataset.places),
        vs.Q_ADMIN1S: dataset.admin1s,
        vs.Q_STATUSES: dataset.statuses,
    }


def sidebar_filters(box: DeltaGenerator, dataset: EventDataset, lang: str) -> vs.Filters:
    """Draw the filters and layers in the sidebar; return what they choose."""
    with box:
        st.header(t("filters", lang))
        return vs.Filters(
            types=_pick("types", dataset.types, vs.K_TYPES, lang, lambda c: type_label(c, lang)),
            actors=_pick("actors", dataset.actors, vs.K_ACTORS, lang, lambda c: actor_name(c, lang)),
            admin1s=_pick("admin1s", dataset.admin1s, vs.K_ADMIN1S, lang),
            places=_pick(
                "places", list(dataset.places), vs.K_PLACES, lang, lambda p: dataset.places.get(p, p)
            ),
            statuses=_pick(
                "statuses", dataset.statuses, vs.K_STATUSES, lang, lambda s: status_label(s, lang)
            ),
            text=st.text_input(t("text", lang), key=vs.K_TEXT),
            layers=_pick("layers", LAYERS, vs.K_LAYERS, lang, lambda name: t(f"layer_{name}", lang)),
        )


# ---------------------------------------------------------------- date controls (their callbacks change the state)


def _follow_window() -> None:
    """Put the control day at the end of a new window (the default)."""
    st.session_state[vs.K_AS_OF] = st.session_state[vs.K_WINDOW][1]
    st.session_state[vs.K_AS_OF_PINNED] = False


def _quick(pick: str, first: date, last: date) -> None:
    """Apply a quick pick of the window."""
    st.session_state[vs.K_WINDOW] = vs.quick_window(pick, first=first, last=last)
    _follow_window()


def _shift_day(days: int, first: date, last: date) -> None:
    """Move the control day, inside the data."""
    st.session_state[vs.K_AS_OF] = min(max(st.session_state[vs.K_AS_OF] + timedelta(days=days), first), last)
    st.session_state[vs.K_AS_OF_PINNED] = True


def _pin_day() -> None:
    """Keep a control day the user chose, even when the window moves."""
    st.session_state[vs.K_AS_OF_PINNED] = True


def _toggle_play() -> None:
    """Start or pause playback; a window played to its end plays again from its start."""
    state = st.session_state
    state[vs.K_PLAYING] = not state.get(vs.K_PLAYING, False)
    if state[vs.K_PLAYING] and state[vs.K_AS_OF] >= state[vs.K_WINDOW][1]:
        state[vs.K_AS_OF] = state[vs.K_WINDOW][0]
        state[vs.K_AS_OF_PINNED] = True


def date_controls(first: date, last: date, lang: str) -> bool:
    """Draw the window slider, quick picks, control day and playback; return whether playback is on."""
    if first < last:
        st.slider(
            t("window", lang), min_value=first, max_value=last, key=vs.K_WINDOW, format="YYYY-MM-DD",
            on_change=_follow_window,
        )  # fmt: skip
    for column, pick in zip(st.columns(3), ("last7", "last30", "whole"), strict=True):
        column.button(
            t(pick, lang), key=f"quick_{pick}", on_click=_quick, args=(pick, first, last), width="stretch"
        )
    day_cols = st.columns([2, 1, 1, 1, 1])
    day_cols[0].date_input(
        t("as_of", lang),
        min_value=first,
        max_value=last,
        key=vs.K_AS_OF,
        on_change=_pin_day,
        format="YYYY-MM-DD",
    )
    for column, key, days in ((day_cols[1], "day_back", -1), (day_cols[2], "day_forward", 1)):
        column.button(t(key, lang), key=key, on_click=_shift_day, args=(days, first, last), width="stretch")
    playing = bool(st.session_state.get(vs.K_PLAYING))
    day_cols[3].button(
        t("pause" if playing else "play", lang), key="play", on_click=_toggle_play, width="stretch"
    )
    day_cols[4].selectbox(t("speed", lang), SPEEDS, index=1, key=vs.K_SPEED)
    return playing


# ---------------------------------------------------------------- compute (queries on the dataset, in place)


@dataclass(frozen=True)
class Computed:
    """What the page shows for a view: the window's answers (per filter) and the control state (per day)."""

    flt: EventFilter
    window: WindowView
    control: pd.DataFrame
    areas: Any
    fronts: Any

    @property
    def n_events(self) -> int:
        """Events in the window."""
        return self.window.n_events

    @property
    def n_changes(self) -> int:
        """Changes of control in the window."""
        return self.window.n_changes


def compute(dataset: EventDataset, view: vs.View, aggregate_threshold: int) -> Computed:
    """Query the dataset for the view (:func:`geodata.store.window.window_view`), through the page's caches.

    A move of the window or a filter asks the dataset again; a move of the control day only recomputes the control
    state (a day already seen not even that).
    """
    flt = view.event_filter()
    window = cache.window_on(
        dataset.path,
        dataset.version,
        cache.filter_key(flt),
        aggregate_threshold,
        TABLE_ROWS,
        TABLE_COLUMNS,
    )
    areas, fronts = cache.areas_on(dataset.path, dataset.version, view.day)
    return Computed(
        flt=flt,
        window=window,
        control=cache.control_on(dataset.path, dataset.version, view.day),
        areas=areas,
        fronts=fronts,
    )


# ---------------------------------------------------------------- render


def render_map(dataset: EventDataset, view: vs.View, shown: Computed, settings: Settings) -> None:
    """Draw the map of the view, and record what it shows (read by tests and benchmarks)."""
    fmap = build_map(
        shown.window.filtered,
        shown.control,
        as_of=view.day,
        changes=shown.window.changes,
        window=(view.date_from, view.date_to),
        layers=view.layers,
        lang=view.lang,
        tiles=settings.map_tiles,
        bounds=dataset.bounds,
        aggregate_threshold=settings.aggregate_threshold,
        grid=shown.window.grid,
        areas=shown.areas,
        fronts=shown.fronts,
    )
    st.markdown(f"**{t('events_in_window', view.lang, n=f'{shown.n_events:,}', c=shown.n_changes)}**")
    st_folium(fmap, key="map", height=680, use_container_width=True, returned_objects=[])
    st.session_state[vs.K_SHOWN] = {
        "n_events": shown.n_events,
        "event_ids": shown.window.table["event_id"].tolist() if shown.n_events <= TABLE_ROWS else None,
        "filter": shown.flt.to_dict(),
        "as_of": view.day.isoformat(),
        "n_control": len(shown.control),
        "n_areas": len(shown.areas),
        "n_changes": shown.n_changes,
        "aggregated": shown.window.aggregated,
    }


def _streamed(store: EventDataset, fmt: str, flt: EventFilter) -> bytes:
    """Export the selected events of the dataset, streamed from the query (a download needs the bytes)."""
    buffer = io.BytesIO()
    write_dataset(store, buffer, fmt=fmt, event_filter=flt)
    return buffer.getvalue()


def render_downloads(store: EventDataset, view: vs.View, shown: Computed) -> None:
    """Draw the download buttons (each file is generated when clicked)."""
    st.subheader(t("downloads", view.lang))
    stem = f"kcm-events-{view.date_from.isoformat()}_{view.date_to.isoformat()}"
    day = view.day.isoformat()
    downloads: tuple[tuple[str, Callable[[], bytes], str, str], ...] = (
        (
            "dl_geojson",
            lambda: _streamed(store, "geojson", shown.flt),
            f"{stem}.geojson",
            "application/geo+json",
        ),
        ("dl_csv", lambda: _streamed(store, "csv", shown.flt), f"{stem}.csv", "text/csv"),
        (
            "dl_control",
            lambda: control_to_geojson_bytes(shown.control, as_of=view.day),
            f"kcm-control-{day}.geojson",
            "application/geo+json",
        ),
        (
            "dl_areas",
            lambda: areas_to_geojson_bytes(shown.areas, as_of=view.day),
            f"kcm-areas-{day}.geojson",
            "application/geo+json",
        ),
    )
    for column, (key, data, file_name, mime) in zip(st.columns(len(downloads)), downloads, strict=True):
        column.download_button(
            t(key, view.lang), data=data, file_name=file_name, mime=mime, on_click="ignore", key=key
        )


def _per_value(values: Sequence[object], label: Callable[[object], object]) -> list[object]:
    """Return ``label(v)`` for each value, calling it once per distinct value (a column repeats few values)."""
    seen: dict[object, object] = {}
    out: list[object] = []
    for v in values:
        if v not in seen:
            seen[v] = label(v)
        out.append(seen[v])
    return out


def _actor_cell(value: object, lang: str) -> str:
    """Return an actor code's display name, or nothing for a missing cell."""
    return actor_name(value, lang) if isinstance(value, str) and value else ""


def _display_column(name: str, col: pd.Series, lang: str) -> list[object] | pd.Series:
    """Return one column for display: labels in the page language, links only for http(s) URLs, text as data."""
    values = col.astype(object)
    if name == "event_type":
        return _per_value(values, lambda v: type_label(str(v), lang))
    if name == "status":
        return _per_value(values, lambda v: status_label(str(v), lang))
    if name in {"controller_before", "controller_after"}:
        return _per_value(values, lambda v: _actor_cell(v, lang))
    if name == "source_url":
        return _per_value(values, safe_url)
    if name == "event_date":
        return col.dt.date
    return pd.Series(np.where(col.notna().to_numpy(), values.to_numpy(), ""), index=col.index, dtype=object)


def _labelled(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return the table columns of ``frame`` ready for display."""
    out = pd.DataFrame(index=frame.index)
    for name in TABLE_COLUMNS:
        if name in frame.columns:
            out[name] = _display_column(name, frame[name], lang)
    return out


def _column_config(lang: str) -> dict[str, Any]:
    """Return the headers of the tables in the page language (dates as dates, source URLs as links)."""
    config: dict[str, Any] = {name: t(f"col_{name}", lang) for name in TABLE_COLUMNS}
    config["source_url"] = st.column_config.LinkColumn(t("col_source_url", lang))
    config["event_date"] = st.column_config.DateColumn(t("col_event_date", lang), format="YYYY-MM-DD")
    return config


def render_table(frame: pd.DataFrame, total: int, *, lang: str, key: str, empty: str, cut: str) -> None:
    """Draw a table (the first rows when there are many, under the caption ``cut``), or say that there is none."""
    if not total:
        st.info(t(empty, lang))
        return
    if total > TABLE_ROWS:
        st.caption(cut)
    st.dataframe(_labelled(frame, lang), hide_index=True, column_config=_column_config(lang), key=key)


def render_timeline(counts: pd.DataFrame, lang: str) -> None:
    """Draw the events per day (``day``, ``event_type``, ``count``; not changed here: it is cached), by type."""
    per_day = pd.DataFrame(
        {
            "day": counts["day"],
            "count": counts["count"],
            "type": _per_value(counts["event_type"], lambda v: type_label(str(v), lang)),
        }
    )
    domain = [type_label(c, lang) for c in EVENT_TYPES]
    palette = [EVENT_TYPE_LABELS[c].color for c in EVENT_TYPES]
    chart = (
        alt.Chart(per_day)
        .mark_bar()
        .encode(
            x=alt.X("day:T", title=t("col_event_date", lang)),
            y=alt.Y("sum(count):Q", title=t("col_count", lang)),
            color=alt.Color(
                "type:N", title=t("col_event_type", lang), scale=alt.Scale(domain=domain, range=palette)
            ),
            tooltip=[alt.Tooltip("day:T", format="%Y-%m-%d"), "type:N", "count:Q"],
        )
        .properties(height=220)
    )
    st.altair_chart(chart, width="stretch")


# ---------------------------------------------------------------- playback: one day per step, by a rerun loop


def play_step(view: vs.View, last: date) -> None:
    """Wait one step and rerun a day later; stop at the end of the window."""
    if view.day < view.date_to and view.day < last:
        time.sleep(float(st.session_state.get(vs.K_SPEED) or 1.0))
        st.session_state["_play_step"] = True
    else:
        st.session_state[vs.K_PLAYING] = False
    st.rerun()


# ---------------------------------------------------------------- the map page, top to bottom


def map_page() -> None:
    """Draw the map page: control as of a day, the events of a window, filters, downloads, table, timeline."""
    st.set_page_config(page_title="Kirkuk Control Map", page_icon="🗺️", layout="wide")
    settings = get_settings()
    lang = language_picker()
    filters_box, upload_box = st.sidebar.container(), st.sidebar.container()
    dataset = load_dataset(events_file(settings, upload_box, lang), lang)
    first, last = dataset.first, dataset.last
    restore_view(dataset)
    filters = sidebar_filters(filters_box, dataset, lang)

    st.title(t("title", lang))
    st.caption(t("subtitle", lang))
    if st.session_state.get(vs.K_LINK_PROBLEMS):
        st.warning(t("bad_link", lang, what="; ".join(st.session_state[vs.K_LINK_PROBLEMS])))
    playing = date_controls(first, last, lang)
    view = vs.view_of(
        filters,
        window=st.session_state[vs.K_WINDOW],
        as_of=st.session_state[vs.K_AS_OF],
        pinned=bool(st.session_state.get(vs.K_AS_OF_PINNED)),
        lang=lang,
    )
    vs.sync_url(st.session_state, st.query_params, vs.params_from_view(view, first=first, last=last))

    shown = compute(dataset, view, settings.aggregate_threshold)
    render_map(dataset, view, shown, settings)
    render_downloads(dataset.store, view, shown)
    st.subheader(t("table", lang))
    render_table(
        shown.window.table,
        shown.n_events,
        lang=lang,
        key="events_table",
        empty="no_events",
        cut=t("table_cut", lang, k=f"{TABLE_ROWS:,}", n=f"{shown.n_events:,}"),
    )
    st.subheader(t("timeline", lang))
    if shown.window.per_day is not None:
        render_timeline(shown.window.per_day, lang)
    st.subheader(t("changes", lang))
    render_table(
        shown.window.changes_table,
        shown.n_changes,
        lang=lang,
        key="changes_table",
        empty="no_changes",
        cut=t("table_cut_changes", lang, k=f"{TABLE_ROWS:,}", n=f"{shown.n_changes:,}"),
    )
    if playing:
        play_step(view, last)


# ---------------------------------------------------------------- navigation (the entry point runs on every page)


def pages(lang: str, *, read_only: bool) -> list[Any]:
    """Return the pages; a read-only server offers no page that writes.

    No page icons: Streamlit fetches material icons from a font CDN, and the page must need nothing from outside.
    """
    here = Path(__file__).resolve().parent
    listed = [st.Page(map_page, title=t("nav_map", lang), url_path="map", default=True)]
    if not read_only:
        listed.append(
            st.Page(
                here / "pages" / "1_Add_article.py", title=t("nav_add_article", lang), url_path="add-article"
            )
        )
        listed.append(
            st.Page(
                here / "pages" / "2_Review.py",
                title=t("nav_review", lang),
                icon=":material/fact_check:",
                url_path="review",
            )
        )
    return listed


# Widget values survive a visit to another page only as plain session state (Streamlit drops the state of widgets
# that a run does not draw), and the link only as the copy that dashboard.state keeps.
for _key in PERSISTED_KEYS:
    if _key in st.session_state:
        st.session_state[_key] = st.session_state[_key]
vs.remember_link(st.session_state, st.query_params.to_dict())
_lang = vs.link_lang(st.session_state)
_page = st.navigation(pages(_lang, read_only=get_settings().read_only))
if _lang == "ar":
    st.markdown(SIDEBAR_RIGHT_CSS, unsafe_allow_html=True)  # a fixed string: no data in it
if _page.url_path:  # another page: it keeps the map's link (and the language) in the URL
    vs.sync_url(st.session_state, st.query_params, vs.link_params(st.session_state))
_page.run()
