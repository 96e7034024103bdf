"""The dashboard's view state: URL query parameters to view and back, defaults left out, bad values reported."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.state import (
    View,
    params_from_view,
    quick_window,
    session_from_view,
    view_from_params,
    view_from_session,
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
