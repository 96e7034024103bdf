"""Normalisation of Arabic and Latin place names into lookup keys that absorb how reporting varies.

Four key levels, from strict to loose (each a pure function of a name):

* :func:`name_key` — orthography folded: hamza forms of alef, taa marbuta/haa, alef maqsura/yaa, Persian and
  Kurdish letters, diacritics, tatweel, Latin accents and case, punctuation; letter-plus-number names (``كي-1``,
  ``كيه 1``, ``K1``, ``K-1``, ``كي وان``) all become ``k1``; a leading article (``ال``, ``al-``) is kept.
* :func:`compact_key` — the same without spaces (``طوز خورماتو`` = ``طوزخورماتو``).
* :func:`phonetic_key` — compact, and Latin transliteration folded (kh/k, q/k, g/k, ou/u, o/u, e/i, doubled letters).
* :func:`skeleton_key` — phonetic without the long vowels and Latin vowels after the first letter
  (``طوزخرماتو`` = ``طوزخورماتو``, Jalula = Jalawla).

:func:`clitic_variants` strips the Arabic proclitics و ف ب ل ك and the article ال, alone or together;
:func:`strip_possessive` the English possessive ('s, ’s, s') of a name (Iraq's, Kirkuk’s).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# CLITIC_PREFIXES and script_of live in geodata.text; re-exported here, where callers look for them.
from geodata.text import CLITIC_PREFIXES as CLITIC_PREFIXES
from geodata.text import DIGITS
from geodata.text import script_of as script_of

# A token: a run of letters (any script) and digits. Everything else separates tokens.
TOKEN_RE = re.compile(r"[^\W_]+")


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    # Diacritics and marks: Arabic harakat, Quranic marks, superscript alef, combining Latin accents, tatweel,
    # invisible format characters (ZWNJ is common inside Kurdish and Persian words).
    for lo, hi in (
        (0x0300, 0x036F),
        (0x0610, 0x061A),
        (0x064B, 0x065F),
        (0x0670, 0x0670),
        (0x06D6, 0x06ED),
        (0x0640, 0x0640),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x061C, 0x061C),
        (0xFEFF, 0xFEFF),
    ):
        for cp in range(lo, hi + 1):
            table[cp] = None
    letters = {
        # hamza forms of alef and the hamza carriers (NFKD already splits most of them)
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ؤ": "و",
        "ئ": "ي",
        "ء": None,
        # taa marbuta and haa; Kurdish ae and heh forms
        "ة": "ه",
        "ە": "ه",
        "ۀ": "ه",
        "ھ": "ه",
        "ہ": "ه",
        "ۃ": "ه",
        # alef maqsura and yaa; Persian/Kurdish yeh forms
        "ى": "ي",
        "ی": "ي",
        "ێ": "ي",
        "ې": "ي",
        "ۍ": "ي",
        "ے": "ي",
        # Persian/Kurdish consonants as Arabic outlets write them
        "ک": "ك",
        "ڪ": "ك",
        "گ": "ك",
        "ڭ": "ك",
        "چ": "ج",
        "پ": "ب",
        "ژ": "ز",
        "ڤ": "ف",
        "ڨ": "ق",
        "ڵ": "ل",
        "ڕ": "ر",
        "ۆ": "و",
        "ۇ": "و",
        "ۈ": "و",
        "ۋ": "و",
        "ۊ": "و",
        "ۉ": "و",
        # Latin letters that NFKD does not decompose
        "ı": "i",
        "ə": "e",
        "ø": "o",
        "đ": "d",
        "ł": "l",
        "ħ": "h",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        # apostrophes, ayn/hamza signs in transliteration: dropped (Rabi'a = Rabia)
        "'": None,
        "`": None,
        "´": None,
        "ʻ": None,
        "ʼ": None,
        "ʾ": None,
        "ʿ": None,
        "‘": None,
        "’": None,
    }
    for src, dst in letters.items():
        table[ord(src)] = dst
    table.update(DIGITS)
    return table


_TABLE = _build_table()
_MARKS_ONLY = {
    cp: None for cp, dst in _TABLE.items() if dst is None and cp != ord("ء") and chr(cp) not in "'`´ʻʼʾʿ‘’"
}
_KURDISH_AE_RE = re.compile("ە(?=[\u0620-\u064a\u0671-\u06d3\u06d5])")

# Letter names as Arabic writes them in letter-plus-number names (كي-1 = K-1), and spelled-out numbers.
ARABIC_LETTER_NAMES = {
    "كي": "k",
    "كيه": "k",
    "كاي": "k",
    "تي": "t",
    "بي": "b",
    "اتش": "h",
    "جي": "g",
    "اف": "f",
}
NUMBER_WORDS = {
    "وان": "1",
    "ون": "1",
    "واحد": "1",
    "one": "1",
    "تو": "2",
    "اثنين": "2",
    "two": "2",
    "ثري": "3",
    "three": "3",
    "فور": "4",
    "four": "4",
    "فايف": "5",
    "five": "5",
}
_LATIN_ARTICLES = frozenset(
    {"al", "el", "ad", "adh", "ar", "as", "ash", "at", "ath", "az", "an", "ed", "es", "et"}
)

_PREFIX_SET = frozenset(CLITIC_PREFIXES)
_LONGEST_PREFIX = max(map(len, CLITIC_PREFIXES))


# An English possessive at the end of a Latin word of three letters or more: Iraq's, Kirkuk’s, the Kurds' (not Ra's).
POSSESSIVE_RE = re.compile(r"(?<=[A-Za-z\u00c0-\u024f]{3})(?:['’ʼ]s|(?<=s)['’ʼ])(?![\w'’ʼ])")


def strip_possessive(text: str) -> str:
    """Remove an English possessive ending from every word of ``text``: "Iraq's" -> "Iraq", "Kirkuk’s" -> "Kirkuk".

    Examples
    --------
    >>> strip_possessive("Kurdistan Region’s")
    'Kurdistan Region'
    """
    if "'" not in text and "’" not in text and "ʼ" not in text:
        return text
    return POSSESSIVE_RE.sub("", text)


def fold(text: str) -> str:
    """Fold orthographic variation (both scripts) and turn every non-letter, non-digit into a space.

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
        Lower-case, space-separated tokens; Arabic letters unified, diacritics and tatweel removed.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    if "ە" in decomposed:
        # Kurdish ە is a vowel inside a word (هەولێر = هولير) and a taa-marbuta-like ending at its end.
        decomposed = _KURDISH_AE_RE.sub("", decomposed)
    decomposed = decomposed.translate(_TABLE).lower()
    return " ".join(TOKEN_RE.findall(decomposed))


def light_fold(text: str) -> str:
    """Remove only diacritics, tatweel and invisible marks (hamza and letters kept): بأنه stays apart from بانه."""
    return unicodedata.normalize("NFC", text).translate(_MARKS_ONLY).lower()


@lru_cache(maxsize=200_000)
def fold_token(token: str) -> str:
    """Fold one token (cached: running text repeats its words)."""
    return fold(token)


def join_letter_numbers(tokens: list[str]) -> list[str]:
    """Join letter-plus-number names: ``k 1``, ``كي 1``, ``كيه وان``, ``k one`` all become ``k1``."""
    out: list[str] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        letter = ARABIC_LETTER_NAMES.get(tok) or (
            tok if len(tok) == 1 and tok.isascii() and tok.isalpha() else None
        )
        if letter is not None and i + 1 < n:
            nxt = tokens[i + 1]
            number = nxt if nxt.isdigit() else NUMBER_WORDS.get(nxt)
            if number is not None:
                out.append(letter + number)
                i += 2
                continue
        if tok[0].isalpha() and tok[-1].isdigit():
            # glued forms: "كي1", "k1"
            head = tok.rstrip("0123456789")
            mapped = ARABIC_LETTER_NAMES.get(head)
            if mapped is not None:
                tok = mapped + tok[len(head) :]
        out.append(tok)
        i += 1
    return out


def name_key(text: str) -> str:
    """Return the exact-level lookup key of a name: folded tokens, letter-number names joined.

    Examples
    --------
    >>> name_key("«كي-1»") == name_key("K-1") == "k1"
    True
    >>> name_key("أربيل") == name_key("اربيل") == name_key("إربيل")
    True
    """
    tokens = fold(text).split()
    return " ".join(join_letter_numbers(tokens)) if tokens else ""


def strip_article(key: str) -> str:
    """Drop a leading Arabic ``ال`` or a Latin article token (``al``, ``as``, ``ash``...) from a key."""
    if key.startswith("ال") and len(key) > 4 and key[2] != " ":
        return key[2:]
    head, sep, rest = key.partition(" ")
    if sep and head in _LATIN_ARTICLES and rest:
        return rest
    return key


def compact_key(key: str) -> str:
    """Return a key without spaces: compound names written as one word or two."""
    return key.replace(" ", "")


_LATIN_PHONETIC = (
    ("kh", "k"),
    ("gh", "g"),
    ("q", "k"),
    ("ch", "j"),
    ("c", "k"),
    ("dh", "d"),
    ("th", "t"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("aa", "a"),
    ("o", "u"),
    ("e", "i"),
    ("y", "i"),
    ("x", "k"),
    ("g", "k"),  # Arabic writes the Kurdish/Turkish g as ك: Gurgur = Karkar
)
_DOUBLE_RE = re.compile(r"(.)\1+")
_ARABIC_DOUBLE_VOWEL_RE = re.compile(r"([وي])\1+")
_FINAL_H_RE = re.compile(r"(?<=[aiu])h\b")
_LATIN_WORD_RE = re.compile(r"[a-z]+")


def _latin_phonetic_word(word: str) -> str:
    w = _FINAL_H_RE.sub("", word)
    for src, dst in _LATIN_PHONETIC:
        w = w.replace(src, dst)
    return _DOUBLE_RE.sub(r"\1", w)


def _fold_latin_words(key: str) -> str:
    if key.isascii() or has_latin(key):
        return _LATIN_WORD_RE.sub(lambda m: _latin_phonetic_word(m.group()), key)
    return key  # Arabic only: nothing to do, and this is the hot path of geoparsing


def phonetic_key(key: str) -> str:
    """Return the compact key with Latin transliteration variants folded (kh/k, g/k, u/o, i/e, doubled letters).

    Doubled Arabic long vowels (Kurdish ``وو``) are also written once.
    """
    folded = _fold_latin_words(key)
    if "وو" in folded or "يي" in folded:
        folded = _ARABIC_DOUBLE_VOWEL_RE.sub(_first_group, folded)
    return compact_key(folded)


# A word-final ي / i stays: it carries the nisba (كردستاني "Kurdish" is not كردستان).
_ARABIC_VOWELS_RE = re.compile(r"(?<=[\u0621-\u064a])(?:[او]|ي(?!$))")
_LATIN_VOWELS_RE = re.compile(r"(?<=[a-z])(?:[aeouwy]|i(?!$))")
_ASCII_LETTER_RE = re.compile(r"[a-z]")


def _first_group(match: re.Match[str]) -> str:
    return match.group(1)


def has_latin(key: str) -> bool:
    """Whether a key holds Latin letters."""
    return _ASCII_LETTER_RE.search(key) is not None


def arabic_skeleton(word: str) -> str:
    """Return the skeleton of one Arabic word (what :func:`skeleton_key` gives for it)."""
    return _ARABIC_VOWELS_RE.sub("", word)


def skeleton_key(key: str) -> str:
    """Return the phonetic key without long vowels (Arabic ا و ي) and Latin vowels after each word's first letter.

    A word-final ي or i is kept: it is the nisba ending of adjectives made from names.
    """
    folded = _fold_latin_words(key)
    latin = folded.isascii()
    words = []
    for word in folded.split():
        word = _LATIN_VOWELS_RE.sub("", word) if latin or word.isascii() else arabic_skeleton(word)
        words.append(word)
    return "".join(words)


@lru_cache(maxsize=200_000)
def clitic_variants(key: str) -> tuple[str, ...]:
    """Return ``key`` with Arabic proclitics stripped from its first word, shortest prefix first.

    Only the conjunctions و ف, the prepositions ب ل ك and the article ال (also as ``لل``) are stripped, and at
    least three letters must remain (two when more words follow). The unstripped key is not included.

    Examples
    --------
    >>> clitic_variants("بكركوك")[0]
    'كركوك'
    """
    first, sep, rest = key.partition(" ")
    out: list[str] = []
    shortest = 2 if sep else 3  # بسد الموصل: a two-letter first word is fine inside a longer name
    for size in range(1, min(_LONGEST_PREFIX, len(first) - shortest) + 1):
        prefix = first[:size]
        if prefix not in _PREFIX_SET:
            continue
        remainder = first[size:]
        out.append(remainder + sep + rest)
        if prefix.endswith("لل"):
            out.append("ال" + remainder + sep + rest)  # لل = ل + ال
    return tuple(dict.fromkeys(out))
