"""Synthetic candidates datasets (the shape ``kcm ingest --out`` writes) for the review tests and benchmarks.

Built from :func:`tests.synthetic.make_events` (points in Iraq, 2017-2019, gazetteer place ids), with a
confidence, an article id per three candidates, evidence offsets and an Arabic evidence sentence; 5 % undated.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from geodata.candidates import SCHEMA, open_dataset_dir, write_part
from tests.synthetic import make_events


def make_candidates(n: int, seed: int = 0) -> pa.Table:
    """Return ``n`` synthetic candidate rows as an Arrow table of the dataset's schema."""
    events = make_events(n, seed)
    rng = np.random.default_rng(seed + 1)
    articles = np.char.add("syn-article-", (np.arange(n) // 3).astype(str)).astype(object)
    ids = np.char.add(np.char.add(articles.astype(str), ":"), (np.arange(n) % 3).astype(str)).astype(object)
    dates = events["event_date"].dt.date.to_numpy(dtype=object).copy()
    dates[rng.random(n) < 0.05] = None

    def text(name: str) -> list[object]:
        values = events[name].astype(object).to_numpy()
        return [None if v is None or v != v or v in ("", "nan", "None") else str(v) for v in values]

    columns = {
        "candidate_id": ids,
        "article_id": articles,
        "source": np.char.add("archive.jsonl#", articles.astype(str)).astype(object),
        "source_url": [None] * n,
        "published": events["event_date"].dt.date.to_numpy(dtype=object),
        "lang": ["ar"] * n,
        "event_type": text("event_type"),
        "event_date": dates,
        "date_precision": text("date_precision"),
        "date_end": [None] * n,
        "date_basis": ["clause"] * n,
        "place_id": text("place_id"),
        "place": text("place"),
        "place_ar": text("place_ar"),
        "place_as_written": text("place_as_written"),
        "latitude": events["latitude"].to_numpy(),
        "longitude": events["longitude"].to_numpy(),
        "geo_precision": np.ones(n, dtype=np.int8),
        "origin_place_id": [None] * n,
        "controller_before": text("controller_before"),
        "controller_after": text("controller_after"),
        "control_mode": text("control_mode"),
        "actors": text("actors"),
        "confidence": np.round(rng.uniform(0.2, 0.95, n), 2),
        "evidence_start": np.zeros(n, dtype=np.int64),
        "evidence_end": np.full(n, 80, dtype=np.int64),
        "sentence": text("notes"),
        "summary": text("summary"),
    }
    return pa.table(columns, schema=SCHEMA)


def write_candidates(dataset: Path, table: pa.Table, parts: int = 4) -> Path:
    """Write ``table`` as a candidates dataset of ``parts`` parts, committed in its manifest."""
    manifest = open_dataset_dir(dataset)
    step = -(-table.num_rows // parts)
    for k in range(parts):
        chunk = table.slice(k * step, step)
        name = write_part(dataset, chunk, manifest.next_sequence)
        ids = sorted(set(chunk["article_id"].to_pylist()))
        manifest.commit(name, ids, [], chunk.num_rows)
    return dataset
