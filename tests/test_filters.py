"""geodata.filters: the window (binary search, spans), types, actors, places, statuses, governorates, text."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.errors import InputError
from geodata.events import load_events
from geodata.filters import EventFilter, apply_filter
from tests.synthetic import make_events


@pytest.fixture(scope="module")
def events(events_csv: Path) -> gpd.GeoDataFrame:
    return load_events(events_csv)


@pytest.fixture(scope="module")
def synthetic() -> gpd.GeoDataFrame:
    return make_events(3000, seed=3)


def _naive_window(gdf: gpd.GeoDataFrame, start: date | None, end: date | None) -> set[str]:
    """The obvious boolean-mask version of the window, to check the binary search against."""
    first = gdf["event_date"]
    last = gdf["date_end"].fillna(first)
    mask = np.ones(len(gdf), dtype=bool)
    if start is not None:
        mask &= (last >= np.datetime64(start)).to_numpy()
    if end is not None:
        mask &= (first <= np.datetime64(end)).to_numpy()
    return set(gdf.loc[mask, "event_id"])


_DAY = st.dates(min_value=date(2016, 12, 1), max_value=date(2020, 1, 31))


@settings(max_examples=60, deadline=None)
@given(start=st.one_of(st.none(), _DAY), length=st.integers(0, 400), open_end=st.booleans())
def test_window_equals_the_naive_mask(
    synthetic: gpd.GeoDataFrame, start: date | None, length: int, open_end: bool
) -> None:
    end = None if open_end or start is None else start + timedelta(days=length)
    got = apply_filter(
        synthetic, EventFilter(date_from=start, date_to=end, statuses=("reported", "confirmed", "disputed"))
    )
    assert set(got["event_id"]) == _naive_window(synthetic, start, end)
    assert got["event_date"].is_monotonic_increasing


def test_event_spanning_into_the_window_is_kept(events: gpd.GeoDataFrame) -> None:
    spanning = events[events["date_end"].notna() & (events["date_end"] > events["event_date"])].iloc[0]
    day = spanning["date_end"].date()
    got = apply_filter(events, EventFilter(date_from=day, date_to=day))
    assert spanning["event_id"] in set(got["event_id"])


def test_unsorted_input_is_handled(synthetic: gpd.GeoDataFrame) -> None:
    shuffled = synthetic.sample(frac=1.0, random_state=1)
    flt = EventFilter(date_from=date(2018, 1, 1), date_to=date(2018, 1, 31))
    assert set(apply_filter(shuffled, flt)["event_id"]) == set(apply_filter(synthetic, flt)["event_id"])


def test_filter_never_modifies_its_input(events: gpd.GeoDataFrame) -> None:
    before = events.copy()
    out = apply_filter(events, EventFilter())
    out.loc[out.index[0], "summary"] = "changed"
    assert events.equals(before)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (
            EventFilter(types=("displacement",)),
            lambda e: set(e.loc[e.event_type == "displacement", "event_id"]),
        ),
        (EventFilter(admin1s=("kirkuk",)), lambda e: set(e.loc[e.admin1 == "Kirkuk", "event_id"])),
        (
            EventFilter(places=("geonames:90026",)),
            lambda e: set(
                e.loc[(e.place_id == "geonames:90026") | (e.origin_place_id == "geonames:90026"), "event_id"]
            ),
        ),
    ],
)
def test_simple_filters(events: gpd.GeoDataFrame, flt: EventFilter, expected: object) -> None:
    want = expected(events)  # type: ignore[operator]
    assert want
    assert set(apply_filter(events, flt)["event_id"]) == want


def test_actor_matches_actors_and_joint_controllers(events: gpd.GeoDataFrame) -> None:
    got = apply_filter(events, EventFilter(actors=("pmf",)))
    assert len(got)
    for row in got.itertuples():
        fields = f"{row.actors};{row.controller_before};{row.controller_after}"
        assert "pmf" in fields
    joint = events[events["controller_after"] == "isf+pmf"]
    assert set(joint["event_id"]) <= set(got["event_id"])


@pytest.mark.parametrize("name", ["Kirkuk", "كركوك", "Kerkuk", "KIRKUK", "geonames:94787"])
def test_place_by_id_english_arabic_or_variant(events: gpd.GeoDataFrame, name: str) -> None:
    got = apply_filter(events, EventFilter(places=(name,)))
    assert len(got) and set(got["place_id"]) | set(got["origin_place_id"].dropna()) >= {"geonames:94787"}
    assert (got["place_id"] == "geonames:94787").any()


def test_movement_matches_its_origin(events: gpd.GeoDataFrame) -> None:
    moves = events[events["origin_place_id"] == "geonames:95446"]
    assert len(moves)
    got = apply_filter(events, EventFilter(places=("أربيل",)))
    assert set(moves["event_id"]) <= set(got["event_id"])


def test_withdrawn_events_only_when_asked(events: gpd.GeoDataFrame) -> None:
    frame = events.copy()
    frame["status"] = frame["status"].cat.set_categories(frame["status"].cat.categories)
    frame.loc[0, "status"] = "withdrawn"
    withdrawn_id = frame.loc[0, "event_id"]
    assert withdrawn_id not in set(apply_filter(frame, EventFilter())["event_id"])
    only = apply_filter(frame, EventFilter(statuses=("withdrawn",)))
    assert only["event_id"].tolist() == [withdrawn_id]


@pytest.mark.parametrize(("text", "column"), [("HUMVEE", "summary"), ("الحياة", "source"), ("الاول", None)])
def test_text_search(events: gpd.GeoDataFrame, text: str, column: str | None) -> None:
    got = apply_filter(events, EventFilter(text=text))
    if column is not None:
        assert (len(got) and got[column].str.casefold().str.contains(text.casefold()).all()) or len(got)
    assert apply_filter(events, EventFilter(text="zzqx-not-there")).empty


def test_text_search_folds_arabic_spelling(events: gpd.GeoDataFrame) -> None:
    with_hamza = apply_filter(events, EventFilter(text="أربيل"))
    without = apply_filter(events, EventFilter(text="اربيل"))
    assert len(with_hamza) and with_hamza["event_id"].tolist() == without["event_id"].tolist()


def test_filter_dict_round_trip() -> None:
    flt = EventFilter(
        date_from=date(2017, 10, 1), types=("clash",), actors=("isf",), places=("كركوك",), text="x"
    )
    data = flt.to_dict()
    assert data["from"] == "2017-10-01" and data["to"] is None and data["places"] == ["كركوك"]
    assert EventFilter.from_dict(data) == flt
    assert (
        EventFilter.from_dict(
            {
                "date_from": "2017-10-01",
                "types": ["clash"],
                "actors": ["isf"],
                "places": ["كركوك"],
                "text": "x",
            }
        )
        == flt
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"types": "clash"}, "must be a tuple"),
        ({"date_from": "2017-10-01"}, "must be a date"),
        ({"date_from": date(2017, 10, 2), "date_to": date(2017, 10, 1)}, "before it starts"),
        ({"types": ("battle",)}, "unknown type 'battle'"),
        ({"statuses": ("rumoured",)}, "unknown status 'rumoured'"),
        ({"actors": ("hezbollah",)}, "unknown actor 'hezbollah'"),
    ],
)
def test_bad_filters(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        EventFilter(**kwargs)  # type: ignore[arg-type]


def test_from_dict_refuses_unknown_keys() -> None:
    with pytest.raises(InputError, match="unknown filter key"):
        EventFilter.from_dict({"colour": "red"})
