"""Date expressions in Arabic and English news text, found with their spans and resolved against publication.

Every rule runs on an *offset-preserving* normal form of the text (hamza forms of alef, alef maqsura, taa
marbuta and Arabic-Indic digits folded one character for one; diacritics, tatweel and invisible marks dropped
with an offset map), so that each :class:`DateMention` indexes the original text exactly.

Resolution rules (also in the README, section "ingest"):

* A day and month without a year take the year that puts the date on or before publication; with
  ``المقبل``/``القادم`` the first such day after it; with ``الجاري``/``الحالي`` the publication year.
* A weekday alone is the most recent such day on or before publication (``اليوم الاثنين`` is publication day
  when that is a Monday); with ``الماضي``/``last``, strictly before it; with ``المقبل``/``next``, strictly after.
* ``ليلة الأحد الإثنين`` (the night between two days) is the first day, with ``date_end`` the second.
* ``الأسبوع الماضي``/``last week`` is the previous ISO week (Monday to Sunday), precision ``week``.
* ``الشهر الماضي``/``last month`` is the previous month, precision ``month``; ``في 13 الشهر الماضي`` is a day.
* ``منتصف أكتوبر``/``mid-October`` is days 11-20, ``مطلع``/``early`` 1-10, ``أواخر``/``late`` 21 to the end,
  each with precision ``week`` and a ``date_end``.
* ``قبل يومين``/``two days ago`` counts back from publication; weeks give precision ``week``, months ``month``.
* Numeric dates are day-first (``16/10/2017``) unless only month-first is a date (``10/16/2017``).
* Time-of-day words (صباح، مساء، فجر، ليلة, morning, night) belong to the span but do not move the date.
* Without a publication date, only expressions that carry their own year are resolved.

``dateparser`` is used only as a fallback for datelines that none of these rules reads: it is slow, and it
misses most of the forms above (double month names, ``الماضي``, ordinal words, ``منتصف``).
"""

from __future__ import annotations

import calendar
import logging
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache

from geodata.text import DIGITS

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- offset-preserving normal form

_FOLD: dict[int, str] = {ord(k): v for k, v in zip("أإآٱىیةک", "ااااييهك", strict=True)}
_FOLD.update({cp: " " for cp in (0x00A0, 0x2007, 0x2009, 0x202F)})
_FOLD.update({cp: "-" for cp in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212)})
_FOLD[0xFF0F] = "/"
_FOLD.update(DIGITS)
_FOLD_TABLE = str.maketrans(_FOLD)
# Removed without a trace: harakat and Quranic marks, superscript alef, tatweel, zero-width and bidi controls.
_MARKS_RE = re.compile(
    "[\u0610-\u061a\u061c\u064b-\u065f\u0670\u0640\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


@dataclass(frozen=True)
class NormalText:
    """Text folded for matching, with the map from its offsets back to the original's.

    Attributes
    ----------
    text
        The folded text: one character per kept original character.
    original
        The text as given.
    removed
        Offsets in :attr:`text` before which a removed mark stood (sorted, repeated for runs of marks).
    """

    text: str
    original: str
    removed: tuple[int, ...] = ()

    def folded(self, start: int, end: int) -> str:
        """Return the folded form of ``original[start:end]`` (a slice of :attr:`text` when no mark was removed)."""
        if not self.removed:
            return self.text[start:end]
        return normalise(self.original[start:end]).text

    @cached_property
    def _removed_original(self) -> tuple[int, ...]:
        return tuple(r + k for k, r in enumerate(self.removed))

    def to_folded(self, offset: int) -> int:
        """Map an offset of :attr:`original` to the offset of the same position in :attr:`text`."""
        if not self.removed:
            return offset
        return offset - bisect_left(self._removed_original, offset)

    def to_original(self, offset: int) -> int:
        """Map an offset of :attr:`text` to the offset of the same position in :attr:`original`.

        Marks that stand right before ``offset`` are skipped, so a span's start lands on its first letter and a
        span's end takes in the marks of its last letter.
        """
        if not self.removed:
            return offset
        return offset + bisect_right(self.removed, offset)


def normalise(text: str) -> NormalText:
    """Fold ``text`` for matching while keeping a map back to its offsets.

    Parameters
    ----------
    text
        Arabic or English text, in any Unicode normal form.

    Returns
    -------
    NormalText
        Hamza forms of alef to ``ا``, ``ى`` to ``ي``, ``ة`` to ``ه``, Arabic-Indic digits to ASCII, exotic spaces
        and dashes to ASCII; diacritics, tatweel and invisible marks removed (their positions remembered).
    """
    folded = text.translate(_FOLD_TABLE)
    if _MARKS_RE.search(folded) is None:
        return NormalText(folded, text)
    removed: list[int] = []
    pieces: list[str] = []
    last = 0
    for k, m in enumerate(_MARKS_RE.finditer(folded)):
        pieces.append(folded[last : m.start()])
        removed.append(m.start() - k)  # where it stood in the text once the earlier marks are gone
        last = m.end()
    pieces.append(folded[last:])
    return NormalText("".join(pieces), text, tuple(removed))


def fold_phrase(phrase: str) -> str:
    """Fold a vocabulary phrase the way :func:`normalise` folds text (used to build patterns)."""
    return " ".join(normalise(phrase).text.split())


def phrase_alternation(phrases: Iterable[str]) -> str:
    """Return a regex alternation of folded phrases, longest first, a space matching any run of spaces."""
    folded = {fold_phrase(p) for p in phrases}
    parts = sorted(folded, key=lambda s: (-len(s), s))
    return "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in parts)


def _key(text: str) -> str:
    """Lookup key of a matched phrase: folded, lower case, single spaces, a lone ``و`` glued to its word."""
    return " ".join(text.lower().split()).replace(" و ", " و")


# Left boundary: not inside a word, but an Arabic proclitic (و ف ب ل) may stand glued before the expression.
LEFT = r"(?:(?<!\w)|(?<=(?<!\w)[وفبل]))"
RIGHT = r"(?!\w)"

# ---------------------------------------------------------------- vocabularies

_MONTHS_AR: dict[int, tuple[str, ...]] = {
    1: ("يناير", "كانون الثاني", "كانون ثاني", "جانفي"),
    2: ("فبراير", "شباط", "فيفري"),
    3: ("مارس", "آذار"),
    4: ("أبريل", "إبريل", "نيسان", "أفريل"),
    5: ("مايو", "أيار"),
    6: ("يونيو", "يونيه", "حزيران", "جوان"),
    7: ("يوليو", "يوليه", "تموز", "جويلية"),
    8: ("أغسطس", "آب"),
    9: ("سبتمبر", "أيلول"),
    10: ("أكتوبر", "أوكتوبر", "تشرين الأول", "تشرين أول"),
    11: ("نوفمبر", "تشرين الثاني", "تشرين ثاني"),
    12: ("ديسمبر", "كانون الأول", "كانون أول"),
}
_MONTHS_EN: dict[int, tuple[str, tuple[str, ...]]] = {
    1: ("january", ("jan",)),
    2: ("february", ("feb",)),
    3: ("march", ("mar",)),
    4: ("april", ("apr",)),
    5: ("may", ()),
    6: ("june", ("jun",)),
    7: ("july", ("jul",)),
    8: ("august", ("aug",)),
    9: ("september", ("sept", "sep")),
    10: ("october", ("oct",)),
    11: ("november", ("nov",)),
    12: ("december", ("dec",)),
}
_MONTH_LOOKUP: dict[str, int] = {fold_phrase(n): k for k, ns in _MONTHS_AR.items() for n in ns}
for _k, (_full, _abbrs) in _MONTHS_EN.items():
    _MONTH_LOOKUP[_full] = _k
    _MONTH_LOOKUP.update(dict.fromkeys(_abbrs, _k))

# Month names of sources quoted in English text (Turkish, Russian genitive), read only with a day and a year:
# "10 Kasım 2016", "23 октября 2016 г.".
_MONTHS_QUOTED: dict[int, tuple[str, ...]] = {
    1: ("ocak", "января"),
    2: ("şubat", "subat", "февраля"),
    3: ("mart", "марта"),
    4: ("nisan", "апреля"),
    5: ("mayıs", "mayis", "мая"),
    6: ("haziran", "июня"),
    7: ("temmuz", "июля"),
    8: ("ağustos", "agustos", "августа"),
    9: ("eylül", "eylul", "сентября"),
    10: ("ekim", "октября"),
    11: ("kasım", "kasim", "ноября"),
    12: ("aralık", "aralik", "декабря"),
}
_QUOTED_LOOKUP: dict[str, int] = {n: k for k, ns in _MONTHS_QUOTED.items() for n in ns}
_QUOTED_MONTH = "(?i:" + "|".join(sorted(_QUOTED_LOOKUP, key=len, reverse=True)) + ")"
_AR_MONTH = phrase_alternation(n for ns in _MONTHS_AR.values() for n in ns)
_EN_MONTH = (
    "(?i:"
    + "|".join(
        sorted(
            [full for full, _ in _MONTHS_EN.values()]
            + [a + r"\.?" for _, ab in _MONTHS_EN.values() for a in ab],
            key=len,
            reverse=True,
        )
    )
    + ")"
)

_WEEKDAYS_AR: dict[int, tuple[str, ...]] = {
    0: ("الإثنين", "الأثنين"),
    1: ("الثلاثاء",),
    2: ("الأربعاء",),
    3: ("الخميس",),
    4: ("الجمعة",),
    5: ("السبت",),
    6: ("الأحد",),
}
_WEEKDAYS_EN: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY_LOOKUP: dict[str, int] = {fold_phrase(n): d for d, ns in _WEEKDAYS_AR.items() for n in ns}
_WEEKDAY_LOOKUP.update({n.lower(): d for d, n in enumerate(_WEEKDAYS_EN)})
_AR_WEEKDAY = phrase_alternation(n for ns in _WEEKDAYS_AR.values() for n in ns)
# English weekdays are proper nouns: capitalised or all capitals, never lower case.
_EN_WEEKDAY = "|".join(alt for n in _WEEKDAYS_EN for alt in (n, n.upper()))

_ORDINAL_UNITS = ("الحادي", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن", "التاسع")
_ORDINALS: dict[str, int] = {"الأول": 1, "العاشر": 10, "العشرين": 20, "الثلاثين": 30, "الحادي والثلاثين": 31}
for _k, _unit in enumerate(_ORDINAL_UNITS, start=1):
    if _k > 1:
        _ORDINALS[_unit] = _k
    _ORDINALS[f"{_unit} عشر"] = 10 + _k
    _ORDINALS[f"{_unit} والعشرين"] = 20 + _k
_ORDINAL_LOOKUP: dict[str, int] = {fold_phrase(k): v for k, v in _ORDINALS.items()}
# "الحادي والعشرين" is also written "الحادي و العشرين".
_ORDINAL = (
    phrase_alternation(_ORDINALS)
    .replace(r"\s+والعشرين", r"\s+و\s*العشرين")
    .replace(r"\s+والثلاثين", r"\s+و\s*الثلاثين")
)

_PAST = ("الماضي", "المنصرم", "الفائت", "السابق")
_CURRENT = ("الجاري", "الحالي")
_FUTURE = ("المقبل", "القادم")
_QUAL = phrase_alternation(_PAST + _CURRENT + _FUTURE)
_QUAL_KIND: dict[str, str] = {fold_phrase(w): "past" for w in _PAST}
_QUAL_KIND.update({fold_phrase(w): "current" for w in (*_CURRENT, "هذا", "هذه")})
_QUAL_KIND.update({fold_phrase(w): "future" for w in _FUTURE})
_QUAL_KIND.update({"last": "past", "this": "current", "earlier this": "current", "next": "future"})
_QUAL_KIND.update({"the previous": "past", "the past": "past"})
_MONTH_DELTA = {"past": -1, "current": 0, "future": 1}

_AR_NUMBERS: dict[str, int] = {
    "ثلاثة": 3,
    "ثلاث": 3,
    "أربعة": 4,
    "أربع": 4,
    "خمسة": 5,
    "خمس": 5,
    "ستة": 6,
    "ست": 6,
    "سبعة": 7,
    "سبع": 7,
    "ثمانية": 8,
    "ثماني": 8,
    "تسعة": 9,
    "تسع": 9,
    "عشرة": 10,
    "عشر": 10,
}
_EN_NUMBERS: dict[str, int] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_NUMBER_LOOKUP: dict[str, int] = {fold_phrase(k): v for k, v in _AR_NUMBERS.items()} | _EN_NUMBERS
# Arabic units: (unit, the number the word itself carries: 1 singular, 2 dual, 0 plural).
_AR_UNITS: dict[str, tuple[str, int]] = {
    "يوم": ("day", 1),
    "يوما": ("day", 1),
    "أسبوعا": ("week", 1),
    "شهرا": ("month", 1),
    "يومين": ("day", 2),
    "أيام": ("day", 0),
    "أسبوع": ("week", 1),
    "أسبوعين": ("week", 2),
    "أسابيع": ("week", 0),
    "شهر": ("month", 1),
    "شهرين": ("month", 2),
    "أشهر": ("month", 0),
    "شهور": ("month", 0),
}
_UNIT_LOOKUP: dict[str, tuple[str, int]] = {fold_phrase(k): v for k, v in _AR_UNITS.items()}
for _u in ("day", "week", "month"):
    _UNIT_LOOKUP[_u] = (_u, 1)
    _UNIT_LOOKUP[_u + "s"] = (_u, 0)

# «قبل نحو شهرين», «منذ حوالي أسبوع»: about, before a count
_ABOUT_AR = ("نحو", "حوالي", "حوالى", "قرابة", "زهاء", "ما يقارب", "ما يقرب من")

_DAY_PARTS_AR = phrase_alternation(
    ("صباح", "مساء", "فجر", "ظهر", "عصر", "ليلة", "ظهيرة", "ضحى", "منتصف ليلة", "ليل", "صبيحة", "منتصف")
)
_MONTH_PARTS: dict[str, tuple[int, int | None]] = {
    "منتصف": (11, 20),
    "أواسط": (11, 20),
    "وسط": (11, 20),
    "مطلع": (1, 10),
    "أوائل": (1, 10),
    "بداية": (1, 10),
    "مستهل": (1, 10),
    "أواخر": (21, None),
    "نهاية": (21, None),
    "ختام": (21, None),
    "mid": (11, 20),
    "the middle of": (11, 20),
    "middle of": (11, 20),
    "early": (1, 10),
    "the beginning of": (1, 10),
    "beginning of": (1, 10),
    "the start of": (1, 10),
    "start of": (1, 10),
    "late": (21, None),
    "the end of": (21, None),
    "end of": (21, None),
}
_PART_LOOKUP: dict[str, tuple[int, int | None]] = {fold_phrase(k): v for k, v in _MONTH_PARTS.items()}
_AR_PART = phrase_alternation(k for k in _MONTH_PARTS if not k.isascii())
_EN_PART = "(?i:" + phrase_alternation(k for k in _MONTH_PARTS if k.isascii()) + ")"

_RELATIVE_DAYS: dict[str, int] = {
    fold_phrase(k): v
    for k, v in {
        "اليوم": 0,
        "أمس": 1,
        "الأمس": 1,
        "البارحة": 1,
        "أول أمس": 2,
        "أول من أمس": 2,
        "الليلة الماضية": 1,
        "غدا": -1,
        "يوم غد": -1,
        "tomorrow": -1,
        "ليلة أمس": 1,
        "today": 0,
        "tonight": 0,
        "this morning": 0,
        "this afternoon": 0,
        "this evening": 0,
        "earlier today": 0,
        "yesterday": 1,
        "last night": 1,
        "the day before yesterday": 2,
    }.items()
}
# "اليوم" that is not today: "في اليوم ذاته" (the same day: a carry-over), "اليوم التالي", "اليوم الأول".
_NOT_TODAY = phrase_alternation(
    (
        "ذاته",
        "نفسه",
        "التالي",
        "السابق",
        "الذي",
        "التي",
        "الأول",
        "الثاني",
        "الثالث",
        "الأخير",
        "الوطني",
        "العالمي",
    )
)

# ---------------------------------------------------------------- the result type


@dataclass(frozen=True, slots=True)
class DateMention:
    """One date expression found in a text.

    Attributes
    ----------
    text
        The expression exactly as written (``original[start:end]``).
    start, end
        Character offsets into the original text.
    date
        The resolved day; for a week or month, the earliest day it can be.
    precision
        ``day``, ``week`` or ``month``.
    rule
        The name of the rule that fired.
    date_end
        The last day, for a range (``منتصف أكتوبر``, ``ليلة الأحد الإثنين``, ``16-17 October``, a month).
    """

    text: str
    start: int
    end: int
    date: date
    precision: str
    rule: str
    date_end: date | None = None

    def to_dict(self) -> dict[str, object]:
        """Return the JSON-able form ``{text, start, end, date, precision}`` (the shape of ``kcm ingest``)."""
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "date": self.date.isoformat(),
            "precision": self.precision,
        }


# A resolver gets the match's groups and the publication date; it returns (date, precision, date_end), or None
# when the match is not a usable date after all.
_Groups = dict[str, str | None]
_Resolved = tuple[date, str, date | None]


@dataclass(frozen=True)
class _Rule:
    name: str
    anchors: tuple[str, ...]  # the families of words one of which every match contains (see _windows)
    pattern: re.Pattern[str]
    resolve: Callable[[_Groups, date | None], _Resolved | None]
    # True when the rule can read a year of its own (it may then resolve without a publication date).
    absolute: bool = False


# ---------------------------------------------------------------- calendar helpers


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


PAST_SLACK_DAYS = (
    31  # how far after the publication a day with no year may fall and keep the publication's year
)


def _infer_year(month: int, day: int, published: date, kind: str) -> date | None:
    """Return ``day``/``month`` in the year that ``kind`` (past, current, future) gives relative to ``published``."""
    if kind == "current":
        return _safe_date(published.year, month, day)
    if kind == "future":
        years = range(published.year, published.year + 9)
        return next((d for y in years if (d := _safe_date(y, month, day)) and d > published), None)
    # A day a few weeks after the publication is of its year (a dateline a day late, a date announced ahead), not
    # of the year before; 29 February looks back up to eight years.
    years = range(published.year, published.year - 9, -1)
    slack = published + timedelta(days=PAST_SLACK_DAYS)
    return next((d for y in years if (d := _safe_date(y, month, day)) and d <= slack), None)


def _weekday_on_or_before(weekday: int, anchor: date, *, strict: bool = False) -> date:
    delta = (anchor.weekday() - weekday) % 7
    if strict and delta == 0:
        delta = 7
    return anchor - timedelta(days=delta)


def _kind(word: str | None) -> str:
    """Return the time a qualifier points to: past (the default), current or future."""
    return _QUAL_KIND.get(_key(word), "past") if word else "past"


def _month_number(token: str) -> int:
    return _MONTH_LOOKUP[_key(token).rstrip(".")]


def _month_of(g: _Groups) -> int | None:
    """Return the month of ``m1``; None when a second name ``m2`` names another month (not a double name)."""
    month = _month_number(g["m1"] or "")
    second = g.get("m2")
    if second and _month_number(second) != month:
        return None
    return month


def _day_of(g: _Groups) -> int | None:
    if g.get("d"):
        return int(g["d"] or 0)
    word = g.get("o")
    return _ORDINAL_LOOKUP.get(_key(word)) if word else None


def _year_of(g: _Groups, published: date | None) -> int | None:
    """Return an explicit year (``2017``) or a relative one (``العام الماضي``, ``last year``)."""
    if g.get("y"):
        year = int(g["y"] or 0)
        return year if 1900 <= year <= 2100 else None
    words = g.get("yq")
    if not words or published is None:
        return None
    first, last = _key(words).split()[0], _key(words).split()[-1]
    kind = _kind(first) if first in _QUAL_KIND else _kind(last)
    return published.year + _MONTH_DELTA[kind]


# ---------------------------------------------------------------- resolvers


def _resolve_day_month(g: _Groups, published: date | None) -> _Resolved | None:
    month, day = _month_of(g), _day_of(g)
    if month is None or day is None:
        return None
    year = _year_of(g, published)
    if year is not None:
        first = _safe_date(year, month, day)
    elif published is not None:
        first = _infer_year(month, day, published, _kind(g.get("q")))
    else:
        return None
    if first is None:
        return None
    if g.get("d2"):
        last = _safe_date(first.year, month, int(g["d2"] or 0))
        return (first, "day", last) if last is not None and last > first else None
    return first, "day", None


def _resolve_quoted(g: _Groups, published: date | None) -> _Resolved | None:
    """Resolve "10 Kasım 2016", "23 октября 2016 г." (a day, a Turkish or Russian month, a year)."""
    month = _QUOTED_LOOKUP.get((g["qm"] or "").lower().replace("i̇", "i"))
    first = _safe_date(int(g["y"] or 0), month, int(g["d"] or 0)) if month else None
    return (first, "day", None) if first is not None else None


def _resolve_range(g: _Groups) -> _Resolved | None:
    """Resolve "15 October - 27 October 2017" (two months may differ; the year is written once, at the end)."""
    year = int(g["y"] or 0)
    first = _safe_date(year, _month_number(g["ma"] or ""), int(g["d"] or 0))
    last = _safe_date(year, _month_number(g["mb"] or ""), int(g["d2"] or 0))
    if first is None or last is None or last <= first:
        return None
    return first, "day", last


def _resolve_numeric(g: _Groups, published: date | None) -> _Resolved | None:
    a, b, year = int(g["d"] or 0), int(g["m"] or 0), int(g["y"] or 0)
    day, month = (a, b) if b <= 12 else (b, a)  # day-first unless only month-first is a date
    found = _safe_date(year, month, day) if 1900 <= year <= 2100 else None
    return (found, "day", None) if found else None


def _resolve_day_of_relative_month(g: _Groups, published: date | None) -> _Resolved | None:
    day = _day_of(g)
    if published is None or day is None:
        return None
    year, month = _shift_month(published.year, published.month, _MONTH_DELTA[_kind(g.get("q"))])
    found = _safe_date(year, month, day)
    return (found, "day", None) if found else None


def _resolve_month(g: _Groups, published: date | None) -> _Resolved | None:
    month = _month_of(g)
    token = g["m1"] or ""
    anchored = bool(g.get("y") or g.get("q") or g.get("yq"))
    if month is None or not (anchored or g.get("pre")):
        return None  # a bare month name is too often not a date ("ثورة أكتوبر")
    if token.lower() in ("may", "march", "mar") and not anchored and not token[0].isupper():
        return None  # "in may" is a verb far more often than a month
    year = _year_of(g, published)
    if year is None:
        if published is None:
            return None
        kind = _kind(g.get("q"))
        if kind == "current":
            year = published.year
        elif kind == "future":
            year = published.year + (month <= published.month)
        elif g.get("q") and month == published.month:
            year = published.year - 1  # "أكتوبر الماضي" written in October is last year's
        else:
            year = published.year - (month > published.month)
    return date(year, month, 1), "month", _month_end(year, month)


def _resolve_month_part(g: _Groups, published: date | None) -> _Resolved | None:
    lo, hi = _PART_LOOKUP[_key(g["part"] or "").rstrip("-")]
    if g.get("m1") is None:  # "منتصف الشهر الماضي", "late last month"
        if published is None:
            return None
        year, month = _shift_month(published.year, published.month, _MONTH_DELTA[_kind(g.get("q"))])
    else:
        month_opt = _month_of(g)
        if month_opt is None:
            return None
        month = month_opt
        year_opt = _year_of(g, published)
        if year_opt is None:
            if published is None:
                return None
            first = _infer_year(month, lo, published, _kind(g.get("q")))
            if first is None:
                return None
            year_opt = first.year
        year = year_opt
    end = date(year, month, hi) if hi is not None else _month_end(year, month)
    return date(year, month, lo), "week", end


def _resolve_weekday(g: _Groups, published: date | None) -> _Resolved | None:
    if published is None:
        return None
    weekday = _WEEKDAY_LOOKUP[_key(g["wd"] or "")]
    if g.get("q"):
        kind = _kind(g["q"])
        if kind == "past":
            return _weekday_on_or_before(weekday, published, strict=True), "day", None
        if kind == "future":
            return published + timedelta(days=(weekday - published.weekday()) % 7 or 7), "day", None
    return _weekday_on_or_before(weekday, published), "day", None


def _resolve_night(g: _Groups, published: date | None) -> _Resolved | None:
    if published is None:
        return None
    first, second = _WEEKDAY_LOOKUP[_key(g["wd"] or "")], _WEEKDAY_LOOKUP[_key(g["wd2"] or "")]
    if (first + 1) % 7 != second:
        return None
    end = _weekday_on_or_before(second, published + timedelta(days=1))  # written on Sunday: tonight
    return end - timedelta(days=1), "day", end


def _resolve_relative_day(g: _Groups, published: date | None) -> _Resolved | None:
    if published is None:
        return None
    return published - timedelta(days=_RELATIVE_DAYS[_key(g["w"] or "")]), "day", None


def _resolve_ago(g: _Groups, published: date | None) -> _Resolved | None:
    if published is None:
        return None
    unit, implied = _UNIT_LOOKUP[_key(g["unit"] or "")]
    word = g.get("n")
    if word and implied > 1:
        return None  # "ثلاثة يومين" is not a quantity
    if not word and implied == 0:
        return _some_ago(unit, published)
    n = (int(word) if word.isdigit() else _NUMBER_LOOKUP.get(_key(word), 0)) if word else (implied or 1)
    if not 1 <= n <= 31:
        return None
    # «منذ يومين» with a count is a duration up to now ("clashes have gone on for two days"); «قبل يومين» a day
    until = published if g.get("since") and unit in ("day", "week") else None
    if unit == "day":
        return published - timedelta(days=n), "day", until
    if unit == "week":
        return published - timedelta(days=7 * n), "week", until
    year, month = _shift_month(published.year, published.month, -n)
    return date(year, month, 1), "month", _month_end(year, month)


def _more_than(found: _Resolved | None, published: date | None, more: bool) -> _Resolved | None:
    """Widen "N units ago" into "more than N units ago": from just under twice as long ago up to N units ago."""
    if not more or found is None or published is None or found[2] is not None:
        return found
    day = found[0]
    start = published - 2 * (published - day) + timedelta(days=1)
    return start, "week" if found[1] != "month" else "month", day


def _some_ago(unit: str, published: date) -> _Resolved:
    """Return a span for ``منذ أيام``/"a few days ago" (2 to 7 days back), weeks (2 to 5), months (2 to 6)."""
    if unit == "day":
        return published - timedelta(days=7), "week", published - timedelta(days=2)
    if unit == "week":
        return published - timedelta(days=35), "month", published - timedelta(days=14)
    year, month = _shift_month(published.year, published.month, -6)
    end_year, end_month = _shift_month(published.year, published.month, -2)
    return date(year, month, 1), "month", _month_end(end_year, end_month)


def _resolve_relative_week(g: _Groups, published: date | None) -> _Resolved | None:
    if published is None:
        return None
    monday = published - timedelta(days=published.weekday())
    kind = _kind(g.get("q"))
    if kind == "past":
        return monday - timedelta(days=7), "week", monday - timedelta(days=1)
    if kind == "future":
        return monday + timedelta(days=7), "week", monday + timedelta(days=13)
    if "earlier" in _key(g.get("q") or ""):  # "earlier this week": before the day of writing
        return monday, "week", max(monday, published - timedelta(days=1))
    return monday, "week", monday + timedelta(days=6)


def _resolve_relative_month(g: _Groups, published: date | None) -> _Resolved | None:
    if published is None:
        return None
    kind = _kind(g.get("q"))
    year, month = _shift_month(published.year, published.month, _MONTH_DELTA[kind])
    return date(year, month, 1), "month", published if kind == "current" else _month_end(year, month)


# ---------------------------------------------------------------- patterns

# A month, optionally doubled with its other name: "أكتوبر/تشرين الأول", "تشرين الأول (أكتوبر)", "ايلول سبتمبر".
_MONTHS = rf"(?P<m1>{_AR_MONTH}|{_EN_MONTH})(?:\s*(?:[/\\|-]\s*|\(\s*)?(?P<m2>{_AR_MONTH})(?!\w)(?:\s*\))?)?(?![^\W\d_])"
# An optional weekday before a full date: "الخميس 30 نوفمبر 2017", "Monday, Oct. 16".
_WEEKDAY_PREFIX = rf"(?:(?:يوم\s+)?(?:{_AR_WEEKDAY}|{'|'.join(_WEEKDAYS_EN)})\s*[،,]?\s*)?"
_DAY = r"(?:ال|(?i:the)\s+)?(?<![\d/.:-])(?P<d>\d{1,2})(?:st|nd|rd|th)?(?![\d:])"
_YEAR = (
    r"(?:\s*[,،/.-]?\s*(?:(?:من\s+)?(?:عام|العام|سنه)\s+|of\s+)?(?P<y>(?:19|20)\d\d)(?!\d)(?:\s*م(?!\w))?)?"
)
_YEAR_Q = (
    r"(?:\s+(?:من\s+)?(?P<yq>(?:العام|عام|السنه)\s+(?:"
    + _QUAL
    + r")|هذا\s+العام|(?i:last\s+year|this\s+year)))?"
)
_QUALIFIER = rf"(?:\s+(?P<q>{_QUAL}))?{RIGHT}"
_AFTER_MONTH = _YEAR + _YEAR_Q + _QUALIFIER


def _rule(
    name: str,
    anchor: str,
    pattern: str,
    resolve: Callable[[_Groups, date | None], _Resolved | None],
    *,
    absolute: bool = False,
) -> _Rule:
    return _Rule(name, tuple(anchor.split()), re.compile(pattern), resolve, absolute)


# Order is priority among candidates of equal length; the longest candidate always wins.
_RULES: tuple[_Rule, ...] = (
    _rule(
        "numeric",
        "year",
        r"(?<![\d/.-])(?P<d>\d{1,2})\s*(?P<sep>[/.-])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<y>\d{4})(?!\d)",
        _resolve_numeric,
        absolute=True,
    ),
    _rule(
        "iso",
        "year",
        r"(?<![\d/.-])(?P<y>\d{4})(?P<sep>[-/])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)",
        lambda g, p: _resolve_numeric(g, p) if int(g["m"] or 0) <= 12 else None,
        absolute=True,
    ),
    _rule(
        "day_range_month",
        "month_ar month_en",
        LEFT
        + r"(?:ال|(?i:the)\s+)?(?<![\d/.:-])(?P<d>\d{1,2})(?:st|nd|rd|th)?\s*(?:-|الي|حتي|و|(?i:to|and))\s*"
        + r"(?:ال)?(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s*(?:من\s+(?:شهر\s+)?|of\s+)?"
        + _MONTHS
        + _AFTER_MONTH,
        _resolve_day_month,
        absolute=True,
    ),
    _rule(
        "day_month",
        "month_ar month_en",
        LEFT
        + _WEEKDAY_PREFIX
        + _DAY
        + r"\s*(?:[/.-]\s*|(?:من\s+)?(?:شهر\s+)?|(?i:of)\s+)?"
        + _MONTHS
        + _AFTER_MONTH,
        _resolve_day_month,
        absolute=True,
    ),
    _rule(
        "quoted_day_month",
        "year",
        rf"(?<![\d/.:-])(?P<d>\d{{1,2}})\.?\s+(?P<qm>{_QUOTED_MONTH})\s+(?P<y>(?:19|20)\d\d)(?!\d)(?:\s*г\.)?",
        _resolve_quoted,
        absolute=True,
    ),
    _rule(
        "month_day",
        "month_en",
        LEFT
        + _WEEKDAY_PREFIX
        + rf"(?P<m1>{_EN_MONTH})\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:\s*-\s*(?P<d2>\d{{1,2}}))?(?![\d:])"
        + r"(?:,?\s*(?P<y>(?:19|20)\d\d)(?!\d))?"
        + RIGHT,
        _resolve_day_month,
        absolute=True,
    ),
    _rule(
        "month_day",
        "month_ar",
        LEFT + rf"(?P<m1>{_AR_MONTH})\s+(?P<d>\d{{1,2}})\s*[,،]?\s+(?P<y>(?:19|20)\d\d)(?!\d)" + RIGHT,
        _resolve_day_month,
        absolute=True,
    ),
    _rule(
        "date_range",
        "month_ar month_en",
        LEFT
        + rf"(?P<d>\d{{1,2}})\s+(?P<ma>{_AR_MONTH}|{_EN_MONTH})\s*(?:-|الي|حتي|(?i:to|until))\s*"
        + rf"(?P<d2>\d{{1,2}})\s+(?P<mb>{_AR_MONTH}|{_EN_MONTH})\s*[,،]?\s*(?P<y>(?:19|20)\d\d)(?!\d)",
        lambda g, p: _resolve_range(g),
        absolute=True,
    ),
    _rule(
        "ordinal_day_month",
        "month_ar",
        LEFT + _WEEKDAY_PREFIX + rf"(?P<o>{_ORDINAL})\s+من\s+(?:شهر\s+)?" + _MONTHS + _AFTER_MONTH,
        _resolve_day_month,
        absolute=True,
    ),
    _rule(
        "day_of_relative_month",
        "relmonth_ar",
        LEFT
        + rf"(?:(?:ال)?(?<![\d/.:-])(?P<d>\d{{1,2}})(?![\d:])|(?P<o>{_ORDINAL}))\s+(?:من\s+)?"
        + rf"(?:(?:الشهر|شهر)\s+(?P<q>{_QUAL})|(?P<q2>{phrase_alternation(_CURRENT)})){RIGHT}",
        lambda g, p: _resolve_day_of_relative_month({**g, "q": g["q"] or g["q2"]}, p),
    ),
    _rule(
        "day_of_relative_month",
        "relmonth_en",
        r"(?<!\w)(?i:the\s+(?P<d>\d{1,2})(?:st|nd|rd|th)\s+of\s+(?P<q>last|this|next)\s+month)" + RIGHT,
        _resolve_day_of_relative_month,
    ),
    _rule(
        "month_part",
        "month_ar month_en",
        LEFT + rf"(?P<part>{_AR_PART}|{_EN_PART})(?:\s*-\s*|\s+)(?:شهر\s+)?" + _MONTHS + _AFTER_MONTH,
        _resolve_month_part,
        absolute=True,
    ),
    _rule(
        "month_part",
        "relmonth_ar",
        LEFT + rf"(?P<part>{_AR_PART})\s+(?:الشهر|شهر)\s+(?P<q>{_QUAL}){RIGHT}",
        _resolve_month_part,
    ),
    _rule(
        "month_part",
        "relmonth_en",
        rf"(?<!\w)(?P<part>{_EN_PART})\s+(?P<q>(?i:last|this|next))\s+(?i:month){RIGHT}",
        _resolve_month_part,
    ),
    _rule(
        "month",
        "month_ar month_en",
        LEFT
        + r"(?:(?P<pre>في|خلال|منذ|حتي|شهر|(?i:in|during|since|until|by|of))\s+(?:شهر\s+)?)?"
        + _MONTHS
        + _AFTER_MONTH,
        _resolve_month,
        absolute=True,
    ),
    _rule(
        "night",
        "weekday_ar",
        LEFT + rf"ليل(?:ه)?\s+(?P<wd>{_AR_WEEKDAY})\s*(?:-|/|علي|الي|و)?\s*(?P<wd2>{_AR_WEEKDAY}){RIGHT}",
        _resolve_night,
    ),
    _rule(
        "night",
        "weekday_en",
        rf"(?<!\w)(?:(?i:overnight|the\s+night\s+of|the\s+night\s+between)\s+(?P<wd>{_EN_WEEKDAY})"
        + rf"(?:\s+night)?|(?P<wdn>{_EN_WEEKDAY})\s+night)\s*(?:into|to|and|-)\s*(?:early\s+)?(?P<wd2>{_EN_WEEKDAY})"
        + r"(?:\s+morning)?"
        + RIGHT,
        lambda g, p: _resolve_night({**g, "wd": g["wd"] or g["wdn"]}, p),
    ),
    _rule(
        "weekday",
        "weekday_ar",
        LEFT
        + rf"(?:(?:{_DAY_PARTS_AR})\s+)?(?:(?P<tomorrow>(?:يوم\s+)?غدا?)\s+|(?:يوم|اليوم|امس|يوم\s+امس|البارحه)\s+)?"
        + rf"(?P<wd>{_AR_WEEKDAY})(?:\s+(?P<q>{_QUAL}))?{RIGHT}",
        lambda g, p: _resolve_weekday({**g, "q": "المقبل" if g["tomorrow"] else g["q"]}, p),
    ),
    _rule(
        "weekday",
        "weekday_en",
        rf"(?<!\w)(?:(?P<q>(?i:last|this|next))\s+)?(?P<wd>{_EN_WEEKDAY})"
        + r"(?:\s+(?i:morning|afternoon|evening|night))?"
        + RIGHT,
        _resolve_weekday,
    ),
    _rule(
        "relative_day",
        "relday_ar",
        LEFT
        + rf"(?:(?:{_DAY_PARTS_AR})\s+)?(?:يوم\s+)?"
        + rf"(?P<w>{phrase_alternation(['أول من أمس', 'أول أمس', 'أمس', 'الأمس', 'البارحة', 'الليلة الماضية', 'غدا'])}"
        + rf"|اليوم(?!\s+(?:{_NOT_TODAY}){RIGHT})){RIGHT}",
        _resolve_relative_day,
    ),
    _rule(
        "relative_day",
        "relday_en",
        r"(?<!\w)(?P<w>(?i:the\s+day\s+before\s+yesterday|yesterday|tomorrow|today|tonight|last\s+night|this\s+morning"
        + r"|this\s+afternoon|this\s+evening|earlier\s+today))"
        + RIGHT,
        _resolve_relative_day,
    ),
    _rule(
        "ago",
        "ago_ar",
        LEFT
        + rf"(?:قبل|(?P<since>منذ))\s+(?:(?:{phrase_alternation(_ABOUT_AR)})\s+)?"
        + rf"(?:(?P<n>\d{{1,2}}|{phrase_alternation(_AR_NUMBERS)})\s+)?"
        + rf"(?P<unit>{phrase_alternation(_AR_UNITS)}){RIGHT}(?!\s+(?:من|علي|الي)\s)",
        _resolve_ago,
    ),
    _rule(
        "ago",
        "ago_en",
        # "more than a week ago": a span, from twice as long ago up to the count
        r"(?<!\w)(?:(?P<more>(?i:more\s+than|over))\s+)?"
        r"(?:(?P<n>\d{1,2}|(?i:an?|one|two|three|four|five|six|seven|eight|nine|ten))|(?i:a\s+few|several|few))\s+"
        + r"(?P<unit>(?i:days?|weeks?|months?))\s+(?i:ago)"
        + RIGHT,
        lambda g, p: _more_than(
            _resolve_ago({**g, "unit": (g["unit"] or "").lower()}, p), p, bool(g.get("more"))
        ),
    ),
    _rule(
        "relative_week",
        "week_ar",
        LEFT + rf"(?:الاسبوع\s+(?P<q>{_QUAL})|(?P<q2>هذا)\s+الاسبوع){RIGHT}",
        lambda g, p: _resolve_relative_week({**g, "q": g["q"] or g["q2"]}, p),
    ),
    _rule(
        "relative_week",
        "week_en",
        r"(?<!\w)(?P<q>(?i:last|this|next|earlier\s+this|the\s+previous|the\s+past))\s+(?i:week)" + RIGHT,
        _resolve_relative_week,
    ),
    _rule(
        "relative_month",
        "relmonth_ar",
        LEFT + rf"(?:الشهر\s+(?P<q>{_QUAL})|(?P<q2>هذا)\s+الشهر){RIGHT}",
        lambda g, p: _resolve_relative_month({**g, "q": g["q"] or g["q2"]}, p),
    ),
    _rule(
        "relative_month",
        "relmonth_en",
        r"(?<!\w)(?P<q>(?i:last|this|next|earlier\s+this))\s+(?i:month)" + RIGHT,
        _resolve_relative_month,
    ),
)

# ---------------------------------------------------------------- finding

# Every rule needs an anchor word of its family; rules run only in windows around those words, which keeps long
# texts fast (the patterns are not cheap to try at every position).
_ANCHORS: dict[str, str] = {}


def _add_anchors(family: str, words: Iterable[str]) -> None:
    for word in words:
        for form in {word, word.lower(), word.capitalize(), word.upper()}:
            _ANCHORS[form] = family


_RELATIVE_DAY_WORDS = [w for k in _RELATIVE_DAYS for w in k.split()[-1:]]
_add_anchors("month_ar", [n.split()[0] for n in _MONTH_LOOKUP if not n.isascii()])
_add_anchors("month_en", [n for n in _MONTH_LOOKUP if n.isascii()])
_add_anchors("weekday_ar", [w for w in _WEEKDAY_LOOKUP if not w.isascii()])
_add_anchors("weekday_en", [w for w in _WEEKDAY_LOOKUP if w.isascii()])
_add_anchors("relmonth_ar", [fold_phrase(w) for w in ("الشهر", *_CURRENT)])
_add_anchors("relmonth_en", ["month"])
_add_anchors("week_ar", [fold_phrase("الأسبوع")])
_add_anchors("week_en", ["week"])
_add_anchors("relday_ar", [w for w in _RELATIVE_DAY_WORDS if not w.isascii()])
_add_anchors(
    "relday_en",
    [*(w for w in _RELATIVE_DAY_WORDS if w.isascii()), "night", "morning", "afternoon", "evening"],
)
_add_anchors("ago_ar", [fold_phrase("قبل"), fold_phrase("منذ")])
_add_anchors("ago_en", ["ago"])


def trie_regex(words: Iterable[str]) -> str:
    """Return a regex that matches exactly ``words``, built as a trie (fails fast at most positions)."""
    root: dict[str, dict] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        alternatives = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(root)


@lru_cache(maxsize=1)
def _anchor_re() -> re.Pattern[str]:
    """Every anchor word (an Arabic proclitic may be glued to it), and every year from 1900 to 2099.

    A digit may touch the word: scraped text loses the space in "15October 2017", "October15, 2017".
    """
    return re.compile(
        rf"(?<![^\W\d_])[وفبل]{{0,2}}(?P<w>{trie_regex(_ANCHORS)})(?![^\W\d_])|(?<!\d)(?:19|20)\d\d(?!\d)"
    )


_SPACE_RE = re.compile(r"\s")
_WINDOW_BEFORE = 70  # characters an expression can reach before its anchor word ...
_WINDOW_AFTER = 80  # ... and after it
# Texts up to this size are searched whole by every rule (the tests compare both ways). Windows pay off at any
# size: a news item of 1-2 kB has few anchor words, and trying every rule at every position cost 3 ms a file.
_SMALL_TEXT = 0
_MERGE_GAP = 120  # windows closer than this are searched as one (fewer calls, a little more text)


@lru_cache(maxsize=1)
def _families() -> tuple[str, ...]:
    """Return the rule families: one per kind of anchor word, and "year" (built once: anchor forms are many)."""
    return tuple(dict.fromkeys([*_ANCHORS.values(), "year"]))


def _windows(norm: str) -> dict[str, list[tuple[int, int]]]:
    """Spans of ``norm`` around the anchor words of each rule family, merged, ending at white space.

    Windows end at white space, so that no rule sees a word cut in half at a window's edge (patterns look
    behind a window's start freely, and see its end as the end of the text).
    """
    families = _families()
    if len(norm) <= _SMALL_TEXT:
        return {family: [(0, len(norm))] for family in families}
    hits: dict[str, list[tuple[int, int]]] = {family: [] for family in families}
    for m in _anchor_re().finditer(norm):
        hits[_ANCHORS[m.group("w")] if m.group("w") else "year"].append(m.span())
    out: dict[str, list[tuple[int, int]]] = {}
    for family, spans in hits.items():
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            reach = max(0, start - _WINDOW_BEFORE)
            start = max(0, norm.rfind(" ", 0, reach), norm.rfind("\n", 0, reach)) if reach else 0
            cut = _SPACE_RE.search(norm, min(end + _WINDOW_AFTER, len(norm)))
            end = cut.start() if cut else len(norm)
            if merged and start <= merged[-1][1] + _MERGE_GAP:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        out[family] = merged
    return out


def _candidates(norm: str, published: date | None) -> list[tuple[int, int, int, _Resolved]]:
    found: list[tuple[int, int, int, _Resolved]] = []
    windows = _windows(norm)
    for priority, rule in enumerate(_RULES):
        if published is None and not rule.absolute:
            continue
        for w_start, w_end in (w for family in rule.anchors for w in windows[family]):
            for m in rule.pattern.finditer(norm, w_start, w_end):
                groups = m.groupdict()
                resolved = rule.resolve(groups, published)
                if resolved is None:
                    continue
                start = m.start("m1") if rule.name == "month" and groups.get("pre") else m.start()
                found.append((start, m.end(), priority, resolved))
    return found


def find_dates(
    text: str, *, published: date | None = None, normal: NormalText | None = None
) -> list[DateMention]:
    """Find the date expressions of ``text`` and resolve them against ``published``.

    Parameters
    ----------
    text
        Arabic or English text (any mix).
    published
        The publication date. Without it, only expressions with their own year are resolved.
    normal
        ``normalise(text)`` when the caller has it already (it is then not computed again).

    Returns
    -------
    list of DateMention
        In text order, without overlaps: where two expressions overlap, the longer wins.
    """
    norm = normal if normal is not None and normal.original is text else normalise(text)
    candidates = _candidates(norm.text, published)
    candidates.sort(key=lambda c: (c[0] - c[1], c[2], c[0]))  # longest first, then rule priority
    # Characters taken so far: a list insert per date made long texts quadratic (issue 13).
    taken = bytearray(len(norm.text) + 1)
    chosen: list[tuple[int, int, int, _Resolved]] = []
    for cand in candidates:
        start, end = cand[0], cand[1]
        if taken.find(1, start, max(end, start + 1)) >= 0:
            continue
        taken[start:end] = b"\x01" * (end - start)
        chosen.append(cand)
    chosen.sort(key=lambda c: c[0])
    chosen = [c for c in chosen if not _in_name(norm.text, c[0], c[1])]
    chosen = _with_later(norm.text, _with_sentence_year(norm.text, chosen))
    chosen = _with_future(norm.text, chosen, published)
    out: list[DateMention] = []
    for start, end, priority, (day, precision, day_end) in chosen:
        o_start, o_end = norm.to_original(start), norm.to_original(end)
        rule = _RULES[priority].name if priority >= 0 else "later"
        out.append(DateMention(text[o_start:o_end], o_start, o_end, day, precision, rule, day_end))
    return out


# ---------------------------------------------------------------- a weekday after a future verb

# A future verb earlier in the sentence: "flights will stop on Friday", «ستعلق اعتبارا من مساء الجمعة». In
# Arabic «س» glued to a present verb looks like many other words (سنجار، سيطرة، ستة), so it counts only with
# «اعتبارا من»/«ابتداء من» ("as from") right before the weekday.
_FUTURE_BEFORE_RE = re.compile(
    r"(?:\b(?:will|shall|(?:is|are)\s+(?:set|due)\s+to)\b[^.!?\n]{0,60}"
    r"|(?<!\w)(?:سوف|س[تي]\w{2,})\s[^.!?؟\n]{0,40}(?:اعتبارا|ابتداء|بدءا)\s+من\s+(?:\w+\s+)?)\Z",
    re.IGNORECASE,
)
_QUALIFIED_RE = re.compile(rf"{_QUAL}|غد|امس|اليوم|(?i:\b(?:last|this|next)\b)")


def _with_future(
    norm: str, chosen: list[tuple[int, int, int, _Resolved]], published: date | None
) -> list[tuple[int, int, int, _Resolved]]:
    """Move a bare weekday after a future verb to the coming such day (on or after publication)."""
    if published is None:
        return chosen
    out = []
    for start, end, priority, resolved in chosen:
        if (
            priority >= 0
            and _RULES[priority].name == "weekday"
            and not _QUALIFIED_RE.search(norm, start, end)
            and _FUTURE_BEFORE_RE.search(norm, max(0, start - 80), start)
        ):
            ahead = (resolved[0].weekday() - published.weekday()) % 7
            resolved = (published + timedelta(days=ahead), "day", None)
        out.append((start, end, priority, resolved))
    return out


# ---------------------------------------------------------------- dates in names, dates counted from a date

# A date that names a street, a square or a neighbourhood (حي 1 حزيران, ثورة 14 تموز), or an outlet
# (صحيفة العراق اليوم, "Iraq Today"), is no date.
_NAME_BEFORE_RE = re.compile(
    r"(?<!\w)[وب]?(?:ال)?(?:حي|شارع|ساحه|جسر|ثوره|انتفاضه|مستشفي|مدرسه|جامعه|مجمع|معسكر|قاعده)\s*$"
)
_NAME_AFTER_RE = re.compile(r"^\s+(?:Street|St\b|Square|Bridge|Neighbou?rhood|District|Revolution)")
_OUTLET_BEFORE_RE = re.compile(
    r"(?<!\w)[وب]?(?:ال)?(?:صحيفه|جريده|موقع|وكاله|قناه|شبكه|مجله|اذاعه|برنامج)(?:\s+\S+){1,2}\s+$"
)
_CAPITALISED_AFTER_RE = re.compile(r"\s+[A-Z]")  # "Today News"
_CAPITALISED_BEFORE_RE = re.compile(r"(?<![.!?:;\n])\b[A-Z][\w'.-]*\s+$")


def _in_name(norm: str, start: int, end: int) -> bool:
    """Whether the expression at ``norm[start:end]`` is part of a name rather than a date."""
    before = norm[max(0, start - 40) : start]
    if _NAME_BEFORE_RE.search(before) or _NAME_AFTER_RE.match(norm, end):
        return True
    word = norm[start:end]
    if word in ("اليوم", "Today", "TODAY"):
        # "Baghdad Today reported": a capitalised Today after a capitalised word, mid-sentence, is an outlet
        if word == "اليوم":
            return bool(_OUTLET_BEFORE_RE.search(before))
        return bool(_CAPITALISED_BEFORE_RE.search(before) or _CAPITALISED_AFTER_RE.match(norm, end))
    return False


_YEAR_IN_RE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_SENTENCE_END_RE = re.compile(r"[.!?؟\n]")
_YEARLESS_RULES = frozenset({"day_month", "ordinal_day_month", "month_part"})


def _with_sentence_year(
    norm: str, chosen: list[tuple[int, int, int, _Resolved]]
) -> list[tuple[int, int, int, _Resolved]]:
    """Give a date without a year the year written with a date just before it in the same sentence.

    "15 October 2017, shortly after the referendum held on 25 September" (written in 2024) is 25 September
    2017, not the 25 September before publication.
    """
    out = list(chosen)
    for k, (start, end, priority, (day, precision, day_end)) in enumerate(chosen):
        if (
            priority < 0
            or _RULES[priority].name not in _YEARLESS_RULES
            or _YEAR_IN_RE.search(norm, start, end)
        ):
            continue
        before = None
        for c in reversed(chosen[max(0, k - 3) : k]):
            if start - c[1] <= 150 and _YEAR_IN_RE.search(norm, c[0], c[1]):
                before = c
                break
        if before is None or _SENTENCE_END_RE.search(norm, before[1], start):
            continue
        year = before[3][0].year
        moved = _safe_date(year, day.month, day.day)
        moved_end = _safe_date(year, day_end.month, day_end.day) if day_end else None
        if moved is not None and year != day.year:
            out[k] = (start, end, priority, (moved, precision, moved_end))
    return out


_LATER_NUMBER = (
    r"(?P<{}>\d{{1,2}}|(?i:an?|one|two|three|four|five|six|seven|eight|nine|ten)|"
    + phrase_alternation(_AR_NUMBERS).replace("{", "{{").replace("}", "}}")
    + ")"
)
# "five days later", "بعد ثلاثة أيام", "the next day", "في اليوم التالي": counted from the date written before.
_LATER_RE = re.compile(
    rf"(?<!\w)(?:{_LATER_NUMBER.format('n')}\s+(?P<unit>(?i:days?|weeks?|months?))\s+(?i:later)"
    + r"|(?P<next>(?i:the\s+(?:next|following)\s+day|a\s+day\s+later|the\s+day\s+after))"
    + rf"|[وف]?بعد\s+(?:{_LATER_NUMBER.format('n_ar')}\s+)?(?P<unit_ar>{phrase_alternation(_AR_UNITS)})(?!\s+(?:من|علي|علي|الي)\s)"
    + r"|(?P<next_ar>(?:[وف]?في\s+)?(?:صباح\s+)?اليوم\s+التالي|[وف]?غداه)"
    + r"|(?P<same_day>(?i:(?:earlier|later)\s+(?:on|in)\s+the\s+day|(?:on\s+)?the\s+same\s+day|that\s+same\s+day"
    + r"|later\s+that\s+day|earlier\s+that\s+day)|(?:[وف]?في\s+)?(?:اليوم\s+(?:ذاته|نفسه)|(?:ذات|نفس)\s+اليوم))"
    + r"|(?:ال)?(?P<same_month_day>\d{1,2})\s+من\s+(?:الشهر|شهر)\s+(?:نفسه|ذاته))(?!\w)"
)


_LATER_WORDS = (
    "later",
    "next",
    "following",
    "after",
    "day",
    "بعد",
    "التالي",
    "غداه",
    "نفسه",
    "ذاته",
    "اليوم",
)


def _later_days(m: re.Match[str]) -> tuple[int, str] | None:
    """Return (days after the date written before, precision) for a match of :data:`_LATER_RE`."""
    if m.group("same_day"):
        return 0, "day"
    if m.group("next") or m.group("next_ar") or m.group("same_month_day"):
        return 1, "day"
    word = m.group("n") or m.group("n_ar")
    unit, implied = _UNIT_LOOKUP[_key(m.group("unit") or m.group("unit_ar") or "")]
    if (word and implied > 1) or (not word and implied == 0):
        return None  # "بعد أشهر", "بعد ثلاثة يومين": no date
    n = (int(word) if word.isdigit() else _NUMBER_LOOKUP.get(_key(word), 0)) if word else implied
    if not 1 <= n <= (12 if unit == "month" else 31):
        return None
    return (n, "day") if unit == "day" else (7 * n, "week") if unit == "week" else (n, "month")


def _with_later(
    norm: str, chosen: list[tuple[int, int, int, _Resolved]]
) -> list[tuple[int, int, int, _Resolved]]:
    """Add the expressions counted from the latest day written before them ("five days later"); -1 marks them.

    ``chosen`` is in text order without overlaps; one pass over it and the matches, in step.
    """
    lowered = norm.lower()
    if not any(w in lowered for w in _LATER_WORDS):
        return chosen
    added: list[tuple[int, int, int, _Resolved]] = []
    starts = [c[0] for c in chosen]
    j = 0
    last_day: tuple[int, date] | None = None  # (end, day) of the latest day written so far
    last_any: tuple[int, date] | None = None  # (end, first day) of the latest date of any precision
    for m in _LATER_RE.finditer(norm):
        while j < len(chosen) and chosen[j][1] <= m.start():
            if chosen[j][3][1] == "day" and (last_day is None or chosen[j][1] > last_day[0]):
                last_day = (chosen[j][1], chosen[j][3][0])
            if last_any is None or chosen[j][1] > last_any[0]:
                last_any = (chosen[j][1], chosen[j][3][0])
            j += 1
        i = bisect_left(starts, m.end())
        if i > 0 and chosen[i - 1][1] > m.start():
            continue  # overlaps a date found by the rules
        anchor = last_any if _counts_months(m) else last_day
        found = _counted(m, anchor[1]) if anchor is not None else None
        if found is not None:
            added.append((m.start(), m.end(), -1, found))
            if found[1] == "day":
                last_day = (m.end(), found[0])
    return sorted(chosen + added) if added else chosen


def _counts_months(m: re.Match[str]) -> bool:
    """Whether a match of :data:`_LATER_RE` counts months ("two months later", «بعد شهرين»)."""
    unit = m.group("unit") or m.group("unit_ar")
    return unit is not None and _UNIT_LOOKUP.get(_key(unit), ("", 0))[0] == "month"


def _counted(m: re.Match[str], anchor: date) -> _Resolved | None:
    """Resolve a match of :data:`_LATER_RE` against the day written before it."""
    if m.group("same_month_day"):
        day = _safe_date(anchor.year, anchor.month, int(m.group("same_month_day")))
        return (day, "day", None) if day is not None else None
    shift = _later_days(m)
    if shift is None:
        return None
    if shift[1] == "month":  # "two months later": the month, counted from the month written before
        year, month = _shift_month(anchor.year, anchor.month, shift[0])
        return date(year, month, 1), "month", _month_end(year, month)
    return anchor + timedelta(days=shift[0]), shift[1], None


# ---------------------------------------------------------------- publication date

_DATELINE_LINES = 8
_DATELINE_PREFIX_RE = re.compile(r"^[^\n.!?؟]{0,60}?[(\-—–:|،,]\s*$")


def read_publication_date(text: str) -> date | None:
    """Read the publication date from the dateline of an article.

    The dateline is looked for in the first lines: a short line holding a full date (``الخميس 30 نوفمبر 2017
    06:11 ص``, ``2017-10-16``), or a date right after a place and a dash or bracket (``KIRKUK, Iraq (Oct 16,
    2017)``, ``بغداد - 18 تشرين الأول/أكتوبر 2017``). A date inside a long sentence is not a dateline.

    Parameters
    ----------
    text
        The article text.

    Returns
    -------
    datetime.date or None
        None when no dateline holds a full date (day, month and year).
    """
    lines = [line.strip() for line in text[:4000].splitlines() if line.strip()][:_DATELINE_LINES]
    for line in lines:
        head = line[:200]
        for mention in find_dates(head):
            if mention.precision != "day" or mention.date_end is not None:
                continue  # a range ("Date: 15–20 October 2017" in an infobox) is not when it was published
            if len(line) <= 100 or _DATELINE_PREFIX_RE.match(head[: mention.start]):
                return mention.date
    return _dateparser_dateline(lines)


def _dateparser_dateline(lines: list[str]) -> date | None:
    """Fall back on dateparser for short dateline-like lines that our rules do not read."""
    short = [line for line in lines if len(line) <= 60 and re.search(r"(?:19|20)\d\d", line)]
    if not short:
        return None
    import dateparser  # slow to import, and needed only here

    for line in short:
        parsed = dateparser.parse(
            line,
            languages=["ar", "en"],
            settings={"REQUIRE_PARTS": ["day", "month", "year"], "STRICT_PARSING": True},
        )
        if parsed is not None:
            logger.debug("dateline %r read by dateparser as %s", line, parsed.date())
            return parsed.date()
    return None
