"""The dashboard page under AppTest: it runs, its date and filter widgets change the shown set, links round-trip."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geodata.events import load_events
from geodata.filters import EventFilter, apply_filter
from tests.conftest import ROOT, as_shown

APP = str(ROOT / "dashboard" / "app.py")


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, events_csv: Path) -> Path:
    monkeypatch.setenv("KCM_EVENTS", str(events_csv))
    monkeypatch.setenv("KCM_TILES", "none")
    return events_csv


@pytest.fixture(scope="module")
def seed_events(events_csv: Path):
    return load_events(events_csv)


def _run(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _expected(events, **kwargs) -> list[str]:
    return apply_filter(events, EventFilter(**kwargs))["event_id"].tolist()


def _bounds(events) -> tuple[date, date]:
    return events["event_date"].iloc[0].date(), events["event_date"].iloc[-1].date()


def test_page_runs_and_shows_the_seed(app_env: Path, seed_events) -> None:
    at = _run()
    first, last = _bounds(seed_events)
    shown = at.session_state["shown"]
    assert shown["event_ids"] == _expected(seed_events, date_from=first, date_to=last)
    assert shown["n_events"] > 0 and shown["n_control"] > 0
    assert shown["as_of"] == last.isoformat()
    assert at.slider(key="window").value == (first, last)
    assert not at.error


def test_window_slider_changes_the_filtered_set(app_env: Path, seed_events) -> None:
    at = _run()
    total = at.session_state["shown"]["n_events"]
    window = (date(2017, 10, 14), date(2017, 10, 18))
    at.slider(key="window").set_value(window).run()
    shown = at.session_state["shown"]
    assert shown["event_ids"] == _expected(seed_events, date_from=window[0], date_to=window[1])
    assert 0 < shown["n_events"] < total
    assert shown["as_of"] == "2017-10-18"  # the control day follows the window's end
    assert at.query_params["from"] == "2017-10-14" and at.query_params["to"] == "2017-10-18"


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("f_types", ["control_change"], "types"),
        ("f_actors", ["pmf"], "actors"),
        ("f_admin1s", ["Kirkuk"], "admin1s"),
        ("f_statuses", ["disputed"], "statuses"),
    ],
)
def test_sidebar_filters_change_the_filtered_set(
    app_env: Path, seed_events, key: str, value: list, field: str
) -> None:
    at = _run()
    first, last = _bounds(seed_events)
    at.multiselect(key=key).set_value(value).run()
    expected = _expected(seed_events, date_from=first, date_to=last, **{field: tuple(value)})
    shown = at.session_state["shown"]
    assert shown["event_ids"] == expected
    assert 0 < len(expected) < len(_expected(seed_events, date_from=first, date_to=last))
    assert shown["filter"][field] == value


def test_text_search_filters(app_env: Path, seed_events) -> None:
    at = _run()
    at.text_input(key="f_text").set_value("Peshmerga").run()
    first, last = _bounds(seed_events)
    expected = _expected(seed_events, date_from=first, date_to=last, text="Peshmerga")
    assert at.session_state["shown"]["event_ids"] == expected
    assert expected


def test_day_back_and_forward_move_the_control_day(app_env: Path) -> None:
    at = _run({"from": "2017-10-10", "to": "2017-10-20"})
    at.button(key="day_back").click().run()
    assert at.session_state["shown"]["as_of"] == "2017-10-19"
    assert at.query_params["asof"] == "2017-10-19"
    at.button(key="day_forward").click().run()
    at.button(key="day_forward").click().run()
    assert at.session_state["shown"]["as_of"] == "2017-10-21"


def test_play_steps_the_day_to_the_end_of_the_window(app_env: Path) -> None:
    at = _run({"from": "2017-10-15", "to": "2017-10-17"})
    at.selectbox(key="speed").set_value(0.5).run()
    at.button(key="play").click().run()
    assert at.session_state["shown"]["as_of"] == "2017-10-17"
    assert not at.session_state["playing"]


def test_quick_pick_last_seven_days(app_env: Path, seed_events) -> None:
    at = _run()
    at.button(key="quick_last7").click().run()
    _first, last = _bounds(seed_events)
    assert at.slider(key="window").value == (date.fromordinal(last.toordinal() - 6), last)


def test_query_params_round_trip(app_env: Path, seed_events) -> None:
    params = {
        "from": "2017-10-12",
        "to": "2017-10-25",
        "asof": "2017-10-16",
        "type": "control_change,deployment",
        "gov": "Kirkuk",
        "q": "Kirkuk",
        "layers": "control,events",
        "lang": "ar",
    }
    at = _run(params)
    assert dict(at.query_params) == params
    assert at.slider(key="window").value == (date(2017, 10, 12), date(2017, 10, 25))
    assert at.date_input(key="as_of").value == date(2017, 10, 16)
    assert at.multiselect(key="f_types").value == ["control_change", "deployment"]
    assert at.multiselect(key="layers").value == ["control", "events"]
    assert at.radio(key="lang").value == "ar"
    assert at.title[0].value == "خريطة السيطرة في كركوك"
    expected = _expected(
        seed_events,
        date_from=date(2017, 10, 12),
        date_to=date(2017, 10, 25),
        types=("control_change", "deployment"),
        admin1s=("Kirkuk",),
        text="Kirkuk",
    )
    assert at.session_state["shown"]["event_ids"] == expected


def test_bad_link_parameters_are_reported_not_fatal(app_env: Path, seed_events) -> None:
    at = _run({"from": "yesterday", "layers": "control,heat", "lang": "xx"})
    assert any("from='yesterday'" in as_shown(w.value) and "heat" in w.value for w in at.warning)
    assert at.slider(key="window").value == _bounds(seed_events)


def _csv_bytes(path: Path, edit) -> bytes:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    edit(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def test_bad_uploaded_csv_shows_errors_with_line_and_column(app_env: Path) -> None:
    def break_rows(rows: list[dict]) -> None:
        rows[2]["event_date"] = "2017-13-45"
        rows[4]["event_type"] = "picnic"

    at = _run()
    before = at.session_state["shown"]["n_events"]
    at.sidebar.file_uploader[0].upload("bad.csv", _csv_bytes(app_env, break_rows), "text/csv")
    at.run()
    assert not at.exception
    assert any("2 problems" in e.value for e in at.error)
    table = at.sidebar.dataframe[0].value
    assert set(zip(table["line"], table["column"], strict=True)) >= {(4, "event_date"), (6, "event_type")}
    assert at.session_state["shown"]["n_events"] == before


def test_valid_uploaded_csv_replaces_the_data(app_env: Path) -> None:
    at = _run()
    at.sidebar.file_uploader[0].upload(
        "few.csv", _csv_bytes(app_env, lambda rows: rows.__delitem__(slice(5, None)))
    )
    at.run()
    assert not at.exception and not at.error
    assert at.session_state["shown"]["n_events"] == 5


def test_missing_events_file_is_an_error_not_a_crash(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KCM_EVENTS", str(tmp_path / "nope.csv"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("nope.csv" in as_shown(e.value) for e in at.error)


def test_add_article_page_is_listed_and_the_view_survives_a_visit(app_env: Path) -> None:
    at = _run({"from": "2017-10-12", "to": "2017-10-20", "lang": "ar"})
    at.switch_page("pages/1_Add_article.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Add an article" in title.value for title in at.title)
    assert at.session_state["window"] == (date(2017, 10, 12), date(2017, 10, 20))
    assert at.session_state["lang"] == "ar"


def test_the_link_and_language_stay_in_the_url_on_the_other_pages(app_env: Path) -> None:
    link = {"from": "2017-10-12", "to": "2017-10-20", "type": "control_change", "lang": "ar"}
    at = _run(link)
    for other in ("pages/1_Add_article.py", "pages/2_Review.py"):
        at.query_params.clear()  # as Streamlit does on a switch of pages
        at.switch_page(other).run()
        assert not at.exception, [e.value for e in at.exception]
        assert dict(at.query_params) == link, other
        assert at.session_state["lang"] == "ar"
    # (AppTest cannot switch back to a page given as a function: the browser test checks the way back to the map)


def test_arabic_moves_the_sidebar_to_the_right_with_fixed_css(app_env: Path) -> None:
    """The CSS is the same fixed string whatever the data (the browser test checks where the sidebar lands)."""

    def sidebar_css(at: AppTest) -> list[str]:
        return [m.value for m in at.main.markdown if "stAppViewContainer" in m.value]

    assert sidebar_css(_run()) == []
    arabic = sidebar_css(_run({"lang": "ar", "q": "</style><script>alert(1)</script>"}))
    assert len(arabic) == 1 and "flex-direction: row-reverse" in arabic[0]
    assert arabic == sidebar_css(_run({"lang": "ar"}))


def test_a_day_step_reuses_the_window_answers(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Moving the control day does not query the window again (cached per filter); moving the window does."""
    import dashboard.cache

    calls: list[str] = []
    real = dashboard.cache.window_view

    def counted(store, flt, **kwargs):
        calls.append(flt.to_dict()["from"])
        return real(store, flt, **kwargs)

    monkeypatch.setattr(dashboard.cache, "window_view", counted)
    at = _run({"from": "2017-10-03", "to": "2017-10-23"})
    before = dict(at.session_state["shown"])
    made = len(calls)
    at.button(key="day_back").click().run()
    after = at.session_state["shown"]
    assert after["as_of"] == "2017-10-22" and len(calls) == made
    for key in ("n_events", "event_ids", "filter", "n_changes", "aggregated"):
        assert after[key] == before[key], key
    at.slider(key="window").set_value((date(2017, 10, 4), date(2017, 10, 23))).run()
    assert not at.exception and calls[-1] == "2017-10-04"
