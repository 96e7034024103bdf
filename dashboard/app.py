"""Kirkuk Control Map dashboard: who held each place on a day, and what happened in a window, filtered and exported.

Reads top to bottom: page config → events file (default, or an uploaded CSV) → URL view → widgets → compute with
:mod:`geodata` → map, downloads, table, timeline, changes → playback step.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st
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
from geodata.settings import get_settings
from geodata.store.dataset import MOVEMENTS, EventDataset
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

# Widget values survive a visit to the other page only as plain session state (Streamlit drops the state of
# widgets that a run does not draw); the speed box (it has a default) and the uploader (read-only) are left out.
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


def map_page() -> None:
    """Draw the map page: control as of a day, the events of a window, filters, downloads, table, timeline."""
    st.set_page_config(page_title="Kirkuk Control Map", page_icon="🗺️", layout="wide")
    settings = get_settings()
    state = st.session_state

    # ---------------------------------------------------------------- language (first: every label depends on it)
    if vs.K_LANG not in state:
        state[vs.K_LANG] = (
            st.query_params.get(vs.Q_LANG, "en") if st.query_params.get(vs.Q_LANG) in LANGS else "en"
        )
    lang: str = st.sidebar.radio(
        "Language · اللغة", LANGS, format_func=LANG_NAMES.__getitem__, key=vs.K_LANG, horizontal=True
    )
    if lang == "ar":
        st.markdown(RTL_CSS, unsafe_allow_html=True)  # static CSS, no data in it
    filters_box = st.sidebar.container()
    upload_box = st.sidebar.container()

    # ---------------------------------------------------------------- events file: default, or a valid uploaded CSV
    def _uploaded_events() -> Path | None:
        """Validate an uploaded CSV like ``kcm validate``; return its path when valid, else show every problem."""
        upload = upload_box.file_uploader(t("upload", lang), type=["csv"], key=vs.K_UPLOAD)
        if upload is None:
            return None
        raw = upload.getvalue()
        folder = Path(tempfile.gettempdir()) / "kcm-uploads"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{hashlib.sha256(raw).hexdigest()[:20]}.csv"
        if not target.exists():
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
            os.replace(tmp, target)
        problems = cache.upload_problems(str(target), upload.name)
        if problems:
            upload_box.error(t("upload_bad", lang, n=len(problems)))
            upload_box.dataframe(_problem_table(problems, upload.name), hide_index=True)
            return None
        return target

    def _problem_table(problems: Sequence[Problem], name: str) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "file": [name] * len(problems),
                "line": [p.line for p in problems],
                "column": [p.column or "" for p in problems],
                "problem": [p.message for p in problems],
                "value": ["" if p.value is None else str(p.value) for p in problems],
            }
        )

    uploaded = None if settings.read_only else _uploaded_events()
    if settings.read_only:
        upload_box.caption(t("read_only", lang))
    events_path = uploaded or settings.events_path
    try:
        dataset = cache.load_dataset(str(events_path), cache.file_version(events_path))
    except EventValidationError as exc:
        st.error(f"{t('load_error', lang)}: {plain(events_path)}")
        st.dataframe(_problem_table(exc.problems, str(events_path)), hide_index=True)
        st.stop()
    except (GeodataError, OSError) as exc:
        st.error(f"{t('load_error', lang)}: {plain(exc)}")
        st.stop()
    first, last = dataset.first, dataset.last

    # ---------------------------------------------------------------- the view: from the URL once, then from the widgets
    if not state.get(vs.K_INITIALISED):
        from_url = vs.view_from_params(dict(st.query_params.to_dict()), first=first, last=last)
        for key, value in vs.session_from_view(from_url).items():
            if key != vs.K_LANG:
                state[key] = value
        state[vs.K_LINK_PROBLEMS] = list(from_url.problems)
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

    def _follow_window() -> None:
        """Put the control day at the end of a new window (the default)."""
        state[vs.K_AS_OF] = state[vs.K_WINDOW][1]
        state[vs.K_AS_OF_PINNED] = False

    def _quick(pick: str) -> None:
        state[vs.K_WINDOW] = vs.quick_window(pick, first=first, last=last)
        _follow_window()

    def _shift_day(days: int) -> None:
        state[vs.K_AS_OF] = min(max(state[vs.K_AS_OF] + timedelta(days=days), first), last)
        state[vs.K_AS_OF_PINNED] = True

    def _pin_day() -> None:
        state[vs.K_AS_OF_PINNED] = True

    def _toggle_play() -> None:
        state[vs.K_PLAYING] = not state.get(vs.K_PLAYING, False)
        if state[vs.K_PLAYING] and state[vs.K_AS_OF] >= state[vs.K_WINDOW][1]:
            state[vs.K_AS_OF] = state[vs.K_WINDOW][0]  # play the window from its start
            state[vs.K_AS_OF_PINNED] = True

    # ---------------------------------------------------------------- sidebar: filters and layers
    def _pick(label: str, options: Sequence[str], key: str, fmt: Callable[[str], str] = str) -> None:
        st.multiselect(t(label, lang), options, key=key, format_func=fmt, placeholder=t("choose", lang))

    with filters_box:
        st.header(t("filters", lang))
        _pick("types", dataset.types, vs.K_TYPES, lambda c: type_label(c, lang))
        _pick("actors", dataset.actors, vs.K_ACTORS, lambda c: actor_name(c, lang))
        _pick("admin1s", dataset.admin1s, vs.K_ADMIN1S)
        _pick("places", list(dataset.places), vs.K_PLACES, lambda p: dataset.places.get(p, p))
        _pick("statuses", dataset.statuses, vs.K_STATUSES, lambda s: status_label(s, lang))
        st.text_input(t("text", lang), key=vs.K_TEXT)
        _pick("layers", LAYERS, vs.K_LAYERS, lambda name: t(f"layer_{name}", lang))

    # ---------------------------------------------------------------- main: title and date controls
    st.title(t("title", lang))
    st.caption(t("subtitle", lang))
    if state.get(vs.K_LINK_PROBLEMS):
        st.warning(t("bad_link", lang, what="; ".join(state[vs.K_LINK_PROBLEMS])))
    if first < last:
        st.slider(
            t("window", lang), min_value=first, max_value=last, key=vs.K_WINDOW, format="YYYY-MM-DD",
            on_change=_follow_window,
        )  # fmt: skip
    picks = st.columns(3)
    for column, pick in zip(picks, ("last7", "last30", "whole"), strict=True):
        column.button(t(pick, lang), key=f"quick_{pick}", on_click=_quick, args=(pick,), width="stretch")
    day_cols = st.columns([2, 1, 1, 1, 1])
    day_cols[0].date_input(
        t("as_of", lang),
        min_value=first,
        max_value=last,
        key=vs.K_AS_OF,
        on_change=_pin_day,
        format="YYYY-MM-DD",
    )
    day_cols[1].button(t("day_back", lang), key="day_back", on_click=_shift_day, args=(-1,), width="stretch")
    day_cols[2].button(
        t("day_forward", lang), key="day_forward", on_click=_shift_day, args=(1,), width="stretch"
    )
    playing = bool(state.get(vs.K_PLAYING))
    day_cols[3].button(
        t("pause" if playing else "play", lang), key="play", on_click=_toggle_play, width="stretch"
    )
    day_cols[4].selectbox(t("speed", lang), SPEEDS, index=1, key=vs.K_SPEED)

    view = vs.view_from_session(state)
    params = vs.params_from_view(view, first=first, last=last)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)

    # ---------------------------------------------------------------- compute (queries on the dataset, in place)
    flt = view.event_filter()
    store = dataset.store
    n_events, extent = store.extent(flt)
    aggregated = n_events > settings.aggregate_threshold
    # Small windows load their rows; large ones are counted per grid cell by the query, and only their
    # movements (rows with an origin) and the first rows of the table are loaded.
    filtered = store.frame(flt, extra=MOVEMENTS if aggregated else None)
    grid = store.grid(flt, extent=extent) if aggregated else None
    table = (
        store.frame(flt, limit=TABLE_ROWS, columns=TABLE_COLUMNS)
        if aggregated
        else filtered.iloc[:TABLE_ROWS]
    )
    control = cache.control_on(dataset.path, dataset.version, view.day)
    areas, fronts = cache.areas_on(dataset.path, dataset.version, view.day)
    # The changes follow the filters except the type filter: a change of control is always a control_change.
    changes = store.latest_changes(flt)
    n_changes = int(changes.drop_duplicates("place_id")["n_changes"].sum()) if len(changes) else 0

    # ---------------------------------------------------------------- the map
    fmap = build_map(
        filtered,
        control,
        as_of=view.day,
        changes=changes,
        window=(view.date_from, view.date_to),
        layers=view.layers,
        lang=lang,
        tiles=settings.map_tiles,
        bounds=dataset.bounds,
        aggregate_threshold=settings.aggregate_threshold,
        grid=grid,
        areas=areas,
        fronts=fronts,
    )
    st.markdown(f"**{t('events_in_window', lang, n=f'{n_events:,}', c=n_changes)}**")
    st_folium(fmap, key="map", height=680, use_container_width=True, returned_objects=[])
    state[vs.K_SHOWN] = {
        "n_events": n_events,
        "event_ids": table["event_id"].tolist() if n_events <= TABLE_ROWS else None,
        "filter": flt.to_dict(),
        "as_of": view.day.isoformat(),
        "n_control": len(control),
        "n_areas": len(areas),
        "n_changes": n_changes,
        "aggregated": aggregated,
    }

    # ---------------------------------------------------------------- downloads (generated when clicked)
    st.subheader(t("downloads", lang))
    stem = f"kcm-events-{view.date_from.isoformat()}_{view.date_to.isoformat()}"
    downloads: tuple[tuple[str, Callable[[], bytes], str, str], ...] = (
        (
            "dl_geojson",
            lambda: _streamed(store, "geojson", flt),
            f"{stem}.geojson",
            "application/geo+json",
        ),
        ("dl_csv", lambda: _streamed(store, "csv", flt), f"{stem}.csv", "text/csv"),
        (
            "dl_control",
            lambda: control_to_geojson_bytes(control, as_of=view.day),
            f"kcm-control-{view.day.isoformat()}.geojson",
            "application/geo+json",
        ),
        (
            "dl_areas",
            lambda: areas_to_geojson_bytes(areas, as_of=view.day),
            f"kcm-areas-{view.day.isoformat()}.geojson",
            "application/geo+json",
        ),
    )
    for column, (key, data, file_name, mime) in zip(st.columns(len(downloads)), downloads, strict=True):
        column.download_button(
            t(key, lang), data=data, file_name=file_name, mime=mime, on_click="ignore", key=key
        )

    # ---------------------------------------------------------------- below the map: table, timeline, changes
    def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
        """Columns for display: labels in the page language, links only for http(s) URLs, text left as data."""
        out = pd.DataFrame(index=frame.index)
        for name in TABLE_COLUMNS:
            if name not in frame.columns:
                continue
            col = frame[name]
            if name == "event_type":
                out[name] = [type_label(str(v), lang) for v in col.astype(object)]
            elif name == "status":
                out[name] = [status_label(str(v), lang) for v in col.astype(object)]
            elif name in {"controller_before", "controller_after"}:
                out[name] = [
                    actor_name(str(v), lang) if isinstance(v, str) and v else "" for v in col.astype(object)
                ]
            elif name == "source_url":
                out[name] = [safe_url(v) for v in col.astype(object)]
            elif name == "event_date":
                out[name] = col.dt.date
            else:
                out[name] = col.astype(object).where(col.notna(), "")
        return out

    column_config = {name: t(f"col_{name}", lang) for name in TABLE_COLUMNS}
    column_config["source_url"] = st.column_config.LinkColumn(t("col_source_url", lang))
    column_config["event_date"] = st.column_config.DateColumn(t("col_event_date", lang), format="YYYY-MM-DD")

    st.subheader(t("table", lang))
    if n_events:
        if n_events > TABLE_ROWS:
            st.caption(t("table_cut", lang, k=f"{TABLE_ROWS:,}", n=f"{n_events:,}"))
        st.dataframe(_labelled(table), hide_index=True, column_config=column_config, key="events_table")
    else:
        st.info(t("no_events", lang))

    st.subheader(t("timeline", lang))
    if n_events:
        per_day = store.day_counts(flt)
        per_day["type"] = [type_label(str(v), lang) for v in per_day.pop("event_type")]
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

    st.subheader(t("changes", lang))
    if n_changes:
        if n_changes > TABLE_ROWS:
            st.caption(t("table_cut", lang, k=f"{TABLE_ROWS:,}", n=f"{n_changes:,}"))
        st.dataframe(
            _labelled(store.changes(flt, limit=TABLE_ROWS, columns=TABLE_COLUMNS)),
            hide_index=True,
            column_config=column_config,
            key="changes_table",
        )
    else:
        st.info(t("no_changes", lang))

    # ---------------------------------------------------------------- playback: one day per step, by a rerun loop
    if playing:
        if view.day < view.date_to and view.day < last:
            time.sleep(float(state.get(vs.K_SPEED) or 1.0))
            state["_play_step"] = True
            st.rerun()
        else:
            state[vs.K_PLAYING] = False
            st.rerun()


def _streamed(store: EventDataset, fmt: str, flt: EventFilter) -> bytes:
    """Export the selected events of the dataset, streamed from the query (a download needs the bytes)."""
    buffer = io.BytesIO()
    write_dataset(store, buffer, fmt=fmt, event_filter=flt)
    return buffer.getvalue()


def _navigation_lang() -> str:
    """Return the page language before the language radio is drawn (session state, else the URL, else English)."""
    chosen = st.session_state.get(vs.K_LANG) or st.query_params.get(vs.Q_LANG)
    return chosen if chosen in LANGS else "en"


for _key in PERSISTED_KEYS:
    if _key in st.session_state:
        st.session_state[_key] = st.session_state[_key]
# No page icons: Streamlit fetches material icons from a font CDN, and the page must need nothing from outside.
_pages = [
    st.Page(map_page, title=t("nav_map", _navigation_lang()), url_path="map", default=True),
]
if not get_settings().read_only:  # a read-only server offers no page that writes
    _pages.append(
        st.Page(
            Path(__file__).resolve().parent / "pages" / "1_Add_article.py",
            title=t("nav_add_article", _navigation_lang()),
            url_path="add-article",
        )
    )
    _pages.append(
        st.Page(
            Path(__file__).resolve().parent / "pages" / "2_Review.py",
            title=t("nav_review", _navigation_lang()),
            icon=":material/fact_check:",
            url_path="review",
        )
    )
st.navigation(_pages).run()
