"""``kcm ingest``: article files in, one JSON object of places, dates and candidate events per file out.

With ``--append EVENTS`` the candidates at or above ``--min-confidence`` that have a date are validated and
appended atomically to the events file (through :func:`geodata.events.append_events`), with the source
recorded: the file name, the publication date and the language; ``place_as_written`` is the mention.
Candidates the file holds already (same place, type, date and source: the article accepted twice) are skipped
and named on stderr. ``append_events`` checks for them under its file lock (``skip_duplicates``), so two accepts
of the same article at the very same moment save it once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import repeat
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from geodata.errors import ArticleError, EventValidationError, GeodataError, InputError
from geodata.extract import CandidateEvent, Extraction, extract_article, read_article

if TYPE_CHECKING:
    import geopandas as gpd

    from geodata.events import AppendResult

EXIT_OK = 0
EXIT_PROBLEM = 1
_BAR_WIDTH = 24


def _progress(done: int, total: int, name: str, stream: IO[str]) -> None:
    """Draw a one-line progress bar on ``stream`` (stderr), redrawn in place."""
    filled = _BAR_WIDTH * done // max(1, total)
    shown = name if len(name) <= 40 else "…" + name[-39:]
    stream.write(f"\r[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {done}/{total} {shown:<40}")
    if done == total:
        stream.write("\n")
    stream.flush()


DEFAULT_MIN_CONFIDENCE = 0.5
# The columns a reviewer may change before saving (the Add-article page's table); the others come from the article.
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


def ticked_by_default(event: CandidateEvent, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> bool:
    """Return whether a candidate is accepted unless a reviewer says otherwise: it has a date and enough confidence."""
    return event.event_date is not None and event.confidence >= min_confidence


def candidate_rows(extraction: Extraction, *, source: str, source_url: str = "") -> list[dict[str, Any]]:
    """Return every candidate of ``extraction`` as an events-file row (id empty), with the source recorded."""
    return [
        event.to_row(source=source, source_date=extraction.published, source_lang=extraction.lang)
        | {"source_url": source_url}
        for event in extraction.events
    ]


def _cell(value: object) -> str:
    """Return an edited table cell as events-file text (dates ISO; empty, NaN and NaT as "")."""
    if value is None or value != value:  # NaN and NaT: the values unequal to themselves
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, date) else str(value)


def accepted_rows(
    extraction: Extraction,
    *,
    source: str,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    source_url: str = "",
    edits: Sequence[Mapping[str, object]] | None = None,
) -> tuple[list[dict[str, Any]], list[CandidateEvent]]:
    """Return the events-file rows of the candidates to accept, and the candidates left out.

    Without ``edits`` (``kcm ingest --append``), a candidate is accepted when it has a date and at least
    ``min_confidence``. With ``edits`` (the Add-article page), one mapping per candidate, in order: its ``accept``
    says whether it is saved, and its :data:`EDITABLE_COLUMNS` replace the extracted values; the other columns
    (source, ``place_as_written``, ...) stay those of the article, so a reviewer cannot lose them by accident.

    Parameters
    ----------
    extraction
        What :func:`geodata.extract.extract_article` found.
    source
        The citation recorded in ``source`` (e.g. the article's file name).
    min_confidence
        Without ``edits``: candidates below this confidence are left out.
    source_url
        Recorded in ``source_url``.
    edits
        The reviewed table, one row per candidate of ``extraction.events``.

    Raises
    ------
    InputError
        If ``edits`` does not have one row per candidate.
    """
    base = candidate_rows(extraction, source=source, source_url=source_url)
    if edits is not None and len(edits) != len(base):
        raise InputError(f"the reviewed table has {len(edits)} row(s) for {len(base)} candidate event(s)")
    rows: list[dict[str, Any]] = []
    left_out: list[CandidateEvent] = []
    for k, (event, row) in enumerate(zip(extraction.events, base, strict=True)):
        edit = edits[k] if edits is not None else None
        accept = bool(edit.get("accept")) if edit is not None else ticked_by_default(event, min_confidence)
        if not accept:
            left_out.append(event)
            continue
        if edit is not None:
            row |= {name: _cell(edit[name]) for name in EDITABLE_COLUMNS if name in edit}
        rows.append(row)
    return rows, left_out


def existing_events(events_path: str | Path | None) -> gpd.GeoDataFrame | None:
    """Load the events file with :func:`geodata.events.load_events`; None when it is missing or empty.

    Raises
    ------
    EventValidationError
        If the file is invalid (appending to it would fail the same way).
    """
    from geodata.events import load_events
    from geodata.settings import get_settings

    path = Path(events_path) if events_path is not None else get_settings().events_path
    if not path.exists() or path.stat().st_size == 0:
        return None
    return load_events(path)


def duplicates_message(repeated: Sequence[tuple[int, str]], events_path: str | Path) -> str:
    """Return ``N candidate(s) already in FILE: kcm-0063, ...`` for the rows skipped as repeats.

    ``repeated`` is :attr:`geodata.events.AppendResult.repeated`: (row, id of the saved event it repeats).
    """
    ids = ", ".join(dict.fromkeys(event_id for _, event_id in repeated))
    return f"{len(repeated)} candidate(s) already in {events_path}: {ids} (not saved again)"


def fill_controllers(
    rows: list[dict[str, Any]],
    events_path: str | Path | None,
    *,
    events: gpd.GeoDataFrame | None = None,
) -> list[str]:
    """Fill a control change's missing ``controller_before`` from the events file's control state, in place.

    The article named who took the place but not who held it; the control state of the events file the
    day before says who did. The filled value is noted in ``notes``. Rows whose holder is unknown there too are
    reported (one message each) and removed from ``rows``, since a control change needs both controllers.

    Parameters
    ----------
    rows
        Events-file rows (``event_date`` ISO), changed in place.
    events_path
        The events file (``None``: the setting); read only when a row needs it and ``events`` is not given.
    events
        The events file already loaded (:func:`existing_events`), to save reading it again.

    Returns
    -------
    list of str
        A message per row left out.
    """
    from datetime import date, timedelta

    needing = [r for r in rows if r.get("event_type") == "control_change" and not r.get("controller_before")]
    if not needing:
        return []
    from geodata.control import control_as_of

    state: dict[tuple[str, str], str | None] = {}
    if events is None:
        events = existing_events(events_path)
    messages: list[str] = []
    for row in needing:
        day = date.fromisoformat(row["event_date"]) - timedelta(days=1)
        key = (row["place_id"], day.isoformat())
        if key not in state:
            holder = None
            if events is not None:
                table = control_as_of(events, day)
                match = table[table["place_id"] == row["place_id"]]
                if len(match) and match["controller"].iloc[0]:
                    holder = str(match["controller"].iloc[0])
            state[key] = holder
        holder = state[key]
        if holder is None or holder == row.get("controller_after"):
            messages.append(
                f"control change at {row['place_id']} on {row['event_date']} left out: the article does not say "
                "who held the place before, and the events file does not know either"
            )
            rows.remove(row)
            continue
        row["controller_before"] = holder
        row["notes"] = (row.get("notes") or "") + f" | controller_before from the control state as of {day}"
    return messages


@dataclass(frozen=True)
class Saved:
    """What saving accepted rows did: the append result, and one message per row left out."""

    result: AppendResult
    left_out: tuple[str, ...]


def save_rows(
    rows: list[dict[str, Any]], events_path: str | Path, *, source_note: str | None = None
) -> Saved:
    """Save accepted rows: fill missing ``controller_before`` (:func:`fill_controllers`), then append.

    ``append_events`` skips the rows the file holds already, checked under its file lock, so two sessions
    accepting the same article at once save it once. ``rows`` loses the rows left out (in place).

    Raises
    ------
    EventValidationError
        If the rows would make the events file invalid; nothing is written then.
    """
    from geodata.events import AppendResult, append_events

    left_out = fill_controllers(rows, events_path)
    if not rows:
        return Saved(AppendResult(()), tuple(left_out))
    result = append_events(rows, events_path, source_note=source_note, skip_duplicates=True)
    return Saved(result, tuple(left_out))


def _write(obj: dict[str, Any], *, indent: bool, out: IO[bytes]) -> None:
    option = orjson.OPT_INDENT_2 if indent else 0
    out.write(orjson.dumps(obj, option=option) + b"\n")
    out.flush()


def _append(path: Path, extraction: Extraction, args: argparse.Namespace, err: IO[str]) -> bool:
    rows, left_out = accepted_rows(extraction, source=path.name, min_confidence=args.min_confidence)
    if left_out:
        undated = sum(1 for e in left_out if e.event_date is None)
        print(
            f"kcm ingest: {path}: left out {len(left_out)} candidate(s) "
            f"({undated} without a date, {len(left_out) - undated} below confidence {args.min_confidence})",
            file=err,
        )
    if not rows:
        return True
    try:
        saved = save_rows(rows, args.append, source_note=path.name)
    except EventValidationError as exc:
        for problem in exc.problems:
            print(f"kcm ingest: {path}: {problem}", file=err)
        return False
    for message in saved.left_out:
        print(f"kcm ingest: {path}: {message}", file=err)
    if saved.result.repeated:
        print(f"kcm ingest: {path}: {duplicates_message(saved.result.repeated, args.append)}", file=err)
    if saved.result.ids:
        ids = ", ".join(saved.result.ids)
        print(
            f"kcm ingest: {path}: appended {len(saved.result.ids)} event(s) to {args.append}: {ids}", file=err
        )
    return True


PARALLEL_FILES = 200  # from this many files on, ``kcm ingest`` uses every idle core by default


def default_workers(files: int) -> int:
    """Return how many processes ``kcm ingest`` of ``files`` files uses without ``--workers``.

    One for fewer than :data:`PARALLEL_FILES` files (starting the processes costs more than it saves). Otherwise
    every idle core this process may run on: its cores less the load average of the last minute, at least one.
    On a machine busy with other work, more processes only compete for the same cores (measured: 2 workers on 2
    cores at a load of 5 took 1.16× the time of one).
    """
    if files < PARALLEL_FILES:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        busy = int(os.getloadavg()[0])
    except (AttributeError, OSError):  # no load average on this system
        busy = 0
    return max(1, cores - busy)


def _extract_file(path: Path, published: date | None, lang: str | None) -> Extraction | str:
    """Read and extract one article file; the error message instead when it cannot be read or extracted."""
    try:
        return extract_article(read_article(path), published=published, lang=lang)
    except (ArticleError, GeodataError) as exc:
        return str(exc)


def _extractions(
    files: Sequence[Path], published: date | None, lang: str | None, workers: int
) -> Iterator[Extraction | str]:
    """Yield each file's extraction (or error message) in order, over ``workers`` processes when more than one.

    The first file is extracted here, so that the forked processes inherit the loaded gazetteer and indexes;
    everything else (JSON, warnings, ``--append``) stays in this process, in file order.
    """
    if workers <= 1 or len(files) < 2:
        yield from (_extract_file(path, published, lang) for path in files)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    yield _extract_file(files[0], published, lang)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    rest = files[1:]
    chunk = max(1, min(32, len(rest) // (workers * 8)))
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        yield from pool.map(_extract_file, rest, repeat(published), repeat(lang), chunksize=chunk)


def run_ingest(args: argparse.Namespace) -> int:
    """Run ``kcm ingest FILE... [--published DATE] [--lang ar|en|auto] [--json] [--append EVENTS] [--workers N]``.

    Each file gives one JSON object on stdout (``{published, places, dates, events}``; with several files, each
    object also names its ``file``). A file that cannot be read gives one line on stderr; the other files are
    still processed, and the exit code is 1. The extraction runs over ``--workers`` processes (default:
    :func:`default_workers`); the output is the same, in the same order.
    """
    files: Sequence[Path] = args.files
    lang = None if args.lang in (None, "auto") else args.lang
    out = sys.stdout.buffer
    err = sys.stderr
    many = len(files) > 1
    status = EXIT_OK
    workers = getattr(args, "workers", None) or default_workers(len(files))
    results = _extractions(files, args.published, lang, workers)
    for n, (path, extraction) in enumerate(zip(files, results, strict=True), start=1):
        if isinstance(extraction, str):
            if many:
                err.write("\n")
            print(f"kcm ingest: {extraction}", file=err)
            status = EXIT_PROBLEM
        else:
            obj = extraction.to_dict()
            if many:
                obj = {"file": str(path), **obj}
            _write(obj, indent=args.json, out=out)
            for warning in extraction.warnings:
                print(f"kcm ingest: {path}: {warning}", file=err)
            if args.append is not None and not _append(path, extraction, args, err):
                status = EXIT_PROBLEM
        if many:
            _progress(n, len(files), str(path), err)
    return status
