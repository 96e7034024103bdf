"""The hand-curated places (geodata/data/curated_places.csv): provenance, coordinates, names (issue 9, item 3).

Every curated row must say where its coordinate comes from, and a coordinate the source prints must be the one the
row carries (a transcription check). The places of the disputed territories added for issue 9 must resolve through
the geocoder in Arabic and English running text to themselves, not to the town or governorate inside their name.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

import pytest

from geodata.errors import GazetteerError
from geodata.gazetteer import CURATED_COLUMNS, read_curated
from geodata.geocode import find_mentions, geocode
from geodata.settings import get_settings

# Iraq's bounding box, a little widened (the gazetteer test uses the same box for every Iraqi place).
IRAQ_LAT = (29.0, 37.5)
IRAQ_LON = (38.5, 48.8)
# A printed coordinate and the row's must agree to about 60 m (a rounding of seconds, never a transcription slip).
TOLERANCE_DEG = 0.0006

# The places added for issue 9, item 3, and their kinds.
ADDED = {
    "kcm:camp-speicher": "base",
    "kcm:qayyarah-west": "base",
    "kcm:tal-afar-air-base": "base",
    "kcm:mosul-airport": "airport",
    "kcm:dukan-dam": "dam",
    "kcm:hemrin-dam": "dam",
    "kcm:sinuni": "town",
    "kcm:hammam-al-alil": "town",
    "kcm:telskuf": "town",
    "kcm:alqosh": "town",
    "kcm:bardarash": "town",
    "kcm:badush": "town",
    "kcm:sadiyah": "town",
    "kcm:sinjar-mountains": "mountain",
    "kcm:jabal-zambar": "mountain",
    "kcm:hamrin-mountains": "mountain",
    "kcm:nineveh-plains": "region",
    "kcm:little-zab": "river",
    "kcm:great-zab": "river",
    "kcm:diyala-river": "river",
    "kcm:tigris": "river",
    "kcm:euphrates": "river",
    # added for issue 9, part 3 (the disputed territories' towns)
    "kcm:karemlash": "town",
    "kcm:batnaya": "town",
    "kcm:baqofah": "town",
    "kcm:bahzani": "town",
    "kcm:yankjah": "town",
    "kcm:til-ezer": "town",
    "kcm:tel-qasab": "town",
    "kcm:siba-sheikh-khidir": "town",
    "kcm:khorsabad": "town",
    "kcm:sharafiya": "town",
    "kcm:baadra": "town",
    # added for issue 9, dev rounds (crossings, oil fields, villages)
    "kcm:qara-tapa": "town",
}

_DMS = re.compile(
    r"(\d{1,2})°\s*(\d{1,2})(?:[′']\s*(\d{1,2}(?:\.\d+)?)[″\"]?|[′'])\s*([NS])\s*"
    r"0?(\d{1,3})°\s*(\d{1,2})(?:[′']\s*(\d{1,2}(?:\.\d+)?)[″\"]?|[′'])\s*([EW])"
)
_COORD_TEMPLATE = re.compile(
    r"\{\{coord\|(\d+)\|(\d+)\|([\d.]+)\|([NS])\|(\d+)\|(\d+)\|([\d.]+)\|([EW])", re.IGNORECASE
)
_DECIMAL = re.compile(r"\((?:[a-z ]+ )?(\d{2}\.\d{4,}), (\d{2}\.\d{4,})\)")


def _degrees(d: str, m: str, s: str | None, hemisphere: str) -> float:
    value = int(d) + int(m) / 60 + float(s or 0) / 3600
    return -value if hemisphere in "SW" else value


def printed_point(source: str) -> tuple[float, float] | None:
    """Return the first coordinate a source text prints (DMS, a {{coord}} template or a decimal pair), or None."""
    found = [m for m in (_DMS.search(source), _COORD_TEMPLATE.search(source), _DECIMAL.search(source)) if m]
    if not found:
        return None
    first = min(found, key=lambda m: m.start())
    if first.re is _DECIMAL:
        return float(first.group(1)), float(first.group(2))
    d1, m1, s1, h1, d2, m2, s2, h2 = first.groups()
    return _degrees(d1, m1, s1, h1), _degrees(d2, m2, s2, h2)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return read_curated(get_settings().curated_places_path)


@pytest.fixture(scope="module")
def by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in rows}


def test_printed_point_reads_the_forms_the_sources_use() -> None:
    assert printed_point('en.wikipedia "X" (34°40′39″N 43°33′02″E)') == pytest.approx(
        (34.6775, 43.550556), abs=1e-5
    )
    assert printed_point("(36°22′0.22″N 41°43′18.62″E)") == pytest.approx((36.366728, 41.721839), abs=1e-5)
    assert printed_point("Wikimapia (35°57'13\"N 44°57'6\"E)") == pytest.approx(
        (35.953611, 44.951667), abs=1e-5
    )
    assert printed_point("(36°37′N 43°07′E, label point)") == pytest.approx((36.616667, 43.116667), abs=1e-5)
    assert printed_point("{{coord|36|27|27|N|41|42|22|E}}") == pytest.approx((36.4575, 41.706111), abs=1e-5)
    assert printed_point("(representative point 35.8572581, 44.7915335)") == (35.8572581, 44.7915335)
    assert printed_point("GeoNames 95446 (label point: the regional capital Erbil)") is None
    # the first point printed is the row's; a second one (a river's mouth) is only a cross-reference
    assert printed_point("(point 35.8572581, 44.7915335); mouth 35°14′17″N 43°26′11″E") == (
        35.8572581,
        44.7915335,
    )


def test_every_row_names_the_source_of_its_coordinate(rows: list[dict[str, str]]) -> None:
    for row in rows:
        source = row["source"]
        assert source.strip(), row["id"]
        if row["id"].startswith("kcm:"):
            # a GeoNames id, or a page title in quotes ('en.wikipedia "Camp Speicher" ...')
            assert re.search(r'GeoNames \d+|"[^"]+"', source), (row["id"], source)


def test_added_rows_say_where_the_page_was_read(by_id: dict[str, dict[str, str]]) -> None:
    for pid in ADDED:
        assert "http" in by_id[pid]["source"], pid


def test_printed_coordinates_match_the_row(rows: list[dict[str, str]]) -> None:
    checked = 0
    for row in rows:
        point = printed_point(row["source"]) if row["lat"] else None
        if point is None:
            continue
        checked += 1
        assert float(row["lat"]) == pytest.approx(point[0], abs=TOLERANCE_DEG), row["id"]
        assert float(row["lon"]) == pytest.approx(point[1], abs=TOLERANCE_DEG), row["id"]
    assert checked >= 25  # the parser reads most sources; it must not skip them silently


def test_coordinates_lie_in_iraq(rows: list[dict[str, str]]) -> None:
    for row in rows:
        if not row["lat"]:
            continue  # a GeoNames row keeping GeoNames' point
        assert row["country"] in ("IQ", ""), row["id"]
        assert IRAQ_LAT[0] <= float(row["lat"]) <= IRAQ_LAT[1], row["id"]
        assert IRAQ_LON[0] <= float(row["lon"]) <= IRAQ_LON[1], row["id"]


def test_ids_are_unique_and_a_duplicate_is_named(rows: list[dict[str, str]], tmp_path: Path) -> None:
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids))
    path = tmp_path / "curated.csv"
    with open(get_settings().curated_places_path, encoding="utf-8", newline="") as fh:
        header, first, *_ = list(csv.reader(fh))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, first, first])
    with pytest.raises(GazetteerError, match=re.escape(f"duplicate id(s) {first[0]}")):
        read_curated(path)


def test_names_are_nfc_and_arabic_names_are_arabic() -> None:
    text = get_settings().curated_places_path.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)
    with open(get_settings().curated_places_path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, fieldnames=CURATED_COLUMNS):
            if row["name_ar"] and row["id"] != "id":
                name = row["name_ar"]
                assert re.search(r"[\u0600-\u06FF]", name) and not re.search(r"[A-Za-z]", name), row["id"]


def test_added_places_have_their_kind_and_a_coarser_precision_for_features(
    by_id: dict[str, dict[str, str]],
) -> None:
    for pid, kind in ADDED.items():
        row = by_id[pid]
        assert (row["kind"], row["country"]) == (kind, "IQ"), pid
        wide = kind in ("river", "mountain", "region")
        assert (int(row["geo_precision"]) >= 2) == wide, pid


@pytest.mark.parametrize("pid", sorted(ADDED))
def test_added_places_resolve_by_their_english_and_arabic_names(
    by_id: dict[str, dict[str, str]], pid: str
) -> None:
    row = by_id[pid]
    for name in (row["name"], row["name_ar"]):
        match = geocode(name)
        assert match is not None and match.place_id == pid, (name, match)


# (sentence, the text of the mention, the place): the feature wins over the town, city or governorate in its name.
SENTENCES = [
    ("هاجم مسلحو داعش قاعدة سبايكر شمال تكريت", "قاعدة سبايكر", "kcm:camp-speicher"),
    ("ISIS fighters killed cadets at Camp Speicher near Tikrit.", "Camp Speicher", "kcm:camp-speicher"),
    (
        "وصلت القوات العراقية إلى قاعدة القيارة الجوية جنوب الموصل",
        "قاعدة القيارة الجوية",
        "kcm:qayyarah-west",
    ),
    ("Coalition advisers arrived at Qayyarah West.", "Qayyarah West", "kcm:qayyarah-west"),
    ("فر آلاف الإيزيديين إلى جبل سنجار", "جبل سنجار", "kcm:sinjar-mountains"),
    ("Thousands of Yazidis fled to Mount Sinjar in August 2014.", "Mount Sinjar", "kcm:sinjar-mountains"),
    ("سيطرت قوات البيشمركة على ناحية سنوني", "ناحية سنوني", "kcm:sinuni"),
    ("Peshmerga forces retook Snune.", "Snune", "kcm:sinuni"),
    ("استعادت القوات حمام العليل جنوب الموصل", "حمام العليل", "kcm:hammam-al-alil"),
    ("Iraqi forces captured Hammam al-Alil on November 7.", "Hammam al-Alil", "kcm:hammam-al-alil"),
    ("عاد المسيحيون إلى سهل نينوى", "سهل نينوى", "kcm:nineveh-plains"),
    ("Christians returned to the Nineveh Plains.", "Nineveh Plains", "kcm:nineveh-plains"),
    ("عبرت القوات نهر الزاب الصغير قرب ألتون كوبري", "نهر الزاب الصغير", "kcm:little-zab"),
    ("The column crossed the Great Zab at Kalak.", "Great Zab", "kcm:great-zab"),
    ("عبرت القوات نهر دجلة", "نهر دجلة", "kcm:tigris"),
    ("Iraqi troops crossed the Tigris.", "Tigris", "kcm:tigris"),
    ("انتشرت القوات على ضفاف نهر ديالى", "نهر ديالى", "kcm:diyala-river"),
    ("سيطرت القوات على سد دوكان", "سد دوكان", "kcm:dukan-dam"),
    ("وصلت التعزيزات إلى سد حمرين", "سد حمرين", "kcm:hemrin-dam"),
    ("fighting in the Hamrin Mountains", "Hamrin Mountains", "kcm:hamrin-mountains"),
    ("اشتباكات في جبال حمرين", "جبال حمرين", "kcm:hamrin-mountains"),
    ("دخلت القوات ناحية السعدية", "ناحية السعدية", "kcm:sadiyah"),
    ("Peshmerga withdrew from Alqosh.", "Alqosh", "kcm:alqosh"),
    ("Peshmerga withdrew from Telskuf.", "Telskuf", "kcm:telskuf"),
    ("وصلت القوات إلى مطار تلعفر", "مطار تلعفر", "kcm:tal-afar-air-base"),
    ("The Hashd captured Tal Afar airport.", "Tal Afar airport", "kcm:tal-afar-air-base"),
    ("استعادت القوات مطار الموصل", "مطار الموصل", "kcm:mosul-airport"),
    ("Iraqi forces took Mosul airport.", "Mosul airport", "kcm:mosul-airport"),
    ("انسحبت البيشمركة من بردرش", "بردرش", "kcm:bardarash"),
    ("سيطر التنظيم على بادوش", "بادوش", "kcm:badush"),
    ("the Zambar range west of Mosul", "Zambar", "kcm:jabal-zambar"),
    ("دخلت القوات العراقية بلدة كرمليس شرق الموصل", "بلدة كرمليس", "kcm:karemlash"),
    ("Iraqi forces retook Karamles east of Mosul.", "Karamles", "kcm:karemlash"),
    ("Peshmerga forces entered Batnaya north of Tel Keppe.", "Batnaya", "kcm:batnaya"),
    ("عاد الأهالي إلى باطنايا", "باطنايا", "kcm:batnaya"),
    ("Dwekh Nawsha fighters held Baqofa.", "Baqofa", "kcm:baqofah"),
    ("عاد الأهالي إلى قرية باقوفا", "باقوفا", "kcm:baqofah"),
    ("انسحبت البيشمركة من بعشيقة وبحزاني", "وبحزاني", "kcm:bahzani"),
    ("Yazidis returned to Bahzani.", "Bahzani", "kcm:bahzani"),
    ("سيطرت القوات على ناحية ينكجة قرب طوزخورماتو", "ناحية ينكجة", "kcm:yankjah"),
    ("Clashes near Yankjah, south of Tuz Khurmatu.", "Yankjah", "kcm:yankjah"),
    ("انتشرت القوات في مجمعي تل قصب وتل عزير جنوب سنجار", "تل قصب", "kcm:tel-qasab"),
    ("انتشرت القوات في مجمعي تل قصب وتل عزير جنوب سنجار", "وتل عزير", "kcm:til-ezer"),
    ("وصلت القوات إلى مجمع القحطانية", "مجمع القحطانية", "kcm:til-ezer"),
    ("Iraqi forces entered Til Ezer and Tel Qasab south of Sinjar.", "Til Ezer", "kcm:til-ezer"),
    ("Iraqi forces entered Til Ezer and Tel Qasab south of Sinjar.", "Tel Qasab", "kcm:tel-qasab"),
    ("عاد الإيزيديون إلى مجمع سيبا شيخ خدر", "مجمع سيبا شيخ خدر", "kcm:siba-sheikh-khidir"),
    ("Yazidis returned to Siba Sheikh Khidir.", "Siba Sheikh Khidir", "kcm:siba-sheikh-khidir"),
    ("تقدمت القوات نحو ناحية خورسباد", "ناحية خورسباد", "kcm:khorsabad"),
    ("Peshmerga held Khorsabad and Sharafiya.", "Khorsabad", "kcm:khorsabad"),
    ("Peshmerga held Khorsabad and Sharafiya.", "Sharafiya", "kcm:sharafiya"),
    ("دخلت البيشمركة قرية الشرفية قرب ألقوش", "قرية الشرفية", "kcm:sharafiya"),
    ("وصلت القوات إلى ناحية باعدرة في قضاء الشيخان", "ناحية باعدرة", "kcm:baadra"),
    ("Yazidis gathered in Baadre, the seat of the Mir.", "Baadre", "kcm:baadra"),
    ("انسحبت قوات البيشمركة من ناحية قره تبه شمال شرق ديالى", "ناحية قره تبه", "kcm:qara-tapa"),
    ("Peshmerga forces withdrew from Qara Tapa in northern Diyala.", "Qara Tapa", "kcm:qara-tapa"),
]

# Personal names that are also the bare form of an added place's name: not places in running text.
NOT_PLACES_IN_TEXT = [
    "قال الصحفي فرات العلي إن القوات وصلت",
    "وصلت الحاجة سعدية إلى المخيم",
    "أعلنت قيادة عمليات دجلة عن وصول تعزيزات",  # a command, not the river
    "تنتمي القبائل القحطانية والعدنانية إلى العرب",  # "Qahtanite": Til Ezer is «القحطانية» only after a designator
    "منحت الجامعة الضيف عضوية شرفية",  # "honorary": Sharafiya is «شرفية» only after «قرية» or «ناحية»
]


@pytest.mark.parametrize("sentence", NOT_PLACES_IN_TEXT)
def test_names_of_people_and_commands_are_not_the_added_places(sentence: str) -> None:
    assert [(m.text, m.match.place_id) for m in find_mentions(sentence)] == []


@pytest.mark.parametrize(("sentence", "written", "pid"), SENTENCES)
def test_places_in_running_text(sentence: str, written: str, pid: str) -> None:
    found = [(m.text, m.match.place_id) for m in find_mentions(sentence)]
    assert (written, pid) in found, found


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("سنجار", "geonames:448149"),  # the town, not the mountains
        ("Sinjar", "geonames:448149"),
        ("دوكان", "geonames:96953"),  # the town, not the dam
        ("القيارة", "geonames:99003"),  # the town, not the air base
        ("الموصل", "geonames:99072"),
        ("تلعفر", "geonames:90393"),
        ("ديالى", "kcm:gov-diyala"),  # the governorate, not the river
        ("سنون", None),  # "years": Sinuni only as «ناحية سنون»
        ("فرات", None),  # a man's name: the river is «الفرات»
        ("سعدية", None),  # a woman's name: the town is «السعدية»
        ("السعدية", "kcm:sadiyah"),
        ("الزاب", None),  # Little or Great Zab: not guessed
        ("Bahzani-Bashiqa", "kcm:bashiqa"),  # the twin town's joint name stays Bashiqa
        ("Badra", "geonames:98198"),  # Badrah (Wasit), not Ba'adra (Baadre)
    ],
)
def test_shorter_names_keep_their_place(query: str, expected: str | None) -> None:
    match = geocode(query)
    assert (match.place_id if match else None) == expected
