"""The dashboard's view state: URL query parameters to view and back, defaults left out, bad values reported."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.state import (
    K_LANG,
    K_LINK,
    Filters,
    View,
    known_choices,
    link_lang,
    link_params,
    params_from_view,
    quick_window,
    remember_link,
    session_from_view,
    sync_url,
    view_from_params,
    view_from_session,
    view_of,
)
from geodata.errors import InputError
from geodata.maps import LAYERS

FIRST, LAST = date(2017, 9, 25), date(2017, 11, 29)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"from": "2017-10-01"},
        {"from": "2017-10-01", "to": "2017-10-20", "asof": "2017-10-16"},
        {"type": "clash,deployment", "actor": "pmf", "place": "geonames:94787", "gov": "Kirkuk"},
        {"status": "disputed", "q": "كركوك", "layers": "control", "lang": "ar"},
        {"layers": ""},
    ],
)
def test_params_round_trip(params: dict[str, str]) -> None:
    view = view_from_params(params, first=FIRST, last=LAST)
    assert not view.problems
    assert params_from_view(view, first=FIRST, last=LAST) == params
    assert view_from_session(session_from_view(view)) == view


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"from": "yesterday"}, "from='yesterday'"),
        ({"asof": "2017-02-30"}, "asof='2017-02-30'"),
        ({"from": "2017-11-01", "to": "2017-10-01"}, "is before"),
        ({"layers": "control,heat"}, "unknown heat"),
        ({"lang": "fr"}, "lang='fr'"),
    ],
)
def test_bad_params_are_dropped_and_reported(params: dict[str, str], problem: str) -> None:
    view = view_from_params(params, first=FIRST, last=LAST)
    assert any(problem in p for p in view.problems)
    assert FIRST <= view.date_from <= view.date_to <= LAST


def test_dates_are_clamped_into_the_data() -> None:
    view = view_from_params(
        {"from": "2000-01-01", "to": "2030-01-01", "asof": "2030-01-01"}, first=FIRST, last=LAST
    )
    assert (view.date_from, view.date_to, view.as_of) == (FIRST, LAST, LAST)


def test_view_gives_the_event_filter() -> None:
    view = View(date_from=FIRST, date_to=LAST, types=("clash",), text="  ")
    flt = view.event_filter()
    assert (flt.date_from, flt.date_to, flt.types, flt.text) == (FIRST, LAST, ("clash",), None)
    assert view.day == LAST and view.layers == LAYERS


@pytest.mark.parametrize(
    ("pick", "window"),
    [
        ("last7", (date(2017, 11, 23), LAST)),
        ("last30", (date(2017, 10, 31), LAST)),
        ("whole", (FIRST, LAST)),
    ],
)
def test_quick_windows(pick: str, window: tuple[date, date]) -> None:
    assert quick_window(pick, first=FIRST, last=LAST) == window


def test_unknown_quick_pick() -> None:
    with pytest.raises(InputError, match="unknown quick pick 'year'"):
        quick_window("year", first=FIRST, last=LAST)


def test_view_of_the_sidebar_and_date_controls_round_trips_through_the_url() -> None:
    filters = Filters(types=("clash",), admin1s=("Kirkuk",), text=" Peshmerga ", layers=("control",))
    window = (date(2017, 10, 12), date(2017, 10, 20))
    view = view_of(filters, window=window, as_of=date(2017, 10, 16), pinned=True, lang="ar")
    assert (view.date_from, view.date_to, view.as_of, view.text) == (*window, date(2017, 10, 16), "Peshmerga")
    assert view_from_params(params_from_view(view, first=FIRST, last=LAST), first=FIRST, last=LAST) == view
    unpinned = view_of(filters, window=window, as_of=date(2017, 10, 16), pinned=False, lang="en")
    assert unpinned.as_of is None and unpinned.day == window[1]


class FakeQueryParams:
    """``st.query_params`` as far as sync_url uses it; counts the writes (each one is a message to the browser)."""

    def __init__(self, params: dict[str, str]) -> None:
        self.params = dict(params)
        self.writes = 0

    def to_dict(self) -> dict[str, str]:
        return dict(self.params)

    def from_dict(self, params: dict[str, str]) -> None:
        self.params = dict(params)
        self.writes += 1


def test_the_link_is_kept_for_the_other_pages_and_written_back() -> None:
    state: dict[str, object] = {}
    remember_link(state, {"from": "2017-10-12", "lang": "ar"})
    remember_link(state, {})  # a later run (another page: Streamlit cleared the URL) keeps the first link
    assert link_params(state) == {"from": "2017-10-12", "lang": "ar"}
    assert link_lang(state) == "ar"
    url = FakeQueryParams({})  # the URL after a switch of pages
    sync_url(state, url, link_params(state))
    assert url.params == {"from": "2017-10-12", "lang": "ar"} and url.writes == 1
    sync_url(state, url, link_params(state))
    assert url.writes == 1  # an unchanged URL is left alone
    sync_url(state, url, {"to": "2017-10-20"})  # the map page wrote a new view
    assert state[K_LINK] == {"to": "2017-10-20"} and url.params == {"to": "2017-10-20"}


@pytest.mark.parametrize(
    ("state", "lang"),
    [
        ({}, "en"),
        ({K_LINK: {"lang": "ar"}}, "ar"),
        ({K_LINK: {"lang": "fr"}}, "en"),
        ({K_LINK: {"lang": "ar"}, K_LANG: "en"}, "en"),  # the radio wins over the link
    ],
)
def test_link_lang(state: dict[str, object], lang: str) -> None:
    assert link_lang(state) == lang


def test_filter_values_the_data_lacks_are_dropped_and_named() -> None:
    view = view_from_params(
        {"type": "clash,bogus", "actor": "pmf", "place": "geonames:1,geonames:94787", "status": ""},
        first=FIRST,
        last=LAST,
    )
    options = {"type": ("clash", "deployment"), "actor": ("isf", "pmf"), "place": ("geonames:94787",)}
    kept, problems = known_choices(view, options)
    assert (kept.types, kept.actors, kept.places, kept.statuses) == (
        ("clash",),
        ("pmf",),
        ("geonames:94787",),
        (),
    )
    assert problems == ["type: unknown bogus", "place: unknown geonames:1"]
    assert known_choices(kept, options) == (kept, [])
