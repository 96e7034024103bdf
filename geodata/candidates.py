"""The candidates dataset: a folder of GeoParquet parts (EPSG:4326) of candidate events, and its manifest.

Layout of ``DATASET/``:

* ``part-NNNNNN-<8 hex digits>.parquet``: the candidate events of one batch of articles, one row each (points);
* ``_manifest.jsonl``: one line per committed batch (its part, article ids, errors), appended after the part
  was renamed into place: the manifest line is the commit. A part with no line (a run killed between the two)
  is removed at the next start, and its articles are extracted again; a torn last line is dropped;
* ``_errors.jsonl``: the articles that failed, with the reason (rewritten from the manifest);
* ``_lock``: held by the run writing the dataset.

Readers (``geopandas.read_parquet(DATASET)``, ``pyarrow.dataset``) skip names starting with ``_`` and ``.``.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import shapely

from geodata.errors import InputError
from geodata.extract import Extraction
from geodata.settings import CRS

log = logging.getLogger(__name__)

MANIFEST = "_manifest.jsonl"
ERRORS = "_errors.jsonl"
LOCK = "_lock"
PART_GLOB = "part-*.parquet"

# One row per candidate event; types stated once, here. ``geometry`` (a point at lon/lat) is added on writing.
SCHEMA = pa.schema(
    [
        ("candidate_id", pa.string()),
        ("article_id", pa.string()),
        ("source", pa.string()),
        ("source_url", pa.string()),
        ("published", pa.date32()),
        ("lang", pa.string()),
        ("event_type", pa.string()),
        ("event_date", pa.date32()),
        ("date_precision", pa.string()),
        ("date_end", pa.date32()),
        ("date_basis", pa.string()),
        ("place_id", pa.string()),
        ("place", pa.string()),
        ("place_ar", pa.string()),
        ("place_as_written", pa.string()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
        ("geo_precision", pa.int8()),
        ("origin_place_id", pa.string()),
        ("controller_before", pa.string()),
        ("controller_after", pa.string()),
        ("control_mode", pa.string()),
        ("actors", pa.string()),
        ("confidence", pa.float64()),
        ("evidence_start", pa.int64()),
        ("evidence_end", pa.int64()),
        ("sentence", pa.string()),
        ("summary", pa.string()),
    ]
)
COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)


def candidate_rows(
    extraction: Extraction, *, article_id: str, source: str, url: str | None
) -> list[dict[str, Any]]:
    """Return the dataset rows of an article's candidate events (dates as :class:`datetime.date`).

    The candidate id is ``ARTICLE_ID:N`` (N: the event's position in the extraction), stable from run to run.
    """
    rows = []
    for n, event in enumerate(extraction.events):
        row = event.to_row(source=source, source_date=extraction.published, source_lang=extraction.lang)
        rows.append(
            {
                "candidate_id": f"{article_id}:{n}",
                "article_id": article_id,
                "source": source,
                "source_url": url,
                "published": extraction.published,
                "lang": extraction.lang,
                "event_type": event.event_type,
                "event_date": event.event_date,
                "date_precision": event.date_precision,
                "date_end": event.date_end,
                "date_basis": event.date_basis,
                # a place the gazetteer lacks is saved at the known place it is near, at geo_precision 2 or 3
                "place_id": event.place.gazetteer_id,
                "place": event.place.label,
                "place_ar": event.place.name_ar,
                "place_as_written": event.place.mention,
                "latitude": event.place.lat,
                "longitude": event.place.lon,
                "geo_precision": event.place.geo_precision,
                "origin_place_id": event.origin.place_id if event.origin else None,
                "controller_before": event.controller_before,
                "controller_after": event.controller_after,
                "control_mode": event.control_mode,
                "actors": row["actors"],
                "confidence": event.confidence,
                "evidence_start": event.start,
                "evidence_end": event.end,
                "sentence": event.sentence,
                "summary": row["summary"],
            }
        )
    return rows


def rows_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Return rows as an Arrow table of :data:`SCHEMA` (small to ship from a worker, typed)."""
    return pa.Table.from_pylist([dict(r) for r in rows], schema=SCHEMA)


# ---------------------------------------------------------------- writing


def _geo_metadata(lon: np.ndarray, lat: np.ndarray) -> bytes:
    """Return GeoParquet 1.0 metadata for a point column in WGS84 (the CRS written out as PROJJSON)."""
    from pyproj import CRS as ProjCRS

    column: dict[str, Any] = {
        "encoding": "WKB",
        "geometry_types": ["Point"],
        "crs": ProjCRS.from_user_input(CRS).to_json_dict(),
    }
    ok = np.isfinite(lon) & np.isfinite(lat)
    if ok.any():
        column["bbox"] = [
            float(lon[ok].min()),
            float(lat[ok].min()),
            float(lon[ok].max()),
            float(lat[ok].max()),
        ]
    return orjson.dumps({"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": column}})


def geo_table(table: pa.Table) -> pa.Table:
    """Add the ``geometry`` column (WKB points at lon/lat, null where unknown) and GeoParquet metadata.

    Written with pyarrow, so every part has exactly :data:`SCHEMA` (an all-empty column keeps its type).
    """
    lon = table["longitude"].to_numpy(zero_copy_only=False).astype(float)
    lat = table["latitude"].to_numpy(zero_copy_only=False).astype(float)
    points = shapely.points(lon, lat)
    points[~(np.isfinite(lon) & np.isfinite(lat))] = None
    wkb = pa.array(shapely.to_wkb(points), pa.binary())
    out = table.cast(SCHEMA).append_column("geometry", wkb)
    return out.replace_schema_metadata({b"geo": _geo_metadata(lon, lat)})


def write_part(dataset: Path, table: pa.Table, sequence: int) -> str:
    """Write one part of the dataset atomically (temp file, fsync, rename) and return its file name."""
    import pyarrow.parquet as pq

    name = f"part-{sequence:06d}-{secrets.token_hex(4)}.parquet"
    tmp = dataset / f".{name}.tmp"
    try:
        pq.write_table(geo_table(table), tmp, compression="zstd")
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dataset / name)
    finally:
        tmp.unlink(missing_ok=True)
    return name


@dataclass
class Manifest:
    """What a dataset holds already: the done articles (with their error, if any) and its parts."""

    path: Path
    done: dict[str, str | None] = field(default_factory=dict)  # article id -> error reason (None: extracted)
    parts: set[str] = field(default_factory=set)
    errors: list[dict[str, str]] = field(default_factory=list)
    candidates: int = 0

    @property
    def next_sequence(self) -> int:
        """The sequence number of the next part (parts sort in commit order)."""
        return len(self.parts)

    def commit(
        self, part: str | None, articles: Sequence[str], errors: Sequence[Mapping[str, str]], n: int
    ) -> None:
        """Append one batch's line (durably): from now on its articles are done and its part is in the dataset."""
        entry = {
            "part": part,
            "articles": list(articles),
            "errors": [dict(e) for e in errors],
            "candidates": n,
        }
        with self.path.open("ab") as fh:
            fh.write(orjson.dumps(entry) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._add(entry)

    def _add(self, entry: Mapping[str, Any]) -> None:
        for article_id in entry["articles"]:
            self.done[str(article_id)] = None
        for error in entry["errors"]:
            self.done[str(error["article_id"])] = str(error["reason"])
            self.errors.append(dict(error))
        if entry.get("part"):
            self.parts.add(str(entry["part"]))
        self.candidates += int(entry.get("candidates") or 0)


def open_dataset_dir(dataset: Path) -> Manifest:
    """Open (or create) a dataset folder for writing; remove what a killed run left uncommitted.

    Raises
    ------
    InputError
        If ``dataset`` is a file, or its manifest is corrupt before its last line (the message names the line).
    """
    if dataset.exists() and not dataset.is_dir():
        raise InputError(f"{dataset}: --out must be a folder (a dataset of GeoParquet parts), not a file")
    dataset.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(dataset, repair=True)
    for stray in [*dataset.glob(PART_GLOB), *dataset.glob(".part-*.tmp")]:
        if stray.name not in manifest.parts:
            log.warning(
                "%s: removing %s, written by a run that stopped before committing it", dataset, stray.name
            )
            stray.unlink()
    write_errors(dataset, manifest.errors)
    return manifest


def read_manifest(dataset: Path, *, repair: bool = False) -> Manifest:
    """Read ``DATASET/_manifest.jsonl``; a torn last line (a run killed while appending) is dropped.

    With ``repair``, the torn line is also cut from the file, so that the next commit starts a clean line.
    """
    path = dataset / MANIFEST
    manifest = Manifest(path)
    if not path.exists():
        return manifest
    data = path.read_bytes()
    lines = data.split(b"\n")
    good_bytes = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            good_bytes += len(line) + 1
            continue
        try:
            entry = orjson.loads(line)
            manifest._add(entry)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            if number < len(lines):  # a line ending in a newline was written whole: not torn, corrupt
                raise InputError(f"{path}:{number}: corrupt manifest line ({exc}); fix or remove it") from exc
            log.warning("%s:%d: dropping a torn last line (a run stopped while writing it)", path, number)
            if repair:
                _truncate(path, good_bytes)
            break
        good_bytes += len(line) + 1
    return manifest


def _truncate(path: Path, size: int) -> None:
    with path.open("r+b") as fh:
        fh.truncate(size)
        fh.flush()
        os.fsync(fh.fileno())


def write_errors(dataset: Path, errors: Iterable[Mapping[str, str]]) -> Path:
    """Rewrite ``DATASET/_errors.jsonl`` atomically: one ``{article_id, source, reason}`` per failed article."""
    target = dataset / ERRORS
    tmp = dataset / f".{ERRORS}.tmp"
    with tmp.open("wb") as fh:
        for error in errors:
            fh.write(orjson.dumps(dict(error)) + b"\n")
    os.replace(tmp, target)
    return target


def write_empty_part(dataset: Path, manifest: Manifest) -> None:
    """Give a dataset without any candidate a part with no rows, so that readers see its schema and CRS."""
    if manifest.parts:
        return
    name = write_part(dataset, SCHEMA.empty_table(), manifest.next_sequence)
    manifest.commit(name, [], [], 0)
