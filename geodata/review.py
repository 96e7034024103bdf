"""Bulk review of a candidates dataset: filter it in place, page through it, accept candidates into the events file.

The dataset is never loaded whole: each query is a ``pyarrow.dataset`` scan with the filter pushed down to the
Parquet parts, reading only the columns it needs (the map's coordinates and types for every match, the full
rows of one page). Accepting goes through :func:`geodata.events.append_events` (validated, locked, atomic,
repeats skipped), with the article's source and id recorded on each event.
"""

from __future__ import annotations

import os
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

from geodata.candidates import MANIFEST, PART_GLOB
from geodata.errors import InputError
from geodata.events import AppendResult, append_events
from geodata.ingest import fill_controllers
from geodata.vocab import EVENT_COLUMNS, EVENT_TYPES

MAP_COLUMNS: tuple[str, ...] = ("candidate_id", "confidence", "latitude", "longitude", "event_type")
PAGE_COLUMNS: tuple[str, ...] = (
    "candidate_id",
    "confidence",
    "event_type",
    "event_date",
    "date_precision",
    "date_end",
    "place_id",
    "place",
    "place_ar",
    "place_as_written",
    "latitude",
    "longitude",
    "origin_place_id",
    "controller_before",
    "controller_after",
    "control_mode",
    "actors",
    "sentence",
    "summary",
    "source",
    "source_url",
    "published",
    "lang",
    "article_id",
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
    """An opened candidates dataset and what the filter widgets need to know about it (computed once)."""

    path: Path
    dataset: ds.Dataset
    rows: int
    types: tuple[str, ...]
    places: dict[str, str]  # place id -> "English · Arabic" label, sorted by label
    first: date | None
    last: date | None


@dataclass(frozen=True)
class Query:
    """One filtered view: how many match, the coordinates of all of them (for the map), one page of rows."""

    matches: int
    points: pd.DataFrame
    page: pd.DataFrame


def find_datasets(root: Path | None) -> list[Path]:
    """Return the candidates datasets at ``root``: itself if it is one, else the datasets directly inside it."""
    if root is None or not root.is_dir():
        return []
    if (root / MANIFEST).exists():
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / MANIFEST).exists())


def open_candidates(path: Path) -> CandidateSet:
    """Open a candidates dataset written by ``kcm ingest --out`` and describe it.

    Raises
    ------
    InputError
        If ``path`` holds no candidates dataset.
    """
    parts = sorted(path.glob(PART_GLOB)) if path.is_dir() else []
    if not parts:
        raise InputError(
            f"{path}: not a candidates dataset (no {PART_GLOB} files); write one with kcm ingest --out"
        )
    dataset = ds.dataset([str(p) for p in parts], format="parquet")
    meta = dataset.to_table(columns=["event_type", "place_id", "place", "place_ar", "event_date"])
    present = set(pc.unique(meta["event_type"]).drop_null().to_pylist())
    place_rows = (
        meta.select(["place_id", "place", "place_ar"])
        .group_by("place_id")
        .aggregate([("place", "min"), ("place_ar", "min")])
    )
    places = {
        str(pid): " · ".join(v for v in (name, name_ar) if v) or str(pid)
        for pid, name, name_ar in zip(
            place_rows["place_id"].to_pylist(),
            place_rows["place_min"].to_pylist(),
            place_rows["place_ar_min"].to_pylist(),
            strict=True,
        )
        if pid
    }
    bounds = pc.min_max(meta["event_date"])
    return CandidateSet(
        path=path,
        dataset=dataset,
        rows=meta.num_rows,
        types=tuple(t for t in EVENT_TYPES if t in present) + tuple(sorted(present - set(EVENT_TYPES))),
        places=dict(sorted(places.items(), key=lambda kv: kv[1].casefold())),
        first=bounds["min"].as_py(),
        last=bounds["max"].as_py(),
    )


def filter_expression(flt: CandidateFilter) -> ds.Expression:
    """Return the filter as a dataset expression, pushed down to the Parquet parts."""
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
    """Run a filter: coordinates of every match, and one page of full rows (highest confidence first)."""
    expr = filter_expression(flt)
    points = candidates.dataset.to_table(columns=list(MAP_COLUMNS), filter=expr)
    order = np.lexsort(
        (np.asarray(points["candidate_id"].to_numpy(zero_copy_only=False)), -points["confidence"].to_numpy())
    )
    chosen = order[page * page_size : (page + 1) * page_size]
    ids = pa.array(points["candidate_id"].take(pa.array(chosen, pa.int64())).to_pylist(), pa.string())
    rows = candidates.dataset.to_table(columns=list(PAGE_COLUMNS), filter=pc.field("candidate_id").isin(ids))
    frame = rows.to_pandas()
    rank = {cid: k for k, cid in enumerate(ids.to_pylist())}
    frame = frame.iloc[np.argsort(frame["candidate_id"].map(rank).to_numpy(), kind="stable")].reset_index(
        drop=True
    )
    return Query(
        matches=points.num_rows,
        points=points.select(["latitude", "longitude", "event_type"]).to_pandas(),
        page=frame,
    )


def read_candidates(candidates: CandidateSet, ids: Sequence[str]) -> pd.DataFrame:
    """Read the full rows of the given candidate ids from the dataset (what is saved is what the dataset says)."""
    table = candidates.dataset.to_table(
        columns=list(PAGE_COLUMNS), filter=pc.field("candidate_id").isin(list(ids))
    )
    return table.to_pandas()


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
            "geo_precision": "1",
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


def read_only() -> bool:
    """Tell whether the deployment is read-only (``KCM_READ_ONLY`` set to anything but empty/0/false/no)."""
    return os.environ.get("KCM_READ_ONLY", "").strip().lower() not in {"", "0", "false", "no", "off"}


def accept_candidates(candidates: CandidateSet, ids: Sequence[str], events_path: Path) -> Accepted:
    """Save the given candidates to the events file through ``append_events`` (repeats skipped).

    Raises
    ------
    InputError
        In read-only mode, or if an id is not in the dataset.
    EventValidationError
        If the rows would make the events file invalid; nothing is written then.
    """
    if read_only():
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


def review_map(
    candidates: CandidateSet, flt: CandidateFilter, result: Query, *, tiles: str | None, threshold: int
) -> Any:
    """Build the review map: every match with its evidence sentence, or grid counts above ``threshold``.

    Through :func:`geodata.maps.build_map`, which escapes every string and aggregates on the server.
    """
    from geodata.maps import build_map

    if result.matches > threshold:
        frame = result.points
    else:
        rows = candidates.dataset.to_table(columns=list(PAGE_COLUMNS), filter=filter_expression(flt))
        frame = map_frame(rows.to_pandas())
    return build_map(frame, layers=("events",), tiles=tiles, aggregate_threshold=threshold)
