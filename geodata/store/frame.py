"""The frame builder: the events GeoDataFrame (EPSG:4326, typed columns, geometries, sorted by date) from checked cells."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.settings import CRS
from geodata.store.rules import _Parsed, _series
from geodata.store.schema import DATA_CATEGORY_COLUMNS, DATE_COLUMNS, VOCAB_COLUMNS, _Table
from geodata.vocab import (
    EVENT_COLUMNS,
    GEO_PRECISIONS,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from geodata.gazetteer import Place

log = logging.getLogger(__name__)


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


def _column(arrow: Any, name: str) -> Any:
    """Convert one Arrow column to the dtype ``load_events`` gives it."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from geodata.store.schema import DATA_CATEGORY_COLUMNS, DATE_COLUMNS, TIMESTAMP_COLUMNS, VOCAB_COLUMNS

    column = arrow.column(name)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if name in DATE_COLUMNS:
        return column.to_pandas().astype("datetime64[ns]").to_numpy()
    if name in TIMESTAMP_COLUMNS:
        return pd.to_datetime(column.to_pandas(), utc=True).dt.as_unit("ns").array
    if name == "geo_precision":
        values = pd.array(column.to_pandas(), dtype="Float64").astype("Int64")
        return pd.Categorical(values, categories=list(GEO_PRECISIONS))
    if name in ("latitude", "longitude"):
        return column.to_numpy().astype(float)
    if name == "coord_override":
        return np.asarray(column.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    text = _nonempty(column)
    if name in VOCAB_COLUMNS:
        return _categorical(text, list(VOCAB_COLUMNS[name]))
    if name in DATA_CATEGORY_COLUMNS:
        return _categorical(text, sorted(pc.unique(text.drop_null()).to_pylist()))
    return pd.array(text, dtype="str")


def _nonempty(column: Any) -> Any:
    """Return a text column as one Arrow string array with empty cells as nulls (missing, as when loaded)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    text = text.cast(pa.large_string())
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.large_string()), text)


def _categorical(text: Any, categories: list[str]) -> Any:
    """Build a pandas categorical (``str`` categories) from Arrow text by codes: no Python object per row."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    codes = pc.index_in(text, value_set=pa.array(categories, type=pa.large_string()))
    codes = pc.fill_null(codes, -1).to_numpy(zero_copy_only=False)
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(pd.Index(categories, dtype="str")))


def frame_from_arrow(arrow: Any) -> gpd.GeoDataFrame:
    """Build the typed events GeoDataFrame (EPSG:4326, index 0..n-1) from an Arrow table of stored columns.

    Event columns absent from ``arrow`` are left out; ``geometry`` (WKB) is decoded when present. Any other
    column (such as a count a query added) is kept as it is.
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    n = arrow.num_rows
    data: dict[str, Any] = {}
    for name in arrow.column_names:
        if name in EVENT_COLUMNS:
            data[name] = _column(arrow, name)
        elif name != "geometry":
            data[name] = arrow.column(name).to_pandas().to_numpy()
    frame = pd.DataFrame(data, index=pd.RangeIndex(n))
    if "geometry" not in arrow.column_names:
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * n, crs=CRS), crs=CRS)
    wkb = np.asarray(arrow.column("geometry").to_numpy(zero_copy_only=False), dtype=object)
    geometry = gpd.GeoSeries(shapely.from_wkb(wkb), crs=CRS, index=frame.index)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)
