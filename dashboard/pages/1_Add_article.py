"""Add article: paste or upload an article, review its candidate events, save the accepted ones; correct saved ones.

Reads top to bottom: page config → the article (pasted or uploaded) → extraction with :mod:`geodata` → highlighted
text → candidates on a small map → editable table → accept (repeats skipped, validated, atomic, locked append) → correct/withdraw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import cache
from dashboard.plain import html_text, plain
from geodata.errors import ArticleError, EventValidationError, GeodataError, Problem
from geodata.events import load_events, update_event, withdraw_event
from geodata.extract import Extraction, decode_article, extract_article
from geodata.ingest import (
    EDITABLE_COLUMNS,
    accepted_rows,
    candidate_rows,
    duplicates_message,
    save_rows,
    ticked_by_default,
)
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
# The table: the editable columns, the place name next to its id, then what the reviewer judges by.
SHOWN: tuple[str, ...] = (
    "accept",
    *EDITABLE_COLUMNS[:5],
    "place",
    *EDITABLE_COLUMNS[5:],
    "confidence",
    "sentence",
)


@dataclass(frozen=True)
class Article:
    """The article to extract: its text, a name for the source, and the reviewer's publication date and language."""

    text: str
    name: str
    published: date | None
    lang: str | None


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


def _problem_table(problems: Sequence[Problem]) -> pd.DataFrame:
    """Return the problems as plain-text cells (a problem's value may quote article text)."""
    return pd.DataFrame(
        {
            "line": [p.line for p in problems],
            "column": [p.column or "" for p in problems],
            "problem": [p.message for p in problems],
            "value": ["" if p.value is None else str(p.value) for p in problems],
        }
    )


# ---------------------------------------------------------------- the article and its candidates


def article_input() -> Article | None:
    """Draw the article inputs; return the article, or None (with the reason shown) when there is none yet."""
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
    lang = None if lang_choice == "auto" else lang_choice
    if upload is not None:
        try:
            return Article(decode_article(upload.getvalue(), upload.name), upload.name, published, lang)
        except ArticleError as exc:
            st.error(plain(exc))
            return None
    if pasted.strip():
        return Article(pasted, "pasted article", published, lang)
    st.info("Paste or upload an article to begin.")
    return None


def show_extraction(article: Article) -> Extraction | None:
    """Extract the article with :mod:`geodata` and show what was found; None (with the error shown) on failure."""
    try:
        extraction = extract_article(article.text, published=article.published, lang=article.lang)
    except GeodataError as exc:
        st.error(plain(exc))
        return None
    for warning in extraction.warnings:
        st.warning(plain(warning))
    st.markdown(
        f"Published: **{plain(extraction.published or 'unknown')}** · language: **{plain(extraction.lang)}** · "
        f"{len(extraction.places)} place mention(s), {len(extraction.dates)} date(s), "
        f"{len(extraction.events)} candidate event(s)"
    )
    with st.expander("Article with places and dates marked · النص مع الأماكن والتواريخ", expanded=True):
        st.markdown(highlighted(extraction), unsafe_allow_html=True)
    return extraction


def candidates_map(extraction: Extraction, tiles: str | None) -> None:
    """Draw the candidate events on a small map (movements from their origin)."""
    map_rows = [
        e.to_dict(full=True)
        | {
            "origin_lat": e.origin.lat if e.origin else None,
            "origin_lon": e.origin.lon if e.origin else None,
        }
        for e in extraction.events
    ]
    st_folium(
        build_candidates_map(map_rows, tiles=tiles), height=360, returned_objects=[], key="candidates_map"
    )


def review_table(extraction: Extraction, *, source: str, source_url: str) -> list[dict[str, object]]:
    """Draw the editable table of candidates (ticked: dated and confident enough); return its rows, edited."""
    rows = candidate_rows(extraction, source=source, source_url=source_url)
    table = pd.DataFrame(rows)
    table.insert(0, "accept", [ticked_by_default(e) for e in extraction.events])
    table["place"] = [e.place.name for e in extraction.events]
    table["confidence"] = [e.confidence for e in extraction.events]
    table["sentence"] = [e.sentence for e in extraction.events]
    for name in ("event_date", "date_end"):
        table[name] = pd.to_datetime(table[name].replace("", None)).dt.date
    edited = st.data_editor(
        table[list(SHOWN)],
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
    return edited.to_dict("records")


def save_accepted(rows: list[dict[str, object]], events_path: Path, *, source: str) -> None:
    """Save the accepted rows through :func:`geodata.ingest.save_rows`, and say what happened."""
    try:
        saved = save_rows(rows, events_path, source_note=source)
    except EventValidationError as exc:
        st.error(f"Nothing was saved: {len(exc.problems)} problem(s).")
        st.dataframe(_problem_table(exc.problems), hide_index=True)
        return
    except (GeodataError, OSError) as exc:
        st.error(f"Nothing was saved: {plain(exc)}")
        return
    for message in saved.left_out:
        st.warning(plain(message))
    if saved.result.repeated:
        st.info(plain(duplicates_message(saved.result.repeated, events_path)))
    cache.load_dataset.clear()  # the main map shows them at once
    st.session_state[K_SAVED] = list(saved.result.ids)


def article_flow(events_path: Path, tiles: str | None) -> None:
    """Render the article part of the page: input, extraction, highlights, candidates, saving."""
    article = article_input()
    extraction = show_extraction(article) if article is not None else None
    if article is None or extraction is None:
        return
    if not extraction.events:
        st.info("No candidate events in this article.")
        return
    source = st.text_input("Source (recorded with every saved event)", value=article.name, key=K_SOURCE)
    source = source or article.name
    source_url = st.text_input("Source URL (optional)", key=K_SOURCE_URL)
    candidates_map(extraction, tiles)
    edits = review_table(extraction, source=source, source_url=source_url)
    if st.button("Save the accepted events · حفظ الأحداث المقبولة", key=K_ACCEPT, type="primary"):
        rows, _left_out = accepted_rows(extraction, source=source, source_url=source_url, edits=edits)
        save_accepted(rows, events_path, source=source)
    if st.session_state.get(K_SAVED):
        saved = st.session_state[K_SAVED]
        st.success(f"Saved {len(saved)} event(s): {plain(', '.join(saved))}")


# ---------------------------------------------------------------- correct or withdraw a saved event


def _saved_events(events_path: Path) -> pd.DataFrame | None:
    """Return the events file as it is (not validated: a correction may be what makes it valid), or None."""
    try:
        return load_events(events_path, validate=False) if events_path.exists() else None
    except (GeodataError, OSError) as exc:
        st.error(plain(exc))
        return None


def correction_flow(events_path: Path) -> None:
    """Render the part that corrects or withdraws a saved event (same id; time, reason and history recorded)."""
    st.divider()
    st.subheader("Correct or withdraw a saved event · تصحيح حدث محفوظ أو سحبه")
    st.caption(
        "The event keeps its id; the change gets a time and a reason, and the previous version goes to the "
        "history file."
    )
    saved = _saved_events(events_path)
    if saved is None or not len(saved):
        st.info("The events file has no events yet.")
        return
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
            update_event(events_path, event_id, {column: value}, reason=reason)
            cache.load_dataset.clear()
            st.success(f"{plain(event_id)}: {plain(column)} corrected.")
        if withdraw_col.button("Withdraw the event", key=K_FIX_WITHDRAW):
            withdraw_event(events_path, event_id, reason=reason)
            cache.load_dataset.clear()
            st.success(f"{plain(event_id)} withdrawn.")
    except EventValidationError as exc:
        st.error(plain("; ".join(str(p) for p in exc.problems[:5])))
    except (GeodataError, OSError) as exc:
        st.error(plain(exc))


# ---------------------------------------------------------------- the page


def add_article_page() -> None:
    """Draw the page: title, the article flow, then corrections of saved events."""
    st.set_page_config(page_title="Add article · Kirkuk Control Map", page_icon="📰", layout="wide")
    settings = get_settings()
    if settings.read_only:  # the navigation leaves this page out; this guards a direct run of the script
        st.info("This server is read-only: articles cannot be added and events cannot be corrected.")
        return
    st.title("Add an article · إضافة مقال")
    st.caption(
        "Paste or upload a news article in Arabic or English. The places, dates and candidate events it reports "
        "are extracted offline; review them, edit what is wrong, and save the ones you accept to the events file."
    )
    article_flow(settings.events_path, settings.map_tiles)
    correction_flow(settings.events_path)


if __name__ == "__main__":  # Streamlit runs a page file as __main__; an import (a test, a tool) draws nothing
    add_article_page()
