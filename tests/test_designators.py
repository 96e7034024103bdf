"""Places the gazetteer lacks (issue 9): the designator rules, and where such a place is put.

The names below are made up on purpose (Zorava, Dargazin, «زرداوة»): a curated gazetteer may later add real
villages, and these tests are about the rules, not about what the gazetteer holds.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from geodata.candidates import candidate_rows
from geodata.designators import find_designated
from geodata.extract import extract_article
from geodata.review import event_rows
from geodata.unresolved import UNRESOLVED_PREFIX

TAL_AFAR = "geonames:90393"
KIRKUK = "geonames:94787"


def names(text: str) -> list[tuple[str, str]]:
    return [(d.name, d.kind) for d in find_designated(text)]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("centered around the village of Zorava in the district", [("Zorava", "village")]),
        (
            "shelling hit the nearby villages of Zorava, Dargazin and Rajm Sarhan, along with",
            [("Zorava", "village"), ("Dargazin", "village"), ("Rajm Sarhan", "village")],
        ),
        (
            "troops freed the neighborhoods of al-Zorava and Dargazin Kowi in central",
            [("al-Zorava", "neighbourhood"), ("Dargazin Kowi", "neighbourhood")],
        ),
        ("they pulled out from the town of Zorava.", [("Zorava", "town")]),
        ("wounded in the Zorava village on Monday", [("Zorava", "village")]),
        ("entered the Zorava oil field, west of", [("Zorava", "oil_field")]),
        ("returned to their Zorava Air Base, 7 km north", [("Zorava Air Base", "base")]),
        ("and the nearby Zorava mountain range in the south", [("Zorava", "mountain")]),
        ("closed the Zorava border crossing on Friday", [("Zorava", "crossing")]),
    ],
)
def test_english_designators(text: str, want: list[tuple[str, str]]) -> None:
    assert names(text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("واشتبكت معها قرب قرية عين زرداوة شمال المدينة", [("عين زرداوة", "village")]),
        ("سيطرت القوات على قريتي زرداوة وكاني دركزين", [("زرداوة", "village"), ("كاني دركزين", "village")]),
        ("تسيطر على حقلي زرداوة ودركزين النفطيين", [("زرداوة", "oil_field"), ("دركزين", "oil_field")]),
        (
            "استعادت ناحية زرداوة وحقل دركزين الشمالي",
            [("زرداوة", "district"), ("دركزين الشمالي", "oil_field")],
        ),
        ("اندلعت معارك في بمنطقة زرداوة شمال غربي المدينة", [("زرداوة", "district")]),
        ("دخلت القوات حي زرداوة", [("زرداوة", "neighbourhood")]),
        ("وصلت العائلات إلى مخيم زرداوة", [("زرداوة", "camp")]),
        ("سيطرت على حقول نفط زرداوة", [("زرداوة", "oil_field")]),
        ("عند معبر إبراهيم الخليل الحدودي", [("إبراهيم الخليل", "crossing")]),  # a name in construct
        ("قرب قرية تل زرداوة الكبيرة", [("تل زرداوة الكبيرة", "village")]),
        # a plural designator's list goes on past «، و»
        (
            "حررت القوات قرى زرداوة الصغرى، والشيخ دركزين، وزرداوة الكبرى",
            [("زرداوة الصغرى", "village"), ("الشيخ دركزين", "village"), ("زرداوة الكبرى", "village")],
        ),
        ("سيطرت القوات على مدينة الزرداوية الحدودية", [("الزرداوية", "town")]),
        # a stop word with a pronoun («قربها», «بأطرافه») and "called" («تدعى») are no names
        ("اندلعت اشتباكات في ناحية قربها", []),
        ("سيطرت على منطقة تدعى «مخيم اللاجئين» على أطراف البلدة", []),
    ],
)
def test_arabic_designators(text: str, want: list[tuple[str, str]]) -> None:
    assert names(text) == want


@pytest.mark.parametrize(
    "text",
    [
        "the area was calm and the village was empty",  # a designator alone is no place
        "fighting spread across the area of the",  # no capitalised name after it
        "Peshmerga base and the Iraqi village",  # peoples and forces are not names
        "fighting in the Peshmerga-held area and the US-led base",  # adjective compounds are not names
        "عادت الحياة إلى المنطقة",  # «المنطقة» alone
        "في المنطقة الشمالية",
        "آخر منطقة ستصل اليها القوات",  # a quantifier: a common noun, not a name's head
        "قاعدة عسكرية كبيرة",  # an adjective is not a name
        "في حي 1 حزيران",  # a number is not a name
        "في قرية تقع شمال المدينة",  # a verb is not a name
        "في مخيم للنازحين",  # nor a phrase with a glued preposition
        "داخل حي سكني في منطقة ما",  # nor a common adjective or pronoun
        "قال قائد عمليات منطقة زرداوة",  # inside an organisation's name («قيادة عمليات ...»)
        "تسيطر على حقول نفط.",  # the site word is not a name
    ],
)
def test_refusals(text: str) -> None:
    assert names(text) == []


def test_placed_near_the_enclosing_place_the_text_names() -> None:
    ex = extract_article(
        "Iraqi jets struck the village of Zorava in the Tal Afar district on Monday.",
        published=date(2017, 10, 20),
    )
    place = next(p for p in ex.places if p.place_id.startswith(UNRESOLVED_PREFIX))
    tal_afar = next(p for p in ex.places if p.place_id == TAL_AFAR)
    assert (place.name, place.kind, place.near_place_id, place.geo_precision) == (
        "Zorava",
        "village",
        TAL_AFAR,
        2,
    )
    assert (place.lat, place.lon) == (tal_afar.lat, tal_afar.lon)
    (event,) = [e for e in ex.events if e.place.place_id == place.place_id]
    assert event.event_date == date(2017, 10, 16)
    row = event.to_row(source="s", source_date=None, source_lang="en")
    assert (row["place_id"], row["geo_precision"], row["place_as_written"]) == (TAL_AFAR, 2, "Zorava")
    assert row["place"] == "Zorava (village, near Tal Afar)" and "not in the gazetteer" in row["notes"]
    # the candidates dataset and the Review page: the approximate coordinate is visible and kept when saved
    (cand,) = [
        r
        for r in candidate_rows(ex, article_id="a", source="s", url=None)
        if r["place_as_written"] == "Zorava"
    ]
    assert (cand["place_id"], cand["geo_precision"], cand["place"]) == (
        TAL_AFAR,
        2,
        "Zorava (village, near Tal Afar)",
    )
    import pandas as pd

    rows, left_out = event_rows(pd.DataFrame([cand]))
    assert not left_out and rows[0]["geo_precision"] == "2" and rows[0]["place_id"] == TAL_AFAR


def test_a_name_the_gazetteer_knows_keeps_its_place() -> None:
    ex = extract_article("Iraqi troops entered the town of Kirkuk on Monday.", published=date(2017, 10, 20))
    assert [p.place_id for p in ex.places] == [KIRKUK]


def test_a_homonym_far_from_where_the_text_puts_it_is_another_place() -> None:
    """Mahmoudiya "in the Tal Afar district" is not Mahmudiyah south of Baghdad, which the gazetteer has."""
    ex = extract_article(
        "Clashes erupted around the village of Mahmoudiya in the Tal Afar district on Monday.",
        published=date(2017, 10, 20),
    )
    place = next(p for p in ex.places if p.mention == "Mahmoudiya")
    assert place.place_id.startswith(UNRESOLVED_PREFIX) and place.near_place_id == TAL_AFAR


def test_a_homonym_far_from_the_place_its_sentence_names_is_another_place() -> None:
    """Villages taken on the way into Rabia are not Mahmudiyah (Baghdad) nor Sadiyah (Diyala), written or misspelt."""
    ex = extract_article(
        "Troops entered Rabia on Tuesday, after seizing the villages of As-Saudiyah and Mahmudiyah.",
        published=date(2017, 10, 20),
    )
    got = {p.mention: (p.place_id.startswith(UNRESOLVED_PREFIX), p.near_place_id) for p in ex.places}
    assert got["As-Saudiyah"] == (True, "kcm:rabia")
    assert got["Mahmudiyah"] == (True, "kcm:rabia")


def test_region_anchor_gives_precision_3_and_no_anchor_is_reported() -> None:
    ex = extract_article(
        "Fighting hit the village of Zorava in Kirkuk province on Monday.", published=date(2017, 10, 20)
    )
    place = next(p for p in ex.places if p.mention == "Zorava")
    assert place.geo_precision == 3 and place.near_place_id == "kcm:gov-kirkuk"
    alone = extract_article("Fighting hit the village of Zorava on Monday.", published=date(2017, 10, 20))
    assert alone.places == () and alone.unplaced == ("Zorava",)
    assert any("Zorava" in w for w in alone.warnings)


def test_dropped_names_are_counted_in_the_batch_summary(tmp_path: Path) -> None:
    from geodata.batch import ingest_corpus

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Fighting hit the village of Zorava on Monday.", encoding="utf-8")
    (corpus / "b.txt").write_text(
        "Fighting hit the village of Dargazin near Kirkuk on Monday.", encoding="utf-8"
    )
    summary = ingest_corpus([corpus], tmp_path / "ds", published=date(2017, 10, 20))
    assert summary.unplaced == 1 and "1 name(s) of places not in the gazetteer dropped" in summary.text()


@pytest.mark.parametrize(
    "text",
    [
        "حرر الحشد الشعبي 3 قرى بشمال شرق الحويجة.",
        "انسحبت القوات من منطقة متنازع عليها بين بغداد وأربيل.",
        "وكركوك مدينة متعددة الأعراق.",
    ],
)
def test_a_direction_or_an_adjective_after_a_designator_is_no_name(text: str) -> None:
    """«قرى بشمال شرق الحويجة» are villages north-east of Hawija; «منطقة متنازع عليها» a disputed area."""
    assert find_designated(text) == []


def test_a_feature_named_after_a_known_place_is_named_with_its_designator() -> None:
    # «مصفى كركوك» is the refinery, not Kirkuk: an unresolved place of its own, placed at Kirkuk
    ex = extract_article(
        "سيطرت القوات العراقية أمس على مصفى كركوك النفطي الرئيسي.", published=date(2017, 10, 17)
    )
    [event] = ex.events
    assert (event.place.mention, event.place.near_place_id) == ("مصفى كركوك", KIRKUK)
    assert event.place.place_id.startswith(UNRESOLVED_PREFIX)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # a plural designator announcing its names («هي», a colon, a comma), the list cut by commas or «و»
        (
            "وأفاد أن القرى المحررة هي زرداوة تبه وكوري دركزين والزراوش",
            [("زرداوة تبه", "village"), ("كوري دركزين", "village"), ("الزراوش", "village")],
        ),
        (
            "تمكنت من تحرير 3 قرى، اليوم، هي الزرداوية، خراب دركزين، وقبر زرداو",
            [("الزرداوية", "village"), ("خراب دركزين", "village"), ("قبر زرداو", "village")],
        ),
        (
            "أعادت السيطرة على قرى، زرداوة الصغيرة ودركزين",
            [("زرداوة الصغيرة", "village"), ("دركزين", "village")],
        ),
        # a count makes a singular designator a plural; «بينها» announces; «بحسب» ends the list
        ("وحررت القوات اليوم 18 قرية، بينها تل زرداوة، بحسب البيان", [("تل زرداوة", "village")]),
        ("سيطرت على ناحية زرداوة وحوالي عشرين قرية أخرى", [("زرداوة", "district")]),
        # what a refinery refines is no name
        ("عززت القوات انتشارها قرب مصفاة التكرير في المدينة", []),
        # «القرى» alone is "the villages", and a comma alone needs a list after it
        ("دخلت القوات القرى المجاورة", []),
        ("حررت القوات 5 قرى، مبينا أنها خالية من السكان", []),
    ],
)
def test_an_announced_list_of_villages(text: str, want: list[tuple[str, str]]) -> None:
    assert names(text) == want
