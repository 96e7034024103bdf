"""Exports of (filtered) events: RFC 7946 GeoJSON first, then CSV, ACLED-style CSV, GeoPackage and GeoParquet.

GeoJSON and both CSVs are streamed in chunks (orjson), so a million features export in bounded memory. Paths are
written atomically (temp file + rename); ``-`` in the CLI means a binary stream (stdout).
"""

from __future__ import annotations

import io
import math
import os
import queue
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from json.encoder import encode_basestring as _encode_string
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import orjson

from geodata.errors import ExportError
from geodata.events import DATE_COLUMNS, NUMBER_COLUMNS, TIMESTAMP_COLUMNS, atomic_path, frame_cells
from geodata.settings import COORD_DECIMALS
from geodata.vocab import (
    ACLED_SIDES,
    ACLED_TYPES,
    COUNTRY_NAMES,
    DATE_PRECISION_ACLED,
    EVENT_COLUMNS,
    actor_label,
    split_controller,
)

if TYPE_CHECKING:
    import pandas as pd

    from geodata.filters import EventFilter
    from geodata.store.dataset import EventDataset

FORMATS: dict[str, str] = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".csv": "csv",
    ".gpkg": "gpkg",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
}
# Every format; ``acled`` has no extension of its own (``.csv`` means our CSV), so it is always asked for by name.
EXPORT_FORMATS: tuple[str, ...] = ("geojson", "csv", "acled", "gpkg", "parquet")
CHUNK_ROWS = 50_000
PARTITION_CHUNK_ROWS = 1_000_000  # rows per file written at most; a month of 10M events is a few files
_QUEUE_PIECES = 3
# Cells a spreadsheet would run as a formula (OWASP "CSV injection"); such text cells get a leading quote.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_NON_PROPERTY_COLUMNS = frozenset({"geometry", "latitude", "longitude"})
_PLAIN_CSV_COLUMNS = frozenset(DATE_COLUMNS + TIMESTAMP_COLUMNS + NUMBER_COLUMNS + ("coord_override",))


# ---------------------------------------------------------------- GeoJSON


def _json_column(series: pd.Series) -> list[Any]:
    """Convert one column to JSON-able Python values: ISO dates, None for missing, plain ints/floats/str."""
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = [_plain(c) for c in dtype.categories.tolist()]
        lookup = np.array([*cats, None], dtype=object)
        return lookup[series.cat.codes.to_numpy()].tolist()
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
        text = np.char.add(np.datetime_as_string(utc, unit="s"), "Z")
        return np.where(np.isnat(utc), None, text).tolist()
    if pd.api.types.is_datetime64_dtype(dtype):
        values = series.to_numpy()
        days = values.astype("datetime64[D]")
        known = ~np.isnat(values)
        if (values[known] == days[known]).all():
            text = np.datetime_as_string(days, unit="D")
        else:
            text = np.datetime_as_string(values.astype("datetime64[s]"), unit="s")
        return np.where(np.isnat(values), None, text).tolist()
    if pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.BooleanDtype):
        return series.to_numpy(dtype=bool).tolist()
    values = series.to_numpy(dtype=object)
    missing = pd.isna(values)
    if missing.any():
        values = np.where(missing, None, values)
    return [_plain(v) for v in values.tolist()] if pd.api.types.is_object_dtype(dtype) else values.tolist()


def _plain(value: object) -> object:
    """Turn numpy scalars into Python ones (orjson knows the Python types)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _fragments(series: pd.Series) -> bytes | np.ndarray:
    """Serialise a column to JSON fragments, one per row; a single ``bytes`` when the whole column is one value.

    Each distinct value is serialised once (factorize, then index), which is what makes the export fast.
    """
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        uniques = pd.Series(series.cat.categories)
    else:
        codes, raw = pd.factorize(series, use_na_sentinel=True)
        uniques = pd.Series(raw, dtype=series.dtype)
    lookup = np.array([_json_bytes(v) for v in _json_column(uniques)] + [b"null"], dtype=object)
    if len(codes) == 0:
        return lookup[:0]
    if (codes == codes[0]).all():
        return lookup[codes[0]]
    return lookup[codes]


def _json_bytes(value: object) -> bytes:
    """Serialise one JSON-able value compactly, as UTF-8 (Arabic as is).

    Strings go through the standard library's C encoder: each ``orjson.dumps`` result keeps a kilobyte-sized
    buffer, which for a chunk of unique strings costs hundreds of megabytes.
    """
    if isinstance(value, str):
        return _encode_string(value).encode("utf-8")
    if value is None:
        return b"null"
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int):
        return str(value).encode("ascii")
    if isinstance(value, float):
        return repr(value).encode("ascii") if math.isfinite(value) else b"null"
    return bytes(bytearray(orjson.dumps(value)))


def _geometry_fragments(geoms: Any) -> list[bytes]:
    """Serialise geometries of any type as GeoJSON members, [lon, lat] rounded to 6 decimals."""
    import shapely

    arr = np.asarray(geoms, dtype=object)
    drawable = _drawable(arr)
    out: list[bytes] = []
    for geom, ok in zip(arr.tolist(), drawable.tolist(), strict=True):
        if not ok:
            out.append(
                b"null"
            )  # RFC 7946: an unlocated feature has a null geometry (never NaN, never a crash)
        else:
            out.append(orjson.dumps(_round_mapping(shapely.geometry.mapping(geom))))
    return out


def _drawable(geoms: np.ndarray) -> np.ndarray:
    """Return True where a geometry can be written as GeoJSON: present, not empty, finite bounds (no NaN/inf)."""
    import shapely

    present = ~shapely.is_missing(geoms)
    ok = present.copy()
    ok[present] = ~shapely.is_empty(geoms[present]) & np.isfinite(shapely.bounds(geoms[present])).all(axis=1)
    return ok


def _round_mapping(mapping: Any) -> Any:
    if isinstance(mapping, dict):
        return {k: _round_mapping(v) for k, v in mapping.items()}
    if isinstance(mapping, list | tuple):
        if mapping and isinstance(mapping[0], float | int) and not isinstance(mapping[0], bool):
            return [round(float(v), COORD_DECIMALS) for v in mapping]
        return [_round_mapping(v) for v in mapping]
    return mapping


def _features(gdf: pd.DataFrame, id_column: str) -> bytes:
    """Serialise one chunk of rows as comma-separated Feature objects (no brackets).

    Every value is serialised by orjson; a per-chunk byte template joins them. Columns that hold a single value
    in the chunk are written into the template once, and so are Point geometries' type and brackets.
    """
    import shapely

    n = len(gdf)
    keys = [str(c) for c in gdf.columns if c not in _NON_PROPERTY_COLUMNS]
    ids = _fragments(gdf[id_column]) if id_column in gdf else b"null"
    variable: list[Any] = [[ids] * n if isinstance(ids, bytes) else ids]
    geoms = np.asarray(gdf.geometry.to_numpy() if "geometry" in gdf else [None] * n, dtype=object)
    if n and (shapely.get_type_id(geoms) == 0).all() and _drawable(geoms).all():
        head = b'{"type":"Feature","id":%b,"geometry":{"type":"Point","coordinates":[%r,%r]},"properties":{'
        xy = np.round(shapely.get_coordinates(geoms), COORD_DECIMALS)
        variable += [xy[:, 0].tolist(), xy[:, 1].tolist()]
    else:
        head = b'{"type":"Feature","id":%b,"geometry":%b,"properties":{'
        variable.append(_geometry_fragments(geoms))
    members = []
    for key in keys:
        values = _fragments(gdf[key])
        if isinstance(values, bytes):
            members.append((orjson.dumps(key) + b":" + values).replace(b"%", b"%%"))
        else:
            members.append(orjson.dumps(key).replace(b"%", b"%%") + b":%b")
            variable.append(values)
    template = head + b",".join(members) + b"}}"
    return b",".join([template % row for row in zip(*variable, strict=True)])


def iter_geojson(
    gdf: pd.DataFrame | Iterable[pd.DataFrame],
    *,
    event_filter: EventFilter | None = None,
    members: dict[str, Any] | None = None,
    id_column: str = "event_id",
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[bytes]:
    """Yield an RFC 7946 FeatureCollection in pieces of at most ``chunk_rows`` features (or per chunk given).

    ``event_filter`` is recorded as the foreign member ``"filter"``; ``members`` adds other top-level members.
    """
    head: dict[str, Any] = {"type": "FeatureCollection"}
    if event_filter is not None:
        head["filter"] = event_filter.to_dict()
    head.update(members or {})
    yield orjson.dumps(head)[:-1] + b',"features":['
    first = True
    for chunk in _chunks(gdf, chunk_rows):
        if not len(chunk):
            continue
        if not first:
            yield b","
        yield _features(chunk, id_column)
        first = False
    yield b"]}\n"


def _chunks(data: pd.DataFrame | Iterable[pd.DataFrame], chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Yield a frame in slices of ``chunk_rows`` rows; chunks already made (streamed from a dataset) as they are."""
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        yield from data
        return
    for start in range(0, len(data), chunk_rows):
        yield data.iloc[start : start + chunk_rows]


def to_geojson_bytes(gdf: pd.DataFrame, *, event_filter: EventFilter | None = None) -> bytes:
    """Return events as RFC 7946 GeoJSON bytes (UTF-8; Arabic is written as is, not escaped), recording ``event_filter`` if given."""
    return b"".join(iter_geojson(gdf, event_filter=event_filter))


def control_to_geojson_bytes(control_df: pd.DataFrame, *, as_of: date | str) -> bytes:
    """Return a control state (:func:`~geodata.control.control_as_of`) as GeoJSON Points, with ``"as_of"``."""
    from geodata.control import control_records

    records = control_records(control_df)
    features = [
        {
            "type": "Feature",
            "id": r["place_id"],
            "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
            "properties": {k: v for k, v in r.items() if k not in ("lat", "lon")},
        }
        for r in records
    ]
    day = as_of.isoformat() if isinstance(as_of, date) else str(as_of)
    return orjson.dumps({"type": "FeatureCollection", "as_of": day, "features": features}) + b"\n"


# ---------------------------------------------------------------- CSV


def neutralise_formula(cell: str) -> str:
    """Prefix a text cell that a spreadsheet would read as a formula with ``'``."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def _iter_csv_table(
    gdf: pd.DataFrame | Iterable[pd.DataFrame],
    header: tuple[str, ...],
    cells_of: Callable[[pd.DataFrame], dict[str, list[str]]],
    plain: frozenset[str],
    chunk_rows: int,
) -> Iterator[bytes]:
    """Yield ``gdf`` as UTF-8 CSV in pieces of ``chunk_rows`` rows: ``header``, then ``cells_of(chunk)`` per chunk.

    Text cells are neutralised against formula injection, except the columns in ``plain`` (dates, numbers).
    """
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for chunk in _chunks(gdf, chunk_rows):
        cells = cells_of(chunk)
        n = len(chunk)
        columns = [
            cells.get(name, [""] * n)
            if name in plain
            else [neutralise_formula(c) for c in cells.get(name, [""] * n)]
            for name in header
        ]
        writer.writerows(zip(*columns, strict=True))
        yield buf.getvalue().encode("utf-8")
        buf.seek(0)
        buf.truncate()
    rest = buf.getvalue()
    if rest:
        yield rest.encode("utf-8")


def iter_csv(gdf: pd.DataFrame | Iterable[pd.DataFrame], *, chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """Yield the events as UTF-8 CSV in :data:`~geodata.vocab.EVENT_COLUMNS` order, safe against formula injection."""
    yield from _iter_csv_table(gdf, EVENT_COLUMNS, frame_cells, _PLAIN_CSV_COLUMNS, chunk_rows)


def to_csv_bytes(gdf: pd.DataFrame) -> bytes:
    """Return the events as CSV bytes (see :func:`iter_csv`)."""
    return b"".join(iter_csv(gdf))


# ---------------------------------------------------------------- ACLED-style CSV

# ACLED's column names, in the order of its public export, then our own columns (``kcm_``). ACLED columns that we
# cannot fill truthfully (inter codes, interaction, source_scale, admin2/3, tags) are left out; ``fatalities`` is
# kept but always empty, since we do not code fatalities (empty is "not coded", never 0).
ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "actor2",
    "assoc_actor_2",
    "country",
    "admin1",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "notes",
    "fatalities",
    "kcm_place_id",
    "kcm_controller_before",
    "kcm_controller_after",
    "kcm_status",
    "kcm_source_url",
    "kcm_event_type",
    "kcm_date_end",
    "kcm_actors",
)
_PLAIN_ACLED_COLUMNS = frozenset(
    {
        "event_date",
        "year",
        "time_precision",
        "latitude",
        "longitude",
        "geo_precision",
        "fatalities",
        "kcm_date_end",
    }
)
_ACLED_KEY: tuple[str, ...] = ("event_type", "control_mode", "side")
_ACLED_VALUES: tuple[str, ...] = ("disorder_type", "acled_event_type", "sub_event_type")
# Statuses that the ACLED notes mention, since ACLED has no column for them.
_NOTED_STATUSES = frozenset({"disputed", "withdrawn"})


def _acled_table() -> pd.DataFrame:
    """Return :data:`~geodata.vocab.ACLED_TYPES` as a frame; a ``None`` key part (the fallback) becomes ``""``."""
    import pandas as pd

    rows = [(t, m or "", side or "", *v) for (t, m, side), v in ACLED_TYPES.items()]
    return pd.DataFrame(rows, columns=[*_ACLED_KEY, *_ACLED_VALUES])


def acled_types(keys: pd.DataFrame) -> pd.DataFrame:
    """Join (event_type, control_mode, side) keys onto the ACLED table, with its ``None`` fallback.

    Parameters
    ----------
    keys
        Columns ``event_type``, ``control_mode`` and ``side`` as text (``""`` for none).

    Returns
    -------
    pandas.DataFrame
        ``disorder_type``, ``acled_event_type`` and ``sub_event_type``, on the index of ``keys``. The exact key wins,
        then the key with no side, then the event type alone.

    Raises
    ------
    ExportError
        A key that the table cannot map, even by its fallback.
    """
    table = _acled_table()
    distinct = keys[list(_ACLED_KEY)].drop_duplicates().reset_index(drop=True)
    found = distinct.copy()
    for name in _ACLED_VALUES:
        found[name] = None
    for kept in (3, 2, 1):
        on = list(_ACLED_KEY[:kept])
        fallback = table[(table[list(_ACLED_KEY[kept:])] == "").all(axis=1)] if kept < 3 else table
        level = distinct[on].merge(fallback[[*on, *_ACLED_VALUES]], how="left", on=on, validate="many_to_one")
        found[list(_ACLED_VALUES)] = found[list(_ACLED_VALUES)].fillna(level[list(_ACLED_VALUES)])
    unmapped = found[found["sub_event_type"].isna()]
    if len(unmapped):
        first = unmapped.iloc[0]
        raise ExportError(
            f"no ACLED type for event_type {first['event_type']!r} with control_mode {first['control_mode']!r}; "
            "add it to geodata.vocab.ACLED_TYPES"
        )
    joined = keys[list(_ACLED_KEY)].merge(found, how="left", on=list(_ACLED_KEY), validate="many_to_one")
    return joined[list(_ACLED_VALUES)].set_axis(keys.index)


def _side(codes: list[str]) -> str:
    """Return the ACLED side shared by all ``codes`` (``""`` when they have none or differ)."""
    sides = {ACLED_SIDES.get(code, "") for code in codes}
    return sides.pop() if len(sides) == 1 else ""


def _acled_actors(event_type: str, before: str, after: str, actors: str) -> tuple[str, str, str, str, str]:
    """Return actor1, assoc_actor_1, actor2, assoc_actor_2 (English labels) and actor1's side.

    For a control change, actor1 is the holder after it (a joint holder's other parts are its associates) and
    actor2 the holder before it. Otherwise actor1 is the first listed actor; our data does not say which of the
    others were on which side, so actor2 stays empty and ``kcm_actors`` lists them all.
    """
    if event_type == "control_change" and after:
        first = split_controller(after)
        second = split_controller(before) if before and before != after else []
    else:
        first = [code for code in (a.strip() for a in actors.split(";")) if code][:1]
        second = []
    labels = [[actor_label(code) for code in side] for side in (first, second)]
    return (
        labels[0][0] if labels[0] else "",
        "; ".join(labels[0][1:]),
        labels[1][0] if labels[1] else "",
        "; ".join(labels[1][1:]),
        _side(first),
    )


def _acled_note(summary: str, as_written: str, status: str, notes: str) -> str:
    """Return ACLED's ``notes``: our summary, the place as the source wrote it, a disputed status, our notes."""
    parts = [summary]
    if as_written:
        parts.append(f"Place as written: {as_written}")
    if status in _NOTED_STATUSES:
        parts.append(f"Status: {status}")
    if notes:
        parts.append(f"Notes: {notes}")
    return " | ".join(p for p in parts if p)


def _countries(place_ids: list[str], event_ids: list[str]) -> list[str]:
    """Return ACLED's country name of each place, from the gazetteer's ISO code."""
    from geodata.gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    names: dict[str, str] = {}
    for place_id, event_id in zip(place_ids, event_ids, strict=True):
        if place_id in names:
            continue
        if place_id not in gazetteer:
            raise ExportError(f"event {event_id}: place_id {place_id!r} is not in the gazetteer")
        code = gazetteer.get(place_id).country
        # ACLED's spelling where the vocabulary has one, else the gazetteer country's English name
        name = COUNTRY_NAMES.get(code) or gazetteer.country_name(code)
        if name is None:
            raise ExportError(
                f"event {event_id}: no country name for code {code!r} of {place_id}; add it to "
                "geodata.vocab.COUNTRY_NAMES"
            )
        names[place_id] = name
    return [names[p] for p in place_ids]


def acled_cells(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Render events as the cells of :data:`ACLED_COLUMNS` (ISO dates, ``""`` for missing).

    The ACLED types come from one join on :data:`~geodata.vocab.ACLED_TYPES`, see :func:`acled_types`.
    """
    import pandas as pd

    cells = frame_cells(frame)
    n = len(frame)

    def col(name: str) -> list[str]:
        return cells.get(name, [""] * n)

    event_types = col("event_type")
    actors = [
        _acled_actors(*row)
        for row in zip(
            event_types, col("controller_before"), col("controller_after"), col("actors"), strict=True
        )
    ]
    keys = pd.DataFrame(
        {"event_type": event_types, "control_mode": col("control_mode"), "side": [a[4] for a in actors]}
    )
    types = acled_types(keys)
    precisions = []
    for event_id, precision in zip(col("event_id"), col("date_precision"), strict=True):
        if precision and precision not in DATE_PRECISION_ACLED:
            raise ExportError(f"event {event_id}: unknown date_precision {precision!r}")
        precisions.append(str(DATE_PRECISION_ACLED[precision]) if precision else "")
    return {
        "event_id_cnty": col("event_id"),
        "event_date": col("event_date"),
        "year": [d[:4] for d in col("event_date")],
        "time_precision": precisions,
        "disorder_type": types["disorder_type"].tolist(),
        "event_type": types["acled_event_type"].tolist(),
        "sub_event_type": types["sub_event_type"].tolist(),
        "actor1": [a[0] for a in actors],
        "assoc_actor_1": [a[1] for a in actors],
        "actor2": [a[2] for a in actors],
        "assoc_actor_2": [a[3] for a in actors],
        "country": _countries(col("place_id"), col("event_id")),
        "admin1": col("admin1"),
        "location": col("place"),
        "latitude": col("latitude"),
        "longitude": col("longitude"),
        "geo_precision": col("geo_precision"),
        "source": col("source"),
        "notes": [
            _acled_note(*row)
            for row in zip(col("summary"), col("place_as_written"), col("status"), col("notes"), strict=True)
        ],
        "fatalities": [""] * n,
        "kcm_place_id": col("place_id"),
        "kcm_controller_before": col("controller_before"),
        "kcm_controller_after": col("controller_after"),
        "kcm_status": col("status"),
        "kcm_source_url": col("source_url"),
        "kcm_event_type": event_types,
        "kcm_date_end": col("date_end"),
        "kcm_actors": col("actors"),
    }


def iter_acled_csv(
    gdf: pd.DataFrame | Iterable[pd.DataFrame], *, chunk_rows: int = CHUNK_ROWS
) -> Iterator[bytes]:
    """Yield the events as UTF-8 CSV in ACLED's columns (:data:`ACLED_COLUMNS`), safe against formula injection."""
    yield from _iter_csv_table(gdf, ACLED_COLUMNS, acled_cells, _PLAIN_ACLED_COLUMNS, chunk_rows)


def to_acled_csv_bytes(gdf: pd.DataFrame) -> bytes:
    """Return the events as ACLED-style CSV bytes (see :func:`iter_acled_csv`)."""
    return b"".join(iter_acled_csv(gdf))


# ---------------------------------------------------------------- GeoPackage, GeoParquet


def _gdal_frame(gdf: pd.DataFrame) -> pd.DataFrame:
    """Plain dtypes for GDAL: categoricals become strings or nullable integers."""
    import pandas as pd

    out = gdf.copy()
    for name in out.columns:
        dtype = out[name].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            if pd.api.types.is_integer_dtype(dtype.categories.dtype):
                out[name] = out[name].astype("Int64")
            else:
                out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out


def _write_gpkg(gdf: pd.DataFrame, path: Path, shown: str) -> None:
    """Write a GeoPackage at ``path``; a GDAL failure (a full disk, above all) is one line naming ``shown``."""
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        pyogrio.write_dataframe(
            _gdal_frame(gdf), path, driver="GPKG", layer="events", geometry_type="Unknown"
        )
    except (DataSourceError, DataLayerError) as e:
        # GDAL's own message names an SQLite statement or "Failed to commit transaction", not the cause
        detail = " ".join(str(e).split())
        raise ExportError(
            f"cannot write {shown}: GDAL failed part-way through the GeoPackage (is the disk full, or the file "
            f"larger than allowed?); nothing was written ({detail})"
        ) from e


def _write_parquet(gdf: pd.DataFrame, path: Path) -> None:
    gdf.to_parquet(path, index=False)


# ---------------------------------------------------------------- entry point


def export_format(dest: str | os.PathLike[str] | IO[bytes], fmt: str | None) -> str:
    """Return the export format: ``fmt`` if given, else from the file extension (GeoJSON for a stream)."""
    if fmt is not None:
        if fmt not in EXPORT_FORMATS:
            raise ExportError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
        return fmt
    if not isinstance(dest, str | os.PathLike):
        return "geojson"
    suffix = Path(dest).suffix.lower()
    try:
        return FORMATS[suffix]
    except KeyError:
        raise ExportError(
            f"cannot tell the export format of {os.fspath(dest)!r} from its extension {suffix or '(none)'!r}; "
            f"use one of {', '.join(FORMATS)} or give the format"
        ) from None


def write_events(
    gdf: pd.DataFrame,
    dest: str | os.PathLike[str] | IO[bytes],
    *,
    fmt: str | None = None,
    event_filter: EventFilter | None = None,
) -> int:
    """Write events to a file (atomically) or a binary stream, and return how many were written.

    Parameters
    ----------
    gdf
        The events to write, typically ``apply_filter(load_events(), flt)``.
    dest
        A path (replaced atomically: temp file in the same folder + rename) or a binary file object.
    fmt
        ``geojson``, ``csv``, ``acled`` (CSV in ACLED's columns), ``gpkg`` or ``parquet``; ``None`` means by the
        extension of ``dest``.
    event_filter
        Recorded in GeoJSON as the top-level member ``"filter"``, so the file explains itself.
    """
    kind = export_format(dest, fmt)
    if isinstance(dest, str | os.PathLike):
        target = Path(dest)
        if not target.parent.is_dir():
            raise ExportError(f"cannot write {target}: the folder {target.parent} does not exist")
        with atomic_path(target, durable=False) as tmp:
            _write_to_path(gdf, tmp, kind, event_filter, shown=str(target))
    else:
        _write_to_stream(gdf, dest, kind, event_filter)
    return len(gdf)


def _write_to_path(
    gdf: pd.DataFrame, path: Path, kind: str, event_filter: EventFilter | None, *, shown: str
) -> None:
    if kind == "gpkg":
        path.unlink(missing_ok=True)  # GDAL would otherwise add a layer to the (empty) temp file
        _write_gpkg(gdf, path, shown)
    elif kind == "parquet":
        _write_parquet(gdf, path)
    else:
        with open(path, "wb") as fh:
            _write_to_stream(gdf, fh, kind, event_filter)


def _write_pieces(pieces: Iterable[bytes], stream: IO[bytes]) -> None:
    """Write pieces from a writer thread while the next ones are serialised (``write`` releases the GIL).

    At most :data:`_QUEUE_PIECES` pieces wait at a time, so memory stays bounded. An error on either side stops
    both and is raised here.
    """
    pending: queue.Queue[bytes | None] = queue.Queue(maxsize=_QUEUE_PIECES)
    failed: list[BaseException] = []

    def drain() -> None:
        while (piece := pending.get()) is not None:
            if not failed:
                try:
                    stream.write(piece)
                except BaseException as e:  # re-raised in the calling thread
                    failed.append(e)

    writer = threading.Thread(target=drain, name="kcm-export-writer", daemon=True)
    writer.start()
    try:
        for piece in pieces:
            if failed:
                break
            pending.put(piece)
    finally:
        pending.put(None)
        writer.join()
    if failed:
        raise failed[0]


def _write_to_stream(
    gdf: pd.DataFrame, stream: IO[bytes], kind: str, event_filter: EventFilter | None
) -> None:
    if kind == "geojson":
        _write_pieces(iter_geojson(gdf, event_filter=event_filter), stream)
    elif kind == "csv":
        _write_pieces(iter_csv(gdf), stream)
    elif kind == "acled":
        _write_pieces(iter_acled_csv(gdf), stream)
    else:
        # GDAL and Parquet need a seekable file: write one aside, then copy it to the stream
        with tempfile.TemporaryDirectory(prefix="kcm-export-") as tmpdir:
            path = Path(tmpdir) / f"events.{kind}"
            _write_to_path(gdf, path, kind, event_filter, shown=f"the {kind} stream")
            with open(path, "rb") as fh:
                while block := fh.read(1 << 20):
                    stream.write(block)
    stream.flush()


# ---------------------------------------------------------------- from a dataset, streamed


def write_dataset(
    dataset: EventDataset,
    dest: str | os.PathLike[str] | IO[bytes],
    *,
    fmt: str | None = None,
    event_filter: EventFilter | None = None,
) -> int:
    """Write the events of a dataset that ``event_filter`` selects, streamed chunk by chunk from the query.

    GeoJSON and both CSVs never hold more than one chunk of rows; GeoPackage and GeoParquet, whose writers need
    a whole frame, load the selected rows. Paths are replaced atomically, as by :func:`write_events`.
    """
    kind = export_format(dest, fmt)
    if kind in ("gpkg", "parquet"):
        return write_events(dataset.frame(event_filter), dest, fmt=kind, event_filter=event_filter)
    writers: dict[str, Callable[[Iterable[pd.DataFrame]], Iterator[bytes]]] = {
        "geojson": lambda frames: iter_geojson(frames, event_filter=event_filter),
        "csv": iter_csv,
        "acled": iter_acled_csv,
    }
    counted = _Counted(dataset.iter_frames(event_filter, chunk_rows=CHUNK_ROWS))
    if isinstance(dest, str | os.PathLike):
        target = Path(dest)
        if not target.parent.is_dir():
            raise ExportError(f"cannot write {target}: the folder {target.parent} does not exist")
        with atomic_path(target, durable=False) as tmp, open(tmp, "wb") as fh:
            _write_pieces(writers[kind](counted), fh)
    else:
        _write_pieces(writers[kind](counted), dest)
        dest.flush()
    return counted.rows


class _Counted:
    """Iterate frames and count their rows."""

    def __init__(self, frames: Iterator[pd.DataFrame]) -> None:
        self.frames = frames
        self.rows = 0

    def __iter__(self) -> Iterator[pd.DataFrame]:
        for frame in self.frames:
            self.rows += len(frame)
            yield frame


def write_partitioned_dataset(
    dataset: EventDataset, folder: Path, *, by: str = "month", event_filter: EventFilter | None = None
) -> int:
    """Write the selected events of a dataset as a folder of GeoParquet files in hive partitions, streamed."""
    from geodata.store.writers import write_partitioned

    return write_partitioned(
        dataset.iter_frames(event_filter, chunk_rows=PARTITION_CHUNK_ROWS), folder, by=by
    )
