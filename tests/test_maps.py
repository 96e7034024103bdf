"""The map builder: rendered HTML (whitespace-normalised) checked for escaping, layers, legend, "as of" box, aggregation."""

from __future__ import annotations

import json
import re
from datetime import date

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodata.errors import InputError
from geodata.maps import LAYERS, build_map, escape_text, safe_url
from geodata.vocab import ACTORS

XSS = "<img src=x onerror=alert(1)>"
TEMPLATE_BREAK = "zq`${alert(2)}`zq"


def _events(n: int = 3, *, text: str = "Plain summary", seed: int = 0) -> gpd.GeoDataFrame:
    """A small events frame shaped like load_events output (points, plus one movement when n >= 2)."""
    rng = np.random.default_rng(seed)
    lat = 34.5 + rng.random(n) * 2
    lon = 43.5 + rng.random(n) * 2
    types = np.array(["control_change", "deployment", "clash", "displacement", "political"])[np.arange(n) % 5]
    frame = pd.DataFrame(
        {
            "event_id": [f"kcm-{i + 1:04d}" for i in range(n)],
            "event_date": pd.to_datetime("2017-10-10") + pd.to_timedelta(np.arange(n) % 10, unit="D"),
            "date_precision": "day",
            "date_end": pd.NaT,
            "event_type": pd.Categorical(types),
            "place_id": [f"geonames:{i}" for i in range(n)],
            "place": [f"Place {i}" for i in range(n)],
            "place_ar": ["كركوك"] * n,
            "place_as_written": ["كركوك"] * n,
            "latitude": lat,
            "longitude": lon,
            "origin_place_id": [None] * n,
            "controller_before": ["krg"] * n,
            "controller_after": ["isf"] * n,
            "summary": [text] * n,
            "source": ["Al-Hayat"] * n,
            "source_url": ["https://example.org/a?b=1&c=2"] * n,
            "status": ["reported"] * n,
        }
    )
    geoms = [shapely.Point(x, y) for x, y in zip(lon, lat, strict=True)]
    if n >= 2:
        frame.loc[1, "origin_place_id"] = "geonames:98182"
        geoms[1] = shapely.LineString([(44.36, 33.31), (lon[1], lat[1])])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


def _control() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "place_id": ["geonames:94787", "geonames:90026"],
            "place": ["Kirkuk", "Tuz Khurmatu"],
            "place_ar": ["كركوك", "طوز خورماتو"],
            "lat": [35.468, 34.88],
            "lon": [44.392, 44.63],
            "controller": ["isf", None],
            "since": [date(2017, 10, 16), None],
            "event_id": ["kcm-0001", None],
            "contested": [False, True],
            "claims": [[], ["krg", "isf"]],
        }
    )


def _html(fmap) -> str:
    return " ".join(fmap.get_root().render().split())


def _payload(fmap) -> dict:
    raw = fmap.get_root().render()
    found = re.search(r"var P = (\{.*?\});\s*var map = ", raw, re.S)
    assert found, "the layer script is missing"
    return json.loads(found.group(1))


def _build(events=None, **kwargs):
    kwargs.setdefault("tiles", None)
    kwargs.setdefault("as_of", date(2017, 10, 16))
    kwargs.setdefault("window", (date(2017, 10, 9), date(2017, 10, 20)))
    return build_map(_events() if events is None else events, _control(), **kwargs)


@pytest.mark.parametrize("column", ["summary", "place_as_written", "place", "place_ar", "source", "event_id"])
def test_data_strings_are_escaped(column: str) -> None:
    events = _events()
    events[column] = [XSS, TEMPLATE_BREAK, "ok"]
    html = _html(_build(events, changes=events.iloc[:2]))
    assert XSS not in html
    assert "onerror=alert(1)>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "zq`" not in html and "${alert" not in html
    assert "zq&#96;&#36;{alert(2)}&#96;zq" in html


def test_control_strings_are_escaped() -> None:
    control = _control()
    control.loc[0, "place"] = XSS
    control.loc[1, "place_ar"] = TEMPLATE_BREAK
    html = _html(build_map(_events(), control, as_of=date(2017, 10, 16), tiles=None))
    assert XSS not in html and "zq`" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (XSS, "&lt;img src=x onerror=alert(1)&gt;"),
        ("a`b", "a&#96;b"),
        ("${x}", "&#36;{x}"),
        ("\"q\" & 's'", "&quot;q&quot; &amp; &#x27;s&#x27;"),
        ("كركوك", "كركوك"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_escape_text(raw: object, expected: str) -> None:
    assert escape_text(raw) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/x", "https://example.org/x"),
        ("http://example.org", "http://example.org"),
        ("  https://example.org/y  ", "https://example.org/y"),
        ("javascript:alert(1)", None),
        ("JAVASCRIPT:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("//example.org/x", None),
        ("https://", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_url(url: object, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_only_http_urls_become_links() -> None:
    events = _events()
    events["source_url"] = ["javascript:alert(1)", "https://example.org/a?b=1&c=2", None]
    html = _html(_build(events))
    assert "javascript:" not in html
    assert "https://example.org/a?b=1&amp;c=2" in html


def test_every_layer_is_a_togglable_group() -> None:
    html = _html(_build(changes=_events().iloc[:1]))
    assert html.count("L.featureGroup(") == len(LAYERS)
    assert "L.control.layers(" in html
    for name in (
        "Control as of the day",
        "Events in the window",
        "Movements (origin → place)",
        "Changes in the window",
    ):
        assert json.dumps(name) in html  # the layer control's label (folium writes it as ASCII JSON)


def test_layers_can_be_left_out() -> None:
    payload = _payload(_build(layers=["control"]))
    html = _html(_build(layers=["control"]))
    assert html.count("L.featureGroup(") == 1
    assert "ctl" in payload and "ev" not in payload and "mv" not in payload


def test_legend_names_actors_in_english_and_arabic() -> None:
    html = _html(_build())
    for code in ("krg", "isf", "pmf", "us", "isis"):
        assert escape_text(ACTORS[code].en) in html
        assert escape_text(ACTORS[code].ar) in html
    assert "Contested" in html and "متنازع عليه" in html


def test_as_of_box_shows_the_day_and_window() -> None:
    box = _payload(_build())["asof"]
    assert 'data-as-of="2017-10-16"' in box
    assert ">2017-10-16</div>" in box
    assert '<span dir="ltr">2017-10-09 → 2017-10-20</span>' in box


def test_arabic_labels_run_right_to_left() -> None:
    payload = _payload(_build(lang="ar"))
    assert 'class="kcm-asof" dir="rtl"' in payload["asof"]
    assert "السيطرة بتاريخ" in payload["asof"]
    assert payload["dir"] == "rtl"


def test_contested_places_are_drawn_apart() -> None:
    payload = _payload(_build())
    assert payload["ctl"]["x"] == [0, 1]
    assert payload["contested"] == "#D55E00"
    assert payload["ctl"]["c"][0] == "#0072B2"  # isf, Okabe-Ito blue


def test_movements_are_lines_from_origin_to_place() -> None:
    events = _events()
    payload = _payload(_build(events))
    move = payload["mv"]
    assert move["e"] == [1]
    assert (move["lat0"][0], move["lon0"][0]) == (33.31, 44.36)
    assert move["lat1"][0] == pytest.approx(events.loc[1, "latitude"], abs=1e-5)


def test_aggregation_switches_on_above_the_threshold() -> None:
    events = _events(50)
    points = _payload(_build(events, aggregate_threshold=50))
    cells = _payload(_build(events, aggregate_threshold=49))
    assert "ev" in points and "agg" not in points
    assert len(points["ev"]["lat"]) == 50
    assert "agg" in cells and "ev" not in cells
    assert sum(cells["agg"]["n"]) == 50
    assert "mvagg" in cells and cells["mvagg"]["n"] == [1]


def test_aggregated_map_stays_small_for_many_events() -> None:
    events = _events(60_000, seed=1)
    html = _build(events, aggregate_threshold=5000).get_root().render()
    assert len(html.encode()) < 300_000
    payload = _payload(_build(events, aggregate_threshold=5000))
    assert sum(payload["agg"]["n"]) == 60_000
    assert len(payload["agg"]["n"]) <= 64 * 64


def test_no_tiles_means_no_tile_requests() -> None:
    assert "tile.openstreetmap.org" not in _html(_build(tiles=None))
    local = _html(_build(tiles="http://localhost:9/{z}/{x}/{y}.png", attribution="local"))
    assert "http://localhost:9/{z}/{x}/{y}.png" in local


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"layers": ["control", "heat"]}, "unknown map layer"), ({"lang": "fr"}, "map language")],
)
def test_bad_arguments_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        _build(**kwargs)


def test_bundled_events_render(events_csv) -> None:
    from geodata.control import control_as_of
    from geodata.events import load_events

    events = load_events(events_csv)
    day = events["event_date"].iloc[-1].date()
    fmap = build_map(events, control_as_of(events, day), as_of=day, tiles=None)
    payload = _payload(fmap)
    assert len(payload["ev"]["lat"]) == len(events)
    assert len(payload["ctl"]["lat"]) > 0


def test_changes_layer_has_one_ring_per_place_at_any_size() -> None:
    changes = _events(40)
    changes["place_id"] = ["geonames:94787"] * 30 + ["geonames:90026"] * 10
    changes["place"] = ["Kirkuk"] * 30 + ["Tuz Khurmatu"] * 10
    payload = _payload(_build(changes=changes))
    assert len(payload["ch"]["lat"]) == 2
    tips = [payload["S"][i] for i in payload["ch"]["tip"]]
    assert "30 changes of control" in tips[0] and "… 25 +" in tips[0]
    assert "10 changes of control" in tips[1]
    assert tips[0].count("→") == 5  # the latest five changes are listed


@pytest.mark.parametrize(
    ("lang", "names"), [("en", ["Kirkuk", "Tuz Khurmatu"]), ("ar", ["كركوك", "طوز خورماتو"])]
)
def test_control_places_carry_a_name_label_in_the_page_language(lang: str, names: list[str]) -> None:
    payload = _payload(_build(lang=lang))
    assert [payload["S"][i] for i in payload["ctl"]["n"]] == names
    assert payload["ctl"]["rank"] == [0, 0]
    assert "kcm-name" in _html(_build(lang=lang))


def test_name_labels_are_escaped_and_fall_back_to_the_other_language() -> None:
    control = _control()
    control.loc[0, "place"] = XSS
    control.loc[1, "place_ar"] = None
    control.loc[1, "place_id"] = "kcm:k1-air-base"
    payload = _payload(build_map(None, control, tiles=None, lang="ar"))
    labels = [payload["S"][i] for i in payload["ctl"]["n"]]
    assert labels == ["كركوك", "Tuz Khurmatu"]
    assert payload["ctl"]["rank"] == [0, 1]
    en = _payload(build_map(None, control, tiles=None))
    assert en["S"][en["ctl"]["n"][0]] == "&lt;img src=x onerror=alert(1)&gt;"


def test_legend_is_a_table_with_english_and_arabic_columns() -> None:
    legend = _payload(_build())["legend"]
    assert f'<td class="kcm-en" dir="ltr">{escape_text(ACTORS["isf"].en)}</td>' in legend
    assert f'<td class="kcm-ar" dir="rtl" lang="ar">{escape_text(ACTORS["isf"].ar)}</td>' in legend
    assert "Changes in the window" in legend
    arabic = _payload(_build(lang="ar"))["legend"]
    assert arabic.index(escape_text(ACTORS["isf"].ar)) < arabic.index(escape_text(ACTORS["isf"].en))
    assert legend.index(escape_text(ACTORS["isf"].en)) < legend.index(escape_text(ACTORS["isf"].ar))


@pytest.mark.npm
def test_layer_script_is_valid_javascript(tmp_path) -> None:
    """The layer script is a Python template: a quoting slip there breaks the whole map in the browser."""
    import shutil
    import subprocess

    from tests.conftest import IN_CI

    node = shutil.which("node")
    if node is None:
        if IN_CI:
            pytest.fail("node is not installed (CI=true: this check must run)")
        pytest.skip("node is not installed: the layer script's syntax is not checked")
    raw = _build(changes=_events().iloc[:2]).get_root().render()
    script = re.search(r"\(function \(\) \{.*?\}\)\(\);", raw, re.S)
    assert script, "the layer script is missing"
    path = tmp_path / "layers.js"
    path.write_text(script.group(0), encoding="utf-8")
    checked = subprocess.run([node, "--check", str(path)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


# ---------------------------------------------------------------- offline assets, outlines, areas, front lines


def _areas_and_fronts(place: str = "Kirkuk"):
    from geodata.areas import areas_from_control, front_lines

    control = _control()
    control.loc[0, "place"] = place
    control = pd.concat(
        [
            control,
            control.iloc[[0]].assign(place_id="x", place="Dibis", lat=35.65, lon=44.07, controller="krg"),
        ]
    )
    areas = areas_from_control(control)
    return areas, front_lines(areas)


def test_leaflet_comes_from_our_server_and_nothing_else_is_loaded() -> None:
    from geodata.maps import STATIC_DIR, STATIC_URL, build_candidates_map

    for fmap in (_build(), build_candidates_map([], tiles=None)):
        assets = [url for _, url in [*fmap.default_js, *fmap.default_css]]
        assert assets == [f"{STATIC_URL}/leaflet/leaflet.js", f"{STATIC_URL}/leaflet/leaflet.css"]
        for url in assets:
            assert (STATIC_DIR / url.removeprefix(f"{STATIC_URL}/")).is_file()
        html = fmap.get_root().render()
        assert "cdn.jsdelivr" not in html and "cdnjs" not in html and "code.jquery" not in html


def test_outlines_are_always_drawn_and_areas_follow_their_layer() -> None:
    areas, fronts = _areas_and_fronts()
    payload = _payload(_build(areas=areas, fronts=fronts))
    assert len(payload["base"]["features"]) == 25 and payload["tiles"] is False
    assert len(payload["areas"]["features"]) == len(areas) >= 2
    assert len(payload["fronts"]["features"]) == len(fronts) >= 1
    only_places = _payload(_build(areas=areas, fronts=fronts, layers=["control"]))
    assert "areas" not in only_places and "fronts" not in only_places and "base" in only_places
    assert _payload(_build(tiles="OpenStreetMap"))["tiles"] is True


def test_the_legend_starts_folded_and_explains_areas_and_fronts() -> None:
    html = _html(_build())
    assert 'details class=\\"kcm-legend\\" dir=' in html  # the legend markup travels as a JSON string
    assert 'class=\\"kcm-legend\\" open' not in html
    assert "Front line (approximate)" in html and "Contested area" in html


@pytest.mark.parametrize("text", [XSS, "zq{{ 7*191 }}zq", "{% if 1 %}yes{% endif %}", "open {# comment"])
def test_area_text_is_data_never_markup_or_template(text: str) -> None:
    areas, fronts = _areas_and_fronts(place=text)
    fmap = _build(areas=areas, fronts=fronts)
    raw = fmap.get_root().render()
    lines = [line for f in _payload(fmap)["areas"]["features"] for line in f["properties"]["t"]]
    assert any(text in line for line in lines)  # shown as written (the page uses textContent)
    assert "zq1337zq" not in raw and "<img src=x" not in raw


# ---------------------------------------------------------------- labels from the one catalogue, plural counts (issue 13)


def test_arabic_legend_comes_from_the_catalogue_arabic_first() -> None:
    legend = _payload(_build(lang="ar"))["legend"]
    assert legend.startswith('<details class="kcm-legend" dir="rtl"><summary>مفتاح الخريطة</summary>')
    assert '<th colspan="3">من يسيطر على كل مكان</th>' in legend
    assert '<th colspan="3">أنواع الأحداث</th>' in legend
    for en, ar in [
        ("Contested", "متنازع عليه"),
        ("Unknown", "غير معروف"),
        ("Area held (approximate, from the places)", "منطقة سيطرة (تقريبية، من الأماكن)"),
        ("Contested area", "منطقة متنازع عليها"),
        ("Front line (approximate)", "خط تماس (تقريبي)"),
        ("Changes in the window", "التغيّرات في الفترة"),
    ]:
        row = f'<td class="kcm-ar" dir="rtl" lang="ar">{ar}</td><td class="kcm-en" dir="ltr">{en}</td>'
        assert row in legend, en


@pytest.mark.parametrize(
    ("n", "lang", "expected"),
    [
        (1, "ar", "حدث واحد"),
        (2, "ar", "حدثان"),
        (3, "ar", "3 أحداث"),
        (11, "ar", "11 حدثاً"),
        (1, "en", "1 event"),
        (3, "en", "3 events"),
    ],
)
def test_the_event_count_takes_its_plural_form(n: int, lang: str, expected: str) -> None:
    box = _payload(_build(_events(n), lang=lang))["asof"]
    assert f"<small>{expected}</small>" in box


def test_aggregated_counts_take_their_plural_form_per_cell() -> None:
    events = _events(4)
    events["latitude"] = [34.0, 36.0, 36.0, 36.0]
    events["longitude"] = [43.0, 45.0, 45.0, 45.0]
    for lang, note, tips in [
        ("ar", "4 أحداث · مجمّعة", {"حدث واحد في هذه الخلية", "3 أحداث في هذه الخلية"}),
        ("en", "4 events · aggregated", {"1 event in this cell", "3 events in this cell"}),
    ]:
        payload = _payload(_build(events, lang=lang, aggregate_threshold=1, layers=["events"]))
        assert note in payload["asof"]
        assert sorted(payload["agg"]["n"]) == [1, 3]
        assert {payload["S"][i] for i in payload["agg"]["tip"]} == tips


def test_changes_and_movements_take_their_plural_form_in_arabic() -> None:
    changes = _events(40)
    changes["place_id"] = ["geonames:94787"] * 30 + ["geonames:90026"] * 10
    payload = _payload(_build(changes=changes, lang="ar"))
    tips = [payload["S"][i] for i in payload["ch"]["tip"]]
    assert "30 تغيّراً في السيطرة" in tips[0] and "10 تغيّرات في السيطرة" in tips[1]
    events = _events(3)
    events["origin_place_id"], events["place_id"] = "geonames:98182", "geonames:94787"
    events["geometry"] = [shapely.LineString([(44.36, 33.31), (44.0, 35.0)])] * 3
    moves = _payload(_build(events, lang="ar", aggregate_threshold=1))
    assert [moves["S"][i] for i in moves["mvagg"]["tip"]] == ["3 تحرّكات: geonames:98182 ← Place 0"]


# ---------------------------------------------------------------- the map's JavaScript is a packaged file (issue 13)


def _script_files():
    from importlib import resources

    folder = resources.files("geodata").joinpath("js")
    return sorted((f for f in folder.iterdir() if f.name.endswith(".js")), key=lambda f: f.name)


def test_map_scripts_are_package_data_with_one_payload_each() -> None:
    import fnmatch
    import tomllib
    from pathlib import Path

    from geodata.maps import _KcmCandidates, _KcmLayers, map_script

    files = _script_files()
    assert {f.name for f in files} == {_KcmLayers._js_file, _KcmCandidates._js_file}
    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["geodata.js"]
    for f in files:
        assert any(fnmatch.fnmatch(f.name, g) for g in globs), f"{f.name} would not ship in the wheel"
        script = map_script(f.name)
        assert (
            script.count("__KCM_PAYLOAD__") == 1
        )  # the data goes in exactly once, where the code expects it
        assert set(re.findall(r"__KCM_\w+__", script)) <= {"__KCM_PAYLOAD__", "__KCM_MAP__", "__KCM_GROUPS__"}


def test_the_packaged_script_reaches_the_page_verbatim() -> None:
    from geodata.maps import map_script

    raw = _build(lang="ar").get_root().render()
    script = map_script("layers.js")
    body = script[script.index("function box(") : script.index("if (P.ev && g.events)")]
    assert body in raw


@pytest.mark.npm
@pytest.mark.parametrize("name", ["layers.js", "candidates.js"])
def test_packaged_map_scripts_pass_node_check(name: str) -> None:
    """``node --check`` on the packaged files: the linter the JavaScript had no access to inside a Python string."""
    import shutil
    import subprocess

    from tests.conftest import IN_CI

    node = shutil.which("node")
    if node is None:
        if IN_CI:
            pytest.fail("node is not installed (CI=true: this check must run)")
        pytest.skip("node is not installed: the map scripts' syntax is not checked")
    (path,) = [f for f in _script_files() if f.name == name]
    checked = subprocess.run([node, "--check", str(path)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def _numbered(ids):
    """Return element ids that count up (branca's are random), so that two renders can be compared."""
    return lambda cls: f"{next(ids):032x}"


_FOLIUM_CLASSES = {
    "_Map": folium.Map,
    "_FeatureGroup": folium.FeatureGroup,
    "_LayerControl": folium.LayerControl,
    "_FitBounds": folium.FitBounds,
}


def _rendered_both_ways(monkeypatch: pytest.MonkeyPatch, **kwargs) -> tuple[str, str, int]:
    """Render one map as the page does and as folium itself would (every macro compiled again), same ids."""
    import itertools

    import branca.element
    import jinja2
    import streamlit_folium as sf

    import geodata.maps as maps

    def page(fmap) -> str:
        fmap.render()  # as st_folium does, then the map's own page
        return "\n".join([sf._get_html(fmap), sf._get_header(fmap), sf._get_map_string(fmap)])

    compiled = [0]
    from_string = jinja2.Environment.from_string

    def counting(self, *args, **kw):
        compiled[0] += 1
        return from_string(self, *args, **kw)

    out = []
    for plain in (False, True):
        ids = itertools.count()
        monkeypatch.setattr(branca.element.Element, "_generate_id", classmethod(_numbered(ids)))
        monkeypatch.setattr(jinja2.Environment, "from_string", counting)
        if plain:  # folium's own classes, whose macros branca compiles again: the page as folium makes it
            for name, folium_class in _FOLIUM_CLASSES.items():
                monkeypatch.setattr(maps, name, folium_class)
        compiled[0] = 0
        out.append(page(_build(**kwargs)) + _build(**kwargs).get_root().render())
        if not plain:
            ours = compiled[0]
    return out[0], out[1], ours


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("tiles", [None, "OpenStreetMap"])
def test_the_map_is_the_same_without_compiling_its_rendered_macros(monkeypatch, lang: str, tiles) -> None:
    ours, plain, compiled = _rendered_both_ways(monkeypatch, lang=lang, tiles=tiles)
    assert ours == plain
    assert compiled <= 12  # two renders: each of ~22 templates compiled again by branca before


def test_rendered_text_with_a_jinja_delimiter_still_goes_through_jinja() -> None:
    from branca.element import Element

    from geodata.maps import _as_rendered

    assert type(_as_rendered("{{ 1 + 1 }}")) is Element
    assert type(_as_rendered("L.map({})\n")) is not Element
    assert _as_rendered("L.map({})\n").render() == Element("L.map({})\n").render()
