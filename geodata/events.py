"""The events table under one name: schema, readers, frame builder and writers of :mod:`geodata.store`.

The code lives in the store package, one module per step (``schema``, ``rules``, ``csv_reader``,
``parquet_reader``, ``frame``, ``loader``, ``writers``, ``dataset``); this module re-exports the public names so
that ``from geodata.events import load_events`` keeps working.
"""

from __future__ import annotations

from geodata.store.frame import sort_events
from geodata.store.loader import build_events_frame, load_events, validate_file, validate_frame
from geodata.store.rules import haversine_km
from geodata.store.schema import (
    DATA_CATEGORY_COLUMNS,
    DATE_COLUMNS,
    DATE_MAX,
    DATE_MIN,
    NUMBER_COLUMNS,
    TIMESTAMP_COLUMNS,
    VOCAB_COLUMNS,
    frame_cells,
)
from geodata.store.writers import (
    HISTORY_COLUMNS,
    HISTORY_SUFFIX,
    LOCK_TIMEOUT_S,
    REPEAT_KEY,
    AppendResult,
    append_events,
    atomic_path,
    history_path,
    next_event_ids,
    read_history,
    save_events,
    update_event,
    withdraw_event,
)

__all__ = [
    "DATA_CATEGORY_COLUMNS",
    "DATE_COLUMNS",
    "DATE_MAX",
    "DATE_MIN",
    "HISTORY_COLUMNS",
    "HISTORY_SUFFIX",
    "LOCK_TIMEOUT_S",
    "NUMBER_COLUMNS",
    "REPEAT_KEY",
    "TIMESTAMP_COLUMNS",
    "VOCAB_COLUMNS",
    "AppendResult",
    "append_events",
    "atomic_path",
    "build_events_frame",
    "frame_cells",
    "haversine_km",
    "history_path",
    "load_events",
    "next_event_ids",
    "read_history",
    "save_events",
    "sort_events",
    "update_event",
    "validate_file",
    "validate_frame",
    "withdraw_event",
]
