"""The stored table: checked cells as the Arrow columns of our GeoParquet files, built without a GeoDataFrame.

A validated copy of a large CSV needs the columns :func:`~geodata.store.writers.save_geoparquet` would write for
:func:`~geodata.store.frame._build_frame`'s frame, not the frame itself: building the frame (categoricals, shapely
geometries) and converting it back to Arrow took about as long as reading and checking the file. This module
builds the same columns, values and GeoParquet metadata straight from the cells and the parsed columns (tests
compare both ways on the same file); only the ``pandas`` schema metadata, which our readers never use, is left out.
One difference is kept on purpose: a code column with no value at all (``actors`` of a file with no rows, say)
stays dictionary-encoded text, where the frame's way writes Arrow's ``null`` type.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.settings import CRS
from geodata.store.rules import _Parsed
from geodata.store.schema import DATA_CATEGORY_COLUMNS, DATE_COLUMNS, TIMESTAMP_COLUMNS, VOCAB_COLUMNS, _Table
from geodata.vocab import EVENT_COLUMNS, GEO_PRECISIONS

if TYPE_CHECKING:
    import pyarrow as pa

    from geodata.gazetteer import Place

log = logging.getLogger(__name__)

# Empty cells that the frame builder fills from the gazetteer, and the attribute of the place that fills them.
_FILLED_FROM_PLACE = {"place": "name", "place_ar": "name_ar", "admin1": "admin1"}
# Well-known binary: byte order (1, little-endian), geometry type (1 point, 2 line string), then coordinates.
_POINT = np.dtype([("order", "u1"), ("kind", "<u4"), ("x", "<f8"), ("y", "<f8")])
_LINE = np.dtype(
    [
        ("order", "u1"),
        ("kind", "<u4"),
        ("n", "<u4"),
        ("x0", "<f8"),
        ("y0", "<f8"),
        ("x1", "<f8"),
        ("y1", "<f8"),
    ]
)


def build_table(table: _Table, parsed: _Parsed) -> pa.Table:
    """Return the stored Arrow table of checked cells: typed columns, WKB geometry, sorted by ``event_date``.

    Equal, column by column once written, to what :func:`~geodata.store.writers.save_geoparquet` writes for
    ``_build_frame(table, parsed)``.
    """
    import pyarrow as pa

    from geodata.store.writers import SCHEMA_KEY, SCHEMA_VALUE

    cells = {name: _text(table.columns[name]) for name in EVENT_COLUMNS}
    own = ~np.isnan(parsed.latitude) & ~np.isnan(parsed.longitude)
    place_codes, place_ids = _factorised(cells["place_id"])
    places = [parsed.places.get(p) for p in place_ids]
    lat = np.where(own, parsed.latitude, parsed.ref_lat)
    lon = np.where(own, parsed.longitude, parsed.ref_lon)
    columns: dict[str, Any] = {}
    for name in EVENT_COLUMNS:
        if name in DATE_COLUMNS or name in TIMESTAMP_COLUMNS:
            columns[name] = _timestamps(parsed.dates[name] if name in DATE_COLUMNS else parsed.updated_at)
        elif name in ("latitude", "longitude"):
            columns[name] = pa.array(lat if name == "latitude" else lon, type=pa.float64())
        elif name == "coord_override":
            columns[name] = pa.array(parsed.override, type=pa.bool_())
        elif name == "geo_precision":
            columns[name] = _precision(parsed.geo_precision, _by_place(place_codes, places, "geo_precision"))
        else:
            text = cells[name]
            if name in _FILLED_FROM_PLACE:
                text = _filled(text, _by_place(place_codes, places, _FILLED_FROM_PLACE[name]))
            columns[name] = _stored_text(text, name)
    origin_codes, origin_ids = _factorised(cells["origin_place_id"])
    origins = [parsed.places.get(p) for p in origin_ids]
    origin_lat = np.asarray(_by_place(origin_codes, origins, "lat"), dtype=float)
    origin_lon = np.asarray(_by_place(origin_codes, origins, "lon"), dtype=float)
    geometry, kinds = _wkb(lat, lon, origin_lat, origin_lon)
    columns["geometry"] = geometry
    arrow = pa.table(columns)
    arrow = arrow.cast(arrow.schema.set(arrow.schema.get_field_index("geometry"), _geometry_field()))
    arrow = _sorted(arrow)
    metadata = {
        b"geo": _geo_metadata(lat, lon, origin_lat, origin_lon, kinds),
        b"PANDAS_ATTRS": json.dumps({"kcm_max_span_days": _max_span_days(arrow)}).encode(),
        SCHEMA_KEY: SCHEMA_VALUE,
    }
    return arrow.replace_schema_metadata(metadata)


def _text(cells: Any) -> pa.ChunkedArray:
    """Return cells (a list of str, or a string Series) as Arrow ``large_string`` cells, chunks left as they are."""
    import pyarrow as pa

    arrow = pa.array(
        cells, type=pa.large_string(), from_pandas=True
    )  # a "str" Series hands over its Arrow cells
    return arrow if isinstance(arrow, pa.ChunkedArray) else pa.chunked_array([arrow])


def _factorised(text: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Return each cell's code and the distinct cells (computed by Arrow: no Python object per row)."""
    import pyarrow.compute as pc

    distinct = pc.unique(text)
    codes = pc.index_in(text, value_set=distinct)
    return codes.to_numpy(), distinct.to_pylist()


def _by_place(codes: np.ndarray, places: list[Place | None], attr: str) -> np.ndarray:
    """Spread an attribute of each distinct place over the rows (None, or NaN for numbers, where unknown)."""
    found = [getattr(p, attr) if p is not None else None for p in places]
    if attr in ("lat", "lon", "geo_precision"):
        return np.array([np.nan if v is None else v for v in found] + [np.nan], dtype=float)[codes]
    return np.array([*found, None], dtype=object)[codes]


def _filled(text: pa.ChunkedArray, fallback: np.ndarray) -> pa.ChunkedArray:
    """Fill empty cells from the gazetteer's value for the row's place (left empty where it has none)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    empty = np.asarray(pc.equal(text, "").to_numpy(zero_copy_only=False), dtype=bool)
    if not empty.any():
        return text
    values = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
    values[empty] = [v if v is not None else "" for v in fallback[empty]]
    return pa.chunked_array([pa.array(values, type=pa.large_string())])


def _stored_text(text: pa.ChunkedArray, name: str) -> Any:
    """Return a text column as stored: empty cells missing; vocabularies and codes dictionary-encoded."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.chunked_array([_empty_as_null(chunk) for chunk in text.chunks], type=text.type)
    if name in VOCAB_COLUMNS:
        return _dictionary(text, list(VOCAB_COLUMNS[name]))
    if name in DATA_CATEGORY_COLUMNS:
        return _dictionary(text, sorted(pc.unique(text.drop_null()).to_pylist()))
    return text


def _empty_as_null(cells: pa.Array) -> pa.Array:
    """Return string cells with the empty ones missing; the cells' bytes are shared, not copied."""
    import pyarrow as pa
    import pyarrow.compute as pc

    filled = np.asarray(pc.binary_length(cells).to_numpy(zero_copy_only=False)) > 0
    if filled.all():
        return cells
    if cells.offset or cells.null_count:  # a slice, or missing cells already: the copying way
        return pc.if_else(filled, cells, pa.scalar(None, cells.type))
    validity = pa.py_buffer(np.packbits(filled, bitorder="little"))
    _, offsets, data = cells.buffers()
    return pa.Array.from_buffers(cells.type, len(cells), [validity, offsets, data])


def _dictionary(text: pa.ChunkedArray, categories: list[str]) -> pa.Array:
    """Dictionary-encode text with the given categories, as a pandas categorical is stored (int8 codes if few)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    dictionary = pa.array(categories, type=pa.large_string())
    index = pa.int8() if len(categories) < 2**7 else pa.int16() if len(categories) < 2**15 else pa.int32()
    codes = pc.index_in(text, value_set=dictionary).cast(index)
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks()  # a byte or two a row
    return pa.DictionaryArray.from_arrays(codes, dictionary)


def _timestamps(values: Any) -> pa.Array:
    """Return parsed dates (naive) or timestamps (UTC) as Arrow nanosecond timestamps."""
    import pyarrow as pa

    tz = "UTC" if values.dt.tz is not None else None
    return pa.array(values.dt.as_unit("ns"), type=pa.timestamp("ns", tz=tz), from_pandas=True)


def _precision(own: np.ndarray, fallback: np.ndarray) -> pa.Array:
    """Return ``geo_precision`` as stored: the row's own value, else its place's, else missing."""
    import pyarrow as pa

    values = np.where(np.isnan(own), fallback, own)
    known = np.isin(values, GEO_PRECISIONS)
    codes = np.searchsorted(
        np.asarray(GEO_PRECISIONS, dtype=float), np.where(known, values, GEO_PRECISIONS[0])
    )
    indices = pa.array(codes.astype(np.int8), mask=~known)
    return pa.DictionaryArray.from_arrays(indices, pa.array(GEO_PRECISIONS, type=pa.int64()))


def _wkb(
    lat: np.ndarray, lon: np.ndarray, origin_lat: np.ndarray, origin_lon: np.ndarray
) -> tuple[pa.Array, set[str]]:
    """Return WKB geometries (as shapely writes them) and their kinds.

    A Point per located row, or a LineString from a known origin to it; missing where the row has no coordinates.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    located = ~np.isnan(lat) & ~np.isnan(lon)
    line = located & ~np.isnan(origin_lat)
    points = np.zeros(len(lat), dtype=_POINT)
    points["order"], points["kind"], points["x"], points["y"] = 1, 1, lon, lat
    wkb = _records(points)
    if line.any():
        lines = np.zeros(int(line.sum()), dtype=_LINE)
        lines["order"], lines["kind"], lines["n"] = 1, 2, 2
        lines["x0"], lines["y0"] = origin_lon[line], origin_lat[line]
        lines["x1"], lines["y1"] = lon[line], lat[line]
        wkb = pc.replace_with_mask(wkb, pa.array(line), _records(lines))
    if not located.all():
        wkb = pc.if_else(pa.array(located), wkb, pa.scalar(None, pa.binary()))
    kinds = ({"Point"} if (located & ~line).any() else set()) | ({"LineString"} if line.any() else set())
    return wkb, kinds


def _records(records: np.ndarray) -> pa.Array:
    """Return fixed-size records (one WKB geometry each) as an Arrow binary array, without a Python object."""
    import pyarrow as pa

    width = records.dtype.itemsize
    fixed = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), len(records), [None, pa.py_buffer(records)]
    )
    return fixed.cast(pa.binary())


def _probe() -> Any:
    """Return a two-row GeoDataFrame whose Arrow form carries geopandas' geometry field and "geo" metadata."""
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame(
        geometry=gpd.GeoSeries([shapely.Point(0, 0), shapely.LineString([(0, 0), (1, 1)])], crs=CRS), crs=CRS
    )


def _geometry_field() -> pa.Field:
    """Return the geometry field geopandas writes (``geoarrow.wkb`` with our CRS)."""
    from geopandas.io.arrow import _geopandas_to_arrow

    return _geopandas_to_arrow(_probe(), index=False).schema.field("geometry")


def _geo_metadata(
    lat: np.ndarray, lon: np.ndarray, origin_lat: np.ndarray, origin_lon: np.ndarray, kinds: set[str]
) -> bytes:
    """Return the GeoParquet "geo" metadata geopandas writes, with these geometries' types and bounding box."""
    from geopandas.io.arrow import _geopandas_to_arrow

    geo = json.loads(_geopandas_to_arrow(_probe(), index=False).schema.metadata[b"geo"])
    located = ~np.isnan(lat) & ~np.isnan(lon)
    xs = np.concatenate([lon[located], origin_lon[located & ~np.isnan(origin_lat)]])
    ys = np.concatenate([lat[located], origin_lat[located & ~np.isnan(origin_lat)]])
    column = geo["columns"]["geometry"]
    column["geometry_types"] = sorted(kinds)
    if len(xs):
        column["bbox"] = [float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())]
    else:
        column.pop("bbox", None)
    return json.dumps(geo).encode()


def _sorted(arrow: pa.Table) -> pa.Table:
    """Sort by ``event_date`` (stable, missing last), as :func:`~geodata.store.frame.sort_events` does."""
    import pyarrow.compute as pc

    dates = arrow.column("event_date")
    if pc.all(pc.greater_equal(dates[1:], dates[:-1])).as_py() is not False and dates.null_count == 0:
        return arrow
    order = pc.sort_indices(arrow, sort_keys=[("event_date", "ascending", "at_end")])
    return arrow.take(order)


def _max_span_days(arrow: pa.Table) -> int:
    """Return the longest ``date_end - event_date`` in days (0 if none): the date filter widens its window by it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    span = pc.subtract(arrow.column("date_end"), arrow.column("event_date")).cast(pa.int64())
    longest = pc.max(span).as_py()  # nanoseconds
    return 0 if longest is None else max(0, longest // 86_400_000_000_000)
