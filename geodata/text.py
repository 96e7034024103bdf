"""Shared text helpers: decoding files, telling scripts apart, folding digits, Arabic proclitics, distances.

One definition of each, so that the events reader, the article reader, the geocoder and the extractor agree:

* :func:`decode_events` (CSV: UTF-8 with or without BOM, else unambiguous Windows-1256, else surrogate escapes
  that the reader reports cell by cell) and :func:`decode_text` (articles: also UTF-16 with a BOM, and any encoding
  charset-normalizer detects, with the Windows-1256 rule for short Arabic texts that fool it);
* :func:`script_of`, :func:`script_class` and :func:`arabic_share`, from one table of script blocks;
* :data:`DIGITS` and :func:`fold_digits` (Arabic-Indic and Persian digits to ASCII);
* :data:`CLITIC_PREFIXES`, the Arabic proclitics و ف ب ل ك and the article ال, alone or together;
* :func:`haversine_km`, with the mean Earth radius of :data:`geodata.settings.EARTH_RADIUS_KM`.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

import numpy as np

from geodata.errors import ArticleError
from geodata.settings import EARTH_RADIUS_KM

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- scripts

# Unicode blocks of the Arabic script (with its supplement, extended-A and the presentation forms) and of Latin.
ARABIC_BLOCKS = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufeff"
LATIN_BLOCKS = "\u0000-\u024f\u1e00-\u1eff"
# The letters of Arabic as written: the standard letters and the Persian/Kurdish ones Arabic outlets use
# (پ چ ژ ک گ ی). Windows-1256 text mistaken for another code page (cp1006's presentation forms) has few of them.
_ARABIC_LANGUAGE_RE = re.compile("[\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc]")
# A letter: a word character that is neither a digit nor the underscore.
_LETTER_RE = re.compile(r"[^\W\d_]")


# Runs of what is not a letter, not Arabic-script, not Latin-script: deleted in runs, which is faster than
# listing the characters one by one (language detection runs on every article).
_NON_LETTERS_RE = re.compile(r"[\W\d_]+")
_NON_ARABIC_RE = re.compile(f"[^{ARABIC_BLOCKS}]+")
_NON_LATIN_RE = re.compile(f"[^{LATIN_BLOCKS}]+")


def _script_counts(text: str) -> tuple[int, int, int]:
    """Return how many letters of ``text`` are Arabic-script, Latin-script and of any other script."""
    letters = _NON_LETTERS_RE.sub("", text)
    arabic = len(_NON_ARABIC_RE.sub("", letters))
    latin = len(_NON_LATIN_RE.sub("", letters))
    return arabic, latin, len(letters) - arabic - latin


def script_of(text: str) -> str | None:
    """Return 'ar' or 'en' for the script that dominates ``text`` (None when it has no letters of either).

    Examples
    --------
    >>> script_of("دخلت القوات Kirkuk"), script_of("Kirkuk"), script_of("2017")
    ('ar', 'en', None)
    """
    arabic, latin, _ = _script_counts(text)
    if not arabic and not latin:
        return None
    return "ar" if arabic >= latin else "en"


def script_class(text: str) -> str:
    """Classify a name as 'ar' (Arabic script only), 'la' (Latin only), 'mixed' or 'other' (no letters, or others).

    The gazetteer build keeps only names of one script, Arabic or Latin.
    """
    counts = _script_counts(text)
    present = [name for name, n in zip(("ar", "la", "other"), counts, strict=True) if n]
    if len(present) == 1:
        return present[0]
    return "mixed" if present else "other"


def arabic_share(text: str) -> float:
    """Return the share of Arabic letters among the non-ASCII letters of ``text`` (0 when it has none).

    Why: a file that is Windows-1256 Arabic decodes to Arabic letters; bytes of another encoding read as
    Windows-1256, or Arabic read with a wrong code page, do not.
    """
    letters = "".join(ch for ch in _LETTER_RE.findall(text) if not ch.isascii())
    return len(_ARABIC_LANGUAGE_RE.findall(letters)) / len(letters) if letters else 0.0


# ---------------------------------------------------------------- digits

# Arabic-Indic (U+0660-0669) and Eastern Arabic-Indic, i.e. Persian (U+06F0-06F9), digits to ASCII.
DIGITS: dict[int, str] = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}
_DIGIT_TABLE = str.maketrans(DIGITS)


def fold_digits(text: str) -> str:
    """Write Arabic-Indic and Persian digits as ASCII digits, one for one (offsets are kept).

    Examples
    --------
    >>> fold_digits("١٦ تشرين الأول ۲۰۱۷")
    '16 تشرين الأول 2017'
    """
    return text.translate(_DIGIT_TABLE)


# ---------------------------------------------------------------- Arabic proclitics

# A conjunction (و ف), then a preposition (ب ل ك), then the article ال, each optional; ل before ال is written لل.
CLITIC_PREFIXES: tuple[str, ...] = tuple(
    sorted(
        {
            conj + prep + art
            for conj in ("", "و", "ف")
            for prep in ("", "ب", "ل", "ك")
            for art in ("", "ال")
            if conj + prep + art
        }
        | {"لل", "ولل", "فلل"},
        key=lambda p: (len(p), p),
    )
)


# ---------------------------------------------------------------- distance


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Return the great-circle distance in km between WGS84 points (degrees), for scalars or arrays.

    Floats in give a float (through :mod:`math`, ten times faster than numpy on one pair); arrays give an array.
    """
    if all(isinstance(v, float | int) for v in (lat1, lon1, lat2, lon2)):
        xp: Any = math
        arcsin, clip = math.asin, (lambda a: min(1.0, max(0.0, a)))
    else:
        xp = np
        lat1, lon1, lat2, lon2 = (np.asarray(v, dtype=float) for v in (lat1, lon1, lat2, lon2))
        arcsin, clip = np.arcsin, (lambda a: np.clip(a, 0.0, 1.0))
    p1, p2 = xp.radians(lat1), xp.radians(lat2)
    dp, dl = p2 - p1, xp.radians(lon2 - lon1)
    a = xp.sin(dp / 2) ** 2 + xp.cos(p1) * xp.cos(p2) * xp.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * arcsin(xp.sqrt(clip(a)))


# ---------------------------------------------------------------- decoding

_UTF8_BOM = b"\xef\xbb\xbf"
# Windows-1256 is taken only when the non-ASCII letters it gives are this Arabic: a CSV file (strict: a wrong
# guess would load garbage silently), an article that charset-normalizer misread, an article it could not read.
_CP1256_CSV_SHARE = 0.9
_CP1256_RETRY_BELOW = 0.5
_CP1256_ARTICLE_SHARE = 0.7
_BINARY_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _cp1256_arabic(data: bytes, min_share: float) -> str | None:
    """Return ``data`` decoded as Windows-1256 if that gives Arabic text (``min_share`` of its letters), else None."""
    try:
        text = data.decode("cp1256")
    except UnicodeDecodeError:
        return None
    return text if text and arabic_share(text) >= min_share else None


def decode_events(raw: bytes, source: str) -> str:
    """Decode an events file: UTF-8 (with or without BOM), else unambiguous Windows-1256.

    Undecodable bytes stay in the text as surrogate escapes, so that the cell holding them can be reported
    (``FILE:LINE:COLUMN``) rather than the whole file refused.
    """
    raw = raw.removeprefix(_UTF8_BOM)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lenient = raw.decode("utf-8", "replace")
    non_ascii = sum(1 for ch in lenient if ord(ch) > 127)
    if lenient.count("\ufffd") * 2 > non_ascii:  # mostly not UTF-8: try the Arabic Windows code page
        text = _cp1256_arabic(raw, _CP1256_CSV_SHARE)
        if text is not None:
            log.info("%s: decoded as Windows-1256", source)
            return text
    return raw.decode("utf-8", "surrogateescape")


def decode_text(data: bytes, name: str) -> str:
    """Decode the bytes of an article: UTF-8 or UTF-16 with a BOM, UTF-8, else the encoding detected.

    charset-normalizer detects the encoding; short Arabic texts fool it (5 bytes of كركوك read as cp1006), so
    Windows-1256, the usual outlier, is tried when its answer is not Arabic.

    Raises
    ------
    ArticleError
        If the bytes are binary (NUL bytes, control characters throughout) or no encoding fits; the message
        names the file.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ArticleError(
                f"{name}: not valid UTF-16 despite its byte-order mark ({exc.reason})"
            ) from exc
    if b"\x00" in data:
        raise ArticleError(f"{name}: a binary file, not text (it holds NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # only for files that are not UTF-8: it takes 0.1 s to import

    best = from_bytes(data).best()
    text = str(best) if best is not None else None
    encoding = best.encoding if best is not None else "cp1256"
    if text is None or (encoding != "cp1256" and arabic_share(text) < _CP1256_RETRY_BELOW):
        arabic = _cp1256_arabic(data, _CP1256_ARTICLE_SHARE)
        if arabic is not None:
            text, encoding = arabic, "cp1256"
    if text is None:
        raise ArticleError(f"{name}: not text in any encoding that could be detected (binary or corrupt)")
    head = text[:100_000]
    if len(_BINARY_CONTROL_RE.findall(head)) > max(3, len(head) // 1000):
        raise ArticleError(f"{name}: a binary file, not text (control characters throughout)")
    log.info("%s: decoded as %s", name, encoding)
    return text
