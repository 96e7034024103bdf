"""The events table: schema, decoding, validation, the GeoDataFrame builder, and atomic save/append/update.

This module is the only reader and writer of ``events.csv``. Every problem in a file is reported at once as a
:class:`~geodata.errors.Problem` (``FILE:LINE:COLUMN: message (value)``); the header is line 1.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.errors import EventValidationError, InputError, Problem
from geodata.settings import CRS, get_settings
from geodata.vocab import (
    ACTORS,
    CONTROL_MODES,
    CONTROL_TYPES,
    CONTROLLERS,
    DATE_PRECISIONS,
    EVENT_COLUMNS,
    EVENT_TYPES,
    GEO_PRECISIONS,
    REQUIRED_COLUMNS,
    SOURCE_LANGS,
    STATUSES,
    is_valid_controller,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from geodata.gazetteer import Gazetteer, Place

log = logging.getLogger(__name__)

DATE_COLUMNS: tuple[str, ...] = ("event_date", "date_end", "source_date")
TIMESTAMP_COLUMNS: tuple[str, ...] = ("updated_at",)
NUMBER_COLUMNS: tuple[str, ...] = ("latitude", "longitude", "geo_precision")
# The dates (and the days of updated_at) an events file may hold: a span that covers any plausible event or report,
# well inside what datetime64[ns] can hold (1677-09-22..2262-04-11), so that a typo like 3017 is caught at validation.
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2100, 12, 31)
# Columns whose values come from a closed vocabulary; they become categoricals with these categories.
VOCAB_COLUMNS: dict[str, tuple[str, ...]] = {
    "date_precision": DATE_PRECISIONS,
    "event_type": EVENT_TYPES,
    "control_mode": CONTROL_MODES,
    "source_lang": SOURCE_LANGS,
    "status": STATUSES,
}
# Columns whose categories come from the data (codes, joint codes, governorates).
DATA_CATEGORY_COLUMNS: tuple[str, ...] = ("controller_before", "controller_after", "actors", "admin1")
HISTORY_SUFFIX = ".history.csv"
HISTORY_COLUMNS: tuple[str, ...] = (*EVENT_COLUMNS, "superseded_at")
LOCK_TIMEOUT_S = 60.0
# CSV text at least this long is first tried with Arrow's multithreaded reader (see _fast_table).
FAST_PATH_MIN_CHARS = 256 * 1024

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"", "false", "0", "no"})
_ID_NUMBER = re.compile(r"^kcm-(\d+)$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Arabic-Indic and Eastern Arabic-Indic (Persian) digits, the Arabic decimal and thousands separators, minus signs.
_DIGITS = str.maketrans(
    {
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
        "\u066b": ".",
        "\u066c": "",
        "\u2212": "-",
    }
)
# Characters that real Windows-1256 Arabic text is made of (beyond ASCII): Arabic letters, digits, punctuation,
# the Persian/Urdu letters of the code page, and the layout marks it defines.
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u00a0\u00ab\u00bb\u200c-\u200f]")
_CP1256_MIN_ARABIC_SHARE = 0.9
_EARTH_RADIUS_KM = 6371.0088


@dataclass
class _Table:
    """Raw cells of an events table, one stripped string per cell, with the line each row starts on."""

    source: str
    # column -> cells: a list of str (line-tracking reader, frames) or a string Series (Arrow readers)
    columns: dict[str, Any]
    lines: list[int]
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)


# ---------------------------------------------------------------- reading


def _decode(raw: bytes, source: str) -> str:
    """Decode an events file: UTF-8 (with or without BOM), else unambiguous Windows-1256.

    Undecodable bytes stay in the text as surrogate escapes, so that the cell holding them can be reported.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lenient = raw.decode("utf-8", "replace")
    non_ascii = sum(1 for ch in lenient if ord(ch) > 127)
    bad = lenient.count("\ufffd")
    if bad * 2 > non_ascii:  # mostly not UTF-8: try the Arabic Windows code page
        try:
            text = raw.decode("cp1256")
        except UnicodeDecodeError:
            text = ""
        letters = [ch for ch in text if ord(ch) > 127]
        arabic = sum(1 for ch in letters if _ARABIC_SCRIPT.match(ch))
        if letters and arabic >= _CP1256_MIN_ARABIC_SHARE * len(letters):
            log.info("%s: decoded as Windows-1256", source)
            return text
    return raw.decode("utf-8", "surrogateescape")


_SURROGATE = re.compile("[\udc80-\udcff]")
_WEB_URL = re.compile(r"(?i)^https?://")


def _undecodable_cells(cells: list[str]) -> list[int]:
    """Return the positions of cells that hold undecodable bytes (surrogate escapes)."""
    return [k for k, cell in enumerate(cells) if _SURROGATE.search(cell)]


def _normalise_column(cells: list[str] | pd.Series, column: str) -> Any:
    """Apply :func:`_normalise` to a column (a list or a string Series), with fast paths for ASCII text."""
    import pandas as pd

    if isinstance(cells, pd.Series):
        import pyarrow as pa

        return pd.Series(
            _normalise_arrow(pa.array(cells.astype("str"), type=pa.large_string()), column), dtype="str"
        )
    if "".join(cells).isascii():
        return [c.strip() for c in cells]
    return [_normalise(c, column) for c in cells]


def _normalise_arrow(arrow: Any, column: str) -> Any:
    """Normalise Arrow string cells (no nulls) as :func:`_normalise` does; returns ``large_string`` cells.

    Nothing is copied when nothing changes: whitespace is looked for in the first and last character only, and
    NFC once per distinct non-ASCII value.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    ends = (pc.utf8_slice_codeunits(arrow, 0, 1), pc.utf8_slice_codeunits(arrow, -1, 2**31 - 1))
    if any(pc.any(pc.not_equal(pc.utf8_trim_whitespace(end), end)).as_py() for end in ends):
        arrow = pc.utf8_trim_whitespace(arrow)
    ascii_only = pc.string_is_ascii(arrow)
    if pc.all(ascii_only).as_py() is not False:  # True, or None for no cells
        return arrow
    if column in DATE_COLUMNS or column in TIMESTAMP_COLUMNS or column in NUMBER_COLUMNS:
        wide = ~np.asarray(ascii_only.to_numpy(zero_copy_only=False), dtype=bool)
        values = np.asarray(arrow.to_numpy(zero_copy_only=False), dtype=object)
        idx = np.flatnonzero(wide)
        values[idx] = [_normalise(c, column) for c in values[idx]]
        return pa.array(values, type=pa.large_string())
    # Checking each distinct value in Python is several times faster than Arrow's utf8_normalize on text
    # that is NFC already (nearly always); only the rare column that is not gets rewritten.
    distinct = pc.unique(arrow).to_pylist()
    fixes = {
        v: unicodedata.normalize("NFC", v)
        for v in distinct
        if not v.isascii() and not unicodedata.is_normalized("NFC", v)
    }
    if not fixes:
        return arrow
    return pa.array([fixes.get(v, v) for v in arrow.to_pylist()], type=pa.large_string())


def _undecodable(cell: str) -> str | None:
    """Return the undecodable bytes of a cell as backslash-escaped text, or None if the cell decoded cleanly."""
    if _SURROGATE.search(cell) is None:
        return None
    return cell.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _normalise(cell: str, column: str) -> str:
    """Strip, NFC-normalise, and turn Arabic-Indic digits into ASCII in date and number columns."""
    cell = cell.strip()
    if not cell.isascii():
        if column in DATE_COLUMNS or column in TIMESTAMP_COLUMNS or column in NUMBER_COLUMNS:
            cell = cell.translate(_DIGITS)
        if not unicodedata.is_normalized("NFC", cell):
            cell = unicodedata.normalize("NFC", cell)
    return cell


def _table_from_text(text: str, source: str) -> _Table:
    """Split CSV text into a :class:`_Table`, reporting header, ragged-row, syntax and encoding problems."""
    problems: list[Problem] = []
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        problems.append(Problem(source, line, None, "binary data (NUL byte); not a CSV text file"))
        return _Table(source, {c: [] for c in EVENT_COLUMNS}, [], problems)
    if len(text) >= FAST_PATH_MIN_CHARS and _SURROGATE.search(text) is None:
        fast = _fast_table(text, source)
        if fast is not None:
            return fast
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 1
    rows: list[list[str]] = []
    lines: list[int] = []
    last = 0
    done = False
    while not done:
        try:
            for row in reader:  # the fast path; a syntax error resumes the loop on the next record
                start, last = last + 1, reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                if header is None:
                    header = [h.strip().lstrip("\ufeff") for h in row]
                    header_line = start
                    width = len(header)
                    continue
                if len(row) != width:
                    problems.append(
                        Problem(
                            source, start, None, f"row has {len(row)} field(s) but the header has {width}"
                        )
                    )
                    continue
                rows.append(row)
                lines.append(start)
            done = True
        except csv.Error as e:
            problems.append(Problem(source, last + 1, None, f"malformed CSV: {e}"))
            last = reader.line_num
    if header is None:
        problems.append(Problem(source, 1, None, "no header row: the file is empty"))
        return _Table(source, {c: [] for c in EVENT_COLUMNS}, [], problems)
    problems += _check_header(header, source, header_line)
    columns: dict[str, list[str]] = {}
    positions = {name: i for i, name in reversed(list(enumerate(header)))}
    undecodable = _SURROGATE.search(text) is not None
    for name in EVENT_COLUMNS:
        i = positions.get(name)
        if i is None:
            columns[name] = [""] * len(rows)
            continue
        cells = [r[i] for r in rows]
        for k in _undecodable_cells(cells) if undecodable else ():
            cell = cells[k]
            shown = _undecodable(cell)
            if shown is not None:
                problems.append(
                    Problem(
                        source,
                        lines[k],
                        name,
                        "undecodable bytes: the file is neither UTF-8 nor Windows-1256",
                        shown,
                    )
                )
                cells[k] = cell.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        columns[name] = _normalise_column(cells, name)
    return _Table(source, columns, lines, problems)


def _fast_table(text: str, source: str) -> _Table | None:
    """Parse a large, regular CSV with Arrow's reader; None means "use the line-tracking reader".

    The fast path applies when every record is one physical line (then record ``i`` is line ``i + 2``) and the
    header is right; anything else (multi-line values, blank lines, ragged rows, bad quoting) goes the slow way,
    which reports each problem with its line.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    first_newline = text.find("\n")
    header = next(csv.reader([text[: first_newline if first_newline >= 0 else len(text)]]), [])
    header = [h.strip().lstrip("\ufeff") for h in header]
    if not header or _check_header(header, source, 1) or len(set(header)) != len(header):
        return None
    try:
        arrow = pacsv.read_csv(
            pa.py_buffer(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=True),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header}, strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    n = arrow.num_rows
    if physical != n + 1:
        return None
    columns: dict[str, Any] = {}
    for name in EVENT_COLUMNS:
        if name in header:
            series = pd.Series(arrow.column(name).to_pandas(types_mapper=pd.ArrowDtype), copy=False)
            columns[name] = _normalise_column(series.astype("str"), name)
        else:
            columns[name] = pd.Series([""] * n, dtype=object)
    return _Table(source, columns, list(range(2, n + 2)))


def _check_header(header: list[str], source: str, line: int) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(source, line, name, "duplicate column"))
        elif name not in EVENT_COLUMNS:
            hint = " (an empty header cell)" if not name else ""
            problems.append(Problem(source, line, name or None, f"unknown column{hint}", name or None))
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            problems.append(Problem(source, line, name, "missing required column"))
    return problems


def _table_from_file(path: Path) -> _Table:
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        return _Table(
            source, {c: [] for c in EVENT_COLUMNS}, [], [Problem(source, None, None, _os_message(e))]
        )
    if path.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            arrow = pq.read_table(pa.BufferReader(raw))
            return _table_from_arrow(arrow, source)
        except (pa.ArrowException, OSError, ValueError) as e:
            return _Table(
                source,
                {c: [] for c in EVENT_COLUMNS},
                [],
                [Problem(source, None, None, f"not a readable Parquet file: {e}")],
            )
    return _table_from_text(_decode(raw, source), source)


def _table_from_arrow(arrow: Any, source: str) -> _Table:
    """Render an Arrow table's event columns as string cells, in Arrow (GeoParquet files; row ``i`` is line ``i + 2``)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    problems = _arrow_header_problems(arrow.column_names, source)
    n = arrow.num_rows
    columns: dict[str, Any] = {}
    for name in EVENT_COLUMNS:
        if name not in arrow.column_names:
            columns[name] = pd.Series([""] * n, dtype="str")
            continue
        col = arrow.column(name)
        kind = col.type
        if pa.types.is_dictionary(kind):
            col = col.cast(kind.value_type)
            kind = col.type
        if pa.types.is_date(kind):
            col = col.cast(pa.timestamp("s"))
            kind = col.type
        if pa.types.is_timestamp(kind) and name in TIMESTAMP_COLUMNS:
            col = pc.strftime(col, format="%Y-%m-%dT%H:%M:%SZ")
        elif pa.types.is_timestamp(kind):
            col = pc.cast(col, pa.date32(), safe=False).cast(pa.string())  # much faster than strftime
        elif pa.types.is_boolean(kind):
            col = pc.if_else(col, "true", "false")
        elif not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            col = col.cast(pa.string())
        text = pc.fill_null(col.cast(pa.large_string()), "")
        columns[name] = _normalise_column(pd.Series(text.to_pandas(types_mapper=pd.ArrowDtype)), name)
    return _Table(source, columns, list(range(2, n + 2)), problems)


def _arrow_header_problems(names: list[str], source: str) -> list[Problem]:
    """Report the unknown and the missing required columns of an Arrow table (its header is line 1)."""
    problems = [
        Problem(source, 1, name, "unknown column", name)
        for name in names
        if name not in EVENT_COLUMNS and name != "geometry"
    ]
    problems += [
        Problem(source, 1, name, "missing required column") for name in REQUIRED_COLUMNS if name not in names
    ]
    return problems


def _os_message(e: OSError) -> str:
    return f"cannot read the file: {e.strerror or e}"


def _table_from_frame(frame: pd.DataFrame, source: str, *, first_line: int = 2) -> _Table:
    """Turn any frame (a loaded GeoDataFrame, a Parquet table, rows from the review panel) into raw cells.

    Row ``i`` is reported as line ``first_line + i``, as if the frame had been written as CSV under a header.
    """
    cells = frame_cells(frame)
    problems = []
    for name in frame.columns:
        if name not in EVENT_COLUMNS and name != "geometry":
            problems.append(Problem(source, 1, str(name), "unknown column", str(name)))
    for name in REQUIRED_COLUMNS:
        if name not in frame.columns:
            problems.append(Problem(source, 1, name, "missing required column"))
    n = len(frame)
    columns = {
        name: _normalise_column(cells[name], name) if name in cells else [""] * n for name in EVENT_COLUMNS
    }
    return _Table(source, columns, list(range(first_line, first_line + n)), problems)


def frame_cells(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Render each event column of ``frame`` as CSV cells: ISO dates, plain numbers, ``""`` for missing.

    This is the one place where typed event values become text; saving, CSV export and validation of frames use it.
    """
    import pandas as pd

    out: dict[str, list[str]] = {}
    for name in EVENT_COLUMNS:
        if name not in frame.columns:
            continue
        s = frame[name]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        if name in TIMESTAMP_COLUMNS and pd.api.types.is_datetime64_any_dtype(s.dtype):
            utc = s.dt.tz_convert("UTC") if s.dt.tz is not None else s
            text = utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            out[name] = [t if isinstance(t, str) else "" for t in text.tolist()]
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            values = s.to_numpy(dtype="datetime64[D]")
            text = np.datetime_as_string(values, unit="D")
            out[name] = np.where(np.isnat(values), "", text).tolist()
        elif name == "coord_override":
            out[name] = ["true" if _truthy(v) else "false" for v in s.tolist()]
        elif pd.api.types.is_float_dtype(s.dtype) and name in NUMBER_COLUMNS:
            out[name] = [_number_cell(v) for v in s.tolist()]
        else:
            out[name] = [_cell(v) for v in s.tolist()]
    return out


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    try:
        return bool(value) and not (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):
        return False


def _number_cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _cell(value: object) -> str:
    """Render one value as a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            value.date().isoformat()
            if value == datetime.combine(value.date(), datetime.min.time())
            else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return ";".join(str(v) for v in value)
    try:
        import pandas as pd

        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


# ---------------------------------------------------------------- validation


@dataclass
class _Parsed:
    """Typed columns parsed during validation, reused by the frame builder."""

    dates: dict[str, Any]
    updated_at: Any
    latitude: np.ndarray
    longitude: np.ndarray
    override: np.ndarray
    geo_precision: np.ndarray
    places: dict[str, Place | None]
    ref_lat: np.ndarray
    ref_lon: np.ndarray


def _series(cells: list[str] | pd.Series) -> pd.Series:
    import pandas as pd

    if isinstance(cells, pd.Series):
        return cells.reset_index(drop=True)
    return pd.Series(cells, dtype="str")


def _by_value(series: pd.Series, predicate: Any) -> np.ndarray:
    """Evaluate ``predicate`` once per distinct value of ``series`` and spread the answers over the rows."""
    import pandas as pd

    codes, uniques = pd.factorize(series)
    answers = np.array([bool(predicate(u)) for u in uniques] + [False], dtype=bool)
    return answers[codes]


def _check_table(
    table: _Table, gazetteer: Gazetteer, *, duplicates: bool = True
) -> tuple[list[Problem], _Parsed]:
    """Check every cell of ``table``; return all problems (sorted by line, then column) and the parsed columns.

    Checks are vectorised (or run once per distinct value), so that a million rows validate in seconds. With
    ``duplicates=False`` the one check across rows (duplicate ids) is left to the caller.
    """
    import pandas as pd

    src = table.source
    cols = {name: _series(table.columns[name]) for name in EVENT_COLUMNS}
    lines = np.asarray(table.lines, dtype=np.int64)
    problems = list(table.problems)
    add = problems.append

    def report(mask: np.ndarray, column: str, message: str, *, show: bool = True) -> None:
        values = cols[column]
        for i in np.flatnonzero(mask):
            add(Problem(src, int(lines[i]), column, message, values.iat[i] if show else None))

    present = {name: (cols[name] != "").to_numpy(dtype=bool) for name in EVENT_COLUMNS}

    absent = {p.column for p in table.problems if p.message == "missing required column"}
    for name in REQUIRED_COLUMNS:
        if name not in absent:
            report(~present[name], name, "a value is required here", show=False)

    # ids: unique, no spaces
    ids = cols["event_id"]
    spaced = ids.str.contains(r"\s", regex=True).to_numpy(dtype=bool)
    report(present["event_id"] & spaced, "event_id", "event_id must not contain spaces")
    if duplicates:
        problems += _duplicate_problems(ids, present["event_id"], lines, src)

    # dates: real, and within DATE_MIN..DATE_MAX (an invalid date is missing from here on)
    dates: dict[str, Any] = {}
    for name in DATE_COLUMNS:
        shaped = _by_value(cols[name], _DATE_RE.match)
        parsed = pd.to_datetime(cols[name].where(shaped, None), format="%Y-%m-%d", errors="coerce")
        report(present[name] & parsed.isna().to_numpy(), name, "not a date: expected YYYY-MM-DD")
        dates[name] = _within_range(parsed, report, name, "date")
    for i in np.flatnonzero((dates["date_end"] < dates["event_date"]).to_numpy()):
        event_date = cols["event_date"].iat[i]
        add(
            Problem(
                src,
                int(lines[i]),
                "date_end",
                f"date_end is before event_date {event_date}",
                cols["date_end"].iat[i],
            )
        )
    updated = pd.to_datetime(
        cols["updated_at"].where(present["updated_at"], None), format="ISO8601", utc=True, errors="coerce"
    )
    report(
        present["updated_at"] & updated.isna().to_numpy(),
        "updated_at",
        "not a timestamp: expected ISO 8601, e.g. 2017-11-30T12:00:00Z",
    )
    updated = _within_range(updated, report, "updated_at", "timestamp")

    # closed vocabularies
    for name, vocab in VOCAB_COLUMNS.items():
        unknown = present[name] & ~cols[name].isin(vocab).to_numpy(dtype=bool)
        report(unknown, name, f"unknown {name}; expected one of {', '.join(vocab)}")
    flags = cols["coord_override"].str.lower()
    override = flags.isin(_TRUE).to_numpy(dtype=bool)
    report(
        ~override & ~flags.isin(_FALSE).to_numpy(dtype=bool),
        "coord_override",
        "coord_override must be true or false",
    )
    geo_precision = pd.to_numeric(
        cols["geo_precision"].where(present["geo_precision"], None), errors="coerce"
    ).to_numpy(dtype=float)
    report(
        present["geo_precision"] & ~np.isin(geo_precision, GEO_PRECISIONS),
        "geo_precision",
        f"unknown geo_precision; expected one of {', '.join(map(str, GEO_PRECISIONS))}",
    )

    # actors and controllers
    controller_msg = (
        f"unknown controller; expected one of {', '.join(sorted(CONTROLLERS))} "
        "or a '+'-joined combination such as isf+pmf"
    )
    for name in ("controller_before", "controller_after"):
        report(present[name] & ~_by_value(cols[name], is_valid_controller), name, controller_msg)
    for i in np.flatnonzero(present["actors"] & ~_by_value(cols["actors"], _valid_actors)):
        cell = cols["actors"].iat[i]
        unknown_actors = ", ".join(a for a in _split_actors(cell) if not _valid_actor(a)) or "(empty)"
        message = (
            f"unknown actor code(s) {unknown_actors}; expected ';'-separated codes from {', '.join(ACTORS)}"
        )
        add(Problem(src, int(lines[i]), "actors", message, cell))
    is_control = cols["event_type"].isin(CONTROL_TYPES).to_numpy(dtype=bool)
    is_change = (cols["event_type"] == "control_change").to_numpy(dtype=bool)
    report(
        is_control & ~present["controller_after"],
        "controller_after",
        "a control_change or status row needs controller_after",
        show=False,
    )
    report(
        is_change & ~present["controller_before"],
        "controller_before",
        "a control_change row needs controller_before",
        show=False,
    )

    # source URL: plain web links only (the dashboard turns it into a link)
    report(
        present["source_url"] & ~_by_value(cols["source_url"], _WEB_URL.match),
        "source_url",
        "source_url must be an http:// or https:// URL",
    )

    # places
    places: dict[str, Place | None] = {}
    for name in ("place_id", "origin_place_id"):
        for pid in pd.unique(cols[name]):
            places[pid] = gazetteer.get(pid) if pid and pid in gazetteer else None
        unknown_place = present[name] & _by_value(cols[name], lambda pid: places[pid] is None)
        report(unknown_place, name, "unknown place id: not in the gazetteer")

    # coordinates
    lat = _to_float(cols["latitude"], present["latitude"])
    lon = _to_float(cols["longitude"], present["longitude"])
    for name, values, limit in (("latitude", lat, 90.0), ("longitude", lon, 180.0)):
        report(present[name] & np.isnan(values), name, "not a number: expected decimal degrees")
        report(
            present[name] & ~np.isnan(values) & (np.abs(values) > limit),
            name,
            f"{name} out of range -{limit:g}..{limit:g}",
        )
    report(
        present["latitude"] & ~present["longitude"],
        "longitude",
        "latitude given without longitude",
        show=False,
    )
    report(
        present["longitude"] & ~present["latitude"],
        "latitude",
        "longitude given without latitude",
        show=False,
    )
    ref_lat, ref_lon = _gazetteer_coords(cols["place_id"], places)
    _check_distances(table, cols, lat, lon, ref_lat, ref_lon, override, places, problems)

    problems.sort(key=_problem_order)
    parsed = _Parsed(dates, updated, lat, lon, override, geo_precision, places, ref_lat, ref_lon)
    return problems, parsed


def _within_range(parsed: pd.Series, report: Any, column: str, what: str) -> pd.Series:
    """Report the parsed dates outside :data:`DATE_MIN`..:data:`DATE_MAX` and return the dates with them missing."""
    import pandas as pd

    tz = "UTC" if parsed.dt.tz is not None else None
    first, after = pd.Timestamp(DATE_MIN, tz=tz), pd.Timestamp(DATE_MAX + timedelta(days=1), tz=tz)
    outside = (parsed.notna() & ((parsed < first) | (parsed >= after))).to_numpy(dtype=bool)
    report(outside, column, f"{what} out of range ({DATE_MIN.isoformat()}..{DATE_MAX.isoformat()})")
    return parsed.mask(outside) if outside.any() else parsed


def _duplicate_problems(ids: pd.Series, present: np.ndarray, lines: np.ndarray, source: str) -> list[Problem]:
    """Report every repeated ``event_id`` after its first occurrence, naming the line of the first."""
    import pandas as pd

    ids = ids.reset_index(drop=True)
    dup = np.flatnonzero(present & ids.duplicated(keep="first").to_numpy(dtype=bool))
    if not len(dup):
        return []
    codes, _ = pd.factorize(ids, use_na_sentinel=False)
    _, first = np.unique(codes, return_index=True)  # codes number the ids in order of first appearance
    return [
        Problem(
            source,
            int(lines[i]),
            "event_id",
            f"duplicate event_id (first on line {int(lines[first[codes[i]]])})",
            ids.iat[i],
        )
        for i in dup
    ]


def _to_float(cells: pd.Series, present: np.ndarray) -> np.ndarray:
    """Parse decimal numbers; empty or malformed cells become NaN (Arrow's cast first, pandas when it refuses)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arrow = pa.array(cells.where(present, None), type=pa.large_string(), from_pandas=True)
        return np.asarray(pc.cast(arrow, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pd.to_numeric(cells.where(present, None), errors="coerce").to_numpy(dtype=float)


def _gazetteer_coords(
    place_ids: pd.Series, places: Mapping[str, Place | None]
) -> tuple[np.ndarray, np.ndarray]:
    """Return the gazetteer's latitude and longitude for each row's place (NaN where unknown)."""
    import pandas as pd

    codes, uniques = pd.factorize(place_ids)
    found = [places.get(u) for u in uniques]
    ulat = np.array([p.lat if p is not None else np.nan for p in found] + [np.nan], dtype=float)
    ulon = np.array([p.lon if p is not None else np.nan for p in found] + [np.nan], dtype=float)
    return ulat[codes], ulon[codes]


def _check_distances(
    table: _Table,
    cols: Mapping[str, pd.Series],
    lat: np.ndarray,
    lon: np.ndarray,
    glat: np.ndarray,
    glon: np.ndarray,
    override: np.ndarray,
    places: Mapping[str, Place | None],
    problems: list[Problem],
) -> None:
    """Flag coordinates far from the gazetteer's (swapped, or moved without ``coord_override``)."""
    limit = get_settings().override_km
    usable = ~np.isnan(lat) & ~np.isnan(lon) & ~np.isnan(glat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    # with coord_override the coordinates are the analyst's word, even where they look swapped
    check = np.flatnonzero(usable & ~override)
    far = check[haversine_km(lat[check], lon[check], glat[check], glon[check]) > limit]
    dist = haversine_km(lat[far], lon[far], glat[far], glon[far])
    swapped = np.where(np.abs(lon[far]) <= 90, haversine_km(lon[far], lat[far], glat[far], glon[far]), np.inf)
    for k, i in enumerate(far):
        place = places[cols["place_id"].iat[i]]
        assert place is not None
        where = f"{place.name} ({place.lat:.5f}, {place.lon:.5f})"
        value = f"{cols['latitude'].iat[i]}, {cols['longitude'].iat[i]}"
        if swapped[k] <= limit:
            problems.append(
                Problem(
                    table.source,
                    int(table.lines[i]),
                    "latitude",
                    f"latitude and longitude look swapped: the gazetteer has {where} as (lat, lon)",
                    value,
                )
            )
        else:
            problems.append(
                Problem(
                    table.source,
                    int(table.lines[i]),
                    "latitude",
                    f"coordinates are {dist[k]:.1f} km from the gazetteer's {where}, more than {limit:g} km: "
                    "fix them or set coord_override=true",
                    value,
                )
            )


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle distance in km between arrays of WGS84 points (degrees)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


_COLUMN_ORDER = {name: i for i, name in enumerate(EVENT_COLUMNS)}


def _problem_order(p: Problem) -> tuple[int, int, str]:
    return (p.line or 0, _COLUMN_ORDER.get(p.column or "", -1), p.message)


def _split_actors(cell: str) -> list[str]:
    return [a.strip() for a in cell.split(";")]


def _valid_actor(code: str) -> bool:
    return code in ACTORS or ("+" in code and is_valid_controller(code))


def _valid_actors(cell: str) -> bool:
    return all(_valid_actor(a) for a in _split_actors(cell))


# ---------------------------------------------------------------- the GeoDataFrame


def _place_attribute(place_ids: pd.Series, places: Mapping[str, Place | None], attr: str) -> np.ndarray:
    """Return one gazetteer attribute per row (None where the place is unknown), looked up once per place."""
    import pandas as pd

    codes, uniques = pd.factorize(place_ids)
    return _attribute_by_code(codes, list(uniques), places, attr, object)


def _attribute_by_code(
    codes: np.ndarray, uniques: list[str], places: Mapping[str, Place | None], attr: str, dtype: type
) -> np.ndarray:
    """Spread a gazetteer attribute of each distinct place id over the rows that carry it (``codes``).

    Unknown places (and code -1) get None, or NaN when ``dtype`` is float.
    """
    found = [getattr(places[u], attr) if places.get(u) is not None else None for u in uniques]
    if dtype is float:
        return np.array([np.nan if v is None else v for v in found] + [np.nan], dtype=float)[codes]
    return np.array([*found, None], dtype=object)[codes]


def _build_frame(table: _Table, parsed: _Parsed) -> gpd.GeoDataFrame:
    """Build the events GeoDataFrame from checked cells: EPSG:4326, typed columns, sorted by event_date."""
    import pandas as pd

    cols = {name: _series(table.columns[name]) for name in EVENT_COLUMNS}
    n = len(table)
    places = parsed.places
    own = ~np.isnan(parsed.latitude) & ~np.isnan(parsed.longitude)
    lat = np.where(own, parsed.latitude, parsed.ref_lat)
    lon = np.where(own, parsed.longitude, parsed.ref_lon)

    data: dict[str, Any] = {}
    for name in EVENT_COLUMNS:
        if name in DATE_COLUMNS:
            data[name] = parsed.dates[name].astype("datetime64[ns]").to_numpy()
        elif name == "updated_at":
            data[name] = parsed.updated_at.dt.as_unit("ns")
        elif name == "latitude":
            data[name] = lat
        elif name == "longitude":
            data[name] = lon
        elif name == "coord_override":
            data[name] = parsed.override
        elif name == "geo_precision":
            fallback = _place_attribute(cols["place_id"], places, "geo_precision")
            fallback = np.array([np.nan if v is None else v for v in fallback], dtype=float)
            data[name] = _precision_categorical(parsed.geo_precision, fallback)
        else:
            series = cols[name]
            if name in ("place", "place_ar", "admin1"):
                attr = {"place": "name", "place_ar": "name_ar", "admin1": "admin1"}[name]
                empty = (series == "").to_numpy(dtype=bool)
                if empty.any():
                    filled = _place_attribute(cols["place_id"], places, attr)
                    series = series.where(~empty, pd.Series(filled, index=series.index).fillna(""))
            series = series.where(series != "", None)
            if name in VOCAB_COLUMNS:
                data[name] = pd.Categorical(series, categories=list(VOCAB_COLUMNS[name]))
            elif name in DATA_CATEGORY_COLUMNS:
                data[name] = series.astype("category")
            else:
                data[name] = series.astype("str")
    origin_lat = _place_attribute(cols["origin_place_id"], places, "lat")
    known = origin_lat != None  # noqa: E711 - elementwise on an object array
    origin_lon = _place_attribute(cols["origin_place_id"], places, "lon")
    return _events_gdf(
        pd.DataFrame(data, index=pd.RangeIndex(n)),
        lat,
        lon,
        np.where(known, origin_lat, np.nan).astype(float),
        np.where(known, origin_lon, np.nan).astype(float),
        known,
    )


def _precision_categorical(own: np.ndarray, fallback: np.ndarray) -> pd.Categorical:
    """Return ``geo_precision`` as a categorical: the row's own value, else its place's, else missing."""
    import pandas as pd

    values = np.where(np.isnan(own), fallback, own)
    values = np.where(np.isin(values, GEO_PRECISIONS), values, np.nan)
    return pd.Categorical(pd.array(values, dtype="Float64").astype("Int64"), categories=list(GEO_PRECISIONS))


def _events_gdf(
    frame: pd.DataFrame,
    lat: np.ndarray,
    lon: np.ndarray,
    origin_lat: np.ndarray,
    origin_lon: np.ndarray,
    has_origin: np.ndarray,
) -> gpd.GeoDataFrame:
    """Add the geometries to typed columns (see :func:`_geometry`), then sort by date."""
    return _with_geometry(frame, _geometry(lat, lon, origin_lat, origin_lon, has_origin))


def _geometry(
    lat: np.ndarray, lon: np.ndarray, origin_lat: np.ndarray, origin_lon: np.ndarray, has_origin: np.ndarray
) -> np.ndarray:
    """Return a Point per event, or a LineString from a known origin to it; None without coordinates."""
    import shapely

    geometry = np.asarray(shapely.points(lon, lat), dtype=object)
    has_origin = has_origin & ~np.isnan(lat)
    if has_origin.any():
        idx = np.flatnonzero(has_origin)
        coords = np.empty((len(idx), 2, 2), dtype=float)
        coords[:, 0, 0] = origin_lon[idx]
        coords[:, 0, 1] = origin_lat[idx]
        coords[:, 1, 0] = lon[idx]
        coords[:, 1, 1] = lat[idx]
        geometry[idx] = shapely.linestrings(coords)
    geometry[np.isnan(lat) | np.isnan(lon)] = None
    return geometry


def _with_geometry(frame: pd.DataFrame, geometry: np.ndarray) -> gpd.GeoDataFrame:
    """Make the events GeoDataFrame (EPSG:4326) from typed columns and geometries, sorted by date."""
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=CRS, index=frame.index), crs=CRS)
    return sort_events(gdf)


def sort_events(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Sort by ``event_date`` (stable, so same-day rows keep file order) and renumber the index from 0."""
    if not gdf["event_date"].is_monotonic_increasing:
        gdf = gdf.sort_values("event_date", kind="stable", na_position="last")
    gdf = gdf.reset_index(drop=True)
    span = (gdf["date_end"] - gdf["event_date"]).max()
    gdf.attrs["kcm_max_span_days"] = (
        0 if span is None or span != span else max(0, int(span / np.timedelta64(1, "D")))
    )
    return gdf


# ---------------------------------------------------------------- GeoParquet: typed, column by column

# Days since 1970 of DATE_MIN and DATE_MAX; rows with a date outside go cell by cell (and get their problem there).
_SAFE_DAYS = ((DATE_MIN - date(1970, 1, 1)).days, (DATE_MAX - date(1970, 1, 1)).days)
_UTC_NAMES = frozenset({"UTC", "utc", "Etc/UTC", "+00:00", "Z"})
# Conservative stand-ins for checks whose exact form is Python's: a row they flag is checked cell by cell.
_ID_SUSPECT = r"[^\x21-\x7e]"  # anything Python's \s could match in an event_id, and more
_URL_SURE = r"^[Hh][Tt][Tt][Pp][Ss]?://"  # certainly matches _WEB_URL
_NOT_TEXT = frozenset({*DATE_COLUMNS, *TIMESTAMP_COLUMNS, *NUMBER_COLUMNS, "coord_override"})


def _typed_column(name: str, kind: Any) -> bool:
    """Whether the typed reader understands an Arrow column type (else the file is read cell by cell)."""
    import pyarrow as pa

    t = pa.types
    if t.is_null(kind):
        return True
    if name in DATE_COLUMNS:
        return t.is_date32(kind) or (t.is_timestamp(kind) and kind.tz is None)
    if name in TIMESTAMP_COLUMNS:
        return t.is_timestamp(kind) and (kind.tz is None or kind.tz in _UTC_NAMES)
    if name in ("latitude", "longitude"):
        return t.is_float64(kind)
    if name == "geo_precision":
        value = kind.value_type if t.is_dictionary(kind) else kind
        return t.is_integer(value) or t.is_float64(value)
    if name == "coord_override":
        return t.is_boolean(kind)
    value = kind.value_type if t.is_dictionary(kind) else kind
    return t.is_string(value) or t.is_large_string(value)


class _ArrowText:
    """A text column of an Arrow table, normalised as the cell reader does; cells, codes and presence on demand."""

    def __init__(self, column: Any, n: int, name: str) -> None:
        import pyarrow as pa

        self.name = name
        self.n = n
        if column is not None and pa.types.is_null(column.type):
            column = None
        self.column = column

    @functools.cached_property
    def factorised(self) -> tuple[np.ndarray, list[str]]:
        """Each row's code into the distinct normalised values (which may repeat; missing is ``""``)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.column is None:
            return np.zeros(self.n, dtype=np.intp), [""]
        if not pa.types.is_dictionary(self.column.type):
            return _encode(self.values)
        encoded = self.column.combine_chunks()  # the table's dictionaries are unified: indices are joined
        words = pc.fill_null(encoded.dictionary.cast(pa.large_string()), "")
        uniques = [*_normalise_arrow(words, self.name).to_pylist(), ""]
        codes = pc.fill_null(encoded.indices, len(uniques) - 1).to_numpy(zero_copy_only=False)
        return codes.astype(np.intp, copy=False), uniques

    @functools.cached_property
    def values(self) -> Any:
        """The normalised cells as a ``large_string`` array, ``""`` where missing."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.column is None:
            return pa.array(np.full(self.n, "", dtype=object), type=pa.large_string())
        if pa.types.is_dictionary(self.column.type):
            codes, uniques = self.factorised
            return pc.take(pa.array(uniques, type=pa.large_string()), codes)
        return _normalise_arrow(pc.fill_null(self.column.cast(pa.large_string()), ""), self.name)

    @functools.cached_property
    def present(self) -> np.ndarray:
        """Whether each row has a (non-empty) value."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.column is None:
            return np.zeros(self.n, dtype=bool)
        if pa.types.is_dictionary(self.column.type):
            return self.by_value(bool)
        return np.asarray(pc.not_equal(self.values, "").to_numpy(zero_copy_only=False), dtype=bool)

    def by_value(self, predicate: Any) -> np.ndarray:
        """Evaluate ``predicate`` once per distinct value and spread the answers over the rows."""
        codes, uniques = self.factorised
        return np.array([bool(predicate(u)) for u in uniques], dtype=bool)[codes]

    def matches(self, pattern: str) -> np.ndarray:
        """Whether each cell contains a match of the (RE2) ``pattern``."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.column is None or pa.types.is_dictionary(self.column.type):
            codes, uniques = self.factorised
            hits = pc.match_substring_regex(pa.array(uniques, type=pa.large_string()), pattern)
            return np.asarray(hits.to_numpy(zero_copy_only=False), dtype=bool)[codes]
        hits = pc.match_substring_regex(self.values, pattern)
        return np.asarray(hits.to_numpy(zero_copy_only=False), dtype=bool)

    def strings(self, filled: Any = None) -> pd.Series:
        """Return the column as pandas ``str`` (missing where empty), or ``filled`` (cells) in its place."""
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        if filled is None and (self.column is None or pa.types.is_dictionary(self.column.type)):
            codes, uniques = self.factorised
            words = pa.array([u or None for u in uniques], type=pa.large_string())
            return pd.Series(pd.array(pc.take(words, codes), dtype="str"))
        values = self.values if filled is None else filled
        if filled is not None or not self.present.all():
            values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.large_string()), values)
        return pd.Series(pd.array(values, dtype="str"))


def _encode(values: Any) -> tuple[np.ndarray, list[str]]:
    """Return codes into the distinct values of Arrow string cells (no nulls), and those values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries().combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.intp, copy=False)
    return codes, encoded.dictionary.to_pylist()


def _dictionary_columns(path: Path, columns: list[str]) -> list[str]:
    """Text columns to read as dictionaries: those stored dictionary-encoded in every row group (ids never).

    Then they are checked and normalised once per distinct value, and spelled out only once, at the end.
    """
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    text = [name for name in columns if name != "event_id" and name not in _NOT_TEXT]
    positions = {meta.schema.column(i).path: i for i in range(meta.num_columns)}
    return [
        name
        for name in text
        if name in positions
        and all(
            meta.row_group(g).column(positions[name]).has_dictionary_page for g in range(meta.num_row_groups)
        )
    ]


def _valid(column: Any, n: int) -> np.ndarray:
    """Whether each row of an Arrow column holds a value (not null); all False for an absent column."""
    import pyarrow.compute as pc

    if column is None:
        return np.zeros(n, dtype=bool)
    return np.asarray(pc.is_valid(column).to_numpy(zero_copy_only=False), dtype=bool)


def _arrow_days(column: Any, n: int) -> np.ndarray:
    """Days since 1970 of a date or timestamp column, as the cell reader sees it (the date part); 0 where null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if column is None or pa.types.is_null(column.type):
        return np.zeros(n, dtype=np.int64)
    days = pc.cast(column, pa.date32(), safe=False).cast(pa.int32())
    return np.asarray(pc.fill_null(days, 0).to_numpy(zero_copy_only=False), dtype=np.int64)


def _arrow_floats(column: Any, n: int) -> np.ndarray:
    """Return a numeric (or dictionary of numbers) column as float64, NaN where null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if column is None or pa.types.is_null(column.type):
        return np.full(n, np.nan)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return np.asarray(pc.cast(column, pa.float64(), safe=False).to_numpy(zero_copy_only=False), dtype=float)


@dataclass
class _TypedResult:
    """What the typed GeoParquet reader found: every problem, and the frame when the file is valid."""

    problems: list[Problem]
    frame: gpd.GeoDataFrame | None


def _read_parquet_typed(path: Path, gazetteer: Gazetteer, *, build: bool) -> _TypedResult | None:
    """Validate, and with ``build`` load, a GeoParquet events file column by column, from its typed Arrow columns.

    Dates, numbers and flags are checked on their arrays and text once per distinct value, with exactly the rules
    of :func:`_check_table`. The rows that fail (or that a conservative stand-in flags) are then checked again
    cell by cell, so that their problems read exactly as for any other file. ``None`` means "read it cell by
    cell": the file is unreadable here, or has a column type the typed reader does not handle.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        names = list(schema.names)
        wanted = [c for c in names if c in EVENT_COLUMNS]
        if len(set(names)) != len(names) or not all(_typed_column(c, schema.field(c).type) for c in wanted):
            return None
        arrow = pq.read_table(path, columns=wanted, read_dictionary=_dictionary_columns(path, wanted))
        arrow = arrow.unify_dictionaries()
        updated_col = arrow.column("updated_at") if "updated_at" in wanted else None
        if updated_col is not None and not pa.types.is_null(updated_col.type):
            updated_col = pc.cast(updated_col, pa.timestamp("ns", tz="UTC"))  # ArrowInvalid if out of range
    except (pa.ArrowException, OSError, ValueError):
        return None
    source = str(path)
    n = arrow.num_rows
    problems = _arrow_header_problems(names, source)
    absent = {p.column for p in problems if p.message == "missing required column"}

    def column(name: str) -> Any:
        return arrow.column(name) if name in wanted else None

    text = {name: _ArrowText(column(name), n, name) for name in EVENT_COLUMNS if name not in _NOT_TEXT}
    present = {name: cells.present for name, cells in text.items()}
    for name in (*DATE_COLUMNS, *TIMESTAMP_COLUMNS, *NUMBER_COLUMNS):
        present[name] = _valid(column(name), n)
    bad = np.zeros(n, dtype=bool)
    for name in REQUIRED_COLUMNS:
        if name not in absent:
            bad |= ~present[name]

    # ids: no spaces (a row with any space or non-ASCII character is checked cell by cell), unique
    bad |= present["event_id"] & text["event_id"].matches(_ID_SUSPECT)
    ids = pd.Series(pd.array(text["event_id"].values, dtype="str"))
    problems += _duplicate_problems(ids, present["event_id"], np.arange(2, n + 2), source)

    # dates: date parts, within DATE_MIN..DATE_MAX (updated_at too); date_end not before event_date
    days = {name: _arrow_days(column(name), n) for name in DATE_COLUMNS}
    stamp_days = _arrow_days(updated_col, n)
    for name, values in (*days.items(), ("updated_at", stamp_days)):
        bad |= present[name] & ((values < _SAFE_DAYS[0]) | (values > _SAFE_DAYS[1]))
    bad |= present["event_date"] & present["date_end"] & (days["date_end"] < days["event_date"])

    # closed vocabularies, flags, precision, actors and controllers, URLs
    for name, vocab in VOCAB_COLUMNS.items():
        bad |= ~text[name].by_value(lambda v, vocab=vocab: not v or v in vocab)
    flag = column("coord_override")
    override = (
        np.zeros(n, dtype=bool)
        if flag is None or pa.types.is_null(flag.type)
        else np.asarray(pc.fill_null(flag, False).to_numpy(zero_copy_only=False), dtype=bool)
    )
    geo_precision = _arrow_floats(column("geo_precision"), n)
    bad |= present["geo_precision"] & ~np.isin(geo_precision, GEO_PRECISIONS)
    for name in ("controller_before", "controller_after"):
        bad |= ~text[name].by_value(lambda v: not v or is_valid_controller(v))
    bad |= ~text["actors"].by_value(lambda v: not v or _valid_actors(v))
    is_control = text["event_type"].by_value(lambda v: v in CONTROL_TYPES)
    is_change = text["event_type"].by_value(lambda v: v == "control_change")
    bad |= is_control & ~present["controller_after"]
    bad |= is_change & ~present["controller_before"]
    bad |= present["source_url"] & ~text["source_url"].matches(_URL_SURE)

    # places, coordinates, distance to the gazetteer's coordinates
    places: dict[str, Place | None] = {}
    for name in ("place_id", "origin_place_id"):
        for pid in text[name].factorised[1]:
            places[pid] = gazetteer.get(pid) if pid and pid in gazetteer else None
        bad |= ~text[name].by_value(lambda pid: not pid or places[pid] is not None)
    lat = _arrow_floats(column("latitude"), n)
    lon = _arrow_floats(column("longitude"), n)
    for name, values, limit in (("latitude", lat, 90.0), ("longitude", lon, 180.0)):
        bad |= present[name] & (np.isnan(values) | (np.abs(values) > limit))
    bad |= present["latitude"] != present["longitude"]
    place_codes, place_ids = text["place_id"].factorised
    ref_lat, ref_lon = (_attribute_by_code(place_codes, place_ids, places, a, float) for a in ("lat", "lon"))
    limit_km = get_settings().override_km
    near = ~override & ~np.isnan(lat) & ~np.isnan(lon) & ~np.isnan(ref_lat) & ~bad
    idx = np.flatnonzero(near)
    bad[idx[haversine_km(lat[idx], lon[idx], ref_lat[idx], ref_lon[idx]) > limit_km]] = True

    flagged = np.flatnonzero(bad)
    if build and not problems and not len(flagged):
        # the file is valid: build the geometries (shapely releases the GIL) while the columns are assembled
        own = ~np.isnan(lat) & ~np.isnan(lon)
        lat, lon = np.where(own, lat, ref_lat), np.where(own, lon, ref_lon)
        origin_codes, origin_ids = text["origin_place_id"].factorised
        known = np.array([places.get(u) is not None for u in origin_ids], dtype=bool)[origin_codes]
        origin = [_attribute_by_code(origin_codes, origin_ids, places, a, float) for a in ("lat", "lon")]
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kcm-geometry")
        geometry = pool.submit(_geometry, lat, lon, origin[0], origin[1], known)
        pool.shutdown(wait=False)
    if len(flagged):
        table = _table_from_arrow(arrow.take(flagged), source)
        table.lines = (flagged + 2).tolist()
        found, _ = _check_table(table, gazetteer, duplicates=False)
        problems += [p for p in found if p.line != 1]  # header problems are reported once, above
    problems.sort(key=_problem_order)
    if problems or len(flagged) or not build:
        return _TypedResult(problems, None)

    data: dict[str, Any] = {}
    for name in EVENT_COLUMNS:
        if name in DATE_COLUMNS:
            dates = days[name].astype("datetime64[D]").astype("datetime64[ns]")
            dates[~present[name]] = np.datetime64("NaT")
            data[name] = dates
        elif name == "updated_at":
            stamps = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
            if updated_col is not None and not pa.types.is_null(updated_col.type):
                ns = pc.fill_null(updated_col.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
                stamps = np.where(present[name], ns.view("datetime64[ns]"), stamps)
            data[name] = pd.to_datetime(pd.Series(stamps), utc=True)
        elif name == "latitude":
            data[name] = lat
        elif name == "longitude":
            data[name] = lon
        elif name == "coord_override":
            data[name] = override
        elif name == "geo_precision":
            fallback = _attribute_by_code(place_codes, place_ids, places, "geo_precision", float)
            data[name] = _precision_categorical(geo_precision, fallback)
        elif name in VOCAB_COLUMNS:
            data[name] = _categorical(*text[name].factorised, categories=VOCAB_COLUMNS[name])
        else:
            filled = None
            if name in ("place", "place_ar", "admin1") and not present[name].all():
                attr = {"place": "name", "place_ar": "name_ar", "admin1": "admin1"}[name]
                names_by_code = _attribute_by_code(np.arange(len(place_ids)), place_ids, places, attr, object)
                fill = pa.array([v or "" for v in names_by_code], type=pa.large_string())
                filled = pc.if_else(present[name], text[name].values, pc.take(fill, place_codes))
            if name in DATA_CATEGORY_COLUMNS:
                if filled is not None:
                    data[name] = _categorical(*_encode(filled))
                else:
                    data[name] = _categorical(*text[name].factorised)
            else:
                data[name] = text[name].strings(filled)
    frame = _with_geometry(pd.DataFrame(data, index=pd.RangeIndex(n)), geometry.result())
    return _TypedResult(problems, frame)


def _categorical(
    codes: np.ndarray, uniques: list[str], categories: Iterable[str] | None = None
) -> pd.Categorical:
    """Build a categorical from codes into distinct values; ``""`` is missing.

    With ``categories`` (a vocabulary) those are the categories; without, the values that occur, sorted (as
    ``astype("category")`` makes them).
    """
    import pandas as pd

    if categories is None:
        used = np.bincount(codes, minlength=len(uniques)) > 0
        categories = sorted({u for u, hit in zip(uniques, used, strict=True) if hit and u})
    categories = list(categories)
    lookup = {c: i for i, c in enumerate(categories)}
    recode = np.array([lookup.get(u, -1) for u in uniques], dtype=np.intp)
    return pd.Categorical.from_codes(
        recode[codes], dtype=pd.CategoricalDtype(pd.Index(categories, dtype="str"))
    )


# ---------------------------------------------------------------- public API: read and validate


def validate_file(
    path: str | os.PathLike[str] | None = None, *, gazetteer: Gazetteer | None = None
) -> list[Problem]:
    """Check an events file (``.csv`` or GeoParquet ``.parquet``) and return every problem found.

    Parameters
    ----------
    path
        The file; ``None`` means the setting ``events_path``.
    gazetteer
        The gazetteer place ids are checked against; ``None`` means the packaged one.

    Returns
    -------
    list of Problem
        Empty when the file is valid; otherwise sorted by line, then column.
    """
    resolved = _resolve(path)
    gaz = gazetteer or _gazetteer()
    if resolved.suffix.lower() == ".parquet":
        typed = _read_parquet_typed(resolved, gaz, build=False)
        if typed is not None:
            return typed.problems
    problems, _ = _check_table(_table_from_file(resolved), gaz)
    return problems


def validate_frame(
    df: pd.DataFrame, *, source: str = "<frame>", gazetteer: Gazetteer | None = None
) -> list[Problem]:
    """Check a frame of events (e.g. rows from the review panel); row ``i`` is reported as line ``i + 2``."""
    problems, _ = _check_table(_table_from_frame(df, source), gazetteer or _gazetteer())
    return problems


def load_events(
    path: str | os.PathLike[str] | None = None, *, validate: bool = True, gazetteer: Gazetteer | None = None
) -> gpd.GeoDataFrame:
    """Load an events file as a GeoDataFrame.

    Parameters
    ----------
    path
        ``.csv`` (UTF-8, UTF-8 with BOM, or Windows-1256) or GeoParquet ``.parquet``; ``None`` means the setting.
    validate
        Raise :class:`EventValidationError` with every problem if the file is invalid. With ``False``, invalid
        cells become missing values and rows that cannot be split into columns are left out.
    gazetteer
        Where place ids resolve; ``None`` means the packaged gazetteer.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326; ``event_date``/``date_end``/``source_date`` datetime64; vocabularies as categoricals; a Point per
        event, or a LineString from ``origin_place_id`` to the place; sorted by ``event_date`` (stable); index 0..n-1.
        Empty coordinates, names and ``admin1`` are filled from the gazetteer.
    """
    resolved = _resolve(path)
    gaz = gazetteer or _gazetteer()
    if resolved.suffix.lower() == ".parquet":
        typed = _read_parquet_typed(resolved, gaz, build=True)
        if typed is not None and validate and typed.problems:
            raise EventValidationError(typed.problems)
        if typed is not None and typed.frame is not None:
            return typed.frame
    table = _table_from_file(resolved)
    problems, parsed = _check_table(table, gaz)
    if validate and problems:
        raise EventValidationError(problems)
    fatal = [
        p for p in problems if p.line is None or (p.line == 1 and p.message == "missing required column")
    ]
    if fatal and not len(table):
        raise EventValidationError(fatal)
    return _build_frame(table, parsed)


def build_events_frame(
    df: pd.DataFrame, *, source: str = "<frame>", gazetteer: Gazetteer | None = None
) -> gpd.GeoDataFrame:
    """Validate rows given as a frame and build the events GeoDataFrame from them (as :func:`load_events` does)."""
    table = _table_from_frame(df, source)
    problems, parsed = _check_table(table, gazetteer or _gazetteer())
    if problems:
        raise EventValidationError(problems)
    return _build_frame(table, parsed)


def _resolve(path: str | os.PathLike[str] | None) -> Path:
    return Path(path) if path is not None else get_settings().events_path


def _gazetteer() -> Gazetteer:
    from geodata.gazetteer import load_gazetteer

    return load_gazetteer()


# ---------------------------------------------------------------- public API: write


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

    On any error the temporary file is removed and ``target`` is left as it was. With ``durable`` (the default,
    and always for events files) the data is fsync'ed before the rename, so that even a power cut cannot leave
    an empty file; derived exports skip that, as their readers only need never to see a half-written file.
    """
    target = Path(target)
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


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    import filelock

    lock = filelock.FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_S)
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
    it is replaced atomically, under the same lock as :func:`append_events`. The history is appended only after
    the file was replaced; if that append fails, the previous version of the file is written back.

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
        _write_table(target, table)
        try:
            _append_history(target, before, now)  # only once the change is made: no record of one that failed
        except OSError:
            for name in EVENT_COLUMNS:  # nor a change whose previous version is not recorded: undo it
                table.columns[name][i] = before[name]
            _write_table(target, table)
            raise
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
