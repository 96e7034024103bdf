"""Tests of geodata.lexicon: cue forms generated from Arabic stems and English lemmas."""

from __future__ import annotations

import pytest

from geodata.lexicon import AR_CUES, AR_PRESENT, EN_CUES, arabic_verb_forms, english_verb_forms


@pytest.mark.parametrize(
    ("past", "present", "want_past", "want_present"),
    [
        (
            "انسحب",
            "نسحب",
            {"انسحب", "انسحبت", "انسحبوا", "انسحبتا"},
            {"ينسحب", "تنسحب", "ينسحبون", "تنسحبان"},
        ),
        ("أخلى", "خلي", {"أخلى", "أخلت", "أخلوا"}, {"يخلي", "تخلي", "يخلون"}),
        ("سلم", "سلم", {"سلم", "سلمت", "سلموا", "سلمتها"}, {"يسلم", "تسلم"}),
    ],
)
def test_arabic_forms(past: str, present: str, want_past: set[str], want_present: set[str]) -> None:
    forms, presents = arabic_verb_forms(past, present)
    assert want_past <= set(forms)
    assert want_present <= set(presents)


@pytest.mark.parametrize(
    ("form", "cue"),
    [
        ("سلمت", ("control_change", "verb")),  # سُلّمت, the passive, is written alike
        ("تسلمت", ("control_change", "verb")),
        ("تسليم", ("control_change", "noun")),
        ("تسليمها", ("control_change", "noun")),
        ("استعيدت", ("control_change", "verb")),
        ("تنسحب", ("withdrawal", "verb")),
        ("ستنسحب", ("withdrawal", "future")),
        ("تسيطر", ("status", "status")),
        ("سيطرت", ("control_change", "verb")),
        ("هجوما", ("clash", "noun")),
        ("دخلوها", ("control_change", "entry")),
    ],
)
def test_arabic_table(form: str, cue: tuple[str, str]) -> None:
    assert AR_CUES[form] == cue


def test_a_verbal_noun_wins_over_a_verb_spelled_alike() -> None:
    assert AR_CUES["استعادة"] == ("control_change", "noun")
    assert "تنسحب" in AR_PRESENT and "انسحبت" not in AR_PRESENT


@pytest.mark.parametrize(
    ("lemma", "forms"),
    [
        ("take", ["take", "takes", "took", "taken", "taking"]),
        ("withdraw", ["withdraw", "withdraws", "withdrew", "withdrawn", "withdrawing"]),
        ("seize", ["seize", "seizes", "seized", "seizing"]),
        ("flee", ["flee", "flees", "fled", "fleeing"]),
        ("control", ["control", "controls", "controlled", "controlling"]),
    ],
)
def test_english_forms(lemma: str, forms: list[str]) -> None:
    assert english_verb_forms(lemma) == forms


@pytest.mark.parametrize(
    ("phrase", "cue"),
    [
        ("pulled back", ("withdrawal", "verb")),
        ("gave up", ("withdrawal", "verb")),
        ("handing over", ("control_change", "verb")),
        ("launched an assault", ("clash", "verb")),
        ("now under the full control of", ("control_change", "verb")),
        ("stationed", ("deployment", "verb")),
        ("took place", ("stop", "stop")),
    ],
)
def test_english_table(phrase: str, cue: tuple[str, str]) -> None:
    assert EN_CUES[phrase] == cue


def test_nouns_are_not_verbs() -> None:
    assert "station" not in EN_CUES  # "police station"
    assert "shell" not in EN_CUES
