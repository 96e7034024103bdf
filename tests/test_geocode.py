from __future__ import annotations

import itertools
import json
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.cli import main
from geodata.errors import InputError
from geodata.gazetteer import Gazetteer, Place
from geodata.geocode import Match, Mention, find_mentions, geocode, geocode_many
from tests.conftest import SEED_DIR

KIRKUK = "geonames:94787"
ERBIL = "geonames:95446"
TUZ = "geonames:90026"
K1 = "kcm:k1-air-base"
AIRPORT = "kcm:kirkuk-airport"
CLI_KEYS = "query place_id name name_ar lat lon admin1 kind score matched alternatives ambiguous".split()
SEED = sorted(SEED_DIR.glob("*.txt"))

# Every form PLACES.md lists (Arabic and English), and the seed article's spellings.
FORMS = [
    # seed article
    ("كركوك", KIRKUK),
    ("أربيل", ERBIL),
    ("طوزخرماتو", TUZ),
    ("«كي-1»", K1),
    ("بكركوك", KIRKUK),
    ("وأربيل", ERBIL),
    ("لطوزخرماتو", TUZ),
    # PLACES.md table
    ("Karkuk", KIRKUK),
    ("Kerkuk", KIRKUK),
    ("محافظة كركوك", "kcm:gov-kirkuk"),
    ("التأميم", "kcm:gov-kirkuk"),
    ("At-Ta'mim", "kcm:gov-kirkuk"),
    ("إربيل", ERBIL),
    ("اربيل", ERBIL),
    ("هەولێر", ERBIL),
    ("Arbil", ERBIL),
    ("Irbil", ERBIL),
    ("Hawler", ERBIL),
    ("طوز خورماتو", TUZ),
    ("طوزخورماتو", TUZ),
    ("الطوز", TUZ),
    ("Tuz Khurmato", TUZ),
    ("Duz Khurmatu", TUZ),
    ("Ţūz Khūrmātū", TUZ),
    ("قاعدة كي 1", K1),
    ("كيه 1", K1),
    ("قاعدة K1", K1),
    ("K1", K1),
    ("K-1", K1),
    ("كي وان", K1),
    ("مطار كركوك", AIRPORT),
    ("قاعدة الحرية", AIRPORT),
    ("FOB Warrior", AIRPORT),
    ("حقل بابا كركر", "kcm:baba-gurgur"),
    ("Baba Gurgur", "kcm:baba-gurgur"),
    ("دبس", "geonames:97001"),
    ("الدبس", "geonames:97001"),
    ("Dibs", "geonames:97001"),
    ("Dubiz", "geonames:97001"),
    ("داقوق", "geonames:90220"),
    ("Tawuq", "geonames:90220"),
    ("ألتون كوبري", "kcm:altun-kupri"),
    ("التون كوبري", "kcm:altun-kupri"),
    ("بردي", "kcm:altun-kupri"),
    ("Altun Kopru", "kcm:altun-kupri"),
    ("Pirde", "kcm:altun-kupri"),
    ("تازة خورماتو", "geonames:90199"),
    ("تازة", "geonames:90199"),
    ("Taza", "geonames:90199"),
    ("الحويجة", "geonames:390188"),
    ("Hawijah", "geonames:390188"),
    ("سنجار", "geonames:448149"),
    ("شنكال", "geonames:448149"),
    ("Shingal", "geonames:448149"),
    ("Shengal", "geonames:448149"),
    ("مخمور", "geonames:93818"),
    ("Makhmour", "geonames:93818"),
    ("Mexmur", "geonames:93818"),
    ("خانقين", "geonames:94591"),
    ("Khaniqin", "geonames:94591"),
    ("جلولاء", "kcm:jalawla"),
    ("Jalula", "kcm:jalawla"),
    ("Jaloula", "kcm:jalawla"),
    ("بعشيقة", "kcm:bashiqa"),
    ("Bashika", "kcm:bashiqa"),
    ("سد الموصل", "kcm:mosul-dam"),
    ("Saddam Dam", "kcm:mosul-dam"),
    ("ربيعة", "kcm:rabia"),
    ("Rabi'a", "kcm:rabia"),
    ("زمار", "kcm:zummar"),
    ("Zumar", "kcm:zummar"),
    ("الشيخان", "geonames:98293"),
    ("عين سفني", "geonames:98293"),
    ("Shekhan", "geonames:98293"),
    ("فيشخابور", "kcm:faysh-khabur"),
    ("Fishkhabur", "kcm:faysh-khabur"),
    ("Pêşabûr", "kcm:faysh-khabur"),
    ("دهوك", "geonames:96994"),
    ("Duhok", "geonames:96994"),
    ("Dihok", "geonames:96994"),
    ("السليمانية", "geonames:98463"),
    ("Slemani", "geonames:98463"),
    ("Sulaimani", "geonames:98463"),
    ("كفري", "geonames:94298"),
    ("الموصل", "geonames:99072"),
    ("al-Mawsil", "geonames:99072"),
    ("بغداد", "geonames:98182"),
    ("إقليم كردستان", "kcm:kurdistan-region"),
    # clitics alone and combined
    ("لسنجار", "geonames:448149"),
    ("وبالموصل", "geonames:99072"),
    ("للموصل", "geonames:99072"),
    ("فكركوك", KIRKUK),
    ("بسد الموصل", "kcm:mosul-dam"),
    ("بمحافظة كركوك", "kcm:gov-kirkuk"),
    # designators and articles around a name
    ("منفذ فيشخابور", "kcm:faysh-khabur"),
    ("معبر ربيعة", "kcm:rabia"),
    ("the Mosul Dam", "kcm:mosul-dam"),
    ("Bashiqa town", "kcm:bashiqa"),
    ("ناحية تازة", "geonames:90199"),
    # spellings never listed anywhere (transliteration folding, closest spelling wins)
    ("Daqooq", "geonames:90220"),
    ("Baba Karkar", "kcm:baba-gurgur"),
    ("Tooz Khurmatoo", TUZ),
    ("Karkouk", KIRKUK),
    ("Faishkhabour", "kcm:faysh-khabur"),
    # spelling never listed anywhere (fuzzy: one edit)
    ("Kirkukk", KIRKUK),
    ("Sinjarr", "geonames:448149"),
    ("خانقينن", "geonames:94591"),
]


@pytest.mark.parametrize(("query", "expected"), FORMS)
def test_resolves_every_listed_form(query: str, expected: str) -> None:
    match = geocode(query)
    assert match is not None, query
    assert match.place_id == expected
    assert not match.ambiguous
    assert 0.5 < match.score <= 1.0
    assert match.query == query


@pytest.mark.parametrize(
    ("query", "expected", "kind"),
    [
        ("سد الموصل", "kcm:mosul-dam", "dam"),  # the longest name wins
        ("الموصل", "geonames:99072", "city"),
        ("محافظة كركوك", "kcm:gov-kirkuk", "governorate"),
        ("مدينة كركوك", KIRKUK, "city"),
        ("Kirkuk city", KIRKUK, "city"),
        ("city of Kirkuk", KIRKUK, "city"),
        ("Kirkuk Governorate", "kcm:gov-kirkuk", "governorate"),
        ("محافظة أربيل", "kcm:gov-erbil", "governorate"),
        ("قضاء طوزخرماتو", TUZ, "town"),
        ("إقليم كردستان", "kcm:kurdistan-region", "region"),
        ("Kurdistan Region", "kcm:kurdistan-region", "region"),
        ("العراق", "kcm:iraq", "country"),
    ],
)
def test_traps_longest_name_and_designators(query: str, expected: str, kind: str) -> None:
    match = geocode(query)
    assert match is not None
    assert (match.place_id, match.kind) == (expected, kind)


@pytest.mark.parametrize("query", ["Kirkuk Air Base", "قاعدة كركوك الجوية", "Kirkuk Airbase"])
def test_kirkuk_air_base_is_ambiguous(query: str) -> None:
    match = geocode(query)
    assert match is not None
    assert match.ambiguous
    assert match.score <= 0.5
    ids = {match.place_id} | {a.place_id for a in match.alternatives}
    assert {K1, AIRPORT} <= ids


@pytest.mark.parametrize(
    ("when", "expected", "other"),
    [(date(2017, 10, 16), AIRPORT, K1), ("2019-03-01", K1, AIRPORT)],
)
def test_a_date_in_context_settles_kirkuk_air_base(when: date | str, expected: str, other: str) -> None:
    match = geocode("Kirkuk Air Base", context={"date": when})
    assert match is not None
    assert match.place_id == expected
    assert not match.ambiguous
    assert other in [a.place_id for a in match.alternatives]


def test_nearby_places_in_context_settle_a_shared_name() -> None:
    plain = geocode("الرياض")
    assert plain is not None and plain.ambiguous  # a Kirkuk sub-district and the Saudi capital
    near = geocode("الرياض", context={"near": ["geonames:390188"]})
    assert near is not None and near.place_id == "geonames:98697" and not near.ambiguous


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"date": "soon"}, "context date must be a date or YYYY-MM-DD, got 'soon'"),
        ({"date": 2017}, "context date must be a date or YYYY-MM-DD, got 2017"),
        (date(2017, 10, 16), "context must be a mapping such as {'date': ...}, got date"),
    ],
)
def test_bad_context(context: object, message: str) -> None:
    for call in (geocode, geocode_many, find_mentions):
        with pytest.raises(InputError, match=re.escape(message)):
            call("Kirkuk" if call is not geocode_many else ["Kirkuk"], context=context)  # type: ignore[operator]


def test_dated_reading_applies_to_any_spelling_of_the_shared_name() -> None:
    match = geocode("the Kirkuk Air Base", context={"date": date(2017, 10, 16)})
    assert match is not None and match.place_id == AIRPORT and not match.ambiguous


NOT_PLACES = [
    "الاتحاد الوطني الكردستاني",
    "الحزب الديمقراطي الكردستاني",
    "البيشمركة",
    "الحشد الشعبي",
    "محمد عثمان",
    "Peshmerga",
    "Patriotic Union of Kurdistan",
    "Kurdistan Regional Government",
    "حكومة إقليم كردستان",
    "الكردستاني",
    "كردستاني",
    "Kurdistani",
    "كركوكي",
    "قاسم سليماني",
    "Qassem Soleimani",
    "المدينة",
    "الحرية",
    "the city",
    "hit",
    "Ali",
    "خبر",
    "بيان",
    "دقيق",
    "بلاد",
    "الحاجة",
    "وأن",
    "Monday",
    "قاعدة",
    "محافظة",
    "مدينة",
    "كي",
    "محافظ كركوك",  # the governor, not the governorate
    "Kirkuk Governor",
    "Abadi",  # a person, not Abadeh in Iran
    "العبادي",
    "Kirkuki",
    "كركوكا",
    "Kurdish",
    "الجبهة التركمانية",
]


@pytest.mark.parametrize("query", NOT_PLACES)
def test_refuses_words_organisations_and_people(query: str) -> None:
    assert geocode(query) is None


@pytest.mark.parametrize(
    ("query", "iraqi", "foreign"),
    [
        ("Arbela", ERBIL, "geonames:248946"),  # also an old name of Irbid, Jordan
        ("Iraq", "kcm:iraq", "geonames:143127"),  # GeoNames lists "Iraq" for Arak, Iran
        ("Shamiyah", "geonames:98629", None),  # and a Kuwaiti namesake
    ],
)
def test_neighbouring_places_do_not_steal_iraqi_names(query: str, iraqi: str, foreign: str | None) -> None:
    match = geocode(query)
    assert match is not None and match.place_id == iraqi and not match.ambiguous
    if foreign is not None:
        assert foreign in [a.place_id for a in match.alternatives]


def test_a_small_iraqi_namesake_of_a_foreign_capital_is_flagged() -> None:
    match = geocode("الرياض")  # a Kirkuk sub-district, and Riyadh
    assert match is not None and match.ambiguous
    assert "geonames:108410" in [a.place_id for a in match.alternatives]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("القامشلي", "geonames:173377"), ("Tehran", "geonames:112931"), ("حلب", "geonames:170063")],
)
def test_foreign_places_without_iraqi_namesakes_resolve(query: str, expected: str) -> None:
    match = geocode(query)
    assert match is not None and match.place_id == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "!!!", "«»،؛", "\x00\x07\x1b", "كركوك" * 2048, "x" * 10_240, "\u200f"]
)
def test_bad_or_empty_input_is_unresolved(text: str) -> None:
    assert geocode(text) is None


@pytest.mark.parametrize("text", ["كركوك\x00", "\tكركوك\n", "Kirkuk\x1b", "كركوك Kirkuk"])
def test_control_characters_and_mixed_scripts_do_not_crash(text: str) -> None:
    match = geocode(text)
    assert match is None or match.place_id == KIRKUK


@pytest.mark.parametrize(
    ("value", "message"), [(None, "got NoneType"), (42, "got int: 42"), (b"x", "got bytes")]
)
def test_non_string_input_is_an_input_error(value: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        geocode(value)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=message):
        geocode_many(["كركوك", value])  # type: ignore[list-item]


def test_bad_lang() -> None:
    with pytest.raises(InputError, match=r"lang must be .* got 'fr'"):
        geocode("Kirkuk", lang="fr")


def test_geocode_many_keeps_order_and_matches_geocode() -> None:
    names = ["كركوك", "nothing-here", "Erbil", "كركوك", "", "سد الموصل"]
    many = geocode_many(names)
    assert [m.place_id if m else None for m in many] == [KIRKUK, None, ERBIL, KIRKUK, None, "kcm:mosul-dam"]
    assert many == [geocode(n) for n in names]


def test_match_to_dict_has_the_cli_keys() -> None:
    match = geocode("Kirkuk Air Base")
    assert isinstance(match, Match)
    d = match.to_dict()
    assert list(d) == CLI_KEYS
    assert json.loads(json.dumps(d)) == d
    assert d["alternatives"][0].keys() == {"place_id", "name", "score"}


# ---------------------------------------------------------------- find_mentions


def test_find_mentions_on_the_seed_article() -> None:
    text = SEED[0].read_text(encoding="utf-8")
    mentions = find_mentions(text)
    for m in mentions:
        assert isinstance(m, Mention)
        assert text[m.start : m.end] == m.text
    found = {m.match.place_id for m in mentions}
    assert {KIRKUK, K1, TUZ, "kcm:kurdistan-region", "kcm:gov-erbil", "kcm:iraq"} <= found
    spellings = {m.text for m in mentions}
    assert {"بكركوك", "كي-1", "طوزخرماتو", "محافظة أربيل", "إقليم كردستان"} <= spellings
    # the organisations and people in the article are not places
    for m in mentions:
        assert m.text not in {
            "البيشمركة",
            "الحشد الشعبي",
            "الاتحاد الوطني الكردستاني",
            "محمد عثمان",
            "المدينة",
        }
    starts = [m.start for m in mentions]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in itertools.pairwise(mentions))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("سيطرت القوات على سد الموصل اليوم", [("سد الموصل", "kcm:mosul-dam")]),
        ("دخلت القوات مدينة كركوك ومحافظة كركوك", [("كركوك", KIRKUK), ("ومحافظة كركوك", "kcm:gov-kirkuk")]),
        ("انسحبوا من قاعدة «كي-1» إلى أربيل", [("كي-1", K1), ("أربيل", ERBIL)]),
        ("وقاعدة كي 1 وحقل بابا كركر", [("وقاعدة كي 1", K1), ("وحقل بابا كركر", "kcm:baba-gurgur")]),
        ("US troops left K-1 Air Base near Kirkuk.", [("K-1 Air Base", K1), ("Kirkuk", KIRKUK)]),
        (
            "Forces entered Tuz Khurmatu, then Altun Kupri.",
            [("Tuz Khurmatu", TUZ), ("Altun Kupri", "kcm:altun-kupri")],
        ),
        ("A car bomb hit the city; Ali met Qassem Soleimani.", []),
        ("الاتحاد الوطني الكردستاني والبيشمركة والحشد الشعبي", []),
        # ordinary words that fold onto place names: بأنه/Baneh, سنة/Sanandaj, خبر/Khobar, حديثة/Haditha, المدينة
        ("وقال بأنه في سنة 2017 نشر خبر عن أسلحة حديثة في المدينة", []),
        ("وقال بأنه سيزور طهران وحلب", [("طهران", "geonames:112931"), ("وحلب", "geonames:170063")]),
        ("كركوك، أربيل", [("كركوك", KIRKUK), ("أربيل", ERBIL)]),
    ],
)
def test_find_mentions_spans(text: str, expected: list[tuple[str, str]]) -> None:
    got = [(m.text, m.match.place_id) for m in find_mentions(text)]
    assert got == expected


def test_find_mentions_keeps_ambiguity() -> None:
    (mention,) = find_mentions("the Kirkuk Air Base was handed over")
    assert mention.match.ambiguous
    dated = find_mentions("the Kirkuk Air Base was handed over", context={"date": date(2017, 10, 17)})
    assert dated[0].match.place_id == AIRPORT


def test_find_mentions_offsets_survive_diacritics_and_tatweel() -> None:
    text = "وصلت القوات إلى كَرْكُوك ثم إلى كركـــوك"
    mentions = find_mentions(text)
    assert [m.text for m in mentions] == ["كَرْكُوك", "كركـــوك"]
    assert all(m.match.place_id == KIRKUK for m in mentions)


@pytest.mark.parametrize("text", ["", "!!!", "\x00" * 100, "x" * 10_240, "كركوك" * 5000])
def test_find_mentions_bad_input(text: str) -> None:
    assert isinstance(find_mentions(text), list)


def test_find_mentions_rejects_non_text() -> None:
    with pytest.raises(InputError, match="text must be a string, got bytes"):
        find_mentions(b"kirkuk")  # type: ignore[arg-type]


_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from(list("كركوك أربيل طوزخرماتو «كي-1» وبلال ةىيأإآ ًٌٍَُِّْـ ەێۆکگ Kirkuk-1 ,.،")),
    ),
    max_size=400,
)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_geocode_never_raises_on_text(text: str) -> None:
    match = geocode(text)
    assert match is None or (0.0 < match.score <= 1.0 and match.place_id)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_find_mentions_spans_index_the_original_text(text: str) -> None:
    mentions = find_mentions(text)
    for m in mentions:
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start : m.end] == m.text
    assert all(a.end <= b.start for a, b in itertools.pairwise(mentions))


# ---------------------------------------------------------------- CLI


def _lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_cli_prints_one_json_line_per_name_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["geocode", "كركوك", "Kirkuk Air Base", "بكركوك"])
    out = _lines(capsys.readouterr().out)
    assert code == 0
    assert [o["query"] for o in out] == ["كركوك", "Kirkuk Air Base", "بكركوك"]
    assert [o["place_id"] for o in out] == [KIRKUK, K1, KIRKUK]
    assert out[1]["ambiguous"] is True and out[1]["alternatives"]
    for o in out:
        assert {
            "query",
            "place_id",
            "name",
            "name_ar",
            "lat",
            "lon",
            "admin1",
            "kind",
            "score",
            "matched",
        } <= set(o)


def test_cli_exit_1_when_a_name_is_unresolved(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["geocode", "أربيل", "البيشمركة"])
    out = _lines(capsys.readouterr().out)
    assert code == 1
    assert out[0]["place_id"] == ERBIL
    unresolved = dict.fromkeys(CLI_KEYS, None) | {"score": 0.0, "alternatives": [], "ambiguous": False}
    assert out[1] == unresolved | {"query": "البيشمركة"}


def test_cli_invalid_utf8_argument(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["geocode", "\udcff", "كركوك"])
    captured = capsys.readouterr()
    out = _lines(captured.out)
    assert code == 1
    assert out[0]["place_id"] is None and out[1]["place_id"] == KIRKUK
    assert "not valid UTF-8" in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("name", ["", "!!!", "x" * 10_240, "\x07"])
def test_cli_bad_names_are_unresolved_not_tracebacks(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["geocode", name]) == 1
    captured = capsys.readouterr()
    assert _lines(captured.out)[0]["place_id"] is None
    assert "Traceback" not in captured.err


def test_cli_reads_names_from_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = tmp_path / "names.txt"
    names.write_text("Erbil\nسد الموصل\n", encoding="utf-8")
    assert main(["geocode", "--file", str(names)]) == 0
    assert [o["place_id"] for o in _lines(capsys.readouterr().out)] == [ERBIL, "kcm:mosul-dam"]


def test_cli_without_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["geocode"]) == 1
    assert "no names given" in capsys.readouterr().err


# ---------------------------------------------------------------- countries, governorates, possessives (issue 9)

IRAN, TURKEY, SYRIA, KUWAIT = "geonames:130758", "geonames:298795", "geonames:163843", "geonames:285570"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Iraq's", "kcm:iraq"),
        ("Baghdad's", "geonames:98182"),
        ("Kirkuk’s", KIRKUK),
        ("Kirkukʼs", KIRKUK),
        ("Kurdistan Region's", "kcm:kurdistan-region"),
        ("Iran's", IRAN),
        ("Karkuk", KIRKUK),
        ("Arbil", ERBIL),
        ("Khormato", TUZ),
        ("Khurmatu", TUZ),
        ("Tuz Khurmato", TUZ),
        ("Al-Qaim", "geonames:92138"),
        ("Al Qa'im", "geonames:92138"),
        ("القائم", "geonames:92138"),
        ("بالقائم", "geonames:92138"),
    ],
)
def test_possessives_and_spelling_variants(query: str, expected: str) -> None:
    match = geocode(query)
    assert match is not None and match.place_id == expected and not match.ambiguous


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("بابل", "kcm:gov-babil"),
        ("ببابل", "kcm:gov-babil"),
        ("Babil", "kcm:gov-babil"),
        ("الأنبار", "kcm:gov-anbar"),
        ("Anbar province", "kcm:gov-anbar"),
        ("محافظة البصرة", "kcm:gov-basra"),
        ("Basra province", "kcm:gov-basra"),
        ("ذي قار", "kcm:gov-dhi-qar"),
        ("محافظة حلبجة", "kcm:gov-halabja"),
    ],
)
def test_governorates_resolve_iraq_first(query: str, expected: str) -> None:
    match = geocode(query)
    assert match is not None and match.place_id == expected and not match.ambiguous
    assert match.kind == "governorate"


def test_babil_is_never_babol() -> None:
    match = geocode("بابل")
    assert match is not None and match.place_id == "kcm:gov-babil"
    assert "geonames:142363" in [a.place_id for a in match.alternatives]  # Babol, Iran: listed, never chosen
    assert geocode("Babol").place_id == "geonames:142363"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("إيران", IRAN),
        ("Iran", IRAN),
        ("تركيا", TURKEY),
        ("Türkiye", TURKEY),
        ("Turkey", TURKEY),
        ("سوريا", SYRIA),
        ("Syria", SYRIA),
        ("الكويت", KUWAIT),  # the country before Kuwait City
        ("Kuwait", KUWAIT),
        ("الولايات المتحدة", "geonames:6252001"),
        ("Britain", "geonames:2635167"),
        ("سورية", SYRIA),
        ("لسورية", SYRIA),
    ],
)
def test_countries_resolve(query: str, expected: str) -> None:
    match = geocode(query)
    assert match is not None and match.place_id == expected and match.kind == "country"


@pytest.mark.parametrize(
    "query", ["Iranian", "Saudi", "التركية", "السورية", "مالي", "Chad", "Bashir", "بشير"]
)
def test_adjectives_and_words_named_like_countries_do_not_resolve(query: str) -> None:
    assert geocode(query) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("زار القاهرة وبيروت", [("القاهرة", "geonames:360630"), ("وبيروت", "geonames:276781")]),
        ("from Cairo to London", [("Cairo", "geonames:360630"), ("London", "geonames:2643743")]),
        # a long word written without its space still finds a foreign name; a short one must be exact
        ("وصل وفد الولاياتالمتحدة", [("الولاياتالمتحدة", "geonames:6252001")]),
        ("وقال بأنه سيزور", []),
    ],
)
def test_find_mentions_capitals_and_foreign_names(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(m.text, m.match.place_id) for m in find_mentions(text)] == expected


def _toy_gazetteer() -> Gazetteer:
    """A real gazetteer of three places in which a small Iraqi village shares its name with a populous country."""

    def place(pid: str, name: str, country: str, kind: str, lat: float, lon: float, pop: int | None) -> Place:
        precision = 3 if kind == "country" else 1
        return Place(pid, name, "", (name,), lat, lon, "", country, kind, pop, "test", precision)

    return Gazetteer(
        [
            place("kcm:jordan-village", "Jordan", "IQ", "town", 35.0, 44.0, 300),
            place("geonames:248816", "Jordan", "JO", "country", 31.95, 35.93, 9_000_000),
            place("geonames:1", "Jordan", "JO", "city", 31.0, 36.0, 20_000),
        ]
    )


def test_a_country_never_outranks_an_iraqi_place_of_its_name() -> None:
    gaz = _toy_gazetteer()
    match = geocode("Jordan", gazetteer=gaz)
    assert match is not None and match.place_id == "kcm:jordan-village" and not match.ambiguous
    assert "geonames:248816" in [a.place_id for a in match.alternatives]
    # without the Iraqi village the country wins over its city namesake
    foreign = Gazetteer([p for p in gaz if p.country != "IQ"])
    assert geocode("Jordan", gazetteer=foreign).place_id == "geonames:248816"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Iraq's army entered Kirkuk’s airport.", [("Iraq", "kcm:iraq"), ("Kirkuk", KIRKUK)]),
        ("Baghdad's forces and Erbil's Peshmerga", [("Baghdad", "geonames:98182"), ("Erbil", ERBIL)]),
        ("the Kurds' retreat from Khormato", [("Khormato", TUZ)]),
        ("Iran, Turkey and Syria closed the border", [("Iran", IRAN), ("Turkey", TURKEY), ("Syria", SYRIA)]),
        ("أغلقت إيران وتركيا حدودهما", [("إيران", IRAN), ("وتركيا", TURKEY)]),
        ("وصل الوفد إلى بابل والأنبار", [("بابل", "kcm:gov-babil"), ("والأنبار", "kcm:gov-anbar")]),
    ],
)
def test_find_mentions_possessives_and_countries(text: str, expected: list[tuple[str, str]]) -> None:
    got = [(m.text, m.match.place_id) for m in find_mentions(text)]
    assert got == expected
    for m in find_mentions(text):
        assert text[m.start : m.end] == m.text


# ---------------------------------------------------------------- edit distance and similarity (rapidfuzz)


def _osa_reference(a: str, b: str) -> int:
    """Optimal string alignment distance, the textbook dynamic programme (the reference for _one_edit)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


_KEY_LETTERS = st.text(alphabet="كركوطزخمات", min_size=0, max_size=9)


@given(_KEY_LETTERS, st.data())
def test_one_edit_is_an_osa_distance_of_one(a: str, data: st.DataObject) -> None:
    from geodata.geocode import _one_edit

    edits = st.sampled_from(["sub", "ins", "del", "swap", "any"])
    b = a
    for _ in range(data.draw(st.integers(0, 2))):
        kind, k = data.draw(edits), data.draw(st.integers(0, max(len(b) - 1, 0)))
        if kind == "sub" and b:
            b = b[:k] + data.draw(st.sampled_from("كرو")) + b[k + 1 :]
        elif kind == "ins":
            b = b[:k] + data.draw(st.sampled_from("كرو")) + b[k:]
        elif kind == "del" and b:
            b = b[:k] + b[k + 1 :]
        elif kind == "swap" and len(b) > k + 1:
            b = b[:k] + b[k + 1] + b[k] + b[k + 2 :]
        elif kind == "any":
            b = data.draw(_KEY_LETTERS)
    assert _one_edit(a, b) == (_osa_reference(a, b) == 1)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("كركوك", "كركوك", False),
        ("كركوك", "كرکوك", True),
        ("طوزخورماتو", "طوزخرماتو", True),
        ("kirkuk", "kikruk", True),  # one transposition
        ("kirkuk", "kikrku", False),
        ("ca", "abc", False),  # OSA: 3 (Damerau-Levenshtein would say 2)
    ],
)
def test_one_edit_cases(a: str, b: str, expected: bool) -> None:
    from geodata.geocode import _one_edit

    assert _one_edit(a, b) is expected


def test_similarity_ranks_the_nearer_spelling_first() -> None:
    from geodata.geocode import _similarity

    assert _similarity("daqooq", "Daqouq") > _similarity("daqooq", "Dakhuk")
    assert _similarity("kirkuk", "Kirkuk") == 1.0
    assert _similarity("abcd", "wxyz") == 0.0
