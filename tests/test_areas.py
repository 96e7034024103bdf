"""geodata.areas: areas of control and front lines (geometry properties, odd input, CLI, GeoJSON validity)."""

from __future__ import annotations

import json
import logging
from datetime import date
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata.areas import (
    DEFAULT_REACH_KM,
    areas_from_control,
    areas_to_geojson_bytes,
    control_areas,
    front_lines,
)
from geodata.basemap import outline
from geodata.cli import main
from geodata.errors import InputError
from geodata.events import load_events
from tests.test_export import _hint, geojsonhint  # noqa: F401  (the npm geojsonhint fixture, shared)

GEOD = pyproj.Geod(ellps="WGS84")
KIRKUK = (44.392, 35.468)
ERBIL = (44.009, 36.191)


def _control(rows: list[tuple[str, float, float, str | None]], **extra: list) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["place_id", "lon", "lat", "controller"])
    frame["place"] = frame["place_id"]
    frame["since"] = date(2017, 10, 1)
    frame["contested"] = extra.get("contested", [False] * len(rows))
    frame["claims"] = extra.get("claims", [[] for _ in rows])
    return frame


def _km(lon0: float, lat0: float, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    _, _, metres = GEOD.inv(np.full_like(lon, lon0), np.full_like(lat, lat0), lon, lat)
    return np.asarray(metres) / 1000.0


def _area_at(areas, lon: float, lat: float) -> list[str | None]:
    point = shapely.Point(lon, lat)
    return [row.controller for row in areas.itertuples() if row.geometry.covers(point)]


def _assert_no_overlap(areas) -> None:
    for a, b in combinations(areas.geometry.tolist(), 2):
        assert shapely.intersection(a, b).area < 1e-9


# ---------------------------------------------------------------- the bundled events: the "must show"


@pytest.fixture(scope="module")
def events():
    return load_events(Path(__file__).resolve().parent.parent / "events.csv")


@pytest.mark.parametrize(("day", "kirkuk"), [("2017-10-10", "krg"), ("2017-10-20", "isf")])
def test_kirkuk_changes_hands_and_erbil_stays(events, day: str, kirkuk: str) -> None:
    areas = control_areas(events, day)
    assert [c.split("+")[0] for c in _area_at(areas, *KIRKUK)] == [kirkuk]
    assert _area_at(areas, *ERBIL) == ["krg"]
    assert set(areas.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    assert areas.geometry.is_valid.all()
    _assert_no_overlap(areas)


def test_each_area_says_what_it_rests_on(events) -> None:
    areas = control_areas(events, "2017-10-20")
    krg = areas[areas["controller"] == "krg"].iloc[0]
    assert "geonames:95446" in krg["places"]  # Erbil
    assert "Erbil" in krg["place_names"]
    assert isinstance(krg["since"], date) and krg["since"] <= date(2017, 10, 20)
    isf = areas[areas["controller"] == "isf"].iloc[0]
    assert isf["since"] == date(2017, 10, 17)


@pytest.mark.parametrize("day", ["2017-10-10", "2017-10-20"])
def test_cli_writes_valid_geojson_atomically(events, day: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "areas.geojson"
    assert main(["control", "--as-of", day, "--areas", "-o", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and doc["as_of"] == day
    for feature in doc["features"]:
        assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        assert set(feature["properties"]) >= {"controller", "contested", "places", "since"}
    back = pyogrio.read_dataframe(out)
    assert len(back) == len(doc["features"]) and back.geometry.is_valid.all()
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind
    capsys.readouterr()
    assert main(["control", "--as-of", day, "--areas"]) == 0
    assert json.loads(capsys.readouterr().out) == doc


def test_cli_output_needs_areas(capsys, tmp_path: Path) -> None:
    assert main(["control", "--as-of", "2017-10-20", "-o", str(tmp_path / "x.geojson")]) == 1
    assert "--areas" in capsys.readouterr().err
    assert not (tmp_path / "x.geojson").exists()


@pytest.mark.npm
def test_geojsonhint_accepts_the_areas(events, geojsonhint: Path, tmp_path: Path) -> None:  # noqa: F811
    for day in ("2017-10-10", "2017-10-20"):
        path = tmp_path / f"areas-{day}.geojson"
        path.write_bytes(areas_to_geojson_bytes(control_areas(events, day), as_of=day))
        assert _hint(geojsonhint, path) == []


# ---------------------------------------------------------------- geometry properties on random places

LON, LAT = (42.0, 46.5), (33.0, 37.0)  # inside Iraq's box, over its north (most points inside the outline)
CODES = ("krg", "isf", "pmf", "isf+pmf")


def _random_control(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        (f"p{i}", float(rng.uniform(*LON)), float(rng.uniform(*LAT)), str(rng.choice(CODES)))
        for i in range(n)
    ]
    return _control(rows)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(2, 60))
def test_areas_never_overlap_and_hold_their_places(seed: int, n: int) -> None:
    control = _random_control(seed, n)
    areas = areas_from_control(control)
    _assert_no_overlap(areas)
    shape = outline()
    for row in control.itertuples():
        point = shapely.Point(row.lon, row.lat)
        if not shape.contains(point.buffer(1e-4)):
            continue  # right on the border or outside: the outline decides, see the outside test
        assert _area_at(areas, row.lon, row.lat) == [row.controller], row


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_changing_one_place_changes_only_its_neighbourhood(seed: int) -> None:
    control = _random_control(seed, 80)
    before = areas_from_control(control)
    shape = outline()
    k = next(
        i for i in range(17, 80) if shape.contains(shapely.Point(control.lon[i], control.lat[i]).buffer(1e-3))
    )
    changed = control.copy()
    changed.loc[k, "controller"] = "isis"
    after = areas_from_control(changed)
    lon0, lat0 = control.loc[k, "lon"], control.loc[k, "lat"]
    moved = shapely.Polygon()
    for code in set(before["controller"]) | set(after["controller"]):
        a = before[before["controller"] == code].geometry
        b = after[after["controller"] == code].geometry
        ga = a.iloc[0] if len(a) else shapely.Polygon()
        gb = b.iloc[0] if len(b) else shapely.Polygon()
        moved = shapely.union(moved, shapely.symmetric_difference(ga, gb))
    assert moved.area > 0  # the change shows
    xy = shapely.get_coordinates(moved)
    assert _km(lon0, lat0, xy[:, 0], xy[:, 1]).max() <= DEFAULT_REACH_KM * 1.01
    assert _area_at(after, lon0, lat0) == ["isis"]


# ---------------------------------------------------------------- odd input: clear results, no crash


def test_one_place_gets_a_disc_of_the_reach_radius_in_kilometres() -> None:
    areas = areas_from_control(_control([("a", 43.5, 34.0, "krg")]))
    assert len(areas) == 1
    geodesic_km2 = abs(GEOD.geometry_area_perimeter(areas.geometry.iloc[0])[0]) / 1e6
    assert geodesic_km2 == pytest.approx(np.pi * DEFAULT_REACH_KM**2, rel=0.02)
    xy = shapely.get_coordinates(areas.geometry.iloc[0])
    assert _km(43.5, 34.0, xy[:, 0], xy[:, 1]).max() == pytest.approx(DEFAULT_REACH_KM, rel=0.01)
    wide = areas_from_control(_control([("a", 43.5, 34.0, "krg")]), reach_km=50)
    assert wide.geometry.iloc[0].area == pytest.approx(4 * areas.geometry.iloc[0].area, rel=0.02)


def test_all_one_controller_is_one_area_without_front_lines() -> None:
    control = _random_control(5, 40)
    control["controller"] = "krg"
    areas = areas_from_control(control)
    assert areas["controller"].tolist() == ["krg"]
    assert sorted(areas["places"].iloc[0]) == sorted(control["place_id"])
    assert front_lines(areas).empty


def test_a_place_outside_the_outline_is_reported_and_cut_off() -> None:
    control = _control([("in", 44.0, 35.0, "krg"), ("tehran", 51.4, 35.7, "isf")])
    areas = areas_from_control(control)
    assert areas.attrs["outside"] == ["tehran"]
    assert _area_at(areas, 51.4, 35.7) == []
    assert _area_at(areas, 44.0, 35.0) == ["krg"]
    assert areas.geometry.within(outline().buffer(1e-6)).all()


def test_an_unknown_controller_code_gets_its_own_area_with_a_warning(caplog) -> None:
    control = _control([("a", 44.0, 35.0, "krg"), ("b", 44.2, 35.0, "martians")])
    with caplog.at_level(logging.WARNING, logger="geodata.areas"):
        areas = areas_from_control(control)
    assert sorted(areas["controller"]) == ["krg", "martians"]
    assert "martians" in caplog.text


def test_a_place_with_no_known_controller_stays_blank() -> None:
    control = _control([("a", 44.0, 35.0, "krg"), ("b", 44.2, 35.0, None)])
    areas = areas_from_control(control)
    assert areas.attrs["unknown"] == ["b"]
    assert _area_at(areas, 44.2, 35.0) == []  # krg's colour does not spread over it
    assert _area_at(areas, 44.0, 35.0) == ["krg"]


def test_contested_places_and_disagreeing_places_at_one_spot_are_contested() -> None:
    control = _control(
        [
            ("a", 44.0, 35.0, "krg"),
            ("b", 44.0, 35.0, "isf"),
            ("c", 44.4, 35.2, None),
            ("d", 43.6, 35.0, "krg"),
        ],
        contested=[False, False, True, False],
        claims=[[], [], ["isf", "pmf"], []],
    )
    areas = areas_from_control(control)
    contested = areas[areas["contested"]]
    assert sorted(map(tuple, contested["claims"])) == [("isf", "krg"), ("isf", "pmf")]
    assert contested["controller"].isna().all()
    _assert_no_overlap(areas)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"reach_km": 0}, "positive"), ({"reach_km": float("nan")}, "positive"), ({"outline_code": "XX"}, "XX")],
)
def test_bad_options_are_refused(kwargs: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        areas_from_control(_control([("a", 44.0, 35.0, "krg")]), **kwargs)


def test_empty_and_columnless_input() -> None:
    assert areas_from_control(_control([])).empty
    with pytest.raises(InputError, match="lon"):
        areas_from_control(pd.DataFrame({"place_id": ["a"], "lat": [35.0], "controller": ["krg"]}))


# ---------------------------------------------------------------- front lines


def test_front_lines_run_where_opponents_meet_and_not_between_allies() -> None:
    control = _control([("a", 44.0, 35.0, "krg"), ("b", 44.3, 35.0, "isf"), ("c", 44.15, 35.3, "isf+pmf")])
    fronts = front_lines(areas_from_control(control))
    assert sorted(map(tuple, fronts["sides"])) == [("isf", "krg"), ("isf+pmf", "krg")]
    assert set(fronts.geometry.geom_type) <= {"LineString", "MultiLineString"}
    krg_isf = fronts[[tuple(s) == ("isf", "krg") for s in fronts["sides"]]].geometry.iloc[0]
    xy = shapely.get_coordinates(krg_isf)
    assert np.allclose(xy[:, 0], 44.15, atol=0.01)  # the bisector of the two places
    assert 20 < GEOD.geometry_length(krg_isf) / 1000 < 2 * DEFAULT_REACH_KM


def _uncached(control: pd.DataFrame) -> pd.DataFrame:
    """The areas computed by a fresh copy of the module (its own, empty memos: as on a fresh server)."""
    import importlib.util
    import sys

    import geodata.areas

    spec = importlib.util.spec_from_file_location("_fresh_areas", geodata.areas.__file__)
    fresh = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = fresh  # dataclasses look their module up
    try:
        spec.loader.exec_module(fresh)
        return fresh.areas_from_control(control)
    finally:
        del sys.modules[spec.name]


def _same_areas(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert areas_to_geojson_bytes(a, as_of="2017-10-16") == areas_to_geojson_bytes(b, as_of="2017-10-16")
    assert a.attrs == b.attrs


def test_a_day_with_the_same_holders_reuses_the_shapes_and_keeps_its_own_dates(events) -> None:
    from geodata import areas as module
    from geodata.control import control_as_of

    first = control_as_of(events, "2017-10-16")
    later = first.assign(since=date(2017, 10, 20), place=first["place"] + " (renamed)")
    areas_from_control(first)
    hits = module._area_shapes.cache_info().hits
    reused = areas_from_control(later)
    assert module._area_shapes.cache_info().hits == hits + 1  # no new cut: who holds what is unchanged
    _same_areas(reused, _uncached(later))
    assert {str(d) for d in reused["since"]} == {"2017-10-20"}


def test_a_change_of_hands_between_reruns_is_not_served_from_the_memo(events) -> None:
    from geodata.control import control_as_of

    for before, after in (("2017-10-01", "2017-10-20"), ("2017-10-20", "2017-10-01")):
        areas_from_control(control_as_of(events, before))  # warm the memo with the other day
        fresh = control_as_of(events, after)
        _same_areas(areas_from_control(fresh), _uncached(fresh))
    moved = control_as_of(events, "2017-10-20")
    moved.loc[0, "lon"] += 0.2  # same holders, one place elsewhere: new shapes
    areas_from_control(control_as_of(events, "2017-10-20"))
    _same_areas(areas_from_control(moved), _uncached(moved))


def test_projections_run_on_one_thread_whichever_thread_asks() -> None:
    """Each Streamlit rerun runs in a new thread; pyproj would rebuild its transformer in each one."""
    import threading

    from geodata import areas as module

    seen: list[str] = []

    class _Recorder:
        def transform(self, x, y):
            seen.append(threading.current_thread().name)
            return x, y

    for _ in range(3):
        worker = threading.Thread(target=module._transform, args=(_Recorder(), np.zeros(1), np.zeros(1)))
        worker.start()
        worker.join()
    assert len(seen) == 3 and len(set(seen)) == 1 and seen[0].startswith("kcm-projection")


def test_a_forked_child_projects_on_its_own_thread() -> None:
    """The parent's projection thread does not exist in a forked child: the child must not wait for it."""
    import multiprocessing

    from geodata import areas as module

    module._transform(pyproj.Transformer.from_crs(4326, 3857, always_xy=True), np.zeros(1), np.zeros(1))
    with multiprocessing.get_context("fork").Pool(1) as pool:
        x, y = pool.apply_async(_project_in_child).get(timeout=60)
    assert abs(x) < 1e-6 and abs(y) < 1e-6


def _project_in_child() -> tuple[float, float]:
    from geodata import areas as module

    x, y = module._transform(
        pyproj.Transformer.from_crs(4326, 3857, always_xy=True), np.zeros(1), np.zeros(1)
    )
    return float(x[0]), float(y[0])
