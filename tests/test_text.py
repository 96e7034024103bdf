"""Tests of geodata.text: decoders, script detection, digit folding, proclitics and the haversine."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geodata import text as tx
from geodata.errors import ArticleError
from geodata.settings import EARTH_RADIUS_KM

GEODATA = Path(tx.__file__).resolve().parent
ARABIC = "دخلت القوات العراقية كركوك وطوزخورماتو بعد انسحاب البيشمركة"

# ---------------------------------------------------------------- decoding


def test_events_utf8_with_and_without_bom() -> None:
    data = ARABIC.encode()
    assert tx.decode_events(data, "f.csv") == ARABIC
    assert tx.decode_events(b"\xef\xbb\xbf" + data, "f.csv") == ARABIC


def test_events_windows_1256_arabic(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="geodata.text")
    assert tx.decode_events(ARABIC.encode("cp1256"), "f.csv") == ARABIC
    assert "f.csv: decoded as Windows-1256" in caplog.text


def test_events_latin1_keeps_its_bytes_as_surrogates() -> None:
    data = "Les forces fédérales sont entrées à Kirkouk".encode("latin-1")
    text = tx.decode_events(data, "f.csv")
    assert "\udce9" in text  # é, undecodable: the reader reports the cell that holds it
    assert text.encode("utf-8", "surrogateescape") == data


def test_article_utf16_and_utf8_bom() -> None:
    assert tx.decode_text(ARABIC.encode("utf-16"), "a.txt") == ARABIC
    assert tx.decode_text(b"\xef\xbb\xbf" + ARABIC.encode(), "a.txt") == ARABIC


@pytest.mark.parametrize("word", ["كركوك", "أربيل", "دخلت القوات كركوك", ARABIC])
def test_article_windows_1256(word: str) -> None:
    assert tx.decode_text(word.encode("cp1256"), "a.txt") == word


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00\xd8", r"a\.txt: not valid UTF-16 despite its byte-order mark"),
        (b"text\x00more", r"a\.txt: a binary file, not text \(it holds NUL bytes\)"),
        (
            ("كركوك \x01\x02 " * 200).encode("cp1256"),
            r"a\.txt: a binary file, not text \(control characters throughout\)",
        ),
        (bytes(range(1, 9)) * 50 + b"\xff", r"a\.txt: not text in any encoding that could be detected"),
    ],
)
def test_article_errors_name_the_file(data: bytes, message: str) -> None:
    with pytest.raises(ArticleError, match=message):
        tx.decode_text(data, "a.txt")


def test_article_latin1_is_not_taken_for_arabic() -> None:
    french = "Les forces fédérales sont entrées à Kirkouk, déjà prévu par l'état-major."
    text = tx.decode_text(french.encode("latin-1"), "a.txt")
    assert tx.arabic_share(text) == 0.0  # charset-normalizer's Latin guess (its code page may differ) stands
    assert text.startswith("Les forces fédérales sont entrées")


# ---------------------------------------------------------------- scripts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("كركوك", "ar"),
        ("Kirkuk", "en"),
        ("Erbil كركوك", "ar"),  # a tie goes to Arabic
        ("دخلت Iraqi forces", "en"),
        ("ﻛﺮﻛﻮﻙ", "ar"),  # presentation forms are Arabic script
        ("Kerkûk", "en"),
        ("2017 - ١٦", None),
        ("", None),
    ],
)
def test_script_of(text: str, expected: str | None) -> None:
    assert tx.script_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("كركوك", "ar"),
        ("كَركوك", "ar"),  # a haraka is not a letter
        ("Kirkuk", "la"),
        ("Kerkûk", "la"),
        ("Kirkuk كركوك", "mixed"),
        ("Киркук", "other"),
        ("K-1 ١", "la"),
        ("١٢٣", "other"),
    ],
)
def test_script_class(text: str, expected: str) -> None:
    assert tx.script_class(text) == expected


def test_arabic_share_tells_windows_1256_from_a_wrong_code_page() -> None:
    assert tx.arabic_share(ARABIC) == 1.0
    assert tx.arabic_share("ﻑﺹﻑﮔﻑ") == 0.0  # كركوك in cp1256 as charset-normalizer reads it (cp1006)
    assert tx.arabic_share("Kirkuk") == 0.0
    assert tx.arabic_share("déjà كركوك") == pytest.approx(5 / 7)


# ---------------------------------------------------------------- digits and proclitics


def test_fold_digits() -> None:
    assert tx.fold_digits("٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ 42") == "0123456789 0123456789 42"


@given(st.text(alphabet=st.sampled_from("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹0123456789 ك,")))
def test_fold_digits_keeps_offsets_and_values(text: str) -> None:
    folded = tx.fold_digits(text)
    assert len(folded) == len(text)
    for a, b in zip(text, folded, strict=True):
        assert (a.isdigit() and int(a) == int(b)) or a == b


def test_clitic_prefixes_cover_both_old_lists() -> None:
    old_extract = {"و", "ف", "ب", "ل", "وب", "ول", "فب", "فل", "ال", "وال", "بال", "فال", "لل", "ولل", "وبال"}
    assert old_extract <= set(tx.CLITIC_PREFIXES)
    assert {"ك", "كال", "وكال", "فلل"} <= set(tx.CLITIC_PREFIXES)
    assert len(set(tx.CLITIC_PREFIXES)) == len(tx.CLITIC_PREFIXES)
    assert list(tx.CLITIC_PREFIXES) == sorted(tx.CLITIC_PREFIXES, key=lambda p: (len(p), p))


# ---------------------------------------------------------------- haversine


def test_haversine_known_distances() -> None:
    kirkuk, erbil = (35.4681, 44.3922), (36.1901, 44.0091)
    assert tx.haversine_km(*kirkuk, *erbil) == pytest.approx(87.4, abs=0.5)
    assert tx.haversine_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    assert tx.haversine_km(*kirkuk, *kirkuk) == 0.0
    assert isinstance(tx.haversine_km(*kirkuk, *erbil), float)


@given(
    st.lists(
        st.tuples(st.floats(-90, 90), st.floats(-180, 180), st.floats(-90, 90), st.floats(-180, 180)),
        min_size=1,
        max_size=20,
    )
)
def test_haversine_arrays_agree_with_scalars(points: list[tuple[float, float, float, float]]) -> None:
    lat1, lon1, lat2, lon2 = (np.array(col) for col in zip(*points, strict=True))
    array = tx.haversine_km(lat1, lon1, lat2, lon2)
    assert isinstance(array, np.ndarray)
    scalars = [tx.haversine_km(*p) for p in points]
    np.testing.assert_allclose(array, scalars, rtol=1e-9, atol=1e-6)
    assert np.all((array >= 0) & (array <= math.pi * EARTH_RADIUS_KM + 1e-6))


# ---------------------------------------------------------------- one definition of each


@pytest.mark.parametrize(
    ("pattern", "home"),
    [
        (r"637[01]\.", "settings.py"),  # the Earth radius
        (r"0x0660|\\u0660", "text.py"),  # Arabic-Indic digit folding
        (r"from_bytes\(", "text.py"),  # charset-normalizer
        (r"decode\(\"cp1256\"\)", "text.py"),  # the Windows-1256 rule
        (r"def haversine|asin\(|arcsin\(", "text.py"),
    ],
)
def test_each_helper_is_defined_once(pattern: str, home: str) -> None:
    found = sorted(
        str(p.relative_to(GEODATA))
        for p in GEODATA.rglob("*.py")
        if re.search(pattern, p.read_text(encoding="utf-8"))
    )
    assert found == [home]
