"""Names inside persons', organisations' and outlets' names are not places (geodata.mention_context via find_mentions)."""

from __future__ import annotations

import pytest

from geodata import mention_context as mc
from geodata.geocode import find_mentions

KIRKUK = "geonames:94787"
REGION = "kcm:kurdistan-region"
QAIM = "geonames:92138"


def mentions(text: str) -> list[tuple[str, str]]:
    return [(m.text, m.match.place_id) for m in find_mentions(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a title or rank before the name: a person
        ("Lt. Gen. Ma'an said the army entered Kirkuk.", [("Kirkuk", KIRKUK)]),
        ("President Erbil, a rare name, visited Kirkuk", [("Kirkuk", KIRKUK)]),
        ("قال الفريق الركن معان إن القوات دخلت كركوك", [("كركوك", KIRKUK)]),
        # a given name before a family name
        ("Ma'an al-Saadi arrived in Kirkuk.", [("Kirkuk", KIRKUK)]),
        # organisation and outlet head-words around a Latin name
        ("Radio Free Iraq reported from Kirkuk.", [("Kirkuk", KIRKUK)]),
        ("The Kurdistan Workers' Party is not in Kirkuk.", [("Kirkuk", KIRKUK)]),
        ("The Patriotic Union of Kurdistan left Kirkuk.", [("Kirkuk", KIRKUK)]),
        ("The Kurdistan Regional Government and the Kurdistan Region", [("Kurdistan Region", REGION)]),
        ("Baghdad Today reported clashes in Kirkuk.", [("Kirkuk", KIRKUK)]),
        # Arabic organisation head-words before the name
        ("قالت إذاعة العراق الحر إن القوات دخلت كركوك", [("كركوك", KIRKUK)]),
        ("وقالت حكومة إقليم كردستان إن إقليم كردستان لن يتراجع", [("إقليم كردستان", REGION)]),
        ("وذكرت وكالة أنباء كردستان أن القوات دخلت كركوك", [("كركوك", KIRKUK)]),
        # an outlet named "… اليوم" in quotes; the place today is still a place
        ("ونقلت «بغداد اليوم» أن القوات دخلت كركوك اليوم", [("كركوك", KIRKUK)]),
        # an adjective after a definite noun; the country itself stays
        ("أعلنت القوات السعودية وصول وفد إلى السعودية", [("السعودية", "geonames:102358")]),
        # a name that is an ordinary word: only after a preposition or designator
        ("قال القائم بأعمال السفارة إن الوضع القائم تغير", []),
        (
            "وصلت القوات إلى القائم ثم قضاء القائم وبالقائم",
            [("القائم", QAIM), ("قضاء القائم", QAIM), ("وبالقائم", QAIM)],
        ),
        # facilities and features named after a place are other places
        ("علقت الرحلات في مطاري أربيل والسليمانية", []),
        (
            "ويظهر جبل سنجار من المنطقة",
            [("جبل سنجار", "kcm:sinjar-mountains")],
        ),  # the mountains, not the town
        (
            "دخلت القوات سهل نينوى وسنجار",
            [("سهل نينوى", "kcm:nineveh-plains"), ("وسنجار", "geonames:448149")],
        ),
        ("Iraqi troops entered the Havana oil field near Kirkuk", [("Kirkuk", KIRKUK)]),
        # a command is an organisation; operations to free a town are about the town
        ("قال قائد عمليات نينوى", []),
        ("قال قائد عمليات تحرير الحويجة", [("الحويجة", "geonames:390188")]),
        ("وأعلن مجلس أمن إقليم كردستان العراق", []),
        ("تنظيم الدولة الإسلامية في العراق والشام", []),
        # adjective compounds, outlets with a channel number
        ("Iran-backed militias entered Kirkuk", [("Kirkuk", KIRKUK)]),
        ("قالت كوردستان 24 إن القوات دخلت كركوك", [("كركوك", KIRKUK)]),
    ],
)
def test_names_inside_other_names_are_not_places(text: str, expected: list[tuple[str, str]]) -> None:
    assert mentions(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a capital standing for the state is a place (only حكومة + region/country is the government's name)
        ("رفضت حكومة بغداد الاستفتاء", [("بغداد", "geonames:98182")]),
        # a preposition glued to the name ends the organisation's name
        ("مقر حزب الاتحاد الوطني بكركوك", [("بكركوك", KIRKUK)]),
        # a title in lower case is an ordinary word
        ("the general Kirkuk area", [("Kirkuk", KIRKUK)]),
        # title-case headlines without organisation words keep their places
        ("Iraqi Forces Seize Kirkuk Oil Fields From Kurdish Fighters", [("Kirkuk", KIRKUK)]),
        ("في كركوك اليوم", [("كركوك", KIRKUK)]),
        ("Kirkuk oil exports fell", [("Kirkuk", KIRKUK)]),
    ],
)
def test_places_in_similar_contexts_stay_places(text: str, expected: list[tuple[str, str]]) -> None:
    assert mentions(text) == expected


GOV_KIRKUK, GOV_NINEVEH = "kcm:gov-kirkuk", "kcm:gov-nineveh"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('انسحبت البشمركة من محافظة "كركوك"', [("كركوك", GOV_KIRKUK)]),
        ("مواقع في محافظتي نينوى وكركوك", [("نينوى", GOV_NINEVEH), ("وكركوك", GOV_KIRKUK)]),
        ("the disputed province of Kirkuk", [("Kirkuk", GOV_KIRKUK)]),
        (
            "the provinces of Kirkuk, Nineveh, Diyala and Saladin",
            [
                ("Kirkuk", GOV_KIRKUK),
                ("Nineveh", GOV_NINEVEH),
                ("Diyala", "kcm:gov-diyala"),
                ("Saladin", "kcm:gov-salahaddin"),
            ],
        ),
        # the city when nothing says province
        ("دخلت القوات كركوك وأربيل", [("كركوك", KIRKUK), ("وأربيل", "geonames:95446")]),
    ],
)
def test_a_seat_named_after_a_governorate_word_is_the_governorate(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert mentions(text) == expected


def test_word_lists_are_folded_like_token_keys() -> None:
    # the lists are written as Arabic is spelt (hamza, taa marbuta) and folded once, as tokens are
    assert {"اللوا", "الرييس", "قضا"} <= mc.TITLES | mc.GATE_OPENERS
    assert "اذاعه" in mc.ORG_HEADS_ARABIC and mc.ORG_HEADS_ARABIC["حكومه"] == {"region", "country"}
