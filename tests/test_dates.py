"""Tests of geodata.dates: every date form seen in the reporting, offsets into the original text, datelines."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.dates import DateMention, find_dates, normalise, read_publication_date
from tests.conftest import SEED_DIR

THU_30_NOV = date(2017, 11, 30)  # the seed article's publication date
WED_18_OCT = date(2017, 10, 18)
MON_16_OCT = date(2017, 10, 16)


@pytest.fixture(scope="module")
def seed_text() -> str:
    return (SEED_DIR / "000_0d09db86305241cb.txt").read_text(encoding="utf-8")


# (text, published, expected span text, date, precision, date_end, rule)
FORMS = [
    # Gregorian, Levantine (with and without hamza), double names in either order, with/without slash and spaces
    ("16 أكتوبر 2017", None, "16 أكتوبر 2017", date(2017, 10, 16), "day", None, "day_month"),
    ("جرى ذلك يوم 25 سبتمبر", WED_18_OCT, "25 سبتمبر", date(2017, 9, 25), "day", None, "day_month"),
    ("17 تشرين الأول 2017", None, "17 تشرين الأول 2017", date(2017, 10, 17), "day", None, "day_month"),
    ("17 تشرين الاول 2017", None, "17 تشرين الاول 2017", date(2017, 10, 17), "day", None, "day_month"),
    ("في 29 تشرين الثاني", THU_30_NOV, "29 تشرين الثاني", date(2017, 11, 29), "day", None, "day_month"),
    ("16 أكتوبر/تشرين الأول 2017", None, "16 أكتوبر/تشرين الأول 2017", MON_16_OCT, "day", None, "day_month"),
    (
        "في 16 تشرين الأول/أكتوبر الجاري",
        WED_18_OCT,
        "16 تشرين الأول/أكتوبر الجاري",
        MON_16_OCT,
        "day",
        None,
        "day_month",
    ),
    ("16 تشرين الأول / أكتوبر", WED_18_OCT, "16 تشرين الأول / أكتوبر", MON_16_OCT, "day", None, "day_month"),
    ("في ايلول سبتمبر", WED_18_OCT, "ايلول سبتمبر", date(2017, 9, 1), "month", date(2017, 9, 30), "month"),
    (
        "16 أكتوبر/تشرين الأول الماضي",
        THU_30_NOV,
        "16 أكتوبر/تشرين الأول الماضي",
        MON_16_OCT,
        "day",
        None,
        "day_month",
    ),
    (
        "25 سبتمبر/أيلول الماضي",
        THU_30_NOV,
        "25 سبتمبر/أيلول الماضي",
        date(2017, 9, 25),
        "day",
        None,
        "day_month",
    ),
    (
        "قبل 5 كانون الأول المقبل",
        THU_30_NOV,
        "5 كانون الأول المقبل",
        date(2017, 12, 5),
        "day",
        None,
        "day_month",
    ),
    # a weekday alone, relative to publication
    ("انتشرت قوات، الأربعاء، في كركوك", THU_30_NOV, "الأربعاء", date(2017, 11, 29), "day", None, "weekday"),
    ("اليوم الاثنين", MON_16_OCT, "اليوم الاثنين", MON_16_OCT, "day", None, "weekday"),
    ("أمس الثلاثاء", WED_18_OCT, "أمس الثلاثاء", date(2017, 10, 17), "day", None, "weekday"),
    ("مساء الجمعة", WED_18_OCT, "مساء الجمعة", date(2017, 10, 13), "day", None, "weekday"),
    ("فجر الأربعاء", WED_18_OCT, "فجر الأربعاء", WED_18_OCT, "day", None, "weekday"),
    ("الأربعاء الماضي", WED_18_OCT, "الأربعاء الماضي", date(2017, 10, 11), "day", None, "weekday"),
    ("ليلة الأحد الإثنين", WED_18_OCT, "ليلة الأحد الإثنين", date(2017, 10, 15), "day", MON_16_OCT, "night"),
    (
        "ليلة الأحد على الاثنين",
        WED_18_OCT,
        "ليلة الأحد على الاثنين",
        date(2017, 10, 15),
        "day",
        MON_16_OCT,
        "night",
    ),
    # أمس / اليوم and relatives
    ("قال أمس إن", WED_18_OCT, "أمس", date(2017, 10, 17), "day", None, "relative_day"),
    ("بالأمس", WED_18_OCT, "الأمس", date(2017, 10, 17), "day", None, "relative_day"),
    ("صباح اليوم", WED_18_OCT, "صباح اليوم", WED_18_OCT, "day", None, "relative_day"),
    ("أول أمس", WED_18_OCT, "أول أمس", MON_16_OCT, "day", None, "relative_day"),
    ("قبل يومين", WED_18_OCT, "قبل يومين", MON_16_OCT, "day", None, "ago"),
    ("قبل ثلاثة أيام", WED_18_OCT, "قبل ثلاثة أيام", date(2017, 10, 15), "day", None, "ago"),
    ("قبل أسبوعين", WED_18_OCT, "قبل أسبوعين", date(2017, 10, 4), "week", None, "ago"),
    (
        "الأسبوع الماضي",
        WED_18_OCT,
        "الأسبوع الماضي",
        date(2017, 10, 9),
        "week",
        date(2017, 10, 15),
        "relative_week",
    ),
    (
        "الشهر الماضي",
        THU_30_NOV,
        "الشهر الماضي",
        date(2017, 10, 1),
        "month",
        date(2017, 10, 31),
        "relative_month",
    ),
    (
        "في 13 الشهر الماضي",
        THU_30_NOV,
        "13 الشهر الماضي",
        date(2017, 10, 13),
        "day",
        None,
        "day_of_relative_month",
    ),
    ("في 16 الجاري", WED_18_OCT, "16 الجاري", MON_16_OCT, "day", None, "day_of_relative_month"),
    (
        "الثالث عشر من الشهر الماضي",
        THU_30_NOV,
        "الثالث عشر من الشهر الماضي",
        date(2017, 10, 13),
        "day",
        None,
        "day_of_relative_month",
    ),
    ("أكتوبر الماضي", THU_30_NOV, "أكتوبر الماضي", date(2017, 10, 1), "month", date(2017, 10, 31), "month"),
    (
        "منتصف أكتوبر",
        THU_30_NOV,
        "منتصف أكتوبر",
        date(2017, 10, 11),
        "week",
        date(2017, 10, 20),
        "month_part",
    ),
    (
        "حتى منتصف أكتوبر/تشرين الأول الماضي",
        THU_30_NOV,
        "منتصف أكتوبر/تشرين الأول الماضي",
        date(2017, 10, 11),
        "week",
        date(2017, 10, 20),
        "month_part",
    ),
    ("أواخر أيلول", WED_18_OCT, "أواخر أيلول", date(2017, 9, 21), "week", date(2017, 9, 30), "month_part"),
    # numeric
    ("16/10/2017", None, "16/10/2017", MON_16_OCT, "day", None, "numeric"),
    ("16 . 10 . 2017", None, "16 . 10 . 2017", MON_16_OCT, "day", None, "numeric"),
    ("18-10-2017", None, "18-10-2017", WED_18_OCT, "day", None, "numeric"),
    ("10/16/2017", None, "10/16/2017", MON_16_OCT, "day", None, "numeric"),
    ("2017-10-16", None, "2017-10-16", MON_16_OCT, "day", None, "iso"),
    ("16/أكتوبر/2017", None, "16/أكتوبر/2017", MON_16_OCT, "day", None, "day_month"),
    # ordinal words
    (
        "السادس عشر من أكتوبر",
        WED_18_OCT,
        "السادس عشر من أكتوبر",
        MON_16_OCT,
        "day",
        None,
        "ordinal_day_month",
    ),
    (
        "الحادي والعشرين من سبتمبر",
        WED_18_OCT,
        "الحادي والعشرين من سبتمبر",
        date(2017, 9, 21),
        "day",
        None,
        "ordinal_day_month",
    ),
    ("في الـ25 من ايلول", WED_18_OCT, "الـ25 من ايلول", date(2017, 9, 25), "day", None, "day_month"),
    # Arabic-Indic digits, diacritics
    ("١٦ أكتوبر ٢٠١٧", None, "١٦ أكتوبر ٢٠١٧", MON_16_OCT, "day", None, "day_month"),
    ("١٦ تشرين الأوَّل", WED_18_OCT, "١٦ تشرين الأوَّل", MON_16_OCT, "day", None, "day_month"),
    # English
    ("troops entered on Monday", WED_18_OCT, "Monday", MON_16_OCT, "day", None, "weekday"),
    ("on Tuesday evening", WED_18_OCT, "Tuesday evening", date(2017, 10, 17), "day", None, "weekday"),
    ("Oct. 16", WED_18_OCT, "Oct. 16", MON_16_OCT, "day", None, "month_day"),
    ("October 16, 2017", None, "October 16, 2017", MON_16_OCT, "day", None, "month_day"),
    ("Sept. 25 referendum", WED_18_OCT, "Sept. 25", date(2017, 9, 25), "day", None, "month_day"),
    ("16 October", WED_18_OCT, "16 October", MON_16_OCT, "day", None, "day_month"),
    ("the 16th of October 2017", None, "the 16th of October 2017", MON_16_OCT, "day", None, "day_month"),
    ("Oct 16-17", WED_18_OCT, "Oct 16-17", MON_16_OCT, "day", date(2017, 10, 17), "month_day"),
    ("yesterday", WED_18_OCT, "yesterday", date(2017, 10, 17), "day", None, "relative_day"),
    ("two days ago", WED_18_OCT, "two days ago", MON_16_OCT, "day", None, "ago"),
    (
        "last month",
        THU_30_NOV,
        "last month",
        date(2017, 10, 1),
        "month",
        date(2017, 10, 31),
        "relative_month",
    ),
    (
        "last week",
        date(2017, 11, 1),
        "last week",
        date(2017, 10, 23),
        "week",
        date(2017, 10, 29),
        "relative_week",
    ),
    ("mid-October", THU_30_NOV, "mid-October", date(2017, 10, 11), "week", date(2017, 10, 20), "month_part"),
    (
        "late October 2017",
        None,
        "late October 2017",
        date(2017, 10, 21),
        "week",
        date(2017, 10, 31),
        "month_part",
    ),
    (
        "Sunday night into Monday",
        WED_18_OCT,
        "Sunday night into Monday",
        date(2017, 10, 15),
        "day",
        MON_16_OCT,
        "night",
    ),
    (
        "the 13th of last month",
        THU_30_NOV,
        "the 13th of last month",
        date(2017, 10, 13),
        "day",
        None,
        "day_of_relative_month",
    ),
    ("in October", THU_30_NOV, "October", date(2017, 10, 1), "month", date(2017, 10, 31), "month"),
]


@pytest.mark.parametrize(
    ("text", "published", "span", "day", "precision", "day_end", "rule"), FORMS, ids=[f[0] for f in FORMS]
)
def test_every_form(
    text: str, published: date | None, span: str, day: date, precision: str, day_end: date | None, rule: str
) -> None:
    found = find_dates(text, published=published)
    assert len(found) == 1, found
    m = found[0]
    assert (m.text, m.date, m.precision, m.date_end, m.rule) == (span, day, precision, day_end, rule)
    assert text[m.start : m.end] == m.text


SEED_MUST_HOLD = [
    ("الأربعاء", date(2017, 11, 29), "day"),
    ("13 الشهر الماضي", date(2017, 10, 13), "day"),
    ("16 أكتوبر/تشرين الأول الماضي", date(2017, 10, 16), "day"),
    ("25 سبتمبر/أيلول الماضي", date(2017, 9, 25), "day"),
    ("منتصف أكتوبر/تشرين الأول الماضي", date(2017, 10, 11), "week"),
]


@pytest.mark.parametrize(("span", "day", "precision"), SEED_MUST_HOLD, ids=[s[0] for s in SEED_MUST_HOLD])
def test_seed_dates(seed_text: str, span: str, day: date, precision: str) -> None:
    found = {m.text: m for m in find_dates(seed_text, published=read_publication_date(seed_text))}
    assert span in found, sorted(found)
    assert (found[span].date, found[span].precision) == (day, precision)


def test_seed_mid_october_is_a_range_not_a_day(seed_text: str) -> None:
    mid = next(m for m in find_dates(seed_text, published=THU_30_NOV) if m.text.startswith("منتصف"))
    assert mid.precision != "day" and mid.date_end == date(2017, 10, 20)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("أمريكا تسعى\n\nالخميس 30 نوفمبر 2017 06:11 ص\n\nانتشرت قوات", date(2017, 11, 30)),
        ("KIRKUK, Iraq (Oct 16, 2017)\n\nIraqi forces took control of Kirkuk on Monday.", date(2017, 10, 16)),
        ("بغداد - 18 تشرين الأول/أكتوبر 2017\n\nدخلت القوات", date(2017, 10, 18)),
        ("Published 2017-10-16T08:00:00Z\nText", date(2017, 10, 16)),
        ("أربيل (رووداو) - 19-10-2017\n\nنص", date(2017, 10, 19)),
        ("ديالى - الأربعاء 18 تشرين الاول 2017", date(2017, 10, 18)),
        ("Monday, 16 Oct 2017 10:00 GMT\nBody", date(2017, 10, 16)),
    ],
)
def test_read_publication_date(text: str, expected: date) -> None:
    assert read_publication_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "لا تاريخ في هذا النص",
        "Iraqi forces took control of Kirkuk on Monday.",  # relative only: not a dateline
        "Kurds voted in a referendum on 25 September 2017, which Baghdad rejected as unconstitutional and illegal, "
        "and the federal government answered with a flight ban and then with troops.",  # a date inside a long sentence
    ],
)
def test_no_publication_date(text: str) -> None:
    assert read_publication_date(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "في اليوم ذاته",
        "the same day",
        "قتل 40 شخصا",
        "الساعة 06:11",
        "ثورة أكتوبر",
        "we may go",
        "صوّت 13 نائبا",
    ],
)
def test_not_dates(text: str) -> None:
    assert find_dates(text, published=THU_30_NOV) == []


def test_relative_dates_need_publication() -> None:
    assert find_dates("الأربعاء وأمس و16 أكتوبر", published=None) == []
    assert [m.date for m in find_dates("16 أكتوبر 2017 والأربعاء")] == [MON_16_OCT]


def test_year_inference_puts_date_on_or_before_publication() -> None:
    (m,) = find_dates("25 ديسمبر", published=date(2018, 1, 10))
    assert m.date == date(2017, 12, 25)
    (m,) = find_dates("5 يناير", published=date(2018, 1, 10))
    assert m.date == date(2018, 1, 5)
    # a day a few weeks after the publication keeps its year (a dateline a day late, a date announced ahead) ...
    (m,) = find_dates("On October 17, troops repelled the attack", published=MON_16_OCT)
    assert m.date == date(2017, 10, 17)
    # ... but not one more than a month after it
    (m,) = find_dates("On 20 December, troops repelled the attack", published=MON_16_OCT)
    assert m.date == date(2016, 12, 20)


def test_more_than_a_count_ago_is_a_span() -> None:
    (m,) = find_dates("claimed victory in Falluja more than a week ago", published=date(2016, 6, 26))
    assert (m.date, m.date_end) == (date(2016, 6, 13), date(2016, 6, 19))
    (m,) = find_dates("claimed victory in Falluja a week ago", published=date(2016, 6, 26))
    assert (m.date, m.date_end) == (date(2016, 6, 19), None)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        # «نحو», «حوالي»: about, before a count
        ("التي سيطر عليها التنظيم قبل نحو شهرين", date(2017, 8, 1), date(2017, 8, 31)),
        ("قبل حوالي ثلاثة أيام", date(2017, 10, 13), None),
        # months counted from the date written before, whatever its precision
        (
            "In early June 2014 they seized it. Two months later, IS took both places.",
            date(2014, 8, 1),
            date(2014, 8, 31),
        ),
        ("سيطروا عليها في حزيران 2014 وبعد شهرين انسحبوا منها", date(2014, 8, 1), date(2014, 8, 31)),
    ],
)
def test_counted_months_and_approximate_counts(text: str, start: date, end: date | None) -> None:
    last = find_dates(text, published=MON_16_OCT)[-1]
    assert (last.date, last.date_end) == (start, end)


def test_longest_expression_wins_and_mentions_do_not_overlap() -> None:
    found = find_dates("الخميس 30 نوفمبر 2017 06:11 ص", published=THU_30_NOV)
    assert [m.text for m in found] == ["الخميس 30 نوفمبر 2017"]


def test_windowed_matching_equals_whole_text_matching(
    seed_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_text = (seed_text + "\n") * 20
    windowed = find_dates(long_text, published=THU_30_NOV)
    short = find_dates(seed_text, published=THU_30_NOV)
    import geodata.dates as dates_module

    monkeypatch.setattr(dates_module, "_SMALL_TEXT", 10**9)
    assert find_dates(long_text, published=THU_30_NOV) == windowed
    assert find_dates(seed_text, published=THU_30_NOV) == short
    assert len(windowed) == 20 * 6


def test_normalise_maps_offsets_back() -> None:
    text = "الـ25 مِنْ أيلول"
    norm = normalise(text)
    assert norm.text == "ال25 من ايلول"
    assert text[norm.to_original(norm.text.index("ايلول")) :] == "أيلول"


def test_to_dict_has_the_issue_shape() -> None:
    (m,) = find_dates("16 أكتوبر 2017")
    assert m.to_dict() == {
        "text": "16 أكتوبر 2017",
        "start": 0,
        "end": 14,
        "date": "2017-10-16",
        "precision": "day",
    }
    assert isinstance(m, DateMention)


_FILLER = st.text(alphabet=st.sampled_from([*"كركوك في و ، . ـ َ ُ abc 7", "\u200f", "\n"]), max_size=30)
_PHRASES = st.sampled_from([f[0] for f in FORMS] + ["الخميس 30 نوفمبر 2017", "١٦ تشرين الأوَّل"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_FILLER, _PHRASES), min_size=1, max_size=5), _FILLER)
def test_spans_index_the_original_text(parts: list[tuple[str, str]], tail: str) -> None:
    text = "".join(a + b for a, b in parts) + tail
    found = find_dates(text, published=THU_30_NOV)
    for m in found:
        assert text[m.start : m.end] == m.text
        assert m.text.strip() == m.text and m.text
        assert m.precision in ("day", "week", "month")
    assert all(a.end <= b.start for a, b in pairwise(found))


def test_to_folded_inverts_to_original() -> None:
    text = "الـ25 مِنْ أيلول\u200f ـو"
    norm = normalise(text)
    for k in range(len(norm.text) + 1):
        assert norm.to_folded(norm.to_original(k)) == k


# ---------------------------------------------------------------- issue 9: forms of real reporting

SUN_15_OCT = date(2017, 10, 15)
THU_19_OCT = date(2017, 10, 19)
TUE_17_OCT = date(2017, 10, 17)


@pytest.mark.parametrize(
    ("text", "published", "want"),
    [
        ("منتصف الليلة الماضية", THU_19_OCT, [("منتصف الليلة الماضية", date(2017, 10, 18), None)]),
        ("15 أكتوبر، 2017", None, [("15 أكتوبر، 2017", SUN_15_OCT, None)]),
        ("ديسمبر 16 2017", None, [("ديسمبر 16 2017", date(2017, 12, 16), None)]),
        (
            "15 أكتوبر – 27 أكتوبر 2017",
            None,
            [("15 أكتوبر – 27 أكتوبر 2017", SUN_15_OCT, date(2017, 10, 27))],
        ),
        ("منذ أيام", THU_19_OCT, [("منذ أيام", date(2017, 10, 12), date(2017, 10, 17))]),
        ("a few days ago", THU_19_OCT, [("a few days ago", date(2017, 10, 12), date(2017, 10, 17))]),
        ("يوم غد الجمعة", THU_19_OCT, [("يوم غد الجمعة", date(2017, 10, 20), None)]),
        ("ليل الأحد الإثنين", SUN_15_OCT, [("ليل الأحد الإثنين", SUN_15_OCT, date(2017, 10, 16))]),
        ("this week", THU_19_OCT, [("this week", date(2017, 10, 16), date(2017, 10, 22))]),
        ("earlier this week", THU_19_OCT, [("earlier this week", date(2017, 10, 16), date(2017, 10, 18))]),
        ("قبل 18 شهرا", THU_19_OCT, [("قبل 18 شهرا", date(2016, 4, 1), date(2016, 4, 30))]),
    ],
)
def test_forms_of_real_reporting(text: str, published: date | None, want: list) -> None:
    found = find_dates(text, published=published)
    assert [(m.text, m.date, m.date_end) for m in found] == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Iraqi forces entered Kirkuk on Monday. Five days later they took Altun Kupri.", date(2017, 10, 21)),
        ("انسحبت البيشمركة يوم الاثنين، وبعد ثلاثة أيام دخلت القوات جلولاء.", date(2017, 10, 19)),
        ("They entered Kirkuk on Monday. The next day they took Dibis.", TUE_17_OCT),
        ("دخلت القوات يوم الاثنين، وفي اليوم التالي دخلت الدبس.", TUE_17_OCT),
        ("They entered Kirkuk on Monday. Earlier in the day, clashes broke out.", MON_16_OCT),
        ("دخلت القوات يوم الاثنين. وفي اليوم ذاته انسحبت البيشمركة.", MON_16_OCT),
        ("في 29 أيلول أغلقت المطارات، وفي 25 من الشهر نفسه جرى الاستفتاء.", date(2017, 9, 25)),
    ],
)
def test_dates_counted_from_the_date_before(text: str, want: date) -> None:
    *_, last = find_dates(text, published=THU_19_OCT)
    assert last.date == want


def test_nothing_to_count_from_gives_no_date() -> None:
    assert find_dates("Five days later they took Altun Kupri.", published=THU_19_OCT) == []
    assert find_dates("بعد ثلاثة أيام من الاستفتاء", published=THU_19_OCT) == []


@pytest.mark.parametrize(
    "text",
    [
        "وقعت اشتباكات في حي 1 حزيران",
        "ساحة 14 تموز",
        "ذكرت صحيفة العراق اليوم",
        "Iraq Today reported",
        'بغداد : "Today News"',
    ],
)
def test_no_dates_from_names(text: str) -> None:
    assert find_dates(text, published=THU_19_OCT) == []


def test_dates_from_names_only_there() -> None:
    assert [m.text for m in find_dates("وصلت القوات إلى كركوك اليوم", published=THU_19_OCT)] == ["اليوم"]
    assert [m.text for m in find_dates("Today, forces entered Kirkuk.", published=THU_19_OCT)] == ["Today"]


def test_year_of_a_date_just_before_in_the_sentence() -> None:
    text = "نزاع بدأ في 15 أكتوبر 2017 بعد وقت قصير من استفتاء عقد في 25 سبتمبر."
    *_, last = find_dates(text, published=date(2024, 9, 6))
    assert last.date == date(2017, 9, 25)


def test_a_range_is_no_publication_date() -> None:
    assert (
        read_publication_date("Iraqi–Kurdish conflict\nDate: 15–20 October 2017\nLocation: northern Iraq")
        is None
    )
    assert read_publication_date("المصدر / الثلاثاء 24 . 10 . 2017\n\nنص الخبر") == date(2017, 10, 24)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Erdoğan said on 10 Kasım 2016 that", date(2016, 11, 10)),
        ("В заявлении от 23 октября 2016 г. сказано", date(2016, 10, 23)),
        ("ON 10 KASIM 2016", date(2016, 11, 10)),
    ],
)
def test_turkish_and_russian_dates_quoted_in_english_text(text: str, want: date) -> None:
    (found,) = find_dates(text, published=date(2016, 11, 12))
    assert (found.date, found.precision) == (want, "day")


def test_a_month_name_of_another_language_needs_a_day_and_a_year() -> None:
    assert find_dates("Ekim 2016 was cold; mart is a word.", published=date(2016, 11, 12)) == []


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # written on Thursday 28 September 2017
        ("الرحلات الدولية من مطار أربيل وإليه ستعلق اعتبارا من مساء الجمعة", date(2017, 9, 29)),
        ("Flights will stop on Friday.", date(2017, 9, 29)),
        ("The order is set to kick in on Friday.", date(2017, 9, 29)),
        # no future verb, or one that only looks like it (سيطرت، سنجار), or a qualifier: the last such day
        ("Flights stopped on Friday.", date(2017, 9, 22)),
        ("سيطرت القوات على المدينة يوم الجمعة", date(2017, 9, 22)),
        ("مددت سيطرتها على سنجار بعد انسحاب البيشمركة في وقت متأخر الجمعة", date(2017, 9, 22)),
        ("ستنسحب القوات يوم الجمعة الماضي", date(2017, 9, 22)),
    ],
)
def test_a_weekday_after_a_future_verb_is_the_coming_one(text: str, want: date) -> None:
    (found,) = find_dates(text, published=date(2017, 9, 28))
    assert found.date == want


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("The advance began on 15October 2017, with the city retaken.", "15October 2017"),
        ("It began on October15, 2017 at dawn.", "October15, 2017"),
        ("بدأ الهجوم في 15أكتوبر 2017 فجرا.", "15أكتوبر 2017"),
    ],
)
def test_a_day_glued_to_its_month_is_read(text: str, written: str) -> None:
    """Scraped text loses the space between a day and its month: the date is still there."""
    assert [(m.text, m.date) for m in find_dates(text, published=date(2017, 10, 20))] == [
        (written, date(2017, 10, 15))
    ]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("تدور اشتباكات عنيفة منذ يومين في المنطقة.", date(2017, 10, 26), date(2017, 10, 28)),
        ("والمعارك مستمرة منذ ثلاثة أيام.", date(2017, 10, 25), date(2017, 10, 28)),
        ("وصلت القوات قبل يومين.", date(2017, 10, 26), None),
    ],
)
def test_since_a_counted_time_runs_up_to_the_day_of_writing(text: str, start: date, end: date | None) -> None:
    """«منذ يومين» is a duration up to now ("for two days"); «قبل يومين» is the day two days ago."""
    (m,) = find_dates(text, published=date(2017, 10, 28))
    assert (m.date, m.date_end) == (start, end)
