"""Events queried in place with DuckDB: a GeoParquet file, a folder of them (hive partitions), or a CSV's copy.

Only what a view needs leaves the files: counts, grid-cell counts, per-day counts, a bounded page of rows, the
control rows that decide one day, or chunks streamed to an export. Date predicates are pushed down to Parquet
row-group statistics; every other filter condition is decided once per distinct value by the very rules of
:func:`geodata.filters.value_tests` and sent to the query as an ``IN`` list.
"""

from __future__ import annotations

import functools
import os
import stat
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geodata.errors import EventValidationError, InputError, Problem
from geodata.filters import EventFilter, ValueTest, value_tests
from geodata.grid import cell_index, grid_origin_and_cell
from geodata.settings import get_settings
from geodata.store.memory import NAME as SLIM_NAME
from geodata.store.memory import GridBlocks, Selection, SlimTable, load_slim
from geodata.vocab import CONTROL_TYPES, EVENT_COLUMNS, EVENT_TYPES, split_controller

if TYPE_CHECKING:
    import duckdb
    import geopandas as gpd

    from geodata.gazetteer import Gazetteer

# Distinct values are listed for the filter columns; the text columns are listed within the query's other
# conditions (they can hold a value per event).
_INLINE_VALUES = 64
_ORDER = "event_date, filename, file_row_number"
_FINITE = "isfinite(latitude) AND isfinite(longitude)"
_ORDER_DESC = "event_date DESC, filename DESC, file_row_number DESC"
_CONTROL_COLUMNS: tuple[str, ...] = (
    "event_id",
    "event_date",
    "event_type",
    "place_id",
    "place",
    "place_ar",
    "latitude",
    "longitude",
    "controller_before",
    "controller_after",
    "status",
)
# The rows of movements (with an origin): drawn as lines even when a window's events are counted per grid cell.
MOVEMENTS = "origin_place_id IS NOT NULL AND origin_place_id <> ''"
CHANGES_LISTED = 5
_CONTROL_ROWS = (
    "event_type IN ("
    + ", ".join(f"'{t}'" for t in CONTROL_TYPES)
    + ") AND status IS DISTINCT FROM 'withdrawn'"
)  # the latest changes per place that the map lists (geodata.maps._CHANGES_LISTED)


@dataclass(frozen=True)
class DatasetSummary:
    """What the widgets need to know about a dataset, from a few aggregate queries."""

    n_events: int
    first: date | None
    last: date | None
    max_span_days: int
    types: tuple[str, ...]
    actors: tuple[str, ...]
    places: dict[str, str]
    admin1s: tuple[str, ...]
    bounds: tuple[tuple[float, float], tuple[float, float]] | None


class EventDataset:
    """Read-only events in GeoParquet files, queried with an embedded DuckDB; safe to share between threads.

    Parameters
    ----------
    files
        GeoParquet files in our schema (written by :mod:`geodata.store.writers`), already validated.
    source
        What the user named (a CSV, a file or a folder), for messages.
    in_memory
        Read the columns the page filters and counts on into memory (:mod:`geodata.store.memory`), so that
        most queries read the rows of their window from there instead of scanning the files.
    """

    def __init__(self, files: Sequence[Path], source: str, *, in_memory: bool = True) -> None:
        import duckdb

        if not files:
            raise InputError(f"{source}: no GeoParquet files to read")
        self.files = tuple(Path(f) for f in files)
        self.source = source
        self._db = duckdb.connect(":memory:", config={"threads": os.cpu_count() or 2})
        self._db.execute(
            "SET memory_limit = '1GB'; SET preserve_insertion_order = false; SET parquet_metadata_cache = true"
        )
        spill = (
            get_settings().cache_dir / "duckdb-tmp"
        )  # where a large sort or group-by spills, never the cwd
        self._db.execute("SET temp_directory = ?", [str(spill)])
        self._days = [_date_range(f) for f in self.files]
        self._scan = _scan(self.files)
        names = {row[0] for row in self._query(f"DESCRIBE SELECT * FROM {self._scan}").fetchall()}
        missing = [c for c in (*EVENT_COLUMNS, "geometry") if c not in names]
        if missing:
            raise InputError(f"{source}: not in the events schema; missing column(s) {', '.join(missing)}")
        self._lock = threading.Lock()
        self._distinct: dict[str, list[str]] = {}
        self._slim = load_slim(self.files, _row_count(self.files)) if in_memory else None

    def _query(
        self, sql: str, params: Sequence[Any] | None = None, rows: Any = None, name: str = SLIM_NAME
    ) -> duckdb.DuckDBPyRelation:
        """Run one query on its own cursor; ``rows`` (an Arrow table) is what it calls ``name`` (kcm_slim)."""
        cursor = self._db.cursor()  # one cursor per query: connections are not shared between threads
        if rows is not None:
            cursor.register(name, rows)
        return cursor.sql(sql, params=list(params or ()))

    @functools.cached_property
    def summary(self) -> DatasetSummary:
        """Counts, date range, the values the filter widgets offer, and the extent of the events."""
        scan, rows = self._everything("event_date", "date_end", "latitude", "longitude")
        n, first, last, span, south, west, north, east = self._query(
            "SELECT count(*), min(event_date)::DATE, max(event_date)::DATE, "
            "coalesce(max(date_diff('day', event_date, date_end)), 0), "
            "min(latitude), min(longitude), max(latitude), max(longitude) "
            f"FROM {scan}",
            rows=rows,
        ).fetchall()[0]
        present = set(self.distinct("event_type"))
        actors: set[str] = set()
        for cell in self.distinct("actors"):
            for code in cell.split(";"):
                actors.update(split_controller(code.strip()))
        for name in ("controller_before", "controller_after"):
            for code in self.distinct(name):
                actors.update(split_controller(code))
        scan, rows = self._everything("place_id", "place", "place_ar", "event_date")
        rows = self._query(
            "SELECT place_id, arg_min(place, event_date), arg_min(place_ar, event_date) "
            f"FROM {scan} GROUP BY place_id",
            rows=rows,
        ).fetchall()
        places = {
            str(pid): " · ".join(str(v) for v in (name, name_ar) if v) or str(pid)
            for pid, name, name_ar in rows
        }
        bounds = None if south is None else ((float(south), float(west)), (float(north), float(east)))
        return DatasetSummary(
            n_events=int(n),
            first=first,
            last=last,
            max_span_days=max(0, int(span)),
            types=tuple(t for t in EVENT_TYPES if t in present),
            actors=tuple(sorted(actors)),
            places=dict(sorted(places.items(), key=lambda kv: kv[1].casefold())),
            admin1s=tuple(sorted(self.distinct("admin1"))),
            bounds=bounds,
        )

    def distinct(self, column: str) -> list[str]:
        """Return the distinct non-empty values of a column (cached; the dataset never changes)."""
        with self._lock:
            if column not in self._distinct:
                scan, rows = self._everything(column)
                rows = self._query(
                    f'SELECT DISTINCT "{column}" FROM {scan} WHERE "{column}" IS NOT NULL '
                    f"AND \"{column}\"::VARCHAR <> ''",
                    rows=rows,
                ).fetchall()
                self._distinct[column] = [str(r[0]) for r in rows]
            return self._distinct[column]

    def _window(self, flt: EventFilter) -> tuple[list[str], list[Any]]:
        """Return the SQL conditions of the date window: an event is in it when its span overlaps it."""
        where: list[str] = []
        params: list[Any] = []
        # timestamps, not dates: compared with a DATE, the stored timestamps would be cast row by row, and the
        # predicate could no longer skip row groups by their statistics
        if flt.date_to is not None:
            where.append("event_date <= ?")
            params.append(_midnight(bounded_day(flt.date_to)))
        if flt.date_from is not None:
            # the first condition lets Parquet statistics skip row groups; the second is the rule itself
            start = bounded_day(flt.date_from)
            where.append("event_date >= ? AND (event_date >= ? OR date_end >= ?)")
            earliest = _days_before(start, self.summary.max_span_days)
            params += [_midnight(earliest), _midnight(start), _midnight(start)]
        return where, params

    def _selected(self, flt: EventFilter | None, kind: str = "") -> np.ndarray | None:
        """Return the positions of the in-memory rows ``flt`` selects (in page order); None if not all held.

        ``kind`` adds one of the module's conditions: ``"movements"`` (:data:`MOVEMENTS`) or ``"changes"`` (the
        condition of :meth:`_changes_where`). The result is kept: a page asks several questions of one filter.
        """
        selection = self._selection(flt, kind)
        return None if selection is None else selection.rows

    def _selection(self, flt: EventFilter | None, kind: str = "") -> Selection | None:
        """Return the remembered :class:`Selection` behind :meth:`_selected` (None if not all held)."""
        slim = self._slim
        flt = flt or EventFilter()
        tests = value_tests(flt)
        if slim is None or not slim.holds(tests):
            return None
        return slim.remembered((flt, kind), lambda: self._select(slim, flt, tests, kind))

    def _select(self, slim: SlimTable, flt: EventFilter, tests: Sequence[ValueTest], kind: str) -> Selection:
        """Select with NumPy exactly the rows the SQL of :meth:`where` (and ``kind``) selects.

        The rows passing the value conditions are found once per filter (dates aside, :meth:`SlimTable.passing`);
        a window is then the passing rows of its run of dates, after the few earlier rows whose span reaches it.
        """
        low = high = start = None
        if flt.date_to is not None:
            high = _midnight(bounded_day(flt.date_to))
        if flt.date_from is not None:
            start = _midnight(bounded_day(flt.date_from))
            low = (
                start
                if kind == "changes"
                else _midnight(_days_before(start.date(), self.summary.max_span_days))
            )
        i, j = slim.span(low, high)
        values = replace(flt, date_from=None, date_to=None)
        passing = slim.passing((values, kind), lambda: _passing_mask(slim, tests, kind))
        k, head = i, np.zeros(0, dtype=np.int32)  # positions < MAX_ROWS: int32
        if start is not None and kind != "changes":
            # before the window's first day: the rows whose span reaches into it
            at = np.datetime64(start, "ns").astype(np.int64)
            k = i + int(np.searchsorted(slim.stamps[i:j], at, side="left"))
            head = passing.where(i + np.flatnonzero(slim.ends[i:k] >= at)).astype(np.int32)
        return Selection(head, (k, j), passing)

    def _files_of(self, rows: np.ndarray) -> tuple[str, list[Any]]:
        """Return the scan of the files that hold ``rows`` and the condition on their date span (with params)."""
        assert self._slim is not None
        codes, names = self._slim.codes("filename")
        held = [Path(str(names[c])) for c in np.unique(codes[rows])]
        stamps = self._slim.stamps[rows]
        span = [_from_ns(stamps.min()), _from_ns(stamps.max())] if len(rows) else [datetime.max, datetime.min]
        return _scan(held or self.files[:1]), span

    def _everything(self, *columns: str) -> tuple[str, Any]:
        """Return what a query over every event reads: the in-memory table when it holds ``columns``."""
        if self._slim is not None and set(columns) <= self._slim.columns:
            return SLIM_NAME, self._slim.table
        return self._scan, None

    def _value_condition(self, test: ValueTest, window: tuple[list[str], list[Any]]) -> tuple[str, list[Any]]:
        """Turn one filter condition into SQL: per column, the distinct values that pass, as an IN list."""
        parts: list[str] = []
        params: list[Any] = []
        for column, predicate in test.checks:
            values = [v for v in self._candidates(column, window) if predicate(v)]
            if not values:
                continue
            if len(values) <= _INLINE_VALUES:
                parts.append(f'"{column}" IN ({", ".join("?" * len(values))})')
                params += values
            else:
                parts.append(f'list_contains(?, "{column}")')
                params.append(values)
        if test.missing:
            column = test.checks[0][0]
            parts.append(f'("{column}" IS NULL OR "{column}"::VARCHAR = \'\')')
        return ("(" + " OR ".join(parts) + ")" if parts else "FALSE"), params

    def _candidates(self, column: str, window: tuple[list[str], list[Any]]) -> list[str]:
        """Return the values a predicate must judge: all distinct values, or for free text those in the window."""
        if column not in _FREE_TEXT:
            return self.distinct(column)
        where = [*window[0], f'"{column}" IS NOT NULL']
        sql = f'SELECT DISTINCT "{column}" FROM {self._scan} WHERE {" AND ".join(where)}'
        return [str(r[0]) for r in self._query(sql, window[1]).fetchall() if r[0]]

    def where(self, flt: EventFilter | None) -> tuple[str, list[Any]]:
        """Return the SQL ``WHERE`` clause (without the keyword) and its parameters for a filter."""
        flt = flt or EventFilter()
        window = self._window(flt)
        where, params = list(window[0]), list(window[1])
        for test in value_tests(flt):
            sql, values = self._value_condition(test, window)
            where.append(sql)
            params += values
        return " AND ".join(where) or "TRUE", params

    def _scan_for(self, flt: EventFilter | None) -> str:
        """Return the scan of the files that can hold events of the window (by their date statistics)."""
        if flt is None or (flt.date_from is None and flt.date_to is None):
            return self._scan
        low = _days_before(flt.date_from, self.summary.max_span_days) if flt.date_from else date.min
        return _scan(self._files_between(low, flt.date_to or date.max))

    # ------------------------------------------------------------ queries a view needs

    def count(self, flt: EventFilter | None = None) -> int:
        """Return how many events ``flt`` selects."""
        selection = self._selection(flt)
        if selection is not None:
            return selection.size
        where, params = self.where(flt)
        return int(
            self._query(f"SELECT count(*) FROM {self._scan_for(flt)} WHERE {where}", params).fetchall()[0][0]
        )

    def frame(
        self,
        flt: EventFilter | None = None,
        *,
        limit: int | None = None,
        columns: Sequence[str] | None = None,
        extra: str | None = None,
    ) -> gpd.GeoDataFrame:
        """Return the selected events as the typed GeoDataFrame of :func:`~geodata.events.load_events`.

        Rows come in date order (same-day rows in file order); ``limit`` caps them, ``columns`` narrows them,
        and ``extra`` adds an SQL condition (:data:`MOVEMENTS` is also decided in memory).
        """
        kind = "movements" if extra == MOVEMENTS else ""
        return self._frame(flt, extra, kind, limit=limit, columns=columns)

    def _frame(
        self,
        flt: EventFilter | None,
        extra: str | None,
        kind: str,
        *,
        limit: int | None = None,
        columns: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """Read the rows of :meth:`frame` from the files: only those holding them, and only their date span.

        The in-memory rows tell which rows are wanted (when ``extra`` is one of the module's ``kind``), else a
        top-N query finds the date of the last row wanted, so that the row query reads no later row group.
        """
        from geodata.store.frame import frame_from_arrow

        where, params = self.where(flt)
        if extra:
            where = f"({where}) AND ({extra})"
        wanted = list(columns) if columns is not None else [*EVENT_COLUMNS, "geometry"]
        select = ", ".join(f'"{c}"' for c in wanted)
        selection = self._selection(flt, kind) if kind or not extra else None
        if selection is not None:
            scan, span = self._files_of(selection.rows if limit is None else selection.first(int(limit)))
            where, params = f"({where}) AND event_date BETWEEN ? AND ?", [*params, *span]
        else:
            scan = self._scan_for(flt)
            if limit is not None:
                last = self._query(
                    f"SELECT event_date FROM {scan} WHERE {where} ORDER BY event_date LIMIT 1 OFFSET {int(limit) - 1}",
                    params,
                ).fetchall()
                if last:
                    where, params = f"({where}) AND event_date <= ?", [*params, last[0][0]]
        sql = f"SELECT {select} FROM {scan} WHERE {where} ORDER BY {_ORDER}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return frame_from_arrow(self._query(sql, params).to_arrow_table())

    def iter_frames(
        self, flt: EventFilter | None = None, *, chunk_rows: int = 50_000
    ) -> Iterator[gpd.GeoDataFrame]:
        """Yield the selected events in date order, in typed frames of at most ``chunk_rows`` rows (exports)."""
        import pyarrow as pa

        from geodata.store.frame import frame_from_arrow

        where, params = self.where(flt)
        select = ", ".join(f'"{c}"' for c in (*EVENT_COLUMNS, "geometry"))
        cursor = self._query(
            f"SELECT {select} FROM {self._scan_for(flt)} WHERE {where} ORDER BY {_ORDER}", params
        )
        reader = cursor.to_arrow_reader(chunk_rows)
        pending: list[Any] = []
        size = 0
        for batch in reader:
            pending.append(batch)
            size += batch.num_rows
            if size >= chunk_rows:
                yield frame_from_arrow(pa.Table.from_batches(pending))
                pending, size = [], 0
        if pending:
            yield frame_from_arrow(pa.Table.from_batches(pending))

    def extent(self, flt: EventFilter | None = None) -> tuple[int, tuple[float, float, float, float] | None]:
        """Return how many events ``flt`` selects and their (south, north, west, east) extent, in one pass."""
        selection = self._selection(flt)
        if selection is not None:
            return selection.size, self._extent_of(selection)
        where, params = self.where(flt)
        n, south, north, west, east = self._query(
            f"SELECT count(*), min(latitude) FILTER ({_FINITE}), max(latitude) FILTER ({_FINITE}), "
            f"min(longitude) FILTER ({_FINITE}), max(longitude) FILTER ({_FINITE}) "
            f"FROM {self._scan_for(flt)} WHERE {where}",
            params,
        ).fetchall()[0]
        return int(n), (None if south is None else (south, north, west, east))

    def grid(
        self,
        flt: EventFilter | None = None,
        *,
        extent: tuple[float, float, float, float] | None = None,
    ) -> dict[str, Any]:
        """Count the selected events per grid cell (:func:`geodata.grid.grid_origin_and_cell`), in the query.

        ``extent`` (from :meth:`extent`) saves the pass that finds it.
        """
        if extent is None:
            extent = self.extent(flt)[1]
        if extent is None:
            return {"cell": 0, "lat": [], "lon": [], "n": []}
        south, north, west, east = extent
        lat0, lon0, cell = grid_origin_and_cell(south, north, west, east)
        selected = self._selection(flt)
        if selected is not None:
            kept = self._slim.grid_blocks(selected.passing, lat0, lon0, cell) if selected.long_run() else None
            if kept is not None:
                return _grid_from_blocks(kept, selected.head, selected.run, lat0, lon0, cell)
            return _grid_cells(*self._located(selected), lat0, lon0, cell)
        where, params = self.where(flt)
        rows = self._query(
            f"SELECT CAST(floor((latitude - ?) / ?) AS BIGINT) AS iy, "
            f"CAST(floor((longitude - ?) / ?) AS BIGINT) AS ix, count(*) FROM {self._scan_for(flt)} "
            f"WHERE {where} AND {_FINITE} GROUP BY iy, ix ORDER BY iy, ix",
            [lat0, cell, lon0, cell, *params],
        ).fetchnumpy()
        return _cells(rows["iy"], rows["ix"], rows["count_star()"], lat0, lon0, cell)

    def _extent_of(self, selection: Selection) -> tuple[float, float, float, float] | None:
        """Return the (south, north, west, east) of the selected rows with finite coordinates (None: there are none).

        A long run of rows is answered from per-block extremes (:mod:`geodata.store.blocks`), plus its head rows.
        """
        slim = self._slim
        assert slim is not None
        if selection.long_run():
            lats, lons = slim.coord_blocks(selection.passing)
            head = selection.head
            head = head[slim.located[head]]
            ends = []
            for kept, values in zip((lats, lons), slim.coords, strict=True):
                low, high = kept.extremes(*selection.run)
                if len(head):
                    low, high = min(low, float(values[head].min())), max(high, float(values[head].max()))
                ends.append((low, high))
            (south, north), (west, east) = ends
            return None if south == np.inf else (south, north, west, east)
        lat, lon = self._located(selection)
        if not len(lat):
            return None
        return float(lat.min()), float(lat.max()), float(lon.min()), float(lon.max())

    def _located(self, selection: Selection) -> tuple[np.ndarray, np.ndarray]:
        """Return the latitudes and longitudes of the selected rows that are finite (both); kept with them."""
        assert self._slim is not None
        found = selection.derived.get("located")
        if found is None:
            rows = selection.rows
            lat, lon = (c[rows] for c in self._slim.coords)
            ok = np.isfinite(lat) & np.isfinite(lon)
            found = selection.derived["located"] = (lat, lon) if ok.all() else (lat[ok], lon[ok])
        return found

    def day_counts(self, flt: EventFilter | None = None) -> pd.DataFrame:
        """Return events per day and type (``day``, ``event_type``, ``count``), for the timeline."""
        selection = self._selection(flt)
        if selection is not None:
            slim = self._slim
            assert slim is not None
            keys, first, types = slim.day_types
            kept = slim.day_blocks(selection.passing) if selection.long_run() else None
            if kept is not None:
                counts = kept.count(*selection.run)
                counts += np.bincount(keys[selection.head], minlength=kept.size)[: kept.size]
                return _day_table(counts, first, types)
            rows = selection.rows
            return _day_table(np.bincount(keys[rows]) if len(rows) else np.zeros(0, np.int64), first, types)
        where, params = self.where(flt)
        return self._query(
            f"SELECT event_date::DATE::TIMESTAMP AS day, event_type::VARCHAR AS event_type, count(*) AS count "
            f"FROM {self._scan_for(flt)} WHERE {where} GROUP BY ALL ORDER BY day",
            params,
        ).df()

    # ------------------------------------------------------------ control state and changes

    def control_as_of(self, day: date) -> pd.DataFrame:
        """Return who held each place on ``day`` (as :func:`geodata.control.control_as_of` on the whole frame).

        The query keeps, per place, its rows of the latest day on or before ``day`` (several when they disagree),
        or else its first row after it; the same rules then run on that handful of rows.
        """
        from geodata.control import control_as_of

        bounded = bounded_day(day)
        rows = self.latest_control_rows(bounded)  # no geometry: the rules read coordinates, and rows without
        return control_as_of(pd.DataFrame(rows.drop(columns="geometry")), bounded)  # it iterate faster

    @functools.cached_property
    def _control_days(self) -> pd.DataFrame:
        """Each place's days with control rows (not withdrawn), by place and day: a small index, made once."""
        scan, rows = self._everything("place_id", "event_date", "event_type", "status")
        return self._query(
            f"SELECT place_id, event_date::DATE::TIMESTAMP AS day FROM {scan} WHERE {_CONTROL_ROWS} "
            "GROUP BY ALL ORDER BY place_id, day",
            rows=rows,
        ).df()

    def latest_control_rows(self, day: date) -> gpd.GeoDataFrame:
        """Per place: the control rows of its latest day on or before ``day``, else those of its first day after.

        The days come from a small per-place index; only the rows of those (place, day) pairs are read (from
        memory when the columns are held there).
        """
        from geodata.store.frame import frame_from_arrow

        slim = self._slim
        if slim is not None and slim.columns.issuperset(_CONTROL_COLUMNS):
            rows = slim.rows(_held_control_rows(slim, day), _CONTROL_COLUMNS)
            return frame_from_arrow(rows)
        index = self._control_days
        cut = np.datetime64(day, "D")
        before = index["day"].to_numpy().astype("datetime64[D]") <= cut
        past = index[before].groupby("place_id", sort=False)["day"].max()
        later = index[~before & ~index["place_id"].isin(past.index)]
        future = later.groupby("place_id", sort=False)["day"].min()
        pairs = pd.concat([past, future])
        keys = [f"{pid}|{when:%Y-%m-%d}" for pid, when in pairs.items()]
        days = sorted({when.date() for when in pairs})
        select = ", ".join(f'"{c}"' for c in _CONTROL_COLUMNS)
        scan = _scan(self._files_between(days[0], days[-1])) if days else self._scan
        # event_date IN (...) on the column itself reaches the row-group statistics: only the row groups that
        # hold those days are read; the pair check then runs on their rows
        stamps = [_midnight(d) for d in days] or [datetime.min]
        sql = (
            f"SELECT {select} FROM {scan} WHERE {_CONTROL_ROWS} "
            f"AND event_date IN ({', '.join('?' * len(stamps))}) "
            f"AND list_contains(?, place_id || '|' || strftime(event_date, '%Y-%m-%d')) ORDER BY {_ORDER}"
        )
        return frame_from_arrow(self._query(sql, [*stamps, keys]).to_arrow_table())

    def _files_between(self, low: date, high: date) -> list[Path]:
        """Return the files whose date statistics overlap ``low``..``high`` (all files without statistics)."""
        files = [
            f
            for f, (first, last) in zip(self.files, self._days, strict=True)
            if first is None or (first <= high and last >= low)
        ]
        return files or list(self.files[:1])

    def _changes_where(self, flt: EventFilter) -> tuple[EventFilter, str]:
        """Return the changes of control in the window: the filter but its types, dated in the window, not withdrawn."""
        narrowed = replace(flt, types=("control_change",))
        extra = "status IS DISTINCT FROM 'withdrawn'"
        if flt.date_from is not None:
            extra += f" AND event_date >= TIMESTAMP '{bounded_day(flt.date_from).isoformat()} 00:00:00'"
        return narrowed, extra

    def changes(
        self, flt: EventFilter, *, limit: int | None = None, columns: Sequence[str] | None = None
    ) -> gpd.GeoDataFrame:
        """Return the changes of control in the window of ``flt`` (and its other conditions but the types).

        ``columns`` narrows the rows (a table shows a few columns; reading fewer is faster).
        """
        narrowed, extra = self._changes_where(flt)
        return self._frame(narrowed, extra, "changes", limit=limit, columns=columns)

    def count_changes(self, flt: EventFilter) -> int:
        """Return how many changes of control :meth:`changes` would give."""
        narrowed, extra = self._changes_where(flt)
        selection = self._selection(narrowed, "changes")
        if selection is not None:
            return selection.size
        where, params = self.where(narrowed)
        sql = f"SELECT count(*) FROM {self._scan_for(narrowed)} WHERE ({where}) AND ({extra})"
        return int(self._query(sql, params).fetchall()[0][0])

    def latest_changes(self, flt: EventFilter, *, per_place: int = CHANGES_LISTED) -> gpd.GeoDataFrame:
        """Return the latest ``per_place`` changes of each place, with its total as ``n_changes`` (for the map).

        With the columns in memory, the totals and the very rows to read are found there, and only those rows
        are read (:meth:`_read_exact`). Otherwise one aggregate finds each place's total and the day of its
        ``per_place``-th latest change; only the rows from the earliest of those days on are then read in full.
        """
        from geodata.store.frame import frame_from_arrow

        narrowed, extra = self._changes_where(flt)
        where, params = self.where(narrowed)
        where = f"({where}) AND ({extra})"
        scan = self._scan_for(narrowed)
        k = int(per_place)
        selected = self._selected(narrowed, "changes")
        if selected is not None:
            counts, latest = self._place_totals(selected, k)
            frame = self._read_exact(latest, (*EVENT_COLUMNS, "geometry"))
        else:
            totals = self._query(
                f"SELECT place_id, count(*), list_min(max(event_date, {k})) FROM {scan} WHERE {where} "
                "GROUP BY place_id",
                params,
            ).fetchall()
            counts = {str(pid): int(n) for pid, n, _ in totals}
            since = min((row[2] for row in totals), default=None)
            if since is not None:
                where, params = f"{where} AND event_date >= ?", [*params, since]
            select = ", ".join(f'"{c}"' for c in (*EVENT_COLUMNS, "geometry"))
            sql = (
                f"SELECT {select} FROM {scan} WHERE {where} "
                f"QUALIFY row_number() OVER (PARTITION BY place_id ORDER BY {_ORDER_DESC}) <= {k} ORDER BY {_ORDER}"
            )
            frame = frame_from_arrow(self._query(sql, params).to_arrow_table())
        frame["n_changes"] = np.array([counts.get(str(p), 0) for p in frame["place_id"]], dtype=np.int64)
        return frame

    def _place_totals(self, rows: np.ndarray, k: int) -> tuple[dict[str, int], np.ndarray]:
        """Per place of ``rows``: its number of rows; and the positions of its ``k`` latest rows (all, ascending).

        The totals are one count over all rows; the latest rows are found in the last rows, taking more of them
        until every place has its ``k`` (or all its) rows among them.
        """
        slim = self._slim
        assert slim is not None
        if not len(rows):
            return {}, rows
        codes, places = slim.codes("place_id")
        totals = np.bincount(codes[rows], minlength=len(places))
        wanted = np.minimum(totals, k)
        tail = min(len(rows), 4 * k * int(np.count_nonzero(totals)))
        while True:
            last = codes[rows[len(rows) - tail :]]
            if tail == len(rows) or (np.bincount(last, minlength=len(places)) >= wanted).all():
                break
            tail = min(len(rows), 4 * tail)
        by_place = np.argsort(last, kind="stable")  # each place's last rows together, in date order
        grouped = last[by_place]
        ends = np.r_[np.flatnonzero(grouped[1:] != grouped[:-1]) + 1, len(last)]
        picked = [by_place[e - wanted[grouped[e - 1]] : e] for e in ends]  # the k latest of each place
        latest = rows[len(rows) - tail + np.sort(np.concatenate(picked))]
        return {str(places[c]): int(n) for c, n in enumerate(totals) if n}, latest

    def _read_exact(self, rows: np.ndarray, columns: Sequence[str]) -> gpd.GeoDataFrame:
        """Read exactly the rows at page positions ``rows`` from the files, joined on (file, row number).

        Only the files and the dates that hold them are scanned; the join leaves every other row unread.
        """
        import pyarrow as pa

        from geodata.store.frame import frame_from_arrow

        assert self._slim is not None
        scan, span = self._files_of(rows)
        held = self._slim.rows(rows, ("filename", "file_row_number"))
        keys = pa.table(
            {
                "filename": held.column("filename").cast(pa.string()),
                "file_row_number": held.column("file_row_number"),
            }
        )
        select = ", ".join(f'"{c}"' for c in columns)
        where = "event_date BETWEEN ? AND ?" if len(rows) else "FALSE"  # no rows: the columns alone
        sql = (
            f"SELECT {select} FROM {scan} SEMI JOIN {_ROWS_NAME} USING (filename, file_row_number) "
            f"WHERE {where} ORDER BY {_ORDER}"
        )
        params = span if len(rows) else []
        return frame_from_arrow(self._query(sql, params, rows=keys, name=_ROWS_NAME).to_arrow_table())

    def duplicate_ids(self, limit: int = 50) -> list[tuple[str, int]]:
        """Return ids that occur more than once across the files, with their counts (at most ``limit``)."""
        scan, rows = self._everything("event_id")
        rows = self._query(
            f"SELECT event_id, count(*) AS n FROM {scan} GROUP BY event_id HAVING n > 1 "
            f"ORDER BY event_id LIMIT {int(limit)}",
            rows=rows,
        ).fetchall()
        return [(str(eid), int(n)) for eid, n in rows]


_ROWS_NAME = "kcm_rows"  # the (file, row number) of rows to read exactly
_FREE_TEXT = frozenset({"summary", "notes", "source", "event_id", "update_reason"})


def bounded_day(day: date) -> date:
    """Bring a day into the span events can have (a day either side of DATE_MIN..DATE_MAX).

    No event lies outside that span, so a day beyond it selects and decides exactly as the nearest bound does;
    and it stays inside the nanosecond timestamps of the files and of pandas (9999-12-31 would overflow them).
    """
    from geodata.store.schema import DATE_MAX, DATE_MIN

    return min(max(day, DATE_MIN - timedelta(days=1)), DATE_MAX + timedelta(days=1))


def _midnight(day: date) -> datetime:
    """Return the first instant of a day, as the stored event dates are (timestamps at midnight)."""
    return datetime.combine(day, time.min)


def _days_before(day: date, days: int) -> date:
    """Return ``day`` minus ``days``, or the first representable day (a window may start at 0001-01-01)."""
    return day - timedelta(days=days) if day.toordinal() > days else date.min


def _cells(iy: Any, ix: Any, n: Any, lat0: float, lon0: float, cell: float) -> dict[str, Any]:
    """Return grid cells (their south-west corners, rounded) and counts, as the map takes them."""
    digits = 6
    return {
        "cell": cell,
        "lat": np.round(lat0 + np.asarray(iy) * cell, digits).tolist(),
        "lon": np.round(lon0 + np.asarray(ix) * cell, digits).tolist(),
        "n": np.asarray(n).astype(int).tolist(),
    }


def _grid_cells(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float, cell: float) -> dict[str, Any]:
    """Count points per grid cell as the SQL of :meth:`EventDataset.grid` does (the same float operations)."""
    if not len(lat):
        return _cells([], [], [], lat0, lon0, cell)
    iy, ix = cell_index(lat, lat0, cell), cell_index(lon, lon0, cell)
    y0, x0 = iy.min(), ix.min()
    width = int(ix.max() - x0) + 1
    iy -= y0
    iy *= width
    ix -= x0
    key = iy
    key += ix
    if int(key.max()) < 2_000_000:
        counts = np.bincount(key)
        cells = np.flatnonzero(counts)
        counts = counts[cells]
    else:  # cells spread wide: sort instead of a huge count array
        cells, counts = np.unique(key, return_counts=True)
    return _cells(y0 + cells // width, x0 + cells % width, counts, lat0, lon0, cell)


def _day_table(counts: np.ndarray, first: int, types: Sequence[str | None]) -> pd.DataFrame:
    """Return rows per day and type from counts per code ``day * len(types) + type`` (days from ``first``)."""
    day_ns = 86_400 * 10**9
    found = np.flatnonzero(counts)
    width = len(types)
    return pd.DataFrame(
        {
            "day": ((first + found // width) * day_ns).astype("datetime64[ns]").astype("datetime64[us]"),
            "event_type": np.array([types[k] for k in found % width], dtype=object),
            "count": counts[found].astype(np.int64),
        }
    )


def _grid_from_blocks(
    kept: GridBlocks, head: np.ndarray, run: tuple[int, int], lat0: float, lon0: float, cell: float
) -> dict[str, Any]:
    """Count rows per grid cell from per-block counts over ``run`` and the ``head`` rows' own cells."""
    size = kept.counts.size
    counts = kept.counts.count(*run)
    counts += np.bincount(kept.counts.keys[head], minlength=size + 1)[:size]
    cells = np.flatnonzero(counts)
    return _cells(
        kept.y0 + cells // kept.width, kept.x0 + cells % kept.width, counts[cells], lat0, lon0, cell
    )


def _held_control_rows(slim: SlimTable, day: date) -> np.ndarray:
    """Return the positions of each place's control rows of its latest day on or before ``day`` (else its first).

    As the SQL of :meth:`EventDataset.latest_control_rows`, on the in-memory columns: the control rows (not
    withdrawn) of each place are listed once, in page order; a day is then one binary search per place.
    """
    day_ns = 86_400 * 10**9
    found = slim.derived("control rows by place", lambda: _control_by_place(slim))
    cut = np.datetime64(day + timedelta(days=1), "ns").astype(np.int64)  # rows dated on or before ``day``
    picked = []
    for positions, stamps in found:
        at = int(np.searchsorted(stamps, cut, side="left"))
        first = (stamps[at - 1] if at else stamps[0]) // day_ns * day_ns  # that row's day
        lo, hi = np.searchsorted(stamps, [first, first + day_ns], side="left")
        picked.append(positions[lo:hi])
    return np.sort(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int32)


def _control_mask(slim: SlimTable) -> np.ndarray:
    """Return, over every row, whether it is a control row (a control type, not withdrawn)."""
    types = slim.where_value("event_type", lambda v: v in CONTROL_TYPES)[slim.codes("event_type")[0]]
    return types & slim.where_value("status", lambda v: v != "withdrawn")[slim.codes("status")[0]]


def _control_by_place(slim: SlimTable) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return, per place (with an id), the positions of its control rows and their dates, in page order."""
    positions = np.flatnonzero(_control_mask(slim)).astype(np.int32)
    codes, places = slim.codes("place_id")
    by_place = np.argsort(codes[positions], kind="stable")
    grouped = codes[positions][by_place]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if len(grouped) else []
    ends = np.r_[starts[1:], len(grouped)] if len(grouped) else []
    return [
        (positions[by_place[a:b]], slim.stamps[positions[by_place[a:b]]])
        for a, b in zip(starts, ends, strict=True)
        if places[grouped[a]] is not None  # no place id: no (place, day) pair to match, as in the SQL
    ]


def _passing_mask(slim: SlimTable, tests: Sequence[ValueTest], kind: str) -> np.ndarray:
    """Return, over every row, whether it passes the value conditions ``tests`` and the ``kind`` rule."""
    n = len(slim.stamps)
    keep = np.ones(n, dtype=bool)
    for test in tests:
        keep &= slim.allowed(test, 0, n)
    if kind:
        column, rule = _KIND_RULES[kind]
        keep &= slim.where_value(column, rule)[slim.codes(column)[0]]
    return keep


def _from_ns(value: Any) -> datetime:
    """Return int64 nanoseconds as a naive datetime (the stored event dates are whole days)."""
    return pd.Timestamp(int(value)).to_pydatetime()


_KIND_RULES: dict[str, tuple[str, Any]] = {
    "movements": ("origin_place_id", bool),
    "changes": ("status", lambda v: v != "withdrawn"),
}


def _columns_of(extra: str | None) -> tuple[str, ...]:
    """Return the columns an extra SQL condition names (the module's own conditions, such as :data:`MOVEMENTS`)."""
    if not extra:
        return ()
    return tuple(c for c in EVENT_COLUMNS if c in extra)


def _row_count(files: Sequence[Path]) -> int:
    """Return how many rows the files hold (from their footers)."""
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(f).num_rows for f in files)


def _scan(files: Sequence[Path]) -> str:
    """Return DuckDB's scan of GeoParquet files, with each row's file and position (for file order)."""
    listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
    return (
        f"read_parquet([{listed}], filename = true, file_row_number = true, union_by_name = true, "
        "hive_partitioning = false)"
    )


def _date_range(path: Path) -> tuple[date | None, date | None]:
    """Return the first and last ``event_date`` of a file from its row-group statistics (None if unknown)."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    if "event_date" not in names:
        return None, None
    k = names.index("event_date")
    lows, highs = [], []
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(k).statistics
        if stats is None or not stats.has_min_max:
            return None, None
        lows.append(stats.min)
        highs.append(stats.max)
    if not lows:
        return None, None
    return _as_date(min(lows)), _as_date(max(highs))


def _as_date(value: Any) -> date:
    import pandas as pd

    return pd.Timestamp(value).date()


# ---------------------------------------------------------------- opening a dataset


def dataset_files(path: Path) -> list[Path]:
    """Return the GeoParquet files of a dataset folder (recursively; hidden and ``_`` entries left out)."""
    files = [
        p
        for p in sorted(path.rglob("*.parquet"))
        if not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
    ]
    if not files:
        raise InputError(f"{path}: no .parquet files in this folder")
    return files


def is_ours(path: Path) -> bool:
    """Whether a GeoParquet file carries our schema marker (written by :mod:`geodata.store.writers`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from geodata.store.writers import SCHEMA_KEY, SCHEMA_VALUE

    try:
        metadata = pq.read_schema(path).metadata or {}
    except (pa.ArrowException, OSError):
        return False
    return metadata.get(SCHEMA_KEY) == SCHEMA_VALUE


def _check_files(files: list[Path], source: str, gazetteer: Gazetteer | None) -> EventDataset | None:
    """Validate files of our schema once (then stamp them); every problem is raised at once.

    Returns the dataset opened to look for ids repeated across files, if one was (to be used, not reopened).
    """
    from geodata.store.cache import content_digest, is_stamped, stamp, stamp_key
    from geodata.store.loader import validate_file

    digests = {f: content_digest(f) for f in files}
    together = stamp_key(list(digests.values()))
    if is_stamped(together):
        return None
    problems: list[Problem] = []
    for f, digest in digests.items():
        key = stamp_key([digest])
        if is_stamped(key):
            continue
        found = validate_file(f, gazetteer=gazetteer)
        if found:
            problems += found
        else:
            stamp(key)
    if problems:
        raise EventValidationError(problems)
    opened = None
    if len(files) > 1:
        opened = EventDataset(files, source)
        repeated = opened.duplicate_ids()
        if repeated:
            raise EventValidationError(
                [
                    Problem(source, None, "event_id", f"duplicate event_id: {n} rows across the files", eid)
                    for eid, n in repeated
                ]
            )
    stamp(together)
    return opened


def open_dataset(
    path: str | os.PathLike[str] | None = None, *, gazetteer: Gazetteer | None = None
) -> EventDataset:
    """Open events to query in place: a folder of GeoParquet files, one ``.parquet`` file, or a ``.csv``.

    Files in our schema are validated once (then remembered by content hash); any other file, and every CSV,
    is validated once and copied to the cache folder as GeoParquet (see :func:`geodata.store.cache.validated_copy`).

    Raises
    ------
    EventValidationError
        With every problem found (``FILE:LINE:COLUMN``); nothing is cached then.
    InputError
        A missing path, or a folder without GeoParquet files.
    """
    from geodata.store.cache import validated_copy

    resolved = Path(path) if path is not None else get_settings().events_path
    if not resolved.exists():
        raise InputError(f"events file not found: {resolved}")
    if not resolved.is_dir() and not stat.S_ISREG(resolved.stat().st_mode):
        raise InputError(f"{resolved}: not a regular file (a device, pipe or socket); give an events file")
    if resolved.is_dir():
        files = dataset_files(resolved)
        foreign = [f for f in files if not is_ours(f)]
        if foreign:
            raise InputError(
                f"{foreign[0]}: not a GeoParquet file of our events schema; write datasets with "
                "`kcm export --partition month`"
            )
    elif resolved.suffix.lower() == ".parquet" and is_ours(resolved):
        files = [resolved]
    else:
        return EventDataset([validated_copy(resolved, gazetteer=gazetteer)], str(resolved))
    return _check_files(files, str(resolved), gazetteer) or EventDataset(files, str(resolved))


def dataset_version(path: str | os.PathLike[str]) -> tuple[int, int, int]:
    """Return (number of files, total size, latest mtime in ns) of a file or dataset folder: a cheap change key."""
    resolved = Path(path)
    files = dataset_files(resolved) if resolved.is_dir() else [resolved]
    stats = [f.stat() for f in files]
    return len(stats), sum(s.st_size for s in stats), max(s.st_mtime_ns for s in stats)
