"""The one UI catalogue (geodata/i18n.py): both languages, every CLDR plural form, no untranslated key."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel import Locale

from dashboard.i18n import t, tn
from geodata import i18n
from geodata.errors import InputError
from geodata.i18n import COUNTS, LANGS, MESSAGES, count, plural_category, text

ROOT = Path(__file__).resolve().parent.parent

# Arabic plural forms written by hand from CLDR's rules for "ar" (cldr/common/supplemental/plurals.xml):
# zero n = 0; one n = 1; two n = 2; few n % 100 = 3..10; many n % 100 = 11..99; other: everything else
# (100-102, 200, 1000...). The page writes numbers with ASCII digits and "," grouping in both languages.
ARABIC_EVENTS = [
    (0, "zero", "لا أحداث"),
    (1, "one", "حدث واحد"),
    (2, "two", "حدثان"),
    (3, "few", "3 أحداث"),
    (10, "few", "10 أحداث"),
    (11, "many", "11 حدثاً"),
    (99, "many", "99 حدثاً"),
    (100, "other", "100 حدث"),
    (101, "other", "101 حدث"),
    (102, "other", "102 حدث"),
    (103, "few", "103 أحداث"),
    (111, "many", "111 حدثاً"),
    (1000, "other", "1,000 حدث"),
    (1011, "many", "1,011 حدثاً"),
]
ENGLISH_EVENTS = [(0, "0 events"), (1, "1 event"), (2, "2 events"), (11, "11 events"), (1000, "1,000 events")]


def _fields(message: str) -> dict[str, str]:
    return {name: spec for _, name, spec, _ in string.Formatter().parse(message) if name is not None}


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    assert LANGS == ("en", "ar")
    for key, pair in MESSAGES.items():
        assert len(pair) == len(LANGS), key
        en, ar = pair
        assert en.strip() and ar.strip(), key
        assert _fields(en) == _fields(ar), key
        for spec in _fields(en).values():
            assert spec in ("", *COUNTS), f"{key}: unknown counted noun {spec!r}"
        if not _fields(ar):
            assert re.search("[\u0600-\u06ff]", ar), f"{key}: the Arabic text has no Arabic letter"


@pytest.mark.parametrize("lang", LANGS)
def test_every_counted_noun_has_every_plural_form_babel_gives(lang: str) -> None:
    rule = Locale.parse(lang).plural_form
    categories = set(rule.tags) | {"other"}
    assert categories == (
        {"zero", "one", "two", "few", "many", "other"} if lang == "ar" else {"one", "other"}
    )
    for noun, forms in COUNTS.items():
        assert set(forms[lang]) == categories, (noun, lang)
        assert all(form.strip() for form in forms[lang].values()), (noun, lang)
        # Only the forms of exactly one number may leave the number out (حدث واحد, حدثان).
        for category in categories - {"zero", "one", "two"}:
            assert "{n}" in forms[lang][category], (noun, lang, category)


@pytest.mark.parametrize(("n", "category", "expected"), ARABIC_EVENTS)
def test_arabic_counts_follow_cldr(n: int, category: str, expected: str) -> None:
    assert plural_category(n, "ar") == category
    assert count("events", n, "ar") == expected
    assert tn("events", n, "ar") == expected


@pytest.mark.parametrize(("n", "expected"), ENGLISH_EVENTS)
def test_english_counts(n: int, expected: str) -> None:
    assert count("events", n, "en") == expected


def test_other_nouns_in_arabic() -> None:
    assert [count("changes", n, "ar") for n in (0, 1, 2, 5, 30, 200)] == [
        "لا تغيّر في السيطرة",
        "تغيّر واحد في السيطرة",
        "تغيّران في السيطرة",
        "5 تغيّرات في السيطرة",
        "30 تغيّراً في السيطرة",
        "200 تغيّر في السيطرة",
    ]
    assert [count("problems", n, "ar") for n in (1, 2, 4, 12, 100)] == [
        "مشكلة واحدة",
        "مشكلتان",
        "4 مشكلات",
        "12 مشكلة",
        "100 مشكلة",
    ]
    assert [count("movements", n, "ar") for n in (0, 2, 7, 15)] == [
        "لا تحرّكات",
        "تحرّكان",
        "7 تحرّكات",
        "15 تحرّكاً",
    ]


def test_a_message_with_two_counts_takes_a_form_for_each() -> None:
    assert text("events_in_window", "ar", n=2, c=11) == "حدثان في الفترة، و11 تغيّراً في السيطرة"
    assert text("events_in_window", "ar", n=0, c=0) == "لا أحداث في الفترة، ولا تغيّر في السيطرة"
    assert text("events_in_window", "en", n=1, c=3) == "1 event in the window, 3 changes of control"


def test_a_count_already_written_keeps_its_text_and_takes_its_form() -> None:
    # The dashboard passes counts written with grouping ("1,234"): the form is that of 1234 (many: 34).
    assert text("events_in_window", "ar", n="1,234", c=1) == "1,234 حدثاً في الفترة، وتغيّر واحد في السيطرة"
    assert (
        text("table_cut", "en", k="500", n="1,001")
        == "Showing the first 500 of 1,001 events; download for all."
    )


@pytest.mark.parametrize("bad", ["many", "", "1e999999", "nan", "-3", "1.2.3", True])
def test_a_count_that_is_not_a_number_is_refused(bad: object) -> None:
    with pytest.raises(InputError, match="count must be"):
        count("events", bad, "en")


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(InputError, match="'fr'"):
        text("title", "fr")
    with pytest.raises(InputError, match="'fr'"):
        count("events", 3, "fr")


def test_dashboard_labels_keep_escaping_data_and_pick_plurals() -> None:
    assert t("upload_bad", "ar", n=2).startswith("في الملف مشكلتان؛")
    assert t("upload_bad", "en", n=1).startswith("The file has 1 problem;")
    assert t("bad_link", "en", what="[x](https://evil.example)") == (
        "Some link parameters were ignored: `[x](https://evil.example)`"
    )
    assert t("title", "ar") == "خريطة السيطرة في كركوك"


# ---------------------------------------------------------------- no untranslated key

_CALLS = [
    re.compile(r"\bt\(\s*\"(\w+)\""),  # dashboard: t("key", lang)
    re.compile(r"\bt\(\s*'(\w+)'"),
    re.compile(r"\bt\(\s*\"(\w+)\" if [^\n]+? else \"(\w+)\""),  # t("pause" if playing else "play", ...)
    re.compile(r"\bi18n\.text\(\s*[\"'](\w+)[\"']"),  # the map
    re.compile(r"\b_both\(\s*\"(\w+)\""),
    re.compile(r"\b_pick\(\s*\"(\w+)\""),  # the dashboard's filters: their label key
]
_NOUN_CALLS = [re.compile(r"\btn\(\s*\"(\w+)\""), re.compile(r"\bcount\(\s*\"(\w+)\"")]


def _sources() -> list[Path]:
    files = [*(ROOT / "dashboard").rglob("*.py"), *(ROOT / "geodata").glob("*.py")]
    return [f for f in files if f.name != "i18n.py"]


def test_every_key_the_code_uses_is_in_the_catalogue() -> None:
    used: dict[str, str] = {}
    nouns: dict[str, str] = {}
    for path in _sources():
        source = path.read_text(encoding="utf-8")
        for pattern in _CALLS:
            for match in pattern.finditer(source):
                used.update(dict.fromkeys(match.groups(), path.name))
        for pattern in _NOUN_CALLS:
            nouns.update(dict.fromkeys((m.group(1) for m in pattern.finditer(source)), path.name))
    assert {"title", "upload_bad", "events_in_window", "table_cut_changes", "play", "pause", "types"} <= set(
        used
    )
    assert {"map_cell", "legend_title", "legend_area", "map_movement_pair"} <= set(used)
    missing = {key: where for key, where in used.items() if key not in MESSAGES}
    assert not missing, f"keys used in the code but not in geodata/i18n.py: {missing}"
    assert not {noun: where for noun, where in nouns.items() if noun not in COUNTS}


def test_keys_built_from_names_are_in_the_catalogue() -> None:
    from dashboard.app import TABLE_COLUMNS
    from geodata.maps import _PRECISIONS, _SCRIPT_LABELS, LAYERS

    built = [f"layer_{name}" for name in LAYERS] + [f"col_{name}" for name in TABLE_COLUMNS]
    built += [f"precision_{code}" for code in _PRECISIONS] + list(_SCRIPT_LABELS.values())
    assert [key for key in built if key not in MESSAGES] == []


def test_the_catalogue_is_the_only_one() -> None:
    """The two old tables (maps._UI, dashboard.i18n._LABELS) are gone: every label comes from geodata.i18n."""
    import dashboard.i18n
    import geodata.maps

    assert not hasattr(geodata.maps, "_UI") and not hasattr(dashboard.i18n, "_LABELS")
    assert i18n.MESSAGES is MESSAGES
