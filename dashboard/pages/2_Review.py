"""Review: open a candidates dataset (``kcm ingest --out``), filter it, see it on the map, accept candidates in bulk.

Reads top to bottom: page config → the dataset (from ``KCM_CANDIDATES``) → sidebar filters → query with
:mod:`geodata.review` (pushed down to the Parquet parts, never the whole dataset in memory) → map → one page of
candidates with their evidence → accept the ticked ones (validated, locked, atomic append; repeats skipped).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import cache
from dashboard.plain import plain
from geodata.errors import EventValidationError, GeodataError
from geodata.ingest import duplicates_message
from geodata.review import (
    CandidateFilter,
    accept_candidates,
    dataset_version,
    find_datasets,
    query,
    review_map,
)
from geodata.settings import get_settings

K_DATASET = "review_dataset"
K_CONFIDENCE = "review_confidence"
K_TYPES = "review_types"
K_PLACES = "review_places"
K_WINDOW = "review_window"
K_UNDATED = "review_undated"
K_PAGE = "review_page"
K_EDITOR = "review_table"
K_ACCEPT = "review_accept"
K_SAVED = "review_saved"
K_TICK_ALL = "review_tick_all"
PAGE_SIZE = 200
SHOWN = (
    "accept",
    "confidence",
    "event_type",
    "event_date",
    "place",
    "place_as_written",
    "geo_precision",  # 2 or 3: a place the gazetteer lacks, at the coordinate of the known place it is near
    "controller_before",
    "controller_after",
    "actors",
    "sentence",
    "source",
    "article_id",
    "candidate_id",
)

st.set_page_config(page_title="Review candidates · Kirkuk Control Map", page_icon="🗂️", layout="wide")
settings = get_settings()
state = st.session_state
st.title("Review candidates · مراجعة الأحداث المرشحة")
st.caption(
    "Candidate events extracted in bulk by `kcm ingest PATH... --out DATASET`. Filter them, check each one against "
    "its evidence sentence, and accept the ones that hold into the events file."
)

datasets = find_datasets(settings.candidates_path)
if not datasets:
    st.info(
        "No candidates dataset to review. Write one with `kcm ingest PATH... --out DATASET`, then start the "
        "dashboard with KCM_CANDIDATES=DATASET (or a folder of datasets)."
    )
    st.stop()
path: Path = st.selectbox("Candidates dataset", datasets, format_func=lambda p: p.name, key=K_DATASET)
try:
    candidates = cache.candidate_set(str(path), dataset_version(path))
except (GeodataError, OSError) as exc:
    st.error(plain(exc))
    st.stop()

# ---------------------------------------------------------------- filters
with st.sidebar:
    st.header("Filter · تصفية")
    min_confidence = st.slider("Minimum confidence", 0.0, 1.0, 0.5, 0.05, key=K_CONFIDENCE)
    types = st.multiselect("Event types", candidates.types, key=K_TYPES)
    places = st.multiselect(
        "Places", list(candidates.places), format_func=candidates.places.__getitem__, key=K_PLACES
    )
    window = None
    if candidates.first is not None and candidates.last is not None:
        window = st.date_input(
            "Event dates",
            value=(candidates.first, candidates.last),
            min_value=candidates.first,
            max_value=candidates.last,
            key=K_WINDOW,
        )
    undated = st.checkbox("Include candidates without a date", value=False, key=K_UNDATED)
date_from, date_to = (window[0], window[-1]) if window else (None, None)
flt = CandidateFilter(
    min_confidence=float(min_confidence),
    types=tuple(types),
    places=tuple(places),
    date_from=date_from,
    date_to=date_to,
    undated=undated,
)

pages = max(1, -(-candidates.rows // PAGE_SIZE))
page = int(st.session_state.get(K_PAGE, 1)) - 1
result = query(candidates, flt, page_size=PAGE_SIZE, page=page)
st.write(f"**{result.matches:,}** of {candidates.rows:,} candidate(s) match.")

# ---------------------------------------------------------------- map and table
st_folium(
    review_map(result, candidates.places, tiles=settings.map_tiles, threshold=settings.aggregate_threshold),
    height=420,
    use_container_width=True,
    returned_objects=[],
    key="review_map",
)
last_page = max(1, -(-result.matches // PAGE_SIZE))
st.number_input(f"Page (of {last_page}, {PAGE_SIZE} per page)", 1, max(last_page, pages), key=K_PAGE)
tick_all = st.checkbox("Tick every candidate on this page", key=K_TICK_ALL)
table = result.page.copy()
table.insert(0, "accept", bool(tick_all))
edited = st.data_editor(  # plain text cells: candidate text is data, never markup
    table[list(SHOWN)],
    key=K_EDITOR,
    hide_index=True,
    disabled=[c for c in SHOWN if c != "accept"],
    column_config={
        "accept": st.column_config.CheckboxColumn("accept"),
        "confidence": st.column_config.NumberColumn("confidence", format="%.2f"),
        "event_date": st.column_config.DateColumn("event_date", format="YYYY-MM-DD"),
        "sentence": st.column_config.TextColumn("evidence", width="large"),
    },
)
ticked = [str(cid) for cid, on in zip(edited["candidate_id"], edited["accept"], strict=True) if bool(on)]

# ---------------------------------------------------------------- accept
if settings.read_only:  # the navigation leaves this page out; this guards a direct run of the script
    st.info("This server is read-only: candidates cannot be accepted.")
elif st.button(
    f"Accept the {len(ticked)} ticked candidate(s) · قبول المحدد",
    key=K_ACCEPT,
    type="primary",
    disabled=not ticked,
):
    try:
        accepted = accept_candidates(candidates, ticked, settings.events_path)
    except EventValidationError as exc:
        st.error(f"Nothing was saved: {len(exc.problems)} problem(s).")
        # plain-text cells (a problem's value may quote candidate text)
        st.dataframe(pd.DataFrame([asdict(p) for p in exc.problems]).astype(str), hide_index=True)
    except (GeodataError, OSError) as exc:
        st.error(f"Nothing was saved: {plain(exc)}")
    else:
        for message in accepted.left_out:
            st.warning(plain(message))
        if accepted.result.repeated:
            st.info(plain(duplicates_message(accepted.result.repeated, settings.events_path)))
        cache.load_dataset.clear()  # the map page shows them at once
        state[K_SAVED] = list(accepted.result.ids)
if state.get(K_SAVED):
    st.success(f"Saved {len(state[K_SAVED])} event(s): {plain(', '.join(state[K_SAVED]))}")
