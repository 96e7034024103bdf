"""The CSV reader: decoding, a fast Arrow path for large regular files, and the line-tracking reader.

Files are UTF-8 (with or without BOM) or Windows-1256. The line-tracking reader locates every problem of a broken
file (``FILE:LINE:COLUMN``).
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import logging
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geodata.errors import Problem
from geodata.store.parquet_reader import _table_from_arrow
from geodata.store.rules import MAX_PROBLEMS
from geodata.store.schema import _normalise_arrow, _normalise_column, _Table
from geodata.text import decode_events
from geodata.vocab import (
    EVENT_COLUMNS,
    REQUIRED_COLUMNS,
)

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


# CSV files (bytes) or text (characters) at least this long are first tried with Arrow's reader (_fast_table).
FAST_PATH_MIN_CHARS = 256 * 1024
# The line reader's csv module refuses longer fields; the fast path leaves such files to it, so both agree.
_FIELD_LIMIT = csv.field_size_limit()
# Arrow parses blocks in parallel; a column is then one chunk per block, each normalised with a few NumPy calls.
_BLOCK_BYTES = 4 << 20


_SURROGATE = re.compile("[\udc80-\udcff]")


def _undecodable_cells(cells: list[str]) -> list[int]:
    """Return the positions of cells that hold undecodable bytes (surrogate escapes)."""
    return [k for k, cell in enumerate(cells) if _SURROGATE.search(cell)]


def _undecodable(cell: str) -> str | None:
    """Return the undecodable bytes of a cell as backslash-escaped text, or None if the cell decoded cleanly."""
    if _SURROGATE.search(cell) is None:
        return None
    return cell.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _table_from_text(text: str, source: str, *, fast: bool = True) -> _Table:
    """Split CSV text into a :class:`_Table`, reporting header, ragged-row, syntax and encoding problems.

    With ``fast``, large text is first tried with Arrow's reader (:func:`_fast_table`, on its UTF-8 bytes).
    """
    problems: list[Problem] = []
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        problems.append(Problem(source, line, None, "binary data (NUL byte); not a CSV text file"))
        return _Table(source, {c: [] for c in EVENT_COLUMNS}, [], problems)
    if fast and len(text) >= FAST_PATH_MIN_CHARS and _SURROGATE.search(text) is None:
        table = _fast_table(text.encode("utf-8"), source)
        if table is not None:
            return table
    header, header_line, rows, lines = _split_records(text, source, problems)
    if header is None:
        if not problems:  # a first line that is malformed is reported as such, not as an empty file
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


def _split_records(
    text: str, source: str, problems: list[Problem]
) -> tuple[list[str] | None, int, list[list[str]], list[int]]:
    """Split CSV text into its header, its rows and the line each row starts on (the line-tracking reader).

    Ragged rows and syntax errors are added to ``problems`` (at most :data:`MAX_PROBLEMS`; then reading stops),
    and reading resumes on the next record after each error.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 1
    width = 0
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
                    header, header_line, width = [h.strip().lstrip("\ufeff") for h in row], start, len(row)
                elif len(row) == width:
                    rows.append(row)
                    lines.append(start)
                else:
                    message = f"row has {len(row)} field(s) but the header has {width}"
                    problems.append(Problem(source, start, None, message))
                    if len(problems) >= MAX_PROBLEMS:
                        break
            done = True
        except csv.Error as e:
            problems.append(Problem(source, last + 1, None, f"malformed CSV: {e}"))
            last = reader.line_num
            done = len(problems) >= MAX_PROBLEMS
    if len(problems) >= MAX_PROBLEMS:
        problems.append(Problem(source, None, None, f"stopped reading after {MAX_PROBLEMS:,} problems"))
    return header, header_line, rows, lines


def _fast_table(body: bytes, source: str) -> _Table | None:
    """Parse a large, regular UTF-8 CSV with Arrow's reader; None means "use the line-tracking reader".

    ``body`` is the file's bytes without a BOM: Arrow checks the UTF-8 itself, so the text is never decoded in
    Python. The fast path applies when every record is one physical line (then record ``i`` is line ``i + 2``)
    and the header is right; anything else (undecodable bytes, NUL bytes, multi-line values, blank lines, lone
    carriage returns, ragged rows, bad quoting, a field over the line reader's limit) goes the slow way, which
    reports each problem with its line.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = _fast_header(body, source)
    if header is None or b"\x00" in body or not _quoting_is_strict(body) or _lone_carriage_return(body):
        return None
    try:
        arrow = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(
                column_names=header, skip_rows=1, use_threads=True, block_size=_BLOCK_BYTES
            ),
            # _quoting_is_strict saw an even number of quotes on each line: no value spans a newline
            parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header}, strings_can_be_null=False, check_utf8=True
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):  # undecodable bytes, ragged rows, blank lines
        return None
    physical = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    n = arrow.num_rows
    if physical != n + 1 or _longest_cell(arrow) > _FIELD_LIMIT:  # the line reader refuses such a field
        return None
    return _Table(source, _arrow_cells(arrow, header, n), list(range(2, n + 2)))


def _fast_header(body: bytes, source: str) -> list[str] | None:
    """Return the header of a CSV's bytes if it is right (known, required and distinct columns), else None."""
    first_newline = body.find(b"\n")
    try:
        line = body[: first_newline if first_newline >= 0 else len(body)].decode("utf-8")
        header = next(csv.reader([line]), [])
    except (
        UnicodeDecodeError,
        csv.Error,
    ):  # e.g. a field over the csv module's limit: the line reader locates it
        return None
    header = [h.strip().lstrip("\ufeff") for h in header]
    if not header or _check_header(header, source, 1) or len(set(header)) != len(header):
        return None
    return header


def _arrow_cells(arrow: Any, header: list[str], n: int) -> dict[str, Any]:
    """Return the normalised cells of each event column as string Series, straight from Arrow's columns."""
    import pandas as pd

    columns: dict[str, Any] = {}
    for name in EVENT_COLUMNS:
        if name in header:
            columns[name] = pd.Series(_normalise_arrow(arrow.column(name), name), dtype="str")
        else:
            columns[name] = pd.Series([""] * n, dtype=object)
    return columns


_QUOTED_LINE = re.compile(rb"[^\n]*\"[^\n]*")


def _quoting_is_strict(body: bytes) -> bool:
    """Whether the lines that hold a quote parse under the line reader's rules, each on its own.

    Arrow's reader is lenient (it reads ``"Hawija"xyz`` as ``Hawijaxyz``; the line reader refuses it), so the
    quoted lines (only those) are checked with the line reader's own parser, which keeps the two readers in
    agreement. A line with an odd number of quotes opens a value that spans lines: the line reader's job.
    """
    if b'"' not in body:
        return True
    try:
        quoted = [line.decode("utf-8") for line in _QUOTED_LINE.findall(body)]
        if any(line.count('"') % 2 for line in quoted):
            return False
        for _ in csv.reader(quoted, strict=True):
            pass
    except (UnicodeDecodeError, csv.Error):
        return False
    return True


def _lone_carriage_return(body: bytes) -> bool:
    """Whether a carriage return ends a line on its own (Arrow and the line reader then count lines otherwise)."""
    return b"\r" in body and body.count(b"\r") != body.count(b"\r\n")


def _longest_cell(arrow: Any) -> int:
    """Return the length (characters) of the longest cell of an Arrow table of strings.

    The byte length bounds the length in characters, and comes from the offsets alone; characters are
    counted only in a column whose bytes pass the limit.
    """
    import pyarrow.compute as pc

    longest = 0
    for column in arrow.columns:
        size = pc.max(pc.binary_length(column)).as_py() or 0
        if size > _FIELD_LIMIT:
            size = pc.max(pc.utf8_length(column)).as_py() or 0
        longest = max(longest, size)
    return longest


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
        raw = read_regular_file(path)
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
    kind = _not_csv(raw)
    if kind is not None:
        return _Table(source, {c: [] for c in EVENT_COLUMNS}, [], [Problem(source, 1, None, kind)])
    body = raw.removeprefix(codecs.BOM_UTF8)
    if len(body) >= FAST_PATH_MIN_CHARS:
        table = _fast_table(body, source)
        if table is not None:
            return table
    text = decode_events(raw, source)
    # Text of as many characters as bytes came from Windows-1256 (or is ASCII): its UTF-8 is worth a try;
    # UTF-8 text was just tried as it is.
    return _table_from_text(text, source, fast=len(text) == len(body))


def _not_csv(raw: bytes) -> str | None:
    """Say what a file that cannot be an events CSV is (UTF-16 text, a JSON/GeoJSON document), else None."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text (byte-order mark); save the file as UTF-8 CSV"
    if re.match(rb"(?:\xef\xbb\xbf)?\s*[\[{]", raw):  # no events column name starts with { or [
        return "a JSON document (GeoJSON?), not a CSV; events files are .csv or GeoParquet .parquet"
    return None


def read_regular_file(path: Path) -> bytes:
    """Read a whole file, refusing anything but a regular file (a FIFO would hang, ``/dev/zero`` never ends).

    Raises
    ------
    OSError
        Also for a special file, with a message that says what it is.
    """
    with open(path, "rb", opener=_nonblocking) as fh:
        mode = os.fstat(fh.fileno()).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a device, pipe or socket"
            raise OSError(errno.EINVAL, f"not a regular file ({kind})")
        return fh.read()


def _nonblocking(path: str, flags: int) -> int:
    """Open without blocking, so that opening a FIFO with no writer returns at once (then refused)."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _os_message(e: OSError) -> str:
    return f"cannot read the file: {e.strerror or e}"
