"""Writers of events files: atomic save, locked append, update and withdraw with an append-only history.

This is the only module that writes ``events.csv``; every write goes through a temporary file and a rename.
"""

from __future__ import annotations

import csv
import glob
import io
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geodata.errors import EventValidationError, ExportError, InputError
from geodata.store.csv_reader import _table_from_file
from geodata.store.rules import _check_table
from geodata.store.schema import (
    _cell,
    _gazetteer,
    _normalise,
    _resolve,
    _Table,
    _table_from_frame,
    frame_cells,
)
from geodata.vocab import (
    EVENT_COLUMNS,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from geodata.gazetteer import Gazetteer

log = logging.getLogger(__name__)


HISTORY_SUFFIX = ".history.csv"
HISTORY_COLUMNS: tuple[str, ...] = (*EVENT_COLUMNS, "superseded_at")


LOCK_TIMEOUT_S = 60.0
# A temporary file this old belongs to no live writer (an export of 10M events takes a few minutes).
STALE_TEMP_S = 6 * 3600
_ID_NUMBER = re.compile(r"^kcm-(\d+)$")


def save_events(gdf: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write events atomically (temp file in the same folder + rename): CSV, or GeoParquet for ``.parquet``.

    CSV is UTF-8 without BOM, in :data:`~geodata.vocab.EVENT_COLUMNS` order, with ISO dates.
    """
    target = Path(path)
    if target.suffix.lower() == ".parquet":
        with atomic_path(target) as tmp:
            gdf.to_parquet(tmp, index=False)
        return target
    cells = frame_cells(gdf)
    n = len(gdf)
    rows = [[cells[name][i] if name in cells else "" for name in EVENT_COLUMNS] for i in range(n)]
    _write_csv_rows(target, EVENT_COLUMNS, rows)
    return target


def _write_csv_rows(target: Path, header: Iterable[str], rows: Iterable[list[str]]) -> None:
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(list(header))
        writer.writerows(rows)


@contextmanager
def atomic_path(target: Path, *, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it over ``target``.

    A symlink is followed: the file it points to is replaced, and the link stays. Temporary files of this target
    left by a killed writer (older than :data:`STALE_TEMP_S`) are removed first.

    On any error the temporary file is removed and ``target`` is left as it was. With ``durable`` (the default,
    and always for events files) the data is fsync'ed before the rename, so that even a power cut cannot leave
    an empty file; derived exports skip that, as their readers only need never to see a half-written file.
    """
    target = real_path(target)
    _sweep_stale_temps(target)
    # the temporary file keeps the target's extension, for writers (GDAL) that choose a driver by it
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if durable:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def real_path(path: str | os.PathLike[str]) -> Path:
    """Return the path with symlinks resolved (the file a writer must replace, and the one its lock is named for)."""
    target = Path(path)
    return target.resolve() if target.is_symlink() or target.parent.is_symlink() else target


def _sweep_stale_temps(target: Path) -> None:
    """Remove temporary files of ``target`` that a killed writer left behind (older than :data:`STALE_TEMP_S`)."""
    pattern = f".{glob.escape(target.stem)}.*.tmp{glob.escape(target.suffix)}"
    for old in remove_older_than(target.parent, pattern, STALE_TEMP_S):
        log.info("removed %s, left by an interrupted write", old)


def remove_older_than(folder: Path, pattern: str, seconds: float) -> list[Path]:
    """Remove the files of ``folder`` matching ``pattern`` last modified over ``seconds`` ago; return them.

    Files that vanish or cannot be removed meanwhile (another process sweeping) are skipped.
    """
    import time

    cutoff = time.time() - seconds
    removed: list[Path] = []
    for old in folder.glob(pattern):
        try:
            if old.is_file() and old.stat().st_mtime < cutoff:
                old.unlink()
                removed.append(old)
        except OSError:
            continue
    return removed


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    import filelock

    lock = filelock.FileLock(str(real_path(path)) + ".lock", timeout=LOCK_TIMEOUT_S)
    try:
        with lock:
            yield
    except filelock.Timeout as e:
        raise InputError(
            f"{path}: could not lock {lock.lock_file} within {LOCK_TIMEOUT_S:g} s; is another writer stuck?"
        ) from e


def _read_for_update(path: Path) -> _Table:
    """Read the current file for a read-modify-write; a missing file is an empty table."""
    if not path.exists():
        return _Table(str(path), {c: [] for c in EVENT_COLUMNS}, [])
    if path.suffix.lower() == ".parquet":
        raise InputError(f"{path}: append/update work on CSV events files; convert with save_events first")
    table = _table_from_file(path)
    # read-modify-write edits cells in place: plain lists, whichever reader produced the table
    table.columns = {name: list(cells) for name, cells in table.columns.items()}
    return table


def _rows_frame(rows: Iterable[Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    if isinstance(rows, pd.DataFrame):
        return rows
    records = [dict(r) for r in rows]
    return pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=list(EVENT_COLUMNS))


def next_event_ids(existing: Iterable[str], count: int) -> list[str]:
    """Return ``count`` new ids ``kcm-NNNN`` after the highest ``kcm-`` number in ``existing``."""
    top = 0
    for eid in existing:
        m = _ID_NUMBER.match(eid)
        if m:
            top = max(top, int(m.group(1)))
    return [f"kcm-{k:04d}" for k in range(top + 1, top + 1 + count)]


@dataclass(frozen=True)
class AppendResult:
    """What :func:`append_events` did.

    Attributes
    ----------
    ids
        The ids of the appended rows, in the order given.
    repeated
        ``(position in the rows given, id of the saved event it repeats)`` for each row skipped as a repeat
        (only with ``skip_duplicates``), in the order given.
    """

    ids: tuple[str, ...]
    repeated: tuple[tuple[int, str], ...] = ()


def append_events(
    rows: Iterable[Mapping[str, Any]] | pd.DataFrame,
    path: str | os.PathLike[str] | None = None,
    *,
    source_note: str | None = None,
    skip_duplicates: bool = False,
    gazetteer: Gazetteer | None = None,
) -> AppendResult:
    """Validate ``rows`` and append them to an events CSV, atomically and under a file lock.

    Parameters
    ----------
    rows
        Mappings (or a frame) with event columns; missing columns are empty. An empty ``event_id`` gets the next
        ``kcm-NNNN``; empty ``place``/``place_ar``/``admin1`` are filled from the gazetteer.
    path
        The events file (created with a header if missing); ``None`` means the setting.
    source_note
        Used as ``source`` for rows that have none (e.g. the article file they were extracted from).
    skip_duplicates
        Leave out the rows that repeat an event of the file: same ``place_id``, ``event_type``, ``event_date``
        and ``source`` (the same article accepted twice). The check runs under the lock, on the file as it is
        then, so two simultaneous appends of the same rows save them once. Rows are not compared with each other.
    gazetteer
        Where place ids resolve; ``None`` means the packaged gazetteer.

    Returns
    -------
    AppendResult
        The ids of the appended rows, and the rows skipped as repeats with the ids of the events they repeat.

    Raises
    ------
    EventValidationError
        If the file with the new rows would be invalid; the file is left untouched. New rows are reported at
        the lines they would have had.
    """
    target = _resolve(path)
    gaz = gazetteer or _gazetteer()
    new = _rows_frame(rows)
    if len(new) == 0:
        return AppendResult(())
    with _locked(target):
        table = _read_for_update(target)
        last_line = _last_line(target, table)
        added = _table_from_frame(new, str(target), first_line=last_line + 1)
        if source_note:
            added.columns["source"] = [
                s or _normalise(source_note, "source") for s in added.columns["source"]
            ]
        repeated: list[tuple[int, str]] = []
        if skip_duplicates:
            added, repeated = _without_repeats(table, added)
            if not len(added):
                log.info("nothing appended to %s: %d row(s) repeat saved events", target, len(repeated))
                return AppendResult((), tuple(repeated))
        cols = added.columns
        missing = [i for i, eid in enumerate(cols["event_id"]) if not eid]
        for i, eid in zip(
            missing, next_event_ids(table.columns["event_id"] + cols["event_id"], len(missing)), strict=True
        ):
            cols["event_id"][i] = eid
        _fill_names(cols, gaz)
        merged = _concat_tables(table, added)
        problems, _ = _check_table(merged, gaz)
        if problems:
            raise EventValidationError(problems)
        _write_table(target, merged)
    log.info("appended %d event(s) to %s (%d repeat(s) skipped)", len(added), target, len(repeated))
    return AppendResult(tuple(cols["event_id"]), tuple(repeated))


# The columns that make a row a repeat of a saved event: the same article accepted twice.
REPEAT_KEY: tuple[str, ...] = ("place_id", "event_type", "event_date", "source")


def _without_repeats(saved: _Table, added: _Table) -> tuple[_Table, list[tuple[int, str]]]:
    """Drop the rows of ``added`` that repeat an event of ``saved`` (equal :data:`REPEAT_KEY` cells).

    Returns ``added`` without them (renumbered from its first line) and ``(position in added, saved id)`` for each.
    """
    wanted = {key for key in zip(*(added.columns[name] for name in REPEAT_KEY), strict=True) if key[2]}
    known: dict[tuple[str, ...], str] = {}
    saved_keys = zip(*(saved.columns[name] for name in REPEAT_KEY), strict=True)
    for key, event_id in zip(saved_keys, saved.columns["event_id"], strict=True):
        if key in wanted:
            known.setdefault(key, event_id)
    keep: list[int] = []
    repeated: list[tuple[int, str]] = []
    for pos, key in enumerate(zip(*(added.columns[name] for name in REPEAT_KEY), strict=True)):
        if key in known:
            repeated.append((pos, known[key]))
        else:
            keep.append(pos)
    if not repeated:
        return added, []
    columns = {name: [cells[k] for k in keep] for name, cells in added.columns.items()}
    first = added.lines[0]
    return _Table(added.source, columns, list(range(first, first + len(keep))), added.problems), repeated


def _last_line(path: Path, table: _Table) -> int:
    if not path.exists():
        return 1
    if not table.lines:
        return 1
    return table.lines[-1]


def _fill_names(cols: dict[str, list[str]], gaz: Gazetteer) -> None:
    for i, pid in enumerate(cols["place_id"]):
        if pid and pid in gaz:
            place = gaz.get(pid)
            for name, value in (("place", place.name), ("place_ar", place.name_ar), ("admin1", place.admin1)):
                if not cols[name][i]:
                    cols[name][i] = value


def _concat_tables(a: _Table, b: _Table) -> _Table:
    return _Table(
        a.source,
        {name: a.columns[name] + b.columns[name] for name in EVENT_COLUMNS},
        a.lines + b.lines,
        a.problems + b.problems,
    )


def _write_table(target: Path, table: _Table) -> None:
    rows = [[table.columns[name][i] for name in EVENT_COLUMNS] for i in range(len(table))]
    _write_csv_rows(target, EVENT_COLUMNS, rows)


def update_event(
    path: str | os.PathLike[str] | None,
    event_id: str,
    changes: Mapping[str, Any],
    *,
    reason: str,
    gazetteer: Gazetteer | None = None,
) -> dict[str, str]:
    """Correct one event in place; its id never changes.

    The previous version is appended to ``<stem>.history.csv`` beside the file (append-only, with the time it was
    superseded); the row gets ``updated_at`` (UTC) and ``update_reason``. The whole file is validated before
    it is replaced atomically, under the same lock as :func:`append_events`. The history is appended first, so
    that no version is ever lost, even by a crash between the two writes.

    Returns
    -------
    dict
        The new version of the row, as CSV cells.
    """
    target = _resolve(path)
    if not reason or not reason.strip():
        raise InputError(f"{target}: a reason is required to change event {event_id!r}")
    if "event_id" in changes and _cell(changes["event_id"]) != event_id:
        raise InputError(
            f"{target}: event ids never change (asked to change {event_id!r} to {changes['event_id']!r})"
        )
    unknown = sorted(set(changes) - set(EVENT_COLUMNS))
    if unknown:
        raise InputError(f"{target}: unknown column(s) {', '.join(unknown)} in the changes to {event_id!r}")
    gaz = gazetteer or _gazetteer()
    with _locked(target):
        table = _read_for_update(target)
        try:
            i = table.columns["event_id"].index(event_id)
        except ValueError:
            raise InputError(f"{target}: no event with id {event_id!r}") from None
        before = {name: table.columns[name][i] for name in EVENT_COLUMNS}
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for name, value in changes.items():
            table.columns[name][i] = _normalise(_cell(value), name)
        table.columns["updated_at"][i] = now
        table.columns["update_reason"][i] = _normalise(reason, "update_reason")
        problems, _ = _check_table(table, gaz)
        if problems:
            raise EventValidationError(problems)
        # the previous version is recorded before it is replaced: a crash between the two can leave a history
        # row for a change that did not happen (the row is then still current), never a lost version
        _append_history(target, before, now)
        _write_table(target, table)
    log.info("updated %s in %s: %s", event_id, target, reason)
    return {name: table.columns[name][i] for name in EVENT_COLUMNS}


def withdraw_event(
    path: str | os.PathLike[str] | None, event_id: str, *, reason: str, gazetteer: Gazetteer | None = None
) -> dict[str, str]:
    """Withdraw an event: ``status`` becomes ``withdrawn``; the row stays, with its id, reason and history."""
    return update_event(path, event_id, {"status": "withdrawn"}, reason=reason, gazetteer=gazetteer)


def history_path(path: str | os.PathLike[str]) -> Path:
    """Return the append-only history file that belongs to an events file (``<stem>.history.csv``)."""
    p = Path(path)
    return p.with_name(p.stem + HISTORY_SUFFIX)


def _append_history(target: Path, row: Mapping[str, str], superseded_at: str) -> None:
    hist = history_path(target)
    new = not hist.exists() or hist.stat().st_size == 0
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if new:
        writer.writerow(HISTORY_COLUMNS)
    writer.writerow([row.get(name, "") for name in EVENT_COLUMNS] + [superseded_at])
    with open(hist, "a", encoding="utf-8", newline="") as fh:
        fh.write(buf.getvalue())
        fh.flush()
        os.fsync(fh.fileno())


def read_history(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Return the previous versions recorded for an events file, oldest first (empty if none)."""
    hist = history_path(path)
    if not hist.exists():
        return []
    with open(hist, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


SCHEMA_KEY = b"kcm_schema"
SCHEMA_VALUE = b"events/1"
# Small row groups let a date predicate skip most of a file by its min/max statistics.
ROW_GROUP_ROWS = 65_536
PARTITIONS: dict[str, str] = {"month": "%Y-%m", "year": "%Y"}
# Columns written without a dictionary: an id is unique by rule, and coordinates and geometries nearly so. Trying
# one cost 0.8 s of the 1.7 s CPU it took to write a million synthetic events, and left those columns larger.
PLAIN_COLUMNS = frozenset({"event_id", "latitude", "longitude", "geometry"})


def _arrow_table(gdf: gpd.GeoDataFrame) -> object:
    """Convert events to an Arrow table with GeoParquet ("geo") and our schema metadata."""
    from geopandas.io.arrow import _geopandas_to_arrow

    columns = [c for c in EVENT_COLUMNS if c in gdf.columns] + ["geometry"]
    table = _geopandas_to_arrow(gdf[columns], index=False)
    return table.replace_schema_metadata({**(table.schema.metadata or {}), SCHEMA_KEY: SCHEMA_VALUE})


def _write_file(gdf: gpd.GeoDataFrame, path: Path) -> None:
    _write_arrow(_arrow_table(gdf), path)


def _write_arrow(table: Any, path: Path) -> None:
    import pyarrow.parquet as pq

    dictionary = [name for name in table.column_names if name not in PLAIN_COLUMNS]
    pq.write_table(table, path, row_group_size=ROW_GROUP_ROWS, compression="zstd", use_dictionary=dictionary)


def save_table(table: Any, path: str | os.PathLike[str]) -> Path:
    """Write a stored Arrow table (:func:`~geodata.store.table_builder.build_table`) as GeoParquet, atomically."""
    target = Path(path)
    with atomic_path(target) as tmp:
        _write_arrow(table, tmp)
    return target


def save_geoparquet(gdf: gpd.GeoDataFrame, path: str | os.PathLike[str]) -> Path:
    """Write events (as :func:`~geodata.events.load_events` gives them) to one GeoParquet file, atomically."""
    target = Path(path)
    with atomic_path(target) as tmp:
        _write_file(gdf, tmp)
    return target


def partition_labels(dates: pd.Series, by: str) -> pd.Series:
    """Return each event's partition value (``2017-10`` for ``month``) from its ``event_date``."""
    if by not in PARTITIONS:
        raise ExportError(f"unknown partitioning {by!r}; expected one of {', '.join(PARTITIONS)}")
    return dates.dt.strftime(PARTITIONS[by]).fillna("none")


def write_partitioned(
    frames: Iterable[gpd.GeoDataFrame], folder: str | os.PathLike[str], *, by: str = "month"
) -> int:
    """Write events as a folder of GeoParquet files in hive-style partitions (``month=2017-10/part-0.parquet``).

    ``frames`` are date-sorted chunks (one frame, or chunks streamed from a dataset); each chunk adds one file to
    each partition it touches. The folder is built beside ``folder`` and renamed into place only when complete;
    an existing ``folder`` must be empty or a dataset written by this function (it is then replaced).

    Returns
    -------
    int
        The number of events written.
    """
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise ExportError(f"cannot write a partitioned dataset to {target}: it is a file, not a folder")
    if not target.parent.is_dir():
        raise ExportError(f"cannot write {target}: the folder {target.parent} does not exist")
    if target.is_dir() and any(target.iterdir()) and not _is_partitioned(target, by):
        raise ExportError(
            f"{target} is not empty and is not a dataset partitioned by {by}: refusing to replace it"
        )
    build = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    total = 0
    try:
        for k, frame in enumerate(frames):
            labels = partition_labels(frame["event_date"], by)
            for value, rows in frame.groupby(labels.to_numpy(), sort=True):
                part = build / f"{by}={value}"
                part.mkdir(exist_ok=True)
                _write_file(rows, part / f"part-{k:05d}.parquet")
            total += len(frame)
        os.chmod(build, 0o755)
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
            os.replace(build, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(build, target)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return total


def _is_partitioned(folder: Path, by: str) -> bool:
    """Whether every entry of ``folder`` is a ``by=...`` partition folder."""
    return all(entry.is_dir() and entry.name.startswith(f"{by}=") for entry in folder.iterdir())
