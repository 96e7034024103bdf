"""The columns a view filters and counts on, read once into memory (Arrow) and sorted by date.

Every slider move asks the dataset for counts, an extent, grid cells, per-day counts, control rows and the
first rows of a page. Scanning the GeoParquet files for each of them costs a file scan per query; this table
holds, for every event, the few columns those queries read (no free text, no geometry) in date order, so that a
query reads only the slice of rows its date window can reach, from memory. The queries themselves stay the same
SQL (:mod:`geodata.store.dataset` runs them on this table instead of the files), so results cannot differ.
At 10M events the table takes about 1 GB; above :data:`MAX_ROWS` rows it is not made and the files are scanned.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from geodata.filters import ValueTest

# What the page's filters (but free text) and aggregates read; event_id and the names serve the control rows.
SLIM_COLUMNS: tuple[str, ...] = (
    "event_id",
    "event_date",
    "date_end",
    "event_type",
    "status",
    "place_id",
    "place",
    "place_ar",
    "place_as_written",
    "admin1",
    "actors",
    "controller_before",
    "controller_after",
    "origin_place_id",
    "latitude",
    "longitude",
)
_NOT_DICTIONARY = frozenset({"event_id", "event_date", "date_end", "latitude", "longitude"})
# Above this many events the table is not made (about 100 bytes an event in memory).
MAX_ROWS = 30_000_000
NAME = "kcm_slim"


_NAT = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Selection:
    """The rows a filter selects: positions into the table (ascending, so in page order)."""

    rows: np.ndarray


@dataclass(frozen=True, eq=False)
class SlimTable:
    """The slim columns of every event (and ``filename``, ``file_row_number``), sorted as the page orders rows.

    Besides serving SQL (a zero-copy slice per query, :meth:`between`), it selects rows with NumPy: each filter
    condition is decided once per distinct value (the dictionary of a column), exactly as the SQL ``IN`` lists
    are, and the selection of a filter is kept for the next few queries (a page asks several about one filter).
    """

    table: Any  # pyarrow.Table
    stamps: np.ndarray  # event_date as int64 nanoseconds, ascending (for slicing by a window)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _selections: OrderedDict[Any, Selection] = field(default_factory=OrderedDict, repr=False)
    _codes: dict[str, tuple[np.ndarray, list[str | None]]] = field(default_factory=dict, repr=False)

    @property
    def columns(self) -> frozenset[str]:
        """The columns a query on this table may read."""
        return frozenset(self.table.column_names)

    def between(self, low: datetime | None, high: datetime | None) -> Any:
        """Return the rows whose ``event_date`` lies in ``low``..``high`` (either may be open), zero-copy."""
        start = 0 if low is None else int(np.searchsorted(self.stamps, _ns(low), side="left"))
        stop = (
            len(self.stamps) if high is None else int(np.searchsorted(self.stamps, _ns(high), side="right"))
        )
        return self.table.slice(start, max(0, stop - start))

    def span(self, low: datetime | None, high: datetime | None) -> tuple[int, int]:
        """Return the positions ``start, stop`` of the rows whose ``event_date`` lies in ``low``..``high``."""
        start = 0 if low is None else int(np.searchsorted(self.stamps, _ns(low), side="left"))
        stop = (
            len(self.stamps) if high is None else int(np.searchsorted(self.stamps, _ns(high), side="right"))
        )
        return start, max(start, stop)

    @functools.cached_property
    def ends(self) -> np.ndarray:
        """``date_end`` as int64 nanoseconds (the smallest int64 where missing: then no comparison holds)."""
        return _stamps(self.table.column("date_end"))

    @functools.cached_property
    def coords(self) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude as float64 (NaN where missing)."""
        return tuple(  # type: ignore[return-value]
            np.asarray(self.table.column(c).to_numpy(), dtype=float) for c in ("latitude", "longitude")
        )

    def codes(self, column: str) -> tuple[np.ndarray, list[str | None]]:
        """Return each row's code into the column's values (``None``: a missing cell; codes may repeat values)."""
        with self._lock:
            found = self._codes.get(column)
            if found is None:
                found = self._codes[column] = _dictionary_codes(self.table.column(column))
            return found

    def holds(self, tests: Sequence[ValueTest]) -> bool:
        """Whether every column the conditions read is held here (free text is not)."""
        return all(column in self.columns for test in tests for column, _ in test.checks)

    def allowed(self, test: ValueTest, start: int, stop: int) -> np.ndarray:
        """Return whether rows ``start:stop`` pass one filter condition, deciding it once per distinct value.

        As in SQL: a non-empty value passes when a predicate holds for it; a missing or empty one when the
        condition admits missing values.
        """
        passed = np.zeros(stop - start, dtype=bool)
        for column, predicate in test.checks:
            codes, values = self.codes(column)
            table = np.array([(bool(v) and bool(predicate(v))) or (test.missing and not v) for v in values])
            passed |= table.astype(bool)[codes[start:stop]]
        return passed

    def where_value(self, column: str, keep: Any) -> np.ndarray:
        """Return, per distinct value of ``column`` (and missing, last), whether ``keep(value)`` holds."""
        _, values = self.codes(column)
        return np.array([bool(keep(v)) for v in values], dtype=bool)

    def remembered(self, key: Any, make: Any) -> Selection:
        """Return the selection of ``key`` made by ``make()`` once (the last few are kept)."""
        with self._lock:
            found = self._selections.get(key)
            if found is not None:
                self._selections.move_to_end(key)
                return found
        made = make()
        with self._lock:
            self._selections[key] = made
            while len(self._selections) > _KEPT:
                self._selections.popitem(last=False)
        return made


_KEPT = 8


def _stamps(column: Any) -> np.ndarray:
    """Return a date column as int64 nanoseconds, :data:`_NAT` where missing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pc.cast(column, pa.timestamp("ns")).cast(pa.int64())
    return np.asarray(pc.fill_null(values, _NAT).to_numpy(), dtype=np.int64)


def _dictionary_codes(column: Any) -> tuple[np.ndarray, list[str | None]]:
    """Return codes and values of a text column (a dictionary, or plain text encoded here); missing is ``None``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not pa.types.is_dictionary(array.type):
        array = pc.dictionary_encode(array)
    import pandas as pd

    values: list[str | None] = [*array.dictionary.to_pylist(), None]
    codes = np.asarray(pc.fill_null(array.indices, len(values) - 1).to_numpy(), dtype=np.int64)
    canonical, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    if len(uniques) < len(values):  # a value listed twice: one code per value, so that groups are by value
        return canonical[codes], [None if v is None else str(v) for v in uniques]
    return codes, values


def _ns(moment: datetime) -> np.int64:
    return np.datetime64(moment, "ns").astype(np.int64)


def load_slim(files: Sequence[Path], n_rows: int) -> SlimTable | None:
    """Read the slim columns of ``files`` into one table sorted by (event_date, filename, file_row_number).

    Returns None when the dataset is too large (:data:`MAX_ROWS`) or a file lacks one of the columns; the
    dataset then scans its files as before.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if n_rows > MAX_ROWS:
        return None
    by_name = sorted(files, key=str)  # the order of DuckDB's ``filename`` column
    parts = []
    for path in by_name:
        names = set(pq.read_schema(path).names)
        if not names.issuperset(SLIM_COLUMNS):
            return None
        part = pq.read_table(
            path,
            columns=list(SLIM_COLUMNS),
            read_dictionary=[c for c in SLIM_COLUMNS if c not in _NOT_DICTIONARY],
        )
        n = part.num_rows
        filename = pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, dtype=np.int32)), pa.array([str(path)], type=pa.string())
        )
        part = part.append_column("filename", filename)
        parts.append(part.append_column("file_row_number", pa.array(np.arange(n, dtype=np.int64))))
    table = pa.concat_tables(parts, promote_options="permissive").unify_dictionaries().combine_chunks()
    dates = pc.cast(table.column("event_date"), pa.timestamp("ns")).to_numpy()
    stamps = np.asarray(dates).astype("datetime64[ns]").view(np.int64)
    if len(stamps) > 1 and not bool(np.all(stamps[1:] >= stamps[:-1])):
        order = np.argsort(stamps, kind="stable")  # stable: same-day rows stay in (filename, row) order
        table, stamps = table.take(pa.array(order)), stamps[order]
    return SlimTable(table, np.ascontiguousarray(stamps))
