"""Typed frames from stored columns: the events GeoDataFrame of :func:`~geodata.events.load_events` from Arrow.

Rows read back from files of our schema (already validated) need no checks, only the dtypes of the loaded frame:
datetime64 dates, categoricals for vocabularies and codes, ``str`` text, and shapely geometries from WKB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.settings import CRS
from geodata.vocab import EVENT_COLUMNS, GEO_PRECISIONS

if TYPE_CHECKING:
    import geopandas as gpd


def _column(arrow: Any, name: str) -> Any:
    """Convert one Arrow column to the dtype ``load_events`` gives it."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from geodata.events import DATA_CATEGORY_COLUMNS, DATE_COLUMNS, TIMESTAMP_COLUMNS, VOCAB_COLUMNS

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
