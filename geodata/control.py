"""Control state: who held each place as of a day, and the changes of control in a window.

The rules (DATA_MODEL.md, "Control state"): the controller of place P on day D is the ``controller_after`` of P's
latest ``control_change`` or ``status`` row dated on or before D; before P's first such row it is that row's
``controller_before``; with no row it is unknown. Rows of one place and day that disagree make the place
contested: no row is picked silently. Withdrawn rows are ignored; disputed rows count, and are flagged.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.settings import COORD_DECIMALS
from geodata.vocab import CONTROL_TYPES

if TYPE_CHECKING:
    import pandas as pd

CONTROL_COLUMNS: tuple[str, ...] = (
    "place_id",
    "place",
    "place_ar",
    "lat",
    "lon",
    "controller",
    "since",
    "event_id",
    "contested",
    "claims",
    "disputed",
)


def _control_rows(events: pd.DataFrame) -> pd.DataFrame:
    """Return the rows that feed the control state, date-sorted (stable, so same-day rows keep file order)."""
    mask = events["event_type"].isin(CONTROL_TYPES) & (events["status"] != "withdrawn")
    rows = events.loc[mask.to_numpy()]
    if not rows["event_date"].is_monotonic_increasing:
        rows = rows.sort_values("event_date", kind="stable")
    return rows


def _as_day(value: date | datetime | str | np.datetime64) -> np.datetime64:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return np.datetime64(value, "D").astype("datetime64[ns]")


def control_as_of(events: pd.DataFrame, as_of: date | datetime | str) -> pd.DataFrame:
    """Return who controlled each place as of the day ``as_of``.

    Parameters
    ----------
    events
        Events as :func:`~geodata.events.load_events` returns them.
    as_of
        The day (a date, or ``YYYY-MM-DD``).

    Returns
    -------
    pandas.DataFrame
        One row per place that has control rows, sorted by place name: ``place_id``, ``place``, ``place_ar``,
        ``lat``, ``lon``, ``controller`` (None when contested), ``since`` (the day of the row the state comes
        from; None before a place's first row), ``event_id`` (';'-joined ids when contested), ``contested``,
        ``claims`` (the competing controllers when contested, else empty) and ``disputed`` (the state rests on a
        row whose status is ``disputed``).
    """
    import pandas as pd

    day = _as_day(as_of)
    rows = _control_rows(events)
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CONTROL_COLUMNS})
    dates = rows["event_date"].to_numpy()
    cut = int(np.searchsorted(dates, day, side="right"))
    past, future = rows.iloc[:cut], rows.iloc[cut:]

    records: dict[str, dict[str, Any]] = {}
    if len(past):
        last_day = past.groupby("place_id", sort=False, observed=True)["event_date"].transform("max")
        latest = past.loc[(past["event_date"] == last_day).to_numpy()]
        columns = {name: latest[name].tolist() for name in _DAY_COLUMNS}
        for pid, positions in latest.groupby("place_id", sort=False, observed=True).indices.items():
            records[str(pid)] = _state_from_day(columns, positions.tolist())
    # places whose first row comes later: the controller before that row
    first = future.drop_duplicates("place_id", keep="first")
    for row in first.itertuples(index=False):
        pid = str(row.place_id)
        if pid in records:
            continue
        before = _text(row.controller_before) or _text(row.controller_after)
        records[pid] = {
            **_place_fields(row),
            "controller": before,
            "since": None,
            "event_id": row.event_id,
            "contested": False,
            "claims": [],
            "disputed": row.status == "disputed",
        }
    frame = pd.DataFrame.from_records(list(records.values()), columns=list(CONTROL_COLUMNS))
    frame["contested"] = frame["contested"].astype(bool)
    frame["disputed"] = frame["disputed"].astype(bool)
    return frame.sort_values(["place", "place_id"], kind="stable").reset_index(drop=True)


# The columns the state of a place on a day reads (as lists: no Python object per row and column).
_DAY_COLUMNS: tuple[str, ...] = (
    "place_id",
    "place",
    "place_ar",
    "latitude",
    "longitude",
    "event_date",
    "event_id",
    "status",
    "controller_before",
    "controller_after",
)


def _state_from_day(columns: dict[str, list[Any]], rows: list[int]) -> dict[str, Any]:
    """Return the state a place is in after its rows of one day (positions ``rows`` of ``columns``, file order).

    Rows that chain (each one's ``controller_before`` is the previous one's ``controller_after``) are a sequence
    and the last one wins; rows that disagree otherwise leave the place contested.
    """
    after_col, before_col, ids = (
        columns["controller_after"],
        columns["controller_before"],
        columns["event_id"],
    )
    afters = [_text(after_col[i]) for i in rows]
    last = rows[-1]
    base = {
        "place_id": str(columns["place_id"][last]),
        "place": _text(columns["place"][last]),
        "place_ar": _text(columns["place_ar"][last]),
        "lat": float(columns["latitude"][last]),
        "lon": float(columns["longitude"][last]),
        "since": columns["event_date"][last].date(),
        "disputed": any(columns["status"][i] == "disputed" for i in rows),
    }
    distinct = sorted({a for a in afters if a})
    befores = [_text(before_col[i]) or afters[k] for k, i in enumerate(rows)]
    chained = all(befores[k] == afters[k - 1] for k in range(1, len(rows)))
    if len(distinct) <= 1 or chained:
        return {**base, "controller": afters[-1], "event_id": ids[last], "contested": False, "claims": []}
    return {
        **base,
        "controller": None,
        "event_id": ";".join(str(ids[i]) for i in rows),
        "contested": True,
        "claims": distinct,
    }


def _place_fields(row: Any) -> dict[str, Any]:
    return {
        "place_id": str(row.place_id),
        "place": _text(row.place),
        "place_ar": _text(row.place_ar),
        "lat": float(row.latitude),
        "lon": float(row.longitude),
    }


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return text or None


def control_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Turn :func:`control_as_of` output into JSON-able dicts (``since`` ISO; coordinates to 6 decimals)."""
    out = []
    for row in df.itertuples(index=False):
        since = row.since
        out.append(
            {
                "place_id": row.place_id,
                "place": row.place,
                "place_ar": row.place_ar,
                "lat": round(float(row.lat), COORD_DECIMALS),
                "lon": round(float(row.lon), COORD_DECIMALS),
                "controller": row.controller,
                "since": since.isoformat() if isinstance(since, date) else None,
                "event_id": row.event_id,
                "contested": bool(row.contested),
                "claims": list(row.claims) if isinstance(row.claims, list | tuple) else [],
                "disputed": bool(row.disputed),
            }
        )
    return out


def changes_between(events: pd.DataFrame, start: date | str, end: date | str) -> pd.DataFrame:
    """Return the (non-withdrawn) ``control_change`` rows dated from ``start`` to ``end`` inclusive, by date."""
    lo, hi = _as_day(start), _as_day(end)
    rows = _control_rows(events)
    rows = rows.loc[(rows["event_type"] == "control_change").to_numpy()]
    dates = rows["event_date"].to_numpy()
    i = int(np.searchsorted(dates, lo, side="left"))
    j = int(np.searchsorted(dates, hi, side="right"))
    return rows.iloc[i:j].reset_index(drop=True)
