"""Event selection: one small frozen filter, applied with binary search on the date-sorted events."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.errors import InputError
from geodata.names import fold, name_key
from geodata.vocab import ACTORS, EVENT_TYPES, STATUSES, is_valid_controller, split_controller

if TYPE_CHECKING:
    import pandas as pd

TEXT_SEARCH_COLUMNS: tuple[str, ...] = ("summary", "place", "place_ar", "place_as_written", "source", "notes")
ACTOR_COLUMNS: tuple[str, ...] = ("actors", "controller_before", "controller_after")
WITHDRAWN = "withdrawn"

_TUPLE_FIELDS = ("types", "actors", "places", "statuses", "admin1s")


@dataclass(frozen=True)
class EventFilter:
    """Which events to show or export.

    Attributes
    ----------
    date_from, date_to
        Inclusive window; an event spanning days (``date_end``) is in it when its span overlaps it.
    types
        Event types (any of).
    actors
        Actor codes; an event matches when the code is among its ``actors`` or is (part of) its
        ``controller_before``/``controller_after`` (``pmf`` matches ``isf+pmf``).
    places
        Place ids or names (English or Arabic); an event matches by its place or its movement's origin.
    statuses
        Statuses; withdrawn events are left out unless ``withdrawn`` is asked for.
    admin1s
        Governorates.
    text
        Case-insensitive search across summary, place names, spelling as written, source and notes.
    """

    date_from: date | None = None
    date_to: date | None = None
    types: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    admin1s: tuple[str, ...] = ()
    text: str | None = None

    def __post_init__(self) -> None:
        for name in _TUPLE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str):
                raise InputError(f"EventFilter.{name} must be a tuple of strings, got the string {value!r}")
            object.__setattr__(self, name, tuple(value))
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, date):
                raise InputError(f"EventFilter.{name} must be a date or None, got {value!r}")
        for name, allowed in (("types", EVENT_TYPES), ("statuses", STATUSES)):
            unknown = [v for v in getattr(self, name) if v not in allowed]
            if unknown:
                raise InputError(
                    f"unknown {name[:-1] if name == 'types' else 'status'} {unknown[0]!r}; expected one of {', '.join(allowed)}"
                )
        bad_actors = [a for a in self.actors if a not in ACTORS and not is_valid_controller(a)]
        if bad_actors:
            raise InputError(
                f"unknown actor {bad_actors[0]!r}; expected one of {', '.join(ACTORS)} or a joint code such as isf+pmf"
            )
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise InputError(f"the window ends ({self.date_to}) before it starts ({self.date_from})")
        if self.text is not None and not self.text.strip():
            object.__setattr__(self, "text", None)

    @property
    def is_empty(self) -> bool:
        """Whether the filter selects every (non-withdrawn) event."""
        return all(not getattr(self, f.name) for f in fields(self))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict (``from``/``to`` as ISO dates or null; lists for the rest)."""
        return {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            **{name: list(getattr(self, name)) for name in _TUPLE_FIELDS},
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EventFilter:
        """Rebuild a filter from :meth:`to_dict` output (``date_from``/``date_to`` keys are accepted too)."""
        known = {"from", "to", "date_from", "date_to", "text", *_TUPLE_FIELDS}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"unknown filter key(s): {', '.join(unknown)}")

        def day(key: str) -> date | None:
            value = data.get(key[5:] if key.startswith("date_") else key, data.get(key))
            if value is None or isinstance(value, date):
                return value
            try:
                return date.fromisoformat(str(value))
            except ValueError:
                raise InputError(f"filter {key!r}: expected YYYY-MM-DD, got {value!r}") from None

        return cls(
            date_from=day("date_from"),
            date_to=day("date_to"),
            text=data.get("text"),
            **{name: tuple(data.get(name) or ()) for name in _TUPLE_FIELDS},
        )


def fold_text(text: str) -> str:
    """Fold text for matching: case, Arabic letter variants and diacritics, punctuation (:func:`geodata.names.fold`)."""
    return fold(text)


@functools.lru_cache(maxsize=1)
def _gazetteer_name_index() -> dict[str, frozenset[str]]:
    """Map each name key of every gazetteer name (English, Arabic, variants) to the place ids that carry it."""
    from geodata.gazetteer import load_gazetteer

    index: dict[str, set[str]] = {}
    for place in load_gazetteer():
        for name in {place.name, place.name_ar, *place.names}:
            key = name_key(name) if name else ""
            if key:
                index.setdefault(key, set()).add(place.id)
    return {k: frozenset(v) for k, v in index.items()}


def apply_filter(gdf: pd.DataFrame, flt: EventFilter | None) -> pd.DataFrame:
    """Return the events that ``flt`` selects, in date order, as a new frame (``gdf`` is never modified).

    ``gdf`` should be sorted by ``event_date`` (as :func:`~geodata.events.load_events` returns it); the window is
    then found by binary search, so a narrow window on a large frame costs microseconds.
    """
    flt = flt or EventFilter()
    dates = gdf["event_date"]
    if not dates.is_monotonic_increasing:
        from geodata.store.frame import sort_events

        gdf = sort_events(gdf)
        dates = gdf["event_date"]
    values = dates.to_numpy()
    lo, hi = 0, len(gdf)
    extra = np.empty(0, dtype=np.int64)
    if flt.date_to is not None:
        hi = int(np.searchsorted(values, np.datetime64(flt.date_to, "ns"), side="right"))
    if flt.date_from is not None:
        start = np.datetime64(flt.date_from, "ns")
        lo = min(int(np.searchsorted(values, start, side="left")), hi)
        # events that start before the window but run into it (date_end): only within the longest span
        span = gdf.attrs.get("kcm_max_span_days")
        if span is None:
            span_td = (gdf["date_end"] - dates).max()
            span = 0 if span_td != span_td else int(span_td / np.timedelta64(1, "D"))
        if span > 0:
            first = int(np.searchsorted(values, start - np.timedelta64(int(span), "D"), side="left"))
            ends = gdf["date_end"].to_numpy()[first:lo]
            extra = first + np.flatnonzero(ends >= start)
    positions = np.concatenate([extra, np.arange(lo, hi)]) if len(extra) else None
    out = gdf.iloc[positions] if positions is not None else gdf.iloc[lo:hi]
    mask = np.ones(len(out), dtype=bool)
    for test in value_tests(flt):
        hit = np.zeros(len(out), dtype=bool)
        for name, predicate in test.checks:
            if name in out:
                hit |= _match_values(out[name], predicate, missing=test.missing)
        mask &= hit
    # pandas copy-on-write: the caller may modify the result without touching gdf
    return out[mask] if not mask.all() else out


@dataclass(frozen=True)
class ValueTest:
    """One condition of a filter: a row passes when a check holds for its value in any of the columns checked.

    Each check is ``(column, predicate)``; a predicate sees one distinct non-empty text value at a time, and a
    missing value passes only with ``missing``. The frame path (:func:`apply_filter`) and the dataset path
    (:mod:`geodata.store.dataset`, which turns the values that pass into ``IN`` lists pushed down to the query)
    apply exactly these rules.
    """

    checks: tuple[tuple[str, Callable[[str], bool]], ...]
    missing: bool = False


def value_tests(flt: EventFilter) -> list[ValueTest]:
    """Return every condition of ``flt`` except the date window, as :class:`ValueTest` rows (all must hold)."""
    tests: list[ValueTest] = []
    if flt.statuses:
        tests.append(ValueTest((("status", set(flt.statuses).__contains__),)))
    else:
        tests.append(ValueTest((("status", lambda v: v != WITHDRAWN),), missing=True))
    if flt.types:
        tests.append(ValueTest((("event_type", set(flt.types).__contains__),)))
    if flt.admin1s:
        wanted = {fold_text(a) for a in flt.admin1s}
        tests.append(ValueTest((("admin1", lambda v: fold_text(v) in wanted),)))
    if flt.actors:
        actors = set(flt.actors)
        by_actor = lambda v: bool(actors & set(_actor_parts(v)))  # noqa: E731 - one rule, three columns
        tests.append(ValueTest(tuple((name, by_actor) for name in ACTOR_COLUMNS)))
    if flt.places:
        tests.append(_place_test(flt.places))
    needle = fold_text(flt.text) if flt.text else ""
    if needle:
        by_text = lambda v: needle in fold_text(v)  # noqa: E731
        tests.append(ValueTest(tuple((name, by_text) for name in TEXT_SEARCH_COLUMNS)))
    return tests


def _place_test(places: Iterable[str]) -> ValueTest:
    """Match place ids, or names through the gazetteer's variants and the events' own names."""
    ids = {p.strip() for p in places if p.strip()}
    keys = {name_key(p) for p in ids} - {""}
    index = _gazetteer_name_index()
    for key in keys:
        ids |= index.get(key, frozenset())
    by_id = ids.__contains__
    by_name = lambda v: name_key(v) in keys  # noqa: E731
    return ValueTest(
        (
            ("place_id", by_id),
            ("origin_place_id", by_id),
            ("place", by_name),
            ("place_ar", by_name),
            ("place_as_written", by_name),
        )
    )


def _actor_parts(cell: str) -> list[str]:
    parts: list[str] = []
    for code in cell.split(";"):
        code = code.strip()
        parts += [code, *split_controller(code)]
    return parts


def _match_values(
    series: pd.Series, predicate: Callable[[str], bool], *, missing: bool = False
) -> np.ndarray:
    """Evaluate ``predicate`` once per distinct value (categories or unique strings), then map it to rows.

    Missing values (and empty text) give ``missing``.
    """
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        hits = np.array([bool(c) and predicate(str(c)) for c in cats] + [missing], dtype=bool)
        codes = series.cat.codes.to_numpy()
        return hits[codes]  # code -1 (missing) indexes the trailing False
    seen: dict[object, bool] = {}

    def hit(value: object) -> bool:
        found = seen.get(value)
        if found is None:
            found = seen[value] = predicate(value) if isinstance(value, str) and value else missing
        return found

    return np.fromiter((hit(v) for v in series.to_numpy(dtype=object)), dtype=bool, count=len(series))
