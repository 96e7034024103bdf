"""The dashboard in Debian's chromium with the network refused: the map draws, the slider redraws it, no XSS.

Every request outside the app's own server is aborted (conftest), so these tests see what an offline user sees.
The tests also take the README's screenshots (English, Arabic, offline); with KCM_SCREENSHOTS=1 (`make screenshots`)
they replace the committed ones in dashboard/screenshots/, otherwise they go to pytest's temporary folder.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from geodata.control import control_as_of
from geodata.events import load_events
from geodata.filters import EventFilter, apply_filter
from geodata.maps import STATIC_DIR, build_candidates_map, build_map
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser]

XSS = "<img src=x onerror=alert(1)>"
SCREENSHOTS = ROOT / "dashboard" / "screenshots"


def _screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: the committed folder only when asked (so a test run leaves the work tree clean)."""
    return SCREENSHOTS if os.environ.get("KCM_SCREENSHOTS") == "1" else tmp_path


MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
TIMEOUT_MS = 60_000  # the machine is shared: a cold first page can take long
SHOT_VIEWPORT = {"width": 1440, "height": 1500}  # the controls and the whole map in one picture


def _map(page: Any) -> Any:
    frame = page.frame_locator(MAP_FRAME).last
    frame.locator(".leaflet-container").wait_for(timeout=TIMEOUT_MS)
    frame.locator(".kcm-asof").wait_for(timeout=TIMEOUT_MS)
    return frame


def _open(new_page: Callable[..., Any], url: str) -> tuple[Any, Any]:
    page = new_page(viewport=SHOT_VIEWPORT)
    page.goto(url)
    return page, _map(page)


def _settle(page: Any) -> None:
    """Wait until Streamlit has finished the current run."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS
    )


def _asset_urls(fmap: Any) -> list[str]:
    urls = [url for _, url in [*fmap.default_js, *fmap.default_css]]
    for element in fmap._children.values():
        urls += [
            url for _, url in [*getattr(element, "default_js", []), *getattr(element, "default_css", [])]
        ]
    return list(dict.fromkeys(urls))


@pytest.mark.parametrize(
    "make", [lambda: build_map(None, tiles=None), lambda: build_candidates_map([], tiles=None)]
)
def test_every_map_asset_is_one_of_our_files(make: Callable[[], Any]) -> None:
    urls = _asset_urls(make())
    assert urls
    for url in urls:
        assert "://" not in url and not url.startswith("//"), url
        name = url.split("/static/", 1)[1]
        assert (STATIC_DIR / name).is_file(), url


def test_map_renders_with_markers_and_screenshot(
    new_page, serve_app, events_csv: Path, tmp_path: Path
) -> None:
    url = serve_app(events_csv)
    page, frame = _open(new_page, f"{url}/?from=2017-10-12&to=2017-10-20")
    events = load_events(events_csv)
    last = "2017-10-20"
    frame.locator(".kcm-asof-day").filter(has_text=last).wait_for(timeout=TIMEOUT_MS)
    shown = apply_filter(events, EventFilter.from_dict({"from": "2017-10-12", "to": "2017-10-20"}))
    frame.locator("path.leaflet-interactive").nth(len(shown)).wait_for(timeout=TIMEOUT_MS)
    assert frame.locator("path.leaflet-interactive").count() > len(shown)  # events + control places + changes
    assert frame.locator(".leaflet-control-layers-overlays label").count() == 6
    assert "Kurdistan Region forces" in (frame.locator(".kcm-legend").text_content() or "")
    assert frame.locator(".kcm-name").filter(has_text="Kirkuk").count() >= 1
    _settle(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = _screenshot_dir(tmp_path) / "dashboard-en.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert not page.dialogs


def test_arabic_page_runs_right_to_left_and_screenshot(
    new_page, serve_app, events_csv: Path, tmp_path: Path
) -> None:
    url = serve_app(events_csv)
    page, frame = _open(new_page, f"{url}/?from=2017-10-12&to=2017-10-20&lang=ar")
    page.get_by_text("خريطة السيطرة في كركوك").wait_for(timeout=TIMEOUT_MS)
    frame.locator(".kcm-asof[dir='rtl']").wait_for(timeout=TIMEOUT_MS)
    direction = page.evaluate(
        "() => getComputedStyle(document.querySelector('[data-testid=stMain]')).direction"
    )
    assert direction == "rtl"
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=TIMEOUT_MS)
    assert frame.locator(".kcm-name").filter(has_text="كركوك").count() >= 1
    assert page.locator('[data-testid="stSidebarNav"]').get_by_text("الخريطة").count() == 1
    _settle(page)
    shot = _screenshot_dir(tmp_path) / "dashboard-ar.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


def test_moving_the_date_slider_changes_what_is_drawn(new_page, serve_app, events_csv: Path) -> None:
    url = serve_app(events_csv)
    page, frame = _open(new_page, url)
    before_day = frame.locator(".kcm-asof-day").inner_text()
    before_note = frame.locator(".kcm-asof-window").inner_text()
    # As a user would: move the slider once the first run has finished (that run can redraw the widget).
    _settle(page)
    end_thumb = page.locator('[data-testid="stSlider"] input[type="range"]').nth(1)
    end_thumb.focus()
    for _ in range(40):
        end_thumb.press("ArrowLeft")
    new_day = end_thumb.get_attribute("aria-valuetext")
    assert new_day and new_day != before_day
    frame = page.frame_locator(MAP_FRAME).last
    frame.locator(".kcm-asof-day").filter(has_text=new_day).wait_for(timeout=TIMEOUT_MS)
    assert frame.locator(".kcm-asof-window").inner_text() != before_note
    events = load_events(events_csv)
    first = events["event_date"].iloc[0].date().isoformat()
    expected = apply_filter(events, EventFilter.from_dict({"from": first, "to": new_day}))
    assert f"{len(expected)} events" in frame.locator(".kcm-asof-window").inner_text()
    assert f"to={new_day}" in page.url


def test_geojson_download_equals_the_filtered_set(new_page, serve_app, events_csv: Path) -> None:
    url = serve_app(events_csv)
    page, _frame = _open(new_page, f"{url}/?from=2017-10-14&to=2017-10-20&type=control_change,deployment")
    _settle(page)
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    doc = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    flt = EventFilter.from_dict(doc["filter"])
    assert (flt.date_from.isoformat(), flt.date_to.isoformat()) == ("2017-10-14", "2017-10-20")
    assert flt.types == ("control_change", "deployment")
    expected = apply_filter(load_events(events_csv), flt)["event_id"].tolist()
    assert expected
    assert [feature["id"] for feature in doc["features"]] == expected


def _xss_events(source: Path, target: Path, rows: int = 12) -> Path:
    with source.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fieldnames = list(reader.fieldnames or [])
        picked = list(reader)[::5][:rows]  # spread over the dates
    for row in picked:
        row["summary"] = f"Summary {XSS} `${{alert(2)}}`"
        row["place_as_written"] = XSS
        row["source"] = f"Source {XSS}"
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(picked)
    return target


def test_script_in_event_text_opens_no_dialog(new_page, serve_app, events_csv: Path, tmp_path: Path) -> None:
    events_file = _xss_events(events_csv, tmp_path / "xss-events.csv")
    assert len(load_events(events_file)) == 12
    url = serve_app(events_file)
    page, frame = _open(new_page, url)
    markers = frame.locator("path.leaflet-interactive")
    markers.first.wait_for(timeout=TIMEOUT_MS)
    tooltips, popups = set(), set()
    for i in range(min(markers.count(), 40)):
        marker = markers.nth(i)
        marker.hover(force=True)
        tooltips.update(frame.locator(".leaflet-tooltip").all_inner_texts())
        marker.click(force=True)
        popups.update(frame.locator(".leaflet-popup-content").all_inner_texts())
    assert any(XSS in text for text in tooltips), tooltips
    assert any(XSS in text and "${alert(2)}" in text for text in popups), popups
    assert frame.locator("img[src='x']").count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []


def test_both_pages_are_reachable_by_name_and_the_map_comes_back(
    new_page, serve_app, events_csv: Path
) -> None:
    url = serve_app(events_csv)
    page, _frame = _open(new_page, f"{url}/?from=2017-10-12&to=2017-10-20")
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.get_by_text("Map", exact=True).count() == 1
    assert nav.get_by_text("app", exact=True).count() == 0
    nav.get_by_text("Add article", exact=True).click()
    page.get_by_text("Add an article · إضافة مقال").wait_for(timeout=TIMEOUT_MS)
    assert "/add-article" in page.url
    nav.get_by_text("Map", exact=True).click()
    frame = _map(page)
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=TIMEOUT_MS)
    # the view survived the visit: the window is still the one of the link
    frame.locator(".kcm-asof-day").filter(has_text="2017-10-20").wait_for(timeout=TIMEOUT_MS)
    assert not page.dialogs


def test_offline_the_map_draws_from_our_server_alone_and_screenshot(
    new_page, serve_app, events_csv: Path, tmp_path: Path
) -> None:
    """The issue's check: every outside request refused, Leaflet from our server, places, outlines, areas."""
    url = serve_app(events_csv)
    page = new_page(viewport=SHOT_VIEWPORT)
    leaflet: list[tuple[str, int]] = []
    page.on("response", lambda r: leaflet.append((r.url, r.status)) if r.url.endswith("leaflet.js") else None)
    page.goto(f"{url}/?from=2017-10-01&to=2017-10-20")
    frame = _map(page)
    frame.locator(".kcm-asof-day").filter(has_text="2017-10-20").wait_for(timeout=TIMEOUT_MS)
    places = frame.locator("path.kcm-place")
    places.nth(19).wait_for(timeout=TIMEOUT_MS)
    n_places = len(control_as_of(load_events(events_csv), "2017-10-20"))
    assert places.count() == n_places >= 20
    assert frame.locator("path.kcm-country").count() >= 7  # Iraq and its six neighbours
    assert frame.locator("path.kcm-governorate").count() == 18
    filled = frame.locator("path.kcm-area")
    assert filled.count() >= 2
    fills = {filled.nth(i).get_attribute("fill") for i in range(filled.count())}
    assert len(fills - {"none"}) >= 2
    assert frame.locator("path.kcm-front").count() >= 1
    assert frame.locator(".kcm-base-label").filter(has_text="Kirkuk").count() >= 1
    # Leaflet came from our own server, and nothing tried to leave the machine.
    assert leaflet and all(u.startswith(url) and status == 200 for u, status in leaflet), leaflet
    assert frame.locator("html").evaluate("() => typeof L === 'object' && L.version") == "1.9.4"
    _settle(page)
    assert page.refused == [], page.refused
    assert page.errors == [], page.errors
    # The legend starts folded, so it covers no data; one click opens it.
    legend = frame.locator("details.kcm-legend")
    assert legend.get_attribute("open") is None
    shot = _screenshot_dir(tmp_path) / "dashboard-offline.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    legend.locator("summary").click()
    assert legend.get_attribute("open") is not None
    # The areas of the day can be downloaded, and Kirkuk lies in a federal area on 2017-10-20.
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.locator('[data-testid="stDownloadButton"] button').filter(has_text="areas of control").click()
    doc = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert doc["as_of"] == "2017-10-20" and len(doc["features"]) >= 2
    holders = [
        f["properties"]["controller"]
        for f in doc["features"]
        if "geonames:94787" in f["properties"]["places"]
    ]
    assert holders and holders[0].startswith("isf")
    assert not page.dialogs


def test_symbols_at_one_place_are_spread_not_stacked(new_page, serve_app, events_csv: Path) -> None:
    url = serve_app(events_csv)
    page, frame = _open(new_page, f"{url}/?from=2017-10-16&to=2017-10-16&layers=events")
    markers = frame.locator("path.kcm-event")
    markers.nth(1).wait_for(timeout=TIMEOUT_MS)
    boxes = [markers.nth(i).bounding_box() for i in range(markers.count())]
    centres = {(round(b["x"] + b["width"] / 2), round(b["y"] + b["height"] / 2)) for b in boxes if b}
    assert len(centres) == len(boxes)  # no two event symbols drawn on the same spot
    assert page.errors == []


def _sidebar_centre(page: Any) -> float:
    """Return the horizontal centre of the open sidebar, as a share of the window's width."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("radio").first.wait_for(timeout=TIMEOUT_MS)
    _settle(page)
    box = sidebar.bounding_box()
    assert box and box["width"] > 100, box
    return (box["x"] + box["width"] / 2) / page.viewport_size["width"]


@pytest.mark.parametrize(("lang", "right"), [("en", False), ("ar", True)])
def test_the_sidebar_is_on_the_reading_side(
    new_page, serve_app, events_csv: Path, lang: str, right: bool
) -> None:
    """Arabic reads from the right: the sidebar (filters, pages) is on the right; in English on the left."""
    url = serve_app(events_csv)
    page, _frame = _open(new_page, f"{url}/?from=2017-10-12&to=2017-10-20&lang={lang}")
    assert (_sidebar_centre(page) > 0.5) is right
    main = page.locator('[data-testid="stMain"]').bounding_box()
    sidebar = page.locator('[data-testid="stSidebar"]').bounding_box()
    assert main and sidebar
    # side by side, not on top of each other
    if right:
        assert main["x"] + main["width"] <= sidebar["x"] + 1
    else:
        assert sidebar["x"] + sidebar["width"] <= main["x"] + 1
    # folded away and opened again from the same side
    page.locator('[data-testid="stSidebar"]').hover()
    page.locator('[data-testid="stSidebarCollapseButton"] button').click()
    opener = page.locator('[data-testid="stExpandSidebarButton"]')
    opener.wait_for(timeout=TIMEOUT_MS)
    box = opener.bounding_box()
    assert box and ((box["x"] + box["width"] / 2) / page.viewport_size["width"] > 0.5) is right
    opener.click()
    assert (_sidebar_centre(page) > 0.5) is right


@pytest.mark.parametrize(
    ("other", "title"), [("إضافة مقال", "Add an article"), ("مراجعة المرشحات", "Review candidates")]
)
def test_the_link_survives_a_visit_to_another_page(
    new_page, serve_app, events_csv: Path, other: str, title: str
) -> None:
    """Map → another page → Map: the view's query parameters come back, and the language stays all along."""
    url = serve_app(events_csv)
    view = "from=2017-10-12&to=2017-10-20&type=control_change,deployment&lang=ar"
    page, _frame = _open(new_page, f"{url}/?{view}")
    _settle(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_text(other, exact=True).click()
    page.get_by_text(title).first.wait_for(timeout=TIMEOUT_MS)
    _settle(page)
    assert "lang=ar" in page.url, page.url
    assert nav.get_by_text("الخريطة", exact=True).count() == 1  # the pages keep their Arabic names
    nav.get_by_text("الخريطة", exact=True).click()
    frame = _map(page)
    frame.locator(".kcm-asof-day").filter(has_text="2017-10-20").wait_for(timeout=TIMEOUT_MS)
    _settle(page)
    page.wait_for_timeout(500)
    query = page.url.split("?", 1)[1] if "?" in page.url else ""
    for part in view.split("&"):
        assert part.replace(",", "%2C") in query or part in query, (part, page.url)
    assert page.get_by_text("خريطة السيطرة في كركوك").count() == 1
