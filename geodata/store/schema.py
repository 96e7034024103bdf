"""The events schema as text: columns, vocabularies, date range, the raw-cell table and how values become cells.

Every reader turns its input into a :class:`_Table` of normalised text cells (or typed Arrow columns that follow
the same rules), so that one set of rules (:mod:`geodata.store.rules`) checks them all.
"""

from __future__ import annotations

import logging
import math
import os
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.errors import Problem
from geodata.settings import get_settings
from geodata.text import DIGITS
from geodata.vocab import (
    CONTROL_MODES,
    DATE_PRECISIONS,
    EVENT_COLUMNS,
    EVENT_TYPES,
    REQUIRED_COLUMNS,
    SOURCE_LANGS,
    STATUSES,
)

if TYPE_CHECKING:
    import pandas as pd

    from geodata.gazetteer import Gazetteer

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
_TRUE = frozenset({"true", "1", "yes"})


_FALSE = frozenset({"", "false", "0", "no"})


# Arabic-Indic and Eastern Arabic-Indic (Persian) digits, the Arabic decimal and thousands separators, minus signs.
_DIGITS = str.maketrans(
    {
        **DIGITS,
        "\u066b": ".",
        "\u066c": "",
        "\u2212": "-",
    }
)


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
    """Normalise Arrow string cells (an array or chunked array, no nulls) as :func:`_normalise` does.

    Nothing is copied when nothing changes. White space is looked for in the first and last characters of each
    cell, from their bytes; a column whose bytes are all ASCII is then done; otherwise NFC is checked once per
    distinct non-ASCII value.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = [_string_buffers(chunk) for chunk in _chunks(arrow)]
    in_ascii = [_is_ascii(offsets, data) for offsets, data in chunks]
    if any(_may_have_space_at_an_end(*chunk, all_ascii=a) for chunk, a in zip(chunks, in_ascii, strict=True)):
        # nearly always a real space (the check can only err on a cell of a byte or two): trimming it is cheaper
        # than making sure first
        arrow = pc.utf8_trim_whitespace(arrow)
        in_ascii = [
            _is_ascii(offsets, data) for offsets, data in (_string_buffers(c) for c in _chunks(arrow))
        ]
    if all(in_ascii):
        return arrow
    if column in DATE_COLUMNS or column in TIMESTAMP_COLUMNS or column in NUMBER_COLUMNS:
        ascii_only = pc.string_is_ascii(arrow)
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


# Bytes that start a character str.strip() or Arrow's utf8_trim_whitespace may remove: ASCII white space
# (with the separators U+001C..U+001F), and the lead bytes of U+0085, U+00A0, U+1680, U+2000..U+205F, U+3000.
_SPACE_BYTES = np.zeros(256, dtype=bool)
_SPACE_BYTES[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]] = True
_SPACE_LEADS = np.zeros(256, dtype=bool)
_SPACE_LEADS[[0xC2, 0xE1, 0xE2, 0xE3]] = True
# The non-ASCII characters either may strip (Unicode's Zs, Zl and Zp, U+0085, and U+180E, space in older Unicode).
_SPACE_CODEPOINTS = np.array(
    [0x85, 0xA0, 0x1680, 0x180E, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000],
    dtype=np.int32,
)


def _chunks(arrow: Any) -> list[Any]:
    """Return the arrays of an Arrow array or chunked array."""
    import pyarrow as pa

    return arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]


def _is_ascii(offsets: np.ndarray, data: np.ndarray) -> bool:
    """Whether the bytes of an Arrow string array (:func:`_string_buffers`) are all ASCII."""
    return not len(data) or int(data[offsets[0] : offsets[-1]].max(initial=0)) < 0x80


def _string_buffers(arrow: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return the offsets and the UTF-8 bytes of an Arrow string array (no copy), for checks on raw bytes."""
    import pyarrow as pa

    _, offsets, data = arrow.buffers()
    wide = pa.types.is_large_string(arrow.type)
    offsets = np.frombuffer(offsets, dtype=np.int64 if wide else np.int32)[
        arrow.offset : arrow.offset + len(arrow) + 1
    ]
    return offsets, np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)


def _may_have_space_at_an_end(offsets: np.ndarray, data: np.ndarray, *, all_ascii: bool = False) -> bool:
    """Whether some cell may start or end with white space, judged from its first and last characters alone.

    Conservative: a first or last byte that is ASCII white space counts, and so does a first or last character
    that decodes to one of :data:`_SPACE_CODEPOINTS` (where a cell is too short, or empty, a neighbour's bytes are
    read: that can only say yes wrongly). The exact check runs only on a column where this says yes; a dash or an
    Arabic letter at an end no longer sends a column of a million cells through it. With ``all_ascii`` (the bytes are
    all ASCII: :func:`_is_ascii`) the first and last bytes tell.
    """
    if not len(data):
        return False
    first_at = offsets[:-1]
    first = data.take(first_at, mode="clip")
    last_at = offsets[1:] - 1
    last = data.take(last_at, mode="clip")
    if _SPACE_BYTES[first].any() or _SPACE_BYTES[last].any():
        return True
    if all_ascii:
        return False
    lead = first_at[_SPACE_LEADS[first]]
    wide = last_at[last >= 0x80]
    return bool(
        _space_at(data, lead, 2).any()
        or _space_at(data, lead, 3).any()
        or _space_at(data, wide - 1, 2).any()
        or _space_at(data, wide - 2, 3).any()
    )


def _space_at(data: np.ndarray, at: np.ndarray, width: int) -> np.ndarray:
    """Whether the ``width``-byte UTF-8 character starting at each of ``at`` is in :data:`_SPACE_CODEPOINTS`."""
    if not len(at):
        return np.zeros(0, dtype=bool)
    b = [data.take(at + k, mode="clip").astype(np.int32) for k in range(width)]
    if width == 2:
        point = ((b[0] & 0x1F) << 6) | (b[1] & 0x3F)
    else:
        point = ((b[0] & 0x0F) << 12) | ((b[1] & 0x3F) << 6) | (b[2] & 0x3F)
    return np.isin(point, _SPACE_CODEPOINTS)


def _normalise(cell: str, column: str) -> str:
    """Strip, NFC-normalise, and turn Arabic-Indic digits into ASCII in date and number columns."""
    cell = cell.strip()
    if not cell.isascii():
        if column in DATE_COLUMNS or column in TIMESTAMP_COLUMNS or column in NUMBER_COLUMNS:
            cell = cell.translate(_DIGITS)
        if not unicodedata.is_normalized("NFC", cell):
            cell = unicodedata.normalize("NFC", cell)
    return cell


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


def _resolve(path: str | os.PathLike[str] | None) -> Path:
    return Path(path) if path is not None else get_settings().events_path


def _gazetteer() -> Gazetteer:
    from geodata.gazetteer import load_gazetteer

    return load_gazetteer()
