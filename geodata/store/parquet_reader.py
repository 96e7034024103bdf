"""The GeoParquet reader: events checked and built column by column from typed Arrow columns, or rendered as cells."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.errors import Problem
from geodata.settings import get_settings
from geodata.store.frame import _attribute_by_code, _geometry, _precision_categorical, _with_geometry
from geodata.store.rules import (
    _check_table,
    _duplicate_problems,
    _problem_order,
    _valid_actors,
    capped,
    haversine_km,
)
from geodata.store.schema import (
    DATA_CATEGORY_COLUMNS,
    DATE_COLUMNS,
    DATE_MAX,
    DATE_MIN,
    NUMBER_COLUMNS,
    TIMESTAMP_COLUMNS,
    VOCAB_COLUMNS,
    _normalise_arrow,
    _normalise_column,
    _Table,
)
from geodata.vocab import (
    CONTROL_TYPES,
    EVENT_COLUMNS,
    GEO_PRECISIONS,
    REQUIRED_COLUMNS,
    is_valid_controller,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from geodata.gazetteer import Gazetteer, Place

log = logging.getLogger(__name__)


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


# Days since 1970 of DATE_MIN and DATE_MAX; rows with a date outside go cell by cell (and get their problem there).
_SAFE_DAYS = ((DATE_MIN - date(1970, 1, 1)).days, (DATE_MAX - date(1970, 1, 1)).days)
_UTC_NAMES = frozenset({"UTC", "utc", "Etc/UTC", "+00:00", "Z"})


# Conservative stand-ins for checks whose exact form is Python's: a row they flag is checked cell by cell.

_ID_SUSPECT = r"[^\x21-\x7e]"  # any character rules.plain_id could refuse (and more): checked cell by cell
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


@dataclass
class _Typed:
    """A GeoParquet file's event columns as read (typed Arrow), and what the checks derive from them."""

    source: str
    arrow: Any
    names: list[str]
    wanted: list[str]
    updated: Any  # updated_at as UTC nanosecond timestamps, or None
    text: dict[str, _ArrowText]
    present: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return int(self.arrow.num_rows)

    def column(self, name: str) -> Any:
        return self.arrow.column(name) if name in self.wanted else None


def _read_typed(path: Path) -> _Typed | None:
    """Read the event columns of a GeoParquet file as typed Arrow; None if unreadable or of a type not handled."""
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
        updated = arrow.column("updated_at") if "updated_at" in wanted else None
        if updated is not None and not pa.types.is_null(updated.type):
            updated = pc.cast(updated, pa.timestamp("ns", tz="UTC"))  # ArrowInvalid if out of range
    except (pa.ArrowException, OSError, ValueError):
        return None
    n = arrow.num_rows
    text = {
        name: _ArrowText(arrow.column(name) if name in wanted else None, n, name)
        for name in EVENT_COLUMNS
        if name not in _NOT_TEXT
    }
    typed = _Typed(str(path), arrow, names, wanted, updated, text, {})
    typed.present = {name: cells.present for name, cells in text.items()}
    for name in (*DATE_COLUMNS, *TIMESTAMP_COLUMNS, *NUMBER_COLUMNS):
        typed.present[name] = _valid(typed.column(name), n)
    return typed


@dataclass
class _Checked:
    """The typed columns the checks parsed (reused to build the frame), and the rows they flagged."""

    bad: np.ndarray
    days: dict[str, np.ndarray]
    override: np.ndarray
    geo_precision: np.ndarray
    places: dict[str, Place | None]
    lat: np.ndarray
    lon: np.ndarray
    ref_lat: np.ndarray
    ref_lon: np.ndarray


def _flag_ids_and_dates(t: _Typed, absent: set[str | None], bad: np.ndarray) -> dict[str, np.ndarray]:
    """Flag missing required values, suspect ids, dates out of range or ending before they start."""
    present, n = t.present, t.n
    for name in REQUIRED_COLUMNS:
        if name not in absent:
            bad |= ~present[name]
    # ids: a row with any space or non-ASCII character is checked cell by cell
    bad |= present["event_id"] & t.text["event_id"].matches(_ID_SUSPECT)
    days = {name: _arrow_days(t.column(name), n) for name in DATE_COLUMNS}
    for name, values in (*days.items(), ("updated_at", _arrow_days(t.updated, n))):
        bad |= present[name] & ((values < _SAFE_DAYS[0]) | (values > _SAFE_DAYS[1]))
    bad |= present["event_date"] & present["date_end"] & (days["date_end"] < days["event_date"])
    return days


def _flag_values(t: _Typed, bad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flag closed vocabularies, precision, actors and controllers, control rows without them, and URLs."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text, present = t.text, t.present
    for name, vocab in VOCAB_COLUMNS.items():
        bad |= ~text[name].by_value(lambda v, vocab=vocab: not v or v in vocab)
    flag = t.column("coord_override")
    override = (
        np.zeros(t.n, dtype=bool)
        if flag is None or pa.types.is_null(flag.type)
        else np.asarray(pc.fill_null(flag, False).to_numpy(zero_copy_only=False), dtype=bool)
    )
    geo_precision = _arrow_floats(t.column("geo_precision"), t.n)
    bad |= present["geo_precision"] & ~np.isin(geo_precision, GEO_PRECISIONS)
    for name in ("controller_before", "controller_after"):
        bad |= ~text[name].by_value(lambda v: not v or is_valid_controller(v))
    bad |= ~text["actors"].by_value(lambda v: not v or _valid_actors(v))
    is_control = text["event_type"].by_value(lambda v: v in CONTROL_TYPES)
    is_change = text["event_type"].by_value(lambda v: v == "control_change")
    bad |= is_control & ~present["controller_after"]
    bad |= is_change & ~present["controller_before"]
    bad |= present["source_url"] & ~text["source_url"].matches(_URL_SURE)
    return override, geo_precision


def _flag_places(t: _Typed, gazetteer: Gazetteer, override: np.ndarray, bad: np.ndarray) -> tuple[Any, ...]:
    """Flag unknown places, coordinates out of range or unpaired, and coordinates far from the gazetteer's."""
    text, present = t.text, t.present
    places: dict[str, Place | None] = {}
    for name in ("place_id", "origin_place_id"):
        for pid in text[name].factorised[1]:
            places[pid] = gazetteer.get(pid) if pid and pid in gazetteer else None
        bad |= ~text[name].by_value(lambda pid: not pid or places[pid] is not None)
    lat = _arrow_floats(t.column("latitude"), t.n)
    lon = _arrow_floats(t.column("longitude"), t.n)
    for name, values, limit in (("latitude", lat, 90.0), ("longitude", lon, 180.0)):
        bad |= present[name] & (np.isnan(values) | (np.abs(values) > limit))
    bad |= present["latitude"] != present["longitude"]
    place_codes, place_ids = text["place_id"].factorised
    ref_lat, ref_lon = (_attribute_by_code(place_codes, place_ids, places, a, float) for a in ("lat", "lon"))
    near = ~override & ~np.isnan(lat) & ~np.isnan(lon) & ~np.isnan(ref_lat) & ~bad
    idx = np.flatnonzero(near)
    bad[idx[haversine_km(lat[idx], lon[idx], ref_lat[idx], ref_lon[idx]) > get_settings().override_km]] = True
    return places, lat, lon, ref_lat, ref_lon


def _check_typed(t: _Typed, gazetteer: Gazetteer, problems: list[Problem]) -> _Checked:
    """Run the vectorised stand-ins of every rule; duplicate ids are reported here, the rest only flagged."""
    import pandas as pd

    absent = {p.column for p in problems if p.message == "missing required column"}
    bad = np.zeros(t.n, dtype=bool)
    ids = pd.Series(pd.array(t.text["event_id"].values, dtype="str"))
    problems += _duplicate_problems(ids, t.present["event_id"], np.arange(2, t.n + 2), t.source)
    days = _flag_ids_and_dates(t, absent, bad)
    override, geo_precision = _flag_values(t, bad)
    places, lat, lon, ref_lat, ref_lon = _flag_places(t, gazetteer, override, bad)
    return _Checked(bad, days, override, geo_precision, places, lat, lon, ref_lat, ref_lon)


def _start_geometry(t: _Typed, c: _Checked) -> Any:
    """Fill coordinates from the gazetteer and start building the geometries (shapely releases the GIL)."""
    own = ~np.isnan(c.lat) & ~np.isnan(c.lon)
    c.lat, c.lon = np.where(own, c.lat, c.ref_lat), np.where(own, c.lon, c.ref_lon)
    origin_codes, origin_ids = t.text["origin_place_id"].factorised
    known = np.array([c.places.get(u) is not None for u in origin_ids], dtype=bool)[origin_codes]
    origin = [_attribute_by_code(origin_codes, origin_ids, c.places, a, float) for a in ("lat", "lon")]
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kcm-geometry")
    geometry = pool.submit(_geometry, c.lat, c.lon, origin[0], origin[1], known)
    pool.shutdown(wait=False)
    return geometry


def _read_parquet_typed(path: Path, gazetteer: Gazetteer, *, build: bool) -> _TypedResult | None:
    """Validate, and with ``build`` load, a GeoParquet events file column by column, from its typed Arrow columns.

    Dates, numbers and flags are checked on their arrays and text once per distinct value, with exactly the rules
    of :func:`_check_table`. The rows that fail (or that a conservative stand-in flags) are then checked again
    cell by cell, so that their problems read exactly as for any other file. ``None`` means "read it cell by
    cell": the file is unreadable here, or has a column type the typed reader does not handle.
    """
    t = _read_typed(path)
    if t is None:
        return None
    problems = _arrow_header_problems(t.names, t.source)
    checked = _check_typed(t, gazetteer, problems)
    flagged = np.flatnonzero(checked.bad)
    geometry = _start_geometry(t, checked) if build and not problems and not len(flagged) else None
    if len(flagged):
        table = _table_from_arrow(t.arrow.take(flagged), t.source)
        table.lines = (flagged + 2).tolist()
        found, _ = _check_table(table, gazetteer, duplicates=False)
        problems += [p for p in found if p.line != 1]  # header problems are reported once, above
    problems = capped(sorted(problems, key=_problem_order), t.source)
    if problems or len(flagged) or not build or geometry is None:
        return _TypedResult(problems, None)
    data = {name: _typed_frame_column(t, checked, name) for name in EVENT_COLUMNS}
    import pandas as pd

    frame = _with_geometry(pd.DataFrame(data, index=pd.RangeIndex(t.n)), geometry.result())
    return _TypedResult(problems, frame)


def _typed_frame_column(t: _Typed, c: _Checked, name: str) -> Any:
    """Return one column of the events frame, typed as :func:`~geodata.events.load_events` gives it."""
    present = t.present
    if name in DATE_COLUMNS:
        dates = c.days[name].astype("datetime64[D]").astype("datetime64[ns]")
        dates[~present[name]] = np.datetime64("NaT")
        return dates
    if name == "updated_at":
        return _updated_column(t)
    if name in ("latitude", "longitude"):
        return c.lat if name == "latitude" else c.lon
    if name == "coord_override":
        return c.override
    place_codes, place_ids = t.text["place_id"].factorised
    if name == "geo_precision":
        fallback = _attribute_by_code(place_codes, place_ids, c.places, "geo_precision", float)
        return _precision_categorical(c.geo_precision, fallback)
    if name in VOCAB_COLUMNS:
        return _categorical(*t.text[name].factorised, categories=VOCAB_COLUMNS[name])
    return _text_frame_column(t, c, name)


def _updated_column(t: _Typed) -> Any:
    """``updated_at`` as UTC timestamps (missing where empty)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    stamps = np.full(t.n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if t.updated is not None and not pa.types.is_null(t.updated.type):
        ns = pc.fill_null(t.updated.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
        stamps = np.where(t.present["updated_at"], ns.view("datetime64[ns]"), stamps)
    return pd.to_datetime(pd.Series(stamps), utc=True)


def _text_frame_column(t: _Typed, c: _Checked, name: str) -> Any:
    """Return a text column: names and admin1 filled from the gazetteer where empty; categories as categoricals."""
    import pyarrow as pa
    import pyarrow.compute as pc

    filled = None
    if name in ("place", "place_ar", "admin1") and not t.present[name].all():
        place_codes, place_ids = t.text["place_id"].factorised
        attr = {"place": "name", "place_ar": "name_ar", "admin1": "admin1"}[name]
        names_by_code = _attribute_by_code(np.arange(len(place_ids)), place_ids, c.places, attr, object)
        fill = pa.array([v or "" for v in names_by_code], type=pa.large_string())
        filled = pc.if_else(t.present[name], t.text[name].values, pc.take(fill, place_codes))
    if name in DATA_CATEGORY_COLUMNS:
        return (
            _categorical(*_encode(filled)) if filled is not None else _categorical(*t.text[name].factorised)
        )
    return t.text[name].strings(filled)


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
