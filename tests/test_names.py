from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geodata.names import (
    arabic_skeleton,
    clitic_variants,
    compact_key,
    fold,
    has_latin,
    name_key,
    phonetic_key,
    script_of,
    skeleton_key,
    strip_article,
    strip_possessive,
)

# Pairs of spellings that must share the exact-level key: one row per variation class of PLACES.md.
SAME_KEY = [
    ("أربيل", "اربيل"),  # hamza on alef
    ("إربيل", "اربيل"),  # hamza under alef
    ("آلتون كوبري", "التون كوبري"),  # madda
    ("ألتون كوبري", "التون كوبري"),
    ("الحويجة", "الحويجه"),  # taa marbuta / haa
    ("ديالى", "ديالي"),  # alef maqsura / yaa
    ("كَرْكُوك", "كركوك"),  # diacritics
    ("كركـــوك", "كركوك"),  # tatweel
    ("کرکوک", "كركوك"),  # Persian kaf and yeh
    ("بابا گرگر", "بابا كركر"),  # gaf
    ("هەولێر", "هولير"),  # Kurdish ae inside a word, Kurdish yeh
    ("دهۆك", "دهوك"),  # Kurdish o
    ("كي-1", "K-1"),  # letter-plus-number names, all forms
    ("«كي-1»", "k1"),
    ("كيه 1", "K1"),
    ("كي وان", "K 1"),
    ("كي-١", "K-1"),  # Arabic-Indic digit
    ("K–1", "k-1"),  # en dash
    ("قاعدة K1", "قاعدة كي 1"),
    ("Ţūz Khūrmātū", "Tuz Khurmatu"),  # Latin diacritics
    ("KIRKUK", "kirkuk"),
    ("Rabi'a", "Rabia"),  # apostrophes
    ("Rabiʿa", "Rabia"),
    ("Altın Köprü", "altin kopru"),  # dotless i
    ("كركوك\u200f", "كركوك"),  # invisible marks
    ("  كركوك  ", "كركوك"),
]


@pytest.mark.parametrize(("a", "b"), SAME_KEY)
def test_name_key_absorbs_orthographic_variation(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)
    assert name_key(a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("طوز خورماتو", "طوزخورماتو"),  # compound with or without a space
        ("Tuz Khurmatu", "Tuzkhurmatu"),
        ("فيش خابور", "فيشخابور"),
    ],
)
def test_compact_key_joins_compounds(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)
    assert compact_key(name_key(a)) == compact_key(name_key(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kirkuk", "Kerkuk"),  # i/e
        ("Tuz Khurmatu", "Tuz Khurmato"),  # u/o
        ("Khanaqin", "Kanakin"),  # kh/k, q/k
        ("Makhmur", "Makhmour"),  # ou/u
        ("Sulaymaniyah", "Sulaimaniya"),  # y/i, final h
        ("Dibis", "Dibbis"),  # doubled letters
        ("Hawija", "Hawijah"),
        ("کەرکووک", "كركوك"),  # Kurdish doubled waw
    ],
)
def test_phonetic_key_folds_transliteration(a: str, b: str) -> None:
    assert phonetic_key(name_key(a)) == phonetic_key(name_key(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("طوزخرماتو", "طوز خورماتو"),  # the seed drops the waw GeoNames has
        ("Jalula", "Jalawla"),
        ("Jaloula", "Jalawla"),
        ("الحويجة", "حويجة"),
    ],
)
def test_skeleton_key_drops_long_vowels(a: str, b: str) -> None:
    assert skeleton_key(strip_article(name_key(a))) == skeleton_key(strip_article(name_key(b)))


@pytest.mark.parametrize(
    ("adjective", "name"),
    [("كردستاني", "كردستان"), ("Kurdistani", "Kurdistan"), ("كركوكي", "كركوك")],
)
def test_skeleton_keeps_the_nisba_ending(adjective: str, name: str) -> None:
    assert skeleton_key(name_key(adjective)) != skeleton_key(name_key(name))


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("بكركوك", "كركوك"),
        ("وأربيل", "اربيل"),
        ("لطوزخرماتو", "طوزخرماتو"),
        ("لسنجار", "سنجار"),
        ("والموصل", "الموصل"),
        ("بالموصل", "موصل"),
        ("وبالموصل", "موصل"),
        ("فكركوك", "كركوك"),
        ("للموصل", "موصل"),
        ("بسد الموصل", "سد الموصل"),
    ],
)
def test_clitic_variants_strip_proclitics(written: str, expected: str) -> None:
    assert expected in clitic_variants(name_key(written))


@pytest.mark.parametrize("word", ["كي", "بن", "ال", "Kirkuk"])
def test_clitic_variants_leave_short_and_latin_words(word: str) -> None:
    assert clitic_variants(name_key(word)) == ()


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("الموصل", "موصل"),
        ("al hawija", "hawija"),
        ("ash shaykhan", "shaykhan"),
        ("الحي", "الحي"),
        ("al", "al"),
    ],
)
def test_strip_article(key: str, expected: str) -> None:
    assert strip_article(key) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("كركوك", "ar"),
        ("Kirkuk", "en"),
        ("قاعدة K1", "ar"),
        ("K-1 Air Base (قاعدة)", "en"),
        ("!!! 123", None),
        ("", None),
    ],
)
def test_script_of(text: str, expected: str | None) -> None:
    assert script_of(text) == expected


@pytest.mark.parametrize("text", ["", "!!!", "«»،؛", "\x00\x01\x7f", "   ", "\u200f\u200e"])
def test_keys_of_non_names_are_empty(text: str) -> None:
    assert name_key(text) == ""
    assert fold(text) == ""


@given(st.text(alphabet="ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآةى", min_size=1, max_size=12))
def test_fast_paths_agree_with_the_general_keys(word: str) -> None:
    key = name_key(word)
    if not key or " " in key:
        return
    assert not has_latin(key)
    assert arabic_skeleton(key) == skeleton_key(key)
    if "وو" not in key and "يي" not in key:
        assert phonetic_key(key) == compact_key(key) == key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Iraq's", "Iraq"),
        ("Kirkuk’s", "Kirkuk"),
        ("Kirkukʼs", "Kirkuk"),
        ("the Kurds'", "the Kurds"),
        ("Kurdistan Region's", "Kurdistan Region"),
        ("Baghdad's forces", "Baghdad forces"),
        ("Ma'an", "Ma'an"),  # an inner apostrophe is part of the name
        ("Rabi'a", "Rabi'a"),
        ("Ra's al-Ain", "Ra's al-Ain"),  # too short to be a possessive
        ("كركوك", "كركوك"),
    ],
)
def test_strip_possessive(text: str, expected: str) -> None:
    assert strip_possessive(text) == expected


def test_names_uses_the_one_list_of_proclitics_and_script_detector() -> None:
    from geodata import names, text

    assert names.CLITIC_PREFIXES is text.CLITIC_PREFIXES
    assert names.script_of is text.script_of
