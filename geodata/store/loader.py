"""Reading events files: validate or load a CSV or GeoParquet file through the reader that fits it."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from geodata.errors import EventValidationError, Problem
from geodata.store.csv_reader import _table_from_file
from geodata.store.frame import _build_frame
from geodata.store.parquet_reader import _read_parquet_typed
from geodata.store.rules import _check_table
from geodata.store.schema import _gazetteer, _resolve, _table_from_frame
from geodata.store.table_builder import build_table

if TYPE_CHECKING:
    from pathlib import Path

    import geopandas as gpd
    import pandas as pd
    import pyarrow as pa

    from geodata.gazetteer import Gazetteer

log = logging.getLogger(__name__)


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


def checked_table(path: Path, *, gazetteer: Gazetteer | None = None) -> pa.Table:
    """Validate a CSV events file and return its stored Arrow table (what a validated copy holds).

    The same reader and rules as :func:`load_events`, without building a GeoDataFrame: the columns come straight
    from the checked cells (:func:`~geodata.store.table_builder.build_table`).

    Raises
    ------
    EventValidationError
        With every problem found.
    """
    table = _table_from_file(path)
    problems, parsed = _check_table(table, gazetteer or _gazetteer())
    if problems:
        raise EventValidationError(problems)
    return build_table(table, parsed)


def build_events_frame(
    df: pd.DataFrame, *, source: str = "<frame>", gazetteer: Gazetteer | None = None
) -> gpd.GeoDataFrame:
    """Validate rows given as a frame and build the events GeoDataFrame from them (as :func:`load_events` does)."""
    table = _table_from_frame(df, source)
    problems, parsed = _check_table(table, gazetteer or _gazetteer())
    if problems:
        raise EventValidationError(problems)
    return _build_frame(table, parsed)
