"""Validation rules of the events table, each stated once: every problem of a table at once, located by line and column.

The CSV reader and the frame validator run them cell by cell; the typed GeoParquet reader runs conservative
vectorised stand-ins first and sends every row they flag through these same rules, so messages never differ.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.errors import Problem
from geodata.settings import get_settings
from geodata.store.schema import _FALSE, _TRUE, DATE_COLUMNS, DATE_MAX, DATE_MIN, VOCAB_COLUMNS, _Table
from geodata.text import haversine_km
from geodata.vocab import (
    ACTORS,
    CONTROL_TYPES,
    CONTROLLERS,
    EVENT_COLUMNS,
    GEO_PRECISIONS,
    REQUIRED_COLUMNS,
    is_valid_controller,
)

if TYPE_CHECKING:
    import pandas as pd

    from geodata.gazetteer import Gazetteer, Place

log = logging.getLogger(__name__)


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# Enough to fix a file by; a broken file can otherwise yield millions (one per line after an unclosed quote).
MAX_PROBLEMS = 1000
_WEB_URL = re.compile(r"(?i)^https?://")


@dataclass
class _Parsed:
    """Typed columns parsed during validation, reused by the frame builder."""

    dates: dict[str, Any]
    updated_at: Any
    latitude: np.ndarray
    longitude: np.ndarray
    override: np.ndarray
    geo_precision: np.ndarray
    places: dict[str, Place | None]
    ref_lat: np.ndarray
    ref_lon: np.ndarray


def _series(cells: list[str] | pd.Series) -> pd.Series:
    import pandas as pd

    if isinstance(cells, pd.Series):
        return cells.reset_index(drop=True)
    return pd.Series(cells, dtype="str")


def _parsed_by_value(series: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Parse each distinct cell of ``series`` once (``parse`` takes and returns a Series) and spread the results.

    Dates and precisions repeat: a million events hold a few thousand distinct days, so a pandas parser run on
    the distinct cells gives the same answers for a fraction of the time.
    """
    import pandas as pd

    codes, uniques = pd.factorize(series)
    parsed = parse(pd.Series(uniques, dtype="str"))
    return pd.Series(parsed.array.take(codes, allow_fill=True), index=series.index)


def _parse_dates(cells: pd.Series) -> pd.Series:
    """Parse ``YYYY-MM-DD`` cells (the shape checked first: pandas would also take ``2017-1-5``); else NaT."""
    import pandas as pd

    shaped = np.array([bool(_DATE_RE.match(c)) for c in cells], dtype=bool)
    return pd.to_datetime(cells.where(shaped, None), format="%Y-%m-%d", errors="coerce")


def _parse_timestamps(cells: pd.Series) -> pd.Series:
    """Parse ISO 8601 timestamps as UTC; empty or malformed cells become NaT."""
    import pandas as pd

    return pd.to_datetime(cells.where(cells != "", None), format="ISO8601", utc=True, errors="coerce")


def _parse_numbers(cells: pd.Series) -> pd.Series:
    """Parse numbers; empty or malformed cells become NaN."""
    import pandas as pd

    return pd.to_numeric(cells.where(cells != "", None), errors="coerce")


def _by_value(series: pd.Series, predicate: Any) -> np.ndarray:
    """Evaluate ``predicate`` once per distinct value of ``series`` and spread the answers over the rows."""
    import pandas as pd

    codes, uniques = pd.factorize(series)
    answers = np.array([bool(predicate(u)) for u in uniques] + [False], dtype=bool)
    return answers[codes]


def _check_table(
    table: _Table, gazetteer: Gazetteer, *, duplicates: bool = True
) -> tuple[list[Problem], _Parsed]:
    """Check every cell of ``table``; return all problems (sorted by line, then column) and the parsed columns.

    Checks are vectorised (or run once per distinct value), so that a million rows validate in seconds. With
    ``duplicates=False`` the one check across rows (duplicate ids) is left to the caller.
    """
    import pandas as pd

    src = table.source
    cols = {name: _series(table.columns[name]) for name in EVENT_COLUMNS}
    lines = np.asarray(table.lines, dtype=np.int64)
    problems = list(table.problems)
    add = problems.append

    def report(mask: np.ndarray, column: str, message: str, *, show: bool = True) -> None:
        values = cols[column]
        for i in np.flatnonzero(mask)[:MAX_PROBLEMS]:  # a bad column of a million rows: the first ones tell
            add(Problem(src, int(lines[i]), column, message, values.iat[i] if show else None))

    present = {name: (cols[name] != "").to_numpy(dtype=bool) for name in EVENT_COLUMNS}

    absent = {p.column for p in table.problems if p.message == "missing required column"}
    for name in REQUIRED_COLUMNS:
        if name not in absent:
            report(~present[name], name, "a value is required here", show=False)

    # ids: unique, no spaces
    ids = cols["event_id"]
    # spaces, invisible (U+200D, U+FEFF), bidi (U+202E) and look-alike dashes (a non-breaking hyphen) would make
    # two different ids look the same, and bypass the duplicate check; letters of any script are fine
    report(
        present["event_id"] & ~_plain_ids(ids),
        "event_id",
        "event_id must not contain spaces, invisible or bidi control characters, or dashes other than '-'",
    )
    if duplicates:
        problems += _duplicate_problems(ids, present["event_id"], lines, src)

    # dates: real, and within DATE_MIN..DATE_MAX (an invalid date is missing from here on)
    dates: dict[str, Any] = {}
    for name in DATE_COLUMNS:
        parsed = _parsed_by_value(cols[name], _parse_dates)
        report(present[name] & parsed.isna().to_numpy(), name, "not a date: expected YYYY-MM-DD")
        dates[name] = _within_range(parsed, report, name, "date")
    for i in np.flatnonzero((dates["date_end"] < dates["event_date"]).to_numpy()):
        event_date = cols["event_date"].iat[i]
        add(
            Problem(
                src,
                int(lines[i]),
                "date_end",
                f"date_end is before event_date {event_date}",
                cols["date_end"].iat[i],
            )
        )
    updated = _parsed_by_value(cols["updated_at"], _parse_timestamps)
    report(
        present["updated_at"] & updated.isna().to_numpy(),
        "updated_at",
        "not a timestamp: expected ISO 8601, e.g. 2017-11-30T12:00:00Z",
    )
    updated = _within_range(updated, report, "updated_at", "timestamp")

    # closed vocabularies
    for name, vocab in VOCAB_COLUMNS.items():
        unknown = present[name] & ~cols[name].isin(vocab).to_numpy(dtype=bool)
        report(unknown, name, f"unknown {name}; expected one of {', '.join(vocab)}")
    flags = cols["coord_override"].str.lower()
    override = flags.isin(_TRUE).to_numpy(dtype=bool)
    report(
        ~override & ~flags.isin(_FALSE).to_numpy(dtype=bool),
        "coord_override",
        "coord_override must be true or false",
    )
    geo_precision = _parsed_by_value(cols["geo_precision"], _parse_numbers).to_numpy(dtype=float)
    report(
        present["geo_precision"] & ~np.isin(geo_precision, GEO_PRECISIONS),
        "geo_precision",
        f"unknown geo_precision; expected one of {', '.join(map(str, GEO_PRECISIONS))}",
    )

    # actors and controllers
    controller_msg = (
        f"unknown controller; expected one of {', '.join(sorted(CONTROLLERS))} "
        "or a '+'-joined combination such as isf+pmf"
    )
    for name in ("controller_before", "controller_after"):
        report(present[name] & ~_by_value(cols[name], is_valid_controller), name, controller_msg)
    for i in np.flatnonzero(present["actors"] & ~_by_value(cols["actors"], _valid_actors)):
        cell = cols["actors"].iat[i]
        unknown_actors = ", ".join(a for a in _split_actors(cell) if not _valid_actor(a)) or "(empty)"
        message = (
            f"unknown actor code(s) {unknown_actors}; expected ';'-separated codes from {', '.join(ACTORS)}"
        )
        add(Problem(src, int(lines[i]), "actors", message, cell))
    is_control = cols["event_type"].isin(CONTROL_TYPES).to_numpy(dtype=bool)
    is_change = (cols["event_type"] == "control_change").to_numpy(dtype=bool)
    report(
        is_control & ~present["controller_after"],
        "controller_after",
        "a control_change or status row needs controller_after",
        show=False,
    )
    report(
        is_change & ~present["controller_before"],
        "controller_before",
        "a control_change row needs controller_before",
        show=False,
    )

    # source URL: plain web links only (the dashboard turns it into a link)
    report(
        present["source_url"] & ~_by_value(cols["source_url"], _WEB_URL.match),
        "source_url",
        "source_url must be an http:// or https:// URL",
    )

    # places
    places: dict[str, Place | None] = {}
    place_codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in ("place_id", "origin_place_id"):
        codes, uniques = pd.factorize(cols[name])  # once per column: the rows' gazetteer coordinates reuse it
        for pid in uniques:
            places[pid] = gazetteer.get(pid) if pid and pid in gazetteer else None
        place_codes[name] = codes, uniques
        unknown = np.array([places[pid] is None for pid in uniques] + [False], dtype=bool)[codes]
        report(present[name] & unknown, name, "unknown place id: not in the gazetteer")

    # coordinates
    lat = _to_float(cols["latitude"], present["latitude"])
    lon = _to_float(cols["longitude"], present["longitude"])
    for name, values, limit in (("latitude", lat, 90.0), ("longitude", lon, 180.0)):
        report(present[name] & np.isnan(values), name, "not a number: expected decimal degrees")
        report(
            present[name] & ~np.isnan(values) & (np.abs(values) > limit),
            name,
            f"{name} out of range -{limit:g}..{limit:g}",
        )
    report(
        present["latitude"] & ~present["longitude"],
        "longitude",
        "latitude given without longitude",
        show=False,
    )
    report(
        present["longitude"] & ~present["latitude"],
        "latitude",
        "longitude given without latitude",
        show=False,
    )
    ref_lat, ref_lon = _gazetteer_coords(*place_codes["place_id"], places)
    _check_distances(table, cols, lat, lon, ref_lat, ref_lon, override, places, problems)

    problems = capped(sorted(problems, key=_problem_order), src)
    parsed = _Parsed(dates, updated, lat, lon, override, geo_precision, places, ref_lat, ref_lon)
    return problems, parsed


_ID_SUSPECT = r"[^\x21-\x7e]"  # printable ASCII but space: always plain; anything else goes to plain_id


def _plain_ids(ids: pd.Series) -> np.ndarray:
    """Whether each id is plain (:func:`plain_id`): printable-ASCII ids by one regex pass, the others one by one.

    Every printable ASCII character but space passes :func:`plain_id` (``-`` is the one dash it allows), so only
    ids with another character need the per-character rule; a million distinct ids no longer cost a Python
    call each.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = pa.array(ids, from_pandas=True)
    suspect = np.asarray(
        pc.fill_null(pc.match_substring_regex(cells, _ID_SUSPECT), False).to_numpy(zero_copy_only=False),
        dtype=bool,
    )
    plain = np.ones(len(ids), dtype=bool)
    if suspect.any():
        plain[suspect] = _by_value(ids[suspect].reset_index(drop=True), plain_id)
    return plain


def plain_id(cell: str) -> bool:
    """Whether an id holds no space, control, format (invisible, bidi) character, nor a dash other than ``-``."""
    return all(
        ch == "-" or (unicodedata.category(ch)[0] not in "CZ" and unicodedata.category(ch) != "Pd")
        for ch in cell
    )


def capped(problems: list[Problem], source: str) -> list[Problem]:
    """Keep the first :data:`MAX_PROBLEMS` problems (sorted), and say how many more there were."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = len(problems) - MAX_PROBLEMS
    return [
        *problems[:MAX_PROBLEMS],
        Problem(
            source,
            None,
            None,
            f"... and {more:,} more problem(s); only the first {MAX_PROBLEMS:,} are listed",
        ),
    ]


def _within_range(parsed: pd.Series, report: Any, column: str, what: str) -> pd.Series:
    """Report the parsed dates outside :data:`DATE_MIN`..:data:`DATE_MAX` and return the dates with them missing."""
    import pandas as pd

    tz = "UTC" if parsed.dt.tz is not None else None
    first, after = pd.Timestamp(DATE_MIN, tz=tz), pd.Timestamp(DATE_MAX + timedelta(days=1), tz=tz)
    outside = (parsed.notna() & ((parsed < first) | (parsed >= after))).to_numpy(dtype=bool)
    report(outside, column, f"{what} out of range ({DATE_MIN.isoformat()}..{DATE_MAX.isoformat()})")
    return parsed.mask(outside) if outside.any() else parsed


def _duplicate_problems(ids: pd.Series, present: np.ndarray, lines: np.ndarray, source: str) -> list[Problem]:
    """Report every repeated ``event_id`` after its first occurrence, naming the line of the first."""
    import pandas as pd

    ids = ids.reset_index(drop=True)
    dup = np.flatnonzero(present & ids.duplicated(keep="first").to_numpy(dtype=bool))
    if not len(dup):
        return []
    codes, _ = pd.factorize(ids, use_na_sentinel=False)
    _, first = np.unique(codes, return_index=True)  # codes number the ids in order of first appearance
    return [
        Problem(
            source,
            int(lines[i]),
            "event_id",
            f"duplicate event_id (first on line {int(lines[first[codes[i]]])})",
            ids.iat[i],
        )
        for i in dup
    ]


def _to_float(cells: pd.Series, present: np.ndarray) -> np.ndarray:
    """Parse decimal numbers; empty or malformed cells become NaN (Arrow's cast first, pandas when it refuses)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arrow = pa.array(cells.where(present, None), type=pa.large_string(), from_pandas=True)
        return np.asarray(pc.cast(arrow, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pd.to_numeric(cells.where(present, None), errors="coerce").to_numpy(dtype=float)


def _gazetteer_coords(
    codes: np.ndarray, uniques: Any, places: Mapping[str, Place | None]
) -> tuple[np.ndarray, np.ndarray]:
    """Return the gazetteer's latitude and longitude for each row's place (NaN where unknown).

    ``codes`` and ``uniques`` are the rows' place ids factorized (``pd.factorize``).
    """
    found = [places.get(u) for u in uniques]
    ulat = np.array([p.lat if p is not None else np.nan for p in found] + [np.nan], dtype=float)
    ulon = np.array([p.lon if p is not None else np.nan for p in found] + [np.nan], dtype=float)
    return ulat[codes], ulon[codes]


def _check_distances(
    table: _Table,
    cols: Mapping[str, pd.Series],
    lat: np.ndarray,
    lon: np.ndarray,
    glat: np.ndarray,
    glon: np.ndarray,
    override: np.ndarray,
    places: Mapping[str, Place | None],
    problems: list[Problem],
) -> None:
    """Flag coordinates far from the gazetteer's (swapped, or moved without ``coord_override``)."""
    limit = get_settings().override_km
    usable = ~np.isnan(lat) & ~np.isnan(lon) & ~np.isnan(glat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    # with coord_override the coordinates are the analyst's word, even where they look swapped
    check = np.flatnonzero(usable & ~override)
    far = check[haversine_km(lat[check], lon[check], glat[check], glon[check]) > limit]
    dist = haversine_km(lat[far], lon[far], glat[far], glon[far])
    swapped = np.where(np.abs(lon[far]) <= 90, haversine_km(lon[far], lat[far], glat[far], glon[far]), np.inf)
    for k, i in enumerate(far):
        place = places[cols["place_id"].iat[i]]
        assert place is not None
        where = f"{place.name} ({place.lat:.5f}, {place.lon:.5f})"
        value = f"{cols['latitude'].iat[i]}, {cols['longitude'].iat[i]}"
        if swapped[k] <= limit:
            problems.append(
                Problem(
                    table.source,
                    int(table.lines[i]),
                    "latitude",
                    f"latitude and longitude look swapped: the gazetteer has {where} as (lat, lon)",
                    value,
                )
            )
        else:
            problems.append(
                Problem(
                    table.source,
                    int(table.lines[i]),
                    "latitude",
                    f"coordinates are {dist[k]:.1f} km from the gazetteer's {where}, more than {limit:g} km: "
                    "fix them or set coord_override=true",
                    value,
                )
            )


_COLUMN_ORDER = {name: i for i, name in enumerate(EVENT_COLUMNS)}


def _problem_order(p: Problem) -> tuple[int, int, str]:
    return (p.line or 0, _COLUMN_ORDER.get(p.column or "", -1), p.message)


def _split_actors(cell: str) -> list[str]:
    return [a.strip() for a in cell.split(";")]


def _valid_actor(code: str) -> bool:
    return code in ACTORS or ("+" in code and is_valid_controller(code))


def _valid_actors(cell: str) -> bool:
    return all(_valid_actor(a) for a in _split_actors(cell))
