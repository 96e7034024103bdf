"""Bulk review of a candidates dataset: filter it, page through it, accept candidates into the events file.

The dataset is never loaded whole. Opening it reads only the columns the filters and the map need (an index of
a few tens of MB at 1M candidates, with each row's part and position); a filter is an Arrow expression over that
index. A page's full rows (evidence sentence, source...) are read from the one or two Parquet parts that hold
them: pages follow the corpus order, so the candidates of an article stay together. Accepting goes through
:func:`geodata.events.append_events` (validated, locked, atomic, repeats skipped), with the article's source
and id recorded on each event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from geodata.candidates import COLUMNS, MANIFEST, PART_GLOB, SCHEMA
from geodata.errors import InputError
from geodata.events import AppendResult, append_events
from geodata.ingest import fill_controllers
from geodata.settings import get_settings
from geodata.vocab import EVENT_COLUMNS, EVENT_TYPES

INDEX_COLUMNS: tuple[str, ...] = (
    "candidate_id",
    "confidence",
    "event_type",
    "event_date",
    "place_id",
    "latitude",
    "longitude",
)
# A page shows every column but the plumbing ones; the order is the dataset's.
PAGE_COLUMNS: tuple[str, ...] = tuple(
    c for c in COLUMNS if c not in ("date_basis", "evidence_start", "evidence_end")
)


@dataclass(frozen=True)
class CandidateFilter:
    """What the reviewer asks to see; empty tuples mean "any"."""

    min_confidence: float = 0.0
    types: tuple[str, ...] = ()
    places: tuple[str, ...] = ()  # place ids
    date_from: date | None = None
    date_to: date | None = None
    undated: bool = True  # keep candidates without a date (they cannot be accepted until dated)


@dataclass(frozen=True)
class CandidateSet:
    """An opened candidates dataset: its parts, the in-memory index, and what the filter widgets offer."""

    path: Path
    parts: tuple[Path, ...]
    index: pa.Table  # INDEX_COLUMNS + part (position in parts) + row (position in the part), corpus order
    types: tuple[str, ...]
    places: dict[str, str]  # place id -> "English · Arabic" label, sorted by label
    first: date | None
    last: date | None

    @property
    def rows(self) -> int:
        """Number of candidates."""
        return self.index.num_rows


@dataclass(frozen=True)
class Query:
    """One filtered view: how many match, the index rows of all of them, and one page of full rows."""

    matches: int
    matched: pa.Table
    page: pd.DataFrame

    @property
    def points(self) -> pd.DataFrame:
        """Coordinates and types of every match (what the map aggregates)."""
        return self.matched.select(["latitude", "longitude", "event_type"]).to_pandas()


def find_datasets(root: Path | None) -> list[Path]:
    """Return the candidates datasets at ``root``: itself if it is one, else the datasets directly inside it."""
    if root is None or not root.is_dir():
        return []
    if (root / MANIFEST).exists():
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / MANIFEST).exists())


def _part_index(path: Path, k: int) -> tuple[pa.Table, pa.Table]:
    """Read one part's index columns (with its part number and row positions) and its place names."""
    table = pq.read_table(path, columns=[*INDEX_COLUMNS, "place", "place_ar"])
    n = table.num_rows
    index = table.select(list(INDEX_COLUMNS)).append_column("part", pa.array(np.full(n, k, np.int32)))
    index = index.append_column("row", pa.array(np.arange(n, dtype=np.int32)))
    names = table.select(["place_id", "place", "place_ar"])
    names = names.group_by("place_id").aggregate([("place", "min"), ("place_ar", "min")])
    return index, names


def _place_labels(names: pa.Table) -> dict[str, str]:
    labels = {}
    for pid, name, name_ar in zip(*(names[c].to_pylist() for c in names.column_names), strict=True):
        if pid and pid not in labels:
            labels[str(pid)] = " · ".join(v for v in (name, name_ar) if v) or str(pid)
    return dict(sorted(labels.items(), key=lambda kv: kv[1].casefold()))


def open_candidates(path: Path) -> CandidateSet:
    """Open a candidates dataset written by ``kcm ingest --out``: read its index and describe it.

    Raises
    ------
    InputError
        If ``path`` holds no candidates dataset.
    """
    parts = tuple(sorted(path.glob(PART_GLOB))) if path.is_dir() else ()
    if not parts:
        raise InputError(
            f"{path}: not a candidates dataset (no {PART_GLOB} files); write one with kcm ingest --out"
        )
    pieces = [_part_index(p, k) for k, p in enumerate(parts)]
    index = pa.concat_tables([i for i, _ in pieces]).combine_chunks()
    index = index.set_column(0, "candidate_id", index["candidate_id"].cast(pa.string()))
    for name in ("event_type", "place_id"):  # a few distinct values: dictionary-encoded, filtered fast
        at = index.schema.get_field_index(name)
        index = index.set_column(at, name, pc.dictionary_encode(index[name].cast(pa.string())))
    present = set(pc.unique(index["event_type"].cast(pa.string())).drop_null().to_pylist())
    bounds = pc.min_max(index["event_date"])
    return CandidateSet(
        path=path,
        parts=parts,
        index=index,
        types=tuple(t for t in EVENT_TYPES if t in present) + tuple(sorted(present - set(EVENT_TYPES))),
        places=_place_labels(pa.concat_tables([n for _, n in pieces])),
        first=bounds["min"].as_py(),
        last=bounds["max"].as_py(),
    )


def filter_expression(flt: CandidateFilter) -> ds.Expression:
    """Return the filter as an Arrow expression (over the index, or pushed down to the parts)."""
    expr = pc.field("confidence") >= flt.min_confidence
    if flt.types:
        expr &= pc.field("event_type").isin(list(flt.types))
    if flt.places:
        expr &= pc.field("place_id").isin(list(flt.places))
    dated = pc.field("event_date").is_valid()
    if flt.date_from is not None:
        dated &= pc.field("event_date") >= pa.scalar(flt.date_from, pa.date32())
    if flt.date_to is not None:
        dated &= pc.field("event_date") <= pa.scalar(flt.date_to, pa.date32())
    return expr & (dated | pc.field("event_date").is_null() if flt.undated else dated)


def query(candidates: CandidateSet, flt: CandidateFilter, *, page_size: int = 200, page: int = 0) -> Query:
    """Run a filter: the index rows of every match, and the full rows of one page (corpus order).

    A page past the last (the filter narrowed since) gives the last page.
    """
    matched = candidates.index.filter(filter_expression(flt))
    page = max(0, min(page, (matched.num_rows - 1) // page_size))  # a narrower filter has fewer pages
    chosen = matched.slice(page * page_size, page_size)
    return Query(matched.num_rows, matched, read_rows(candidates, chosen))


def read_rows(candidates: CandidateSet, chosen: pa.Table) -> pd.DataFrame:
    """Read the full rows of index rows ``chosen`` from their parts, in the order given."""
    pieces = []
    parts = chosen["part"].to_numpy()
    rows = chosen["row"].to_numpy()
    order = np.arange(len(parts))
    for k in np.unique(parts):
        mine = parts == k
        table = _read_page_columns(candidates.parts[int(k)])
        taken = table.take(pa.array(rows[mine]))
        pieces.append(taken.append_column("_order", pa.array(order[mine])))
    if not pieces:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in PAGE_COLUMNS})
    table = pa.concat_tables(pieces).sort_by("_order").drop_columns(["_order"])
    return table.to_pandas()


def _read_page_columns(path: Path) -> pa.Table:
    """Read a part's page columns; a column that an older part lacks (``geo_precision``) comes back null."""
    have = set(pq.read_schema(path).names)
    table = pq.read_table(path, columns=[c for c in PAGE_COLUMNS if c in have])
    for name in PAGE_COLUMNS:
        if name not in have:
            table = table.append_column(name, pa.nulls(table.num_rows, SCHEMA.field(name).type))
    return table.select(list(PAGE_COLUMNS))


def _geo_precision(value: object) -> str:
    """Return the events-file ``geo_precision`` of a candidate: its own (2 or 3 for a place the gazetteer lacks), else 1."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "1"
    return str(number) if number in (1, 2, 3) else "1"


def read_candidates(candidates: CandidateSet, ids: Sequence[str]) -> pd.DataFrame:
    """Read the full rows of the given candidate ids (what is saved is what the dataset says)."""
    chosen = candidates.index.filter(pc.field("candidate_id").isin(pa.array(list(ids), pa.string())))
    return read_rows(candidates, chosen)


def map_frame(page: pd.DataFrame) -> pd.DataFrame:
    """Return page rows in the shape the map builder draws: the evidence sentence as the popup's summary."""
    frame = page.copy()
    frame["summary"] = frame["sentence"]
    frame["event_id"] = frame["candidate_id"]
    frame["status"] = "reported"
    return frame


def _iso(value: Any) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def event_rows(frame: pd.DataFrame) -> tuple[list[dict[str, str]], list[str]]:
    """Turn candidate rows into events-file rows; a candidate without a date is left out with a message.

    The event cites the article's source (its URL if any) and records the article and candidate ids in
    ``notes``, with the evidence sentence.
    """
    rows: list[dict[str, str]] = []
    left_out: list[str] = []
    for rec in frame.to_dict("records"):
        if not _iso(rec.get("event_date")):
            left_out.append(f"{rec['candidate_id']}: no event date, so it cannot be saved; left out")
            continue
        row = dict.fromkeys(EVENT_COLUMNS, "")
        for name in ("event_type", "place_id", "place_as_written", "origin_place_id", "controller_before"):
            row[name] = _iso(rec.get(name))
        for name in ("controller_after", "control_mode", "actors", "summary", "source", "source_url"):
            row[name] = _iso(rec.get(name))
        row |= {
            "event_date": _iso(rec["event_date"]),
            "date_precision": _iso(rec.get("date_precision")) or "day",
            "date_end": _iso(rec.get("date_end")),
            "geo_precision": (precision := _geo_precision(rec.get("geo_precision"))),
            # a place the gazetteer lacks keeps its label "X (near Y)": the coordinate is Y's, approximate
            "place": _iso(rec.get("place")) if precision != "1" else "",
            "source_date": _iso(rec.get("published")),
            "source_lang": _iso(rec.get("lang")),
            "status": "reported",
            "notes": f"article {rec['article_id']}; candidate {rec['candidate_id']}; "
            f"extracted from: {_iso(rec.get('sentence'))[:300]}",
        }
        rows.append(row)
    return rows, left_out


@dataclass(frozen=True)
class Accepted:
    """What accepting did: the append result, and one message per candidate left out."""

    result: AppendResult
    left_out: tuple[str, ...]


def accept_candidates(candidates: CandidateSet, ids: Sequence[str], events_path: Path) -> Accepted:
    """Save the given candidates to the events file through ``append_events`` (repeats skipped).

    Raises
    ------
    InputError
        In read-only mode, or if an id is not in the dataset.
    EventValidationError
        If the rows would make the events file invalid; nothing is written then.
    """
    if get_settings().read_only:
        raise InputError("read-only mode (KCM_READ_ONLY): accepting candidates is disabled")
    wanted = list(dict.fromkeys(ids))
    frame = read_candidates(candidates, wanted)
    missing = sorted(set(wanted) - set(frame["candidate_id"]))
    if missing:
        raise InputError(f"{candidates.path}: no candidate(s) {', '.join(missing[:5])} in this dataset")
    order = {cid: k for k, cid in enumerate(wanted)}
    frame = frame.iloc[np.argsort(frame["candidate_id"].map(order).to_numpy(), kind="stable")]
    rows, left_out = event_rows(frame)
    left_out += fill_controllers(rows, events_path)
    result = append_events(rows, events_path, skip_duplicates=True) if rows else AppendResult(())
    return Accepted(result, tuple(left_out))


def dataset_version(path: Path) -> int:
    """Return the manifest's modification time (ns): a cache key that changes when a run adds parts."""
    manifest = path / MANIFEST
    return manifest.stat().st_mtime_ns if manifest.exists() else 0


def review_map(result: Query, places: dict[str, str], *, tiles: str | None, threshold: int) -> Any:
    """Build the review map through :func:`geodata.maps.build_map` (it escapes every string).

    Above ``threshold`` matches, grid counts computed on the server. Below, one point per match; the page's
    candidates carry their evidence sentence and source in the popup, the others their date, type and place.
    """
    from geodata.maps import build_map

    if result.matches > threshold:
        return build_map(result.points, layers=("events",), tiles=tiles, aggregate_threshold=threshold)
    frame = result.matched.drop_columns(["part", "row"]).to_pandas()
    for name in ("event_type", "place_id"):
        frame[name] = frame[name].astype(object)
    frame["place"] = frame["place_id"].map(places)
    detail = map_frame(result.page).set_index("candidate_id")
    for name in ("summary", "source", "source_url", "place_as_written"):
        frame[name] = frame["candidate_id"].map(detail[name]) if len(detail) else None
    frame["event_id"] = frame["candidate_id"]
    frame["status"] = "reported"
    return build_map(frame, layers=("events",), tiles=tiles, aggregate_threshold=threshold)
