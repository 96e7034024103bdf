"""What the map page shows of a date window and filters: everything a move of the control day leaves unchanged.

The page asks the dataset several questions per view (count and extent, rows or grid cells, the first rows of the
table, the latest changes, the per-day counts). None of them depends on the control day, so the page keeps their
answers per filter (``dashboard/cache.py``) and a day step or playback only recomputes the control state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from geodata.store.dataset import MOVEMENTS

if TYPE_CHECKING:
    import pandas as pd

    from geodata.filters import EventFilter
    from geodata.store.dataset import EventDataset


@dataclass(frozen=True)
class WindowView:
    """The answers for one filter; shared between reruns and sessions, so never mutated.

    Attributes
    ----------
    n_events
        Events the filter selects.
    aggregated
        Whether they are many (above the threshold): then ``grid`` counts them per cell and ``filtered`` holds
        only the movements (rows with an origin).
    filtered, grid
        The rows (or movements) for the map, and the grid cells when aggregated.
    table
        The first ``limit`` rows, with the table's columns.
    changes, n_changes
        Each place's latest changes of control (with its total as ``n_changes``), and the total of changes.
    changes_table
        The first ``limit`` changes of control, with the table's columns (empty when there are none).
    per_day
        Events per day and type (``day``, ``event_type``, ``count``) for the timeline; None without events.
    """

    n_events: int
    aggregated: bool
    filtered: pd.DataFrame
    grid: dict[str, Any] | None
    table: pd.DataFrame
    changes: pd.DataFrame
    n_changes: int
    changes_table: pd.DataFrame
    per_day: pd.DataFrame | None


def window_view(
    store: EventDataset, flt: EventFilter, *, aggregate_threshold: int, limit: int, columns: Sequence[str]
) -> WindowView:
    """Query ``store`` for what the page shows of ``flt`` (the same queries the page made one by one).

    Small windows load their rows; large ones are counted per grid cell, and only their movements and the first
    ``limit`` rows of the table are loaded. The changes follow the filters except the type filter.
    """
    n_events, extent = store.extent(flt)
    aggregated = n_events > aggregate_threshold
    filtered = store.frame(flt, extra=MOVEMENTS if aggregated else None)
    changes = store.latest_changes(flt)
    n_changes = int(changes.drop_duplicates("place_id")["n_changes"].sum()) if len(changes) else 0
    return WindowView(
        n_events=n_events,
        aggregated=aggregated,
        filtered=filtered,
        grid=store.grid(flt, extent=extent) if aggregated else None,
        table=store.frame(flt, limit=limit, columns=columns) if aggregated else filtered.iloc[:limit],
        changes=changes,
        n_changes=n_changes,
        changes_table=store.changes(flt, limit=limit, columns=columns) if n_changes else changes,
        per_day=store.day_counts(flt) if n_events else None,
    )
