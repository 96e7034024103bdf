"""Article ingestion: an Arabic or English news article in, geocoded and dated candidate events out.

The pipeline, on one text:

1. places through the geocoder (:func:`geodata.geocode.find_mentions`), dates through :mod:`geodata.dates`;
2. sentences (Arabic and English punctuation, line breaks; never inside a date or a place name);
3. one pass over the words for event cues, actors, clause markers and place roles (tables below);
4. per sentence, clauses: a subordinate clause starts at ``بعد``/``after``/``حين``/``when``/``التي``...;
5. each cue takes one place (the nearest in its clause, preferring what follows it; places listed with it
   with ``و``/``and`` too); ``من X``/``from X`` is the origin of a movement, ``عن طريق``/``via`` a waypoint,
   ``شمال X``/``near X`` a locator, and a dateline place (``كركوك -``) never an event place;
6. each event takes a date (the rule, documented in the README):

   * a date in its own clause; else, in a subordinate clause, the date of the main clause (dates of a
     subordinate clause never reach the main clause);
   * else, where the text says so (``في اليوم ذاته``, ``the same day``), the latest date written before;
     ``في اليوم التالي``/``the next day`` adds a day;
   * else the date of the same event reported elsewhere in the article (same place and type, or same type
     and actors), with lower confidence;
   * else no date: ``event_date`` is ``None`` and the confidence is low. The publication date is never
     used as a stand-in, and a date of the dateline (found by position, :func:`dateline_segments`) never
     dates an event, even when the body goes on in the dateline's sentence.

Withdrawals folded into a control change at the same place (``انسحاب البيشمركة ... دخلت القوات``) give the
change its ``controller_before``; duplicates of one event are merged.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from geodata.dates import (
    _NUMBER_LOOKUP,
    DateMention,
    NormalText,
    find_dates,
    fold_phrase,
    normalise,
    read_publication_date,
    trie_regex,
)
from geodata.errors import ArticleError, InputError
from geodata.lexicon import AR_CUES, EN_CUES
from geodata.text import CLITIC_PREFIXES, decode_text, script_of
from geodata.vocab import EVENT_COLUMNS

logger = logging.getLogger(__name__)

LANGS: tuple[str, ...] = ("ar", "en")
_CONTROLLER_ORDER: tuple[str, ...] = ("isf", "pmf", "krg", "us", "isis")

# ---------------------------------------------------------------- reading files


def read_article(path: str | Path) -> str:
    """Read an article file as text (NFC).

    UTF-8 (with or without BOM) and UTF-16 with a BOM are read as such; anything else is detected with
    charset-normalizer, which recognises Arabic in Windows-1256.

    Raises
    ------
    ArticleError
        If the file cannot be read, is empty, or is binary or undecodable; the message names the file.
    """
    from geodata.store.csv_reader import read_regular_file

    p = Path(path)
    try:
        data = read_regular_file(p)  # /dev/zero or a FIFO would be read forever
    except OSError as exc:
        raise ArticleError(f"{p}: cannot read the file ({exc.strerror or exc})") from exc
    return decode_article(data, str(p))


def decode_article(data: bytes, name: str) -> str:
    """Decode the bytes of an article (an uploaded file) as :func:`read_article` does; ``name`` names it in errors."""
    if not data.strip():
        raise ArticleError(f"{name}: the file is empty")
    text = decode_text(data, name)
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    if not text.strip():
        raise ArticleError(f"{name}: the file holds no text")
    return text


# ---------------------------------------------------------------- the result types


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A place named in the article, geocoded."""

    mention: str
    start: int
    end: int
    place_id: str
    name: str
    name_ar: str
    lat: float
    lon: float
    admin1: str
    score: float
    ambiguous: bool = False
    kind: str = ""
    # A place the gazetteer lacks (geodata.unresolved): its coordinate is near_place_id's, at ACLED geo_precision 2/3
    geo_precision: int = 1
    near_place_id: str = ""
    near_name: str = ""

    @property
    def gazetteer_id(self) -> str:
        """The gazetteer place of the coordinate: the place itself, or the one an unresolved place is near."""
        return self.near_place_id or self.place_id

    @property
    def label(self) -> str:
        """The place's name; for an unresolved place, "Mahmoudiya (village, near Tal Afar)": the coordinate is approximate."""
        if not self.near_place_id:
            return self.name
        return f"{self.name} ({self.kind.replace('_', ' ')}, near {self.near_name})"

    def to_dict(self) -> dict[str, Any]:
        """Return ``{mention, start, end, place_id, name, lat, lon, score}`` (and where an unresolved place sits)."""
        out: dict[str, Any] = {
            "mention": self.mention,
            "start": self.start,
            "end": self.end,
            "place_id": self.place_id,
            "name": self.name,
            "lat": self.lat,
            "lon": self.lon,
            "score": self.score,
        }
        if self.near_place_id:
            out.update(geo_precision=self.geo_precision, near_place_id=self.near_place_id)
        return out


@dataclass(frozen=True, slots=True)
class CandidateEvent:
    """One event the article reports, for review.

    ``start``/``end`` index the evidence sentence in the article; ``date_basis`` says how the date was found
    (``clause``, ``main_clause``, ``sentence``, ``carried``, ``same_event``) or is None when the article gives none.
    """

    event_type: str
    event_date: date | None
    date_precision: str | None
    place: PlaceMention
    controller_before: str | None
    controller_after: str | None
    actors: tuple[str, ...]
    sentence: str
    start: int
    end: int
    confidence: float
    date_end: date | None = None
    date_basis: str | None = None
    date_text: str | None = None
    origin: PlaceMention | None = None
    control_mode: str | None = None
    cue: str = ""

    def to_dict(self, *, full: bool = False) -> dict[str, Any]:
        """Return the JSON-able form of ``kcm ingest`` (with ``full``: also date_end, origin, mode, evidence)."""
        out: dict[str, Any] = {
            "event_type": self.event_type,
            "event_date": self.event_date.isoformat() if self.event_date else None,
            "date_precision": self.date_precision,
            "place_id": self.place.place_id,
            "place": self.place.name,
            "lat": self.place.lat,
            "lon": self.place.lon,
            "controller_before": self.controller_before,
            "controller_after": self.controller_after,
            "actors": list(self.actors),
            "sentence": self.sentence,
            "start": self.start,
            "end": self.end,
            "confidence": self.confidence,
        }
        if self.place.near_place_id:
            out.update(geo_precision=self.place.geo_precision, near_place_id=self.place.near_place_id)
        if full:
            out.update(
                date_end=self.date_end.isoformat() if self.date_end else None,
                date_basis=self.date_basis,
                date_text=self.date_text,
                origin_place_id=self.origin.place_id if self.origin else None,
                origin=self.origin.name if self.origin else None,
                place_as_written=self.place.mention,
                control_mode=self.control_mode,
                cue=self.cue,
            )
        return out

    def to_row(self, *, source: str, source_date: date | None, source_lang: str | None) -> dict[str, Any]:
        """Return the event as an ``events.csv`` row (every column; the id empty), with the source recorded."""
        row = dict.fromkeys(EVENT_COLUMNS, "")
        return row | {
            "event_date": self.event_date.isoformat() if self.event_date else "",
            "date_precision": self.date_precision or "",
            "date_end": self.date_end.isoformat() if self.date_end else "",
            "event_type": self.event_type,
            "place_id": self.place.gazetteer_id,
            "place": self.place.label if self.place.near_place_id else "",
            "place_ar": (self.place.name_ar or self.place.name) if self.place.near_place_id else "",
            "place_as_written": self.place.mention,
            "geo_precision": self.place.geo_precision,
            "origin_place_id": self.origin.place_id if self.origin else "",
            "controller_before": self.controller_before or "",
            "controller_after": self.controller_after or "",
            "control_mode": self.control_mode or "",
            "actors": ";".join(self.actors),
            "summary": _summary(self),
            "source": source,
            "source_date": source_date.isoformat() if source_date else "",
            "source_lang": source_lang or "",
            "status": "reported",
            "notes": _unresolved_note(self.place) + f"extracted from: {self.sentence[:300]}",
        }


@dataclass(frozen=True)
class Extraction:
    """What :func:`extract_article` found in one text."""

    text: str
    published: date | None
    lang: str
    places: tuple[PlaceMention, ...]
    dates: tuple[DateMention, ...]
    events: tuple[CandidateEvent, ...]
    sentences: tuple[tuple[int, int], ...] = ()
    warnings: tuple[str, ...] = ()
    unplaced: tuple[str, ...] = ()  # places the gazetteer lacks, dropped: no known place to put them near

    def to_dict(self, *, full: bool = False) -> dict[str, Any]:
        """Return ``{published, places, dates, events}`` (the shape of ``kcm ingest``); ``full`` adds detail."""
        out: dict[str, Any] = {
            "published": self.published.isoformat() if self.published else None,
            "places": [p.to_dict() for p in self.places],
            "dates": [d.to_dict() for d in self.dates],
            "events": [e.to_dict(full=full) for e in self.events],
        }
        if full:
            out["lang"] = self.lang
            out["warnings"] = list(self.warnings)
        return out


def _unresolved_note(place: PlaceMention) -> str:
    """For a place the gazetteer lacks: say where its coordinate comes from (empty otherwise)."""
    if not place.near_place_id:
        return ""
    return (
        f"place not in the gazetteer: {place.name!r} placed near {place.near_name} ({place.near_place_id}), "
        f"geo_precision {place.geo_precision}; "
    )


def _summary(event: CandidateEvent) -> str:
    who = "+".join(event.actors) or "unknown actors"
    text = f"{event.event_type.replace('_', ' ')} at {event.place.label} ({who})"
    if event.controller_after:
        text += f"; held by {event.controller_after} after"
    return text + " (extracted from the article; review before use)."


# ---------------------------------------------------------------- vocabulary tables

# Event cues: phrase -> (event type, kind), generated in geodata.lexicon from verb stems and lemmas.
_AR_CUES: dict[str, tuple[str, str]] = AR_CUES
_EN_CUES: dict[str, tuple[str, str]] = EN_CUES

# Actors: phrase -> actor code.
_ACTOR_PHRASES: dict[str, str] = {}
for _code, _phrases in {
    "krg": "البيشمركة|بيشمركة|البشمركة|البيشمركه|الآسايش|الأسايش|قوات الإقليم|القوات الكردية|peshmerga|kurdish forces|"
    "kurdish fighters|kurdish troops|asayish|kurdish side",
    "isf": "القوات العراقية|قوات عراقية|الجيش العراقي|الجيش|القوات الاتحادية|الشرطة الاتحادية|الشرطة العراقية|"
    "جهاز مكافحة الإرهاب|مكافحة الإرهاب|القوات الحكومية|القوات الأمنية|قيادة العمليات المشتركة|الفرقة|قطعات الجيش|"
    "iraqi forces|iraqi troops|iraqi army|army|federal police|federal forces|federal troops|counter-terrorism|"
    "counter terrorism|cts|government forces|iraqi police|joint operations command|iraqi military|iraqi units|"
    "iraqi government forces|iraqi federal forces",
    "pmf": "الحشد الشعبي|الحشد|فصائل الحشد|popular mobilization|popular mobilisation|hashd|hashed|shiite militias|"
    "shiite-led paramilitary|paramilitary|pmf",
    "us": "القوات الأمريكية|القوات الأميركية|قوات أمريكية|الجيش الأمريكي|الجيش الأميركي|أمريكية|أمريكي|أمريكيا|"
    "أميركية|التحالف|قوات التحالف|التحالف الدولي|us|u s|american|americans|coalition|us-led coalition",
    "isis": "داعش|تنظيم الدولة|islamic state|isis|daesh",
    "civilians": "العائلات|المدنيين|السكان|الأهالي|النازحين|residents|civilians|families",
}.items():
    for _p in _phrases.split("|"):
        _ACTOR_PHRASES[_p] = _code

# Clause markers and place roles.
_MARKERS: dict[str, str] = {}
for _kind, _phrases in {
    "sub": "بعد|بعدما|بعد أن|قبل أن|قبيل|عقب|إثر|حين|عندما|ما دفع|مما|التي|الذي|after|before|when|as|following|since|"
    "which|who|until",
    # a reported clause ("said that ...") is a main clause of its own: its dates and the saying's both apply
    "coord": "كما|فيما|في حين|بينما|حيث|while|whereas|but|إن|أن|بأن|that",
    "carry": "في اليوم ذاته|في اليوم نفسه|في ذات اليوم|في نفس اليوم|اليوم ذاته|اليوم نفسه|the same day|that same day|"
    "later that day|that day",
    "next": "في اليوم التالي|اليوم التالي|صباح اليوم التالي|the next day|the following day|a day later",
    "neg": "دون|بدون|من دون|without|no|لم|never|not|didn't|لا",
    # a list goes on: "took Rabia and Zummar, as well as the dam" ("as" here is no subordinator)
    "list": "as well as|in addition to|فضلا عن|إضافة إلى|بالإضافة إلى",
    "irrealis": "لن|سوف|تطالب|يطالب|طالب|تدعو|دعا|ينوي|to|will|would|could|might|wants|want|demanded|expected|"
    "intention|plans|plan|refused|annul|"
    # an attempt is not the deed: «في محاولة للسيطرة», «تحاول إيقاف تقدم», "in an effort to establish control"
    "في محاولة|محاولة|تحاول|يحاول|حاولت|حاول|in an effort to|in an attempt to|attempt to|attempting to|"
    "attempted to|trying to|tried to|try to|seeking to|seeks to|sought to|"
    # an intent, a threat or a plan is not the deed: "is set to approach Mosul", «تستعد لاقتحام», «هددت باقتحام»
    "set to|poised to|aims to|aim to|aiming to|hopes to|hope to|hoping to|vowed to|vows to|threatened|threatens|"
    "threatening|intends to|intend to|preparing to|prepares to|تعتزم|يعتزم|تستعد|يستعد|تهدد|يهدد|هدد|هددت|"
    # a step on the way: "an important step towards the liberation of Mosul", "ahead of", "paving the way for"
    "towards the|toward the|ahead of|ahead of the|paving the way for|pave the way for|prelude to|"
    "نية|بنية|نوايا|تنوي|مخاوف|خشية|تخوف|تخوفا|fears|feared",
    "origin": "من|قادما من|قادمة من|from|coming from",
    "dest": "إلى|الى|نحو|باتجاه|to|toward|towards|into",
    "via": "عن طريق|عبر|مرورا ب|via|by way of|through",
    "exclude": "عن|about|over|between",
    "locator": "شمال|جنوب|شرق|غرب|شمالي|جنوبي|شرقي|غربي|شمال غربي|شمال شرقي|جنوب غربي|جنوب شرقي|قرب|بالقرب من|"
    "north of|south of|east of|west of|northwest of|northeast of|southwest of|southeast of|near|outside|"
    "في محافظة|المؤدي إلى|الطريق إلى|road to|highway to|between|"
    # «قضاء سنجار، التابع لمحافظة نينوى»: the district belongs to the governorate named after it
    "التابع|التابعة|التابعة إداريا|التابع إداريا|part of",
    "anaphor": "منها|منه|منهما|فيها|فيه|عليها|عليه|إليها|إليه|it|there|the city|the town|the base|the crossing|"
    "the dam|المدينة|البلدة|المحافظة|القاعدة|القضاء|الناحية",
    "other_side": "مع|ضد|تبدي|يبدي|against|with|from the|pushing|resistance from",
    "demonstrative": "هذه|هذا|تلك|ذلك|these|this|the",
}.items():
    for _p in _phrases.split("|"):
        _MARKERS.setdefault(_p, _kind)
# A word can be several markers: "to" is both a destination and an infinitive.
_MARKERS_EXTRA: dict[str, tuple[str, ...]] = {"to": ("dest", "irrealis"), "between": ("exclude",)}
_DESIGNATORS = frozenset(
    fold_phrase(w)
    for w in "ناحية|قضاء|مدينة|بلدة|منطقة|قاعدة|حقل|حقلي|مطار|مطاري|محافظة|محافظتي|مركز|منفذ|سد|the|town|city|of|province|"
    "district|base|air|crossing|border|nearby|neighbouring|neighboring|القريبة|المجاورة|"
    # what a site is: «آبار نفط الدبس و حقول نفط بابا كركر», «قاعدة كي 1 العسكرية», "oil field(s)"
    "حقول|آبار|ابار|بئر|نفط|النفط|النفطي|النفطية|العسكرية|الجوية|العسكري|الجوي|الدولي|الدولية|"
    "oil|field|fields|oilfield|oilfields|airbase|"
    # the heads of places the gazetteer lacks (geodata.designators) stand in a list too: «جلولاء، قرية X، خانقين»
    "قرية|قرى|قريتي|حي|أحياء|مخيم|معبر|جبل|جبال|سهل|village|villages|neighborhood|neighbourhood".split("|")
)
_NON_VIOLENT = tuple(
    fold_phrase(w)
    for w in "دون قتال|دون مقاومة|من دون قتال|بدون قتال|دون اشتباكات|من دون اشتباكات|without a fight|without clashes|"
    "without resistance|little resistance|no resistance|without fighting|لم تواجه".split("|")
)
_NEGOTIATED = tuple(
    fold_phrase(w)
    for w in "باتفاق|اتفاق|تفاهمات|بموجب تفاهمات|under an arrangement|arrangement|agreement|deal|handover".split(
        "|"
    )
)

# ---------------------------------------------------------------- the phrase matcher


@dataclass(frozen=True, slots=True)
class _Entry:
    tokens: tuple[str, ...]
    category: str  # cue, actor or one of the marker kinds
    value: Any
    rest: re.Pattern[str] | None  # the words after the first, for phrases of several words


def _build_phrase_index() -> dict[str, tuple[_Entry, ...]]:
    index: dict[str, list[_Entry]] = {}

    def add(phrase: str, category: str, value: Any) -> None:
        tokens = tuple(_WORD_RE.findall(fold_phrase(phrase).lower()))
        if tokens:
            rest = (
                re.compile("".join(rf"\W+{re.escape(t)}(?!-?\w)" for t in tokens[1:]))
                if len(tokens) > 1
                else None
            )
            index.setdefault(tokens[0], []).append(_Entry(tokens, category, value, rest))

    for phrase, (etype, kind) in {**_AR_CUES, **_EN_CUES}.items():
        add(phrase, "stop" if kind == "stop" else "cue", (etype, kind))
    for phrase, code in _ACTOR_PHRASES.items():
        add(phrase, "actor", code)
    for phrase, kind in _MARKERS.items():
        for k in _MARKERS_EXTRA.get(phrase, (kind,)):
            add(phrase, k, None)
    return {k: tuple(sorted(v, key=lambda e: -len(e.tokens))) for k, v in index.items()}


_WORD_RE = re.compile(r"\w+(?:-\w+)*")
_NON_WORDS_RE = re.compile(r"\W*")
_PHRASES = _build_phrase_index()
_PREFIXES = ("", *CLITIC_PREFIXES)


@lru_cache(maxsize=2)
def _first_words_re(cues_only: bool = False) -> re.Pattern[str]:
    """Every word that can start a phrase (or a cue), with its proclitics (a trie: fast to scan)."""
    prefixes = "|".join(sorted(_PREFIXES[1:], key=len, reverse=True))
    words = [
        w for w, entries in _PHRASES.items() if not cues_only or any(e.category == "cue" for e in entries)
    ]
    return re.compile(rf"(?<![\w-])(?:{prefixes})?(?:{trie_regex(words)})(?![\w-])")


@lru_cache(maxsize=100_000)
def _word_entries(word: str) -> tuple[tuple[str, tuple[_Entry, ...]], ...]:
    """Return the phrase entries that can start at ``word``, with the proclitic stripped to reach them."""
    found: list[tuple[str, tuple[_Entry, ...]]] = []
    if word in _PHRASES:
        found.append(("", _PHRASES[word]))
    if not word.isascii():
        for prefix in _PREFIXES[1:]:
            if word.startswith(prefix) and len(word) - len(prefix) >= 2:
                rest = word[len(prefix) :]
                if rest in _PHRASES:
                    found.append((prefix, _PHRASES[rest]))
                if prefix.endswith("لل") and "ال" + rest in _PHRASES:
                    found.append((prefix, _PHRASES["ال" + rest]))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class _Mark:
    start: int  # offsets in the original text
    end: int
    category: str
    value: Any
    prefix: str  # proclitic stripped from the first word
    text: str


def _lowered(norm: NormalText) -> str:
    low = norm.text.lower()
    # a rare letter whose lower case is longer: keep the offsets, and match as written
    return low if len(low) == len(norm.text) else norm.text


def _cue_sentences(norm: NormalText, sentences: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return the sentences (spans of the folded text) with a word that may begin a cue: the only ones scanned."""
    low = _lowered(norm)
    cue_re = _first_words_re(cues_only=True)
    spans = [(norm.to_folded(a), norm.to_folded(b)) for a, b in sentences]
    return [(a, b) for a, b in spans if cue_re.search(low, a, b)]


def _scan(
    text: str, norm: NormalText | None = None, spans: Sequence[tuple[int, int]] | None = None
) -> list[_Mark]:
    """One pass over the words (of ``spans`` of the folded text, or all): every cue, actor and marker."""
    norm = norm if norm is not None else normalise(text)
    low = _lowered(norm)
    words_re = _first_words_re()
    found = (
        [w for a, b in spans for w in words_re.finditer(low, a, b)]
        if spans is not None
        else words_re.finditer(low)
    )
    marks: list[_Mark] = []
    taken_until: dict[str, int] = {}
    for word in found:
        options = _word_entries(word.group())
        if not options:
            continue
        ws = word.start()
        # where the next word starts: a phrase's second word must be there (checked before its whole pattern)
        following = _NON_WORDS_RE.match(low, word.end()).end()
        for prefix, entries in options:
            for entry in entries:
                if taken_until.get(entry.category, -1) > ws:
                    continue
                if prefix and prefix not in _VERB_PREFIXES and entry.value in _VERB_CUES:
                    continue  # a verb takes no article: التحرك is a noun, الحشد the Hashd
                end = word.end()
                if entry.rest is not None:
                    if not low.startswith(entry.tokens[1], following):
                        continue
                    more = entry.rest.match(low, end)
                    if more is None:
                        continue
                    end = more.end()
                o_start = norm.to_original(ws + len(prefix))
                o_end = norm.to_original(end)
                if entry.tokens[0] == "us" and not text[o_start:o_end].startswith(("US", "U.S")):
                    continue  # the pronoun "us"
                marks.append(_Mark(o_start, o_end, entry.category, entry.value, prefix, text[o_start:o_end]))
                taken_until[entry.category] = end
                break
    # A marker word inside a cue ("over" in "took over", "in" in "in the hands of") plays no role of its own.
    # Likewise "as" in "as well as", and a cue inside a phrase that only looks like one ("took place").
    holders = [m for m in marks if m.category in _HOLDERS]
    cue_starts = [m.start for m in holders]
    cue_ends = [m.end for m in holders]
    kept = []
    for m in marks:
        i = bisect_right(cue_starts, m.start) - 1
        if m.category in _HOLDERS or i < 0 or cue_ends[i] < m.end:
            kept.append(m)
    stops = [(m.start, m.end) for m in kept if m.category == "stop"]
    if stops:  # "measures taken": the cue inside a phrase that only looks like one
        kept = [
            m for m in kept if m.category != "cue" or not any(a <= m.start and m.end <= b for a, b in stops)
        ]
    return kept


_HOLDERS = frozenset({"cue", "list", "stop"})
_VERB_PREFIXES = frozenset({"و", "ف", "ل", "ول", "فل"})
_VERB_CUES = frozenset(
    (etype, kind) for etype, kind in AR_CUES.values() if kind in ("verb", "entry", "future")
)


# ---------------------------------------------------------------- sentences

_BOUNDARY_RE = re.compile(r"[.!?؟]+[\"'»”’)\]]*(?=\s)|\n+|[.!?؟]+[\"'»”’)\]]*\Z")
# The longest sentence of the real-text corpus has 953 characters.
MAX_SENTENCE_CHARS = 2000
_ABBREVIATIONS = frozenset(
    "jan feb mar apr jun jul aug sep sept oct nov dec mr mrs ms dr gen lt col maj sgt capt st no vs u s n e w "
    "prof gov rep sen brig adm cmdr inc co corp jr sr".split()
)


def split_sentences(text: str, protected: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Split ``text`` into sentences, as (start, end) offsets without surrounding white space.

    A full stop after an abbreviation (``Oct.``, ``U.S.``) or between digits does not end a sentence, and no
    boundary falls inside a ``protected`` span (dates, place names). A run longer than
    :data:`MAX_SENTENCE_CHARS` with no full stop is cut at white space, since the per-sentence rules cost
    quadratic time in its length.
    """
    spans = sorted(protected)
    starts = [s for s, _ in spans]
    out: list[tuple[int, int]] = []
    begin = 0
    for m in _BOUNDARY_RE.finditer(text):
        cut = m.end()
        if "\n" not in m.group():
            i = bisect_right(starts, m.start()) - 1
            if i >= 0 and spans[i][1] > m.start():
                continue
            before = _LAST_WORD_RE.search(text[max(0, m.start() - 12) : m.start() + 1])
            word = before.group(1).lower() if before else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha() and word.isascii()):
                continue
            after = text[cut : cut + 3].lstrip()
            if after[:1].isdigit() and word.isdigit():
                continue
            if after[:1].isascii() and after[:1].islower():
                continue
        _append_sentence(text, begin, cut, out, spans)
        begin = cut
    _append_sentence(text, begin, len(text), out, spans)
    return out


def _append_sentence(
    text: str, start: int, end: int, out: list[tuple[int, int]], spans: Sequence[tuple[int, int]] = ()
) -> None:
    while end - start > MAX_SENTENCE_CHARS:  # a 5 MB line with no full stop: cut at a space outside a name
        cut = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS)
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        i = bisect_right(spans, (cut, cut)) - 1
        if i >= 0 and spans[i][0] < cut < spans[i][1] and spans[i][0] > start:
            cut = spans[i][0]
        _append_sentence(text, start, cut, out)
        start = cut
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        lead = len(chunk) - len(chunk.lstrip())
        out.append((start + lead, start + lead + len(stripped)))


# ---------------------------------------------------------------- extraction


@dataclass
class _Clause:
    start: int
    end: int
    main: bool
    marker: str = ""


@dataclass
class _Draft:
    event_type: str
    kind: str
    cue: _Mark
    place: PlaceMention
    origin: PlaceMention | None
    clause: _Clause
    clauses: tuple[_Clause, ...]
    sentence: tuple[int, int]
    taker: tuple[str, ...]
    others: tuple[str, ...]
    cost: float = 0.0
    anaphoric: bool = False
    coordinated: bool = False
    date: DateMention | None = None
    date_basis: str | None = None
    date_shift: int = 0
    control_mode: str | None = None
    controller_before: str | None = None
    merged: int = 0


def _detect_lang(text: str) -> str:
    return script_of(text[:5000]) or "ar"


def _place_of(mention: Any) -> PlaceMention:
    m = mention.match
    return PlaceMention(
        mention.text,
        mention.start,
        mention.end,
        m.place_id,
        m.name,
        m.name_ar,
        m.lat,
        m.lon,
        m.admin1,
        m.score,
        m.ambiguous,
        getattr(m, "kind", ""),
    )


def extract_article(text: str, *, published: date | None = None, lang: str | None = None) -> Extraction:
    """Extract places, dates and candidate events from an article.

    Parameters
    ----------
    text
        The article (title, dateline, body), Arabic or English.
    published
        The publication date; None reads it from the dateline (and leaves relative dates unresolved when
        there is none).
    lang
        'ar', 'en', or None/'auto' to detect it from the script.

    Returns
    -------
    Extraction
        ``to_dict()`` gives the shape printed by ``kcm ingest``.
    """
    if not isinstance(text, str):
        raise InputError(f"article text must be a string, got {type(text).__name__}")
    if lang in (None, "auto"):
        lang = _detect_lang(text)
    elif lang not in LANGS:
        raise InputError(f"lang must be 'ar', 'en' or 'auto', got {lang!r}")
    warnings: list[str] = []
    if published is None:
        published = read_publication_date(text)
        if published is None:
            warnings.append(
                "no publication date given or found in a dateline: relative dates are left unresolved"
            )
    from geodata.geocode import find_mentions
    from geodata.unresolved import place_unresolved

    places = tuple(_place_of(m) for m in find_mentions(text, lang=lang) if not _in_organisation(text, m))
    placed = place_unresolved(
        text, places
    )  # places the gazetteer lacks, near a known one (geodata.unresolved)
    places = placed.places
    if placed.dropped:
        warnings.append(
            f"{len(placed.dropped)} place(s) not in the gazetteer dropped, no known place to put them near: "
            + ", ".join(placed.dropped)
        )
    normal = normalise(text)
    dates = tuple(find_dates(text, published=published, normal=normal))
    sentences = split_sentences(text, [(d.start, d.end) for d in dates] + [(p.start, p.end) for p in places])
    marks = _scan(text, normal, _cue_sentences(normal, sentences))  # sentences without a cue make no event
    marks = _without_time_prepositions(text, marks, dates)
    segments = dateline_segments(text, places, dates)
    dateline = _dateline_places(text, places) | {
        k for k, p in enumerate(places) if _in_segments(p.start, segments)
    }
    drafts = _drafts(text, normal, lang, sentences, places, marks, dateline)
    # a dateline date is the publication's, never an event's: wherever the dateline's sentence ends
    dateline_dates = {k for k, d in enumerate(dates) if _in_segments(d.start, segments)}
    _assign_dates(drafts, dates, marks, dateline_dates, text, sentences)
    events = _finish(text, drafts)
    return Extraction(
        text, published, lang, places, dates, tuple(events), tuple(sentences), tuple(warnings), placed.dropped
    )


_DAY_PART_START_RE = re.compile(
    r"(?:ظهر|الظهر|منتصف|صباح|مساء|فجر|عصر|ظهيرة|الظهيرة|ليل|midnight|noon|dawn|nightfall)", re.IGNORECASE
)


def _without_time_prepositions(text: str, marks: list[_Mark], dates: Sequence[DateMention]) -> list[_Mark]:
    """Drop clause markers that are part of a date (``بعد ثلاثة أيام``) or a time of day (``بعد ظهر اليوم``).

    "after" before "noon of today" says when, not what came before: the clause goes on.
    """
    if not dates:
        return marks
    starts = [d.start for d in dates]
    kept: list[_Mark] = []
    for m in marks:
        if m.category in ("sub", "coord"):
            i = bisect_right(starts, m.start) - 1
            if i >= 0 and dates[i].end > m.start:
                continue  # inside a date
            nxt = dates[i + 1] if i + 1 < len(dates) else None
            if nxt is not None and not text[m.end : nxt.start].strip() and _DAY_PART_START_RE.match(nxt.text):
                continue
        kept.append(m)
    return kept


# Place names inside the names of parties and outlets ("Patriotic Union of Kurdistan") are not places.
_ORGANISATION_BEFORE_RE = re.compile(
    r"(?:(?:Union|Party|Alliance|Front|Bloc|Movement|Bank|University) of|Radio Free)\s+$"
    r"|(?<!\w)[وب]?(?:ال)?(?:صحيفة|جريدة|موقع|وكالة|قناة|شبكة|مجلة|إذاعة|حزب|جامعة)\s+$"
    r"|(?<!\w)[وب]?(?:ال)?حكومة\s+إقليم\s+$",
    re.IGNORECASE,
)
_ORGANISATION_AFTER_RE = re.compile(
    r"^\s+(?:Democratic Party|Islamic Union|Islamic Group|24\b|Workers'? Party|Region(?:al)? Government|Today\b|"
    r"News\b|TV\b|Times\b|Post\b)"
)


_GOVERNMENT_RE = re.compile(r"(?<!\w)[وب]?(?:ال)?حكومة\s+$")


def _in_organisation(text: str, mention: Any) -> bool:
    """Whether a place mention is part of the name of a party, an outlet or a government (not a place)."""
    before = text[max(0, mention.start - 30) : mention.start]
    after = text[mention.end : mention.end + 30]
    if mention.text.startswith(("إقليم", "اقليم")) and _GOVERNMENT_RE.search(before):
        return (
            True  # حكومة إقليم كردستان: the KRG; حكومة بغداد stays a place (the capital for the government)
        )
    return bool(_ORGANISATION_BEFORE_RE.search(before) or _ORGANISATION_AFTER_RE.match(after))


_DATELINE_SEP_RE = re.compile(r"\s[-–—]\s|\s[-–—]$|\(|\s[-–—](?=\S)")


def _dateline_places(text: str, places: Sequence[PlaceMention]) -> set[int]:
    """Indexes of the places that stand in a dateline (``كركوك -``, ``KIRKUK, Iraq (AP) —``): never event places."""
    out: set[int] = set()
    for k, place in enumerate(places):
        ls = text.rfind("\n", 0, place.start) + 1
        if text[ls : place.start].strip():
            continue
        sep = _DATELINE_SEP_RE.search(text, place.start, min(len(text), place.start + 70))
        if sep is None or "\n" in text[place.start : sep.start()]:
            continue
        out.add(k)
        for j in range(k + 1, len(places)):
            if places[j].end > sep.start():
                break
            out.add(j)
    return out


# The dateline: at the start of one of the first lines, a place or a calendar date with a year, then more places
# and calendar dates joined by commas, dashes and an agency in brackets (``KIRKUK, Iraq, Oct 17, 2017 (AFP) -``,
# ``كركوك - 19 تشرين الأول 2017:``); it ends at the first separator after them, or at the end of a short line.
_DATELINE_ZONE_LINES = 4
_DATELINE_MAX_GAP = 30
_DATELINE_GAP_RE = re.compile(r"(?:[\s,،:/()\-–—]|\([^()\n]{1,25}\))*")
_DATELINE_END_RE = re.compile(r":(?=\s|$)|\s[-–—](?=\s|$)|[–—]")
_CALENDAR_RULES = frozenset(
    {"numeric", "iso", "day_range_month", "day_month", "month_day", "ordinal_day_month"}
)
_YEAR_RE = re.compile(r"(?:19|20)\d\d|[١٢][٠-٩]{3}")


def dateline_segments(
    text: str, places: Sequence[PlaceMention], dates: Sequence[DateMention]
) -> list[tuple[int, int]]:
    """Return the spans of the article's dateline (one per dateline line among the first lines).

    A dateline line starts with a place or a calendar date with a year. Places and calendar dates that follow,
    joined only by punctuation and an agency in brackets, belong to it; the dateline ends at the first ``:``,
    `` - ``, ``–`` or ``—`` after them, else at the end of the line when little follows; a place or date that opens
    running text with no separator is no dateline.
    The position decides, not the words after it: ``كركوك - 19 تشرين الأول 2017: انتشرت ... أمس`` has the
    dateline ``كركوك - 19 تشرين الأول 2017:`` even though the body goes on in the same sentence.

    Parameters
    ----------
    text
        The article.
    places, dates
        Its place and date mentions, in text order.

    Returns
    -------
    list of (int, int)
        Character spans of ``text``.
    """
    items = sorted(
        [(p.start, p.end, True) for p in places]
        + [(d.start, d.end, False) for d in dates if d.rule in _CALENDAR_RULES]
    )
    year_dates = {(d.start, d.end) for d in dates if _YEAR_RE.search(d.text)}
    starts = [start for start, _, _ in items]
    out: list[tuple[int, int]] = []
    pos = 0
    lines = 0
    while pos < len(text) and lines < _DATELINE_ZONE_LINES:
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        line_start = pos + len(text[pos:line_end]) - len(text[pos:line_end].lstrip())
        pos = line_end + 1
        if line_start >= line_end:
            continue
        lines += 1
        i = bisect_left(starts, line_start)
        if i == len(items) or items[i][0] != line_start:
            continue
        first_start, end, is_place = items[i]
        if not is_place and (first_start, end) not in year_dates:
            continue
        for nxt_start, nxt_end, _ in items[i + 1 :]:
            gap = text[end:nxt_start]
            if nxt_start < end or len(gap) > _DATELINE_MAX_GAP or not _DATELINE_GAP_RE.fullmatch(gap):
                break
            end = nxt_end
        sep = _DATELINE_END_RE.search(text, end, min(line_end, end + _DATELINE_MAX_GAP))
        if sep is not None and _DATELINE_GAP_RE.fullmatch(text, end, sep.start()):
            out.append((line_start, sep.end()))
        elif line_end - end <= _DATELINE_MAX_GAP:
            out.append((line_start, line_end))
        # else: a place or date that opens running text ("Khanaqin was handed over ...") is no dateline
    return out


def _in_segments(start: int, segments: Sequence[tuple[int, int]]) -> bool:
    return any(a <= start < b for a, b in segments)


def _marks_in(marks: Sequence[_Mark], starts: Sequence[int], lo: int, hi: int) -> list[_Mark]:
    return list(marks[bisect_left(starts, lo) : bisect_left(starts, hi)])


# ", including X" goes on with the list of what was taken; other participles open a clause of their own
_PARTICIPLE_RE = re.compile(r",\s+(?=(?!including\b)[a-z]+ing\b)")


def _clauses(text: str, sentence: tuple[int, int], sent_marks: Sequence[_Mark]) -> list[_Clause]:
    """Split a sentence into clauses at subordinators (sub) and coordinators (a new main clause)."""
    markers = [m for m in sent_marks if m.category in ("sub", "coord")]
    # "أن" inside "قبل أن" / "بعد أن" is part of the subordinator, not a clause of its own
    markers = [
        m for m in markers if not any(o is not m and o.start <= m.start and m.end <= o.end for o in markers)
    ]
    cuts = [(m.start, m.category == "coord", m.text) for m in markers]
    cuts += [(m.end(), False, "ing") for m in _PARTICIPLE_RE.finditer(text, sentence[0], sentence[1])]
    clauses = [_Clause(sentence[0], sentence[1], True)]
    for start, main, marker in sorted(cuts):
        if start > clauses[-1].start + 1:
            clauses[-1].end = start
            clauses.append(_Clause(start, sentence[1], main, marker))
    return clauses


def _words_between(text: str, a: int, b: int) -> list[str]:
    """Return the words between two offsets, without place designators (``ناحية``, ``وقضاء``, ``the town of``)."""
    return list(_gap_words(text[a:b]))


@lru_cache(maxsize=50_000)
def _gap_words(gap: str) -> tuple[str, ...]:
    return tuple(
        w
        for w in _WORD_RE.findall(fold_phrase(gap).lower())
        if not (w in _DESIGNATORS or (w[:1] == "و" and w[1:] in _DESIGNATORS))
    )


_POSSESSIVE_RE = re.compile(r"['’]s\s+(?:the\s+)?")


_CONTROL_OVER_RE = re.compile(r"\b(?:control|grip|hold|sway|authority)\b[^.;:!?]{0,30}\Z", re.IGNORECASE)


def _role(
    text: str, place: PlaceMention, before: Sequence[_Mark], prev: PlaceMention | None, prev_role: str
) -> str:
    """Return the place's role from the words right before it: origin, dest, via, exclude, locator or plain."""
    if prev is not None and prev_role != "dateline" and _glued_container(text, prev, place):
        return "locator"
    if _contains_unnamed(text, place) or _road_end(text, place, prev) or _source_seat(text, place):
        return "locator"
    if _POSSESSOR_ACTOR_RE.match(text, place.end):
        return "exclude"  # "Baghdad's attempt to control", "Erbil's decision": the government, not the city
    if prev is not None and _coordinated(text, prev, place) and prev_role != "dateline":
        if not (prev_role == "locator" and _INCLUSION_RE.search(text, prev.end, place.start)):
            return prev_role  # "areas in Nineveh, including the dam": the dam is not a locator like Nineveh
    gap_start = place.start
    for mark in reversed(before):
        gap = text[mark.end : gap_start]
        if _words_between(text, mark.end, gap_start) or len(gap) > 40 or any(c in gap for c in ".،,؛;:"):
            break
        if mark.category == "exclude" and _CONTROL_OVER_RE.search(text, max(0, mark.start - 40), mark.start):
            return "plain"  # "took control over Sinjar", "tightened their control, that day, over Rabia"
        if mark.category in ("origin", "dest", "via", "exclude"):
            return mark.category
        if mark.category == "locator":
            # "near X", "شمال X" locate the place named just before, or a place left unnamed ("a village
            # southeast of Mosul"); alone, X is where it happened
            near = prev is not None and mark.start - prev.end <= 60 and "." not in text[prev.end : mark.start]
            return "locator" if near or _after_place_noun(text, mark.start) else "plain"
        gap_start = mark.start
    if prev is not None and prev_role != "dateline" and place.start - prev.end < 25:
        words = _words_between(text, prev.end, place.start)
        if (
            words
            and words[-1] in ("في", "in")
            and not any(c in text[prev.end : place.start] for c in ".،,-–—")
        ):
            return "locator"
    return "plain"


_IN_GOV_RE = re.compile(r"(?<!\w)(?:in|في|فى)\s+(?:the\s+)?(?:\w+['’]s\s+)?(?:\w+ern\s+)?\Z", re.IGNORECASE)
# a short reduced relative between the unnamed places and 'in': "areas previously held by Kurdish forces in ..."
_RELATIVE_GAP_RE = re.compile(r"(?:\s+[^\W\d]+){1,7}\s*\Z")


def _contains_unnamed(text: str, place: PlaceMention) -> bool:
    """Whether a governorate only says where unnamed places are: "captured three areas in the eastern Diyala province".

    The event is at those areas, villages or fields, which the text does not name, not over the whole governorate.
    """
    if not place.place_id.startswith("kcm:gov-"):
        return False
    m = _IN_GOV_RE.search(text, max(0, place.start - 40), place.start)
    if m is None or _OTHER_AREAS_RE.search(text, max(0, m.start() - 30), m.end()):
        return False  # "the dam and other areas in Nineveh": Nineveh is listed with the dam
    if _after_place_noun(text, m.start()):
        return True
    gap = _RELATIVE_GAP_RE.search(text, max(0, m.start() - 70), m.start())
    if gap is None:
        return False
    words = _WORD_RE.findall(gap.group(0))
    return any(_is_place_noun(w) and _relative_opens(words[i + 1 : i + 2]) for i, w in enumerate(words[:-1]))


# «طريق كركوك - أربيل», «الطريق الرئيسي بين أربيل وكركوك», "the road between Kirkuk and Erbil"
_ROAD_BEFORE_RE = re.compile(
    r"(?<!\w)(?:ال)?طريق(?:\s+(?:ال)?\w+ي(?:ة)?)?\s+(?:(?:ما\s+)?بين\s+)?\Z|"
    r"(?<!\w)(?:road|highway|motorway)\s+(?:linking|between|from)\s+\Z",
    re.IGNORECASE,
)
# "the Kirkuk-Erbil road": a place, a dash, another name, then the road
_ROAD_AFTER_RE = re.compile(r"\s*[-–]\s*[^\W\d][\w'’ ]{0,24}?\s+(?:road|highway|motorway)\b", re.IGNORECASE)
_DASH_RE = re.compile(r"\s*[-–]\s*\Z")


def _road_end(text: str, place: PlaceMention, prev: PlaceMention | None) -> bool:
    """Whether the place only names an end of a road: "on the Kirkuk-Erbil road", «عند طريق كركوك - أربيل».

    Fighting or a checkpoint on the road between two cities is at neither city.
    """
    if _ROAD_BEFORE_RE.search(text, max(0, place.start - 40), place.start):
        return True
    if _ROAD_AFTER_RE.match(text, place.end):
        return True
    return (
        prev is not None
        and _DASH_RE.fullmatch(text, prev.end, place.start) is not None
        and _ROAD_BEFORE_RE.search(text, max(0, prev.start - 40), prev.start) is not None
    )


# "According to official sources in the province of Salah Ad Din", «مصدر أمني في محافظة كركوك»: where the teller is
_SOURCE_IN_RE = re.compile(
    r"(?<!\w)(?:sources?|officials?|spokesman|spokesperson|مصدر|مصادر|مسؤول|مسؤولون|المتحدث)"
    r"(?:\s+[^\W\d]+){0,2}?\s+(?:in|from|في|فى|ب)\s*(?:(?:the\s+)?(?:province|city|town|district)\s+of\s+|"
    r"(?:the\s+)?)?\Z",
    re.IGNORECASE,
)


# A city's possessive before what a government does: "Baghdad's attempt", "Ankara's forces", "Erbil's decision"
_POSSESSOR_ACTOR_RE = re.compile(
    r"['’]s\s+(?:\w+\s+)?(?:attempt|attempts|effort|efforts|bid|decision|decisions|plan|plans|move|moves|policy|"
    r"response|refusal|demand|demands|government|forces|troops|army|military|leaders|leadership|campaign|push|drive)\b",
    re.IGNORECASE,
)


def _source_seat(text: str, place: PlaceMention) -> bool:
    """Whether the place only says where a source of the news sits ("a security source in Kirkuk said")."""
    return _SOURCE_IN_RE.search(text, max(0, place.start - 60), place.start) is not None


_GLUED_IN_RE = re.compile(r"ب(\w+)")


def _glued_container(text: str, prev: PlaceMention, place: PlaceMention) -> bool:
    """Whether the place, written right after another with a glued «ب» and its designator, contains it.

    «قضاء سنجار بمحافظة نينوى»: Sinjar in Nineveh province, not a list of two places.
    """
    if not text[prev.end : place.start].isspace():
        return False
    glued = _GLUED_IN_RE.match(fold_phrase(place.mention))
    return glued is not None and glued.group(1) in _DESIGNATORS


_PLACE_NOUNS = frozenset(
    fold_phrase(w)
    for w in "village|villages|area|areas|town|towns|positions|base|checkpoint|kilometres|kilometers|km|miles|"
    "city|district|suburb|outskirts|province|region|countryside|field|fields|oilfield|crossing|dam|airport|"
    "حقل|حقول|مطار|منفذ|معبر|سد|"
    "قرية|قرى|منطقة|مناطق|بلدة|مواقع|قاعدة|سيطرة|كيلومترات|كم|كيلومتر|حاجز|مدينة|ضواحي|أطراف".split("|")
)
_LAST_WORD_RE = re.compile(r"(\w+)\W*\Z")


def _after_place_noun(text: str, at: int) -> bool:
    """Whether the word before ``at`` names an unnamed place (``a village`` southeast of ..., ``قرية`` شمال ...)."""
    m = _LAST_WORD_RE.search(text, max(0, at - 30), at)
    return m is not None and _is_place_noun(m.group(1))


def _is_place_noun(word: str) -> bool:
    """Whether a word (with «و»/«ب»/«ال» glued on) is a noun for an unnamed place: villages, «مناطق»."""
    word = fold_phrase(word).lower()
    return any(
        word.startswith(p) and word[len(p) :] in _PLACE_NOUNS for p in ("", "و", "ب", "ال", "وال", "بال")
    )


_RELATIVE_OPENERS = frozenset(
    fold_phrase(w)
    for w in "previously|formerly|once|held|controlled|that|which|under|كانت|كان|التي|الذي|الخاضعة|الواقعة".split(
        "|"
    )
)


def _relative_opens(words: list[str]) -> bool:
    """Whether the word after a place noun opens a relative or participle clause about it ('held by', «كانت»)."""
    return bool(words) and fold_phrase(words[0]).lower() in _RELATIVE_OPENERS


_LIST_BREAK_RE = re.compile(r"[.؛;:!?؟\n]")


def _listed_past_unknown(text: str, a: PlaceMention, b: PlaceMention) -> bool:
    """Whether ``b`` goes on a list past names the gazetteer does not know: «جلولاء، ألتن كوبري، خانقين».

    Between them only list separators (``،``, ``,``, ``و``, "and") and at most two short names of a few words.
    """
    gap = text[a.end : b.start]
    if len(gap) > 50 or _LIST_BREAK_RE.search(gap):
        return False
    # a designator keeps its «و» («وناحية العوينات وقضاء سنجار»): it separates even though it is no name
    raw = _WORD_RE.findall(fold_phrase(gap).lower())
    separators = (
        gap.count("،") + gap.count(",") + sum(1 for w in raw if w in _LIST_WORDS or w.startswith("و"))
    )
    names = [w for w in _gap_words(gap) if w not in _LIST_WORDS]
    return 0 < len(names) <= 2 * separators and len(names) <= 4 and separators >= 2


def _coordinated(text: str, a: PlaceMention, b: PlaceMention, *, repeated: bool = False) -> bool:
    """Whether ``b`` follows ``a`` in a list (``أربيل والسليمانية``, ``Khanaqin, Jalawla and Makhmur``)."""
    gap = _LIST_PHRASE_RE.sub(" ", _ASIDE_RE.sub(" ", text[a.end : b.start]))
    words = _gap_words(gap)
    if repeated and any(w in _REPEATED_PREPOSITIONS for w in words):
        words = tuple(w for w in words if w not in _REPEATED_PREPOSITIONS)
        gap = gap.replace("…", " ")
    return len(gap) <= 30 and all(w in _LIST_WORDS for w in words) and "." not in gap


_LIST_WORDS = frozenset(("و", "and", "or", "او"))
# A short aside in a list: "Ninawi and Salaheddin (north), Diyala (east), and Anbar (west)", «الموصل (شمال)»
_ASIDE_RE = re.compile(r"\([^()\n]{1,20}\)")
_REPEATED_PREPOSITIONS = frozenset(fold_phrase(w) for w in ("وعلى", "وفي", "on", "in"))
# "as well as", "فضلا عن" join a list too; their words ("to", "عن") are not list words alone
# "including", «بينها» open a list of the places inside what was named: "the province, including Kirkuk and K-1"
_INCLUSION = (
    r"including|such as|among them|notably|in particular|"
    r"و?(?:من\s+)?بينها|و?منها|بما\s+فيها|بما\s+فيه|بما\s+في\s+ذلك|و?لا\s+سيما"
)
_INCLUSION_RE = re.compile(r"(?<!\w)(?:" + _INCLUSION + r")(?!\w)", re.IGNORECASE)
# "the dam and other areas in Nineveh", «سد الموصل ومناطق أخرى في محافظة نينوى»: Nineveh is taken in part, a listed place
_OTHER_AREAS = (
    r"(?:and\s+)?other\s+(?:areas|parts|towns|villages)\s+(?:in|of)|و(?:مناطق|بلدات|قرى)\s+(?:أخرى|اخرى)\s+في"
)
_OTHER_AREAS_RE = re.compile(r"(?<!\w)(?:" + _OTHER_AREAS + r")\s*\Z", re.IGNORECASE)
_LIST_PHRASE_RE = re.compile(
    r"\b(?:as well as|in addition to)\b|(?<!\w)(?:فضلا عن|فضلاً عن|إضافة إلى|بالإضافة إلى|"
    + _INCLUSION
    + "|"
    + _OTHER_AREAS
    + r")(?!\w)",
    re.IGNORECASE,
)


# Words that may stand between "من"/"from"/"with" and the actor it introduces ("from the Kurdish Peshmerga").
_ACTOR_FILLERS = frozenset(
    fold_phrase(w) for w in "قوات|مسلحي|عناصر|فصائل|تنظيم|kurdish|iraqi|forces|fighters|units".split("|")
)
_IN_FORCE = fold_phrase("حيز التنفيذ")  # "دخل القرار حيز التنفيذ": a decision took effect, nobody entered
_SUB_PLACE_TYPES = frozenset({"control_change", "withdrawal", "clash", "displacement", "deployment"})


def _drafts(
    text: str,
    normal: NormalText,
    lang: str,
    sentences: Sequence[tuple[int, int]],
    places: Sequence[PlaceMention],
    marks: Sequence[_Mark],
    dateline: set[int],
) -> list[_Draft]:
    mark_starts = [m.start for m in marks]
    place_starts = [p.start for p in places]
    drafts: list[_Draft] = []
    last_place: PlaceMention | None = None
    last_taker: tuple[str, ...] = ()
    last_list: tuple[PlaceMention, ...] = ()  # the places of the latest event told of several ("both places")
    for sentence in sentences:
        s_marks = _marks_in(marks, mark_starts, sentence[0], sentence[1])
        idx = range(bisect_left(place_starts, sentence[0]), bisect_left(place_starts, sentence[1]))
        s_places = [(k, places[k]) for k in idx]
        if not any(m.category == "cue" for m in s_marks):
            named = [p for k, p in s_places if k not in dateline]
            last_place = named[-1] if named else last_place
            continue
        roles: dict[int, str] = {}
        prev: PlaceMention | None = None
        prev_role = "plain"
        role_marks = [m for m in s_marks if m.category not in ("cue", "actor")]
        for k, place in s_places:
            before = [m for m in role_marks if m.end <= place.start]
            if k in dateline:
                roles[k] = "dateline"
            elif _as_government(text, place):
                roles[k] = "government"
            else:
                roles[k] = _role(text, place, before[-4:], prev, prev_role)
            prev, prev_role = place, roles[k]
        for (k, a), (_, b) in pairwise(s_places):
            if roles[k] == "plain" and _POSSESSIVE_RE.fullmatch(text, a.end, b.start):
                roles[k] = "locator"  # "Mosul's Sinjar district": Mosul only says where Sinjar is
        s_drafts = _sentence_drafts(
            text, normal, lang, sentence, s_marks, s_places, roles, (last_place, last_list), last_taker
        )
        drafts.extend(s_drafts)
        last_list = _last_list(s_drafts) or last_list
        takers = [d.taker for d in s_drafts if d.taker and d.event_type in ("control_change", "deployment")]
        if takers:
            last_taker = takers[-1]
        kept = [p for k, p in s_places if roles[k] in ("plain", "dest")]
        if kept:
            last_place = kept[-1]
    return drafts


def _sentence_drafts(
    text: str,
    normal: NormalText,
    lang: str,
    sentence: tuple[int, int],
    s_marks: Sequence[_Mark],
    s_places: Sequence[tuple[int, PlaceMention]],
    roles: dict[int, str],
    earlier: tuple[PlaceMention | None, tuple[PlaceMention, ...]],
    last_taker: tuple[str, ...],
) -> list[_Draft]:
    last_place, last_list = earlier
    clauses = tuple(_clauses(text, sentence, s_marks))
    mode, skip_entry = _control_mode(normal, sentence, s_marks)
    out: list[_Draft] = []
    for cue in (m for m in s_marks if m.category == "cue"):
        clause = next((c for c in clauses if c.start <= cue.start < c.end), clauses[-1])
        reading = _read_cue(text, cue, s_marks, skip_entry, clause, sentence)
        if reading is None:
            continue
        etype, kind = reading
        taker, others = _actors(text, lang, cue, clause, s_marks)
        if not taker and etype in ("control_change", "deployment", "withdrawal", "status"):
            nearby = [d.taker for d in out if d.taker]
            taker = nearby[-1] if nearby else _sentence_actors(s_marks, others) or last_taker
        if kind.startswith("entry"):
            etype = "deployment" if taker == ("us",) else "control_change"
        if etype == "deployment" and _civilians_move(cue, clause, s_marks):
            continue
        pairs, cost = _places_for(text, cue, etype, clause, s_places, roles)
        anaphoric = False
        if (
            not pairs
            and last_list
            and _PLURAL_ANAPHOR_RE.search(text, cue.end, min(clause.end, cue.end + 40))
        ):
            pairs, anaphoric, cost = [(p, None) for p in last_list], True, 200.0  # "took both places"
        if not pairs or _object_pronoun(cue, s_marks):
            target = _anaphoric_place(
                text, cue, etype, clause, clauses, out, s_marks, s_places, roles, last_place
            )
            if target is not None and not _seat_as_government(target, etype):
                pairs, anaphoric, cost = [(target, None)], True, 200.0
        for n, (place, origin) in enumerate(_local(etype, pairs)):
            draft = _Draft(
                etype, kind, cue, place, origin, clause, clauses, sentence, taker, others, cost, anaphoric
            )
            draft.coordinated = n > 0 and etype != "displacement"
            draft.control_mode = mode if etype == "control_change" else None
            out.append(draft)
    return _fold(_one_political_per_clause(out))


def _read_cue(
    text: str,
    cue: _Mark,
    s_marks: Sequence[_Mark],
    skip_entry: bool,
    clause: _Clause,
    sentence: tuple[int, int],
) -> tuple[str, str] | None:
    """Return the cue's (event type, kind) as its context reads it, or None when it reports no event.

    The one place where the context changes what a cue means: an operation launched to take a place is a clash
    there ("launched an offensive to retake Hawija", «انطلاق عملية تحرير قضاء تلعفر»), one only under way is no
    event («ضمن عمليات تحرير الموصل»), and a state of control after a verb of becoming is a change («باتت ناحية
    ربيعة اليوم تحت سيطرة»).
    """
    etype, kind = cue.value
    operation = _operation(text, cue, sentence) if etype == "control_change" else None
    if operation == "launched":
        return "clash", kind
    if operation == "under way" or not _reports_event(text, cue, s_marks, skip_entry):
        return None
    if etype == "status" and _became(text, cue, clause):
        return "control_change", "verb"
    return etype, kind


def _one_political_per_clause(out: list[_Draft]) -> list[_Draft]:
    """Keep one political event per clause: the vote or decision at its best place (and places listed with it).

    «فرضت السلطات حظر تجوال في كركوك، فيما ينظم إقليم كردستان استفتاء»: a curfew and a referendum, two clauses.
    """
    best: dict[int, _Draft] = {}
    for d in out:
        if d.event_type == "political" and (d.clause.start not in best or d.cost < best[d.clause.start].cost):
            best[d.clause.start] = d
    return [d for d in out if d.event_type != "political" or d.cue is best[d.clause.start].cue]


# Verbs of becoming before a state of control, the subject between them (Arabic is verb-first): «سقطت سنجار بيد»
_BECAME_RE = re.compile(r"(?<!\w)[وف]?(?:باتت|بات|أصبحت|أصبح|اصبحت|اصبح|صارت|صار|سقطت|سقط|وقعت|وقع)(?!\w)")
_BECAME_REACH = 50  # characters from the verb to the state


def _became(text: str, cue: _Mark, clause: _Clause) -> bool:
    """Whether a state of control («تحت سيطرة», «بيد») follows a verb of becoming in its clause: a change."""
    return _BECAME_RE.search(text, max(clause.start, cue.start - _BECAME_REACH), cue.start) is not None


# A plural anaphor after a cue speaks of the places of the latest event told of several: "took both places",
# «استعاد التنظيم البلدتين», "the two towns"
_PLURAL_ANAPHOR_RE = re.compile(
    r"\b(?:both\s+(?:places|towns|cities|villages|areas|districts)|the\s+two\s+(?:places|towns|cities|villages|areas|"
    r"districts))\b|(?<!\w)(?:ال(?:بلدتين|مدينتين|قريتين|ناحيتين|منطقتين|قضاءين))(?!\w)|(?<!\w)(?:كلتا|كلا)\s+ال\w+",
    re.IGNORECASE,
)


def _last_list(drafts: Sequence[_Draft]) -> tuple[PlaceMention, ...]:
    """Return the places of the last cue of a sentence that named several, else ()."""
    by_cue: dict[int, list[PlaceMention]] = {}
    for d in drafts:
        by_cue.setdefault(id(d.cue), []).append(d.place)
    lists = [places for places in by_cue.values() if len({p.place_id for p in places}) > 1]
    return tuple(lists[-1]) if lists else ()


def _civilians_move(cue: _Mark, clause: _Clause, s_marks: Sequence[_Mark]) -> bool:
    """Whether a movement's subject, right before it, is civilians: «النازحين توجهوا إلى», "families arrived in".

    Only armed men moving in are a deployment. Civilians heading somewhere are told as a displacement by its own cue
    («نزح», "fled"); where they went next is a detail of it, not a new event.
    """
    actors = [m for m in s_marks if m.category == "actor" and clause.start <= m.start < clause.end]
    before = [m for m in actors if m.end <= cue.start and cue.start - m.end <= 30]
    after = [m for m in actors if m.start >= cue.end and m.start - cue.end <= 12]  # «توجهت العائلات»
    subject = before[-1] if before else (after[0] if after else None)
    return subject is not None and subject.value == "civilians"


def _control_mode(
    normal: NormalText, sentence: tuple[int, int], s_marks: Sequence[_Mark]
) -> tuple[str | None, bool]:
    """Return how control changed (negotiated, non_violent, None) and whether entering is a decision taking effect."""
    if not any(m.category == "cue" and m.value[0] == "control_change" for m in s_marks):
        return None, False  # only then is the wording of the sentence needed
    sentence_text = " ".join(normal.folded(sentence[0], sentence[1]).lower().split())
    mode = None
    if any(p in sentence_text for p in _NEGOTIATED):
        mode = "negotiated"
    elif any(p in sentence_text for p in _NON_VIOLENT):
        mode = "non_violent"
    return mode, _IN_FORCE in sentence_text


def _reports_event(text: str, cue: _Mark, s_marks: Sequence[_Mark], skip_entry: bool) -> bool:
    """Whether a cue reports an event: not a future, a demand, a negation, a decision "entering into force"."""
    etype, kind = cue.value
    if kind == "future" or _is_irrealis(text, cue, s_marks) or _negated(text, cue, s_marks):
        return False
    if kind.startswith("entry") and skip_entry:
        return False
    if kind in ("noun", "entry_noun") and _RESPONSE_TO_RE.search(text, max(0, cue.start - 30), cue.start):
        return False  # "responding to a Kurdish referendum", «ردا على استفتاء»: the cause of the news, told before
    if kind == "noun" and _is_checkpoint(text, cue):
        return False
    return not (_demonstrative(cue, s_marks) and etype in ("clash", "political", "deployment"))


# In Iraqi usage «سيطرة» is also a checkpoint: «أغلقت السيطرة الرئيسية», «عند سيطرة بازاركا», «نقطة سيطرة»
_CHECKPOINT_BEFORE_RE = re.compile(
    r"(?<!\w)(?:عند|قرب|نقطة|نقاط|بوابة|[وب]?إغلاق|[وب]?اغلاق|و?أغلقت|و?اغلقت|و?أغلق|و?اغلق)\s+(?:ال)?\Z"
)
_CHECKPOINT_AFTER_RE = re.compile(r"\s+(?:الرئيسية|الرئيسة|الأمنية|الامنية|المشتركة|الخارجية)(?!\w)")


# An operation launched to take a place ("launched an offensive to retake Tal Afar", "declared the start of an
# operation to retake control of"): the fighting starts there
_LAUNCHED_RE = re.compile(
    r"\b(?:launch(?:ed|es|ing)?|start(?:ed|s)?|began|begun|begins|kick(?:ed|s)?\s+off|the\s+start\s+of|the\s+launch\s+of)"
    r"\s+(?:an?\s+|the\s+|their\s+|its\s+)?(?:[\w-]+\s+){0,2}?(?:operation|offensive|campaign|assault|battle|push)\s+"
    r"to\s+\Z",
    re.IGNORECASE,
)
# ... or named first and launched after: "The operation to retake Tikrit began on March 2"
_OPERATION_TO_RE = re.compile(
    r"\b(?:operation|offensive|campaign|assault|battle|push)\s+to\s+\Z", re.IGNORECASE
)
_BEGAN_AFTER_RE = re.compile(
    r"[^.;:!?]{0,80}?\b(?:began|begun|started|was\s+launched|were\s+launched|kicked\s+off|got\s+under\s*way)\b",
    re.IGNORECASE,
)


def _operation(text: str, cue: _Mark, sentence: tuple[int, int]) -> str | None:
    """Say whether a control cue names the aim of an operation: ``"launched"``, ``"under way"``, or None (it does not).

    English names it with "to" (an aim, irrealis on its own): launched before it ("launched an offensive to
    retake") or after ("the operation to retake Tikrit began"). Arabic names it with a verbal noun after
    «عمليات/معركة/حملة»: launched when «انطلاق/بدء» comes before, else under way.
    """
    lo = max(0, cue.start - 80)
    if _LAUNCHED_RE.search(text, lo, cue.start) or (
        _OPERATION_TO_RE.search(text, max(0, cue.start - 30), cue.start)
        and _BEGAN_AFTER_RE.match(text, cue.end, sentence[1])
    ):
        return "launched"
    if cue.value[1] != "noun" or not _OPERATION_BEFORE_RE.search(text, max(0, cue.start - 16), cue.start):
        return None
    return "launched" if _LAUNCH_BEFORE_RE.search(text, max(0, cue.start - 30), cue.start) else "under way"


# An operation named by its aim: «عمليات تحرير», «معركة استعادة», «خطة لتحرير» (the liberation is not yet won)
_OPERATION_BEFORE_RE = re.compile(
    r"(?<!\w)[وبل]?(?:ال)?(?:عمليات|عملية|معركة|معارك|حملة|حملات|خطة)\s+(?:ال)?\Z"
)
# ... and its launch: «انطلاق عملية تحرير قضاء تلعفر» is the fighting's start, a clash there
_LAUNCH_BEFORE_RE = re.compile(r"(?<!\w)[وب]?(?:انطلاق|إطلاق|اطلاق|بدء|انطلقت|أطلقت|اطلقت|بدأت)\s+")


def _is_checkpoint(text: str, cue: _Mark) -> bool:
    """Whether a «سيطرة» cue names a checkpoint, not control: «أغلقت السيطرة الرئيسية», «عند سيطرة بازاركا»."""
    if fold_phrase(cue.text) not in _CONTROL_NOUNS:
        return False
    return bool(
        _CHECKPOINT_BEFORE_RE.search(text, max(0, cue.start - 12), cue.start)
        or _CHECKPOINT_AFTER_RE.match(text, cue.end)
    )


_CONTROL_NOUNS = frozenset(fold_phrase(w) for w in ("سيطرة", "السيطرة"))


# What a sentence's event answers: told as its cause, not reported there
_RESPONSE_OPEN = r"(?<!\w)(?:و?ر[دّ]اً?\s+على|(?:in\s+)?response\s+to|responding\s+to|in\s+retaliation\s+for|in\s+reaction\s+to)"
_RESPONSE_TO_RE = re.compile(
    _RESPONSE_OPEN + r"\s+(?:(?:the|a|an|its|their)\s+)?(?:[^\W\d]+\s+){0,2}\Z", re.IGNORECASE
)
_RESPONSE_OPEN_RE = re.compile(_RESPONSE_OPEN + r"(?!\w)", re.IGNORECASE)


def _anaphoric_place(
    text: str,
    cue: _Mark,
    etype: str,
    clause: _Clause,
    clauses: Sequence[_Clause],
    out: Sequence[_Draft],
    s_marks: Sequence[_Mark],
    s_places: Sequence[tuple[int, PlaceMention]],
    roles: dict[int, str],
    last_place: PlaceMention | None,
) -> PlaceMention | None:
    """Return the place a cue without a place of its own speaks of (the clause before, "it", "the city")."""
    target: PlaceMention | None = None
    if (
        clause.marker in _RELATIVES
        and _after_place_noun(text, clause.start)
        and not _AMONG_RE.search(text, max(0, clause.start - 40), clause.start)
    ):
        # «المواقع التي كانت تسيطر عليها», "the positions which they held": unnamed places (but «سد الموصل من بين
        # المواقع التي استعادتها», "the dam is among the positions retaken" names one of them)
        return None
    if clause is not clauses[0]:
        # a later clause without a place speaks of the place of the clause before, or of the one just named
        earlier = [d for d in out if d.clause is not clause] if etype in _SUB_PLACE_TYPES else []
        main = [d for d in earlier if d.clause.main] or earlier
        antecedent = _antecedent(clause, s_places) if clause.marker in _RELATIVES and not main else None
        target = main[-1].place if main else antecedent or _previous_place(s_places, roles, cue)
        if (
            target is None
            and clause.marker in ("التي", "الذي", "which", "who")
            and not _actor_before(clause, s_marks)
        ):
            target = (
                last_place  # "the town, which they took": the place before; "the Peshmerga, which ...": none
            )
    if target is None and _has_anaphor(cue, s_marks, clause):
        target = _previous_place(s_places, roles, cue) or last_place
    return target


_ANTECEDENT_REACH = 25  # characters from a place's end to the relative pronoun it governs
_CONTAINER_GAP = 25  # a governorate this close after a place only says where that place is


def _antecedent(clause: _Clause, s_places: Sequence[tuple[int, PlaceMention]]) -> PlaceMention | None:
    """Return the place a relative clause is about: the one named right before its pronoun.

    «مدينة الموصل بمحافظة نينوى التي سيطر عليها التنظيم»: Mosul (Nineveh after it only says where Mosul is), also
    when the place is itself a locator of the main clause ("75 km southeast of Mosul, which IS took").
    """
    before = [p for _, p in s_places if p.end <= clause.start]
    if not before or clause.start - before[-1].end > _ANTECEDENT_REACH:
        return None
    last = before[-1]
    if (
        len(before) > 1
        and last.place_id.startswith("kcm:gov-")
        and last.start - before[-2].end <= _CONTAINER_GAP
    ):
        return before[-2]
    return last


_AMONG_RE = re.compile(r"(?<!\w)(?:من\s+بين|بين|among|one\s+of)\s+(?:the\s+)?\w+\s*\Z", re.IGNORECASE)
_RELATIVES = frozenset(("التي", "الذي", "اللتي", "اللذين", "اللواتي", "which", "that", "where"))


def _actor_before(clause: _Clause, marks: Sequence[_Mark]) -> bool:
    """Whether an actor stands right before the clause's relative pronoun ("the peshmerga which withdrew")."""
    return any(m.category == "actor" and 0 <= clause.start - m.end <= 2 for m in marks)


def _local(
    etype: str, pairs: list[tuple[PlaceMention, PlaceMention | None]]
) -> list[tuple[PlaceMention, PlaceMention | None]]:
    """Drop countries and regions from local events, countries from political ones, rivers from all, however reached."""
    pairs = [(place, origin) for place, origin in pairs if place.kind not in _NEVER_EVENT_KINDS]
    if etype in _LOCAL_TYPES:
        return [(place, origin) for place, origin in pairs if place.kind not in _TOO_WIDE]
    if etype == "political":  # a vote or a ban at a country is the country's politics, not a place's
        return [(place, origin) for place, origin in pairs if place.kind != "country"]
    return pairs


def _near_before(cue: _Mark, marks: Sequence[_Mark], category: str, words: int = 3) -> bool:
    before = [m for m in marks if m.end <= cue.start and cue.start - m.end <= 12 * words]
    return any(m.category == category for m in before[-words:])


# An infinitive is a deed done after a verb of beginning or achieving ("began to withdraw", "managed to retake")
# and after a causative with its object ("forced thousands of Yazidis to flee", "allowing the militia to move in").
_REALISED_RE = re.compile(
    r"\b(?:began|begun|begin|begins|started|starts|start|continued|continues|managed|manages|able|went on|"
    r"succeeded|only)\s*\Z|\b(?:allow|allows|allowed|allowing|forced|forcing|enabled|enabling|compelled|"
    r"prompted|prompting)\b[^.;:!?]*\Z",
    re.IGNORECASE,
)
_ANY_BEFORE_RE = re.compile(r"(?<!\w)(?:any|أي|أية|أيّ)\s+\Z", re.IGNORECASE)
_CAUSATIVE_REACH = 100  # characters from a causative verb to the "to" of its infinitive


# «تعرّض/تعرضت/تتعرض ... لـ»: was subjected to what follows, a deed and not a purpose
_SUBJECTED_TO_RE = re.compile(r"(?<!\w)[وف]?(?:تعرض|تعرضت|تعرضوا|تتعرض|يتعرض)(?!\w)[^.،,؛;:]*\s\S?\Z")
_SUBJECTED_REACH = 60  # characters from the verb to its noun («تعرضت مواقع البيشمركة في مخمور أمس لقصف»)


def _is_irrealis(text: str, cue: _Mark, marks: Sequence[_Mark]) -> bool:
    if cue.value[1] in ("noun", "entry_noun") and cue.prefix.endswith("ل") and not cue.prefix.endswith("ال"):
        # لتسليم: "in order to hand over"; but «تعرضت مخمور لقصف» is "Makhmur came under shelling"
        return not _SUBJECTED_TO_RE.search(text, max(0, cue.start - _SUBJECTED_REACH), cue.start)
    # the last three marks before the verb, not counting its subject ("is set to let the Peshmerga enter")
    before = [
        m
        for m in marks
        if m.end <= cue.start and cue.start - m.end <= 36 and m.category not in ("actor", "demonstrative")
    ][-3:]
    # "to" makes an infinitive only right before the verb ("wants troops to take over", not "returned to X and took");
    # its mark may have been read as a destination ("an offensive to take Sinjar": an aim, not a deed)
    if any(m.category == "irrealis" and m.text.lower() != "to" for m in before):
        return True
    if cue.value[1] in ("noun", "entry_noun") and _ANY_BEFORE_RE.search(
        text, max(0, cue.start - 8), cue.start
    ):
        return True  # "any offensive to dislodge IS", «أي هجوم»: a hypothetical, not an event
    to = next((m for m in before if m.text.lower() == "to" and cue.start - m.end <= 2), None)
    return to is not None and not _REALISED_RE.search(text, max(0, to.start - _CAUSATIVE_REACH), to.start)


_VERB_NEGATORS = frozenset(fold_phrase(w) for w in ("لم", "لا", "not", "never", "didn't"))


# «لا تزال», «ما زالت», «لم يزل»: "still", not a negation
_STILL_RE = re.compile(r"\s+[تيا]?زال|\s+[تي]زل(?!\w)")


def _negated(text: str, cue: _Mark, marks: Sequence[_Mark]) -> bool:
    """Whether a negation governs the cue: ``ولم تنسحب``, "did not withdraw"; for fighting also ``دون``/"without"."""
    if cue.value[0] == "clash" and _near_before(cue, marks, "neg", 2):
        return True
    before = [m for m in marks if m.end <= cue.start][-1:]
    return bool(
        before
        and before[0].category == "neg"
        and fold_phrase(before[0].text).lower() in _VERB_NEGATORS
        and cue.start - before[0].end <= 12
        and not _STILL_RE.match(text, before[0].end)
    )


def _demonstrative(cue: _Mark, marks: Sequence[_Mark]) -> bool:
    before = [m for m in marks if m.end <= cue.start and cue.start - m.end <= 2]
    return bool(before) and before[-1].category == "demonstrative" and before[-1].text.lower() != "the"


_PRONOUN_SUFFIX_RE = re.compile(r"(?:ها|هما)$")


def _has_anaphor(cue: _Mark, marks: Sequence[_Mark], clause: _Clause) -> bool:
    if cue.value[1] in ("entry", "verb") and _PRONOUN_SUFFIX_RE.search(cue.text):
        return True  # تدخلها: "entered it"
    if " it " in f" {cue.text.lower()} ":
        return True
    near = [m for m in marks if clause.start <= m.start < clause.end and abs(m.start - cue.start) <= 45]
    return any(m.category == "anaphor" for m in near)


_OBJECT_PRONOUNS = frozenset(fold_phrase(w) for w in "منها|منه|فيها|فيه|عليها|عليه|إليها|إليه|it".split("|"))


def _object_pronoun(cue: _Mark, marks: Sequence[_Mark]) -> bool:
    """Whether the cue's object is a pronoun right after it («استولى عليها», "seized it"): a later place is not its own.

    A suffix is not enough: «فرض سيطرتها على سد الموصل» is "its control over the Mosul dam".
    """
    if cue.text.lower().endswith(" it"):
        return True
    after = [m for m in marks if m.category == "anaphor" and 0 <= m.start - cue.end <= 2]
    return any(fold_phrase(m.text).lower() in _OBJECT_PRONOUNS for m in after)


def _previous_place(
    s_places: Sequence[tuple[int, PlaceMention]], roles: dict[int, str], cue: _Mark
) -> PlaceMention | None:
    before = [
        p
        for k, p in s_places
        if p.end <= cue.start and roles[k] not in ("dateline", "via", "locator", "government")
    ]
    return before[-1] if before else None


_TOO_WIDE = frozenset({"country", "region"})
# A river is where something is ("a town on the Euphrates", "the Tigris river town"), never where it happens; and
# its point (its mouth) is hundreds of kilometres from the place meant.
_NEVER_EVENT_KINDS = frozenset({"river"})
_LOCAL_TYPES = frozenset({"control_change", "withdrawal", "deployment", "status", "clash"})


# Capitals that stand for their governments ("Baghdad seized", "أحكمت بغداد سيطرتها"): Baghdad, Erbil.
_GOVERNMENT_SEATS = frozenset({"geonames:98182", "geonames:95446"})
# Control of those capitals never passes in this reporting: named with a control cue, a seat is the government
# that takes or is handed a place ("loyal to Baghdad seized Sinjar", «حكومة بغداد سيطرت», "Baghdad has demanded
# the Kurds return the disputed territories"), never the place taken. Fighting, deployments and political events
# do happen there.
_SEAT_NEVER_TYPES = frozenset({"control_change", "withdrawal", "status"})


# A seat of government named as the government: "taken by Baghdad", "standoff with Baghdad", «طلب بغداد»,
# «خططت له بغداد», «الحكومة المركزية في بغداد».
_SEAT_AS_GOVERNMENT_RE = re.compile(
    r"(?:\b(?:by|with)|(?<!\w)(?:طلب|له)|(?<!\w)و?(?:ال)?حكوم[ةه](?:\s+\w+)?\s+(?:في|ب)|\bgovernment\s+in)\s*\Z",
    re.IGNORECASE,
)


_TOWARD_RE = re.compile(r"(?<!\w)(?:باتجاه|نحو|towards?)(?!\w)[^.،,؛;:]{0,30}\Z", re.IGNORECASE)


def _only_toward(text: str, cue: _Mark, place: PlaceMention, role: str) -> bool:
    """Whether an advance only goes toward the place: «تقدمت القوات باتجاه سنجار», "pushed toward Altun Kupri".

    Moving toward a place is not entering it: an entry cue does not take it (its own place may be named elsewhere).
    """
    return (
        cue.value[1] == "entry"
        and role == "dest"
        and bool(_TOWARD_RE.search(text, max(0, place.start - 45), place.start))
    )


def _seat_as_government(place: PlaceMention, etype: str) -> bool:
    """Whether a capital names its government for an event of this type (it never changes hands here)."""
    return place.place_id in _GOVERNMENT_SEATS and etype in _SEAT_NEVER_TYPES


def _as_government(text: str, place: PlaceMention) -> bool:
    """Whether a capital stands for its government where it is named (no event takes place there)."""
    return place.place_id in _GOVERNMENT_SEATS and bool(
        _SEAT_AS_GOVERNMENT_RE.search(text, max(0, place.start - 40), place.start)
    )


def _is_subject(
    text: str, cue: _Mark, place: PlaceMention, in_clause: Sequence[tuple[int, PlaceMention]]
) -> bool:
    """Whether the place is the subject of the cue verb, a government by its capital, with its object named after.

    ``أحكمت بغداد سيطرتها على كركوك``, "Baghdad seized Kirkuk": Kirkuk is the event place, not Baghdad.
    """
    if cue.value[1] not in ("verb", "entry", "status") or place.place_id not in _GOVERNMENT_SEATS:
        return False
    arabic = not cue.text.isascii()
    gap = text[cue.end : place.start] if arabic else text[place.end : cue.start]
    if (place.start < cue.end) == arabic or gap.strip() or len(gap) > 2:
        return False
    return any(p.start > max(place.end, cue.end) for _, p in in_clause)


def _listed_with(
    text: str,
    in_clause: Sequence[tuple[int, PlaceMention]],
    n: int,
    roles: dict[int, str],
    listed: tuple[str, ...],
) -> list[PlaceMention]:
    """Return the place ``n`` and the places listed after it.

    "خانقين وجلولاء في ديالى… وعلى قضاء مخمور وبعشيقة": a locator of the list (في ديالى) is stepped over, and a
    repeated preposition (وعلى, "and in") goes on with the list.
    """
    chosen = [in_clause[n][1]]
    end = in_clause[n][1]
    for k, nxt in in_clause[n + 1 :]:
        if roles[k] == "locator" and _gap_words(text[end.end : nxt.start]) in (("في",), ("in",)):
            end = nxt
            continue
        strict = _coordinated(text, end, nxt)
        if not (
            strict or _coordinated(text, end, nxt, repeated=True) or _listed_past_unknown(text, end, nxt)
        ):
            break
        if roles[k] not in listed and (strict or roles[k] != "locator"):
            break
        chosen.append(nxt)
        end = nxt
    return chosen


def _listed_before(
    text: str,
    in_clause: Sequence[tuple[int, PlaceMention]],
    n: int,
    roles: dict[int, str],
    listed: tuple[str, ...],
) -> list[PlaceMention]:
    """Return the places listed before place ``n`` (a subject before its verb), in text order.

    "Daquq, Qara Tapa, Jalawla and Mandali were all abandoned": Mandali is nearest the verb, the rest its list.
    """
    before: list[PlaceMention] = []
    end = in_clause[n][1]
    for k, prev in reversed(in_clause[:n]):
        if roles[k] not in listed or not (
            _coordinated(text, prev, end) or _listed_past_unknown(text, prev, end)
        ):
            break
        before.append(prev)
        end = prev
    return before[::-1]


# A vote or decision takes a local place written before it only from close by ("the Kirkuk vote"); a region
# (the Kurdistan Region's referendum) from anywhere in the clause. In characters.
_POLITICAL_BEFORE = 25


def _places_for(
    text: str,
    cue: _Mark,
    etype: str,
    clause: _Clause,
    s_places: Sequence[tuple[int, PlaceMention]],
    roles: dict[int, str],
) -> tuple[list[tuple[PlaceMention, PlaceMention | None]], float]:
    """Return the cue's (place, origin) pairs: the nearest place in its clause (after it preferred) and places listed."""
    movement = etype in ("deployment", "control_change", "displacement")
    in_clause = [(k, p) for k, p in s_places if clause.start <= p.start < clause.end]
    origins = [p for k, p in in_clause if roles[k] == "origin" and p.start > cue.start]
    best: tuple[float, int] | None = None
    for n, (k, place) in enumerate(in_clause):
        role = roles[k]
        if (
            (place.kind in _TOO_WIDE and etype in _LOCAL_TYPES)
            or place.kind in _NEVER_EVENT_KINDS
            or _seat_as_government(place, etype)
            or _is_subject(text, cue, place, in_clause)
            or _only_toward(text, cue, place, role)
        ):
            continue  # "Iran closed its border", "Iraqi forces in the Kurdistan Region": no local event
        if role in ("dateline", "via", "exclude", "locator", "government") or (
            role == "origin" and movement and place in origins
        ):
            continue
        if etype == "political" and place.kind not in _TOO_WIDE and cue.start - place.end > _POLITICAL_BEFORE:
            continue  # "seized Kirkuk amid tension over last month's referendum": that vote was not at Kirkuk
        before = (
            30 if cue.text.isascii() else 80
        )  # Arabic is verb-first: a place before the verb is seldom its own
        cost = (
            float(place.start - cue.end) if place.start >= cue.end else float(cue.start - place.end + before)
        )
        if etype == "displacement" and role == "dest":
            cost -= 20
        if cost <= 160 and (best is None or cost < best[0]):
            best = (cost, n)
    if best is None:
        if etype == "displacement" and origins:
            return [(place, None) for place in origins], float(origins[0].start - cue.end)  # "fled Kirkuk"
        return [], 0.0
    cost, n = best
    listed = ("plain", "dest") if movement else ("plain", "dest", "origin")
    chosen = _listed_with(text, in_clause, n, roles, listed)
    if in_clause[n][1].end <= cue.start:
        chosen = _listed_before(text, in_clause, n, roles, listed) + chosen
    if etype == "displacement" and origins:
        return [(chosen[0], origin) for origin in origins], cost
    origin = origins[0] if movement and origins and etype != "withdrawal" else None
    return [(place, origin) for place in chosen], cost


def _actor_groups(text: str, actors: Sequence[_Mark]) -> list[list[_Mark]]:
    """Actors joined into groups: "قوات من الجيش والحشد الشعبي", "Iraqi army units and Hashd fighters"."""
    groups: list[list[_Mark]] = []
    for mark in actors:
        if groups:
            gap = text[groups[-1][-1].end : mark.start]
            words = [w for w in _WORD_RE.findall(fold_phrase(gap).lower())]
            joiners = {
                "و",
                "and",
                "من",
                "برفقه",
                "بدعم",
                "مع",
                "of",
                "the",
                "units",
                "fighters",
                "forces",
                "troops",
            }
            if (
                len(gap) <= 30
                and not any(c in gap for c in ".،,؛")
                and all(w in joiners or len(w) <= 2 for w in words)
            ):
                groups[-1].append(mark)
                continue
        groups.append([mark])
    return groups


def _actors(
    text: str, lang: str, cue: _Mark, clause: _Clause, marks: Sequence[_Mark]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the side that acts (its subject, near the cue) and the other side (after مع/from/against...)."""
    actors: list[_Mark] = []
    other: set[str] = set()
    for i, mark in enumerate(marks):
        if mark.category != "actor" or mark.value == "civilians":
            continue
        prev = marks[i - 1] if i else None
        if (
            prev is not None
            and prev.category in ("other_side", "origin")
            and mark.start - prev.end <= 20
            and all(w in _ACTOR_FILLERS for w in _words_between(text, prev.end, mark.start))
        ):
            partitive = prev.text == "من" and re.search(
                r"(?:قوات|وحدات|قطعات|عناصر)\s*$", text[max(0, prev.start - 12) : prev.start]
            )
            if not partitive:
                other.add(mark.value)  # the other side, wherever it stands in the sentence
                continue
        if clause.start <= mark.start < clause.end:
            actors.append(mark)
    if cue.value[0] == "displacement":
        return (), ()
    groups = _actor_groups(text, actors)
    after = [g for g in groups if g[0].start >= cue.end and g[0].start - cue.end <= 60]
    before = [g for g in groups if g[-1].end <= cue.start and cue.start - g[-1].end <= 140]
    passive = re.search(r"\bby\s*$", text[max(0, cue.end) : cue.end + 5]) is not None
    if lang == "ar" or passive:
        chosen = after[0] if after else (before[-1] if before else None)
    else:
        chosen = before[-1] if before else (after[0] if after else None)
    taker = {m.value for m in chosen} if chosen else set()
    if taker - {"us"}:
        taker.discard("us")
    rest = {m.value for g in groups if g is not chosen for m in g}
    return _ordered(taker), _ordered((other | rest) - taker)


def _sentence_actors(marks: Sequence[_Mark], others: Sequence[str]) -> tuple[str, ...]:
    found = {m.value for m in marks if m.category == "actor" and m.value != "civilians"} - set(others)
    if found - {"us"}:
        found.discard("us")
    return _ordered(found)


def _ordered(codes: Iterable[str]) -> tuple[str, ...]:
    codes = set(codes)
    return tuple([c for c in _CONTROLLER_ORDER if c in codes] + sorted(codes - set(_CONTROLLER_ORDER)))


def _fold(drafts: list[_Draft]) -> list[_Draft]:
    """Fold withdrawals and holdings into a control change of the same place in the same sentence."""
    changes = [d for d in drafts if d.event_type == "control_change"]
    out: list[_Draft] = []
    for d in drafts:
        if d.event_type in ("withdrawal", "status"):
            target = next((c for c in changes if c.place.place_id == d.place.place_id), None)
            leaver = tuple(a for a in d.taker if a != "us")
            if target is not None and (leaver or d.event_type == "status") and d.taker != target.taker:
                if leaver:
                    target.controller_before = "+".join(a for a in leaver if a not in target.taker) or None
                if target.control_mode is None and d.event_type == "withdrawal":
                    target.control_mode = "non_violent"
                target.merged += 1
                continue
        out.append(d)
    return out


_WHEN = frozenset(fold_phrase(w) for w in ("حين", "عندما", "when", "as"))


@dataclass(frozen=True)
class _DateContext:
    """What the date rules read: the usable dates (no dateline's) and the text's sentences."""

    text: str
    usable: list[DateMention]
    starts: list[int]
    days: list[DateMention]
    day_ends: list[int]
    carry: list[_Mark]
    sentences: Sequence[tuple[int, int]]

    def in_span(self, lo: int, hi: int) -> list[DateMention]:
        return self.usable[bisect_left(self.starts, lo) : bisect_left(self.starts, hi)]


_Found = tuple[DateMention, str, int] | None  # (the date, its basis, days to add)


def _within(c: _Clause, found: Sequence[DateMention]) -> list[DateMention]:
    return [x for x in found if c.start <= x.start < c.end]


def _own_clause(d: _Draft, ctx: _DateContext) -> _Found:
    own = _within(d.clause, ctx.in_span(*d.sentence))
    # «ردا على استفتاء أجراه الأكراد الشهر الماضي انتزعت ... الإثنين الماضي»: the first date is the cause's
    not_cause = [x for x in own if not _dates_cause(ctx.text, d, x)]
    own = not_cause or own
    return (min(own, key=lambda x: abs(x.start - d.cue.start)), "clause", 0) if own else None


def _dates_cause(text: str, d: _Draft, x: DateMention) -> bool:
    """Whether a date before the cue sits in an adjunct naming what the event answers ("in response to ... last month")."""
    return x.start < d.cue.start and _RESPONSE_OPEN_RE.search(text, d.clause.start, x.start) is not None


def _when_clause(d: _Draft, ctx: _DateContext) -> _Found:
    """Date by a when-clause: "X, when Y on Monday" dates X; "X until mid-October, when Y": Y happened then."""
    found = ctx.in_span(*d.sentence)
    pos = d.clauses.index(d.clause)
    if pos + 1 < len(d.clauses) and fold_phrase(d.clauses[pos + 1].marker).lower() in _WHEN:
        nxt = _within(d.clauses[pos + 1], found)
        if nxt:
            return nxt[0], "clause", 0
    if pos and fold_phrase(d.clause.marker).lower() in _WHEN:
        prev = _within(d.clauses[pos - 1], found)
        if prev:
            return prev[-1], "clause", 0
    return None


def _main_clause(d: _Draft, ctx: _DateContext) -> _Found:
    main = [x for c in d.clauses if c.main for x in _within(c, ctx.in_span(*d.sentence))]
    if not main:
        return None
    return (
        min(main, key=lambda x: abs(x.start - d.cue.start)),
        "clause" if d.clause.main else "main_clause",
        0,
    )


def _earlier_in_sentence(d: _Draft, ctx: _DateContext) -> _Found:
    """Date a subordinate clause by an earlier date of its sentence ("clashes on Friday, before they withdrew")."""
    if d.clause.main:
        return None
    before = [x for x in ctx.in_span(*d.sentence) if x.end <= d.cue.start and x.precision == "day"]
    return (
        (before[-1], "sentence", 0) if before else None
    )  # a day: a month before is background ("في آذار 2003")


def _carried(d: _Draft, ctx: _DateContext) -> _Found:
    """``في اليوم ذاته``/"the same day": the latest day written before (``اليوم التالي``: the day after)."""
    # bisect, not a scan of every mark per event: that made big articles quadratic (issue 13)
    said = ctx.carry[
        bisect_left(ctx.carry, d.sentence[0], key=_start) : bisect_left(ctx.carry, d.sentence[1], key=_start)
    ]
    if not said:
        return None
    n_earlier = bisect_right(ctx.day_ends, said[0].start)
    if not n_earlier:
        return None
    return ctx.days[n_earlier - 1], "carried", 1 if said[0].category == "next" else 0


def _start(m: _Mark) -> int:
    return m.start


_PARAGRAPH_BREAK_RE = re.compile(r"\n\s*\n")
_PARAGRAPH_REACH = 2  # sentences looked back


# Subordinators of an earlier event ("after X", «بعد X»): their event is not of the day the paragraph tells.
_BEFORE_MARKERS = frozenset(
    fold_phrase(w) for w in "after|following|since|بعد|بعدما|بعد أن|عقب|إثر".split("|")
)


def _in_earlier_clause(d: _Draft) -> bool:
    """Whether the draft is told in an earlier-event clause ("after the Kurds held a referendum", «بعد انسحاب»).

    Such a clause tells what came before the news of its sentence: a date borrowed from elsewhere is not its own.
    """
    return not d.clause.main and fold_phrase(d.clause.marker or "").lower() in _BEFORE_MARKERS


# An uncounted time later than the day before: "weeks later", "days later", «بعد أسابيع», «لاحقا».
_UNCOUNTED_LATER_RE = re.compile(
    r"\b(?:(?:some|several|a few)\s+)?(?:hours|days|weeks|months|years)\s+later\b|\blater that (?:week|month|year)\b|"
    r"(?<!\w)(?:و?بعد\s+(?:ساعات|أيام|أسابيع|أشهر|شهور|سنوات|عدة\s+\w+)|لاحقا|لاحقاً|في وقت لاحق)(?!\w)",
    re.IGNORECASE,
)


def _told_later(d: _Draft, text: str) -> bool:
    """Whether the draft's sentence puts its event an uncounted time after: "it was retaken weeks later".

    The day written before is then not its day, and no count says how far after it is.
    """
    return bool(_UNCOUNTED_LATER_RE.search(text, *d.sentence))


# A past before the past: «وكانت البيشمركة فرضت سيطرتها», «كانت قد انسحبت», "the Peshmerga had taken them".
_PLUPERFECT_RE = re.compile(
    r"(?<!\w)(?:[وف]?(?:كان|كانت|كانوا)(?:\s+\w+){0,2}?(?:\s+قد)?)\s+\Z",
    re.IGNORECASE,
)


def _told_before(d: _Draft, text: str) -> bool:
    """Whether the draft's verb is a pluperfect: background from before the story's time, not news of its day.

    Such an event keeps a date written in its own clause, but borrows none from the paragraph or the story.
    """
    if d.kind != "verb":
        return False
    lo = max(d.clause.start, d.cue.start - 40)
    return _PLUPERFECT_RE.search(text, lo, d.cue.start) is not None


def _off_story_time(d: _Draft, text: str) -> bool:
    """Whether the draft's sentence tells its event at another time than the dates around it (later, or before)."""
    return _told_later(d, text) or _told_before(d, text)


def _paragraph(d: _Draft, ctx: _DateContext) -> _Found:
    """Take the last date of the nearest of the two previous sentences of the paragraph that has one.

    A day is preferred to a week or month there (background: "في حزيران 2014"). A blank line ends a paragraph.
    """
    k = bisect_left(ctx.sentences, d.sentence)
    if k >= len(ctx.sentences) or ctx.sentences[k] != d.sentence:
        return None
    if _in_earlier_clause(d) or _off_story_time(d, ctx.text):
        return None  # "after the Kurds held a referendum": a background event, not of the paragraph's day
    start = d.sentence[0]
    for prev in reversed(ctx.sentences[max(0, k - _PARAGRAPH_REACH) : k]):
        if _PARAGRAPH_BREAK_RE.search(ctx.text, prev[1], start):
            return None
        found = ctx.in_span(*prev)
        if found:
            days = [x for x in found if x.precision == "day"]
            return (days or found)[-1], "paragraph", 0
        start = prev[0]
    return None


def _story(d: _Draft, ctx: _DateContext) -> _Found:
    """Date an event of a later paragraph by the story's day: the last date written before its sentence.

    A wire story dates its lead ("on Saturday liberated most of Tal Afar") and lists what else happened that day in
    the paragraphs after it, undated. Only a day carries: when the last date before is a month or a year, the text
    has moved to background ("in 2014"), and a sentence with a date of its own or an earlier-event clause ("after",
    "since") is about another time.
    """
    if d.event_type == "status" or not d.clause.main:
        return None  # a state ("Kirkuk, held by the Peshmerga") or a relative clause is no news of the day
    if ctx.in_span(*d.sentence) or _tells_earlier(d, ctx.text) or _off_story_time(d, ctx.text):
        return None
    if d.kind not in ("verb", "entry"):
        return None  # «الاستفتاء في كركوك من أبرز التحديات»: a verbal noun names an event more often than it reports one
    n_before = bisect_left(ctx.starts, d.sentence[0])
    if not n_before:
        return None
    last = _story_day(ctx, ctx.usable[n_before - 1])
    if last is None or _other_year(ctx.text, d.sentence, last):
        return None
    return last, "story", 0


_BARE_YEAR_RE = re.compile(r"(?<![\d.,/-])((?:19|20|١٩|٢٠)\d\d)(?![\d.,/-]?\d)")
_LEAD_WORD_RE = re.compile(r"\W*(?:و|ف)?(\w+)")


# Conjunctions that open a clause of an earlier event: a day told after one is background («بعدما كانت تلك القوات
# انسحبت منها في 13 الشهر الماضي»). "after"/«بعد» head a noun as often ("after an attack launched early Monday").
_EARLIER_CONJUNCTIONS = frozenset(fold_phrase(w) for w in ("بعدما", "since"))


def _other_year(text: str, sentence: tuple[int, int], day: DateMention) -> bool:
    """Whether the sentence writes a year other than the day's.

    "When IS swept through the north in 2014" (a bare year, which the date finder leaves alone) is not told of a day
    of 2017.
    """
    return any(int(y) != day.date.year for y in _BARE_YEAR_RE.findall(text, *sentence))


def _story_day(ctx: _DateContext, last: DateMention) -> DateMention | None:
    """Return the story's day in the last dated sentence before an event (``last`` is that sentence's last date).

    None when that date is not one day (the text has moved to a month, a year, or a span such as an infobox's
    "Date: 15–27 October 2017", which the ``labelled`` rule reads). The last day written before any
    earlier-event subordinator of the sentence wins ("announced on Thursday ..., after an attack launched on 21
    September").
    """
    if last.precision != "day" or last.date_end is not None:
        return None
    k = bisect_right(ctx.sentences, (last.start, len(ctx.text))) - 1
    lo = ctx.sentences[k][0] if k >= 0 else 0
    words = _LEAD_WORD_RE.finditer(ctx.text, lo, last.end)
    first_after = next((w.start() for w in words if fold_phrase(w.group(1)).lower() in _BEFORE_MARKERS), None)
    days = [x for x in ctx.in_span(lo, last.end) if x.precision == "day" and x.date_end is None]
    told = [x for x in days if first_after is None or x.start < first_after]
    if told:
        return told[-1]
    conjunctions = _LEAD_WORD_RE.finditer(ctx.text, lo, last.start)
    return (
        None if any(fold_phrase(w.group(1)).lower() in _EARLIER_CONJUNCTIONS for w in conjunctions) else last
    )


def _tells_earlier(d: _Draft, text: str) -> bool:
    """Whether the draft's sentence opens with an earlier-event subordinator («وبعدما سيطرت», "After ...")."""
    first = _LEAD_WORD_RE.match(text, d.sentence[0], d.sentence[1])
    return bool(first) and fold_phrase(first.group(1)).lower() in _BEFORE_MARKERS


_DAY_COUNT_RE = re.compile(
    r"(?:[وف]?بعد\s+(?:(?P<n_ar>\d{1,2}|\w+)\s+(?:أيام|يوما|يومًا)|(?P<two_ar>يومين)|(?P<one_ar>يوم))\s+(?:من|على)"
    r"|(?:(?P<one_en>a|one)\s+day|(?P<n_en>\d{1,2}|\w+)\s+days)\s+after(?:\s+[\w'’-]+){0,3}?)\s*(?:ال)?$",
    re.IGNORECASE,
)
# (the cue may start past the article: «بعد يومين من السيطرة» has its cue at «سيطرة»)
# «في 21 أيلول، وبدأ الهجوم»: the day of another clause
_NEW_CLAUSE_RE = re.compile(r"[;؛]|[،,]\s*(?:و|and\b)")
_COUNT_REACH = 60  # characters looked back from the cue for the count, and from the count for its day


def _days_counted(m: re.Match[str]) -> int | None:
    if m.group("two_ar"):
        return 2
    if m.group("one_ar") or m.group("one_en"):
        return 1
    word = m.group("n_ar") or m.group("n_en")
    n = int(word) if word.isdigit() else _NUMBER_LOOKUP.get(fold_phrase(word).lower(), 0)
    return n if 1 <= n <= 31 else None


def _counted_back(d: _Draft, ctx: _DateContext) -> _Found:
    """Date an event counted back from another: «بعد ثلاثة أيام من استعادتها السيطرة», "two days after the capture".

    It is N days before the day it is counted from. That day is the one written right before the count in the same clause («اليوم الأربعاء (30 ديسمبر) بعد ثلاثة
    أيام من»); else, the count telling the story's own event («وبدأ الهجوم الحاسم بعد يومين من»), the lead's day.
    """
    lo = max(d.sentence[0], d.cue.start - _COUNT_REACH)
    m = _DAY_COUNT_RE.search(ctx.text[lo : d.cue.start])
    n = _days_counted(m) if m else None
    if m is None or n is None:
        return None
    at = lo + m.start()
    near = [
        x
        for x in ctx.in_span(max(d.sentence[0], at - _COUNT_REACH), at)
        if x.precision == "day" and x.date_end is None and not _NEW_CLAUSE_RE.search(ctx.text, x.end, at)
    ]
    if near:
        return near[-1], "counted", -n
    lead = ctx.days[0] if ctx.days and ctx.days[0].start < at else None
    return (lead, "counted", -n) if lead is not None else None


_SINCE_BEFORE_RE = re.compile(r"(?<!\w)(?:since|منذ)\s+\Z", re.IGNORECASE)


def _since_phrase(d: _Draft, ctx: _DateContext) -> _Found:
    """Date an event by "since <day>" right after its clause: "evacuated Maxmur since last night", «منذ ليلة أمس».

    "since" before a date is a preposition, not a clause of another event (its clause holds nothing but the date).
    """
    pos = d.clauses.index(d.clause)
    if pos + 1 >= len(d.clauses):
        return None
    nxt = d.clauses[pos + 1]
    for x in _within(nxt, ctx.in_span(*d.sentence)):
        if _SINCE_BEFORE_RE.search(ctx.text, max(nxt.start, x.start - 8), x.start):
            return x, "clause", 0
    return None


# The date rules, in order; the first that finds a date gives it.
_DATE_RULES = (
    _counted_back,
    _own_clause,
    _when_clause,
    _since_phrase,
    _main_clause,
    _earlier_in_sentence,
    _carried,
    _paragraph,
    _story,
)


def _assign_dates(
    drafts: list[_Draft],
    dates: Sequence[DateMention],
    marks: Sequence[_Mark],
    dateline: set[int],
    text: str = "",
    sentences: Sequence[tuple[int, int]] = (),
) -> None:
    usable = [d for k, d in enumerate(dates) if k not in dateline]
    days = [d for d in usable if d.precision == "day"]
    ctx = _DateContext(
        text,
        usable,
        [d.start for d in usable],
        days,
        [d.end for d in days],
        sorted((m for m in marks if m.category in ("carry", "next")), key=_start),
        sentences,
    )
    for d in drafts:
        for rule in _DATE_RULES:
            found = rule(d, ctx)
            if found is not None:
                d.date, d.date_basis, d.date_shift = found
                break
    _same_event_dates(drafts, text)
    labelled = _labelled_date(text, usable)
    for d in drafts:
        if d.date is None and labelled is not None:
            d.date, d.date_basis = labelled, "labelled"


_DATE_LABEL_RE = re.compile(r"^[ \t]*(?:التاريخ|تاريخ|Date|Dates)\s*[:：]?\s*$", re.IGNORECASE | re.MULTILINE)


def _labelled_date(text: str, dates: Sequence[DateMention]) -> DateMention | None:
    """Return the date of an infobox line (``Date: 15–20 October 2017``, ``التاريخ 15 أكتوبر – 27 أكتوبر 2017``).

    It is when the events of the article happened (not when it was published): the last resort of an event
    with no other date.
    """
    for d in dates:
        line_start = text.rfind("\n", 0, d.start) + 1
        if _DATE_LABEL_RE.match(text[line_start : d.start]):
            return d
    return None


def _same_event_dates(drafts: list[_Draft], text: str) -> None:
    """Date an undated event by the same event reported elsewhere: same place and type, else type and actors."""
    by_place: dict[tuple[str, str], _Draft] = {}
    by_actors: dict[tuple[str, tuple[str, ...]], _Draft] = {}
    for x in drafts:
        if x.date is not None:
            by_place.setdefault((x.place.place_id, x.event_type), x)
            if x.taker:
                by_actors.setdefault((x.event_type, x.taker), x)
    for d in drafts:
        if d.date is None and not _off_story_time(d, text):
            same = by_place.get((d.place.place_id, d.event_type)) or (
                by_actors.get((d.event_type, d.taker)) if d.taker and not _in_earlier_clause(d) else None
            )
            if same is not None and not _other_year(text, d.sentence, same.date):
                d.date, d.date_basis, d.date_shift = same.date, "same_event", same.date_shift


def _confidence(d: _Draft) -> float:
    score = {"verb": 0.7, "entry": 0.7, "status": 0.6, "noun": 0.55, "entry_noun": 0.5}.get(d.kind, 0.5)
    if d.taker:
        score += 0.1
    score += {
        "clause": 0.1,
        "main_clause": 0.05,
        "sentence": -0.2,
        "carried": 0.0,
        "counted": 0.0,
        "paragraph": -0.1,
        "story": -0.15,
        "same_event": -0.15,
        "labelled": -0.2,
        None: -0.35,
    }[d.date_basis]
    if d.date is not None and d.date.precision != "day":
        score -= 0.05
    if d.anaphoric:
        score -= 0.1
    if d.coordinated:
        score -= 0.05
    if d.place is not None:
        score *= 0.5 + 0.5 * d.place.score
        if d.place.ambiguous:
            score -= 0.15
    score += 0.05 * min(d.merged, 2)
    return round(min(0.99, max(0.05, score)), 2)


def _finish(text: str, drafts: list[_Draft]) -> list[CandidateEvent]:
    events: list[CandidateEvent] = []
    seen: dict[tuple[Any, ...], int] = {}
    for d in drafts:
        day = d.date.date + timedelta(days=d.date_shift) if d.date else None
        day_end = d.date.date_end + timedelta(days=d.date_shift) if d.date and d.date.date_end else None
        precision = d.date.precision if d.date else None
        controller_after = "+".join(a for a in d.taker if a in _CONTROLLER_ORDER) or None
        if d.event_type not in ("control_change", "status"):
            controller_after = None
        before = d.controller_before or (
            "+".join(a for a in d.others if a in _CONTROLLER_ORDER and a != "us") or None
        )
        if d.event_type != "control_change":
            before = None
        actors = _ordered(set(d.taker) | set(d.others))
        event = CandidateEvent(
            event_type=d.event_type,
            event_date=day,
            date_precision=precision,
            place=d.place,
            controller_before=before if before != controller_after else None,
            controller_after=controller_after,
            actors=actors,
            sentence=text[d.sentence[0] : d.sentence[1]],
            start=d.sentence[0],
            end=d.sentence[1],
            confidence=_confidence(d),
            date_end=day_end,
            date_basis=d.date_basis,
            date_text=d.date.text if d.date else None,
            origin=d.origin,
            control_mode=d.control_mode,
            cue=d.cue.text,
        )
        key = (event.event_type, event.place.place_id, event.event_date)
        if event.event_type == "displacement":
            key += (event.origin.place_id if event.origin else None,)
        if key in seen:
            k = seen[key]
            old = events[k]
            better = event if event.confidence > old.confidence else old
            events[k] = replace(
                better,
                confidence=round(min(0.99, max(old.confidence, event.confidence) + 0.05), 2),
                controller_before=old.controller_before or event.controller_before,
                controller_after=old.controller_after or event.controller_after,
                origin=old.origin or event.origin,
            )
            continue
        seen[key] = len(events)
        events.append(event)
    return events
