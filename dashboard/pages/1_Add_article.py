"""Add article: paste or upload an article, review its candidate events, save the accepted ones; correct saved ones.

Reads top to bottom: page config → the article (pasted or uploaded) → extraction with :mod:`geodata` → highlighted
text → candidates on a small map → editable table → accept (repeats skipped, validated, atomic, locked append) → correct/withdraw.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import cache
from dashboard.plain import html_text, plain
from geodata.errors import ArticleError, EventValidationError, GeodataError
from geodata.events import AppendResult, append_events, load_events, update_event, withdraw_event
from geodata.extract import Extraction, decode_article, extract_article
from geodata.ingest import duplicates_message, fill_controllers
from geodata.maps import build_candidates_map
from geodata.settings import get_settings
from geodata.vocab import CONTROL_MODES, DATE_PRECISIONS, EVENT_COLUMNS, EVENT_TYPES, STATUSES

K_TEXT = "article_text"
K_UPLOAD = "article_upload"
K_PUBLISHED = "article_published"
K_USE_PUBLISHED = "article_use_published"
K_LANG = "article_lang"
K_SOURCE = "article_source"
K_SOURCE_URL = "article_source_url"
K_EDITOR = "article_candidates"
K_ACCEPT = "article_accept"
K_SAVED = "article_saved"
K_FIX_ID = "fix_event_id"
K_FIX_COLUMN = "fix_column"
K_FIX_VALUE = "fix_value"
K_FIX_REASON = "fix_reason"
K_FIX_APPLY = "fix_apply"
K_FIX_WITHDRAW = "fix_withdraw"
EDITABLE_COLUMNS: tuple[str, ...] = (
    "event_type",
    "event_date",
    "date_precision",
    "date_end",
    "place_id",
    "origin_place_id",
    "controller_before",
    "controller_after",
    "control_mode",
    "actors",
    "summary",
    "status",
    "notes",
)

st.set_page_config(page_title="Add article · Kirkuk Control Map", page_icon="📰", layout="wide")
settings = get_settings()
state = st.session_state
if settings.read_only:  # the navigation leaves this page out; this guards a direct run of the script
    st.info("This server is read-only: articles cannot be added and events cannot be corrected.")
    st.stop()
st.title("Add an article · إضافة مقال")
st.caption(
    "Paste or upload a news article in Arabic or English. The places, dates and candidate events it reports are "
    "extracted offline; review them, edit what is wrong, and save the ones you accept to the events file."
)

# ---------------------------------------------------------------- helpers


def highlighted(extraction: Extraction) -> str:
    """Return the article as HTML with place and date mentions marked; every piece of article text is escaped."""
    spans = [(p.start, p.end, "place", f"{p.name} ({p.place_id})") for p in extraction.places]
    spans += [(d.start, d.end, "date", f"{d.date.isoformat()} ({d.precision})") for d in extraction.dates]
    spans.sort()
    out: list[str] = []
    pos = 0
    colors = {"place": "#56B4E9", "date": "#F0E442"}
    for start, end, kind, title in spans:
        if start < pos:
            continue  # a date inside a place name (or the reverse): mark the first only
        out.append(html_text(extraction.text[pos:start]))
        out.append(
            f'<mark class="kcm-{kind}" style="background:{colors[kind]}" title="{html_text(title)}">'
            f"{html_text(extraction.text[start:end])}</mark>"
        )
        pos = end
    out.append(html_text(extraction.text[pos:]))
    direction = "rtl" if extraction.lang == "ar" else "ltr"
    body = "".join(out)  # html_text has turned every line break into <br>
    return f'<div dir="{direction}" style="line-height:1.9;white-space:normal">{body}</div>'


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def accepted_rows(edited: pd.DataFrame, base: list[dict[str, object]]) -> list[dict[str, object]]:
    """Merge the edited table back into full event rows; only the rows ticked ``accept``."""
    out = []
    for i, row in edited.reset_index(drop=True).iterrows():
        if not bool(row["accept"]):
            continue
        full = {name: _cell(base[int(i)].get(name, "")) for name in EVENT_COLUMNS}
        full.update({name: _cell(row[name]) for name in EDITABLE_COLUMNS})
        full["place"] = full["place_ar"] = full["admin1"] = ""  # filled from the gazetteer for the place id
        full["place_as_written"] = str(base[int(i)]["place_as_written"])
        out.append(full)
    return out


# ---------------------------------------------------------------- the article and its candidates


def article_flow() -> None:
    """Render the article part of the page: input, extraction, highlights, candidates, saving."""
    left, right = st.columns([3, 1])
    with left:
        upload = st.file_uploader(
            "Article file (.txt; UTF-8, UTF-16 or Windows-1256)", type=["txt"], key=K_UPLOAD
        )
        pasted = st.text_area("…or paste the article · أو الصق نص المقال", key=K_TEXT, height=200)
    with right:
        lang_choice = st.radio("Language", ("auto", "ar", "en"), key=K_LANG, horizontal=True)
        use_published = st.checkbox(
            "Set the publication date (else read from the dateline)", key=K_USE_PUBLISHED
        )
        published = (
            st.date_input("Published", key=K_PUBLISHED, value=date(2017, 10, 16)) if use_published else None
        )

    text = ""
    source_name = "pasted article"
    if upload is not None:
        try:
            text = decode_article(upload.getvalue(), upload.name)
            source_name = upload.name
        except ArticleError as exc:
            st.error(plain(exc))
            return
    elif pasted.strip():
        text = pasted
    if not text:
        st.info("Paste or upload an article to begin.")
        return

    try:
        extraction: Extraction = extract_article(
            text, published=published, lang=None if lang_choice == "auto" else lang_choice
        )
    except GeodataError as exc:
        st.error(plain(exc))
        return
    for warning in extraction.warnings:
        st.warning(plain(warning))
    st.markdown(
        f"Published: **{plain(extraction.published or 'unknown')}** · language: **{plain(extraction.lang)}** · "
        f"{len(extraction.places)} place mention(s), {len(extraction.dates)} date(s), "
        f"{len(extraction.events)} candidate event(s)"
    )

    with st.expander("Article with places and dates marked · النص مع الأماكن والتواريخ", expanded=True):
        st.markdown(highlighted(extraction), unsafe_allow_html=True)

    if not extraction.events:
        st.info("No candidate events in this article.")
        return

    source = st.text_input("Source (recorded with every saved event)", value=source_name, key=K_SOURCE)
    source_url = st.text_input("Source URL (optional)", key=K_SOURCE_URL)
    rows = [
        e.to_row(source=source or source_name, source_date=extraction.published, source_lang=extraction.lang)
        | {
            "place": e.place.name,
            "confidence": e.confidence,
            "sentence": e.sentence,
            "source_url": source_url,
        }
        for e in extraction.events
    ]
    map_rows = [
        e.to_dict(full=True)
        | {
            "origin_lat": e.origin.lat if e.origin else None,
            "origin_lon": e.origin.lon if e.origin else None,
        }
        for e in extraction.events
    ]
    st_folium(
        build_candidates_map(map_rows, tiles=settings.map_tiles),
        height=360,
        returned_objects=[],
        key="candidates_map",
    )

    table = pd.DataFrame(rows)
    table.insert(0, "accept", [bool(r["event_date"]) and r["confidence"] >= 0.5 for r in rows])
    table["event_date"] = pd.to_datetime(table["event_date"].replace("", None)).dt.date
    table["date_end"] = pd.to_datetime(table["date_end"].replace("", None)).dt.date
    shown = ["accept", *EDITABLE_COLUMNS[:5], "place", *EDITABLE_COLUMNS[5:], "confidence", "sentence"]
    edited = st.data_editor(
        table[shown],
        key=K_EDITOR,
        hide_index=True,
        disabled=("place", "confidence", "sentence"),
        column_config={
            "accept": st.column_config.CheckboxColumn("accept"),
            "event_type": st.column_config.SelectboxColumn("event_type", options=EVENT_TYPES, required=True),
            "event_date": st.column_config.DateColumn("event_date", format="YYYY-MM-DD"),
            "date_end": st.column_config.DateColumn("date_end", format="YYYY-MM-DD"),
            "date_precision": st.column_config.SelectboxColumn("date_precision", options=DATE_PRECISIONS),
            "control_mode": st.column_config.SelectboxColumn("control_mode", options=("", *CONTROL_MODES)),
            "status": st.column_config.SelectboxColumn("status", options=STATUSES),
            "confidence": st.column_config.NumberColumn("confidence", format="%.2f"),
        },
    )

    if st.button("Save the accepted events · حفظ الأحداث المقبولة", key=K_ACCEPT, type="primary"):
        to_save = accepted_rows(edited, rows)
        try:
            left_out = fill_controllers(to_save, settings.events_path)
            for message in left_out:
                st.warning(plain(message))
            # the same article accepted twice: append_events skips what the file holds already, checked under
            # its file lock, so two sessions accepting the same candidates at once save them once
            result = (
                append_events(
                    to_save, settings.events_path, source_note=source or source_name, skip_duplicates=True
                )
                if to_save
                else AppendResult(())
            )
        except EventValidationError as exc:
            st.error(f"Nothing was saved: {len(exc.problems)} problem(s).")
            st.dataframe(
                pd.DataFrame(
                    {
                        "line": [p.line for p in exc.problems],
                        "column": [p.column or "" for p in exc.problems],
                        "problem": [p.message for p in exc.problems],
                        "value": ["" if p.value is None else str(p.value) for p in exc.problems],
                    }
                ),
                hide_index=True,
            )
        except (GeodataError, OSError) as exc:
            st.error(f"Nothing was saved: {plain(exc)}")
        else:
            if result.repeated:
                st.info(plain(duplicates_message(result.repeated, settings.events_path)))
            cache.load_dataset.clear()  # the main map shows them at once
            state[K_SAVED] = list(result.ids)
    if state.get(K_SAVED):
        st.success(f"Saved {len(state[K_SAVED])} event(s): {plain(', '.join(state[K_SAVED]))}")


article_flow()

# ---------------------------------------------------------------- correct or withdraw a saved event
st.divider()
st.subheader("Correct or withdraw a saved event · تصحيح حدث محفوظ أو سحبه")
st.caption(
    "The event keeps its id; the change gets a time and a reason, and the previous version goes to the history file."
)
try:
    saved = load_events(settings.events_path, validate=False) if settings.events_path.exists() else None
except (GeodataError, OSError) as exc:
    st.error(plain(exc))
    saved = None
if saved is not None and len(saved):
    ids = [str(v) for v in saved["event_id"]]
    event_id = st.selectbox("Event", ids, index=len(ids) - 1, key=K_FIX_ID)
    current = saved[saved["event_id"] == event_id].iloc[0]
    st.text(  # plain text: the cells are data, never markup
        f"{str(current['event_date'])[:10]} · {current['event_type']} · {current['place']} · status {current['status']}"
    )
    column = st.selectbox(
        "Column to correct",
        [c for c in EVENT_COLUMNS if c not in ("event_id", "updated_at", "update_reason")],
        key=K_FIX_COLUMN,
    )
    value = st.text_input("New value", key=K_FIX_VALUE)
    reason = st.text_input("Reason (required)", key=K_FIX_REASON)
    fix_col, withdraw_col = st.columns(2)
    try:
        if fix_col.button("Apply the correction", key=K_FIX_APPLY):
            update_event(settings.events_path, event_id, {column: value}, reason=reason)
            cache.load_dataset.clear()
            st.success(f"{plain(event_id)}: {plain(column)} corrected.")
        if withdraw_col.button("Withdraw the event", key=K_FIX_WITHDRAW):
            withdraw_event(settings.events_path, event_id, reason=reason)
            cache.load_dataset.clear()
            st.success(f"{plain(event_id)} withdrawn.")
    except EventValidationError as exc:
        st.error(plain("; ".join(str(p) for p in exc.problems[:5])))
    except (GeodataError, OSError) as exc:
        st.error(plain(exc))
else:
    st.info("The events file has no events yet.")
