"""Tests of geodata.extract: reading article files, sentences, and candidate events (the seed's must-holds)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.errors import ArticleError, InputError
from geodata.extract import CandidateEvent, extract_article, read_article, split_sentences
from geodata.vocab import EVENT_TYPES
from tests.conftest import SEED_DIR

SEED_PATH = SEED_DIR / "000_0d09db86305241cb.txt"
THU_30_NOV = date(2017, 11, 30)


@pytest.fixture(scope="module")
def seed_text() -> str:
    return read_article(SEED_PATH)


@pytest.fixture(scope="module")
def seed(seed_text: str):
    return extract_article(seed_text)


# ---------------------------------------------------------------- the seed article


@pytest.mark.parametrize(
    ("place_ids", "name"),
    [
        ({"geonames:94787"}, "Kirkuk"),
        ({"geonames:95446", "kcm:gov-erbil"}, "Erbil"),
        ({"geonames:90026"}, "Tuz Khurmatu"),
        ({"kcm:k1-air-base"}, "K-1"),
    ],
)
def test_seed_places_found_and_geocoded(seed, place_ids: set[str], name: str) -> None:
    hits = [p for p in seed.places if p.place_id in place_ids]
    assert hits, [p.place_id for p in seed.places]
    assert name.split()[0] in hits[0].name
    assert 29 < hits[0].lat < 38 and 38 < hits[0].lon < 49  # in Iraq, (lat, lon) not swapped


def test_seed_publication_date_read_from_dateline(seed) -> None:
    assert seed.published == THU_30_NOV
    assert seed.lang == "ar"


def _events(extraction, event_type: str, place_id: str) -> list[CandidateEvent]:
    return [e for e in extraction.events if e.event_type == event_type and e.place.place_id == place_id]


@pytest.mark.parametrize(
    ("event_type", "place_id", "day", "date_text"),
    [
        ("deployment", "geonames:94787", date(2017, 11, 29), "الأربعاء"),
        ("withdrawal", "kcm:k1-air-base", date(2017, 10, 13), "13 الشهر الماضي"),
        ("control_change", "geonames:94787", date(2017, 10, 16), "16 أكتوبر/تشرين الأول الماضي"),
        ("political", "kcm:kurdistan-region", date(2017, 9, 25), "25 سبتمبر/أيلول الماضي"),
    ],
)
def test_seed_events_have_the_right_dates(
    seed, event_type: str, place_id: str, day: date, date_text: str
) -> None:
    found = _events(seed, event_type, place_id)
    assert day in [e.event_date for e in found], [(e.event_date, e.cue) for e in found]
    event = next(e for e in found if e.event_date == day)
    assert event.date_precision == "day"
    assert date_text in event.sentence
    assert event.sentence == seed.text[event.start : event.end]


def test_seed_control_change_names_controllers(seed) -> None:
    change = next(
        e for e in _events(seed, "control_change", "geonames:94787") if e.event_date == date(2017, 10, 16)
    )
    assert change.controller_after == "isf"
    assert "isf" in change.actors


def test_seed_mid_october_is_not_a_day(seed) -> None:
    mid = [e for e in seed.events if e.date_precision == "week"]
    assert mid and all(e.event_date == date(2017, 10, 11) and e.date_end == date(2017, 10, 20) for e in mid)


def test_seed_movement_has_its_origin(seed) -> None:
    convoy = _events(seed, "deployment", "geonames:94787")
    assert any(e.origin is not None and "Erbil" in e.origin.name for e in convoy)
    assert all(e.actors == ("us",) for e in convoy)


def test_seed_displacement_goes_from_kirkuk_and_tuz_to_the_region(seed) -> None:
    moves = _events(seed, "displacement", "kcm:kurdistan-region")
    assert {e.origin.place_id for e in moves if e.origin} == {"geonames:94787", "geonames:90026"}
    # the article gives no date for it: unknown, and low confidence (never the publication date)
    assert all(e.event_date is None and e.confidence < 0.5 for e in moves)


def test_to_dict_has_exactly_the_issue_shape(seed) -> None:
    out = seed.to_dict()
    assert list(out) == ["published", "places", "dates", "events"]
    assert list(out["places"][0]) == ["mention", "start", "end", "place_id", "name", "lat", "lon", "score"]
    assert list(out["dates"][0]) == ["text", "start", "end", "date", "precision"]
    assert list(out["events"][0]) == [
        "event_type", "event_date", "date_precision", "place_id", "place", "lat", "lon", "controller_before",
        "controller_after", "actors", "sentence", "start", "end", "confidence",
    ]  # fmt: skip
    for p in out["places"]:
        assert seed.text[p["start"] : p["end"]] == p["mention"]
    assert all(0 < e["confidence"] < 1 for e in out["events"])


# ---------------------------------------------------------------- rules on small texts

P = date(2017, 10, 18)  # a Wednesday


def test_date_of_the_previous_sentence_of_the_paragraph_only_at_lower_confidence() -> None:
    text = (
        "بغداد - 18 تشرين الأول 2017\n\nدخلت القوات العراقية قضاء سنجار أمس الثلاثاء. وانسحبت البيشمركة من ناحية "
        "بعشيقة.\n\nوانتشرت القوات العراقية في قضاء مخمور."
    )
    ex = extract_article(text, published=P)
    (sinjar,) = _events(ex, "control_change", "geonames:448149")
    (bashiqa,) = _events(ex, "withdrawal", "kcm:bashiqa")
    (makhmur,) = _events(ex, "deployment", "geonames:93818")
    assert (sinjar.event_date, sinjar.date_basis) == (date(2017, 10, 17), "clause")
    assert (bashiqa.event_date, bashiqa.date_basis) == (date(2017, 10, 17), "paragraph")
    assert bashiqa.confidence < sinjar.confidence
    # another paragraph: the story's day, at a lower confidence still
    assert (makhmur.event_date, makhmur.date_basis) == (date(2017, 10, 17), "story")
    assert makhmur.confidence < bashiqa.confidence


@pytest.mark.parametrize(
    "text",
    [
        "BAGHDAD (Reuters) - Iraqi forces on Monday recaptured the town of Tal Afar, the military said.\n\n"
        "Kurdish Peshmerga fighters withdrew from Rabia and Zummar, officers said.",
        "أعلنت قيادة العمليات اليوم الاثنين أن القوات العراقية استعادت قضاء تلعفر.\n\n"
        "وانسحبت قوات البيشمركة من ناحية ربيعة وناحية زمار.",
        # the day of the lead, not of an earlier event it names after "after"
        "Iraqi forces said on Monday they took Tal Afar, after an attack launched on September 21.\n\n"
        "Kurdish Peshmerga fighters withdrew from Rabia and Zummar.",
    ],
)
def test_the_story_day_dates_the_later_paragraphs(text: str) -> None:
    ex = extract_article(text, published=P)
    (tal_afar,) = _events(ex, "control_change", "geonames:90393")
    moves = _events(ex, "withdrawal", "kcm:rabia") + _events(ex, "withdrawal", "kcm:zummar")
    assert tal_afar.event_date == date(2017, 10, 16)
    assert [(e.event_date, e.date_basis) for e in moves] == [(date(2017, 10, 16), "story")] * 2
    assert all(e.confidence < tal_afar.confidence for e in moves)


@pytest.mark.parametrize(
    ("text", "event_type", "place_id"),
    [
        # a year of its own (the date finder leaves a bare year alone): background
        (
            "Iraqi forces on Monday recaptured the town of Tal Afar.\n\n"
            "Kurdish forces seized Sinjar when Islamic State swept through the region in 2014.",
            "control_change",
            "geonames:448149",
        ),
        (
            "أعلنت قيادة العمليات اليوم الاثنين أن القوات العراقية استعادت قضاء تلعفر.\n\n"
            "وكانت البيشمركة قد انسحبت من سنجار عام 2014.",
            "withdrawal",
            "geonames:448149",
        ),
        # the last day written is of an earlier event («بعدما ... في 13 الشهر الماضي»)
        (
            "وأنزلت طائرات جنودا في قاعدة كي-1، بعدما كانت تلك القوات انسحبت منها في 13 الشهر الماضي.\n\n"
            "وانسحبت البيشمركة من قضاء مخمور.",
            "withdrawal",
            "geonames:93818",
        ),
        # a verbal noun names an event more often than it reports one
        (
            "أعلنت قيادة العمليات اليوم الاثنين أن القوات العراقية استعادت قضاء تلعفر.\n\n"
            "ويعتبر الاستفتاء في كركوك من أبرز التحديات.",
            "political",
            "geonames:94787",
        ),
        # a state is no news of the day
        (
            "Iraqi forces on Monday recaptured the town of Tal Afar.\n\n"
            "Kirkuk, held by the Kurdish Peshmerga forces, is claimed by Baghdad.",
            "status",
            "geonames:94787",
        ),
        # a sentence opened by an earlier-event subordinator
        (
            "Iraqi forces on Monday recaptured the town of Tal Afar.\n\n"
            "After Kurdish fighters withdrew from Makhmur, the town was calm.",
            "withdrawal",
            "geonames:93818",
        ),
        # an Arabic pluperfect is background: «وكانت البيشمركة (قد) سيطرت على زمار»
        *(
            (
                f"دخلت القوات العراقية اليوم قضاء سنجار. وكانت البيشمركة {v} على ناحية زمار.",
                "control_change",
                "kcm:zummar",
            )
            for v in ("سيطرت قبل سنوات", "قد سيطرت")
        ),
    ],
)
def test_the_story_day_does_not_reach_background(text: str, event_type: str, place_id: str) -> None:
    events = _events(extract_article(text, published=P), event_type, place_id)
    assert events
    assert all(e.event_date is None for e in events)


@pytest.mark.parametrize(
    "text",
    [
        "Iraqi forces entered Sinjar on Monday.\n\nThe advance came after Iraqi forces seized Daquq.",
        "دخلت القوات العراقية قضاء سنجار يوم الاثنين.\n\nوجاء ذلك بعد أن سيطرت القوات العراقية على ناحية داقوق.",
    ],
)
def test_an_earlier_event_does_not_borrow_the_day_of_the_same_actors(text: str) -> None:
    """An event told in an "after" clause came before the news: the same actors' day elsewhere is not its own."""
    ex = extract_article(text, published=P)
    (sinjar,) = _events(ex, "control_change", "geonames:448149")
    (daquq,) = _events(ex, "control_change", "geonames:90220")
    assert sinjar.event_date == date(2017, 10, 16)
    assert (daquq.event_date, daquq.date_basis) == (None, None)


def test_the_same_actors_day_still_dates_a_later_report() -> None:
    text = "Iraqi forces seized Daquq and pushed north.\n\nIraqi forces entered Sinjar on Monday."
    (daquq,) = _events(extract_article(text, published=P), "control_change", "geonames:90220")
    assert (daquq.event_date, daquq.date_basis) == (date(2017, 10, 16), "same_event")


@pytest.mark.parametrize(
    "text",
    [
        "Iraqi forces entered Daquq on Monday. However, the militants retook the town weeks later.",
        "Iraqi forces entered Daquq on Monday.\n\nThe militants retook the town several days later, officers said.",
        "دخلت القوات العراقية ناحية داقوق يوم الاثنين. واستعاد المسلحون الناحية بعد أسابيع.",
    ],
)
def test_an_event_told_an_uncounted_time_later_borrows_no_day(text: str) -> None:
    """ "weeks later": the day written before is not its day, and no count says which day it is."""
    events = _events(extract_article(text, published=P), "control_change", "geonames:90220")
    assert [e.event_date for e in events if e.date_basis == "clause"] == [date(2017, 10, 16)]
    assert all(e.event_date is None for e in events if e.date_basis != "clause")
    assert len(events) == 2


@pytest.mark.parametrize(
    ("text", "absent", "present"),
    [
        # a capital named for its government is never the place taken
        ("سيطرت قوات موالية لبغداد على قضاء سنجار يوم الثلاثاء.", "geonames:98182", "geonames:448149"),
        # "the city" after the seat: no withdrawal from Erbil, which never changes hands
        (
            "Kurdish officials flew to Erbil on Tuesday. The peshmerga withdrew from the city.",
            "geonames:95446",
            None,
        ),
        # «سنجار بمحافظة نينوى» is Sinjar in Nineveh province, not a list of two places taken
        (
            "سيطرت القوات العراقية يوم الثلاثاء على مركز قضاء سنجار بمحافظة نينوى.",
            "kcm:gov-nineveh",
            "geonames:448149",
        ),
        ("دخلت القوات العراقية سنجار بمحافظة نينوى.", "kcm:gov-nineveh", "geonames:448149"),
        # unnamed areas in a governorate: the governorate only says where they are
        (
            "Iraqi forces on Tuesday captured three villages in the eastern Diyala province.",
            "kcm:gov-diyala",
            None,
        ),
        ("سيطرت القوات العراقية يوم الثلاثاء على مناطق في محافظة ديالى.", "kcm:gov-diyala", None),
        # ... also past a short relative about them, or a city's possessive
        (
            "Iraqi forces took control of areas previously held by Kurdish forces in Diyala province on Tuesday.",
            "kcm:gov-diyala",
            None,
        ),
        (
            "Iraqi forces on Tuesday took control of villages in Mosul's Nineveh province.",
            "kcm:gov-nineveh",
            None,
        ),
        (
            "استولت القوات العراقية يوم الثلاثاء على قرى كانت خاضعة لسيطرة المسلحين في محافظة ديالى.",
            "kcm:gov-diyala",
            None,
        ),
    ],
)
def test_a_seat_of_government_or_a_containing_governorate_is_not_the_place_taken(
    text: str, absent: str, present: str | None
) -> None:
    ex = extract_article(text, published=P)
    control = ("control_change", "withdrawal", "status")
    assert not [e for e in ex.events if e.place.place_id == absent and e.event_type in control]
    if present:
        assert _events(ex, "control_change", present)


def test_places_listed_with_and_are_still_both_taken() -> None:
    ex = extract_article("سيطرت القوات العراقية يوم الثلاثاء على سنجار وزمار.", published=P)
    assert _events(ex, "control_change", "geonames:448149") and _events(ex, "control_change", "kcm:zummar")


def test_fighting_in_a_seat_of_government_is_still_an_event() -> None:
    (attack,) = _events(
        extract_article("Gunmen attacked a checkpoint in Baghdad on Tuesday.", published=P),
        "clash",
        "geonames:98182",
    )
    assert attack.event_date == date(2017, 10, 17)


@pytest.mark.parametrize(
    ("text", "place_id", "day"),
    [
        # counted from the day written right before the count
        (
            "أمنت القوات العراقية ضواحي تلعفر اليوم الأربعاء بعد ثلاثة أيام من استعادتها السيطرة على ناحية ربيعة.",
            "kcm:rabia",
            date(2017, 10, 15),
        ),
        # a day of another clause («في 21 أيلول، وبدأ»): counted from the lead's day
        (
            "أعلنت القوات العراقية اليوم الأربعاء أنها دخلت قضاء تلعفر.\n\nوانطلقت معركة سنجار في 21 أيلول الماضي، "
            "وبدأ الهجوم الحاسم بعد يومين من استعادة القوات العراقية ناحية زمار.",
            "kcm:zummar",
            date(2017, 10, 16),
        ),
        (
            "Iraqi forces on Wednesday secured the outskirts of Tal Afar, two days after they recaptured Rabia.",
            "kcm:rabia",
            date(2017, 10, 16),
        ),
        (
            "Iraqi forces on Wednesday entered Sinjar a day after the capture of Zummar.",
            "kcm:zummar",
            date(2017, 10, 17),
        ),
    ],
)
def test_an_event_counted_back_from_another_day(text: str, place_id: str, day: date) -> None:
    events = _events(extract_article(text, published=P), "control_change", place_id)
    assert (day, "counted") in [(e.event_date, e.date_basis) for e in events]


@pytest.mark.parametrize(
    ("phrase", "day"),
    [("وفي اليوم ذاته", date(2017, 10, 17)), ("وفي اليوم نفسه", date(2017, 10, 17)), ("وفي اليوم التالي", P)],
)
def test_date_carries_over_only_when_the_text_says_so(phrase: str, day: date) -> None:
    text = f"دخلت القوات العراقية قضاء سنجار أمس الثلاثاء. {phrase} انسحبت البيشمركة من ناحية بعشيقة."
    ex = extract_article(text, published=P)
    (bashiqa,) = _events(ex, "withdrawal", "kcm:bashiqa")
    assert (bashiqa.event_date, bashiqa.date_precision) == (day, "day")


def test_english_same_day_and_controllers() -> None:
    text = (
        "Iraqi forces took control of Kirkuk on Monday, pushing Peshmerga fighters out. "
        "The same day, Peshmerga forces withdrew from Daquq and Iraqi troops entered the town."
    )
    ex = extract_article(text, published=P, lang="en")
    (kirkuk,) = _events(ex, "control_change", "geonames:94787")
    assert (kirkuk.event_date, kirkuk.controller_after, kirkuk.controller_before) == (
        date(2017, 10, 16),
        "isf",
        "krg",
    )
    (daquq,) = _events(ex, "control_change", "geonames:90220")
    assert daquq.event_date == date(2017, 10, 16)
    assert daquq.controller_before == "krg"  # the withdrawal folded into the change
    assert not _events(ex, "withdrawal", "geonames:90220")


@pytest.mark.parametrize(
    ("text", "actors"),
    [
        ("انتشرت البيشمركة في كركوك أمس", ("krg",)),
        ("انتشرت القوات العراقية في كركوك أمس", ("isf",)),
        ("انتشر الجيش العراقي في كركوك أمس", ("isf",)),
        ("انتشرت الشرطة الاتحادية في كركوك أمس", ("isf",)),
        ("انتشر جهاز مكافحة الإرهاب في كركوك أمس", ("isf",)),
        ("انتشر الحشد الشعبي في كركوك أمس", ("pmf",)),
        ("انتشرت القوات الأمريكية في كركوك أمس", ("us",)),
        ("انتشر مسلحو داعش في كركوك أمس", ("isis",)),
        ("Peshmerga fighters deployed in Kirkuk yesterday", ("krg",)),
        ("Federal Police deployed in Kirkuk yesterday", ("isf",)),
        ("Popular Mobilization Forces deployed in Kirkuk yesterday", ("pmf",)),
        ("U.S. troops deployed in Kirkuk yesterday", ("us",)),
    ],
)
def test_actors_from_cue_words(text: str, actors: tuple[str, ...]) -> None:
    ex = extract_article(text, published=P)
    (event,) = _events(ex, "deployment", "geonames:94787")
    assert event.actors == actors


@pytest.mark.parametrize(
    ("text", "event_type"),
    [
        ("سيطرت القوات العراقية على كركوك أمس", "control_change"),
        ("استعادت القوات العراقية كركوك أمس", "control_change"),
        ("دخلت القوات العراقية كركوك أمس", "control_change"),
        ("انسحبت البيشمركة من كركوك أمس", "withdrawal"),
        ("تمركزت قوات أمريكية في كركوك أمس", "deployment"),
        ("اندلعت اشتباكات في كركوك أمس", "clash"),
        ("نزح آلاف السكان من كركوك أمس", "displacement"),
        ("جرى الاستفتاء في كركوك أمس", "political"),
        ("Iraqi forces seized Kirkuk yesterday", "control_change"),
        ("Iraqi troops entered Kirkuk yesterday", "control_change"),
        ("Peshmerga forces withdrew from Kirkuk yesterday", "withdrawal"),
        ("Clashes broke out in Kirkuk yesterday", "clash"),
        ("Thousands fled Kirkuk yesterday", "displacement"),
        ("Kurds voted in the referendum in Kirkuk yesterday", "political"),
    ],
)
def test_event_cues(text: str, event_type: str) -> None:
    ex = extract_article(text, published=P)
    assert [e.event_type for e in ex.events if e.place.place_id == "geonames:94787"] == [event_type]
    assert ex.events[0].event_date == date(2017, 10, 17)


@pytest.mark.parametrize(
    "text",
    [
        "وتطالب الحكومة الاتحادية بتسلم منفذ فيشخابور الحدودي.",  # a demand, not an event
        "دخلت القوات قضاء مخمور من دون اشتباكات.",  # no clash
        "Baghdad wants federal troops to take over the crossing at Rabia.",
        "وقال إن القوة ستتمركز في كركوك.",  # future
    ],
)
def test_no_event_for_demands_negations_and_futures(text: str) -> None:
    ex = extract_article(text, published=P)
    assert not [e for e in ex.events if e.event_type in ("clash",) or "فيشخابور" in e.sentence or "Rabia" in e.sentence
                or "ستتمركز" in e.sentence]  # fmt: skip


_CC, _CLASH = "control_change", "clash"


@pytest.mark.parametrize(
    ("text", "event_type", "place_id"),
    [
        # an infinitive tells the aim: the offensive happened, the taking did not
        ("Iraqi forces launched an offensive to take Sinjar on Thursday.", _CC, "geonames:448149"),
        ("The army on Friday surrounded Falluja and readied an assault to retake it.", _CC, "geonames:99454"),
        # an intent or a threat is not the deed
        ("The army on Friday threatened a ground assault on Falluja.", _CLASH, "geonames:99454"),
        ("The fall of Sinjar on Friday is set to let the Peshmerga enter Tal Afar.", _CC, "geonames:90393"),
        ("وقالت مصادر يوم الجمعة إن القوات العراقية تستعد لاقتحام الفلوجة.", _CC, "geonames:99454"),
        # a hypothetical: "any offensive"
        ("On Friday the general said any offensive on Falluja would be costly.", _CLASH, "geonames:99454"),
        # advancing toward a place is not entering it, nor the governorate the district belongs to
        ("تقدمت قوات البيشمركة يوم الجمعة باتجاه قضاء سنجار.", _CC, "geonames:448149"),
        ("تقدمت القوات العراقية يوم الجمعة باتجاه قضاء سنجار، التابع لمحافظة نينوى.", _CC, "kcm:gov-nineveh"),
        # a river is where something is, never where it happens (and its point is its mouth)
        ("Iraqi forces on Tuesday took full control of the Tigris river town.", _CC, "kcm:tigris"),
        ("وشنت القوات العراقية يوم الثلاثاء هجوما على ضفاف نهر الفرات.", _CLASH, "kcm:euphrates"),
    ],
)
def test_no_event_for_aims_intents_hypotheticals_advances_toward_and_rivers(
    text: str, event_type: str, place_id: str
) -> None:
    assert not _events(extract_article(text, published=P), event_type, place_id)


@pytest.mark.parametrize(
    ("text", "event_type", "place_id"),
    [
        ("Kurdish forces began to withdraw from Makhmur on Tuesday.", "withdrawal", "geonames:93818"),
        ("Iraqi forces managed to retake Sinjar on Tuesday.", "control_change", "geonames:448149"),
        (
            "The Peshmerga left on Tuesday, allowing the militia to move into Sinjar.",
            "control_change",
            "geonames:448149",
        ),
        (
            "The attack on Daquq on Tuesday forced thousands of families, most of them Kurds, to flee the town.",
            "displacement",
            "geonames:90220",
        ),
    ],
)
def test_an_infinitive_after_a_verb_of_beginning_achieving_or_causing_is_a_deed(
    text: str, event_type: str, place_id: str
) -> None:
    (event,) = _events(extract_article(text, published=P), event_type, place_id)
    assert event.event_date == date(2017, 10, 17)


def test_dateline_place_is_not_an_event_place() -> None:
    ex = extract_article("أربيل - انتشرت القوات العراقية في كركوك أمس.", published=P)
    assert {e.place.place_id for e in ex.events} == {"geonames:94787"}
    assert "geonames:95446" in {p.place_id for p in ex.places}


@pytest.mark.parametrize(
    ("text", "published", "event_type", "day"),
    [
        # the dateline and the body in one sentence: the dateline's date is the publication's, not the event's
        ("كركوك - 19 تشرين الأول 2017: انتشرت قوات عراقية في داقوق أمس.", None, "deployment", date(2017, 10, 18)),
        ("كركوك - 19 تشرين الأول 2017 - انتشرت قوات عراقية في داقوق أمس.", None, "deployment", date(2017, 10, 18)),
        ("كركوك، 19 تشرين الأول 2017 — انتشرت قوات عراقية في داقوق أمس.", None, "deployment", date(2017, 10, 18)),
        ("العنوان\nكركوك - 19/10/2017: انسحبت البيشمركة من داقوق أمس.", None, "withdrawal", date(2017, 10, 18)),
        ("KIRKUK, Oct 19 (AFP) - Peshmerga forces withdrew from Daquq yesterday.", date(2017, 10, 19), "withdrawal",
         date(2017, 10, 18)),
        ("KIRKUK, Iraq, Oct 19, 2017 (Reuters) - Peshmerga forces withdrew from Daquq on Monday.", None,
         "withdrawal", date(2017, 10, 16)),
        ("KIRKUK, Iraq (Reuters) - Iraqi forces deployed in Daquq on Monday.", date(2017, 10, 19), "deployment",
         date(2017, 10, 16)),
    ],
    ids=["ar-colon", "ar-dash", "ar-comma-emdash", "ar-after-title", "en-afp", "en-reuters-dated", "en-reuters"],
)  # fmt: skip
def test_dateline_date_never_dates_an_event(
    text: str, published: date | None, event_type: str, day: date
) -> None:
    ex = extract_article(text, published=published)
    assert ex.published == date(2017, 10, 19)
    assert [(e.event_type, e.place.place_id, e.event_date) for e in ex.events] == [
        (event_type, "geonames:90220", day)  # Daquq; the dateline's Kirkuk is no event place either
    ]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("كركوك - الأربعاء، انتشرت قوات أمريكية في داقوق.", date(2017, 10, 18)),  # a weekday is no dateline
        ("16 أكتوبر: دخلت القوات العراقية داقوق.", date(2017, 10, 16)),  # a date without a year neither
        ("العنوان\n\nالخميس 19 أكتوبر 2017\n\nانتشرت قوات أمريكية في داقوق.", None),  # the dateline alone
    ],
    ids=["weekday", "no-year", "dateline-line"],
)
def test_dateline_is_found_by_position_only(text: str, day: date | None) -> None:
    ex = extract_article(text, published=P)
    assert [(e.place.place_id, e.event_date) for e in ex.events] == [("geonames:90220", day)]


def test_dateline_segments() -> None:
    from geodata.extract import dateline_segments

    text = "TUZ KHURMATU, Iraq, Oct 17, 2017 (AFP) -\n\nThousands fled Tuz Khurmatu on Monday."
    ex = extract_article(text)
    assert [text[a:b] for a, b in dateline_segments(text, ex.places, ex.dates)] == [
        "TUZ KHURMATU, Iraq, Oct 17, 2017 (AFP) -"
    ]
    text = "كركوك - 19 تشرين الأول 2017: انتشرت قوات عراقية في داقوق أمس."
    ex = extract_article(text)
    assert [text[a:b] for a, b in dateline_segments(text, ex.places, ex.dates)] == [
        "كركوك - 19 تشرين الأول 2017:"
    ]


def test_article_without_any_date() -> None:
    ex = extract_article("انتشرت قوات أمريكية في كركوك في إطار خطة أمنية.")
    assert ex.published is None and ex.dates == ()
    assert ex.warnings and "publication date" in ex.warnings[0]
    (event,) = ex.events
    assert event.event_date is None and event.date_precision is None and event.confidence < 0.5


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="lang must be"):
        extract_article("نص", lang="fr")
    with pytest.raises(InputError, match="must be a string"):
        extract_article(b"bytes")  # type: ignore[arg-type]


# ---------------------------------------------------------------- sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("دخلت القوات. انسحبت البيشمركة؟ نعم!", ["دخلت القوات.", "انسحبت البيشمركة؟", "نعم!"]),
        ("On Oct. 16 the U.S. said so. Then it left.", ["On Oct. 16 the U.S. said so.", "Then it left."]),
        ("العنوان\n\nالخميس 30 نوفمبر 2017\nالنص هنا", ["العنوان", "الخميس 30 نوفمبر 2017", "النص هنا"]),
        ("في 16 . 10 . 2017 دخلت القوات.", ["في 16 . 10 . 2017 دخلت القوات."]),
        ("It cost 1.5 million. Done", ["It cost 1.5 million.", "Done"]),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    from geodata.dates import find_dates

    spans = split_sentences(text, [(d.start, d.end) for d in find_dates(text)])
    assert [text[a:b] for a, b in spans] == sentences


# ---------------------------------------------------------------- reading files


def test_read_utf8_bom_and_nfc(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "كركوك".encode())
    assert read_article(path) == "كركوك"


def test_read_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("دخلت القوات كركوك".encode("utf-16"))
    assert read_article(path) == "دخلت القوات كركوك"


def test_read_windows_1256(tmp_path: Path, seed_text: str) -> None:
    path = tmp_path / "cp1256.txt"
    path.write_bytes(seed_text.encode("cp1256", errors="replace"))
    text = read_article(path)
    assert "انتشرت قوات أمريكية" in text and "كركوك" in text
    ex = extract_article(text)
    assert ex.published == THU_30_NOV and "kcm:k1-air-base" in {p.place_id for p in ex.places}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        (bytes(range(256)) * 4, "binary"),
    ],
    ids=["empty", "blank", "png", "all-bytes"],
)
def test_bad_files_name_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad article.txt"
    path.write_bytes(content)
    with pytest.raises(ArticleError, match=message) as info:
        read_article(path)
    assert "bad article.txt" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match=r"nope\.txt: cannot read"):
        read_article(tmp_path / "nope.txt")


@pytest.mark.slow
def test_five_megabytes_of_text(tmp_path: Path, seed_text: str) -> None:
    path = tmp_path / "big.txt"
    copies = 5_000_000 // len(seed_text.encode()) + 1
    path.write_text((seed_text + "\n") * copies, encoding="utf-8")
    text = read_article(path)
    assert len(text.encode()) >= 5_000_000
    ex = extract_article(text)
    assert ex.published == THU_30_NOV
    assert len(ex.places) >= 20 * copies
    assert {e.event_type for e in ex.events} >= {"deployment", "withdrawal", "control_change", "political"}


# ---------------------------------------------------------------- robustness

_PIECES = [
    "دخلت القوات العراقية قضاء سنجار أمس الثلاثاء",
    "، بعد انسحاب البيشمركة منه",
    "وفي اليوم ذاته",
    "انسحبت من ناحية بعشيقة",
    "«كي-1»",
    "Iraqi forces took control of Kirkuk on Monday",
    " after Peshmerga forces withdrew",
    "الخميس 30 نوفمبر 2017",
    "\n",
    ". ",
    "؟",
    "ـ",
    "َ",
    "<b>",
    "U.S.",
    "16/10/2017",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12))
def test_extraction_never_crashes_and_spans_index_the_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    ex = extract_article(text, published=P)
    for p in ex.places:
        assert text[p.start : p.end] == p.mention
    for d in ex.dates:
        assert text[d.start : d.end] == d.text
    for e in ex.events:
        assert text[e.start : e.end] == e.sentence
        assert e.event_type in EVENT_TYPES and 0 < e.confidence < 1
        assert e.event_date is None or e.date_precision in ("day", "week", "month")


@pytest.mark.parametrize("word", ["كركوك", "دخلت القوات كركوك", "أربيل"])
def test_read_short_windows_1256(tmp_path: Path, word: str) -> None:
    path = tmp_path / "short.txt"
    path.write_bytes(word.encode("cp1256"))
    assert read_article(path) == word


def test_diacritics_and_tatweel_change_nothing(seed_text: str, seed) -> None:
    marked = (
        seed_text.replace("انسحبت", "انسَحَبَت").replace("الأربعاء", "الأربعاءِ").replace("سيطرت", "سيطـرت")
    ).replace("كركوك", "كَركوك")
    ex = extract_article(marked)
    assert sorted((e.event_type, e.place.place_id, e.event_date) for e in ex.events) == sorted(
        (e.event_type, e.place.place_id, e.event_date) for e in seed.events
    )
    assert all(marked[e.start : e.end] == e.sentence for e in ex.events)


# ---------------------------------------------------------------- issue 9: failure classes of real reporting

FRI_20_OCT = date(2017, 10, 20)
MON, TUE = date(2017, 10, 16), date(2017, 10, 17)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # hand-over verbs in every form, passives
        (
            "سلّمت قوات البيشمركة مدينة خانقين إلى الشرطة المحلية يوم الثلاثاء.",
            {("control_change", "خانقين", TUE)},
        ),
        ("وسُلّمت ناحية بعشيقة إلى قوات الجيش يوم الاثنين.", {("control_change", "بعشيقة", MON)}),
        ("وأُعيدت السيطرة على قضاء سنجار يوم الثلاثاء.", {("control_change", "سنجار", TUE)}),
        ("Khanaqin was handed over to the federal police on Tuesday.", {("control_change", "Khanaqin", TUE)}),
        # phrasal and periphrastic English
        ("Iraqi forces began to withdraw from Sinjar on Tuesday.", {("withdrawal", "Sinjar", TUE)}),
        ("The Peshmerga gave up Bashiqa on Tuesday.", {("withdrawal", "Bashiqa", TUE)}),
        (
            "Iraqi troops launched an assault on Altun Kupri on Friday.",
            {("clash", "Altun Kupri", FRI_20_OCT)},
        ),
        (
            "Sinjar is now under the full control of the Iraqi army, officials said on Wednesday.",
            {("control_change", "Sinjar", date(2017, 10, 18))},
        ),
        # lists
        (
            "دخلت القوات خانقين وجلولاء ومخمور يوم الاثنين.",
            {
                ("control_change", "خانقين", MON),
                ("control_change", "وجلولاء", MON),
                ("control_change", "ومخمور", MON),
            },
        ),
        (
            "Iraqi forces took Rabia and Zummar, as well as the Mosul dam, on Tuesday.",
            {
                ("control_change", "Rabia", TUE),
                ("control_change", "Zummar", TUE),
                ("control_change", "Mosul dam", TUE),
            },
        ),
        # a designator with «و» separates a list; the subdistrict the gazetteer lacks gets its event too (issue 9)
        (
            "استعادت القوات العراقية يوم الثلاثاء سد الموصل وناحية العوينات وقضاء سنجار وناحية ربيعة.",
            {
                ("control_change", "سد الموصل", TUE),
                ("control_change", "العوينات", TUE),
                ("control_change", "سنجار", TUE),
                ("control_change", "ربيعة", TUE),
            },
        ),
        # what a site is («آبار نفط», «حقول نفط», «العسكرية») does not end a list
        (
            "استعادت القوات يوم الاثنين قاعدة كي 1 العسكرية ومشروع ري كركوك وابار نفط الدبس و حقول نفط بابا كركر.",
            {
                ("control_change", "قاعدة كي 1", MON),
                ("control_change", "الدبس", MON),
                ("control_change", "بابا كركر", MON),
            },
        ),
        # an object pronoun right after the verb («استولى عليها», "seized it") is its place, not a later one
        (
            # (entered: an advance only toward the base, «تقدمت القوات نحو قاعدة K1», does not take it)
            "دخلت القوات قاعدة K1 يوم الاثنين. وقد استولى عليها عناصر البيشمركة في يونيو 2014 بعيد سقوط "
            "الموصل بأيدي داعش.",
            {("control_change", "قاعدة K1", MON), ("control_change", "قاعدة K1", date(2014, 6, 1))},
        ),
        # "control over X" is no dispute "over X"; "tightened their control" is taking it
        ("Iraqi forces took control over Sinjar on Tuesday.", {("control_change", "Sinjar", TUE)}),
        (
            "Iraqi forces took Sinjar on Monday. They reportedly tightened their control, on the same day, over "
            "the Rabia border crossing.",
            {("control_change", "Sinjar", MON), ("control_change", "Rabia border crossing", MON)},
        ),
        ("The dispute over Kirkuk escalated on Tuesday.", set()),
        # a capital named as its government is no event place; named as a place, it is
        ("وانتهت الإثنين معركة استمرت ليلة واحدة حسبما خططت له بغداد.", set()),
        ("Clashes broke out on Tuesday in the standoff with Baghdad.", set()),
        ("Clashes erupted in Baghdad on Tuesday.", {("clash", "Baghdad", TUE)}),
        # an attempt is not the deed; "Peshmerga-held" states who holds the place
        (
            "Iraqi forces clashed with Peshmerga on Tuesday in an effort to establish control over the "
            "Peshmerga-held Sinjar.",
            {("clash", "Sinjar", TUE), ("status", "Sinjar", TUE)},
        ),
        ("البيشمركة تحاول إيقاف تقدم القوات العراقية نحو زمار يوم الثلاثاء.", set()),
        # a relative clause about an actor ("the peshmerga which withdrew") borrows no place from before
        (
            "Iraqi police took Khanaqin on Tuesday. The peshmerga which withdrew last month will return to "
            "their base.",
            {("control_change", "Khanaqin", TUE)},
        ),
        # an event told in an "after" clause is background: no date from the paragraph
        (
            "Iraqi forces attacked Hawija on Friday. The operation came as tensions ran high after the "
            "Kurdistan Region held a referendum.",
            {("clash", "Hawija", FRI_20_OCT), ("political", "Kurdistan Region", None)},
        ),
        # attachment: the place the verb governs, not a locator nor a country named in passing
        (
            "On Monday, Iraqi forces seized Kirkuk amid tension between Baghdad and Erbil over last month's "
            "referendum on Kurdish independence.",
            {("control_change", "Kirkuk", MON)},
        ),
        ("In Nineveh province, police took over Sinjar on Tuesday.", {("control_change", "Sinjar", TUE)}),
        (
            "There were clashes in Altun Kupri, between Kirkuk and Erbil, on Friday.",
            {("clash", "Altun Kupri", FRI_20_OCT)},
        ),
        ("Kurdish forces withdrew from a village southeast of Mosul on Monday.", set()),
        # the oil field is not Havana (Cuba) nor Kirkuk: a place the gazetteer lacks, placed near Kirkuk (issue 9)
        (
            "Iraqi forces entered the Havana oil field, west of Kirkuk, on Tuesday.",
            {("control_change", "Havana", TUE)},
        ),
        (
            "Iraqi forces seized control of the northwestern Mosul's Sinjar district on Tuesday.",
            {("control_change", "Sinjar", TUE)},
        ),
        ("It follows measures taken by Baghdad against Erbil on Tuesday.", set()),
        (
            "أحكمت القوات العراقية قبضتها على مدينة كركوك يوم الاثنين، حسبما خططت له بغداد.",
            {("control_change", "كركوك", MON)},
        ),
        # dates
        ("وقعت اشتباكات في ناحية التون كوبري بعد ظهر اليوم.", {("clash", "التون كوبري", FRI_20_OCT)}),
        (
            "دخلت القوات العراقية كركوك منتصف الليلة الماضية.",
            {("control_change", "كركوك", date(2017, 10, 19))},
        ),
        (
            "سيطرت القوات العراقية على سنجار في 15 أكتوبر، 2017.",
            {("control_change", "سنجار", date(2017, 10, 15))},
        ),
        (
            "Iraqi forces entered Kirkuk on Monday. Five days later they took Altun Kupri.",
            {("control_change", "Kirkuk", MON), ("control_change", "Altun Kupri", date(2017, 10, 21))},
        ),
        (
            "انسحبت البيشمركة من خانقين يوم الاثنين، وبعد ثلاثة أيام دخلت القوات العراقية جلولاء.",
            {("withdrawal", "خانقين", MON), ("control_change", "جلولاء", date(2017, 10, 19))},
        ),
        # negation
        ("ولم تنسحب قوات البيشمركة من مخمور يوم الثلاثاء.", set()),
        ("Kurdish forces did not withdraw from Makhmour on Tuesday.", set()),
        ("Iraqi forces are seeking to take place in Kirkuk.", set()),
        # dates from names are no dates
        ("وقعت اشتباكات في حي 1 حزيران في كركوك.", {("clash", "كركوك", None)}),
        ("Iraq Today reported that Iraqi forces entered Kirkuk.", {("control_change", "Kirkuk", None)}),
    ],
)
def test_real_reporting_failure_classes(text: str, want: set[tuple[str, str, date | None]]) -> None:
    ex = extract_article(text, published=FRI_20_OCT)
    assert {(e.event_type, e.place.mention, e.event_date) for e in ex.events} == want


def test_a_country_named_in_passing_gets_no_local_event() -> None:
    ex = extract_article(
        "The Peshmerga withdrew from Sinjar on Tuesday. Iraqi forces entered Iran and Sinjar.",
        published=FRI_20_OCT,
    )
    assert "geonames:130758" in {p.place_id for p in ex.places}
    assert all(e.place.kind != "country" for e in ex.events)


def test_names_of_outlets_and_governments_are_not_places() -> None:
    ex = extract_article("ذكرت صحيفة العراق اليوم أن حكومة إقليم كردستان رفضت القرار.", published=FRI_20_OCT)
    assert ex.places == () and ex.dates == ()


def test_an_infobox_date_dates_events_the_text_leaves_undated_but_is_no_publication_date() -> None:
    text = "Iraqi–Kurdish conflict\n\nDate: 15–27 October 2017\nLocation: northern Iraq\n\nIraqi forces took Sinjar."
    ex = extract_article(text, lang="en")
    assert ex.published is None
    (sinjar,) = _events(ex, "control_change", "geonames:448149")
    assert (sinjar.event_date, sinjar.date_end, sinjar.date_basis) == (
        date(2017, 10, 15),
        date(2017, 10, 27),
        "labelled",
    )


def test_a_list_goes_on_past_names_the_gazetteer_does_not_know() -> None:
    text = "استعادت القوات العراقية يوم الثلاثاء السيطرة على جلولاء، قرية مجهولة، خانقين، ومخمور."
    ex = extract_article(text, published=FRI_20_OCT)
    assert {e.place.place_id for e in ex.events if e.event_type == "control_change"} == {
        "kcm:jalawla",
        "geonames:94591",
        "geonames:93818",
    }


def test_a_pluperfect_keeps_a_date_of_its_own() -> None:
    ex = extract_article(
        "دخلت القوات العراقية اليوم قضاء سنجار. وكانت البيشمركة قد سيطرت على ناحية زمار في آب 2014.",
        published=P,
    )
    assert [e.event_date.year for e in ex.events if e.place.place_id == "kcm:zummar" if e.event_date] == [
        2014
    ]


@pytest.mark.parametrize(
    "text",
    ["ونزح آلاف من كركوك أمس، وتوجه النازحين إلى أربيل.", "وتوجهت العائلات النازحة أمس إلى أربيل."],
)
def test_civilians_heading_somewhere_are_no_deployment(text: str) -> None:
    ex = extract_article(text, published=P)
    assert not [e for e in ex.events if e.event_type == "deployment"]


@pytest.mark.parametrize(
    ("text", "event"),
    [
        # a governorate taken itself keeps its event, a relative clause about it too
        *(
            (text, ("kcm:gov-diyala", "control_change", date(2017, 10, 17)))
            for text in (
                "Iraqi forces on Tuesday took control of Diyala province, which Kurdish forces had held.",
                "سيطرت القوات العراقية يوم الثلاثاء على محافظة ديالى التي كانت خاضعة للمسلحين.",
            )
        ),
        # a column heading to a place is a deployment
        ("وتوجه رتل من البيشمركة صباح اليوم إلى ناحية زمار.", ("kcm:zummar", "deployment", P)),
        # a control gained, assumed or restored is a control change
        *(
            (f"On Monday, {s} the K-1 air base.", ("kcm:k1-air-base", "control_change", date(2017, 10, 16)))
            for s in (
                "security forces have gained full control of",
                "federal police assumed control of",
                "the army restored control over",
            )
        ),
        # what an event answers is its cause, not news: no political event at Kirkuk, and not the capture's date
        *(
            (text, ("geonames:94787", "control_change", date(2017, 10, 16)))
            for text in (
                "Responding to a Kurdish referendum on independence held last month, Iraqi forces captured Kirkuk "
                "on Monday.",
                "In response to the referendum held last month, Iraqi forces captured Kirkuk on Monday.",
                "ورداً على استفتاء أجراه الأكراد الشهر الماضي دخلت القوات العراقية كركوك يوم الإثنين.",
            )
        ),
        # a relative clause about unnamed places («المواقع التي كانت تسيطر عليها») is not about the place before
        (
            "وانتشرت القوات العراقية اليوم في سنجار، وعادت البيشمركة إلى المواقع التي كانت تسيطر عليها في يونيو 2014.",
            ("geonames:448149", "deployment", P),
        ),
        (
            "Iraqi forces deployed in Sinjar on Tuesday and the Peshmerga returned to the areas that were held by them "
            "in 2014.",
            ("geonames:448149", "deployment", date(2017, 10, 17)),
        ),
        # a place among the unnamed positions keeps their relative clause
        (
            "وسد الموصل من بين المواقع التي استعادتها القوات العراقية أمس.",
            ("kcm:mosul-dam", "control_change", date(2017, 10, 17)),
        ),
    ],
)
def test_the_sentence_gives_this_one_event(text: str, event: tuple[str, str, date]) -> None:
    ex = extract_article(text, published=P)
    assert [(e.place.place_id, e.event_type, e.event_date) for e in ex.events] == [event]


KIRKUK_ERBIL_BAGHDAD = ("geonames:94787", "geonames:95446", "geonames:98182")


@pytest.mark.parametrize(
    "text",
    [
        # the ends of a road are not where the fighting is
        "Clashes broke out on Friday between Iraqi troops and Kurdish fighters on the Kirkuk-Erbil highway.",
        "Heavy fighting erupted on Friday on the road linking Kirkuk and Erbil.",
        "اندلعت اشتباكات يوم الجمعة بين الجيش والمقاتلين الأكراد عند طريق كركوك - أربيل.",
        "اندلعت اشتباكات يوم الجمعة على الطريق الدولي بين أربيل وكركوك.",
        # a city whose government acts ("Baghdad's attempt", "Erbil's decision") stands for its government
        "The fighting on Monday is part of Baghdad's attempt to control all territory in the north.",
        "Clashes on Monday followed Erbil's decision to hold the vote.",
    ],
)
def test_a_road_end_or_a_government_is_no_event_place(text: str) -> None:
    ex = extract_article(text, published=P)
    assert not [e for e in ex.events if e.place.place_id in KIRKUK_ERBIL_BAGHDAD]


@pytest.mark.parametrize(
    ("text", "places"),
    [
        # where a source sits is not where it happened
        (
            "According to official sources in the province of Diyala, violent clashes broke out on Saturday in the "
            "center of the district of Khanaqin.",
            ["geonames:94591"],
        ),
        ("Clashes broke out on Saturday, officials in Kirkuk said.", []),
        ("وقال مصدر أمني في كركوك إن اشتباكات اندلعت يوم السبت.", []),
        # a place on the road, and a city's own districts, keep their event
        (
            "Clashes broke out on Friday in Altun Kupri, on the road between Kirkuk and Erbil.",
            ["kcm:altun-kupri"],
        ),
        ("Fighting broke out on Monday in Kirkuk's southern districts.", ["geonames:94787"]),
    ],
)
def test_the_events_are_at_these_places(text: str, places: list[str]) -> None:
    ex = extract_article(text, published=P)
    assert [e.place.place_id for e in ex.events] == places


@pytest.mark.parametrize(
    ("text", "places"),
    [
        # "including" and «بينها» list the places inside what was taken: each is taken too
        (
            "On Monday Iraqi forces retook control of the entire Kirkuk Governorate, including the city of Kirkuk, "
            "K-1 Air Base and Altun Kupri.",
            ["kcm:gov-kirkuk", "geonames:94787", "kcm:k1-air-base", "kcm:altun-kupri"],
        ),
        (
            "On Monday Iraqi forces captured several towns, including Tuz Khurmatu, Daquq and Altun Kupri.",
            ["geonames:90026", "geonames:90220", "kcm:altun-kupri"],
        ),
        # a locator stays a locator; what is listed inside it is not
        (
            "سيطرت القوات العراقية أمس على مناطق في محافظة نينوى بينها سد الموصل وسنجار.",
            ["kcm:mosul-dam", "geonames:448149"],
        ),
        # an adjective of the site («العسكري») and a repeated «وعلى» go on with the list
        (
            "استعادت القوات العراقية أمس السيطرة على حقول نفطية ومطار كركوك العسكري وعلى قاعدة «كيه 1».",
            ["kcm:kirkuk-airport", "kcm:k1-air-base"],
        ),
    ],
)
def test_a_list_of_what_was_included_gets_the_event(text: str, places: list[str]) -> None:
    ex = extract_article(text, published=P)
    assert [e.place.place_id for e in ex.events if e.event_type == "control_change"] == places


@pytest.mark.parametrize(
    ("text", "place"),
    [
        # a settlement's name one edit off, after a designator, is that settlement
        ("اندلعت معارك في بلدة طوزخوماتو ليل السبت.", "geonames:90026"),
        ("Clashes erupted on Monday in the town of Khanaquin.", "geonames:94591"),
        # an English "region of" / "region" after a governorate seat's name is the province
        ("Iraqi forces captured the oil-rich region of Kirkuk on Monday.", "kcm:gov-kirkuk"),
        ("Iraqi forces entered the Kirkuk region on Monday.", "kcm:gov-kirkuk"),
    ],
)
def test_the_event_is_at_the_place_meant(text: str, place: str) -> None:
    ex = extract_article(text, published=P)
    assert [e.place.place_id for e in ex.events] == [place]


def test_a_misspelt_village_far_from_its_district_is_another_place() -> None:
    # Mahmudiyah (south of Baghdad) is one edit from "Mahmoudiya", but this one is in the Tal Afar district
    ex = extract_article(
        "Clashes broke out on Thursday around the village of Mahmoudiya in the Tal Afar district.",
        published=P,
    )
    assert [e.place.place_id for e in ex.events] == ["unresolved:mahmoudiya"]


def test_a_count_back_from_a_verbal_noun_with_its_article() -> None:
    ex = extract_article(
        "قال الجيش اليوم الأربعاء إن القوات بدأت الهجوم. وتحركت القوات صوب الحويجة بعد يومين من السيطرة على "
        "قاعدة الرشاد الجوية.",
        published=date(2017, 10, 4),
    )
    got = {(e.place.mention, e.event_date) for e in ex.events if e.event_type == "control_change"}
    assert ("الرشاد", date(2017, 10, 2)) in got


@pytest.mark.parametrize(
    ("text", "event"),
    [
        # a place that became held changed hands, the subject between the verb and the state (Arabic is verb-first)
        ("باتت ناحية ربيعة اليوم تحت سيطرة القوات العراقية.", ("kcm:rabia", "control_change", P)),
        ("سقطت مدينة سنجار بيد التنظيم في آب 2014.", ("geonames:448149", "control_change", date(2014, 8, 1))),
        (
            "Sinjar came under the control of Iraqi forces on Tuesday.",
            ("geonames:448149", "control_change", date(2017, 10, 17)),
        ),
        (
            "Zummar fell into the hands of Iraqi forces on Tuesday.",
            ("kcm:zummar", "control_change", date(2017, 10, 17)),
        ),
        # «لا تزال», «ما زالت» say "still": a state, not a negation
        ("لا تزال مخمور تحت سيطرة البيشمركة اليوم.", ("geonames:93818", "status", P)),
        ("ما زالت مخمور بيد البيشمركة اليوم.", ("geonames:93818", "status", P)),
        # «تعرضت ... لقصف»: came under shelling, a deed and not a purpose
        ("تعرضت مواقع البيشمركة في مخمور أمس لقصف مدفعي.", ("geonames:93818", "clash", date(2017, 10, 17))),
        (
            "Iraqi forces massed near Altun Kupri on Tuesday.",
            ("kcm:altun-kupri", "deployment", date(2017, 10, 17)),
        ),
    ],
)
def test_states_that_changed_and_states_that_held(text: str, event: tuple[str, str, date]) -> None:
    ex = extract_article(text, published=P)
    assert [(e.place.place_id, e.event_type, e.event_date) for e in ex.events] == [event]


@pytest.mark.parametrize(
    "text",
    [
        "ولم تنسحب البيشمركة من مخمور أمس.",  # a negation still negates
        "أرسلت القوات تعزيزات أمس لقصف مخمور.",  # «لقصف» after a deed of its own is its purpose
    ],
)
def test_no_withdrawal_and_no_shelling_here(text: str) -> None:
    ex = extract_article(text, published=P)
    assert not [e for e in ex.events if e.event_type in ("withdrawal", "clash")]


def test_plural_designators_are_no_names() -> None:
    ex = extract_article("سيطرت القوات العراقية أمس على مدن وبلدات عدة في محافظة نينوى.", published=P)
    assert not [p for p in ex.places if p.place_id.startswith("unresolved:")]


def test_a_relative_clause_is_about_the_place_named_before_its_pronoun() -> None:
    # Mosul, not Makhmour (the subject) nor Nineveh (which only says where Mosul is)
    ex = extract_article(
        "وتبعد بلدة مخمور مسافة 75 كم جنوب شرقي مدينة الموصل بمحافظة نينوى التي سيطر عليها التنظيم في حزيران 2014.",
        published=P,
    )
    assert [(e.place.place_id, e.event_type) for e in ex.events] == [("geonames:99072", "control_change")]


def test_two_political_events_of_two_clauses_are_both_kept() -> None:
    ex = extract_article(
        "فرضت السلطات يوم الإثنين حظر تجوال في كركوك، فيما ينظم إقليم كردستان استفتاء حول الاستقلال.",
        published=date(2017, 9, 25),
    )
    got = {e.place.place_id for e in ex.events if e.event_type == "political"}
    assert got == {"geonames:94787", "kcm:kurdistan-region"}


@pytest.mark.parametrize(
    ("text", "places"),
    [
        # "and other areas in" lists the governorate, taken in part, with the place before it
        (
            "أعلن الجيش أمس سيطرته على سد الموصل ومناطق أخرى في محافظة نينوى.",
            ["kcm:mosul-dam", "kcm:gov-nineveh"],
        ),
        (
            "Iraqi forces took the Mosul Dam and other areas in Nineveh province on Monday.",
            ["kcm:mosul-dam", "kcm:gov-nineveh"],
        ),
        # a place in a governorate, or unnamed areas in it, do not
        ("Iraqi forces took the Mosul Dam in Nineveh province on Monday.", ["kcm:mosul-dam"]),
        ("Iraqi forces captured three areas in Diyala province on Monday.", []),
    ],
)
def test_other_areas_of_a_governorate(text: str, places: list[str]) -> None:
    ex = extract_article(text, published=P)
    assert [e.place.place_id for e in ex.events] == places


@pytest.mark.parametrize(
    "text",
    [
        "In June 2014 the Peshmerga seized Rabia and Zummar. Two months later, IS forces took both places.",
        "سيطرت البيشمركة على ربيعة وزمار في حزيران 2014. وبعد شهرين استعاد التنظيم البلدتين.",
    ],
)
def test_a_plural_anaphor_speaks_of_the_places_listed_before(text: str) -> None:
    ex = extract_article(text, published=P)
    later = {e.place.place_id for e in ex.events if e.event_date == date(2014, 8, 1)}
    assert later == {"kcm:rabia", "kcm:zummar"}


@pytest.mark.parametrize(
    "text",
    [
        # «سيطرة» is also a checkpoint in Iraqi usage
        "وأغلقت البيشمركة أمس السيطرة الرئيسية قرب زمار.",
        "وقالت المصادر إن إغلاق السيطرة قرب زمار جاء أمس.",
        "تتواجد البيشمركة أمس عند سيطرة بازاركا قرب زمار.",
        # an intention or a fear is not the deed
        "عبر الأكراد أمس عن مخاوف من قيام القوات العراقية بالسيطرة على معبر زمار.",
        "ينوي الجيش السيطرة على زمار.",
    ],
)
def test_no_control_change_at_a_checkpoint_or_in_a_fear(text: str) -> None:
    ex = extract_article(text, published=P)
    assert not [e for e in ex.events if e.event_type == "control_change"]


def test_control_still_reads_as_control() -> None:
    for text in ("فرضت القوات أمس السيطرة على زمار.", "استعادت القوات أمس السيطرة الكاملة على زمار."):
        ex = extract_article(text, published=P)
        assert [(e.place.place_id, e.event_type) for e in ex.events] == [("kcm:zummar", "control_change")], (
            text
        )


@pytest.mark.parametrize(
    ("text", "event"),
    [
        # the places listed before a passive are its subject: all of them
        (
            "On Monday, Daquq, Jalawla and Mandali were all abandoned.",
            ("withdrawal", ["geonames:90220", "kcm:jalawla", "geonames:93709"]),
        ),
        (
            "On Tuesday, Bashiqa, Makhmour and Rabia were all turned over to Iraqi forces.",
            ("control_change", ["kcm:bashiqa", "geonames:93818", "kcm:rabia"]),
        ),
    ],
)
def test_a_list_before_a_passive_gets_the_event(text: str, event: tuple[str, list[str]]) -> None:
    ex = extract_article(text, published=P)
    etype, places = event
    assert [e.place.place_id for e in ex.events if e.event_type == etype] == places


@pytest.mark.parametrize(
    ("text", "events"),
    [
        # an operation named by its aim is no control change; its launch is the fighting's start
        ("وأعلن أمس عن انطلاق عملية تحرير قضاء تلعفر.", [("geonames:90393", "clash")]),
        ("وقتل جنديان أمس ضمن عمليات تحرير قضاء تلعفر.", []),
        ("وأعلنت القيادة أمس تحرير قضاء تلعفر.", [("geonames:90393", "control_change")]),
        # «وصولاً إلى»: "all the way to", no arrival
        ("حررت القوات أمس قرية كرمليس وصولاً إلى الموصل.", [("kcm:karemlash", "control_change")]),
        # "since <day>" dates the clause before it
        ("KDP peshmergas have evacuated Makhmour since last night.", [("geonames:93818", "withdrawal")]),
    ],
)
def test_operations_and_prepositions(text: str, events: list[tuple[str, str]]) -> None:
    ex = extract_article(text, published=P)
    assert [(e.place.place_id, e.event_type) for e in ex.events if e.event_date is not None] == events


@pytest.mark.parametrize(
    ("text", "events"),
    [
        # a liberation announced, a victory claimed, a town's fall: control changes
        ("On Tuesday the army announced the liberation of Tal Afar.", [("geonames:90393", "control_change")]),
        ("Iraqi forces declared victory in Hawija on Tuesday.", [("geonames:390188", "control_change")]),
        ("The fall of Mosul in June 2014 shocked Baghdad.", [("geonames:99072", "control_change")]),
        # "only to withdraw" is what happened next, not an aim
        (
            "The Kurds claimed victory in Zumar in September 2014, only to withdraw from the town again.",
            [("kcm:zummar", "control_change"), ("kcm:zummar", "withdrawal")],
        ),
        # a step towards a liberation, or a plan for it, is none
        ("Abadi said on Tuesday it was an important step towards the liberation of Mosul.", []),
        ("A plan for the liberation of Mosul was discussed on Tuesday.", []),
    ],
)
def test_liberations_and_victories(text: str, events: list[tuple[str, str]]) -> None:
    ex = extract_article(text, published=P)
    assert [(e.place.place_id, e.event_type) for e in ex.events if e.event_date is not None] == events


@pytest.mark.parametrize(
    ("text", "events"),
    [
        # an operation launched to take a place is the fighting's start there
        (
            "On Sunday Abadi declared the start of an operation to retake control of Tal Afar.",
            [("geonames:90393", "clash")],
        ),
        (
            "Iraqi forces launched a major offensive to retake Hawija on Thursday.",
            [("geonames:390188", "clash")],
        ),
        # a plan or a wish is none
        ("Iraqi forces plan an offensive to retake Hawija, officials said on Thursday.", []),
        ("The Peshmerga want to retake Kirkuk, they said on Monday.", []),
        # "freed"
        ("On Saturday the troops freed the town of Zummar.", [("kcm:zummar", "control_change")]),
    ],
)
def test_operations_launched_and_places_freed(text: str, events: list[tuple[str, str]]) -> None:
    ex = extract_article(text, published=P)
    assert [(e.place.place_id, e.event_type) for e in ex.events if e.event_date is not None] == events


def test_security_imposed_on_other_areas_of_two_governorates() -> None:
    ex = extract_article(
        "وأعلنت القيادة فجر الأربعاء إكمال فرض الأمن على مناطق في كركوك، وعلى مناطق أخرى في محافظتي ديالى ونينوى "
        "بينها سد الموصل.",
        published=P,
    )
    got = {e.place.place_id for e in ex.events if e.event_type == "control_change"}
    assert {"kcm:gov-diyala", "kcm:gov-nineveh", "kcm:mosul-dam"} <= got
    # the command's name is no event
    ex = extract_article("وأعلنت قيادة عمليات فرض الأمن في كركوك أمس بيانا.", published=P)
    assert not ex.events


def test_an_operation_named_first_and_launched_after() -> None:
    ex = extract_article(
        "The operation to retake Tikrit began on March 2, officials said.", published=date(2015, 4, 1)
    )
    assert [(e.place.place_id, e.event_type, e.event_date) for e in ex.events] == [
        ("geonames:90150", "clash", date(2015, 3, 2))
    ]
    ex = extract_article(
        "The operation to retake Tikrit will take weeks, officials said on Tuesday.", published=P
    )
    assert not ex.events


def test_a_list_goes_on_past_short_asides_and_governorate_spellings() -> None:
    ex = extract_article(
        "ISIS seized a number of governorates on Tuesday, including Ninawi and Salaheddin (north), Diyala (east), "
        "and Anbar (west).",
        published=P,
    )
    assert [e.place.place_id for e in ex.events] == [
        "kcm:gov-nineveh",
        "kcm:gov-salahaddin",
        "kcm:gov-diyala",
        "kcm:gov-anbar",
    ]


def test_a_place_cleared_is_taken() -> None:
    ex = extract_article("طهرت القوات أمس قرية زرداوة قرب كركوك.", published=P)
    assert [(e.place.mention, e.event_type) for e in ex.events] == [("زرداوة", "control_change")]
