"""The view the page shows (dates, filters, layers, language), its session-state keys and its URL query parameters.

This is the one place that syncs the URL. The link a session was opened with is kept (:func:`remember_link`), and
every page writes the map's view back into the URL (:func:`sync_url`), so that the query parameters (and the
language) survive a visit to another page, a reload there, and the way back to the map.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from typing import Protocol

from dashboard.i18n import LANGS
from geodata.errors import InputError
from geodata.filters import EventFilter
from geodata.maps import LAYERS

# Session-state keys of the widgets (one place, so that callbacks and the URL sync agree).
K_WINDOW = "window"
K_AS_OF = "as_of"
K_AS_OF_PINNED = "as_of_pinned"
K_TYPES = "f_types"
K_ACTORS = "f_actors"
K_PLACES = "f_places"
K_ADMIN1S = "f_admin1s"
K_STATUSES = "f_statuses"
K_TEXT = "f_text"
K_LAYERS = "layers"
K_LANG = "lang"
K_PLAYING = "playing"
K_SPEED = "speed"
K_UPLOAD = "upload"
K_UPLOADED_PATH = "uploaded_events_path"
K_INITIALISED = "view_initialised"
K_LINK_PROBLEMS = "link_problems"
K_LINK = "link_params"  # the map view's query parameters, kept for the other pages
# Read by tests and benchmarks: what the last run showed.
K_SHOWN = "shown"

# URL query parameters: short names, lists comma-separated, dates ISO.
Q_FROM, Q_TO, Q_AS_OF = "from", "to", "asof"
Q_TYPES, Q_ACTORS, Q_PLACES, Q_ADMIN1S, Q_STATUSES, Q_TEXT = "type", "actor", "place", "gov", "status", "q"
Q_LAYERS, Q_LANG = "layers", "lang"


@dataclass(frozen=True)
class Filters:
    """The sidebar's choices: which events are shown, and on which map layers."""

    types: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    admin1s: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    text: str = ""
    layers: tuple[str, ...] = LAYERS


@dataclass(frozen=True, kw_only=True)
class View(Filters):
    """Everything that decides what the page shows (the filters, the dates, the language); it round-trips through the URL."""

    date_from: date
    date_to: date
    as_of: date | None = None  # None: the end of the window
    lang: str = "en"
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def day(self) -> date:
        """The day of the control state: ``as_of``, or the end of the window."""
        return self.as_of or self.date_to

    def event_filter(self) -> EventFilter:
        """Return the filter of the events shown (and exported)."""
        return EventFilter(
            date_from=self.date_from,
            date_to=self.date_to,
            types=self.types,
            actors=self.actors,
            places=self.places,
            statuses=self.statuses,
            admin1s=self.admin1s,
            text=self.text or None,
        )


def _split(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def _day(value: str | None, name: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{name}={value!r} (expected YYYY-MM-DD)")
        return None


def _clamp(day: date, lo: date, hi: date) -> date:
    return min(max(day, lo), hi)


def view_from_params(params: Mapping[str, str], *, first: date, last: date) -> View:
    """Read a view from URL query parameters; bad or unknown values are dropped and reported in ``problems``.

    ``first``/``last`` are the dataset's first and last days: dates are clamped into them, and the default window
    is the whole dataset.
    """
    problems: list[str] = []
    start = _day(params.get(Q_FROM), Q_FROM, problems) or first
    end = _day(params.get(Q_TO), Q_TO, problems) or last
    start, end = _clamp(start, first, last), _clamp(end, first, last)
    if end < start:
        problems.append(f"{Q_TO}={end.isoformat()} is before {Q_FROM}={start.isoformat()}")
        start, end = first, last
    as_of = _day(params.get(Q_AS_OF), Q_AS_OF, problems)
    if as_of is not None:
        as_of = _clamp(as_of, first, last)
    layers = _split(params.get(Q_LAYERS)) if Q_LAYERS in params else LAYERS
    bad_layers = [name for name in layers if name not in LAYERS]
    if bad_layers:
        problems.append(f"{Q_LAYERS}: unknown {', '.join(bad_layers)}")
    lang = params.get(Q_LANG, "en")
    if lang not in LANGS:
        problems.append(f"{Q_LANG}={lang!r}")
        lang = "en"
    return View(
        date_from=start,
        date_to=end,
        as_of=as_of,
        types=_split(params.get(Q_TYPES)),
        actors=_split(params.get(Q_ACTORS)),
        places=_split(params.get(Q_PLACES)),
        admin1s=_split(params.get(Q_ADMIN1S)),
        statuses=_split(params.get(Q_STATUSES)),
        text=params.get(Q_TEXT, "").strip(),
        layers=tuple(name for name in layers if name in LAYERS),
        lang=lang,
        problems=tuple(problems),
    )


def params_from_view(view: View, *, first: date, last: date) -> dict[str, str]:
    """Write a view as URL query parameters, leaving out what equals the default (so links stay short)."""
    params: dict[str, str] = {}
    if view.date_from != first:
        params[Q_FROM] = view.date_from.isoformat()
    if view.date_to != last:
        params[Q_TO] = view.date_to.isoformat()
    if view.as_of is not None:
        params[Q_AS_OF] = view.as_of.isoformat()
    for name, values in (
        (Q_TYPES, view.types),
        (Q_ACTORS, view.actors),
        (Q_PLACES, view.places),
        (Q_ADMIN1S, view.admin1s),
        (Q_STATUSES, view.statuses),
    ):
        if values:
            params[name] = ",".join(values)
    if view.text:
        params[Q_TEXT] = view.text
    if tuple(view.layers) != LAYERS:
        params[Q_LAYERS] = ",".join(view.layers)
    if view.lang != "en":
        params[Q_LANG] = view.lang
    return params


_FILTER_FIELDS: tuple[tuple[str, str], ...] = (
    (Q_TYPES, "types"),
    (Q_ACTORS, "actors"),
    (Q_PLACES, "places"),
    (Q_ADMIN1S, "admin1s"),
    (Q_STATUSES, "statuses"),
)


def session_from_view(view: View) -> dict[str, object]:
    """Return the widget values (by session-state key) that show ``view``."""
    return {
        K_WINDOW: (view.date_from, view.date_to),
        K_AS_OF: view.day,
        K_AS_OF_PINNED: view.as_of is not None,
        K_TYPES: list(view.types),
        K_ACTORS: list(view.actors),
        K_PLACES: list(view.places),
        K_ADMIN1S: list(view.admin1s),
        K_STATUSES: list(view.statuses),
        K_TEXT: view.text,
        K_LAYERS: list(view.layers),
        K_LANG: view.lang,
    }


def known_choices(view: View, options: Mapping[str, Sequence[str]]) -> tuple[View, list[str]]:
    """Keep only the filter values of ``view`` that the data has; say which were dropped (a link's typo, another file).

    ``options`` maps a filter's URL name (``type``, ``actor``, ``place``, ``gov``, ``status``) to the values the data
    offers. Without this, the page would silently show everything for ``?type=bogus``.
    """
    problems: list[str] = []
    kept: dict[str, tuple[str, ...]] = {}
    for name, attr in _FILTER_FIELDS:
        values = getattr(view, attr)
        allowed = set(options.get(name, ()))
        unknown = [v for v in values if v not in allowed]
        if unknown:
            problems.append(f"{name}: unknown {', '.join(unknown)}")
        kept[attr] = tuple(v for v in values if v in allowed)
    return replace(view, **kept), problems


def view_from_session(state: Mapping[str, object]) -> View:
    """Return the view that the widgets in ``state`` show (the page builds it from the widgets' values instead)."""
    filters = Filters(
        types=tuple(state.get(K_TYPES) or ()),  # type: ignore[arg-type]
        actors=tuple(state.get(K_ACTORS) or ()),  # type: ignore[arg-type]
        places=tuple(state.get(K_PLACES) or ()),  # type: ignore[arg-type]
        admin1s=tuple(state.get(K_ADMIN1S) or ()),  # type: ignore[arg-type]
        statuses=tuple(state.get(K_STATUSES) or ()),  # type: ignore[arg-type]
        text=str(state.get(K_TEXT) or ""),
        layers=tuple(state.get(K_LAYERS) or ()),  # type: ignore[arg-type]
    )
    return view_of(
        filters,
        window=state[K_WINDOW],  # type: ignore[arg-type]
        as_of=state.get(K_AS_OF),  # type: ignore[arg-type]
        pinned=bool(state.get(K_AS_OF_PINNED)),
        lang=str(state.get(K_LANG) or "en"),
    )


def quick_window(pick: str, *, first: date, last: date) -> tuple[date, date]:
    """Return the window of a quick pick: ``last7``/``last30`` (the last days of the data) or ``whole``."""
    if pick == "last7":
        return max(first, last - timedelta(days=6)), last
    if pick == "last30":
        return max(first, last - timedelta(days=29)), last
    if pick == "whole":
        return first, last
    raise InputError(f"unknown quick pick {pick!r}; expected last7, last30 or whole")


def view_of(filters: Filters, *, window: tuple[date, date], as_of: date, pinned: bool, lang: str) -> View:
    """Return the view of the sidebar's ``filters``, the date controls (``as_of`` kept only if ``pinned``) and ``lang``."""
    chosen = {f.name: getattr(filters, f.name) for f in fields(Filters)} | {"text": filters.text.strip()}
    return View(date_from=window[0], date_to=window[1], as_of=as_of if pinned else None, lang=lang, **chosen)


def remember_link(state: MutableMapping[str, object], params: Mapping[str, str]) -> None:
    """Keep the query parameters of the link that opened the session (whatever page it opened), once."""
    if K_LINK not in state:
        state[K_LINK] = dict(params)


def link_params(state: Mapping[str, object]) -> dict[str, str]:
    """Return the map view's query parameters: those the map page wrote last, else those of the opening link."""
    return dict(state.get(K_LINK) or {})  # type: ignore[call-overload]


def link_lang(state: Mapping[str, object]) -> str:
    """Return the page language: the language radio's, else the link's, else English."""
    chosen = state.get(K_LANG) or link_params(state).get(Q_LANG)
    return chosen if chosen in LANGS else "en"  # type: ignore[return-value]


class QueryParams(Protocol):
    """What :func:`sync_url` needs of ``st.query_params``."""

    def to_dict(self) -> dict[str, str]:
        """Return the parameters (the last value of each)."""

    def from_dict(self, params: Mapping[str, str]) -> None:
        """Replace every parameter."""


def sync_url(
    state: MutableMapping[str, object], query_params: QueryParams, params: Mapping[str, str]
) -> None:
    """Write ``params`` (a view's) into the URL and keep them for the other pages; an unchanged URL is left alone.

    ``query_params`` is ``st.query_params``; Streamlit clears it when the user switches pages, hence the copy
    kept in ``state``.
    """
    state[K_LINK] = dict(params)
    if query_params.to_dict() != dict(params):
        query_params.from_dict(params)
