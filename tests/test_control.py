"""geodata.control: the control-state rules of DATA_MODEL.md, on the bundled events and on small tables."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geodata.control import changes_between, control_as_of, control_records
from geodata.events import build_events_frame, load_events

KIRKUK = "geonames:94787"
ALTUN_KUPRI = "kcm:altun-kupri"
ERBIL = "geonames:95446"


@pytest.fixture(scope="module")
def events(events_csv: Path) -> gpd.GeoDataFrame:
    return load_events(events_csv)


def _state(events: pd.DataFrame, day: str) -> dict[str, dict[str, object]]:
    return {r["place_id"]: r for r in control_records(control_as_of(events, day))}


@pytest.mark.parametrize(
    ("day", "place_id", "controllers"),
    [
        ("2017-10-15", KIRKUK, {"krg"}),
        ("2017-10-17", KIRKUK, {"isf"}),
        ("2017-10-21", ALTUN_KUPRI, {"isf", "isf+pmf"}),
        ("2017-10-15", ALTUN_KUPRI, {"krg"}),
        ("2017-11-30", ERBIL, {"krg"}),
    ],
)
def test_must_hold_on_the_bundled_events(
    events: gpd.GeoDataFrame, day: str, place_id: str, controllers: set[str]
) -> None:
    state = _state(events, day)[place_id]
    assert state["controller"] in controllers
    assert state["contested"] is False


def test_every_mapped_place_has_a_state_from_the_start(events: gpd.GeoDataFrame) -> None:
    first_day = events["event_date"].min().date()
    state = control_as_of(events, first_day)
    assert state["controller"].notna().all()
    assert set(state["place_id"]) == set(
        events.loc[events["event_type"].isin(["control_change", "status"]), "place_id"]
    )


def _frame(rows: list[dict[str, str]]) -> gpd.GeoDataFrame:
    base = {"date_precision": "day", "place_id": KIRKUK, "source": "test", "status": "reported"}
    return build_events_frame(
        pd.DataFrame([{**base, "event_id": f"kcm-{i + 1:04d}", **r} for i, r in enumerate(rows)])
    )


def _change(day: str, before: str, after: str, **kw: str) -> dict[str, str]:
    return {
        "event_date": day,
        "event_type": "control_change",
        "controller_before": before,
        "controller_after": after,
        **kw,
    }


def test_before_the_first_row_it_is_controller_before() -> None:
    events = _frame([_change("2017-10-16", "krg", "isf")])
    state = _state(events, "2017-10-01")[KIRKUK]
    assert (state["controller"], state["since"], state["event_id"]) == ("krg", None, "kcm-0001")
    assert _state(events, "2017-10-16")[KIRKUK]["controller"] == "isf"
    assert _state(events, "2017-10-16")[KIRKUK]["since"] == "2017-10-16"


def test_no_rows_means_unknown() -> None:
    events = _frame([{"event_date": "2017-10-16", "event_type": "clash"}])
    assert control_as_of(events, "2017-10-20").empty


def test_disagreeing_rows_on_one_day_are_contested() -> None:
    events = _frame([_change("2017-10-16", "krg", "isf"), _change("2017-10-16", "krg", "pmf")])
    state = _state(events, "2017-10-18")[KIRKUK]
    assert state["contested"] is True and state["controller"] is None
    assert state["claims"] == ["isf", "pmf"]
    assert state["event_id"] == "kcm-0001;kcm-0002"
    resolved = _frame(
        [
            _change("2017-10-16", "krg", "isf"),
            _change("2017-10-16", "krg", "pmf"),
            _change("2017-10-19", "isf", "isf"),
        ]
    )
    assert _state(resolved, "2017-10-19")[KIRKUK]["contested"] is False


def test_rows_that_chain_on_one_day_are_a_sequence() -> None:
    events = _frame([_change("2017-10-16", "krg", "pmf"), _change("2017-10-16", "pmf", "isf+pmf")])
    state = _state(events, "2017-10-16")[KIRKUK]
    assert (state["controller"], state["contested"], state["event_id"]) == ("isf+pmf", False, "kcm-0002")


def test_status_and_change_on_one_day_that_disagree_are_contested() -> None:
    events = _frame(
        [
            _change("2017-10-16", "krg", "isf"),
            {"event_date": "2017-10-16", "event_type": "status", "controller_after": "krg"},
        ]
    )
    assert _state(events, "2017-10-16")[KIRKUK]["contested"] is True


def test_withdrawn_rows_are_ignored_and_disputed_rows_flagged() -> None:
    events = _frame(
        [
            _change("2017-10-16", "krg", "isf"),
            _change("2017-10-17", "isf", "pmf", status="withdrawn"),
            _change("2017-10-18", "isf", "krg", place_id=ERBIL, status="disputed"),
        ]
    )
    state = _state(events, "2017-10-20")
    assert state[KIRKUK]["controller"] == "isf" and state[KIRKUK]["disputed"] is False
    assert state[ERBIL]["controller"] == "krg" and state[ERBIL]["disputed"] is True


def test_changes_between(events: gpd.GeoDataFrame) -> None:
    changes = changes_between(events, date(2017, 10, 16), date(2017, 10, 16))
    assert len(changes) and (changes["event_type"] == "control_change").all()
    assert (changes["event_date"] == pd.Timestamp("2017-10-16")).all()
    assert KIRKUK in set(changes["place_id"])
    assert changes_between(events, "2017-12-01", "2017-12-31").empty


def test_records_are_json_ready(events: gpd.GeoDataFrame) -> None:
    import orjson

    records = control_records(control_as_of(events, date(2017, 10, 17)))
    data = orjson.loads(orjson.dumps(records))
    assert data == records
    kirkuk = next(r for r in records if r["place_id"] == KIRKUK)
    assert kirkuk["place"] == "Kirkuk" and kirkuk["place_ar"] == "كركوك"
    assert (kirkuk["lat"], kirkuk["lon"]) == (35.46806, 44.39222)
